"""Accounts, the deputy roster, sessions, check-in and the audit log."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Role(enum.StrEnum):
    staff = "staff"
    deputy = "deputy"
    lead_unit = "lead_unit"


class LeadUnit(db.Model):
    """承办单位: a government department or body that carries out projects and replies."""

    __tablename__ = "lead_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("role IN ('staff', 'deputy', 'lead_unit')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=True)
    # Saved in the session cookie at login; a cookie naming another version is not logged
    # in. Raised by ``core.auth.end_sessions`` (logout, password change or reset, deactivation).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id"), unique=True)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("lead_unit.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    deputy: Mapped[Deputy | None] = relationship(back_populates="user")
    lead_unit: Mapped[LeadUnit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        if not self.is_enabled:
            return False
        return self.deputy is None or self.deputy.active

    @property
    def is_staff(self) -> bool:
        return self.role == Role.staff.value

    @property
    def is_deputy(self) -> bool:
        return self.role == Role.deputy.value


class Congress(db.Model):
    """人民代表大会: e.g. 某县第十八届人民代表大会, with its roster of deputies."""

    __tablename__ = "congress"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    deputies: Mapped[list[Deputy]] = relationship(back_populates="congress", order_by="Deputy.code")
    sessions: Mapped[list[Session]] = relationship(back_populates="congress", order_by="Session.starts_on")


class Deputy(db.Model):
    """人大代表 on a congress's roster (代表名册)."""

    __tablename__ = "deputy"
    __table_args__ = (UniqueConstraint("congress_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # 代表证号
    name: Mapped[str] = mapped_column(String(64))
    delegation: Mapped[str] = mapped_column(String(64))  # 代表团
    phone: Mapped[str | None] = mapped_column(String(32))  # private: never public
    active: Mapped[bool] = mapped_column(default=True)

    congress: Mapped[Congress] = relationship(back_populates="deputies")
    user: Mapped[User | None] = relationship(back_populates="deputy")


class Session(db.Model):
    """会议: one session of a congress, e.g. 第十八届人大第四次会议."""

    __tablename__ = "congress_session"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    congress_id: Mapped[int] = mapped_column(ForeignKey("congress.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The secret in the check-in QR code shown in the hall; staff can renew it.
    checkin_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(24))

    congress: Mapped[Congress] = relationship(back_populates="sessions")
    checkins: Mapped[list[CheckIn]] = relationship(back_populates="session")

    def present_count(self) -> int:
        return db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.session_id == self.id)) or 0

    def expected_count(self) -> int:
        return (
            db.session.scalar(
                select(func.count())
                .select_from(Deputy)
                .where(Deputy.congress_id == self.congress_id, Deputy.active.is_(True))
            )
            or 0
        )

    def is_checked_in(self, deputy_id: int) -> bool:
        return (
            db.session.scalar(select(CheckIn.id).where(CheckIn.session_id == self.id, CheckIn.deputy_id == deputy_id))
            is not None
        )


class CheckIn(db.Model):
    """签到: a deputy's presence at a session, by staff or by the deputy's QR scan."""

    __tablename__ = "checkin"
    __table_args__ = (
        UniqueConstraint("session_id", "deputy_id"),
        CheckConstraint("method IN ('staff', 'qr', 'ballot')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_session.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    method: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    session: Mapped[Session] = relationship(back_populates="checkins")
    deputy: Mapped[Deputy] = relationship()


class AuditEntry(db.Model):
    """One line of the append-only audit log. The database refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    on_behalf_of: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()


class HeldSecret(db.Model):
    """A one-time secret (initial passwords, code slips, a sign-up code) kept for the
    browser that made it until its user says it is noted. The payload is sealed with a
    key that only that browser's session holds (see ``core.held``)."""

    __tablename__ = "held_secret"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Job(db.Model):
    """Long work run outside the request (see ``core.jobs``): a roster import, a poll's
    close. The page that started it, and the staff's job list, read its state."""

    __tablename__ = "job"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(200), default="")  # what it works on, in words
    result: Mapped[dict | None] = mapped_column(JSON)  # a summary, and where to go next
    error: Mapped[str | None] = mapped_column(Text)  # in plain language
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # the heartbeat
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by: Mapped[User | None] = relationship()
