"""Concurrent casts: exactly one ballot per token, gapless leaf numbers, a board
that verifies. Each thread has its own client, so requests really overlap on the
database (SQLite's write lock, PostgreSQL's row lock)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from extensions import db
from tests.factories import make_congress
from tests.voting.factories import (
    approval_poll,
    board,
    cast,
    check_in_all,
    close,
    run_verifier,
    take_token,
)
from voting.models import Ballot

pytestmark = pytest.mark.slow


def test_100_threads_cast_the_same_token(app, tmp_path):
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=3, seats=1)
    voter = take_token(app, poll, "D001")
    same = voter.ballot({"p01": "yes", "p02": "no", "p03": "no"})
    other = voter.ballot({"p01": "no", "p02": "yes", "p03": "no"})
    bodies = [same if i % 2 else other for i in range(100)]
    public_id = poll.public_id
    with ThreadPoolExecutor(max_workers=24) as pool:
        responses = list(pool.map(lambda body: cast(app, public_id, body), bodies))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1
    assert set(statuses) <= {200, 201, 409}
    winner = next(r for r in responses if r.status_code == 201)
    # Everyone who sent the winning ballot got its receipt; the rest were told it was used.
    winning_body = same if winner.get_json()["leaf_hash"] == _leaf(same) else other
    for body, response in zip(bodies, responses):
        if body is winning_body:
            assert response.get_json() == winner.get_json()
        else:
            assert (response.status_code, response.get_json()["error"]) == (
                409,
                "already_used",
            )
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def _leaf(body):
    from voting.protocol.board import ballot_leaf_hash

    return ballot_leaf_hash(body["ballot"]).hex()


def test_200_deputies_take_tokens_and_cast_at_once(app, tmp_path):
    congress, session = make_congress(200, delegations=8)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=5, seats=2)
    public_id = poll.public_id
    choices = {o["id"]: ("yes" if o["id"] in ("p01", "p02") else "no") for o in poll.manifest["options"]}

    def vote(code):
        voter = take_token(app, public_id, code)
        body = voter.ballot(choices)
        response = cast(app, public_id, body)
        return response.status_code, response.get_json(), body["ballot"]

    codes = [d.code for d in congress.deputies]
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(vote, codes))
    assert [status for status, _, _ in outcomes] == [201] * 200
    indices = sorted(receipt["index"] for _, receipt, _ in outcomes)
    assert indices == list(range(200)), "leaf numbers must be gapless"
    close(poll)
    published = board(app, poll)
    receipts = [receipt for _, receipt, _ in outcomes]
    ballots = [ballot for _, _, ballot in outcomes]
    status, output = run_verifier(published, tmp_path, receipts, ballots)
    assert status == 0, output
    assert published["result"]["elected"] == ["p01", "p02"]


def test_token_requests_racing_the_close_are_all_in_the_register_or_refused(app, tmp_path):
    """A blind signature is handed out only if its issuance is in the published
    register: the close waits for token requests in flight (KEY SHARE against FOR
    UPDATE on PostgreSQL, the write lock on SQLite), and later ones answer 409."""
    import threading

    from tests.voting.factories import csrf_from, deputy_client
    from voting.protocol.client import SecretVoter

    congress, session = make_congress(40, delegations=4)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=3, seats=1)
    public_id = poll.public_id
    prepared = []
    for deputy in congress.deputies:
        client = deputy_client(app, deputy.code)
        token = csrf_from(client.get(f"/polls/{public_id}/vote").get_data(as_text=True))
        prepared.append((deputy.code, client, token, SecretVoter(poll.manifest)))
    start = threading.Barrier(len(prepared) + 1)

    def request_token(item):
        code, client, token, voter = item
        start.wait()
        response = client.post(
            f"/api/polls/{public_id}/tokens", json=voter.token_request(), headers={"X-CSRFToken": token}
        )
        return code, response.status_code, (response.get_json() or {}).get("error")

    def close_it():
        start.wait()
        with app.app_context():
            from voting import services
            from voting.models import Poll

            services.close_poll(db.session.scalar(select(Poll).where(Poll.public_id == public_id)))

    with ThreadPoolExecutor(max_workers=len(prepared) + 1) as pool:
        closing = pool.submit(close_it)
        outcomes = list(pool.map(request_token, prepared))
        closing.result()
    assert {(status, error) for _, status, error in outcomes} <= {(200, None), (409, "poll_closed")}
    published = board(app, poll)
    issued = {entry["voter"] for entry in published["register"] if entry["token_issued"]}
    assert issued == {code for code, status, _ in outcomes if status == 200}
    status, output = run_verifier(published, tmp_path)
    assert status == 0, output


def test_racing_token_requests_of_one_deputy_make_one_issuance(app, tmp_path):
    """One deputy's page reloaded while its token request was in flight, many times at
    once, with two different blinded messages: one issuance; every request with the
    message that won gets the same signature, every other one 409."""
    import threading

    from tests.voting.factories import csrf_from, deputy_client
    from voting.models import TokenIssuance
    from voting.protocol.client import SecretVoter

    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=3, seats=1)
    public_id = poll.public_id
    voters = [SecretVoter(poll.manifest), SecretVoter(poll.manifest)]
    bodies = [v.token_request() for v in voters]
    prepared = []
    for i in range(16):
        client = deputy_client(app, "D001")
        token = csrf_from(client.get(f"/polls/{public_id}/vote").get_data(as_text=True))
        prepared.append((client, token, i % 2))
    start = threading.Barrier(len(prepared))

    def request_token(item):
        client, token, which = item
        start.wait()
        response = client.post(f"/api/polls/{public_id}/tokens", json=bodies[which], headers={"X-CSRFToken": token})
        return which, response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(prepared)) as pool:
        outcomes = list(pool.map(request_token, prepared))
    winners = {which for which, status, _ in outcomes if status == 200}
    assert len(winners) == 1, outcomes
    [winner] = winners
    signatures = {body["blind_sig"] for which, _, body in outcomes if which == winner}
    assert len(signatures) == 1, "every repeat of the winning message gets the same signature"
    for which, status, body in outcomes:
        if which != winner:
            assert (status, body["error"]) == (409, "token_already_issued")
    assert db.session.scalar(select(func.count()).select_from(TokenIssuance)) == 1
    voter = voters[winner]
    voter.token_response({"blind_sig": signatures.pop()})
    response = cast(app, public_id, voter.ballot({"p01": "yes", "p02": "no", "p03": "no"}))
    assert response.status_code == 201
