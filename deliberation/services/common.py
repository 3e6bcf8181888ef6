"""What every part of a meeting's life shares: the refusal, the codes handed to people
and their digests, the meeting lock."""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select, update

from core import codes
from core.errors import DomainError
from deliberation.models import (
    Meeting,
)
from extensions import db
from voting import keystore

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
# 16 characters of a 32-letter alphabet: 80 bits, as assessment codes (XXXX-XXXX-XXXX-XXXX).
SIGNUP_CODE_LENGTH = 16
TRACKING_CODE_LENGTH = 16
# Codes handed out before revision 0015 (8 and 12 characters) are still accepted.
LEGACY_LENGTHS = {"signup": 8, "opinion": 12}
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


def normalise_code(text: str | None, *lengths: int) -> str | None:
    """Upper-case, drop spaces and hyphens; None unless it is a well-formed code of
    one of ``lengths``."""
    if not text:
        return None
    cleaned = "".join(c for c in text.strip() if c not in " -").upper()
    if len(cleaned) not in lengths or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


def signup_digest(text: str | None) -> str | None:
    """The stored digest of a sign-up code (HMAC under the server's key, ``core.codes``)."""
    code = normalise_code(text, SIGNUP_CODE_LENGTH, LEGACY_LENGTHS["signup"])
    return codes.digest("signup", code) if code else None


def tracking_digest(text: str | None) -> str | None:
    """The stored digest of an opinion's tracking code."""
    code = normalise_code(text, TRACKING_CODE_LENGTH, LEGACY_LENGTHS["opinion"])
    return codes.digest("opinion", code) if code else None


def normalise_phone(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


# --- The lot draw's secret ----------------------------------------------------------


def _lot_key_name(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}"


def seal_lot_secret(meeting: Meeting, secret: str) -> bytes:
    """The draw's secret sealed (AES-256-GCM) under the key-encryption key, bound to the meeting."""
    master = current_app.config["YISHI_KEY_ENCRYPTION_KEY"]
    return keystore.seal(master, _lot_key_name(meeting), "lot", secret.encode("ascii"))


def unseal_lot_secret(meeting: Meeting) -> str:
    master = current_app.config["YISHI_KEY_ENCRYPTION_KEY"]
    return keystore.unseal(master, _lot_key_name(meeting), "lot", meeting.lot_secret_enc).decode("ascii")


# --- Locking -------------------------------------------------------------------------


def lock_meeting(meeting_id: int) -> Meeting:
    """Take the meeting's row lock and reload it: sign-ups, cancellations, promotions
    and numbering of one meeting serialise.

    PostgreSQL: SELECT … FOR UPDATE. SQLite: a no-op UPDATE as the transaction's first
    statement takes the database write lock (as ``voting.services.casting.lock_log`` does).
    """
    query = select(Meeting).where(Meeting.id == meeting_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.scalars(query.with_for_update()).one()
    db.session.execute(update(Meeting).where(Meeting.id == meeting_id).values(next_number=Meeting.next_number))
    return db.session.scalars(query).one()
