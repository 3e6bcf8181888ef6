"""A whole secret vote through the HTTP API, and every refusal the protocol names."""

import json

import pytest
from sqlalchemy import func, select

from extensions import db
from tests.factories import login, make_congress
from tests.voting.factories import approval_poll, board, cast, check_in_all, close, run_verifier, take_token
from voting.models import Ballot, TokenIssuance
from voting.protocol.encoding import b64url_decode, b64url_encode


def ballot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot))


def choices(poll, yes=(), no=()):
    out = {}
    for option in poll.manifest["options"]:
        oid = option["id"]
        out[oid] = "yes" if oid in yes else "no" if oid in no else "abstain"
    return out


@pytest.mark.slow
def test_secret_vote_of_200_deputies_verifies(app, tmp_path):
    congress, session = make_congress(200, delegations=8)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session)
    receipts, ballots = [], []
    for i, deputy in enumerate(congress.deputies):
        voter = take_token(app, poll, deputy.code)
        # Options p01…p12 get decreasing support; at most 10 yes each.
        yes = [f"p{k:02d}" for k in range(1, 13) if (i * 7 + k * 13) % 200 < 200 - k * 12][:10]
        body = voter.ballot(choices(poll, yes=yes))
        response = cast(app, poll, body)
        assert response.status_code == 201, response.get_json()
        assert "Set-Cookie" not in response.headers
        receipts.append(response.get_json())
        ballots.append(body["ballot"])
    assert sorted(r["index"] for r in receipts) == list(range(200))
    close(poll)
    published = board(app, poll)
    assert len(published["ballots"]) == 200
    assert all(entry["token_issued"] and entry["present"] for entry in published["register"])
    status, output = run_verifier(published, tmp_path, receipts, ballots, fingerprint=poll.fingerprint)
    assert status == 0, output
    assert output.count("\nok ") + output.startswith("ok ") == 8
    # The page, the JSON and the board's result come from one place.
    results = app.test_client().get(f"/polls/{poll.public_id}/results.json").get_json()
    assert results["result"] == published["result"]
    assert results["turnout"] == {"electorate": 200, "present": 200, "issued": 200, "cast": 200}


@pytest.fixture
def open_poll(app):
    congress, session = make_congress(6)
    check_in_all(session, congress.deputies[:5])  # D006 is absent
    return approval_poll(session, options=4, seats=2)


def test_second_token_request_is_409(app, open_poll):
    voter = take_token(app, open_poll, "D001")
    again = voter.client.post(
        f"/api/polls/{open_poll.public_id}/tokens", json=voter.token_request(), headers={"X-CSRFToken": voter.csrf}
    )
    assert again.status_code == 409
    assert again.get_json()["error"] == "token_already_issued"
    assert "只能领取一次" in again.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(TokenIssuance)) == 1


def test_token_needs_check_in_register_login_and_csrf(app, open_poll):
    from tests.voting.factories import deputy_client
    from voting.protocol.client import SecretVoter

    absent = deputy_client(app, "D006")
    page = absent.get(f"/polls/{open_poll.public_id}/vote").get_data(as_text=True)
    assert "您还没有签到" in page
    from tests.factories import csrf_from

    token = csrf_from(page)
    body = SecretVoter(open_poll.manifest).token_request()
    response = absent.post(f"/api/polls/{open_poll.public_id}/tokens", json=body, headers={"X-CSRFToken": token})
    assert (response.status_code, response.get_json()["error"]) == (403, "not_checked_in")
    no_csrf = absent.post(f"/api/polls/{open_poll.public_id}/tokens", json=body)
    assert no_csrf.status_code == 400
    anonymous = app.test_client().post(f"/api/polls/{open_poll.public_id}/tokens", json=body)
    assert anonymous.status_code in (400, 401)
    # A deputy of another congress is not in the register.
    make_congress(1, name="别的县人大", prefix="X")
    outsider = app.test_client()
    login(outsider, "X001")
    assert outsider.get(f"/polls/{open_poll.public_id}/vote").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(TokenIssuance)) == 0


def test_identical_ballot_returns_the_same_receipt(app, open_poll):
    voter = take_token(app, open_poll, "D001")
    body = voter.ballot(choices(open_poll, yes=["p01"]))
    first = cast(app, open_poll, body)
    second = cast(app, open_poll, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json() == second.get_json()
    assert ballot_count() == 1


@pytest.mark.parametrize(
    "case, status, code, text",
    [
        ("forged_signature", 422, "bad_token_signature", "签名无效"),
        ("too_many_yes", 422, "bad_choices", "最多 2 个"),
        ("unknown_option", 422, "bad_choices", None),
        ("missing_option", 422, "bad_choices", None),
        ("wrong_manifest", 422, "wrong_manifest", "不符"),
        ("short_token", 422, "bad_request", None),
        ("extra_member", 422, "bad_request", None),
        ("not_json", 422, "bad_request", None),
    ],
)
def test_refused_ballots_store_nothing(app, open_poll, case, status, code, text):
    voter = take_token(app, open_poll, "D001")
    body = voter.ballot(choices(open_poll, yes=["p01"]))
    ballot = body["ballot"]
    if case == "forged_signature":
        sig = bytearray(b64url_decode(ballot["token_sig"]))
        sig[10] ^= 1
        ballot["token_sig"] = b64url_encode(bytes(sig))
    elif case == "too_many_yes":
        ballot["choices"] = choices(open_poll, yes=["p01", "p02", "p03"])
    elif case == "unknown_option":
        ballot["choices"]["p99"] = "yes"
    elif case == "missing_option":
        del ballot["choices"]["p04"]
    elif case == "wrong_manifest":
        ballot["manifest"] = "0" * 64
    elif case == "short_token":
        ballot["token"] = b64url_encode(b64url_decode(ballot["token"])[:63])
    elif case == "extra_member":
        ballot["voter"] = "D001"
    if case == "not_json":
        response = app.test_client().post(
            f"/api/polls/{open_poll.public_id}/ballots", data=b"{not json", content_type="application/json"
        )
    else:
        response = cast(app, open_poll, body)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    if text:
        assert text in response.get_json()["message"]
    assert ballot_count() == 0


def test_used_token_is_409(app, open_poll):
    voter = take_token(app, open_poll, "D001")
    assert cast(app, open_poll, voter.ballot(choices(open_poll, yes=["p01"]))).status_code == 201
    response = cast(app, open_poll, voter.ballot(choices(open_poll, yes=["p02"])))
    assert (response.status_code, response.get_json()["error"]) == (409, "already_used")
    assert ballot_count() == 1


def test_board_is_hidden_while_open_and_drafts_are_invisible(app, open_poll):
    client = app.test_client()
    response = client.get(f"/api/polls/{open_poll.public_id}/board")
    assert (response.status_code, response.get_json()["error"]) == (404, "board_not_published")
    assert client.get(f"/polls/{open_poll.public_id}/results.json").status_code == 404
    draft = approval_poll(open_poll.session, public_id="draft-poll", open_=False)
    for url in (f"/api/polls/{draft.public_id}/manifest", f"/polls/{draft.public_id}"):
        assert client.get(url).status_code == 404
    assert client.get("/api/polls/nope/manifest").get_json()["error"] == "unknown_poll"
    listed = [p["poll"] for p in client.get("/api/polls").get_json()["polls"]]
    assert listed == [open_poll.public_id]


def test_closed_poll_refuses_new_ballots_but_answers_retries(app, open_poll):
    voter = take_token(app, open_poll, "D001")
    late = take_token(app, open_poll, "D002")
    body = voter.ballot(choices(open_poll, yes=["p01"]))
    receipt = cast(app, open_poll, body).get_json()
    close(open_poll)
    assert cast(app, open_poll, body).get_json() == receipt  # retry after the close: 200
    response = cast(app, open_poll, late.ballot(choices(open_poll)))
    assert (response.status_code, response.get_json()["error"]) == (409, "poll_closed")
    token = late.client.post(
        f"/api/polls/{open_poll.public_id}/tokens", json=late.token_request(), headers={"X-CSRFToken": late.csrf}
    )
    assert token.status_code == 409


def test_results_page_shows_turnout_elected_and_fingerprint(app, open_poll, tmp_path):
    for code, yes in (
        ("D001", ["p01", "p02"]),
        ("D002", ["p01", "p02"]),
        ("D003", ["p01", "p03"]),
        ("D004", ["p01", "p03"]),
        ("D005", ["p02"]),
    ):
        voter = take_token(app, open_poll, code)
        assert cast(app, open_poll, voter.ballot(choices(open_poll, yes=yes))).status_code == 201
    close(open_poll)
    client = app.test_client()
    response = client.get(f"/polls/{open_poll.public_id}")
    page = response.get_data(as_text=True)
    assert open_poll.fingerprint in page
    # 6 deputies: p01 has 4 yes (> 3) and is elected; p02 has 3 (not more than half).
    assert 'data-turnout="electorate">6</td>' in page
    assert 'data-turnout="cast">5</td>' in page
    assert page.count('<span class="badge badge-ok">当选</span>') == 1
    assert "<svg" in page and "候选项目1" in page
    etag = response.headers["ETag"]
    assert client.get(f"/polls/{open_poll.public_id}", headers={"If-None-Match": etag}).status_code == 304
    result = json.loads(client.get(f"/api/polls/{open_poll.public_id}/board").get_data())["result"]
    assert result["elected"] == ["p01"]
    assert [o["yes"] for o in result["options"]] == [4, 3, 2, 0]


def test_published_pages_are_cached_for_the_public_only(app, open_poll, staff):
    from tests.factories import login

    voter = take_token(app, open_poll, "D001")
    cast(app, open_poll, voter.ballot(choices(open_poll, yes=["p01"])))
    close(open_poll)
    anonymous = app.test_client()
    first = anonymous.get(f"/polls/{open_poll.public_id}").get_data(as_text=True)
    assert "csrf_token" not in first and open_poll.fingerprint in first
    english = anonymous.get(f"/lang/en?next=/polls/{open_poll.public_id}", follow_redirects=True)
    assert english.get_data(as_text=True) != first  # one cached copy per language
    member = app.test_client()
    login(member, "staff1")
    page = member.get(f"/polls/{open_poll.public_id}")
    assert "staff1" in page.get_data(as_text=True)  # a fresh render, with the user's name
    assert page.headers["Cache-Control"].startswith("private")
    assert anonymous.get(f"/polls/{open_poll.public_id}").headers["Cache-Control"].startswith("public")
