"""The public rates with one-time codes printed on slips: 500 codes cast through the API.
One story, a test per stage (tests/stages.py)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from assessments import services
from assessments.models import Assessment
from extensions import db
from tests.assessments.factories import public_assessment
from tests.factories import csrf_token, login, make_user
from tests.stages import Scenario, Stages
from tests.voting.factories import board, cast, run_verifier
from voting.models import Ballot, PollCode
from voting.protocol.client import code_ballot
from voting.protocol.encoding import code_hash, normalise_code

SLIP_CODE = re.compile(r'data-code="([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})"')
CHOICES = ["satisfied", "basic", "dissatisfied", "abstain"]

stage = Stages()


@pytest.fixture(scope="module")
def survey(module_app, tmp_path_factory):
    """Staff logged in; a folder for the verifier's files."""
    make_user("staff1")
    staff_client = module_app.test_client()
    assert login(staff_client, "staff1").status_code == 302
    return Scenario(app=module_app, c=staff_client, tmp=tmp_path_factory.mktemp("verifier"))


def _poll(survey):
    return db.session.get(Assessment, survey.assessment_id).poll


@stage
def test_staff_create_a_public_assessment_of_two_subjects(survey):
    c = survey.c
    token = survey.token = csrf_token(c, "/assessments/staff")
    r = c.post(
        "/assessments/staff",
        data={
            "title": "民主恳谈会公众满意度测评",
            "year": "2027",
            "raters": "public",
            "session_id": "0",
            "grade_base": "cast",
            "csrf_token": token,
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assessment = db.session.scalar(select(Assessment))
    survey.assessment_id = assessment.id
    for title in ("政务服务“一窗受理”", "城区公交线路优化"):
        r = c.post(
            f"/assessments/staff/{assessment.id}/subjects",
            data={"kind": "free", "title": title, "suggestion_id": "0", "project_id": "0", "csrf_token": token},
        )
        assert r.status_code == 302


@stage
def test_slips_printed_then_lost_are_voided_by_the_next_batch(survey):
    # A first batch of slips is printed through the staff page, then lost: generating
    # again voids it. The 500 codes of the real batch come from the same service.
    c, token = survey.c, survey.token
    assessment = db.session.get(Assessment, survey.assessment_id)
    r = c.post(
        f"/assessments/staff/{assessment.id}/codes",
        data={"count": "12", "csrf_token": token, "confirm": "y"},
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    lost = survey.lost = SLIP_CODE.findall(html)
    assert r.status_code == 200 and len(lost) == 12 == len(set(lost))
    assert html.count('<img src="data:image/svg+xml;base64,') == 12  # one QR per slip
    db.session.refresh(assessment)
    codes = survey.codes = services.generate_codes(assessment, 500)
    db.session.commit()
    assert len(codes) == 500 == len(set(codes)) and all(SLIP_CODE.match(f'data-code="{c}"') for c in codes)
    poll = assessment.poll
    hashes = set(db.session.scalars(select(PollCode.code_hash).where(PollCode.poll_id == poll.id)))
    assert hashes == {code_hash(normalise_code(code)) for code in codes}  # only hashes, no lost ones


@stage
def test_no_more_codes_once_open(survey):
    c, token, assessment_id = survey.c, survey.token, survey.assessment_id
    r = c.post(f"/assessments/staff/{assessment_id}/open", data={"csrf_token": token, "confirm": "y"})
    assert r.status_code == 302
    r = c.post(f"/assessments/staff/{assessment_id}/codes", data={"count": "5", "csrf_token": token, "confirm": "y"})
    assert r.status_code == 409 and "测评已经开始" in r.get_data(as_text=True)


@stage
def test_500_codes_cast_four_phones_at_a_time(survey):
    app, codes, poll = survey.app, survey.codes, _poll(survey)
    manifest = survey.manifest = app.test_client().get(f"/api/polls/{poll.public_id}/manifest").get_json()["manifest"]
    assert manifest["secrecy"] == "code" and manifest["electorate"] == 500
    bodies = []
    for i, code in enumerate(codes):
        # Half of the codes typed in lower case with spaces: normalised by the engine.
        sent = code if i % 2 else code.lower().replace("-", " ")
        bodies.append(code_ballot(manifest, sent, {"p01": CHOICES[i % 3], "p02": CHOICES[(i // 2) % 4]}))
    # Four phones at a time, as in a meeting hall; plain clients with no cookie.
    url = f"/api/polls/{poll.public_id}/ballots"
    db.session.commit()

    def post(body):
        response = FlaskClient(app).post(url, json=body)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(post, bodies))
    assert [status for status, _ in answers] == [201] * 500, [a for a in answers if a[0] != 201][:3]
    assert sorted(receipt["index"] for _, receipt in answers) == list(range(500))
    survey.first_body, survey.first_receipt = bodies[0], answers[0][1]


@stage
def test_used_lost_and_unknown_codes_are_refused_and_store_nothing(survey):
    app, codes, lost, manifest, poll = survey.app, survey.codes, survey.lost, survey.manifest, _poll(survey)
    before = db.session.scalar(select(func.count()).select_from(Ballot))
    r = cast(app, poll, code_ballot(manifest, codes[7], {"p01": "satisfied", "p02": "satisfied"}))
    assert r.status_code == 409 and r.get_json()["error"] == "already_used"
    assert "已经投过票" in r.get_json()["message"]
    r = cast(app, poll, code_ballot(manifest, lost[0], {"p01": "satisfied", "p02": "satisfied"}))
    assert r.status_code == 403 and r.get_json()["error"] == "unknown_code"
    assert "不属于本次测评" in r.get_json()["message"]
    r = cast(app, poll, code_ballot(manifest, "ABCD-EFGH-JKLM-NPQR", {"p01": "basic", "p02": "basic"}))
    assert r.status_code == 403 and r.get_json()["error"] == "unknown_code"
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == before == 500


@stage
def test_nothing_is_visible_before_the_close(survey):
    app, poll = survey.app, _poll(survey)
    assert app.test_client().get(f"/api/polls/{poll.public_id}/board").status_code == 404
    assert "result-table" not in app.test_client().get(f"/assessments/{survey.assessment_id}").get_data(as_text=True)


@stage
def test_the_close_counts_500_ballots_and_grades_on_those_cast(survey):
    c, token = survey.c, survey.token
    r = c.post(f"/assessments/staff/{survey.assessment_id}/close", data={"csrf_token": token, "confirm": "y"})
    assert r.status_code == 302
    poll = _poll(survey)
    db.session.refresh(poll)
    result = poll.result
    assert result["cast"] == 500 and result["present"] == 500 and result["base"] == 500
    p01 = result["options"][0]
    assert (p01["satisfied"], p01["basic"], p01["dissatisfied"]) == (167, 167, 166)
    assert p01["grade"] == "basic" and p01["rate"] == "167/250"


@stage
def test_the_board_holds_only_the_codes_hashes_and_verifies_with_a_receipt(survey):
    app, codes, poll = survey.app, survey.codes, _poll(survey)
    data = board(app, poll)
    assert len(data["codes"]) == 500 and "register" not in data
    assert data["codes"] == sorted(code_hash(normalise_code(code)) for code in codes)
    status, out = run_verifier(data, survey.tmp, receipts=[survey.first_receipt], ballots=[survey.first_body["ballot"]])
    assert status == 0, out


@stage
def test_the_results_page_counts_the_codes_given_out(survey):
    html = survey.app.test_client().get(f"/assessments/{survey.assessment_id}").get_data(as_text=True)
    assert "发出测评码" in html and 'data-turnout="cast">500<' in html and "66.8%" in html


def test_code_of_another_assessment_is_refused(app):
    first, first_codes = public_assessment(3, ["事项甲"], title="测评一")
    second, _ = public_assessment(3, ["事项乙"], title="测评二")
    manifest = second.poll.manifest
    r = cast(app, second.poll, code_ballot(manifest, first_codes[0], {"p01": "satisfied"}))
    assert r.status_code == 403 and r.get_json()["error"] == "unknown_code"
    assert "不属于本次测评" in r.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    # The code still works where it belongs, once.
    r = cast(app, first.poll, code_ballot(first.poll.manifest, first_codes[0], {"p01": "satisfied"}))
    assert r.status_code == 201
    r = cast(app, first.poll, code_ballot(first.poll.manifest, first_codes[0], {"p01": "basic"}))
    assert r.status_code == 409 and r.get_json()["error"] == "already_used"
