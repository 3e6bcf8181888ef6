"""The ballot of an assessment: one satisfaction poll of the ballot engine, code slips
for the public, opening, closing, and the consequences of the grades."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask_babel import gettext as _

from assessments.models import (
    Assessment,
    Rectification,
    RectificationState,
)
from assessments.services.common import RECTIFY_DAYS, AssessmentError
from core import audit
from core.times import local_today
from extensions import db
from voting import services as polls
from voting import specs
from voting.models import Poll


def _poll_id(assessment: Assessment) -> str:
    return f"ceping-{assessment.year}-{assessment.id}-{secrets.token_hex(3)}"


def prepare_ballot(assessment: Assessment) -> Poll:
    """Fix the ballot: one satisfaction poll, one option per subject (draft poll)."""
    if assessment.poll is not None:
        return assessment.poll
    if not assessment.subjects:
        raise AssessmentError(422, _("测评至少要有一个测评对象。"))
    poll = polls.create_poll(
        public_id=_poll_id(assessment),
        title=assessment.title,
        ballot="satisfaction",
        secrecy="code" if assessment.raters == "public" else "secret",
        session=assessment.session,
        options=[(s.option_id, s.title) for s in assessment.subjects],
        poll_rules=specs.build_rules(
            "satisfaction", base=assessment.grade_base, rectify_below=assessment.rectify_below
        ),
        purpose="assessment",
    ).poll
    assessment.poll = poll
    db.session.flush()
    audit.record("assessment.ballot", "assessment", assessment.id, {"poll": poll.public_id})
    return poll


def generate_codes(assessment: Assessment, count: int) -> list[str]:
    """A batch of one-time codes for a public assessment, returned once; a new batch
    voids the previous one. Only before the assessment opens."""
    if assessment.raters != "public":
        raise AssessmentError(422, _("只有公众测评使用测评码。"))
    if assessment.has_started:
        raise AssessmentError(409, _("测评已经开始，不能再生成测评码。"))
    if not 1 <= count <= 5000:
        raise AssessmentError(422, _("每批测评码数量须在 1 到 5000 之间。"))
    poll = prepare_ballot(assessment)
    codes = polls.generate_codes(poll, count)
    audit.record("assessment.codes", "assessment", assessment.id, {"count": count})
    return codes


def open_assessment(assessment: Assessment) -> None:
    """Open the assessment's poll (the caller commits)."""
    if assessment.has_started:
        raise AssessmentError(409, _("测评已经开始或已经结束。"))
    poll = prepare_ballot(assessment)
    polls.open_poll(poll)
    audit.record("assessment.open", "assessment", assessment.id, {"poll": poll.public_id})


def close_assessment(assessment: Assessment, today: date | None = None) -> list[Rectification]:
    """Close the poll (the engine commits that), then add the rectification items
    (the caller commits them; ``apply_consequences`` may be run again safely)."""
    if not assessment.is_open:
        raise AssessmentError(409, _("只有正在进行的测评才能结束。"))
    polls.close_poll(assessment.poll)
    items = apply_consequences(assessment, today or local_today())
    audit.record("assessment.close", "assessment", assessment.id, {"rectifications": [r.subject_id for r in items]})
    return items


def rectification_reason(option: dict) -> str | None:
    """Why a subject's result calls for rectification, or None."""
    if option["grade"] == "dissatisfied":
        return "dissatisfied"
    if option["grade"] == "basic":
        return "basic"
    if option["rectify"]:
        return "below_threshold"
    return None


def apply_consequences(assessment: Assessment, today: date) -> list[Rectification]:
    """A rectification item for each subject graded 基本满意 / 不满意 or under the
    threshold; idempotent (one item per subject, by constraint)."""
    poll = assessment.poll
    if poll is None or not poll.is_closed:
        return []
    by_option = {o["id"]: o for o in poll.result["options"]}
    created = []
    for subject in assessment.subjects:
        reason = rectification_reason(by_option[subject.option_id])
        if reason is None or subject.rectification is not None:
            continue
        item = Rectification(
            subject=subject,
            reason=reason,
            responsible=(subject.responsible or _("待明确"))[:120],
            due_on=today + timedelta(days=RECTIFY_DAYS),
            state=RectificationState.OPEN,
        )
        db.session.add(item)
        db.session.flush()
        audit.record("rectification.create", "rectification", item.id, {"subject": subject.id, "reason": reason})
        created.append(item)
    return created
