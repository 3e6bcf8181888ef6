"""Staff and lead-unit accounts on the web: list (searchable, paginated), create, reset
the password (a new one-time password shown through ``core.held``), deactivate and
reactivate. Only staff may; nobody deactivates their own account. Deputies' accounts
come with the roster and are managed there."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import audit, held
from core.auth import end_sessions
from core.errors import fail
from core.forms import AccountForm, ConfirmForm, confirm_or_fail, form_or_fail, form_status
from core.models import LeadUnit, Role, User
from core.paging import paginate
from core.passwords import generate_initial_password, hash_password
from core.permissions import staff_required
from extensions import db

bp = Blueprint("accounts", __name__, url_prefix="/staff/accounts")

MANAGED_ROLES = (Role.staff.value, Role.lead_unit.value)
HELD_KIND = "account_password"


def role_label(role: str) -> str:
    return {"staff": _("工作人员"), "lead_unit": _("承办单位"), "deputy": _("人大代表")}.get(role, role)


def _account(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if user.role not in MANAGED_ROLES:
        abort(404)  # deputies' accounts are managed with the roster
    return user


def _hold(user: User, password: str) -> str:
    return held.hold(
        HELD_KIND,
        {"user_id": user.id, "username": user.username, "name": user.display_name, "password": password},
    )


def _list_page(form: AccountForm):
    query = select(User).where(User.role.in_(MANAGED_ROLES)).order_by(User.role.desc(), User.username)
    page = paginate(query, columns=(User.username, User.display_name), per_page=30)
    return render_template(
        "core/accounts.html", page=page, form=form, confirm_form=ConfirmForm, role_label=role_label
    ), form_status(form)


@bp.route("", methods=["GET", "POST"])
@staff_required
def index():
    form = AccountForm()
    if not form.validate_on_submit():
        return _list_page(form)
    username = form.username.data.strip()
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        form.username.errors.append(_("账号 %(name)s 已被占用，请换一个。", name=username))
        page, _status = _list_page(form)
        return page, 409
    unit = None
    if form.role.data == Role.lead_unit.value:
        unit_name = form.lead_unit.data.strip()
        unit = db.session.scalar(select(LeadUnit).where(LeadUnit.name == unit_name))
        if unit is None:
            unit = LeadUnit(name=unit_name)
            db.session.add(unit)
    password = generate_initial_password()
    user = User(
        username=username,
        display_name=form.display_name.data.strip(),
        role=form.role.data,
        password_hash=hash_password(password, initial=True),
        must_change_password=True,
        lead_unit=unit,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, {"role": user.role, "username": username})
    held_id = _hold(user, password)
    db.session.commit()
    return redirect(url_for("accounts.password", held_id=held_id), 303)


@bp.route("/<int:user_id>/password", methods=["POST"])
@staff_required
def reset(user_id: int):
    user = _account(user_id)
    form_or_fail(ConfirmForm(prefix=f"r{user.id}"))
    password = generate_initial_password()
    user.password_hash = hash_password(password, initial=True)
    user.must_change_password = True
    end_sessions(user)
    audit.record("user.password_reset", "user", user.id, {"username": user.username})
    held_id = _hold(user, password)
    db.session.commit()
    return redirect(url_for("accounts.password", held_id=held_id), 303)


@bp.route("/<int:user_id>/active", methods=["POST"])
@staff_required
def active(user_id: int):
    user = _account(user_id)
    form = ConfirmForm(prefix=f"a{user.id}")
    if user.is_enabled:
        if user.id == current_user.id:
            fail(409, _("不能停用自己的账号；请另一位工作人员操作。"))
        confirm_or_fail(form)
        user.is_enabled = False
        end_sessions(user)
        audit.record("user.deactivate", "user", user.id, {"username": user.username})
        flash(_("账号 %(name)s 已停用，不能再登录。", name=user.username), "success")
    else:
        form_or_fail(form)
        user.is_enabled = True
        audit.record("user.activate", "user", user.id, {"username": user.username})
        flash(_("账号 %(name)s 已恢复。", name=user.username), "success")
    db.session.commit()
    return redirect(url_for("accounts.index"), 303)


@bp.route("/passwords/<held_id>")
@staff_required
def password(held_id: str):
    """The one-time password just made, for this staff member's browser until noted."""
    data = held.read(HELD_KIND, held_id)
    html = render_template("core/account_password.html", data=data, held_id=held_id, back=url_for("accounts.index"))
    return held.page(html)
