"""The demo meeting, and every page of the package rendering from it (staff, lead unit, public)."""

import re

from sqlalchemy import select

from core.times import local_today
from deliberation import services
from deliberation.demo import seed_demo
from deliberation.models import Decision, Meeting, Opinion, Reply
from extensions import db
from tests.factories import login, make_user


def test_demo_meeting_renders_on_every_page_and_keeps_phones_private(app, staff_client):
    lines = seed_demo(local_today())
    db.session.commit()
    assert len(lines) == 3 and "回音" in lines[0]
    held, council = db.session.scalars(select(Meeting).order_by(Meeting.id)).all()
    assert held.state == "closed" and council.state == "announced" and council.is_lot
    report = services.closing_report(held)
    assert report["attendance"]["present"] == 11 and report["opinions"] == 6 and report["adopted"] == 3
    assert report["satisfaction"] == "100.0%" and len(services.overdue_replies()) == 1

    public = app.test_client()
    public_pages = [
        "/meetings/",
        f"/meetings/{held.id}",
        f"/meetings/{held.id}/reply",
        f"/meetings/{held.id}/report",
        f"/meetings/{held.id}/meeting.ics",
        f"/meetings/{council.id}",
        f"/meetings/{council.id}/signup",
        f"/meetings/{council.id}/draw",
        f"/meetings/{council.id}/draw.json",
        f"/meetings/{council.id}/opinions/new",
        f"/meetings/{council.id}/cancel",
        "/meetings/track",
    ]
    for url in public_pages:
        response = public.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert not re.search(r"1390576\d{5}", body), url
        assert "周建国" not in body or url.endswith("/reply"), url  # only as a named author and speaker
    reply = public.get(f"/meetings/{held.id}/reply").get_data(as_text=True)
    assert "（含人身攻击的内容）" not in reply and "依据平台规则隐藏" in reply
    assert public.get(f"/meetings/{council.id}/report").status_code == 404  # not closed yet

    decision = db.session.scalar(select(Decision))
    opinion = db.session.scalar(select(Opinion).where(Opinion.number == 1))
    reply_row = db.session.scalar(select(Reply))
    staff_pages = [
        "/staff/meetings/",
        "/staff/meetings/new",
        "/staff/meetings/followup",
        f"/staff/meetings/replies/{reply_row.id}",
    ]
    for meeting in (held, council):
        staff_pages += [
            f"/staff/meetings/{meeting.id}{suffix}"
            for suffix in ("", "/edit", "/signups", "/checkin", "/opinions", "/minutes", "/decisions")
            if not (suffix == "/edit" and meeting.is_closed)  # a closed meeting is not edited (409)
        ]
    assert staff_client.get(f"/staff/meetings/{held.id}/edit").status_code == 409
    for url in staff_pages:
        assert staff_client.get(url).status_code == 200, url
    assert "1390576" in staff_client.get(f"/staff/meetings/{held.id}/signups").get_data(as_text=True)
    assert decision.passed and opinion.reply.rating == "satisfied"

    unit = make_user("zhujianju", "lead_unit")
    unit.lead_unit_id = reply_row.lead_unit_id
    db.session.commit()
    unit_client = app.test_client()
    login(unit_client, "zhujianju")
    assert unit_client.get("/staff/meetings/unit").status_code == 200
    assert unit_client.get(f"/staff/meetings/{held.id}/signups").status_code == 403
