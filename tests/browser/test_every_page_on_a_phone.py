"""Every page of the live crawl, as every role and in both languages, read in Chromium:
on a 375 × 812 phone it does not scroll sideways, no table cell is too narrow to
read, and axe finds no serious or critical violation; on a 1280-px screen axe
finds none either (WCAG 2.1 AA, docs/accessibility.md).

One gunicorn server on the demo data (SQLite: the HTTP live suite covers both
databases) is crawled over HTTP as each role and language by tests/live/crawler.py,
which samples each URL pattern (``PER_PATTERN``); the browser then opens each HTML
page the crawl got a 200 for, logged in as the same role with the same language.

The narrow-cell rule: a visible ``td`` or ``th`` with text must leave room for three
characters of its own computed font inside its padding, i.e.
``clientWidth - padding-left - padding-right >= measureText(probe)``, where the probe
is ``中中中`` when the cell's text holds a CJK character and ``000`` otherwise (a
figure is as wide as most Latin letters; three of them fit "17 /" or "Yes"). A cell
narrower than that breaks names and dates one character a line. Cells without text (a
checkbox only) and cells not rendered (``display: none``, the visually
hidden header row of a card table) are not measured.

Every crawled page gets the phone checks; axe (at 375 and 1280 px) runs on the first
page of each URL pattern for each role and language, since pages of one pattern share
their template (about 1,300 axe runs took 15 minutes; this keeps the suite's run short).

A screenshot of the first page of each URL pattern in each language, on the phone,
is kept under ``$YISHI_TEST_ARTIFACTS/phone-pages``."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.browser.factories import axe_violations, login_in_browser
from tests.live import server
from tests.live.crawler import pattern
from tests.live.test_site import ROLES, crawl_as

pytestmark = pytest.mark.slow

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGES = ["zh", "en"]
SHOT_HEIGHT = 4000  # px of a long page kept in its screenshot

# What the page measures: the document's width and every visible cell too narrow
# for three characters of its font (the rule in the module's docstring).
MEASURE = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const cjk = /[\\u3400-\\u9fff\\uf900-\\ufaff]/;
  const hidden = (cell) => {
    if (!cell.checkVisibility({checkVisibilityCSS: true})) return true;
    for (let el = cell; el && el.tagName !== 'BODY'; el = el.parentElement) {
      const r = el.getBoundingClientRect();
      if (r.width < 2 || r.height < 2) return true;  // clipped to a pixel: for screen readers only
    }
    return false;
  };
  const narrow = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const text = cell.innerText.trim();
    if (!text || hidden(cell)) continue;
    const s = getComputedStyle(cell);
    ctx.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const need = ctx.measureText(cjk.test(text) ? '中中中' : '000').width;
    const room = cell.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    if (room + 0.5 < need) {
      const table = cell.closest('table');
      const where = table ? (table.id ? '#' + table.id : table.className ? '.' + table.className.split(' ')[0] : 'table') : '';
      narrow.push(`${where} ${cell.tagName.toLowerCase()} "${text.slice(0, 24)}" ${room.toFixed(0)}px < ${need.toFixed(0)}px`);
    }
  }
  return {width: document.documentElement.scrollWidth, narrow: narrow};
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    instance = tmp_path_factory.mktemp("phone") / "instance"
    running = server.start(instance, f"sqlite:///{instance / 'yishi.sqlite3'}")
    try:
        yield running
    finally:
        server.stop(running)


def test_every_page_fits_a_phone_and_passes_axe(site, browser):
    jobs = [(role, lang) for role in ROLES for lang in LANGUAGES]
    with ThreadPoolExecutor(max_workers=2) as pool:  # gunicorn has two workers
        crawls = list(pool.map(lambda job: crawl_as(site, *job), jobs))
    shots = Path(os.environ.get("YISHI_TEST_ARTIFACTS", "test-artifacts")) / "phone-pages"
    shots.mkdir(parents=True, exist_ok=True)
    shot_taken: set[tuple[str, str]] = set()
    findings: dict[str, list[str]] = defaultdict(list)
    visited = 0
    for result in crawls:
        paths = [p.path for p in result.pages if p.status == 200 and p.is_html]
        visited += len(paths)
        context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
        try:
            page = context.new_page()
            if result.role != "anonymous":
                login_in_browser(page, site.url, *site.logins[result.role])
            context.add_cookies([{"name": "yishi_lang", "value": result.language, "url": site.url}])
            axed: set[str] = set()
            for path in paths:
                who = f"{result.role}/{result.language} {path}"
                shape = pattern(path)
                with_axe = shape not in axed
                axed.add(shape)
                shot = None
                if (shape, result.language) not in shot_taken:
                    shot_taken.add((shape, result.language))
                    shot = shots / f"{result.language}-{result.role}-{_slug(shape)}.png"
                check_page(page, site.url + path, who, shot, findings, with_axe)
        finally:
            context.close()
    print(f"{visited} pages, each at {PHONE['width']} and {DESKTOP['width']} px; screenshots in {shots}")
    report = "\n".join(
        f"{stage} ({len(items)}):\n" + "\n".join(f"  {item}" for item in items[:60])
        for stage, items in findings.items()
    )
    assert not findings, report
    assert visited > 200, f"the crawl reached only {visited} HTML pages"


def check_page(
    page, url: str, who: str, shot: Path | None, findings: dict[str, list[str]], with_axe: bool = True
) -> None:
    """The phone checks and (``with_axe``) axe at 375 px and at 1280 px; what fails goes
    to findings."""
    page.set_viewport_size(PHONE)
    response = page.goto(url)
    if response is None or response.status != 200:
        findings["pages that did not open"].append(f"{who}: {response.status if response else 'no answer'}")
        return
    measured = page.evaluate(MEASURE)
    if measured["width"] > PHONE["width"]:
        findings["scrolls sideways at 375 px"].append(f"{who}: {measured['width']} px wide")
    for cell in measured["narrow"]:
        findings["cells narrower than three characters"].append(f"{who}: {cell}")
    if shot is not None:
        height = min(page.evaluate("document.documentElement.scrollHeight"), SHOT_HEIGHT)
        page.screenshot(
            path=str(shot), full_page=True, clip={"x": 0, "y": 0, "width": PHONE["width"], "height": height}
        )
    if not with_axe:
        return
    for violation in axe_violations(page):
        findings["axe at 375 px"].append(f"{who}: {violation}")
    page.set_viewport_size(DESKTOP)
    for violation in axe_violations(page):
        findings["axe at 1280 px"].append(f"{who}: {violation}")


def _slug(shape: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", shape).strip("-")[:120] or "home"
