"""The shapes and rules of ``yishi-ballot/1`` objects.

Each ``validate_*`` function raises ``ProtocolError`` on the first fault, with a
detail naming the member (``params["field"]``) so the web layer can answer 422
and the verifier can print where the fault is.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Collection, Mapping
from functools import lru_cache
from itertools import repeat
from typing import Any, NamedTuple

from voting.protocol import blindrsa, signing
from voting.protocol.encoding import (
    MAX_INT,
    InvalidValue,
    ProtocolError,
    b64url_decode,
    canonical,
    code_hash,
    is_hash_hex,
    is_identifier,
    is_option_id,
    is_time,
    normalise_code,
    sha256_hex,
)

PROTOCOL = "yishi-ballot/1"
BALLOT_KINDS = ("approval", "satisfaction")
SECRECY_MODES = ("secret", "named", "code")
BASES = ("electorate", "present", "cast")
MORE_THAN = ("1/2", "2/3")
CHOICE_VALUES = {
    "approval": ("yes", "no", "abstain"),
    "satisfaction": ("satisfied", "basic", "dissatisfied", "abstain"),
}
ED25519_KEY_LENGTH = 32
MAX_SCRUTINEERS = 9
# (rev 5) members a manifest may have besides the required ones.
_MANIFEST_OPTIONAL = ("scrutineers", "cosign_threshold", "paper")

_MANIFEST_MEMBERS = frozenset(
    {
        "protocol",
        "poll",
        "title",
        "ballot",
        "secrecy",
        "options",
        "rules",
        "electorate",
        "signing_key",
        "opened_at",
    }
)
_BALLOT_MEMBERS = {
    "secret": frozenset({"poll", "manifest", "token", "token_sig", "choices"}),
    "named": frozenset({"poll", "manifest", "voter", "choices"}),
    "code": frozenset({"poll", "manifest", "code_hash", "choices"}),
}
_REGISTER_MEMBERS = {
    "secret": frozenset({"voter", "name", "present", "token_issued"}),
    "named": frozenset({"voter", "name", "present"}),
}
TREE_HEAD_MEMBERS = frozenset({"poll", "size", "root", "timestamp"})
RECEIPT_MEMBERS = frozenset({"poll", "index", "leaf_hash", "tree_head", "tree_head_sig", "inclusion"})
_FRACTION_RE = re.compile(r"[1-9][0-9]*/[1-9][0-9]*")


class Credential(NamedTuple):
    """What makes a ballot count once: the 64 token bytes (secret), the voter
    code (named) or the code hash (code); ``token_sig`` only for secret ballots."""

    key: bytes | str
    token_sig: bytes | None


# --- helpers ---------------------------------------------------------------


def _fault(field: str, detail: str, code: str = "bad_request", **params: Any) -> ProtocolError:
    return ProtocolError(code, f"{field}: {detail}", {"field": field, **params})


def _what(value: object) -> str:
    """A short description of an unexpected value for an error detail."""
    if isinstance(value, InvalidValue):
        return f"a value that is not I-JSON ({value.reason})"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _object(
    value: object,
    field: str,
    required: Collection[str],
    optional: Collection[str] = (),
) -> dict[str, Any]:
    """Check ``value`` is an object with exactly these members."""
    if not isinstance(value, dict):
        raise _fault(field, f"must be an object, not {_what(value)}")
    if value.keys() == required:  # the common case, decided in C
        return value
    for name in sorted(required):  # a fixed order, so the report is the same every run
        if name not in value:
            raise _fault(field, f"member {name!r} is missing")
    for name in value:
        if name not in required and name not in optional:
            raise _fault(field, f"unknown member {name!r}")
    return value


def _integer(value: object, field: str, low: int = 0, high: int = MAX_INT) -> int:
    if type(value) is not int or not low <= value <= high:
        raise _fault(field, f"must be an integer from {low} to {high}, not {_what(value)}")
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fault(field, f"must be a non-empty string, not {_what(value)}")
    return value


def _one_of(value: object, field: str, allowed: Collection[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fault(field, f"must be one of {', '.join(allowed)}, not {_what(value)}")
    return value


def _identifier(value: object, field: str) -> str:
    if not is_identifier(value):
        raise _fault(
            field,
            f"must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit, not {_what(value)}",
        )
    assert isinstance(value, str)
    return value


def _hash_hex(value: object, field: str) -> str:
    if not is_hash_hex(value):
        raise _fault(field, f"must be 64 lowercase hex characters, not {_what(value)}")
    assert isinstance(value, str)
    return value


def _time(value: object, field: str) -> str:
    if not is_time(value):
        raise _fault(field, f"must be a time YYYY-MM-DDTHH:MM:SSZ, not {_what(value)}")
    assert isinstance(value, str)
    return value


def _b64url(value: object, field: str, length: int) -> bytes:
    try:
        data = b64url_decode(value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise _fault(field, f"must be canonical base64url ({exc})") from exc
    if len(data) != length:
        raise _fault(field, f"must be {length} bytes, not {len(data)}")
    return data


def _boolean(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise _fault(field, f"must be true or false, not {_what(value)}")
    return value


# --- manifest --------------------------------------------------------------


def manifest_hash(manifest: Mapping[str, Any]) -> str:
    """SHA-256 hex of the manifest's JCS bytes."""
    return sha256_hex(canonical(manifest))


def parse_fraction(text: str) -> tuple[int, int]:
    """``"a/b"`` as ``(a, b)`` (for ``more_than`` and ``rectify_below``)."""
    numerator, denominator = text.split("/")
    return int(numerator), int(denominator)


def validate_manifest(manifest: object) -> None:
    """Check a manifest completely; raise ``ProtocolError("bad_request")``."""
    field = "manifest"
    secrecy = manifest.get("secrecy") if isinstance(manifest, dict) else None
    required = _MANIFEST_MEMBERS | {"token_key"} if secrecy == "secret" else _MANIFEST_MEMBERS
    m = _object(manifest, field, required, _MANIFEST_OPTIONAL)
    if m["protocol"] != PROTOCOL:
        raise _fault("manifest.protocol", f"must be {PROTOCOL!r}, not {_what(m['protocol'])}")
    _identifier(m["poll"], "manifest.poll")
    _text(m["title"], "manifest.title")
    kind = _one_of(m["ballot"], "manifest.ballot", BALLOT_KINDS)
    _one_of(m["secrecy"], "manifest.secrecy", SECRECY_MODES)
    count = _validate_options(m["options"])
    if kind == "approval":
        _validate_approval_rules(m["rules"], count)
    else:
        _validate_satisfaction_rules(m["rules"])
    _integer(m["electorate"], "manifest.electorate", 1)
    signing_key = _ed25519_key(m["signing_key"], "manifest.signing_key")
    _validate_scrutineers(m, signing_key)
    if secrecy == "secret":
        try:
            blindrsa.parse_public_numbers(m["token_key"])
        except ValueError as exc:
            raise _fault("manifest.token_key", str(exc)) from exc
    _time(m["opened_at"], "manifest.opened_at")


def _ed25519_key(value: object, field: str) -> bytes:
    """A protocol Ed25519 public key: 32 bytes, canonical, not of small order (rev 5)."""
    key = _b64url(value, field, ED25519_KEY_LENGTH)
    problem = signing.key_problem(key)
    if problem is not None:
        raise _fault(field, problem)
    return key


def _validate_scrutineers(m: dict[str, Any], signing_key: bytes) -> None:
    """(rev 5) ``scrutineers`` with ``cosign_threshold``, and ``paper``."""
    if "scrutineers" in m:
        scrutineers = m["scrutineers"]
        if not isinstance(scrutineers, list) or not 1 <= len(scrutineers) <= MAX_SCRUTINEERS:
            raise _fault(
                "manifest.scrutineers", f"must be an array of 1 to {MAX_SCRUTINEERS} entries, not {_what(scrutineers)}"
            )
        keys: set[bytes] = set()
        for i, entry in enumerate(scrutineers):
            field = f"manifest.scrutineers[{i}]"
            e = _object(entry, field, ("name", "key"))
            _text(e["name"], f"{field}.name")
            key = _ed25519_key(e["key"], f"{field}.key")
            if key == signing_key:
                raise _fault(f"{field}.key", "must not be the poll's signing_key")
            if key in keys:
                raise _fault(f"{field}.key", "is the key of another scrutineer")
            keys.add(key)
        if "cosign_threshold" not in m:
            raise _fault("manifest", "member 'cosign_threshold' is missing (the manifest has scrutineers)")
        _integer(m["cosign_threshold"], "manifest.cosign_threshold", 1, len(scrutineers))
    elif "cosign_threshold" in m:
        raise _fault("manifest.cosign_threshold", "only a manifest with scrutineers has it")
    if "paper" in m:
        if m["paper"] is not True:
            raise _fault("manifest.paper", f"must be true when present, not {_what(m['paper'])}")
        if m.get("secrecy") not in ("secret", "named"):
            raise _fault("manifest.paper", "only secret and named polls may have paper ballots")
        if len(m.get("scrutineers") or ()) < 2:
            raise _fault("manifest.paper", "paper ballots need at least two scrutineers to enter them")


def scrutineer_keys(manifest: Mapping[str, Any]) -> list[bytes]:
    """The raw keys of a valid manifest's scrutineers, in order (none without)."""
    return [b64url_decode(entry["key"]) for entry in manifest.get("scrutineers", ())]


def _validate_options(options: object) -> int:
    if not isinstance(options, list) or not options:
        raise _fault("manifest.options", f"must be a non-empty array, not {_what(options)}")
    seen: set[str] = set()
    for i, option in enumerate(options):
        field = f"manifest.options[{i}]"
        o = _object(option, field, ("id", "title"))
        if not is_option_id(o["id"]):
            raise _fault(
                f"{field}.id",
                f"must be 1-32 characters of A-Z a-z 0-9 . _ - starting with a letter or digit, not {_what(o['id'])}",
            )
        if o["id"] in seen:
            raise _fault(f"{field}.id", f"duplicate option id {o['id']!r}")
        seen.add(o["id"])
        _text(o["title"], f"{field}.title")
    return len(options)


def _validate_approval_rules(rules: object, option_count: int) -> None:
    r = _object(rules, "manifest.rules", ("threshold",), ("max_yes", "seats"))
    t = _object(r["threshold"], "manifest.rules.threshold", ("base", "more_than"))
    _one_of(t["base"], "manifest.rules.threshold.base", BASES)
    _one_of(t["more_than"], "manifest.rules.threshold.more_than", MORE_THAN)
    if "max_yes" in r:
        _integer(r["max_yes"], "manifest.rules.max_yes", 0, option_count)
    if "seats" in r:
        _integer(r["seats"], "manifest.rules.seats", 1, option_count)


def _validate_satisfaction_rules(rules: object) -> None:
    r = _object(rules, "manifest.rules", ("grade_base",), ("rectify_below",))
    _one_of(r["grade_base"], "manifest.rules.grade_base", BASES)
    if "rectify_below" in r:
        value = r["rectify_below"]
        if (
            not isinstance(value, str)
            or len(value) > 20
            or not _FRACTION_RE.fullmatch(value)
            or parse_fraction(value)[0] > parse_fraction(value)[1]
        ):
            raise _fault(
                "manifest.rules.rectify_below",
                f"must be a fraction a/b with 1 <= a <= b, not {_what(value)}",
            )


@lru_cache(maxsize=32)
def _token_sig_length(n_b64: str) -> int:
    n, _ = blindrsa.parse_public_numbers({"n": n_b64, "e": "AQAB"})
    return blindrsa.modulus_length(n)


def token_sig_length(manifest: Mapping[str, Any]) -> int:
    """⌈bits(n)/8⌉ for the manifest's token key (a valid secret manifest)."""
    return _token_sig_length(manifest["token_key"]["n"])


# --- ballots ---------------------------------------------------------------


def validate_ballot_shape(manifest: Mapping[str, Any], ballot: object) -> Credential:
    """Check a ballot's members, types and sizes for the manifest's secrecy
    mode (not yet its poll, manifest hash, credential or choices).

    Returns its ``Credential``; raises ``ProtocolError("bad_request")``.
    """
    secrecy = manifest["secrecy"]
    b = _object(ballot, "ballot", _BALLOT_MEMBERS[secrecy])
    _identifier(b["poll"], "ballot.poll")
    _hash_hex(b["manifest"], "ballot.manifest")
    choices = b["choices"]
    if not isinstance(choices, dict):
        raise _fault("ballot.choices", f"must be an object, not {_what(choices)}")
    if not all(map(isinstance, choices.values(), repeat(str))):
        option, value = next((k, v) for k, v in choices.items() if not isinstance(v, str))
        raise _fault(f"ballot.choices.{option}", f"must be a string, not {_what(value)}")
    if secrecy == "secret":
        token = _b64url(b["token"], "ballot.token", blindrsa.TOKEN_LENGTH)
        sig = _b64url(b["token_sig"], "ballot.token_sig", token_sig_length(manifest))
        return Credential(token, sig)
    if secrecy == "named":
        return Credential(_identifier(b["voter"], "ballot.voter"), None)
    return Credential(_hash_hex(b["code_hash"], "ballot.code_hash"), None)


def ballot_pattern(manifest: Mapping[str, Any], manifest_hash_hex: str) -> re.Pattern[str] | None:
    """A regular expression matching exactly the JCS texts of the ballots that
    ``validate_ballot_shape``, ``check_ballot_binding`` and ``validate_choices``
    accept under this manifest, except for the ``max_yes`` rule.

    The verifier checks a published ballot with one match instead of a parse and
    three checks; a text that does not match is parsed and checked in full, so the
    pattern only has to be exact where it matches. Groups: the choice of each
    option in sorted option order, then the credential's (token and token_sig,
    voter, or code_hash). None when a literal it would hold is not a plain
    identifier (then every ballot takes the full checks).
    """
    options = manifest.get("options")
    poll = manifest.get("poll")
    secrecy = manifest.get("secrecy")
    values = CHOICE_VALUES.get(manifest.get("ballot"))  # type: ignore[arg-type]
    if not isinstance(options, list) or not all(isinstance(o, dict) and is_option_id(o.get("id")) for o in options):
        return None
    ids = sorted(o["id"] for o in options)
    if values is None or len(set(ids)) != len(ids) or not is_identifier(poll) or not is_hash_hex(manifest_hash_hex):
        return None
    choice = '"(' + "|".join(values) + ')"'
    members = {
        "choices": "\\{" + ",".join(f'"{re.escape(oid)}":{choice}' for oid in ids) + "\\}",
        "manifest": f'"{manifest_hash_hex}"',
        "poll": f'"{re.escape(poll)}"',
    }
    if secrecy == "secret":
        members["token"] = f'"({_b64url_pattern(blindrsa.TOKEN_LENGTH)})"'
        members["token_sig"] = f'"({_b64url_pattern(token_sig_length(manifest))})"'
    elif secrecy == "named":
        members["voter"] = '"([A-Za-z0-9][A-Za-z0-9._-]{0,63})"'
    elif secrecy == "code":
        members["code_hash"] = '"([0-9a-f]{64})"'
    else:
        return None
    # JCS orders member names by UTF-16 code units: for ASCII names, as sorted() does.
    return re.compile("\\{" + ",".join(f'"{name}":{members[name]}' for name in sorted(members)) + "\\}")


def _b64url_pattern(length: int) -> str:
    """Canonical unpadded base64url of exactly ``length`` bytes: the last character
    of a partial group may only carry the bits it encodes (its low bits are 0)."""
    full, extra = divmod(length, 3)
    free = f"[A-Za-z0-9_-]{{{4 * full + extra}}}"
    return free + {0: "", 1: "[AQgw]", 2: "[AEIMQUYcgkosw048]"}[extra]


def check_ballot_binding(manifest: Mapping[str, Any], manifest_hash_hex: str, ballot: Mapping[str, Any]) -> None:
    """Raise ``ProtocolError("wrong_manifest")`` unless the ballot names this
    poll and this manifest hash."""
    if ballot["poll"] != manifest["poll"]:
        raise _fault(
            "ballot.poll",
            f"is {ballot['poll']!r}, not this poll {manifest['poll']!r}",
            "wrong_manifest",
        )
    if ballot["manifest"] != manifest_hash_hex:
        raise _fault("ballot.manifest", "is not this poll's manifest hash", "wrong_manifest")


def validate_choices(manifest: Mapping[str, Any], choices: object) -> None:
    """Check choices against the manifest: every option present with an allowed
    value, no other member, at most ``max_yes`` yes.

    Raises ``ProtocolError("bad_choices")`` with ``params["rule"]`` one of
    ``missing_option``, ``unknown_option``, ``value``, ``max_yes``.
    """
    if not isinstance(choices, dict):
        raise _fault("ballot.choices", f"must be an object, not {_what(choices)}")
    kind = manifest["ballot"]
    options = manifest["options"]
    try:
        # The common case in a few C-level set operations (the verifier runs
        # this on every ballot of a board).
        valid = choices.keys() == {option["id"] for option in options} and _ALLOWED[kind].issuperset(choices.values())
    except TypeError:  # an unhashable value
        valid = False
    if not valid:
        _explain_choices(options, CHOICE_VALUES[kind], choices)
    limit = manifest["rules"].get("max_yes") if kind == "approval" else None
    if limit is not None:
        count = list(choices.values()).count("yes")
        if count > limit:
            raise _fault(
                "ballot.choices",
                f"{count} options marked yes, at most {limit} allowed",
                "bad_choices",
                rule="max_yes",
                limit=limit,
                count=count,
            )


_ALLOWED = {kind: frozenset(values) for kind, values in CHOICE_VALUES.items()}


def _explain_choices(options: list[dict[str, Any]], allowed: tuple[str, ...], choices: dict[str, Any]) -> None:
    """Raise the fault of choices that are not valid, naming the first option."""
    for option in options:
        oid = option["id"]
        if oid not in choices:
            raise _fault(
                f"ballot.choices.{oid}",
                "is missing: every option needs a choice",
                "bad_choices",
                rule="missing_option",
                option=oid,
            )
        value = choices[oid]
        if not isinstance(value, str) or value not in allowed:
            raise _fault(
                f"ballot.choices.{oid}",
                f"must be one of {', '.join(allowed)}, not {_what(value)}",
                "bad_choices",
                rule="value",
                option=oid,
                value=value if isinstance(value, str) else None,
            )
    ids = {option["id"] for option in options}
    unknown = next(name for name in choices if name not in ids)
    raise _fault(
        f"ballot.choices.{unknown}",
        "is not an option of this poll",
        "bad_choices",
        rule="unknown_option",
        option=unknown,
    )


def check_token_signature(manifest: Mapping[str, Any], credential: Credential) -> None:
    """Raise ``ProtocolError("bad_token_signature")`` unless a secret ballot's
    token signature verifies under the manifest's token key."""
    n, e = blindrsa.parse_public_numbers(manifest["token_key"])
    token, sig = credential
    if sig is None or not isinstance(token, bytes) or not blindrsa.verify(n, e, token, sig):
        raise _fault(
            "ballot.token_sig",
            "does not verify under the poll's token key",
            "bad_token_signature",
        )


def check_code(code: str, expected_hash: str) -> None:
    """Raise ``ProtocolError("bad_code")`` unless ``code`` normalises to a code
    whose hash is ``expected_hash`` (the ballot's ``code_hash``)."""
    digest = code_hash(normalise_code(code))
    if not is_hash_hex(expected_hash) or not hmac.compare_digest(digest, expected_hash):
        raise _fault("code", "does not match the ballot's code_hash", "bad_code")


# --- register, codes, tree heads, receipts, closing ------------------------


def validate_register_entry(secrecy: str, entry: object, field: str) -> dict[str, Any]:
    """Check one register line (secret or named poll); (rev 5) a deputy who voted on
    paper has ``"paper": true``, is present and has no token issued."""
    e = _object(entry, field, _REGISTER_MEMBERS[secrecy], ("paper",))
    _identifier(e["voter"], f"{field}.voter")
    _text(e["name"], f"{field}.name")
    present = _boolean(e["present"], f"{field}.present")
    issued = _boolean(e["token_issued"], f"{field}.token_issued") if secrecy == "secret" else False
    if issued and not present:
        raise _fault(field, "token_issued is true but present is false")
    if "paper" in e:
        if e["paper"] is not True:
            raise _fault(f"{field}.paper", f"must be true when present, not {_what(e['paper'])}")
        if not present:
            raise _fault(field, "paper is true but present is false")
        if issued:
            raise _fault(field, "voted on paper but token_issued is true")
    return e


def register_entry_ok(secrecy: str, entry: object) -> bool:
    """True for an entry ``validate_register_entry`` accepts, decided without
    building its messages (the verifier asks this of every line of a large
    register); False means: ask ``validate_register_entry`` what is wrong."""
    if type(entry) is not dict or entry.keys() != _REGISTER_MEMBERS[secrecy]:
        return False  # a paper entry (rev 5) is rare: validate_register_entry decides
    name, present = entry["name"], entry["present"]
    if type(name) is not str or not name or type(present) is not bool or not is_identifier(entry["voter"]):
        return False
    if secrecy == "secret":
        issued = entry["token_issued"]
        return type(issued) is bool and (present or not issued)
    return True


def validate_tree_head(tree_head: object, field: str = "tree_head") -> dict[str, Any]:
    """Check a tree head's members and types."""
    t = _object(tree_head, field, TREE_HEAD_MEMBERS)
    _identifier(t["poll"], f"{field}.poll")
    _integer(t["size"], f"{field}.size")
    _hash_hex(t["root"], f"{field}.root")
    _time(t["timestamp"], f"{field}.timestamp")
    return t


def validate_receipt(receipt: object, field: str = "receipt") -> dict[str, Any]:
    """Check a receipt's members and types (not its signature or proof)."""
    r = _object(receipt, field, RECEIPT_MEMBERS)
    _identifier(r["poll"], f"{field}.poll")
    _integer(r["index"], f"{field}.index")
    _hash_hex(r["leaf_hash"], f"{field}.leaf_hash")
    t = validate_tree_head(r["tree_head"], f"{field}.tree_head")
    if t["poll"] != r["poll"]:
        raise _fault(f"{field}.tree_head.poll", "differs from the receipt's poll")
    if r["index"] >= t["size"]:
        raise _fault(f"{field}.index", "must be below tree_head.size")
    _b64url(r["tree_head_sig"], f"{field}.tree_head_sig", 64)
    if not isinstance(r["inclusion"], list):
        raise _fault(f"{field}.inclusion", f"must be an array, not {_what(r['inclusion'])}")
    for i, node in enumerate(r["inclusion"]):
        _hash_hex(node, f"{field}.inclusion[{i}]")
    return r


def validate_closing(closing: object, secrecy: str) -> dict[str, Any]:
    """Check the closing's members and types (not its values)."""
    listing = "codes" if secrecy == "code" else "register"
    members = ("poll", "manifest", "size", "root", "closed_at", listing, "result")
    c = _object(closing, "closing", members, ("paper",))
    _identifier(c["poll"], "closing.poll")
    _hash_hex(c["manifest"], "closing.manifest")
    _integer(c["size"], "closing.size")
    _hash_hex(c["root"], "closing.root")
    _time(c["closed_at"], "closing.closed_at")
    _hash_hex(c[listing], f"closing.{listing}")
    _hash_hex(c["result"], "closing.result")
    if "paper" in c:
        _hash_hex(c["paper"], "closing.paper")
    return c


# --- paper ballots and cosignatures (rev 5) ---------------------------------


def paper_sort_key(choices: Mapping[str, Any]) -> bytes:
    """A secret poll's paper ballots are in ascending order of their JCS bytes."""
    return canonical(choices)


def validate_paper(manifest: Mapping[str, Any], paper: object) -> tuple[list[dict[str, Any]], list[str]]:
    """Check the board's ``paper`` member (shape, choices, order, ``spoiled``).

    Returns the choices of the paper ballots and, for a named poll, their voters in
    order (a voter listed twice is not a fault here: the verifier reports it under
    check 3). Raises ``ProtocolError`` naming the first fault.
    """
    p = _object(paper, "paper", ("ballots", "spoiled"))
    _integer(p["spoiled"], "paper.spoiled")
    ballots = p["ballots"]
    if not isinstance(ballots, list):
        raise _fault("paper.ballots", f"must be an array, not {_what(ballots)}")
    choices_list: list[dict[str, Any]] = []
    voters: list[str] = []
    previous: Any = None
    for i, entry in enumerate(ballots):
        field = f"paper.ballots[{i}]"
        if manifest["secrecy"] == "named":
            e = _object(entry, field, ("voter", "choices"))
            voter = _identifier(e["voter"], f"{field}.voter")
            choices = e["choices"]
            key: Any = voter
        else:
            choices = entry
        try:
            validate_choices(manifest, choices)
        except ProtocolError as exc:
            raise _fault(f"{field}.choices" if manifest["secrecy"] == "named" else field, exc.detail) from exc
        if manifest["secrecy"] != "named":
            key = paper_sort_key(choices)
        if previous is not None and key < previous:
            order = "voter" if manifest["secrecy"] == "named" else "JCS bytes"
            raise _fault(field, f"is out of order (paper ballots are in ascending order of {order})")
        previous = key
        choices_list.append(choices)  # type: ignore[arg-type]
        if manifest["secrecy"] == "named":
            voters.append(key)
    return choices_list, voters


def validate_cosignature(entry: object, field: str) -> tuple[bytes, str]:
    """One cosignature's shape: ``{"key", "sig"}``; returns the raw key and the signature text."""
    e = _object(entry, field, ("key", "sig"))
    key = _b64url(e["key"], f"{field}.key", ED25519_KEY_LENGTH)
    _b64url(e["sig"], f"{field}.sig", signing.SIGNATURE_LENGTH)
    return key, e["sig"]
