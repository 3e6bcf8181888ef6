"""Command-line tasks for staff (``flask …``)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from core import audit
from core.jobs import cli_progress
from core.models import Congress, Role, Session, User
from core.passwords import generate_initial_password, hash_password
from core.roster import import_roster
from core.times import local_today
from extensions import db


def write_private(path: Path, text: str) -> None:
    """Write secrets (initial passwords, one-time codes) readable by the owner only,
    whatever mode an existing file had."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def register_cli(app: Flask) -> None:
    @app.cli.command("create-staff")
    @click.argument("username")
    @click.option("--name", default=None, help="Display name (显示名称).")
    @click.option("--password", default=None, help="Password; asked for when omitted.")
    def create_staff(username: str, name: str | None, password: str | None):
        """Create a staff account (工作人员)."""
        if db.session.scalar(select(User).where(User.username == username)):
            raise click.ClickException(f"account {username} exists already")
        if password is None:
            password = getpass.getpass("password: ")
        if len(password) < 10:
            raise click.ClickException("the password needs at least 10 characters")
        user = User(
            username=username,
            display_name=name or username,
            role=Role.staff.value,
            password_hash=hash_password(password),
            must_change_password=False,
        )
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", "user", user.id, {"role": "staff"})
        db.session.commit()
        click.echo(f"staff account {username} created")

    @app.cli.command("create-lead-unit-account")
    @click.argument("username")
    @click.argument("unit_name")
    def create_lead_unit_account(username: str, unit_name: str):
        """Create a lead-unit account (承办单位) and print its initial password."""
        from core.models import LeadUnit

        unit = db.session.scalar(select(LeadUnit).where(LeadUnit.name == unit_name))
        if unit is None:
            unit = LeadUnit(name=unit_name)
            db.session.add(unit)
        password = generate_initial_password()
        user = User(
            username=username,
            display_name=unit_name,
            role=Role.lead_unit.value,
            password_hash=hash_password(password, initial=True),
            lead_unit=unit,
        )
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", "user", user.id, {"role": "lead_unit"})
        db.session.commit()
        click.echo(f"{username}\t{password}")

    @app.cli.command("create-congress")
    @click.argument("name")
    def create_congress(name: str):
        """Create a congress (人民代表大会) and print its id."""
        if db.session.scalar(select(Congress.id).where(Congress.name == name)) is not None:
            raise click.ClickException(f"a congress named {name} exists already")
        congress = Congress(name=name)
        db.session.add(congress)
        db.session.flush()
        audit.record("congress.create", "congress", congress.id, {"name": name})
        db.session.commit()
        click.echo(congress.id)

    @app.cli.command("import-deputies")
    @click.argument("congress_id", type=int)
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--passwords",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help="Where to write the initial passwords (mode 0600).",
    )
    def import_deputies(congress_id: int, csv_file: Path, passwords: Path):
        """Import a roster CSV (UTF-8 or GBK) into a congress, all or nothing."""
        congress = db.session.get(Congress, congress_id)
        if congress is None:
            raise click.ClickException(f"no congress {congress_id}")
        with cli_progress("Importing deputies") as progress:
            result = import_roster(congress, csv_file.read_bytes(), progress)
        if not result.ok:
            db.session.rollback()
            for line, message in result.errors:
                click.echo(f"line {line}: {message}", err=True)
            raise click.ClickException("nothing imported")
        db.session.commit()
        write_private(passwords, "".join(f"{d.code}\t{d.name}\t{pw}\n" for d, pw in result.created))
        click.echo(f"{len(result.created)} deputies imported; passwords in {passwords}")

    @app.cli.command("create-session")
    @click.argument("congress_id", type=int)
    @click.argument("name")
    @click.argument("starts_on", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.argument("ends_on", type=click.DateTime(formats=["%Y-%m-%d"]))
    def create_session(congress_id: int, name: str, starts_on, ends_on):
        """Create a session (会议) of a congress and print its id."""
        if db.session.get(Congress, congress_id) is None:
            raise click.ClickException(f"no congress {congress_id}")
        if ends_on < starts_on:
            raise click.ClickException("the session ends before it starts")
        item = Session(congress_id=congress_id, name=name, starts_on=starts_on.date(), ends_on=ends_on.date())
        db.session.add(item)
        db.session.flush()
        audit.record("session.create", "session", item.id, {"name": name})
        db.session.commit()
        click.echo(item.id)

    @app.cli.command("backup")
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
    def backup(out: Path):
        """Dump the whole database to a portable, compressed JSON file."""
        from core.backup import dump

        with cli_progress("Backing up") as progress:
            counts = dump(out, progress)  # mode 0600 from the first byte
        click.echo(f"{sum(counts.values())} rows in {len(counts)} tables written to {out}")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore(source: Path):
        """Load a backup into a new, migrated, empty database."""
        from core.backup import restore as load

        try:
            with cli_progress("Restoring") as progress:
                counts = load(source, progress)
        except ValueError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"{sum(counts.values())} rows restored into {len(counts)} tables")

    @app.cli.command("demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has data.")
    @click.option("--logins", is_flag=True, help="Print the demo logins again, with new passwords.")
    def demo(if_empty: bool, logins: bool):
        """Fill the database with a realistic demo county congress."""
        from core.demo import reset_logins, seed_demo

        if logins:
            try:
                lines = reset_logins()
            except LookupError as exc:
                raise click.ClickException(str(exc)) from exc
            db.session.commit()
            for line in lines:
                click.echo(line)
            return
        if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
            click.echo("Database not empty: demo not seeded. 数据库已有数据，未重新生成演示数据。")
            click.echo("To print the demo logins again (with new passwords) / 重新显示演示账号（重设密码）:")
            click.echo("  .venv/bin/flask --app app demo --logins")
            return
        for line in seed_demo(today=local_today()):
            click.echo(line)
