"""The roster and a session's check-in roster are searched and paged on the server
(issue 14): the URL carries the query and the page; no page past the last, no 500."""

from __future__ import annotations

from sqlalchemy import select

from core.models import CheckIn
from extensions import db
from tests.factories import csrf_token, make_congress


def test_roster_searches_and_pages(staff_client):
    congress, _session = make_congress(120)
    url = f"/congresses/{congress.id}"
    first = staff_client.get(url).get_data(as_text=True)
    assert "D001" in first and "D050" in first and "D051" not in first
    assert "第 1 / 3 页" in first and "page=2" in first
    assert "（120）" in first  # the roster's size, not the page's
    third = staff_client.get(f"{url}?page=3").get_data(as_text=True)
    assert "D120" in third and "D001" not in third

    found = staff_client.get(f"{url}?q=D07").get_data(as_text=True)
    assert "D070" in found and "D079" in found and "D080" not in found and "第 1 / 1 页" not in found
    name = congress.deputies[41].name
    assert congress.deputies[41].code in staff_client.get(f"{url}?q={name}").get_data(as_text=True)
    assert "第3代表团" in staff_client.get(f"{url}?q=第3代表团").get_data(as_text=True)

    empty = staff_client.get(f"{url}?q=没有这个人")
    assert empty.status_code == 200 and "没有找到与“没有这个人”相符的记录" in empty.get_data(as_text=True)
    for bad in ("abc", "0", "-1", "99999999999", "１"):
        assert staff_client.get(f"{url}?page={bad}").status_code == 200, bad
    late = staff_client.get(f"{url}?page=4")
    assert late.status_code == 404 and "共 3 页" in late.get_data(as_text=True)
    assert staff_client.get(f"{url}?q=%25").status_code == 200
    assert "D001" not in staff_client.get(f"{url}?q=%25").get_data(as_text=True)  # % is taken literally


def test_session_roster_searches_pages_and_checks_in_from_a_search(staff_client):
    congress, session = make_congress(80)
    url = f"/sessions/{session.id}"
    first = staff_client.get(url).get_data(as_text=True)
    assert "第 1 / 2 页" in first
    assert staff_client.get(f"{url}?page=2").status_code == 200
    assert staff_client.get(f"{url}?page=3").status_code == 404
    found = staff_client.get(f"{url}?q=D066").get_data(as_text=True)
    assert "D066" in found and "D065" not in found
    token = csrf_token(staff_client, url)
    r = staff_client.post(f"{url}/checkin", data={"code": "D066", "q": "D066", "csrf_token": token})
    assert r.status_code == 302 and "q=D066" in r.headers["Location"]
    assert db.session.scalar(select(CheckIn.deputy_id)) == next(d.id for d in congress.deputies if d.code == "D066")
    assert "没有找到" in staff_client.get(f"{url}?q=zzz").get_data(as_text=True)
