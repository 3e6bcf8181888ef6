"""Poll specifications: the JSON a script (``flask poll create``) or a staff form gives."""

from __future__ import annotations

from core.models import Session
from extensions import db
from voting import services
from voting.models import Poll
from voting.services import PollError


def option_list(titles: list[str]) -> list[dict]:
    """Options with ids p01, p02 … in the given order."""
    return [{"id": f"p{i:02d}", "title": t} for i, t in enumerate(titles, start=1)]


def build_rules(
    ballot: str, *, seats=None, max_yes=None, base="electorate", more_than="1/2", rectify_below=None
) -> dict:
    if ballot == "approval":
        rules: dict = {"threshold": {"base": base, "more_than": more_than}}
        if seats is not None:
            rules["seats"] = seats
        if max_yes is not None:
            rules["max_yes"] = max_yes
        return rules
    rules = {"grade_base": base}
    if rectify_below:
        rules["rectify_below"] = rectify_below
    return rules


def create_from_spec(spec: object) -> Poll:
    """Create a draft poll from a spec, the JSON of ``flask poll create``; raises
    ``PollError`` (422 ``bad_poll``) naming the first member that is missing or of the
    wrong type. In-process callers use ``services.create_poll`` instead.

    Spec: ``{"poll"?, "title", "ballot", "secrecy", "session"?, "options": [titles or
    {"id", "title"}], "rules": {…}, "purpose"?}``; without ``poll`` the id is
    made from the year, session and kind, as on the staff form.
    """
    if not isinstance(spec, dict):
        raise PollError(422, "bad_poll", detail="the spec must be an object")
    session = None
    session_id = spec.get("session")
    if session_id is not None:
        if not isinstance(session_id, int) or isinstance(session_id, bool):
            raise PollError(422, "bad_poll", detail="session must be a session id (an integer) or null")
        session = db.session.get(Session, session_id)
        if session is None:
            raise PollError(404, "bad_poll", detail=f"no session {session_id}")
    options = _member(spec, "options", list)
    pairs = []
    for option in options:
        if isinstance(option, str):
            pairs.append(option)
        elif isinstance(option, dict) and isinstance(option.get("id"), str) and isinstance(option.get("title"), str):
            pairs.append((option["id"], option["title"]))
        else:
            raise PollError(422, "bad_poll", detail='each option must be a title or {"id": …, "title": …}')
    if any(isinstance(o, str) for o in pairs) and not all(isinstance(o, str) for o in pairs):
        raise PollError(422, "bad_poll", detail="options must be all titles or all {id, title} objects")
    draft = services.create_poll(
        public_id=_member(spec, "poll", str) if "poll" in spec else None,
        title=_member(spec, "title", str),
        ballot=_member(spec, "ballot", str),
        secrecy=_member(spec, "secrecy", str),
        options=pairs,
        poll_rules=_member(spec, "rules", dict),
        session=session,
        purpose=_member(spec, "purpose", str) if "purpose" in spec else "general",
    )
    return draft.poll


def _member(spec: dict, name: str, kind: type):
    if name not in spec:
        raise PollError(422, "bad_poll", detail=f"missing member: {name}")
    if not isinstance(spec[name], kind):
        raise PollError(422, "bad_poll", detail=f"{name} must be a JSON {_JSON_NAMES[kind]}")
    return spec[name]


_JSON_NAMES = {str: "string", list: "array", dict: "object"}
