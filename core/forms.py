"""Forms of the foundation. Every POST button has a form, so every state change
carries a CSRF token; ``form_or_fail`` and ``form_status`` answer a form that fails."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from core.errors import fail


def _refuse_stale_csrf(form: FlaskForm) -> None:
    """A missing or expired CSRF token answers 400 with the app's CSRF message (the
    handler of ``CSRFError``), as when the site-wide check refuses it."""
    if "csrf_token" in form.errors:
        raise CSRFError()


def form_or_fail(form: FlaskForm, message: str | None = None) -> None:
    """Go on only with a valid POSTed ``form``; else refuse the request: 400 for a
    missing or expired CSRF token, otherwise 422 with ``message`` or the first field's
    label and error, in the user's language."""
    if form.validate_on_submit():
        return
    _refuse_stale_csrf(form)
    if message:
        fail(422, message)
    for name, errors in form.errors.items():
        if name is None or name not in form:  # the form's own errors (form_errors)
            fail(422, str(errors[0]))
        fail(422, f"{form[name].label.text}{_('：')}{errors[0]}")
    fail(422, _("提交的内容不符合要求。"))


def form_status(form: FlaskForm, refused: int | None = None) -> int:
    """The status of a page that shows ``form`` (again): 200 before it is sent; after a
    POST that did not go through, ``refused`` (a service's status, e.g. 409) or 422,
    with the errors on the page. A missing or expired CSRF token answers 400 as in
    ``form_or_fail``."""
    if not form.is_submitted():
        return 200
    _refuse_stale_csrf(form)
    return refused or 422


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST buttons."""

    submit = SubmitField(_l("确定"))


class ConfirmForm(FlaskForm):
    """A POST button for a step that cannot be undone (open, close, publish, delete,
    void): the form carries a checkbox the user must tick (``_forms.html``
    ``confirm_button``); ``confirm_or_fail`` refuses the POST without it."""

    confirm = BooleanField(_l("我已核对，确认执行"), validators=[DataRequired()])
    submit = SubmitField(_l("确定"))


def confirm_or_fail(form: ConfirmForm | None = None) -> None:
    """Go on only when the confirmation box was ticked; else 422 saying so (400 for a
    missing CSRF token, as ``form_or_fail``)."""
    form_or_fail(form or ConfirmForm(), _("请先勾选确认框，再执行这一步：它无法撤销。"))


class LoginForm(FlaskForm):
    username = StringField(_l("账号"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=128)])
    submit = SubmitField(_l("登录"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(), Length(max=128)])
    new = PasswordField(
        _l("新密码"),
        validators=[
            DataRequired(),
            Length(min=10, max=128, message=_l("新密码长度须为 10–128 个字符。")),
        ],
    )
    confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[DataRequired(), EqualTo("new", message=_l("两次输入的新密码不一致。"))],
    )
    submit = SubmitField(_l("修改密码"))

    def validate_new(self, field):
        if field.data == self.current.data:
            raise ValidationError(_l("新密码不能与当前密码相同。"))


class CongressForm(FlaskForm):
    name = StringField(
        _l("名称"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("例如：某县第十八届人民代表大会"),
    )
    submit = SubmitField(_l("创建"))


class RosterImportForm(FlaskForm):
    file = FileField(_l("代表名册 CSV 文件"), validators=[FileRequired(_l("请选择文件。"))])
    submit = SubmitField(_l("导入"))


class SessionForm(FlaskForm):
    name = StringField(
        _l("会议名称"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("例如：第十八届人大第四次会议"),
    )
    starts_on = DateField(_l("开始日期"), validators=[DataRequired()])
    ends_on = DateField(_l("结束日期"), validators=[DataRequired()])
    submit = SubmitField(_l("创建"))

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("结束日期不能早于开始日期。"))


class StaffCheckinForm(FlaskForm):
    code = StringField(_l("代表证号"), validators=[DataRequired(), Length(max=32)])
    submit = SubmitField(_l("签到"))
