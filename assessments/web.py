"""Registers the assessments package: its blueprint and commands, its navigation, its
staff dashboard card and its part of the demo (``core.hooks``)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core import hooks
from core.hooks import DemoSeeder, NavEntry, Page, Panel


def register(app: Flask) -> None:
    """The assessment pages and the ``flask assessment`` commands."""
    from assessments import (
        demo,  # noqa: F401
        models,  # noqa: F401  (register the tables)
        staff,  # noqa: F401  (staff routes on the same blueprint)
        suggestion_views,  # noqa: F401  (deputies' suggestions, on the same blueprint)
    )
    from assessments.cli import assessment_cli
    from assessments.views import bp, dashboard_context

    app.register_blueprint(bp)
    app.cli.add_command(assessment_cli)

    registry = hooks.registry(app)
    registry.add_nav(
        NavEntry(_l("满意度测评"), "assessments.index", order=30),
        NavEntry(_l("我的建议"), "assessments.my_suggestions", hooks.deputies, order=120),
        NavEntry(_l("代表建议办理"), "assessments.unit_suggestions", hooks.lead_units, order=130),
    )
    # A function, so the queries run only when the dashboard is shown.
    registry.add_panel(Page.DASHBOARD, Panel("assessments/_dashboard.html", dashboard_context, order=30))
    registry.add_demo(
        DemoSeeder("assessments", lambda run: demo.seed_demo(run.today), order=30, logins=demo.committee_logins)
    )
