"""
Contained rare earths for 10 million samples x 16 elements.

Times ``raremin.contained_basket`` (contained TREO tonnes per sample from element
grades and tonnages) against one matrix product of the same array with a factor
vector, in the same run, and prints the ratio (target: at most 1.5x).

Run: ``python benchmarks/bench_contained.py [--n 10000000]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_of

from raremin.chemistry import ELEMENTS, OXIDE_FACTORS
from raremin.tonnage import contained_basket

ELEMENTS_16 = [e for e in ELEMENTS if e != "Pm"]  # La-Lu without Pm, Y, Sc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=10_000_000, help="number of samples")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = np.random.default_rng(3)
    grades = rng.uniform(0.0, 500.0, (args.n, len(ELEMENTS_16)))  # ppm, element basis
    tonnage = rng.uniform(1.0, 10.0, args.n)
    factors = np.array([OXIDE_FACTORS[e] for e in ELEMENTS_16])

    def ours():
        return contained_basket(grades, tonnage, elements=ELEMENTS_16, unit="ppm",
                                basis="element", basket="treo", result_basis="oxide")

    ours()
    t_matmul = best_of(lambda: grades @ factors, args.repeat)
    t_ours = best_of(ours, args.repeat)
    print(f"contained TREO, {args.n:,} samples x {len(ELEMENTS_16)} elements")
    print(f"  X @ factors           : {t_matmul * 1e3:8.1f} ms")
    print(f"  raremin.contained_basket: {t_ours * 1e3:8.1f} ms  ratio {t_ours / t_matmul:5.2f}x "
          f"(target <= 1.5x: {'met' if t_ours / t_matmul <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
