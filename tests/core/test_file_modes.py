"""Issue 15, files: the SQLite database, its -wal and -shm files, the key files of
instance/, uploads and backups are the owner's alone (0600, folders 0700) from their
first byte, whatever umask the shell had. The attack: the database and its WAL were
0644 (anyone on the machine could read every ballot and hash), and a backup became 0600
only after the whole dump was written."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from extensions import db
from tests.conftest import base_config


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """A shell's usual umask (022) around the test; the app's own is restored after."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_fresh_app_makes_its_database_keys_and_uploads_private(tmp_path, monkeypatch, loose_umask):
    from flask_migrate import upgrade

    for name in ("YISHI_SECRET_KEY", "YISHI_KEY_ENCRYPTION_KEY", "YISHI_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    database = tmp_path / "data" / "yishi.sqlite3"
    database.parent.mkdir()
    os.chmod(database.parent, 0o755)
    config = base_config(tmp_path, f"sqlite:///{database}")
    config["YISHI_UPLOAD_DIR"] = str(instance / "uploads")
    app = create_app(config)
    assert os.umask(0o077) == 0o077  # the app set it
    with app.app_context():
        upgrade(revision="heads")
        with db.engine.connect() as conn:  # the WAL and its index exist while connected
            conn.execute(text("SELECT 1"))
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert all(p.exists() for p in files)
            assert {str(p.name): mode(p) for p in files} == {p.name: 0o600 for p in files}
        from projects import progress

        stored = progress._store(progress.Photo(b"\xff\xd8\xff", "image/jpeg", "x.jpg"))
        photo = progress.upload_dir() / stored
        assert mode(photo) == 0o600 and mode(progress.upload_dir()) == 0o700
        db.engine.dispose()
    assert mode(instance) == 0o700
    for key in ("secret_key", "key_encryption_key"):
        assert mode(instance / key) == 0o600, key


def test_an_existing_readable_database_is_made_private_at_start(tmp_path, loose_umask):
    database = tmp_path / "old.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").write_bytes(b"")
        os.chmod(f"{database}{suffix}", 0o644)
    app = create_app(base_config(tmp_path, f"sqlite:///{database}"))
    for suffix in ("", "-wal", "-shm"):
        assert mode(Path(f"{database}{suffix}")) == 0o600, suffix
    with app.app_context():
        db.engine.dispose()


def test_a_backup_is_private_from_its_first_byte(app, runner, tmp_path, monkeypatch, loose_umask):
    """Checked while the dump is being written, over a file that was 0644 before."""
    from core import backup

    out = tmp_path / "backup.json.gz"
    out.write_bytes(b"an older dump")
    os.chmod(out, 0o644)
    seen = []
    real_dump = json.dump

    def watching_dump(data, fh, **kw):
        seen.append(mode(out))
        return real_dump(data, fh, **kw)

    monkeypatch.setattr(backup.json, "dump", watching_dump)
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert seen == [0o600] and mode(out) == 0o600
