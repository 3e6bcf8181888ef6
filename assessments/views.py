"""Assessment pages: public results and rectification lists; staff pages for
assessments, standing committees and deputies' suggestions; the deputy's and the
handling unit's suggestion pages."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from assessments import charts, services, suggestions
from assessments.forms import (
    AssessmentForm,
    AssignForm,
    CodesForm,
    CommitteeForm,
    ExtendForm,
    FollowUpForm,
    RateForm,
    ReassessForm,
    RectificationForm,
    ReplyForm,
    SubjectForm,
    SuggestionForm,
)
from assessments.models import (
    Assessment,
    AssessmentSubject,
    DeputySuggestion,
    Rectification,
    StandingCommittee,
    body_type_labels,
    reply_grade_labels,
)
from core import audit, held
from core.errors import fail
from core.forms import EmptyForm, RosterImportForm, SessionForm
from core.models import LeadUnit, Session
from core.permissions import deputy_required, roles_required, staff_required
from core.roster import import_roster
from core.sessions import qr_data_uri
from extensions import db
from voting import charts as voting_charts
from voting.messages import message
from voting.services import LogMismatch
from voting.views import choice_labels, rules_text

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


def form_or_fail(form) -> None:
    """Validate a POSTed form; on failure answer 422 with the first message."""
    if form.validate_on_submit():
        return
    if "csrf_token" in form.errors:
        fail(400, _("表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。"))
    for name, errors in form.errors.items():
        label = getattr(form, name).label.text if hasattr(form, name) else name
        fail(422, f"{label}{_('：')}{errors[0]}")
    fail(422, _("提交的内容不符合要求。"))


def is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


# --- Public ---------------------------------------------------------------------------


@bp.route("/")
def index():
    return render_template(
        "assessments/index.html", assessments=services.public_assessments(), years=services.public_years()
    )


def _visible_assessment(assessment_id: int) -> Assessment:
    assessment = db.get_or_404(Assessment, assessment_id)
    if assessment.state in ("draft", "ready") and not is_staff():
        abort(404)
    return assessment


@bp.route("/<int:assessment_id>")
def detail(assessment_id: int):
    assessment = _visible_assessment(assessment_id)
    res = services.results(assessment)
    rule_lines = rules_text(assessment.poll.manifest) if assessment.poll and assessment.poll.manifest else []
    chart_rate = chart_votes = None
    if res is not None:
        chart_rate = charts.percent_bars(
            "rate",
            _("各测评对象满意率"),
            [
                {
                    "label": r.subject.title,
                    "value": charts.rate_fraction(r.rate),
                    "text": r.rate_percent,
                    "colour": charts.GRADE_COLOURS[r.grade],
                }
                for r in res["rows"]
            ],
            line=charts.rate_fraction(assessment.rectify_below) if assessment.rectify_below else None,
        )
        result = res["view"]["result"]
        chart_votes = voting_charts.stacked_bars(
            _("各测评对象得票"),
            [dict(label=r.subject.title, **r.counts) for r in res["rows"]],
            ["satisfied", "basic", "dissatisfied", "abstain"],
            choice_labels(),
            total=max(result["cast"], result["base"], 1),
            threshold=result["base"] / 2,
        )
    return render_template(
        "assessments/detail.html",
        assessment=assessment,
        res=res,
        rules=rule_lines,
        chart_rate=chart_rate,
        chart_votes=chart_votes,
        labels=choice_labels(),
        bodies=body_type_labels(),
    )


@bp.route("/year/<int:year>")
def year(year: int):
    data = services.year_overview(year)
    labels = choice_labels()
    chart_rate = charts.percent_bars(
        "year-rate",
        _("%(y)d年各测评对象满意率", y=year),
        [
            {
                "label": s["row"].subject.title,
                "value": charts.rate_fraction(s["row"].rate),
                "text": s["row"].rate_percent,
                "colour": charts.GRADE_COLOURS[s["row"].grade],
            }
            for s in data["subjects"]
        ],
    )
    chart_grades = charts.count_bars(
        "year-grades",
        _("%(y)d年测评等次分布", y=year),
        [
            {"label": labels[g], "count": data["grades"][g], "colour": charts.GRADE_COLOURS[g]}
            for g in ("satisfied", "basic", "dissatisfied")
        ],
    )
    chart_turnout = charts.percent_bars(
        "year-turnout",
        _("%(y)d年各次测评参与率（投票数 ÷ 应到）", y=year),
        [
            {
                "label": t["assessment"].title,
                "value": charts.rate_fraction(f"{t['cast']}/{t['electorate']}"),
                "text": f"{t['cast']}/{t['electorate']}",
            }
            for t in data["turnout"]
        ],
    )
    return render_template(
        "assessments/year.html",
        data=data,
        labels=labels,
        chart_rate=chart_rate,
        chart_grades=chart_grades,
        chart_turnout=chart_turnout,
        years=services.public_years(),
    )


@bp.route("/rectifications")
def rectifications():
    return render_template(
        "assessments/rectifications.html", items=services.open_rectifications(), labels=choice_labels()
    )


@bp.route("/subjects/<int:subject_id>/document")
def document(subject_id: int):
    subject = db.get_or_404(AssessmentSubject, subject_id)
    if subject.assessment.state in ("draft", "ready") and not is_staff():
        abort(404)
    path = services.document_path(subject)
    if path is None or not path.exists():
        abort(404)
    response = send_file(
        path, mimetype="application/pdf", download_name=f"subject-{subject.id}.pdf", as_attachment=False
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- Staff: assessments -----------------------------------------------------------------


def _fill_assessment_form(form: AssessmentForm) -> None:
    form.session_id.choices = [(0, _("（不属于会议：公众测评）"))] + services.session_choices()
    if request.method == "GET" and not form.year.data:
        form.year.data = services.local_today().year


@bp.route("/staff", methods=["GET", "POST"])
@staff_required
def staff_list():
    form = AssessmentForm()
    _fill_assessment_form(form)
    if request.method == "POST":
        form_or_fail(form)
        session = db.session.get(Session, form.session_id.data) if form.session_id.data else None
        assessment = services.create_assessment(
            title=form.title.data,
            year=form.year.data,
            raters=form.raters.data,
            session=session,
            grade_base=form.grade_base.data,
            rectify_below=services.parse_threshold(form.rectify_below.data),
        )
        db.session.commit()
        flash(_("测评已创建，请添加测评对象。"), "success")
        return redirect(url_for("assessments.staff_detail", assessment_id=assessment.id))
    return render_template(
        "assessments/staff_list.html",
        form=form,
        items=services.staff_assessments(),
        rect_counts=services.rectification_counts(),
    )


def _subject_form() -> SubjectForm:
    from projects.models import Project

    form = SubjectForm()
    form.suggestion_id.choices = [(0, _("（不适用）"))] + [
        (s.id, f"#{s.id} {s.title}{_('（')}{s.deputy.name}{_('）')}") for s in suggestions.answered()
    ]
    projects = db.session.scalars(select(Project).order_by(Project.year.desc(), Project.id)).all()
    form.project_id.choices = [(0, _("（不适用）"))] + [(p.id, f"{p.year} {p.title}") for p in projects]
    return form


@bp.route("/staff/<int:assessment_id>")
@staff_required
def staff_detail(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    from voting.services import counts

    return render_template(
        "assessments/staff_detail.html",
        assessment=assessment,
        subject_form=_subject_form(),
        codes_form=CodesForm(),
        empty=EmptyForm(),
        bodies=body_type_labels(),
        counts=counts(assessment.poll) if assessment.poll else None,
    )


@bp.route("/staff/<int:assessment_id>/subjects", methods=["POST"])
@staff_required
def subject_add(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    form = _subject_form()
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
    form_or_fail(EmptyForm())
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
    form_or_fail(form)
    batch = services.generate_codes(assessment, form.count.data)
    held_id = held.hold("assessment_codes", {"assessment_id": assessment.id, "codes": batch})
    db.session.commit()
    return redirect(url_for("assessments.slips", assessment_id=assessment.id, held_id=held_id), 303)


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
    slips = [(code, qr_data_uri(f"{base}#code={code}")) for code in data["codes"]]
    html = render_template("assessments/slips.html", assessment=assessment, slips=slips, base=base, held_id=held_id)
    return held.page(html)


@bp.route("/staff/<int:assessment_id>/open", methods=["POST"])
@staff_required
def open_(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    form_or_fail(EmptyForm())
    services.open_assessment(assessment)
    db.session.commit()
    flash(_("测评已开始。投票指纹：%(fp)s", fp=assessment.poll.fingerprint), "success")
    return redirect(url_for("assessments.staff_detail", assessment_id=assessment.id))


@bp.route("/staff/<int:assessment_id>/close", methods=["POST"])
@staff_required
def close(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    form_or_fail(EmptyForm())
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
    reassess.session_id.choices = [(0, _("（不属于会议：公众测评）"))] + services.session_choices()
    return render_template(
        "assessments/rectification.html",
        item=item,
        form=form,
        follow_form=FollowUpForm(),
        reassess_form=reassess,
        empty=EmptyForm(),
    )


@bp.route("/staff/rectifications/<int:item_id>/report", methods=["POST"])
@staff_required
def rectification_report(item_id: int):
    item = db.get_or_404(Rectification, item_id)
    form = FollowUpForm()
    form_or_fail(form)
    services.report_follow_up(item, form.follow_up.data, services.local_today())
    db.session.commit()
    flash(_("整改情况报告已保存。"), "success")
    return redirect(url_for("assessments.rectification", item_id=item.id))


@bp.route("/staff/rectifications/<int:item_id>/close", methods=["POST"])
@staff_required
def rectification_close(item_id: int):
    item = db.get_or_404(Rectification, item_id)
    form_or_fail(EmptyForm())
    services.close_rectification(item)
    db.session.commit()
    flash(_("整改事项已销号。"), "success")
    return redirect(url_for("assessments.rectification", item_id=item.id))


@bp.route("/staff/rectifications/<int:item_id>/reassess", methods=["POST"])
@staff_required
def rectification_reassess(item_id: int):
    item = db.get_or_404(Rectification, item_id)
    form = ReassessForm()
    form.session_id.choices = [(0, "")] + services.session_choices()
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


# --- Deputies' suggestions ---------------------------------------------------------------


@bp.route("/suggestions/mine", methods=["GET", "POST"])
@deputy_required
def my_suggestions():
    form = SuggestionForm()
    if request.method == "POST":
        form_or_fail(form)
        item = suggestions.file_suggestion(
            current_user.deputy, title=form.title.data, body=form.body.data, today=services.local_today()
        )
        db.session.commit()
        flash(_("建议已提交，编号 %(id)d。", id=item.id), "success")
        return redirect(url_for("assessments.suggestion", suggestion_id=item.id))
    return render_template(
        "assessments/suggestions_mine.html", form=form, items=suggestions.for_deputy(current_user.deputy)
    )


def _suggestion_for_viewer(suggestion_id: int) -> DeputySuggestion:
    """Staff, the deputy who filed it and the unit handling it may see a suggestion."""
    item = db.get_or_404(DeputySuggestion, suggestion_id)
    user = current_user
    allowed = (
        user.is_staff
        or (user.is_deputy and user.deputy_id == item.deputy_id)
        or (user.role == "lead_unit" and user.lead_unit_id is not None and user.lead_unit_id == item.lead_unit_id)
    )
    if not allowed:
        abort(404)
    return item


@bp.route("/suggestions/<int:suggestion_id>")
@roles_required("staff", "deputy", "lead_unit")
def suggestion(suggestion_id: int):
    item = _suggestion_for_viewer(suggestion_id)
    assign_form = AssignForm()
    assign_form.lead_unit_id.choices = [
        (u.id, u.name) for u in db.session.scalars(select(LeadUnit).order_by(LeadUnit.name))
    ]
    return render_template(
        "assessments/suggestion.html",
        item=item,
        assign_form=assign_form,
        extend_form=ExtendForm(),
        reply_form=ReplyForm(),
        rate_form=RateForm(),
        grades=reply_grade_labels(),
        labels=choice_labels(),
        today=services.local_today(),
    )


@bp.route("/suggestions/<int:suggestion_id>/assign", methods=["POST"])
@staff_required
def suggestion_assign(suggestion_id: int):
    item = db.get_or_404(DeputySuggestion, suggestion_id)
    form = AssignForm()
    form.lead_unit_id.choices = [(u.id, u.name) for u in db.session.scalars(select(LeadUnit))]
    form_or_fail(form)
    suggestions.assign(item, db.session.get(LeadUnit, form.lead_unit_id.data), services.local_today())
    db.session.commit()
    flash(_("已交办，答复期限 %(due)s。", due=item.due_on.isoformat()), "success")
    return redirect(url_for("assessments.suggestion", suggestion_id=item.id))


@bp.route("/suggestions/<int:suggestion_id>/extend", methods=["POST"])
@staff_required
def suggestion_extend(suggestion_id: int):
    item = db.get_or_404(DeputySuggestion, suggestion_id)
    form = ExtendForm()
    form_or_fail(form)
    suggestions.extend(item, form.due_on.data)
    db.session.commit()
    flash(_("已批准延期至 %(due)s。", due=item.due_on.isoformat()), "success")
    return redirect(url_for("assessments.suggestion", suggestion_id=item.id))


@bp.route("/suggestions/<int:suggestion_id>/reply", methods=["POST"])
@roles_required("lead_unit")
def suggestion_reply(suggestion_id: int):
    item = _suggestion_for_viewer(suggestion_id)
    form = ReplyForm()
    form_or_fail(form)
    suggestions.reply(item, current_user, grade=form.grade.data, body=form.body.data, today=services.local_today())
    db.session.commit()
    flash(_("答复已提交，等待代表评价。"), "success")
    return redirect(url_for("assessments.suggestion", suggestion_id=item.id))


@bp.route("/suggestions/<int:suggestion_id>/rate", methods=["POST"])
@deputy_required
def suggestion_rate(suggestion_id: int):
    item = _suggestion_for_viewer(suggestion_id)
    form = RateForm()
    form_or_fail(form)
    suggestions.rate(item, current_user.deputy, form.rating.data, services.local_today())
    db.session.commit()
    if item.state == "handling":
        flash(_("您的评价为不满意，建议已退回承办单位重新办理。"), "info")
    else:
        flash(_("感谢评价，建议已办结。"), "success")
    return redirect(url_for("assessments.suggestion", suggestion_id=item.id))


@bp.route("/staff/suggestions")
@staff_required
def staff_suggestions():
    state = request.args.get("state") or None
    if state not in (None, "filed", "handling", "replied", "closed"):
        abort(404)
    return render_template(
        "assessments/suggestions_list.html",
        items=suggestions.all_suggestions(state),
        state=state,
        heading=_("代表建议"),
        today=services.local_today(),
    )


@bp.route("/unit/suggestions")
@roles_required("lead_unit")
def unit_suggestions():
    if current_user.lead_unit_id is None:
        abort(403)
    return render_template(
        "assessments/suggestions_list.html",
        items=suggestions.for_unit(current_user.lead_unit_id),
        state=None,
        heading=_("本单位承办的代表建议"),
        today=services.local_today(),
    )


def dashboard_context(today: date | None = None) -> dict:
    """What the staff dashboard's partial shows: suggestions due and overdue, and
    open rectification items."""
    data = suggestions.due_and_overdue(today or services.local_today())
    data["rectifications"] = services.open_rectifications()
    return data
