"""The public lists of the project cycle over HTTP: every project (search, year, status,
lead unit), a call's suggestions (search, category, status) and the progress board
(search, lead unit, schedule); pages keep the filters; bad values never fail."""

from __future__ import annotations

import re
from datetime import date

import pytest

from extensions import db
from projects import services
from projects.models import ProjectStatus
from tests.projects.factories import TODAY, YEAR, add_candidates

BAD = [
    {"status": "nope"},
    {"page": "abc"},
    {"page": "99999"},
    {"year": "-1"},
    {"unit": "x"},
    {"page": "-3"},
    {"page": "²"},
    {"q": "%_" * 80},
    {"category": ""},
]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'<a href="([^"]+)"', html)]


@pytest.fixture
def projects(cycle_app, units):
    """2027: 校园护栏 (elected, 交通局), 老年食堂 (not elected, 教育局), 乡村道路 (candidate,
    民政局); 2026: 城区路灯 (elected, 交通局)."""
    made = add_candidates(units, ["校园护栏", "老年食堂", "乡村道路"])
    made[0].status = ProjectStatus.ELECTED
    made[1].status = ProjectStatus.NOT_ELECTED
    older = add_candidates(units, ["城区路灯"], year=YEAR - 1)
    older[0].status = ProjectStatus.ELECTED
    db.session.commit()
    return made + older


ALL = {"校园护栏", "老年食堂", "乡村道路", "城区路灯"}


def _shown(html: str, titles=ALL) -> set[str]:
    return {t for t in titles if t in html}


def test_every_project_is_searched_and_filtered(client, projects, units):
    assert _shown(_text(client.get("/projects"))) == ALL
    assert _shown(_text(client.get("/projects?q=食堂"))) == {"老年食堂"}
    # The lead unit's name and the description are searched too.
    assert _shown(_text(client.get("/projects?q=民政局"))) == {"乡村道路"}
    assert _shown(_text(client.get(f"/projects?year={YEAR - 1}"))) == {"城区路灯"}
    assert _shown(_text(client.get("/projects?status=elected"))) == {"校园护栏", "城区路灯"}
    assert _shown(_text(client.get(f"/projects?unit={units[0].id}"))) == {"校园护栏", "城区路灯"}
    both = _text(client.get(f"/projects?status=elected&year={YEAR}"))
    assert _shown(both) == {"校园护栏"} and "找到 1 条符合条件的结果" in both
    assert '<option value="elected" selected>' in both
    none = _text(client.get("/projects?q=不存在的项目"))
    assert _shown(none) == set() and "没有符合条件的结果" in none and "找到 0 条" in none


def test_suggestions_are_searched_and_filtered(client, call):
    made = {}
    for title, category, place in [
        ("学校门口加装护栏", "education", "城关镇"),
        ("社区老年食堂", "elderly_care", "白鹭镇"),
        ("修缮村口道路", "transport", "白鹭镇"),
    ]:
        s, _code = services.submit_suggestion(
            call,
            today=TODAY,
            title=title,
            description="具体内容",
            category=category,
            location=place,
            name=None,
            phone=None,
        )
        services.approve_suggestion(s)
        made[title] = s
    services.accept_suggestion(made["社区老年食堂"])
    db.session.commit()
    titles = set(made)
    url = f"/projects/{YEAR}/suggestions"
    assert _shown(_text(client.get(url)), titles) == titles
    assert _shown(_text(client.get(url + "?q=白鹭")), titles) == {"社区老年食堂", "修缮村口道路"}
    assert _shown(_text(client.get(url + "?category=transport")), titles) == {"修缮村口道路"}
    assert _shown(_text(client.get(url + "?status=accepted")), titles) == {"社区老年食堂"}
    assert _shown(_text(client.get(url + "?q=白鹭&status=pending")), titles) == {"修缮村口道路"}


def test_the_progress_board_is_searched_and_filtered(client, projects, units):
    late = projects[0]
    late.planned_completion = date(YEAR, 1, 31)
    db.session.commit()
    url = f"/projects/{YEAR}/progress"
    assert _shown(_text(client.get(url))) == {"校园护栏"}
    # The board is for elected projects only; nothing else appears with a filter.
    assert _shown(_text(client.get(url + "?q=护栏"))) == {"校园护栏"}
    assert _shown(_text(client.get(url + "?q=食堂"))) == set()
    assert _shown(_text(client.get(url + f"?unit={units[1].id}"))) == {"校园护栏"}  # unknown here: ignored
    assert "无效的筛选条件已忽略" in _text(client.get(url + f"?unit={units[1].id}"))
    assert _shown(_text(client.get(url + f"?unit={units[0].id}"))) == {"校园护栏"}
    assert _shown(_text(client.get(url + "?schedule=done"))) == set()
    assert _shown(_text(client.get(url + "?schedule=on_time"))) == {"校园护栏"}


def test_pages_keep_the_filters_and_page_two_goes_on(cycle_app, client, units):
    add_candidates(units, [f"道路改造{i:02d}" for i in range(25)] + [f"食堂建设{i:02d}" for i in range(3)])
    first = _text(client.get("/projects?q=道路改造"))
    assert "找到 25 条符合条件的结果" in first and "第 1–20 条" in first
    assert "道路改造00" in first and "道路改造19" in first and "道路改造20" not in first
    pages = [link for link in _links(first) if "page=" in link]
    assert pages and all("q=%E9%81%93%E8%B7%AF%E6%94%B9%E9%80%A0" in link for link in pages)
    assert 'aria-current="page"' in first and 'aria-label="分页"' in first
    second = _text(client.get(pages[-1]))  # "next"
    assert "道路改造20" in second and "道路改造24" in second and "道路改造19" not in second
    assert "食堂建设" not in second.split('id="project-list"')[1]
    assert 'aria-current="page" aria-label="第 2 页"' in second


@pytest.mark.parametrize("bad", BAD, ids=lambda b: "-".join(f"{k}={v[:8]}" for k, v in b.items()))
def test_bad_values_answer_the_list_never_a_failure(client, projects, call, bad):
    for url in ("/projects", f"/projects/{YEAR}/suggestions", f"/projects/{YEAR}/progress"):
        response = client.get(url, query_string=bad)
        assert response.status_code == 200, (url, bad)
    # An unknown value is named and ignored: the list is unfiltered on that field.
    page = _text(client.get("/projects?status=nope"))
    assert _shown(page) == ALL and "无效的筛选条件已忽略：状态" in page
    # Past the last page: the last page.
    assert _shown(_text(client.get("/projects?page=99999"))) == ALL


def test_the_filters_read_in_english(client, projects):
    client.get("/lang/en")
    page = _text(client.get("/projects?q=nothing-like-this"))
    assert "No results match." in page and "Search" in page and "Filter" in page
