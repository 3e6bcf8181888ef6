"""Long work run outside the request, with progress the page and the command line show.

A request that starts long work (a roster import of thousands, a large poll's close)
checks what it can at once, then calls ``start``: a ``job`` row is committed and a
daemon thread runs the work with its own app context and database session, while the
browser goes to the job's page (``/staff/jobs/<id>``). That page shows a <progress>
bar kept up to date by ``static/js/job.js`` polling ``/staff/jobs/<id>.json`` (no
inline script; without JavaScript it refreshes itself every few seconds), and can be
left and come back to; ``/staff/jobs`` lists running and finished jobs.

What the work is given lives only in the thread's memory (the rows of a roster, the key
of the hold its passwords are sealed for): nothing secret is written to the job row.

If the server process dies mid-job, the thread dies with it. Each job's work is one
transaction, so nothing half-done is kept; the row stays "running" with no more
progress, and once it has not moved for ``YISHI_JOB_STALE_SECONDS`` it is marked
failed and its page says that the server stopped and the work must be started again.
Progress is written on a connection of its own; on SQLite, while the work holds the
database's write lock (a poll's close) progress cannot be written and the bar jumps
from its last value to the end.

On the command line the same work shows click's progress bar (``cli_progress``).
``YISHI_JOBS_INLINE`` runs jobs in the request (tests; a server without threads), and
``wait`` lets a test wait for a thread to finish.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import click
from flask import Blueprint, Flask, current_app, flash, g, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from core.errors import DomainError, fail
from core.i18n import select_locale
from core.models import Job, User, utcnow
from core.permissions import staff_required
from extensions import db

log = logging.getLogger(__name__)

RUNNING = ("queued", "running")
STALE = "stale"  # the error of a job whose process died

# What a kind of job is called and how it runs: run(job, params, progress) -> result dict
# (a summary, with "next": a URL to go on to), raising to fail. It commits its work.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Kind:
    title: Callable[[], str]
    run: Callable[[Job, dict, Progress], dict]


_KINDS: dict[str, Kind] = {}
_THREADS: dict[int, threading.Thread] = {}


def register(name: str, title: Callable[[], str], run: Callable[[Job, dict, Progress], dict]) -> None:
    _KINDS[name] = Kind(title, run)


def start(kind: str, label: str, params: dict, total: int = 0) -> Job:
    """Commit a job row and start its work (in a thread, or here with
    ``YISHI_JOBS_INLINE``). Call from a request, after the quick checks."""
    job = Job(
        kind=kind,
        label=label[:200],
        state="queued",
        total=total,
        created_by_id=current_user.id if current_user.is_authenticated else None,
    )
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    args = (app, job.id, params, select_locale())
    if app.config["YISHI_JOBS_INLINE"]:
        _run(*args)
    else:
        thread = threading.Thread(target=_run, args=args, name=f"yishi-job-{job.id}", daemon=True)
        _THREADS[job.id] = thread
        thread.start()
    return job


def wait(job_id: int, timeout: float = 60) -> None:
    """Wait for a job started in this process to end (tests)."""
    thread = _THREADS.get(job_id)
    if thread is not None:
        thread.join(timeout)


class JobFailed(Exception):
    """Raised by a job's work: ``plain`` is what its page says (in the starter's language)."""

    def __init__(self, plain: str):
        super().__init__(plain)
        self.plain = plain


def respond(job: Job, status: int = 303):
    """The answer to the request that started ``job``: its page while it runs; when it
    ran inline, where it leads (with its summary flashed), or its error (409)."""
    db.session.refresh(job)
    if job.state == "done":
        info = describe(job)
        if info["summary"]:
            flash(info["summary"], "success")
        return redirect(info["next"] or info["url"], status)
    if job.state == "failed":
        fail(409, describe(job)["error"])
    return redirect(url_for("jobs.detail", job_id=job.id), 303)


def _run(app: Flask, job_id: int, params: dict, lang: str) -> None:
    # An app context of its own (so a session of its own, even when run inline inside a
    # request) and a request context: the work speaks the starter's language and acts
    # as the starter (the audit log names them).
    with app.app_context(), app.test_request_context("/", headers={"Cookie": f"yishi_lang={lang}"}):
        job = db.session.get(Job, job_id)
        g._login_user = (db.session.get(User, job.created_by_id) if job.created_by_id else None) or _anonymous(app)
        job.state, job.updated_at = "running", utcnow()
        db.session.commit()
        progress = _Reporter(job_id)
        try:
            result = _KINDS[job.kind].run(job, params, progress)
        except Exception as exc:  # noqa: BLE001 — every failure is reported on the job's page
            db.session.rollback()
            if isinstance(exc, DomainError):
                error = exc.message
            elif hasattr(exc, "plain"):
                error = exc.plain
            else:
                log.exception("job %s (%s) failed", job_id, job.kind)
                error = _("处理时出错，没有保存任何改动。请重试；如仍出错，请联系系统管理员。")
            _finish(job_id, "failed", error=error)
        else:
            _finish(job_id, "done", result=result)
        finally:
            db.session.remove()
            _THREADS.pop(job_id, None)


def _anonymous(app: Flask):
    return app.login_manager.anonymous_user()


def _finish(job_id: int, state: str, result: dict | None = None, error: str | None = None) -> None:
    job = db.session.get(Job, job_id)
    job.state, job.result, job.error = state, result, error
    if state == "done" and job.total:
        job.done = job.total
    job.finished_at = job.updated_at = utcnow()
    db.session.commit()


class _Reporter:
    """``progress(done, total)``: written at most twice a second, on a connection of
    its own so that the work's transaction is not committed by it."""

    def __init__(self, job_id: int):
        self.job_id, self.last = job_id, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and done < total:
            return
        self.last = now
        engine = db.engine
        sqlite = engine.dialect.name == "sqlite"
        try:
            with engine.connect() as conn:
                if sqlite:  # never wait for the write lock the work itself may hold
                    conn.exec_driver_sql("PRAGMA busy_timeout=50")
                try:
                    conn.execute(
                        update(Job).where(Job.id == self.job_id).values(done=done, total=total, updated_at=utcnow())
                    )
                    conn.commit()
                finally:
                    if sqlite:
                        conn.exec_driver_sql("PRAGMA busy_timeout=30000")
        except OperationalError:
            pass  # the bar jumps later; the work goes on


def mark_stale() -> None:
    """Jobs whose process died: running, not in this process, no progress for the
    configured time. The caller commits."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["YISHI_JOB_STALE_SECONDS"])
    alive = {job_id for job_id, thread in _THREADS.items() if thread.is_alive()}
    # Read first: a status poll must not wait for the write lock a job's work may hold
    # (SQLite) when there is nothing to mark, which is nearly always.
    stale = [
        job_id
        for job_id in db.session.scalars(select(Job.id).where(Job.state.in_(RUNNING), Job.updated_at < cutoff))
        if job_id not in alive
    ]
    if stale:
        db.session.execute(
            update(Job)
            .where(Job.id.in_(stale), Job.state.in_(RUNNING))
            .values(state="failed", error=STALE, finished_at=utcnow())
        )


# --- Pages ----------------------------------------------------------------------------

bp = Blueprint("jobs", __name__, url_prefix="/staff/jobs")


def state_labels() -> dict[str, str]:
    return {"queued": _("等待开始"), "running": _("进行中"), "done": _("已完成"), "failed": _("失败")}


def describe(job: Job) -> dict:
    """What the page and the JSON status say about a job."""
    kind = _KINDS.get(job.kind)
    error = job.error
    if error == STALE:
        error = _("服务器在任务进行中停止了（例如重启），任务没有完成，也没有保存任何改动。请回到原来的页面重新开始。")
    percent = int(100 * job.done / job.total) if job.total else (100 if job.state == "done" else 0)
    result = job.result or {}
    return {
        "id": job.id,
        "kind": job.kind,
        "title": kind.title() if kind else job.kind,
        "label": job.label,
        "state": job.state,
        "state_label": state_labels().get(job.state, job.state),
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "finished": job.state not in RUNNING,
        "error": error,
        "summary": result.get("summary"),
        "next": result.get("next"),
        "next_label": result.get("next_label"),
        "url": url_for("jobs.detail", job_id=job.id),
    }


def dashboard_context() -> dict:
    """The staff dashboard's card: the jobs running now."""
    mark_stale()
    db.session.commit()
    items = db.session.scalars(select(Job).where(Job.state.in_(RUNNING)).order_by(Job.id.desc()).limit(20)).all()
    return {"running": [(job, describe(job)) for job in items]}


@bp.route("/")
@staff_required
def index():
    mark_stale()
    db.session.commit()
    items = db.session.scalars(
        select(Job)
        .where(or_(Job.state.in_(RUNNING), Job.created_at > utcnow() - timedelta(days=30)))
        .order_by(Job.id.desc())
        .limit(100)
    ).all()
    return render_template("core/jobs.html", jobs=[(job, describe(job)) for job in items])


@bp.route("/<int:job_id>")
@staff_required
def detail(job_id: int):
    mark_stale()
    db.session.commit()
    job = db.get_or_404(Job, job_id)
    return render_template("core/job.html", job=job, info=describe(job))


@bp.route("/<int:job_id>.json")
@staff_required
def status(job_id: int):
    mark_stale()
    db.session.commit()
    response = jsonify(describe(db.get_or_404(Job, job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The command line -----------------------------------------------------------------


@contextmanager
def cli_progress(label: str) -> Iterator[Progress]:
    """A ``progress(done, total)`` drawing click's progress bar on stderr."""
    state: dict = {"bar": None, "done": 0}

    def progress(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(max(done - state["done"], 0))
        state["done"] = done

    try:
        yield progress
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)
