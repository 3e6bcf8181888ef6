"""Backup and restore of the whole database as one portable JSON file.

The dump holds every table of the schema in foreign-key order, so it restores into an
empty, migrated database on either backend (SQLite to PostgreSQL too). Poll keys stay
encrypted in it: keep the key-encryption key (YISHI_KEY_ENCRYPTION_KEY or
instance/key_encryption_key) apart from the dump. Published boards need no key.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
from pathlib import Path

from sqlalchemy import Date, DateTime, LargeBinary, func, inspect, select, text

from extensions import db

FORMAT = "yishi-backup/1"


def _encode(value):
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _decode(column, value):
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value["$b64"])
    if isinstance(column.type, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return dt.date.fromisoformat(value)
    return value


def _tables():
    return [t for t in db.metadata.sorted_tables]


def dump(path: Path, progress=None) -> dict[str, int]:
    """Write every row of every table to ``path`` (gzip-compressed JSON);
    ``progress(done, total)`` hears of the tables read (``core.jobs.cli_progress``)."""
    data = {
        "format": FORMAT,
        "alembic": db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all(),
        "tables": {},
    }
    counts = {}
    tables = _tables()
    for i, table in enumerate(tables):
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
        data["tables"][table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
        counts[table.name] = len(rows)
        if progress is not None:
            progress(i + 1, len(tables))
    # Readable by the owner alone from its first byte, whatever the umask, and an
    # existing file's mode is narrowed before anything is written to it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
    return counts


def require_schema() -> None:
    """Refuse (ValueError) a database the migrations have not made, or not all of."""
    present = set(inspect(db.engine).get_table_names())
    missing = [t.name for t in _tables() if t.name not in present]
    if missing:
        raise ValueError(
            f"the database has no Yishi schema (table {missing[0]} is missing): "
            "run `flask --app app db upgrade` first, then restore"
        )


def restore(path: Path, progress=None) -> dict[str, int]:
    """Load a dump into this (migrated, empty) database; the caller commits.
    ``progress(done, total)`` hears of the tables loaded."""
    data = _read_backup(path)
    require_schema()
    _require_revision(data)
    _require_empty()
    tables = _tables()
    counts = {}
    for i, table in enumerate(tables):
        counts[table.name] = _insert_rows(table, data["tables"].get(table.name, []))
        if progress is not None:
            progress(i + 1, len(tables))
    if db.engine.dialect.name == "postgresql":
        _advance_sequences(counts)
    return counts


def _read_backup(path: Path) -> dict:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a Yishi backup file ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a Yishi backup file")
    return data


def _require_revision(data: dict) -> None:
    """A backup loads only into a database at its own schema revision."""
    here = sorted(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    made_at = sorted(data.get("alembic") or [])
    if made_at != here:
        raise ValueError(
            f"the backup was made at schema revision {', '.join(made_at) or '?'} and this database is at "
            f"{', '.join(here)}: restore into a database upgraded to the backup's revision "
            f"(`flask --app app db upgrade {made_at[-1] if made_at else '<revision>'}`), then upgrade it"
        )


def _require_empty() -> None:
    for table in _tables():
        if db.session.scalar(select(func.count()).select_from(table)):
            raise ValueError(f"the database is not empty (table {table.name}); restore into a new database")


def _insert_rows(table, rows: list[dict]) -> int:
    columns = {c.name: c for c in table.columns}
    decoded = [{k: _decode(columns[k], v) for k, v in row.items() if k in columns} for row in rows]
    for start in range(0, len(decoded), 2000):
        db.session.execute(table.insert(), decoded[start : start + 2000])
    return len(rows)


def _advance_sequences(counts: dict[str, int]) -> None:
    """PostgreSQL's sequences carry on after the restored ids."""
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement and counts[table.name]:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                    f"(SELECT max({pk[0].name}) FROM {table.name}))"
                )
            )
