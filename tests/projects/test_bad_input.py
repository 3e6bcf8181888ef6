"""Bad input: clear Chinese messages, the right status, nothing half-stored."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from core.models import Deputy
from extensions import db
from projects import services
from projects.models import ProgressPhoto, ProgressReport, Project, Suggestion
from tests.factories import csrf_token, login, make_congress
from tests.projects.factories import PNG, YEAR, add_candidates, unit_user

GOOD = {
    "title": "修缮村口石桥",
    "description": "石桥年久失修，雨天很滑，老人孩子过桥不安全。",
    "category": "交通出行",
    "location": "石门乡下溪村",
    "name": "",
    "phone": "",
}


def _post(client, url, data, page=None, **kw):
    return client.post(url, data=dict(data, csrf_token=csrf_token(client, page or url)), **kw)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_bad_suggestions(cycle_app, client, call):
    cycle_app.config["YISHI_SUGGEST_LIMIT"] = "100 per minute"  # refused tries count too
    cases = [
        (dict(GOOD, title=""), "请填写建议标题"),
        (dict(GOOD, description=""), "请写明建议的具体内容"),
        (dict(GOOD, description="太短"), "10 到 2000 字"),
        (dict(GOOD, description="长" * 2001), "10 到 2000 字"),
        (dict(GOOD, title="标" * 101), "标题不能超过 100 字"),
        (dict(GOOD, phone="12345"), "电话号码格式不正确"),
        (dict(GOOD, phone="1391234567x"), "电话号码格式不正确"),
    ]
    for data, text in cases:
        response = _post(client, "/suggest", data)
        assert response.status_code == 422, text
        assert text in response.get_data(as_text=True)
    assert _count(Suggestion) == 0
    # A landline with its area code is fine; no CSRF token is a 400.
    assert _post(client, "/suggest", dict(GOOD, phone="0571-87654321")).status_code == 303
    assert client.post("/suggest", data=GOOD).status_code == 400
    assert _count(Suggestion) == 1


def test_suggestions_are_rate_limited(cycle_app, call):
    cycle_app.config["YISHI_SUGGEST_LIMIT"] = "2 per minute"
    client = cycle_app.test_client()
    assert _post(client, "/suggest", GOOD).status_code == 303
    assert _post(client, "/suggest", GOOD).status_code == 303
    response = _post(client, "/suggest", GOOD)
    assert response.status_code == 429 and "请求过于频繁" in response.get_data(as_text=True)
    assert _count(Suggestion) == 2


def test_no_open_call_and_unknown_pages(cycle_app, client):
    # Without an open call the suggestion page says so (200); a POST is refused (409).
    page = client.get("/suggest")
    assert page.status_code == 200 and "目前没有正在进行的征集" in page.get_data(as_text=True)
    refused = _post(client, "/suggest", GOOD, page="/login")
    assert refused.status_code == 409 and "目前没有正在进行的征集" in refused.get_data(as_text=True)
    assert _count(Suggestion) == 0
    client.get("/lang/en")
    assert "There is no open call" in client.get("/suggest").get_data(as_text=True)
    assert client.get("/suggestions/999").status_code == 404
    assert client.get("/projects/p/999").status_code == 404
    assert client.get("/projects/1999").status_code == 404
    assert client.get("/projects/photos/../../etc/passwd").status_code == 404


def test_moderation(cycle_app, client, staff_client, call, units):
    made = [
        services.submit_suggestion(
            call,
            today=date(2026, 10, 15),
            title=f"建议{i}",
            description="具体内容具体内容",
            category="其他",
            location="城关镇",
            name="张三",
            phone="13900000000",
        )[0]
        for i in range(3)
    ]
    for s in made:
        services.approve_suggestion(s)
    db.session.commit()
    a, b, c = made
    # Rejecting needs a reason; the reason is public, the phone is not.
    response = _post(
        staff_client,
        f"/staff/projects/suggestions/{a.id}/reject",
        {"reason": "", "confirm": "y"},
        page=f"/staff/projects/{YEAR}",
    )
    assert response.status_code == 422 and "理由" in response.get_data(as_text=True)
    # Without the confirmation box ticked, the step is refused and says why.
    response = _post(
        staff_client, f"/staff/projects/suggestions/{a.id}/reject", {"reason": "重复"}, page=f"/staff/projects/{YEAR}"
    )
    assert response.status_code == 422 and "请先勾选“我已核对，确认执行”" in response.get_data(as_text=True)
    assert (
        _post(
            staff_client,
            f"/staff/projects/suggestions/{a.id}/reject",
            {"reason": "不属于民生实事范围", "confirm": "y"},
            page=f"/staff/projects/{YEAR}",
        ).status_code
        == 302
    )
    page = client.get(f"/suggestions/{a.id}").get_data(as_text=True)
    assert "未采纳" in page and "不属于民生实事范围" in page and "13900000000" not in page
    # Merging into itself or into nothing is refused; into another works.
    assert (
        _post(
            staff_client,
            f"/staff/projects/suggestions/{b.id}/merge",
            {"target": b.id, "confirm": "y"},
            page=f"/staff/projects/{YEAR}",
        ).status_code
        == 422
    )
    assert (
        _post(
            staff_client,
            f"/staff/projects/suggestions/{b.id}/merge",
            {"target": 999, "confirm": "y"},
            page=f"/staff/projects/{YEAR}",
        ).status_code
        == 422
    )
    assert (
        _post(
            staff_client,
            f"/staff/projects/suggestions/{b.id}/merge",
            {"target": c.id, "confirm": "y"},
            page=f"/staff/projects/{YEAR}",
        ).status_code
        == 302
    )
    assert (
        _post(
            staff_client, f"/staff/projects/suggestions/{c.id}/accept", {}, page=f"/staff/projects/{YEAR}"
        ).status_code
        == 302
    )
    project = services.create_candidate(
        year=YEAR,
        title="合并后的项目",
        lead_unit=units[0],
        investment=10,
        planned_completion=date(2027, 12, 31),
        description="简介",
        suggestions=[c],
    )
    db.session.commit()
    # The merged suggestion links to the candidate through the one it was merged into.
    assert f"/projects/p/{project.id}" in client.get(f"/suggestions/{b.id}").get_data(as_text=True)
    # A rejected suggestion cannot feed a candidate.
    response = _post(
        staff_client,
        f"/staff/projects/{YEAR}/candidates/new",
        {
            "title": "另一个项目",
            "lead_unit_id": units[0].id,
            "investment": "5",
            "planned_completion": "2027-12-31",
            "description": "简介",
            "suggestions": [a.id],
        },
    )
    assert response.status_code == 422 and "未采纳或已合并" in response.get_data(as_text=True)
    assert _count(Project) == 1


def test_csv_import_all_or_nothing(cycle_app, staff_client, units):
    url = f"/staff/projects/{YEAR}/import"
    header = "项目名称,承办单位,总投资（万元）,计划完成日期,项目简介\n"
    bad = header + "农村公路提升,县交通运输局,3100,2027-12-31,改造 50 公里\n托育中心,不存在的局,abc,2027-13-01,\n"
    response = _post(
        staff_client, url, {"file": (io.BytesIO(bad.encode("utf-8")), "c.csv")}, content_type="multipart/form-data"
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 3 行" in text and "不存在的局" in text and "总投资须为非负整数" in text and "计划完成日期" in text
    assert _count(Project) == 0
    good = (
        header + "农村公路提升,县交通运输局,3100,2027-12-31,改造 50 公里\n托育中心,县民政局,800,2027-10-31,新建 3 所\n"
    )
    response = _post(
        staff_client, url, {"file": (io.BytesIO(good.encode("gbk")), "c.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert sorted(db.session.scalars(select(Project.title))) == ["农村公路提升", "托育中心"]
    # A duplicate title on import is refused with its line, nothing added.
    response = _post(
        staff_client, url, {"file": (io.BytesIO(good.encode("utf-8-sig")), "c.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "同名候选项目" in response.get_data(as_text=True)
    assert _count(Project) == 2


def test_progress_bad_input(cycle_app, staff_client, units):
    cycle_app.config["YISHI_MAX_PHOTO_BYTES"] = 1024
    project = add_candidates(units, ["农村公路提升"])[0]
    project.status = "elected"
    db.session.commit()
    unit_user("jiaotong", units[0])
    unit_user("jiaoyu", units[1])
    other = cycle_app.test_client()
    login(other, "jiaoyu")
    url = f"/projects/p/{project.id}/report"
    assert other.get(url).status_code == 403  # another lead unit's project
    unit = cycle_app.test_client()
    login(unit, "jiaotong")
    base = {"reported_on": "2027-03-31", "narrative": "进展顺利。"}
    for percent in ("101", "-1", "abc", ""):
        response = _post(unit, url, dict(base, percent=percent))
        assert response.status_code == 422, percent
    assert "完成进度须在 0 到 100 之间" in _post(unit, url, dict(base, percent="150")).get_data(as_text=True)
    too_big = PNG + b"\0" * 2000
    response = _post(
        unit, url, dict(base, percent="30", photos=(io.BytesIO(too_big), "big.png")), content_type="multipart/form-data"
    )
    assert response.status_code == 413 and "超过" in response.get_data(as_text=True)
    response = _post(
        unit,
        url,
        dict(base, percent="30", photos=(io.BytesIO(b"<svg></svg>"), "x.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "不是 JPEG、PNG 或 WebP 图片" in response.get_data(as_text=True)
    assert _count(ProgressReport) == 0 and _count(ProgressPhoto) == 0
    assert _post(unit, url, dict(base, percent="60")).status_code == 302
    # Going backwards needs a reason; the earlier report is kept either way.
    response = _post(unit, url, dict(base, reported_on="2027-04-30", percent="50"))
    assert response.status_code == 422 and "请说明原因" in response.get_data(as_text=True)
    assert _count(ProgressReport) == 1
    response = _post(
        unit, url, dict(base, reported_on="2027-04-30", percent="50", backwards_reason="验收发现部分路段须返工")
    )
    assert response.status_code == 302
    assert [r.percent for r in db.session.scalars(select(ProgressReport).order_by(ProgressReport.id))] == [60, 50]
    # A deputy outside the monitoring group cannot post inspection notes.
    make_congress(3)
    deputy = db.session.scalar(select(Deputy).where(Deputy.code == "D001"))
    assert deputy is not None
    d = cycle_app.test_client()
    login(d, "D001")
    assert d.get(f"/projects/p/{project.id}/inspect").status_code == 403


def test_vote_rules(cycle_app, staff_client, units):
    _, session = make_congress(5)
    # No candidates: no vote.
    response = _post(
        staff_client,
        f"/staff/projects/{YEAR}/vote",
        {"session_id": session.id, "seats": "1", "base": "electorate", "more_than": "1/2"},
    )
    assert response.status_code == 422 and "还没有候选项目" in response.get_data(as_text=True)
    add_candidates(units, ["甲", "乙"])
    response = _post(
        staff_client,
        f"/staff/projects/{YEAR}/vote",
        {"session_id": session.id, "seats": "3", "base": "electorate", "more_than": "1/2"},
    )
    assert response.status_code == 422 and "应选数" in response.get_data(as_text=True)
    # A run-off before the vote, or without a tie, is refused.
    assert _post(staff_client, f"/staff/projects/{YEAR}/runoff", {}, page="/staff/projects").status_code == 409
    services.create_vote(YEAR, session, seats=1)
    db.session.commit()
    # While the vote is a draft, a candidate may still be edited; new candidates may not be added.
    project = db.session.scalar(select(Project).where(Project.title == "甲"))
    response = _post(
        staff_client,
        f"/staff/projects/p/{project.id}/edit",
        {
            "title": "甲（修订）",
            "lead_unit_id": units[0].id,
            "investment": "1",
            "planned_completion": "2027-12-31",
            "description": "修订",
        },
    )
    assert response.status_code == 302
    assert "甲（修订）" in [o["title"] for o in services.vote_poll(YEAR).options]
    response = _post(
        staff_client,
        f"/staff/projects/{YEAR}/candidates/new",
        {
            "title": "丙",
            "lead_unit_id": units[0].id,
            "investment": "1",
            "planned_completion": "2027-12-31",
            "description": "简介",
        },
    )
    assert response.status_code == 409 and "票决已经创建" in response.get_data(as_text=True)
    assert (
        _post(staff_client, f"/staff/projects/{YEAR}/vote/apply", {"confirm": "y"}, page="/staff/projects").status_code
        == 409
    )


def test_dashboard_partial_and_archive(cycle_app, client, call, units, staff):
    project = add_candidates(units, ["农村公路提升"])[0]
    project.status = "elected"
    project.planned_completion = date(2026, 9, 30)  # before 'today': late
    db.session.commit()
    staff_view = cycle_app.test_client()
    assert login(staff_view, staff.username).status_code == 302
    html = staff_view.get("/dashboard").get_data(as_text=True)
    assert 'data-dash="late">1<' in html and "农村公路提升" in html
    board = client.get(f"/projects/{YEAR}/progress").get_data(as_text=True)
    assert 'data-schedule="late"' in board
    assert client.get(f"/projects/{YEAR}/poster").status_code == 200
    assert f"/projects/{YEAR}" in client.get("/projects").get_data(as_text=True)
