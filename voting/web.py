"""Registers the voting package's blueprints: the JSON API and the pages."""

from flask import Flask


def register(app: Flask) -> None:
    from voting.api import bp as api_bp
    from voting.cli import poll_cli
    from voting.views import bp as pages_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    app.cli.add_command(poll_cli)
