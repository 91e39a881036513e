"""
Ordinary kriging with 32 nearest samples: raremin against PyKrige, in one run.

2D: 2,000 samples -> 40,000 random points on a 10 km x 10 km square, spherical model
(nugget 0.1 + sill 0.9, range 2,000 m), lognormal values (mean 0.15). Times
``Kriging.fit`` + ``predict`` against PyKrige's
``OrdinaryKriging(...).execute("points", ..., backend="C", n_closest_points=32)``
(median of ``--repeat`` runs each, alternating), prints the speed ratio (target:
>= 1.5x) and the largest relative difference of the estimates.

3D: 20,000 samples -> 300,000 block centres (10 km x 10 km x 0-300 m), spherical model
with ranges 2,000/2,000/100 m. raremin estimates every block (seconds and peak RSS,
target < 2 GB). PyKrige's ``OrdinaryKriging3D`` (backend "loop", the only one in 3D,
``anisotropy_scaling_z`` = 2000/100) runs on a subset of the targets, with
``pykrige.ok3d._find_statistics`` replaced by a stub (its O(n^4) leave-one-out
statistic only feeds attributes; see BENCHMARKS.md). Both are compared per target
(target: >= 10x), PyKrige both with its fixed cost of one ``execute`` (the full
sample-sample matrix, timed with 10 targets after a warm-up call) and without it;
estimates are compared where both use the same 32 neighbours.

Run: ``python benchmarks/bench_kriging.py [--quick] [--skip-2d] [--skip-3d]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _timing import max_rss_mb
from scipy.spatial import cKDTree

from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood

K = 32
NUGGET, SILL = 0.1, 0.9
MEAN, SIGMA = 0.15, 0.8


def lognormal(rng: np.random.Generator, n: int) -> np.ndarray:
    """Lognormal values with mean MEAN."""
    return rng.lognormal(np.log(MEAN) - 0.5 * SIGMA**2, SIGMA, n)


def timed(func):
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def bench_2d(n: int, m: int, repeat: int) -> None:
    from pykrige.ok import OrdinaryKriging

    rng = np.random.default_rng(2)
    xy = rng.uniform(0.0, 10_000.0, (n, 2))
    values = lognormal(rng, n)
    targets = rng.uniform(0.0, 10_000.0, (m, 2))
    model = VariogramModel(NUGGET, [Structure("spherical", SILL, 2000.0)])
    pk = OrdinaryKriging(
        xy[:, 0], xy[:, 1], values, variogram_model="spherical",
        variogram_parameters={"sill": NUGGET + SILL, "range": 2000.0, "nugget": NUGGET},
    )

    def ours():
        return Kriging(model, Neighbourhood(max_samples=K)).fit(xy, values).predict(targets)

    def theirs():
        return pk.execute("points", targets[:, 0], targets[:, 1], backend="C",
                          n_closest_points=K)[0]

    ours()  # warm up
    t_ours, t_theirs = [], []
    for _ in range(repeat):
        t, est = timed(ours)
        t_ours.append(t)
        t, ref = timed(theirs)
        t_theirs.append(t)
    a, b = statistics.median(t_ours), statistics.median(t_theirs)
    diff = float(np.max(np.abs(est - np.asarray(ref)) / np.abs(np.asarray(ref))))
    verdict = "met" if b / a >= 1.5 else "NOT met"
    print(f"2D ordinary kriging, {n:,} samples -> {m:,} points, {K} nearest "
          f"(median of {repeat})")
    print(f"  raremin fit + predict            : {a:8.3f} s")
    print(f"  PyKrige execute, backend 'C'     : {b:8.3f} s")
    print(f"  speed ratio PyKrige / raremin    : {b / a:8.2f}x (target >= 1.5x: {verdict})")
    print(f"  max relative difference          : {diff:8.1e}")


def bench_3d(n: int, shape: tuple[int, int, int], subset: int) -> None:
    rng = np.random.default_rng(3)
    extent = np.array([10_000.0, 10_000.0, 300.0])
    xyz = rng.uniform(0.0, 1.0, (n, 3)) * extent
    values = lognormal(rng, n)
    axes = [(np.arange(s) + 0.5) * e / s for s, e in zip(shape, extent, strict=True)]
    grid = np.meshgrid(*axes, indexing="ij")
    centres = np.column_stack([g.ravel() for g in grid])
    m = centres.shape[0]
    ranges = (2000.0, 2000.0, 100.0)
    model = VariogramModel(NUGGET, [Structure("spherical", SILL, ranges)])
    nb = Neighbourhood(max_samples=K, ranges=ranges, radius=np.inf)

    rss_before = max_rss_mb()
    t_ours, (est, diag) = timed(
        lambda: Kriging(model, nb).fit(xyz, values).predict(centres, return_diagnostics=True)
    )
    rss_ours = max_rss_mb()
    print(f"3D ordinary kriging, {n:,} samples -> {m:,} block centres, {K} nearest, "
          f"ranges 2000/2000/100 m")
    verdict = "met" if rss_ours < 2048 else "NOT met"
    print(f"  raremin fit + predict, all blocks: {t_ours:8.2f} s ({t_ours / m * 1e6:.1f} us "
          f"per target)")
    print(f"  peak RSS                         : {rss_ours:8.0f} MB (before: {rss_before:.0f} "
          f"MB; target < 2 GB: {verdict})")

    import pykrige.ok3d
    from pykrige.ok3d import OrdinaryKriging3D

    pykrige.ok3d._find_statistics = lambda *args, **kwargs: (
        np.zeros(len(args[1]) - 1), np.zeros(len(args[1]) - 1), np.zeros(len(args[1]) - 1)
    )
    print("  PyKrige OrdinaryKriging3D: pykrige.ok3d._find_statistics replaced by a stub "
          "returning zero arrays of length n-1 (its O(n^4) leave-one-out statistics)")
    with np.errstate(divide="ignore", invalid="ignore"):  # statistics of the stub's zeros
        pk = OrdinaryKriging3D(
            xyz[:, 0], xyz[:, 1], xyz[:, 2], values, variogram_model="spherical",
            variogram_parameters={"sill": NUGGET + SILL, "range": 2000.0, "nugget": NUGGET},
            anisotropy_scaling_y=1.0, anisotropy_scaling_z=ranges[0] / ranges[2],
        )
    pick = rng.choice(m, subset, replace=False)

    def theirs(rows):
        t = centres[rows]
        return pk.execute("points", t[:, 0], t[:, 1], t[:, 2], backend="loop",
                          n_closest_points=K)[0]

    few = pick[:10]
    theirs(few)  # warm up: the first call also pays for fresh memory pages
    t_fixed, _ = timed(lambda: theirs(few))  # ~ the full sample-sample matrix
    t_big, ref = timed(lambda: theirs(pick))
    ref = np.asarray(ref)
    marginal = (t_big - t_fixed) / (pick.size - few.size)
    ours_per = t_ours / m
    print(f"  PyKrige execute, backend 'loop'  : {t_big:8.2f} s for {pick.size:,} targets "
          f"({t_big / pick.size * 1e6:.0f} us per target with the fixed cost of one "
          f"execute, {t_fixed:.2f} s; {marginal * 1e6:.0f} us per target without it)")
    ratio_all = t_big / pick.size / ours_per
    ratio_marginal = marginal / ours_per
    verdict = "met" if ratio_marginal >= 10 else "NOT met"
    print(f"  per-target ratio PyKrige / raremin: {ratio_all:8.1f}x with PyKrige's fixed "
          f"cost, {ratio_marginal:.1f}x without it (target >= 10x: {verdict})")
    # Same neighbours? PyKrige searches the z-scaled coordinates with a KD-tree.
    scale = np.array([1.0, 1.0, ranges[0] / ranges[2]])
    _, theirs_idx = cKDTree(xyz * scale).query(centres[pick] * scale, k=K)
    ours_idx = Kriging(model, nb).fit(xyz, values).search_.query(centres[pick]).index
    same = np.all(np.sort(theirs_idx, axis=1) == np.sort(ours_idx, axis=1), axis=1)
    diff = np.abs(est[pick] - ref) / np.abs(ref)
    print(f"  same 32 neighbours               : {int(same.sum()):,} of {pick.size:,} "
          f"targets; max relative difference there: {float(diff[same].max()):.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--skip-2d", action="store_true")
    parser.add_argument("--skip-3d", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.skip_2d:
        if args.quick:
            bench_2d(300, 2000, 1)
        else:
            bench_2d(2000, 40_000, args.repeat)
    if not args.skip_3d:
        if args.quick:
            bench_3d(400, (10, 10, 5), 100)
        else:
            bench_3d(20_000, (100, 100, 30), 5000)


if __name__ == "__main__":
    main()
