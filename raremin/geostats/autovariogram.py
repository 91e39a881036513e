"""
Automatic 3D variogram: the direction of greatest continuity and nested structures, in O(n).

:func:`auto_variogram` looks for the axes of geometric anisotropy of a variable
sampled in 3D (or 2D) without assuming that they are horizontal and vertical, and fits
a nugget plus one or two nested structures whose major axis points along the direction
of greatest continuity found. It returns a frozen :class:`AutoVariogram` holding the
model, the angles and ranges chosen (GSLIB conventions, as in
:func:`raremin.geostats.neighbourhood.anisotropy_matrix`), the experimental
variograms along the three axes, the down-hole variogram and the pair counts.

Cost is linear in the number of samples: the pairs are the neighbours of each sample
along its hole (or its nearest neighbours) plus the pairs within a few radii of seeded
random subsamples, never all pairs, and their total is capped (``max_pairs``). Lag
vectors are computed once and binned once into direction cells and lag classes; every
candidate direction then reads its directional variogram from that table, and the
model is fitted to the table itself.

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.autovariogram import auto_variogram
>>> rng = np.random.default_rng(0)
>>> xyz = rng.uniform(0.0, 1.0, (600, 3)) * [1000.0, 1000.0, 200.0]
>>> k = rng.standard_normal((200, 3)) * [0.004, 0.012, 0.024]  # wave numbers, rad/m
>>> z = np.cos(xyz @ k.T + rng.uniform(0.0, 6.3, 200)).sum(axis=1)  # most continuous E-W
>>> result = auto_variogram(xyz, z, shape="gaussian")
>>> bool(abs(result.axes[0][0]) > 0.9)  # the major axis runs east-west
True
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from .._validation import check_finite, check_weights
from ..errors import ConvergenceError, InputError
from .models import SHAPES, Structure, VariogramModel, _unit_gamma
from .neighbourhood import anisotropy_matrix
from .variogram import ExperimentalVariogram, plot_variogram

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["AutoVariogram", "auto_variogram"]

#: Experimental estimators: Matheron's semivariogram, or one minus the non-ergodic
#: correlogram scaled to the sill (robust to a proportional effect).
ESTIMATORS = ("matheron", "correlogram")

#: Fewest samples accepted.
MIN_SAMPLES = 10

#: Default cap on the number of sample pairs used (all kinds together).
DEFAULT_MAX_PAIRS = 1_000_000

#: Pairs allowed per sample below the cap: the budget is ``min(max_pairs,
#: PAIRS_PER_SAMPLE * n)``, so the cost stays linear in ``n`` for small data sets too.
PAIRS_PER_SAMPLE = 150

#: Neighbours along the hole paired with each sample (each side counted once).
DOWNHOLE_STEPS = 16

#: Nearest neighbours paired with each sample when no hole ids are given.
N_NEIGHBOURS = 8

#: Most scales (radii max_lag, max_lag / 2, ...) of the random subsamples of pairs.
N_SCALES = 4

#: Size of the direction cells (elevation x azimuth) in which lag vectors are binned.
CELL_DEG = 5.0

#: The joint fit reads cells this many times larger (in both angles) than the search.
FIT_CELLS = 3

#: The test for a second structure reads cells this many times larger than the search.
TEST_CELLS = 6

#: Number of candidate directions of the first (coarse) search over the hemisphere.
N_DIRECTIONS = 400

#: Directions tried about the best one of the coarse search.
N_REFINE = 60

#: Directions tried perpendicular to the major (minor) axis: the rake search.
N_RAKE = 36

#: Relative improvement of the weighted sum of squares needed to keep a second
#: nested structure.
NESTED_GAIN = 0.2

#: Two structures must differ by this factor in their range along one axis at least.
DISTINCT = 1.5

#: Smallest share of the structured sill (sill - nugget) a nested structure may carry.
MIN_SHARE = 0.15

#: Most evaluations of the model per parameter in the joint least-squares fit.
MAX_NFEV = 30

#: Refine the axes in the joint fit.
ROTATE = True

#: Relative tolerance on the parameters and the sum of squares of the joint fit.
FIT_TOL = 1e-5

#: Largest nugget, as a share of the sill.
MAX_NUGGET = 0.95

#: Largest rotation of the axes found by the search in the joint fit (radians).
MAX_TURN = math.radians(20.0)

_RANGE_GRID = 64
_TINY = 1e-12


# --------------------------------------------------------------------------- result
@dataclasses.dataclass(frozen=True, eq=False)
class AutoVariogram:
    """
    The result of :func:`auto_variogram`.

    Attributes
    ----------
    model : VariogramModel
        Nugget plus one or two nested structures sharing the angles; practical ranges.
    angles : tuple of float
        ``(azimuth, dip, rake)`` of the major axis, degrees, GSLIB conventions (dip
        negative downwards; :func:`~raremin.geostats.neighbourhood.anisotropy_matrix`).
        Units: degrees. In 2D ``(azimuth, 0, 0)``.
    ranges : tuple of float
        Practical ranges ``(major, semi_minor, minor)`` (2D: ``(major, minor)``) of
        the structure with the longest major range. Units: m.
    axes : numpy.ndarray
        Unit vectors (east, north, up) of the major, semi-minor and minor axes, one
        per row (2D: two rows of two).
    nugget : float
        Nugget effect. Units: the values' unit squared.
    sill : float
        Total sill: the (declustered) variance of the values.
    experimental : tuple of ExperimentalVariogram
        Directional variograms along the major, semi-minor and minor axes (2D: major
        and minor), cones of `angle_tolerance`, for plotting and checking.
    downhole : ExperimentalVariogram or None
        Variogram of the local pairs: along holes (direction ``"down-hole"``), or of
        nearest neighbours (``"nearest neighbours"``); None if there are none.
    n_pairs : int
        Number of sample pairs used (local pairs plus the pairs of the random
        subsamples), at most ``max_pairs``.
    n_pairs_local : int
        Of these, the down-hole (or nearest-neighbour) pairs.
    n_subsample : int
        Size of the largest random subsample whose pairs give the longer lags.
    n_coincident : int
        Pairs of samples at the same location, left out of the directional variograms.
    weighted_sse : tuple of float
        The nested-structure test: weighted sums of squares ``sum N (gamma -
        gamma_model)^2 / sill^2`` of the models with 1 and (if tried) 2 structures
        over the lag table read in 30-degree cells.
    angle_tolerance : float
        Half-angle of the direction cones. Units: degrees.
    estimator : str
        ``"matheron"`` or ``"correlogram"``.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.autovariogram import auto_variogram
    >>> rng = np.random.default_rng(0)
    >>> xyz = rng.uniform(0.0, 1.0, (600, 3)) * [1000.0, 1000.0, 200.0]
    >>> k = rng.standard_normal((200, 3)) * [0.004, 0.012, 0.024]  # wave numbers, rad/m
    >>> z = np.cos(xyz @ k.T + rng.uniform(0.0, 6.3, 200)).sum(axis=1)  # most continuous E-W
    >>> result = auto_variogram(xyz, z, shape="gaussian", max_structures=1)
    >>> len(result.model.structures), len(result.experimental), len(result.ranges)
    (1, 3, 3)
    """

    model: VariogramModel
    angles: tuple[float, float, float]
    ranges: tuple[float, ...]
    axes: np.ndarray
    nugget: float
    sill: float
    experimental: tuple[ExperimentalVariogram, ...]
    downhole: ExperimentalVariogram | None
    n_pairs: int
    n_pairs_local: int
    n_subsample: int
    n_coincident: int
    weighted_sse: tuple[float, ...]
    angle_tolerance: float
    estimator: str

    def __repr__(self) -> str:
        from .._display import auto_variogram_text

        return auto_variogram_text(self)

    def _repr_html_(self) -> str:
        from .._display import auto_variogram_html

        return auto_variogram_html(self)

    @property
    def n_structures(self) -> int:
        """Number of nested structures of the model."""
        return len(self.model.structures)

    @property
    def nugget_fraction(self) -> float:
        """Nugget as a share of the total sill (0-1)."""
        return self.nugget / self.sill

    def describe(self) -> str:
        """
        One line for a report: axis, ranges, nugget share and number of structures.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.autovariogram import auto_variogram
        >>> rng = np.random.default_rng(0)
        >>> xyz = rng.uniform(0.0, 1.0, (600, 3)) * [1000.0, 1000.0, 200.0]
        >>> k = rng.standard_normal((200, 3)) * [0.004, 0.012, 0.024]  # wave numbers, rad/m
        >>> z = np.cos(xyz @ k.T + rng.uniform(0.0, 6.3, 200)).sum(axis=1)  # most continuous E-W
        >>> text = auto_variogram(xyz, z, shape="gaussian").describe()
        >>> text.startswith("major axis azimuth"), text.endswith("1 structure")
        (True, True)
        """
        az, dip, _ = self.angles
        ranges = "/".join(f"{r:.0f}" for r in self.ranges)
        axis = f"major axis azimuth {az:.0f}°" + (f", dip {dip:.0f}°" if len(self.ranges) == 3
                                                   else "")
        k = self.n_structures
        return (f"{axis}; ranges {ranges} m; nugget {100.0 * self.nugget_fraction:.0f} % of "
                f"sill; {k} structure{'s' if k != 1 else ''}")

    def plot(self, ax: Any = None) -> Axes:
        """
        Draw the three axis variograms with the model (:func:`plot_variogram`).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from raremin.geostats.autovariogram import auto_variogram
        >>> rng = np.random.default_rng(0)
        >>> xyz = rng.uniform(0.0, 1.0, (600, 3)) * [1000.0, 1000.0, 200.0]
        >>> k = rng.standard_normal((200, 3)) * [0.004, 0.012, 0.024]  # wave numbers, rad/m
        >>> z = np.cos(xyz @ k.T + rng.uniform(0.0, 6.3, 200)).sum(axis=1)  # most continuous E-W
        >>> ax = auto_variogram(xyz, z, shape="gaussian").plot()
        >>> ax.get_ylabel()
        'Semivariogram'
        """
        names = ["major", "semi-minor", "minor"] if len(self.ranges) == 3 else ["major", "minor"]
        return plot_variogram(list(self.experimental), ax=ax, model=self.model, labels=names)


# --------------------------------------------------------------------------- checks
def _check_int(value: Any, name: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer; got {value!r}")
    whole = int(value)
    if whole < lo or (hi is not None and whole > hi):
        span = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise InputError(f"{name} must be {span}; got {value}")
    return whole


def _check_positive(value: Any, name: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number; got {value!r} ({hint})")
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be a finite number > 0; got {value!r} ({hint})")
    return v


def _hole_codes(holes: Any, n: int) -> np.ndarray:
    """Integer codes 0..k-1 of the hole ids (any hashable values), or raise."""
    import pandas as pd

    arr = np.asarray(holes, dtype=object) if not isinstance(holes, np.ndarray) else holes
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InputError(f"holes must give one hole id per sample ({n}); got shape {arr.shape}")
    codes, _ = pd.factorize(arr, use_na_sentinel=True)
    missing = codes < 0
    if missing.any():
        k = int(np.flatnonzero(missing)[0])
        raise InputError(
            f"holes has {int(missing.sum())} missing id(s) (first at position {k}); give "
            f"every sample a hole id, or holes=None"
        )
    return codes.astype(np.intp)


# --------------------------------------------------------------------------- pairs
def _hole_order(xyz: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sample indices sorted by hole, then along each hole's principal axis."""
    n_holes = int(codes.max()) + 1
    count = np.bincount(codes, minlength=n_holes).astype(float)
    sums = np.column_stack([np.bincount(codes, xyz[:, k], n_holes) for k in range(3)])
    centre = sums / count[:, None]
    r = xyz - centre[codes]
    scatter = np.empty((n_holes, 3, 3))
    for a in range(3):
        for b in range(a, 3):
            scatter[:, a, b] = scatter[:, b, a] = np.bincount(codes, r[:, a] * r[:, b], n_holes)
    _, vecs = np.linalg.eigh(scatter)
    along = np.einsum("ij,ij->i", r, vecs[codes, :, 2])
    return np.lexsort((along, codes))


def _downhole_pairs(xyz: np.ndarray, codes: np.ndarray,
                    steps: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Pairs of samples up to `steps` apart along the same hole; median first-step lag."""
    order = _hole_order(xyz, codes)
    first, second = [], []
    h_step = math.nan
    for s in range(1, min(steps, order.size - 1) + 1):  # a loop over steps, not samples
        a, b = order[:-s], order[s:]
        same = codes[a] == codes[b]
        first.append(a[same])
        second.append(b[same])
        if s == 1 and same.any():
            d = xyz[b[same]] - xyz[a[same]]
            h = np.sqrt(np.einsum("ij,ij->i", d, d))
            if np.any(h > 0):
                h_step = float(np.median(h[h > 0]))
    if not first:
        return np.empty(0, np.intp), np.empty(0, np.intp), h_step
    return np.concatenate(first), np.concatenate(second), h_step


def _neighbour_pairs(xyz: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Each sample with its `k` nearest neighbours, every pair once; median first lag."""
    n = xyz.shape[0]
    k = min(k, n - 1)
    dist, idx = cKDTree(xyz).query(xyz, k=k + 1)
    i = np.repeat(np.arange(n), k + 1)
    j = idx.ravel()
    keep = (j != i) & (j < n)
    i, j = i[keep], j[keep]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    key = np.unique(lo.astype(np.int64) * n + hi)
    positive = dist[:, 1:][dist[:, 1:] > 0]
    h_step = float(np.median(positive)) if positive.size else math.nan
    return (key // n).astype(np.intp), (key % n).astype(np.intp), h_step


def _subsample_pairs(xyz: np.ndarray, budget: int, max_lag: float, min_radius: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """
    Every pair within a radius of random subsamples, at a few scales, about `budget` pairs.

    Scale ``s`` takes the pairs within ``max_lag / 2**s`` of a subsample sized to give
    its share of the budget (down to `min_radius`, at most :data:`N_SCALES` scales).
    Returns the pairs, the size of the largest subsample and whether the pairs are
    all pairs of all samples within `max_lag` (no subsampling, no thinning).
    """
    n = xyz.shape[0]
    empty = np.empty(0, np.intp)
    if budget <= 0:
        return empty, empty, 0, False
    radii = [max_lag]
    while len(radii) < N_SCALES and radii[-1] / 2.0 >= min_radius:
        radii.append(radii[-1] / 2.0)
    # Share of all pairs within each radius, from a few thousand random pairs.
    t = 4096
    a, b = rng.integers(0, n, t), rng.integers(0, n, t)
    ok = a != b
    d = xyz[a[ok]] - xyz[b[ok]]
    h2 = np.einsum("ij,ij->i", d, d)
    first, second = [], []
    largest, complete = 0, False
    for k, radius in enumerate(radii):
        share = max(float(np.mean(h2 <= radius * radius)) if ok.any() else 1.0, 1.0 / t)
        part = budget // len(radii)
        m = min(n, int(math.sqrt(2.0 * part / share)) + 2)
        sub = np.arange(n) if m == n else np.sort(rng.choice(n, m, replace=False))
        pairs = cKDTree(xyz[sub]).query_pairs(radius, output_type="ndarray")
        if k == 0:
            complete = m == n
        if pairs.shape[0] > part:  # thin at random to the budget
            keep = np.flatnonzero(rng.random(pairs.shape[0]) < part / pairs.shape[0])[:part]
            pairs = pairs[keep]
            complete = False
        first.append(sub[pairs[:, 0]])
        second.append(sub[pairs[:, 1]])
        largest = max(largest, m)
        if m == n and k == 0 and complete:
            break  # every pair within max_lag is already there
    return np.concatenate(first), np.concatenate(second), largest, complete


# --------------------------------------------------------------------------- lag table
@dataclasses.dataclass
class _LagTable:
    """Pair sums by (direction cell, lag bin): count, weight, weighted squares, lag."""

    edges: np.ndarray  # (nb + 1,)
    centres: np.ndarray  # (n_cells, 3) unit vectors of the non-empty cells
    sums: np.ndarray  # (n_cells, nb, 4 or 6): count, sum w, sum w dz^2, sum h[, sum w
    # (zi + zj), sum w (zi^2 + zj^2)]
    vectors: np.ndarray  # (n_cells, nb, 3): sum of the (upper-hemisphere) lag vectors
    cells: np.ndarray  # (n_cells,) index of each non-empty cell in the full grid
    local: np.ndarray  # (nb, 4 or 6): the same sums over the local pairs only
    n_coincident: int
    n_used: int


def _lag_table(cols: list[np.ndarray], z: np.ndarray, w: np.ndarray | None, i: np.ndarray,
               j: np.ndarray, n_local: int, local_in_table: bool, edges: np.ndarray,
               correlogram: bool) -> _LagTable:
    """Bin every pair once by direction cell (elevation x azimuth) and lag class."""
    nb = edges.size - 1
    n_el = int(round(90.0 / CELL_DEG))
    n_az = int(round(360.0 / CELL_DEG))
    size = n_el * n_az * nb
    dx, dy, dz = (c[j] - c[i] for c in cols)
    down = dz < 0  # lags as axes: turned into the upper hemisphere
    for comp in (dx, dy, dz):
        np.negative(comp, out=comp, where=down)
    h = np.sqrt(dx * dx + dy * dy + dz * dz)
    k = np.searchsorted(edges, h, side="left") - 1  # (lo, hi]; h = 0 gives -1
    zi, zj = z[i], z[j]
    sq = zj - zi
    sq *= sq
    wij = None if w is None else w[i] * w[j]
    out = (k < 0) | (k >= nb)
    if wij is not None:
        out |= wij <= 0
    step = math.radians(CELL_DEG)
    el = np.arcsin(np.minimum(np.divide(dz, h, out=np.zeros_like(dz), where=h > 0), 1.0))
    el = np.minimum((el * (1.0 / step)).astype(np.intp), n_el - 1)
    az = np.arctan2(dx, dy)
    az = (az * (1.0 / step)).astype(np.intp) % n_az
    key = (el * n_az + az) * nb + k
    key[out] = size  # an overflow slot, dropped below

    # Per-pair quantities summed: count, w, w dz^2, h (and w (zi + zj), w (zi^2 + zj^2)).
    quantities: list[np.ndarray | None] = [None, wij, sq if wij is None else wij * sq, h]
    if correlogram:
        both = zi + zj
        squares = zi * zi + zj * zj
        quantities += [both if wij is None else wij * both,
                       squares if wij is None else wij * squares]

    def table_of(keys: np.ndarray, n_slots: int, part: slice) -> np.ndarray:
        cols_out = []
        for q in quantities:
            if q is None:
                c = np.bincount(keys, minlength=n_slots + 1)[:n_slots].astype(float)
            else:
                c = np.bincount(keys, q[part], n_slots + 1)[:n_slots]
            cols_out.append(c)
        if wij is None:
            cols_out[1] = cols_out[0]
        return np.stack(cols_out, axis=-1)

    # Local pairs alone (the down-hole or nearest-neighbour variogram).
    local = table_of(np.where(out[:n_local], nb, k[:n_local]), nb, slice(0, n_local))

    coincident = (h == 0) if wij is None else (h == 0) & (wij > 0)
    if not local_in_table:
        key[:n_local] = size
        coincident[:n_local] = False
    n_coincident = int(np.count_nonzero(coincident))
    full = table_of(key, size, slice(None)).reshape(n_el * n_az, nb, -1)
    used = np.flatnonzero(full[:, :, 0].sum(axis=1) > 0)
    sums = full[used]
    vectors = np.stack([np.bincount(key, c, size + 1)[:size] for c in (dx, dy, dz)],
                       axis=-1).reshape(n_el * n_az, nb, 3)[used]
    e = (used // n_az + 0.5) * step
    a = (used % n_az + 0.5) * step
    centres = np.column_stack([np.cos(e) * np.sin(a), np.cos(e) * np.cos(a), np.sin(e)])
    return _LagTable(edges, centres, sums, vectors, used, local, n_coincident,
                     int(sums[:, :, 0].sum()))


def _coarse(table: _LagTable, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums and lag-vector sums over cells `factor` times larger in both angles."""
    n_az = int(round(360.0 / CELL_DEG))
    el, az = table.cells // n_az, table.cells % n_az
    coarse = (el // factor) * (n_az // factor + 1) + az // factor
    _, inverse = np.unique(coarse, return_inverse=True)
    k = int(inverse.max()) + 1
    sums = np.zeros((k,) + table.sums.shape[1:])
    vectors = np.zeros((k,) + table.vectors.shape[1:])
    np.add.at(sums, inverse, table.sums)
    np.add.at(vectors, inverse, table.vectors)
    return sums, vectors


def _directional(table: _LagTable, dirs: np.ndarray, tol_deg: float,
                 sill: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pair counts, mean lags and semivariances of cones about `dirs` (rows, unit)."""
    from scipy import sparse

    cosine = np.abs(np.einsum("ik,jk->ij", dirs, table.centres))
    member = sparse.csr_matrix(cosine >= math.cos(math.radians(tol_deg)) - 1e-12, dtype=float)
    nc, nb, _ = table.sums.shape
    nq = table.sums.shape[-1]
    agg = np.asarray(member @ table.sums.reshape(nc, nb * nq)).reshape(-1, nb, nq)
    return _moments(agg, sill)


def _moments(agg: np.ndarray,
             sill: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pair counts, mean lags, semivariances (or scaled 1 - correlogram) from sums."""
    count, sw, swsq, sh = agg[..., 0], agg[..., 1], agg[..., 2], agg[..., 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        lag = np.where(count > 0, sh / count, np.nan)
        gamma = np.where(sw > 0, swsq / (2.0 * sw), np.nan)
        if agg.shape[-1] == 6:  # non-ergodic correlogram: gamma / variance of the pairs
            mean = agg[..., 4] / (2.0 * sw)
            var = agg[..., 5] / (2.0 * sw) - mean * mean
            gamma = np.where(var > _TINY * sill, sill * gamma / var, np.nan)
    n = np.where(np.isfinite(gamma), count, 0.0)
    return n, lag, gamma, sw


# --------------------------------------------------------------------------- fits
def _range_scan(n: np.ndarray, lag: np.ndarray, gamma: np.ndarray, nugget: float, sill: float,
                shape: str, grid: np.ndarray) -> np.ndarray:
    """Best range of each row (direction) with nugget and sill fixed: a grid scan."""
    lag0 = np.where(n > 0, lag, 0.0)
    g0 = np.where(n > 0, gamma, 0.0)
    model = nugget + (sill - nugget) * _unit_gamma(
        shape, lag0[:, None, :] / grid[None, :, None])
    sse = np.sum(n[:, None, :] * (g0[:, None, :] - model) ** 2, axis=-1)
    low = sse.min(axis=1, keepdims=True)
    # The longest range of a flat minimum: where every lag is beyond the range all
    # short ranges fit alike, and only "shorter than the shortest lag" is known.
    flat = sse <= low * (1.0 + 1e-9) + 1e-300
    best = grid.size - 1 - np.argmax(flat[:, ::-1], axis=1)
    # Parabolic refinement on log(range) between the grid neighbours.
    lg = np.log(grid)
    inner = (best > 0) & (best < grid.size - 1) & (flat.sum(axis=1) == 1)
    b = np.clip(best, 1, grid.size - 2)
    rows = np.arange(sse.shape[0])
    s0, s1, s2 = sse[rows, b - 1], sse[rows, b], sse[rows, b + 1]
    denom = s0 - 2.0 * s1 + s2
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(inner & (denom > 0), 0.5 * (s0 - s2) / denom, 0.0)
    step = lg[1] - lg[0]
    out = np.exp(lg[best] + np.clip(shift, -0.5, 0.5) * step)
    out[n.sum(axis=1) == 0] = np.nan
    return out


def _nugget_fit(n: np.ndarray, lag: np.ndarray, gamma: np.ndarray, sill: float, shape: str,
                grid: np.ndarray) -> tuple[float, float]:
    """Nugget and range of ``c0 + (sill - c0) g(h / a)`` (a scanned, c0 linear)."""
    use = n > 0
    if not use.any():
        return 0.0, math.nan
    h, g, w = lag[use], gamma[use], n[use]
    unit = _unit_gamma(shape, h[None, :] / grid[:, None])  # (n_grid, n_bins)
    one = 1.0 - unit
    num = np.sum(w * one * (g - sill * unit), axis=1)
    den = np.sum(w * one * one, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c0 = np.clip(np.where(den > 0, num / den, 0.0), 0.0, sill)
    sse = np.sum(w * (g - c0[:, None] - (sill - c0[:, None]) * unit) ** 2, axis=1)
    best = int(np.argmin(sse))
    return float(c0[best]), float(grid[best])


# --------------------------------------------------------------------------- directions
def _hemisphere(n: int) -> np.ndarray:
    """`n` near-uniform unit vectors over the upper hemisphere (a Fibonacci lattice)."""
    k = np.arange(n, dtype=float)
    up = (k + 0.5) / n
    r = np.sqrt(1.0 - up * up)
    phi = k * math.pi * (3.0 - math.sqrt(5.0))
    return np.column_stack([r * np.sin(phi), r * np.cos(phi), up])


def _basis(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to `axis` and to each other."""
    helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(axis, e1)


def _cap(centre: np.ndarray, radius_rad: float, n: int) -> np.ndarray:
    """The centre and `n` Fibonacci directions within `radius_rad` of it."""
    k = np.arange(n, dtype=float)
    up = 1.0 - (k + 0.5) / n * (1.0 - math.cos(radius_rad))
    r = np.sqrt(np.maximum(1.0 - up * up, 0.0))
    phi = k * math.pi * (3.0 - math.sqrt(5.0))
    e1, e2 = _basis(centre)
    pts = (r * np.cos(phi))[:, None] * e1 + (r * np.sin(phi))[:, None] * e2 + up[:, None] * centre
    return np.vstack([centre, pts])


def _ring(axis: np.ndarray, n: int) -> np.ndarray:
    """`n` directions perpendicular to `axis`, evenly spread over 180 degrees."""
    e1, e2 = _basis(axis)
    t = np.arange(n) * math.pi / n
    return np.cos(t)[:, None] * e1 + np.sin(t)[:, None] * e2


def _horizontal(azimuth_deg: np.ndarray) -> np.ndarray:
    a = np.radians(azimuth_deg)
    return np.column_stack([np.sin(a), np.cos(a), np.zeros_like(a)])


def _axis_angles(vector: np.ndarray) -> tuple[float, float]:
    """(azimuth, dip) of an axis, dip <= 0 (downwards), azimuth in [0, 360)."""
    v = vector / np.linalg.norm(vector)
    if v[2] > 0 or (v[2] == 0 and (v[0] < 0 or (v[0] == 0 and v[1] < 0))):
        v = -v
    dip = math.degrees(math.asin(max(-1.0, min(1.0, v[2]))))
    az = math.degrees(math.atan2(v[0], v[1])) % 360.0 if abs(v[2]) < 1.0 else 0.0
    return az, dip


def _frame_angles(major: np.ndarray, semi: np.ndarray) -> tuple[float, float, float]:
    """GSLIB (azimuth, dip, rake) whose rotation has rows along `major` and `semi`."""
    az, dip = _axis_angles(major)
    a, b = math.radians(90.0 - az), math.radians(-dip)
    e0 = np.array([-math.sin(a), math.cos(a), 0.0])
    e90 = np.array([math.sin(b) * math.cos(a), math.sin(b) * math.sin(a), math.cos(b)])
    rake = math.degrees(math.atan2(float(semi @ e90), float(semi @ e0)))
    if rake <= -90.0:
        rake += 180.0
    elif rake > 90.0:
        rake -= 180.0
    rot = anisotropy_matrix((1.0, 1.0, 1.0), (az, dip, rake))
    if abs(float(rot[0] @ major)) < 1.0 - 1e-9 or abs(float(rot[1] @ semi)) < 1.0 - 1e-9:
        raise ConvergenceError(  # pragma: no cover - a bug, not a data problem
            f"angles {(az, dip, rake)} do not reproduce the axes found ({major}, {semi})"
        )
    return az, dip, rake


def _best(dirs: np.ndarray, ranges: np.ndarray, longest: bool = True) -> np.ndarray:
    """
    The direction of the longest (or shortest) range.

    Directions whose cones hold the same pairs tie; the axial mean of the tied ones
    (principal eigenvector of ``sum d d^T``) is returned.
    """
    r = np.where(np.isfinite(ranges), ranges, -np.inf if longest else np.inf)
    if longest:
        top = r >= np.max(r) * (1.0 - 1e-6)
    else:
        top = r <= np.min(r) * (1.0 + 1e-6)
    tied = dirs[top]
    if tied.shape[0] == 1:
        return tied[0]
    _, vecs = np.linalg.eigh(tied.T @ tied)
    out = vecs[:, -1]
    return out / np.linalg.norm(out)


# --------------------------------------------------------------------------- joint fit
def _rotation(omega: np.ndarray) -> np.ndarray:
    """Rotation matrix of the rotation vector `omega` (radians; Rodrigues' formula)."""
    theta = float(np.linalg.norm(omega))
    if theta < 1e-15:
        return np.eye(3)
    k = omega / theta
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + math.sin(theta) * cross + (1.0 - math.cos(theta)) * (cross @ cross)


def _unit_slope(shape: str, h: np.ndarray) -> np.ndarray:
    """Derivative of :func:`raremin.geostats.models._unit_gamma` in ``h``."""
    if shape == "spherical":
        return np.where(h < 1.0, 1.5 - 1.5 * h * h, 0.0)
    if shape == "exponential":
        return 3.0 * np.exp(-3.0 * h)
    if shape == "gaussian":
        return 6.0 * h * np.exp(-3.0 * h * h)
    if shape == "cubic":
        hc = np.minimum(h, 1.0)
        h2 = hc * hc
        return np.where(h < 1.0, hc * (14.0 - hc * (26.25 - h2 * (17.5 - 5.25 * h2))), 0.0)
    raise InputError(f"no slope for the shape {shape!r}")  # pragma: no cover


def _sigmoid(y: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * y))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


@dataclasses.dataclass
class _Fit:
    """A joint fit: ranges (n_struct, n_axes), sill shares, nugget, axes (rows), sum of squares."""

    ranges: np.ndarray
    shares: np.ndarray
    nugget: float
    axes: np.ndarray
    sse: float
    lo: np.ndarray  # lower bounds of the ranges along the axes


def _model_sse(fit: _Fit, vec: np.ndarray, gamma: np.ndarray, n: np.ndarray, sill: float,
               shape: str) -> float:
    """The criterion ``sum N (gamma - model)^2 / sill^2`` of a fit on other data."""
    nax = fit.ranges.shape[1]
    u2 = ((vec @ fit.axes.T) ** 2)[:, :nax]
    out = np.full(gamma.shape, fit.nugget)
    for s in range(fit.ranges.shape[0]):
        h = np.sqrt(u2 @ (1.0 / fit.ranges[s] ** 2))
        out = out + (sill - fit.nugget) * fit.shares[s] * _unit_gamma(shape, h)
    return float(np.sum(n * (gamma - out) ** 2) / sill**2)


def _joint_fit(vec: np.ndarray, gamma: np.ndarray, n: np.ndarray, axes: np.ndarray,
               nax: int, nugget: float, sill: float, shape: str, starts: list[np.ndarray],
               n_struct: int, lo: np.ndarray, hi: float, rotate: bool,
               fit_nugget: bool) -> _Fit:
    """
    Ranges, sill shares, optionally the nugget and a small rotation of the axes, jointly.

    `vec` holds the mean lag vector of every (cell, class), `axes` the unit axes (rows).
    Parameters: log ranges (`nax` per structure); with two structures the logit of the
    first one's share of the structured sill; with `fit_nugget` the logit of
    ``nugget / (MAX_NUGGET * sill)``; with `rotate` the rotation vector (3D) or the
    angle about the vertical (2D), each component ``MAX_TURN * tanh(.)``. The ranges
    and shares are fitted first with the axes fixed, from every start, then everything
    from the best of those. The criterion is ``sum N (gamma - model)^2``.
    """
    from scipy.optimize import least_squares  # slow to load: on use
    weight = np.sqrt(n) / sill
    n_r = n_struct * nax
    i_share = n_r if n_struct == 2 else None
    i_nug = n_r + (n_struct == 2) if fit_nugget else None
    n_rot = (3 if nax == 3 else 1) if rotate else 0
    llo = np.tile(np.log(np.broadcast_to(lo, (nax,))), n_struct)
    lhi = math.log(hi)

    def rotated(x: np.ndarray) -> np.ndarray:
        if not n_rot:
            return axes
        turn = MAX_TURN * np.tanh(x[x.size - n_rot:])  # bounded, smooth
        om = turn if nax == 3 else np.array([0.0, 0.0, turn[0]])
        return axes @ _rotation(om).T

    u2_fixed = ((vec @ axes.T) ** 2)[:, :nax]

    def parts(x: np.ndarray) -> tuple[float, float]:
        # i_nug is None without a fitted nugget, i_share with one structure.
        c0 = MAX_NUGGET * sill * _sigmoid(x[i_nug]) if i_nug is not None else nugget
        share = _sigmoid(x[i_share]) if i_share is not None else 1.0
        return c0, share

    def fun(x: np.ndarray) -> np.ndarray:
        u2 = u2_fixed if x.size == n_free else ((vec @ rotated(x).T) ** 2)[:, :nax]
        c0, share = parts(x)
        out = np.full(gamma.shape, c0)
        for s in range(n_struct):
            inv = np.exp(-2.0 * np.clip(x[s * nax:(s + 1) * nax], llo[s * nax:(s + 1) * nax],
                                        lhi))
            part = share if s == 0 else 1.0 - share
            out = out + (sill - c0) * part * _unit_gamma(shape, np.sqrt(u2 @ inv))
        return weight * (gamma - out)

    def jac(x: np.ndarray) -> np.ndarray:  # analytic, axes fixed
        c0, share = parts(x)
        out = np.zeros((gamma.size, x.size))
        g_sum = np.zeros(gamma.shape)
        g_each = []
        for s in range(n_struct):
            cols = slice(s * nax, (s + 1) * nax)
            xs = x[cols]
            inside = (xs > llo[cols]) & (xs < lhi)
            inv = np.exp(-2.0 * np.clip(xs, llo[cols], lhi))
            h = np.sqrt(u2_fixed @ inv)
            g = _unit_gamma(shape, h)
            g_each.append(g)
            part = share if s == 0 else 1.0 - share
            g_sum += part * g
            with np.errstate(invalid="ignore", divide="ignore"):
                dh = np.where(h[:, None] > 0, -u2_fixed * inv / h[:, None], 0.0)
            out[:, cols] = ((sill - c0) * part * _unit_slope(shape, h))[:, None] * dh * inside
        if n_struct == 2:
            out[:, i_share] = (sill - c0) * share * (1.0 - share) * (g_each[0] - g_each[1])
        if fit_nugget:
            sig = c0 / (MAX_NUGGET * sill)
            out[:, i_nug] = MAX_NUGGET * sill * sig * (1.0 - sig) * (1.0 - g_sum)
        return -weight[:, None] * out

    n_free = n_r + (n_struct == 2) + int(fit_nugget)
    if gamma.size < n_free:
        raise InputError(
            f"only {gamma.size} (direction, lag) classes hold pairs: too few to fit "
            f"{n_free} parameters; use more samples or a larger max_pairs"
        )
    if gamma.size < n_free + n_rot:
        n_rot = 0
    best = None
    for x0 in starts:  # ranges, share and nugget with the axes fixed, from every start
        x0 = np.asarray(x0, dtype=float)
        head = [np.clip(x0[:n_r], llo, lhi)]
        if n_struct == 2:
            head.append([_logit(float(x0[n_r]))])
        if fit_nugget:
            head.append([_logit(nugget / (MAX_NUGGET * sill))])
        y0 = np.concatenate(head)
        res = least_squares(fun, y0, jac=jac, method="lm", xtol=FIT_TOL, ftol=FIT_TOL,
                            max_nfev=MAX_NFEV * (y0.size + 1))
        if best is None or res.cost < best.cost:
            best = res
    if best is None:  # pragma: no cover - the callers give three starts or more
        raise ConvergenceError("the variogram fit had no start point")
    x = best.x
    if n_rot:  # then everything, axes included, from the best of them
        res = least_squares(fun, np.concatenate([x, np.zeros(n_rot)]), method="lm",
                            xtol=FIT_TOL, ftol=FIT_TOL, max_nfev=MAX_NFEV * (x.size + n_rot))
        if res.cost < best.cost:
            best, x = res, res.x
        else:
            x = np.concatenate([x, np.zeros(n_rot)])
    c0, share = parts(x)
    return _Fit(ranges=np.exp(np.clip(x[:n_r], llo, lhi)).reshape(n_struct, nax),
                shares=np.array([share, 1.0 - share]) if n_struct == 2 else np.ones(1),
                nugget=float(c0), axes=rotated(x), sse=float(2.0 * best.cost),
                lo=np.exp(llo[:nax]))
    return best.x, float(2.0 * best.cost)


# --------------------------------------------------------------------------- main
def auto_variogram(
    coords: ArrayLike,
    values: Any,
    *,
    holes: Any = None,
    weights: ArrayLike | None = None,
    shape: str = "spherical",
    max_structures: int = 2,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    max_lag: float | None = None,
    n_lags: int = 20,
    angle_tolerance: float = 22.5,
    estimator: str = "matheron",
    seed: int | np.random.Generator | None = 0,
) -> AutoVariogram:
    """
    Find the axes of greatest continuity and fit a nested anisotropic variogram, in O(n).

    Parameters
    ----------
    coords : array_like, shape (n, 3) or (n, 2)
        Sample coordinates: easting, northing[, elevation]. Units: m.
    values : array_like, shape (n,)
        The variable (a grade or a transform of it). No NaN.
    holes : array_like, shape (n,), optional
        Hole id of every sample (any hashable labels). Pairs along the same hole give
        the down-hole variogram, hence the nugget and the short-scale structure;
        without hole ids (or with one sample per hole) the nearest neighbours of each
        sample play that part.
    weights : array_like, shape (n,), optional
        Declustering weights (>= 0): pair weights ``w_i w_j`` and a weighted variance.
    shape : {"spherical", "exponential", "gaussian", "cubic"}, default "spherical"
        Shape of every structure (a bounded one).
    max_structures : {1, 2}, default 2
        Most nested structures; a second one is kept only where the data support it
        (see Notes).
    max_pairs : int, default 1,000,000
        Cap on the number of sample pairs used, all kinds together (>= 1000). Below
        the cap the budget is ``150 n`` pairs.
    max_lag : float, optional
        Largest lag. Units: m. Default: half the diagonal of the samples' bounding box.
    n_lags : int, default 20
        Number of lag classes (geometric widths from the sample spacing to `max_lag`).
    angle_tolerance : float, default 22.5
        Half-angle of the direction cones. Units: degrees, in [5, 45].
    estimator : {"matheron", "correlogram"}, default "matheron"
        ``"matheron"``: the classical semivariogram. ``"correlogram"``: one minus the
        non-ergodic correlogram, times the sill; it divides each lag class by the
        variance of the values of its own pairs, which removes a proportional effect
        (skewed grades whose spread follows their mean, e.g. raw copper or gold).
    seed : int, numpy.random.Generator or None, default 0
        Seed of the random subsamples of pairs (fixed by default, so runs repeat).

    Returns
    -------
    AutoVariogram
        The model, the angles and ranges chosen, the axis variograms and pair counts;
        ``describe()`` gives one line for a report.

    Raises
    ------
    InputError
        Coordinates not (n, 2) or (n, 3); NaN or infinite values; fewer than 10
        samples; constant values; all samples at one place, on one line or (3D) on one
        plane (pass the two in-plane coordinates instead); an unbounded or unknown
        shape; bad weights, hole ids or parameters.

    Warns
    -----
    UserWarning
        A range of the model more than twice `max_lag` (the variogram does not reach
        its sill along that axis), or a nugget at its cap (95 % of the sill).

    Notes
    -----
    **Pairs** (linear cost). With hole ids each sample is paired with the next 16
    samples along its hole (ordered along each hole's principal axis); without them,
    with its 8 nearest neighbours (KD-tree). The rest of the budget
    ``min(max_pairs, 150 n)`` goes to random subsamples at up to four scales: scale
    ``s`` takes every pair within ``max_lag / 2**s`` (down to 8 sample spacings) of a
    seeded random subsample sized, from the share of random pairs within that radius,
    to give its part of the budget (thinned at random if over). All pairs within a
    radius of a random subsample are an unbiased sample of the lag vectors within it;
    the smaller scales put more pairs at short and middle lags, where the ranges are
    read. The cost is O(n log n) for the neighbour search and O(budget) for the rest.

    **Lag table.** Every lag vector, taken as an axis (turned into the upper
    hemisphere), is binned once into a direction cell (5 degrees of elevation by 5 of
    azimuth) and a lag class (the first ``(0, 1.5 s]``, ``s`` the median distance
    between neighbouring samples, then geometric widths to `max_lag`). Each (cell,
    class) holds the pair count and the sums of ``w_i w_j``, ``w_i w_j (z_i -
    z_j)^2``, the lag lengths and the lag vectors (``numpy.bincount``). The variogram
    of a cone of half-angle `angle_tolerance` about any direction is a sum over the
    cells whose centre lies in the cone (one sparse matrix product for all candidate
    directions), ``gamma = sum w (z_i - z_j)^2 / (2 sum w)`` (Matheron, 1963). The
    correlogram divides it by the variance of the pair values of the class,
    ``sum w (z_i^2 + z_j^2) / (2 sum w) - m^2`` with ``m = sum w (z_i + z_j) / (2 sum
    w)``, and multiplies by the sill (Isaaks and Srivastava, 1989, ch. 7; Srivastava
    and Parker, 1989).

    **Nugget and sill.** The sill is the (weighted) variance of the values. The
    nugget comes from the down-hole (or nearest-neighbour) variogram: ``c0 + (sill -
    c0) g(h / a)`` fitted by least squares weighted by pair counts, ``a`` scanned on a
    log grid and ``c0`` solved linearly.

    **Direction search.** In each of 400 Fibonacci directions over the upper
    hemisphere the range ``a`` of ``c0 + (sill - c0) g(h / a)`` is fitted to the cone
    variogram (grid scan, refined by a parabola; where every lag is beyond the range,
    the longest range that fits is taken). The major axis is the direction of the
    longest range, refined among 60 directions within 1.5 grid spacings of it (tied
    directions, whose cones hold the same pairs, give their mean axis); the
    semi-minor axis is the longest range among 36 directions perpendicular to it (a
    5 degree search of the rake), the minor axis completes the frame. A second frame
    starts from the direction of *least* continuity as the minor axis; it is tried
    too when it differs by more than 20 degrees on any axis (it rescues sparse
    drilling, where directions without short lags look continuous). 2D: the azimuth
    every 2 degrees, then every 0.25 degree about the best.

    **Ranges and angles.** In each frame the three ranges are fitted jointly to every
    (cell, class) of the lag table, read in 15-degree cells, at its mean lag vector,
    by least squares weighted by the pair counts, ``sum N (gamma - gamma_model)^2``
    (Levenberg-Marquardt, analytic Jacobian), from three starts. A range may not fall
    below half the shortest lag seen along its axis. The frame with the smaller sum
    wins; its axes are then refined with the ranges (a rotation of at most 20
    degrees). Axes are relabelled so that the ranges decrease. Angles follow GSLIB
    (Deutsch and Journel, 1998): azimuth of the major axis clockwise from north, dip
    negative downwards (the major axis is taken pointing down), rake of the
    semi-minor axis about it; they are checked against
    :func:`~raremin.geostats.neighbourhood.anisotropy_matrix`.

    **Nested structures.** Two structures sharing the axes (ranges, share of the
    structured sill and nugget free) are fitted from the one-structure model. They
    are kept when, on the lag table read in 30-degree cells (fewer, less noisy
    points, so that a misfit stands out from sampling noise), they lower the weighted
    sum of squares by more than 20 %, each carries at least 15 % of the structured
    sill, they differ by a factor of 1.5 in the range along some axis, and no range
    exceeds twice `max_lag`. Structures are listed shortest first.

    References
    ----------
    Matheron, G. (1963). Principles of geostatistics. *Economic Geology* 58(8),
    1246-1266.

    Isaaks, E.H. and Srivastava, R.M. (1989). *An Introduction to Applied
    Geostatistics*. Oxford University Press, New York.

    Srivastava, R.M. and Parker, H.M. (1989). Robust measures of spatial continuity.
    In Armstrong, M. (ed.), *Geostatistics*, vol. 1, 295-308. Kluwer, Dordrecht.

    Deutsch, C.V. and Journel, A.G. (1998). *GSLIB: Geostatistical Software Library
    and User's Guide*, 2nd edition. Oxford University Press, New York.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.autovariogram import auto_variogram
    >>> rng = np.random.default_rng(0)
    >>> xyz = rng.uniform(0.0, 1.0, (800, 3)) * [1000.0, 1000.0, 300.0]
    >>> z = np.sin(xyz[:, 2] / 25.0) + 0.2 * rng.standard_normal(800)  # layered
    >>> result = auto_variogram(xyz, z, max_structures=1)
    >>> bool(abs(result.axes[2][2]) > 0.9)  # the minor axis is vertical
    True
    >>> result.model.structures[0].angles == result.angles
    True
    """
    xyz = check_finite(coords, "coords")
    if xyz.ndim != 2 or xyz.shape[1] not in (2, 3):
        raise InputError(
            f"coords must have shape (n, 3) (easting, northing, elevation in metres) or "
            f"(n, 2); got shape {xyz.shape}"
        )
    n, ndim = xyz.shape
    z = check_finite(values, "values")
    if z.ndim != 1 or z.size != n:
        raise InputError(f"values must be 1-D with one value per sample ({n}); got shape "
                         f"{z.shape}")
    if n < MIN_SAMPLES:
        raise InputError(
            f"an automatic variogram needs at least {MIN_SAMPLES} samples; got {n}"
        )
    w = None if weights is None else check_weights(weights, n, "weights")
    codes = None if holes is None else _hole_codes(holes, n)
    if not isinstance(shape, str) or shape not in SHAPES or shape == "linear":
        raise InputError(
            f"shape must be a bounded variogram shape, one of "
            f"{tuple(s for s in SHAPES if s != 'linear')}; got {shape!r}"
        )
    max_structures = _check_int(max_structures, "max_structures", 1, 2)
    max_pairs = _check_int(max_pairs, "max_pairs", 1000)
    n_lags = _check_int(n_lags, "n_lags", 4, 200)
    tol = _check_positive(angle_tolerance, "angle_tolerance", "degrees, between 5 and 45")
    if not 5.0 <= tol <= 45.0:
        raise InputError(f"angle_tolerance must be between 5 and 45 degrees; got {tol:g}")
    if estimator not in ESTIMATORS:
        raise InputError(f"estimator must be one of {ESTIMATORS}; got {estimator!r}")
    if not (seed is None or isinstance(seed, (numbers.Integral, np.random.Generator))) or \
            isinstance(seed, bool):
        raise InputError(f"seed must be an integer, a numpy Generator or None; got {seed!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    if w is None:
        sill = float(np.var(z))
    else:
        mean = float(np.sum(w * z) / np.sum(w))
        sill = float(np.sum(w * (z - mean) ** 2) / np.sum(w))
    if not sill > _TINY * max(1.0, float(np.max(np.abs(z)))) ** 2:
        raise InputError(
            f"values are constant ({z[0]:g} everywhere, or on every sample with a weight): "
            f"a variogram has nothing to measure"
        )
    _check_spread(xyz)
    extent = np.ptp(xyz, axis=0)
    if max_lag is None:
        max_lag = 0.5 * float(np.sqrt(np.sum(extent * extent)))
    else:
        max_lag = _check_positive(max_lag, "max_lag", "the largest lag distance in metres")
    xyz3 = xyz if ndim == 3 else np.column_stack([xyz, np.zeros(n)])

    # Pairs, lag classes and the lag table.
    pairs = _pairs(xyz3, codes, min(max_pairs, PAIRS_PER_SAMPLE * n), max_lag, n_lags, rng)
    first = 1.5 * pairs.h_step
    if first < max_lag / 4.0:
        edges = np.concatenate([[0.0], np.geomspace(first, max_lag, n_lags)])
    else:
        edges = np.linspace(0.0, max_lag, n_lags + 1)
    cols = [np.ascontiguousarray(xyz3[:, c]) for c in range(3)]
    table = _lag_table(cols, z, w, pairs.i, pairs.j, pairs.n_local, not pairs.complete, edges,
                       estimator == "correlogram")
    if table.n_used == 0:
        raise InputError(
            f"no pair of samples is within max_lag = {max_lag:g} m: use a larger max_lag"
        )

    # Nugget (and the short range) from the down-hole or nearest-neighbour variogram.
    ln, llag, lgam, _ = _moments(table.local, sill)
    grid = np.geomspace(edges[1] / 4.0, 10.0 * max_lag, _RANGE_GRID)
    nugget, local_range = _nugget_fit(ln, llag, lgam, sill, shape, grid)
    nugget = min(nugget, MAX_NUGGET * sill)

    def scan(dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cn, clag, cgam, _ = _directional(table, dirs, tol, sill)
        return _range_scan(cn, clag, cgam, nugget, sill, shape, grid), cn

    frames = _frames(scan, ndim)
    fit, sses = _fit(table, frames, scan, ndim, nugget, sill, shape, edges, max_lag,
                     local_range, max_structures)
    model, angles, ranges, axes = _model_of(fit, ndim, sill, shape)

    # Outputs: the axis variograms and the down-hole one.
    axes3 = axes if ndim == 3 else np.column_stack([axes, np.zeros(2)])
    cn, clag, cgam, _ = _directional(table, axes3, tol, sill)
    names = ["major", "semi-minor", "minor"] if ndim == 3 else ["major", "minor"]
    experimental = []
    for k, name in enumerate(names):
        az_k, dip_k = _axis_angles(axes3[k])
        if ndim == 2:
            az_k, dip_k = az_k % 180.0, 0.0
        where = f"azimuth {az_k:.0f}°" + (f", dip {dip_k:.0f}°" if ndim == 3 else "")
        experimental.append(ExperimentalVariogram(
            clag[k], np.where(cn[k] > 0, cgam[k], np.nan), cn[k], edges,
            direction=f"{name} axis ({where} ± {tol:g}°)", azimuth=az_k, dip=dip_k,
            angle_tolerance=tol, ndim=ndim, variance=sill))
    downhole = None
    if ln.sum() > 0:
        downhole = ExperimentalVariogram(
            llag, np.where(ln > 0, lgam, np.nan), ln, edges, direction=pairs.kind,
            ndim=ndim, variance=sill)
    _warn(model, ranges, names, max_lag, fit.nugget, sill)
    axes.setflags(write=False)
    return AutoVariogram(
        model=model, angles=angles, ranges=ranges, axes=axes, nugget=model.nugget, sill=sill,
        experimental=tuple(experimental), downhole=downhole, n_pairs=pairs.i.size,
        n_pairs_local=pairs.n_local, n_subsample=pairs.n_subsample,
        n_coincident=table.n_coincident, weighted_sse=sses, angle_tolerance=tol,
        estimator=estimator,
    )


def _check_spread(xyz: np.ndarray) -> None:
    """Raise when the samples are all at one place, on one line, or (3D) on one plane."""
    centred = xyz - xyz.mean(axis=0)
    spread = np.maximum(np.linalg.eigvalsh(centred.T @ centred)[::-1], 0.0)  # variances
    if spread[0] == 0:
        raise InputError("all samples are at the same location: there is no lag to measure")
    if spread[1] <= 1e-12 * spread[0]:
        raise InputError(
            "all samples lie on one line: no anisotropy can be found off it; use "
            "experimental_variogram and fit_variogram along the line (1-D lags)"
        )
    if xyz.shape[1] == 3 and spread[2] <= 1e-12 * spread[0]:
        raise InputError(
            "all samples lie on one plane: the range across it cannot be measured; pass "
            "the two in-plane coordinates (e.g. coords[:, :2] for one level) for a 2-D "
            "variogram"
        )


@dataclasses.dataclass
class _Pairs:
    i: np.ndarray
    j: np.ndarray
    n_local: int  # the first n_local pairs are the local (down-hole or neighbour) ones
    complete: bool  # the subsample pairs are all pairs within max_lag
    n_subsample: int
    h_step: float  # median distance between neighbouring samples
    kind: str  # "down-hole" or "nearest neighbours"


def _pairs(xyz: np.ndarray, codes: np.ndarray | None, budget: int, max_lag: float,
           n_lags: int, rng: np.random.Generator) -> _Pairs:
    """Local pairs (along holes, else nearest neighbours) then random-subsample pairs."""
    n = xyz.shape[0]
    li = lj = np.empty(0, np.intp)
    h_step = math.nan
    kind = "down-hole"
    if codes is not None:
        steps = max(1, min(DOWNHOLE_STEPS, budget // (2 * n)))
        li, lj, h_step = _downhole_pairs(xyz, codes, steps)
    if li.size == 0:  # no hole ids, or one sample per hole
        k = max(1, min(N_NEIGHBOURS, budget // (2 * n)))
        li, lj, h_step = _neighbour_pairs(xyz, k)
        kind = "nearest neighbours"
    if li.size > budget // 2:  # at most half the budget for the local pairs
        keep = np.sort(rng.choice(li.size, budget // 2, replace=False))
        li, lj = li[keep], lj[keep]
    if not math.isfinite(h_step) or h_step <= 0:
        h_step = max_lag / n_lags
    si, sj, n_sub, complete = _subsample_pairs(xyz, budget - li.size, max_lag, 8.0 * h_step,
                                               rng)
    return _Pairs(np.concatenate([li, si]), np.concatenate([lj, sj]), int(li.size), complete,
                  int(n_sub), h_step, kind)


def _frames(scan: Any, ndim: int) -> list[np.ndarray]:
    """
    Candidate axes (rows major, semi-minor, minor) from the direction search.

    3D: frame 1 has its major axis along the direction of greatest continuity and the
    semi-minor along the longest range perpendicular to it; frame 2 (kept when it
    differs by more than 20 degrees on an axis) has its minor axis along the direction
    of least continuity and its major along the longest range perpendicular to that.
    2D: one frame, from the azimuth of greatest continuity.
    """
    if ndim == 2:
        az = np.arange(0.0, 180.0, 2.0)
        best = _best(_horizontal(az), scan(_horizontal(az))[0])
        best_az = math.degrees(math.atan2(best[0], best[1]))
        az = best_az + np.arange(-2.0, 2.01, 0.25)
        best = _best(_horizontal(az), scan(_horizontal(az))[0])
        best_az = math.degrees(math.atan2(best[0], best[1]))
        axes = _horizontal(np.array([best_az, best_az + 90.0, 0.0]))
        axes[2] = (0.0, 0.0, 1.0)
        return [axes]
    dirs = _hemisphere(N_DIRECTIONS)
    r = scan(dirs)[0]
    radius = 1.5 * math.sqrt(2.0 * math.pi / N_DIRECTIONS)  # 1.5 grid spacings
    fine = _cap(_best(dirs, r), radius, N_REFINE)
    major = _best(fine, scan(fine)[0])
    ring = _ring(major, N_RAKE)
    semi = _best(ring, scan(ring)[0])
    frames = [np.vstack([major, semi, np.cross(major, semi)])]
    fine = _cap(_best(dirs, r, longest=False), radius, N_REFINE)
    minor = _best(fine, scan(fine)[0], longest=False)
    ring = _ring(minor, N_RAKE)
    major2 = _best(ring, scan(ring)[0])
    other = np.vstack([major2, np.cross(minor, major2), minor])
    if np.min(np.abs(np.sum(other * frames[0], axis=1))) < math.cos(math.radians(20.0)):
        frames.append(other)
    return frames


def _fit(table: _LagTable, frames: list[np.ndarray], scan: Any, ndim: int, nugget: float,
         sill: float, shape: str, edges: np.ndarray, max_lag: float, local_range: float,
         max_structures: int) -> tuple[_Fit, tuple[float, ...]]:
    """The joint fits: one structure in every frame, then two in the best frame."""
    fit_sums, fit_vectors = _coarse(table, FIT_CELLS)
    cn_all, _, cgam_all, _ = _moments(fit_sums, sill)
    use = cn_all > 0
    vec = fit_vectors[use] / cn_all[use][:, None]
    gam, cnt = cgam_all[use], cn_all[use]
    hi = 10.0 * max_lag

    def frame_fit(axes: np.ndarray) -> _Fit:
        start_r, cn_ax = scan(axes[:ndim])
        # A range shorter than half the shortest lag seen along an axis is not measured.
        first = np.argmax(cn_ax > 0, axis=1)
        lo = np.maximum(edges[1], 0.5 * edges[first])
        # Starts: the ranges of the search (kept within the lags, where the fit has a
        # gradient), half of them, and the shortest replaced by the down-hole range (a
        # cone about the minor axis may hold no short lag).
        r0 = np.clip(np.nan_to_num(start_r, nan=max_lag), lo, max(max_lag, lo.max()))
        r_alt = r0.copy()
        k_min = int(np.argmin(r0))
        if math.isfinite(local_range):
            r_alt[k_min] = max(local_range, lo[k_min])
        starts = [np.log(r0), np.log(r0) - math.log(2.0), np.log(r_alt)]
        return _joint_fit(vec, gam, cnt, axes, ndim, nugget, sill, shape, starts, 1, lo, hi,
                          False, False)

    # The best frame with its axes fixed, then its axes refined with the ranges.
    fit1 = min((frame_fit(axes) for axes in frames), key=lambda f: f.sse)
    if ROTATE:
        fit1 = _joint_fit(vec, gam, cnt, fit1.axes, ndim, nugget, sill, shape,
                          [np.log(fit1.ranges[0])], 1, fit1.lo, hi, True, False)
    # The nested test reads coarser cells: fewer, less noisy points, so that a misfit
    # of one structure stands out from the sampling noise.
    c_sums, c_vectors = _coarse(table, TEST_CELLS)
    c_n, _, c_gam, _ = _moments(c_sums, sill)
    c_use = c_n > 0
    test = (c_vectors[c_use] / c_n[c_use][:, None], c_gam[c_use], c_n[c_use], sill, shape)
    crit1 = _model_sse(fit1, *test)
    if max_structures == 1:
        return fit1, (crit1,)
    if gam.size < 2 * fit1.ranges.size + 2:  # too few classes for two structures
        return fit1, (crit1,)
    x1 = np.log(fit1.ranges[0])
    starts = [np.concatenate([x1 + math.log(f1), x1 + math.log(f2), [share]])
              for f1, f2, share in ((0.2, 1.2, 0.5), (0.4, 1.5, 0.3))]
    fit2 = _joint_fit(vec, gam, cnt, fit1.axes, ndim, nugget, sill, shape, starts, 2, fit1.lo,
                      hi, False, True)
    crit2 = _model_sse(fit2, *test)
    ratio = fit2.ranges.max(axis=0) / fit2.ranges.min(axis=0)
    distinct = bool(np.max(ratio) >= DISTINCT)  # not two copies of one structure
    seen = bool(np.all(fit2.ranges <= 2.0 * max_lag))  # no range far beyond the lags
    if (crit2 < (1.0 - NESTED_GAIN) * crit1 and fit2.shares.min() >= MIN_SHARE and distinct
            and seen):
        return fit2, (crit1, crit2)
    return fit1, (crit1, crit2)


def _model_of(fit: _Fit, ndim: int, sill: float,
              shape: str) -> tuple[VariogramModel, tuple[float, float, float],
                                   tuple[float, ...], np.ndarray]:
    """The model, its angles, the outer structure's ranges and the axes (rows)."""
    rngs, axes = fit.ranges, fit.axes.copy()
    outer = int(np.argmax(rngs[:, 0]))
    # Relabel the axes so that the outer structure's ranges decrease.
    order = np.argsort(-rngs[outer], kind="stable")
    axes[:ndim] = axes[:ndim][order]
    rngs = rngs[:, order]
    if ndim == 3:
        axes[2] = np.cross(axes[0], axes[1])
        angles = _frame_angles(axes[0], axes[1])
    else:
        angles = (_axis_angles(axes[0])[0] % 180.0, 0.0, 0.0)
        axes = axes[:2, :2]
    structured = sill - fit.nugget
    structures = [Structure(shape, structured * float(fit.shares[s]),
                            tuple(float(v) for v in rngs[s]), angles)
                  for s in np.argsort(rngs[:, 0])]
    return (VariogramModel(fit.nugget, structures), angles,
            tuple(float(v) for v in rngs[outer]), axes)


def _warn(model: VariogramModel, ranges: tuple[float, ...], names: list[str],
          max_lag: float, nugget: float, sill: float) -> None:
    """Warn about ranges far beyond the lags and a nugget at its cap."""
    for name, r in zip(names, ranges, strict=True):
        if r > 2.0 * max_lag:
            warnings.warn(
                f"the range along the {name} axis ({r:.0f} m) is beyond twice the largest "
                f"lag ({max_lag:.0f} m): the variogram does not reach its sill along it "
                f"(a trend, or too small a domain); treat that range as 'at least "
                f"{max_lag:.0f} m'",
                UserWarning, stacklevel=3,
            )
    if nugget >= MAX_NUGGET * sill * (1.0 - 1e-9):
        warnings.warn(
            f"the nugget is at its cap ({100 * MAX_NUGGET:.0f} % of the sill): the values "
            f"show almost no spatial correlation at the lags sampled ({model.describe()})",
            UserWarning, stacklevel=3,
        )
