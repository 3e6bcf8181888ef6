"""Large batches of code slips are drawn by a background job (core.jobs): the job's page
shows the progress, the job ends with a link to the slips, which then show every code
with the QR codes the job drew (not drawn again), to the browser that made them only.
Small batches go straight to the slips as before."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import jobs
from core.models import HeldSecret, Job
from deliberation import services as meetings
from deliberation.models import Decision
from extensions import db
from tests.core import test_jobs
from tests.core.test_held import check_held, second_staff, slip_codes, stored_codes
from tests.deliberation.factories import make_meeting, sign_up
from tests.factories import csrf_token, login, make_congress
from tests.voting.factories import approval_poll
from voting.protocol.encoding import code_hash, normalise_code

# Jobs run in threads, held at their first progress report (tests/core/test_jobs.py).
threaded, paused, job_id_of = test_jobs.threaded, test_jobs.paused, test_jobs.job_id_of


def code_poll(public_id: str = "2027-slips-job"):
    return approval_poll(None, public_id=public_id, options=2, seats=1, secrecy="code", open_=False)


def make_codes(client, poll, count: int):
    return client.post(
        f"/staff/polls/{poll.id}/codes",
        data={"count": str(count), "csrf_token": csrf_token(client, f"/staff/polls/{poll.id}")},
    )


def no_drawing(monkeypatch):
    """From here on, drawing a QR code fails the test: the slips page must use the
    images the job drew."""

    def refuse(*args, **kwargs):
        raise AssertionError("a QR code was drawn again")

    monkeypatch.setattr("voting.views.qr_data_uri", refuse)
    monkeypatch.setattr("voting.views.qr_svg", refuse)


def test_a_large_batch_is_a_job_with_progress_ending_on_the_slips(app, threaded, paused, staff_client, monkeypatch):
    reached, go = paused
    poll = code_poll()
    job_id = job_id_of(make_codes(staff_client, poll, 300))
    assert reached.wait(30)
    try:
        # Half-way: the bar on the job's page and its status say how far it is.
        status = staff_client.get(f"/staff/jobs/{job_id}.json").get_json()
        assert status["state"] == "running" and status["total"] == 300 and 0 < status["done"] < 300
        assert status["next"] is None
        page = staff_client.get(f"/staff/jobs/{job_id}").get_data(as_text=True)
        assert 'max="300"' in page and "js/job.js" in page and "<script>" not in page
        # Left and come back to: the job list has it.
        listing = staff_client.get("/staff/jobs/").get_data(as_text=True)
        assert f'data-job="{job_id}" data-state="running"' in listing
    finally:
        go.set()
    jobs.wait(job_id)
    status = staff_client.get(f"/staff/jobs/{job_id}.json").get_json()
    assert (status["state"], status["done"], status["total"]) == ("done", 300, 300)
    page = staff_client.get(f"/staff/jobs/{job_id}").get_data(as_text=True)
    next_url = re.search(r'href="([^"]+)" id="job-next"', page).group(1)
    assert next_url.startswith(f"/staff/polls/{poll.id}/codes/")

    no_drawing(monkeypatch)
    shown = staff_client.get(next_url)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    html = shown.get_data(as_text=True)
    codes = slip_codes(html)
    assert len(codes) == len(set(codes)) == 300
    assert html.count('src="data:image/svg+xml;base64,') == 300
    assert stored_codes(poll.id) == {code_hash(normalise_code(c)) for c in codes}
    # Never in clear: not in the job's row, the hold's sealed bytes or the link.
    job = db.session.get(Job, job_id)
    kept = repr((job.label, job.result, job.error)) + next_url
    sealed = db.session.scalars(select(HeldSecret.sealed)).all()
    assert not any(code in kept or any(code.encode() in row for row in sealed) for code in codes)
    # Only this browser: another staff member (who sees the job and its link) and
    # someone not logged in do not see the slips.
    other = second_staff(app)
    assert next_url in other.get(f"/staff/jobs/{job_id}").get_data(as_text=True)
    refused = other.get(next_url)
    assert refused.status_code == 404 and not any(code in refused.get_data(as_text=True) for code in codes)
    assert app.test_client().get(next_url).status_code == 302
    # Reloads keep showing them, until noted (tested for every batch in test_held).
    assert slip_codes(staff_client.get(next_url).get_data(as_text=True)) == codes


def test_a_small_batch_goes_straight_to_the_slips(app, staff_client):
    poll = code_poll()
    response = make_codes(staff_client, poll, app.config["YISHI_SLIPS_JOB_OVER"])
    assert response.status_code == 303 and "/staff/jobs/" not in response.headers["Location"]
    assert db.session.scalar(select(db.func.count()).select_from(Job)) == 0
    assert len(slip_codes(staff_client.get(response.headers["Location"]).get_data(as_text=True))) == 100


@pytest.fixture
def small_jobs(app):
    """Batches of more than three codes are jobs (run inline, as in the suite)."""
    app.config["YISHI_SLIPS_JOB_OVER"] = 3
    yield app
    app.config["YISHI_SLIPS_JOB_OVER"] = 100


def drawn_by_a_job(response) -> None:
    job = db.session.scalar(select(Job))
    assert job is not None and job.kind == "code_slips" and job.state == "done"
    assert response.headers["Location"] == job.result["next"]


def test_inline_job_poll_codes_are_held_like_any_batch(app, small_jobs, staff_client, monkeypatch):
    poll = code_poll()
    response = make_codes(staff_client, poll, 7)
    drawn_by_a_job(response)
    no_drawing(monkeypatch)
    codes = check_held(app, staff_client, response, [second_staff(app), app.test_client()], slip_codes)
    assert len(set(codes)) == 7
    assert stored_codes(poll.id) == {code_hash(normalise_code(c)) for c in codes}


def test_assessment_codes_from_a_job(app, small_jobs, staff_client, monkeypatch):
    from tests.assessments.factories import public_assessment

    assessment, _ = public_assessment(1, ["城区公交线路优化"], open_=False)
    response = staff_client.post(
        f"/assessments/staff/{assessment.id}/codes",
        data={
            "count": "6",
            "confirm": "y",
            "csrf_token": csrf_token(staff_client, f"/assessments/staff/{assessment.id}"),
        },
    )
    drawn_by_a_job(response)
    no_drawing(monkeypatch)
    codes = check_held(app, staff_client, response, [second_staff(app)], slip_codes)
    assert len(set(codes)) == 6
    assert stored_codes(assessment.poll_id) == {code_hash(normalise_code(c)) for c in codes}


def test_meeting_vote_codes_from_a_job(app, small_jobs, staff_client, monkeypatch):
    meeting = make_meeting(capacity=6)
    for _entry, code in sign_up(meeting, 5):
        meetings.check_in(meeting, code, by=None)
    decision = meetings.add_decision(meeting, title="费用按楼层递增分摊", method="vote", agenda_item_id=None)
    db.session.commit()
    response = staff_client.post(
        f"/staff/meetings/decisions/{decision.id}/codes",
        data={"csrf_token": csrf_token(staff_client, f"/staff/meetings/{meeting.id}/decisions")},
    )
    drawn_by_a_job(response)
    no_drawing(monkeypatch)
    codes = check_held(app, staff_client, response, [second_staff(app)], slip_codes)
    assert len(codes) == 5
    poll_id = db.session.get(Decision, decision.id).poll_id
    assert stored_codes(poll_id) == {code_hash(normalise_code(c)) for c in codes}


def test_only_staff_make_slips_or_see_their_job(app, small_jobs, staff_client):
    poll = code_poll()
    response = make_codes(staff_client, poll, 5)
    job_id = db.session.scalar(select(Job.id))
    assert response.status_code == 303
    # Someone not logged in, and a deputy, neither make codes nor see the job.
    anonymous = app.test_client()
    assert anonymous.post(f"/staff/polls/{poll.id}/codes", data={"count": "5"}).status_code in (302, 400, 403)
    congress, _ = make_congress(1)
    deputy = app.test_client()
    assert login(deputy, "D001").status_code == 302
    refused = deputy.post(f"/staff/polls/{poll.id}/codes", data={"count": "5", "csrf_token": csrf_token(deputy, "/")})
    assert refused.status_code == 403
    assert deputy.get(f"/staff/jobs/{job_id}").status_code == 403
    assert deputy.get(f"/staff/jobs/{job_id}.json").status_code == 403
    assert db.session.scalar(select(db.func.count()).select_from(Job)) == 1


def test_the_job_speaks_english(app, small_jobs, staff_client):
    staff_client.set_cookie("yishi_lang", "en")
    response = make_codes(staff_client, code_poll(), 5)
    slips = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The QR codes of 5 one-time codes are drawn on their slips." in slips
    job_id = db.session.scalar(select(Job.id))
    page = staff_client.get(f"/staff/jobs/{job_id}").get_data(as_text=True)
    assert "View and print the slips" in page and "Draw the QR codes of one-time code slips" in page
