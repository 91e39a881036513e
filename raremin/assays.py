"""
Assay values as laboratories write them: below-detection codes, text and missing codes.

A laboratory export holds more than numbers. A value under the detection limit is
written ``<0.01`` or coded as the negated limit (``-0.01``); a sample that was not
assayed is ``-99``, ``-9999``, ``NS`` or blank; a value over the upper limit of the
method is ``>10``. :func:`clean_assays` reads such columns value by value and returns
them as float64 with a :class:`AssayReport` that counts every replacement. It works per
*value*, never per row: a below-detection molybdenum code never touches the copper of
the same interval.

Which columns hold grades is the caller's decision (``columns``); nothing is guessed.

Examples
--------
>>> import pandas as pd
>>> from raremin.assays import clean_assays
>>> raw = pd.DataFrame({"cu_pct": [0.52, -0.001, -99.0, 1.2],
...                     "mo_pct": ["0.012", "<0.005", "NS", " 0.03 "]})
>>> clean, report = clean_assays(raw, ["cu_pct", "mo_pct"])
>>> clean["cu_pct"].tolist()
[0.52, 0.0005, nan, 1.2]
>>> clean["mo_pct"].tolist()
[0.012, 0.0025, nan, 0.03]
>>> report.total_adjusted
4
"""

from __future__ import annotations

import dataclasses
import logging
import numbers
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .units import GRADE_UNITS, grade_unit

__all__ = [
    "BELOW_DETECTION_POLICIES",
    "DEFAULT_BELOW_DETECTION_TEXT",
    "DEFAULT_MISSING_CODES",
    "DEFAULT_MISSING_TEXT",
    "OVER_RANGE_POLICIES",
    "REPORT_COLUMNS",
    "VALUE_KINDS",
    "AssayReport",
    "clean_assays",
]

logger = logging.getLogger(__name__)

#: What a below-detection value becomes, by policy name.
BELOW_DETECTION_POLICIES: dict[str, str] = {
    "half": "half the detection limit",
    "zero": "zero",
    "missing": "missing (NaN)",
    "limit": "the detection limit",
    "error": "an error",
}

#: What an over-range value (``">x"``) becomes, by policy name.
OVER_RANGE_POLICIES: dict[str, str] = {
    "limit": "the upper limit x (a lower bound of the grade)",
    "missing": "missing (NaN)",
    "error": "an error",
}

#: Negative numbers that mean "not assayed" rather than a detection limit.
DEFAULT_MISSING_CODES: tuple[float, ...] = (-99.0, -999.0, -9999.0, -99999.0)

#: Text meaning "no value" (compared stripped and upper-cased): blank, not sampled,
#: not available, insufficient sample (IS), listed not received (LNR), not received...
DEFAULT_MISSING_TEXT: tuple[str, ...] = (
    "", "NS", "N.S.", "NA", "N.A.", "N/A", "NAN", "-", "--", "IS", "LNR", "NR", "X",
    "NULL", "NONE",
)

#: Text meaning "below detection" with no limit stated (compared stripped, upper-cased).
DEFAULT_BELOW_DETECTION_TEXT: tuple[str, ...] = (
    "BDL", "BD", "BLD", "ND", "L.D.", "LD", "<DL", "<LD", "<LOD",
)

#: The kinds of raw value, in the order of the codes of :attr:`AssayReport.flags`.
VALUE_KINDS: tuple[str, ...] = (
    "number",
    "empty",
    "below_detection",
    "below_detection_unknown_limit",
    "missing_code",
    "missing_text",
    "over_range",
)
_NUM, _EMPTY, _BD, _BDU, _CODE, _TEXT, _OVER = range(len(VALUE_KINDS))

#: Columns of :attr:`AssayReport.table`.
REPORT_COLUMNS: tuple[str, ...] = (
    "analyte", "unit", "n_rows", "n_numeric", "n_empty", "n_below_detection",
    "n_below_detection_unknown_limit", "detection_limit_min", "detection_limit_max",
    "detection_limits", "n_missing_codes", "n_missing_text", "n_over_range", "n_adjusted",
    "n_missing", "rule",
)

#: How many distinct detection limits the report lists before it gives a range.
_LIMITS_SHOWN = 4
#: How many analytes a sentence of :meth:`AssayReport.describe` names.
_ANALYTES_SHOWN = 8
#: How many distinct unreadable texts an error message quotes.
_TEXTS_SHOWN = 5


# ---------------------------------------------------------------- the report


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class AssayReport:
    """
    What :func:`clean_assays` did to each analyte: counts of every kind of value.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per analyte, with columns :data:`REPORT_COLUMNS`:

        * ``analyte``, ``unit`` (from ``units``; ``""`` when not given);
        * ``n_rows``: values in the column;
        * ``n_numeric``: plain numbers, passed through unchanged;
        * ``n_empty``: values already missing on input (NaN, None), left missing;
        * ``n_below_detection``: negative codes, ``"<x"`` and below-detection text,
          of which ``n_below_detection_unknown_limit`` were text with no limit
          (``"BDL"``, ``"ND"``...);
        * ``detection_limit_min``, ``detection_limit_max`` (in the column's unit; NaN
          when none) and ``detection_limits``, the distinct limits seen as text;
        * ``n_missing_codes`` (``-99``...), ``n_missing_text`` (``"NS"``, ``""``...),
          ``n_over_range`` (``">x"``);
        * ``n_adjusted``: values replaced, the sum of the four counts above;
        * ``n_missing``: NaN in the cleaned column;
        * ``rule``: the replacement rules applied.

        Always ``n_rows = n_numeric + n_empty + n_adjusted``.
    policy : mapping
        The arguments of the call: ``below_detection``, ``over_range``,
        ``missing_codes``, ``missing_text``, ``below_detection_text``,
        ``detection_limits``.
    flags : pandas.DataFrame or None, optional
        The kind of every raw value: same index as the input, one categorical column
        per analyte with categories :data:`VALUE_KINDS`.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.assays import clean_assays
    >>> _, report = clean_assays(pd.DataFrame({"ag_ppm": [1.5, -0.5, "<0.2"]}), ["ag_ppm"])
    >>> report.to_frame()[["analyte", "n_numeric", "n_below_detection", "detection_limits"]]
      analyte  n_numeric  n_below_detection detection_limits
    0  ag_ppm          1                  2         0.2, 0.5
    >>> report.flags["ag_ppm"].tolist()
    ['number', 'below_detection', 'below_detection']
    """

    table: pd.DataFrame
    policy: Mapping[str, Any]
    flags: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.table, pd.DataFrame):
            raise InputError(f"table must be a DataFrame; got {type(self.table).__name__}")
        missing = [c for c in REPORT_COLUMNS if c not in self.table.columns]
        if missing:
            raise InputError(f"table lacks column(s) {missing}; need {list(REPORT_COLUMNS)}")
        object.__setattr__(self, "policy", dict(self.policy))

    @property
    def total_adjusted(self) -> int:
        """
        Number of values replaced in all analytes (below detection, codes, text, over range).

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.assays import clean_assays
        >>> raw = pd.DataFrame({"a_ppm": [-1.0, 2.0], "b_ppm": ["NS", "<5"]})
        >>> clean_assays(raw, ["a_ppm", "b_ppm"])[1].total_adjusted
        3
        """
        return int(self.table["n_adjusted"].sum())

    def to_frame(self) -> pd.DataFrame:
        """
        A copy of the per-analyte table.

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.assays import clean_assays
        >>> _, report = clean_assays(pd.DataFrame({"cu_pct": [0.3, -0.01]}), "cu_pct")
        >>> table = report.to_frame()
        >>> int(table.loc[0, "n_below_detection"]), float(table.loc[0, "detection_limit_max"])
        (1, 0.01)
        """
        return self.table.copy()

    def describe(self) -> str:
        """
        A few plain sentences on what was replaced, for a Markdown report.

        Returns
        -------
        str
            One sentence per kind of replacement, counts with thousands separators.

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.assays import clean_assays
        >>> raw = pd.DataFrame({"cu_pct": [0.5, -0.001, -99.0], "mo_pct": [-0.005, 0.01, 0.02]})
        >>> text = clean_assays(raw, ["cu_pct", "mo_pct"])[1].describe()
        >>> text.split(". ")[1]
        'Below detection: 2 values in 2 analytes set to half the detection limit (cu_pct 1, mo_pct 1)'
        """  # noqa: E501
        t = self.table
        bd_rule = BELOW_DETECTION_POLICIES[self.policy["below_detection"]]
        n_rows = int(t["n_rows"].max()) if len(t) else 0
        parts = [
            f"Assays cleaned value by value in {_plural(len(t), 'analyte')} over "
            f"{_plural(n_rows, 'row')}; no row was set aside."
        ]
        bd = _counts_sentence(t, "n_below_detection", "Below detection", f"set to {bd_rule}")
        unknown = int(t["n_below_detection_unknown_limit"].sum())
        if unknown:
            given = self.policy["detection_limits"]
            no_limit = t.loc[~t["analyte"].isin(list(given)), "n_below_detection_unknown_limit"]
            n_nan = int(no_limit.sum()) if self.policy["below_detection"] in ("half", "limit") \
                else 0
            bd = bd[:-1] + (
                f"; {_plural(unknown, 'value')} had no stated limit (below-detection text)"
                + (f", {n_nan:,} of them set to missing." if n_nan else ".")
            )
        parts.append(bd)
        parts.append(_counts_sentence(t, "n_missing_codes", "Missing codes", "set to missing"))
        parts.append(_counts_sentence(t, "n_missing_text", "Missing text", "set to missing"))
        over_rule = "kept at the upper limit (lower bounds)" \
            if self.policy["over_range"] == "limit" else "set to missing"
        parts.append(_counts_sentence(t, "n_over_range", "Over range", over_rule))
        return " ".join(parts)

    def __repr__(self) -> str:
        t = self.table
        return (
            f"AssayReport({len(t)} analyte(s), {self.total_adjusted:,} value(s) adjusted: "
            f"{int(t['n_below_detection'].sum()):,} below detection "
            f"({self.policy['below_detection']}), {int(t['n_missing_codes'].sum()):,} "
            f"missing code(s), {int(t['n_missing_text'].sum()):,} missing text, "
            f"{int(t['n_over_range'].sum()):,} over range ({self.policy['over_range']}))"
        )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _counts_sentence(table: pd.DataFrame, column: str, title: str, action: str) -> str:
    """``"<title>: N values in K analytes <action> (a 1, b 2)."`` or ``"<title>: 0 values."``"""
    total = int(table[column].sum())
    if not total:
        return f"{title}: 0 values."
    hit = table[table[column] > 0]
    named = [f"{a} {int(n):,}" for a, n in zip(hit["analyte"], hit[column], strict=True)]
    more = len(named) - _ANALYTES_SHOWN
    shown = ", ".join(named[:_ANALYTES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    return (
        f"{title}: {_plural(total, 'value')} in {_plural(len(hit), 'analyte')} {action} "
        f"({shown})."
    )


# ---------------------------------------------------------------- parameter checks


def _check_policy(value: Any, name: str, allowed: Mapping[str, str]) -> str:
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in allowed:
        options = ", ".join(f"{k!r} ({v})" for k, v in allowed.items())
        raise InputError(f"unknown {name} policy {value!r}; use one of {options}")
    return key


def _check_codes(codes: Any) -> tuple[float, ...]:
    if isinstance(codes, numbers.Real) and not isinstance(codes, bool):
        codes = (codes,)
    if isinstance(codes, (str, bytes)) or not isinstance(codes, Iterable):
        raise InputError(
            f"missing_codes must be a sequence of numbers such as (-99, -9999); got {codes!r}"
        )
    out = []
    for c in codes:
        if isinstance(c, bool) or not isinstance(c, numbers.Real) or not np.isfinite(float(c)):
            raise InputError(
                f"missing_codes must hold finite numbers such as -99; got {c!r} in {codes!r}"
            )
        out.append(float(c))
    return tuple(out)


def _check_texts(texts: Any, name: str) -> tuple[str, ...]:
    if isinstance(texts, (str, bytes)) or not isinstance(texts, Iterable):
        raise InputError(
            f"{name} must be a sequence of strings such as ('NS', 'N/A'); got {texts!r}"
        )
    out = []
    for t in texts:
        if not isinstance(t, str):
            raise InputError(f"{name} must hold strings; got {t!r} in {texts!r}")
        out.append(t.strip().upper())
    return tuple(dict.fromkeys(out))


def _check_columns(frame: Any, columns: Any) -> list[Any]:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    cols = [columns] if isinstance(columns, str) or not isinstance(columns, Iterable) \
        else list(columns)
    if not cols:
        raise InputError(
            "columns is empty; pass the assay columns to clean, e.g. ['Cu_pct', 'Au_ppm']"
        )
    repeated = list(dict.fromkeys(c for c in cols if cols.count(c) > 1))
    if repeated:
        raise InputError(f"columns lists {repeated} more than once; give each column once")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputError(
            f"assay column(s) {missing} not in the frame; columns present: {list(frame.columns)}"
        )
    doubled = [c for c in cols if int((frame.columns == c).sum()) > 1]
    if doubled:
        raise InputError(
            f"the frame has several columns named {doubled}; rename them so each is unique"
        )
    return cols


def _check_mapping(value: Any, name: str, cols: list[Any], what: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{name} must be a mapping of column to {what}; got {value!r}")
    unknown = [k for k in value if k not in cols]
    if unknown:
        raise InputError(
            f"{name} names column(s) {unknown} that are not in columns {cols}; "
            f"add them to columns or remove them from {name}"
        )
    return dict(value)


def _check_limits(value: Any, cols: list[Any]) -> dict[Any, float]:
    limits = _check_mapping(value, "detection_limits", cols, "detection limit")
    out = {}
    for col, dl in limits.items():
        ok = isinstance(dl, numbers.Real) and not isinstance(dl, bool) and np.isfinite(float(dl))
        if not ok or dl <= 0:
            raise InputError(
                f"detection_limits[{col!r}] must be a number > 0 in the column's unit; "
                f"got {dl!r}"
            )
        out[col] = float(dl)
    return out


# ---------------------------------------------------------------- parsing


def _where(frame: pd.DataFrame, pos: int) -> str:
    label = frame.index[pos]
    if isinstance(label, np.generic):
        label = label.item()
    return f"row {pos} (index label {label!r})"


def _raw(series: pd.Series, pos: int) -> str:
    value = series.iloc[pos]
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return repr(float(value))
    return repr(value.item() if isinstance(value, np.generic) else value)


def _parse(series: pd.Series, name: Any, frame: pd.DataFrame, codes: np.ndarray,
           missing_text: tuple[str, ...], bd_text: tuple[str, ...]) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """
    Classify every value of one column.

    Returns ``(x, kind)``: ``kind`` an int8 code of :data:`VALUE_KINDS` per value; ``x``
    the number for plain numbers, the detection limit for below-detection values (NaN
    when unknown), the upper limit for over-range values, NaN otherwise.
    """
    dtype = series.dtype
    n = len(series)
    kind = np.zeros(n, dtype=np.int8)
    if pd.api.types.is_bool_dtype(dtype) or not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    ):
        raise InputError(
            f"assay column {name!r} has dtype {dtype}, which cannot hold assay values; "
            f"pass numbers or text such as '<0.01'"
        )
    if pd.api.types.is_numeric_dtype(dtype):
        # fast path: a numeric column, no text to read
        x = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        empty = np.isnan(x)
        unread = np.isinf(x)
    else:
        empty = series.isna().to_numpy()
        values = series.astype(object) if isinstance(dtype, pd.CategoricalDtype) else series
        # numbers and numeric strings (surrounding spaces allowed) in one pandas pass
        x = pd.to_numeric(values, errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan, copy=True
        )
        if pd.api.types.is_object_dtype(values.dtype):
            # pandas reads True/False objects as 1/0: look at those candidates only
            cand = np.flatnonzero((x == 0) | (x == 1))
            if cand.size:
                is_bool = values.iloc[cand].map(type).isin([bool, np.bool_]).to_numpy()
                x[cand[is_bool]] = np.nan
        unread = ~np.isfinite(x) & ~empty
        x[unread] = np.nan
        if unread.any():
            rest = np.flatnonzero(unread)
            t = values.iloc[rest].astype("str").str.strip()
            again = pd.to_numeric(t, errors="coerce").to_numpy(  # after unicode strip
                dtype=np.float64, na_value=np.nan
            )
            num = np.isfinite(again)
            x[rest[num]] = again[num]
            up = t.str.upper()
            miss = up.isin(missing_text).to_numpy() & ~num
            bdt = up.isin(bd_text).to_numpy() & ~miss & ~num
            sign = t.str.slice(0, 1)
            bound = pd.to_numeric(t.str.slice(1).str.strip(), errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            good = np.isfinite(bound) & (bound > 0) & ~miss & ~bdt & ~num
            lt = good & (sign == "<").to_numpy()
            gt = good & (sign == ">").to_numpy()
            kind[rest[miss]] = _TEXT
            kind[rest[bdt]] = _BDU
            kind[rest[lt]] = _BD
            kind[rest[gt]] = _OVER
            x[rest[lt | gt]] = bound[lt | gt]
            unread[rest[num | miss | bdt | lt | gt]] = False
    if unread.any():
        bad = np.flatnonzero(unread)
        shown = list(dict.fromkeys(_raw(series, p) for p in bad[:200]))
        others = f" (also {', '.join(shown[1:_TEXTS_SHOWN])})" if len(shown) > 1 else ""
        raise InputError(
            f"assay column {name!r} has {bad.size:,} unreadable value(s): {shown[0]} at "
            f"{_where(frame, int(bad[0]))}{others}; a value must be a number, '<' or '>' "
            f"followed by a number, below-detection text {list(bd_text)} or missing text "
            f"{list(missing_text)}: correct the file, or add the text to missing_text (if it "
            f"means not assayed) or to below_detection_text (if it means below detection)"
        )
    numeric = kind == _NUM
    code = numeric & np.isin(x, codes)
    negative = numeric & ~code & (x < 0)
    kind[empty] = _EMPTY
    kind[code] = _CODE
    kind[negative] = _BD
    x[negative] = -x[negative]
    x[code] = np.nan
    return x, kind


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _limits_text(limits: np.ndarray) -> str:
    if limits.size == 0:
        return ""
    if limits.size <= _LIMITS_SHOWN:
        return ", ".join(f"{v:g}" for v in limits)
    return f"{limits[0]:g} to {limits[-1]:g} ({limits.size} distinct)"


# ---------------------------------------------------------------- the function


def clean_assays(
    frame: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    below_detection: str = "half",
    missing_codes: Iterable[float] = DEFAULT_MISSING_CODES,
    missing_text: Iterable[str] = DEFAULT_MISSING_TEXT,
    below_detection_text: Iterable[str] = DEFAULT_BELOW_DETECTION_TEXT,
    over_range: str = "limit",
    detection_limits: Mapping[str, float] | None = None,
    units: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, AssayReport]:
    """
    Read assay columns value by value: numbers, below-detection codes, text, missing codes.

    Every value of each column in ``columns`` is classified and replaced by one rule;
    one analyte's code never changes another analyte of the same row, and no row is
    removed. The other columns of ``frame`` are returned unchanged.

    ======================================  ==========================  ===================
    raw value                               kind                        becomes
    ======================================  ==========================  ===================
    ``0.52``, ``" 12.5 "``, ``"1e-3"``       number                      unchanged
    NaN, None                               empty                       NaN (not counted
                                                                        as adjusted)
    ``-99`` (in ``missing_codes``)          missing code                NaN
    ``-0.005``, ``"<0.005"``, ``"< 5"``     below detection (limit      ``below_detection``
                                            0.005, 5)                   policy
    ``"BDL"``, ``"ND"`` (in                 below detection, limit      ``below_detection``
    ``below_detection_text``)               unknown                     policy (see below)
    ``"NS"``, ``"N/A"``, ``""`` (in         missing text                NaN
    ``missing_text``)
    ``">10"``                               over range (limit 10)       ``over_range``
                                                                        policy
    anything else (``"abc"``, ``"12..5"``)  unreadable                  InputError
    ======================================  ==========================  ===================

    Parameters
    ----------
    frame : pandas.DataFrame
        The assay table, one row per interval or sample, e.g. from ``pd.read_csv``.
    columns : str or sequence of str
        The assay (grade) columns to clean; the caller decides which columns are grades.
    below_detection : {"half", "zero", "missing", "limit", "error"}, default "half"
        What a below-detection value becomes: half its detection limit, zero, NaN, the
        detection limit itself, or an :class:`~raremin.errors.InputError`. Values
        without a stated limit (``"BDL"``...) become 0 under ``"zero"``, NaN under
        ``"missing"``, and under ``"half"`` and ``"limit"`` half the limit or the limit
        given in ``detection_limits`` for their column, else NaN (with a warning).
    missing_codes : sequence of float, default (-99, -999, -9999, -99999)
        Numbers meaning "not assayed"; they become NaN and are not read as detection
        limits. Pass ``()`` to read every negative number as a detection limit.
    missing_text : sequence of str, default :data:`DEFAULT_MISSING_TEXT`
        Text meaning "no value", compared stripped and case-insensitively.
    below_detection_text : sequence of str, default :data:`DEFAULT_BELOW_DETECTION_TEXT`
        Text meaning "below detection" with no limit written, compared stripped and
        case-insensitively. Must not overlap ``missing_text``.
    over_range : {"limit", "missing", "error"}, default "limit"
        What ``">x"`` becomes: ``x`` (a lower bound of the true grade: a warning says
        so), NaN (also with a warning), or an InputError.
    detection_limits : mapping of str to float, optional
        Detection limit per column (in the column's unit) for below-detection text
        that states none. Units: those of each column.
    units : mapping of str to str, optional
        Grade unit per column (``"ppm"``, ``"pct"``, ``"g/t"``...; see
        :func:`raremin.units.grade_unit`). When given, a cleaned value over 100 % in
        that unit raises InputError. Reported in the table.

    Returns
    -------
    cleaned : pandas.DataFrame
        A copy of ``frame`` with ``columns`` as float64 (same index, same column order).
    report : AssayReport
        Counts per analyte, the detection limits seen, the policy, and the kind of every
        raw value (:attr:`AssayReport.flags`).

    Raises
    ------
    InputError
        For a column not in the frame (the message lists those present), an unknown
        policy (it names the allowed ones), an unreadable value, a below-detection value
        under ``below_detection="error"``, an over-range value under
        ``over_range="error"``, or a value over 100 % of its unit. Each message names
        the column, the row (position and index label), the raw value and the fix.
    UnitError
        For an unknown unit in ``units``.

    Warns
    -----
    UserWarning
        When over-range values are present (unless ``over_range="error"``), and when
        below-detection text without a limit becomes NaN.

    See Also
    --------
    raremin.drillholes.Drillholes.from_tables : which sets aside rows with negative grades;
        clean the assay columns first.

    Notes
    -----
    Replacing a below-detection value by half its detection limit is the common
    convention of resource work; it is a substitution, not an estimate, and biases
    statistics of heavily censored analytes (Helsel, 2012, ch. 1). The report gives the
    counts and limits so that the effect can be judged: an analyte with most of its values
    below detection should not be estimated from substituted values.

    A value is classified in this order: empty on input; a finite number (numeric strings
    included; then ``missing_codes``, then negative numbers as detection limits
    :math:`|x|`); missing text; below-detection text; ``"<x"`` / ``">x"`` with
    :math:`x > 0`; anything else is unreadable. Numeric columns skip the text steps and
    run on whole arrays; text columns use pandas string methods on the whole column.

    References
    ----------
    Helsel, D. R. (2012). *Statistics for Censored Environmental Data Using Minitab and
    R*, 2nd ed. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.assays import clean_assays
    >>> raw = pd.DataFrame({"au_ppm": ["1.2", "<0.01", "-9999", "IS"],
    ...                     "ag_ppm": [3.0, -0.5, 12.0, -1.0]})
    >>> clean, report = clean_assays(raw, ["au_ppm", "ag_ppm"], below_detection="zero")
    >>> clean
       au_ppm  ag_ppm
    0     1.2     3.0
    1     0.0     0.0
    2     NaN    12.0
    3     NaN     0.0
    >>> report.to_frame()[["analyte", "n_below_detection", "n_missing_codes",
    ...                    "n_missing_text"]]
      analyte  n_below_detection  n_missing_codes  n_missing_text
    0  au_ppm                  1                1               1
    1  ag_ppm                  2                0               0
    """
    cols = _check_columns(frame, columns)
    bd_policy = _check_policy(below_detection, "below_detection", BELOW_DETECTION_POLICIES)
    over_policy = _check_policy(over_range, "over_range", OVER_RANGE_POLICIES)
    codes = _check_codes(missing_codes)
    miss_text = _check_texts(missing_text, "missing_text")
    bd_text = _check_texts(below_detection_text, "below_detection_text")
    both = [t for t in bd_text if t in miss_text]
    if both:
        raise InputError(
            f"{both} are in both missing_text and below_detection_text; a text means "
            f"either 'not assayed' or 'below detection': remove it from one of them"
        )
    limits = _check_limits(detection_limits, cols)
    unit_of = {c: grade_unit(u) for c, u in _check_mapping(units, "units", cols, "unit").items()}
    code_arr = np.asarray(codes, dtype=np.float64)

    out = frame.copy()
    rows, flag_codes, over_cols, nan_bdu = [], {}, [], []
    for col in cols:
        series = frame[col]
        x, kind = _parse(series, col, frame, code_arr, miss_text, bd_text)
        bd = (kind == _BD) | (kind == _BDU)
        over = kind == _OVER
        if bd_policy == "error" and bd.any():
            pos = _first(bd)
            raise InputError(
                f"assay column {col!r} has {int(bd.sum()):,} below-detection value(s) "
                f"(first: {_raw(series, pos)} at {_where(frame, pos)}) and "
                f"below_detection='error'; choose below_detection='half' (half the "
                f"detection limit), 'zero', 'missing' (NaN) or 'limit' (the detection "
                f"limit), or correct the values"
            )
        if over_policy == "error" and over.any():
            pos = _first(over)
            raise InputError(
                f"assay column {col!r} has {int(over.sum()):,} over-range value(s) (first: "
                f"{_raw(series, pos)} at {_where(frame, pos)}) and over_range='error'; "
                f"re-assay with an ore-grade method, or choose over_range='limit' (keep the "
                f"limit, a lower bound) or 'missing' (NaN)"
            )
        bdu = kind == _BDU
        if col in limits:
            x[bdu] = limits[col]
        value = np.where(kind == _NUM, x, np.nan)
        if bd_policy == "half":
            value[bd] = 0.5 * x[bd]
        elif bd_policy == "limit":
            value[bd] = x[bd]
        elif bd_policy == "zero":
            value[bd] = 0.0
        if over_policy == "limit":
            value[over] = x[over]
        if bd_policy in ("half", "limit") and bdu.any() and col not in limits:
            nan_bdu.append(f"{col} ({int(bdu.sum()):,})")
        if over.any():
            over_cols.append(f"{col} ({int(over.sum()):,})")

        if col in unit_of:
            full = float(GRADE_UNITS["fraction"] / GRADE_UNITS[unit_of[col]])
            high = value > full
            if high.any():
                pos = _first(high)
                raise InputError(
                    f"assay column {col!r} has {int(high.sum()):,} value(s) over 100 % "
                    f"(first: {value[pos]:g} {unit_of[col]} from raw value "
                    f"{_raw(series, pos)} at {_where(frame, pos)}; 100 % is {full:g} "
                    f"{unit_of[col]}): check the unit or the value"
                )

        out[col] = value
        flag_codes[col] = kind
        counts = np.bincount(kind, minlength=len(VALUE_KINDS))
        seen = np.unique(x[bd & np.isfinite(x)])
        n_adjusted = len(kind) - int(counts[_NUM]) - int(counts[_EMPTY])
        rows.append({
            "analyte": col,
            "unit": unit_of.get(col, ""),
            "n_rows": len(kind),
            "n_numeric": int(counts[_NUM]),
            "n_empty": int(counts[_EMPTY]),
            "n_below_detection": int(counts[_BD] + counts[_BDU]),
            "n_below_detection_unknown_limit": int(counts[_BDU]),
            "detection_limit_min": float(seen[0]) if seen.size else np.nan,
            "detection_limit_max": float(seen[-1]) if seen.size else np.nan,
            "detection_limits": _limits_text(seen),
            "n_missing_codes": int(counts[_CODE]),
            "n_missing_text": int(counts[_TEXT]),
            "n_over_range": int(counts[_OVER]),
            "n_adjusted": n_adjusted,
            "n_missing": int(np.isnan(value).sum()),
            "rule": f"below detection -> {BELOW_DETECTION_POLICIES[bd_policy]}; over range "
                    f"-> {OVER_RANGE_POLICIES[over_policy]}; codes and missing text -> NaN",
        })

    if over_cols:
        action = "kept at the upper limit of the method, a lower bound of the true grade" \
            if over_policy == "limit" else "set to missing"
        warnings.warn(
            f"over-range values ('>x') in {', '.join(over_cols)} were {action}: grades and "
            f"contained metal are biased low; re-assay them with an ore-grade method",
            UserWarning, stacklevel=2,
        )
    if nan_bdu:
        warnings.warn(
            f"below-detection text with no stated limit in {', '.join(nan_bdu)} was set to "
            f"missing because below_detection={bd_policy!r} needs a limit; pass "
            f"detection_limits={{column: limit}} to use it, or below_detection='zero'",
            UserWarning, stacklevel=2,
        )

    table = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    categories = pd.Index(VALUE_KINDS)
    flags = pd.DataFrame(
        {c: pd.Categorical.from_codes(k, categories=categories) for c, k in flag_codes.items()},
        index=frame.index,
    )
    policy = {
        "below_detection": bd_policy,
        "over_range": over_policy,
        "missing_codes": codes,
        "missing_text": miss_text,
        "below_detection_text": bd_text,
        "detection_limits": limits,
    }
    report = AssayReport(table, policy, flags)
    logger.info(
        "clean_assays: %d analyte(s), %d row(s): %d below detection (%s), %d missing code(s), "
        "%d missing text, %d over range (%s), %d empty on input",
        len(cols), len(frame), int(table["n_below_detection"].sum()), bd_policy,
        int(table["n_missing_codes"].sum()), int(table["n_missing_text"].sum()),
        int(table["n_over_range"].sum()), over_policy, int(table["n_empty"].sum()),
    )
    return out, report
