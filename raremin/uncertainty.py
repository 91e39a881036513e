"""
Uncertainty: P90 / P50 / P10 of simulated block models and of Monte Carlo over inputs.

Two kinds of uncertainty end in the same summary:

- **Realisations of a block model** (from a conditional simulation): the grade array of a
  :class:`~raremin.grid.BlockModel` holds one row per realisation, shape
  ``(n_realisations, n_parcels)``. :func:`realisation_grade_tonnage` gives the
  grade-tonnage table of every realisation, zone and cut-off in one pass.
- **Monte Carlo over the inputs of the parametric path**: :func:`monte_carlo` draws the
  uncertain inputs (area, thickness, density, mean grade, spread of grades...) from
  their distributions and :func:`monte_carlo_grade_tonnage` turns every draw into a
  grade-tonnage table at once, through the closed forms of
  :func:`raremin.tonnage.analytic_grade_tonnage`.

:func:`summarise_grade_tonnage` reduces either table to the mean, standard deviation and
P-values of tonnage, mean grade and contained quantity per zone and cut-off.

The labels follow ``docs/conventions.md``: **P90 is the value with a 90 % chance of
being met or exceeded**, the 0.10 quantile; P50 is the median; P10 the 0.90 quantile. So
``P90 <= P50 <= P10``. :data:`P_LEVELS` defines them once; every function here reads it.

Examples
--------
>>> import numpy as np
>>> from raremin.uncertainty import P_LEVELS, p_values
>>> dict(P_LEVELS)
{'P90': 0.1, 'P50': 0.5, 'P10': 0.9}
>>> {k: float(v) for k, v in p_values(np.arange(1.0, 12.0)).items()}
{'P90': 2.0, 'P50': 6.0, 'P10': 10.0}
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from . import _dask
from ._binning import CHUNK
from ._validation import check_basis, check_cutoffs, check_finite
from .analytes import column_unit, parse_analyte
from .distributions import Gamma, GradeDistribution, Lognormal
from .errors import BasisError, InputError, UnitError
from .grid import BlockModel
from .tonnage import analytic_grade_tonnage, grade_tonnage
from .units import GRADE_UNITS, grade_unit, unit_suffix

__all__ = [
    "P_LEVELS",
    "STATISTICS",
    "exceedance_quantile",
    "monte_carlo",
    "monte_carlo_grade_tonnage",
    "p_values",
    "realisation_grade_tonnage",
    "summarise",
    "summarise_grade_tonnage",
]

#: The P-labels and the quantile each one is: ``Pxx`` has an xx % chance of being met or
#: exceeded, so it is the ``(100 - xx) / 100`` quantile. Other labels (``"P95"``,
#: ``"P5"``) follow the same rule.
P_LEVELS: Mapping[str, float] = MappingProxyType({"P90": 0.10, "P50": 0.50, "P10": 0.90})

#: The statistics of :func:`summarise`, in order.
STATISTICS: tuple[str, ...] = ("mean", "std", *P_LEVELS)

#: numpy's quantile methods (Hyndman and Fan, 1996, and numpy's older names).
_QuantileMethod = Literal["inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                          "interpolated_inverted_cdf", "hazen", "weibull", "linear",
                          "median_unbiased", "normal_unbiased", "lower", "higher", "midpoint",
                          "nearest"]
_METHODS: tuple[_QuantileMethod, ...] = get_args(_QuantileMethod)

_LABEL_RE = re.compile(r"^P(\d{1,3}(?:\.\d+)?)$")

#: Columns of a realisation table that are not quantities to summarise.
_KEYS = ("realisation", "zone")
_COUNTS = ("n_realisations", "n_with_tonnage")


# ------------------------------------------------------------------------------ P-labels
def _quantile_of(level: Any) -> float:
    """
    The quantile of a P-label (``"P90"`` -> 0.10) or of an exceedance probability
    (0.9 -> 0.10), computed in decimal so that 0.9 and ``"P90"`` give the same float.
    """
    if isinstance(level, str):
        key = level.strip().upper()
        if key in P_LEVELS:
            return P_LEVELS[key]
        match = _LABEL_RE.match(key)
        if match is None:
            raise InputError(
                f"unknown P-label {level!r}; write 'P90', 'P50', 'P10' or any 'Pxx' (a xx % "
                f"chance of at least that value), or give the exceedance probability as a "
                f"number (0.9 for P90)"
            )
        chance = Decimal(match.group(1)) / 100
    else:
        if isinstance(level, bool) or not isinstance(level, (int, float, np.integer,
                                                             np.floating)):
            raise InputError(
                f"a P-level must be a label such as 'P90' or an exceedance probability in "
                f"[0, 1]; got {level!r}"
            )
        if not math.isfinite(float(level)):
            raise InputError(f"exceedance probability must be finite; got {level!r}")
        chance = Decimal(repr(float(level)))
    if not 0 <= chance <= 1:
        raise InputError(
            f"a P-level must lie between P0 and P100 (an exceedance probability in [0, 1]); "
            f"got {level!r}"
        )
    return float(1 - chance)


def _label_of(level: Any) -> str:
    """The label under which a level is reported: the label itself, or ``P<100 p>``."""
    if isinstance(level, str):
        return level.strip().upper()
    return f"P{float(Decimal(repr(float(level))) * 100):g}"


def _check_method(method: str) -> _QuantileMethod:
    if method not in _METHODS:
        raise InputError(f"unknown quantile method {method!r}; use one of {list(_METHODS)} "
                         f"(numpy.quantile's methods; default 'linear')")
    return cast(_QuantileMethod, method)


def _as_values(values: Any, axis: Any) -> tuple[np.ndarray, Any, Any]:
    """
    Float array of `values`, the axis to reduce, and a function that wraps a dict of
    reduced arrays back into the type that came in (pandas in, pandas out).
    """
    if isinstance(values, pd.Series):
        if axis not in (0, "index"):
            raise InputError(f"a Series has one axis: axis must be 0; got {axis!r}")
        arr = _float_array(values.to_numpy(), "values")

        def wrap_series(out: dict[str, np.ndarray]) -> Any:
            return pd.Series({k: float(v) for k, v in out.items()}, name=values.name)

        return arr, 0, wrap_series
    if isinstance(values, pd.DataFrame):
        axes = {0: 0, "index": 0, 1: 1, "columns": 1}
        if axis not in axes:
            raise InputError(f"a DataFrame has axes 0 (rows) and 1 (columns); got {axis!r}")
        ax = axes[axis]
        arr = _float_array(values.to_numpy(), "values")
        other = values.columns if ax == 0 else values.index

        def wrap_frame(out: dict[str, np.ndarray]) -> Any:
            return pd.DataFrame(np.vstack(list(out.values())), index=list(out), columns=other)

        return arr, ax, wrap_frame
    arr = np.atleast_1d(_float_array(values, "values"))
    if axis is not None and not isinstance(axis, (int, np.integer)):
        raise InputError(f"axis must be an integer or None; got {axis!r}")
    if axis is not None and not -arr.ndim <= axis < arr.ndim:
        raise InputError(f"axis {axis} is out of range for values of shape {arr.shape}")

    def wrap_array(out: dict[str, np.ndarray]) -> Any:
        return {k: v[()] if np.ndim(v) == 0 else v for k, v in out.items()}

    return arr, axis, wrap_array


def _float_array(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be numeric; got {type(values).__name__} ({err})") from None
    if arr.size == 0:
        raise InputError(f"{name} is empty: there is nothing to summarise")
    return arr


def _quantiles(arr: np.ndarray, qs: Sequence[float], axis: Any, method: str,
               skipna: bool) -> np.ndarray:
    """Quantiles on a new leading axis; NaN where a slice is NaN (or, skipping, all NaN)."""
    checked = _check_method(method)
    if skipna:
        with warnings.catch_warnings():  # an all-NaN slice gives NaN, which is the answer
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanquantile(arr, list(qs), axis=axis, method=checked)
    return np.quantile(arr, list(qs), axis=axis, method=checked)


def _moments(arr: np.ndarray, axis: Any, skipna: bool, ddof: int) -> tuple[Any, Any]:
    """Mean and standard deviation (divisor ``n - ddof``; NaN when it is not positive)."""
    if isinstance(ddof, bool) or not isinstance(ddof, (int, np.integer)) or ddof < 0:
        raise InputError(f"ddof must be an integer >= 0; got {ddof!r}")
    if axis is None:
        arr, axis = arr.ravel(), 0
    ok = ~np.isnan(arr) if skipna else None
    filled = np.where(ok, arr, 0.0) if ok is not None else arr
    n = ok.sum(axis=axis) if ok is not None else arr.shape[axis]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=axis) / n
        dev = filled - np.expand_dims(mean, axis)
        if ok is not None:
            dev = np.where(ok, dev, 0.0)
        var = (dev * dev).sum(axis=axis) / (n - ddof)
    std = np.where(n - ddof > 0, np.sqrt(np.maximum(var, 0.0)), np.nan)
    return mean, std


def exceedance_quantile(
    values: Any,
    level: str | float,
    axis: int | None = 0,
    *,
    method: str = "linear",
    skipna: bool = False,
) -> Any:
    """
    The value with a given chance of being met or exceeded: ``"P90"`` is the 0.10 quantile.

    Parameters
    ----------
    values : array_like, pandas.Series or pandas.DataFrame
        Outcomes (realisations, Monte Carlo draws) along `axis`.
    level : str or float
        A P-label (``"P90"``, ``"P50"``, ``"P10"``, or any ``"Pxx"``), or the exceedance
        probability itself: ``0.9`` is the same as ``"P90"``.
    axis : int or None, default 0
        Axis of the outcomes (None: all values). For a DataFrame, 0 (rows) or 1.
    method : str, default "linear"
        numpy's quantile method (see Notes).
    skipna : bool, default False
        Leave NaN out; by default a NaN among the outcomes gives NaN.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        The quantile, reduced along `axis` (a DataFrame gives a Series).

    Raises
    ------
    InputError
        An unknown label, a probability outside [0, 1], an unknown method, empty values.

    Notes
    -----
    ``Pxx`` is the ``1 - xx / 100`` quantile (``docs/conventions.md``). The default
    quantile is numpy's ``"linear"`` (type 7 of Hyndman and Fan, 1996, the default of
    numpy, pandas and R): continuous, equal to an outcome at the order statistics, and
    non-decreasing in the quantile, so ``P90 <= P50 <= P10`` always holds. With the
    hundreds to thousands of outcomes of a simulation the methods differ by far less
    than the Monte Carlo error of the quantile itself; ``method="median_unbiased"``
    (type 8, Hyndman and Fan's recommendation) is there for small sets.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.uncertainty import exceedance_quantile
    >>> x = np.arange(1.0, 12.0)  # 1, 2, ..., 11
    >>> float(exceedance_quantile(x, "P90")), float(exceedance_quantile(x, 0.9))
    (2.0, 2.0)
    """
    arr, ax, wrap = _as_values(values, axis)
    q = _quantile_of(level)
    out = _quantiles(arr, [q], ax, method, skipna)[0]
    result = wrap({_label_of(level): out})
    if isinstance(result, dict):
        return next(iter(result.values()))
    return result.iloc[0]


def p_values(
    values: Any,
    labels: Sequence[str | float] = tuple(P_LEVELS),
    axis: int | None = 0,
    *,
    method: str = "linear",
    skipna: bool = False,
) -> Any:
    """
    P-values of outcomes: by default P90, P50 and P10 (0.10, 0.50 and 0.90 quantiles).

    Parameters
    ----------
    values : array_like, pandas.Series or pandas.DataFrame
        Outcomes along `axis`.
    labels : sequence of str or float, default ("P90", "P50", "P10")
        P-labels or exceedance probabilities (0.9 is reported as ``"P90"``).
    axis, method, skipna
        As for :func:`exceedance_quantile`.

    Returns
    -------
    dict of str to numpy.ndarray, pandas.Series or pandas.DataFrame
        Keyed (indexed) by label, in the order given: a dict for arrays, a Series for a
        Series, a DataFrame (one row per label) for a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.uncertainty import p_values
    >>> p_values(pd.Series(range(1, 12), name="tonnage_t")).tolist()
    [2.0, 6.0, 10.0]
    """
    arr, ax, wrap = _as_values(values, axis)
    names = [_label_of(level) for level in labels]
    if len(set(names)) != len(names):
        raise InputError(f"labels repeat a level: {list(labels)}")
    qs = [_quantile_of(level) for level in labels]
    out = _quantiles(arr, qs, ax, method, skipna)
    return wrap(dict(zip(names, out, strict=True)))


def summarise(
    values: Any,
    axis: int | None = 0,
    *,
    method: str = "linear",
    ddof: int = 1,
    skipna: bool = False,
) -> Any:
    """
    Mean, standard deviation, P90, P50 and P10 of outcomes.

    Parameters
    ----------
    values : array_like, pandas.Series or pandas.DataFrame
        Outcomes along `axis` (realisations, Monte Carlo draws).
    axis : int or None, default 0
        Axis of the outcomes.
    method : str, default "linear"
        Quantile method (see :func:`exceedance_quantile`).
    ddof : int, default 1
        The standard deviation divides by ``n - ddof``: 1 gives the sample standard
        deviation of the outcomes (NaN for a single outcome).
    skipna : bool, default False
        Leave NaN out of every statistic; by default NaN in, NaN out.

    Returns
    -------
    dict of str to numpy.ndarray, pandas.Series or pandas.DataFrame
        The statistics of :data:`STATISTICS` (``mean``, ``std``, ``P90``, ``P50``,
        ``P10``): a dict for arrays, a Series for a Series, a DataFrame with one row per
        statistic for a DataFrame (like ``DataFrame.describe``).

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.uncertainty import summarise
    >>> s = summarise(np.arange(1.0, 12.0))
    >>> {k: round(float(v), 4) for k, v in s.items()}
    {'mean': 6.0, 'std': 3.3166, 'P90': 2.0, 'P50': 6.0, 'P10': 10.0}
    """
    arr, ax, wrap = _as_values(values, axis)
    mean, std = _moments(arr, ax, skipna, ddof)
    qs = _quantiles(arr, list(P_LEVELS.values()), ax, method, skipna)
    return wrap({"mean": mean, "std": std, **dict(zip(P_LEVELS, qs, strict=True))})


# ------------------------------------------------------------------ realisations of a model
def _grade_spec(grade: str, unit: str | None, basis: str | None) -> tuple[str, str, str]:
    """Unit, basis and name of a grade array from its column name and the overrides."""
    named_unit = column_unit(grade)
    if unit is None:
        if named_unit is None:
            raise InputError(f"the unit of grade {grade!r} is not in its name; give unit= "
                             f"(e.g. unit='pct') or name the array like 'treo_pct'")
        unit = named_unit
    else:
        unit = grade_unit(unit)
        if named_unit is not None and named_unit != unit:
            raise UnitError(f"grade {grade!r} is named in {named_unit} but unit={unit!r}; "
                            f"leave unit out or rename the array")
    analyte = parse_analyte(grade)
    if basis is None:
        if analyte is None:
            raise InputError(f"the basis of grade {grade!r} cannot be read from its name; "
                             f"give basis='element' or basis='oxide'")
        basis = analyte.basis
    else:
        basis = check_basis(basis)
        if analyte is not None and analyte.basis != basis:
            raise BasisError(f"grade {grade!r} is on {analyte.basis} basis but basis="
                             f"{basis!r}; leave basis out or rename the array")
    name = grade.rpartition("_")[0] if named_unit is not None else grade
    return unit, basis, name


def _check_realisations(values: np.ndarray, tonnage: np.ndarray, grade: str, unit: str,
                        model: BlockModel) -> None:
    """Name the realisation and parcel of the first bad grade or tonnage."""
    full = float(GRADE_UNITS["fraction"] / GRADE_UNITS[unit])
    lo, hi = np.fmin.reduce(values, axis=None), np.fmax.reduce(values, axis=None)

    def where(mask: np.ndarray) -> str:
        r, p = np.unravel_index(int(np.flatnonzero(mask.ravel())[0]), mask.shape)
        return (f"realisation {r}, parcel {p} (block {int(model.block_index[p])}, zone "
                f"{model.zone_names[int(model.zone_code[p])]!r})")

    if lo < 0:
        bad = values < 0
        raise InputError(f"grade {grade!r} has {int(bad.sum())} negative value(s), the first "
                         f"{values[bad][0]} at {where(bad)}; grades must be >= 0")
    if hi > full:
        bad = values > full
        raise InputError(f"grade {grade!r} has {int(bad.sum())} value(s) over 100 % ({full:g} "
                         f"{unit}), the first {values[bad][0]} at {where(bad)}; check its unit")
    if not np.all(tonnage >= 0):
        bad = np.broadcast_to(~(tonnage >= 0), values.shape)
        raise InputError(f"parcel tonnage has {int(bad.sum())} negative or missing value(s) "
                         f"at {where(bad)}; check the density_t_m3 array")


def _packed_tables(values: np.ndarray, tonnage: np.ndarray, codes: np.ndarray,
                   group_names: tuple[str, ...], cut: np.ndarray, unit: str, basis: str,
                   name: str, workers: int | None) -> tuple[np.ndarray, ...]:
    """
    Tonnage, mean grade, contained and not-estimated tonnage of every realisation and
    group: arrays (R, G, C) and (R, G).

    Realisations are packed several to a row of about ``CHUNK`` values, each with its own
    group codes (realisation slot x groups + group), so that many small realisations
    make few rows of :func:`~raremin.tonnage.grade_tonnage`'s binned sums; large ones
    take a row each. At most two calls: the full rows and the remainder.
    """
    n_real, n = values.shape
    n_groups = len(group_names)
    per_row = max(1, min(n_real, CHUNK // max(n, 1)))
    full = (n_real // per_row) * per_row
    parts = []
    for start, count, slots in ((0, full, per_row), (full, n_real - full, n_real - full)):
        if count == 0:
            continue
        g = np.ascontiguousarray(values[start:start + count]).reshape(count // slots, slots * n)
        if tonnage.ndim == 2:
            t = np.ascontiguousarray(tonnage[start:start + count]).reshape(g.shape)
        else:
            t = np.tile(tonnage, slots)
        slot_codes = (np.arange(slots)[:, None] * n_groups + codes[None, :]).ravel()
        names = [f"{s}/{z}" for s in range(slots) for z in group_names]
        gt = grade_tonnage(g, t, cut, unit=unit, basis=basis, grade_name=name,
                           groups=slot_codes, group_names=names, workers=workers)
        shape = (count, n_groups, cut.size)
        parts.append((gt.tonnage_t.reshape(shape), gt.mean_grade.reshape(shape),
                      gt.contained_t.reshape(shape),
                      np.asarray(gt.not_estimated_t).reshape(shape[:2])))
    return tuple(np.concatenate(arrays) for arrays in zip(*parts, strict=True))


def _long_frame(tables: tuple[np.ndarray, ...], zones: Sequence[str], cut: np.ndarray,
                unit: str, basis: str, name: str) -> pd.DataFrame:
    """The long table of :func:`realisation_grade_tonnage` from (R, G, C) arrays."""
    ton, mean, con, *rest = tables
    n_real, n_groups, n_c = ton.shape
    columns: dict[str, Any] = {
        "realisation": np.repeat(np.arange(n_real), n_groups * n_c),
        "zone": np.tile(np.repeat(np.asarray(zones, dtype=object), n_c), n_real),
        f"cutoff_{unit_suffix(unit)}": np.tile(cut, n_real * n_groups),
        "tonnage_t": ton.ravel(),
        f"{name}_{unit_suffix(unit)}": mean.ravel(),
        "contained_t": con.ravel(),
    }
    if rest:
        columns["not_estimated_t"] = np.repeat(rest[0].ravel(), n_c)
    frame = pd.DataFrame(columns)
    frame.attrs.update(basis=basis, unit=unit, grade=name)
    return frame


def realisation_grade_tonnage(
    model: BlockModel,
    grade: str,
    cutoffs: ArrayLike,
    *,
    unit: str | None = None,
    basis: str | None = None,
    by_zone: bool = True,
    workers: int | None = None,
) -> pd.DataFrame:
    """
    Grade-tonnage table of every realisation of a simulated block model, per zone.

    Parameters
    ----------
    model : BlockModel
        The block model; ``model.arrays[grade]`` holds the realisations, shape
        ``(n_realisations, n_parcels)`` (a :class:`~raremin.grid.BlockModel` keeps the
        parcel axis last, so the realisation axis is the first). Parcel tonnages are
        ``model.tonnage_t()``: volume x proportion x ``density_t_m3``, where the density
        may be one value per parcel or also simulated, ``(n_realisations, n_parcels)``.
        A lazy (Dask) model is summed chunk by chunk.
    grade : str
        Name of the array the cut-off applies to, e.g. ``"treo_pct"``.
    cutoffs : array_like
        Strictly increasing cut-offs in the grade's unit.
    unit : str, optional
        Unit of the grade; read from its name (``treo_pct``) when left out.
    basis : {"element", "oxide"}, optional
        Basis of the grade; read from its name (``treo``: oxide, ``nd``: element) when
        left out.
    by_zone : bool, default True
        One table per zone; False gives the whole model as the single zone ``"Total"``.
    workers : int, optional
        Threads (default: the CPUs available).

    Returns
    -------
    pandas.DataFrame
        One row per realisation, zone and cut-off: ``realisation``, ``zone``,
        ``cutoff_<unit>``, ``tonnage_t``, ``<grade>_<unit>`` (mean grade above the cut-off,
        NaN where no tonnage is above it), ``contained_t`` (tonnes of element or oxide,
        as the grade) and ``not_estimated_t`` (tonnage of the zone whose grade is NaN in
        that realisation, left out of the other figures). ``attrs`` holds ``unit``,
        ``basis`` and ``grade``.

    Raises
    ------
    InputError
        No such array, a grade without a realisation axis, negative or over-100 % grades
        or negative tonnages (naming the realisation, parcel, block and zone), bad cut-offs.
    UnitError, BasisError
        A unit or basis that contradicts the grade's name.

    Notes
    -----
    The sums are those of :func:`raremin.tonnage.grade_tonnage` (``grade >= cutoff`` is
    above it; one weighted ``bincount`` per quantity and cumulative sums from the top),
    over every realisation at once: realisations of fewer parcels than a work chunk
    (65,536 values) are packed several to a row, each with its own group codes, so the
    cost is one pass over the values whatever the number of realisations. The result
    equals a loop of :func:`~raremin.tonnage.grade_tonnage` over the realisations.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.uncertainty import realisation_grade_tonnage
    >>> model = BlockModel.from_proportions(
    ...     BlockGrid((0, 0, 0), 10, (3, 1, 1)), {"A": ([0, 1, 2], [1.0, 1.0, 0.5])}, 2.0)
    >>> sims = np.array([[0.1, 0.3, 0.5], [0.2, 0.2, 0.6]])  # 2 realisations x 3 parcels
    >>> table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct",
    ...                                   [0.0, 0.25])
    >>> table[["realisation", "cutoff_pct", "tonnage_t", "treo_pct"]].round(4)
       realisation  cutoff_pct  tonnage_t  treo_pct
    0            0        0.00     5000.0    0.2600
    1            0        0.25     3000.0    0.3667
    2            1        0.00     5000.0    0.2800
    3            1        0.25     1000.0    0.6000
    """
    if not isinstance(model, BlockModel):
        raise InputError(f"model must be a raremin BlockModel; got {type(model).__name__}")
    if not isinstance(grade, str) or grade not in model.arrays:
        raise InputError(f"no array {grade!r} in the block model; it has {list(model.arrays)}")
    if "density_t_m3" not in model.arrays:
        raise InputError("the block model has no density_t_m3 array: parcel tonnages need it "
                         "(model.with_arrays(density_t_m3=...))")
    unit, basis, name = _grade_spec(grade, unit, basis)
    cut = check_cutoffs(cutoffs, unit)
    values = model.arrays[grade]
    if values.ndim != 2:
        hint = (" (one value per parcel: a single model, for which use "
                "raremin.tonnage.grade_tonnage)" if values.ndim == 1 else "")
        raise InputError(f"array {grade!r} has shape {tuple(values.shape)}{hint}; give the "
                         f"realisations as (n_realisations, n_parcels)")
    tonnage = model.tonnage_t()
    zones = model.zone_names if by_zone else ("Total",)
    if model.is_lazy or _dask.is_lazy(values) or _dask.is_lazy(tonnage):
        gt = grade_tonnage(values, tonnage, cut, unit=unit, basis=basis, grade_name=name,
                           groups=model.zone_code if by_zone else None,
                           group_names=zones if by_zone else None, workers=workers)
        shape = (values.shape[0], len(zones), cut.size)
        tables: tuple[np.ndarray, ...] = (
            gt.tonnage_t.reshape(shape), gt.mean_grade.reshape(shape),
            gt.contained_t.reshape(shape), np.asarray(gt.not_estimated_t).reshape(shape[:2]))
        return _long_frame(tables, zones, cut, unit, basis, name)
    values = np.asarray(values, dtype=float)
    tonnage = np.asarray(tonnage, dtype=float)
    if tonnage.shape not in ((values.shape[1],), values.shape):
        raise InputError(f"parcel tonnages have shape {tonnage.shape}; expected "
                         f"({values.shape[1]},) or {values.shape} (check density_t_m3)")
    _check_realisations(values, tonnage, grade, unit, model)
    codes = (np.asarray(model.zone_code, dtype=np.intp) if by_zone
             else np.zeros(values.shape[1], dtype=np.intp))
    tables = _packed_tables(values, tonnage, codes, zones, cut, unit, basis, name, workers)
    return _long_frame(tables, zones, cut, unit, basis, name)


# ----------------------------------------------------------------------- summary of a table
def _table_columns(table: pd.DataFrame) -> tuple[str, str, list[str]]:
    """The cut-off column, the grade column and the quantities to summarise."""
    missing = [c for c in (*_KEYS, "tonnage_t", "contained_t") if c not in table.columns]
    if missing:
        raise InputError(f"the table has no column(s) {missing}; give the table of "
                         f"realisation_grade_tonnage or monte_carlo_grade_tonnage")
    cut_cols = [c for c in table.columns if str(c).startswith("cutoff_")]
    if len(cut_cols) != 1:
        raise InputError(f"the table needs one cut-off column 'cutoff_<unit>'; found {cut_cols}")
    known = {*_KEYS, cut_cols[0], "tonnage_t", "contained_t", "not_estimated_t"}
    named = table.attrs.get("grade")
    suffix = str(cut_cols[0])[len("cutoff_"):]
    if named is not None and f"{named}_{suffix}" in table.columns:
        grade_col = f"{named}_{suffix}"
    else:
        others = [c for c in table.columns if c not in known]
        if len(others) != 1:
            raise InputError(f"cannot tell the mean-grade column among {others}; keep only one "
                             f"or set table.attrs['grade'] (e.g. 'treo')")
        grade_col = others[0]
    quantities = ["tonnage_t", grade_col, "contained_t"]
    if "not_estimated_t" in table.columns:
        quantities.append("not_estimated_t")
    return cut_cols[0], grade_col, quantities


def _cube(table: pd.DataFrame, cut_col: str, quantities: list[str]) -> tuple[
        dict[str, np.ndarray], list[Any], np.ndarray]:
    """Each quantity as an array (realisation, zone, cut-off); the zones; the cut-offs."""
    r_codes, reals = pd.factorize(table["realisation"], sort=True)
    z_codes, zones = pd.factorize(table["zone"])
    c_codes, cuts = pd.factorize(table[cut_col], sort=True)
    if min(r_codes.min(initial=0), z_codes.min(initial=0), c_codes.min(initial=0)) < 0:
        raise InputError("the table has missing realisation, zone or cut-off values")
    n_r, n_z, n_c = len(reals), len(zones), len(cuts)
    flat = (r_codes * n_z + z_codes) * n_c + c_codes
    seen = np.bincount(flat, minlength=n_r * n_z * n_c)
    if seen.size and (seen.min() != 1 or seen.max() != 1):
        k = int(np.flatnonzero(seen != 1)[0])
        r, z, c = np.unravel_index(k, (n_r, n_z, n_c))
        raise InputError(
            f"the table has {int(seen[k])} rows for realisation {reals[r]!r}, zone "
            f"{zones[z]!r} and cut-off {cuts[c]}; every realisation needs exactly one row "
            f"per zone and cut-off ({n_z} zones x {n_c} cut-offs)"
        )
    out = {}
    for q in quantities:
        arr = np.empty(n_r * n_z * n_c)
        arr[flat] = _float_array(table[q].to_numpy(), f"column {q!r}")
        out[q] = arr.reshape(n_r, n_z, n_c)
    return out, [str(z) for z in zones], np.asarray(cuts, dtype=float)


def summarise_grade_tonnage(
    table: pd.DataFrame,
    *,
    total: bool = True,
    method: str = "linear",
    ddof: int = 1,
) -> pd.DataFrame:
    """
    Mean, standard deviation, P90, P50 and P10 of tonnage, grade and contained per zone and cut-off.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per realisation (or Monte Carlo draw), zone and cut-off, as made by
        :func:`realisation_grade_tonnage` or :func:`monte_carlo_grade_tonnage`: columns
        ``realisation``, ``zone``, ``cutoff_<unit>``, ``tonnage_t``, the mean grade
        (``<grade>_<unit>``), ``contained_t`` and optionally ``not_estimated_t``.
    total : bool, default True
        Add the zone ``"Total"``: every realisation's tonnage and contained quantity
        added over the zones (and its mean grade, their ratio) before the statistics.
    method : str, default "linear"
        Quantile method (see :func:`exceedance_quantile`).
    ddof : int, default 1
        Divisor ``n - ddof`` of the standard deviation.

    Returns
    -------
    pandas.DataFrame
        One row per zone, cut-off and statistic (``statistic``: ``mean``, ``std``,
        ``P90``, ``P50``, ``P10``) with columns ``zone``, ``cutoff_<unit>``,
        ``statistic``, ``tonnage_t``, ``<grade>_<unit>``, ``contained_t``
        (``not_estimated_t`` when the table has it), ``n_realisations`` and
        ``n_with_tonnage`` (realisations with tonnage above the cut-off: the mean
        grade's statistics are over those, since a realisation with nothing above the
        cut-off has no mean grade). Zones in the order of the table, then ``"Total"``;
        cut-offs increasing.

    Raises
    ------
    InputError
        Missing columns, a realisation without exactly one row per zone and cut-off, a
        zone named ``"Total"`` beside others, NaN tonnages, or a NaN mean grade where
        there is tonnage.

    Notes
    -----
    Quantiles do not add up: the P90 of the total is not the sum of the zones' P90s
    (it is equal only when the zones' outcomes rise and fall together, rank for rank;
    for independent zones the total's P90 is usually above that sum and its P10 below
    the sum of P10s). So the total is computed per realisation first, and its
    statistics are those of that sum. Means do add up. The P-labels follow
    ``docs/conventions.md`` (P90 = the 0.10 quantile), and the mean grade's P-values are
    quantiles of the mean grade, not the grade of the P-value tonnage: P90 tonnage x P90
    grade is not the P90 contained quantity.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.uncertainty import realisation_grade_tonnage, summarise_grade_tonnage
    >>> model = BlockModel.from_proportions(
    ...     BlockGrid((0, 0, 0), 10, (2, 1, 1)), {"A": ([0], [1.0]), "B": ([1], [1.0])}, 2.0)
    >>> sims = np.array([[0.1, 0.3], [0.2, 0.2], [0.3, 0.1]])
    >>> table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", [0.15])
    >>> s = summarise_grade_tonnage(table)
    >>> s[s.statistic == "P50"][["zone", "tonnage_t", "treo_pct", "n_with_tonnage"]]
         zone  tonnage_t  treo_pct  n_with_tonnage
    3       A     2000.0      0.25               2
    8       B     2000.0      0.25               2
    13  Total     2000.0      0.30               3
    """
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"table must be a pandas DataFrame; got {type(table).__name__}")
    if len(table) == 0:
        raise InputError("the table is empty: there is nothing to summarise")
    cut_col, grade_col, quantities = _table_columns(table)
    cube, zones, cuts = _cube(table, cut_col, quantities)
    for q in ("tonnage_t", "contained_t", "not_estimated_t"):
        if q in cube and not np.all(np.isfinite(cube[q])):
            raise InputError(f"column {q!r} has {int((~np.isfinite(cube[q])).sum())} missing "
                             f"or infinite value(s); every realisation needs a number")
    ton, grade = cube["tonnage_t"], cube[grade_col]
    if np.any(np.isnan(grade) & (ton > 0)):
        raise InputError(f"column {grade_col!r} is NaN where tonnage lies above the cut-off; "
                         f"a mean grade is missing only where the tonnage is 0")
    if total and zones != ["Total"]:
        if "Total" in zones:
            raise InputError("a zone is named 'Total', the name of the total over zones; "
                             "rename it or pass total=False")
        t_sum = ton.sum(axis=1, keepdims=True)
        metal = np.where(ton > 0, ton * grade, 0.0).sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            g_sum = np.where(t_sum > 0, metal / t_sum, np.nan)
        sums = {q: cube[q].sum(axis=1, keepdims=True) for q in quantities}
        sums.update({"tonnage_t": t_sum, grade_col: g_sum})
        cube = {q: np.concatenate([cube[q], sums[q]], axis=1) for q in quantities}
        zones = [*zones, "Total"]
    n_real = cube["tonnage_t"].shape[0]
    n_z, n_c, n_s = len(zones), cuts.size, len(STATISTICS)
    columns: dict[str, Any] = {
        "zone": np.repeat(np.asarray(zones, dtype=object), n_c * n_s),
        cut_col: np.tile(np.repeat(cuts, n_s), n_z),
        "statistic": np.tile(np.asarray(STATISTICS, dtype=object), n_z * n_c),
    }
    for q in quantities:
        stats = summarise(cube[q], axis=0, method=method, ddof=ddof, skipna=q == grade_col)
        columns[q] = np.stack([stats[s] for s in STATISTICS], axis=-1).ravel()
    columns["n_realisations"] = np.full(n_z * n_c * n_s, n_real)
    columns["n_with_tonnage"] = np.repeat((cube["tonnage_t"] > 0).sum(axis=0).ravel(), n_s)
    out = pd.DataFrame(columns)
    out.attrs.update({k: v for k, v in table.attrs.items() if k in ("unit", "basis", "grade")})
    return out


# -------------------------------------------------------------------------- Monte Carlo
def _streams(seed: Any, names: Sequence[str]) -> dict[str, np.random.Generator]:
    """
    One generator per input, keyed by its name: the draws of an input depend on the seed
    and its name only, not on which other inputs are drawn or in what order.
    """
    key: tuple[int, ...] = ()
    if isinstance(seed, np.random.Generator):
        entropy: Any = [int(v) for v in seed.integers(0, 2**63, size=2)]
    elif isinstance(seed, np.random.SeedSequence):
        entropy, key = seed.entropy, tuple(seed.spawn_key)
    elif seed is None:
        entropy = np.random.SeedSequence().entropy
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        entropy = int(seed)
    else:
        raise InputError(f"seed must be an integer >= 0, a numpy Generator or SeedSequence, or "
                         f"None (not reproducible); got {seed!r}")
    out = {}
    for name in names:
        word = tuple(name.encode("utf-8"))
        sequence = np.random.SeedSequence(entropy, spawn_key=(*key, len(word), *word))
        out[name] = np.random.default_rng(sequence)
    return out


def _batch_shape(spec: Any) -> tuple[int, ...]:
    """Broadcast shape of a frozen scipy.stats distribution's parameters (() if unknown)."""
    shapes = [np.shape(a) for a in (*getattr(spec, "args", ()),
                                     *getattr(spec, "kwds", {}).values())]
    try:
        return np.broadcast_shapes(*shapes) if shapes else ()
    except ValueError:
        raise InputError(f"the parameters of {spec!r} do not broadcast together") from None


def monte_carlo(n: int, *, seed: Any, **inputs: Any) -> dict[str, np.ndarray]:
    """
    Draw uncertain inputs: `n` values of each, from its distribution.

    Parameters
    ----------
    n : int
        Number of draws; >= 1.
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None
        The only source of randomness (None: fresh entropy, not reproducible).
    **inputs
        Each input by name (with its unit: ``density_t_m3``, ``thickness_m``): a frozen
        ``scipy.stats`` distribution (``scipy.stats.norm(2.6, 0.1)``; anything with
        ``rvs(size=, random_state=)``), a raremin
        :class:`~raremin.distributions.GradeDistribution` (drawn with its
        ``rvs(size, rng=)``), or a number (a constant).

    Returns
    -------
    dict of str to numpy.ndarray
        The draws of each input, shape ``(n,)`` (``(n,) + batch_shape`` for a
        distribution with array parameters), floats, in the order given.

    Raises
    ------
    InputError
        A bad `n` or seed, or an input that is neither a distribution nor a number.

    Notes
    -----
    The inputs are drawn independently. Each has its own stream, seeded from `seed` and
    its name (``SeedSequence(seed, spawn_key=name)``), so adding, removing or reordering
    other inputs does not change its draws: two runs differing in one input are compared
    on the same draws of the others (common random numbers). A ``Generator`` passed as
    `seed` gives one draw of entropy for all the streams and moves on. Dependence
    between inputs (e.g. density and grade) is not modelled here: draw such inputs
    together and pass them as arrays to the function that uses them.

    Examples
    --------
    >>> from scipy import stats
    >>> from raremin.uncertainty import monte_carlo
    >>> d = monte_carlo(10_000, seed=1, density_t_m3=stats.norm(2.6, 0.1), area_m2=1.5e6)
    >>> d["density_t_m3"].shape, round(float(d["density_t_m3"].mean()), 2), float(d["area_m2"][0])
    ((10000,), 2.6, 1500000.0)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n (the number of draws) must be an integer >= 1; got {n!r}")
    n = int(n)
    streams = _streams(seed, list(inputs))
    out: dict[str, np.ndarray] = {}
    for name, spec in inputs.items():
        gen = streams[name]
        if isinstance(spec, GradeDistribution):
            shape = (n, *spec.batch_shape)
            draws = spec.rvs(shape, rng=gen)
        elif hasattr(spec, "rvs"):
            shape = (n, *_batch_shape(spec))
            draws = spec.rvs(size=shape, random_state=gen)
        elif isinstance(spec, (int, float, np.integer, np.floating)) and not isinstance(
                spec, bool):
            shape = (n,)
            draws = np.full(n, float(spec))
        else:
            raise InputError(
                f"input {name!r} is a {type(spec).__name__}; give a frozen scipy.stats "
                f"distribution (e.g. scipy.stats.norm(2.6, 0.1)), a raremin grade "
                f"distribution or a number"
            )
        draws = np.asarray(draws, dtype=float)
        if draws.shape != shape:
            raise InputError(f"input {name!r} drew values of shape {draws.shape}; expected "
                             f"{shape}")
        out[name] = draws
    return out


#: Ways to give the tonnage of each draw to monte_carlo_grade_tonnage.
_TONNAGE_RECIPES = (("tonnage_t",), ("volume_m3", "density_t_m3"),
                    ("area_m2", "thickness_m", "density_t_m3"))
_GRADE_KEYS = ("mean_grade", "cv")
_FAMILIES: dict[str, type[Lognormal] | type[Gamma]] = {"lognormal": Lognormal,
                                                       "gamma": Gamma}


def _draw_array(draws: Mapping[str, Any], key: str, n: int | None) -> np.ndarray:
    arr = check_finite(draws[key], f"draws[{key!r}]")
    if arr.ndim > 1 or (n is not None and arr.ndim == 1 and arr.size != n):
        raise InputError(f"draws[{key!r}] has shape {arr.shape}; give one value per draw "
                         f"({n}) or a number")
    return arr


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> str:
    if arr.ndim == 0:
        return f"{float(arr)}"
    k = int(np.flatnonzero(bad)[0])
    return f"{arr[k]} at draw {k} ({int(bad.sum())} draw(s) in all)"


def monte_carlo_grade_tonnage(
    draws: Mapping[str, Any],
    cutoffs: ArrayLike,
    *,
    unit: str,
    basis: str,
    grade_name: str = "grade",
    family: str = "lognormal",
    zone: str = "Total",
    workers: int | None = None,
) -> pd.DataFrame:
    """
    Grade-tonnage table of every Monte Carlo draw of tonnage and grade distribution.

    Each draw is a zone of tonnage ``area x thickness x density`` (or ``volume x
    density``, or a tonnage) whose grades follow a distribution of the given family
    with the drawn mean and coefficient of variation; its table comes from the closed
    forms of :func:`raremin.tonnage.analytic_grade_tonnage`, for all draws at once.

    Parameters
    ----------
    draws : mapping of str to array_like
        The draws (from :func:`monte_carlo`, or your own), each one value per draw or a
        number: the tonnage as ``tonnage_t``, or ``volume_m3`` and ``density_t_m3``, or
        ``area_m2``, ``thickness_m`` and ``density_t_m3``; and the grade distribution's
        ``mean_grade`` (in `unit`, > 0) and ``cv`` (> 0). Nothing else.
    cutoffs : array_like
        Strictly increasing cut-offs in `unit`.
    unit : str
        Unit of ``mean_grade`` and the cut-offs.
    basis : {"element", "oxide"}
        Basis of the grade.
    grade_name : str, default "grade"
        What the grade is of (``"treo"``): names the mean-grade column.
    family : {"lognormal", "gamma"}, default "lognormal"
        Family of the grade distribution (``from_mean_cv`` of
        :class:`~raremin.distributions.Lognormal` or :class:`~raremin.distributions.Gamma`).
    zone : str, default "Total"
        The value of the ``zone`` column.
    workers : int, optional
        Threads for large lognormal tables.

    Returns
    -------
    pandas.DataFrame
        The long table of :func:`realisation_grade_tonnage` (each draw a
        ``realisation``): ``realisation``, ``zone``, ``cutoff_<unit>``, ``tonnage_t``,
        ``<grade_name>_<unit>``, ``contained_t``; ready for
        :func:`summarise_grade_tonnage`.

    Raises
    ------
    InputError
        Missing, unknown or mixed keys; arrays of different lengths; NaN, a negative
        tonnage factor or a non-positive mean grade or cv (naming the first draw).

    Notes
    -----
    ``T(c) = T0 P(Z >= c)``, ``m(c) = E[Z | Z >= c]``, ``Q(c) = T0 E[Z 1{Z >= c}]`` per
    draw (``docs/conventions.md``); for the lognormal, ``sigma**2 = ln(1 + cv**2)`` and
    ``mu = ln(mean) - sigma**2 / 2``. The uncertainty is that of the inputs: the grade
    distribution of a draw describes the spread of grades within the zone, and its
    mean and cv are what is uncertain.

    Examples
    --------
    >>> from scipy import stats
    >>> from raremin.uncertainty import (monte_carlo, monte_carlo_grade_tonnage,
    ...                                  summarise_grade_tonnage)
    >>> draws = monte_carlo(2000, seed=7, area_m2=1.2e6,
    ...                     thickness_m=stats.truncnorm(-3, 3, loc=10.0, scale=1.5),
    ...                     density_t_m3=stats.norm(2.6, 0.08),
    ...                     mean_grade=stats.lognorm(0.1, scale=0.15), cv=stats.uniform(0.5, 0.3))
    >>> table = monte_carlo_grade_tonnage(draws, [0.0, 0.1, 0.2], unit="pct", basis="oxide",
    ...                                   grade_name="treo")
    >>> s = summarise_grade_tonnage(table)
    >>> p = s[s.statistic.isin(["P90", "P50", "P10"]) & (s.cutoff_pct == 0.1)]
    >>> (p.set_index("statistic")["tonnage_t"] / 1e6).round(1).to_dict()
    {'P90': 15.5, 'P50': 20.1, 'P10': 25.3}
    """
    if not isinstance(draws, Mapping):
        raise InputError(f"draws must be a mapping of input name to values; got "
                         f"{type(draws).__name__}")
    unit = grade_unit(unit)
    basis = check_basis(basis)
    cut = check_cutoffs(cutoffs, unit)
    if family not in _FAMILIES:
        raise InputError(f"unknown family {family!r}; use one of {list(_FAMILIES)}")
    keys = set(draws)
    recipes = [r for r in _TONNAGE_RECIPES if set(r) <= keys]
    allowed = {k for r in _TONNAGE_RECIPES for k in r} | set(_GRADE_KEYS)
    unknown = sorted(keys - allowed)
    if unknown:
        raise InputError(f"unknown draws {unknown}; give the tonnage as one of "
                         f"{[list(r) for r in _TONNAGE_RECIPES]} and the grade as "
                         f"{list(_GRADE_KEYS)}")
    tonnage_keys = keys - set(_GRADE_KEYS)
    if not recipes or tonnage_keys != set(recipes[-1]):
        raise InputError(f"the tonnage draws {sorted(tonnage_keys)} match none of the recipes "
                         f"{[list(r) for r in _TONNAGE_RECIPES]}; give exactly one")
    missing = [k for k in _GRADE_KEYS if k not in keys]
    if missing:
        raise InputError(f"draws need {missing} for the grade distribution (mean_grade in "
                         f"{unit}, cv > 0)")
    sizes = {np.size(draws[k]) for k in keys if np.ndim(draws[k]) == 1}
    if len(sizes) > 1:
        raise InputError(f"the draws have different lengths {sorted(sizes)}; give one value "
                         f"per draw, or a number")
    n = sizes.pop() if sizes else 1
    tonnage = np.ones(())
    for key in recipes[-1]:
        arr = _draw_array(draws, key, n)
        bad = arr < 0
        if np.any(bad):
            raise InputError(f"draws[{key!r}] must be >= 0; got {_first_bad(arr, bad)}; draw it "
                             f"from a distribution bounded at 0 (scipy.stats.truncnorm, "
                             f"lognorm, gamma)")
        tonnage = tonnage * arr
    mean = _draw_array(draws, "mean_grade", n)
    cv = _draw_array(draws, "cv", n)
    full = float(GRADE_UNITS["fraction"] / GRADE_UNITS[unit])
    for arr, key, bad in ((mean, "mean_grade", (mean <= 0) | (mean > full)),
                          (cv, "cv", cv <= 0)):
        if np.any(bad):
            raise InputError(f"draws[{key!r}] must be > 0{' and <= 100 %' if key != 'cv' else ''}"
                             f"; got {_first_bad(arr, bad)}; draw it from a distribution of "
                             f"positive values (scipy.stats.lognorm, gamma, truncnorm)")
    shape = (n,)
    dist = _FAMILIES[family].from_mean_cv(np.broadcast_to(mean, shape),
                                          np.broadcast_to(cv, shape),
                                          unit=unit, basis=basis, name=grade_name)
    gt = analytic_grade_tonnage(dist, np.broadcast_to(tonnage, shape), cut, workers=workers)
    tables = tuple(np.asarray(a)[:, None, :] for a in (gt.tonnage_t, gt.mean_grade,
                                                      gt.contained_t))
    return _long_frame(tables, [str(zone)], cut, unit, basis, grade_name)
