"""
Block grade-tonnage over 20 million blocks x 200 cut-offs.

Times ``raremin.grade_tonnage`` against one full pass over the same arrays
(``grade.sum()`` plus ``tonnage.sum()``), in the same run, for 200 evenly spaced
cut-offs (target: at most 15x) and for 200 arbitrary cut-offs (reported), and prints
the ratios. For scale: a mask per cut-off is about 900x, a sort about 200x.

Run: ``python benchmarks/bench_grade_tonnage.py [--n 20000000] [--cutoffs 200]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_of

from raremin.tonnage import grade_tonnage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=20_000_000, help="number of blocks")
    parser.add_argument("--cutoffs", type=int, default=200, help="number of cut-offs")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(7)
    grade = rng.lognormal(np.log(0.1), 0.6, args.n)  # TREO %, oxide basis
    tonnage = rng.uniform(2000.0, 4000.0, args.n)
    even = np.linspace(0.0, 0.5, args.cutoffs)
    arbitrary = np.sort(rng.choice(np.arange(1, 100_000) / 200_000, args.cutoffs, replace=False))

    def gt(cutoffs):
        return lambda: grade_tonnage(grade, tonnage, cutoffs, unit="pct", basis="oxide")

    gt(even)()  # warm up
    t_pass = best_of(lambda: (grade.sum(), tonnage.sum()), args.repeat)
    t_even = best_of(gt(even), args.repeat)
    t_arb = best_of(gt(arbitrary), args.repeat)
    print(f"grade-tonnage, {args.n:,} blocks x {args.cutoffs} cut-offs")
    print(f"  one pass (grade.sum() + tonnage.sum()) : {t_pass * 1e3:8.1f} ms")
    verdict = "met" if t_even / t_pass <= 15 else "NOT met"
    print(f"  evenly spaced cut-offs                 : {t_even * 1e3:8.1f} ms  "
          f"ratio {t_even / t_pass:5.1f}x (target <= 15x: {verdict})")
    print(f"  arbitrary cut-offs                     : {t_arb * 1e3:8.1f} ms  "
          f"ratio {t_arb / t_pass:5.1f}x")


if __name__ == "__main__":
    main()
