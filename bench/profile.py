"""Where the time of a call goes, from py-spy's raw samples of the gunicorn workers.

``bench.session --profile`` records the workers with ``py-spy record --idle -f raw``
during the window; ``summarise`` keeps the samples taken inside one view function and
gives the share of that view's wall-clock time spent in each function below it
(inclusive, so shares overlap). Waiting counts too (``--idle``): a commit that
waits for the disk shows up as the commit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

CALLS = {
    "token call": "tokens (voting/api.py",
    "cast call": "ballots (voting/api.py",
}


def py_spy() -> str | None:
    """py-spy beside this interpreter (a virtualenv's bin/) or on the PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    """Start sampling gunicorn's master ``pid`` and its workers for ``seconds``."""
    return subprocess.Popen(
        [
            py_spy() or "py-spy",
            "record",
            "--subprocesses",
            "--idle",
            "--nonblocking",
            "--rate",
            "200",
            "--format",
            "raw",
            "--duration",
            str(int(seconds + 0.999)),
            "--pid",
            str(pid),
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _frame(text: str) -> str:
    """'function (path/to/file.py:12)' → 'function (file.py)'."""
    name, _, where = text.partition(" (")
    path = where.rsplit(":", 1)[0]
    return f"{name} ({'/'.join(path.split('/')[-2:])})" if path else name


OURS = ("voting/", "core/", "projects/", "assessments/", "deliberation/")


def summarise(raw: Path, top: int = 12) -> dict[str, dict]:
    """For each call of ``CALLS``: its samples, the share of its time inside each of
    our functions below the view (inclusive), and the leaves where the time is
    spent (self time: the innermost frame, ``Connection.wait`` being the database)."""
    calls: dict[str, dict] = {}
    lines = raw.read_text().splitlines() if raw.exists() else []
    for call, marker in CALLS.items():
        total = 0
        ours: Counter[str] = Counter()
        leaves: Counter[str] = Counter()
        for line in lines:
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            at = next((i for i, frame in enumerate(frames) if frame.startswith(marker)), None)
            if at is None:
                continue
            n = int(count)
            total += n
            below = [_frame(frame) for frame in frames[at + 1 :]]
            for name in set(below):
                if any(f"({package}" in name for package in OURS):
                    ours[name] += n
            leaves[below[-1] if below else _frame(frames[at])] += n
        calls[call] = {
            "samples": total,
            "ours": [(name, n / total) for name, n in ours.most_common(top)] if total else [],
            "leaves": [(name, n / total) for name, n in leaves.most_common(top)] if total else [],
        }
    return calls


def show(calls: dict[str, dict]) -> None:
    for call, data in calls.items():
        print(f"\n  {call}: {data['samples']} samples, shares of the call's wall-clock time")
        print("    in our functions (inclusive):")
        for name, share in data["ours"]:
            print(f"      {share * 100:5.1f} %  {name}")
        print("    where it is spent (innermost frame):")
        for name, share in data["leaves"]:
            print(f"      {share * 100:5.1f} %  {name}")


if __name__ == "__main__":
    show(summarise(Path(sys.argv[1])))
