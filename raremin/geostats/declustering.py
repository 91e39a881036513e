"""
Declustering weights: cell declustering (GSLIB ``declus``) and polygonal declustering.

Drillholes cluster where the grade is high (or where access is easy), so the plain mean
of the samples is biased. Declustering gives each sample a weight that reflects the
volume or area it stands for; weighted statistics (mean, histogram, grade-tonnage)
then represent the whole deposit.

- :func:`cell_declustering`: weights ``1 / (samples in the cell)`` on grids of many
  cell sizes and origins, in 1, 2 or 3 dimensions; the cell size that gives the
  smallest (or largest) declustered mean is kept, as in GSLIB ``declus``.
- :func:`polygonal_declustering`: weights proportional to the area of each sample's
  Voronoi (nearest-neighbour) polygon clipped to a region, in plan (2D).

Weights sum to the number of samples (the GSLIB convention): a weight above 1 means
the sample stands for more than an average share of the domain, below 1 less.
Coordinates are in metres (easting, northing, elevation; ``docs/conventions.md``).

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.declustering import cell_declustering
>>> xy = np.array([[0.0, 0.0], [0.5, 0.5], [0.2, 0.8], [10.0, 0.0], [0.0, 10.0],
...                [10.0, 10.0]])
>>> grade = np.array([900.0, 1000.0, 1100.0, 300.0, 200.0, 250.0])
>>> result = cell_declustering(xy, grade, cell_sizes=[1.0, 2.0, 5.0], n_offsets=1)
>>> result.cell_size
1.0
>>> result.weights.round(3)
array([0.5, 0.5, 0.5, 1.5, 1.5, 1.5])
>>> round(result.naive_mean, 1), round(result.declustered_mean, 1)
(625.0, 437.5)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._validation import check_finite
from ..errors import GeometryError, InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CellDeclusteringResult",
    "PolygonalDeclusteringResult",
    "cell_declustering",
    "polygonal_declustering",
]

#: Number of cell sizes tried when none are given.
DEFAULT_N_CELL_SIZES = 25

_OBJECTIVES = ("min", "max", "none")
_NORMALISATIONS = ("n", "one")

#: Largest number of (offset, cell) bins counted with ``numpy.bincount``; beyond it the
#: occupied cells are found by sorting (``numpy.unique``).
_BINCOUNT_LIMIT = 1 << 24


# --------------------------------------------------------------------------- checks
def _check_coords(coords: Any, name: str = "coords", dims: tuple[int, ...] = (1, 2, 3)
                  ) -> np.ndarray:
    """Finite coordinates of shape (n, d) with d in `dims` and n >= 2."""
    xyz = check_finite(coords, name)
    if xyz.ndim == 1 and 1 in dims:
        xyz = xyz.reshape(-1, 1)
    if xyz.ndim != 2 or xyz.shape[1] not in dims:
        wanted = " or ".join(str(d) for d in dims)
        raise InputError(
            f"{name} must be an array of shape (n, d) with d = {wanted} columns (easting, "
            f"northing, elevation in metres); got shape {xyz.shape}"
        )
    if xyz.shape[0] < 2:
        raise InputError(
            f"declustering needs at least 2 samples; got {xyz.shape[0]} in {name}"
        )
    return xyz


def _check_values(values: Any, n: int) -> np.ndarray:
    """One finite value per sample."""
    vals = check_finite(values, "values")
    if vals.ndim != 1 or vals.shape[0] != n:
        raise InputError(
            f"values must have one number per sample: shape ({n},) to match the {n} "
            f"coordinate rows; got shape {vals.shape}"
        )
    return vals


def _check_int(value: Any, name: str, minimum: int) -> int:
    """An integer >= `minimum` (bools and fractions refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if isinstance(value, numbers.Integral):
        whole = int(value)
    elif float(value).is_integer():
        whole = int(float(value))
    else:
        raise InputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if whole < minimum:
        raise InputError(f"{name} must be >= {minimum}; got {value}")
    return whole


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in choices:
        raise InputError(f"unknown {name} {value!r}; use one of {', '.join(map(repr, choices))}")
    return key


def _check_sizes(sizes: Any, name: str) -> np.ndarray:
    """Cell sizes: a non-empty 1-D array of finite values > 0, sorted, unique."""
    arr = np.atleast_1d(check_finite(sizes, name))
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(f"{name} must be a number or a non-empty 1-D sequence; got {sizes!r}")
    bad = arr <= 0
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{name} must be > 0 (metres); got {arr[k]} at position {k}: cells need a "
            f"positive size"
        )
    return np.unique(arr)


def _check_anisotropy(anisotropy: Any, ndim: int) -> np.ndarray:
    """Cell-size multipliers per axis, length `ndim` (a longer tuple is cut)."""
    arr = np.atleast_1d(check_finite(anisotropy, "anisotropy"))
    if arr.ndim != 1 or arr.size < ndim:
        raise InputError(
            f"anisotropy must give one cell-size multiplier per axis ({ndim} for "
            f"{ndim}D coordinates, e.g. (1, 1, 1)); got {anisotropy!r}"
        )
    arr = arr[:ndim]
    if np.any(arr <= 0):
        raise InputError(f"anisotropy multipliers must be > 0; got {anisotropy!r}")
    return arr


def _freeze(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr, dtype=float)
    arr.setflags(write=False)
    return arr


def _normalise(weights: np.ndarray, how: str) -> np.ndarray:
    total = weights.sum()
    scale = weights.size if how == "n" else 1.0
    return weights * (scale / total)


# --------------------------------------------------------------------- cell declustering
def _cell_weights(
    coords_t: np.ndarray, cell: np.ndarray, n_offsets: int, low: np.ndarray,
    extent: np.ndarray,
) -> np.ndarray:
    """
    Cell-declustering weights (summing to 1) for one cell size, averaged over offsets.

    `coords_t` holds the coordinates axis by axis, shape (d, n); `cell` the cell size
    along each axis. Offset ``k`` puts the grid origin at ``low - k * cell /
    n_offsets``, so a sample's cell index along an axis is ``floor((x - low) / cell +
    k / n_offsets)``, between 0 and ``floor(extent / cell) + 1``.
    """
    ndim, n = coords_t.shape
    fractions = (np.arange(n_offsets, dtype=float) / n_offsets)[:, None]  # (K, 1)
    # one spare cell per axis: rounding can never push an index out of its range
    dims = np.floor(extent / cell).astype(np.int64) + 3
    cells_per_offset = math.prod(int(d) for d in dims)
    if cells_per_offset * n_offsets < 2**62:
        key: np.ndarray = np.zeros((n_offsets, n), dtype=np.int64)
        for axis in range(ndim):
            scaled = (coords_t[axis] - low[axis]) / cell[axis]  # >= 0
            # truncation is floor here: every argument is >= 0
            index = (scaled[None, :] + fractions).astype(np.int64)
            key *= dims[axis]
            key += index
        key += (np.arange(n_offsets, dtype=np.int64) * cells_per_offset)[:, None]
        key = key.ravel()
        if cells_per_offset * n_offsets <= max(_BINCOUNT_LIMIT, 4 * key.size):
            in_cell = np.bincount(key, minlength=cells_per_offset * n_offsets)[key]
        else:
            _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
            in_cell = counts[inverse.ravel()]
    else:  # too many cells for one integer key: compare index rows instead
        rows = np.empty((n_offsets, n, ndim + 1), dtype=np.int64)
        rows[..., 0] = np.arange(n_offsets)[:, None]
        for axis in range(ndim):
            scaled = (coords_t[axis] - low[axis]) / cell[axis]
            rows[..., axis + 1] = (scaled[None, :] + fractions).astype(np.int64)
        _, inverse, counts = np.unique(
            rows.reshape(-1, ndim + 1), axis=0, return_inverse=True, return_counts=True
        )
        in_cell = counts[inverse.ravel()]
    share = 1.0 / in_cell.reshape(n_offsets, n)
    # the shares of the samples of one cell add up to 1: their sum counts occupied cells
    occupied = np.rint(share.sum(axis=1))
    # Each grid gives weights 1 / (samples in the cell x occupied cells), summing to 1.
    return (share / occupied[:, None]).mean(axis=0)


@dataclasses.dataclass(frozen=True, eq=False)
class CellDeclusteringResult:
    """
    The outcome of :func:`cell_declustering`.

    Attributes
    ----------
    weights : numpy.ndarray, shape (n,)
        Declustering weight of each sample at the chosen cell size, in input order
        (read-only); they sum to n (or to 1 with ``weights_normalisation="one"``).
    cell_size : float
        The chosen cell size along the first axis, metres (the other axes use it times
        their anisotropy multiplier).
    declustered_mean : float
        The weighted mean of the values at the chosen cell size.
    naive_mean : float
        The plain mean of the values.
    table : pandas.DataFrame
        Columns ``cell_size`` (metres) and ``declustered_mean``: one row per cell size
        tried, in increasing size.
    objective : str
        ``"min"``, ``"max"`` or ``"none"``: how the cell size was chosen.
    n_offsets : int
        Grid origins averaged per cell size.
    anisotropy : tuple of float
        Cell-size multiplier of each axis.

    Examples
    --------
    >>> from raremin.geostats.declustering import cell_declustering
    >>> r = cell_declustering([[0.0], [0.1], [5.0]], [10.0, 12.0, 2.0],
    ...                       cell_sizes=[1.0, 2.0], n_offsets=2)
    >>> r.table
       cell_size  declustered_mean
    0        1.0               6.5
    1        2.0               6.5
    >>> float(r.weights.sum())
    3.0
    """

    weights: np.ndarray
    cell_size: float
    declustered_mean: float
    naive_mean: float
    table: pd.DataFrame
    objective: str
    n_offsets: int
    anisotropy: tuple[float, ...]

    def __repr__(self) -> str:
        from .._display import cell_declustering_text

        return cell_declustering_text(self)

    def _repr_html_(self) -> str:
        from .._display import cell_declustering_html

        return cell_declustering_html(self)

    def plot(self, ax: Any = None) -> Axes:
        """
        Draw the declustered mean against the cell size.

        The declustered mean of every cell size tried is a line with markers (the
        first line of the axes), the chosen size a larger marker and the naive mean a
        dashed horizontal line.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is made when omitted.

        Returns
        -------
        matplotlib.axes.Axes
            Axes labelled ``Cell size (m)`` and ``Declustered mean``.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from raremin.geostats.declustering import cell_declustering
        >>> r = cell_declustering([[0.0], [0.1], [5.0]], [10.0, 12.0, 2.0],
        ...                       cell_sizes=[0.05, 1.0, 2.0])
        >>> ax = r.plot()
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('Cell size (m)', 'Declustered mean')
        >>> ax.lines[0].get_ydata().tolist()
        [8.0, 6.5, 6.5]
        """
        from ..plotting import _start

        ax, created = _start(ax)
        sizes = self.table["cell_size"].to_numpy()
        means = self.table["declustered_mean"].to_numpy()
        ax.plot(sizes, means, color="C0", marker="o", markersize=3.5,
                label="declustered mean")
        chosen = {"min": "minimum", "max": "maximum", "none": "chosen"}[self.objective]
        ax.plot([self.cell_size], [self.declustered_mean], linestyle="none", marker="o",
                markersize=9, markerfacecolor="none", markeredgecolor="C3",
                markeredgewidth=1.5,
                label=f"{chosen}: {self.cell_size:g} m, mean {self.declustered_mean:.4g}")
        ax.axhline(self.naive_mean, color="0.4", linestyle="--",
                   label=f"naive mean {self.naive_mean:.4g}")
        ax.set_xlabel("Cell size (m)")
        ax.set_ylabel("Declustered mean")
        ax.legend(loc="best", fontsize="small")
        if created:
            ax.figure.tight_layout()
        return ax


def _default_sizes(extent: np.ndarray) -> np.ndarray:
    half = 0.5 * float(extent.max())
    if half <= 0:
        raise InputError(
            "all samples share the same coordinates: give cell_sizes explicitly (no "
            "default cell size can be derived from a zero extent)"
        )
    return np.linspace(half / DEFAULT_N_CELL_SIZES, half, DEFAULT_N_CELL_SIZES)


def cell_declustering(
    coords: ArrayLike,
    values: Any,
    *,
    cell_sizes: Any = None,
    n_offsets: int = 5,
    objective: str = "min",
    cell_size: float | None = None,
    anisotropy: Any = (1.0, 1.0, 1.0),
    weights_normalisation: str = "n",
) -> CellDeclusteringResult:
    """
    Cell-declustering weights, choosing the cell size by the declustered mean (GSLIB declus).

    Parameters
    ----------
    coords : array_like, shape (n, d)
        Sample coordinates in metres, d = 1, 2 or 3 (easting, northing, elevation); a
        1-D array is taken as n points on a line.
    values : array_like, shape (n,)
        The variable whose declustered mean chooses the cell size (e.g. ``treo_ppm``).
    cell_sizes : float or array_like, optional
        Cell sizes to try along the first axis, metres (> 0; sorted, duplicates
        dropped). Default: 25 sizes evenly spaced from 1/25 of half the largest extent
        of the data to half the largest extent.
    n_offsets : int, default 5
        Number of grid origins averaged for every cell size (>= 1).
    objective : {"min", "max", "none"}, default "min"
        Keep the cell size with the smallest declustered mean (data clustered in
        high values), the largest (clustered in low values), or the size given as
        `cell_size` (``"none"``).
    cell_size : float, optional
        The cell size to use with ``objective="none"``; it is added to the table.
    anisotropy : sequence of float, default (1, 1, 1)
        Cell-size multiplier along each axis: cells measure ``cell_size *
        anisotropy[i]`` along axis ``i`` (the first d entries are used). Use e.g.
        ``(1, 1, 0.05)`` for cells 20 times thinner than wide.
    weights_normalisation : {"n", "one"}, default "n"
        Weights summing to n (GSLIB convention) or to 1.

    Returns
    -------
    CellDeclusteringResult
        Weights at the chosen size, that size, the declustered and naive means, and
        the table of declustered means by cell size (with ``plot``).

    Raises
    ------
    InputError
        Coordinates not of shape (n, d) with d <= 3, fewer than 2 samples, NaN or
        infinite coordinates or values, a values length that differs from n, a cell
        size <= 0, ``n_offsets < 1``, an unknown objective or normalisation, a
        missing or superfluous `cell_size`, or a multiplier <= 0.

    Notes
    -----
    Cell declustering (Journel, 1983; Deutsch, 1989; Deutsch and Journel, 1998,
    program ``declus``). For a cell size :math:`c` along the first axis, cells measure
    :math:`c_i = c\\,a_i` along axis :math:`i` (anisotropy :math:`a`). With
    :math:`x_{\\min}` the smallest coordinate of the data along each axis and
    :math:`K` = `n_offsets`, grid :math:`k = 0, \\dots, K - 1` has its origin at

    .. math:: o_k = x_{\\min} - \\frac{k}{K} c_i

    (shifted by the same fraction of the cell along every axis), and sample :math:`j`
    lies in the cell of integer index :math:`\\lfloor (x_j - o_k) / c_i \\rfloor` on each
    axis. In grid :math:`k`, a sample in a cell holding :math:`n_{jk}` samples, with
    :math:`L_k` occupied cells, has the weight :math:`1 / (n_{jk} L_k)` (the weights of
    one grid sum to 1: every occupied cell gets the same share). The weight of the
    sample is the average over the :math:`K` grids, scaled to sum to n:

    .. math:: w_j = \\frac{n}{K} \\sum_{k=0}^{K-1} \\frac{1}{n_{jk} L_k}

    and the declustered mean is :math:`\\sum_j w_j z_j / \\sum_j w_j`. This reproduces
    GSLIB ``declus``: on its ``cluster.dat`` (140 samples, primary variable) cell sizes
    1, 2, ..., 25 with 5 offsets give a minimum declustered mean of 2.52389 at cell size
    5 (naive mean 4.35043). Averaging the raw :math:`1 / n_{jk}` before scaling would
    give 2.50284 instead. Two details of the GSLIB program are not copied: it puts
    the first origin 0.01 (in data units) below the data minimum, and it caps the
    offset step at half the data extent. The first only moves samples that lie exactly
    on a cell boundary (``cluster.dat`` lies on a 1 m lattice, so its table differs
    at some fractional cell sizes, not at the integer ones above); the second only
    matters for cells several times larger than the data extent. Here the origins
    depend on the data alone, whatever the unit. Computation is vectorised over
    samples and offsets: one integer key per (offset, cell), counted with
    ``numpy.bincount`` (or ``numpy.unique`` for very fine grids); the loop is over
    cell sizes only.

    Too small a cell leaves one sample per cell (equal weights, the naive mean); too
    large a cell holds every sample (equal weights again). The minimum (maximum) of
    the declustered mean in between is a common but heuristic choice; a cell size
    near the spacing of the sparse (regular) drilling is another (Deutsch, 1989).

    References
    ----------
    Deutsch, C. V. (1989). DECLUS: a Fortran 77 program for determining optimum
    spatial declustering weights. Computers & Geosciences 15(3), 325-332.

    Deutsch, C. V. and Journel, A. G. (1998). GSLIB: Geostatistical Software Library
    and User's Guide, 2nd edition. Oxford University Press (program declus).

    Journel, A. G. (1983). Nonparametric estimation of spatial distributions.
    Mathematical Geology 15(3), 445-468.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.declustering import cell_declustering
    >>> rng = np.random.default_rng(0)
    >>> sparse = rng.uniform(0, 1000, (40, 2))
    >>> cluster = rng.normal(500, 20, (60, 2))
    >>> xy = np.vstack([sparse, cluster])
    >>> grade = np.r_[np.full(40, 500.0), np.full(60, 2000.0)]
    >>> r = cell_declustering(xy, grade, cell_sizes=np.arange(25.0, 501.0, 25.0))
    >>> bool(r.declustered_mean < r.naive_mean), float(r.weights.sum())
    (True, 100.0)
    >>> bool(r.weights[40:].mean() < r.weights[:40].mean())
    True
    """
    xyz = _check_coords(coords)
    n, ndim = xyz.shape
    vals = _check_values(values, n)
    n_offsets = _check_int(n_offsets, "n_offsets", 1)
    objective = _check_choice(objective, "objective", _OBJECTIVES)
    how = _check_choice(weights_normalisation, "weights_normalisation", _NORMALISATIONS)
    factors = _check_anisotropy(anisotropy, ndim)
    low = xyz.min(axis=0)
    extent = xyz.max(axis=0) - low

    sizes = _default_sizes(extent) if cell_sizes is None else _check_sizes(cell_sizes, "cell_sizes")
    if objective == "none":
        if cell_size is None:
            raise InputError(
                "objective='none' needs cell_size= (metres): the cell size to use"
            )
        if np.ndim(cell_size) != 0:
            raise InputError(f"cell_size must be one number (metres); got {cell_size!r}")
        chosen = float(_check_sizes(cell_size, "cell_size")[0])
        sizes = np.union1d(sizes, [chosen])
    elif cell_size is not None:
        raise InputError(
            f"cell_size={cell_size!r} is only used with objective='none'; with "
            f"objective={objective!r} the size is chosen from cell_sizes"
        )

    coords_t = np.ascontiguousarray(xyz.T)
    weights = np.empty((sizes.size, n))
    for i, size in enumerate(sizes):
        weights[i] = _cell_weights(coords_t, size * factors, n_offsets, low, extent)
    means = weights @ vals / weights.sum(axis=1)
    if objective == "min":
        best = int(np.argmin(means))
    elif objective == "max":
        best = int(np.argmax(means))
    else:
        best = int(np.flatnonzero(sizes == chosen)[0])

    table = pd.DataFrame({"cell_size": sizes, "declustered_mean": means})
    return CellDeclusteringResult(
        weights=_freeze(_normalise(weights[best], how)),
        cell_size=float(sizes[best]),
        declustered_mean=float(means[best]),
        naive_mean=float(vals.mean()),
        table=table,
        objective=objective,
        n_offsets=n_offsets,
        anisotropy=tuple(float(a) for a in factors),
    )


# ----------------------------------------------------------------- polygonal declustering
@dataclasses.dataclass(frozen=True, eq=False)
class PolygonalDeclusteringResult:
    """
    The outcome of :func:`polygonal_declustering`.

    Attributes
    ----------
    weights : numpy.ndarray, shape (n,)
        Weight of each sample, proportional to its area, summing to n (read-only).
    areas_m2 : numpy.ndarray, shape (n,)
        Area of each sample's Voronoi polygon inside the region, square metres
        (read-only); with ``resolution`` set, the area of the grid nodes nearest to it.
    declustered_mean : float or None
        Area-weighted mean of the values; None when no values were given.
    naive_mean : float or None
        Plain mean of the values; None when no values were given.
    region : shapely.Polygon or shapely.MultiPolygon
        The region the polygons were clipped to.
    cells : numpy.ndarray of shapely geometries, shape (n,)
        Each sample's clipped Voronoi polygon (possibly empty); None with
        ``resolution`` set.
    coords : numpy.ndarray, shape (n, 2)
        The sample coordinates, metres.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.geostats.declustering import polygonal_declustering
    >>> r = polygonal_declustering([[1.0, 1.0], [3.0, 1.0]], region=box(0, 0, 4, 2))
    >>> r.areas_m2.tolist(), r.weights.tolist()
    ([4.0, 4.0], [1.0, 1.0])
    """

    weights: np.ndarray
    areas_m2: np.ndarray
    declustered_mean: float | None
    naive_mean: float | None
    region: Any
    cells: Any
    coords: np.ndarray

    def __repr__(self) -> str:
        from .._display import polygonal_declustering_text

        return polygonal_declustering_text(self)

    def _repr_html_(self) -> str:
        from .._display import polygonal_declustering_html

        return polygonal_declustering_html(self)

    def plot(self, ax: Any = None) -> Axes:
        """
        Draw the polygons of influence, the region and the samples sized by weight.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure is made when omitted.

        Returns
        -------
        matplotlib.axes.Axes
            Axes with equal aspect, labelled ``Easting (m)`` and ``Northing (m)``.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from shapely import box
        >>> from raremin.geostats.declustering import polygonal_declustering
        >>> r = polygonal_declustering([[1.0, 1.0], [3.0, 1.0], [3.5, 1.5]],
        ...                            region=box(0, 0, 4, 2))
        >>> ax = r.plot()
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('Easting (m)', 'Northing (m)')
        """
        from matplotlib.collections import PatchCollection
        from matplotlib.patches import PathPatch

        from ..plotting import _polygon_path, _polygons, _start

        ax, created = _start(ax)
        if self.cells is not None:
            patches = [
                PathPatch(_polygon_path(part))
                for cell in self.cells if cell is not None and not cell.is_empty
                for part in _polygons(cell, "a polygon of influence")
            ]
            ax.add_collection(PatchCollection(
                patches, facecolor="none", edgecolor="0.55", linewidth=0.8, zorder=2
            ))
        for i, part in enumerate(_polygons(self.region, "the region")):
            ax.add_patch(PathPatch(
                _polygon_path(part), fill=False, edgecolor="black", linewidth=1.5,
                zorder=3, label="region" if i == 0 else "_region",
            ))
        sizes = 12.0 * self.weights
        ax.scatter(self.coords[:, 0], self.coords[:, 1], s=sizes, c=self.weights,
                   cmap="viridis", zorder=4, label="samples (size: weight)")
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.set_xlabel("Easting (m)")
        ax.set_ylabel("Northing (m)")
        ax.legend(loc="best", fontsize="small")
        if created:
            ax.figure.tight_layout()
        return ax


def _as_region(region: Any) -> Any:
    """A valid, non-empty (multi)polygon from a shapely geometry or a raremin Zone."""
    import shapely

    from ..deposit import Zone

    if isinstance(region, Zone):
        return region.footprint
    if not isinstance(region, (shapely.Polygon, shapely.MultiPolygon)):
        raise GeometryError(
            f"region must be a shapely Polygon or MultiPolygon or a raremin Zone; got "
            f"{type(region).__name__}"
        )
    if region.is_empty:
        raise GeometryError("region is empty (zero area): give the declustering domain")
    if not region.is_valid:
        raise GeometryError(
            f"region is invalid: {shapely.is_valid_reason(region)}; repair it (for "
            f"example with shapely.make_valid)"
        )
    if region.area <= 0:
        raise GeometryError("region is empty (zero area): give the declustering domain")
    return region


def _check_duplicates(xy: np.ndarray) -> None:
    """InputError naming the first point given twice."""
    unique, first, inverse, counts = np.unique(
        xy + 0.0, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    repeated = np.flatnonzero(counts > 1)
    if repeated.size:
        g = repeated[np.argmin(first[repeated])]
        rows = np.flatnonzero(inverse.ravel() == g)
        point = ", ".join(f"{c:g}" for c in unique[g])
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if rows.size > 5 else "")
        raise InputError(
            f"{repeated.size} point(s) are repeated in coords; the first is ({point}) at "
            f"rows [{shown}]. A Voronoi polygon needs distinct points: merge the "
            f"duplicates (e.g. average their values) first"
        )


def _default_region(xy: np.ndarray) -> Any:
    """Convex hull of the points buffered by half the median nearest-neighbour distance."""
    import shapely
    from scipy.spatial import cKDTree

    distance, _ = cKDTree(xy).query(xy, k=2)
    pad = 0.5 * float(np.median(distance[:, 1]))
    return shapely.buffer(shapely.convex_hull(shapely.multipoints(xy)), pad)


def _voronoi_areas(xy: np.ndarray, region: Any) -> tuple[np.ndarray, np.ndarray]:
    """Clipped Voronoi polygons in sample order and their areas."""
    import shapely

    raw = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=region)
    cells = np.asarray(shapely.get_parts(raw), dtype=object)
    points = shapely.points(xy)
    tree = shapely.STRtree(cells)
    point_idx, cell_idx = tree.query(points, predicate="within")
    if point_idx.size != xy.shape[0] or np.unique(point_idx).size != xy.shape[0]:
        # A point on a cell's edge (rounding): take the cell nearest to each point.
        cell_idx = tree.query_nearest(points, all_matches=False)[1]
        point_idx = np.arange(xy.shape[0])
    ordered = np.empty(xy.shape[0], dtype=object)
    ordered[point_idx] = cells[cell_idx]
    clipped = shapely.intersection(ordered, region)
    return clipped, shapely.area(clipped)


def _grid_areas(xy: np.ndarray, region: Any, resolution: float) -> np.ndarray:
    """Area nearest to each sample, counted on a square grid of nodes in the region."""
    import shapely
    from scipy.spatial import cKDTree

    west, south, east, north = region.bounds
    gx = np.arange(west + resolution / 2, east, resolution)
    gy = np.arange(south + resolution / 2, north, resolution)
    if gx.size * gy.size > 50_000_000:
        raise InputError(
            f"resolution {resolution:g} m gives {gx.size * gy.size:,} grid nodes over the "
            f"region; use a coarser resolution or None (exact polygons)"
        )
    nodes = np.column_stack([a.ravel() for a in np.meshgrid(gx, gy)])
    nodes = nodes[shapely.contains_xy(region, nodes[:, 0], nodes[:, 1])]
    if nodes.shape[0] == 0:
        raise InputError(
            f"resolution {resolution:g} m is coarser than the region: no grid node falls "
            f"inside it; use a finer resolution"
        )
    _, nearest = cKDTree(xy).query(nodes)
    return np.bincount(nearest, minlength=xy.shape[0]) * resolution**2


def polygonal_declustering(
    coords2d: Any,
    values: Any = None,
    *,
    region: Any = None,
    resolution: float | None = None,
) -> PolygonalDeclusteringResult:
    """
    Polygonal (nearest-neighbour, Voronoi) declustering weights in plan.

    Parameters
    ----------
    coords2d : array_like, shape (n, 2)
        Easting and northing of the samples, metres. Points must be distinct.
    values : array_like, shape (n,), optional
        A variable to average with the weights (e.g. ``treo_ppm``).
    region : shapely.Polygon, shapely.MultiPolygon or raremin Zone, optional
        The declustering domain (a Zone's footprint is used). Default: the convex hull
        of the samples buffered by half the median nearest-neighbour distance.
    resolution : float, optional
        Metres. None (default) computes the exact areas of the clipped Voronoi
        polygons. A number instead counts, for each sample, the nodes of a square grid
        of that spacing inside the region that are nearer to it than to any other
        sample (area = nodes x resolution**2): an approximation that needs no polygon
        and is cheap for very many samples over a simple region.

    Returns
    -------
    PolygonalDeclusteringResult
        Weights (summing to n), areas in m2, the clipped polygons, the means when
        `values` are given (with ``plot``).

    Raises
    ------
    InputError
        Coordinates not of shape (n, 2), fewer than 2 samples, NaN or infinite
        coordinates or values, repeated points (the message names the first), values
        of another length, a resolution <= 0 or coarser than the region.
    GeometryError
        A region that is not a valid non-empty polygon or a Zone.

    Warns
    -----
    UserWarning
        When samples lie outside the region: their polygons are clipped and may get
        little or no area.

    Notes
    -----
    Polygonal declustering (Journel, 1983; Deutsch and Journel, 1998, section
    VI.2.1 on declustering): every location of the region is represented by its
    nearest sample, so the weight of sample :math:`j` is the area :math:`A_j` of its
    Voronoi polygon (the locations nearer to it than to any other sample) intersected
    with the region :math:`R`,

    .. math:: w_j = n \\frac{A_j}{\\sum_i A_i}, \\qquad \\sum_i A_i = |R|

    when the samples cover the region. The polygons come from
    ``shapely.voronoi_polygons`` (GEOS), extended to cover the region and clipped to it
    in one vectorised intersection; they are matched back to the samples with an
    ``STRtree`` query (``within``), since GEOS does not keep the input order. Edge
    samples get large weights when the region is much larger than the drilled area:
    choose the region with care (Deutsch and Journel, 1998).

    References
    ----------
    Deutsch, C. V. and Journel, A. G. (1998). GSLIB: Geostatistical Software Library
    and User's Guide, 2nd edition. Oxford University Press.

    Journel, A. G. (1983). Nonparametric estimation of spatial distributions.
    Mathematical Geology 15(3), 445-468.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.geostats.declustering import polygonal_declustering
    >>> xy = [[25.0, 25.0], [75.0, 25.0], [25.0, 75.0], [75.0, 75.0], [80.0, 80.0]]
    >>> r = polygonal_declustering(xy, [1.0, 1.0, 1.0, 5.0, 5.0],
    ...                            region=box(0, 0, 100, 100))
    >>> r.areas_m2.round(1).tolist()
    [2500.0, 2500.0, 2500.0, 1487.5, 1012.5]
    >>> float(r.weights.sum()), round(r.declustered_mean, 3)
    (5.0, 2.0)
    """
    import shapely

    xy = _check_coords(coords2d, "coords2d", dims=(2,))
    n = xy.shape[0]
    vals = None if values is None else _check_values(values, n)
    _check_duplicates(xy)
    area_region = _default_region(xy) if region is None else _as_region(region)
    outside = ~shapely.contains_xy(area_region, xy[:, 0], xy[:, 1])
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        warnings.warn(
            f"{int(outside.sum())} sample(s) lie outside the region (first: row {k} at "
            f"({xy[k, 0]:g}, {xy[k, 1]:g})); their polygons are clipped to it",
            stacklevel=2,
        )

    if resolution is None:
        cells, areas = _voronoi_areas(xy, area_region)
    else:
        res = float(np.asarray(check_finite(resolution, "resolution")))
        if res <= 0:
            raise InputError(f"resolution must be > 0 (metres); got {resolution!r}")
        cells, areas = None, _grid_areas(xy, area_region, res)
    total = float(areas.sum())  # > 0: the polygons tile the region, which has an area
    weights = areas * (n / total)
    mean = None if vals is None else float(weights @ vals / weights.sum())
    return PolygonalDeclusteringResult(
        weights=_freeze(weights),
        areas_m2=_freeze(areas),
        declustered_mean=mean,
        naive_mean=None if vals is None else float(vals.mean()),
        region=area_region,
        cells=cells,
        coords=_freeze(xy),
    )
