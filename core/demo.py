"""The demo: a realistic county congress with its roster, sessions, staff and lead
units; and ``seed_demo``, which runs every package's part in order (each package
registers its own seeder with ``core.hooks``: the project vote with ballots cast through
the real protocol, the project cycle, the meetings, the assessments)."""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from sqlalchemy import select

from core import audit, hooks
from core.hooks import DemoLogins, DemoRun
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
LAST_SESSION = "第十八届人大第四次会议"  # the demo vote's session, in January
CURRENT_SESSION = "第十八届人大第五次会议"  # today's session, with an open vote


def _name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in taken:
            taken.add(name)
            return name


def seed_demo(today: date) -> list[str]:
    """Create the whole demo: every registered seeder in order, each committed; returns
    the console lines with the logins."""
    run = DemoRun(today)
    lines: list[str] = []
    for seeder in hooks.registry().demo:
        lines += seeder.seed(run)
        db.session.commit()
    return lines


def seed_core(run: DemoRun) -> list[str]:
    """Core's part: the staff account, the lead units and one of their accounts, the
    congress with 200 deputies, last January's session and today's."""
    rng, today = run.rng, run.today
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
    for i in range(200):
        delegation = DELEGATIONS[i % len(DELEGATIONS)] + "代表团"
        deputy = Deputy(
            congress=congress,
            code=f"D{i + 1:03d}",
            name=_name(rng, taken),
            delegation=delegation,
            phone=f"139{rng.randrange(10**8):08d}",
        )
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
        name=LAST_SESSION,
        starts_on=date(today.year, 1, 12),
        ends_on=date(today.year, 1, 15),
    )
    current = Session(congress=congress, name=CURRENT_SESSION, starts_on=today, ends_on=today + timedelta(days=3))
    db.session.add_all([last_year, current])
    db.session.flush()
    return [
        "Yishi demo ready / 演示数据已就绪",
        f"  staff 工作人员:      admin / {staff_password}",
        f"  deputies 代表:       D001 … D200 / {deputy_password}  (D001–D020 checked in 已签到)",
        f"  lead unit 承办单位:  zhujianju / {unit_password}",
    ]


def demo_session(name: str) -> Session:
    """One of the demo congress's two sessions (``LAST_SESSION``, ``CURRENT_SESSION``)."""
    return db.session.scalar(select(Session).join(Congress).where(Congress.name == DEMO_CONGRESS, Session.name == name))


def set_password(users: list[User]) -> str:
    """One new random password for ``users`` (one hash: the demo has hundreds)."""
    password = secrets.token_urlsafe(9)
    shared_hash = hash_password(password)
    for user in users:
        user.password_hash = shared_hash
        user.must_change_password = False
        user.is_enabled = True
    return password


def accounts_of(congress_name: str) -> list[User]:
    """The deputies' accounts of the congress called ``congress_name``."""
    return list(
        db.session.scalars(
            select(User).join(Deputy, User.deputy_id == Deputy.id).join(Congress).where(Congress.name == congress_name)
        )
    )


def core_logins() -> DemoLogins:
    """New passwords for the staff account, the deputies and the lead unit's account."""
    staff = db.session.scalars(select(User).where(User.username == "admin", User.role == Role.staff.value)).all()
    unit = db.session.scalars(select(User).where(User.username == "zhujianju", User.role == Role.lead_unit.value)).all()
    deputies = accounts_of(DEMO_CONGRESS)
    lines = [
        f"  staff 工作人员:      admin / {set_password(staff)}",
        f"  deputies 代表:       D001 … D{len(deputies):03d} / {set_password(deputies)}",
        f"  lead unit 承办单位:  zhujianju / {set_password(unit)}",
    ]
    return DemoLogins(lines, len(staff) + len(unit) + len(deputies))


def reset_logins() -> list[str]:
    """New passwords for the demo's own accounts, and the console lines that name them
    (for a newcomer who restarts the demo and no longer has the first run's output);
    each package resets its own accounts (``DemoSeeder.logins``).

    Refused (LookupError) in a database without the demo congress, so that a real
    ``admin`` account is never touched. The caller commits."""
    congress = db.session.scalar(select(Congress).where(Congress.name == DEMO_CONGRESS))
    if congress is None:
        raise LookupError("no demo data in this database (run `flask --app app demo` on an empty database)")
    lines = ["Yishi demo logins, with new passwords / 演示账号（已重设密码）"]
    accounts = 0
    for seeder in hooks.registry().demo:
        if seeder.logins is not None:
            part = seeder.logins()
            lines += part.lines
            accounts += part.accounts
    audit.record("demo.logins_reset", "congress", congress.id, {"accounts": accounts})
    return lines
