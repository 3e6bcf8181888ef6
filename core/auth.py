"""Login, logout and password change; the session version that ends sessions; the
login limits per address and per account."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from core import audit, held
from core.errors import error_response, wants_json
from core.forms import EmptyForm, LoginForm, PasswordForm, form_or_fail, form_status
from core.models import User
from core.passwords import check_password, hash_password
from extensions import db, limiter

bp = Blueprint("auth", __name__)

# Compared against when the account does not exist, so timing does not tell.
_DUMMY_HASH = "pbkdf2:sha256:20000$abcdefgh$" + "0" * 64

EXEMPT_ENDPOINTS = {"auth.logout", "auth.password", "static", "core.set_language", "core.favicon", "core.robots"}

# The session cookie's copy of ``User.session_version`` (see ``load_user``).
SESSION_VERSION_KEY = "_sv"


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the account of the session cookie, or None (not logged
    in) when the account is gone or inactive, or when the cookie's session version is not
    the account's: a logout, a password change or reset, or a deactivation has ended it."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.is_active or session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user``, on every device: each session cookie saved so far
    names an older session version and is no longer logged in. The caller commits.
    (A password change keeps its own session: ``keep_this_session`` after this.)"""
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


def keep_this_session(user: User) -> None:
    """After ``end_sessions``: this browser's session goes on under the new version."""
    session[SESSION_VERSION_KEY] = user.session_version


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


def home_for(user: User) -> str:
    if user.is_staff:
        return url_for("core.dashboard")
    if user.is_deputy:
        return url_for("core.deputy_home")
    return url_for("core.index")


@bp.before_app_request
def require_password_change():
    """An account with an initial (or reset) password must change it before anything
    else: pages answer with a redirect to the password page, the API (and any request
    that asks for JSON) with ``403 password_change_required``: no ballot token, no
    named ballot, nothing."""
    if current_user.is_authenticated and current_user.must_change_password and request.endpoint not in EXEMPT_ENDPOINTS:
        if wants_json():
            return error_response(403, _("请先修改初始密码，再进行其他操作。"), "password_change_required")
        return redirect(url_for("auth.password"))
    return None


def _login_limit():
    return current_app.config["YISHI_LOGIN_LIMIT"]


def _account_limit():
    return current_app.config["YISHI_LOGIN_ACCOUNT_LIMIT"]


def login_account_key() -> str:
    """The rate-limit key of a login attempt's account: the submitted username, stripped,
    NFKC-normalised and case-folded (so that "D013", " d013" and "Ｄ０１３" count as one),
    cut to the column's length."""
    name = unicodedata.normalize("NFKC", request.form.get("username", "")).strip().casefold()
    return "login-account:" + name[:64]


def _failed_login(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
# Per account, whichever addresses the guesses come from; only refused logins count,
# so the account's owner logging in does not use the allowance up.
@limiter.limit(_account_limit, methods=["POST"], key_func=login_account_key, deduct_when=_failed_login)
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
            session[SESSION_VERSION_KEY] = user.session_version
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
        # No session list is kept: a logout ends the account's sessions on every device,
        # so that a copy of this cookie saved before is worthless too.
        end_sessions(current_user)
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
            end_sessions(current_user)  # any other device (a stolen cookie) is logged out
            keep_this_session(current_user)
            audit.record("auth.password_changed", "user", current_user.id)
            db.session.commit()
            flash(_("密码已修改。"), "success")
            return redirect(home_for(current_user))
    return render_template("auth/password.html", form=form, others=EmptyForm()), form_status(form)


@bp.route("/logout/others", methods=["POST"])
@login_required
def logout_others():
    """退出其他设备: end every other session of the account, keep this one."""
    form_or_fail(EmptyForm())
    end_sessions(current_user)
    keep_this_session(current_user)
    audit.record("auth.logout_others", "user", current_user.id)
    db.session.commit()
    flash(_("其他设备上的登录已全部退出。"), "success")
    return redirect(url_for("auth.password"), 303)
