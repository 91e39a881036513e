"""
Grade estimation onto a block model, zone by zone.

:func:`assign_zones` tags samples with the zone that contains them;
:func:`estimate` fits an estimator (:class:`~raremin.geostats.idw.InverseDistance`,
:class:`~raremin.geostats.idw.NearestSample`, later kriging) to the samples of each
zone and predicts every grade at the centres of that zone's parcels, with hard
boundaries: a zone's blocks are estimated from that zone's samples only.

Examples
--------
>>> import pandas as pd
>>> from shapely import box
>>> from raremin.deposit import Deposit, Zone
>>> from raremin.estimation import assign_zones, estimate
>>> from raremin.geostats import InverseDistance
>>> from raremin.grid import BlockGrid, BlockModel
>>> dep = Deposit("D", [Zone("A", box(0, 0, 40, 20), 20, 0, 2.6)], crs=32643)
>>> model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, (20, 20, 20)))
>>> samples = pd.DataFrame({"easting_m": [0.0, 40.0], "northing_m": [10.0, 10.0],
...                         "elevation_m": [10.0, 10.0], "nd_ppm": [300.0, 500.0]})
>>> samples["zone"] = assign_zones(samples, dep)
>>> estimate(model, samples, InverseDistance()).arrays["nd_ppm"]
array([320., 480.])
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _dask
from ._validation import check_grade_table
from .analytes import column_unit, find_analytes
from .deposit import Deposit, Zone, as_crs, check_same_crs, zone_labels, zones_of
from .errors import CRSError, InputError
from .grid import BlockModel

__all__ = ["NEGATIVE_POLICIES", "assign_zones", "estimate"]

logger = logging.getLogger(__name__)

COORDINATE_COLUMNS = ("easting_m", "northing_m", "elevation_m")

#: What :func:`estimate` may do with negative estimates.
NEGATIVE_POLICIES = ("zero", "keep", "error")

#: How many hole ids a warning about unused samples names.
_HOLES_SHOWN = 5


def _numeric_columns(samples: pd.DataFrame, names: list[str], what: str, hint: str) -> np.ndarray:
    """Columns `names` of `samples` as a float array; missing or non-numeric raise."""
    missing = [c for c in names if c not in samples.columns]
    if missing:
        raise InputError(
            f"samples lack {what} column(s) {missing}: {missing} not in the samples; "
            f"columns present: {list(samples.columns)}{hint}"
        )
    try:
        return samples[names].to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"{what} columns {names} must be numeric ({err})") from None


def _coordinates(samples: pd.DataFrame, coords: Sequence[str]) -> np.ndarray:
    """The coordinate columns as a finite (n, d) float array."""
    names = [coords] if isinstance(coords, str) else list(coords)
    xyz = _numeric_columns(
        samples, names, "coordinate", " (pass coords=(east, north, elevation) to name them)"
    )
    bad = ~np.isfinite(xyz).all(axis=1)
    if bad.any():
        row = samples.index[np.flatnonzero(bad)[0]]
        raise InputError(
            f"{int(bad.sum())} sample(s) have missing or infinite coordinates (first: row "
            f"{row!r}); remove them or fill them before this step"
        )
    return xyz


def _sample_crs(samples: Any, crs: Any) -> Any:
    """The samples' CRS: the GeoDataFrame's, or `crs`, checked to agree."""
    own = as_crs(getattr(samples, "crs", None)) if hasattr(samples, "geometry") else None
    given = as_crs(crs)
    if own is not None and given is not None and not own.equals(given):
        raise CRSError(
            f"the samples' GeoDataFrame is in {own.name} but crs={crs!r} was passed; "
            f"drop crs= or reproject the samples with to_crs()"
        )
    return own if own is not None else given


def assign_zones(
    samples: pd.DataFrame,
    deposit: Deposit | Zone | Sequence[Zone],
    *,
    coords: Sequence[str] = COORDINATE_COLUMNS,
) -> pd.Series:
    """
    The zone holding each sample.

    Parameters
    ----------
    samples : pandas.DataFrame or geopandas.GeoDataFrame
        Samples with coordinate columns in metres, in the deposit's CRS. A
        GeoDataFrame's CRS is checked against the deposit's.
    deposit : Deposit, Zone or sequence of Zone
        The zones (prisms between ``bottom_m`` and ``top_m``).
    coords : sequence of str, default ("easting_m", "northing_m", "elevation_m")
        Coordinate columns. With two names only the footprints are tested (the
        elevation is ignored).

    Returns
    -------
    pandas.Series
        Zone name per sample (the samples' index, name ``"zone"``); ``""`` for
        samples outside every zone.

    Raises
    ------
    InputError
        Missing or non-finite coordinates.
    CRSError
        A GeoDataFrame in another CRS than the deposit.

    Notes
    -----
    See :func:`raremin.deposit.zone_labels`: a sample is in a prism when its plan
    position intersects the footprint (:func:`shapely.intersects_xy`: points on the
    boundary count as inside) and ``bottom_m <= elevation <= top_m``; in a solid or a
    layer by vertical rays; above the deposit's topography in none. A sample on a
    boundary shared by two zones goes to the first of them in the deposit's order.

    Examples
    --------
    >>> import pandas as pd
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.estimation import assign_zones
    >>> zones = [Zone("A", box(0, 0, 10, 10), 50, 0, 2.6),
    ...          Zone("B", box(10, 0, 20, 10), 50, 0, 2.6)]
    >>> pts = pd.DataFrame({"easting_m": [5.0, 15.0, 10.0, 5.0, 30.0],
    ...                     "northing_m": [5.0, 5.0, 5.0, 5.0, 5.0],
    ...                     "elevation_m": [20.0, 20.0, 20.0, 60.0, 20.0]})
    >>> assign_zones(pts, zones).tolist()
    ['A', 'B', 'A', '', '']
    """
    if not isinstance(samples, pd.DataFrame):
        raise InputError(f"samples must be a DataFrame; got {type(samples).__name__}")
    zones = zones_of(deposit)
    if isinstance(deposit, Deposit):
        check_same_crs(deposit.crs, _sample_crs(samples, None), "the samples")
    xyz = _coordinates(samples, coords)
    if xyz.shape[1] not in (2, 3):
        raise InputError(f"coords must name 2 or 3 columns; got {list(coords)}")
    topography = deposit.topography if isinstance(deposit, Deposit) else None
    names = zone_labels(xyz, zones, topography=topography)
    return pd.Series(names, index=samples.index, name="zone", dtype=object)


def _sample_label(samples: pd.DataFrame) -> Any:
    """A function giving, for row i, the sample's position, index, hole and interval."""
    holes = samples["hole_id"].to_numpy() if "hole_id" in samples.columns else None
    ends = ("from_m", "to_m")
    depths = samples[list(ends)].to_numpy() if set(ends) <= set(samples.columns) else None

    def label(i: int) -> str:
        text = f"sample row {i} (index {samples.index[i]!r})"
        if holes is not None:
            text += f", hole {holes[i]!r}"
        if depths is not None:
            text += f" {depths[i, 0]:g}-{depths[i, 1]:g} m"
        return text

    return label


def _grade_table(samples: pd.DataFrame, grades: Any) -> tuple[list[str], np.ndarray]:
    """The grade columns to estimate and their values (n, k); NaN = not assayed."""
    if grades is None:
        names = find_analytes(samples).columns
        if not names:
            raise InputError(
                f"no grade column found in the samples (columns: {list(samples.columns)}); "
                f"name them <species>_<unit> (e.g. cu_pct, nd_ppm, nd2o3_pct, treo_ppm) or "
                f"pass grades=[...]"
            )
    else:
        names = [grades] if isinstance(grades, str) else list(grades)
        if not names:
            raise InputError("grades is empty; name at least one column to estimate")
    missing = [c for c in names if c not in samples.columns]
    if missing:
        raise InputError(
            f"samples lack grade column(s) {missing}: {missing} not in the samples; columns "
            f"present: {list(samples.columns)}"
        )
    label = _sample_label(samples)
    table = np.empty((len(samples), len(names)))
    for j, name in enumerate(names):
        column = samples[name]
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        text = np.isnan(values) & column.notna().to_numpy()
        if text.any():
            i = int(np.flatnonzero(text)[0])
            raise InputError(
                f"grade {name} holds text {column.iloc[i]!r} at {label(i)} ({int(text.sum())} "
                f"such values); read the assays with raremin.assays.clean_assays (it "
                f"handles '<5' and other lab codes) or fix the values"
            )
        table[:, j] = values
    units = [column_unit(name) for name in names]
    check_grade_table(table, names, units, label)
    return names, table


def _groups_of_columns(present: np.ndarray) -> list[np.ndarray]:
    """Columns that share the same samples (the same pattern of assayed rows), in order."""
    if present.shape[1] == 0:
        return []
    _, first, inverse = np.unique(present.T, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    return [np.flatnonzero(inverse == g) for g in np.argsort(first)]


def _check_estimator(estimator: Any) -> None:
    for method in ("clone", "fit", "predict"):
        if not callable(getattr(estimator, method, None)):
            raise InputError(
                f"estimator must have clone(), fit() and predict() (e.g. InverseDistance()); "
                f"{type(estimator).__name__} has no {method}()"
            )


def _unused_message(samples: pd.DataFrame, unused: np.ndarray, zone_values: pd.Series) -> str:
    """Log, and describe for a warning, the samples outside the model's zones."""
    count = int(unused.sum())
    labels = sorted({v if v else "(outside every zone)" for v in zone_values[unused]})
    message = (
        f"{count} of {len(samples)} samples are not in any zone of the block model "
        f"(zone values {labels}) and were not used"
    )
    if "hole_id" in samples.columns:
        holes = pd.unique(samples.loc[unused, "hole_id"].astype(str))
        shown = ", ".join(holes[:_HOLES_SHOWN]) + (", ..." if holes.size > _HOLES_SHOWN else "")
        message += f"; holes {shown}"
    logger.info("%d of %d samples outside the model's zones were not used", count, len(samples))
    return message


def estimate(
    model: BlockModel,
    samples: pd.DataFrame,
    estimator: Any,
    *,
    grades: Sequence[str] | None = None,
    zone_column: str = "zone",
    coords: Sequence[str] = COORDINATE_COLUMNS,
    domains: bool = True,
    crs: Any = None,
    hole_column: str | None = "hole_id",
    negative: str = "zero",
) -> BlockModel:
    """
    Estimate grades at the parcel centres of a block model.

    Parameters
    ----------
    model : BlockModel
        The block model (e.g. :meth:`BlockModel.from_deposit`), in memory or lazy
        (Dask arrays, e.g. ``from_deposit(..., chunks=n)``; see Notes).
    samples : pandas.DataFrame or geopandas.GeoDataFrame
        Samples (composites): coordinate columns in metres, grade columns and, with
        ``domains=True``, a zone column (from :func:`assign_zones`). A
        GeoDataFrame's CRS is checked against the grid's.
    estimator : estimator object or mapping of zone name to estimator
        Anything with ``clone()``, ``fit(coords, values)`` and ``predict(coords,
        return_diagnostics=True)``, e.g. :class:`~raremin.geostats.idw.InverseDistance`
        or :class:`~raremin.geostats.kriging.Kriging`; or a mapping giving each zone its
        own (e.g. kriging with each zone's variogram). Never modified: each fit uses a
        clone.
    grades : sequence of str, optional
        Columns to estimate. Default: every grade column that
        :func:`raremin.analytes.find_analytes` reads (``cu_pct``, ``nd_ppm``,
        ``nd2o3_pct``, ``treo_ppm``...). A NaN grade means "not assayed": each grade
        is estimated from the samples where it was assayed (heterotopic data), and a
        missing value in one grade never removes the others of that sample. Grades
        assayed on the same samples share one fit (and one set of weights).
    zone_column : str, default "zone"
        Column with each sample's zone name (``""`` outside every zone).
    coords : sequence of str, default ("easting_m", "northing_m", "elevation_m")
        Coordinate columns, one per axis of the grid.
    domains : bool, default True
        True: hard boundaries, each zone estimated from its own samples only;
        samples in no zone of the model are not used (a UserWarning gives their
        count). False: every sample informs every zone (soft boundaries).
    crs : pyproj CRS or anything pyproj accepts, optional
        CRS of a plain DataFrame's coordinates, checked against the grid's.
    hole_column : str or None, default "hole_id"
        Column of drillhole ids, passed to the estimator's ``fit(..., holes=)`` when
        present (needed by ``Kriging(max_per_hole=...)``). None: no hole ids.
    negative : {"zero", "keep", "error"}, default "zero"
        What to do with negative estimates (kriging's negative weights can give them):
        set them to zero (counted per grade in ``attrs["negative_estimates"]``, logged
        and given in a warning), keep them, or raise an InputError naming the first.

    Returns
    -------
    BlockModel
        A new model with a float64 array per grade column (**NaN where not
        estimated**: fewer samples than the estimator's ``min_samples`` within its
        search), plus every diagnostic array the estimator's ``predict`` returns,
        under its own name: ``n_samples`` (int, samples used), ``mean_distance_m``
        and ``nearest_distance_m`` (metres), and for kriging ``variance``,
        ``slope``, ``efficiency`` and ``lagrange``. ``n_samples`` is 0 and the
        other diagnostics NaN on parcels no zone estimated. Diagnostics are those of
        the first grade in `grades` (grades assayed on other samples have other
        neighbourhoods). ``attrs`` records ``negative_estimates`` (grade -> count),
        ``negative_policy`` and ``samples_per_grade`` (grade -> zone -> samples used).
        A lazy model gives a lazy model (see Notes).

    Raises
    ------
    InputError
        Missing coordinate, grade or zone column (the message lists the columns
        present), text, negative, infinite or over-100 % grades (the message names the
        sample row, hole and interval), no grade column found, a zone without samples
        (the message gives the sample count per zone), a bad estimator or policy.
    CRSError
        Samples in another CRS than the grid.

    Warns
    -----
    UserWarning
        With ``domains=True``, when samples lie in no zone of the model (their count
        and the first hole ids, if there is a ``hole_id`` column). The count is also
        logged (logger ``raremin.estimation``, level INFO).

    Notes
    -----
    The estimators are fitted first (a clone per zone and per set of grades assayed on
    the same samples), then one function predicts a chunk of parcels from their block
    indices and zones: the whole model in memory, or each chunk of a lazy model as a
    Dask task. A lazy model is not computed here: its grades and diagnostics are Dask
    arrays chunked like the model, every chunk task reads the fitted estimators (samples
    and search trees) from one object shared in the task graph (no halo: every chunk
    sees every sample), the negative policy applies per chunk (``"error"`` raises when
    the model is computed) and ``attrs["negative_estimates"]`` is a Dask object until
    :meth:`~raremin.grid.BlockModel.compute`, which logs and warns about it. Every zone
    of a lazy model is fitted (which zones have parcels is not known yet). Results
    equal the in-memory ones (the chunks do not change any estimate). The estimator
    contract used: ``clone()``, ``fit(coords, values, holes=)``, ``predict(coords,
    return_diagnostics=True)`` and an optional ``min_samples`` (else its
    neighbourhood's, else 1).

    Blocks are estimated at their centres (point estimates), so every parcel of a
    block gets the estimate of its zone at the block centre. See the estimator for
    the formula, e.g. Shepard (1968) for inverse distance weighting.

    Examples
    --------
    >>> import pandas as pd
    >>> from shapely import box
    >>> from raremin.deposit import Deposit, Zone
    >>> from raremin.estimation import assign_zones, estimate
    >>> from raremin.geostats import NearestSample
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> dep = Deposit("D", [Zone("A", box(0, 0, 20, 10), 10, 0, 2.6),
    ...                     Zone("B", box(20, 0, 40, 10), 10, 0, 2.6)], crs=32643)
    >>> model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, 10))
    >>> samples = pd.DataFrame({"easting_m": [2.0, 38.0], "northing_m": [5.0, 5.0],
    ...                         "elevation_m": [5.0, 5.0], "la_ppm": [150.0, 90.0]})
    >>> samples["zone"] = assign_zones(samples, dep)
    >>> out = estimate(model, samples, NearestSample())
    >>> out.arrays["la_ppm"], out.arrays["n_samples"]
    (array([150., 150.,  90.,  90.]), array([1, 1, 1, 1]))
    >>> estimate(model, samples, NearestSample(radius=12.0)).arrays["la_ppm"]
    array([150.,  nan,  nan,  90.])
    """
    if not isinstance(model, BlockModel):
        raise InputError(f"model must be a BlockModel; got {type(model).__name__}")
    if not isinstance(samples, pd.DataFrame):
        raise InputError(f"samples must be a DataFrame; got {type(samples).__name__}")
    per_zone = isinstance(estimator, Mapping)
    if per_zone:
        if not domains:
            raise InputError("a mapping of zone -> estimator needs domains=True")
        missing = [z for z in model.zone_names if z not in estimator]
        if missing:
            raise InputError(
                f"no estimator for zone(s) {missing}; the mapping has {list(estimator)}"
            )
        for est in estimator.values():
            _check_estimator(est)
    else:
        _check_estimator(estimator)
    if negative not in NEGATIVE_POLICIES:
        raise InputError(f"negative must be one of {NEGATIVE_POLICIES}; got {negative!r}")
    check_same_crs(model.grid.crs, _sample_crs(samples, crs), "the samples")
    names = [coords] if isinstance(coords, str) else list(coords)
    if len(names) != model.grid.ndim:
        raise InputError(
            f"coords must name {model.grid.ndim} columns, one per axis of the grid; got {names}"
        )
    xyz = _coordinates(samples, names)
    grade_names, table = _grade_table(samples, grades)
    holes = None
    if hole_column is not None and hole_column in samples.columns:
        holes = samples[hole_column].to_numpy(dtype=object)

    if domains:
        if zone_column not in samples.columns:
            raise InputError(
                f"samples have no {zone_column!r} column; tag them first with "
                f"samples[{zone_column!r}] = assign_zones(samples, deposit), name the "
                f"column with zone_column=, or use domains=False"
            )
        zone_values = samples[zone_column].fillna("").astype(str).reset_index(drop=True)
        counts = {z: int((zone_values == z).sum()) for z in model.zone_names}
        empty = [z for z, c in counts.items() if c == 0]
        if empty:
            outside = len(samples) - sum(counts.values())
            tally = ", ".join(f"{z}: {c}" for z, c in counts.items())
            raise InputError(
                f"zone(s) {empty} have no samples (samples per zone: {tally}; in no "
                f"zone of the model: {outside}); check {zone_column!r} and the zone "
                f"geometry, or estimate with domains=False"
            )
        unused = ~zone_values.isin(model.zone_names).to_numpy()
        if unused.any():
            message = _unused_message(samples, unused, zone_values)
            warnings.warn(message, UserWarning, stacklevel=2)
        # A lazy model's zones are all fitted (which have parcels is not known yet).
        present = (set(range(len(model.zone_names))) if model.is_lazy
                   else set(np.unique(model.zone_code).tolist()))
        groups = [(code, (zone_values == z).to_numpy())
                  for code, z in enumerate(model.zone_names) if code in present]
    else:
        groups = [(-1, np.ones(len(samples), dtype=bool))]

    fits, per_grade = _fit(groups, model.zone_names, estimator, per_zone, xyz, table, holes,
                           grade_names)
    attrs = dict(model.attrs)
    attrs.update(negative_policy=negative, samples_per_grade=per_grade)
    if model.is_lazy:
        arrays, attrs["negative_estimates"] = _estimate_lazily(model, fits, grade_names,
                                                               negative)
        return dataclasses.replace(model.with_arrays(**arrays), attrs=attrs)

    out, diagnostics, flags = _predict_chunk(
        _Plan(fits, model.grid, tuple(grade_names), None, negative, model.zone_names),
        model.block_index, model.zone_code)
    negatives = {g: int(c) for g, c in zip(grade_names, flags.sum(axis=0), strict=True) if c}
    _dask.report_negatives(negatives, negative, 3)
    n = model.n_parcels
    missed = int(np.isnan(out).any(axis=1).sum())
    if missed:
        logger.info("%d of %d parcels not estimated (too few samples in the search)", missed, n)
    arrays = {g: np.ascontiguousarray(out[:, j]) for j, g in enumerate(grade_names)}
    arrays.update(diagnostics)
    attrs["negative_estimates"] = negatives
    return dataclasses.replace(model.with_arrays(**arrays), attrs=attrs)


# ------------------------------------------------------------------ fit, then predict by chunk


@dataclasses.dataclass(frozen=True)
class _Fit:
    """An estimator fitted to some grade columns of the samples of one zone (-1: all)."""

    code: int
    cols: np.ndarray
    fitted: Any

    @property
    def first(self) -> bool:
        """Holds the first grade: its diagnostics are the model's."""
        return bool(0 in self.cols)


@dataclasses.dataclass(frozen=True)
class _Plan:
    """Everything a chunk of parcels needs to be estimated: shared by every chunk task."""

    fits: tuple[_Fit, ...]
    grid: Any
    grades: tuple[str, ...]
    layout: tuple[tuple[str, Any], ...] | None  # diagnostic names and dtypes, in order
    negative: str
    zone_names: tuple[str, ...]


def _min_samples(estimator: Any) -> int:
    """
    Fewest samples the estimator needs: its public ``min_samples``, else its
    neighbourhood's, else 1. The only place :func:`estimate` reads an estimator's
    attributes (beyond ``clone``, ``fit`` and ``predict``).
    """
    value = getattr(estimator, "min_samples", None)
    if value is None:
        value = getattr(getattr(estimator, "neighbourhood", None), "min_samples", None)
    return int(value or 1)


def _fit(groups: list[tuple[int, np.ndarray]], zone_names: tuple[str, ...], estimator: Any,
         per_zone: bool, xyz: np.ndarray, table: np.ndarray, holes: np.ndarray | None,
         grade_names: list[str]) -> tuple[tuple[_Fit, ...], dict[str, dict[str, int]]]:
    """
    Fit a clone per zone and per group of grade columns assayed on the same samples.

    Returns the fits in order (zone by zone) and the samples used per grade and zone.
    """
    per_grade: dict[str, dict[str, int]] = {g: {} for g in grade_names}
    fits = []
    for code, used in groups:
        zone = zone_names[code] if code >= 0 else None
        chosen = estimator[zone] if per_zone else estimator
        rows_in = np.flatnonzero(used)
        present = np.isfinite(table[rows_in])
        for cols in _groups_of_columns(present):
            rows = rows_in[present[:, cols[0]]]
            for c in cols:
                per_grade[grade_names[c]][zone or "all"] = int(rows.size)
            if rows.size < _min_samples(chosen) and 0 not in cols:
                warnings.warn(
                    f"{', '.join(grade_names[c] for c in cols)}: {rows.size} sample(s)"
                    f"{f' in zone {zone!r}' if zone else ''}, fewer than the estimator "
                    f"needs: not estimated there (NaN)", UserWarning, stacklevel=3)
                continue
            fitted = chosen.clone().fit(xyz[rows], table[np.ix_(rows, cols)],
                                        holes=None if holes is None else holes[rows])
            fits.append(_Fit(code, cols, fitted))
    return tuple(fits), per_grade


def _predict_chunk(plan: _Plan, block_index: Any, zone_code: Any
                   ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """
    Estimates ``(n, k)``, diagnostics and the negative estimates found ``(n, k)`` of a
    chunk of parcels (an in-memory model is one chunk): the one implementation of the
    prediction, its diagnostics and the negative-estimate policy.
    """
    block_index = np.asarray(block_index)
    zone_code = np.asarray(zone_code)
    n = block_index.size
    centres = plan.grid.index_to_coords(block_index)
    out = np.full((n, len(plan.grades)), np.nan)
    diagnostics: dict[str, np.ndarray] = {}
    layout = plan.layout or (("n_samples", np.dtype(np.int64)),
                             ("mean_distance_m", np.dtype(np.float64)))
    for key, dtype in layout:
        diagnostics[key] = np.full(n, 0 if np.dtype(dtype).kind in "iub" else np.nan, dtype)
    for fit in plan.fits:
        parcels = np.ones(n, dtype=bool) if fit.code < 0 else zone_code == fit.code
        if not parcels.any():
            continue
        where = np.flatnonzero(parcels)
        est, diag = fit.fitted.predict(centres[parcels], return_diagnostics=True)
        out[np.ix_(where, fit.cols)] = np.asarray(est, dtype=float).reshape(-1, fit.cols.size)
        if not fit.first:
            continue  # diagnostics are those of the first grade
        for key, values in diag.items():
            values = np.asarray(values)
            if key not in diagnostics:
                fill = 0 if values.dtype.kind in "iub" else np.nan
                diagnostics[key] = np.full(n, fill, dtype=values.dtype)
            diagnostics[key][parcels] = values
    flags = _negative_policy(out, plan, centres, zone_code)
    return out, diagnostics, flags


def _negative_policy(out: np.ndarray, plan: _Plan, centres: np.ndarray,
                     zone_code: np.ndarray) -> np.ndarray:
    """Apply the negative-estimate policy in place; the mask of negative estimates."""
    with np.errstate(invalid="ignore"):
        negative = out < 0
    if plan.negative == "keep" or not negative.any():
        return negative
    if plan.negative == "error":
        counts = {g: int(c) for g, c in zip(plan.grades, negative.sum(axis=0), strict=True) if c}
        i, j = (int(v[0]) for v in np.nonzero(negative))
        zone = plan.zone_names[zone_code[i]]
        raise InputError(
            f"{sum(counts.values())} negative estimate(s) ({counts}); the first is "
            f"{plan.grades[j]} = {out[i, j]:.4g} at the block centred on "
            f"({', '.join(f'{v:.1f}' for v in centres[i])}) in zone {zone!r}; pass "
            f"negative='zero' (set to zero, counted) or 'keep', or use a search with more "
            f"samples"
        )
    out[negative] = 0.0
    return negative


# ------------------------------------------------------------------ lazy models


def _layout(fits: tuple[_Fit, ...], grid: Any) -> tuple[tuple[str, Any], ...]:
    """
    The diagnostics a chunk returns, in order, with their dtypes: learnt by predicting
    one target with every fit of the first grade (as Dask infers the meta of a result).
    """
    layout = {"n_samples": np.dtype(np.int64), "mean_distance_m": np.dtype(np.float64)}
    probe = grid.index_to_coords([0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fit in fits:
            if fit.first:
                _, diag = fit.fitted.predict(probe, return_diagnostics=True)
                for key, values in diag.items():
                    layout.setdefault(key, np.asarray(values).dtype)
    return tuple(layout.items())


def _predict_stacked(block_index: np.ndarray, zone_code: np.ndarray, plan: _Plan) -> np.ndarray:
    """
    One Dask chunk: the grades, the diagnostics (in the plan's layout) and the
    negative-estimate flags stacked as rows of float64, shape ``(2k + d, n)`` (integer
    diagnostics are exact in float64).
    """
    out, diagnostics, flags = _predict_chunk(plan, block_index, zone_code)
    rows = [out.T]
    rows += [diagnostics[key][None, :].astype(np.float64) for key, _ in plan.layout or ()]
    rows.append(flags.T.astype(np.float64))
    return np.concatenate(rows, axis=0)


def _estimate_lazily(model: BlockModel, fits: tuple[_Fit, ...], grade_names: list[str],
                     negative: str) -> tuple[dict[str, Any], Any]:
    """The grade and diagnostic arrays of a lazy model, and the lazy negative counts."""
    _dask.require_dask("estimate() on a lazy block model")
    layout = _layout(fits, model.grid)
    plan = _Plan(fits, model.grid, tuple(grade_names), layout, negative, model.zone_names)
    k, d = len(grade_names), len(layout)
    stacked = _dask.map_parcels(_predict_stacked, [model.block_index, model.zone_code], plan,
                                2 * k + d)
    arrays: dict[str, Any] = {g: stacked[j] for j, g in enumerate(grade_names)}
    for i, (key, dtype) in enumerate(layout):
        column = stacked[k + i]
        arrays[key] = column if np.dtype(dtype) == np.float64 else column.astype(dtype)
    counts = _dask.delayed(_count_negatives, tuple(grade_names), stacked[k + d:].sum(axis=1))
    return arrays, counts


def _count_negatives(names: tuple[str, ...], counts: np.ndarray) -> dict[str, int]:
    return {g: int(c) for g, c in zip(names, np.asarray(counts), strict=True) if c}
