"""Demo data: a 民主恳谈会 on adding lifts to old residential buildings in 清溪县 (a
fictional county), held a week ago and followed up; and an upcoming residents' council.

Everything goes through the services, so the audit log and the codes are real.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from core.models import Congress, LeadUnit
from core.times import to_utc
from deliberation import services
from deliberation.models import Meeting, Opinion, ReplyStatus, Signup
from extensions import db

CONGRESS = "清溪县第十八届人民代表大会"
RESIDENTS = [
    "周建国",
    "吴秀英",
    "郑国平",
    "王美玲",
    "冯德明",
    "陈春梅",
    "褚立新",
    "卫慧敏",
    "蒋永康",
    "沈玉兰",
    "韩宏伟",
    "杨桂芬",
    "朱文斌",
    "秦静怡",
]
AREAS = ["桂花苑", "桂花苑", "桂花苑", "清溪新村", "清溪新村", "龙山小区"]
OPINIONS = [
    (
        1,
        "suggestion",
        "周建国",
        "一楼住户不用电梯，建议不分摊建设费用，但可以分摊一部分公共维修基金。",
        "县住房和城乡建设局",
        "adopted",
        "采纳。方案已明确一楼住户不分摊建设费用，二楼起按楼层系数分摊。",
        "satisfied",
    ),
    (
        1,
        "concern",
        None,
        "电梯井道建在北侧会挡住一楼厨房的采光，希望设计时考虑。",
        "县住房和城乡建设局",
        "partly",
        "部分采纳。设计单位已将井道改为玻璃幕墙结构，减少对采光的影响。",
        "basic",
    ),
    (
        2,
        "question",
        "王美玲",
        "财政补助每台多少？申请流程要多久？",
        "县住房和城乡建设局",
        "explained",
        "每台补助 20 万元，资料齐全后 15 个工作日内完成审核。",
        "satisfied",
    ),
    (
        2,
        "suggestion",
        "冯德明",
        "建议由街道牵头统一招标，价格更透明。",
        "清溪街道办事处",
        "adopted",
        "采纳。街道将统一组织招标，结果在社区公示栏和本平台公开。",
        None,
    ),
    (3, "concern", None, "施工期间噪音和扬尘怎么管？家里有高考学生。", "清溪街道办事处", None, None, None),
    (3, "other", "某住户", "（含人身攻击的内容）", None, None, None, None),
]
MINUTES = (
    "<p>会议由清溪街道人大工委主持，县住建局、街道城建办、设计单位和 3 个小区的居民代表参加。</p>"
    "<h3>主要意见</h3><ul><li>一楼住户的费用分摊</li><li>采光和噪音影响</li><li>补助政策和招标方式</li></ul>"
    "<h3>形成的共识</h3><p>以<strong>桂花苑 6 幢</strong>为试点，先签意向书，达到本单元三分之二住户同意后启动设计。</p>"
)


def _unit(name: str) -> LeadUnit:
    unit = db.session.scalar(select(LeadUnit).where(LeadUnit.name == name))
    if unit is None:
        unit = LeadUnit(name=name)
        db.session.add(unit)
        db.session.flush()
    return unit


def _shift(meeting: Meeting, delta: timedelta) -> None:
    meeting.starts_at += delta
    meeting.ends_at += delta
    meeting.signup_deadline += delta
    meeting.announced_at += delta
    for row in db.session.scalars(select(Signup).where(Signup.meeting_id == meeting.id)):
        row.created_at += delta
    for row in db.session.scalars(select(Opinion).where(Opinion.meeting_id == meeting.id)):
        row.created_at += delta


def seed_demo(today: date) -> list[str]:
    """Create the demo meetings; returns console lines. The caller commits."""
    rng = random.Random(20250917)
    congress = db.session.scalar(select(Congress).where(Congress.name == CONGRESS))
    held = today - timedelta(days=7)
    # Created as if in the future, then moved back a week after the sign-ups and opinions.
    start = to_utc(datetime.combine(today + timedelta(days=10), time(14, 30)))
    meeting = services.create_meeting(
        kind="consultation",
        topic="清溪街道老旧小区加装电梯民主恳谈会",
        description="桂花苑、清溪新村、龙山小区共 23 个单元有加装电梯意愿。议题：方案、费用分摊和施工管理。",
        proposed_by="桂花苑业主委员会（书面署名 37 户）",
        organiser="清溪县人大常委会清溪街道工委",
        starts_at=start,
        ends_at=start + timedelta(hours=2, minutes=30),
        place="清溪街道社区服务中心三楼会议室",
        online_url=None,
        capacity=12,
        waitlist=4,
        signup_mode="open",
        signup_deadline=start - timedelta(days=1),
        members=None,
        congress_id=congress.id if congress else None,
    )
    items = [
        services.add_agenda_item(meeting, title, text)
        for title, text in (
            ("加装电梯方案介绍", "设计单位介绍井道位置、造价和工期。"),
            ("费用分摊与财政补助", "讨论按楼层系数分摊的办法和补助申请流程。"),
            ("施工管理与后期维保", "施工期间的安全、噪音和电梯维保责任。"),
        )
    ]
    services.announce(meeting)
    codes = []
    for i, name in enumerate(RESIDENTS):
        _, code = services.sign_up(
            meeting, name=name, phone=f"1390576{rng.randrange(10**4):04d}{i % 10}", area=AREAS[i % len(AREAS)]
        )
        codes.append(code)
    services.cancel_signup(meeting, codes[2])  # one cancels; the first on the waiting list moves up
    tracking = []
    for item_no, category, author, body, *_rest in OPINIONS:
        opinion, code = services.submit_opinion(
            meeting, agenda_item_id=items[item_no - 1].id, category=category, author_name=author, body=body
        )
        tracking.append((opinion, code))

    _shift(meeting, to_utc(datetime.combine(held, time(14, 30))) - meeting.starts_at)
    present = 0
    for i, code in enumerate(codes):
        if i in (2, 9) or i >= 13:  # cancelled, absent, still waiting
            continue
        services.check_in(meeting, code, None)
        present += 1
    services.add_speaker(
        meeting,
        name="陈工",
        affiliation="县建筑设计院",
        agenda_item_id=items[0].id,
        summary="介绍北侧井道方案，单台造价约 65 万元，工期 4 个月。",
    )
    services.add_speaker(
        meeting, name="周建国", affiliation="桂花苑居民", agenda_item_id=items[1].id, summary="建议一楼不分摊建设费用。"
    )
    services.add_speaker(
        meeting,
        name="县住建局城建科",
        affiliation="县住房和城乡建设局",
        agenda_item_id=items[1].id,
        summary="说明每台 20 万元的财政补助和申请流程。",
    )
    services.save_minutes(meeting, MINUTES)
    decision = services.add_decision(
        meeting, title="同意以桂花苑 6 幢为加装电梯试点", method="hands", agenda_item_id=items[1].id
    )
    services.record_hands(decision, yes=present - 2, no=1, abstain=1)
    services.hide_opinion(tracking[5][0], "含有人身攻击内容，依据平台规则隐藏")
    services.close_meeting(meeting)

    for (opinion, code), (_, _, _, _, unit_name, outcome, reply, rating) in zip(tracking, OPINIONS):
        if unit_name is None:
            continue
        due = held + timedelta(days=14)
        follow = services.assign(opinion, _unit(unit_name), due if outcome else today - timedelta(days=1))
        if outcome:
            services.update_reply(follow, status=ReplyStatus.DONE, body=reply, outcome=outcome)
        else:
            services.update_reply(follow, status=ReplyStatus.DOING, body=None, outcome=None)
        if rating:
            services.rate_reply(code, rating)

    # An upcoming residents' council with places drawn by lot.
    council_start = to_utc(datetime.combine(today + timedelta(days=6), time(19, 0)))
    council = services.create_meeting(
        kind="council",
        topic="龙山小区停车位划设方案",
        description="小区内新增 40 个停车位的位置和收费办法。",
        proposed_by="龙山小区居民代表 12 人联名",
        organiser="清溪街道居民议事会",
        starts_at=council_start,
        ends_at=council_start + timedelta(hours=2),
        place="龙山社区议事厅",
        online_url=None,
        capacity=15,
        waitlist=0,
        signup_mode="lot",
        signup_deadline=council_start - timedelta(days=2),
        lot_beacon_source="中国福利彩票“双色球”开奖号码（红球 6 个、蓝球 1 个，按公布顺序）",
        lot_beacon_date=today + timedelta(days=5),
        members=15,
        congress_id=congress.id if congress else None,
    )
    services.add_agenda_item(council, "停车位划设方案")
    services.add_agenda_item(council, "收费标准")
    services.announce(council)
    db.session.flush()
    return [
        f"议事会议：{meeting.topic}（已召开，回音 /meetings/{meeting.id}/reply ，总结报告 /meetings/{meeting.id}/report）",
        f"议事会议：{council.topic}（{today + timedelta(days=6)} 召开，抽签报名 /meetings/{council.id}）",
        f"意见查询码示例（第 1 号意见，已评价）：{tracking[0][1]}；第 4 号意见待评价：{tracking[3][1]}",
    ]
