"""Server-side SVG charts: readable without JavaScript, with a table beside them.

Laid out for a phone: the drawing is ``WIDTH`` units wide (about the width of a
375-px screen's content column) and scales down to fit, never up; each row puts its
label on a line of its own above the bar, so no text sits beside a bar and runs off
the edge. The smallest text is ``SMALL`` units, which stays at least 12 CSS px as long
as the chart is shown at least 86 % of its width (``tests/browser/test_charts_phone.py``
measures it in Chromium at 375 px).

One thing per visual channel: a bar's length is the number (count or rate); its
colour is either the choice (stacked bars, with a legend) or a single colour. A
threshold line is always labelled with the rule's words.
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _
from markupsafe import Markup, escape

BAR_COLOURS = {
    "yes": "#1d6b35",
    "no": "#a3141d",
    "abstain": "#6b7280",
    "satisfied": "#1d6b35",
    "basic": "#b7791f",
    "dissatisfied": "#a3141d",
}
NEUTRAL = "#1f4e79"
INK = "#1b1f24"
MUTED = "#4b5563"

WIDTH = 320  # viewBox width, in user units
SMALL = 14  # the smallest font size used, in user units
LABEL = 15  # row labels
BAR_H = 18
ROW_H = LABEL + 6 + BAR_H + 12  # label line, gap, bar, gap


def text_width(text: str, size: float) -> float:
    """A generous estimate of how wide ``text`` is drawn at ``size``: wide (CJK)
    characters take 1 em, others 0.62 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.62 for ch in text)


def fit(text: str, size: float, room: float) -> str:
    """``text`` shortened with an ellipsis so that it fits ``room`` units."""
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def number(value: float) -> str:
    """20 → "20"; 20.666 → "20.7"."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


class Drawing:
    """An SVG in progress: a title and a description for screen readers, a legend,
    labelled rows of bars, and an optional labelled threshold line."""

    def __init__(self, chart_id: str, title: str, desc: str | None = None):
        self.chart_id, self.title = chart_id, title
        self.desc = desc or _("图中数字与旁边的表格相同。")
        self.parts: list[str] = []
        self.y = 0.0
        self.bars: list[float] = []  # the y of each row's bar

    def text(self, x: float, y: float, text: str, size: int = SMALL, anchor: str = "start", **attrs) -> None:
        fill = attrs.pop("fill", INK)
        extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
            f"{extra}>{escape(text)}</text>"
        )

    def legend(self, items: list[tuple[str, str]]) -> None:
        """Swatches with their meaning, wrapped onto as many lines as needed."""
        x, line_h = 0.0, SMALL + 10
        self.y += 4
        for colour, meaning in items:
            w = 14 + 6 + text_width(meaning, SMALL) + 14
            if x > 0 and x + w > WIDTH:
                x, self.y = 0.0, self.y + line_h
            self.parts.append(
                f'<rect x="{x:.1f}" y="{self.y:.1f}" width="14" height="14" fill="{colour}" class="chart-swatch"/>'
            )
            self.text(x + 20, self.y + 12, fit(meaning, SMALL, WIDTH - x - 20), class_="chart-legend")
            x += w
        self.y += line_h

    def axis(self, ticks: list[tuple[float, str]]) -> float:
        """Tick labels on a line of their own; returns where the grid lines start."""
        self.y += SMALL
        for frac, label in ticks:
            anchor = "start" if frac == 0 else "end" if frac == 1 else "middle"
            self.text(WIDTH * frac, self.y, label, anchor=anchor, fill=MUTED, class_="chart-tick")
        self.y += 4
        return self.y

    def threshold_label(self, x: float, label: str) -> float:
        """The threshold line's words, placed on their own line so they never cover a
        bar or run off the edge; returns the y where the line starts."""
        self.y += SMALL + 2
        label = fit(label, SMALL, WIDTH)
        w = text_width(label, SMALL)
        if x + 4 + w <= WIDTH:
            self.text(x + 4, self.y, label, class_="chart-threshold-label", font_weight="bold")
        elif x - 4 - w >= 0:
            self.text(x - 4, self.y, label, anchor="end", class_="chart-threshold-label", font_weight="bold")
        else:
            self.text(WIDTH, self.y, label, anchor="end", class_="chart-threshold-label", font_weight="bold")
        top = self.y - SMALL
        self.y += 6
        return top

    def row(self, label: str, value_text: str, segments: list[tuple[float, str]]) -> None:
        """One row: label (left) and value (right) on a line, the bar below it.
        ``segments`` are (width in units, colour)."""
        value_w = text_width(value_text, SMALL) + 8
        self.y += LABEL
        self.text(0, self.y, fit(label, LABEL, WIDTH - value_w), size=LABEL, class_="chart-label")
        self.text(WIDTH, self.y, value_text, anchor="end", class_="chart-value")
        self.y += 6
        self.bars.append(self.y)
        x = 0.0
        self.parts.append(
            f'<rect x="0" y="{self.y:.1f}" width="{WIDTH}" height="{BAR_H}" fill="#f3f4f6" class="chart-track"/>'
        )
        for w, colour in segments:
            if w > 0:
                self.parts.append(
                    f'<rect x="{x:.1f}" y="{self.y:.1f}" width="{w:.1f}" height="{BAR_H}" fill="{colour}"/>'
                )
            x += w
        self.y += BAR_H + 12

    def vline(self, x: float, y1: float, y2: float, dashed: bool = True, colour: str = INK) -> None:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        self.parts.append(
            f'<line x1="{x:.1f}" y1="{y1:.1f}" x2="{x:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="2"{dash}/>'
        )

    def line_through_bars(self, x: float, top: float | None = None, **kw) -> None:
        """A vertical line across every bar but not over the row labels, with a tick
        under its label (``top``) if there is one."""
        if top is not None:
            self.vline(x, top + SMALL + 2, top + SMALL + 8, **kw)
        for y in self.bars:
            if not kw:  # the threshold: a white halo keeps it visible over any bar
                self.parts.append(
                    f'<line x1="{x:.1f}" y1="{y - 3:.1f}" x2="{x:.1f}" y2="{y + BAR_H + 3:.1f}" '
                    f'stroke="#fff" stroke-width="5"/>'
                )
            self.vline(x, y - 3, y + BAR_H + 3, **kw)

    def svg(self) -> Markup:
        height = int(self.y + 4)
        cid = escape(self.chart_id)
        head = (
            f'<svg class="chart" id="{cid}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
            f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
            f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{cid}-title">{escape(self.title)}</title>'
            f'<desc id="{cid}-desc">{escape(self.desc)}</desc>'
        )
        return Markup(head + "".join(self.parts) + "</svg>")


def threshold_words(more_than: str) -> str:
    """The rule's words for a threshold fraction."""
    return {"1/2": _("过半数线"), "2/3": _("三分之二线")}.get(more_than, more_than)


def stacked_bars(
    title: str,
    rows: list[dict],
    keys: list[str],
    labels: dict[str, str],
    total: int,
    threshold: float | None = None,
    threshold_label: str | None = None,
    chart_id: str = "chart",
) -> Markup:
    """Horizontal stacked bars, one row per option, scaled to ``total``.

    ``rows`` hold a ``label`` and a count per key; colour is the choice (legend on
    top), length the count. ``threshold`` (a count) draws the passing line, labelled
    ``threshold_label`` (e.g. "过半数") and the count it stands for.
    """
    total = max(total, 1)
    d = Drawing(chart_id, title)
    d.legend([(BAR_COLOURS[k], labels[k]) for k in keys])
    line_top = None
    tx = None
    if threshold is not None:
        tx = WIDTH * min(threshold / total, 1)
        words = threshold_label or threshold_words("1/2")
        line_top = d.threshold_label(tx, _("%(rule)s：超过 %(n)s 票", rule=words, n=number(threshold)))
    first = labels[keys[0]]
    for row in rows:
        d.row(
            row["label"],
            f"{first} {row[keys[0]]}",
            [(WIDTH * row[k] / total, BAR_COLOURS[k]) for k in keys],
        )
    if tx is not None:
        d.line_through_bars(tx, line_top)
    return d.svg()
