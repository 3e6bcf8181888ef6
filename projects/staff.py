"""Staff pages: the call, moderation, candidates (form and CSV), the vote and the
run-off, monitoring groups and the year-end assessment."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import fail
from core.forms import ConfirmForm, EmptyForm, confirm_or_fail, form_or_fail, form_status
from core.models import Deputy, LeadUnit, Session
from core.permissions import staff_required
from core.routing import bounded_int_text
from core.sessions import session_choices
from core.times import local_today
from extensions import db
from projects import imports, progress, services
from projects.forms import (
    AssessmentForm,
    CallForm,
    CandidateForm,
    CandidateImportForm,
    MemberForm,
    MergeForm,
    RejectForm,
    VoteForm,
)
from projects.models import MonitoringMember, Project, Suggestion
from projects.services import CycleError
from projects.views import bp


def _unit_choices() -> list[tuple[int, str]]:
    return [(u.id, u.name) for u in db.session.scalars(select(LeadUnit).order_by(LeadUnit.id))]


def _suggestion_choices(year: int, project=None) -> list[tuple[int, str]]:
    call = services.call_for_year(year)
    if call is None:
        return []
    return [
        (s.id, f"#{s.id} {s.title}")
        for s in call.suggestions
        if s.is_public and s.may_feed_candidate and (not s.projects or s.projects[0] is project)
    ]


@bp.route("/staff/projects")
@staff_required
def staff_index():
    years = services.years()
    return render_template(
        "projects/staff_index.html",
        years=years,
        calls={y: services.call_for_year(y) for y in years},
        pending=services.pending_count(),
    )


@bp.route("/staff/projects/calls/new", methods=["GET", "POST"])
@staff_required
def call_new():
    form = CallForm()
    if request.method == "GET":
        form.year.data = local_today().year + 1
    if form.validate_on_submit():
        call = services.create_call(
            year=form.year.data,
            title=form.title.data,
            notice=form.notice.data,
            opens_on=form.opens_on.data,
            closes_on=form.closes_on.data,
        )
        db.session.commit()
        flash(_("征集已发布。"), "success")
        return redirect(url_for("projects.staff_year", year=call.year))
    return render_template("projects/call_new.html", form=form), form_status(form)


@bp.route("/staff/projects/<int:year>")
@staff_required
def staff_year(year: int):
    call = services.call_for_year(year)
    projects = services.candidates(year)
    if call is None and not projects:
        abort(404)
    return render_template(
        "projects/staff_year.html",
        year=year,
        call=call,
        projects=projects,
        outcome=services.vote_outcome(year),
        button=EmptyForm(),
        confirm=ConfirmForm(),
        reject_form=RejectForm(),
        merge_form=MergeForm(),
        locked={p.id: services.is_locked(p) for p in projects},
        assessments=services.year_polls(year, "assessment"),
    )


# --- Moderation ------------------------------------------------------------------------


def _confirmed(form) -> None:
    """Rejecting or merging is published at once: the form's box must be ticked."""
    if form.is_submitted() and not form.confirm.data:
        confirm_or_fail()


def _back(s: Suggestion):
    return redirect(url_for("projects.staff_year", year=s.call.year) + f"#s{s.id}")


@bp.route("/staff/projects/suggestions/<int:suggestion_id>/accept", methods=["POST"])
@staff_required
def suggestion_accept(suggestion_id: int):
    s = db.get_or_404(Suggestion, suggestion_id)
    form_or_fail(EmptyForm())
    services.accept_suggestion(s)
    db.session.commit()
    flash(_("建议 #%(id)d 已采纳。", id=s.id), "success")
    return _back(s)


@bp.route("/staff/projects/suggestions/<int:suggestion_id>/reject", methods=["POST"])
@staff_required
def suggestion_reject(suggestion_id: int):
    s = db.get_or_404(Suggestion, suggestion_id)
    form = RejectForm()
    _confirmed(form)
    form_or_fail(form, _("请填写不予采纳的理由（不超过 1000 字）。"))
    services.reject_suggestion(s, form.reason.data)
    db.session.commit()
    flash(_("建议 #%(id)d 未予采纳，理由已公开。", id=s.id), "success")
    return _back(s)


@bp.route("/staff/projects/suggestions/<int:suggestion_id>/merge", methods=["POST"])
@staff_required
def suggestion_merge(suggestion_id: int):
    s = db.get_or_404(Suggestion, suggestion_id)
    form = MergeForm()
    _confirmed(form)
    form_or_fail(form, _("请填写要合并到的建议编号。"))
    services.merge_suggestion(s, db.session.get(Suggestion, form.target.data))
    db.session.commit()
    flash(_("建议 #%(id)d 已合并到 #%(to)d。", id=s.id, to=s.merged_into_id), "success")
    return _back(s)


# --- Candidates ------------------------------------------------------------------------


def _candidate_form(year: int, project=None) -> CandidateForm:
    form = CandidateForm(obj=project) if project is not None and request.method == "GET" else CandidateForm()
    form.lead_unit_id.choices = _unit_choices()
    form.suggestions.choices = _suggestion_choices(year, project)
    return form


def _chosen(form: CandidateForm) -> list[Suggestion]:
    chosen = []
    for sid in form.suggestions.data or []:
        s = db.session.get(Suggestion, sid)
        if s is None:
            raise CycleError(422, _("建议 #%(id)d 不存在。", id=sid))
        chosen.append(s)
    return chosen


def _candidate_page(form: CandidateForm, year: int, project: Project | None):
    """The candidate form: shown, or saved as a new candidate or as ``project`` edited."""
    refused = None
    if form.validate_on_submit():
        unit = db.session.get(LeadUnit, form.lead_unit_id.data)
        if unit is None:
            fail(422, _("请选择承办单位。"))
        try:
            fields = {
                "title": form.title.data,
                "lead_unit": unit,
                "investment": form.investment.data,
                "planned_completion": form.planned_completion.data,
                "description": form.description.data,
                "suggestions": _chosen(form),
            }
            if project is None:
                saved = services.create_candidate(year=year, **fields)
            else:
                services.update_candidate(project, **fields)
                saved = project
        except CycleError as exc:
            db.session.rollback()
            if project is not None and exc.status == 409:
                raise  # an edit the state refuses answers as an error page, not on the form
            form.form_errors.append(exc.message)
            refused = exc.status
        else:
            db.session.commit()
            flash(_("候选项目已保存。") if project is None else _("候选项目已更新。"), "success")
            return redirect(url_for("projects.project_page", project_id=saved.id))
    page = render_template("projects/candidate_form.html", form=form, year=year, project=project)
    return page, form_status(form, refused)


@bp.route("/staff/projects/<int:year>/candidates/new", methods=["GET", "POST"])
@staff_required
def candidate_new(year: int):
    form = _candidate_form(year)
    if request.method == "GET":
        ids = [n for x in request.args.getlist("from") if (n := bounded_int_text(x))]
        form.suggestions.data = ids
        first = db.session.get(Suggestion, ids[0]) if ids else None
        if first is not None:
            form.title.data = first.title
            form.description.data = first.description
    return _candidate_page(form, year, None)


@bp.route("/staff/projects/p/<int:project_id>/edit", methods=["GET", "POST"])
@staff_required
def candidate_edit(project_id: int):
    project = db.get_or_404(Project, project_id)
    services.check_editable(project)
    form = _candidate_form(project.year, project)
    if request.method == "GET":
        form.suggestions.data = [s.id for s in project.suggestions]
    return _candidate_page(form, project.year, project)


@bp.route("/staff/projects/<int:year>/import", methods=["GET", "POST"])
@staff_required
def candidate_import(year: int):
    form = CandidateImportForm()
    result = None
    if form.validate_on_submit():
        result = imports.import_candidates(year, form.file.data.read())
        if result.ok:
            db.session.commit()
            flash(_("已导入 %(n)d 个候选项目。", n=len(result.created)), "success")
            return redirect(url_for("projects.staff_year", year=year))
        db.session.rollback()
    return render_template("projects/import.html", form=form, year=year, result=result), form_status(form)


# --- The vote, the run-off, the assessment ---------------------------------------------


@bp.route("/staff/projects/<int:year>/vote", methods=["GET", "POST"])
@staff_required
def vote_new(year: int):
    form = VoteForm()
    form.session_id.choices = session_choices()
    count = sum(1 for p in services.candidates(year) if p.is_candidate)
    if request.method == "GET" and count:
        form.seats.data = max(1, count * 2 // 3)
    refused = None
    if form.validate_on_submit():
        session = db.session.get(Session, form.session_id.data)
        if session is None:
            fail(422, _("请选择会议。"))
        try:
            poll = services.create_vote(
                year,
                session,
                seats=form.seats.data,
                max_yes=form.max_yes.data,
                base=form.base.data,
                more_than=form.more_than.data,
            )
        except CycleError as exc:
            db.session.rollback()
            if exc.field not in form:
                raise  # not about a field: the error page says it
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
            refused = exc.status
        else:
            db.session.commit()
            flash(_("票决草稿已创建，请核对后开始投票。"), "success")
            return redirect(url_for("voting.staff_poll", poll_id=poll.id))
    page = render_template("projects/vote_new.html", form=form, year=year, count=count)
    return page, form_status(form, refused)


@bp.route("/staff/projects/<int:year>/vote/apply", methods=["POST"])
@staff_required
def vote_apply(year: int):
    confirm_or_fail()
    outcome = services.apply_outcome(year)
    db.session.commit()
    if outcome.needs_runoff:
        flash(_("已确认当选项目；最后名额同票，请发起另行票决。"), "success")
    else:
        flash(_("已确认当选项目。"), "success")
    return redirect(url_for("projects.staff_year", year=year))


@bp.route("/staff/projects/<int:year>/runoff", methods=["POST"])
@staff_required
def runoff_new(year: int):
    form_or_fail(EmptyForm())
    poll = services.start_runoff(year)
    db.session.commit()
    flash(_("另行票决草稿已创建。"), "success")
    return redirect(url_for("voting.staff_poll", poll_id=poll.id))


@bp.route("/staff/projects/<int:year>/assessment", methods=["GET", "POST"])
@staff_required
def assessment_new(year: int):
    form = AssessmentForm()
    form.session_id.choices = session_choices()
    if form.validate_on_submit():
        session = db.session.get(Session, form.session_id.data)
        if session is None:
            fail(422, _("请选择会议。"))
        poll = services.create_assessment(year, session)
        db.session.commit()
        flash(_("满意度测评草稿已创建。"), "success")
        return redirect(url_for("voting.staff_poll", poll_id=poll.id))
    return render_template(
        "projects/assessment_new.html", form=form, year=year, projects=services.elected_projects(year)
    ), form_status(form)


# --- Monitoring groups -----------------------------------------------------------------


@bp.route("/staff/projects/p/<int:project_id>/members", methods=["GET", "POST"])
@staff_required
def members(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = MemberForm()
    if form.validate_on_submit():
        deputy = db.session.scalar(
            select(Deputy).where(Deputy.code == form.code.data, Deputy.active.is_(True)).order_by(Deputy.id.desc())
        )
        progress.add_member(project, deputy, leader=form.leader.data == "1")
        db.session.commit()
        flash(_("已加入监督小组。"), "success")
        return redirect(url_for("projects.members", project_id=project.id))
    return render_template("projects/members.html", project=project, form=form, button=EmptyForm()), form_status(form)


@bp.route("/staff/projects/members/<int:member_id>/remove", methods=["POST"])
@staff_required
def member_remove(member_id: int):
    member = db.get_or_404(MonitoringMember, member_id)
    form_or_fail(EmptyForm())
    project_id = member.project_id
    progress.remove_member(member)
    db.session.commit()
    flash(_("已移出监督小组。"), "success")
    return redirect(url_for("projects.members", project_id=project_id))
