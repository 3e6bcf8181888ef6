"""A large batch of code slips in the browser: the job's page shows the bar (static/js/job.js),
then leads to the slips, whose QR codes carry each slip's code. Screenshots go to
$YISHI_TEST_ARTIFACTS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.factories import assert_accessible, login_in_browser
from tests.browser.test_assessment_codes import _qr_url
from tests.factories import PASSWORD, make_user
from tests.voting.factories import approval_poll


@pytest.mark.slow
def test_a_large_batch_of_slips_goes_through_its_job(app, live_server, browser):
    app.config["YISHI_JOBS_INLINE"] = False
    make_user("staff1", "staff")
    poll = approval_poll(None, public_id="2027-slips-browser", options=2, seats=1, secrecy="code", open_=False)
    artifacts = Path(os.environ.get("YISHI_TEST_ARTIFACTS", "/tmp/yishi-artifacts")) / "jobs"
    artifacts.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        login_in_browser(page, live_server.url, "staff1", PASSWORD)
        page.goto(f"{live_server.url}/staff/polls/{poll.id}")
        page.fill("#count", "150")
        page.click("form[action$='/codes'] button[type=submit]")
        page.wait_for_url("**/staff/jobs/*")
        assert page.locator("#job-progress").get_attribute("max") == "150"
        # job.js polls the status and reloads the page once the job has ended.
        page.wait_for_selector("#job-next", timeout=60000)
        assert_accessible(page, "slips job done")
        page.screenshot(path=str(artifacts / "slips-job-done.png"), full_page=True)
        page.click("#job-next")
        expect(page.locator(".slip")).to_have_count(150)
        code = page.locator(".slip-code").first.inner_text().strip()
        url = _qr_url(page.locator(".slip img").first.get_attribute("src"))
        assert url == f"{live_server.url}/polls/{poll.public_id}/code#code={code}"
    finally:
        app.config["YISHI_JOBS_INLINE"] = True
        context.close()
