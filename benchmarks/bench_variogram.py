"""
Experimental variogram of many samples: time against the bare KD-tree pair search.

Times ``experimental_variogram`` (omnidirectional, and one direction with a bandwidth)
for random 3D samples (a 5 km x 5 km x 300 m box, 15 lags up to 500 m) against
``cKDTree.query_pairs`` of the same radius alone, in the same run, and prints the ratio.
Memory: the peak of the Python-traced allocations during one call (tracemalloc).

Run: ``python benchmarks/bench_variogram.py [--n 20000] [--max-lag 500] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
from _timing import best_of
from scipy.spatial import cKDTree

from raremin.geostats.variogram import experimental_variogram


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--max-lag", type=float, default=500.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    xyz = rng.uniform(0.0, 1.0, (args.n, 3)) * np.array([5000.0, 5000.0, 300.0])
    z = rng.lognormal(np.log(1000.0), 0.8, args.n)
    kwargs = {"n_lags": 15, "max_lag": args.max_lag}

    t_omni = best_of(lambda: experimental_variogram(xyz, z, **kwargs), args.repeat)
    t_dir = best_of(lambda: experimental_variogram(xyz, z, azimuth=45.0, dip=-10.0,
                                                   bandwidth=100.0, **kwargs), args.repeat)
    tree = cKDTree(xyz)
    t_pairs = best_of(lambda: tree.query_pairs(args.max_lag, output_type="ndarray"),
                      args.repeat)
    n_pairs = len(tree.query_pairs(args.max_lag, output_type="ndarray"))

    tracemalloc.start()
    ev = experimental_variogram(xyz, z, **kwargs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert int(ev.n_pairs.sum()) <= n_pairs

    print(f"experimental variogram, {args.n:,} samples, {n_pairs:,} pairs within "
          f"{args.max_lag:g} m (best of {args.repeat})")
    print(f"  omnidirectional               : {t_omni:8.3f} s")
    print(f"  directional with bandwidth    : {t_dir:8.3f} s")
    print(f"  bare cKDTree.query_pairs      : {t_pairs:8.3f} s")
    print(f"  ratio omnidirectional / bare  : {t_omni / t_pairs:8.2f}x")
    print(f"  traced peak, omnidirectional  : {peak / 1024**2:8.1f} MB")


if __name__ == "__main__":
    main()
