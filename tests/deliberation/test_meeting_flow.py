"""A whole meeting over HTTP: notice → sign-up → check-in → opinions → minutes →
decisions (show of hands and an on-the-spot code vote) → follow-up → reply page →
closing report; and nothing private on the public pages. One story, a test per stage
(tests/stages.py)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.models import AuditEntry, utcnow
from core.times import to_local
from deliberation import services
from deliberation.models import Decision, Meeting, Opinion, Signup
from extensions import db
from tests.deliberation.factories import lead_unit, move
from tests.factories import csrf_from, csrf_token, login, make_user
from tests.stages import Scenario, Stages
from voting.protocol.client import code_ballot

CODE_RE = re.compile(r'id="signup-code">([A-Z0-9-]+)<')
TRACK_RE = re.compile(r'id="tracking-code">([A-Z0-9-]+)<')


def local(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def text(response) -> str:
    return response.get_data(as_text=True)


def public_sign_up(client, meeting_id, name, phone, area="桂花苑"):
    url = f"/meetings/{meeting_id}/signup"
    # A sign-up redirects (303) to the page of its code; follow it.
    response = client.post(
        url,
        data={"name": name, "phone": phone, "area": area, "csrf_token": csrf_token(client, url)},
        follow_redirects=True,
    )
    return response


stage = Stages()


@pytest.fixture(scope="module")
def meeting(module_app):
    """Staff logged in, a lead unit with its account; the meeting starts in two days."""
    app = module_app
    unit = lead_unit()
    unit_user = make_user("zhujianju", "lead_unit")
    unit_user.lead_unit_id = unit.id
    make_user("staff1")
    db.session.commit()
    staff_client = app.test_client()
    assert login(staff_client, "staff1").status_code == 302
    return Scenario(app=app, staff_client=staff_client, unit_id=unit.id, start=utcnow() + timedelta(days=2))


@stage
def test_staff_draft_the_meeting_and_its_agenda(meeting):
    staff_client, start = meeting.staff_client, meeting.start
    token = csrf_token(staff_client, "/staff/meetings/new")
    response = staff_client.post(
        "/staff/meetings/new",
        data={
            "kind": "consultation",
            "topic": "桂花苑老旧小区加装电梯",
            "description": "6 幢住宅拟加装电梯，征求居民意见。",
            "proposed_by": "桂花苑业主委员会",
            "organiser": "清溪街道人大工委",
            "starts_at": local(start),
            "ends_at": local(start + timedelta(hours=2)),
            "place": "清溪街道社区服务中心",
            "online_url": "",
            "capacity": "2",
            "waitlist": "1",
            "signup_mode": "open",
            "signup_deadline": local(start - timedelta(hours=12)),
            "members": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302, text(response)
    meeting.id = db.session.scalar(select(Meeting.id))
    meeting.token = token
    meeting.url = url = f"/staff/meetings/{meeting.id}"
    for title in ("加装电梯方案介绍", "费用分摊办法"):
        assert staff_client.post(f"{url}/agenda", data={"title": title, "csrf_token": token}).status_code == 302
    assert staff_client.get(f"/meetings/{meeting.id}").status_code == 404  # a draft is not public


@stage
def test_a_short_notice_is_published_only_once_confirmed(meeting):
    # Two days is shorter than the configured three, so staff must confirm.
    app, staff_client, url, token = meeting.app, meeting.staff_client, meeting.url, meeting.token
    page = text(staff_client.get(url))
    assert "少于规定的 3 天公告期" in page
    refused = staff_client.post(f"{url}/announce", data={"csrf_token": token, "confirm": "y"})
    assert refused.status_code == 422 and "公告期" in text(refused)
    assert db.session.get(Meeting, meeting.id).state == "draft"
    assert (
        staff_client.post(
            f"{url}/announce", data={"csrf_token": token, "confirm": "y", "confirm_short_notice": "y"}
        ).status_code
        == 302
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "meeting.announce"))
    assert entry.detail["short_notice"] is True

    meeting.public = public = app.test_client()
    assert "桂花苑老旧小区加装电梯" in text(public.get("/meetings/"))
    meeting.notice = notice = text(public.get(f"/meetings/{meeting.id}"))
    assert "费用分摊办法" in notice and "清溪街道社区服务中心" in notice
    meeting.ics = ics = public.get(f"/meetings/{meeting.id}/meeting.ics")
    assert ics.mimetype == "text/calendar" and b"\r\nDTSTART:" in ics.data
    assert f"UID:meeting-{meeting.id}@".encode() in ics.data


@stage
def test_sign_up_without_an_account_with_a_waiting_list_and_cancel_by_code(meeting):
    # Two places, one on the waiting list.
    app, public = meeting.app, meeting.public
    meeting.codes = codes = {}
    for name, phone in (("王建国", "13900000001"), ("李海燕", "13900000002"), ("张志强", "13900000003")):
        response = public_sign_up(app.test_client(), meeting.id, name, phone)
        assert response.status_code == 200, text(response)
        assert response.headers["Cache-Control"] == "no-store"
        assert "<svg" in text(response)
        codes[name] = CODE_RE.search(text(response)).group(1)
    assert "候补名单第 1 位" in text(response)
    full = public_sign_up(app.test_client(), meeting.id, "赵丽华", "13900000009")
    assert full.status_code == 409 and "名额已满" in text(full)
    db.session.expire_all()
    statuses = {s.name: s.status for s in db.session.scalars(select(Signup))}
    assert statuses["王建国"] == "confirmed" and statuses["张志强"] == "waiting"
    # The code is stored only as a hash.
    assert all(codes[s.name].replace("-", "") not in s.code_hash for s in db.session.scalars(select(Signup)))

    # Cancel by code: the waiting resident is promoted.
    cancel_url = f"/meetings/{meeting.id}/cancel"
    response = public.post(
        cancel_url,
        data={"code": codes["李海燕"].lower(), "csrf_token": csrf_token(public, cancel_url)},
        follow_redirects=True,
    )
    assert "已取消，名额已递补" in text(response)
    db.session.expire_all()
    assert db.session.scalar(select(Signup.status).where(Signup.name == "张志强")) == "confirmed"


@stage
def test_check_in_at_the_door(meeting):
    # The QR opens the staff page with the code filled in.
    staff_client, url, token, codes = meeting.staff_client, meeting.url, meeting.token, meeting.codes
    checkin = f"{url}/checkin"
    prefilled = text(staff_client.get(f"{checkin}?code={codes['王建国']}"))
    assert codes["王建国"] in prefilled
    response = staff_client.post(checkin, data={"code": codes["王建国"], "csrf_token": token}, follow_redirects=True)
    assert "签到成功" in text(response)
    scanned = f"http://localhost{checkin}?code={codes['张志强']}"  # a scanner types the whole URL
    assert "签到成功" in text(
        staff_client.post(checkin, data={"code": scanned, "csrf_token": token}, follow_redirects=True)
    )
    assert "已签到过" in text(
        staff_client.post(checkin, data={"code": codes["王建国"], "csrf_token": token}, follow_redirects=True)
    )
    unknown = staff_client.post(checkin, data={"code": "ZZZZ-ZZZZ", "csrf_token": token})
    assert unknown.status_code == 404 and "没有这个报名码" in text(unknown)
    cancelled = staff_client.post(checkin, data={"code": codes["李海燕"], "csrf_token": token})
    assert cancelled.status_code == 409 and "已取消" in text(cancelled)
    assert services.present_count(db.session.get(Meeting, meeting.id)) == 2


@stage
def test_opinions_before_the_meeting_named_and_anonymous_and_moderation(meeting):
    # Per agenda item; moderation hides with a public reason and keeps the text.
    app, staff_client, url = meeting.app, meeting.staff_client, meeting.url
    items = db.session.get(Meeting, meeting.id).agenda
    meeting.agenda_ids = [item.id for item in items]
    meeting.opinion_url = opinion_url = f"/meetings/{meeting.id}/opinions/new"
    meeting.tracking = tracking = []
    for data in (
        {
            "agenda_item": str(items[1].id),
            "category": "suggestion",
            "author_name": "王建国",
            "body": "一楼住户不出钱，高层按楼层递增分摊。",
        },
        {
            "agenda_item": str(items[0].id),
            "category": "concern",
            "anonymous": "y",
            "body": "<script>alert('x')</script>担心施工期间影响采光。",
        },
        {"agenda_item": "0", "category": "other", "author_name": "某人", "body": "辱骂内容"},
    ):
        client = app.test_client()
        data["csrf_token"] = csrf_token(client, opinion_url)
        response = client.post(opinion_url, data=data, follow_redirects=True)
        assert response.status_code == 200, text(response)
        tracking.append(TRACK_RE.search(text(response)).group(1))
    named, anonymous, abusive = db.session.scalars(select(Opinion).order_by(Opinion.number)).all()
    assert anonymous.author_name is None and named.stage == "before"
    meeting.named_id, meeting.anonymous_id = named.id, anonymous.id

    meeting.opinions_url = opinions_url = f"{url}/opinions"
    staff_page = text(staff_client.get(opinions_url))
    response = staff_client.post(
        f"/staff/meetings/opinions/{abusive.id}/hide",
        data={f"h{abusive.id}-reason": "含有人身攻击内容", "csrf_token": csrf_from(staff_page)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Opinion, abusive.id).body == "辱骂内容"


@stage
def test_during_the_meeting_an_opinion_the_minutes_and_a_speaker(meeting):
    app, staff_client, url, token = meeting.app, meeting.staff_client, meeting.url, meeting.token
    first_item = meeting.agenda_ids[0]
    move(db.session.get(Meeting, meeting.id), hours=-49)  # the meeting has started
    client = app.test_client()
    response = client.post(
        meeting.opinion_url,
        data={
            "agenda_item": str(first_item),
            "category": "question",
            "author_name": "张志强",
            "body": "电梯维保费用谁出？",
            "csrf_token": csrf_token(client, meeting.opinion_url),
        },
        follow_redirects=True,
    )
    meeting.tracking.append(TRACK_RE.search(text(response)).group(1))
    assert db.session.scalar(select(Opinion).where(Opinion.number == 4)).stage == "during"

    minutes_url = f"{url}/minutes"
    response = staff_client.post(
        minutes_url,
        data={
            "minutes": '<p onclick="x()">会议由<strong>街道人大工委</strong>主持。</p><script>steal()</script>'
            '<ul><li>通过加装电梯方案</li></ul><a href="javascript:alert(1)">链接</a>',
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "不安全或不支持的 HTML" in text(response)
    stored = db.session.get(Meeting, meeting.id).minutes_html
    assert "<strong>街道人大工委</strong>" in stored and "<li>通过加装电梯方案</li>" in stored
    assert "script" not in stored and "onclick" not in stored and "javascript" not in stored
    assert (
        staff_client.post(
            f"{url}/speakers",
            data={
                "name": "陈美玲",
                "affiliation": "县住建局",
                "agenda_item": str(first_item),
                "summary": "介绍补助政策。",
                "csrf_token": token,
            },
        ).status_code
        == 302
    )


@stage
def test_decisions_by_show_of_hands_and_by_an_on_the_spot_code_vote(meeting):
    app, staff_client, url, token = meeting.app, meeting.staff_client, meeting.url, meeting.token
    decisions_url = f"{url}/decisions"
    staff_client.post(
        decisions_url,
        data={
            "title": "同意桂花苑 6 幢加装电梯方案",
            "agenda_item": str(meeting.agenda_ids[0]),
            "method": "hands",
            "csrf_token": token,
        },
    )
    hands = db.session.scalar(select(Decision).where(Decision.method == "hands"))
    too_many = staff_client.post(
        f"/staff/meetings/decisions/{hands.id}/hands",
        data={f"d{hands.id}-yes": "3", f"d{hands.id}-no": "0", f"d{hands.id}-abstain": "0", "csrf_token": token},
    )
    assert too_many.status_code == 422 and "超过了实到人数 2" in text(too_many)
    assert (
        staff_client.post(
            f"/staff/meetings/decisions/{hands.id}/hands",
            data={f"d{hands.id}-yes": "2", f"d{hands.id}-no": "0", f"d{hands.id}-abstain": "0", "csrf_token": token},
        ).status_code
        == 302
    )

    # The on-the-spot vote runs on the ballot engine in code mode, one code per attendee.
    staff_client.post(
        decisions_url,
        data={
            "title": "费用按楼层递增分摊",
            "agenda_item": str(meeting.agenda_ids[1]),
            "method": "vote",
            "csrf_token": token,
        },
    )
    vote = db.session.scalar(select(Decision).where(Decision.method == "vote"))
    assert vote.poll.secrecy == "code" and vote.poll.state == "draft"
    slips = staff_client.post(
        f"/staff/meetings/decisions/{vote.id}/codes", data={"csrf_token": token}, follow_redirects=True
    )
    vote_codes = re.findall(r'class="mono slip-code">([A-Z0-9-]+)<', text(slips))
    assert len(vote_codes) == 2
    assert (
        staff_client.post(
            f"/staff/meetings/decisions/{vote.id}/open", data={"csrf_token": token, "confirm": "y"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    manifest = db.session.get(Decision, vote.id).poll.manifest
    meeting.poll_id = manifest["poll"]
    for code, choice in zip(vote_codes, ("yes", "no")):
        cast = app.test_client().post(
            f"/api/polls/{manifest['poll']}/ballots", json=code_ballot(manifest, code, {"p01": choice})
        )
        assert cast.status_code == 201, cast.get_json()
    assert (
        staff_client.post(
            f"/staff/meetings/decisions/{vote.id}/close", data={"csrf_token": token, "confirm": "y"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    vote = db.session.get(Decision, vote.id)
    assert (vote.state, vote.yes, vote.no, vote.present, vote.passed) == ("recorded", 1, 1, 2, False)


@stage
def test_opinions_close_with_the_meeting(meeting):
    app, staff_client, url, token = meeting.app, meeting.staff_client, meeting.url, meeting.token
    assert staff_client.post(f"{url}/close", data={"csrf_token": token, "confirm": "y"}).status_code == 302
    client = app.test_client()
    closed = client.post(
        meeting.opinion_url,
        data={
            "agenda_item": "0",
            "category": "other",
            "author_name": "迟到者",
            "body": "会后意见",
            "csrf_token": csrf_token(client, "/meetings/track"),
        },
    )
    assert closed.status_code == 409 and "意见征集已关闭" in text(closed)
    assert db.session.scalar(select(Opinion).where(Opinion.body == "会后意见")) is None


@stage
def test_follow_up_the_lead_unit_replies_and_the_author_rates_once(meeting):
    app, staff_client, tracking = meeting.app, meeting.staff_client, meeting.tracking
    staff_page = text(staff_client.get(meeting.opinions_url))
    for opinion_id in (meeting.named_id, meeting.anonymous_id):
        response = staff_client.post(
            f"/staff/meetings/opinions/{opinion_id}/assign",
            data={
                f"a{opinion_id}-lead_unit": str(meeting.unit_id),
                f"a{opinion_id}-due_on": "",
                "csrf_token": csrf_from(staff_page),
            },
        )
        assert response.status_code == 302
    reply_id = db.session.get(Opinion, meeting.named_id).reply.id
    unit_client = app.test_client()
    assert login(unit_client, "zhujianju").status_code == 302
    assert "第 1 号" in text(unit_client.get("/staff/meetings/unit"))
    reply_url = f"/staff/meetings/replies/{reply_id}"
    unit_token = csrf_token(unit_client, reply_url)
    incomplete = unit_client.post(
        reply_url, data={"status": "done", "outcome": "", "body": "", "csrf_token": unit_token}
    )
    assert incomplete.status_code == 422 and "办结时必须填写答复内容" in text(incomplete)
    assert (
        unit_client.post(
            reply_url,
            data={
                "status": "done",
                "outcome": "adopted",
                "body": "采纳。一楼住户不分摊，其余按楼层系数分摊。",
                "csrf_token": unit_token,
            },
        ).status_code
        == 302
    )
    assert unit_client.get("/staff/meetings/").status_code == 403  # a lead unit is not staff

    track = app.test_client()
    found = text(
        track.post(
            "/meetings/track",
            data={"code": tracking[0], "csrf_token": csrf_token(track, "/meetings/track")},
            follow_redirects=True,
        )
    )
    assert "采纳。一楼住户不分摊" in found and "满意" in found
    rate_token = csrf_from(found)
    assert (
        track.post(
            "/meetings/track/rate", data={"code": tracking[0], "rating": "satisfied", "csrf_token": rate_token}
        ).status_code
        == 303
    )
    again = track.post(
        "/meetings/track/rate", data={"code": tracking[0], "rating": "dissatisfied", "csrf_token": rate_token}
    )
    assert again.status_code == 409 and "只能评价一次" in text(again)
    early = track.post("/meetings/track/rate", data={"code": tracking[1], "rating": "basic", "csrf_token": rate_token})
    assert early.status_code == 409 and "办结后才能评价" in text(early)
    assert (
        unit_client.post(
            reply_url, data={"status": "doing", "outcome": "", "body": "改", "csrf_token": unit_token}
        ).status_code
        == 409
    )


@stage
def test_the_reply_page_and_the_closing_report_keep_private_fields_private(meeting):
    public, staff_client, url = meeting.public, meeting.staff_client, meeting.url
    reply_page = text(public.get(f"/meetings/{meeting.id}/reply"))
    assert "<strong>街道人大工委</strong>" in reply_page and "<script>steal" not in reply_page
    assert "&lt;script&gt;alert" in reply_page and "<script>alert" not in reply_page
    assert "含有人身攻击内容" in reply_page and "辱骂内容" not in reply_page
    assert "采纳。一楼住户不分摊" in reply_page and "满意" in reply_page
    assert "同意桂花苑 6 幢加装电梯方案" in reply_page and "陈美玲" in reply_page
    assert f"/polls/{meeting.poll_id}" in reply_page
    report = text(public.get(f"/meetings/{meeting.id}/report"))
    assert re.search(r'id="present">2<', report) and re.search(r'id="opinions">4<', report)
    assert re.search(r'id="adopted">1<', report) and re.search(r'id="satisfaction">100.0%<', report)

    # Private fields never on public pages (the notice and calendar as published, too).
    pages = [
        meeting.notice,
        reply_page,
        report,
        text(public.get("/meetings/")),
        text(public.get(f"/meetings/{meeting.id}")),
        meeting.ics.get_data(as_text=True),
    ]
    for page in pages:
        for private in ("13900000001", "13900000002", "13900000003", "13900000009", "李海燕", "桂花苑</"):
            assert private not in page
    assert "王建国" not in meeting.notice  # sign-up names stay private; a named opinion shows its author
    staff_list = text(staff_client.get(f"{url}/signups"))
    assert "13900000001" in staff_list  # staff see the phone
    assert public.get(f"{url}/signups").status_code in (302, 401)


@stage
def test_every_state_change_is_in_the_audit_log(meeting):
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "meeting.create",
        "meeting.announce",
        "meeting.signup",
        "meeting.signup_cancel",
        "meeting.signup_promote",
        "meeting.checkin",
        "meeting.opinion",
        "opinion.hide",
        "meeting.minutes",
        "meeting.speaker",
        "meeting.decision_record",
        "meeting.close",
        "opinion.assign",
        "opinion.reply",
        "opinion.rate",
        "poll.open",
        "poll.close",
    } <= actions
