"""Every setting the code reads has its default in config.py, read as ``config["…"]``."""

from __future__ import annotations

import re
from pathlib import Path

from app import create_app

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app.py", "core", "voting", "projects", "assessments", "deliberation")
READ = re.compile(r"""config(\.get\(|\[)\s*["'](YISHI_\w+)["']""")


def settings_read() -> dict[str, set[str]]:
    """YISHI_… key → how it is read (``[`` or ``.get(``), over the app's own modules."""
    found: dict[str, set[str]] = {}
    for name in PACKAGES:
        paths = [ROOT / name] if name.endswith(".py") else (ROOT / name).rglob("*.py")
        for path in paths:
            for how, key in READ.findall(path.read_text(encoding="utf-8")):
                found.setdefault(key, set()).add(how)
    return found


def bare_app(tmp_path):
    """The app with only what it needs to start: every setting at its default. (It
    never connects to the database.)"""
    return create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "SECRET_KEY": "test",
            "YISHI_KEY_ENCRYPTION_KEY": "test",
        }
    )


def test_every_setting_read_has_a_default_in_config(tmp_path, monkeypatch):
    read = settings_read()
    assert {"YISHI_SUGGEST_LIMIT", "YISHI_TODAY", "YISHI_MAX_PHOTO_BYTES", "YISHI_NOTICE_DAYS"} <= set(read)
    assert [key for key, how in read.items() if ".get(" in how] == []
    for key in read:
        monkeypatch.delenv(key, raising=False)
    app = bare_app(tmp_path)
    missing = [key for key in read if key not in app.config]
    assert missing == []
    assert app.config["YISHI_SUGGEST_LIMIT"] == "5 per minute; 30 per day"
    assert app.config["YISHI_MAX_PHOTO_BYTES"] == 5 * 1024 * 1024 and app.config["YISHI_TODAY"] is None


def test_the_new_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_SUGGEST_LIMIT", "1 per hour")
    monkeypatch.setenv("YISHI_MAX_PHOTO_BYTES", "2048")
    app = bare_app(tmp_path)
    assert app.config["YISHI_SUGGEST_LIMIT"] == "1 per hour" and app.config["YISHI_MAX_PHOTO_BYTES"] == 2048
