"""The hall screen (issue 16.1) on a 1920 x 1080 projector: the fingerprint and the
counts are at least 64 px, nothing scrolls sideways, 凭证已领 updates without a reload
when a deputy takes a token, a network cut shows the note and the screen recovers, and
the close switches it to the announcement. Screenshots go to
``$YISHI_TEST_ARTIFACTS/hall`` when that is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from extensions import db
from tests.browser.factories import assert_accessible, login_in_browser
from tests.factories import PASSWORD, make_congress, make_user
from tests.voting.factories import approval_poll, cast, check_in_all, close, take_token
from tests.voting.test_scrutineers import choices
from voting import hall
from voting.models import Poll

pytestmark = pytest.mark.slow

PROJECTOR = {"width": 1920, "height": 1080}


def _px(page, selector: str) -> float:
    return page.eval_on_selector(selector, "el => parseFloat(getComputedStyle(el).fontSize)")


def _no_sideways_scroll(page) -> None:
    wide = page.evaluate(
        """() => {
          const w = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= w) return [];
          return [...document.querySelectorAll("main *")]
            .filter(el => el.getBoundingClientRect().right > w + 1)
            .slice(0, 5).map(el => el.tagName + "." + el.className + " " + Math.round(el.getBoundingClientRect().right));
        }"""
    )
    assert not wide, wide


def test_hall_screen_on_a_projector(app, live_server, browser, tmp_path, monkeypatch):
    monkeypatch.setattr(hall, "POLL_SECONDS", 1)
    base = os.environ.get("YISHI_TEST_ARTIFACTS")
    shots = Path(base) / "hall" if base else tmp_path / "hall"
    shots.mkdir(parents=True, exist_ok=True)

    congress, session = make_congress(8)
    check_in_all(session, congress.deputies[:6])
    poll = approval_poll(session, options=4, seats=2)
    public_id = poll.public_id
    make_user("staff-hall", "staff")

    context = browser.new_context(locale="zh-CN", viewport=PROJECTOR)
    page = context.new_page()
    try:
        login_in_browser(page, live_server.url, "staff-hall", PASSWORD)
        page.goto(f"{live_server.url}/sessions/{session.id}/screen")
        expect(page.locator("#hall-fingerprint")).to_have_text(poll.fingerprint)
        assert _px(page, "#hall-fingerprint") >= 64
        for field in ("electorate", "present", "issued", "cast"):
            assert _px(page, f'[data-field="{field}"]') >= 64, field
        _no_sideways_scroll(page)
        expect(page.locator('[data-field="present"]')).to_have_text("6")
        expect(page.locator('[data-field="issued"]')).to_have_text("0")
        page.evaluate("window.__sameDocument = true")

        # A deputy takes a token: 凭证已领 changes on the screen without a reload.
        take_token(app, public_id, "D001")
        expect(page.locator('[data-field="issued"]')).to_have_text("1", timeout=10_000)
        assert page.evaluate("window.__sameDocument === true")
        page.screenshot(path=str(shots / "01-open.png"))
        assert_accessible(page, "hall screen, open poll")

        # The network is cut: the note shows, the screen keeps trying, then recovers.
        page.route("**/screen.json", lambda route: route.abort())
        expect(page.locator("#hall-offline")).to_be_visible(timeout=10_000)
        page.screenshot(path=str(shots / "02-reconnecting.png"))
        take_token(app, public_id, "D002")
        page.unroute("**/screen.json")
        expect(page.locator("#hall-offline")).to_be_hidden(timeout=10_000)
        expect(page.locator('[data-field="issued"]')).to_have_text("2", timeout=10_000)
        assert page.evaluate("window.__sameDocument === true")

        # The close switches the screen to the announcement.
        voter = take_token(app, public_id, "D003")
        assert (
            cast(app, public_id, voter.ballot(choices(db.session.get(Poll, poll.id), yes=("p01",)))).status_code == 201
        )
        close(db.session.get(Poll, poll.id))
        root = db.session.get(Poll, poll.id).closing["root"]
        expect(page.locator("#hall-root")).to_have_text(root, timeout=15_000)
        expect(page.locator("#hall-result-table")).to_be_visible()
        expect(page.locator('[data-field="cast"]')).to_have_text("1")
        assert _px(page, '[data-field="cast"]') >= 64
        assert _px(page, "#hall-fingerprint") >= 64
        _no_sideways_scroll(page)
        page.screenshot(path=str(shots / "03-announcement.png"), full_page=True)
        assert_accessible(page, "hall screen, announcement")
        # The same page on a phone (the site's crawl opens it at 375 px): no sideways scroll.
        page.set_viewport_size({"width": 375, "height": 812})
        _no_sideways_scroll(page)
        narrow = page.evaluate(
            """() => [...document.querySelectorAll("#hall-result-table tbody th, #hall-result-table td")]
                 .filter(c => c.textContent.trim() && c.clientWidth < 2 * parseFloat(getComputedStyle(c).fontSize))
                 .map(c => c.textContent.trim())"""
        )
        # On a phone the table is cards (the header row only for screen readers): no cell
        # of a card is squeezed.
        assert not narrow, narrow
        assert (
            page.evaluate("getComputedStyle(document.querySelector('#hall-result-table tbody tr')).display") == "block"
        )
        page.screenshot(path=str(shots / "04-announcement-phone.png"), full_page=True)
        assert_accessible(page, "hall screen, announcement, 375 px")
    finally:
        context.close()


def test_signatures_arrive_on_the_announcement(app, live_server, browser, monkeypatch):
    """After the close, each scrutineer's co-signature shows on the screen as it arrives
    (k of n, by name) without a reload."""
    from tests.voting.test_scrutineers import draft_with_scrutineers, open_vote_close

    monkeypatch.setattr(hall, "POLL_SECONDS", 1)
    _congress, session, poll, phones = draft_with_scrutineers(app)
    closed = open_vote_close(app, poll.id)
    make_user("staff-hall2", "staff")
    context = browser.new_context(locale="zh-CN", viewport=PROJECTOR)
    page = context.new_page()
    try:
        login_in_browser(page, live_server.url, "staff-hall2", PASSWORD)
        page.goto(f"{live_server.url}/sessions/{session.id}/screen")
        expect(page.locator("#hall-signed")).to_have_text("0 / 3 位监票人已签名")
        page.evaluate("window.__sameDocument = true")
        assert phones[1].cosign(closed.closing).status_code in (200, 201)
        expect(page.locator("#hall-signed")).to_have_text("1 / 3 位监票人已签名", timeout=10_000)
        expect(page.locator('[data-scrutineer="1"] .badge-ok')).to_have_text("已签名")
        expect(page.locator('[data-scrutineer="0"] .badge-ok')).to_have_count(0)
        assert page.evaluate("window.__sameDocument === true")
    finally:
        context.close()
