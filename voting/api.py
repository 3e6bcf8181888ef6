"""The voting client API of ``yishi-ballot/1`` (JSON over HTTPS)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from extensions import csrf
from voting import services
from voting.protocol.encoding import ProtocolError, parse_json
from voting.services import PollError, scrutineers

bp = Blueprint("voting_api", __name__, url_prefix="/api")


def _body() -> object:
    try:
        return parse_json(request.get_data(cache=False))
    except ProtocolError as exc:
        raise PollError(422, "bad_request", detail=exc.detail) from exc


@bp.get("/polls")
def polls():
    items = [
        {
            "poll": p.public_id,
            "title": p.title,
            "ballot": p.ballot,
            "secrecy": p.secrecy,
            "state": p.state,
            "opened_at": p.manifest["opened_at"],
            "closed_at": p.closing["closed_at"] if p.closing else None,
        }
        for p in services.public_polls()
    ]
    return jsonify({"polls": items})


@bp.get("/polls/<poll_id>/manifest")
def manifest(poll_id: str):
    poll = services.get_public_poll(poll_id)
    response = jsonify({"manifest": poll.manifest, "manifest_sig": poll.manifest_sig})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.post("/polls/<poll_id>/tokens")
def tokens(poll_id: str):
    """Blind-sign a ballot token for the logged-in deputy (cookie and CSRF header)."""
    poll = services.poll_facts(poll_id)
    body = _body()
    if not current_user.is_authenticated:
        raise PollError(401, "login_required")
    if not current_user.is_deputy:
        raise PollError(403, "not_in_register")
    if not isinstance(body, dict) or set(body) != {"blinded_msg"}:
        raise PollError(422, "bad_request", detail='the body must be {"blinded_msg": …}')
    blind_sig = services.issue_token(poll, current_user.deputy_id, body["blinded_msg"])
    return jsonify({"blind_sig": blind_sig})


@bp.post("/polls/<poll_id>/ballots")
@csrf.exempt
def ballots(poll_id: str):
    """Cast a ballot. Secret and code polls read no cookie; named polls need the
    deputy's session and its CSRF header."""
    poll = services.poll_facts(poll_id)
    body = _body()
    outcome = services.cast(poll, body, deputy=_named_voter if poll.secrecy == "named" else None)
    response = jsonify(outcome.receipt)
    response.status_code = outcome.status
    response.headers["Cache-Control"] = "no-store"
    return response


def _named_voter():
    """The logged-in deputy casting a named ballot; the session and its CSRF header
    are read only here, after an identical ballot has had its receipt back."""
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError:
        raise PollError(400, "csrf_failed") from None
    if current_user.is_authenticated and current_user.is_deputy:
        return current_user.deputy
    return None


@bp.get("/polls/<poll_id>/board")
def board(poll_id: str):
    poll = services.get_public_poll(poll_id)
    if not poll.is_closed:
        raise PollError(404, "board_not_published")
    etag = services.board_etag(poll)
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    response = Response(services.board_chunks(poll), mimetype="application/json")
    response.headers["ETag"] = f'"{etag}"'
    # (rev 5) while co-signatures may still arrive, caches must ask again each time.
    final = scrutineers.board_final(poll)
    response.headers["Cache-Control"] = "public, max-age=300" if final else "no-cache"
    response.headers["Content-Disposition"] = f'attachment; filename="board-{poll.public_id}.json"'
    return response


@bp.post("/polls/<poll_id>/cosignatures")
def cosignatures(poll_id: str):
    """(rev 5) A scrutineer's signature over the closing, made on their own phone
    (session cookie and CSRF header). Answers in the protocol's order."""
    poll = services.get_public_poll(poll_id)
    if not poll.is_closed:
        raise PollError(404, "board_not_published")
    body = _body()
    deputy_id = current_user.deputy_id if current_user.is_authenticated and current_user.is_deputy else None
    outcome = scrutineers.store_cosignature(poll, deputy_id, body, logged_in=current_user.is_authenticated)
    response = jsonify(outcome.body)
    response.status_code = outcome.status
    response.headers["Cache-Control"] = "no-store"
    return response
