"""
Reading drillhole exports as they come: delimiters, odd headers, feet, hole ids, dips.

:class:`~raremin.drillholes.Drillholes` wants tables with raremin's column names and
conventions (metres, dip negative downwards, one collar per hole). Real exports differ
in many small ways; this module closes the gap in three steps, and counts every change
it makes:

1. :func:`read_table` reads one delimited text file: UTF-8 with or without a byte-order
   mark (UTF-16 with a mark, latin-1 as a reported fallback), the delimiter sniffed among
   ``,`` ``;`` tab and ``|``, a decimal comma detected, whitespace stripped from the
   header. Hole-id columns stay text (``"007"`` keeps its zeros); other columns become
   numbers when every value is one, else stay text as written. What was used is in
   ``frame.attrs["raremin_read"]``.
2. :func:`map_columns` renames the columns of one table to raremin's names, from an
   explicit mapping or from case-insensitive aliases (``x``, ``East``, ``From (m)``,
   ``depth_ft``...), and records the unit a header names.
3. :func:`prepare_drillholes` maps the three tables, converts feet to metres, normalises
   hole ids, removes exact duplicates, derives missing hole lengths, fixes the dip sign
   convention, sets aside duplicated holes, then calls
   :meth:`Drillholes.from_tables <raremin.drillholes.Drillholes.from_tables>`. It returns
   the drillholes and an :class:`ImportReport` listing every step with its count.

:func:`read_drillholes` does all of it from three file paths. Grade values are not
cleaned here: text such as ``"<0.01"`` stays text and negative below-detection codes
stay negative; clean them (``raremin.assays``) before :func:`prepare_drillholes`, which
needs numeric grades.

Examples
--------
>>> import warnings
>>> import pandas as pd
>>> from raremin.readers import prepare_drillholes
>>> collars = pd.DataFrame({"HoleID": [12, 13], "X": [500.0, 600.0], "Y": [0.0, 0.0],
...                         "RL": [100.0, 100.0]})
>>> surveys = pd.DataFrame({"hole": ["12", "13"], "Depth": [0.0, 0.0],
...                         "Azi": [0.0, 90.0], "Dip": [90.0, 60.0]})
>>> assays = pd.DataFrame({"hole": ["12", "12", "12", "13"],
...                        "From": [0.0, 2.0, 2.0, 0.0], "To": [2.0, 4.0, 4.0, 3.0],
...                        "la_ppm": [300.0, 500.0, 500.0, 200.0]})
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     holes, report = prepare_drillholes(collars, surveys, assays)
>>> holes
Drillholes(2 hole(s), 2 survey station(s), 3 interval(s); 0 problem(s))
>>> holes.collars["length_m"].tolist(), holes.surveys["dip_deg"].tolist()
([4.0, 3.0], [-90.0, -60.0])
>>> report.count("duplicate_rows_removed"), report.count("dips_flipped")
(1, 2)
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import html
import io
import logging
import math
import numbers
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .drillholes import DrillholeError, Drillholes, DrillholeWarning, ValidationReport
from .errors import InputError
from .units import FOOT_M

__all__ = [
    "ALIASES",
    "COORDINATE_UNITS",
    "DIP_CONVENTIONS",
    "DELIMITERS",
    "FOOT_M",
    "US_SURVEY_FOOT_M",
    "ImportReport",
    "TableReadWarning",
    "map_columns",
    "prepare_drillholes",
    "read_drillholes",
    "read_table",
]

logger = logging.getLogger(__name__)

#: Units: m. The US survey foot, 1200/3937 m (some US State Plane coordinates).
US_SURVEY_FOOT_M: float = 1200.0 / 3937.0
#: Delimiters :func:`read_table` sniffs, in order of preference on a tie.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")

_HOLE = ("hole_id", "holeid", "hole", "bhid", "dhid", "hole_name", "holename",
         "hole_number", "holenumber", "hole_no", "holeno", "drillhole", "drillhole_id",
         "borehole", "borehole_id")

#: Header aliases per table and raremin column, compared with the header lower-cased,
#: every run of other characters than letters and digits replaced by ``_`` and a unit
#: suffix (``_m``, ``_ft``, ``(m)``, ``[ft]``, ``_deg``...) removed.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "collars": {
        "hole_id": _HOLE,
        "easting_m": ("easting_m", "x", "east", "easting", "xcollar", "x_collar", "collar_x",
                      "east_m", "mga_east", "mga_easting", "utm_east", "utm_easting",
                      "utm_e", "local_east", "local_x"),
        "northing_m": ("northing_m", "y", "north", "northing", "ycollar", "y_collar",
                       "collar_y", "north_m", "mga_north", "mga_northing", "utm_north",
                       "utm_northing", "utm_n", "local_north", "local_y"),
        "elevation_m": ("elevation_m", "z", "rl", "elev", "elevation", "zcollar", "z_collar",
                        "collar_z", "collar_rl", "collar_elevation", "altitude", "rl_m"),
        "length_m": ("length_m", "length", "depth", "max_depth", "maxdepth", "eoh",
                     "total_depth", "totaldepth", "td", "final_depth", "hole_length",
                     "hole_depth", "end_depth", "eoh_depth"),
    },
    "surveys": {
        "hole_id": _HOLE,
        "depth_m": ("depth_m", "depth", "at", "md", "distance", "survey_depth",
                    "surveydepth", "measured_depth", "survey_at"),
        "azimuth_deg": ("azimuth_deg", "azimuth", "azi", "azim", "az", "brg", "bearing"),
        "dip_deg": ("dip_deg", "dip", "inclination", "incl", "inc"),
    },
    "intervals": {
        "hole_id": _HOLE,
        "from_m": ("from_m", "from", "depth_from", "mfrom", "start", "from_depth",
                   "sample_from", "depthfrom", "fromdepth", "m_from"),
        "to_m": ("to_m", "to", "depth_to", "mto", "end", "to_depth", "sample_to", "depthto",
                 "todepth", "m_to"),
    },
}
# A table of samples (composites, grid or surface samples) with their own coordinates.
ALIASES["samples"] = {
    "hole_id": _HOLE,
    "easting_m": ALIASES["collars"]["easting_m"] + ("mid_x", "xm", "x_mid"),
    "northing_m": ALIASES["collars"]["northing_m"] + ("mid_y", "ym", "y_mid"),
    "elevation_m": ALIASES["collars"]["elevation_m"] + ("mid_z", "zm", "z_mid"),
    "from_m": ALIASES["intervals"]["from_m"],
    "to_m": ALIASES["intervals"]["to_m"],
    "zone": ("zone", "domain", "zone_name", "domain_name", "zone_code", "domain_code"),
}
_REQUIRED = {
    "samples": ("easting_m", "northing_m", "elevation_m"),
    "collars": ("hole_id", "easting_m", "northing_m", "elevation_m"),
    "surveys": ("hole_id", "depth_m", "azimuth_deg", "dip_deg"),
    "intervals": ("hole_id", "from_m", "to_m"),
}
_TABLES = ("collars", "surveys", "intervals")
_KINDS = {"collars": "collars", "surveys": "surveys", "intervals": "intervals",
          "assays": "intervals", "samples": "samples"}
_LENGTHS = {"length_m", "depth_m", "from_m", "to_m"}
_COORDS = ("easting_m", "northing_m", "elevation_m")
_ANGLES = {"azimuth_deg", "dip_deg"}
_NUMERIC = {"collars": ("easting_m", "northing_m", "elevation_m", "length_m"),
            "surveys": ("depth_m", "azimuth_deg", "dip_deg"),
            "intervals": ("from_m", "to_m")}
_UNIT_WORDS = {"m": "m", "metre": "m", "metres": "m", "meter": "m", "meters": "m",
               "mts": "m", "ft": "ft", "feet": "ft", "foot": "ft", "deg": "deg",
               "degree": "deg", "degrees": "deg"}
_UNIT_SUFFIX = re.compile(r"^(.+?)_(" + "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
                          + r")$")
_NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a"})
_COMMA_NUMBER = r"[+-]?\d*,\d+"
_DOT_NUMBER = r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?"
_INT_AS_FLOAT = re.compile(r"^([+-]?\d+)\.0+$")
#: How survey dips may be signed (see :func:`prepare_drillholes`).
DIP_CONVENTIONS = ("auto", "negative_down", "positive_down", "from_vertical")
#: Coordinate units and their size in metres.
COORDINATE_UNITS = {"m": 1.0, "ft": FOOT_M, "us_ft": US_SURVEY_FOOT_M}
_SAMPLE_LINES = 200
_SHOWN = 5
#: Units: m. Depths closer than this are equal (as in raremin.drillholes).
_TOL_M = 1e-6
#: Columns of :meth:`ImportReport.to_frame`.
_STEP_COLUMNS = ("step", "table", "count", "detail")


class TableReadWarning(UserWarning):
    """
    A file was read with a fallback (latin-1 instead of UTF-8) or needs a second look.

    Examples
    --------
    >>> from raremin.readers import TableReadWarning
    >>> issubclass(TableReadWarning, UserWarning)
    True
    """


# ------------------------------------------------------------------------ helpers
def _first(values: Sequence[Any], n: int = _SHOWN) -> str:
    """The first `n` values for a message, and how many more."""
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:n])
    return shown + (f" and {len(values) - n} more" if len(values) > n else "")


def _norm(name: Any) -> str:
    """Header key: lower case, runs of non-alphanumerics as ``_``, no outer ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _split_unit(name: Any) -> tuple[str, str | None]:
    """Header key without its unit suffix, and the unit (``m``, ``ft``, ``deg``) or None."""
    key = _norm(name)
    match = _UNIT_SUFFIX.match(key)
    if match:
        return match.group(1), _UNIT_WORDS[match.group(2)]
    return key, None


def _is_hole_header(name: Any) -> bool:
    return _norm(name) in _HOLE


def _label(what: str, path: Path) -> str:
    return f"{what} file '{path}'"


# ------------------------------------------------------------------------ reading
def _decode(raw: bytes, encoding: str | None, label: str) -> tuple[str, str, str | None]:
    """Text of the file, the encoding used and a note when a fallback was needed."""
    if encoding is not None:
        try:
            text = raw.decode(encoding)
        except LookupError:
            raise InputError(f"{label}: unknown encoding {encoding!r}; use e.g. 'utf-8', "
                             f"'latin-1' or 'cp1252', or leave it unset") from None
        except UnicodeDecodeError as err:
            raise InputError(
                f"{label} cannot be read as {encoding}: byte {raw[err.start]:#04x} at "
                f"position {err.start}; leave encoding unset to detect it, or give the "
                f"file's encoding (e.g. 'latin-1', 'cp1252')") from None
        return text.removeprefix("\ufeff"), encoding, None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16", None
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        return raw.decode("utf-8-sig"), ("utf-8-sig" if bom else "utf-8"), None
    except UnicodeDecodeError as err:
        note = (f"{label} is not valid UTF-8 (byte {raw[err.start]:#04x} at position "
                f"{err.start}); read as latin-1: check accented characters, or give "
                f"encoding= (e.g. 'cp1252')")
        return raw.decode("latin-1"), "latin-1", note


def _field_counts(lines: Sequence[str], delimiter: str) -> list[list[str]]:
    return list(csv.reader(lines, delimiter=delimiter))


def _sniff(lines: Sequence[str]) -> str | None:
    """The delimiter whose field count is >= 2 in the header and steadiest below it."""
    best: tuple[float, int] | None = None
    chosen = None
    for delim in DELIMITERS:
        rows = _field_counts(lines, delim)
        width = len(rows[0])
        if width < 2:
            continue
        data = rows[1:]
        # A row may end with empty extra fields (a trailing delimiter) and still fit.
        fits = [len(r) == width or (len(r) > width and not any(c.strip() for c in r[width:]))
                for r in data]
        score = (sum(fits) / len(fits) if fits else 1.0, width)
        if best is None or score > best:
            best, chosen = score, delim
    return chosen


def _check_delimiter(delimiter: Any, label: str) -> str:
    if isinstance(delimiter, str) and delimiter.lower() in ("tab", "\\t"):
        return "\t"
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise InputError(f"{label}: delimiter must be one character such as ',', ';', '\\t' "
                         f"or '|'; got {delimiter!r}")
    return delimiter


def _header_names(cells: Sequence[str], label: str) -> tuple[list[str], list[int]]:
    """Stripped header names (a blank one named ``unnamed_<k>``) and the blank positions."""
    names = [c.strip() for c in cells]
    blank = [k for k, n in enumerate(names) if not n]
    for k in blank:
        names[k] = f"unnamed_{k + 1}"
    seen: dict[str, list[int]] = {}
    for k, n in enumerate(names):
        seen.setdefault(n, []).append(k + 1)
    dups = {n: pos for n, pos in seen.items() if len(pos) > 1}
    if dups:
        listed = "; ".join(f"{n!r} at columns {pos}" for n, pos in dups.items())
        raise InputError(f"{label} has duplicated column name(s): {listed}; rename them so "
                         f"that each column has its own name")
    return names, blank


def _decimal_of(frame: pd.DataFrame, delimiter: str, decimal: str | None,
                label: str) -> tuple[str, str]:
    """The decimal mark and whether it was given or detected."""
    if decimal is not None:
        if decimal not in (".", ","):
            raise InputError(f"{label}: decimal must be '.' or ','; got {decimal!r}")
        if decimal == "," and delimiter == ",":
            raise InputError(f"{label}: decimal=',' needs another delimiter than ','; set "
                             f"delimiter=';' (or the file's delimiter)")
        return decimal, "given"
    if delimiter == ",":
        return ".", "detected"
    cols = [c for c in frame.columns if not _is_hole_header(c)]
    text = frame[cols].apply(lambda s: s.str.strip())
    n_comma = int(text.apply(lambda s: s.str.fullmatch(_COMMA_NUMBER)).to_numpy().sum())
    n_dot = int(text.apply(lambda s: s.str.fullmatch(_DOT_NUMBER)).to_numpy().sum())
    if n_comma and n_dot:
        raise InputError(
            f"{label} uses {delimiter!r} as delimiter and writes numbers both with a decimal "
            f"comma ({n_comma} value(s) like '12,5') and with a decimal point ({n_dot} "
            f"like '12.5'); set decimal=',' or decimal='.' (values of the other form then "
            f"stay text)")
    return ("," if n_comma else "."), "detected"


def _convert_columns(frame: pd.DataFrame, decimal: str) -> pd.DataFrame:
    """Numbers where every value of a column is one; text (as written) otherwise."""
    out = {}
    for col in frame.columns:
        raw = frame[col]
        stripped = raw.str.strip()
        missing = stripped.str.lower().isin(_NA_TOKENS) | stripped.isna()
        if _is_hole_header(col):
            out[col] = raw.where(~missing)
            continue
        if decimal == ",":  # a point is then no decimal mark: such values stay text
            dotted = stripped.str.contains(".", regex=False).fillna(False).to_numpy(dtype=bool)
            text = stripped.str.replace(",", ".", regex=False).where(~dotted, "x")
        else:
            text = stripped
        values = pd.to_numeric(text.where(~missing), errors="coerce")
        out[col] = values if bool((values.notna() | missing).all()) else raw.where(~missing)
    return pd.DataFrame(out, index=frame.index)


def read_table(path: str | os.PathLike[str], *, delimiter: str | None = None,
               decimal: str | None = None, encoding: str | None = None,
               what: str = "assays") -> pd.DataFrame:
    """
    Read one delimited text export (collars, surveys or assays) into a DataFrame.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    delimiter : str, optional
        Field delimiter. By default it is sniffed among ``","``, ``";"``, tab and
        ``"|"``: the one that splits the header into at least two fields and gives the
        steadiest number of fields in the first 200 lines. ``"tab"`` is read as
        ``"\\t"``.
    decimal : {".", ","}, optional
        Decimal mark. By default ``","`` when the delimiter is not a comma and numbers
        are written like ``12,5`` and none like ``12.5``; ``"."`` otherwise. Both forms
        with a non-comma delimiter raise (set it).
    encoding : str, optional
        Text encoding. By default UTF-8 with or without a byte-order mark, UTF-16 with a
        byte-order mark, and latin-1 when the bytes are not valid UTF-8 (with a
        :class:`TableReadWarning`).
    what : str, default "assays"
        What the file holds (``"collars"``, ``"surveys"``, ``"assays"``...), for
        messages and the record of the read.

    Returns
    -------
    pandas.DataFrame
        One column per header name (surrounding whitespace stripped; a column with a
        blank name is ``unnamed_<k>``, or left out when it holds no value), one row
        per data line. Hole-id columns (headers such
        as ``hole_id``, ``HoleID``, ``BHID``) stay text, so ``"007"`` keeps its zeros;
        other columns are numbers when every value is a number or empty (``""``,
        ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``#N/A`` read as missing), else text
        exactly as written. Rows with every field empty are left out and counted.
        ``frame.attrs["raremin_read"]`` records the path, ``what``, delimiter,
        encoding, decimal mark (each with ``"given"`` or ``"detected"``), the number of
        rows and notes on anything adjusted.

    Raises
    ------
    InputError
        An empty file; a header and no data rows; a single column whose header holds
        another delimiter (the message names it: ``set delimiter=';'``); duplicated
        column names (after stripping); a row with more non-empty fields than the
        header; a decimal mark that cannot be told; bytes that do not fit a given
        encoding. Each message names the file and the fix.
    FileNotFoundError
        The file does not exist.

    Warns
    -----
    TableReadWarning
        The file was not valid UTF-8 and was read as latin-1.

    Notes
    -----
    With a decimal comma, values such as ``1.234,5`` (a thousands point) do not convert
    and their column stays text. Fields may be quoted with ``"`` (a quoted field may hold
    the delimiter). A trailing delimiter at the end of the lines (an empty last field)
    is ignored and noted.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from raremin.readers import read_table
    >>> text = "\\ufeffHole ID ; From ; To ; La_ppm\\n007;0;1,5;320\\n007;1,5;3;<5\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "assays.csv"
    ...     _ = path.write_text(text, encoding="utf-8")
    ...     frame = read_table(path)
    >>> frame
      Hole ID  From   To La_ppm
    0     007   0.0  1.5    320
    1     007   1.5  3.0     <5
    >>> info = frame.attrs["raremin_read"]
    >>> info["delimiter"], info["decimal"], info["encoding"]
    (';', ',', 'utf-8-sig')
    """
    path = Path(path)
    label = _label(what, path)
    raw = path.read_bytes()
    text, used_encoding, enc_note = _decode(raw, encoding, label)
    notes: list[str] = []
    if enc_note:
        notes.append(enc_note)
        warnings.warn(enc_note, TableReadWarning, stacklevel=2)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{label} is empty ({len(raw)} byte(s), no line with text); it "
                         f"needs a header line and one line per row")
    if delimiter is None:
        found = _sniff(lines[:_SAMPLE_LINES])
        delim, delim_source = (found or ","), ("detected" if found else "default")
    else:
        delim, delim_source = _check_delimiter(delimiter, label), "given"
    header_cells = _field_counts(lines[:1], delim)[0]
    if len(header_cells) == 1:
        others = [d for d in DELIMITERS if d != delim and d in header_cells[0]]
        if others:
            raise InputError(f"{label} seems to use {others[0]!r} as delimiter (its header "
                             f"is {lines[0]!r}), not {delim!r}; set delimiter={others[0]!r}")
        notes.append("one column only: no delimiter found in the header")
    names, blank = _header_names(header_cells, label)
    # Skip the physical lines before and of the header; the data are read as text.
    skip = text.splitlines().index(lines[0]) + 1
    try:
        body = pd.read_csv(io.StringIO(text), sep=delim, header=None, skiprows=skip,
                           dtype=str, na_filter=False, keep_default_na=False,
                           skip_blank_lines=True, index_col=False, engine="c")
    except pd.errors.EmptyDataError:
        raise InputError(f"{label} has a header ({_first(names, 10)}) but no data rows") \
            from None
    except pd.errors.ParserError as err:
        fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        where = (f"line {fields.group(2)} has {fields.group(3)} fields where the lines above "
                 f"have {fields.group(1)}" if fields else " ".join(str(err).split()))
        raise InputError(
            f"{label}: {where}; check the delimiter ({delim!r}, {delim_source}) or quote "
            f"the fields that contain it") from None
    n = len(names)
    if body.shape[1] > n:
        extra = body.iloc[:, n:].apply(lambda s: s.str.strip().ne("")).to_numpy()
        if extra.any():
            row = int(np.flatnonzero(extra.any(axis=1))[0])
            raise InputError(
                f"{label}: data row {row + 1} has more fields than the {n} header names "
                f"({_first(list(body.iloc[row]), 10)}); check the delimiter ({delim!r}, "
                f"{delim_source}) or quote the fields that contain it")
        notes.append(f"trailing delimiter: {body.shape[1] - n} empty field(s) at the end of "
                     f"the lines ignored")
        body = body.iloc[:, :n]
    for k in range(body.shape[1], n):
        body[k] = ""
    body.columns = names
    if blank:
        void = [names[k] for k in blank if not body.iloc[:, k].str.strip().ne("").any()]
        named = [names[k] for k in blank if names[k] not in void]
        if void:
            notes.append(f"{len(void)} column(s) with neither a name nor a value left out "
                         f"(a trailing delimiter)")
            body = body.drop(columns=void)
        if named:
            notes.append(f"{len(named)} column(s) with values but no name called "
                         f"{_first(named)}")
    empty = body.apply(lambda s: s.str.strip().eq("")).all(axis=1).to_numpy()
    if empty.any():
        notes.append(f"{int(empty.sum())} row(s) with every field empty left out")
        body = body.loc[~empty].reset_index(drop=True)
    if body.empty:
        raise InputError(f"{label} has a header ({_first(names, 10)}) but no data rows")
    dec, dec_source = _decimal_of(body, delim, decimal, label)
    frame = _convert_columns(body, dec)
    frame.attrs["raremin_read"] = {
        "path": str(path), "what": what, "delimiter": delim, "delimiter_source": delim_source,
        "encoding": used_encoding, "decimal": dec, "decimal_source": dec_source,
        "rows": len(frame), "columns": list(frame.columns), "notes": notes,
    }
    logger.info("read %s: %d rows, delimiter %r (%s), decimal %r, encoding %s", label,
                len(frame), delim, delim_source, dec, used_encoding)
    return frame


# ------------------------------------------------------------------------ mapping
def _kind(kind: Any) -> str:
    if kind not in _KINDS:
        raise InputError(f"unknown table kind {kind!r}; use 'collars', 'surveys', "
                         f"'intervals' or 'samples'")
    return _KINDS[kind]


def _find_column(frame: pd.DataFrame, name: Any, target: str, kind: str) -> Any:
    """The column the user named for `target` (exact, else unique case-insensitive)."""
    if name in frame.columns:
        return name
    close = [c for c in frame.columns if str(c).strip().lower() == str(name).strip().lower()]
    if len(close) == 1:
        return close[0]
    raise InputError(f"mapping {target!r} -> {name!r}: the {kind} table has no such column; "
                     f"it has {list(frame.columns)}")


def map_columns(frame: pd.DataFrame, kind: str,
                mapping: Mapping[str, Any] | None = None) -> tuple[pd.DataFrame, dict[Any, str]]:
    """
    Rename the columns of one drillhole table to raremin's names.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read.
    kind : {"collars", "surveys", "intervals", "samples"}
        Which table it is (``"assays"`` is read as ``"intervals"``). ``"samples"``: a
        table of samples or composites with their own coordinates (required:
        easting, northing, elevation; optional: hole id, from, to and zone).
    mapping : mapping of str to str, optional
        raremin name -> user column, e.g. ``{"easting_m": "MGA_E", "length_m": "TD"}``.
        It wins over the aliases. Keys of other tables are ignored (so one mapping can
        serve the three tables).

    Returns
    -------
    renamed : pandas.DataFrame
        A copy with the matched columns renamed; every other column (grades...) kept
        unchanged. ``renamed.attrs["raremin_units"]`` maps raremin names to the unit a
        header named (``"m"``, ``"ft"`` or ``"deg"``), e.g. ``{"depth_m": "ft"}`` for
        ``depth_ft``.
    used : dict
        User column -> raremin name, for every matched column (also unchanged ones).

    Raises
    ------
    InputError
        Two columns match one raremin name (both named, and the mapping key to set); a
        required column is not found (the columns present and the mapping key to set);
        a mapped column does not exist; duplicated column names; a renamed column would
        clash with a column of the same name.

    Notes
    -----
    Headers are compared case-insensitively after replacing every run of characters
    other than letters and digits by ``_``: ``"Hole ID"``, ``"hole-id"`` and
    ``"HOLE_ID"`` are all ``hole_id``. A unit at the end (``_m``, ``_ft``, ``_feet``,
    ``(m)``, ``[ft]``, ``_deg``...) is removed before the comparison and recorded.
    The aliases are in :data:`ALIASES`. Required: collars ``hole_id``, ``easting_m``,
    ``northing_m``, ``elevation_m`` (``length_m`` is optional: it can be derived);
    surveys ``hole_id``, ``depth_m``, ``azimuth_deg``, ``dip_deg``; intervals
    ``hole_id``, ``from_m``, ``to_m``.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.readers import map_columns
    >>> frame = pd.DataFrame(columns=["BHID", "From (ft)", "To (ft)", "Nd_ppm"])
    >>> renamed, used = map_columns(frame, "intervals")
    >>> list(renamed.columns)
    ['hole_id', 'from_m', 'to_m', 'Nd_ppm']
    >>> used
    {'BHID': 'hole_id', 'From (ft)': 'from_m', 'To (ft)': 'to_m'}
    >>> renamed.attrs["raremin_units"]
    {'from_m': 'ft', 'to_m': 'ft'}
    """
    kind = _kind(kind)
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"the {kind} table must be a pandas DataFrame; got "
                         f"{type(frame).__name__}")
    cols = list(frame.columns)
    dup = sorted({str(c) for c in cols if cols.count(c) > 1})
    if dup:
        raise InputError(f"the {kind} table has duplicated column name(s) {dup}; rename "
                         f"them so that each column has its own name")
    aliases = ALIASES[kind]
    mapping = dict(mapping or {})
    chosen: dict[str, Any] = {}
    for target, name in mapping.items():
        if target in aliases:
            chosen[target] = _find_column(frame, name, target, kind)
    taken = set(chosen.values())
    candidates: dict[str, list[Any]] = {}
    for col in cols:
        if col in taken:
            continue
        key, unit = _split_unit(col)
        for target, names in aliases.items():
            if target in chosen:
                continue
            ok_unit = unit is None or (unit == "deg") == (target in _ANGLES)
            if _norm(col) in names or (ok_unit and key in names):
                candidates.setdefault(target, []).append(col)
    for target, found in candidates.items():
        if len(found) > 1:
            raise InputError(
                f"the {kind} table has {len(found)} columns that could be {target!r}: "
                f"{_first(found, 10)}; choose one with mapping={{{target!r}: {found[0]!r}}}")
        chosen[target] = found[0]
    missing = [t for t in _REQUIRED[kind] if t not in chosen]
    if missing:
        target = missing[0]
        raise InputError(
            f"the {kind} table has no column for {target!r} (recognised names: "
            f"{_first(aliases[target], 8)}); its columns are {cols}: name it with "
            f"mapping={{{target!r}: '<column>'}}")
    used = {chosen[t]: t for t in aliases if t in chosen}
    for src, target in used.items():
        if src != target and target in cols and target not in used:
            raise InputError(f"the {kind} table already has a column {target!r}, but "
                             f"{src!r} is mapped to that name; drop or rename one of them")
    units = {}
    for src, target in used.items():
        unit = _split_unit(src)[1]
        if unit is not None and (unit == "deg") == (target in _ANGLES):
            units[target] = unit
    renamed = frame.rename(columns=used)
    renamed.attrs = {**frame.attrs, "raremin_units": units}
    return renamed, used


# ------------------------------------------------------------------- import report
def _empty_steps() -> pd.DataFrame:
    return pd.DataFrame({"step": pd.Series(dtype=object), "table": pd.Series(dtype=object),
                         "count": pd.Series(dtype="int64"),
                         "detail": pd.Series(dtype=object)})


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ImportReport:
    """
    What :func:`prepare_drillholes` did to the tables, step by step, with counts.

    Parameters
    ----------
    steps : pandas.DataFrame
        One row per step and table: ``step`` (a short name such as ``"feet_to_metres"``,
        ``"duplicate_rows_removed"``, ``"length_derived"``, ``"dips_flipped"``, or
        ``"validation:<kind>"`` for the problems :meth:`Drillholes.from_tables
        <raremin.drillholes.Drillholes.from_tables>` found), ``table``, ``count`` (rows,
        values or holes, as the detail says) and ``detail`` (a sentence).
    mapping : mapping
        Per table, user column -> raremin name.
    units : mapping
        Per table, raremin name -> unit read from the header.
    files : mapping
        Per table read from a file: path, delimiter, encoding, decimal mark and notes
        (empty for tables given as DataFrames without a read record).
    validation : ValidationReport
        The report of :meth:`Drillholes.from_tables`.
    removed_rows : mapping of str to pandas.DataFrame
        Rows removed by the import steps (duplicates, duplicated holes), per table,
        with raremin's column names and an ``import_step`` column.
    messages : tuple of str
        The warnings raised while building, captured.

    Examples
    --------
    >>> from raremin.readers import ImportReport
    >>> report = ImportReport.empty()
    >>> report.to_frame().columns.tolist()
    ['step', 'table', 'count', 'detail']
    >>> report.count("dips_flipped")
    0
    """

    steps: pd.DataFrame
    mapping: Mapping[str, Mapping[Any, str]] = dataclasses.field(default_factory=dict)
    units: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    files: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    validation: ValidationReport = dataclasses.field(default_factory=ValidationReport.empty)
    removed_rows: Mapping[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    messages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.steps, pd.DataFrame):
            raise InputError(f"steps must be a DataFrame; got {type(self.steps).__name__}")
        missing = [c for c in _STEP_COLUMNS if c not in self.steps.columns]
        if missing:
            raise InputError(f"steps lack column(s) {missing}; need {list(_STEP_COLUMNS)}")
        for name in ("mapping", "units", "files", "removed_rows"):
            object.__setattr__(self, name, dict(getattr(self, name)))
        object.__setattr__(self, "messages", tuple(self.messages))

    @classmethod
    def empty(cls) -> ImportReport:
        """
        A report with no step.

        Examples
        --------
        >>> from raremin.readers import ImportReport
        >>> len(ImportReport.empty().to_frame())
        0
        """
        return cls(_empty_steps())

    def to_frame(self) -> pd.DataFrame:
        """
        The steps as a tidy table: ``step``, ``table``, ``count``, ``detail``.

        Examples
        --------
        >>> from raremin.readers import ImportReport
        >>> ImportReport.empty().to_frame().empty
        True
        """
        return self.steps[list(_STEP_COLUMNS)].copy()

    def count(self, step: str, table: str | None = None) -> int:
        """
        Total count of a step (over the tables, or for one table).

        Parameters
        ----------
        step : str
            A step name, as in :meth:`to_frame`.
        table : str, optional
            ``"collars"``, ``"surveys"`` or ``"intervals"``; all tables by default.

        Returns
        -------
        int
            The sum of the counts; 0 when the step did not occur.

        Examples
        --------
        >>> from raremin.readers import ImportReport
        >>> ImportReport.empty().count("length_derived", "collars")
        0
        """
        rows = self.steps["step"] == step
        if table is not None:
            rows &= self.steps["table"] == table
        return int(self.steps.loc[rows, "count"].sum())

    def describe(self) -> str:
        """
        The report as plain sentences, one Markdown bullet per line.

        Returns
        -------
        str
            Files read, columns mapped, every step with a non-zero count, and what was
            kept.

        Examples
        --------
        >>> from raremin.readers import ImportReport
        >>> ImportReport.empty().describe()
        '- Nothing was read or changed.'
        """
        lines = []
        for table, info in self.files.items():
            enc = {"utf-8-sig": "UTF-8 with a byte-order mark", "utf-8": "UTF-8"}.get(
                info["encoding"], info["encoding"])
            lines.append(f"The {table} were read from {info['path']} ({enc}, delimiter "
                         f"{info['delimiter']!r} {info['delimiter_source']}, decimal mark "
                         f"{info['decimal']!r}, {info['rows']} row(s)).")
            lines.extend(f"Reading the {table}: {note}." for note in info.get("notes", []))
        for table, used in self.mapping.items():
            renamed = [f"{src!r} -> {dst}" for src, dst in used.items() if src != dst]
            if renamed:
                lines.append(f"Columns of the {table} renamed: {', '.join(renamed)}.")
        for row in self.steps.itertuples():
            if row.count and row.step not in ("read", "kept"):
                lines.append(str(row.detail))
        kept = self.steps[self.steps["step"] == "kept"]
        if len(kept):
            parts = [f"{int(r.count)} {r.table}" for r in kept.itertuples()]
            lines.append(f"Kept: {', '.join(parts)}.")
        if not lines:
            return "- Nothing was read or changed."
        return "\n".join(f"- {line}" for line in lines)

    def __repr__(self) -> str:
        changed = self.steps[~self.steps["step"].isin(["read", "kept"])
                             & (self.steps["count"] > 0)]
        return (f"ImportReport({len(changed)} step(s) with changes or problems; "
                f"{sum(len(v) for v in self.removed_rows.values())} row(s) removed by the "
                f"import, {len(self.validation.set_aside)} set aside by validation)")

    def _repr_html_(self) -> str:
        from ._display import _card, _table

        return _card("Drillhole import", [html.escape(repr(self))], _table(self.to_frame()))


class _Steps:
    """Collects the rows of the import report."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.removed: dict[str, list[pd.DataFrame]] = {t: [] for t in _TABLES}

    def add(self, step: str, table: str, count: int, detail: str) -> None:
        self.rows.append({"step": step, "table": table, "count": int(count), "detail": detail})

    def remove(self, frames: dict[str, pd.DataFrame], table: str, mask: np.ndarray,
               step: str) -> None:
        """Move the masked rows of a table to the removed rows."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.removed[table].append(frames[table].loc[mask].assign(import_step=step))
            frames[table] = frames[table].loc[~mask].reset_index(drop=True)

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return _empty_steps()
        return pd.DataFrame(self.rows, columns=list(_STEP_COLUMNS))


# ------------------------------------------------------------------------ preparing
def _split_mapping(mapping: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A flat (raremin name -> column) or per-table mapping, as one mapping per table."""
    if not mapping:
        return {t: {} for t in _TABLES}
    if not isinstance(mapping, Mapping):
        raise InputError(f"mapping must be a dict (raremin name -> column); got "
                         f"{type(mapping).__name__}")
    if set(mapping) <= set(_KINDS):
        out: dict[str, dict[str, Any]] = {t: {} for t in _TABLES}
        for kind, sub in mapping.items():
            out.setdefault(_KINDS[kind], {}).update(dict(sub))
        nested = out
    else:
        nested = {t: dict(mapping) for t in _TABLES}
    known = {k for table in ALIASES.values() for k in table}
    for table, sub in nested.items():
        unknown = [k for k in sub if k not in known]
        if unknown:
            raise InputError(f"mapping key(s) {unknown} are not raremin column names; use "
                             f"{sorted(known)}")
        if set(mapping) <= set(_KINDS):
            wrong = [k for k in sub if k not in ALIASES[table]]
            if wrong:
                raise InputError(f"mapping for the {table} has key(s) {wrong} of another "
                                 f"table; its keys are {list(ALIASES[table])}")
    return nested


def _normalise_ids(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Hole ids as stripped text; counts of rows (from numbers, stripped, "12.0" text)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    new = np.empty(len(uniques), dtype=object)
    how = np.zeros(len(uniques), dtype=np.int64)  # 0 same, 1 number, 2 stripped, 3 "12.0"
    for k, value in enumerate(uniques):  # one pass over distinct ids, not over rows
        if isinstance(value, str):
            text = value.strip()
            how[k] = 2 if text != value else 0
            match = _INT_AS_FLOAT.match(text)
            if match:
                text, how[k] = match.group(1), 3
            new[k] = text
        elif isinstance(value, (bool, np.bool_)):
            new[k], how[k] = str(value), 1
        elif isinstance(value, numbers.Integral):
            new[k], how[k] = str(int(value)), 1
        elif isinstance(value, numbers.Real) and math.isfinite(value):
            new[k] = str(int(float(value))) if float(value).is_integer() else repr(float(value))
            how[k] = 1
        else:
            new[k], how[k] = str(value).strip(), 1
    ok = codes >= 0
    out = np.full(len(series), np.nan, dtype=object)
    out[ok] = new[codes[ok]]
    counts = np.bincount(how[codes[ok]], minlength=4)
    return pd.Series(out, index=series.index, dtype=str), counts


def _length_units(frames: dict[str, pd.DataFrame], units: dict[str, dict[str, str]],
                  length_unit: str | None, coordinate_unit: str | None, steps: _Steps) -> None:
    """Convert depths and lengths (and, if asked, coordinates) to metres, in place."""
    if length_unit is not None and length_unit not in ("m", "ft"):
        raise InputError(f"length_unit must be 'm' or 'ft'; got {length_unit!r}")
    if coordinate_unit is not None and coordinate_unit not in COORDINATE_UNITS:
        raise InputError(f"coordinate_unit must be one of {list(COORDINATE_UNITS)}; got "
                         f"{coordinate_unit!r}")
    for table in _TABLES:
        frame, found = frames[table], units[table]
        for col in [c for c in frame.columns if c in _LENGTHS]:
            header = found.get(col)
            if length_unit is not None and header is not None and header != length_unit:
                raise InputError(
                    f"length_unit={length_unit!r} but the header of the {table} column "
                    f"mapped to {col!r} says {header!r}; leave length_unit unset (the header "
                    f"unit is then used) or fix the header")
            unit = header or length_unit or "m"
            if unit == "ft":
                values = frame[col].to_numpy(dtype=float)
                frame[col] = values * FOOT_M
                how = "named in its header" if header else "length_unit='ft'"
                steps.add("feet_to_metres", table, int(np.isfinite(values).sum()),
                          f"{int(np.isfinite(values).sum())} {table} value(s) of {col} "
                          f"converted from feet to metres (x {FOOT_M}, {how}).")
        coords = [c for c in _COORDS if c in frame.columns]
        said = sorted({found[c] for c in coords if c in found})
        if coordinate_unit is not None:
            wrong = [c for c in coords if found.get(c, coordinate_unit[-2:]) !=
                     coordinate_unit[-2:]]
            if wrong:
                raise InputError(
                    f"coordinate_unit={coordinate_unit!r} but the header of the {table} "
                    f"column mapped to {wrong[0]!r} says {found[wrong[0]]!r}; fix one of them")
            factor = COORDINATE_UNITS[coordinate_unit]
            if factor != 1.0 and coords:
                n = 0
                for col in coords:
                    values = frame[col].to_numpy(dtype=float)
                    frame[col] = values * factor
                    n += int(np.isfinite(values).sum())
                steps.add("coordinates_to_metres", table, n,
                          f"{n} {table} coordinate value(s) ({', '.join(coords)}) converted "
                          f"from {coordinate_unit} to metres (x {factor:.10g}).")
        elif "ft" in said:
            steps.add("coordinates_in_feet_kept", table, len(frame),
                      f"The {table} coordinate headers name feet; coordinates follow their "
                      f"CRS and were not converted (pass coordinate_unit='ft' or 'us_ft' to "
                      f"convert them to metres).")


def _numeric_columns(frames: dict[str, pd.DataFrame], on_problem: str, steps: _Steps) -> None:
    """Key numeric columns as float; text in them becomes NaN (counted) or raises."""
    for table in _TABLES:
        frame = frames[table]
        for col in [c for c in _NUMERIC[table] if c in frame.columns]:
            given = frame[col]
            values = pd.to_numeric(given, errors="coerce")
            bad = (values.isna() & given.notna()).to_numpy(copy=True)
            if isinstance(given.dtype, pd.StringDtype) or given.dtype == object:
                bad &= ~given.astype(str).str.strip().str.lower().isin(_NA_TOKENS).to_numpy()
            if bad.any():
                first = given[bad].iloc[0]
                row = int(np.flatnonzero(bad)[0])
                text = (f"{int(bad.sum())} value(s) of the {table} column {col} are not "
                        f"numbers (first: {first!r} at row {row}); they were read as missing")
                if on_problem == "raise":
                    raise InputError(text.split("; they")[0] + ": fix them in the file, or "
                                     "pass on_problem='report' to set those rows aside")
                steps.add("text_as_missing", table, int(bad.sum()), text + ".")
            frame[col] = values.to_numpy(dtype=float, na_value=np.nan)


def _hole_ids(frames: dict[str, pd.DataFrame], steps: _Steps) -> None:
    """Normalise hole ids in the three tables; report case-only differences and orphans."""
    for table in _TABLES:
        ids, counts = _normalise_ids(frames[table]["hole_id"])
        frames[table]["hole_id"] = ids
        texts = (f"{counts[1]} {table} hole id value(s) given as numbers turned into text "
                 f"(12 and 12.0 read as '12').",
                 f"{counts[2]} {table} hole id value(s) had surrounding spaces, stripped.",
                 f"{counts[3]} {table} hole id value(s) written like '12.0' read as '12'.")
        for step, n, text in zip(("hole_id_from_number", "hole_id_stripped",
                                  "hole_id_float_text"), counts[1:], texts, strict=True):
            if n:
                steps.add(step, table, n, text)
    every = pd.unique(pd.concat([frames[t]["hole_id"] for t in _TABLES]).dropna())
    lower = pd.Series(every, dtype=str).str.lower()
    spellings = pd.Series(every, dtype=str).groupby(lower.to_numpy()).unique()
    clash = spellings[spellings.map(len) > 1]
    if len(clash):
        shown = "; ".join(" / ".join(repr(s) for s in v) for v in clash.iloc[:_SHOWN])
        steps.add("hole_id_case_differs", "all", len(clash),
                  f"{len(clash)} hole id(s) are spelled with different letter case in the "
                  f"tables ({shown}); they are not merged: fix the spelling if they are "
                  f"the same hole.")
    collars = pd.Index(frames["collars"]["hole_id"].dropna())
    for table in ("surveys", "intervals"):
        ids = frames[table]["hole_id"]
        orphan = ids.notna() & ~ids.isin(collars)
        if orphan.any():
            holes = pd.unique(ids[orphan])
            steps.add("no_collar", table, int(orphan.sum()),
                      f"{int(orphan.sum())} {table} row(s) of {len(holes)} hole(s) without a "
                      f"collar ({_first(holes)}); validation sets them aside (report mode).")


def _duplicates(frames: dict[str, pd.DataFrame], steps: _Steps) -> None:
    """Exact duplicate rows (all tables) and empty copies of an interval, removed."""
    for table in _TABLES:
        frame = frames[table]
        dup = frame.duplicated(keep="first").to_numpy()
        if dup.any():
            holes = pd.unique(frame.loc[dup, "hole_id"].dropna())
            steps.add("duplicate_rows_removed", table, int(dup.sum()),
                      f"{int(dup.sum())} exact duplicate {table} row(s) removed (one copy "
                      f"kept), in {len(holes)} hole(s) ({_first(holes)}).")
            steps.remove(frames, table, dup, "duplicate_rows_removed")
    iv = frames["intervals"]
    drop = _empty_overlapping(iv)
    if drop.any():
        holes = pd.unique(iv.loc[drop, "hole_id"].dropna())
        steps.add("empty_intervals_removed", "intervals", int(drop.sum()),
                  f"{int(drop.sum())} interval row(s) with every value missing that repeat or "
                  f"overlap a row with values of the same hole removed, in {len(holes)} "
                  f"hole(s) ({_first(holes)}).")
        steps.remove(frames, "intervals", drop, "empty_intervals_removed")


def _empty_overlapping(iv: pd.DataFrame) -> np.ndarray:
    """Rows with every value missing that overlap a row with values in the same hole."""
    keys = ["hole_id", "from_m", "to_m"]
    values = [c for c in iv.columns if c not in keys]
    frm = iv["from_m"].to_numpy(dtype=float)
    to = iv["to_m"].to_numpy(dtype=float)
    usable = iv["hole_id"].notna().to_numpy() & np.isfinite(frm) & np.isfinite(to)
    if not values or not usable.any():
        return np.zeros(len(iv), dtype=bool)
    empty = iv[values].isna().all(axis=1).to_numpy() & usable
    full = ~empty & usable
    if not empty.any() or not full.any():
        return np.zeros(len(iv), dtype=bool)
    code = pd.factorize(iv["hole_id"])[0]
    # Rows with values sorted by (hole, from); the deepest end reached so far per hole.
    order = np.flatnonzero(full)[np.lexsort((frm[full], code[full]))]
    reach = pd.Series(to[order]).groupby(code[order]).cummax().to_numpy()
    span = max(float(np.nanmax(np.abs(to[usable]))), float(np.nanmax(np.abs(frm[usable]))))
    big = 2.0 ** np.ceil(np.log2(2.0 * span + 2.0) + 1.0)
    sorted_key = code[order] * big + frm[order]
    # For an empty row: the last row with values of its hole that starts above its end.
    e = np.flatnonzero(empty)
    k = np.searchsorted(sorted_key, code[e] * big + to[e] - _TOL_M, side="left") - 1
    found = k >= 0
    found[found] &= code[order][k[found]] == code[e][found]
    hit = np.zeros(e.size, dtype=bool)
    hit[found] = reach[k[found]] > frm[e][found] + _TOL_M
    out = np.zeros(len(iv), dtype=bool)
    out[e[hit]] = True
    return out


def _duplicate_holes(frames: dict[str, pd.DataFrame], tolerance_m: float,
                     steps: _Steps) -> None:
    """Holes at the same collar position with identical intervals: keep the first."""
    c, iv = frames["collars"], frames["intervals"]
    xyz = c[list(_COORDS)].to_numpy(dtype=float)
    ok = np.isfinite(xyz).all(axis=1) & c["hole_id"].notna().to_numpy()
    if not ok.any() or not len(iv):
        return
    cell = pd.DataFrame(np.where(ok[:, None], np.round(xyz / tolerance_m), np.nan),
                        index=c.index)
    shared = cell.duplicated(keep=False).to_numpy() & ok
    if not shared.any():
        return
    holes = c.loc[shared, "hole_id"]
    sub = iv[iv["hole_id"].isin(holes)].sort_values(["hole_id", "from_m", "to_m"],
                                                    kind="stable")
    if sub.empty:
        return
    # One text key per candidate hole: its collar cell and the hashes of its rows.
    row_hash = pd.util.hash_pandas_object(sub.drop(columns="hole_id"), index=False)
    signature = row_hash.astype(str).groupby(sub["hole_id"].to_numpy()).agg(",".join)
    where = cell.loc[shared].astype("int64").astype(str).agg(",".join, axis=1)
    table = pd.DataFrame({"hole_id": holes.to_numpy(), "key": where.to_numpy()})
    table["key"] = table["key"] + "|" + table["hole_id"].map(signature)
    table = table.dropna(subset=["key"])
    repeat = table["key"].duplicated(keep="first").to_numpy()
    if not repeat.any():
        return
    kept = table.groupby("key")["hole_id"].transform("first")
    pairs = [f"{h!r} (same as {k!r})" for h, k in
             zip(table["hole_id"][repeat], kept[repeat], strict=True)]
    twins = table[repeat]
    gone = pd.Index(twins["hole_id"])
    counts = {t: int(frames[t]["hole_id"].isin(gone).sum()) for t in _TABLES}
    steps.add("duplicate_holes_set_aside", "collars", len(gone),
              f"{len(gone)} hole(s) repeat another hole: same collar position (to "
              f"{tolerance_m:g} m) and identical intervals; the first in collar order is "
              f"kept, the others set aside with their {counts['surveys']} survey and "
              f"{counts['intervals']} interval row(s): {_first(pairs)}.")
    for t in _TABLES:
        steps.remove(frames, t, frames[t]["hole_id"].isin(gone).to_numpy(),
                     "duplicate_holes_set_aside")


def _derive_lengths(frames: dict[str, pd.DataFrame], steps: _Steps) -> None:
    """Fill missing collar lengths with the deepest survey station or interval end."""
    c = frames["collars"]
    if "length_m" not in c.columns:
        c["length_m"] = np.nan
    length = c["length_m"].to_numpy(dtype=float)
    blank = np.isnan(length)
    if not blank.any():
        return
    deepest = pd.concat([frames["surveys"].groupby("hole_id")["depth_m"].max(),
                         frames["intervals"].groupby("hole_id")["to_m"].max()],
                        axis=1).max(axis=1)
    derived = c["hole_id"].map(deepest).to_numpy(dtype=float)
    filled = blank & np.isfinite(derived)
    c["length_m"] = np.where(filled, derived, length)
    if filled.any():
        zero = filled & (derived <= 0)
        steps.add("length_derived", "collars", int(filled.sum()),
                  f"{int(filled.sum())} collar length(s) were missing and set to the deepest "
                  f"survey station or interval end of the hole (whichever is deeper)"
                  + (f"; {int(zero.sum())} of them are 0 (no data below the collar: "
                     f"{_first(c.loc[zero, 'hole_id'])}), which validation rejects"
                     if zero.any() else "") + ".")
    unknown = blank & ~filled
    if unknown.any():
        steps.add("length_unknown", "collars", int(unknown.sum()),
                  f"{int(unknown.sum())} collar(s) have no length and no survey or interval "
                  f"to derive it from ({_first(c.loc[unknown, 'hole_id'])}); validation "
                  f"rejects them.")


def _dips(frames: dict[str, pd.DataFrame], convention: str, steps: _Steps) -> None:
    """Dips to raremin's convention (negative downwards), in place."""
    s = frames["surveys"]
    dip = s["dip_deg"].to_numpy(dtype=float)
    finite = np.isfinite(dip)
    positive = finite & (dip > 0)
    n_pos, n_nonzero = int(positive.sum()), int((finite & (dip != 0)).sum())
    holes = pd.unique(s.loc[positive, "hole_id"].dropna())
    if convention == "from_vertical":
        s["dip_deg"] = dip - 90.0
        steps.add("dips_from_vertical", "surveys", int(finite.sum()),
                  f"{int(finite.sum())} inclination(s) measured from the vertical (0 down "
                  f"the hole) turned into dips (dip = inclination - 90).")
    elif convention == "positive_down" or (convention == "auto" and n_pos
                                           and n_pos == n_nonzero):
        s["dip_deg"] = 0.0 - dip  # 0 stays 0, not -0
        why = ("every non-zero dip is positive, read as positive downwards"
               if convention == "auto" else "dip_convention='positive_down'")
        steps.add("dips_flipped", "surveys", int((finite & (dip != 0)).sum()),
                  f"{int((finite & (dip != 0)).sum())} dip(s) changed sign ({why}); raremin's "
                  f"dip is negative downwards.")
        up = int((finite & (dip < 0)).sum())
        if up:
            steps.add("upward_dips_kept", "surveys", up,
                      f"{up} station(s) had a negative dip under dip_convention="
                      f"'positive_down' and now point upwards.")
    elif n_pos:
        why = ("some dips are negative, so the convention is negative downwards"
               if convention == "auto" else "dip_convention='negative_down'")
        steps.add("upward_dips_kept", "surveys", n_pos,
                  f"{n_pos} survey station(s) of {len(holes)} hole(s) have a positive "
                  f"(upward) dip and were kept as given ({why}): {_first(holes)}.")


def _prepare(collars: pd.DataFrame, surveys: pd.DataFrame, intervals: pd.DataFrame | None, *,
             mapping: Mapping[str, Any] | None, length_unit: str | None,
             coordinate_unit: str | None, dip_convention: str, on_problem: str,
             default_dip: float | None, default_azimuth: float, duplicate_tolerance_m: float,
             stacklevel: int) -> tuple[Drillholes, ImportReport]:
    if dip_convention not in DIP_CONVENTIONS:
        raise InputError(f"unknown dip_convention {dip_convention!r}; use one of "
                         f"{list(DIP_CONVENTIONS)}")
    if on_problem not in ("raise", "report"):
        raise InputError(f"unknown on_problem {on_problem!r}; use 'raise' or 'report'")
    tol = float(duplicate_tolerance_m)
    if not tol > 0:
        raise InputError(f"duplicate_tolerance_m must be > 0 (metres); got "
                         f"{duplicate_tolerance_m!r}")
    if intervals is None:
        intervals = pd.DataFrame({"hole_id": pd.Series(dtype=str),
                                  "from_m": pd.Series(dtype=float),
                                  "to_m": pd.Series(dtype=float)})
    given = {"collars": collars, "surveys": surveys, "intervals": intervals}
    maps = _split_mapping(mapping)
    steps = _Steps()
    frames, used, units, files = {}, {}, {}, {}
    for table in _TABLES:
        frame = given[table]
        if isinstance(frame, pd.DataFrame) and "raremin_read" in frame.attrs:
            files[table] = dict(frame.attrs["raremin_read"])
        renamed, used[table] = map_columns(frame, table, maps[table])
        units[table] = dict(renamed.attrs.get("raremin_units", {}))
        frames[table] = renamed.reset_index(drop=True).copy()
        frames[table].attrs = {}
        steps.add("read", table, len(frame), f"{len(frame)} {table} row(s) given.")
    _numeric_columns(frames, on_problem, steps)
    _length_units(frames, units, length_unit, coordinate_unit, steps)
    _hole_ids(frames, steps)
    _duplicates(frames, steps)
    _duplicate_holes(frames, tol, steps)
    _dips(frames, dip_convention, steps)
    _derive_lengths(frames, steps)
    unsurveyed = ~frames["collars"]["hole_id"].isin(frames["surveys"]["hole_id"])
    if unsurveyed.any():
        ids = frames["collars"].loc[unsurveyed, "hole_id"]
        if default_dip is None:
            steps.add("no_survey", "collars", int(unsurveyed.sum()),
                      f"{int(unsurveyed.sum())} collar(s) have no survey station "
                      f"({_first(ids)}); validation sets them aside (pass default_dip=-90 "
                      f"to assume vertical holes).")
        else:
            steps.add("default_dip", "collars", int(unsurveyed.sum()),
                      f"{int(unsurveyed.sum())} collar(s) have no survey station "
                      f"({_first(ids)}); they are given dip {default_dip:g} and azimuth "
                      f"{default_azimuth:g} degrees from the collar.")

    def report(validation: ValidationReport, messages: Sequence[str],
               holes: Drillholes | None = None) -> ImportReport:
        for row in validation.summary().itertuples():
            steps.add(f"validation:{row.kind}", row.table, row.count,
                      f"Validation: {row.count} {row.table} row(s) with problem '{row.kind}' "
                      f"({row.level}; {row.action}).")
        if holes is not None:
            for table in _TABLES:
                n = len(getattr(holes, table))
                steps.add("kept", table, n, f"{n} {table} row(s) kept.")
        removed = {t: pd.concat(v) if v else frames[t].iloc[:0].assign(import_step="")
                   for t, v in steps.removed.items()}
        return ImportReport(steps.frame(), used, units, files, validation, removed,
                            tuple(messages))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            holes = Drillholes.from_tables(
                frames["collars"], frames["surveys"], frames["intervals"],
                on_problem=on_problem, default_dip=default_dip,
                default_azimuth=default_azimuth)
        except DrillholeError as err:
            err.import_report = report(err.report or ValidationReport.empty(),  # type: ignore[attr-defined]
                                       [str(w.message) for w in caught])
            raise
    messages = [str(w.message) for w in caught]
    for w in caught:
        if not issubclass(w.category, DrillholeWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    result = report(holes.report, messages, holes)
    removed = sum(len(v) for v in result.removed_rows.values())
    aside = sum(len(v) for v in holes.report.set_aside_rows.values())
    if removed or aside:
        warnings.warn(
            f"{removed} row(s) removed by the import (duplicates) and {aside} set aside by "
            f"validation; every step is counted in the ImportReport (describe(), to_frame())",
            DrillholeWarning, stacklevel=stacklevel)
    return holes, result


def prepare_drillholes(
    collars: pd.DataFrame,
    surveys: pd.DataFrame,
    intervals: pd.DataFrame | None = None,
    *,
    mapping: Mapping[str, Any] | None = None,
    length_unit: str | None = None,
    coordinate_unit: str | None = None,
    dip_convention: str = "auto",
    on_problem: str = "report",
    default_dip: float | None = None,
    default_azimuth: float = 0.0,
    duplicate_tolerance_m: float = 0.01,
) -> tuple[Drillholes, ImportReport]:
    """
    Bring users' collar, survey and interval tables to raremin's form, counting each step.

    Parameters
    ----------
    collars, surveys : pandas.DataFrame
        The tables as read (any column names :func:`map_columns` recognises). The
        collar length may be absent or blank: it is then derived.
    intervals : pandas.DataFrame, optional
        The interval (assay) table; grade columns must hold numbers (or NaN): clean
        below-detection codes first. None for no interval.
    mapping : mapping, optional
        raremin name -> user column, for all tables (``{"hole_id": "BHID"}``) or per
        table (``{"collars": {...}, "intervals": {...}}``).
    length_unit : {"m", "ft"}, optional
        Unit of depths, hole lengths and interval ends. By default the unit a header
        names (``depth_ft``, ``From (m)``), else metres. Given and contradicted by a
        header, it raises.
    coordinate_unit : {"m", "ft", "us_ft"}, optional
        Unit of easting, northing and elevation. Coordinates follow their CRS and are
        converted only when this is ``"ft"`` (x 0.3048) or ``"us_ft"`` (x 1200/3937);
        a header naming feet without it is reported, not converted.
    dip_convention : {"auto", "negative_down", "positive_down", "from_vertical"}
        ``"auto"``: when every non-zero dip is positive, the file is read as positive
        downwards and the signs flipped; a mix of signs (a few upward holes) is kept
        and reported. ``"negative_down"``: kept as given (underground up-holes).
        ``"positive_down"``: every sign flipped. ``"from_vertical"``: the column holds
        inclinations from the vertical (0 straight down), dip = inclination - 90.
    on_problem : {"report", "raise"}, default "report"
        Passed to :meth:`Drillholes.from_tables
        <raremin.drillholes.Drillholes.from_tables>`: set problem rows aside and list
        them, or raise. With ``"raise"``, text in a numeric key column raises too, and
        the :class:`~raremin.drillholes.DrillholeError` carries the import report as
        ``err.import_report``.
    default_dip : float, optional
        Units: degrees (negative down). Dip of holes without any survey station; by
        default they are set aside (report mode).
    default_azimuth : float, default 0
        Units: degrees clockwise from north. Azimuth for `default_dip`.
    duplicate_tolerance_m : float, default 0.01
        Units: m. Collars whose coordinates agree to this (rounded to multiples of it)
        are at the same position, for the duplicate-hole rule.

    Returns
    -------
    drillholes : Drillholes
        The validated holes.
    report : ImportReport
        Every step with its count, the mapping, the units, the files read and the
        validation report.

    Raises
    ------
    InputError
        Mapping problems (see :func:`map_columns`), contradictory units, unknown
        options, text in numeric columns (``on_problem="raise"``).
    DrillholeError
        With ``on_problem="raise"``, when validation finds errors.

    Warns
    -----
    DrillholeWarning
        One summary when rows were removed or set aside (the warnings of the
        validation are captured in ``report.messages``).

    Notes
    -----
    The steps, in order (step names of the report in brackets):

    1. columns mapped (:func:`map_columns`); ``read`` counts the rows given;
    2. text in a numeric key column read as missing (``text_as_missing``);
    3. feet to metres for depths, lengths and interval ends (``feet_to_metres``; the
       international foot, 0.3048 m exactly), and coordinates when asked
       (``coordinates_to_metres``);
    4. hole ids as stripped text in all three tables, so 12, 12.0, ``"12"``,
       ``" 12 "`` and ``"12.0"`` are one hole (``hole_id_from_number``,
       ``hole_id_stripped``, ``hole_id_float_text``); ids differing only by case are
       reported, not merged (``hole_id_case_differs``); survey and interval rows of
       holes without collar are counted (``no_collar``) and later set aside by
       validation;
    5. exact duplicate rows (same hole, depths and every value) removed, one copy kept,
       in every table (``duplicate_rows_removed``); an interval row whose values are
       all missing (every column but hole and depths) and that repeats or overlaps a
       row with values of the same hole carries nothing and is removed too
       (``empty_intervals_removed``);
    6. duplicated holes: two holes whose collars agree to `duplicate_tolerance_m` and
       whose non-empty interval tables are identical (depths and every value; surveys
       not compared) are one hole entered twice: the first in collar order is kept,
       the others set aside with their rows (``duplicate_holes_set_aside``);
    7. dips to negative downwards (``dips_flipped``, ``dips_from_vertical``,
       ``upward_dips_kept``);
    8. missing or blank collar lengths derived from the deepest survey station or
       interval end (``length_derived``; ``length_unknown`` when there is nothing to
       derive from);
    9. collars without survey counted (``no_survey`` or ``default_dip``);
    10. :meth:`Drillholes.from_tables <raremin.drillholes.Drillholes.from_tables>`; its
        problems counted per table and kind (``validation:<kind>``), ``kept`` counts the
        rows of the result.

    Rows removed in steps 5 and 6 are kept in ``report.removed_rows``; rows set aside
    by validation in ``report.validation.set_aside_rows``. Inclinations measured from
    the vertical are not detected: say so with ``dip_convention="from_vertical"``. An
    underground program drilled only upwards must say ``"negative_down"``, or
    ``"auto"`` would flip it.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from raremin.readers import prepare_drillholes
    >>> collars = pd.DataFrame({"BHID": ["A"], "East": [0.0], "North": [0.0],
    ...                         "Elev": [100.0], "Depth_ft": [100.0]})
    >>> surveys = pd.DataFrame({"BHID": ["A"], "At_ft": [0.0], "Bearing": [0.0],
    ...                         "Dip": [-90.0]})
    >>> assays = pd.DataFrame({"BHID": ["A"], "From_ft": [0.0], "To_ft": [50.0],
    ...                        "ce_ppm": [800.0]})
    >>> holes, report = prepare_drillholes(collars, surveys, assays)
    >>> holes.collars["length_m"].tolist(), holes.intervals["to_m"].tolist()
    ([30.48], [15.24])
    >>> report.count("feet_to_metres")
    4
    """
    return _prepare(collars, surveys, intervals, mapping=mapping, length_unit=length_unit,
                    coordinate_unit=coordinate_unit, dip_convention=dip_convention,
                    on_problem=on_problem, default_dip=default_dip,
                    default_azimuth=default_azimuth,
                    duplicate_tolerance_m=duplicate_tolerance_m, stacklevel=3)


def _per_file(value: Any, table: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(table, value.get("assays") if table == "intervals" else None)
    return value


def read_drillholes(
    collars_path: str | os.PathLike[str],
    surveys_path: str | os.PathLike[str],
    intervals_path: str | os.PathLike[str] | None = None,
    *,
    delimiter: str | Mapping[str, str] | None = None,
    decimal: str | Mapping[str, str] | None = None,
    encoding: str | Mapping[str, str] | None = None,
    mapping: Mapping[str, Any] | None = None,
    length_unit: str | None = None,
    coordinate_unit: str | None = None,
    dip_convention: str = "auto",
    on_problem: str = "report",
    default_dip: float | None = None,
    default_azimuth: float = 0.0,
    duplicate_tolerance_m: float = 0.01,
) -> tuple[Drillholes, ImportReport]:
    """
    Read collar, survey and interval files and prepare the drillholes.

    :func:`read_table` on each file, then :func:`prepare_drillholes`.

    Parameters
    ----------
    collars_path, surveys_path : str or os.PathLike
        The collar and survey files.
    intervals_path : str or os.PathLike, optional
        The interval (assay) file; its grade columns must be numbers (clean
        below-detection codes first, or read the tables with :func:`read_table`, clean
        them and call :func:`prepare_drillholes`).
    delimiter, decimal, encoding : str or mapping, optional
        As in :func:`read_table`, for every file, or per table
        (``{"collars": ";", "intervals": ","}``).
    mapping, length_unit, coordinate_unit, dip_convention, on_problem, default_dip, \
default_azimuth, duplicate_tolerance_m
        As in :func:`prepare_drillholes` (units: m for lengths, degrees for angles).

    Returns
    -------
    drillholes : Drillholes
        The validated holes.
    report : ImportReport
        The steps, with the delimiter, encoding and decimal mark used per file.

    Raises
    ------
    InputError
        See :func:`read_table` and :func:`prepare_drillholes`.
    DrillholeError
        With ``on_problem="raise"``, when validation finds errors.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from raremin.readers import read_drillholes
    >>> files = {"c.csv": "hole;x;y;z\\nA;10,5;20;100\\n",
    ...          "s.csv": "hole;depth;azimuth;dip\\nA;0;0;-90\\n",
    ...          "a.csv": "hole;from;to;la_ppm\\nA;0;2,5;410\\n"}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for name, text in files.items():
    ...         _ = (Path(folder) / name).write_text(text)
    ...     holes, report = read_drillholes(*(Path(folder) / n for n in files))
    >>> holes.collars[["easting_m", "length_m"]].values.tolist()
    [[10.5, 2.5]]
    >>> report.files["collars"]["delimiter"], report.files["collars"]["decimal"]
    (';', ',')
    """
    frames: dict[str, pd.DataFrame | None] = {}
    for table, path in (("collars", collars_path), ("surveys", surveys_path),
                        ("intervals", intervals_path)):
        if path is None:
            frames[table] = None
            continue
        frames[table] = read_table(path, delimiter=_per_file(delimiter, table),
                                   decimal=_per_file(decimal, table),
                                   encoding=_per_file(encoding, table), what=table)
    return _prepare(frames["collars"], frames["surveys"], frames["intervals"],
                    mapping=mapping, length_unit=length_unit,
                    coordinate_unit=coordinate_unit, dip_convention=dip_convention,
                    on_problem=on_problem, default_dip=default_dip,
                    default_azimuth=default_azimuth,
                    duplicate_tolerance_m=duplicate_tolerance_m, stacklevel=3)
