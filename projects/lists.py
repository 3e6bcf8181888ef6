"""The public lists of the project cycle, searchable and paged (``core.listing``): every
project of every year, a call's public suggestions, and a year's progress board."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.listing import Filter, Listing, Page, choices_of, year_choices
from core.models import LeadUnit
from extensions import db
from projects import progress, services
from projects.models import (
    SUGGESTION_CATEGORIES,
    Project,
    ProjectStatus,
    ProposalCall,
    Suggestion,
    SuggestionStatus,
)


def _unit_filter(units_query) -> Filter:
    units = db.session.execute(units_query.distinct().order_by(LeadUnit.name)).all()
    return Filter("unit", _("承办单位"), [(str(uid), name) for uid, name in units])


def projects() -> tuple[Listing, Page]:
    """Every project (candidate, elected or not), newest year first: search in title,
    description and lead unit; filter by year, status and lead unit."""
    filters = [
        Filter("year", _("年度"), year_choices(db.session.scalars(select(Project.year).distinct()))),
        Filter(
            "status",
            _("状态"),
            [
                (ProjectStatus.CANDIDATE.value, _("候选")),
                (ProjectStatus.ELECTED.value, _("当选")),
                (ProjectStatus.NOT_ELECTED.value, _("未当选")),
            ],
        ),
        _unit_filter(select(LeadUnit.id, LeadUnit.name).join(Project, Project.lead_unit_id == LeadUnit.id)),
    ]
    listing = Listing.from_request(filters)
    query = select(Project).join(LeadUnit, LeadUnit.id == Project.lead_unit_id)
    found = listing.search(Project.title, Project.description, LeadUnit.name)
    if found is not None:
        query = query.where(found)
    if listing.get("year"):
        query = query.where(Project.year == int(listing.get("year")))
    if listing.get("status"):
        query = query.where(Project.status == listing.get("status"))
    if listing.get("unit"):
        query = query.where(Project.lead_unit_id == int(listing.get("unit")))
    return listing, listing.paginate(query.order_by(Project.year.desc(), Project.id))


def suggestions(call: ProposalCall) -> tuple[Listing, Page]:
    """The call's public suggestions: search in title, description and place; filter
    by category and handling status."""
    filters = [
        Filter("category", _("类别"), choices_of(SUGGESTION_CATEGORIES)),
        Filter(
            "status",
            _("办理状态"),
            [
                (SuggestionStatus.PENDING.value, _("待处理")),
                (SuggestionStatus.ACCEPTED.value, _("已采纳")),
                (SuggestionStatus.MERGED.value, _("已合并")),
                (SuggestionStatus.REJECTED.value, _("未采纳")),
            ],
        ),
    ]
    listing = Listing.from_request(filters)
    query = services.public_query(call)
    found = listing.search(Suggestion.title, Suggestion.description, Suggestion.location)
    if found is not None:
        query = query.where(found)
    if listing.get("category"):
        query = query.where(Suggestion.category == listing.get("category"))
    if listing.get("status"):
        query = query.where(Suggestion.status == listing.get("status"))
    return listing, listing.paginate(query.order_by(Suggestion.id))


def board(year: int, today: date) -> tuple[Listing, Page, list[dict]]:
    """The year's progress board: search in title and lead unit; filter by lead unit
    and schedule (done, on time, late). Also returns all rows (the page exists if any)."""
    rows = progress.board(year, today)
    units = sorted({(r["project"].lead_unit_id, r["project"].lead_unit.name) for r in rows}, key=lambda u: u[1])
    filters = [
        Filter("unit", _("承办单位"), [(str(uid), name) for uid, name in units]),
        Filter("schedule", _("进度状态"), [(k, progress.schedule_label(k)) for k in ("on_time", "late", "done")]),
    ]
    listing = Listing.from_request(filters)
    shown = rows
    if listing.q:
        needle = listing.q.casefold()
        shown = [
            r
            for r in shown
            if needle in r["project"].title.casefold() or needle in r["project"].lead_unit.name.casefold()
        ]
    if listing.get("unit"):
        shown = [r for r in shown if str(r["project"].lead_unit_id) == listing.get("unit")]
    if listing.get("schedule"):
        shown = [r for r in shown if r["schedule"] == listing.get("schedule")]
    return listing, listing.paginate_list(shown), rows
