"""Closing a big poll, and the board download: 1,000, 10,000 and 100,000 secret
ballots side by side, on SQLite and PostgreSQL.

    python -m bench.close --db sqlite --sizes 1000 10000 100000 --reps 3

The ballots carry real blind-signed tokens of the poll's own key and are written to
the log as an append would (leaf rows, frontier, signed head); the bench then times
``close_poll`` (log check, tally, closing statement) and the board's streaming
download (time to the first byte and to the last). Goal: closing 100,000 < 5 s, and
every figure growing linearly.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench import harness
from bench.stats import OUT, fmt, save, summary


def cached_key():
    from cryptography.hazmat.primitives import serialization

    from voting.protocol.blindrsa import generate_token_key

    path = OUT / "bench-token-key.pem"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        key = generate_token_key(2048)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def cached_tokens(key, count: int) -> list[tuple[bytes, bytes]]:
    from voting.protocol.board import issue_tokens

    path = OUT / f"bench-tokens-{count}.json"
    if not path.exists():
        pairs = issue_tokens(key, count, jobs=os.cpu_count() or 1)
        path.write_text(json.dumps([[t.hex(), s.hex()] for t, s in pairs]))
    return [(bytes.fromhex(t), bytes.fromhex(s)) for t, s in json.loads(path.read_text())]


def build_poll(url: str, instance: Path, size: int):
    """A poll of ``size`` deputies with ``size`` ballots already in its log."""
    import random

    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from app import create_app
    from core.models import Congress, Deputy, Session
    from extensions import db
    from voting import keystore, services, specs
    from voting.models import Ballot, PollVoter, TokenIssuance
    from voting.protocol import blindrsa, merkle, signing
    from voting.protocol.board import make_tree_head
    from voting.protocol.encoding import canonical, format_time

    key = cached_key()
    tokens = cached_tokens(key, size)
    app = create_app(harness.app_config(url, instance))
    ctx = app.app_context()
    ctx.push()
    upgrade(revision="heads")
    congress = Congress(name=f"大会{size}-{time.time_ns()}")
    session = Session(congress=congress, name="会议", starts_on=date.today(), ends_on=date.today())
    db.session.add_all([congress, session])
    db.session.flush()
    db.session.execute(
        insert(Deputy),
        [
            {"congress_id": congress.id, "code": f"V{i:06d}", "name": f"代表{i}", "delegation": "一团"}
            for i in range(size)
        ],
    )
    poll = services.create_poll(
        public_id=f"close-{size}-{congress.id}",
        title="关闭基准",
        ballot="approval",
        secrecy="secret",
        session=session,
        options=[f"项目{i}" for i in range(1, 16)],
        poll_rules=specs.build_rules("approval", seats=10, max_yes=10),
    ).poll
    original = blindrsa.generate_token_key
    blindrsa.generate_token_key = lambda bits=2048: key  # the cached key, so cached tokens are valid
    try:
        services.open_poll(poll)
    finally:
        blindrsa.generate_token_key = original
    db.session.commit()
    voters = db.session.scalars(select(PollVoter.id).where(PollVoter.poll_id == poll.id)).all()
    db.session.execute(insert(TokenIssuance), [{"poll_id": poll.id, "voter_id": v} for v in voters])
    rng = random.Random(size)
    frontier = merkle.Frontier()
    rows = []
    for index, (token, sig) in enumerate(tokens):
        yes = set(rng.sample(range(1, 16), rng.randint(0, 10)))
        ballot = {
            "poll": poll.public_id,
            "manifest": poll.manifest_hash,
            "token": _b64(token),
            "token_sig": _b64(sig),
            "choices": {f"p{k:02d}": "yes" if k in yes else "no" for k in range(1, 16)},
        }
        leaf = canonical(ballot)
        leaf_hash = merkle.leaf_hash(leaf)
        frontier.append(leaf_hash)
        rows.append(
            {
                "poll_id": poll.id,
                "leaf_index": index,
                "leaf_hash": leaf_hash.hex(),
                "credential": token.hex(),
                "body": leaf.decode(),
                "receipt": "{}",
            }
        )
        if len(rows) == 5000:
            db.session.execute(insert(Ballot), rows)
            rows = []
    if rows:
        db.session.execute(insert(Ballot), rows)
    poll.log_size = frontier.size
    poll.log_frontier = frontier.to_hex()
    poll.log_root = frontier.root().hex()
    poll.log_timestamp = format_time(__import__("datetime").datetime.utcnow())
    private = keystore.signing_key(app.config["YISHI_KEY_ENCRYPTION_KEY"], poll.public_id, poll.signing_key_enc)
    head = make_tree_head(poll.public_id, poll.log_size, poll.log_root, poll.log_timestamp)
    poll.log_head_sig = signing.sign(private, signing.CONTEXT_TREE_HEAD, head)
    db.session.commit()
    return app, ctx, poll


def _b64(data: bytes) -> str:
    from voting.protocol.encoding import b64url_encode

    return b64url_encode(data)


def _download(app, public_id: str) -> tuple[float, float, int]:
    """Seconds to the board's first byte and to its last, and its size in bytes."""
    client = app.test_client()
    start = time.perf_counter()
    response = client.get(f"/api/polls/{public_id}/board", buffered=False)
    stream = iter(response.response)
    first = next(stream)
    first_byte_s = time.perf_counter() - start
    total = len(first) + sum(len(chunk) for chunk in stream)
    response.close()
    return first_byte_s, time.perf_counter() - start, total


def measure(url: str, instance: Path, size: int) -> dict:
    from extensions import db
    from voting import services

    app, ctx, poll = build_poll(url, instance, size)
    try:
        start = time.perf_counter()
        services.close_poll(poll)
        close_s = time.perf_counter() - start
        public_id = poll.public_id
        db.session.remove()  # the download is read as a server reads it: no context, no session
        first_byte_s, download_s, total = contextvars.Context().run(_download, app, public_id)
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
    return {"close_s": close_s, "first_byte_s": first_byte_s, "download_s": download_s, "board_mb": total / 1e6}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    results = {}
    for size in args.sizes:
        runs = []
        for _ in range(args.reps):
            with tempfile.TemporaryDirectory() as tmp:
                if args.db == "postgresql":
                    url = harness.fresh_postgres(
                        os.environ.get("YISHI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
                        "yishi_bench_close",
                    )
                else:
                    url = f"sqlite:///{Path(tmp) / 'close.sqlite3'}"
                runs.append(measure(url, Path(tmp) / "instance", size))
        results[size] = {k: summary([r[k] for r in runs]) for k in runs[0]}
        r = results[size]
        print(
            f"{size:>7} ballots: close {fmt(r['close_s'])} s; board first byte {fmt(r['first_byte_s'], 3)} s, "
            f"whole board {fmt(r['download_s'])} s ({r['board_mb']['median']:.1f} MB)",
            flush=True,
        )
    base = args.sizes[0]
    for size in args.sizes[1:]:
        growth = results[size]["close_s"]["median"] / results[base]["close_s"]["median"]
        print(f"  close time x{growth:.1f} for x{size // base} ballots (linear would be x{size // base})")
    save(f"close-{args.db}", {str(k): v for k, v in results.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
