"""Hostile input to every POST route of the site, on the demo data, for every role:
random values for every form field name the site knows. Never a 500."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.models import AuditEntry
from extensions import db
from tests.factories import csrf_token
from tests.reliability.test_access_control import _url, demo_clients  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def field_names() -> list[str]:
    """Every field name of every form class of the site."""
    from flask_wtf import FlaskForm

    import assessments.forms  # noqa: F401
    import core.forms  # noqa: F401
    import deliberation.forms  # noqa: F401
    import projects.forms  # noqa: F401
    import voting.forms  # noqa: F401

    names: set[str] = set()
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        names.update(name for name, value in vars(cls).items() if hasattr(value, "field_class"))
    return sorted(names)


values = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "99999999999999999999",
            "2027-02-30",
            "1/0",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "\u202e",
            "x" * 5000,
            "1",
            "yes",
            "on",
            "D001",
            "2026-12-01T09:00",
        ]
    ),
)


def test_random_posts_to_every_route(app, demo_clients):  # noqa: F811  (the imported fixture)
    clients, year, poll_id = demo_clients
    names = field_names()
    assert len(names) > 40
    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and rule.endpoint not in ("auth.logout", "auth.login")
        and not rule.endpoint.startswith("voting_api.")
    ]
    tokens = {
        role: csrf_token(client, "/password" if role != "anonymous" else "/login") for role, client in clients.items()
    }
    failures: list[str] = []

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        rule=st.sampled_from(routes),
        role=st.sampled_from(sorted(clients)),
        data=st.dictionaries(st.sampled_from(names), values, max_size=10),
        with_file=st.booleans(),
    )
    def run(rule, role, data, with_file):
        url = _url(app, rule, year, poll_id)
        form = dict(data, csrf_token=tokens[role])
        if with_file:
            form["file"] = (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(200)), "x.png")
        response = clients[role].post(url, data=form, content_type="multipart/form-data")
        if response.status_code >= 500:
            failures.append(f"POST {url} as {role} with {sorted(data)}: {response.status_code}")

    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    run()
    assert not failures, "\n".join(failures[:20])
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) >= audit_before
