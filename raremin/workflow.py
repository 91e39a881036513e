"""
The assessment workflow: zones and samples in, block model, estimates and
grade-tonnage tables by zone out.

:func:`assess` runs the whole chain on a deposit and a table of samples with
element grades: a block model clipped to the zones, grades estimated zone by zone
with hard boundaries, rare-earth baskets per block (TREO, TREE, NdPr...) and one
grade-tonnage table per zone with every element, oxide and basket reported. The
``raremin assess`` command and the quick-start notebook are thin layers over it.

Examples
--------
>>> import numpy as np, pandas as pd
>>> import raremin
>>> from shapely import box
>>> from raremin.deposit import Deposit, Zone
>>> from raremin.workflow import assess
>>> dep = Deposit("D", [Zone("A", box(0, 0, 100, 100), 50, 0, 2.5)], crs=32643)
>>> rng = np.random.default_rng(0)
>>> xyz = rng.uniform([0, 0, 0], [100, 100, 50], size=(60, 3))
>>> samples = pd.DataFrame(xyz, columns=["easting_m", "northing_m", "elevation_m"])
>>> samples["zone"] = "A"
>>> for symbol in raremin.basket("treo").elements:  # every rare earth, 100 ppm each
...     samples[f"{symbol.lower()}_ppm"] = 100.0
>>> result = assess(dep, samples, block_size=(25, 25, 10), cutoffs=[0.0, 0.05], estimator="idw")
>>> float(result.summary["tonnage_t"].iloc[0])
1250000.0
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_basis
from .chemistry import OXIDE_FACTORS, basket, grade_columns, oxide_formula
from .deposit import Deposit
from .errors import InputError, RareminError
from .grid import BlockGrid, BlockModel
from .tonnage import GradeTonnage, check_cutoffs, grade_tonnage
from .units import convert_grade, grade_factor, unit_suffix

__all__ = ["Assessment", "assess", "basket_arrays", "default_estimator"]

logger = logging.getLogger(__name__)

#: Baskets reported by default (on oxide basis; TREE is TREO's element-basis twin).
DEFAULT_BASKETS = ("treo", "lreo", "hreo", "mreo", "ndpr", "creo")


def default_estimator() -> Any:
    """
    The inverse-distance estimator :func:`assess` uses with ``estimator="idw"``.

    Inverse distance squared over at most 16 samples within 250 m, at most 4 per
    octant so that several drillholes inform each block.

    Examples
    --------
    >>> from raremin.workflow import default_estimator
    >>> type(default_estimator()).__name__
    'InverseDistance'
    """
    from .geostats.idw import InverseDistance
    from .geostats.neighbourhood import Neighbourhood

    return InverseDistance(
        power=2.0,
        neighbourhood=Neighbourhood(max_samples=16, min_samples=1, radius=250.0, max_per_octant=4),
    )


def zone_variogram(coords: Any, values: Any, *, shape: str = "spherical") -> Any:
    """
    A variogram model for one zone from a horizontal and a down-hole experimental variogram.

    The horizontal variogram (all azimuths, pairs within 15 degrees and 10 m of the
    horizontal) gives the sill and the horizontal range; the vertical (down-hole)
    variogram gives the nugget, best seen at the short lags along holes, and the
    vertical range. The model is ``nugget + shape(sill - nugget, ranges = (horizontal,
    horizontal, vertical))``.

    Parameters
    ----------
    coords : array_like
        Sample coordinates ``(n, 3)``: easting, northing, elevation (m).
    values : array_like
        Sample grades.
    shape : str
        Structure shape (default spherical).

    Returns
    -------
    VariogramModel

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.workflow import zone_variogram
    >>> rng = np.random.default_rng(0)
    >>> xyz = rng.uniform([0, 0, 0], [1000, 1000, 300], (400, 3))
    >>> z = np.sin(xyz[:, 0] / 150) + np.cos(xyz[:, 2] / 40) + rng.normal(0, 0.1, 400)
    >>> zone_variogram(xyz, z).structures[0].shape
    'spherical'
    """
    from .geostats.models import Structure, VariogramModel
    from .geostats.variogram import experimental_variogram, fit_variogram

    xyz = np.asarray(coords, dtype=float)
    z = np.asarray(values, dtype=float)
    extent = np.ptp(xyz, axis=0)
    h_lag = max(float(np.hypot(extent[0], extent[1])) / 2, 50.0)
    v_lag = max(float(extent[2]) * 0.4, 20.0)
    horizontal = experimental_variogram(
        xyz, z, n_lags=12, max_lag=h_lag, azimuth=0.0, dip=0.0, angle_tolerance=90.0,
        dip_tolerance=15.0, dip_bandwidth=10.0,
    )
    vertical = experimental_variogram(
        xyz, z, n_lags=12, max_lag=v_lag, azimuth=0.0, dip=-90.0, angle_tolerance=15.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a range at its bound is acceptable here
        fit_h = fit_variogram(horizontal, (shape,)).model
        fit_v = fit_variogram(vertical, (shape,)).model
    total = fit_h.sill
    nugget = min(fit_v.nugget, 0.5 * total)
    ranges = (fit_h.structures[0].ranges[0],) * 2 + (fit_v.structures[0].ranges[0],)
    return VariogramModel(nugget, [Structure(shape, total - nugget, ranges)])


def kriging_estimator(model: Any) -> Any:
    """
    Ordinary kriging with a search ellipsoid of 1.5 variogram ranges, 32 samples, 8 per octant.

    Examples
    --------
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.workflow import kriging_estimator
    >>> m = VariogramModel(0.1, [Structure("spherical", 0.9, (300.0, 300.0, 50.0))])
    >>> type(kriging_estimator(m)).__name__
    'Kriging'
    """
    from .geostats.kriging import Kriging
    from .geostats.neighbourhood import Neighbourhood

    ranges = model.structures[0].ranges if model.structures else (1.0,)
    search = Neighbourhood(
        max_samples=32, min_samples=4, ranges=ranges, radius=1.5, max_per_octant=8
    )
    return Kriging(model, search, kind="ordinary")


def basket_arrays(
    arrays: dict[str, np.ndarray], *, baskets: Sequence[str] = DEFAULT_BASKETS, unit: str = "pct"
) -> dict[str, np.ndarray]:
    """
    Oxide grades of every element and basket totals from element-grade arrays.

    Parameters
    ----------
    arrays : dict of str to numpy.ndarray
        Arrays named like element-basis grade columns (``la_ppm``, ``nd_pct``...);
        other names are ignored.
    baskets : sequence of str
        Baskets to total (oxide basis), plus ``tree`` (TREO's members on element basis).
    unit : str
        Unit of the basket totals.

    Returns
    -------
    dict of str to numpy.ndarray
        ``<oxide>_<unit>`` for each element (in the element column's unit),
        ``<basket>_<unit>`` for each basket and ``tree_<unit>``.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.workflow import basket_arrays
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # TREE: the other rare earths count as 0
    ...     out = basket_arrays({"nd_ppm": np.array([1000.0]), "pr_ppm": np.array([250.0])},
    ...                         baskets=["ndpr"])
    >>> round(float(out["ndpr_pct"][0]), 5)
    0.14684
    """
    columns = {k: v for k, v in grade_columns(list(arrays)).items() if v.basis == "element"}
    if not columns:
        raise InputError(
            f"no element grade arrays (like 'nd_ppm') among {sorted(arrays)}; "
            f"estimate element grades first"
        )
    out: dict[str, np.ndarray] = {}
    by_element: dict[str, np.ndarray] = {}
    suffix = unit_suffix(unit)
    for name, col in columns.items():
        values = np.asarray(arrays[name], dtype=float)
        out[f"{oxide_formula(col.element).lower()}_{unit_suffix(col.unit)}"] = (
            values * OXIDE_FACTORS[col.element]
        )
        by_element[col.element] = convert_grade(values, col.unit, unit)
    present = set(by_element)
    for name in ("tree", *baskets):
        members = basket("treo" if name == "tree" else name).elements
        absent = [m for m in members if m not in present]
        if absent:
            warnings.warn(
                f"basket {name.upper()}: no estimate for {', '.join(absent)}; counted as 0",
                stacklevel=2,
            )
        factor = 1.0 if name == "tree" else None
        total = sum(
            by_element[m] * (factor if factor is not None else OXIDE_FACTORS[m])
            for m in members
            if m in present
        )
        out[f"{name}_{suffix}"] = np.asarray(total, dtype=float)
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class Assessment:
    """
    What :func:`assess` produces.

    Attributes
    ----------
    deposit : Deposit
        The zones.
    model : BlockModel
        The block model with estimated element grades, basket totals and diagnostics.
    curve : GradeTonnage
        Grade-tonnage by zone (leading axis = zones) for the cut-off grade on a fine set
        of cut-offs (for charts), with every element, oxide and basket reported.
    summary : pandas.DataFrame
        Per zone and cut-off: tonnage, mean cut-off grade, contained TREO, contained
        rare-earth metal (TREE), contained NdPr oxide, with a deposit total per cut-off.
    cutoff_grade : str
        ``"treo"`` (oxide basis) or ``"tree"`` (element basis).
    basis : str
        Basis of the cut-off grade.
    unit : str
        Unit of the cut-off grade.
    samples_outside : int
        Samples that lie outside every zone (not used, reported).
    notes : tuple of str
        Plain statements for a report (basis, method, what was left out).

    Examples
    --------
    >>> from raremin.workflow import Assessment
    >>> sorted(f.name for f in __import__("dataclasses").fields(Assessment))[:3]
    ['basis', 'curve', 'cutoff_grade']
    """

    deposit: Deposit
    model: BlockModel
    curve: GradeTonnage
    summary: pd.DataFrame
    cutoff_grade: str
    basis: str
    unit: str
    samples_outside: int
    notes: tuple[str, ...]


def assess(
    deposit: Deposit,
    samples: pd.DataFrame,
    *,
    block_size: float | Sequence[float] = (25.0, 25.0, 10.0),
    cutoffs: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2),
    basis: str = "oxide",
    unit: str = "pct",
    estimator: Any = "kriging",
    zone_column: str = "zone",
) -> Assessment:
    """
    Estimate a deposit's zones from samples and tabulate grade-tonnage by zone.

    Parameters
    ----------
    deposit : Deposit
        The zones (projected CRS).
    samples : pandas.DataFrame
        Sample (or composite) table with ``easting_m``, ``northing_m``,
        ``elevation_m``, element-basis grade columns (``la_ppm``...) and a zone column
        (missing: zones are assigned from the geometry).
    block_size : float or sequence of 3 floats
        Block size, m.
    cutoffs : sequence of float
        Cut-offs on TREO (oxide basis) or TREE (element basis), in `unit`.
    basis : {"oxide", "element"}
        Basis of the cut-off grade: TREO or TREE.
    unit : str
        Unit of the cut-offs and the reported basket grades.
    estimator : {"kriging", "idw"} or estimator, default "kriging"
        ``"kriging"``: ordinary kriging per zone with a variogram model fitted to the
        zone's TREE (:func:`zone_variogram`, :func:`kriging_estimator`; one model per
        zone serves every element, since kriging weights do not depend on the sill);
        ``"idw"``: :func:`default_estimator`; or anything with
        ``clone``/``fit``/``predict``, or a mapping of zone name to such an estimator.
    zone_column : str
        Name of the samples' zone column.

    Returns
    -------
    Assessment

    Raises
    ------
    InputError
        Missing columns, a zone without samples, bad cut-offs.
    CRSError
        Samples (GeoDataFrame) in another CRS than the deposit.

    Examples
    --------
    >>> import raremin
    >>> data = raremin.load_kuirektykol()  # SYNTHETIC data
    >>> dep = raremin.Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    >>> result = assess(dep, data.samples, block_size=50, cutoffs=[0.0, 0.1])
    >>> total = result.summary.query("zone == 'Total' and cutoff_pct == 0.0")
    >>> bool(abs(float(total["tree_t"].iloc[0]) / 0.94e6 - 1) < 0.1)
    True
    """
    from .estimation import assign_zones, estimate

    basis = check_basis(basis)
    cut = check_cutoffs(cutoffs, unit)
    frame = samples
    if zone_column not in frame.columns:
        frame = frame.assign(**{zone_column: assign_zones(frame, deposit)})
    outside = int((~frame[zone_column].isin(deposit.names)).sum())
    grades = [k for k, v in grade_columns(frame).items() if v.basis == "element"]
    if not grades:
        raise InputError(
            f"samples have no element grade columns (like 'nd_ppm'); columns: {list(frame.columns)}"
        )
    grid = BlockGrid.covering(deposit, block_size)
    model = BlockModel.from_deposit(deposit, dataclasses.replace(grid, crs=deposit.crs))
    est = _estimators(estimator, deposit, frame, grades, zone_column)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*outside.*", category=UserWarning)
        model = estimate(model, frame, est, grades=grades, zone_column=zone_column)
    if outside:
        logger.info("%d samples lie outside every zone and were not used", outside)
    derived = basket_arrays({g: model.arrays[g] for g in grades}, unit=unit)
    model = model.with_arrays(**derived)
    cutoff_grade = "treo" if basis == "oxide" else "tree"
    key = f"{cutoff_grade}_{unit_suffix(unit)}"
    others = {k: v for k, v in derived.items() if k != key}
    others.update({g: model.arrays[g] for g in grades})
    table_kwargs = {
        "unit": unit,
        "basis": basis,
        "grade_name": cutoff_grade,
        "others": others,
        "groups": model.zone_code,
        "group_names": model.zone_names,
    }
    tonnage = model.tonnage_t()
    summary = _summary(grade_tonnage(model.arrays[key], tonnage, cut, **table_kwargs), unit)
    # The curve for charts: 101 cut-offs from 0 to the highest block grade, plus the table's.
    top = float(np.nanmax(model.arrays[key])) if np.isfinite(model.arrays[key]).any() else 0.0
    fine = np.unique(np.concatenate([np.linspace(0.0, max(top, float(cut[-1])), 101), cut]))
    curve = grade_tonnage(model.arrays[key], tonnage, fine, **table_kwargs)
    notes = (
        f"Cut-off grade: {cutoff_grade.upper()} in {unit} on {basis} basis "
        f"({basket('treo').describe()}).",
        "Contained rare-earth metal = TREE (element basis: La-Lu + Y); contained TREO and "
        "NdPr on oxide basis.",
        f"Estimator: {_describe(est)}; grades estimated zone by zone with hard boundaries.",
        f"{outside} sample(s) outside every zone were not used.",
        f"Not estimated (no samples in range): "
        f"{float(np.nansum(curve.not_estimated_t)):,.0f} t.",
        f"Block size {' x '.join(f'{v:g}' for v in grid.block_size)} m; "
        f"{model.n_parcels:,} block parcels.",
    )
    return Assessment(deposit, model, curve, summary, cutoff_grade, basis, unit, outside, notes)


def _estimators(
    estimator: Any, deposit: Deposit, frame: pd.DataFrame, grades: list[str], zone_column: str
) -> Any:
    """The estimator, or a mapping zone -> estimator, that :func:`assess` was asked for."""
    if isinstance(estimator, str):
        if estimator == "idw":
            return default_estimator()
        if estimator != "kriging":
            raise InputError(f"unknown estimator {estimator!r}; use 'kriging' or 'idw'")
        coords = ["easting_m", "northing_m", "elevation_m"]
        chosen = {}
        for zone in deposit.names:
            rows = frame[frame[zone_column] == zone]
            if len(rows) < 10:
                raise InputError(
                    f"zone {zone!r} has {len(rows)} sample(s); a variogram needs at least 10 "
                    f"(use estimator='idw')"
                )
            tree = rows[grades].to_numpy(dtype=float).sum(axis=1)
            try:
                model = zone_variogram(rows[coords].to_numpy(), tree)
            except RareminError as err:
                raise InputError(
                    f"could not fit a variogram to zone {zone!r} ({err}); "
                    f"use estimator='idw' or pass your own estimator"
                ) from None
            chosen[zone] = kriging_estimator(model)
        return chosen
    return estimator


def _describe(est: Any) -> str:
    if isinstance(est, dict):
        parts = []
        for zone, e in est.items():
            model = getattr(e, "model", None)
            detail = f" ({model.describe()})" if model is not None else ""
            parts.append(f"{zone}: {type(e).__name__}{detail}")
        return "; ".join(parts)
    return type(est).__name__


def _summary(curve: GradeTonnage, unit: str) -> pd.DataFrame:
    """Per zone and cut-off: the figures a statement quotes, with totals per cut-off."""
    suffix = unit_suffix(unit)
    zones = list(curve.groups or ("all",))
    rows = []
    for z, zone in enumerate(zones):
        for j, c in enumerate(curve.cutoffs):
            contained = dict(curve.extra_contained_t)
            contained[f"{curve.grade_name}_{suffix}"] = curve.contained_t
            treo_t = contained[f"treo_{suffix}"][z, j]
            tree_t = contained[f"tree_{suffix}"][z, j]
            rows.append(
                {
                    "zone": zone,
                    f"cutoff_{suffix}": c,
                    "tonnage_t": curve.tonnage_t[z, j],
                    f"{curve.grade_name}_{suffix}": curve.mean_grade[z, j],
                    "treo_t": treo_t,
                    "tree_t": tree_t,
                    "ndpr_oxide_t": contained[f"ndpr_{suffix}"][z, j],
                }
            )
    table = pd.DataFrame(rows)
    grade_col = f"{curve.grade_name}_{suffix}"
    totals = table.groupby(f"cutoff_{suffix}", sort=False).sum(numeric_only=True).reset_index()
    metal = totals["treo_t"] if curve.grade_name == "treo" else totals["tree_t"]
    with np.errstate(invalid="ignore", divide="ignore"):
        totals[grade_col] = np.where(
            totals["tonnage_t"] > 0, metal / totals["tonnage_t"] / grade_factor(unit), np.nan
        )
    totals.insert(0, "zone", "Total")
    return pd.concat([table, totals[table.columns]], ignore_index=True)
