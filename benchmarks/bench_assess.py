"""
``raremin assess`` on the bundled data: the automatic variogram set-up against the kriging.

Runs the whole assessment (``raremin.workflow.assess`` with its defaults, as the
``raremin assess`` command does) on the bundled synthetic Kuirektykol samples, timing in
the same run the automatic set-up of each zone (``raremin.workflow.automatic_kriging``:
variogram and search) and the estimation of every grade (``raremin.estimation.estimate``:
neighbour search and kriging). Target: the set-up takes at most half the kriging time
(before this work it took twice as long: 8.6 s of an 18.6 s run).

Run: ``python benchmarks/bench_assess.py [--block 25] [--repeat 3]``
(``--block 100`` for a smoke test).
"""

from __future__ import annotations

import argparse
import time
import warnings

import raremin
import raremin.estimation
import raremin.workflow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--block", type=float, default=25.0, help="block size in plan, m")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = raremin.load_kuirektykol()
    deposit = raremin.Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    spent = {"setup": 0.0, "estimate": 0.0}
    setup, estimate = raremin.workflow.automatic_kriging, raremin.estimation.estimate

    def timed(name, func):
        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return func(*a, **k)
            finally:
                spent[name] += time.perf_counter() - start
        return wrapper

    raremin.workflow.automatic_kriging = timed("setup", setup)
    raremin.estimation.estimate = timed("estimate", estimate)
    best = None
    for _ in range(args.repeat):
        spent.update(setup=0.0, estimate=0.0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raremin.assess(deposit, data.samples, block_size=(args.block, args.block, 10.0))
        total = time.perf_counter() - start
        run = (spent["setup"] / spent["estimate"], spent["setup"], spent["estimate"], total)
        best = run if best is None or run[0] < best[0] else best
    ratio, t_setup, t_est, total = best
    print(f"raremin assess on the bundled data ({args.block:g} x {args.block:g} x 10 m blocks), "
          f"best of {args.repeat}:")
    print(f"  automatic set-up (variogram + search, 2 zones): {t_setup:6.2f} s")
    print(f"  estimation (search + kriging of 15 grades):     {t_est:6.2f} s")
    print(f"  whole assessment:                               {total:6.2f} s")
    print(f"  ratio set-up / kriging {ratio:.2f} (target <= 0.5)")


if __name__ == "__main__":
    main()
