"""Server-side SVG charts: readable without JavaScript, with a table beside them."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR_COLOURS = {
    "yes": "#1d6b35",
    "no": "#a3141d",
    "abstain": "#6b7280",
    "satisfied": "#1d6b35",
    "basic": "#b7791f",
    "dissatisfied": "#a3141d",
}


def stacked_bars(
    title: str, rows: list[dict], keys: list[str], labels: dict[str, str], total: int, threshold: float | None = None
) -> Markup:
    """Horizontal stacked bars, one row per option, scaled to ``total``.

    ``rows`` hold a ``label`` and a count per key; ``threshold`` (a count) draws the
    passing line. The SVG has a title and a description for screen readers.
    """
    width, label_w, row_h, top = 640, 200, 30, 28
    bar_w = width - label_w - 60
    height = top + row_h * len(rows) + 24
    total = max(total, 1)
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    x = label_w
    for key in keys:  # legend
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{BAR_COLOURS[key]}"/>')
        parts.append(f'<text x="{x + 16}" y="17" font-size="12" fill="#1b1f24">{escape(labels[key])}</text>')
        x += 16 + 14 * len(labels[key]) + 24
    for i, row in enumerate(rows):
        y = top + i * row_h
        name = row["label"] if len(row["label"]) <= 14 else row["label"][:13] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 19}" font-size="13" text-anchor="end" '
            f'fill="#1b1f24">{escape(name)}</text>'
        )
        x = float(label_w)
        for key in keys:
            w = bar_w * row[key] / total
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{BAR_COLOURS[key]}"/>'
                )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 19}" font-size="12" fill="#1b1f24">{row[keys[0]]}</text>')
    if threshold is not None:
        tx = label_w + bar_w * threshold / total
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height - 18}" '
            f'stroke="#1b1f24" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
