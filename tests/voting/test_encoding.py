"""Encodings: base64url, integers, strict I-JSON, JCS, times, identifiers, codes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.protocol.encoding import (
    CODE_ALPHABET,
    InvalidValue,
    NotJSONError,
    ProtocolError,
    b64url_decode,
    b64url_encode,
    b64url_to_int,
    canonical,
    code_hash,
    format_time,
    generate_code,
    hash_from_hex,
    int_to_b64url,
    is_hash_hex,
    is_identifier,
    is_option_id,
    is_time,
    normalise_code,
    parse_json,
    parse_json_lenient,
    parse_time,
    sha256_hex,
)

# --- base64url -------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=100))
def test_b64url_round_trip(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert b64url_decode(text) == data


@pytest.mark.parametrize(
    "text",
    ["AQAB=", "AQ==", "AQ+B", "AQ/B", "AQ B", "A", "AR", "AAB", "ä", "AQAB\n"],
)
def test_b64url_decode_is_strict(text: str) -> None:
    with pytest.raises(ValueError, match="base64url"):
        b64url_decode(text)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=",
        max_size=12,
    )
)
def test_b64url_decode_accepts_only_canonical_spellings(text: str) -> None:
    try:
        data = b64url_decode(text)
    except ValueError:
        return
    assert b64url_encode(data) == text


def test_b64url_decode_refuses_non_text() -> None:
    with pytest.raises(ValueError, match="base64url"):
        b64url_decode(b"AQAB")  # type: ignore[arg-type]


def test_rsa_integers_are_minimal() -> None:
    assert int_to_b64url(65537) == "AQAB"
    assert b64url_to_int("AQAB") == 65537
    assert b64url_to_int(int_to_b64url(2**2048 - 1)) == 2**2048 - 1
    with pytest.raises(ValueError, match="minimal"):
        b64url_to_int("AAEAAQ")  # 00 01 00 01: a leading zero byte
    with pytest.raises(ValueError, match="minimal"):
        b64url_to_int("")
    with pytest.raises(ValueError, match="positive"):
        int_to_b64url(0)


# --- hashes ----------------------------------------------------------------


def test_hash_hex() -> None:
    digest = sha256_hex(b"")
    assert digest == hashlib.sha256(b"").hexdigest()
    assert is_hash_hex(digest)
    assert hash_from_hex(digest) == hashlib.sha256(b"").digest()
    assert not is_hash_hex(digest.upper())
    assert not is_hash_hex(digest[:-1])
    with pytest.raises(ValueError, match="hex"):
        hash_from_hex(digest + "0")


# --- strict I-JSON ---------------------------------------------------------


def test_parse_json_accepts_i_json() -> None:
    text = '\ufeff{"a": [0, 9007199254740991, true, null, "\\ud83d\\ude00"]}'
    assert parse_json(text.encode()) == {"a": [0, 2**53 - 1, True, None, "😀"]}
    assert parse_json(text) == parse_json(text.encode())
    assert parse_json("[" * 32 + "]" * 32) is not None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ('{"a": 1, "a": 2}', "duplicate"),
        ('{"a": {"b": 1, "b": 1}}', "duplicate"),
        ("1.0", "only integers"),
        ("1e2", "only integers"),
        ("-1", "negative"),
        ("-0", "negative"),
        ("9007199254740992", "larger than"),
        pytest.param("1" * 5000, "larger than", id="5000-digits"),
        ("NaN", "not JSON"),
        ("[Infinity]", "not JSON"),
        ("[-Infinity]", "not JSON"),
        ('"\\ud800"', "surrogate"),
        ('{"\\udc00": 1}', "surrogate"),
        pytest.param("[" * 33 + "]" * 33, "nested", id="33-deep"),
        pytest.param("[" * 100000 + "]" * 100000, "nested", id="100000-deep"),
        (b"\xff{}", "UTF-8"),
        (b'"\xed\xa0\x80"', "UTF-8"),  # an encoded surrogate
        ('{"a": 1} x', "not JSON"),
        ("", "not JSON"),
        ("{'a': 1}", "not JSON"),
    ],
)
def test_parse_json_refuses(data: bytes | str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason) as caught:
        parse_json(data)
    assert caught.value.code == "bad_request"


def test_parse_json_lenient_marks_what_is_not_i_json() -> None:
    value = parse_json_lenient('[{"a": 1, "a": 2}, 1.5, -1, 9007199254740992, "\\udc00", "ok"]')
    assert [type(v) for v in value[:5]] == [InvalidValue] * 5
    assert "duplicate" in value[0].reason
    assert value[5] == "ok"
    nested = parse_json_lenient('{"x": [{"\\ud800": 1}], "y": "\\ud83d\\ude00"}')
    assert isinstance(nested["x"][0], InvalidValue)
    assert nested["y"] == "😀"


@pytest.mark.parametrize("data", [b"\xff", "NaN", "{", "", '{"a": 1} x'])
def test_parse_json_lenient_raises_only_for_non_json(data: bytes | str) -> None:
    with pytest.raises(NotJSONError):
        parse_json_lenient(data)


# --- canonical JSON --------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=0, max_value=2**53 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_canonical_is_jcs(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (ValueError, UnicodeError):
        with pytest.raises(ValueError, match="canonical"):
            canonical(value)
        return
    assert canonical(value) == expected


def test_canonical_corner_cases() -> None:
    # UTF-16 order of member names differs from code-point order here.
    value = {"\ue000": 1, "\U0001f600": 2, "a": "\x00\x1f\x7f\u2028é"}
    assert canonical(value) == rfc8785.dumps(value)
    assert canonical({"n": 1.5}) == b'{"n":1.5}'
    with pytest.raises(ValueError, match="canonical"):
        canonical({"x": InvalidValue("dup")})
    with pytest.raises(ValueError, match="canonical"):
        canonical(2**53)


# --- times -----------------------------------------------------------------


def test_time_round_trip() -> None:
    moment = datetime(2027, 1, 12, 9, 0, 0, tzinfo=UTC)
    assert format_time(moment) == "2027-01-12T09:00:00Z"
    assert parse_time("2027-01-12T09:00:00Z") == moment
    assert format_time(datetime(7, 2, 3, 4, 5, 6, 999999)) == "0007-02-03T04:05:06Z"
    plus8 = timezone(timedelta(hours=8))
    assert format_time(datetime(2027, 1, 12, 17, 0, tzinfo=plus8)) == "2027-01-12T09:00:00Z"
    assert is_time("0001-01-01T00:00:00Z")
    assert is_time("9999-12-31T23:59:59Z")
    assert is_time("2028-02-29T12:00:00Z")


@pytest.mark.parametrize(
    "text",
    [
        "2027-02-29T00:00:00Z",
        "2027-01-01T00:00:60Z",
        "2027-01-01T24:00:00Z",
        "0000-01-01T00:00:00Z",
        "2027-01-01T00:00:00z",
        "2027-01-01 00:00:00Z",
        "2027-01-01T00:00:00.5Z",
        "2027-01-01T00:00:00+00:00",
        "２027-01-01T00:00:00Z",
        "2027-1-01T00:00:00Z",
        "2027-01-01T00:00:00Z\n",
    ],
)
def test_time_refuses(text: str) -> None:
    assert not is_time(text)
    with pytest.raises(ValueError, match="YYYY"):
        parse_time(text)


# --- identifiers -----------------------------------------------------------


def test_identifiers() -> None:
    assert is_identifier("2027-renda-4-minsheng")
    assert is_identifier("D001")
    assert is_identifier("a" * 64)
    assert is_identifier("A._-9")
    for bad in ("", "a" * 65, "-a", ".a", "_a", "a b", "a/b", "ä", "a\n", 5, None):
        assert not is_identifier(bad)
    assert is_option_id("p" * 32)
    assert not is_option_id("p" * 33)


# --- one-time codes --------------------------------------------------------


def test_code_alphabet() -> None:
    assert len(CODE_ALPHABET) == 32
    assert len(set(CODE_ALPHABET)) == 32
    assert not set("IO01") & set(CODE_ALPHABET)


def test_generate_code() -> None:
    code = generate_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert normalise_code(code) == "".join(groups)
    assert generate_code() != code


def test_normalise_code() -> None:
    assert normalise_code(" abcd-EFGH jkmn-pqrs ") == "ABCDEFGHJKMNPQRS"
    assert normalise_code("ABCDEFGHJKMNPQRS") == "ABCDEFGHJKMNPQRS"


@pytest.mark.parametrize(
    "text",
    [
        "ABCD-EFGH-JKMN-PQR",  # 15
        "ABCD-EFGH-JKMN-PQRST",  # 17
        "ABCD-EFGH-JKMN-PQRI",  # I is not in the alphabet
        "ABCD-EFGH-JKMN-PQR0",
        "ABCD-EFGH-JKMN-PQR1",
        "ABCD_EFGH_JKMN_PQRS",
        "ABCD-EFGH-JKMN-PQRß",  # not ASCII: no case mapping
        "ＡBCD-EFGH-JKMN-PQRS",  # full-width A
        "ABCD\tEFGH-JKMN-PQRS",
    ],
)
def test_normalise_code_refuses(text: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        normalise_code(text)
    assert caught.value.code == "bad_code"


def test_code_hash() -> None:
    code = "ABCDEFGHJKMNPQRS"
    assert code_hash(code) == hashlib.sha256(code.encode("ascii")).hexdigest()
    with pytest.raises(ProtocolError):
        code_hash("abcd-efgh-jkmn-pqrs")


def test_protocol_error_carries_code_detail_params() -> None:
    error = ProtocolError("bad_choices", "too many", {"rule": "max_yes", "limit": 10})
    assert (error.code, error.detail, error.params) == (
        "bad_choices",
        "too many",
        {"rule": "max_yes", "limit": 10},
    )
    assert str(error) == "too many"
    assert ProtocolError("bad_request").detail == "bad_request"
