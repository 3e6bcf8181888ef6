"""Registers the deliberation package: its blueprints and commands, its navigation, its
staff dashboard card and its part of the demo (``core.hooks``)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core import hooks
from core.hooks import DemoSeeder, NavEntry, Page, Panel


def register(app: Flask) -> None:
    from deliberation import demo, services
    from deliberation.cli import meeting_cli
    from deliberation.staff import bp as staff_bp
    from deliberation.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.cli.add_command(meeting_cli)

    registry = hooks.registry(app)
    registry.add_nav(
        NavEntry(_l("议事会议"), "deliberation.index", order=40),
        NavEntry(_l("意见办理"), "deliberation_staff.unit", hooks.lead_units, order=140),
    )
    registry.add_panel(Page.DASHBOARD, Panel("deliberation/_dashboard.html", services.dashboard_items, order=40))
    registry.add_demo(DemoSeeder("deliberation", lambda run: demo.seed_demo(run.today), order=20))
