"""Configuration defaults. Secrets and the database URL come from the environment
or from files in ``instance/``; nothing secret is ever committed."""

import os
import secrets
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _instance_secret(instance_path: str, name: str, nbytes: int = 32) -> str:
    """Read a secret from ``instance/<name>``, creating it (mode 0600) on first use."""
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def load_config(app) -> None:
    """Fill ``app.config`` from defaults and environment variables."""
    instance = app.instance_path
    env = os.environ
    app.config.update(
        SECRET_KEY=env.get("YISHI_SECRET_KEY") or _instance_secret(instance, "secret_key"),
        # Encrypts poll private keys at rest (see voting.keystore).
        YISHI_KEY_ENCRYPTION_KEY=env.get("YISHI_KEY_ENCRYPTION_KEY")
        or _instance_secret(instance, "key_encryption_key"),
        SQLALCHEMY_DATABASE_URI=_database_url(env.get("DATABASE_URL"), instance),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=env.get("YISHI_HTTPS", "0") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        YISHI_HTTPS=env.get("YISHI_HTTPS", "0") == "1",
        # How many reverse proxies in front set X-Forwarded-For / -Proto (0: none).
        YISHI_PROXIES=int(env.get("YISHI_PROXIES", 0)),
        MAX_CONTENT_LENGTH=int(env.get("YISHI_MAX_CONTENT_LENGTH", 8 * 1024 * 1024)),
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session
        WTF_CSRF_HEADERS=["X-CSRFToken", "X-CSRF-Token"],
        BABEL_DEFAULT_LOCALE="zh",
        # The zone of every time shown to people (the database keeps UTC).
        BABEL_DEFAULT_TIMEZONE=env.get("YISHI_TIMEZONE", "Asia/Shanghai"),
        YISHI_LANGUAGES={"zh": "中文", "en": "English"},
        RATELIMIT_STORAGE_URI=env.get("YISHI_RATELIMIT_STORAGE", "memory://"),
        # Keys of every count start with this (several sites, or test runs, on one Redis).
        RATELIMIT_KEY_PREFIX=env.get("YISHI_RATELIMIT_PREFIX", "yishi"),
        RATELIMIT_HEADERS_ENABLED=True,
        # Login attempts per client address (all of them) and per account (the refused ones).
        YISHI_LOGIN_LIMIT=env.get("YISHI_LOGIN_LIMIT", "10 per minute"),
        YISHI_LOGIN_ACCOUNT_LIMIT=env.get("YISHI_LOGIN_ACCOUNT_LIMIT", "10 per minute"),
        # How many processes serve the app: more than one makes it a production start
        # (see check_production). Unset: gunicorn's own count when under gunicorn, else
        # WEB_CONCURRENCY, else 1.
        YISHI_WORKERS=int(env["YISHI_WORKERS"]) if env.get("YISHI_WORKERS") else None,
        # werkzeug's scrypt with its default cost; tests lower it.
        YISHI_PASSWORD_METHOD=env.get("YISHI_PASSWORD_METHOD", "scrypt"),
        YISHI_INITIAL_PASSWORD_METHOD="pbkdf2:sha256:20000",
        # Deputies must be checked in to take a ballot token (the server's policy).
        YISHI_REQUIRE_CHECKIN=env.get("YISHI_REQUIRE_CHECKIN", "1") == "1",
        # Ballot batches (protocol revision 5, "Order and counters"): a batch is appended
        # once open YISHI_BATCH_SECONDS with at least YISHI_BATCH_MIN ballots, or open
        # YISHI_BATCH_MAX_SECONDS; YISHI_BATCH_POLLS is "secret" (secret polls only) or "all".
        YISHI_BATCH_SECONDS=float(env.get("YISHI_BATCH_SECONDS", 5)),
        YISHI_BATCH_MIN=int(env.get("YISHI_BATCH_MIN", 5)),
        YISHI_BATCH_MAX_SECONDS=float(env.get("YISHI_BATCH_MAX_SECONDS", 60)),
        YISHI_BATCH_POLLS=env.get("YISHI_BATCH_POLLS", "secret"),
        YISHI_RSA_BITS=int(env.get("YISHI_RSA_BITS", 2048)),
        # Days of notice a deliberative meeting should have (shorter needs a confirmation).
        YISHI_NOTICE_DAYS=int(env.get("YISHI_NOTICE_DAYS", 3)),
        # Rate limits per client address: public posts on meetings, the projects' suggestions.
        YISHI_PUBLIC_POST_LIMIT=env.get("YISHI_PUBLIC_POST_LIMIT", "20 per minute"),
        YISHI_SUGGEST_LIMIT=env.get("YISHI_SUGGEST_LIMIT", "5 per minute; 30 per day"),
        # Largest photo attached to a progress report, in bytes.
        YISHI_MAX_PHOTO_BYTES=int(env.get("YISHI_MAX_PHOTO_BYTES", 5 * 1024 * 1024)),
        # Largest photo in pixels (width x height) decoded; larger are refused. Photos are
        # re-encoded and scaled down to at most YISHI_PHOTO_MAX_EDGE pixels on the long side.
        YISHI_MAX_PHOTO_PIXELS=int(env.get("YISHI_MAX_PHOTO_PIXELS", 40_000_000)),
        YISHI_PHOTO_MAX_EDGE=int(env.get("YISHI_PHOTO_MAX_EDGE", 4096)),
        # The projects' "today" (a date or an ISO date); None: today in YISHI_TIMEZONE. Tests fix it.
        YISHI_TODAY=None,
        # Unacknowledged one-time secrets (initial passwords, code slips) are kept this long.
        YISHI_HELD_DAYS=int(env.get("YISHI_HELD_DAYS", 7)),
        # Long work (core.jobs): a running job with no progress for this long is marked
        # failed (its process died); INLINE runs jobs inside the request (tests).
        YISHI_JOB_STALE_SECONDS=int(env.get("YISHI_JOB_STALE_SECONDS", 900)),
        YISHI_JOBS_INLINE=env.get("YISHI_JOBS_INLINE") == "1",
        # Code slips: a batch of more codes than this has its QR codes drawn by a job.
        YISHI_SLIPS_JOB_OVER=int(env.get("YISHI_SLIPS_JOB_OVER", 100)),
        YISHI_UPLOAD_DIR=env.get("YISHI_UPLOAD_DIR") or str(Path(instance) / "uploads"),
    )
    if app.config["YISHI_BATCH_POLLS"] not in ("secret", "all"):
        raise RuntimeError("YISHI_BATCH_POLLS must be 'secret' or 'all'")
    try:  # a wrong zone name stops the start, not the first page that shows a time
        ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"YISHI_TIMEZONE: unknown time zone {app.config['BABEL_DEFAULT_TIMEZONE']!r}") from exc


def worker_count(app) -> int:
    """How many processes serve the app: ``YISHI_WORKERS`` when set; under gunicorn its
    own ``workers`` setting (read from the same command line, config file and
    ``GUNICORN_CMD_ARGS`` as the master did); else ``WEB_CONCURRENCY`` (gunicorn's
    default for ``-w``), else 1."""
    if app.config.get("YISHI_WORKERS"):
        return int(app.config["YISHI_WORKERS"])
    if "gunicorn.arbiter" in sys.modules:  # a gunicorn worker: the master imported it
        try:
            from gunicorn.app.wsgiapp import WSGIApplication

            return int(WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn").cfg.workers)
        except (Exception, SystemExit):
            return 2  # unknown: count it as several
    return int(os.environ.get("WEB_CONCURRENCY") or 1)


def check_production(app) -> None:
    """Refuse to start a production app (``YISHI_HTTPS=1``, or more than one worker) whose
    rate limits would count in each process's memory: each worker would allow the full
    limit on its own, so N workers let N times the guesses through."""
    workers = worker_count(app)
    if not (app.config["YISHI_HTTPS"] or workers > 1):
        return
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        reason = "YISHI_HTTPS=1" if app.config["YISHI_HTTPS"] else f"{workers} workers"
        raise RuntimeError(
            f"YISHI_RATELIMIT_STORAGE is memory:// in production ({reason}): every worker would count "
            "login attempts on its own. Set YISHI_RATELIMIT_STORAGE to a Redis server shared by all "
            "workers, e.g. YISHI_RATELIMIT_STORAGE=redis://127.0.0.1:6379/0 (docs/deployment.md)."
        )


def private_database_files(url: str) -> None:
    """An SQLite database made before the umask (or copied in) loses any group and other
    permission, with its -wal, -shm and -journal files; new ones are made 0600 by the
    umask, and SQLite gives its journals the database file's mode."""
    if not url.startswith("sqlite:///"):
        return
    path = url[len("sqlite:///") :].split("?", 1)[0]
    if not path or path == ":memory:":
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            mode = os.stat(path + suffix).st_mode
            if mode & 0o077:
                os.chmod(path + suffix, 0o600)
        except OSError:
            continue


def _database_url(url: str | None, instance_path: str) -> str:
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "yishi.sqlite3")
    # psycopg 3 is the PostgreSQL driver; accept the common spellings.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
