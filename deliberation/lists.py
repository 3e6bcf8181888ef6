"""The public lists of meetings and of a meeting's opinions, searchable and paged
(``core.listing``)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, exists, or_, select

from core.listing import Filter, Listing, Page, choices_of, year_choices
from core.models import utcnow
from core.times import to_local, to_utc
from deliberation.models import (
    MEETING_KINDS,
    OPINION_CATEGORIES,
    AgendaItem,
    Meeting,
    MeetingState,
    Opinion,
    Reply,
    ReplyStatus,
)
from extensions import db


def _year_range(year: int):
    """Meetings starting in ``year``, counted in local time (starts_at is stored UTC)."""
    return and_(Meeting.starts_at >= to_utc(datetime(year, 1, 1)), Meeting.starts_at < to_utc(datetime(year + 1, 1, 1)))


def meetings() -> tuple[Listing, list[Meeting], Page]:
    """Upcoming meetings (all that match) and past ones (paged): search in topic,
    description, place, organiser and agenda; filter by year and kind."""
    now = utcnow()
    public = Meeting.state.in_((MeetingState.ANNOUNCED, MeetingState.CLOSED))
    starts = db.session.scalars(select(Meeting.starts_at).where(public))
    filters = [
        Filter("year", _("年度"), year_choices(to_local(s).year for s in starts)),
        Filter("kind", _("会议类型"), choices_of(MEETING_KINDS)),
    ]
    listing = Listing.from_request(filters)
    conditions = [public]
    found = listing.search(Meeting.topic, Meeting.description, Meeting.place, Meeting.organiser)
    if found is not None:
        agenda = exists().where(AgendaItem.meeting_id == Meeting.id, listing.search(AgendaItem.title))
        conditions.append(or_(found, agenda))
    if listing.get("year"):
        conditions.append(_year_range(int(listing.get("year"))))
    if listing.get("kind"):
        conditions.append(Meeting.kind == listing.get("kind"))
    upcoming_when = and_(Meeting.state == MeetingState.ANNOUNCED, Meeting.ends_at >= now)
    upcoming = list(db.session.scalars(select(Meeting).where(*conditions, upcoming_when).order_by(Meeting.starts_at)))
    past = listing.paginate(
        select(Meeting).where(*conditions, ~upcoming_when).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    return listing, upcoming, past


def opinions(meeting: Meeting) -> tuple[Listing, Page]:
    """A meeting's opinions with their replies: search in the text, the author's name
    and the reply (never in a hidden opinion's text); filter by category, agenda item
    and reply status."""
    filters = [
        Filter("category", _("类别"), choices_of(OPINION_CATEGORIES)),
        Filter("reply", _("答复"), [("done", _("已答复")), ("waiting", _("待答复"))]),
    ]
    if meeting.agenda:
        filters.insert(1, Filter("item", _("议题事项"), [(str(a.id), a.title) for a in meeting.agenda]))
    listing = Listing.from_request(filters)
    query = select(Opinion).where(Opinion.meeting_id == meeting.id)
    if listing.q:
        text = and_(Opinion.hidden.is_(False), listing.search(Opinion.body, Opinion.author_name))
        reply = exists().where(
            Reply.opinion_id == Opinion.id, Reply.status == ReplyStatus.DONE, listing.search(Reply.body)
        )
        query = query.where(or_(text, reply))
    if listing.get("category"):
        query = query.where(Opinion.category == listing.get("category"))
    if listing.get("item"):
        query = query.where(Opinion.agenda_item_id == int(listing.get("item")))
    done = exists().where(Reply.opinion_id == Opinion.id, Reply.status == ReplyStatus.DONE)
    if listing.get("reply") == "done":
        query = query.where(done)
    elif listing.get("reply") == "waiting":
        query = query.where(~done)
    return listing, listing.paginate(query.order_by(Opinion.number))
