"""The ballot a deputy fills in without thinking (issue 14, item 3), on a 375 × 812 phone
in both languages: "mark all the rest" marks only what is unmarked, the missing count
follows every click and names the items only when few are left, the sticky bar stays
within 15 % of the screen, after the cast the button says 已投票 and the receipt comes
first (said once, not twice), errors look like errors (role="alert", the error colour),
a proxy's 4xx after a committed cast does not unlock the choices, and the deputy's own
page shows 凭证已领取 / 已投票 without a red call to action after the vote.

Screenshots go to ``$YISHI_TEST_ARTIFACTS/ballot-easy`` when that is set, otherwise
under the test's tmp_path; the path is printed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from extensions import db
from tests.browser.factories import assert_accessible, login_in_browser
from tests.factories import PASSWORD, make_congress
from tests.voting.factories import approval_poll, check_in_all, take_token
from voting import services, specs
from voting.models import Ballot

SCREEN = {"width": 375, "height": 812}
MAX_BAR = 0.15 * SCREEN["height"]  # 121.8 px
ACCENT = "rgb(163, 20, 29)"  # --accent: the red of a call to action
ERROR_TEXT = "rgb(125, 15, 22)"  # --accent-dark: the error colour

TEXTS = {
    "zh": {
        "missing_many": "还有 5 项未选。",
        "missing_few": "还有 3 项未选：候选项目3、候选项目4、候选项目5",
        "all_chosen": "全部 5 项都已选择。",
        "rest_no": "全部选“不同意”",
        "voted": "已投票",
        "cast_ok": "投票成功",
        "already": "您已经在本浏览器投过票",
        "token": "凭证已领取",
    },
    "en": {
        "missing_many": "5 items not yet chosen.",
        "missing_few": "Not yet chosen (3): 候选项目3, 候选项目4, 候选项目5",
        "all_chosen": "All 5 items have a choice.",
        "rest_no": 'All "No"',
        "voted": "Voted",
        "cast_ok": "Your ballot has been recorded",
        "already": "You have already voted in this browser",
        "token": "Token taken",
    },
}


def _shots(tmp_path: Path) -> Path:
    base = os.environ.get("YISHI_TEST_ARTIFACTS")
    folder = Path(base) / "ballot-easy" if base else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


@pytest.fixture
def phone812(browser):
    context = browser.new_context(
        locale="zh-CN", viewport=SCREEN, device_scale_factor=2, is_mobile=True, has_touch=True, accept_downloads=True
    )
    page = context.new_page()
    yield page
    context.close()


def _open_ballot(page, url: str, poll_id: str, lang: str) -> None:
    if lang == "en":
        page.goto(f"{url}/lang/en")
    page.goto(f"{url}/polls/{poll_id}/vote")
    expect(page.locator("#ballot-form button[type=submit]")).to_be_enabled()


def _bar_height(page) -> float:
    return page.locator("#ballot-form .sticky-bar").bounding_box()["height"]


def _choice(page, option: str) -> str | None:
    return page.evaluate(
        "(name) => { const el = document.querySelector(`input[name=${name}]:checked`); return el ? el.value : null; }",
        f"choice-{option}",
    )


def _count_in_page(page, text: str) -> int:
    return page.evaluate("(t) => document.body.innerText.split(t).length - 1", text)


def _is_error(page, selector: str) -> None:
    el = page.locator(selector)
    expect(el).to_have_attribute("role", "alert")
    expect(el).to_have_class("ballot-status is-error")
    assert el.evaluate("e => getComputedStyle(e).color") == ERROR_TEXT


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_deputy_fills_in_the_ballot_without_thinking(app, live_server, phone812, lang, tmp_path):
    t = TEXTS[lang]
    shots = _shots(tmp_path)
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=5, seats=2)
    page = phone812
    login_in_browser(page, live_server.url, "D001", PASSWORD)
    _open_ballot(page, live_server.url, poll.public_id, lang)

    missing = page.locator("#ballot-missing")
    expect(missing).to_have_text(t["missing_many"])  # many missing: the count only
    assert _bar_height(page) <= MAX_BAR

    # Nothing chosen: the submit is stopped with an error that looks like one.
    page.click("#ballot-form button[type=submit]")
    _is_error(page, "#ballot-status")
    assert page.locator(".ballot-option.is-missing").count() == 5

    page.check("input[name=choice-p01][value=yes]")
    expect(page.locator("#ballot-status")).to_be_hidden()  # mending it: the bar says what is left
    assert page.locator(".ballot-option.is-missing").count() == 0
    page.check("input[name=choice-p02][value=yes]")
    expect(missing).to_have_text(t["missing_few"])  # few missing: named
    assert _bar_height(page) <= MAX_BAR
    page.check("input[name=choice-p03][value=abstain]")
    expect(missing).to_contain_text("(2)" if lang == "en" else "还有 2 项未选")

    # Over the limit: the longest line the bar shows.
    page.check("input[name=choice-p03][value=yes]")
    expect(page.locator("#ballot-count")).to_have_class("is-over")
    assert _bar_height(page) <= MAX_BAR
    page.screenshot(path=shots / f"{lang}-1-over-limit.png")
    page.check("input[name=choice-p03][value=abstain]")

    # "All No" marks the two left, and only them.
    rest_no = page.get_by_role("button", name=t["rest_no"])
    rest_no.click()
    assert [_choice(page, f"p0{i}") for i in range(1, 6)] == ["yes", "yes", "abstain", "no", "no"]
    expect(missing).to_have_text(t["all_chosen"])
    expect(rest_no).to_be_disabled()
    assert _bar_height(page) <= MAX_BAR
    page.locator(".ballot-rest").scroll_into_view_if_needed()
    page.screenshot(path=shots / f"{lang}-2-marked.png")
    if lang == "zh":
        assert_accessible(page, "ballot page, filled in")

    page.click("#ballot-form button[type=submit]")
    receipt = page.locator("#ballot-receipt")
    expect(receipt).to_be_visible()
    button = page.locator("#ballot-form button[type=submit]")
    expect(button).to_have_text(t["voted"])
    expect(button).to_be_disabled()
    # The receipt comes first: at the top of the screen, focused, before the ballot.
    assert page.evaluate("document.activeElement && document.activeElement.id") == "ballot-receipt"
    top = receipt.bounding_box()["y"]
    assert -1 <= top < 40, top
    assert page.evaluate(
        "document.getElementById('ballot-receipt').compareDocumentPosition(document.getElementById('ballot-form'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    assert _count_in_page(page, t["cast_ok"]) == 1, "the cast is announced once, in the receipt"
    expect(page.locator("#ballot-missing")).to_be_hidden()
    expect(page.locator(".ballot-rest")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    page.screenshot(path=shots / f"{lang}-3-cast.png")

    # Coming back: the kept receipt, said once.
    page.reload()
    expect(receipt).to_be_visible()
    expect(page.locator("#ballot-status")).to_contain_text(t["already"])
    assert _count_in_page(page, t["already"]) == 1, "the kept receipt is announced once"
    page.screenshot(path=shots / f"{lang}-4-already.png")

    # The deputy's own page: token taken (server), voted (this browser), no red button.
    page.goto(f"{live_server.url}/me")
    item = page.locator(f".deputy-poll[data-poll='{poll.public_id}']")
    expect(item.locator(".deputy-poll-token")).to_have_text(t["token"])
    expect(item.locator(".deputy-poll-voted")).to_be_visible()
    expect(item.locator(".deputy-poll-voted")).to_have_text(t["voted"])
    link = item.locator(".deputy-poll-link")
    expect(link).not_to_have_class("button primary deputy-poll-link")
    assert link.evaluate("e => getComputedStyle(e).backgroundColor") != ACCENT
    expect(item.locator(".deputy-poll-elsewhere")).to_be_hidden()
    page.screenshot(path=shots / f"{lang}-5-me.png", full_page=True)
    if lang == "zh":
        assert_accessible(page, "deputy page after voting")


def test_mark_the_rest_on_a_satisfaction_ballot_and_the_named_vote_on_the_deputy_page(
    app, live_server, phone812, tmp_path
):
    shots = _shots(tmp_path)
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = services.create_poll(
        public_id="2027-test-manyi",
        title="2027年政府工作满意度测评",
        ballot="satisfaction",
        secrecy="named",
        session=session,
        options=["教育局", "卫健局", "交通局", "住建局"],
        poll_rules=specs.build_rules("satisfaction"),
    ).poll
    services.open_poll(poll)
    db.session.commit()
    page = phone812
    login_in_browser(page, live_server.url, "D002", PASSWORD)

    page.goto(f"{live_server.url}/me")
    link = page.locator(".deputy-poll-link")
    assert link.evaluate("e => getComputedStyle(e).backgroundColor") == ACCENT, "not voted: the call to action"
    expect(page.locator(".deputy-poll-token")).to_have_count(0)  # named polls have no token

    _open_ballot(page, live_server.url, poll.public_id, "zh")
    labels = page.locator(".ballot-rest-button").all_inner_texts()
    assert labels == ["全部选“基本满意”", "全部选“不满意”", "全部选“弃权”"], labels
    page.check("input[name=choice-p01][value=satisfied]")
    page.check("input[name=choice-p03][value=dissatisfied]")
    expect(page.locator("#ballot-missing")).to_have_text("还有 2 项未选：卫健局、住建局")
    page.get_by_role("button", name="全部选“基本满意”").click()
    assert [_choice(page, f"p0{i}") for i in range(1, 5)] == ["satisfied", "basic", "dissatisfied", "basic"]
    for button in page.locator(".ballot-rest-button").all():
        expect(button).to_be_disabled()
    assert _bar_height(page) <= MAX_BAR
    assert page.evaluate("document.activeElement.type") == "submit"  # the next step
    page.screenshot(path=shots / "satisfaction-1-marked.png")

    # A gateway's 403 page after the server took the ballot: the pending ballot is kept.
    answers = []

    def gateway_refuses_the_first(route):
        if answers:
            route.continue_()
            return
        answers.append(route.fetch())
        route.fulfill(status=403, content_type="text/html", body="<html><body>403 Forbidden</body></html>")

    page.route("**/api/polls/*/ballots", gateway_refuses_the_first)
    page.click("#ballot-form button[type=submit]")
    _is_error(page, "#ballot-status")
    assert answers[0].status == 201
    assert page.evaluate("Object.keys(localStorage).some(k => k.startsWith('yishi-pending:'))")
    page.reload()  # the kept ballot comes back, to be sent again as it was
    expect(page.locator("#ballot-status")).to_contain_text("上次提交可能没有送达")
    assert _choice(page, "p04") == "basic"
    page.click("#ballot-form button[type=submit]")
    expect(page.locator("#ballot-receipt")).to_be_visible()
    expect(page.locator("#ballot-form button[type=submit]")).to_have_text("已投票")

    # The server knows a named ballot: 已投票 even in a browser without the receipt.
    page.evaluate("localStorage.clear()")
    page.goto(f"{live_server.url}/me")
    expect(page.locator(".deputy-poll-voted")).to_be_visible()
    assert link.evaluate("e => getComputedStyle(e).backgroundColor") != ACCENT
    page.screenshot(path=shots / "satisfaction-2-me.png", full_page=True)


def test_a_proxy_error_after_a_committed_cast_keeps_the_ballot_locked(app, live_server, phone812, tmp_path):
    shots = _shots(tmp_path)
    congress, session = make_congress(2)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    page = phone812
    login_in_browser(page, live_server.url, "D001", PASSWORD)
    _open_ballot(page, live_server.url, poll.public_id, "zh")

    answers = []

    def proxy_refuses_the_first(route):
        if answers:
            route.continue_()
            return
        answers.append(route.fetch())  # the server commits the ballot ...
        route.fulfill(
            status=413, content_type="text/html", body="<html><body>413 Request Entity Too Large</body></html>"
        )

    page.route("**/api/polls/*/ballots", proxy_refuses_the_first)
    page.check("input[name=choice-p01][value=yes]")
    page.check("input[name=choice-p02][value=no]")
    page.click("#ballot-form button[type=submit]")
    _is_error(page, "#ballot-status")
    assert answers[0].status == 201
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1
    db.session.commit()
    # ... and the page, not told so, keeps the very ballot it sent, locked.
    expect(page.locator("input[name=choice-p01][value=yes]")).to_be_disabled()
    expect(page.locator("#ballot-form button[type=submit]")).to_be_enabled()
    stored = json.loads(
        page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('yishi-vote:')).map(k => localStorage[k])[0]")
    )
    assert stored["body"]["ballot"]["choices"] == {"p01": "yes", "p02": "no"}
    page.screenshot(path=shots / "proxy-1-error.png")

    page.click("#ballot-form button[type=submit]")  # the same ballot again: its receipt
    expect(page.locator("#ballot-receipt")).to_be_visible()
    assert "选票序号" in page.locator("#ballot-receipt").inner_text()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1
    db.session.commit()


def test_the_deputy_page_before_and_after_the_token(app, live_server, phone812, tmp_path):
    shots = _shots(tmp_path)
    congress, session = make_congress(3)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    page = phone812
    login_in_browser(page, live_server.url, "D001", PASSWORD)

    def item():
        page.goto(f"{live_server.url}/me")
        return page.locator(f".deputy-poll[data-poll='{poll.public_id}']")

    # Nothing taken: the red call to action.
    li = item()
    assert li.locator(".deputy-poll-link").evaluate("e => getComputedStyle(e).backgroundColor") == ACCENT
    expect(li.locator(".deputy-poll-token")).to_have_count(0)

    # The token taken in this browser, no ballot sent: still red (the one token is here, unused).
    page.goto(f"{live_server.url}/polls/{poll.public_id}/vote")
    expect(page.locator("#ballot-form button[type=submit]")).to_be_enabled()
    li = item()
    expect(li.locator(".deputy-poll-token")).to_be_visible()
    expect(li.locator(".deputy-poll-unsent")).to_be_visible()
    assert li.locator(".deputy-poll-link").evaluate("e => getComputedStyle(e).backgroundColor") == ACCENT

    # Another deputy whose token was taken elsewhere (another phone): calm, and told where.
    take_token(app, poll, "D002")
    page.context.clear_cookies()
    login_in_browser(page, live_server.url, "D002", PASSWORD)
    li = item()
    expect(li.locator(".deputy-poll-token")).to_be_visible()
    expect(li.locator(".deputy-poll-elsewhere")).to_be_visible()
    expect(li.locator(".deputy-poll-unsent")).to_be_hidden()  # D001's token in this browser is not D002's
    expect(li.locator(".deputy-poll-voted")).to_be_hidden()
    assert li.locator(".deputy-poll-link").evaluate("e => getComputedStyle(e).backgroundColor") != ACCENT
    page.screenshot(path=shots / "me-token-elsewhere.png", full_page=True)
