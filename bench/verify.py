"""The verifier at scale: boards of 1,000, 10,000 and 100,000 secret ballots.

    python -m bench.verify --sizes 1000 10000 100000 --reps 3

For each size: the verifier's ballots/s on one core, as a ratio to a bare loop of
RSA-PSS verifications of the same tokens in the same run (goal >= 0.7); the same with
--jobs 0 (every core); and the verifier's peak memory (goal < 500 MB at 100,000).
Boards are generated once with the real protocol and cached in bench/out/.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import ROOT
from bench.stats import OUT, fmt, save, summary


def board_file(size: int, jobs: int) -> Path:
    path = OUT / f"board-{size}-published.json"
    if not path.exists():
        from voting.protocol.blindrsa import generate_token_key
        from voting.protocol.board import board_text, simulate_poll

        OUT.mkdir(exist_ok=True)
        rng = random.Random(size)
        options = [f"p{k:02d}" for k in range(1, 16)]
        choices = []
        for _ in range(size):
            yes = set(rng.sample(range(1, 16), rng.randint(0, 10)))
            choices.append({f"p{k:02d}": "yes" if k in yes else rng.choice(["no", "abstain"]) for k in range(1, 16)})
        t = time.perf_counter()
        board, _receipts, _ballots = simulate_poll(
            choices,
            options=options,
            rules={"threshold": {"base": "electorate", "more_than": "1/2"}, "seats": 10, "max_yes": 10},
            electorate=size + size // 20,
            present=size + size // 40,
            poll=f"bench-{size}",
            token_key=generate_token_key(2048),
            receipts=False,
            jobs=jobs,
        )
        # Written as the server publishes a board (``services.board_chunks``).
        path.write_text(board_text(board))
        print(f"  generated board-{size}.json in {time.perf_counter() - t:.0f} s", flush=True)
    return path


def bare_rsa_loop(path: Path) -> float:
    """Seconds for a plain loop of RSA-PSS verifications of the board's tokens (one core)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from voting.protocol.encoding import b64url_decode

    board = json.loads(path.read_text())
    key = board["manifest"]["token_key"]
    public = rsa.RSAPublicNumbers(
        int.from_bytes(b64url_decode(key["e"]), "big"), int.from_bytes(b64url_decode(key["n"]), "big")
    ).public_key()
    pairs = [(b64url_decode(b["token"]), b64url_decode(b["token_sig"])) for b in board["ballots"]]
    del board
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    start = time.perf_counter()
    for token, sig in pairs:
        public.verify(sig, token, pss, hashes.SHA384())
    return time.perf_counter() - start


def run_verifier(path: Path, jobs: int) -> tuple[float, float]:
    """(seconds, peak MB) of `python -m voting.verify` in its own process."""
    code = (
        "import resource, sys, time\n"
        "from voting import verify\n"
        "t = time.perf_counter()\n"
        f"status = verify.main([{str(path)!r}, '--jobs', '{jobs}'])\n"
        "elapsed = time.perf_counter() - t\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child of a
        # large bench process would start with the parent's size.
        "proc = open('/proc/self/status').read()\n"
        "peak = int(proc.split('VmHWM:')[1].split()[0]) / 1024\n"
        "children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print('BENCH', status, elapsed, max(peak, children), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    line = [x for x in done.stderr.splitlines() if x.startswith("BENCH")][-1].split()
    assert line[1] == "0", done.stdout
    return float(line[2]), float(line[3])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--gen-jobs", type=int, default=2, help="processes used to generate boards")
    args = parser.parse_args(argv)
    results = {}
    for size in args.sizes:
        path = board_file(size, args.gen_jobs)
        ratio, all_cores, bare_rate, one_rate, peaks = [], [], [], [], []
        for _ in range(args.reps):
            bare = bare_rsa_loop(path)
            one, peak = run_verifier(path, 1)
            many, _ = run_verifier(path, 0)
            ratio.append(bare / one)
            all_cores.append(bare / many)
            bare_rate.append(size / bare)
            one_rate.append(size / one)
            peaks.append(peak)
        results[size] = {
            "bare_rsa_per_s": summary(bare_rate),
            "verifier_per_s_one_core": summary(one_rate),
            "ratio_one_core": summary(ratio),
            "ratio_all_cores": summary(all_cores),
            "peak_mb": summary(peaks),
        }
        r = results[size]
        print(
            f"{size:>7} ballots: verifier {fmt(r['verifier_per_s_one_core'], 0)} ballots/s on one core; "
            f"bare RSA loop {fmt(r['bare_rsa_per_s'], 0)}/s",
            flush=True,
        )
        print(
            f"         RATIO verifier/bare RSA, one core = {fmt(r['ratio_one_core'])} (goal >= 0.70); "
            f"all cores = {fmt(r['ratio_all_cores'])}; peak {fmt(r['peak_mb'], 0)} MB"
        )
    save("verify", {k: v for k, v in results.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
