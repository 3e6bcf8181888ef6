"""Fixtures for the project cycle: a fixed day inside the 2027 call, lead units, the call."""

from __future__ import annotations

import pytest

from tests.projects.factories import TODAY, make_call, make_units


@pytest.fixture
def cycle_app(app):
    """The app on a fixed 'today' inside the 2027 call."""
    app.config["YISHI_TODAY"] = TODAY
    return app


@pytest.fixture
def units(cycle_app):
    return make_units()


@pytest.fixture
def call(cycle_app):
    return make_call()
