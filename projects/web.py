"""Registers this package's blueprint and commands."""

from flask import Flask


def register(app: Flask) -> None:
    """Register the livelihood-project pages, exports and commands."""
    from projects import (
        models,  # noqa: F401  (register the tables)
        staff,  # noqa: F401  (staff routes on the same blueprint)
    )
    from projects.cli import projects_cli
    from projects.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(projects_cli)
