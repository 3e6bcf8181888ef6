"""kill -9 while casts wait for their batch (protocol revision 5): real gunicorn with
threaded workers and a real window. Ballots answered before the kill keep their
receipts; the unanswered ones were committed as pending, so nothing is lost and nothing
is half-written: after a restart the same ballot sent again gets its receipt, and the
board verifies with every receipt."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select

from bench import harness
from tests.reliability.test_crash import CHOICES, database  # noqa: F401 (the fixture)
from tests.voting.factories import run_verifier
from voting.models import PendingBallot

pytestmark = pytest.mark.slow


def _pending(url: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(PendingBallot.__table__))
    finally:
        engine.dispose()


def test_kill_9_while_casts_wait_for_their_batch(database, tmp_path):  # noqa: F811
    instance = tmp_path / "instance"
    public_id = harness.prepare(database, instance, deputies=14, options=5, seats=2)
    codes = harness.deputy_codes(database, instance, public_id)
    env = harness.environment(database, instance)
    env.update(YISHI_BATCH_SECONDS="1", YISHI_BATCH_MIN="8", YISHI_BATCH_MAX_SECONDS="30")
    server = harness.Server(env, workers=2, threads=8).start()
    deputies = [harness.Deputy(server.port, code, public_id) for code in codes]
    first, second = deputies[:8], deputies[8:]
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda d: (d.login(), d.take_token()), deputies))
        # Eight casts make one batch: each is answered after the window, all with one head.
        # (Each worker has at least YISHI_BATCH_MIN threads, as docs/deployment.md says:
        # a worker whose threads all wait then holds a batch that is due.)
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda d: d.cast(CHOICES), first)) == [201] * 8
        assert len({d.receipt["tree_head"]["size"] for d in first}) == 1
        answered = {d.code: d.receipt for d in first}
        # Six more wait for a batch that needs eight: kill -9 while they wait.
        outcomes = []

        def vote(deputy):
            try:
                outcomes.append(deputy.cast(CHOICES))
            except OSError:
                outcomes.append("killed")

        threads = [threading.Thread(target=vote, args=(d,)) for d in second]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while _pending(database) < len(second) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pending(database) == len(second)
        server.kill()
        for thread in threads:
            thread.join(timeout=30)
        assert outcomes == ["killed"] * len(second), "no cast of the open batch was answered"
    finally:
        server.stop()
    # Restart with a short longest wait: the batch is overdue, the first retry appends it.
    env.update(YISHI_BATCH_MAX_SECONDS="2")
    server = harness.Server(env, workers=2, threads=8).start()
    try:
        for deputy in second:
            deputy.reconnect(server.port)
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda d: d.cast(CHOICES), second))
        assert set(statuses) <= {200, 201}
        assert _pending(database) == 0
    finally:
        for deputy in deputies:  # first: a threaded worker keeps idle keep-alive connections
            deputy.close()
        server.stop()
    published = harness.close_and_board(database, instance, public_id, tmp_path / "board.json")
    assert len(published["ballots"]) == len(deputies)
    assert all(answered[d.code] == d.receipt for d in first), "answered receipts never change"
    status, output = run_verifier(
        published, tmp_path, [d.receipt for d in deputies], [d.body["ballot"] for d in deputies]
    )
    assert status == 0, output
