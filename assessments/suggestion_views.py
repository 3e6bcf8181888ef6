"""Deputies' suggestions (代表建议): a deputy files and follows them, staff assign and
extend, lead units reply, the deputy rates the reply. Routes on the ``assessments``
blueprint."""

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
from flask_login import current_user
from sqlalchemy import select

from assessments import suggestions
from assessments.forms import (
    AssignForm,
    ExtendForm,
    RateForm,
    ReplyForm,
    SuggestionForm,
)
from assessments.models import (
    DeputySuggestion,
    DeputySuggestionState,
    reply_grade_labels,
    suggestion_state_labels,
)
from assessments.views import bp
from core.forms import form_or_fail
from core.models import LeadUnit
from core.permissions import deputy_required, roles_required, staff_required
from core.times import local_today
from extensions import db
from voting.views import choice_labels

# --- Deputies' suggestions ---------------------------------------------------------------


@bp.route("/suggestions/mine", methods=["GET", "POST"])
@deputy_required
def my_suggestions():
    form = SuggestionForm()
    if request.method == "POST":
        form_or_fail(form)
        item = suggestions.file_suggestion(
            current_user.deputy, title=form.title.data, body=form.body.data, today=local_today()
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
        today=local_today(),
    )


@bp.route("/suggestions/<int:suggestion_id>/assign", methods=["POST"])
@staff_required
def suggestion_assign(suggestion_id: int):
    item = db.get_or_404(DeputySuggestion, suggestion_id)
    form = AssignForm()
    form.lead_unit_id.choices = [(u.id, u.name) for u in db.session.scalars(select(LeadUnit))]
    form_or_fail(form)
    suggestions.assign(item, db.session.get(LeadUnit, form.lead_unit_id.data), local_today())
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
    suggestions.reply(item, current_user, grade=form.grade.data, body=form.body.data, today=local_today())
    db.session.commit()
    flash(_("答复已提交，等待代表评价。"), "success")
    return redirect(url_for("assessments.suggestion", suggestion_id=item.id))


@bp.route("/suggestions/<int:suggestion_id>/rate", methods=["POST"])
@deputy_required
def suggestion_rate(suggestion_id: int):
    item = _suggestion_for_viewer(suggestion_id)
    form = RateForm()
    form_or_fail(form)
    suggestions.rate(item, current_user.deputy, form.rating.data, local_today())
    db.session.commit()
    if item.is_handling:
        flash(_("您的评价为不满意，建议已退回承办单位重新办理。"), "info")
    else:
        flash(_("感谢评价，建议已办结。"), "success")
    return redirect(url_for("assessments.suggestion", suggestion_id=item.id))


@bp.route("/staff/suggestions")
@staff_required
def staff_suggestions():
    state = request.args.get("state") or None
    if state is not None:
        try:
            state = DeputySuggestionState(state)
        except ValueError:
            abort(404)
    return render_template(
        "assessments/suggestions_list.html",
        items=suggestions.all_suggestions(state),
        state=state,
        state_labels=suggestion_state_labels(),
        heading=_("代表建议"),
        today=local_today(),
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
        state_labels=suggestion_state_labels(),
        heading=_("本单位承办的代表建议"),
        today=local_today(),
    )
