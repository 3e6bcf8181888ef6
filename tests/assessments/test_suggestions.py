"""Deputies' suggestions: filed, assigned, replied within the deadline, rated once. The
lifecycle is one story, a test per stage (tests/stages.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from assessments.models import DeputySuggestion, SuggestionReply
from assessments.suggestions import add_months
from core.models import AuditEntry, LeadUnit, User
from core.times import local_today
from extensions import db
from tests.factories import FAST_HASH, PASSWORD, csrf_from, login, make_congress, make_user
from tests.stages import Scenario, Stages

stage = Stages()


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


@pytest.fixture(scope="module")
def lifecycle(module_app):
    """Three deputies, two lead units with their accounts, staff logged in."""
    app = module_app
    make_congress(3)
    housing, housing_user = _unit_user("县住房和城乡建设局", "zhujianju")
    _unit_user("县教育局", "jiaoyuju")
    make_user("staff1")
    return Scenario(
        app=app,
        staff_client=_client(app, "staff1"),
        housing_id=housing.id,
        housing_user_id=housing_user.id,
    )


def _item(lifecycle) -> DeputySuggestion:
    return db.session.get(DeputySuggestion, lifecycle.item_id)


@stage
def test_a_deputy_files_a_suggestion(lifecycle):
    deputy = lifecycle.deputy = _client(lifecycle.app, "D001")
    token = lifecycle.token = _token(deputy, "/assessments/suggestions/mine")
    r = deputy.post(
        "/assessments/suggestions/mine",
        data={"title": "关于老旧小区加装电梯的建议", "body": "建议简化审批、加大补助。", "csrf_token": token},
    )
    assert r.status_code == 302
    item = db.session.scalar(select(DeputySuggestion))
    assert item.state == "filed" and item.deputy.code == "D001"
    lifecycle.item_id = item.id


@stage
def test_staff_assign_it_with_three_months_to_reply(lifecycle):
    staff_client, item = lifecycle.staff_client, _item(lifecycle)
    staff_token = lifecycle.staff_token = _token(staff_client, f"/assessments/suggestions/{item.id}")
    r = staff_client.post(
        f"/assessments/suggestions/{item.id}/assign",
        data={"lead_unit_id": str(lifecycle.housing_id), "csrf_token": staff_token},
    )
    assert r.status_code == 302
    db.session.refresh(item)
    today = lifecycle.today = local_today()
    assert item.state == "handling" and item.due_on == add_months(today, 3)


@stage
def test_only_that_unit_sees_it_and_another_deputy_does_not(lifecycle):
    app, item_id = lifecycle.app, lifecycle.item_id
    other_unit = _client(app, "jiaoyuju")
    assert other_unit.get(f"/assessments/suggestions/{item_id}").status_code == 404
    assert _client(app, "D002").get(f"/assessments/suggestions/{item_id}").status_code == 404


@stage
def test_a_reply_past_the_deadline_without_an_extension_is_refused_and_stores_nothing(lifecycle):
    item = _item(lifecycle)
    item.due_on = lifecycle.today - timedelta(days=1)
    db.session.commit()
    unit = lifecycle.unit = _client(lifecycle.app, "zhujianju")
    unit_token = lifecycle.unit_token = _token(unit, f"/assessments/suggestions/{item.id}")
    r = unit.post(
        f"/assessments/suggestions/{item.id}/reply", data={"grade": "A", "body": "已完成。", "csrf_token": unit_token}
    )
    assert r.status_code == 409 and "未获延期" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SuggestionReply)) == 0
    db.session.refresh(item)
    assert item.state == "handling"


@stage
def test_the_overdue_item_is_on_the_staff_dashboard(lifecycle):
    html = lifecycle.staff_client.get("/dashboard").get_data(as_text=True)
    assert _item(lifecycle).title in html and "已逾期" in html


@stage
def test_staff_extend_once_and_the_unit_replies(lifecycle):
    staff_client, staff_token, today = lifecycle.staff_client, lifecycle.staff_token, lifecycle.today
    item = _item(lifecycle)
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
    r = lifecycle.unit.post(
        f"/assessments/suggestions/{item.id}/reply",
        data={"grade": "D", "body": "留作参考。", "csrf_token": lifecycle.unit_token},
    )
    assert r.status_code == 302
    db.session.refresh(item)
    assert item.state == "replied" and item.last_reply.grade == "D" and item.last_reply.late is False


@stage
def test_not_satisfied_sends_it_back_for_a_second_round_and_a_reply_is_rated_once(lifecycle):
    deputy, token, item = lifecycle.deputy, lifecycle.token, _item(lifecycle)
    r = deputy.post(f"/assessments/suggestions/{item.id}/rate", data={"rating": "dissatisfied", "csrf_token": token})
    assert r.status_code == 302
    db.session.refresh(item)
    assert item.state == "handling" and item.round == 2 and item.extended is False
    # A second rating of the same reply is refused, and changes nothing.
    r = deputy.post(f"/assessments/suggestions/{item.id}/rate", data={"rating": "satisfied", "csrf_token": token})
    assert r.status_code == 409 and "只能评价一次" in r.get_data(as_text=True)
    first = db.session.scalar(select(SuggestionReply).where(SuggestionReply.round == 1))
    assert first.rating == "dissatisfied"


@stage
def test_the_second_reply_rated_closes_it(lifecycle):
    deputy, token, item = lifecycle.deputy, lifecycle.token, _item(lifecycle)
    r = lifecycle.unit.post(
        f"/assessments/suggestions/{item.id}/reply",
        data={"grade": "B", "body": "已列入明年计划，今年完成两个小区试点。", "csrf_token": lifecycle.unit_token},
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


@stage
def test_every_step_is_in_the_audit_log_and_the_lists_answer(lifecycle):
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
    assert lifecycle.staff_client.get("/assessments/staff/suggestions").status_code == 200
    assert lifecycle.unit.get("/assessments/unit/suggestions").status_code == 200
    assert db.session.get(User, lifecycle.housing_user_id).lead_unit_id == lifecycle.housing_id


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
