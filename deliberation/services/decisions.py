"""Decisions: a show of hands, or an on-the-spot code vote on the ballot engine.
``close_vote`` calls ``close_poll``, which commits (one transaction by the protocol's rule)."""

from __future__ import annotations

from flask_babel import gettext as _

from core import audit
from core.models import utcnow
from deliberation.models import (
    Decision,
    DecisionState,
    Meeting,
)
from deliberation.services.common import DeliberationError
from deliberation.services.signups import present_count, quorum_met
from extensions import db

# --- Decisions -----------------------------------------------------------------------


def add_decision(meeting: Meeting, *, title: str, method: str, agenda_item_id: int | None) -> Decision:
    """A motion to decide; an on-the-spot vote gets a draft code poll of the ballot engine."""
    from voting import services as polls
    from voting import specs

    if not meeting.is_announced:
        raise DeliberationError(409, _("只有已公告、未结束的会议才能表决。"))
    decision = Decision(
        meeting=meeting, title=title.strip(), method=method, state=DecisionState.PENDING, agenda_item_id=agenda_item_id
    )
    db.session.add(decision)
    db.session.flush()
    if method == "vote":
        decision.poll = polls.create_poll(
            public_id=f"yishi-meeting-{meeting.id}-decision-{decision.id}",
            title=f"{meeting.topic}：{decision.title}"[:200],
            ballot="approval",
            secrecy="code",
            options=[decision.title],
            poll_rules=specs.build_rules("approval", base="present", more_than="1/2"),
            purpose="meeting",
        ).poll
    audit.record(
        "meeting.decision_add",
        "meeting",
        meeting.id,
        {"decision": decision.id, "method": method, "title": decision.title},
    )
    return decision


def record_hands(decision: Decision, *, yes: int, no: int, abstain: int) -> None:
    """Record a show of hands as counts, with the quorum checked against attendance."""
    if decision.method != "hands":
        raise DeliberationError(409, _("这项决定采用现场扫码表决，结果由投票系统计票。"))
    if decision.is_recorded:
        raise DeliberationError(409, _("这项决定的表决结果已经记录，不能更改。"))
    present = present_count(decision.meeting)
    if yes + no + abstain > present:
        raise DeliberationError(
            422, _("表决人数 %(total)s 超过了实到人数 %(present)s，请核对。", total=yes + no + abstain, present=present)
        )
    _record(decision, yes=yes, no=no, abstain=abstain, present=present, majority=2 * yes > present)


def _record(decision: Decision, *, yes: int, no: int, abstain: int, present: int, majority: bool) -> None:
    members = decision.meeting.members
    quorum = quorum_met(members, present)
    decision.yes, decision.no, decision.abstain = yes, no, abstain
    decision.present, decision.members = present, members
    decision.quorum_met = quorum
    decision.passed = quorum and majority
    decision.state = DecisionState.RECORDED
    decision.recorded_at = utcnow()
    audit.record(
        "meeting.decision_record",
        "meeting",
        decision.meeting_id,
        {
            "decision": decision.id,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "present": present,
            "quorum_met": quorum,
            "passed": decision.passed,
        },
    )


def issue_vote_codes(decision: Decision) -> list[str]:
    """One-time codes for everyone checked in, to hand out in the hall; shown once."""
    from voting import services as polls

    if decision.method != "vote" or not decision.is_pending:
        raise DeliberationError(409, _("只能为尚未开始的现场表决生成表决码。"))
    present = present_count(decision.meeting)
    if present == 0:
        raise DeliberationError(422, _("还没有人签到，无法生成表决码。"))
    codes = polls.generate_codes(decision.poll, present)
    audit.record("meeting.decision_codes", "meeting", decision.meeting_id, {"decision": decision.id, "count": present})
    return codes


def open_vote(decision: Decision) -> None:
    from voting import services as polls

    if decision.method != "vote" or not decision.is_pending:
        raise DeliberationError(409, _("这项表决已经开始或已经结束。"))
    polls.open_poll(decision.poll)
    decision.state = DecisionState.VOTING
    audit.record("meeting.decision_open", "meeting", decision.meeting_id, {"decision": decision.id})


def close_vote(decision: Decision) -> None:
    """Close the poll (the engine commits), then record its counts on the decision."""
    from voting import services as polls

    if decision.method != "vote" or not decision.is_voting:
        raise DeliberationError(409, _("这项表决不在进行中。"))
    decision_id = decision.id
    if decision.poll.is_open:
        polls.close_poll(decision.poll)
    decision = db.session.get(Decision, decision_id)
    result = decision.poll.result
    option = result["options"][0]
    _record(
        decision,
        yes=option["yes"],
        no=option["no"],
        abstain=option["abstain"],
        present=result["present"],
        majority=bool(option["passed"]),
    )
