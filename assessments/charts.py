"""Small server-side SVG charts for assessment pages: percentages and counts.
Each chart has its own id, so that several can share a page; a table sits beside
each one with the same numbers. Layout and sizes are voting.charts' (phone first).

Bars are one colour: their length is the rate or the count, and nothing else is
coded in colour (the grade is in the table and in the row's words)."""

from __future__ import annotations

from fractions import Fraction

from flask_babel import gettext as _
from markupsafe import Markup

from voting.charts import NEUTRAL, WIDTH, Drawing


def percent_bars(
    chart_id: str,
    title: str,
    rows: list[dict],
    line: Fraction | None = None,
    line_label: str | None = None,
    meaning: str | None = None,
) -> Markup:
    """Horizontal bars from 0 to 100 %: rows hold ``label``, ``value`` (a Fraction
    or None for "no valid votes") and ``text`` (shown at the row's right). ``line``
    draws a dashed mark, e.g. the rectification threshold, labelled ``line_label``.
    ``meaning`` says in the legend what a bar's length is."""
    d = Drawing(chart_id, title)
    d.legend([(NEUTRAL, meaning or _("条长 = 百分比"))])
    line_top = None
    lx = None
    if line is not None:
        lx = WIDTH * float(line)
        line_top = d.threshold_label(lx, line_label or _("整改线"))
    d.axis([(0, "0%"), (0.5, "50%"), (1, "100%")])
    for row in rows:
        value = row["value"]
        d.row(row["label"], row["text"], [(0.0 if value is None else WIDTH * float(value), NEUTRAL)])
    d.line_through_bars(WIDTH / 2, dashed=False, colour="#9ca3af")  # the 50 % mark
    if lx is not None:
        d.line_through_bars(lx, line_top)
    return d.svg()


def count_bars(chart_id: str, title: str, rows: list[dict], meaning: str | None = None) -> Markup:
    """Horizontal bars of counts: rows hold ``label`` and ``count``."""
    most = max([r["count"] for r in rows] + [1])
    d = Drawing(chart_id, title)
    d.legend([(NEUTRAL, meaning or _("条长 = 数量"))])
    for row in rows:
        d.row(row["label"], str(row["count"]), [(WIDTH * row["count"] / most, NEUTRAL)])
    return d.svg()


def rate_fraction(rate: str) -> Fraction | None:
    num, den = (int(x) for x in rate.split("/"))
    return None if den == 0 else Fraction(num, den)
