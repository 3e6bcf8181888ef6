"""Demo data of the project cycle, on top of ``core.demo.seed_demo``: the call and its
suggestions, the 15 candidates linked to the closed demo vote, monitoring groups and
a few progress reports."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select

from core.demo import LEAD_UNITS, PROJECTS
from core.demo_files import demo_png
from core.models import Congress, Deputy, LeadUnit, User
from extensions import db
from projects import progress, services
from projects.models import Project, ProjectPoll, ProjectStatus, ProposalCall, Suggestion, SuggestionStatus
from voting.models import Poll

PLACES = ["城关镇", "清溪街道", "白鹭镇", "石门乡", "溪口镇", "龙山街道", "桃源镇", "海塘乡"]
CATEGORIES = [
    "住房与社区",
    "教育",
    "医疗卫生",
    "交通出行",
    "养老托育",
    "供水与环境",
    "农业农村",
    "其他",
    "文化体育",
    "就业",
    "交通出行",
    "其他",
    "养老托育",
    "供水与环境",
    "文化体育",
]
REJECTED = [
    ("建议县城建设大型游乐园", "属于市场化经营项目，不宜列入政府民生实事，已转有关部门研究。"),
    ("给每户发放生活补贴", "不属于民生实事项目范围，已转县民政局按政策答复。"),
    ("石门乡修建高速公路出口", "投资规模和审批权限超出县级民生实事范围，已转交通部门纳入规划研究。"),
    ("小区门口禁止停车", "属于日常管理事项，已转龙山街道办理。"),
    ("建议取消农贸市场摊位费", "涉及收费政策调整，已转县市场监管局答复。"),
]


def seed_demo(today: date) -> list[str]:
    """Create the year's cycle on the demo congress; returns console lines."""
    rng = random.Random(20270113)
    year = today.year
    units = {u.name: u for u in db.session.scalars(select(LeadUnit))}
    congress = db.session.scalar(select(Congress).where(Congress.name == "清溪县第十八届人民代表大会"))
    deputies = db.session.scalars(select(Deputy).where(Deputy.congress_id == congress.id).order_by(Deputy.code)).all()
    call = ProposalCall(
        year=year,
        title=f"{year}年清溪县民生实事项目征集",
        notice="欢迎群众围绕教育、医疗、养老、交通、住房等方面提出建议。扫码或在网上提交，无需注册。",
        opens_on=date(year - 1, 9, 1),
        closes_on=date(year - 1, 11, 30),
    )
    db.session.add(call)
    db.session.flush()

    main: list[Suggestion] = []
    for i, (title, _unit, _money, _pop) in enumerate(PROJECTS):
        place = PLACES[i % len(PLACES)]
        main.append(
            Suggestion(
                call=call,
                title=f"建议实施{title}",
                category=CATEGORIES[i],
                location=place,
                description=f"{place}群众反映迫切，建议将“{title}”列入明年民生实事。",
                status=SuggestionStatus.ACCEPTED,
                source="qr" if i % 3 == 0 else "web",
            )
        )
    db.session.add_all(main)
    db.session.flush()
    merged = []
    for k in range(10):
        target = main[k]
        s = Suggestion(
            call=call,
            title=f"{target.title}（{PLACES[(k + 3) % 8]}）",
            category=target.category,
            location=PLACES[(k + 3) % 8],
            description=f"与#{target.id}相同诉求：{target.description}",
            status=SuggestionStatus.MERGED,
            merged_into=target,
            source="web",
        )
        merged.append(s)
    rejected = [
        Suggestion(
            call=call,
            title=t,
            category="其他",
            location=rng.choice(PLACES),
            description=t + "，请政府考虑。",
            status=SuggestionStatus.REJECTED,
            reject_reason=reason,
        )
        for t, reason in REJECTED
    ]
    db.session.add_all(merged + rejected)

    poll = db.session.scalar(select(Poll).where(Poll.public_id == f"{year}-qingxi-18-4-minsheng"))
    option_by_title = {o["title"]: o["id"] for o in poll.options}
    projects = []
    for i, (title, unit_index, money, _pop) in enumerate(PROJECTS):
        completion = date(year, 6, 30) if i % 4 == 0 else date(year, 12, 31)
        project = Project(
            year=year,
            title=title,
            lead_unit=units[LEAD_UNITS[unit_index]],
            investment=money,
            planned_completion=completion,
            status=ProjectStatus.CANDIDATE,
            description=f"{title}，总投资 {money} 万元，由{LEAD_UNITS[unit_index]}牵头实施。",
        )
        project.suggestions.append(main[i])
        db.session.add(project)
        db.session.add(ProjectPoll(project=project, poll=poll, kind="vote", option_id=option_by_title[title]))
        projects.append(project)
    db.session.flush()
    outcome = services.apply_outcome(year)

    unit_user = db.session.scalar(select(User).where(User.role == "lead_unit").order_by(User.id))
    staff = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
    elected = [p for p in projects if p.is_elected]
    for n, project in enumerate(elected):
        for k in range(3):
            progress.add_member(project, deputies[(n * 3 + k) % len(deputies)], leader=k == 0)
        steps = [(date(year, 3, 31), 20), (date(year, 6, 30), 45), (date(year, 9, 30), 70)]
        for reported_on, percent in steps[: 1 + n % 3]:
            if reported_on > today:
                break
            author = unit_user if unit_user and unit_user.lead_unit_id == project.lead_unit_id else staff
            progress.add_report(
                project,
                author,
                reported_on=reported_on,
                percent=min(100, percent + n * 5),
                narrative=f"{project.title}按计划推进，已完成阶段性任务。",
                problems="部分点位征地协调进度偏慢。" if n % 4 == 1 else None,
                rectifications=["加快征地协调，每周报送进度"] if n % 4 == 1 else [],
                photos=[progress.Photo(demo_png(), "image/png", "site.png")] if n == 0 else [],
            )
    db.session.flush()
    lines = [
        (
            f"  projects 民生实事:   /projects/{year} ({len(projects)} candidates, {len(elected)} elected, "
            f"{len(main) + len(merged) + len(rejected)} suggestions)"
        ),
        f"  progress 进度公示:   /projects/{year}/progress",
        "  suggest 提建议:      /suggest (open a call for next year at /staff/projects/calls/new)",
    ]
    if outcome.needs_runoff:
        lines.append(f"  run-off 另行票决:    tie on the last seat — /staff/projects/{year}")
    return lines
