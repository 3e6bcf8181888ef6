"""A roster import in the browser: the job's page shows a progress bar that moves
(static/js/job.js, no inline script), can be left and come back to, and ends with the
way on to the initial passwords. Screenshots go to $YISHI_TEST_ARTIFACTS."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from core import jobs
from tests.browser.factories import assert_accessible, login_in_browser
from tests.factories import PASSWORD, make_congress, make_user


def test_roster_import_shows_progress_and_can_be_left(app, live_server, browser, monkeypatch, tmp_path):
    app.config["YISHI_JOBS_INLINE"] = False
    reached, go = threading.Event(), threading.Event()
    report = jobs._Reporter.__call__

    def held(self, done, total):  # hold the job at its first report until the test says go
        report(self, done, total)
        if done < total and not reached.is_set():
            reached.set()
            go.wait(60)

    monkeypatch.setattr(jobs._Reporter, "__call__", held)
    make_user("staff1", "staff")
    congress, _ = make_congress(0)
    csv_file = tmp_path / "roster.csv"
    csv_file.write_text("代表证号,姓名,代表团\n" + "".join(f"C{i:05d},代表{i},城关镇代表团\n" for i in range(1, 1201)))
    artifacts = Path(os.environ.get("YISHI_TEST_ARTIFACTS", "/tmp/yishi-artifacts")) / "jobs"
    artifacts.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    try:
        login_in_browser(page, live_server.url, "staff1", PASSWORD)
        page.goto(f"{live_server.url}/congresses/{congress.id}/import")
        page.set_input_files("input[type=file]", str(csv_file))
        page.click("main button[type=submit]")
        page.wait_for_url("**/staff/jobs/*")
        assert reached.wait(30)
        job_url = page.url
        page.reload()
        bar = page.locator("#job-progress")
        assert bar.get_attribute("max") == "1200"
        assert 0 < int(bar.get_attribute("value")) < 1200
        assert page.locator("#job-state").inner_text() == "进行中"
        assert_accessible(page, "job page")
        page.screenshot(path=str(artifacts / "job-running.png"), full_page=True)
        # Leave: the list shows it running; come back from there.
        page.goto(f"{live_server.url}/staff/jobs/")
        page.screenshot(path=str(artifacts / "jobs-list.png"), full_page=True)
        page.click(f"#jobs a[href$='/staff/jobs/{job_url.rsplit('/', 1)[1]}']")
        page.wait_for_url(job_url)
        go.set()
        # job.js polls the status and reloads the page once the job has ended.
        page.wait_for_selector("#job-next", timeout=30000)
        assert "1200" in page.locator("#job-summary").inner_text()
        page.screenshot(path=str(artifacts / "job-done.png"), full_page=True)
        page.click("#job-next")
        page.wait_for_load_state("load")
        assert page.locator("text=C01200").count() >= 1
    finally:
        go.set()
        context.close()
