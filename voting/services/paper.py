"""Paper ballots (纸质选票, protocol revision 5).

Staff allow paper on a draft that has at least two scrutineers (the manifest then says
``paper: true``); while the poll is open staff mark the deputies who vote on paper (never
one who already has a token or an electronic ballot; such a deputy gets no token:
409 ``voted_on_paper``); after the paper ballots are collected two scrutineers each enter
every one of them on their own login, and the paper set is accepted only when the
entries are the same multiset and as many as the paper voters. The close refuses while
paper voters exist and the entries have not agreed; then the board carries ``paper``,
the register's ``paper`` flags, the closing's paper hash and the result's counts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from core import audit
from extensions import db
from voting.models import Ballot, PaperEntry, PendingBallot, Poll, PollVoter, TokenIssuance
from voting.protocol import rules
from voting.protocol.board import make_paper
from voting.protocol.encoding import ProtocolError, canonical, is_identifier
from voting.services.base import PollError
from voting.services.scrutineers import scrutineer_for, scrutineers_of

# Below this many paper voters a paper ballot is secret only among very few.
FEW_PAPER_VOTERS = 5

# The words a scrutineer may type for each value (Chinese first; English and letters too).
_WORDS = {
    "approval": {
        "yes": ("同意", "赞成", "yes", "y"),
        "no": ("不同意", "反对", "no", "n"),
        "abstain": ("弃权", "abstain", "a", "-"),
    },
    "satisfaction": {
        "satisfied": ("满意", "satisfied", "s"),
        "basic": ("基本满意", "basic", "b"),
        "dissatisfied": ("不满意", "dissatisfied", "d"),
        "abstain": ("弃权", "abstain", "a", "-"),
    },
}
SPOILED_WORDS = ("废票", "废", "spoiled", "void", "x")
_SPLIT = re.compile(r"[\s,，、;；]+")


# --- Allowing paper (staff, drafts only) ---------------------------------------------


def set_allowed(poll: Poll, allowed: bool) -> None:
    """Allow or forbid paper ballots on a draft; allowing needs at least two scrutineers
    (they enter the paper ballots) and a secret or named poll. Flushes."""
    if not poll.is_draft:
        raise PollError(409, "poll_not_draft")
    if allowed:
        if poll.secrecy == "code":
            raise PollError(422, "paper_not_in_code_poll")
        if len(scrutineers_of(poll)) < 2:
            raise PollError(422, "paper_needs_scrutineers")
    poll.paper_allowed = allowed
    db.session.flush()
    audit.record("poll.paper_allowed", "poll", poll.public_id, {"allowed": allowed})


def manifest_member(poll: Poll) -> dict:
    """The manifest's ``paper`` at open: refused when the scrutineers fell below two."""
    if not poll.paper_allowed:
        return {}
    if poll.secrecy == "code" or len(scrutineers_of(poll)) < 2:
        raise PollError(422, "paper_needs_scrutineers")
    return {"paper": True}


def allowed(poll: Poll) -> bool:
    if poll.manifest is not None:
        return poll.manifest.get("paper") is True
    return bool(poll.paper_allowed)


# --- Marking paper voters (staff, open polls) -------------------------------------------


def open_paper_polls(session) -> list[tuple[Poll, int]]:
    """The session's open polls that allow paper, with their paper voters so far (for
    the session's check-in page)."""
    polls = db.session.scalars(
        select(Poll).where(Poll.session_id == session.id, Poll.state == "open", Poll.paper_allowed.is_(True))
    )
    return [(poll, paper_voter_count(poll)) for poll in polls]


def paper_voter_count(poll: Poll) -> int:
    return db.session.scalar(
        select(func.count()).select_from(PollVoter).where(PollVoter.poll_id == poll.id, PollVoter.paper.is_(True))
    )


def paper_voters(poll: Poll) -> list[PollVoter]:
    return list(
        db.session.scalars(
            select(PollVoter).where(PollVoter.poll_id == poll.id, PollVoter.paper.is_(True)).order_by(PollVoter.voter)
        )
    )


def electronic_voters(poll: Poll) -> list[PollVoter]:
    """The register's deputies who may still be marked as voting on paper."""
    return list(
        db.session.scalars(
            select(PollVoter).where(PollVoter.poll_id == poll.id, PollVoter.paper.is_(False)).order_by(PollVoter.voter)
        )
    )


def mark_paper(poll: Poll, deputy_id: int) -> PollVoter:
    """Mark a deputy of the register as voting on paper (and present); commits.

    The register line is locked first (``FOR UPDATE``): a token issuance writes the same
    row in its transaction, so either it committed before (and is seen here, refused)
    or it waits and then finds the line marked (``casting._issue`` refuses)."""
    if not allowed(poll):
        raise PollError(422, "paper_not_allowed")
    # The poll row under KEY SHARE (PostgreSQL), as a token request takes it: the close
    # locks it FOR UPDATE, so no marking commits after the close has read the register.
    state = db.session.scalar(select(Poll.state).where(Poll.id == poll.id).with_for_update(read=True, key_share=True))
    if state != "open":
        db.session.rollback()
        raise PollError(409, "poll_not_open")
    voter = db.session.scalar(
        select(PollVoter).where(PollVoter.poll_id == poll.id, PollVoter.deputy_id == deputy_id).with_for_update()
    )
    if voter is None:
        db.session.rollback()
        raise PollError(403, "not_in_register")
    if voter.paper:
        db.session.rollback()
        return voter
    if poll.secrecy == "secret":
        taken = db.session.scalar(
            select(TokenIssuance.id).where(TokenIssuance.poll_id == poll.id, TokenIssuance.voter_id == voter.id)
        )
        if taken is not None:
            db.session.rollback()
            raise PollError(409, "paper_after_token")
    else:
        cast_already = db.session.scalar(
            select(Ballot.id).where(Ballot.poll_id == poll.id, Ballot.credential == voter.voter)
        ) or db.session.scalar(
            select(PendingBallot.id).where(PendingBallot.poll_id == poll.id, PendingBallot.credential == voter.voter)
        )
        if cast_already is not None:
            db.session.rollback()
            raise PollError(409, "paper_after_ballot")
    db.session.execute(update(PollVoter).where(PollVoter.id == voter.id).values(paper=True, present=True))
    # SQLite took no lock with the reads: the write above holds the database now, so the
    # state read again is final (the close's first statement is a write too).
    if db.session.scalar(select(Poll.state).where(Poll.id == poll.id)) != "open":
        db.session.rollback()
        raise PollError(409, "poll_not_open")
    audit.record("poll.paper_voter", "poll", poll.public_id, {"voter": voter.voter})
    db.session.commit()
    return voter


# --- Entering the paper ballots (scrutineers) ---------------------------------------------


class EntryError(Exception):
    """Lines of an entry that cannot be read: ``problems`` is [(line number, text)]."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(problems)
        self.problems = problems


def parse_entry(manifest: dict, text: str) -> tuple[list[dict], int]:
    """One paper ballot a line: the choice for each option in the manifest's order
    (同意 / 不同意 / 弃权 …, or the letters y / n / a …), or 废票 for a void ballot; in a
    named poll the deputy's code first. Blank lines are skipped. Returns the valid
    ballots and the number of spoiled ones; raises ``EntryError`` naming each bad line."""
    words = {w.lower(): value for value, ws in _WORDS[manifest["ballot"]].items() for w in ws}
    options = [option["id"] for option in manifest["options"]]
    named = manifest["secrecy"] == "named"
    ballots: list[dict] = []
    spoiled = 0
    problems: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = [p for p in _SPLIT.split(line.strip()) if p]
        if not parts:
            continue
        if parts[-1].lower() in SPOILED_WORDS and len(parts) <= (2 if named else 1):
            spoiled += 1  # in a named poll the voter's code may stand before it
            continue
        voter = None
        if named:
            voter, parts = parts[0], parts[1:]
            if not is_identifier(voter):
                problems.append((number, "voter"))
                continue
        if len(parts) != len(options):
            problems.append((number, "count"))
            continue
        values = [words.get(p.lower()) for p in parts]
        if None in values:
            problems.append((number, "word"))
            continue
        choices = dict(zip(options, values, strict=True))
        try:
            rules.validate_choices(manifest, choices)
        except ProtocolError:
            problems.append((number, "max_yes"))
            continue
        ballots.append({"voter": voter, "choices": choices} if named else choices)
    if problems:
        raise EntryError(problems)
    return ballots, spoiled


def store_entry(poll: Poll, deputy_id: int, text: str) -> PaperEntry:
    """A scrutineer's entry (replacing their earlier one); closed polls are final. Flushes."""
    if scrutineer_for(poll, deputy_id) is None:
        raise PollError(403, "not_a_scrutineer")
    if poll.is_draft or not allowed(poll):
        raise PollError(422, "paper_not_allowed")
    if poll.is_closed:
        raise PollError(409, "poll_closed")
    ballots, spoiled = parse_entry(poll.manifest, text)
    row = db.session.scalar(select(PaperEntry).where(PaperEntry.poll_id == poll.id, PaperEntry.deputy_id == deputy_id))
    if row is None:
        row = PaperEntry(poll_id=poll.id, deputy_id=deputy_id)
        db.session.add(row)
    row.ballots, row.spoiled, row.text = ballots, spoiled, text
    db.session.flush()
    audit.record("poll.paper_entry", "poll", poll.public_id, {"ballots": len(ballots), "spoiled": spoiled})
    return row


def _key(entry: dict) -> str:
    return canonical(entry).decode()


@dataclass
class Agreement:
    """How the scrutineers' entries stand against each other and the paper voters."""

    voters: int
    entries: list[PaperEntry]
    names: dict[int, str]
    # Lines one entry has more of than the other: [(line as typed back, first's count, second's count)].
    differences: list[tuple[str, int, int]] = field(default_factory=list)
    agreed: bool = False
    paper: dict | None = None

    @property
    def count_mismatch(self) -> list[tuple[str, int]]:
        """Entries whose number of ballots is not the number of paper voters."""
        return [
            (self.names.get(e.deputy_id, "?"), len(e.ballots) + e.spoiled)
            for e in self.entries
            if len(e.ballots) + e.spoiled != self.voters
        ]


def describe(manifest: dict, entry: dict | None) -> str:
    """A ballot as a line of the entry (``None``: a spoiled ballot)."""
    if entry is None:
        return "废票"
    choices = entry["choices"] if "voter" in entry else entry
    words = {value: ws[0] for value, ws in _WORDS[manifest["ballot"]].items()}
    line = " ".join(words[choices[o["id"]]] for o in manifest["options"])
    return f"{entry['voter']} {line}" if "voter" in entry else line


def agreement(poll: Poll) -> Agreement:
    """Compare the scrutineers' entries: agreed when at least two exist, all are the same
    multiset of ballots (and spoiled count), and their number is the paper voters'."""
    voters = paper_voter_count(poll)
    entries = list(db.session.scalars(select(PaperEntry).where(PaperEntry.poll_id == poll.id).order_by(PaperEntry.id)))
    names = {row.deputy_id: row.name for row in scrutineers_of(poll)}
    result = Agreement(voters, entries, names)
    if len(entries) >= 2:
        first, *others = entries
        a = Counter(_key(b) for b in first.ballots)
        same = True
        for other in others:
            b = Counter(_key(x) for x in other.ballots)
            if a != b or first.spoiled != other.spoiled:
                same = False
                for key in sorted(set(a) | set(b)):
                    if a[key] != b[key]:
                        result.differences.append((describe(poll.manifest, json.loads(key)), a[key], b[key]))
                if first.spoiled != other.spoiled:
                    result.differences.append((describe(poll.manifest, None), first.spoiled, other.spoiled))
        if same and not result.count_mismatch:
            result.agreed = True
            if voters:
                result.paper = make_paper(poll.manifest, first.ballots, first.spoiled)
    return result


def agreed_paper(poll: Poll) -> dict | None:
    """At the close: the board's ``paper`` member (None: nobody voted on paper), or
    422 ``paper_not_agreed`` while paper voters exist and the entries disagree."""
    if not allowed(poll):
        return None
    state = agreement(poll)
    if state.voters == 0 and not any(e.ballots or e.spoiled for e in state.entries):
        return None
    if not state.agreed or state.paper is None:
        raise PollError(422, "paper_not_agreed", voters=state.voters)
    if poll.secrecy == "named":
        marked = {v.voter for v in paper_voters(poll)}
        listed = [b["voter"] for b in state.paper["ballots"]]
        if len(set(listed)) != len(listed) or not set(listed) <= marked:
            raise PollError(422, "paper_voters_differ")
    return state.paper


def forget_draft(poll: Poll) -> None:
    db.session.execute(PaperEntry.__table__.delete().where(PaperEntry.poll_id == poll.id))
