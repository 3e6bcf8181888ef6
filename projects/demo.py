"""Demo data of the project cycle, after core's part of the demo (``core.demo``): last
January's vote on the 15 candidates, with ballots cast through the real protocol (blind
tokens, signed log), and today's open vote; the call and its suggestions, the 15
candidates linked to the closed vote, monitoring groups and a few progress reports."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select

from core import sessions
from core.demo import CURRENT_SESSION, DEMO_CONGRESS, LAST_SESSION, LEAD_UNITS, demo_session
from core.demo_files import demo_png
from core.hooks import DemoRun
from core.models import Congress, Deputy, LeadUnit, User
from extensions import db
from projects import progress, services
from projects.models import (
    Project,
    ProjectPoll,
    ProjectStatus,
    ProposalCall,
    Suggestion,
    SuggestionReview,
    SuggestionStatus,
)
from voting import demo as voting_demo
from voting import services as polls
from voting import specs
from voting.models import Poll
from voting.protocol.client import SecretVoter
from voting.services import paper

# (title, lead unit index, investment in 10k yuan, popularity used to simulate votes)
PROJECTS = [
    ("城区老旧小区改造提升工程", 0, 12800, 0.86),
    ("义务教育学校食堂“阳光厨房”建设", 1, 2300, 0.83),
    ("乡镇卫生院医共体能力提升", 2, 5600, 0.78),
    ("农村客运公交化改造", 3, 3100, 0.74),
    ("居家养老服务中心全覆盖", 4, 4200, 0.81),
    ("城乡供水一体化管网延伸", 5, 9800, 0.72),
    ("高标准农田建设", 6, 7600, 0.64),
    ("农贸市场提升改造", 7, 1900, 0.61),
    ("城市书房和文化驿站建设", 8, 1200, 0.58),
    ("零工市场和就业驿站建设", 9, 800, 0.56),
    ("中小学校园周边交通安全设施", 3, 650, 0.52),
    ("公共充电桩建设", 0, 1500, 0.40),
    ("婴幼儿照护服务体系建设", 2, 2100, 0.47),
    ("山塘水库除险加固", 5, 3300, 0.35),
    ("全民健身场地设施补短板", 8, 980, 0.44),
]
PLACES = ["城关镇", "清溪街道", "白鹭镇", "石门乡", "溪口镇", "龙山街道", "桃源镇", "海塘乡"]
CATEGORIES = [
    "housing",
    "education",
    "health",
    "transport",
    "elderly_care",
    "water_environment",
    "rural",
    "other",
    "culture_sports",
    "employment",
    "transport",
    "other",
    "elderly_care",
    "water_environment",
    "culture_sports",
]
REJECTED = [
    ("建议县城建设大型游乐园", "属于市场化经营项目，不宜列入政府民生实事，已转有关部门研究。"),
    ("给每户发放生活补贴", "不属于民生实事项目范围，已转县民政局按政策答复。"),
    ("石门乡修建高速公路出口", "投资规模和审批权限超出县级民生实事范围，已转交通部门纳入规划研究。"),
    ("小区门口禁止停车", "属于日常管理事项，已转龙山街道办理。"),
    ("建议取消农贸市场摊位费", "涉及收费政策调整，已转县市场监管局答复。"),
]


def seed(run: DemoRun) -> list[str]:
    """The package's part of the demo (``core.hooks.DemoSeeder``): the votes, then the cycle."""
    lines = seed_votes(run)
    db.session.commit()
    return lines + seed_demo(run.today)


def seed_votes(run: DemoRun) -> list[str]:
    """Last session's closed vote (190 checked in, 188 took tokens, 186 cast; 12 on paper,
    the 2 checked in without a token and 10 more, 2 of the 12 spoiled) and an open
    vote of today's session, for trying the ballot page. The ballots continue the demo's
    random stream, so the result is the same every time."""
    rng, today = run.rng, run.today
    congress = db.session.scalar(select(Congress).where(Congress.name == DEMO_CONGRESS))
    deputies = db.session.scalars(select(Deputy).where(Deputy.congress_id == congress.id).order_by(Deputy.code)).all()
    last_year, current = demo_session(LAST_SESSION), demo_session(CURRENT_SESSION)
    options = specs.option_list([p[0] for p in PROJECTS])
    poll = _project_vote(f"{today.year}-qingxi-18-4-minsheng", f"{today.year}年清溪县民生实事项目票决", last_year)
    present = deputies[:190]
    for deputy in present:
        sessions.check_in(last_year, deputy, method="staff", by=None)
    # (rev 5) three scrutineers, who co-sign after the close (demo keys: voting.demo).
    watchers = [deputies[3], deputies[77], deputies[150]]
    watcher_keys = voting_demo.name_and_enroll(poll, watchers)
    paper.set_allowed(poll, True)  # (rev 5) twelve deputies vote on paper, two spoiled
    polls.open_poll(poll)
    db.session.commit()
    for deputy in deputies[188:200]:
        paper.mark_paper(poll, deputy.id)
    for deputy in present[:188]:
        voter = SecretVoter(poll.manifest)
        voter.token_response({"blind_sig": polls.issue_token(poll, deputy, voter.token_request()["blinded_msg"])})
        if deputy in present[:186]:
            polls.cast(poll, voter.ballot(_choices(rng, options)), wait=False)  # the close appends them
    # Two scrutineers enter the same twelve paper ballots (their own random stream, so
    # the rest of the demo does not change).
    paper_rng = random.Random(12)
    lines = [paper.describe(poll.manifest, _choices(paper_rng, options)) for _ in range(10)] + ["废票", "废票"]
    for watcher in watchers[:2]:
        paper.store_entry(poll, watcher.id, "\n".join(lines))
    db.session.commit()
    polls.close_poll(poll)
    voting_demo.cosign_all(poll, watchers, watcher_keys)

    open_poll = _project_vote(
        f"{today.year + 1}-qingxi-18-5-minsheng", f"{today.year + 1}年清溪县民生实事项目票决（演示）", current
    )
    for deputy in deputies[:20]:
        sessions.check_in(current, deputy, method="staff", by=None)
    voting_demo.name_and_enroll(open_poll, [deputies[5], deputies[42], deputies[120]])
    polls.open_poll(open_poll)
    return [
        f"  closed poll 已结束:  /polls/{poll.public_id}",
        f"  open poll 投票中:    /polls/{open_poll.public_id}",
    ]


def _project_vote(public_id: str, title: str, session) -> Poll:
    """A draft of the deputies' secret vote over the demo's fifteen projects, ten seats."""
    return polls.create_poll(
        public_id=public_id,
        title=title,
        ballot="approval",
        secrecy="secret",
        options=[p[0] for p in PROJECTS],
        poll_rules=specs.build_rules("approval", seats=10, max_yes=10),
        session=session,
        purpose="project_vote",
    ).poll


def _choices(rng: random.Random, options: list[dict]) -> dict[str, str]:
    """A plausible ballot: yes by popularity, never more than ten."""
    ranked = sorted(options, key=lambda o: -PROJECTS[int(o["id"][1:]) - 1][3] * rng.random() ** 0.3)
    yes = {o["id"] for o in ranked[:10] if rng.random() < PROJECTS[int(o["id"][1:]) - 1][3] + 0.15}
    choices = {}
    for o in options:
        if o["id"] in yes:
            choices[o["id"]] = "yes"
        else:
            choices[o["id"]] = "abstain" if rng.random() < 0.2 else "no"
    return choices


def _suggestions(call: ProposalCall, rng: random.Random) -> tuple[list, list, list]:
    """One accepted suggestion behind each project, ten merged into them, and the
    rejected ones with their reasons."""
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
            category="other",
            location=rng.choice(PLACES),
            description=t + "，请政府考虑。",
            status=SuggestionStatus.REJECTED,
            reject_reason=reason,
        )
        for t, reason in REJECTED
    ]
    # One from the public form that waits for review: the staff's queue is not empty.
    waiting = Suggestion(
        call=call,
        title="菜市场门口增设非机动车停放点",
        category="transport",
        location=PLACES[0],
        description="早市时电动车乱停，行人无处落脚，建议划线设置停放点。",
        status=SuggestionStatus.PENDING,
        review=SuggestionReview.PENDING,
        source="web",
    )
    db.session.add_all([*merged, *rejected, waiting])
    return main, merged, rejected


def _candidates(year: int, main: list[Suggestion]) -> list[Project]:
    """The year's candidates, each linked to its option of the demo's closed vote."""
    units = {u.name: u for u in db.session.scalars(select(LeadUnit))}
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
    return projects


def _progress(today: date, elected: list[Project], deputies: list[Deputy]) -> None:
    """Monitoring groups and the progress reports due by today, a photo on the first."""
    year = today.year
    unit_user = db.session.scalar(select(User).where(User.role == "lead_unit").order_by(User.id))
    staff = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
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


def seed_demo(today: date) -> list[str]:
    """Create the year's cycle on the demo congress; returns console lines."""
    rng = random.Random(20270113)
    year = today.year
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
    main, merged, rejected = _suggestions(call, rng)
    projects = _candidates(year, main)
    outcome = services.apply_outcome(year)
    elected = [p for p in projects if p.is_elected]
    _progress(today, elected, deputies)
    lines = [
        (
            f"  projects 民生实事:   /projects/{year} ({len(projects)} candidates, {len(elected)} elected, "
            f"{len(main) + len(merged) + len(rejected)} public suggestions)"
        ),
        "  review 建议审核:     /staff/projects/review (one suggestion waits)",
        f"  progress 进度公示:   /projects/{year}/progress",
        "  suggest 提建议:      /suggest (open a call for next year at /staff/projects/calls/new)",
    ]
    if outcome.needs_runoff:
        lines.append(f"  run-off 另行票决:    tie on the last seat — /staff/projects/{year}")
    return lines
