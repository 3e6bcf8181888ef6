"""Hostile input to the JSON API and the forms: never a 500, a clear 4xx message,
nothing stored from a refused request."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.models import AuditEntry, Deputy
from extensions import db
from tests.factories import csrf_token, login, make_congress
from tests.voting.factories import approval_poll, check_in_all, deputy_client, take_token
from voting.models import Ballot, TokenIssuance

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12,
)


@pytest.fixture
def poll(app):
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    return approval_poll(session, options=3, seats=1)


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(Ballot)),
        db.session.scalar(select(func.count()).select_from(TokenIssuance)),
    )


def assert_clean_refusal(response):
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"] and body["message"]


def test_random_json_to_the_cast_call(app, poll):
    url = f"/api/polls/{poll.public_id}/ballots"
    client = app.test_client()
    manifest_hash = poll.manifest_hash

    @SETTINGS
    @given(
        ballot=st.fixed_dictionaries(
            {"poll": st.just(poll.public_id) | st.text(max_size=5), "manifest": st.just(manifest_hash) | json_values},
            optional={
                "token": json_values | st.binary(max_size=70).map(lambda b: b.hex()),
                "token_sig": json_values,
                "choices": json_values,
                "voter": json_values,
            },
        )
        | json_values
    )
    def run(ballot):
        response = client.post(url, json={"ballot": ballot})
        assert_clean_refusal(response)

    run()
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"\xff\xfe not utf-8", "bad_request"),
        (b'{"ballot": ' + b"[" * 5000 + b"]" * 5000 + b"}", "bad_request"),
        (b'{"ballot": {"poll": 1e999}}', "bad_request"),
        (b'{"ballot": 123456789012345678901234567890}', "bad_request"),
        (b'{"ballot": {}, "ballot": {}}', "bad_request"),
        (b"", "bad_request"),
        (b"null", "bad_request"),
    ],
)
def test_malformed_bodies(app, poll, raw, code):
    response = app.test_client().post(f"/api/polls/{poll.public_id}/ballots", data=raw, content_type="application/json")
    assert_clean_refusal(response)
    assert response.get_json()["error"] == code
    assert counts() == (0, 0)


def test_oversized_body_is_413(app, poll):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = app.test_client().post(
        f"/api/polls/{poll.public_id}/ballots", data=b"{" + b" " * 100_000 + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json()["message"]


def test_random_json_to_the_token_call(app, poll):
    client = deputy_client(app, "D001")
    token = csrf_token(client, f"/polls/{poll.public_id}/vote")
    url = f"/api/polls/{poll.public_id}/tokens"

    @SETTINGS
    @given(
        body=st.dictionaries(st.sampled_from(["blinded_msg", "x"]), json_values, max_size=2)
        | json_values
        | st.binary(max_size=400)
        .filter(lambda b: len(b) != 256)
        .map(lambda b: {"blinded_msg": __import__("base64").urlsafe_b64encode(b).decode().rstrip("=")})
    )
    def run(body):
        response = client.post(url, json=body, headers={"X-CSRFToken": token})
        assert_clean_refusal(response)

    run()
    assert counts() == (0, 0)
    # The deputy can still take a token afterwards: nothing half-written blocks them.
    take_token(app, poll, "D001")
    assert counts() == (0, 1)


def test_wrong_length_blinded_message(app, poll):
    from voting.protocol.encoding import b64url_encode

    client = deputy_client(app, "D001")
    token = csrf_token(client, f"/polls/{poll.public_id}/vote")
    for size in (0, 255, 257, 512):
        response = client.post(
            f"/api/polls/{poll.public_id}/tokens",
            json={"blinded_msg": b64url_encode(b"\x01" * size)},
            headers={"X-CSRFToken": token},
        )
        assert (response.status_code, response.get_json()["error"]) == (422, "bad_request")
    too_big = b64url_encode(b"\xff" * 256)  # m >= n
    response = client.post(
        f"/api/polls/{poll.public_id}/tokens", json={"blinded_msg": too_big}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 422
    assert counts() == (0, 0)


def test_random_form_posts_never_500(staff_client, app):
    congress, session = make_congress(2)
    token = csrf_token(staff_client, "/congresses")
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    targets = [
        "/congresses",
        f"/congresses/{congress.id}/sessions",
        f"/sessions/{session.id}/checkin",
        "/staff/polls/new",
        "/password",
    ]

    @SETTINGS
    @given(
        url=st.sampled_from(targets),
        data=st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "starts_on",
                    "ends_on",
                    "code",
                    "public_id",
                    "title",
                    "ballot",
                    "secrecy",
                    "session_id",
                    "options",
                    "seats",
                    "max_yes",
                    "base",
                    "more_than",
                    "rectify_below",
                    "current",
                    "new",
                    "confirm",
                ]
            ),
            st.text(max_size=300),
            max_size=8,
        ),
    )
    def run(url, data):
        data["csrf_token"] = token
        response = staff_client.post(url, data=data)
        assert response.status_code < 500, (url, data)

    run()
    assert db.session.scalar(select(func.count()).select_from(Deputy)) == 2
    # Only well-formed requests changed anything, and each left an audit line.
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) >= audit_before


def test_deep_json_to_results_and_unknown_ids(app):
    client = app.test_client()
    assert client.get("/api/polls/%00/manifest").status_code == 400
    for url in ("/api/polls/" + "a" * 5000 + "/manifest", "/polls/../../etc/passwd"):
        assert client.get(url).status_code == 404
    response = client.get("/api/polls/x/board")
    assert response.get_json()["error"] == "unknown_poll"
    login(client, "nobody")
    assert json.loads(client.get("/api/polls").get_data())["polls"] == []
