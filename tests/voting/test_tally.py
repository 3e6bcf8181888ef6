"""The counting rules, case by case from the protocol text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.protocol.tally import rate_percent, tally, tally_choices


def approval(
    count: int,
    *,
    base: str = "electorate",
    more_than: str = "1/2",
    seats: int | None = None,
    max_yes: int | None = None,
    electorate: int = 100,
) -> dict[str, Any]:
    rules: dict[str, Any] = {"threshold": {"base": base, "more_than": more_than}}
    if seats is not None:
        rules["seats"] = seats
    if max_yes is not None:
        rules["max_yes"] = max_yes
    return {
        "ballot": "approval",
        "options": [{"id": f"p{i}", "title": f"P{i}"} for i in range(1, count + 1)],
        "rules": rules,
        "electorate": electorate,
    }


def satisfaction(count: int, *, grade_base: str = "cast", rectify_below: str | None = None) -> dict[str, Any]:
    rules: dict[str, Any] = {"grade_base": grade_base}
    if rectify_below is not None:
        rules["rectify_below"] = rectify_below
    return {
        "ballot": "satisfaction",
        "options": [{"id": f"s{i}", "title": f"S{i}"} for i in range(1, count + 1)],
        "rules": rules,
        "electorate": 100,
    }


def ballots_with_yes(yes_counts: list[int], total: int) -> list[dict[str, Any]]:
    """``total`` ballots where option i gets ``yes_counts[i]`` yes, the rest no."""
    return [
        {"choices": {f"p{i}": "yes" if b < yes else "no" for i, yes in enumerate(yes_counts, start=1)}}
        for b in range(total)
    ]


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {option["id"]: option for option in result["options"]}


# --- approval --------------------------------------------------------------


def test_result_shape_approval() -> None:
    result = tally(approval(2, electorate=4), ballots_with_yes([3, 1], 3), present=4)
    assert list(result) == ["cast", "present", "base", "options", "elected", "tied"]
    assert result["options"][0] == {
        "id": "p1",
        "yes": 3,
        "no": 0,
        "abstain": 0,
        "passed": True,
        "elected": True,
        "tied": False,
    }
    assert (result["cast"], result["present"], result["base"]) == (3, 4, 4)
    assert result["elected"] == ["p1"]
    assert result["tied"] == []


def test_seats_three_with_10_8_8_8() -> None:
    manifest = approval(4, seats=3, electorate=12)
    result = tally(manifest, ballots_with_yes([8, 10, 8, 8], 12), present=12)
    assert result["elected"] == ["p2"]
    assert result["tied"] == ["p1", "p3", "p4"]  # manifest order
    options = by_id(result)
    assert options["p1"]["tied"]
    assert not options["p1"]["elected"]
    assert all(o["passed"] for o in result["options"])


def test_exactly_half_does_not_pass() -> None:
    result = tally(approval(2, electorate=10), ballots_with_yes([5, 6], 10), present=10)
    assert [o["passed"] for o in result["options"]] == [False, True]
    assert result["elected"] == ["p2"]


def test_more_than_two_thirds() -> None:
    # base 9: two thirds is 6, so 6 fails and 7 passes.
    result = tally(
        approval(2, more_than="2/3", electorate=9),
        ballots_with_yes([6, 7], 9),
        present=9,
    )
    assert [o["passed"] for o in result["options"]] == [False, True]
    # base 10: 20/3 = 6.67, so 7 passes.
    result = tally(
        approval(1, more_than="2/3", electorate=10),
        ballots_with_yes([7], 10),
        present=10,
    )
    assert result["options"][0]["passed"]


def test_base_electorate_present_cast() -> None:
    ballots = ballots_with_yes([6], 10)  # 6 yes of 10 cast
    for base, present, expected_base, passes in [
        ("electorate", 15, 20, False),  # 6 of 20
        ("present", 15, 15, False),  # 6 of 15
        ("present", 11, 11, True),  # 6 of 11
        ("cast", 15, 10, True),  # 6 of 10
    ]:
        result = tally(approval(1, base=base, electorate=20), ballots, present=present)
        assert result["base"] == expected_base
        assert result["options"][0]["passed"] is passes


def test_no_seats_elects_every_passing_option_in_rank_order() -> None:
    result = tally(approval(4, electorate=10), ballots_with_yes([6, 9, 2, 9], 10), present=10)
    assert result["elected"] == ["p2", "p4", "p1"]
    assert result["tied"] == []


def test_seats_not_filled() -> None:
    result = tally(
        approval(4, seats=3, electorate=10),
        ballots_with_yes([6, 9, 2, 1], 10),
        present=10,
    )
    assert result["elected"] == ["p2", "p1"]
    assert result["tied"] == []


def test_seats_filled_without_tie() -> None:
    result = tally(
        approval(4, seats=2, electorate=10),
        ballots_with_yes([6, 9, 8, 7], 10),
        present=10,
    )
    assert result["elected"] == ["p2", "p3"]
    assert by_id(result)["p4"]["passed"]
    assert not by_id(result)["p4"]["elected"]


def test_tie_at_the_boundary_with_more_passing_below() -> None:
    # seats 2: 9, 8, 8, 7 -> 9 elected, both 8s tied, 7 neither.
    result = tally(
        approval(4, seats=2, electorate=10),
        ballots_with_yes([7, 8, 9, 8], 10),
        present=10,
    )
    assert result["elected"] == ["p3"]
    assert result["tied"] == ["p2", "p4"]
    assert not by_id(result)["p1"]["tied"]


def test_all_tied() -> None:
    result = tally(approval(3, seats=1, electorate=10), ballots_with_yes([8, 8, 8], 10), present=10)
    assert result["elected"] == []
    assert result["tied"] == ["p1", "p2", "p3"]


def test_no_ballots() -> None:
    result = tally(approval(2, base="cast", seats=1), [], present=0)
    assert result["cast"] == 0
    assert result["base"] == 0
    assert result["elected"] == []
    assert not any(o["passed"] for o in result["options"])


def test_abstain_counts() -> None:
    ballots = [{"choices": {"p1": "abstain"}}, {"choices": {"p1": "yes"}}]
    result = tally(approval(1, electorate=1), ballots, present=1)
    assert result["options"][0]["abstain"] == 1
    assert result["options"][0]["passed"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=8),
    st.integers(min_value=1, max_value=8),
    st.sampled_from(["1/2", "2/3"]),
    st.booleans(),
)
def test_elected_and_tied_properties(yes_counts: list[int], seats: int, more_than: str, with_seats: bool) -> None:
    seats = min(seats, len(yes_counts))
    manifest = approval(
        len(yes_counts),
        seats=seats if with_seats else None,
        more_than=more_than,
        electorate=12,
    )
    result = tally(manifest, ballots_with_yes(yes_counts, 12), present=12)
    passing = [o["id"] for o in result["options"] if o["passed"]]
    elected, tied = result["elected"], result["tied"]
    assert set(elected) | set(tied) <= set(passing)
    assert not set(elected) & set(tied)
    assert len(elected) + len(tied) <= len(passing)
    if with_seats:
        assert len(elected) <= seats
        assert len(elected) + len(tied) >= min(seats, len(passing))
    else:
        assert tied == []
        assert set(elected) == set(passing)
    yes = {o["id"]: o["yes"] for o in result["options"]}
    assert [yes[e] for e in elected] == sorted((yes[e] for e in elected), reverse=True)
    assert tied == [o for o in passing if o in tied]  # manifest order
    if tied:
        assert len({yes[t] for t in tied}) == 1
        assert all(yes[e] > yes[tied[0]] for e in elected)
    for option in result["options"]:
        assert option["elected"] == (option["id"] in elected)
        assert option["tied"] == (option["id"] in tied)


# --- satisfaction ----------------------------------------------------------


def sat_ballots(*rows: tuple[int, int, int, int]) -> list[dict[str, str]]:
    """Choices for one option from (satisfied, basic, dissatisfied, abstain)."""
    names = ("satisfied", "basic", "dissatisfied", "abstain")
    return [{"s1": name} for row in rows for name, n in zip(names, row, strict=True) for _ in range(n)]


def test_result_shape_satisfaction() -> None:
    result = tally_choices(satisfaction(1), sat_ballots((8, 4, 1, 2)), present=20)
    assert list(result) == ["cast", "present", "base", "options"]
    assert result["options"][0] == {
        "id": "s1",
        "satisfied": 8,
        "basic": 4,
        "dissatisfied": 1,
        "abstain": 2,
        "rate": "12/13",
        "grade": "satisfied",  # 8 * 2 > 15
        "rectify": False,
    }
    assert result["base"] == 15


def test_rate_in_lowest_terms() -> None:
    rates = [
        tally_choices(satisfaction(1), sat_ballots(row), present=10)["options"][0]["rate"]
        for row in [
            (0, 0, 3, 0),
            (2, 2, 0, 0),
            (1, 1, 2, 0),
            (0, 0, 0, 2),
            (0, 0, 0, 0),
        ]
    ]
    assert rates == ["0/1", "1/1", "1/2", "0/0", "0/0"]


def test_grade() -> None:
    def grade(row: tuple[int, int, int, int], base: str = "cast") -> object:
        result = tally_choices(satisfaction(1, grade_base=base), sat_ballots(row), present=10)
        return result["options"][0]["grade"]

    assert grade((3, 0, 2, 0)) == "satisfied"  # 6 > 5
    assert grade((2, 1, 1, 0)) == "basic"  # satisfied exactly half of 4: not enough
    assert grade((1, 1, 2, 0)) == "dissatisfied"  # satisfied + basic exactly half
    assert grade((0, 0, 0, 3)) is None  # valid 0
    # Abstentions count in cast (the base) but not in valid.
    assert grade((3, 0, 0, 0)) == "satisfied"  # 6 > 3
    assert grade((3, 0, 0, 3)) == "dissatisfied"  # 6 is not more than 6
    assert grade((3, 0, 0, 0), "present") == "dissatisfied"  # 6 is not more than 10
    assert grade((6, 0, 0, 0), "present") == "satisfied"


def test_rectify_below() -> None:
    def rectify(row: tuple[int, int, int, int], below: str | None) -> object:
        result = tally_choices(satisfaction(1, rectify_below=below), sat_ballots(row), present=10)
        return result["options"][0]["rectify"]

    assert rectify((1, 1, 1, 0), "2/3") is False  # exactly 2/3 is not below
    assert rectify((1, 0, 1, 0), "2/3") is True
    assert rectify((1, 0, 1, 0), None) is False
    assert rectify((0, 0, 0, 2), "1/1") is False  # valid 0
    assert rectify((2, 0, 1, 0), "1/1") is True


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        ("12/13", "92.3%"),
        ("1/1", "100.0%"),
        ("0/1", "0.0%"),
        ("0/0", "—"),
        ("1/8", "12.5%"),  # exact
        ("1/16", "6.3%"),  # 6.25 rounds half up
        ("1/3", "33.3%"),
        ("2/3", "66.7%"),
        ("1/2000", "0.1%"),  # 0.05 rounds up
        ("1/2001", "0.0%"),
        ("999/1000", "99.9%"),
        ("1999/2000", "100.0%"),  # 99.95 rounds up
    ],
)
def test_rate_percent(rate: str, shown: str) -> None:
    assert rate_percent(rate) == shown


def test_tally_refuses_unvalidated_choices() -> None:
    with pytest.raises(ValueError, match="validate"):
        tally(approval(1), [{"choices": {"p1": "maybe"}}], present=1)
    with pytest.raises(ValueError, match="validate"):
        tally(approval(1), [{"choices": {"p1": "yes", "p9": "no"}}], present=1)
