"""The hot paths: what a token request or a cast needs of a poll, the token, the cast
and the append to the log. ``issue_token`` and ``cast`` each commit: one transaction
by the protocol's rule, except that a batched cast (protocol revision 5, "Order and
counters", see ``voting.services.batches``) commits its ballot as pending, waits for
its batch, and may be the one that appends the batch."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.models import CheckIn, Deputy
from extensions import db
from voting import keystore
from voting.models import Ballot, PendingBallot, Poll, PollCode, PollState, PollVoter, TokenIssuance
from voting.protocol import blindrsa, merkle, rules, signing
from voting.protocol.board import make_receipt, make_tree_head
from voting.protocol.encoding import (
    ProtocolError,
    b64url_decode,
    b64url_encode,
    canonical,
    code_hash,
    format_time,
    normalise_code,
)
from voting.services import batches
from voting.services.base import PollError, key_encryption_key, utc_now
from voting.services.polls import get_public_poll

# --- The hot paths: what a token request or a cast needs of a poll ----------------------


@dataclass(frozen=True)
class PollFacts:
    """What a token request or a cast needs of an opened poll. None of it changes
    after the open; the poll's state is always read from the database, under the
    lock that makes it final."""

    id: int
    public_id: str
    secrecy: str
    manifest: dict
    manifest_hash: str
    session_id: int | None
    signing_key_enc: bytes | None
    token_key_enc: bytes | None

    @classmethod
    def of(cls, poll: Poll) -> PollFacts:
        return cls(
            poll.id,
            poll.public_id,
            poll.secrecy,
            poll.manifest,
            poll.manifest_hash,
            poll.session_id,
            poll.signing_key_enc,
            poll.token_key_enc,
        )


_FACTS_LIMIT = 256


def _facts_cache() -> dict[str, PollFacts]:
    return current_app.extensions.setdefault("yishi_poll_facts", {})


def poll_facts(public_id: str) -> PollFacts:
    """The facts of an open or closed poll (404 ``unknown_poll`` otherwise), kept per
    process while the poll is open, so a cast or a token request does not load it."""
    cache = _facts_cache()
    facts = cache.get(public_id)
    if facts is None:
        poll = get_public_poll(public_id)
        facts = PollFacts.of(poll)
        if poll.is_open:
            if len(cache) >= _FACTS_LIMIT:
                cache.clear()
            cache[public_id] = facts
    return facts


def _forget(facts: PollFacts) -> None:
    """Drop a poll that is no longer open (or no longer there) from the cache."""
    _facts_cache().pop(facts.public_id, None)


def _as_facts(poll: Poll | PollFacts) -> PollFacts:
    return poll if isinstance(poll, PollFacts) else PollFacts.of(poll)


_POLL, _VOTER, _ISSUANCE, _CHECKIN, _BALLOT, _PENDING = (
    Poll.__table__,
    PollVoter.__table__,
    TokenIssuance.__table__,
    CheckIn.__table__,
    Ballot.__table__,
    PendingBallot.__table__,
)


def _token_state_query(dialect: str):
    """One read for a token request: the poll's state, the deputy's place in the
    register, an earlier issuance, and the check-in. On PostgreSQL it takes a KEY
    SHARE lock on the poll row, which appends do not wait for but the close does
    (``lock_log`` locks FOR UPDATE): an issuance never commits after the close has
    read the register. SQLite serialises every write, and the issuance re-checks the
    state inside its write transaction (``_TOKEN_STILL_OPEN``)."""
    voter = _VOTER.alias("v")
    issued = _ISSUANCE.alias("t")
    checkin = _CHECKIN.alias("c")
    query = (
        select(
            _POLL.c.state,
            voter.c.id.label("voter_id"),
            voter.c.paper,
            issued.c.id.label("issued"),
            issued.c.blinded_sha256,
            checkin.c.id.label("checked_in"),
        )
        .select_from(
            _POLL.outerjoin(voter, (voter.c.poll_id == _POLL.c.id) & (voter.c.deputy_id == bindparam("b_deputy")))
            .outerjoin(issued, (issued.c.poll_id == _POLL.c.id) & (issued.c.voter_id == voter.c.id))
            .outerjoin(
                checkin,
                (checkin.c.session_id == bindparam("b_session")) & (checkin.c.deputy_id == bindparam("b_deputy")),
            )
        )
        .where(_POLL.c.id == bindparam("b_id"), _POLL.c.public_id == bindparam("b_public"))
    )
    if dialect == "postgresql":
        query = query.with_for_update(read=True, key_share=True, of=_POLL)
    return query


_TOKEN_STATE = {name: _token_state_query(name) for name in ("postgresql", "sqlite")}
_TOKEN_STILL_OPEN = (
    update(_POLL).where(_POLL.c.id == bindparam("b_id"), _POLL.c.state == PollState.OPEN).values(state=_POLL.c.state)
)
# (rev 5) never a deputy marked as voting on paper: the marking locks and writes the
# same row, so a marking that committed first is seen here (0 rows: voted_on_paper).
_MARK_PRESENT = (
    update(_VOTER).where(_VOTER.c.id == bindparam("b_voter"), _VOTER.c.paper.is_(False)).values(present=True)
)
_LOCK_LOG = (
    update(_POLL)
    .where(_POLL.c.id == bindparam("b_id"), _POLL.c.public_id == bindparam("b_public"))
    .values(log_size=_POLL.c.log_size)
    .returning(
        _POLL.c.state,
        _POLL.c.log_size,
        _POLL.c.log_frontier,
        _POLL.c.log_timestamp,
        _POLL.c.batch_opened,
        _POLL.c.log_committed,
        _POLL.c.log_published,
    )
)
_INSERT_BALLOT = insert(_BALLOT).values(
    poll_id=bindparam("b_id"),
    leaf_index=bindparam("leaf_index"),
    leaf_hash=bindparam("leaf_hash"),
    credential=bindparam("credential"),
    body=bindparam("body"),
    receipt=bindparam("receipt"),
)
_WRITE_LOG = (
    update(_POLL)
    .where(_POLL.c.id == bindparam("b_id"))
    .values(
        log_size=bindparam("b_size"),
        log_frontier=bindparam("b_frontier", type_=_POLL.c.log_frontier.type),
        log_root=bindparam("b_root"),
        log_timestamp=bindparam("b_timestamp"),
        log_head_sig=bindparam("b_head_sig"),
        log_committed=bindparam("b_committed"),
        log_published=bindparam("b_published"),
    )
)


# PostgreSQL: the ballot and the new log state in one statement (a data-modifying WITH),
# so the lock is held for one round trip less. SQLite runs the two statements.
_APPEND_PG = _WRITE_LOG.add_cte(_INSERT_BALLOT.cte("appended"))
_MARK_VOTED = (
    update(_VOTER)
    .where(_VOTER.c.poll_id == bindparam("b_id"), _VOTER.c.voter == bindparam("b_voter"))
    .values(present=True)
)
_STORED_RECEIPT = select(_BALLOT.c.receipt).where(
    _BALLOT.c.poll_id == bindparam("b_id"), _BALLOT.c.leaf_hash == bindparam("b_leaf")
)
_POLL_STATE = select(_POLL.c.state).where(_POLL.c.id == bindparam("b_id"))


def issue_token(poll: Poll | PollFacts, deputy: Deputy | int, blinded_msg_b64: object) -> str:
    """Blind-sign a token for a deputy of the register, once; commits.

    Core statements on the session's connection: one read, then the RSA operation,
    then the issuance in the same transaction. ``deputy`` may be the deputy's id.

    The same deputy sending the same blinded message again gets the same signature
    (revision 5: a page reloaded while its request was in flight can finish). RSA
    signing is deterministic, so the repeat signs again, writes nothing, and hands out
    nothing that was not handed out before; any other message answers 409.
    """
    facts = _as_facts(poll)
    deputy_id = deputy if isinstance(deputy, int) else deputy.id
    blinded = _blinded_message(facts, blinded_msg_b64)
    digest = hashlib.sha256(blinded).hexdigest()
    params = {"b_id": facts.id, "b_public": facts.public_id, "b_deputy": deputy_id, "b_session": facts.session_id}
    try:
        try:
            return _issue(facts, params, blinded, digest)
        except IntegrityError:
            # A request of the same deputy committed first (a racing repeat, or a
            # different message): answer as if this one had come second.
            db.session.rollback()
            return _issue(facts, params, blinded, digest)
    except PollError:
        db.session.rollback()
        raise
    except IntegrityError as exc:
        db.session.rollback()
        raise PollError(409, "token_already_issued") from exc


def _blinded_message(facts: PollFacts, blinded_msg_b64: object) -> bytes:
    """The decoded blinded message, or 422 ``bad_request``: checked against the poll's
    public key before anything else is read, as the protocol orders the answers."""
    if facts.secrecy != "secret":
        raise PollError(422, "bad_request", detail="tokens exist only in secret polls")
    if not isinstance(blinded_msg_b64, str):
        raise PollError(422, "bad_request", detail="blinded_msg must be a base64url string")
    try:
        blinded = b64url_decode(blinded_msg_b64)
    except ValueError as exc:
        raise PollError(422, "bad_request", detail="blinded_msg is not base64url") from exc
    key = _token_verifier(facts)
    if len(blinded) != key.modulus_len or int.from_bytes(blinded, "big") >= key.n:
        raise PollError(422, "bad_request", detail="blinded_msg has the wrong size")
    return blinded


def _issue(facts: PollFacts, params: dict, blinded: bytes, digest: str) -> str:
    """One attempt: read the state, refuse or repeat or sign and record."""
    conn = db.session.connection()
    row = conn.execute(_TOKEN_STATE[conn.dialect.name], params).one_or_none()
    if row is None:
        _forget(facts)
        raise PollError(404, "unknown_poll")
    if row.state != PollState.OPEN:
        _forget(facts)
        raise PollError(409, "poll_closed")
    if row.voter_id is None:
        raise PollError(403, "not_in_register")
    if current_app.config["YISHI_REQUIRE_CHECKIN"] and facts.session_id is not None and row.checked_in is None:
        raise PollError(403, "not_checked_in")
    if row.paper:
        raise PollError(409, "voted_on_paper")
    if row.issued is not None:
        if row.blinded_sha256 is None or not hmac.compare_digest(row.blinded_sha256, digest):
            raise PollError(409, "token_already_issued")
        blind_sig = _blind_sign(facts, blinded)
        # SQLite took no lock with the read: look at the state again, now, so that a
        # repeat never answers after the close committed (PostgreSQL holds KEY SHARE).
        if (
            conn.dialect.name != "postgresql"
            and conn.execute(_POLL_STATE, {"b_id": facts.id}).scalar() != PollState.OPEN
        ):
            _forget(facts)
            raise PollError(409, "poll_closed")
        db.session.rollback()  # nothing was written; this ends the read and its lock
        return b64url_encode(blind_sig)
    blind_sig = _blind_sign(facts, blinded)
    conn.execute(insert(_ISSUANCE), {"poll_id": facts.id, "voter_id": row.voter_id, "blinded_sha256": digest})
    if not conn.execute(_MARK_PRESENT, {"b_voter": row.voter_id}).rowcount:
        raise PollError(409, "voted_on_paper")
    if conn.dialect.name != "postgresql" and not conn.execute(_TOKEN_STILL_OPEN, {"b_id": facts.id}).rowcount:
        _forget(facts)
        raise PollError(409, "poll_closed")
    db.session.commit()
    return b64url_encode(blind_sig)


def _blind_sign(facts: PollFacts, blinded: bytes) -> bytes:
    signer = keystore.blind_signer(key_encryption_key(), facts.public_id, facts.token_key_enc)
    return signer.blind_sign(blinded)  # checks s^e = m before it returns


# --- Casting -------------------------------------------------------------------------


@dataclass
class CastOutcome:
    status: int  # 201 new, 200 identical ballot already stored (202: pending, wait=False)
    receipt: dict


def cast(poll: Poll | PollFacts, body: object, *, deputy=None, wait: bool = True) -> CastOutcome:
    """Validate and append a ballot, answering in the protocol's order of checks; commits.

    The common case costs three statements: the lock (which reads the log state and
    the poll's state), the ballot, the log state. The rarer answers are found only
    when something is refused: an identical ballot already stored (200 with its
    receipt) comes before ``poll_closed``, which comes before every other refusal but
    ``bad_request``, and ``already_used`` comes last, from the unique constraint.

    ``deputy`` is, for named polls, a callable giving the logged-in deputy (or None):
    secret and code polls never call it, and read no cookie.

    A batched poll's ballot is answered once its batch is appended (see
    ``voting.services.batches``). With ``wait=False`` a ballot left pending is answered
    at once with ``CastOutcome(202, {"leaf_hash": …})``: for tests and tools that
    drive the batches themselves (``append_if_due``).
    """
    facts = _as_facts(poll)
    if not isinstance(body, dict):
        raise PollError(422, "bad_request", detail="the body must be an object")
    expected = {"ballot", "code"} if facts.secrecy == "code" else {"ballot"}
    if set(body) != expected:
        raise PollError(422, "bad_request", detail="members must be " + ", ".join(sorted(expected)))
    ballot = body["ballot"]
    if facts.secrecy == "code" and (not isinstance(body["code"], str) or len(body["code"]) > 64):
        raise PollError(422, "bad_request", detail="code must be a string of at most 64 characters")
    manifest = facts.manifest
    try:
        credential = rules.validate_ballot_shape(manifest, ballot)
    except ProtocolError as exc:
        raise PollError(422, "bad_request", detail=exc.detail) from exc
    leaf = canonical(ballot)
    leaf_hash = merkle.leaf_hash(leaf).hex()
    try:
        try:
            rules.check_ballot_binding(manifest, facts.manifest_hash, ballot)
        except ProtocolError as exc:
            raise PollError(422, "wrong_manifest", detail=exc.detail) from exc
        key = _check_credential(facts, credential, body, deputy)
        try:
            rules.validate_choices(manifest, ballot["choices"])
        except ProtocolError as exc:
            raise PollError(422, "bad_choices", detail=exc.detail, **exc.params) from exc
    except PollError as refusal:
        db.session.rollback()
        stored = _stored_receipt(facts, leaf_hash)
        if stored is not None:
            return CastOutcome(200, stored)
        if _is_pending(facts, leaf_hash):  # the identical ballot waits for its batch
            return _await_batch(facts, leaf_hash, 200)
        if db.session.connection().execute(_POLL_STATE, {"b_id": facts.id}).scalar() != PollState.OPEN:
            _forget(facts)
            raise PollError(409, "poll_closed") from None
        raise refusal
    if batches.batched(facts.secrecy):
        return _submit(facts, leaf, leaf_hash, key, wait)
    return _append(facts, leaf, leaf_hash, key)


def _stored_receipt(facts: PollFacts, leaf_hash: str) -> dict | None:
    text = db.session.connection().execute(_STORED_RECEIPT, {"b_id": facts.id, "b_leaf": leaf_hash}).scalar()
    return json.loads(text) if text is not None else None


def _check_credential(facts: PollFacts, credential: rules.Credential, body: dict, deputy) -> str:
    """Check the ballot's credential; returns the key stored against reuse."""
    if facts.secrecy == "secret":
        if not _token_verifier(facts).verify(credential.key, credential.token_sig):
            raise PollError(422, "bad_token_signature")
        return credential.key.hex()
    if facts.secrecy == "code":
        try:
            digest = code_hash(normalise_code(body["code"]))
        except ProtocolError as exc:
            raise PollError(422, "bad_code") from exc
        if digest != credential.key:
            raise PollError(422, "bad_code")
        known = db.session.scalar(select(PollCode.id).where(PollCode.poll_id == facts.id, PollCode.code_hash == digest))
        if known is None:
            raise PollError(403, "unknown_code")
        return digest
    # named
    voter = None
    deputy = deputy() if callable(deputy) else deputy
    if deputy is not None:
        voter = db.session.scalar(
            select(PollVoter).where(PollVoter.poll_id == facts.id, PollVoter.deputy_id == deputy.id)
        )
    if voter is None:
        raise PollError(403, "not_in_register")
    if voter.voter != credential.key:
        raise PollError(403, "not_your_ballot")
    _require_checkin(facts, deputy.id)
    if voter.paper:
        raise PollError(409, "voted_on_paper")
    return voter.voter


def _require_checkin(facts: PollFacts, deputy_id: int) -> None:
    """The server's policy: a deputy must be checked in to take a token or cast a
    named ballot (``YISHI_REQUIRE_CHECKIN``)."""
    if current_app.config["YISHI_REQUIRE_CHECKIN"] and facts.session_id is not None:
        checked_in = db.session.scalar(
            select(CheckIn.id).where(CheckIn.session_id == facts.session_id, CheckIn.deputy_id == deputy_id)
        )
        if checked_in is None:
            raise PollError(403, "not_checked_in")


_VERIFIERS: dict[str, blindrsa.TokenVerifier] = {}


def _token_verifier(facts: PollFacts) -> blindrsa.TokenVerifier:
    """The poll's RSA public key, parsed once per process (keyed by manifest hash)."""
    verifier = _VERIFIERS.get(facts.manifest_hash)
    if verifier is None:
        n, e = blindrsa.parse_public_numbers(facts.manifest["token_key"])
        verifier = _VERIFIERS[facts.manifest_hash] = blindrsa.TokenVerifier(n, e)
    return verifier


def lock_log(poll: Poll) -> Poll:
    """Take the per-poll write lock and reload the poll under it (the close).

    The no-op UPDATE is the first write of the transaction: SQLite takes the
    database write lock, PostgreSQL a row lock, so the close waits for appends in
    flight. FOR UPDATE then also waits for token requests, which hold a KEY SHARE
    lock on the row until they commit (a plain UPDATE would not).
    """
    db.session.execute(update(Poll).where(Poll.id == poll.id).values(log_size=Poll.log_size))
    return db.session.scalars(
        select(Poll).where(Poll.id == poll.id).with_for_update().execution_options(populate_existing=True)
    ).one()


def _lock_open_log(conn, facts: PollFacts, leaf_hash: str):
    """Take the per-poll lock (the first write of the transaction) and read back the
    log state of the open poll. For a poll no longer open: the receipt of an identical
    ballot already stored (200), else 409 ``poll_closed``; 404 ``unknown_poll``."""
    state = conn.execute(_LOCK_LOG, {"b_id": facts.id, "b_public": facts.public_id}).one_or_none()
    if state is None:
        _forget(facts)
        raise PollError(404, "unknown_poll")
    if state.state != PollState.OPEN:
        db.session.rollback()
        _forget(facts)
        stored = _stored_receipt(facts, leaf_hash)
        if stored is not None:
            return CastOutcome(200, stored)
        raise PollError(409, "poll_closed")
    return state


def _append(facts: PollFacts, leaf: bytes, leaf_hash: str, credential: str) -> CastOutcome:
    """Append one leaf under the per-poll lock: O(log n) work, one transaction.

    Core statements on the session's connection, not the ORM unit of work: the cast
    is the hottest path there is. A reused credential, or the identical ballot sent
    again, is stopped by the unique constraints and answered after the rollback.
    """
    conn = db.session.connection()
    try:
        state = _lock_open_log(conn, facts, leaf_hash)
        if isinstance(state, CastOutcome):
            return state
        frontier = merkle.Frontier.from_hex(state.log_size, state.log_frontier)
        frontier, index, root, proof = merkle.append_with_proof(frontier, bytes.fromhex(leaf_hash))
        size = index + 1
        timestamp = max(format_time(utc_now()), state.log_timestamp or "")
        head = make_tree_head(facts.public_id, size, root.hex(), timestamp)
        private = keystore.signing_key(key_encryption_key(), facts.public_id, facts.signing_key_enc)
        head_sig = signing.sign(private, signing.CONTEXT_TREE_HEAD, head)
        receipt = make_receipt(head, head_sig, index, leaf_hash, proof)
        row = {
            "b_id": facts.id,
            "leaf_index": index,
            "leaf_hash": leaf_hash,
            "credential": credential,
            "body": leaf.decode(),
            "receipt": json.dumps(receipt, separators=(",", ":")),
        }
        now = batches.clock()
        log = {
            "b_size": size,
            "b_frontier": frontier.to_hex(),
            "b_root": root.hex(),
            "b_timestamp": timestamp,
            "b_head_sig": head_sig,
            "b_committed": now,
            "b_published": batches.next_published(state.log_committed, state.log_published, state.log_size, now),
        }
        if conn.dialect.name == "postgresql":
            conn.execute(_APPEND_PG, row | log)
        else:  # SQLite has no data-modifying WITH
            conn.execute(_INSERT_BALLOT, row)
            conn.execute(_WRITE_LOG, log | {"b_id": facts.id})
        if facts.secrecy == "named":
            conn.execute(_MARK_VOTED, {"b_id": facts.id, "b_voter": credential})
        db.session.commit()
    except PollError:
        db.session.rollback()
        raise
    except IntegrityError:
        # The credential is used: by this very ballot (a retry whose first attempt
        # committed) or by another one.
        db.session.rollback()
        stored = _stored_receipt(facts, leaf_hash)
        if stored is not None:
            return CastOutcome(200, stored)
        raise PollError(409, "already_used") from None
    return CastOutcome(201, receipt)


# --- Batches (protocol revision 5, "Order and counters") ------------------------------

_PENDING_COUNT = select(func.count()).select_from(_PENDING).where(_PENDING.c.poll_id == bindparam("b_id"))
_IS_PENDING = select(_PENDING.c.id).where(
    _PENDING.c.poll_id == bindparam("b_id"), _PENDING.c.leaf_hash == bindparam("b_leaf")
)
_BATCH_STATE = select(
    _POLL.c.state,
    _POLL.c.batch_opened,
    _PENDING_COUNT.scalar_subquery().label("pending"),
).where(_POLL.c.id == bindparam("b_id"))
_OPEN_BATCH = (
    update(_POLL)
    .where(_POLL.c.id == bindparam("b_id"), _POLL.c.batch_opened.is_(None))
    .values(batch_opened=bindparam("b_now"))
)
_INSERT_PENDING = insert(_PENDING).values(
    poll_id=bindparam("b_id"),
    leaf_hash=bindparam("b_leaf"),
    credential=bindparam("b_credential"),
    body=bindparam("b_body"),
)
_LOG_STATE = select(
    _POLL.c.log_size,
    _POLL.c.log_frontier,
    _POLL.c.log_timestamp,
    _POLL.c.log_committed,
    _POLL.c.log_published,
).where(_POLL.c.id == bindparam("b_id"))
_BATCH_LOG = _WRITE_LOG.values(batch_opened=None)

# A waiting cast looks at its batch this often (at most); the batch itself is due
# after the window, and a waiting cast sleeps until then when it can.
WAIT_STEP = 0.5
# A cast whose batch is still not appended this long after the longest window answers
# 503 (the identical ballot may be sent again: it is then answered with its receipt).
WAIT_SLACK = 60.0

_RANDOM = secrets.SystemRandom()


def _is_pending(facts: PollFacts, leaf_hash: str) -> bool:
    found = db.session.connection().execute(_IS_PENDING, {"b_id": facts.id, "b_leaf": leaf_hash}).first()
    db.session.rollback()
    return found is not None


def _submit(facts: PollFacts, leaf: bytes, leaf_hash: str, credential: str, wait: bool = True) -> CastOutcome:
    """Put a checked ballot into the open batch (committed), then answer with its
    receipt once the batch is appended: by this request if the batch is due now,
    or after waiting (``_await_batch``).

    Under the per-poll lock, as an append: the poll's state, then an identical ballot
    in the log (200) or pending (the same receipt when its batch commits), then the
    credential used in the log or in the batch (409 ``already_used``).
    """
    conn = db.session.connection()
    try:
        state = _lock_open_log(conn, facts, leaf_hash)
        if isinstance(state, CastOutcome):
            return state
        params = {"b_id": facts.id, "b_leaf": leaf_hash, "b_credential": credential}
        for table in (_BALLOT, _PENDING):
            taken = conn.execute(
                select(table.c.leaf_hash).where(
                    table.c.poll_id == facts.id,
                    or_(table.c.leaf_hash == leaf_hash, table.c.credential == credential),
                )
            ).all()
            if any(row.leaf_hash == leaf_hash for row in taken):
                db.session.rollback()
                if table is _BALLOT:
                    return CastOutcome(200, _stored_receipt(facts, leaf_hash))
                return _await_batch(facts, leaf_hash, 200) if wait else CastOutcome(202, {"leaf_hash": leaf_hash})
            if taken:
                raise PollError(409, "already_used")
        now = batches.clock()
        conn.execute(_INSERT_PENDING, params | {"b_body": leaf.decode()})
        conn.execute(_OPEN_BATCH, {"b_id": facts.id, "b_now": now})
        opened = state.batch_opened if state.batch_opened is not None else now
        pending = conn.execute(_PENDING_COUNT, {"b_id": facts.id}).scalar()
        if batches.is_due(opened, pending, now):
            receipts = append_pending(conn, facts)
            db.session.commit()
            return CastOutcome(201, receipts[leaf_hash])
        db.session.commit()
        if not wait:
            return CastOutcome(202, {"leaf_hash": leaf_hash})
    except PollError:
        db.session.rollback()
        raise
    except IntegrityError:
        # A racing request took the credential or sent the same ballot first.
        db.session.rollback()
        stored = _stored_receipt(facts, leaf_hash)
        if stored is not None:
            return CastOutcome(200, stored)
        if _is_pending(facts, leaf_hash):
            return _await_batch(facts, leaf_hash, 200)
        raise PollError(409, "already_used") from None
    return _await_batch(facts, leaf_hash, 201)


def _await_batch(facts: PollFacts, leaf_hash: str, status: int) -> CastOutcome:
    """Wait until the batch holding this ballot is appended and answer with its
    receipt; append the batch when it is due and nobody else has. Every look is its
    own short transaction: nothing is held while waiting."""
    conn_params = {"b_id": facts.id}
    deadline = time.monotonic() + batches.settings()[2] + WAIT_SLACK
    while True:
        stored = _stored_receipt(facts, leaf_hash)
        if stored is not None:
            db.session.rollback()
            return CastOutcome(status, stored)
        row = db.session.connection().execute(_BATCH_STATE, conn_params).one_or_none()
        mine = db.session.connection().execute(_IS_PENDING, conn_params | {"b_leaf": leaf_hash}).first()
        db.session.rollback()
        if row is None or row.state != PollState.OPEN or mine is None:
            # The close appends every pending ballot first; a ballot neither in the
            # log nor pending was never stored (or its poll is gone).
            stored = _stored_receipt(facts, leaf_hash)
            db.session.rollback()
            if stored is not None:
                return CastOutcome(status, stored)
            _forget(facts)
            raise PollError(409, "poll_closed")
        now = batches.clock()
        if batches.is_due(row.batch_opened, row.pending, now):
            if not append_if_due(facts):
                time.sleep(0.02)  # another request appended it (or is appending it)
            continue
        if time.monotonic() > deadline:
            raise PollError(503, "batch_pending")
        wait = batches.seconds_until_due(row.batch_opened, row.pending, now)
        time.sleep(min(WAIT_STEP, max(wait, 0.02)) * (0.75 + 0.5 * random.random()))


def append_if_due(facts: PollFacts) -> bool:
    """Take the per-poll lock and append the pending batch if it is (still) due;
    commits. Whoever finds the batch due calls this; the lock makes one of them do it."""
    conn = db.session.connection()
    try:
        state = conn.execute(_LOCK_LOG, {"b_id": facts.id, "b_public": facts.public_id}).one_or_none()
        if state is None or state.state != PollState.OPEN:
            db.session.rollback()
            return False
        pending = conn.execute(_PENDING_COUNT, {"b_id": facts.id}).scalar()
        if not batches.is_due(state.batch_opened, pending, batches.clock()):
            db.session.rollback()
            return False
        append_pending(conn, facts)
        db.session.commit()
        return True
    except BaseException:
        db.session.rollback()
        raise


def append_pending(conn, facts: PollFacts) -> dict[str, dict]:
    """Append every pending ballot of the poll to the log, in an order drawn from the
    operating system's random source, under one signed tree head; write their
    receipts and delete the pending rows. The caller holds the per-poll lock and
    commits. Returns the receipts by leaf hash (empty when nothing was pending)."""
    rows = conn.execute(
        select(_PENDING.c.id, _PENDING.c.leaf_hash, _PENDING.c.credential, _PENDING.c.body)
        .where(_PENDING.c.poll_id == facts.id)
        .order_by(_PENDING.c.id)
    ).all()
    if not rows:
        return {}
    order = list(rows)
    _RANDOM.shuffle(order)
    state = conn.execute(_LOG_STATE, {"b_id": facts.id}).one()
    frontier = merkle.Frontier.from_hex(state.log_size, state.log_frontier)
    start = frontier.size
    frontier, root, proofs = merkle.append_batch(frontier, [bytes.fromhex(r.leaf_hash) for r in order])
    size = frontier.size
    timestamp = max(format_time(utc_now()), state.log_timestamp or "")
    head = make_tree_head(facts.public_id, size, root.hex(), timestamp)
    private = keystore.signing_key(key_encryption_key(), facts.public_id, facts.signing_key_enc)
    head_sig = signing.sign(private, signing.CONTEXT_TREE_HEAD, head)
    receipts: dict[str, dict] = {}
    ballots = []
    for offset, (row, proof) in enumerate(zip(order, proofs, strict=True)):
        receipt = make_receipt(head, head_sig, start + offset, row.leaf_hash, proof)
        receipts[row.leaf_hash] = receipt
        ballots.append(
            {
                "b_id": facts.id,
                "leaf_index": start + offset,
                "leaf_hash": row.leaf_hash,
                "credential": row.credential,
                "body": row.body,
                "receipt": json.dumps(receipt, separators=(",", ":")),
            }
        )
    conn.execute(delete(_PENDING).where(_PENDING.c.id.in_([r.id for r in rows])))
    conn.execute(_INSERT_BALLOT, ballots)
    now = batches.clock()
    conn.execute(
        _BATCH_LOG,
        {
            "b_id": facts.id,
            "b_size": size,
            "b_frontier": frontier.to_hex(),
            "b_root": root.hex(),
            "b_timestamp": timestamp,
            "b_head_sig": head_sig,
            "b_committed": now,
            "b_published": batches.next_published(state.log_committed, state.log_published, state.log_size, now),
        },
    )
    if facts.secrecy == "named":
        conn.execute(_MARK_VOTED, [{"b_id": facts.id, "b_voter": row.credential} for row in rows])
    return receipts
