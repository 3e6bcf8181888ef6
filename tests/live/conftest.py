"""The live suite's server: gunicorn on the demo data, once on SQLite and once on
PostgreSQL (a database of its own, created through the ``postgres`` database of
``YISHI_TEST_POSTGRES_URL`` and dropped at the end)."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from config import _database_url
from tests.conftest import PG_ENV, _replace_db
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
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} must be set in CI")
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    name = f"yishi_live_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_replace_db(_database_url(base, ""), "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    running = None
    try:
        running = server.start(instance, _replace_db(base, name))
        yield running
    finally:
        if running is not None:
            server.stop(running)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
