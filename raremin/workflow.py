"""
The assessment workflow: zones and samples in, block model, estimates and
grade-tonnage tables by zone out, for any commodity.

:func:`assess` runs the whole chain on a deposit and a table of samples (or a
:class:`~raremin.preparation.Preparation` made from drillhole exports): cheap checks
first (grade columns, zone labels against the geometry, samples far from every zone,
cut-offs against the grades, the size of the block model), then a block model clipped
to the zones, every grade estimated zone by zone with hard boundaries (each from the
samples where it was assayed), rare-earth oxides and baskets where rare earths are
present, and one grade-tonnage table per zone on the cut-off grade, with every other
grade reported. Everything adjusted along the way is counted in
:attr:`Assessment.adjustments`. The ``raremin assess`` command and the notebooks are
thin layers over it.

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
>>> samples["cu_pct"] = 0.5
>>> result = assess(dep, samples, block_size=(25, 25, 10), cutoffs=[0.0, 0.3],
...                 estimator="idw")
>>> result.cutoff_label, float(result.summary["cu_t"].iloc[0])
('cu_pct', 6250.0)
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from ._validation import check_basis, check_cutoffs
from .analytes import Analyte, find_analytes, parse_analyte
from .assays import DEFAULT_MISSING_CODES
from .chemistry import OXIDE_FACTORS, RARE_EARTHS, basket, basket_weights
from .deposit import Deposit, as_crs, check_same_crs, crs_label
from .errors import InputError, RareminError
from .grid import MAX_BLOCKS, BlockGrid, BlockModel, check_block_count
from .preparation import Preparation, prepare_samples
from .tonnage import GradeTonnage, grade_tonnage
from .units import GRADE_UNITS, convert_grade, grade_factor, grade_unit, unit_suffix

__all__ = [
    "DEFAULT_BASKETS",
    "Assessment",
    "assess",
    "basket_arrays",
    "default_estimator",
    "default_search",
    "automatic_kriging",
    "derived_grades",
    "kriging_estimator",
    "zone_variogram",
]

logger = logging.getLogger(__name__)

#: Baskets reported by default where rare earths are present (oxide basis; TREE is
#: TREO's element-basis twin and is always added with TREO).
DEFAULT_BASKETS = ("treo", "lreo", "hreo", "mreo", "ndpr", "creo")

#: The default cut-offs on TREO (or TREE), in %.
DEFAULT_REE_CUTOFFS_PCT = (0.0, 0.05, 0.1, 0.15, 0.2)

#: Search radius of the default search, in variogram ranges (at least).
SEARCH_RANGES = 1.5
#: ... and in typical hole spacings along the major axis (at least).
SEARCH_SPACINGS = 2.5
#: A sample farther than this from every zone, in plan, is "far outside": a likely CRS
#: or unit slip. Units: m; the larger of this and the diagonal of the zones' extent.
FAR_OUTSIDE_M = 1000.0


# ------------------------------------------------------------------ estimator set-up
def zone_variogram(coords: ArrayLike, values: Any, *, holes: Any = None, shape: str = "spherical",
                   seed: int = 0) -> Any:
    """
    The automatic variogram model of one zone (see
    :func:`raremin.geostats.autovariogram.auto_variogram`).

    Finds the axes of greatest continuity (azimuth, dip, rake) and fits a nugget plus
    one or two nested structures, from a capped number of pairs.

    Parameters
    ----------
    coords : array_like
        Sample coordinates ``(n, 3)``: easting, northing, elevation (m).
    values : array_like
        Sample grades.
    holes : array_like, optional
        Hole id of every sample (pairs along a hole give the nugget).
    shape : str
        Structure shape (default spherical).
    seed : int
        Seed of the pair subsampling.

    Returns
    -------
    VariogramModel

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.workflow import zone_variogram
    >>> rng = np.random.default_rng(0)
    >>> xyz = rng.uniform([0, 0, 0], [1000, 1000, 300], (400, 3))
    >>> z = np.sin(xyz[:, 0] / 60) + np.cos(xyz[:, 1] / 90) + np.cos(xyz[:, 2] / 20)
    >>> zone_variogram(xyz, z + rng.normal(0, 0.1, 400)).structures[0].shape
    'spherical'
    """
    from .geostats.autovariogram import auto_variogram

    return auto_variogram(coords, values, holes=holes, shape=shape, seed=seed).model


def _major_structure(model: Any) -> Any:
    return max(model.structures, key=lambda s: s.ranges[0]) if model.structures else None


def _hole_spacing(coords: np.ndarray, holes: np.ndarray | None) -> float:
    """
    The nominal drill spacing in plan: ``sqrt(area / holes)`` over the convex hull of the
    holes (of the samples without hole ids); NaN with fewer than 3 distinct positions.
    """
    xy = coords[:, :2]
    if holes is not None:
        codes, _ = pd.factorize(pd.Series(holes))
        if codes.size and codes.max() >= 1:
            sums = np.zeros((codes.max() + 1, 2))
            np.add.at(sums, codes, xy)
            xy = sums / np.bincount(codes)[:, None]
    xy = np.unique(xy, axis=0)
    if len(xy) < 3:
        return float("nan")
    area = float(shapely.convex_hull(shapely.multipoints(xy)).area)
    if area <= 0:
        return float("nan")
    return math.sqrt(area / len(xy))


def _sample_spacing(coords: np.ndarray) -> float:
    """Median distance from each sample to its nearest neighbour (down-hole spacing)."""
    xyz = np.unique(coords, axis=0)
    if len(xyz) < 2:
        return float("nan")
    d, _ = cKDTree(xyz).query(xyz, k=2)
    return float(np.median(d[:, 1]))


def default_search(model: Any, coords: ArrayLike | None = None, holes: Any = None) -> Any:
    """
    The search :func:`assess` uses with a variogram model: oriented like the model, its
    axes set from the data spacing as much as from the fitted ranges.

    Parameters
    ----------
    model : VariogramModel
        The zone's model; its longest structure gives the axes and angles.
    coords : array_like, optional
        The zone's sample coordinates (m). Each axis of the search then reaches at
        least ``SEARCH_SPACINGS`` times the data spacing along it (the median distance
        between neighbouring holes in plan, between neighbouring samples vertically),
        so that blocks between holes are estimated even where a fitted range is short,
        and at most the extent of the data (a range longer than the data says only
        that the variogram has not reached its sill). The spacing between holes is the
        nominal drill spacing ``sqrt(area / holes)`` over the convex hull of the holes
        in plan.
    holes : array_like, optional
        Hole id of every sample (spacing between holes rather than samples).

    Returns
    -------
    Neighbourhood
        32 samples at most, at least 4, at most 8 per octant.

    Notes
    -----
    Along axis ``i`` (unit vector ``u_i``, fitted range ``a_i``) the search reaches
    ``clip(1.5 a_i, m_i, D)`` with ``m_i = 2.5 sqrt((s_h |u_i,h|)^2 + (s_v u_i,z)^2)``,
    ``s_h`` the hole spacing in plan, ``s_v`` the sample spacing, and ``D`` the
    diagonal of the samples' extent (at least ``m_i``).

    Examples
    --------
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.workflow import default_search
    >>> m = VariogramModel(0.1, [Structure("spherical", 0.9, (300.0, 300.0, 50.0))])
    >>> default_search(m).ranges
    (450.0, 450.0, 75.0)
    >>> grid = range(0, 2001, 500)  # 25 vertical holes 500 m apart, sampled every 5 m
    >>> xyz = [[x, y, z] for x in grid for y in grid for z in (0, 5, 10)]
    >>> default_search(m, xyz).ranges  # 2.5 drill spacings of 400 m (2 km square / 5)
    (1000.0, 1000.0, 75.0)
    """
    from .geostats.neighbourhood import Neighbourhood, anisotropy_matrix

    major = _major_structure(model)
    ranges = np.array(major.ranges if major is not None else (1.0,), dtype=float)
    angles = tuple(major.angles) if major is not None else (0.0, 0.0, 0.0)
    if ranges.size == 1:
        ranges = np.repeat(ranges, 3)
    reach = SEARCH_RANGES * ranges
    if coords is not None:
        xyz = np.asarray(coords, dtype=float)
        s_h = _hole_spacing(xyz, None if holes is None else np.asarray(holes, dtype=object))
        s_v = _sample_spacing(xyz)
        if math.isfinite(s_h) and math.isfinite(s_v):
            axes = anisotropy_matrix(ranges, angles) * ranges[:, None]  # unit axis vectors
            horizontal = np.hypot(axes[:, 0], axes[:, 1])
            floor = SEARCH_SPACINGS * np.hypot(s_h * horizontal, s_v * axes[:, 2])
            extent = float(np.linalg.norm(np.ptp(xyz, axis=0)))
            reach = np.clip(reach, floor, np.maximum(extent, floor))
    return Neighbourhood(max_samples=32, min_samples=4, ranges=tuple(float(r) for r in reach),
                         angles=angles, radius=1.0, max_per_octant=8)


#: Coefficient of variation above which the automatic variogram is the correlogram
#: (robust to the proportional effect of skewed grades) rather than Matheron's.
SKEWED_CV = 1.0


def automatic_kriging(
    coords: ArrayLike,
    values: Any,
    *,
    holes: Any = None,
    variogram: Any = None,
    search: Any = None,
    max_per_hole: int | None = None,
    seed: int = 0,
) -> tuple[Any, str, str]:
    """
    The kriging set-up :func:`assess` uses for one zone: variogram, search, estimator.

    Parameters
    ----------
    coords : array_like, shape (n, 3)
        The zone's sample coordinates, m.
    values : array_like, shape (n,)
        The cut-off grade of those samples (no NaN).
    holes : array_like, optional
        Hole id of every sample.
    variogram : VariogramModel, optional
        A given model; default: :func:`raremin.geostats.autovariogram.auto_variogram`,
        with Matheron's estimator, or the correlogram when the grades are skewed
        (coefficient of variation above :data:`SKEWED_CV`: a proportional effect
        makes Matheron's variogram of raw grades erratic).
    search : Neighbourhood, optional
        A given search; default :func:`default_search`.
    max_per_hole : int, optional
        Most samples of one hole per estimate.
    seed : int
        Seed of the automatic variogram's pair subsampling.

    Returns
    -------
    estimator : Kriging
        Ordinary kriging (fit it to the zone's samples).
    variogram : str
        How the model was chosen, and the model.
    search : str
        The search, in words.

    Raises
    ------
    InputError
        Fewer than 10 samples for an automatic variogram, or one that cannot be fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.workflow import automatic_kriging
    >>> rng = np.random.default_rng(1)
    >>> xyz = rng.uniform([0, 0, 0], [800, 800, 100], (300, 3))
    >>> z = np.sin(xyz[:, 0] / 100) + np.cos(xyz[:, 1] / 120) + rng.normal(0, 0.2, 300)
    >>> kriging, model, search = automatic_kriging(xyz, z + 3)
    >>> type(kriging).__name__, model.split(":")[0]
    ('Kriging', 'automatic (Matheron variogram)')
    """
    xyz = np.asarray(coords, dtype=float)
    z = np.asarray(values, dtype=float)
    if variogram is not None:
        model = variogram
        model_text = f"given: {model.describe()}"
    else:
        if z.size < 10:
            raise InputError(
                f"{z.size} sample(s) with the cut-off grade; an automatic variogram needs at "
                f"least 10 (use estimator='idw', or give the variogram)")
        mean = float(np.mean(z))
        cv = float(np.std(z) / mean) if mean > 0 else 0.0
        kind = "correlogram" if cv > SKEWED_CV else "matheron"
        try:
            from .geostats.autovariogram import auto_variogram

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a range beyond the lags is stated below
                fit = auto_variogram(xyz, z, holes=holes, seed=seed, estimator=kind)
        except RareminError as err:
            raise InputError(f"could not fit a variogram ({err}); use estimator='idw' or "
                             f"give the variogram") from None
        model = fit.model
        label = "correlogram (grades skewed" if kind == "correlogram" else "Matheron variogram"
        detail = f", CV {cv:.2f})" if kind == "correlogram" else ")"
        model_text = f"automatic ({label}{detail}: {fit.describe()}"
    chosen = search if search is not None else default_search(model, xyz, holes)
    ranges = "/".join(f"{r:,.0f}" for r in (chosen.ranges or ()))
    search_text = (f"{chosen.max_samples} samples (at least {chosen.min_samples}"
                   + (f", {chosen.max_per_octant} per octant" if chosen.max_per_octant else "")
                   + f") within {chosen.radius:g} x ellipsoid {ranges} m, angles "
                   + "/".join(f"{a:.1f}" for a in chosen.angles)
                   + (f"; at most {max_per_hole} per hole" if max_per_hole else ""))
    return kriging_estimator(model, chosen, max_per_hole=max_per_hole), model_text, search_text


def kriging_estimator(model: Any, search: Any = None, *, max_per_hole: int | None = None) -> Any:
    """
    Ordinary kriging with `search`, or with 1.5 variogram ranges, 32 samples, 8 per octant.

    Examples
    --------
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.workflow import kriging_estimator
    >>> m = VariogramModel(0.1, [Structure("spherical", 0.9, (300.0, 300.0, 50.0))])
    >>> type(kriging_estimator(m)).__name__
    'Kriging'
    """
    from .geostats.kriging import Kriging

    return Kriging(model, search if search is not None else default_search(model),
                   kind="ordinary", max_per_hole=max_per_hole)


def default_estimator(radius_m: float = 250.0) -> Any:
    """
    The inverse-distance estimator :func:`assess` uses with ``estimator="idw"``.

    Inverse distance squared over at most 16 samples within `radius_m`, at most 4 per
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
        neighbourhood=Neighbourhood(max_samples=16, min_samples=1, radius=radius_m,
                                    max_per_octant=4),
    )


# ------------------------------------------------------------------- derived grades
def derived_grades(
    arrays: Mapping[str, np.ndarray],
    *,
    unit: str = "pct",
    baskets: Sequence[str] = DEFAULT_BASKETS,
) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, ...]]]:
    """
    Rare-earth oxide grades and basket totals from the grade arrays that hold rare earths.

    Parameters
    ----------
    arrays : mapping of str to numpy.ndarray
        Arrays named like grade columns (``la_ppm``, ``nd2o3_pct``, ``cu_pct``...);
        names that are not rare earths are ignored. NaN (not estimated) in a member
        gives NaN in its baskets.
    unit : str
        Unit of the basket totals.
    baskets : sequence of str
        Baskets to total (oxide basis); TREE (TREO's members on element basis) is
        added with TREO. A basket none of whose members is present is left out; one
        given as an array itself (``treo_ppm``) is not recomputed.

    Returns
    -------
    grades : dict of str to numpy.ndarray
        ``<oxide>_<unit>`` of each rare earth given on element basis (in its own
        unit) and ``<basket>_<unit>`` of each basket.
    members : dict of str to tuple of str
        For each basket: the members it was added up from (a partial suite adds up
        fewer members than the basket has: say so next to the figure).

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.workflow import derived_grades
    >>> out, members = derived_grades({"la_ppm": np.array([1000.0]),
    ...                                "cu_pct": np.array([0.5])}, baskets=["treo"])
    >>> sorted(out), members
    (['la2o3_ppm', 'tree_pct', 'treo_pct'], {'treo': ('La',), 'tree': ('La',)})
    """
    found = find_analytes(list(arrays), warn=False)
    given = {(a.species, a.basis) for a in found.analytes.values() if a.kind == "basket"}
    parts = [(name, a) for name, a in found.analytes.items() if a.kind != "basket"]
    out: dict[str, np.ndarray] = {}
    members: dict[str, tuple[str, ...]] = {}
    for name, a in parts:
        if a.kind == "element" and a.species in RARE_EARTHS:
            oxide = Analyte("oxide", RARE_EARTHS[a.species].oxide_formula, a.unit)
            out[oxide.name] = np.asarray(arrays[name], dtype=float) * OXIDE_FACTORS[a.species]
    suffix = unit_suffix(unit)
    todo = [(b, "oxide") for b in baskets]
    if any(basket(b).name == "TREO" for b in baskets):
        todo.append(("tree", "element"))
    for name, result_basis in todo:
        bsk = basket("treo" if name == "tree" else name)
        if (bsk.name, result_basis) in given:
            continue
        w, present, _ = basket_weights([a for _, a in parts], bsk, result_basis=result_basis,
                                       unit=unit)
        if not present:
            continue
        total = sum(np.asarray(arrays[col], dtype=float) * weight
                    for (col, _), weight in zip(parts, w, strict=True) if weight)
        key = name.lower()
        out[f"{key}_{suffix}"] = np.asarray(total, dtype=float)
        members[key] = present
    return out, members


def basket_arrays(
    arrays: dict[str, np.ndarray], *, baskets: Sequence[str] = DEFAULT_BASKETS, unit: str = "pct"
) -> dict[str, np.ndarray]:
    """
    Oxide grades of every rare earth and basket totals from grade arrays.

    Parameters
    ----------
    arrays : dict of str to numpy.ndarray
        Arrays named like grade columns (``la_ppm``, ``nd_pct``, ``pr6o11_ppm``...);
        other names are ignored.
    baskets : sequence of str
        Baskets to total (oxide basis), plus ``tree`` (TREO's members on element basis).
    unit : str
        Unit of the basket totals.

    Returns
    -------
    dict of str to numpy.ndarray
        ``<oxide>_<unit>`` for each element given on element basis (in the element
        column's unit), ``<basket>_<unit>`` for each basket and ``tree_<unit>``.

    Raises
    ------
    InputError
        No rare-earth grade among the arrays.

    Warns
    -----
    UserWarning
        A basket lacks members (its total covers the members present only).

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.workflow import basket_arrays
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # TREE: the other rare earths are absent
    ...     out = basket_arrays({"nd_ppm": np.array([1000.0]), "pr_ppm": np.array([250.0])},
    ...                         baskets=["ndpr"])
    >>> round(float(out["ndpr_pct"][0]), 5)
    0.14684
    """
    out, members = derived_grades(arrays, unit=unit, baskets=baskets)
    if not members:
        raise InputError(
            f"no rare-earth grade arrays (like 'nd_ppm' or 'nd2o3_pct') among "
            f"{sorted(arrays)}; estimate rare-earth grades first"
        )
    for name, present in members.items():
        full = basket("treo" if name == "tree" else name).elements
        absent = [m for m in full if m not in present]
        if absent:
            warnings.warn(f"basket {name.upper()}: no estimate for {', '.join(absent)}; "
                          f"the total covers {', '.join(present)} only", stacklevel=2)
    return out


# ------------------------------------------------------------------------ the result
@dataclasses.dataclass(frozen=True, eq=False)
class Assessment:
    """
    What :func:`assess` produces.

    Attributes
    ----------
    deposit : Deposit
        The zones.
    model : BlockModel
        The block model with estimated grades, derived oxides and baskets, and
        diagnostics.
    curve : GradeTonnage
        Grade-tonnage by zone (leading axis = zones) for the cut-off grade on a fine set
        of cut-offs (for charts), with every other grade reported.
    summary : pandas.DataFrame
        Per zone and cut-off: tonnage, mean cut-off grade, contained quantities (the
        cut-off grade's and, with rare earths, TREO, TREE and NdPr oxide; else every
        other grade's), the tonnage not estimated; a total per cut-off.
    cutoff_grade : str
        The species of the cut-off grade as written in column names (``"treo"``,
        ``"cu"``, ``"nd2o3"``).
    basis : str
        Basis of the cut-off grade.
    unit : str
        Unit of the cut-off grade and the cut-offs.
    samples_outside : int
        Samples outside every zone (not used).
    notes : tuple of str
        Plain statements for a report (cut-off grade, baskets, method, what was left
        out, estimated fractions).
    zones : pandas.DataFrame
        One row per zone: samples used, holes, tonnage, tonnage estimated and not,
        estimated fraction, negative estimates set to zero, variogram and search.
    adjustments : pandas.DataFrame
        Every step that changed or left out data (step, table, count, detail): from
        the preparation of the samples and from the assessment itself.
    baskets : mapping of str to tuple of str
        For each rare-earth basket reported: the members it was added up from.
    preparation : Preparation or None
        The preparation of the samples.
    realisations : BlockModel or None
        With ``simulate=N``: the block model with N realisations of the cut-off grade
        (array of shape (N, n_parcels)) and ``attrs["simulation"]``.
    uncertainty : pandas.DataFrame or None
        With ``simulate=N``: per zone (and Total), cut-off and statistic (mean, std,
        P90, P50, P10): tonnage, mean grade and contained quantity of the cut-off grade
        over the realisations (:func:`raremin.uncertainty.summarise_grade_tonnage`).
    classification : Classification or None
        With `classification`: the classes of the blocks, the rules and the counts
        (:func:`raremin.classification.classify`); ``model`` then holds
        ``resource_class``.
    statement : ResourceStatement or None
        With `classification`: the resource statement by zone, class and cut-off
        (:func:`raremin.reporting.resource_statement`).

    Examples
    --------
    >>> from raremin.workflow import Assessment
    >>> sorted(f.name for f in __import__("dataclasses").fields(Assessment))[:3]
    ['adjustments', 'basis', 'baskets']
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
    zones: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    adjustments: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    baskets: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    preparation: Preparation | None = None
    realisations: BlockModel | None = None
    uncertainty: pd.DataFrame | None = None
    classification: Any = None
    statement: Any = None

    def __repr__(self) -> str:
        from ._display import assessment_text

        return assessment_text(self)

    def _repr_html_(self) -> str:
        from ._display import assessment_html

        return assessment_html(self)

    @property
    def cutoff_label(self) -> str:
        """The cut-off grade's column name, e.g. ``treo_pct`` or ``cu_pct``."""
        return f"{self.cutoff_grade}_{unit_suffix(self.unit)}"


# ------------------------------------------------------------------------ the checks
class _Steps:
    def __init__(self, first: pd.DataFrame | None = None) -> None:
        self.rows = [] if first is None else first.to_dict("records")

    def add(self, step: str, table: str, count: int, detail: str) -> None:
        self.rows.append({"step": step, "table": table, "count": int(count), "detail": detail})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["step", "table", "count", "detail"])


def _check_zone_names(deposit: Deposit) -> None:
    for name in deposit.names:
        if name.strip().lower() == "total":
            raise InputError(
                f"a zone is named {name!r}, which the summary uses for the total of every "
                f"zone; rename the zone (e.g. 'Total zone')")


def _cutoff_analyte(cutoff_grade: str | None, analytes: Mapping[str, Analyte], basis: str,
                    unit: str) -> Analyte:
    """The cut-off grade: given, else TREO/TREE with rare earths, else the first grade."""
    if cutoff_grade is not None:
        spec = parse_analyte(cutoff_grade)
        if spec is None:
            raise InputError(
                f"cutoff_grade {cutoff_grade!r} is not a grade with its unit; write it like "
                f"'cu_pct', 'au_gpt', 'treo_pct' or 'ndpr_ppm' (grades present: "
                f"{', '.join(analytes)})")
        return spec
    if any(a.element in RARE_EARTHS or a.kind == "basket" for a in analytes.values()):
        return Analyte("basket", "TREO", unit, basis=check_basis(basis))
    return next(iter(analytes.values()))


def grade_values(spec: Analyte, arrays: Mapping[str, np.ndarray],
                 analytes: Mapping[str, Analyte]) -> tuple[np.ndarray, str]:
    """
    The values of the grade `spec` from arrays of other grades, and how they were made.

    An element or oxide is converted from the column holding its element (unit and
    oxide factor); a basket is taken from a column holding it (unit converted) or added
    up from its members.

    Raises
    ------
    InputError
        Nothing holds the grade.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.analytes import Analyte, parse_analyte
    >>> from raremin.workflow import grade_values
    >>> arrays = {"li_ppm": np.array([5000.0])}
    >>> values, how = grade_values(parse_analyte("li2o_pct"), arrays,
    ...                            {"li_ppm": parse_analyte("li_ppm")})
    >>> values.round(4), how
    (array([1.0764]), 'li2o_pct from li_ppm')
    """
    if spec.kind != "basket":
        for name, a in analytes.items():
            if a.kind != "basket" and a.element == spec.element:
                scale = float(convert_grade(1.0, a.unit, spec.unit))
                factor = a.element_factor / spec.element_factor
                values = np.asarray(arrays[name], dtype=float) * (scale * factor)
                return values, (spec.name if name == spec.name else f"{spec.name} from {name}")
        raise InputError(
            f"no grade column holds {spec.element} for the cut-off grade {spec.name!r}; "
            f"grades present: {', '.join(analytes)}")
    for name, a in analytes.items():
        if a.kind == "basket" and a.species == spec.species and a.basis == spec.basis:
            values = np.asarray(arrays[name], dtype=float) * float(
                convert_grade(1.0, a.unit, spec.unit))
            return values, (spec.name if name == spec.name else f"{spec.name} from {name}")
    members = [a for a in analytes.values() if a.kind != "basket"]
    cols = [n for n, a in analytes.items() if a.kind != "basket"]
    w, present, _ = basket_weights(members, spec.species, result_basis=spec.basis,
                                   unit=spec.unit)
    if not present:
        raise InputError(
            f"the cut-off grade {spec.name!r} needs a {spec.species} column or some of its "
            f"members ({', '.join(basket(spec.species).elements)}); grades present: "
            f"{', '.join(analytes)}")
    total = sum(np.asarray(arrays[c], dtype=float) * wi for c, wi in zip(cols, w, strict=True)
                if wi)
    return np.asarray(total, dtype=float), f"{spec.name} added up from {', '.join(present)}"


def _nice(value: float) -> float:
    """``value`` rounded to 2 significant figures."""
    if value <= 0 or not math.isfinite(value):
        return 0.0
    digits = 1 - int(math.floor(math.log10(value)))
    return round(value, digits)


def _default_cutoffs(values: np.ndarray, spec: Analyte) -> np.ndarray:
    if spec.kind == "basket" and spec.species == "TREO" and spec.unit == "pct":
        return np.array(DEFAULT_REE_CUTOFFS_PCT)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([0.0])
    qs = [_nice(float(q)) for q in np.quantile(finite, [0.25, 0.5, 0.75, 0.9])]
    return np.unique([0.0, *[q for q in qs if q > 0]])


def _unit_hint(value: float, spec: Analyte, top: float) -> str:
    """If `value` in another unit would be a plausible cut-off, say so."""
    for other in ("ppm", "pct", "g/t", "ppb"):
        if grade_unit(other) == spec.unit:
            continue
        converted = float(convert_grade(value, other, spec.unit))
        if converted <= max(top, 0.0):
            return f"; if they are in {other}, {value:g} {other} is {converted:g} {spec.unit}"
    return ""


def _check_cutoffs_against_grades(cut: np.ndarray, values: np.ndarray, spec: Analyte,
                                  notes: list[str]) -> None:
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 0.0
    full = float(GRADE_UNITS["fraction"] / GRADE_UNITS[spec.unit])
    if cut[-1] > full:
        raise InputError(
            f"cut-off {cut[-1]:g} {spec.unit} is over 100 % ({full:g} {spec.unit}); the "
            f"cut-offs are in the unit of the cut-off grade {spec.name!r}: check the unit"
            + _unit_hint(float(cut[-1]), spec, top))
    if finite.size == 0:
        return
    positive = cut[cut > 0]
    other_unit = positive.size and positive[0] > top and positive[0] >= 10 * top
    if cut[0] > top or other_unit:
        raise InputError(
            f"the cut-offs ({', '.join(f'{c:g}' for c in cut)} {spec.unit}) "
            + ("look like another unit: every positive one is" if other_unit else "are all")
            + f" above the highest sample grade of {spec.name} ({top:g} {spec.unit}), so "
            f"every tonnage above them would be 0. Give cut-offs in {spec.unit}"
            + _unit_hint(float(positive[0]) if positive.size else float(cut[0]), spec, top))
    above = cut[cut > top]
    if above.size:
        message = (f"cut-off(s) {', '.join(f'{c:g}' for c in above)} {spec.unit} are above the "
                   f"highest sample grade of {spec.name} ({top:g} {spec.unit}): 0 t there")
        warnings.warn(message, UserWarning, stacklevel=3)
        notes.append(message + ".")


def _far_outside(xy: np.ndarray, deposit: Deposit) -> np.ndarray:
    union = shapely.union_all([z.footprint for z in deposit])
    minx, miny, maxx, maxy = union.bounds
    limit = max(FAR_OUTSIDE_M, float(np.hypot(maxx - minx, maxy - miny)))
    distance = shapely.distance(union, shapely.points(xy))
    return np.asarray(distance) > limit


def _no_sample_inside(xyz: np.ndarray, deposit: Deposit) -> str:
    """Why no sample lies in any zone: the likely cause, for the error message."""
    x0, y0, z0, x1, y1, z1 = deposit.bounds
    sx0, sy0, sz0 = xyz.min(axis=0)
    sx1, sy1, sz1 = xyz.max(axis=0)
    text = (f"samples span E {sx0:,.0f}-{sx1:,.0f}, N {sy0:,.0f}-{sy1:,.0f}, elevation "
            f"{sz0:,.0f}-{sz1:,.0f} m; the zones span E {x0:,.0f}-{x1:,.0f}, N "
            f"{y0:,.0f}-{y1:,.0f}, elevation {z0:,.0f}-{z1:,.0f} m ({crs_label(deposit.crs)})")
    if np.all(np.abs(xyz[:, 0]) <= 180) and np.all(np.abs(xyz[:, 1]) <= 90):
        cause = ("the samples look like longitude/latitude: declare their CRS (e.g. "
                 "EPSG:4326) so that raremin reprojects them")
    elif sx1 >= x0 and sx0 <= x1 and sy1 >= y0 and sy0 <= y1:
        cause = ("they overlap in plan but not in elevation: check the elevation datum, "
                 "depths given as negative elevations, or the zones' top and bottom")
    elif any(abs(np.log(max(abs(a), 1e-9) / max(abs(b), 1e-9)) - np.log(1 / 0.3048)) < 0.05
             for a, b in ((sx0 + sx1, x0 + x1), (sy0 + sy1, y0 + y1))):
        cause = "the samples look like feet: convert them (coordinate_unit='ft')"
    else:
        cause = ("the samples are likely in another CRS than the zones: declare their CRS "
                 "(crs=) or reproject them")
    return f"no sample lies inside any zone: {cause} ({text})"


def _resolve_zones(frame: pd.DataFrame, deposit: Deposit, zone_column: str,
                   steps: _Steps) -> np.ndarray:
    """Each sample's zone: its label, or the geometry's; every disagreement counted."""
    from .estimation import assign_zones

    xyz = frame[["easting_m", "northing_m", "elevation_m"]].to_numpy(dtype=float)
    geometry = assign_zones(frame, deposit).to_numpy(dtype=object)
    inside = geometry != ""
    far = _far_outside(xyz[:, :2], deposit)
    if not inside.any():
        raise InputError(_no_sample_inside(xyz, deposit))
    if far.any():
        steps.add("samples far outside every zone", "samples", int(far.sum()),
                  f"more than {FAR_OUTSIDE_M:g} m (or the zones' extent) from every zone in "
                  f"plan: a CRS or unit slip? not used")
    names = set(deposit.names)
    if zone_column not in frame.columns:
        labels = geometry
        steps.add("zones from geometry", "samples", int(inside.sum()),
                  "samples tagged with the zone that contains them")
    else:
        raw = frame[zone_column]
        labels = np.where(raw.isna(), "", raw.astype(str).str.strip()).astype(object)
        blank = labels == ""
        fill = blank & inside
        if fill.any():
            labels[fill] = geometry[fill]
            steps.add("blank zone labels", "samples", int(fill.sum()),
                      "zone taken from the geometry")
        unknown = ~blank & ~np.isin(labels, list(names))
        if unknown.any():
            shown = ", ".join(repr(v) for v in pd.unique(labels[unknown])[:5])
            steps.add("unknown zone labels", "samples", int(unknown.sum()),
                      f"labels naming no zone of the deposit ({shown}): not used")
        contradict = np.isin(labels, list(names)) & (labels != geometry)
        if contradict.any():
            outside = int((contradict & ~inside).sum())
            steps.add("zone labels contradict the geometry", "samples", int(contradict.sum()),
                      f"the label is kept (hard boundaries follow the labels); {outside} of "
                      f"them lie outside every zone")
    labels = np.where(far & (geometry == ""), "", labels).astype(object)
    return labels


# ---------------------------------------------------------------------- estimators
def _zone_estimators(estimator: Any, deposit: Deposit, frame: pd.DataFrame, labels: np.ndarray,
                     values: np.ndarray, variograms: Mapping[str, Any] | None,
                     searches: Mapping[str, Any] | None, max_per_hole: int | None,
                     seed: int) -> tuple[Any, dict[str, str], dict[str, str]]:
    """The estimator (or mapping zone -> estimator) and a description per zone."""
    variograms = dict(variograms or {})
    searches = dict(searches or {})
    for what, given in (("variogram", variograms), ("search", searches)):
        unknown = [z for z in given if z not in deposit.names]
        if unknown:
            raise InputError(f"{what}s given for zone(s) {unknown}, which the deposit does "
                             f"not have; its zones are {list(deposit.names)}")
    xyz = frame[["easting_m", "northing_m", "elevation_m"]].to_numpy(dtype=float)
    holes = frame["hole_id"].to_numpy(dtype=object) if "hole_id" in frame.columns else None
    if not isinstance(estimator, str):
        name = type(estimator).__name__
        return estimator, {z: name for z in deposit.names}, {z: "as given" for z in deposit.names}
    if estimator not in ("kriging", "idw"):
        raise InputError(f"unknown estimator {estimator!r}; use 'kriging' or 'idw'")
    chosen, models, search_text = {}, {}, {}
    for zone in deposit.names:
        rows = (labels == zone) & np.isfinite(values)
        zone_holes = None if holes is None else holes[rows]
        if estimator == "idw":
            spacing = _hole_spacing(xyz[rows], zone_holes) if rows.sum() >= 2 else float("nan")
            radius = max(250.0, SEARCH_SPACINGS * spacing) if math.isfinite(spacing) else 250.0
            chosen[zone] = default_estimator(radius)
            models[zone] = "inverse distance squared"
            search_text[zone] = f"16 samples within {radius:,.0f} m, 4 per octant"
            continue
        try:
            chosen[zone], models[zone], search_text[zone] = automatic_kriging(
                xyz[rows], values[rows], holes=zone_holes, variogram=variograms.get(zone),
                search=searches.get(zone), max_per_hole=max_per_hole, seed=seed)
        except InputError as err:
            raise InputError(f"zone {zone!r}: {err}") from None
    return chosen, models, search_text


# --------------------------------------------------------------------------- assess
def assess(
    deposit: Deposit,
    samples: pd.DataFrame | Preparation,
    *,
    block_size: float | Sequence[float] = (25.0, 25.0, 10.0),
    cutoff_grade: str | None = None,
    cutoffs: Sequence[float] | None = None,
    basis: str = "oxide",
    unit: str = "pct",
    estimator: Any = "kriging",
    grades: Sequence[str] | None = None,
    variograms: Mapping[str, Any] | None = None,
    searches: Mapping[str, Any] | None = None,
    max_per_hole: int | None = None,
    zone_column: str = "zone",
    negative: str = "zero",
    below_detection: str = "half",
    missing_codes: Any = DEFAULT_MISSING_CODES,
    samples_crs: Any = None,
    baskets: Sequence[str] = DEFAULT_BASKETS,
    max_blocks: int = MAX_BLOCKS,
    seed: int = 0,
    simulate: int = 0,
    discretisation: int | Sequence[int] = (2, 2, 1),
    classification: Any = None,
    code: str = "JORC",
    statement_cutoffs: Sequence[float] | None = None,
    prices: Any = None,
) -> Assessment:
    """
    Estimate a deposit's zones from samples and tabulate grade-tonnage by zone.

    Parameters
    ----------
    deposit : Deposit
        The zones (projected or local CRS, metres).
    samples : pandas.DataFrame or Preparation
        Samples or composites: coordinates (``easting_m``... or ``x``, ``y``, ``z``),
        grade columns of any commodity (``cu_pct``, ``au_gpt``, ``nd_ppm``,
        ``nd2o3_pct``, ``treo_ppm``...; lab spellings and codes such as ``<5`` or
        ``-99`` are read by :func:`raremin.preparation.prepare_samples`), optionally
        ``hole_id`` and a zone column; or a
        :class:`~raremin.preparation.Preparation` (e.g. composites made from
        drillhole exports), used as it is.
    block_size : float or sequence of 3 floats
        Block size, m.
    cutoff_grade : str, optional
        The grade the cut-offs apply to, with its unit: ``"cu_pct"``, ``"au_gpt"``,
        ``"treo_pct"``, ``"ndpr_ppm"``, ``"li2o_pct"``... It is converted from the
        columns that hold it (unit, oxide factor) or added up from a basket's members.
        Default: TREO in `unit` on `basis` (TREE on element basis) when rare earths are
        present, else the first grade column.
    cutoffs : sequence of float, optional
        Cut-offs in the unit of the cut-off grade. Default: 0, 0.05, 0.1, 0.15 and 0.2 %
        for TREO in %; otherwise 0 and the 25, 50, 75 and 90 % quantiles of the sample
        grades, to two significant figures (stated in the notes).
    basis, unit : str
        Basis (``"oxide"``: TREO, ``"element"``: TREE) and unit of the default
        rare-earth cut-off grade and of the basket totals.
    estimator : {"kriging", "idw"} or estimator or mapping, default "kriging"
        ``"kriging"``: ordinary kriging per zone with the zone's variogram (given in
        `variograms`, else fitted automatically to the cut-off grade: axes of greatest
        continuity, nested structures) and search (given in `searches`, else
        :func:`default_search`); one model per zone serves every grade, since ordinary
        kriging weights do not depend on the sill. ``"idw"``: inverse distance
        squared within 2.5 hole spacings. Or anything with ``clone``/``fit``/
        ``predict``, or a mapping of zone name to such an estimator.
    grades : sequence of str, optional
        The grade columns to estimate (canonical names); default every grade column.
    variograms : mapping of zone name to VariogramModel, optional
        Variogram models of some zones (the others are fitted).
    searches : mapping of zone name to Neighbourhood, optional
        Searches of some zones (the others: :func:`default_search`).
    max_per_hole : int, optional
        Most samples of one hole per estimate (kriging; needs ``hole_id``).
    zone_column : str
        The samples' zone labels (blank labels are taken from the geometry).
    negative : {"zero", "keep", "error"}, default "zero"
        Negative kriging estimates (see :func:`raremin.estimation.estimate`).
    below_detection : str, default "half"
        Below-detection values in a sample table (see
        :func:`raremin.assays.clean_assays`).
    missing_codes : sequence of float
        Codes meaning "not assayed" in a sample table.
    samples_crs : CRS, optional
        The samples' CRS when it differs from the deposit's: they are reprojected.
    baskets : sequence of str
        Rare-earth baskets to report where rare earths are present.
    max_blocks : int
        Most blocks the model may have (:data:`MAX_BLOCKS`); more is refused before
        any allocation.
    seed : int
        Seed of the automatic variogram's pair subsampling, and of the simulation.
    simulate : int, default 0
        Number of realisations of the cut-off grade to draw by sequential Gaussian
        simulation (:func:`raremin.realisations.simulate`), summarised as P90/P50/P10 of
        tonnage, grade and contained quantity above each cut-off by zone
        (``Assessment.uncertainty``); 0: none.
    discretisation : int or sequence of int, default (2, 2, 1)
        With `simulate`: points simulated per block along each axis (their mean is the
        block's grade).
    classification : None, "default", mapping or ClassificationRules, optional
        Classify the blocks (Measured, Indicated, Inferred) with these rules
        (:func:`raremin.classification.classify`; ``"default"``:
        :meth:`~raremin.classification.ClassificationRules.default`, a mapping: a
        ``[classification]`` table) and make the resource statement
        (``Assessment.statement``); with `simulate`, simulation-based criteria can use
        the realisations. None: no classes, no statement.
    code : {"JORC", "NI 43-101", "KAZRC"}, default "JORC"
        The reporting code of the statement.
    statement_cutoffs : sequence of float, optional
        Cut-offs of the statement (default: the lowest positive cut-off).
    prices : None, "default", str or PriceTable, optional
        Oxide prices (:mod:`raremin.economics`: ``"default"`` is the dated USGS table, a
        path a CSV price table): the in-situ value of 1 kg of TREO of each zone's own
        oxide distribution goes in the zone table, with the price date and source.

    Returns
    -------
    Assessment

    Raises
    ------
    InputError
        Before any long work: no readable grade, a zone named ``Total``, no sample in
        any zone (the message names the likely cause), cut-offs over 100 % or all above
        the highest grade (the message suggests the unit), a block model over
        `max_blocks`, a bad cut-off grade or estimator, a zone without samples.
    CRSError
        Samples in another CRS than the deposit without `samples_crs`.

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
    from .estimation import estimate

    if not isinstance(deposit, Deposit):
        raise InputError(f"deposit must be a Deposit; got {type(deposit).__name__}")
    _check_zone_names(deposit)
    rules, price_table = _classification_rules(classification, code), _prices(prices)
    _check_rules_can_apply(rules, estimator, simulate)
    if isinstance(samples, Preparation):
        prep = samples
    else:
        if hasattr(samples, "crs") and samples_crs is None and samples.crs is not None:
            check_same_crs(deposit.crs, as_crs(samples.crs), "the samples")
        prep = prepare_samples(samples, below_detection=below_detection,
                               missing_codes=missing_codes, crs=samples_crs,
                               target_crs=deposit.crs if samples_crs is not None else None)
    steps = _Steps(prep.steps)
    frame = prep.samples
    found = find_analytes(frame, warn=False)
    analytes = dict(found.analytes)
    if grades is not None:
        unknown = [g for g in grades if g not in analytes]
        if unknown:
            raise InputError(f"grades {unknown} are not grade columns of the samples; they "
                             f"have {list(analytes)}")
        analytes = {g: analytes[g] for g in grades}
    if not analytes:
        raise InputError(f"the samples have no grade column; columns: {list(frame.columns)}")
    unit = grade_unit(unit)
    spec = _cutoff_analyte(cutoff_grade, analytes, basis, unit)
    sample_arrays = {n: frame[n].to_numpy(dtype=float) for n in analytes}
    sample_values, made = grade_values(spec, sample_arrays, analytes)

    # ---- checks before any long work
    labels = _resolve_zones(frame, deposit, zone_column, steps)
    notes: list[str] = []
    in_zones = np.isin(labels, list(deposit.names))
    cut = (check_cutoffs(cutoffs, spec.unit) if cutoffs is not None
           else _default_cutoffs(sample_values[in_zones], spec))
    _check_cutoffs_against_grades(cut, sample_values[in_zones], spec, notes)
    grid = dataclasses.replace(BlockGrid.covering(deposit, block_size), crs=deposit.crs)
    check_block_count(grid, max_blocks)
    outside = int((~in_zones).sum())
    if outside:
        steps.add("samples outside every zone", "samples", outside, "not used")
    frame = frame.assign(**{zone_column: labels})

    # ---- estimation
    est, models, searches_used = _zone_estimators(
        estimator, deposit, frame, labels, sample_values, variograms, searches, max_per_hole,
        seed)
    model = BlockModel.from_deposit(deposit, grid, max_blocks=max_blocks)
    order = list(analytes)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*not in any zone.*", category=UserWarning)
        model = estimate(model, frame, est, grades=order, zone_column=zone_column,
                         negative=negative)
    negatives = model.attrs.get("negative_estimates", {})
    if negatives:
        steps.add("negative estimates", "blocks", sum(negatives.values()),
                  f"set to zero ({', '.join(f'{g}: {c:,}' for g, c in negatives.items())})"
                  if negative == "zero" else f"kept ({negatives})")

    # ---- derived grades and the cut-off grade on blocks
    block_arrays = {g: model.arrays[g] for g in order}
    derived: dict[str, np.ndarray] = {}
    members: dict[str, tuple[str, ...]] = {}
    if any(a.element in RARE_EARTHS for a in analytes.values()):
        derived, members = derived_grades(block_arrays, unit=unit, baskets=baskets)
    cut_values, _ = grade_values(spec, block_arrays, analytes)
    key = spec.name
    model = model.with_arrays(**{**derived, key: cut_values})
    others = {k: v for k, v in {**block_arrays, **derived}.items() if k != key}
    group_names = model.zone_names
    grade_name = key.rsplit("_", 1)[0]
    tonnage = model.tonnage_t()
    table = grade_tonnage(cut_values, tonnage, cut, unit=spec.unit, basis=spec.basis,
                          grade_name=grade_name, others=others, groups=model.zone_code,
                          group_names=group_names)
    top = float(np.nanmax(cut_values)) if np.isfinite(cut_values).any() else 0.0
    fine = np.unique(np.concatenate([np.linspace(0.0, max(top, float(cut[-1])), 101), cut]))
    curve = grade_tonnage(cut_values, tonnage, fine, unit=spec.unit, basis=spec.basis,
                          grade_name=grade_name, others=others, groups=model.zone_code,
                          group_names=group_names)

    # ---- tables and notes
    summary = _summary(table, spec, others)
    zones = _zone_table(model, frame, labels, cut_values, tonnage, models, searches_used,
                        order)
    for row in zones.itertuples():
        if row.not_estimated_t > 0:
            steps.add("not estimated", f"zone {row.zone}", int(row.parcels_not_estimated),
                      f"{row.not_estimated_t:,.0f} t ({100 * (1 - row.estimated_fraction):.1f} % "
                      f"of the zone) have no estimate of {key}: left out of every figure")
    notes = _notes(spec, made, cut, cutoffs is None, members, zones, grid, model, notes,
                   analytes, estimator)
    realisations, uncertainty = None, None
    if simulate:
        realisations, uncertainty = _simulate(model, frame, key, sample_values, cut, spec,
                                              simulate, seed, discretisation, zone_column)
        zones = _reconcile(zones, realisations, model, key, tonnage)
        unassayed = int((in_zones & ~np.isfinite(sample_values)).sum())
        if unassayed:
            steps.add("not simulated", "samples", unassayed,
                      f"samples in a zone without {key}: not used by the simulation")
        notes.append(
            f"Uncertainty: {simulate} realisations of {key} by sequential Gaussian "
            f"simulation per zone (normal scores, automatic variogram of the scores, "
            f"{' x '.join(map(str, realisations.attrs['simulation']['discretisation']))} "
            f"points per block averaged; seed {seed}). P90 is the value with a 90 % chance "
            f"of being exceeded (the 0.10 quantile of the realisations), P10 the 0.90 "
            f"quantile; the other grades are not simulated; blocks the kriging left unestimated "
            f"are left out of the realisations too.")
        notes.extend(_reconciliation_notes(zones, key))
    if price_table is not None:
        zones = _basket_values(zones, model, tonnage, price_table, notes)
    classes, statement = None, None
    if rules is not None:
        classes, statement = _classify(model, rules, frame, key, realisations, cut,
                                       statement_cutoffs, code, price_table, zone_column)
        model = classes.model
        _count_smoothing(classes, steps)
        notes.append("Classification (see the statement): " + "; ".join(
            line.rstrip(".") for line in classes.rules.describe()) + ".")
    return Assessment(deposit, model, curve, summary, key.rsplit("_", 1)[0], spec.basis,
                      spec.unit, outside, tuple(notes), zones, steps.frame(), members, prep,
                      realisations, uncertainty, classes, statement)


def _simulate(model: BlockModel, frame: pd.DataFrame, key: str, sample_values: np.ndarray,
              cut: np.ndarray, spec: Analyte, n: int, seed: int, discretisation: Any,
              zone_column: str) -> tuple[BlockModel, pd.DataFrame]:
    """Realisations of the cut-off grade per zone, and their grade-tonnage summary."""
    from .realisations import simulate
    from .uncertainty import realisation_grade_tonnage, summarise_grade_tonnage

    samples = frame.assign(**{key: sample_values})
    realisations = simulate(model, samples, key, n, seed=seed, discretisation=discretisation,
                            zone_column=zone_column)
    # The blocks kriging left unestimated (beyond its search) stay out of the realisations
    # too, so that both describe the same tonnage (reported as not estimated).
    grades = np.array(realisations.arrays[key], copy=True)
    grades[:, ~np.isfinite(np.asarray(model.arrays[key]))] = np.nan
    realisations = realisations.with_arrays(**{key: grades})
    table = realisation_grade_tonnage(realisations, key, cut, unit=spec.unit,
                                      basis=spec.basis)
    return realisations, summarise_grade_tonnage(table)


def _classification_rules(classification: Any, code: str) -> Any:
    """The classification rules asked for (checked before any long work), or None."""
    from .reporting import CODES

    if code not in CODES:
        raise InputError(f"code must be one of {sorted(CODES)}; got {code!r}")
    if classification is None:
        return None
    from .classification import ClassificationRules

    if isinstance(classification, ClassificationRules):
        return classification
    if isinstance(classification, str) and classification == "default":
        return ClassificationRules.default()
    if isinstance(classification, Mapping):
        return ClassificationRules.from_mapping(classification)
    raise InputError(f"classification must be None, 'default', a mapping of rules or "
                     f"ClassificationRules; got {classification!r}")


def _check_rules_can_apply(rules: Any, estimator: Any, simulate: int) -> None:
    """Refuse, before any long work, rules that need what this run will not make."""
    if rules is None:
        return
    used = {name for c in rules.criteria().values() if c is not None
            for name in c.thresholds()}
    kriging_only = sorted(used & {"min_slope", "min_efficiency", "max_kriging_variance"})
    kriged = isinstance(estimator, str) and estimator == "kriging" or (
        not isinstance(estimator, str) and type(estimator).__name__ == "Kriging")
    if kriging_only and not kriged:
        name = estimator if isinstance(estimator, str) else type(estimator).__name__
        raise InputError(
            f"classification criteria {kriging_only} need kriging diagnostics, but the "
            f"estimator is {name!r}; estimate with kriging, or give rules on drill spacing, "
            f"samples and distances (max_spacing_m, min_holes, min_samples, "
            f"max_nearest_distance_m)")
    if "max_relative_interval" in used and not simulate:
        raise InputError("classification criterion max_relative_interval needs realisations; "
                         "pass simulate=N (--simulate N), or drop the criterion")


def _prices(prices: Any) -> Any:
    """The price table asked for, or None."""
    if prices is None:
        return None
    from .economics import PriceTable, default_prices, read_prices

    if isinstance(prices, PriceTable):
        return prices
    if isinstance(prices, str) and prices == "default":
        return default_prices()
    if isinstance(prices, (str, os.PathLike)):
        return read_prices(prices)
    raise InputError(f"prices must be None, 'default', a CSV path or a PriceTable; got "
                     f"{type(prices).__name__}")


def _basket_values(zones: pd.DataFrame, model: BlockModel, tonnage: np.ndarray,
                   prices: Any, notes: list[str]) -> pd.DataFrame:
    """Each zone's in-situ value of 1 kg of TREO from its own oxide distribution."""
    from .economics import basket_price

    oxides = {}
    for name in model.arrays:
        a = parse_analyte(name)
        if a is not None and a.kind == "oxide" and a.element in RARE_EARTHS:
            oxides[a.species] = np.asarray(model.arrays[name], dtype=float) * grade_factor(
                a.unit)
    if not oxides:
        notes.append("Prices were given, but the blocks hold no rare-earth oxide grades: "
                     "no basket value.")
        return zones
    values: list[float] = []
    excluded: set[str] = set()
    for k in range(len(model.zone_names)):
        mask = np.asarray(model.zone_code) == k
        mass = {ox: float(np.nansum(g[mask] * tonnage[mask])) for ox, g in oxides.items()}
        total = sum(mass.values())
        if total <= 0:
            values.append(np.nan)
            continue
        result = basket_price({ox: m / total for ox, m in mass.items()}, prices,
                              missing="exclude")
        values.append(result.value_usd_kg)
        excluded.update(result.excluded)
    zones = zones.assign(treo_value_usd_kg=values)
    notes.append(f"Basket value (treo_value_usd_kg): in-situ value of 1 kg of TREO of each "
                 f"zone's own oxide distribution (tonnage-weighted), no recovery applied, at "
                 f"prices of {', '.join(sorted(set(prices.dates)))} ({prices.sources[0]})"
                 + (f"; oxides without a price valued at 0: {', '.join(sorted(excluded))}"
                    if excluded else "") + ".")
    return zones


def _count_smoothing(classes: Any, steps: _Steps) -> None:
    """The parcels whose class the smoothing of isolated blocks changed, as an adjustment."""
    table = classes.smoothing
    changed = int(table.attrs.get("changed", 0)) if table is not None else 0
    if changed:
        moves = ", ".join(
            f"{row.resource_class} {row.parcels_before:,} -> {row.parcels_after:,}"
            for row in table.itertuples() if row.parcels_before != row.parcels_after)
        steps.add("classes smoothed", "blocks", changed,
                  f"isolated blocks took their neighbours' class (parcels per class: {moves})")


def _classify(model: BlockModel, rules: Any, frame: pd.DataFrame, key: str,
              realisations: BlockModel | None, cut: np.ndarray,
              statement_cutoffs: Sequence[float] | None, code: str, prices: Any,
              zone_column: str) -> tuple[Any, Any]:
    """The classes of the blocks and the resource statement."""
    from .classification import classify
    from .reporting import resource_statement

    result = classify(model, rules, samples=frame, grade=key, realisations=realisations)
    positive = cut[cut > 0]
    at = (list(statement_cutoffs) if statement_cutoffs is not None
          else [float(positive[0] if positive.size else cut[0])])
    basis = None
    if prices is not None:
        basis = (f"cut-off not derived from prices; basket values at "
                 f"{', '.join(sorted(set(prices.dates)))} prices (see notes)")
    statement = resource_statement(result.model, key, at, code=code, price_basis=basis,
                                   rules=[f"Classes: {line}" for line in
                                          result.rules.describe()])
    return result, statement


#: Relative gap between the simulated (E-type) and kriged mean grade of a zone above which
#: assess warns.
RECONCILIATION_TOLERANCE = 0.10


def _reconcile(zones: pd.DataFrame, realisations: BlockModel, model: BlockModel, key: str,
               tonnage: np.ndarray) -> pd.DataFrame:
    """
    The zone table with the mean `key` of the samples (declustered as simulated), of the
    kriged blocks and of the realisations (tonnage-weighted over the same blocks).
    """
    sims = np.asarray(realisations.arrays[key], dtype=float)
    kriged = np.asarray(model.arrays[key], dtype=float)
    report = realisations.attrs["simulation"]["zones"]
    rows = []
    for k, zone in enumerate(model.zone_names):
        blocks = (np.asarray(model.zone_code) == k) & np.isfinite(kriged)
        t = tonnage[blocks]
        if t.sum() > 0:
            krig = float(np.average(kriged[blocks], weights=t))
            sim = float(np.mean(sims[:, blocks] @ t) / t.sum())
        else:
            krig = sim = float("nan")
        rows.append({f"samples_{key}": report.get(zone, {}).get("sample_mean", np.nan),
                     f"kriged_{key}": krig, f"simulated_{key}": sim,
                     "simulated_vs_kriged_pct": 100.0 * (sim / krig - 1.0) if krig > 0
                     else float("nan")})
    return pd.concat([zones, pd.DataFrame(rows, index=zones.index)], axis=1)


def _reconciliation_notes(zones: pd.DataFrame, key: str) -> list[str]:
    """A note per zone where simulation and kriging disagree, and a warning."""
    notes = []
    for row in zones.itertuples():
        gap = row.simulated_vs_kriged_pct
        if not np.isfinite(gap) or abs(gap) <= 100 * RECONCILIATION_TOLERANCE:
            continue
        text = (f"zone {row.zone}: the realisations' mean {key} "
                f"({getattr(row, f'simulated_{key}'):.4g}) is {gap:+.0f} % from the kriged "
                f"mean ({getattr(row, f'kriged_{key}'):.4g}) over the same blocks (samples, "
                f"declustered: {getattr(row, f'samples_{key}'):.4g}): simulation and kriging "
                f"disagree; check the variogram of the normal scores (nugget, anisotropy) and "
                f"whether the zone mixes populations or has a trend (split it), and read its "
                f"P-values with that gap in mind")
        warnings.warn(text, UserWarning, stacklevel=3)
        notes.append("Check: " + text + ".")
    return notes


def _summary(table: GradeTonnage, spec: Analyte, others: Mapping[str, Any]) -> pd.DataFrame:
    from .reporting import summary_table

    suffix = unit_suffix(spec.unit)
    species = spec.name[: -len(suffix) - 1]
    rare = {"treo": "treo_t", "tree": "tree_t", "ndpr": "ndpr_oxide_t"}
    contained = {rare.get(species, f"{species}_t"): "contained"}
    for name in others:
        head = name.rsplit("_", 1)[0]
        out = rare.get(head)
        if out is None:
            a = parse_analyte(name)
            if a is None or a.kind == "basket" or a.element in RARE_EARTHS:
                continue  # single rare earths and other baskets: in the full table only
            out = f"{head}_t"
        if out not in contained:
            contained[out] = name
    return summary_table(table, contained=contained)


def _zone_table(model: BlockModel, frame: pd.DataFrame, labels: np.ndarray,
                cut_values: np.ndarray, tonnage: np.ndarray, models: Mapping[str, str],
                searches: Mapping[str, str], grades: Sequence[str]) -> pd.DataFrame:
    rows = []
    estimated = np.isfinite(cut_values)
    holes = frame["hole_id"].to_numpy(dtype=object) if "hole_id" in frame.columns else None
    for k, zone in enumerate(model.zone_names):
        mask = model.zone_code == k
        ton = float(tonnage[mask].sum())
        est_t = float(tonnage[mask & estimated].sum())
        in_zone = labels == zone
        rows.append({
            "zone": zone,
            "samples": int(in_zone.sum()),
            "holes": int(pd.unique(holes[in_zone]).size) if holes is not None else 0,
            "tonnage_t": ton,
            "estimated_t": est_t,
            "not_estimated_t": ton - est_t,
            "estimated_fraction": est_t / ton if ton > 0 else float("nan"),
            "parcels_not_estimated": int((mask & ~estimated).sum()),
            "grades_not_estimated": ", ".join(
                g for g in grades if not np.isfinite(model.arrays[g][mask]).any()),
            "variogram": models.get(zone, ""),
            "search": searches.get(zone, ""),
        })
    return pd.DataFrame(rows)


def _notes(spec: Analyte, made: str, cut: np.ndarray, default_cut: bool,
           members: Mapping[str, tuple[str, ...]], zones: pd.DataFrame, grid: BlockGrid,
           model: BlockModel, extra: list[str], analytes: Mapping[str, Analyte],
           estimator: Any) -> list[str]:
    notes = [f"Cut-off grade: {spec.name} ({spec.label}, {spec.basis} basis; {made})."]
    unit_text = spec.label.rsplit("(", 1)[1].rstrip(")")
    if default_cut:
        notes.append(f"Cut-offs (default): {', '.join(f'{c:g}' for c in cut)} {unit_text}.")
    for name, present in members.items():
        full = basket("treo" if name == "tree" else name)
        basis = "element basis" if name == "tree" else "oxide basis"
        if len(present) == len(full.elements):
            described = (f"TREE = {' + '.join(full.elements)} (the TREO members as elements)"
                         if name == "tree" else full.describe())
            notes.append(f"{name.upper()} ({basis}): {described}.")
        else:
            absent = [m for m in full.elements if m not in present]
            notes.append(
                f"{name.upper()} ({basis}) is a PARTIAL total: {len(present)} of "
                f"{len(full.elements)} members assayed ({', '.join(present)}); not assayed: "
                f"{', '.join(absent)}.")
    notes.append(f"Grades estimated: {', '.join(analytes)}; each from the samples where it "
                 f"was assayed, zone by zone with hard boundaries.")
    label = estimator if isinstance(estimator, str) else type(estimator).__name__
    notes.append(f"Estimator: {label}; per zone below.")
    for row in zones.itertuples():
        notes.append(f"Zone {row.zone}: {row.samples:,} samples"
                     + (f" from {row.holes:,} holes" if row.holes else "")
                     + f"; {100 * row.estimated_fraction:.1f} % of its tonnage estimated "
                     f"({row.not_estimated_t:,.0f} t not estimated); variogram "
                     f"{row.variogram}; search {row.search}.")
    notes.extend(extra)
    notes.append(f"Block size {' x '.join(f'{v:g}' for v in grid.block_size)} m; "
                 f"{model.n_parcels:,} block parcels.")
    return notes
