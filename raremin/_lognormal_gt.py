"""
Lognormal grade-tonnage tables for many distributions x many cut-offs (private).

Work is split into row blocks of about 16,000 values so every temporary stays in
cache, and the blocks are shared among threads (numpy releases the GIL), so a table
of 10,000 distributions x 200 cut-offs costs a handful of ``numpy.exp`` passes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _normal

_BLOCK_VALUES = 16_384


def default_workers(workers: int | None) -> int:
    """Number of threads: `workers`, or the CPUs this process may use."""
    if workers is not None:
        if int(workers) < 1:
            from .errors import InputError

            raise InputError(f"workers must be >= 1; got {workers}")
        return int(workers)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def lognormal_grade_tonnage(
    mu: np.ndarray,
    sigma: np.ndarray,
    cutoffs: np.ndarray,
    scale_tonnage: np.ndarray,
    scale_contained: np.ndarray,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Tonnage, contained and mean grade above each cut-off, shape ``batch + (n_cutoffs,)``.

    ``tonnage = scale_tonnage * P(Z >= c)``, ``contained = scale_contained *
    E[Z 1{Z >= c}] / m`` where ``m`` is the lognormal mean (so passing
    ``scale_contained = tonnage * m * unit_factor`` gives tonnes of metal), and
    ``mean = m * Phi(d + sigma) / Phi(d)`` (NaN where nothing lies above the cut-off).
    """
    mu, sigma, s_ton, s_con = np.broadcast_arrays(
        np.asarray(mu, float), np.asarray(sigma, float), scale_tonnage, scale_contained
    )
    batch = mu.shape
    n_c = cutoffs.size
    mu, sigma = mu.ravel(), sigma.ravel()
    s_ton, s_con = s_ton.ravel(), s_con.ravel()
    mean_all = np.exp(mu + 0.5 * sigma * sigma)
    rows = mu.size
    # u = d * SCALE + OFFSET with d = (mu - ln c) / sigma, so u = a - b * ln c.
    inv = _normal.SCALE / sigma
    a = mu * inv + _normal.OFFSET
    shift = sigma * _normal.SCALE
    with np.errstate(divide="ignore"):
        log_c = np.log(cutoffs)
    ton = np.empty((rows, n_c))
    con = np.empty((rows, n_c))
    mean = np.empty((rows, n_c))
    step = max(1, _BLOCK_VALUES // max(n_c, 1))

    def run(start: int, stop: int) -> None:
        for i in range(start, stop, step):
            j = min(i + step, stop)
            u = np.multiply.outer(inv[i:j], -log_c)
            u += a[i:j, None]
            u_up = u + shift[i:j, None]
            lt = _normal.log_ndtr_from_index(u)
            lc = _normal.log_ndtr_from_index(u_up)
            t_blk, c_blk, m_blk = ton[i:j], con[i:j], mean[i:j]
            np.exp(lt, out=t_blk)
            np.exp(lc, out=c_blk)
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(c_blk, t_blk, out=m_blk)
            m_blk *= mean_all[i:j, None]
            t_blk *= s_ton[i:j, None]
            c_blk *= s_con[i:j, None]

    n_workers = min(default_workers(workers), max(1, rows // step))
    if n_workers == 1 or rows * n_c < 4 * _BLOCK_VALUES:
        run(0, rows)
    else:
        bounds = np.linspace(0, rows, n_workers + 1).astype(int)
        with ThreadPoolExecutor(n_workers) as pool:
            list(pool.map(run, bounds[:-1], bounds[1:]))
    # Zero-width cut-off handling: at or below 0 every grade is above the cut-off.
    shape = batch + (n_c,)
    return ton.reshape(shape), con.reshape(shape), mean.reshape(shape)
