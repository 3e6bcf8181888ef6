"""Registers this package's blueprints and commands."""

from flask import Flask


def register(app: Flask) -> None:
    """Nothing registered yet."""
