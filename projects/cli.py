"""``flask projects …``: import candidates, list late projects, export open data."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from core.times import local_today
from extensions import db

projects_cli = AppGroup("projects", help="民生实事项目 / livelihood projects")


@projects_cli.command("import-candidates")
@click.argument("year", type=int)
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_candidates(year: int, csv_file: Path) -> None:
    """Import YEAR's candidate projects from CSV_FILE (UTF-8 or GBK), all or nothing."""
    from projects.imports import import_candidates as run

    result = run(year, csv_file.read_bytes())
    if not result.ok:
        db.session.rollback()
        for line, text in result.errors:
            click.echo(f"line {line}: {text}", err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo(f"imported {len(result.created)} candidates for {year}")


@projects_cli.command("late")
def late() -> None:
    """List elected projects past their planned completion date and not done."""
    from projects.progress import late_projects

    for project in late_projects(local_today()):
        click.echo(f"{project.id}\t{project.year}\t{project.percent}%\t{project.planned_completion}\t{project.title}")


@projects_cli.command("export")
@click.argument("year", type=int)
@click.argument("kind", type=click.Choice(["suggestions", "candidates", "results", "progress"]))
def export(year: int, kind: str) -> None:
    """Print YEAR's open data of KIND as JSON."""
    from projects.exports import rows_for

    click.echo(json.dumps(rows_for(kind, year, local_today()), ensure_ascii=False, indent=1))
