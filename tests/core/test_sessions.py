"""Sessions and check-in: by staff and by the deputy's QR scan; live counts."""

from sqlalchemy import func, select

from core.models import AuditEntry, CheckIn, Session
from extensions import db
from tests.factories import csrf_token, login, make_congress


def test_staff_creates_a_session_and_bad_dates_are_refused(staff_client):
    congress, _ = make_congress(3)
    token = csrf_token(staff_client, f"/congresses/{congress.id}")
    response = staff_client.post(
        f"/congresses/{congress.id}/sessions",
        data={
            "name": "第十八届人大第五次会议",
            "starts_on": "2027-01-15",
            "ends_on": "2027-01-12",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "结束日期不能早于开始日期" in response.get_data(as_text=True)
    response = staff_client.post(
        f"/congresses/{congress.id}/sessions",
        data={
            "name": "第十八届人大第五次会议",
            "starts_on": "2027-01-12",
            "ends_on": "2027-01-15",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Session)) == 2


def test_staff_check_in_by_code_and_counts(staff_client):
    congress, session = make_congress(5)
    url = f"/sessions/{session.id}"
    token = csrf_token(staff_client, url)
    assert staff_client.get(f"{url}/counts.json").get_json() == {
        "session": session.id,
        "expected": 5,
        "present": 0,
        "absent": 5,
    }
    response = staff_client.post(f"{url}/checkin", data={"code": "D002", "csrf_token": token}, follow_redirects=True)
    assert "签到成功" in response.get_data(as_text=True)
    again = staff_client.post(f"{url}/checkin", data={"code": "D002", "csrf_token": token}, follow_redirects=True)
    assert "已签到过" in again.get_data(as_text=True)
    assert staff_client.get(f"{url}/counts.json").get_json()["present"] == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "session.checkin"))
    assert entry.on_behalf_of == "D002" and entry.actor_label == "staff:staff1"


def test_unknown_deputy_code_at_check_in(staff_client):
    _, session = make_congress(2)
    token = csrf_token(staff_client, f"/sessions/{session.id}")
    response = staff_client.post(f"/sessions/{session.id}/checkin", data={"code": "X999", "csrf_token": token})
    assert response.status_code == 404
    assert "名册中没有代表证号 X999" in response.get_data(as_text=True)


def test_unknown_session_is_404(staff_client):
    assert staff_client.get("/sessions/4242").status_code == 404


def test_deputy_checks_in_by_qr(client, app):
    _, session = make_congress(3)
    qr_url = f"/checkin/{session.checkin_secret}"
    login(client, "D001")
    page = client.get(qr_url)
    assert "确认签到" in page.get_data(as_text=True)
    response = client.post(qr_url, data={"csrf_token": csrf_token(client, qr_url)}, follow_redirects=True)
    assert response.status_code == 200
    assert "您已签到" in response.get_data(as_text=True)
    checkin = db.session.scalar(select(CheckIn))
    assert checkin.method == "qr" and checkin.deputy.code == "D001"
    # The deputy's own page says so.
    assert "已签到" in client.get("/me").get_data(as_text=True)


def test_wrong_or_renewed_qr_secret_is_404(client, staff, app):
    _, session = make_congress(2)
    old = session.checkin_secret
    login(client, "D001")
    assert client.get("/checkin/not-the-secret").status_code == 404
    staff_client = app.test_client()
    login(staff_client, "staff1")
    token = csrf_token(staff_client, f"/sessions/{session.id}")
    staff_client.post(f"/sessions/{session.id}/qr/renew", data={"csrf_token": token})
    assert client.get(f"/checkin/{old}").status_code == 404


def test_qr_code_is_an_svg_for_staff_only(staff_client, app):
    _, session = make_congress(1)
    response = staff_client.get(f"/sessions/{session.id}/qr.svg")
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")
    anonymous = app.test_client().get(f"/sessions/{session.id}/qr.svg")
    assert anonymous.status_code == 302
