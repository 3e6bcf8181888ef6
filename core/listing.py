"""Public lists people can search: one parser of the query string (search text, filters,
page) and one pager, shared by every list (``templates/_listing.html`` shows them).

The URL carries everything (``?q=…&year=2026&status=elected&page=2``), so a filtered
list can be linked and bookmarked. A value a list does not know (``status=nope``,
``year=-1``, ``page=abc``) is ignored: the list answers unfiltered on that field, names
what it ignored, and never fails. A page past the last shows the last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil

from flask import request, url_for
from sqlalchemy import Select, func, or_, select

from extensions import db

PER_PAGE = 20
MAX_QUERY = 100  # characters of search text kept


@dataclass(frozen=True)
class Filter:
    """One select of a list's filter form: the query parameter, its label, and the
    values it admits as (value, label) pairs, in the order shown."""

    name: str
    label: str
    choices: Sequence[tuple[str, str]]

    def admits(self, value: str) -> bool:
        return any(value == v for v, _ in self.choices)


@dataclass
class Page:
    """One page of a list: its items, the count of all matches, and where it is."""

    items: list
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first(self) -> int:
        """The 1-based position of the page's first item (0 when empty)."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0

    def numbers(self, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and ``around`` either side of
        this one; None where numbers are left out (shown as an ellipsis)."""
        keep = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown: list[int | None] = []
        for n in range(1, self.pages + 1):
            if n in keep:
                shown.append(n)
            elif shown and shown[-1] is not None:
                shown.append(None)
        return shown


@dataclass
class Listing:
    """The search, filters and page a request asked of one list, checked against the
    filters the list offers."""

    filters: list[Filter]
    q: str = ""
    values: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # labels of refused filter values
    page_asked: int = 1
    per_page: int = PER_PAGE
    searchable: bool = True

    @classmethod
    def from_request(
        cls, filters: Iterable[Filter] = (), *, per_page: int = PER_PAGE, searchable: bool = True, args=None
    ) -> Listing:
        """Parse ``request.args`` (or ``args``): unknown values are dropped and named."""
        args = request.args if args is None else args
        filters = list(filters)
        listing = cls(filters=filters, per_page=per_page, searchable=searchable)
        if searchable:
            listing.q = " ".join(str(args.get("q", "")).split())[:MAX_QUERY]
        for f in filters:
            value = str(args.get(f.name, "")).strip()
            if not value:
                continue
            if f.admits(value):
                listing.values[f.name] = value
            else:
                listing.ignored.append(f.label)
        raw = str(args.get("page", "1")).strip()
        listing.page_asked = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1
        return listing

    def get(self, name: str) -> str | None:
        """The accepted value of filter ``name``, or None."""
        return self.values.get(name)

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (search text or a filter)."""
        return bool(self.q or self.values)

    def params(self, **override) -> dict[str, str | int]:
        """The query parameters that reproduce this list, with ``override`` applied."""
        params: dict[str, str | int] = {}
        if self.q:
            params["q"] = self.q
        params.update(self.values)
        params.update(override)
        return {k: v for k, v in params.items() if v not in (None, "")}

    def url(self, page: int | None = None, *, anchor: str | None = None) -> str:
        """This list's URL (same endpoint and path arguments) at ``page``."""
        override = {"page": page} if page and page > 1 else {}
        return url_for(request.endpoint, **(request.view_args or {}), **self.params(**override), _anchor=anchor)

    def clear_url(self) -> str:
        return url_for(request.endpoint, **(request.view_args or {}))

    def search(self, *columns):
        """A condition: the search text in any of ``columns`` (case-insensitive, ``%``
        and ``_`` taken literally), or None without search text."""
        if not self.q:
            return None
        return or_(*(column.icontains(self.q, autoescape=True) for column in columns))

    def paginate(self, query: Select) -> Page:
        """Run ``query`` for the asked page (the last if it is past the end)."""
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        number = min(self.page_asked, max(1, ceil(total / self.per_page)))
        items = list(db.session.scalars(query.limit(self.per_page).offset((number - 1) * self.per_page)))
        return Page(items, total, number, self.per_page)

    def paginate_list(self, items: Sequence) -> Page:
        """The asked page of a list already in memory (rows computed in Python)."""
        total = len(items)
        number = min(self.page_asked, max(1, ceil(total / self.per_page)))
        start = (number - 1) * self.per_page
        return Page(list(items[start : start + self.per_page]), total, number, self.per_page)


def choices_of(labels: Mapping[str, object]) -> list[tuple[str, str]]:
    """(value, label) pairs from a mapping of value to (lazy) label."""
    return [(str(k), str(v)) for k, v in labels.items()]


def year_choices(years: Iterable[int]) -> list[tuple[str, str]]:
    """The years that exist in a list's data, newest first."""
    return [(str(y), str(y)) for y in sorted({int(y) for y in years if y is not None}, reverse=True)]
