"""Staff and lead-unit accounts on the web (issue 14): create, reset, deactivate and
reactivate, who may, and what the audit log keeps."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import AuditEntry, LeadUnit, User
from extensions import db
from tests.factories import PASSWORD, csrf_token, login, make_congress, make_user

PASSWORD_RE = re.compile(r'<td class="mono">([a-z2-9]{10})</td>')


def _create(client, **data):
    token = csrf_token(client, "/staff/accounts")
    return client.post("/staff/accounts", data={"csrf_token": token, **data})


def _shown_password(client, response) -> str:
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    match = PASSWORD_RE.search(page.get_data(as_text=True))
    assert match, "the new one-time password is on the page"
    return match.group(1)


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_staff_creates_a_staff_account_that_logs_in_and_must_change_its_password(staff_client, app):
    response = _create(staff_client, role="staff", username="lisi", display_name="李四")
    password = _shown_password(staff_client, response)
    user = db.session.scalar(select(User).where(User.username == "lisi"))
    assert user.role == "staff" and user.must_change_password
    assert password not in user.password_hash
    [entry] = _audit("user.create")
    assert entry.target_id == str(user.id) and entry.actor_label == "staff:staff1"

    other = app.test_client()
    assert login(other, "lisi", password).headers["Location"].endswith("/password")


def test_staff_creates_a_lead_unit_account_with_its_unit(staff_client, app):
    response = _create(
        staff_client, role="lead_unit", username="zjj", display_name="住建局", lead_unit="县住房和城乡建设局"
    )
    password = _shown_password(staff_client, response)
    user = db.session.scalar(select(User).where(User.username == "zjj"))
    assert user.role == "lead_unit" and user.lead_unit.name == "县住房和城乡建设局"
    assert db.session.scalar(select(LeadUnit.id).where(LeadUnit.name == "县住房和城乡建设局")) is not None
    assert login(app.test_client(), "zjj", password).status_code == 302


def test_bad_account_forms_name_the_field_and_keep_nothing(staff_client):
    make_user("taken")
    response = _create(staff_client, role="lead_unit", username="x y", display_name="", lead_unit="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "只能用字母、数字" in html and "请填写姓名或名称" in html and "承办单位账号须填写承办单位名称" in html
    taken = _create(staff_client, role="staff", username="taken", display_name="重复")
    assert taken.status_code == 409 and "已被占用" in taken.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "x y")) is None
    assert _audit("user.create") == []


def test_staff_resets_a_password_through_a_held_page(staff_client, app):
    user = make_user("wangwu")
    token = csrf_token(staff_client, "/staff/accounts")
    response = staff_client.post(f"/staff/accounts/{user.id}/password", data={"csrf_token": token})
    password = _shown_password(staff_client, response)
    db.session.refresh(user)
    assert user.must_change_password
    assert login(app.test_client(), "wangwu", PASSWORD).status_code == 401
    assert login(app.test_client(), "wangwu", password).status_code == 302
    [entry] = _audit("user.password_reset")
    assert entry.target_id == str(user.id)
    # Another browser, even the same staff's account elsewhere, does not see it.
    other = app.test_client()
    login(other, "staff1")
    assert other.get(response.headers["Location"]).status_code == 404


def test_deactivated_account_cannot_log_in_until_reactivated(staff_client, app):
    user = make_user("zhaoliu")
    url = f"/staff/accounts/{user.id}/active"
    token = csrf_token(staff_client, "/staff/accounts")
    refused = staff_client.post(url, data={"csrf_token": token, f"a{user.id}-confirm": ""})
    assert refused.status_code == 422 and "我已核对，确认执行" in refused.get_data(as_text=True)
    db.session.refresh(user)
    assert user.is_enabled

    assert staff_client.post(url, data={"csrf_token": token, f"a{user.id}-confirm": "y"}).status_code == 303
    db.session.refresh(user)
    assert not user.is_enabled
    assert login(app.test_client(), "zhaoliu").status_code == 401
    assert "已停用" in staff_client.get("/staff/accounts?q=zhaoliu").get_data(as_text=True)
    assert len(_audit("user.deactivate")) == 1

    assert staff_client.post(url, data={"csrf_token": token}).status_code == 303
    db.session.refresh(user)
    assert user.is_enabled
    assert login(app.test_client(), "zhaoliu").status_code == 302
    assert len(_audit("user.activate")) == 1


def test_staff_cannot_deactivate_themselves(staff_client, staff):
    token = csrf_token(staff_client, "/staff/accounts")
    response = staff_client.post(
        f"/staff/accounts/{staff.id}/active", data={"csrf_token": token, f"a{staff.id}-confirm": "y"}
    )
    assert response.status_code == 409 and "不能停用自己的账号" in response.get_data(as_text=True)
    db.session.refresh(staff)
    assert staff.is_enabled


def test_only_staff_manage_accounts_and_deputy_accounts_are_not_theirs(app, client):
    staff = make_user("staff1")
    make_user("unit1", "lead_unit")
    congress, _session = make_congress(2)
    deputy_user = congress.deputies[0].user
    for username in ("unit1", deputy_user.username):
        c = app.test_client()
        login(c, username)
        assert c.get("/staff/accounts").status_code == 403
        token = csrf_token(c, "/password")
        assert c.post(f"/staff/accounts/{staff.id}/password", data={"csrf_token": token}).status_code == 403
        assert (
            c.post(
                "/staff/accounts", data={"csrf_token": token, "role": "staff", "username": "evil", "display_name": "x"}
            ).status_code
            == 403
        )
    assert client.get("/staff/accounts").status_code == 302  # to the login page
    s = app.test_client()
    login(s, "staff1")
    token = csrf_token(s, "/staff/accounts")
    assert s.post(f"/staff/accounts/{deputy_user.id}/password", data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(User.id).where(User.username == "evil")) is None


def test_account_list_searches_and_pages(staff_client):
    for i in range(35):
        make_user(f"clerk{i:02d}")
    first = staff_client.get("/staff/accounts").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "page=2" in first
    second = staff_client.get("/staff/accounts?page=2").get_data(as_text=True)
    assert "clerk34" in second or "staff1" in second
    found = staff_client.get("/staff/accounts?q=clerk07").get_data(as_text=True)
    assert "clerk07" in found and "clerk08" not in found
    assert "没有找到" in staff_client.get("/staff/accounts?q=nobody").get_data(as_text=True)
    assert staff_client.get("/staff/accounts?page=abc").status_code == 200
    assert staff_client.get("/staff/accounts?page=99").status_code == 404
    assert staff_client.get("/staff/accounts?q=%25_").status_code == 200


def test_account_pages_read_in_english(staff_client):
    staff_client.get("/lang/en")
    html = staff_client.get("/staff/accounts").get_data(as_text=True)
    assert "Staff and lead-unit accounts" in html and "Search by login name or name" in html
    bad = _create(staff_client, role="lead_unit", username="ok1", display_name="x", lead_unit="")
    assert bad.status_code == 422 and "A lead-unit account needs the lead unit" in bad.get_data(as_text=True)
    assert "Nothing matches" in staff_client.get("/staff/accounts?q=nobody").get_data(as_text=True)
