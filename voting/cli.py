"""``flask poll …``: prepare, open, close and publish polls by script."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.cli import write_private
from core.jobs import cli_progress
from extensions import db
from voting import services, specs
from voting.models import Poll
from voting.services import LogMismatch, PollError

poll_cli = AppGroup("poll", help="Create, open, close and publish polls.")


def _poll(public_id: str) -> Poll:
    poll = db.session.scalar(select(Poll).where(Poll.public_id == public_id))
    if poll is None:
        raise click.ClickException(f"no poll {public_id}")
    return poll


def _fail(exc: PollError):
    db.session.rollback()
    raise click.ClickException(f"{exc.code}: {exc.message}")


@poll_cli.command("create")
@click.argument("spec_file", type=click.File("rb"))
def create(spec_file):
    """Create a draft poll from a JSON spec (see docs/operations.md)."""
    try:
        poll = specs.create_from_spec(json.loads(spec_file.read()))
        db.session.commit()
    except PollError as exc:
        _fail(exc)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"the spec is not JSON: {exc}") from exc
    click.echo(poll.public_id)


@poll_cli.command("codes")
@click.argument("public_id")
@click.argument("count", type=int)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File for the codes (mode 0600), one a line, for printing slips.",
)
def codes(public_id: str, count: int, out: Path):
    """Generate one-time codes for a draft code poll (replaces any earlier batch)."""
    try:
        items = services.generate_codes(_poll(public_id), count)
        db.session.commit()
    except PollError as exc:
        _fail(exc)
    write_private(out, "\n".join(items) + "\n")
    click.echo(f"{len(items)} codes written to {out}")


@poll_cli.command("open")
@click.argument("public_id")
def open_(public_id: str):
    """Open a draft poll: fix the register, make the keys, sign the manifest."""
    poll = _poll(public_id)
    try:
        services.open_poll(poll)
        db.session.commit()
    except PollError as exc:
        _fail(exc)
    click.echo(f"{poll.public_id} open; fingerprint {poll.fingerprint}")


@poll_cli.command("close")
@click.argument("public_id")
def close(public_id: str):
    """Close an open poll: count, sign the closing, publish the board."""
    poll = _poll(public_id)
    try:
        with cli_progress("Checking the log and counting") as progress:
            services.close_poll(poll, progress)
    except LogMismatch as exc:
        raise click.ClickException(f"refused to publish: {exc}") from exc
    except PollError as exc:
        _fail(exc)
    click.echo(f"{poll.public_id} closed; {poll.result['cast']} ballots")


@poll_cli.command("board")
@click.argument("public_id")
@click.option("--out", type=click.File("w"), default="-")
def board(public_id: str, out):
    """Write a closed poll's board as JSON."""
    poll = _poll(public_id)
    if not poll.is_closed:
        raise click.ClickException("the board is published when the poll closes")
    for chunk in services.board_chunks(poll):
        out.write(chunk)
    if out is sys.stdout:
        out.write("\n")


@poll_cli.command("list")
def list_():
    """List polls with their state and counts."""
    for item in services.staff_poll_overview(limit=1000):
        p = item.poll
        click.echo(f"{p.public_id}\t{p.state}\t{p.secrecy}\tissued {item.issued}\tcast {item.cast}\t{p.title}")
