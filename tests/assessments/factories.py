"""Helpers for the assessment tests: committees, public assessments, casting."""

from __future__ import annotations

from datetime import date

from werkzeug.security import generate_password_hash

from assessments import services
from core import sessions as core_sessions
from core.models import Deputy
from extensions import db
from tests.factories import FAST_HASH, PASSWORD, deputy_account
from voting import services as polls
from voting.protocol.client import SecretVoter, code_ballot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_committee(n: int = 40, name: str = "测试县人大常委会", accounts: bool = False):
    """A standing committee with members C001… and one meeting; returns (committee, meeting)."""
    from core.models import Session

    committee = services.create_committee(name)
    pw_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
    for i in range(1, n + 1):
        member = Deputy(congress=committee.congress, code=f"C{i:03d}", name=f"委员{i:02d}", delegation="常委会")
        db.session.add(member)
        if accounts:
            db.session.add(deputy_account(member, pw_hash))
    meeting = Session(
        congress=committee.congress, name="常委会第二十次会议", starts_on=date(2027, 6, 20), ends_on=date(2027, 6, 20)
    )
    db.session.add(meeting)
    db.session.commit()
    return committee, meeting


def check_in(meeting, members) -> None:
    for member in members:
        core_sessions.check_in(meeting, member, method="staff", by=None)
    db.session.commit()


def public_assessment(
    n_codes: int,
    titles: list[str],
    *,
    base: str = "cast",
    rectify_below: str | None = None,
    title: str = "公众满意度测评",
    open_: bool = True,
):
    """A public assessment of free subjects with ``n_codes`` codes; returns (assessment, codes)."""
    assessment = services.create_assessment(
        title=title, year=2027, raters="public", session=None, grade_base=base, rectify_below=rectify_below
    )
    for t in titles:
        services.add_subject(assessment, kind="free", title=t)
    codes = services.generate_codes(assessment, n_codes)
    if open_:
        services.open_assessment(assessment)
    db.session.commit()
    return assessment, codes


def cast_codes(assessment, codes, ballots: list[dict]) -> None:
    """Cast one ballot per code through the engine's service (fast bulk setup)."""
    for code, choices in zip(codes, ballots):
        polls.cast(assessment.poll, code_ballot(assessment.poll.manifest, code, choices))


def secret_votes(poll, members, ballots: list[dict]) -> list[dict]:
    """Tokens issued by the service, ballots returned for casting over HTTP."""
    bodies = []
    for member, choices in zip(members, ballots):
        voter = SecretVoter(poll.manifest)
        voter.token_response({"blind_sig": polls.issue_token(poll, member, voter.token_request()["blinded_msg"])})
        bodies.append(voter.ballot(choices))
    return bodies


def ballots_of(pattern: dict[str, list[str]]) -> list[dict]:
    """Ballots from per-option lists of values, e.g. {"p01": ["satisfied", …], …}."""
    count = len(next(iter(pattern.values())))
    return [{oid: values[i] for oid, values in pattern.items()} for i in range(count)]


def column(**counts: int) -> list[str]:
    """A list of values with the given counts, e.g. column(satisfied=5, basic=1)."""
    out: list[str] = []
    for value in ("satisfied", "basic", "dissatisfied", "abstain"):
        out += [value] * counts.get(value, 0)
    return out
