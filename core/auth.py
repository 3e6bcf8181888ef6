"""Login, logout and password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from core import audit, held
from core.forms import EmptyForm, LoginForm, PasswordForm, form_or_fail, form_status
from core.models import User
from core.passwords import check_password, hash_password
from extensions import db, limiter

bp = Blueprint("auth", __name__)

# Compared against when the account does not exist, so timing does not tell.
_DUMMY_HASH = "pbkdf2:sha256:20000$abcdefgh$" + "0" * 64

EXEMPT_ENDPOINTS = {"auth.logout", "auth.password", "static", "core.set_language", "core.favicon", "core.robots"}


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def end_sessions(user: User) -> None:
    """End every login session of ``user`` (after a password reset or deactivation).

    A placeholder that issue 15 fills in (a per-user session version); callers call it
    now so they need no change then. The caller commits."""


def home_for(user: User) -> str:
    if user.is_staff:
        return url_for("core.dashboard")
    if user.is_deputy:
        return url_for("core.deputy_home")
    return url_for("core.index")


@bp.before_app_request
def require_password_change():
    """A deputy with an initial password must change it before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in EXEMPT_ENDPOINTS
        and not request.path.startswith("/api/")
    ):
        return redirect(url_for("auth.password"))
    return None


def _login_limit():
    from flask import current_app

    return current_app.config["YISHI_LOGIN_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    refused = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        valid = check_password(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if user and valid and user.is_active:
            next_url = safe_next(request.args.get("next"))
            pending = held.carried()  # e.g. a meeting sign-up code made before logging in
            session.clear()  # a fresh session at login: no fixation
            held.keep(pending)
            login_user(user)
            audit.record("auth.login", "user", user.id, actor=user)
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("auth.password"))
            return redirect(next_url or home_for(user))
        flash(_("账号或密码错误，或账号已停用。"), "error")
        refused = 401
    return render_template("auth/login.html", form=form), form_status(form, refused)


@bp.route("/logout", methods=["POST"])
def logout():
    form_or_fail(EmptyForm())
    if current_user.is_authenticated:
        audit.record("auth.logout", "user", current_user.id)
        held.release_all()
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("您已退出登录。"), "info")
    return redirect(url_for("core.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not check_password(current_user.password_hash, form.current.data):
            form.current.errors.append(_("当前密码不正确。"))
        else:
            current_user.password_hash = hash_password(form.new.data)
            current_user.must_change_password = False
            audit.record("auth.password_changed", "user", current_user.id)
            db.session.commit()
            flash(_("密码已修改。"), "success")
            return redirect(home_for(current_user))
    return render_template("auth/password.html", form=form), form_status(form)
