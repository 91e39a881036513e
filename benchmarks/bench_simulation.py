"""
Sequential Gaussian simulation: raremin against GSTools and against one kriging pass.

(a) One realisation, 500 conditioning data -> a 100 x 100 grid (spherical model, nugget
0.1 + sill 0.9, range 30 nodes): raremin's ``SequentialGaussian.simulate`` (16 data and
16 node neighbours, as the GeostatsPy run) against GSTools' ``CondSRF`` (conditioned
random field: an unconditional field plus a kriged correction with global kriging), best of
``--repeat``, interleaved; the ratio (target: raremin >= 5x faster). GeostatsPy's
``sgsim`` (target: raremin >= 20x faster) runs in its own environment through
``peer_geostatspy_sgsim.py`` when ``--geostatspy-python`` names a Python that has it.

(b) 3D, 100 x 100 x 50 nodes (500,000), 20,000 data, 100 realisations sharing one path
(the defaults: 16 data and 32 node neighbours):
seconds, peak resident memory (target < 2 GB), and the ratio to one ordinary-kriging
pass over the same nodes with 32 neighbours (``Kriging.fit`` + ``predict``; target
<= 10x).

Run: ``python benchmarks/bench_simulation.py [--quick] [--repeat 3]
[--geostatspy-python PATH]``
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _timing import best_of_interleaved, max_rss_mb

from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood
from raremin.geostats.simulation import SequentialGaussian
from raremin.grid import BlockGrid


def bench_2d(n_data: int, side: int, repeat: int, geostatspy: str | None) -> None:
    import gstools as gs

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, side, (n_data, 2))
    values = rng.standard_normal(n_data)
    rng_nodes = 0.3 * side
    model = VariogramModel(0.1, [Structure("spherical", 0.9, rng_nodes)])
    grid = BlockGrid((0.0, 0.0), (1.0, 1.0), (side, side))
    sgs = SequentialGaussian(model, node_neighbours=16)  # like for like with sgsim
    axis = np.arange(side) + 0.5
    gmodel = gs.Spherical(dim=2, var=0.9, len_scale=rng_nodes, nugget=0.1)
    cond = gs.CondSRF(gs.krige.Simple(gmodel, cond_pos=[xy[:, 0], xy[:, 1]], cond_val=values,
                                      mean=0.0))

    def ours():
        return sgs.simulate(grid, xy, values, 1, seed=1)

    def theirs():  # from the data, as raremin: kriging set-up, generator, one field
        k = gs.krige.Simple(gmodel, cond_pos=[xy[:, 0], xy[:, 1]], cond_val=values, mean=0.0)
        return gs.CondSRF(k).structured([axis, axis], seed=1)

    def theirs_again():  # one more field from a CondSRF already built and used
        return cond.structured([axis, axis], seed=2)

    ours(), theirs(), theirs_again()  # warm up (compilation, caches)
    best = best_of_interleaved({"raremin": ours, "gstools": theirs,
                                "gstools_again": theirs_again}, repeat)
    ratio = best["gstools"] / best["raremin"]
    verdict = "met" if ratio >= 5 else "NOT met"
    print(f"(a) one realisation, {n_data} data -> {side} x {side} grid (best of {repeat})")
    print(f"    raremin SequentialGaussian : {best['raremin']:7.3f} s (from the data)")
    print(f"    GSTools CondSRF            : {best['gstools']:7.3f} s (from the data)")
    print(f"    ratio GSTools / raremin    : {ratio:7.1f}x (target >= 5x: {verdict})")
    print(f"    GSTools, one more field from a built CondSRF: {best['gstools_again']:.3f} s "
          f"(its set-up amortised; raremin draws more realisations on one path instead)")
    if geostatspy is None:
        print("    GeostatsPy sgsim           : not run (give --geostatspy-python, a Python "
              "with geostatspy; 40-52 s in BENCHMARKS.md)")
        return
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer_geostatspy_sgsim.py")
    proc = subprocess.run([geostatspy, script], capture_output=True, text=True, check=True)
    t_gpy = float(proc.stdout.split()[-1])
    ratio = t_gpy / best["raremin"]
    print(f"    GeostatsPy sgsim           : {t_gpy:7.2f} s (its own environment, {sys.platform}; "
          f"16 data, 16 nodes); ratio {ratio:.0f}x (target >= 20x: "
          f"{'met' if ratio >= 20 else 'NOT met'})")


def bench_3d(shape: tuple[int, int, int], n_data: int, n_real: int) -> None:
    rng = np.random.default_rng(0)
    size = (10.0, 10.0, 2.0)
    grid = BlockGrid((0.0, 0.0, 0.0), size, shape)
    extent = np.array(shape) * np.array(size)
    data = rng.uniform(0, 1, (n_data, 3)) * extent
    scores = rng.standard_normal(n_data)
    ranges = (0.3 * extent[0], 0.3 * extent[1], 0.3 * extent[2])
    model = VariogramModel(0.1, [Structure("spherical", 0.9, ranges)])
    before = max_rss_mb()
    start = time.perf_counter()
    SequentialGaussian(model).simulate(grid, data, scores, n_real, seed=1)
    t_sgs = time.perf_counter() - start
    rss = max_rss_mb()
    search = Neighbourhood(32, ranges=ranges, radius=1.0)
    start = time.perf_counter()
    Kriging(model, search).fit(data, scores).predict(grid.centres())
    t_ok = time.perf_counter() - start
    ratio = t_sgs / t_ok
    print(f"(b) 3D {' x '.join(map(str, shape))} = {grid.n_blocks:,} nodes, {n_data:,} data, "
          f"{n_real} realisations on one path")
    print(f"    raremin SequentialGaussian : {t_sgs:7.2f} s "
          f"({t_sgs / n_real:.2f} s per realisation)")
    print(f"    one ordinary-kriging pass  : {t_ok:7.2f} s (32 neighbours)")
    print(f"    ratio                      : {ratio:7.1f}x (target <= 10x: "
          f"{'met' if ratio <= 10 else 'NOT met'})")
    print(f"    peak RSS                   : {rss:7.0f} MB (before {before:.0f} MB; target "
          f"< 2 GB: {'met' if rss < 2048 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--geostatspy-python", help="a Python with geostatspy installed")
    args = parser.parse_args()
    os.environ["RAREMIN_KERNELS"] = "compiled"
    if args.quick:
        bench_2d(100, 40, 1, None)
        bench_3d((20, 20, 10), 500, 5)
    else:
        bench_2d(500, 100, args.repeat, args.geostatspy_python)
        bench_3d((100, 100, 50), 20_000, 100)


if __name__ == "__main__":
    main()
