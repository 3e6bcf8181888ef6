"""The rules of a meeting's life, in parts by meaning:

* ``meetings``: create, edit, agenda, notice, announce, close; minutes and speakers;
* ``signups``: sign-up with capacity and waiting list, the lot draw, check-in;
* ``opinions``: opinions, moderation, and the follow-up with lead units;
* ``decisions``: a show of hands or an on-the-spot code vote;
* ``report``: the closing report;
* ``common``: the refusal, the codes handed to people, the meeting lock.

Views, commands and tests import this package and call what it names here. Services
flush but never commit (the view commits), except ``close_vote`` which calls the ballot
engine's ``close_poll`` (one transaction by the protocol's rule). Refusals raise
``DeliberationError`` with a translated message and an HTTP status.
"""

from deliberation.services.common import DeliberationError, lock_meeting, signup_digest, tracking_digest
from deliberation.services.decisions import add_decision, close_vote, issue_vote_codes, open_vote, record_hands
from deliberation.services.meetings import (
    add_agenda_item,
    add_speaker,
    all_meetings,
    announce,
    close_meeting,
    create_meeting,
    delete_meeting,
    get_meeting,
    get_public_meeting,
    notice_days,
    past_meetings,
    required_notice_days,
    sanitise_minutes,
    save_minutes,
    short_notice,
    upcoming_meetings,
    update_meeting,
)
from deliberation.services.opinions import (
    all_replies,
    assign,
    dashboard_items,
    find_opinion_by_code,
    hide_opinion,
    opinions_open,
    overdue_replies,
    public_opinions,
    rate_reply,
    submit_opinion,
    unhide_opinion,
    unit_replies,
    update_reply,
)
from deliberation.services.report import closing_report
from deliberation.services.signups import (
    CheckInOutcome,
    attendance,
    cancel_signup,
    check_in,
    draw_lot,
    draw_record,
    find_signup,
    present_count,
    promote_next,
    quorum_met,
    sign_up,
    signups_open,
    waiting_position,
)

__all__ = [
    "CheckInOutcome",
    "DeliberationError",
    "add_agenda_item",
    "add_decision",
    "add_speaker",
    "all_meetings",
    "all_replies",
    "announce",
    "assign",
    "attendance",
    "cancel_signup",
    "check_in",
    "close_meeting",
    "close_vote",
    "closing_report",
    "create_meeting",
    "delete_meeting",
    "dashboard_items",
    "draw_lot",
    "draw_record",
    "find_opinion_by_code",
    "find_signup",
    "get_meeting",
    "get_public_meeting",
    "hide_opinion",
    "issue_vote_codes",
    "lock_meeting",
    "notice_days",
    "open_vote",
    "opinions_open",
    "overdue_replies",
    "past_meetings",
    "present_count",
    "promote_next",
    "public_opinions",
    "quorum_met",
    "rate_reply",
    "record_hands",
    "required_notice_days",
    "sanitise_minutes",
    "save_minutes",
    "short_notice",
    "sign_up",
    "signup_digest",
    "signups_open",
    "submit_opinion",
    "tracking_digest",
    "unhide_opinion",
    "unit_replies",
    "upcoming_meetings",
    "update_meeting",
    "update_reply",
    "waiting_position",
]
