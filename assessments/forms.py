"""Forms of the assessment pages. Choices that depend on the database are filled
in by the views."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


def raters_choices():
    return [
        ("deputies", _l("人大代表（会议无记名投票）")),
        ("committee", _l("常委会组成人员（常委会会议无记名投票）")),
        ("public", _l("公众（一次性测评码）")),
    ]


def base_choices():
    return [("electorate", _l("全体人员（应到）")), ("present", _l("出席人员（实到）")), ("cast", _l("投票数"))]


class AssessmentForm(FlaskForm):
    title = StringField(
        _l("测评名称"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("例如：2027年县人大常委会对专项工作报告的满意度测评"),
    )
    year = IntegerField(_l("年度"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    raters = SelectField(_l("测评人"), choices=raters_choices())
    session_id = SelectField(
        _l("会议"),
        coerce=int,
        validators=[Optional()],
        description=_l("代表或常委会组成人员测评须选会议；公众测评选“不属于会议”。"),
    )
    grade_base = SelectField(
        _l("计算基数"), choices=base_choices(), description=_l("评定等次时与之比较的人数；镇海做法为全体人员。")
    )
    rectify_below = IntegerField(
        _l("整改线（满意率低于，%）"),
        validators=[Optional(), NumberRange(min=1, max=100)],
        description=_l("可选。例如 80 表示满意率低于 80% 的对象列入整改。"),
    )
    submit = SubmitField(_l("创建测评"))


class SubjectForm(FlaskForm):
    kind = SelectField(
        _l("测评对象类型"),
        choices=[
            ("work_report", _l("专项工作报告")),
            ("suggestion", _l("代表建议办理")),
            ("project", _l("民生实事项目")),
            ("free", _l("其他事项")),
        ],
    )
    title = StringField(
        _l("名称"),
        validators=[Optional(), Length(max=200)],
        description=_l("选择代表建议或民生实事项目时可留空，自动使用其标题。"),
    )
    body_type = SelectField(
        _l("报告机关类别"),
        choices=[
            ("", _l("（不适用）")),
            ("government", _l("人民政府")),
            ("supervision", _l("监察委员会")),
            ("court", _l("人民法院")),
            ("procuratorate", _l("人民检察院")),
            ("department", _l("政府部门")),
        ],
        validators=[Optional()],
    )
    body_name = StringField(
        _l("报告机关名称"),
        validators=[Optional(), Length(max=120)],
        description=_l("例如：县人民法院、县住房和城乡建设局"),
    )
    document = FileField(_l("报告文件（PDF，最大 8 MB）"))
    document_url = StringField(_l("或报告链接"), validators=[Optional(), Length(max=500)])
    suggestion_id = SelectField(_l("代表建议"), coerce=int, validators=[Optional()])
    project_id = SelectField(_l("民生实事项目"), coerce=int, validators=[Optional()])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("添加测评对象"))


class CodesForm(FlaskForm):
    count = IntegerField(
        _l("测评码数量"),
        validators=[DataRequired(), NumberRange(min=1, max=5000)],
        description=_l("每张纸条一个测评码；重新生成会作废上一批。"),
    )
    # Asked for only when a batch exists (a new one voids it): core.forms.confirm_or_fail.
    confirm = BooleanField(_l("我已核对，确认执行"))
    submit = SubmitField(_l("生成并打印测评码"))


class RectificationForm(FlaskForm):
    responsible = StringField(_l("责任单位"), validators=[DataRequired(), Length(max=120)])
    due_on = DateField(_l("整改期限"), validators=[DataRequired()])
    submit = SubmitField(_l("保存"))


class FollowUpForm(FlaskForm):
    follow_up = TextAreaField(_l("整改情况报告"), validators=[DataRequired(), Length(max=20000)])
    submit = SubmitField(_l("提交整改情况报告"))


class ReassessForm(FlaskForm):
    raters = SelectField(_l("测评人"), choices=raters_choices())
    session_id = SelectField(_l("会议"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("发起再次测评"))


class CommitteeForm(FlaskForm):
    name = StringField(
        _l("常委会名称"), validators=[DataRequired(), Length(max=120)], description=_l("例如：清溪县人大常委会")
    )
    submit = SubmitField(_l("创建"))


class SuggestionForm(FlaskForm):
    title = StringField(_l("建议标题"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("建议内容"), validators=[DataRequired(), Length(max=20000)])
    submit = SubmitField(_l("提交建议"))


class AssignForm(FlaskForm):
    lead_unit_id = SelectField(_l("承办单位"), coerce=int)
    submit = SubmitField(_l("交办"))


class ExtendForm(FlaskForm):
    due_on = DateField(_l("延期至"), validators=[DataRequired()])
    submit = SubmitField(_l("批准延期"))


class ReplyForm(FlaskForm):
    grade = SelectField(
        _l("答复类别"),
        choices=[
            ("A", _l("A 类：已解决")),
            ("B", _l("B 类：正在解决")),
            ("C", _l("C 类：列入计划解决")),
            ("D", _l("D 类：留作参考")),
        ],
    )
    body = TextAreaField(_l("答复内容"), validators=[DataRequired(), Length(max=20000)])
    submit = SubmitField(_l("提交答复"))


class RateForm(FlaskForm):
    rating = RadioField(
        _l("对答复的评价"),
        choices=[("satisfied", _l("满意")), ("basic", _l("基本满意")), ("dissatisfied", _l("不满意"))],
        validators=[DataRequired(_l("请选择评价。"))],
    )
    submit = SubmitField(_l("提交评价"))
