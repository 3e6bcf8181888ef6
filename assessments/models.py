"""Satisfaction assessments, their subjects and rectification items; standing
committees as rosters; deputies' suggestions (代表建议) and the replies to them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import Congress, Deputy, LeadUnit, Session, User, utcnow
from extensions import db
from projects import models as _project_models  # noqa: F401  (the table subjects refer to)
from voting.models import Poll

RATERS = ("deputies", "committee", "public")
SUBJECT_KINDS = ("work_report", "suggestion", "project", "free")
BODY_TYPES = ("government", "supervision", "court", "procuratorate", "department")
GRADES = ("satisfied", "basic", "dissatisfied")
REPLY_GRADES = ("A", "B", "C", "D")


class AssessmentState(StrEnum):
    """``Assessment.state``, derived from its poll (not stored): subjects may change
    while a draft; the ballot is fixed once ready; then the poll's own open and closed."""

    DRAFT = "draft"
    READY = "ready"
    OPEN = "open"
    CLOSED = "closed"


class RectificationState(StrEnum):
    """The values of ``Rectification.state``, as stored (the check constraint lists the same)."""

    OPEN = "open"
    REPORTED = "reported"
    CLOSED = "closed"


class DeputySuggestionState(StrEnum):
    """The values of ``DeputySuggestion.state``, as stored (the check constraint lists the same)."""

    FILED = "filed"
    HANDLING = "handling"
    REPLIED = "replied"
    CLOSED = "closed"


def raters_labels() -> dict[str, str]:
    return {
        "deputies": str(_l("人大代表")),
        "committee": str(_l("常委会组成人员")),
        "public": str(_l("公众（测评码）")),
    }


def body_type_labels() -> dict[str, str]:
    return {
        "government": str(_l("人民政府")),
        "supervision": str(_l("监察委员会")),
        "court": str(_l("人民法院")),
        "procuratorate": str(_l("人民检察院")),
        "department": str(_l("政府部门")),
    }


def kind_labels() -> dict[str, str]:
    return {
        "work_report": str(_l("专项工作报告")),
        "suggestion": str(_l("代表建议办理")),
        "project": str(_l("民生实事项目")),
        "free": str(_l("其他事项")),
    }


def suggestion_state_labels() -> dict[str, str]:
    return {
        DeputySuggestionState.FILED: str(_l("待交办")),
        DeputySuggestionState.HANDLING: str(_l("办理中")),
        DeputySuggestionState.REPLIED: str(_l("已答复待评价")),
        DeputySuggestionState.CLOSED: str(_l("已办结")),
    }


def reply_grade_labels() -> dict[str, str]:
    return {
        "A": str(_l("A 类：已解决")),
        "B": str(_l("B 类：正在解决")),
        "C": str(_l("C 类：列入计划解决")),
        "D": str(_l("D 类：留作参考")),
    }


class StandingCommittee(db.Model):
    """人大常委会: its members are kept as a roster of their own (a ``Congress`` row
    with ``Deputy`` rows, and its meetings as ``Session`` rows), so that check-in and
    the poll register work for it unchanged."""

    __tablename__ = "standing_committee"
    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    congress: Mapped[Congress] = relationship()

    @property
    def name(self) -> str:
        return self.congress.name


class Assessment(db.Model):
    """满意度测评: several subjects rated on one satisfaction ballot (one poll)."""

    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint("raters IN ('deputies', 'committee', 'public')", name="raters"),
        CheckConstraint("grade_base IN ('electorate', 'present', 'cast')", name="grade_base"),
        # Deputies and committee members rate in a meeting; the public has no meeting.
        CheckConstraint("(raters = 'public') = (session_id IS NULL)", name="session"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer, index=True)
    raters: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("congress_session.id"))
    grade_base: Mapped[str] = mapped_column(String(16), default="electorate")
    rectify_below: Mapped[str | None] = mapped_column(String(20))  # a fraction, e.g. "4/5"
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("poll.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    session: Mapped[Session | None] = relationship()
    poll: Mapped[Poll | None] = relationship()
    subjects: Mapped[list[AssessmentSubject]] = relationship(
        back_populates="assessment", order_by="AssessmentSubject.position"
    )

    @property
    def state(self) -> AssessmentState:
        """Draft (subjects may change), ready (ballot fixed), open, closed."""
        if self.poll is None:
            return AssessmentState.DRAFT
        return AssessmentState.READY if self.poll.is_draft else AssessmentState(self.poll.state)

    @property
    def state_label(self) -> str:
        return str(
            {
                AssessmentState.DRAFT: _l("准备中"),
                AssessmentState.READY: _l("待开始"),
                AssessmentState.OPEN: _l("测评中"),
                AssessmentState.CLOSED: _l("已结束"),
            }[self.state]
        )

    @property
    def is_draft(self) -> bool:
        """No ballot yet: subjects may still be added and removed."""
        return self.state == AssessmentState.DRAFT

    @property
    def has_started(self) -> bool:
        """Its poll has opened (open or closed): public, and the ballot and codes are fixed."""
        return self.state in (AssessmentState.OPEN, AssessmentState.CLOSED)

    @property
    def is_open(self) -> bool:
        return self.state == AssessmentState.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state == AssessmentState.CLOSED

    @property
    def raters_label(self) -> str:
        return raters_labels()[self.raters]


class AssessmentSubject(db.Model):
    """测评对象: one option of the assessment's ballot."""

    __tablename__ = "assessment_subject"
    __table_args__ = (
        UniqueConstraint("assessment_id", "position"),
        CheckConstraint("kind IN ('work_report', 'suggestion', 'project', 'free')", name="kind"),
        CheckConstraint(
            "body_type IS NULL OR body_type IN ('government', 'supervision', 'court', 'procuratorate', 'department')",
            name="body_type",
        ),
        CheckConstraint(
            "kind <> 'work_report' OR (body_type IS NOT NULL AND body_name IS NOT NULL)",
            name="work_report_body",
        ),
        CheckConstraint("kind <> 'suggestion' OR suggestion_id IS NOT NULL", name="suggestion_ref"),
        CheckConstraint("kind <> 'project' OR project_id IS NOT NULL", name="project_ref"),
        CheckConstraint("position >= 1 AND position <= 99", name="position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    body_type: Mapped[str | None] = mapped_column(String(16))
    body_name: Mapped[str | None] = mapped_column(String(120))  # the body assessed
    document_file: Mapped[str | None] = mapped_column(String(64), unique=True)  # random name
    document_name: Mapped[str | None] = mapped_column(String(200))  # the uploaded file's name
    document_url: Mapped[str | None] = mapped_column(String(500))
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("deputy_suggestion.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))

    assessment: Mapped[Assessment] = relationship(back_populates="subjects")
    suggestion: Mapped[DeputySuggestion | None] = relationship()
    rectification: Mapped[Rectification | None] = relationship(
        back_populates="subject", foreign_keys="Rectification.subject_id"
    )

    @property
    def option_id(self) -> str:
        return f"p{self.position:02d}"

    @property
    def kind_label(self) -> str:
        return kind_labels()[self.kind]

    @property
    def responsible(self) -> str:
        """Who answers for this subject: the body, the handling unit or the lead unit."""
        if self.body_name:
            return self.body_name
        if self.suggestion is not None and self.suggestion.lead_unit is not None:
            return self.suggestion.lead_unit.name
        if self.project_id is not None:
            from projects.models import Project

            project = db.session.get(Project, self.project_id)
            if project is not None and project.lead_unit is not None:
                return project.lead_unit.name
        return ""


class Rectification(db.Model):
    """整改: a subject graded 基本满意 or 不满意, or under the threshold, is rectified
    by a responsible body before a due date and reported on; public until closed."""

    __tablename__ = "assessment_rectification"
    __table_args__ = (
        CheckConstraint("reason IN ('basic', 'dissatisfied', 'below_threshold')", name="reason"),
        CheckConstraint("state IN ('open', 'reported', 'closed')", name="state"),
        CheckConstraint("state = 'open' OR follow_up IS NOT NULL", name="follow_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("assessment_subject.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(16))
    responsible: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(8), default=RectificationState.OPEN, index=True)
    follow_up: Mapped[str | None] = mapped_column(Text)  # 整改情况报告
    reported_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # 不满意: the re-assessment staff start after the follow-up report.
    reassessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"), unique=True)

    subject: Mapped[AssessmentSubject] = relationship(back_populates="rectification", foreign_keys=[subject_id])
    reassessment: Mapped[Assessment | None] = relationship(foreign_keys=[reassessment_id])

    @property
    def reason_label(self) -> str:
        return str(
            {
                "basic": _l("评定为基本满意"),
                "dissatisfied": _l("评定为不满意"),
                "below_threshold": _l("满意率低于整改线"),
            }[self.reason]
        )

    @property
    def state_label(self) -> str:
        return str(
            {
                RectificationState.OPEN: _l("整改中"),
                RectificationState.REPORTED: _l("已报告整改情况"),
                RectificationState.CLOSED: _l("已销号"),
            }[self.state]
        )

    @property
    def is_open(self) -> bool:
        """Waiting for the responsible body's follow-up report."""
        return self.state == RectificationState.OPEN

    @property
    def is_reported(self) -> bool:
        """Followed up, not yet closed: staff may close it."""
        return self.state == RectificationState.REPORTED

    @property
    def is_closed(self) -> bool:
        """Closed by staff (销号): no longer public, no longer editable."""
        return self.state == RectificationState.CLOSED


class DeputySuggestion(db.Model):
    """代表建议: filed by a deputy, handled by a unit within three months (extendable once)."""

    __tablename__ = "deputy_suggestion"
    __table_args__ = (
        CheckConstraint("state IN ('filed', 'handling', 'replied', 'closed')", name="state"),
        CheckConstraint("state = 'filed' OR (lead_unit_id IS NOT NULL AND due_on IS NOT NULL)", name="assigned"),
        CheckConstraint("round >= 1", name="round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(8), default=DeputySuggestionState.FILED, index=True)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("lead_unit.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(default=False)  # the one extension of this round
    round: Mapped[int] = mapped_column(Integer, default=1)  # 1, then 2… after a return
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    deputy: Mapped[Deputy] = relationship()
    lead_unit: Mapped[LeadUnit | None] = relationship()
    replies: Mapped[list[SuggestionReply]] = relationship(back_populates="suggestion", order_by="SuggestionReply.round")

    @property
    def state_label(self) -> str:
        return suggestion_state_labels()[self.state]

    @property
    def is_assignable(self) -> bool:
        """Filed or in handling (not yet replied): staff may assign it to a unit."""
        return self.state in (DeputySuggestionState.FILED, DeputySuggestionState.HANDLING)

    @property
    def is_handling(self) -> bool:
        """Assigned to a unit, which owes a reply by ``due_on``."""
        return self.state == DeputySuggestionState.HANDLING

    @property
    def is_replied(self) -> bool:
        """Replied, waiting for the deputy's rating."""
        return self.state == DeputySuggestionState.REPLIED

    def is_overdue(self, today: date) -> bool:
        """In handling past its deadline."""
        return self.is_handling and self.due_on < today

    @property
    def last_reply(self) -> SuggestionReply | None:
        return self.replies[-1] if self.replies else None


class SuggestionReply(db.Model):
    """答复: the handling unit's reply, graded A–D, rated once by the deputy."""

    __tablename__ = "deputy_suggestion_reply"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "round"),
        CheckConstraint("grade IN ('A', 'B', 'C', 'D')", name="grade"),
        CheckConstraint("rating IS NULL OR rating IN ('satisfied', 'basic', 'dissatisfied')", name="rating"),
        CheckConstraint("(rating IS NULL) = (rated_at IS NULL)", name="rated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("deputy_suggestion.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(1))
    body: Mapped[str] = mapped_column(Text)
    replied_on: Mapped[date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(default=False)  # after an extended deadline
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rating: Mapped[str | None] = mapped_column(String(16))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)

    suggestion: Mapped[DeputySuggestion] = relationship(back_populates="replies")
    by_user: Mapped[User | None] = relationship()

    @property
    def grade_label(self) -> str:
        return reply_grade_labels()[self.grade]
