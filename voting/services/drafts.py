"""Draft polls as staff make them on the web: ids made for them, settings checked in
the words of the form, edits and deletion until the poll opens, and the run-off of a
closed poll whose last seat is tied.

The protocol's manifest check stays the last word (``create_poll``); the checks here
come first so that a clerk reads "应选数须在 1 到候选项目数（3）之间。" beside the field,
not a JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.models import Session
from core.times import local_today
from extensions import db
from voting.models import Ballot, Poll, PollCode, PollVoter, TokenIssuance
from voting.services.base import PollError

# Extension key: functions a package registers (``on_draft_delete``) to remove its own
# rows that link to a draft poll before the draft is deleted.
DELETE_LISTENERS = "yishi.poll_draft_delete"

# The words of a generated poll id after the year and session, by purpose or ballot.
KINDS = {
    "project_vote": "minsheng-vote",
    "runoff": "runoff",
    "assessment": "assessment",
    "meeting": "decision",
    "approval": "vote",
    "satisfaction": "assessment",
}


def unique_public_id(base: str) -> str:
    """``base`` if no poll has it, else ``base-2``, ``base-3`` … (the first free one)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._")[:56] or "poll"
    taken = set(db.session.scalars(select(Poll.public_id).where(Poll.public_id.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def new_public_id(session: Session | None, kind: str) -> str:
    """A poll id made from the year, the session and the kind, e.g. ``2027-session3-vote``
    (a code poll, which belongs to no session: ``2027-public-assessment``); staff never
    type one. ``kind`` is a purpose or a ballot kind (``KINDS``) or already a word."""
    word = KINDS.get(kind, kind)
    if session is None:
        return unique_public_id(f"{local_today().year}-public-{word}")
    return unique_public_id(f"{session.starts_on.year}-session{session.id}-{word}")


def check_settings(
    *,
    title: str,
    ballot: str,
    secrecy: str,
    options: Sequence[dict],
    poll_rules: dict,
    session: Session | None,
) -> None:
    """Refuse settings a manifest would refuse, in plain words naming the form's field
    (``PollError.params["field"]``): the form shows the message beside that field."""
    if not isinstance(title, str) or not title.strip():
        raise PollError(422, "title_required", field="title")
    if len(title) > 200:
        raise PollError(422, "title_too_long", field="title")
    if ballot not in ("approval", "satisfaction"):
        raise PollError(422, "bad_ballot", field="ballot")
    if secrecy not in ("secret", "named", "code"):
        raise PollError(422, "bad_secrecy", field="secrecy")
    if secrecy in ("secret", "named") and session is None:
        raise PollError(422, "session_required", field="session_id")
    if secrecy == "code" and session is not None:
        raise PollError(422, "code_poll_has_no_session", field="session_id")
    if not options:
        raise PollError(422, "no_options", field="options")
    seen: set[str] = set()
    for option in options:
        if option["title"] in seen:
            raise PollError(422, "duplicate_option", field="options", title=option["title"])
        seen.add(option["title"])
    count = len(options)
    if ballot == "approval":
        seats = poll_rules.get("seats")
        if _is_int(seats) and not 1 <= seats <= count:
            raise PollError(422, "too_many_seats", field="seats", n=count)
        max_yes = poll_rules.get("max_yes")
        if _is_int(max_yes) and not 0 <= max_yes <= count:
            raise PollError(422, "too_many_yes", field="max_yes", n=count)


def _is_int(value) -> bool:
    # Other types (from a spec file) are left to the manifest check, which names them.
    return isinstance(value, int) and not isinstance(value, bool)


# --- Edits and deletion -------------------------------------------------------------


def is_linked(poll: Poll) -> bool:
    """True when another package made the poll for its own records (a project vote, an
    assessment, a meeting's decision): its options and kind are that package's."""
    return poll.purpose != "general"


def update_draft(
    poll: Poll,
    *,
    title: str,
    session: Session | None,
    poll_rules: dict,
    options: Sequence[str] | None = None,
    ballot: str | None = None,
    secrecy: str | None = None,
) -> None:
    """Change a draft: its title, session and rules; for a poll of its own (not another
    package's) also its options, ballot kind and secrecy. Flushes; the caller commits."""
    from voting.services.polls import validate_draft

    if not poll.is_draft:
        raise PollError(409, "poll_not_draft")
    if is_linked(poll) and (
        options is not None or ballot not in (None, poll.ballot) or secrecy not in (None, poll.secrecy)
    ):
        raise PollError(409, "linked_options")
    ballot = ballot or poll.ballot
    secrecy = secrecy or poll.secrecy
    new_options = (
        [{"id": f"p{i:02d}", "title": t} for i, t in enumerate(options, start=1)]
        if options is not None
        else poll.options
    )
    validate_draft(poll.public_id, title, ballot, secrecy, new_options, poll_rules, session)
    if poll.secrecy == "code" and secrecy != "code":
        db.session.execute(PollCode.__table__.delete().where(PollCode.poll_id == poll.id))
    poll.title, poll.ballot, poll.secrecy, poll.session = title, ballot, secrecy, session
    poll.options, poll.rules = list(new_options), dict(poll_rules)
    db.session.flush()
    audit.record("poll.update", "poll", poll.public_id, {"title": title, "secrecy": secrecy})


def on_draft_delete(app, listener: Callable[[Poll], None]) -> None:
    """Register ``listener(poll)``, called before a draft is deleted, to delete the
    caller's own rows that link to it (e.g. a project's line in a vote)."""
    app.extensions.setdefault(DELETE_LISTENERS, []).append(listener)


def delete_draft(poll: Poll) -> None:
    """Delete a draft that never opened. Each package's listener first removes its own
    links; a row of another package that still names the poll refuses the deletion
    (409 ``poll_in_use``), so no stored record loses its poll. Caller commits."""
    if not poll.is_draft:
        raise PollError(409, "poll_not_draft")
    for listener in current_app.extensions.get(DELETE_LISTENERS, []):
        listener(poll)
    db.session.flush()
    if _linked_elsewhere(poll):
        raise PollError(409, "poll_in_use")
    public_id, title = poll.public_id, poll.title
    db.session.execute(PollCode.__table__.delete().where(PollCode.poll_id == poll.id))
    db.session.execute(PollVoter.__table__.delete().where(PollVoter.poll_id == poll.id))
    db.session.delete(poll)
    db.session.flush()
    audit.record("poll.delete", "poll", public_id, {"title": title})


# --- The run-off of a poll of its own -------------------------------------------------


def runoffs_of(poll: Poll) -> list[Poll]:
    """The run-offs started from ``poll`` (their ids extend its id), oldest first."""
    return list(
        db.session.scalars(
            select(Poll)
            .where(Poll.purpose == "runoff", Poll.public_id.like(f"{poll.public_id}-runoff%"))
            .order_by(Poll.id)
        )
    )


def may_start_runoff(poll: Poll) -> bool:
    """True when the staff page should offer a run-off of this poll."""
    try:
        _check_runoff(poll)
    except PollError:
        return False
    return True


def _check_runoff(poll: Poll) -> None:
    if not poll.is_closed or poll.ballot != "approval":
        raise PollError(409, "runoff_not_possible")
    if poll.purpose not in ("general", "runoff") or _linked_elsewhere(poll):
        raise PollError(409, "runoff_elsewhere")
    if not (poll.result or {}).get("tied"):
        raise PollError(409, "no_tie")
    if runoffs_of(poll):
        raise PollError(409, "runoff_exists")


def start_runoff(poll: Poll) -> Poll:
    """另行票决 among the options tied on the last seat of a closed approval poll, for
    the seats left, with the same secrecy, session and passing rule. A draft: staff
    check it and open it. (A project vote's run-off is the projects package's.)"""
    from voting.services.polls import create_poll

    _check_runoff(poll)
    tied = poll.result["tied"]
    seats = (poll.rules.get("seats") or len(poll.options)) - len(poll.result["elected"])
    titles = {o["id"]: o["title"] for o in poll.options}
    threshold = poll.rules["threshold"]
    rules = {"threshold": dict(threshold), "seats": seats, "max_yes": seats}
    draft = create_poll(
        public_id=unique_public_id(f"{poll.public_id}-runoff"),
        title=_("%(title)s（另行票决）", title=poll.title),
        ballot="approval",
        secrecy=poll.secrecy,
        session=poll.session,
        options=[(oid, titles[oid]) for oid in tied],
        poll_rules=rules,
        purpose="runoff",
    ).poll
    audit.record("poll.runoff", "poll", draft.public_id, {"of": poll.public_id, "seats": seats})
    return draft


def _linked_elsewhere(poll: Poll) -> bool:
    """True when a row of another package (a project's line, an assessment, a meeting's
    decision) names the poll."""
    own = {m.__tablename__ for m in (Poll, PollCode, PollVoter, TokenIssuance, Ballot)}
    for table in db.metadata.sorted_tables:
        if table.name in own:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == Poll.__tablename__ and db.session.scalar(
                select(func.count()).select_from(table).where(fk.parent == poll.id)
            ):
                return True
    return False


__all__ = [
    "check_settings",
    "delete_draft",
    "is_linked",
    "may_start_runoff",
    "new_public_id",
    "on_draft_delete",
    "runoffs_of",
    "start_runoff",
    "unique_public_id",
    "update_draft",
]
