"""The public lists of assessments and of rectification items, searchable and paged
(``core.listing``)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from assessments.models import (
    Assessment,
    AssessmentSubject,
    Rectification,
    RectificationState,
    raters_labels,
)
from core.listing import Filter, Listing, Page, choices_of, year_choices
from extensions import db
from voting.models import Poll, PollState


def assessments() -> tuple[Listing, Page]:
    """Assessments whose poll has opened: search in the title and the subjects (title,
    body assessed); filter by year, raters and state (open, closed)."""
    started = select(Assessment).join(Poll, Poll.id == Assessment.poll_id).where(Poll.state != PollState.DRAFT)
    years = db.session.scalars(started.with_only_columns(Assessment.year).distinct())
    filters = [
        Filter("year", _("年度"), year_choices(years)),
        Filter("raters", _("测评人"), choices_of(raters_labels())),
        Filter("state", _("状态"), [(PollState.OPEN.value, _("测评中")), (PollState.CLOSED.value, _("已结束"))]),
    ]
    listing = Listing.from_request(filters)
    query = started
    if listing.q:
        subject = exists().where(
            AssessmentSubject.assessment_id == Assessment.id,
            listing.search(AssessmentSubject.title, AssessmentSubject.body_name),
        )
        query = query.where(or_(listing.search(Assessment.title), subject))
    if listing.get("year"):
        query = query.where(Assessment.year == int(listing.get("year")))
    if listing.get("raters"):
        query = query.where(Assessment.raters == listing.get("raters"))
    if listing.get("state"):
        query = query.where(Poll.state == listing.get("state"))
    return listing, listing.paginate(query.order_by(Assessment.year.desc(), Assessment.id.desc()))


def rectifications() -> tuple[Listing, Page]:
    """Items not yet closed: search in the subject, the responsible body and the
    follow-up; filter by year, responsible body, reason and state."""
    shown = (
        select(Rectification)
        .join(AssessmentSubject, AssessmentSubject.id == Rectification.subject_id)
        .join(Assessment, Assessment.id == AssessmentSubject.assessment_id)
        .where(Rectification.state != RectificationState.CLOSED)
    )
    years = db.session.scalars(shown.with_only_columns(Assessment.year).distinct())
    units = db.session.scalars(shown.with_only_columns(Rectification.responsible).distinct())
    filters = [
        Filter("year", _("年度"), year_choices(years)),
        Filter("unit", _("责任单位"), [(u, u) for u in sorted(units)]),
        Filter(
            "reason",
            _("原因"),
            [
                ("basic", _("评定为基本满意")),
                ("dissatisfied", _("评定为不满意")),
                ("below_threshold", _("满意率低于整改线")),
            ],
        ),
        Filter(
            "state",
            _("状态"),
            [(RectificationState.OPEN.value, _("整改中")), (RectificationState.REPORTED.value, _("已报告整改情况"))],
        ),
    ]
    listing = Listing.from_request(filters)
    query = shown
    found = listing.search(AssessmentSubject.title, Rectification.responsible, Rectification.follow_up)
    if found is not None:
        query = query.where(found)
    if listing.get("year"):
        query = query.where(Assessment.year == int(listing.get("year")))
    if listing.get("unit"):
        query = query.where(Rectification.responsible == listing.get("unit"))
    if listing.get("reason"):
        query = query.where(Rectification.reason == listing.get("reason"))
    if listing.get("state"):
        query = query.where(Rectification.state == listing.get("state"))
    return listing, listing.paginate(query.order_by(Rectification.due_on, Rectification.id))
