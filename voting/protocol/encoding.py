"""Encodings of ``yishi-ballot/1``: base64url, RSA integers, strict I-JSON, JCS,
hashes, times, identifiers and one-time codes.

Everything here is pure and shared by the server, the tools and the verifier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import rfc8785

MAX_INT = 2**53 - 1
MAX_DEPTH = 32
_SHARED_LENGTH = 64  # lenient parsing keeps one copy of equal strings up to this

# 32 symbols: A-Z and 2-9 without I and O (I/1 and O/0 look alike on paper).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16

_B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64URL_VALUE = {c: i for i, c in enumerate(_B64URL_ALPHABET)}
_B64URL_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_HASH_HEX_RE = re.compile(r"[0-9a-f]{64}")
_IDENTIFIER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
# A \uD800-\uDFFF escape might be a lone surrogate, which I-JSON forbids.
_SURROGATE_ESCAPE_RE = re.compile(r"\\u[dD][89a-fA-F]")
_ANY_SURROGATE_RE = re.compile("[\ud800-\udfff]|\\\\u[dD][89a-fA-F]")
_CODE_SET = frozenset(CODE_ALPHABET)


class ProtocolError(Exception):
    """A message or object that breaks the protocol.

    ``code`` is one of the protocol's machine error codes (``bad_request``,
    ``bad_choices``, ``bad_code``, ``wrong_manifest``, ``bad_token_signature`` …),
    ``detail`` an English explanation naming the field, and ``params`` the values
    a translated message needs (for example ``{"rule": "max_yes", "limit": 10}``).
    """

    def __init__(self, code: str, detail: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail or code
        self.params: dict[str, Any] = dict(params or {})

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.detail!r}, {self.params!r})"


class NotJSONError(ValueError):
    """Raised by lenient parsing when the input is not UTF-8 or not JSON at all."""


class InvalidValue:
    """Stands for a value that is JSON but not I-JSON, in leniently parsed data.

    The verifier parses leniently so that such a fault is reported under the check
    that owns the member instead of making the whole file unreadable.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"InvalidValue({self.reason!r})"


# --- base64url and integers -------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode strict, canonical base64url without padding; raise ``ValueError``."""
    # binascii's strict mode refuses characters outside the standard alphabet;
    # the standard alphabet's own "+" and "/" and padding are refused here.
    if not isinstance(text, str) or "+" in text or "/" in text or "=" in text:
        raise ValueError("not base64url (padding or characters outside the alphabet)")
    extra = len(text) % 4
    if extra == 1:
        raise ValueError("base64url length is impossible")
    try:
        raw = text.encode("ascii").translate(_B64URL_TO_STANDARD)
        data = binascii.a2b_base64(raw + b"=" * (-extra % 4), strict_mode=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise ValueError("not base64url (characters outside the alphabet)") from exc
    # Non-zero unused bits in the last character would give a second spelling.
    if extra and _B64URL_VALUE[text[-1]] & (0x0F if extra == 2 else 0x03):
        raise ValueError("base64url is not canonical (non-zero trailing bits)")
    return data


def int_to_bytes(value: int) -> bytes:
    """Minimal big-endian bytes of a positive integer."""
    if value <= 0:
        raise ValueError("only positive integers have a minimal encoding here")
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def int_to_b64url(value: int) -> str:
    """Encode a positive integer as minimal big-endian bytes in base64url."""
    return b64url_encode(int_to_bytes(value))


def b64url_to_int(text: str) -> int:
    """Decode a base64url integer, refusing an empty value or a leading zero byte."""
    data = b64url_decode(text)
    if not data or data[0] == 0:
        raise ValueError("integer is not minimal big-endian")
    return int.from_bytes(data, "big")


# --- hashes and canonical JSON ---------------------------------------------


def sha256_hex(data: bytes) -> str:
    """SHA-256 as 64 lowercase hex characters."""
    return hashlib.sha256(data).hexdigest()


def is_hash_hex(value: object) -> bool:
    """True for exactly 64 lowercase hex characters."""
    return isinstance(value, str) and _HASH_HEX_RE.fullmatch(value) is not None


def hash_from_hex(value: object) -> bytes:
    """The 32 bytes of a 64-lowercase-hex hash; raise ``ValueError`` otherwise."""
    if not is_hash_hex(value):
        raise ValueError("not 64 lowercase hex characters")
    assert isinstance(value, str)
    return bytes.fromhex(value)


def _plain(obj: object) -> bool:
    """True when ``json.dumps`` gives exactly the JCS bytes of ``obj``.

    That holds for strings, booleans, null, integers within ±(2^53-1), and
    objects whose member names are ASCII (so UTF-16 and code-point orders agree).
    """
    stack = [obj]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is dict:
            for key in value:  # type: ignore[attr-defined]
                if type(key) is not str or not key.isascii():
                    return False
            stack.extend(value.values())  # type: ignore[attr-defined]
        elif kind is list:
            stack.extend(value)  # type: ignore[arg-type]
        elif kind is int:
            if not -MAX_INT <= value <= MAX_INT:  # type: ignore[operator]
                return False
        else:
            return False
    return True


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_parsed(obj: Any) -> bytes:
    """JCS bytes of a value returned by ``parse_json`` or ``parse_json_lenient``.

    Such values hold no floats and no integers outside 0 … 2^53-1, so ASCII
    output of ``json`` is already canonical; anything else takes ``canonical``.
    Raises ``ValueError`` like ``canonical``.
    """
    try:
        text = _ENCODER.encode(obj)
    except (TypeError, ValueError, RecursionError):
        return canonical(obj)
    # ASCII member names sort the same by code point and by UTF-16 unit.
    return text.encode("ascii") if text.isascii() else canonical(obj)


def canonical(obj: Any) -> bytes:
    """RFC 8785 (JCS) bytes of ``obj``; raise ``ValueError`` if it has none."""
    try:
        if _plain(obj):
            # The C encoder is about eight times faster than rfc8785 and gives
            # the same bytes for these values; the verifier hashes every ballot.
            return _ENCODER.encode(obj).encode("utf-8")
        return rfc8785.dumps(obj)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"no canonical JSON form: {exc}") from exc


# --- strict I-JSON ---------------------------------------------------------


def _bad(detail: str) -> ProtocolError:
    return ProtocolError("bad_request", detail)


def _strict_int(text: str) -> int:
    if text.startswith("-"):
        raise _bad("negative numbers are not allowed")
    # Checked before int() so a huge literal costs nothing.
    if len(text) > 16 or int(text) > MAX_INT:
        raise _bad("integer larger than 2^53-1")
    return int(text)


def _strict_float(text: str) -> Any:
    raise _bad(f"only integers are allowed, not {text[:20]}")


def _strict_constant(text: str) -> Any:
    raise _bad(f"{text} is not JSON")


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _bad(f"duplicate member name {_first_duplicate(pairs)!r}")
    return obj


def _first_duplicate(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    return ""


def _lenient_int(text: str) -> Any:
    if text.startswith("-"):
        return InvalidValue(f"negative number {text[:20]}")
    if len(text) > 16 or int(text) > MAX_INT:
        return InvalidValue("integer larger than 2^53-1")
    return int(text)


def _lenient_float(text: str) -> Any:
    return InvalidValue(f"number with a fraction or exponent {text[:20]}")


def _lenient_constant(text: str) -> Any:
    # NaN and Infinity are not JSON at all, so this file is unreadable.
    raise NotJSONError(f"{text} is not JSON")


def _lenient_object_hook() -> Any:
    # Short string values ("yes", the poll id …) repeat in every ballot: keeping
    # one copy of each saves a good part of a large board's memory.
    shared: dict[str, str] = {}

    def hook(pairs: list[tuple[str, Any]]) -> Any:
        """Build one object, marking it if a member name repeats."""
        obj = {
            key: shared.setdefault(value, value) if type(value) is str and len(value) <= _SHARED_LENGTH else value
            for key, value in pairs
        }
        if len(obj) != len(pairs):
            return InvalidValue(f"duplicate member name {_first_duplicate(pairs)!r}")
        return obj

    return hook


_STRICT_DECODER = json.JSONDecoder(
    object_pairs_hook=_strict_object,
    parse_int=_strict_int,
    parse_float=_strict_float,
    parse_constant=_strict_constant,
)


def lenient_decoder() -> json.JSONDecoder:
    """A decoder like ``parse_json_lenient``'s (one per document: it shares strings)."""
    return json.JSONDecoder(
        object_pairs_hook=_lenient_object_hook(),
        parse_int=_lenient_int,
        parse_float=_lenient_float,
        parse_constant=_lenient_constant,
    )


# Numbers and constants as ``parse_json_lenient`` treats them, but plain dicts built
# in C, without looking for duplicate member names: use its result only where
# ``JCS_ASCII.encode`` of it gives back the very text parsed (then no name repeats).
FAST_LENIENT_DECODER = json.JSONDecoder(
    parse_int=_lenient_int,
    parse_float=_lenient_float,
    parse_constant=_lenient_constant,
)
# The JCS text of plain values whose member names are ASCII (see ``canonical``).
JCS_ASCII = _ENCODER


def decode_lenient_text(data: bytes | str) -> tuple[str, bool]:
    """The text ``parse_json_lenient`` would parse, and whether it may hold escaped
    surrogates; raises ``NotJSONError`` like it."""
    return _decode_text(data, NotJSONError)


def _has_lone_surrogate(text: str) -> bool:
    # A str holds a surrogate code point only when it came from a lone one.
    return _SURROGATE_RE.search(text) is not None


def _check_strict_tree(value: Any, check_strings: bool) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and, if asked, lone surrogates."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if check_strings and _has_lone_surrogate(node):
                raise _bad("string with a lone surrogate")
            continue
        if isinstance(node, dict):
            children: list[Any] = list(node.values())
            if check_strings:
                children.extend(node.keys())
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            raise _bad(f"nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


def _mark_lone_surrogates(value: Any) -> Any:
    """Replace each string holding a lone surrogate, or each object with such a
    member name, by an ``InvalidValue`` (lenient parsing)."""
    reason = "string with a lone surrogate"
    if isinstance(value, str):
        return InvalidValue(reason) if _has_lone_surrogate(value) else value
    if isinstance(value, dict) and any(_has_lone_surrogate(k) for k in value):
        return InvalidValue(f"member name: {reason}")
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            slots: Any = node.items()
        elif isinstance(node, list):
            slots = enumerate(node)
        else:
            continue
        for slot, child in list(slots):
            if isinstance(child, str):
                if _has_lone_surrogate(child):
                    node[slot] = InvalidValue(reason)
            elif isinstance(child, dict) and any(_has_lone_surrogate(k) for k in child):
                node[slot] = InvalidValue(f"member name: {reason}")
            else:
                stack.append(child)
    return value


def _decode_text(data: bytes | str, error: Callable[[str], Exception]) -> tuple[str, bool]:
    """The text without a BOM, and whether it may hold surrogate escapes."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data).removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8")  # UTF-8 cannot encode a surrogate
        except UnicodeDecodeError as exc:
            raise error(f"not UTF-8 (byte {exc.start})") from exc
    elif isinstance(data, str):
        text = data.removeprefix("\ufeff")
        # One pass over a large text: raw surrogates or escapes of them.
        if not text.isascii() and _ANY_SURROGATE_RE.search(text):
            if _SURROGATE_RE.search(text):
                raise error("not UTF-8 (lone surrogate)")
            return text, True
    else:
        raise error("not text")
    return text, _SURROGATE_ESCAPE_RE.search(text) is not None


def parse_json(data: bytes | str) -> Any:
    """Parse strict I-JSON (RFC 7493) as the protocol defines it.

    UTF-8 (a leading BOM is ignored); no duplicate member names; numbers only
    integers in 0 … 2^53-1; no lone surrogates; nesting at most ``MAX_DEPTH``.
    Raises ``ProtocolError("bad_request")`` for anything else.
    """
    text, escapes = _decode_text(data, _bad)
    try:
        value = _STRICT_DECODER.decode(text)
    except RecursionError as exc:
        raise _bad(f"nested deeper than {MAX_DEPTH} levels") from exc
    except json.JSONDecodeError as exc:
        raise _bad(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    _check_strict_tree(value, escapes)
    return value


def parse_json_lenient(data: bytes | str) -> Any:
    """Parse any JSON, marking values that are not I-JSON with ``InvalidValue``.

    Raises ``NotJSONError`` only when the input is not UTF-8 or not JSON (the
    verifier's "unreadable" case), and ``RecursionError`` when it is nested too
    deeply for Python's parser.
    """
    text, escapes = _decode_text(data, NotJSONError)
    try:
        value = lenient_decoder().decode(text)
    except json.JSONDecodeError as exc:
        raise NotJSONError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    return _mark_lone_surrogates(value) if escapes else value


# --- times -----------------------------------------------------------------


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC; a naive datetime is taken as UTC.

    Fractions of a second are dropped.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    # strftime("%Y") does not zero-pad years before 1000 on every platform.
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def parse_time(text: str) -> datetime:
    """Parse ``YYYY-MM-DDTHH:MM:SSZ`` (a real date, years 0001-9999, seconds
    00-59) into an aware UTC datetime; raise ``ValueError`` otherwise."""
    match = _TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("time must be YYYY-MM-DDTHH:MM:SSZ")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"time must be YYYY-MM-DDTHH:MM:SSZ on a real date: {exc}") from exc


def is_time(value: object) -> bool:
    """True for a valid protocol time string."""
    try:
        parse_time(value)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


# --- identifiers -----------------------------------------------------------


def is_identifier(value: object, max_length: int = 64) -> bool:
    """True for 1…``max_length`` characters of ``A-Z a-z 0-9 . _ -`` starting
    with a letter or digit (poll ids and voter codes)."""
    return isinstance(value, str) and len(value) <= max_length and _IDENTIFIER_RE.fullmatch(value) is not None


def is_option_id(value: object) -> bool:
    """True for an option id: an identifier of at most 32 characters."""
    return is_identifier(value, 32)


# --- one-time codes --------------------------------------------------------


def generate_code() -> str:
    """A fresh one-time code (80 random bits) shown as ``XXXX-XXXX-XXXX-XXXX``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str:
    """Remove spaces and hyphens and upper-case ASCII letters.

    Raises ``ProtocolError("bad_code")`` unless the result is 16 characters of
    ``CODE_ALPHABET``.
    """
    if not isinstance(text, str):
        raise ProtocolError("bad_code", "the code must be text")
    # Only ASCII letters change case: str.upper() would also map e.g. "ß" to "SS".
    cleaned = text.replace(" ", "").replace("-", "")
    code = "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in cleaned)
    if len(code) != CODE_LENGTH or not _CODE_SET.issuperset(code):
        raise ProtocolError("bad_code", "a code is 16 characters of A-Z and 2-9 without I and O")
    return code


def code_hash(normalised: str) -> str:
    """SHA-256 hex of the ASCII bytes of a normalised code."""
    if not isinstance(normalised, str) or len(normalised) != CODE_LENGTH or not _CODE_SET.issuperset(normalised):
        raise ProtocolError("bad_code", "the code is not normalised")
    return sha256_hex(normalised.encode("ascii"))
