"""Staff imports deputies, a deputy checks in on a phone, the language switches;
every public page passes axe."""

import re

import pytest

from tests.browser.factories import assert_accessible, login_in_browser
from tests.factories import PASSWORD, make_congress, make_user


def test_staff_logs_in_and_imports_deputies(app, live_server, page, tmp_path):
    make_user("staff1", "staff")
    login_in_browser(page, live_server.url, "staff1", PASSWORD)
    assert "工作台" in page.inner_text("h1")
    page.goto(f"{live_server.url}/congresses")
    page.fill("#name", "某县第十八届人民代表大会")
    page.click("main form button[type=submit]")
    page.click("text=导入名册（CSV）")
    roster = tmp_path / "roster.csv"
    roster.write_bytes(
        "代表证号,姓名,代表团,手机\nA001,王建国,城关镇代表团,13912345678\nA002,李海燕,溪口镇代表团,\n".encode("gbk")
    )
    page.set_input_files("#file", str(roster))
    page.click("main form button[type=submit]")
    assert "初始密码" in page.inner_text("h1")
    rows = page.locator("table.passwords tbody tr")
    assert rows.count() == 2
    password = rows.nth(0).locator("td").nth(3).inner_text()
    assert re.fullmatch(r"[a-z2-9]{10}", password)
    # A reload (or a phone call in the middle) loses nothing; "noted" removes them.
    shown_at = page.url
    page.reload()
    assert page.locator("table.passwords tbody tr").nth(0).locator("td").nth(3).inner_text() == password
    assert_accessible(page, "initial passwords")
    page.click("#held-noted")
    assert "名册" in page.inner_text("main") and password not in page.content()
    page.goto(shown_at)
    assert password not in page.content() and "不再显示" in page.inner_text("main")


def test_deputy_checks_in_on_a_phone(app, live_server, phone):
    _, session = make_congress(3)
    login_in_browser(phone, live_server.url, "D002", PASSWORD)
    # What the hall's QR code opens:
    phone.goto(f"{live_server.url}/checkin/{session.checkin_secret}")
    phone.click("text=确认签到")
    assert phone.locator("#checkin-done").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
    assert session.is_checked_in(session.congress.deputies[1].id)


def test_language_switches_to_english_and_back(app, live_server, page):
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "票决结果" in page.inner_text("nav")
    page.click("nav >> text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Results" in page.inner_text("nav")
    page.goto(f"{live_server.url}/login")
    assert "Log in" in page.inner_text("h1")
    page.click("nav >> text=中文")
    assert "登录" in page.inner_text("h1")


@pytest.mark.slow
def test_public_pages_pass_axe(app, live_server, page):
    from tests.voting.factories import approval_poll, cast, check_in_all, close, take_token

    congress, session = make_congress(4)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=3, seats=1)
    voter = take_token(app, poll, "D001")
    cast(app, poll, voter.ballot({"p01": "yes", "p02": "no", "p03": "abstain"}))
    open_poll = approval_poll(session, public_id="still-open", options=2, seats=1)
    close(poll)
    for path in (
        "/",
        "/login",
        "/polls",
        f"/polls/{poll.public_id}",
        f"/polls/{open_poll.public_id}",
        "/verify",
        "/no-such-page",
    ):
        for lang in ("zh", "en"):
            page.goto(f"{live_server.url}/lang/{lang}?next={path}")
            assert_accessible(page, f"{path} ({lang})")
