"""Rectification (整改): who is responsible, by when, follow-up reports, closing, and a
reassessment."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from assessments.models import (
    Assessment,
    Rectification,
    RectificationState,
)
from assessments.services.common import AssessmentError
from assessments.services.subjects import add_subject, create_assessment, document_path
from core import audit
from core.models import Session, utcnow
from core.times import local_today
from extensions import db

# --- Rectification --------------------------------------------------------------------


def update_rectification(item: Rectification, *, responsible: str, due_on: date) -> None:
    if item.is_closed:
        raise AssessmentError(409, _("整改事项已销号，不能再修改。"))
    responsible = responsible.strip()
    if not responsible or len(responsible) > 120:
        raise AssessmentError(422, _("责任单位不能为空且不超过 120 字。"))
    item.responsible = responsible
    item.due_on = due_on
    audit.record(
        "rectification.update", "rectification", item.id, {"responsible": responsible, "due_on": due_on.isoformat()}
    )


def report_follow_up(item: Rectification, text: str, today: date) -> None:
    """The responsible body's follow-up report (整改情况报告)."""
    if item.is_closed:
        raise AssessmentError(409, _("整改事项已销号。"))
    text = (text or "").strip()
    if not text:
        raise AssessmentError(422, _("请填写整改情况报告。"))
    item.follow_up = text
    item.reported_on = today
    item.state = RectificationState.REPORTED
    audit.record("rectification.report", "rectification", item.id, {"length": len(text)})


def close_rectification(item: Rectification) -> None:
    if not item.is_reported:
        raise AssessmentError(409, _("须先报告整改情况，才能销号。"))
    item.state = RectificationState.CLOSED
    item.closed_at = utcnow()
    audit.record("rectification.close", "rectification", item.id)


def start_reassessment(
    item: Rectification, *, raters: str, session: Session | None, title: str | None = None, year: int | None = None
) -> Assessment:
    """A 不满意 subject is assessed again after its follow-up report (再次测评)."""
    if item.reason != "dissatisfied":
        raise AssessmentError(409, _("只有评定为不满意的事项需要再次测评。"))
    if item.is_open:
        raise AssessmentError(409, _("须先报告整改情况，才能再次测评。"))
    if item.reassessment_id is not None:
        raise AssessmentError(409, _("已经发起过再次测评。"))
    old = item.subject
    source = old.assessment
    again = create_assessment(
        title=title or _("%(t)s（再次测评）", t=source.title)[:200],
        year=year or local_today().year,
        raters=raters,
        session=session,
        grade_base=source.grade_base,
        rectify_below=source.rectify_below,
    )
    document = None
    path = document_path(old)
    if path is not None and path.exists():
        document = (path.read_bytes(), old.document_name or "report.pdf")
    add_subject(
        again,
        kind=old.kind,
        title=old.title,
        description=item.follow_up or old.description,
        body_type=old.body_type,
        body_name=old.body_name,
        document=document,
        document_url=old.document_url,
        suggestion=old.suggestion,
        project_id=old.project_id,
    )
    item.reassessment = again
    audit.record("rectification.reassess", "rectification", item.id, {"assessment": again.id})
    return again


def open_rectifications() -> list[Rectification]:
    """What the public list shows: every item not yet closed."""
    return list(
        db.session.scalars(
            select(Rectification)
            .where(Rectification.state != RectificationState.CLOSED)
            .order_by(Rectification.due_on, Rectification.id)
        )
    )
