"""Security headers, CSRF on every state change, rate limits shared across processes."""

import os
import uuid

import pytest

from app import create_app
from tests.conftest import base_config
from tests.factories import PASSWORD, csrf_token, login, make_congress


def test_security_headers_on_every_page(client):
    for url in ("/", "/login", "/polls", "/no-such-page"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP in tests


def test_https_sends_hsts_and_secure_cookies(backend, tmp_path):
    from tests.conftest import database_url

    app = create_app(
        dict(
            base_config(tmp_path, database_url(backend, tmp_path)),
            YISHI_HTTPS=True,
            SESSION_COOKIE_SECURE=True,
            # A production app refuses memory:// (tests/core/test_login_sessions.py); no limit is hit here.
            RATELIMIT_STORAGE_URI=os.environ.get("YISHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        )
    )
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert "Secure" in response.headers["Set-Cookie"]
    # Plain HTTP is redirected to HTTPS.
    assert client.get("/login", base_url="http://localhost").status_code in (301, 302)
    _dispose(app)


def _dispose(*apps):
    from extensions import db

    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_no_inline_script_in_pages(client):
    import re

    for url in ("/", "/login", "/polls", "/verify"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert " style=" not in html and " onclick=" not in html


def test_every_state_change_needs_csrf(app, staff_client):
    """Every POST route of the site, as a logged-in staff member without the token: 400.
    The cast call alone is exempt (it reads no cookie; a named cast checks the CSRF
    header itself, tests/voting/test_modes_and_staff.py), and the token call needs the
    header (below)."""
    from flask import url_for
    from werkzeug.routing.converters import IntegerConverter

    congress, session = make_congress(2)
    deputy = congress.deputies[0]
    values = {"poll_id": "p", "held_id": "h", "secret": "s", "code": "zh"}
    posts = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "voting_api.ballots":
            continue
        args = {
            name: 1 if isinstance(rule._converters[name], IntegerConverter) else values[name] for name in rule.arguments
        }
        with app.test_request_context():
            posts.append(url_for(rule.endpoint, **args))
    assert len(posts) > 70
    for url in [*posts, f"/deputies/{deputy.id}/active", f"/sessions/{session.id}/checkin"]:
        response = staff_client.post(url, data={"name": "x", "code": "D001"})
        assert response.status_code == 400, url
        assert "CSRF" in response.get_data(as_text=True) or response.get_json()["error"] == "csrf_failed", url
    assert deputy.active


def test_token_call_needs_the_csrf_header(app):
    from tests.voting.factories import approval_poll, check_in_all, deputy_client

    congress, session = make_congress(1)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    client = deputy_client(app, "D001")
    response = client.post(f"/api/polls/{poll.public_id}/tokens", json={"blinded_msg": "AA"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"


def test_rate_limits_are_shared_across_processes(backend, tmp_path):
    """Two app instances (as two gunicorn workers or servers) share one Redis count."""
    redis_url = os.environ.get("YISHI_TEST_REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("YISHI_TEST_REDIS_URL must be set in CI")
        pytest.skip("set YISHI_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to test shared rate limits")
    from tests.conftest import database_url

    url = database_url(backend, tmp_path)
    config = dict(
        base_config(tmp_path, url),
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        YISHI_LOGIN_LIMIT="4 per minute",
    )
    first, second = create_app(config), create_app(config)
    a, b = first.test_client(), second.test_client()
    # One client address for this test alone, so other tests' counts do not mix in.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    a.environ_base["REMOTE_ADDR"] = b.environ_base["REMOTE_ADDR"] = address
    with first.app_context():
        statuses = [login(a, "nobody", "x").status_code for _ in range(4)]
    assert statuses == [401] * 4
    with second.app_context():
        response = login(b, "nobody", PASSWORD)
    assert response.status_code == 429
    assert "请求过于频繁" in response.get_data(as_text=True)
    _dispose(first, second)


def test_secrets_never_appear_in_pages_or_errors(app, staff_client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    secret = app.config["SECRET_KEY"]
    kek = app.config["YISHI_KEY_ENCRYPTION_KEY"]
    pages = [staff_client.get(u).get_data(as_text=True) for u in ("/dashboard", "/audit", "/staff/polls", "/nope")]
    token = csrf_token(staff_client, "/dashboard")
    pages.append(
        staff_client.post(
            "/password", data={"current": PASSWORD, "new": "x", "confirm": "y", "csrf_token": token}
        ).get_data(as_text=True)
    )
    for text in pages + [caplog.text]:
        assert secret not in text and kek not in text and PASSWORD not in text


def test_instance_secrets_are_made_owner_only(backend, tmp_path, monkeypatch):
    """Without YISHI_SECRET_KEY and YISHI_KEY_ENCRYPTION_KEY in the environment, the first
    process makes both in instance/, random and readable by the owner only."""
    from tests.conftest import database_url

    monkeypatch.delenv("YISHI_SECRET_KEY", raising=False)
    monkeypatch.delenv("YISHI_KEY_ENCRYPTION_KEY", raising=False)
    app = create_app(base_config(tmp_path, database_url(backend, tmp_path)))
    folder = tmp_path / "instance"
    values = []
    for name in ("secret_key", "key_encryption_key"):
        path = folder / name
        assert oct(path.stat().st_mode & 0o777) == "0o600", name
        values.append(path.read_text().strip())
    assert len(set(values)) == 2 and all(len(v) >= 43 for v in values)
    _dispose(app)
