"""A code slip's QR opened on a phone: the code is used once; a second use is refused."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from assessments import services
from extensions import db
from tests.browser.factories import PHONE, assert_accessible, login_in_browser
from tests.factories import PASSWORD
from voting.models import Ballot

QR_SRC = re.compile(r"^data:image/svg\+xml;base64,(.+)$")


def _qr_url(src: str) -> str:
    """The URL a slip's QR code carries (the SVG's title holds the encoded data)."""
    svg = base64.b64decode(QR_SRC.match(src).group(1)).decode()
    return re.search(r"<title>([^<]+)</title>", svg).group(1).replace("&amp;", "&")


def _vote(page, url: str, first: str, second: str) -> None:
    page.goto(url)
    expect(page.locator("#ballot-form button[type=submit]")).to_be_enabled()
    page.check(f"input[name='choice-p01'][value='{first}']")
    page.check(f"input[name='choice-p02'][value='{second}']")
    page.click("#ballot-form button[type=submit]")


@pytest.mark.slow
def test_code_slip_qr_on_a_phone_used_once(app, live_server, page, phone, browser, staff):
    assessment = services.create_assessment(
        title="民主恳谈会公众满意度测评", year=2027, raters="public", session=None, grade_base="cast"
    )
    services.add_subject(assessment, kind="free", title="政务服务“一窗受理”")
    services.add_subject(assessment, kind="free", title="城区公交线路优化")
    db.session.commit()

    # Staff print a batch of slips, then open the assessment.
    login_in_browser(page, live_server.url, "staff1", PASSWORD)
    page.goto(f"{live_server.url}/assessments/staff/{assessment.id}")
    page.fill("#count", "3")
    page.click("form[action$='/codes'] button[type=submit]")
    expect(page.locator(".code-slip")).to_have_count(3)
    assert_accessible(page, "code slips")
    code = page.locator(".slip-code").first.inner_text().strip()
    url = _qr_url(page.locator(".code-slip img").first.get_attribute("src"))
    assert url.endswith("#code=" + code) and "/polls/" in url
    page.goto(f"{live_server.url}/assessments/staff/{assessment.id}")
    page.check("form[action$='/open'] input[name=confirm]")
    page.click("form[action$='/open'] button[type=submit]")
    expect(page.locator("#assessment-state")).to_have_text("测评中")

    # The phone opens the QR's URL: the code is filled in from the fragment.
    _vote(phone, url, "satisfied", "basic")
    expect(phone.locator("#ballot-code")).to_have_value("")  # cleared after the cast
    phone.wait_for_selector("#ballot-receipt:not([hidden])")
    expect(phone.locator("#ballot-status")).to_contain_text("投票成功")
    assert_accessible(phone, "code ballot after casting")

    # Someone else scans the same slip on another phone and votes otherwise: refused.
    # (The very same ballot sent again would get its receipt back: a safe retry.)
    other = browser.new_context(locale="zh-CN", **PHONE)
    try:
        second = other.new_page()
        second.goto(url)
        expect(second.locator("#ballot-code")).to_have_value(code)
        _vote(second, url, "dissatisfied", "dissatisfied")
        expect(second.locator("#ballot-status")).to_contain_text("已经投过票")
        assert_accessible(second, "code ballot refused")
    finally:
        other.close()
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1

    # After the close: the results page and the year's overview, on the phone.
    db.session.commit()  # end the test's read snapshot: the browser opened the poll
    services.close_assessment(assessment)
    db.session.commit()
    phone.goto(f"{live_server.url}/assessments/{assessment.id}")
    expect(phone.locator("#result-table")).to_be_visible()
    assert_accessible(phone, "assessment results")
    phone.goto(f"{live_server.url}/assessments/year/2027")
    expect(phone.locator("#year-subjects")).to_be_visible()
    assert_accessible(phone, "year overview")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the overview scrolls sideways on a phone ({width}px)"
