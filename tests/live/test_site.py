"""The site as its users meet it: gunicorn on the demo data, crawled over HTTP as each
role in Chinese and in English. No 5xx, no same-site link to a 404, every download
with its type and a body, every board verified by the published verifier and equal
to what its pages say, no state changed by a GET, and no traceback in the log."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, inspect, text

from config import _database_url
from tests.live import server
from tests.live.checks import BOARD_URL, BoardCheck, board_faults, download_fault
from tests.live.crawler import Crawl, Visitor, crawl, same_site

pytestmark = pytest.mark.slow

ROLES = ["anonymous", "deputy", "staff", "lead_unit", "committee"]
LANGUAGES = {"zh": 'lang="zh-CN"', "en": 'lang="en"'}
# Pages each role must reach from its home page (paths matched from the start, that
# answered 200): the login worked, the crawl got past the navigation, and each kind
# of download was among what it checked.
MUST_REACH = {
    "anonymous": [
        r"/polls/[^/]+$",
        r"/api/polls/[^/]+/board$",
        r"/api/polls/[^/]+/manifest$",
        r"/verify/yishi-verify\.zip$",
        r"/projects/\d+/results\.csv$",
        r"/projects/photos/",
        r"/assessments/subjects/\d+/document$",
        r"/meetings/\d+/meeting\.ics$",
    ],
    "deputy": [r"/me$", r"/polls/[^/]+/vote$", r"/assessments/suggestions/mine$"],
    "staff": [
        r"/dashboard$",
        r"/staff/polls/\d+$",
        r"/staff/polls/\d+/counts\.json$",
        r"/sessions/\d+/qr\.svg$",
        r"/sessions/\d+/counts\.json$",
        r"/staff/projects/\d+$",
        r"/assessments/staff/\d+$",
        r"/staff/meetings/\d+$",
        r"/audit",
    ],
    "lead_unit": [r"/assessments/unit/suggestions$", r"/staff/meetings/unit$", r"/assessments/suggestions/\d+$"],
    "committee": [r"/me$", r"/assessments/suggestions/mine$"],
}


def test_the_site_as_every_role(site, tmp_path):
    started = time.monotonic()
    before = database_digest(site.database_url)
    with ThreadPoolExecutor(max_workers=2) as pool:  # gunicorn has two workers
        crawls = list(pool.map(lambda job: crawl_as(site, *job), [(r, lang) for r in ROLES for lang in LANGUAGES]))
    findings: dict[str, list[str]] = defaultdict(list)
    for result in crawls:
        check_crawl(result, findings)
    check_boards(site, crawls, tmp_path, findings)
    changed = [t for t, digest in database_digest(site.database_url).items() if before.get(t) != digest]
    if changed:
        findings["a GET changed the database"].append(f"tables {changed}")
    server.stop(site)
    findings["the server log"] += log_errors(site.log_text())

    pages = sum(len(c.pages) for c in crawls)
    summary = [f"{c.role:9} {c.language}: {len(c.pages):3} pages" for c in crawls]
    summary.append(f"{pages} pages in {time.monotonic() - started:.1f} s; server log {site.log}")
    print("\n".join(summary))
    findings = {stage: items for stage, items in findings.items() if items}
    report = "\n".join(
        f"{stage} ({len(items)}):\n" + "\n".join(f"  {item}" for item in items[:40])
        for stage, items in findings.items()
    )
    assert not findings, report + "\n" + "\n".join(summary)


def crawl_as(site: server.Site, role: str, language: str) -> Crawl:
    """Set the language, log in (the demo's login for the role), crawl from the home
    page and the role's own home."""
    visitor = Visitor(site.url)
    visitor.get(f"/lang/{language}")
    starts = ["/"]
    if role != "anonymous":
        answer = visitor.login(*site.logins[role])
        assert answer.status == 302, f"{role} could not log in: {answer.status}"
        home = same_site(site.url, "/login", answer.location)
        if home not in starts:
            starts.append(home)
    return crawl(visitor, role, language, starts)


def check_crawl(result: Crawl, findings: dict[str, list[str]]) -> None:
    who = f"{result.role}/{result.language}"
    if result.capped:
        findings["the crawl reached its page cap"].append(f"{who}: raise MAX_PAGES or group more URLs")
    for page in result.pages:
        where = f"{who} {page.path} (linked from {page.referrer or 'the start'})"
        if page.status >= 500:
            findings["5xx"].append(f"{page.status} {where}")
        elif page.status == 404:
            findings["dead links (404)"].append(where)
        elif page.status >= 400:
            findings["links to a refusal (4xx)"].append(f"{page.status} {where}")
        elif page.status == 200:
            fault = download_fault(page)
            if fault:
                findings["downloads"].append(f"{where}: {fault}")
            elif page.is_html and LANGUAGES[result.language] not in page.text()[:200]:
                findings["language"].append(f"{where}: not in {result.language}")
    for path_pattern in MUST_REACH[result.role]:
        if not result.visited(path_pattern):
            findings["pages not reached"].append(f"{who} never reached {path_pattern}")


def check_boards(site: server.Site, crawls: list[Crawl], folder, findings: dict[str, list[str]]) -> None:
    """Every distinct board body downloaded in the crawl is verified; every closed
    poll's board was among them."""
    boards: dict[tuple[str, str], BoardCheck] = {}
    for result in crawls:
        for page in result.pages:
            match = BOARD_URL.match(page.path)
            if match and page.status == 200:
                key = (match.group(1), hashlib.sha256(page.body).hexdigest())
                boards.setdefault(key, BoardCheck(match.group(1), page.body, page.referrer))
    anonymous = Visitor(site.url)
    listed = anonymous.get("/api/polls")
    closed = {p["poll"] for p in json.loads(listed.body)["polls"] if p["state"] == "closed"}
    for poll in sorted(closed - {poll for poll, _ in boards}):
        findings["boards"].append(f"the board of closed poll {poll} is linked from no page the crawl reached")
    if len({poll for poll, _ in boards}) < len(boards):
        findings["boards"].append("one poll's board came back with different bytes on different downloads")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda b: (b, board_faults(b, anonymous, folder)), boards.values())
        for board, faults in results:
            for fault in faults:
                findings["boards"].append(f"{board.poll} (from {board.referrer}): {fault}")


def database_digest(url: str) -> dict[str, str]:
    """A digest of every table's rows; the audit lines of logins are left out (the
    crawl logs in, and that is the only change it may make)."""
    engine = create_engine(_database_url(url, ""))
    digests = {}
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                if not re.fullmatch(r"\w+", table):
                    continue
                where = " WHERE action <> 'auth.login'" if table == "audit_log" else ""
                rows = sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"{where}')))
                digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    finally:
        engine.dispose()
    return digests


def log_errors(log: str) -> list[str]:
    """Each error line of gunicorn's log, and each traceback by its last line (the
    exception)."""
    errors, lines = [], log.splitlines()
    for i, line in enumerate(lines):
        if "[ERROR]" in line or "[CRITICAL]" in line:
            errors.append(line)
        elif line.startswith("Traceback"):
            end = next((j for j in range(i + 1, len(lines)) if not lines[j].startswith(" ")), len(lines) - 1)
            errors.append(f"Traceback … {lines[end]}")
    return errors
