"""One-time secrets survive a reload: every POST that makes one (initial passwords, code
slips, a sign-up code, a tracking code) redirects to a page its browser can reload until
"我已记下"; no other browser sees it, and neither the URL, the session cookie nor the
database row holds it in clear."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash

from core import held
from core.models import Congress, Deputy, HeldSecret, Role, User, utcnow
from deliberation import services as meetings
from deliberation.models import Decision, Opinion, Signup
from extensions import db
from tests.deliberation.factories import make_meeting, sign_up
from tests.factories import csrf_from, csrf_token, login, make_congress, make_user
from tests.voting.factories import approval_poll
from voting.models import PollCode
from voting.protocol.encoding import code_hash, normalise_code

GONE = "这一页只在生成它的浏览器中显示"
PASSWORD_CELL = re.compile(r'<td>([A-Z]\d{3})</td><td>[^<]*</td><td>[^<]*</td><td class="mono">([^<]+)</td>')
SLIP_CODE = re.compile(r'class="mono slip-code"[^>]*>([A-Z0-9-]+)<')


def session_of(app, client) -> dict:
    """The client's Flask session, decoded from its (signed, not encrypted) cookie."""
    cookie = client.get_cookie("session", domain="localhost")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def check_held(app, owner, response, others, read):
    """``response`` redirects to a page that shows the secrets (``read(html)``) on every
    reload to ``owner`` only; none of them in the URL, the cookie or the stored row;
    after "noted" they are gone. Returns the secrets."""
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    pages = [owner.get(location) for _ in range(3)]  # the redirect, then two reloads
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert all(p.headers["Cache-Control"] == "no-store" for p in pages)
    found = read(pages[0].get_data(as_text=True))
    assert found and all(read(p.get_data(as_text=True)) == found for p in pages)
    for secret in found:
        assert secret not in location
        assert secret not in json.dumps(session_of(app, owner))
    assert all(secret.encode() not in row for row in db.session.scalars(select(HeldSecret.sealed)) for secret in found)
    for other in others:
        seen = other.get(location)
        assert seen.status_code in (302, 404), seen.status_code
        assert not any(secret in seen.get_data(as_text=True) for secret in found)
    # An id seen in a log does not let anyone else delete the hold.
    held_id = location.rsplit("/", 1)[1]
    for other in others:
        other.post(f"/held/{held_id}/noted", data={"csrf_token": csrf_token(other, "/meetings/track")})
    assert owner.get(location).status_code == 200
    html = pages[-1].get_data(as_text=True)
    next_url = re.search(r'name="next" value="([^"]+)"', html).group(1)
    noted = owner.post(f"/held/{held_id}/noted", data={"csrf_token": csrf_from(html), "next": next_url})
    assert noted.status_code == 303 and noted.headers["Location"].endswith(next_url)
    gone = owner.get(location)
    assert gone.status_code == 404 and GONE in gone.get_data(as_text=True)
    assert not any(secret in gone.get_data(as_text=True) for secret in found)
    assert db.session.get(HeldSecret, held_id) is None
    # Noted twice (a double click, a reload of the POST): no error.
    assert owner.post(f"/held/{held_id}/noted", data={"csrf_token": csrf_from(html)}).status_code == 303
    return found


def second_staff(app):
    make_user("staff2", Role.staff.value)
    client = app.test_client()
    assert login(client, "staff2").status_code == 302
    return client


def passwords(html: str) -> dict[str, str]:
    return dict(PASSWORD_CELL.findall(html))


def test_roster_import_passwords_survive_a_reload(app, staff_client):
    congress = Congress(name="某县第十八届人民代表大会")
    db.session.add(congress)
    db.session.commit()
    roster = "代表证号,姓名,代表团,手机\nA001,王建国,城关镇代表团,13912345678\nA002,李海燕,溪口镇代表团,\n"
    url = f"/congresses/{congress.id}/import"
    response = staff_client.post(
        url,
        data={"file": (io.BytesIO(roster.encode()), "roster.csv"), "csrf_token": csrf_token(staff_client, url)},
        content_type="multipart/form-data",
    )
    shown = check_held(app, staff_client, response, [second_staff(app), app.test_client()], passwords)
    assert set(shown) == {"A001", "A002"}
    for username, password in shown.items():
        user = db.session.scalar(select(User).where(User.username == username))
        assert check_password_hash(user.password_hash, password) and user.must_change_password


def test_password_reset_survives_a_reload(app, staff_client):
    congress, _ = make_congress(2)
    deputy_id = congress.deputies[0].id
    response = staff_client.post(
        f"/deputies/{deputy_id}/password", data={"csrf_token": csrf_token(staff_client, f"/congresses/{congress.id}")}
    )
    shown = check_held(app, staff_client, response, [second_staff(app)], passwords)
    db.session.expire_all()
    user = db.session.get(Deputy, deputy_id).user
    assert check_password_hash(user.password_hash, shown["D001"])


def test_committee_import_passwords_survive_a_reload(app, staff_client):
    from assessments import services as assessments

    committee = assessments.create_committee("测试县人大常委会")
    db.session.commit()
    roster = "代表证号,姓名,代表团,手机\nC001,委员01,常委会,13900000001\n"
    response = staff_client.post(
        f"/assessments/staff/committees/{committee.id}/import",
        data={"file": (io.BytesIO(roster.encode()), "r.csv"), "csrf_token": csrf_token(staff_client, "/congresses")},
        content_type="multipart/form-data",
    )
    shown = check_held(app, staff_client, response, [second_staff(app)], passwords)
    user = db.session.scalar(select(User).where(User.username == "C001"))
    assert check_password_hash(user.password_hash, shown["C001"])


def stored_codes(poll_id: int) -> set[str]:
    return set(db.session.scalars(select(PollCode.code_hash).where(PollCode.poll_id == poll_id)))


def slip_codes(html: str) -> list[str]:
    return SLIP_CODE.findall(html)


def test_poll_code_slips_survive_a_reload(app, staff_client):
    poll = approval_poll(None, public_id="2027-code-slips", options=2, seats=1, secrecy="code", open_=False)
    response = staff_client.post(
        f"/staff/polls/{poll.id}/codes",
        data={"count": "3", "csrf_token": csrf_token(staff_client, f"/staff/polls/{poll.id}")},
    )
    codes = check_held(app, staff_client, response, [second_staff(app), app.test_client()], slip_codes)
    assert len(set(codes)) == 3
    assert stored_codes(poll.id) == {code_hash(normalise_code(c)) for c in codes}


def test_assessment_code_slips_survive_a_reload(app, staff_client):
    from tests.assessments.factories import public_assessment

    assessment, _ = public_assessment(1, ["城区公交线路优化"], open_=False)
    response = staff_client.post(
        f"/assessments/staff/{assessment.id}/codes",
        # A batch exists (the factory's): a new one voids it, so it is confirmed.
        data={
            "count": "4",
            "confirm": "y",
            "csrf_token": csrf_token(staff_client, f"/assessments/staff/{assessment.id}"),
        },
    )
    codes = check_held(app, staff_client, response, [second_staff(app)], slip_codes)
    assert len(set(codes)) == 4
    assert stored_codes(assessment.poll_id) == {code_hash(normalise_code(c)) for c in codes}


def test_meeting_vote_codes_survive_a_reload(app, staff_client):
    meeting = make_meeting(capacity=5)
    for _entry, code in sign_up(meeting, 2):
        meetings.check_in(meeting, code, by=None)
    decision = meetings.add_decision(meeting, title="费用按楼层递增分摊", method="vote", agenda_item_id=None)
    db.session.commit()
    response = staff_client.post(
        f"/staff/meetings/decisions/{decision.id}/codes",
        data={"csrf_token": csrf_token(staff_client, f"/staff/meetings/{meeting.id}/decisions")},
    )
    codes = check_held(app, staff_client, response, [second_staff(app)], slip_codes)
    assert len(codes) == 2
    poll_id = db.session.get(Decision, decision.id).poll_id
    assert stored_codes(poll_id) == {code_hash(normalise_code(c)) for c in codes}


def test_sign_up_code_survives_a_reload(app, client):
    meeting = make_meeting(capacity=3)
    url = f"/meetings/{meeting.id}/signup"
    response = client.post(
        url,
        data={"name": "钱伟民", "phone": "13911112222", "area": "桂花苑", "csrf_token": csrf_token(client, url)},
    )

    def read(html):
        return re.findall(r'id="signup-code">([A-Z0-9-]+)<', html)

    (code,) = check_held(app, client, response, [app.test_client()], read)
    signup = db.session.scalar(select(Signup).where(Signup.meeting_id == meeting.id))
    assert signup.code_hash == meetings.signup_digest(code)


def test_a_sign_up_code_made_before_logging_in_is_kept(app, client):
    """A deputy who signs up for a meeting and then logs in keeps the code on screen;
    a logout (the browser may be shared) drops it."""
    make_congress(1)
    meeting = make_meeting(capacity=3)
    url = f"/meetings/{meeting.id}/signup"
    data = {"name": "钱伟民", "phone": "13911112222", "area": "桂花苑", "csrf_token": csrf_token(client, url)}
    location = client.post(url, data=data).headers["Location"]
    code = re.search(r'id="signup-code">([A-Z0-9-]+)<', client.get(location).get_data(as_text=True)).group(1)
    assert login(client, "D001").status_code == 302
    assert code in client.get(location).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/me")})
    assert client.get(location).status_code == 404


def test_opinion_tracking_code_survives_a_reload(app, client):
    meeting = make_meeting()
    url = f"/meetings/{meeting.id}/opinions/new"
    response = client.post(
        url,
        data={
            "agenda_item": "0",
            "category": "suggestion",
            "author_name": "",
            "anonymous": "y",
            "body": "建议电梯费用按楼层分摊。",
            "csrf_token": csrf_token(client, url),
        },
    )

    def read(html):
        return re.findall(r'id="tracking-code">([A-Z0-9-]+)<', html)

    (code,) = check_held(app, client, response, [app.test_client()], read)
    assert db.session.scalar(select(Opinion.tracking_hash)) == meetings.tracking_digest(code)


def test_tracking_keeps_the_code_out_of_the_url_and_rating_redirects(app, client):
    meeting = make_meeting()
    opinion, code = meetings.submit_opinion(
        meeting, agenda_item_id=None, category="suggestion", author_name=None, body="建议增加休息座椅。"
    )
    db.session.commit()
    token = csrf_token(client, "/meetings/track")
    response = client.post("/meetings/track", data={"code": code.lower(), "csrf_token": token})

    def read(html):
        return ["建议增加休息座椅。"] if "建议增加休息座椅。" in html else []

    check_held(app, client, response, [app.test_client()], read)
    # A rating answers with a redirect to the opinion, the code still out of the URL.
    from core.models import LeadUnit

    unit = LeadUnit(name="县住房和城乡建设局")
    db.session.add(unit)
    meetings.assign(db.session.get(Opinion, opinion.id), unit, None)
    reply = db.session.get(Opinion, opinion.id).reply
    meetings.update_reply(reply, status="done", body="已增设座椅。", outcome="adopted")
    db.session.commit()
    rated = client.post("/meetings/track/rate", data={"code": code, "rating": "satisfied", "csrf_token": token})
    assert rated.status_code == 303 and code not in rated.headers["Location"]
    for _ in range(2):
        page = client.get(rated.headers["Location"]).get_data(as_text=True)
        assert "已增设座椅。" in page and "您的评价：<strong>满意</strong>" in page


def test_qr_check_in_redirects_after_the_post(app, client):
    congress, session = make_congress(1)
    assert login(client, "D001").status_code == 302
    url = f"/checkin/{session.checkin_secret}"
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    for _ in range(2):
        assert 'id="checkin-done"' in client.get(url).get_data(as_text=True)


def test_unnoted_holds_expire_and_a_browser_keeps_a_bounded_number(app, staff_client):
    poll = approval_poll(None, public_id="2027-code-expiry", options=2, seats=1, secrecy="code", open_=False)
    token = csrf_token(staff_client, f"/staff/polls/{poll.id}")
    first = staff_client.post(f"/staff/polls/{poll.id}/codes", data={"count": "1", "csrf_token": token})
    row = db.session.get(HeldSecret, first.headers["Location"].rsplit("/", 1)[1])
    row.created_at = utcnow() - timedelta(days=app.config["YISHI_HELD_DAYS"], minutes=1)
    db.session.commit()
    staff_client.post(f"/staff/polls/{poll.id}/codes", data={"count": "1", "csrf_token": token})
    assert staff_client.get(first.headers["Location"]).status_code == 404
    for _ in range(held.MAX_HELD + 3):
        staff_client.post(f"/staff/polls/{poll.id}/codes", data={"count": "1", "csrf_token": token})
    assert len(session_of(app, staff_client)[held.SESSION_KEY]) == held.MAX_HELD
    assert db.session.scalar(select(db.func.count()).select_from(HeldSecret)) == held.MAX_HELD


def test_a_hold_of_another_kind_or_a_tampered_row_is_not_shown(app, staff_client):
    poll = approval_poll(None, public_id="2027-code-kinds", options=2, seats=1, secrecy="code", open_=False)
    token = csrf_token(staff_client, f"/staff/polls/{poll.id}")
    location = staff_client.post(f"/staff/polls/{poll.id}/codes", data={"count": "1", "csrf_token": token}).headers[
        "Location"
    ]
    held_id = location.rsplit("/", 1)[1]
    # The codes page of a held id made for codes, asked as the passwords page: 404.
    assert staff_client.get(f"/congresses/1/passwords/{held_id}").status_code == 404
    row = db.session.get(HeldSecret, held_id)
    row.sealed = row.sealed[:-1] + bytes([row.sealed[-1] ^ 1])
    db.session.commit()
    assert staff_client.get(location).status_code == 404


def test_a_hold_stays_with_the_account_that_made_it(app, staff_client):
    """Even if the login is dropped without a logout (Flask-Login's session protection
    does that) and someone else logs in on the same browser, they cannot see it."""
    poll = approval_poll(None, public_id="2027-code-owner", options=2, seats=1, secrecy="code", open_=False)
    token = csrf_token(staff_client, f"/staff/polls/{poll.id}")
    location = staff_client.post(f"/staff/polls/{poll.id}/codes", data={"count": "1", "csrf_token": token}).headers[
        "Location"
    ]
    with staff_client.session_transaction() as sess:
        for key in ("_user_id", "_fresh", "_id"):
            sess.pop(key, None)
    make_user("staff2", Role.staff.value)
    assert login(staff_client, "staff2").status_code == 302
    assert staff_client.get(location).status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(HeldSecret)) == 1  # not lost, only not shown


def test_an_id_of_any_text_is_404_and_logout_deletes_the_holds(app, staff_client):
    """Review finds: a non-ASCII id in the URL was a 500 (``compare_digest`` refuses
    non-ASCII text); a copy of the cookie kept from before a logout still opened the
    holds, since logout only cleared this browser's cookie."""
    congress, _ = make_congress(2)
    deputy_id = congress.deputies[0].id
    response = staff_client.post(
        f"/deputies/{deputy_id}/password", data={"csrf_token": csrf_token(staff_client, f"/congresses/{congress.id}")}
    )
    location = response.headers["Location"]
    assert staff_client.get(location).status_code == 200
    for odd in ("%C3%A9", "%E4%BB%A3%E8%A1%A8", "x" * 40):
        page = staff_client.get(location.rsplit("/", 1)[0] + "/" + odd)
        assert page.status_code == 404, odd
    token = csrf_token(staff_client, f"/congresses/{congress.id}")
    assert staff_client.post("/held/%C3%A9/noted", data={"csrf_token": token}).status_code in (303, 404)
    copied = staff_client.get_cookie("session", domain="localhost").value
    assert db.session.query(HeldSecret).count() == 1
    assert staff_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert db.session.query(HeldSecret).count() == 0
    thief = app.test_client()
    thief.set_cookie("session", copied, domain="localhost")
    assert thief.get(location).status_code in (302, 404)
