"""Issue 15, sessions and logins: a stolen session cookie ends with a logout, a password
change or reset and a deactivation; an account that must change its password can do
nothing else, on pages and the API alike; login guesses are limited per account as well
as per address; a production start refuses per-process rate-limit counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from core.models import User
from extensions import db
from tests.conftest import base_config, database_url
from tests.factories import PASSWORD, csrf_from, csrf_token, login, make_congress, make_user
from tests.voting.factories import approval_poll, check_in_all, deputy_client
from voting.protocol.client import SecretVoter, named_ballot

ROOT = Path(__file__).resolve().parents[2]


def thief_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie, as saved by an attacker."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session", domain="localhost").value, domain="localhost")
    return thief


def token_request(client, poll, csrf: str):
    voter = SecretVoter(poll.manifest)
    return client.post(f"/api/polls/{poll.public_id}/tokens", json=voter.token_request(), headers={"X-CSRFToken": csrf})


def test_a_stolen_session_ends_when_staff_reset_the_password(app, staff):
    """The attack: staff reset D013's password; the attacker's old cookie still took a
    ballot token (200). Now the cookie is not logged in: /me sends it to the login page
    and the token call answers 401."""
    congress, session = make_congress(13)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    deputy = deputy_client(app, "D013")
    csrf = csrf_from(deputy.get(f"/polls/{poll.public_id}/vote").get_data(as_text=True))
    thief = thief_of(app, deputy)
    assert thief.get("/me").status_code == 200  # the copy works, as a stolen cookie does

    staff_client = app.test_client()
    login(staff_client, "staff1")
    d013 = congress.deputies[12]
    token = csrf_token(staff_client, f"/congresses/{congress.id}")
    assert staff_client.post(f"/deputies/{d013.id}/password", data={"csrf_token": token}).status_code == 303

    response = token_request(thief, poll, csrf)
    assert (response.status_code, response.get_json().get("error")) == (401, "login_required")
    assert thief.get("/me").headers["Location"].startswith("/login")


def test_a_cookie_saved_before_logout_does_not_open_me_after_it(app):
    make_congress(2)
    deputy = deputy_client(app, "D001")
    saved = thief_of(app, deputy)
    deputy.post("/logout", data={"csrf_token": csrf_token(deputy, "/me")})
    assert saved.get("/me").headers["Location"].startswith("/login")
    assert deputy.get("/me").headers["Location"].startswith("/login")


def test_a_password_change_logs_out_the_other_devices_and_keeps_this_one(app):
    make_congress(2)
    deputy = deputy_client(app, "D001")
    other = thief_of(app, deputy)
    token = csrf_token(deputy, "/password")
    new = "a-new-secret-of-mine"
    response = deputy.post("/password", data={"current": PASSWORD, "new": new, "confirm": new, "csrf_token": token})
    assert response.status_code == 302
    assert deputy.get("/me").status_code == 200
    assert other.get("/me").headers["Location"].startswith("/login")


def test_deactivating_a_deputy_ends_their_sessions(app, staff_client):
    congress, _ = make_congress(2)
    deputy = deputy_client(app, "D001")
    token = csrf_token(staff_client, f"/congresses/{congress.id}")
    staff_client.post(f"/deputies/{congress.deputies[0].id}/active", data={"csrf_token": token})
    assert deputy.get("/me").headers["Location"].startswith("/login")
    # Made active again, the old cookie stays logged out: the session version moved on.
    staff_client.post(f"/deputies/{congress.deputies[0].id}/active", data={"csrf_token": token})
    assert deputy.get("/me").headers["Location"].startswith("/login")


def test_logout_of_the_other_devices_keeps_this_one(app):
    make_congress(2)
    deputy = deputy_client(app, "D001")
    other = thief_of(app, deputy)
    page = deputy.get("/password").get_data(as_text=True)
    assert "退出其他设备上的登录" in page
    response = deputy.post("/logout/others", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert "其他设备上的登录已全部退出" in deputy.get("/password").get_data(as_text=True)
    assert deputy.get("/me").status_code == 200
    assert other.get("/me").headers["Location"].startswith("/login")


def test_end_sessions_logs_every_device_out(app):
    """``core.auth.end_sessions(user)``, the switch the staff pages call (the caller commits)."""
    from core.auth import end_sessions

    make_congress(1)
    first, second = deputy_client(app, "D001"), deputy_client(app, "D001")
    end_sessions(db.session.scalar(select(User).where(User.username == "D001")))
    db.session.commit()
    for client in (first, second):
        assert client.get("/me").headers["Location"].startswith("/login")
    assert deputy_client(app, "D001").get("/me").status_code == 200  # a new login works


def test_an_account_that_must_change_its_password_can_do_nothing_else(app):
    """The attack: /api/ skipped the forced password change, so a reset account's old
    password holder (or whoever got the initial password) could take a token and cast a
    named ballot. Now pages redirect to /password and the API answers 403."""
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    secret = approval_poll(session, options=2, seats=1)
    named = approval_poll(session, public_id="2027-test-named", options=2, seats=1, secrecy="named")
    user = congress.deputies[0].user
    user.must_change_password = True
    db.session.commit()
    client = app.test_client()
    assert login(client, "D001").headers["Location"].endswith("/password")
    for url in ("/", "/me", f"/polls/{secret.public_id}/vote", "/polls"):
        assert client.get(url).headers["Location"].endswith("/password"), url
    csrf = csrf_token(client, "/password")
    response = token_request(client, secret, csrf)
    assert (response.status_code, response.get_json()["error"]) == (403, "password_change_required")
    assert "修改初始密码" in response.get_json()["message"]
    response = client.post(
        f"/api/polls/{named.public_id}/ballots",
        json=named_ballot(named.manifest, "D001", {"p01": "yes", "p02": "no"}),
        headers={"X-CSRFToken": csrf},
    )
    assert (response.status_code, response.get_json()["error"]) == (403, "password_change_required")
    client.get("/lang/en")
    english = client.get("/api/polls")
    assert english.status_code == 403 and english.get_json()["error"] == "password_change_required"
    assert english.get_json()["message"] == "Change your initial password first; nothing else can be done before."
    from voting.models import Ballot

    assert db.session.scalar(select(Ballot.id).limit(1)) is None


def _login_as(client, username: str, password: str, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return login(client, username, password)


def test_login_guesses_are_limited_per_account_from_any_address(app):
    """The attack: 40 wrong logins from changing addresses; each address stayed under its
    limit. Now the account's own count stops them, however the name is spelled."""
    app.config["YISHI_LOGIN_ACCOUNT_LIMIT"] = "3 per minute"
    name = "acct" + uuid.uuid4().hex[:8]  # the count is the process's: a name of this test alone
    make_user(name)
    spellings = [name, f"  {name.upper()} ", "".join(chr(ord(c) + 0xFEE0) for c in name)]  # full-width
    statuses = [_login_as(app.test_client(), spellings[i % 3], "wrong", f"10.9.{i}.{i}").status_code for i in range(6)]
    assert statuses == [401, 401, 401, 429, 429, 429]
    # Another account is not affected.
    other = "acct" + uuid.uuid4().hex[:8]
    make_user(other)
    assert _login_as(app.test_client(), other, PASSWORD, "10.9.9.9").status_code == 302


def test_successful_logins_do_not_use_up_the_accounts_allowance(app):
    app.config["YISHI_LOGIN_ACCOUNT_LIMIT"] = "2 per minute"
    name = "acct" + uuid.uuid4().hex[:8]
    make_user(name)
    statuses = [_login_as(app.test_client(), name, PASSWORD, f"10.8.0.{i}").status_code for i in range(5)]
    assert statuses == [302] * 5


def test_login_guesses_per_account_are_counted_across_workers(backend, tmp_path):
    """Two app instances (two gunicorn workers) on one Redis: 4 refused logins per account
    in all, whichever worker and address each guess reaches."""
    redis_url = os.environ.get("YISHI_TEST_REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("YISHI_TEST_REDIS_URL must be set in CI")
        pytest.skip("set YISHI_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to test shared rate limits")
    config = dict(
        base_config(tmp_path, database_url(backend, tmp_path)),
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        YISHI_LOGIN_ACCOUNT_LIMIT="4 per minute",
    )
    apps = [create_app(config), create_app(config)]
    statuses = []
    try:
        for i in range(10):
            with apps[i % 2].app_context():
                statuses.append(_login_as(apps[i % 2].test_client(), "D013", "guess", f"10.7.{i}.1").status_code)
    finally:
        for one in apps:
            with one.app_context():
                db.engine.dispose()
    assert statuses == [401] * 4 + [429] * 6


# --- A production start ----------------------------------------------------------------


def _config(tmp_path: Path, **extra) -> dict:
    return dict(base_config(tmp_path, f"sqlite:///{tmp_path / 'prod.sqlite3'}"), **extra)


@pytest.mark.parametrize("extra", [{"YISHI_HTTPS": True}, {"YISHI_WORKERS": 2}], ids=["https", "two-workers"])
def test_production_refuses_rate_limit_counts_in_memory(tmp_path, extra):
    with pytest.raises(RuntimeError, match=r"YISHI_RATELIMIT_STORAGE.*redis://"):
        create_app(_config(tmp_path, **extra))


def test_web_concurrency_counts_as_several_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    with pytest.raises(RuntimeError, match="4 workers"):
        create_app(_config(tmp_path))
    # With Redis it starts (nothing connects until a limit is counted).
    create_app(_config(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15"))
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    create_app(_config(tmp_path))  # one process, plain HTTP: memory:// is fine


@pytest.mark.slow
def test_gunicorn_with_two_workers_and_memory_counts_does_not_start(tmp_path):
    """The attack's setting (gunicorn -w 2, the default memory://): the workers refuse to
    boot and gunicorn exits, saying what to set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YISHI_", "WEB_CONCURRENCY"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'g.sqlite3'}",
        YISHI_INSTANCE_PATH=str(tmp_path / "instance"),
        YISHI_RATELIMIT_STORAGE="memory://",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "-b",
                "127.0.0.1:0",
                "--no-control-socket",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the master and its workers
            process.wait()
            pytest.fail("gunicorn -w 2 started with memory:// rate limits")
    assert returncode != 0
    output = log.read_text(errors="replace")
    assert "YISHI_RATELIMIT_STORAGE" in output and "2 workers" in output


def test_the_bench_insert_cannot_be_enabled_on_the_site(tmp_path, monkeypatch):
    """``/_bench/insert`` was an unauthenticated insert with YISHI_BENCH=1. The site has no
    benchmark route whatever the environment says; the benchmarks' baseline app (a
    separate program) refuses a production start."""
    monkeypatch.setenv("YISHI_BENCH", "1")
    app = create_app(_config(tmp_path))
    rules = [rule.rule for rule in app.url_map.iter_rules()]
    assert not [r for r in rules if "bench" in r or r.endswith("/insert")]
    from bench import baseline_app

    monkeypatch.setenv("YISHI_HTTPS", "1")
    with pytest.raises(RuntimeError, match="YISHI_HTTPS"):
        baseline_app.create_app()
