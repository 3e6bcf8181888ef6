"""The closing report: attendance, opinions, how many adopted, satisfaction."""

from __future__ import annotations

from collections import Counter

from deliberation.models import (
    OUTCOMES,
    RATINGS,
    Meeting,
)
from deliberation.services.opinions import public_opinions
from deliberation.services.signups import attendance

# --- Reports -------------------------------------------------------------------------


def closing_report(meeting: Meeting) -> dict:
    """Attendance, opinions, how many adopted, satisfaction: the closing report."""
    from voting.protocol.tally import rate_percent

    opinions = public_opinions(meeting)
    replies = [o.reply for o in opinions if o.reply is not None]
    done = [r for r in replies if r.is_done]
    rating_counts = Counter(r.rating for r in done)
    ratings = {key: rating_counts[key] for key in RATINGS}
    rated = sum(ratings.values())
    outcome_counts = Counter(r.outcome for r in done)
    outcomes = {key: outcome_counts[key] for key in OUTCOMES}
    stages = Counter(o.stage for o in opinions)
    return {
        "attendance": attendance(meeting),
        "opinions": len(opinions),
        "hidden": sum(o.hidden for o in opinions),
        "anonymous": sum(o.is_anonymous for o in opinions),
        "before": stages["before"],
        "during": stages["during"],
        "assigned": len(replies),
        "done": len(done),
        "outcomes": outcomes,
        "adopted": outcomes["adopted"] + outcomes["partly"],
        "ratings": ratings,
        "rated": rated,
        "satisfaction": rate_percent(f"{ratings['satisfied'] + ratings['basic']}/{rated}"),
        "decisions": [d for d in meeting.decisions if d.is_recorded],
    }
