"""The demo seeds a committee assessment, a public one and suggestions in every state."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from assessments.demo import seed_demo
from assessments.models import Assessment, DeputySuggestion, Rectification
from core.models import LeadUnit, User
from extensions import db
from tests.factories import FAST_HASH, make_congress


def test_seed_demo(app, client, backend):
    if backend["kind"] != "sqlite":
        pytest.skip("the demo is seeded once per backend run; SQLite is enough to check it (time budget)")
    app.config["YISHI_PASSWORD_METHOD"] = FAST_HASH
    make_congress(6, name="清溪县第十八届人民代表大会")
    unit = LeadUnit(name="县住房和城乡建设局")
    db.session.add_all(
        [
            unit,
            User(
                username="zhujianju",
                display_name=unit.name,
                role="lead_unit",
                lead_unit=unit,
                password_hash=generate_password_hash("x", method=FAST_HASH),
            ),
        ]
    )
    db.session.commit()
    lines = seed_demo(date(2027, 11, 20))
    assert any("C001" in line for line in lines)
    reports, public = db.session.scalars(select(Assessment).order_by(Assessment.id)).all()
    assert reports.state == "closed" and public.state == "closed"
    assert reports.poll.result["cast"] == 37 and reports.poll.manifest["electorate"] == 40
    assert public.poll.result["cast"] == 86 and public.poll.manifest["electorate"] == 120
    grades = [o["grade"] for o in reports.poll.result["options"]]
    assert grades == ["satisfied", "basic", "dissatisfied"]
    assert {r.reason for r in db.session.scalars(select(Rectification))} >= {"basic", "dissatisfied"}
    court = next(s for s in reports.subjects if s.body_type == "court")
    document = client.get(f"/assessments/subjects/{court.id}/document")
    assert document.mimetype == "application/pdf" and document.data.startswith(b"%PDF-")
    states = sorted(s.state for s in db.session.scalars(select(DeputySuggestion)))
    assert states == ["closed", "filed", "handling", "handling", "handling", "replied"]
    for url in (
        f"/assessments/{reports.id}",
        f"/assessments/{public.id}",
        "/assessments/year/2027",
        "/assessments/rectifications",
    ):
        assert client.get(url).status_code == 200, url
