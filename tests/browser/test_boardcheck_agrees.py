"""The verifier in the browser (static/js/boardcheck.js, WebCrypto) agrees with
``python -m voting.verify`` on valid boards of every kind (revision 4 and 5) and on every
tampered variant of the project's tamper tests: the same checks fail, and every ok line
is the command line's, word for word."""

from __future__ import annotations

import copy
import functools
import http.server
import io
import json
import threading
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from tests.voting import test_verify_rev5 as rev5
from tests.voting.test_verify import APPROVAL_CHOICES, APPROVAL_RULES, SATISFACTION_CHOICES
from voting.protocol import blindrsa, board, signing
from voting.protocol.encoding import b64url_decode, b64url_encode
from voting.protocol.verify import main

STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.fixture(scope="module")
def static_page(browser):
    """A page of a tiny static server (no app, no database) with boardcheck.js loaded."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(STATIC))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://127.0.0.1:{server.server_port}/favicon.ico")
    page.add_script_tag(url=f"http://127.0.0.1:{server.server_port}/js/boardcheck.js")
    yield page
    context.close()
    server.shutdown()
    server.server_close()


def python_lines(tmp_path: Path, the_board: Any, receipts=(), ballots=(), extra=()) -> list[str]:
    path = tmp_path / "board.json"
    path.write_text(json.dumps(the_board, ensure_ascii=False), encoding="utf-8")
    args = [str(path)]
    for i, r in enumerate(receipts):
        (tmp_path / f"r{i}.json").write_text(json.dumps(r), encoding="utf-8")
        args += ["--receipt", str(tmp_path / f"r{i}.json")]
    for i, b in enumerate(ballots):
        (tmp_path / f"b{i}.json").write_text(json.dumps(b), encoding="utf-8")
        args += ["--ballot", str(tmp_path / f"b{i}.json")]
    out = io.StringIO()
    with redirect_stdout(out):
        main([*args, *extra])
    return out.getvalue().splitlines()


def browser_lines(page, the_board: Any, receipts=(), ballots=(), fingerprint=None, scrutineers=()) -> list[str]:
    return page.evaluate(
        """async ([text, receipts, ballots, fingerprint, scrutineers]) => {
            const report = await YishiBoardCheck.verify(text, {receipts, ballots, fingerprint, scrutineers});
            return report.lines;
        }""",
        [
            json.dumps(the_board, ensure_ascii=False),
            [[f"r{i}.json", json.dumps(r)] for i, r in enumerate(receipts)],
            [[f"b{i}.json", json.dumps(b)] for i, b in enumerate(ballots)],
            fingerprint,
            list(scrutineers),
        ],
    )


def statuses(lines: list[str]) -> dict[int, str]:
    """Check number -> its status line."""
    return {int(line.split()[1]): line for line in lines if not line.startswith("    ")}


FAILED_VARIANTS: list[str] = []


def assert_agree(name: str, py: list[str], js: list[str]) -> None:
    p, j = statuses(py), statuses(js)
    if any(line.startswith("FAIL") for line in p.values()):
        FAILED_VARIANTS.append(name)
    assert sorted(p) == sorted(j) == list(range(1, 9)), (name, py, js)
    for number in p:
        assert p[number].split()[0] == j[number].split()[0], (name, number, "\n".join(py), "\n".join(js))
        if p[number].startswith("ok"):
            assert p[number] == j[number], (name, p[number], j[number])


@pytest.fixture(scope="module")
def keys():
    return {
        "signing": signing.generate_keypair()[0],
        "token": blindrsa.generate_token_key(2048),
        "scrutineers": [signing.generate_keypair()[0] for _ in rev5.NAMES],
    }


def _rev4_boards(keys) -> dict[str, tuple]:
    common = {"options": ["p1", "p2", "p3", "p4"], "rules": APPROVAL_RULES, "signing_key": keys["signing"]}
    secret = board.simulate_poll(APPROVAL_CHOICES, electorate=12, present=10, token_key=keys["token"], **common)
    named = board.simulate_poll(APPROVAL_CHOICES, secrecy="named", electorate=9, **common)
    code = board.simulate_poll(
        SATISFACTION_CHOICES,
        ballot="satisfaction",
        secrecy="code",
        options=["s1", "s2"],
        rules={"grade_base": "cast", "rectify_below": "4/5"},
        electorate=7,
        signing_key=keys["signing"],
    )
    return {"secret": secret, "named": named, "code": code}


def change_choice(b):
    choices = b["ballots"][1]["choices"]
    first = sorted(choices)[0]
    choices[first] = "abstain" if choices[first] != "abstain" else "no" if "p1" in choices else "basic"


def _rev4_tampers(keys) -> dict[str, Any]:
    def flip_token(b):
        token = bytearray(b64url_decode(b["ballots"][2]["token"]))
        token[0] ^= 1
        b["ballots"][2]["token"] = b64url_encode(bytes(token))

    return {
        "changed choice": change_choice,
        "token byte": flip_token,
        "swapped": lambda b: b["ballots"].__setitem__(slice(0, 2), [b["ballots"][1], b["ballots"][0]]),
        "removed": lambda b: b["ballots"].pop(3),
        "duplicated": lambda b: b["ballots"].append(copy.deepcopy(b["ballots"][0])),
        "result count": lambda b: b["result"].update(cast=b["result"]["cast"] + 1),
        "result option": lambda b: b["result"]["options"][0].update(abstain=b["result"]["options"][0]["abstain"] + 1),
        "manifest title": lambda b: b["manifest"].update(title="another"),
        "manifest malformed": lambda b: b["manifest"].update(electorate=0),
        "register entry": lambda b: b["register"][0].update(present=False),
        "unknown member": lambda b: b.update(extra=1),
        "ballot not I-JSON": lambda b: b["ballots"][0].update(extra=1.5),
        "closing sig": lambda b: b.update(closing_sig=b["manifest_sig"]),
        "no board": lambda b: b.clear(),
    }


def test_the_two_verifiers_agree_on_every_board_and_tampered_variant(static_page, keys, tmp_path):
    page = static_page
    compared = 0
    boards = _rev4_boards(keys)
    for kind, (the_board, receipts, ballots) in boards.items():
        fp = signing.fingerprint(b64url_decode(the_board["manifest"]["signing_key"]))
        py = python_lines(tmp_path, the_board, receipts[:3], ballots[:2], ["--fingerprint", fp])
        js = browser_lines(page, the_board, receipts[:3], ballots[:2], fingerprint=fp)
        assert all(line.startswith("ok") for line in py), py
        assert py == js, (kind, py, js)
        compared += 1
        for name, change in _rev4_tampers(keys).items():
            if kind != "secret" and name in ("token byte", "register entry"):
                continue
            tampered = copy.deepcopy(the_board)
            change(tampered)
            assert_agree(f"{kind}: {name}", python_lines(tmp_path, tampered), browser_lines(page, tampered))
            compared += 1
        # A receipt that no longer holds, and a ballot file of another ballot.
        bad = copy.deepcopy(receipts[1])
        bad["index"] = 0
        assert_agree(
            f"{kind}: receipt",
            python_lines(tmp_path, the_board, [bad], [ballots[2]]),
            browser_lines(page, the_board, [bad], [ballots[2]]),
        )

    # Revision 5: valid boards, threshold variants, and every tamper case of its tests.
    rev5_keys = {"signing": keys["signing"], "token": keys["token"], "scrutineers": keys["scrutineers"]}
    secret5 = rev5.make(rev5_keys)
    named5 = rev5.make(rev5_keys, secrecy="named")
    prints = [signing.fingerprint(signing.public_key_of(k)) for k in keys["scrutineers"]]
    for the_board in (
        secret5[0],
        named5[0],
        rev5.make(rev5_keys, cosigners=(0, 2))[0],
        rev5.make(rev5_keys, cosign_threshold=2, cosigners=(0, 2))[0],
    ):
        extra = [a for p in prints for a in ("--scrutineer", p)]
        py = python_lines(tmp_path, the_board, extra=extra)
        js = browser_lines(page, the_board, scrutineers=prints)
        assert_agree("rev5 board", py, js)
        if all(line.startswith("ok") for line in py):
            assert py == js
        compared += 1
    for name, (change, _detail) in rev5._cosignature_cases(rev5_keys).items():
        tampered = copy.deepcopy(secret5[0])
        change(tampered)
        assert_agree(f"cosignatures: {name}", python_lines(tmp_path, tampered), browser_lines(page, tampered))
        compared += 1
    for name, (change, resealed, _owner, _detail) in rev5._paper_cases().items():
        tampered = copy.deepcopy(secret5[0])
        change(tampered)
        if resealed:
            if _owner != 2:
                rev5.recount(tampered)
            rev5.reseal(tampered, rev5_keys)
        assert_agree(f"paper: {name}", python_lines(tmp_path, tampered), browser_lines(page, tampered))
        compared += 1
    small = bytes.fromhex(sorted(signing.SMALL_ORDER_ENCODINGS)[3].hex())
    for member in ("signing_key", "scrutineer"):
        tampered = copy.deepcopy(secret5[0])
        if member == "signing_key":
            tampered["manifest"]["signing_key"] = b64url_encode(small)
        else:
            tampered["manifest"]["scrutineers"][0]["key"] = b64url_encode(small)
        rev5.resign_manifest(tampered, rev5_keys)
        assert_agree(f"key {member}", python_lines(tmp_path, tampered), browser_lines(page, tampered))
        compared += 1
    swapped = copy.deepcopy(secret5[0])
    swapped["manifest"]["scrutineers"][2]["key"] = b64url_encode(signing.public_key_of(signing.generate_keypair()[0]))
    rev5.resign_manifest(swapped, rev5_keys)
    extra = [a for p in prints for a in ("--scrutineer", p)]
    assert_agree(
        "swapped scrutineer key",
        python_lines(tmp_path, swapped, extra=extra),
        browser_lines(page, swapped, scrutineers=prints),
    )
    assert compared >= 60
    # Every tampered variant was caught (a variant both verifiers passed would prove nothing).
    tampered_names = [n for n in FAILED_VARIANTS if n != "rev5 board"]
    assert len(tampered_names) >= compared - 8, (compared, tampered_names)
