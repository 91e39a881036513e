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


def max_rss_mb() -> float:
    """Peak resident set size of this process, MB (ru_maxrss is KB on Linux, B on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024**2 if sys.platform == "darwin" else rss / 1024
