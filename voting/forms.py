"""Staff forms for polls. The poll id is made by the service, never typed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from voting.models import BALLOT_LABELS, SECRECY_LABELS


class PollForm(FlaskForm):
    title = StringField(
        _l("标题"),
        validators=[DataRequired(_l("请填写标题。")), Length(max=200, message=_l("标题不能超过 200 字。"))],
    )
    ballot = SelectField(_l("选票类型"), choices=list(BALLOT_LABELS.items()))
    secrecy = SelectField(
        _l("投票方式"),
        choices=[
            ("secret", _l("无记名投票（盲签名凭证）")),
            ("named", SECRECY_LABELS["named"]),
            ("code", SECRECY_LABELS["code"]),
        ],
    )
    session_id = SelectField(_l("会议"), coerce=int, validators=[Optional()])
    options = TextAreaField(
        _l("候选项目（每行一项）"),
        validators=[
            DataRequired(_l("请至少填写一个候选项目（每行一项）。")),
            Length(max=20000, message=_l("候选项目合计不能超过 20000 字。")),
        ],
        description=_l("每行一个项目名称"),
    )
    seats = IntegerField(
        _l("应选数"),
        validators=[Optional(), NumberRange(min=1, max=500, message=_l("应选数须是 1 到 500 之间的整数。"))],
        description=_l("票决时填写；不填则不限名额，凡通过的都当选"),
    )
    max_yes = IntegerField(
        _l("最多同意数"),
        validators=[Optional(), NumberRange(min=0, max=500, message=_l("最多同意数须是 0 到 500 之间的整数。"))],
        description=_l("每张选票最多同意几项；民生实事票决通常等于应选数"),
    )
    base = SelectField(
        _l("计算基数"),
        choices=[("electorate", _l("全体代表（应到）")), ("present", _l("出席代表（实到）")), ("cast", _l("投票数"))],
    )
    more_than = SelectField(_l("通过线"), choices=[("1/2", _l("过半数")), ("2/3", _l("超过三分之二"))])
    rectify_below = IntegerField(
        _l("整改线（满意率低于，%）"),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("整改线须是 1 到 100 之间的整数（百分比）。"))],
        description=_l("满意度测评可选，例如 80 表示满意率低于 80% 的项目列入整改"),
    )
    submit = SubmitField(_l("保存草稿"))


class CodesForm(FlaskForm):
    count = IntegerField(
        _l("测评码数量"),
        validators=[
            DataRequired(_l("请填写测评码数量。")),
            NumberRange(min=1, max=100000, message=_l("测评码数量须在 1 到 100000 之间。")),
        ],
    )
    submit = SubmitField(_l("生成测评码"))
