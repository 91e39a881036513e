"""
Exact octant search against the old pooled approximation and a bare KD-tree query.

The 3D case of ``bench_kriging.py``: 20,000 samples uniform in 10 km x 10 km x 300 m,
300,000 block centres (100 x 100 x 30), search ellipsoid 2,000/2,000/100 m, 32
samples. Timed, best of ``--repeat`` interleaved rounds, on one prebuilt search:

- ``bare``: ``cKDTree.query(k=32)`` on the transformed coordinates (no rule at all);
- ``plain``: ``NeighbourSearch.query`` without octants (exact ties, metric distances);
- ``exact``: ``NeighbourSearch.query`` with ``max_per_octant=8``;
- ``approx``: the search raremin used before, written out here: the octant rule applied
  to the 4 x 32 nearest samples only (fewer samples than the rule allows wherever an
  octant is sparse).

with a radius of 1.5 ranges and with no radius. Then the worst case: the top layer of
blocks (no sample above most of them) with ``max_per_octant=4``, where the lower octants
cannot supply 32 samples and every such target is searched up to the radius. Prints
times, ratios and how many targets the approximation shortchanges.

Run: ``python benchmarks/bench_neighbourhood.py [--quick] [--repeat 3]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_of_interleaved, max_rss_mb

from raremin.geostats.neighbourhood import Neighbourhood, Neighbours, NeighbourSearch

K = 32
RANGES = (2000.0, 2000.0, 100.0)
EXTENT = np.array([10_000.0, 10_000.0, 300.0])


def approximate(search: NeighbourSearch, targets: np.ndarray, factor: int = 4) -> np.ndarray:
    """Sample indices (m, k) of the old search: the octant rule inside the factor x k pool."""
    nb = search.neighbourhood
    n, k = search.n_samples, nb.max_samples
    t = nb.transform(targets)
    pool = min(factor * k, n)
    bound = np.nextafter(nb.radius, np.inf) if np.isfinite(nb.radius) else np.inf
    out = np.full((t.shape[0], k), -1, dtype=np.intp)
    for start in range(0, t.shape[0], 65536):
        tc = t[start : start + 65536]
        _, i = search.tree.query(tc, k=pool, distance_upper_bound=bound, workers=-1)
        found = i < n
        diff = search.tree.data[np.where(found, i, 0)] - tc[:, None, :]
        sector = np.where(found, ((diff >= 0) << np.arange(3)).sum(axis=-1), 8)
        order = np.argsort(sector, axis=1, kind="stable")
        ordered = np.take_along_axis(sector, order, axis=1)
        position = np.broadcast_to(np.arange(pool), ordered.shape)
        first = np.ones(ordered.shape, dtype=bool)
        first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        start_of = np.maximum.accumulate(np.where(first, position, 0), axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, position - start_of, axis=1)
        keep = found & (rank < nb.max_per_octant)
        pick = np.argsort(~keep, axis=1, kind="stable")[:, :k]
        kept = np.take_along_axis(keep, pick, axis=1)
        out[start : start + tc.shape[0]] = np.where(kept, np.take_along_axis(i, pick, axis=1), -1)
    return out


def compare(label: str, exact: Neighbours, approx: np.ndarray) -> None:
    fewer = int(np.count_nonzero(np.count_nonzero(approx >= 0, axis=1) < exact.count))
    differ = int(np.count_nonzero(np.any(np.sort(approx, 1) != np.sort(exact.index, 1), 1)))
    print(f"  {label}: approximation gives fewer samples to {fewer:,} targets, other "
          f"samples to {differ:,} of {exact.count.size:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--shape", type=int, nargs=3, default=(100, 100, 30))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, shape, repeat = args.samples, tuple(args.shape), args.repeat
    if args.quick:
        n, shape, repeat = 2_000, (20, 20, 10), 1
    rng = np.random.default_rng(3)
    xyz = rng.uniform(0.0, 1.0, (n, 3)) * EXTENT
    axes = [(np.arange(s) + 0.5) * e / s for s, e in zip(shape, EXTENT, strict=True)]
    centres = np.column_stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")])
    m = centres.shape[0]
    print(f"{n:,} samples -> {m:,} block centres, {K} samples, ellipsoid "
          f"{RANGES[0]:g}/{RANGES[1]:g}/{RANGES[2]:g} m (best of {repeat}, interleaved)")

    plain = NeighbourSearch(xyz, Neighbourhood(K, ranges=RANGES, radius=np.inf))
    searches = {
        radius: NeighbourSearch(xyz, Neighbourhood(K, ranges=RANGES, radius=radius,
                                                   max_per_octant=8))
        for radius in (1.5, np.inf)
    }
    tree = plain.tree

    def bare() -> object:
        return tree.query(plain.neighbourhood.transform(centres), k=K, workers=-1)

    funcs = {"bare": bare, "plain": lambda: plain.query(centres)}
    for radius, search in searches.items():
        funcs[f"exact r={radius:g}"] = lambda s=search: s.query(centres)
        funcs[f"approx r={radius:g}"] = lambda s=search: approximate(s, centres)
    best = best_of_interleaved(funcs, repeat)
    for name, seconds in best.items():
        print(f"  {name:<16}: {seconds:7.2f} s ({seconds / m * 1e6:5.1f} us per target, "
              f"{seconds / best['bare']:5.2f} x bare)")
    for radius, search in searches.items():
        r = f"r={radius:g}"
        print(f"  exact / approx, {r:<6}: {best['exact ' + r] / best['approx ' + r]:5.2f}")
        compare(r, search.query(centres), approximate(search, centres))

    # Worst case: top layer, 4 per octant: 16 from the 4 lower octants, the rest from
    # the few samples above the blocks, searched up to the radius.
    top = centres[centres[:, 2] == centres[:, 2].max()]
    middle = centres[centres[:, 2] == np.unique(centres[:, 2])[shape[2] // 2]]
    sparse = NeighbourSearch(xyz, Neighbourhood(K, ranges=RANGES, radius=1.5,
                                                max_per_octant=4))
    layers = best_of_interleaved(
        {
            "bare top": lambda: tree.query(plain.neighbourhood.transform(top), k=K,
                                           workers=-1),
            "4/octant middle": lambda: sparse.query(middle),
            "4/octant top": lambda: sparse.query(top),
        },
        repeat,
    )
    within = tree.query_ball_point(sparse.neighbourhood.transform(top), 1.5,
                                   return_length=True, workers=-1)
    print(f"worst case, max_per_octant=4, r=1.5, one layer of {top.shape[0]:,} blocks "
          f"({np.median(within):.0f} samples within the radius of a top block, median):")
    for name, seconds in layers.items():
        print(f"  {name:<16}: {seconds:7.3f} s ({seconds / top.shape[0] * 1e6:6.1f} us per "
              f"target, {seconds / layers['bare top']:6.2f} x bare)")
    print(f"  samples found, top layer: {np.mean(sparse.query(top).count):.1f} on average; "
          f"peak RSS {max_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
