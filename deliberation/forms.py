"""Forms of the meeting pages. Every POST carries a CSRF token."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from deliberation.models import (
    DECISION_METHODS,
    FOLLOWUP_STATES,
    MEETING_KINDS,
    OPINION_CATEGORIES,
    OUTCOMES,
    RATINGS,
    SIGNUP_MODES,
)

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
DT_FORMAT = ["%Y-%m-%dT%H:%M"]


class MeetingForm(FlaskForm):
    kind = SelectField(_l("会议类型"), choices=list(MEETING_KINDS.items()))
    topic = StringField(_l("议题"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("议题说明"), validators=[Optional(), Length(max=5000)])
    proposed_by = StringField(_l("议题提出人（书面署名）"), validators=[Optional(), Length(max=120)])
    organiser = StringField(_l("组织单位"), validators=[DataRequired(), Length(max=120)])
    starts_at = DateTimeLocalField(_l("开始时间"), format=DT_FORMAT, validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("结束时间"), format=DT_FORMAT, validators=[DataRequired()])
    place = StringField(_l("地点"), validators=[Optional(), Length(max=200)])
    online_url = StringField(_l("线上参会链接"), validators=[Optional(), URL(), Length(max=300)])
    capacity = IntegerField(_l("参会名额"), validators=[InputRequired(), NumberRange(min=1, max=100000)])
    waitlist = IntegerField(
        _l("候补名额"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=100000)],
        description=_l("先到先得时，名额报满后还可候补的人数；抽签时未抽中者按抽签顺序候补。"),
    )
    signup_mode = RadioField(_l("报名方式"), choices=list(SIGNUP_MODES.items()), default="open")
    signup_deadline = DateTimeLocalField(_l("报名截止时间"), format=DT_FORMAT, validators=[DataRequired()])
    lot_beacon_source = StringField(
        _l("公开随机源"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "抽签报名必填：写明一个报名截止后才公布、人人可查的数值，"
            "如“中国福利彩票双色球第 2026140 期开奖号码”。抽签时录入它公布的值。"
        ),
    )
    lot_beacon_date = DateField(
        _l("公开随机源的公布日期"),
        validators=[Optional()],
        description=_l("须晚于报名截止日。"),
    )
    members = IntegerField(
        _l("议事会成员人数"),
        validators=[Optional(), NumberRange(min=1, max=100000)],
        description=_l("居民议事会必填：到会人数须达到成员的三分之二。"),
    )
    submit = SubmitField(_l("保存"))

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("结束时间必须晚于开始时间。"))

    def validate_signup_deadline(self, field):
        if self.starts_at.data and field.data and field.data > self.starts_at.data:
            raise ValidationError(_l("报名截止时间不能晚于会议开始时间。"))

    def validate(self, extra_validators=None) -> bool:
        # Checks on optional fields: Optional() stops inline validators on empty input.
        valid = super().validate(extra_validators)
        if not (self.place.data or "").strip() and not (self.online_url.data or "").strip():
            self.place.errors = [*self.place.errors, _l("请填写地点或线上参会链接。")]
            valid = False
        url = (self.online_url.data or "").strip().lower()
        if url and not url.startswith(("https://", "http://")):
            self.online_url.errors = [*self.online_url.errors, _l("线上参会链接须以 https:// 或 http:// 开头。")]
            valid = False
        if self.signup_mode.data == "lot":
            if not (self.lot_beacon_source.data or "").strip():
                self.lot_beacon_source.errors = [*self.lot_beacon_source.errors, _l("抽签报名须写明公开随机源。")]
                valid = False
            if not self.lot_beacon_date.data:
                self.lot_beacon_date.errors = [*self.lot_beacon_date.errors, _l("请填写公开随机源的公布日期。")]
                valid = False
            elif self.signup_deadline.data and self.lot_beacon_date.data <= self.signup_deadline.data.date():
                self.lot_beacon_date.errors = [
                    *self.lot_beacon_date.errors,
                    _l("公开随机源的公布日期须晚于报名截止日，这样报名期间没有人能知道它。"),
                ]
                valid = False
        if self.kind.data == "council" and not self.members.data:
            self.members.errors = [*self.members.errors, _l("居民议事会须填写议事会成员人数（用于三分之二法定人数）。")]
            valid = False
        return valid


class AgendaItemForm(FlaskForm):
    title = StringField(_l("议程"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("添加议程"))


class DrawForm(FlaskForm):
    beacon_value = StringField(
        _l("公开随机源公布的值"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("照公布的原样录入（空格多少不影响结果）。录入后立即抽签，结果不能更改。"),
    )
    confirm = BooleanField(_l("我已核对公布的值，确认公开抽签"), validators=[DataRequired()])
    submit = SubmitField(_l("公开抽签"))


class AnnounceForm(FlaskForm):
    confirm_short_notice = BooleanField(_l("公告期不足，仍然发布"))
    # Publishing cannot be undone: core.forms.confirm_or_fail asks for this box.
    confirm = BooleanField(_l("我已核对，确认执行"))
    submit = SubmitField(_l("发布公告"))


class SignupForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(
        _l("手机号"), validators=[DataRequired(), Length(max=20)], description=_l("只用于会务联系，不会公开。")
    )
    area = StringField(_l("居住小区或村（社区）"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("报名"))

    def validate_phone(self, field):
        if not PHONE_RE.match((field.data or "").strip().replace(" ", "")):
            raise ValidationError(_l("请填写 11 位手机号或带区号的固定电话。"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("报名码"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("报名成功时显示的 16 位码，如 K7QF-M2XA-3PRT-9WXC。"),
    )
    submit = SubmitField(_l("确定"))


class CheckInForm(FlaskForm):
    code = StringField(
        _l("报名码"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("扫描参会人的二维码，或输入 16 位报名码。"),
    )
    submit = SubmitField(_l("签到"))


class OpinionForm(FlaskForm):
    agenda_item = SelectField(_l("针对的议程"), coerce=int)
    category = SelectField(_l("类别"), choices=list(OPINION_CATEGORIES.items()))
    body = TextAreaField(_l("意见内容"), validators=[DataRequired(), Length(max=2000)])
    anonymous = BooleanField(_l("匿名提交"))
    author_name = StringField(
        _l("姓名（署名时填写）"),
        validators=[Optional(), Length(max=64)],
        description=_l("署名意见会公开显示姓名；匿名意见不显示。"),
    )
    submit = SubmitField(_l("提交意见"))

    def validate(self, extra_validators=None) -> bool:
        # Not an inline validator: Optional() would stop the chain before it.
        valid = super().validate(extra_validators)
        if not self.anonymous.data and not (self.author_name.data or "").strip():
            self.author_name.errors = [*self.author_name.errors, _l("请填写姓名，或勾选“匿名提交”。")]
            return False
        return valid


class TrackForm(FlaskForm):
    code = StringField(
        _l("查询码"),
        validators=[DataRequired(), Length(max=24)],
        description=_l("提交意见时显示的 16 位码，如 K7QF-M2XA-3PRT-9WXC。"),
    )
    submit = SubmitField(_l("查询"))


class RateForm(FlaskForm):
    code = HiddenField(validators=[DataRequired()])
    rating = RadioField(_l("您对答复的评价"), choices=list(RATINGS.items()), validators=[DataRequired()])
    submit = SubmitField(_l("提交评价"))


class HideForm(FlaskForm):
    reason = StringField(_l("公开的隐藏理由"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("隐藏"))


class AssignForm(FlaskForm):
    lead_unit = SelectField(_l("承办单位"), coerce=int)
    due_on = DateField(_l("办理期限"), validators=[Optional()])
    submit = SubmitField(_l("交办"))


class ReplyForm(FlaskForm):
    status = SelectField(_l("办理状态"), choices=list(FOLLOWUP_STATES.items()))
    outcome = SelectField(_l("办理结果"), choices=[("", "—")] + list(OUTCOMES.items()), validators=[Optional()])
    body = TextAreaField(_l("答复内容"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("保存答复"))


class MinutesForm(FlaskForm):
    minutes = TextAreaField(
        _l("会议纪要（可用简单 HTML：段落、加粗、列表、表格、链接）"), validators=[Optional(), Length(max=100_000)]
    )
    submit = SubmitField(_l("保存纪要"))


class SpeakerForm(FlaskForm):
    name = StringField(_l("发言人"), validators=[DataRequired(), Length(max=64)])
    affiliation = StringField(_l("身份或单位"), validators=[Optional(), Length(max=120)])
    agenda_item = SelectField(_l("议程"), coerce=int)
    summary = TextAreaField(_l("发言摘要"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("记录发言"))


class DecisionForm(FlaskForm):
    title = StringField(_l("表决事项"), validators=[DataRequired(), Length(max=200)])
    agenda_item = SelectField(_l("议程"), coerce=int)
    method = RadioField(_l("表决方式"), choices=list(DECISION_METHODS.items()), default="hands")
    submit = SubmitField(_l("添加表决事项"))


class HandsForm(FlaskForm):
    yes = IntegerField(_l("同意"), validators=[InputRequired(), NumberRange(min=0)])
    no = IntegerField(_l("不同意"), validators=[InputRequired(), NumberRange(min=0)])
    abstain = IntegerField(_l("弃权"), validators=[InputRequired(), NumberRange(min=0)])
    submit = SubmitField(_l("记录举手表决结果"))


def agenda_choices(meeting, none_label) -> list[tuple[int, str]]:
    return [(0, str(none_label))] + [(item.id, f"{item.position}. {item.title}") for item in meeting.agenda]
