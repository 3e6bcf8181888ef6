"""Polls, their register, token issuances, ballots (the log) and one-time codes.

The database enforces what must never break: one token per deputy per poll, one
ballot per credential, gapless leaf numbers (unique index plus a per-poll lock).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import Deputy, Session, utcnow
from extensions import db


class PollState(StrEnum):
    """The values of ``Poll.state``, as stored (the check constraint lists the same)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


# The ballot kinds and secrecy modes in words, for every page staff or the public see.
BALLOT_LABELS = {
    "approval": _l("票决（同意 / 不同意 / 弃权）"),
    "satisfaction": _l("满意度测评（满意 / 基本满意 / 不满意）"),
}
SECRECY_LABELS = {"secret": _l("无记名投票"), "named": _l("记名表决"), "code": _l("测评码（公众测评）")}


class Poll(db.Model):
    __tablename__ = "poll"
    __table_args__ = (
        CheckConstraint("state IN ('draft', 'open', 'closed')", name="state"),
        CheckConstraint("ballot IN ('approval', 'satisfaction')", name="ballot"),
        CheckConstraint("secrecy IN ('secret', 'named', 'code')", name="secrecy"),
        CheckConstraint("log_size >= 0", name="log_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)  # the protocol's `poll`
    title: Mapped[str] = mapped_column(String(200))
    ballot: Mapped[str] = mapped_column(String(16))
    secrecy: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8), default=PollState.DRAFT, index=True)
    # What the poll is for, so the pillars can find their polls: 'general',
    # 'project_vote', 'runoff', 'assessment', 'meeting'.
    purpose: Mapped[str] = mapped_column(String(32), default="general")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("congress_session.id"), index=True)
    options: Mapped[list] = mapped_column(JSON, deferred=True)  # [{"id", "title"}] in manifest order
    rules: Mapped[dict] = mapped_column(JSON, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    # Fixed at open.
    manifest: Mapped[dict | None] = mapped_column(JSON)
    manifest_hash: Mapped[str | None] = mapped_column(String(64))
    manifest_sig: Mapped[str | None] = mapped_column(String(128))
    fingerprint: Mapped[str | None] = mapped_column(String(16))
    signing_key_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # Ed25519, encrypted
    token_key_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # RSA PKCS#8, encrypted

    # The log's state, updated under the per-poll lock with every append.
    log_size: Mapped[int] = mapped_column(Integer, default=0)
    log_frontier: Mapped[list] = mapped_column(JSON, default=list, deferred=True)
    log_root: Mapped[str | None] = mapped_column(String(64))
    log_timestamp: Mapped[str | None] = mapped_column(String(20))
    # The signature over the latest tree head: a database writer who changes the
    # ballots and the log state together still cannot sign the new head.
    log_head_sig: Mapped[str | None] = mapped_column(String(128))
    # Batches (protocol revision 5, "Order and counters"): when the batch now gathering
    # in ``pending_ballot`` received its first ballot (Unix seconds; NULL: none pending),
    # when the last batch was committed, and the log size at the start of that commit's
    # 30-second period, from which ``published_cast_count`` answers while the poll is open.
    batch_opened: Mapped[float | None] = mapped_column(Float)
    log_committed: Mapped[float | None] = mapped_column(Float)
    log_published: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Fixed at close.
    result: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    closing: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    closing_sig: Mapped[str | None] = mapped_column(String(128))
    register_json: Mapped[str | None] = mapped_column(Text, deferred=True)  # JCS bytes of register/codes

    # (rev 5) How many scrutineers' co-signatures check 8 needs; NULL: all of them
    # (``voting.services.scrutineers``).
    cosign_threshold: Mapped[int | None] = mapped_column(Integer)
    # (rev 5) Staff allowed paper ballots on the draft (the manifest's ``paper: true`` at
    # open, ``voting.services.paper``); ``paper`` is the board's ``paper`` member, fixed
    # at the close from the scrutineers' agreed entries (NULL: nobody voted on paper).
    paper_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    paper: Mapped[dict | None] = mapped_column(JSON, deferred=True)

    session: Mapped[Session | None] = relationship()
    voters: Mapped[list[PollVoter]] = relationship(back_populates="poll", order_by="PollVoter.voter")

    @property
    def state_label(self) -> str:
        return str(
            {PollState.DRAFT: _l("草稿"), PollState.OPEN: _l("投票中"), PollState.CLOSED: _l("已结束")}[self.state]
        )

    @property
    def ballot_label(self) -> str:
        return str(BALLOT_LABELS.get(self.ballot, self.ballot))

    @property
    def secrecy_label(self) -> str:
        return str(SECRECY_LABELS.get(self.secrecy, self.secrecy))

    @property
    def is_draft(self) -> bool:
        return self.state == PollState.DRAFT

    @property
    def is_open(self) -> bool:
        return self.state == PollState.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state == PollState.CLOSED


class PollVoter(db.Model):
    """One line of a poll's register: a deputy of the electorate, fixed at open."""

    __tablename__ = "poll_voter"
    __table_args__ = (UniqueConstraint("poll_id", "voter"), UniqueConstraint("poll_id", "deputy_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    voter: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    present: Mapped[bool] = mapped_column(default=False)
    # (rev 5) The deputy votes on paper in this poll (marked by staff): no token, no
    # electronic ballot; the register's ``"paper": true``.
    paper: Mapped[bool] = mapped_column(default=False, server_default=false())

    poll: Mapped[Poll] = relationship(back_populates="voters")
    deputy: Mapped[Deputy] = relationship()


class TokenIssuance(db.Model):
    """A blind-signed token given to a deputy: one per deputy per poll, by constraint."""

    __tablename__ = "token_issuance"
    __table_args__ = (
        UniqueConstraint("poll_id", "voter_id"),
        CheckConstraint("blinded_sha256 IS NULL OR length(blinded_sha256) = 64", name="blinded_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("poll_voter.id"))
    # To the minute only, for the same reason as Ballot has no cast time.
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=lambda: utcnow().replace(second=0, microsecond=0))
    # SHA-256 (hex) of the blinded message that was signed, so that the same deputy
    # sending the same message again gets the same signature (protocol revision 5).
    # The blinding hides the token from it as it hides it from the signature. NULL only
    # on issuances made before migration 0006, which cannot be repeated.
    blinded_sha256: Mapped[str | None] = mapped_column(String(64))
    # When the deputy reported on the ballot page that they cannot vote with this token
    # (its blinding state is lost): for the minutes; the server cannot know it otherwise.
    lost_reported_at: Mapped[datetime | None] = mapped_column(DateTime)


class PollCode(db.Model):
    """The SHA-256 of a one-time code (测评码); the code itself is never stored."""

    __tablename__ = "poll_code"
    __table_args__ = (UniqueConstraint("poll_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))


class Ballot(db.Model):
    """A leaf of the poll's log. ``credential`` is the token (hex), voter or code hash."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("poll_id", "leaf_index"),
        UniqueConstraint("poll_id", "credential"),
        UniqueConstraint("poll_id", "leaf_hash"),
        CheckConstraint("leaf_index >= 0", name="leaf_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id"))
    leaf_index: Mapped[int] = mapped_column(Integer)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    credential: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)  # JCS(ballot), the leaf bytes
    receipt: Mapped[str] = mapped_column(Text)  # the 201 answer, returned again on a retry
    # No cast time is stored: with the issuance times it would let whoever reads the
    # database match ballots to deputies. The receipt's signed head has the second.


class PollScrutineer(db.Model):
    """(protocol rev 5) A scrutineer (监票人) of a poll: a deputy of its session named by
    staff while the poll is a draft, in the manifest's order (``position``). ``key`` is
    the Ed25519 public key the deputy's own phone made (the private key never leaves
    it); ``cosig`` the signature that phone made over the closing, checked when stored.
    Staff have no path that writes ``key`` or ``cosig``."""

    __tablename__ = "poll_scrutineer"
    __table_args__ = (
        UniqueConstraint("poll_id", "deputy_id"),
        UniqueConstraint("poll_id", "key"),
        CheckConstraint("position >= 0 AND position < 9", name="position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(43))  # base64url of the 32 bytes
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    cosig: Mapped[str | None] = mapped_column(String(86))  # base64url of the 64 bytes
    cosigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    declined_reason: Mapped[str | None] = mapped_column(String(500))
    declined_at: Mapped[datetime | None] = mapped_column(DateTime)

    deputy: Mapped[Deputy] = relationship()


class PendingBallot(db.Model):
    """A validated ballot waiting for its batch to be appended to the log (revision 5).

    Rows live only while their batch is open: the batch's commit moves them to
    ``ballot`` in a random order and deletes them. Together with ``ballot``'s, the
    unique constraints stop a credential from being used twice; the cast checks both
    tables under the per-poll lock.
    """

    __tablename__ = "pending_ballot"
    __table_args__ = (UniqueConstraint("poll_id", "credential"), UniqueConstraint("poll_id", "leaf_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id"), index=True)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    credential: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)  # JCS(ballot), the leaf bytes


class PaperEntry(db.Model):
    """(rev 5) One scrutineer's entry of every paper ballot of a poll: ``ballots`` the
    valid ones (choices objects; ``{"voter", "choices"}`` in a named poll), ``spoiled``
    the void ones, ``text`` what was typed. The paper set is accepted only when two
    scrutineers' entries are the same multiset (``voting.services.paper``)."""

    __tablename__ = "paper_entry"
    __table_args__ = (UniqueConstraint("poll_id", "deputy_id"), CheckConstraint("spoiled >= 0", name="spoiled"))

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    ballots: Mapped[list] = mapped_column(JSON)
    spoiled: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
