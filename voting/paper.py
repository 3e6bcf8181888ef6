"""Paper ballots' pages (protocol revision 5): staff allow paper on a draft and mark the
deputies who vote on paper while the poll is open; each scrutineer enters every paper
ballot on their own login (``voting.services.paper``)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.forms import EmptyForm, form_or_fail
from core.permissions import deputy_required, staff_required
from extensions import db
from voting.models import PaperEntry, Poll
from voting.protocol.encoding import is_identifier
from voting.services import PollError
from voting.services import paper as service
from voting.services.scrutineers import scrutineer_for

bp = Blueprint("voting_paper", __name__)

_PROBLEMS = {
    "voter": lambda: _("第一项应为代表证号"),
    "count": lambda: _("每项须有一个选择（项数不对）"),
    "word": lambda: _("有不认识的词"),
    "max_yes": lambda: _("同意数超过上限，应录入为废票"),
}


def _page(poll: Poll, status: int = 200, error: str | None = None):
    return (
        render_template(
            "voting/staff_paper.html",
            poll=poll,
            error=error,
            allowed=service.allowed(poll),
            voters=service.paper_voters(poll) if not poll.is_draft else [],
            others=service.electronic_voters(poll) if poll.is_open and service.allowed(poll) else [],
            state=service.agreement(poll) if not poll.is_draft and service.allowed(poll) else None,
            few=service.FEW_PAPER_VOTERS,
            form=EmptyForm(),
        ),
        status,
    )


@bp.route("/staff/polls/<int:poll_id>/paper", methods=["GET", "POST"])
@staff_required
def staff_paper(poll_id: int):
    """Allow paper (draft) or mark a deputy as voting on paper (open)."""
    poll = db.get_or_404(Poll, poll_id)
    if request.method == "GET":
        return _page(poll)
    form_or_fail(EmptyForm())
    try:
        if poll.is_draft:
            service.set_allowed(poll, request.form.get("allow") == "1")
            db.session.commit()
            flash(_("纸质选票设置已保存。"), "success")
        else:
            try:
                deputy_id = int(request.form.get("deputy", ""))
            except ValueError:
                raise PollError(403, "not_in_register") from None
            voter = service.mark_paper(poll, deputy_id)
            flash(_("%(name)s 已标记为使用纸质选票（并记为出席）。", name=voter.name), "success")
    except PollError as exc:
        db.session.rollback()
        return _page(db.session.get(Poll, poll_id), exc.status, exc.message)
    return redirect(url_for("voting_paper.staff_paper", poll_id=poll.id), 303)


@bp.route("/polls/<poll_id>/paper", methods=["GET", "POST"])
@deputy_required
def paper_entry(poll_id: str):
    """A scrutineer's entry of every paper ballot, one line a ballot."""
    poll = db.session.scalar(select(Poll).where(Poll.public_id == poll_id)) if is_identifier(poll_id) else None
    if poll is None or poll.is_draft:
        raise PollError(404, "unknown_poll")
    if scrutineer_for(poll, current_user.deputy_id) is None:
        raise PollError(403, "not_a_scrutineer")
    if not service.allowed(poll):
        raise PollError(422, "paper_not_allowed")
    mine = db.session.scalar(
        select(PaperEntry).where(PaperEntry.poll_id == poll.id, PaperEntry.deputy_id == current_user.deputy_id)
    )
    text = mine.text if mine else ""
    problems: list[tuple[int, str]] = []
    status = 200
    if request.method == "POST":
        form_or_fail(EmptyForm())
        text = request.form.get("ballots", "")[:200_000]
        try:
            service.store_entry(poll, current_user.deputy_id, text)
        except service.EntryError as exc:
            db.session.rollback()
            problems = [(n, _PROBLEMS[p]()) for n, p in exc.problems]
            status = 422
        else:
            db.session.commit()
            flash(_("您的录入已保存。"), "success")
            return redirect(url_for("voting_paper.paper_entry", poll_id=poll.public_id), 303)
    state = service.agreement(poll)
    return (
        render_template(
            "voting/paper_entry.html",
            poll=poll,
            text=text,
            problems=problems,
            state=state,
            form=EmptyForm(),
            example=service.describe(poll.manifest, _example(poll.manifest)),
        ),
        status,
    )


def _example(manifest: dict) -> dict:
    value = "yes" if manifest["ballot"] == "approval" else "satisfied"
    choices = {o["id"]: ("abstain" if i else value) for i, o in enumerate(manifest["options"])}
    return {"voter": "D001", "choices": choices} if manifest["secrecy"] == "named" else choices
