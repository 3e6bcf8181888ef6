"""Sessions and check-in: the rules and the counts 应到 / 实到."""

from __future__ import annotations

import base64
import io
import secrets

import segno
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.models import CheckIn, Deputy, Session, User
from extensions import db


def session_choices(placeholder: str | None = None, *, where=None) -> list[tuple[int, str]]:
    """The sessions as a form's choices, newest first: ``(id, "congress · session")``.

    ``placeholder`` adds a first choice 0 (e.g. "not in a session" for a code poll);
    ``where`` narrows the sessions by an SQL condition on ``Session`` (e.g. the
    standing committees' meetings only)."""
    query = select(Session).order_by(Session.starts_on.desc(), Session.id.desc())
    if where is not None:
        query = query.where(where)
    choices = [(s.id, f"{s.congress.name} · {s.name}") for s in db.session.scalars(query)]
    return choices if placeholder is None else [(0, placeholder), *choices]


def sessions_page(*, per_page: int = 20, where=None, q_arg: str = "sq", page_arg: str = "sp"):
    """A session picker's page (``core.paging``): sessions searched by their or their
    congress's name (the URL's ``sq``), newest first, a page (``sp``) at a time.
    ``where`` narrows them as in ``session_choices``."""
    from core.models import Congress
    from core.paging import paginate

    query = (
        select(Session)
        .join(Congress, Congress.id == Session.congress_id)
        .order_by(Session.starts_on.desc(), Session.id.desc())
    )
    if where is not None:
        query = query.where(where)
    return paginate(query, columns=(Session.name, Congress.name), per_page=per_page, q_arg=q_arg, page_arg=page_arg)


def picker_choices(page, current_id: int | None, placeholder: str | None = None) -> list[tuple[int, str]]:
    """A select's choices from a ``sessions_page``: its sessions, the current choice
    first when it is not on the page, and ``placeholder`` as choice 0."""
    sessions = list(page.items) if page is not None else []
    current = db.session.get(Session, current_id) if current_id else None
    if current is not None and current not in sessions:
        sessions.insert(0, current)
    choices = [(s.id, f"{s.congress.name} · {s.name}") for s in sessions]
    return choices if placeholder is None else [(0, placeholder), *choices]


def check_in(session: Session, deputy: Deputy, *, method: str, by: User | None) -> bool:
    """Record the deputy as present; False when already checked in (idempotent).

    A savepoint makes a concurrent double check-in harmless: the unique constraint
    decides, and the outer transaction goes on.
    """
    if session.is_checked_in(deputy.id):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                CheckIn(session_id=session.id, deputy_id=deputy.id, method=method, by_user_id=by.id if by else None)
            )
    except IntegrityError:
        return False
    on_behalf = deputy.code if (by is not None and by.deputy_id != deputy.id) else None
    audit.record(
        "session.checkin", "session", session.id, {"deputy": deputy.code, "method": method}, on_behalf_of=on_behalf
    )
    return True


def counts(session: Session) -> dict:
    expected = session.expected_count()
    present = session.present_count()
    return {"session": session.id, "expected": expected, "present": present, "absent": max(expected - present, 0)}


def roster_with_checkins(session: Session) -> list[tuple[Deputy, CheckIn | None]]:
    rows = db.session.execute(
        select(Deputy, CheckIn)
        .outerjoin(CheckIn, (CheckIn.deputy_id == Deputy.id) & (CheckIn.session_id == session.id))
        .where(Deputy.congress_id == session.congress_id)
        .order_by(Deputy.delegation, Deputy.code)
    ).all()
    return [(d, c) for d, c in rows]


def roster_page(session: Session, *, per_page: int = 50):
    """``roster_with_checkins`` searched (code, name, delegation) and a page at a time
    (``core.paging``): items are ``(deputy, check-in or None)``."""
    from core.paging import paginate

    query = (
        select(Deputy, CheckIn)
        .outerjoin(CheckIn, (CheckIn.deputy_id == Deputy.id) & (CheckIn.session_id == session.id))
        .where(Deputy.congress_id == session.congress_id)
        .order_by(Deputy.delegation, Deputy.code)
    )
    return paginate(query, columns=(Deputy.code, Deputy.name, Deputy.delegation), per_page=per_page, scalars=False)


def renew_secret(session: Session) -> None:
    session.checkin_secret = secrets.token_urlsafe(24)


def qr_svg(data: str, scale: int = 6) -> str:
    """An SVG QR code (segno) with a title for screen readers."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, title=data)
    return out.getvalue().decode()


def qr_data_uri(data: str, scale: int = 4) -> str:
    """A QR code as a data: URI, for pages that print many of them."""
    svg = qr_svg(data, scale=scale).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
