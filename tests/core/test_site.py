"""Small things a visitor meets on every page: the icon, the login prompt in their
language, the site's name, English punctuation, and times in the configured zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from app import create_app
from core.models import AuditEntry
from extensions import db
from tests.conftest import base_config, database_url
from tests.deliberation.factories import make_meeting
from tests.factories import make_congress
from tests.voting.factories import approval_poll, cast, check_in_all, close, take_token

ROOT = Path(__file__).resolve().parents[2]
# Full-width punctuation (curly quotes “” are English typography too, so they may stay).
FULL_WIDTH = "：，。（）；、！？"
# Jinja tags, and the message ids inside them (translated, so they may hold anything).
JINJA_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.S)
MESSAGE_ID = re.compile(r"""_\(\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def english(client):
    assert client.get("/lang/en").status_code == 302
    return client


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00" and len(response.data) > 100
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").get_data(as_text=True)


def test_the_login_prompt_is_in_the_users_language(app, client):
    make_congress(1)
    page = client.get("/me", follow_redirects=True).get_data(as_text=True)
    assert "请先登录，再访问此页面。" in page and "Please log in" not in page
    english(client)
    page = client.get("/me", follow_redirects=True).get_data(as_text=True)
    assert "Please log in to access this page." in page


def test_the_site_is_called_yishi_once_in_english(client):
    english(client)
    page = client.get("/").get_data(as_text=True)
    assert '<span lang="zh-CN">议事</span> <small lang="en">Yishi</small>' in page
    assert "Yishi Yishi" not in re.sub(r"<[^>]+>", "", page)


def test_templates_put_no_full_width_punctuation_outside_messages():
    """Punctuation between template values goes through _() too (：→ ": "), so English
    pages show ASCII punctuation."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for i, part in enumerate(JINJA_TAG.split(path.read_text(encoding="utf-8"))):
            outside = part if i % 2 == 0 else MESSAGE_ID.sub("_(", part)
            found += [f"{path.relative_to(ROOT)}: {c}" for c in outside if c in FULL_WIDTH]
    assert not found, found[:10]


def test_the_english_catalogue_uses_ascii_punctuation():
    with open(ROOT / "translations/en/LC_MESSAGES/messages.po", "rb") as fh:
        catalogue = read_po(fh)
    wrong = [m.id for m in catalogue if m.id and m.string and any(c in str(m.string) for c in FULL_WIDTH)]
    assert not wrong, wrong[:5]
    missing = [m.id for m in catalogue if m.id and not m.string]
    assert not missing, missing[:5]


def closed_poll(app):
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    voter = take_token(app, poll, "D001")
    assert cast(app, poll, voter.ballot({"p01": "yes", "p02": "no"})).status_code == 201
    close(poll)
    db.session.commit()
    return poll


def beijing(iso: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime(fmt)


def test_results_page_in_english_reads_as_english(app, client):
    poll = closed_poll(app)
    english(client)
    page = client.get(f"/polls/{poll.public_id}").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", " ", page)
    assert "Vote fingerprint: " in text
    assert not [c for c in text if c in FULL_WIDTH], "full-width punctuation on an English page"


def test_times_are_shown_in_beijing_time_and_say_so(app, client):
    poll = closed_poll(app)
    view = client.get(f"/polls/{poll.public_id}/results.json").get_json()
    page = client.get(f"/polls/{poll.public_id}").get_data(as_text=True)
    assert f"{beijing(view['opened_at'])} – {beijing(view['closed_at'])}（北京时间）" in page
    assert beijing(view["opened_at"], "%Y-%m-%d") in client.get("/polls").get_data(as_text=True)
    english(client)
    page = client.get(f"/polls/{poll.public_id}").get_data(as_text=True)
    assert f"{beijing(view['closed_at'])} (Beijing time)" in page
    # A meeting's deadline, and the audit log of staff.
    meeting = make_meeting()
    deadline = meeting.signup_deadline.replace(tzinfo=UTC).isoformat()
    notice = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f"{beijing(deadline)} (Beijing time)" in notice


def test_another_zone_is_named_by_its_name(app, staff_client):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Urumqi"
    page = staff_client.get("/audit").get_data(as_text=True)
    assert "时间（Asia/Urumqi, UTC+06:00）" in page
    entry = db.session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
    shown = entry.at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Urumqi")).strftime("%Y-%m-%d %H:%M:%S")
    assert f">{shown}</td>" in page


def test_the_zone_comes_from_yishi_timezone_and_a_wrong_one_stops_the_start(backend, tmp_path, monkeypatch):
    config = base_config(tmp_path, database_url(backend, tmp_path))
    monkeypatch.setenv("YISHI_TIMEZONE", "Asia/Urumqi")
    app = create_app(config)
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Urumqi"
    with app.app_context():
        db.engine.dispose()
    monkeypatch.setenv("YISHI_TIMEZONE", "Nowhere/Town")
    with pytest.raises(RuntimeError, match="YISHI_TIMEZONE"):
        create_app(config)
