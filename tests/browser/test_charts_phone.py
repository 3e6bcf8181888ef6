"""Every kind of chart page, on a 375-px phone, in Chinese and in English: every SVG
<text> is drawn at least 12 CSS px high (font size times the SVG's scale, measured by
Chromium), nothing runs past the chart or the screen, the threshold line is labelled
in the rule's words, and the chart keeps its data table. Screenshots go to
$YISHI_TEST_ARTIFACTS."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db

pytestmark = pytest.mark.slow

MEASURE = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {
    id: svg.id,
    role: svg.getAttribute('role'),
    title: (svg.querySelector('title') || {}).textContent || '',
    desc: (svg.querySelector('desc') || {}).textContent || '',
    box: {left: box.left, right: box.right},
    texts: [...svg.querySelectorAll('text')].map(t => {
      const r = t.getBoundingClientRect();
      const px = parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a;
      return {text: t.textContent, cls: t.getAttribute('class') || '', px, left: r.left, right: r.right};
    }),
  };
})"""

THRESHOLD_WORDS = {"zh": ("过半数", "三分之二", "整改线"), "en": ("Majority", "Two-thirds", "Rectification")}


def _chart_pages(app, today: date) -> list[tuple[str, bool]]:
    """(url, whether a threshold line is expected) for every chart page of the demo."""
    from assessments.models import Assessment
    from voting.models import Poll, PollState

    pages = []
    for poll in db.session.scalars(select(Poll).where(Poll.state == PollState.CLOSED)):
        pages.append((f"/polls/{poll.public_id}", True))
    for assessment in db.session.scalars(select(Assessment)):
        if assessment.poll is not None and assessment.poll.is_closed:
            pages.append((f"/assessments/{assessment.id}", True))
            pages.append((f"/assessments/year/{assessment.year}", False))
    return sorted(set(pages))


def test_every_chart_reads_on_a_phone(app, live_server, browser):
    from core.demo import seed_demo

    today = date.today()
    seed_demo(today)
    pages = _chart_pages(app, today)
    kinds = {url.split("/")[1] + ("/year" if "/year/" in url else "") for url, _ in pages}
    assert kinds >= {"polls", "assessments", "assessments/year"}, pages
    artifacts = Path(os.environ.get("YISHI_TEST_ARTIFACTS", "/tmp/yishi-artifacts")) / "charts"
    artifacts.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    try:
        for lang in ("zh", "en"):
            page.goto(f"{live_server.url}/lang/{lang}")
            for url, has_line in pages:
                response = page.goto(live_server.url + url)
                assert response.status == 200, url
                charts = page.evaluate(MEASURE)
                where = f"{url} ({lang})"
                assert charts, f"{where}: no chart"
                width = page.evaluate("window.innerWidth")
                labels = []
                for chart in charts:
                    assert chart["role"] == "img" and chart["title"] and chart["desc"], where
                    # the chart keeps its data table: the same section holds a <table>
                    assert page.evaluate(
                        "id => !!document.getElementById(id).closest('section').querySelector('table')",
                        chart["id"],
                    ), f"{where}: chart {chart['id']} has no table beside it"
                    for t in chart["texts"]:
                        assert t["px"] >= 12, f"{where}: {t['text']!r} is drawn {t['px']:.1f}px high"
                        assert t["left"] >= chart["box"]["left"] - 0.5, f"{where}: {t['text']!r} clipped left"
                        assert t["right"] <= chart["box"]["right"] + 0.5, f"{where}: {t['text']!r} clipped right"
                        assert t["right"] <= width, f"{where}: {t['text']!r} runs off the screen"
                    labels += [t["text"] for t in chart["texts"] if "chart-threshold-label" in t["cls"]]
                if has_line:
                    assert labels, f"{where}: the threshold line has no label"
                    assert all(any(w in x for w in THRESHOLD_WORDS[lang]) for x in labels), (where, labels)
                assert page.evaluate("document.documentElement.scrollWidth") <= 376, f"{where} scrolls sideways"
                name = url.strip("/").replace("/", "_")
                page.screenshot(path=str(artifacts / f"{name}-{lang}.png"), full_page=True)
                for i in range(len(charts)):
                    page.locator("svg.chart").nth(i).screenshot(path=str(artifacts / f"{name}-{lang}-chart{i}.png"))
    finally:
        context.close()
