"""Small server-side SVG charts for assessment pages: percentages and counts.
Each chart has its own id, so that several can share a page; a table sits beside
each one with the same numbers."""

from __future__ import annotations

from fractions import Fraction

from markupsafe import Markup, escape

from voting.charts import BAR_COLOURS

GRADE_COLOURS = {
    "satisfied": BAR_COLOURS["satisfied"],
    "basic": BAR_COLOURS["basic"],
    "dissatisfied": BAR_COLOURS["dissatisfied"],
    None: "#6b7280",
}
NEUTRAL = "#1f4e79"


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _frame(chart_id: str, title: str, width: int, height: int) -> list[str]:
    opening = (
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-title" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    )
    return [opening, f'<title id="{chart_id}-title">{escape(title)}</title>']


def percent_bars(chart_id: str, title: str, rows: list[dict], line: Fraction | None = None) -> Markup:
    """Horizontal bars from 0 to 100 %: rows hold ``label``, ``value`` (a Fraction
    or None for "no valid votes"), ``text`` (shown at the bar's end) and ``colour``.
    ``line`` draws a dashed mark, e.g. the rectification threshold."""
    width, label_w, row_h, top = 640, 200, 28, 24
    bar_w = width - label_w - 70
    height = top + row_h * max(len(rows), 1) + 10
    parts = _frame(chart_id, title, width, height)
    for pct in (0, 50, 100):
        x = label_w + bar_w * pct / 100
        parts.append(f'<text x="{x:.1f}" y="14" font-size="11" text-anchor="middle" fill="#4b5563">{pct}%</text>')
        parts.append(f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{height - 6}" stroke="#d1d5db"/>')
    for i, row in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 18}" font-size="13" text-anchor="end" '
            f'fill="#1b1f24">{escape(_short(row["label"]))}</text>'
        )
        value = row["value"]
        w = 0.0 if value is None else float(bar_w * value)
        if w > 0:
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" '
                f'fill="{row.get("colour") or NEUTRAL}"/>'
            )
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + 18}" font-size="12" fill="#1b1f24">{escape(row["text"])}</text>'
        )
    if line is not None:
        x = label_w + float(bar_w * line)
        parts.append(
            f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{height - 6}" stroke="#1b1f24" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def count_bars(chart_id: str, title: str, rows: list[dict]) -> Markup:
    """Horizontal bars of counts: rows hold ``label``, ``count`` and ``colour``."""
    width, label_w, row_h, top = 480, 120, 28, 8
    bar_w = width - label_w - 50
    height = top + row_h * max(len(rows), 1) + 8
    most = max([r["count"] for r in rows] + [1])
    parts = _frame(chart_id, title, width, height)
    for i, row in enumerate(rows):
        y = top + i * row_h
        w = bar_w * row["count"] / most
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 18}" font-size="13" text-anchor="end" '
            f'fill="#1b1f24">{escape(_short(row["label"], 8))}</text>'
        )
        if w > 0:
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" '
                f'fill="{row.get("colour") or NEUTRAL}"/>'
            )
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + 18}" font-size="12" fill="#1b1f24">{row["count"]}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def rate_fraction(rate: str) -> Fraction | None:
    num, den = (int(x) for x in rate.split("/"))
    return None if den == 0 else Fraction(num, den)
