"""Builders for the project cycle: a fixed day in the 2027 call, lead units, candidates,
and secret ballots cast in bulk."""

from __future__ import annotations

import base64
from datetime import date

from core.models import LeadUnit
from extensions import db
from projects import services
from tests.factories import make_user
from voting import services as poll_services
from voting.protocol.client import SecretVoter

TODAY = date(2026, 10, 15)
YEAR = 2027
# A 1×1 PNG and the first bytes of a JPEG and a WebP: types are checked by content.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def make_units() -> list[LeadUnit]:
    """Three lead units: transport, education, civil affairs."""
    found = [LeadUnit(name="县交通运输局"), LeadUnit(name="县教育局"), LeadUnit(name="县民政局")]
    db.session.add_all(found)
    db.session.commit()
    return found


def make_call():
    """The 2027 call for proposals, open from 1 October to 30 November 2026."""
    c = services.create_call(
        year=YEAR,
        title="2027年民生实事项目征集",
        notice="欢迎提建议。",
        opens_on=date(2026, 10, 1),
        closes_on=date(2026, 11, 30),
    )
    db.session.commit()
    return c


def unit_user(username: str, unit: LeadUnit):
    user = make_user(username, "lead_unit")
    user.lead_unit_id = unit.id
    db.session.commit()
    return user


def add_candidates(units, titles, year=YEAR):
    made = [
        services.create_candidate(
            year=year,
            title=t,
            lead_unit=units[i % len(units)],
            investment=100 * (i + 1),
            planned_completion=date(year, 12, 31),
            description=f"{t}的简介",
        )
        for i, t in enumerate(titles)
    ]
    db.session.commit()
    return made


def vote_in_bulk(poll, deputies, choose) -> None:
    """Secret ballots through the real protocol (blind token, signed log), no HTTP."""
    for i, deputy in enumerate(deputies):
        voter = SecretVoter(poll.manifest)
        voter.token_response(
            {"blind_sig": poll_services.issue_token(poll, deputy, voter.token_request()["blinded_msg"])}
        )
        poll_services.cast(poll, voter.ballot(choose(i)))


def options_of(poll) -> dict[str, str]:
    """Title → option id."""
    return {o["title"]: o["id"] for o in poll.options}
