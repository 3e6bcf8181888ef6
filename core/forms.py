"""Forms of the foundation. Every POST button has a form, so every state change
carries a CSRF token; ``form_or_fail`` and ``form_status`` answer a form that fails."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

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


def confirm_message() -> str:
    return _("这一步不能撤销：请先勾选“我已核对，确认执行”，再提交。")


class ConfirmForm(FlaskForm):
    """A POST button before an irreversible step (open, close, publish, delete, void,
    draw lots): the box must be ticked, or the request is refused (``confirm_or_fail``).
    No script: the page shows the box beside the button (``_forms.html`` ``confirm_button``)."""

    confirm = BooleanField(_l("我已核对，确认执行"))
    submit = SubmitField(_l("确定"))


def confirm_or_fail(form: FlaskForm | None = None) -> None:
    """Go on only with a valid POST whose ``confirm`` box is ticked: 400 for a missing
    CSRF token, 422 with a plain message when the box is not ticked."""
    form = form if form is not None else ConfirmForm()
    form_or_fail(form)
    if not form.confirm.data:
        fail(422, confirm_message())


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


def account_role_choices():
    return [("staff", _l("工作人员")), ("lead_unit", _l("承办单位"))]


class AccountForm(FlaskForm):
    """A staff or lead-unit account made on the web (deputies come with the roster)."""

    role = SelectField(_l("账号类型"), choices=account_role_choices())
    username = StringField(
        _l("登录账号"),
        validators=[
            DataRequired(_l("请填写登录账号。")),
            Length(max=64, message=_l("不能超过 64 个字符。")),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                message=_l("只能用字母、数字和 . _ -，并以字母或数字开头。"),
            ),
        ],
        description=_l("例如：zhangsan 或 zhujianju"),
    )
    display_name = StringField(
        _l("姓名或名称"),
        validators=[DataRequired(_l("请填写姓名或名称。")), Length(max=64, message=_l("不能超过 64 个字。"))],
    )
    lead_unit = StringField(
        _l("承办单位名称"),
        validators=[Optional(), Length(max=120, message=_l("不能超过 120 个字。"))],
        description=_l("只在账号类型为承办单位时填写，例如：县住房和城乡建设局。"),
    )
    submit = SubmitField(_l("创建账号"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.role.data == "lead_unit" and not (self.lead_unit.data or "").strip():
            self.lead_unit.errors = [*self.lead_unit.errors, _l("承办单位账号须填写承办单位名称。")]
            ok = False
        return ok
