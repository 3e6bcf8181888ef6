"""Polls before the vote: lookup and counts, drafts, one-time codes, opening."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.models import CheckIn, Deputy, Session
from extensions import db
from voting import keystore
from voting.models import Ballot, Poll, PollCode, PollState, PollVoter, TokenIssuance
from voting.protocol import blindrsa, merkle, rules, signing
from voting.protocol.board import make_tree_head
from voting.protocol.encoding import (
    ProtocolError,
    b64url_encode,
    code_hash,
    format_time,
    generate_code,
    is_identifier,
    normalise_code,
)
from voting.services import batches, drafts, paper, scrutineers
from voting.services.base import PollError, key_encryption_key, utc_now

# --- Lookup --------------------------------------------------------------------------


def get_public_poll(public_id: str) -> Poll:
    """A poll that has opened; drafts are invisible (404 ``unknown_poll``)."""
    if not is_identifier(public_id):
        raise PollError(404, "unknown_poll")
    poll = db.session.scalar(select(Poll).where(Poll.public_id == public_id))
    if poll is None or poll.is_draft:
        raise PollError(404, "unknown_poll")
    return poll


def public_polls(limit: int | None = None, state: PollState | None = None) -> list[Poll]:
    query = select(Poll).where(Poll.state != PollState.DRAFT).order_by(Poll.opened_at.desc(), Poll.id.desc())
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
            .where(PollVoter.deputy_id == deputy.id, Poll.state == PollState.OPEN)
            .order_by(Poll.opened_at)
        )
    )


class DeputyPoll(NamedTuple):
    """An open poll on a deputy's own page, with what the server knows of the deputy's
    part in it: for a secret poll only whether the token was taken (whether it was
    used, the server cannot know; the browser's receipt tells), for a named poll
    whether the deputy's ballot is in the log."""

    poll: Poll
    voter: str  # the register's code, which the ballot page's stored receipts name
    token_taken: bool
    voted: bool


def deputy_polls(deputy: Deputy) -> list[DeputyPoll]:
    """The open polls of ``polls_for_deputy``, each with the deputy's token and ballot."""
    token = (
        select(TokenIssuance.id)
        .where(TokenIssuance.poll_id == Poll.id, TokenIssuance.voter_id == PollVoter.id)
        .exists()
    )
    named_ballot = (
        select(Ballot.id)
        .where(Ballot.poll_id == Poll.id, Ballot.credential == PollVoter.voter, Poll.secrecy == "named")
        .exists()
    )
    rows = db.session.execute(
        select(Poll, PollVoter.voter, token, named_ballot)
        .join(PollVoter, PollVoter.poll_id == Poll.id)
        .where(PollVoter.deputy_id == deputy.id, Poll.state == PollState.OPEN)
        .order_by(Poll.opened_at)
    )
    return [DeputyPoll(poll, voter, bool(taken), bool(voted)) for poll, voter, taken, voted in rows]


@dataclass
class PollCounts:
    poll: Poll
    electorate: int
    present: int
    issued: int
    cast: int


def counts(poll: Poll) -> PollCounts:
    """Counts of who took part, never an interim tally: the register, check-in and
    token counts are live; ``cast`` is ``published_cast_count`` (while the poll is open,
    the log size at the last 30-second boundary: protocol revision 5)."""
    if poll.secrecy == "code":
        electorate = _count(PollCode, PollCode.poll_id == poll.id)
        present = electorate
    else:
        electorate = _count(PollVoter, PollVoter.poll_id == poll.id)
        present = _present_count(poll) if not poll.is_closed else poll.result["present"]
    issued = _count(TokenIssuance, TokenIssuance.poll_id == poll.id)
    return PollCounts(poll, electorate, present, issued, batches.published_cast_count(poll))


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
    title: str,
    ballot: str,
    secrecy: str,
    options: Sequence[str] | Sequence[tuple[str, str]],
    poll_rules: dict,
    session: Session | None = None,
    purpose: str = "general",
    public_id: str | None = None,
) -> DraftPoll:
    """Create a draft poll after checking it would make a valid manifest.

    ``options`` are titles, numbered p01, p02 … in order, or ``(id, title)`` pairs;
    the option ids come back in the same order, for the caller to link its own rows.
    Without ``public_id`` the id is made from the year, session and kind
    (``drafts.new_public_id``); a given one (the command line's spec) must be free.
    """
    options = [
        {"id": f"p{i:02d}", "title": o} if isinstance(o, str) else {"id": o[0], "title": o[1]}
        for i, o in enumerate(options, start=1)
    ]
    if public_id is None:
        public_id = drafts.new_public_id(session, purpose if purpose != "general" else ballot)
    elif db.session.scalar(select(Poll.id).where(Poll.public_id == public_id)) is not None:
        raise PollError(409, "poll_id_taken", poll=public_id)
    validate_draft(public_id, title, ballot, secrecy, options, poll_rules, session)
    poll = Poll(
        public_id=public_id,
        title=title,
        ballot=ballot,
        secrecy=secrecy,
        options=options,
        rules=poll_rules,
        session=session,
        purpose=purpose,
        state=PollState.DRAFT,
        log_frontier=[],
    )
    db.session.add(poll)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Another request took the id between the look-up and the insert; the caller
        # rolls back, and the form sent again gets the next free id.
        raise PollError(409, "poll_id_taken", poll=public_id) from exc
    audit.record("poll.create", "poll", poll.public_id, {"title": title, "secrecy": secrecy})
    return DraftPoll(poll, [o["id"] for o in options])


def validate_draft(public_id, title, ballot, secrecy, options, poll_rules, session) -> None:
    """The form's checks in plain words, then the protocol's manifest check."""
    drafts.check_settings(
        title=title, ballot=ballot, secrecy=secrecy, options=options, poll_rules=poll_rules, session=session
    )
    draft = _manifest_skeleton(public_id, title, ballot, secrecy, options, poll_rules, electorate=1)
    try:
        rules.validate_manifest(draft)
    except ProtocolError as exc:
        raise PollError(422, "bad_poll", detail=exc.detail) from exc


# A placeholder key lets a draft be checked against the manifest rules before the
# real keys exist; it is never published.
_PLACEHOLDER_N = b64url_encode(b"\xc5" * 256)


# A valid Ed25519 public key (RFC 8032 section 7.1, test 1) standing for the poll's
# own key while a draft is checked; the all-zero bytes encode a point of small order,
# which the protocol refuses (rev 5).
_PLACEHOLDER_KEY = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


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
        "signing_key": signing_key or b64url_encode(_PLACEHOLDER_KEY),
        "opened_at": opened_at or format_time(utc_now()),
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
    if not poll.is_draft:
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
    if not poll.is_draft:
        raise PollError(409, "poll_not_draft")
    # (rev 5) the scrutineers with their keys; refused while one has not enrolled.
    scrutiny = scrutineers.manifest_members(poll)
    scrutiny.update(paper.manifest_member(poll))
    master = key_encryption_key()
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
    opened = utc_now()
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
    manifest.update(scrutiny)
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
    poll.state = PollState.OPEN
    db.session.flush()
    audit.record("poll.open", "poll", poll.public_id, {"manifest_hash": poll.manifest_hash, "electorate": electorate})


# --- Lost tokens --------------------------------------------------------------------


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
        issuance.lost_reported_at = utc_now().replace(second=0)
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
