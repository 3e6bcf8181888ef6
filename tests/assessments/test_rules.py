"""The grading rules case by case, through the engine, and their consequences."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assessments import services
from assessments.models import Rectification
from extensions import db
from tests.assessments.factories import ballots_of, cast_codes, column, public_assessment


def _run(base: str, pattern: dict[str, list[str]], n_codes: int, rectify_below: str | None = None):
    titles = [f"事项{i}" for i in range(1, len(pattern) + 1)]
    assessment, codes = public_assessment(n_codes, titles, base=base, rectify_below=rectify_below)
    ballots = ballots_of(pattern)
    cast_codes(assessment, codes, ballots)
    services.close_assessment(assessment, today=None)
    db.session.commit()
    return assessment, {o["id"]: o for o in assessment.poll.result["options"]}


# Ten codes handed out, six cast.
PATTERN = {
    "p01": column(satisfied=5, basic=1),  # 5 of 10 satisfied: exactly half
    "p02": column(satisfied=6),  # 6 of 10
    "p03": column(satisfied=3, basic=2, dissatisfied=1),  # 5 of 10 satisfied + basic
    "p04": column(satisfied=2, basic=2, dissatisfied=2),
}


def test_base_all_members_exactly_half_is_not_enough(app):
    assessment, r = _run("electorate", PATTERN, 10)
    assert assessment.poll.result["base"] == 10
    assert r["p01"]["grade"] == "basic"  # 5*2 > 10 fails; (5+1)*2 > 10 holds
    assert r["p02"]["grade"] == "satisfied"  # 6*2 > 10
    assert r["p03"]["grade"] == "dissatisfied"  # (3+2)*2 > 10 fails: exactly half
    assert r["p04"]["grade"] == "dissatisfied"
    reasons = {i.subject.option_id: i.reason for i in db.session.scalars(select(Rectification))}
    assert reasons == {"p01": "basic", "p03": "dissatisfied", "p04": "dissatisfied"}


def test_base_cast_versus_all_members(app):
    assessment, r = _run("cast", PATTERN, 10)
    assert assessment.poll.result["base"] == 6
    assert r["p01"]["grade"] == "satisfied"  # 5*2 > 6
    assert r["p03"]["grade"] == "basic"  # 3*2 > 6 fails; 5*2 > 6 holds
    assert r["p04"]["grade"] == "basic"  # 2*2 > 6 fails; (2+2)*2 > 6 holds
    reasons = {i.subject.option_id: i.reason for i in db.session.scalars(select(Rectification))}
    assert reasons == {"p03": "basic", "p04": "basic"}


def test_abstentions_count_in_cast_not_in_valid(app):
    assessment, r = _run("cast", {"p01": column(satisfied=2, basic=1, abstain=3)}, 8)
    # base = 6 cast: 2*2 > 6 fails, 3*2 > 6 fails: exactly half again.
    assert assessment.poll.result["base"] == 6
    assert r["p01"]["grade"] == "dissatisfied" and r["p01"]["rate"] == "1/1"


@pytest.mark.parametrize(
    "pattern, rectify, reason",
    [
        (column(satisfied=4, basic=1, dissatisfied=1), False, None),  # 5/6 = 83.3 % ≥ 80 %
        (column(satisfied=4, dissatisfied=1, abstain=1), False, None),  # 4/5 = 80 %: not below
        (column(satisfied=4, dissatisfied=2), True, "below_threshold"),  # 4/6 = 66.7 % < 80 %
    ],
)
def test_rectification_threshold(app, pattern, rectify, reason):
    _, r = _run("cast", {"p01": pattern}, 6, rectify_below="4/5")
    assert r["p01"]["grade"] == "satisfied" and r["p01"]["rectify"] is rectify
    item = db.session.scalar(select(Rectification))
    assert (item.reason if item else None) == reason


def test_rules_stated_and_results_hidden_until_close(app, client):
    assessment, codes = public_assessment(4, ["事项一"], base="electorate", rectify_below="9/10")
    page = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "result-table" not in page and "测评结束后公布结果" in page
    assert "恰好一半不够" in page and "满意率低于 90% " in page
    cast_codes(assessment, codes[:3], [{"p01": "satisfied"}] * 3)
    assert client.get(f"/api/polls/{assessment.poll.public_id}/board").status_code == 404
    assert client.get(f"/polls/{assessment.poll.public_id}/results.json").status_code == 404
    services.close_assessment(assessment)
    db.session.commit()
    page = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert 'data-turnout="base">4<' in page and 'data-grade="satisfied"' in page


def test_threshold_percent_as_fraction():
    assert services.parse_threshold(80) == "4/5"
    assert services.parse_threshold(100) == "1/1"
    assert services.parse_threshold(None) is None
    with pytest.raises(services.AssessmentError):
        services.parse_threshold(0)
