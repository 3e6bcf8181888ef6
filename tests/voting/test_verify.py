"""The verifier: a valid board passes; every single change is caught and named
under the check that owns it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from voting.protocol import blindrsa, board, merkle, signing
from voting.protocol.encoding import b64url_decode, b64url_encode, canonical
from voting.protocol.tally import tally
from voting.protocol.verify import main

ROOT = Path(__file__).resolve().parents[2]
APPROVAL_CHOICES = [
    {"p1": "yes", "p2": "yes", "p3": "no", "p4": "abstain"},
    {"p1": "yes", "p2": "no", "p3": "yes", "p4": "no"},
    {"p1": "yes", "p2": "yes", "p3": "no", "p4": "no"},
    {"p1": "no", "p2": "yes", "p3": "yes", "p4": "no"},
    {"p1": "yes", "p2": "abstain", "p3": "no", "p4": "yes"},
    {"p1": "yes", "p2": "yes", "p3": "no", "p4": "no"},
    {"p1": "abstain", "p2": "no", "p3": "yes", "p4": "yes"},
    {"p1": "yes", "p2": "yes", "p3": "no", "p4": "no"},
]
SATISFACTION_CHOICES = [
    {"s1": "satisfied", "s2": "basic"},
    {"s1": "satisfied", "s2": "dissatisfied"},
    {"s1": "basic", "s2": "abstain"},
    {"s1": "dissatisfied", "s2": "satisfied"},
    {"s1": "satisfied", "s2": "basic"},
]
APPROVAL_RULES = {
    "max_yes": 2,
    "seats": 2,
    "threshold": {"base": "present", "more_than": "1/2"},
}


@pytest.fixture(scope="module")
def token_key() -> rsa.RSAPrivateKey:
    return blindrsa.generate_token_key(2048)


@pytest.fixture(scope="module")
def signing_key() -> bytes:
    return signing.generate_keypair()[0]


Poll = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def secret_poll(token_key: rsa.RSAPrivateKey, signing_key: bytes) -> Poll:
    return board.simulate_poll(
        APPROVAL_CHOICES,
        rules=APPROVAL_RULES,
        electorate=12,
        present=10,
        token_key=token_key,
        signing_key=signing_key,
    )


@pytest.fixture(scope="module")
def named_poll(signing_key: bytes) -> Poll:
    return board.simulate_poll(
        APPROVAL_CHOICES,
        secrecy="named",
        rules=APPROVAL_RULES,
        electorate=9,
        signing_key=signing_key,
    )


@pytest.fixture(scope="module")
def code_poll(signing_key: bytes) -> Poll:
    return board.simulate_poll(
        SATISFACTION_CHOICES,
        ballot="satisfaction",
        secrecy="code",
        rules={"grade_base": "cast", "rectify_below": "3/4"},
        electorate=7,
        signing_key=signing_key,
    )


# --- helpers ---------------------------------------------------------------


class Run:
    """One verifier run: the exit status and the report, check by check."""

    def __init__(self, code: int, output: str) -> None:
        self.code = code
        self.output = output
        self.lines = output.splitlines()
        self.checks: dict[int, list[str]] = {}
        self.status: dict[int, str] = {}
        for line in self.lines:
            if not line.startswith("    "):
                word, number = line.split()[:2]
                current = int(number)
                self.checks[current] = [word]
                self.status[current] = line
            else:
                self.checks[current].append(line[4:])

    def ok(self, number: int) -> bool:
        return self.checks[number][0] == "ok"

    def failed(self) -> set[int]:
        return {n for n in self.checks if not self.ok(n)}

    def details(self, number: int) -> str:
        return "\n".join(self.checks[number][1:])


def write(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return str(path)


def verify(
    tmp_path: Path,
    the_board: Any,
    receipts: list[Any] = (),  # type: ignore[assignment]
    ballots: list[Any] = (),  # type: ignore[assignment]
    *extra: str,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    args = [write(tmp_path / "board.json", the_board)]
    for i, receipt in enumerate(receipts):
        args += ["--receipt", write(tmp_path / f"receipt{i}.json", receipt)]
    for i, ballot in enumerate(ballots):
        args += ["--ballot", write(tmp_path / f"ballot{i}.json", ballot)]
    code = main([*args, *extra])
    run = Run(code, capsys.readouterr().out)
    assert sorted(run.checks) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert run.code == (1 if run.failed() else 0)
    return run


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "voting.verify", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def resign_closing(the_board: dict[str, Any], signing_key: bytes) -> None:
    """What an operator holding the key could do: make the closing match again."""
    listing = "codes" if "codes" in the_board else "register"
    leaves = [board.ballot_leaf_hash(b) for b in the_board["ballots"]]
    closing = board.make_closing(
        the_board["manifest"],
        len(leaves),
        merkle.root(leaves).hex(),
        the_board["closing"]["closed_at"],
        result=the_board["result"],
        **{listing: the_board[listing]},
    )
    the_board["closing"] = closing
    the_board["closing_sig"] = signing.sign(signing_key, signing.CONTEXT_CLOSING, closing)


# --- valid boards ----------------------------------------------------------


def test_valid_secret_board_passes_on_the_command_line(secret_poll: Poll, tmp_path: Path) -> None:
    the_board, receipts, ballots = secret_poll
    fingerprint = signing.fingerprint(b64url_decode(the_board["manifest"]["signing_key"]))
    args = [
        write(tmp_path / "board.json", the_board),
        "--fingerprint",
        fingerprint.upper(),
    ]
    for i in (0, 3, 7):
        args += ["--receipt", write(tmp_path / f"r{i}.json", receipts[i])]
    for i in (0, 3):
        args += ["--ballot", write(tmp_path / f"b{i}.json", ballots[i])]
    done = run_cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 8  # revision 5: eight lines, the eighth for co-signatures
    assert [line.split()[:2] for line in lines] == [["ok", str(n)] for n in range(1, 9)]
    assert lines[7] == "ok 8 cosignatures (no scrutineers)"  # a revision-4 board
    assert fingerprint in lines[0]
    assert "8 ballots <= 8 tokens issued <= 10 present <= 12 electorate" in lines[3]


@pytest.mark.parametrize("poll", ["secret_poll", "named_poll", "code_poll"])
def test_valid_boards_pass_with_every_receipt_and_ballot(
    poll: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    the_board, receipts, ballots = request.getfixturevalue(poll)
    run = verify(tmp_path, the_board, receipts, ballots, capsys=capsys)
    assert run.code == 0, run.output
    assert run.failed() == set()
    assert run.status[7].startswith(f"ok 7 receipts: {len(receipts)} receipts hold")


def test_no_receipts(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = verify(tmp_path, secret_poll[0], capsys=capsys)
    assert run.code == 0
    assert run.lines[6] == "ok 7 receipts (none given)"


def test_simulated_receipts_have_the_protocol_shape(secret_poll: Poll) -> None:
    the_board, receipts, _ = secret_poll
    assert list(receipts[3]) == [
        "poll",
        "index",
        "leaf_hash",
        "tree_head",
        "tree_head_sig",
        "inclusion",
    ]
    assert list(receipts[3]["tree_head"]) == ["poll", "size", "root", "timestamp"]
    times = [r["tree_head"]["timestamp"] for r in receipts]
    assert times == sorted(times)
    assert the_board["manifest"]["opened_at"] <= times[0]
    assert times[-1] <= the_board["closing"]["closed_at"]
    assert the_board["result"] == tally(the_board["manifest"], the_board["ballots"], 10)


# --- each single change ----------------------------------------------------


def test_changed_choice(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board, receipts, ballots = copy.deepcopy(secret_poll)
    the_board["ballots"][3]["choices"]["p1"] = "abstain"  # was "no"
    run = verify(tmp_path, the_board, receipts, ballots, capsys=capsys)
    assert run.failed() == {5, 6, 7}
    assert "closing.root: is not the Merkle root" in run.details(5)
    assert "result.options[0].no (option p1): board says 1, recount gives 0" in run.details(6)
    assert "receipt3.json: ballot 3 on the board does not have the receipt's leaf_hash" in run.details(7)
    # Receipts of earlier ballots still hold: their prefix is unchanged.
    assert "receipt2.json" not in run.details(7)


def test_changed_token_byte(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    token = bytearray(b64url_decode(the_board["ballots"][5]["token"]))
    token[10] ^= 0x01
    the_board["ballots"][5]["token"] = b64url_encode(bytes(token))
    run = verify(tmp_path, the_board, capsys=capsys)
    assert 2 in run.failed()
    assert run.details(2) == "ballot 5: token_sig does not verify under manifest.token_key"


def test_changed_token_byte_with_jobs(secret_poll: Poll, tmp_path: Path) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    sig = bytearray(b64url_decode(the_board["ballots"][1]["token_sig"]))
    sig[-1] ^= 0x80
    the_board["ballots"][1]["token_sig"] = b64url_encode(bytes(sig))
    done = run_cli(write(tmp_path / "board.json", the_board), "--jobs", "2")
    assert done.returncode == 1
    assert "FAIL 2 ballots" in done.stdout
    assert "    ballot 1: token_sig does not verify" in done.stdout


def test_two_ballots_swapped(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board, receipts, _ = copy.deepcopy(secret_poll)
    ballots = the_board["ballots"]
    ballots[2], ballots[6] = ballots[6], ballots[2]
    run = verify(tmp_path, the_board, receipts, capsys=capsys)
    assert run.failed() == {5, 7}
    assert "in order" in run.details(5)
    assert "receipt2.json: ballot 2 on the board does not have the receipt's leaf_hash" in run.details(7)
    assert "receipt1.json" not in run.details(7)


def test_removed_ballot(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board, receipts, _ = copy.deepcopy(secret_poll)
    del the_board["ballots"][4]
    run = verify(tmp_path, the_board, receipts, capsys=capsys)
    assert {5, 6, 7} <= run.failed()
    assert "closing.size: 8, but the board has 7 ballots" in run.details(5)
    assert "result.cast: board says 8, recount gives 7" in run.details(6)
    assert "receipt7.json: tree_head.size 8 is larger than the board's 7 ballots" in run.details(7)


def test_removed_ballot_even_if_resigned(
    secret_poll: Poll,
    signing_key: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An operator with the key recounts and re-signs; the receipt still catches it."""
    the_board, receipts, _ = copy.deepcopy(secret_poll)
    del the_board["ballots"][4]
    the_board["result"] = tally(the_board["manifest"], the_board["ballots"], 10)
    resign_closing(the_board, signing_key)
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.code == 0  # self-consistent without receipts
    run = verify(tmp_path, the_board, [receipts[4]], capsys=capsys)
    assert run.failed() == {7}
    assert "ballot 4 on the board does not have the receipt's leaf_hash" in run.details(7)


def test_duplicated_ballot(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    the_board["ballots"].append(copy.deepcopy(the_board["ballots"][2]))
    run = verify(tmp_path, the_board, capsys=capsys)
    assert 3 in run.failed()
    assert run.details(3) == "ballot 8: same token as ballot 2"
    assert run.ok(2)
    assert "closing.size: 8, but the board has 9 ballots" in run.details(5)


def test_changed_count_in_result(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    the_board["result"]["options"][1]["no"] += 1
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.failed() == {5, 6}
    assert run.details(6) == "result.options[1].no (option p2): board says 3, recount gives 2"
    assert run.details(5) == "closing.result: is not the hash of the board's result"


def test_changed_result_even_if_resigned(
    secret_poll: Poll,
    signing_key: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    the_board["result"]["elected"] = ["p2", "p1"]
    the_board["result"]["options"][0]["passed"] = 1  # 1 is not true
    resign_closing(the_board, signing_key)
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.failed() == {6}
    assert 'result.elected: board says ["p2", "p1"], recount gives ["p1"]' in run.details(6)
    assert "result.options[0].passed (option p1): board says 1, recount gives true" in run.details(6)


def test_changed_manifest_field(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    the_board["manifest"]["electorate"] = 13
    run = verify(tmp_path, the_board, capsys=capsys)
    assert 1 in run.failed()
    assert "manifest_sig: does not verify under manifest.signing_key" in run.details(1)
    assert "closing.manifest: is not the manifest's hash" in run.details(5)
    assert "ballot 0: manifest: is not this poll's manifest hash" in run.details(2)


def test_malformed_manifest(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    the_board["manifest"]["rules"]["seats"] = 0
    run = verify(tmp_path, the_board, capsys=capsys)
    assert "manifest.rules.seats: must be an integer from 1 to 4" in run.details(1)
    assert "not checked: the manifest is not valid (check 1)" in run.details(6)


def test_changed_register_entry(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    the_board["register"][2]["present"] = False  # but a token was issued
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.failed() == {4, 5, 6}
    assert "register[2]: token_issued is true but present is false" in run.details(4)
    # The result's present count comes from the register.
    assert "result.present: board says 10, recount gives 9" in run.details(6)
    assert run.details(5) == "closing.register: is not the hash of the board's register"


def test_register_counts(
    secret_poll: Poll,
    signing_key: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    the_board["register"][0]["token_issued"] = False
    the_board["register"][3]["voter"] = "D01"
    del the_board["register"][11]
    resign_closing(the_board, signing_key)
    run = verify(tmp_path, the_board, capsys=capsys)
    details = run.details(4)
    assert "8 ballots is more than 7 tokens issued" in details
    assert "register[3]: voter 'D01' is not after 'D03'" in details
    assert "register: 11 entries, but manifest.electorate is 12" in details


def test_bad_fingerprint(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = verify(
        tmp_path,
        secret_poll[0],
        (),
        (),
        "--fingerprint",
        "0123456789abcdef",
        capsys=capsys,
    )
    assert run.failed() == {1}
    assert "is not the expected 0123456789abcdef" in run.details(1)
    run = verify(tmp_path, secret_poll[0], (), (), "--fingerprint", "0123", capsys=capsys)
    assert run.details(1) == "--fingerprint: '0123' is not 16 hex digits"


def test_tampered_receipt(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board, receipts, _ = copy.deepcopy(secret_poll)
    receipts[5]["tree_head"]["root"] = receipts[4]["tree_head"]["root"]
    run = verify(tmp_path, the_board, [receipts[5]], capsys=capsys)
    assert run.failed() == {7}
    assert "receipt0.json: tree_head_sig does not verify under the poll's key" in run.details(7)


def test_receipt_with_a_wrong_proof(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, receipts, _ = copy.deepcopy(secret_poll)
    receipts[6]["inclusion"][0] = receipts[6]["inclusion"][0][::-1]
    run = verify(tmp_path, secret_poll[0], [receipts[6]], capsys=capsys)
    assert "receipt0.json: inclusion proof does not show leaf 6 in the tree of size 7" in run.details(7)


def test_receipt_times(
    secret_poll: Poll,
    signing_key: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    the_board, receipts, _ = copy.deepcopy(secret_poll)
    late, early = receipts[2], receipts[5]
    late["tree_head"]["timestamp"] = "2027-01-12T10:00:00Z"  # after the closing
    late["tree_head_sig"] = signing.sign(signing_key, signing.CONTEXT_TREE_HEAD, late["tree_head"])
    run = verify(tmp_path, the_board, [early, late], capsys=capsys)
    assert "receipt1.json: tree_head.timestamp is after closing.closed_at" in run.details(7)
    assert "receipt1.json" in run.details(7)
    assert "tree head of size 6 is timestamped before the smaller head in" in run.details(7)


def test_ballot_file_must_match_its_receipt(
    secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    the_board, receipts, ballots = secret_poll
    run = verify(tmp_path, the_board, [receipts[0], receipts[1]], [ballots[1]], capsys=capsys)
    assert run.details(7) == (
        f"{tmp_path}/ballot0.json: its leaf hash is not the leaf_hash of {tmp_path}/receipt0.json"
    )
    run = verify(tmp_path, the_board, [receipts[0]], [ballots[0], ballots[1]], capsys=capsys)
    assert run.details(7) == f"{tmp_path}/ballot1.json: no matching --receipt"


def test_unknown_top_level_member(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board = copy.deepcopy(secret_poll[0])
    the_board["comment"] = "hi"
    the_board["codes"] = []
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.details(5) == "board: unknown member 'comment'"
    assert "codes: not allowed in a secret poll" in run.details(4)


def test_ballot_that_is_not_i_json(secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps(secret_poll[0])
    first = text.index('"choices": {') + len('"choices": {')
    text = text[:first] + '"p1": "no", ' + text[first:]  # a duplicate member name
    path = tmp_path / "board.json"
    path.write_text(text, encoding="utf-8")
    code = main([str(path)])
    run = Run(code, capsys.readouterr().out)
    assert run.code == 1
    assert (
        "ballot 0: choices: must be an object, not a value that is not I-JSON "
        "(duplicate member name 'p1')" in run.details(2)
    )
    assert "closing.root: not checked: ballot 0 is not I-JSON" in run.details(5)


def test_named_poll_faults(
    named_poll: Poll,
    signing_key: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    the_board = copy.deepcopy(named_poll[0])
    the_board["ballots"][1]["voter"] = "D9"
    the_board["ballots"][2]["voter"] = "D1"
    the_board["register"][0]["present"] = False
    resign_closing(the_board, signing_key)
    run = verify(tmp_path, the_board, capsys=capsys)
    assert "ballot 0: voter 'D1' is not marked present" in run.details(2)
    assert "ballot 1: voter 'D9' is not marked present" in run.details(2)
    assert "ballot 2: same voter 'D1' as ballot 0" in run.details(3)


def test_code_poll_faults(
    code_poll: Poll,
    signing_key: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    the_board = copy.deepcopy(code_poll[0])
    the_board["ballots"][1]["code_hash"] = "0" * 64
    the_board["ballots"][2]["code_hash"] = the_board["ballots"][3]["code_hash"]
    the_board["result"]["options"][0]["rate"] = "3/4"
    resign_closing(the_board, signing_key)
    run = verify(tmp_path, the_board, capsys=capsys)
    assert "ballot 1: code_hash is not in codes" in run.details(2)
    assert run.status[4] == "ok 4 codes: 5 ballots <= 7 codes = 7 electorate"
    assert "ballot 3: same code hash as ballot 2" in run.details(3)
    assert 'result.options[0].rate (option s1): board says "3/4", recount gives "4/5"' in run.details(6)


def test_board_of_the_wrong_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = verify(tmp_path, [1, 2], capsys=capsys)
    assert run.failed() == {1, 2, 3, 4, 5, 6, 8}
    assert "board: must be a JSON object" in run.details(1)


def test_unreadable_files(secret_poll: Poll, tmp_path: Path) -> None:
    not_json = tmp_path / "board.json"
    not_json.write_text('{"manifest": ', encoding="utf-8")
    done = run_cli(str(not_json))
    assert done.returncode == 2
    assert done.stdout.startswith(f"unreadable: {not_json}: not JSON")
    assert len(done.stdout.splitlines()) == 1


def test_unreadable_receipt_and_encodings(
    secret_poll: Poll, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "board.json", secret_poll[0])
    latin1 = tmp_path / "r.json"
    latin1.write_bytes(b'{"poll": "caf\xe9"}')
    assert main([good, "--receipt", str(latin1)]) == 2
    assert capsys.readouterr().out == f"unreadable: {latin1}: not UTF-8 (byte 13)\n"
    assert main([str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().out.startswith("unreadable: ")
    nan = tmp_path / "nan.json"
    nan.write_text("[NaN]", encoding="utf-8")
    assert main([str(nan)]) == 2
    assert capsys.readouterr().out == f"unreadable: {nan}: NaN is not JSON\n"
    # A BOM is ignored.
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + canonical(secret_poll[0]))
    assert main([str(bom)]) == 0
    capsys.readouterr()


# --- the board builder -----------------------------------------------------


def test_simulate_poll_options(
    token_key: rsa.RSAPrivateKey, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    choices = [{"p1": "yes"}] * 70
    the_board, receipts, ballots = board.simulate_poll(
        choices, token_key=token_key, receipts=[0, 69], jobs=2, electorate=80
    )
    assert [r["index"] for r in receipts] == [0, 69]
    assert len({b["token"] for b in ballots}) == 70
    assert the_board["result"]["elected"] == ["p1"]
    run = verify(tmp_path, the_board, receipts, [ballots[0], ballots[69]], capsys=capsys)
    assert run.code == 0, run.output


def test_build_board_needs_exactly_one_listing(secret_poll: Poll) -> None:
    the_board = secret_poll[0]
    parts = {k: the_board[k] for k in ("ballots", "result", "closing", "closing_sig")}
    with pytest.raises(ValueError, match="exactly one"):
        board.build_board(the_board["manifest"], the_board["manifest_sig"], **parts)
    with pytest.raises(ValueError, match="exactly one"):
        board.make_closing(the_board["manifest"], 0, "0" * 64, "2027-01-12T10:00:00Z", result={})
    rebuilt = board.build_board(
        the_board["manifest"],
        the_board["manifest_sig"],
        register=the_board["register"],
        **parts,
    )
    assert rebuilt == the_board
    assert list(rebuilt) == [
        "manifest",
        "manifest_sig",
        "register",
        "ballots",
        "result",
        "closing",
        "closing_sig",
    ]
