"""Batches and coarse counters (protocol revision 5, "Order and counters").

A secret poll's ballots wait in ``pending_ballot`` and are appended to the log in
batches, each in an order drawn from the operating system's random source, so that
the log order says nothing about the order of arrival within a batch. While a poll is
open, every count of cast ballots shown to anyone is ``published_cast_count``: the log
size as it was at the last 30-second boundary, which changes at most once every 30
seconds and is always the size after some batch (a sum of whole batches).

The clock is ``clock()`` (Unix seconds): the simulation tests replace it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import current_app

COUNT_PERIOD = 30  # seconds: a published count changes at most this often


def clock() -> float:
    return time.time()


def batched(secrecy: str) -> bool:
    """Does a poll of this secrecy append in batches (``YISHI_BATCH_POLLS``)?"""
    return secrecy == "secret" or current_app.config["YISHI_BATCH_POLLS"] == "all"


def settings() -> tuple[float, int, float]:
    """The window (seconds), the fewest ballots a batch waits for, the longest wait."""
    cfg = current_app.config
    return float(cfg["YISHI_BATCH_SECONDS"]), int(cfg["YISHI_BATCH_MIN"]), float(cfg["YISHI_BATCH_MAX_SECONDS"])


def is_due(opened: float | None, pending: int, now: float) -> bool:
    """Is the batch that opened at ``opened`` and holds ``pending`` ballots to be
    appended now? (The close appends whatever is pending, due or not.)"""
    if opened is None or pending <= 0:
        return False
    window, least, longest = settings()
    waited = now - opened
    return (waited >= window and pending >= least) or waited >= longest


def seconds_until_due(opened: float | None, pending: int, now: float) -> float:
    """How long a waiting cast may sleep before the batch can be due (0: due now)."""
    if opened is None:
        return 0.0
    window, least, longest = settings()
    target = opened + (window if pending >= least else longest)
    return max(0.0, target - now)


def period_start(now: float) -> float:
    return now - now % COUNT_PERIOD


def next_published(log_committed: float | None, log_published: int, size_before: int, now: float) -> int:
    """The ``log_published`` to store with a batch committed at ``now``: the log size at
    the start of ``now``'s period, which is the size before this commit when the
    previous commit fell in an earlier period."""
    if log_committed is None or period_start(log_committed) < period_start(now):
        return size_before
    return log_published


def published_count(
    is_open: bool, log_size: int, log_committed: float | None, log_published: int, now: float | None = None
) -> int:
    """The count of cast ballots that may be shown at ``now`` (see the module)."""
    if not is_open:
        return log_size
    now = clock() if now is None else now
    if log_committed is None or period_start(log_committed) < period_start(now):
        return log_size
    return log_published


def published_cast_count(poll, now: float | None = None) -> int:
    """The count of ballots cast in ``poll`` that anyone may be shown now: live once the
    poll has closed, and while it is open the log size at the last 30-second boundary
    (so it changes at most once every 30 s, never goes down, and never splits a batch).
    Token issuance and check-in counts are not affected: they stay live."""
    return published_count(poll.is_open, poll.log_size, poll.log_committed, poll.log_published or 0, now)


def published_as_of(now: float | None = None) -> datetime:
    """The moment ``published_cast_count`` speaks of: the last 30-second boundary (UTC,
    naive like the database's times)."""
    now = clock() if now is None else now
    return datetime.fromtimestamp(period_start(now), UTC).replace(tzinfo=None)
