"""The rules of the yearly cycle: the call, moderation, candidates, the vote and its
run-off, the year-end assessment. Functions flush; the view commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import audit
from core.errors import DomainError
from core.models import LeadUnit, Session, utcnow
from extensions import db
from projects.models import (
    Project,
    ProjectPoll,
    ProjectStatus,
    ProposalCall,
    Suggestion,
    SuggestionStatus,
    category_key,
)
from voting import services as polls
from voting import specs
from voting.models import Poll
from voting.protocol.tally import rate_percent

GRADE_KEYS = ("satisfied", "basic", "dissatisfied")


class CycleError(DomainError):
    """A refused step of the cycle: HTTP status and a translated message."""

    def __init__(self, status: int, message: str):
        super().__init__(status, message)


def grade_label(grade: str | None) -> str:
    return {"satisfied": _("满意"), "basic": _("基本满意"), "dissatisfied": _("不满意")}.get(grade or "", "—")


# --- The call and suggestions ----------------------------------------------------------


def call_for_year(year: int) -> ProposalCall | None:
    return db.session.scalar(select(ProposalCall).where(ProposalCall.year == year))


def open_call(today: date) -> ProposalCall | None:
    """The call open today, if any (the latest if several overlap)."""
    return db.session.scalar(
        select(ProposalCall)
        .where(ProposalCall.opens_on <= today, ProposalCall.closes_on >= today)
        .order_by(ProposalCall.year.desc())
    )


def create_call(*, year: int, title: str, notice: str, opens_on: date, closes_on: date) -> ProposalCall:
    if closes_on < opens_on:
        raise CycleError(422, _("截止日期不能早于开始日期。"))
    if call_for_year(year) is not None:
        raise CycleError(409, _("%(year)d 年的征集已经存在。", year=year))
    call = ProposalCall(year=year, title=title, notice=notice, opens_on=opens_on, closes_on=closes_on)
    db.session.add(call)
    db.session.flush()
    audit.record("projects.call.create", "proposal_call", call.id, {"year": year})
    return call


def submit_suggestion(
    call: ProposalCall,
    *,
    today: date,
    title: str,
    description: str,
    category: str,
    location: str,
    name: str | None,
    phone: str | None,
    source: str = "web",
) -> Suggestion:
    """A suggestion from the public; refused outside the call's dates. ``category`` is a
    key of ``SUGGESTION_CATEGORIES`` (or the Chinese name earlier forms sent)."""
    if not call.is_open_on(today):
        raise CycleError(
            409,
            _("本次征集不在开放期内（%(a)s 至 %(b)s）。", a=call.opens_on.isoformat(), b=call.closes_on.isoformat()),
        )
    key = category_key(category)
    if key is None:
        raise CycleError(422, _("没有这个建议类别，请从列表中选择。"))
    suggestion = Suggestion(
        call=call,
        title=title,
        description=description,
        category=key,
        location=location,
        name=name or None,
        phone=phone or None,
        source=source,
        status=SuggestionStatus.PENDING,
    )
    db.session.add(suggestion)
    db.session.flush()
    # Private fields never go to the log either.
    audit.record("projects.suggestion.submit", "suggestion", suggestion.id, {"source": source})
    return suggestion


def suggestions_of(call: ProposalCall, category: str | None = None) -> list[Suggestion]:
    """The call's suggestions in the order they came, those of one category if given."""
    query = select(Suggestion).where(Suggestion.call_id == call.id)
    if category is not None:
        query = query.where(Suggestion.category == category)
    return list(db.session.scalars(query.order_by(Suggestion.id)))


def _root(suggestion: Suggestion) -> Suggestion:
    seen = set()
    while suggestion.merged_into is not None and suggestion.id not in seen:
        seen.add(suggestion.id)
        suggestion = suggestion.merged_into
    return suggestion


def _check_movable(suggestion: Suggestion) -> None:
    if suggestion.projects:
        raise CycleError(409, _("这条建议已形成候选项目，不能再更改。"))


def accept_suggestion(suggestion: Suggestion) -> None:
    if suggestion.status == SuggestionStatus.ACCEPTED:
        raise CycleError(409, _("这条建议已经采纳。"))
    if suggestion.is_merged:
        raise CycleError(409, _("已合并的建议不能直接采纳。"))
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.reject_reason = None
    suggestion.moderated_at = utcnow()
    audit.record("projects.suggestion.accept", "suggestion", suggestion.id)


def reject_suggestion(suggestion: Suggestion, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CycleError(422, _("请填写不予采纳的理由。"))
    _check_movable(suggestion)
    if suggestion.is_merged:
        raise CycleError(409, _("已合并的建议不能再处理。"))
    suggestion.status = SuggestionStatus.REJECTED
    suggestion.reject_reason = reason
    suggestion.moderated_at = utcnow()
    audit.record("projects.suggestion.reject", "suggestion", suggestion.id, {"reason": reason})


def merge_suggestion(suggestion: Suggestion, target: Suggestion | None) -> None:
    """Merge ``suggestion`` into ``target`` (followed to the suggestion it was merged into)."""
    if target is None or target.call_id != suggestion.call_id:
        raise CycleError(422, _("请选择同一次征集中的另一条建议。"))
    target = _root(target)
    if target.id == suggestion.id:
        raise CycleError(422, _("不能把建议合并到它自己。"))
    if target.is_rejected:
        raise CycleError(422, _("不能合并到未采纳的建议。"))
    _check_movable(suggestion)
    if suggestion.is_merged:
        raise CycleError(409, _("这条建议已经合并过了。"))
    suggestion.status = SuggestionStatus.MERGED
    suggestion.merged_into = target
    suggestion.reject_reason = None
    suggestion.moderated_at = utcnow()
    # Anything merged into this one follows it.
    for child in db.session.scalars(select(Suggestion).where(Suggestion.merged_into_id == suggestion.id)):
        child.merged_into = target
    audit.record("projects.suggestion.merge", "suggestion", suggestion.id, {"into": target.id})


def pending_count() -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Suggestion).where(Suggestion.status == SuggestionStatus.PENDING)
        )
        or 0
    )


def public_suggestions(call: ProposalCall) -> list[Suggestion]:
    return list(call.suggestions)


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


# --- The vote and the run-off ----------------------------------------------------------


def _new_poll(projects: list[Project], kind: str, **poll) -> Poll:
    """A draft poll with one option per project, each project linked to its option."""
    draft = polls.create_poll(options=[p.title for p in projects], **poll)
    for project, option_id in zip(projects, draft.option_ids, strict=True):
        db.session.add(ProjectPoll(project=project, poll=draft.poll, kind=kind, option_id=option_id))
    return draft.poll


def create_vote(
    year: int,
    session: Session,
    *,
    seats: int,
    max_yes: int | None = None,
    base: str = "electorate",
    more_than: str = "1/2",
    public_id: str | None = None,
) -> Poll:
    """The deputies' approval poll (票决) over the year's candidates, as a draft."""
    if vote_poll(year) is not None:
        raise CycleError(409, _("%(year)d 年的票决已经创建。", year=year))
    projects = [p for p in candidates(year) if p.is_candidate]
    if len(projects) < 1:
        raise CycleError(422, _("%(year)d 年还没有候选项目。", year=year))
    if not 1 <= seats <= len(projects):
        raise CycleError(422, _("应选数须在 1 到候选项目数（%(n)d）之间。", n=len(projects)))
    max_yes = seats if max_yes is None else max_yes
    if not 1 <= max_yes <= len(projects):
        raise CycleError(422, _("最多同意数须在 1 到候选项目数（%(n)d）之间。", n=len(projects)))
    poll = _new_poll(
        projects,
        "vote",
        public_id=public_id or f"{year}-minsheng-vote",
        title=_("%(year)d年民生实事项目票决", year=year),
        ballot="approval",
        secrecy="secret",
        session=session,
        poll_rules=specs.build_rules("approval", seats=seats, max_yes=max_yes, base=base, more_than=more_than),
        purpose="project_vote",
    )
    db.session.flush()
    audit.record("projects.vote.create", "poll", poll.public_id, {"year": year, "seats": seats})
    return poll


def _option_projects(poll: Poll) -> dict[str, Project]:
    rows = db.session.scalars(select(ProjectPoll).where(ProjectPoll.poll_id == poll.id))
    return {pp.option_id: pp.project for pp in rows}


@dataclass
class VoteOutcome:
    """Where the year's vote stands: who is elected, who is tied, what is next."""

    vote: Poll | None
    runoffs: list[Poll]
    elected: list[Project]
    tied: list[Project]  # waiting for a run-off
    seats: int
    decided: bool  # every seat filled or no run-off possible

    @property
    def needs_runoff(self) -> bool:
        last = self.runoffs[-1] if self.runoffs else self.vote
        return bool(self.tied) and last is not None and last.is_closed

    @property
    def seats_left(self) -> int:
        return self.seats - len(self.elected)


def vote_outcome(year: int) -> VoteOutcome:
    """Combine the vote and its run-offs into the year's elected projects."""
    vote = vote_poll(year)
    runoffs = year_polls(year, "runoff")
    if vote is None:
        return VoteOutcome(None, [], [], [], 0, False)
    seats = vote.rules.get("seats") or len(vote.options)
    elected: list[Project] = []
    tied: list[Project] = []
    decided = False
    for poll in [vote, *runoffs]:
        if not poll.is_closed:
            tied = []
            decided = False
            break
        projects = _option_projects(poll)
        elected += [projects[oid] for oid in poll.result["elected"]]
        tied = [projects[oid] for oid in poll.result["tied"]]
        decided = not tied
    return VoteOutcome(vote, runoffs, elected, tied, seats, decided)


def apply_outcome(year: int) -> VoteOutcome:
    """Set each candidate's status from the closed polls (elected / not elected)."""
    outcome = vote_outcome(year)
    if outcome.vote is None or not outcome.vote.is_closed:
        raise CycleError(409, _("票决尚未结束，不能确认结果。"))
    pending = set(outcome.tied)
    last = outcome.runoffs[-1] if outcome.runoffs else None
    if last is not None and not last.is_closed:
        pending |= set(_option_projects(last).values())
    elected = set(outcome.elected)
    changed = {}
    for project in _option_projects(outcome.vote).values():
        if project in elected:
            status = ProjectStatus.ELECTED
        elif project in pending:
            status = ProjectStatus.CANDIDATE
        else:
            status = ProjectStatus.NOT_ELECTED
        if project.status != status:
            project.status = status
            changed[project.id] = status
    db.session.flush()
    if changed:
        audit.record(
            "projects.vote.apply",
            "poll",
            outcome.vote.public_id,
            {"year": year, "changed": {str(k): v for k, v in changed.items()}},
        )
    return outcome


def start_runoff(year: int) -> Poll:
    """另行票决 among the candidates tied on the last seat, for the seats left."""
    outcome = apply_outcome(year)
    if not outcome.needs_runoff:
        raise CycleError(409, _("没有同票竞争最后名额的项目，无需另行票决。"))
    vote = outcome.vote
    seats = outcome.seats_left
    threshold = vote.rules["threshold"]
    poll = _new_poll(
        outcome.tied,
        "runoff",
        public_id=f"{vote.public_id}-runoff{len(outcome.runoffs) + 1}",
        title=_("%(year)d年民生实事项目另行票决", year=year),
        ballot="approval",
        secrecy="secret",
        session=vote.session,
        poll_rules=specs.build_rules(
            "approval", seats=seats, max_yes=seats, base=threshold["base"], more_than=threshold["more_than"]
        ),
        purpose="runoff",
    )
    db.session.flush()
    audit.record(
        "projects.runoff.create",
        "poll",
        poll.public_id,
        {"year": year, "seats": seats, "tied": [p.id for p in outcome.tied]},
    )
    return poll


def vote_counts(project: Project) -> list[dict]:
    """This project's line in each closed vote / run-off: counts, board link data."""
    lines = []
    for pp in project.polls:
        if pp.kind not in ("vote", "runoff"):
            continue
        line = {"kind": pp.kind, "poll": pp.poll, "option": None}
        if pp.poll.is_closed:
            line["option"] = next(o for o in pp.poll.result["options"] if o["id"] == pp.option_id)
        lines.append(line)
    return lines


# --- Year-end assessment ---------------------------------------------------------------


def create_assessment(year: int, session: Session, *, public_id: str | None = None) -> Poll:
    """满意度测评 over the year's elected projects: secret, the session's deputies."""
    projects = elected_projects(year)
    if not projects:
        raise CycleError(422, _("%(year)d 年还没有当选项目。", year=year))
    if year_polls(year, "assessment"):
        raise CycleError(409, _("%(year)d 年的满意度测评已经创建。", year=year))
    poll = _new_poll(
        projects,
        "assessment",
        public_id=public_id or f"{year}-minsheng-assessment",
        title=_("%(year)d年民生实事项目满意度测评", year=year),
        ballot="satisfaction",
        secrecy="secret",
        session=session,
        poll_rules=specs.build_rules("satisfaction", base="electorate"),
        purpose="assessment",
    )
    db.session.flush()
    audit.record("projects.assessment.create", "poll", poll.public_id, {"year": year})
    return poll


def assessment(project: Project) -> dict | None:
    """The latest closed satisfaction result for this project: counts, rate, grade."""
    for pp in reversed(project.polls):
        if pp.kind == "assessment" and pp.poll.is_closed:
            option = next(o for o in pp.poll.result["options"] if o["id"] == pp.option_id)
            return option | {
                "poll": pp.poll,
                "rate_percent": rate_percent(option["rate"]),
                "grade_label": grade_label(option["grade"]),
            }
    return None


def assessment_poll(project: Project) -> Poll | None:
    for pp in reversed(project.polls):
        if pp.kind == "assessment":
            return pp.poll
    return None
