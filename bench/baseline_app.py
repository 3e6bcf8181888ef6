"""The benchmarks' baselines as a separate minimal Flask app (issue 18): a bare answer
and one durable insert of a 300-byte row. Served by gunicorn with the same settings as
Yishi in the same run (``harness.baseline_server``), so that a ratio measures what Yishi
adds over Flask itself; Yishi's own app has no benchmark routes.

    DATABASE_URL=… gunicorn 'bench.baseline_app:create_app()'
"""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import Engine, create_engine, event, text

from config import _database_url

ROW = "x" * 300


def _sqlite_pragmas(dbapi_connection, connection_record):
    """The same durability as Yishi's SQLite connections (``app._sqlite_pragmas``)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def engine_for(url: str) -> Engine:
    engine = create_engine(_database_url(url, ""))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def create_table(engine: Engine) -> None:
    """The insert baseline's table (made before the server starts, not by its workers)."""
    key = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS bench_insert (id {key} PRIMARY KEY, payload TEXT NOT NULL)"))


def create_app() -> Flask:
    # An unauthenticated insert: for a benchmark machine only, never a production one.
    if os.environ.get("YISHI_HTTPS") == "1":
        raise RuntimeError("bench.baseline_app is a benchmark's baseline: it refuses to start with YISHI_HTTPS=1")
    app = Flask(__name__)
    engine = engine_for(os.environ["DATABASE_URL"])

    @app.get("/bare")
    def bare():
        return "ok"

    @app.post("/insert")
    def insert():
        with engine.begin() as conn:  # commits
            conn.execute(text("INSERT INTO bench_insert (payload) VALUES (:p)"), {"p": ROW})
        return "ok", 201

    return app
