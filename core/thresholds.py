"""Thresholds in one notation, for every page of every package.

A threshold on a count of votes is named in words (过半数, 超过三分之二: the words
of the law; the protocol's ``more_than`` fraction never shows). A threshold on a rate
(the rectification line under a satisfaction rate) is a percent, like the rate it is
compared with. The ``a/b`` form of the protocol is for files and the command line.
"""

from __future__ import annotations

from fractions import Fraction

from flask_babel import gettext as _


def pass_threshold(more_than: str) -> str:
    """The passing rule of an approval poll: "1/2" → 过半数, "2/3" → 超过三分之二."""
    names = {"1/2": _("过半数"), "2/3": _("超过三分之二")}
    return names.get(more_than) or _("超过 %(percent)s", percent=threshold_percent(more_than))


def threshold_percent(fraction: str | int | None) -> str:
    """A rate threshold as a percent: "4/5" → "80%", "2/3" → "66.7%"; an int is
    already a percent (80 → "80%"). ``None`` → "—"."""
    if fraction is None or fraction == "":
        return "—"
    if isinstance(fraction, int):
        return f"{fraction}%"
    value = Fraction(*(int(part) for part in fraction.split("/"))) * 100
    if value.denominator == 1:
        return f"{value.numerator}%"
    tenths = (20 * value.numerator + value.denominator) // (2 * value.denominator)
    return f"{tenths // 10}.{tenths % 10}%"


def percent_fraction(percent: int | None) -> str | None:
    """A rate threshold typed as a percent (1–100) as the protocol's fraction."""
    if percent is None:
        return None
    value = Fraction(percent, 100)
    return f"{value.numerator}/{value.denominator}"


def fraction_percent(fraction: str | None) -> int | None:
    """The protocol's fraction as a whole percent for a form field (None if none)."""
    if not fraction:
        return None
    return round(Fraction(*(int(part) for part in fraction.split("/"))) * 100)
