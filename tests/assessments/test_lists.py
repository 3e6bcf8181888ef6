"""The public lists of assessments and rectification items over HTTP: search, filters,
pages that keep the filters, bad values never failing."""

from __future__ import annotations

import re
from datetime import date

import pytest

from assessments import services
from assessments.models import Rectification
from extensions import db
from tests.assessments.factories import public_assessment

TITLES = {"城区公众满意度测评", "供水服务测评"}


def _text(response) -> str:
    return response.get_data(as_text=True)


def _shown(html: str, names=TITLES) -> set[str]:
    return {t for t in names if f">{t}</a>" in html}


@pytest.fixture
def surveys(app):
    """One open assessment (2027, two subjects) and one closed (2026, water supply)."""
    city, _codes = public_assessment(3, ["县交通局工作报告", "县教育局工作报告"], title="城区公众满意度测评")
    water, _codes = public_assessment(3, ["城区供水"], title="供水服务测评")
    water.year = 2026
    services.close_assessment(water, date(2026, 12, 1))
    public_assessment(3, ["草稿对象"], title="尚未开始的测评", open_=False)
    db.session.commit()
    return city, water


def test_assessments_are_searched_and_filtered(client, surveys):
    assert _shown(_text(client.get("/assessments/"))) == TITLES
    assert ">尚未开始的测评<" not in _text(client.get("/assessments/"))
    assert _shown(_text(client.get("/assessments/?q=供水"))) == {"供水服务测评"}
    assert _shown(_text(client.get("/assessments/?q=教育局"))) == {"城区公众满意度测评"}  # a subject
    assert _shown(_text(client.get("/assessments/?year=2026"))) == {"供水服务测评"}
    assert _shown(_text(client.get("/assessments/?state=open"))) == {"城区公众满意度测评"}
    assert _shown(_text(client.get("/assessments/?state=closed"))) == {"供水服务测评"}
    none = _text(client.get("/assessments/?raters=deputies"))
    assert _shown(none) == set() and "没有符合条件的结果" in none


def _rectify(subject, reason: str, responsible: str, *, state: str = "open", follow_up: str | None = None):
    db.session.add(
        Rectification(
            subject=subject,
            reason=reason,
            responsible=responsible,
            due_on=date(2028, 3, 31),
            state=state,
            follow_up=follow_up,
        )
    )


ITEMS = {"县交通局工作报告", "县教育局工作报告"}


def test_rectifications_are_searched_and_filtered(client, surveys):
    city, _water = surveys
    traffic, school = city.subjects
    _rectify(traffic, "basic", "县交通运输局")
    _rectify(school, "dissatisfied", "县教育局", state="reported", follow_up="已在校门口加装护栏")
    db.session.commit()
    url = "/assessments/rectifications"
    assert _shown(_text(client.get(url)), ITEMS) == ITEMS
    assert _shown(_text(client.get(url + "?q=护栏")), ITEMS) == {"县教育局工作报告"}  # the follow-up
    assert _shown(_text(client.get(url + "?unit=县交通运输局")), ITEMS) == {"县交通局工作报告"}
    assert _shown(_text(client.get(url + "?reason=dissatisfied")), ITEMS) == {"县教育局工作报告"}
    assert _shown(_text(client.get(url + "?state=open")), ITEMS) == {"县交通局工作报告"}
    assert _shown(_text(client.get(url + "?year=2027")), ITEMS) == ITEMS
    assert _shown(_text(client.get(url + "?year=2027&state=reported")), ITEMS) == {"县教育局工作报告"}


def test_rectifications_are_paged_with_the_filters(app, client):
    titles = [f"对象{i:02d}" for i in range(24)]
    survey, _codes = public_assessment(3, titles, title="大量对象的测评")
    for subject in survey.subjects:
        _rectify(subject, "basic", "县民政局")
    db.session.commit()
    first = _text(client.get("/assessments/rectifications?unit=县民政局"))
    assert "找到 24 条符合条件的结果" in first and ">对象00</a>" in first and ">对象20</a>" not in first
    nxt = [h.replace("&amp;", "&") for h in re.findall(r'<a href="([^"]+)" rel="next"', first)]
    assert nxt and "unit=" in nxt[0] and "page=2" in nxt[0]
    second = _text(client.get(nxt[0]))
    assert ">对象20</a>" in second and ">对象23</a>" in second and ">对象00</a>" not in second


@pytest.mark.parametrize(
    "bad", [{"state": "nope"}, {"page": "abc"}, {"page": "99999"}, {"year": "-1"}, {"raters": "x"}, {"unit": "无"}]
)
def test_bad_values_answer_the_list(client, surveys, bad):
    for url in ("/assessments/", "/assessments/rectifications"):
        response = client.get(url, query_string=bad)
        assert response.status_code == 200, (url, bad)
    assert _shown(_text(client.get("/assessments/", query_string=bad))) == TITLES
