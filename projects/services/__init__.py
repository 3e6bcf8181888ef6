"""The rules of the yearly cycle, in parts by meaning:

* ``suggestions``: the call for proposals and the public's suggestions, moderated;
* ``candidates``: the candidate projects of a year, locked once the vote opens;
* ``votes``: the deputies' vote and its run-off, and the year-end assessment;
* ``common``: the refusal (``CycleError``) and the grade labels.

Views, commands and tests import this package and call what it names here. Functions
flush; the view commits.
"""

from projects.services.candidates import (
    candidates,
    check_editable,
    create_candidate,
    elected_projects,
    is_locked,
    update_candidate,
    vote_poll,
    year_polls,
    years,
)
from projects.services.common import GRADE_KEYS, CycleError, grade_label
from projects.services.suggestions import (
    accept_suggestion,
    approve_suggestion,
    awaiting_review,
    call_for_year,
    create_call,
    find_by_code,
    merge_suggestion,
    open_call,
    pending_count,
    public_query,
    public_suggestions,
    refuse_suggestion,
    reject_suggestion,
    submit_suggestion,
    suggestions_of,
    tracking_digest,
)
from projects.services.votes import (
    VoteOutcome,
    apply_outcome,
    assessment,
    assessment_poll,
    create_assessment,
    create_vote,
    start_runoff,
    vote_counts,
    vote_outcome,
)

__all__ = [
    "CycleError",
    "GRADE_KEYS",
    "VoteOutcome",
    "accept_suggestion",
    "apply_outcome",
    "approve_suggestion",
    "awaiting_review",
    "assessment",
    "assessment_poll",
    "call_for_year",
    "candidates",
    "check_editable",
    "create_assessment",
    "create_call",
    "create_candidate",
    "create_vote",
    "elected_projects",
    "find_by_code",
    "grade_label",
    "is_locked",
    "merge_suggestion",
    "open_call",
    "pending_count",
    "public_query",
    "public_suggestions",
    "refuse_suggestion",
    "reject_suggestion",
    "start_runoff",
    "submit_suggestion",
    "suggestions_of",
    "tracking_digest",
    "update_candidate",
    "vote_counts",
    "vote_outcome",
    "vote_poll",
    "year_polls",
    "years",
]
