"""Staff pages (meetings, sign-ups, check-in, opinions, minutes, decisions, follow-up)
and the lead units' page for replying to the opinions assigned to them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.forms import ConfirmForm, EmptyForm, confirm_or_fail, form_or_fail, form_status
from core.models import LeadUnit
from core.permissions import roles_required, staff_required
from core.times import local_today, to_local, to_utc
from deliberation import services
from deliberation.forms import (
    AgendaItemForm,
    AnnounceForm,
    AssignForm,
    CheckInForm,
    DecisionForm,
    DrawForm,
    HandsForm,
    HideForm,
    MeetingForm,
    MinutesForm,
    ReplyForm,
    SpeakerForm,
    agenda_choices,
)
from deliberation.models import Decision, Opinion, Reply, Signup
from deliberation.services import DeliberationError
from extensions import db
from voting.views import slips_response

bp = Blueprint("deliberation_staff", __name__, url_prefix="/staff/meetings")

MEETING_FIELDS = (
    "kind",
    "topic",
    "description",
    "proposed_by",
    "organiser",
    "place",
    "online_url",
    "capacity",
    "waitlist",
    "signup_mode",
    "members",
    "lot_beacon_date",
)


def _fields(form: MeetingForm) -> dict:
    fields = {name: getattr(form, name).data for name in MEETING_FIELDS}
    for name in ("description", "proposed_by", "place"):
        fields[name] = (fields[name] or "").strip()
    fields["online_url"] = (fields["online_url"] or "").strip() or None
    fields["members"] = fields["members"] or None
    fields["lot_beacon_source"] = (form.lot_beacon_source.data or "").strip() or None
    if fields["signup_mode"] != "lot":
        fields["lot_beacon_source"] = fields["lot_beacon_date"] = None
    for name in ("starts_at", "ends_at", "signup_deadline"):
        fields[name] = to_utc(getattr(form, name).data)
    return fields


def _back(meeting_id: int, anchor: str = ""):
    return redirect(url_for("deliberation_staff.meeting", meeting_id=meeting_id) + anchor)


# --- Meetings ------------------------------------------------------------------------


@bp.route("/")
@staff_required
def meetings():
    return render_template(
        "deliberation/staff/meetings.html", meetings=services.all_meetings(), overdue=services.overdue_replies()
    )


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def meeting_new():
    form = MeetingForm()
    if form.validate_on_submit():
        meeting = services.create_meeting(**_fields(form))
        db.session.commit()
        flash(_("会议已创建（草稿）。请添加议程后发布公告。"), "success")
        return _back(meeting.id)
    return render_template("deliberation/staff/meeting_form.html", form=form, meeting=None), form_status(form)


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@staff_required
def meeting_edit(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    if meeting.is_closed:
        raise services.DeliberationError(409, _("会议已结束，不能再修改。"))
    form = MeetingForm(obj=meeting if request.method == "GET" else None)
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "signup_deadline"):
            getattr(form, name).data = to_local(getattr(meeting, name))
    if form.validate_on_submit():
        services.update_meeting(meeting, **_fields(form))
        db.session.commit()
        flash(_("会议信息已保存。"), "success")
        return _back(meeting.id)
    return render_template("deliberation/staff/meeting_form.html", form=form, meeting=meeting), form_status(form)


@bp.route("/<int:meeting_id>/delete", methods=["POST"])
@staff_required
def meeting_delete(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    confirm_or_fail()
    topic = meeting.topic
    services.delete_meeting(meeting)
    db.session.commit()
    flash(_("会议草稿“%(topic)s”已删除。", topic=topic), "success")
    return redirect(url_for("deliberation_staff.meetings"), 303)


@bp.route("/<int:meeting_id>")
@staff_required
def meeting(meeting_id: int):
    return _meeting_page(services.get_meeting(meeting_id))


def _meeting_page(meeting, draw_form: DrawForm | None = None, draw_error: str | None = None) -> str:
    return render_template(
        "deliberation/staff/meeting.html",
        meeting=meeting,
        counts=services.attendance(meeting),
        agenda_form=AgendaItemForm(),
        announce_form=AnnounceForm(),
        draw_form=draw_form or DrawForm(),
        draw_error=draw_error,
        button=EmptyForm(),
        confirm=ConfirmForm(),
        days=services.notice_days(meeting),
        required=services.required_notice_days(),
        short=services.short_notice(meeting),
        today=local_today(),
    )


@bp.route("/<int:meeting_id>/agenda", methods=["POST"])
@staff_required
def agenda_add(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = AgendaItemForm()
    form_or_fail(form, _("请填写议程标题（不超过 200 字）。"))
    services.add_agenda_item(meeting, form.title.data.strip(), (form.description.data or "").strip())
    db.session.commit()
    return _back(meeting.id, "#agenda")


@bp.route("/<int:meeting_id>/announce", methods=["POST"])
@staff_required
def announce(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = AnnounceForm()
    confirm_or_fail(form)
    services.announce(meeting, confirm_short_notice=form.confirm_short_notice.data)
    db.session.commit()
    flash(_("公告已发布。"), "success")
    return _back(meeting.id)


@bp.route("/<int:meeting_id>/close", methods=["POST"])
@staff_required
def close(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    confirm_or_fail()
    services.close_meeting(meeting)
    db.session.commit()
    flash(_("会议已结束，总结报告已公布。"), "success")
    return _back(meeting.id)


@bp.route("/<int:meeting_id>/draw", methods=["POST"])
@staff_required
def draw(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = DrawForm()
    if not form.validate_on_submit():
        return _meeting_page(meeting, draw_form=form), form_status(form)
    try:
        drawn, waiting = services.draw_lot(meeting, form.beacon_value.data)
    except DeliberationError as refusal:
        db.session.rollback()
        return _meeting_page(meeting, draw_form=form, draw_error=refusal.message), refusal.status
    db.session.commit()
    flash(
        _("抽签完成：入选 %(d)s 人，候补 %(w)s 人。密钥、公开随机源的值和种子已公布。", d=len(drawn), w=len(waiting)),
        "success",
    )
    return redirect(url_for("deliberation.draw", meeting_id=meeting.id))


# --- Sign-ups and check-in -----------------------------------------------------------


@bp.route("/<int:meeting_id>/signups")
@staff_required
def signups(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    rows = db.session.scalars(select(Signup).where(Signup.meeting_id == meeting.id).order_by(Signup.number)).all()
    return render_template(
        "deliberation/staff/signups.html", meeting=meeting, signups=rows, counts=services.attendance(meeting)
    )


def _code_from(text: str | None) -> str | None:
    """A scanned QR code is the check-in URL with the code in its fragment
    (``…/checkin#code=K7QF-…``); a scanner that types it into the field gives the
    whole URL: take the code."""
    if text and "code=" in text:
        return text.rsplit("code=", 1)[1].split("&", 1)[0]
    return text


@bp.route("/<int:meeting_id>/checkin", methods=["GET", "POST"])
@staff_required
def checkin(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = CheckInForm()
    if form.validate_on_submit():
        outcome = services.check_in(meeting, _code_from(form.code.data), current_user)
        db.session.commit()
        entry = outcome.signup
        if outcome.already:
            flash(_("报名序号 %(n)s（%(name)s）已签到过。", n=entry.number, name=entry.name), "info")
        else:
            flash(_("签到成功：报名序号 %(n)s，%(name)s。", n=entry.number, name=entry.name), "success")
        return redirect(url_for("deliberation_staff.checkin", meeting_id=meeting.id))
    return render_template(
        "deliberation/staff/checkin.html", meeting=meeting, form=form, counts=services.attendance(meeting)
    ), form_status(form)


# --- Opinions ------------------------------------------------------------------------


@bp.route("/<int:meeting_id>/opinions")
@staff_required
def opinions(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    units = db.session.scalars(select(LeadUnit).order_by(LeadUnit.name)).all()

    def assign_form(opinion):
        form = AssignForm(prefix=f"a{opinion.id}")
        form.lead_unit.choices = [(u.id, u.name) for u in units]
        if opinion.reply is not None:
            form.lead_unit.data = opinion.reply.lead_unit_id
            form.due_on.data = opinion.reply.due_on
        return form

    return render_template(
        "deliberation/staff/opinions.html",
        meeting=meeting,
        opinions=services.public_opinions(meeting),
        assign_form=assign_form,
        hide_form=HideForm,
        button=EmptyForm(),
        units=units,
    )


@bp.route("/opinions/<int:opinion_id>/hide", methods=["POST"])
@staff_required
def opinion_hide(opinion_id: int):
    opinion = db.get_or_404(Opinion, opinion_id)
    form = HideForm(prefix=f"h{opinion.id}")
    form_or_fail(form, _("隐藏意见必须填写公开的理由（不超过 200 字）。"))
    services.hide_opinion(opinion, form.reason.data)
    db.session.commit()
    flash(_("第 %(n)s 号意见已隐藏，公开页面显示隐藏理由。", n=opinion.number), "success")
    return redirect(url_for("deliberation_staff.opinions", meeting_id=opinion.meeting_id))


@bp.route("/opinions/<int:opinion_id>/unhide", methods=["POST"])
@staff_required
def opinion_unhide(opinion_id: int):
    opinion = db.get_or_404(Opinion, opinion_id)
    form_or_fail(EmptyForm())
    services.unhide_opinion(opinion)
    db.session.commit()
    return redirect(url_for("deliberation_staff.opinions", meeting_id=opinion.meeting_id))


@bp.route("/opinions/<int:opinion_id>/assign", methods=["POST"])
@staff_required
def opinion_assign(opinion_id: int):
    opinion = db.get_or_404(Opinion, opinion_id)
    form = AssignForm(prefix=f"a{opinion.id}")
    form.lead_unit.choices = [(u.id, u.name) for u in db.session.scalars(select(LeadUnit))]
    form_or_fail(form, _("请选择承办单位，办理期限须为有效日期。"))
    services.assign(opinion, db.session.get(LeadUnit, form.lead_unit.data), form.due_on.data)
    db.session.commit()
    flash(_("第 %(n)s 号意见已交办。", n=opinion.number), "success")
    return redirect(url_for("deliberation_staff.opinions", meeting_id=opinion.meeting_id))


# --- Minutes, speakers, decisions ----------------------------------------------------


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@staff_required
def minutes(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = MinutesForm()
    if request.method == "GET":
        form.minutes.data = meeting.minutes_html
    if form.validate_on_submit():
        removed = services.save_minutes(meeting, form.minutes.data or "")
        db.session.commit()
        if removed:
            flash(_("会议纪要已保存。其中不安全或不支持的 HTML（如脚本、样式、事件属性）已被移除，请核对。"), "warning")
        else:
            flash(_("会议纪要已保存。"), "success")
        return redirect(url_for("deliberation_staff.minutes", meeting_id=meeting.id))
    speaker_form = SpeakerForm()
    speaker_form.agenda_item.choices = agenda_choices(meeting, _("整个议题"))
    return render_template(
        "deliberation/staff/minutes.html", meeting=meeting, form=form, speaker_form=speaker_form
    ), form_status(form)


@bp.route("/<int:meeting_id>/speakers", methods=["POST"])
@staff_required
def speaker_add(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = SpeakerForm()
    form.agenda_item.choices = agenda_choices(meeting, _("整个议题"))
    form_or_fail(form, _("请填写发言人姓名并选择议程。"))
    services.add_speaker(
        meeting,
        name=form.name.data,
        affiliation=form.affiliation.data or "",
        summary=form.summary.data or "",
        agenda_item_id=form.agenda_item.data or None,
    )
    db.session.commit()
    return redirect(url_for("deliberation_staff.minutes", meeting_id=meeting.id) + "#speakers")


@bp.route("/<int:meeting_id>/decisions", methods=["GET", "POST"])
@staff_required
def decisions(meeting_id: int):
    meeting = services.get_meeting(meeting_id)
    form = DecisionForm()
    form.agenda_item.choices = agenda_choices(meeting, _("整个议题"))
    if form.validate_on_submit():
        services.add_decision(
            meeting, title=form.title.data, method=form.method.data, agenda_item_id=form.agenda_item.data or None
        )
        db.session.commit()
        return redirect(url_for("deliberation_staff.decisions", meeting_id=meeting.id))
    present = services.present_count(meeting)
    return render_template(
        "deliberation/staff/decisions.html",
        meeting=meeting,
        form=form,
        hands_form=HandsForm,
        button=EmptyForm(),
        confirm=ConfirmForm(),
        present=present,
        quorum=services.quorum_met(meeting.members, present),
    ), form_status(form)


@bp.route("/decisions/<int:decision_id>/hands", methods=["POST"])
@staff_required
def decision_hands(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    form = HandsForm(prefix=f"d{decision.id}")
    form_or_fail(form, _("同意、不同意、弃权须为不小于 0 的整数。"))
    services.record_hands(decision, yes=form.yes.data, no=form.no.data, abstain=form.abstain.data)
    db.session.commit()
    return redirect(url_for("deliberation_staff.decisions", meeting_id=decision.meeting_id))


@bp.route("/decisions/<int:decision_id>/codes", methods=["POST"])
@staff_required
def decision_codes(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    form_or_fail(EmptyForm())
    codes = services.issue_vote_codes(decision)
    back = url_for("deliberation_staff.decisions", meeting_id=decision.meeting_id)
    payload = {"poll_id": decision.poll_id, "codes": codes, "back": back}
    base = url_for("voting.code_ballot_page", poll_id=decision.poll.public_id, _external=True)
    return slips_response("codes", payload, base, decision.title, "voting.code_slips", poll_id=decision.poll_id)


@bp.route("/decisions/<int:decision_id>/open", methods=["POST"])
@staff_required
def decision_open(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    confirm_or_fail()
    services.open_vote(decision)
    db.session.commit()
    flash(_("表决已开始。"), "success")
    return redirect(url_for("deliberation_staff.decisions", meeting_id=decision.meeting_id))


@bp.route("/decisions/<int:decision_id>/close", methods=["POST"])
@staff_required
def decision_close(decision_id: int):
    decision = db.get_or_404(Decision, decision_id)
    confirm_or_fail()
    meeting_id = decision.meeting_id
    services.close_vote(decision)
    db.session.commit()
    flash(_("表决已结束，结果已记录。"), "success")
    return redirect(url_for("deliberation_staff.decisions", meeting_id=meeting_id))


# --- Follow-up -----------------------------------------------------------------------


@bp.route("/followup")
@staff_required
def followup():
    return render_template(
        "deliberation/staff/followup.html", replies=services.all_replies(), today=local_today(), unit=None
    )


@bp.route("/unit")
@roles_required("lead_unit")
def unit():
    if current_user.lead_unit_id is None:
        abort(403)
    return render_template(
        "deliberation/staff/followup.html",
        replies=services.unit_replies(current_user.lead_unit_id),
        today=local_today(),
        unit=current_user.lead_unit,
    )


@bp.route("/replies/<int:reply_id>", methods=["GET", "POST"])
@roles_required("staff", "lead_unit")
def reply_edit(reply_id: int):
    reply = db.get_or_404(Reply, reply_id)
    if current_user.role == "lead_unit" and current_user.lead_unit_id != reply.lead_unit_id:
        abort(403)
    form = ReplyForm(obj=reply if request.method == "GET" else None)
    if form.validate_on_submit():
        services.update_reply(reply, status=form.status.data, body=form.body.data, outcome=form.outcome.data)
        db.session.commit()
        flash(_("办理情况已保存。"), "success")
        target = "deliberation_staff.unit" if current_user.role == "lead_unit" else "deliberation_staff.followup"
        return redirect(url_for(target))
    return render_template("deliberation/staff/reply_form.html", reply=reply, form=form), form_status(form)
