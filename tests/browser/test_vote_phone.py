"""A deputy votes on a phone: token in the browser, cast without cookies, the
downloaded receipt verifies against the final board."""

import json

from playwright.sync_api import expect

from tests.browser.factories import assert_accessible, login_in_browser
from tests.factories import PASSWORD, make_congress
from tests.voting.factories import approval_poll, board, check_in_all, close, run_verifier


def test_deputy_votes_on_a_phone_and_the_receipt_verifies(app, live_server, phone, tmp_path):
    congress, session = make_congress(5)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=4, seats=2)
    login_in_browser(phone, live_server.url, "D003", PASSWORD)
    phone.goto(f"{live_server.url}/polls/{poll.public_id}/vote")
    assert phone.locator("#ballot-fingerprint").inner_text().strip() == poll.fingerprint
    expect(phone.locator("#ballot-status")).to_contain_text("已领取选票凭证")
    assert_accessible(phone, "ballot page")
    # Too many yes is stopped in the browser before anything is sent.
    for option in ("p01", "p02", "p03"):
        phone.check(f"input[name=choice-{option}][value=yes]")
    phone.check("input[name=choice-p04][value=no]")
    phone.click("#ballot-form button[type=submit]")
    assert "最多" in phone.locator("#ballot-status").inner_text()
    phone.check("input[name=choice-p03][value=abstain]")
    cookies_sent = []
    phone.on("request", lambda r: r.url.endswith("/ballots") and cookies_sent.append(r.headers.get("cookie")))
    phone.click("#ballot-form button[type=submit]")
    phone.wait_for_selector("#ballot-receipt:not([hidden])")
    assert cookies_sent == [None], "the cast must carry no cookie"
    with phone.expect_download() as download_info:
        phone.click("#ballot-download-receipt")
    receipt_path = tmp_path / "receipt.json"
    download_info.value.save_as(receipt_path)
    with phone.expect_download() as download_info:
        phone.click("#ballot-download-ballot")
    ballot_path = tmp_path / "ballot.json"
    download_info.value.save_as(ballot_path)
    receipt = json.loads(receipt_path.read_text())
    ballot = json.loads(ballot_path.read_text())
    assert ballot["choices"] == {"p01": "yes", "p02": "yes", "p03": "abstain", "p04": "no"}
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    # A reload keeps the receipt and does not offer a second vote.
    phone.reload()
    phone.wait_for_selector("#ballot-receipt:not([hidden])")
    close(poll)
    published = board(app, poll)
    status, output = run_verifier(published, tmp_path, [receipt], [ballot], fingerprint=poll.fingerprint)
    assert status == 0, output
    assert "ok 7" in output


def test_token_survives_a_reload_before_casting(app, live_server, phone):
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    login_in_browser(phone, live_server.url, "D001", PASSWORD)
    phone.goto(f"{live_server.url}/polls/{poll.public_id}/vote")
    expect(phone.locator("#ballot-status")).to_contain_text("已领取选票凭证")
    phone.reload()
    expect(phone.locator("#ballot-status")).to_contain_text("已领取选票凭证")
    phone.check("input[name=choice-p01][value=yes]")
    phone.check("input[name=choice-p02][value=no]")
    phone.click("#ballot-form button[type=submit]")
    phone.wait_for_selector("#ballot-receipt:not([hidden])")
    from sqlalchemy import func, select

    from extensions import db
    from voting.models import TokenIssuance

    assert db.session.scalar(select(func.count()).select_from(TokenIssuance)) == 1
