"""Candidate projects of a year: the list, the lock once the vote opens, create and edit."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.models import LeadUnit, utcnow
from extensions import db
from projects.models import (
    Project,
    ProjectPoll,
    ProjectStatus,
    ProposalCall,
    Suggestion,
    SuggestionStatus,
)
from projects.services.common import CycleError
from voting.models import Poll

# --- Candidates ------------------------------------------------------------------------


def year_polls(year: int, kind: str) -> list[Poll]:
    """The polls of ``kind`` that concern the year's projects, oldest first."""
    # A subquery, not DISTINCT: PostgreSQL cannot compare the poll's JSON columns.
    ids = (
        select(ProjectPoll.poll_id)
        .join(Project, Project.id == ProjectPoll.project_id)
        .where(Project.year == year, ProjectPoll.kind == kind)
    )
    return list(db.session.scalars(select(Poll).where(Poll.id.in_(ids)).order_by(Poll.id)))


def vote_poll(year: int) -> Poll | None:
    polls = year_polls(year, "vote")
    return polls[0] if polls else None


def candidates(year: int) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.year == year).order_by(Project.id)))


def elected_projects(year: int) -> list[Project]:
    return list(
        db.session.scalars(
            select(Project).where(Project.year == year, Project.status == ProjectStatus.ELECTED).order_by(Project.id)
        )
    )


def years() -> list[int]:
    """Every year with a call or a project, newest first."""
    found = set(db.session.scalars(select(Project.year).distinct()))
    found |= set(db.session.scalars(select(ProposalCall.year)))
    return sorted(found, reverse=True)


def is_locked(project: Project) -> bool:
    """True once a vote or run-off over this project has opened."""
    return any(pp.kind in ("vote", "runoff") and not pp.poll.is_draft for pp in project.polls)


def check_editable(project: Project) -> None:
    """Refuse (409) to edit a candidate once a vote or run-off over it has opened."""
    if is_locked(project):
        raise CycleError(409, _("票决已经开始，候选项目“%(title)s”不能再修改。", title=project.title))


def _check_can_add(year: int) -> None:
    if vote_poll(year) is not None:
        raise CycleError(409, _("%(year)d 年的票决已经创建，不能再增加候选项目。", year=year))


def _check_title_free(year: int, title: str, project_id: int | None = None) -> None:
    other = db.session.scalar(select(Project.id).where(Project.year == year, Project.title == title))
    if other is not None and other != project_id:
        raise CycleError(409, _("%(year)d 年已有同名候选项目“%(title)s”。", year=year, title=title))


def _link_suggestions(project: Project, suggestions: list[Suggestion]) -> None:
    for s in suggestions:
        if not s.is_public:
            raise CycleError(409, _("建议 #%(id)d 还没有通过审核公开，不能作为候选项目的来源。", id=s.id))
        if not s.may_feed_candidate:
            raise CycleError(422, _("建议 #%(id)d 未采纳或已合并，不能作为候选项目的来源。", id=s.id))
        if s.projects and s.projects[0] is not project:
            raise CycleError(409, _("建议 #%(id)d 已经形成了另一个候选项目。", id=s.id))
        if s.is_pending:
            s.status = SuggestionStatus.ACCEPTED
            s.moderated_at = utcnow()
        if s not in project.suggestions:
            project.suggestions.append(s)


def create_candidate(
    *,
    year: int,
    title: str,
    lead_unit: LeadUnit,
    investment: int,
    planned_completion: date,
    description: str,
    suggestions: list[Suggestion] = (),
) -> Project:
    """A candidate project (候选项目), from zero or more suggestions."""
    _check_can_add(year)
    _check_title_free(year, title)
    project = Project(
        year=year,
        title=title,
        lead_unit=lead_unit,
        investment=investment,
        planned_completion=planned_completion,
        description=description,
        status=ProjectStatus.CANDIDATE,
    )
    db.session.add(project)
    _link_suggestions(project, list(suggestions))
    db.session.flush()
    audit.record(
        "projects.candidate.create", "project", project.id, {"title": title, "suggestions": [s.id for s in suggestions]}
    )
    return project


def update_candidate(
    project: Project,
    *,
    title: str,
    lead_unit: LeadUnit,
    investment: int,
    planned_completion: date,
    description: str,
    suggestions: list[Suggestion] = (),
) -> None:
    """Edit a candidate; refused (409) once its vote has opened."""
    check_editable(project)
    _check_title_free(project.year, title, project.id)
    old_title = project.title
    project.title = title
    project.lead_unit = lead_unit
    project.investment = investment
    project.planned_completion = planned_completion
    project.description = description
    _link_suggestions(project, list(suggestions))
    # A draft ballot follows the new title.
    for pp in project.polls:
        if pp.poll.is_draft:
            pp.poll.options = [
                {"id": o["id"], "title": title if o["id"] == pp.option_id else o["title"]} for o in pp.poll.options
            ]
    db.session.flush()
    audit.record("projects.candidate.update", "project", project.id, {"title": title, "was": old_title})
