"""A standing committee of 40 members rates three special work reports. One story, a
test per stage (tests/stages.py)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from assessments.models import (
    Assessment,
    AssessmentSubject,
    Rectification,
    StandingCommittee,
)
from core.models import AuditEntry, Deputy, Session
from extensions import db
from tests.assessments.factories import PDF, check_in, secret_votes
from tests.factories import FAST_HASH, PASSWORD, csrf_token, login, make_user
from tests.stages import Scenario, Stages
from tests.voting.factories import board, cast, run_verifier, take_token

REPORTS = [
    ("government", "县人民政府", "县人民政府关于垃圾分类工作情况的报告"),
    ("court", "县人民法院", "县人民法院关于执行工作情况的报告"),
    ("procuratorate", "县人民检察院", "县人民检察院关于公益诉讼工作情况的报告"),
]

stage = Stages()


def _roster_csv(n: int) -> bytes:
    lines = ["代表证号,姓名,代表团,手机"] + [f"C{i:03d},委员{i:02d},常委会,1390000{i:04d}" for i in range(1, n + 1)]
    return ("\n".join(lines) + "\n").encode()


def _members(committee_id: int) -> list[Deputy]:
    committee = db.session.get(StandingCommittee, committee_id)
    return db.session.scalars(
        select(Deputy).where(Deputy.congress_id == committee.congress_id).order_by(Deputy.code)
    ).all()


@pytest.fixture(scope="module")
def reports(module_app, tmp_path_factory):
    """Staff logged in; a folder for the verifier's files."""
    make_user("staff1")
    staff_client = module_app.test_client()
    assert login(staff_client, "staff1").status_code == 302
    return Scenario(app=module_app, c=staff_client, tmp=tmp_path_factory.mktemp("verifier"))


@stage
def test_the_committee_and_its_roster_of_40_imported_from_csv(reports):
    c = reports.c
    token = reports.token = csrf_token(c, "/assessments/staff/committees")
    r = c.post("/assessments/staff/committees", data={"name": "测试县人大常委会", "csrf_token": token})
    assert r.status_code == 302
    committee = db.session.scalar(select(StandingCommittee))
    reports.committee_id = committee.id
    r = c.post(
        f"/assessments/staff/committees/{committee.id}/import",
        data={"file": (io.BytesIO(_roster_csv(40)), "roster.csv"), "csrf_token": token},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert r.status_code == 200 and "C040" in r.get_data(as_text=True)
    r = c.post(
        f"/assessments/staff/committees/{committee.id}/meetings",
        data={"name": "常委会第二十次会议", "starts_on": "2027-06-20", "ends_on": "2027-06-20", "csrf_token": token},
    )
    assert r.status_code == 302
    meeting = db.session.scalar(select(Session).where(Session.congress_id == committee.congress_id))
    reports.meeting_id = meeting.id
    members = _members(committee.id)
    assert len(members) == 40
    check_in(meeting, members[:38])
    page = c.get(f"/assessments/staff/committees/{committee.id}").get_data(as_text=True)
    assert "C040" in page and "1390000" not in page  # phones are never shown


@stage
def test_three_work_reports_one_with_an_uploaded_pdf_two_with_links(reports):
    app, c, token = reports.app, reports.c, reports.token
    r = c.post(
        "/assessments/staff",
        data={
            "title": "2027年常委会专项工作报告满意度测评",
            "year": "2027",
            "raters": "committee",
            "session_id": str(reports.meeting_id),
            "grade_base": "electorate",
            "rectify_below": "80",
            "csrf_token": token,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assessment = db.session.scalar(select(Assessment))
    reports.assessment_id = assessment.id
    for i, (body_type, body, title) in enumerate(REPORTS):
        data = {
            "kind": "work_report",
            "title": title,
            "body_type": body_type,
            "body_name": body,
            "suggestion_id": "0",
            "project_id": "0",
            "csrf_token": token,
        }
        if i == 0:
            data["document"] = (io.BytesIO(PDF), "report.pdf")
        else:
            data["document_url"] = f"https://example.gov.cn/report-{i}.html"
        r = c.post(f"/assessments/staff/{assessment.id}/subjects", data=data, content_type="multipart/form-data")
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
    subjects = assessment.subjects
    assert [s.body_name for s in subjects] == ["县人民政府", "县人民法院", "县人民检察院"]
    reports.subject_ids = [s.id for s in subjects]
    stored = list((Path(app.config["YISHI_UPLOAD_DIR"]) / "assessments").iterdir())
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.pdf", stored[0].name)
    assert stored[0].name != "report.pdf"


@stage
def test_opening_fixes_the_manifest_and_nothing_is_visible_before_the_close(reports):
    app, c, token = reports.app, reports.c, reports.token
    assessment = db.session.get(Assessment, reports.assessment_id)
    r = c.post(f"/assessments/staff/{assessment.id}/open", data={"csrf_token": token, "confirm": "y"})
    assert r.status_code == 302
    db.session.refresh(assessment)
    poll = assessment.poll
    assert poll.state == "open" and poll.secrecy == "secret" and poll.purpose == "assessment"
    assert poll.manifest["electorate"] == 40
    assert poll.manifest["rules"] == {"grade_base": "electorate", "rectify_below": "4/5"}
    assert [o["title"] for o in poll.manifest["options"]] == [t for _, _, t in REPORTS]

    assert c.get(f"/api/polls/{poll.public_id}/board").status_code == 404
    public = app.test_client().get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "result-table" not in public and "测评结束后公布结果" in public


@stage
def test_37_members_rate_in_secret_one_through_the_ballot_page(reports):
    app = reports.app
    poll = db.session.get(Assessment, reports.assessment_id).poll
    members = _members(reports.committee_id)
    # One member takes a token over HTTP (committee members use the deputies' ballot page).
    account = members[0].user
    account.password_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    account.must_change_password = False
    db.session.commit()
    first = take_token(app, poll, "C001")
    # Report 1: 30 satisfied → 满意; report 2: 20 satisfied + 10 basic (exactly half
    # satisfied is not enough) → 基本满意; report 3: 12 satisfied + 8 basic → 不满意.
    ballots = []
    for i in range(37):
        ballots.append(
            {
                "p01": "satisfied" if i < 30 else "basic",
                "p02": "satisfied" if i < 20 else ("basic" if i < 30 else "dissatisfied"),
                "p03": "satisfied" if i < 12 else ("basic" if i < 20 else ("abstain" if i == 36 else "dissatisfied")),
            }
        )
    bodies = [first.ballot(ballots[0])] + secret_votes(poll, members[1:37], ballots[1:])
    receipts = []
    for body in bodies:
        r = cast(app, poll, body)
        assert r.status_code == 201, r.get_json()
        receipts.append(r.get_json())
    reports.first_receipt, reports.first_ballot = receipts[0], bodies[0]["ballot"]


@stage
def test_the_close_grades_each_report_and_lists_two_for_rectification(reports):
    app, c, token = reports.app, reports.c, reports.token
    assessment = db.session.get(Assessment, reports.assessment_id)
    r = c.post(f"/assessments/staff/{assessment.id}/close", data={"csrf_token": token, "confirm": "y"})
    assert r.status_code == 302
    db.session.refresh(assessment)
    result = {o["id"]: o for o in assessment.poll.result["options"]}
    assert assessment.poll.result["base"] == 40 and assessment.poll.result["cast"] == 37
    assert result["p01"]["grade"] == "satisfied" and result["p01"]["rectify"] is False
    assert result["p02"]["grade"] == "basic"
    assert result["p03"]["grade"] == "dissatisfied" and result["p03"]["rate"] == "5/9"
    items = db.session.scalars(select(Rectification).order_by(Rectification.id)).all()
    assert [(i.subject.position, i.reason, i.responsible) for i in items] == [
        (2, "basic", "县人民法院"),
        (3, "dissatisfied", "县人民检察院"),
    ]
    reports.worst_id = items[1].id

    page = app.test_client().get(f"/assessments/{assessment.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-turnout="electorate">40<' in html and 'data-turnout="cast">37<' in html
    assert "恰好一半不够" in html and "满意率低于 80% " in html
    assert '<svg class="chart"' in html and 'data-grade="dissatisfied"' in html
    doc = app.test_client().get(f"/assessments/subjects/{reports.subject_ids[0]}/document")
    assert doc.status_code == 200 and doc.mimetype == "application/pdf" and doc.data == PDF
    listing = app.test_client().get("/assessments/rectifications").get_data(as_text=True)
    assert "县人民检察院" in listing and "县人民法院" in listing
    year = app.test_client().get("/assessments/year/2027").get_data(as_text=True)
    assert 'id="year-rate-title"' in year and 'id="year-turnout"' in year


@stage
def test_the_board_verifies_with_a_members_receipt(reports):
    assessment = db.session.get(Assessment, reports.assessment_id)
    status, out = run_verifier(
        board(reports.app, assessment.poll),
        reports.tmp,
        receipts=[reports.first_receipt],
        ballots=[reports.first_ballot],
        fingerprint=assessment.poll.fingerprint,
    )
    assert status == 0, out


@stage
def test_not_satisfied_needs_a_follow_up_report_before_a_reassessment_and_closing_clears_it(reports):
    # 不满意: follow-up report, then a re-assessment; closing the item removes it from the list.
    app, c, meeting_id = reports.app, reports.c, reports.meeting_id
    worst = db.session.get(Rectification, reports.worst_id)
    token = csrf_token(c, f"/assessments/staff/rectifications/{worst.id}")
    r = c.post(
        f"/assessments/staff/rectifications/{worst.id}/reassess",
        data={"raters": "committee", "session_id": str(meeting_id), "csrf_token": token},
    )
    assert r.status_code == 409 and "须先报告整改情况" in r.get_data(as_text=True)
    r = c.post(
        f"/assessments/staff/rectifications/{worst.id}/report",
        data={"follow_up": "已制定整改方案，完成公益诉讼案件线索排查。", "csrf_token": token},
    )
    assert r.status_code == 302
    r = c.post(
        f"/assessments/staff/rectifications/{worst.id}/reassess",
        data={"raters": "committee", "session_id": str(meeting_id), "csrf_token": token},
    )
    assert r.status_code == 302
    db.session.refresh(worst)
    again = worst.reassessment
    assert again is not None and again.state == "draft"
    assert [s.title for s in again.subjects] == [REPORTS[2][2]]
    r = c.post(f"/assessments/staff/rectifications/{worst.id}/close", data={"csrf_token": token, "confirm": "y"})
    assert r.status_code == 302
    listing = app.test_client().get("/assessments/rectifications").get_data(as_text=True)
    assert "县人民检察院" not in listing and "县人民法院" in listing


@stage
def test_every_state_change_is_in_the_audit_log(reports):
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "committee.create",
        "roster.import",
        "assessment.create",
        "assessment.subject_add",
        "assessment.open",
        "assessment.close",
        "rectification.create",
        "rectification.report",
        "rectification.reassess",
        "rectification.close",
    } <= actions
    assert db.session.scalar(select(func.count()).select_from(AssessmentSubject)) == 4
    json.dumps(db.session.get(Assessment, reports.assessment_id).poll.result)
