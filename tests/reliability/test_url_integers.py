"""Integers in URLs: every <int:…> route answers 404 for a number no database row can
have (PostgreSQL would refuse it with an error), and never a 5xx for the largest one it
can."""

from __future__ import annotations

import pytest
from flask import url_for

from core.routing import DB_INT_MAX, DatabaseIntConverter
from tests.factories import csrf_token

OTHER_ARGUMENTS = {
    "poll_id": "no-such-poll",
    "code": "zh",
    "kind": "results",
    "fmt": "json",
    "name": "x.png",
    "secret": "not-the-secret",
    "filename": "css/site.css",
    "held_id": "not-held-here",
}


def integer_routes(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(rule._converters[name], DatabaseIntConverter) for name in rule.arguments)
    ]


def url_with(app, rule, number: int) -> str:
    """The rule's URL with ``number`` for every integer argument (url_for itself refuses
    numbers beyond the converter's bound, so a placeholder is replaced)."""
    placeholder = 7654321
    args = {
        name: placeholder if isinstance(rule._converters[name], DatabaseIntConverter) else OTHER_ARGUMENTS[name]
        for name in rule.arguments
    }
    with app.test_request_context():
        return url_for(rule.endpoint, **args).replace(str(placeholder), str(number))


def test_the_issues_examples_are_404(client):
    for url in (
        "/projects/99999999999999999999999",
        "/projects/p/99999999999999999999999",
        "/assessments/year/9999999999999",
        "/meetings/99999999999999999/draw.json",
        f"/staff/polls/{DB_INT_MAX + 1}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.slow
def test_every_integer_route_is_404_beyond_the_database_and_never_5xx_within(app, client, staff_client):
    routes = integer_routes(app)
    assert len(routes) > 60
    anonymous = app.test_client()
    token = csrf_token(staff_client, "/dashboard")
    problems = []
    for rule in routes:
        for number in (DB_INT_MAX + 1, 10**23):
            url = url_with(app, rule, number)
            assert str(number) in url, url
            for method in sorted(rule.methods & {"GET", "POST"}):
                status = staff_client.open(url, method=method, data={"csrf_token": token}).status_code
                if status != 404:
                    problems.append(f"{method} {url} as staff: {status}, not 404")
                if method == "GET" and anonymous.get(url).status_code != 404:
                    problems.append(f"GET {url} anonymously: not 404")
        url = url_with(app, rule, DB_INT_MAX)
        for method in sorted(rule.methods & {"GET", "POST"}):
            status = staff_client.open(url, method=method, data={"csrf_token": token}).status_code
            if status >= 500:
                problems.append(f"{method} {url} as staff: {status}")
    assert not problems, "\n".join(problems)


def test_query_string_integers_beyond_the_database(staff_client):
    assert staff_client.get("/audit?page=99999999999999999999999").status_code == 200
    page = staff_client.get("/staff/projects/2027/candidates/new?from=99999999999999999999&from=²&from=1")
    assert page.status_code == 200
    # Longer than Python's int() takes (4,300 digits), and full-width digits: no 500.
    huge = "9" * 5000
    assert staff_client.get(f"/staff/projects/2027/candidates/new?from={huge}&from=１２").status_code == 200
    assert staff_client.get(f"/congresses/{huge}").status_code == 404
    assert staff_client.get("/congresses/１").status_code == 404
