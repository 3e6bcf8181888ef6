"""Refused requests: a clear message, the right status, nothing stored."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from assessments import services
from assessments.models import Assessment, AssessmentSubject
from core.models import AuditEntry
from extensions import db
from tests.assessments.factories import PDF, make_committee, public_assessment
from tests.factories import csrf_token, make_congress
from voting.models import Poll


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _draft(staff_client, raters="public", session_id="0"):
    token = csrf_token(staff_client, "/assessments/staff")
    r = staff_client.post(
        "/assessments/staff",
        data={
            "title": "测评",
            "year": "2027",
            "raters": raters,
            "session_id": session_id,
            "grade_base": "electorate",
            "csrf_token": token,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    return db.session.scalar(select(Assessment).order_by(Assessment.id.desc())), token


def test_assessment_without_subject_is_refused(app, staff_client):
    assessment, token = _draft(staff_client)
    audit_before = _count(AuditEntry)
    r = staff_client.post(f"/assessments/staff/{assessment.id}/open", data={"csrf_token": token, "confirm": "y"})
    assert r.status_code == 422 and "至少要有一个测评对象" in r.get_data(as_text=True)
    r = staff_client.post(
        f"/assessments/staff/{assessment.id}/codes", data={"count": "10", "csrf_token": token, "confirm": "y"}
    )
    assert r.status_code == 422 and "至少要有一个测评对象" in r.get_data(as_text=True)
    assert _count(Poll) == 0 and _count(AuditEntry) == audit_before
    db.session.refresh(assessment)
    assert assessment.state == "draft"
    # Drafts are not public.
    assert app.test_client().get(f"/assessments/{assessment.id}").status_code == 404


def test_bad_documents_are_refused_and_nothing_is_stored(app, staff_client, tmp_path, monkeypatch):
    assessment, token = _draft(staff_client)
    base = {
        "kind": "work_report",
        "title": "县人民政府工作报告",
        "body_type": "government",
        "body_name": "县人民政府",
        "suggestion_id": "0",
        "project_id": "0",
        "csrf_token": token,
    }
    cases = [
        ({"document": (io.BytesIO(b"<html>not a pdf</html>"), "report.pdf")}, 422, "只能上传 PDF"),
        ({"document": (io.BytesIO(b""), "report.pdf")}, 422, "文件是空的"),
        ({}, 422, "须上传报告文件"),
        ({"document_url": "javascript:alert(1)"}, 422, "http://"),
        ({"body_type": "", "document": (io.BytesIO(PDF), "r.pdf")}, 422, "须写明报告机关"),
    ]
    for extra, status, text in cases:
        r = staff_client.post(
            f"/assessments/staff/{assessment.id}/subjects", data={**base, **extra}, content_type="multipart/form-data"
        )
        assert r.status_code == status, (extra, r.status_code)
        assert text in r.get_data(as_text=True), extra
    monkeypatch.setattr(services.subjects, "MAX_PDF_BYTES", 1024)  # a small limit keeps the test light
    big = PDF + b"0" * 1024
    r = staff_client.post(
        f"/assessments/staff/{assessment.id}/subjects",
        data={**base, "document": (io.BytesIO(big), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413
    assert _count(AssessmentSubject) == 0
    uploads = tmp_path / "uploads" / "assessments"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_raters_and_meeting_must_match(app, staff_client):
    _congress, session = make_congress(2)
    _committee, meeting = make_committee(3)
    token = csrf_token(staff_client, "/assessments/staff")
    cases = [
        ("public", session.id, "不属于会议"),
        ("committee", 0, "须选择一次会议"),
        ("committee", session.id, "须选择常委会会议"),
        ("deputies", meeting.id, "而不是常委会会议"),
    ]
    for raters, session_id, text in cases:
        r = staff_client.post(
            "/assessments/staff",
            data={
                "title": "测评",
                "year": "2027",
                "raters": raters,
                "session_id": str(session_id),
                "grade_base": "electorate",
                "csrf_token": token,
            },
        )
        assert r.status_code == 422 and text in r.get_data(as_text=True), raters
    assert _count(Assessment) == 0


def test_subjects_are_fixed_once_the_ballot_is(app, staff_client):
    assessment, _codes = public_assessment(2, ["事项一"], open_=False)
    token = csrf_token(staff_client, "/assessments/staff")
    r = staff_client.post(
        f"/assessments/staff/{assessment.id}/subjects",
        data={"kind": "free", "title": "事项二", "suggestion_id": "0", "project_id": "0", "csrf_token": token},
    )
    assert r.status_code == 409 and "不能再修改测评对象" in r.get_data(as_text=True)
    r = staff_client.post(f"/assessments/staff/{assessment.id}/close", data={"csrf_token": token, "confirm": "y"})
    assert r.status_code == 409
    assert [s.title for s in assessment.subjects] == ["事项一"]


def test_suggestion_subject_needs_a_reply(app, staff_client):
    assessment, token = _draft(staff_client)
    r = staff_client.post(
        f"/assessments/staff/{assessment.id}/subjects",
        data={"kind": "suggestion", "title": "", "suggestion_id": "0", "project_id": "0", "csrf_token": token},
    )
    assert r.status_code == 422 and "请选择要测评的代表建议" in r.get_data(as_text=True)
    r = staff_client.post(
        f"/assessments/staff/{assessment.id}/subjects",
        data={"kind": "project", "title": "", "suggestion_id": "0", "project_id": "0", "csrf_token": token},
    )
    assert r.status_code == 422
    assert _count(AssessmentSubject) == 0


def test_staff_pages_render(app, staff_client):
    assessment, _ = public_assessment(2, ["事项一"], open_=False)
    for url in (
        "/assessments/staff",
        f"/assessments/staff/{assessment.id}",
        "/assessments/staff/committees",
        "/assessments/",
        "/assessments/rectifications",
        "/assessments/year/2027",
        "/assessments/staff/suggestions",
    ):
        assert staff_client.get(url).status_code == 200, url
