"""
Block coding against a closed mesh: raremin's exact method and vertical rays against trimesh.

A perturbed torus of ``2 x u x v`` triangles (default 200 x 150: 60,000 triangles; major
radius 1,000 m, tube radius 350 m, the tube radius modulated by +-8 %) is coded onto a
100 x 100 x 100 grid (1,000,000 blocks) covering it with
``raremin.domains.block_proportions``, by its two methods, timed interleaved (best of
``--repeat``):

* ``method="exact"`` (the default for a closed solid): the solid's volume in each block,
  from the divergence theorem over the triangles clipped to each block column;
* ``method="rays"``: 4 x 4 vertical rays per block column (160,000 rays), exact vertical
  fractions, the plan sampled.

The times include nothing but the coding (the Solid's checks when it is built are timed
apart). The coded volumes are compared with the mesh volume.

The peer is ``trimesh.Trimesh.contains`` on the block centres: a point-in-mesh test (ray
tests through rtree) that answers less (inside or not, no proportion). It is slow and
memory hungry at this size (10,000 points against 20,000 faces took 16 s and 8 GB here),
so it runs on a random subset of the centres (``--subset``, in chunks of ``--chunk``) and
its time is extrapolated per point to the 1,000,000 centres; the output says so. The
ratio is (trimesh's extrapolated time for every centre) / (raremin's exact coding time;
target >= 10x). Peak memory: the largest traced allocation (tracemalloc, which numpy
reports to) of one exact coding, and the process's max RSS after raremin's codings,
before trimesh runs (target < 2 GB). The inside/outside answers are compared on the
subset (raremin's ``Solid.contains``).

Run: ``python benchmarks/bench_domains.py [--quick] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from _timing import best_of_interleaved, max_rss_mb

from raremin.domains import Solid, block_proportions
from raremin.grid import BlockGrid

BIG_R, SMALL_R = 1000.0, 350.0


def perturbed_torus(n_u: int, n_v: int) -> tuple[np.ndarray, np.ndarray]:
    """A closed torus mesh of 2 * n_u * n_v triangles with a wavy tube."""
    u = 2 * np.pi * np.arange(n_u) / n_u
    v = 2 * np.pi * np.arange(n_v) / n_v
    uu, vv = np.meshgrid(u, v, indexing="ij")
    tube = SMALL_R * (1 + 0.08 * np.sin(3 * uu) * np.cos(2 * vv))
    rho = BIG_R + tube * np.cos(vv)
    verts = np.column_stack([(rho * np.cos(uu)).ravel(), (rho * np.sin(uu)).ravel(),
                             (300.0 + tube * np.sin(vv)).ravel()])
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n_u), np.arange(n_v), indexing="ij"))
    a = i * n_v + j
    b = ((i + 1) % n_u) * n_v + j
    c = ((i + 1) % n_u) * n_v + (j + 1) % n_v
    d = i * n_v + (j + 1) % n_v
    faces = np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])
    return verts, faces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=100, help="blocks per axis")
    parser.add_argument("--u", type=int, default=200, help="segments around the torus")
    parser.add_argument("--v", type=int, default=150, help="segments around the tube")
    parser.add_argument("--subcells", type=int, default=4)
    parser.add_argument("--subset", type=int, default=3000,
                        help="block centres given to trimesh.contains")
    parser.add_argument("--chunk", type=int, default=500, help="points per trimesh call")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.blocks, args.u, args.v, args.subset, args.chunk = 30, 40, 30, 200, 100

    verts, faces = perturbed_torus(args.u, args.v)
    start = time.perf_counter()
    solid = Solid.from_arrays(verts, faces, name="torus")
    t_build = time.perf_counter() - start
    lo, hi = np.array(solid.bounds[:3]), np.array(solid.bounds[3:])
    n = args.blocks
    grid = BlockGrid(lo, (hi - lo) / n, (n, n, n))

    def code(method: str) -> tuple[np.ndarray, np.ndarray]:
        return block_proportions(grid, solid, subcells=args.subcells, method=method)

    tracemalloc.start()
    index, proportion = code("exact")  # warm up
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ray_index, ray_proportion = code("rays")
    times = best_of_interleaved({"exact": lambda: code("exact"), "rays": lambda: code("rays")},
                                args.repeat)
    rss = max_rss_mb()
    t_ours = times["exact"]
    coded = float(proportion.sum() * grid.block_volume_m3)
    coded_rays = float(ray_proportion.sum() * grid.block_volume_m3)

    print(f"mesh: perturbed torus, {len(solid.faces):,} triangles, volume "
          f"{solid.volume_m3:,.0f} m3; built and checked in {t_build:.2f} s")
    print(f"grid: {n} x {n} x {n} = {grid.n_blocks:,} blocks")
    print(f"raremin block_proportions exact: {t_ours:.3f} s (best of {args.repeat}); "
          f"{len(index):,} blocks touched; coded volume {coded:,.3f} m3 "
          f"({coded / solid.volume_m3 - 1:+.2e} of the mesh volume)")
    print(f"raremin block_proportions rays ({args.subcells} x {args.subcells} per column, "
          f"{(n * args.subcells) ** 2:,} rays): {times['rays']:.3f} s; "
          f"{len(ray_index):,} blocks touched; coded volume {coded_rays:,.0f} m3 "
          f"({coded_rays / solid.volume_m3 - 1:+.3%} of the mesh volume)")
    print(f"ratio exact / rays time: {t_ours / times['rays']:.2f}")
    print(f"raremin peak memory: exact coding {traced / 1024**2:,.0f} MB traced; max RSS after "
          f"both codings {rss:,.0f} MB (target < 2,048 MB)")

    import trimesh

    mesh = trimesh.Trimesh(solid.vertices, solid.faces, process=False)
    rng = np.random.default_rng(0)
    pick = rng.choice(grid.n_blocks, size=min(args.subset, grid.n_blocks), replace=False)
    centres = grid.index_to_coords(pick)
    mesh.contains(centres[:10])  # builds trimesh's ray-intersector index (not timed)
    start = time.perf_counter()
    theirs = np.concatenate([mesh.contains(centres[k:k + args.chunk])
                             for k in range(0, len(centres), args.chunk)])
    t_subset = time.perf_counter() - start
    per_point = t_subset / len(centres)
    t_theirs = per_point * grid.n_blocks
    ours = solid.contains(centres)
    agree = float(np.mean(ours == theirs))
    print(f"trimesh Trimesh.contains: {t_subset:.2f} s for {len(centres):,} block centres "
          f"(chunks of {args.chunk}), {per_point * 1e3:.3f} ms per point -> EXTRAPOLATED "
          f"{t_theirs:,.0f} s for all {grid.n_blocks:,} centres")
    print(f"inside/outside agreement on the subset (raremin Solid.contains vs trimesh): "
          f"{agree:.2%}")
    print(f"ratio trimesh contains (extrapolated) / raremin exact coding: "
          f"{t_theirs / t_ours:,.0f}x (target >= 10x)")


if __name__ == "__main__":
    main()
