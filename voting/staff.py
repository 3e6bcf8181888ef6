"""Staff pages of polls: the list, a draft made, edited or deleted, opening and closing
(each behind a confirmation box), one-time codes and a run-off of a tied last seat."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import jobs
from core.errors import fail
from core.forms import ConfirmForm, EmptyForm, confirm_or_fail, form_or_fail, form_status
from core.models import Session
from core.permissions import staff_required
from core.sessions import session_choices
from core.thresholds import fraction_percent, percent_fraction
from extensions import db
from voting import services, specs
from voting.forms import CodesForm, PollForm
from voting.messages import message
from voting.models import Poll
from voting.services import LogMismatch, PollError
from voting.views import bp, cast_as_of_text, rules_text, slips_response


@bp.route("/staff/polls")
@staff_required
def staff_polls():
    return render_template("voting/staff_polls.html", items=services.staff_poll_overview(limit=500))


def _poll_form(poll: Poll | None = None) -> PollForm:
    form = PollForm()
    form.session_id.choices = session_choices(_("（测评码投票不属于会议）"))
    if poll is None and request.method == "GET" and len(form.session_id.choices) > 1:
        form.session_id.data = form.session_id.choices[1][0]  # the newest session
    if poll is not None and request.method == "GET":
        rules = poll.rules
        threshold = rules.get("threshold", {})
        form.title.data = poll.title
        form.ballot.data = poll.ballot
        form.secrecy.data = poll.secrecy
        form.session_id.data = poll.session_id or 0
        form.options.data = "\n".join(o["title"] for o in poll.options)
        form.seats.data = rules.get("seats")
        form.max_yes.data = rules.get("max_yes")
        form.base.data = threshold.get("base") or rules.get("grade_base") or "electorate"
        form.more_than.data = threshold.get("more_than", "1/2")
        form.rectify_below.data = fraction_percent(rules.get("rectify_below"))
    return form


def _form_settings(form: PollForm) -> dict:
    """What the form says, as the service's keyword arguments."""
    return {
        "title": form.title.data.strip(),
        "session": db.session.get(Session, form.session_id.data) if form.session_id.data else None,
        "poll_rules": specs.build_rules(
            form.ballot.data,
            seats=form.seats.data,
            max_yes=form.max_yes.data,
            base=form.base.data,
            more_than=form.more_than.data,
            rectify_below=percent_fraction(form.rectify_below.data),
        ),
    }


def _titles(form: PollForm) -> list[str]:
    return [line.strip() for line in form.options.data.splitlines() if line.strip()]


def _refused(form: PollForm, exc: PollError) -> int:
    """Show a service's refusal beside the field it names (else above the form)."""
    db.session.rollback()
    name = exc.params.get("field")
    if name and name in form:
        form[name].errors = [*form[name].errors, exc.message]
    else:
        form.form_errors.append(exc.message)
    return exc.status


@bp.route("/staff/polls/new", methods=["GET", "POST"])
@staff_required
def poll_new():
    form = _poll_form()
    refused = None
    if form.validate_on_submit():
        try:
            poll = services.create_poll(
                ballot=form.ballot.data, secrecy=form.secrecy.data, options=_titles(form), **_form_settings(form)
            ).poll
        except PollError as exc:
            refused = _refused(form, exc)
        else:
            db.session.commit()
            flash(_("投票草稿已保存，编号 %(id)s。", id=poll.public_id), "success")
            return redirect(url_for("voting.staff_poll", poll_id=poll.id))
    return render_template("voting/poll_new.html", form=form, poll=None), form_status(form, refused)


@bp.route("/staff/polls/<int:poll_id>/edit", methods=["GET", "POST"])
@staff_required
def poll_edit(poll_id: int):
    poll = db.get_or_404(Poll, poll_id)
    if not poll.is_draft:
        fail(409, message("poll_not_draft"))
    linked = services.is_linked(poll)
    form = _poll_form(poll)
    if linked:  # the options, kind and secrecy are another page's: shown, not sent
        form.ballot.data, form.secrecy.data = poll.ballot, poll.secrecy
        form.options.data = "\n".join(o["title"] for o in poll.options)
    refused = None
    if form.validate_on_submit():
        own = {} if linked else {"options": _titles(form), "ballot": form.ballot.data, "secrecy": form.secrecy.data}
        try:
            services.update_draft(poll, **_form_settings(form), **own)
        except PollError as exc:
            refused = _refused(form, exc)
        else:
            db.session.commit()
            flash(_("投票草稿已更新。"), "success")
            return redirect(url_for("voting.staff_poll", poll_id=poll.id))
    return render_template("voting/poll_new.html", form=form, poll=poll, linked=linked), form_status(form, refused)


@bp.route("/staff/polls/<int:poll_id>/delete", methods=["POST"])
@staff_required
def poll_delete(poll_id: int):
    poll = db.get_or_404(Poll, poll_id)
    confirm_or_fail()
    title = poll.title
    services.delete_draft(poll)
    db.session.commit()
    flash(_("投票草稿“%(title)s”已删除。", title=title), "success")
    return redirect(url_for("voting.staff_polls"))


@bp.route("/staff/polls/<int:poll_id>")
@staff_required
def staff_poll(poll_id: int):
    poll = db.get_or_404(Poll, poll_id)
    return render_template(
        "voting/staff_poll.html",
        poll=poll,
        counts=services.counts(poll),
        cast_as_of=cast_as_of_text(poll),
        rules=rules_text({"ballot": poll.ballot, "rules": poll.rules}),
        lost_tokens=services.lost_token_reports(poll) if poll.secrecy == "secret" else [],
        runoffs=services.runoffs_of(poll) if poll.is_closed else [],
        may_runoff=services.may_start_runoff(poll),
        linked=services.is_linked(poll),
        button=EmptyForm(),
        confirm=ConfirmForm(),
        codes_form=CodesForm(),
    )


@bp.route("/staff/polls/<int:poll_id>/counts.json")
@staff_required
def staff_poll_counts(poll_id: int):
    c = services.counts(db.get_or_404(Poll, poll_id))
    return jsonify(
        {
            "electorate": c.electorate,
            "present": c.present,
            "issued": c.issued,
            "cast": c.cast,
            "cast_as_of": cast_as_of_text(c.poll),
        }
    )


@bp.route("/staff/polls/<int:poll_id>/open", methods=["POST"])
@staff_required
def poll_open(poll_id: int):
    poll = db.get_or_404(Poll, poll_id)
    confirm_or_fail()
    services.open_poll(poll)
    db.session.commit()
    flash(_("投票已开始。指纹：%(fp)s", fp=poll.fingerprint), "success")
    return redirect(url_for("voting.staff_poll", poll_id=poll.id))


@bp.route("/staff/polls/<int:poll_id>/close", methods=["POST"])
@staff_required
def poll_close(poll_id: int):
    poll = db.get_or_404(Poll, poll_id)
    confirm_or_fail()
    if not poll.is_open:
        raise PollError(409, "poll_not_open")
    # Checking a large log takes a while: a background job with a progress page (core.jobs).
    job = jobs.start("poll_close", poll.title, {"poll_id": poll.id}, total=poll.log_size + 1)
    return jobs.respond(job, 302)


def run_close_job(job, params: dict, progress) -> dict:
    """The close, run by ``core.jobs``: refusals become the job's error in words."""
    poll = db.session.get(Poll, params["poll_id"])
    try:
        services.close_poll(poll, progress)
    except LogMismatch as exc:
        db.session.rollback()
        raise jobs.JobFailed(message("log_mismatch") + f" ({exc})") from exc
    return {
        "summary": _("投票已结束，结果和公告板已公布。"),
        "next": url_for("voting.staff_poll", poll_id=poll.id),
        "next_label": _("回到投票管理页"),
    }


@bp.route("/staff/polls/<int:poll_id>/runoff", methods=["POST"])
@staff_required
def poll_runoff(poll_id: int):
    poll = db.get_or_404(Poll, poll_id)
    form_or_fail(EmptyForm())
    runoff = services.start_runoff(poll)
    db.session.commit()
    flash(_("另行票决草稿已创建，请核对后开始投票。"), "success")
    return redirect(url_for("voting.staff_poll", poll_id=runoff.id))


@bp.route("/staff/polls/<int:poll_id>/codes", methods=["POST"])
@staff_required
def poll_codes(poll_id: int):
    poll = db.get_or_404(Poll, poll_id)
    form = CodesForm()
    form_or_fail(form, _("测评码数量须在 1 到 100000 之间。"))
    codes = services.generate_codes(poll, form.count.data)
    back = url_for("voting.staff_poll", poll_id=poll.id)
    payload = {"poll_id": poll.id, "codes": codes, "back": back}
    base = url_for("voting.code_ballot_page", poll_id=poll.public_id, _external=True)
    return slips_response("codes", payload, base, poll.title, "voting.code_slips", poll_id=poll.id)
