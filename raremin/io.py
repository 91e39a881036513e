"""
Reading and writing simplified Geo-EAS (GSLIB) data files.

The format GSLIB programs read and write is plain text:

1. a title line;
2. the number of columns ``k``;
3. ``k`` lines, one column name each (a name may contain spaces);
4. the data, one row per line, ``k`` numbers separated by white space.

:func:`read_geoeas` returns a :class:`pandas.DataFrame` of floats with the title in
``frame.attrs["title"]``; :func:`write_geoeas` writes one back.

Missing values
--------------
GSLIB files have no NaN: they mark missing values with a code, usually a large
negative or positive number such as ``-999``, ``-99`` or ``1e21`` (GSLIB programs
trim values outside ``[tmin, tmax]``, by default ``[-1e21, 1e21]``). :func:`read_geoeas`
keeps every code as it is written unless you list the codes in ``missing=``; those
become NaN. :func:`write_geoeas` writes NaN as ``-999`` (``missing=`` chooses the code).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import pandas as pd
>>> from raremin.io import read_geoeas, write_geoeas
>>> frame = pd.DataFrame({"easting_m": [0.5, 10.5], "treo_ppm": [1200.0, -999.0]})
>>> with tempfile.TemporaryDirectory() as folder:
...     path = write_geoeas(frame, Path(folder) / "holes.dat", title="Two samples")
...     back = read_geoeas(path, missing=[-999])
>>> back.attrs["title"]
'Two samples'
>>> back
   easting_m  treo_ppm
0        0.5    1200.0
1       10.5       NaN
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["read_geoeas", "write_geoeas"]


def _missing_codes(missing: Any) -> np.ndarray:
    """The missing-value codes as a 1-D float array (empty when None)."""
    if missing is None:
        return np.empty(0)
    codes = np.atleast_1d(np.asarray(missing, dtype=object)).ravel()
    try:
        values = codes.astype(float)
    except (TypeError, ValueError):
        raise InputError(
            f"missing must be a number or a sequence of numbers (codes such as -999 or "
            f"1e21); got {missing!r}"
        ) from None
    if np.isnan(values).any():
        raise InputError(f"missing codes must be numbers, not NaN; got {missing!r}")
    return values


def read_geoeas(path: str | os.PathLike[str], *, missing: Any = None) -> pd.DataFrame:
    """
    Read a simplified Geo-EAS (GSLIB) data file into a DataFrame.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    missing : float or sequence of float, optional
        Missing-value codes to turn into NaN (exact matches), for example ``-999`` or
        ``[-999, 1e21]``. By default every value is kept as written: GSLIB codes such
        as ``-999``, ``-99`` or ``1e21`` stay numbers until you name them here.

    Returns
    -------
    pandas.DataFrame
        One float column per variable, named as in the file (surrounding blanks
        removed), one row per data line; the title line is in ``frame.attrs["title"]``.

    Raises
    ------
    InputError
        The file does not follow the format: no title or column count, fewer name
        lines than columns, a row with the wrong number of values, or text where a
        number is expected. The message names the line.
    FileNotFoundError
        The file does not exist.

    Notes
    -----
    The format is described with GSLIB (Deutsch and Journel, 1998, section II.1.1):
    title line, number of variables ``k``, ``k`` name lines, then rows of ``k``
    numbers in free format. Blank lines in the data part are skipped. Column names
    must be unique.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from raremin.io import read_geoeas
    >>> text = "Drill samples\\n3\\nX\\nY\\nGrade ppm\\n1 2 300\\n4 5 -999\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "s.dat"
    ...     _ = path.write_text(text)
    ...     frame = read_geoeas(path)
    >>> list(frame.columns), frame.attrs["title"]
    (['X', 'Y', 'Grade ppm'], 'Drill samples')
    >>> frame["Grade ppm"].tolist()
    [300.0, -999.0]
    """
    path = Path(path)
    codes = _missing_codes(missing)
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    if len(lines) < 2:
        raise InputError(
            f"{path} is not a Geo-EAS file: it needs a title line and a line with the "
            f"number of columns; it has {len(lines)} line(s)"
        )
    title = lines[0].strip()
    count_text = lines[1].split()
    try:
        ncol = int(count_text[0]) if count_text else -1
    except ValueError:
        ncol = -1
    if ncol < 1:
        raise InputError(
            f"{path}, line 2: expected the number of columns (an integer >= 1); got "
            f"{lines[1]!r}"
        )
    if len(lines) < 2 + ncol:
        raise InputError(
            f"{path}: line 2 announces {ncol} column(s) but only {len(lines) - 2} name "
            f"line(s) follow"
        )
    names = [line.strip() for line in lines[2:2 + ncol]]
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise InputError(f"{path}: column names must be unique; repeated: {repeated}")

    first = 2 + ncol
    rows: list[list[str]] = []
    for number, line in enumerate(lines[first:], start=first + 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != ncol:
            raise InputError(
                f"{path}, line {number}: expected {ncol} values, found {len(fields)}: "
                f"{line.strip()!r}"
            )
        rows.append(fields)
    try:
        data = np.array(rows, dtype=float).reshape(len(rows), ncol)
    except ValueError:
        for number, fields in enumerate(rows):
            for field in fields:
                try:
                    float(field)
                except ValueError:
                    raise InputError(
                        f"{path}: value {field!r} in data row {number + 1} is not a "
                        f"number; Geo-EAS data are numeric (code text as numbers)"
                    ) from None
        raise  # pragma: no cover - every failing field is reported above
    if codes.size:
        data[np.isin(data, codes)] = np.nan
    frame = pd.DataFrame(data, columns=names)
    frame.attrs["title"] = title
    return frame


def _check_name(text: str, what: str) -> str:
    if "\n" in text or "\r" in text:
        raise InputError(f"{what} must fit on one line; got {text!r}")
    return text


def write_geoeas(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str = "",
    *,
    missing: float = -999.0,
) -> Path:
    """
    Write a DataFrame of numbers as a simplified Geo-EAS (GSLIB) data file.

    Parameters
    ----------
    frame : pandas.DataFrame
        Numeric columns (bool and integer columns are written as numbers). The
        index is not written.
    path : str or os.PathLike
        File to write; it is replaced if it exists.
    title : str, default ""
        Title line; when empty, ``frame.attrs["title"]`` is used if present.
    missing : float, default -999.0
        Code written in place of NaN (GSLIB files have no NaN).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        A non-numeric column, an infinite value, a column name or title spanning
        several lines, an empty or blank column name, or a NaN `missing` code.

    Notes
    -----
    Numbers are written with the shortest text that reads back to the same float,
    so :func:`read_geoeas` returns the values exactly.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from raremin.io import write_geoeas
    >>> frame = pd.DataFrame({"x_m": [1.5, 2.0], "nd_ppm": [310.0, float("nan")]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_geoeas(frame, Path(folder) / "out.dat", title="Nd")
    ...     lines = path.read_text().splitlines()
    >>> lines
    ['Nd', '2', 'x_m', 'nd_ppm', '1.5 310.0', '2.0 -999.0']
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    if frame.shape[1] == 0:
        raise InputError("frame has no columns; a Geo-EAS file needs at least one")
    code = float(missing)
    if not np.isfinite(code):
        raise InputError(f"missing must be a finite number such as -999; got {missing!r}")
    title = str(title or frame.attrs.get("title", ""))
    _check_name(title, "title")
    names = [str(name).strip() for name in frame.columns]
    for raw, name in zip(frame.columns, names, strict=True):
        _check_name(str(raw), "column names")
        if not name:
            raise InputError(f"column name {raw!r} is blank; give every column a name")
    columns: list[np.ndarray] = []
    for name in frame.columns:
        series = frame[name]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise InputError(
                f"column {name!r} is not numeric (dtype {series.dtype}); Geo-EAS files "
                f"hold numbers only: encode text as integer codes first"
            )
        values = series.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(values).any():
            raise InputError(f"column {name!r} holds infinite values; replace them first")
        columns.append(values)
    data = pd.DataFrame(
        {k: np.where(np.isnan(col), code, col) for k, col in enumerate(columns)}
    )
    path = Path(path)
    header = "\n".join([title, str(len(names)), *names]) + "\n"
    body = data.to_csv(sep=" ", header=False, index=False, lineterminator="\n")
    path.write_text(header + body, encoding="utf-8")
    return path

