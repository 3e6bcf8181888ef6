"""Small statistics for the benchmarks: percentiles, median and spread over repetitions."""

from __future__ import annotations

import json
import platform
import statistics
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    """Median and spread (min, max) of one figure over repetitions."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def fmt(s: dict, digits: int = 2) -> str:
    return f"{s['median']:.{digits}f} (spread {s['min']:.{digits}f}–{s['max']:.{digits}f}, n={len(s['runs'])})"


def machine() -> dict:
    import os

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def save(name: str, data: dict) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(dict(data, machine=machine()), indent=2, ensure_ascii=False))
    return path
