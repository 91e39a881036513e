"""
The numpy twin of the compiled kriging kernels (private).

:func:`raremin.geostats._system.solve_neighbourhoods` solves the kriging system of every
target with a kernel that numba compiles (``bounded`` or ``unbounded`` of
``_system._kernel_functions``). Compiling it takes seconds on a fresh install (later
processes load it from numba's cache), more than a small job costs: such jobs run
:func:`solve` instead while the kernel is not compiled yet. ``tests/test_solve_numpy.py``
holds the two equal.

:func:`solve` has the kernel's contract for the targets it is given (the estimates before
the shift of simple kriging is added, the four diagnostics and the singular flags, in
place) and follows the kernel's algorithm step by step, the operations on every number in
the kernel's order (``_system``'s module docstring states it): the same covariances from
the same shape functions, the same padding of targets with fewer neighbours, the same
right-looking Cholesky factorisation with fused forward solves, pivot test, Schur
complement and back substitution for bounded models, the same Gaussian elimination with
partial pivoting of the bordered system for unbounded ones. Only the loops differ: the
kernel's innermost loop runs over a few targets (one per SIMD lane), here every step is
one numpy operation over a batch of targets (the last, contiguous axis of every buffer),
so that the Python loops run over matrix columns, never over targets. Sums over a
target's neighbours are loops too (no pairwise summation), so the results are the
kernel's bit for bit wherever numpy's ``exp`` and ``sqrt`` round as the compiled ones do
(they did where the tests were written), and equal to rounding elsewhere. Unbounded
models are kriged as ordinary kriging whatever ``system.ordinary`` says, as by the kernel.

Targets are solved in order of their neighbour count, in batches whose matrix stack holds
at most ``BATCH_ELEMENTS`` numbers: a batch is padded to its largest count only, and
memory stays bounded (a few such stacks, some 40 MB) whatever the number of targets. On
one thread it takes about 3 (8 neighbours) to 6 (32) times the compiled kernel's time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _system
from .models import _unit_covariance

__all__: list[str] = []

#: Most elements of one batch's stack of kriging matrices, (k + 1)**2 per target.
BATCH_ELEMENTS = 2**20


def solve(
    system: _system.System,
    targets: np.ndarray,
    index: np.ndarray,
    count: np.ndarray,
    distance: np.ndarray,
    todo: np.ndarray,
    estimates: np.ndarray,
    diagnostics: np.ndarray,
    bad: np.ndarray,
    weights: np.ndarray | None = None,
) -> None:
    """
    Solve the kriging systems of targets `todo`, in place, as the compiled kernels do.

    Parameters
    ----------
    system : raremin.geostats._system.System
        The model, samples and support.
    targets : numpy.ndarray, shape (m, S d)
        Reduced target coordinates (``_system.reduce``).
    index : numpy.ndarray of int64, shape (m, k)
        Neighbours' sample rows, the first ``count`` of each row used.
    count : numpy.ndarray of int64, shape (m,)
        Number of neighbours of each target.
    distance : numpy.ndarray, shape (m, k)
        Distances target-neighbour, metres: 0 puts the nugget into a point's
        right-hand side. Units: m.
    todo : numpy.ndarray of int64
        The targets to solve (rows of the arrays above).
    estimates : numpy.ndarray, shape (m, c)
        Receives ``sum w z`` of every value column (without ``system.shift``).
    diagnostics : numpy.ndarray, shape (4, m)
        Receives variance, slope, efficiency and lagrange (``_system._diagnostics``).
    bad : numpy.ndarray of bool, shape (m,)
        Receives True where the system is singular (bounded: a squared Cholesky pivot
        not above ``PIVOT_TOLERANCE * c0``; unbounded: an exactly zero pivot or a
        non-finite solution), False elsewhere; a singular target's numbers are
        meaningless.
    weights : numpy.ndarray, shape (m, k), optional
        Receives each target's kriging weights, one per neighbour (0 for padding): for
        estimators that apply one set of weights to many value vectors (simulation).

    Notes
    -----
    Only rows `todo` of the outputs are written, and the numbers of a target do not
    depend on the others: disjoint sets of targets may be solved on different threads.
    """
    todo = np.asarray(todo, dtype=np.int64)
    if not todo.size:
        return
    data = _Data(
        system=system,
        samples=np.ascontiguousarray(system.samples.T),
        table=np.ascontiguousarray(system.table.T),
        targets=targets,
        index=index,
        count=count,
        distance=distance,
    )
    ordered = todo[np.argsort(count[todo], kind="stable")]
    step = max(1, BATCH_ELEMENTS // (index.shape[1] + 1) ** 2)
    batch = _bounded if system.bounded else _unbounded
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for start in range(0, ordered.size, step):
            rows = ordered[start:start + step]
            w = batch(data, rows, estimates, diagnostics, bad)
            if weights is not None:
                weights[rows] = 0.0
                weights[rows, :w.shape[0]] = w.T


class _Data(NamedTuple):
    """The inputs of :func:`solve`, the samples' columns and the values transposed."""

    system: _system.System
    samples: np.ndarray  # (S d, n)
    table: np.ndarray  # (c, n)
    targets: np.ndarray
    # Fields named like tuple's index() and count() methods: mypy flags the override.
    index: np.ndarray  # type: ignore[assignment]
    count: np.ndarray  # type: ignore[assignment]
    distance: np.ndarray


# ----------------------------------------------------------------------- one batch
# Buffers have the batch's targets on their last, contiguous axis (b): P (S d, kmax, b)
# the offsets of the neighbours from their target, M (kmax, kmax, b) the matrix (row j
# holds column j of C's lower triangle, then of L, as in the kernel), valid (kmax, b) 1
# for a neighbour and 0 for padding.


def _bounded(data, rows, estimates, diagnostics, bad):  # type: ignore[no-untyped-def]
    """
    One batch of a bounded model: Cholesky, Schur complement, back substitution.

    Returns the weights (kmax, b), 0 for padding.
    """
    system = data.system
    valid, P = _gather(data, rows)
    kmax, b = valid.shape
    M = _lhs(system, P, valid, symmetric=False)
    ordinary = system.ordinary
    B = np.empty((2 if ordinary else 1, kmax, b))
    B[0] = _rhs(data, P, valid, rows)
    if ordinary:
        B[1] = valid
    ok = _cholesky(M, B, _system.PIVOT_TOLERANCE * system.c0)
    y = B[0]
    yy = np.zeros(b)
    for i in range(kmax):
        yy += y[i] * y[i]
    if ordinary:
        y1 = B[1]
        yy1 = np.zeros(b)
        y1y1 = np.zeros(b)
        for i in range(kmax):
            yy1 += y[i] * y1[i]
            y1y1 += y1[i] * y1[i]
        mu = (yy1 - 1.0) / y1y1
        wc = yy - mu * yy1
        y -= mu * y1
    else:
        mu = np.zeros(b)
        wc = yy
    values = _system._diagnostics(wc, mu, system.block_variance, ordinary, True)
    for row, value in enumerate(values):
        diagnostics[row, rows] = value
    w = y  # L' w = y - mu y1, column by column
    for j in range(kmax - 1, -1, -1):
        w[j] /= M[j, j]
        if j:
            w[:j] -= w[j] * M[:j, j]
    estimates[rows] = _weighted_sums(data, rows, valid, w)
    bad[rows] = ~ok
    return w * valid


def _unbounded(data, rows, estimates, diagnostics, bad):  # type: ignore[no-untyped-def]
    """
    One batch of an unbounded model: the bordered system of each target (its ``kt``
    neighbours, then the row of ones at position ``kt``) padded with the identity up to
    the batch's ``kmax + 1``, solved by Gaussian elimination with partial pivoting.

    Returns the weights (kmax, b), 0 for padding.
    """
    system = data.system
    valid, P = _gather(data, rows)
    kmax, b = valid.shape
    n = kmax + 1
    kt = data.count[rows]
    position = np.arange(n)[:, None]
    border = (position == kt).astype(float)
    inside = (position < kt).astype(float)
    A = np.zeros((n, n, b))
    A[:kmax, :kmax] = _lhs(system, P, valid, symmetric=True)
    A[:kmax, :kmax] *= valid[:, None, :] * valid[None, :, :]  # padding's c0 too
    A += border[:, None, :] * inside[None, :, :]
    A += inside[:, None, :] * border[None, :, :]
    diagonal = np.arange(n)
    A[diagonal, diagonal] += (position > kt).astype(float)
    rhs = _rhs(data, P, valid, rows)
    x = np.zeros((n, b))
    x[:kmax] = rhs
    x += border
    singular = _lu_solve(A, x)
    bad[rows] = singular | ~np.isfinite(x).all(axis=0)
    wc = np.zeros(b)
    for i in range(kmax):  # rhs is 0 from kt on, so the multiplier adds nothing
        wc += x[i] * rhs[i]
    mu = np.take_along_axis(x, kt[None, :], axis=0)[0]
    values = _system._diagnostics(wc, mu, system.block_variance, True, False)
    for row, value in enumerate(values):
        diagnostics[row, rows] = value
    estimates[rows] = _weighted_sums(data, rows, valid, x[:kmax])
    return x[:kmax] * valid


# ------------------------------------------------------------------ the two sides


def _gather(data, rows):  # type: ignore[no-untyped-def]
    """``valid`` (kmax, b) and the neighbours' offsets from their targets ``P``."""
    kt = data.count[rows]
    kmax = int(kt.max())
    inside = np.arange(kmax)[:, None] < kt
    neighbours = np.where(inside, data.index[rows, :kmax].T, -1)
    used = neighbours >= 0
    np.maximum(neighbours, 0, out=neighbours)
    P = np.empty((data.samples.shape[0], kmax, rows.size))
    for a, column in enumerate(data.samples):
        np.subtract(column[neighbours], data.targets[rows, a], out=P[a])
    P *= used  # zeros in the padding, as the kernel writes
    return inside.astype(float), P


def _squared(diffs):  # type: ignore[no-untyped-def]
    """``h**2``: the sum of the squares of `diffs` (new arrays, reused), in the kernel's order."""
    h2 = next(diffs)
    h2 *= h2
    for diff in diffs:
        diff *= diff
        h2 += diff
    return h2


def _lhs(system, P, valid, symmetric):  # type: ignore[no-untyped-def]
    """
    C (kmax, kmax, b): ``sum_s sill_s cov_s(h2)``, the nugget on the diagonal, the
    identity times ``c0`` in the padding. Row j holds column j of the lower triangle
    (and, if `symmetric`, row j of the upper one; else zeros there).

    The pairs ``i >= j`` are packed column after column (column j: rows
    ``first[j]:first[j + 1]``), so that the shape functions run once over all of them.
    """
    kmax, b = valid.shape
    d = system.ndim
    first = np.concatenate([[0], np.cumsum(np.arange(kmax, 0, -1))])
    packed = np.zeros((first[-1], b))
    h2 = np.empty_like(packed)
    for s, (code, sill) in enumerate(zip(system.codes, system.sills, strict=True)):
        for j in range(kmax):
            out = h2[first[j]:first[j + 1]]
            for a in range(s * d, s * d + d):
                diff = P[a, j:] - P[a, j]  # P[i] - P[j], i >= j
                if a == s * d:
                    np.multiply(diff, diff, out=out)
                else:
                    diff *= diff
                    out += diff
        part = _unit_covariance(int(code), h2)
        part *= sill
        packed += part
    padded = kmax and (valid[-1] == 0.0).any()
    M = np.zeros((kmax, kmax, b))
    for j in range(kmax):
        column = packed[first[j]:first[j + 1]]
        if padded:
            column *= valid[j:] * valid[j]
        M[j, j:] = column
        if symmetric:
            M[j:, j] = column
    diagonal = np.arange(kmax)
    M[diagonal, diagonal] += valid * system.nugget + (1.0 - valid) * system.c0
    return M


def _rhs(data, P, valid, rows):  # type: ignore[no-untyped-def]
    """
    Covariances neighbour-target (kmax, b), plus the nugget where the target is on the
    neighbour, or for blocks the mean covariances neighbour-discretisation point
    (no nugget); 0 in the padding.
    """
    system = data.system
    kmax, b = valid.shape
    d = system.ndim
    block = system.block
    points = block.shape[0]
    rhs = np.zeros((kmax, b))
    for s, (code, sill) in enumerate(zip(system.codes, system.sills, strict=True)):
        acc = np.zeros((kmax, b))
        for p in range(points if points else 1):
            point = block[p] if points else np.zeros(P.shape[0])
            h2 = _squared(P[a] - point[a] for a in range(s * d, s * d + d))
            part = _unit_covariance(int(code), h2)
            part *= sill
            acc += part
        if points:
            acc /= points
        rhs += acc
    rhs *= valid
    if not points:
        on_sample = data.distance[rows, :kmax].T == 0.0
        rhs += system.nugget * (on_sample & (valid > 0.0))
    return rhs


# ------------------------------------------------------------------------- solving


def _cholesky(M, B, floor):  # type: ignore[no-untyped-def]
    """
    ``C = L L'`` in place (right-looking) with the forward solves of B's rows fused in.

    Returns ``ok`` (b,): False where a squared pivot is not above `floor` (or is NaN).
    Every element of the lower triangle receives the updates of the columns before it
    in increasing order, ``x - a b`` each, as in the kernel (row by row of the trailing
    matrix: contiguous runs, no work on the upper triangle, which is never read).
    """
    kmax, _, b = M.shape
    ok = np.ones(b, dtype=np.bool_)
    product = np.empty((kmax, b))
    for j in range(kmax):
        pivot = np.sqrt(M[j, j])
        ok &= pivot * pivot > floor
        M[j, j] = pivot
        inverse = 1.0 / pivot
        column = M[j, j + 1:]
        column *= inverse
        B[:, j] *= inverse
        if j + 1 == kmax:
            break
        B[:, j + 1:] -= B[:, j, None, :] * column[None, :, :]
        for q in range(kmax - j - 1):  # row m = j + 1 + q: M[m, i] -= M[j, m] M[j, i]
            out = product[: kmax - j - 1 - q]
            np.multiply(column[q], column[q:], out=out)
            row = M[j + 1 + q, j + 1 + q:]
            np.subtract(row, out, out=row)
    return ok


def _lu_solve(A, x):  # type: ignore[no-untyped-def]
    """
    Solve ``A x = rhs`` (n, n, b) in place, partial pivoting as ``_system._lu_solve``
    (the first largest pivot; the pivot row's swap covers the whole rows, whose columns
    already eliminated are never read again). Returns True (b,) where a pivot is 0.
    """
    n, _, b = A.shape
    lanes = np.arange(b)
    singular = np.zeros(b, dtype=np.bool_)
    for j in range(n):
        size = np.abs(A[j:, j])
        p = j + np.argmax(size, axis=0)
        singular |= size[p - j, lanes] == 0.0
        swap = np.flatnonzero(p != j)
        if swap.size:
            q = p[swap]
            rows_j = A[j][:, swap]
            A[j][:, swap] = A[q, :, swap].T
            A[q, :, swap] = rows_j.T
            xj = x[j, swap]
            x[j, swap] = x[q, swap]
            x[q, swap] = xj
        if j + 1 < n:
            f = A[j + 1:, j] * (1.0 / A[j, j])
            A[j + 1:, j + 1:] -= f[:, None, :] * A[j, None, j + 1:]
            x[j + 1:] -= f * x[j]
    for j in range(n - 1, -1, -1):
        total = x[j].copy()
        for m in range(j + 1, n):
            total -= A[j, m] * x[m]
        x[j] = total / A[j, j]
    return singular


def _weighted_sums(data, rows, valid, w):  # type: ignore[no-untyped-def]
    """``sum_i w_i z_i`` (b, c) over each target's neighbours, in the kernel's order."""
    kmax, b = valid.shape
    neighbours = np.maximum(data.index[rows, :kmax], 0).T  # (kmax, b)
    total = np.zeros((data.table.shape[0], b))
    for i in range(kmax):
        z = data.table[:, neighbours[i]]
        z *= valid[i]  # padding: 0, whatever the index
        total += w[i] * z
    return total.T
