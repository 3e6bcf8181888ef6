"""Public pages of the livelihood-project cycle: the call and suggestions, the yearly
page, the progress board, one page per project, open data; and the forms of lead
units (progress reports) and monitoring deputies (inspection notes)."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.errors import fail
from core.forms import EmptyForm, form_or_fail, form_status
from core.sessions import qr_svg
from core.times import local_today
from extensions import db, limiter
from projects import exports, lists, progress, services
from projects.forms import NoteForm, ReportForm, SuggestionForm, lines
from projects.models import (
    ProgressPhoto,
    Project,
    RectificationItem,
    RectificationItemStatus,
    category_key,
)
from projects.services import CycleError

bp = Blueprint("projects", __name__)


def dashboard_context() -> dict:
    """The staff dashboard card's figures (``projects/_dashboard.html``)."""
    day = local_today()
    return {
        "pending": services.pending_count(),
        "late": progress.late_projects(day),
        "open_items": db.session.scalar(
            select(db.func.count())
            .select_from(RectificationItem)
            .where(RectificationItem.status == RectificationItemStatus.OPEN)
        )
        or 0,
        "call": services.open_call(day),
        "years": services.years()[:3],
    }


# --- The archive and the year ----------------------------------------------------------


@bp.route("/projects")
def index():
    listing, page = lists.projects()
    return render_template(
        "projects/index.html",
        years=services.years(),
        call=services.open_call(local_today()),
        listing=listing,
        page=page,
    )


@bp.route("/projects/<int:year>")
def year_page(year: int):
    call = services.call_for_year(year)
    projects = services.candidates(year)
    if call is None and not projects:
        abort(404)
    outcome = services.vote_outcome(year)
    return render_template(
        "projects/year.html",
        year=year,
        call=call,
        projects=projects,
        outcome=outcome,
        links=exports.links(year),
        assessment=services.year_polls(year, "assessment"),
    )


@bp.route("/projects/<int:year>/suggestions")
def suggestions(year: int):
    call = services.call_for_year(year)
    if call is None:
        abort(404)
    asked = request.args.get("category", "")
    category = category_key(asked) if asked else None
    if asked and category is None:
        fail(400, _("没有这个建议类别，请从列表中选择。"))
    if category is not None and category != asked:
        # A link from before the keys, with the Chinese name: the same list under its key.
        args = {k: v for k, v in request.args.items() if k != "category"}
        return redirect(url_for("projects.suggestions", year=year, category=category, **args), 301)
    listing, page = lists.suggestions(call)
    return render_template("projects/suggestions.html", call=call, year=year, listing=listing, page=page)


@bp.route("/projects/<int:year>/progress")
def progress_board(year: int):
    day = local_today()
    listing, page, rows = lists.board(year, day)
    if not rows and not services.candidates(year):
        abort(404)
    return render_template(
        "projects/progress.html",
        year=year,
        listing=listing,
        page=page,
        today=day,
        label=progress.schedule_label,
        links=exports.links(year),
    )


@bp.route("/projects/<int:year>/<any(suggestions, candidates, results, progress):kind>.<any(csv, json):fmt>")
def export(year: int, kind: str, fmt: str):
    rows = exports.rows_for(kind, year, local_today())
    name = f"yishi-{year}-{kind}.{fmt}"
    if fmt == "json":
        body = json.dumps({"year": year, "kind": kind, "rows": rows}, ensure_ascii=False, indent=1)
        response = Response(body, mimetype="application/json")
    else:
        # werkzeug adds "; charset=utf-8" to a text/ type.
        response = Response(exports.to_csv(kind, rows).encode("utf-8"), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.route("/projects/p/<int:project_id>")
def project_page(project_id: int):
    project = db.get_or_404(Project, project_id)
    return render_template(
        "projects/project.html",
        project=project,
        votes=services.vote_counts(project),
        timeline=progress.timeline(project),
        rated=services.assessment(project),
        assessment_poll=services.assessment_poll(project),
        schedule=progress.schedule(project, local_today()),
        label=progress.schedule_label,
        can_report=progress.can_report(current_user, project),
        is_member=progress.is_member(current_user, project),
        locked=services.is_locked(project),
        button=EmptyForm(),
    )


@bp.route("/projects/photos/<name>")
def photo(name: str):
    stored = db.first_or_404(select(ProgressPhoto).where(ProgressPhoto.stored_name == name))
    response = send_from_directory(progress.upload_dir(), stored.stored_name, mimetype=stored.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- Suggestions from the public -------------------------------------------------------


def _suggest_limit() -> str:
    return current_app.config["YISHI_SUGGEST_LIMIT"]


@bp.route("/suggest", methods=["GET", "POST"])
@limiter.limit(_suggest_limit, methods=["POST"])
def suggest():
    call = services.open_call(local_today())
    form = SuggestionForm()
    source = "qr" if request.values.get("src") == "qr" else "web"
    if call is None:
        # The page is linked from every page: without a call it says so (a POST is refused).
        return render_template("projects/suggest.html", call=None, form=form, source=source), form_status(form, 409)
    if form.validate_on_submit():
        suggestion, code = services.submit_suggestion(
            call,
            today=local_today(),
            title=form.title.data,
            description=form.description.data,
            category=form.category.data,
            location=form.location.data,
            name=form.name.data,
            phone=form.phone_value(),
            source=source,
        )
        flash(
            _("建议已收到，编号 #%(id)d。工作人员审核后公开；请记下查询码，凭它查看审核和办理情况。", id=suggestion.id),
            "success",
        )
        from projects.review import sent_redirect  # registers on this blueprint

        return sent_redirect(suggestion, code)
    return render_template("projects/suggest.html", call=call, form=form, source=source), form_status(form)


@bp.route("/projects/<int:year>/poster")
def poster(year: int):
    call = services.call_for_year(year)
    if call is None:
        abort(404)
    url = url_for("projects.suggest", src="qr", _external=True)
    return render_template("projects/poster.html", call=call, url=url, qr=qr_svg(url, scale=8))


# --- Progress reports and inspection notes ---------------------------------------------


@bp.route("/projects/p/<int:project_id>/report", methods=["GET", "POST"])
@login_required
def report(project_id: int):
    project = db.get_or_404(Project, project_id)
    if not progress.can_report(current_user, project):
        abort(403)
    progress.check_reportable(project)
    form = ReportForm()
    if request.method == "GET":
        form.reported_on.data = local_today()
        form.percent.data = project.percent
    refused = None
    if form.validate_on_submit():
        written: list[str] = []
        try:
            photos = progress.check_photos(request.files.getlist(form.photos.name))
            _report, written = progress.add_report(
                project,
                current_user._get_current_object(),
                reported_on=form.reported_on.data,
                percent=form.percent.data,
                narrative=form.narrative.data,
                problems=form.problems.data,
                backwards_reason=form.backwards_reason.data,
                rectifications=lines(form.rectifications.data),
                photos=photos,
            )
            db.session.commit()
        except CycleError as exc:
            db.session.rollback()
            progress.discard_files(written)
            form.form_errors.append(exc.message)
            refused = exc.status
        except Exception:
            db.session.rollback()
            progress.discard_files(written)
            raise
        else:
            flash(_("进度报告已提交。"), "success")
            return redirect(url_for("projects.project_page", project_id=project.id))
    return render_template("projects/report.html", project=project, form=form), form_status(form, refused)


@bp.route("/projects/p/<int:project_id>/inspect", methods=["GET", "POST"])
@login_required
def inspect(project_id: int):
    project = db.get_or_404(Project, project_id)
    progress.check_member(project, current_user.deputy_id)
    form = NoteForm()
    if request.method == "GET":
        form.visited_on.data = local_today()
    if form.validate_on_submit():
        progress.add_note(
            project,
            current_user.deputy,
            visited_on=form.visited_on.data,
            note=form.note.data,
            rectifications=lines(form.rectifications.data),
        )
        db.session.commit()
        flash(_("视察记录已提交。"), "success")
        return redirect(url_for("projects.project_page", project_id=project.id))
    return render_template("projects/inspect.html", project=project, form=form), form_status(form)


@bp.route("/projects/rectifications/<int:item_id>/done", methods=["POST"])
@login_required
def rectification_done(item_id: int):
    item = db.get_or_404(RectificationItem, item_id)
    if not progress.can_report(current_user, item.project):
        abort(403)
    form_or_fail(EmptyForm())
    progress.resolve_item(item)
    db.session.commit()
    flash(_("整改事项已标记为完成。"), "success")
    return redirect(url_for("projects.project_page", project_id=item.project_id))
