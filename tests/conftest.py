"""Fixtures: the app on SQLite and, when ``YISHI_TEST_POSTGRES_URL`` is set, again
on PostgreSQL. The schema is made by the migrations once per backend; each test
gets a fresh copy (SQLite) or emptied tables (PostgreSQL)."""

from __future__ import annotations

import contextvars
import os
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import create_app
from config import _database_url
from core.models import Role
from extensions import db
from tests.factories import FAST_HASH, login, make_user

PG_ENV = "YISHI_TEST_POSTGRES_URL"


def base_config(tmp: Path, url: str) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp / "instance"),
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "YISHI_KEY_ENCRYPTION_KEY": "test-kek-" + uuid.uuid4().hex,
        "YISHI_PASSWORD_METHOD": FAST_HASH,
        "YISHI_INITIAL_PASSWORD_METHOD": FAST_HASH,
        "YISHI_UPLOAD_DIR": str(tmp / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "YISHI_LOGIN_LIMIT": "10000 per minute",  # tests that check limits lower it
        "YISHI_LOGIN_ACCOUNT_LIMIT": "10000 per minute",
        "SERVER_NAME": "localhost",
        "YISHI_JOBS_INLINE": True,  # long work (core.jobs) in the request; tests/core/test_jobs.py uses threads
        # Every batch is appended at once: a cast answers as before batches; the batch
        # tests set real windows.
        "YISHI_BATCH_SECONDS": 0,
        "YISHI_BATCH_MIN": 1,
    }


def _migrate(tmp: Path, url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(tmp, url))
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


def _replace_db(url: str, name: str) -> str:
    head, _, tail = url.rpartition("/")
    query = ""
    if "?" in tail:
        tail, query = tail.split("?", 1)
        query = "?" + query
    return f"{head}/{name}{query}"


def new_postgres_database(prefix: str):
    """A new, empty PostgreSQL database named ``<prefix>_<random>``, created through the
    ``postgres`` database of ``YISHI_TEST_POSTGRES_URL``: (name, url, admin engine for
    dropping it). Skips when the variable is unset, and fails instead under ``CI``."""
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} must be set in CI")
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    base = _database_url(base, "")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_replace_db(base, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return name, _replace_db(base, name), admin


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    """A migrated template database for each backend."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        path = tmp / "template.sqlite3"
        _migrate(tmp, f"sqlite:///{path}")
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        yield {"kind": "sqlite", "template": path}
        return
    name, url, admin = new_postgres_database("yishi_test")
    with admin.connect() as conn:
        # Tests need no durability across a power cut; the crash tests use their own
        # databases with the server's defaults.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    _migrate(tmp, url)
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            )
        ]
        sequences = [
            r[0] for r in conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
        ]
    engine.dispose()
    backend_info = {"kind": "postgresql", "url": url, "tables": tables, "sequences": sequences}
    yield backend_info
    with admin.connect() as conn:
        for extra in backend_info.get("cleanup", []):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{extra}" WITH (FORCE)'))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_url(backend, tmp_path: Path) -> str:
    """A fresh database for one test, from the backend's template."""
    if backend["kind"] == "sqlite":
        # On tmpfs when there is one: SQLite's FULL sync then costs no disk flush.
        folder = Path("/dev/shm") if Path("/dev/shm").is_dir() else tmp_path
        path = folder / f"yishi-test-{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(backend["template"], path)
        _SQLITE_FILES.append(path)
        return f"sqlite:///{path}"
    engine = create_engine(backend["url"])
    with engine.begin() as conn:
        # Emptying with DELETE is much cheaper than TRUNCATE for small tables; the
        # replica role skips foreign-key and audit-log triggers while emptying.
        conn.execute(text("SET session_replication_role = replica"))
        for table in backend["tables"]:
            conn.execute(text(f'DELETE FROM "{table}"'))
        for sequence in backend["sequences"]:
            conn.execute(text(f"SELECT setval('\"{sequence}\"', 1, false)"))
    engine.dispose()
    return backend["url"]


_SQLITE_FILES: list[Path] = []


def _pg_second_database(backend, suffix: str = "b") -> str:
    """A second, empty, migrated PostgreSQL database for tests that need two (the
    backup test restores into it); ``suffix="m"`` is the one ``module_app`` uses. Made
    once per worker and emptied on each call; dropped at the end of the session."""
    databases = backend.setdefault("extra", {})
    if suffix not in databases:
        name = backend["url"].rsplit("/", 1)[1] + "_" + suffix
        admin = create_engine(_replace_db(backend["url"], "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        databases[suffix] = _replace_db(backend["url"], name)
        import tempfile

        _migrate(Path(tempfile.mkdtemp()), databases[suffix])
        backend.setdefault("cleanup", []).append(name)
    engine = create_engine(databases[suffix])
    with engine.begin() as conn:
        conn.execute(text("SET session_replication_role = replica"))
        for table in backend["tables"]:
            conn.execute(text(f'DELETE FROM "{table}"'))
    engine.dispose()
    return databases[suffix]


@pytest.fixture(autouse=True)
def _remove_sqlite_files():
    yield
    while _SQLITE_FILES:
        path = _SQLITE_FILES.pop()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


class Client(FlaskClient):
    """A test client that sends each request the way a server receives it.

    The request runs in a new, empty ``contextvars.Context``: no app context, request
    context, ``g``, login cache or database session of the test is visible to it, so a
    request that reaches for one it does not push itself fails here as it would under
    gunicorn (a streamed body, for one, is read after the request's context is gone).
    The test's own session is committed first, so it holds no transaction or connection
    open around the request, and it reads what the request stored afterwards.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        if has_app_context():  # false in worker threads of concurrency tests
            db.session.commit()  # ends its transaction and gives back its connection
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(backend, tmp_path):
    app = create_app(base_config(tmp_path, database_url(backend, tmp_path)))
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def staff(app):
    return make_user("staff1", Role.staff.value)


@pytest.fixture
def staff_client(client, staff):
    response = login(client, "staff1")
    assert response.status_code == 302
    return client


@pytest.fixture(scope="module")
def module_app(backend, tmp_path_factory):
    """One app and database for a whole test module, for a staged scenario
    (``tests/stages.py``): its stages build on one another through a module-scoped
    fixture. The database is its own (a copy of the SQLite template, or the worker's
    ``_m`` PostgreSQL database emptied), so the module's ordinary tests, on ``app``,
    may run between the stages. Its app context stays pushed until the module ends."""
    tmp = tmp_path_factory.mktemp("module")
    path = None
    if backend["kind"] == "sqlite":
        folder = Path("/dev/shm") if Path("/dev/shm").is_dir() else tmp
        path = folder / f"yishi-module-{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(backend["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = _pg_second_database(backend, "m")
    app = create_app(base_config(tmp, url))
    app.test_client_class = Client
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
