"""
A fast, accurate standard normal CDF for large grade-tonnage tables (private).

``scipy.special.ndtr`` costs about eleven ``numpy.exp`` per value. Grade-tonnage
tables of many distributions by many cut-offs spend nearly all their time there, so
this module evaluates ``log Phi(x)`` from a table of quadratic pieces (interpolating
``log Phi`` at the ends and the middle of intervals 1/1024 wide on [-40, 10], values
from ``scipy.special.log_ndtr``) and returns its exponential. Working in ``log Phi``
keeps the error relative, also deep in the lower tail: the relative error of ``Phi``
is below 3e-12 on [-37, 10] (checked in ``tests/test_distributions.py``). Below -37,
``Phi`` is under 1e-299; above 10 it is 1 to double precision.

Index arithmetic is left to the caller (``u = x * SCALE + OFFSET``) so that it can be
folded into the caller's own passes over the data; indices outside the table are
clipped by ``take(mode="clip")``, which evaluates the end pieces.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import special

_LO = -40.0
_HI = 10.0
_STEPS_PER_UNIT = 1024

#: Scale and offset that map x to the table abscissa u = x * SCALE + OFFSET.
SCALE = float(_STEPS_PER_UNIT)
OFFSET = -_LO * _STEPS_PER_UNIT


@functools.cache
def table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pieces of log Phi = q0 + q1 t + q2 t**2 with t in [0, 1) on each interval."""
    n = int(round((_HI - _LO) * _STEPS_PER_UNIT))
    h = 1.0 / _STEPS_PER_UNIT
    nodes = _LO + h * np.arange(n + 1)
    left = special.log_ndtr(nodes[:-1])
    right = special.log_ndtr(nodes[1:])
    middle = special.log_ndtr(nodes[:-1] + 0.5 * h)
    q2 = 2.0 * (right - 2.0 * middle + left)
    q1 = right - left - q2
    return left, q1, q2


def log_ndtr_into(
    u: np.ndarray, out: np.ndarray, index: np.ndarray, frac: np.ndarray, gather: np.ndarray
) -> None:
    """
    Write log Phi(x) into `out` for ``u = x * SCALE + OFFSET`` (all 1-D, same length).

    `index` (intp), `frac` and `gather` (float) are work buffers, so no temporary is
    allocated. `u` must be finite and below about 9e18 in magnitude; indices outside
    the table are clipped, which evaluates the end pieces.
    """
    q0, q1, q2 = table()
    np.floor(u, out=frac)
    np.copyto(index, frac, casting="unsafe")
    np.subtract(u, frac, out=frac)
    q2.take(index, out=out, mode="clip")
    out *= frac
    out += q1.take(index, out=gather, mode="clip")
    out *= frac
    out += q0.take(index, out=gather, mode="clip")


def ndtr_fast(x: np.ndarray) -> np.ndarray:
    """
    Standard normal CDF of finite `x`, relative error below 3e-12 on [-37, 10].

    Examples
    --------
    >>> import numpy as np
    >>> from raremin._normal import ndtr_fast
    >>> ndtr_fast(np.array([0.0])).round(12)
    array([0.5])
    """
    x = np.asarray(x, dtype=float).ravel()
    u = np.clip(x, _LO, _HI) * SCALE + OFFSET
    out = np.empty_like(u)
    log_ndtr_into(u, out, np.empty(u.size, dtype=np.intp), np.empty_like(u), np.empty_like(u))
    return np.exp(out, out=out)
