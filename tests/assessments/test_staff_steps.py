"""Staff steps of an assessment without machine words (issue 14): edited and deleted
until it opens (409 after), a ticked box before every irreversible step, rules in words,
and the session and subject pickers searched and paged on the server."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from assessments import services
from assessments.models import Assessment, AssessmentSubject
from core.models import AuditEntry, LeadUnit, Session
from extensions import db
from projects.models import Project
from tests.assessments.factories import public_assessment
from tests.factories import csrf_token, make_congress
from voting.models import Poll, PollCode

CONFIRM = "我已核对，确认执行"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _draft(title="公众满意度测评", year=2027) -> Assessment:
    assessment = services.create_assessment(title=title, year=year, raters="public", session=None)
    services.add_subject(assessment, kind="free", title="政务服务")
    db.session.commit()
    return assessment


def _form(**over) -> dict:
    data = {"title": "改过的名称", "year": "2027", "raters": "public", "session_id": "0", "grade_base": "cast"}
    data.update(over)
    return data


def test_a_draft_is_edited_and_shows_its_rules_in_words(staff_client):
    assessment = _draft()
    url = f"/assessments/staff/{assessment.id}"
    page = staff_client.get(f"{url}/edit")
    assert page.status_code == 200 and "公众满意度测评" in page.get_data(as_text=True)
    token = csrf_token(staff_client, f"{url}/edit")
    saved = staff_client.post(f"{url}/edit", data={**_form(rectify_below="80"), "csrf_token": token})
    assert saved.status_code == 302
    db.session.refresh(assessment)
    assert assessment.title == "改过的名称" and assessment.grade_base == "cast" and assessment.rectify_below == "4/5"
    html = staff_client.get(url).get_data(as_text=True)
    assert "满意率低于 80% 的对象列入整改" in html and "投票数" in html and "4/5" not in html
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.update")) is not None


def test_bad_edits_name_the_field(staff_client):
    assessment = _draft()
    url = f"/assessments/staff/{assessment.id}/edit"
    token = csrf_token(staff_client, url)
    for data, text in (
        (_form(title=""), "测评名称"),
        (_form(year="1999"), "年度"),
        (_form(rectify_below="101"), "整改线"),
        (_form(raters="deputies"), "会议：代表或常委会组成人员测评须选择一次会议"),
    ):
        r = staff_client.post(url, data={**data, "csrf_token": token})
        assert r.status_code == 422, data
        assert text in r.get_data(as_text=True), data
    db.session.refresh(assessment)
    assert assessment.title == "公众满意度测评"


def test_editing_after_codes_voids_them_and_they_are_made_again(staff_client):
    assessment = _draft()
    services.generate_codes(assessment, 3)
    db.session.commit()
    assert _count(PollCode) == 3
    url = f"/assessments/staff/{assessment.id}"
    assert "作废" in staff_client.get(f"{url}/edit").get_data(as_text=True)
    token = csrf_token(staff_client, f"{url}/edit")
    assert staff_client.post(f"{url}/edit", data={**_form(), "csrf_token": token}).status_code == 302
    db.session.refresh(assessment)
    assert assessment.poll is None and _count(PollCode) == 0 and _count(Poll) == 0
    # A new batch builds the ballot with the new title.
    r = staff_client.post(f"{url}/codes", data={"count": "2", "csrf_token": token})
    assert r.status_code == 303
    db.session.refresh(assessment)
    assert assessment.poll.title == "改过的名称"
    # A further batch voids this one: it asks for the box first.
    refused = staff_client.post(f"{url}/codes", data={"count": "2", "csrf_token": token})
    assert refused.status_code == 422 and CONFIRM in refused.get_data(as_text=True)
    assert _count(PollCode) == 2


def test_a_draft_is_deleted_with_its_subjects_ballot_and_codes(staff_client):
    assessment = _draft()
    services.generate_codes(assessment, 3)
    db.session.commit()
    assessment_id = assessment.id
    url = f"/assessments/staff/{assessment_id}"
    token = csrf_token(staff_client, url)
    refused = staff_client.post(f"{url}/delete", data={"csrf_token": token})
    assert refused.status_code == 422 and CONFIRM in refused.get_data(as_text=True)
    assert db.session.get(Assessment, assessment_id) is not None

    assert staff_client.post(f"{url}/delete", data={"csrf_token": token, "confirm": "y"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Assessment, assessment_id) is None
    assert _count(AssessmentSubject) == 0 and _count(Poll) == 0 and _count(PollCode) == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.delete")) is not None


def test_an_open_assessment_is_neither_edited_nor_deleted(staff_client):
    assessment, _codes = public_assessment(2, ["甲", "乙"])
    url = f"/assessments/staff/{assessment.id}"
    token = csrf_token(staff_client, url)
    page = staff_client.get(url).get_data(as_text=True)
    assert "修改测评" not in page and "删除测评" not in page
    for r in (
        staff_client.get(f"{url}/edit"),
        staff_client.post(f"{url}/edit", data={**_form(), "csrf_token": token}),
        staff_client.post(f"{url}/delete", data={"csrf_token": token, "confirm": "y"}),
    ):
        assert r.status_code == 409 and "测评已经开始" in r.get_data(as_text=True)
    db.session.refresh(assessment)
    assert assessment.is_open and assessment.title == "公众满意度测评"


def test_open_close_and_removing_a_subject_need_the_box(staff_client):
    assessment = _draft()
    services.add_subject(assessment, kind="free", title="公交线路")
    db.session.commit()
    subject_id = assessment.subjects[0].id
    url = f"/assessments/staff/{assessment.id}"
    token = csrf_token(staff_client, url)
    r = staff_client.post(f"/assessments/staff/subjects/{subject_id}/delete", data={"csrf_token": token})
    assert r.status_code == 422 and CONFIRM in r.get_data(as_text=True)
    assert _count(AssessmentSubject) == 2
    r = staff_client.post(
        f"/assessments/staff/subjects/{subject_id}/delete", data={"csrf_token": token, "confirm": "y"}
    )
    assert r.status_code == 302 and _count(AssessmentSubject) == 1
    db.session.refresh(assessment)
    services.generate_codes(assessment, 2)
    db.session.commit()
    r = staff_client.post(f"{url}/open", data={"csrf_token": token})
    assert r.status_code == 422 and CONFIRM in r.get_data(as_text=True)
    db.session.refresh(assessment)
    assert not assessment.has_started
    assert staff_client.post(f"{url}/open", data={"csrf_token": token, "confirm": "y"}).status_code == 302
    r = staff_client.post(f"{url}/close", data={"csrf_token": token})
    assert r.status_code == 422
    db.session.refresh(assessment)
    assert assessment.is_open


def test_session_picker_searches_and_pages(staff_client):
    make_congress(1, name="甲县第十八届人民代表大会")
    congress = db.session.scalars(select(Session)).first().congress
    for i in range(25):
        db.session.add(
            Session(
                congress=congress,
                name=f"第{i + 1:02d}次会议",
                starts_on=date(2027, 1, 1 + i % 28),
                ends_on=date(2027, 2, 1),
            )
        )
    db.session.commit()
    first = staff_client.get("/assessments/staff").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "sp=2" in first
    assert staff_client.get("/assessments/staff?sp=2").status_code == 200
    found = staff_client.get("/assessments/staff?sq=第07次").get_data(as_text=True)
    assert "第07次会议" in found and "第08次会议" not in found
    assert "没有找到" in staff_client.get("/assessments/staff?sq=不存在的会议").get_data(as_text=True)
    assert staff_client.get("/assessments/staff?sp=x").status_code == 200
    assert staff_client.get("/assessments/staff?sp=9").status_code == 404


def test_subject_picker_offers_elected_projects_first_and_searches(staff_client):
    unit = LeadUnit(name="县交通运输局")
    db.session.add(unit)
    common = {"lead_unit": unit, "investment": 10, "planned_completion": date(2027, 12, 31), "description": ""}
    db.session.add_all(
        [
            Project(year=2026, title="旧年当选项目", status="elected", **common),
            Project(year=2027, title="未当选项目", status="not_elected", **common),
            Project(year=2027, title="本年当选项目", status="elected", **common),
        ]
        + [Project(year=2025, title=f"候选项目{i:02d}", **common) for i in range(25)]
    )
    db.session.commit()
    assessment = _draft(year=2027)
    url = f"/assessments/staff/{assessment.id}"
    html = staff_client.get(url).get_data(as_text=True)
    assert html.index("本年当选项目") < html.index("旧年当选项目") < html.index("未当选项目")
    assert "【当选】2027 本年当选项目" in html and "候选项目24" not in html
    second = staff_client.get(f"{url}?page=2").get_data(as_text=True)
    assert "候选项目24" in second
    found = staff_client.get(f"{url}?q=候选项目07").get_data(as_text=True)
    assert "候选项目07" in found and "候选项目08" not in found and "本年当选项目" not in found
    assert staff_client.get(f"{url}?page=0").status_code == 200
    assert staff_client.get(f"{url}?page=99").status_code == 404
    # A project beyond the page shown is still accepted by the form.
    project = db.session.scalar(select(Project).where(Project.title == "候选项目24"))
    token = csrf_token(staff_client, url)
    r = staff_client.post(
        f"{url}/subjects",
        data={"kind": "project", "title": "", "project_id": str(project.id), "suggestion_id": "0", "csrf_token": token},
    )
    assert r.status_code == 302
    assert db.session.scalar(select(AssessmentSubject.title).where(AssessmentSubject.project_id == project.id))
