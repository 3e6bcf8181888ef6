"""What the live suite checks in the crawl's answers: each download's type and body,
and each board, verified by the published verifier and compared with the results
page and the results JSON."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.live.crawler import Page, Visitor
from tests.live.server import ROOT
from voting.protocol.rules import CHOICE_VALUES


def _json(body: bytes) -> str | None:
    try:
        json.loads(body)
    except ValueError as exc:
        return f"not JSON ({exc})"
    return None


def _starts(*prefixes: bytes):
    def check(body: bytes) -> str | None:
        if not body.lstrip(b"\xef\xbb\xbf").startswith(prefixes):
            return f"does not start with {prefixes[0]!r}"
        return None

    return check


def _csv(body: bytes) -> str | None:
    lines = body.decode("utf-8-sig").splitlines()
    return None if lines and "," in lines[0] else "no header line"


def _svg(body: bytes) -> str | None:
    return None if b"<svg" in body[:500] else "no <svg> element"


# (path pattern, the Content-Type's media type, a check of the body): every non-HTML
# answer the site links to must be here, so a new kind of download gets checked.
DOWNLOADS = [
    (r"^/api/polls/[^/]+/board$", "application/json", _json),
    (r"^/api/polls/[^/]+/manifest$", "application/json", _json),
    (r"^/api/polls$", "application/json", _json),
    (r"\.json$", "application/json", _json),
    (r"\.csv$", "text/csv", _csv),
    (r"\.ics$", "text/calendar", _starts(b"BEGIN:VCALENDAR")),
    (r"\.svg$", "image/svg+xml", _svg),
    (r"\.zip$", "application/zip", _starts(b"PK\x03\x04")),
    (r"(\.pdf|^/assessments/subjects/\d+/document)$", "application/pdf", _starts(b"%PDF-")),
    (r"\.png$", "image/png", _starts(b"\x89PNG")),
    (r"\.jpe?g$", "image/jpeg", _starts(b"\xff\xd8\xff")),
    (r"\.webp$", "image/webp", _starts(b"RIFF")),
    (r"\.ico$", "image/vnd.microsoft.icon", None),
    (r"^/static/.*\.css$", "text/css", None),
    (r"^/static/.*\.js$", "text/javascript", None),
    (r"^/robots\.txt$", "text/plain", None),
]
# The charset a text download must name (the CSV files carry a BOM for Excel as well).
TEXT_TYPES = ("text/", "application/json", "image/svg+xml")


def download_fault(page: Page) -> str | None:
    """What is wrong with a 200 answer's type or body, or None."""
    path = page.path.split("?")[0]
    media, *params = [part.strip() for part in page.content_type.split(";")]
    known = next(((media_type, check) for route, media_type, check in DOWNLOADS if re.search(route, path)), None)
    if known is None and media != "text/html":
        return f"answers {page.content_type!r}, which the live suite does not know: add it to DOWNLOADS"
    expected, check = known or ("text/html", None)
    if media != expected:
        return f"Content-Type {page.content_type!r}, expected {expected}"
    if media.startswith("text/") and params != ["charset=utf-8"]:
        return f"Content-Type {page.content_type!r}: expected exactly one charset=utf-8"
    if not page.body.strip():
        return "empty body"
    return check(page.body) if check else None


BOARD_URL = re.compile(r"^/api/polls/([^/?]+)/board$")


@dataclass
class BoardCheck:
    """One board as downloaded and what its poll's pages say about it."""

    poll: str
    body: bytes
    referrer: str


def results_page_facts(page_html: str) -> dict:
    """The fingerprint, turnout, per-option counts and elected titles shown on a
    poll's results page (``templates/voting/results.html``)."""
    fingerprint = re.search(r'id="fingerprint">([0-9a-f]+)<', page_html)
    rows = {
        option: [int(n) for n in re.findall(r'<td class="num"[^>]*>(\d+)</td>', row)]
        for option, row in re.findall(r'<tr data-option="([^"]+)">(.*?)</tr>', page_html, re.S)
    }
    elected = re.search(r'<ol id="elected">(.*?)</ol>', page_html, re.S)
    return {
        "fingerprint": fingerprint.group(1) if fingerprint else None,
        "turnout": {k: int(v) for k, v in re.findall(r'data-turnout="(\w+)">(\d+)<', page_html)},
        "rows": rows,
        "elected": [html.unescape(t) for t in re.findall(r"<li>(.*?)</li>", elected.group(1))] if elected else [],
    }


def board_faults(board_check: BoardCheck, anonymous: Visitor, folder: Path) -> list[str]:
    """Run the verifier on the downloaded board with the fingerprint from the results
    page; then the board's (verified) result must be what the page and JSON show."""
    poll = board_check.poll
    page = anonymous.get(f"/polls/{poll}")
    results = anonymous.get(f"/polls/{poll}/results.json")
    if page.status != 200 or results.status != 200:
        return [f"results page {page.status}, results JSON {results.status}"]
    facts = results_page_facts(page.text())
    if not facts["fingerprint"]:
        return ["the results page shows no fingerprint"]
    path = folder / f"board-{poll}.json"
    path.write_bytes(board_check.body)
    done = subprocess.run(
        [sys.executable, "-m", "voting.verify", str(path), "--fingerprint", facts["fingerprint"], "--jobs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    faults = []
    if done.returncode != 0 or "FAIL" in done.stdout:
        faults.append(f"the verifier says ({done.returncode}):\n{done.stdout}{done.stderr}")
    board = json.loads(board_check.body)
    shown = json.loads(results.body)
    if shown["fingerprint"] != facts["fingerprint"]:
        faults.append(f"results JSON fingerprint {shown['fingerprint']}, page {facts['fingerprint']}")
    if shown["result"] != board["result"]:
        faults.append("the results JSON's result differs from the board's")
    faults += _page_faults(board, facts)
    return faults


def _page_faults(board: dict, facts: dict) -> list[str]:
    result, manifest = board["result"], board["manifest"]
    names = CHOICE_VALUES[manifest["ballot"]]  # the page's count columns, in this order
    faults = []
    for option in result["options"]:
        expected = tuple(option[name] for name in names)
        shown = tuple(facts["rows"].get(option["id"], [])[: len(names)])
        if shown != expected:
            faults.append(f"option {option['id']}: the page shows {shown}, the board counts {expected}")
    if facts["turnout"].get("cast") != result["cast"]:
        faults.append(f"the page shows {facts['turnout'].get('cast')} ballots cast, the board {result['cast']}")
    if "paper" in result:  # (rev 5) electronic, paper and spoiled counts
        expected = {
            "electronic": result["cast"] - result["paper"],
            "paper": result["paper"],
            "spoiled": result["spoiled"],
        }
        shown = {k: facts["turnout"].get(k) for k in expected}
        if shown != expected:
            faults.append(f"the page shows {shown}, the board {expected}")
    if manifest["ballot"] == "approval":
        titles = {o["id"]: o["title"] for o in manifest["options"]}
        expected_titles = [titles[i] for i in result.get("elected", [])]
        if facts["elected"] != expected_titles:
            faults.append(f"the page shows elected {facts['elected']}, the board {expected_titles}")
    return faults
