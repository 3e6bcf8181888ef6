"""Scrutineers (监票人) of a poll and their co-signatures (protocol revision 5).

Staff name 1-9 deputies of the poll's session and the threshold while the poll is a
draft; each scrutineer enrolls the public half of a key pair their own phone made (the
server never sees a private key, and no staff path writes a key or a signature); the
poll opens only when every scrutineer has enrolled, and the manifest lists them; after
the close each phone checks the board and posts its signature over the closing, which
is checked and stored, and the board carries the stored signatures in manifest order.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

from sqlalchemy import select, update

from core import audit
from core.models import Deputy
from extensions import db
from voting.models import Poll, PollScrutineer
from voting.protocol import signing
from voting.protocol.encoding import ProtocolError, b64url_decode, b64url_encode
from voting.services.base import PollError, utc_now

MAX_SCRUTINEERS = 9
REASON_MAX = 500


# --- Naming (staff, drafts only) -------------------------------------------------------


def scrutineers_of(poll: Poll) -> list[PollScrutineer]:
    """The poll's scrutineers in the manifest's order."""
    return list(
        db.session.scalars(
            select(PollScrutineer).where(PollScrutineer.poll_id == poll.id).order_by(PollScrutineer.position)
        )
    )


def session_deputies(poll: Poll) -> list[Deputy]:
    """The deputies staff may name: the active deputies of the poll session's congress."""
    if poll.session is None:
        return []
    return list(
        db.session.scalars(
            select(Deputy)
            .where(Deputy.congress_id == poll.session.congress_id, Deputy.active.is_(True))
            .order_by(Deputy.code)
        )
    )


def set_scrutineers(poll: Poll, deputy_ids: list[int], threshold: int | None = None) -> list[PollScrutineer]:
    """Name the poll's scrutineers in this order (an empty list removes them) and the
    threshold (None: all). A scrutineer named again keeps the key already enrolled.
    Drafts only. Flushes; the caller commits."""
    if not poll.is_draft:
        raise PollError(409, "poll_not_draft")
    if deputy_ids and poll.session is None:
        raise PollError(422, "scrutineers_need_session")
    if len(deputy_ids) > MAX_SCRUTINEERS:
        raise PollError(422, "scrutineers_count", count=len(deputy_ids))
    if len(set(deputy_ids)) != len(deputy_ids):
        raise PollError(422, "scrutineer_twice")
    allowed = {d.id: d for d in session_deputies(poll)}
    for deputy_id in deputy_ids:
        if deputy_id not in allowed:
            raise PollError(422, "scrutineer_not_in_session")
    if threshold is not None and not 1 <= threshold <= max(len(deputy_ids), 1):
        raise PollError(422, "bad_cosign_threshold", count=len(deputy_ids))
    if not deputy_ids and threshold is not None:
        raise PollError(422, "bad_cosign_threshold", count=0)
    existing = {s.deputy_id: s for s in scrutineers_of(poll)}
    for deputy_id, row in existing.items():
        if deputy_id not in deputy_ids:
            db.session.delete(row)
    rows = []
    for position, deputy_id in enumerate(deputy_ids):
        row = existing.get(deputy_id)
        if row is None:
            row = PollScrutineer(poll_id=poll.id, deputy_id=deputy_id, name=allowed[deputy_id].name, position=position)
            db.session.add(row)
        row.position = position
        row.name = allowed[deputy_id].name
        rows.append(row)
    poll.cosign_threshold = threshold if deputy_ids else None
    db.session.flush()
    audit.record(
        "poll.scrutineers",
        "poll",
        poll.public_id,
        {"deputies": [allowed[d].code for d in deputy_ids], "threshold": threshold},
    )
    return rows


def forget_draft(poll: Poll) -> None:
    """A draft is being deleted (``voting.services.drafts.delete_draft``'s listener): its
    scrutineers and their enrolled keys go with it."""
    db.session.execute(PollScrutineer.__table__.delete().where(PollScrutineer.poll_id == poll.id))


def threshold_of(poll: Poll, count: int) -> int:
    return poll.cosign_threshold if poll.cosign_threshold is not None else count


# --- Enrollment (the scrutineer's phone) ---------------------------------------------


def _decode(value: object, length: int) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not a string")
    raw = b64url_decode(value)
    if len(raw) != length:
        raise ValueError(f"must be {length} bytes, not {len(raw)}")
    return raw


def scrutineer_for(poll: Poll, deputy_id: int) -> PollScrutineer | None:
    return db.session.scalar(
        select(PollScrutineer).where(PollScrutineer.poll_id == poll.id, PollScrutineer.deputy_id == deputy_id)
    )


def enroll_key(poll: Poll, deputy_id: int, key: object) -> PollScrutineer:
    """Store the public key the scrutineer's phone made. Before the poll opens a new key
    replaces the old one (a phone lost before the vote); once the poll opened, never.
    Flushes; the caller commits."""
    row = scrutineer_for(poll, deputy_id)
    if row is None:
        raise PollError(403, "not_a_scrutineer")
    if not poll.is_draft:
        raise PollError(409, "scrutineer_key_fixed")
    try:
        raw = _decode(key, signing.KEY_LENGTH)
    except (ProtocolError, ValueError, TypeError, binascii.Error) as exc:
        raise PollError(422, "bad_scrutineer_key", detail=str(exc)) from None
    problem = signing.key_problem(raw)
    if problem:
        raise PollError(422, "bad_scrutineer_key", detail=f"the key {problem}")
    text = b64url_encode(raw)
    clash = db.session.scalar(
        select(PollScrutineer.id).where(
            PollScrutineer.poll_id == poll.id, PollScrutineer.key == text, PollScrutineer.id != row.id
        )
    )
    if clash is not None:
        raise PollError(409, "scrutineer_key_taken")
    row.key = text
    row.enrolled_at = utc_now()
    db.session.flush()
    audit.record("poll.scrutineer_key", "poll", poll.public_id, {"fingerprint": signing.fingerprint(raw)})
    return row


def missing_keys(poll: Poll) -> list[PollScrutineer]:
    return [row for row in scrutineers_of(poll) if row.key is None]


def manifest_members(poll: Poll) -> dict:
    """The manifest's ``scrutineers`` and ``cosign_threshold`` at open (empty without
    scrutineers); refuses while a scrutineer has not enrolled a key."""
    rows = scrutineers_of(poll)
    if not rows:
        return {}
    missing = [row.name for row in rows if row.key is None]
    if missing:
        raise PollError(422, "scrutineers_not_enrolled", names="、".join(missing))
    return {
        "scrutineers": [{"name": row.name, "key": row.key} for row in rows],
        "cosign_threshold": threshold_of(poll, len(rows)),
    }


# --- Co-signatures (after the close) ---------------------------------------------------


class CosignOutcome:
    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body


def store_cosignature(poll: Poll, deputy_id: int | None, body: object, *, logged_in: bool = True) -> CosignOutcome:
    """``POST /api/polls/<poll>/cosignatures``; the caller found the poll (404
    ``unknown_poll``) and read the body (422 ``bad_request``). Answers in the
    protocol's order; commits what it stores."""
    if not poll.is_closed:
        raise PollError(404, "board_not_published")
    if not isinstance(body, dict) or set(body) != {"key", "sig"}:
        raise PollError(422, "bad_request", detail='the body must be {"key": …, "sig": …}')
    try:
        _decode(body["key"], signing.KEY_LENGTH)
        _decode(body["sig"], signing.SIGNATURE_LENGTH)
    except (ProtocolError, ValueError, TypeError, binascii.Error) as exc:
        raise PollError(422, "bad_request", detail=str(exc)) from None
    if not logged_in:
        raise PollError(401, "login_required")
    row = scrutineer_for(poll, deputy_id) if deputy_id is not None else None
    listed = {entry["key"] for entry in poll.manifest.get("scrutineers", ())}
    if row is None or row.key != body["key"] or body["key"] not in listed:
        raise PollError(403, "not_a_scrutineer")
    answer = {"key": row.key, "sig": body["sig"]}
    row_id = row.id
    if row.cosig == body["sig"]:
        return CosignOutcome(200, answer)
    if not signing.verify(b64url_decode(row.key), signing.CONTEXT_COSIGN, poll.closing, body["sig"]):
        raise PollError(422, "bad_cosignature")
    if row.cosig is not None:
        raise PollError(409, "already_cosigned")
    # Conditional, so that two requests at once store one signature.
    stored = db.session.execute(
        update(PollScrutineer)
        .where(PollScrutineer.id == row_id, PollScrutineer.cosig.is_(None))
        .values(cosig=body["sig"], cosigned_at=utc_now(), declined_reason=None, declined_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not stored:
        db.session.rollback()
        if db.session.scalar(select(PollScrutineer.cosig).where(PollScrutineer.id == row_id)) == body["sig"]:
            return CosignOutcome(200, answer)
        raise PollError(409, "already_cosigned")
    audit.record("poll.cosign", "poll", poll.public_id, {"fingerprint": fingerprint_of(answer["key"])})
    db.session.commit()
    return CosignOutcome(201, answer)


def decline(poll: Poll, deputy_id: int, reason: str) -> PollScrutineer:
    """The scrutineer declines to sign, with a reason shown on the poll's page. After
    the close, before signing; a later signature replaces the refusal. Flushes."""
    row = scrutineer_for(poll, deputy_id)
    if row is None:
        raise PollError(403, "not_a_scrutineer")
    if not poll.is_closed:
        raise PollError(404, "board_not_published")
    if row.cosig is not None:
        raise PollError(409, "already_cosigned")
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= REASON_MAX:
        raise PollError(422, "decline_reason")
    row.declined_reason = reason
    row.declined_at = utc_now()
    db.session.flush()
    audit.record("poll.cosign_declined", "poll", poll.public_id, {"fingerprint": fingerprint_of(row.key)})
    return row


def cosignatures(poll: Poll) -> list[dict] | None:
    """The board's ``cosignatures`` in manifest order, or None when the manifest has
    no scrutineers."""
    listed = poll.manifest.get("scrutineers") if poll.manifest else None
    if not listed:
        return None
    stored = {
        key: sig
        for key, sig in db.session.execute(
            select(PollScrutineer.key, PollScrutineer.cosig).where(
                PollScrutineer.poll_id == poll.id, PollScrutineer.cosig.is_not(None)
            )
        )
    }
    return [{"key": entry["key"], "sig": stored[entry["key"]]} for entry in listed if entry["key"] in stored]


def fingerprint_of(key: str | None) -> str:
    return signing.fingerprint(b64url_decode(key)) if key else ""


@dataclass
class ScrutineerLine:
    name: str
    code: str
    fingerprint: str  # "" until enrolled
    enrolled: bool
    signed: bool
    declined_reason: str | None


@dataclass
class Scrutiny:
    lines: list[ScrutineerLine]
    threshold: int
    signed: int

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def attested(self) -> bool:
        return self.signed >= self.threshold

    @property
    def complete(self) -> bool:
        """Every scrutineer has signed: the board cannot change any more."""
        return self.signed == self.count

    @property
    def fingerprints(self) -> list[str]:
        return [line.fingerprint for line in self.lines]


def scrutiny(poll: Poll) -> Scrutiny | None:
    """The scrutineers as the pages show them (names, fingerprints, who signed or
    declined and why), or None when the poll has none. After the open the names and
    keys are the manifest's."""
    rows = db.session.execute(
        select(PollScrutineer, Deputy.code)
        .join(Deputy, Deputy.id == PollScrutineer.deputy_id)
        .where(PollScrutineer.poll_id == poll.id)
        .order_by(PollScrutineer.position)
    ).all()
    if not rows:
        return None
    lines = [
        ScrutineerLine(
            name=row.name,
            code=code,
            fingerprint=fingerprint_of(row.key),
            enrolled=row.key is not None,
            signed=row.cosig is not None,
            declined_reason=row.declined_reason if row.cosig is None else None,
        )
        for row, code in rows
    ]
    threshold = (poll.manifest or {}).get("cosign_threshold") or threshold_of(poll, len(lines))
    return Scrutiny(lines, threshold, sum(1 for line in lines if line.signed))


def board_final(poll: Poll) -> bool:
    """Whether the published board can still change (a co-signature may arrive)."""
    if not (poll.manifest or {}).get("scrutineers"):
        return True
    view = scrutiny(poll)
    return view is None or view.complete


def scrutinized_polls(deputy: Deputy) -> list[tuple[Poll, PollScrutineer]]:
    """The polls (any state) in which the deputy is a scrutineer, newest first."""
    rows = db.session.execute(
        select(Poll, PollScrutineer)
        .join(PollScrutineer, PollScrutineer.poll_id == Poll.id)
        .where(PollScrutineer.deputy_id == deputy.id)
        .order_by(Poll.id.desc())
        .limit(20)
    )
    return [(poll, row) for poll, row in rows]
