"""The deputies' vote (票决) over the candidates, the run-off, and the year-end
satisfaction assessment, each a poll of the ballot engine linked to its projects."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.models import Session
from extensions import db
from projects.models import (
    Project,
    ProjectPoll,
    ProjectStatus,
)
from projects.services.candidates import candidates, elected_projects, vote_poll, year_polls
from projects.services.common import CycleError, grade_label
from voting import services as polls
from voting import specs
from voting.models import Poll
from voting.protocol.tally import rate_percent

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
        raise CycleError(422, _("应选数须在 1 到候选项目数（%(n)d）之间。", n=len(projects)), field="seats")
    max_yes = seats if max_yes is None else max_yes
    if not 1 <= max_yes <= len(projects):
        raise CycleError(422, _("最多同意数须在 1 到候选项目数（%(n)d）之间。", n=len(projects)), field="max_yes")
    poll = _new_poll(
        projects,
        "vote",
        public_id=public_id or polls.unique_public_id(f"{year}-minsheng-vote"),
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


def unlink_draft(poll: Poll) -> None:
    """Before a draft poll is deleted (``voting.services.delete_draft``): its lines for
    the projects go with it; the projects stay candidates (or elected) as they were."""
    db.session.execute(ProjectPoll.__table__.delete().where(ProjectPoll.poll_id == poll.id))


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
        public_id=polls.unique_public_id(f"{vote.public_id}-runoff{len(outcome.runoffs) + 1}"),
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
        public_id=public_id or polls.unique_public_id(f"{year}-minsheng-assessment"),
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
