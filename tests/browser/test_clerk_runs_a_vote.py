"""Issue 14's "done when" for staff: a clerk who has never seen Yishi, on a 1280-px
screen and with nothing but the web pages, creates a congress, imports the roster,
opens a session, checks the deputies in, runs a vote whose last seat is tied, the
run-off (另行票决), closes each and publishes the results.

The deputies vote over the HTTP API as their own browsers would (log in with the
initial password the clerk printed, change it, take a blind-signed token, cast).
Screenshots of every step go to ``$YISHI_TEST_ARTIFACTS/clerk`` when that is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.factories import assert_accessible, login_in_browser
from tests.factories import PASSWORD, csrf_from, csrf_token, make_user
from voting.protocol.client import SecretVoter

pytestmark = pytest.mark.slow

ROSTER = [
    ("K001", "王建国", "城关镇代表团"),
    ("K002", "李海燕", "城关镇代表团"),
    ("K003", "陈志强", "溪口镇代表团"),
    ("K004", "赵美玲", "溪口镇代表团"),
    ("K005", "周文华", "白鹭镇代表团"),
]
OPTIONS = ["城区公交线路优化", "农村饮用水提升", "老旧小区加装电梯"]
NEW_PASSWORD = "deputy-new-pass-2027"


class Shots:
    def __init__(self, page, tmp_path: Path):
        base = os.environ.get("YISHI_TEST_ARTIFACTS")
        self.folder = Path(base) / "clerk" if base else tmp_path / "clerk"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page, self.n = page, 0

    def __call__(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


def _no_machine_words(page) -> None:
    """What a clerk reads has no raw JSON, enum value or JSON path."""
    text = page.inner_text("main")
    for word in ('"threshold"', "more_than", "manifest.", "approval", "secret", "electorate", "{"):
        assert word not in text, f"{word!r} on {page.url}"


def _deputy_votes(app, public_id: str, code: str, password: str, choices: dict[str, str]) -> str:
    """One deputy's phone, over HTTP: log in, change the first password if asked,
    take a token, cast. Returns the password now in force."""
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": code, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    if response.headers["Location"].endswith("/password"):
        token = csrf_token(client, "/password")
        form = {"current": password, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token}
        assert client.post("/password", data=form).status_code == 302
        password = NEW_PASSWORD
    page = client.get(f"/polls/{public_id}/vote")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    manifest = client.get(f"/api/polls/{public_id}/manifest").get_json()["manifest"]
    voter = SecretVoter(manifest)
    response = client.post(
        f"/api/polls/{public_id}/tokens",
        json=voter.token_request(),
        headers={"X-CSRFToken": csrf_from(page.get_data(as_text=True))},
    )
    assert response.status_code == 200, response.get_json()
    voter.token_response(response.get_json())
    ids = {o["title"]: o["id"] for o in manifest["options"]}
    body = voter.ballot({ids[title]: choice for title, choice in choices.items()})
    response = app.test_client().post(f"/api/polls/{public_id}/ballots", json=body)
    assert response.status_code == 201, response.get_json()
    return password


def _open_with_confirmation(page, shot, name: str) -> None:
    # Without the box ticked the browser will not send the form (and the server
    # refuses such a POST: tests/voting/test_staff_drafts.py).
    page.check("#open-box")
    shot(f"{name}-confirm-open")
    page.click("#open-poll button[type=submit]")
    expect(page.locator("h1 .badge")).to_have_text("投票中")


def _close_with_confirmation(page, shot, name: str) -> None:
    page.check("#close-box")
    shot(f"{name}-confirm-close")
    page.click("#close-poll button[type=submit]")
    expect(page.locator("h1 .badge")).to_have_text("已结束")


def test_a_clerk_runs_a_session_vote_with_a_run_off_on_the_web_alone(app, live_server, browser, tmp_path):
    make_user("clerk", "staff")  # the one account there is; the database is otherwise empty
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    shot = Shots(page, tmp_path)
    url = live_server.url

    login_in_browser(page, url, "clerk", PASSWORD)
    expect(page.locator("h1")).to_have_text("工作台")
    shot("dashboard")

    # A congress, from the dashboard's card.
    page.click("text=管理人民代表大会")
    page.fill("#name", "青溪县第十八届人民代表大会")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_have_text("青溪县第十八届人民代表大会")
    shot("congress")

    # The roster, from a CSV file as a spreadsheet saves it (GBK).
    roster = tmp_path / "roster.csv"
    lines = ["代表证号,姓名,代表团,手机"] + [f"{c},{n},{d}," for c, n, d in ROSTER]
    roster.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    page.click("text=导入名册（CSV）")
    page.set_input_files("#file", str(roster))
    shot("import")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("初始密码")
    passwords = {}
    for row in page.locator("table.passwords tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        passwords[cells[0]] = cells[-1]
    assert set(passwords) == {c for c, _, _ in ROSTER}
    shot("passwords")
    page.click("#held-noted")

    # A session of the congress.
    page.fill("main form[action$='/sessions'] [name=name]", "第十八届人大第四次会议")
    page.fill("main form[action$='/sessions'] [name=starts_on]", "2027-01-12")
    page.fill("main form[action$='/sessions'] [name=ends_on]", "2027-01-14")
    page.click("main form[action$='/sessions'] button[type=submit]")
    page.click("text=第十八届人大第四次会议")
    expect(page.locator("h1")).to_contain_text("第十八届人大第四次会议")
    shot("session")

    # Check-in by deputy number, as at the hall's door.
    for code, _, _ in ROSTER:
        page.fill("#code", code)
        page.click("main form[action$='/checkin'] button[type=submit] >> nth=0")
    expect(page.locator("[data-count=present]")).to_have_text("5")
    shot("checked-in")

    # The vote: a draft made on the form, refused first in the form's own words.
    page.goto(f"{url}/dashboard")
    page.click("text=新建投票")
    page.fill("#title", "2027年民生实事项目票决")
    page.fill("#options", "\n".join(OPTIONS))
    page.fill("#seats", "1")
    page.fill("#max_yes", "4")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("最多同意数不能超过候选项目数（3）")
    _no_machine_words(page)
    assert_accessible(page, "poll form with an error")
    shot("form-refused")
    page.fill("#max_yes", "2")
    page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("2027年民生实事项目票决")
    expect(page.locator("#rules")).to_contain_text("应选 1 项")
    expect(page.locator("#rules")).to_contain_text("过半数")
    _no_machine_words(page)
    assert_accessible(page, "draft poll")
    shot("draft")
    vote_id = page.locator("dd.mono").first.inner_text().strip()
    assert vote_id.startswith("2027-session") and vote_id.endswith("-vote")
    _open_with_confirmation(page, shot, "vote")
    staff_url = page.url

    # Three deputies approve the first two; the last seat is tied.
    yes2 = {OPTIONS[0]: "yes", OPTIONS[1]: "yes", OPTIONS[2]: "no"}
    plan = [yes2, yes2, yes2, {OPTIONS[0]: "no", OPTIONS[1]: "no", OPTIONS[2]: "yes"}]
    plan.append(dict.fromkeys(OPTIONS, "abstain"))
    for (code, _, _), choices in zip(ROSTER, plan, strict=True):
        passwords[code] = _deputy_votes(app, vote_id, code, passwords[code], choices)
    page.goto(staff_url)
    expect(page.locator("[data-count=cast]")).to_have_text("5")
    _close_with_confirmation(page, shot, "vote")
    expect(page.locator("#runoff")).to_contain_text(OPTIONS[0])
    expect(page.locator("#runoff")).to_contain_text(OPTIONS[1])
    assert_accessible(page, "closed poll with a tie")
    shot("tied")

    # The run-off: one click makes its draft, then the same confirmation steps.
    page.click("#runoff button[type=submit]")
    expect(page.locator("h1")).to_contain_text("另行票决")
    expect(page.locator("#options li")).to_have_count(2)
    _no_machine_words(page)
    shot("runoff-draft")
    runoff_id = page.locator("dd.mono").first.inner_text().strip()
    _open_with_confirmation(page, shot, "runoff")
    runoff_url = page.url
    first = {OPTIONS[0]: "yes", OPTIONS[1]: "no"}
    second = {OPTIONS[0]: "no", OPTIONS[1]: "yes"}
    for (code, _, _), choices in zip(ROSTER, [first, first, first, second, second], strict=True):
        _deputy_votes(app, runoff_id, code, passwords[code], choices)
    page.goto(runoff_url)
    _close_with_confirmation(page, shot, "runoff")

    # The published results, as the public reads them.
    page.click("text=查看公开结果")
    expect(page.locator("#elected li")).to_have_text([OPTIONS[0]])
    shot("runoff-results")
    page.goto(f"{url}/polls/{vote_id}")
    expect(page.locator("#tied")).to_contain_text(OPTIONS[1])
    shot("vote-results")
    page.goto(f"{url}/polls")
    expect(page.locator("main")).to_contain_text("另行票决")
    shot("public-list")
    context.close()
