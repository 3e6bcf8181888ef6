"""States as part of the model: each state's StrEnum lists exactly the values the
database accepts, every value has its label, and what is stored and published is the
plain string, never an enum's repr."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import inspect, select, text

from assessments.models import (
    Assessment,
    AssessmentState,
    DeputySuggestion,
    DeputySuggestionState,
    Rectification,
    RectificationState,
)
from deliberation.models import (
    Decision,
    DecisionState,
    Meeting,
    MeetingState,
    Reply,
    ReplyStatus,
    Signup,
    SignupStatus,
)
from extensions import db
from projects.models import (
    Project,
    ProjectStatus,
    RectificationItem,
    RectificationItemStatus,
    Suggestion,
    SuggestionStatus,
)
from tests.factories import make_congress
from tests.voting.factories import approval_poll, close
from voting.models import Poll, PollState

# (table, column, enum, model): every stored state or status column.
STORED = [
    ("poll", "state", PollState, Poll),
    ("suggestion", "status", SuggestionStatus, Suggestion),
    ("project", "status", ProjectStatus, Project),
    ("rectification_item", "status", RectificationItemStatus, RectificationItem),
    ("assessment_rectification", "state", RectificationState, Rectification),
    ("deputy_suggestion", "state", DeputySuggestionState, DeputySuggestion),
    ("meeting", "state", MeetingState, Meeting),
    ("meeting_signup", "status", SignupStatus, Signup),
    ("meeting_opinion_reply", "status", ReplyStatus, Reply),
    ("meeting_decision", "state", DecisionState, Decision),
]


@pytest.mark.parametrize(("table", "column", "enum", "model"), STORED, ids=[s[0] for s in STORED])
def test_each_state_enum_lists_exactly_what_the_database_accepts(app, table, column, enum, model):
    constraints = [
        c for c in inspect(db.engine).get_check_constraints(table) if c["name"].endswith(f"{table}_{column}")
    ]
    assert len(constraints) == 1, constraints
    assert set(re.findall(r"'([^']*)'", constraints[0]["sqltext"])) == {member.value for member in enum}
    default = model.__table__.c[column].default  # a sign-up's status is always chosen
    assert default is None or type(default.arg) is enum


@pytest.mark.parametrize(("table", "column", "enum", "model"), STORED, ids=[s[0] for s in STORED])
def test_every_state_has_its_label(app, table, column, enum, model):
    labels = set()
    for member in enum:
        # Both what the code assigns (the member) and what a query loads (a plain str).
        for value in (member, member.value):
            item = model(**{column: value})
            label = getattr(item, f"{column}_label")
            assert label and isinstance(label, str)
            labels.add(label)
    assert len(labels) == len(enum)


def test_an_assessments_state_follows_its_poll(app):
    assessment = Assessment(title="t", year=2027, raters="public")
    assert assessment.state is AssessmentState.DRAFT and assessment.is_draft and not assessment.has_started
    labels = {assessment.state_label}
    for stored, expected in (("draft", AssessmentState.READY), ("open", "open"), ("closed", "closed")):
        assessment.poll = Poll(state=stored)
        assert assessment.state is AssessmentState(expected)
        assert assessment.has_started == (stored != "draft")
        labels.add(assessment.state_label)
    assert len(labels) == len(AssessmentState)


def test_stored_and_published_states_are_the_plain_strings(app, client):
    _, session = make_congress(2)
    poll = approval_poll(session, options=2, seats=1)  # the services assign PollState members
    assert json.dumps({"state": poll.state}) == '{"state": "open"}'
    assert db.session.execute(text("SELECT state FROM poll")).scalar_one() == "open"
    close(poll)
    db.session.expire_all()
    loaded = db.session.scalar(select(Poll))
    assert type(loaded.state) is str and loaded.state == PollState.CLOSED and loaded.is_closed
    listed = client.get("/api/polls").get_json()["polls"]
    assert [p["state"] for p in listed] == ["closed"]
    assert 'class="badge badge-closed"' in client.get("/polls").get_data(as_text=True)
