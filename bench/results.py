"""The results page and the results JSON of a closed poll under concurrent public
readers, as a ratio to a bare endpoint of a separate minimal Flask app
(``bench/baseline_app.py``) served by gunicorn with the same settings in the same run.

    python -m bench.results --db sqlite --reps 3 [--connections 32 --seconds 5]

Uses Debian's `wrk` when installed (bounded by --seconds), else a Python keep-alive
load generator bounded by the same time. Goal: ratio >= 0.7.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import harness
from bench.stats import fmt, save, summary


def load(port: int, path: str, connections: int, seconds: float) -> float:
    """Requests per second for ``seconds`` with ``connections`` keep-alive clients."""
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s", f"http://127.0.0.1:{port}{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if "Non-2xx" in out:
            raise RuntimeError(out)
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    count = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(_):
        http = harness.HTTP(port)
        done = 0
        while time.perf_counter() < deadline:
            status, _body = http.request("GET", path, cookies=False)
            assert status == 200, status
            done += 1
        http.close()
        with lock:
            count[0] += done

    start = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(worker, range(connections)))
    return count[0] / (time.perf_counter() - start)


def closed_poll(url: str, instance: Path, deputies: int) -> str:
    public_id = harness.prepare(url, instance, deputies)
    from app import create_app
    from extensions import db
    from voting import services
    from voting.models import Poll, PollVoter
    from voting.protocol.client import SecretVoter

    app = create_app(harness.app_config(url, instance))
    with app.app_context():
        poll = db.session.query(Poll).filter_by(public_id=public_id).one()
        for voter in db.session.query(PollVoter).filter_by(poll_id=poll.id).all():
            client = SecretVoter(poll.manifest)
            client.token_response(
                {"blind_sig": services.issue_token(poll, voter.deputy, client.token_request()["blinded_msg"])}
            )
            services.cast(poll, client.ballot({f"p{k:02d}": "yes" if k <= 8 else "no" for k in range(1, 16)}))
        services.close_poll(poll)
        db.session.remove()
        db.engine.dispose()
    return public_id


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--deputies", type=int, default=200)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        if args.db == "postgresql":
            url = harness.fresh_postgres(
                os.environ.get("YISHI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
                "yishi_bench_res",
            )
        else:
            url = f"sqlite:///{Path(tmp) / 'results.sqlite3'}"
        public_id = closed_poll(url, instance, args.deputies)
        env = harness.environment(url, instance)
        server = harness.Server(env, workers=args.workers).start()
        baselines = harness.baseline_server(env, workers=args.workers).start()
        rows = {"bare": [], "page": [], "json": []}
        try:
            for _ in range(args.reps):
                rows["bare"].append(load(baselines.port, "/bare", args.connections, args.seconds))
                rows["page"].append(load(server.port, f"/polls/{public_id}", args.connections, args.seconds))
                rows["json"].append(
                    load(server.port, f"/polls/{public_id}/results.json", args.connections, args.seconds)
                )
        finally:
            baselines.stop()
            server.stop()
    result = {k: summary(v) for k, v in rows.items()}
    result["page_ratio"] = summary([p / b for p, b in zip(rows["page"], rows["bare"])])
    result["json_ratio"] = summary([j / b for j, b in zip(rows["json"], rows["bare"])])
    tool = "wrk" if shutil.which("wrk") else "python"
    print(f"{args.db}, {args.connections} connections, {args.seconds:.0f} s each, gunicorn -w {args.workers}, {tool}")
    for k in ("bare", "page", "json"):
        print(f"  {k:5s} {fmt(result[k], 0)} requests/s")
    print(f"  RATIO results page / bare = {fmt(result['page_ratio'])}  (goal >= 0.70)")
    print(f"  RATIO results JSON / bare = {fmt(result['json_ratio'])}  (goal >= 0.70)")
    save(f"results-{args.db}", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
