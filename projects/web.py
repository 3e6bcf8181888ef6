"""Registers the projects package: its blueprint and commands, its navigation, its staff
dashboard card and its part of the demo (``core.hooks``)."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from core import hooks
from core.hooks import DemoSeeder, NavEntry, Page, Panel


def register(app: Flask) -> None:
    """Register the livelihood-project pages, exports and commands."""
    from projects import (
        demo,
        models,  # noqa: F401  (register the tables)
        review,  # noqa: F401  (review and tracking of suggestions, same blueprint)
        staff,  # noqa: F401  (staff routes on the same blueprint)
    )
    from projects.cli import projects_cli
    from projects.views import bp, dashboard_context

    app.register_blueprint(bp)
    app.cli.add_command(projects_cli)
    # A project vote's draft deleted on the poll's staff page takes its project lines along.
    from projects.services.votes import unlink_draft
    from voting.services import on_draft_delete

    on_draft_delete(app, unlink_draft)

    registry = hooks.registry(app)
    registry.add_nav(NavEntry(_l("民生实事"), "projects.index", order=10))
    registry.add_panel(Page.DASHBOARD, Panel("projects/_dashboard.html", dashboard_context, order=20))
    registry.add_demo(DemoSeeder("projects", demo.seed, order=10))
