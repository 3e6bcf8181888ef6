"""The project cycle in Chromium on the demo congress: a citizen proposes on a phone
through the QR page, staff make a candidate of it, the lead unit reports progress with
a photo (a bad one is refused), and the demo project's page tells the whole story."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from core.demo import seed_demo as seed_core
from core.models import User
from extensions import db
from projects import services
from projects.models import Project, Suggestion
from tests.browser.factories import assert_accessible, login_in_browser
from tests.factories import FAST_HASH, PASSWORD
from tests.projects.factories import PNG

pytestmark = pytest.mark.browser
TODAY = date(2027, 3, 1)


@pytest.fixture
def demo(app):
    app.config["YISHI_TODAY"] = TODAY
    lines = seed_core(TODAY)  # the core demo seeds the projects' demo too
    services.create_call(
        year=TODAY.year + 1,
        title=f"{TODAY.year + 1}年清溪县民生实事项目征集",
        notice="扫码提建议。",
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=60),
    )
    for user in db.session.scalars(select(User).where(User.username.in_(["admin", "zhujianju"]))):
        user.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    db.session.commit()
    return lines


@pytest.mark.slow
def test_cycle_in_the_browser(app, demo, live_server, phone, page, tmp_path):
    base = live_server.url
    year = TODAY.year
    assert any(f"/projects/{year}" in line for line in demo)

    # The printed poster carries the QR code of the suggestion page.
    page.goto(f"{base}/projects/{year + 1}/poster")
    assert page.locator(".poster-qr svg").count() == 1
    qr_url = page.locator(".poster .mono").inner_text().strip()
    assert qr_url.endswith("/suggest?src=qr")

    # A citizen scans it on a phone and proposes, without an account.
    phone.goto(qr_url)
    assert_accessible(phone, "suggestion form")
    phone.fill("#title", "溪口镇老街加装路灯")
    phone.fill("#description", "老街晚上很黑，老人出行容易摔倒，建议加装路灯。")
    phone.select_option("#category", "住房与社区")
    phone.fill("#location", "溪口镇老街")
    phone.fill("#phone", "1391234")  # too short: refused, nothing lost
    phone.click("button[type=submit]")
    assert "电话号码格式不正确" in phone.content()
    assert phone.input_value("#title") == "溪口镇老街加装路灯"
    phone.fill("#phone", "13912345678")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/suggestions/sent/[^/]+$"))
    assert "待审核" in phone.content() and "13912345678" not in phone.content()
    assert phone.locator("#tracking-code").inner_text().strip()
    assert_accessible(phone, "suggestion sent page")
    suggestion = db.session.scalar(select(Suggestion).where(Suggestion.title == "溪口镇老街加装路灯"))
    assert suggestion.source == "qr"

    # Staff publish it after review, then make a candidate of it.
    login_in_browser(page, base, "admin", PASSWORD)
    page.goto(f"{base}/staff/projects/review")
    page.locator(f"#review-{suggestion.id}").get_by_role("button", name="审核通过并公开").click()
    page.wait_for_url(re.compile(r"/staff/projects/review$"))
    assert page.locator(f"#review-{suggestion.id}").count() == 0
    page.goto(f"{base}/staff/projects/{year + 1}")
    page.check(f"#pick-{suggestion.id}")
    page.click("text=用选中的建议生成候选项目")
    assert page.input_value("#title") == "溪口镇老街加装路灯"
    page.fill("#title", "老街路灯改造")
    page.select_option("#lead_unit_id", label="县住房和城乡建设局")
    page.fill("#investment", "120")
    page.fill("#planned_completion", f"{year + 1}-09-30")
    page.click("form.card button[type=submit]")
    page.wait_for_load_state("load")
    assert re.search(r"/projects/p/\d+$", page.url), page.locator(".error").all_inner_texts()
    assert "溪口镇老街加装路灯" in page.content()
    phone.goto(f"{base}/suggestions/{suggestion.id}")
    assert "老街路灯改造" in phone.locator("#candidate").inner_text()

    # The lead unit reports progress on its elected demo project, with a photo.
    project = db.session.scalar(
        select(Project).where(
            Project.year == year, Project.status == "elected", Project.title == "城区老旧小区改造提升工程"
        )
    )
    unit = page.context.browser.new_context(locale="zh-CN").new_page()
    login_in_browser(unit, base, "zhujianju", PASSWORD)
    unit.goto(f"{base}/projects/p/{project.id}/report")
    bad = tmp_path / "report.jpg"
    bad.write_bytes(b"%PDF-1.4 not a photo")
    good = tmp_path / "site.png"
    good.write_bytes(PNG)
    unit.fill("#percent", str(project.percent + 15))
    unit.fill("#narrative", "完成 12 个小区的管网改造。")
    unit.set_input_files("#photos", str(bad))
    unit.click("form.card button[type=submit]")
    assert "不是 JPEG、PNG 或 WebP 图片" in unit.content()
    unit.fill("#narrative", "完成 12 个小区的管网改造。")
    unit.set_input_files("#photos", str(good))
    unit.click("form.card button[type=submit]")
    unit.wait_for_url(re.compile(rf"/projects/p/{project.id}$"))
    unit.context.close()

    # The project page tells the whole story, on a phone.
    phone.goto(f"{base}/projects/p/{project.id}")
    story = phone.content()
    for expected in [
        "来源建议",
        "建议实施城区老旧小区改造提升工程",
        "代表票决",
        "同意",
        "指纹",
        "公告板",
        "完成 12 个小区的管网改造",
        "满意度测评",
    ]:
        assert expected in story, expected
    photo = phone.locator("#timeline img")
    assert photo.count() == 1
    # The photo is loading="lazy": Chromium fetches it only near the viewport, so the
    # page's load event does not wait for it. Bring it into view and wait until it has
    # loaded (or failed: then naturalWidth is 0 and the assert below says so).
    photo.scroll_into_view_if_needed()
    phone.wait_for_function("() => document.querySelector('#timeline img').complete")
    assert phone.evaluate("document.querySelector('#timeline img').naturalWidth") == 1
    assert_accessible(phone, "project page")
    phone.goto(f"{base}/projects/{year}/progress")
    assert phone.locator("#board tbody tr").count() == len(services.elected_projects(year))
    assert_accessible(phone, "progress board")
