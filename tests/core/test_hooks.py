"""The packages contribute navigation, dashboard cards and page sections through one
registry (``core.hooks``); core never imports a pillar; each role sees exactly its links."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from assessments import services as assessments
from core import hooks
from core.hooks import Page, Panel
from core.models import Deputy, LeadUnit, User
from extensions import db
from tests.factories import FAST_HASH, PASSWORD, login, make_congress, make_user
from tests.voting.factories import approval_poll

ROOT = Path(__file__).resolve().parents[2]
PILLARS = {"voting", "projects", "assessments", "deliberation", "bench"}

PUBLIC = [
    ("/projects", "民生实事"),
    ("/polls", "票决结果"),
    ("/assessments/", "满意度测评"),
    ("/meetings/", "议事会议"),
    ("/verify", "如何核验"),
]
DEPUTY = [("/me", "我的"), ("/assessments/suggestions/mine", "我的建议")]
NAV = {
    "anonymous": [*PUBLIC, ("/login", "登录")],
    "deputy": [*PUBLIC, *DEPUTY],
    "committee": [*PUBLIC, *DEPUTY],  # members of a standing committee log in as deputies
    "staff": [*PUBLIC, ("/dashboard", "工作台")],
    "lead_unit": [*PUBLIC, ("/assessments/unit/suggestions", "代表建议办理"), ("/staff/meetings/unit", "意见办理")],
}
NAV_EN_LEAD_UNIT = [
    "Livelihood projects",
    "Results",
    "Satisfaction assessment",
    "Deliberative meetings",
    "How to verify",
    "Handling of deputies' suggestions",
    "Opinion handling",
]
DASHBOARD_CARDS = [
    "人民代表大会与代表名册",
    "投票",
    "民生实事项目",
    "代表建议与整改",
    "议事会议与跟踪督办",
    "后台任务",
    "审计日志",
]


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_core_imports_no_pillar_and_the_app_factory_no_bench():
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & PILLARS) for path in (ROOT / "core").glob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert "bench" not in imported_packages(ROOT / "app.py")


def test_the_import_scan_sees_a_lazy_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from voting.services import public_polls\n    import projects.demo\n")
    assert imported_packages(module) == {"voting", "projects"}


def nav_links(html: str) -> list[tuple[str, str]]:
    """(href, text) of the main navigation's links, without the language switch."""
    nav = re.search(r'<nav aria-label="[^"]*">(.*?)</nav>', html, re.S).group(1)
    nav = re.sub(r'<li class="lang">.*?</li>', "", nav, flags=re.S)
    return [(href, text.replace("&#39;", "'")) for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', nav)]


def make_accounts() -> None:
    """A deputy (D001), a staff member, a lead unit's account and a committee member."""
    make_congress(2)
    make_user("staff1")
    unit = LeadUnit(name="县住房和城乡建设局")
    db.session.add(unit)
    db.session.add(
        User(
            username="unit1",
            display_name=unit.name,
            role="lead_unit",
            lead_unit=unit,
            password_hash=generate_password_hash(PASSWORD, method=FAST_HASH),
            must_change_password=False,
        )
    )
    committee = assessments.create_committee("测试县人大常委会")
    member = Deputy(congress=committee.congress, code="C001", name="周国强", delegation="常委会")
    db.session.add(member)
    db.session.commit()
    make_user("C001", "deputy", deputy=member)


def test_each_role_sees_exactly_its_navigation(app):
    make_accounts()
    users = {"anonymous": None, "deputy": "D001", "committee": "C001", "staff": "staff1", "lead_unit": "unit1"}
    for role, username in users.items():
        client = app.test_client()
        if username:
            assert login(client, username).status_code == 302, role
        assert nav_links(client.get("/").get_data(as_text=True)) == NAV[role], role
        if role == "lead_unit":
            client.get("/lang/en")
            english = [text for _href, text in nav_links(client.get("/").get_data(as_text=True))]
            assert english == NAV_EN_LEAD_UNIT


def test_the_dashboard_shows_every_packages_card_in_order(app, staff_client):
    congress, session = make_congress(3)
    poll = approval_poll(session, public_id="2027-card-test")
    html = staff_client.get("/dashboard").get_data(as_text=True)
    cards = re.findall(r'<section class="card"[^>]*>\s*<h2[^>]*>([^<]*)</h2>', html)
    assert cards == DASHBOARD_CARDS
    assert congress.name in html  # core's card
    assert f'href="/staff/polls/{poll.id}">{poll.title}</a>' in html  # voting's card, from its own partial


def test_home_and_deputy_pages_show_the_polls_through_voting_sections(app, client):
    congress, session = make_congress(3)
    poll = approval_poll(session, public_id="2027-section-test")
    home = client.get("/").get_data(as_text=True)
    assert "最近的投票" in home and f'href="/polls/{poll.public_id}">{poll.title}</a>' in home
    assert login(client, "D001").status_code == 302
    me = client.get("/me").get_data(as_text=True)
    assert "正在进行的投票" in me and f'href="/polls/{poll.public_id}/vote">{poll.title}</a>' in me


def test_a_panel_computes_its_context_only_when_its_page_renders(app, staff_client):
    calls = []

    def context():
        calls.append(1)
        return {}

    hooks.registry(app).add_panel(Page.DASHBOARD, Panel("core/_dashboard_audit.html", context, order=5))
    assert staff_client.get("/").status_code == 200 and calls == []
    assert staff_client.get("/dashboard").status_code == 200 and calls == [1]


def test_the_demo_seeders_run_in_the_order_the_data_needs(app):
    assert [s.name for s in hooks.registry(app).demo] == ["core", "projects", "deliberation", "assessments"]


def test_a_template_name_is_registered_once(app):
    with pytest.raises(ValueError, match="zone_name"):
        hooks.registry(app).add_template_global("zone_name", lambda: "x")
