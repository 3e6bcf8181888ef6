"""Search and pagination of staff lists and pickers, on the server: the URL carries the
query (``q``) and the page (``page``), so a list is linkable and needs no script.

A page number that is not a number, or below 1, reads as page 1; a page past the last
one answers 404 with a plain message, never a 500."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import request
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from core.errors import fail
from core.routing import bounded_int_text
from extensions import db

PER_PAGE = 50
MAX_QUERY = 100


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    q: str

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """The 1-based position of the page's first item (for "21–40 of 75")."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def query_text(name: str = "q") -> str:
    """The search text of the URL, trimmed and bounded."""
    return (request.args.get(name) or "").strip()[:MAX_QUERY]


def page_number(name: str = "page") -> int:
    """The page of the URL; anything that is not a page number reads as 1."""
    number = bounded_int_text((request.args.get(name) or "").strip())
    return number if number and number >= 1 else 1


def like_pattern(text: str) -> str:
    """``%text%`` for ILIKE, with the wildcards of ``text`` taken literally (escape ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(columns, text: str):
    """An SQL condition: one of ``columns`` contains ``text`` (any case)."""
    pattern = like_pattern(text)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def paginate(
    query: Select,
    *,
    columns=(),
    q: str | None = None,
    page: int | None = None,
    per_page: int = PER_PAGE,
    q_arg: str = "q",
    page_arg: str = "page",
    scalars: bool = True,
) -> Page:
    """One page of ``query``, narrowed to rows where one of ``columns`` contains the
    search text. ``q`` and ``page`` default to the URL's ``q_arg`` and ``page_arg``."""
    q = query_text(q_arg) if q is None else q
    page = page_number(page_arg) if page is None else page
    if q and columns:
        query = query.where(matching(columns, q))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, ceil(total / per_page))
    if page > pages:
        fail(404, _("没有第 %(page)d 页：共 %(pages)d 页。", page=page, pages=pages))
    limited = query.limit(per_page).offset((page - 1) * per_page)
    items = list(db.session.scalars(limited)) if scalars else list(db.session.execute(limited).all())
    return Page(items=items, page=page, per_page=per_page, total=total, q=q)
