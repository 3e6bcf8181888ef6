"""Deputies' suggestions: filed, assigned, replied within the deadline, rated once."""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template_string
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from assessments import services
from assessments.models import DeputySuggestion, SuggestionReply
from assessments.suggestions import add_months
from core.models import AuditEntry, LeadUnit, User
from extensions import db
from tests.factories import FAST_HASH, PASSWORD, csrf_from, login, make_congress


def _unit_user(name: str, username: str) -> tuple[LeadUnit, User]:
    unit = LeadUnit(name=name)
    user = User(
        username=username,
        display_name=name,
        role="lead_unit",
        lead_unit=unit,
        password_hash=generate_password_hash(PASSWORD, method=FAST_HASH),
        must_change_password=False,
    )
    db.session.add_all([unit, user])
    db.session.commit()
    return unit, user


def _client(app, username: str):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def _token(c, url: str) -> str:
    return csrf_from(c.get(url).get_data(as_text=True))


def test_suggestion_lifecycle(app, staff_client):
    make_congress(3)
    housing, housing_user = _unit_user("县住房和城乡建设局", "zhujianju")
    _unit_user("县教育局", "jiaoyuju")
    deputy = _client(app, "D001")
    token = _token(deputy, "/assessments/suggestions/mine")
    r = deputy.post(
        "/assessments/suggestions/mine",
        data={"title": "关于老旧小区加装电梯的建议", "body": "建议简化审批、加大补助。", "csrf_token": token},
    )
    assert r.status_code == 302
    item = db.session.scalar(select(DeputySuggestion))
    assert item.state == "filed" and item.deputy.code == "D001"

    # Staff assign it: three months to reply.
    staff_token = _token(staff_client, f"/assessments/suggestions/{item.id}")
    r = staff_client.post(
        f"/assessments/suggestions/{item.id}/assign", data={"lead_unit_id": str(housing.id), "csrf_token": staff_token}
    )
    assert r.status_code == 302
    db.session.refresh(item)
    today = services.local_today()
    assert item.state == "handling" and item.due_on == add_months(today, 3)

    # Only that unit may see and answer it; another deputy does not see it.
    other_unit = _client(app, "jiaoyuju")
    assert other_unit.get(f"/assessments/suggestions/{item.id}").status_code == 404
    assert _client(app, "D002").get(f"/assessments/suggestions/{item.id}").status_code == 404

    # Past the deadline without an extension: refused, nothing stored.
    item.due_on = today - timedelta(days=1)
    db.session.commit()
    unit = _client(app, "zhujianju")
    unit_token = _token(unit, f"/assessments/suggestions/{item.id}")
    r = unit.post(
        f"/assessments/suggestions/{item.id}/reply", data={"grade": "A", "body": "已完成。", "csrf_token": unit_token}
    )
    assert r.status_code == 409 and "未获延期" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SuggestionReply)) == 0
    db.session.refresh(item)
    assert item.state == "handling"

    # The overdue item is on the staff dashboard partial.
    with app.test_request_context():
        html = render_template_string('{% include "assessments/_dashboard.html" %}')
    assert item.title in html and "已逾期" in html

    # Staff extend once; the unit replies; a second extension is refused.
    r = staff_client.post(
        f"/assessments/suggestions/{item.id}/extend",
        data={"due_on": (today + timedelta(days=30)).isoformat(), "csrf_token": staff_token},
    )
    assert r.status_code == 302
    r = staff_client.post(
        f"/assessments/suggestions/{item.id}/extend",
        data={"due_on": (today + timedelta(days=40)).isoformat(), "csrf_token": staff_token},
    )
    assert r.status_code == 409 and "已经延期过一次" in r.get_data(as_text=True)
    r = unit.post(
        f"/assessments/suggestions/{item.id}/reply", data={"grade": "D", "body": "留作参考。", "csrf_token": unit_token}
    )
    assert r.status_code == 302
    db.session.refresh(item)
    assert item.state == "replied" and item.last_reply.grade == "D" and item.last_reply.late is False

    # The deputy rates it 不满意: back to the unit for a second round.
    r = deputy.post(f"/assessments/suggestions/{item.id}/rate", data={"rating": "dissatisfied", "csrf_token": token})
    assert r.status_code == 302
    db.session.refresh(item)
    assert item.state == "handling" and item.round == 2 and item.extended is False
    # A second rating of the same reply is refused, and changes nothing.
    r = deputy.post(f"/assessments/suggestions/{item.id}/rate", data={"rating": "satisfied", "csrf_token": token})
    assert r.status_code == 409 and "只能评价一次" in r.get_data(as_text=True)
    first = db.session.scalar(select(SuggestionReply).where(SuggestionReply.round == 1))
    assert first.rating == "dissatisfied"

    r = unit.post(
        f"/assessments/suggestions/{item.id}/reply",
        data={"grade": "B", "body": "已列入明年计划，今年完成两个小区试点。", "csrf_token": unit_token},
    )
    assert r.status_code == 302
    r = deputy.post(f"/assessments/suggestions/{item.id}/rate", data={"rating": "basic", "csrf_token": token})
    assert r.status_code == 302
    db.session.refresh(item)
    assert item.state == "closed" and [x.rating for x in item.replies] == ["dissatisfied", "basic"]
    r = deputy.post(f"/assessments/suggestions/{item.id}/rate", data={"rating": "satisfied", "csrf_token": token})
    assert r.status_code == 409
    page = deputy.get(f"/assessments/suggestions/{item.id}").get_data(as_text=True)
    assert "第 2 次答复" in page

    actions = [a for a in db.session.scalars(select(AuditEntry.action)) if a.startswith("suggestion.")]
    assert actions == [
        "suggestion.file",
        "suggestion.assign",
        "suggestion.extend",
        "suggestion.reply",
        "suggestion.rate",
        "suggestion.reply",
        "suggestion.rate",
    ]
    assert staff_client.get("/assessments/staff/suggestions").status_code == 200
    assert unit.get("/assessments/unit/suggestions").status_code == 200
    assert housing_user.lead_unit_id == housing.id


def test_deadline_arithmetic():
    assert add_months(date(2027, 1, 31), 3) == date(2027, 4, 30)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2027, 3, 15), 3) == date(2027, 6, 15)


def test_only_the_filing_deputy_rates_and_only_staff_assign(app, client):
    make_congress(2)
    deputy = _client(app, "D002")
    token = _token(deputy, "/assessments/suggestions/mine")
    r = deputy.post("/assessments/suggestions/mine", data={"title": "建议", "body": "内容", "csrf_token": token})
    assert r.status_code == 302
    r = deputy.post("/assessments/suggestions/1/assign", data={"lead_unit_id": "1", "csrf_token": token})
    assert r.status_code == 403
    other = _client(app, "D001")
    r = other.post(
        "/assessments/suggestions/1/rate",
        data={"rating": "satisfied", "csrf_token": _token(other, "/assessments/suggestions/mine")},
    )
    assert r.status_code == 404
    assert client.get("/assessments/suggestions/mine").status_code == 302  # login first
