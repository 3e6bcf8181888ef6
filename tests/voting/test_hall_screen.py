"""The hall screen (issue 16.1) over HTTP: staff only; its JSON carries 应到 / 实到 /
凭证已领 live and the cast count as published (coarse, revision 5); after the close it
shows the announcement with the board's root and the scrutineers' signatures, k of n."""

from __future__ import annotations

from extensions import db
from tests.factories import login, make_congress
from tests.voting.factories import approval_poll, cast, check_in_all, close, deputy_client, take_token
from tests.voting.test_scrutineers import choices, draft_with_scrutineers
from voting import services
from voting.models import Poll
from voting.services import batches


def test_screen_is_staff_only(app, client):
    congress, session = make_congress(3)
    url = f"/sessions/{session.id}/screen"
    for path in (url, url + ".json"):
        anonymous = app.test_client().get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        assert deputy_client(app, "D001").get(path).status_code == 403
    assert app.test_client().get("/sessions/999/screen").status_code in (302, 404)


def test_session_page_links_to_the_screen(app, staff_client):
    _congress, session = make_congress(2)
    page = staff_client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert f'href="/sessions/{session.id}/screen"' in page


def test_idle_screen_without_polls(app, staff_client):
    _congress, session = make_congress(2)
    page = staff_client.get(f"/sessions/{session.id}/screen")
    assert page.status_code == 200
    assert "没有进行中的投票" in page.get_data(as_text=True)
    assert staff_client.get(f"/sessions/{session.id}/screen.json").get_json()["view"] == "idle"
    assert staff_client.get("/sessions/999/screen").status_code == 404


def test_live_counts_and_the_coarse_cast_count(app, staff_client, monkeypatch):
    congress, session = make_congress(6)
    check_in_all(session, congress.deputies[:4])
    poll = approval_poll(session, options=3, seats=1)
    url = f"/sessions/{session.id}/screen"
    page = staff_client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert poll.title in html and poll.fingerprint in html
    assert "<svg" in html  # the QR of the results page
    assert "<script>" not in html and "onclick" not in html
    data = staff_client.get(url + ".json").get_json()
    assert data["view"] == f"open:{poll.public_id}"
    assert (data["electorate"], data["present"], data["issued"], data["cast"]) == (6, 4, 0, 0)
    assert data["fingerprint"] == poll.fingerprint

    # Freeze the clock inside one 30-second period: tokens show at once, casts do not.
    now = batches.period_start(batches.clock()) + 5
    monkeypatch.setattr(batches, "clock", lambda: now)
    voters = [take_token(app, poll, code) for code in ("D001", "D002")]
    data = staff_client.get(url + ".json").get_json()
    assert data["issued"] == 2
    for voter in voters:
        assert cast(app, poll, voter.ballot(choices(poll, yes=("p01",)))).status_code == 201
    assert db.session.get(Poll, poll.id).log_size == 2
    data = staff_client.get(url + ".json").get_json()
    assert data["cast"] == services.published_cast_count(db.session.get(Poll, poll.id), now)
    assert data["cast"] == 0, "casts of this period are not shown before the next boundary"
    assert data["cast_as_of"]
    monkeypatch.setattr(batches, "clock", lambda: now + 30)
    assert staff_client.get(url + ".json").get_json()["cast"] == 2


def test_switches_to_the_announcement_with_root_and_k_of_n(app):
    _congress, session, poll, phones = draft_with_scrutineers(app)
    services.open_poll(db.session.get(Poll, poll.id))
    db.session.commit()
    from tests.factories import make_user

    make_user("staff-h", "staff")
    staff = app.test_client()
    assert login(staff, "staff-h").status_code == 302
    url = f"/sessions/{session.id}/screen"
    open_page = staff.get(url).get_data(as_text=True)
    for phone in phones:
        from voting.protocol import signing

        assert signing.fingerprint(phone.public) in open_page  # the scrutineers' keys, to compare aloud
    voter = take_token(app, poll.public_id, "D004")
    assert (
        cast(app, poll.public_id, voter.ballot(choices(db.session.get(Poll, poll.id), yes=("p01",)))).status_code == 201
    )
    close(db.session.get(Poll, poll.id))
    closed = db.session.get(Poll, poll.id)

    data = staff.get(url + ".json").get_json()
    assert data["view"] == f"closed:{poll.public_id}"
    assert data["root"] == closed.closing["root"]
    assert data["cast"] == 1
    assert (data["scrutiny"]["signed"], data["scrutiny"]["count"]) == (0, 3)
    html = staff.get(url).get_data(as_text=True)
    assert closed.closing["root"] in html
    assert 'id="hall-result-table"' in html and "<svg" in html
    assert "0 / 3 位监票人已签名" in html

    assert phones[0].cosign(closed.closing).status_code in (200, 201)
    data = staff.get(url + ".json").get_json()
    assert data["scrutiny"]["signed"] == 1
    assert [line["signed"] for line in data["scrutiny"]["lines"]] == [True, False, False]
    assert "1 / 3 位监票人已签名" in staff.get(url).get_data(as_text=True)


def test_latest_open_poll_wins_over_a_closed_one(app, staff_client):
    congress, session = make_congress(4)
    check_in_all(session, congress.deputies)
    first = approval_poll(session, public_id="2027-test-a", options=2, seats=1)
    close(first)
    assert staff_client.get(f"/sessions/{session.id}/screen.json").get_json()["view"] == "closed:2027-test-a"
    approval_poll(session, public_id="2027-test-b", options=2, seats=1)
    assert staff_client.get(f"/sessions/{session.id}/screen.json").get_json()["view"] == "open:2027-test-b"


def test_screen_in_english(app, staff_client):
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    approval_poll(session, options=2, seats=1)
    staff_client.set_cookie("yishi_lang", "en")
    html = staff_client.get(f"/sessions/{session.id}/screen").get_data(as_text=True)
    assert "Compare it with the fingerprint" in html and "Network down, reconnecting..." in html
    assert "请与手机" not in html
