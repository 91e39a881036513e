"""
Import time of raremin against the libraries it stands on.

Each statement runs in a fresh interpreter; the best of ``--repeat`` runs, interleaved so
that machine noise hits every statement alike. The target: ``import raremin`` within 1.5x of
``import numpy, pandas, shapely`` (public names load on first use, PEP 562), and the
first use of the estimation API reported beside it.

    python benchmarks/bench_import.py --repeat 7
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

STATEMENTS = {
    "python": "pass",
    "numpy, pandas, shapely": "import numpy, pandas, shapely",
    "raremin": "import raremin",
    "raremin + Kriging, estimate, BlockModel": "from raremin import Kriging, estimate, BlockModel",
    "raremin + assess": "from raremin import assess",
}


def run(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    best = {name: float("inf") for name in STATEMENTS}
    for _ in range(args.repeat):
        for name, statement in STATEMENTS.items():
            best[name] = min(best[name], run(statement))
    base = best["numpy, pandas, shapely"]
    for name, seconds in best.items():
        print(f"{name:42s} {seconds:7.3f} s   ratio to numpy+pandas+shapely {seconds / base:5.2f}")


if __name__ == "__main__":
    main()
