"""Registers core: its blueprints, error pages, commands, template helpers, its own
navigation, dashboard cards and demo, and the one context processor of the site."""

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import hooks
from core.hooks import DemoSeeder, NavEntry, Page, Panel


def register(app: Flask) -> None:
    """Core first: the registry the pillars' ``register(app)`` add to is made here."""
    from core import accounts, demo, jobs, models, roster, thresholds, times, views  # noqa: F401  (models: register the tables)
    from core.auth import bp as auth_bp
    from core.auth import load_user
    from core.cli import register_cli
    from core.errors import register_error_handlers
    from core.i18n import select_locale
    from extensions import login_manager

    login_manager.user_loader(load_user)

    app.register_blueprint(views.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(jobs.bp)
    jobs.register("roster_import", lambda: _("导入代表名册"), roster.run_import_job)
    app.register_blueprint(accounts.bp)
    register_error_handlers(app)
    register_cli(app)

    registry = hooks.registry(app)
    # Every time shown to people: in the configured zone, with the zone named.
    registry.add_template_filter("local_time", times.local_time)
    registry.add_template_global("zone_name", times.zone_name)
    # Thresholds in one notation on every page (core/thresholds.py).
    registry.add_template_filter("pass_threshold", thresholds.pass_threshold)
    registry.add_template_filter("threshold_percent", thresholds.threshold_percent)
    registry.add_nav(
        NavEntry(_l("工作台"), "core.dashboard", hooks.staff, order=100),
        NavEntry(_l("我的"), "core.deputy_home", hooks.deputies, order=110),
    )
    registry.add_panel(Page.DASHBOARD, Panel("core/_dashboard_congresses.html", views.dashboard_congresses, order=0))
    registry.add_panel(Page.DASHBOARD, Panel("core/_dashboard_jobs.html", jobs.dashboard_context, order=990))
    registry.add_panel(Page.DASHBOARD, Panel("core/_dashboard_audit.html", order=1000))
    registry.add_demo(DemoSeeder("core", demo.seed_core, order=0, logins=demo.core_logins))

    @app.context_processor
    def inject_globals():
        return {
            "languages": app.config["YISHI_LANGUAGES"],
            "current_language": select_locale(),
            "current_user": current_user,
            # A function, so only a page that shows the navigation asks who is logged in.
            "nav_entries": lambda: registry.nav_for(current_user),
        }
