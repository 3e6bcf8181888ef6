"""The call for proposals and the public's suggestions: submit, review for publication,
accept, reject, merge."""

from __future__ import annotations

import secrets
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit, codes
from core.models import utcnow
from extensions import db
from projects.models import (
    ProposalCall,
    Suggestion,
    SuggestionReview,
    SuggestionStatus,
    category_key,
)
from projects.services.common import CycleError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
TRACKING_CODE_LENGTH = 16  # XXXX-XXXX-XXXX-XXXX: 80 bits, as assessment and meeting codes
# Sources typed in by staff are public at once; the public's own wait for review.
STAFF_SOURCES = ("staff",)

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
) -> tuple[Suggestion, str]:
    """A suggestion from the public; refused outside the call's dates. ``category`` is a
    key of ``SUGGESTION_CATEGORIES`` (or the Chinese name earlier forms sent). It waits
    for staff review before it is public; returns it and the author's tracking code
    (shown once: only its hash is kept)."""
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
        review=SuggestionReview.APPROVED if source in STAFF_SOURCES else SuggestionReview.PENDING,
    )
    code = new_tracking_code()
    suggestion.tracking_hash = tracking_digest(code)
    db.session.add(suggestion)
    db.session.flush()
    # Private fields never go to the log either.
    audit.record("projects.suggestion.submit", "suggestion", suggestion.id, {"source": source})
    return suggestion, code


# --- Tracking codes and review -----------------------------------------------------------


def new_tracking_code() -> str:
    """A random code from an unambiguous alphabet, grouped by four: ``K7QF-M2XA-3PRT-9WXC``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, TRACKING_CODE_LENGTH, 4))


def tracking_digest(text: str | None) -> str | None:
    """The stored hash of a tracking code typed any way (case, spaces, hyphens); None
    unless it is well formed."""
    cleaned = "".join(c for c in (text or "").strip() if c not in " -").upper()
    if len(cleaned) != TRACKING_CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return codes.digest("suggestion", cleaned)  # HMAC under the server's key (core.codes)


def find_by_code(code: str | None) -> Suggestion:
    """The suggestion of a tracking code, whatever its review: only its author has it."""
    digest = tracking_digest(code)
    if digest is None:
        raise CycleError(422, _("查询码格式不对：应为 16 位字母数字（不含 I、O、0、1），如 K7QF-M2XA-3PRT-9WXC。"))
    suggestion = db.session.scalar(select(Suggestion).where(Suggestion.tracking_hash == digest))
    if suggestion is None:
        raise CycleError(404, _("没有这个查询码对应的建议，请核对后重新输入。"))
    return suggestion


def approve_suggestion(suggestion: Suggestion) -> None:
    """Staff publish a suggestion that waited for review."""
    if suggestion.is_public:
        raise CycleError(409, _("这条建议已经公开。"))
    suggestion.review = SuggestionReview.APPROVED
    suggestion.review_reason = None
    suggestion.reviewed_at = utcnow()
    audit.record("projects.suggestion.approve", "suggestion", suggestion.id)


def refuse_suggestion(suggestion: Suggestion, reason: str) -> None:
    """Staff do not publish a suggestion; the reason is shown to its author."""
    reason = (reason or "").strip()
    if not reason:
        raise CycleError(422, _("请填写不予公开的理由，提出人凭查询码可以看到。"))
    if not suggestion.is_awaiting_review:
        raise CycleError(409, _("只有待审核的建议可以不予公开。"))
    suggestion.review = SuggestionReview.REJECTED
    suggestion.review_reason = reason
    suggestion.reviewed_at = utcnow()
    audit.record("projects.suggestion.refuse", "suggestion", suggestion.id, {"reason": reason})


def awaiting_review(call: ProposalCall | None = None) -> list[Suggestion]:
    """The review queue, oldest first (of one call if given)."""
    query = select(Suggestion).where(Suggestion.review == SuggestionReview.PENDING)
    if call is not None:
        query = query.where(Suggestion.call_id == call.id)
    return list(db.session.scalars(query.order_by(Suggestion.id)))


def _check_public(suggestion: Suggestion) -> None:
    if not suggestion.is_public:
        raise CycleError(409, _("这条建议还没有通过审核公开，请先审核。"))


def public_query(call: ProposalCall):
    """The call's public (approved) suggestions, as a query to filter and page."""
    return select(Suggestion).where(Suggestion.call_id == call.id, Suggestion.review == SuggestionReview.APPROVED)


def suggestions_of(call: ProposalCall, category: str | None = None) -> list[Suggestion]:
    """The call's public suggestions in the order they came, those of one category if given."""
    query = public_query(call)
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
    _check_public(suggestion)
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
    _check_public(suggestion)
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
    _check_public(suggestion)
    _check_public(target)
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
    """Suggestions that wait for staff: to be reviewed for publication, or public and
    not yet accepted, merged or rejected."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Suggestion)
            .where(
                (Suggestion.review == SuggestionReview.PENDING)
                | ((Suggestion.review == SuggestionReview.APPROVED) & (Suggestion.status == SuggestionStatus.PENDING))
            )
        )
        or 0
    )


def public_suggestions(call: ProposalCall) -> list[Suggestion]:
    """The call's suggestions everyone may read (approved in review), in order."""
    return suggestions_of(call)
