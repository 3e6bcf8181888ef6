"""The whole yearly cycle over HTTP: a citizen's suggestion becomes a candidate, 200
deputies vote, a tie goes to a run-off, progress is reported, the year-end
assessment grades the project, and the project page tells the whole story. One story,
a test per stage (tests/stages.py)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Deputy, LeadUnit, Session
from extensions import db
from projects.models import ProgressPhoto, Project, Suggestion
from tests.factories import csrf_token, login, make_congress, make_user
from tests.projects.factories import (
    PNG,
    TODAY,
    YEAR,
    add_candidates,
    make_call,
    make_units,
    options_of,
    unit_user,
    vote_in_bulk,
)
from tests.stages import Scenario, Stages
from tests.voting.factories import cast, check_in_all, take_token
from voting.models import Poll

stage = Stages()


def _post(client, url, data, page=None, **kw):
    data = dict(data, csrf_token=csrf_token(client, page or url))
    return client.post(url, data=data, **kw)


def _deputies() -> list[Deputy]:
    return db.session.scalars(select(Deputy).order_by(Deputy.code)).all()


@pytest.fixture(scope="module")
def cycle(module_app):
    """A fixed day inside the 2027 call, three lead units, 200 deputies, staff logged in."""
    app = module_app
    app.config["YISHI_TODAY"] = TODAY
    units = make_units()
    make_call()
    _congress, session = make_congress(200)
    make_user("staff1")
    # The pages below, the project's story and the open data included, are read by this
    # staff client, as before the split (the ``client`` and ``staff_client`` fixtures
    # were one client).
    staff_client = app.test_client()
    assert login(staff_client, "staff1").status_code == 302
    return Scenario(app=app, staff_client=staff_client, unit_ids=[u.id for u in units], session_id=session.id)


@stage
def test_a_citizen_proposes_from_the_qr_page_without_an_account(cycle):
    cycle.citizen = citizen = cycle.app.test_client()
    page = citizen.get("/suggest?src=qr")
    assert page.status_code == 200 and "提建议" in page.get_data(as_text=True)
    response = _post(
        citizen,
        "/suggest?src=qr",
        {
            "title": "中心小学门口加装红绿灯",
            "description": "上学放学时车多人多，孩子过马路很危险。",
            "category": "交通出行",
            "location": "白鹭镇中心小学",
            "name": "陈女士",
            "phone": "13912345678",
        },
    )
    assert response.status_code == 303
    mine = db.session.scalar(select(Suggestion).where(Suggestion.title == "中心小学门口加装红绿灯"))
    assert mine.source == "qr" and mine.phone == "13912345678"
    cycle.mine_id = mine.id
    sent = citizen.get(response.headers["Location"]).get_data(as_text=True)
    assert "待审核" in sent and 'id="tracking-code"' in sent
    assert "13912345678" not in sent and "陈女士" not in sent
    # Not public before review: the staff approve it.
    assert citizen.get(f"/suggestions/{mine.id}").status_code == 404
    assert (
        _post(
            cycle.staff_client, f"/staff/projects/suggestions/{mine.id}/approve", {}, page="/staff/projects/review"
        ).status_code
        == 303
    )
    public = citizen.get(f"/suggestions/{mine.id}").get_data(as_text=True)
    assert "待处理" in public and "13912345678" not in public and "陈女士" not in public


@stage
def test_staff_make_a_candidate_of_it_and_three_come_from_departments(cycle):
    staff_client, mine_id = cycle.staff_client, cycle.mine_id
    units = [db.session.get(LeadUnit, unit_id) for unit_id in cycle.unit_ids]
    form = staff_client.get(f"/staff/projects/{YEAR}/candidates/new?from={mine_id}")
    assert form.status_code == 200 and "中心小学门口加装红绿灯" in form.get_data(as_text=True)
    response = _post(
        staff_client,
        f"/staff/projects/{YEAR}/candidates/new",
        {
            "title": "校园周边交通安全设施",
            "lead_unit_id": units[0].id,
            "investment": "650",
            "planned_completion": "2027-06-30",
            "description": "在 20 所学校门口加装信号灯和护栏。",
            "suggestions": [mine_id],
        },
        page=f"/staff/projects/{YEAR}/candidates/new",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    school = db.session.scalar(select(Project).where(Project.title == "校园周边交通安全设施"))
    assert [s.id for s in school.suggestions] == [mine_id]
    cycle.school_id = school.id
    assert "校园周边交通安全设施" in cycle.citizen.get(f"/suggestions/{mine_id}").get_data(as_text=True)
    others = add_candidates(units, ["居家养老服务中心", "城乡公交一体化", "乡村学校食堂"])
    cycle.other_id = others[0].id


@stage
def test_staff_open_the_vote_and_its_candidates_can_no_longer_be_edited(cycle):
    # 4 candidates, 2 seats, more than half of all 200 deputies.
    staff_client, school_id = cycle.staff_client, cycle.school_id
    response = _post(
        staff_client,
        f"/staff/projects/{YEAR}/vote",
        {
            "session_id": cycle.session_id,
            "seats": "2",
            "max_yes": "",
            "base": "electorate",
            "more_than": "1/2",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    vote = db.session.scalar(select(Poll).where(Poll.purpose == "project_vote"))
    assert vote.rules["max_yes"] == 2 and vote.rules["seats"] == 2
    cycle.vote_id = vote.id
    response = _post(staff_client, f"/staff/polls/{vote.id}/open", {"confirm": "y"}, page=f"/staff/polls/{vote.id}")
    assert response.status_code == 302

    # Editing a candidate once its vote has opened is refused.
    edit = staff_client.get(f"/staff/projects/p/{school_id}/edit")
    assert edit.status_code == 409 and "不能再修改" in edit.get_data(as_text=True)
    # ... and the project page no longer links to that refusal.
    assert f"/staff/projects/p/{school_id}/edit" not in staff_client.get(f"/projects/p/{school_id}").get_data(
        as_text=True
    )


@pytest.mark.slow  # and so are the stages below, which build on it
@stage
def test_200_deputies_vote_and_the_last_seat_is_tied(cycle):
    app, staff_client = cycle.app, cycle.staff_client
    vote = db.session.get(Poll, cycle.vote_id)
    deputies = _deputies()
    check_in_all(db.session.get(Session, cycle.session_id), deputies)
    ids = options_of(vote)
    a, b, c, d = (ids[p] for p in ["校园周边交通安全设施", "居家养老服务中心", "城乡公交一体化", "乡村学校食堂"])

    def first_round(i):
        if i < 150:
            return {a: "yes", b: "yes" if i < 75 else "no", c: "no" if i < 75 else "yes", d: "no"}
        return {a: "no", b: "yes", c: "yes", d: "abstain"}

    # A handful over HTTP, the rest through the services.
    for i, deputy in enumerate(deputies[:3]):
        voter = take_token(app, vote, deputy.code)
        assert cast(app, vote, voter.ballot(first_round(i))).status_code == 201
    vote_in_bulk(vote, deputies[3:], lambda i: first_round(i + 3))
    assert (
        _post(
            staff_client, f"/staff/polls/{vote.id}/close", {"confirm": "y"}, page=f"/staff/polls/{vote.id}"
        ).status_code
        == 302
    )
    db.session.refresh(vote)
    assert vote.result["elected"] == [a] and sorted(vote.result["tied"]) == sorted([b, c])


@stage
def test_a_run_off_among_the_tied_fills_the_last_seat(cycle):
    staff_client = cycle.staff_client
    year_page = staff_client.get(f"/staff/projects/{YEAR}").get_data(as_text=True)
    assert "最后名额同票" in year_page
    response = _post(staff_client, f"/staff/projects/{YEAR}/runoff", {}, page=f"/staff/projects/{YEAR}")
    assert response.status_code == 302, response.get_data(as_text=True)
    runoff = db.session.scalar(select(Poll).where(Poll.purpose == "runoff"))
    assert runoff.rules["seats"] == 1 and sorted(o["title"] for o in runoff.options) == [
        "城乡公交一体化",
        "居家养老服务中心",
    ]
    school = db.session.get(Project, cycle.school_id)
    assert school.status == "elected"
    assert (
        _post(
            staff_client, f"/staff/polls/{runoff.id}/open", {"confirm": "y"}, page=f"/staff/polls/{runoff.id}"
        ).status_code
        == 302
    )
    db.session.refresh(runoff)
    rb, rc = options_of(runoff)["居家养老服务中心"], options_of(runoff)["城乡公交一体化"]
    # Fewer ballots from here on keep the test fast; the base is still all 200 deputies.
    vote_in_bulk(runoff, _deputies()[:110], lambda i: {rb: "yes", rc: "no"} if i < 105 else {rb: "no", rc: "yes"})
    assert (
        _post(
            staff_client, f"/staff/polls/{runoff.id}/close", {"confirm": "y"}, page=f"/staff/polls/{runoff.id}"
        ).status_code
        == 302
    )
    assert (
        _post(
            staff_client, f"/staff/projects/{YEAR}/vote/apply", {"confirm": "y"}, page=f"/staff/projects/{YEAR}"
        ).status_code
        == 302
    )
    statuses = {p.title: p.status for p in db.session.scalars(select(Project))}
    assert statuses == {
        "校园周边交通安全设施": "elected",
        "居家养老服务中心": "elected",
        "城乡公交一体化": "not_elected",
        "乡村学校食堂": "not_elected",
    }
    # No tie left: a second run-off is refused.
    again = _post(staff_client, f"/staff/projects/{YEAR}/runoff", {}, page=f"/staff/projects/{YEAR}")
    assert again.status_code == 409 and "无需另行票决" in again.get_data(as_text=True)


@stage
def test_progress_the_monitoring_group_and_the_lead_units_reports_with_a_photo(cycle):
    app, staff_client, school_id = cycle.app, cycle.staff_client, cycle.school_id
    response = _post(staff_client, f"/staff/projects/p/{school_id}/members", {"code": "D001", "leader": "1"})
    assert response.status_code == 302
    unit_user("jiaotong", db.session.get(LeadUnit, cycle.unit_ids[0]))
    unit = app.test_client()
    assert login(unit, "jiaotong").status_code == 302
    url = f"/projects/p/{school_id}/report"
    response = _post(
        unit,
        url,
        {
            "reported_on": "2027-03-31",
            "percent": "40",
            "narrative": "已完成 8 所学校的信号灯安装。",
            "problems": "部分路口管线迁改慢。",
            "rectifications": "加快管线迁改\n每周通报进度",
            "photos": (io.BytesIO(PNG), "site.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    photo = db.session.scalar(select(ProgressPhoto))
    uploads = Path(app.config["YISHI_UPLOAD_DIR"])
    assert photo.content_type == "image/png" and (uploads / "projects" / photo.stored_name).exists()
    # Stored re-encoded (core.uploads): the same pixels, not the same bytes.
    served = staff_client.get(f"/projects/photos/{photo.stored_name}").data
    assert served.startswith(b"\x89PNG") and same_pixels(served, PNG)
    cycle.photo_name = photo.stored_name
    # A bad photo is refused and nothing is stored.
    response = _post(
        unit,
        url,
        {
            "reported_on": "2027-04-30",
            "percent": "50",
            "narrative": "继续推进。",
            "photos": (io.BytesIO(b"MZ\x90\x00 not an image"), "photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "不是 JPEG、PNG 或 WebP 图片" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(ProgressPhoto)).all()) == 1
    response = _post(unit, url, {"reported_on": "2027-05-31", "percent": "100", "narrative": "全部完工。"})
    assert response.status_code == 302
    deputy1 = app.test_client()
    login(deputy1, "D001")
    response = _post(
        deputy1,
        f"/projects/p/{school_id}/inspect",
        {"visited_on": "2027-06-05", "note": "实地查看 5 所学校，设施运行良好。"},
    )
    assert response.status_code == 302
    board = staff_client.get(f"/projects/{YEAR}/progress").get_data(as_text=True)
    assert "100%" in board and 'data-schedule="done"' in board


@stage
def test_the_year_end_assessment_grades_the_elected_projects(cycle):
    staff_client = cycle.staff_client
    response = _post(staff_client, f"/staff/projects/{YEAR}/assessment", {"session_id": cycle.session_id})
    assert response.status_code == 302, response.get_data(as_text=True)
    assessment = db.session.scalar(select(Poll).where(Poll.purpose == "assessment"))
    assert assessment.secrecy == "secret" and len(assessment.options) == 2
    assert (
        _post(
            staff_client, f"/staff/polls/{assessment.id}/open", {"confirm": "y"}, page=f"/staff/polls/{assessment.id}"
        ).status_code
        == 302
    )
    db.session.refresh(assessment)
    sa, sb = options_of(assessment)["校园周边交通安全设施"], options_of(assessment)["居家养老服务中心"]

    def rating(i):
        return {
            sa: "satisfied" if i < 110 else "basic" if i < 118 else "dissatisfied",
            sb: "basic" if i < 105 else "dissatisfied",
        }

    vote_in_bulk(assessment, _deputies()[:120], rating)
    assert (
        _post(
            staff_client, f"/staff/polls/{assessment.id}/close", {"confirm": "y"}, page=f"/staff/polls/{assessment.id}"
        ).status_code
        == 302
    )


def same_pixels(a: bytes, b: bytes) -> bool:
    from PIL import Image

    first, second = Image.open(io.BytesIO(a)).convert("RGBA"), Image.open(io.BytesIO(b)).convert("RGBA")
    return first.size == second.size and first.tobytes() == second.tobytes()


@stage
def test_the_project_page_tells_the_whole_story(cycle):
    staff_client = cycle.staff_client
    vote = db.session.get(Poll, cycle.vote_id)
    story = staff_client.get(f"/projects/p/{cycle.school_id}").get_data(as_text=True)
    for expected in [
        "中心小学门口加装红绿灯",
        f"/suggestions/{cycle.mine_id}",
        'data-count="yes">150<',
        vote.fingerprint,
        f"/api/polls/{vote.public_id}/board",
        "已完成 8 所学校的信号灯安装",
        "实地查看 5 所学校",
        "加快管线迁改",
        "98.3%",
        "满意",
        f"/projects/photos/{cycle.photo_name}",
    ]:
        assert expected in story, expected
    assert "13912345678" not in story
    other = staff_client.get(f"/projects/p/{cycle.other_id}").get_data(as_text=True)
    assert "另行票决" in other and "基本满意" in other
    archive = staff_client.get("/projects").get_data(as_text=True)
    assert f"/projects/{YEAR}" in archive


@stage
def test_open_data_has_the_bom_for_excel_and_no_private_fields(cycle):
    staff_client = cycle.staff_client
    csv_response = staff_client.get(f"/projects/{YEAR}/suggestions.csv")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    csv_body = csv_response.data
    assert csv_body.startswith("\ufeff".encode()) and "中心小学门口加装红绿灯".encode() in csv_body
    assert b"13912345678" not in csv_body and "陈女士".encode() not in csv_body
    rows = json.loads(staff_client.get(f"/projects/{YEAR}/results.json").data)["rows"]
    assert {(r["kind"], r["title"]) for r in rows if r["elected"]} == {
        ("vote", "校园周边交通安全设施"),
        ("runoff", "居家养老服务中心"),
    }
    progress_rows = json.loads(staff_client.get(f"/projects/{YEAR}/progress.json").data)["rows"]
    assert {r["title"]: r["grade"] for r in progress_rows} == {
        "校园周边交通安全设施": "satisfied",
        "居家养老服务中心": "basic",
    }
    candidates_csv = staff_client.get(f"/projects/{YEAR}/candidates.csv").data.decode("utf-8-sig")
    assert "校园周边交通安全设施" in candidates_csv and "650" in candidates_csv


@stage
def test_every_state_change_left_an_audit_line(cycle):
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "projects.suggestion.submit",
        "projects.candidate.create",
        "projects.vote.create",
        "projects.runoff.create",
        "projects.vote.apply",
        "projects.member.add",
        "projects.report.add",
        "projects.note.add",
        "projects.assessment.create",
    } <= actions
    assert date.fromisoformat("2027-06-30") == db.session.get(Project, cycle.school_id).planned_completion
