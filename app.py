"""Yishi (议事): open livelihood-project votes, deliberative meetings and
satisfaction assessments for county and city people's congresses."""

from __future__ import annotations

import logging
import os

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_talisman import Talisman
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

import config
from core.i18n import select_locale
from core.routing import DatabaseIntConverter
from extensions import babel, csrf, db, limiter, login_manager, migrate

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL, foreign keys and FULL sync on every SQLite connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Yishi application; ``test_config`` overrides the configuration."""
    # Files the app makes (the database and its journals, keys, uploads, backups) are
    # the owner's alone, from their first byte (docs/security.md).
    os.umask(0o077)
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("YISHI_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance)
    os.makedirs(app.instance_path, exist_ok=True)
    config.load_config(app)
    if test_config:
        app.config.update(test_config)
    config.check_production(app)
    config.private_database_files(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["YISHI_PROXIES"]:
        # Behind N trusted proxies: the client's address (rate limits) and scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["YISHI_PROXIES"], x_proto=app.config["YISHI_PROXIES"])

    # Before any route is added: <int:…> is bounded by what the database can hold.
    app.url_map.converters["int"] = DatabaseIntConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flask-Login's own "Please log in to access this page.", in the user's language.
    login_manager.login_message = _l("请先登录，再访问此页面。")
    login_manager.localize_callback = str
    login_manager.session_protection = "strong"
    Talisman(
        app,
        force_https=app.config["YISHI_HTTPS"],
        session_cookie_secure=app.config["YISHI_HTTPS"],
        strict_transport_security=True,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="same-origin",
    )

    from assessments.web import register as register_assessments
    from core.web import register as register_core
    from deliberation.web import register as register_deliberation
    from projects.web import register as register_projects
    from voting.web import register as register_voting

    # Core first (it makes the registry of navigation, panels and demo seeders), then
    # the pillars, each adding its own through ``core.hooks.registry(app)``.
    register_core(app)
    register_voting(app)
    register_projects(app)
    register_assessments(app)
    register_deliberation(app)

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app
