"""The token request may be repeated (protocol revision 5): the same deputy with the
same blinded message gets the same blind signature; anything else answers as before.
And a deputy whose browser lost the token can say so, for the staff's list."""

import hashlib
import re

import pytest
from sqlalchemy import func, select, update

from extensions import db
from tests.factories import csrf_from, login, make_congress
from tests.voting.factories import approval_poll, cast, check_in_all, close, deputy_client, take_token
from voting.models import Poll, TokenIssuance
from voting.protocol.client import SecretVoter
from voting.protocol.encoding import b64url_decode, b64url_encode


@pytest.fixture
def open_poll(app):
    congress, session = make_congress(6)
    check_in_all(session, congress.deputies[:5])  # D006 is absent
    return approval_poll(session, options=3, seats=1)


def _post_token(voter, poll_id: str, blinded_msg: str):
    return voter.client.post(
        f"/api/polls/{poll_id}/tokens", json={"blinded_msg": blinded_msg}, headers={"X-CSRFToken": voter.csrf}
    )


def _issuances() -> list[tuple[int, str | None]]:
    return list(db.session.execute(select(TokenIssuance.voter_id, TokenIssuance.blinded_sha256)))


def test_the_same_message_again_gets_the_same_signature_and_a_ballot(app, open_poll, tmp_path):
    poll_id = open_poll.public_id
    voter = take_token(app, poll_id, "D001")
    first_sig = voter.token_sig
    again = _post_token(voter, poll_id, voter.blinded_msg)
    assert again.status_code == 200, again.get_json()
    # The page that lost the first answer finalizes the second one to the same token.
    voter.token_response(again.get_json())
    assert voter.token_sig == first_sig
    [(_, stored)] = _issuances()
    assert stored == hashlib.sha256(b64url_decode(voter.blinded_msg)).hexdigest()
    assert cast(app, poll_id, voter.ballot({"p01": "yes", "p02": "no", "p03": "no"})).status_code == 201
    # Repeating after the cast still gives only the same signature, and the token stays used.
    third = _post_token(voter, poll_id, voter.blinded_msg)
    assert third.status_code == 200
    voter.token_response(third.get_json())
    again_cast = cast(app, poll_id, voter.ballot({"p01": "no", "p02": "yes", "p03": "no"}))
    assert (again_cast.status_code, again_cast.get_json()["error"]) == (409, "already_used")
    assert db.session.scalar(select(func.count()).select_from(TokenIssuance)) == 1


def test_another_message_is_409_and_signs_nothing(app, open_poll):
    poll_id = open_poll.public_id
    voter = take_token(app, poll_id, "D001")
    other = SecretVoter(open_poll.manifest).token_request()["blinded_msg"]
    response = _post_token(voter, poll_id, other)
    assert (response.status_code, response.get_json()["error"]) == (409, "token_already_issued")
    assert "blind_sig" not in response.get_json()
    # The same bytes written differently cannot exist: base64url is canonical here.
    padded = _post_token(voter, poll_id, voter.blinded_msg + "=")
    assert (padded.status_code, padded.get_json()["error"]) == (422, "bad_request")
    assert len(_issuances()) == 1


def test_a_repeat_is_only_for_the_deputy_who_sent_the_message(app, open_poll):
    """Another deputy sending the same blinded message gets nothing of the first one's:
    with a token of their own, 409; the first deputy's issuance is untouched."""
    poll_id = open_poll.public_id
    first = take_token(app, poll_id, "D001")
    second = take_token(app, poll_id, "D002")
    response = _post_token(second, poll_id, first.blinded_msg)
    assert (response.status_code, response.get_json()["error"]) == (409, "token_already_issued")
    hashes = dict(_issuances())
    assert len(hashes) == 2 and len(set(hashes.values())) == 2


def test_answers_come_in_the_protocols_order(app, open_poll):
    """unknown_poll; bad_request; poll_closed; not_in_register; not_checked_in; then
    the repeat or token_already_issued."""
    poll_id = open_poll.public_id
    voter = take_token(app, poll_id, "D001")
    short = b64url_encode(b64url_decode(voter.blinded_msg)[:-1])
    too_big = b64url_encode(b"\xff" * len(b64url_decode(voter.blinded_msg)))  # not below n
    assert _post_token(voter, "no-such-poll", voter.blinded_msg).get_json()["error"] == "unknown_poll"
    for bad in (short, too_big, "not base64!"):
        response = _post_token(voter, poll_id, bad)
        assert (response.status_code, response.get_json()["error"]) == (422, "bad_request")
    # Check-in is the server's policy: a deputy who took a token while it was off
    # is refused a repeat once it is on, as a first request would be.
    absent = deputy_client(app, "D006")
    app.config["YISHI_REQUIRE_CHECKIN"] = False
    late = SecretVoter(open_poll.manifest)
    token = csrf_from(absent.get(f"/polls/{poll_id}/vote").get_data(as_text=True))
    body = late.token_request()
    assert absent.post(f"/api/polls/{poll_id}/tokens", json=body, headers={"X-CSRFToken": token}).status_code == 200
    app.config["YISHI_REQUIRE_CHECKIN"] = True
    response = absent.post(f"/api/polls/{poll_id}/tokens", json=body, headers={"X-CSRFToken": token})
    assert (response.status_code, response.get_json()["error"]) == (403, "not_checked_in")
    # After the close: a malformed message is still bad_request, a repeat is poll_closed.
    close(db.session.scalar(select(Poll).where(Poll.public_id == poll_id)))
    assert _post_token(voter, poll_id, short).get_json()["error"] == "bad_request"
    response = _post_token(voter, poll_id, voter.blinded_msg)
    assert (response.status_code, response.get_json()["error"]) == (409, "poll_closed")
    assert "blind_sig" not in response.get_json()


def test_an_outsider_repeating_a_message_is_not_in_the_register(app, open_poll):
    poll_id = open_poll.public_id
    voter = take_token(app, poll_id, "D001")
    make_congress(1, name="别的县人大", prefix="X")
    outsider = app.test_client()
    login(outsider, "X001")
    token = csrf_from(outsider.get("/password").get_data(as_text=True))
    response = outsider.post(
        f"/api/polls/{poll_id}/tokens", json={"blinded_msg": voter.blinded_msg}, headers={"X-CSRFToken": token}
    )
    assert (response.status_code, response.get_json()["error"]) == (403, "not_in_register")


def test_an_issuance_from_before_the_hash_was_kept_cannot_be_repeated(app, open_poll):
    poll_id = open_poll.public_id
    voter = take_token(app, poll_id, "D001")
    db.session.execute(update(TokenIssuance).values(blinded_sha256=None))
    db.session.commit()
    response = _post_token(voter, poll_id, voter.blinded_msg)
    assert (response.status_code, response.get_json()["error"]) == (409, "token_already_issued")


def test_the_database_refuses_a_malformed_hash(app, open_poll):
    take_token(app, open_poll.public_id, "D001")
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.execute(update(TokenIssuance).values(blinded_sha256="abc"))
        db.session.flush()
    db.session.rollback()


# --- A lost token, reported by the deputy ---------------------------------------------


def _report(client, poll_id: str):
    page = client.get(f"/polls/{poll_id}/vote").get_data(as_text=True)
    return client.post(f"/polls/{poll_id}/vote/lost-token", data={"csrf_token": csrf_from(page)})


def test_a_deputy_reports_a_lost_token_and_staff_see_it(app, open_poll, staff_client):
    poll_id = open_poll.public_id
    take_token(app, poll_id, "D002")
    # On a second device: the page offers the report and names the session's staff.
    second = deputy_client(app, "D002")
    page = second.get(f"/polls/{poll_id}/vote").get_data(as_text=True)
    assert "不需要再做什么" in page and "第十八届人大第四次会议会场的工作人员" in page
    assert 'id="ballot-report-lost"' in page
    response = _report(second, poll_id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/polls/{poll_id}/vote")
    page = second.get(f"/polls/{poll_id}/vote").get_data(as_text=True)
    assert 'id="ballot-lost-reported"' in page and 'id="ballot-report-lost"' not in page
    [reported_at] = db.session.scalars(select(TokenIssuance.lost_reported_at))
    assert reported_at is not None and reported_at.second == 0
    # Reporting again changes nothing.
    assert _report(second, poll_id).status_code == 302
    assert list(db.session.scalars(select(TokenIssuance.lost_reported_at))) == [reported_at]
    staff_page = staff_client.get(f"/staff/polls/{open_poll.id}").get_data(as_text=True)
    section = staff_page[staff_page.index('id="lost-tokens"') :]
    assert "D002" in section and "D001" not in section
    assert reported_at.strftime("%Y-%m-%d %H:%M") in section
    from core.models import AuditEntry

    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "poll.token_lost")) == 1


def test_only_a_deputy_with_a_token_of_an_open_poll_can_report(app, open_poll, staff_client):
    poll_id = open_poll.public_id
    without = deputy_client(app, "D003")
    response = _report(without, poll_id)
    assert response.status_code == 409 and "还没有领取" in response.get_data(as_text=True)
    no_csrf = without.post(f"/polls/{poll_id}/vote/lost-token", data={})
    assert no_csrf.status_code == 400 and "CSRF" in no_csrf.get_data(as_text=True)
    take_token(app, poll_id, "D004")
    holder = deputy_client(app, "D004")
    token = csrf_from(holder.get(f"/polls/{poll_id}/vote").get_data(as_text=True))
    close(db.session.scalar(select(Poll).where(Poll.public_id == poll_id)))
    response = holder.post(f"/polls/{poll_id}/vote/lost-token", data={"csrf_token": token})
    assert response.status_code == 409 and "投票已经结束" in response.get_data(as_text=True)
    assert list(db.session.scalars(select(TokenIssuance.lost_reported_at))) == [None]
    staff_page = staff_client.get(f"/staff/polls/{open_poll.id}").get_data(as_text=True)
    assert "还没有代表报告" in staff_page
    anonymous = app.test_client()
    token = csrf_from(anonymous.get("/login").get_data(as_text=True))
    response = anonymous.post(f"/polls/{poll_id}/vote/lost-token", data={"csrf_token": token})
    assert response.status_code == 302 and re.search(r"/login", response.headers["Location"])
    staff_post = staff_client.post(f"/polls/{poll_id}/vote/lost-token", data={"csrf_token": csrf_from(staff_page)})
    assert staff_post.status_code == 403


# --- Migration 0006 --------------------------------------------------------------------


def test_migration_0006_keeps_earlier_issuances_and_they_cannot_be_repeated(backend, tmp_path):
    """Down to 0005 and up again with an issuance in the table: the issuance stays,
    without a hash (409 to a repeat); a new one gets its hash."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from app import create_app
    from tests.conftest import Client, _pg_second_database, base_config, database_url

    url = _pg_second_database(backend) if backend["kind"] == "postgresql" else database_url(backend, tmp_path)
    other = create_app(base_config(tmp_path, url))
    other.test_client_class = Client
    with other.app_context():
        try:
            congress, session = make_congress(3)
            check_in_all(session, congress.deputies)
            poll_id = approval_poll(session, options=2, seats=1).public_id
            early = take_token(other, poll_id, "D001")
            db.session.remove()
            downgrade(revision="0005")
            columns = {c["name"] for c in inspect(db.engine).get_columns("token_issuance")}
            assert "blinded_sha256" not in columns
            upgrade(revision="heads")
            assert [h for _, h in _issuances()] == [None]
            response = _post_token(early, poll_id, early.blinded_msg)
            assert (response.status_code, response.get_json()["error"]) == (409, "token_already_issued")
            late = take_token(other, poll_id, "D002")
            assert _post_token(late, poll_id, late.blinded_msg).status_code == 200
            assert [h is None for _, h in sorted(_issuances())] == [True, False]
        finally:
            db.session.remove()
            upgrade(revision="heads")  # a no-op unless the test failed half-way
            db.engine.dispose()
