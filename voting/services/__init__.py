"""The polls built on the ballot engine, in three parts by meaning:

* ``polls``: lookup and counts, drafts, one-time codes, opening, lost-token reports;
* ``drafts``: ids, settings in the form's words, edits, deletion, a run-off of one's own;
* ``casting``: the hot paths of a token request and a cast, and the append to the log;
* ``closing``: the log checked against its signed state, the count, the board, results.

Views, commands and the other packages import this package and call what it names here.
The functions flush but never commit, except ``issue_token``, ``cast`` and
``close_poll``, which are each one transaction by the protocol's rule and commit
before they return what they promise (a blind signature, a receipt, a board).
"""

from voting.services.base import LogMismatch, PollError
from voting.services.batches import published_as_of, published_cast_count
from voting.services.casting import CastOutcome, PollFacts, append_if_due, cast, issue_token, poll_facts
from voting.services.closing import (
    board_chunks,
    board_etag,
    check_log,
    close_poll,
    register_entries,
    results_view,
)
from voting.services.drafts import (
    delete_draft,
    is_linked,
    may_start_runoff,
    new_public_id,
    on_draft_delete,
    runoffs_of,
    start_runoff,
    unique_public_id,
    update_draft,
)
from voting.services.polls import (
    DraftPoll,
    LostToken,
    PollCounts,
    counts,
    create_poll,
    deputy_polls,
    generate_codes,
    get_public_poll,
    lost_token_reports,
    open_poll,
    polls_for_deputy,
    public_polls,
    report_lost_token,
    staff_poll_overview,
)

__all__ = [
    "CastOutcome",
    "DraftPoll",
    "LogMismatch",
    "LostToken",
    "PollCounts",
    "PollError",
    "PollFacts",
    "append_if_due",
    "board_chunks",
    "board_etag",
    "cast",
    "check_log",
    "close_poll",
    "counts",
    "create_poll",
    "delete_draft",
    "deputy_polls",
    "generate_codes",
    "get_public_poll",
    "is_linked",
    "issue_token",
    "lost_token_reports",
    "may_start_runoff",
    "new_public_id",
    "on_draft_delete",
    "open_poll",
    "poll_facts",
    "polls_for_deputy",
    "public_polls",
    "published_as_of",
    "published_cast_count",
    "register_entries",
    "report_lost_token",
    "results_view",
    "runoffs_of",
    "staff_poll_overview",
    "start_runoff",
    "unique_public_id",
    "update_draft",
]
