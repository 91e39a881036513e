"""
The exact neighbour search against a bare KD-tree query, rule by rule, in one run.

The 3D case of ``bench_kriging.py``: 20,000 samples uniform in 10 km x 10 km x 300 m,
300,000 block centres (100 x 100 x 30), search ellipsoid 2,000/2,000/100 m, 32
samples. Timed, best of ``--repeat`` interleaved rounds, on prebuilt searches (kernels
compiled beforehand; 512 MB of memory written and freed before each call, see
``best_of_interleaved_warm``), each as a ratio to ``bare``:

- ``bare``: ``cKDTree.query(k=32, workers=-1)`` on the transformed targets (no rule);
- ``plain``: ``NeighbourSearch.query`` without limits (exact ties, metric distances),
  with no radius and with a radius of 1.5 ranges (targets: <= 1.2 x bare);
- ``octant``: 8 per octant, radius 1.5 ranges and none (targets: <= 1.5 x bare);
- ``holes``: the same number of samples as 500 vertical drillholes of 40 samples
  (7.5 m apart), radius 1.5, at most 4 samples per hole (so at least 8 holes), without
  and with 8 per octant; as a ratio to the bare query of those samples.

Then the worst case: the top layer of blocks (no sample above most of them) with
``max_per_octant=4``, where the lower octants cannot supply 32 samples and every such
target is searched up to the radius. Last, the time of the first query in a new
process, with numba compiling the kernels (empty cache) and loading them (cache
filled), in two child processes sharing a temporary ``NUMBA_CACHE_DIR``.

Run: ``python benchmarks/bench_neighbourhood.py [--quick] [--repeat 3] [--no-compile]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np
from _timing import max_rss_mb

from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch

K = 32
RANGES = (2000.0, 2000.0, 100.0)
EXTENT = np.array([10_000.0, 10_000.0, 300.0])

#: A child process timing its first query (compile or cache load), seconds.
FIRST_QUERY = """
import time
import numpy as np
from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch
xyz = np.random.default_rng(0).uniform(0.0, 100.0, (500, 3))
holes = np.arange(500) // 10
start = time.perf_counter()
search = NeighbourSearch(xyz, Neighbourhood(16, radius=30.0, max_per_octant=2))
search._select(xyz[:50], groups=holes, max_per_group=3)  # the greedy kernel
NeighbourSearch(xyz[::40], Neighbourhood(8, max_per_octant=1)).query(xyz)  # fetching
print(time.perf_counter() - start)
"""


def drillholes(rng: np.random.Generator, n_holes: int, per_hole: int) -> tuple[np.ndarray, ...]:
    """Vertical holes through the box, collars uniform, samples evenly spaced; hole ids."""
    collars = rng.uniform(0.0, 1.0, (n_holes, 2)) * EXTENT[:2]
    z = (np.arange(per_hole) + 0.5) * EXTENT[2] / per_hole
    xyz = np.column_stack([np.repeat(collars, per_hole, axis=0), np.tile(z, n_holes)])
    return xyz, np.repeat(np.arange(n_holes), per_hole)


def best_of_interleaved_warm(
    funcs: dict[str, Callable[[], object]], repeat: int, warm_mb: int = 512
) -> dict[str, float]:
    """
    Smallest wall time of each function, calls interleaved round by round.

    Before each call `warm_mb` MB are written and freed, so that every contender
    starts with memory that was just in use: on a virtual machine, the first touch of
    memory the host has taken back costs far more than a page fault, and without this
    a function that follows one freeing less memory than it needs pays for it.
    """
    best = {name: float("inf") for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            np.ones(warm_mb * 2**17)  # float64: warm_mb MB written, then freed
            start = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def first_query_times() -> tuple[float, float]:
    """Seconds of the first query in a new process: compiling, then from the cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        times = []
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", FIRST_QUERY], env=env, check=True,
                                  capture_output=True, text=True)
            times.append(float(done.stdout.split()[-1]))
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--shape", type=int, nargs=3, default=(100, 100, 30))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true",
                        help="skip timing the compilation in child processes")
    args = parser.parse_args()
    n, shape, repeat = args.samples, tuple(args.shape), args.repeat
    if args.quick:
        n, shape, repeat = 2_000, (20, 20, 10), 1
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    rng = np.random.default_rng(3)
    xyz = rng.uniform(0.0, 1.0, (n, 3)) * EXTENT
    axes = [(np.arange(s) + 0.5) * e / s for s, e in zip(shape, EXTENT, strict=True)]
    centres = np.column_stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")])
    m = centres.shape[0]
    n_holes = max(1, n // 40)
    hole_xyz, holes = drillholes(rng, n_holes, 40)
    print(f"{n:,} samples (uniform; or {n_holes:,} holes x 40) -> {m:,} block centres, {K} "
          f"samples, ellipsoid {RANGES[0]:g}/{RANGES[1]:g}/{RANGES[2]:g} m (best of {repeat}, "
          f"interleaved)")

    def search(radius: float, octant: int | None = None, samples: np.ndarray = xyz):
        return NeighbourSearch(samples, Neighbourhood(K, ranges=RANGES, radius=radius,
                                                      max_per_octant=octant))

    plain = search(np.inf)
    hole_plain = search(1.5, samples=hole_xyz)
    hole_octant = search(1.5, 8, hole_xyz)
    cases = {
        "bare": lambda: plain.tree.query(plain.neighbourhood.transform(centres), k=K,
                                         workers=-1),
        "plain r=inf": plain.query,
        "plain r=1.5": search(1.5).query,
        "octant 8 r=1.5": search(1.5, 8).query,
        "octant 8 r=inf": search(np.inf, 8).query,
        "bare holes": lambda: hole_plain.tree.query(hole_plain.neighbourhood.transform(centres),
                                                    k=K, workers=-1),
        "4/hole r=1.5": lambda targets: hole_plain._select(targets, groups=holes,
                                                           max_per_group=4),
        "4/hole+8/oct r=1.5": lambda targets: hole_octant._select(targets, groups=holes,
                                                                  max_per_group=4),
    }
    for name, func in cases.items():  # compile (or load) the kernels first
        if not name.startswith("bare"):
            func(centres[:100])
    best = best_of_interleaved_warm(
        {name: (func if name.startswith("bare") else lambda f=func: f(centres))
         for name, func in cases.items()},
        repeat,
    )
    for name, seconds in best.items():
        bare = best["bare holes" if "hole" in name else "bare"]
        print(f"  {name:<19}: {seconds:7.3f} s ({seconds / m * 1e6:5.2f} us per target, "
              f"{seconds / bare:5.2f} x bare)")
    found = hole_plain._select(centres, groups=holes, max_per_group=4)
    print(f"  4/hole: {np.mean(found.count):.1f} samples per target on average")

    # Worst case: top layer, 4 per octant: 16 from the 4 lower octants, the rest from
    # the few samples above the blocks, searched up to the radius.
    top = centres[centres[:, 2] == centres[:, 2].max()]
    middle = centres[centres[:, 2] == np.unique(centres[:, 2])[shape[2] // 2]]
    sparse = NeighbourSearch(xyz, Neighbourhood(K, ranges=RANGES, radius=1.5,
                                                max_per_octant=4))
    layers = best_of_interleaved_warm(
        {
            "bare top": lambda: plain.tree.query(plain.neighbourhood.transform(top), k=K,
                                                 workers=-1),
            "4/octant middle": lambda: sparse.query(middle),
            "4/octant top": lambda: sparse.query(top),
        },
        repeat,
    )
    within = plain.tree.query_ball_point(sparse.neighbourhood.transform(top), 1.5,
                                         return_length=True, workers=-1)
    print(f"worst case, max_per_octant=4, r=1.5, one layer of {top.shape[0]:,} blocks "
          f"({np.median(within):.0f} samples within the radius of a top block, median):")
    for name, seconds in layers.items():
        print(f"  {name:<19}: {seconds:7.3f} s ({seconds / top.shape[0] * 1e6:6.1f} us per "
              f"target, {seconds / layers['bare top']:6.2f} x bare)")
    print(f"  samples found, top layer: {np.mean(sparse.query(top).count):.1f} on average; "
          f"peak RSS {max_rss_mb():.0f} MB")
    if not (args.quick or args.no_compile):
        cold, warm = first_query_times()
        print(f"first query in a new process: {cold:.2f} s compiling the kernels, "
              f"{warm:.2f} s with them cached")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
