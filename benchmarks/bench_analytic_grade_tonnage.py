"""
Analytic grade-tonnage for many lognormal distributions x many cut-offs.

Times ``analytic_grade_tonnage`` for 10,000 distributions x 200 cut-offs (tonnage,
mean grade and contained metal above every cut-off) against one ``numpy.exp`` over an
array of the same shape, in the same run, and prints the ratio (target: at most 10).

Run: ``python benchmarks/bench_analytic_grade_tonnage.py [--n 10000] [--cutoffs 200]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_of_interleaved

from raremin.distributions import Lognormal
from raremin.tonnage import analytic_grade_tonnage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=10_000, help="number of distributions")
    parser.add_argument("--cutoffs", type=int, default=200, help="number of cut-offs")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    rng = np.random.default_rng(42)
    mean = rng.uniform(0.08, 0.25, args.n)
    cv = rng.uniform(0.3, 1.2, args.n)
    tonnage = rng.uniform(1e6, 1e9, args.n)
    dist = Lognormal.from_mean_cv(mean, cv, unit="pct", basis="oxide", name="treo")
    cutoffs = np.linspace(0.0, 0.5, args.cutoffs)
    same_shape = rng.standard_normal((args.n, args.cutoffs))

    analytic_grade_tonnage(dist, tonnage, cutoffs)  # warm the table and the threads
    times = best_of_interleaved(
        {
            "exp": lambda: np.exp(same_shape),
            "all": lambda: analytic_grade_tonnage(dist, tonnage, cutoffs),
            "one": lambda: analytic_grade_tonnage(dist, tonnage, cutoffs, workers=1),
        },
        args.repeat,
    )
    t_exp, t_gt, t_gt1 = times["exp"], times["all"], times["one"]
    print(f"analytic grade-tonnage, {args.n} lognormals x {args.cutoffs} cut-offs")
    print(f"  numpy.exp over the same shape : {t_exp * 1e3:8.2f} ms")
    print(f"  grade-tonnage (all threads)   : {t_gt * 1e3:8.2f} ms  ratio {t_gt / t_exp:5.1f}x")
    print(f"  grade-tonnage (one thread)    : {t_gt1 * 1e3:8.2f} ms  ratio {t_gt1 / t_exp:5.1f}x")
    print(f"  target: at most 10x -> {'met' if t_gt / t_exp <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
