"""Shapes and rules: manifest, choices, ballots, register, receipts, closing."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from voting.protocol import rules
from voting.protocol.board import make_manifest
from voting.protocol.encoding import ProtocolError, b64url_encode, canonical, int_to_b64url

N_2048 = 2**2047 + 1  # any odd 2048-bit number will do for shapes
TOKEN_KEY = {"n": int_to_b64url(N_2048), "e": "AQAB"}


def manifest_for(secrecy: str = "secret", ballot: str = "approval", **changes: Any) -> dict[str, Any]:
    manifest = make_manifest(
        poll="2027-renda-4-minsheng",
        title="2027年民生实事项目票决",
        ballot=ballot,
        secrecy=secrecy,
        options=[
            {"id": "p01", "title": "城区老旧小区改造"},
            {"id": "p02", "title": "社区食堂"},
            {"id": "p03", "title": "公交线路优化"},
        ],
        rules=(
            {
                "max_yes": 2,
                "seats": 2,
                "threshold": {"base": "electorate", "more_than": "1/2"},
            }
            if ballot == "approval"
            else {"grade_base": "cast", "rectify_below": "2/3"}
        ),
        electorate=200,
        signing_key=bytes(range(32)),
        opened_at="2027-01-12T09:00:00Z",
        token_key=TOKEN_KEY if secrecy == "secret" else None,
    )
    manifest.update(changes)
    return manifest


def fails(code: str, field: str, call: Callable[[], object]) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        call()
    assert caught.value.code == code
    assert field in caught.value.detail
    return caught.value


# --- manifest --------------------------------------------------------------


@pytest.mark.parametrize("secrecy", ["secret", "named", "code"])
@pytest.mark.parametrize("ballot", ["approval", "satisfaction"])
def test_valid_manifests(secrecy: str, ballot: str) -> None:
    rules.validate_manifest(manifest_for(secrecy, ballot))


def test_minimal_rules_are_valid() -> None:
    rules.validate_manifest(manifest_for(rules={"threshold": {"base": "cast", "more_than": "2/3"}}))
    rules.validate_manifest(manifest_for(ballot="satisfaction", rules={"grade_base": "present"}))
    rules.validate_manifest(manifest_for(rules={"max_yes": 0, "threshold": {"base": "present", "more_than": "1/2"}}))


def test_manifest_hash() -> None:
    manifest = manifest_for()
    assert rules.manifest_hash(manifest) == hashlib.sha256(canonical(manifest)).hexdigest()


def _without(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda m: m.pop(key)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(manifest: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = manifest
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_without("opened_at"), "'opened_at' is missing"),
        (_without("token_key"), "'token_key' is missing"),
        (_set("extra", 1), "unknown member 'extra'"),
        (_set("protocol", "yishi-ballot/2"), "manifest.protocol"),
        (_set("poll", "-bad"), "manifest.poll"),
        (_set("poll", "x" * 65), "manifest.poll"),
        (_set("title", ""), "manifest.title"),
        (_set("title", 5), "manifest.title"),
        (_set("ballot", "ranked"), "manifest.ballot"),
        (_set("secrecy", "open"), "manifest"),
        (_set("options", []), "manifest.options"),
        (_set("options.1.id", "p01"), "duplicate option id"),
        (_set("options.1.id", "p" * 33), "manifest.options[1].id"),
        (_set("options.1.title", ""), "manifest.options[1].title"),
        (_set("options.1.extra", "x"), "manifest.options[1]"),
        (_set("rules.max_yes", 4), "manifest.rules.max_yes"),
        (_set("rules.max_yes", True), "manifest.rules.max_yes"),
        (_set("rules.seats", 0), "manifest.rules.seats"),
        (_set("rules.seats", 4), "manifest.rules.seats"),
        (_set("rules.grade_base", "cast"), "unknown member 'grade_base'"),
        (_set("rules.threshold.base", "deputies"), "manifest.rules.threshold.base"),
        (
            _set("rules.threshold.more_than", "3/4"),
            "manifest.rules.threshold.more_than",
        ),
        (_without("rules"), "'rules' is missing"),
        (_set("electorate", 0), "manifest.electorate"),
        (_set("electorate", "200"), "manifest.electorate"),
        (_set("electorate", 2**53), "manifest.electorate"),
        (_set("signing_key", b64url_encode(bytes(31))), "manifest.signing_key"),
        (_set("signing_key", b64url_encode(bytes(32)) + "="), "manifest.signing_key"),
        (_set("token_key", {"n": TOKEN_KEY["n"], "e": "Aw"}), "manifest.token_key"),
        (
            _set("token_key", {"n": int_to_b64url(2**2047), "e": "AQAB"}),
            "manifest.token_key",
        ),
        (
            _set("token_key", {"n": int_to_b64url(2**2046 + 1), "e": "AQAB"}),
            "manifest.token_key",
        ),
        (_set("opened_at", "2027-01-12 09:00:00"), "manifest.opened_at"),
        (_set("opened_at", "2027-02-30T09:00:00Z"), "manifest.opened_at"),
    ],
)
def test_manifest_faults(change: Callable[[dict[str, Any]], None], field: str) -> None:
    manifest = manifest_for()
    change(manifest)
    fails("bad_request", field, lambda: rules.validate_manifest(manifest))


def test_token_key_only_in_secret_polls() -> None:
    manifest = manifest_for("named", token_key=TOKEN_KEY)
    fails(
        "bad_request",
        "unknown member 'token_key'",
        lambda: rules.validate_manifest(manifest),
    )


@pytest.mark.parametrize("value", ["3/2", "0/1", "01/2", "1/0", "1/2 ", "1.5/2", "1/" + "1" * 19, "-1/2", 1])
def test_rectify_below_faults(value: object) -> None:
    manifest = manifest_for(ballot="satisfaction")
    manifest["rules"]["rectify_below"] = value
    fails(
        "bad_request",
        "manifest.rules.rectify_below",
        lambda: rules.validate_manifest(manifest),
    )


def test_rectify_below_limits() -> None:
    manifest = manifest_for(ballot="satisfaction")
    for value in ["1/1", "9/10", "1/" + "9" * 18]:
        manifest["rules"]["rectify_below"] = value
        rules.validate_manifest(manifest)


def test_manifest_not_an_object() -> None:
    fails("bad_request", "must be an object", lambda: rules.validate_manifest([1]))


# --- choices ---------------------------------------------------------------


def test_valid_choices() -> None:
    rules.validate_choices(manifest_for(), {"p01": "yes", "p02": "yes", "p03": "abstain"})
    rules.validate_choices(
        manifest_for(ballot="satisfaction"),
        {"p01": "satisfied", "p02": "basic", "p03": "dissatisfied"},
    )
    unlimited = manifest_for(rules={"threshold": {"base": "cast", "more_than": "1/2"}})
    rules.validate_choices(unlimited, {"p01": "yes", "p02": "yes", "p03": "yes"})


@pytest.mark.parametrize(
    ("choices", "rule", "params"),
    [
        ({"p01": "yes", "p02": "no"}, "missing_option", {"option": "p03"}),
        (
            {"p01": "yes", "p02": "no", "p03": "no", "p04": "no"},
            "unknown_option",
            {"option": "p04"},
        ),
        (
            {"p01": "yes", "p02": "maybe", "p03": "no"},
            "value",
            {"option": "p02", "value": "maybe"},
        ),
        ({"p01": "yes", "p02": "satisfied", "p03": "no"}, "value", {"option": "p02"}),
        (
            {"p01": "yes", "p02": 1, "p03": "no"},
            "value",
            {"option": "p02", "value": None},
        ),
        (
            {"p01": "yes", "p02": "yes", "p03": "yes"},
            "max_yes",
            {"limit": 2, "count": 3},
        ),
    ],
)
def test_choice_faults(choices: dict[str, Any], rule: str, params: dict[str, Any]) -> None:
    error = fails(
        "bad_choices",
        "ballot.choices",
        lambda: rules.validate_choices(manifest_for(), choices),
    )
    assert error.params["rule"] == rule
    assert params.items() <= error.params.items()


def test_satisfaction_refuses_approval_values() -> None:
    manifest = manifest_for(ballot="satisfaction")
    fails(
        "bad_choices",
        "ballot.choices.p01",
        lambda: rules.validate_choices(manifest, {"p01": "yes", "p02": "basic", "p03": "basic"}),
    )


# --- ballot shape ----------------------------------------------------------


def ballot_for(manifest: dict[str, Any], /, **changes: Any) -> dict[str, Any]:
    ballot: dict[str, Any] = {
        "poll": manifest["poll"],
        "manifest": rules.manifest_hash(manifest),
        "choices": {"p01": "yes", "p02": "no", "p03": "abstain"},
    }
    if manifest["secrecy"] == "secret":
        ballot["token"] = b64url_encode(bytes(64))
        ballot["token_sig"] = b64url_encode(b"\x01" * 256)
    elif manifest["secrecy"] == "named":
        ballot["voter"] = "D001"
    else:
        ballot["code_hash"] = hashlib.sha256(b"ABCDEFGHJKMNPQRS").hexdigest()
    ballot.update(changes)
    return ballot


def test_ballot_shapes_and_credentials() -> None:
    secret = manifest_for("secret")
    credential = rules.validate_ballot_shape(secret, ballot_for(secret))
    assert credential == (bytes(64), b"\x01" * 256)
    named = manifest_for("named")
    assert rules.validate_ballot_shape(named, ballot_for(named)).key == "D001"
    code = manifest_for("code")
    assert rules.validate_ballot_shape(code, ballot_for(code)).token_sig is None
    assert rules.token_sig_length(secret) == 256


@pytest.mark.parametrize(
    ("secrecy", "changes", "field"),
    [
        ("secret", {"token": b64url_encode(bytes(63))}, "ballot.token"),
        ("secret", {"token": b64url_encode(bytes(65))}, "ballot.token"),
        ("secret", {"token": b64url_encode(bytes(64)) + "="}, "ballot.token"),
        ("secret", {"token_sig": b64url_encode(bytes(255))}, "ballot.token_sig"),
        ("secret", {"token_sig": b64url_encode(bytes(257))}, "ballot.token_sig"),
        ("secret", {"voter": "D001"}, "unknown member 'voter'"),
        ("secret", {"choices": ["yes"]}, "ballot.choices"),
        ("secret", {"choices": {"p01": True}}, "ballot.choices.p01"),
        ("secret", {"poll": ""}, "ballot.poll"),
        ("secret", {"manifest": "AB" * 32}, "ballot.manifest"),
        ("named", {"voter": "D 001"}, "ballot.voter"),
        ("named", {"token": "x"}, "unknown member 'token'"),
        ("code", {"code_hash": "AB" * 32}, "ballot.code_hash"),
        ("code", {"code_hash": "ABCD-EFGH-JKMN-PQRS"}, "ballot.code_hash"),
    ],
)
def test_ballot_shape_faults(secrecy: str, changes: dict[str, Any], field: str) -> None:
    manifest = manifest_for(secrecy)
    ballot = ballot_for(manifest, **changes)
    fails("bad_request", field, lambda: rules.validate_ballot_shape(manifest, ballot))


@pytest.mark.parametrize("member", ["poll", "manifest", "choices", "token", "token_sig"])
def test_ballot_missing_member(member: str) -> None:
    manifest = manifest_for()
    ballot = ballot_for(manifest)
    del ballot[member]
    fails(
        "bad_request",
        f"'{member}' is missing",
        lambda: rules.validate_ballot_shape(manifest, ballot),
    )


def test_ballot_binding() -> None:
    manifest = manifest_for()
    digest = rules.manifest_hash(manifest)
    rules.check_ballot_binding(manifest, digest, ballot_for(manifest))
    other_poll = ballot_for(manifest, poll="other-poll")
    fails(
        "wrong_manifest",
        "ballot.poll",
        lambda: rules.check_ballot_binding(manifest, digest, other_poll),
    )
    other_hash = ballot_for(manifest, manifest="0" * 64)
    fails(
        "wrong_manifest",
        "ballot.manifest",
        lambda: rules.check_ballot_binding(manifest, digest, other_hash),
    )


# --- register, receipts, closing -------------------------------------------


def test_register_entries() -> None:
    entry = {"voter": "D001", "name": "张三", "present": True, "token_issued": True}
    rules.validate_register_entry("secret", entry, "register[0]")
    named = {k: v for k, v in entry.items() if k != "token_issued"}
    rules.validate_register_entry("named", named, "register[0]")
    fails(
        "bad_request",
        "token_issued",
        lambda: rules.validate_register_entry("named", entry, "r"),
    )
    absent = {**entry, "present": False}
    fails(
        "bad_request",
        "present is false",
        lambda: rules.validate_register_entry("secret", absent, "r"),
    )
    fails(
        "bad_request",
        "r.name",
        lambda: rules.validate_register_entry("secret", {**entry, "name": ""}, "r"),
    )
    fails(
        "bad_request",
        "r.present",
        lambda: rules.validate_register_entry("secret", {**entry, "present": 1}, "r"),
    )


def valid_receipt() -> dict[str, Any]:
    head = {
        "poll": "p",
        "size": 37,
        "root": "a" * 64,
        "timestamp": "2027-01-12T09:00:00Z",
    }
    return {
        "poll": "p",
        "index": 36,
        "leaf_hash": "b" * 64,
        "tree_head": head,
        "tree_head_sig": b64url_encode(bytes(64)),
        "inclusion": ["c" * 64],
    }


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("index", 37, "receipt.index"),
        ("index", -1, "receipt.index"),
        ("leaf_hash", "B" * 64, "receipt.leaf_hash"),
        ("tree_head.poll", "q", "receipt.tree_head.poll"),
        ("tree_head.timestamp", "2027-01-12", "receipt.tree_head.timestamp"),
        ("tree_head_sig", b64url_encode(bytes(63)), "receipt.tree_head_sig"),
        ("inclusion", "c" * 64, "receipt.inclusion"),
        ("inclusion.0", "c" * 63, "receipt.inclusion[0]"),
        ("extra", 1, "unknown member 'extra'"),
    ],
)
def test_receipt_faults(path: str, value: Any, field: str) -> None:
    receipt = valid_receipt()
    rules.validate_receipt(copy.deepcopy(receipt))
    _set(path, value)(receipt)
    fails("bad_request", field, lambda: rules.validate_receipt(receipt))


def test_closing_shape() -> None:
    closing = {
        "poll": "p",
        "manifest": "a" * 64,
        "size": 0,
        "root": "b" * 64,
        "closed_at": "2027-01-12T10:00:00Z",
        "register": "c" * 64,
        "result": "d" * 64,
    }
    rules.validate_closing(closing, "secret")
    fails(
        "bad_request",
        "'codes' is missing",
        lambda: rules.validate_closing(closing, "code"),
    )
    fails(
        "bad_request",
        "closing.size",
        lambda: rules.validate_closing({**closing, "size": -1}, "named"),
    )


# --- credentials -----------------------------------------------------------


def test_check_token_signature() -> None:
    vectors = Path(__file__).parent / "vectors" / "known-answers.json"
    rsa_vector = json.loads(vectors.read_text())["rfc9474_rsabssa_sha384_pss_randomized"]
    n = int(rsa_vector["n"], 16)
    manifest = manifest_for(token_key={"n": int_to_b64url(n), "e": "AQAB"})
    token = bytes.fromhex(rsa_vector["prepared_msg"])
    sig = bytes.fromhex(rsa_vector["sig"])
    rules.check_token_signature(manifest, rules.Credential(token, sig))
    fails(
        "bad_token_signature",
        "ballot.token_sig",
        lambda: rules.check_token_signature(manifest, rules.Credential(token[:-1], sig)),
    )
    fails(
        "bad_token_signature",
        "ballot.token_sig",
        lambda: rules.check_token_signature(manifest, rules.Credential(token, None)),
    )


def test_check_code() -> None:
    expected = hashlib.sha256(b"ABCDEFGHJKMNPQRS").hexdigest()
    rules.check_code("abcd-efgh jkmn-pqrs", expected)
    fails("bad_code", "code", lambda: rules.check_code("ABCD-EFGH-JKMN-PQRT", expected))
    fails(
        "bad_code",
        "16 characters",
        lambda: rules.check_code("ABCD-EFGH-JKMN-PQR0", expected),
    )
    fails("bad_code", "code", lambda: rules.check_code("ABCD-EFGH-JKMN-PQRS", "nope"))


def test_a_missing_member_is_named_the_same_way_in_every_run():
    """Which missing member is reported must not depend on the hash seed: the verifier's
    report is the same for the same board, run after run."""
    import subprocess
    import sys

    code = (
        "from voting.protocol import rules\n"
        "from voting.protocol.encoding import ProtocolError\n"
        "try:\n"
        "    rules.validate_manifest({})\n"
        "except ProtocolError as exc:\n"
        "    print(exc.detail)\n"
    )
    root = Path(__file__).resolve().parents[2]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in range(6)
    }
    assert len(outputs) == 1 and "is missing" in outputs.pop()
