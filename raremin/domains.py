"""
Zones as 3D bodies: prisms, closed triangulated solids, layers between two surfaces,
and topography; block proportions (exact for closed solids) and inside tests by exact
vertical ray casting.

Every body answers the same questions, so the rest of raremin treats them alike:

* ``bounds``: ``(xmin, ymin, zmin, xmax, ymax, zmax)``, metres;
* ``volume_m3``: its volume;
* ``footprint()``: its plan outline (a valid shapely Polygon or MultiPolygon);
* ``intervals(x, y)``: the stretches of each vertical line ``(x[i], y[i])`` that lie
  inside the body (an :class:`Intervals`);
* ``contains(xyz)``: which points lie inside (points on the surface count as inside).

The bodies are a :class:`Prism` (a footprint between two elevations, the shape of
:class:`raremin.deposit.Zone`), a :class:`Solid` (a closed triangulated mesh: a
"wireframe" from a modelling package, read from STL, OBJ, PLY, OFF or DXF) and a
:class:`Layer` (the volume between two :class:`Surface` objects, optionally clipped to a
footprint). A topography surface clips any body from above (:func:`clip_below`, or the
``topography=`` argument of :func:`block_proportions`, :func:`body_volume` and
``contains``).

:func:`block_proportions` codes a block grid. A closed :class:`Solid` (without
topography) is coded exactly: the volume of the solid inside each block, from the
divergence theorem over its triangles clipped to each block column. Other bodies, and
any body under a topography, are coded by vertical rays cast at the centres of
``subcells x subcells`` plan sub-cells of every block column the body can touch. The
inside stretches of each ray give its exact vertical share of every block it crosses
(overlap of the stretch with the block's height, divided by the height); a block's
proportion is the mean over its rays. Vertical fractions are thus exact and the plan is
sampled, as the ``"subcell"`` method of :func:`raremin.grid.zone_proportions` does.

Examples
--------
>>> import numpy as np
>>> from raremin.domains import Solid
>>> cube = Solid.from_arrays(
...     [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0],
...      [0, 0, 10], [10, 0, 10], [10, 10, 10], [0, 10, 10]],
...     [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
...      [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]], name="cube")
>>> cube.volume_m3, cube.bounds
(1000.0, (0.0, 0.0, 0.0, 10.0, 10.0, 10.0))
>>> cube.contains([[5, 5, 5], [5, 5, 11]]).tolist()
[True, False]
"""

from __future__ import annotations

import functools
import logging
import math
import re
import types
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
import shapely
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from ._validation import as_float_array, check_finite
from .errors import GeometryError, InputError
from .units import FOOT_M

if TYPE_CHECKING:  # pragma: no cover
    from .grid import BlockGrid

__all__ = [
    "FOOT_M",
    "LENGTH_UNITS",
    "Body",
    "Crossings",
    "Intervals",
    "Layer",
    "Prism",
    "Solid",
    "Surface",
    "block_proportions",
    "body_volume",
    "clip_below",
]

logger = logging.getLogger(__name__)


#: Length units accepted for mesh and surface coordinates, in metres.
LENGTH_UNITS: Mapping[str, float] = types.MappingProxyType({"m": 1.0, "ft": FOOT_M})

#: Most candidate (triangle, ray) pairs tested at once: bounds the memory of a cast
#: (about 100 bytes per pair while a batch is tested).
_MAX_PAIRS = 1 << 20

#: Most rays per chunk of block_proportions, and most (column, level) cells per chunk.
_CHUNK_RAYS = 1 << 20
_CHUNK_CELLS = 1 << 22

#: Most (triangle, column) pairs, and most (pair, level boundary) items, clipped at once
#: by the exact method of block_proportions (about 1 KB each while a batch is clipped).
_CHUNK_CLIP = 1 << 17

#: Exact block proportions within this of 0 are dropped, within this of 1 set to 1
#: (rounding; scaled up for solids many blocks tall, see _exact_tolerance).
_DUST = 1e-12

#: An exact block proportion above 1 + this reveals overlapping parts (winding number 2).
_OVERFULL = 1e-9

#: Rays per axis of the self-intersection check run when a Solid is built.
_CHECK_RAYS = 128

#: Share of the rays through a solid whose crossings may fail to alternate before a
#: Solid is refused (fewer draw a warning).
_BAD_RAY_SHARE = 0.01

#: Points per axis of the grid over a layer tested by Layer.crossings().
_CHECK_POINTS = 64

#: Rays per axis of the quadrature of body_volume (and of Layer.volume_m3).
_VOLUME_RAYS = 512

#: Relative tolerance (of the body's size) for points on a solid's surface in contains.
_SURFACE_TOL = 1e-9

#: Crossings of one ray closer than this share of the solid's size are one crossing.
_TIE_TOL = 1e-10

#: Vertices of a solid closer than this share of its bounding-box diagonal are merged.
_MERGE_TOL = 1e-9

#: A shell whose volume is below this share of its bounding box's volume is "flat".
_FLAT_SHARE = 1e-9


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------
def _unit_factor(unit: Any) -> float:
    key = unit.strip().lower() if isinstance(unit, str) else unit
    if key not in LENGTH_UNITS:
        raise InputError(f"unknown length unit {unit!r}; use one of {sorted(LENGTH_UNITS)} "
                         f"(feet are converted to metres, 1 ft = 0.3048 m)")
    return LENGTH_UNITS[key]


def _xyz(point: Any) -> str:
    return "(" + ", ".join(f"{float(v):.3f}" for v in point) + ")"


def _check_polygon(footprint: Any, what: str) -> Any:
    if not isinstance(footprint, (shapely.Polygon, shapely.MultiPolygon)):
        raise GeometryError(f"{what} must be a shapely Polygon or MultiPolygon; got "
                            f"{type(footprint).__name__}")
    if footprint.is_empty or not footprint.area > 0:
        raise GeometryError(f"{what} is empty (zero area)")
    if not footprint.is_valid:
        raise GeometryError(f"{what} is invalid: {shapely.is_valid_reason(footprint)}; repair "
                            f"it (for example with shapely.make_valid) or fix the vertex order")
    return footprint


def _as_polygonal(geom: Any) -> Any:
    """The polygonal part of a geometry, valid (an empty Polygon when there is none)."""
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    if isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _batches(counts: np.ndarray, limit: int) -> Iterator[tuple[int, int]]:
    """Ranges ``[a, b)`` of owners whose counts sum to at most `limit` (>= one owner)."""
    cum = np.cumsum(counts)
    a, n = 0, len(counts)
    while a < n:
        base = cum[a - 1] if a else 0
        b = max(int(np.searchsorted(cum, base + limit, side="right")), a + 1)
        yield a, b
        a = b


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For owners with `counts` items each: the owner and the item's rank of every item."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def _expand_batches(counts: np.ndarray, limit: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """
    The items of owners with `counts` items each, at most `limit` at a time (an owner's
    items may be split between batches): the owner and the item's rank of every item.
    """
    cum = np.cumsum(counts)
    total = int(cum[-1]) if len(cum) else 0
    for start in range(0, total, limit):
        item = np.arange(start, min(start + limit, total))
        owner = np.searchsorted(cum, item, side="right")
        yield owner, item - (cum[owner] - counts[owner])


def _plan_args(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Plan coordinates broadcast together and flattened, and their shape."""
    xa, ya = np.broadcast_arrays(as_float_array(x, "x"), as_float_array(y, "y"))
    return xa.ravel(), ya.ravel(), xa.shape


# ---------------------------------------------------------------------------------------
# Intervals and the issues found while casting
# ---------------------------------------------------------------------------------------
class Intervals(NamedTuple):
    """
    The inside stretches of vertical rays through a body.

    Attributes
    ----------
    x, y : numpy.ndarray
        Plan positions of the rays, one per ray. Units: m.
    ray : numpy.ndarray
        For each stretch, the index of its ray (into `x` and `y`).
    z_in, z_out : numpy.ndarray
        Bottom and top elevation of each stretch (``z_in < z_out``). Units: m.

    Stretches are sorted by ray, then upwards; the stretches of one ray do not overlap.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.domains import Prism
    >>> iv = Prism(box(0, 0, 10, 10), 0.0, 5.0).intervals([5, 50], [5, 5])
    >>> iv.ray.tolist(), iv.z_in.tolist(), iv.z_out.tolist(), iv.length_m().tolist()
    ([0], [0.0], [5.0], [5.0, 0.0])
    """

    x: np.ndarray
    y: np.ndarray
    ray: np.ndarray
    z_in: np.ndarray
    z_out: np.ndarray

    @property
    def n_rays(self) -> int:
        """Number of rays (with or without stretches)."""
        return len(self.x)

    def length_m(self) -> np.ndarray:
        """
        Total inside length of each ray, m.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.domains import Intervals
        >>> iv = Intervals(np.zeros(2), np.zeros(2), np.array([1, 1]),
        ...                np.array([0.0, 5.0]), np.array([1.0, 7.0]))
        >>> iv.length_m().tolist()
        [0.0, 3.0]
        """
        return np.bincount(self.ray, weights=self.z_out - self.z_in, minlength=self.n_rays)

    def select(self, keep: np.ndarray) -> Intervals:
        """
        The stretches where `keep` is true (same rays).

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.domains import Intervals
        >>> iv = Intervals(np.zeros(1), np.zeros(1), np.array([0, 0]),
        ...                np.array([0.0, 5.0]), np.array([1.0, 7.0]))
        >>> iv.select(np.array([False, True])).z_in.tolist()
        [5.0]
        """
        return Intervals(self.x, self.y, self.ray[keep], self.z_in[keep], self.z_out[keep])


#: An issue found on some rays: (rays with the issue, rays on which it was looked for).
_Issues = dict[str, tuple[np.ndarray, np.ndarray]]


class _Tally:
    """Counts and locations of an issue over the chunks of a cast."""

    def __init__(self) -> None:
        self.count = 0
        self.tested = 0
        self.first: tuple[float, float] | None = None
        self.lo = np.array([np.inf, np.inf])
        self.hi = np.array([-np.inf, -np.inf])

    def add(self, bad: np.ndarray, tested: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
        self.tested += int(np.count_nonzero(tested))
        idx = np.flatnonzero(bad)
        if idx.size == 0:
            return
        self.count += idx.size
        if self.first is None:
            self.first = (float(x[idx[0]]), float(y[idx[0]]))
        xy = np.column_stack([x[idx], y[idx]])
        self.lo = np.minimum(self.lo, xy.min(axis=0))
        self.hi = np.maximum(self.hi, xy.max(axis=0))

    @property
    def extent(self) -> tuple[float, float, float, float] | None:
        if self.first is None:
            return None
        return (float(self.lo[0]), float(self.lo[1]), float(self.hi[0]), float(self.hi[1]))


def _issue_text(key: str, body: Any, tally: _Tally) -> str:
    where = (f"first at (x, y) = ({tally.first[0]:.3f}, {tally.first[1]:.3f}), over x "
             f"{tally.lo[0]:.3f} to {tally.hi[0]:.3f} and y {tally.lo[1]:.3f} to "
             f"{tally.hi[1]:.3f}") if tally.first else ""
    share = f"{tally.count:,} of {tally.tested:,} vertical rays"
    label = f"{getattr(body, 'kind', 'body')} {getattr(body, 'name', '')!r}"
    if key == "self_intersection":
        return (f"{label}: along {share} through it the surface crossings do not alternate "
                f"entry/exit ({where}): the mesh intersects itself or its shells overlap there; "
                f"the union of the overlapping parts is used (inside where the winding number "
                f"is >= 1). Fix: repair the self-intersections (or merge the shells with a "
                f"boolean union) in the modelling package")
    if key == "crossing":
        return (f"{label}: the top surface lies below the bottom surface on {share} where both "
                f"are defined ({where}); the layer is empty there. Check that the surfaces are "
                f"not swapped, or clip the layer to where it exists (footprint=)")
    if key == "topography":
        return (f"{label}: the topography is undefined (NaN) on {share} that cross the body "
                f"({where}); the body is not clipped there. Extend the topography surface over "
                f"the whole body")
    return f"{label}: {key} on {share} ({where})"


def _warn_issues(body: Any, tallies: Mapping[str, _Tally], stacklevel: int = 3) -> None:
    for key, tally in tallies.items():
        if tally.count:
            warnings.warn(_issue_text(key, body, tally), UserWarning, stacklevel=stacklevel)


def _tally_issues(tallies: dict[str, _Tally], issues: _Issues, iv: Intervals) -> None:
    for key, (bad, tested) in issues.items():
        tallies.setdefault(key, _Tally()).add(bad, tested, iv.x, iv.y)


# ---------------------------------------------------------------------------------------
# The ray-casting engine
# ---------------------------------------------------------------------------------------
class _Triangles:
    """
    Triangles prepared for vertical rays: plan edge tests, planes, plan bounding boxes.

    Coordinates are kept relative to ``origin`` (the centre of the vertices' bounding
    box). Each edge's test is computed from its canonical direction (from the lower to
    the higher vertex index) and its sign flipped for the triangle that runs the other
    way, so the two triangles sharing an edge get exactly opposite values for any ray.
    Rays through an edge or a vertex follow the symbolic perturbation of the ray by
    ``(d1, d2)``, ``0 < d2 << d1`` infinitesimal (see :class:`Solid`, Notes).
    """

    def __init__(self, vertices: np.ndarray, faces: np.ndarray) -> None:
        lo_v, hi_v = vertices.min(axis=0), vertices.max(axis=0)
        self.origin = 0.5 * (lo_v + hi_v)
        loc = vertices - self.origin
        u, v = faces, np.roll(faces, -1, axis=1)
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        s = np.where(u < v, 1.0, -1.0)
        lx, ly = loc[lo, 0], loc[lo, 1]
        ex, ey = loc[hi, 0] - lx, loc[hi, 1] - ly
        a, b, c = loc[faces[:, 0]], loc[faces[:, 1]], loc[faces[:, 2]]
        area2 = s[:, 0] * (ex[:, 0] * (c[:, 1] - ly[:, 0]) - ey[:, 0] * (c[:, 0] - lx[:, 0]))
        normal = np.cross(b - a, c - a)
        keep = (area2 != 0) & (normal[:, 2] != 0)
        self.face = np.flatnonzero(keep)
        sigma = np.sign(area2[keep])
        self.sigma = sigma
        m = s[keep] * sigma[:, None]
        ex, ey, lx, ly = ex[keep], ey[keep], lx[keep], ly[keep]
        # Edge arrays as (3, T): one contiguous row per edge of the triangles.
        self.ex, self.ey, self.lx, self.ly, self.m = (np.ascontiguousarray(arr.T)
                                                      for arr in (ex, ey, lx, ly, m))
        self.owned = np.ascontiguousarray(((m * ey < 0) | ((ey == 0) & (m * ex > 0))).T)
        self.ax, self.ay, self.az = a[keep, 0], a[keep, 1], a[keep, 2]
        self.gx = -normal[keep, 0] / normal[keep, 2]
        self.gy = -normal[keep, 1] / normal[keep, 2]
        pts = loc[faces[keep]]
        self.xmin, self.xmax = pts[:, :, 0].min(axis=1), pts[:, :, 0].max(axis=1)
        self.ymin, self.ymax = pts[:, :, 1].min(axis=1), pts[:, :, 1].max(axis=1)
        self.plan_area = 0.5 * np.abs(area2[keep])

    def __len__(self) -> int:
        return len(self.face)

    def _test(self, t: np.ndarray, px: np.ndarray, py: np.ndarray, mode: str) -> np.ndarray:
        """Positions of the (triangle, point) pairs whose point is inside the triangle."""
        keep = np.arange(len(t))
        for k in range(3):
            tk, qx, qy = t[keep], px[keep], py[keep]
            w = self.ex[k, tk] * (qy - self.ly[k, tk]) - self.ey[k, tk] * (qx - self.lx[k, tk])
            mw = self.m[k, tk] * w
            if mode == "ray":
                ok = (mw > 0) | ((w == 0) & self.owned[k, tk])
            elif mode == "closed":
                ok = mw >= 0
            else:
                ok = mw > 0
            keep = keep[ok]
        return keep

    def _z(self, t: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        return (self.az[t] + self.gx[t] * (px - self.ax[t]) + self.gy[t] * (py - self.ay[t])
                + self.origin[2])

    def lattice_hits(self, xs: np.ndarray, ys: np.ndarray, mode: str = "ray"
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Crossings of the rays of a regular lattice ``xs x ys`` (ray ``i + len(xs) * j``).

        Returns the ray, the elevation and the triangle (index into the prepared ones).
        """
        xl, yl = xs - self.origin[0], ys - self.origin[1]
        nx, ny = len(xl), len(yl)
        empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
        if nx == 0 or ny == 0 or len(self) == 0:
            return empty
        sx = (xl[-1] - xl[0]) / (nx - 1) if nx > 1 else 1.0
        sy = (yl[-1] - yl[0]) / (ny - 1) if ny > 1 else 1.0
        sx, sy = (sx if sx > 0 else 1.0), (sy if sy > 0 else 1.0)
        # One lattice step of margin: index rounding is settled by the exact test.
        i_lo = np.maximum(np.ceil((self.xmin - xl[0]) / sx) - 1, 0)
        i_hi = np.minimum(np.floor((self.xmax - xl[0]) / sx) + 1, nx - 1)
        j_lo = np.maximum(np.ceil((self.ymin - yl[0]) / sy) - 1, 0)
        j_hi = np.minimum(np.floor((self.ymax - yl[0]) / sy) + 1, ny - 1)
        ni = np.maximum(i_hi - i_lo + 1, 0).astype(np.int64)
        nj = np.maximum(j_hi - j_lo + 1, 0).astype(np.int64)
        cand = np.flatnonzero((ni > 0) & (nj > 0))
        counts = ni[cand] * nj[cand]
        i_lo, j_lo = i_lo.astype(np.int64), j_lo.astype(np.int64)
        rays, zs, tris = [], [], []
        for a, b in _batches(counts, _MAX_PAIRS):
            owner, rank = _expand(counts[a:b])
            t = cand[a:b][owner]
            width = ni[t]
            i = i_lo[t] + rank % width
            j = j_lo[t] + rank // width
            px, py = xl[i], yl[j]
            hit = self._test(t, px, py, mode)
            t, px, py = t[hit], px[hit], py[hit]
            rays.append(i[hit] + nx * j[hit])
            zs.append(self._z(t, px, py))
            tris.append(t)
        if not rays:
            return empty
        return np.concatenate(rays), np.concatenate(zs), np.concatenate(tris)

    def point_hits(self, x: np.ndarray, y: np.ndarray, mode: str = "ray"
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Crossings of the vertical lines through arbitrary plan points.

        The points are binned in a plan grid (about one point per bin) indexed in CSR
        form; each triangle visits the bins its bounding box covers. Returns the point,
        the elevation and the triangle (index into the prepared ones).
        """
        empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
        n = len(x)
        if n == 0 or len(self) == 0:
            return empty
        xl, yl = x - self.origin[0], y - self.origin[1]
        finite = np.isfinite(xl) & np.isfinite(yl)
        if not finite.all():
            idx = np.flatnonzero(finite)
            pt, z, t = self.point_hits(x[idx], y[idx], mode)
            return idx[pt], z, t
        x0, x1, y0, y1 = xl.min(), xl.max(), yl.min(), yl.max()
        wx, wy = x1 - x0, y1 - y0
        nbins = min(n, 1 << 20)
        if wx > 0 and wy > 0:
            h = math.sqrt(wx * wy / nbins)
        else:
            h = max(wx, wy) / nbins if max(wx, wy) > 0 else 1.0
        nbx = int(min(wx // h + 1, 1 << 21))
        nby = int(min(wy // h + 1, 1 << 21))
        bx = np.minimum(((xl - x0) / h).astype(np.int64), nbx - 1)
        by = np.minimum(((yl - y0) / h).astype(np.int64), nby - 1)
        cell = bx + nbx * by
        order = np.argsort(cell, kind="stable")
        per_bin = np.bincount(cell, minlength=nbx * nby)
        bin_start = np.cumsum(per_bin) - per_bin
        # Bins covered by each triangle's bounding box (floor is monotone: no margin).
        over = (self.xmax >= x0) & (self.xmin <= x1) & (self.ymax >= y0) & (self.ymin <= y1)
        cand = np.flatnonzero(over)
        tx0 = np.clip(np.floor((self.xmin[cand] - x0) / h), 0, nbx - 1).astype(np.int64)
        tx1 = np.clip(np.floor((self.xmax[cand] - x0) / h), 0, nbx - 1).astype(np.int64)
        ty0 = np.clip(np.floor((self.ymin[cand] - y0) / h), 0, nby - 1).astype(np.int64)
        ty1 = np.clip(np.floor((self.ymax[cand] - y0) / h), 0, nby - 1).astype(np.int64)
        ni, nj = tx1 - tx0 + 1, ty1 - ty0 + 1
        counts = ni * nj
        pts, zs, tris = [], [], []
        for a, b in _batches(counts, _MAX_PAIRS):
            owner, rank = _expand(counts[a:b])
            sel = np.arange(a, b)[owner]
            bins = (tx0[sel] + rank % ni[sel]) + nbx * (ty0[sel] + rank // ni[sel])
            tri = cand[sel]
            filled = per_bin[bins] > 0
            bins, tri = bins[filled], tri[filled]
            inner = per_bin[bins]
            for c, d in _batches(inner, _MAX_PAIRS):
                owner2, rank2 = _expand(inner[c:d])
                t = tri[c:d][owner2]
                p = order[bin_start[bins[c:d][owner2]] + rank2]
                px, py = xl[p], yl[p]
                hit = self._test(t, px, py, mode)
                t, p = t[hit], p[hit]
                pts.append(p)
                zs.append(self._z(t, px[hit], py[hit]))
                tris.append(t)
        if not pts:
            return empty
        return np.concatenate(pts), np.concatenate(zs), np.concatenate(tris)


def _pair_crossings(ray: np.ndarray, z: np.ndarray, entry: np.ndarray, tol: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Inside stretches from the crossings of rays with an outward-oriented closed surface.

    `entry` is +1 where the surface's normal points down (the ray enters going up) and
    -1 where it points up. Crossings of one ray closer than `tol` in elevation form one
    crossing with the net sum of their entries (a ray grazing a silhouette edge enters
    and leaves at once: net 0, dropped; two shells touching face to face: their exit and
    entry cancel and the stretches join). The winding number after each crossing is the
    running sum of `entry` along the ray. A ray is *bad* when the winding number leaves
    {0, 1} or does not return to 0: its crossings do not alternate entry/exit. Inside =
    winding number >= 1.

    Returns (ray, z_in, z_out) of the stretches, the bad rays and the rays with crossings.
    """
    zero = np.zeros(0, np.int64)
    if ray.size == 0:
        return zero, np.zeros(0), np.zeros(0), zero, zero
    order = np.lexsort((z, ray))
    r, zz, d = ray[order], z[order], entry[order].astype(np.int64)
    crossed = r[np.r_[True, r[1:] != r[:-1]]]
    new = np.r_[True, (r[1:] != r[:-1]) | (zz[1:] - zz[:-1] > tol)]
    cluster = np.cumsum(new) - 1
    net = np.bincount(cluster, weights=d).astype(np.int64)
    keep = np.repeat(np.flatnonzero(new), np.abs(net))
    d = np.repeat(np.sign(net), np.abs(net))
    r, zz = r[keep], zz[keep]
    if r.size == 0:
        return zero, np.zeros(0), np.zeros(0), zero, crossed
    first = np.r_[True, r[1:] != r[:-1]]
    last = np.r_[r[1:] != r[:-1], True]
    total = np.cumsum(d)
    group = np.cumsum(first) - 1
    before_group = (total - d)[first]
    after = total - before_group[group]
    before = after - d
    bad_hit = (after < 0) | (after > 1) | (last & (after != 0))
    start = (before <= 0) & (after >= 1)
    end = ((before >= 1) & (after <= 0)) | (last & (after >= 1))
    s_idx, e_idx = np.flatnonzero(start), np.flatnonzero(end)
    z_in, z_out, ray_in = zz[s_idx], zz[e_idx], r[s_idx]
    ok = z_out > z_in
    return ray_in[ok], z_in[ok], z_out[ok], np.unique(r[bad_hit]), crossed


# ---------------------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------------------
class Body:
    """
    What every body of :mod:`raremin.domains` provides (a base class, not built alone).

    Subclasses implement ``bounds``, ``volume_m3``, ``footprint()`` and the ray casts;
    ``intervals`` and ``contains`` are shared.

    Attributes
    ----------
    kind : str
        ``"prism"``, ``"solid"`` or ``"layer"``.
    name : str
        A label used in messages.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.domains import Body, Prism
    >>> isinstance(Prism(box(0, 0, 1, 1), 0.0, 1.0), Body)
    True
    """

    kind: str = "body"
    name: str = "body"
    #: Tolerance of contains() on the body's surface, m.
    _ztol: float = 0.0

    # --- to implement -------------------------------------------------------------------
    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(xmin, ymin, zmin, xmax, ymax, zmax)``, m."""
        raise NotImplementedError

    @property
    def volume_m3(self) -> float:
        """Volume, m3."""
        raise NotImplementedError

    def footprint(self) -> Any:
        """
        Plan outline, a valid shapely Polygon or MultiPolygon.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.domains import Prism
        >>> Prism(box(0, 0, 10, 5), 0.0, 1.0).footprint().area
        50.0
        """
        raise NotImplementedError

    def _points(self, x: np.ndarray, y: np.ndarray) -> tuple[Intervals, _Issues]:
        raise NotImplementedError

    def _lattice(self, xs: np.ndarray, ys: np.ndarray) -> tuple[Intervals, _Issues]:
        """Rays at every ``(xs[i], ys[j])``, numbered ``i + len(xs) * j``."""
        gx, gy = np.meshgrid(xs, ys, indexing="xy")
        return self._points(gx.ravel(), gy.ravel())

    # --- shared -------------------------------------------------------------------------
    def intervals(self, x: ArrayLike, y: ArrayLike) -> Intervals:
        """
        The inside stretches of the vertical lines through plan points ``(x, y)``.

        Parameters
        ----------
        x, y : array_like
            Plan coordinates of the rays (broadcast together, flattened). Units: m.

        Returns
        -------
        Intervals
            ``ray`` indexes the flattened points.

        Warns
        -----
        UserWarning
            Rays where a solid's crossings do not alternate entry/exit, or where a
            layer's surfaces cross (count and location).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.domains import Prism
        >>> Prism(box(0, 0, 10, 10), 2.0, 5.0).intervals([1, 20], 1).z_out.tolist()
        [5.0]
        """
        xa, ya, _ = _plan_args(x, y)
        iv, issues = self._points(xa, ya)
        tallies: dict[str, _Tally] = {}
        _tally_issues(tallies, issues, iv)
        _warn_issues(self, tallies)
        return iv

    def contains(self, xyz: ArrayLike, *, topography: Surface | None = None) -> np.ndarray:
        """
        Which points lie inside the body (points on its surface count as inside).

        Parameters
        ----------
        xyz : array_like, shape (n, 3)
            Easting, northing, elevation. Units: m.
        topography : Surface, optional
            Points above it are outside.

        Returns
        -------
        numpy.ndarray of bool, shape (n,)

        Notes
        -----
        Uses the vertical rays through the points' plan positions (one ray per distinct
        position): a point is inside when its elevation lies within one of its ray's
        inside stretches. For a solid, points within 1e-9 of its size of a sloping or
        flat face count as inside; points on a vertical face follow the ray rule of
        :class:`Solid` (inside on faces that look towards -x, or towards -y when parallel
        to x).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.domains import Prism
        >>> Prism(box(0, 0, 10, 10), 0.0, 5.0).contains([[10, 5, 5], [5, 5, 6]]).tolist()
        [True, False]
        """
        pts = check_finite(xyz, "points")
        pts = pts.reshape(-1, 3) if pts.size % 3 == 0 and pts.ndim <= 1 else pts
        if pts.ndim != 2 or pts.shape[1] != 3:
            raise InputError(f"points must have 3 columns (easting, northing, elevation), m; "
                             f"got shape {np.shape(xyz)}")
        if len(pts) == 0:
            return np.zeros(0, dtype=bool)
        plan, inverse = np.unique(pts[:, :2], axis=0, return_inverse=True)
        inverse = inverse.ravel()
        iv, issues = self._points(plan[:, 0].copy(), plan[:, 1].copy())
        tallies: dict[str, _Tally] = {}
        _tally_issues(tallies, issues, iv)
        if topography is not None:
            iv, more = _clip_below(iv, topography)
            _tally_issues(tallies, more, iv)
        _warn_issues(self, tallies)
        per_ray = np.bincount(iv.ray, minlength=iv.n_rays)
        first = np.cumsum(per_ray) - per_ray
        counts = per_ray[inverse]
        point, rank = _expand(counts)
        k = first[inverse[point]] + rank
        z = pts[point, 2]
        tol = self._ztol
        hit = (iv.z_in[k] - tol <= z) & (z <= iv.z_out[k] + tol)
        return np.bincount(point[hit], minlength=len(pts)) > 0

    def __repr__(self) -> str:
        b = ", ".join(f"{v:.6g}" for v in self.bounds)
        return f"{type(self).__name__}({self.name!r}, bounds=({b}))"


class Prism(Body):
    """
    A footprint between two elevations: the zone shape of :class:`raremin.deposit.Zone`.

    Parameters
    ----------
    footprint : shapely.Polygon or shapely.MultiPolygon
        Plan outline (valid). Units: m.
    bottom_m, top_m : float
        Elevations of the bottom and the top (``top_m > bottom_m``). Units: m.
    name : str, default "prism"
        A label for messages.

    Notes
    -----
    A vertical line through a plan point of the footprint (its boundary included) is
    inside from `bottom_m` to `top_m`. :func:`raremin.grid.zone_proportions` gives a
    prism's exact block proportions; rays are what lets a topography clip it.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.domains import Prism
    >>> p = Prism(box(0, 0, 10, 20), 100.0, 130.0)
    >>> p.volume_m3, p.bounds
    (6000.0, (0.0, 0.0, 100.0, 10.0, 20.0, 130.0))
    """

    kind = "prism"

    def __init__(self, footprint: Any, bottom_m: float, top_m: float, *,
                 name: str = "prism") -> None:
        self.name = str(name)
        self._footprint = _check_polygon(footprint, f"prism {self.name!r} footprint")
        bottom = float(check_finite(bottom_m, f"prism {self.name!r} bottom_m"))
        top = float(check_finite(top_m, f"prism {self.name!r} top_m"))
        if not top > bottom:
            raise InputError(f"prism {self.name!r}: top_m ({top}) must be above bottom_m "
                             f"({bottom}); elevations are in metres, up positive")
        self.bottom_m, self.top_m = bottom, top
        shapely.prepare(self._footprint)

    @classmethod
    def from_zone(cls, zone: Any) -> Prism:
        """
        The prism of a :class:`raremin.deposit.Zone` (its footprint, bottom and top).

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.domains import Prism
        >>> Prism.from_zone(Zone("A", box(0, 0, 10, 10), 5, 0, 2.5)).volume_m3
        500.0
        """
        return cls(zone.footprint, zone.bottom_m, zone.top_m, name=getattr(zone, "name",
                                                                           "prism"))

    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(xmin, ymin, zmin, xmax, ymax, zmax)``, m."""
        w, s, e, n = self._footprint.bounds
        return (float(w), float(s), self.bottom_m, float(e), float(n), self.top_m)

    @property
    def volume_m3(self) -> float:
        """Footprint area x thickness, m3 (exact)."""
        return float(self._footprint.area) * (self.top_m - self.bottom_m)

    def footprint(self) -> Any:
        """
        The footprint polygon.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.domains import Prism
        >>> Prism(box(0, 0, 10, 20), 0.0, 1.0).footprint().area
        200.0
        """
        return self._footprint

    def _points(self, x: np.ndarray, y: np.ndarray) -> tuple[Intervals, _Issues]:
        inside = shapely.intersects_xy(self._footprint, x, y)
        ray = np.flatnonzero(inside)
        return Intervals(x, y, ray, np.full(ray.size, self.bottom_m),
                         np.full(ray.size, self.top_m)), {}


# ---------------------------------------------------------------------------------------
# Closed triangulated solids
# ---------------------------------------------------------------------------------------
def _merge_vertices(vertices: np.ndarray, faces: np.ndarray, tol: float
                    ) -> tuple[np.ndarray, np.ndarray, int]:
    """Merge identical vertices (and those closer than `tol`); drop unused ones."""
    used = np.unique(faces)
    uniq, inverse = np.unique(vertices[used], axis=0, return_inverse=True)
    remap = np.full(len(vertices), -1, np.int64)
    remap[used] = inverse.ravel()
    n_uniq = len(uniq)
    if tol > 0 and n_uniq > 1:
        pairs = cKDTree(uniq).query_pairs(tol, output_type="ndarray")
        if len(pairs):
            graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                                      shape=(n_uniq, n_uniq))
            n_comp, label = csgraph.connected_components(graph, directed=False)
            rep = np.full(n_comp, n_uniq, np.int64)
            np.minimum.at(rep, label, np.arange(n_uniq))
            uniq = uniq[rep]
            remap[used] = label[remap[used]]
    merged = len(used) - len(uniq)
    return uniq, remap[faces], merged


def _face_orientation(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted vertex triples and the orientation (+1/-1) of each face relative to them."""
    srt = np.sort(faces, axis=1)
    first = np.argmin(faces, axis=1)
    rolled = np.take_along_axis(faces, (first[:, None] + np.arange(3)) % 3, axis=1)
    return srt, np.where(rolled[:, 1] < rolled[:, 2], 1, -1)


def _remove_duplicate_faces(vertices: np.ndarray, faces: np.ndarray, name: str
                            ) -> tuple[np.ndarray, int]:
    """Drop pairs of coincident faces of opposite orientation (internal walls)."""
    srt, sign = _face_orientation(faces)
    _, group, counts = np.unique(srt, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    if counts.max(initial=1) < 2:
        return faces, 0
    plus = np.bincount(group, weights=sign > 0, minlength=len(counts)).astype(np.int64)
    minus = counts - plus
    cancel = np.minimum(plus, minus)
    excess = np.abs(plus - minus) > 1
    if excess.any():
        g = int(np.flatnonzero(excess)[0])
        f = int(np.flatnonzero(group == g)[0])
        raise GeometryError(
            f"solid {name!r} has {int(excess.sum()):,} face(s) repeated with the same "
            f"orientation (first with corners {', '.join(_xyz(vertices[i]) for i in faces[f])}); "
            f"remove the duplicate faces in the modelling package")
    # Rank of each face among the faces of its group with the same orientation.
    order = np.lexsort((np.arange(len(faces)), sign, group))
    key = group[order] * 2 + (sign[order] > 0)
    new = np.r_[True, key[1:] != key[:-1]]
    starts = np.flatnonzero(new)
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    drop = np.zeros(len(faces), dtype=bool)
    drop[order] = rank < cancel[group[order]]
    return faces[~drop], int(drop.sum())


def _edges(faces: np.ndarray, n_vertices: int) -> dict[str, np.ndarray]:
    """Half-edge table grouped by undirected edge."""
    u = faces.ravel()
    v = np.roll(faces, -1, axis=1).ravel()
    key = np.minimum(u, v) * np.int64(n_vertices) + np.maximum(u, v)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    new = np.r_[True, ks[1:] != ks[:-1]]
    starts = np.flatnonzero(new)
    counts = np.diff(np.r_[starts, len(ks)])
    forward = (u < v)[order]
    fwd_count = np.add.reduceat(forward.astype(np.int64), starts) if len(ks) else counts
    return {"order": order, "starts": starts, "counts": counts, "forward": forward,
            "fwd_count": fwd_count, "u": u, "v": v, "face": np.repeat(np.arange(len(faces)), 3)}


def _tet_volumes(vertices: np.ndarray, faces: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Signed volume of the tetrahedron (ref, a, b, c) of every face."""
    a = vertices[faces[:, 0]] - ref
    b = vertices[faces[:, 1]] - ref
    c = vertices[faces[:, 2]] - ref
    return np.einsum("ij,ij->i", a, np.cross(b, c)) / 6.0


class Solid(Body):
    """
    A closed triangulated solid (a "wireframe" of a modelling package).

    Build one with :meth:`from_arrays` or :meth:`read`; the constructor checks the mesh
    and repairs what can be repaired without guessing (see Notes).

    Parameters
    ----------
    vertices : array_like, shape (n, 3)
        Vertex coordinates (easting, northing, elevation) in `unit`.
    faces : array_like of int, shape (m, 3)
        Vertex indices (from 0) of each triangle.
    name : str, default "solid"
        A label for messages.
    unit : {"m", "ft"}, default "m"
        Unit of the coordinates; feet are converted to metres (0.3048 m exactly).
    merge_tol_m : float, optional
        Vertices closer than this are merged (default 1e-9 of the bounding-box
        diagonal). Units: m.

    Attributes
    ----------
    vertices : numpy.ndarray, shape (n, 3)
        Merged vertices, metres (read-only).
    faces : numpy.ndarray, shape (m, 3)
        Faces wound counter-clockwise seen from outside (outward normals; read-only).
    n_shells : int
        Number of closed shells (separate bodies and cavities).
    report : mapping
        Counts of what was repaired or checked: ``merged_vertices``,
        ``degenerate_faces_removed``, ``internal_faces_removed``,
        ``faces_flipped_winding``, ``faces_flipped_inward``, ``check_rays``,
        ``check_rays_not_alternating``.

    Raises
    ------
    GeometryError
        The mesh is not closed (count and location of the open edges), cannot be
        oriented, encloses (almost) no volume, or intersects itself on more than 1 % of
        the check rays.

    Warns
    -----
    UserWarning
        Faces flipped to make the winding consistent or the normals point outward
        (counted), and self-intersections on fewer than 1 % of the check rays.

    Notes
    -----
    Checks and repairs, in order:

    1. Vertices closer than `merge_tol_m` are merged (STL repeats every vertex), faces
       left with a repeated vertex are dropped (counted), and pairs of coincident faces
       of opposite orientation (internal walls) are removed (counted).
    2. Watertight: every edge must be shared by an even number of faces (2, or 4 where
       two shells meet along an edge). Open edges raise GeometryError with their count
       and the coordinates of the first ones.
    3. Winding: shells are the faces connected through shared edges. When some edge is
       run the same way by its faces, a consistent orientation is propagated over the
       faces linked by manifold edges (a breadth-first tree from one face per patch,
       parities summed by pointer jumping; :mod:`scipy.sparse.csgraph`). Each shell is
       then turned so that its signed volume is positive, or negative for a cavity (a
       shell inside an odd number of others, found by one vertical ray from a point
       inside it). Flipped faces are counted in warnings; an edge still run the same
       way by its faces afterwards (non-orientable, or inconsistent at a non-manifold
       edge) raises GeometryError.
    4. Volume: divergence theorem, the sum of the signed tetrahedra joining each face to
       the centre of the bounding box (exact for the polyhedron up to rounding). A shell
       enclosing less than 1e-9 of its bounding box is flat: GeometryError.
    5. Self-intersection, checked with the ray casting itself: with outward normals,
       the crossings of any vertical ray must alternate entry (normal pointing down) and
       exit (normal up), i.e. the winding number stays 0 or 1. A 128 x 128 grid of rays
       over the solid is checked when it is built (more than 1 % of the rays through it
       failing raises, fewer warn), and every ray cast later is checked again (warning).
       Where they fail the union is used (inside where the winding number is >= 1).
       Crossings of one ray less than 1e-10 of the solid's size apart count as one, with
       their net direction (a ray grazing a silhouette edge enters and leaves at once;
       the shared faces of two shells touching face to face cancel).

    Rays through an edge or a vertex: each triangle's plan edge tests use the symbolic
    perturbation of the ray by ``(d1, d2)`` with ``0 < d2 << d1`` infinitesimal. An edge
    test that is exactly zero is decided by the edge's direction (a half-open rule like
    the top-left rule of rasterisers), and both triangles of an edge compute the same
    test from the same canonical direction, so a ray through an edge or a vertex is
    counted exactly as often as the (generic) perturbed ray: never twice, never missed.
    Vertical faces are never crossed.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.domains import Solid
    >>> tet = Solid.from_arrays([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
    ...                         [[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]], name="tet")
    >>> round(tet.volume_m3, 12), tet.n_shells
    (0.166666666667, 1)
    """

    kind = "solid"

    def __init__(self, vertices: Any, faces: Any, *, name: str = "solid", unit: str = "m",
                 merge_tol_m: float | None = None) -> None:
        self.name = str(name)
        factor = _unit_factor(unit)
        verts = check_finite(vertices, f"solid {self.name!r} vertices")
        if verts.ndim != 2 or verts.shape[1] != 3 or len(verts) < 4:
            raise InputError(f"solid {self.name!r} vertices must be an (n, 3) array with n >= 4 "
                             f"(easting, northing, elevation); got shape {verts.shape}")
        tri = np.asarray(faces)
        if tri.ndim != 2 or tri.shape[1] != 3 or len(tri) < 4:
            raise InputError(f"solid {self.name!r} faces must be an (m, 3) array of vertex "
                             f"indices with m >= 4 triangles; got shape {tri.shape} (split "
                             f"quads and polygons into triangles first)")
        if not np.issubdtype(tri.dtype, np.integer):
            as_int = tri.astype(np.int64) if np.issubdtype(tri.dtype, np.number) else None
            if as_int is None or not np.array_equal(as_int, tri):
                raise InputError(f"solid {self.name!r} faces must hold integer vertex indices")
            tri = as_int
        tri = tri.astype(np.int64)
        if tri.min() < 0 or tri.max() >= len(verts):
            raise InputError(f"solid {self.name!r} faces index vertices outside 0..{len(verts) - 1}"
                             f" (found {int(tri.min())}..{int(tri.max())}); indices start at 0")
        verts = verts * factor
        diag = float(np.linalg.norm(verts.max(axis=0) - verts.min(axis=0)))
        tol = _MERGE_TOL * diag if merge_tol_m is None else float(
            check_finite(merge_tol_m, "merge_tol_m"))
        if tol < 0:
            raise InputError(f"merge_tol_m must be >= 0 (m); got {merge_tol_m}")
        report: dict[str, int] = {}
        verts, tri, report["merged_vertices"] = _merge_vertices(verts, tri, tol)
        degenerate = (tri[:, 0] == tri[:, 1]) | (tri[:, 1] == tri[:, 2]) | (tri[:, 0] == tri[:, 2])
        report["degenerate_faces_removed"] = int(degenerate.sum())
        tri = tri[~degenerate]
        tri, report["internal_faces_removed"] = _remove_duplicate_faces(verts, tri, self.name)
        if len(tri) < 4:
            raise GeometryError(f"solid {self.name!r} has {len(tri)} faces left after merging "
                                f"duplicate vertices and removing coincident faces; a closed "
                                f"solid needs at least 4")
        edges = _edges(tri, len(verts))
        self._check_closed(verts, edges)
        tri, shell, flips = self._orient(verts, tri, edges)
        report["faces_flipped_winding"], report["faces_flipped_inward"] = flips
        self._shell = shell
        self.n_shells = int(shell.max()) + 1
        verts.setflags(write=False)
        tri.setflags(write=False)
        self.vertices, self.faces = verts, tri
        self._tris = _Triangles(verts, tri)
        self._ztie = _TIE_TOL * diag
        bad, crossed = self._check_rays()
        report["check_rays"], report["check_rays_not_alternating"] = crossed, bad
        for text in self._flip_text:  # once the solid is accepted
            warnings.warn(text, UserWarning, stacklevel=3)
        self.report: Mapping[str, int] = types.MappingProxyType(report)
        self._ztol = _SURFACE_TOL * diag
        if report["merged_vertices"]:
            logger.debug("solid %r: %d duplicate vertices merged", self.name,
                         report["merged_vertices"])

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_arrays(cls, vertices: ArrayLike, faces: ArrayLike, *, name: str = "solid",
                    unit: str = "m", merge_tol_m: float | None = None) -> Solid:
        """
        A solid from vertex coordinates and triangles (see :class:`Solid`).

        Examples
        --------
        >>> from raremin.domains import Solid
        >>> s = Solid.from_arrays([[0, 0, 0], [3, 0, 0], [0, 3, 0], [0, 0, 3]],
        ...                       [[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]], unit="ft")
        >>> round(s.volume_m3, 6)
        0.127426
        """
        return cls(vertices, faces, name=name, unit=unit, merge_tol_m=merge_tol_m)

    @classmethod
    def read(cls, path: Any, *, unit: str = "m", name: str | None = None) -> Solid:
        """
        Read a closed solid from an STL, OBJ, PLY, OFF or DXF file.

        STL, OBJ, PLY and OFF are read with trimesh (``process=False``: raremin merges
        and checks the mesh itself); DXF (ASCII) with raremin's own reader of 3DFACE
        entities (quads split into two triangles) and polyface meshes.

        Parameters
        ----------
        path : str or path
            The mesh file.
        unit : {"m", "ft"}, default "m"
            Unit of the file's coordinates.
        name : str, optional
            A label (default: the file name without its suffix).

        Returns
        -------
        Solid

        Raises
        ------
        InputError
            Missing or unreadable file, unknown format, no faces.
        GeometryError
            See :class:`Solid`.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> from raremin.domains import Solid
        >>> text = '''solid t
        ... facet normal 0 0 0
        ...  outer loop
        ...   vertex 0 0 0
        ...   vertex 0 1 0
        ...   vertex 1 0 0
        ...  endloop
        ... endfacet
        ... facet normal 0 0 0
        ...  outer loop
        ...   vertex 0 0 0
        ...   vertex 1 0 0
        ...   vertex 0 0 1
        ...  endloop
        ... endfacet
        ... facet normal 0 0 0
        ...  outer loop
        ...   vertex 1 0 0
        ...   vertex 0 1 0
        ...   vertex 0 0 1
        ...  endloop
        ... endfacet
        ... facet normal 0 0 0
        ...  outer loop
        ...   vertex 0 0 0
        ...   vertex 0 0 1
        ...   vertex 0 1 0
        ...  endloop
        ... endfacet
        ... endsolid t
        ... '''
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp) / "tet.stl"
        ...     _ = path.write_text(text)
        ...     round(Solid.read(path).volume_m3, 9)
        0.166666667
        """
        verts, tri = _read_mesh(path)
        if Path(path).suffix.lower() == ".stl" and verts.size:
            # STL stores single-precision coordinates: 24 bits of mantissa.
            step = 2.0 ** (math.floor(math.log2(max(float(np.abs(verts).max()), 1.0))) - 23)
            if step * _unit_factor(unit) > 0.01:
                warnings.warn(
                    f"{Path(path).name}: STL stores coordinates in single precision, which at "
                    f"these coordinates resolves {step * _unit_factor(unit):.3g} m; for exact "
                    f"volumes export OBJ or PLY, or shift the mesh to local coordinates",
                    UserWarning, stacklevel=2)
        return cls(verts, tri, name=name or Path(path).stem, unit=unit)

    def _check_closed(self, verts: np.ndarray, edges: dict[str, np.ndarray]) -> None:
        odd = np.flatnonzero(edges["counts"] % 2 == 1)
        if odd.size == 0:
            return
        first = edges["order"][edges["starts"][odd[:3]]]
        where = "; ".join(f"{_xyz(verts[edges['u'][h]])}-{_xyz(verts[edges['v'][h]])}"
                          for h in first)
        open_count = int(np.count_nonzero(edges["counts"][odd] == 1))
        raise GeometryError(
            f"solid {self.name!r} is not watertight: {odd.size:,} open edge(s) ({open_count:,} "
            f"used by one face, {odd.size - open_count:,} by an odd number of faces), first at "
            f"{where}. Close the mesh in the modelling package (fill the holes, or export it "
            f"as a closed solid / validated wireframe)")

    def _orient(self, verts: np.ndarray, tri: np.ndarray, edges: dict[str, np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
        m = len(tri)
        order, starts, counts = edges["order"], edges["starts"], edges["counts"]
        # Shells: faces connected through any shared edge.
        group = np.repeat(np.arange(len(starts)), counts)
        linked = np.flatnonzero(group[1:] == group[:-1])
        face_sorted = edges["face"][order]
        graph = sparse.coo_matrix((np.ones(linked.size), (face_sorted[linked],
                                                          face_sorted[linked + 1])),
                                  shape=(m, m))
        n_shells, shell = csgraph.connected_components(graph, directed=False)
        flip = np.zeros(m, dtype=bool)
        if np.any(2 * edges["fwd_count"] != counts):
            flip = self._propagate(edges, m)
        ref = 0.5 * (verts.min(axis=0) + verts.max(axis=0))
        tet = _tet_volumes(verts, tri, ref)
        shell_vol = np.bincount(shell, weights=np.where(flip, -tet, tet), minlength=n_shells)
        cavity = self._cavities(verts, tri, shell, n_shells)
        turn = (shell_vol < 0) != cavity
        flip ^= turn[shell]
        shell_vol = np.where(turn, -shell_vol, shell_vol)
        # Flat shells (a doubled surface, a collapsed body) enclose no volume.
        lo = np.full((n_shells, 3), np.inf)
        hi = np.full((n_shells, 3), -np.inf)
        corner = verts[tri].reshape(-1, 3)
        owner = np.repeat(shell, 3)
        for axis in range(3):
            np.minimum.at(lo[:, axis], owner, corner[:, axis])
            np.maximum.at(hi[:, axis], owner, corner[:, axis])
        box_vol = np.prod(hi - lo, axis=1)
        diag = np.linalg.norm(hi - lo, axis=1)
        flat = np.abs(shell_vol) <= _FLAT_SHARE * np.maximum(box_vol, 1e-300) + 1e-12 * diag**3
        if flat.any():
            k = int(np.flatnonzero(flat)[0])
            raise GeometryError(
                f"solid {self.name!r}: {int(flat.sum())} shell(s) enclose (almost) no volume "
                f"(first: {shell_vol[k]:.3g} m3 within bounds {_xyz(lo[k])}-{_xyz(hi[k])}); "
                f"a flat or doubled surface is not a solid: export the closed body, or drop "
                f"that part")
        tri = tri.copy()
        tri[flip] = tri[flip][:, [0, 2, 1]]
        # After orientation every edge must be traversed as often each way.
        check = _edges(tri, len(verts))
        unbalanced = np.flatnonzero(2 * check["fwd_count"] != check["counts"])
        if unbalanced.size:
            h = check["order"][check["starts"][unbalanced[0]]]
            raise GeometryError(
                f"solid {self.name!r} cannot be oriented consistently: {unbalanced.size:,} "
                f"edge(s) keep faces wound the same way on both sides (first "
                f"{_xyz(verts[check['u'][h]])}-{_xyz(verts[check['v'][h]])}); the mesh is "
                f"non-manifold or self-overlapping there: repair it in the modelling package")
        per_shell = np.bincount(shell, weights=flip, minlength=n_shells).astype(np.int64)
        sizes = np.bincount(shell, minlength=n_shells)
        inward = per_shell == sizes
        n_inward = int(per_shell[inward].sum())
        n_winding = int(per_shell[~inward].sum())
        self._flip_text = []
        if n_winding:
            self._flip_text.append(
                f"solid {self.name!r}: {n_winding:,} of {m:,} faces were wound inconsistently "
                f"with their neighbours and have been flipped (normals now point outward)")
        if n_inward:
            self._flip_text.append(
                f"solid {self.name!r}: {int(inward.sum())} shell(s) ({n_inward:,} faces) had "
                f"normals pointing into the solid (a negative signed volume, or a positive one "
                f"for a cavity) and have been flipped to point outward")
        self._shell_volumes = shell_vol
        return tri, shell, (n_winding, n_inward)

    @staticmethod
    def _propagate(edges: dict[str, np.ndarray], m: int) -> np.ndarray:
        """
        Faces to flip so that faces sharing a manifold edge run it in opposite directions.

        A breadth-first tree over the faces (linked through edges shared by exactly two
        faces, one virtual root joined to one face per patch) gives each face's parent;
        the parity of "flip relative to the patch's root" is summed along the tree by
        pointer jumping (log2(depth) vectorised steps).
        """
        order, starts, counts = edges["order"], edges["starts"], edges["counts"]
        two = starts[counts == 2]
        f1, f2 = edges["face"][order[two]], edges["face"][order[two + 1]]
        same_dir = edges["forward"][two] == edges["forward"][two + 1]
        graph = sparse.coo_matrix((np.ones(len(f1)), (f1, f2)), shape=(m, m)).tocsr()
        n_patch, patch = csgraph.connected_components(graph, directed=False)
        roots = np.unique(patch, return_index=True)[1]
        rows = np.r_[f1, np.full(n_patch, m)]
        cols = np.r_[f2, roots]
        tree_graph = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)),
                                       shape=(m + 1, m + 1)).tocsr()
        _, pred = csgraph.breadth_first_order(tree_graph, m, directed=False,
                                              return_predecessors=True)
        pred = pred[:m].astype(np.int64)
        # Parity of each tree edge (face, parent): 1 when they run their edge the same way.
        pair_key = np.minimum(f1, f2) * np.int64(m + 1) + np.maximum(f1, f2)
        srt = np.argsort(pair_key)
        pair_key, same_dir = pair_key[srt], same_dir[srt]
        is_root = pred == m
        faces_idx = np.arange(m)
        lookup = np.minimum(faces_idx, pred) * np.int64(m + 1) + np.maximum(faces_idx, pred)
        pos = np.clip(np.searchsorted(pair_key, lookup), 0, max(len(pair_key) - 1, 0))
        parity = np.where(is_root, 0, same_dir[pos] if len(pair_key) else 0).astype(np.int8)
        anc = np.where(is_root, faces_idx, pred)
        while True:
            nxt = anc[anc]
            if np.array_equal(nxt, anc):
                break
            parity = parity ^ parity[anc]
            anc = nxt
        return parity.astype(bool)

    @staticmethod
    def _cavities(verts: np.ndarray, tri: np.ndarray, shell: np.ndarray, n_shells: int
                  ) -> np.ndarray:
        """Shells inside an odd number of other shells (by one vertical ray each)."""
        cavity = np.zeros(n_shells, dtype=bool)
        if n_shells < 2:
            return cavity
        prep = _Triangles(verts, tri)
        if len(prep) == 0:
            return cavity
        own = shell[prep.face]
        # One probe ray per shell, through the centroid of its face with the largest plan
        # area; the probe point is midway between the shell's two lowest crossings on that
        # ray, i.e. inside the shell, off every surface of a shell that only touches it.
        order = np.lexsort((prep.plan_area, own))
        last = np.r_[own[order][1:] != own[order][:-1], True]
        best = order[last]
        probe_shell = own[best]
        centroid = verts[tri[prep.face[best]]].mean(axis=1)
        pt, z, t = prep.point_hits(centroid[:, 0], centroid[:, 1], mode="ray")
        mine = own[t] == probe_shell[pt]
        srt = np.lexsort((z[mine], pt[mine]))
        mpt, mz = pt[mine][srt], z[mine][srt]
        first = np.r_[True, mpt[1:] != mpt[:-1]]
        rank = np.arange(len(mpt)) - np.flatnonzero(first)[np.cumsum(first) - 1]
        z_probe = centroid[:, 2].copy()
        lowest = np.full(len(best), np.nan)
        lowest[mpt[rank == 0]] = mz[rank == 0]
        second = np.full(len(best), np.nan)
        second[mpt[rank == 1]] = mz[rank == 1]
        ok = np.isfinite(lowest) & np.isfinite(second)
        z_probe[ok] = 0.5 * (lowest[ok] + second[ok])
        below = (~mine) & (z < z_probe[pt])
        count = np.bincount(pt[below], minlength=len(best))
        cavity[probe_shell] = count % 2 == 1
        return cavity

    def _check_rays(self) -> tuple[int, int]:
        x0, y0, _, x1, y1, _ = self.bounds
        n = _CHECK_RAYS
        xs = x0 + (x1 - x0) * (np.arange(n) + 0.5) / n
        ys = y0 + (y1 - y0) * (np.arange(n) + 0.5) / n
        iv, issues = self._lattice(xs, ys)
        bad, crossed = issues["self_intersection"]
        n_bad, n_crossed = int(bad.sum()), int(crossed.sum())
        if n_bad:
            tally = _Tally()
            tally.add(bad, crossed, iv.x, iv.y)
            text = _issue_text("self_intersection", self, tally)
            if n_bad > _BAD_RAY_SHARE * max(n_crossed, 1):
                raise GeometryError(text + f" (more than {_BAD_RAY_SHARE:.0%} of the check "
                                           f"rays: refused)")
            warnings.warn(text, UserWarning, stacklevel=4)
        return n_bad, n_crossed

    # --- the body protocol --------------------------------------------------------------
    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(xmin, ymin, zmin, xmax, ymax, zmax)`` of the vertices, m."""
        lo, hi = self.vertices.min(axis=0), self.vertices.max(axis=0)
        return (*(float(v) for v in lo), *(float(v) for v in hi))  # type: ignore[return-value]

    @functools.cached_property
    def volume_m3(self) -> float:
        """Enclosed volume, m3 (divergence theorem; cavities subtracted)."""
        ref = 0.5 * (self.vertices.min(axis=0) + self.vertices.max(axis=0))
        return float(math.fsum(_tet_volumes(self.vertices, self.faces, ref)))

    @functools.cached_property
    def _footprint(self) -> Any:
        up = self._tris.face[self._tris.sigma > 0]
        coords = self.vertices[self.faces[up]][:, :, :2]
        tris = shapely.polygons(coords)
        return _as_polygonal(shapely.union_all(tris))

    def footprint(self) -> Any:
        """
        Plan outline: the union of the plan projections of the upward-facing faces.

        Examples
        --------
        >>> from raremin.domains import Solid
        >>> tet = Solid.from_arrays([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
        ...                         [[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]])
        >>> tet.footprint().area
        0.5
        """
        return self._footprint

    def _issues(self, n_rays: int, bad: np.ndarray, crossed: np.ndarray) -> _Issues:
        bad_mask = np.zeros(n_rays, dtype=bool)
        bad_mask[bad] = True
        crossed_mask = np.zeros(n_rays, dtype=bool)
        crossed_mask[crossed] = True
        return {"self_intersection": (bad_mask, crossed_mask)}

    def _from_hits(self, x: np.ndarray, y: np.ndarray, ray: np.ndarray, z: np.ndarray,
                   t: np.ndarray) -> tuple[Intervals, _Issues]:
        entry = -self._tris.sigma[t]
        r, z_in, z_out, bad, crossed = _pair_crossings(ray, z, entry, self._ztie)
        return Intervals(x, y, r, z_in, z_out), self._issues(len(x), bad, crossed)

    def _points(self, x: np.ndarray, y: np.ndarray) -> tuple[Intervals, _Issues]:
        pt, z, t = self._tris.point_hits(x, y, mode="ray")
        return self._from_hits(x, y, pt, z, t)

    def _lattice(self, xs: np.ndarray, ys: np.ndarray) -> tuple[Intervals, _Issues]:
        ray, z, t = self._tris.lattice_hits(xs, ys, mode="ray")
        gx, gy = np.meshgrid(xs, ys, indexing="xy")
        return self._from_hits(gx.ravel(), gy.ravel(), ray, z, t)


# ---------------------------------------------------------------------------------------
# Surfaces
# ---------------------------------------------------------------------------------------
class Surface:
    """
    A single-valued surface ``z(x, y)``: a topography, a footwall, a base of weathering.

    Build one with :meth:`from_grid` (values at the nodes of a regular grid, bilinear
    inside each cell), :meth:`from_triangles` (a triangulated surface, a TIN: linear
    inside each triangle) or :meth:`read`. Outside its extent, and in grid cells with a
    missing (NaN) node, the surface is undefined: :meth:`z_at` gives NaN.

    Attributes
    ----------
    kind : str
        ``"grid"`` or ``"tin"``.
    name : str
        A label for messages.
    crs : str or None
        The CRS stored in the file (GeoTIFF), for information.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.domains import Surface
    >>> s = Surface.from_grid(0.0, 0.0, 10.0, 10.0, [[100.0, 110.0], [120.0, 130.0]])
    >>> s.z_at([0, 5, 10, 11], [0, 5, 10, 5]).tolist()
    [100.0, 115.0, 130.0, nan]
    """

    kind = "surface"
    name = "surface"
    crs: str | None = None

    @classmethod
    def from_grid(cls, x0: float, y0: float, dx: float, dy: float, z: Any, *,
                  name: str = "surface") -> Surface:
        """
        A surface from elevations at the nodes of a regular grid.

        Parameters
        ----------
        x0, y0 : float
            Position of node ``z[0, 0]`` (the south-west node). Units: m.
        dx, dy : float
            Node spacing along x and y (> 0). Units: m.
        z : array_like, shape (ny, nx)
            Elevations, ``z[j, i]`` at ``(x0 + i * dx, y0 + j * dy)`` (rows from south to
            north); NaN where unknown. At least 2 x 2 nodes. Units: m.
        name : str, default "surface"
            A label for messages.

        Returns
        -------
        Surface

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.domains import Surface
        >>> s = Surface.from_grid(0, 0, 10, 10, np.zeros((11, 11)))
        >>> s.bounds
        (0.0, 0.0, 0.0, 100.0, 100.0, 0.0)
        """
        return _GridSurface(x0, y0, dx, dy, z, name=name)

    @classmethod
    def from_triangles(
        cls, vertices: ArrayLike, faces: ArrayLike, *, name: str = "surface"
    ) -> Surface:
        """
        A triangulated surface (TIN): z is interpolated linearly in the triangle holding
        each plan point (barycentric coordinates).

        Parameters
        ----------
        vertices : array_like, shape (n, 3)
            Node coordinates. Units: m.
        faces : array_like of int, shape (m, 3)
            Vertex indices of each triangle.
        name : str, default "surface"
            A label for messages.

        Raises
        ------
        GeometryError
            The triangles overlap in plan (an overhang or a fold: the surface is not
            single-valued), or all are vertical.

        Examples
        --------
        >>> from raremin.domains import Surface
        >>> s = Surface.from_triangles([[0, 0, 0], [10, 0, 10], [0, 10, 20], [10, 10, 30]],
        ...                            [[0, 1, 2], [1, 3, 2]])
        >>> s.z_at([5, 2], [5, 1]).tolist()
        [15.0, 4.0]
        """
        return _TinSurface(vertices, faces, name=name)

    @classmethod
    def read(cls, path: Any, *, unit: str = "m", nodata: float | None = None,
             name: str | None = None) -> Surface:
        """
        Read a surface file.

        Formats (by suffix): ``.csv``, ``.txt``, ``.xyz``, ``.dat``, ``.tsv`` (x/y/z
        columns of grid nodes, comma, semicolon, tab or space separated, with or without
        a header; the grid spacing is detected; scattered points are refused), ``.asc``
        (ESRI ASCII grid; a ``.txt`` starting with ``ncols`` too), ``.tif``/``.tiff``
        (GeoTIFF, needs rasterio), and ``.stl``, ``.obj``, ``.ply``, ``.off``, ``.dxf``
        (a triangulated surface).

        Parameters
        ----------
        path : str or path
            The file.
        unit : {"m", "ft"}, default "m"
            Unit of the file's coordinates and elevations.
        nodata : float, optional
            An elevation meaning "no value" (besides the file's own no-data value).
        name : str, optional
            A label (default: the file name without its suffix).

        Returns
        -------
        Surface

        Raises
        ------
        InputError
            Missing file, unknown format, scattered points, malformed grid, rasterio
            missing for a GeoTIFF.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> from raremin.domains import Surface
        >>> text = "x,y,z\\n0,0,10\\n5,0,10\\n0,5,20\\n5,5,20\\n"
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp) / "base.csv"
        ...     _ = path.write_text(text)
        ...     float(Surface.read(path).z_at(2.5, 2.5)[()])
        15.0
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(f"no such surface file: {str(path)!r}")
        factor = _unit_factor(unit)
        label = name or path.stem
        suffix = path.suffix.lower()
        if suffix in (".stl", ".obj", ".ply", ".off", ".dxf"):
            verts, tri = _read_mesh(path)
            return _TinSurface(verts * factor, tri, name=label)
        if suffix in (".tif", ".tiff"):
            x0, y0, dx, dy, z, crs = _read_geotiff(path)
        elif suffix == ".asc" or (suffix in (".txt", ".grd") and _looks_esri(path)):
            x0, y0, dx, dy, z = _read_esri_ascii(path)
            crs = None
        elif suffix in (".csv", ".txt", ".xyz", ".dat", ".tsv"):
            x0, y0, dx, dy, z = _read_xyz_grid(path)
            crs = None
        else:
            raise InputError(f"unknown surface format {suffix!r} for {str(path)!r}; raremin reads "
                             f"x/y/z grids (.csv, .txt, .xyz, .dat), ESRI ASCII grids (.asc), "
                             f"GeoTIFF (.tif) and triangulated surfaces (.stl, .obj, .ply, .off, "
                             f".dxf)")
        z = np.array(z, dtype=float)
        if nodata is not None:
            z[z == float(nodata)] = np.nan
        surface = _GridSurface(x0 * factor, y0 * factor, dx * factor, dy * factor, z * factor,
                               name=label)
        surface.crs = crs
        return surface

    # --- to implement -------------------------------------------------------------------
    def z_at(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """
        Elevation at plan points (broadcast together); NaN where undefined. Units: m.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.domains import Surface
        >>> ramp = Surface.from_grid(0, 0, 10, 10, [[0.0, 10.0], [0.0, 10.0]])
        >>> ramp.z_at([2.5, 20.0], 5.0).tolist()
        [2.5, nan]
        """
        raise NotImplementedError

    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(xmin, ymin, zmin, xmax, ymax, zmax)`` of the defined nodes, m."""
        raise NotImplementedError

    def footprint(self) -> Any:
        """
        Where the surface is defined, a shapely Polygon or MultiPolygon.

        Examples
        --------
        >>> from raremin.domains import Surface
        >>> Surface.from_grid(0, 0, 10, 10, [[0.0, 1.0], [0.0, 1.0]]).footprint().area
        100.0
        """
        raise NotImplementedError

    def nodes(self) -> np.ndarray:
        """
        The defined nodes (grid nodes or TIN vertices), shape (n, 3), m.

        Examples
        --------
        >>> from raremin.domains import Surface
        >>> Surface.from_grid(0, 0, 10, 10, [[0.0, 1.0], [2.0, 3.0]]).nodes().shape
        (4, 3)
        """
        raise NotImplementedError

    def _z_range(self, xmin: float, ymin: float, xmax: float, ymax: float
                 ) -> tuple[float, float]:
        raise NotImplementedError

    def __repr__(self) -> str:
        b = ", ".join(f"{v:.6g}" for v in self.bounds)
        return f"Surface({self.name!r}, kind={self.kind!r}, bounds=({b}))"


class _GridSurface(Surface):
    """Elevations at the nodes of a regular grid, bilinear inside each cell."""

    kind = "grid"

    def __init__(self, x0: Any, y0: Any, dx: Any, dy: Any, z: Any, *, name: str) -> None:
        self.name = str(name)
        self.x0 = float(check_finite(x0, "x0"))
        self.y0 = float(check_finite(y0, "y0"))
        self.dx = float(check_finite(dx, "dx"))
        self.dy = float(check_finite(dy, "dy"))
        if not (self.dx > 0 and self.dy > 0):
            raise InputError(f"surface {self.name!r}: the node spacing must be > 0; got dx="
                             f"{self.dx}, dy={self.dy} (m)")
        zz = np.array(as_float_array(z, f"surface {self.name!r} elevations"), dtype=float)
        if zz.ndim != 2 or min(zz.shape) < 2:
            raise InputError(f"surface {self.name!r} elevations must be a 2D array (ny, nx) of "
                             f"at least 2 x 2 nodes; got shape {zz.shape}")
        if np.isinf(zz).any():
            raise InputError(f"surface {self.name!r} has infinite elevations; use NaN for "
                             f"missing nodes")
        cells = self._cells(zz)
        if not cells.any():
            raise InputError(f"surface {self.name!r}: no grid cell has 4 known (non-NaN) "
                             f"nodes; the surface is empty")
        zz.setflags(write=False)
        self.z = zz

    @staticmethod
    def _cells(z: np.ndarray) -> np.ndarray:
        ok = np.isfinite(z)
        return ok[:-1, :-1] & ok[1:, :-1] & ok[:-1, 1:] & ok[1:, 1:]

    def z_at(self, x: Any, y: Any) -> np.ndarray:
        """
        Bilinear elevation at plan points; NaN outside the grid or in a cell with a NaN
        node. Units: m.

        Examples
        --------
        >>> from raremin.domains import Surface
        >>> Surface.from_grid(0, 0, 1, 1, [[0, 1], [2, 3]]).z_at(0.5, 0.5).tolist()
        1.5
        """
        xa, ya, shape = _plan_args(x, y)
        ny, nx = self.z.shape
        fx = (xa - self.x0) / self.dx
        fy = (ya - self.y0) / self.dy
        eps = 1e-9
        with np.errstate(invalid="ignore"):
            ok = (fx >= -eps) & (fx <= nx - 1 + eps) & (fy >= -eps) & (fy <= ny - 1 + eps)
        fx = np.clip(np.where(ok, fx, 0.0), 0, nx - 1)
        fy = np.clip(np.where(ok, fy, 0.0), 0, ny - 1)
        i = np.minimum(np.floor(fx), nx - 2).astype(np.int64)
        j = np.minimum(np.floor(fy), ny - 2).astype(np.int64)
        t, u = fx - i, fy - j
        z = self.z
        out = np.zeros(len(xa))
        # A node weighs nothing on the far edges of its cell: only weighted nodes count, so
        # an edge shared with a cell holding a NaN node stays defined.
        for weight, node in (((1 - t) * (1 - u), z[j, i]), (t * (1 - u), z[j, i + 1]),
                             ((1 - t) * u, z[j + 1, i]), (t * u, z[j + 1, i + 1])):
            out += np.where(weight > 0, weight * node, 0.0)
        out = np.where(ok, out, np.nan)
        return out.reshape(shape)

    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(xmin, ymin, zmin, xmax, ymax, zmax)``, m."""
        ny, nx = self.z.shape
        return (self.x0, self.y0, float(np.nanmin(self.z)), self.x0 + self.dx * (nx - 1),
                self.y0 + self.dy * (ny - 1), float(np.nanmax(self.z)))

    @functools.cached_property
    def _footprint(self) -> Any:
        cells = self._cells(self.z)
        if cells.all():
            x0, y0, _, x1, y1, _ = self.bounds
            return shapely.box(x0, y0, x1, y1)
        # Runs of defined cells along each row, as boxes, then one union.
        padded = np.pad(cells, ((0, 0), (1, 1))).astype(np.int8)
        step = np.diff(padded, axis=1)
        row_s, col_s = np.nonzero(step == 1)
        row_e, col_e = np.nonzero(step == -1)
        boxes = shapely.box(self.x0 + self.dx * col_s, self.y0 + self.dy * row_s,
                            self.x0 + self.dx * col_e, self.y0 + self.dy * (row_e + 1))
        return _as_polygonal(shapely.union_all(boxes))

    def footprint(self) -> Any:
        """
        The union of the grid cells whose four nodes are known.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.domains import Surface
        >>> z = np.zeros((3, 3)); z[2, 2] = np.nan
        >>> Surface.from_grid(0, 0, 1, 1, z).footprint().area
        3.0
        """
        return self._footprint

    def nodes(self) -> np.ndarray:
        """
        The known nodes, shape (n, 3), m.

        Examples
        --------
        >>> from raremin.domains import Surface
        >>> Surface.from_grid(0, 0, 1, 1, [[0, 1], [2, 3]]).nodes()[-1].tolist()
        [1.0, 1.0, 3.0]
        """
        j, i = np.nonzero(np.isfinite(self.z))
        return np.column_stack([self.x0 + self.dx * i, self.y0 + self.dy * j, self.z[j, i]])

    def _z_range(self, xmin: float, ymin: float, xmax: float, ymax: float
                 ) -> tuple[float, float]:
        # Bilinear pieces are linear along x and y: the extremes over a rectangle lie on
        # the grid of its corners and the node lines crossing it.
        ny, nx = self.z.shape
        gx = self.x0 + self.dx * np.arange(nx)
        gy = self.y0 + self.dy * np.arange(ny)
        xb = np.unique(np.r_[xmin, xmax, gx[(gx > xmin) & (gx < xmax)]])
        yb = np.unique(np.r_[ymin, ymax, gy[(gy > ymin) & (gy < ymax)]])
        z = self.z_at(*np.meshgrid(xb, yb))
        if not np.isfinite(z).any():
            return (np.nan, np.nan)
        return (float(np.nanmin(z)), float(np.nanmax(z)))


class _TinSurface(Surface):
    """A triangulated surface, linear in each triangle."""

    kind = "tin"

    def __init__(self, vertices: Any, faces: Any, *, name: str) -> None:
        self.name = str(name)
        verts = check_finite(vertices, f"surface {self.name!r} vertices")
        tri = np.asarray(faces)
        if verts.ndim != 2 or verts.shape[1] != 3 or tri.ndim != 2 or tri.shape[1] != 3:
            raise InputError(f"surface {self.name!r}: vertices must be (n, 3) and faces (m, 3); "
                             f"got {verts.shape} and {tri.shape}")
        if len(tri) == 0 or not np.issubdtype(tri.dtype, np.integer):
            raise InputError(f"surface {self.name!r} needs at least one triangle of integer "
                             f"vertex indices")
        tri = tri.astype(np.int64)
        if tri.min() < 0 or tri.max() >= len(verts):
            raise InputError(f"surface {self.name!r} faces index vertices outside "
                             f"0..{len(verts) - 1}")
        diag = float(np.linalg.norm(verts.max(axis=0) - verts.min(axis=0)))
        verts, tri, _ = _merge_vertices(verts, tri, _MERGE_TOL * diag)
        self.vertices, self.faces = verts, tri
        self._tris = _Triangles(verts, tri)
        if len(self._tris) == 0:
            raise GeometryError(f"surface {self.name!r}: every triangle is vertical (zero plan "
                                f"area); it does not define z(x, y)")
        self._check_single_valued()

    def _check_single_valued(self) -> None:
        tris = self._tris
        centre = self.vertices[self.faces[tris.face]].mean(axis=1)
        pt, _, _ = tris.point_hits(centre[:, 0], centre[:, 1], mode="open")
        count = np.bincount(pt, minlength=len(centre))
        folded = np.flatnonzero(count > 1)
        if folded.size:
            raise GeometryError(
                f"surface {self.name!r} is not single-valued: {folded.size:,} triangle(s) lie "
                f"over or under others in plan (first near {_xyz(centre[folded[0]])}); an "
                f"overhang or fold cannot be a surface z(x, y): give a closed solid instead, "
                f"or remove the overlapping triangles")

    def z_at(self, x: Any, y: Any) -> np.ndarray:
        """
        Elevation by barycentric interpolation in the triangle holding each plan point
        (points on an edge or a node included); NaN outside the triangles. Units: m.

        Examples
        --------
        >>> from raremin.domains import Surface
        >>> s = Surface.from_triangles([[0, 0, 0], [4, 0, 4], [0, 4, 8]], [[0, 1, 2]])
        >>> s.z_at([1, 4, 5], [1, 0, 5]).tolist()
        [3.0, 4.0, nan]
        """
        xa, ya, shape = _plan_args(x, y)
        out = np.full(xa.shape, np.nan)
        pt, z, _ = self._tris.point_hits(xa, ya, mode="closed")
        if pt.size:
            first, idx = np.unique(pt, return_index=True)
            out[first] = z[idx]
        return out.reshape(shape)

    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(xmin, ymin, zmin, xmax, ymax, zmax)``, m."""
        lo, hi = self.vertices.min(axis=0), self.vertices.max(axis=0)
        return (*(float(v) for v in lo), *(float(v) for v in hi))  # type: ignore[return-value]

    @functools.cached_property
    def _footprint(self) -> Any:
        polys = shapely.polygons(self.vertices[self.faces[self._tris.face]][:, :, :2])
        try:
            merged = shapely.coverage_union_all(polys)
        except shapely.errors.GEOSException:  # not a clean coverage: the general union
            merged = shapely.union_all(polys)
        if not merged.is_valid:
            merged = shapely.union_all(polys)
        return _as_polygonal(merged)

    def footprint(self) -> Any:
        """
        The union of the triangles in plan.

        Examples
        --------
        >>> from raremin.domains import Surface
        >>> Surface.from_triangles([[0, 0, 0], [4, 0, 4], [0, 4, 8]], [[0, 1, 2]]
        ...                        ).footprint().area
        8.0
        """
        return self._footprint

    def nodes(self) -> np.ndarray:
        """
        The vertices, shape (n, 3), m.

        Examples
        --------
        >>> from raremin.domains import Surface
        >>> len(Surface.from_triangles([[0, 0, 0], [4, 0, 4], [0, 4, 8]], [[0, 1, 2]]).nodes())
        3
        """
        return np.asarray(self.vertices)

    def _z_range(self, xmin: float, ymin: float, xmax: float, ymax: float
                 ) -> tuple[float, float]:
        t = self._tris
        o = t.origin
        sel = ((t.xmax + o[0] >= xmin) & (t.xmin + o[0] <= xmax) & (t.ymax + o[1] >= ymin)
               & (t.ymin + o[1] <= ymax))
        if not sel.any():
            return (np.nan, np.nan)
        z = self.vertices[self.faces[t.face[sel]]][:, :, 2]
        return (float(z.min()), float(z.max()))


def _level(value: Any, what: str) -> Surface | float:
    if isinstance(value, Surface):
        return value
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(check_finite(value, what))
    raise InputError(f"{what} must be a raremin.domains.Surface or an elevation (m); got "
                     f"{type(value).__name__}")


def _level_z(level: Surface | float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if isinstance(level, Surface):
        return np.asarray(level.z_at(x, y), dtype=float)
    return np.full(len(x), level)


class Crossings(NamedTuple):
    """
    Where the top surface of a :class:`Layer` lies below its bottom surface.

    Attributes
    ----------
    n_crossing : int
        Points (rays or surface nodes) where top < bottom.
    n_tested : int
        Points where both surfaces are defined (inside the footprint).
    first_xy : tuple of float or None
        Plan position of the first crossing point, m.
    extent : tuple of float or None
        ``(xmin, ymin, xmax, ymax)`` of the crossing points, m.

    Examples
    --------
    >>> from raremin.domains import Crossings
    >>> Crossings(0, 4, None, None).n_crossing
    0
    """

    n_crossing: int
    n_tested: int
    first_xy: tuple[float, float] | None
    extent: tuple[float, float, float, float] | None


class Layer(Body):
    """
    The volume between a bottom and a top surface, optionally clipped to a footprint.

    Parameters
    ----------
    bottom, top : Surface or float
        The surfaces (a number is a horizontal plane at that elevation). Units: m.
    footprint : shapely.Polygon or shapely.MultiPolygon, optional
        Plan outline clipping the layer; by default the layer spans wherever both
        surfaces are defined (a footprint is required when both are planes).
    name : str, default "layer"
        A label for messages.

    Notes
    -----
    A vertical line at ``(x, y)`` is inside from ``bottom.z_at(x, y)`` to
    ``top.z_at(x, y)``. Where the top lies below the bottom (the surfaces cross) the
    layer is empty: :meth:`crossings` and :meth:`check` say how much and where, and
    :func:`block_proportions` warns with the count of rays concerned.

    ``volume_m3`` is a quadrature by the same vertical rays as the blocks: 512 x 512
    rays at the centres of the cells of the footprint's bounding box, each ray's
    thickness times the cell's area (the midpoint rule: exact for planar surfaces over
    a rectangle).

    Examples
    --------
    >>> import numpy as np
    >>> from shapely import box
    >>> from raremin.domains import Layer, Surface
    >>> base = Surface.from_grid(0, 0, 100, 100, [[0, 10], [0, 10]])   # dips towards -x
    >>> layer = Layer(base, 50.0, footprint=box(0, 0, 100, 100))
    >>> round(layer.volume_m3, 6), layer.bounds
    (450000.0, (0.0, 0.0, 0.0, 100.0, 100.0, 50.0))
    """

    kind = "layer"

    def __init__(self, bottom: Surface | float, top: Surface | float, footprint: Any = None,
                 *, name: str = "layer") -> None:
        self.name = str(name)
        self.bottom = _level(bottom, f"layer {self.name!r} bottom")
        self.top = _level(top, f"layer {self.name!r} top")
        self._clip = None
        if footprint is not None:
            self._clip = _check_polygon(footprint, f"layer {self.name!r} footprint")
            shapely.prepare(self._clip)
        planes = not isinstance(self.bottom, Surface) and not isinstance(self.top, Surface)
        if planes and self._clip is None:
            raise InputError(f"layer {self.name!r} lies between two horizontal planes and has "
                             f"no footprint: give footprint= (a polygon)")
        if planes and not self.top > self.bottom:  # type: ignore[operator]
            raise InputError(f"layer {self.name!r}: the top ({self.top} m) must be above the "
                             f"bottom ({self.bottom} m)")

    @functools.cached_property
    def _footprint(self) -> Any:
        parts = [s.footprint() for s in (self.bottom, self.top) if isinstance(s, Surface)]
        if self._clip is not None:
            parts.append(self._clip)
        region = parts[0]
        for part in parts[1:]:
            region = shapely.intersection(region, part)
        region = _as_polygonal(region)
        if region.is_empty or not region.area > 0:
            raise GeometryError(f"layer {self.name!r} has no plan extent: its surfaces (and "
                                f"footprint) do not overlap; check their coordinates and units")
        return region

    def footprint(self) -> Any:
        """
        Where the layer can exist: the footprint and the surfaces' defined areas.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.domains import Layer, Surface
        >>> top = Surface.from_grid(0, 0, 10, 10, [[5, 5], [5, 5]])
        >>> Layer(0.0, top, footprint=box(5, 5, 50, 50)).footprint().area
        25.0
        """
        return self._footprint

    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """``(xmin, ymin, zmin, xmax, ymax, zmax)``, m (z from the surfaces' nodes there)."""
        x0, y0, x1, y1 = (float(v) for v in self._footprint.bounds)
        lo = self._range(self.bottom, x0, y0, x1, y1)[0]
        hi = self._range(self.top, x0, y0, x1, y1)[1]
        return (x0, y0, lo, x1, y1, hi)

    @staticmethod
    def _range(level: Surface | float, x0: float, y0: float, x1: float, y1: float
               ) -> tuple[float, float]:
        if not isinstance(level, Surface):
            return (float(level), float(level))
        lo, hi = level._z_range(x0, y0, x1, y1)
        if not np.isfinite(lo):
            b = level.bounds
            return (b[2], b[5])
        return (lo, hi)

    @functools.cached_property
    def volume_m3(self) -> float:
        """Volume by ray quadrature (512 x 512 rays, see Notes), m3."""
        return _ray_volume(self, None, _VOLUME_RAYS, warn=False)

    def _points(self, x: np.ndarray, y: np.ndarray) -> tuple[Intervals, _Issues]:
        zb = _level_z(self.bottom, x, y)
        zt = _level_z(self.top, x, y)
        defined = np.isfinite(zb) & np.isfinite(zt)
        if self._clip is not None:
            idx = np.flatnonzero(defined)
            defined[idx] = shapely.intersects_xy(self._clip, x[idx], y[idx])
        with np.errstate(invalid="ignore"):
            crossing = defined & (zt < zb)
            keep = defined & (zt > zb)
        ray = np.flatnonzero(keep)
        return Intervals(x, y, ray, zb[keep], zt[keep]), {"crossing": (crossing, defined)}

    def crossings(self, x: ArrayLike | None = None, y: ArrayLike | None = None) -> Crossings:
        """
        Where the top lies below the bottom.

        Parameters
        ----------
        x, y : array_like, optional
            Plan points to test (m); by default the nodes of both surfaces (grid nodes or
            TIN vertices) and the centres of a 64 x 64 grid of cells over the layer's
            footprint (points outside the footprint are not counted).

        Returns
        -------
        Crossings

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.domains import Layer, Surface
        >>> top = Surface.from_grid(0, 0, 10, 10, [[5, 5, 5], [-5, -5, -5]])
        >>> c = Layer(0.0, top, footprint=box(0, 0, 20, 10)).crossings([5, 5], [2, 8])
        >>> c.n_crossing, c.n_tested, c.first_xy
        (1, 2, (5.0, 8.0))
        """
        if x is None and y is None:
            pts = [s.nodes()[:, :2] for s in (self.bottom, self.top) if isinstance(s, Surface)]
            x0, y0, x1, y1 = self._footprint.bounds
            k = (np.arange(_CHECK_POINTS) + 0.5) / _CHECK_POINTS
            gx, gy = np.meshgrid(x0 + (x1 - x0) * k, y0 + (y1 - y0) * k)
            pts.append(np.column_stack([gx.ravel(), gy.ravel()]))
            plan = np.unique(np.concatenate(pts), axis=0)
            xa, ya = plan[:, 0].copy(), plan[:, 1].copy()
        else:
            xa, ya, _ = _plan_args(x, y)
        iv, issues = self._points(xa, ya)
        tally = _Tally()
        tally.add(*issues["crossing"], iv.x, iv.y)
        return Crossings(tally.count, tally.tested, tally.first, tally.extent)

    def check(self) -> Crossings:
        """
        :meth:`crossings` at the surfaces' nodes, with a UserWarning when they cross.

        Examples
        --------
        >>> from shapely import box
        >>> from raremin.domains import Layer
        >>> Layer(0.0, 10.0, footprint=box(0, 0, 1, 1)).check().n_crossing
        0
        """
        found = self.crossings()
        if found.n_crossing:
            tally = _Tally()
            tally.count, tally.tested, tally.first = found.n_crossing, found.n_tested, \
                found.first_xy
            tally.lo = np.array(found.extent[:2])  # type: ignore[index]
            tally.hi = np.array(found.extent[2:])  # type: ignore[index]
            text = _issue_text("crossing", self, tally).replace(
                "vertical rays", "test points (surface nodes and a 64 x 64 grid)")
            warnings.warn(text, UserWarning, stacklevel=2)
        return found


# ---------------------------------------------------------------------------------------
# Topography, block proportions, volumes
# ---------------------------------------------------------------------------------------
def _clip_below(iv: Intervals, surface: Surface) -> tuple[Intervals, _Issues]:
    n = iv.n_rays
    rays = np.unique(iv.ray)
    top = np.full(n, np.nan)
    if rays.size:
        top[rays] = np.asarray(surface.z_at(iv.x[rays], iv.y[rays]), dtype=float).ravel()
    cap = top[iv.ray]
    undefined = np.isnan(cap)
    z_out = np.where(undefined, iv.z_out, np.minimum(iv.z_out, cap))
    keep = z_out > iv.z_in
    bad = np.zeros(n, dtype=bool)
    bad[iv.ray[undefined]] = True
    tested = np.zeros(n, dtype=bool)
    tested[rays] = True
    clipped = Intervals(iv.x, iv.y, iv.ray[keep], iv.z_in[keep], z_out[keep])
    return clipped, {"topography": (bad, tested)}


def clip_below(intervals: Intervals, surface: Surface) -> Intervals:
    """
    The parts of the stretches below a surface (a topography removes the air).

    Parameters
    ----------
    intervals : Intervals
        Inside stretches of vertical rays (from ``body.intervals``).
    surface : Surface
        The clipping surface: stretches are cut at ``z <= surface.z_at(x, y)``.

    Returns
    -------
    Intervals

    Warns
    -----
    UserWarning
        Rays holding part of the body where the surface is undefined (they are not
        clipped), with their count and location.

    Examples
    --------
    >>> import numpy as np
    >>> from shapely import box
    >>> from raremin.domains import Prism, Surface, clip_below
    >>> ground = Surface.from_grid(0, 0, 10, 10, [[4, 4], [8, 8]])
    >>> iv = Prism(box(0, 0, 10, 10), 0.0, 6.0).intervals([5, 5], [0, 10])
    >>> clip_below(iv, ground).z_out.tolist()
    [4.0, 6.0]
    """
    if not isinstance(surface, Surface):
        raise InputError(f"surface must be a raremin.domains.Surface; got "
                         f"{type(surface).__name__}")
    clipped, issues = _clip_below(intervals, surface)
    tallies: dict[str, _Tally] = {}
    _tally_issues(tallies, issues, clipped)
    _warn_issues(types.SimpleNamespace(kind="body", name="clipped"), tallies)
    return clipped


def _check_body(body: Any) -> Body:
    if not isinstance(body, Body):
        raise InputError(f"body must be a raremin.domains body (Prism, Solid or Layer); got "
                         f"{type(body).__name__}")
    return body


def _check_topography(topography: Any) -> Surface | None:
    if topography is not None and not isinstance(topography, Surface):
        raise InputError(f"topography must be a raremin.domains.Surface; got "
                         f"{type(topography).__name__}")
    return topography


def _ray_volume(body: Body, topography: Surface | None, n: int, warn: bool = True) -> float:
    """Sum of inside lengths x cell area over n x n rays at the cell centres of the bounds."""
    x0, y0, _, x1, y1, _ = body.bounds
    if not (x1 > x0 and y1 > y0):
        return 0.0
    xs = x0 + (x1 - x0) * (np.arange(n) + 0.5) / n
    ys = y0 + (y1 - y0) * (np.arange(n) + 0.5) / n
    rows = max(1, _CHUNK_RAYS // n)
    total = []
    tallies: dict[str, _Tally] = {}
    for r in range(0, n, rows):
        iv, issues = body._lattice(xs, ys[r:r + rows])
        _tally_issues(tallies, issues, iv)
        if topography is not None:
            iv, more = _clip_below(iv, topography)
            _tally_issues(tallies, more, iv)
        total.append(float(np.sum(iv.z_out - iv.z_in)))
    if warn:
        _warn_issues(body, tallies, stacklevel=4)
    return math.fsum(total) * (x1 - x0) * (y1 - y0) / n**2


def body_volume(body: Body, *, topography: Surface | None = None,
                rays: int = _VOLUME_RAYS) -> float:
    """
    A body's volume, below a topography when one is given.

    Parameters
    ----------
    body : Prism, Solid or Layer
        The body.
    topography : Surface, optional
        The ground: the part of the body above it is left out.
    rays : int, default 512
        Rays per plan axis of the quadrature used with a topography.

    Returns
    -------
    float
        Volume, m3: ``body.volume_m3`` without topography; with one, the sum over
        ``rays x rays`` vertical rays (at the cell centres of the body's plan bounds) of
        the clipped inside length times the cell's area.

    Examples
    --------
    >>> from shapely import box
    >>> from raremin.domains import Prism, Surface, body_volume
    >>> prism = Prism(box(0, 0, 10, 10), 0.0, 10.0)
    >>> ground = Surface.from_grid(0, 0, 10, 10, [[2, 8], [2, 8]])
    >>> body_volume(prism), round(body_volume(prism, topography=ground), 9)
    (1000.0, 500.0)
    """
    _check_body(body)
    if _check_topography(topography) is None:
        return float(body.volume_m3)
    if int(rays) < 1:
        raise InputError(f"rays must be >= 1; got {rays}")
    return _ray_volume(body, topography, int(rays))


def _add_fractions(iv: Intervals, n_cols: int, s: int, ncx: int, nz: int, z0: float,
                   dz: float) -> tuple[np.ndarray, float]:
    """
    Sum of the vertical fractions of the rays of each (column, level) cell of a chunk.

    Returns an array (n_cols, nz) and the length of stretches outside the grid's levels.
    """
    width = nz + 1
    nxr = ncx * s
    ri, rj = iv.ray % nxr, iv.ray // nxr
    col = ri // s + ncx * (rj // s)
    a_raw = (iv.z_in - z0) / dz
    b_raw = (iv.z_out - z0) / dz
    a, b = np.clip(a_raw, 0, nz), np.clip(b_raw, 0, nz)
    outside = float(np.sum((b_raw - a_raw) - (b - a))) * dz
    keep = b > a
    col, a, b = col[keep], a[keep], b[keep]
    la = np.minimum(np.floor(a), nz - 1).astype(np.int64)
    lb = np.floor(b).astype(np.int64)
    base = col * width
    size = n_cols * width
    same = la == lb
    frac = np.bincount(base[same] + la[same], weights=b[same] - a[same],
                       minlength=size).astype(np.float64)
    d = ~same
    frac += np.bincount(base[d] + la[d], weights=(la[d] + 1) - a[d], minlength=size)
    frac += np.bincount(base[d] + lb[d], weights=b[d] - lb[d], minlength=size)
    step = np.bincount(base[d] + la[d] + 1, minlength=size).astype(np.float64)
    step -= np.bincount(base[d] + lb[d], minlength=size)
    full = np.cumsum(step.reshape(n_cols, width), axis=1)
    return (full + frac.reshape(n_cols, width))[:, :nz], outside


def _clip_convex(px: np.ndarray, py: np.ndarray, pz: np.ndarray, count: np.ndarray,
                 axis: int, value: np.ndarray, sign: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Convex polygons (one per row) clipped to ``sign * (coordinate[axis] - value) <= 0``.

    The re-entrant clipping of Sutherland and Hodgman (1974), vectorised over the rows:
    every edge (i, i + 1) emits vertex i when it is kept and the crossing point when the
    edge crosses the line; the outputs are placed by a cumulative sum of what each edge
    emits. Rows hold their first ``count`` vertices (in order); `value` has one entry per
    row. A crossing is interpolated from the kept end to the cut end (the same point for
    the two triangles sharing an edge) and lies exactly on the line. Rows entirely on the
    kept side are passed through untouched; the width grows by one at most.
    """
    coords = (px, py, pz)
    n, m = px.shape
    slot = np.arange(m)
    valid = slot < count[:, None]
    d = sign * (coords[axis] - value[:, None])
    rows = np.flatnonzero((valid & (d > 0)).any(axis=1))
    if rows.size == 0:
        return px, py, pz, count
    d, valid, cnt = d[rows], valid[rows], count[rows]
    nxt = np.where(slot + 1 < cnt[:, None], slot + 1, 0)
    kept = d <= 0
    keep = valid & kept
    cross = valid & (kept != np.take_along_axis(kept, nxt, axis=1))
    emit = keep.astype(np.int64) + cross
    pos = np.cumsum(emit, axis=1) - emit
    new_cnt = pos[:, -1] + emit[:, -1]
    width = max(m, int(new_cnt.max()))
    # Flat positions: kept vertices, and both ends (kept a, cut b) of crossing edges.
    kf = np.flatnonzero(keep)
    dest_k = (kf // m) * width + pos.ravel()[kf]
    cf = np.flatnonzero(cross)
    cr = cf // m
    nf = cr * m + nxt.ravel()[cf]
    inner = kept.ravel()[cf]
    fa, fb = np.where(inner, cf, nf), np.where(inner, nf, cf)
    dflat = d.ravel()
    da = dflat[fa]
    t = da / (da - dflat[fb])  # da <= 0 < d[b]: t in [0, 1)
    dest_c = cr * width + pos.ravel()[cf] + keep.ravel()[cf]
    out = []
    for a in range(3):
        full = np.zeros((n, width))
        full[:, :m] = coords[a]
        src = coords[a][rows].ravel()
        part = np.zeros(len(rows) * width)
        part[dest_k] = src[kf]
        sa = src[fa]
        part[dest_c] = sa + t * (src[fb] - sa)
        if a == axis:
            part[dest_c] = value[rows][cr]
        full[rows] = part.reshape(len(rows), width)
        out.append(full)
    count = count.copy()
    count[rows] = new_cnt
    return out[0], out[1], out[2], count


def _fan_integrals(px: np.ndarray, py: np.ndarray, pz: np.ndarray, count: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """
    Signed plan area and integral of z over each planar polygon (one per row).

    A fan of triangles from the first vertex: area ``a_i`` of (v0, v_i, v_i+1) and
    ``integral z dA = sum a_i (z0 + z_i + z_i+1) / 3``, exact for z linear in plan. The
    sign is that of the winding in plan (positive counter-clockwise).
    """
    n, m = px.shape
    if m < 3:
        return np.zeros(n), np.zeros(n)
    ux, uy = px[:, 1:-1] - px[:, :1], py[:, 1:-1] - py[:, :1]
    vx, vy = px[:, 2:] - px[:, :1], py[:, 2:] - py[:, :1]
    a = np.where(np.arange(2, m) < count[:, None], ux * vy - uy * vx, 0.0)
    zsum = pz[:, :1] + pz[:, 1:-1] + pz[:, 2:]
    return 0.5 * a.sum(axis=1), np.einsum("ij,ij->i", a, zsum) / 6.0


def _column_pieces(pts: np.ndarray, xa: np.ndarray, ya: np.ndarray, dx: float, dy: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Polygons to clip to the columns ``[xa, xa + dx] x [ya, ya + dy]``: the triangle
    (`pts`, shape (n, 3, 3)), or the column's square when the triangle covers it in
    plan (no clipping needed: the corners' z from the triangle's plane, wound as the
    triangle is in plan).
    """
    n = len(pts)
    x, y, z = pts[:, :, 0], pts[:, :, 1], pts[:, :, 2]
    ex, ey = np.roll(x, -1, axis=1) - x, np.roll(y, -1, axis=1) - y
    area2 = ey[:, 0] * ex[:, 2] - ex[:, 0] * ey[:, 2]  # (v1 - v0) x (v2 - v0), twice the area
    cx = np.column_stack([xa, xa + dx, xa + dx, xa])
    cy = np.column_stack([ya, ya, ya + dy, ya + dy])
    covered = np.ones(n, dtype=bool)
    for k in range(3):
        side = ex[:, k, None] * (cy - y[:, k, None]) - ey[:, k, None] * (cx - x[:, k, None])
        covered &= (side * area2[:, None] >= 0).all(axis=1)
    px = np.zeros((n, 4))
    py = np.zeros((n, 4))
    pz = np.zeros((n, 4))
    px[:, :3], py[:, :3], pz[:, :3] = x, y, z
    cnt = np.full(n, 3, np.int64)
    sq = np.flatnonzero(covered & (area2 != 0))
    if sq.size:
        # Plane z = z0 + gx (x - x0) + gy (y - y0) of the covering triangles.
        e1x, e1y, e1z = x[sq, 1] - x[sq, 0], y[sq, 1] - y[sq, 0], z[sq, 1] - z[sq, 0]
        e2x, e2y, e2z = x[sq, 2] - x[sq, 0], y[sq, 2] - y[sq, 0], z[sq, 2] - z[sq, 0]
        gx = (e1z * e2y - e2z * e1y) / area2[sq]
        gy = (e2z * e1x - e1z * e2x) / area2[sq]
        order = np.where(area2[sq, None] > 0, np.arange(4), np.arange(4)[::-1])
        qx = np.take_along_axis(cx[sq], order, axis=1)
        qy = np.take_along_axis(cy[sq], order, axis=1)
        px[sq], py[sq] = qx, qy
        pz[sq] = (z[sq, 0, None] + gx[:, None] * (qx - x[sq, 0, None])
                  + gy[:, None] * (qy - y[sq, 0, None]))
        cnt[sq] = 4
    return px, py, pz, cnt


class _ExactCoder:
    """
    Exact volumes of a closed solid in the blocks of a grid (divergence theorem).

    See :func:`block_proportions`, Notes. Coordinates are relative to the solid's
    ``_Triangles.origin``; the triangles keep their outward winding, so the signed plan
    area of a clipped piece carries the sign of its face's normal (up +, down -).
    """

    def __init__(self, solid: Solid, ox: float, oy: float, z0: float, dx: float, dy: float,
                 dz: float, nz: int, cols: tuple[int, int], rows: tuple[int, int]) -> None:
        tris = solid._tris
        self.loc = solid.vertices[solid.faces[tris.face]] - tris.origin
        self.xl0, self.yl0 = ox - tris.origin[0], oy - tris.origin[1]
        self.dx, self.dy, self.dz, self.nz = dx, dy, dz, nz
        self.zl = (z0 - tris.origin[2]) + dz * np.arange(nz + 2)
        c0, c1 = cols
        r0, r1 = rows
        self.c0, self.ncx = c0, c1 - c0
        i_lo = np.floor((tris.xmin - self.xl0) / dx)
        i_hi = np.floor((tris.xmax - self.xl0) / dx)
        j_lo = np.floor((tris.ymin - self.yl0) / dy)
        j_hi = np.floor((tris.ymax - self.yl0) / dy)
        inside = (i_hi >= c0) & (i_lo <= c1 - 1) & (j_hi >= r0) & (j_lo <= r1 - 1)
        keep = np.flatnonzero(inside)
        self.tri = keep
        self.i_lo = np.clip(i_lo[keep], c0, c1 - 1).astype(np.int64)
        self.i_hi = np.clip(i_hi[keep], c0, c1 - 1).astype(np.int64)
        self.j_lo = np.clip(j_lo[keep], r0, r1 - 1).astype(np.int64)
        self.j_hi = np.clip(j_hi[keep], r0, r1 - 1).astype(np.int64)

    def rows(self, r: int, r_end: int) -> tuple[np.ndarray, np.ndarray]:
        """
        Volumes of the blocks of block rows ``r .. r_end - 1`` (columns in chunk order)
        and, per column, the volume of the solid below and above the grid's levels.

        Returns arrays (n_cols, nz) and (n_cols,), m3.
        """
        nz, ncx = self.nz, self.ncx
        width = nz + 2
        n_cols = ncx * (r_end - r)
        size = n_cols * width
        mid = np.zeros(size)
        tail_z = np.zeros(size)
        tail_a = np.zeros(size)
        total = np.zeros(n_cols)
        jl = np.maximum(self.j_lo, r)
        jh = np.minimum(self.j_hi, r_end - 1)
        sel = np.flatnonzero(jl <= jh)
        ni = self.i_hi[sel] - self.i_lo[sel] + 1
        nj = jh[sel] - jl[sel] + 1
        counts = ni * nj
        zl = self.zl
        for s, rank in _expand_batches(counts, _CHUNK_CLIP):
            i = self.i_lo[sel[s]] + rank % ni[s]
            j = jl[sel[s]] + rank // ni[s]
            pts = self.loc[self.tri[sel[s]]]
            xa = self.xl0 + self.dx * i
            ya = self.yl0 + self.dy * j
            px, py, pz, cnt = _column_pieces(pts, xa, ya, self.dx, self.dy)
            px, py, pz, cnt = _clip_convex(px, py, pz, cnt, 0, xa, -1.0)
            px, py, pz, cnt = _clip_convex(px, py, pz, cnt, 0, xa + self.dx, 1.0)
            px, py, pz, cnt = _clip_convex(px, py, pz, cnt, 1, ya, -1.0)
            px, py, pz, cnt = _clip_convex(px, py, pz, cnt, 1, ya + self.dy, 1.0)
            live = np.flatnonzero(cnt >= 3)
            px, py, pz, cnt = px[live], py[live], pz[live], cnt[live]
            col = (i[live] - self.c0) + ncx * (j[live] - r)
            area, zint = _fan_integrals(px, py, pz, cnt)
            total += np.bincount(col, weights=zint, minlength=n_cols)
            valid = np.arange(px.shape[1]) < cnt[:, None]
            zmin = np.where(valid, pz, np.inf).min(axis=1)
            zmax = np.where(valid, pz, -np.inf).max(axis=1)
            # Boundaries at or above the piece: G = zint - area * w (a linear tail).
            k_hi = np.clip(np.ceil((zmax - zl[0]) / self.dz), 0, nz + 1).astype(np.int64)
            tail_z += np.bincount(col * width + k_hi, weights=zint, minlength=size)
            tail_a += np.bincount(col * width + k_hi, weights=area, minlength=size)
            # Boundaries cutting the piece: clip it to z <= w.
            k_lo = np.clip(np.floor((zmin - zl[0]) / self.dz) + 1, 0, nz + 1).astype(np.int64)
            n_mid = np.maximum(k_hi - k_lo, 0)
            for p, step in _expand_batches(n_mid, _CHUNK_CLIP):
                k = k_lo[p] + step
                w = zl[k]
                qx, qy, qz, qc = _clip_convex(px[p], py[p], pz[p], cnt[p], 2, w, 1.0)
                q_area, q_zint = _fan_integrals(qx, qy, qz, qc)
                mid += np.bincount(col[p] * width + k, weights=q_zint - q_area * w,
                                   minlength=size)
        shape = (n_cols, width)
        g = (mid.reshape(shape) + np.cumsum(tail_z.reshape(shape), axis=1)
             - np.cumsum(tail_a.reshape(shape), axis=1) * zl[None, :])
        volume = g[:, 1:nz + 1] - g[:, :nz]
        beyond = g[:, 0] + (total - g[:, nz])
        return volume, beyond

    def shares(self, nx: int, ny: int, r0: int, r1: int, tol: float
               ) -> tuple[list[np.ndarray], list[np.ndarray], float, float, int]:
        """
        Flat block indices and proportions (by chunks of rows), the volume coded, the
        volume beyond the levels, and the number of blocks found over 1.

        Proportions within `tol` of 1 are set to 1, those not above `tol` dropped.
        """
        ncx, nz = self.ncx, self.nz
        block_m3 = self.dx * self.dy * self.dz
        indices, props = [], []
        inside = outside = 0.0
        overfull = 0
        rows = max(1, _CHUNK_CELLS // (ncx * (nz + 2)))
        for r in range(r0, r1, rows):
            r_end = min(r + rows, r1)
            volume, beyond = self.rows(r, r_end)
            inside += float(volume.sum())
            outside += float(beyond.sum())
            share = volume / block_m3
            overfull += int(np.count_nonzero(share > 1 + _OVERFULL))
            share[share >= 1 - tol] = 1.0
            cols, levels = np.nonzero(share > tol)
            gx = self.c0 + cols % ncx
            gy = r + cols // ncx
            indices.append(gx + nx * (gy + ny * levels))
            props.append(share[cols, levels])
        return indices, props, inside, outside, overfull


def _resolve_method(method: Any, body: Body, topography: Surface | None) -> str:
    """The coding method: "exact" or "rays" (see block_proportions)."""
    if method is None:
        flagged = isinstance(body, Solid) and body.report["check_rays_not_alternating"] > 0
        return "exact" if (isinstance(body, Solid) and topography is None
                           and not flagged) else "rays"
    if method not in ("exact", "rays"):
        raise InputError(f"unknown method {method!r}; use 'exact' (closed solids without "
                         f"topography), 'rays' (any body) or None (the best for the body)")
    if method == "exact" and not isinstance(body, Solid):
        raise InputError(f"method='exact' codes closed solids; a {body.kind} is coded by rays "
                         f"(method='rays' or None; for a prism, "
                         f"raremin.grid.zone_proportions(method='exact') is exact)")
    if method == "exact" and topography is not None:
        raise InputError("method='exact' codes a closed solid without topography; with a "
                         "topography use method='rays' (or None)")
    return str(method)


def _exact_tolerance(solid: Solid, dz: float) -> float:
    """Rounding allowance of exact proportions: _DUST, more for solids many blocks tall."""
    lo, hi = solid.vertices[:, 2].min(), solid.vertices[:, 2].max()
    return _DUST * max(1.0, float(hi - lo) / dz)


def block_proportions(grid: BlockGrid, body: Body, *, subcells: int = 4,
                      topography: Surface | None = None, method: str | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """
    Blocks touched by a body and the fraction of each block's volume inside it.

    Parameters
    ----------
    grid : BlockGrid
        The grid (2D or 3D; :class:`raremin.grid.BlockGrid`).
    body : Prism, Solid or Layer
        The body.
    subcells : int, default 4
        Rays per block column along x and along y (``subcells x subcells`` rays at the
        centres of the column's plan sub-cells), for the ray method.
    topography : Surface, optional
        The ground: the part of the body above it is left out (ray method).
    method : {None, "exact", "rays"}, default None
        ``"exact"``: the volume of a closed :class:`Solid` in each block, exact up to
        rounding (no topography). ``"rays"``: vertical rays (any body, topography
        allowed). None: ``"exact"`` for a Solid without topography whose build-time
        check found no self-intersection, ``"rays"`` otherwise.

    Returns
    -------
    index : numpy.ndarray of int64
        Flat indices (GSLIB order) of the blocks with a positive proportion, sorted.
    proportion : numpy.ndarray of float
        Their proportions in (0, 1]. For a 2D grid, the share of the column's plan area
        covered by the body (exact: the footprint's area; rays: the share of the rays
        that cross it).

    Raises
    ------
    InputError
        An unknown `method`; ``"exact"`` for a body other than a Solid or with a
        topography; `subcells` < 1.

    Warns
    -----
    UserWarning
        Rays where a solid's crossings do not alternate entry/exit (self-intersection),
        where a layer's surfaces cross, or where the topography is undefined (counts and
        location); a body extending beyond the grid (the part outside is not coded);
        with the exact method, blocks found more than full (overlapping parts of a
        self-intersecting solid, capped at 1; counted).

    Notes
    -----
    **Exact method** (closed solids). By the divergence theorem (as for polyhedral mass
    properties, Mirtich 1996), the volume of a closed solid with outward normals inside
    the block of column :math:`c` between levels :math:`z_k` and :math:`z_{k+1}` is

    .. math:: V = \\sum_t s_t \\iint_{P_t} [\\min(z_t, z_{k+1}) - \\min(z_t, z_k)]\\,dA

    over its non-vertical triangles :math:`t`, with :math:`z_t(x, y)` the triangle's
    plane, :math:`s_t = \\pm 1` for a normal facing up or down, and :math:`P_t` the plan
    projection of the triangle clipped to the column (Sutherland and Hodgman 1974;
    vertical triangles add nothing). As the surface is closed, :math:`\\sum_t s_t
    \\operatorname{area}(P_t) = 0` in every column, so :math:`\\min(z_t, w)` can be
    replaced by :math:`G_t(w) = -\\iint_{P_t} \\max(w - z_t, 0)\\,dA`: 0 for levels
    below the piece, :math:`A_t (\\bar z_t - w)` (:math:`\\bar z_t`: the plane at the
    piece's centroid) for levels above it, and for a level crossing it the same
    expression over the part of the piece below the level (one more half-plane clip).
    Integrals of the linear :math:`z_t` over polygons are taken exactly (a fan of
    triangles). The linear tails are accumulated per column and summed upwards over the
    levels, and a block's volume is the difference between its top and bottom
    boundaries. Nothing is sampled: the result is exact up to rounding (in the tests,
    block volumes agree with an independent half-space intersection to about 1e-14,
    and their sum with the mesh volume to about 1e-15, relative). Proportions within
    ``1e-12 x max(1, solid height / block height)`` of 0 are dropped and of 1 set to
    1 (rounding), and the rest clipped to [0, 1]; `subcells` is not used. What is
    integrated is the winding number: where the parts of a self-intersecting solid
    overlap they count twice, which shows as blocks over 1 (capped, counted in a
    warning) only where the overlap is large enough; None therefore picks the rays
    (inside = the union) for a solid its build-time check found self-intersecting.
    On a 2D grid the exact share is the area of the solid's footprint in the column
    (shapely). The work is vectorised over (triangle, column) pairs and (pair, level)
    cuts, by chunks of block rows, so memory stays bounded.

    **Ray method.** Every block column that the body's plan bounds touch gets
    ``subcells**2`` vertical rays. Each ray's inside stretches (from
    :meth:`Body.intervals`, clipped by the topography) give its exact vertical
    fraction of every block level it crosses (the overlap of the stretch with the
    level, divided by the block height); the block's proportion is the mean over its
    rays. Vertical fractions are exact; the plan is sampled (midpoint rule on the
    sub-cells), so a body's coded volume converges as the sub-cells shrink, and
    planar-sided layers aligned with the blocks are exact. A face that is vertical and
    parallel to a grid axis makes the sampling error add up along it instead of
    cancelling (a few percent of a slab's volume at blocks a tenth of its size), which
    is why closed solids use the exact method. Rays are cast by chunks of block rows
    (about a million rays or four million block cells at a time), so memory stays
    bounded whatever the grid.

    References: Mirtich, B. (1996). Fast and accurate computation of polyhedral mass
    properties. Journal of Graphics Tools 1(2), 31-50. Sutherland, I. E. and Hodgman,
    G. W. (1974). Reentrant polygon clipping. Communications of the ACM 17(1), 32-42.

    Examples
    --------
    >>> import numpy as np
    >>> from shapely import box
    >>> from raremin.domains import Prism, Solid, block_proportions
    >>> from raremin.grid import BlockGrid
    >>> grid = BlockGrid((0, 0, 0), (10, 10, 10), (2, 1, 1))
    >>> idx, p = block_proportions(grid, Prism(box(0, 0, 15, 10), 0.0, 5.0))
    >>> idx.tolist(), p.tolist()
    ([0, 1], [0.5, 0.25])

    A tetrahedron cut by two blocks: exact shares of its 1/6 m3.

    >>> tet = Solid.from_arrays([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
    ...                         [[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]])
    >>> idx, p = block_proportions(BlockGrid((0, 0, 0), (0.5, 1, 1), (2, 1, 1)), tet)
    >>> idx.tolist(), (p * 0.5).round(12).tolist()  # m3 in each block: 7/48 and 1/48
    ([0, 1], [0.145833333333, 0.020833333333])
    """
    _check_body(body)
    _check_topography(topography)
    if isinstance(subcells, bool) or int(subcells) != subcells or int(subcells) < 1:
        raise InputError(f"subcells must be an integer >= 1; got {subcells!r}")
    method = _resolve_method(method, body, topography)
    s = int(subcells)
    ndim = len(grid.shape)
    ox, oy = float(grid.origin[0]), float(grid.origin[1])
    dx, dy = float(grid.block_size[0]), float(grid.block_size[1])
    nx, ny = int(grid.shape[0]), int(grid.shape[1])
    nz = int(grid.shape[2]) if ndim == 3 else 1
    z0 = float(grid.origin[2]) if ndim == 3 else 0.0
    dz = float(grid.block_size[2]) if ndim == 3 else 1.0
    bx0, by0, _, bx1, by1, _ = body.bounds
    c0 = max(int(math.floor((bx0 - ox) / dx)), 0)
    c1 = min(int(math.ceil((bx1 - ox) / dx)), nx)
    r0 = max(int(math.floor((by0 - oy) / dy)), 0)
    r1 = min(int(math.ceil((by1 - oy) / dy)), ny)
    plan_out = (bx0 < ox - 1e-9 * dx or by0 < oy - 1e-9 * dy or bx1 > ox + nx * dx + 1e-9 * dx
                or by1 > oy + ny * dy + 1e-9 * dy)
    tallies: dict[str, _Tally] = {}
    indices: list[np.ndarray] = []
    props: list[np.ndarray] = []
    outside = inside = 0.0
    overfull = 0
    if c1 > c0 and r1 > r0 and method == "exact" and ndim == 2:
        indices, props = _exact_plan_shares(body, ox, oy, dx, dy, nx, (c0, c1), (r0, r1))
    elif c1 > c0 and r1 > r0 and method == "exact":
        solid = cast(Solid, body)  # _resolve_method let only solids through
        coder = _ExactCoder(solid, ox, oy, z0, dx, dy, dz, nz, (c0, c1), (r0, r1))
        indices, props, inside, outside, overfull = coder.shares(nx, ny, r0, r1,
                                                                 _exact_tolerance(solid, dz))
    elif c1 > c0 and r1 > r0:
        ncx = c1 - c0
        rows = max(1, min(_CHUNK_RAYS // (ncx * s * s), _CHUNK_CELLS // (ncx * (nz + 1))))
        sdx, sdy = dx / s, dy / s
        xs = ox + dx * c0 + sdx * (np.arange(ncx * s) + 0.5)
        for r in range(r0, r1, rows):
            r_end = min(r + rows, r1)
            ys = oy + dy * r + sdy * (np.arange((r_end - r) * s) + 0.5)
            iv, issues = body._lattice(xs, ys)
            _tally_issues(tallies, issues, iv)
            if topography is not None:
                iv, more = _clip_below(iv, topography)
                _tally_issues(tallies, more, iv)
            n_cols = ncx * (r_end - r)
            inside += float(np.sum(iv.z_out - iv.z_in)) * (sdx * sdy)
            if ndim == 3:
                share, out = _add_fractions(iv, n_cols, s, ncx, nz, z0, dz)
                outside += out * (sdx * sdy)
            else:
                nxr = ncx * s
                crossed = np.unique(iv.ray)
                col = (crossed % nxr) // s + ncx * ((crossed // nxr) // s)
                share = np.bincount(col, minlength=n_cols).astype(float)[:, None]
            share /= s * s
            cols, levels = np.nonzero(share > 0)
            gx = c0 + cols % ncx
            gy = r + cols // ncx
            indices.append(gx + nx * (gy + ny * levels))
            props.append(np.minimum(share[cols, levels], 1.0))
    _warn_issues(body, tallies)
    if overfull:
        checked = cast(Solid, body).report["check_rays_not_alternating"]
        found = (f" (its build-time check found {checked:,} vertical rays whose crossings do "
                 f"not alternate)" if checked else "")
        warnings.warn(
            f"solid {body.name!r}: {overfull:,} block(s) hold more than their own volume by "
            f"the exact method (capped at 1): parts of the solid overlap there{found}, and the "
            f"exact method counts overlapping parts twice. Repair the self-intersections, or "
            f"use method='rays' to code the union", UserWarning, stacklevel=2)
    if plan_out or outside > 1e-9 * max(inside, 0.0):
        grid_box = (ox, oy, z0, ox + nx * dx, oy + ny * dy, z0 + nz * dz)
        warnings.warn(
            f"{body.kind} {body.name!r} extends beyond the block grid (body bounds "
            f"{_xyz(body.bounds[:3])}-{_xyz(body.bounds[3:])}, grid {_xyz(grid_box[:3])}-"
            f"{_xyz(grid_box[3:])}): {max(outside, 0.0):,.6g} m3 above or below the grid"
            f"{' and the part outside it in plan' if plan_out else ''} are not coded; use "
            f"BlockGrid.covering or a larger grid", UserWarning, stacklevel=2)
    if not indices:
        return np.zeros(0, np.int64), np.zeros(0)
    index = np.concatenate(indices).astype(np.int64)
    proportion = np.clip(np.concatenate(props), 0.0, 1.0)
    order = np.argsort(index, kind="stable")
    return index[order], proportion[order]


def _exact_plan_shares(solid: Body, ox: float, oy: float, dx: float, dy: float, nx: int,
                       cols: tuple[int, int], rows: tuple[int, int]
                       ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Shares of the block columns covered by a solid's footprint (2D grids; shapely)."""
    footprint = solid.footprint()
    shapely.prepare(footprint)
    c0, c1 = cols
    r0, r1 = rows
    ncx = c1 - c0
    tol = _DUST
    indices: list[np.ndarray] = []
    props: list[np.ndarray] = []
    step = max(1, _CHUNK_RAYS // ncx)
    for r in range(r0, r1, step):
        r_end = min(r + step, r1)
        gx2, gy2 = np.meshgrid(np.arange(c0, c1), np.arange(r, r_end))
        gx, gy = gx2.ravel(), gy2.ravel()
        x0, y0 = ox + dx * gx, oy + dy * gy
        boxes = shapely.box(x0, y0, x0 + dx, y0 + dy)
        hit = np.flatnonzero(shapely.intersects(footprint, boxes))
        share = shapely.area(shapely.intersection(footprint, boxes[hit])) / (dx * dy)
        share[share >= 1 - tol] = 1.0
        keep = share > tol
        indices.append(gx[hit][keep] + nx * gy[hit][keep])
        props.append(share[keep])
    return indices, props


# ---------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------
def _read_mesh(path: Any) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and triangles of an STL, OBJ, PLY, OFF (trimesh) or DXF (own) file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such mesh file: {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix == ".dxf":
        return _read_dxf(path)
    if suffix not in (".stl", ".obj", ".ply", ".off"):
        raise InputError(f"unknown mesh format {suffix!r} for {str(path)!r}; raremin reads STL, "
                         f"OBJ, PLY, OFF and DXF (3DFACE entities or polyface meshes)")
    import trimesh

    try:
        mesh = trimesh.load(path, file_type=suffix[1:], process=False, force="mesh")
    except Exception as err:  # trimesh and its parsers raise many kinds of errors
        raise InputError(f"cannot read the mesh file {str(path)!r} ({' '.join(str(err).split())})"
                         f"; check that it opens in a mesh viewer, or export it again "
                         f"(STL or OBJ)") from None
    verts = np.asarray(getattr(mesh, "vertices", np.zeros((0, 3))), dtype=float)
    faces = np.asarray(getattr(mesh, "faces", np.zeros((0, 3))), dtype=np.int64)
    if faces.size == 0:
        raise InputError(f"the mesh file {str(path)!r} holds no triangles (a point cloud or "
                         f"lines?); export the surface of the solid")
    return verts, faces.reshape(-1, 3)


_DXF_CORNERS = (10, 20, 30, 11, 21, 31, 12, 22, 32, 13, 23, 33)


def _read_dxf(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """
    Triangles of an ASCII DXF: 3DFACE entities (quads split in two) and polyface meshes
    (POLYLINE with flag 64 and its VERTEX records) in the ENTITIES section.
    """
    raw = path.read_bytes()
    if raw.startswith(b"AutoCAD Binary DXF"):
        raise InputError(f"{str(path)!r} is a binary DXF; save it as an ASCII DXF (or export "
                         f"STL/OBJ)")
    lines = raw.decode("utf-8", errors="replace").splitlines()
    n = len(lines) // 2
    try:
        codes = np.array([int(c) for c in lines[0:2 * n:2]], dtype=np.int64)
    except ValueError:
        raise InputError(f"{str(path)!r} is not an ASCII DXF file (a group code line is not an "
                         f"integer)") from None
    values = np.array([v.strip() for v in lines[1:2 * n:2]], dtype=object)
    is0 = codes == 0
    ent = np.cumsum(is0) - 1
    names = values[is0].astype(str)
    starts = np.flatnonzero(is0)
    # The section holding each entity (forward fill of SECTION markers, ENDSEC resets).
    marker = np.full(len(names), -1, np.int64)
    sec = np.flatnonzero(names == "SECTION")
    nxt = np.minimum(starts[sec] + 1, len(codes) - 1)
    sec_name = np.where(codes[nxt] == 2, values[nxt], "").astype(str)
    marker[sec] = np.arange(len(sec))
    marker[names == "ENDSEC"] = -2
    pos = np.maximum.accumulate(np.where(marker != -1, np.arange(len(names)), 0))
    current = np.where(marker[pos] == -1, -2 if len(sec) else -3, marker[pos])
    in_entities = (current == -3) | ((current >= 0)
                                     & (sec_name[np.maximum(current, 0)] == "ENTITIES"))
    valid = ent >= 0

    def gather(code: int, rank: np.ndarray, size: int) -> np.ndarray:
        out = np.full(size, np.nan)
        sel = valid & (codes == code)
        sel[sel] = rank[ent[sel]] >= 0
        try:
            out[rank[ent[sel]]] = values[sel].astype(float)
        except ValueError:
            raise InputError(f"{str(path)!r}: a DXF group {code} value is not a number") from None
        return out

    # 3DFACE entities.
    faces_id = np.flatnonzero(in_entities & (names == "3DFACE"))
    rank = np.full(len(names), -1, np.int64)
    rank[faces_id] = np.arange(len(faces_id))
    corner = np.stack([np.stack([gather(c, rank, len(faces_id)) for c in
                                 _DXF_CORNERS[3 * k:3 * k + 3]], axis=-1) for k in range(4)],
                      axis=1) if len(faces_id) else np.zeros((0, 4, 3))
    corner[:, :, 2] = np.nan_to_num(corner[:, :, 2], nan=0.0)
    missing4 = np.isnan(corner[:, 3, :2]).any(axis=1)
    corner[missing4, 3] = corner[missing4, 2]
    if np.isnan(corner).any():
        bad = int(np.flatnonzero(np.isnan(corner).any(axis=(1, 2)))[0])
        raise InputError(f"{str(path)!r}: 3DFACE number {bad + 1} lacks corner coordinates")
    nf = len(corner)
    verts = [corner.reshape(-1, 3)]
    base = 4 * np.arange(nf)
    quad = (corner[:, 3] != corner[:, 2]).any(axis=1)
    tris = [np.column_stack([base, base + 1, base + 2]),
            np.column_stack([base, base + 2, base + 3])[quad]]
    # Polyface meshes.
    flag = np.zeros(len(names), np.int64)
    sel70 = valid & (codes == 70)
    try:
        flag[ent[sel70]] = values[sel70].astype(float).astype(np.int64)
    except ValueError:
        raise InputError(f"{str(path)!r}: a DXF flag (group 70) is not a number") from None
    poly = np.flatnonzero(in_entities & (names == "POLYLINE") & (flag & 64 != 0))
    if poly.size:
        mark = np.full(len(names), -1, np.int64)
        mark[np.flatnonzero(names == "POLYLINE")] = np.flatnonzero(names == "POLYLINE")
        mark[names == "SEQEND"] = -2
        mark[names == "ENDSEC"] = -2
        at = np.maximum.accumulate(np.where(mark != -1, np.arange(len(names)), 0))
        owner = mark[at]
        is_vertex = (names == "VERTEX") & (owner >= 0)
        is_vertex[is_vertex] = (flag[owner[is_vertex]] & 64) != 0
        coord_v = np.flatnonzero(is_vertex & (flag & 64 != 0))
        face_v = np.flatnonzero(is_vertex & (flag & 64 == 0) & (flag & 128 != 0))
        vrank = np.full(len(names), -1, np.int64)
        vrank[coord_v] = np.arange(len(coord_v))
        pv = np.column_stack([gather(c, vrank, len(coord_v)) for c in (10, 20, 30)])
        pv[:, 2] = np.nan_to_num(pv[:, 2], nan=0.0)
        frank = np.full(len(names), -1, np.int64)
        frank[face_v] = np.arange(len(face_v))
        idx = np.column_stack([gather(c, frank, len(face_v)) for c in (71, 72, 73, 74)])
        idx = np.abs(np.nan_to_num(idx, nan=0.0)).astype(np.int64)
        # Polyface indices count from 1 within their own polyline.
        offset = np.searchsorted(coord_v, owner[face_v])
        usable = (idx[:, :3] > 0).all(axis=1)
        glob = idx - 1 + offset[:, None] + nf * 4
        tris.append(glob[usable][:, [0, 1, 2]])
        quad4 = usable & (idx[:, 3] > 0)
        tris.append(glob[quad4][:, [0, 2, 3]])
        verts.append(pv)
    faces = np.concatenate(tris).astype(np.int64)
    if len(faces) == 0:
        present = sorted(set(names[in_entities].tolist()) - {"SECTION", "ENDSEC", "EOF"})
        hint = (" (3DFACE entities inside block definitions: explode the blocks first)"
                if np.any(~in_entities & (names == "3DFACE")) else "")
        raise InputError(f"{str(path)!r} has no 3DFACE entities or polyface meshes in its "
                         f"ENTITIES section (found: {', '.join(present) or 'nothing'}){hint}; "
                         f"export the solid as 3DFACEs or a polyface mesh, or as STL/OBJ")
    vertices = np.concatenate(verts)
    if np.isnan(vertices[np.unique(faces)]).any() or faces.max() >= len(vertices):
        raise InputError(f"{str(path)!r}: a polyface mesh face refers to a missing vertex")
    return vertices, faces


def _looks_esri(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.readline().strip().lower()
    return head.startswith("ncols")


def _read_esri_ascii(path: Path) -> tuple[float, float, float, float, np.ndarray]:
    """An ESRI ASCII grid: node (cell-centre) origin, spacing and elevations (south first)."""
    header: dict[str, float] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    tokens = text.split()
    k = 0
    while k + 1 < len(tokens) and re.match(r"^[a-z_]+$", tokens[k].lower()):
        try:
            header[tokens[k].lower()] = float(tokens[k + 1])
        except ValueError:
            raise InputError(f"{str(path)!r}: ESRI grid header {tokens[k]!r} has a non-numeric "
                             f"value {tokens[k + 1]!r}") from None
        k += 2
    need = ["ncols", "nrows"]
    missing = [key for key in need if key not in header]
    if "cellsize" not in header and not {"dx", "dy"} <= set(header):
        missing.append("cellsize")
    if not ({"xllcorner", "yllcorner"} <= set(header) or {"xllcenter", "yllcenter"} <= set(header)):
        missing.append("xllcorner/yllcorner")
    if missing:
        raise InputError(f"{str(path)!r} is not a complete ESRI ASCII grid: header lacks "
                         f"{missing} (found {sorted(header)})")
    ncols, nrows = int(header["ncols"]), int(header["nrows"])
    dx = header.get("dx", header.get("cellsize"))
    dy = header.get("dy", header.get("cellsize"))
    if dx is None or dy is None:  # pragma: no cover - the header check above needs them
        raise InputError(f"{str(path)!r}: the ESRI grid header gives no cell size; add "
                         f"cellsize (or dx and dy)")
    try:
        data = np.array(tokens[k:], dtype=float)
    except ValueError:
        raise InputError(f"{str(path)!r}: the ESRI grid holds a non-numeric value") from None
    if data.size != ncols * nrows:
        raise InputError(f"{str(path)!r}: the ESRI grid declares {nrows} x {ncols} = "
                         f"{nrows * ncols:,} values but holds {data.size:,}")
    z = data.reshape(nrows, ncols)[::-1].copy()
    if "nodata_value" in header:
        z[z == header["nodata_value"]] = np.nan
    if "xllcenter" in header:
        x0, y0 = header["xllcenter"], header["yllcenter"]
    else:
        x0, y0 = header["xllcorner"] + 0.5 * dx, header["yllcorner"] + 0.5 * dy
    return float(x0), float(y0), float(dx), float(dy), z


def _read_geotiff(path: Path) -> tuple[float, float, float, float, np.ndarray, str | None]:
    try:
        import rasterio
    except ImportError:
        raise InputError(f"reading the GeoTIFF surface {str(path)!r} needs rasterio: "
                         f"pip install rasterio (or give the surface as an ESRI ASCII grid "
                         f".asc or an x/y/z text file)") from None
    try:
        with rasterio.open(path) as src:
            band = src.read(1, masked=True)
            transform = src.transform
            crs = src.crs.to_string() if src.crs else None
            height = src.height
    except Exception as err:  # rasterio's own errors, named for the user
        raise InputError(f"cannot read the GeoTIFF {str(path)!r} ({err})") from None
    if transform.b != 0 or transform.d != 0:
        raise InputError(f"{str(path)!r} is a rotated raster; warp it to a north-up grid first "
                         f"(gdalwarp)")
    z = np.ma.filled(band.astype(float), np.nan)
    dx = float(transform.a)
    x0 = float(transform.c) + 0.5 * dx
    if transform.e < 0:
        dy = -float(transform.e)
        y0 = float(transform.f) + float(transform.e) * (height - 0.5)
        z = z[::-1].copy()
    else:
        dy = float(transform.e)
        y0 = float(transform.f) + 0.5 * dy
    if dx < 0:
        dx, x0 = -dx, x0 + dx * (z.shape[1] - 1)
        z = z[:, ::-1].copy()
    return x0, y0, dx, dy, z, crs


_X_NAMES = ("x", "easting", "east", "easting_m", "x_m", "xcoord", "x_coord", "e")
_Y_NAMES = ("y", "northing", "north", "northing_m", "y_m", "ycoord", "y_coord", "n")
_Z_NAMES = ("z", "elevation", "elev", "elevation_m", "z_m", "rl", "height", "value", "zcoord")


def _axis_lattice(values: np.ndarray, what: str, path: Path) -> tuple[float, float, np.ndarray]:
    """Origin, spacing and integer positions of coordinates on a regular lattice."""
    uniq = np.unique(values)
    if uniq.size < 2:
        raise InputError(f"{str(path)!r}: all points share one {what} value ({uniq[0]}); a grid "
                         f"surface needs at least 2 x 2 nodes")
    steps = np.diff(uniq)
    typical = float(np.median(steps))
    step = float(steps[steps > 1e-6 * typical].min())
    k = (values - uniq[0]) / step
    off = np.abs(k - np.round(k))
    if off.max() > 0.01:
        bad = int(np.argmax(off))
        raise InputError(
            f"{str(path)!r}: the points are scattered, not on a regular grid ({what} "
            f"{values[bad]} is not a multiple of the spacing {step:g} from {uniq[0]}); raremin "
            f"reads x/y/z surfaces at the nodes of a regular, axis-aligned grid: interpolate the "
            f"points onto a grid first (in a GIS), or give a triangulated surface "
            f"(STL/OBJ/PLY/OFF/DXF)")
    index = np.round(k).astype(np.int64)
    spacing = (uniq[-1] - uniq[0]) / max(int(index.max()), 1)
    return float(uniq[0]), float(spacing), index


def _read_xyz_grid(path: Path) -> tuple[float, float, float, float, np.ndarray]:
    import pandas as pd

    with open(path, encoding="utf-8", errors="replace") as fh:
        first = ""
        for line in fh:
            if line.strip() and not line.lstrip().startswith("#"):
                first = line.strip()
                break
    if not first:
        raise InputError(f"the surface file {str(path)!r} is empty")
    sep = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else r"\s+"
    tokens = [t for t in re.split(sep, first) if t != ""]
    try:
        [float(t) for t in tokens]
        header = None
    except ValueError:
        header = 0
    try:
        table = pd.read_csv(path, sep=sep, header=header, comment="#", skipinitialspace=True)
    except Exception as err:  # pandas' parser errors, named for the user
        raise InputError(f"cannot read the surface file {str(path)!r} ({err})") from None
    if table.shape[1] < 3:
        raise InputError(f"{str(path)!r} needs x, y and z columns; found {table.shape[1]} "
                         f"column(s)")
    columns = [str(c).strip().lower() for c in table.columns]
    pick = []
    for names in (_X_NAMES, _Y_NAMES, _Z_NAMES):
        found = [i for i, c in enumerate(columns) if c in names]
        pick.append(found[0] if found else None)
    if None in pick or len(set(pick)) < 3:
        pick = [0, 1, 2]
    try:
        xyz = table.iloc[:, pick].apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"{str(path)!r}: the x, y, z columns must be numeric ({err})") from None
    bad = ~np.isfinite(xyz[:, :2]).all(axis=1)
    if bad.any():
        raise InputError(f"{str(path)!r}: {int(bad.sum())} row(s) lack x or y (first: data row "
                         f"{int(np.flatnonzero(bad)[0]) + 1}); remove them")
    z = xyz[:, 2]
    huge = np.abs(z) >= 1e20
    if huge.any():
        warnings.warn(f"{str(path)!r}: {int(huge.sum()):,} elevation(s) of 1e20 or more read as "
                      f"no-data codes (NaN)", UserWarning, stacklevel=4)
        z = np.where(huge, np.nan, z)
    x0, dx, ix = _axis_lattice(xyz[:, 0], "x", path)
    y0, dy, iy = _axis_lattice(xyz[:, 1], "y", path)
    nx, ny = int(ix.max()) + 1, int(iy.max()) + 1
    if nx * ny > 50 * len(z) or nx * ny > 200_000_000:
        raise InputError(
            f"{str(path)!r}: {len(z):,} points would fill only {len(z) / (nx * ny):.1%} of a "
            f"{nx} x {ny} grid at spacing {dx:g} x {dy:g}: they look scattered. Interpolate them "
            f"onto a regular grid first, or give a triangulated surface")
    flat = ix + nx * iy
    uniq, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        node = int(uniq[np.flatnonzero(counts > 1)[0]])
        raise InputError(f"{str(path)!r}: the node ({x0 + dx * (node % nx):g}, "
                         f"{y0 + dy * (node // nx):g}) appears {int(counts.max())} times; each "
                         f"grid node must appear once")
    grid = np.full(nx * ny, np.nan)
    grid[flat] = z
    return x0, y0, dx, dy, grid.reshape(ny, nx)
