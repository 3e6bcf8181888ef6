"""Paper ballots (protocol revision 5) over HTTP: staff allow paper on a draft with two
scrutineers and mark paper voters while the poll is open (refused after a token); a paper
voter's token request answers 409 ``voted_on_paper``; two scrutineers enter the paper
ballots and the set is accepted only when the entries agree; the close needs the agreed
set; the board carries ``paper`` and verifies with 8 ok lines; the results page shows
the electronic, paper and spoiled counts."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Deputy
from extensions import db
from tests.factories import csrf_token, login, make_congress
from tests.voting.factories import approval_poll, cast, check_in_all, deputy_client, take_token
from tests.voting.test_scrutineers import _verify, choices, draft_with_scrutineers
from voting import services
from voting.models import Poll
from voting.services.base import PollError


def _staff(app):
    client = app.test_client()
    assert login(client, "staff-s").status_code == 302
    return client


def _post(client, url, data):
    data = {"csrf_token": csrf_token(client, url), **data}
    return client.post(url, data=data)


def _deputy_id(code: str) -> int:
    return db.session.scalar(select(Deputy.id).where(Deputy.code == code))


def _enter(client, public_id, text):
    return _post(client, f"/polls/{public_id}/paper", {"ballots": text})


def _token_status(app, poll, code):
    client = deputy_client(app, code)
    page = client.get(f"/polls/{poll.public_id}/vote")
    from tests.factories import csrf_from
    from voting.protocol.client import SecretVoter

    manifest = client.get(f"/api/polls/{poll.public_id}/manifest").get_json()["manifest"]
    response = client.post(
        f"/api/polls/{poll.public_id}/tokens",
        json=SecretVoter(manifest).token_request(),
        headers={"X-CSRFToken": csrf_from(page.get_data(as_text=True))},
    )
    return response


def test_paper_needs_two_scrutineers(app):
    congress, session = make_congress(4)
    poll = approval_poll(session, options=3, seats=1, open_=False)
    from tests.voting.test_scrutineers import name_scrutineers

    assert name_scrutineers(app, poll.id, [congress.deputies[0].id]).status_code == 303
    staff = _staff(app)
    response = _post(staff, f"/staff/polls/{poll.id}/paper", {"allow": "1"})
    assert response.status_code == 422
    assert "至少两名监票人" in response.get_data(as_text=True)
    assert db.session.get(Poll, poll.id).paper_allowed is False


def test_paper_ballots_counted_with_the_electronic_ones(app, tmp_path):
    congress, _session, poll, phones = draft_with_scrutineers(app, n_deputies=8)
    staff = _staff(app)
    assert _post(staff, f"/staff/polls/{poll.id}/paper", {"allow": "1"}).status_code == 303
    poll = db.session.get(Poll, poll.id)
    services.open_poll(poll)
    db.session.commit()
    assert poll.manifest["paper"] is True

    # D004 takes a token: marking them as a paper voter is refused.
    voter4 = take_token(app, poll, "D004")
    refused = _post(staff, f"/staff/polls/{poll.id}/paper", {"deputy": str(_deputy_id("D004"))})
    assert refused.status_code == 409
    assert "已经领取了电子选票凭证" in refused.get_data(as_text=True)

    for code in ("D006", "D007", "D008"):
        assert _post(staff, f"/staff/polls/{poll.id}/paper", {"deputy": str(_deputy_id(code))}).status_code == 303
    page = staff.get(f"/staff/polls/{poll.id}/paper").get_data(as_text=True)
    assert "已选择纸质选票的代表：3 位" in page and 'id="paper-warning"' in page

    # The session's check-in page leads to the marking, with the count so far.
    page = staff.get(f"/sessions/{poll.session_id}").get_data(as_text=True)
    assert 'id="session-paper"' in page and f"/staff/polls/{poll.id}/paper" in page

    # A paper voter gets no token.
    answer = _token_status(app, poll, "D006")
    assert answer.status_code == 409 and answer.get_json()["error"] == "voted_on_paper"

    assert cast(app, poll, voter4.ballot(choices(poll, yes=("p01",)))).status_code == 201
    voter5 = take_token(app, poll, "D005")
    assert cast(app, poll, voter5.ballot(choices(poll, yes=("p02",)))).status_code == 201

    # Two entries that differ by one ballot: refused, the difference shown.
    first = "同意 不同意 不同意\n不同意 同意 弃权\n废票\n"
    assert _enter(phones[0].client, poll.public_id, first).status_code == 303
    second = "同意 不同意 不同意\nn n a\n废票\n"
    assert _enter(phones[1].client, poll.public_id, second).status_code == 303
    page = phones[1].client.get(f"/polls/{poll.public_id}/paper").get_data(as_text=True)
    assert 'id="paper-differences"' in page
    assert "不同意 同意 弃权" in page and "不同意 不同意 弃权" in page
    try:
        services.close_poll(db.session.get(Poll, poll.id))
    except PollError as exc:
        assert exc.code == "paper_not_agreed"
    else:
        raise AssertionError("the close went on with disagreeing paper entries")
    assert db.session.get(Poll, poll.id).is_open

    # A line that cannot be read is named.
    bad = _enter(phones[1].client, poll.public_id, "同意 不同意\n")
    assert bad.status_code == 422 and "第 1 行" in bad.get_data(as_text=True)

    # In English too.
    phones[1].client.set_cookie("yishi_lang", "en")
    english = phones[1].client.get(f"/polls/{poll.public_id}/paper").get_data(as_text=True)
    assert "Enter the paper ballots" in english and "Ballots on which the two entries differ" in english
    phones[1].client.set_cookie("yishi_lang", "zh")
    staff.set_cookie("yishi_lang", "en")
    english = staff.get(f"/staff/polls/{poll.id}/paper").get_data(as_text=True)
    assert "Deputies who chose paper: 3." in english and "secret only among these few paper voters" in english
    staff.set_cookie("yishi_lang", "zh")

    # Corrected: agreed.
    assert _enter(phones[1].client, poll.public_id, "y n n\nn y a\nx\n").status_code == 303
    page = phones[1].client.get(f"/polls/{poll.public_id}/paper").get_data(as_text=True)
    assert 'id="paper-agreed"' in page and 'id="paper-differences"' not in page

    services.close_poll(db.session.get(Poll, poll.id))
    closed = db.session.get(Poll, poll.id)
    assert closed.result["cast"] == 4 and closed.result["paper"] == 2 and closed.result["spoiled"] == 1
    for phone in phones:
        assert phone.cosign(closed.closing).status_code == 201
    published, status, output = _verify(app, closed, phones, tmp_path)
    assert status == 0, output
    assert output.count("ok ") == 8 and "FAIL" not in output
    assert published["paper"]["spoiled"] == 1 and len(published["paper"]["ballots"]) == 2
    assert "paper" in published["closing"]
    flagged = [e["voter"] for e in published["register"] if e.get("paper")]
    assert flagged == ["D006", "D007", "D008"]
    assert published["result"]["paper"] == 2

    # The results page: electronic, paper and spoiled counts.
    page = app.test_client().get(f"/polls/{poll.public_id}").get_data(as_text=True)
    assert 'data-turnout="electronic">2<' in page
    assert 'data-turnout="paper">2<' in page
    assert 'data-turnout="spoiled">1<' in page
    english = app.test_client()
    english.set_cookie("yishi_lang", "en")
    page = english.get(f"/polls/{poll.public_id}").get_data(as_text=True)
    assert "Paper" in page and "Spoiled" in page


def test_named_poll_paper_voter_cannot_cast_electronically(app):
    congress, session = make_congress(5)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1, secrecy="named", open_=False)
    from tests.voting.test_scrutineers import Phone, name_scrutineers

    assert name_scrutineers(app, poll.id, [d.id for d in congress.deputies[:2]]).status_code == 303
    for code in ("D001", "D002"):
        assert Phone(app, code, poll.public_id).enroll().status_code == 201
    staff = _staff(app)
    assert _post(staff, f"/staff/polls/{poll.id}/paper", {"allow": "1"}).status_code == 303
    poll = db.session.get(Poll, poll.id)
    services.open_poll(poll)
    db.session.commit()
    assert _post(staff, f"/staff/polls/{poll.id}/paper", {"deputy": str(_deputy_id("D003"))}).status_code == 303
    client = deputy_client(app, "D003")
    page = client.get(f"/polls/{poll.public_id}/vote").get_data(as_text=True)
    from tests.factories import csrf_from
    from voting.protocol.client import named_ballot

    body = named_ballot(poll.manifest, "D003", {o["id"]: "abstain" for o in poll.manifest["options"]})
    response = client.post(f"/api/polls/{poll.public_id}/ballots", json=body, headers={"X-CSRFToken": csrf_from(page)})
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"] == "voted_on_paper"
