"""
Regular block grids and block models clipped to zones.

A :class:`BlockGrid` is a regular 2D or 3D grid: the minimum corner (west, south,
bottom), the block size and the number of blocks along each axis, in a projected CRS.
Blocks are numbered with x fastest, then y, then z (GSLIB order):
``index = ix + nx * (iy + ny * iz)``.

A :class:`BlockModel` is a grid clipped to the zones of a deposit, stored as *parcels*:
one parcel per (block, zone) pair with a positive share of the block inside the zone.
Each parcel carries its zone, its proportion (the fraction of the block's volume that
lies in the zone) and named arrays (grades, density, estimation diagnostics). Boundary
blocks split between zones become several parcels, so every zone's tonnage is exact
and grades are estimated per zone with hard boundaries.

A block model too large for one machine is *lazy*: its arrays are Dask arrays chunked
along parcels (``BlockModel.from_deposit(..., chunks=1_000_000)``,
:meth:`BlockModel.read_parquet`, :meth:`BlockModel.read_zarr`), computed chunk by chunk
on whatever Dask scheduler is active and written chunk by chunk
(:meth:`BlockModel.to_parquet`, :meth:`BlockModel.to_zarr`). Dask is optional
(``pip install "raremin[dask]"``) and never imported by in-memory models. See
``docs/scale.md``. :func:`read_block_model` reads a model back from either format, and
:meth:`BlockModel.to_xarray` gives a regular model as a gridded ``xarray.Dataset``.

Examples
--------
>>> from shapely import box
>>> from raremin.deposit import Deposit, Zone
>>> from raremin.grid import BlockGrid, BlockModel
>>> dep = Deposit("D", [Zone("A", box(5, 5, 95, 45), 30, 0, 2.5)], crs=32643)
>>> grid = BlockGrid.covering(dep, (10, 10, 10))
>>> grid.shape
(10, 5, 3)
>>> model = BlockModel.from_deposit(dep, grid)
>>> round(float(model.tonnage_t().sum()), 6) == dep.tonnage_t
True
"""

from __future__ import annotations

import dataclasses
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from . import _dask
from ._validation import check_finite
from .deposit import Deposit, Zone, as_crs, check_projected, check_same_crs, zones_of
from .errors import GeometryError, InputError

__all__ = ["MAX_BLOCKS", "BlockGrid", "BlockModel", "check_block_count", "read_block_model",
           "zone_proportions"]

#: Most blocks of a grid that :meth:`BlockModel.from_deposit` clips (a guard before any
#: allocation). An assessment holds about 230 bytes per parcel: 20 million blocks take
#: about 4.6 GB. A lazy model (``chunks=``) is bounded per chunk instead.
MAX_BLOCKS = 20_000_000

#: Serialises the coding of windows of 3D bodies within one process (see
#: :func:`_beyond_grid_quiet`).
_QUIET_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True, eq=False)
class BlockGrid:
    """
    A regular 2D or 3D grid of blocks.

    Parameters
    ----------
    origin : sequence of float
        Minimum corner of the grid: ``(west, south)`` or ``(west, south, bottom)``, m.
    block_size : sequence of float
        Block size along each axis, m (all > 0).
    shape : sequence of int
        Number of blocks along each axis ``(nx, ny[, nz])``.
    crs : pyproj CRS or anything pyproj accepts, optional
        Projected CRS of the coordinates.

    Examples
    --------
    >>> from raremin.grid import BlockGrid
    >>> g = BlockGrid((0, 0, 0), (10, 10, 5), (3, 2, 2))
    >>> g.n_blocks, g.block_volume_m3
    (12, 500.0)
    >>> g.centres()[:2]
    array([[ 5. ,  5. ,  2.5],
           [15. ,  5. ,  2.5]])
    """

    origin: tuple[float, ...]
    block_size: tuple[float, ...]
    shape: tuple[int, ...]
    crs: Any = None

    def __post_init__(self) -> None:
        origin = tuple(float(v) for v in check_finite(self.origin, "grid origin").ravel())
        size = check_finite(self.block_size, "block size").ravel()
        if len(origin) not in (2, 3):
            raise InputError(f"a grid is 2D or 3D; got an origin of {len(origin)} coordinates")
        if size.size == 1:
            size = np.repeat(size, len(origin))
        if size.size != len(origin) or np.any(size <= 0):
            raise InputError(
                f"block size must be {len(origin)} positive lengths (m); got {self.block_size}"
            )
        shape = tuple(int(n) for n in np.atleast_1d(self.shape))
        if len(shape) != len(origin) or any(n < 1 for n in shape):
            raise InputError(f"grid shape must be {len(origin)} counts >= 1; got {self.shape}")
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "block_size", tuple(float(s) for s in size))
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "crs", as_crs(self.crs))

    def __repr__(self) -> str:
        from ._display import grid_text

        return grid_text(self)

    def _repr_html_(self) -> str:
        from ._display import text_html

        return text_html("Block grid", repr(self))

    @classmethod
    def covering(
        cls, obj: Deposit | Zone | Iterable[Zone], block_size: float | Sequence[float]
    ) -> BlockGrid:
        """
        The smallest grid aligned on multiples of the block size that covers the zones.

        Parameters
        ----------
        obj : Deposit, Zone or iterable of Zone
            What to cover.
        block_size : float or sequence of float
            Block size (one value for cubes, or per axis; 2 values give a 2D grid).

        Returns
        -------
        BlockGrid

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid
        >>> g = BlockGrid.covering(Zone("A", box(12, 3, 58, 40), 60, 10, 2.5), 25)
        >>> g.origin, g.shape
        ((0.0, 0.0, 0.0), (3, 2, 3))
        """
        zones = zones_of(obj)
        if not zones:
            raise InputError("nothing to cover: no zones given")
        crs = obj.crs if isinstance(obj, Deposit) else zones[0].crs
        b = np.array([z.bounds for z in zones])
        lo = b[:, :3].min(axis=0)
        hi = b[:, 3:].max(axis=0)
        size = check_finite(block_size, "block size").ravel()
        ndim = 3 if size.size in (1, 3) else 2
        if size.size == 1:
            size = np.repeat(size, 3)
        if np.any(size <= 0):
            raise InputError(f"block size must be > 0; got {block_size}")
        lo, hi = lo[:ndim], hi[:ndim]
        start = np.floor(lo / size + 1e-9) * size
        count = np.maximum(np.ceil((hi - start) / size - 1e-9), 1).astype(int)
        return cls(tuple(start), tuple(size), tuple(count), crs=crs)

    @property
    def ndim(self) -> int:
        """2 or 3."""
        return len(self.shape)

    @property
    def n_blocks(self) -> int:
        """Number of blocks."""
        return int(np.prod(self.shape))

    @property
    def block_volume_m3(self) -> float:
        """Volume of one block (3D), or its area in m2 for a 2D grid."""
        return float(np.prod(self.block_size))

    @property
    def extent(self) -> tuple[float, ...]:
        """``(west, east, south, north[, bottom, top])``."""
        out: list[float] = []
        for o, s, n in zip(self.origin, self.block_size, self.shape, strict=True):
            out += [o, o + s * n]
        return tuple(out)

    def axis_centres(self, axis: int) -> np.ndarray:
        """
        Block centres along one axis (0 = x, 1 = y, 2 = z).

        Examples
        --------
        >>> from raremin.grid import BlockGrid
        >>> BlockGrid((0, 0), (10, 20), (3, 2)).axis_centres(1)
        array([10., 30.])
        """
        return self.origin[axis] + self.block_size[axis] * (np.arange(self.shape[axis]) + 0.5)

    def index_to_ijk(self, index: Any) -> np.ndarray:
        """
        Axis indices ``(ix, iy[, iz])`` of flat block indices, shape ``(n, ndim)``.

        Examples
        --------
        >>> from raremin.grid import BlockGrid
        >>> BlockGrid((0, 0, 0), 1, (3, 2, 2)).index_to_ijk([0, 4, 11]).tolist()
        [[0, 0, 0], [1, 1, 0], [2, 1, 1]]
        """
        index = np.asarray(index, dtype=np.int64)
        if np.any((index < 0) | (index >= self.n_blocks)):
            raise InputError(f"block index out of range 0..{self.n_blocks - 1}")
        return np.stack(np.unravel_index(index, self.shape, order="F"), axis=-1)

    def ijk_to_index(self, ijk: Any) -> np.ndarray:
        """
        Flat indices of axis indices ``(..., ndim)``; -1 where outside the grid.

        Examples
        --------
        >>> from raremin.grid import BlockGrid
        >>> BlockGrid((0, 0, 0), 1, (3, 2, 2)).ijk_to_index([[2, 1, 1], [3, 0, 0]]).tolist()
        [11, -1]
        """
        ijk = np.asarray(ijk, dtype=np.int64)
        shape = np.asarray(self.shape)
        inside = np.all((ijk >= 0) & (ijk < shape), axis=-1)
        flat = np.ravel_multi_index(tuple(np.moveaxis(np.where(inside[..., None], ijk, 0), -1, 0)),
                                    self.shape, order="F")
        return np.where(inside, flat, -1)

    def index_to_coords(self, index: Any) -> np.ndarray:
        """
        Centres of blocks given by flat index, shape ``(n, ndim)``.

        Examples
        --------
        >>> from raremin.grid import BlockGrid
        >>> BlockGrid((0, 0), (10, 10), (3, 2)).index_to_coords([5]).tolist()
        [[25.0, 15.0]]
        """
        ijk = self.index_to_ijk(index)
        return np.asarray(self.origin) + (ijk + 0.5) * np.asarray(self.block_size)

    def coords_to_index(self, coords: Any) -> np.ndarray:
        """
        Flat index of the block holding each point ``(n, ndim)``; -1 outside the grid.

        Points on an inner block face belong to the block above (half-open blocks).

        Examples
        --------
        >>> from raremin.grid import BlockGrid
        >>> BlockGrid((0, 0), (10, 10), (3, 2)).coords_to_index([[25, 15], [35, 0]]).tolist()
        [5, -1]
        """
        xyz = check_finite(coords, "coordinates")
        xyz = np.atleast_2d(xyz)
        if xyz.shape[-1] != self.ndim:
            raise InputError(
                f"coordinates need {self.ndim} columns for this grid; got shape {xyz.shape}"
            )
        ijk = np.floor((xyz - np.asarray(self.origin)) / np.asarray(self.block_size))
        return self.ijk_to_index(ijk.astype(np.int64))

    def centres(self) -> np.ndarray:
        """
        Centres of every block, shape ``(n_blocks, ndim)``, in block-index order.

        Examples
        --------
        >>> from raremin.grid import BlockGrid
        >>> BlockGrid((0, 0), (10, 10), (2, 1)).centres().tolist()
        [[5.0, 5.0], [15.0, 5.0]]
        """
        axes = [self.axis_centres(a) for a in range(self.ndim)]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel(order="F") for m in mesh], axis=-1)

    def column_boxes(self) -> np.ndarray:
        """
        Plan outlines of the block columns (shapely boxes), ``nx * ny`` in index order.

        Examples
        --------
        >>> from raremin.grid import BlockGrid
        >>> BlockGrid((0, 0), (10, 10), (2, 1)).column_boxes()[1].bounds
        (10.0, 0.0, 20.0, 10.0)
        """
        return _column_boxes(self, 0, self.shape[1])


def _column_boxes(grid: BlockGrid, r0: int, r1: int) -> np.ndarray:
    """Plan outlines of the block columns of rows ``r0 .. r1 - 1``, in index order."""
    nx = grid.shape[0]
    dx, dy = grid.block_size[:2]
    ix, iy = np.meshgrid(np.arange(nx), np.arange(r0, r1), indexing="ij")
    x0 = grid.origin[0] + dx * ix.ravel(order="F")
    y0 = grid.origin[1] + dy * iy.ravel(order="F")
    return shapely.box(x0, y0, x0 + dx, y0 + dy)


def _plan_fractions(grid: BlockGrid, footprint: Any, method: str, subcells: int,
                    rows: tuple[int, int] | None = None) -> np.ndarray:
    """Fraction of each block column's plan area inside the footprint (rows r0..r1-1)."""
    r0, r1 = rows if rows is not None else (0, grid.shape[1])
    boxes = _column_boxes(grid, r0, r1)
    # A copy per call: preparing (or querying) one geometry from several threads at once
    # crashed the process on Dask's threaded scheduler.
    footprint = shapely.from_wkb(shapely.to_wkb(footprint))
    shapely.prepare(footprint)
    touching = shapely.intersects(footprint, boxes)
    inside = touching & shapely.contains_properly(footprint, boxes)
    frac = inside.astype(float)
    edge = np.flatnonzero(touching & ~inside)
    if edge.size == 0:
        return frac
    cell_area = grid.block_size[0] * grid.block_size[1]
    if method == "exact":
        frac[edge] = shapely.area(shapely.intersection(boxes[edge], footprint)) / cell_area
    else:
        # Sub-cell discretisation: subcells x subcells points per boundary column.
        offsets = (np.arange(subcells) + 0.5) / subcells
        ox, oy = np.meshgrid(offsets, offsets, indexing="ij")
        bx = shapely.bounds(boxes[edge])
        x0, y0 = bx[:, 0], bx[:, 1]
        px = x0[:, None] + grid.block_size[0] * ox.ravel()[None, :]
        py = y0[:, None] + grid.block_size[1] * oy.ravel()[None, :]
        hit = shapely.contains_xy(footprint, px.ravel(), py.ravel()).reshape(px.shape)
        frac[edge] = hit.mean(axis=1)
    return np.clip(frac, 0.0, 1.0)


def _vertical_fractions(grid: BlockGrid, bottom: float, top: float,
                        levels: tuple[int, int] | None = None) -> np.ndarray:
    """Fraction of the height of block levels k0..k1-1 between bottom and top."""
    if grid.ndim == 2:
        return np.ones(1)
    k0, k1 = levels if levels is not None else (0, grid.shape[2])
    z0 = grid.origin[2] + grid.block_size[2] * np.arange(k0, k1)
    overlap = np.minimum(z0 + grid.block_size[2], top) - np.maximum(z0, bottom)
    return np.clip(overlap / grid.block_size[2], 0.0, 1.0)


def zone_proportions(
    grid: BlockGrid, zone: Zone, *, method: str = "exact", subcells: int | None = None,
    topography: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """
    Blocks touched by a zone and the fraction of each block's volume inside it.

    Parameters
    ----------
    grid : BlockGrid
        The grid.
    zone : Zone
        The zone: a prism between its bottom and top elevations, a closed solid or the
        volume between two surfaces.
    method : {"exact", "subcell"}
        Prisms without topography: ``"exact"``: plan fractions of boundary columns from
        the polygon intersection (shapely); ``"subcell"``: the share of ``subcells x
        subcells`` points per boundary column inside the footprint. Interior columns are
        1 either way. Vertical fractions are always exact.
    subcells : int, optional
        Plan sub-cells per axis: the points of ``"subcell"`` (default 5), or, for layers
        and any zone under a topography, the vertical rays cast per block (default 4 x 4:
        each ray's entry and exit elevations give exact vertical fractions, so only the
        plan is sampled). Closed solids without topography are coded exactly (the
        divergence theorem over the triangles clipped to each block); see
        :func:`raremin.domains.block_proportions`.
    topography : Surface, optional
        Air above it is left out of the zone.

    Returns
    -------
    index : numpy.ndarray
        Flat indices of the blocks with a positive proportion.
    proportion : numpy.ndarray
        Their proportions in (0, 1].

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.grid import BlockGrid, zone_proportions
    >>> g = BlockGrid((0, 0, 0), (10, 10, 10), (2, 1, 1))
    >>> idx, p = zone_proportions(g, Zone("A", box(0, 0, 15, 10), 5, 0, 2.5))
    >>> idx.tolist(), p.tolist()
    ([0, 1], [0.5, 0.25])
    """
    _check_coding(method, subcells)
    return _zone_window(grid, zone, _whole(grid), method, subcells, topography)


def _check_coding(method: str, subcells: int | None) -> None:
    if method not in ("exact", "subcell"):
        raise InputError(f"unknown proportion method {method!r}; use 'exact' or 'subcell'")
    if subcells is not None and int(subcells) < 1:
        raise InputError(f"subcells must be >= 1; got {subcells}")


def _whole(grid: BlockGrid) -> tuple[int, int, int, int]:
    """The window ``(k0, k1, r0, r1)`` of every level and row of a grid."""
    return (0, grid.shape[2] if grid.ndim == 3 else 1, 0, grid.shape[1])


def _zone_window(grid: BlockGrid, zone: Zone, window: tuple[int, int, int, int],
                 method: str, subcells: int | None, topography: Any
                 ) -> tuple[np.ndarray, np.ndarray]:
    """
    :func:`zone_proportions` of the blocks of levels k0..k1-1 and rows r0..r1-1 of
    `grid` (flat indices of the whole grid, sorted).

    Prisms are coded on the whole grid's columns and levels, so every window gives
    exactly the numbers of the whole grid. Bodies are coded on the window as a grid
    of its own (its origin is that of its first level and row), so the level
    elevations are those of the whole grid up to rounding.
    """
    k0, k1, r0, r1 = window
    if zone.body is not None or topography is not None:
        from .domains import block_proportions

        if window == _whole(grid):
            return block_proportions(grid, zone.shape, subcells=int(subcells or 4),
                                     topography=topography)
        ox, oy, oz = grid.origin
        dx, dy, dz = grid.block_size
        sub = BlockGrid((ox, oy + dy * r0, oz + dz * k0), grid.block_size,
                        (grid.shape[0], r1 - r0, k1 - k0), crs=grid.crs)
        with _beyond_grid_quiet():
            index, proportion = block_proportions(sub, zone.shape, subcells=int(subcells or 4),
                                                  topography=topography)
        ijk = sub.index_to_ijk(index) + np.array([0, r0, k0])
        return grid.ijk_to_index(ijk).astype(np.int64), proportion
    plan = _plan_fractions(grid, zone.footprint, method, int(subcells or 5), (r0, r1))
    vert = _vertical_fractions(grid, zone.bottom_m, zone.top_m, (k0, k1))
    columns = np.flatnonzero(plan > 0)
    layers = np.flatnonzero(vert > 0)
    n_col = grid.shape[0] * grid.shape[1]
    index = ((columns + grid.shape[0] * r0)[None, :] + n_col * (layers + k0)[:, None]).ravel()
    proportion = (plan[columns][None, :] * vert[layers][:, None]).ravel()
    return index.astype(np.int64), proportion


class _beyond_grid_quiet:  # noqa: N801 (a context manager used like a function)
    """
    Silence the "extends beyond the block grid" warning of a body coded on a window
    (it extends beyond every window by design; the whole grid is checked once) and
    re-issue every other warning.

    ``warnings.catch_warnings`` is not thread-safe, so windows of bodies are coded one
    at a time within a process (a lock); windows of prisms need none of this.
    """

    def __enter__(self) -> None:
        _QUIET_LOCK.acquire()
        self._catch = warnings.catch_warnings(record=True)
        self._caught = self._catch.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc: Any) -> None:
        try:
            self._catch.__exit__(*exc)
        finally:
            _QUIET_LOCK.release()
        for w in self._caught:
            if "extends beyond the block grid" not in str(w.message):
                warnings.warn(w.message, w.category, stacklevel=3)


def check_block_count(grid: BlockGrid, max_blocks: int = MAX_BLOCKS) -> None:
    """
    Raise InputError when a grid has more blocks than `max_blocks`, with the figure and the fix.

    Examples
    --------
    >>> from raremin.grid import BlockGrid, check_block_count
    >>> check_block_count(BlockGrid((0, 0, 0), 0.01, (10_000, 10_000, 100)))
    Traceback (most recent call last):
    ...
    raremin.errors.InputError: a block size of 0.01 x 0.01 x 0.01 m makes 10,000,000,000 blocks (10000 x 10000 x 100), more than the limit of 20,000,000 (about 2,300 GB held); use larger blocks or raise max_blocks
    """  # noqa: E501
    if grid.n_blocks > max_blocks:
        raise InputError(
            f"a block size of {' x '.join(f'{v:g}' for v in grid.block_size)} m makes "
            f"{grid.n_blocks:,} blocks ({' x '.join(map(str, grid.shape))}), more than the "
            f"limit of {max_blocks:,} (about {230 * grid.n_blocks / 1e9:,.0f} GB held); use "
            f"larger blocks or raise max_blocks")


@dataclasses.dataclass(frozen=True, eq=False)
class BlockModel:
    """
    A block grid clipped to zones, stored as block-zone parcels with named arrays.

    Build one with :meth:`from_deposit`. Arrays are added with :meth:`with_arrays` (the
    model is immutable: a new model is returned).

    A model is *lazy* when its parts are Dask arrays chunked along parcels (every part
    chunked alike; 2-D arrays, e.g. realisations x parcels, on their last axis only):
    ``from_deposit(..., chunks=n)``, :meth:`read_parquet` and :meth:`read_zarr` make
    one, :meth:`compute` brings it into memory, :meth:`persist` into the memory of the
    Dask cluster, and :meth:`to_parquet` / :meth:`to_zarr` write it chunk by chunk.
    Building it computes nothing. Per-parcel methods (:meth:`tonnage_t`,
    :meth:`volume_m3`, :meth:`centres`, :meth:`zone_mask`) stay lazy; :meth:`summary`
    computes its per-zone sums in one pass; :meth:`to_dataframe` refuses (write with
    :meth:`to_parquet`, or :meth:`compute` first).

    Attributes
    ----------
    grid : BlockGrid
        The grid.
    zone_names : tuple of str
        Zone names; ``zone_code`` indexes this tuple.
    block_index : numpy.ndarray or dask.array.Array
        Flat block index of each parcel.
    zone_code : numpy.ndarray or dask.array.Array
        Zone of each parcel (index into ``zone_names``).
    proportion : numpy.ndarray or dask.array.Array
        Fraction of the block's volume in the parcel's zone.
    arrays : mapping of str to numpy.ndarray or dask.array.Array
        Named per-parcel arrays, e.g. ``density_t_m3``, ``la_ppm``, ``treo_ppm``.
    attrs : mapping of str to object
        What was done to the model, for reports (e.g. :func:`raremin.estimation.estimate`
        records the negative estimates it set to zero under ``"negative_estimates"``).
        Kept by :meth:`with_arrays`. In a lazy model a value may be a Dask object,
        resolved by :meth:`compute`.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.deposit import Deposit, Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> dep = Deposit("D", [Zone("A", box(0, 0, 20, 10), 10, 0, 2.5)], crs=32643)
    >>> m = BlockModel.from_deposit(dep, BlockGrid.covering(dep, 10))
    >>> m.n_parcels, m.tonnage_t().tolist()
    (2, [2500.0, 2500.0])
    """

    grid: BlockGrid
    zone_names: tuple[str, ...]
    block_index: np.ndarray
    zone_code: np.ndarray
    proportion: np.ndarray
    arrays: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
    attrs: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone_names", tuple(self.zone_names))
        parts = (self.block_index, self.zone_code, self.proportion, *dict(self.arrays).values())
        if any(_dask.is_lazy(p) for p in parts):
            index, code, share, arrays = _dask.align_parcels(
                self.block_index, self.zone_code, self.proportion, dict(self.arrays))
            object.__setattr__(self, "block_index", index)
            object.__setattr__(self, "zone_code", code)
            object.__setattr__(self, "proportion", share)
            object.__setattr__(self, "arrays", arrays)
            return
        n = np.asarray(self.block_index).size
        for label, arr in (("zone_code", self.zone_code), ("proportion", self.proportion)):
            if np.asarray(arr).shape != (n,):
                raise InputError(f"{label} must have one value per parcel ({n})")
        arrays = {}
        for key, arr in dict(self.arrays).items():
            a = np.asarray(arr)
            if a.shape[-1:] != (n,):
                raise InputError(
                    f"array {key!r} must have one value per parcel on its last axis ({n}); "
                    f"got shape {a.shape}"
                )
            arrays[key] = a
        object.__setattr__(self, "arrays", arrays)

    @classmethod
    def from_deposit(
        cls,
        deposit: Deposit | Zone | Iterable[Zone],
        grid: BlockGrid,
        *,
        method: str = "exact",
        subcells: int | None = None,
        max_blocks: int = MAX_BLOCKS,
        topography: Any = None,
        chunks: int | None = None,
    ) -> BlockModel:
        """
        Clip a grid to the zones: one parcel per block and zone it shares.

        Parameters
        ----------
        deposit : Deposit, Zone or iterable of Zone
            The zones.
        grid : BlockGrid
            A 3D grid in the deposit's CRS.
        method, subcells
            How boundary proportions are computed (see :func:`zone_proportions`).
        topography : Surface, optional
            Air above it is left out of every zone; default: the deposit's topography.
        max_blocks : int
            Most blocks the grid may have (:data:`MAX_BLOCKS`); more raises before any
            allocation. With `chunks`: most blocks per chunk.
        chunks : int, optional
            Blocks per chunk: return a *lazy* model (Dask arrays, needs
            ``raremin[dask]``) whose chunks are slabs of the grid of about this many
            blocks (whole levels, the slowest-varying axis of the block index, or rows
            of one level when a level holds more). Nothing is coded now: each chunk's
            task codes its slab when computed, so the parcels per chunk are unknown
            until then (``chunks`` holds NaN; see :meth:`with_known_chunks`). Computed,
            the model equals the in-memory one (bit for bit for prisms, and for bodies
            whenever the level elevations ``origin + k x height`` are exact in floating
            point, e.g. whole metres; otherwise to about 1e-14). Default: code the whole
            grid now, in memory.

        Returns
        -------
        BlockModel
            With a ``density_t_m3`` array from the zones' densities.

        Raises
        ------
        CRSError
            Grid and deposit CRSs differ.
        GeometryError
            A zone does not touch the grid (lazy: its bounding box does not), or zones
            overlap (see :meth:`from_proportions`; lazy: raised when computed).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> z = Zone("A", box(0, 0, 15, 10), 10, 0, 2.0)
        >>> m = BlockModel.from_deposit(z, BlockGrid((0, 0, 0), 10, (2, 1, 1)))
        >>> m.proportion.tolist()
        [1.0, 0.5]

        A lazy model of slabs of two levels (needs Dask):

        >>> g = BlockGrid((0, 0, 0), 10, (2, 1, 6))
        >>> lazy = BlockModel.from_deposit(z, g, chunks=4)  # doctest: +SKIP
        >>> lazy.chunks, lazy.compute().n_parcels  # doctest: +SKIP
        ((nan, nan, nan), 2)
        """
        zones = zones_of(deposit)
        if chunks is None:
            check_block_count(grid, max_blocks)
        if isinstance(deposit, Deposit):
            check_same_crs(deposit.crs, grid.crs, "the block grid")
            if topography is None:
                topography = deposit.topography
        if grid.ndim != 3:
            raise InputError("a block model needs a 3D grid (zones have a vertical extent)")
        if grid.crs is not None:
            check_projected(grid.crs, "the block grid")
        if chunks is not None:
            return cls._lazy_from_zones(list(zones), grid, method, subcells, topography,
                                        chunks, max_blocks)
        parts = {}
        for zone in zones:
            i, p = zone_proportions(grid, zone, method=method, subcells=subcells,
                                    topography=topography)
            if i.size == 0:
                raise GeometryError(_no_overlap_message(zone, grid, topography))
            parts[zone.name] = (i, p)
        return cls.from_proportions(grid, parts, {z.name: z.density_t_m3 for z in zones},
                                    max_blocks=max_blocks)

    @classmethod
    def _lazy_from_zones(cls, zones: list[Zone], grid: BlockGrid, method: str,
                         subcells: int | None, topography: Any, chunks: Any,
                         max_blocks: int) -> BlockModel:
        """The lazy model of :meth:`from_deposit`: one coding task per slab."""
        _dask.require_dask("BlockModel.from_deposit(chunks=...)")
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
            raise InputError(f"chunks must be a number of blocks >= 1; got {chunks!r}")
        if chunks > max_blocks:
            raise InputError(f"chunks={int(chunks):,} blocks is more than max_blocks="
                             f"{max_blocks:,} per chunk; use smaller chunks or raise max_blocks")
        _check_coding(method, subcells)
        if not zones:
            raise InputError("no zones given: a block model needs at least one zone")
        names = [z.name for z in zones]
        if len(set(names)) != len(names):
            raise InputError(f"zone names must be unique; got {names}")
        densities = [float(check_finite(z.density_t_m3, f"density of zone {z.name!r}"))
                     for z in zones]
        for zone, density in zip(zones, densities, strict=True):
            if density <= 0:
                raise InputError(f"zone {zone.name!r}: density_t_m3 must be > 0; got {density}")
            _check_zone_reaches(zone, grid, topography)
        windows = _windows(grid, int(chunks))
        common = (grid, tuple(zones), tuple(densities), method, subcells, topography)
        index, code, share, density = _dask.lazy_columns(
            _window_parcels, common, windows, (np.int64, np.int32, np.float64, np.float64),
            "raremin-parcels")
        return cls(grid, tuple(names), index, code, share, {"density_t_m3": density})

    @classmethod
    def from_proportions(
        cls,
        grid: BlockGrid,
        proportions: Mapping[str, tuple[Any, Any]],
        density_t_m3: float | Mapping[str, float],
        *,
        max_blocks: int = MAX_BLOCKS,
    ) -> BlockModel:
        """
        A block model from block proportions computed elsewhere (domains coded in another
        package, a block model export with a zone proportion per block...).

        Parameters
        ----------
        grid : BlockGrid
            A 3D grid.
        proportions : mapping of zone name to (block indices, proportions)
            For each zone, the flat block indices (GSLIB order, :meth:`BlockGrid.ijk_to_index`)
            and the fraction of each block's volume inside the zone, in (0, 1]; blocks with a
            proportion of 0 may be given and are left out.
        density_t_m3 : float or mapping of zone name to float
            Dry bulk density of each zone (t/m3), or one for all.
        max_blocks : int
            Most blocks the grid may have.

        Returns
        -------
        BlockModel
            One parcel per block and zone, sorted by block then zone, with a
            ``density_t_m3`` array.

        Raises
        ------
        InputError
            An index outside the grid, a repeated block in one zone, a proportion outside
            [0, 1] or NaN, a missing or non-positive density.
        GeometryError
            Zones that overlap: the proportions of a block add up to more than 1 (the
            message names the first block, its centre and the zones).

        Examples
        --------
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> grid = BlockGrid((0, 0, 0), 10, (2, 1, 1))
        >>> m = BlockModel.from_proportions(grid, {"ore": ([0, 1], [1.0, 0.25]),
        ...                                        "waste": ([1], [0.75])}, 2.6)
        >>> m.zone_names, m.proportion.tolist(), m.tonnage_t().sum()
        (('ore', 'waste'), [1.0, 0.25, 0.75], np.float64(5200.0))
        """
        check_block_count(grid, max_blocks)
        if grid.ndim != 3:
            raise InputError("a block model needs a 3D grid (zones have a vertical extent)")
        if not proportions:
            raise InputError("proportions is empty: give at least one zone")
        names = tuple(str(n) for n in proportions)
        if isinstance(density_t_m3, Mapping):
            missing = [n for n in names if n not in density_t_m3]
            if missing:
                raise InputError(f"no density for zone(s) {missing}; give density_t_m3 for "
                                 f"every zone, or one number for all")
            densities = [density_t_m3[n] for n in names]
        else:
            densities = [density_t_m3] * len(names)
        parts, dens = [], []
        for k, (name, (index, share)) in enumerate(proportions.items()):
            i = np.asarray(index)
            p = check_finite(share, f"proportions of zone {name!r}").ravel()
            if i.ndim != 1 or not np.issubdtype(i.dtype, np.integer) or i.shape != p.shape:
                raise InputError(f"zone {name!r}: give integer block indices and one "
                                 f"proportion each (got shapes {i.shape} and {p.shape})")
            if i.size and (i.min() < 0 or i.max() >= grid.n_blocks):
                raise InputError(f"zone {name!r}: block index {int(i.max())} is outside the "
                                 f"grid of {grid.n_blocks:,} blocks")
            if np.any((p < 0) | (p > 1)):
                raise InputError(f"zone {name!r}: proportions must lie in [0, 1]; got "
                                 f"{p[(p < 0) | (p > 1)][0]}")
            if np.unique(i).size != i.size:
                raise InputError(f"zone {name!r} lists a block more than once; give each "
                                 f"block once with its whole proportion")
            density = float(check_finite(densities[k], f"density of zone {name!r}"))
            if density <= 0:
                raise InputError(f"zone {name!r}: density_t_m3 must be > 0; got {density}")
            parts.append((i, p))
            dens.append(density)
        index, zone_code, share, densities_t_m3 = _assemble(grid, names, parts, dens, 0,
                                                            grid.n_blocks)
        return cls(grid, names, index, zone_code, share, {"density_t_m3": densities_t_m3})

    # ------------------------------------------------------------------ size and laziness

    @property
    def is_lazy(self) -> bool:
        """
        True when the parts are Dask arrays (computed on demand, chunk by chunk).

        Examples
        --------
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 1.0])}, 2.5)
        >>> m.is_lazy
        False
        """
        return _dask.is_lazy(self.block_index)

    @property
    def chunks(self) -> tuple[float, ...]:
        """
        Parcels per chunk: one chunk for an in-memory model; NaN where a lazy model's
        sizes are not known yet (see :meth:`with_known_chunks`).

        Examples
        --------
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 1.0])}, 2.5)
        >>> m.chunks
        (2,)
        """
        if self.is_lazy:
            lazy: Any = self.block_index  # a Dask array
            return tuple(lazy.chunks[0])
        return (int(np.asarray(self.block_index).size),)

    @property
    def n_parcels(self) -> int:
        """Number of block-zone parcels (of a lazy model: needs known chunk sizes)."""
        if self.is_lazy:
            if not _dask.known(self.chunks):
                raise _dask.unknown_size_error("n_parcels")
            return int(sum(self.chunks))
        return int(self.block_index.size)

    def compute(self) -> BlockModel:
        """
        The model in memory: every lazy part, and every attribute that is a Dask
        object, computed in one pass (``dask.compute``) on the active scheduler.

        Returns
        -------
        BlockModel
            In memory (numpy arrays); an in-memory model is returned as it is.

        Notes
        -----
        Counts of negative estimates set to zero by a lazy
        :func:`~raremin.estimation.estimate` are logged and given in a warning here,
        when they become known.

        Examples
        --------
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 1.0])}, 2.5)
        >>> m.compute() is m
        True
        """
        if not self.is_lazy and not any(_dask.is_lazy(v) for v in self.attrs.values()):
            return self
        names = list(self.arrays)
        lazy_keys = [k for k, v in self.attrs.items() if _dask.is_lazy(v)]
        values = _dask.compute(self.block_index, self.zone_code, self.proportion,
                               *(self.arrays[k] for k in names),
                               *(self.attrs[k] for k in lazy_keys))
        attrs = dict(self.attrs)
        attrs.update(zip(lazy_keys, values[3 + len(names):], strict=True))
        _dask.report_resolved(attrs, lazy_keys)
        return BlockModel(self.grid, self.zone_names, values[0], values[1], values[2],
                          dict(zip(names, values[3:3 + len(names)], strict=True)), attrs)

    def persist(self) -> BlockModel:
        """
        The lazy model with its chunks computed and held in the Dask cluster's memory
        (``dask.persist``): later computations start from them.

        Returns
        -------
        BlockModel
            Still lazy (now with known chunk sizes once computed); an in-memory model
            is returned as it is.

        Examples
        --------
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 1.0])}, 2.5)
        >>> m.persist() is m
        True
        """
        if not self.is_lazy:
            return self
        names = list(self.arrays)
        lazy_keys = [k for k, v in self.attrs.items() if _dask.is_lazy(v)]
        values = _dask.persist(self.block_index, self.zone_code, self.proportion,
                               *(self.arrays[k] for k in names),
                               *(self.attrs[k] for k in lazy_keys))
        attrs = dict(self.attrs)
        attrs.update(zip(lazy_keys, values[3 + len(names):], strict=True))
        model = BlockModel(self.grid, self.zone_names, values[0], values[1], values[2],
                           dict(zip(names, values[3:3 + len(names)], strict=True)), attrs)
        return model if _dask.known(model.chunks) else model.with_known_chunks()

    def with_known_chunks(self) -> BlockModel:
        """
        The lazy model told how many parcels each chunk holds.

        Chunks built by :meth:`from_deposit` learn their sizes only when their zones are
        coded. This runs the coding tasks once (a pass over the geometry only: no
        estimate is computed) and returns the same lazy model with known chunk sizes,
        as :meth:`n_parcels` and :meth:`to_zarr` need. The coding runs again when the
        model is computed, unless it was persisted (:meth:`persist`).

        Returns
        -------
        BlockModel
            A lazy model with known chunk sizes (the same object when they are known
            already, or when the model is in memory).

        Examples
        --------
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 1.0])}, 2.5)
        >>> m.with_known_chunks().chunks
        (2,)
        """
        if not self.is_lazy or _dask.known(self.chunks):
            return self
        sizes = _dask.chunk_sizes(self.block_index)
        return BlockModel(
            self.grid, self.zone_names, _dask.with_sizes(self.block_index, sizes),
            _dask.with_sizes(self.zone_code, sizes), _dask.with_sizes(self.proportion, sizes),
            {k: _dask.with_sizes(v, sizes) for k, v in self.arrays.items()}, dict(self.attrs))

    # ------------------------------------------------------------------ per parcel

    def centres(self) -> np.ndarray:
        """
        Block centre of each parcel, shape ``(n_parcels, 3)`` (lazy for a lazy model).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_deposit(Zone("A", box(0, 0, 10, 10), 10, 0, 2.0),
        ...                             BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> m.centres().tolist()
        [[5.0, 5.0, 5.0]]
        """
        if self.is_lazy:
            lazy: Any = self.block_index  # a Dask array
            return lazy.map_blocks(
                self.grid.index_to_coords, new_axis=1,
                chunks=(lazy.chunks[0], (self.grid.ndim,)), dtype=np.float64,
                meta=np.empty((0, 0)))
        return self.grid.index_to_coords(self.block_index)

    def zone_mask(self, zone: str) -> np.ndarray:
        """
        Boolean mask of the parcels of one zone.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_deposit(Zone("A", box(0, 0, 10, 10), 10, 0, 2.0),
        ...                             BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> m.zone_mask("A").tolist()
        [True]
        """
        if zone not in self.zone_names:
            raise InputError(f"no zone {zone!r} in the block model; zones: {list(self.zone_names)}")
        return self.zone_code == self.zone_names.index(zone)

    def volume_m3(self) -> np.ndarray:
        """
        Volume of each parcel: block volume x proportion, m3.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_deposit(Zone("A", box(0, 0, 5, 10), 10, 0, 2.0),
        ...                             BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> m.volume_m3().tolist()
        [500.0]
        """
        return self.grid.block_volume_m3 * self.proportion

    def tonnage_t(self) -> np.ndarray:
        """
        Tonnage of each parcel: volume x ``density_t_m3``, t.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_deposit(Zone("A", box(0, 0, 5, 10), 10, 0, 2.0),
        ...                             BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> m.tonnage_t().tolist()
        [1000.0]
        """
        return self.volume_m3() * self.arrays["density_t_m3"]

    def with_arrays(self, **arrays: Any) -> BlockModel:
        """
        A new model with arrays added or replaced (one value per parcel each).

        In a lazy model, Dask arrays must be chunked like the model; in-memory arrays
        are split like it (which needs known chunk sizes).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_deposit(Zone("A", box(0, 0, 10, 10), 10, 0, 2.0),
        ...                             BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> sorted(m.with_arrays(treo_ppm=[1200.0]).arrays)
        ['density_t_m3', 'treo_ppm']
        """
        merged = dict(self.arrays)
        merged.update({k: v if _dask.is_lazy(v) else np.asarray(v) for k, v in arrays.items()})
        return dataclasses.replace(self, arrays=merged)

    # ------------------------------------------------------------------ tables

    def summary(self) -> pd.DataFrame:
        """
        Parcels, volume and tonnage per zone (with a total row).

        Zones come in the order of their first parcel; zones without parcels are left
        out. A lazy model is summed chunk by chunk in one pass on the active Dask
        scheduler (the sums then differ from the in-memory ones by rounding only).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_deposit(Zone("A", box(0, 0, 10, 10), 10, 0, 2.0),
        ...                             BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> m.summary()["tonnage_t"].tolist()
        [2000.0, 2000.0]
        """
        if self.is_lazy:
            return self._lazy_summary()
        frame = pd.DataFrame(
            {
                "zone": np.asarray(self.zone_names, dtype=object)[self.zone_code],
                "parcels": 1,
                "volume_m3": self.volume_m3(),
                "tonnage_t": self.tonnage_t(),
            }
        )
        table = frame.groupby("zone", sort=False).sum().reset_index()
        total = pd.DataFrame([{"zone": "Total", **table.drop(columns="zone").sum().to_dict()}])
        return pd.concat([table, total], ignore_index=True)

    def _lazy_summary(self) -> pd.DataFrame:
        n_zones = len(self.zone_names)
        parts = _dask.per_chunk(
            _zone_sums, [self.block_index, self.zone_code, self.proportion,
                         self.arrays["density_t_m3"], n_zones, self.grid.block_volume_m3],
            len(self.chunks))
        (stats,) = _dask.compute(_dask.tree_reduce(parts, _combine_zone_sums))
        count, volume, tonnage, first = stats
        present = np.flatnonzero(count > 0)
        present = present[np.lexsort((present, first[present]))]
        table = pd.DataFrame({
            "zone": np.asarray(self.zone_names, dtype=object)[present],
            "parcels": count[present].astype(np.int64),
            "volume_m3": volume[present],
            "tonnage_t": tonnage[present],
        })
        total = pd.DataFrame([{"zone": "Total", **table.drop(columns="zone").sum().to_dict()}])
        return pd.concat([table, total], ignore_index=True)

    def to_dataframe(self) -> pd.DataFrame:
        """
        One row per parcel: block index and axis indices, centre coordinates, zone,
        proportion, volume, tonnage and every array (2D arrays give one column per
        leading index, ``name_0``, ``name_1``...).

        A lazy model raises (it may not fit in memory): write it chunk by chunk with
        :meth:`to_parquet`, or :meth:`compute` it first.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_deposit(Zone("A", box(0, 0, 10, 10), 10, 0, 2.0),
        ...                             BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> list(m.to_dataframe().columns)[:6]
        ['block', 'ix', 'iy', 'iz', 'easting_m', 'northing_m']
        """
        if self.is_lazy:
            raise InputError(
                "to_dataframe() of a lazy block model would bring every parcel into memory; "
                "write it chunk by chunk with model.to_parquet(path), or call "
                "model.compute().to_dataframe() when it fits in memory"
            )
        from ._blockfiles import parcel_frame

        return parcel_frame(self.grid, self.zone_names, self.block_index, self.zone_code,
                            self.proportion, self.arrays)

    def to_geodataframe(self) -> Any:
        """
        :meth:`to_dataframe` with each parcel's block outline in plan as geometry.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_deposit(Zone("A", box(0, 0, 10, 10), 10, 0, 2.0),
        ...                             BlockGrid((0, 0, 0), 10, (1, 1, 1), crs=32643))
        >>> m.to_geodataframe().geometry.iloc[0].area
        100.0
        """
        import geopandas as gpd

        frame = self.to_dataframe()
        hx, hy = self.grid.block_size[0] / 2, self.grid.block_size[1] / 2
        x, y = frame["easting_m"].to_numpy(), frame["northing_m"].to_numpy()
        return gpd.GeoDataFrame(
            frame, geometry=shapely.box(x - hx, y - hy, x + hx, y + hy), crs=self.grid.crs
        )

    # ------------------------------------------------------------------ files

    def to_parquet(self, path: Any, *, overwrite: bool = False) -> Path:
        """
        Write the model as a directory of Parquet files, one per chunk.

        Each file holds the rows of :meth:`to_dataframe` for one chunk (an in-memory
        model is one chunk), so a lazy model is written chunk by chunk by its tasks,
        never gathered in one place. ``raremin.json`` beside them holds the grid (with
        its CRS as WKT, PROJJSON and EPSG code), the zone names, the arrays' shapes,
        dtypes and units (from their names: ``treo_pct`` is in %), the files in order
        with their row counts, and the JSON-serialisable ``attrs`` (lazy ones are
        computed in the same pass; the names of those that are not JSON are listed
        under ``attrs_dropped``, with a warning). Each file also carries this metadata
        (without the list of files and the lazy attrs) in its Parquet key-value
        metadata under the key ``raremin``, and each column's unit in its field
        metadata, so a file read alone (:func:`read_block_model`) is still a model.
        The directory is written under a temporary name and renamed at the end: it
        appears whole or not at all.

        Parameters
        ----------
        path : str or path
            The directory to create (on a file system every Dask worker can reach).
        overwrite : bool, default False
            Replace an existing directory (only once the new one is complete).

        Returns
        -------
        pathlib.Path
            The directory written.

        Raises
        ------
        InputError
            `path` exists (without `overwrite`), its parent folder does not, two
            columns would have the same name (an array named like a derived column,
            ``block``, ``zone``, ``tonnage_t``..., or like a column of a 2-D array), or
            pyarrow is missing.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 0.5])}, 2.5)
        >>> folder = m.to_parquet(pathlib.Path(tempfile.mkdtemp()) / "model")
        >>> sorted(p.name for p in folder.iterdir())
        ['part.0.parquet', 'raremin.json']
        >>> BlockModel.read_parquet(folder, chunks=None).proportion.tolist()
        [1.0, 0.5]
        """
        from . import _blockfiles

        return _blockfiles.write_parquet(self, path, overwrite)

    @classmethod
    def read_parquet(cls, path: Any, *, chunks: int | str | None = "files") -> BlockModel:
        """
        A block model written by :meth:`to_parquet`.

        Parameters
        ----------
        path : str or path
            The directory.
        chunks : "files", int or None, default "files"
            ``"files"``: a lazy model, one chunk per file (read by its task when
            computed; chunk sizes known from ``raremin.json``); an int: lazy, re-chunked
            to this many parcels per chunk; None: read everything into memory now
            (no Dask needed).

        Returns
        -------
        BlockModel
            The model as written, with its ``attrs``; the derived columns (axis
            indices, centres, volume, tonnage) are not read, the model recomputes them.

        Raises
        ------
        InputError
            Not a directory written by :meth:`to_parquet`, a zone name the metadata
            does not list, a file with another row count than recorded.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 0.5])}, 2.5)
        >>> folder = m.to_parquet(pathlib.Path(tempfile.mkdtemp()) / "model")
        >>> back = BlockModel.read_parquet(folder, chunks=None)
        >>> back.zone_names, back.tonnage_t().tolist()
        (('A',), [2500.0, 1250.0])
        """
        from . import _blockfiles

        return _blockfiles.read_parquet(cls, path, chunks)

    def to_zarr(self, path: Any, *, chunk_size: int | None = None,
                overwrite: bool = False) -> Path:
        """
        Write the model as a Zarr group: one array per part (``block_index``,
        ``zone_code``, ``proportion``, ``arrays/<name>``), chunked along parcels.

        The group's attribute ``raremin`` holds the grid, zone names, units and
        ``attrs`` (as ``raremin.json`` of :meth:`to_parquet`); each array with a unit
        in its name has it in its own attribute ``units``. A lazy model is written chunk by chunk
        by its tasks; as each task writes a region of the arrays, the chunk sizes must
        be known (:meth:`with_known_chunks` first: a pass over the geometry) and the
        chunks are made regular (`chunk_size` parcels; Zarr chunks are all equal). The
        group is written under a temporary name and renamed at the end.

        Parameters
        ----------
        path : str or path
            The directory of the group to create.
        chunk_size : int, optional
            Parcels per Zarr chunk; default: the largest chunk of a lazy model, or
            1,048,576 for an in-memory one.
        overwrite : bool, default False
            Replace an existing directory (only once the new one is complete).

        Returns
        -------
        pathlib.Path
            The directory written.

        Raises
        ------
        InputError
            A lazy model with unknown chunk sizes, `path` exists, zarr is missing.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 0.5])}, 2.5)
        >>> folder = m.to_zarr(pathlib.Path(tempfile.mkdtemp()) / "model.zarr")
        >>> BlockModel.read_zarr(folder, chunks=None).block_index.tolist()
        [0, 1]
        """
        from . import _blockfiles

        return _blockfiles.write_zarr(self, path, chunk_size, overwrite)

    @classmethod
    def read_zarr(cls, path: Any, *, chunks: int | str | None = "stored") -> BlockModel:
        """
        A block model written by :meth:`to_zarr`.

        Parameters
        ----------
        path : str or path
            The group's directory.
        chunks : "stored", int or None, default "stored"
            ``"stored"``: a lazy model chunked as stored; an int: lazy, re-chunked to
            this many parcels per chunk; None: read everything into memory now (no Dask
            needed).

        Returns
        -------
        BlockModel

        Raises
        ------
        InputError
            Not a group written by :meth:`to_zarr`; zarr is missing.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 0.5])}, 2.5)
        >>> folder = m.to_zarr(pathlib.Path(tempfile.mkdtemp()) / "model.zarr")
        >>> BlockModel.read_zarr(folder, chunks=None).tonnage_t().tolist()
        [2500.0, 1250.0]
        """
        from . import _blockfiles

        return _blockfiles.read_zarr(cls, path, chunks)

    def to_xarray(self, *, by_zone: bool = False) -> Any:
        r"""
        The model on its regular grid: an ``xarray.Dataset`` with one value per block.

        Dimensions are ``easting``, ``northing`` and ``elevation`` (the grid axes, in
        this order, coordinates the block centres in m), ``realisation`` for the 2-D
        arrays (realisations x parcels) and ``zone``. Blocks without a parcel hold NaN
        (floats), -1 (integers, e.g. ``resource_class``, kept as int8; the fill is in
        each variable's ``encoding["_FillValue"]``) or False. Needs xarray
        (``pip install 'raremin[xarray]'``).

        Parameters
        ----------
        by_zone : bool, default False
            False: one value per block, zones blended by the rules below (what a block
            model viewer or a mine planning package expects). True: every array (and
            ``tonnage_t``) gets a leading ``zone`` dimension holding each zone's parcel
            as it is: no mixing (a block outside a zone is NaN/-1 in that zone).

        Returns
        -------
        xarray.Dataset
            Every array of the model, plus ``proportion`` (zone, blocks: the share of
            each block's volume in each zone, 0 outside), ``zone_code`` (the zone
            holding most of the block, -1 where none) and ``tonnage_t`` (the block's
            tonnage in its zones). Attributes: ``units`` of each variable (from its
            name: ``treo_pct`` -> ``"%"``, ``la_ppm`` -> ``"ppm"``, ``density_t_m3``
            -> ``"t/m3"``), ``block_value`` (the rule applied), ``flag_values`` /
            ``flag_meanings`` for ``zone_code`` and ``resource_class``; on the
            Dataset ``crs_wkt``, ``crs`` (``"EPSG:<code>"`` when there is one),
            ``origin_m``, ``block_size_m`` and ``raremin`` (the JSON metadata of
            :meth:`to_parquet`, with the model's ``attrs``); a ``spatial_ref``
            coordinate holds the CRS as CF grid-mapping attributes (read by rioxarray
            and GDAL).

        Raises
        ------
        InputError
            The model is lazy (:meth:`compute` it, or write it with :meth:`to_zarr`),
            or an array is named like a variable or coordinate made here.
        RareminError
            xarray is not installed.

        Notes
        -----
        **Blocks shared by several zones** (``by_zone=False``). A block cut by a zone
        boundary holds one parcel per zone; its value is:

        - grades (arrays in %, ppm, ppb, g/t, kg/t or fraction): the tonnage-weighted
          mean of its parcels, :math:`\sum_i t_i g_i / \sum_i t_i`, the grade of all
          the zoned rock in the block, so block tonnage x grade gives its contained
          metal exactly, as the parcels do;
        - density (``t/m3``): the volume-weighted mean, block tonnage / zoned volume;
        - quantities (t, kt, Mt, kg, m3): the sum of the parcels;
        - everything else (``resource_class``, sample counts, kriging variance and
          slope, distances): the value of the largest parcel (the zone holding most
          of the block; ties go to the first zone), as a block takes the class of
          most of its rock.

        A NaN in one parcel makes the block NaN for grades and sums (its grade is
        unknown); use ``by_zone=True`` to see the zones apart.

        Examples
        --------
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
        ...                                 {"A": ([0, 1], [1.0, 0.5]), "B": ([1], [0.5])},
        ...                                 {"A": 2.0, "B": 3.0})
        >>> m = m.with_arrays(cu_pct=[1.0, 1.0, 2.0])
        >>> ds = m.to_xarray()
        >>> ds["cu_pct"].values.ravel().tolist(), ds["cu_pct"].attrs["units"]
        ([1.0, 1.6], '%')
        >>> ds["zone_code"].values.ravel().tolist(), ds["tonnage_t"].values.ravel().tolist()
        ([0, 0], [2000.0, 2500.0])
        """
        from . import _blockfiles

        return _blockfiles.model_to_xarray(self, by_zone)

    def __repr__(self) -> str:
        from ._display import block_model_text

        return block_model_text(self, _dask.describe_chunks(self.chunks) if self.is_lazy
                                else "")

    def _repr_html_(self) -> str:
        if self.is_lazy:
            from ._display import _card

            lines = [
                f"grid {' x '.join(str(n) for n in self.grid.shape)} blocks of "
                f"{' x '.join(f'{s:g}' for s in self.grid.block_size)} m",
                f"lazy (Dask): {_dask.describe_chunks(self.chunks)} in "
                f"{len(self.zone_names)} zone(s); arrays: {', '.join(sorted(self.arrays))}",
            ]
            return _card("Block model", lines)
        from ._display import block_model_html

        return block_model_html(self)


def read_block_model(path: Any, *, chunks: int | str | None = None) -> BlockModel:
    """
    A block model written by :meth:`BlockModel.to_parquet` or :meth:`BlockModel.to_zarr`.

    The format is told by what `path` holds: a directory with ``raremin.json`` is a
    Parquet model, a directory with ``zarr.json`` (or ``.zgroup``) a Zarr group, a file
    one Parquet file of a model (it carries the model's metadata; a file that is one
    part of several gives only its own parcels, with a warning).

    Parameters
    ----------
    path : str or path
        A directory or file on a local file system.
    chunks : None, "auto" or int, default None
        None: read everything into memory now (no Dask needed); ``"auto"``: a lazy
        model (Dask), one chunk per Parquet file or as stored in Zarr, for models
        larger than memory; an int: lazy, re-chunked to this many parcels per chunk.

    Returns
    -------
    BlockModel
        The model as written: grid and CRS, zone names, parcels, arrays with their
        dtypes and shapes, and the JSON-serialisable ``attrs`` (tuples come back as
        lists, numpy scalars as Python numbers).

    Raises
    ------
    InputError
        `path` does not exist or is not a block model (the message names it), or
        `chunks` is not one of the above.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from raremin.grid import BlockGrid, BlockModel, read_block_model
    >>> m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1), crs=32643),
    ...                                 {"A": ([0, 1], [1.0, 0.5])}, 2.5)
    >>> folder = m.to_parquet(pathlib.Path(tempfile.mkdtemp()) / "model")
    >>> back = read_block_model(folder)
    >>> back.grid.crs == m.grid.crs, back.tonnage_t().tolist()
    (True, [2500.0, 1250.0])
    >>> read_block_model(folder / "part.0.parquet").proportion.tolist()
    [1.0, 0.5]
    """
    from . import _blockfiles

    return _blockfiles.read_model(BlockModel, path, chunks)


# ---------------------------------------------------------------------- private helpers


def _no_overlap_message(zone: Zone, grid: BlockGrid, topography: Any) -> str:
    return (f"zone {zone.name!r} does not overlap the block grid (extent "
            f"{grid.extent}){' below the topography' if topography else ''}; build "
            f"the grid with BlockGrid.covering(deposit, size)")


def _check_zone_reaches(zone: Zone, grid: BlockGrid, topography: Any) -> None:
    """Lazy models: a zone's bounds must overlap the grid; a body beyond it warns once."""
    lo, hi = np.asarray(zone.bounds[:3]), np.asarray(zone.bounds[3:])
    extent = np.asarray(grid.extent).reshape(-1, 2)
    if np.any(hi <= extent[:, 0]) or np.any(lo >= extent[:, 1]):
        raise GeometryError(_no_overlap_message(zone, grid, topography))
    tol = 1e-9 * np.asarray(grid.block_size)
    if zone.body is not None and (np.any(lo < extent[:, 0] - tol)
                                  or np.any(hi > extent[:, 1] + tol)):
        warnings.warn(
            f"zone {zone.name!r} extends beyond the block grid (zone bounds "
            f"{tuple(round(float(v), 3) for v in zone.bounds)}, grid extent {grid.extent}): "
            f"the part outside is not coded; use BlockGrid.covering or a larger grid",
            UserWarning, stacklevel=4)


def _windows(grid: BlockGrid, blocks: int) -> list[tuple[int, int, int, int]]:
    """
    Slabs ``(k0, k1, r0, r1)`` of about `blocks` blocks, in block-index order: whole
    levels (the last axis varies slowest), or rows of one level when a level is larger.
    """
    nx, ny, nz = grid.shape
    per_level = nx * ny
    if per_level <= blocks:
        step = blocks // per_level
        return [(k, min(k + step, nz), 0, ny) for k in range(0, nz, step)]
    rows = max(1, blocks // nx)
    return [(k, k + 1, r, min(r + rows, ny)) for k in range(nz) for r in range(0, ny, rows)]


def _window_range(grid: BlockGrid, window: tuple[int, int, int, int]) -> tuple[int, int]:
    """First and one-past-last flat block index of a window."""
    nx, ny = grid.shape[:2]
    k0, k1, r0, r1 = window
    return nx * (r0 + ny * k0), nx * (r1 + ny * (k1 - 1))


def _window_parcels(common: tuple[Any, ...], window: tuple[int, int, int, int]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The parcels of one slab of a lazy :meth:`BlockModel.from_deposit` (a chunk task)."""
    grid, zones, densities, method, subcells, topography = common
    parts = [_zone_window(grid, z, window, method, subcells, topography) for z in zones]
    start, stop = _window_range(grid, window)
    return _assemble(grid, tuple(z.name for z in zones), parts, list(densities), start, stop)


def _assemble(grid: BlockGrid, names: Sequence[str], parts: Sequence[tuple[Any, Any]],
              densities: Sequence[float], start: int, stop: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Parcels sorted by block then zone from each zone's (indices, proportions) within
    blocks ``start .. stop - 1``; raises GeometryError where zones overlap.
    """
    idx, code, prop, dens = [], [], [], []
    for k, (i, p) in enumerate(parts):
        keep = p > 0
        idx.append(np.asarray(i)[keep].astype(np.int64))
        code.append(np.full(int(keep.sum()), k, dtype=np.int32))
        prop.append(p[keep])
        dens.append(np.full(int(keep.sum()), densities[k]))
    index = np.concatenate(idx)
    zone_code = np.concatenate(code)
    share = np.concatenate(prop)
    order = np.lexsort((zone_code, index))
    index, zone_code, share = index[order], zone_code[order], share[order]
    total = np.bincount(index - start, weights=share, minlength=stop - start)
    over = np.flatnonzero(total > 1.0 + 1e-6)
    if over.size:
        block = int(over[0]) + start
        who = [names[c] for c in zone_code[index == block]]
        centre = ", ".join(f"{v:.1f}" for v in grid.index_to_coords([block])[0])
        raise GeometryError(
            f"zones {who} overlap: their proportions of block {block} (centre {centre}) "
            f"add up to {total[block - start]:.4f} ({over.size:,} such blocks), so tonnage "
            f"would be counted twice; clip one zone by the other")
    return index, zone_code, share, np.concatenate(dens)[order]


def _zone_sums(block_index: np.ndarray, zone_code: np.ndarray, proportion: np.ndarray,
               density: np.ndarray, n_zones: int, block_m3: float, chunk: int) -> np.ndarray:
    """Parcels, volume, tonnage and first block per zone of one chunk, shape (4, n_zones)."""
    volume = block_m3 * proportion
    out = np.zeros((4, n_zones))
    out[0] = np.bincount(zone_code, minlength=n_zones)
    out[1] = np.bincount(zone_code, weights=volume, minlength=n_zones)
    out[2] = np.bincount(zone_code, weights=volume * density, minlength=n_zones)
    out[3] = np.inf
    codes, first = np.unique(zone_code, return_index=True)
    out[3, codes] = block_index[first]
    return out


def _combine_zone_sums(parts: list[np.ndarray]) -> np.ndarray:
    out = np.array(parts[0], copy=True)
    for p in parts[1:]:
        out[:3] += p[:3]
        np.minimum(out[3], p[3], out=out[3])
    return out
