"""Meetings, their agenda, sign-ups, opinions and their follow-up, speakers and decisions.

Times are stored in UTC (naive); pages show them in the configured time zone.
Registration and tracking codes are stored only as SHA-256 hashes: they are shown
once to their holder, and the database alone cannot be used to cancel a sign-up or
rate a reply in someone's name.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import LeadUnit, utcnow
from extensions import db
from voting.models import Poll


class MeetingState(StrEnum):
    """The values of ``Meeting.state``: a draft, announced (public, sign-up), closed."""

    DRAFT = "draft"
    ANNOUNCED = "announced"
    CLOSED = "closed"


class SignupStatus(StrEnum):
    """The values of ``Signup.status``: applied (waiting for the lot), confirmed,
    waiting (on the waiting list), cancelled."""

    APPLIED = "applied"
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class ReplyStatus(StrEnum):
    """The values of ``Reply.status`` (follow-up of an opinion)."""

    TODO = "todo"
    DOING = "doing"
    DONE = "done"


class DecisionState(StrEnum):
    """The values of ``Decision.state``: pending, voting (its code poll is open), recorded."""

    PENDING = "pending"
    VOTING = "voting"
    RECORDED = "recorded"


MEETING_KINDS = {
    "consultation": _l("民主恳谈会"),
    "council": _l("居民议事会"),
    "forum": _l("协商座谈会"),
    "analysis": _l("民情分析会"),
    "followup": _l("跟踪督办会"),
    "hearing": _l("人民听证"),
    "budget": _l("参与式预算"),
}
MEETING_STATES = {
    MeetingState.DRAFT: _l("草稿"),
    MeetingState.ANNOUNCED: _l("已公告"),
    MeetingState.CLOSED: _l("已结束"),
}
SIGNUP_MODES = {"open": _l("先到先得（满额后候补）"), "lot": _l("抽签确定")}
SIGNUP_STATES = {
    SignupStatus.APPLIED: _l("待抽签"),
    SignupStatus.CONFIRMED: _l("已确认"),
    SignupStatus.WAITING: _l("候补"),
    SignupStatus.CANCELLED: _l("已取消"),
}
OPINION_CATEGORIES = {
    "suggestion": _l("建议"),
    "concern": _l("意见"),
    "question": _l("询问"),
    "other": _l("其他"),
}
FOLLOWUP_STATES = {ReplyStatus.TODO: _l("待办"), ReplyStatus.DOING: _l("办理中"), ReplyStatus.DONE: _l("已办结")}
OUTCOMES = {
    "adopted": _l("采纳"),
    "partly": _l("部分采纳"),
    "reference": _l("留作参考"),
    "explained": _l("解释说明"),
}
RATINGS = {"satisfied": _l("满意"), "basic": _l("基本满意"), "dissatisfied": _l("不满意")}
DECISION_METHODS = {"hands": _l("举手表决"), "vote": _l("现场扫码表决")}
DECISION_STATES = {
    DecisionState.PENDING: _l("待表决"),
    DecisionState.VOTING: _l("表决中"),
    DecisionState.RECORDED: _l("已记录"),
}


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Meeting(db.Model):
    """A deliberative meeting: 民主恳谈会, 居民议事会 …, from notice to closing report."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint(_in("kind", MEETING_KINDS), name="kind"),
        CheckConstraint(_in("state", MEETING_STATES), name="state"),
        CheckConstraint(_in("signup_mode", SIGNUP_MODES), name="signup_mode"),
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("waitlist >= 0", name="waitlist"),
        CheckConstraint("members IS NULL OR members >= 1", name="members"),
        CheckConstraint("ends_at > starts_at", name="times"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(200))  # 议题
    description: Mapped[str] = mapped_column(Text, default="")
    proposed_by: Mapped[str] = mapped_column(String(120), default="")  # 议题提出人（书面署名）
    organiser: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int] = mapped_column(Integer)
    waitlist: Mapped[int] = mapped_column(Integer, default=0)  # places on the waiting list
    signup_mode: Mapped[str] = mapped_column(String(8), default="open")
    signup_deadline: Mapped[datetime] = mapped_column(DateTime)
    # Council members: the quorum is two thirds of them (None: no quorum rule).
    members: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default=MeetingState.DRAFT, index=True)
    congress_id: Mapped[int | None] = mapped_column(ForeignKey("congress.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    announced_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The lot draw (see deliberation.lot). yishi-lot/2: at the notice a secret is made,
    # sealed under the key-encryption key (lot_secret_enc) and committed to
    # (lot_seed_sha256 = its SHA-256), and a public randomness source is named with the
    # date its value is published; at the draw staff enter that value, the secret is
    # revealed (lot_secret) and the seed derived (lot_seed). yishi-lot/1 (older
    # meetings): lot_seed was made at the notice and lot_seed_sha256 is its SHA-256.
    lot_algorithm: Mapped[str | None] = mapped_column(String(16))
    lot_seed: Mapped[str | None] = mapped_column(String(64))
    lot_seed_sha256: Mapped[str | None] = mapped_column(String(64))
    lot_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    lot_secret: Mapped[str | None] = mapped_column(String(64))
    lot_beacon_source: Mapped[str | None] = mapped_column(String(300))
    lot_beacon_date: Mapped[date | None] = mapped_column(Date)
    lot_beacon_value: Mapped[str | None] = mapped_column(String(300))
    lot_entrants_sha256: Mapped[str | None] = mapped_column(String(64))
    lot_drawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    lot_entrants: Mapped[list | None] = mapped_column(JSON)  # sign-up numbers in the draw
    minutes_html: Mapped[str] = mapped_column(Text, default="")  # sanitised with nh3
    minutes_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    next_number: Mapped[int] = mapped_column(Integer, default=1)  # unused since sign-up numbers are random
    next_opinion: Mapped[int] = mapped_column(Integer, default=1)  # opinion numbers

    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    signups: Mapped[list[Signup]] = relationship(back_populates="meeting", order_by="Signup.number")
    opinions: Mapped[list[Opinion]] = relationship(back_populates="meeting", order_by="Opinion.number")
    speakers: Mapped[list[Speaker]] = relationship(back_populates="meeting", order_by="Speaker.position")
    decisions: Mapped[list[Decision]] = relationship(back_populates="meeting", order_by="Decision.id")

    @property
    def kind_label(self) -> str:
        return str(MEETING_KINDS[self.kind])

    @property
    def state_label(self) -> str:
        return str(MEETING_STATES[self.state])

    @property
    def is_draft(self) -> bool:
        return self.state == MeetingState.DRAFT

    @property
    def is_announced(self) -> bool:
        """Announced and not closed: sign-up, opinions, check-in and decisions happen now."""
        return self.state == MeetingState.ANNOUNCED

    @property
    def is_closed(self) -> bool:
        return self.state == MeetingState.CLOSED

    @property
    def is_public(self) -> bool:
        return self.state in (MeetingState.ANNOUNCED, MeetingState.CLOSED)

    @property
    def is_lot(self) -> bool:
        return self.signup_mode == "lot"


class AgendaItem(db.Model):
    """One item of the meeting's agenda, in order."""

    __tablename__ = "meeting_agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")


class Signup(db.Model):
    """旁听/参会报名: name and area are shown to staff; the phone is private to staff."""

    __tablename__ = "meeting_signup"
    __table_args__ = (
        UniqueConstraint("meeting_id", "number"),
        CheckConstraint(_in("status", SIGNUP_STATES), name="status"),
        # One live sign-up per phone per meeting (cancelled ones do not count).
        Index(
            "uq_meeting_signup_live_phone",
            "meeting_id",
            "phone",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # public sign-up number (报名序号), random
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20))  # private
    area: Mapped[str] = mapped_column(String(120))  # 居住小区 / 村（社区）
    status: Mapped[str] = mapped_column(String(12))
    queue: Mapped[int | None] = mapped_column(Integer)  # order on the waiting list
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="signups")

    @property
    def status_label(self) -> str:
        return str(SIGNUP_STATES[self.status])

    @property
    def is_applied(self) -> bool:
        """Signed up for a lot meeting, before the draw."""
        return self.status == SignupStatus.APPLIED

    @property
    def is_confirmed(self) -> bool:
        return self.status == SignupStatus.CONFIRMED

    @property
    def is_waiting(self) -> bool:
        """On the waiting list (``queue`` is its place)."""
        return self.status == SignupStatus.WAITING

    @property
    def is_cancelled(self) -> bool:
        return self.status == SignupStatus.CANCELLED


class Opinion(db.Model):
    """意见: plain text, named or anonymous, on one agenda item (or the whole topic)."""

    __tablename__ = "meeting_opinion"
    __table_args__ = (
        UniqueConstraint("meeting_id", "number"),
        CheckConstraint(_in("category", OPINION_CATEGORIES), name="category"),
        CheckConstraint(_in("stage", ("before", "during")), name="stage"),
        CheckConstraint("NOT hidden OR hidden_reason IS NOT NULL", name="hidden_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # public number within the meeting
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_agenda_item.id"))
    category: Mapped[str] = mapped_column(String(12), default="suggestion")
    author_name: Mapped[str | None] = mapped_column(String(64))  # None: anonymous
    body: Mapped[str] = mapped_column(Text)  # plain text, escaped on output
    stage: Mapped[str] = mapped_column(String(8))  # before / during the meeting
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Moderation hides, with a public reason; it never deletes.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(200))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="opinions")
    agenda_item: Mapped[AgendaItem | None] = relationship()
    reply: Mapped[Reply | None] = relationship(back_populates="opinion", uselist=False)

    @property
    def category_label(self) -> str:
        return str(OPINION_CATEGORIES[self.category])

    @property
    def is_anonymous(self) -> bool:
        return not self.author_name


class Reply(db.Model):
    """跟踪督办: the handling unit, status, due date, the reply and its rating."""

    __tablename__ = "meeting_opinion_reply"
    __table_args__ = (
        CheckConstraint(_in("status", FOLLOWUP_STATES), name="status"),
        CheckConstraint("outcome IS NULL OR " + _in("outcome", OUTCOMES), name="outcome"),
        CheckConstraint("rating IS NULL OR " + _in("rating", RATINGS), name="rating"),
        CheckConstraint("status <> 'done' OR (body IS NOT NULL AND outcome IS NOT NULL)", name="done_has_reply"),
        CheckConstraint("rating IS NULL OR status = 'done'", name="rated_when_done"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("meeting_opinion.id"), unique=True)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("lead_unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default=ReplyStatus.TODO)
    due_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str | None] = mapped_column(Text)  # the reply, plain text
    outcome: Mapped[str | None] = mapped_column(String(12))
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    rating: Mapped[str | None] = mapped_column(String(16))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)

    opinion: Mapped[Opinion] = relationship(back_populates="reply")
    lead_unit: Mapped[LeadUnit] = relationship()

    @property
    def status_label(self) -> str:
        return str(FOLLOWUP_STATES[self.status])

    @property
    def is_done(self) -> bool:
        """Replied (办结): the reply and its outcome are written, and it may be rated."""
        return self.status == ReplyStatus.DONE

    def is_overdue(self, today: date) -> bool:
        """Not done and past its due date."""
        return not self.is_done and self.due_on < today

    @property
    def outcome_label(self) -> str:
        return str(OUTCOMES[self.outcome]) if self.outcome else ""

    @property
    def rating_label(self) -> str:
        return str(RATINGS[self.rating]) if self.rating else ""


class Speaker(db.Model):
    """发言: who spoke on which item, with a short summary (public)."""

    __tablename__ = "meeting_speaker"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_agenda_item.id"))
    name: Mapped[str] = mapped_column(String(64))
    affiliation: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="speakers")
    agenda_item: Mapped[AgendaItem | None] = relationship()


class Decision(db.Model):
    """A decision: by show of hands (counts) or by a code poll of the ballot engine."""

    __tablename__ = "meeting_decision"
    __table_args__ = (
        CheckConstraint(_in("method", DECISION_METHODS), name="method"),
        CheckConstraint(_in("state", DECISION_STATES), name="state"),
        CheckConstraint("yes >= 0 AND no >= 0 AND abstain >= 0", name="counts"),
        CheckConstraint("method = 'vote' OR poll_id IS NULL", name="poll_only_for_vote"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_agenda_item.id"))
    title: Mapped[str] = mapped_column(String(200))  # the motion
    method: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8), default=DecisionState.PENDING)
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("poll.id"), unique=True)
    yes: Mapped[int | None] = mapped_column(Integer)
    no: Mapped[int | None] = mapped_column(Integer)
    abstain: Mapped[int | None] = mapped_column(Integer)
    present: Mapped[int | None] = mapped_column(Integer)  # attendance when decided
    members: Mapped[int | None] = mapped_column(Integer)  # council members then
    quorum_met: Mapped[bool | None] = mapped_column(Boolean)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    agenda_item: Mapped[AgendaItem | None] = relationship()
    poll: Mapped[Poll | None] = relationship()

    @property
    def method_label(self) -> str:
        return str(DECISION_METHODS[self.method])

    @property
    def state_label(self) -> str:
        return str(DECISION_STATES[self.state])

    @property
    def is_pending(self) -> bool:
        return self.state == DecisionState.PENDING

    @property
    def is_voting(self) -> bool:
        """Its code poll is open."""
        return self.state == DecisionState.VOTING

    @property
    def is_recorded(self) -> bool:
        return self.state == DecisionState.RECORDED
