"""No deputy is ever locked out by a reload (issue 12): on a 375-px phone, each of ten
deputies reloads the ballot page at every step — while the token request is in flight
(the server has recorded the issuance, the page never got the answer), after the token
came, while the cast is in flight (the ballot is committed, the page never got the
receipt), and after the cast — and still ends with a receipt that verifies against the
final board. And a deputy on a second device is told plainly what happened.

Screenshots go to ``$YISHI_TEST_ARTIFACTS/reload`` when that is set, otherwise under the
test's tmp_path; the path is printed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from extensions import db
from tests.browser.factories import PHONE, assert_accessible, login_in_browser
from tests.factories import PASSWORD, make_congress
from tests.voting.factories import approval_poll, board, check_in_all, close, run_verifier
from voting.models import Ballot, TokenIssuance

DEPUTIES = 10
TOKEN_READY = "已领取选票凭证"
CAST_OK = "投票成功"
ALREADY = "您已经在本浏览器投过票"


def _artifacts(tmp_path: Path) -> Path:
    base = os.environ.get("YISHI_TEST_ARTIFACTS")
    folder = Path(base) / "reload" if base else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


def _count(model) -> int:
    """Read what the server committed, and end the read at once."""
    value = db.session.scalar(select(func.count()).select_from(model))
    db.session.commit()
    return value


class HeldResponse:
    """Lets the first matching request reach the server and holds its answer back from
    the page: the server has done its work, the page is still waiting when it is
    reloaded (the reload cancels it). Later requests pass. The route stays until the
    browser context closes: removing it would let Playwright send the held request again."""

    def __init__(self, page, pattern: str):
        self.page, self.held = page, []
        page.route(pattern, self._handle)

    def _handle(self, route):
        if self.held:
            route.continue_()
        else:
            self.held.append(route.fetch())  # the server answers; the page never hears it

    def wait(self, what: str):
        for _ in range(400):
            if self.held:
                return self.held[0]
            self.page.wait_for_timeout(25)
        raise AssertionError(f"the page never sent its {what} request")


def _vote_with_a_reload_at_every_step(phone, url: str, code: str, choices: dict, shots: Path, tmp_path: Path):
    vote_url = f"{url}/polls/2027-test-minsheng/vote"
    issued_before = _count(TokenIssuance)
    cast_before = _count(Ballot)
    posts = []
    phone.on("request", lambda r: r.method == "POST" and posts.append(r.url.rsplit("/", 1)[1]))

    # 1. Reload while the token request is in flight.
    tokens = HeldResponse(phone, "**/api/polls/*/tokens")
    phone.goto(vote_url)
    answer = tokens.wait("token")
    assert answer.status == 200, answer.text()
    assert _count(TokenIssuance) == issued_before + 1, "the server recorded the issuance"
    phone.screenshot(path=shots / f"{code}-1-token-in-flight.png")
    phone.reload()
    expect(phone.locator("#ballot-status")).to_contain_text(TOKEN_READY)

    # 2. Reload after the token came.
    phone.reload()
    expect(phone.locator("#ballot-status")).to_contain_text(TOKEN_READY)
    phone.screenshot(path=shots / f"{code}-2-token-ready.png")
    assert _count(TokenIssuance) == issued_before + 1

    # 3. Reload while the cast is in flight.
    for option, value in choices.items():
        phone.check(f"input[name=choice-{option}][value={value}]")
    ballots = HeldResponse(phone, "**/api/polls/*/ballots")
    phone.click("#ballot-form button[type=submit]")
    answer = ballots.wait("cast")
    assert answer.status == 201, answer.text()
    first_receipt = json.loads(answer.text())
    assert _count(Ballot) == cast_before + 1, "the server committed the ballot"
    phone.screenshot(path=shots / f"{code}-3-cast-in-flight.png")
    phone.reload()
    # The page sends the very same ballot again and gets the same receipt.
    expect(phone.locator("#ballot-status")).to_contain_text(CAST_OK)
    phone.wait_for_selector("#ballot-receipt:not([hidden])")
    with phone.expect_download() as download:
        phone.click("#ballot-download-ballot")
    ballot_path = tmp_path / f"ballot-{code}.json"
    download.value.save_as(ballot_path)
    ballot = json.loads(ballot_path.read_text())
    assert ballot["choices"] == choices
    phone.screenshot(path=shots / f"{code}-3-after-reload.png")

    # 4. Reload after the cast: the receipt is still there; the secrets are not.
    phone.reload()
    expect(phone.locator("#ballot-status")).to_contain_text(ALREADY)
    assert "回执已在本机核验无误" in phone.locator("#ballot-receipt").inner_text()
    with phone.expect_download() as download:
        phone.click("#ballot-download-receipt")
    receipt_path = tmp_path / f"receipt-{code}.json"
    download.value.save_as(receipt_path)
    receipt = json.loads(receipt_path.read_text())
    assert receipt == first_receipt
    stored = phone.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert ballot["token"] not in stored and ballot["token_sig"] not in stored, "the token is removed after the cast"
    assert "choices" not in stored and "yishi-vote:" not in stored
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=shots / f"{code}-4-receipt-kept.png")
    # The held token request, its repeat after the first reload; the held cast, the
    # same ballot sent again after the third reload; nothing more.
    assert posts == ["tokens", "tokens", "ballots", "ballots"], posts
    assert (_count(TokenIssuance), _count(Ballot)) == (issued_before + 1, cast_before + 1)
    return receipt, ballot


@pytest.mark.slow
def test_reloads_at_every_step_never_lock_a_deputy_out(app, live_server, browser, tmp_path):
    shots = _artifacts(tmp_path)
    congress, session = make_congress(DEPUTIES + 2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=3, seats=1)
    receipts, ballots = [], []
    values = ("yes", "no", "abstain")
    for i, deputy in enumerate(congress.deputies[:DEPUTIES]):
        choices = {"p01": values[i % 3], "p02": values[(i + 1) % 3], "p03": "no"}
        context = browser.new_context(locale="zh-CN", **PHONE, accept_downloads=True)
        try:
            phone = context.new_page()
            login_in_browser(phone, live_server.url, deputy.code, PASSWORD)
            receipt, ballot = _vote_with_a_reload_at_every_step(
                phone, live_server.url, deputy.code, choices, shots, tmp_path
            )
            if i == 0:
                assert_accessible(phone, "ballot page with a kept receipt")
        finally:
            context.close()
        receipts.append(receipt)
        ballots.append(ballot)
    close(poll)
    published = board(app, poll)
    status, output = run_verifier(published, tmp_path, receipts, ballots, fingerprint=poll.fingerprint)
    assert status == 0, output
    assert published["result"]["cast"] == len(published["ballots"]) == DEPUTIES
    assert sum(entry["token_issued"] for entry in published["register"]) == DEPUTIES
    assert sorted(r["index"] for r in receipts) == list(range(DEPUTIES))


@pytest.mark.slow
def test_a_second_device_is_told_plainly_and_the_deputy_can_report(app, live_server, browser, tmp_path):
    shots = _artifacts(tmp_path)
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    approval_poll(session, options=2, seats=1)
    vote_url = f"{live_server.url}/polls/2027-test-minsheng/vote"
    first = browser.new_context(locale="zh-CN", **PHONE)
    second = browser.new_context(locale="en-US", **PHONE)
    try:
        phone = first.new_page()
        login_in_browser(phone, live_server.url, "D001", PASSWORD)
        phone.goto(vote_url)
        expect(phone.locator("#ballot-status")).to_contain_text(TOKEN_READY)
        other = second.new_page()
        other.goto(f"{live_server.url}/lang/en")
        login_in_browser(other, live_server.url, "D001", PASSWORD)
        other.goto(vote_url)
        box = other.locator("#ballot-elsewhere")
        expect(box).to_be_visible()
        text = box.inner_text()
        assert "If you have already voted there, your vote is recorded and nothing more is needed" in text
        assert "staff" in text and "第十八届人大第四次会议" in text
        assert other.locator("#ballot-form").is_hidden()
        assert "another browser" in other.locator("#ballot-status").inner_text()
        assert other.evaluate("document.documentElement.scrollWidth") <= 375
        assert_accessible(other, "second device")
        other.screenshot(path=shots / "second-device.png", full_page=True)
        other.click("#ballot-report-lost")
        other.wait_for_load_state("load")
        expect(other.locator("#ballot-lost-reported")).to_be_attached()
        # The first phone still votes: nothing was taken from it.
        phone.reload()
        phone.check("input[name=choice-p01][value=yes]")
        phone.check("input[name=choice-p02][value=no]")
        phone.click("#ballot-form button[type=submit]")
        expect(phone.locator("#ballot-status")).to_contain_text(CAST_OK)
    finally:
        first.close()
        second.close()
    reported = list(db.session.scalars(select(TokenIssuance.lost_reported_at)))
    db.session.commit()
    assert len(reported) == 1 and reported[0] is not None


def test_a_ballot_in_flight_at_the_close_still_gets_its_receipt(app, live_server, phone, tmp_path):
    """The cast was committed, the page never heard, and the poll closed before the page
    came back: the page sends the same ballot again and keeps the receipt the server
    answers (an identical ballot gets its receipt even after the close)."""
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    login_in_browser(phone, live_server.url, "D002", PASSWORD)
    phone.goto(f"{live_server.url}/polls/{poll.public_id}/vote")
    expect(phone.locator("#ballot-status")).to_contain_text(TOKEN_READY)
    phone.check("input[name=choice-p01][value=yes]")
    phone.check("input[name=choice-p02][value=no]")
    ballots = HeldResponse(phone, "**/api/polls/*/ballots")
    phone.click("#ballot-form button[type=submit]")
    first_receipt = json.loads(ballots.wait("cast").text())
    close(poll)
    phone.reload()
    expect(phone.locator("#ballot-status")).to_contain_text(CAST_OK)
    with phone.expect_download() as download:
        phone.click("#ballot-download-receipt")
    receipt_path = tmp_path / "receipt.json"
    download.value.save_as(receipt_path)
    assert json.loads(receipt_path.read_text()) == first_receipt
    stored = phone.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert "yishi-vote:" not in stored and "yishi-receipt:" in stored
    published = board(app, poll)
    status, output = run_verifier(published, tmp_path, [first_receipt], fingerprint=poll.fingerprint)
    assert status == 0, output
