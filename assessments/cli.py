"""``flask assessment …``: list and close assessments, list overdue suggestions,
import a standing committee's roster."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from assessments import services, suggestions
from assessments.models import Assessment, StandingCommittee
from assessments.services import AssessmentError
from core.errors import DomainError
from core.models import Congress
from core.roster import import_roster
from core.times import local_today
from extensions import db

assessment_cli = AppGroup("assessment", help="Satisfaction assessments and deputies' suggestions.")


def _fail(text: str):
    db.session.rollback()
    raise click.ClickException(text)


@assessment_cli.command("list")
def list_assessments():
    """Every assessment with its state."""
    for a in services.staff_assessments():
        click.echo(f"{a.id}\t{a.year}\t{a.state}\t{a.raters}\t{len(a.subjects)}\t{a.title}")


@assessment_cli.command("close")
@click.argument("assessment_id", type=int)
def close(assessment_id: int):
    """Close an open assessment and create its rectification items."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        _fail(f"no assessment {assessment_id}")
    try:
        items = services.close_assessment(assessment)
    except DomainError as exc:  # the assessment's rules or its poll's
        _fail(exc.message)
    db.session.commit()
    click.echo(f"closed; {len(items)} rectification item(s)")


@assessment_cli.command("overdue")
def overdue():
    """Deputies' suggestions past their deadline or due within two weeks."""
    data = suggestions.due_and_overdue(local_today())
    for label, items in (("overdue", data["overdue"]), ("due", data["due_soon"])):
        for s in items:
            unit = s.lead_unit.name if s.lead_unit else "-"
            click.echo(f"{label}\t{s.id}\t{s.due_on.isoformat()}\t{unit}\t{s.title}")


@assessment_cli.command("import-committee")
@click.argument("name")
@click.argument("csv_file", type=click.File("rb"))
def import_committee(name: str, csv_file):
    """Create the standing committee NAME if needed and import its members from CSV."""
    committee = db.session.scalar(select(StandingCommittee).join(Congress).where(Congress.name == name))
    try:
        committee = committee or services.create_committee(name)
    except AssessmentError as exc:
        _fail(exc.message)
    result = import_roster(committee.congress, csv_file.read())
    if not result.ok:
        _fail("\n".join(f"line {line}: {text}" for line, text in result.errors))
    db.session.commit()
    for deputy, password in result.created:
        click.echo(f"{deputy.code}\t{deputy.name}\t{password}")
