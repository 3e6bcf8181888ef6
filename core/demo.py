"""The demo: a realistic county congress, its session, projects and a closed secret
poll whose ballots went through the real protocol (blind tokens, signed log)."""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from sqlalchemy import select

from core import audit, sessions
from core.models import Congress, Deputy, LeadUnit, Role, Session, User
from core.passwords import hash_password
from extensions import db

DEMO_CONGRESS = "清溪县第十八届人民代表大会"
DELEGATIONS = ["城关镇", "清溪街道", "白鹭镇", "石门乡", "溪口镇", "龙山街道", "桃源镇", "海塘乡"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"
GIVEN = [
    "建国",
    "海燕",
    "志强",
    "丽华",
    "国平",
    "秀英",
    "晓东",
    "美玲",
    "伟民",
    "春梅",
    "德明",
    "雪芳",
    "立新",
    "红霞",
    "振华",
    "慧敏",
    "永康",
    "玉兰",
    "宏伟",
    "桂芬",
    "文斌",
    "静怡",
    "浩然",
    "佳琪",
    "子涵",
    "明轩",
    "雅婷",
    "俊杰",
    "晨曦",
    "思远",
    "一鸣",
    "嘉欣",
    "天宇",
    "若曦",
    "家豪",
    "梦琪",
]
LEAD_UNITS = [
    "县住房和城乡建设局",
    "县教育局",
    "县卫生健康局",
    "县交通运输局",
    "县民政局",
    "县水利局",
    "县农业农村局",
    "县市场监督管理局",
    "县文化和广电旅游体育局",
    "县人力资源和社会保障局",
]
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


def _name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in taken:
            taken.add(name)
            return name


def seed_demo(today: date) -> list[str]:
    """Create the demo data; returns the console lines with the logins."""
    from voting import services, specs
    from voting.protocol.client import SecretVoter

    rng = random.Random(20270112)
    staff_password = secrets.token_urlsafe(9)
    deputy_password = secrets.token_urlsafe(9)
    db.session.add(
        User(
            username="admin",
            display_name="人大办工作人员",
            role=Role.staff.value,
            password_hash=hash_password(staff_password),
            must_change_password=False,
        )
    )
    units = [LeadUnit(name=n) for n in LEAD_UNITS]
    db.session.add_all(units)
    unit_password = secrets.token_urlsafe(9)
    db.session.add(
        User(
            username="zhujianju",
            display_name=units[0].name,
            role=Role.lead_unit.value,
            lead_unit=units[0],
            password_hash=hash_password(unit_password),
            must_change_password=False,
        )
    )

    congress = Congress(name=DEMO_CONGRESS)
    db.session.add(congress)
    # One hash for every demo deputy: hashing 200 passwords would slow the first run.
    shared_hash = hash_password(deputy_password)
    taken: set[str] = set()
    deputies = []
    for i in range(200):
        delegation = DELEGATIONS[i % len(DELEGATIONS)] + "代表团"
        deputy = Deputy(
            congress=congress,
            code=f"D{i + 1:03d}",
            name=_name(rng, taken),
            delegation=delegation,
            phone=f"139{rng.randrange(10**8):08d}",
        )
        deputies.append(deputy)
        db.session.add(
            User(
                username=deputy.code,
                display_name=deputy.name,
                role=Role.deputy.value,
                deputy=deputy,
                password_hash=shared_hash,
                must_change_password=False,
            )
        )
    last_year = Session(
        congress=congress,
        name="第十八届人大第四次会议",
        starts_on=date(today.year, 1, 12),
        ends_on=date(today.year, 1, 15),
    )
    current = Session(
        congress=congress, name="第十八届人大第五次会议", starts_on=today, ends_on=today + timedelta(days=3)
    )
    db.session.add_all([last_year, current])
    db.session.flush()

    # The closed vote of the last session: 190 checked in, 188 took tokens, 186 cast.
    options = specs.option_list([p[0] for p in PROJECTS])
    titles = [p[0] for p in PROJECTS]
    poll = services.create_poll(
        public_id=f"{today.year}-qingxi-18-4-minsheng",
        title=f"{today.year}年清溪县民生实事项目票决",
        ballot="approval",
        secrecy="secret",
        options=titles,
        poll_rules={"threshold": {"base": "electorate", "more_than": "1/2"}, "seats": 10, "max_yes": 10},
        session=last_year,
        purpose="project_vote",
    ).poll
    present = deputies[:190]
    for deputy in present:
        sessions.check_in(last_year, deputy, method="staff", by=None)
    services.open_poll(poll)
    db.session.commit()
    for deputy in present[:188]:
        voter = SecretVoter(poll.manifest)
        voter.token_response({"blind_sig": services.issue_token(poll, deputy, voter.token_request()["blinded_msg"])})
        if deputy in present[:186]:
            services.cast(poll, voter.ballot(_choices(rng, options)))
    services.close_poll(poll)

    # An open vote of the current session, for trying the ballot page.
    open_poll = services.create_poll(
        public_id=f"{today.year + 1}-qingxi-18-5-minsheng",
        title=f"{today.year + 1}年清溪县民生实事项目票决（演示）",
        ballot="approval",
        secrecy="secret",
        options=titles,
        poll_rules={"threshold": {"base": "electorate", "more_than": "1/2"}, "seats": 10, "max_yes": 10},
        session=current,
        purpose="project_vote",
    ).poll
    for deputy in deputies[:20]:
        sessions.check_in(current, deputy, method="staff", by=None)
    services.open_poll(open_poll)
    db.session.commit()
    from assessments.demo import seed_demo as seed_assessments
    from deliberation.demo import seed_demo as seed_meetings
    from projects.demo import seed_demo as seed_projects

    extra = seed_projects(today)
    db.session.commit()
    extra += seed_meetings(today)
    db.session.commit()
    extra += seed_assessments(today)
    db.session.commit()
    return [
        "Yishi demo ready / 演示数据已就绪",
        f"  staff 工作人员:      admin / {staff_password}",
        f"  deputies 代表:       D001 … D200 / {deputy_password}  (D001–D020 checked in 已签到)",
        f"  lead unit 承办单位:  zhujianju / {unit_password}",
        f"  closed poll 已结束:  /polls/{poll.public_id}",
        f"  open poll 投票中:    /polls/{open_poll.public_id}",
        *extra,
    ]


def _set_password(users: list[User]) -> str:
    """One new random password for ``users`` (one hash: the demo has hundreds)."""
    password = secrets.token_urlsafe(9)
    shared_hash = hash_password(password)
    for user in users:
        user.password_hash = shared_hash
        user.must_change_password = False
        user.is_enabled = True
    return password


def reset_logins() -> list[str]:
    """New passwords for the demo's own accounts, and the console lines that name them
    (for a newcomer who restarts the demo and no longer has the first run's output).

    Refused (LookupError) in a database without the demo congress, so that a real
    ``admin`` account is never touched. The caller commits."""
    from assessments.demo import COMMITTEE

    congress = db.session.scalar(select(Congress).where(Congress.name == DEMO_CONGRESS))
    if congress is None:
        raise LookupError("no demo data in this database (run `flask --app app demo` on an empty database)")

    def deputies_of(name: str) -> list[User]:
        return list(
            db.session.scalars(
                select(User).join(Deputy, User.deputy_id == Deputy.id).join(Congress).where(Congress.name == name)
            )
        )

    staff = db.session.scalars(select(User).where(User.username == "admin", User.role == Role.staff.value)).all()
    unit = db.session.scalars(select(User).where(User.username == "zhujianju", User.role == Role.lead_unit.value)).all()
    deputies, members = deputies_of(DEMO_CONGRESS), deputies_of(COMMITTEE)
    lines = [
        "Yishi demo logins, with new passwords / 演示账号（已重设密码）",
        f"  staff 工作人员:      admin / {_set_password(staff)}",
        f"  deputies 代表:       D001 … D{len(deputies):03d} / {_set_password(deputies)}",
        f"  lead unit 承办单位:  zhujianju / {_set_password(unit)}",
    ]
    if members:
        lines.append(f"  standing committee 常委会: members C001 … C{len(members):03d} / {_set_password(members)}")
    audit.record("demo.logins_reset", "congress", congress.id, {"accounts": len(staff + unit + deputies + members)})
    return lines


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
