"""Follow-up, dashboard, quorum, notice period and opinion input rules."""

from datetime import timedelta

from sqlalchemy import func, select

from core.times import local_today
from deliberation import services
from deliberation.models import Decision, Meeting, Opinion
from extensions import db
from tests.deliberation.factories import lead_unit, make_meeting, sign_up
from tests.factories import csrf_token, login, make_user


def test_overdue_follow_ups_reach_the_dashboard_and_units_see_only_their_own(app, staff_client):
    meeting = make_meeting()
    ours, theirs = lead_unit("县住房和城乡建设局"), lead_unit("县民政局")
    opinions = [
        services.submit_opinion(meeting, agenda_item_id=None, category="suggestion", author_name=None, body=f"意见{i}")[
            0
        ]
        for i in range(3)
    ]
    today = local_today()
    late = services.assign(opinions[0], ours, today - timedelta(days=3))
    services.assign(opinions[1], theirs, today + timedelta(days=10))
    done = services.assign(opinions[2], ours, today - timedelta(days=5))
    services.update_reply(done, status="done", body="已办结", outcome="explained")
    db.session.commit()

    assert [r.id for r in services.overdue_replies()] == [late.id]
    html = staff_client.get("/dashboard").get_data(as_text=True)
    assert "逾期 1 件" in html and f"/staff/meetings/replies/{late.id}" in html
    assert "逾期" in staff_client.get("/staff/meetings/followup").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["meeting", "overdue"])
    assert "县住房和城乡建设局" in result.output and "县民政局" not in result.output

    user = make_user("minzheng", "lead_unit")
    user.lead_unit_id = theirs.id
    db.session.commit()
    unit_client = app.test_client()
    login(unit_client, "minzheng")
    assert unit_client.get(f"/staff/meetings/replies/{late.id}").status_code == 403
    assert "意见0" not in unit_client.get("/staff/meetings/unit").get_data(as_text=True)
    assert "意见1" in unit_client.get("/staff/meetings/unit").get_data(as_text=True)


def test_council_quorum_is_two_thirds_of_members(staff_client):
    meeting = make_meeting(kind="council", members=9, capacity=20)
    codes = [code for _, code in sign_up(meeting, 6)]
    for code in codes[:5]:
        services.check_in(meeting, code, None)
    db.session.commit()
    url = f"/staff/meetings/{meeting.id}/decisions"
    token = csrf_token(staff_client, url)
    assert "未达三分之二法定人数" in staff_client.get(url).get_data(as_text=True)
    staff_client.post(
        url, data={"title": "设立加装电梯协调小组", "agenda_item": "0", "method": "hands", "csrf_token": token}
    )
    first = db.session.scalar(select(Decision))
    staff_client.post(
        f"/staff/meetings/decisions/{first.id}/hands",
        data={f"d{first.id}-yes": "5", f"d{first.id}-no": "0", f"d{first.id}-abstain": "0", "csrf_token": token},
    )
    db.session.expire_all()
    first = db.session.get(Decision, first.id)
    assert (first.present, first.members, first.quorum_met, first.passed) == (5, 9, False, False)
    again = staff_client.post(
        f"/staff/meetings/decisions/{first.id}/hands",
        data={f"d{first.id}-yes": "1", f"d{first.id}-no": "0", f"d{first.id}-abstain": "0", "csrf_token": token},
    )
    assert again.status_code == 409 and db.session.get(Decision, first.id).yes == 5

    services.check_in(meeting, codes[5], None)  # 6 of 9 is two thirds
    db.session.commit()
    staff_client.post(url, data={"title": "费用分摊办法", "agenda_item": "0", "method": "hands", "csrf_token": token})
    second = db.session.scalars(select(Decision).order_by(Decision.id.desc())).first()
    staff_client.post(
        f"/staff/meetings/decisions/{second.id}/hands",
        data={f"d{second.id}-yes": "4", f"d{second.id}-no": "2", f"d{second.id}-abstain": "0", "csrf_token": token},
    )
    db.session.expire_all()
    second = db.session.get(Decision, second.id)
    assert (second.quorum_met, second.passed) == (True, True)


def test_notice_period_is_configurable_and_opinion_input_is_checked(app, staff_client):
    app.config["YISHI_NOTICE_DAYS"] = 7
    meeting = make_meeting(days=5, announce=False)
    page = staff_client.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)
    assert "少于规定的 7 天公告期" in page
    app.config["YISHI_NOTICE_DAYS"] = 3
    assert "公告期" not in staff_client.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)
    token = csrf_token(staff_client, f"/staff/meetings/{meeting.id}")
    assert (
        staff_client.post(
            f"/staff/meetings/{meeting.id}/announce", data={"csrf_token": token, "confirm": "y"}
        ).status_code
        == 302
    )

    client = app.test_client()
    url = f"/meetings/{meeting.id}/opinions/new"
    token = csrf_token(client, url)
    nameless = client.post(
        url, data={"agenda_item": "0", "category": "suggestion", "body": "建议", "csrf_token": token}
    )
    assert nameless.status_code == 422 and "请填写姓名，或勾选" in nameless.get_data(as_text=True)
    other = make_meeting()
    foreign = client.post(
        url,
        data={
            "agenda_item": str(other.agenda[0].id),
            "category": "suggestion",
            "anonymous": "y",
            "body": "建议",
            "csrf_token": token,
        },
    )
    assert foreign.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == 0
    # Unhiding and hiding without a reason.
    opinion, _ = services.submit_opinion(meeting, agenda_item_id=None, category="other", author_name="甲", body="x")
    db.session.commit()
    staff_token = csrf_token(staff_client, f"/staff/meetings/{meeting.id}/opinions")
    refused = staff_client.post(
        f"/staff/meetings/opinions/{opinion.id}/hide", data={f"h{opinion.id}-reason": "", "csrf_token": staff_token}
    )
    assert refused.status_code == 422 and not db.session.get(Opinion, opinion.id).hidden


def test_meeting_form_refuses_bad_input_and_stores_nothing(staff_client):
    token = csrf_token(staff_client, "/staff/meetings/new")
    response = staff_client.post(
        "/staff/meetings/new",
        data={
            "kind": "council",
            "topic": "停车位",
            "organiser": "居民议事会",
            "starts_at": "2030-05-01T19:00",
            "ends_at": "2030-05-01T18:00",
            "place": "",
            "online_url": "javascript://x",
            "capacity": "0",
            "waitlist": "0",
            "signup_mode": "open",
            "signup_deadline": "2030-05-02T19:00",
            "members": "",
            "csrf_token": token,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "结束时间必须晚于开始时间",
        "报名截止时间不能晚于会议开始时间",
        "须以 https:// 或 http:// 开头",
        "议事会成员人数",
    ):
        assert message in page
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0
