"""URL converters for the whole site."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Every integer a URL names (row ids, years) is an INTEGER column: 32 bits on
# PostgreSQL, which refuses a larger parameter with an error (a 500) instead of finding
# nothing. SQLite's integers are wider, but the same schema never holds a larger id, so
# one bound serves both databases.
DB_INT_MAX = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """``<int:…>``: a number beyond ``DB_INT_MAX`` does not match (404) before any query.
    At most ten ASCII digits match at all, so ``int()`` never sees a number it refuses
    (Python's limit of 4,300 digits) or a full-width digit."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=DB_INT_MAX if max is None else max, signed=signed)


def bounded_int_text(text: str) -> int | None:
    """A number written in a query string, or None when no row could have it."""
    if not (text.isascii() and text.isdecimal()) or len(text) > 10:
        return None
    return bounded_int(int(text))


def bounded_int(value: int | None) -> int | None:
    """A number from a query string or a form, or None when no row could have it."""
    if value is None or not 0 <= value <= DB_INT_MAX:
        return None
    return value
