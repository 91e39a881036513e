"""
From users' tables to estimation samples, every adjustment counted.

Two ways in:

* :func:`prepare_drillholes_samples`: collar, survey and assay tables as exported
  (any commodity, any header spelling, feet, below-detection codes...) ->
  :mod:`raremin.readers` (columns, hole ids, units, dips, duplicates, hole lengths) ->
  :mod:`raremin.assays` (below-detection values, lab codes; value by value) ->
  :mod:`raremin.drillholes` (validation, desurveying) -> compositing (regular length,
  broken at zone boundaries) -> optional top-cuts.
* :func:`prepare_samples`: a table of samples or composites with their own
  coordinates (``easting_m``/``x``...), cleaned the same way, optionally reprojected.

Both return a :class:`Preparation`: the samples, with canonical grade names
(``cu_pct``, ``nd_ppm``...) and ``hole_id``/``zone`` columns where known, and one table
of every step that changed or removed something (:meth:`Preparation.to_frame`), which
the assessment report repeats.

Examples
--------
>>> import pandas as pd
>>> from raremin.preparation import prepare_samples
>>> raw = pd.DataFrame({"X": [0.0, 10.0, 20.0], "Y": [0.0, 0.0, 0.0], "Z": [5.0, 5.0, 5.0],
...                     "Cu_pct": [0.4, "<0.01", 0.7]})
>>> prep = prepare_samples(raw)
>>> prep.samples[["easting_m", "cu_pct"]].to_numpy().tolist()
[[0.0, 0.4], [10.0, 0.005], [20.0, 0.7]]
>>> prep.count("below detection")
1
"""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .analytes import find_analytes
from .assays import DEFAULT_MISSING_CODES, AssayReport, clean_assays
from .deposit import Deposit, as_crs
from .drillholes import RESIDUAL_RULES, Drillholes, composite
from .errors import CRSError, InputError
from .readers import ImportReport, map_columns, prepare_drillholes

__all__ = ["STEP_COLUMNS", "Preparation", "prepare_drillholes_samples", "prepare_samples"]

logger = logging.getLogger(__name__)

#: Columns of :meth:`Preparation.to_frame`.
STEP_COLUMNS: tuple[str, ...] = ("step", "table", "count", "detail")

_XYZ = ("easting_m", "northing_m", "elevation_m")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Preparation:
    """
    Samples ready for estimation, and every step that changed or removed something.

    Attributes
    ----------
    samples : pandas.DataFrame
        One row per sample or composite: ``easting_m``, ``northing_m``,
        ``elevation_m`` (units: m, in the deposit's CRS), ``hole_id``, ``from_m``,
        ``to_m`` and ``zone`` where known, and the grade columns under their canonical
        names (:attr:`raremin.analytes.Analyte.name`). NaN grade: not assayed.
    steps : pandas.DataFrame
        Columns :data:`STEP_COLUMNS`: what was done (``"below detection"``,
        ``"composited"``, ``"top-cut"``, the import and validation steps...), to which
        table, how many rows or values, and a sentence.
    grades : tuple of str
        The canonical grade columns of `samples`.
    assays : AssayReport or None
        Per-analyte counts of below-detection values and codes.
    imports : ImportReport or None
        The drillhole import report (drillhole path only).
    drillholes : Drillholes or None
        The validated drillholes (drillhole path only).
    settings : mapping
        The choices made: ``composite_length_m``, ``below_detection``, ``topcuts``...

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.preparation import prepare_samples
    >>> prep = prepare_samples(pd.DataFrame({"x": [1.0], "y": [2.0], "z": [3.0],
    ...                                      "Ni_ppm": [-99.0]}))
    >>> prep.grades, prep.count("missing codes")
    (('ni_ppm',), 1)
    """

    samples: pd.DataFrame
    steps: pd.DataFrame
    grades: tuple[str, ...]
    assays: AssayReport | None = None
    imports: ImportReport | None = None
    drillholes: Drillholes | None = None
    settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """
        The steps table (a copy).

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.preparation import prepare_samples
        >>> prep = prepare_samples(pd.DataFrame({"x": [1.0], "y": [2.0], "z": [3.0],
        ...                                      "la_ppm": [10.0]}))
        >>> list(prep.to_frame().columns)
        ['step', 'table', 'count', 'detail']
        """
        return self.steps.copy()

    def count(self, step: str) -> int:
        """
        Total count of one step (0 when it did not happen).

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.preparation import prepare_samples
        >>> prep = prepare_samples(pd.DataFrame({"x": [1.0, 2.0], "y": [0.0, 0.0],
        ...                                      "z": [0.0, 0.0], "cu_pct": ["<0.01", 1]}))
        >>> prep.count("below detection"), prep.count("top-cut")
        (1, 0)
        """
        rows = self.steps[self.steps["step"] == step]
        return int(rows["count"].sum())

    def describe(self) -> list[str]:
        """
        One sentence per step, for a report.

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.preparation import prepare_samples
        >>> prep = prepare_samples(pd.DataFrame({"x": [1.0], "y": [2.0], "z": [3.0],
        ...                                      "cu_pct": ["<0.01"]}))
        >>> prep.describe()[1]
        'below detection (samples): 1 - set to half the detection limit (cu_pct 1)'
        """
        return [f"{r.step} ({r.table}): {r.count:,} - {r.detail}"
                for r in self.steps.itertuples()]

    def __repr__(self) -> str:
        return (f"Preparation({len(self.samples):,} sample(s), {len(self.grades)} grade(s), "
                f"{len(self.steps)} step(s))")

    def _repr_html_(self) -> str:
        from ._display import text_html

        return text_html("Preparation", repr(self), self.steps)


class _Steps:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, step: str, table: str, count: int, detail: str) -> None:
        self.rows.append({"step": step, "table": table, "count": int(count), "detail": detail})

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return pd.DataFrame({c: pd.Series(dtype=object if c != "count" else np.int64)
                                 for c in STEP_COLUMNS})
        return pd.DataFrame(self.rows, columns=list(STEP_COLUMNS))


def _rename_grades(frame: pd.DataFrame, grades: Mapping[str, str] | None,
                   steps: _Steps, table: str) -> pd.DataFrame:
    """Apply the user's grade-column names (user column -> analyte name)."""
    if not grades:
        return frame
    if not isinstance(grades, Mapping):
        raise InputError(f"grades must map column names to grade names such as 'cu_pct'; got "
                         f"{type(grades).__name__}")
    missing = [c for c in grades if c not in frame.columns]
    if missing:
        raise InputError(f"grade mapping names column(s) {missing} that are not in the "
                         f"{table}; its columns are {list(frame.columns)}")
    steps.add("grade columns mapped", table, len(grades),
              ", ".join(f"{k} -> {v}" for k, v in grades.items()))
    return frame.rename(columns=dict(grades))


def _clean_grades(frame: pd.DataFrame, table: str, steps: _Steps, *, below_detection: str,
                  missing_codes: Any) -> tuple[pd.DataFrame, tuple[str, ...], AssayReport]:
    """Find the grade columns, clean their values, give them canonical names."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = find_analytes(frame)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=3)
    if found.unreadable:
        steps.add("unreadable grade columns", table, len(found.unreadable),
                  f"not used as grades: {', '.join(map(str, found.unreadable))} (name them "
                  f"like 'cu_pct' or map them)")
    if not found.columns:
        raise InputError(
            f"the {table} have no grade column raremin can read; columns: "
            f"{list(frame.columns)}. Name grades <element or oxide>_<unit> ('cu_pct', "
            f"'au_gpt', 'nd2o3_ppm', 'treo_pct') or map them (grades= / the project file)")
    units = {col: a.unit for col, a in found.analytes.items()}
    if _read_info(frame).get("decimal") == ",":
        frame = frame.copy()
        for col in found.columns:  # text cells kept as written: "<0,01", "0,4"
            if not pd.api.types.is_numeric_dtype(frame[col]):
                frame[col] = frame[col].str.replace(",", ".", regex=False)
    cleaned, report = clean_assays(frame, found.columns, below_detection=below_detection,
                                   missing_codes=missing_codes, units=units)
    table_ = report.table
    for step, column in (("below detection", "n_below_detection"),
                         ("missing codes", "n_missing_codes"),
                         ("missing text", "n_missing_text"),
                         ("over range", "n_over_range")):
        total = int(table_[column].sum())
        if total:
            parts = [f"{r.analyte} {int(getattr(r, column)):,}" for r in table_.itertuples()
                     if getattr(r, column)]
            steps.add(step, table, total, _rule(step, report) + " (" + ", ".join(parts) + ")")
    renames = found.renames
    if renames:
        cleaned = cleaned.rename(columns=renames)
        steps.add("grade columns renamed", table, len(renames),
                  ", ".join(f"{k} -> {v}" for k, v in renames.items()))
    names = tuple(found.analytes[c].name for c in found.columns)
    return cleaned, names, report


def _read_info(frame: pd.DataFrame) -> dict[str, Any]:
    """How :func:`raremin.readers.read_table` read a table (empty if it did not)."""
    info = frame.attrs.get("raremin_read") if isinstance(frame, pd.DataFrame) else None
    return dict(info) if isinstance(info, Mapping) else {}


def _read_step(frame: pd.DataFrame, steps: _Steps, table: str) -> None:
    info = _read_info(frame)
    if info:
        steps.add("read", table, int(info.get("rows", len(frame))),
                  f"{info.get('path')}: delimiter {info.get('delimiter')!r} "
                  f"({info.get('delimiter_source')}), decimal mark {info.get('decimal')!r}, "
                  f"encoding {info.get('encoding')}"
                  + "".join(f"; {n}" for n in info.get("notes", [])))


def _rule(step: str, report: AssayReport) -> str:
    policy = report.policy
    if step == "below detection":
        return {"half": "set to half the detection limit", "zero": "set to zero",
                "missing": "set to missing", "limit": "set to the detection limit",
                "error": "refused"}[policy["below_detection"]]
    if step == "over range":
        return "kept at the upper limit (lower bounds)" if policy["over_range"] == "limit" \
            else "set to missing"
    return "set to missing for that analyte only"


def _reproject(frame: pd.DataFrame, crs: Any, target_crs: Any, steps: _Steps,
               table: str) -> pd.DataFrame:
    """Easting and northing from `crs` to `target_crs` (elevations unchanged)."""
    source, target = as_crs(crs), as_crs(target_crs)
    if source is None or target is None or source.equals(target):
        return frame
    from pyproj import Transformer

    transformer = Transformer.from_crs(source, target, always_xy=True)
    x, y = transformer.transform(frame["easting_m"].to_numpy(dtype=float),
                                 frame["northing_m"].to_numpy(dtype=float))
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise CRSError(
            f"{int(bad.sum())} of {len(frame)} {table} cannot be reprojected from "
            f"{source.name} to {target.name} (first at row {int(np.flatnonzero(bad)[0])}); "
            f"check the CRS declared for the {table}")
    out = frame.copy()
    out["easting_m"], out["northing_m"] = x, y
    steps.add("reprojected", table, len(frame),
              f"easting/northing from {source.name} to {target.name}")
    return out


def _apply_topcuts(frame: pd.DataFrame, topcuts: Mapping[str, float] | None, steps: _Steps,
                   table: str) -> pd.DataFrame:
    """Cap grades at their top-cut; count values and the share of metal removed."""
    if not topcuts:
        return frame
    if not isinstance(topcuts, Mapping):
        raise InputError(f"topcuts must map grade names to caps, e.g. {{'cu_pct': 5.0}}; got "
                         f"{topcuts!r}")
    out = frame.copy()
    weight = (out["length_m"].to_numpy(dtype=float) if "length_m" in out.columns
              else np.ones(len(out)))
    for name, value in topcuts.items():
        if name not in out.columns:
            raise InputError(f"top-cut for {name!r}, which is not a grade of the {table}; "
                             f"grades: {[c for c in out.columns if c.endswith(('_pct', '_ppm'))]}")
        cap = float(value)
        if not math.isfinite(cap) or cap <= 0:
            raise InputError(f"top-cut of {name} must be a positive number; got {value!r}")
        grade = out[name].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            over = grade > cap
        metal = np.nansum(grade * weight)
        removed = np.nansum(np.where(over, (grade - cap) * weight, 0.0))
        share = removed / metal if metal > 0 else 0.0
        out[name] = np.where(over, cap, grade)
        steps.add("top-cut", table, int(over.sum()),
                  f"{name} capped at {cap:g}: {int(over.sum()):,} value(s), "
                  f"{100 * share:.2f} % of its length-weighted metal removed")
    return out


def prepare_samples(
    samples: pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    grades: Mapping[str, str] | None = None,
    below_detection: str = "half",
    missing_codes: Any = DEFAULT_MISSING_CODES,
    topcuts: Mapping[str, float] | None = None,
    crs: Any = None,
    target_crs: Any = None,
) -> Preparation:
    """
    Prepare a table of samples (or composites) with their own coordinates.

    Parameters
    ----------
    samples : pandas.DataFrame
        One row per sample: coordinates (``easting_m`` or ``x``, ``east``...; see
        :data:`raremin.readers.ALIASES`), grade columns (``Cu_pct``, ``Nd (ppm)``...;
        text such as ``"<5"`` allowed), and optionally hole id, from/to and zone.
    mapping : mapping of str to str, optional
        raremin column name -> user column, for columns the aliases do not find
        (``{"easting_m": "MGA_E"}``).
    grades : mapping of str to str, optional
        User column -> grade name, for grade columns whose names raremin cannot read
        (``{"Au_FA_ppm": "au_ppm"}``).
    below_detection : {"half", "zero", "missing", "limit", "error"}, default "half"
        Below-detection values (see :func:`raremin.assays.clean_assays`).
    missing_codes : sequence of float, default (-99, -999, -9999, -99999)
        Codes meaning "not assayed" (missing for that analyte only).
    topcuts : mapping of str to float, optional
        Grade name -> cap, in the grade's unit (``{"cu_pct": 5.0}``).
    crs, target_crs : CRS or anything pyproj accepts, optional
        The samples' CRS and the one to reproject them to (the deposit's).

    Returns
    -------
    Preparation

    Raises
    ------
    InputError
        An empty table, missing coordinates, no readable grade column, two columns for
        one analyte, unreadable values, grades over 100 %.
    CRSError
        Coordinates that cannot be reprojected.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.preparation import prepare_samples
    >>> raw = pd.DataFrame({"x": [1.0, 2.0], "y": [5.0, 5.0], "z": [0.0, 0.0],
    ...                     "LA_PPM": [120.0, -99.0], "Ce_ppm": [300.0, 280.0]})
    >>> prep = prepare_samples(raw)
    >>> prep.grades, prep.samples["la_ppm"].tolist()
    (('la_ppm', 'ce_ppm'), [120.0, nan])
    """
    if not isinstance(samples, pd.DataFrame):
        raise InputError(f"samples must be a pandas DataFrame; got {type(samples).__name__}")
    if samples.empty:
        raise InputError("the samples table has no rows; check the file or the filters "
                         "that made it")
    steps = _Steps()
    _read_step(samples, steps, "samples")
    frame, used = map_columns(samples, "samples", mapping)
    renamed = {k: v for k, v in used.items() if k != v}
    if renamed:
        steps.add("columns mapped", "samples", len(renamed),
                  ", ".join(f"{k} -> {v}" for k, v in renamed.items()))
    frame = _rename_grades(frame, grades, steps, "samples")
    frame, names, report = _clean_grades(frame, "samples", steps,
                                         below_detection=below_detection,
                                         missing_codes=missing_codes)
    for col in _XYZ:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{int(bad.sum())} sample(s) have a missing or non-numeric {col} (first at "
                f"row {i}: {frame[col].iloc[i]!r}); fix or remove them")
        frame[col] = values.astype(float)
    if "zone" in frame.columns:
        frame["zone"] = frame["zone"].where(frame["zone"].notna(), "").astype(str).str.strip()
    frame = _reproject(frame, crs, target_crs, steps, "samples")
    frame = _apply_topcuts(frame, topcuts, steps, "samples")
    settings = {"below_detection": below_detection, "topcuts": dict(topcuts or {}),
                "crs": None if crs is None else str(crs)}
    return Preparation(frame.reset_index(drop=True), steps.frame(), names, report,
                       settings=settings)


def _auto_length(intervals: pd.DataFrame, grades: tuple[str, ...]) -> float:
    """The most common sampled interval length (to the cm), m."""
    lengths = (intervals["to_m"] - intervals["from_m"]).to_numpy(dtype=float)
    assayed = intervals[list(grades)].notna().any(axis=1).to_numpy()
    lengths = np.round(lengths[assayed & (lengths > 0)], 2)
    if lengths.size == 0:
        raise InputError("no assayed interval to composite: every interval lacks grades")
    values, counts = np.unique(lengths, return_counts=True)
    return float(values[np.argmax(counts)])


def prepare_drillholes_samples(
    collars: pd.DataFrame,
    surveys: pd.DataFrame,
    assays: pd.DataFrame,
    *,
    deposit: Deposit | None = None,
    mapping: Mapping[str, Any] | None = None,
    grades: Mapping[str, str] | None = None,
    length_unit: str | None = None,
    coordinate_unit: str | None = None,
    dip_convention: str = "auto",
    default_dip: float | None = None,
    below_detection: str = "half",
    missing_codes: Any = DEFAULT_MISSING_CODES,
    composite_length_m: float | str | None = "auto",
    residual: str = "merge",
    zone_aware: bool = True,
    topcuts: Mapping[str, float] | None = None,
    crs: Any = None,
) -> Preparation:
    """
    Prepare composites from collar, survey and assay tables as exported.

    Parameters
    ----------
    collars, surveys, assays : pandas.DataFrame
        The three tables as read (e.g. with :func:`raremin.readers.read_table`); any
        header spelling :data:`raremin.readers.ALIASES` knows, or `mapping`.
    deposit : Deposit, optional
        The zones: composites are broken at zone boundaries (`zone_aware`), tagged
        with their zone, and reprojected to the deposit's CRS when `crs` differs.
    mapping : mapping, optional
        raremin column name -> user column (one mapping or one per table), see
        :func:`raremin.readers.prepare_drillholes`.
    grades : mapping of str to str, optional
        User assay column -> grade name (``{"Au_FA_ppm": "au_ppm"}``).
    length_unit, coordinate_unit : {"m", "ft"}, optional
        Units of depths and of coordinates (feet are converted to metres, stated).
    dip_convention : {"auto", "negative_down", "positive_down", "from_vertical"}
        How dips are signed (``"auto"`` flips when every dip is positive).
    default_dip : float, optional
        Dip for holes without a survey (e.g. -90); None sets such holes aside.
    below_detection : {"half", "zero", "missing", "limit", "error"}, default "half"
        Below-detection values (see :func:`raremin.assays.clean_assays`).
    missing_codes : sequence of float, default (-99, -999, -9999, -99999)
        Codes meaning "not assayed".
    composite_length_m : float, "auto" or None, default "auto"
        Units: m. Composite length; ``"auto"``: the most common assayed interval length;
        None: no compositing (interval midpoints are the samples).
    residual : {"merge", "keep", "drop"}, default "merge"
        Short residual pieces at the end of a run (see :func:`raremin.drillholes.composite`).
    zone_aware : bool, default True
        Break composites at zone boundaries (needs `deposit`).
    topcuts : mapping of str to float, optional
        Grade name -> cap applied to the composites.
    crs : CRS, optional
        The collars' CRS, when it differs from the deposit's.

    Returns
    -------
    Preparation
        ``samples`` are the composites (``hole_id``, ``from_m``, ``to_m``,
        ``length_m``, coordinates of the midpoint, ``zone`` with a deposit, grades).

    Raises
    ------
    InputError, DrillholeError
        Unreadable tables or values; see the modules of each step.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.preparation import prepare_drillholes_samples
    >>> collars = pd.DataFrame({"HoleID": ["D1"], "X": [0.0], "Y": [0.0], "Z": [100.0]})
    >>> surveys = pd.DataFrame({"HoleID": ["D1"], "Depth": [0.0], "Azimuth": [0.0],
    ...                         "Dip": [-90.0]})
    >>> assays = pd.DataFrame({"HoleID": ["D1"] * 4, "From": [0.0, 2.0, 4.0, 6.0],
    ...                        "To": [2.0, 4.0, 6.0, 8.0],
    ...                        "Cu_pct": [0.5, "<0.01", 0.7, 0.9], "Mo_pct": [-0.001] * 4})
    >>> prep = prepare_drillholes_samples(collars, surveys, assays, composite_length_m=4.0)
    >>> prep.samples[["from_m", "to_m", "elevation_m", "cu_pct"]].to_numpy().tolist()
    [[0.0, 4.0, 98.0, 0.2525], [4.0, 8.0, 94.0, 0.8]]
    >>> prep.count("below detection")
    5
    """
    steps = _Steps()
    assays = _rename_grades(assays, grades, steps, "assays")
    cleaned, names, report = _clean_grades(assays, "assays", steps,
                                           below_detection=below_detection,
                                           missing_codes=missing_codes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        holes, imports = prepare_drillholes(
            collars, surveys, cleaned, mapping=mapping, length_unit=length_unit,
            coordinate_unit=coordinate_unit, dip_convention=dip_convention,
            on_problem="report", default_dip=default_dip)
    for w in caught:
        logger.info("%s", w.message)
    for r in imports.to_frame().itertuples():
        if r.count:
            steps.add(r.step, r.table, r.count, r.detail)
    target = None if deposit is None else deposit.crs
    source = as_crs(crs)
    if source is not None and target is not None and not source.equals(target):
        collars_xyz = _reproject(holes.collars, crs, target, steps, "collars")
        holes = Drillholes(collars_xyz, holes.surveys, holes.intervals, holes.report)
    zones = deposit if (zone_aware and deposit is not None) else None
    if composite_length_m is None:
        samples = holes.desurvey_intervals()
        samples.insert(3, "length_m", samples["to_m"] - samples["from_m"])
        if deposit is not None:
            from .estimation import assign_zones

            samples["zone"] = assign_zones(samples, deposit).to_numpy()
        length = None
    else:
        if composite_length_m == "auto":
            length = _auto_length(holes.intervals, names)
            how = "the most common assayed interval length"
        else:
            length = float(composite_length_m)
            how = "as set"
        if residual not in RESIDUAL_RULES:
            raise InputError(f"residual must be one of {RESIDUAL_RULES}; got {residual!r}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            samples = composite(holes, length, grades=list(names), zones=zones,
                                residual=residual)
        dropped = samples.attrs.get("dropped", [])
        steps.add("composited", "assays", len(samples),
                  f"{len(holes.intervals):,} intervals to {len(samples):,} composites of "
                  f"{length:g} m ({how}), residual rule {residual!r}"
                  + (", broken at zone boundaries" if zones is not None else ""))
        if dropped:
            steps.add("residuals dropped", "composites", len(dropped),
                      "short end pieces left out (residual='drop')")
    samples = _apply_topcuts(samples, topcuts, steps, "composites")
    settings = {"below_detection": below_detection, "composite_length_m": length,
                "residual": residual, "topcuts": dict(topcuts or {}),
                "zone_aware": zones is not None}
    return Preparation(samples.reset_index(drop=True), steps.frame(), names, report, imports,
                       holes, settings)
