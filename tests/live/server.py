"""A real server for the live suite: a fresh database (a SQLite file or a new
PostgreSQL database), migrated and seeded with the demo by the ``flask`` command, then
gunicorn with two threaded workers (gthread, 8 threads each) on a free loopback port. Everything runs as subprocesses
with only environment variables for configuration, as an operator would run it."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60  # seconds for gunicorn to answer its first request
FAST_HASH = "pbkdf2:sha256:1000"  # the demo hashes its passwords; the crawl logs in 10 times


@dataclass
class Site:
    """A running server: its base URL, database URL, log file and the demo logins."""

    url: str
    database_url: str
    log: Path
    logins: dict[str, tuple[str, str]]  # role -> (username, password)
    env: dict[str, str] = field(repr=False)
    process: subprocess.Popen | None = field(default=None, repr=False)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def server_env(instance: Path, database_url: str) -> dict[str, str]:
    """The environment of the ``flask`` commands and of gunicorn."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YISHI_", "FLASK_")) and k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url,
        YISHI_INSTANCE_PATH=str(instance),
        YISHI_SECRET_KEY=secrets.token_urlsafe(32),
        YISHI_KEY_ENCRYPTION_KEY=secrets.token_urlsafe(32),
        YISHI_PASSWORD_METHOD=FAST_HASH,
        # Two workers: a production start, which refuses memory:// (docs/deployment.md).
        # The counts are this server's alone (its own key prefix); the crawl logs in once
        # per role and language.
        YISHI_RATELIMIT_STORAGE=os.environ.get("YISHI_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15",
        YISHI_RATELIMIT_PREFIX="yishi-live-" + secrets.token_hex(6),
        YISHI_LOGIN_LIMIT="1000 per minute",
        PYTHONUNBUFFERED="1",
    )
    return env


def flask(env: dict[str, str], *args: str) -> str:
    """Run ``flask --app app …`` in the checkout; its output, or a failure with it."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


LOGIN_LINES = {
    "staff": re.compile(r"^\s*staff\b.*?:\s+(\S+) / (\S+)", re.M),
    "deputy": re.compile(r"^\s*deputies\b.*?:\s+(D\d+)\b.*? / (\S+)", re.M),
    "lead_unit": re.compile(r"^\s*lead unit\b.*?:\s+(\S+) / (\S+)", re.M),
    "committee": re.compile(r"^\s*standing committee\b.*?members (C\d+)\b.*? / (\S+)", re.M),
}


def demo_logins(output: str) -> dict[str, tuple[str, str]]:
    """The logins ``flask demo`` prints, one per role (the first deputy and member)."""
    logins = {}
    for role, pattern in LOGIN_LINES.items():
        match = pattern.search(output)
        if match is None:
            raise RuntimeError(f"flask demo printed no {role} login:\n{output}")
        logins[role] = (match.group(1), match.group(2))
    return logins


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(instance: Path, database_url: str) -> Site:
    """Migrate, seed the demo and start gunicorn; returns once it answers."""
    instance.mkdir(parents=True, exist_ok=True)
    env = server_env(instance, database_url)
    flask(env, "db", "upgrade")
    logins = demo_logins(flask(env, "demo"))
    port = free_port()
    log = instance / "server.log"
    site = Site(url=f"http://127.0.0.1:{port}", database_url=database_url, log=log, logins=logins, env=env)
    with log.open("wb") as out:
        site.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                # Threads, as docs/deployment.md says: a cast waits for its batch
                # (protocol revision 5), and a sync worker would serve nothing meanwhile.
                "--worker-class",
                "gthread",
                "--threads",
                "8",  # at least YISHI_BATCH_MIN (5 by default): see docs/deployment.md
                "--bind",
                f"127.0.0.1:{port}",
                "--no-control-socket",  # two servers at once would share ~/.gunicorn/gunicorn.ctl
                "--access-logfile",
                "-",
                "--timeout",
                "120",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _wait_until_up(site)
    return site


def _wait_until_up(site: Site) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {site.process.returncode}:\n{site.log_text()}")
        try:
            with urllib.request.urlopen(site.url + "/robots.txt", timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:  # answering, not yet ready: close its body
            error.close()
            time.sleep(0.2)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    stop(site)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT} s:\n{site.log_text()}")


def stop(site: Site) -> None:
    """Stop gunicorn: TERM to its master (a graceful shutdown), KILL if it hangs."""
    process = site.process
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the master and its workers
        process.wait(timeout=10)
