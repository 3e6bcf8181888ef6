"""The rules of a meeting's life: notice, sign-up, lot draw, check-in, opinions,
moderation, minutes, decisions, follow-up and the closing report.

Services flush but never commit (the view commits), except ``close_vote`` which
calls the ballot engine's ``close_poll`` (one transaction by the protocol's rule).
Refusals raise ``DeliberationError`` with a translated message and an HTTP status.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import nh3
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.errors import DomainError
from core.models import LeadUnit, User, utcnow
from core.times import local_time, local_today, to_local
from deliberation import lot
from deliberation.models import (
    OUTCOMES,
    RATINGS,
    AgendaItem,
    Decision,
    Meeting,
    Opinion,
    Reply,
    Signup,
    Speaker,
)
from extensions import db

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
SIGNUP_CODE_LENGTH = 8  # XXXX-XXXX: short enough to read out at the door
TRACKING_CODE_LENGTH = 12  # XXXX-XXXX-XXXX
MINUTES_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "u",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
MINUTES_ATTRIBUTES = {"a": {"href"}, "th": {"scope"}}
FOLLOWUP_DAYS = 14  # small matters are settled in about two weeks


class DeliberationError(DomainError):
    """A refused request: HTTP status and a message for the user (translated)."""

    def __init__(self, status: int, message: str):
        super().__init__(status, message)


# --- Codes ---------------------------------------------------------------------------


def new_code(length: int) -> str:
    """A random code from an unambiguous alphabet, grouped by four: ``K7QF-M2XA``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + 4] for i in range(0, length, 4))


def normalise_code(text: str | None, length: int) -> str | None:
    """Upper-case, drop spaces and hyphens; None unless it is a well-formed code."""
    if not text:
        return None
    cleaned = "".join(c for c in text.strip() if c not in " -").upper()
    if len(cleaned) != length or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


def _digest(kind: str, code: str) -> str:
    return hashlib.sha256(f"yishi-{kind}:{code}".encode()).hexdigest()


def signup_digest(text: str | None) -> str | None:
    code = normalise_code(text, SIGNUP_CODE_LENGTH)
    return _digest("signup", code) if code else None


def tracking_digest(text: str | None) -> str | None:
    code = normalise_code(text, TRACKING_CODE_LENGTH)
    return _digest("opinion", code) if code else None


def normalise_phone(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


# --- Locking -------------------------------------------------------------------------


def lock_meeting(meeting_id: int) -> Meeting:
    """Take the meeting's row lock and reload it: sign-ups, cancellations, promotions
    and numbering of one meeting serialise.

    PostgreSQL: SELECT … FOR UPDATE. SQLite: a no-op UPDATE as the transaction's first
    statement takes the database write lock (as ``voting.services._lock_log`` does).
    """
    query = select(Meeting).where(Meeting.id == meeting_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.scalars(query.with_for_update()).one()
    db.session.execute(update(Meeting).where(Meeting.id == meeting_id).values(next_number=Meeting.next_number))
    return db.session.scalars(query).one()


# --- Meetings ------------------------------------------------------------------------


def get_public_meeting(meeting_id: int) -> Meeting:
    """An announced or closed meeting; drafts are invisible (404)."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not meeting.is_public:
        raise DeliberationError(404, _("没有这次会议，或者它尚未公告。"))
    return meeting


def get_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise DeliberationError(404, _("没有这次会议。"))
    return meeting


def upcoming_meetings() -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting).where(Meeting.state == "announced", Meeting.ends_at >= utcnow()).order_by(Meeting.starts_at)
        )
    )


def past_meetings(limit: int = 50) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where((Meeting.state == "closed") | ((Meeting.state == "announced") & (Meeting.ends_at < utcnow())))
            .order_by(Meeting.starts_at.desc())
            .limit(limit)
        )
    )


def all_meetings() -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).order_by(Meeting.starts_at.desc())))


def create_meeting(**fields) -> Meeting:
    """A draft meeting; ``fields`` are the model's columns (times in UTC)."""
    meeting = Meeting(state="draft", **fields)
    _check_meeting(meeting)
    db.session.add(meeting)
    db.session.flush()
    audit.record("meeting.create", "meeting", meeting.id, {"topic": meeting.topic, "kind": meeting.kind})
    return meeting


def update_meeting(meeting: Meeting, **fields) -> None:
    """Edit a meeting; after the notice, the sign-up rules can no longer change."""
    if meeting.state == "closed":
        raise DeliberationError(409, _("会议已结束，不能再修改。"))
    if meeting.state == "announced":
        for key in ("signup_mode", "capacity", "waitlist"):
            if key in fields and fields[key] != getattr(meeting, key):
                raise DeliberationError(409, _("公告发布后不能再修改报名方式、名额和候补名额。"))
    changed = {k: str(v) for k, v in fields.items() if getattr(meeting, k) != v}
    for key, value in fields.items():
        setattr(meeting, key, value)
    _check_meeting(meeting)
    audit.record("meeting.update", "meeting", meeting.id, {"changed": sorted(changed)})


def _check_meeting(meeting: Meeting) -> None:
    if meeting.ends_at <= meeting.starts_at:
        raise DeliberationError(422, _("结束时间必须晚于开始时间。"))
    if meeting.signup_deadline > meeting.starts_at:
        raise DeliberationError(422, _("报名截止时间不能晚于会议开始时间。"))
    if meeting.kind == "council" and not meeting.members:
        raise DeliberationError(422, _("居民议事会须填写议事会成员人数（用于三分之二法定人数）。"))


def add_agenda_item(meeting: Meeting, title: str, description: str = "") -> AgendaItem:
    if meeting.state == "closed":
        raise DeliberationError(409, _("会议已结束，不能再修改议程。"))
    position = (
        db.session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)) or 0
    ) + 1
    item = AgendaItem(meeting=meeting, position=position, title=title, description=description)
    db.session.add(item)
    db.session.flush()
    audit.record("meeting.agenda_add", "meeting", meeting.id, {"position": position, "title": title})
    return item


def notice_days(meeting: Meeting, today: date | None = None) -> int:
    """Whole days between today and the meeting's day (local time)."""
    return (to_local(meeting.starts_at).date() - (today or local_today())).days


def required_notice_days() -> int:
    return current_app.config["YISHI_NOTICE_DAYS"]


def short_notice(meeting: Meeting) -> bool:
    return notice_days(meeting) < required_notice_days()


def announce(meeting: Meeting, *, confirm_short_notice: bool = False) -> None:
    """Publish the notice. Short notice needs the staff member's explicit confirmation."""
    if meeting.state != "draft":
        raise DeliberationError(409, _("这次会议已经公告过了。"))
    if not meeting.agenda:
        raise DeliberationError(422, _("请先添加至少一项议程，再发布公告。"))
    now = utcnow()
    if meeting.starts_at <= now:
        raise DeliberationError(422, _("会议开始时间已过，不能发布公告。"))
    if meeting.signup_deadline <= now:
        raise DeliberationError(422, _("报名截止时间已过，请先修改报名截止时间。"))
    days, required = notice_days(meeting), required_notice_days()
    if days < required and not confirm_short_notice:
        raise DeliberationError(
            422,
            _(
                "距会议开始只有 %(days)s 天，少于规定的 %(required)s 天公告期。"
                "如确需发布，请勾选“公告期不足，仍然发布”后再提交。",
                days=days,
                required=required,
            ),
        )
    meeting.state = "announced"
    meeting.announced_at = now
    if meeting.is_lot:
        meeting.lot_seed = secrets.token_hex(16)
        meeting.lot_seed_sha256 = lot.seed_commitment(meeting.lot_seed)
    audit.record(
        "meeting.announce",
        "meeting",
        meeting.id,
        {"notice_days": days, "short_notice": days < required, "seed_sha256": meeting.lot_seed_sha256},
    )


def close_meeting(meeting: Meeting) -> None:
    """End the meeting: no more sign-ups, check-ins or opinions; follow-up goes on."""
    if meeting.state != "announced":
        raise DeliberationError(409, _("只有已公告的会议才能结束。"))
    if any(d.state == "voting" for d in meeting.decisions):
        raise DeliberationError(409, _("还有正在进行的表决，请先结束表决。"))
    meeting.state = "closed"
    meeting.closed_at = utcnow()
    audit.record("meeting.close", "meeting", meeting.id, attendance(meeting))


# --- Sign-up -------------------------------------------------------------------------


def _status_count(meeting_id: int, status: str) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Signup).where(Signup.meeting_id == meeting_id, Signup.status == status)
        )
        or 0
    )


def signups_open(meeting: Meeting) -> bool:
    return meeting.state == "announced" and utcnow() < meeting.signup_deadline and not meeting.lot_drawn_at


def sign_up(meeting: Meeting, *, name: str, phone: str, area: str) -> tuple[Signup, str]:
    """Register someone; returns the sign-up and its code (shown once, stored hashed)."""
    meeting = lock_meeting(meeting.id)
    if meeting.state != "announced":
        raise DeliberationError(409, _("会议已结束，不能再报名。"))
    if utcnow() >= meeting.signup_deadline or meeting.lot_drawn_at:
        raise DeliberationError(409, _("报名已于 %(when)s 截止。", when=local_time(meeting.signup_deadline)))
    phone = normalise_phone(phone)
    duplicate = db.session.scalar(
        select(Signup.id).where(Signup.meeting_id == meeting.id, Signup.phone == phone, Signup.status != "cancelled")
    )
    if duplicate is not None:
        raise DeliberationError(
            409, _("这个手机号已经报名了本次会议，不能重复报名。如需更改，请先用报名码取消原报名。")
        )
    queue = None
    if meeting.is_lot:
        status = "applied"
    elif _status_count(meeting.id, "confirmed") < meeting.capacity:
        status = "confirmed"
    elif _status_count(meeting.id, "waiting") < meeting.waitlist:
        status = "waiting"
        queue = (db.session.scalar(select(func.max(Signup.queue)).where(Signup.meeting_id == meeting.id)) or 0) + 1
    else:
        raise DeliberationError(
            409,
            _(
                "名额已满：%(capacity)s 个参会名额和 %(waitlist)s 个候补名额都已报满。",
                capacity=meeting.capacity,
                waitlist=meeting.waitlist,
            ),
        )
    code = new_code(SIGNUP_CODE_LENGTH)
    while db.session.scalar(select(Signup.id).where(Signup.code_hash == signup_digest(code))) is not None:
        code = new_code(SIGNUP_CODE_LENGTH)
    signup = Signup(
        meeting_id=meeting.id,
        number=meeting.next_number,
        code_hash=signup_digest(code),
        name=name.strip(),
        phone=phone,
        area=area.strip(),
        status=status,
        queue=queue,
    )
    meeting.next_number += 1
    db.session.add(signup)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the partial unique index on the phone
        db.session.rollback()
        raise DeliberationError(409, _("这个手机号已经报名了本次会议，不能重复报名。")) from exc
    audit.record("meeting.signup", "meeting", meeting.id, {"number": signup.number, "status": status})
    return signup, code


def find_signup(meeting: Meeting, code_text: str | None) -> Signup:
    digest = signup_digest(code_text)
    if digest is None:
        raise DeliberationError(422, _("报名码格式不对：应为 8 位字母数字（不含 I、O、0、1），如 K7QF-M2XA。"))
    signup = db.session.scalars(
        select(Signup)
        .where(Signup.meeting_id == meeting.id, Signup.code_hash == digest)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if signup is None:
        raise DeliberationError(404, _("本次会议没有这个报名码，请核对后重新输入。"))
    return signup


def cancel_signup(meeting: Meeting, code_text: str | None) -> tuple[Signup, Signup | None]:
    """Cancel by code; a freed place goes to the first on the waiting list.

    Under the meeting lock, so concurrent cancellations promote different people,
    each once.
    """
    if signup_digest(code_text) is None:
        find_signup(meeting, code_text)  # raises the format message
    meeting = lock_meeting(meeting.id)
    signup = find_signup(meeting, code_text)
    if signup.status == "cancelled":
        raise DeliberationError(409, _("这个报名已经取消过了。"))
    if meeting.state != "announced":
        raise DeliberationError(409, _("会议已结束，不能再取消报名。"))
    if signup.checked_in_at is not None:
        raise DeliberationError(409, _("已经签到的报名不能取消。"))
    freed = signup.status == "confirmed"
    signup.status = "cancelled"
    signup.queue = None
    signup.cancelled_at = utcnow()
    db.session.flush()
    audit.record("meeting.signup_cancel", "meeting", meeting.id, {"number": signup.number})
    promoted = promote_next(meeting) if freed else None
    return signup, promoted


def promote_next(meeting: Meeting) -> Signup | None:
    """Give a free place to the first on the waiting list (caller holds the lock)."""
    if _status_count(meeting.id, "confirmed") >= meeting.capacity:
        return None
    first = db.session.scalars(
        select(Signup)
        .where(Signup.meeting_id == meeting.id, Signup.status == "waiting")
        .order_by(Signup.queue, Signup.number)
        .limit(1)
        .execution_options(populate_existing=True)
    ).first()
    if first is None:
        return None
    first.status = "confirmed"
    first.queue = None
    first.promoted_at = utcnow()
    db.session.flush()
    audit.record("meeting.signup_promote", "meeting", meeting.id, {"number": first.number})
    return first


def waiting_position(signup: Signup) -> int | None:
    if signup.status != "waiting":
        return None
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.meeting_id == signup.meeting_id, Signup.status == "waiting", Signup.queue < signup.queue)
        )
        or 0
    ) + 1


# --- Lot draw ------------------------------------------------------------------------


def draw_lot(meeting: Meeting) -> tuple[list[int], list[int]]:
    """Draw the participants among the applicants with the committed seed."""
    meeting = lock_meeting(meeting.id)
    if not meeting.is_lot:
        raise DeliberationError(409, _("这次会议不是抽签报名。"))
    if meeting.state != "announced":
        raise DeliberationError(409, _("只有已公告、未结束的会议才能抽签。"))
    if meeting.lot_drawn_at is not None:
        raise DeliberationError(409, _("已经抽过签了，抽签结果不能更改。"))
    if utcnow() < meeting.signup_deadline:
        raise DeliberationError(409, _("报名截止后才能抽签。"))
    applicants = {
        s.number: s
        for s in db.session.scalars(select(Signup).where(Signup.meeting_id == meeting.id, Signup.status == "applied"))
    }
    drawn, waiting = lot.draw(meeting.lot_seed, sorted(applicants), meeting.capacity)
    for number in drawn:
        applicants[number].status = "confirmed"
    for place, number in enumerate(waiting, start=1):
        applicants[number].status = "waiting"
        applicants[number].queue = place
    meeting.lot_entrants = sorted(applicants)
    meeting.lot_drawn_at = utcnow()
    audit.record(
        "meeting.lot_draw",
        "meeting",
        meeting.id,
        {"seed": meeting.lot_seed, "algorithm": lot.ALGORITHM, "entrants": len(applicants), "drawn": len(drawn)},
    )
    return drawn, waiting


def draw_record(meeting: Meeting) -> dict:
    """The public record of the draw: enough to re-run it (seed, entrants, places)."""
    record = {
        "meeting": meeting.id,
        "algorithm": lot.ALGORITHM,
        "capacity": meeting.capacity,
        "seed_sha256": meeting.lot_seed_sha256,
        "drawn_at": None,
        "seed": None,
        "entrants": [],
        "order": [],
        "drawn": [],
    }
    if meeting.lot_drawn_at is not None:
        order = lot.draw_order(meeting.lot_seed, meeting.lot_entrants or [])
        record.update(
            seed=meeting.lot_seed,
            drawn_at=meeting.lot_drawn_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            entrants=meeting.lot_entrants or [],
            order=order,
            drawn=order[: meeting.capacity],
        )
    return record


# --- Check-in ------------------------------------------------------------------------


@dataclass
class CheckInOutcome:
    signup: Signup
    already: bool


def check_in(meeting: Meeting, code_text: str | None, by: User | None) -> CheckInOutcome:
    """Check a participant in at the door by registration code (typed or scanned)."""
    if meeting.state != "announced":
        raise DeliberationError(409, _("只有已公告、未结束的会议才能签到。"))
    signup = find_signup(meeting, code_text)
    if signup.status == "cancelled":
        raise DeliberationError(409, _("报名序号 %(n)s 已取消，不能签到。", n=signup.number))
    if signup.status == "waiting":
        raise DeliberationError(409, _("报名序号 %(n)s 仍在候补名单上，尚未获得参会名额。", n=signup.number))
    if signup.status == "applied":
        raise DeliberationError(409, _("还没有抽签，报名序号 %(n)s 尚未确定能否参会。", n=signup.number))
    done = db.session.execute(
        update(Signup)
        .where(Signup.id == signup.id, Signup.checked_in_at.is_(None))
        .values(checked_in_at=utcnow(), checked_in_by=by.id if by else None)
    ).rowcount
    if not done:
        return CheckInOutcome(signup, True)
    db.session.refresh(signup)
    audit.record("meeting.checkin", "meeting", meeting.id, {"number": signup.number})
    return CheckInOutcome(signup, False)


def attendance(meeting: Meeting) -> dict:
    rows = dict(
        db.session.execute(
            select(Signup.status, func.count()).where(Signup.meeting_id == meeting.id).group_by(Signup.status)
        ).all()
    )
    present = (
        db.session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.meeting_id == meeting.id, Signup.checked_in_at.is_not(None))
        )
        or 0
    )
    return {
        "capacity": meeting.capacity,
        "applied": rows.get("applied", 0),
        "confirmed": rows.get("confirmed", 0),
        "waiting": rows.get("waiting", 0),
        "cancelled": rows.get("cancelled", 0),
        "present": present,
    }


def present_count(meeting: Meeting) -> int:
    return attendance(meeting)["present"]


def quorum_met(members: int | None, present: int) -> bool:
    """Two thirds of the members must be present (no rule without a member count)."""
    return members is None or 3 * present >= 2 * members


# --- Opinions ------------------------------------------------------------------------


def opinions_open(meeting: Meeting) -> bool:
    return meeting.state == "announced" and utcnow() < meeting.ends_at


def submit_opinion(
    meeting: Meeting, *, agenda_item_id: int | None, category: str, author_name: str | None, body: str
) -> tuple[Opinion, str]:
    """Store an opinion (plain text); returns it and its tracking code (shown once)."""
    meeting = lock_meeting(meeting.id)
    if meeting.state != "announced" or utcnow() >= meeting.ends_at:
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
        raise DeliberationError(422, _("查询码格式不对：应为 12 位字母数字（不含 I、O、0、1），如 K7QF-M2XA-3PRT。"))
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
        reply = Reply(opinion=opinion, lead_unit=lead_unit, due_on=due_on, status="todo")
        db.session.add(reply)
    else:
        if reply.status == "done":
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
    if status == "done" and (body is None or outcome is None):
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
    if reply is None or reply.status != "done":
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
            .where(Reply.status != "done", Reply.due_on < (today or local_today()))
            .order_by(Reply.due_on, Reply.id)
        )
    )


def unit_replies(lead_unit_id: int) -> list[Reply]:
    return list(
        db.session.scalars(
            select(Reply)
            .where(Reply.lead_unit_id == lead_unit_id)
            .order_by(Reply.status == "done", Reply.due_on, Reply.id)
        )
    )


def all_replies() -> list[Reply]:
    return list(db.session.scalars(select(Reply).order_by(Reply.status == "done", Reply.due_on, Reply.id)))


def dashboard_items(today: date | None = None) -> dict:
    """Context of ``deliberation/_dashboard.html`` on the staff dashboard."""
    overdue = overdue_replies(today)
    return {
        "overdue": overdue[:20],
        "overdue_count": len(overdue),
        "upcoming": upcoming_meetings()[:5],
        "today": today or local_today(),
    }


# --- Minutes and speakers ------------------------------------------------------------


def sanitise_minutes(html: str) -> str:
    return nh3.clean(
        html,
        tags=MINUTES_TAGS,
        attributes=MINUTES_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def save_minutes(meeting: Meeting, html: str) -> bool:
    """Store the minutes sanitised; True when something unsafe or unsupported was removed."""
    if meeting.state == "draft":
        raise DeliberationError(409, _("会议尚未公告，不能记录会议纪要。"))
    clean = sanitise_minutes(html)
    meeting.minutes_html = clean
    meeting.minutes_updated_at = utcnow()
    audit.record("meeting.minutes", "meeting", meeting.id, {"length": len(clean)})
    return _normalised(clean) != _normalised(html)


def _normalised(html: str) -> str:
    return "".join(html.split()).replace("<br/>", "<br>").replace("<br />", "<br>")


def add_speaker(meeting: Meeting, *, name: str, affiliation: str, summary: str, agenda_item_id: int | None) -> Speaker:
    if meeting.state == "draft":
        raise DeliberationError(409, _("会议尚未公告，不能记录发言。"))
    position = (db.session.scalar(select(func.max(Speaker.position)).where(Speaker.meeting_id == meeting.id)) or 0) + 1
    speaker = Speaker(
        meeting=meeting,
        position=position,
        name=name.strip(),
        affiliation=affiliation.strip(),
        summary=summary.strip(),
        agenda_item_id=agenda_item_id,
    )
    db.session.add(speaker)
    db.session.flush()
    audit.record("meeting.speaker", "meeting", meeting.id, {"position": position})
    return speaker


# --- Decisions -----------------------------------------------------------------------


def add_decision(meeting: Meeting, *, title: str, method: str, agenda_item_id: int | None) -> Decision:
    """A motion to decide; an on-the-spot vote gets a draft code poll of the ballot engine."""
    from voting import services as polls
    from voting import specs

    if meeting.state != "announced":
        raise DeliberationError(409, _("只有已公告、未结束的会议才能表决。"))
    decision = Decision(
        meeting=meeting, title=title.strip(), method=method, state="pending", agenda_item_id=agenda_item_id
    )
    db.session.add(decision)
    db.session.flush()
    if method == "vote":
        decision.poll = polls.create_poll(
            public_id=f"yishi-meeting-{meeting.id}-decision-{decision.id}",
            title=f"{meeting.topic}：{decision.title}"[:200],
            ballot="approval",
            secrecy="code",
            options=[decision.title],
            poll_rules=specs.build_rules("approval", base="present", more_than="1/2"),
            purpose="meeting",
        ).poll
    audit.record(
        "meeting.decision_add",
        "meeting",
        meeting.id,
        {"decision": decision.id, "method": method, "title": decision.title},
    )
    return decision


def record_hands(decision: Decision, *, yes: int, no: int, abstain: int) -> None:
    """Record a show of hands as counts, with the quorum checked against attendance."""
    if decision.method != "hands":
        raise DeliberationError(409, _("这项决定采用现场扫码表决，结果由投票系统计票。"))
    if decision.state == "recorded":
        raise DeliberationError(409, _("这项决定的表决结果已经记录，不能更改。"))
    present = present_count(decision.meeting)
    if yes + no + abstain > present:
        raise DeliberationError(
            422, _("表决人数 %(total)s 超过了实到人数 %(present)s，请核对。", total=yes + no + abstain, present=present)
        )
    _record(decision, yes=yes, no=no, abstain=abstain, present=present, majority=2 * yes > present)


def _record(decision: Decision, *, yes: int, no: int, abstain: int, present: int, majority: bool) -> None:
    members = decision.meeting.members
    quorum = quorum_met(members, present)
    decision.yes, decision.no, decision.abstain = yes, no, abstain
    decision.present, decision.members = present, members
    decision.quorum_met = quorum
    decision.passed = quorum and majority
    decision.state = "recorded"
    decision.recorded_at = utcnow()
    audit.record(
        "meeting.decision_record",
        "meeting",
        decision.meeting_id,
        {
            "decision": decision.id,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "present": present,
            "quorum_met": quorum,
            "passed": decision.passed,
        },
    )


def issue_vote_codes(decision: Decision) -> list[str]:
    """One-time codes for everyone checked in, to hand out in the hall; shown once."""
    from voting import services as polls

    if decision.method != "vote" or decision.state != "pending":
        raise DeliberationError(409, _("只能为尚未开始的现场表决生成表决码。"))
    present = present_count(decision.meeting)
    if present == 0:
        raise DeliberationError(422, _("还没有人签到，无法生成表决码。"))
    codes = polls.generate_codes(decision.poll, present)
    audit.record("meeting.decision_codes", "meeting", decision.meeting_id, {"decision": decision.id, "count": present})
    return codes


def open_vote(decision: Decision) -> None:
    from voting import services as polls

    if decision.method != "vote" or decision.state != "pending":
        raise DeliberationError(409, _("这项表决已经开始或已经结束。"))
    polls.open_poll(decision.poll)
    decision.state = "voting"
    audit.record("meeting.decision_open", "meeting", decision.meeting_id, {"decision": decision.id})


def close_vote(decision: Decision) -> None:
    """Close the poll (the engine commits), then record its counts on the decision."""
    from voting import services as polls

    if decision.method != "vote" or decision.state != "voting":
        raise DeliberationError(409, _("这项表决不在进行中。"))
    decision_id = decision.id
    if decision.poll.state == "open":
        polls.close_poll(decision.poll)
    decision = db.session.get(Decision, decision_id)
    result = decision.poll.result
    option = result["options"][0]
    _record(
        decision,
        yes=option["yes"],
        no=option["no"],
        abstain=option["abstain"],
        present=result["present"],
        majority=bool(option["passed"]),
    )


# --- Reports -------------------------------------------------------------------------


def closing_report(meeting: Meeting) -> dict:
    """Attendance, opinions, how many adopted, satisfaction: the closing report."""
    from voting.tally import rate_percent

    opinions = public_opinions(meeting)
    replies = [o.reply for o in opinions if o.reply is not None]
    done = [r for r in replies if r.status == "done"]
    rating_counts = Counter(r.rating for r in done)
    ratings = {key: rating_counts[key] for key in RATINGS}
    rated = sum(ratings.values())
    outcome_counts = Counter(r.outcome for r in done)
    outcomes = {key: outcome_counts[key] for key in OUTCOMES}
    stages = Counter(o.stage for o in opinions)
    return {
        "attendance": attendance(meeting),
        "opinions": len(opinions),
        "hidden": sum(o.hidden for o in opinions),
        "anonymous": sum(o.is_anonymous for o in opinions),
        "before": stages["before"],
        "during": stages["during"],
        "assigned": len(replies),
        "done": len(done),
        "outcomes": outcomes,
        "adopted": outcomes["adopted"] + outcomes["partly"],
        "ratings": ratings,
        "rated": rated,
        "satisfaction": rate_percent(f"{ratings['satisfied'] + ratings['basic']}/{rated}"),
        "decisions": [d for d in meeting.decisions if d.state == "recorded"],
    }
