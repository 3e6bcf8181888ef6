"""The live suite's server: gunicorn on the demo data, once on SQLite and once on
PostgreSQL (a database of its own, created through the ``postgres`` database of
``YISHI_TEST_POSTGRES_URL`` and dropped at the end)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import new_postgres_database
from tests.live import server


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path):
    """A running server on a fresh demo database; stopped (and the database dropped)
    at the end. ``site.log`` is gunicorn's output."""
    instance = tmp_path / "instance"
    if request.param == "sqlite":
        running = server.start(instance, f"sqlite:///{instance / 'yishi.sqlite3'}")
        try:
            yield running
        finally:
            server.stop(running)
        return
    name, url, admin = new_postgres_database("yishi_live")
    running = None
    try:
        running = server.start(instance, url)
        yield running
    finally:
        if running is not None:
            server.stop(running)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
