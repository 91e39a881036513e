"""
Drillholes: validated collar, survey and interval tables, desurveying, compositing and
top-cutting.

A drillhole dataset is three tables:

* **collars**, one row per hole: ``hole_id``, ``easting_m``, ``northing_m``,
  ``elevation_m`` (the collar position) and ``length_m`` (metres along the hole);
* **surveys**, one row per survey station: ``hole_id``, ``depth_m`` (measured depth,
  metres along the hole), ``azimuth_deg`` (clockwise from north) and ``dip_deg``
  (negative downwards, -90 is vertical);
* **intervals** (assays), one row per sample: ``hole_id``, ``from_m``, ``to_m`` and any
  grade columns (``la_ppm``, ``nd2o3_pct``, ``treo_pct``...).

:meth:`Drillholes.from_tables` checks the three tables together and returns a frozen
:class:`Drillholes` holding clean copies and a :class:`ValidationReport` of every
problem found. Nothing is ever dropped silently: a row that cannot be used either stops
the build (``on_problem="raise"``, the default) or is set aside, listed in the report
and counted in a warning (``on_problem="report"``).

* :func:`desurvey` turns measured depths into easting, northing and elevation by the
  minimum-curvature, tangential or balanced-tangential method, for every hole at once;
  :meth:`Drillholes.desurvey_intervals` and :meth:`Drillholes.traces` use it.
* :func:`composite` makes regular, length-weighted composites down each hole, broken at
  zone boundaries, with an explicit rule for the short residual at the end of a run.
* :func:`topcut_analysis` and :func:`cap` help choose and apply a top-cut (grade cap).

Examples
--------
>>> import pandas as pd
>>> from raremin.drillholes import Drillholes, composite
>>> collars = pd.DataFrame({"hole_id": ["DH1"], "easting_m": [1000.0],
...                         "northing_m": [2000.0], "elevation_m": [760.0],
...                         "length_m": [12.0]})
>>> surveys = pd.DataFrame({"hole_id": ["DH1"], "depth_m": [0.0],
...                         "azimuth_deg": [90.0], "dip_deg": [-60.0]})
>>> intervals = pd.DataFrame({"hole_id": ["DH1"] * 4, "from_m": [0.0, 3.0, 6.0, 9.0],
...                           "to_m": [3.0, 6.0, 9.0, 12.0],
...                           "la_ppm": [300.0, 500.0, 400.0, 200.0]})
>>> holes = Drillholes.from_tables(collars, surveys, intervals)
>>> holes
Drillholes(1 hole(s), 1 survey station(s), 4 interval(s); 0 problem(s))
>>> holes.desurvey_intervals()[["easting_m", "elevation_m"]].round(3)
   easting_m  elevation_m
0   1000.750      758.701
1   1002.250      756.103
2   1003.750      753.505
3   1005.250      750.907
>>> composite(holes, 6.0)[["from_m", "to_m", "la_ppm"]]
   from_m  to_m  la_ppm
0     0.0   6.0   400.0
1     6.0  12.0   300.0
"""

from __future__ import annotations

import dataclasses
import functools
import html
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._validation import check_finite, check_grades, check_positive, check_weights
from .analytes import find_analytes
from .deposit import Deposit, Zone, zone_labels
from .errors import InputError
from .units import GRADE_UNITS, grade_unit, unit_suffix

__all__ = [
    "COLLAR_COLUMNS",
    "DESURVEY_METHODS",
    "INTERVAL_COLUMNS",
    "PROBLEM_COLUMNS",
    "RESIDUAL_RULES",
    "SURVEY_COLUMNS",
    "DrillholeError",
    "DrillholeWarning",
    "Drillholes",
    "ValidationReport",
    "cap",
    "composite",
    "desurvey",
    "topcut_analysis",
]

#: Required columns of the collar table (one row per hole).
COLLAR_COLUMNS: tuple[str, ...] = ("hole_id", "easting_m", "northing_m", "elevation_m",
                                   "length_m")
#: Required columns of the survey table (one row per survey station).
SURVEY_COLUMNS: tuple[str, ...] = ("hole_id", "depth_m", "azimuth_deg", "dip_deg")
#: Required columns of the interval (assay) table (one row per sample).
INTERVAL_COLUMNS: tuple[str, ...] = ("hole_id", "from_m", "to_m")
#: The desurveying methods :func:`desurvey` knows.
DESURVEY_METHODS: tuple[str, ...] = ("minimum_curvature", "tangential", "balanced_tangential")
#: What :func:`composite` may do with the short piece left at the end of a run.
RESIDUAL_RULES: tuple[str, ...] = ("merge", "keep", "drop")
#: Columns of :attr:`ValidationReport.problems`.
PROBLEM_COLUMNS: tuple[str, ...] = ("hole_id", "table", "row", "kind", "level", "detail",
                                    "action")

_XYZ = ("easting_m", "northing_m", "elevation_m")
_TABLES = ("collars", "surveys", "intervals")
_ROW = "__raremin_row__"
#: Depths closer than this (metres) are the same depth: interval ends, hole ends, gaps.
_TOL_M = 1e-6
#: Below this dogleg (radians) the ratio factor and slerp weights use their series.
_SMALL_ANGLE = 1e-2
_SHOWN = 10


class DrillholeError(InputError):
    """
    The drillhole tables have problems that stop the build.

    The message lists the first ten problems and counts the rest; :attr:`report` holds
    all of them as a :class:`ValidationReport`.

    Examples
    --------
    >>> from raremin.drillholes import DrillholeError
    >>> from raremin.errors import InputError
    >>> issubclass(DrillholeError, InputError) and issubclass(DrillholeError, ValueError)
    True
    """

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class DrillholeWarning(UserWarning):
    """
    Rows of the drillhole tables were set aside, or a result needs a second look.

    Examples
    --------
    >>> from raremin.drillholes import DrillholeWarning
    >>> issubclass(DrillholeWarning, UserWarning)
    True
    """


# --------------------------------------------------------------------------- helpers
def _fmt(x: Any) -> str:
    """A number for a message: up to 10 significant digits, no trailing zeros."""
    try:
        return f"{float(x):.10g}"
    except (TypeError, ValueError):
        return repr(x)


def _check_choice(value: Any, choices: Sequence[str], name: str) -> str:
    if value not in choices:
        known = ", ".join(repr(c) for c in choices)
        raise InputError(f"unknown {name} {value!r}; use one of {known}")
    return value


def _check_columns(frame: Any, table: str, required: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"the {table} table must be a pandas DataFrame; got "
                         f"{type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"the {table} table lacks column(s) {missing}; it has {list(frame.columns)}. "
            f"It needs {list(required)}: rename the columns (units in metres and degrees)"
        )


def _numeric(series: pd.Series, name: str) -> np.ndarray:
    """A column as float64, NaN for missing values; InputError if it holds text."""
    try:
        values = pd.to_numeric(series, errors="raise")
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be numeric; {err}") from None
    return pd.Series(values).to_numpy(dtype=float, na_value=np.nan)


def _missing_ids(ids: pd.Series) -> np.ndarray:
    blank = ids.astype(str).str.strip().eq("")
    return (ids.isna() | blank).to_numpy(dtype=bool)


def _grade_like_columns(columns: Iterable[Any]) -> dict[Any, str]:
    """Grade columns (:func:`raremin.analytes.find_analytes`), mapped to their unit."""
    found = find_analytes(list(columns), warn=False)
    return {col: analyte.unit for col, analyte in found.analytes.items()}


def _full_scale(unit: str) -> float:
    """100 % expressed in `unit`."""
    return float(GRADE_UNITS["fraction"] / GRADE_UNITS[grade_unit(unit)])


def _grade_message(value: float, unit: str, name: str) -> str:
    """The message :func:`raremin._validation.check_grades` gives for one bad grade."""
    try:
        check_grades(np.array([value]), unit, name=name, allow_nan=True)
    except InputError as err:
        return str(err)
    return f"{name} = {_fmt(value)} {unit}"  # pragma: no cover - only called on bad values


def _grade_messages(col: str, unit: str, d: pd.DataFrame) -> list[str]:
    """One :func:`_grade_message` per interval of `d` for grade column `col`."""
    return [_grade_message(v, unit, f"{col} of hole {h!r} at {_fmt(a)}-{_fmt(b)} m")
            for v, h, a, b in zip(d[col], d["hole_id"], d["from_m"], d["to_m"], strict=True)]


# ------------------------------------------------------------------ validation report
def _empty_problems() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    frame["row"] = frame["row"].astype("Int64")
    return frame


@dataclasses.dataclass(frozen=True, eq=False)
class ValidationReport:
    """
    Every problem found in a set of drillhole tables, and the rows set aside.

    Parameters
    ----------
    problems : pandas.DataFrame
        One row per problem, with columns :data:`PROBLEM_COLUMNS`:

        * ``hole_id``: the hole concerned (as given; NaN when the id itself is missing);
        * ``table``: ``"collars"``, ``"surveys"`` or ``"intervals"``;
        * ``row``: 0-based position of the row in that input table (``<NA>`` for a
          problem of no single row);
        * ``kind``: what is wrong (``"duplicate_collar"``, ``"overlap"``, ``"gap"``...;
          see :meth:`Drillholes.from_tables`);
        * ``level``: ``"error"`` (stops a build with ``on_problem="raise"``; the row is
          set aside with ``on_problem="report"``), ``"warning"`` (the row is set aside
          in both modes) or ``"info"`` (nothing removed: gaps, normalised azimuths,
          assumed surveys);
        * ``detail``: a sentence naming the hole, the values and the fix;
        * ``action``: what was done: ``"error"`` (the build stopped on it), ``"set
          aside"`` (the row is not in the returned tables) or ``"kept"``.
    set_aside_rows : mapping of str to pandas.DataFrame, optional
        The rows set aside, per table, exactly as they were given (original index).

    Examples
    --------
    >>> from raremin.drillholes import ValidationReport
    >>> report = ValidationReport.empty()
    >>> report.ok, len(report)
    (True, 0)
    >>> list(report.to_frame().columns)
    ['hole_id', 'table', 'row', 'kind', 'level', 'detail', 'action']
    """

    problems: pd.DataFrame
    set_aside_rows: Mapping[str, pd.DataFrame] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.problems, pd.DataFrame):
            raise InputError(f"problems must be a DataFrame; got {type(self.problems).__name__}")
        missing = [c for c in PROBLEM_COLUMNS if c not in self.problems.columns]
        if missing:
            raise InputError(f"problems lack column(s) {missing}; need {list(PROBLEM_COLUMNS)}")
        object.__setattr__(self, "set_aside_rows", dict(self.set_aside_rows))

    @classmethod
    def empty(cls) -> ValidationReport:
        """
        A report with no problem.

        Examples
        --------
        >>> from raremin.drillholes import ValidationReport
        >>> ValidationReport.empty().ok
        True
        """
        return cls(_empty_problems())

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def ok(self) -> bool:
        """True when no problem is an error and no row was set aside."""
        return not bool(self.problems["level"].isin(["error", "warning"]).any())

    @property
    def errors(self) -> pd.DataFrame:
        """The error-level problems (those that stop a build with ``on_problem="raise"``)."""
        return self.problems[self.problems["level"] == "error"].reset_index(drop=True)

    @property
    def set_aside(self) -> pd.DataFrame:
        """The problems whose rows were set aside (left out of the returned tables)."""
        return self.problems[self.problems["action"] == "set aside"].reset_index(drop=True)

    @property
    def notes(self) -> pd.DataFrame:
        """The information-level problems: rows kept but worth knowing about (gaps...)."""
        return self.problems[self.problems["level"] == "info"].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """
        A copy of the problems table.

        Examples
        --------
        >>> from raremin.drillholes import ValidationReport
        >>> ValidationReport.empty().to_frame().empty
        True
        """
        return self.problems.copy()

    def summary(self) -> pd.DataFrame:
        """
        Number of problems per table, kind, level and action.

        Examples
        --------
        >>> from raremin.drillholes import ValidationReport
        >>> list(ValidationReport.empty().summary().columns)
        ['table', 'kind', 'level', 'action', 'count']
        """
        keys = ["table", "kind", "level", "action"]
        if self.problems.empty:
            return pd.DataFrame(columns=[*keys, "count"])
        return self.problems.groupby(keys, sort=False).size().rename("count").reset_index()

    def __repr__(self) -> str:
        counts = self.problems["level"].value_counts()
        parts = [f"{int(counts.get(k, 0))} {k}(s)" for k in ("error", "warning", "info")]
        aside = int((self.problems["action"] == "set aside").sum())
        return f"ValidationReport({', '.join(parts)}; {aside} row(s) set aside)"

    def _repr_html_(self) -> str:
        from ._display import _card, _table

        lines = [html.escape(repr(self))]
        body = _table(self.problems.head(60)) if len(self) else ""
        if len(self) > 60:
            lines.append(f"first 60 of {len(self)} problems shown; see to_frame()")
        return _card("Drillhole validation", lines, body)


class _Problems:
    """Collects problems table by table as small DataFrames."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, table: str, frame: pd.DataFrame, mask: Any, kind: str, level: str,
            detail: Callable[[pd.DataFrame], Iterable[str]]) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        sub = frame.loc[mask]
        self.parts.append(pd.DataFrame({
            "hole_id": sub["hole_id"].to_numpy(dtype=object),
            "table": table,
            "row": sub[_ROW].to_numpy(),
            "kind": kind,
            "level": level,
            "detail": list(detail(sub)),
        }))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return _empty_problems()
        frame = pd.concat(self.parts, ignore_index=True)
        frame["row"] = frame["row"].astype("Int64")
        order = frame["table"].map({t: k for k, t in enumerate(_TABLES)})
        frame = frame.assign(_t=order).sort_values(["_t", "row"], kind="stable")
        frame["action"] = np.where(frame["level"] == "info", "kept", "set aside")
        return frame.drop(columns="_t").reset_index(drop=True)[list(PROBLEM_COLUMNS)]


def _error_message(problems: pd.DataFrame) -> str:
    errors = problems[problems["level"] == "error"]
    lines = [
        f"  - {r.table} row {r.row} (hole {r.hole_id!r}): {r.kind}: {r.detail}"
        for r in errors.head(_SHOWN).itertuples()
    ]
    more = len(errors) - _SHOWN
    if more > 0:
        lines.append(f"  ... and {more} more")
    return (
        f"{len(errors)} problem(s) in the drillhole tables:\n" + "\n".join(lines)
        + "\nFix the tables, or pass on_problem='report' to set these rows aside and "
        "list them in Drillholes.report"
    )


# ------------------------------------------------------------------------ validation
def _work(frame: pd.DataFrame, table: str, numeric: Sequence[str]) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for col in numeric:
        out[col] = _numeric(out[col], f"{table} column {col!r}")
    out[_ROW] = np.arange(len(out))
    return out


def _sin_cos_deg(angle_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sine and cosine of angles in degrees, exact at multiples of 90 degrees."""
    angle = np.asarray(angle_deg, dtype=float)
    rad = np.radians(angle)
    sin, cos = np.sin(rad), np.cos(rad)
    right = np.mod(angle, 90.0) == 0.0
    if right.any():
        quarter = np.mod(np.round(angle[right] / 90.0), 4).astype(np.int64)
        sin[right] = np.array([0.0, 1.0, 0.0, -1.0])[quarter]
        cos[right] = np.array([1.0, 0.0, -1.0, 0.0])[quarter]
    return sin, cos


def _unit_vectors(azimuth_deg: np.ndarray, dip_deg: np.ndarray) -> np.ndarray:
    """Unit vectors (east, north, up) pointing down the hole."""
    sin_az, cos_az = _sin_cos_deg(azimuth_deg)
    sin_dip, cos_dip = _sin_cos_deg(dip_deg)
    return np.column_stack([cos_dip * sin_az, cos_dip * cos_az, sin_dip])


def _dogleg(t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """Angle between unit vectors, accurate near 0 and pi (atan2 of |t1 x t2| and t1.t2)."""
    cross = np.linalg.norm(np.cross(t1, t2), axis=-1)
    return np.arctan2(cross, np.einsum("ij,ij->i", t1, t2))


def _validate(collars: pd.DataFrame, surveys: pd.DataFrame, intervals: pd.DataFrame, *,
              on_problem: str, default_dip: float | None, default_azimuth: float,
              stacklevel: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                        ValidationReport]:
    _check_columns(collars, "collars", COLLAR_COLUMNS)
    _check_columns(surveys, "surveys", SURVEY_COLUMNS)
    _check_columns(intervals, "intervals", INTERVAL_COLUMNS)
    c = _work(collars, "collars", COLLAR_COLUMNS[1:])
    s = _work(surveys, "surveys", SURVEY_COLUMNS[1:])
    i = _work(intervals, "intervals", INTERVAL_COLUMNS[1:])
    grade_units = _grade_like_columns(i.columns)
    grades = {col: _numeric(i[col], f"intervals column {col!r}") for col in grade_units}
    for col, values in grades.items():
        i[col] = values
    probs = _Problems()

    # --- collars
    cmiss = _missing_ids(c["hole_id"])
    probs.add("collars", c, cmiss, "missing_hole_id", "error",
              lambda d: ["hole_id is missing or blank; every collar needs an id"] * len(d))
    counts = c["hole_id"].map(c["hole_id"].value_counts()).to_numpy()
    dup = c["hole_id"].duplicated(keep=False).to_numpy() & ~cmiss
    probs.add("collars", c, dup, "duplicate_collar", "error", lambda d: [
        f"hole_id {h!r} has {n} collar rows; keep exactly one"
        for h, n in zip(d["hole_id"], counts[d[_ROW].to_numpy()], strict=True)])
    num_cols = list(COLLAR_COLUMNS[1:])
    values = c[num_cols].to_numpy(dtype=float)
    nonfinite = ~np.isfinite(values)
    probs.add("collars", c, nonfinite.any(axis=1), "nan_coordinate", "error", lambda d: [
        ", ".join(f"{col} = {_fmt(v)}" for col, v, bad in
                  zip(num_cols, row, ~np.isfinite(row), strict=True) if bad)
        + ": collar coordinates and length must be numbers"
        for row in d[num_cols].to_numpy(dtype=float)])
    length = c["length_m"].to_numpy()
    nonpos = np.isfinite(length) & (length <= 0)
    probs.add("collars", c, nonpos, "nonpositive_length", "error", lambda d: [
        f"length_m = {_fmt(v)} must be > 0 (metres along the hole)" for v in d["length_m"]])
    err_c = cmiss | dup | nonfinite.any(axis=1) | nonpos
    known_ids = pd.Index(c.loc[~cmiss, "hole_id"].unique())
    valid_c = c.loc[~err_c]
    length_of = pd.Series(valid_c["length_m"].to_numpy(), index=valid_c["hole_id"].to_numpy())

    # --- surveys
    smiss = _missing_ids(s["hole_id"])
    probs.add("surveys", s, smiss, "missing_hole_id", "error",
              lambda d: ["hole_id is missing or blank"] * len(d))
    snocol = ~smiss & ~s["hole_id"].isin(known_ids).to_numpy()
    probs.add("surveys", s, snocol, "no_collar", "error", lambda d: [
        f"hole {h!r} has survey stations but no collar" for h in d["hole_id"]])
    depth, az, dip = (s[k].to_numpy() for k in SURVEY_COLUMNS[1:])
    snan = ~(np.isfinite(depth) & np.isfinite(az) & np.isfinite(dip))
    probs.add("surveys", s, snan, "nan_value", "error", lambda d: [
        f"depth_m = {_fmt(a)}, azimuth_deg = {_fmt(b)}, dip_deg = {_fmt(e)}: every "
        f"survey value must be a number" for a, b, e in
        zip(d["depth_m"], d["azimuth_deg"], d["dip_deg"], strict=True)])
    sneg = np.isfinite(depth) & (depth < 0)
    probs.add("surveys", s, sneg, "negative_depth", "error", lambda d: [
        f"depth_m = {_fmt(v)} is negative; depths are metres along the hole from the collar"
        for v in d["depth_m"]])
    dip_bad = np.isfinite(dip) & (np.abs(dip) > 90)
    probs.add("surveys", s, dip_bad, "dip_out_of_range", "error", lambda d: [
        f"dip_deg = {_fmt(v)} at depth {_fmt(m)} m is outside [-90, 90]; dip is negative "
        f"downwards, -90 vertical" for v, m in zip(d["dip_deg"], d["depth_m"], strict=True)])
    upward = np.isfinite(dip) & (dip > 0) & ~dip_bad
    probs.add("surveys", s, upward, "upward_dip", "info", lambda d: [
        f"dip_deg = {_fmt(v)} at depth {_fmt(m)} m points upwards; raremin's dip is "
        f"negative downwards: check the sign convention"
        for v, m in zip(d["dip_deg"], d["depth_m"], strict=True)])
    az_off = np.isfinite(az) & ((az < 0) | (az >= 360))
    az_new = np.mod(az, 360.0)
    az_new[az_new >= 360.0] = 0.0
    probs.add("surveys", s, az_off, "azimuth_normalised", "info", lambda d: [
        f"azimuth_deg = {_fmt(v)} at depth {_fmt(m)} m read as {_fmt(w)} (modulo 360)"
        for v, m, w in zip(d["azimuth_deg"], d["depth_m"], az_new[d[_ROW].to_numpy()],
                           strict=True)])
    s["azimuth_deg"] = np.where(np.isfinite(az), az_new, az)
    slen = s["hole_id"].map(length_of).to_numpy(dtype=float)
    sbeyond = np.isfinite(depth) & np.isfinite(slen) & (depth > slen + _TOL_M)
    probs.add("surveys", s, sbeyond, "survey_beyond_length", "error", lambda d: [
        f"survey depth_m = {_fmt(v)} is beyond the hole length {_fmt(n)} m; fix the "
        f"collar length_m or the survey" for v, n in
        zip(d["depth_m"], slen[d[_ROW].to_numpy()], strict=True)])
    err_s = smiss | snocol | snan | sneg | dip_bad | sbeyond
    sdup = np.zeros(len(s), dtype=bool)
    sdup[~err_s] = s.loc[~err_s].duplicated(["hole_id", "depth_m"], keep="first").to_numpy()
    probs.add("surveys", s, sdup, "duplicate_survey_depth", "error", lambda d: [
        f"a second survey station at depth_m = {_fmt(v)}; keep one station per depth"
        for v in d["depth_m"]])
    err_s |= sdup
    # Opposite directions at consecutive stations: no arc joins them (dogleg of 180 deg).
    ok = s.loc[~err_s].sort_values(["hole_id", "depth_m"], kind="stable")
    if len(ok) > 1:
        t = _unit_vectors(ok["azimuth_deg"].to_numpy(), ok["dip_deg"].to_numpy())
        ids = ok["hole_id"].to_numpy(dtype=object)
        flip = np.zeros(len(ok), dtype=bool)
        flip[1:] = (ids[1:] == ids[:-1]) & (_dogleg(t[:-1], t[1:]) > np.pi - 1e-9)
        back = np.zeros(len(s), dtype=bool)
        back[ok[_ROW].to_numpy()[flip]] = True
        probs.add("surveys", s, back, "reversed_direction", "error", lambda d: [
            f"the direction at depth_m = {_fmt(v)} is opposite to the station above (a "
            f"180 degree dogleg); check the azimuth and the dip sign" for v in d["depth_m"]])
        err_s |= back

    # --- collars without a usable survey
    surveyed = valid_c["hole_id"].isin(s.loc[~err_s, "hole_id"]).to_numpy()
    nosurvey = np.zeros(len(c), dtype=bool)
    nosurvey[valid_c[_ROW].to_numpy()[~surveyed]] = True
    given = s["hole_id"].value_counts()
    extra = pd.DataFrame(columns=list(s.columns))
    if default_dip is None:
        probs.add("collars", c, nosurvey, "no_surveys", "error", lambda d: [
            (f"hole {h!r} has no survey station" if given.get(h, 0) == 0 else
             f"hole {h!r} has no usable survey station (all {given.get(h, 0)} have "
             f"problems)") + "; add surveys, or pass default_dip=-90 to assume a vertical hole"
            for h in d["hole_id"]])
        err_c = err_c | nosurvey
    elif nosurvey.any():
        probs.add("collars", c, nosurvey, "default_survey", "info", lambda d: [
            f"hole {h!r} has no usable survey station: assumed azimuth_deg = "
            f"{_fmt(default_azimuth)}, dip_deg = {_fmt(default_dip)} from the collar"
            for h in d["hole_id"]])
        holes = c.loc[nosurvey, "hole_id"]
        extra = pd.DataFrame({"hole_id": holes.to_numpy(), "depth_m": 0.0,
                              "azimuth_deg": float(default_azimuth),
                              "dip_deg": float(default_dip), _ROW: -1})

    # --- intervals
    imiss = _missing_ids(i["hole_id"])
    probs.add("intervals", i, imiss, "missing_hole_id", "error",
              lambda d: ["hole_id is missing or blank"] * len(d))
    inocol = ~imiss & ~i["hole_id"].isin(known_ids).to_numpy()
    probs.add("intervals", i, inocol, "no_collar", "error", lambda d: [
        f"hole {h!r} has intervals but no collar" for h in d["hole_id"]])
    frm, to = i["from_m"].to_numpy(), i["to_m"].to_numpy()
    inan = ~(np.isfinite(frm) & np.isfinite(to))
    probs.add("intervals", i, inan, "nan_depth", "error", lambda d: [
        f"from_m = {_fmt(a)}, to_m = {_fmt(b)}: both ends must be numbers"
        for a, b in zip(d["from_m"], d["to_m"], strict=True)])
    fin = ~inan
    ineg = fin & (frm < 0)
    probs.add("intervals", i, ineg, "negative_depth", "error", lambda d: [
        f"from_m = {_fmt(v)} is negative; depths are metres along the hole" for v in d["from_m"]])
    izero = fin & (frm == to)
    probs.add("intervals", i, izero, "zero_length", "error", lambda d: [
        f"zero-length interval: from_m = to_m = {_fmt(v)}; remove it or fix its ends"
        for v in d["from_m"]])
    irev = fin & (frm > to)
    probs.add("intervals", i, irev, "reversed", "error", lambda d: [
        f"reversed interval: from_m = {_fmt(a)} > to_m = {_fmt(b)}; swap the ends"
        for a, b in zip(d["from_m"], d["to_m"], strict=True)])
    err_i = imiss | inocol | inan | ineg | izero | irev
    for col, unit in grade_units.items():
        g = grades[col]
        with np.errstate(invalid="ignore"):
            negative = g < 0
            over = g > _full_scale(unit)
        for mask, kind in ((negative, "negative_grade"), (over, "grade_over_100pct")):
            probs.add("intervals", i, mask, kind, "error",
                      functools.partial(_grade_messages, col, unit))
            err_i |= mask
    ilen = i["hole_id"].map(length_of).to_numpy(dtype=float)
    ibeyond = ~err_i & np.isfinite(ilen) & (to > ilen + _TOL_M)
    probs.add("intervals", i, ibeyond, "beyond_length", "warning", lambda d: [
        f"interval {_fmt(a)}-{_fmt(b)} m ends beyond the hole length {_fmt(n)} m; set aside "
        f"(fix the collar length_m or the interval)" for a, b, n in
        zip(d["from_m"], d["to_m"], ilen[d[_ROW].to_numpy()], strict=True)])
    overlap = _overlaps(i, ~err_i & ~ibeyond)
    probs.add("intervals", i, overlap[0], "overlap", "error", lambda d: [
        f"interval {_fmt(a)}-{_fmt(b)} m of hole {h!r} overlaps the interval(s) above it, "
        f"which reach {_fmt(e)} m" for a, b, h, e in
        zip(d["from_m"], d["to_m"], d["hole_id"], overlap[1][d[_ROW].to_numpy()],
            strict=True)])
    err_i |= overlap[0]

    problems = probs.frame()
    if on_problem == "raise" and (problems["level"] == "error").any():
        problems.loc[problems["level"] == "error", "action"] = "error"
        raise DrillholeError(_error_message(problems), ValidationReport(problems))

    # --- report mode: a hole whose collar is set aside takes its surveys and intervals
    lost = pd.Index(c.loc[err_c & ~cmiss, "hole_id"].unique())
    s_lost = ~err_s & s["hole_id"].isin(lost).to_numpy()
    i_lost = ~err_i & ~ibeyond & i["hole_id"].isin(lost).to_numpy()
    cascade = "{!r} is set aside with its collar (see the collars problems)".format
    probs.add("surveys", s, s_lost, "hole_set_aside", "error",
              lambda d: [f"hole {cascade(h)}" for h in d["hole_id"]])
    probs.add("intervals", i, i_lost, "hole_set_aside", "error",
              lambda d: [f"hole {cascade(h)}" for h in d["hole_id"]])
    keep_c, keep_s = ~err_c, ~(err_s | s_lost)
    keep_i = ~(err_i | ibeyond | i_lost)
    gap, gap_top = _gaps(i, keep_i)
    probs.add("intervals", i, gap, "gap", "info", lambda d: [
        f"unsampled gap {_fmt(e)}-{_fmt(a)} m ({_fmt(a - e)} m) above this interval"
        for a, e in zip(d["from_m"], gap_top[d[_ROW].to_numpy()], strict=True)])
    problems = probs.frame()

    aside = {
        "collars": collars.iloc[np.flatnonzero(~keep_c)],
        "surveys": surveys.iloc[np.flatnonzero(~keep_s)],
        "intervals": intervals.iloc[np.flatnonzero(~keep_i)],
    }
    n_aside = sum(len(v) for v in aside.values())
    if n_aside:
        detail = ", ".join(f"{len(v)} {k}" for k, v in aside.items() if len(v))
        warnings.warn(
            f"{n_aside} row(s) of the drillhole tables set aside ({detail}); they are listed "
            f"in Drillholes.report.set_aside and kept in report.set_aside_rows",
            DrillholeWarning, stacklevel=stacklevel)
    if upward.any():
        warnings.warn(
            f"{int(upward.sum())} survey station(s) have a positive dip (pointing upwards); "
            f"raremin's dip is negative downwards (-90 vertical): check the sign convention",
            DrillholeWarning, stacklevel=stacklevel)
    report = ValidationReport(problems, aside)

    clean_c = c.loc[keep_c].drop(columns=_ROW).reset_index(drop=True)
    codes = pd.Index(clean_c["hole_id"])
    clean_s = s.loc[keep_s]
    if len(extra):
        clean_s = pd.concat([clean_s, extra.astype({"hole_id": clean_s["hole_id"].dtype})],
                            ignore_index=True)
    clean_s = _sorted(clean_s, codes, "depth_m").drop(columns=_ROW)
    clean_i = _sorted(i.loc[keep_i], codes, "from_m").drop(columns=_ROW)
    return clean_c, clean_s, clean_i, report


def _sorted(frame: pd.DataFrame, codes: pd.Index, depth: str) -> pd.DataFrame:
    """Rows ordered by hole (collar order) then depth, index reset."""
    code = codes.get_indexer(frame["hole_id"])
    order = np.lexsort((frame[depth].to_numpy(dtype=float), code))
    return frame.iloc[order].reset_index(drop=True)


def _hole_sorted(frame: pd.DataFrame, mask: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Masked rows sorted by (hole_id, from_m, to_m), and where each starts a new hole."""
    sub = frame.loc[mask, ["hole_id", "from_m", "to_m", _ROW]]
    sub = sub.sort_values(["hole_id", "from_m", "to_m"], kind="stable")
    ids = sub["hole_id"].to_numpy(dtype=object)
    first = np.ones(len(sub), dtype=bool)
    first[1:] = ids[1:] != ids[:-1]
    return sub, first


def _overlaps(frame: pd.DataFrame, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows starting above the deepest end of the intervals above them in their hole."""
    sub, first = _hole_sorted(frame, mask)
    reach = sub.groupby("hole_id", sort=False)["to_m"].cummax().to_numpy()
    above = np.empty(len(sub))
    above[1:] = reach[:-1]
    above[first] = -np.inf
    bad = sub["from_m"].to_numpy() < above - _TOL_M
    flag = np.zeros(len(frame), dtype=bool)
    end = np.full(len(frame), np.nan)
    rows = sub[_ROW].to_numpy()
    flag[rows[bad]] = True
    end[rows] = above
    return flag, end


def _gaps(frame: pd.DataFrame, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows starting below the end of the interval above them (an unsampled gap)."""
    sub, first = _hole_sorted(frame, mask)
    ends = sub["to_m"].to_numpy()
    above = np.empty(len(sub))
    above[1:] = ends[:-1]
    above[first] = np.inf
    bad = sub["from_m"].to_numpy() > above + _TOL_M
    flag = np.zeros(len(frame), dtype=bool)
    top = np.full(len(frame), np.nan)
    rows = sub[_ROW].to_numpy()
    flag[rows[bad]] = True
    top[rows] = above
    return flag, top


# ------------------------------------------------------------------------ Drillholes
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Drillholes:
    """
    Validated collar, survey and interval tables of a set of drillholes.

    Build it with :meth:`from_tables`, which checks the tables and reports every
    problem. Direct construction trusts that the tables are clean (as
    :meth:`from_tables` returns them) and only checks their columns and hole ids.

    Parameters
    ----------
    collars : pandas.DataFrame
        ``hole_id``, ``easting_m``, ``northing_m``, ``elevation_m`` (units: m, projected
        CRS, elevation up) and ``length_m`` (units: m along the hole); one row per hole.
    surveys : pandas.DataFrame
        ``hole_id``, ``depth_m`` (units: m along the hole), ``azimuth_deg`` (units:
        degrees clockwise from north, in [0, 360)) and ``dip_deg`` (units: degrees,
        negative downwards, -90 vertical); at least one station per hole, sorted by hole
        (collar order) and depth.
    intervals : pandas.DataFrame
        ``hole_id``, ``from_m``, ``to_m`` (units: m along the hole) and any other
        columns (grades with their unit in the name: ``la_ppm``, ``treo_pct``), sorted
        by hole (collar order) and depth.
    report : ValidationReport, optional
        What :meth:`from_tables` found and set aside.

    Raises
    ------
    InputError
        Missing columns, duplicate collar ids, holes without a collar or without survey.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.drillholes import Drillholes
    >>> collars = pd.DataFrame({"hole_id": ["A", "B"], "easting_m": [0.0, 50.0],
    ...                         "northing_m": [0.0, 0.0], "elevation_m": [100.0, 100.0],
    ...                         "length_m": [20.0, 30.0]})
    >>> surveys = pd.DataFrame({"hole_id": ["A", "B"], "depth_m": [0.0, 0.0],
    ...                         "azimuth_deg": [0.0, 0.0], "dip_deg": [-90.0, -90.0]})
    >>> intervals = pd.DataFrame({"hole_id": ["A", "B"], "from_m": [0.0, 0.0],
    ...                           "to_m": [20.0, 30.0]})
    >>> Drillholes(collars, surveys, intervals).hole_ids
    ['A', 'B']
    """

    collars: pd.DataFrame
    surveys: pd.DataFrame
    intervals: pd.DataFrame
    report: ValidationReport = dataclasses.field(default_factory=ValidationReport.empty)

    def __post_init__(self) -> None:
        _check_columns(self.collars, "collars", COLLAR_COLUMNS)
        _check_columns(self.surveys, "surveys", SURVEY_COLUMNS)
        _check_columns(self.intervals, "intervals", INTERVAL_COLUMNS)
        ids = self.collars["hole_id"]
        hint = "; build the drillholes with Drillholes.from_tables to find every problem"
        if ids.duplicated().any():
            dupes = sorted(map(str, ids[ids.duplicated()].unique()))[:_SHOWN]
            raise InputError(f"duplicate collar hole_id(s) {dupes}" + hint)
        for table in ("surveys", "intervals"):
            orphans = ~getattr(self, table)["hole_id"].isin(ids)
            if orphans.any():
                names = sorted(map(str, getattr(self, table).loc[orphans, "hole_id"].unique()))
                raise InputError(f"{table} of hole(s) {names[:_SHOWN]} have no collar" + hint)
        unsurveyed = ~ids.isin(self.surveys["hole_id"])
        if unsurveyed.any():
            names = sorted(map(str, ids[unsurveyed]))[:_SHOWN]
            raise InputError(f"hole(s) {names} have no survey station" + hint)
        if not isinstance(self.report, ValidationReport):
            raise InputError(f"report must be a ValidationReport; got "
                             f"{type(self.report).__name__}")

    @classmethod
    def from_tables(
        cls,
        collars: pd.DataFrame,
        surveys: pd.DataFrame,
        intervals: pd.DataFrame | None = None,
        *,
        on_problem: str = "raise",
        default_dip: float | None = None,
        default_azimuth: float = 0.0,
    ) -> Drillholes:
        """
        Check collar, survey and interval tables and build :class:`Drillholes`.

        Parameters
        ----------
        collars, surveys : pandas.DataFrame
            The collar and survey tables (columns :data:`COLLAR_COLUMNS` and
            :data:`SURVEY_COLUMNS`; units: m and degrees, dip negative downwards).
        intervals : pandas.DataFrame, optional
            The interval (assay) table, columns :data:`INTERVAL_COLUMNS` plus any others
            (units: m along the hole; grades in the unit their name ends with). None for
            no interval.
        on_problem : {"raise", "report"}, default "raise"
            ``"raise"``: any error-level problem raises :class:`DrillholeError` listing
            them all (first ten in the message, all in its ``report``).
            ``"report"``: the rows with problems are set aside (a hole whose collar is
            set aside takes its surveys and intervals with it), listed in
            :attr:`report` and counted in a :class:`DrillholeWarning`.
        default_dip : float, optional
            Units: degrees. Dip assumed for a hole without any usable survey station
            (``-90`` for vertical). Without it such a hole is an error.
        default_azimuth : float, default 0
            Units: degrees clockwise from north. Azimuth for `default_dip`.

        Returns
        -------
        Drillholes
            Clean copies of the tables (numbers as float64, azimuths in [0, 360),
            surveys and intervals sorted by hole in collar order and depth, index
            reset) and the :class:`ValidationReport`.

        Raises
        ------
        InputError
            A table is not a DataFrame, lacks required columns (the message names them
            and the columns present), or has text in a numeric column.
        DrillholeError
            With ``on_problem="raise"``, when any problem is an error.

        Warns
        -----
        DrillholeWarning
            When rows are set aside (how many, per table), and when some survey points
            upwards (positive dip).

        Notes
        -----
        The checks, by problem ``kind`` (level in brackets):

        * collars: ``missing_hole_id``, ``duplicate_collar`` (every row of the id is set
          aside), ``nan_coordinate`` (NaN or infinite position or length),
          ``nonpositive_length``, ``no_surveys`` (no usable station; ``info``
          ``default_survey`` instead when `default_dip` is given) [error];
        * surveys: ``missing_hole_id``, ``no_collar``, ``nan_value`` (including a NaN
          azimuth), ``negative_depth``, ``dip_out_of_range`` (outside [-90, 90]),
          ``survey_beyond_length`` (deeper than the hole), ``duplicate_survey_depth``
          (the second station at a depth), ``reversed_direction`` (a 180 degree turn
          between stations) [error]; ``azimuth_normalised`` (outside [0, 360), read
          modulo 360) and ``upward_dip`` (positive dip) [info];
        * intervals: ``missing_hole_id``, ``no_collar``, ``nan_depth``,
          ``negative_depth``, ``zero_length``, ``reversed`` (``from_m > to_m``),
          ``overlap`` (an interval starting above the deepest end of the intervals above
          it in the hole), ``negative_grade`` and ``grade_over_100pct`` (with the
          message of :func:`raremin._validation.check_grades`) [error];
          ``beyond_length`` (ends below the hole) [warning: always set aside];
          ``gap`` (unsampled length between intervals) [info];
        * ``hole_set_aside`` [error, report mode only]: a survey or interval of a hole
          whose collar was set aside.

        Grade columns are those :func:`raremin.analytes.find_analytes` reads (an
        element, oxide or basket and its unit: ``cu_pct``, ``nd2o3_ppm``,
        ``treo_pct``); NaN grades are allowed.
        Depths within 1e-6 m count as equal.

        Examples
        --------
        >>> import warnings
        >>> import pandas as pd
        >>> from raremin.drillholes import Drillholes, DrillholeError
        >>> collars = pd.DataFrame({"hole_id": ["A"], "easting_m": [0.0],
        ...                         "northing_m": [0.0], "elevation_m": [100.0],
        ...                         "length_m": [10.0]})
        >>> surveys = pd.DataFrame({"hole_id": ["A"], "depth_m": [0.0],
        ...                         "azimuth_deg": [0.0], "dip_deg": [-90.0]})
        >>> intervals = pd.DataFrame({"hole_id": ["A", "A"], "from_m": [0.0, 8.0],
        ...                           "to_m": [5.0, 12.0], "ce_ppm": [900.0, -1.0]})
        >>> try:
        ...     Drillholes.from_tables(collars, surveys, intervals)
        ... except DrillholeError as err:
        ...     kinds = err.report.errors["kind"].tolist()
        >>> kinds
        ['negative_grade']
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     holes = Drillholes.from_tables(collars, surveys, intervals,
        ...                                    on_problem="report")
        >>> holes.report.to_frame()[["row", "kind", "action"]]
           row            kind     action
        0    1  negative_grade  set aside
        >>> str(caught[0].message).split(";")[0]
        '1 row(s) of the drillhole tables set aside (1 intervals)'
        """
        _check_choice(on_problem, ("raise", "report"), "on_problem")
        if default_dip is not None:
            dip = float(check_finite(default_dip, "default_dip"))
            if abs(dip) > 90:
                raise InputError(f"default_dip = {dip} is outside [-90, 90]; dip is negative "
                                 f"downwards, -90 vertical")
            default_azimuth = float(check_finite(default_azimuth, "default_azimuth")) % 360.0
        if intervals is None:
            intervals = pd.DataFrame({"hole_id": pd.Series(dtype=object),
                                      "from_m": pd.Series(dtype=float),
                                      "to_m": pd.Series(dtype=float)})
        c, s, i, report = _validate(collars, surveys, intervals, on_problem=on_problem,
                                    default_dip=default_dip,
                                    default_azimuth=default_azimuth, stacklevel=3)
        return cls(c, s, i, report)

    # --- access ---------------------------------------------------------------------
    @property
    def hole_ids(self) -> list[Any]:
        """Hole ids in collar order."""
        return self.collars["hole_id"].tolist()

    @property
    def grade_columns(self) -> list[str]:
        """Interval grade columns (:func:`raremin.analytes.find_analytes`: ``la_ppm``...)."""
        return list(_grade_like_columns(self.intervals.columns))

    def _codes(self, hole_ids: Any, what: str = "depths") -> np.ndarray:
        """Position of each hole id in the collar table; InputError for unknown ids."""
        ids = pd.Index(self.collars["hole_id"])
        codes = ids.get_indexer(pd.Index(hole_ids))
        if (codes < 0).any():
            unknown = pd.unique(np.asarray(hole_ids, dtype=object)[codes < 0])
            raise InputError(f"{what} name hole(s) {list(unknown[:_SHOWN])} that have no "
                             f"collar; known holes: {len(ids)} (e.g. {list(ids[:3])})")
        return codes

    def __repr__(self) -> str:
        return (f"Drillholes({len(self.collars):,} hole(s), {len(self.surveys):,} survey "
                f"station(s), {len(self.intervals):,} interval(s); {len(self.report):,} "
                f"problem(s))")

    def _repr_html_(self) -> str:
        from ._display import _card

        lines = [html.escape(repr(self)), html.escape(repr(self.report))]
        return _card("Drillholes", lines)

    # --- geometry -------------------------------------------------------------------
    def desurvey_intervals(self, method: str = "minimum_curvature") -> pd.DataFrame:
        """
        The intervals with the coordinates of their midpoints.

        Parameters
        ----------
        method : {"minimum_curvature", "tangential", "balanced_tangential"}
            Desurveying method (see :func:`desurvey`).

        Returns
        -------
        pandas.DataFrame
            A copy of :attr:`intervals` with ``easting_m``, ``northing_m`` and
            ``elevation_m`` (units: m) of the point at depth ``(from_m + to_m) / 2``
            inserted after ``to_m`` (existing columns of those names are replaced).

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.drillholes import Drillholes
        >>> holes = Drillholes.from_tables(
        ...     pd.DataFrame({"hole_id": ["A"], "easting_m": [0.0], "northing_m": [0.0],
        ...                   "elevation_m": [100.0], "length_m": [10.0]}),
        ...     pd.DataFrame({"hole_id": ["A"], "depth_m": [0.0], "azimuth_deg": [0.0],
        ...                   "dip_deg": [-90.0]}),
        ...     pd.DataFrame({"hole_id": ["A"], "from_m": [2.0], "to_m": [4.0]}))
        >>> holes.desurvey_intervals()["elevation_m"].tolist()
        [97.0]
        """
        iv = self.intervals.drop(columns=[c for c in _XYZ if c in self.intervals.columns])
        mid = 0.5 * (iv["from_m"].to_numpy(dtype=float) + iv["to_m"].to_numpy(dtype=float))
        xyz = _desurvey_points(self, iv["hole_id"], mid, method)
        at = list(iv.columns).index("to_m") + 1
        for k, name in enumerate(_XYZ):
            iv.insert(at + k, name, xyz[:, k])
        return iv

    def traces(self, step_m: float = 5.0, method: str = "minimum_curvature") -> pd.DataFrame:
        """
        Points along every hole from the collar to its end, for plots and checks.

        Parameters
        ----------
        step_m : float, default 5
            Units: m along the hole. Spacing of the points; the end of the hole is
            always included.
        method : {"minimum_curvature", "tangential", "balanced_tangential"}
            Desurveying method (see :func:`desurvey`).

        Returns
        -------
        pandas.DataFrame
            ``hole_id``, ``depth_m``, ``easting_m``, ``northing_m``, ``elevation_m``
            (units: m), by hole in collar order and depth.

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.drillholes import Drillholes
        >>> holes = Drillholes.from_tables(
        ...     pd.DataFrame({"hole_id": ["A"], "easting_m": [0.0], "northing_m": [0.0],
        ...                   "elevation_m": [100.0], "length_m": [12.0]}),
        ...     pd.DataFrame({"hole_id": ["A"], "depth_m": [0.0], "azimuth_deg": [0.0],
        ...                   "dip_deg": [-90.0]}))
        >>> holes.traces(step_m=5.0)[["depth_m", "elevation_m"]].to_numpy().tolist()
        [[0.0, 100.0], [5.0, 95.0], [10.0, 90.0], [12.0, 88.0]]
        """
        step = float(check_positive(step_m, "step_m", "metres along the hole"))
        length = self.collars["length_m"].to_numpy(dtype=float)
        count = np.floor(length / step - 1e-9).astype(np.int64) + 1  # points above the end
        code = np.repeat(np.arange(len(length)), count)
        within = np.arange(code.size) - np.repeat(np.cumsum(count) - count, count)
        depth = np.concatenate([within * step, length])
        code = np.concatenate([code, np.arange(len(length))])
        order = np.lexsort((depth, code))
        code, depth = code[order], depth[order]
        ids = self.collars["hole_id"].to_numpy()[code]
        xyz = _desurvey_points(self, ids, depth, method, codes=code)
        out = pd.DataFrame({"hole_id": ids, "depth_m": depth})
        for k, name in enumerate(_XYZ):
            out[name] = xyz[:, k]
        return out


def _as_drillholes(data: Any) -> Drillholes:
    if isinstance(data, Drillholes):
        return data
    if isinstance(data, (tuple, list)) and len(data) in (2, 3):
        return Drillholes.from_tables(*data)
    raise InputError(
        f"expected Drillholes or a tuple (collars, surveys[, intervals]) of DataFrames; got "
        f"{type(data).__name__}"
    )


# ------------------------------------------------------------------------ desurveying
@dataclasses.dataclass(frozen=True)
class _Stations:
    """Survey stations of every hole, by hole then depth, with positions."""

    code: np.ndarray  # hole position in the collar table
    md: np.ndarray  # measured depth, m
    t: np.ndarray  # unit direction (east, north, up)
    pos: np.ndarray  # position (easting, northing, elevation)
    has_next: np.ndarray  # another station follows in the same hole
    beta: np.ndarray  # dogleg to the next station (0 at a hole's last station)


def _ratio_factor(beta: np.ndarray) -> np.ndarray:
    """RF = (2 / beta) tan(beta / 2); its Taylor series below `_SMALL_ANGLE`."""
    beta = np.asarray(beta, dtype=float)
    small = beta < _SMALL_ANGLE
    b2 = beta * beta
    series = 1.0 + b2 / 12.0 + b2 * b2 / 120.0 + 17.0 * b2 ** 3 / 20160.0
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = 2.0 / beta * np.tan(beta / 2.0)
    return np.where(small, series, exact)


def _slerp_weight(frac: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """sin(frac * beta) / sin(beta), with its series in beta below `_SMALL_ANGLE`."""
    small = beta < _SMALL_ANGLE
    b2 = beta * beta
    f2 = frac * frac
    series = frac * (1.0 + (1.0 - f2) * b2 / 6.0
                     + b2 * b2 * (7.0 / 360.0 - f2 / 36.0 + f2 * f2 / 120.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.sin(frac * beta) / np.sin(beta)
    return np.where(small, series, exact)


def _stations(holes: Drillholes, method: str) -> _Stations:
    sv = holes.surveys
    code = holes._codes(sv["hole_id"], "surveys")
    md = sv["depth_m"].to_numpy(dtype=float)
    az = sv["azimuth_deg"].to_numpy(dtype=float)
    dip = sv["dip_deg"].to_numpy(dtype=float)
    order = np.lexsort((md, code))
    code, md, az, dip = code[order], md[order], az[order], dip[order]
    first = np.ones(code.size, dtype=bool)
    first[1:] = code[1:] != code[:-1]
    # A hole whose first station is below the collar runs straight along that station's
    # direction from the collar: add a station at depth 0.
    late = np.flatnonzero(first & (md > 0))
    if late.size:
        code, az, dip = (np.insert(a, late, a[late]) for a in (code, az, dip))
        md = np.insert(md, late, 0.0)
        first = np.ones(code.size, dtype=bool)
        first[1:] = code[1:] != code[:-1]
    t = _unit_vectors(az, dip)
    has_next = np.zeros(code.size, dtype=bool)
    has_next[:-1] = ~first[1:]
    t_next = np.roll(t, -1, axis=0)
    seg = np.zeros(code.size)
    seg[:-1] = md[1:] - md[:-1]
    seg[~has_next] = 0.0
    beta = np.where(has_next, _dogleg(t, t_next), 0.0)
    if method == "minimum_curvature" and (beta > np.pi - 1e-9).any():
        k = int(np.flatnonzero(beta > np.pi - 1e-9)[0])
        hole = holes.collars["hole_id"].iloc[code[k]]
        raise InputError(f"hole {hole!r} turns 180 degrees between stations at {_fmt(md[k])} "
                         f"and {_fmt(md[k + 1])} m; minimum curvature has no arc for that")
    if method == "tangential":
        step = seg[:, None] * t
    elif method == "balanced_tangential":
        step = 0.5 * seg[:, None] * (t + t_next)
    else:
        step = 0.5 * (seg * _ratio_factor(beta))[:, None] * (t + t_next)
    step[~has_next] = 0.0
    # Displacement of each station from the one above; positions by a per-hole cumsum.
    rise = np.zeros_like(step)
    rise[1:] = step[:-1]
    rise[first] = 0.0
    total = np.cumsum(rise, axis=0)
    hole_of = np.cumsum(first) - 1
    start = total[np.flatnonzero(first)][hole_of]
    collar = holes.collars[list(_XYZ)].to_numpy(dtype=float)
    pos = collar[code] + (total - start)
    return _Stations(code, md, t, pos, has_next, beta)


def _desurvey_points(holes: Drillholes, hole_ids: Any, depth_m: np.ndarray, method: str,
                     codes: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) positions of the given measured depths; the core of :func:`desurvey`."""
    _check_choice(method, DESURVEY_METHODS, "desurvey method")
    md = np.asarray(depth_m, dtype=float)
    code = holes._codes(hole_ids) if codes is None else codes
    if md.size == 0:
        return np.zeros((0, 3))
    st = _stations(holes, method)
    # Segment of each query: the last station at or above it in its hole, found by one
    # searchsorted on the key hole * big + depth (big a power of two above every depth,
    # so hole * big is exact and the keys sort by hole, then depth).
    big = 2.0 ** np.ceil(np.log2(max(float(md.max()), float(st.md.max())) + 1.0) + 1.0)
    k = np.searchsorted(st.code * big + st.md, code * big + md, side="right") - 1
    t1 = st.t[k]
    along = md - st.md[k]
    out = st.pos[k] + along[:, None] * t1  # straight on: tangential, and below the last station
    inner = st.has_next[k]
    if method == "tangential" or not inner.any():
        return out
    kk = k[inner]
    a = along[inner]
    t1, t2 = st.t[kk], st.t[kk + 1]
    seg = st.md[kk + 1] - st.md[kk]
    if method == "balanced_tangential":
        half = 0.5 * seg
        second = a > half
        lower = half[:, None] * t1 + (a - half)[:, None] * t2
        out[inner] = st.pos[kk] + np.where(second[:, None], lower, a[:, None] * t1)
        return out
    beta = st.beta[kk]
    frac = a / seg
    tf = (_slerp_weight(1.0 - frac, beta)[:, None] * t1
          + _slerp_weight(frac, beta)[:, None] * t2)
    out[inner] = st.pos[kk] + (0.5 * a * _ratio_factor(frac * beta))[:, None] * (t1 + tf)
    return out


def desurvey(drillholes: Drillholes | tuple[pd.DataFrame, ...], depths: Any, *,
             method: str = "minimum_curvature") -> pd.DataFrame:
    """
    Coordinates of points at given measured depths down the holes.

    Parameters
    ----------
    drillholes : Drillholes or tuple of DataFrame
        The holes, or a tuple ``(collars, surveys)`` (checked by
        :meth:`Drillholes.from_tables`, which raises on any problem).
    depths : pandas.DataFrame or tuple of array_like
        The points: a DataFrame with ``hole_id`` and ``depth_m`` columns, or a tuple
        ``(hole_ids, depths_m)``. Units: m along the hole, >= 0.
    method : {"minimum_curvature", "tangential", "balanced_tangential"}
        How the path between survey stations is drawn (see Notes).

    Returns
    -------
    pandas.DataFrame
        ``hole_id``, ``depth_m``, ``easting_m``, ``northing_m``, ``elevation_m``
        (units: m), one row per point in the order given (a DataFrame's index is kept).

    Raises
    ------
    InputError
        Unknown hole ids, NaN or negative depths, an unknown method, or a 180 degree
        turn between stations (minimum curvature).

    Warns
    -----
    DrillholeWarning
        For depths beyond the hole length (they are extrapolated).

    Notes
    -----
    The direction down the hole at a station with azimuth :math:`a` (clockwise from
    north) and dip :math:`d` (negative downwards) is the unit vector (east, north, up)

    .. math:: t = (\\cos d \\sin a,\\; \\cos d \\cos a,\\; \\sin d).

    Between stations 1 and 2 at measured depths :math:`M_1 < M_2`, with
    :math:`\\Delta M = M_2 - M_1`:

    * **minimum curvature** (Taylor and Mason, 1972; Zaremba, 1973; Sawaryn and
      Thorogood, 2005) takes the circular arc tangent to :math:`t_1` and :math:`t_2`.
      With the dogleg :math:`\\beta = \\arccos(t_1 \\cdot t_2)` (computed as
      :math:`\\operatorname{atan2}(|t_1 \\times t_2|, t_1 \\cdot t_2)`, accurate near 0)
      and the ratio factor :math:`RF(\\beta) = (2/\\beta)\\tan(\\beta/2)` (its series
      :math:`1 + \\beta^2/12 + \\beta^4/120 + 17\\beta^6/20160` below 0.01 rad, so
      :math:`RF \\to 1` as :math:`\\beta \\to 0`), station 2 lies at
      :math:`P_2 = P_1 + \\tfrac{\\Delta M}{2}(t_1 + t_2) RF(\\beta)`. A point at
      fraction :math:`f = (m - M_1)/\\Delta M` has the direction given by spherical
      linear interpolation (Shoemake, 1985)
      :math:`t_f = [\\sin((1-f)\\beta)\\, t_1 + \\sin(f\\beta)\\, t_2] / \\sin\\beta`
      and lies at :math:`P_1 + \\tfrac{m - M_1}{2}(t_1 + t_f) RF(f\\beta)`: the same
      formula on the sub-arc, so points fall exactly on the arc.
    * **tangential**: each segment is straight along the direction at its top station,
      :math:`P = P_1 + (m - M_1)\\, t_1`.
    * **balanced tangential** (Walstrom et al., 1969): the upper half of the segment
      runs along :math:`t_1`, the lower half along :math:`t_2`, so
      :math:`P_2 = P_1 + \\tfrac{\\Delta M}{2}(t_1 + t_2)`; points between stations lie
      on these two straight halves.

    Above the first station (when it is below the collar) and below the last one, the
    hole runs straight along the nearest station's direction. All holes are computed
    at once: each point's segment is found by one :func:`numpy.searchsorted` on the key
    ``hole * big + depth`` over the sorted stations.

    References
    ----------
    Taylor, H. L., and Mason, M. C. (1972). A systematic approach to well surveying
    calculations. *SPE Journal*, 12(6), 474-488.

    Zaremba, W. A. (1973). Directional survey by the circular arc method. *SPE Journal*,
    13(1), 5-9.

    Walstrom, J. E., Brown, A. A., and Harvey, R. P. (1969). An analysis of uncertainty
    in directional surveying. *Journal of Petroleum Technology*, 21(4), 515-523.

    Shoemake, K. (1985). Animating rotation with quaternion curves. *SIGGRAPH '85*,
    245-254.

    Sawaryn, S. J., and Thorogood, J. L. (2005). A compendium of directional
    calculations based on the minimum curvature method. *SPE Drilling & Completion*,
    20(1), 24-36.

    Examples
    --------
    A hole collared at (0, 0, 100) heading north, steepening from -45 to -90 degrees
    over 100 m: minimum curvature puts it on a circular arc of radius 400 / pi m.

    >>> import pandas as pd
    >>> from raremin.drillholes import desurvey
    >>> collars = pd.DataFrame({"hole_id": ["A"], "easting_m": [0.0], "northing_m": [0.0],
    ...                         "elevation_m": [100.0], "length_m": [100.0]})
    >>> surveys = pd.DataFrame({"hole_id": ["A", "A"], "depth_m": [0.0, 100.0],
    ...                         "azimuth_deg": [0.0, 0.0], "dip_deg": [-45.0, -90.0]})
    >>> points = desurvey((collars, surveys), (["A", "A"], [50.0, 100.0]))
    >>> points[["northing_m", "elevation_m"]].round(3)
       northing_m  elevation_m
    0      27.600       58.693
    1      37.292        9.968
    >>> desurvey((collars, surveys), (["A"], [100.0]), method="balanced_tangential")[
    ...     "elevation_m"].round(3).tolist()
    [14.645]
    """
    holes = _as_drillholes(drillholes)
    _check_choice(method, DESURVEY_METHODS, "desurvey method")
    if isinstance(depths, pd.DataFrame):
        _check_columns(depths, "depths", ("hole_id", "depth_m"))
        ids = depths["hole_id"]
        md = _numeric(depths["depth_m"], "depths column 'depth_m'")
        index = depths.index
    elif isinstance(depths, (tuple, list)) and len(depths) == 2:
        ids = pd.Series(np.asarray(depths[0], dtype=object).ravel())
        md = np.atleast_1d(np.asarray(check_finite(depths[1], "depths"), dtype=float)).ravel()
        index = pd.RangeIndex(len(md))
        if len(ids) != md.size:
            raise InputError(f"depths gives {len(ids)} hole id(s) for {md.size} depth(s); "
                             f"give one hole id per depth")
    else:
        raise InputError(f"depths must be a DataFrame (hole_id, depth_m) or a tuple "
                         f"(hole_ids, depths_m); got {type(depths).__name__}")
    check_finite(md, "depth_m")
    if (md < 0).any():
        first = float(md[md < 0][0])
        raise InputError(f"depth_m has {int((md < 0).sum())} negative value(s) (first: "
                         f"{first}); depths are metres along the hole from the collar")
    code = holes._codes(ids)
    length = holes.collars["length_m"].to_numpy(dtype=float)[code]
    beyond = md > length + _TOL_M
    if beyond.any():
        warnings.warn(
            f"{int(beyond.sum())} depth(s) lie beyond the end of their hole (first: "
            f"{_fmt(md[beyond][0])} m in hole {ids.iloc[int(np.argmax(beyond))]!r}, "
            f"{_fmt(length[beyond][0])} m long); extrapolated along the last survey direction",
            DrillholeWarning, stacklevel=2)
    xyz = _desurvey_points(holes, ids, md, method, codes=code)
    out = pd.DataFrame({"hole_id": ids.to_numpy(), "depth_m": md}, index=index)
    for k, name in enumerate(_XYZ):
        out[name] = xyz[:, k]
    return out


# ------------------------------------------------------------------------ compositing
def _zone_labels(xyz: np.ndarray, zones: Deposit | Zone | Iterable[Zone]) -> np.ndarray:
    """Name of the first zone holding each point; "" outside every zone."""
    topography = zones.topography if isinstance(zones, Deposit) else None
    return zone_labels(xyz, zones, topography=topography)


def composite(
    drillholes: Drillholes,
    length_m: float,
    *,
    grades: Sequence[str] | None = None,
    zones: Deposit | Zone | Iterable[Zone] | None = None,
    zone_column: str | None = None,
    residual: str = "merge",
    min_fraction: float = 0.5,
    method: str = "minimum_curvature",
    coverage: bool = False,
) -> pd.DataFrame:
    """
    Regular length-weighted composites down each hole, broken at zone boundaries.

    Parameters
    ----------
    drillholes : Drillholes
        The holes and their intervals (a tuple ``(collars, surveys, intervals)`` is
        checked with :meth:`Drillholes.from_tables` first).
    length_m : float
        Units: m along the hole. Composite length.
    grades : sequence of str, optional
        Interval columns to composite. Default: every grade column
        (:func:`raremin.analytes.find_analytes`: ``la_ppm``, ``cu_pct``, ``treo_pct``).
    zones : Deposit, Zone or iterable of Zone, optional
        Zones (prisms) in the CRS of the collars. Each interval goes to the zone
        holding its midpoint; composites never cross a change of zone.
    zone_column : str, optional
        Instead of `zones`, an interval column holding a domain label (lithology,
        weathering...); missing labels count as ``""``.
    residual : {"merge", "keep", "drop"}, default "merge"
        What to do with the last piece of a run when it is shorter than
        ``min_fraction * length_m`` (see Notes).
    min_fraction : float, default 0.5
        Shortest residual kept on its own, as a fraction of `length_m` (in [0, 1]).
    method : {"minimum_curvature", "tangential", "balanced_tangential"}
        Desurveying method for the midpoints (see :func:`desurvey`).
    coverage : bool, default False
        Add a ``<grade>_length_m`` column per grade: the length with a value of that
        grade (NaN grades are left out of the weighting).

    Returns
    -------
    pandas.DataFrame
        One row per composite, by hole and depth: ``hole_id``, ``from_m``, ``to_m``,
        ``length_m``, ``sampled_length_m`` (length covered by intervals; less than
        ``length_m`` across gaps), ``easting_m``, ``northing_m``, ``elevation_m``
        (midpoint, units: m), ``zone`` (or the `zone_column` name; only with zones) and
        the length-weighted grades (units: as the intervals), then the coverage columns.
        ``attrs`` holds ``composite_length_m``, ``residual``, ``min_fraction`` and
        ``dropped``: the residual pieces dropped, as a list of records (hole_id,
        from_m, to_m, length_m, sampled_length_m, zone, grades).

    Raises
    ------
    InputError
        Non-positive length, unknown residual rule, `min_fraction` outside [0, 1],
        unknown or non-numeric grade columns, both `zones` and `zone_column`.

    Warns
    -----
    DrillholeWarning
        With ``residual="drop"``, how many pieces and how much sampled length were
        dropped.

    Notes
    -----
    Intervals are sorted by hole and depth and cut into *runs*: consecutive intervals
    of one hole in the same zone. A run from :math:`a` (top of its first interval) to
    :math:`b` (bottom of its last) gets composites :math:`[a + kL, a + (k+1)L]` for
    :math:`k = 0 .. n-1`, :math:`n = \\lfloor (b - a)/L \\rfloor`, and a residual
    :math:`r = b - a - nL`. A residual of at least ``min_fraction * L`` is a composite
    of its own; a shorter one is, by `residual`:

    * ``"merge"``: added to the composite above (which becomes up to
      ``(1 + min_fraction) * L`` long); a run shorter than ``min_fraction * L`` has
      nothing to merge into and is kept whole;
    * ``"keep"``: kept as a short composite;
    * ``"drop"``: left out, reported in ``attrs["dropped"]`` and in a warning.

    Each composite grade is the length-weighted mean over the parts of the intervals
    inside it (an interval straddling a boundary is split by overlap length):

    .. math:: \\bar z_c = \\frac{\\sum_i \\ell_{ic} z_i}{\\sum_i \\ell_{ic}
              [z_i \\ne \\mathrm{NaN}]}, \\qquad
              \\ell_{ic} = \\max(0, \\min(t_i, e_c) - \\max(f_i, s_c)),

    so an interval with a NaN grade is left out of that grade's weighting only, and a
    composite with no value of a grade gets NaN. With ``"merge"`` and ``"keep"``
    nothing is lost: :math:`\\sum_c \\bar z_c \\sum_i \\ell_{ic} = \\sum_i z_i (t_i - f_i)`.
    Unsampled gaps count in ``length_m`` but not in ``sampled_length_m`` or the
    weights; a composite lying entirely in a gap holds no sample and is not returned.
    Compositing to a regular support is standard practice before variography and
    estimation (Sinclair and Blackwell, 2002, ch. 5; Rossi and Deutsch, 2014, ch. 5).

    References
    ----------
    Sinclair, A. J., and Blackwell, G. H. (2002). *Applied Mineral Inventory
    Estimation*. Cambridge University Press.

    Rossi, M. E., and Deutsch, C. V. (2014). *Mineral Resource Estimation*. Springer.

    Examples
    --------
    Intervals of 2, 3 and 5 m composited to 4 m: the 3 m interval straddles the
    boundary at 4 m, and the 2 m residual (half of 4 m) is kept.

    >>> import pandas as pd
    >>> from raremin.drillholes import Drillholes, composite
    >>> holes = Drillholes.from_tables(
    ...     pd.DataFrame({"hole_id": ["A"], "easting_m": [0.0], "northing_m": [0.0],
    ...                   "elevation_m": [100.0], "length_m": [10.0]}),
    ...     pd.DataFrame({"hole_id": ["A"], "depth_m": [0.0], "azimuth_deg": [0.0],
    ...                   "dip_deg": [-90.0]}),
    ...     pd.DataFrame({"hole_id": ["A"] * 3, "from_m": [0.0, 2.0, 5.0],
    ...                   "to_m": [2.0, 5.0, 10.0], "ce_ppm": [100.0, 400.0, 200.0]}))
    >>> composite(holes, 4.0)[["from_m", "to_m", "elevation_m", "ce_ppm"]]
       from_m  to_m  elevation_m  ce_ppm
    0     0.0   4.0         98.0   250.0
    1     4.0   8.0         94.0   250.0
    2     8.0  10.0         91.0   200.0
    """
    holes = _as_drillholes(drillholes)
    L = float(check_positive(length_m, "composite length_m", "metres along the hole"))
    _check_choice(residual, RESIDUAL_RULES, "residual rule")
    min_fraction = float(check_finite(min_fraction, "min_fraction"))
    if not 0.0 <= min_fraction <= 1.0:
        raise InputError(f"min_fraction must be in [0, 1]; got {min_fraction}")
    if zones is not None and zone_column is not None:
        raise InputError("give zones= (geometry) or zone_column= (a label column), not both")
    iv = holes.intervals
    code = holes._codes(iv["hole_id"], "intervals")
    frm = iv["from_m"].to_numpy(dtype=float)
    to = iv["to_m"].to_numpy(dtype=float)
    order = np.lexsort((frm, code))
    code, frm, to = code[order], frm[order], to[order]
    names = list(_grade_like_columns(iv.columns)) if grades is None else list(grades)
    missing = [g for g in names if g not in iv.columns]
    if missing:
        raise InputError(f"grade column(s) {missing} are not in the intervals; they have "
                         f"{list(iv.columns)}")
    values = {g: _numeric(iv[g], f"intervals column {g!r}")[order] for g in names}

    zone_name = None
    labels = np.full(frm.size, "", dtype=object)
    if zones is not None:
        zone_name = "zone"
        ids = holes.collars["hole_id"].to_numpy()[code]
        labels = _zone_labels(_desurvey_points(holes, ids, 0.5 * (frm + to), method,
                                               codes=code), zones)
    elif zone_column is not None:
        if zone_column not in iv.columns:
            raise InputError(f"zone_column {zone_column!r} is not in the intervals; they "
                             f"have {list(iv.columns)}")
        zone_name = zone_column
        column = iv[zone_column].iloc[order]
        labels = np.where(column.isna(), "", column.astype(str)).astype(object)

    # Runs: consecutive intervals of one hole in one zone.
    n = frm.size
    new = np.ones(n, dtype=bool)
    new[1:] = (code[1:] != code[:-1]) | (labels[1:] != labels[:-1])
    run = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, n - 1).astype(np.int64) if n else first
    a, b = frm[first], to[last]
    n_full = np.floor((b - a) / L + 1e-9).astype(np.int64)
    rest = b - a - n_full * L
    has_rest = rest > _TOL_M
    short = has_rest & (rest < min_fraction * L - _TOL_M)
    if residual == "merge":
        merged = short & (n_full > 0)
        pieces = n_full + (has_rest & ~merged)
        dropped_run = np.zeros_like(short)
    else:
        pieces = n_full + has_rest
        dropped_run = short if residual == "drop" else np.zeros_like(short)

    # Composites: `pieces` per run, from the run top every L m; the last one ends at b.
    crun = np.repeat(np.arange(first.size), pieces)
    start = np.cumsum(pieces) - pieces
    k = np.arange(crun.size) - start[crun]
    c_from = a[crun] + k * L
    c_to = np.minimum(a[crun] + (k + 1) * L, b[crun])
    c_to[k == pieces[crun] - 1] = b[crun][k == pieces[crun] - 1]
    c_drop = dropped_run[crun] & (k == pieces[crun] - 1)

    # Pairs (interval, composite) that may overlap: candidates from index arithmetic,
    # one spare on each side, then the exact overlap length.
    rk = run
    top = np.clip(np.floor((frm - a[rk]) / L).astype(np.int64) - 1, 0, None)
    bot = np.minimum(np.floor((to - a[rk]) / L).astype(np.int64) + 1, pieces[rk] - 1)
    count = np.where(pieces[rk] > 0, bot - top + 1, 0).clip(0)
    pi = np.repeat(np.arange(n), count)
    pc = start[rk[pi]] + top[pi] + (np.arange(pi.size) - np.repeat(np.cumsum(count) - count,
                                                                   count))
    overlap = np.minimum(to[pi], c_to[pc]) - np.maximum(frm[pi], c_from[pc])
    useful = overlap > 0
    pi, pc, overlap = pi[useful], pc[useful], overlap[useful]
    m = crun.size
    sampled = np.bincount(pc, weights=overlap, minlength=m)

    out = pd.DataFrame({
        "hole_id": holes.collars["hole_id"].to_numpy()[code[first][crun]],
        "from_m": c_from, "to_m": c_to, "length_m": c_to - c_from,
        "sampled_length_m": sampled,
    })
    if zone_name is not None:
        out[zone_name] = labels[first][crun]
    covered = {}
    for g, z in values.items():
        zi = z[pi]
        ok = ~np.isnan(zi)
        weight = np.bincount(pc, weights=np.where(ok, overlap, 0.0), minlength=m)
        total = np.bincount(pc, weights=np.where(ok, overlap * np.where(ok, zi, 0.0), 0.0),
                            minlength=m)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[g] = np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), np.nan)
        covered[f"{g}_length_m"] = weight
    if coverage:
        for key, weight in covered.items():
            out[key] = weight
    keep = (sampled > 0) & ~c_drop
    dropped = out[c_drop & (sampled > 0)]
    out = out[keep].reset_index(drop=True)
    mid = 0.5 * (out["from_m"].to_numpy() + out["to_m"].to_numpy())
    xyz = _desurvey_points(holes, out["hole_id"], mid, method,
                           codes=code[first][crun][keep])
    for j, name in enumerate(_XYZ):
        out.insert(5 + j, name, xyz[:, j])
    out.attrs.update(composite_length_m=L, residual=residual, min_fraction=min_fraction,
                     dropped=dropped.to_dict("records"))
    if len(dropped):
        warnings.warn(
            f"{len(dropped)} residual piece(s) shorter than {_fmt(min_fraction * L)} m "
            f"dropped ({_fmt(dropped['sampled_length_m'].sum())} m of sampled length out of "
            f"{_fmt(sampled.sum())} m); they are listed in attrs['dropped']",
            DrillholeWarning, stacklevel=2)
    return out


# -------------------------------------------------------------------------- top-cut
def _sample_weights(n: int, weights: Any, lengths: Any) -> np.ndarray:
    w = np.ones(n)
    if weights is not None:
        w = w * check_weights(np.ravel(np.asarray(weights, dtype=float)), n, "weights")
    if lengths is not None:
        w = w * check_weights(np.ravel(np.asarray(lengths, dtype=float)), n, "lengths")
    return w


def _checked_values(values: Any, unit: str | None) -> np.ndarray:
    """Values as a 1-D float array; negative (and, with a unit, over 100 %) raises."""
    z = np.ravel(np.asarray(values, dtype=float))
    if unit is not None:
        return check_grades(z, unit, name="values", allow_nan=True)
    # Without a unit only the sign is checked (same message as check_grades).
    with np.errstate(invalid="ignore"):
        check_grades(np.where(z < 0, z, 0.0), "ppm", name="values", allow_nan=True)
    return z


def _inverted_cdf(z: np.ndarray, w: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Weighted quantiles: the smallest value whose weight share at or below it is >= q."""
    order = np.argsort(z, kind="stable")
    zs = z[order]
    cdf = np.cumsum(w[order])
    cdf = cdf / cdf[-1]
    idx = np.searchsorted(cdf, q, side="left")
    return zs[np.clip(idx, 0, zs.size - 1)]


def _unit_of(values: Any, unit: str | None) -> str:
    if unit is not None:
        return grade_unit(unit)
    name = getattr(values, "name", None)
    found = _grade_like_columns([name]) if isinstance(name, str) else {}
    if not found:
        raise InputError(f"unit is needed (e.g. unit='ppm'): it cannot be read from the "
                         f"values' name {name!r}")
    return found[name]


def topcut_analysis(
    values: Any,
    *,
    weights: ArrayLike | None = None,
    caps: Any = None,
    percentiles: Sequence[float] = (90, 95, 97.5, 99, 99.5, 99.9),
    unit: str | None = None,
    lengths: ArrayLike | None = None,
) -> pd.DataFrame:
    """
    Effect of candidate top-cuts (grade caps) on the mean, the CV and the metal.

    Parameters
    ----------
    values : array_like or pandas.Series
        Grades (composites or samples), >= 0 and at most 100 %. NaN values are left
        out (with a warning).
    weights : array_like, optional
        Declustering weights, >= 0, one per value.
    caps : array_like, optional
        Candidate caps, in the unit of `values`. When given, `percentiles` is ignored.
    percentiles : sequence of float, default (90, 95, 97.5, 99, 99.5, 99.9)
        Candidate caps as weighted percentiles of the values, in [0, 100].
    unit : str, optional
        Grade unit of `values` (``"ppm"``, ``"%"``...); read from the name of a Series
        such as ``la_ppm`` when not given. Names the columns and bounds the grades.
    lengths : array_like, optional
        Units: m. Sample lengths, >= 0, one per value; they multiply `weights`.

    Returns
    -------
    pandas.DataFrame
        One row per candidate cap: ``percentile`` (the weighted share of values at or
        below the cap, in %), ``cap_<unit>``, ``n_capped`` (values above the cap),
        ``mean_before_<unit>``, ``mean_after_<unit>``, ``cv_before``, ``cv_after`` and
        ``metal_removed_frac`` (share of the metal removed by the cap).

    Raises
    ------
    InputError
        Negative grades or grades over 100 %, bad weights or lengths, negative or NaN
        caps, percentiles outside [0, 100], no value left.

    Notes
    -----
    With the sample weights :math:`w_i` (lengths times declustering weights; 1 when
    not given), the weighted mean :math:`m = \\sum w_i z_i / \\sum w_i`, the
    coefficient of variation :math:`CV = s / m` with the weighted population variance
    :math:`s^2 = \\sum w_i (z_i - m)^2 / \\sum w_i`, and the share of metal removed by
    a cap :math:`c`

    .. math:: 1 - \\frac{\\sum w_i \\min(z_i, c)}{\\sum w_i z_i}.

    The cap for percentile :math:`p` is the weighted inverted-CDF quantile (definition 1
    of Hyndman and Fan, 1996): the smallest value :math:`z_{(k)}` with
    :math:`\\sum_{j \\le k} w_{(j)} \\ge (p / 100) \\sum w`, so a cap is always one of
    the values (this equals ``numpy.percentile(..., method="inverted_cdf",
    weights=w)``). A cap is usually chosen where the mean and the CV stop falling
    quickly, or from the log-probability plot (Parker, 1991; Rossi and Deutsch, 2014,
    ch. 2).

    References
    ----------
    Parker, H. M. (1991). Statistical treatment of outlier data in epithermal gold
    deposit reserve estimation. *Mathematical Geology*, 23(2), 175-199.

    Hyndman, R. J., and Fan, Y. (1996). Sample quantiles in statistical packages. *The
    American Statistician*, 50(4), 361-365.

    Rossi, M. E., and Deutsch, C. V. (2014). *Mineral Resource Estimation*. Springer.

    Examples
    --------
    >>> from raremin.drillholes import topcut_analysis
    >>> grades = [100.0, 200.0, 300.0, 400.0, 1000.0]
    >>> table = topcut_analysis(grades, caps=[400.0, 1000.0], unit="ppm")
    >>> table[["cap_ppm", "n_capped", "mean_after_ppm", "metal_removed_frac"]]
       cap_ppm  n_capped  mean_after_ppm  metal_removed_frac
    0    400.0         1           280.0                0.30
    1   1000.0         0           400.0                0.00
    >>> topcut_analysis(grades, percentiles=[80], unit="ppm")["cap_ppm"].tolist()
    [400.0]
    """
    unit = _unit_of(values, unit)
    z = _checked_values(values, unit)
    w = _sample_weights(z.size, weights, lengths)
    nan = np.isnan(z)
    if nan.any():
        warnings.warn(f"{int(nan.sum())} NaN value(s) left out of the top-cut analysis",
                      DrillholeWarning, stacklevel=2)
        z, w = z[~nan], w[~nan]
    if z.size == 0 or not w.sum() > 0:
        raise InputError("no value with a positive weight is left for the top-cut analysis")
    total = w.sum()
    if caps is not None:
        cut = np.atleast_1d(check_finite(caps, "caps")).astype(float).ravel()
        if (cut < 0).any():
            raise InputError(f"caps must be >= 0; got {cut[cut < 0][0]} {unit}")
        pct = 100.0 * (w[None, :] * (z[None, :] <= cut[:, None])).sum(axis=1) / total
    else:
        pct = np.atleast_1d(check_finite(percentiles, "percentiles")).astype(float).ravel()
        if ((pct < 0) | (pct > 100)).any():
            bad = pct[(pct < 0) | (pct > 100)][0]
            raise InputError(f"percentiles must be in [0, 100]; got {bad}")
        cut = _inverted_cdf(z, w, pct / 100.0)
    mean = np.sum(w * z) / total
    cv = np.sqrt(np.sum(w * (z - mean) ** 2) / total) / mean if mean > 0 else np.nan
    capped = np.minimum(z[None, :], cut[:, None])
    mean_after = (capped * w).sum(axis=1) / total
    var_after = (w * (capped - mean_after[:, None]) ** 2).sum(axis=1) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        cv_after = np.sqrt(var_after) / mean_after
        removed = 1.0 - mean_after / mean
    suffix = unit_suffix(unit)
    return pd.DataFrame({
        "percentile": pct,
        f"cap_{suffix}": cut,
        "n_capped": (z[None, :] > cut[:, None]).sum(axis=1),
        f"mean_before_{suffix}": np.full(cut.size, mean),
        f"mean_after_{suffix}": mean_after,
        "cv_before": np.full(cut.size, cv),
        "cv_after": cv_after,
        "metal_removed_frac": removed,
    })


def cap(values: Any, cap: float | None = None, percentile: float | None = None, *,
        weights: ArrayLike | None = None, lengths: ArrayLike | None = None,
        unit: str | None = None) -> Any:
    """
    Cap (top-cut) grades at a value or at a weighted percentile.

    Parameters
    ----------
    values : array_like or pandas.Series
        Grades, >= 0; NaN stays NaN.
    cap : float, optional
        The cap, in the unit of `values`, >= 0.
    percentile : float, optional
        The cap as a weighted percentile of the values (in [0, 100]; see
        :func:`topcut_analysis` for the definition). Give exactly one of `cap` and
        `percentile`.
    weights, lengths : array_like, optional
        Declustering weights and sample lengths (units: m) for `percentile`.
    unit : str, optional
        Grade unit of `values`; when given, grades over 100 % raise too.

    Returns
    -------
    numpy.ndarray or pandas.Series
        ``min(value, cap)``, with the type, index and name of a Series input.

    Raises
    ------
    InputError
        Neither or both of `cap` and `percentile`; a negative or NaN cap; a percentile
        outside [0, 100]; negative grades.

    Examples
    --------
    >>> from raremin.drillholes import cap
    >>> cap([100.0, 900.0, float("nan")], cap=500.0)
    array([100., 500.,  nan])
    >>> cap([1.0, 2.0, 3.0, 4.0], percentile=50)
    array([1., 2., 2., 2.])
    """
    if (cap is None) == (percentile is None):
        raise InputError("give exactly one of cap= (a grade) and percentile= (in [0, 100]); "
                         f"got cap={cap!r}, percentile={percentile!r}")
    z = _checked_values(values, unit)
    if cap is None:
        p = float(check_finite(percentile, "percentile"))
        if not 0 <= p <= 100:
            raise InputError(f"percentile must be in [0, 100]; got {p}")
        w = _sample_weights(z.size, weights, lengths)
        ok = ~np.isnan(z)
        if not ok.any():
            raise InputError("every value is NaN; a percentile cap needs values")
        level = float(_inverted_cdf(z[ok], w[ok], np.array([p / 100.0]))[0])
    else:
        level = float(check_finite(cap, "cap"))
        if level < 0:
            raise InputError(f"cap must be >= 0; got {level}")
    out = np.minimum(z, level)  # NaN stays NaN
    if isinstance(values, pd.Series):
        return pd.Series(out, index=values.index, name=values.name)
    return out
