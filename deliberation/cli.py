"""``flask meeting …``: the overdue follow-up list and re-running a published lot draw."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from deliberation import lot

meeting_cli = AppGroup("meeting", help="Deliberative meetings (民主恳谈会、居民议事会).")


@meeting_cli.command("overdue")
def overdue_command():
    """List follow-ups past their due date."""
    from deliberation import services

    for reply in services.overdue_replies():
        opinion = reply.opinion
        click.echo(
            f"{reply.due_on}  {reply.lead_unit.name}  meeting {opinion.meeting_id} "
            f"opinion {opinion.number}  {reply.status}"
        )


@meeting_cli.command("verify-draw")
@click.argument("draw_json", type=click.File("r", encoding="utf-8"))
def verify_draw_command(draw_json):
    """Re-run a lot draw from its published JSON (``/meetings/<id>/draw.json``)."""
    record = json.load(draw_json)
    if record.get("seed") is None:
        raise click.ClickException("the draw has not taken place yet")
    try:
        drawn, waiting = lot.check_record(record)
    except (KeyError, TypeError) as exc:
        raise click.ClickException(f"the record is incomplete: {exc}") from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if record["algorithm"] == lot.ALGORITHM:
        click.echo(f"secret      {record['secret']}  (SHA-256 {record['secret_sha256']}, published at the notice)")
        click.echo(f"public value {record['beacon_value']!r}  ({record['beacon_source']}, {record['beacon_date']})")
        click.echo(f"entrants    {len(record['entrants'])}  (SHA-256 {record['entrants_sha256']})")
    click.echo(f"seed        {record['seed']}")
    click.echo(f"OK: {len(drawn)} drawn, {len(waiting)} on the waiting list, algorithm {record['algorithm']}")
