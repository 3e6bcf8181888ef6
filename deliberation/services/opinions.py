"""Opinions before and during a meeting, moderation, and the follow-up: assignment to
a lead unit, the reply, the rating, the overdue list."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from core import audit
from core.models import LeadUnit, utcnow
from core.times import local_today
from deliberation.models import (
    OUTCOMES,
    RATINGS,
    AgendaItem,
    Meeting,
    Opinion,
    Reply,
    ReplyStatus,
)
from deliberation.services.common import (
    FOLLOWUP_DAYS,
    TRACKING_CODE_LENGTH,
    DeliberationError,
    lock_meeting,
    new_code,
    tracking_digest,
)
from deliberation.services.meetings import upcoming_meetings
from extensions import db

# --- Opinions ------------------------------------------------------------------------


def opinions_open(meeting: Meeting) -> bool:
    return meeting.is_announced and utcnow() < meeting.ends_at


def submit_opinion(
    meeting: Meeting, *, agenda_item_id: int | None, category: str, author_name: str | None, body: str
) -> tuple[Opinion, str]:
    """Store an opinion (plain text); returns it and its tracking code (shown once)."""
    meeting = lock_meeting(meeting.id)
    if not meeting.is_announced or utcnow() >= meeting.ends_at:
        raise DeliberationError(409, _("会议已结束，意见征集已关闭。会后可以通过“回音”页面查看办理情况。"))
    if (
        agenda_item_id is not None
        and db.session.scalar(
            select(AgendaItem.id).where(AgendaItem.id == agenda_item_id, AgendaItem.meeting_id == meeting.id)
        )
        is None
    ):
        raise DeliberationError(422, _("所选议程不属于这次会议。"))
    body = body.strip()
    if not body:
        raise DeliberationError(422, _("请填写意见内容。"))
    code = new_code(TRACKING_CODE_LENGTH)
    opinion = Opinion(
        meeting_id=meeting.id,
        number=meeting.next_opinion,
        agenda_item_id=agenda_item_id,
        category=category,
        author_name=(author_name or "").strip() or None,
        body=body,
        stage="before" if utcnow() < meeting.starts_at else "during",
        tracking_hash=tracking_digest(code),
        hidden=False,
    )
    meeting.next_opinion += 1
    db.session.add(opinion)
    db.session.flush()
    audit.record(
        "meeting.opinion", "meeting", meeting.id, {"number": opinion.number, "anonymous": opinion.is_anonymous}
    )
    return opinion, code


def find_opinion_by_code(code_text: str | None) -> Opinion:
    digest = tracking_digest(code_text)
    if digest is None:
        raise DeliberationError(
            422, _("查询码格式不对：应为 16 位字母数字（不含 I、O、0、1），如 K7QF-M2XA-3PRT-9WXC。")
        )
    opinion = db.session.scalar(select(Opinion).where(Opinion.tracking_hash == digest))
    if opinion is None:
        raise DeliberationError(404, _("没有这个查询码对应的意见，请核对后重新输入。"))
    return opinion


def public_opinions(meeting: Meeting) -> list[Opinion]:
    return list(db.session.scalars(select(Opinion).where(Opinion.meeting_id == meeting.id).order_by(Opinion.number)))


def hide_opinion(opinion: Opinion, reason: str) -> None:
    """Hide an abusive opinion with a public reason; the text is kept, never deleted."""
    reason = reason.strip()
    if not reason:
        raise DeliberationError(422, _("隐藏意见必须填写公开的理由。"))
    opinion.hidden = True
    opinion.hidden_reason = reason
    opinion.hidden_at = utcnow()
    audit.record("opinion.hide", "opinion", opinion.id, {"number": opinion.number, "reason": reason})


def unhide_opinion(opinion: Opinion) -> None:
    if not opinion.hidden:
        raise DeliberationError(409, _("这条意见没有被隐藏。"))
    opinion.hidden = False
    audit.record("opinion.unhide", "opinion", opinion.id, {"number": opinion.number})


# --- Follow-up -----------------------------------------------------------------------


def assign(opinion: Opinion, lead_unit: LeadUnit, due_on: date | None = None) -> Reply:
    """Give the opinion a handling unit and a due date (status 待办)."""
    due_on = due_on or local_today() + timedelta(days=FOLLOWUP_DAYS)
    reply = opinion.reply
    if reply is None:
        reply = Reply(opinion=opinion, lead_unit=lead_unit, due_on=due_on, status=ReplyStatus.TODO)
        db.session.add(reply)
    else:
        if reply.is_done:
            raise DeliberationError(409, _("这条意见已经办结，不能再改交办单位。"))
        reply.lead_unit = lead_unit
        reply.due_on = due_on
    db.session.flush()
    audit.record("opinion.assign", "opinion", opinion.id, {"lead_unit": lead_unit.name, "due_on": due_on.isoformat()})
    return reply


def update_reply(reply: Reply, *, status: str, body: str | None, outcome: str | None) -> None:
    """The handling unit (or staff) records progress and the reply."""
    if reply.rating is not None:
        raise DeliberationError(409, _("提出人已经评价了答复，不能再修改。"))
    body = (body or "").strip() or None
    outcome = outcome or None
    if outcome is not None and outcome not in OUTCOMES:
        raise DeliberationError(422, _("办理结果不正确。"))
    if status == ReplyStatus.DONE and (body is None or outcome is None):
        raise DeliberationError(422, _("办结时必须填写答复内容并选择办理结果。"))
    reply.status = status
    reply.body = body
    reply.outcome = outcome
    if body is not None:
        reply.replied_at = utcnow()
    audit.record("opinion.reply", "opinion", reply.opinion_id, {"status": status, "outcome": outcome})


def rate_reply(code_text: str | None, rating: str) -> Reply:
    """The author rates the reply with the tracking code, once."""
    if rating not in RATINGS:
        raise DeliberationError(422, _("请选择满意、基本满意或不满意。"))
    opinion = find_opinion_by_code(code_text)
    reply = opinion.reply
    if reply is None or not reply.is_done:
        raise DeliberationError(409, _("这条意见还没有办结答复，办结后才能评价。"))
    done = db.session.execute(
        update(Reply).where(Reply.id == reply.id, Reply.rating.is_(None)).values(rating=rating, rated_at=utcnow())
    ).rowcount
    if not done:
        raise DeliberationError(409, _("这条答复已经评价过了，每条意见只能评价一次。"))
    db.session.refresh(reply)
    audit.record("opinion.rate", "opinion", opinion.id, {"rating": rating})
    return reply


def overdue_replies(today: date | None = None) -> list[Reply]:
    """Follow-ups not finished by their due date, oldest first."""
    return list(
        db.session.scalars(
            select(Reply)
            .where(Reply.status != ReplyStatus.DONE, Reply.due_on < (today or local_today()))
            .order_by(Reply.due_on, Reply.id)
        )
    )


def unit_replies(lead_unit_id: int) -> list[Reply]:
    return list(
        db.session.scalars(
            select(Reply)
            .where(Reply.lead_unit_id == lead_unit_id)
            .order_by(Reply.status == ReplyStatus.DONE, Reply.due_on, Reply.id)
        )
    )


def all_replies() -> list[Reply]:
    return list(db.session.scalars(select(Reply).order_by(Reply.status == ReplyStatus.DONE, Reply.due_on, Reply.id)))


def dashboard_items(today: date | None = None) -> dict:
    """Context of ``deliberation/_dashboard.html`` on the staff dashboard."""
    overdue = overdue_replies(today)
    return {
        "overdue": overdue[:20],
        "overdue_count": len(overdue),
        "upcoming": upcoming_meetings()[:5],
        "today": today or local_today(),
    }
