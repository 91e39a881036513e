"""
Cut-off binning for grade-tonnage tables over large block arrays (private).

A grade-tonnage table needs, for every cut-off, sums over the blocks at or above it.
Every block falls in one bin between consecutive cut-offs, so one weighted
``bincount`` per quantity and a cumulative sum from the top give every cut-off at once.

The bin of a grade is found without a search: a uniform lookup grid over the cut-off
range gives a first guess that comparisons with the neighbouring cut-offs correct
(exact, also for grades equal to a cut-off, whatever the rounding of the arithmetic).
Evenly spaced cut-offs need one correction step; uneven ones a few more. Work runs
in cache-sized chunks shared among threads.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._lognormal_gt import default_workers
from .errors import InputError

CHUNK = 65_536


@dataclasses.dataclass(frozen=True)
class BinPlan:
    """Lookup grid and edges that turn grades into cut-off bin numbers."""

    lo: float
    inv_width: float
    n_cells: int
    lut: np.ndarray  # bin of each cell's lower edge; index 0 = below lo, n_cells + 1 = above
    lower: np.ndarray  # lower[k] = lower edge of bin k (-inf for bin 0)
    upper: np.ndarray  # upper[k] = upper edge of bin k (+inf for the top bin)
    up_steps: int
    n_cutoffs: int

    @classmethod
    def for_cutoffs(cls, cutoffs: np.ndarray) -> BinPlan:
        c = np.asarray(cutoffs, dtype=float)
        n = c.size
        lo, hi = float(c[0]), float(c[-1])
        if n == 1 or hi <= lo:
            n_cells = 1
            width = 1.0
        else:
            steps = np.diff(c)
            even = np.allclose(steps, steps[0], rtol=1e-9, atol=0.0)
            n_cells = n - 1 if even else min(8 * n, 1 << 20)
            width = (hi - lo) / n_cells
        edges = lo + width * np.arange(n_cells + 1)
        lut = np.empty(n_cells + 2, dtype=np.intp)
        lut[0] = 0
        lut[1:] = np.searchsorted(c, edges, side="right")
        lut[-1] = n
        lower = np.concatenate([[-np.inf], c])
        upper = np.concatenate([c, [np.inf]])
        per_cell = int(np.max(np.diff(lut))) if lut.size > 1 else 1
        return cls(lo, 1.0 / width, n_cells, lut, lower, upper, per_cell + 1, n)

    def bins(self, grade: np.ndarray, nan: np.ndarray | None) -> np.ndarray:
        """Bin number of each grade: k cut-offs are <= grade; NaN grades get n + 1."""
        u = grade - self.lo
        u *= self.inv_width
        u += 1.0
        if nan is not None:
            u[nan] = 0.0
        np.clip(u, 0.0, self.n_cells + 1.0, out=u)
        cell = u.astype(np.intp)
        k = self.lut.take(cell)
        # Corrections: the cell's guess may be one too high (rounding) or too low.
        k -= grade < self.lower.take(k)
        for _ in range(self.up_steps):
            k += grade >= self.upper.take(k, mode="clip")
        if nan is not None:
            k[nan] = self.n_cutoffs + 1
        return k


def _rows(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape[:-1])) if len(shape) > 1 else 1


def binned_sums(
    grade: np.ndarray,
    tonnage: np.ndarray,
    others: list[np.ndarray],
    cutoffs: np.ndarray,
    groups: np.ndarray | None,
    n_groups: int,
    grade_max: float,
    workers: int | None,
    *,
    start: int | None = 0,
    chunk: int | None = None,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """
    Per-bin sums of tonnage, tonnage x grade and tonnage x other grades.

    `grade` is (R, n); `tonnage` broadcastable to it; `others` each (R, n); `groups`
    (n,) codes in [0, n_groups). Returns arrays of shape (R, n_groups, n_cutoffs + 2):
    bin k < n_cutoffs + 1 holds grades with k cut-offs at or below them, the last bin
    the NaN grades; and, per other grade, the tonnage of each bin where that grade is
    NaN (not estimated: left out of its sum). Raises InputError on negative or
    over-range values and invalid tonnages, naming the first offender.

    The blocks may be one chunk of a larger array (a Dask chunk): `start` is the number
    of its first block, so messages name blocks of the whole array; None when it is not
    known, and messages then name the block within chunk number `chunk`. The sums of
    chunks add up to the sums of the whole.
    """
    plan = BinPlan.for_cutoffs(cutoffs)
    n_rows, n = grade.shape
    n_bins = plan.n_cutoffs + 2
    width = n_groups * n_bins
    tonnage = np.broadcast_to(tonnage, grade.shape)
    # Work units: (row, start, stop) slices of at most CHUNK values.
    units = [(r, s, min(s + CHUNK, n)) for r in range(n_rows) for s in range(0, n, CHUNK)]

    def run(
        part: list[tuple[int, int, int]],
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
        ton = np.zeros((n_rows, width))
        met = np.zeros((n_rows, width))
        oth = [np.zeros((n_rows, width)) for _ in others]
        gap = [np.zeros((n_rows, width)) for _ in others]
        for r, s, e in part:
            g = grade[r, s:e]
            t = tonnage[r, s:e]
            nan = _check_chunk(g, t, s, grade_max, start, chunk)
            k = plan.bins(g, nan)
            if groups is not None:
                k += groups[s:e] * n_bins
            ton[r] += np.bincount(k, t, minlength=width)
            tg = g * t
            if nan is not None:
                tg[nan] = 0.0
            met[r] += np.bincount(k, tg, minlength=width)
            for acc, missing, other in zip(oth, gap, others, strict=True):
                o = other[r, s:e]
                if nan is not None:
                    o = np.where(nan, 0.0, o)
                if np.isnan(o.min()):  # not estimated there: left out, its tonnage kept
                    hole = np.isnan(o)
                    missing[r] += np.bincount(k, np.where(hole, t, 0.0), minlength=width)
                    o = np.where(hole, 0.0, o)
                acc[r] += np.bincount(k, o * t, minlength=width)
        return ton, met, oth, gap

    n_workers = min(default_workers(workers), len(units))
    if n_workers <= 1:
        ton, met, oth, gap = run(units)
    else:
        parts = [units[i::n_workers] for i in range(n_workers)]
        with ThreadPoolExecutor(n_workers) as pool:
            results = list(pool.map(run, parts))
        # Left to right, as the built-in sum() adds them.
        ton = functools.reduce(operator.add, (res[0] for res in results))
        met = functools.reduce(operator.add, (res[1] for res in results))
        oth = [functools.reduce(operator.add, (res[2][i] for res in results))
               for i in range(len(others))]
        gap = [functools.reduce(operator.add, (res[3][i] for res in results))
               for i in range(len(others))]
    shape = (n_rows, n_groups, n_bins)
    return (ton.reshape(shape), met.reshape(shape), [o.reshape(shape) for o in oth],
            [g.reshape(shape) for g in gap])


def _where(pos: int, offset: int | None, chunk: int | None) -> str:
    """``block 1234``, or ``block 12 of chunk 3`` when the chunk's first block is unknown."""
    if offset is not None:
        return f"block {offset + pos}"
    return (f"block {pos} of chunk {chunk} (block numbers of the whole are not known: the "
            f"chunk sizes are not)")


def _check_chunk(
    g: np.ndarray, t: np.ndarray, s: int, grade_max: float, offset: int | None = 0,
    chunk: int | None = None,
) -> np.ndarray | None:
    """
    Raise on negative or over-range grades and negative or NaN tonnages; `s` is the
    position of `g` in the blocks given, `offset` the number of the first of them.

    Returns the NaN mask of the grades, or None when there is no NaN (the usual case,
    found with two reductions and no temporary array).
    """
    lo, hi = g.min(), g.max()
    nan = None
    if np.isnan(lo):
        nan = np.isnan(g)
        valid = g[~nan]
        lo, hi = (valid.min(), valid.max()) if valid.size else (0.0, 0.0)
    if lo < 0:
        pos = int(np.flatnonzero(g < 0)[0])
        raise InputError(
            f"grade has a negative value {g[pos]} at {_where(s + pos, offset, chunk)}; grades "
            f"must be >= 0"
        )
    if hi > grade_max:
        pos = int(np.flatnonzero(g > grade_max)[0])
        raise InputError(
            f"grade {g[pos]} at {_where(s + pos, offset, chunk)} is over 100 % ({grade_max:g} "
            f"in its unit); check the grade unit"
        )
    if not t.min() >= 0:
        pos = int(np.flatnonzero(~(t >= 0))[0])
        raise InputError(
            f"tonnage_t has an invalid value {t[pos]} at {_where(s + pos, offset, chunk)}; "
            f"tonnages must be finite and >= 0"
        )
    return nan
