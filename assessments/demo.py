"""Demo data for assessments: a standing committee of 40 members and its closed
assessment of three work reports (cast through the real protocol), a closed public
assessment with one-time codes, and deputies' suggestions in every state.

``seed_demo(today)`` runs after core's part of the demo (``core.demo.seed_core``: it
needs the deputies D001… of 清溪县第十八届人民代表大会 and the lead units); ``flask demo``
calls it through the seeder registered in ``assessments.web``."""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from sqlalchemy import select

from assessments import services, suggestions
from core import sessions
from core.demo import accounts_of, set_password
from core.demo_files import demo_pdf
from core.hooks import DemoLogins
from core.models import Congress, Deputy, LeadUnit, Role, Session, User
from core.passwords import hash_password
from extensions import db

COMMITTEE = "清溪县人大常委会"
MEMBER_NAMES = [
    "周国强",
    "吴丽萍",
    "郑建华",
    "王秀兰",
    "冯志明",
    "陈海燕",
    "褚伟东",
    "卫春梅",
    "蒋德胜",
    "沈雪芳",
    "韩立新",
    "杨红霞",
    "朱振华",
    "秦慧敏",
    "尤永康",
    "许玉兰",
    "何宏伟",
    "吕桂芬",
    "施文斌",
    "张静怡",
    "孔浩然",
    "曹佳琪",
    "严子涵",
    "华明轩",
    "金雅婷",
    "魏俊杰",
    "陶晨曦",
    "姜思远",
    "戚一鸣",
    "谢嘉欣",
    "邹天宇",
    "喻若曦",
    "柏家豪",
    "水梦琪",
    "窦建国",
    "章海涛",
    "云丽华",
    "苏国平",
    "潘晓东",
    "葛美玲",
]
# (body type, body, report title, probabilities of 满意 / 基本满意 / 不满意)
REPORTS = [
    ("government", "县人民政府", "县人民政府关于城乡生活垃圾分类工作情况的报告", (0.78, 0.18, 0.04)),
    ("court", "县人民法院", "县人民法院关于执行工作情况的报告", (0.42, 0.45, 0.13)),
    ("department", "县市场监督管理局", "县市场监督管理局关于食品安全监管工作情况的报告", (0.22, 0.24, 0.54)),
]
PUBLIC_SUBJECTS = [("县政务服务中心“一窗受理”服务", (0.70, 0.22, 0.08)), ("城区公交线路优化调整", (0.38, 0.34, 0.28))]


def _choices(rng: random.Random, weights: list[tuple[float, float, float]]) -> dict[str, str]:
    out = {}
    for i, (sat, basic, _dis) in enumerate(weights, start=1):
        x = rng.random()
        if x < 0.03:
            value = "abstain"
        elif x < 0.03 + sat:
            value = "satisfied"
        elif x < 0.03 + sat + basic:
            value = "basic"
        else:
            value = "dissatisfied"
        out[f"p{i:02d}"] = value
    return out


def seed_demo(today: date) -> list[str]:
    """Create the assessment demo; returns console lines."""
    from voting import services as polls
    from voting.protocol.client import SecretVoter, code_ballot

    rng = random.Random(20271001)
    member_password = secrets.token_urlsafe(9)

    # The standing committee: its own roster, a meeting, and check-in.
    committee = services.create_committee(COMMITTEE)
    shared_hash = hash_password(member_password)
    members = []
    for i, name in enumerate(MEMBER_NAMES, start=1):
        member = Deputy(congress=committee.congress, code=f"C{i:03d}", name=name, delegation="常委会")
        members.append(member)
        db.session.add(
            User(
                username=member.code,
                display_name=name,
                role=Role.deputy.value,
                deputy=member,
                password_hash=shared_hash,
                must_change_password=False,
            )
        )
    meeting = Session(
        congress=committee.congress,
        name="第十八届人大常委会第二十次会议",
        starts_on=today - timedelta(days=30),
        ends_on=today - timedelta(days=30),
    )
    db.session.add(meeting)
    db.session.flush()
    for member in members[:38]:
        sessions.check_in(meeting, member, method="staff", by=None)

    # The committee rates three work reports: 37 of 40 members cast.
    reports = services.create_assessment(
        title=f"{today.year}年县人大常委会专项工作报告满意度测评",
        year=today.year,
        raters="committee",
        session=meeting,
        grade_base="electorate",
        rectify_below="4/5",
    )
    for body_type, body, title, _weights in REPORTS:
        # The court's report as an uploaded PDF, the others as links.
        pdf = demo_pdf(["Qingxi County People's Court", "Report on enforcement work (demo)"])
        services.add_subject(
            reports,
            kind="work_report",
            title=title,
            body_type=body_type,
            body_name=body,
            document=(pdf, "report.pdf") if body_type == "court" else None,
            document_url=None if body_type == "court" else "https://www.example.gov.cn/qingxi/rd/report.html",
        )
    services.open_assessment(reports)
    db.session.commit()
    poll = reports.poll
    for member in members[:37]:
        voter = SecretVoter(poll.manifest)
        voter.token_response({"blind_sig": polls.issue_token(poll, member, voter.token_request()["blinded_msg"])})
        polls.cast(poll, voter.ballot(_choices(rng, [r[3] for r in REPORTS])), wait=False)
    items = services.close_assessment(reports, today - timedelta(days=30))
    for item in items:
        if item.reason == "dissatisfied":
            services.report_follow_up(
                item, "已制定食品安全监管整改方案，完成校园周边食品经营户全覆盖检查。", today - timedelta(days=3)
            )
    db.session.commit()

    # The public rates two services with one-time codes handed out at a consultation meeting.
    public = services.create_assessment(
        title=f"{today.year}年民主恳谈会公众满意度测评",
        year=today.year,
        raters="public",
        session=None,
        grade_base="cast",
    )
    for title, _weights in PUBLIC_SUBJECTS:
        services.add_subject(public, kind="free", title=title)
    codes = services.generate_codes(public, 120)
    services.open_assessment(public)
    db.session.commit()
    for code in codes[:86]:
        ballot = code_ballot(public.poll.manifest, code, _choices(rng, [s[1] for s in PUBLIC_SUBJECTS]))
        polls.cast(public.poll, ballot, wait=False)
    services.close_assessment(public, today)
    db.session.commit()

    _seed_suggestions(today)
    db.session.commit()
    return [
        "Assessments demo / 满意度测评演示数据",
        f"  standing committee 常委会: {COMMITTEE}, members C001 … C040 / {member_password}",
        f"  committee assessment 常委会测评: /assessments/{reports.id}",
        f"  public assessment 公众测评:     /assessments/{public.id}",
        f"  year overview 年度汇总:         /assessments/year/{today.year}",
        "  rectification 整改公示:          /assessments/rectifications",
        "  deputies' suggestions 代表建议:  /assessments/staff/suggestions (lead unit zhujianju replies)",
    ]


def committee_logins() -> DemoLogins:
    """New passwords for the standing committee's members, for ``flask demo --logins``."""
    members = accounts_of(COMMITTEE)
    if not members:
        return DemoLogins([], 0)
    line = f"  standing committee 常委会: members C001 … C{len(members):03d} / {set_password(members)}"
    return DemoLogins([line], len(members))


def _seed_suggestions(today: date) -> None:
    congress = db.session.scalar(select(Congress).where(Congress.name == "清溪县第十八届人民代表大会"))
    if congress is None:
        return
    deputies = db.session.scalars(
        select(Deputy).where(Deputy.congress_id == congress.id).order_by(Deputy.code).limit(6)
    ).all()
    units = db.session.scalars(select(LeadUnit).order_by(LeadUnit.id)).all()
    unit_user = db.session.scalar(select(User).where(User.role == "lead_unit").order_by(User.id))
    if len(deputies) < 6 or not units or unit_user is None:
        return
    housing = unit_user.lead_unit
    texts = [
        ("关于加快老旧小区加装电梯的建议", "城关镇多个老旧小区居民反映上下楼困难，建议简化审批、加大补助。"),
        ("关于增设农村客运班次的建议", "石门乡部分行政村每天只有两班客车，建议增加班次并延长末班时间。"),
        ("关于规范城区停车收费的建议", "城区部分路段停车收费标准不一，建议统一公示并推行电子支付。"),
        ("关于改善学校周边交通秩序的建议", "上下学高峰时段学校周边拥堵，建议设置临时停车区和护学岗。"),
        ("关于加强农贸市场食品检测的建议", "建议在农贸市场设立快检室，并每日公示检测结果。"),
        ("关于建设社区嵌入式养老服务站的建议", "建议在新建小区配套建设养老服务站，提供助餐助浴服务。"),
    ]
    made = [
        suggestions.file_suggestion(d, title=t, body=b, today=today - timedelta(days=130 - 10 * i))
        for i, (d, (t, b)) in enumerate(zip(deputies, texts))
    ]
    # 0: waiting for assignment.
    # 1: overdue: assigned four months ago, no reply, no extension.
    suggestions.assign(made[1], units[3 % len(units)], today - timedelta(days=120))
    # 2: due within two weeks, handled by the demo unit's account.
    suggestions.assign(made[2], housing, today - timedelta(days=80))
    # 3: replied, waiting for the deputy's rating.
    suggestions.assign(made[3], housing, today - timedelta(days=60))
    suggestions.reply(
        made[3],
        unit_user,
        grade="B",
        today=today - timedelta(days=10),
        body="已在两所学校试点设置临时停车区，其余学校将于下学期完成。",
    )
    # 4: replied and rated satisfied: closed.
    suggestions.assign(made[4], housing, today - timedelta(days=70))
    suggestions.reply(
        made[4],
        unit_user,
        grade="A",
        today=today - timedelta(days=30),
        body="已在全县 12 个农贸市场设立快检室，检测结果每日在市场公示屏公布。",
    )
    suggestions.rate(made[4], made[4].deputy, "satisfied", today - timedelta(days=20))
    # 5: rated dissatisfied, so returned for re-handling (second round).
    suggestions.assign(made[5], housing, today - timedelta(days=90))
    suggestions.reply(
        made[5], unit_user, grade="D", today=today - timedelta(days=40), body="该建议涉及规划调整，留作今后工作参考。"
    )
    suggestions.rate(made[5], made[5].deputy, "dissatisfied", today - timedelta(days=35))
