"""Scrutineers' pages (protocol revision 5): staff name them on a draft; each
scrutineer enrolls a key made on their own phone, checks the signed manifest when the
poll opens and, after the close, checks the board and co-signs it on the phone
(``static/js/scrutineer.js``). The co-signature itself goes to the protocol's
``POST /api/polls/<poll>/cosignatures`` (``voting.api``)."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import form_or_fail
from core.permissions import deputy_required, staff_required
from extensions import db
from voting.models import Poll
from voting.protocol.encoding import ProtocolError, is_identifier, parse_json
from voting.services import PollError
from voting.services import scrutineers as service

bp = Blueprint("voting_scrutiny", __name__)


class ScrutineersForm(FlaskForm):
    threshold = IntegerField(
        _l("所需签名人数"),
        validators=[Optional()],
        description=_l("留空表示全部监票人都须签名。"),
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("不签名的理由"), validators=[DataRequired(), Length(max=service.REASON_MAX)])


# --- Staff ----------------------------------------------------------------------------


@bp.route("/staff/polls/<int:poll_id>/scrutineers", methods=["GET", "POST"])
@staff_required
def staff_scrutineers(poll_id: int):
    """Name the scrutineers (deputies of the poll's session, in order) and the threshold."""
    poll = db.get_or_404(Poll, poll_id)
    form = ScrutineersForm()
    error = None
    status = 200
    chosen = [row.deputy_id for row in service.scrutineers_of(poll)]
    if request.method == "POST":
        form_or_fail(form)
        try:
            picked = [int(v) for v in request.form.getlist("scrutineer") if v.strip()]
        except ValueError:
            picked = None
        try:
            if picked is None:
                raise PollError(422, "scrutineer_not_in_session")
            service.set_scrutineers(poll, picked, form.threshold.data)
        except PollError as exc:
            db.session.rollback()
            error, status = exc.message, exc.status
            chosen = picked or []
        else:
            db.session.commit()
            flash(_("监票人已保存。请每位监票人用自己的手机登录，打开“监票”页面登记密钥。"), "success")
            return redirect(url_for("voting_scrutiny.staff_scrutineers", poll_id=poll.id), 303)
    elif poll.cosign_threshold is not None:
        form.threshold.data = poll.cosign_threshold
    return (
        render_template(
            "voting/staff_scrutineers.html",
            poll=poll,
            form=form,
            error=error,
            deputies=service.session_deputies(poll) if poll.is_draft else [],
            chosen=chosen + [None] * (service.MAX_SCRUTINEERS - len(chosen)),
            scrutiny=service.scrutiny(poll),
        ),
        status,
    )


# --- The scrutineer's phone ------------------------------------------------------------


def _poll_of_scrutineer(public_id: str):
    """The poll (drafts too: a scrutineer enrolls before the open) and the logged-in
    deputy's scrutineer row; 404 for anyone who is not one of its scrutineers."""
    poll = db.session.scalar(select(Poll).where(Poll.public_id == public_id)) if is_identifier(public_id) else None
    row = service.scrutineer_for(poll, current_user.deputy_id) if poll is not None else None
    if row is None:
        if poll is not None and not poll.is_draft:
            raise PollError(403, "not_a_scrutineer")
        raise PollError(404, "unknown_poll")
    return poll, row


@bp.route("/polls/<poll_id>/scrutineer")
@deputy_required
def scrutineer_page(poll_id: str):
    poll, row = _poll_of_scrutineer(poll_id)
    return render_template(
        "voting/scrutineer.html",
        poll=poll,
        row=row,
        scrutiny=service.scrutiny(poll),
        decline_form=DeclineForm(),
    )


@bp.route("/polls/<poll_id>/scrutineer/key", methods=["POST"])
@deputy_required
def enroll(poll_id: str):
    """The public key made on the phone: ``{"key": base64url}`` (CSRF header)."""
    poll, _row = _poll_of_scrutineer(poll_id)
    try:
        body = parse_json(request.get_data(cache=False))
    except ProtocolError as exc:
        raise PollError(422, "bad_request", detail=exc.detail) from exc
    if not isinstance(body, dict) or set(body) != {"key"}:
        raise PollError(422, "bad_request", detail='the body must be {"key": …}')
    row = service.enroll_key(poll, current_user.deputy_id, body["key"])
    db.session.commit()
    response = jsonify({"key": row.key, "fingerprint": service.fingerprint_of(row.key)})
    response.status_code = 201
    return response


@bp.route("/polls/<poll_id>/scrutineer/decline", methods=["POST"])
@deputy_required
def decline(poll_id: str):
    poll, _row = _poll_of_scrutineer(poll_id)
    form = DeclineForm()
    form_or_fail(form, _("请写明不签名的理由（1 到 500 字）。"))
    service.decline(poll, current_user.deputy_id, form.reason.data)
    db.session.commit()
    flash(_("已记录您不签名及其理由，将显示在投票的公开页面上。"), "success")
    return redirect(url_for("voting_scrutiny.scrutineer_page", poll_id=poll.public_id), 303)
