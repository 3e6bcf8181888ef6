"""Open data: the year's suggestions (without private fields), candidates, results and
progress, as rows that the CSV and JSON exports share. The exports do not depend on the
reader's language: a suggestion's ``category`` is the Chinese name, as before the keys,
and ``category_key`` (the last column, so earlier columns keep their places) the key."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import force_locale

from core.csvfile import write_csv
from projects import progress, services
from projects.models import SUGGESTION_CATEGORIES, Project, category_label

# Never exported: Suggestion.name, Suggestion.phone.
SUGGESTION_FIELDS = [
    "id",
    "title",
    "description",
    "category",
    "location",
    "status",
    "reject_reason",
    "merged_into",
    "project_id",
    "submitted_on",
    "category_key",
]
CANDIDATE_FIELDS = [
    "id",
    "year",
    "title",
    "lead_unit",
    "investment_wan_yuan",
    "planned_completion",
    "description",
    "status",
    "suggestion_ids",
]
RESULT_FIELDS = [
    "poll",
    "kind",
    "project_id",
    "title",
    "option_id",
    "yes",
    "no",
    "abstain",
    "passed",
    "elected",
    "tied",
    "fingerprint",
]
PROGRESS_FIELDS = [
    "project_id",
    "title",
    "lead_unit",
    "planned_completion",
    "percent",
    "schedule",
    "last_report_on",
    "satisfaction_rate",
    "grade",
]
KINDS = {
    "suggestions": SUGGESTION_FIELDS,
    "candidates": CANDIDATE_FIELDS,
    "results": RESULT_FIELDS,
    "progress": PROGRESS_FIELDS,
}


def suggestions(year: int) -> list[dict]:
    call = services.call_for_year(year)
    if call is None:
        return []
    with force_locale("zh"):
        names = {key: category_label(key) for key in SUGGESTION_CATEGORIES}
    rows = []
    for s in services.public_suggestions(call):  # never one awaiting or refused review
        project = s.project
        rows.append(
            {
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "category": names[s.category],
                "location": s.location,
                "status": s.status,
                "reject_reason": s.reject_reason,
                "merged_into": s.merged_into_id,
                "project_id": project.id if project else None,
                "submitted_on": s.submitted_at.date().isoformat(),
                "category_key": s.category,
            }
        )
    return rows


def candidates(year: int) -> list[dict]:
    return [_candidate(p) for p in services.candidates(year)]


def _candidate(p: Project) -> dict:
    return {
        "id": p.id,
        "year": p.year,
        "title": p.title,
        "lead_unit": p.lead_unit.name,
        "investment_wan_yuan": p.investment,
        "planned_completion": p.planned_completion.isoformat(),
        "description": p.description,
        "status": p.status,
        "suggestion_ids": [s.id for s in p.suggestions],
    }


def results(year: int) -> list[dict]:
    rows = []
    for project in services.candidates(year):
        for line in services.vote_counts(project):
            option = line["option"]
            if option is None:
                continue
            rows.append(
                {
                    "poll": line["poll"].public_id,
                    "kind": line["kind"],
                    "project_id": project.id,
                    "title": project.title,
                    "option_id": option["id"],
                    "yes": option["yes"],
                    "no": option["no"],
                    "abstain": option["abstain"],
                    "passed": option["passed"],
                    "elected": option["elected"],
                    "tied": option["tied"],
                    "fingerprint": line["poll"].fingerprint,
                }
            )
    return sorted(rows, key=lambda r: (r["poll"], r["option_id"]))


def progress_rows(year: int, today: date) -> list[dict]:
    rows = []
    for line in progress.board(year, today):
        project = line["project"]
        rated = services.assessment(project)
        rows.append(
            {
                "project_id": project.id,
                "title": project.title,
                "lead_unit": project.lead_unit.name,
                "planned_completion": project.planned_completion.isoformat(),
                "percent": line["percent"],
                "schedule": line["schedule"],
                "last_report_on": line["last"].reported_on.isoformat() if line["last"] else None,
                "satisfaction_rate": rated["rate_percent"] if rated else None,
                "grade": rated["grade"] if rated else None,
            }
        )
    return rows


def rows_for(kind: str, year: int, today: date) -> list[dict]:
    if kind == "suggestions":
        return suggestions(year)
    if kind == "candidates":
        return candidates(year)
    if kind == "results":
        return results(year)
    return progress_rows(year, today)


def to_csv(kind: str, rows: list[dict]) -> str:
    """CSV text with a BOM, so that Excel opens the Chinese correctly; a text cell that a
    spreadsheet would run as a formula starts with a quote (``core.csvfile.write_csv``)."""
    return write_csv(KINDS[kind], rows)


def links(year: int) -> dict[str, dict[str, str]]:
    return {
        kind: {fmt: url_for("projects.export", year=year, kind=kind, fmt=fmt) for fmt in ("csv", "json")}
        for kind in KINDS
    }
