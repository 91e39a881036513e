"""
Cell declustering of many clustered 3D samples: time.

Times ``cell_declustering`` on random clustered samples in a 10 km x 10 km x 300 m box
(a third spread uniformly, the rest in 40 Gaussian clusters of 150 m spread, with
higher grades in the clusters), over ``--sizes`` cell sizes from 100 m to 5 km and
``--offsets`` grid origins per size, with cells 20 times thinner in elevation.

Run: ``python benchmarks/bench_declustering.py [--n 100000] [--sizes 50] [--offsets 10]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_of, max_rss_mb

from raremin.geostats.declustering import cell_declustering


def clustered_samples(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (n, 3) in metres and lognormal grades (ppm), higher in the clusters."""
    extent = np.array([10_000.0, 10_000.0, 300.0])
    n_sparse = n // 3
    sparse = rng.uniform(0.0, 1.0, (n_sparse, 3)) * extent
    centres = rng.uniform(0.1, 0.9, (40, 3)) * extent
    which = rng.integers(0, len(centres), n - n_sparse)
    dense = centres[which] + rng.normal(0.0, 1.0, (n - n_sparse, 3)) * [150.0, 150.0, 20.0]
    coords = np.vstack([sparse, np.clip(dense, 0.0, extent)])
    grade = np.r_[rng.lognormal(np.log(800.0), 0.6, n_sparse),
                  rng.lognormal(np.log(2500.0), 0.6, n - n_sparse)]
    return coords, grade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=100_000, help="number of samples")
    parser.add_argument("--sizes", type=int, default=50, help="number of cell sizes")
    parser.add_argument("--offsets", type=int, default=10, help="grid origins per size")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    coords, grade = clustered_samples(args.n, rng)
    sizes = np.linspace(100.0, 5_000.0, args.sizes)

    def run():
        return cell_declustering(coords, grade, cell_sizes=sizes, n_offsets=args.offsets,
                                 anisotropy=(1.0, 1.0, 0.05))

    seconds = best_of(run, args.repeat)
    result = run()
    per_grid = seconds / (args.sizes * args.offsets)
    print(
        f"cell declustering, {args.n:,} samples in 3D, {args.sizes} cell sizes x "
        f"{args.offsets} offsets (best of {args.repeat})"
    )
    print(f"  seconds                : {seconds:8.3f} s")
    print(f"  per grid (size, offset): {per_grid * 1e3:8.3f} ms")
    print(f"  chosen cell size       : {result.cell_size:8.1f} m")
    print(f"  naive / declustered    : {result.naive_mean:8.1f} / "
          f"{result.declustered_mean:.1f} ppm")
    print(f"  peak RSS               : {max_rss_mb():8.0f} MB")


if __name__ == "__main__":
    main()
