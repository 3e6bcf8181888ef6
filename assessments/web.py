"""Registers this package's blueprint, commands and the staff dashboard's context."""

from flask import Flask


def register(app: Flask) -> None:
    """The assessment pages, the ``flask assessment`` commands, and
    ``assessments_dashboard()`` for ``templates/assessments/_dashboard.html``."""
    from assessments import (
        models,  # noqa: F401  (register the tables)
        staff,  # noqa: F401  (staff routes on the same blueprint)
        suggestion_views,  # noqa: F401  (deputies' suggestions, on the same blueprint)
    )
    from assessments.cli import assessment_cli
    from assessments.views import bp, dashboard_context

    app.register_blueprint(bp)
    app.cli.add_command(assessment_cli)

    @app.context_processor
    def inject_dashboard():
        # A function, so the queries run only on the page that includes the partial.
        return {"assessments_dashboard": dashboard_context}
