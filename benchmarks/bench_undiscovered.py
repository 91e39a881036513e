"""
Three-part assessment: 20,000 simulations of undiscovered deposits with 3 grades.

Times ``raremin.undiscovered.totals.simulate_totals`` (counts, tonnages, grades and the
per-simulation totals) against one ``numpy.random.Generator.normal`` draw of as many
values as the simulation consumes (one per deposit for the tonnage, three ilr
coordinates per deposit for the grades), in the same run, and prints the ratio
(target: at most 20x).

Run: ``python benchmarks/bench_undiscovered.py [--n 20000] [--repeat 5]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_of_interleaved
from scipy import stats

from raremin.undiscovered.grades import GradeModel
from raremin.undiscovered.tonnage import TonnageModel
from raremin.undiscovered.totals import simulate_totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=20_000, help="number of simulations")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(11)
    known = 60
    tonnage = TonnageModel().fit(10 ** rng.normal(7.5, 0.7, known))
    grades = GradeModel().fit(np.column_stack([10 ** rng.normal(-0.3, 0.2, known),
                                               10 ** rng.normal(-1.7, 0.3, known),
                                               10 ** rng.normal(-4.5, 0.3, known)]),
                              names=["Cu", "Mo", "Au"])
    pmf = stats.nbinom(5, 0.5).pmf(np.arange(60))
    pmf /= pmf.sum()

    result = simulate_totals(pmf, tonnage, grades, args.n, seed=1)
    n_deposits = int(result.totals.n_deposits.sum())
    n_values = n_deposits * (1 + grades.mean_.size)
    gen = np.random.default_rng(2)

    times = best_of_interleaved({
        "normal": lambda: gen.normal(size=n_values),
        "ours": lambda: simulate_totals(pmf, tonnage, grades, args.n, seed=1),
    }, args.repeat)
    ratio = times["ours"] / times["normal"]
    print(f"three-part simulation, {args.n:,} simulations, {n_deposits:,} deposits, "
          f"3 grades ({n_values:,} normal values)")
    print(f"  Generator.normal({n_values:,}) : {times['normal'] * 1e3:8.2f} ms")
    print(f"  simulate_totals            : {times['ours'] * 1e3:8.2f} ms  ratio {ratio:5.2f}x "
          f"(target <= 20x: {'met' if ratio <= 20 else 'NOT met'})")


if __name__ == "__main__":
    main()
