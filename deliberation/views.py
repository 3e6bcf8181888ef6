"""Public meeting pages: notices, calendar files, sign-up and cancellation, opinions,
tracking and rating, the lot draw, the reply page (回音) and the closing report."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from core import held
from core.forms import form_or_fail, form_status
from core.sessions import qr_svg
from deliberation import ical, lists, services
from deliberation.forms import (
    CodeForm,
    OpinionForm,
    RateForm,
    SignupForm,
    TrackForm,
    agenda_choices,
)
from deliberation.models import Opinion, Signup
from deliberation.services import DeliberationError
from extensions import db, limiter

bp = Blueprint("deliberation", __name__, url_prefix="/meetings")


def public_post_limit() -> str:
    return current_app.config["YISHI_PUBLIC_POST_LIMIT"]


@bp.route("/")
def index():
    listing, upcoming, past = lists.meetings()
    return render_template("deliberation/index.html", listing=listing, upcoming=upcoming, page=past)


@bp.route("/<int:meeting_id>")
def notice(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    return render_template(
        "deliberation/notice.html",
        meeting=meeting,
        counts=services.attendance(meeting),
        signups_open=services.signups_open(meeting),
        opinions_open=services.opinions_open(meeting),
    )


@bp.route("/<int:meeting_id>/meeting.ics")
def calendar(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    url = url_for("deliberation.notice", meeting_id=meeting.id, _external=True)
    agenda = "\n".join(f"{item.position}. {item.title}" for item in meeting.agenda)
    body = ical.event(
        uid=f"meeting-{meeting.id}@{request.host.split(':')[0]}",
        stamp=meeting.announced_at or meeting.created_at,
        start=meeting.starts_at,
        end=meeting.ends_at,
        summary=f"{meeting.kind_label}{_('：')}{meeting.topic}",
        description="\n".join(p for p in (meeting.organiser, meeting.description, agenda, url) if p),
        location=meeting.place or meeting.online_url or "",
        url=url,
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="meeting-{meeting.id}.ics"'
    response.charset = "utf-8"
    return response


@bp.route("/<int:meeting_id>/signup", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
def signup(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    form = SignupForm()
    if form.validate_on_submit():
        entry, code = services.sign_up(meeting, name=form.name.data, phone=form.phone.data, area=form.area.data)
        held_id = held.hold("signup", {"signup_id": entry.id, "code": code})
        db.session.commit()
        return redirect(url_for("deliberation.signup_done", meeting_id=meeting.id, held_id=held_id), 303)
    return render_template(
        "deliberation/signup.html",
        meeting=meeting,
        form=form,
        open=services.signups_open(meeting),
        counts=services.attendance(meeting),
    ), form_status(form)


@bp.route("/<int:meeting_id>/signup/<held_id>")
def signup_done(meeting_id: int, held_id: str):
    """The sign-up code, for the browser that signed up, until noted."""
    meeting = services.get_public_meeting(meeting_id)
    data = held.read("signup", held_id)
    entry = db.get_or_404(Signup, data["signup_id"])
    if entry.meeting_id != meeting.id:
        abort(404)
    code = data["code"]
    # The code travels in the fragment, which browsers never send: it reaches no
    # access log; the check-in page's script moves it into the form, which POSTs it.
    checkin_url = url_for("deliberation_staff.checkin", meeting_id=meeting.id, _external=True) + "#code=" + code
    html = render_template(
        "deliberation/signup_done.html",
        meeting=meeting,
        signup=entry,
        code=code,
        qr=qr_svg(checkin_url, scale=5),
        position=services.waiting_position(entry),
        held_id=held_id,
    )
    return held.page(html)


@bp.route("/<int:meeting_id>/cancel", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
def cancel(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    form = CodeForm()
    if form.validate_on_submit():
        entry, promoted = services.cancel_signup(meeting, form.code.data)
        db.session.commit()
        if promoted is not None:
            flash(_("报名序号 %(n)s 已取消，名额已递补给候补人员。谢谢告知。", n=entry.number), "success")
        else:
            flash(_("报名序号 %(n)s 已取消。谢谢告知。", n=entry.number), "success")
        return redirect(url_for("deliberation.notice", meeting_id=meeting.id))
    return render_template("deliberation/cancel.html", meeting=meeting, form=form), form_status(form)


@bp.route("/<int:meeting_id>/draw")
def draw(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    if not meeting.is_lot:
        raise DeliberationError(404, _("这次会议不是抽签报名。"))
    return render_template("deliberation/draw.html", meeting=meeting, record=services.draw_record(meeting))


@bp.route("/<int:meeting_id>/draw.json")
def draw_json(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    if not meeting.is_lot:
        raise DeliberationError(404, _("这次会议不是抽签报名。"))
    return jsonify(services.draw_record(meeting))


@bp.route("/<int:meeting_id>/opinions/new", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
def opinion_new(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    form = OpinionForm()
    form.agenda_item.choices = agenda_choices(meeting, _("整个议题"))
    if form.validate_on_submit():
        opinion, code = services.submit_opinion(
            meeting,
            agenda_item_id=form.agenda_item.data or None,
            category=form.category.data,
            author_name=None if form.anonymous.data else form.author_name.data,
            body=form.body.data,
        )
        held_id = held.hold("opinion", {"opinion_id": opinion.id, "code": code})
        db.session.commit()
        return redirect(url_for("deliberation.opinion_done", meeting_id=meeting.id, held_id=held_id), 303)
    return render_template(
        "deliberation/opinion_new.html", meeting=meeting, form=form, open=services.opinions_open(meeting)
    ), form_status(form)


@bp.route("/<int:meeting_id>/opinions/sent/<held_id>")
def opinion_done(meeting_id: int, held_id: str):
    """The opinion's tracking code, for the browser that sent it, until noted."""
    meeting = services.get_public_meeting(meeting_id)
    data = held.read("opinion", held_id)
    opinion = db.get_or_404(Opinion, data["opinion_id"])
    if opinion.meeting_id != meeting.id:
        abort(404)
    html = render_template(
        "deliberation/opinion_done.html", meeting=meeting, opinion=opinion, code=data["code"], held_id=held_id
    )
    return held.page(html)


@bp.route("/<int:meeting_id>/reply")
def reply_page(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    listing, page = lists.opinions(meeting)
    return render_template(
        "deliberation/reply.html",
        meeting=meeting,
        listing=listing,
        page=page,
        decisions=[d for d in meeting.decisions if d.is_recorded],
        counts=services.attendance(meeting),
    )


@bp.route("/<int:meeting_id>/report")
def report(meeting_id: int):
    meeting = services.get_public_meeting(meeting_id)
    if not meeting.is_closed:
        raise DeliberationError(404, _("会议结束后才公布总结报告。"))
    return render_template("deliberation/report.html", meeting=meeting, report=services.closing_report(meeting))


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
def track():
    form = TrackForm()
    if form.validate_on_submit():
        services.find_opinion_by_code(form.code.data)  # a wrong code is answered here
        return _tracking(form.code.data)
    return render_template("deliberation/track.html", form=form, opinion=None), form_status(form)


def _tracking(code: str):
    """Keep the tracking code in this browser (never in the URL) and show the opinion."""
    held.release_kind("track")
    held_id = held.hold("track", {"code": code})
    db.session.commit()
    return redirect(url_for("deliberation.tracked", held_id=held_id), 303)


@bp.route("/track/<held_id>")
def tracked(held_id: str):
    """The opinion of the tracking code this browser entered, and the rating form."""
    code = held.read("track", held_id)["code"]
    opinion = services.find_opinion_by_code(code)
    html = render_template(
        "deliberation/track.html", form=None, opinion=opinion, rate_form=RateForm(code=code), held_id=held_id
    )
    return held.page(html)


@bp.route("/track/rate", methods=["POST"])
@limiter.limit(public_post_limit)
def rate():
    form = RateForm()
    form_or_fail(form, _("请选择满意、基本满意或不满意。"))
    reply = services.rate_reply(form.code.data, form.rating.data)
    db.session.commit()
    flash(_("感谢您的评价：%(rating)s。", rating=reply.rating_label), "success")
    return _tracking(form.code.data)
