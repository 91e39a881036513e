"""
Ordinary kriging with 32 nearest samples: raremin against its bound and against PyKrige.

3D: 20,000 samples -> 300,000 block centres (10 km x 10 km x 0-300 m), spherical model
(nugget 0.1 + sill 0.9, ranges 2,000/2,000/100 m), lognormal values (mean 0.15), an
anisotropic search of the 32 nearest samples, no octant limit. Prints, measured in
this run (best of ``--repeat``, calls interleaved):

- raremin's ``Kriging.fit`` + ``predict`` (search and kernel; the kernel compiled
  beforehand: compilation is timed on its own, below);
- the bound: a bare ``cKDTree.query(k=32, workers=-1)`` on the same (scaled)
  coordinates, plus the solve flops at the GFLOP/s that a 2000 x 2000 matrix product
  reaches here: per target ``2 (n^3/3 + 2 n^2) + 20 n (n + 1) / 2`` flops, n = k + 1
  (factorisation, solves, covariances);
- the ratio of raremin's time to the bound (target <= 2, aim 1.5), and its peak memory
  (target < 1 GB);
- the same with ``max_per_octant=8`` (target <= 2.5x the same bound), and with k = 64
  (time per target; target <= 5x that at k = 32);
- the numpy twins of the kernels (what a fresh install runs before compiling pays: see
  ``raremin.geostats._jit``), once each, k = 32 with and without the octant limit;
- PyKrige's ``OrdinaryKriging3D`` (backend "loop", the only one in 3D,
  ``anisotropy_scaling_z`` = 2000/100) on a subset of the targets, with
  ``pykrige.ok3d._find_statistics`` replaced by a stub (its O(n^4) leave-one-out
  statistic only feeds attributes; see BENCHMARKS.md): time per target with the fixed
  cost of one ``execute`` of the subset (the full sample-sample matrix) and without it
  (target: raremin >= 50x faster per target), and the largest relative difference of
  the estimates where both use the same 32 neighbours.

2D: 2,000 samples -> 40,000 random points on a 10 km x 10 km square, range 2,000 m:
``Kriging.fit`` + ``predict`` against PyKrige's ``OrdinaryKriging(...).execute("points",
..., backend="C", n_closest_points=32)`` (target: >= 3x faster), and the largest
relative difference.

Compilation: the first compilation of each kernel (the neighbour selection's two and
kriging's, in a fresh numba cache directory) and its loading from the cache by a later
process, each in a new process.

Run: ``python benchmarks/bench_kriging.py [--quick] [--skip-2d] [--skip-3d]
[--skip-pykrige] [--skip-compile] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from _timing import best_of_interleaved, max_rss_mb
from scipy.spatial import cKDTree

from raremin.geostats import _system
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood

K = 32
NUGGET, SILL = 0.1, 0.9
MEAN, SIGMA = 0.15, 0.8
RANGES = (2000.0, 2000.0, 100.0)


def lognormal(rng: np.random.Generator, n: int) -> np.ndarray:
    """Lognormal values with mean MEAN."""
    return rng.lognormal(np.log(MEAN) - 0.5 * SIGMA**2, SIGMA, n)


def timed(func):
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def matmul_gflops(repeat: int) -> float:
    """GFLOP/s of a 2000 x 2000 matrix product (numpy's BLAS, every core)."""
    a = np.random.default_rng(0).standard_normal((2000, 2000))
    a @ a
    best = min(timed(lambda: a @ a)[0] for _ in range(max(repeat, 2)))
    return 2 * 2000**3 / best / 1e9


def solve_flops(k: int) -> float:
    """Flops of one kriging system with k neighbours (n = k + 1), as in BENCHMARKS.md."""
    n = k + 1
    return 2 * (n**3 / 3 + 2 * n**2) + 20 * n * (n + 1) / 2


def data_3d(n: int, shape: tuple[int, int, int]):
    rng = np.random.default_rng(3)
    extent = np.array([10_000.0, 10_000.0, 300.0])
    xyz = rng.uniform(0.0, 1.0, (n, 3)) * extent
    values = lognormal(rng, n)
    axes = [(np.arange(s) + 0.5) * e / s for s, e in zip(shape, extent, strict=True)]
    grid = np.meshgrid(*axes, indexing="ij")
    centres = np.column_stack([g.ravel() for g in grid])
    return rng, xyz, values, centres


def bench_3d(n: int, shape: tuple[int, int, int], subset: int, repeat: int,
             pykrige: bool) -> None:
    rng, xyz, values, centres = data_3d(n, shape)
    m = centres.shape[0]
    model = VariogramModel(NUGGET, [Structure("spherical", SILL, RANGES)])
    searches = {
        "k32": Neighbourhood(max_samples=K, ranges=RANGES, radius=np.inf),
        "octant": Neighbourhood(max_samples=K, ranges=RANGES, radius=np.inf, max_per_octant=8),
        "k64": Neighbourhood(max_samples=2 * K, ranges=RANGES, radius=np.inf),
    }
    scale = 1.0 / np.array(RANGES)
    tree_points, tree_targets = xyz * scale, centres * scale

    _system.kernel(True)  # compiled (or loaded) before timing: see the compile section
    rss_before = max_rss_mb()
    t_k32, (est, _) = timed(
        lambda: Kriging(model, searches["k32"]).fit(xyz, values).predict(
            centres, return_diagnostics=True))
    rss = max_rss_mb()

    def ours(key):
        return lambda: Kriging(model, searches[key]).fit(xyz, values).predict(centres)

    def bare(k):
        return lambda: cKDTree(tree_points).query(tree_targets, k=k, workers=-1)

    best = best_of_interleaved(
        {"k32": ours("k32"), "query32": bare(K), "octant": ours("octant"), "k64": ours("k64"),
         "query64": bare(2 * K)}, repeat)
    best["k32"] = min(best["k32"], t_k32)
    gflops = matmul_gflops(repeat)
    bound32 = best["query32"] + m * solve_flops(K) / (gflops * 1e9)
    bound64 = best["query64"] + m * solve_flops(2 * K) / (gflops * 1e9)
    flops_s = m * solve_flops(K) / (gflops * 1e9)

    print(f"3D ordinary kriging, {n:,} samples -> {m:,} block centres, ranges 2000/2000/100 m, "
          f"best of {repeat} (interleaved)")
    print(f"  matrix product 2000 x 2000           : {gflops:8.1f} GFLOP/s")
    print(f"  bare cKDTree.query(k=32, workers=-1) : {best['query32']:8.2f} s")
    print(f"  solve flops at that rate (bound)     : {flops_s:8.2f} s "
          f"({solve_flops(K):,.0f} flops per target)")
    print(f"  bound = query + flops                : {bound32:8.2f} s")
    ratio = best["k32"] / bound32
    verdict = "met" if ratio <= 2 else "NOT met"
    per_target = best["k32"] / m * 1e6
    print(f"  raremin fit + predict, 32 nearest    : {best['k32']:8.2f} s ({per_target:.1f} us per "
          f"target); ratio to the bound {ratio:.2f} (target <= 2: {verdict}; "
          f"{ratio / 1.5:.2f} x the aim of 1.5)")
    verdict = "met" if rss < 1024 else "NOT met"
    print(f"  peak RSS                             : {rss:8.0f} MB (before: {rss_before:.0f} MB; "
          f"target < 1 GB: {verdict})")
    ratio = best["octant"] / bound32
    verdict = "met" if ratio <= 2.5 else "NOT met"
    print(f"  raremin with max_per_octant=8        : {best['octant']:8.2f} s; ratio to the same "
          f"bound {ratio:.2f} (target <= 2.5: {verdict})")
    per = best["k64"] / best["k32"]
    verdict = "met" if per <= 5 else "NOT met"
    print(f"  raremin with k = 64                  : {best['k64']:8.2f} s; time per target "
          f"{per:.2f} x that at k = 32 (target <= 5: {verdict}); ratio to its bound "
          f"{best['k64'] / bound64:.2f} (query {best['query64']:.2f} s)")
    os.environ["RAREMIN_KERNELS"] = "numpy"
    try:  # once each: what a fresh install runs before compiling pays
        t_twin, twin = timed(ours("k32"))
        t_twin_oct, _ = timed(ours("octant"))
    finally:
        os.environ["RAREMIN_KERNELS"] = "compiled"
    twin_diff = float(np.nanmax(np.abs(twin - est) / np.abs(est)))
    print(f"  numpy twins (no compilation), k = 32 : {t_twin:8.2f} s; {t_twin / best['k32']:.1f} x "
          f"the kernels; ratio to the bound {t_twin / bound32:.2f}; max relative difference "
          f"{twin_diff:.1e}")
    print(f"  numpy twins, max_per_octant=8        : {t_twin_oct:8.2f} s; "
          f"{t_twin_oct / best['octant']:.1f} x the kernels")
    if not pykrige:
        return

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
            anisotropy_scaling_y=1.0, anisotropy_scaling_z=RANGES[0] / RANGES[2],
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
    ours_per = best["k32"] / m
    ratio_all = t_big / pick.size / ours_per
    verdict = "met" if ratio_all >= 50 else "NOT met"
    without = (f"{marginal * 1e6:.0f} us per target without it ({marginal / ours_per:.1f}x)"
               if marginal > 0 else "its marginal cost is lost in the noise of the fixed cost")
    print(f"  PyKrige execute, backend 'loop'      : {t_big:8.2f} s for {pick.size:,} targets "
          f"({t_big / pick.size * 1e6:.0f} us per target with the fixed cost of one execute, "
          f"{t_fixed:.2f} s; {without})")
    print(f"  per-target ratio PyKrige / raremin   : {ratio_all:8.1f}x (target >= 50x: {verdict})")
    # Same neighbours? PyKrige searches the z-scaled coordinates with a KD-tree.
    z_scale = np.array([1.0, 1.0, RANGES[0] / RANGES[2]])
    _, theirs_idx = cKDTree(xyz * z_scale).query(centres[pick] * z_scale, k=K)
    ours_idx = Kriging(model, searches["k32"]).fit(xyz, values).search_.query(centres[pick]).index
    same = np.all(np.sort(theirs_idx, axis=1) == np.sort(ours_idx, axis=1), axis=1)
    diff = np.abs(est[pick] - ref) / np.abs(ref)
    print(f"  same 32 neighbours                   : {int(same.sum()):,} of {pick.size:,} "
          f"targets; max relative difference there: {float(diff[same].max()):.1e} "
          f"(target <= 1e-10)")


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

    ours()  # warm up (and compile, if needed)
    t_ours, t_theirs = [], []
    for _ in range(repeat):
        t, est = timed(ours)
        t_ours.append(t)
        t, ref = timed(theirs)
        t_theirs.append(t)
    a, b = statistics.median(t_ours), statistics.median(t_theirs)
    diff = float(np.max(np.abs(est - np.asarray(ref)) / np.abs(np.asarray(ref))))
    verdict = "met" if b / a >= 3 else "NOT met"
    print(f"2D ordinary kriging, {n:,} samples -> {m:,} points, {K} nearest "
          f"(median of {repeat})")
    print(f"  raremin fit + predict            : {a:8.3f} s")
    print(f"  PyKrige execute, backend 'C'     : {b:8.3f} s")
    print(f"  speed ratio PyKrige / raremin    : {b / a:8.2f}x (target >= 3x: {verdict})")
    print(f"  max relative difference          : {diff:8.1e}")


_COMPILE_SCRIPT = """
import time
start = time.perf_counter()
import numpy as np
from raremin.geostats import _system, neighbourhood
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood
t0 = time.perf_counter()
times = [t0 - start]
for step in (lambda: neighbourhood._kernel("greedy"), lambda: neighbourhood._kernel("merge"),
             lambda: _system.kernel(True)):
    step()
    times.append(time.perf_counter() - sum(times) - start)
model = VariogramModel(0.1, [Structure("spherical", 0.9, 50.0)])
xy = np.random.default_rng(0).uniform(0, 100, (200, 2))
Kriging(model, Neighbourhood(8, max_per_octant=2)).fit(xy, np.arange(200.0)).predict(xy[:10])
print(" ".join(f"{t:.3f}" for t in times))
"""


def bench_compile() -> None:
    """The kernels' first compilation and a later process's load from numba's cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, RAREMIN_KERNELS="compiled")
        times = []
        for _ in range(2):
            proc = subprocess.run([sys.executable, "-c", _COMPILE_SCRIPT], env=env,
                                  capture_output=True, text=True, check=True)
            times.append([float(v) for v in proc.stdout.split()])
    first, cached = (np.array(t) for t in times)
    print("Compilation of the kernels, each in a new process (numba's import in the first)")
    print(f"  import raremin (+ numpy)             : {first[0]:6.2f} s")
    names = ("neighbour selection, greedy pass", "neighbour selection, fetched octants",
             "kriging (bounded models)")
    for name, a, b in zip(names, first[1:], cached[1:], strict=True):
        print(f"  {name:37s}: first use (compile) {a:6.2f} s; later process (cache) "
              f"{b:5.2f} s")
    a, b = first[1:].sum(), cached[1:].sum()
    print(f"  all three                            : first use {a:6.2f} s; later process "
          f"{b:5.2f} s; ratio {a / b:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--skip-2d", action="store_true")
    parser.add_argument("--skip-3d", action="store_true")
    parser.add_argument("--skip-pykrige", action="store_true",
                        help="3D without PyKrige (it needs minutes and several GB)")
    parser.add_argument("--skip-compile", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ["RAREMIN_KERNELS"] = "compiled"  # the numpy twins are timed on their own
    if not args.skip_compile and not args.quick:
        bench_compile()
    if not args.skip_2d:
        if args.quick:
            bench_2d(300, 2000, 1)
        else:
            bench_2d(2000, 40_000, args.repeat)
    if not args.skip_3d:
        if args.quick:
            bench_3d(400, (10, 10, 5), 100, 1, not args.skip_pykrige)
        else:
            bench_3d(20_000, (100, 100, 30), 5000, args.repeat, not args.skip_pykrige)


if __name__ == "__main__":
    main()
