"""The pages refuse with the service's own refusal: the same status and message for the
form page and its POST, as a page or as JSON, and nothing stored."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from extensions import db
from projects import services
from projects.models import InspectionNote, ProgressReport, Project, ProjectStatus
from tests.factories import csrf_token, login, make_congress
from tests.projects.factories import YEAR, add_candidates, unit_user
from voting import services as poll_services

JSON = {"Accept": "application/json"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_progress_report_on_a_project_not_elected_is_refused(cycle_app, units):
    project = add_candidates(units, ["农村公路提升"])[0]
    unit_user("jiaotong", units[0])
    unit = cycle_app.test_client()
    login(unit, "jiaotong")
    url = f"/projects/p/{project.id}/report"
    page = unit.get(url)
    assert page.status_code == 409 and "只有当选项目才报送进度。" in page.get_data(as_text=True)
    assert unit.get(url, headers=JSON).get_json() == {"error": "conflict", "message": "只有当选项目才报送进度。"}
    data = {"reported_on": "2027-03-31", "percent": "30", "narrative": "进展顺利。"}
    posted = unit.post(url, data=dict(data, csrf_token=csrf_token(unit, f"/projects/p/{project.id}")))
    assert posted.status_code == 409 and "只有当选项目才报送进度。" in posted.get_data(as_text=True)
    assert _count(ProgressReport) == 0

    # Elected, the same unit reports.
    db.session.get(Project, project.id).status = ProjectStatus.ELECTED
    db.session.commit()
    assert unit.get(url).status_code == 200
    posted = unit.post(url, data=dict(data, csrf_token=csrf_token(unit, url)))
    assert posted.status_code == 302 and _count(ProgressReport) == 1


def test_an_inspection_note_by_a_deputy_outside_the_group_is_refused(cycle_app, units):
    project = add_candidates(units, ["农村公路提升"])[0]
    project.status = ProjectStatus.ELECTED
    db.session.commit()
    make_congress(3)
    deputy = cycle_app.test_client()
    login(deputy, "D001")
    url = f"/projects/p/{project.id}/inspect"
    message = "只有监督小组的代表才能提交视察记录。"
    page = deputy.get(url)
    assert page.status_code == 403 and message in page.get_data(as_text=True)
    assert deputy.get(url, headers=JSON).get_json() == {"error": "forbidden", "message": message}
    note = {"visited_on": "2027-04-01", "note": "路面平整。"}
    posted = deputy.post(url, data=dict(note, csrf_token=csrf_token(deputy, f"/projects/p/{project.id}")))
    assert posted.status_code == 403 and message in posted.get_data(as_text=True)
    assert _count(InspectionNote) == 0


def test_editing_a_candidate_once_its_vote_opened_is_refused(cycle_app, staff_client, units):
    _, session = make_congress(3)
    project, _other = add_candidates(units, ["农村公路提升", "乡村学校食堂"])
    poll = services.create_vote(YEAR, session, seats=1)
    poll_services.open_poll(poll)
    db.session.commit()
    url = f"/staff/projects/p/{project.id}/edit"
    message = "票决已经开始，候选项目“农村公路提升”不能再修改。"
    page = staff_client.get(url)
    assert page.status_code == 409 and message in page.get_data(as_text=True)
    form = {
        "title": "农村公路提升改造",
        "lead_unit_id": units[0].id,
        "investment": "100",
        "planned_completion": date(YEAR, 12, 31).isoformat(),
        "description": "改。",
        "csrf_token": csrf_token(staff_client, f"/projects/p/{project.id}"),
    }
    posted = staff_client.post(url, data=form)
    assert posted.status_code == 409 and message in posted.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Project, project.id).title == "农村公路提升"
