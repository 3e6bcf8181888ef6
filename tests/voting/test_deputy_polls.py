"""The open polls on a deputy's own page (issue 14, item 3): what the server knows of the
deputy's part in each, never a red call to action once it knows the token was taken or
the named ballot is in, and what the page's script needs to read this browser's receipt.
(The script's side, 已投票 from the receipt, is tests/browser/test_ballot_easy.py.)"""

from __future__ import annotations

import re

from tests.factories import csrf_from, make_congress
from tests.voting.factories import approval_poll, check_in_all, deputy_client, take_token
from voting import services
from voting.protocol.client import named_ballot


def _item(html: str, poll_id: str) -> str:
    found = re.search(rf'<li class="deputy-poll" data-poll="{re.escape(poll_id)}".*?</li>', html, re.S)
    assert found, html[-3000:]
    return found.group(0)


def _red(item: str) -> bool:
    return 'class="button primary deputy-poll-link"' in item


def test_a_secret_poll_shows_the_token_taken_and_turns_calm(app):
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    client = deputy_client(app, "D001")

    item = _item(client.get("/me").get_data(as_text=True), poll.public_id)
    assert _red(item) and "凭证已领取" not in item
    assert f'data-manifest-hash="{poll.manifest_hash}"' in item and 'data-voter="D001"' in item
    assert 'data-token-taken="false"' in item

    take_token(app, poll, "D001")
    item = _item(client.get("/me").get_data(as_text=True), poll.public_id)
    assert "凭证已领取" in item and not _red(item) and 'data-token-taken="true"' in item
    # Whether the token was used, the server cannot know: 已投票 is left to the browser.
    assert re.search(r'<span class="deputy-poll-voted" hidden>', item)

    other = _item(deputy_client(app, "D002").get("/me").get_data(as_text=True), poll.public_id)
    assert _red(other) and "凭证已领取" not in other

    english = deputy_client(app, "D001")
    english.get("/lang/en")
    item = _item(english.get("/me").get_data(as_text=True), poll.public_id)
    assert "Token taken" in item and "凭证" not in item


def test_a_named_ballot_in_the_log_shows_voted(app):
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1, secrecy="named")
    client = deputy_client(app, "D001")
    item = _item(client.get("/me").get_data(as_text=True), poll.public_id)
    assert _red(item) and "凭证已领取" not in item

    token = csrf_from(client.get(f"/polls/{poll.public_id}/vote").get_data(as_text=True))
    body = named_ballot(poll.manifest, "D001", {"p01": "yes", "p02": "no"})
    response = client.post(f"/api/polls/{poll.public_id}/ballots", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()

    item = _item(client.get("/me").get_data(as_text=True), poll.public_id)
    assert '<span class="deputy-poll-voted">' in item and "已投票" in item and not _red(item)
    assert "凭证已领取" not in item  # a named poll has no token
    other = _item(deputy_client(app, "D002").get("/me").get_data(as_text=True), poll.public_id)
    assert _red(other) and '<span class="deputy-poll-voted" hidden>' in other


def test_deputy_polls_lists_only_open_polls_of_the_register(app):
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    open_poll = approval_poll(session, options=2, seats=1)
    approval_poll(session, public_id="2027-test-draft", options=2, seats=1, open_=False)
    take_token(app, open_poll, "D002")
    rows = services.deputy_polls(congress.deputies[1])
    assert [(r.poll.public_id, r.voter, r.token_taken, r.voted) for r in rows] == [
        (open_poll.public_id, "D002", True, False)
    ]
    rows = services.deputy_polls(congress.deputies[0])
    assert [(r.voter, r.token_taken, r.voted) for r in rows] == [("D001", False, False)]
