"""The livelihood-project cycle (民生实事项目): call for proposals, suggestions,
candidate projects, the polls that concern them, and progress monitoring.

A project is one row through its life: a candidate (候选项目) that the deputies'
vote turns into an elected project (当选项目) or not.
"""

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

from core.models import Deputy, LeadUnit, User, utcnow
from extensions import db
from voting.models import Poll


class SuggestionStatus(StrEnum):
    """The values of ``Suggestion.status``, as stored (the check constraint lists the same)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    MERGED = "merged"
    REJECTED = "rejected"


class SuggestionReview(StrEnum):
    """The values of ``Suggestion.review``: a citizen's suggestion is public only once
    staff approve it; until then (or if refused) only its author, with the tracking
    code, and staff see it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProjectStatus(StrEnum):
    """The values of ``Project.status``: a candidate until the vote elects it or not."""

    CANDIDATE = "candidate"
    ELECTED = "elected"
    NOT_ELECTED = "not_elected"


class RectificationItemStatus(StrEnum):
    """The values of ``RectificationItem.status``."""

    OPEN = "open"
    DONE = "done"


POLL_KINDS = ("vote", "runoff", "assessment")

# A suggestion's category is stored as its key; the name is translated where it is shown.
SUGGESTION_CATEGORIES = {
    "transport": _l("交通出行"),
    "education": _l("教育"),
    "health": _l("医疗卫生"),
    "elderly_care": _l("养老托育"),
    "housing": _l("住房与社区"),
    "water_environment": _l("供水与环境"),
    "rural": _l("农业农村"),
    "culture_sports": _l("文化体育"),
    "employment": _l("就业"),
    "other": _l("其他"),
}
# Before migration 0008 the Chinese name itself was stored and sent by forms and links.
# Frozen here (not derived from the labels) so that an old link still finds its category
# after a label is reworded.
LEGACY_CATEGORIES = {
    "交通出行": "transport",
    "教育": "education",
    "医疗卫生": "health",
    "养老托育": "elderly_care",
    "住房与社区": "housing",
    "供水与环境": "water_environment",
    "农业农村": "rural",
    "文化体育": "culture_sports",
    "就业": "employment",
    "其他": "other",
}


def category_key(value: object) -> str | None:
    """The category key for ``value``, given as a key or as the Chinese name that
    earlier forms and links sent; None if it is neither."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value in SUGGESTION_CATEGORIES:
        return value
    return LEGACY_CATEGORIES.get(value)


def category_label(key: str) -> str:
    """A suggestion category's name in the request's language."""
    return str(SUGGESTION_CATEGORIES[key])


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class ProposalCall(db.Model):
    """征集: the public call for suggestions of one year."""

    __tablename__ = "proposal_call"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(120))
    notice: Mapped[str] = mapped_column(Text)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    suggestions: Mapped[list[Suggestion]] = relationship(back_populates="call", order_by="Suggestion.id")

    def is_open_on(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on


class Suggestion(db.Model):
    """A suggestion from the public (or a deputy, township, department).

    ``name`` and ``phone`` are private: never shown publicly, never exported.
    """

    __tablename__ = "suggestion"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'merged', 'rejected')", name="status"),
        CheckConstraint("status != 'rejected' OR reject_reason IS NOT NULL", name="reject_reason"),
        CheckConstraint("status != 'merged' OR merged_into_id IS NOT NULL", name="merged_into"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id != id", name="not_self"),
        CheckConstraint(_in("category", SUGGESTION_CATEGORIES), name="category"),
        CheckConstraint("review IN ('pending', 'approved', 'rejected')", name="review"),
        CheckConstraint("review != 'rejected' OR review_reason IS NOT NULL", name="review_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("proposal_call.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))  # a key of SUGGESTION_CATEGORIES
    location: Mapped[str] = mapped_column(String(120))
    name: Mapped[str | None] = mapped_column(String(64))  # private
    phone: Mapped[str | None] = mapped_column(String(32))  # private
    source: Mapped[str] = mapped_column(String(16), default="web")  # web | qr | staff
    status: Mapped[str] = mapped_column(String(16), default=SuggestionStatus.PENDING, index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Publication (审核): rows from before migration 0011 and staff's own are approved;
    # the public form stores pending (``services.submit_suggestion``).
    review: Mapped[str] = mapped_column(
        String(16), default=SuggestionReview.APPROVED, server_default=SuggestionReview.APPROVED.value, index=True
    )
    review_reason: Mapped[str | None] = mapped_column(Text)  # why it is not published
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    tracking_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # of the author's code

    call: Mapped[ProposalCall] = relationship(back_populates="suggestions")
    merged_into: Mapped[Suggestion | None] = relationship(remote_side="Suggestion.id")
    projects: Mapped[list[Project]] = relationship(
        secondary="project_suggestion", back_populates="suggestions", viewonly=True
    )

    @property
    def status_label(self) -> str:
        return str(
            {
                SuggestionStatus.PENDING: _l("待处理"),
                SuggestionStatus.ACCEPTED: _l("已采纳"),
                SuggestionStatus.MERGED: _l("已合并"),
                SuggestionStatus.REJECTED: _l("未采纳"),
            }[self.status]
        )

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def is_public(self) -> bool:
        """Approved by staff (or from before review existed): shown to everyone."""
        return self.review == SuggestionReview.APPROVED

    @property
    def is_awaiting_review(self) -> bool:
        return self.review == SuggestionReview.PENDING

    @property
    def is_refused(self) -> bool:
        """Not published by staff; ``review_reason`` says why (to the author only)."""
        return self.review == SuggestionReview.REJECTED

    @property
    def review_label(self) -> str:
        return str(
            {
                SuggestionReview.PENDING: _l("待审核"),
                SuggestionReview.APPROVED: _l("已公开"),
                SuggestionReview.REJECTED: _l("未通过审核"),
            }[self.review]
        )

    @property
    def is_pending(self) -> bool:
        return self.status == SuggestionStatus.PENDING

    @property
    def is_merged(self) -> bool:
        return self.status == SuggestionStatus.MERGED

    @property
    def is_rejected(self) -> bool:
        return self.status == SuggestionStatus.REJECTED

    @property
    def may_feed_candidate(self) -> bool:
        """Pending or accepted: neither rejected nor merged, so it may still become
        (part of) a candidate project."""
        return self.status in (SuggestionStatus.PENDING, SuggestionStatus.ACCEPTED)

    @property
    def project(self) -> Project | None:
        """The candidate this suggestion (or the one it was merged into) became."""
        if self.projects:
            return self.projects[0]
        if self.merged_into is not None and self.merged_into is not self:
            return self.merged_into.project
        return None


class Project(db.Model):
    """候选项目, which the vote makes 当选 (elected) or not. Investment in 万元."""

    __tablename__ = "project"
    __table_args__ = (
        UniqueConstraint("year", "title"),
        CheckConstraint("status IN ('candidate', 'elected', 'not_elected')", name="status"),
        CheckConstraint("investment >= 0", name="investment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(100))
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("lead_unit.id"), index=True)
    investment: Mapped[int] = mapped_column(Integer)  # 总投资（万元）
    planned_completion: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ProjectStatus.CANDIDATE, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    lead_unit: Mapped[LeadUnit] = relationship()
    suggestions: Mapped[list[Suggestion]] = relationship(
        secondary="project_suggestion", back_populates="projects", order_by="Suggestion.id"
    )
    polls: Mapped[list[ProjectPoll]] = relationship(back_populates="project", order_by="ProjectPoll.id")
    members: Mapped[list[MonitoringMember]] = relationship(back_populates="project", order_by="MonitoringMember.id")
    reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="project", order_by="[ProgressReport.reported_on, ProgressReport.id]"
    )
    notes: Mapped[list[InspectionNote]] = relationship(
        back_populates="project", order_by="[InspectionNote.visited_on, InspectionNote.id]"
    )
    rectifications: Mapped[list[RectificationItem]] = relationship(
        back_populates="project", order_by="RectificationItem.id"
    )

    @property
    def status_label(self) -> str:
        return str(
            {
                ProjectStatus.CANDIDATE: _l("候选"),
                ProjectStatus.ELECTED: _l("当选"),
                ProjectStatus.NOT_ELECTED: _l("未当选"),
            }[self.status]
        )

    @property
    def is_candidate(self) -> bool:
        """Still a candidate: not (yet) decided by a vote."""
        return self.status == ProjectStatus.CANDIDATE

    @property
    def is_elected(self) -> bool:
        """Elected by the deputies' vote: it has a monitoring group and reports progress."""
        return self.status == ProjectStatus.ELECTED

    @property
    def last_report(self) -> ProgressReport | None:
        return self.reports[-1] if self.reports else None

    @property
    def percent(self) -> int:
        return self.reports[-1].percent if self.reports else 0


# The link from suggestions to the candidate they became: a suggestion feeds one candidate.
project_suggestion = db.Table(
    "project_suggestion",
    db.Column("project_id", ForeignKey("project.id"), primary_key=True),
    db.Column("suggestion_id", ForeignKey("suggestion.id"), primary_key=True, unique=True),
)


class ProjectPoll(db.Model):
    """Which poll concerns a project (vote, run-off, assessment) and under which option."""

    __tablename__ = "project_poll"
    __table_args__ = (
        UniqueConstraint("poll_id", "option_id"),
        UniqueConstraint("poll_id", "project_id"),
        CheckConstraint("kind IN ('vote', 'runoff', 'assessment')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    option_id: Mapped[str] = mapped_column(String(32))

    project: Mapped[Project] = relationship(back_populates="polls")
    poll: Mapped[Poll] = relationship()


class MonitoringMember(db.Model):
    """A deputy of a project's monitoring group (监督小组)."""

    __tablename__ = "monitoring_member"
    __table_args__ = (UniqueConstraint("project_id", "deputy_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"), index=True)
    is_leader: Mapped[bool] = mapped_column(default=False)

    project: Mapped[Project] = relationship(back_populates="members")
    deputy: Mapped[Deputy] = relationship()


class ProgressReport(db.Model):
    """A progress report (进度报告) by the lead unit or staff."""

    __tablename__ = "progress_report"
    __table_args__ = (CheckConstraint("percent >= 0 AND percent <= 100", name="percent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    reported_on: Mapped[date] = mapped_column(Date)
    percent: Mapped[int] = mapped_column(Integer)
    narrative: Mapped[str] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    backwards_reason: Mapped[str | None] = mapped_column(Text)  # when percent went down
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="reports")
    author: Mapped[User | None] = relationship()
    photos: Mapped[list[ProgressPhoto]] = relationship(back_populates="report", order_by="ProgressPhoto.id")
    rectifications: Mapped[list[RectificationItem]] = relationship(back_populates="report")


class ProgressPhoto(db.Model):
    """A photo of a progress report; the file lives in the upload folder, not here."""

    __tablename__ = "progress_photo"
    __table_args__ = (
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')", name="type"),
        CheckConstraint("size_bytes > 0", name="size_bytes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(120))

    report: Mapped[ProgressReport] = relationship(back_populates="photos")


class InspectionNote(db.Model):
    """A site visit note (视察记录) by a deputy of the monitoring group."""

    __tablename__ = "inspection_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="notes")
    deputy: Mapped[Deputy] = relationship()


class RectificationItem(db.Model):
    """整改事项: an issue to fix, raised in a report or an inspection."""

    __tablename__ = "rectification_item"
    __table_args__ = (CheckConstraint("status IN ('open', 'done')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("progress_report.id"))
    note_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_note.id"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default=RectificationItemStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    project: Mapped[Project] = relationship(back_populates="rectifications")
    report: Mapped[ProgressReport | None] = relationship(back_populates="rectifications")

    @property
    def status_label(self) -> str:
        return str(
            {RectificationItemStatus.OPEN: _l("整改中"), RectificationItemStatus.DONE: _l("已整改")}[self.status]
        )

    @property
    def is_done(self) -> bool:
        return self.status == RectificationItemStatus.DONE
