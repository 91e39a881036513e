"""
Automatic 3D variogram: linear cost, and its time against ordinary kriging of the blocks.

1. Cost: ``auto_variogram`` on drillhole samples of a synthetic dipping deposit
   (vertical holes on a square grid, samples every 3 m down 300 m; a Gaussian random
   field with major axis azimuth 60, dip -30, ranges 300/150/40 m, made of summed
   random cosines), with ``--n-large`` samples against ``--n-small`` samples, in one
   run (best of ``--repeat``, interleaved). Target: the ratio of the times is at most
   12 (10 times the samples).
2. Against kriging, on the bundled synthetic Kuirektykol samples, zone by zone (TREE =
   sum of the ``*_ppm`` columns): ``auto_variogram`` of the zone's samples against
   ``Kriging(model, Neighbourhood(max_samples=32, min_samples=4, ranges, angles,
   radius=1.5, max_per_octant=8)).fit(samples).predict(block centres)`` with the
   model found, the blocks of ``BlockModel.from_deposit`` on ``BlockGrid.covering``
   (``--block`` sizes, default 25 x 25 x 10 m, as ``raremin.workflow.assess``).
   Target: the variogram takes at most 0.5 x the kriging time.

Run: ``python benchmarks/bench_autovariogram.py [--quick] [--repeat 3]``
(``--quick``: 500 and 5,000 samples and 100 x 100 x 20 m blocks, for a smoke test).
"""

from __future__ import annotations

import argparse
import dataclasses
import math

import numpy as np
from _timing import best_of_interleaved

import raremin
from raremin.deposit import Deposit
from raremin.geostats.autovariogram import auto_variogram
from raremin.geostats.kriging import Kriging
from raremin.geostats.neighbourhood import Neighbourhood, anisotropy_matrix
from raremin.grid import BlockGrid, BlockModel


def drillholes(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """About `n` samples: vertical holes every 3 m down 300 m on a square grid, 1 km wide."""
    per_hole = 100
    side = max(2, round(math.sqrt(n / per_hole)))
    axis = np.linspace(0.0, 1000.0, side)
    gx, gy = np.meshgrid(axis, axis, indexing="ij")
    depth = -1.5 - 3.0 * np.arange(per_hole)
    xyz = np.column_stack([np.repeat(gx.ravel(), per_hole), np.repeat(gy.ravel(), per_hole),
                           np.tile(depth, gx.size)])
    holes = np.repeat(np.arange(gx.size), per_hole)
    # A Gaussian random field: cosines with wave vectors from the Gaussian spectral density.
    a = anisotropy_matrix((300.0, 150.0, 40.0), (60.0, -30.0, 0.0))
    waves = math.sqrt(6.0) * rng.standard_normal((300, 3)) @ a
    phase = rng.uniform(0.0, 2.0 * math.pi, 300)
    values = math.sqrt(2.0 / 300) * np.cos(xyz @ waves.T + phase).sum(axis=1)
    values += 0.3 * rng.standard_normal(values.size)
    return xyz, values, holes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n-small", type=int, default=5_000)
    parser.add_argument("--n-large", type=int, default=50_000)
    parser.add_argument("--block", type=float, nargs=3, default=(25.0, 25.0, 10.0))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (500 / 5,000 samples, 100 x 100 x 20 m blocks)")
    args = parser.parse_args()
    if args.quick:
        args.n_small, args.n_large, args.block = 500, 5_000, (100.0, 100.0, 20.0)

    # ------------------------------------------------------------------ 1. linear cost
    rng = np.random.default_rng(args.seed)
    small = drillholes(args.n_small, rng)
    large = drillholes(args.n_large, rng)
    results = {}

    def run(data: tuple[np.ndarray, np.ndarray, np.ndarray], key: str) -> None:
        results[key] = auto_variogram(data[0], data[1], holes=data[2], seed=args.seed)

    run(small, "small")  # warm up
    times = best_of_interleaved({"small": lambda: run(small, "small"),
                                 "large": lambda: run(large, "large")}, args.repeat)
    ratio = times["large"] / times["small"]
    verdict = "met" if ratio <= 12 * len(large[1]) / len(small[1]) / 10 else "NOT met"
    print(f"auto_variogram, synthetic dipping deposit (best of {args.repeat})")
    for key, (xyz, _, _) in (("small", small), ("large", large)):
        r = results[key]
        print(f"  {len(xyz):>7,} samples: {times[key]:7.3f} s, {r.n_pairs:>9,} pairs; "
              f"{r.describe()}")
    print(f"  cost ratio large / small       : {ratio:7.2f}x for "
          f"{len(large[1]) / len(small[1]):.1f}x the samples (target <= 12x for 10x: "
          f"{verdict})")

    # ------------------------------------------------------------------ 2. vs kriging
    data = raremin.load_kuirektykol()
    deposit = Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    grid = BlockGrid.covering(deposit, tuple(args.block))
    blocks = BlockModel.from_deposit(deposit, dataclasses.replace(grid, crs=deposit.crs))
    samples = data.samples
    grades = [c for c in samples.columns if c.endswith("_ppm")]
    print(f"auto_variogram against ordinary kriging of the blocks, bundled synthetic "
          f"Kuirektykol (blocks {' x '.join(f'{b:g}' for b in args.block)} m, best of "
          f"{args.repeat})")
    for code, zone in enumerate(blocks.zone_names):
        rows = samples[samples["zone"] == zone]
        xyz = rows[["easting_m", "northing_m", "elevation_m"]].to_numpy()
        tree = rows[grades].to_numpy().sum(axis=1)
        holes = rows["hole_id"].to_numpy()
        targets = blocks.centres()[blocks.zone_code == code]
        found = auto_variogram(xyz, tree, holes=holes, seed=args.seed)
        outer = max(found.model.structures, key=lambda s: s.ranges[0])
        search = Neighbourhood(max_samples=32, min_samples=4, ranges=outer.ranges,
                               angles=outer.angles, radius=1.5, max_per_octant=8)
        t = best_of_interleaved({
            "variogram": lambda xyz=xyz, tree=tree, holes=holes: auto_variogram(
                xyz, tree, holes=holes, seed=args.seed),
            "kriging": lambda xyz=xyz, tree=tree, targets=targets, search=search, found=found:
                Kriging(found.model, search).fit(xyz, tree).predict(targets),
        }, args.repeat)
        share = t["variogram"] / t["kriging"]
        verdict = "met" if share <= 0.5 else "NOT met"
        print(f"  {zone}: {len(xyz):,} samples, {len(targets):,} blocks; {found.describe()}")
        print(f"    auto_variogram {t['variogram']:7.3f} s, kriging {t['kriging']:7.3f} s, "
              f"ratio {share:5.2f}x (target <= 0.5x: {verdict})")


if __name__ == "__main__":
    main()
