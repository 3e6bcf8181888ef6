"""The ballot page speaks the reader's language with the texts the server sends (ballot.js
has none of its own), and a page that lost them refuses, in both languages, before it
asks for anything."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.factories import login_in_browser
from tests.factories import PASSWORD, make_congress
from tests.voting.factories import approval_poll, check_in_all

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def test_the_ballot_page_speaks_english(app, live_server, phone):
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    login_in_browser(phone, live_server.url, "D001", PASSWORD)
    phone.goto(f"{live_server.url}/lang/en")
    phone.goto(f"{live_server.url}/polls/{poll.public_id}/vote")
    expect(phone.locator("#ballot-status")).to_have_text("Ballot token received. You can now vote.")
    choices = phone.locator("fieldset[data-option=p01] label").all_inner_texts()
    assert [c.strip() for c in choices] == ["Yes", "No", "Abstain"]
    phone.check("input[name=choice-p01][value=yes]")
    phone.click("#ballot-form button[type=submit]")
    expect(phone.locator("#ballot-status")).to_contain_text("Items still without a choice (1): 候选项目2")
    phone.check("input[name=choice-p02][value=no]")
    phone.click("#ballot-form button[type=submit]")
    phone.wait_for_selector("#ballot-receipt:not([hidden])")
    receipt = phone.locator("#ballot-receipt").inner_text()
    for text in ("Your ballot has been recorded", "Ballot number", "Download receipt", "Download ballot copy"):
        assert text in receipt, text
    assert not CJK.search(receipt), receipt


def test_without_its_texts_the_page_refuses_in_both_languages(app, live_server, phone):
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    login_in_browser(phone, live_server.url, "D001", PASSWORD)
    vote_url = f"{live_server.url}/polls/{poll.public_id}/vote"

    def without_texts(route):
        html = route.fetch().text()
        stripped = re.sub(r'<script type="application/json" id="ballot-i18n">.*?</script>', "", html, flags=re.S)
        assert stripped != html
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=stripped)

    phone.route(vote_url, without_texts)
    api_calls = []
    phone.on("request", lambda r: "/api/" in r.url and api_calls.append(r.url))
    phone.goto(vote_url)
    status = phone.locator("#ballot-status")
    expect(status).to_contain_text("本页缺少文字资源，不能投票")
    expect(status).to_contain_text("This page is missing its texts, so you cannot vote here.")
    expect(phone.locator("#ballot-form button[type=submit]")).to_be_disabled()
    assert api_calls == [], "nothing is asked of the server without the texts"
