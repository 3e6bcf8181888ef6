"""Closing a poll: the log checked against its signed state, the count, the signed
closing, the board and the results. ``close_poll`` commits."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from core import audit
from core.models import CheckIn
from extensions import db
from voting import keystore
from voting.models import Ballot, Poll, PollCode, PollState, PollVoter, TokenIssuance
from voting.protocol import merkle, signing, tally
from voting.protocol.board import board_text_parts, make_closing, make_tree_head
from voting.protocol.encoding import (
    b64url_decode,
    canonical,
    format_time,
    sha256_hex,
)
from voting.services import paper, scrutineers
from voting.services.base import LogMismatch, PollError, key_encryption_key, utc_now
from voting.services.casting import PollFacts, append_pending, lock_log
from voting.services.polls import counts

# --- Closing -------------------------------------------------------------------------


def check_log(poll: Poll, progress=None) -> tuple[list[dict], str]:
    """Recompute the log from the ballot rows and compare with its signed state.

    Returns the ballots and the root; raises ``LogMismatch`` on any altered,
    inserted, deleted or reordered row. ``progress(done, total)`` hears of the rows read.
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
            if progress is not None and expected % 5000 == 4999:
                progress(expected + 1, poll.log_size + 1)
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
        select(
            PollVoter.id, PollVoter.deputy_id, PollVoter.voter, PollVoter.name, PollVoter.present, PollVoter.paper
        ).where(PollVoter.poll_id == poll.id)
    )
    for voter_id, deputy_id, code, name, present, on_paper in rows:  # plain rows: no ORM objects for 100,000
        entry = {"voter": code, "name": name, "present": bool(present or deputy_id in checked_in or voter_id in issued)}
        if secret:
            entry["token_issued"] = voter_id in issued
        if on_paper:  # (rev 5) present, no token (the marking refuses after one)
            entry["paper"] = True
            entry["present"] = True
        entries.append(entry)
    entries.sort(key=lambda e: e["voter"])
    return entries


def close_poll(poll: Poll, progress=None) -> None:
    """Append the pending batch, freeze the log, count, sign the closing; commits.
    Refuses a log that does not match its signed state. ``progress(done, total)``:
    ballots checked, out of the log's size plus one for the count and the signature
    (``core.jobs``)."""
    if not poll.is_open:
        raise PollError(409, "poll_not_open")
    poll = lock_log(poll)
    if not poll.is_open:
        db.session.rollback()
        raise PollError(409, "poll_not_open")
    # The batch still gathering is appended first, in the same transaction: the casts
    # waiting for it find their receipts once the close commits.
    if append_pending(db.session.connection(), PollFacts.of(poll)):
        poll = db.session.scalars(
            select(Poll).where(Poll.id == poll.id).execution_options(populate_existing=True)
        ).one()
    try:
        ballots, root = check_log(poll, progress)
        # (rev 5) refused while paper voters exist and the scrutineers' entries disagree.
        paper_member = None if poll.secrecy == "code" else paper.agreed_paper(poll)
    except (LogMismatch, PollError):
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
    if paper_member is None:
        result = tally.tally(poll.manifest, ballots, present)
    else:
        paper_choices = [b["choices"] if "voter" in b else b for b in paper_member["ballots"]]
        result = tally.tally_choices(
            poll.manifest,
            [*(ballot["choices"] for ballot in ballots), *paper_choices],
            present,
            paper=(len(paper_choices), paper_member["spoiled"]),
        )
    closed_at = max(format_time(utc_now()), poll.log_timestamp)
    listing_jcs = canonical(listing)
    closing = make_closing(
        poll.manifest,
        len(ballots),
        root,
        closed_at,
        result=result,
        listing_jcs=listing_jcs,
        paper=paper_member,
        **{member: listing},
    )
    private = keystore.signing_key(key_encryption_key(), poll.public_id, poll.signing_key_enc)
    poll.closing = closing
    poll.closing_sig = signing.sign(private, signing.CONTEXT_CLOSING, closing)
    poll.result = result
    poll.paper = paper_member
    poll.register_json = listing_jcs.decode()
    poll.closed_at = datetime.strptime(closed_at, "%Y-%m-%dT%H:%M:%SZ")
    poll.state = PollState.CLOSED
    # Nothing is signed after the close: the private keys are no longer kept.
    poll.signing_key_enc = None
    poll.token_key_enc = None
    audit.record("poll.close", "poll", poll.public_id, {"size": len(ballots), "root": root})
    db.session.commit()
    if progress is not None:
        progress(len(ballots) + 1, len(ballots) + 1)


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
    # (rev 5) the co-signatures stored so far, read now: a download always has them all.
    return _board_text(db.engine, poll.id, *args, cosignatures=scrutineers.cosignatures(poll), paper=poll.paper)


def _board_text(
    engine,
    poll_id: int,
    manifest,
    manifest_sig,
    member,
    listing_json,
    result,
    closing,
    closing_sig,
    cosignatures=None,
    paper=None,
):
    query = select(Ballot.leaf_index, Ballot.body).where(Ballot.poll_id == poll_id).order_by(Ballot.leaf_index)
    with engine.connect() as conn:
        # ``with``: closed even when the download is abandoned half-way.
        with conn.execution_options(yield_per=2000).execute(query) as rows:
            bodies = (body for _index, body in rows)
            yield from board_text_parts(
                manifest,
                manifest_sig,
                member,
                listing_json,
                bodies,
                result,
                closing,
                closing_sig,
                cosignatures=cosignatures,
                paper=paper,
            )


def board_etag(poll: Poll) -> str:
    """The closed poll's board version: the closing and (rev 5) the co-signatures so
    far, which arrive after the close without changing the closing."""
    signed = scrutineers.cosignatures(poll)
    if signed is None:
        return sha256_hex(canonical(poll.closing))[:32]
    return sha256_hex(canonical({"closing": poll.closing, "cosignatures": signed}))[:32]


# --- Results -------------------------------------------------------------------------


def results_view(poll: Poll) -> dict:
    """What the results page, the results JSON and the board's result show: one source."""
    if not poll.is_closed:
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
            # (rev 5) electronic, paper and spoiled: only when the board has paper
            **(
                {
                    "electronic": poll.result["cast"] - poll.result["paper"],
                    "paper": poll.result["paper"],
                    "spoiled": poll.result["spoiled"],
                }
                if "paper" in poll.result
                else {}
            ),
        },
        "result": poll.result,
    }
