"""A room observer against batches and coarse counters (issue 15, protocol revision 5).

200 deputies press "submit" at random moments over three minutes; the observer knows
the exact order and time of every press and reads every counter every second (the
staff counts JSON, the public poll page, ``published_cast_count``). Time is simulated
(``voting.services.batches.clock``); the casts, the batches and the counters are the
real services, and the waiting casts' checks are made once per simulated second.

It shows that every count anyone was shown is the size of the log after a whole
batch, so that no counter narrows a deputy's ballot below their batch; that within a
batch the log order does not follow the order of the presses; and that the board and
all 200 receipts verify with ``python -m voting.verify``.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db
from tests.voting.factories import board, close
from tests.voting.test_batches import CHOICES, Clock, _spearman, secret_poll, voters_for, windows
from voting import services
from voting.models import Poll
from voting.services import batches, casting

pytestmark = pytest.mark.slow

DEPUTIES, MINUTES = 200, 3
WINDOW, LEAST, LONGEST = 5.0, 5, 60.0
ROOT = Path(__file__).resolve().parents[2]


def test_a_room_observer_learns_no_more_than_each_deputys_batch(app, monkeypatch, staff_client, tmp_path):
    windows(app, seconds=WINDOW, least=LEAST, longest=LONGEST)
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(batches, "clock", clock)
    poll, deputies = secret_poll(DEPUTIES, options=3)
    voters = voters_for(poll, deputies)
    rng = random.Random(20270112)
    start = clock.now
    presses = sorted((start + rng.uniform(0, MINUTES * 60), i) for i in range(DEPUTIES))
    bodies = [voter.ballot(CHOICES) for voter in voters]
    leaf_of = {}
    facts = casting.PollFacts.of(poll)
    observed: list[tuple[float, str, int]] = []  # (time, counter, value)
    batch_ends: list[int] = [0]  # log size after each batch
    pending_presses = list(presses)
    for second in range(MINUTES * 60 + int(LONGEST) + 2):
        now = start + second
        while pending_presses and pending_presses[0][0] < now + 1:
            t, i = pending_presses.pop(0)
            clock.now = t
            outcome = services.cast(poll, bodies[i], wait=False)
            leaf_of[i] = outcome.receipt["leaf_hash"]
            if outcome.status == 201:  # this press made its batch due
                batch_ends.append(outcome.receipt["tree_head"]["size"])
        clock.now = now + 1
        if services.append_if_due(facts):  # what a waiting cast does when its batch is due
            db.session.expire_all()
            batch_ends.append(db.session.get(Poll, poll.id).log_size)
        # The observer reads every counter once a second.
        db.session.expire_all()
        counts = staff_client.get(f"/staff/polls/{poll.id}/counts.json").get_json()
        observed.append((clock.now, "staff", counts["cast"]))
        page = app.test_client().get(f"/polls/{poll.public_id}").get_data(as_text=True)
        observed.append((clock.now, "public", int(re.search(r'data-turnout="cast"[^>]*>(\d+)<', page).group(1))))
        observed.append((clock.now, "service", services.published_cast_count(db.session.get(Poll, poll.id))))
    db.session.expire_all()
    poll = db.session.get(Poll, poll.id)
    assert poll.log_size == DEPUTIES and batch_ends[-1] == DEPUTIES

    # Which batch holds each leaf, from the receipts (one tree head per batch).
    receipts = {i: services.cast(poll, bodies[i]).receipt for i in range(DEPUTIES)}
    heads = {}
    for receipt in receipts.values():
        heads.setdefault(receipt["tree_head"]["size"], set()).add(json.dumps(receipt["tree_head"], sort_keys=True))
    assert all(len(h) == 1 for h in heads.values()), "a batch has one tree head"
    assert sorted(heads) == batch_ends[1:], "each batch's receipts carry the size after that batch"
    sizes = [b - a for a, b in zip(batch_ends, batch_ends[1:])]
    assert min(sizes) >= 1 and sum(sizes) == DEPUTIES
    # Only the last batch (appended by the 60-second rule) may hold fewer than LEAST.
    assert all(size >= LEAST for size in sizes[:-1]), sizes

    # 1. Every count shown is the log after a whole batch, changes at most once per
    # 30-second period, and never goes down.
    boundaries = set(batch_ends)
    for counter in ("staff", "public", "service"):
        series = [(t, v) for t, c, v in observed if c == counter]
        assert {v for _, v in series} <= boundaries, counter
        assert [v for _, v in series] == sorted(v for _, v in series), counter
        for (t1, v1), (t2, v2) in zip(series, series[1:]):
            if v1 != v2:
                assert batches.period_start(t1) != batches.period_start(t2), counter

    # 2. The observer's best interval for each deputy's leaf index still holds their
    # whole batch: before the press at most `low` leaves existed; `high` leaves exist
    # once a count was shown for a boundary a full batch wait after the press.
    index_of = {i: receipts[i]["index"] for i in receipts}
    batch_of = {}
    for a, b in zip(batch_ends, batch_ends[1:]):
        for index in range(a, b):
            batch_of[index] = (a, b)
    for t_press, i in presses:
        low = max([v for t, _, v in observed if t <= t_press] or [0])
        high = min([v for t, _, v in observed if batches.period_start(t) >= t_press + LONGEST + 1] or [DEPUTIES])
        a, b = batch_of[index_of[i]]
        assert low <= a and b <= high, f"deputy {i} narrowed to [{low}, {high}) inside batch [{a}, {b})"

    # 3. Within each batch the log order does not follow the order of the presses.
    press_rank = {i: rank for rank, (_, i) in enumerate(presses)}
    rhos = []
    for a, b in zip(batch_ends, batch_ends[1:]):
        members = sorted((i for i in receipts if a <= index_of[i] < b), key=lambda i: index_of[i])
        if len(members) >= 3:
            by_press = sorted(members, key=press_rank.get)
            rhos.append(_spearman([by_press.index(i) for i in members]))
    assert len(rhos) >= 20
    mean = sum(rhos) / len(rhos)
    # Independent orders of 5-8 ballots: each coefficient's sd is about 0.45, the mean
    # of 25+ about 0.09; a preserved order gives 1.0.
    assert abs(mean) < 0.4, mean

    # 4. The board and every receipt verify with the verifier, as its own process.
    close(poll)
    board_file = tmp_path / "board.json"
    board_file.write_text(json.dumps(board(app, poll), ensure_ascii=False))
    args = [sys.executable, "-m", "voting.verify", str(board_file)]
    for i, receipt in receipts.items():
        path = tmp_path / f"receipt-{i}.json"
        path.write_text(json.dumps(receipt))
        args += ["--receipt", str(path)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout, done.stdout
    assert db.session.scalar(select(Poll.log_size).where(Poll.id == poll.id)) == DEPUTIES
