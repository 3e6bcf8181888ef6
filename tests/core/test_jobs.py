"""Long work as background jobs (core.jobs): a roster import and a poll's close run in a
thread while their page shows the progress; the page can be left and come back to;
errors are shown in words; a job whose process died is marked failed; only staff see
jobs. These tests run the jobs in threads (the suite's default is inline)."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import jobs, roster
from core.models import Deputy, Job, Role, User, utcnow
from extensions import db
from tests.factories import csrf_token, login, make_congress, make_user
from tests.voting.factories import approval_poll, cast, check_in_all, take_token
from voting.models import Poll


def roster_csv(n: int, start: int = 1) -> bytes:
    lines = ["代表证号,姓名,代表团"] + [f"B{i:05d},代表{i},城关镇代表团" for i in range(start, start + n)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def threaded(app):
    app.config["YISHI_JOBS_INLINE"] = False
    yield app
    app.config["YISHI_JOBS_INLINE"] = True


@pytest.fixture
def paused(monkeypatch):
    """Holds a job at its first progress report until ``go`` is set."""
    reached, go = threading.Event(), threading.Event()
    report = jobs._Reporter.__call__

    def held(self, done, total):
        report(self, done, total)
        if done < total and not reached.is_set():
            reached.set()
            go.wait(30)

    monkeypatch.setattr(jobs._Reporter, "__call__", held)
    return reached, go


def upload(client, congress_id: int, data: bytes):
    url = f"/congresses/{congress_id}/import"
    return client.post(
        url,
        data={"file": (io.BytesIO(data), "roster.csv"), "csrf_token": csrf_token(client, url)},
        content_type="multipart/form-data",
    )


def job_id_of(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    match = re.search(r"/staff/jobs/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def test_roster_import_runs_in_the_background_and_shows_its_progress(threaded, staff_client, paused):
    reached, go = paused
    congress, _ = make_congress(0)
    job_id = job_id_of(upload(staff_client, congress.id, roster_csv(300)))
    assert reached.wait(30)
    try:
        # Half-way: the status, the job's page and the list all say it is running.
        status = staff_client.get(f"/staff/jobs/{job_id}.json").get_json()
        assert status["state"] == "running" and status["total"] == 300 and 0 < status["done"] < 300
        page = staff_client.get(f"/staff/jobs/{job_id}").get_data(as_text=True)
        assert f'value="{status["done"]}"' in page and 'max="300"' in page and "js/job.js" in page
        assert "<script>" not in page
        listing = staff_client.get("/staff/jobs/").get_data(as_text=True)
        assert f'data-job="{job_id}" data-state="running"' in listing
        assert f"/staff/jobs/{job_id}" in staff_client.get("/dashboard").get_data(as_text=True)
        assert db.session.scalar(select(Deputy.id).where(Deputy.code == "B00001")) is None  # all or nothing
    finally:
        go.set()
    jobs.wait(job_id)
    status = staff_client.get(f"/staff/jobs/{job_id}.json").get_json()
    assert (status["state"], status["done"], status["total"]) == ("done", 300, 300)
    assert db.session.scalar(select(db.func.count()).select_from(Deputy)) == 300
    # Coming back to the page: the summary and the way on to the passwords.
    page = staff_client.get(f"/staff/jobs/{job_id}").get_data(as_text=True)
    assert "已导入 300 名代表" in page
    next_url = re.search(r'href="([^"]+)" id="job-next"', page).group(1)
    passwords = staff_client.get(next_url)
    assert passwords.status_code == 200 and "B00300" in passwords.get_data(as_text=True)
    # The audit log names the staff member who uploaded the file.
    from core.models import AuditEntry

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.import"))
    assert entry.actor_label == "staff:staff1"


def test_import_errors_found_in_the_job_are_shown_in_words(threaded, app, staff_client, monkeypatch):
    congress, _ = make_congress(0)
    assert upload(staff_client, congress.id, roster_csv(3)).status_code == 303
    jobs.wait(db.session.scalar(select(Job.id)))
    # A second upload of the same codes, which (say) another staff member's import beat
    # to the roster after this page checked the file: the job refuses, in words.
    monkeypatch.setattr("core.views.check_roster", lambda congress, data: (roster.parse_roster(data)[0], []))
    staff_client.set_cookie("yishi_lang", "en")
    job_id = job_id_of(upload(staff_client, congress.id, roster_csv(3)))
    jobs.wait(job_id)
    status = staff_client.get(f"/staff/jobs/{job_id}.json").get_json()
    assert status["state"] == "failed"
    assert "line 2" in status["error"] and "B00001" in status["error"] and "Nothing was imported" in status["error"]
    page = staff_client.get(f"/staff/jobs/{job_id}").get_data(as_text=True)
    assert 'role="alert" id="job-error"' in page and "B00001" in page
    assert db.session.scalar(select(db.func.count()).select_from(Deputy)) == 3


def test_errors_in_the_file_are_answered_at_once(threaded, staff_client):
    congress, _ = make_congress(0)
    bad = "代表证号,姓名,代表团\nB1,张三,城关镇代表团\nB1,李四,城关镇代表团\n".encode()
    response = upload(staff_client, congress.id, bad)
    assert response.status_code == 422
    assert "与第 2 行重复" in response.get_data(as_text=True)
    assert db.session.scalar(select(Job.id)) is None


def test_a_job_whose_process_died_is_marked_failed(app, staff_client, staff):
    job = Job(kind="roster_import", label="某县", state="running", done=40, total=300, created_by_id=staff.id)
    job.updated_at = utcnow() - timedelta(seconds=app.config["YISHI_JOB_STALE_SECONDS"] + 60)
    fresh = Job(kind="roster_import", label="某县", state="running", done=10, total=300)
    db.session.add_all([job, fresh])
    db.session.commit()
    page = staff_client.get(f"/staff/jobs/{job.id}").get_data(as_text=True)
    assert "服务器在任务进行中停止了" in page and "没有保存任何改动" in page
    assert staff_client.get(f"/staff/jobs/{job.id}.json").get_json()["state"] == "failed"
    assert staff_client.get(f"/staff/jobs/{fresh.id}.json").get_json()["state"] == "running"


def test_only_staff_see_jobs(app, staff, client):
    job = Job(kind="roster_import", label="某县", state="done", done=1, total=1)
    db.session.add(job)
    db.session.commit()
    for url in ("/staff/jobs/", f"/staff/jobs/{job.id}", f"/staff/jobs/{job.id}.json"):
        assert app.test_client().get(url).status_code == 302  # to the login page
    congress, _ = make_congress(1)
    deputy = app.test_client()
    assert login(deputy, congress.deputies[0].code).status_code == 302
    lead = app.test_client()
    make_user("unit1", Role.lead_unit.value)
    assert login(lead, "unit1").status_code == 302
    for other in (deputy, lead):
        for url in ("/staff/jobs/", f"/staff/jobs/{job.id}", f"/staff/jobs/{job.id}.json"):
            assert other.get(url).status_code == 403
    assert client.get("/staff/jobs/999").status_code == 302


def test_a_poll_closes_in_the_background(threaded, app, staff_client):
    congress, session = make_congress(4)
    check_in_all(session, congress.deputies)
    poll = approval_poll(session, options=2, seats=1)
    for code in ("D001", "D002", "D003"):
        voter = take_token(app, poll, code)
        assert cast(app, poll, voter.ballot({"p01": "yes", "p02": "no"})).status_code == 201
    token = csrf_token(staff_client, f"/staff/polls/{poll.id}")
    response = staff_client.post(f"/staff/polls/{poll.id}/close", data={"csrf_token": token, "confirm": "y"})
    job_id = job_id_of(response)
    jobs.wait(job_id)
    status = staff_client.get(f"/staff/jobs/{job_id}.json").get_json()
    assert (status["state"], status["done"], status["total"]) == ("done", 4, 4)
    assert status["next"] == f"/staff/polls/{poll.id}"
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).state == "closed"
    # Closing again: refused at once, in words.
    again = staff_client.post(f"/staff/polls/{poll.id}/close", data={"csrf_token": token, "confirm": "y"})
    assert again.status_code == 409


def test_command_line_shows_progress(app, runner, tmp_path):
    congress, _ = make_congress(0)
    csv_file = tmp_path / "roster.csv"
    csv_file.write_bytes(roster_csv(120))
    result = runner.invoke(
        args=["import-deputies", str(congress.id), str(csv_file), "--passwords", str(tmp_path / "pw.tsv")]
    )
    assert result.exit_code == 0, result.output
    assert "Importing deputies" in result.output
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 120
    result = runner.invoke(args=["backup", str(tmp_path / "b.json.gz")])
    assert result.exit_code == 0 and "Backing up" in result.output, result.output


def test_closing_a_poll_on_the_command_line_shows_progress(app, runner):
    congress, session = make_congress(3)
    poll = approval_poll(session, options=2, seats=1)
    result = runner.invoke(args=["poll", "close", poll.public_id])
    assert result.exit_code == 0, result.output
    assert "Checking the log and counting" in result.output and "closed; 0 ballots" in result.output
