"""A citizen's suggestion before and after review: the tracking code shown once after
sending, the author's tracking page (待审核 / 已公开 / 未通过审核 and why), the public
page of a suggestion, which only staff see before it is approved, and the staff's
review queue (approve, or refuse with a reason).

The code never travels in a URL: it is held for this browser (``core.held``)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import held
from core.forms import EmptyForm, form_or_fail, form_status
from core.permissions import staff_required
from extensions import db, limiter
from projects import services
from projects.forms import RefuseForm, TrackForm
from projects.models import Suggestion
from projects.views import bp


def _post_limit() -> str:
    return current_app.config["YISHI_SUGGEST_LIMIT"]


def is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


def sent_redirect(suggestion: Suggestion, code: str):
    """After the form: hold the new code for this browser and show it once."""
    held_id = held.hold("suggestion", {"suggestion_id": suggestion.id, "code": code})
    db.session.commit()
    return redirect(url_for("projects.suggestion_sent", held_id=held_id), 303)


@bp.route("/suggestions/sent/<held_id>")
def suggestion_sent(held_id: str):
    """The new suggestion's tracking code, for the browser that sent it, until noted."""
    data = held.read("suggestion", held_id)
    suggestion = db.get_or_404(Suggestion, data["suggestion_id"])
    html = render_template("projects/suggestion_sent.html", s=suggestion, code=data["code"], held_id=held_id)
    return held.page(html)


@bp.route("/suggestions/track", methods=["GET", "POST"])
@limiter.limit(_post_limit, methods=["POST"])
def suggestion_track():
    form = TrackForm()
    if form.validate_on_submit():
        services.find_by_code(form.code.data)  # a wrong code is answered here (422 / 404)
        held.release_kind("suggestion-track")
        held_id = held.hold("suggestion-track", {"code": form.code.data})
        db.session.commit()
        return redirect(url_for("projects.suggestion_tracked", held_id=held_id), 303)
    return render_template("projects/suggestion_track.html", form=form, s=None), form_status(form)


@bp.route("/suggestions/track/<held_id>")
def suggestion_tracked(held_id: str):
    """The suggestion of the code this browser entered, whatever its review."""
    suggestion = services.find_by_code(held.read("suggestion-track", held_id)["code"])
    html = render_template("projects/suggestion_track.html", form=None, s=suggestion, held_id=held_id)
    return held.page(html)


@bp.route("/suggestions/<int:suggestion_id>")
def suggestion_page(suggestion_id: int):
    """A public suggestion; before approval (or when refused) only staff see it, and
    everyone else gets 404, as for a suggestion that does not exist."""
    suggestion = db.get_or_404(Suggestion, suggestion_id)
    if not suggestion.is_public and not is_staff():
        abort(404)
    return render_template("projects/suggestion.html", s=suggestion)


# --- Staff: the review queue -------------------------------------------------------------


@bp.route("/staff/projects/review")
@staff_required
def review_queue():
    """Suggestions from the public that wait to be published, oldest first."""
    return render_template(
        "projects/review.html", queue=services.awaiting_review(), button=EmptyForm(), refuse_form=RefuseForm()
    )


def _after_review():
    return redirect(url_for("projects.review_queue"), 303)


@bp.route("/staff/projects/suggestions/<int:suggestion_id>/approve", methods=["POST"])
@staff_required
def suggestion_approve(suggestion_id: int):
    suggestion = db.get_or_404(Suggestion, suggestion_id)
    form_or_fail(EmptyForm())
    services.approve_suggestion(suggestion)
    db.session.commit()
    flash(_("建议 #%(id)d 已审核通过并公开。", id=suggestion.id), "success")
    return _after_review()


@bp.route("/staff/projects/suggestions/<int:suggestion_id>/refuse", methods=["POST"])
@staff_required
def suggestion_refuse(suggestion_id: int):
    suggestion = db.get_or_404(Suggestion, suggestion_id)
    form = RefuseForm()
    form_or_fail(form, _("请填写不予公开的理由（不超过 1000 字），提出人凭查询码可以看到。"))
    services.refuse_suggestion(suggestion, form.reason.data)
    db.session.commit()
    flash(_("建议 #%(id)d 不予公开，理由已告知提出人。", id=suggestion.id), "success")
    return _after_review()
