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
    if lot.seed_commitment(record["seed"]) != record["seed_sha256"]:
        raise click.ClickException("the seed does not match its published SHA-256")
    drawn, waiting = lot.draw(record["seed"], record["entrants"], record["capacity"])
    if drawn != record["drawn"] or drawn + waiting != record["order"]:
        raise click.ClickException("the published draw does not match a re-run")
    click.echo(f"OK: {len(drawn)} drawn, {len(waiting)} on the waiting list, algorithm {record['algorithm']}")
