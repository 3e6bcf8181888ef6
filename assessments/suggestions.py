"""Deputies' suggestions (代表建议): filing, assignment to a handling unit, the reply
within three months (extendable once), and the deputy's one rating of the reply."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from assessments.models import GRADES, REPLY_GRADES, DeputySuggestion, DeputySuggestionState, SuggestionReply
from assessments.services import AssessmentError
from core import audit
from core.models import Deputy, LeadUnit, User, utcnow
from extensions import db

DEADLINE_MONTHS = 3
DUE_SOON_DAYS = 14


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def file_suggestion(deputy: Deputy, *, title: str, body: str, today: date) -> DeputySuggestion:
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > 200:
        raise AssessmentError(422, _("建议标题不能为空且不超过 200 字。"))
    if not body or len(body) > 20000:
        raise AssessmentError(422, _("建议内容不能为空且不超过 20000 字。"))
    item = DeputySuggestion(deputy=deputy, title=title, body=body, filed_on=today, state=DeputySuggestionState.FILED)
    db.session.add(item)
    db.session.flush()
    audit.record("suggestion.file", "suggestion", item.id, {"title": title}, on_behalf_of=None)
    return item


def assign(item: DeputySuggestion, unit: LeadUnit, today: date) -> None:
    """交办: the unit has three months from today to reply."""
    if not item.is_assignable:
        raise AssessmentError(409, _("这件建议已经答复，不能再交办。"))
    item.lead_unit = unit
    item.due_on = add_months(today, DEADLINE_MONTHS)
    item.extended = False
    item.state = DeputySuggestionState.HANDLING
    db.session.flush()
    audit.record("suggestion.assign", "suggestion", item.id, {"unit": unit.name, "due_on": item.due_on.isoformat()})


def extend(item: DeputySuggestion, new_due: date) -> None:
    """Staff extend the deadline once per round, by at most three months."""
    if not item.is_handling:
        raise AssessmentError(409, _("只有办理中的建议可以延期。"))
    if item.extended:
        raise AssessmentError(409, _("这件建议已经延期过一次，不能再延期。"))
    if not item.due_on < new_due <= add_months(item.due_on, DEADLINE_MONTHS):
        raise AssessmentError(422, _("延期后的期限须晚于原期限，且最多延长三个月。"))
    old = item.due_on
    item.due_on = new_due
    item.extended = True
    audit.record("suggestion.extend", "suggestion", item.id, {"from": old.isoformat(), "to": new_due.isoformat()})


def reply(item: DeputySuggestion, user: User, *, grade: str, body: str, today: date) -> SuggestionReply:
    """The handling unit's reply. Past the deadline it is refused unless staff
    extended it; past an extended deadline it is accepted and marked late."""
    if user.role != "lead_unit" or user.lead_unit_id is None or user.lead_unit_id != item.lead_unit_id:
        raise AssessmentError(403, _("只有承办这件建议的单位可以答复。"))
    if not item.is_handling:
        raise AssessmentError(409, _("这件建议现在不需要答复。"))
    if grade not in REPLY_GRADES:
        raise AssessmentError(422, _("请选择答复类别（A、B、C、D）。"))
    body = (body or "").strip()
    if not body or len(body) > 20000:
        raise AssessmentError(422, _("答复内容不能为空且不超过 20000 字。"))
    if today > item.due_on and not item.extended:
        raise AssessmentError(
            409,
            _("已超过办理期限（%(due)s），且未获延期：请先向人大常委会办公室申请延期。", due=item.due_on.isoformat()),
        )
    answer = SuggestionReply(
        suggestion=item,
        round=item.round,
        grade=grade,
        body=body,
        replied_on=today,
        late=today > item.due_on,
        by_user_id=user.id,
    )
    db.session.add(answer)
    item.state = DeputySuggestionState.REPLIED
    db.session.flush()
    audit.record("suggestion.reply", "suggestion", item.id, {"round": item.round, "grade": grade, "late": answer.late})
    return answer


def rate(item: DeputySuggestion, deputy: Deputy, rating: str, today: date) -> SuggestionReply:
    """The deputy rates the reply once; 不满意 returns it to the unit for re-handling."""
    if deputy is None or deputy.id != item.deputy_id:
        raise AssessmentError(403, _("只有提出建议的代表可以评价答复。"))
    if rating not in GRADES:
        raise AssessmentError(422, _("请选择满意、基本满意或不满意。"))
    answer = item.last_reply
    if answer is None:
        raise AssessmentError(409, _("这件建议还没有答复。"))
    if answer.rating is not None or not item.is_replied:
        raise AssessmentError(409, _("您已经评价过这次答复，每次答复只能评价一次。"))
    # Only the first rating wins, even when two requests race.
    done = db.session.execute(
        update(SuggestionReply)
        .where(SuggestionReply.id == answer.id, SuggestionReply.rating.is_(None))
        .values(rating=rating, rated_at=utcnow())
    ).rowcount
    if not done:
        raise AssessmentError(409, _("您已经评价过这次答复，每次答复只能评价一次。"))
    db.session.refresh(answer)
    if rating == "dissatisfied":
        item.state = DeputySuggestionState.HANDLING
        item.round += 1
        item.due_on = add_months(today, DEADLINE_MONTHS)
        item.extended = False
    else:
        item.state = DeputySuggestionState.CLOSED
    audit.record(
        "suggestion.rate",
        "suggestion",
        item.id,
        {"round": answer.round, "rating": rating, "state": item.state},
        on_behalf_of=None,
    )
    return answer


def for_deputy(deputy: Deputy) -> list[DeputySuggestion]:
    return list(
        db.session.scalars(
            select(DeputySuggestion).where(DeputySuggestion.deputy_id == deputy.id).order_by(DeputySuggestion.id.desc())
        )
    )


def for_unit(unit_id: int) -> list[DeputySuggestion]:
    return list(
        db.session.scalars(
            select(DeputySuggestion)
            .where(DeputySuggestion.lead_unit_id == unit_id)
            .order_by(
                DeputySuggestion.state != DeputySuggestionState.HANDLING, DeputySuggestion.due_on, DeputySuggestion.id
            )
        )
    )


def all_suggestions(state: DeputySuggestionState | None = None) -> list[DeputySuggestion]:
    query = select(DeputySuggestion).order_by(DeputySuggestion.id.desc())
    if state:
        query = query.where(DeputySuggestion.state == state)
    return list(db.session.scalars(query))


def answered() -> list[DeputySuggestion]:
    """Suggestions with a reply, which an assessment may rate."""
    return list(
        db.session.scalars(
            select(DeputySuggestion)
            .where(DeputySuggestion.state.in_((DeputySuggestionState.REPLIED, DeputySuggestionState.CLOSED)))
            .order_by(DeputySuggestion.id.desc())
        )
    )


def due_and_overdue(today: date) -> dict:
    """For the staff dashboard: items in handling that are overdue or due soon."""
    handling = db.session.scalars(
        select(DeputySuggestion)
        .where(DeputySuggestion.state == DeputySuggestionState.HANDLING)
        .order_by(DeputySuggestion.due_on, DeputySuggestion.id)
    ).all()
    soon = today + timedelta(days=DUE_SOON_DAYS)
    waiting = db.session.scalars(
        select(DeputySuggestion)
        .where(DeputySuggestion.state == DeputySuggestionState.FILED)
        .order_by(DeputySuggestion.id)
    ).all()
    return {
        "overdue": [s for s in handling if s.is_overdue(today)],
        "due_soon": [s for s in handling if today <= s.due_on <= soon],
        "unassigned": list(waiting),
        "today": today,
    }
