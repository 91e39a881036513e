"""
Estimation of a block model larger than memory on Dask: wall time, memory per worker,
equality with the in-memory path, and scaling from one worker to two, in one run.

(a) A grid of ``--blocks`` blocks (10 x 10 x 5 m; 60 levels) clipped to one box-shaped
zone covering it (density 2.6 t/m3) is built lazily in chunks of ``--chunk`` blocks
(``BlockModel.from_deposit(..., chunks=)``), ordinary kriging with ``--samples`` samples,
``--neighbours`` nearest neighbours and a spherical model estimates it
(``estimate()``), and the estimates are reduced on the cluster to a grade-tonnage table
(``grade_tonnage()`` of Dask arrays): nothing of the model's size reaches the client. It
runs on a ``distributed.LocalCluster`` of two single-threaded worker processes, each
pinned to its own core (so the kriging kernels use one thread; NUMBA_NUM_THREADS=1 too;
RAREMIN_KERNELS=compiled: the compiled kernels whatever the cache).
Prints the wall time and the peak resident memory of each worker (``ru_maxrss``;
target < 1.5 GB).

(b) On a model of ``--equal-blocks`` blocks, the same estimate in memory (in this
process) and lazily (on the cluster): the largest relative difference of every array
(target <= 1e-12) and of the grade-tonnage table.

(c) Throughput (blocks per second: coding, kriging and grade-tonnage on the cluster, the
fit excluded) of one single-threaded worker and of two on a model of
``--throughput-blocks`` blocks in chunks of ``--throughput-chunk``; prints the speed-up
(target >= 1.6x) with the machine's load average (``os.getloadavg``) before and after: on
a shared machine other work lowers it.

Run: ``python benchmarks/bench_dask.py [--quick] [--blocks N] [--chunk N] [--samples N]
[--neighbours K] [--equal-blocks N] [--throughput-blocks N] [--skip-full]``
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import time

import numpy as np
import pandas as pd
from shapely import box

from raremin.deposit import Zone
from raremin.estimation import estimate
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood
from raremin.grid import BlockGrid, BlockModel
from raremin.tonnage import grade_tonnage

BLOCK = (10.0, 10.0, 5.0)
LEVELS = 60
CUTOFFS = np.linspace(0.0, 1.0, 41)


def model_of(blocks: int, levels: int) -> tuple[Zone, BlockGrid]:
    """A grid of about `blocks` blocks and one zone filling it."""
    side = max(1, int(round(math.sqrt(blocks / levels))))
    grid = BlockGrid((0.0, 0.0, 0.0), BLOCK, (side, side, levels))
    x1, y1, z1 = (n * s for n, s in zip(grid.shape, BLOCK, strict=True))
    return Zone("ore", box(0.0, 0.0, x1, y1), z1, 0.0, 2.6), grid


def samples_in(zone: Zone, n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x0, y0, z0, x1, y1, z1 = zone.bounds
    xyz = rng.uniform([x0, y0, z0], [x1, y1, z1], (n, 3))
    trend = 0.2 + 0.2 * np.sin(xyz[:, 0] / 700.0) * np.cos(xyz[:, 1] / 900.0)
    grade = trend * rng.lognormal(-0.08, 0.4, n)
    frame = pd.DataFrame(xyz, columns=["easting_m", "northing_m", "elevation_m"])
    frame["cu_pct"] = np.clip(grade, 1e-4, None)
    frame["zone"] = zone.name
    return frame


def kriging(neighbours: int) -> Kriging:
    model = VariogramModel(0.1, [Structure("spherical", 0.9, (1500.0, 1500.0, 150.0))])
    return Kriging(model, Neighbourhood(max_samples=neighbours))


def table(model: BlockModel):
    return grade_tonnage(model.arrays["cu_pct"], model.tonnage_t(), CUTOFFS, unit="pct",
                         basis="element", grade_name="cu")


def _pin(core: int) -> int:
    os.sched_setaffinity(0, {core})
    return core


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def workers_cpu_s(client) -> float:
    """CPU seconds used so far by every worker process together."""
    return float(sum(client.run(_cpu_s).values()))


def start_cluster(n_workers: int):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, env={"NUMBA_NUM_THREADS": "1",
                                                         "RAREMIN_KERNELS": "compiled"})
    client = Client(cluster)
    cores = sorted(os.sched_getaffinity(0))
    for i, worker in enumerate(sorted(client.scheduler_info()["workers"])):
        client.run(_pin, cores[i % len(cores)], workers=[worker])
    return cluster, client


def lazy_model(zone: Zone, grid: BlockGrid, samples: pd.DataFrame, neighbours: int,
               chunk: int) -> BlockModel:
    """The lazy model estimated by kriging (the estimators are fitted here, now)."""
    model = BlockModel.from_deposit(zone, grid, chunks=chunk, max_blocks=max(chunk, 1))
    return estimate(model, samples, kriging(neighbours))


def warm_up(neighbours: int) -> None:
    """Load numba's compiled kernel in every worker (a tiny estimate)."""
    zone, grid = model_of(20_000, 10)
    table(lazy_model(zone, grid, samples_in(zone, 500), neighbours, 5_000))


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def full_size(client, args) -> None:
    zone, grid = model_of(args.blocks, args.levels)
    samples = samples_in(zone, args.samples)
    print(f"(a) {grid.n_blocks:,} blocks ({' x '.join(map(str, grid.shape))}), chunks of "
          f"{args.chunk:,}, {args.samples:,} samples, {args.neighbours} neighbours, "
          f"2 workers x 1 thread; load {load()}")
    start = time.perf_counter()
    model = lazy_model(zone, grid, samples, args.neighbours, args.chunk)
    fitted = time.perf_counter()
    cpu = workers_cpu_s(client)
    gt = table(model)
    end = time.perf_counter()
    cpu = workers_cpu_s(client) - cpu
    wall = end - start
    rss = client.run(_peak_rss_mb)
    print(f"    wall time {wall:,.1f} s: fit in this process {fitted - start:,.1f} s, coding, "
          f"kriging and grade-tonnage on the cluster {end - fitted:,.1f} s "
          f"({grid.n_blocks / (end - fitted):,.0f} blocks/s); tonnage above cut-off 0: "
          f"{gt.tonnage_t[0]:,.0f} t (expected {zone.tonnage_t:,.0f} t); the workers got "
          f"{cpu / (2 * (end - fitted)):.0%} of their cores; client peak RSS "
          f"{_peak_rss_mb():,.0f} MB")
    for worker, mb in sorted(rss.items()):
        print(f"    peak RSS {worker}: {mb:,.0f} MB (target < 1,536 MB)")
    print(f"    peak RSS ratio to target: {max(rss.values()) / 1536:.2f}; load after {load()}")


def equality(client, args) -> None:
    zone, grid = model_of(args.equal_blocks, args.levels)
    samples = samples_in(zone, args.samples)
    eager = estimate(BlockModel.from_deposit(zone, grid), samples, kriging(args.neighbours))
    lazy = estimate(BlockModel.from_deposit(zone, grid, chunks=args.equal_chunk),
                    samples, kriging(args.neighbours)).compute()
    worst = 0.0
    for key, a in eager.arrays.items():
        b = lazy.arrays[key].astype(float)
        a = a.astype(float)
        same_nan = np.array_equal(np.isnan(a), np.isnan(b))
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.nanmax(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)) if a.size else 0.0
        worst = max(worst, float(rel) if same_nan else np.inf)
    ta, tb = table(eager), table(lazy)
    above = ta.tonnage_t > 0
    gt_rel = float(np.max(np.abs(ta.tonnage_t - tb.tonnage_t)[above] / ta.tonnage_t[above]))
    print(f"(b) {grid.n_blocks:,} blocks: lazy vs in memory, max relative difference of "
          f"every array {worst:.2e} (target <= 1e-12), of the grade-tonnage table "
          f"{gt_rel:.2e}")


def throughput(args) -> None:
    zone, grid = model_of(args.throughput_blocks, args.levels)
    samples = samples_in(zone, args.samples)
    rates, per_cpu = {}, {}
    for n_workers in (1, 2):
        cluster, client = start_cluster(n_workers)
        try:
            warm_up(args.neighbours)
            model = lazy_model(zone, grid, samples, args.neighbours, args.throughput_chunk)
            before = load()
            cpu = workers_cpu_s(client)
            start = time.perf_counter()
            table(model)
            wall = time.perf_counter() - start
            cpu = workers_cpu_s(client) - cpu
            rates[n_workers] = grid.n_blocks / wall
            per_cpu[n_workers] = grid.n_blocks / cpu
            print(f"(c) {n_workers} worker(s) x 1 thread: {grid.n_blocks:,} blocks in "
                  f"{wall:,.1f} s = {rates[n_workers]:,.0f} blocks/s; the workers got "
                  f"{cpu / (wall * n_workers):.0%} of their cores ({grid.n_blocks / cpu:,.0f} "
                  f"blocks per CPU-second); load {before} before, {load()} after")
        finally:
            client.close()
            cluster.close()
    print(f"(c) speed-up of 2 workers over 1: {rates[2] / rates[1]:.2f}x (target >= 1.6x) "
          f"on {os.cpu_count()} CPUs; load average now {load()}")
    print(f"(c) blocks per CPU-second, 2 workers / 1 worker: {per_cpu[2] / per_cpu[1]:.2f} "
          f"(the parallel overhead); the speed-up two whole cores would give at that rate: "
          f"{2 * per_cpu[2] / per_cpu[1]:.2f}x (derived, not measured)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=30_000_000)
    parser.add_argument("--chunk", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--neighbours", type=int, default=32)
    parser.add_argument("--levels", type=int, default=LEVELS)
    parser.add_argument("--equal-blocks", type=int, default=1_000_000)
    parser.add_argument("--equal-chunk", type=int, default=100_000)
    parser.add_argument("--throughput-blocks", type=int, default=4_000_000)
    parser.add_argument("--throughput-chunk", type=int, default=250_000)
    parser.add_argument("--skip-full", action="store_true", help="skip (a)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    args = parser.parse_args()
    os.environ["RAREMIN_KERNELS"] = "compiled"  # here and in the workers: the kernels
    if args.quick:
        args.blocks, args.chunk, args.samples, args.neighbours = 60_000, 10_000, 1_000, 16
        args.levels, args.equal_blocks, args.equal_chunk = 12, 20_000, 5_000
        args.throughput_blocks, args.throughput_chunk = 40_000, 5_000
    cluster, client = start_cluster(2)
    try:
        warm_up(args.neighbours)
        if not args.skip_full:
            full_size(client, args)
        equality(client, args)
    finally:
        client.close()
        cluster.close()
    throughput(args)


if __name__ == "__main__":
    main()
