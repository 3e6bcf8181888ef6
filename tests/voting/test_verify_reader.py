"""The verifier's board reader: the ballots of a board are kept as text and parsed one
at a time. Whatever the text, the report must be the one the ordinary parse gives."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from voting.protocol import blindrsa, board
from voting.protocol.encoding import NotJSONError, parse_json_lenient
from voting.protocol.verify import BallotTexts, Verifier, read_board

CHOICES = [
    {"p1": "yes", "p2": "no", "p3": "abstain"},
    {"p1": "no", "p2": "yes", "p3": "no"},
    {"p1": "yes", "p2": "yes", "p3": "no"},
    {"p1": "abstain", "p2": "no", "p3": "yes"},
]


@pytest.fixture(scope="module")
def token_key():
    return blindrsa.generate_token_key(2048)


@pytest.fixture(scope="module", params=["secret", "named", "code"])
def secret_board(request, token_key) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """A board of each secrecy mode (the name is kept from when there was one)."""
    return board.simulate_poll(
        CHOICES,
        secrecy=request.param,
        rules={"max_yes": 2, "seats": 1, "threshold": {"base": "present", "more_than": "1/2"}},
        token_key=token_key,
    )


def report(parsed: Any, receipts=(), ballots=()) -> list[str]:
    checks = Verifier(parsed, receipts, ballots).run()
    return [line for check in checks for line in check.lines()]


def both_reports(text: str) -> tuple[Any, Any]:
    """(report of read_board, report of the ordinary parse), or the exception types."""
    results = []
    for reader in (read_board, parse_json_lenient):
        try:
            results.append(report(reader(text)))
        except (NotJSONError, RecursionError) as exc:
            results.append(type(exc).__name__)
    return results[0], results[1]


def test_a_published_board_is_read_as_ballot_texts_and_verifies(secret_board):
    published, receipts, ballots = secret_board
    text = board.board_text(published)
    parsed = read_board(text)
    assert isinstance(parsed["ballots"], BallotTexts)
    assert len(parsed["ballots"]) == len(CHOICES)
    lines = report(
        parsed, [(f"r{i}", r) for i, r in enumerate(receipts)], [(f"b{i}", b) for i, b in enumerate(ballots)]
    )
    assert all(line.startswith("ok ") for line in lines), lines
    assert "the recount of 4 ballots matches" in " ".join(lines)
    assert lines == report(
        parse_json_lenient(text),
        [(f"r{i}", r) for i, r in enumerate(receipts)],
        [(f"b{i}", b) for i, b in enumerate(ballots)],
    )


def _second_ballot(text: str) -> tuple[int, int]:
    """Start and end of the second ballot's text in a published board."""
    start = text.index('"ballots":[') + len('"ballots":[')
    _, end = json.JSONDecoder().raw_decode(text, start)
    second = end + 1
    _, second_end = json.JSONDecoder().raw_decode(text, second)
    return second, second_end


def _edit_second_ballot(text: str, edit) -> str:
    start, end = _second_ballot(text)
    return text[:start] + edit(text[start:end]) + text[end:]


EDITS = {
    "spaces inside a ballot": lambda b: b.replace(",", ", ").replace(":", " : "),
    "members reordered": lambda b: json.dumps(dict(reversed(list(json.loads(b).items()))), separators=(",", ":")),
    "a repeated member name": lambda b: '{"poll":"other",' + b[1:],
    "a repeated choice": lambda b: b.replace('"p1":', '"p1":"yes","p1":', 1),
    "a fraction": lambda b: b.replace('"no"', "1.5", 1),
    "a negative number": lambda b: b.replace('"no"', "-1", 1),
    "a huge number": lambda b: b.replace('"no"', "9" * 30, 1),
    "an escaped lone surrogate": lambda b: b.replace('"no"', '"\\ud800"', 1),
    "a non-ASCII value": lambda b: b.replace('"no"', '"否"', 1),
    "an escaped ASCII letter": lambda b: b.replace('"no"', '"\\u006eo"', 1),
    "deep nesting": lambda b: b.replace('"no"', "[" * 40 + "]" * 40, 1),
    "NaN": lambda b: b.replace('"no"', "NaN", 1),
    "not an object": lambda b: '"a string"',
    "an empty object": lambda b: "{}",
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_any_ballot_text_gets_the_report_of_the_ordinary_parse(secret_board, edit):
    text = _edit_second_ballot(board.board_text(secret_board[0]), edit)
    fast, ordinary = both_reports(text)
    assert fast == ordinary


def test_a_changed_ballot_is_caught_by_the_reader(secret_board):
    text = _edit_second_ballot(board.board_text(secret_board[0]), lambda b: b.replace('"yes"', '"no"', 1))
    lines = report(read_board(text))
    assert any(line.startswith("FAIL 5") for line in lines), lines
    assert lines == report(parse_json_lenient(text))


BOARD_EDITS = {
    "a repeated top-level member": lambda t: t[:-1] + ',"closing_sig":"x"}',
    "ballots not an array": lambda t: re.sub(r'"ballots":\[.*?\],"result"', '"ballots":{},"result"', t),
    "an empty ballots array": lambda t: re.sub(r'"ballots":\[.*\],"result"', '"ballots":[],"result"', t),
    "whitespace everywhere": lambda t: (
        " \n" + t.replace('","', '" , "').replace("[", "[ \n").replace("]", "\t]") + "\r\n"
    ),
    "trailing garbage": lambda t: t + "x",
    "a trailing comma in ballots": lambda t: t.replace('],"result"', ',],"result"'),
    "a missing comma between ballots": lambda t: t.replace("},{", "}{", 1),
    "a top-level array": lambda t: "[" + t + "]",
    "ballots last": lambda t: json.dumps(dict(sorted(json.loads(t).items(), key=lambda kv: kv[0] == "ballots"))),
}


@pytest.mark.parametrize("edit", BOARD_EDITS.values(), ids=BOARD_EDITS.keys())
def test_any_board_text_gets_the_report_of_the_ordinary_parse(secret_board, edit):
    text = edit(board.board_text(secret_board[0]))
    fast, ordinary = both_reports(text)
    assert fast == ordinary


def test_the_ballot_pattern_matches_only_what_the_full_checks_accept(secret_board):
    """Every one-character change of a published ballot: where the pattern still
    matches, the text is the JCS of a ballot that every check accepts."""
    from voting.protocol.encoding import canonical, parse_json
    from voting.protocol.rules import (
        ballot_pattern,
        check_ballot_binding,
        manifest_hash,
        validate_ballot_shape,
        validate_choices,
    )

    published = secret_board[0]
    manifest = published["manifest"]
    digest = manifest_hash(manifest)
    pattern = ballot_pattern(manifest, digest)
    assert pattern is not None
    original = canonical(published["ballots"][1]).decode()
    assert pattern.fullmatch(original)
    matched = 0
    for position in range(len(original)):
        for replacement in ("A", "a", "0", "_", "-", "=", '"', "\\", "{", " ", "y", "n"):
            text = original[:position] + replacement + original[position + 1 :]
            if text == original or not pattern.fullmatch(text):
                continue
            matched += 1
            ballot = parse_json(text)
            validate_ballot_shape(manifest, ballot)
            check_ballot_binding(manifest, digest, ballot)
            validate_choices(manifest, ballot["choices"])
            assert canonical(ballot).decode() == text
    assert matched > 0  # some changes stay valid (another token character, another choice)
