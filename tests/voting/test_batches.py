"""Ballot batches and coarse counters (protocol revision 5, "Order and counters").

The services run with a simulated clock (``voting.services.batches.clock``) where a
test needs minutes to pass, and with real threads and short windows where it needs
casts to wait for one another. See also ``test_room_observer.py`` (slow).
"""

from __future__ import annotations

import json
import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from extensions import db
from tests.factories import make_congress
from tests.voting.factories import approval_poll, board, cast, check_in_all, close, run_verifier
from voting import services
from voting.models import Ballot, PendingBallot, Poll
from voting.protocol import merkle
from voting.protocol.client import SecretVoter
from voting.services import batches, casting

CHOICES = {"p01": "yes", "p02": "no", "p03": "abstain"}


class Clock:
    """A simulated clock for ``batches.clock``."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(batches, "clock", c)
    return c


def windows(app, seconds=5.0, least=5, longest=60.0):
    app.config.update(YISHI_BATCH_SECONDS=seconds, YISHI_BATCH_MIN=least, YISHI_BATCH_MAX_SECONDS=longest)


def secret_poll(n: int, options: int = 3):
    congress, session = make_congress(n, with_accounts=False)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=options, seats=1)
    return poll, congress.deputies


def voters_for(poll, deputies) -> list[SecretVoter]:
    """A token for each deputy, straight from the service (the HTTP path has its tests)."""
    voters = []
    for deputy in deputies:
        voter = SecretVoter(poll.manifest)
        voter.token_response({"blind_sig": services.issue_token(poll, deputy.id, voter.token_request()["blinded_msg"])})
        voters.append(voter)
    return voters


def count_rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- The Merkle side: one tree head for a whole batch -----------------------------------


@pytest.mark.parametrize("old", [0, 1, 2, 3, 5, 8, 13, 31, 64, 100])
@pytest.mark.parametrize("new", [1, 2, 5, 7, 16, 33])
def test_append_batch_gives_each_new_leaf_its_proof_in_the_new_tree(old, new):
    leaves = [os.urandom(32) for _ in range(old + new)]
    frontier = merkle.Frontier()
    for leaf in leaves[:old]:
        frontier.append(leaf)
    frontier, root, proofs = merkle.append_batch(frontier, leaves[old:])
    assert root == merkle.root(leaves) and frontier.size == old + new
    for i, proof in enumerate(proofs):
        assert proof == merkle.inclusion_proof(old + i, leaves)
        assert merkle.verify_inclusion(leaves[old + i], old + i, old + new, proof, root)


# --- Batches --------------------------------------------------------------------------


def test_a_batch_waits_for_its_window_and_its_minimum_then_shares_one_tree_head(app, clock):
    windows(app, seconds=5, least=3, longest=60)
    poll, deputies = secret_poll(4)
    voters = voters_for(poll, deputies)
    bodies = [v.ballot(CHOICES) for v in voters]
    first = services.cast(poll, bodies[0], wait=False)
    assert first.status == 202 and count_rows(PendingBallot) == 1
    clock.now += 6  # the window has passed, but the batch holds one ballot of three
    assert not services.append_if_due(casting.PollFacts.of(poll))
    assert services.cast(poll, bodies[1], wait=False).status == 202
    clock.now += 1
    third = services.cast(poll, bodies[2])  # the third ballot makes the batch due: appended now
    assert third.status == 201
    db.session.expire_all()
    assert count_rows(PendingBallot) == 0 and count_rows(Ballot) == 3
    receipts = [json.loads(r) for r in db.session.scalars(select(Ballot.receipt).order_by(Ballot.leaf_index))]
    assert {json.dumps(r["tree_head"]) for r in receipts} == {json.dumps(third.receipt["tree_head"])}
    assert third.receipt["tree_head"]["size"] == 3
    assert sorted(r["index"] for r in receipts) == [0, 1, 2]
    # The 60-second rule: one lonely ballot is appended after a minute.
    assert services.cast(poll, bodies[3], wait=False).status == 202
    clock.now += 59
    assert not services.append_if_due(casting.PollFacts.of(poll))
    clock.now += 1
    assert services.append_if_due(casting.PollFacts.of(poll))
    db.session.expire_all()
    assert count_rows(PendingBallot) == 0 and count_rows(Ballot) == 4


def test_credentials_are_unique_across_the_batch_and_the_log(app, clock):
    windows(app, seconds=5, least=5)
    poll, deputies = secret_poll(2)
    (voter,) = voters_for(poll, deputies[:1])
    body = voter.ballot(CHOICES)
    other = voter.ballot({"p01": "no", "p02": "yes", "p03": "no"})  # the same token
    assert services.cast(poll, body, wait=False).status == 202
    with pytest.raises(services.PollError) as refused:
        services.cast(poll, other, wait=False)
    assert (refused.value.status, refused.value.code) == (409, "already_used")
    assert services.cast(poll, body, wait=False).status == 202  # identical: still the one pending
    clock.now += 61
    assert services.append_if_due(casting.PollFacts.of(poll))
    with pytest.raises(services.PollError) as refused:
        services.cast(poll, other, wait=False)
    assert (refused.value.status, refused.value.code) == (409, "already_used")
    again = services.cast(poll, body, wait=False)
    assert again.status == 200 and again.receipt["index"] == 0


def test_the_close_appends_the_pending_batch_first(app, clock, tmp_path):
    windows(app, seconds=5, least=5)
    poll, deputies = secret_poll(3)
    voters = voters_for(poll, deputies)
    bodies = [v.ballot(CHOICES) for v in voters]
    for body in bodies:
        assert services.cast(poll, body, wait=False).status == 202
    assert services.published_cast_count(poll) == 0
    close(poll)
    db.session.expire_all()
    assert count_rows(PendingBallot) == 0
    poll = db.session.get(Poll, poll.id)
    assert poll.log_size == 3 and poll.result["cast"] == 3
    assert services.published_cast_count(poll) == 3  # closed: the count is final
    # Each deputy's retry gets the receipt their batch was given at the close.
    receipts = [services.cast(poll, body) for body in bodies]
    assert {r.status for r in receipts} == {200}
    status, out = run_verifier(
        board(app, poll), tmp_path, receipts=[r.receipt for r in receipts], ballots=[b["ballot"] for b in bodies]
    )
    assert status == 0, out


def test_a_crash_in_the_middle_of_an_append_loses_nothing_and_leaves_the_log_consistent(
    app, clock, monkeypatch, tmp_path
):
    windows(app, seconds=5, least=2)
    poll, deputies = secret_poll(4)
    voters = voters_for(poll, deputies)
    bodies = [v.ballot(CHOICES) for v in voters]
    assert services.cast(poll, bodies[0], wait=False).status == 202
    assert services.cast(poll, bodies[1], wait=False).status == 202
    clock.now += 5
    made = []

    def crash(*args, **kwargs):  # the process dies half-way through writing the receipts
        if made:
            raise SystemExit("killed")
        made.append(args)
        return real(*args, **kwargs)

    real = casting.make_receipt
    monkeypatch.setattr(casting, "make_receipt", crash)
    with pytest.raises(SystemExit):
        services.append_if_due(casting.PollFacts.of(poll))
    monkeypatch.setattr(casting, "make_receipt", real)
    db.session.expire_all()
    # Nothing was answered and nothing is half-written: the ballots are still pending,
    # the log is as signed before, and the next cast's batch takes them along.
    assert count_rows(PendingBallot) == 2 and count_rows(Ballot) == 0
    services.check_log(db.session.get(Poll, poll.id))
    db.session.rollback()
    third = services.cast(poll, bodies[2])
    assert third.status == 201 and third.receipt["tree_head"]["size"] == 3
    # A cast whose request died while it waited is not lost either: its retry finds it.
    assert services.cast(poll, bodies[3], wait=False).status == 202
    close(poll)
    receipts = [services.cast(poll, body).receipt for body in bodies]
    status, out = run_verifier(board(app, poll), tmp_path, receipts=receipts, ballots=[b["ballot"] for b in bodies])
    assert status == 0, out


# --- Real threads and real windows ------------------------------------------------------


def test_casts_wait_for_their_batch_and_an_identical_retry_gets_the_same_receipt(app, tmp_path):
    windows(app, seconds=0.5, least=4, longest=20)
    poll, deputies = secret_poll(4)
    voters = voters_for(poll, deputies)
    bodies = [v.ballot(CHOICES) for v in voters]
    public_id = poll.public_id
    sent = [bodies[0], bodies[0], bodies[1], bodies[2], bodies[3]]  # the first deputy presses twice
    started = threading.Barrier(len(sent))

    def send(body):
        started.wait()
        return cast(app, public_id, body)

    with ThreadPoolExecutor(len(sent)) as pool:
        responses = list(pool.map(send, sent))
    statuses = [r.status_code for r in responses]
    assert sorted(statuses[:2]) == [200, 201] and statuses[2:] == [201, 201, 201]
    assert responses[0].get_json() == responses[1].get_json()
    heads = {json.dumps(r.get_json()["tree_head"], sort_keys=True) for r in responses}
    assert len(heads) == 1, "the four ballots are one batch under one tree head"
    assert responses[0].get_json()["tree_head"]["size"] == 4
    db.session.expire_all()
    close(db.session.get(Poll, poll.id))
    status, out = run_verifier(
        board(app, poll),
        tmp_path,
        receipts=[r.get_json() for r in responses[1:]],
        ballots=[b["ballot"] for b in bodies],
    )
    assert status == 0, out


def test_a_cast_waiting_for_its_batch_is_answered_by_the_close(app):
    windows(app, seconds=5, least=50, longest=120)
    poll, deputies = secret_poll(1)
    (voter,) = voters_for(poll, deputies)
    body = voter.ballot(CHOICES)
    public_id = poll.public_id
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(cast, app, public_id, body)
        for _ in range(200):  # until the ballot is pending
            db.session.rollback()
            if count_rows(PendingBallot):
                break
            threading.Event().wait(0.05)
        assert not waiting.done()
        close(db.session.get(Poll, poll.id))
        response = waiting.result(timeout=30)
    assert response.status_code == 201 and response.get_json()["tree_head"]["size"] == 1


# --- Order within a batch ---------------------------------------------------------------


def _batch_orders(app, poll, runs: int, size: int) -> list[list[int]]:
    """Put ``size`` pending rows in arrival order (ids ascending) and append them,
    ``runs`` times; for each batch, the arrival ranks in log order."""
    facts = casting.PollFacts.of(poll)
    orders = []
    for run in range(runs):
        for k in range(size):
            body = json.dumps({"run": run, "k": k, "nonce": os.urandom(8).hex()}, separators=(",", ":"))
            db.session.add(
                PendingBallot(
                    poll_id=poll.id,
                    leaf_hash=merkle.leaf_hash(body.encode()).hex(),
                    credential=f"r{run}k{k}",
                    body=body,
                )
            )
        db.session.flush()
        conn = db.session.connection()
        conn.execute(casting._LOCK_LOG, {"b_id": facts.id, "b_public": facts.public_id})
        receipts = casting.append_pending(conn, facts)
        db.session.commit()
        by_index = sorted(receipts.values(), key=lambda r: r["index"])
        rank = {}
        for k in range(size):
            body = db.session.scalar(select(Ballot.body).where(Ballot.credential == f"r{run}k{k}"))
            rank[merkle.leaf_hash(body.encode()).hex()] = k
        orders.append([rank[r["leaf_hash"]] for r in by_index])
    return orders


def _spearman(order: list[int]) -> float:
    n = len(order)
    d2 = sum((position - arrival) ** 2 for position, arrival in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))


def _first_arrival_chi2(orders: list[list[int]]) -> float:
    size = len(orders[0])
    seen = [0] * size
    for order in orders:
        seen[order.index(0)] += 1
    expected = len(orders) / size
    return sum((s - expected) ** 2 / expected for s in seen)


RUNS, SIZE = 240, 8
# chi-square with 7 degrees of freedom: P(> 29.9) is 1e-4. The mean of 240 Spearman
# coefficients of independent orders of 8 has a standard deviation of 0.024: |mean|
# above 0.12 is a 5-sigma event. A preserved order gives 1680 and 1.0.
CHI2_BOUND, RHO_BOUND = 29.9, 0.12


def test_within_a_batch_the_log_order_is_independent_of_the_arrival_order(app):
    poll, _ = secret_poll(1)
    orders = _batch_orders(app, poll, RUNS, SIZE)
    assert _first_arrival_chi2(orders) < CHI2_BOUND
    assert abs(sum(_spearman(o) for o in orders) / len(orders)) < RHO_BOUND


def test_the_order_statistics_would_catch_a_batch_appended_in_arrival_order(app, monkeypatch):
    poll, _ = secret_poll(1)
    monkeypatch.setattr(casting._RANDOM, "shuffle", lambda items: None)
    orders = _batch_orders(app, poll, 30, SIZE)
    assert _first_arrival_chi2(orders) > CHI2_BOUND
    assert sum(_spearman(o) for o in orders) / len(orders) > RHO_BOUND


# --- Counters -------------------------------------------------------------------------


def test_the_published_count_moves_only_at_30_second_boundaries_and_never_back(app, clock):
    windows(app, seconds=0, least=1)
    poll, deputies = secret_poll(12)
    voters = voters_for(poll, deputies)
    clock.now = 1_800_000_000.0  # a multiple of 30: a boundary
    rng = random.Random(7)
    times = sorted(clock.now + rng.uniform(0, 150) for _ in voters)
    shown: list[tuple[float, int]] = []
    sizes_at: dict[float, int] = {}
    start = t = clock.now
    pending = list(zip(times, voters, strict=True))
    while t < start + 200:
        clock.now = t
        while pending and pending[0][0] <= t:
            _, voter = pending.pop(0)
            assert services.cast(poll, voter.ballot(CHOICES)).status == 201
        db.session.expire_all()
        poll = db.session.get(Poll, poll.id)
        if t % 30 == 0:
            sizes_at[t] = poll.log_size
        shown.append((t, services.published_cast_count(poll, now=t)))
        t += 1
    values = [v for _, v in shown]
    assert values == sorted(values), "never goes down"
    for (t1, v1), (t2, v2) in zip(shown, shown[1:]):
        if v1 != v2:
            assert batches.period_start(t1) != batches.period_start(t2), "changes only at a boundary"
    for t, v in shown:
        assert v == sizes_at[batches.period_start(t)], "the log size at the last boundary"
    assert values[-1] == len(voters)


def test_staff_and_public_pages_show_the_coarse_count_and_live_turnout(app, clock, staff_client):
    windows(app, seconds=0, least=1)
    poll, deputies = secret_poll(3)
    clock.now = 1_800_000_000.0 + 10
    voters = voters_for(poll, deputies)
    assert services.cast(poll, voters[0].ballot(CHOICES)).status == 201
    counts = staff_client.get(f"/staff/polls/{poll.id}/counts.json").get_json()
    assert counts["cast"] == 0 and counts["issued"] == 3 and counts["present"] == 3
    page = app.test_client().get(f"/polls/{poll.public_id}").get_data(as_text=True)
    for name, value in (("cast", 0), ("issued", 3), ("present", 3), ("electorate", 3)):
        assert f'data-turnout="{name}" data-count="{name}">{value}<' in page
    for option in poll.manifest["options"]:
        assert option["title"] in page
    turnout = app.test_client().get(f"/polls/{poll.public_id}/turnout.json").get_json()
    assert turnout["cast"] == 0 and turnout["issued"] == 3 and turnout["cast_as_of"].startswith("截至 ")
    clock.now += 20  # past the boundary
    counts = staff_client.get(f"/staff/polls/{poll.id}/counts.json").get_json()
    assert counts["cast"] == 1
    page = app.test_client().get(f"/polls/{poll.public_id}").get_data(as_text=True)
    assert 'data-turnout="cast" data-count="cast">1<' in page
    assert app.test_client().get(f"/polls/{poll.public_id}/turnout.json").get_json()["cast"] == 1
