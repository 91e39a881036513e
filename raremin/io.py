"""
Reading and writing simplified Geo-EAS (GSLIB) data files.

The format GSLIB programs read and write is plain text:

1. a title line;
2. the number of columns ``k``, alone or followed by a grid description (below);
3. ``k`` lines, one column name each (a name may contain spaces);
4. the data, one row per line, ``k`` numbers separated by spaces or tabs.

:func:`read_geoeas` returns a :class:`pandas.DataFrame` of floats with the title in
``frame.attrs["title"]`` and the grid, if the file has one, in ``frame.attrs["grid"]``
(a :class:`GeoEASGrid`, else None); :func:`write_geoeas` writes one back.

Grid files
----------
GSLIB programs that write a regular grid (``sgsim``, ``kt3d``, ...) may put the grid
after the column count on line 2, in one of these layouts (white space separated):

- ``k nx ny nz``;
- ``k nx ny nz xmn ymn zmn xsiz ysiz zsiz``;
- ``k nx ny nz xmn ymn zmn xsiz ysiz zsiz nsim`` (as ``sgsim`` and ``kt3d`` of GSLIB
  2.9 write it).

Rows then run over the grid nodes with x fastest, then y, then z, then realisation
(Deutsch and Journel, 1998, section II.1): :meth:`GeoEASGrid.reshape` turns a column
into an array of shape ``(n_realisations, nx, ny, nz)``. The title line is kept as it
is and never parsed.

Missing values
--------------
GSLIB files have no NaN: they mark missing values with a code, usually a large
negative or positive number such as ``-999``, ``-99`` or ``1e21`` (GSLIB programs
trim values outside ``[tmin, tmax]``, by default ``[-1e21, 1e21]``). :func:`read_geoeas`
keeps every code as it is written unless you list the codes in ``missing=`` or give
trimming limits in ``trim=``; those become NaN, counted per column in
``frame.attrs["n_missing"]``. :func:`write_geoeas` writes NaN as ``-999`` (``missing=``
chooses the code), so a file written with code ``c`` reads back with ``missing=c``.

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
>>> back.attrs["n_missing"]
{'easting_m': 0, 'treo_ppm': 1}
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import InputError

if TYPE_CHECKING:
    from .grid import BlockGrid

__all__ = ["GeoEASGrid", "read_geoeas", "write_geoeas"]

#: Texts read as NaN in the data part (no other text is accepted as a number).
_NAN_TEXTS = ["nan", "NaN", "NAN", "-nan", "-NaN"]

#: A Fortran double-precision exponent (``1.5D+03``) inside a number.
_FORTRAN_EXPONENT = re.compile(rb"(?<=[0-9.])[dD](?=[+-]?[0-9])")

#: Accepted layouts of line 2, by number of fields.
_COUNT_LAYOUTS = {
    1: "k",
    4: "k nx ny nz",
    10: "k nx ny nz xmn ymn zmn xsiz ysiz zsiz",
    11: "k nx ny nz xmn ymn zmn xsiz ysiz zsiz nsim",
}


def _three(values: Any, what: str, *, positive: bool) -> tuple[float, float, float]:
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{what} must be three numbers (x, y, z); got {values!r}") from None
    if arr.size != 3 or not np.all(np.isfinite(arr)) or (positive and np.any(arr <= 0)):
        kind = "positive finite" if positive else "finite"
        raise InputError(f"{what} must be three {kind} numbers (x, y, z); got {values!r}")
    return (float(arr[0]), float(arr[1]), float(arr[2]))


def _count(value: Any, what: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (np.isfinite(number) and number == int(number) and number >= 1):
        raise InputError(f"{what} must be a whole number >= 1; got {value!r}")
    return int(number)


@dataclasses.dataclass(frozen=True)
class GeoEASGrid:
    """
    The regular grid of a GSLIB grid file (line 2 of ``sgsim`` or ``kt3d`` output).

    Parameters
    ----------
    shape : sequence of int
        Nodes along each axis ``(nx, ny, nz)``; ``(nx, ny)`` means ``nz = 1``.
    min_centre : sequence of float, optional
        GSLIB ``xmn, ymn, zmn``: the centre of the first cell (not its corner).
        Units: those of the coordinates (m for raremin grids). Give it with
        `cell_size`, or neither (a file that states only ``nx ny nz``).
    cell_size : sequence of float, optional
        GSLIB ``xsiz, ysiz, zsiz``, all > 0. Units: as `min_centre`.
    n_realisations : int, default 1
        Number of realisations stored one after another (GSLIB ``nsim``).

    Raises
    ------
    InputError
        A count that is not a whole number >= 1, a non-finite centre, a size <= 0, or
        only one of `min_centre` and `cell_size`.

    Notes
    -----
    GSLIB numbers nodes with x fastest, then y, then z, then realisation (Deutsch and
    Journel, 1998, *GSLIB: Geostatistical Software Library and User's Guide*, 2nd ed.,
    section II.1): row ``ix + nx * (iy + ny * (iz + nz * isim))`` (0-based) of a file
    holds node ``(ix, iy, iz)`` of realisation ``isim``, the same order as
    :class:`raremin.grid.BlockGrid`. GSLIB's ``xmn`` is the centre of the first cell
    where :class:`~raremin.grid.BlockGrid` keeps the minimum corner, so
    ``BlockGrid.origin = min_centre - cell_size / 2`` (see :meth:`to_block_grid`).

    Examples
    --------
    >>> from raremin.io import GeoEASGrid
    >>> g = GeoEASGrid((3, 2, 1), (0.5, 0.5, 0.5), (1.0, 1.0, 1.0), n_realisations=2)
    >>> g.n_nodes, g.n_rows
    (6, 12)
    """

    shape: tuple[int, int, int]
    min_centre: tuple[float, float, float] | None = None
    cell_size: tuple[float, float, float] | None = None
    n_realisations: int = 1

    def __post_init__(self) -> None:
        raw = self.shape
        shape = tuple(np.atleast_1d(np.asarray(raw, dtype=object)).ravel())
        if len(shape) == 2:
            shape = (*shape, 1)
        if len(shape) != 3:
            raise InputError(f"grid shape must be (nx, ny) or (nx, ny, nz); got {raw!r}")
        counts = tuple(_count(n, f"grid n{axis}") for n, axis in zip(shape, "xyz", strict=True))
        object.__setattr__(self, "shape", counts)
        if (self.min_centre is None) != (self.cell_size is None):
            raise InputError(
                "give both min_centre (xmn, ymn, zmn) and cell_size (xsiz, ysiz, zsiz), or "
                f"neither; got min_centre={self.min_centre!r}, cell_size={self.cell_size!r}"
            )
        if self.min_centre is not None:
            object.__setattr__(self, "min_centre",
                               _three(self.min_centre, "min_centre", positive=False))
            object.__setattr__(self, "cell_size",
                               _three(self.cell_size, "cell_size", positive=True))
        object.__setattr__(self, "n_realisations",
                           _count(self.n_realisations, "n_realisations"))

    @property
    def n_nodes(self) -> int:
        """
        Nodes in one realisation, ``nx * ny * nz``.

        Examples
        --------
        >>> from raremin.io import GeoEASGrid
        >>> GeoEASGrid((4, 3, 2)).n_nodes
        24
        """
        nx, ny, nz = self.shape
        return nx * ny * nz

    @property
    def n_rows(self) -> int:
        """
        Data rows of the file, ``n_nodes * n_realisations``.

        Examples
        --------
        >>> from raremin.io import GeoEASGrid
        >>> GeoEASGrid((4, 3, 2), n_realisations=5).n_rows
        120
        """
        return self.n_nodes * self.n_realisations

    def reshape(self, values: Any) -> np.ndarray:
        """
        One column of a grid file as an array ``(n_realisations, nx, ny, nz)``.

        Parameters
        ----------
        values : array-like or pandas.Series
            ``n_rows`` values in file order (x fastest, then y, z, realisation).

        Returns
        -------
        numpy.ndarray
            ``out[r, ix, iy, iz]`` is node ``(ix, iy, iz)`` of realisation ``r``; a view
            of `values` when they are a contiguous array.

        Raises
        ------
        InputError
            `values` is not 1-D with ``n_rows`` entries.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.io import GeoEASGrid
        >>> cube = GeoEASGrid((3, 2, 1)).reshape(np.arange(6.0))
        >>> cube.shape
        (1, 3, 2, 1)
        >>> cube[0, :, :, 0]
        array([[0., 3.],
               [1., 4.],
               [2., 5.]])
        """
        arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
        if arr.ndim != 1 or arr.size != self.n_rows:
            raise InputError(
                f"values must be 1-D with {self.n_rows} entries ({self.n_realisations} "
                f"realisation(s) x {self.n_nodes} nodes); got shape {arr.shape}"
            )
        nx, ny, nz = self.shape
        return arr.reshape(self.n_realisations, nz, ny, nx).transpose(0, 3, 2, 1)

    def flatten(self, array: Any) -> np.ndarray:
        """
        An array ``(n_realisations, nx, ny, nz)`` (or ``(nx, ny, nz)``) in file order.

        The inverse of :meth:`reshape`: the column to put in a frame for
        :func:`write_geoeas`.

        Parameters
        ----------
        array : array-like
            Shape ``(n_realisations, nx, ny, nz)``, or ``(nx, ny, nz)`` for one
            realisation.

        Returns
        -------
        numpy.ndarray
            1-D, ``n_rows`` values, x fastest, then y, z, realisation.

        Raises
        ------
        InputError
            `array` does not have the grid's shape.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.io import GeoEASGrid
        >>> g = GeoEASGrid((3, 2, 1))
        >>> g.flatten(g.reshape(np.arange(6.0))).tolist()
        [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        """
        arr = np.asarray(array)
        full = (self.n_realisations, *self.shape)
        if arr.shape == self.shape and self.n_realisations == 1:
            arr = arr[None]
        if arr.shape != full:
            raise InputError(f"array must have shape {full} (n_realisations, nx, ny, nz); "
                             f"got {arr.shape}")
        return arr.transpose(0, 3, 2, 1).ravel()

    def to_block_grid(self, *, ndim: int = 3, crs: Any = None) -> BlockGrid:
        """
        The :class:`raremin.grid.BlockGrid` of the same cells.

        Parameters
        ----------
        ndim : {3, 2}, default 3
            2 drops the z axis (needs ``nz == 1``).
        crs : pyproj CRS or anything pyproj accepts, optional
            Projected CRS of the coordinates (GSLIB files carry none).

        Returns
        -------
        raremin.grid.BlockGrid
            Origin ``min_centre - cell_size / 2`` (the minimum corner), block size
            ``cell_size``, shape ``(nx, ny[, nz])``.

        Raises
        ------
        InputError
            The grid has no `min_centre`/`cell_size`, `ndim` is not 2 or 3, or
            ``ndim=2`` with ``nz > 1``.

        Examples
        --------
        >>> from raremin.io import GeoEASGrid
        >>> g = GeoEASGrid((50, 50, 1), (0.5, 0.5, 0.5), (1.0, 1.0, 1.0))
        >>> b = g.to_block_grid()
        >>> b.origin, b.block_size, b.shape
        ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (50, 50, 1))
        """
        from .grid import BlockGrid

        if self.min_centre is None or self.cell_size is None:
            raise InputError(
                f"grid {self.shape} has no min_centre/cell_size (the file gave only nx ny "
                f"nz); build the GeoEASGrid with both to make a BlockGrid"
            )
        if ndim not in (2, 3) or (ndim == 2 and self.shape[2] != 1):
            raise InputError(f"ndim must be 3, or 2 for a grid with nz = 1; got ndim={ndim!r} "
                             f"for shape {self.shape}")
        centre = np.asarray(self.min_centre)
        size = np.asarray(self.cell_size)
        corner = centre - size / 2.0
        return BlockGrid(tuple(corner[:ndim]), tuple(size[:ndim]), self.shape[:ndim], crs=crs)

    @classmethod
    def from_block_grid(cls, grid: BlockGrid, n_realisations: int = 1) -> GeoEASGrid:
        """
        The GSLIB description of a :class:`raremin.grid.BlockGrid`.

        Parameters
        ----------
        grid : raremin.grid.BlockGrid
            A 2D or 3D grid; a 2D grid becomes one layer with ``zmn = 0.5`` and
            ``zsiz = 1`` (as GSLIB's 2D examples).
        n_realisations : int, default 1
            Realisations the file will hold.

        Returns
        -------
        GeoEASGrid
            ``min_centre = origin + block_size / 2`` (the first block's centre).

        Raises
        ------
        InputError
            `grid` is not a BlockGrid.

        Examples
        --------
        >>> from raremin.grid import BlockGrid
        >>> from raremin.io import GeoEASGrid
        >>> g = GeoEASGrid.from_block_grid(BlockGrid((100, 200, 0), (10, 10, 5), (4, 3, 2)))
        >>> g.shape, g.min_centre, g.cell_size
        ((4, 3, 2), (105.0, 205.0, 2.5), (10.0, 10.0, 5.0))
        """
        from .grid import BlockGrid

        if not isinstance(grid, BlockGrid):
            raise InputError(f"grid must be a raremin BlockGrid; got {type(grid).__name__}")
        origin = list(grid.origin)
        size = list(grid.block_size)
        shape = list(grid.shape)
        if grid.ndim == 2:
            origin, size, shape = [*origin, 0.0], [*size, 1.0], [*shape, 1]
        centre = np.asarray(origin) + np.asarray(size) / 2.0
        nx, ny, nz = (int(v) for v in shape)
        cx, cy, cz = (float(v) for v in centre)
        sx, sy, sz = (float(v) for v in size)
        return cls((nx, ny, nz), (cx, cy, cz), (sx, sy, sz), n_realisations)


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


def _trim_limits(trim: Any) -> tuple[float, float] | None:
    if trim is None:
        return None
    try:
        low, high = (float(v) for v in trim)
    except (TypeError, ValueError):
        raise InputError(
            f"trim must be two numbers (tmin, tmax) such as (-998, 1e21); got {trim!r}"
        ) from None
    if np.isnan(low) or np.isnan(high) or not low < high:
        raise InputError(f"trim must be (tmin, tmax) with tmin < tmax; got {trim!r}")
    return low, high


def _line_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _parse_count_line(path: Path, text: str) -> tuple[int, GeoEASGrid | None, int | None]:
    """Column count, grid (or None) and the stated nsim (or None) from line 2."""
    fields = text.split()
    if not fields:
        raise InputError(f"{path}, line 2: expected the number of columns (an integer >= 1); "
                         f"got {text!r}")
    try:
        ncol = int(fields[0])
    except ValueError:
        ncol = -1
    if ncol < 1:
        raise InputError(f"{path}, line 2: expected the number of columns (an integer >= 1); "
                         f"got {fields[0]!r} in {text!r}")
    if len(fields) == 1:
        return ncol, None, None
    if len(fields) not in _COUNT_LAYOUTS:
        layouts = "; ".join(f"'{v}'" for v in _COUNT_LAYOUTS.values())
        raise InputError(
            f"{path}, line 2: {len(fields)} fields in {text!r}; a Geo-EAS count line is one "
            f"of {layouts}. Fix the line (keep only the column count to read it as plain "
            f"data)"
        )
    names = _COUNT_LAYOUTS[len(fields)].split()
    raw = dict(zip(names, fields, strict=True))
    numbers: dict[str, float] = {}
    for name, field in list(raw.items())[1:]:
        try:
            numbers[name] = float(field.replace("D", "E").replace("d", "e"))
        except ValueError:
            raise InputError(f"{path}, line 2: {name} = {field!r} is not a number "
                             f"(layout {_COUNT_LAYOUTS[len(fields)]!r})") from None
    try:
        shape: Any = (raw["nx"], raw["ny"], raw["nz"])  # checked by GeoEASGrid
        centre: Any = None
        size: Any = None
        if "xmn" in numbers:
            centre = (numbers["xmn"], numbers["ymn"], numbers["zmn"])
            size = (numbers["xsiz"], numbers["ysiz"], numbers["zsiz"])
        nsim = _count(raw["nsim"], "nsim") if "nsim" in raw else None
        grid = GeoEASGrid(shape, centre, size, nsim or 1)
    except InputError as err:
        raise InputError(f"{path}, line 2 ({text.strip()!r}): {err}") from None
    return ncol, grid, nsim


def _read_header(handle: IO[bytes], path: Path) -> tuple[str, int, GeoEASGrid | None,
                                                          int | None, list[str], bool]:
    """Title, column count, grid, stated nsim, names, and whether lines end plainly."""
    title_raw = handle.readline()
    count_raw = handle.readline()
    if not count_raw:
        n_lines = int(bool(title_raw))
        raise InputError(
            f"{path} is not a Geo-EAS file: it needs a title line and a line with the "
            f"number of columns; it has {n_lines} line(s)"
        )
    title = _line_text(title_raw).lstrip("\ufeff").strip()
    ncol, grid, nsim = _parse_count_line(path, _line_text(count_raw))
    names: list[str] = []
    plain = b"\r" not in title_raw.rstrip(b"\r\n") + count_raw.rstrip(b"\r\n")
    for _ in range(ncol):
        raw = handle.readline()
        if not raw:
            raise InputError(
                f"{path}: line 2 announces {ncol} column(s) but only {len(names)} name "
                f"line(s) follow"
            )
        plain = plain and b"\r" not in raw.rstrip(b"\r\n")
        names.append(_line_text(raw).strip())
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise InputError(f"{path}: column names must be unique; repeated: {repeated}")
    return title, ncol, grid, nsim, names, plain


def _read_block(source: Any, ncol: int, skiprows: int = 0) -> pd.DataFrame:
    """The data block as floats (one C-parser pass); ValueError on any bad row."""
    try:
        frame = pd.read_csv(
            source, skiprows=skiprows, sep=r"\s+", header=None, engine="c", dtype=np.float64,
            keep_default_na=False, na_values=_NAN_TEXTS, quoting=csv.QUOTE_NONE,
            encoding="utf-8", encoding_errors="replace",
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(np.empty((0, ncol)))
    if frame.shape[1] != ncol:
        raise ValueError(f"{frame.shape[1]} columns")
    return frame


def _diagnose(path: Path, data: bytes, first_line: int, names: list[str],
              detail: str) -> InputError:
    """The first bad row of the data block (only run once a fast read has failed)."""
    ncol = len(names)
    for number, raw in enumerate(data.splitlines(), start=first_line):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != ncol:
            return InputError(
                f"{path}, line {number}: expected {ncol} values, found {len(fields)}: "
                f"{_line_text(raw).strip()!r}"
            )
        for name, field in zip(names, fields, strict=True):
            text = field.decode("utf-8", errors="replace")
            try:
                float(text)
            except ValueError:
                return InputError(
                    f"{path}, line {number}: value {text!r} (column {name!r}) is not a "
                    f"number; Geo-EAS data are numeric (code text as numbers)"
                )
    return InputError(f"{path}: the data could not be read as numbers ({detail})")


def read_geoeas(
    path: str | os.PathLike[str],
    *,
    missing: Any = None,
    trim: tuple[float, float] | None = None,
) -> pd.DataFrame:
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
    trim : (float, float), optional
        GSLIB trimming limits ``(tmin, tmax)``: values ``< tmin`` or ``>= tmax`` become
        NaN, in every column. Units: those of the data.

    Returns
    -------
    pandas.DataFrame
        One float column per variable, named as in the file (surrounding blanks
        removed), one row per data line. ``frame.attrs`` holds ``"title"`` (line 1),
        ``"grid"`` (a :class:`GeoEASGrid` when line 2 describes a grid, else None) and
        ``"n_missing"`` (per column, the values turned into NaN by `missing`/`trim`).

    Raises
    ------
    InputError
        The file does not follow the format: no title or column count, a count line
        that is not a known layout or holds text, fewer name lines than columns,
        repeated names, a row with the wrong number of values, text where a number is
        expected, or a row count that does not fill the grid. The message names the
        line and the value.
    FileNotFoundError
        The file does not exist.

    Notes
    -----
    The format is described with GSLIB (Deutsch and Journel, 1998, section II.1.1):
    title line, number of variables ``k``, ``k`` name lines, then rows of ``k``
    numbers in free format. Grid files may add ``nx ny nz`` (and ``xmn ymn zmn xsiz
    ysiz zsiz nsim``) after ``k`` on line 2 (see the module docstring); without
    ``nsim`` the number of realisations is rows / ``(nx ny nz)``.

    The header is read line by line and the data block in one pass of pandas' C
    parser (fields split on any run of spaces or tabs; blank lines skipped; ``nan``
    read as NaN). Only when that pass fails are the lines scanned again, to read
    Fortran ``D`` exponents (``1.5D+03``) or to name the first bad line.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from raremin.io import read_geoeas
    >>> text = "Drill samples\\n3\\nX\\nY\\nGrade ppm\\n1 2 300\\n4\\t5  -999\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "s.dat"
    ...     _ = path.write_text(text)
    ...     frame = read_geoeas(path)
    ...     clean = read_geoeas(path, missing=-999)
    >>> list(frame.columns), frame.attrs["title"], frame.attrs["grid"]
    (['X', 'Y', 'Grade ppm'], 'Drill samples', None)
    >>> frame["Grade ppm"].tolist(), clean["Grade ppm"].tolist()
    ([300.0, -999.0], [300.0, nan])

    A grid file (``kt3d``-style line 2):

    >>> text = "Estimates\\n1 2 2 1 0.5 0.5 0.5 1.0 1.0 1.0 1\\nvalue\\n1\\n2\\n3\\n4\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "kt3d.out"
    ...     _ = path.write_text(text)
    ...     grid_frame = read_geoeas(path)
    >>> grid = grid_frame.attrs["grid"]
    >>> grid.shape, grid.min_centre, grid.n_realisations
    ((2, 2, 1), (0.5, 0.5, 0.5), 1)
    >>> grid.reshape(grid_frame["value"])[0, :, :, 0]
    array([[1., 3.],
           [2., 4.]])
    """
    path = Path(path)
    codes = _missing_codes(missing)
    limits = _trim_limits(trim)
    with path.open("rb") as handle:
        title, ncol, grid, nsim, names, plain = _read_header(handle, path)
        start = handle.tell()
        try:
            # pandas reads a path in C, ~1.7x faster than from a Python handle; skiprows
            # counts the same lines as readline unless a header line holds a lone CR
            frame = (_read_block(path, ncol, skiprows=2 + ncol) if plain
                     else _read_block(handle, ncol))
        except ValueError as err:
            handle.seek(start)
            data = handle.read()
            fixed = _FORTRAN_EXPONENT.sub(b"E", data)
            frame = None
            if fixed != data:
                try:
                    frame = _read_block(io.BytesIO(fixed), ncol)
                except ValueError:
                    pass
            if frame is None:
                raise _diagnose(path, fixed, 3 + ncol, names, str(err)) from None
    frame.columns = pd.Index(names)

    if grid is not None:
        nodes = grid.n_nodes
        rows = len(frame)
        if nsim is None and rows % nodes == 0 and rows > 0:
            grid = dataclasses.replace(grid, n_realisations=rows // nodes)
        if rows != grid.n_rows:
            stated = f"nsim = {nsim}" if nsim is not None else "no nsim"
            raise InputError(
                f"{path}: line 2 describes a {grid.shape[0]} x {grid.shape[1]} x "
                f"{grid.shape[2]} grid ({nodes} nodes, {stated}), so the data should have "
                f"{grid.n_rows if nsim is not None else f'{nodes} x n (n >= 1)'} rows; it "
                f"has {rows}. The file may be truncated; keep only the column count on "
                f"line 2 to read it as plain data"
            )

    counts = dict.fromkeys(names, 0)
    if codes.size or limits is not None:
        values = frame.to_numpy(dtype=np.float64, copy=True)
        drop = np.zeros(values.shape, dtype=bool)
        for code in codes:  # a few codes: one vectorised comparison each
            drop |= values == code
        if limits is not None:
            drop |= (values < limits[0]) | (values >= limits[1])
        values[drop] = np.nan
        counts = dict(zip(names, (int(n) for n in drop.sum(axis=0)), strict=True))
        frame = pd.DataFrame(values, columns=pd.Index(names), copy=False)
    frame.attrs["title"] = title
    frame.attrs["grid"] = grid
    frame.attrs["n_missing"] = counts
    return frame


def _check_name(text: str, what: str) -> str:
    if "\n" in text or "\r" in text:
        raise InputError(f"{what} must fit on one line; got {text!r}")
    return text


def _grid_for(frame: pd.DataFrame, grid: Any) -> GeoEASGrid | None:
    """The grid to write: given, from ``frame.attrs``, or None; checked against the rows."""
    from .grid import BlockGrid

    from_attrs = grid is None
    if from_attrs:
        grid = frame.attrs.get("grid")
    if grid is None or grid is False:
        return None
    rows = len(frame)
    if isinstance(grid, BlockGrid):
        nodes = grid.n_blocks
        if rows == 0 or rows % nodes:
            raise InputError(
                f"frame has {rows} rows, not a multiple of the grid's {nodes} blocks "
                f"{grid.shape}; a grid file holds whole realisations of the grid"
            )
        return GeoEASGrid.from_block_grid(grid, rows // nodes)
    if not isinstance(grid, GeoEASGrid):
        raise InputError(
            f"grid must be a GeoEASGrid, a BlockGrid, None or False; got {type(grid).__name__}"
        )
    if rows != grid.n_rows:
        source = "frame.attrs['grid']" if from_attrs else "grid"
        raise InputError(
            f"frame has {rows} rows but {source} holds {grid.n_realisations} realisation(s) "
            f"x {grid.n_nodes} nodes = {grid.n_rows}; pass the matching grid, or grid=False "
            f"to write a plain file without one"
        )
    return grid


def _count_line(ncol: int, grid: GeoEASGrid | None) -> str:
    if grid is None:
        return str(ncol)
    fields: list[float] = [ncol, *grid.shape]
    if grid.min_centre is not None and grid.cell_size is not None:
        fields += [*grid.min_centre, *grid.cell_size, grid.n_realisations]
    return " ".join(repr(v) for v in fields)


def write_geoeas(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str = "",
    *,
    missing: float = -999.0,
    grid: GeoEASGrid | BlockGrid | bool | None = None,
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
    grid : GeoEASGrid, raremin.grid.BlockGrid, None or False, default None
        Grid written on line 2 (``k nx ny nz xmn ymn zmn xsiz ysiz zsiz nsim``, or
        ``k nx ny nz`` for a grid without centre and size). None uses
        ``frame.attrs["grid"]`` if present (so a grid file read by :func:`read_geoeas`
        is written back with its grid); False writes no grid. The rows must be the
        grid's nodes in GSLIB order (:meth:`GeoEASGrid.flatten`); a BlockGrid's
        realisation count is rows / blocks.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        A non-numeric column, an infinite value, a column name or title spanning
        several lines, an empty or blank column name, a NaN `missing` code, or a
        row count that does not match the grid.

    Warns
    -----
    UserWarning
        The frame holds NaN and also values equal to the `missing` code: both read
        back alike.

    Notes
    -----
    Numbers are written with the shortest text that reads back to the same float,
    so :func:`read_geoeas` returns the values (and the grid) exactly.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from raremin.io import GeoEASGrid, write_geoeas
    >>> frame = pd.DataFrame({"x_m": [1.5, 2.0], "nd_ppm": [310.0, float("nan")]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_geoeas(frame, Path(folder) / "out.dat", title="Nd")
    ...     lines = path.read_text().splitlines()
    >>> lines
    ['Nd', '2', 'x_m', 'nd_ppm', '1.5 310.0', '2.0 -999.0']
    >>> grid = GeoEASGrid((2, 1, 1), (0.5, 0.5, 0.5), (1.0, 1.0, 1.0))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_geoeas(frame, Path(folder) / "g.out", title="Nd", grid=grid)
    ...     line_2 = path.read_text().splitlines()[1]
    >>> line_2
    '2 2 1 1 0.5 0.5 0.5 1.0 1.0 1.0 1'
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
    the_grid = _grid_for(frame, grid)
    columns: list[np.ndarray] = []
    n_nan = n_code = 0
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
        nan = np.isnan(values)
        n_nan += int(nan.sum())
        n_code += int(np.count_nonzero(values == code))
        columns.append(np.where(nan, code, values))
    if n_nan and n_code:
        warnings.warn(
            f"{n_nan} NaN value(s) are written as the missing code {code!r}, which "
            f"{n_code} value(s) already hold: they will read back alike. Choose another "
            f"missing= code to keep them apart",
            stacklevel=2,
        )
    data = pd.DataFrame(dict(enumerate(columns)))
    path = Path(path)
    header = "\n".join([title, _count_line(len(names), the_grid), *names]) + "\n"
    body = data.to_csv(sep=" ", header=False, index=False, lineterminator="\n")
    path.write_text(header + body, encoding="utf-8")
    return path
