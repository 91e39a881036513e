"""
Lognormal grade-tonnage tables for many distributions x many cut-offs (private).

The work is cut into row blocks of about 65,000 values whose temporaries live in
per-thread buffers that stay in cache, and the blocks are shared among threads
(numpy releases the GIL), so a table of 10,000 distributions x 200 cut-offs costs a
few ``numpy.exp`` passes over the same shape.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import special

from . import _normal
from .errors import InputError

_BLOCK_VALUES = 65_536  # values per block (buffers of 512 KiB)
_MIN_SIGMA = 1e-4  # below this the exact (scipy) path is used: table indices stay in range
_LOG_ZERO = -1e6  # stands for log(0): a grade of exp(-1e6) is zero to any purpose


def default_workers(workers: int | None) -> int:
    """Number of threads: `workers`, or the CPUs this process may use."""
    if workers is not None:
        if int(workers) < 1:
            raise InputError(f"workers must be >= 1; got {workers}")
        return int(workers)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _exact(mu, sigma, log_c, s_ton, s_con):
    """The same table with scipy's log_ndtr (used for tiny sigma)."""
    d = (mu[:, None] - log_c) / sigma[:, None]
    lt = special.log_ndtr(d)
    lc = special.log_ndtr(d + sigma[:, None])
    mean = np.exp(mu + 0.5 * sigma**2)[:, None] * np.exp(lc - lt)
    return s_ton[:, None] * np.exp(lt), s_con[:, None] * np.exp(lc), mean


def lognormal_grade_tonnage(
    mu: np.ndarray,
    sigma: np.ndarray,
    cutoffs: np.ndarray,
    scale_tonnage: np.ndarray | float,
    scale_contained: np.ndarray | float,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Tonnage, contained and mean grade above each cut-off, shape ``batch + (n_cutoffs,)``.

    With ``d = (mu - ln c) / sigma`` and ``m = exp(mu + sigma**2 / 2)``:
    ``tonnage = scale_tonnage * Phi(d)``, ``contained = scale_contained * Phi(d + sigma)``
    and ``mean = m * Phi(d + sigma) / Phi(d)``; where ``Phi(d)`` underflows to 0 the
    mean is NaN and the contained quantity 0.
    Passing ``scale_contained = tonnage * m * unit_factor`` gives tonnes of metal.
    Cut-offs must be finite and >= 0 (checked by the caller).
    """
    mu, sigma, s_ton, s_con = np.broadcast_arrays(
        np.asarray(mu, float), np.asarray(sigma, float), scale_tonnage, scale_contained
    )
    batch = mu.shape
    n_c = cutoffs.size
    mu, sigma = mu.ravel(), sigma.ravel()
    s_ton = np.ascontiguousarray(s_ton, dtype=float).ravel()
    s_con = np.ascontiguousarray(s_con, dtype=float).ravel()
    with np.errstate(divide="ignore"):
        log_c = np.maximum(np.log(cutoffs), _LOG_ZERO)
    shape = batch + (n_c,)
    if mu.size and sigma.min() < _MIN_SIGMA:
        out = _exact(mu, sigma, log_c, s_ton, s_con)
        return tuple(a.reshape(shape) for a in out)  # type: ignore[return-value]

    mean_all = np.exp(mu + 0.5 * sigma * sigma)
    rows = mu.size
    # Table abscissa u = d * SCALE + OFFSET = a - b ln c (and a + sigma * SCALE - b ln c
    # for the upper function): one small matrix product per block writes each u once.
    b = _normal.SCALE / sigma
    a = mu * b + _normal.OFFSET
    coef_lower = np.stack([b, a], axis=1)
    coef_upper = np.stack([b, a + sigma * _normal.SCALE], axis=1)
    basis = np.stack([-log_c, np.ones(n_c)])
    ton = np.empty((rows, n_c))
    con = np.empty((rows, n_c))
    mean = np.empty((rows, n_c))
    step = max(1, _BLOCK_VALUES // max(n_c, 1))

    def run(start: int, stop: int) -> None:
        size = step * n_c
        u_buf = np.empty(size)
        work = (np.empty(size, dtype=np.intp), np.empty(size), np.empty(size))
        for i in range(start, stop, step):
            j = min(i + step, stop)
            m = (j - i) * n_c
            u = u_buf[:m].reshape(j - i, n_c)
            t_blk, c_blk, m_blk = ton[i:j], con[i:j], mean[i:j]
            buffers = tuple(w[:m] for w in work)
            np.matmul(coef_lower[i:j], basis, out=u)
            _normal.log_ndtr_into(u_buf[:m], t_blk.reshape(-1), *buffers)
            np.matmul(coef_upper[i:j], basis, out=u)
            _normal.log_ndtr_into(u_buf[:m], c_blk.reshape(-1), *buffers)
            np.exp(t_blk, out=t_blk)
            np.exp(c_blk, out=c_blk)
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(c_blk, t_blk, out=m_blk)
            if not t_blk.all():  # Phi(d) underflowed: nothing above the cut-off
                nothing = t_blk == 0
                m_blk[nothing] = np.nan
                c_blk[nothing] = 0.0
            m_blk *= mean_all[i:j, None]
            t_blk *= s_ton[i:j, None]
            c_blk *= s_con[i:j, None]

    n_workers = min(default_workers(workers), max(1, rows // step))
    if n_workers == 1:
        run(0, rows)
    else:
        bounds = np.linspace(0, rows, n_workers + 1).astype(int)
        with ThreadPoolExecutor(n_workers) as pool:
            list(pool.map(run, bounds[:-1], bounds[1:]))
    return ton.reshape(shape), con.reshape(shape), mean.reshape(shape)
