"""
Inverse distance weighting of many targets from many samples: time and memory.

Times ``InverseDistance.fit`` and ``predict`` for 20,000 random samples (lognormal
values in a 10 km x 10 km x 300 m box) onto 1,000,000 random targets with 16
neighbours and power 2, against the bare ``cKDTree.query`` of the same targets (k
neighbours, all threads) in the same run, and prints the ratio. Memory: the peak of
the Python-traced allocations during ``predict`` (tracemalloc; numpy reports its
buffers to it) and the process peak resident size (``ru_maxrss``).

Run: ``python benchmarks/bench_idw.py [--n-samples 20000] [--n-targets 1000000] [--k 16]``
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
from _timing import best_of, max_rss_mb
from scipy.spatial import cKDTree

from raremin.geostats.idw import InverseDistance
from raremin.geostats.neighbourhood import Neighbourhood


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--n-targets", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=16, help="neighbours per target")
    parser.add_argument("--power", type=float, default=2.0)
    parser.add_argument("--chunk-size", type=int, default=65536)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    extent = np.array([10_000.0, 10_000.0, 300.0])
    samples = rng.uniform(0.0, 1.0, (args.n_samples, 3)) * extent
    values = rng.lognormal(mean=np.log(1000.0), sigma=0.8, size=args.n_samples)
    targets = rng.uniform(0.0, 1.0, (args.n_targets, 3)) * extent
    rss_data = max_rss_mb()

    idw = InverseDistance(power=args.power, neighbourhood=Neighbourhood(max_samples=args.k))
    t_fit = best_of(lambda: idw.fit(samples, values), args.repeat)
    t_predict = best_of(lambda: idw.predict(targets, chunk_size=args.chunk_size), args.repeat)
    rss_idw = max_rss_mb()

    tracemalloc.start()
    estimates = idw.predict(targets, chunk_size=args.chunk_size)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert np.isfinite(estimates).all()

    tree = cKDTree(samples)
    t_tree = best_of(lambda: tree.query(targets, k=args.k, workers=-1), args.repeat)
    rss_tree = max_rss_mb()

    print(
        f"IDW, {args.n_samples:,} samples -> {args.n_targets:,} targets, k={args.k}, "
        f"power {args.power:g}, chunks of {args.chunk_size:,} (best of {args.repeat})"
    )
    print(f"  fit (validation + KD-tree)       : {t_fit:8.3f} s")
    print(f"  predict                          : {t_predict:8.3f} s")
    print(f"  bare cKDTree.query, all targets  : {t_tree:8.3f} s")
    print(f"  ratio predict / bare query       : {t_predict / t_tree:8.2f}x")
    print(f"  traced peak during predict       : {peak / 1024**2:8.1f} MB "
          f"(output alone {estimates.nbytes / 1024**2:.1f} MB)")
    print(f"  peak RSS after data / IDW / query: {rss_data:.0f} / {rss_idw:.0f} / "
          f"{rss_tree:.0f} MB")


if __name__ == "__main__":
    main()
