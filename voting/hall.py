"""The hall screen (issue 16.1): what staff put on the projector during a session.

While a poll of the session is open it shows the poll's title, its fingerprint in large
type with a QR of the results page, 应到 / 实到 / 凭证已领 live and the count of cast
ballots as published (at most every 30 s, protocol revision 5), and the scrutineers'
names and key fingerprints. Once the poll closes it shows the announcement: the result
table and chart, the board's root and the scrutineers' signatures as they arrive.

The poll on screen is the session's most recently opened open poll; when none is open,
the most recently closed one (its announcement). ``static/js/hall.js`` polls
``screen.json`` every few seconds and reloads the page when the poll on screen or its
state changes."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, url_for
from markupsafe import Markup
from sqlalchemy import select

from core.models import Session
from core.permissions import staff_required
from core.sessions import qr_svg
from extensions import db
from voting import services
from voting.models import Poll, PollState
from voting.protocol.tally import rate_percent
from voting.services import scrutineers

bp = Blueprint("voting_hall", __name__)

POLL_SECONDS = 3


def poll_on_screen(session: Session) -> Poll | None:
    """The session's latest open poll, or else its latest closed one, or None."""
    open_poll = db.session.scalar(
        select(Poll)
        .where(Poll.session_id == session.id, Poll.state == PollState.OPEN)
        .order_by(Poll.opened_at.desc(), Poll.id.desc())
        .limit(1)
    )
    if open_poll is not None:
        return open_poll
    return db.session.scalar(
        select(Poll)
        .where(Poll.session_id == session.id, Poll.state == PollState.CLOSED)
        .order_by(Poll.closed_at.desc(), Poll.id.desc())
        .limit(1)
    )


def view_key(poll: Poll | None) -> str:
    """What the page shows: it reloads when this changes."""
    return f"{poll.state}:{poll.public_id}" if poll is not None else "idle"


def _scrutiny_json(poll: Poll) -> dict | None:
    scrutiny = scrutineers.scrutiny(poll)
    if scrutiny is None:
        return None
    return {
        "signed": scrutiny.signed,
        "count": scrutiny.count,
        "threshold": scrutiny.threshold,
        "attested": scrutiny.attested,
        "lines": [
            {
                "name": line.name,
                "fingerprint": line.fingerprint,
                "signed": line.signed,
                "declined": line.declined_reason is not None,
            }
            for line in scrutiny.lines
        ],
    }


def screen_data(session: Session) -> dict:
    poll = poll_on_screen(session)
    data: dict = {"view": view_key(poll), "refresh": POLL_SECONDS}
    if poll is None:
        return data
    from voting.views import cast_as_of_text

    counts = services.counts(poll)
    data.update(
        poll=poll.public_id,
        state=str(poll.state),
        title=poll.title,
        fingerprint=poll.fingerprint,
        electorate=counts.electorate,
        present=counts.present,
        issued=counts.issued if poll.secrecy == "secret" else None,
        cast=counts.cast,
        cast_as_of=cast_as_of_text(poll),
        scrutiny=_scrutiny_json(poll),
    )
    if poll.is_closed and poll.closing:
        data["root"] = poll.closing.get("root")
    return data


@bp.route("/sessions/<int:session_id>/screen")
@staff_required
def screen(session_id: int):
    from voting.views import _chart, choice_labels, rules_text

    session = db.get_or_404(Session, session_id)
    poll = poll_on_screen(session)
    context: dict = {"session": session, "poll": poll, "data": screen_data(session), "view": None}
    if poll is not None:
        results_url = url_for("voting.results", poll_id=poll.public_id, _external=True)
        context.update(
            qr=Markup(qr_svg(results_url, scale=5)),
            results_url=results_url,
            rules=rules_text(poll.manifest),
            scrutiny=scrutineers.scrutiny(poll),
        )
        if poll.is_closed:
            view = services.results_view(poll)
            context.update(view=view, chart=_chart(view), labels=choice_labels(), rate_percent=rate_percent)
    response = render_template("voting/hall_screen.html", **context)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/sessions/<int:session_id>/screen.json")
@staff_required
def screen_json(session_id: int):
    session = db.get_or_404(Session, session_id)
    response = jsonify(screen_data(session))
    response.headers["Cache-Control"] = "no-store"
    return response
