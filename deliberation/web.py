"""Registers this package's blueprints, error handler, template helpers and commands."""

from flask import Flask


def register(app: Flask) -> None:
    from deliberation import services
    from deliberation.cli import meeting_cli
    from deliberation.staff import bp as staff_bp
    from deliberation.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.cli.add_command(meeting_cli)

    # For the staff dashboard: {% include "deliberation/_dashboard.html" %} needs nothing else.
    app.add_template_global(services.dashboard_items, "deliberation_dashboard_items")
