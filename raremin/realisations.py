"""
Zone-by-zone conditional simulation of a grade into a block model.

:func:`simulate` draws equally probable realisations of one grade for every parcel of a
:class:`~raremin.grid.BlockModel`, zone by zone with hard boundaries (each zone from its
own samples only), by sequential Gaussian simulation
(:class:`~raremin.geostats.simulation.SequentialGaussian`):

1. the zone's grades go to normal scores (:class:`~raremin.geostats.NormalScores`,
   with declustering weights when given);
2. the variogram of the scores is fitted automatically
   (:func:`~raremin.geostats.auto_variogram`) and scaled to a unit sill, unless given;
3. the scores are simulated at the discretisation points of the zone's blocks
   (``discretisation`` points per block and axis, a regular grid finer than the
   blocks), conditioned to the samples at their own locations;
4. the simulated scores are back-transformed to grades, and each block's grade is the
   mean of its points (block support from point simulations).

The result holds the grade as an array of shape ``(n_realisations, n_parcels)``: the
realisation axis leads, as :func:`raremin.uncertainty.realisation_grade_tonnage` takes
it. Other grades are not simulated: each grade simulated on its own would lose the
correlation between grades (co-simulation is not written yet).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from shapely import box
>>> from raremin.deposit import Deposit, Zone
>>> from raremin.estimation import assign_zones
>>> from raremin.grid import BlockGrid, BlockModel
>>> from raremin.realisations import simulate
>>> dep = Deposit("D", [Zone("A", box(0, 0, 200, 200), 20, 0, 2.6)], crs=32643)
>>> rng = np.random.default_rng(0)
>>> samples = pd.DataFrame({"easting_m": rng.uniform(0, 200, 60),
...                         "northing_m": rng.uniform(0, 200, 60),
...                         "elevation_m": rng.uniform(0, 20, 60),
...                         "cu_pct": rng.lognormal(-1, 0.5, 60)})
>>> samples["zone"] = assign_zones(samples, dep)
>>> model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, (25, 25, 20)))
>>> sim = simulate(model, samples, "cu_pct", 4, seed=1, discretisation=(2, 2, 1))
>>> sim.arrays["cu_pct"].shape
(4, 64)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .estimation import COORDINATE_COLUMNS
from .grid import BlockGrid, BlockModel

__all__ = ["simulate"]

_logger = logging.getLogger("raremin.realisations")

def simulate(
    model: BlockModel,
    samples: pd.DataFrame,
    grade: str,
    n_realisations: int,
    *,
    seed: int | None,
    discretisation: Sequence[int] | int = (2, 2, 1),
    variogram: Any = None,
    data_neighbours: int = 16,
    node_neighbours: int = 32,
    weights: str | None = None,
    zone_column: str = "zone",
    coords: Sequence[str] = COORDINATE_COLUMNS,
    path_batch: int | None = None,
    decluster: bool = True,
    store: Any = None,
    overwrite: bool = False,
) -> BlockModel:
    """
    Realisations of `grade` for every parcel of `model`, zone by zone.

    Parameters
    ----------
    model : BlockModel
        The block model (in memory).
    samples : pandas.DataFrame
        Samples (composites) with coordinate columns (m), the grade column and a zone
        column (:func:`raremin.estimation.assign_zones`). Rows where the grade is NaN
        are not used (not assayed).
    grade : str
        The grade column to simulate (its unit is kept: the realisations are in the
        unit of the samples).
    n_realisations : int
        Number of realisations (>= 1).
    seed : int or None
        Seed of every random choice (paths, noise, tie-breaking); zone ``i`` uses an
        independent stream spawned from it. The same seed gives the same realisations.
    discretisation : int or sequence of int, default (2, 2, 1)
        Points simulated per block along each axis; a block's grade is their mean.
    variogram : VariogramModel or mapping of zone name to VariogramModel, optional
        The variogram of the normal scores (sill about 1); default: fitted per zone by
        :func:`~raremin.geostats.auto_variogram` on the scores, scaled to a unit sill.
    data_neighbours, node_neighbours : int, default 16 and 32
        Samples and previously simulated points used at each point.
    weights : str, optional
        Column of declustering weights for the normal-score transform.
    decluster : bool, default True
        Without `weights`: weight each zone's samples by cell declustering in plan
        (:func:`~raremin.geostats.cell_declustering`, GSLIB's cell size minimising the
        declustered mean), so that clustered drilling in rich ground does not raise the
        grade distribution the realisations reproduce.
    zone_column : str, default "zone"
        Column with each sample's zone.
    coords : sequence of str
        Coordinate columns, metres.
    path_batch : int, optional
        Realisations sharing one random path (and so one set of kriging weights);
        default all, or 16 with `store` (see
        :class:`~raremin.geostats.simulation.SequentialGaussian`).
    store : str or path, optional
        A Zarr array to create (``pip install "raremin[dask]"``): the realisations are
        written to it batch by batch (chunks of `path_batch` realisations), so only one
        batch is ever in memory, and the result's `grade` array is a lazy Dask array
        reading from it (the model becomes lazy, one chunk of parcels). Written under a
        temporary name and renamed at the end: it appears whole or not at all.
    overwrite : bool, default False
        With `store`: replace an existing one.

    Returns
    -------
    BlockModel
        `model` with the array `grade` of shape (n_realisations, n_parcels) (lazy with
        `store`), and
        ``attrs["simulation"]``: per zone the number of samples, the variogram of the
        scores and the points simulated.

    Raises
    ------
    InputError
        A missing column, a zone with fewer than 3 samples of the grade, a bad
        parameter.

    Notes
    -----
    Sequential Gaussian simulation with the normal-score transform (Deutsch & Journel
    1998, GSLIB, programs ``nscore``, ``sgsim`` and ``backtr``). The block value is the
    mean of simulated points, so its variance is the block variance the variogram
    implies (to the discretisation's precision), unlike a simulation at block centres.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from shapely import box
    >>> from raremin.deposit import Deposit, Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> dep = Deposit("D", [Zone("A", box(0, 0, 100, 100), 10, 0, 2.6)], crs=32643)
    >>> rng = np.random.default_rng(0)
    >>> samples = pd.DataFrame({"easting_m": rng.uniform(0, 100, 30),
    ...                         "northing_m": rng.uniform(0, 100, 30),
    ...                         "elevation_m": np.full(30, 5.0),
    ...                         "cu_pct": rng.lognormal(-1, 0.5, 30), "zone": "A"})
    >>> model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, (20, 20, 10)))
    >>> vm = VariogramModel(0.1, [Structure("spherical", 0.9, 60.0)])
    >>> sim = simulate(model, samples, "cu_pct", 3, seed=0, variogram=vm)
    >>> sim.arrays["cu_pct"].shape, sim.attrs["simulation"]["zones"]["A"]["points"]
    ((3, 25), 100)
    """
    if model.is_lazy:
        raise InputError("simulate() needs an in-memory block model; call model.compute() "
                         "first (lazy simulation is not written yet)")
    if isinstance(n_realisations, bool) or int(n_realisations) != n_realisations \
            or n_realisations < 1:
        raise InputError(f"n_realisations must be a whole number >= 1; got {n_realisations!r}")
    n_realisations = int(n_realisations)
    grid = model.grid
    disc = _discretisation(discretisation, grid.ndim)
    needed = [*coords, grade, zone_column] + ([weights] if weights else [])
    missing = [c for c in needed if c not in samples.columns]
    if missing:
        raise InputError(f"samples lack the column(s) {missing}; simulate() needs the "
                         f"coordinates {list(coords)}, the grade {grade!r} and the zone column "
                         f"{zone_column!r} (raremin.estimation.assign_zones)")
    streams = np.random.SeedSequence(seed).spawn(len(model.zone_names))
    if store is None:
        out: Any = np.full((n_realisations, model.n_parcels), np.nan)
        return _simulate_into(out, None, model, samples, grade, n_realisations, seed, disc,
                              variogram, data_neighbours, node_neighbours, weights,
                              zone_column, coords, path_batch, streams, decluster)
    from . import _dask

    _dask.require_dask("simulate(store=...)")
    import dask.array as da
    import zarr

    batch = 16 if path_batch is None else int(path_batch)
    with _dask.atomic_directory(store, overwrite) as tmp:
        out = zarr.open_array(str(tmp), mode="w", shape=(n_realisations, model.n_parcels),
                              chunks=(batch, max(model.n_parcels, 1)), dtype="f8",
                              fill_value=np.nan)
        result = _simulate_into(out, out.oindex, model, samples, grade, n_realisations, seed,
                                disc, variogram, data_neighbours, node_neighbours, weights,
                                zone_column, coords, batch, streams, decluster)
    lazy = da.from_zarr(str(store))
    n = model.n_parcels
    block_index, zone_code, proportion = (
        da.from_array(np.asarray(x), chunks=n)
        for x in (model.block_index, model.zone_code, model.proportion))
    arrays = {k: da.from_array(np.asarray(v), chunks=v.shape[:-1] + (n,))
              for k, v in model.arrays.items()}
    arrays[grade] = lazy.rechunk({1: n})
    return BlockModel(model.grid, model.zone_names, block_index, zone_code, proportion, arrays,
                      result.attrs)


def _simulate_into(out: Any, writer: Any, model: BlockModel, samples: pd.DataFrame, grade: str,
                   n_realisations: int, seed: Any, disc: np.ndarray, variogram: Any,
                   data_neighbours: int, node_neighbours: int, weights: str | None,
                   zone_column: str, coords: Sequence[str], path_batch: int | None,
                   streams: list[Any], decluster: bool) -> BlockModel:
    """Simulate zone by zone into `out` (a numpy array, or a Zarr array with `writer`)."""
    from .geostats.anamorphosis import NormalScores
    from .geostats.simulation import SequentialGaussian

    grid = model.grid
    fine = BlockGrid(grid.origin, tuple(np.asarray(grid.block_size) / disc),
                     tuple(np.asarray(grid.shape) * disc), crs=grid.crs)
    report: dict[str, Any] = {}
    zone_values = samples[zone_column].astype(str).to_numpy()
    for code, zone in enumerate(model.zone_names):
        parcels = np.flatnonzero(np.asarray(model.zone_code) == code)
        if parcels.size == 0:
            continue
        rows = (zone_values == zone) & samples[grade].notna().to_numpy()
        if rows.sum() < 3:
            raise InputError(f"zone {zone!r} has {int(rows.sum())} sample(s) of {grade!r}; "
                             f"simulation needs at least 3 (drop the zone from the model or "
                             f"give it samples)")
        xyz = samples.loc[rows, list(coords)].to_numpy(dtype=float)
        values = samples.loc[rows, grade].to_numpy(dtype=float)
        if weights is not None:
            w = samples.loc[rows, weights].to_numpy(dtype=float)
        elif decluster and rows.sum() >= 10:
            from .geostats.declustering import cell_declustering

            w = cell_declustering(xyz[:, :2], values).weights
        else:
            w = None
        stream = streams[code]
        ties_seed, path_seed = stream.spawn(2)
        scores = NormalScores().fit(values, w, seed=ties_seed)
        model_ns, how = _score_variogram(variogram, zone, xyz, scores.scores_, ties_seed)
        nodes = _nodes(grid, fine, np.asarray(model.block_index)[parcels], disc)
        mask = np.zeros(fine.n_blocks, dtype=bool)
        mask[nodes] = True
        sgs = SequentialGaussian(model_ns, data_neighbours=data_neighbours,
                                 node_neighbours=node_neighbours)
        # Active nodes come in flat-index order; `nodes` is sorted by parcel.
        order = np.searchsorted(np.flatnonzero(mask), nodes)
        points = int(np.prod(disc))
        for rows_r, y in sgs.batches(fine, xyz, scores.scores_, n_realisations,
                                     seed=int(path_seed.generate_state(1)[0]), mask=mask,
                                     path_batch=path_batch):
            z = scores.back_transform(y[:, order])
            means = z.reshape(z.shape[0], parcels.size, points).mean(axis=2)
            if writer is None:
                out[rows_r, parcels] = means
            else:
                writer[rows_r, parcels] = means
        report[zone] = {"samples": int(rows.sum()), "variogram": how,
                        "sample_mean": float(np.average(values, weights=w)),
                        "declustered": w is not None,
                        "points": int(nodes.size), "points_per_block": points}
        _logger.info("zone %s: %d realisations of %s at %d points from %d samples (%s)",
                     zone, n_realisations, grade, nodes.size, int(rows.sum()), how)
    result = model.with_arrays(**{grade: out}) if writer is None else model
    attrs = dict(result.attrs)
    attrs["simulation"] = {"grade": grade, "n_realisations": n_realisations, "seed": seed,
                           "discretisation": list(disc), "zones": report}
    return BlockModel(result.grid, result.zone_names, result.block_index, result.zone_code,
                      result.proportion, result.arrays, attrs)


def _discretisation(value: Any, ndim: int) -> np.ndarray:
    disc = np.atleast_1d(np.asarray(value)).ravel()
    if disc.size == 1:
        disc = np.repeat(disc, ndim)
    if disc.size != ndim or np.any(disc < 1) or np.any(disc != np.round(disc)):
        raise InputError(f"discretisation must be one whole number >= 1 or one per axis "
                         f"({ndim}); got {value!r}")
    return disc.astype(int)


def _nodes(grid: BlockGrid, fine: BlockGrid, blocks: np.ndarray, disc: np.ndarray) -> np.ndarray:
    """Flat indices in `fine` of the points of `blocks`, block by block."""
    ijk = grid.index_to_ijk(blocks)  # (b, d)
    offsets = np.stack(np.unravel_index(np.arange(int(np.prod(disc))), tuple(disc),
                                        order="F"), axis=-1)  # (p, d)
    fine_ijk = ijk[:, None, :] * disc + offsets[None, :, :]
    return np.asarray(fine.ijk_to_index(fine_ijk.reshape(-1, grid.ndim)), dtype=np.int64)


def _score_variogram(variogram: Any, zone: str, xyz: np.ndarray, scores: np.ndarray,
                     seed: Any) -> tuple[Any, str]:
    """The zone's variogram of normal scores (given, or fitted and scaled to sill 1)."""
    from .geostats.autovariogram import auto_variogram
    from .geostats.models import Structure, VariogramModel

    if isinstance(variogram, Mapping):
        variogram = variogram.get(zone)
    if variogram is not None:
        if not isinstance(variogram, VariogramModel):
            raise InputError(f"variogram of zone {zone!r} must be a VariogramModel; got "
                             f"{type(variogram).__name__}")
        return variogram, f"given: {variogram}"
    fitted = auto_variogram(xyz, scores, seed=np.random.default_rng(seed)).model
    total = fitted.nugget + sum(s.sill for s in fitted.structures)
    scaled = VariogramModel(fitted.nugget / total, [
        Structure(s.shape, s.sill / total, s.ranges, s.angles) for s in fitted.structures])
    return scaled, f"automatic, scaled to a unit sill: {scaled}"
