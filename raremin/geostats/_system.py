"""
The kriging system as functions (private): covariances, both sides, solve, diagnostics.

Any estimator that krige can use these functions; :class:`~raremin.geostats.kriging.Kriging`
is one. A :class:`System` holds what the systems of one variogram model and one set of
samples need; :func:`solve_neighbourhoods` solves the system of every target from its
neighbours (a :class:`~raremin.geostats.neighbourhood.Neighbours`) and
:func:`factor_global` / :func:`solve_global` / :func:`leave_out_global` do the same with
every sample in one system.

**Reduced coordinates.** Every structure sees lags through its anisotropy matrix; the
coordinates of samples, targets and block discretisation points are stored once per
structure multiplied by it (:func:`reduce`), side by side in one row of ``S x d``
values (``S`` structures, ``d`` axes), relative to the samples' centre. The squared
Euclidean distance between two points in one structure's columns is that structure's
``h**2``.

**Per-target work.** The plain functions below do one batch of targets' work on small
buffers: ``_gather`` (the neighbours' reduced offsets from their target), ``_lhs`` and
``_rhs`` (the two sides, through the shape functions of :mod:`raremin.geostats.models`),
``_cholesky``, ``_solve`` (weights, estimates and diagnostics, with ``_diagnostics``) and,
for unbounded models, ``_lu_solve``. The kernels (``_kernel_functions``) loop over a range
of targets in batches and call them. They are written for numba, which compiles a kernel
with everything it calls the first time it is needed (:func:`prepare`, started by
``Kriging.fit`` on a background thread, and :func:`kernel`): numba is imported then, never
at ``import raremin``. Only the kernel a model needs is compiled (bounded or unbounded),
once, for one signature (C-contiguous float64 and int64 arrays); point and block support,
simple and ordinary kriging and the five shapes are branches inside it. The compiled
kernel is cached on disk (``cache=True``: numba's ``__pycache__`` next to this file, or
``NUMBA_CACHE_DIR``), so later processes load it instead of compiling; the cache key
includes a fingerprint of every function the kernel calls, so editing a shape or a helper
invalidates it. The kernels release the GIL and run on a pool of threads (one per CPU),
each over a contiguous range of targets (:func:`solve_neighbourhoods`); a target's numbers
do not depend on the others, the chunks or the threads (bit for bit). They are compiled
without fast-math (no contraction into FMA, no reassociation), so the operations and
their order are those written here.

**Algorithm per target** (``k`` neighbours, ``c`` value columns; ``lanes_for(k)`` targets
solved together, one per SIMD lane). The lower triangle of ``C`` is built column by column
from the neighbours' offsets to the target (nugget on the diagonal); the right-hand side
``c`` is the covariance to the target, or for a block the mean covariance to its
discretisation points (nugget left out). ``C = L L'`` is factorised right-looking (every
update an ``axpy`` over the lanes) with the forward solves of ``c`` and of the ones vector
fused in: ``y = L^-1 c``, ``y1 = L^-1 1``. Ordinary kriging's multiplier and weights
follow from the bordered system's Schur complement: ``mu = (y'y1 - 1) / y1'y1``,
``w = L'^-1 (y - mu y1)`` (one back substitution), the estimate of every column ``w'z``,
``sum w c = y'y - mu y'y1``. Simple kriging: ``mu = 0``, ``w = L'^-1 y``. A squared pivot
below ``PIVOT_TOLERANCE`` of ``C(0)`` (or NaN) marks the target singular. Unbounded models
(a linear structure) have no covariance: their bordered system of generalised covariances
is solved by Gaussian elimination with partial pivoting (an exactly zero pivot or a
non-finite solution marks it singular). The work per target is about ``k^3 / 3`` flops
for the factorisation, ``3 k^2`` for the solves and ``k^2 / 2`` covariances.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import os
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist

from ..errors import ConvergenceError
from . import _jit
from .models import (
    SHAPES,
    VariogramModel,
    _cubic_covariance,
    _exponential_covariance,
    _gaussian_covariance,
    _linear_covariance,
    _spherical_covariance,
    _unit_covariance,
)
from .neighbourhood import Neighbours

__all__: list[str] = []

#: A kriging system is numerically singular when the variance of a sample conditional
#: on the samples before it (a squared Cholesky pivot) falls below this fraction of the
#: covariance at lag zero (about 13 digits lost), or, for unbounded models with a global
#: search, when the reciprocal condition number does.
PIVOT_TOLERANCE = 1e-13

#: Fewest targets per piece of work handed to a thread.
MIN_TARGETS_PER_THREAD = 512

#: Bytes of right-hand sides per chunk of targets with a global search.
GLOBAL_CHUNK_BYTES = 2**26

#: Elements of the temporary arrays of one step of :func:`covariance_between`.
_COVARIANCE_STEP = 2**22


class System(NamedTuple):
    """
    What the kriging systems of one model and one set of samples are built from.

    Attributes
    ----------
    codes : numpy.ndarray of int64, shape (S,)
        Shape code of each structure (its position in ``models.SHAPES``).
    sills : numpy.ndarray, shape (S,)
        Sill (slope for the linear shape) of each structure.
    ndim : int
        Number of axes, d.
    nugget : float
        Nugget effect, on the diagonal of ``C`` and at a target on a sample.
    c0 : float
        Covariance at lag zero: nugget plus the sills of the bounded structures.
    bounded : bool
        Every structure has a sill (a covariance exists; Cholesky applies).
    ordinary : bool
        Ordinary kriging (else simple).
    matrices : numpy.ndarray, shape (S, d, d)
        Anisotropy matrix of each structure.
    origin : numpy.ndarray, shape (d,)
        Centre of the samples, metres; reduced coordinates are relative to it.
    samples : numpy.ndarray, shape (n, S d)
        Reduced sample coordinates.
    table : numpy.ndarray, shape (n, c)
        Sample values minus `shift`, one column per variable.
    shift : numpy.ndarray, shape (c,)
        Simple kriging mean per column (zeros for ordinary kriging).
    block : numpy.ndarray, shape (p, S d)
        Reduced offsets of the block discretisation points from the block centre;
        no rows for point kriging.
    block_variance : float
        ``C(V, V)``: ``c0`` for points, the mean covariance between discretisation
        points (nugget left out) for blocks.
    """

    codes: np.ndarray
    sills: np.ndarray
    ndim: int
    nugget: float
    c0: float
    bounded: bool
    ordinary: bool
    matrices: np.ndarray
    origin: np.ndarray
    samples: np.ndarray
    table: np.ndarray
    shift: np.ndarray
    block: np.ndarray
    block_variance: float


# ------------------------------------------------------------------ set-up (numpy)


def build(
    model: VariogramModel,
    coords: np.ndarray,
    table: np.ndarray,
    *,
    ordinary: bool,
    shift: np.ndarray,
    block_offsets: np.ndarray | None = None,
) -> System:
    """
    The :class:`System` of `model` for samples `coords` (n, d) with values `table` (n, c).

    `shift` is the simple kriging mean per column (zeros for ordinary kriging);
    `block_offsets` (p, d) the discretisation points of a block around its centre,
    metres (None: point kriging).
    """
    ndim = coords.shape[1]
    structures = model.structures
    matrices = np.array([s.matrix(ndim) for s in structures]).reshape(-1, ndim, ndim)
    origin = coords.mean(axis=0)
    c0 = model.nugget + sum(s.sill for s in structures if s.bounded)
    partial = System(
        codes=np.array([SHAPES.index(s.shape) for s in structures], dtype=np.int64),
        sills=np.array([s.sill for s in structures], dtype=float),
        ndim=ndim,
        nugget=float(model.nugget),
        c0=float(c0),
        bounded=model.bounded,
        ordinary=bool(ordinary),
        matrices=matrices,
        origin=origin,
        samples=np.empty((0, 0)),
        table=np.ascontiguousarray(table - shift, dtype=float),
        shift=np.ascontiguousarray(shift, dtype=float),
        block=np.empty((0, matrices.shape[0] * ndim)),
        block_variance=float(c0),
    )
    samples = _reduce_local(partial, coords - origin)
    if block_offsets is None:
        return partial._replace(samples=samples)
    block = _reduce_local(partial, block_offsets)
    variance = float(covariance_between(partial, block, block).mean())
    return partial._replace(samples=samples, block=block, block_variance=variance)


def reduce(system: System, coords: np.ndarray) -> np.ndarray:
    """Reduced coordinates (m, S d) of points `coords` (m, d), metres, C-contiguous."""
    return _reduce_local(system, coords - system.origin)


def _reduce_local(system: System, local: np.ndarray) -> np.ndarray:
    """
    Reduced coordinates of points given relative to the origin (or of offsets).

    Written out axis by axis rather than as a matrix product, so that every point's
    numbers are the same whatever the other points (BLAS rounds differently with the
    size of the product): estimates do not depend on chunk sizes, to the last bit.
    """
    d = system.ndim
    out = np.empty((local.shape[0], system.matrices.shape[0] * d))
    for s, matrix in enumerate(system.matrices):
        for r in range(d):
            column = out[:, s * d + r]
            np.multiply(local[:, 0], matrix[r, 0], out=column)
            for c in range(1, d):
                column += local[:, c] * matrix[r, c]
    return out


def covariance_between(system: System, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """
    Structural covariances (no nugget) between reduced points `a` (na, S d) and `b`.

    Generalised covariance ``-sill h`` for linear structures. Numpy, for the global
    system and block variances: the same shape functions as the kernels, applied to
    blocks of rows so that their temporary arrays stay small.
    """
    out = np.zeros((a.shape[0], b.shape[0]))
    d = system.ndim
    step = max(1, _COVARIANCE_STEP // max(b.shape[0], 1))
    for start in range(0, a.shape[0], step):
        rows = slice(start, start + step)
        for s, (code, sill) in enumerate(zip(system.codes, system.sills, strict=True)):
            cols = slice(s * d, (s + 1) * d)
            h2 = cdist(a[rows, cols], b[:, cols], "sqeuclidean")
            part = _unit_covariance(int(code), h2)
            part *= sill
            out[rows] += part
    return out


# ------------------------------------------------------------- per-target functions
# Plain Python on small arrays, compiled by numba into the kernels (they also run, slowly,
# as they are). The bounded kernel solves a batch of targets at once, one per lane: every
# buffer has the lane as its last, contiguous axis, so that every inner loop runs over the
# lanes with no dependence between them and compiles to SIMD instructions. Buffers:
# P (S d, k, lanes) offsets of the neighbours from their target; M (k, k, lanes) whose row
# j holds column j of C's lower triangle, then of L; B (2, k, lanes) the right-hand side
# and the ones vector; valid (k, lanes) 1 for a neighbour, 0 for padding (a target with
# fewer neighbours than the others of its batch gets the identity times C(0) in its
# padded rows and columns and 0 in its padded right-hand sides, which leaves its own
# numbers exactly as they are without padding).


def lanes_for(k: int) -> int:
    """
    Targets per batch for k neighbours: 32 (long SIMD loops amortise their set-up), fewer
    when the batch's matrix would pass 2 MB (k > 90).
    """
    lanes = 32
    while lanes > 1 and k * k * lanes * 8 > 2**21:
        lanes //= 2
    return lanes


def _add_covariance(code, sill, h2, out, lo, hi):  # type: ignore[no-untyped-def]
    """``out[lo:hi] += sill * covariance(h2[lo:hi])`` in every lane, one loop per shape."""
    nl = h2.shape[1]
    if code == 0:
        for i in range(lo, hi):
            for lane in range(nl):
                out[i, lane] += sill * _spherical_covariance(h2[i, lane])
    elif code == 1:
        for i in range(lo, hi):
            for lane in range(nl):
                out[i, lane] += sill * _exponential_covariance(h2[i, lane])
    elif code == 2:
        for i in range(lo, hi):
            for lane in range(nl):
                out[i, lane] += sill * _gaussian_covariance(h2[i, lane])
    elif code == 3:
        for i in range(lo, hi):
            for lane in range(nl):
                out[i, lane] += sill * _cubic_covariance(h2[i, lane])
    else:
        for i in range(lo, hi):
            for lane in range(nl):
                out[i, lane] += sill * _linear_covariance(h2[i, lane])


def _gather(samples, targets, index, count, rows, P, valid):  # type: ignore[no-untyped-def]
    """Offsets of the neighbours of targets `rows` from them; returns the largest count."""
    nl = rows.shape[0]
    width = samples.shape[1]
    kmax = 0
    for lane in range(nl):
        if count[rows[lane]] > kmax:
            kmax = count[rows[lane]]
    for lane in range(nl):
        t = rows[lane]
        kt = count[t]
        for i in range(kmax):
            valid[i, lane] = 1.0 if i < kt else 0.0
            row = index[t, i] if i < kt else -1
            for a in range(width):
                P[a, i, lane] = samples[row, a] - targets[t, a] if row >= 0 else 0.0
    return kmax


def _lhs(P, kmax, ndim, codes, sills, nugget, c0, valid, M, h2):  # type: ignore[no-untyped-def]
    """Lower triangle of C by columns into M (row j = column j), nugget on the diagonal."""
    nl = h2.shape[1]
    padded = False  # padding, if any, is at the end
    for lane in range(nl):
        padded = padded or valid[kmax - 1, lane] == 0.0
    for j in range(kmax):
        col = M[j]
        for i in range(j, kmax):
            for lane in range(nl):
                col[i, lane] = 0.0
        for s in range(codes.shape[0]):
            first = s * ndim
            for i in range(j, kmax):
                for lane in range(nl):
                    diff = P[first, i, lane] - P[first, j, lane]
                    h2[i, lane] = diff * diff
            for a in range(first + 1, first + ndim):
                for i in range(j, kmax):
                    for lane in range(nl):
                        diff = P[a, i, lane] - P[a, j, lane]
                        h2[i, lane] += diff * diff
            _add_covariance(codes[s], sills[s], h2, col, j, kmax)
        if padded:
            for i in range(j, kmax):
                for lane in range(nl):
                    col[i, lane] *= valid[i, lane] * valid[j, lane]
        for lane in range(nl):
            col[j, lane] += valid[j, lane] * nugget + (1.0 - valid[j, lane]) * c0


def _rhs(P, kmax, ndim, codes, sills, nugget, block, distance, rows, valid, rhs, h2, acc):  # type: ignore[no-untyped-def]
    """
    Right-hand side: covariances neighbour-target (the nugget where the target is on
    the neighbour), or for blocks mean covariances neighbour-discretisation point
    (no nugget); 0 in padding.
    """
    nl = h2.shape[1]
    points = block.shape[0]
    for i in range(kmax):
        for lane in range(nl):
            rhs[i, lane] = 0.0
    for s in range(codes.shape[0]):
        for i in range(kmax):
            for lane in range(nl):
                acc[i, lane] = 0.0
        for p in range(points if points else 1):
            first = s * ndim
            for a in range(first, first + ndim):
                q = block[p, a] if points else 0.0
                for i in range(kmax):
                    for lane in range(nl):
                        diff = P[a, i, lane] - q
                        if a == first:
                            h2[i, lane] = diff * diff
                        else:
                            h2[i, lane] += diff * diff
            _add_covariance(codes[s], sills[s], h2, acc, 0, kmax)
        for i in range(kmax):
            for lane in range(nl):
                rhs[i, lane] += acc[i, lane] / points if points else acc[i, lane]
    for lane in range(nl):
        t = rows[lane]
        for i in range(kmax):
            if valid[i, lane] == 0.0:
                rhs[i, lane] = 0.0
            elif points == 0 and distance[t, i] == 0.0:
                rhs[i, lane] += nugget


def _scale_column(M, j, kmax, B, nb, floor, ok, inverse):  # type: ignore[no-untyped-def]
    """
    Finish column j of L (all its updates done): pivot, scaling, and the step of the
    forward solves of B's nb rows; ``ok[lane]`` False where the squared pivot is not
    above `floor` (or is NaN; the lane's numbers are then meaningless).
    """
    nl = ok.shape[0]
    for lane in range(nl):
        pivot = np.sqrt(M[j, j, lane])
        ok[lane] = ok[lane] and pivot * pivot > floor
        M[j, j, lane] = pivot
        inverse[lane] = 1.0 / pivot
    for i in range(j + 1, kmax):
        for lane in range(nl):
            M[j, i, lane] *= inverse[lane]
    for b in range(nb):
        for lane in range(nl):
            B[b, j, lane] *= inverse[lane]
        for i in range(j + 1, kmax):
            for lane in range(nl):
                B[b, i, lane] -= B[b, j, lane] * M[j, i, lane]


def _cholesky(M, kmax, B, nb, floor, ok, inverse):  # type: ignore[no-untyped-def]
    """
    ``C = L L'`` in place, right-looking, two columns at a time, with the forward solves
    of B's nb rows fused in.

    Every element receives the updates of the columns before it in increasing order,
    as in the plain right-looking algorithm (same numbers, bit for bit); taking two
    columns per pass over the trailing matrix halves its loads and stores.
    """
    nl = ok.shape[0]
    j = 0
    while j < kmax:
        _scale_column(M, j, kmax, B, nb, floor, ok, inverse)
        if j + 1 == kmax:
            break
        m = j + 1
        for i in range(m, kmax):
            for lane in range(nl):
                M[m, i, lane] -= M[j, m, lane] * M[j, i, lane]
        _scale_column(M, m, kmax, B, nb, floor, ok, inverse)
        for m in range(j + 2, kmax):
            for i in range(m, kmax):
                for lane in range(nl):
                    x = M[m, i, lane] - M[j, m, lane] * M[j, i, lane]
                    M[m, i, lane] = x - M[j + 1, m, lane] * M[j + 1, i, lane]
        j += 2


def _solve(  # type: ignore[no-untyped-def]
    M, kmax, B, ordinary, bv, sums, rows, index, count, table, estimates, diagnostics, weights
):
    """
    Weights, estimates and diagnostics of a batch from the forward-solved right-hand
    side ``y = L^-1 c`` (B[0]) and ones ``y1 = L^-1 1`` (B[1]).

    Ordinary kriging: ``mu = (y'y1 - 1) / y1'y1``, ``sum w c = y'y - mu y'y1``,
    ``w = L'^-1 (y - mu y1)``; simple kriging: ``mu = 0``, ``w = L'^-1 y``. The weights
    overwrite B[0]; ``estimates[t] = sum_i w_i z_i`` for every value column; the weights
    also go to ``weights[t]`` when it has rows (simulation applies them to many values).
    """
    nl = rows.shape[0]
    for lane in range(nl):
        sums[0, lane] = 0.0
        sums[1, lane] = 0.0
        sums[2, lane] = 0.0
    for i in range(kmax):
        for lane in range(nl):
            y = B[0, i, lane]
            y1 = B[1, i, lane]
            sums[0, lane] += y * y
            sums[1, lane] += y * y1
            sums[2, lane] += y1 * y1
    for lane in range(nl):
        if ordinary:
            mu = (sums[1, lane] - 1.0) / sums[2, lane]
            wc = sums[0, lane] - mu * sums[1, lane]
        else:
            mu = 0.0
            wc = sums[0, lane]
        sums[3, lane] = mu
        variance, slope, efficiency, lagrange = _diagnostics(wc, mu, bv, ordinary, True)
        t = rows[lane]
        diagnostics[0, t] = variance
        diagnostics[1, t] = slope
        diagnostics[2, t] = efficiency
        diagnostics[3, t] = lagrange
    if ordinary:
        for i in range(kmax):
            for lane in range(nl):
                B[0, i, lane] -= sums[3, lane] * B[1, i, lane]
    for j in range(kmax - 1, -1, -1):  # L' w = v, column-oriented (no reductions)
        for lane in range(nl):
            B[0, j, lane] /= M[j, j, lane]
        for p in range(j):
            for lane in range(nl):
                B[0, p, lane] -= B[0, j, lane] * M[p, j, lane]
    ncol = table.shape[1]
    for lane in range(nl):
        t = rows[lane]
        for c in range(ncol):
            sums[0, lane] = 0.0
            for i in range(count[t]):
                sums[0, lane] += B[0, i, lane] * table[index[t, i], c]
            estimates[t, c] = sums[0, lane]
    if weights.shape[0] > 0:
        for lane in range(nl):
            t = rows[lane]
            for i in range(count[t]):
                weights[t, i] = B[0, i, lane]


def _lu_solve(A, n, b):  # type: ignore[no-untyped-def]
    """Solve ``A x = b`` (n x n, in place, partial pivoting); False on a zero pivot."""
    for j in range(n):
        p = j
        big = abs(A[j, j])
        for i in range(j + 1, n):
            if abs(A[i, j]) > big:
                big = abs(A[i, j])
                p = i
        if big == 0.0:
            return False
        if p != j:
            for m in range(j, n):
                tmp = A[j, m]
                A[j, m] = A[p, m]
                A[p, m] = tmp
            tmp = b[j]
            b[j] = b[p]
            b[p] = tmp
        inverse = 1.0 / A[j, j]
        for i in range(j + 1, n):
            f = A[i, j] * inverse
            if f != 0.0:
                for m in range(j + 1, n):
                    A[i, m] -= f * A[j, m]
                b[i] -= f * b[j]
    for j in range(n - 1, -1, -1):
        s = b[j]
        for m in range(j + 1, n):
            s -= A[j, m] * b[m]
        b[j] = s / A[j, j]
    return True


def _diagnostics(wc, mu, bv, ordinary, bounded):  # type: ignore[no-untyped-def]
    """
    Variance, slope, efficiency and lagrange from ``sum w c`` and ``mu`` (scalars or arrays).

    ``KV = BV - sum w c - mu`` (0 where rounding leaves it just below 0); slope
    ``sum w c / (sum w c - mu)`` and efficiency ``(BV - KV) / BV`` (NaN for unbounded
    models, efficiency also for ``BV <= 0``); lagrange ``mu`` (NaN for simple kriging).
    """
    variance = np.maximum(bv - wc - mu, 0.0)
    if bounded:
        slope = wc / (wc - mu)
        efficiency = (bv - variance) / bv if bv > 0.0 else variance * np.nan
    else:
        slope = variance * np.nan
        efficiency = variance * np.nan
    lagrange = mu if ordinary else mu * np.nan
    return variance, slope, efficiency, lagrange


def _kernel_functions(fingerprint: int) -> tuple[Callable[..., None], Callable[..., None]]:
    """
    The two kernels as plain functions: loops over a range of targets in batches.

    They are closures over `fingerprint` (a hash of the code of every function they
    call) only so that numba's cache key, which hashes a kernel's own code and its
    closure, changes whenever a helper or a shape function does.
    """

    def bounded(  # type: ignore[no-untyped-def]
        codes, sills, ndim, nugget, c0, floor, ordinary, bv, samples, targets, block, table,
        index, count, distance, todo, start, stop, lanes, estimates, diagnostics, bad,
        weights,
    ):
        """Targets todo[start:stop] of a bounded model: estimates, diagnostics, bad flags."""
        if fingerprint < 0:  # never; puts the fingerprint into numba's cache key
            return
        k = index.shape[1]
        P = np.empty((samples.shape[1], k, lanes))
        M = np.empty((k, k, lanes))
        B = np.empty((2, k, lanes))
        valid = np.empty((k, lanes))
        h2 = np.empty((k, lanes))
        acc = np.empty((k, lanes))
        sums = np.empty((4, lanes))
        inverse = np.empty(lanes)
        rows = np.empty(lanes, dtype=np.int64)
        ok = np.empty(lanes, dtype=np.bool_)
        for first in range(start, stop, lanes):
            for lane in range(lanes):  # a short last batch repeats its last target
                rows[lane] = todo[first + lane if first + lane < stop else stop - 1]
                ok[lane] = True
            kmax = _gather(samples, targets, index, count, rows, P, valid)
            _lhs(P, kmax, ndim, codes, sills, nugget, c0, valid, M, h2)
            _rhs(P, kmax, ndim, codes, sills, nugget, block, distance, rows, valid, B[0], h2, acc)
            for i in range(kmax):
                for lane in range(lanes):
                    B[1, i, lane] = valid[i, lane]
            _cholesky(M, kmax, B, 2 if ordinary else 1, floor, ok, inverse)
            _solve(M, kmax, B, ordinary, bv, sums, rows, index, count, table, estimates,
                   diagnostics, weights)
            for lane in range(lanes):
                bad[rows[lane]] = not ok[lane]

    def unbounded(  # type: ignore[no-untyped-def]
        codes, sills, ndim, nugget, c0, floor, ordinary, bv, samples, targets, block, table,
        index, count, distance, todo, start, stop, lanes, estimates, diagnostics, bad,
        weights,
    ):
        """Targets todo[start:stop] of an unbounded model (ordinary kriging, bordered LU)."""
        if fingerprint < 0:  # never; puts the fingerprint into numba's cache key
            return
        k = index.shape[1]
        P = np.empty((samples.shape[1], k, lanes))
        M = np.empty((k, k, lanes))
        rhs = np.empty((k, lanes))
        valid = np.empty((k, lanes))
        h2 = np.empty((k, lanes))
        acc = np.empty((k, lanes))
        rows = np.empty(lanes, dtype=np.int64)
        A = np.empty((k + 1, k + 1))
        b = np.empty(k + 1)
        for first in range(start, stop, lanes):
            for lane in range(lanes):
                rows[lane] = todo[first + lane if first + lane < stop else stop - 1]
            kmax = _gather(samples, targets, index, count, rows, P, valid)
            _lhs(P, kmax, ndim, codes, sills, nugget, c0, valid, M, h2)
            _rhs(P, kmax, ndim, codes, sills, nugget, block, distance, rows, valid, rhs, h2, acc)
            for lane in range(lanes):
                t = rows[lane]
                kt = count[t]
                for j in range(kt):
                    for i in range(j, kt):
                        A[i, j] = M[j, i, lane]
                        A[j, i] = M[j, i, lane]
                    A[kt, j] = 1.0
                    A[j, kt] = 1.0
                    b[j] = rhs[j, lane]
                A[kt, kt] = 0.0
                b[kt] = 1.0
                finite = _lu_solve(A, kt + 1, b)
                for i in range(kt + 1):
                    finite = finite and np.isfinite(b[i])
                bad[t] = not finite
                wc = 0.0
                for i in range(kt):
                    wc += b[i] * rhs[i, lane]
                variance, slope, efficiency, lagrange = _diagnostics(wc, b[kt], bv, True, False)
                diagnostics[0, t] = variance
                diagnostics[1, t] = slope
                diagnostics[2, t] = efficiency
                diagnostics[3, t] = lagrange
                for c in range(table.shape[1]):
                    total = 0.0
                    for i in range(kt):
                        total += b[i] * table[index[t, i], c]
                    estimates[t, c] = total
                if weights.shape[0] > 0:
                    for i in range(kt):
                        weights[t, i] = b[i]

    return bounded, unbounded


#: Everything the kernels call, in call order; their code fingerprints numba's cache.
_KERNEL_FUNCTIONS: tuple[Callable[..., Any], ...] = (
    _spherical_covariance,
    _exponential_covariance,
    _gaussian_covariance,
    _cubic_covariance,
    _linear_covariance,
    _add_covariance,
    _gather,
    _lhs,
    _rhs,
    _scale_column,
    _cholesky,
    _diagnostics,
    _solve,
    _lu_solve,
)

_SIGNATURE = (
    "void(int64[::1], float64[::1], int64, float64, float64, float64, boolean, float64, "
    "float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[:, ::1], "
    "int64[:, ::1], int64[::1], float64[:, ::1], int64[::1], int64, int64, int64, "
    "float64[:, ::1], float64[:, ::1], boolean[::1], float64[:, ::1])"
)


# ------------------------------------------------------------------- compilation


def _fingerprint() -> int:
    """A hash of the code of every function the kernels call (part of the cache key)."""
    digest = hashlib.sha256()
    for func in _KERNEL_FUNCTIONS:
        code = func.__code__
        digest.update(code.co_code)
        digest.update(repr((code.co_consts, code.co_names, code.co_varnames)).encode())
    return int.from_bytes(digest.digest()[:7], "little")


_lock = threading.Lock()
_registered = False


def register() -> Any:
    """
    Import numba and make the shape and per-target functions callable from jitted code.

    Returns the numba module. Idempotent and thread-safe.
    """
    global _registered
    numba = _jit.import_numba("kriging's compiled kernel")
    from numba.extending import register_jitable

    with _lock:
        if not _registered:
            for func in (*_KERNEL_FUNCTIONS, _unit_covariance):
                register_jitable(func)
            _registered = True
    return numba


def _compile(bounded: bool) -> Callable[..., None]:
    """Compile (or load from numba's cache) the kernel for bounded or unbounded models."""
    numba = register()
    functions = _kernel_functions(_fingerprint())
    return numba.njit(
        _SIGNATURE, cache=True, nogil=True, error_model="numpy", boundscheck=False
    )(functions[0 if bounded else 1])


#: When each kernel replaces its numpy twin (raremin.geostats._solve_numpy); compiling
#: takes about 6 s (bounded models) and 4 s (unbounded) on a fresh install, 2 cores.
def _tier_functions(bounded: bool) -> tuple[Callable[..., None]]:
    """The kernel of bounded or unbounded models, as the tier's functions."""
    return (_kernel_functions(_fingerprint())[0 if bounded else 1],)


_TIERS = {
    bounded: _jit.Tier(
        f"kriging ({'bounded' if bounded else 'unbounded'} models)", 6.0 if bounded else 4.0,
        functools.partial(_tier_functions, bounded),
    )
    for bounded in (True, False)
}

_kernels: dict[bool, concurrent.futures.Future] = {}
_compiler: concurrent.futures.ThreadPoolExecutor | None = None
_workers: concurrent.futures.ThreadPoolExecutor | None = None


def prepare(bounded: bool) -> None:
    """
    Start compiling (or loading) the kernel in a background thread, if not yet done and
    if the kernel's tier chooses it (else its numpy twin runs: see :mod:`._jit`).

    Called by ``Kriging.fit`` and at the start of a prediction, so that numba's import
    and compilation overlap with the work before the kernel is needed (the neighbour
    search; LLVM's part of the compilation releases the GIL, numba's typing does not).
    """
    if _TIERS[bounded].compiled():
        _submit(bounded)


def _submit(bounded: bool) -> None:
    """Start compiling (or loading) the kernel in a background thread, if not yet done."""
    global _compiler
    with _lock:
        if bounded not in _kernels:
            if _compiler is None:
                _compiler = concurrent.futures.ThreadPoolExecutor(
                    1, thread_name_prefix="raremin-compile"
                )
            _kernels[bounded] = _compiler.submit(_compile, bounded)


def kernel(bounded: bool) -> Callable[..., None]:
    """The compiled kernel (waits for :func:`prepare`'s compilation, or starts it)."""
    _submit(bounded)
    future = _kernels[bounded]
    try:
        return future.result()
    except BaseException:
        with _lock:  # let a later call try again
            if _kernels.get(bounded) is future:
                del _kernels[bounded]
        raise


def _after_fork_in_child() -> None:
    """A forked child has none of its parent's threads: start its pools afresh."""
    global _compiler, _workers, _lock
    _lock = threading.Lock()
    _compiler = None
    _workers = None
    for bounded, future in list(_kernels.items()):
        if not future.done():  # its compilation ran in a thread the child lacks
            del _kernels[bounded]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def threads() -> int:
    """
    Threads used for the kernels: the CPUs this process may run on, at most
    ``NUMBA_NUM_THREADS`` when that is set (numba's own setting for its threads).
    """
    if hasattr(os, "sched_getaffinity"):
        cpus = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    limit = os.environ.get("NUMBA_NUM_THREADS", "")
    if limit.strip().isdigit() and int(limit) > 0:
        cpus = min(cpus, int(limit))
    return max(1, cpus)


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    global _workers
    with _lock:
        if _workers is None:
            _workers = concurrent.futures.ThreadPoolExecutor(
                threads(), thread_name_prefix="raremin-kriging"
            )
        return _workers


def _in_parallel(work: Callable[[int, int], None], m: int) -> None:
    """Run ``work(start, stop)`` over 0..m in contiguous pieces on the thread pool."""
    n_threads = threads()
    pieces = min(4 * n_threads, m // MIN_TARGETS_PER_THREAD)
    if n_threads == 1 or pieces < 2:
        work(0, m)
        return
    bounds = np.linspace(0, m, pieces + 1).astype(int)
    pool = _pool()
    futures = [
        pool.submit(work, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    for future in futures:
        future.result()


# -------------------------------------------------------------------------- solving


def singular_error(label: int, point: np.ndarray, count: int, method: str) -> ConvergenceError:
    """The error for a singular system of one target."""
    where = ", ".join(f"{c:g}" for c in point)
    return ConvergenceError(
        f"the kriging system of target {label} at ({where}) with {count} samples is "
        f"singular ({method}); likely causes: duplicate or nearly coincident samples "
        f"(merge them with duplicates='mean' or composite them), or a very smooth model "
        f"without a nugget (a Gaussian structure: add a small nugget, e.g. 1e-6 of the "
        f"sill)"
    )


def solve_neighbourhoods(
    system: System,
    coords: np.ndarray,
    found: Neighbours,
    min_samples: int,
    *,
    first_label: int = 0,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """
    Krige targets `coords` (m, d), metres, from their neighbours `found`.

    Returns estimates (m, c) and ``variance``, ``slope``, ``efficiency`` and
    ``lagrange`` (m,); NaN for targets with fewer than `min_samples` neighbours. With
    `weights` (m, k), C-contiguous float64, each solved target's kriging weights are
    written to its row (the first ``count`` entries: pass zeros).
    Raises ConvergenceError naming the first target (numbered from `first_label`) whose
    system is singular.
    """
    m = coords.shape[0]
    estimates = np.full((m, system.table.shape[1]), np.nan)
    diagnostics = np.full((4, m), np.nan)
    count = np.ascontiguousarray(found.count, dtype=np.int64)
    todo = np.flatnonzero(count >= min_samples).astype(np.int64)
    if todo.size:
        targets = reduce(system, coords)
        index = np.ascontiguousarray(found.index, dtype=np.int64)
        distance = np.ascontiguousarray(found.distance_m, dtype=float)
        bad = np.zeros(m, dtype=np.bool_)
        out_w = np.empty((0, 0)) if weights is None else weights
        tier = _TIERS[system.bounded]
        if tier.compiled():
            run = kernel(system.bounded)
            floor = PIVOT_TOLERANCE * system.c0
            lanes = lanes_for(index.shape[1])

            def work(start: int, stop: int) -> None:
                run(
                    system.codes, system.sills, system.ndim, system.nugget, system.c0,
                    floor, system.ordinary, system.block_variance, system.samples,
                    targets, system.block, system.table, index, count, distance, todo,
                    start, stop, lanes, estimates, diagnostics, bad, out_w,
                )

            _in_parallel(work, todo.size)
        else:
            from . import _solve_numpy

            with tier.numpy_time():
                _solve_numpy.solve(system, targets, index, count, distance, todo,
                                   estimates, diagnostics, bad, weights)
        if bad.any():
            first = int(np.argmax(bad))
            method = "Cholesky pivot" if system.bounded else "LU"
            raise singular_error(first_label + first, coords[first], int(count[first]), method)
        estimates += system.shift
    keys = ("variance", "slope", "efficiency", "lagrange")
    return estimates, dict(zip(keys, diagnostics, strict=True))


# ---------------------------------------------------------------------- global search


class GlobalFactor(NamedTuple):
    """The LU factors of the kriging matrix of every sample (global search)."""

    lu: tuple[np.ndarray, np.ndarray]


def factor_global(system: System, coords: np.ndarray) -> GlobalFactor:
    """
    Build and factorise the ``n`` (SK) or ``n + 1`` (OK) kriging matrix of every sample.

    Raises ConvergenceError when it is numerically singular (bounded models: a squared
    Cholesky pivot below ``PIVOT_TOLERANCE`` of ``C(0)``, naming the sample `coords`;
    unbounded: a reciprocal condition number below ``PIVOT_TOLERANCE``).
    """
    n = system.samples.shape[0]
    size = n + 1 if system.ordinary else n
    a = np.zeros((size, size))
    lhs = a[:n, :n]
    lhs += covariance_between(system, system.samples, system.samples)
    lhs[np.diag_indices(n)] += system.nugget
    if system.ordinary:
        a[n, :n] = 1.0
        a[:n, n] = 1.0
    if system.bounded:
        _check_global(system, lhs, coords)
    lu = scipy.linalg.lu_factor(a, check_finite=False)
    if not system.bounded:
        anorm = float(np.abs(a).sum(axis=0).max())
        rcond = scipy.linalg.lapack.dgecon(lu[0], anorm)[0]
        if not rcond > PIVOT_TOLERANCE:
            raise ConvergenceError(
                f"the global kriging matrix of {n} samples is singular (reciprocal "
                f"condition number {rcond:.3g}); likely causes: duplicate or nearly "
                f"coincident samples (merge them with duplicates='mean')"
            )
    return GlobalFactor(lu)


def _check_global(system: System, lhs: np.ndarray, coords: np.ndarray) -> None:
    """Raise if the sample covariance matrix is numerically singular."""
    factor, info = scipy.linalg.lapack.dpotrf(lhs, lower=1, clean=1)
    if info > 0:
        bad = info - 1
    else:
        pivots = np.diag(factor) ** 2
        weak = np.flatnonzero(~(pivots > PIVOT_TOLERANCE * system.c0))
        if not weak.size:
            return
        bad = int(weak[0])
    point = ", ".join(f"{c:g}" for c in coords[bad])
    raise ConvergenceError(
        f"the global kriging matrix of {lhs.shape[0]} samples is singular at sample "
        f"{bad} ({point}): its covariances repeat those of other samples; likely "
        f"causes: duplicate or nearly coincident samples (merge them with "
        f"duplicates='mean' or composite them), or a very smooth model without a "
        f"nugget (a Gaussian structure: add a small nugget, e.g. 1e-6 of the sill)"
    )


def solve_global(
    system: System, factor: GlobalFactor, sample_coords: np.ndarray, coords: np.ndarray,
    chunk_size: int, diagnostics: bool,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """
    Krige targets `coords` (m, d) with every sample: estimates (m, c) and diagnostics.

    Diagnostics: the four of :func:`solve_neighbourhoods`, and ``n_samples``,
    ``mean_distance_m`` and ``nearest_distance_m`` (to every sample).
    """
    n = system.samples.shape[0]
    m = coords.shape[0]
    per_target = 8 * n * (2 + int(system.block.shape[0] > 0))
    step = max(1, min(chunk_size, GLOBAL_CHUNK_BYTES // per_target))
    estimates = np.empty((m, system.table.shape[1]))
    out: dict[str, np.ndarray] = {
        key: np.empty(m) for key in ("variance", "slope", "efficiency", "lagrange")}
    distances = {
        "n_samples": np.full(m, n, dtype=np.int64),
        "mean_distance_m": np.empty(m),
        "nearest_distance_m": np.empty(m),
    }
    for start in range(0, m, step):
        stop = min(start + step, m)
        rhs = _global_rhs(system, coords[start:stop])
        metres = cdist(sample_coords, coords[start:stop])
        if not system.block.shape[0]:
            rhs[metres == 0] += system.nugget
        if diagnostics:
            distances["mean_distance_m"][start:stop] = metres.mean(axis=0)
            distances["nearest_distance_m"][start:stop] = metres.min(axis=0)
        b = np.vstack([rhs, np.ones((1, stop - start))]) if system.ordinary else rhs
        sol = scipy.linalg.lu_solve(factor.lu, b, check_finite=False)
        w = sol[:n]
        estimates[start:stop] = (system.table.T @ w).T + system.shift
        wc = np.einsum("nm,nm->m", w, rhs)
        mu = sol[n] if system.ordinary else np.zeros(stop - start)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = _diagnostics(wc, mu, system.block_variance, system.ordinary,
                                  system.bounded)
        for key, value in zip(out, values, strict=True):
            out[key][start:stop] = value
    if not diagnostics:
        return estimates, {}
    out.update(distances)
    return estimates, out


def _global_rhs(system: System, coords: np.ndarray) -> np.ndarray:
    """Covariances between every sample and the targets (or their blocks), (n, m)."""
    targets = reduce(system, coords)
    if not system.block.shape[0]:
        return covariance_between(system, system.samples, targets)
    rhs = np.zeros((system.samples.shape[0], coords.shape[0]))
    for point in system.block:
        rhs += covariance_between(system, system.samples, targets + point)
    rhs /= system.block.shape[0]
    return rhs


def leave_out_global(
    system: System, factor: GlobalFactor, groups: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """
    Leave-one-out (or leave-group-out) errors (n, c) and variances (n,) of global kriging.

    Dubrule's (1983) shortcut: with ``B`` the inverse of the full kriging matrix and
    ``r = B [z - m; 0]``, the errors (estimate - true) of the samples of a left-out
    group ``G`` are ``-(B_GG)^-1 r_G`` and their kriging variances the diagonal of
    ``(B_GG)^-1``.
    """
    n = system.samples.shape[0]
    size = factor.lu[0].shape[0]
    inverse = scipy.linalg.lu_solve(factor.lu, np.eye(size), check_finite=False)
    z = np.zeros((size, system.table.shape[1]))
    z[:n] = system.table
    r = inverse @ z
    if groups is None:
        d = np.diag(inverse)[:n]
        return -r[:n] / d[:, None], 1.0 / d
    errors = np.empty((n, z.shape[1]))
    variance = np.empty(n)
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for members in np.split(order, bounds):
        sub = np.linalg.inv(inverse[np.ix_(members, members)])
        errors[members] = -(sub @ r[members])
        variance[members] = np.diag(sub)
    return errors, variance
