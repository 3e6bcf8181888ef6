"""Poll specifications: the JSON a script (``flask poll create``) or a staff form gives."""

from __future__ import annotations

from core.models import Session
from extensions import db
from voting import services
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


def create_from_spec(spec: dict):
    """Create a draft poll from a spec dict; raises ``PollError`` on a bad spec.

    Spec: ``{"poll", "title", "ballot", "secrecy", "session"?, "options": [titles or
    {"id", "title"}], "rules": {…}, "purpose"?}``.
    """
    if not isinstance(spec, dict):
        raise PollError(422, "bad_poll", detail="the spec must be an object")
    try:
        options = spec["options"]
        if options and all(isinstance(o, str) for o in options):
            options = option_list(options)
        session = None
        if spec.get("session") is not None:
            session = db.session.get(Session, int(spec["session"]))
            if session is None:
                raise PollError(404, "bad_poll", detail=f"no session {spec['session']}")
        return services.create_poll(
            public_id=spec["poll"],
            title=spec["title"],
            ballot=spec["ballot"],
            secrecy=spec["secrecy"],
            options=options,
            poll_rules=spec["rules"],
            session=session,
            purpose=spec.get("purpose", "general"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PollError(422, "bad_poll", detail=f"missing or malformed member: {exc}") from exc
