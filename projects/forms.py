"""Forms of the livelihood-project cycle."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.roster import PHONE_RE
from projects.models import SUGGESTION_CATEGORIES, category_key

TITLE_MAX = 100
DESCRIPTION_MAX = 2000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def lines(text: str | None, limit: int = 20) -> list[str]:
    """Non-empty lines of a textarea (rectification items, one per line)."""
    return [line.strip()[:500] for line in (text or "").splitlines() if line.strip()][:limit]


class CallForm(FlaskForm):
    year = IntegerField(_l("年度"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    title = StringField(
        _l("标题"),
        filters=[_strip],
        validators=[DataRequired(), Length(max=120)],
        description=_l("例如：2028年县政府民生实事项目征集"),
    )
    notice = TextAreaField(_l("征集公告"), filters=[_strip], validators=[DataRequired(), Length(max=5000)])
    opens_on = DateField(_l("开始日期"), validators=[DataRequired()])
    closes_on = DateField(_l("截止日期"), validators=[DataRequired()])
    submit = SubmitField(_l("发布征集"))

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("截止日期不能早于开始日期。"))


class SuggestionForm(FlaskForm):
    title = StringField(
        _l("建议标题"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写建议标题。")), Length(max=TITLE_MAX, message=_l("标题不能超过 100 字。"))],
    )
    description = TextAreaField(
        _l("具体内容"),
        filters=[_strip],
        validators=[
            DataRequired(_l("请写明建议的具体内容。")),
            Length(min=10, max=DESCRIPTION_MAX, message=_l("具体内容须为 10 到 2000 字。")),
        ],
        description=_l("想解决什么问题、建议怎么做（10–2000 字）"),
    )
    # A Chinese name (what the form sent before the keys) is taken as its key.
    category = SelectField(
        _l("类别"), choices=list(SUGGESTION_CATEGORIES.items()), coerce=lambda v: category_key(v) or v
    )
    location = StringField(
        _l("地点"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写地点。")), Length(max=120, message=_l("地点不能超过 120 字。"))],
        description=_l("例如：白鹭镇中心小学门口"),
    )
    name = StringField(
        _l("姓名（选填）"), filters=[_strip], validators=[Optional(), Length(max=64)], description=_l("不公开")
    )
    phone = StringField(
        _l("联系电话（选填）"),
        filters=[_strip],
        validators=[Optional(), Length(max=32)],
        description=_l("仅供工作人员联系您，不公开、不导出"),
    )
    submit = SubmitField(_l("提交建议"))

    def validate_phone(self, field):
        if field.data and not PHONE_RE.match(field.data.replace(" ", "")):
            raise ValidationError(_l("电话号码格式不正确：请填写 11 位手机号或带区号的固定电话。"))

    def phone_value(self) -> str | None:
        return (self.phone.data or "").replace(" ", "") or None


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("不予采纳的理由"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写不予采纳的理由。")), Length(max=1000)],
    )
    confirm = BooleanField(_l("确认（理由将公开，无法撤销）"))
    submit = SubmitField(_l("不予采纳"))


class MergeForm(FlaskForm):
    target = IntegerField(_l("合并到建议编号"), validators=[DataRequired(_l("请填写要合并到的建议编号。"))])
    confirm = BooleanField(_l("确认（无法撤销）"))
    submit = SubmitField(_l("合并"))


class CandidateForm(FlaskForm):
    title = StringField(_l("项目名称"), filters=[_strip], validators=[DataRequired(), Length(max=TITLE_MAX)])
    lead_unit_id = SelectField(_l("承办单位"), coerce=int)
    investment = IntegerField(_l("总投资（万元）"), validators=[DataRequired(), NumberRange(min=0, max=10_000_000)])
    planned_completion = DateField(_l("计划完成日期"), validators=[DataRequired()])
    description = TextAreaField(_l("项目简介"), filters=[_strip], validators=[DataRequired(), Length(max=5000)])
    suggestions = SelectMultipleField(
        _l("来源建议"), coerce=int, validate_choice=False, description=_l("可多选；也可以不选")
    )
    submit = SubmitField(_l("保存候选项目"))


class CandidateImportForm(FlaskForm):
    file = FileField(_l("候选项目 CSV 文件"), validators=[FileRequired(_l("请选择文件。"))])
    submit = SubmitField(_l("导入"))


class VoteForm(FlaskForm):
    session_id = SelectField(_l("会议"), coerce=int)
    seats = IntegerField(
        _l("应选数"),
        validators=[
            DataRequired(_l("请填写应选数。")),
            NumberRange(min=1, max=500, message=_l("应选数须是 1 到 500 之间的整数。")),
        ],
    )
    max_yes = IntegerField(
        _l("每票最多同意数"),
        validators=[Optional(), NumberRange(min=1, max=500, message=_l("每票最多同意数须是 1 到 500 之间的整数。"))],
        description=_l("不填则等于应选数"),
    )
    base = SelectField(
        _l("计算基数"), choices=[("electorate", _l("全体代表（应到）")), ("present", _l("出席代表（实到）"))]
    )
    more_than = SelectField(_l("通过线"), choices=[("1/2", _l("过半数")), ("2/3", _l("超过三分之二"))])
    submit = SubmitField(_l("创建票决（草稿）"))


class AssessmentForm(FlaskForm):
    session_id = SelectField(_l("会议"), coerce=int)
    submit = SubmitField(_l("创建满意度测评（草稿）"))


class MemberForm(FlaskForm):
    code = StringField(_l("代表证号"), filters=[_strip], validators=[DataRequired(), Length(max=32)])
    leader = SelectField(_l("身份"), choices=[("0", _l("成员")), ("1", _l("组长"))])
    submit = SubmitField(_l("加入监督小组"))


class ReportForm(FlaskForm):
    reported_on = DateField(_l("报告日期"), validators=[DataRequired()])
    percent = IntegerField(
        _l("完成进度（%）"),
        validators=[
            InputRequired(_l("请填写 0 到 100 之间的整数。")),
            NumberRange(min=0, max=100, message=_l("完成进度须在 0 到 100 之间。")),
        ],
    )
    narrative = TextAreaField(_l("进展情况"), filters=[_strip], validators=[DataRequired(), Length(max=5000)])
    problems = TextAreaField(_l("存在问题（选填）"), filters=[_strip], validators=[Optional(), Length(max=3000)])
    rectifications = TextAreaField(
        _l("整改事项（选填，每行一项）"), filters=[_strip], validators=[Optional(), Length(max=5000)]
    )
    backwards_reason = TextAreaField(
        _l("进度回退原因"),
        filters=[_strip],
        validators=[Optional(), Length(max=2000)],
        description=_l("进度低于上次报告时必填"),
    )
    photos = MultipleFileField(_l("现场照片（选填，JPEG / PNG / WebP）"))
    submit = SubmitField(_l("提交进度报告"))


class NoteForm(FlaskForm):
    visited_on = DateField(_l("视察日期"), validators=[DataRequired()])
    note = TextAreaField(_l("视察情况"), filters=[_strip], validators=[DataRequired(), Length(max=5000)])
    rectifications = TextAreaField(
        _l("发现问题 / 整改建议（选填，每行一项）"), filters=[_strip], validators=[Optional(), Length(max=5000)]
    )
    submit = SubmitField(_l("提交视察记录"))


class TrackForm(FlaskForm):
    """The author's tracking code of a suggestion (its review and handling)."""

    code = StringField(
        _l("查询码"),
        filters=[_strip],
        validators=[DataRequired(_l("请输入查询码。")), Length(max=24)],
        description=_l("提交建议后显示的 16 位码，如 K7QF-M2XA-3PRT-9WXC。"),
    )
    submit = SubmitField(_l("查询"))


class RefuseForm(FlaskForm):
    """Staff do not publish a suggestion: the reason goes to its author."""

    reason = TextAreaField(
        _l("不予公开的理由"),
        filters=[_strip],
        validators=[DataRequired(_l("请填写不予公开的理由。")), Length(max=1000)],
    )
    submit = SubmitField(_l("不予公开"))
