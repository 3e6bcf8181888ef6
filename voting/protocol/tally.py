"""The counting rules of ``yishi-ballot/1``: one function computes the result that
the results page, the JSON export, the board and the verifier all show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from itertools import chain
from typing import Any

from voting.protocol.rules import CHOICE_VALUES, parse_fraction


def base_value(manifest: Mapping[str, Any], present: int, cast: int) -> int:
    """The integer the rules compare with: 应到, 实到 or the ballots cast."""
    rules = manifest["rules"]
    name = rules["threshold"]["base"] if manifest["ballot"] == "approval" else rules["grade_base"]
    counts: dict[str, int] = {
        "electorate": manifest["electorate"],
        "present": present,
        "cast": cast,
    }
    return counts[name]


def tally(manifest: Mapping[str, Any], ballots: Iterable[Mapping[str, Any]], present: int) -> dict[str, Any]:
    """The result of these ballots (each with valid ``choices``).

    ``present`` is the register's present count, or the number of codes in a
    code poll.
    """
    return tally_choices(manifest, (ballot["choices"] for ballot in ballots), present)


def tally_choices(
    manifest: Mapping[str, Any],
    choices: Iterable[Mapping[str, str]],
    present: int,
    *,
    paper: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Like ``tally`` for the ``choices`` objects alone (already validated); (rev 5)
    ``paper`` as in ``tally_pairs`` (the paper ballots' choices among ``choices``)."""
    cast = 0

    def pairs_of_each_ballot() -> Iterator[Iterable[tuple[str, str]]]:
        nonlocal cast
        for choice in choices:
            cast += 1
            yield choice.items()

    # Counter counts the (option, value) pairs in C: a large board has millions.
    pairs = Counter(chain.from_iterable(pairs_of_each_ballot()))
    return tally_pairs(manifest, pairs, cast, present, paper=paper)


def tally_pairs(
    manifest: Mapping[str, Any],
    pairs: Mapping[tuple[str, str], int],
    cast: int,
    present: int,
    *,
    paper: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The result from the count of each (option, value) pair over ``cast`` ballots
    with valid choices: what a reader that counts as it goes (the verifier) keeps.

    (rev 5) ``paper`` is (valid paper ballots, spoiled) when the board has paper: the
    valid ones are already among ``pairs`` and ``cast``; the result then says both."""
    option_ids = [option["id"] for option in manifest["options"]]
    values = CHOICE_VALUES[manifest["ballot"]]
    counts = {oid: {value: pairs.get((oid, value), 0) for value in values} for oid in option_ids}
    if sum(pairs.values()) != sum(sum(c.values()) for c in counts.values()):
        raise ValueError("choices name an unknown option or value: validate them first")
    base = base_value(manifest, present, cast)
    head: dict[str, Any] = {"cast": cast, "present": present, "base": base}
    if paper is not None:
        head |= {"paper": paper[0], "spoiled": paper[1]}
    if manifest["ballot"] == "approval":
        return head | _approval(manifest["rules"], option_ids, counts, base)
    return head | _satisfaction(manifest["rules"], option_ids, counts, base)


def _approval(
    rules: Mapping[str, Any],
    option_ids: list[str],
    counts: dict[str, dict[str, int]],
    base: int,
) -> dict[str, Any]:
    num, den = parse_fraction(rules["threshold"]["more_than"])
    passing = [oid for oid in option_ids if counts[oid]["yes"] * den > num * base]
    # sorted() is stable, so equal yes counts keep manifest order.
    ranked = sorted(passing, key=lambda oid: -counts[oid]["yes"])
    seats = rules.get("seats")
    tied: list[str] = []
    if seats is None or len(ranked) <= seats:
        elected = ranked
    else:
        last_in = counts[ranked[seats - 1]]["yes"]
        if last_in == counts[ranked[seats]]["yes"]:
            # Everyone on the boundary goes to the run-off; only those above it win.
            elected = [oid for oid in ranked if counts[oid]["yes"] > last_in]
            tied = [oid for oid in passing if counts[oid]["yes"] == last_in]
        else:
            elected = ranked[:seats]
    elected_set, tied_set, passing_set = set(elected), set(tied), set(passing)
    options = [
        {
            "id": oid,
            "yes": counts[oid]["yes"],
            "no": counts[oid]["no"],
            "abstain": counts[oid]["abstain"],
            "passed": oid in passing_set,
            "elected": oid in elected_set,
            "tied": oid in tied_set,
        }
        for oid in option_ids
    ]
    return {"options": options, "elected": elected, "tied": tied}


def _satisfaction(
    rules: Mapping[str, Any],
    option_ids: list[str],
    counts: dict[str, dict[str, int]],
    base: int,
) -> dict[str, Any]:
    below = rules.get("rectify_below")
    threshold = Fraction(*parse_fraction(below)) if below is not None else None
    options = []
    for oid in option_ids:
        c = counts[oid]
        satisfied, basic = c["satisfied"], c["basic"]
        valid = satisfied + basic + c["dissatisfied"]  # abstentions are not valid
        if valid == 0:
            rate, grade, rectify = "0/0", None, False
        else:
            fraction = Fraction(satisfied + basic, valid)
            rate = f"{fraction.numerator}/{fraction.denominator}"
            # Exactly half is not enough, hence the strict comparisons.
            if satisfied * 2 > base:
                grade = "satisfied"
            elif (satisfied + basic) * 2 > base:
                grade = "basic"
            else:
                grade = "dissatisfied"
            rectify = threshold is not None and fraction < threshold
        options.append(
            {
                "id": oid,
                "satisfied": satisfied,
                "basic": basic,
                "dissatisfied": c["dissatisfied"],
                "abstain": c["abstain"],
                "rate": rate,
                "grade": grade,
                "rectify": rectify,
            }
        )
    return {"options": options}


def rate_percent(rate: str) -> str:
    """A rate ``"a/b"`` as a percentage with one decimal, rounded half up on the
    exact fraction (``"12/13"`` → ``"92.3%"``); ``"0/0"`` → ``"—"``."""
    numerator, denominator = (int(part) for part in rate.split("/"))
    if denominator == 0:
        return "—"
    # Tenths of a percent: floor(1000 a / b + 1/2), in integers.
    tenths = (2000 * numerator + denominator) // (2 * denominator)
    return f"{tenths // 10}.{tenths % 10}%"
