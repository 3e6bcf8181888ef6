"""Registers the voting package: the JSON API and the pages, its navigation, its panels
on the shared pages (``core.hooks``), the ballot page's strings and its commands."""

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import hooks, jobs
from core.hooks import NavEntry, Page, Panel


def register(app: Flask) -> None:
    from voting import (
        services,
        staff,  # noqa: F401  (staff routes on the pages' blueprint)
    )
    from voting.api import bp as api_bp
    from voting.ballot_i18n import ballot_i18n
    from voting.cli import poll_cli
    from voting.hall import bp as hall_bp
    from voting.paper import bp as paper_bp
    from voting.scrutineers import bp as scrutiny_bp
    from voting.services import paper as paper_service
    from voting.services import scrutineers
    from voting.services.batches import batched
    from voting.staff import run_close_job
    from voting.views import bp as pages_bp
    from voting.views import run_slips_job

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(scrutiny_bp)
    app.register_blueprint(hall_bp)
    app.register_blueprint(paper_bp)
    services.on_draft_delete(app, scrutineers.forget_draft)
    jobs.register("poll_close", lambda: _("结束投票并计票"), run_close_job)
    jobs.register("code_slips", lambda: _("画一次性码的二维码纸条"), run_slips_job)
    app.cli.add_command(poll_cli)

    registry = hooks.registry(app)
    registry.add_nav(
        NavEntry(_l("票决结果"), "voting.results_index", order=20),
        NavEntry(_l("如何核验"), "voting.verify_help", order=50),
    )
    registry.add_panel(Page.HOME, Panel("voting/_home.html", lambda: {"polls": services.public_polls(limit=10)}))
    registry.add_panel(
        Page.DASHBOARD, Panel("voting/_dashboard.html", lambda: {"polls": services.staff_poll_overview()}, order=10)
    )
    registry.add_panel(
        Page.DEPUTY_HOME,
        Panel("voting/_deputy_home.html", lambda: {"polls": services.deputy_polls(current_user.deputy)}),
    )
    # (rev 5) the polls in which the deputy is a scrutineer, and the scrutineers of a
    # poll as every poll page shows them (names, fingerprints, signatures).
    registry.add_panel(
        Page.DEPUTY_HOME,
        Panel(
            "voting/_deputy_scrutineer.html",
            lambda: {"scrutinized": scrutineers.scrutinized_polls(current_user.deputy)},
            order=15,
        ),
    )
    registry.add_template_global("poll_scrutiny", scrutineers.scrutiny)
    registry.add_template_global("paper_polls", paper_service.open_paper_polls)
    # The ballot page's translated strings, read by static/js/ballot.js.
    registry.add_template_global("ballot_i18n", ballot_i18n)
    # Whether a poll's casts wait for their batch (the ballot page says so meanwhile).
    registry.add_template_global("poll_batched", batched)
