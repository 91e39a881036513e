"""
Sequential Gaussian simulation (SGS) on a regular grid of 1 to 3 axes, many
realisations at once.

:class:`SequentialGaussian` draws realisations of a Gaussian random function with a
given variogram (normal-score space: sill 1, mean 0), conditioned to data, at the nodes
of a regular grid (all of them, or those of a mask: a zone, with hard boundaries).
Conditioning data are **kept at their own locations** (not moved to nodes). Each node,
in the order of a random path, gets the simple-kriging estimate from its nearest data
and nearest previously simulated nodes plus a Gaussian residual with the kriging
variance (Deutsch & Journel 1998, GSLIB, program ``sgsim``; Chilès & Delfiner 2012,
ch. 7).

How it is computed:

- **Path.** A seeded random permutation of the nodes, in multiple grids (GSLIB's
  multiple-grid search): the nodes of the coarsest grid (every ``2**L``-th node along
  each axis) first, then each finer grid, each in random order, so that long ranges are
  reproduced with few neighbours.
- **Neighbours.** Data: the ``data_neighbours`` nearest within the search ellipsoid
  (a KD-tree, once for every node). Previously simulated nodes: a template of grid
  offsets within the ellipsoid, sorted by anisotropic distance (GSLIB's spiral search),
  scanned node by node in a compiled loop; the first ``node_neighbours`` offsets whose
  node comes earlier in the path are kept. At multiple-grid level ``l`` the template holds offsets
  that are multiples of ``2**l``.
- **Weights once, applied to many realisations.** With a shared path, a node's
  neighbours do not depend on the simulated values, so its kriging weights and standard
  deviation are solved once (by kriging's compiled kernel,
  :func:`raremin.geostats._system.solve_neighbourhoods`) and applied to every
  realisation of the batch by a small compiled loop along the path. Given the path, the
  realisations are independent; across realisations that share one, the (small) part
  of their variability that comes from the choice of path is missing, so their spread
  can be marginally narrower than with a path each. ``path_batch`` realisations share
  a path; ``new_path_per_realisation=True`` gives each its own (the weights are then
  solved per realisation: proportionally slower).
- **Randomness.** Realisation ``r``'s residuals come from its own stream and batch
  ``b``'s path from another (children of ``numpy.random.SeedSequence(seed)``): with
  the same seed and ``path_batch``, realisation ``r`` is the same however many
  realisations are drawn and however they are stored or chunked.

At a node that coincides with a datum, the kriging reproduces the datum exactly (the
nugget counts in the covariance at lag zero: raremin's convention, as in kriging), so
the simulated value there is the datum.

The template search and the sequential pass are small numba loops, compiled the first
time on a machine (about 2 s, then cached) whatever ``RAREMIN_KERNELS`` says; the
kriging solves follow its rule (:mod:`raremin.geostats._jit`).

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.models import Structure, VariogramModel
>>> from raremin.geostats.simulation import SequentialGaussian
>>> from raremin.grid import BlockGrid
>>> model = VariogramModel(0.0, [Structure("spherical", 1.0, 10.0)])
>>> grid = BlockGrid((0.0, 0.0), (1.0, 1.0), (20, 20))
>>> sgs = SequentialGaussian(model, data_neighbours=8, node_neighbours=8)
>>> y = sgs.simulate(grid, [[5.5, 5.5]], [1.5], 3, seed=0)
>>> y.shape, round(float(y[0, 5 + 5 * 20]), 12)
((3, 400), 1.5)
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from . import _jit
from .models import VariogramModel
from .neighbourhood import Neighbourhood, NeighbourSearch

__all__ = ["SequentialGaussian"]

#: Nodes solved at once (bounds the temporary arrays).
_NODE_CHUNK = 1 << 16


class SequentialGaussian:
    """
    Sequential Gaussian simulation with a shared path per batch of realisations.

    Parameters
    ----------
    model : VariogramModel
        Variogram of the normal scores (bounded; sill about 1).
    data_neighbours : int, default 16
        Most data used at a node (at least 1).
    node_neighbours : int, default 32
        Most previously simulated nodes used at a node. A moving neighbourhood
        approximates the exact sequential conditioning; too few nodes let the
        simulated variogram sag below the model at mid-range lags (measured, 50
        unconditional realisations of a 3D Gaussian model with 7:1 anisotropy: 8-14 %
        low with 16 nodes, 4-9 % with 32, 2-5 % with 48; with every earlier node the
        model is reproduced exactly). 32 costs about 20 % more time than 16.
    search : Neighbourhood, optional
        The search ellipsoid (its ``ranges``, ``angles`` and ``radius``) for data and
        nodes; default: the ranges and angles of the model's longest structure.
    kind : {"simple", "ordinary"}, default "simple"
        Simple kriging with mean 0 (the normal-score convention) or ordinary kriging.
    multigrid_levels : int, optional
        Levels of coarser grids simulated first; default: as many as halve the
        search's largest reach in nodes down to about 4 nodes (0: a plain random path).
    max_template : int, default 8192
        Most grid offsets in the node search template (the nearest ones).

    Examples
    --------
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.geostats.simulation import SequentialGaussian
    >>> SequentialGaussian(VariogramModel(0.1, [Structure("spherical", 0.9, 50.0)])).kind
    'simple'
    """

    def __init__(
        self,
        model: VariogramModel,
        *,
        data_neighbours: int = 16,
        node_neighbours: int = 32,
        search: Neighbourhood | None = None,
        kind: str = "simple",
        multigrid_levels: int | None = None,
        max_template: int = 8192,
    ) -> None:
        if not isinstance(model, VariogramModel) or not model.bounded:
            raise InputError("model must be a bounded VariogramModel (a covariance is needed "
                             "for simulation); got " + repr(model))
        if kind not in ("simple", "ordinary"):
            raise InputError(f"kind must be 'simple' or 'ordinary'; got {kind!r}")
        for name, value, low in (("data_neighbours", data_neighbours, 1),
                                 ("node_neighbours", node_neighbours, 1),
                                 ("max_template", max_template, 1)):
            if isinstance(value, bool) or int(value) != value or value < low:
                raise InputError(f"{name} must be a whole number >= {low}; got {value!r}")
        if multigrid_levels is not None and (int(multigrid_levels) != multigrid_levels
                                             or multigrid_levels < 0):
            raise InputError(f"multigrid_levels must be a whole number >= 0 or None; got "
                             f"{multigrid_levels!r}")
        self.model = model
        self.data_neighbours = int(data_neighbours)
        self.node_neighbours = int(node_neighbours)
        self.search = search
        self.kind = kind
        self.multigrid_levels = multigrid_levels
        self.max_template = int(max_template)

    def __repr__(self) -> str:
        from .._display import text_repr

        levels = "auto" if self.multigrid_levels is None else str(self.multigrid_levels)
        return text_repr("SequentialGaussian", self.model.describe(),
                         f"{self.kind} kriging, {self.data_neighbours} data and "
                         f"{self.node_neighbours} node neighbours, multigrid {levels}")

    # ------------------------------------------------------------------ simulate

    def simulate(
        self,
        grid: Any,
        data_coords: ArrayLike,
        data_scores: ArrayLike,
        n_realisations: int,
        *,
        seed: int | None,
        mask: Any = None,
        path_batch: int | None = None,
        new_path_per_realisation: bool = False,
    ) -> np.ndarray:
        """
        Realisations of the normal scores at the active nodes of `grid`.

        Parameters
        ----------
        grid : BlockGrid or tuple
            The nodes: a :class:`~raremin.grid.BlockGrid`'s block centres, or
            ``(origin, spacing, shape)`` of a regular grid of 1 to 3 axes (node centres
            at ``origin + spacing * (index + 0.5)``), metres.
        data_coords : array_like, shape (n, d)
            Conditioning data locations, metres (n may be 0: unconditional).
        data_scores : array_like, shape (n,)
            Their normal scores.
        n_realisations : int
            Number of realisations.
        seed : int or None
            Seed of the paths and residuals.
        mask : array_like of bool, shape (grid.n_blocks,), optional
            Active nodes (in the grid's flat index order); default all.
        path_batch : int, optional
            Realisations sharing one path (and one set of weights); default all.
        new_path_per_realisation : bool, default False
            One path per realisation (``path_batch=1``).

        Returns
        -------
        numpy.ndarray, shape (n_realisations, n_active)
            Simulated normal scores, nodes in flat index order.

        Raises
        ------
        InputError
            Bad data, mask or counts.
        ConvergenceError
            A singular kriging system (duplicate data points, for instance).

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> from raremin.geostats.simulation import SequentialGaussian
        >>> from raremin.grid import BlockGrid
        >>> sgs = SequentialGaussian(VariogramModel(0.0, [Structure("spherical", 1.0, 5.0)]))
        >>> grid = BlockGrid((0.0, 0.0), (1.0, 1.0), (50, 4))
        >>> sgs.simulate(grid, np.empty((0, 2)), [], 2, seed=1).shape
        (2, 200)
        """
        out: np.ndarray | None = None
        for rows, part in self.batches(grid, data_coords, data_scores, n_realisations,
                                       seed=seed, mask=mask, path_batch=path_batch,
                                       new_path_per_realisation=new_path_per_realisation):
            if out is None:
                out = np.empty((int(n_realisations), part.shape[1]))
            out[rows] = part
        return out if out is not None else np.empty((0, 0))  # n_realisations >= 1

    def batches(
        self,
        grid: Any,
        data_coords: ArrayLike,
        data_scores: ArrayLike,
        n_realisations: int,
        *,
        seed: int | None,
        mask: Any = None,
        path_batch: int | None = None,
        new_path_per_realisation: bool = False,
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """
        The realisations of :meth:`simulate`, one batch (one path) at a time.

        Yields ``(realisations, values)``: the slice of realisation numbers and their
        normal scores (len(slice), n_active). Only one batch is in memory at a time, so
        realisations that do not fit can be stored as they come (e.g. in a Zarr array).
        The values equal those of :meth:`simulate` with the same arguments.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> from raremin.geostats.simulation import SequentialGaussian
        >>> from raremin.grid import BlockGrid
        >>> sgs = SequentialGaussian(VariogramModel(0.0, [Structure("spherical", 1.0, 5.0)]))
        >>> grid = BlockGrid((0.0, 0.0), (1.0, 1.0), (20, 4))
        >>> [(r, y.shape) for r, y in sgs.batches(grid, np.empty((0, 2)), [], 5, seed=1,
        ...                                        path_batch=2)]
        [(slice(0, 2, None), (2, 80)), (slice(2, 4, None), (2, 80)), (slice(4, 5, None), (1, 80))]
        """
        grid = _RegularGrid.of(grid)
        ndim = grid.ndim
        xyz = np.asarray(data_coords, dtype=float).reshape(-1, ndim)
        scores = np.asarray(data_scores, dtype=float).ravel()
        if scores.size != xyz.shape[0]:
            raise InputError(f"data_scores has {scores.size} values for {xyz.shape[0]} "
                             f"locations; give one score per location")
        if not (np.isfinite(xyz).all() and np.isfinite(scores).all()):
            raise InputError("data locations and scores must be finite (drop NaN rows first)")
        if isinstance(n_realisations, bool) or int(n_realisations) != n_realisations \
                or n_realisations < 1:
            raise InputError(f"n_realisations must be a whole number >= 1; got "
                             f"{n_realisations!r}")
        r_total = int(n_realisations)
        active = np.arange(grid.n_blocks) if mask is None else \
            np.flatnonzero(np.asarray(mask, dtype=bool).ravel())
        if mask is not None and (np.asarray(mask).ndim != 1
                                 or np.asarray(mask).size != grid.n_blocks):
            raise InputError(f"mask has shape {np.asarray(mask).shape} for {grid.n_blocks} "
                             f"nodes; give a flat array, one value per node in the grid's "
                             f"flat index order (x fastest)")
        batch = 1 if new_path_per_realisation else (r_total if path_batch is None
                                                    else int(path_batch))
        if batch < 1:
            raise InputError(f"path_batch must be >= 1; got {path_batch!r}")
        search = self._search(ndim)
        noise_root, path_root = np.random.SeedSequence(seed).spawn(2)
        streams = noise_root.spawn(r_total)  # realisation r: child r, whatever r_total
        paths = path_root.spawn(math.ceil(r_total / batch))  # batch b: child b
        if active.size == 0:
            for first in range(0, r_total, batch):
                yield slice(first, min(r_total, first + batch)), \
                    np.empty((min(r_total, first + batch) - first, 0))
            return
        nodes_xyz = grid.index_to_coords(active)
        data_idx = self._data_neighbours(search, xyz, nodes_xyz)
        # A node on a datum takes the datum's value; other nodes use the datum instead
        # (the two together would make their kriging systems singular).
        on_datum = np.zeros(active.size, dtype=bool)
        if xyz.shape[0]:
            from scipy.spatial import cKDTree

            gap, _ = cKDTree(xyz).query(nodes_xyz, k=1)
            on_datum = gap == 0.0
        data_values = np.where(data_idx >= 0, scores[np.maximum(data_idx, 0)], 0.0)
        system, points = self._system(xyz, nodes_xyz)  # the same for every path
        for b, first in enumerate(range(0, r_total, batch)):
            last = min(r_total, first + batch)
            # node-major: a node's realisations together; the noise first, drawn per
            # realisation from its own stream
            part = np.empty((active.size, last - first))
            for j, r in enumerate(range(first, last)):
                part[:, j] = np.random.default_rng(streams[r]).standard_normal(active.size)
            rng = np.random.default_rng(paths[b])
            path, levels = self._path(grid, active, search, rng)
            node_idx = self._node_neighbours(grid, active, path, levels, search, on_datum)
            weights_d, weights_n, sigma = self._weights(system, points, xyz.shape[0],
                                                        nodes_xyz, data_idx, node_idx)
            data_part = np.einsum("nk,nk->n", weights_d, data_values)
            _kernels()[1](path, node_idx, weights_n, data_part, sigma, part)
            yield slice(first, last), part.T

    # ------------------------------------------------------------------ pieces

    def _search(self, ndim: int) -> Neighbourhood:
        """The search ellipsoid: given, or the model's longest structure's."""
        if self.search is not None:
            return self.search
        major = max(self.model.structures, key=lambda s: float(np.max(s.ranges)),
                    default=None)
        ranges = (1.0,) * ndim if major is None else tuple(
            np.resize(np.atleast_1d(np.asarray(major.ranges, dtype=float)), ndim))
        angles = (0.0, 0.0, 0.0) if major is None else tuple(major.angles)
        return Neighbourhood(max(self.data_neighbours, 1), ranges=ranges, angles=angles,
                             radius=1.0)

    def _data_neighbours(self, search: Neighbourhood, xyz: np.ndarray,
                         nodes: np.ndarray) -> np.ndarray:
        """Index (n_nodes, data_neighbours) of each node's nearest data (-1: none)."""
        k = self.data_neighbours
        if k == 0 or xyz.shape[0] == 0:
            return np.full((nodes.shape[0], 0), -1, dtype=np.int64)
        rules = dataclasses.replace(search, max_samples=min(k, xyz.shape[0]), min_samples=1)
        found = NeighbourSearch(xyz, rules).query(nodes)
        return np.asarray(found.index, dtype=np.int64)

    @staticmethod
    def _half_extent_m(grid: Any, search: Neighbourhood) -> np.ndarray:
        """Half the extent of the search ellipsoid along each grid axis, metres."""
        radius = float(search.radius) if search.radius is not None else math.inf
        extent = np.asarray(grid.shape) * np.asarray(grid.block_size, dtype=float)
        if not math.isfinite(radius):
            return extent
        matrix = search.matrix
        if matrix is None:  # isotropic: the radius is in metres
            half = np.full(grid.ndim, radius)
        else:  # |A x| <= r reaches r * |row a of A^-1| along axis a
            half = radius * np.linalg.norm(np.linalg.inv(matrix), axis=1)
        return np.minimum(half, extent)

    def _levels(self, grid: Any, search: Neighbourhood) -> int:
        if self.multigrid_levels is not None:
            return int(self.multigrid_levels)
        nodes = self._half_extent_m(grid, search) / np.asarray(grid.block_size, dtype=float)
        spread = nodes[np.asarray(grid.shape) > 1]
        reach = float(spread.min()) if spread.size else 1.0
        return max(0, int(math.floor(math.log2(max(reach / 4.0, 1.0)))))

    def _path(self, grid: Any, active: np.ndarray, search: Neighbourhood,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Positions in `active` in path order, and each node's multiple-grid level."""
        top = self._levels(grid, search)
        ijk = grid.index_to_ijk(active)
        level = np.zeros(active.size, dtype=np.int64)
        for lev in range(1, top + 1):
            level[np.all(ijk % (1 << lev) == 0, axis=1)] = lev
        keys = rng.random(active.size)
        path = np.lexsort((keys, -level))  # coarsest first, random within a level
        return path.astype(np.int64), level

    def _template(self, grid: Any, search: Neighbourhood, step: int) -> np.ndarray:
        """Grid offsets (multiples of `step`) within the ellipsoid, nearest first."""
        spacing = np.asarray(grid.block_size, dtype=float)
        half = np.ceil(self._half_extent_m(grid, search) / (spacing * step)).astype(int)
        half = np.minimum(half, np.asarray(grid.shape) // step + 1)
        axes = [np.arange(-h, h + 1) for h in half]
        offsets = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, grid.ndim)
        offsets = offsets[np.any(offsets != 0, axis=1)] * step
        dist = np.linalg.norm(search.transform(offsets * spacing), axis=1)
        radius = float(search.radius) if search.radius is not None else math.inf
        keep = dist <= radius if math.isfinite(radius) else np.ones(dist.size, dtype=bool)
        order = np.argsort(dist[keep], kind="stable")[: self.max_template]
        return offsets[keep][order]

    def _node_neighbours(self, grid: Any, active: np.ndarray, path: np.ndarray,
                         levels: np.ndarray, search: Neighbourhood,
                         hidden: np.ndarray) -> np.ndarray:
        """
        Index (n_active, node_neighbours) in `active` of earlier nodes (-1: none);
        `hidden` nodes (on a datum) are never neighbours.
        """
        k = self.node_neighbours
        n = active.size
        position = np.empty(n, dtype=np.int64)
        position[path] = np.arange(n)
        rank = np.full(grid.n_blocks, -1, dtype=np.int64)  # path position of each grid node
        rank[active] = np.where(hidden, -1, position)
        slot = np.full(grid.n_blocks, -1, dtype=np.int64)  # its row in `active`
        slot[active] = np.arange(n)
        ijk = np.zeros((n, 3), dtype=np.int64)  # 2D grids: a third axis of one layer
        ijk[:, :grid.ndim] = grid.index_to_ijk(active)
        shape3 = np.ones(3, dtype=np.int64)
        shape3[:grid.ndim] = grid.shape
        out = np.full((n, k), -1, dtype=np.int64)
        search_kernel = _kernels()[0]
        for lev in np.unique(levels):
            found = self._template(grid, search, 1 << int(lev))
            template = np.zeros((found.shape[0], 3), dtype=np.int64)
            template[:, :grid.ndim] = found
            rows = np.flatnonzero(levels == lev).astype(np.int64)
            search_kernel(ijk, rows, position, rank, slot, template, shape3, out)
        return out

    def _system(self, xyz: np.ndarray, nodes: np.ndarray) -> Any:
        """Kriging's system with the data, then the nodes, as one set of points."""
        from . import _system

        points = np.concatenate([xyz, nodes])
        return _system.build(self.model, points, np.zeros((points.shape[0], 1)),
                             ordinary=self.kind == "ordinary", shift=np.zeros(1)), points

    def _weights(self, system: Any, points: np.ndarray, n_data: int, nodes: np.ndarray,
                 data_idx: np.ndarray, node_idx: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Kriging weights of each node's data and nodes, and its kriging standard deviation.

        Solved by kriging's own system and kernel (:mod:`raremin.geostats._system`: the
        same covariances, pivot rule and compiled solve) of :meth:`_system`, built once
        for every path.
        """
        from . import _system
        from .neighbourhood import Neighbours

        n, kd = data_idx.shape
        weights_d = np.zeros((n, kd))
        weights_n = np.zeros(node_idx.shape)
        variance = np.full(n, self.model.sill)
        for start in range(0, n, _NODE_CHUNK):  # bounded memory: every temporary per chunk
            part = slice(start, min(n, start + _NODE_CHUNK))
            index = np.concatenate(
                [data_idx[part], np.where(node_idx[part] >= 0, node_idx[part] + n_data, -1)],
                axis=1)
            # used neighbours first in each row (the solver reads the first `count`)
            order = np.argsort(index < 0, axis=1, kind="stable")
            index = np.ascontiguousarray(np.take_along_axis(index, order, axis=1))
            count = (index >= 0).sum(axis=1).astype(np.int64)
            here = nodes[part]
            lags = points[np.maximum(index, 0)] - here[:, None, :]
            distance = np.where(index >= 0, np.sqrt((lags * lags).sum(axis=2)), np.inf)
            found = Neighbours(index, distance, distance, count)
            weights = np.zeros(index.shape)
            _, diagnostics = _system.solve_neighbourhoods(
                system, here, found, 1, first_label=start, weights=weights)
            solved = count > 0
            variance[part][solved] = diagnostics["variance"][solved]
            # back to the slots of data_idx and node_idx
            slots = np.empty_like(weights)
            np.put_along_axis(slots, order, weights, axis=1)
            weights_d[part] = slots[:, :kd]
            weights_n[part] = slots[:, kd:]
        sigma = np.sqrt(np.clip(variance, 0.0, None))
        return weights_d, weights_n, sigma


class _RegularGrid:
    """A regular grid of 1 to 3 axes (a BlockGrid's, or origin, spacing and shape)."""

    def __init__(self, origin: Any, spacing: Any, shape: Any) -> None:
        self.origin = np.atleast_1d(np.asarray(origin, dtype=float))
        self.block_size = np.atleast_1d(np.asarray(spacing, dtype=float))
        self.shape = tuple(int(v) for v in np.atleast_1d(np.asarray(shape)))
        self.ndim = len(self.shape)
        if not (1 <= self.ndim <= 3 and self.origin.size == self.ndim == self.block_size.size
                and np.all(self.block_size > 0) and min(self.shape) >= 1):
            raise InputError(f"a grid is (origin, spacing, shape) of 1 to 3 axes, spacing > 0 "
                             f"and at least one node per axis; got origin {origin!r}, spacing "
                             f"{spacing!r}, shape {shape!r}")
        self.n_blocks = int(np.prod(self.shape))

    @classmethod
    def of(cls, grid: Any) -> _RegularGrid:
        if isinstance(grid, _RegularGrid):
            return grid
        if hasattr(grid, "origin") and hasattr(grid, "block_size"):
            return cls(grid.origin, grid.block_size, grid.shape)
        if isinstance(grid, (tuple, list)) and len(grid) == 3:
            return cls(*grid)
        raise InputError(f"grid must be a BlockGrid or (origin, spacing, shape); got "
                         f"{type(grid).__name__}")

    def index_to_ijk(self, index: np.ndarray) -> np.ndarray:
        """Axis indices (n, ndim) of flat indices (x fastest, as BlockGrid)."""
        return np.stack(np.unravel_index(np.asarray(index), self.shape, order="F"), axis=-1)

    def index_to_coords(self, index: np.ndarray) -> np.ndarray:
        """Node centres (n, ndim), metres."""
        return self.origin + self.block_size * (self.index_to_ijk(index) + 0.5)


_compiled: tuple[Any, Any] | None = None
_compile_lock = threading.Lock()


def _kernels() -> tuple[Any, Any]:
    """The compiled template search and sequential pass (numba: about 2 s, then cached)."""
    global _compiled
    with _compile_lock:
        if _compiled is None:
            numba = _jit.import_numba("sequential Gaussian simulation")
            options = {"cache": True, "nogil": True, "boundscheck": False}
            _compiled = (
                numba.njit("void(int64[:, ::1], int64[::1], int64[::1], int64[::1], "
                           "int64[::1], int64[:, ::1], int64[::1], int64[:, ::1])",
                           **options)(_template_search),
                numba.njit("void(int64[::1], int64[:, ::1], float64[:, ::1], float64[::1], "
                           "float64[::1], float64[:, ::1])", **options)(_sequential_pass),
            )
    return _compiled


def _template_search(ijk, rows, position, rank, slot, template, shape, out):  # pragma: no cover
    """
    For each node of `rows`: the first ``out.shape[1]`` template offsets (in template
    order: nearest first) that land on a node earlier in the path (``rank`` of the grid
    node, -1: none or hidden, below the node's own ``position``); their rows (``slot``)
    go to ``out``.
    """
    k = out.shape[1]
    nx, ny, nz = shape[0], shape[1], shape[2]
    for a in range(rows.shape[0]):
        i = rows[a]
        mine = position[i]
        x0, y0, z0 = ijk[i, 0], ijk[i, 1], ijk[i, 2]
        c = 0
        for t in range(template.shape[0]):
            x = x0 + template[t, 0]
            y = y0 + template[t, 1]
            z = z0 + template[t, 2]
            if x < 0 or x >= nx or y < 0 or y >= ny or z < 0 or z >= nz:
                continue
            flat = x + nx * (y + ny * z)
            r = rank[flat]
            if r >= 0 and r < mine:
                out[i, c] = slot[flat]
                c += 1
                if c == k:
                    break


def _sequential_pass(path, node_idx, weights, data_part, sigma, out):  # pragma: no cover
    """
    Along the path: out[i, r] = data_part[i] + sum_j w_ij out[nbr_ij, r] + sigma_i out[i, r]
    (`out` holds the residuals' standard normal draws on entry; rows are nodes).
    """
    n_real = out.shape[1]
    k = node_idx.shape[1]
    for p in range(path.shape[0]):
        i = path[p]
        s = sigma[i]
        base = data_part[i]
        for r in range(n_real):
            out[i, r] = base + s * out[i, r]
        for j in range(k):
            nb = node_idx[i, j]
            if nb < 0:
                continue
            w = weights[i, j]
            for r in range(n_real):
                out[i, r] += w * out[nb, r]
