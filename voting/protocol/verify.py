"""Verify a published board: ``python -m voting.verify BOARD.json [--receipt R.json …]
[--ballot B.json …] [--fingerprint HEX16] [--scrutineer HEX16 …] [--jobs N]``.

Prints eight status lines (revision 5; seven before) (``ok N …`` or ``FAIL N …``, failures followed by
detail lines indented four spaces) and exits 0 when every check holds, 1 when
any fails, 2 when a file cannot be read, is not UTF-8 or is not JSON.

It depends only on the pure modules of the ballot engine, ``cryptography`` and
``rfc8785``, so that anyone can run it on a copy of the board.
"""

from __future__ import annotations

import argparse
import binascii
import itertools
import json
import os
import re
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing import Pool
from multiprocessing.pool import AsyncResult
from typing import Any

from voting.protocol import blindrsa, merkle, signing
from voting.protocol.encoding import (
    FAST_LENIENT_DECODER,
    JCS_ASCII,
    InvalidValue,
    NotJSONError,
    ProtocolError,
    b64url_decode,
    canonical_parsed,
    decode_lenient_text,
    hash_from_hex,
    lenient_decoder,
    parse_json_lenient,
    sha256_hex,
)
from voting.protocol.rules import (
    ballot_pattern,
    check_ballot_binding,
    manifest_hash,
    register_entry_ok,
    validate_ballot_shape,
    validate_choices,
    validate_closing,
    validate_cosignature,
    validate_manifest,
    validate_paper,
    validate_receipt,
    validate_register_entry,
)
from voting.protocol.tally import tally_pairs

CHECK_NAMES = {
    1: "manifest",
    2: "ballots",
    3: "duplicates",
    4: "register",
    5: "closing",
    6: "result",
    7: "receipts",
    8: "cosignatures",
}
BOARD_MEMBERS = frozenset(
    {
        "manifest",
        "manifest_sig",
        "register",
        "codes",
        "ballots",
        "result",
        "closing",
        "closing_sig",
        "paper",  # rev 5
        "cosignatures",  # rev 5
    }
)
MAX_DETAILS = 25
_CHUNK = 2000  # token signatures per task sent to a worker process
_FINGERPRINT_RE = re.compile(r"[0-9a-fA-F]{16}")
_CREDENTIAL_NAMES = {"secret": "token", "named": "voter", "code": "code hash"}


class Unreadable(Exception):
    """A file that cannot be read, is not UTF-8 or is not JSON (exit 2)."""


@dataclass
class Check:
    """The outcome of one of the eight checks."""

    number: int
    name: str = ""
    summary: str = ""  # shown after "ok N name"
    note: str = ""  # shown on the FAIL line too
    faults: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = self.name or CHECK_NAMES[self.number]

    def fail(self, detail: str) -> None:
        """Record one fault."""
        self.faults.append(detail)

    def lines(self) -> list[str]:
        """The status line and, on failure, the detail lines."""
        name = self.name
        if not self.faults:
            return [f"ok {self.number} {name}{self.summary}"]
        count = len(self.faults)
        note = f"; {self.note}" if self.note else ""
        plural = "s" if count > 1 else ""
        lines = [f"FAIL {self.number} {name}: {count} problem{plural}{note}"]
        lines += [f"    {fault}" for fault in self.faults[:MAX_DETAILS]]
        if count > MAX_DETAILS:
            lines.append(f"    … and {count - MAX_DETAILS} more")
        return lines


# --- token signatures, possibly in worker processes -----------------------


def _bad_token_signatures(n: int, e: int, items: Sequence[tuple[int, bytes, bytes]]) -> list[int]:
    """Indices of the ballots whose token signature does not verify."""
    return blindrsa.TokenVerifier(n, e).bad_indices(items)


class _SignatureChecks:
    """Checks token signatures in chunks, inline or in a process pool, so the
    RSA work overlaps with the rest of the verification."""

    def __init__(self, n: int, e: int, pool: Any) -> None:
        self._n, self._e, self._pool = n, e, pool
        self._pending: list[tuple[int, bytes, bytes]] = []
        self._async: list[AsyncResult[list[int]]] = []
        self._bad: list[int] = []

    def add(self, index: int, token: bytes, sig: bytes) -> None:
        """Queue one ballot's token and signature."""
        self._pending.append((index, token, sig))
        if len(self._pending) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._pool is None:
            self._bad += _bad_token_signatures(self._n, self._e, self._pending)
        else:
            self._async.append(self._pool.apply_async(_bad_token_signatures, (self._n, self._e, self._pending)))
        self._pending = []

    def bad_indices(self) -> list[int]:
        """Wait for every check; the indices whose signature is invalid."""
        self._flush()
        for result in self._async:
            self._bad += result.get()
        return sorted(self._bad)


# --- helpers ---------------------------------------------------------------


def _what(value: object) -> str:
    if isinstance(value, InvalidValue):
        return f"a value that is not I-JSON ({value.reason})"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _ballot_detail(error: ProtocolError) -> str:
    """A rule's detail without its leading "ballot" (the index says which)."""
    return error.detail.removeprefix("ballot: ").removeprefix("ballot.")


def _differences(expected: Any, actual: Any, path: str, note: str = "") -> list[str]:
    """Member-for-member differences, with types compared strictly (1 ≠ true).

    ``note`` names the option an entry of ``options`` stands for.
    """
    where = f"{path}{note}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: board has {_what(actual)}, recount gives an object"]
        out = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}.{key}{note}: missing (recount gives {_what(value)})")
            else:
                out += _differences(value, actual[key], f"{path}.{key}", note)
        out += [f"{path}.{key}{note}: unknown member" for key in actual if key not in expected]
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: board has {_what(actual)}, recount gives an array"]
        if len(actual) != len(expected) or not all(isinstance(v, dict) for v in expected):
            # Lists of ids (elected, tied) are compared whole.
            if actual == expected and all(type(v) is str for v in actual):
                return []
            return [f"{where}: board says {_what(actual)}, recount gives {_what(expected)}"]
        out = []
        for i, (want, have) in enumerate(zip(expected, actual, strict=True)):
            label = f" (option {want['id']})" if "id" in want else note
            out += _differences(want, have, f"{path}[{i}]", label)
        return out
    if type(expected) is type(actual) and expected == actual:
        return []
    return [f"{where}: board says {_what(actual)}, recount gives {_what(expected)}"]


def _check_ascending_counts(check: Check, chain: list[tuple[int | None, str]]) -> None:
    """A fault for each count in ``chain`` that is more than the next one; None is not known."""
    for (low, low_name), (high, high_name) in itertools.pairwise(chain):
        if low is not None and high is not None and low > high:
            check.fail(f"{low} {low_name} is more than {high} {high_name}")


# --- reading a board ---------------------------------------------------------

_SPACE = re.compile(r"[ \t\n\r]*")


_URL_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PADDING = ("", "", "==", "=")


def _b64url_matched(text: str) -> bytes:
    """Decode base64url that ``ballot_pattern`` has already found canonical."""
    return binascii.a2b_base64(text.encode("ascii").translate(_URL_TO_STANDARD) + _PADDING[len(text) % 4].encode())


class BallotTexts:
    """A board's ``ballots`` array kept as its text, one span per ballot.

    Each ballot is parsed when it is checked and dropped after, so a board of
    100,000 ballots is never in memory as Python objects. A ballot whose text is
    already its JCS form (as the server publishes it) is hashed as it stands;
    any other is parsed as ``parse_json_lenient`` would and canonicalised.
    """

    def __init__(self, text: str, bounds: array) -> None:
        self._text = text
        self._bounds = bounds  # start, end, start, end …

    def __len__(self) -> int:
        return len(self._bounds) // 2

    def texts(self) -> Iterator[str]:
        """Each ballot's text, in order."""
        text, bounds = self._text, self._bounds
        for k in range(0, len(bounds), 2):
            yield text[bounds[k] : bounds[k + 1]]

    def entries(self) -> Iterator[tuple[Any, bytes | None]]:
        """Each ballot as ``parse_json_lenient`` gives it, with its leaf hash."""
        return map(self.parse, self.texts())

    @staticmethod
    def parse(raw: str) -> tuple[Any, bytes | None]:
        """One ballot's text as ``parse_json_lenient`` gives it, with its leaf hash
        (None when it has no canonical form)."""
        try:
            ballot = FAST_LENIENT_DECODER.decode(raw)
            same = JCS_ASCII.encode(ballot) == raw and raw.isascii()
        except (TypeError, ValueError, RecursionError):
            same = False
        if same:
            # The text is the JCS of what it parses to, so no member name repeats
            # and every number is a safe integer: the leaf is the text itself.
            return ballot, merkle.leaf_hash(raw.encode("ascii"))
        ballot = parse_json_lenient(raw)
        return ballot, Verifier._leaf(ballot)


def read_board(data: bytes | str) -> Any:
    """Parse a board as ``parse_json_lenient`` does, except that a well-formed
    ``ballots`` array of a top-level object is left as ``BallotTexts``.

    Raises what ``parse_json_lenient`` raises. Anything unusual at the top level
    (a repeated member, escaped surrogates, a syntax error) takes the ordinary
    parse, so its faults are reported exactly as before.
    """
    text, escapes = decode_lenient_text(data)
    board = None if escapes else _split_board(text)
    return board if board is not None else parse_json_lenient(text)


def _split_board(text: str) -> dict[str, Any] | None:
    decoder = lenient_decoder()
    space = _SPACE.match
    scan_string = json.decoder.scanstring
    board: dict[str, Any] = {}
    try:
        i = space(text, 0).end()
        if not text.startswith("{", i):
            return None
        i = space(text, i + 1).end()
        while True:
            if not text.startswith('"', i):
                return None
            key, i = scan_string(text, i + 1)
            i = space(text, i).end()
            if key in board or not text.startswith(":", i):
                return None
            i = space(text, i + 1).end()
            if key == "ballots" and text.startswith("[", i):
                board[key], i = _ballot_bounds(text, i + 1, _early_pattern(board.get("manifest")))
            else:
                board[key], i = _member(text, i, decoder)
            i = space(text, i).end()
            if text.startswith(",", i):
                i = space(text, i + 1).end()
            elif text.startswith("}", i):
                break
            else:
                return None
        return board if space(text, i + 1).end() == len(text) else None
    except (json.JSONDecodeError, RecursionError, _Irregular):
        return None


class _Irregular(Exception):
    """The ballots array is not plain: read the board the ordinary way."""


def _member(text: str, i: int, decoder: json.JSONDecoder) -> tuple[Any, int]:
    """The value at ``i`` as ``decoder`` (the lenient one) reads it, and where it ends.

    Parsed in C first: when the text is already what ``JCS_ASCII`` writes for the
    result (the server writes every member so), no member name repeats and no
    number needed marking, so that result is the lenient one.
    """
    value, end = FAST_LENIENT_DECODER.raw_decode(text, i)
    try:
        if JCS_ASCII.encode(value) == text[i:end]:
            return value, end
    except (TypeError, ValueError):
        pass
    return decoder.raw_decode(text, i)


def _early_pattern(manifest: Any) -> re.Pattern[str] | None:
    """The ballots' pattern from a manifest not yet checked, used only to find
    where each ballot ends: whatever manifest it came from, what it matches is one
    complete JSON object (its strings hold no quote, backslash or brace)."""
    try:
        return ballot_pattern(manifest, manifest_hash(manifest)) if isinstance(manifest, dict) else None
    except Exception:  # noqa: BLE001 - any manifest at all may be here; no pattern then
        return None


def _ballot_bounds(text: str, i: int, pattern: re.Pattern[str] | None) -> tuple[BallotTexts, int]:
    """The spans of the array's elements; ``i`` is just past its ``[``."""
    space, scan = _SPACE.match, FAST_LENIENT_DECODER.raw_decode
    match = pattern.match if pattern is not None else None
    bounds = array("q")
    i = space(text, i).end()
    if text.startswith("]", i):
        return BallotTexts(text, bounds), i + 1
    while True:
        found = match(text, i) if match is not None else None
        end = found.end() if found is not None else scan(text, i)[1]
        bounds.append(i)
        bounds.append(end)
        i = space(text, end).end()
        if text.startswith(",", i):
            i = space(text, i + 1).end()
        elif text.startswith("]", i):
            return BallotTexts(text, bounds), i + 1
        else:
            raise _Irregular


# --- the verifier ----------------------------------------------------------


class Verifier:
    """Runs the eight checks of the protocol on a parsed board."""

    def __init__(
        self,
        board: Any,
        receipts: Sequence[tuple[str, Any]] = (),
        ballot_files: Sequence[tuple[str, Any]] = (),
        fingerprint: str | None = None,
        pool: Any = None,
        scrutineers: Sequence[str] | None = None,
    ) -> None:
        self.board = board if isinstance(board, dict) else {}
        self.board_is_object = isinstance(board, dict)
        self.receipts = list(receipts)
        self.ballot_files = list(ballot_files)
        self.expected_fingerprint = fingerprint
        self.expected_scrutineers = list(scrutineers) if scrutineers else None
        self.pool = pool
        self.checks = {number: Check(number) for number in CHECK_NAMES}
        # Filled in as the checks run.
        self.manifest: dict[str, Any] | None = None
        self.manifest_hash: str | None = None
        self.signing_key: bytes | None = None
        self.ballots: list[Any] | None = None
        self.leaves: list[bytes | None] = []
        self.present: int | None = None
        # The recount's input, counted as the ballots are read: (option, value) pairs
        # over the ballots counted; None once a ballot's choices are not valid.
        self.choice_pairs: Counter[tuple[str, str]] | None = None
        self.counted = 0
        self.invalid_choices: list[int] = []  # ballots that cannot be counted
        self.closed_at: str | None = None
        # (rev 5) paper ballots: None without a valid paper member.
        self.paper_count: int | None = None  # valid paper ballots
        self.spoiled: int | None = None
        self.paper_voters: list[str] = []  # named polls
        self.electronic_voters: set[str] = set()  # named polls
        self.closing: dict[str, Any] | None = None

    # The checks share what they parse, so they run in this order.
    def run(self) -> list[Check]:
        """Run every check and return them in order."""
        self._check_manifest()
        self._check_ballots_and_duplicates()
        self._check_register_or_codes()
        self._check_closing()
        self._check_result()
        self._check_receipts()
        self._check_cosignatures()
        return [self.checks[number] for number in CHECK_NAMES]

    def _not_checked(self, number: int, why: str) -> None:
        self.checks[number].fail(f"not checked: {why}")

    # 1 ---------------------------------------------------------------------

    def _check_manifest(self) -> None:
        check = self.checks[1]
        manifest = self.board.get("manifest")
        fingerprint = None
        if not self.board_is_object:
            check.fail("board: must be a JSON object")
        if "manifest" not in self.board:
            check.fail("manifest: missing")
        else:
            try:
                validate_manifest(manifest)
                self.manifest = manifest
            except ProtocolError as exc:
                check.fail(exc.detail)
        if isinstance(manifest, dict):
            try:
                key = b64url_decode(manifest.get("signing_key"))  # type: ignore[arg-type]
                if len(key) == signing.KEY_LENGTH:
                    self.signing_key = key
                    fingerprint = signing.fingerprint(key)
            except ValueError:
                pass
        manifest_bytes = None
        if manifest is not None:
            try:
                manifest_bytes = canonical_parsed(manifest)
                self.manifest_hash = sha256_hex(manifest_bytes)
            except ValueError:
                check.fail("manifest: not I-JSON, so it has no canonical form")
        sig: Any = self.board.get("manifest_sig")
        if "manifest_sig" not in self.board:
            check.fail("manifest_sig: missing")
        elif self.signing_key is None or manifest_bytes is None:
            check.fail("manifest_sig: cannot be checked without a valid manifest.signing_key")
        elif not signing.verify_canonical(self.signing_key, signing.CONTEXT_MANIFEST, manifest_bytes, sig):
            check.fail("manifest_sig: does not verify under manifest.signing_key")
        expected = self.expected_fingerprint
        if expected is not None:
            if not _FINGERPRINT_RE.fullmatch(expected):
                check.fail(f"--fingerprint: {expected!r} is not 16 hex digits")
            elif fingerprint != expected.lower():
                check.fail(f"fingerprint {fingerprint or 'unknown'} is not the expected {expected.lower()}")
        shown = fingerprint or "unknown"
        check.summary = f": well-formed, signature holds, fingerprint {shown}"
        if expected is not None:
            check.summary += " as expected"
        check.note = f"fingerprint {shown}"
        self._check_scrutineer_fingerprints(check)

    def _check_scrutineer_fingerprints(self, check: Check) -> None:
        """(rev 5) Print the scrutineers' fingerprints; with ``--scrutineer``, the set
        given must be exactly the manifest's."""
        manifest = self.manifest
        listed = manifest.get("scrutineers") if manifest is not None else None
        prints = [signing.fingerprint(b64url_decode(e["key"])) for e in listed] if listed else []
        if prints:
            check.summary += f", scrutineers {', '.join(prints)} ({manifest['cosign_threshold']} needed)"
        expected = self.expected_scrutineers
        if expected is None:
            return
        bad = [value for value in expected if not _FINGERPRINT_RE.fullmatch(value)]
        for value in bad:
            check.fail(f"--scrutineer: {value!r} is not 16 hex digits")
        if bad or manifest is None:
            return
        wanted = {value.lower() for value in expected}
        for value in sorted(wanted - set(prints)):
            check.fail(f"scrutineer {value} is expected but not in the manifest (a key was replaced or left out)")
        for value in prints:
            if value not in wanted:
                check.fail(f"scrutineer {value} is in the manifest but was not expected")
        if not check.faults:
            check.summary += " as expected"

    # 2 and 3 ---------------------------------------------------------------

    def _register_map(self) -> dict[str, Any] | None:
        register = self.board.get("register")
        if not isinstance(register, list):
            return None
        return {
            entry["voter"]: entry
            for entry in register
            if isinstance(entry, dict) and isinstance(entry.get("voter"), str)
        }

    def _check_ballots_and_duplicates(self) -> None:
        """Checks 2 and 3 in one pass over the ballots: each ballot's shape, binding,
        choices and credential, and no credential used twice."""
        self._take_ballots()
        manifest = self.manifest
        if self.ballots is None or manifest is None:
            self._ballots_not_checked()
            return
        faults: list[tuple[int, str]] = []  # (ballot, detail) for check 2, sorted at the end
        signatures = self._token_signatures(manifest)
        settle = self._credential_settler(manifest["secrecy"], signatures, faults)
        self.choice_pairs = Counter()
        self._check_each_ballot(manifest, settle, faults, secret=signatures is not None)
        self._report_ballot_faults(signatures, faults)
        credential_text = {
            "secret": "every token signature valid",
            "named": "every voter in the register and present",
            "code": "every code hash in codes",
        }[manifest["secrecy"]]
        self.checks[2].summary = f": {len(self.ballots)} well-formed ballots, {credential_text}"
        self.checks[3].summary = f": no {_CREDENTIAL_NAMES[manifest['secrecy']]} used twice"
        self._check_paper_ballots(manifest)

    def _take_ballots(self) -> None:
        """Keep the board's ``ballots`` if it is an array; a fault of check 2 if not."""
        check = self.checks[2]
        ballots = self.board.get("ballots")
        if "ballots" not in self.board:
            check.fail("ballots: missing")
        elif not isinstance(ballots, list | BallotTexts):
            check.fail(f"ballots: must be an array, not {_what(ballots)}")
        else:
            self.ballots = ballots

    def _ballots_not_checked(self) -> None:
        """Without a manifest or a ballots array: only the leaves, for the checks after."""
        self.leaves = [leaf for _ballot, leaf in self._ballot_entries()]
        if self.manifest is None:
            self._not_checked(2, "the manifest is not valid (check 1)")
            self._not_checked(3, "the manifest is not valid (check 1)")
        else:
            self._not_checked(3, "ballots is not an array (check 2)")

    def _token_signatures(self, manifest: dict[str, Any]) -> _SignatureChecks | None:
        """Where a secret poll's token signatures are checked; None in other polls."""
        if manifest["secrecy"] != "secret":
            return None
        n, e = blindrsa.parse_public_numbers(manifest["token_key"])
        return _SignatureChecks(n, e, self.pool)

    def _credential_settler(
        self, secrecy: str, signatures: _SignatureChecks | None, faults: list[tuple[int, str]]
    ) -> Callable[[int, bytes | str, bytes | None], None]:
        """``settle(i, key, token_sig)``: ballot ``i``'s credential checks (its token
        signature queued, its voter in the register and present, or its code hash in
        codes), and check 3's fault if an earlier ballot used the same credential.

        A closure over locals, as the per-ballot loop calls it for every ballot.
        """
        check, dup_check = self.checks[2], self.checks[3]
        register = self._register_map() if secrecy == "named" else None
        codes = self.board.get("codes") if secrecy == "code" else None
        code_set = {c for c in codes if isinstance(c, str)} if isinstance(codes, list) else None
        if secrecy == "named" and register is None:
            check.fail("voters not checked: the register is missing or not an array (check 4)")
        if secrecy == "code" and code_set is None:
            check.fail("code hashes not checked: codes is missing or not an array (check 4)")
        first_use: dict[bytes | str, int] = {}
        if secrecy == "named":
            self.electronic_voters = first_use  # type: ignore[assignment]  # its keys are the voters

        def settle(i: int, key: bytes | str, token_sig: bytes | None) -> None:
            """The credential's own checks, and whether an earlier ballot used it."""
            if signatures is not None:
                assert isinstance(key, bytes) and token_sig is not None
                signatures.add(i, key, token_sig)
            elif register is not None:
                entry = register.get(key)  # type: ignore[arg-type]
                if entry is None:
                    faults.append((i, f"ballot {i}: voter {key!r} is not in the register"))
                elif entry.get("present") is not True:
                    faults.append((i, f"ballot {i}: voter {key!r} is not marked present"))
            elif code_set is not None and key not in code_set:
                faults.append((i, f"ballot {i}: code_hash is not in codes"))
            if key in first_use:
                what = _CREDENTIAL_NAMES[secrecy]
                shown = f" {key!r}" if secrecy == "named" else ""
                dup_check.fail(f"ballot {i}: same {what}{shown} as ballot {first_use[key]}")
            else:
                first_use[key] = i

        return settle

    def _check_each_ballot(
        self,
        manifest: dict[str, Any],
        settle: Callable[[int, bytes | str, bytes | None], None],
        faults: list[tuple[int, str]],
        secret: bool,
    ) -> None:
        """The per-ballot loop, tuned for large boards (docs/benchmarks.md): a ballot
        text that ``ballot_pattern`` matches has passed the shape, binding and choices
        checks and is its own leaf; any other ballot takes ``_check_parsed_ballot``."""
        texts = isinstance(self.ballots, BallotTexts)
        pattern = ballot_pattern(manifest, self.manifest_hash or "") if texts else None
        option_ids = sorted(option["id"] for option in manifest["options"])
        width = len(option_ids)
        limit = manifest["rules"].get("max_yes") if manifest["ballot"] == "approval" else None
        leaves, leaf_hash = self.leaves, merkle.leaf_hash
        for i, item in enumerate(self.ballots.texts() if texts else self.ballots):  # type: ignore[union-attr]
            match = pattern.fullmatch(item) if pattern is not None else None
            if match is not None:
                groups = match.groups()
                chosen = groups[:width]
                if limit is None or chosen.count("yes") <= limit:
                    # The match was the shape, binding and choices checks, and the text
                    # is the ballot's JCS: its leaf.
                    leaves.append(leaf_hash(item.encode("ascii")))
                    if self.choice_pairs is not None:
                        self.choice_pairs.update(zip(option_ids, chosen))
                        self.counted += 1
                    if secret:
                        settle(i, _b64url_matched(groups[width]), _b64url_matched(groups[width + 1]))
                    else:
                        settle(i, groups[width], None)
                    continue
            self._check_parsed_ballot(manifest, i, item, texts, settle, faults)

    def _check_parsed_ballot(
        self,
        manifest: dict[str, Any],
        i: int,
        item: Any,
        texts: bool,
        settle: Callable[[int, bytes | str, bytes | None], None],
        faults: list[tuple[int, str]],
    ) -> None:
        """Ballot ``i`` through the full checks: parsed (when it is a text), its leaf,
        shape, binding and choices, then its credential if it has one."""
        ballot, leaf = BallotTexts.parse(item) if texts else (item, self._leaf(item))
        self.leaves.append(leaf)
        try:
            credential = validate_ballot_shape(manifest, ballot)
        except ProtocolError as exc:
            faults.append((i, f"ballot {i}: {_ballot_detail(exc)}"))
            credential = None
        else:
            try:
                check_ballot_binding(manifest, self.manifest_hash or "", ballot)
            except ProtocolError as exc:
                faults.append((i, f"ballot {i}: {_ballot_detail(exc)}"))
        choices = ballot.get("choices") if isinstance(ballot, dict) else None
        try:
            validate_choices(manifest, choices)
            if self.choice_pairs is not None:
                self.choice_pairs.update(choices.items())  # type: ignore[union-attr]
                self.counted += 1
        except ProtocolError as exc:
            self.choice_pairs = None
            self.invalid_choices.append(i)
            if credential is not None:
                faults.append((i, f"ballot {i}: {_ballot_detail(exc)}"))
        if credential is not None:
            settle(i, credential.key, credential.token_sig)

    def _check_paper_ballots(self, manifest: dict[str, Any]) -> None:
        """(rev 5) The ``paper`` member: its shape, choices, order and ``spoiled`` (check
        2); a named voter on paper twice, or on paper and electronically (check 3).
        Valid paper ballots join the recount."""
        if "paper" not in self.board:
            return
        if manifest["secrecy"] == "code":
            return  # check 4 reports paper in a code poll
        try:
            choices, voters = validate_paper(manifest, self.board["paper"])
        except ProtocolError as exc:
            self.checks[2].fail(exc.detail)
            return  # check 6 then says the paper is not valid
        register = self._register_map() if manifest["secrecy"] == "named" else None
        for i, voter in enumerate(voters):
            entry = register.get(voter) if register is not None else None
            if register is not None and (entry is None or entry.get("paper") is not True):
                self.checks[2].fail(f"paper.ballots[{i}]: voter {voter!r} is not in the register with paper")
        seen: dict[str, int] = {}
        for i, voter in enumerate(voters):
            if voter in seen:
                self.checks[3].fail(f"paper.ballots[{i}]: voter {voter!r} has a paper ballot already ({seen[voter]})")
            else:
                seen[voter] = i
            if voter in self.electronic_voters:
                self.checks[3].fail(
                    f"paper.ballots[{i}]: voter {voter!r} also has electronic ballot {self.electronic_voters[voter]}"  # type: ignore[index]
                )
        if register is not None:
            for voter, entry in register.items():
                if entry.get("paper") is True and voter in self.electronic_voters and voter not in seen:
                    self.checks[3].fail(f"voter {voter!r} is marked paper in the register but has an electronic ballot")
        self.paper_voters = voters
        self.paper_count, self.spoiled = len(choices), self.board["paper"]["spoiled"]
        if self.choice_pairs is not None:
            for choice in choices:
                self.choice_pairs.update(choice.items())
            self.counted += len(choices)
        self.checks[2].summary += f"; {len(choices)} paper ballots, {self.spoiled} spoiled"

    def _report_ballot_faults(self, signatures: _SignatureChecks | None, faults: list[tuple[int, str]]) -> None:
        """Check 2's faults in ballot order, a ballot's token signature fault last."""
        check = self.checks[2]
        if signatures is not None:
            faults += [
                (i, f"ballot {i}: token_sig does not verify under manifest.token_key") for i in signatures.bad_indices()
            ]
        faults.sort(key=lambda fault: fault[0])
        for _, text in faults:
            check.fail(text)

    def _ballot_entries(self) -> Iterator[tuple[Any, bytes | None]]:
        """Each ballot with its leaf hash, parsed one at a time if the board was
        read by ``read_board``."""
        if isinstance(self.ballots, BallotTexts):
            return self.ballots.entries()
        return ((ballot, self._leaf(ballot)) for ballot in self.ballots or ())

    @staticmethod
    def _leaf(ballot: Any) -> bytes | None:
        try:
            return merkle.leaf_hash(canonical_parsed(ballot))
        except ValueError:
            return None

    # 4 ---------------------------------------------------------------------

    def _check_register_or_codes(self) -> None:
        check = self.checks[4]
        manifest = self.manifest
        if manifest is None:
            self._not_checked(4, "the manifest is not valid (check 1)")
            return
        secrecy = manifest["secrecy"]
        if secrecy == "code":
            check.name = "codes"
        listing, other = ("codes", "register") if secrecy == "code" else ("register", "codes")
        if other in self.board:
            check.fail(f"{other}: not allowed in a {secrecy} poll (a board has {listing})")
        if listing not in self.board:
            check.fail(f"{listing}: missing")
            return
        if secrecy == "code":
            self._check_codes(check, manifest)
        else:
            self._check_register(check, manifest, secrecy)

    def _ballot_count(self) -> int | None:
        return len(self.ballots) if self.ballots is not None else None

    def _check_register(self, check: Check, manifest: dict[str, Any], secrecy: str) -> None:
        register = self.board["register"]
        if not isinstance(register, list):
            check.fail(f"register: must be an array, not {_what(register)}")
            return
        self._check_register_entries(check, register, secrecy)
        present = sum(1 for e in register if isinstance(e, dict) and e.get("present") is True)
        issued = sum(1 for e in register if isinstance(e, dict) and e.get("token_issued") is True)
        self.present = present
        electorate = manifest["electorate"]
        if len(register) != electorate:
            check.fail(f"register: {len(register)} entries, but manifest.electorate is {electorate}")
        chain: list[tuple[int | None, str]] = [(self._ballot_count(), "ballots")]
        if secrecy == "secret":
            chain.append((issued, "tokens issued"))
        chain += [(present, "present"), (electorate, "electorate")]
        _check_ascending_counts(check, chain)
        shown = " <= ".join(f"{v} {name}" for v, name in chain if v is not None)
        check.summary = f": {shown} = {len(register)} entries"
        self._check_paper_register(check, manifest, register, issued, present)

    def _check_paper_register(
        self, check: Check, manifest: dict[str, Any], register: list[Any], issued: int, present: int
    ) -> None:
        """(rev 5) The register's ``paper`` flags against the manifest and the paper member."""
        flags = sum(1 for e in register if isinstance(e, dict) and e.get("paper") is True)
        has_member = "paper" in self.board
        if not manifest.get("paper"):
            if has_member:
                check.fail("paper: not allowed: the manifest does not allow paper ballots")
            if flags:
                check.fail(f"register: {flags} entries marked paper, but the manifest does not allow paper ballots")
            return
        paper = self.board.get("paper")
        if has_member and self.paper_count is not None and self.spoiled is not None:
            if self.paper_count == 0 and self.spoiled == 0:
                check.fail("paper: present but empty (no ballot and none spoiled): it must be left out")
            if flags != self.paper_count + self.spoiled:
                check.fail(
                    f"register: {flags} entries marked paper, but paper has {self.paper_count} ballots "
                    f"and {self.spoiled} spoiled"
                )
        elif not has_member and flags:
            check.fail(f"register: {flags} entries marked paper, but the board has no paper ballots")
        elif has_member and not isinstance(paper, dict):
            pass  # check 2 reports its shape
        if manifest["secrecy"] == "secret" and issued + flags > present:
            check.fail(f"{issued} tokens issued and {flags} paper voters are more than {present} present")
        check.summary += f", {flags} voted on paper"

    @staticmethod
    def _check_register_entries(check: Check, register: list[Any], secrecy: str) -> None:
        """Each entry's shape, and voters in strictly ascending order."""
        previous = None
        for i, entry in enumerate(register):
            if not register_entry_ok(secrecy, entry):
                try:
                    validate_register_entry(secrecy, entry, f"register[{i}]")
                except ProtocolError as exc:
                    check.fail(exc.detail)
            voter = entry.get("voter") if isinstance(entry, dict) else None
            if isinstance(voter, str):
                if previous is not None and not previous < voter:
                    check.fail(
                        f"register[{i}]: voter {voter!r} is not after {previous!r} (the register is strictly ascending)"
                    )
                previous = voter

    def _check_codes(self, check: Check, manifest: dict[str, Any]) -> None:
        if "paper" in self.board:
            check.fail("paper: not allowed in a code poll")
        codes = self.board["codes"]
        if not isinstance(codes, list):
            check.fail(f"codes: must be an array, not {_what(codes)}")
            return
        previous = None
        for i, code in enumerate(codes):
            try:
                hash_from_hex(code)
            except ValueError:
                check.fail(f"codes[{i}]: must be 64 lowercase hex characters, not {_what(code)}")
                continue
            if previous is not None and not previous < code:
                check.fail(f"codes[{i}]: not after the one before (codes are strictly ascending)")
            previous = code
        self.present = len(codes)
        electorate = manifest["electorate"]
        if len(codes) != electorate:
            check.fail(f"codes: {len(codes)} codes, but manifest.electorate is {electorate}")
        cast = self._ballot_count()
        if cast is not None and cast > len(codes):
            check.fail(f"{cast} ballots is more than {len(codes)} codes")
        check.summary = f": {cast if cast is not None else '?'} ballots <= {len(codes)} codes = {electorate} electorate"

    # 5 ---------------------------------------------------------------------

    def _check_closing(self) -> None:
        check = self.checks[5]
        self._check_board_members(check)
        manifest = self.manifest
        if manifest is None:
            self._not_checked(5, "the manifest is not valid (check 1)")
            return
        closing = self._valid_closing(check, manifest["secrecy"])
        if closing is None:
            return
        self.closing = closing
        if closing["poll"] != manifest["poll"]:
            check.fail(f"closing.poll: {closing['poll']!r} is not manifest.poll")
        if closing["manifest"] != self.manifest_hash:
            check.fail("closing.manifest: is not the manifest's hash")
        self._check_closing_tree(check, closing)
        self._check_closing_hashes(check, closing, "codes" if manifest["secrecy"] == "code" else "register")
        self._check_closing_paper(check, closing)
        if closing["closed_at"] < manifest["opened_at"]:
            check.fail("closing.closed_at: is before manifest.opened_at")
        self.closed_at = closing["closed_at"]
        sig: Any = self.board.get("closing_sig")
        if "closing_sig" not in self.board:
            check.fail("closing_sig: missing")
        elif self.signing_key is None or not signing.verify(self.signing_key, signing.CONTEXT_CLOSING, closing, sig):
            check.fail("closing_sig: does not verify under manifest.signing_key")
        paper = ", paper" if "paper" in closing else ""
        check.summary = (
            f": manifest hash, Merkle root and size, register/codes{paper} and result hashes match; signature holds"
        )
        if check.faults:
            self.closing = None

    def _check_closing_paper(self, check: Check, closing: dict[str, Any]) -> None:
        """(rev 5) ``closing.paper`` is present exactly when the board has ``paper``, and is its hash."""
        if "paper" not in self.board:
            if "paper" in closing:
                check.fail("closing.paper: present, but the board has no paper")
            return
        if "paper" not in closing:
            check.fail("closing.paper: missing (the board has paper)")
            return
        try:
            digest = sha256_hex(canonical_parsed(self.board["paper"]))
        except ValueError:
            check.fail("closing.paper: not checked: the board's paper is not I-JSON")
            return
        if digest != closing["paper"]:
            check.fail("closing.paper: is not the hash of the board's paper")

    def _check_board_members(self, check: Check) -> None:
        """The board is an object with no member the protocol does not name."""
        for name in self.board:
            if name not in BOARD_MEMBERS:
                check.fail(f"board: unknown member {name!r}")
        if not self.board_is_object:
            check.fail("board: must be a JSON object")

    def _valid_closing(self, check: Check, secrecy: str) -> dict[str, Any] | None:
        """The board's closing if it has the protocol's shape; a fault if not."""
        if "closing" not in self.board:
            check.fail("closing: missing")
            return None
        try:
            return validate_closing(self.board["closing"], secrecy)
        except ProtocolError as exc:
            check.fail(exc.detail)
            return None

    def _check_closing_tree(self, check: Check, closing: dict[str, Any]) -> None:
        """closing.size and closing.root against the board's ballots in order."""
        if self.ballots is None:
            check.fail("closing.root: not checked: ballots is not an array (check 2)")
            return
        if closing["size"] != len(self.ballots):
            check.fail(f"closing.size: {closing['size']}, but the board has {len(self.ballots)} ballots")
        missing = [i for i, leaf in enumerate(self.leaves) if leaf is None]
        if missing:
            check.fail(f"closing.root: not checked: ballot {missing[0]} is not I-JSON")
        elif merkle.root(self.leaves).hex() != closing["root"]:  # type: ignore[arg-type]
            check.fail(f"closing.root: is not the Merkle root of the board's {len(self.ballots)} ballots in order")

    def _check_closing_hashes(self, check: Check, closing: dict[str, Any], listing: str) -> None:
        """The closing's hashes of the listing (register or codes) and of the result."""
        for name in (listing, "result"):
            if name not in self.board:
                check.fail(f"closing.{name}: not checked: the board has no {name}")
                continue
            try:
                digest = sha256_hex(canonical_parsed(self.board[name]))
            except ValueError:
                check.fail(f"closing.{name}: not checked: the board's {name} is not I-JSON")
                continue
            if digest != closing[name]:
                check.fail(f"closing.{name}: is not the hash of the board's {name}")

    # 6 ---------------------------------------------------------------------

    def _check_result(self) -> None:
        check = self.checks[6]
        manifest = self.manifest
        if manifest is None:
            self._not_checked(6, "the manifest is not valid (check 1)")
            return
        if self.ballots is None:
            self._not_checked(6, "ballots is not an array (check 2)")
            return
        if self.choice_pairs is None:
            bad = self.invalid_choices
            shown = ", ".join(str(i) for i in bad[:5]) + (" …" if len(bad) > 5 else "")
            self._not_checked(6, f"ballot {shown} cannot be counted (check 2)")
            return
        if self.present is None:
            listing = "codes" if manifest["secrecy"] == "code" else "register"
            self._not_checked(6, f"no valid {listing} to count those present (check 4)")
            return
        if "result" not in self.board:
            check.fail("result: missing")
            return
        paper = (self.paper_count, self.spoiled) if "paper" in self.board else None
        if paper is not None and (paper[0] is None or paper[1] is None):
            self._not_checked(6, "paper is not valid (check 2)")
            return
        recount = tally_pairs(manifest, self.choice_pairs, self.counted, self.present, paper=paper)  # type: ignore[arg-type]
        for difference in _differences(recount, self.board["result"], "result"):
            check.fail(difference)
        check.summary = f": the recount of {recount['cast']} ballots matches"

    # 7 ---------------------------------------------------------------------

    def _check_receipts(self) -> None:
        check = self.checks[7]
        if not self.receipts and not self.ballot_files:
            check.summary = " (none given)"
            return
        manifest = self.manifest
        if manifest is None or self.signing_key is None:
            self._not_checked(7, "the manifest is not valid (check 1)")
            return
        board_size = len(self.leaves) if self.ballots is not None else None
        good: list[tuple[str, dict[str, Any]]] = []
        for name, receipt in self.receipts:
            r = self._check_receipt(check, manifest, self.signing_key, name, receipt, board_size)
            if r is not None:
                good.append((name, r))
        self._check_receipts_on_board(check, good)
        self._check_head_times(check)
        self._check_ballot_files(check)
        count = len(self.receipts)
        holds = "receipt holds" if count == 1 else "receipts hold"
        check.summary = f": {count} {holds} on the final board"
        if self.ballot_files:
            check.summary += f", {len(self.ballot_files)} ballot file(s) match"

    def _check_receipt(
        self, check: Check, manifest: dict[str, Any], key: bytes, name: str, receipt: Any, board_size: int | None
    ) -> dict[str, Any] | None:
        """One receipt on its own: shape, poll, tree head signature and time, inclusion
        proof, size. The receipt, if it is to be checked against the board's ballots."""
        try:
            r = validate_receipt(receipt)
        except ProtocolError as exc:
            check.fail(f"{name}: {exc.detail}")
            return None
        head = r["tree_head"]
        ok = True
        if r["poll"] != manifest["poll"]:
            check.fail(f"{name}: poll {r['poll']!r} is not this board's poll")
            ok = False
        if not signing.verify(key, signing.CONTEXT_TREE_HEAD, head, r["tree_head_sig"]):
            check.fail(f"{name}: tree_head_sig does not verify under the poll's key")
            ok = False
        self._check_receipt_time(check, manifest, name, head)
        proof = [bytes.fromhex(node) for node in r["inclusion"]]
        if not merkle.verify_inclusion(
            bytes.fromhex(r["leaf_hash"]),
            r["index"],
            head["size"],
            proof,
            bytes.fromhex(head["root"]),
        ):
            check.fail(f"{name}: inclusion proof does not show leaf {r['index']} in the tree of size {head['size']}")
            ok = False
        if board_size is None:
            check.fail(f"{name}: not checked against the board: no ballots array")
        elif head["size"] > board_size:
            check.fail(f"{name}: tree_head.size {head['size']} is larger than the board's {board_size} ballots")
        elif ok:
            return r
        return None

    def _check_receipt_time(self, check: Check, manifest: dict[str, Any], name: str, head: dict[str, Any]) -> None:
        """A receipt's tree head is timestamped while the poll was open."""
        if head["timestamp"] < manifest["opened_at"]:
            check.fail(f"{name}: tree_head.timestamp is before manifest.opened_at")
        if self.closed_at is None:
            check.fail(f"{name}: time not checked: the closing is not valid (check 5)")
        elif head["timestamp"] > self.closed_at:
            check.fail(f"{name}: tree_head.timestamp is after closing.closed_at")

    def _check_receipts_on_board(self, check: Check, receipts: list[tuple[str, dict[str, Any]]]) -> None:
        sizes = [r["tree_head"]["size"] for _, r in receipts]
        missing = next((i for i, leaf in enumerate(self.leaves) if leaf is None), None)
        if missing is not None and any(size > missing for size in sizes):
            for name, r in receipts:
                if r["tree_head"]["size"] > missing:
                    check.fail(f"{name}: not checked: ballot {missing} is not I-JSON")
            receipts = [(n, r) for n, r in receipts if r["tree_head"]["size"] <= missing]
            sizes = [r["tree_head"]["size"] for _, r in receipts]
        roots = merkle.prefix_roots(self.leaves, sizes)  # type: ignore[arg-type]
        for name, r in receipts:
            head = r["tree_head"]
            leaf = self.leaves[r["index"]]
            if leaf is None or leaf.hex() != r["leaf_hash"]:
                check.fail(
                    f"{name}: ballot {r['index']} on the board does not have the "
                    "receipt's leaf_hash (changed or replaced)"
                )
            if roots[head["size"]].hex() != head["root"]:
                check.fail(f"{name}: the board's first {head['size']} ballots do not have the receipt's root")

    def _check_head_times(self, check: Check) -> None:
        """A larger tree head is never older than a smaller one."""
        heads = []
        for name, receipt in self.receipts:
            head = receipt.get("tree_head") if isinstance(receipt, dict) else None
            if isinstance(head, dict) and type(head.get("size")) is int and isinstance(head.get("timestamp"), str):
                heads.append((head["size"], head["timestamp"], name))
        heads.sort()
        latest: tuple[str, str] | None = None  # newest (timestamp, name) of smaller heads
        pending: list[tuple[str, str]] = []  # heads of the current size
        current = None
        for size, timestamp, name in heads:
            if size != current:
                latest = max([*pending, *([latest] if latest else [])], default=None)
                pending, current = [], size
            if latest is not None and timestamp < latest[0]:
                check.fail(f"{name}: tree head of size {size} is timestamped before the smaller head in {latest[1]}")
            pending.append((timestamp, name))

    def _check_ballot_files(self, check: Check) -> None:
        for i, (name, ballot) in enumerate(self.ballot_files):
            if i >= len(self.receipts):
                check.fail(f"{name}: no matching --receipt")
                continue
            receipt_name, receipt = self.receipts[i]
            claimed = receipt.get("leaf_hash") if isinstance(receipt, dict) else None
            try:
                leaf = merkle.leaf_hash(canonical_parsed(ballot)).hex()
            except ValueError:
                check.fail(f"{name}: not I-JSON, so it has no leaf hash")
                continue
            if leaf != claimed:
                check.fail(f"{name}: its leaf hash is not the leaf_hash of {receipt_name}")

    # 8 (rev 5) -------------------------------------------------------------------

    def _check_cosignatures(self) -> None:
        check = self.checks[8]
        manifest = self.manifest
        if manifest is None:
            self._not_checked(8, "the manifest is not valid (check 1)")
            return
        scrutineers = manifest.get("scrutineers")
        if not scrutineers:
            if "cosignatures" in self.board:
                check.fail("cosignatures: present, but the manifest has no scrutineers")
            else:
                check.summary = " (no scrutineers)"
            return
        if "cosignatures" not in self.board:
            check.fail("cosignatures: missing (the manifest has scrutineers)")
            return
        entries = self.board["cosignatures"]
        if not isinstance(entries, list):
            check.fail(f"cosignatures: must be an array, not {_what(entries)}")
            return
        keys = [b64url_decode(entry["key"]) for entry in scrutineers]
        position = {key: i for i, key in enumerate(keys)}
        signed: set[int] = set()
        last = -1
        closing = self.closing
        for i, entry in enumerate(entries):
            try:
                key, sig = validate_cosignature(entry, f"cosignatures[{i}]")
            except ProtocolError as exc:
                check.fail(exc.detail)
                continue
            where = position.get(key)
            if where is None:
                check.fail(
                    f"cosignatures[{i}]: key {signing.fingerprint(key)} is not one of the manifest's scrutineers"
                )
                continue
            if where in signed:
                check.fail(f"cosignatures[{i}]: scrutineer {scrutineers[where]['name']!r} has signed already")
                continue
            if where < last:
                check.fail(f"cosignatures[{i}]: out of order (cosignatures follow the manifest's order of scrutineers)")
            last = max(last, where)
            if closing is None:
                check.fail(f"cosignatures[{i}]: not checked: the closing is not valid (check 5)")
                continue
            if not signing.verify(key, signing.CONTEXT_COSIGN, closing, sig):
                check.fail(
                    f"cosignatures[{i}]: the signature of {scrutineers[where]['name']!r} does not verify over the closing"
                )
                continue
            signed.add(where)
        threshold = manifest["cosign_threshold"]
        if check.faults:
            return
        if len(signed) < threshold:
            check.note = "not attested yet (too few signatures), which is not the same as forged"
            for i, entry in enumerate(scrutineers):
                if i not in signed:
                    check.fail(
                        f"{entry['name']} ({signing.fingerprint(keys[i])}) has not signed: "
                        f"{len(signed)} of {len(scrutineers)} signed, {threshold} needed"
                    )
            return
        check.summary = f" ({len(signed)} of {len(scrutineers)} scrutineers, {threshold} needed)"


# --- command line ----------------------------------------------------------


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            # Decoded at once so the bytes are freed before parsing.
            return handle.read().decode("utf-8").removeprefix("\ufeff")
    except OSError as exc:
        raise Unreadable(f"{path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{path}: not UTF-8 (byte {exc.start})") from exc


def _load(path: str, board: bool = False) -> Any:
    text = _read_text(path)
    try:
        return read_board(text) if board else parse_json_lenient(text)
    except NotJSONError as exc:
        raise Unreadable(f"{path}: {exc}") from exc
    except RecursionError:
        # Readable JSON of a shape no protocol object has: a fault, not exit 2.
        return InvalidValue("nested too deeply")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m voting.verify",
        description="Verify a published yishi-ballot/1 board.",
    )
    parser.add_argument("board", help="the board, as downloaded")
    parser.add_argument("--receipt", action="append", default=[], help="a saved receipt")
    parser.add_argument("--ballot", action="append", default=[], help="the ballot of the i-th receipt")
    parser.add_argument("--fingerprint", help="the 16 hex digits shown for the poll")
    parser.add_argument(
        "--scrutineer",
        action="append",
        default=[],
        help="a scrutineer's fingerprint as announced in the hall (repeat for each)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes for token signatures (0: all cores)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier; print the report and return the exit status."""
    args = _parser().parse_args(argv)
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    # Fork the workers before the board is in memory, so they stay small.
    pool = Pool(jobs) if jobs > 1 else None
    try:
        try:
            board = _load(args.board, board=True)
            receipts = [(path, _load(path)) for path in args.receipt]
            ballots = [(path, _load(path)) for path in args.ballot]
        except Unreadable as exc:
            print(f"unreadable: {exc}")
            return 2
        checks = Verifier(board, receipts, ballots, args.fingerprint, pool, scrutineers=args.scrutineer).run()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    for check in checks:
        for line in check.lines():
            print(line)
    return 1 if any(check.faults for check in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
