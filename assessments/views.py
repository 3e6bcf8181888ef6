"""Assessment pages: public results and rectification lists; staff pages for
assessments, standing committees and deputies' suggestions; the deputy's and the
handling unit's suggestion pages."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    render_template,
    send_file,
)
from flask_babel import gettext as _
from flask_login import current_user

from assessments import charts, lists, services, suggestions
from assessments.models import (
    Assessment,
    AssessmentSubject,
    body_type_labels,
)
from core.times import local_today
from extensions import db
from voting import charts as voting_charts
from voting.protocol.tally import rate_percent
from voting.views import choice_labels, rules_text

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


def is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


# --- Public ---------------------------------------------------------------------------


@bp.route("/")
def index():
    listing, page = lists.assessments()
    return render_template("assessments/index.html", listing=listing, page=page, years=services.public_years())


def _visible_assessment(assessment_id: int) -> Assessment:
    assessment = db.get_or_404(Assessment, assessment_id)
    if not assessment.has_started and not is_staff():
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
                }
                for r in res["rows"]
            ],
            line=charts.rate_fraction(assessment.rectify_below) if assessment.rectify_below else None,
            line_label=_("整改线：满意率低于 %(rate)s", rate=rate_percent(assessment.rectify_below))
            if assessment.rectify_below
            else None,
            meaning=_("条长 = 满意率"),
        )
        result = res["view"]["result"]
        chart_votes = voting_charts.stacked_bars(
            _("各测评对象得票"),
            [dict(label=r.subject.title, **r.counts) for r in res["rows"]],
            ["satisfied", "basic", "dissatisfied", "abstain"],
            choice_labels(),
            total=max(result["cast"], result["base"], 1),
            threshold=result["base"] / 2,
            threshold_label=voting_charts.threshold_words("1/2"),
            chart_id="votes",
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
            }
            for s in data["subjects"]
        ],
        meaning=_("条长 = 满意率"),
    )
    chart_grades = charts.count_bars(
        "year-grades",
        _("%(y)d年测评等次分布", y=year),
        [{"label": labels[g], "count": data["grades"][g]} for g in ("satisfied", "basic", "dissatisfied")],
        meaning=_("条长 = 对象数"),
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
        meaning=_("条长 = 参与率"),
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
    listing, page = lists.rectifications()
    return render_template("assessments/rectifications.html", listing=listing, page=page, labels=choice_labels())


@bp.route("/subjects/<int:subject_id>/document")
def document(subject_id: int):
    subject = db.get_or_404(AssessmentSubject, subject_id)
    if not subject.assessment.has_started and not is_staff():
        abort(404)
    path = services.document_path(subject)
    if path is None or not path.exists():
        abort(404)
    # A download, never shown in the site's origin: whatever else an uploaded "PDF" holds
    # (HTML, script) cannot run as a page of the site (issue 15).
    response = send_file(
        path, mimetype="application/pdf", download_name=f"subject-{subject.id}.pdf", as_attachment=True
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def dashboard_context(today: date | None = None) -> dict:
    """What the staff dashboard's partial shows: suggestions due and overdue, and
    open rectification items."""
    data = suggestions.due_and_overdue(today or local_today())
    data["rectifications"] = services.open_rectifications()
    return data
