"""Shared timing helpers for the benchmark scripts."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable


def best_of(func: Callable[[], object], repeat: int) -> float:
    """Smallest wall time of `repeat` calls, seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def best_of_interleaved(funcs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """
    Smallest wall time of each function, the calls interleaved round by round.

    On a shared, noisy machine a burst of load then hits every contender alike, so
    ratios between them are steadier than with one block of repeats after another.
    """
    best = {name: float("inf") for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def max_rss_mb() -> float:
    """Peak resident set size of this process, MB (ru_maxrss is KB on Linux, B on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024**2 if sys.platform == "darwin" else rss / 1024
