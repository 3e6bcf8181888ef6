"""A breadth-first crawler over HTTP with one cookie jar, as one person in one
language: it follows every same-site link (``a``, ``link`` and ``script`` hrefs and
sources, ``img`` sources, GET forms filled with their default values) and never
sends a POST other than the login (nor runs a script: the ``data-url`` a script
fetches is followed as a link). URLs are grouped by pattern (digits replaced) so
that a long list is sampled, not walked."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser

PER_PATTERN = 3  # pages of one URL pattern visited per crawl
MAX_PAGES = 400  # per crawl, whatever the patterns
# Never requested while crawling: /lang/ would switch the crawl's language (each
# crawl sets its language first); /logout is a POST form and would end the session.
NOT_FOLLOWED = re.compile(r"^/(lang/|logout\b)")


@dataclass
class Page:
    """One answer: what was asked (path and query), by which page, and what came back."""

    path: str
    referrer: str
    status: int
    content_type: str
    body: bytes
    location: str | None = None

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip() == "text/html"

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the crawler records the redirect and queues its target itself


class Visitor:
    """One person's browser: a cookie jar and no automatic redirects."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path: str, data: dict | None = None, referrer: str = "") -> Page:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"User-Agent": "yishi-live-crawl"})
        try:
            response = self.opener.open(req, timeout=60)
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            response = error
        with response:
            return Page(
                path=path,
                referrer=referrer,
                status=response.status if hasattr(response, "status") else response.code,
                content_type=response.headers.get("Content-Type", ""),
                body=response.read(),
                location=response.headers.get("Location"),
            )

    def get(self, path: str, referrer: str = "") -> Page:
        return self.request(path, referrer=referrer)

    def login(self, username: str, password: str) -> Page:
        token = csrf_token(self.get("/login").text())
        return self.request("/login", {"username": username, "password": password, "csrf_token": token})


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if match is None:
        raise AssertionError("the login page has no CSRF token")
    return match.group(1)


class Links(HTMLParser):
    """The URLs a page leads to with GET: links, sources and GET forms."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._form: dict | None = None  # the open GET form: action and fields
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("data-url"):  # what a page's script fetches (live counts)
            self.urls.append(a["data-url"])
        if tag in ("a", "link") and a.get("href"):
            self.urls.append(a["href"])
        elif tag in ("img", "script", "source", "iframe") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "form":
            if (a.get("method") or "get").lower() == "get":
                self._form = {"action": a.get("action") or "", "fields": []}
        elif self._form is not None:
            self._form_field(tag, a)

    def _form_field(self, tag, a):
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            self._form["fields"].append([name, a.get("value", "on" if kind in ("checkbox", "radio") else "")])
        elif tag == "select" and name:
            self._select = name
            self._form["fields"].append([name, None])  # the first option unless one is selected
        elif tag == "option" and self._select:
            field_ = next(f for f in reversed(self._form["fields"]) if f[0] == self._select)
            if field_[1] is None or "selected" in a:
                field_[1] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"].append([name, ""])

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][-1][1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            fields = [(k, v or "") for k, v in self._form["fields"]]
            action = self._form["action"].split("?")[0].split("#")[0]
            self.urls.append(action + ("?" + urllib.parse.urlencode(fields) if fields else ""))
            self._form = None


def links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    parser.close()
    return parser.urls


def same_site(base: str, page_path: str, href: str) -> str | None:
    """``href`` as a path and query on this site, or None for another site, a
    fragment of the same page or a non-HTTP scheme."""
    href = href.strip()
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    absolute = urllib.parse.urljoin(base + page_path, href)
    parts = urllib.parse.urlsplit(absolute)
    if f"{parts.scheme}://{parts.netloc}" != base:
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


_PIECES = re.compile(r"([-_.])")


def _shape(piece: str) -> str:
    if piece.isdigit():
        return "{n}"
    if re.search(r"\d", piece) and (re.fullmatch(r"[0-9a-f]{6,}", piece) or len(piece) >= 16):
        return "{token}"  # a hex suffix, a file's stored name, a QR secret
    return piece


def pattern(path: str) -> str:
    """The URL's shape: numbers and tokens replaced, query values dropped; e.g.
    ``/polls/ceping-2026-1-4aeb69`` is ``/polls/ceping-{n}-{n}-{token}``."""
    path, _, query = path.partition("?")
    shape = "/".join("".join(_shape(piece) for piece in _PIECES.split(segment)) for segment in path.split("/"))
    keys = sorted({k for k, _ in urllib.parse.parse_qsl(query, keep_blank_values=True)})
    return shape + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    """What one visitor met: every answer in visiting order, and the links skipped
    because their pattern had been visited enough."""

    role: str
    language: str
    pages: list[Page] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    capped: bool = False

    def visited(self, path_pattern: str) -> bool:
        """Whether a page whose path matches ``path_pattern`` answered 200."""
        return any(re.match(path_pattern, p.path) and p.status == 200 for p in self.pages)


def crawl(visitor: Visitor, role: str, language: str, starts: list[str]) -> Crawl:
    """Breadth first from ``starts``; at most PER_PATTERN URLs per pattern."""
    result = Crawl(role, language)
    queue: deque[tuple[str, str]] = deque((path, "") for path in starts)
    seen = set(starts)
    per_pattern: Counter = Counter(pattern(p) for p in starts)
    while queue:
        if len(result.pages) >= MAX_PAGES:
            result.capped = True
            break
        path, referrer = queue.popleft()
        page = visitor.get(path, referrer)
        result.pages.append(page)
        found: list[str] = []
        if 300 <= page.status < 400 and page.location:
            found = [page.location]
        elif page.status == 200 and page.is_html:
            found = links(page.text())
        for href in found:
            target = same_site(visitor.base, path, href)
            if target is None or target in seen or NOT_FOLLOWED.match(target):
                continue
            seen.add(target)
            shape = pattern(target)
            if per_pattern[shape] >= PER_PATTERN:
                result.skipped[shape] += 1
                continue
            per_pattern[shape] += 1
            queue.append((target, path))
    return result
