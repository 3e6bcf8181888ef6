"""Staff pages of the assessments: assessments and their subjects, code slips, opening
and closing, rectification, standing committees. Routes on the ``assessments`` blueprint."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import case, select

from assessments import services, suggestions
from assessments.forms import (
    AssessmentForm,
    CodesForm,
    CommitteeForm,
    FollowUpForm,
    ReassessForm,
    RectificationForm,
    SubjectForm,
    base_choices,
)
from assessments.models import (
    Assessment,
    AssessmentSubject,
    DeputySuggestion,
    DeputySuggestionState,
    Rectification,
    StandingCommittee,
    body_type_labels,
)
from assessments.views import bp
from core import audit, held
from core.errors import fail
from core.forms import ConfirmForm, EmptyForm, RosterImportForm, SessionForm, confirm_or_fail, form_or_fail
from core.models import Session
from core.paging import Page, paginate
from core.permissions import staff_required
from core.roster import import_roster
from core.sessions import picker_choices, session_choices, sessions_page
from core.times import local_today
from extensions import db
from voting.messages import message
from voting.services import LogMismatch
from voting.views import slip_images, slips_response

# --- Staff: assessments -----------------------------------------------------------------


def _session_choices() -> list[tuple[int, str]]:
    return session_choices(_("（不属于会议：公众测评）"))


PICKER_PAGE = 20


def session_picker() -> Page:
    """The sessions the form's "会议" list offers, searched (``sq``) and paged (``sp``)."""
    return sessions_page(per_page=PICKER_PAGE)


def _fill_session_field(field, picker: Page | None) -> None:
    """On a page, the choices are the picker's page (and the current choice); a POST
    accepts any session, which the service checks."""
    if request.method == "POST":
        field.choices = _session_choices()
        return
    field.choices = picker_choices(picker, field.data, _("（不属于会议：公众测评）"))


def _fill_assessment_form(form: AssessmentForm, picker: Page | None = None) -> None:
    _fill_session_field(form.session_id, picker)
    if request.method == "GET" and not form.year.data:
        form.year.data = local_today().year


def _create_or_edit(form: AssessmentForm, assessment: Assessment | None):
    """Create or edit from a valid form; the rules' refusals (which name the field) are
    shown on the form again."""
    session = db.session.get(Session, form.session_id.data) if form.session_id.data else None
    values = {
        "title": form.title.data,
        "year": form.year.data,
        "raters": form.raters.data,
        "session": session,
        "grade_base": form.grade_base.data,
        "rectify_below": services.parse_threshold(form.rectify_below.data),
    }
    if assessment is None:
        return services.create_assessment(**values), False
    return assessment, services.update_assessment(assessment, **values)


@bp.route("/staff", methods=["GET", "POST"])
@staff_required
def staff_list():
    form = AssessmentForm()
    picker = session_picker() if request.method == "GET" else None
    _fill_assessment_form(form, picker)
    if request.method == "POST":
        form_or_fail(form)
        assessment, _voided = _create_or_edit(form, None)
        db.session.commit()
        flash(_("测评已创建，请添加测评对象。"), "success")
        return redirect(url_for("assessments.staff_detail", assessment_id=assessment.id))
    return render_template(
        "assessments/staff_list.html",
        form=form,
        picker=picker,
        items=services.staff_assessments(),
        rect_counts=services.rectification_counts(),
    )


@bp.route("/staff/<int:assessment_id>/edit", methods=["GET", "POST"])
@staff_required
def staff_edit(assessment_id: int):
    """Edit an assessment until it opens."""
    assessment = db.get_or_404(Assessment, assessment_id)
    if assessment.has_started:
        fail(409, _("测评已经开始，不能再修改；结束后可发起再次测评。"))
    if request.method == "GET":
        form = AssessmentForm(
            title=assessment.title,
            year=assessment.year,
            raters=assessment.raters,
            session_id=assessment.session_id or 0,
            grade_base=assessment.grade_base,
            rectify_below=services.threshold_percent(assessment.rectify_below),
        )
    else:
        form = AssessmentForm()
    picker = session_picker() if request.method == "GET" else None
    _fill_assessment_form(form, picker)
    if request.method == "POST":
        form_or_fail(form)
        _assessment, voided = _create_or_edit(form, assessment)
        db.session.commit()
        flash(_("已保存。"), "success")
        if voided:
            flash(_("已生成的测评码全部作废，请重新生成并打印。"), "warning")
        return redirect(url_for("assessments.staff_detail", assessment_id=assessment.id))
    return render_template("assessments/staff_edit.html", assessment=assessment, form=form, picker=picker)


@bp.route("/staff/<int:assessment_id>/delete", methods=["POST"])
@staff_required
def staff_delete(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    confirm_or_fail()
    title = assessment.title
    services.delete_assessment(assessment)
    db.session.commit()
    flash(_("测评“%(title)s”已删除。", title=title), "success")
    return redirect(url_for("assessments.staff_list"), 303)


def _project_query(assessment: Assessment):
    """Projects for the subject list: for a year-end assessment the elected projects
    (当选) of its year come first, then other elected ones, then the rest."""
    from projects.models import Project, ProjectStatus

    elected = case((Project.status == ProjectStatus.ELECTED.value, 0), else_=1)
    this_year = case((Project.year == assessment.year, 0), else_=1)
    return select(Project).order_by(elected, this_year, Project.year.desc(), Project.id)


def _suggestion_query():
    return (
        select(DeputySuggestion)
        .where(DeputySuggestion.state.in_((DeputySuggestionState.REPLIED, DeputySuggestionState.CLOSED)))
        .order_by(DeputySuggestion.id.desc())
    )


def subject_pickers(assessment: Assessment) -> tuple[Page, Page]:
    """The projects and the answered suggestions the subject form offers, searched by
    the URL's ``q`` (title) a page at a time (``page`` and ``spage``)."""
    from projects.models import Project

    projects = paginate(_project_query(assessment), columns=(Project.title,), per_page=PICKER_PAGE)
    found = paginate(_suggestion_query(), columns=(DeputySuggestion.title,), per_page=PICKER_PAGE, page_arg="spage")
    return projects, found


def _project_label(p) -> str:
    mark = _("【当选】") if p.is_elected else ""
    return f"{mark}{p.year} {p.title}"


def _subject_form(assessment: Assessment, pickers: tuple[Page, Page] | None = None) -> SubjectForm:
    form = SubjectForm()
    none = [(0, _("（不适用）"))]
    if pickers is None:  # a POST: any project or answered suggestion; the service checks
        from projects.models import Project

        form.project_id.choices = none + [(i, "") for i in db.session.scalars(select(Project.id))]
        form.suggestion_id.choices = none + [(s.id, "") for s in suggestions.answered()]
        return form
    projects, found = pickers
    form.suggestion_id.choices = none + [
        (s.id, f"#{s.id} {s.title}{_('（')}{s.deputy.name}{_('）')}") for s in found.items
    ]
    form.project_id.choices = none + [(p.id, _project_label(p)) for p in projects.items]
    return form


@bp.route("/staff/<int:assessment_id>")
@staff_required
def staff_detail(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    from voting.services import counts

    pickers = subject_pickers(assessment) if assessment.is_draft else None
    return render_template(
        "assessments/staff_detail.html",
        assessment=assessment,
        subject_form=_subject_form(assessment, pickers) if pickers else None,
        pickers=pickers,
        confirm=ConfirmForm(),
        threshold=services.threshold_percent(assessment.rectify_below),
        base_label=dict(base_choices()).get(assessment.grade_base, ""),
        codes_form=CodesForm(),
        empty=EmptyForm(),
        bodies=body_type_labels(),
        counts=counts(assessment.poll) if assessment.poll else None,
    )


@bp.route("/staff/<int:assessment_id>/subjects", methods=["POST"])
@staff_required
def subject_add(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    form = _subject_form(assessment)
    form_or_fail(form)
    upload = form.document.data
    document = None
    if upload is not None and getattr(upload, "filename", ""):
        document = (upload.read(services.MAX_PDF_BYTES + 1), upload.filename)
    suggestion = db.session.get(DeputySuggestion, form.suggestion_id.data) if form.suggestion_id.data else None
    services.add_subject(
        assessment,
        kind=form.kind.data,
        title=form.title.data,
        description=form.description.data,
        body_type=form.body_type.data or None,
        body_name=form.body_name.data,
        document=document,
        document_url=form.document_url.data,
        suggestion=suggestion,
        project_id=form.project_id.data or None,
    )
    db.session.commit()
    flash(_("已添加测评对象。"), "success")
    return redirect(url_for("assessments.staff_detail", assessment_id=assessment.id))


@bp.route("/staff/subjects/<int:subject_id>/delete", methods=["POST"])
@staff_required
def subject_remove(subject_id: int):
    subject = db.get_or_404(AssessmentSubject, subject_id)
    confirm_or_fail()
    assessment_id = subject.assessment_id
    services.remove_subject(subject)
    db.session.commit()
    flash(_("已删除测评对象。"), "success")
    return redirect(url_for("assessments.staff_detail", assessment_id=assessment_id))


@bp.route("/staff/<int:assessment_id>/codes", methods=["POST"])
@staff_required
def codes(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    form = CodesForm()
    if assessment.poll is not None and not assessment.has_started:
        confirm_or_fail(form)  # a new batch voids the one printed: confirmed
    else:
        form_or_fail(form)
    batch = services.generate_codes(assessment, form.count.data)
    payload = {"assessment_id": assessment.id, "codes": batch}
    base = url_for("voting.code_ballot_page", poll_id=assessment.poll.public_id, _external=True)
    return slips_response(
        "assessment_codes", payload, base, assessment.title, "assessments.slips", assessment_id=assessment.id
    )


@bp.route("/staff/<int:assessment_id>/codes/<held_id>")
@staff_required
def slips(assessment_id: int, held_id: str):
    """The slips of a batch just made, for the staff member's browser until noted (the
    tables keep only the codes' hashes)."""
    assessment = db.get_or_404(Assessment, assessment_id)
    data = held.read("assessment_codes", held_id)
    if data["assessment_id"] != assessment.id:
        abort(404)
    base = url_for("voting.code_ballot_page", poll_id=assessment.poll.public_id, _external=True)
    slips = slip_images(data, base)
    html = render_template("assessments/slips.html", assessment=assessment, slips=slips, base=base, held_id=held_id)
    return held.page(html)


@bp.route("/staff/<int:assessment_id>/open", methods=["POST"])
@staff_required
def open_(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    confirm_or_fail()
    services.open_assessment(assessment)
    db.session.commit()
    flash(_("测评已开始。投票指纹：%(fp)s", fp=assessment.poll.fingerprint), "success")
    return redirect(url_for("assessments.staff_detail", assessment_id=assessment.id))


@bp.route("/staff/<int:assessment_id>/close", methods=["POST"])
@staff_required
def close(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    confirm_or_fail()
    try:
        items = services.close_assessment(assessment)
    except LogMismatch as exc:
        db.session.rollback()
        fail(409, message("log_mismatch") + f" ({exc})")
    db.session.commit()
    flash(_("测评已结束，结果已公布；%(n)d 个对象列入整改。", n=len(items)), "success")
    return redirect(url_for("assessments.staff_detail", assessment_id=assessment.id))


# --- Staff: rectification -----------------------------------------------------------


@bp.route("/staff/rectifications/<int:item_id>", methods=["GET", "POST"])
@staff_required
def rectification(item_id: int):
    item = db.get_or_404(Rectification, item_id)
    form = RectificationForm(obj=item)
    if request.method == "POST":
        form_or_fail(form)
        services.update_rectification(item, responsible=form.responsible.data, due_on=form.due_on.data)
        db.session.commit()
        flash(_("已保存。"), "success")
        return redirect(url_for("assessments.rectification", item_id=item.id))
    source = item.subject.assessment
    reassess = ReassessForm(raters=source.raters, session_id=source.session_id or 0)
    picker = session_picker()
    _fill_session_field(reassess.session_id, picker)
    return render_template(
        "assessments/rectification.html",
        item=item,
        picker=picker,
        form=form,
        follow_form=FollowUpForm(),
        reassess_form=reassess,
        empty=EmptyForm(),
        confirm=ConfirmForm(),
    )


@bp.route("/staff/rectifications/<int:item_id>/report", methods=["POST"])
@staff_required
def rectification_report(item_id: int):
    item = db.get_or_404(Rectification, item_id)
    form = FollowUpForm()
    form_or_fail(form)
    services.report_follow_up(item, form.follow_up.data, local_today())
    db.session.commit()
    flash(_("整改情况报告已保存。"), "success")
    return redirect(url_for("assessments.rectification", item_id=item.id))


@bp.route("/staff/rectifications/<int:item_id>/close", methods=["POST"])
@staff_required
def rectification_close(item_id: int):
    item = db.get_or_404(Rectification, item_id)
    confirm_or_fail()
    services.close_rectification(item)
    db.session.commit()
    flash(_("整改事项已销号。"), "success")
    return redirect(url_for("assessments.rectification", item_id=item.id))


@bp.route("/staff/rectifications/<int:item_id>/reassess", methods=["POST"])
@staff_required
def rectification_reassess(item_id: int):
    item = db.get_or_404(Rectification, item_id)
    form = ReassessForm()
    form.session_id.choices = _session_choices()
    form_or_fail(form)
    session = db.session.get(Session, form.session_id.data) if form.session_id.data else None
    again = services.start_reassessment(item, raters=form.raters.data, session=session)
    db.session.commit()
    flash(_("已创建再次测评。"), "success")
    return redirect(url_for("assessments.staff_detail", assessment_id=again.id))


# --- Staff: standing committees ------------------------------------------------------


@bp.route("/staff/committees", methods=["GET", "POST"])
@staff_required
def committees():
    form = CommitteeForm()
    if request.method == "POST":
        form_or_fail(form)
        committee = services.create_committee(form.name.data)
        db.session.commit()
        flash(_("常委会已创建，请导入组成人员名册。"), "success")
        return redirect(url_for("assessments.committee", committee_id=committee.id))
    items = db.session.scalars(select(StandingCommittee).order_by(StandingCommittee.id)).all()
    return render_template("assessments/committees.html", form=form, items=items)


@bp.route("/staff/committees/<int:committee_id>")
@staff_required
def committee(committee_id: int):
    item = db.get_or_404(StandingCommittee, committee_id)
    return render_template(
        "assessments/committee.html", item=item, import_form=RosterImportForm(), meeting_form=SessionForm()
    )


@bp.route("/staff/committees/<int:committee_id>/import", methods=["POST"])
@staff_required
def committee_import(committee_id: int):
    item = db.get_or_404(StandingCommittee, committee_id)
    form = RosterImportForm()
    form_or_fail(form)
    result = import_roster(item.congress, form.file.data.read())
    if not result.ok:
        db.session.rollback()
        return render_template(
            "assessments/committee.html", item=item, import_form=form, meeting_form=SessionForm(), errors=result.errors
        ), 422
    back = url_for("assessments.committee", committee_id=item.id)
    held_id = held.hold_passwords(item.congress_id, result.created, back)
    db.session.commit()
    return redirect(url_for("core.passwords", congress_id=item.congress_id, held_id=held_id), 303)


@bp.route("/staff/committees/<int:committee_id>/meetings", methods=["POST"])
@staff_required
def committee_meeting(committee_id: int):
    item = db.get_or_404(StandingCommittee, committee_id)
    form = SessionForm()
    form_or_fail(form)
    meeting = Session(
        congress=item.congress, name=form.name.data.strip(), starts_on=form.starts_on.data, ends_on=form.ends_on.data
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record("session.create", "session", meeting.id, {"name": meeting.name, "committee": item.id})
    db.session.commit()
    flash(_("常委会会议已创建，可在会议页面签到。"), "success")
    return redirect(url_for("core.session", session_id=meeting.id))
