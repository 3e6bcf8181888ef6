"""Login, logout, CSRF, the safe next redirect, first-login password change."""

from sqlalchemy import select

from core.models import AuditEntry, User
from extensions import db
from tests.factories import PASSWORD, csrf_token, login, make_user


def test_login_success_redirects_staff_to_dashboard(client, staff):
    response = login(client, "staff1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "工作台" in page
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.login")) is not None


def test_wrong_password_is_refused_in_chinese(client, staff):
    response = login(client, "staff1", "wrong-password")
    assert response.status_code == 401
    assert "账号或密码错误" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # still anonymous: sent to login


def test_unknown_account_gets_the_same_message(client):
    response = login(client, "nobody")
    assert response.status_code == 401
    assert "账号或密码错误" in response.get_data(as_text=True)


def test_missing_csrf_token_is_refused_with_a_message(client, staff):
    response = client.post("/login", data={"username": "staff1", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_stale_csrf_token_is_refused(client, staff, app):
    token = csrf_token(client)
    other = app.test_client()
    response = other.post("/login", data={"username": "staff1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 400


def test_logout_needs_post(staff_client):
    assert staff_client.get("/logout").status_code == 405
    token = csrf_token(staff_client, "/dashboard")
    response = staff_client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert staff_client.get("/dashboard").status_code == 302


def test_safe_next_redirect(client, staff):
    token = csrf_token(client)
    response = client.post("/login?next=/audit", data={"username": "staff1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/audit")


def test_offsite_next_is_ignored(client, staff):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.get("/")  # fresh page per try
        token = csrf_token(client)
        response = client.post(
            f"/login?next={target}", data={"username": "staff1", "password": PASSWORD, "csrf_token": token}
        )
        assert "evil" not in response.headers["Location"]
        client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})


def test_session_is_renewed_at_login(client, staff):
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    login(client, "staff1")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(staff.id)


def test_session_cookie_flags(client, staff):
    response = login(client, "staff1")
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_first_login_forces_password_change(client, app):
    make_user("newbie", "deputy", must_change=True)
    response = login(client, "newbie")
    assert response.headers["Location"].endswith("/password")
    assert client.get("/").headers["Location"].endswith("/password")
    token = csrf_token(client, "/password")
    response = client.post(
        "/password", data={"current": PASSWORD, "new": "short", "confirm": "short", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "10–128" in response.get_data(as_text=True)
    response = client.post(
        "/password",
        data={
            "current": PASSWORD,
            "new": "a-much-better-secret",
            "confirm": "a-much-better-secret",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    db.session.refresh(user)
    assert user.must_change_password is False
    assert client.get("/").status_code == 200


def test_login_is_rate_limited(app, client, staff):
    app.config["YISHI_LOGIN_LIMIT"] = "5 per minute"
    statuses = [login(client, "staff1", "wrong").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    response = login(client, "staff1")
    assert response.status_code == 429
    assert "请求过于频繁" in response.get_data(as_text=True)


def test_overlong_username_is_422_not_500(client):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "x" * 5000, "password": "p", "csrf_token": token})
    assert response.status_code == 422


def test_deactivated_deputy_cannot_log_in(client, app):
    from tests.factories import make_congress

    congress, _ = make_congress(2)
    congress.deputies[0].active = False
    db.session.commit()
    assert login(client, "D001").status_code == 401
    assert login(client, "D002").status_code == 302
