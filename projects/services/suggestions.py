"""The call for proposals and the public's suggestions: submit, accept, reject, merge."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.models import utcnow
from extensions import db
from projects.models import (
    ProposalCall,
    Suggestion,
    SuggestionStatus,
    category_key,
)
from projects.services.common import CycleError

# --- The call and suggestions ----------------------------------------------------------


def call_for_year(year: int) -> ProposalCall | None:
    return db.session.scalar(select(ProposalCall).where(ProposalCall.year == year))


def open_call(today: date) -> ProposalCall | None:
    """The call open today, if any (the latest if several overlap)."""
    return db.session.scalar(
        select(ProposalCall)
        .where(ProposalCall.opens_on <= today, ProposalCall.closes_on >= today)
        .order_by(ProposalCall.year.desc())
    )


def create_call(*, year: int, title: str, notice: str, opens_on: date, closes_on: date) -> ProposalCall:
    if closes_on < opens_on:
        raise CycleError(422, _("截止日期不能早于开始日期。"))
    if call_for_year(year) is not None:
        raise CycleError(409, _("%(year)d 年的征集已经存在。", year=year))
    call = ProposalCall(year=year, title=title, notice=notice, opens_on=opens_on, closes_on=closes_on)
    db.session.add(call)
    db.session.flush()
    audit.record("projects.call.create", "proposal_call", call.id, {"year": year})
    return call


def submit_suggestion(
    call: ProposalCall,
    *,
    today: date,
    title: str,
    description: str,
    category: str,
    location: str,
    name: str | None,
    phone: str | None,
    source: str = "web",
) -> Suggestion:
    """A suggestion from the public; refused outside the call's dates. ``category`` is a
    key of ``SUGGESTION_CATEGORIES`` (or the Chinese name earlier forms sent)."""
    if not call.is_open_on(today):
        raise CycleError(
            409,
            _("本次征集不在开放期内（%(a)s 至 %(b)s）。", a=call.opens_on.isoformat(), b=call.closes_on.isoformat()),
        )
    key = category_key(category)
    if key is None:
        raise CycleError(422, _("没有这个建议类别，请从列表中选择。"))
    suggestion = Suggestion(
        call=call,
        title=title,
        description=description,
        category=key,
        location=location,
        name=name or None,
        phone=phone or None,
        source=source,
        status=SuggestionStatus.PENDING,
    )
    db.session.add(suggestion)
    db.session.flush()
    # Private fields never go to the log either.
    audit.record("projects.suggestion.submit", "suggestion", suggestion.id, {"source": source})
    return suggestion


def suggestions_of(call: ProposalCall, category: str | None = None) -> list[Suggestion]:
    """The call's suggestions in the order they came, those of one category if given."""
    query = select(Suggestion).where(Suggestion.call_id == call.id)
    if category is not None:
        query = query.where(Suggestion.category == category)
    return list(db.session.scalars(query.order_by(Suggestion.id)))


def _root(suggestion: Suggestion) -> Suggestion:
    seen = set()
    while suggestion.merged_into is not None and suggestion.id not in seen:
        seen.add(suggestion.id)
        suggestion = suggestion.merged_into
    return suggestion


def _check_movable(suggestion: Suggestion) -> None:
    if suggestion.projects:
        raise CycleError(409, _("这条建议已形成候选项目，不能再更改。"))


def accept_suggestion(suggestion: Suggestion) -> None:
    if suggestion.status == SuggestionStatus.ACCEPTED:
        raise CycleError(409, _("这条建议已经采纳。"))
    if suggestion.is_merged:
        raise CycleError(409, _("已合并的建议不能直接采纳。"))
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.reject_reason = None
    suggestion.moderated_at = utcnow()
    audit.record("projects.suggestion.accept", "suggestion", suggestion.id)


def reject_suggestion(suggestion: Suggestion, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CycleError(422, _("请填写不予采纳的理由。"))
    _check_movable(suggestion)
    if suggestion.is_merged:
        raise CycleError(409, _("已合并的建议不能再处理。"))
    suggestion.status = SuggestionStatus.REJECTED
    suggestion.reject_reason = reason
    suggestion.moderated_at = utcnow()
    audit.record("projects.suggestion.reject", "suggestion", suggestion.id, {"reason": reason})


def merge_suggestion(suggestion: Suggestion, target: Suggestion | None) -> None:
    """Merge ``suggestion`` into ``target`` (followed to the suggestion it was merged into)."""
    if target is None or target.call_id != suggestion.call_id:
        raise CycleError(422, _("请选择同一次征集中的另一条建议。"))
    target = _root(target)
    if target.id == suggestion.id:
        raise CycleError(422, _("不能把建议合并到它自己。"))
    if target.is_rejected:
        raise CycleError(422, _("不能合并到未采纳的建议。"))
    _check_movable(suggestion)
    if suggestion.is_merged:
        raise CycleError(409, _("这条建议已经合并过了。"))
    suggestion.status = SuggestionStatus.MERGED
    suggestion.merged_into = target
    suggestion.reject_reason = None
    suggestion.moderated_at = utcnow()
    # Anything merged into this one follows it.
    for child in db.session.scalars(select(Suggestion).where(Suggestion.merged_into_id == suggestion.id)):
        child.merged_into = target
    audit.record("projects.suggestion.merge", "suggestion", suggestion.id, {"into": target.id})


def pending_count() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Suggestion).where(Suggestion.status == SuggestionStatus.PENDING)
        )
        or 0
    )


def public_suggestions(call: ProposalCall) -> list[Suggestion]:
    return list(call.suggestions)
