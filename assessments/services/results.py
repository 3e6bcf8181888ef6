"""Results and listings: each subject's counts and grade, the public years, the staff's lists."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from assessments.models import (
    Assessment,
    AssessmentSubject,
    Rectification,
)
from extensions import db
from voting import services as polls
from voting.models import Poll, PollState
from voting.protocol.tally import rate_percent

# --- Results --------------------------------------------------------------------------


@dataclass
class SubjectResult:
    subject: AssessmentSubject
    counts: dict
    rate: str
    rate_percent: str
    grade: str | None
    rectify: bool
    rectification: Rectification | None


def results(assessment: Assessment) -> dict | None:
    """The closed assessment's result per subject, from the engine's own result."""
    poll = assessment.poll
    if poll is None or not poll.is_closed:
        return None
    view = polls.results_view(poll)
    by_option = {o["id"]: o for o in view["result"]["options"]}
    rows = []
    for subject in assessment.subjects:
        o = by_option[subject.option_id]
        rows.append(
            SubjectResult(
                subject=subject,
                counts={k: o[k] for k in ("satisfied", "basic", "dissatisfied", "abstain")},
                rate=o["rate"],
                rate_percent=rate_percent(o["rate"]),
                grade=o["grade"],
                rectify=o["rectify"],
                rectification=subject.rectification,
            )
        )
    return {"view": view, "rows": rows}


def public_assessments(year: int | None = None) -> list[Assessment]:
    """Assessments whose poll has opened (drafts are not public)."""
    query = (
        select(Assessment)
        .join(Poll, Poll.id == Assessment.poll_id)
        .where(Poll.state != PollState.DRAFT)
        .order_by(Assessment.year.desc(), Assessment.id.desc())
    )
    if year is not None:
        query = query.where(Assessment.year == year)
    return list(db.session.scalars(query))


def public_years() -> list[int]:
    return sorted({a.year for a in public_assessments()}, reverse=True)


def year_overview(year: int) -> dict:
    """The year's closed assessments: each subject's rate and grade, and turnout."""
    closed = [a for a in public_assessments(year) if a.is_closed]
    subjects, turnout = [], []
    grades = {"satisfied": 0, "basic": 0, "dissatisfied": 0, None: 0}
    for a in closed:
        res = results(a)
        t = res["view"]["turnout"]
        turnout.append({"assessment": a, "electorate": t["electorate"], "present": t["present"], "cast": t["cast"]})
        for row in res["rows"]:
            subjects.append({"assessment": a, "row": row})
            grades[row.grade] += 1
    return {
        "year": year,
        "assessments": closed,
        "subjects": subjects,
        "turnout": turnout,
        "grades": grades,
        "open": [a for a in public_assessments(year) if a.is_open],
    }


def staff_assessments() -> list[Assessment]:
    return list(db.session.scalars(select(Assessment).order_by(Assessment.id.desc())))


def rectification_counts() -> dict[str, int]:
    rows = db.session.execute(select(Rectification.state, func.count()).group_by(Rectification.state))
    return {state: n for state, n in rows}
