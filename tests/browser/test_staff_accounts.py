"""A clerk on a phone manages accounts and searches the roster, without script:
the deactivate button does nothing until its box is ticked; screenshots kept."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.models import User
from extensions import db
from tests.browser.factories import assert_accessible, login_in_browser
from tests.factories import PASSWORD, make_congress


def _shots(tmp_path: Path) -> Path:
    base = os.environ.get("YISHI_TEST_ARTIFACTS")
    folder = Path(base) / "staff-accounts" if base else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.slow
def test_a_clerk_on_a_phone_creates_and_deactivates_an_account_and_searches_the_roster(
    app, live_server, phone, staff, tmp_path
):
    shots = _shots(tmp_path)
    congress, _session = make_congress(120)
    login_in_browser(phone, live_server.url, "staff1", PASSWORD)

    phone.goto(f"{live_server.url}/staff/accounts")
    phone.select_option("#role", "lead_unit")
    phone.fill("#username", "zjj")
    phone.fill("#display_name", "住建局")
    phone.fill("#lead_unit", "县住房和城乡建设局")
    phone.click("section[aria-labelledby=new-account-h] button[type=submit]")
    expect(phone.locator("table.passwords td.mono").nth(1)).to_have_text(re.compile(r"^[a-z2-9]{10}$"))
    phone.screenshot(path=shots / "1-initial-password.png", full_page=True)
    phone.click("#held-noted")

    user = db.session.scalar(select(User).where(User.username == "zjj"))
    db.session.commit()
    phone.goto(f"{live_server.url}/staff/accounts?q=zjj")
    form = phone.locator(f"form[action$='/staff/accounts/{user.id}/active']")
    form.locator("button[type=submit]").click()  # the box is required: nothing is sent
    expect(phone.locator(f"#user-{user.id} .badge-bad")).to_have_count(0)
    assert_accessible(phone, "accounts")
    form.locator("input[name$='confirm']").check()
    form.locator("button[type=submit]").click()
    expect(phone.locator(f"#user-{user.id} .badge-bad")).to_have_text("已停用")
    phone.screenshot(path=shots / "2-deactivated.png", full_page=True)
    db.session.refresh(user)
    assert not user.is_enabled
    db.session.commit()

    phone.goto(f"{live_server.url}/congresses/{congress.id}")
    phone.fill("#search-q", "D11")
    phone.click("form.search button[type=submit]")
    expect(phone).to_have_url(f"{live_server.url}/congresses/{congress.id}?q=D11#roster")
    expect(phone.locator("table.roster tbody tr")).to_have_count(10)
    assert_accessible(phone, "roster search")
    phone.screenshot(path=shots / "3-roster-search.png", full_page=True)
