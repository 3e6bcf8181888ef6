"""The project commands count days as the site does: in the congress's zone, or on
the day ``YISHI_TODAY`` fixes."""

from __future__ import annotations

from datetime import date

from extensions import db
from tests.projects.factories import add_candidates


def test_late_lists_elected_projects_past_their_date_on_local_today(cycle_app, units, runner):
    (project,) = add_candidates(units, ["农村公路提升"])  # planned for 2027-12-31
    project.status = "elected"
    db.session.commit()

    cycle_app.config["YISHI_TODAY"] = date(2027, 12, 31)
    on_time = runner.invoke(args=["projects", "late"])
    assert on_time.exit_code == 0, on_time.output
    assert "农村公路提升" not in on_time.output

    cycle_app.config["YISHI_TODAY"] = "2028-01-01"
    late = runner.invoke(args=["projects", "late"])
    assert late.exit_code == 0, late.output
    assert late.output.startswith(f"{project.id}\t2027\t0%\t2027-12-31\t农村公路提升")
