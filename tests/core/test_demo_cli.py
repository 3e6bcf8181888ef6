"""The demo on the command line: a newcomer who runs the README's command again is
told how to get the logins, and ``demo --logins`` gives working ones."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.models import User
from extensions import db
from tests.factories import PASSWORD, login, make_user


def logins(output: str) -> dict[str, str]:
    """username → password from the console lines (``admin / …``, ``D001 … D200 / …``)."""
    found = dict(re.findall(r"\b(admin|zhujianju) / (\S+)", output))
    deputies = re.search(r"\bD001 … D\d+ / (\S+)", output)
    if deputies:
        found["D001"] = deputies.group(1)
    return found


def can_log_in(app, username: str, password: str) -> bool:
    return login(app.test_client(), username, password).status_code == 302


@pytest.mark.slow
def test_restarting_the_demo_tells_how_to_log_in_and_logins_resets_them(app, runner):
    first = runner.invoke(args=["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    old = logins(first.output)
    assert set(old) == {"admin", "zhujianju", "D001"}

    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "demo not seeded" in again.output
    assert "flask --app app demo --logins" in again.output
    assert not logins(again.output)  # no password is printed twice

    fresh = runner.invoke(args=["demo", "--logins"])
    assert fresh.exit_code == 0, fresh.output
    new = logins(fresh.output)
    assert set(new) == {"admin", "zhujianju", "D001"} and "C001 … C040 / " in fresh.output
    db.session.expire_all()
    for username, password in new.items():
        assert password != old[username]
        assert can_log_in(app, username, password), username
        assert not can_log_in(app, username, old[username]), username


def test_logins_refuses_a_database_without_the_demo(app, runner):
    admin = make_user("admin")
    before = admin.password_hash
    result = runner.invoke(args=["demo", "--logins"])
    assert result.exit_code == 1 and result.output.startswith("Error: no demo data")
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash).where(User.username == "admin")) == before
    assert can_log_in(app, "admin", PASSWORD)
