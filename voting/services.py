"""The polls built on the ballot engine: create, open, issue tokens, cast, close.

Views call these; they flush but never commit, except ``issue_token``, ``cast`` and
``close_poll``, which are each one transaction by the protocol's rule and commit
before they return what they promise (a blind signature, a receipt, a board).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import audit
from core.errors import DomainError
from core.models import CheckIn, Deputy, Session
from extensions import db
from voting import blindrsa, keystore, merkle, messages, rules, signing, tally
from voting.board import board_text_parts, make_closing, make_receipt, make_tree_head
from voting.encoding import (
    ProtocolError,
    b64url_decode,
    b64url_encode,
    canonical,
    code_hash,
    format_time,
    generate_code,
    is_identifier,
    normalise_code,
    sha256_hex,
)
from voting.models import Ballot, Poll, PollCode, PollVoter, TokenIssuance


class PollError(DomainError):
    """A refused request: HTTP status, the protocol's machine code, and parameters
    for the translated message (see ``voting.messages``)."""

    def __init__(self, status: int, code: str, **params):
        super().__init__(status, code=code)
        self.params = params

    @property
    def message(self) -> str:
        return messages.message(self.code, self.params)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def _master() -> str:
    return current_app.config["YISHI_KEY_ENCRYPTION_KEY"]


# --- Lookup --------------------------------------------------------------------------


def get_public_poll(public_id: str) -> Poll:
    """A poll that has opened; drafts are invisible (404 ``unknown_poll``)."""
    if not is_identifier(public_id):
        raise PollError(404, "unknown_poll")
    poll = db.session.scalar(select(Poll).where(Poll.public_id == public_id))
    if poll is None or poll.state == "draft":
        raise PollError(404, "unknown_poll")
    return poll


def public_polls(limit: int | None = None, state: str | None = None) -> list[Poll]:
    query = select(Poll).where(Poll.state != "draft").order_by(Poll.opened_at.desc(), Poll.id.desc())
    if state:
        query = query.where(Poll.state == state)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def polls_for_deputy(deputy: Deputy) -> list[Poll]:
    """Open secret or named polls whose register holds the deputy."""
    return list(
        db.session.scalars(
            select(Poll)
            .join(PollVoter, PollVoter.poll_id == Poll.id)
            .where(PollVoter.deputy_id == deputy.id, Poll.state == "open")
            .order_by(Poll.opened_at)
        )
    )


@dataclass
class PollCounts:
    poll: Poll
    electorate: int
    present: int
    issued: int
    cast: int


def counts(poll: Poll) -> PollCounts:
    """Live counts for staff: never an interim tally, only how many took part."""
    if poll.secrecy == "code":
        electorate = _count(PollCode, PollCode.poll_id == poll.id)
        present = electorate
    else:
        electorate = _count(PollVoter, PollVoter.poll_id == poll.id)
        present = _present_count(poll) if poll.state != "closed" else poll.result["present"]
    issued = _count(TokenIssuance, TokenIssuance.poll_id == poll.id)
    return PollCounts(poll, electorate, present, issued, poll.log_size)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _present_count(poll: Poll) -> int:
    if poll.session_id is None:
        return _count(PollVoter, PollVoter.poll_id == poll.id, PollVoter.present.is_(True))
    checked_in = select(CheckIn.deputy_id).where(CheckIn.session_id == poll.session_id)
    return _count(
        PollVoter,
        PollVoter.poll_id == poll.id,
        (PollVoter.present.is_(True)) | (PollVoter.deputy_id.in_(checked_in)),
    )


def staff_poll_overview(limit: int = 10) -> list[PollCounts]:
    polls = db.session.scalars(select(Poll).order_by(Poll.id.desc()).limit(limit))
    return [counts(p) for p in polls]


# --- Drafts --------------------------------------------------------------------------


class DraftPoll(NamedTuple):
    poll: Poll
    option_ids: list[str]  # one for each option given, in the same order


def create_poll(
    *,
    public_id: str,
    title: str,
    ballot: str,
    secrecy: str,
    options: Sequence[str] | Sequence[tuple[str, str]],
    poll_rules: dict,
    session: Session | None = None,
    purpose: str = "general",
) -> DraftPoll:
    """Create a draft poll after checking it would make a valid manifest.

    ``options`` are titles, numbered p01, p02 … in order, or ``(id, title)`` pairs;
    the option ids come back in the same order, for the caller to link its own rows.
    """
    options = [
        {"id": f"p{i:02d}", "title": o} if isinstance(o, str) else {"id": o[0], "title": o[1]}
        for i, o in enumerate(options, start=1)
    ]
    if secrecy in ("secret", "named") and session is None:
        raise PollError(422, "session_required")
    if secrecy == "code" and session is not None:
        raise PollError(422, "code_poll_has_no_session")
    if db.session.scalar(select(Poll.id).where(Poll.public_id == public_id)) is not None:
        raise PollError(409, "poll_id_taken", poll=public_id)
    draft = _manifest_skeleton(public_id, title, ballot, secrecy, options, poll_rules, electorate=1)
    try:
        rules.validate_manifest(draft)
    except ProtocolError as exc:
        raise PollError(422, "bad_poll", detail=exc.detail) from exc
    poll = Poll(
        public_id=public_id,
        title=title,
        ballot=ballot,
        secrecy=secrecy,
        options=options,
        rules=poll_rules,
        session=session,
        purpose=purpose,
        state="draft",
        log_frontier=[],
    )
    db.session.add(poll)
    db.session.flush()
    audit.record("poll.create", "poll", poll.public_id, {"title": title, "secrecy": secrecy})
    return DraftPoll(poll, [o["id"] for o in options])


# A placeholder key lets a draft be checked against the manifest rules before the
# real keys exist; it is never published.
_PLACEHOLDER_N = b64url_encode(b"\xc5" * 256)


def _manifest_skeleton(
    public_id,
    title,
    ballot,
    secrecy,
    options,
    poll_rules,
    *,
    electorate,
    signing_key=None,
    token_key=None,
    opened_at=None,
) -> dict:
    manifest = {
        "protocol": "yishi-ballot/1",
        "poll": public_id,
        "title": title,
        "ballot": ballot,
        "secrecy": secrecy,
        "options": [{"id": o["id"], "title": o["title"]} for o in options],
        "rules": poll_rules,
        "electorate": electorate,
        "signing_key": signing_key or b64url_encode(bytes(32)),
        "opened_at": opened_at or format_time(_now()),
    }
    if secrecy == "secret":
        manifest["token_key"] = token_key or {"n": _PLACEHOLDER_N, "e": "AQAB"}
    return manifest


def generate_codes(poll: Poll, count: int) -> list[str]:
    """Make ``count`` one-time codes for a draft code poll; only hashes are kept.

    The codes are returned once, for printing slips; generating again replaces the
    batch (voiding slips already printed).
    """
    if poll.secrecy != "code":
        raise PollError(422, "not_a_code_poll")
    if poll.state != "draft":
        raise PollError(409, "poll_not_draft")
    if not 1 <= count <= 100_000:
        raise PollError(422, "bad_code_count")
    db.session.execute(PollCode.__table__.delete().where(PollCode.poll_id == poll.id))
    codes: list[str] = []
    hashes: set[str] = set()
    while len(codes) < count:
        code = generate_code()
        digest = code_hash(normalise_code(code))
        if digest not in hashes:
            hashes.add(digest)
            codes.append(code)
    db.session.execute(PollCode.__table__.insert(), [{"poll_id": poll.id, "code_hash": h} for h in hashes])
    audit.record("poll.codes", "poll", poll.public_id, {"count": count})
    return codes


# --- Opening -------------------------------------------------------------------------


def open_poll(poll: Poll) -> None:
    """Fix the register, generate and seal the keys, sign the manifest. Caller commits."""
    if poll.state != "draft":
        raise PollError(409, "poll_not_draft")
    master = _master()
    if poll.secrecy == "code":
        electorate = _count(PollCode, PollCode.poll_id == poll.id)
        if electorate == 0:
            raise PollError(422, "no_codes")
    else:
        deputies = db.session.scalars(
            select(Deputy)
            .where(Deputy.congress_id == poll.session.congress_id, Deputy.active.is_(True))
            .order_by(Deputy.code)
        ).all()
        if not deputies:
            raise PollError(422, "empty_register")
        db.session.add_all(PollVoter(poll=poll, deputy_id=d.id, voter=d.code, name=d.name) for d in deputies)
        electorate = len(deputies)
    signing_private, signing_public = signing.generate_keypair()
    token_key = None
    if poll.secrecy == "secret":
        private_key = blindrsa.generate_token_key(current_app.config["YISHI_RSA_BITS"])
        numbers = private_key.public_key().public_numbers()
        token_key = blindrsa.public_numbers_json(numbers.n, numbers.e)
        poll.token_key_enc = keystore.seal_rsa(master, poll.public_id, private_key)
    poll.signing_key_enc = keystore.seal(master, poll.public_id, "signing", signing_private)
    opened = _now()
    manifest = _manifest_skeleton(
        poll.public_id,
        poll.title,
        poll.ballot,
        poll.secrecy,
        poll.options,
        poll.rules,
        electorate=electorate,
        signing_key=b64url_encode(signing_public),
        token_key=token_key,
        opened_at=format_time(opened),
    )
    rules.validate_manifest(manifest)
    poll.manifest = manifest
    poll.manifest_hash = rules.manifest_hash(manifest)
    poll.manifest_sig = signing.sign(signing_private, signing.CONTEXT_MANIFEST, manifest)
    poll.fingerprint = signing.fingerprint(signing_public)
    poll.opened_at = opened
    poll.log_size = 0
    poll.log_frontier = []
    poll.log_root = merkle.root([]).hex()
    poll.log_timestamp = manifest["opened_at"]
    empty_head = make_tree_head(poll.public_id, 0, poll.log_root, poll.log_timestamp)
    poll.log_head_sig = signing.sign(signing_private, signing.CONTEXT_TREE_HEAD, empty_head)
    poll.state = "open"
    db.session.flush()
    audit.record("poll.open", "poll", poll.public_id, {"manifest_hash": poll.manifest_hash, "electorate": electorate})


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
        if poll.state == "open":
            if len(cache) >= _FACTS_LIMIT:
                cache.clear()
            cache[public_id] = facts
    return facts


def _forget(facts: PollFacts) -> None:
    """Drop a poll that is no longer open (or no longer there) from the cache."""
    _facts_cache().pop(facts.public_id, None)


def _as_facts(poll: Poll | PollFacts) -> PollFacts:
    return poll if isinstance(poll, PollFacts) else PollFacts.of(poll)


_POLL, _VOTER, _ISSUANCE, _CHECKIN, _BALLOT = (
    Poll.__table__,
    PollVoter.__table__,
    TokenIssuance.__table__,
    CheckIn.__table__,
    Ballot.__table__,
)


def _token_state_query(dialect: str):
    """One read for a token request: the poll's state, the deputy's place in the
    register, an earlier issuance, and the check-in. On PostgreSQL it takes a KEY
    SHARE lock on the poll row, which appends do not wait for but the close does
    (``_lock_log`` locks FOR UPDATE): an issuance never commits after the close has
    read the register. SQLite serialises every write, and the issuance re-checks the
    state inside its write transaction (``_TOKEN_STILL_OPEN``)."""
    voter = _VOTER.alias("v")
    issued = _ISSUANCE.alias("t")
    checkin = _CHECKIN.alias("c")
    query = (
        select(
            _POLL.c.state,
            voter.c.id.label("voter_id"),
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
    update(_POLL).where(_POLL.c.id == bindparam("b_id"), _POLL.c.state == "open").values(state=_POLL.c.state)
)
_MARK_PRESENT = update(_VOTER).where(_VOTER.c.id == bindparam("b_voter")).values(present=True)
_LOCK_LOG = (
    update(_POLL)
    .where(_POLL.c.id == bindparam("b_id"), _POLL.c.public_id == bindparam("b_public"))
    .values(log_size=_POLL.c.log_size)
    .returning(_POLL.c.state, _POLL.c.log_size, _POLL.c.log_frontier, _POLL.c.log_timestamp)
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
    if row.state != "open":
        _forget(facts)
        raise PollError(409, "poll_closed")
    if row.voter_id is None:
        raise PollError(403, "not_in_register")
    if current_app.config["YISHI_REQUIRE_CHECKIN"] and facts.session_id is not None and row.checked_in is None:
        raise PollError(403, "not_checked_in")
    if row.issued is not None:
        if row.blinded_sha256 is None or not hmac.compare_digest(row.blinded_sha256, digest):
            raise PollError(409, "token_already_issued")
        blind_sig = _blind_sign(facts, blinded)
        # SQLite took no lock with the read: look at the state again, now, so that a
        # repeat never answers after the close committed (PostgreSQL holds KEY SHARE).
        if conn.dialect.name != "postgresql" and conn.execute(_POLL_STATE, {"b_id": facts.id}).scalar() != "open":
            _forget(facts)
            raise PollError(409, "poll_closed")
        db.session.rollback()  # nothing was written; this ends the read and its lock
        return b64url_encode(blind_sig)
    blind_sig = _blind_sign(facts, blinded)
    conn.execute(insert(_ISSUANCE), {"poll_id": facts.id, "voter_id": row.voter_id, "blinded_sha256": digest})
    conn.execute(_MARK_PRESENT, {"b_voter": row.voter_id})
    if conn.dialect.name != "postgresql" and not conn.execute(_TOKEN_STILL_OPEN, {"b_id": facts.id}).rowcount:
        _forget(facts)
        raise PollError(409, "poll_closed")
    db.session.commit()
    return b64url_encode(blind_sig)


def _blind_sign(facts: PollFacts, blinded: bytes) -> bytes:
    signer = keystore.blind_signer(_master(), facts.public_id, facts.token_key_enc)
    return signer.blind_sign(blinded)  # checks s^e = m before it returns


def report_lost_token(poll: Poll, deputy_id: int) -> datetime:
    """Record that the deputy cannot vote with the token issued to them (the browser
    that took it lost it); for the staff's list and the minutes. Flushes; the caller
    commits. Returns the time of the report (the first one, when repeated)."""
    if not poll.is_open:
        raise PollError(409, "poll_closed")
    issuance = db.session.scalar(
        select(TokenIssuance)
        .join(PollVoter, PollVoter.id == TokenIssuance.voter_id)
        .where(TokenIssuance.poll_id == poll.id, PollVoter.deputy_id == deputy_id)
    )
    if issuance is None:
        raise PollError(409, "no_token_issued")
    if issuance.lost_reported_at is None:
        issuance.lost_reported_at = _now().replace(second=0)
        db.session.flush()
        audit.record("poll.token_lost", "poll", poll.public_id)
    return issuance.lost_reported_at


@dataclass
class LostToken:
    voter: str
    name: str
    reported_at: datetime


def lost_token_reports(poll: Poll) -> list[LostToken]:
    """Deputies who reported on the ballot page that they cannot vote with their token.

    In a secret poll this is all the server can know: it cannot tell which deputies
    with a token have cast (that is the secret), only how many tokens are unused."""
    rows = db.session.execute(
        select(PollVoter.voter, PollVoter.name, TokenIssuance.lost_reported_at)
        .join(PollVoter, PollVoter.id == TokenIssuance.voter_id)
        .where(TokenIssuance.poll_id == poll.id, TokenIssuance.lost_reported_at.is_not(None))
        .order_by(PollVoter.voter)
    )
    return [LostToken(voter, name, reported_at) for voter, name, reported_at in rows]


# --- Casting -------------------------------------------------------------------------


@dataclass
class CastOutcome:
    status: int  # 201 new, 200 identical ballot already stored
    receipt: dict


def cast(poll: Poll | PollFacts, body: object, *, deputy=None) -> CastOutcome:
    """Validate and append a ballot, answering in the protocol's order of checks; commits.

    The common case costs three statements: the lock (which reads the log state and
    the poll's state), the ballot, the log state. The rarer answers are found only
    when something is refused: an identical ballot already stored (200 with its
    receipt) comes before ``poll_closed``, which comes before every other refusal but
    ``bad_request``, and ``already_used`` comes last, from the unique constraint.

    ``deputy`` is, for named polls, a callable giving the logged-in deputy (or None):
    secret and code polls never call it, and read no cookie.
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
        if db.session.connection().execute(_POLL_STATE, {"b_id": facts.id}).scalar() != "open":
            _forget(facts)
            raise PollError(409, "poll_closed") from None
        raise refusal
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


def _lock_log(poll: Poll) -> Poll:
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


def _append(facts: PollFacts, leaf: bytes, leaf_hash: str, credential: str) -> CastOutcome:
    """Append one leaf under the per-poll lock: O(log n) work, one transaction.

    Core statements on the session's connection, not the ORM unit of work: the cast
    is the hottest path there is. A reused credential, or the identical ballot sent
    again, is stopped by the unique constraints and answered after the rollback.
    """
    conn = db.session.connection()
    try:
        # The lock: the first write of the transaction, reading back the log state.
        state = conn.execute(_LOCK_LOG, {"b_id": facts.id, "b_public": facts.public_id}).one_or_none()
        if state is None:
            _forget(facts)
            raise PollError(404, "unknown_poll")
        if state.state != "open":
            db.session.rollback()
            _forget(facts)
            stored = _stored_receipt(facts, leaf_hash)
            if stored is not None:
                return CastOutcome(200, stored)
            raise PollError(409, "poll_closed")
        frontier = merkle.Frontier.from_hex(state.log_size, state.log_frontier)
        frontier, index, root, proof = merkle.append_with_proof(frontier, bytes.fromhex(leaf_hash))
        size = index + 1
        timestamp = max(format_time(_now()), state.log_timestamp or "")
        head = make_tree_head(facts.public_id, size, root.hex(), timestamp)
        private = keystore.signing_key(_master(), facts.public_id, facts.signing_key_enc)
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
        log = {
            "b_size": size,
            "b_frontier": frontier.to_hex(),
            "b_root": root.hex(),
            "b_timestamp": timestamp,
            "b_head_sig": head_sig,
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


# --- Closing -------------------------------------------------------------------------


class LogMismatch(PollError):
    """The stored ballots do not match the signed log state: refuse to publish. ``str()``
    is the detail, for the operator."""

    def __init__(self, detail: str):
        super().__init__(500, "log_mismatch", detail=detail)
        self.args = (detail,)


def check_log(poll: Poll) -> tuple[list[dict], str]:
    """Recompute the log from the ballot rows and compare with its signed state.

    Returns the ballots and the root; raises ``LogMismatch`` on any altered,
    inserted, deleted or reordered row.
    """
    bodies: list[str] = []
    hashes: list[bytes] = []
    rows = db.session.execute(
        select(Ballot.leaf_index, Ballot.body, Ballot.leaf_hash)
        .where(Ballot.poll_id == poll.id)
        .order_by(Ballot.leaf_index)
        .execution_options(yield_per=5000)
    )
    # ``with``: a refusal half-way must close PostgreSQL's server-side cursor.
    with rows:
        for expected, (index, body, stored_hash) in enumerate(rows):
            if index != expected:
                raise LogMismatch(f"leaf {expected} is missing")
            data = body.encode()
            digest = merkle.leaf_hash(data)
            if digest.hex() != stored_hash:
                raise LogMismatch(f"ballot row {index}'s leaf hash does not match its body")
            bodies.append(body)
            hashes.append(digest)
    # One parse of the whole log is much cheaper than one parse per ballot.
    ballots: list[dict] = json.loads("[" + ",".join(bodies) + "]")
    del bodies
    root = merkle.root(hashes).hex()
    head = make_tree_head(poll.public_id, poll.log_size, poll.log_root or "", poll.log_timestamp or "")
    public = b64url_decode(poll.manifest["signing_key"])
    if not signing.verify(public, signing.CONTEXT_TREE_HEAD, head, poll.log_head_sig or ""):
        raise LogMismatch("the stored log state does not carry the poll key's signature")
    if len(hashes) != poll.log_size or root != poll.log_root:
        raise LogMismatch(
            f"log holds {len(hashes)} ballots with root {root[:16]}…, "
            f"signed state says {poll.log_size} with root {(poll.log_root or '')[:16]}…"
        )
    return ballots, root


def register_entries(poll: Poll) -> list[dict]:
    """The board's register, ascending by voter code (code-point order)."""
    issued = set(db.session.scalars(select(TokenIssuance.voter_id).where(TokenIssuance.poll_id == poll.id)))
    checked_in: set[int] = set()
    if poll.session_id is not None:
        checked_in = set(db.session.scalars(select(CheckIn.deputy_id).where(CheckIn.session_id == poll.session_id)))
    entries = []
    secret = poll.secrecy == "secret"
    rows = db.session.execute(
        select(PollVoter.id, PollVoter.deputy_id, PollVoter.voter, PollVoter.name, PollVoter.present).where(
            PollVoter.poll_id == poll.id
        )
    )
    for voter_id, deputy_id, code, name, present in rows:  # plain rows: no ORM objects for 100,000 voters
        entry = {"voter": code, "name": name, "present": bool(present or deputy_id in checked_in or voter_id in issued)}
        if secret:
            entry["token_issued"] = voter_id in issued
        entries.append(entry)
    entries.sort(key=lambda e: e["voter"])
    return entries


def close_poll(poll: Poll) -> None:
    """Freeze the log, count, sign the closing; commits. Refuses a log that does not
    match its signed state."""
    if poll.state != "open":
        raise PollError(409, "poll_not_open")
    poll = _lock_log(poll)
    if poll.state != "open":
        db.session.rollback()
        raise PollError(409, "poll_not_open")
    try:
        ballots, root = check_log(poll)
    except LogMismatch:
        db.session.rollback()
        raise
    if poll.secrecy == "code":
        listing = sorted(db.session.scalars(select(PollCode.code_hash).where(PollCode.poll_id == poll.id)))
        present = len(listing)
        member = "codes"
    else:
        listing = register_entries(poll)
        present = sum(1 for e in listing if e["present"])
        member = "register"
    result = tally.tally(poll.manifest, ballots, present)
    closed_at = max(format_time(_now()), poll.log_timestamp)
    listing_jcs = canonical(listing)
    closing = make_closing(
        poll.manifest, len(ballots), root, closed_at, result=result, listing_jcs=listing_jcs, **{member: listing}
    )
    private = keystore.signing_key(_master(), poll.public_id, poll.signing_key_enc)
    poll.closing = closing
    poll.closing_sig = signing.sign(private, signing.CONTEXT_CLOSING, closing)
    poll.result = result
    poll.register_json = listing_jcs.decode()
    poll.closed_at = datetime.strptime(closed_at, "%Y-%m-%dT%H:%M:%SZ")
    poll.state = "closed"
    # Nothing is signed after the close: the private keys are no longer kept.
    poll.signing_key_enc = None
    poll.token_key_enc = None
    audit.record("poll.close", "poll", poll.public_id, {"size": len(ballots), "root": root})
    db.session.commit()


def board_chunks(poll: Poll):
    """The closed poll's board as JSON text chunks (member order is the protocol's).

    Everything but the ballots is read now, while the caller's session is there. The
    ballots are read by the returned generator on a connection of its own, so it needs
    no app context and no session: a server reads a streamed body after the request's
    context, and with it the session, is gone.
    """
    args = (
        poll.manifest,
        poll.manifest_sig,
        "codes" if poll.secrecy == "code" else "register",
        poll.register_json,
        poll.result,
        poll.closing,
        poll.closing_sig,
    )
    return _board_text(db.engine, poll.id, *args)


def _board_text(engine, poll_id: int, manifest, manifest_sig, member, listing_json, result, closing, closing_sig):
    query = select(Ballot.leaf_index, Ballot.body).where(Ballot.poll_id == poll_id).order_by(Ballot.leaf_index)
    with engine.connect() as conn:
        # ``with``: closed even when the download is abandoned half-way.
        with conn.execution_options(yield_per=2000).execute(query) as rows:
            bodies = (body for _index, body in rows)
            yield from board_text_parts(
                manifest, manifest_sig, member, listing_json, bodies, result, closing, closing_sig
            )


def board_etag(poll: Poll) -> str:
    return sha256_hex(canonical(poll.closing))[:32]


# --- Results -------------------------------------------------------------------------


def results_view(poll: Poll) -> dict:
    """What the results page, the results JSON and the board's result show: one source."""
    if poll.state != "closed":
        raise PollError(404, "board_not_published")
    poll_counts = counts(poll)
    return {
        "poll": poll.public_id,
        "title": poll.title,
        "ballot": poll.ballot,
        "secrecy": poll.secrecy,
        "fingerprint": poll.fingerprint,
        "opened_at": poll.manifest["opened_at"],
        "closed_at": poll.closing["closed_at"],
        "rules": poll.manifest["rules"],
        "options": poll.manifest["options"],
        "turnout": {
            "electorate": poll.manifest["electorate"],
            "present": poll.result["present"],
            "issued": poll_counts.issued if poll.secrecy == "secret" else None,
            "cast": poll.result["cast"],
        },
        "result": poll.result,
    }
