"""The charts' SVG: titled and described for screen readers, threshold labelled in the
rule's words, long labels shortened to fit, one colour per choice (or one colour)."""

from __future__ import annotations

import re
from fractions import Fraction

from assessments import charts as assessment_charts
from voting import charts
from voting.views import choice_labels


def test_stacked_bars_label_the_threshold_and_fit_long_titles(app):
    with app.test_request_context("/"):
        svg = str(
            charts.stacked_bars(
                "结果",
                [{"label": "很长的项目名称" * 6, "yes": 30, "no": 5, "abstain": 2}],
                ["yes", "no", "abstain"],
                choice_labels(),
                total=40,
                threshold=80 / 3,
                threshold_label=charts.threshold_words("2/3"),
            )
        )
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "三分之二线：超过 26.7 票" in svg
    labels = re.findall(r'class="chart-label">([^<]*)<', svg)
    assert labels[0].endswith("…") and charts.text_width(labels[0], charts.LABEL) <= charts.WIDTH
    assert set(re.findall(r'fill="(#[0-9a-f]{6})"/>', svg)) - {"#f3f4f6"} <= set(charts.BAR_COLOURS.values())


def test_rate_bars_are_one_colour_in_english(app):
    with app.test_request_context("/", headers={"Cookie": "yishi_lang=en"}):
        svg = str(
            assessment_charts.percent_bars(
                "rate",
                "Rates",
                [{"label": "A", "value": Fraction(1, 2), "text": "50.0%"}],
                line=Fraction(4, 5),
            )
        )
    bars = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"/>', svg)
    assert set(bars) - {"#f3f4f6"} == {charts.NEUTRAL}
    assert "Rectification line" in svg and "Bar length = percentage" in svg
