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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ._validation import check_finite
from .deposit import Deposit, Zone, as_crs, check_projected, check_same_crs, zones_of
from .errors import GeometryError, InputError

__all__ = ["MAX_BLOCKS", "BlockGrid", "BlockModel", "check_block_count", "zone_proportions"]

#: Most blocks of a grid that :meth:`BlockModel.from_deposit` clips (a guard before any
#: allocation). An assessment holds about 230 bytes per parcel: 20 million blocks take
#: about 4.6 GB.
MAX_BLOCKS = 20_000_000


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
        nx, ny = self.shape[:2]
        dx, dy = self.block_size[:2]
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        x0 = self.origin[0] + dx * ix.ravel(order="F")
        y0 = self.origin[1] + dy * iy.ravel(order="F")
        return shapely.box(x0, y0, x0 + dx, y0 + dy)


def _plan_fractions(grid: BlockGrid, footprint: Any, method: str, subcells: int) -> np.ndarray:
    """Fraction of each block column's plan area inside the footprint, shape (nx*ny,)."""
    boxes = grid.column_boxes()
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


def _vertical_fractions(grid: BlockGrid, bottom: float, top: float) -> np.ndarray:
    """Fraction of each block layer's height between bottom and top, shape (nz,)."""
    if grid.ndim == 2:
        return np.ones(1)
    z0 = grid.origin[2] + grid.block_size[2] * np.arange(grid.shape[2])
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
    if method not in ("exact", "subcell"):
        raise InputError(f"unknown proportion method {method!r}; use 'exact' or 'subcell'")
    if subcells is not None and int(subcells) < 1:
        raise InputError(f"subcells must be >= 1; got {subcells}")
    if zone.body is not None or topography is not None:
        from .domains import block_proportions

        return block_proportions(grid, zone.shape, subcells=int(subcells or 4),
                                 topography=topography)
    plan = _plan_fractions(grid, zone.footprint, method, int(subcells or 5))
    vert = _vertical_fractions(grid, zone.bottom_m, zone.top_m)
    columns = np.flatnonzero(plan > 0)
    layers = np.flatnonzero(vert > 0)
    n_col = grid.shape[0] * grid.shape[1]
    index = (columns[None, :] + n_col * layers[:, None]).ravel()
    proportion = (plan[columns][None, :] * vert[layers][:, None]).ravel()
    return index.astype(np.int64), proportion


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

    Attributes
    ----------
    grid : BlockGrid
        The grid.
    zone_names : tuple of str
        Zone names; ``zone_code`` indexes this tuple.
    block_index : numpy.ndarray
        Flat block index of each parcel.
    zone_code : numpy.ndarray
        Zone of each parcel (index into ``zone_names``).
    proportion : numpy.ndarray
        Fraction of the block's volume in the parcel's zone.
    arrays : mapping of str to numpy.ndarray
        Named per-parcel arrays, e.g. ``density_t_m3``, ``la_ppm``, ``treo_ppm``.
    attrs : mapping of str to object
        What was done to the model, for reports (e.g. :func:`raremin.estimation.estimate`
        records the negative estimates it set to zero under ``"negative_estimates"``).
        Kept by :meth:`with_arrays`.

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
        object.__setattr__(self, "zone_names", tuple(self.zone_names))
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
            allocation.

        Returns
        -------
        BlockModel
            With a ``density_t_m3`` array from the zones' densities.

        Raises
        ------
        CRSError
            Grid and deposit CRSs differ.
        GeometryError
            A zone does not touch the grid, or zones overlap (see
            :meth:`from_proportions`).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> z = Zone("A", box(0, 0, 15, 10), 10, 0, 2.0)
        >>> m = BlockModel.from_deposit(z, BlockGrid((0, 0, 0), 10, (2, 1, 1)))
        >>> m.proportion.tolist()
        [1.0, 0.5]
        """
        zones = zones_of(deposit)
        check_block_count(grid, max_blocks)
        if isinstance(deposit, Deposit):
            check_same_crs(deposit.crs, grid.crs, "the block grid")
            if topography is None:
                topography = deposit.topography
        if grid.ndim != 3:
            raise InputError("a block model needs a 3D grid (zones have a vertical extent)")
        if grid.crs is not None:
            check_projected(grid.crs, "the block grid")
        parts = {}
        for zone in zones:
            i, p = zone_proportions(grid, zone, method=method, subcells=subcells,
                                    topography=topography)
            if i.size == 0:
                raise GeometryError(
                    f"zone {zone.name!r} does not overlap the block grid (extent "
                    f"{grid.extent}){' below the topography' if topography else ''}; build "
                    f"the grid with BlockGrid.covering(deposit, size)"
                )
            parts[zone.name] = (i, p)
        return cls.from_proportions(grid, parts, {z.name: z.density_t_m3 for z in zones},
                                    max_blocks=max_blocks)

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
        idx, code, prop, dens = [], [], [], []
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
            keep = p > 0
            idx.append(i[keep].astype(np.int64))
            code.append(np.full(int(keep.sum()), k, dtype=np.int32))
            prop.append(p[keep])
            dens.append(np.full(int(keep.sum()), density))
        index = np.concatenate(idx)
        zone_code = np.concatenate(code)
        share = np.concatenate(prop)
        order = np.lexsort((zone_code, index))
        index, zone_code, share = index[order], zone_code[order], share[order]
        total = np.bincount(index, weights=share, minlength=grid.n_blocks)
        over = np.flatnonzero(total > 1.0 + 1e-6)
        if over.size:
            block = int(over[0])
            who = [names[c] for c in zone_code[index == block]]
            centre = ", ".join(f"{v:.1f}" for v in grid.index_to_coords([block])[0])
            raise GeometryError(
                f"zones {who} overlap: their proportions of block {block} (centre {centre}) "
                f"add up to {total[block]:.4f} ({over.size:,} such blocks), so tonnage would "
                f"be counted twice; clip one zone by the other")
        return cls(grid, names, index, zone_code, share,
                   {"density_t_m3": np.concatenate(dens)[order]})

    @property
    def n_parcels(self) -> int:
        """Number of block-zone parcels."""
        return int(self.block_index.size)

    def centres(self) -> np.ndarray:
        """
        Block centre of each parcel, shape ``(n_parcels, 3)``.

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
        merged.update({k: np.asarray(v) for k, v in arrays.items()})
        return dataclasses.replace(self, arrays=merged)

    def summary(self) -> pd.DataFrame:
        """
        Parcels, volume and tonnage per zone (with a total row).

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

    def to_dataframe(self) -> pd.DataFrame:
        """
        One row per parcel: block index and axis indices, centre coordinates, zone,
        proportion, volume, tonnage and every array (2D arrays give one column per
        leading index, ``name_0``, ``name_1``...).

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
        ijk = self.grid.index_to_ijk(self.block_index)
        xyz = self.centres()
        columns: dict[str, Any] = {
            "block": self.block_index,
            "ix": ijk[:, 0],
            "iy": ijk[:, 1],
            "iz": ijk[:, 2],
            "easting_m": xyz[:, 0],
            "northing_m": xyz[:, 1],
            "elevation_m": xyz[:, 2],
            "zone": np.asarray(self.zone_names, dtype=object)[self.zone_code],
            "proportion": self.proportion,
            "volume_m3": self.volume_m3(),
            "tonnage_t": self.tonnage_t(),
        }
        for key, arr in self.arrays.items():
            if arr.ndim == 1:
                columns[key] = arr
            else:
                flat = arr.reshape(-1, arr.shape[-1])
                for i, row in enumerate(flat):
                    columns[f"{key}_{i}"] = row
        return pd.DataFrame(columns)

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

    def _repr_html_(self) -> str:
        from ._display import block_model_html

        return block_model_html(self)
