"""kill -9 in the middle of casting, and in the middle of a close: every receipt
answered before the kill is on the final board, nothing is half-written, and the
poll goes on after a restart. Real gunicorn processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import harness
from tests.voting.factories import run_verifier

pytestmark = pytest.mark.slow

CHOICES = {"p01": "yes", "p02": "no", "p03": "abstain", "p04": "yes", "p05": "no"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    base = os.environ.get("YISHI_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("YISHI_TEST_POSTGRES_URL must be set in CI")
        pytest.skip("PostgreSQL crash test needs YISHI_TEST_POSTGRES_URL")
    name = f"yishi_crash_{uuid.uuid4().hex[:8]}"
    url = harness.fresh_postgres(base, name)
    yield url
    import psycopg

    with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_kill_9_while_casting(database, tmp_path):
    instance = tmp_path / "instance"
    public_id = harness.prepare(database, instance, deputies=60, options=5, seats=2)
    codes = harness.deputy_codes(database, instance, public_id)
    server = harness.Server(harness.environment(database, instance), workers=2).start()
    deputies = [harness.Deputy(server.port, code, public_id) for code in codes]
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda d: (d.login(), d.take_token()), deputies))
        answered: list[harness.Deputy] = []
        lock = threading.Lock()

        def vote(deputy):
            try:
                if deputy.cast(CHOICES) in (200, 201):
                    with lock:
                        answered.append(deputy)
            except OSError:
                pass  # the server died under this request: outcome unknown to the client

        def killer():
            while len(answered) < 20:
                time.sleep(0.005)
            server.kill()

        kill_thread = threading.Thread(target=killer)
        kill_thread.start()
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(vote, deputies))
        kill_thread.join()
        before_kill = {d.code: d.receipt for d in answered}
        assert 20 <= len(before_kill) < 60, "the kill must land in the middle of the casting"
    finally:
        server.stop()
    # Restart and let everyone without a receipt send the same ballot again.
    server = harness.Server(harness.environment(database, instance), workers=2).start()
    try:
        for deputy in deputies:
            deputy.reconnect(server.port)
            if deputy.receipt is None:
                assert deputy.cast(CHOICES) in (200, 201)
    finally:
        server.stop()
        for deputy in deputies:
            deputy.close()
    published = harness.close_and_board(database, instance, public_id, tmp_path / "board.json")
    assert len(published["ballots"]) == 60
    receipts = [d.receipt for d in deputies]
    ballots = [d.body["ballot"] for d in deputies]
    # Receipts answered before the kill are unchanged and still verify.
    assert all(before_kill[d.code] == d.receipt for d in deputies if d.code in before_kill)
    status, output = run_verifier(published, tmp_path, receipts, ballots)
    assert status == 0, output


def test_kill_9_during_close(database, tmp_path):
    instance = tmp_path / "instance"
    public_id = harness.prepare(database, instance, deputies=150, options=5, seats=2)
    codes = harness.deputy_codes(database, instance, public_id)
    server = harness.Server(harness.environment(database, instance), workers=2).start()
    try:
        deputies = [harness.Deputy(server.port, code, public_id) for code in codes]

        def vote(deputy):
            deputy.login()
            deputy.take_token()
            assert deputy.cast(CHOICES) == 201

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(vote, deputies))
    finally:
        server.stop()
        for deputy in deputies:
            deputy.close()
    env = harness.environment(database, instance)
    # 1. The process dies at the very moment the close would commit: all the work of
    #    the close is done (tally, closing signed), none of it may survive.
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_COMMIT, public_id], cwd=harness.ROOT, env=env, capture_output=True
    )
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert _poll_state(env, public_id) == "open", "a close killed before its commit leaves the poll open"
    # 2. The real command killed at several moments: the poll is open or closed, never half.
    for delay in (0.5, 1.0, 1.5):
        close = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "poll", "close", public_id],
            cwd=harness.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        close.kill()
        close.wait()
        if _poll_state(env, public_id) == "closed":
            break
    if _poll_state(env, public_id) == "open":
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "poll", "close", public_id],
            cwd=harness.ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    board_file = tmp_path / "board.json"
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "poll", "board", public_id, "--out", str(board_file)],
        cwd=harness.ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    published = json.loads(board_file.read_text())
    status, output = run_verifier(
        published, tmp_path, [d.receipt for d in deputies], [d.body["ballot"] for d in deputies]
    )
    assert status == 0, output
    assert len(published["ballots"]) == 150


# Runs close_poll in a fresh process whose commit is a SIGKILL: kill -9 mid-close.
KILL_AT_COMMIT = """
import os, signal, sys
from sqlalchemy import select
from app import create_app
from extensions import db
from voting import services
from voting.models import Poll
app = create_app()
with app.app_context():
    poll = db.session.scalar(select(Poll).where(Poll.public_id == sys.argv[1]))
    db.session.commit = lambda: os.kill(os.getpid(), signal.SIGKILL)
    services.close_poll(poll)
"""


def _poll_state(env, public_id) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "poll", "list"],
        cwd=harness.ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith(public_id + "\t"):
            return line.split("\t")[1]
    raise AssertionError(out)


def test_two_servers_on_one_database(database, tmp_path):
    """Two gunicorn instances on different ports share one database; deputies cast
    through both at once: one ballot each, gapless leaf numbers, a board that verifies.
    (On SQLite both servers share the file, as on one machine.)"""
    instance = tmp_path / "instance"
    public_id = harness.prepare(database, instance, deputies=80, options=5, seats=2)
    codes = harness.deputy_codes(database, instance, public_id)
    env = harness.environment(database, instance)
    first, second = harness.Server(env, workers=2).start(), harness.Server(env, workers=2).start()
    deputies = [harness.Deputy((first if i % 2 else second).port, code, public_id) for i, code in enumerate(codes)]
    try:

        def vote(deputy):
            deputy.login()
            assert deputy.take_token() == 200
            return deputy.cast(CHOICES)

        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(vote, deputies))
    finally:
        first.stop()
        second.stop()
        for deputy in deputies:
            deputy.close()
    assert statuses == [201] * 80
    assert sorted(d.receipt["index"] for d in deputies) == list(range(80))
    published = harness.close_and_board(database, instance, public_id, tmp_path / "board.json")
    status, output = run_verifier(
        published, tmp_path, [d.receipt for d in deputies], [d.body["ballot"] for d in deputies]
    )
    assert status == 0, output
