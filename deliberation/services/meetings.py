"""Meetings: create, edit, agenda, notice, announce, close; minutes and speakers."""

from __future__ import annotations

import secrets
from datetime import date

import nh3
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.models import utcnow
from core.times import local_today, to_local
from deliberation import lot
from deliberation.models import (
    AgendaItem,
    Meeting,
    MeetingState,
    Speaker,
)
from deliberation.services.common import (
    MINUTES_ATTRIBUTES,
    MINUTES_TAGS,
    DeliberationError,
    seal_lot_secret,
)
from deliberation.services.signups import attendance
from extensions import db

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
            select(Meeting)
            .where(Meeting.state == MeetingState.ANNOUNCED, Meeting.ends_at >= utcnow())
            .order_by(Meeting.starts_at)
        )
    )


def past_meetings(limit: int = 50) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                (Meeting.state == MeetingState.CLOSED)
                | ((Meeting.state == MeetingState.ANNOUNCED) & (Meeting.ends_at < utcnow()))
            )
            .order_by(Meeting.starts_at.desc())
            .limit(limit)
        )
    )


def all_meetings() -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).order_by(Meeting.starts_at.desc())))


def create_meeting(**fields) -> Meeting:
    """A draft meeting; ``fields`` are the model's columns (times in UTC)."""
    meeting = Meeting(state=MeetingState.DRAFT, **fields)
    _check_meeting(meeting)
    db.session.add(meeting)
    db.session.flush()
    audit.record("meeting.create", "meeting", meeting.id, {"topic": meeting.topic, "kind": meeting.kind})
    return meeting


def update_meeting(meeting: Meeting, **fields) -> None:
    """Edit a meeting; after the notice, the sign-up rules can no longer change."""
    if meeting.is_closed:
        raise DeliberationError(409, _("会议已结束，不能再修改。"))
    if meeting.is_announced:
        for key in ("signup_mode", "capacity", "waitlist"):
            if key in fields and fields[key] != getattr(meeting, key):
                raise DeliberationError(409, _("公告发布后不能再修改报名方式、名额和候补名额。"))
    changed = {k: str(v) for k, v in fields.items() if getattr(meeting, k) != v}
    for key, value in fields.items():
        setattr(meeting, key, value)
    _check_meeting(meeting)
    audit.record("meeting.update", "meeting", meeting.id, {"changed": sorted(changed)})


def delete_meeting(meeting: Meeting) -> None:
    """Delete a draft (never announced: nobody has seen or signed up for it)."""
    if not meeting.is_draft:
        raise DeliberationError(409, _("会议已经公告，不能删除；不再举行时请结束会议。"))
    if meeting.signups or meeting.opinions or meeting.speakers or meeting.decisions:
        raise DeliberationError(409, _("这次会议已有报名、意见或表决记录，不能删除。"))
    audit.record("meeting.delete", "meeting", meeting.id, {"topic": meeting.topic, "kind": meeting.kind})
    db.session.delete(meeting)  # its agenda goes with it (cascade)
    db.session.flush()


def _check_meeting(meeting: Meeting) -> None:
    if meeting.ends_at <= meeting.starts_at:
        raise DeliberationError(422, _("结束时间必须晚于开始时间。"))
    if meeting.signup_deadline > meeting.starts_at:
        raise DeliberationError(422, _("报名截止时间不能晚于会议开始时间。"))
    if meeting.kind == "council" and not meeting.members:
        raise DeliberationError(422, _("居民议事会须填写议事会成员人数（用于三分之二法定人数）。"))
    if meeting.is_lot and meeting.lot_algorithm != lot.ALGORITHM_V1:
        _check_beacon(meeting)


def _check_beacon(meeting: Meeting) -> None:
    """A lot draw names, before sign-up, a public value published after sign-up closes."""
    if not (meeting.lot_beacon_source or "").strip() or meeting.lot_beacon_date is None:
        raise DeliberationError(
            422,
            _("抽签报名须写明公开随机源及其公布日期（例如某日开奖的福利彩票号码），它要在报名截止后才公布。"),
        )
    deadline_day = to_local(meeting.signup_deadline).date()
    if meeting.lot_beacon_date <= deadline_day:
        raise DeliberationError(
            422,
            _(
                "公开随机源的公布日期须晚于报名截止日（%(day)s），这样报名期间没有人能知道它。",
                day=deadline_day.isoformat(),
            ),
        )


def add_agenda_item(meeting: Meeting, title: str, description: str = "") -> AgendaItem:
    if meeting.is_closed:
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
    if not meeting.is_draft:
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
    if meeting.is_lot:
        _check_beacon(meeting)
    meeting.state = MeetingState.ANNOUNCED
    meeting.announced_at = now
    if meeting.is_lot:
        # The secret is sealed at once: neither the database nor a backup holds it in
        # the clear before the draw (deliberation.lot, yishi-lot/2).
        secret = secrets.token_hex(32)
        meeting.lot_algorithm = lot.ALGORITHM
        meeting.lot_secret_enc = seal_lot_secret(meeting, secret)
        meeting.lot_seed_sha256 = lot.seed_commitment(secret)
    audit.record(
        "meeting.announce",
        "meeting",
        meeting.id,
        {"notice_days": days, "short_notice": days < required, "seed_sha256": meeting.lot_seed_sha256},
    )


def close_meeting(meeting: Meeting) -> None:
    """End the meeting: no more sign-ups, check-ins or opinions; follow-up goes on."""
    if not meeting.is_announced:
        raise DeliberationError(409, _("只有已公告的会议才能结束。"))
    if any(d.is_voting for d in meeting.decisions):
        raise DeliberationError(409, _("还有正在进行的表决，请先结束表决。"))
    meeting.state = MeetingState.CLOSED
    meeting.closed_at = utcnow()
    audit.record("meeting.close", "meeting", meeting.id, attendance(meeting))


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
    if meeting.is_draft:
        raise DeliberationError(409, _("会议尚未公告，不能记录会议纪要。"))
    clean = sanitise_minutes(html)
    meeting.minutes_html = clean
    meeting.minutes_updated_at = utcnow()
    audit.record("meeting.minutes", "meeting", meeting.id, {"length": len(clean)})
    return _normalised(clean) != _normalised(html)


def _normalised(html: str) -> str:
    return "".join(html.split()).replace("<br/>", "<br>").replace("<br />", "<br>")


def add_speaker(meeting: Meeting, *, name: str, affiliation: str, summary: str, agenda_item_id: int | None) -> Speaker:
    if meeting.is_draft:
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
