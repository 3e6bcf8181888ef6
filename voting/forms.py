"""Staff forms for polls."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

POLL_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class PollForm(FlaskForm):
    public_id = StringField(
        _l("投票编号"),
        validators=[
            DataRequired(),
            Regexp(POLL_ID_RE, message=_l("只能用字母、数字和 . _ -，以字母或数字开头，最多 64 位。")),
        ],
        description=_l("公开网址和公告板中使用，例如 2027-renda-4-minsheng"),
    )
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=200)])
    ballot = SelectField(
        _l("选票类型"),
        choices=[
            ("approval", _l("票决（同意 / 不同意 / 弃权）")),
            ("satisfaction", _l("满意度测评（满意 / 基本满意 / 不满意）")),
        ],
    )
    secrecy = SelectField(
        _l("投票方式"),
        choices=[
            ("secret", _l("无记名投票（盲签名凭证）")),
            ("named", _l("记名表决")),
            ("code", _l("测评码（公众测评）")),
        ],
    )
    session_id = SelectField(_l("会议"), coerce=int, validators=[Optional()])
    options = TextAreaField(
        _l("候选项目（每行一项）"),
        validators=[DataRequired(), Length(max=20000)],
        description=_l("每行一个项目名称；编号自动生成为 p01、p02……"),
    )
    seats = IntegerField(_l("应选数"), validators=[Optional(), NumberRange(min=1, max=500)])
    max_yes = IntegerField(
        _l("最多同意数"),
        validators=[Optional(), NumberRange(min=0, max=500)],
        description=_l("民生实事票决通常等于应选数"),
    )
    base = SelectField(
        _l("计算基数"),
        choices=[("electorate", _l("全体代表（应到）")), ("present", _l("出席代表（实到）")), ("cast", _l("投票数"))],
    )
    more_than = SelectField(_l("通过线"), choices=[("1/2", _l("过半数")), ("2/3", _l("超过三分之二"))])
    rectify_below = StringField(
        _l("整改线（满意率低于）"),
        validators=[Optional(), Regexp(r"^[1-9][0-9]*/[1-9][0-9]*$", message=_l("请写成分数，例如 4/5"))],
        description=_l("满意度测评可选，例如 4/5 表示满意率低于 80% 须整改"),
    )
    submit = SubmitField(_l("保存草稿"))


class CodesForm(FlaskForm):
    count = IntegerField(_l("测评码数量"), validators=[DataRequired(), NumberRange(min=1, max=100000)])
    submit = SubmitField(_l("生成测评码"))
