"""Revision 5 of the verifier: scrutineers' co-signatures (check 8), paper ballots and
the key rules. A valid board passes with eight ok lines; every change to a new member is
caught under the check the protocol names (shared/ballot-protocol.md, "The verifier")."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.voting.test_verify import APPROVAL_CHOICES, APPROVAL_RULES, verify
from voting.protocol import blindrsa, board, merkle, signing
from voting.protocol.encoding import b64url_decode, b64url_encode, canonical
from voting.protocol.rules import validate_manifest
from voting.protocol.tally import tally_choices

Poll = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]
NAMES = ("王五", "李四", "赵六")
PAPER = [
    {"p1": "yes", "p2": "no", "p3": "no", "p4": "yes"},
    {"p1": "no", "p2": "yes", "p3": "abstain", "p4": "no"},
    {"p1": "yes", "p2": "yes", "p3": "no", "p4": "no"},
    {"p1": "yes", "p2": "no", "p3": "no", "p4": "yes"},  # the same as the first: both stay
]
KNOWN_ANSWERS = Path("/work/shared/test-vectors/known-answers.json")


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "signing": signing.generate_keypair()[0],
        "token": blindrsa.generate_token_key(2048),
        "scrutineers": [signing.generate_keypair()[0] for _ in NAMES],
    }


def make(keys: dict[str, Any], **options: Any) -> Poll:
    kwargs: dict[str, Any] = {
        "options": ["p1", "p2", "p3", "p4"],
        "rules": APPROVAL_RULES,
        "electorate": 16,
        "signing_key": keys["signing"],
        "token_key": keys["token"],
        "scrutineers": list(zip(NAMES, keys["scrutineers"], strict=True)),
        "paper": PAPER,
        "spoiled": 2,
    } | options
    if kwargs.get("secrecy") == "named":
        kwargs.pop("token_key")
    return board.simulate_poll(APPROVAL_CHOICES, **kwargs)


@pytest.fixture(scope="module")
def secret_poll(keys: dict[str, Any]) -> Poll:
    return make(keys)


@pytest.fixture(scope="module")
def named_poll(keys: dict[str, Any]) -> Poll:
    return make(keys, secrecy="named")


def fingerprints(keys: dict[str, Any]) -> list[str]:
    return [signing.fingerprint(signing.public_key_of(k)) for k in keys["scrutineers"]]


def reseal(the_board: dict[str, Any], keys: dict[str, Any], cosigners: tuple[int, ...] = (0, 1, 2)) -> None:
    """What a server and every scrutineer acting together could do after a change:
    make the closing's hashes match and sign it again, so that only the check that owns
    the changed member can catch the change."""
    listing = "codes" if "codes" in the_board else "register"
    leaves = [board.ballot_leaf_hash(b) for b in the_board["ballots"]]
    closing = board.make_closing(
        the_board["manifest"],
        len(leaves),
        merkle.root(leaves).hex(),
        the_board["closing"]["closed_at"],
        result=the_board["result"],
        paper=the_board.get("paper"),
        **{listing: the_board[listing]},
    )
    the_board["closing"] = closing
    the_board["closing_sig"] = signing.sign(keys["signing"], signing.CONTEXT_CLOSING, closing)
    if "cosignatures" in the_board:
        the_board["cosignatures"] = [board.cosign(keys["scrutineers"][i], closing) for i in cosigners]


def resign_manifest(the_board: dict[str, Any], keys: dict[str, Any]) -> None:
    the_board["manifest_sig"] = signing.sign(keys["signing"], signing.CONTEXT_MANIFEST, the_board["manifest"])


def recount(the_board: dict[str, Any]) -> None:
    """Recount after changing the paper ballots, as a server would."""
    manifest = the_board["manifest"]
    paper = the_board.get("paper")
    choices = [b["choices"] for b in the_board["ballots"]]
    if paper is not None:
        choices += [e["choices"] if manifest["secrecy"] == "named" else e for e in paper["ballots"]]
    present = sum(1 for e in the_board["register"] if e["present"])
    counts = (len(paper["ballots"]), paper["spoiled"]) if paper is not None else None
    the_board["result"] = tally_choices(manifest, choices, present, paper=counts)


# --- valid boards ------------------------------------------------------------------


@pytest.mark.parametrize("poll", ["secret_poll", "named_poll"])
def test_a_revision_5_board_passes_with_eight_ok_lines(
    poll: str, request: pytest.FixtureRequest, keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    the_board, receipts, ballots = request.getfixturevalue(poll)
    extra = [arg for fp in fingerprints(keys) for arg in ("--scrutineer", fp.upper())]
    run = verify(tmp_path, the_board, receipts[:2], ballots[:2], *extra, capsys=capsys)
    assert run.code == 0, run.output
    assert len(run.lines) == 8
    assert run.status[8] == "ok 8 cosignatures (3 of 3 scrutineers, 3 needed)"
    assert all(fp in run.status[1] for fp in fingerprints(keys)) and run.status[1].endswith("as expected")
    assert "4 paper ballots, 2 spoiled" in run.status[2]
    result = the_board["result"]
    assert (result["cast"], result["paper"], result["spoiled"]) == (len(APPROVAL_CHOICES) + 4, 4, 2)
    assert "6 voted on paper" in run.status[4]
    paper = the_board["paper"]["ballots"]
    if poll == "secret_poll":
        assert [canonical(b) for b in paper] == sorted(canonical(b) for b in paper)
    assert "paper" in the_board["closing"] and list(the_board)[-1] == "cosignatures"


def test_threshold_two_of_three_passes_and_says_so(
    keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    the_board, _, _ = make(keys, cosign_threshold=2, cosigners=(0, 2))
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.code == 0, run.output
    assert run.status[8] == "ok 8 cosignatures (2 of 3 scrutineers, 2 needed)"


def test_a_scrutineer_who_has_not_signed_is_named(
    keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    the_board, _, _ = make(keys, cosigners=(0, 2))
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.failed() == {8}
    assert "not attested yet" in run.status[8]
    assert f"李四 ({fingerprints(keys)[1]}) has not signed: 2 of 3 signed, 3 needed" in run.details(8)


def test_a_revision_4_board_still_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    the_board, _, _ = board.simulate_poll(APPROVAL_CHOICES, options=["p1", "p2", "p3", "p4"], rules=APPROVAL_RULES)
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.code == 0
    assert run.status[8] == "ok 8 cosignatures (no scrutineers)"


def test_the_board_text_the_server_streams_is_the_board(secret_poll: Poll) -> None:
    the_board = secret_poll[0]
    assert json.loads(board.board_text(the_board)) == the_board


# --- keys ---------------------------------------------------------------------------


def test_small_order_and_non_canonical_keys_are_refused(
    secret_poll: Poll, keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    encodings = json.loads(KNOWN_ANSWERS.read_text())["ed25519_small_order"]["encodings"]
    assert len(encodings) == len(signing.SMALL_ORDER_ENCODINGS)
    non_canonical = (2**255 - 19 + 5).to_bytes(32, "little")  # y = p + 5, a valid point's y (5) + p
    for bad in [bytes.fromhex(e) for e in encodings] + [non_canonical]:
        assert signing.key_problem(bad) is not None
        for member in ("scrutineer", "signing"):
            tampered = copy.deepcopy(secret_poll[0])
            if member == "scrutineer":
                tampered["manifest"]["scrutineers"][1]["key"] = b64url_encode(bad)
            else:
                tampered["manifest"]["signing_key"] = b64url_encode(bad)
            resign_manifest(tampered, keys)
            run = verify(tmp_path, tampered, capsys=capsys)
            assert 1 in run.failed()
            assert "small order" in run.details(1) or "not canonical" in run.details(1)
    assert signing.key_problem(signing.public_key_of(keys["scrutineers"][0])) is None


def test_manifest_rules_for_scrutineers_and_paper(secret_poll: Poll) -> None:
    manifest = secret_poll[0]["manifest"]
    validate_manifest(manifest)
    cases = {
        "without threshold": lambda m: m.pop("cosign_threshold"),
        "threshold 0": lambda m: m.update(cosign_threshold=0),
        "threshold above n": lambda m: m.update(cosign_threshold=4),
        "threshold alone": lambda m: (m.pop("scrutineers"), m.pop("paper")),
        "ten scrutineers": lambda m: m.update(scrutineers=m["scrutineers"] * 4),
        "duplicate key": lambda m: m["scrutineers"].append(dict(m["scrutineers"][0])),
        "scrutineer is the poll key": lambda m: m["scrutineers"][0].update(key=m["signing_key"]),
        "empty name": lambda m: m["scrutineers"][0].update(name=""),
        "paper false": lambda m: m.update(paper=False),
        "paper in a code poll": lambda m: m.update(secrecy="code", paper=True) or m.pop("token_key"),
        "paper with one scrutineer": lambda m: m.update(scrutineers=m["scrutineers"][:1], cosign_threshold=1),
    }
    for name, change in cases.items():
        changed = copy.deepcopy(manifest)
        change(changed)
        with pytest.raises(Exception) as refused:
            validate_manifest(changed)
        assert "manifest" in str(refused.value), name


def test_expected_scrutineers_must_match_exactly(
    secret_poll: Poll, keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prints = fingerprints(keys)
    # A server that swapped one scrutineer's key is caught by what was announced in the hall.
    swapped = copy.deepcopy(secret_poll[0])
    other = signing.public_key_of(signing.generate_keypair()[0])
    swapped["manifest"]["scrutineers"][2]["key"] = b64url_encode(other)
    resign_manifest(swapped, keys)
    run = verify(tmp_path, swapped, [], [], *[a for p in prints for a in ("--scrutineer", p)], capsys=capsys)
    assert 1 in run.failed()
    assert f"scrutineer {prints[2]} is expected but not in the manifest" in run.details(1)
    assert f"scrutineer {signing.fingerprint(other)} is in the manifest but was not expected" in run.details(1)
    # Fewer given than listed, and a value that is not 16 hex digits.
    run = verify(tmp_path, secret_poll[0], [], [], "--scrutineer", prints[0], "--scrutineer", "xyz", capsys=capsys)
    assert run.failed() == {1} and "'xyz' is not 16 hex digits" in run.details(1)
    run = verify(tmp_path, secret_poll[0], [], [], "--scrutineer", prints[0], capsys=capsys)
    assert run.failed() == {1} and f"scrutineer {prints[1]} is in the manifest but was not expected" in run.details(1)
    # A repeated value counts once.
    args = [a for p in [*prints, prints[0]] for a in ("--scrutineer", p)]
    assert verify(tmp_path, secret_poll[0], [], [], *args, capsys=capsys).code == 0


# --- cosignatures (check 8) ---------------------------------------------------------


def _cosignature_cases(keys: dict[str, Any]):
    def removed(b):
        del b["cosignatures"][1]

    def duplicated(b):
        b["cosignatures"].append(dict(b["cosignatures"][0]))

    def reordered(b):
        b["cosignatures"].reverse()

    def forged(b):
        sig = bytearray(b64url_decode(b["cosignatures"][1]["sig"]))
        sig[5] ^= 1
        b["cosignatures"][1]["sig"] = b64url_encode(bytes(sig))

    def by_a_non_scrutineer(b):
        b["cosignatures"][1] = board.cosign(signing.generate_keypair()[0], b["closing"])

    def over_another_closing(b):
        other = dict(b["closing"], closed_at="2027-01-12T10:00:00Z")
        b["cosignatures"][1] = board.cosign(keys["scrutineers"][1], other)

    def by_the_poll_key(b):
        b["cosignatures"][1] = board.cosign(keys["signing"], b["closing"])

    def member_without_scrutineers(b):
        del b["manifest"]["scrutineers"], b["manifest"]["cosign_threshold"], b["manifest"]["paper"]
        del b["paper"]
        for entry in b["register"]:
            entry.pop("paper", None)

    def missing_member(b):
        del b["cosignatures"]

    def not_an_array(b):
        b["cosignatures"] = {"key": "x"}

    return {
        "removed": (removed, "李四"),
        "duplicated": (duplicated, "has signed already"),
        "reordered": (reordered, "out of order"),
        "forged": (forged, "does not verify over the closing"),
        "by a non-scrutineer": (by_a_non_scrutineer, "is not one of the manifest's scrutineers"),
        "over another closing": (over_another_closing, "does not verify over the closing"),
        "by the poll key": (by_the_poll_key, "is not one of the manifest's scrutineers"),
        "member without scrutineers": (member_without_scrutineers, "present, but the manifest has no scrutineers"),
        "missing member": (missing_member, "cosignatures: missing"),
        "not an array": (not_an_array, "must be an array"),
    }


def test_every_change_to_the_cosignatures_fails_check_8(
    secret_poll: Poll, keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, (change, detail) in _cosignature_cases(keys).items():
        tampered = copy.deepcopy(secret_poll[0])
        change(tampered)
        if name == "member without scrutineers":
            resign_manifest(tampered, keys)
            recount(tampered)
            reseal(tampered, keys)
            tampered["cosignatures"] = []
        run = verify(tmp_path, tampered, capsys=capsys)
        assert 8 in run.failed(), name
        assert detail in run.details(8) or detail in run.status[8], (name, run.output)
        if name != "member without scrutineers":
            assert run.failed() == {8}, (name, run.output)


def test_a_forged_signature_fails_whatever_the_threshold(
    keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    the_board, _, _ = make(keys, cosign_threshold=1)
    sig = bytearray(b64url_decode(the_board["cosignatures"][2]["sig"]))
    sig[0] ^= 0x80
    the_board["cosignatures"][2]["sig"] = b64url_encode(bytes(sig))
    run = verify(tmp_path, the_board, capsys=capsys)
    assert run.failed() == {8} and "赵六" in run.details(8)


# --- paper (checks 2 to 6) ----------------------------------------------------------


def _paper_cases():
    """(change, resealed, the check that owns it, a detail it prints)."""

    def added(b):
        b["paper"]["ballots"].append({"p1": "yes", "p2": "yes", "p3": "no", "p4": "no"})
        b["paper"]["ballots"].sort(key=canonical)

    def removed(b):
        del b["paper"]["ballots"][0]

    def changed(b):
        b["paper"]["ballots"][0] = dict(b["paper"]["ballots"][0], p4="abstain")
        b["paper"]["ballots"].sort(key=canonical)

    def unsorted(b):
        b["paper"]["ballots"].reverse()

    def bad_choices(b):
        b["paper"]["ballots"][0] = {"p1": "yes", "p2": "yes", "p3": "yes", "p4": "no"}  # three yes, max 2

    def spoiled_changed(b):
        b["paper"]["spoiled"] += 1

    def spoiled_negative(b):
        b["paper"]["spoiled"] = -1

    def flag_added(b):
        entry = next(e for e in b["register"] if not e["present"])
        entry["present"] = True
        entry["paper"] = True

    def flag_removed(b):
        next(e for e in b["register"] if e.get("paper")).pop("paper")

    def token_and_paper(b):
        next(e for e in b["register"] if e.get("paper"))["token_issued"] = True

    def flag_false(b):
        next(e for e in b["register"] if e.get("paper"))["paper"] = False

    def emptied(b):
        b["paper"] = {"ballots": [], "spoiled": 0}
        for entry in b["register"]:
            entry.pop("paper", None)

    return {
        # Changed without resealing: the closing's paper hash no longer matches.
        "added": (added, False, 5, "closing.paper: is not the hash of the board's paper"),
        "removed": (removed, False, 5, "closing.paper"),
        "changed": (changed, False, 5, "closing.paper"),
        "spoiled changed": (spoiled_changed, False, 5, "closing.paper"),
        "paper member dropped": (
            lambda b: b.pop("paper"),
            False,
            5,
            "closing.paper: present, but the board has no paper",
        ),
        # Resealed by a server with every scrutineer: the check that owns the member.
        "added, resealed": (added, True, 4, "5 ballots and 2 spoiled"),
        "removed, resealed": (removed, True, 4, "3 ballots and 2 spoiled"),
        "unsorted, resealed": (unsorted, True, 2, "out of order"),
        "bad choices, resealed": (bad_choices, True, 2, "paper.ballots[0]"),
        "spoiled changed, resealed": (spoiled_changed, True, 4, "4 ballots and 3 spoiled"),
        "spoiled negative, resealed": (spoiled_negative, True, 2, "paper.spoiled"),
        "flag added, resealed": (flag_added, True, 4, "7 entries marked paper"),
        "flag removed, resealed": (flag_removed, True, 4, "5 entries marked paper"),
        "flag false, resealed": (flag_false, True, 4, "must be true"),
        "token and paper, resealed": (token_and_paper, True, 4, "voted on paper but token_issued is true"),
        "emptied, resealed": (emptied, True, 4, "present but empty"),
    }


def test_every_change_to_the_paper_fails_under_its_check(
    secret_poll: Poll, keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, (change, resealed, owner, detail) in _paper_cases().items():
        tampered = copy.deepcopy(secret_poll[0])
        change(tampered)
        if resealed:
            if "counts" not in name and owner != 2:
                recount(tampered)
            reseal(tampered, keys)
        run = verify(tmp_path, tampered, capsys=capsys)
        assert owner in run.failed(), (name, run.output)
        assert detail in run.details(owner), (name, run.output)


def test_a_changed_paper_count_in_the_result_fails_check_6(
    secret_poll: Poll, keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for member, value in (("spoiled", 3), ("paper", 5), ("cast", 11)):
        tampered = copy.deepcopy(secret_poll[0])
        tampered["result"][member] = value
        reseal(tampered, keys)
        run = verify(tmp_path, tampered, capsys=capsys)
        assert run.failed() == {6}, (member, run.output)
        assert f"result.{member}" in run.details(6)


def test_named_paper_voters_twice_or_on_both_fail_check_3(
    named_poll: Poll, keys: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = copy.deepcopy(named_poll[0])
    ballots = twice["paper"]["ballots"]
    ballots[1] = dict(ballots[1], voter=ballots[0]["voter"])
    recount(twice)
    reseal(twice, keys)
    run = verify(tmp_path, twice, capsys=capsys)
    assert 3 in run.failed() and "has a paper ballot already" in run.details(3)
    assert 2 not in run.failed()

    both = copy.deepcopy(named_poll[0])
    voter = both["ballots"][0]["voter"]
    both["paper"]["ballots"][0] = dict(both["paper"]["ballots"][0], voter=voter)
    both["paper"]["ballots"].sort(key=lambda e: e["voter"])
    next(e for e in both["register"] if e["voter"] == voter)["paper"] = True
    recount(both)
    reseal(both, keys)
    run = verify(tmp_path, both, capsys=capsys)
    assert 3 in run.failed() and "also has electronic ballot 0" in run.details(3)

    outsider = copy.deepcopy(named_poll[0])
    outsider["paper"]["ballots"][-1] = dict(outsider["paper"]["ballots"][-1], voter="Z999")
    recount(outsider)
    reseal(outsider, keys)
    run = verify(tmp_path, outsider, capsys=capsys)
    assert 2 in run.failed() and "'Z999' is not in the register with paper" in run.details(2)


def test_paper_in_a_poll_that_does_not_allow_it_fails_check_4(
    tmp_path: Path, keys: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    the_board, _, _ = make(keys, paper=None, spoiled=0)
    assert "paper" not in the_board["manifest"] and "paper" not in the_board
    the_board["paper"] = {"ballots": [PAPER[0]], "spoiled": 0}
    next(e for e in the_board["register"] if not e["present"]).update(present=True, paper=True)
    recount(the_board)
    reseal(the_board, keys)
    run = verify(tmp_path, the_board, capsys=capsys)
    assert 4 in run.failed() and "the manifest does not allow paper ballots" in run.details(4)


def test_the_token_key_is_unchanged_by_revision_5(keys: dict[str, Any]) -> None:
    assert isinstance(keys["token"], rsa.RSAPrivateKey)
    assert blindrsa.modulus_length(keys["token"].public_key().public_numbers().n) == 256
