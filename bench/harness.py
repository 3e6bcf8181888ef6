"""Shared pieces of the benchmarks and the crash tests: a migrated database with a
congress and an open secret poll, a gunicorn server, and deputies voting over HTTP
with the protocol's Python client. Everything talks to 127.0.0.1 only."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-1"
FAST_HASH = "pbkdf2:sha256:1000"
CSRF_RE = re.compile(r'data-csrf="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(db_url: str, instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": db_url,
            "YISHI_INSTANCE_PATH": str(instance),
            "YISHI_SECRET_KEY": "bench-secret-key",
            "YISHI_KEY_ENCRYPTION_KEY": "bench-key-encryption-key",
            "YISHI_LOGIN_LIMIT": "100000 per minute",
            # Several workers: Yishi refuses to start with memory:// counts (docs/deployment.md).
            "YISHI_RATELIMIT_STORAGE": os.environ.get("YISHI_BENCH_REDIS_URL")
            or os.environ.get("YISHI_TEST_REDIS_URL")
            or "redis://127.0.0.1:6379/15",
            "YISHI_RATELIMIT_PREFIX": f"yishi-bench-{os.getpid()}-{time.time_ns()}",
            # Each ballot is its own batch, appended at once: the benchmarks and the
            # crash tests measure one cast as before batches (tests/voting/test_batches.py
            # and test_room_observer.py test real windows).
            "YISHI_BATCH_SECONDS": "0",
            "YISHI_BATCH_MIN": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def fresh_postgres(base_url: str, name: str) -> str:
    """Drop and create database ``name`` on the server of ``base_url``; return its URL."""
    import psycopg

    admin = base_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def app_config(db_url: str, instance: Path) -> dict:
    """The same configuration ``environment`` gives gunicorn, for an in-process app."""
    from config import _database_url

    return {
        "SQLALCHEMY_DATABASE_URI": _database_url(db_url, str(instance)),
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "bench-secret-key",
        "YISHI_KEY_ENCRYPTION_KEY": "bench-key-encryption-key",
        "YISHI_BATCH_SECONDS": 0,
        "YISHI_BATCH_MIN": 1,
    }


def prepare(db_url: str, instance: Path, deputies: int, options: int = 15, *, seats: int = 10) -> str:
    """Migrate, seed a congress with ``deputies`` checked-in deputies and open a secret
    poll over ``options`` candidates; returns the poll id. Runs in this process."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, text
    from werkzeug.security import generate_password_hash

    from app import create_app
    from bench import baseline_app
    from core.models import CheckIn, Congress, Deputy, Session, User
    from extensions import db
    from voting import services, specs

    app = create_app(app_config(db_url, instance))
    with app.app_context():
        upgrade(revision="heads")
        baseline_app.create_table(db.engine)
        congress = Congress(name=f"基准测试县人大 {time.time_ns()}")
        session = Session(congress=congress, name="基准测试会议", starts_on=date.today(), ends_on=date.today())
        db.session.add_all([congress, session])
        db.session.flush()
        pw_hash = generate_password_hash(PASSWORD, method=FAST_HASH)
        prefix = f"B{congress.id}x"
        db.session.execute(
            insert(Deputy),
            [
                {
                    "congress_id": congress.id,
                    "code": f"{prefix}{i:05d}",
                    "name": f"代表{i}",
                    "delegation": f"第{i % 8 + 1}代表团",
                }
                for i in range(deputies)
            ],
        )
        ids = dict(
            db.session.execute(text("SELECT code, id FROM deputy WHERE congress_id = :c"), {"c": congress.id}).all()
        )
        db.session.execute(
            insert(User),
            [
                {
                    "username": code,
                    "display_name": code,
                    "password_hash": pw_hash,
                    "role": "deputy",
                    "deputy_id": did,
                    "must_change_password": False,
                    "is_enabled": True,
                }
                for code, did in ids.items()
            ],
        )
        db.session.execute(
            insert(CheckIn), [{"session_id": session.id, "deputy_id": did, "method": "staff"} for did in ids.values()]
        )
        poll = services.create_poll(
            public_id=f"bench-{congress.id}",
            title="基准测试票决",
            ballot="approval",
            secrecy="secret",
            session=session,
            options=[f"候选项目{i}" for i in range(1, options + 1)],
            poll_rules=specs.build_rules("approval", seats=seats, max_yes=seats),
        ).poll
        services.open_poll(poll)
        db.session.commit()
        public_id = poll.public_id
        db.session.remove()
        db.engine.dispose()
    return public_id


def deputy_codes(db_url: str, instance: Path, public_id: str) -> list[str]:
    from sqlalchemy import select

    from app import create_app
    from extensions import db
    from voting.models import Poll, PollVoter

    app = create_app(app_config(db_url, instance))
    with app.app_context():
        poll = db.session.scalar(select(Poll).where(Poll.public_id == public_id))
        codes = list(
            db.session.scalars(select(PollVoter.voter).where(PollVoter.poll_id == poll.id).order_by(PollVoter.voter))
        )
        db.session.remove()
        db.engine.dispose()
    return codes


@dataclass
class Server:
    """gunicorn serving ``app`` (Yishi's ``app:create_app()`` unless told) on 127.0.0.1."""

    env: dict[str, str]
    workers: int = 2
    threads: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    app: str = "app:create_app()"
    ready_path: str = "/robots.txt"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(self.workers),
                "--threads",
                str(self.threads),
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "--log-level",
                "warning",
                self.app,
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                try:
                    conn.request("GET", self.ready_path)
                    if conn.getresponse().status == 200:
                        return self
                finally:
                    conn.close()
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start within the timeout")

    def kill(self) -> None:
        """kill -9 the whole process group: master and workers, no cleanup."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def baseline_server(env: dict[str, str], workers: int = 2, threads: int = 1) -> Server:
    """The baselines' minimal app (``bench/baseline_app.py``: ``GET /bare``, ``POST
    /insert``) under the same gunicorn settings as Yishi, on the same database."""
    return Server(env, workers=workers, threads=threads, app="bench.baseline_app:create_app()", ready_path="/bare")


class HTTP:
    """A keep-alive connection that keeps cookies only when asked to."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, cookies: bool = True
    ) -> tuple[int, bytes]:
        headers = dict(headers or {})
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        if response.will_close:
            self.conn.close()
        if cookies:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def close(self) -> None:
        self.conn.close()


class Deputy:
    """One deputy's phone: log in, open the ballot page, take a token, cast."""

    def __init__(self, port: int, code: str, public_id: str):
        self.http = HTTP(port)
        self.code = code
        self.public_id = public_id
        self.csrf = ""
        self.voter = None
        self.body: dict | None = None
        self.receipt: dict | None = None

    def reconnect(self, port: int) -> None:
        """Talk to a restarted server (the cast needs no cookie)."""
        self.http.close()
        self.http = HTTP(port)

    def close(self) -> None:
        self.http.close()

    def login(self) -> None:
        from urllib.parse import urlencode

        status, page = self.http.request("GET", "/login")
        token = CSRF_RE.search(page.decode()).group(2)
        form = urlencode({"username": self.code, "password": PASSWORD, "csrf_token": token}).encode()
        status, _ = self.http.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"login failed for {self.code}: {status}")
        status, page = self.http.request("GET", f"/polls/{self.public_id}/vote")
        match = CSRF_RE.search(page.decode())
        self.csrf = match.group(1) or match.group(2)
        status, data = self.http.request("GET", f"/api/polls/{self.public_id}/manifest")
        from voting.protocol.client import SecretVoter

        self.voter = SecretVoter(json.loads(data)["manifest"])

    def take_token(self) -> int:
        body = json.dumps(self.voter.token_request()).encode()
        status, data = self.http.request(
            "POST",
            f"/api/polls/{self.public_id}/tokens",
            body,
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )
        if status == 200:
            self.voter.token_response(json.loads(data))
        return status

    def cast(self, choices: dict[str, str]) -> int:
        if self.body is None:
            self.body = self.voter.ballot(choices)
        status, data = self.http.request(
            "POST",
            f"/api/polls/{self.public_id}/ballots",
            json.dumps(self.body).encode(),
            {"Content-Type": "application/json"},
            cookies=False,
        )
        if status in (200, 201):
            self.receipt = json.loads(data)
        return status


def close_and_board(db_url: str, instance: Path, public_id: str, out: Path) -> dict:
    """Close the poll with the CLI (another process, as staff would) and fetch its board."""
    env = environment(db_url, instance)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "poll", "close", public_id],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "poll", "board", public_id, "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text())


def verify(board: dict, tmp: Path, receipts: list[dict], ballots: list[dict]) -> tuple[int, str]:
    """Run the independent verifier (``python -m voting.verify``) on a board and receipts."""
    tmp.mkdir(parents=True, exist_ok=True)
    board_file = tmp / "verify-board.json"
    board_file.write_text(json.dumps(board, ensure_ascii=False))
    args = [sys.executable, "-m", "voting.verify", str(board_file)]
    for i, (receipt, ballot) in enumerate(zip(receipts, ballots)):
        (tmp / f"r{i}.json").write_text(json.dumps(receipt))
        (tmp / f"b{i}.json").write_text(json.dumps(ballot, ensure_ascii=False))
        args += ["--receipt", str(tmp / f"r{i}.json"), "--ballot", str(tmp / f"b{i}.json")]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    return done.returncode, done.stdout
