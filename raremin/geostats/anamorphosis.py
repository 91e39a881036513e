"""
Gaussian anamorphosis: the normal-score transform and Hermite expansions.

Simulation and change-of-support models work with a standard normal variable ``Y``
and a function ``Z = phi(Y)`` (the anamorphosis) that turns it into grades. This module
builds ``phi`` from samples in two ways:

- :class:`NormalScores`: the GSLIB normal-score transform (programs ``nscore`` and
  ``backtr``): a table of (value, normal score) pairs from the weighted cumulative
  distribution of the data, linear interpolation between them and tail models beyond
  them. It is the transform of sequential Gaussian simulation: the back-transform of the
  transform returns the data exactly.
- :class:`HermiteAnamorphosis`: ``phi`` expanded on normalised Hermite polynomials,
  ``phi(y) = sum_n psi_n eta_n(y)``, the form the discrete Gaussian model of change of
  support needs (block anamorphosis ``phi_r``, block variance, tonnage and metal above
  cut-offs in closed form).

Both take declustering weights (:func:`raremin.geostats.cell_declustering`). Values keep
the unit of the data (ppm, %, ...); normal scores have no unit.

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.anamorphosis import HermiteAnamorphosis, NormalScores
>>> grades_ppm = np.array([120.0, 80.0, 450.0, 200.0, 95.0])
>>> ns = NormalScores().fit(grades_ppm)
>>> ns.scores_.round(3)
array([ 0.   , -1.282,  1.282,  0.524, -0.524])
>>> ns.back_transform(ns.scores_)
array([120.,  80., 450., 200.,  95.])
>>> hermite = HermiteAnamorphosis(n_terms=10).fit(grades_ppm)
>>> float(hermite.mean_)
189.0
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .._validation import as_float_array, check_finite
from ..errors import InputError

__all__ = ["HermiteAnamorphosis", "NormalScores"]

#: Grid step (in Gaussian units) on which a Hermite anamorphosis is made monotone and
#: inverted for tonnage above cut-offs.
GRID_STEP = 1.0 / 1024.0

#: Normal values are clipped to +-this before Hermite polynomials are evaluated at the
#: breakpoints of a fit (the density there is below 1e-300: those terms are zero).
_Y_CLIP = 37.0

_SQRT_2PI = math.sqrt(2.0 * math.pi)

_TIES = ("average", "gslib")
_LOWER_TAILS = ("linear", "power")
_UPPER_TAILS = ("linear", "power", "hyperbolic")


# ----------------------------------------------------------------------------- checks
def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in choices:
        raise InputError(f"unknown {name} {value!r}; use one of {', '.join(map(repr, choices))}")
    return key


def _check_sample(values: Any, weights: Any) -> tuple[np.ndarray, np.ndarray]:
    """Finite 1-D values (at least two distinct) and positive weights of the same length."""
    z = as_float_array(values, "values")
    if z.ndim != 1:
        raise InputError(
            f"values must be a 1-D array (one value per sample); got shape {z.shape}: "
            f"pass one variable at a time, e.g. frame['grade_ppm'].to_numpy()"
        )
    nan = np.isnan(z)
    if nan.any():
        k = int(np.flatnonzero(nan)[0])
        raise InputError(
            f"values have {int(nan.sum())} NaN (first at position {k}); an anamorphosis "
            f"is fitted to measured values only: drop the unassayed samples (and their "
            f"weights) before fitting"
        )
    z = check_finite(z, "values")
    if z.size < 2 or not np.any(z != z[0]):
        shown = z[0] if z.size else "none"
        raise InputError(
            f"an anamorphosis needs at least two distinct values; got {z.size} value(s), "
            f"all equal to {shown}"
        )
    if weights is None:
        return z, np.ones_like(z)
    w = check_finite(weights, "weights")
    if w.shape != z.shape:
        raise InputError(
            f"weights must have one value per sample: shape {z.shape}; got shape {w.shape}"
        )
    bad = w <= 0
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"weights must be > 0; got {w[k]} at position {k} ({int(bad.sum())} such): a "
            f"sample with no weight has no place in the distribution, remove it and its "
            f"value explicitly (GSLIB nscore drops weights <= 1e-10 silently)"
        )
    return z, w


def _check_n_terms(n_terms: Any) -> int:
    if isinstance(n_terms, bool) or not isinstance(n_terms, numbers.Real):
        raise InputError(f"n_terms must be an integer >= 2; got {n_terms!r}")
    if not float(n_terms).is_integer() or n_terms < 2:
        raise InputError(
            f"n_terms must be an integer >= 2 (the mean and at least one Hermite term; 30 "
            f"to 100 is usual); got {n_terms!r}"
        )
    return int(n_terms) if isinstance(n_terms, numbers.Integral) else int(float(n_terms))


def _check_r(r: Any) -> float:
    """A support coefficient r in (0, 1]."""
    try:
        value = float(r)
    except (TypeError, ValueError):
        raise InputError(
            f"support coefficient r must be a number in (0, 1] (1 = point support); "
            f"got {r!r}"
        ) from None
    if not 0.0 < value <= 1.0:
        raise InputError(
            f"support coefficient r must be in (0, 1] (1 = point support, smaller for "
            f"larger blocks; see support_coefficient); got {r!r}"
        )
    return value


def _scalar(x: np.ndarray) -> Any:
    """A 0-d result as a numpy scalar, anything else unchanged."""
    return x[()] if x.ndim == 0 else x


def _gauss_density(y: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * y * y) / _SQRT_2PI


# ------------------------------------------------------------------- Hermite algebra
def _hermite_sum(y: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """
    ``sum_n c_n eta_n(y)`` for normalised Hermite polynomials, vectorised over `y`.

    ``eta_0 = 1``, ``eta_1 = y``, ``eta_{n+1} = (y eta_n - sqrt(n) eta_{n-1}) /
    sqrt(n + 1)``: one pass over n, each a few array operations.
    """
    out = np.full(y.shape, coefficients[0], dtype=float)
    if coefficients.size == 1:
        return out
    prev = np.ones_like(out)
    cur = np.array(y, dtype=float)
    out += coefficients[1] * cur
    tmp = np.empty_like(out)
    for n in range(1, coefficients.size - 1):
        # eta_{n+1} = (y * eta_n - sqrt(n) * eta_{n-1}) / sqrt(n + 1), into prev
        np.multiply(y, cur, out=tmp)
        prev *= -math.sqrt(n)
        prev += tmp
        prev *= 1.0 / math.sqrt(n + 1)
        prev, cur = cur, prev
        out += coefficients[n + 1] * cur
    return out


def _hermite_gram(y: np.ndarray, n: int, weights: np.ndarray) -> np.ndarray:
    """``[sum_i weights_i eta_k(y_i) for k in 0..n-1]`` by the same recurrence."""
    out = np.empty(n)
    prev = np.ones_like(y)
    out[0] = weights.sum()
    if n == 1:
        return out
    cur = np.array(y, dtype=float)
    out[1] = weights @ cur
    for k in range(1, n - 1):
        nxt = (y * cur - math.sqrt(k) * prev) / math.sqrt(k + 1)
        prev, cur = cur, nxt
        out[k + 1] = weights @ cur
    return out


# ============================================================ Hermite anamorphosis
class HermiteAnamorphosis:
    """
    Gaussian anamorphosis expanded on normalised Hermite polynomials.

    ``Z = phi(Y) = sum_{n=0}^{N-1} psi_n eta_n(Y)`` with ``Y`` standard normal, fitted to
    samples (optionally declustered), and its block version ``phi_r`` of the discrete
    Gaussian model of change of support.

    Parameters
    ----------
    n_terms : int, default 30
        Number of terms N (``psi_0 .. psi_{N-1}``); at least 2. More terms follow the
        data more closely (see ``variance_explained_``) but oscillate more in the tails.

    Attributes
    ----------
    coefficients_ : numpy.ndarray, shape (N,)
        The Hermite coefficients ``psi_n``, in the unit of the values (``psi_0`` is the
        weighted mean; ``psi_1 > 0`` for an increasing anamorphosis).
    mean_ : float
        ``psi_0``, the weighted mean of the values. Units: those of the values.
    variance_ : float
        ``sum_{n>=1} psi_n**2``: the variance of the fitted ``phi(Y)`` (point
        variance of the model). Units: those of the values, squared.
    data_variance_ : float
        Weighted variance of the values (divisor: the sum of the weights).
    variance_explained_ : float
        ``variance_ / data_variance_``; below 1 by the part of the variance the
        truncated expansion misses (Bessel's inequality), close to 1 for a good fit.
    y_range_ : tuple of float
        The Gaussian interval ``(y_lo, y_hi)`` of the data: the normal scores (GSLIB
        midpoints) of the smallest and of the largest value. The anamorphosis is made
        monotone in it and held constant beyond it (see Notes).
    n_values_ : int
        Number of values fitted.

    Notes
    -----
    *Polynomials.* ``eta_n = He_n / sqrt(n!)``, with ``He_n`` the (probabilists')
    Hermite polynomials: ``eta_0 = 1``, ``eta_1(y) = y``,
    ``eta_{n+1}(y) = (y eta_n(y) - sqrt(n) eta_{n-1}(y)) / sqrt(n+1)``; they are
    orthonormal for the standard normal density ``g``: ``E[eta_n(Y) eta_m(Y)] =
    delta_nm``, and ``d/dy [eta_{n-1} g] = -sqrt(n) eta_n g``. Rivoirard (1994) writes
    the polynomials in Rodrigues' form, ``H_n g = g^(n) / sqrt(n!)``, so ``H_1(y) = -y``
    and ``H_n = (-1)**n eta_n``: coefficients in that convention are ``(-1)**n`` times
    ours (check the sign of the first-order coefficient when comparing with other
    software: here ``psi_1 > 0`` for an increasing anamorphosis).

    *Fit.* The empirical anamorphosis is the step function ``phi(y) = z_i`` for ``y`` in
    ``(y_{i-1}, y_i]``, with ``z_1 < ... < z_m`` the distinct values, ``P_i`` the
    weighted cumulative frequency of ``z_i`` (ties pooled) and ``y_i = G^-1(P_i)`` the
    breakpoints (``y_0 = -inf``, ``y_m = +inf``). Then ``psi_n = E[phi(Y) eta_n(Y)]``
    integrates in closed form (integration by parts)::

        psi_0 = sum_i w_i z_i / sum_i w_i   (the weighted mean)
        psi_n = sum_{i=1}^{m-1} (z_{i+1} - z_i) eta_{n-1}(y_i) g(y_i) / sqrt(n),  n >= 1

    (Rivoirard, 1994, writes it in his sign convention, ``(z_i - z_{i+1}) H_{n-1}(y_i)``).
    By Parseval ``sum_{n>=1} psi_n**2`` over all n is the weighted data variance; the
    truncated sum is ``variance_``.

    *Support.* In the discrete Gaussian model a block value is ``Z_v = phi_r(Y_v) =
    sum_n psi_n r**n eta_n(Y_v)`` with ``Y_v`` standard normal and ``r`` in (0, 1] the
    support coefficient, so ``E Z_v = psi_0`` and ``Var Z_v = sum_{n>=1} psi_n**2
    r**(2n)`` (Matheron, 1976; Rivoirard, 1994; Chilès and Delfiner, 2012, chapter 6).

    *Tonnage and metal.* With ``y_c`` such that ``phi_r(y_c) = z_c``, the tonnage
    fraction above the cut-off is ``T(z_c) = 1 - G(y_c)`` and the metal (quantity of
    metal per unit of total tonnage) ``Q(z_c) = E[Z_v 1{Y_v >= y_c}] = psi_0 (1 -
    G(y_c)) + g(y_c) sum_{n>=1} psi_n r**n eta_{n-1}(y_c) / sqrt(n)`` (the integral of
    ``eta_n g`` from ``y_c`` to infinity is ``eta_{n-1}(y_c) g(y_c) / sqrt(n)``).

    *Monotonicity.* A truncated expansion of a step function oscillates (Gibbs), most
    in the tails beyond the data, where a polynomial of degree N-1 also grows without
    bound. For inversion (tonnage) and for :meth:`back_transform` with
    ``monotone=True`` (default), ``phi_r`` is used on ``y_range_`` only and made
    non-decreasing from the median outwards: for ``y >= 0`` it is the running maximum of
    ``phi_r`` over ``[0, y]``, for ``y <= 0`` the running minimum over ``[y, 0]``
    (decreasing stretches become flat, so the tonnage they hold is assigned to the
    value at which the stretch starts); below ``y_lo`` and above ``y_hi`` it is
    constant. Where ``phi_r`` is already monotone on ``y_range_`` (the usual case)
    nothing changes there. The running extrema and the inversion use a grid of step
    ``GRID_STEP`` (1/1024) in ``y`` with linear interpolation. The metal formula above
    integrates the unmodified series; it differs from the metal of the flattened
    function only by what the flattening moves, and ``Q(-inf) = psi_0`` exactly.

    References
    ----------
    Matheron, G. (1976). Forecasting block grade distributions: the transfer functions.
    In *Advanced Geostatistics in the Mining Industry*, Reidel, 239-251.

    Rivoirard, J. (1994). *Introduction to Disjunctive Kriging and Non-Linear
    Geostatistics*. Oxford University Press.

    Chilès, J.-P. and Delfiner, P. (2012). *Geostatistics: Modeling Spatial
    Uncertainty*, 2nd ed. Wiley, chapter 6 (nonlinear methods).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
    >>> p = (np.arange(2000) + 0.5) / 2000
    >>> grades_ppm = np.exp(5.0 + 0.5 * stats.norm.ppf(p))  # lognormal quantiles
    >>> anam = HermiteAnamorphosis(n_terms=30).fit(grades_ppm)
    >>> round(float(anam.mean_), 2), round(float(anam.variance_explained_), 4)
    (168.15, 0.9999)
    >>> anam.coefficients_[:3].round(1)   # exp(5.125) * 0.5**n / sqrt(n!)
    array([168.2,  84. ,  29.5])
    >>> r = anam.support_coefficient(0.5 * anam.variance_)
    >>> round(float(r), 4), bool(np.isclose(anam.block_variance(r), 0.5 * anam.variance_))
    (0.7284, True)
    >>> anam.tonnage_above([100.0, 200.0], r).round(3)
    array([0.893, 0.255])
    """

    def __init__(self, n_terms: int = 30) -> None:
        self.n_terms = n_terms

    # ------------------------------------------------------------------------- fit
    def __repr__(self) -> str:
        from .._display import fmt, fmt_tuple, text_repr

        if getattr(self, "coefficients_", None) is None:
            return f"HermiteAnamorphosis(n_terms={self.n_terms}, not fitted)"
        return text_repr(
            "HermiteAnamorphosis", f"n_terms={self.n_terms}",
            f"fitted on {self.n_values_:,} values: mean {fmt(self.mean_)}, variance "
            f"{fmt(self.variance_)} ({fmt(100 * self.variance_explained_)} % of the data's)",
            f"y range {fmt_tuple(self.y_range_, 3, ' to ')}")

    def _repr_html_(self) -> str:
        from .._display import text_html

        return text_html("Hermite anamorphosis", repr(self))

    def fit(self, values: Any, weights: ArrayLike | None = None) -> HermiteAnamorphosis:
        """
        Compute the Hermite coefficients of the empirical anamorphosis of `values`.

        Parameters
        ----------
        values : array_like, shape (n,)
            Sample values (grades); finite, at least two distinct. Units: any (ppm,
            %...); the coefficients carry them.
        weights : array_like, shape (n,), optional
            Declustering weights, > 0 (any scale: they are normalised). Default: equal.

        Returns
        -------
        HermiteAnamorphosis
            `self`, fitted.

        Raises
        ------
        InputError
            On NaN or infinite values, fewer than two distinct values, non-positive
            weights, or ``n_terms`` not an integer >= 2.

        Examples
        --------
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> anam = HermiteAnamorphosis(n_terms=4).fit([1.0, 2.0, 3.0, 4.0])
        >>> anam.coefficients_.round(4)
        array([ 2.5   ,  1.0345,  0.    , -0.3043])
        >>> round(float(anam.variance_explained_), 4)
        0.9302
        """
        n_terms = _check_n_terms(self.n_terms)
        z, w = _check_sample(values, weights)
        order = np.argsort(z, kind="stable")
        zs, ws = z[order], w[order]
        total = ws.sum()
        starts = np.flatnonzero(np.r_[True, zs[1:] != zs[:-1]])
        distinct = zs[starts]
        group_w = np.add.reduceat(ws, starts)
        cum = np.cumsum(group_w) / total
        breaks = np.clip(special.ndtri(cum[:-1]), -_Y_CLIP, _Y_CLIP)
        steps = np.diff(distinct) * _gauss_density(breaks)

        coefficients = np.empty(n_terms)
        mean = float(ws @ zs / total)
        coefficients[0] = mean
        sums = _hermite_gram(breaks, n_terms - 1, steps)
        coefficients[1:] = sums / np.sqrt(np.arange(1, n_terms))
        variance = float(coefficients[1:] @ coefficients[1:])
        data_variance = float(ws @ (zs - mean) ** 2 / total)

        first = group_w[0] / total
        last = group_w[-1] / total
        y_lo = float(special.ndtri(0.5 * first))
        y_hi = float(-special.ndtri(0.5 * last))
        inner = np.arange(math.floor(y_lo / GRID_STEP) + 1, math.ceil(y_hi / GRID_STEP))
        grid = np.concatenate([[y_lo], inner * GRID_STEP, [y_hi]])

        coefficients.setflags(write=False)
        self.coefficients_ = coefficients
        self.mean_ = mean
        self.variance_ = variance
        self.data_variance_ = data_variance
        self.variance_explained_ = variance / data_variance
        self.y_range_ = (y_lo, y_hi)
        self.n_values_ = int(z.size)
        self._grid = grid
        self._zero = int(np.searchsorted(grid, 0.0))  # grid[_zero] == 0.0
        return self

    def _fitted(self) -> np.ndarray:
        coefficients = getattr(self, "coefficients_", None)
        if coefficients is None:
            raise InputError(
                "this HermiteAnamorphosis is not fitted yet; call .fit(values, weights) first"
            )
        return coefficients

    def _block_coefficients(self, r: Any) -> np.ndarray:
        coefficients = self._fitted()
        r = _check_r(r)
        return coefficients * r ** np.arange(coefficients.size)

    def _monotone_grid(self, coefficients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``phi_r`` on the grid, made non-decreasing outwards from y = 0."""
        raw = _hermite_sum(self._grid, coefficients)
        k = self._zero
        mono = np.empty_like(raw)
        mono[k:] = np.maximum.accumulate(raw[k:])
        mono[: k + 1] = np.minimum.accumulate(raw[k::-1])[::-1]
        return raw, mono

    # --------------------------------------------------------------- evaluation
    def back_transform(self, y: ArrayLike, r: float = 1.0, *, monotone: bool = True) -> Any:
        """
        Values ``phi_r(y)`` of Gaussian values `y` (point or block support).

        Parameters
        ----------
        y : array_like
            Standard normal values, any shape (e.g. realisations x nodes). NaN gives
            NaN; with ``monotone=True``, -inf and +inf give the end values.
        r : float, default 1.0
            Support coefficient in (0, 1]: 1 for points, below 1 for blocks
            (:meth:`support_coefficient`).
        monotone : bool, default True
            Use the monotone version of ``phi_r`` (see Notes of the class: the series
            itself where it is monotone inside ``y_range_``, flattened where it is not,
            constant beyond ``y_range_``), consistent with :meth:`tonnage_above`. False
            gives the plain truncated series ``sum_n psi_n r**n eta_n(y)`` (finite `y`
            only).

        Returns
        -------
        numpy.ndarray or float
            Values in the unit of the fitted data, shape of `y`.

        Examples
        --------
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> anam = HermiteAnamorphosis(n_terms=4).fit([1.0, 2.0, 3.0, 4.0])
        >>> anam.back_transform([0.0, 1.0], monotone=False).round(4)
        array([2.5   , 3.7829])
        >>> anam.back_transform([1.0, 99.0], r=0.5).round(4)
        array([3.0483, 3.125 ])
        """
        coefficients = self._block_coefficients(r)
        y = as_float_array(y, "y")
        if not monotone:
            if np.isinf(y).any():
                raise InputError(
                    "y holds infinite values; the plain Hermite series is defined for "
                    "finite y only: use monotone=True (the default) to map -inf/+inf to "
                    "the end values"
                )
            return _scalar(_hermite_sum(y, coefficients))
        _, mono = self._monotone_grid(coefficients)
        y_lo, y_hi = self.y_range_
        yc = np.clip(y, y_lo, y_hi)
        out = _hermite_sum(yc, coefficients)
        grid = self._grid
        # running extremum at the grid node on the median side of each value
        right = np.searchsorted(grid, yc, side="right") - 1  # last node <= y
        left = np.searchsorted(grid, yc, side="left")  # first node >= y
        upper = yc >= 0
        np.maximum(out, mono[np.clip(right, 0, grid.size - 1)], out=out, where=upper)
        np.minimum(out, mono[np.clip(left, 0, grid.size - 1)], out=out, where=~upper)
        out[yc <= y_lo] = mono[0]
        out[yc >= y_hi] = mono[-1]
        out[np.isnan(y)] = np.nan
        return _scalar(out)

    def __call__(self, y: Any, r: float = 1.0, *, monotone: bool = True) -> Any:
        """
        Same as :meth:`back_transform`.

        Examples
        --------
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> anam = HermiteAnamorphosis(n_terms=4).fit([1.0, 2.0, 3.0, 4.0])
        >>> round(float(anam(1.0, monotone=False)), 4)
        3.7829
        """
        return self.back_transform(y, r, monotone=monotone)

    # ------------------------------------------------------------------- support
    def block_variance(self, r: Any) -> Any:
        """
        Variance of block values for support coefficient `r`: ``sum psi_n**2 r**(2n)``.

        Parameters
        ----------
        r : float or array_like
            Support coefficient(s) in [0, 1].

        Returns
        -------
        float or numpy.ndarray
            Variance, shape of `r`. Units: those of the values, squared.

        Examples
        --------
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> anam = HermiteAnamorphosis(n_terms=4).fit([1.0, 2.0, 3.0, 4.0])
        >>> bool(anam.block_variance(1.0) == anam.variance_)
        True
        >>> anam.block_variance([0.0, 0.5]).round(4)
        array([0.   , 0.269])
        """
        coefficients = self._fitted()
        rr = check_finite(r, "r")
        if np.any((rr < 0) | (rr > 1)):
            bad = rr[(rr < 0) | (rr > 1)] if rr.ndim else rr
            raise InputError(
                f"support coefficient r must be in [0, 1] (1 = point support); got "
                f"{np.ravel(bad)[0]}"
            )
        squares = np.concatenate([[0.0], coefficients[1:] ** 2])
        return _scalar(np.asarray(np.polynomial.polynomial.polyval(rr * rr, squares)))

    def support_coefficient(self, block_variance: ArrayLike) -> Any:
        """
        The support coefficient ``r`` in (0, 1] whose block variance is `block_variance`.

        Parameters
        ----------
        block_variance : float or array_like
            Variance of block values, in (0, ``variance_``] (e.g. from Krige's relation,
            point variance minus the mean variogram within the block; scale it by
            ``variance_ / data_variance_`` if it was computed from the data variance).
            Units: those of the values, squared.

        Returns
        -------
        float or numpy.ndarray
            ``r``, shape of `block_variance`; 1 for the point variance.

        Raises
        ------
        InputError
            If a variance is not finite, is <= 0, or exceeds ``variance_``.

        Notes
        -----
        ``block_variance(r)`` increases strictly from 0 at ``r = 0`` to ``variance_`` at
        ``r = 1``; the root is found by bisection on all the variances at once, 64 halvings
        (to the resolution of a double).

        Examples
        --------
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> anam = HermiteAnamorphosis(n_terms=4).fit([1.0, 2.0, 3.0, 4.0])
        >>> r = anam.support_coefficient(0.5)
        >>> round(float(r), 4), round(float(anam.block_variance(r)), 12)
        (0.6774, 0.5)
        >>> anam.support_coefficient(2.0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        raremin.errors.InputError: block variance 2.0 exceeds the point variance ... (1.1628, ...
        """
        coefficients = self._fitted()
        target = check_finite(block_variance, "block_variance")
        flat = np.atleast_1d(target).ravel()
        if np.any(flat <= 0):
            bad = flat[flat <= 0][0]
            raise InputError(
                f"block variance must be > 0; got {bad} (a block variance of 0 would mean "
                f"infinitely large blocks)"
            )
        point = self.variance_
        over = flat > point * (1.0 + 1e-12)
        if np.any(over):
            raise InputError(
                f"block variance {flat[over][0]} exceeds the point variance of the "
                f"anamorphosis ({point:.5g}, the sum of psi_n**2 for n >= 1): blocks vary "
                f"less than points; check the variance and its unit, or fit more n_terms"
            )
        squares = np.concatenate([[0.0], coefficients[1:] ** 2])
        lo = np.zeros_like(flat)
        hi = np.ones_like(flat)
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            below = np.polynomial.polynomial.polyval(mid * mid, squares) < flat
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        r = np.where(flat >= point, 1.0, 0.5 * (lo + hi))
        return _scalar(r.reshape(np.shape(target)))

    # ------------------------------------------------------------ grade-tonnage
    def _gaussian_cutoff(self, cutoff: Any, r: Any) -> tuple[np.ndarray, np.ndarray]:
        """Block coefficients and ``y_c`` with ``phi_r(y_c) = cutoff`` (monotone phi_r)."""
        coefficients = self._block_coefficients(r)
        c = as_float_array(cutoff, "cutoff")
        _, mono = self._monotone_grid(coefficients)
        grid = self._grid
        flat = c.ravel()
        k = np.searchsorted(mono, flat, side="left")  # first node with mono >= c
        inside = (k > 0) & (k < grid.size)
        kk = np.clip(k, 1, grid.size - 1)
        lo_v, hi_v = mono[kk - 1], mono[kk]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = (flat - lo_v) / (hi_v - lo_v)
        yc = grid[kk - 1] + frac * (grid[kk] - grid[kk - 1])
        yc = np.where(inside, yc, np.where(k == 0, -np.inf, np.inf))
        yc[np.isnan(flat)] = np.nan
        return coefficients, yc.reshape(c.shape)

    def tonnage_above(self, cutoff: ArrayLike, r: float = 1.0) -> Any:
        """
        Fraction of the tonnage at or above cut-off grades: ``1 - G(y_c)``.

        Parameters
        ----------
        cutoff : float or array_like
            Cut-off grade(s), any shape, in the unit of the fitted values; NaN gives
            NaN.
        r : float, default 1.0
            Support coefficient in (0, 1] (1 = points).

        Returns
        -------
        float or numpy.ndarray
            Tonnage fractions in [0, 1], shape of `cutoff`.

        Notes
        -----
        ``y_c`` solves ``phi_r(y_c) = z_c`` on the monotone version of ``phi_r`` (see the
        class Notes): a cut-off at or below its smallest value gives 1, above its
        largest 0.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> anam.tonnage_above([0.0, 5.0, 10.0]).round(3)
        array([1. , 0.5, 0. ])
        """
        _, yc = self._gaussian_cutoff(cutoff, r)
        return _scalar(special.ndtr(-yc))

    def metal_above(self, cutoff: ArrayLike, r: float = 1.0) -> Any:
        """
        Metal above cut-off grades per unit of total tonnage: ``E[Z_v 1{Z_v >= z_c}]``.

        Parameters
        ----------
        cutoff : float or array_like
            Cut-off grade(s), any shape, in the unit of the fitted values; NaN gives
            NaN.
        r : float, default 1.0
            Support coefficient in (0, 1] (1 = points).

        Returns
        -------
        float or numpy.ndarray
            ``psi_0 (1 - G(y_c)) + g(y_c) sum_{n>=1} psi_n r**n eta_{n-1}(y_c) /
            sqrt(n)``, shape of `cutoff`. Units: those of the values (grade x tonnage
            fraction). Dividing by :meth:`tonnage_above` gives the mean grade above the
            cut-off.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> anam.metal_above([0.0, 5.0]).round(3)
        array([5.   , 3.509])
        >>> round(float(anam.metal_above(5.0) / anam.tonnage_above(5.0)), 2)
        7.01
        """
        coefficients, yc = self._gaussian_cutoff(cutoff, r)
        finite = np.isfinite(yc)
        y = np.where(finite, yc, 0.0)
        n = np.arange(1, coefficients.size)
        # sum_{n>=1} psi_n r^n eta_{n-1}(y) / sqrt(n) = sum_k c_k eta_k(y), k = n - 1
        tail = _hermite_sum(y, coefficients[1:] / np.sqrt(n)) * _gauss_density(y)
        metal = coefficients[0] * special.ndtr(-yc) + np.where(finite, tail, 0.0)
        return _scalar(np.where(np.isnan(yc), np.nan, metal))


# ================================================================== normal scores
class NormalScores:
    """
    The GSLIB normal-score transform and its back-transform (``nscore``, ``backtr``).

    Parameters
    ----------
    ties : {"average", "gslib"}, default "average"
        Scores of equal values. ``"average"``: every datum of a tie gets the same score,
        ``G^-1`` of the midpoint of the tie's cumulative-probability interval (the
        weighted mean of the tied data's GSLIB midpoints). ``"gslib"``: ties are broken
        in a random order drawn from the `seed` of :meth:`fit` (GSLIB's "despiking"),
        so tied data get distinct scores.
    zmin : float, optional
        Smallest value of the back-transform (the lower tail reaches it at score
        ``-inf``); at most the smallest datum. Default: the smallest datum (no
        extrapolation below the data). Units: those of the values.
    zmax : float, optional
        Largest value of the back-transform; at least the largest datum. Default: the
        largest datum, or no bound (``inf``) with ``upper_tail="hyperbolic"``. Units:
        those of the values.
    lower_tail : {"linear", "power"}, default "linear"
        Model of the cumulative distribution between `zmin` and the smallest datum
        (GSLIB ``ltail`` 1 and 2).
    lower_power : float, optional
        Exponent ``omega > 0`` of the lower power model; required with
        ``lower_tail="power"``, refused otherwise. Dimensionless.
    upper_tail : {"linear", "power", "hyperbolic"}, default "linear"
        Model of the cumulative distribution above the largest datum (GSLIB ``utail``
        1, 2 and 4).
    upper_power : float, optional
        Exponent ``omega`` of the upper power (``> 0``) or hyperbolic (``>= 1``, as
        GSLIB requires) model; required with those, refused with ``"linear"``.
        Dimensionless.

    Attributes
    ----------
    scores_ : numpy.ndarray, shape (n,)
        Normal scores of the fitted values, in data order.
    table_values_, table_scores_ : numpy.ndarray
        The transformation table (GSLIB's ``nscore.trn``): values sorted increasing
        and their scores, strictly increasing. With ``ties="gslib"`` tied values repeat
        (one row per datum); with ``"average"`` each value appears once.
    zmin_, zmax_ : float
        The bounds used (defaults resolved).
    n_tied_ : int
        Number of data whose value equals that of another datum.

    Notes
    -----
    *Scores.* Sort the n values increasing, with weights ``w_i`` (equal by default,
    declustering weights otherwise) and ``W = sum w_i``. GSLIB ``nscore`` gives the
    i-th sorted datum the cumulative probability ``p_i = (c_i + c_{i-1}) / 2`` with
    ``c_i = sum_{k<=i} w_k / W`` (``c_0 = 0``): the cumulative weight up to and
    including the datum minus half its own weight, normalised; its score is ``y_i =
    G^-1(p_i)`` (``G`` the standard normal CDF). So no score is infinite and, with equal
    weights, ``p_i = (i - 1/2) / n``.

    *Ties.* GSLIB ``nscore`` adds ``U * 1e-6`` (``U`` uniform on [0, 1) from its ACORN
    generator) to every value before sorting, which orders tied values at random, and
    writes the perturbed values into its table. Here ``ties="gslib"`` sorts by value and
    then by a uniform random key from ``numpy.random.default_rng(seed)``: the same
    random order among ties, but distinct values are never reordered (GSLIB's shift can
    swap values less than 1e-6 apart) and the table keeps the exact values, so the
    back-transform returns the data exactly. ``"average"`` is the default because it is
    deterministic without a seed and a value has one score, fitted or new; use
    ``"gslib"`` (with a seed) when a large spike of equal values (e.g. a detection
    limit) must be spread out so that the scores are the full standard normal set
    before simulation.

    *Back-transform* (GSLIB ``backtr``). Between table rows, linear interpolation of the
    value in the score. Below the first row ``(y_1, z_1)``, with ``p = G(y)`` and ``p_1 =
    G(y_1)``: ``z = zmin + (z_1 - zmin) (p / p_1)**(1/omega)`` (``omega = 1``: linear).
    Above the last row ``(y_n, z_n)``, with ``p_n = G(y_n)``: ``z = z_n + (zmax - z_n)
    ((p - p_n) / (1 - p_n))**(1/omega)`` for the linear and power models, and the
    hyperbolic model ``1 - F(z) = lambda / z**omega`` with ``lambda = z_n**omega (1 -
    p_n)``, i.e. ``z = z_n ((1 - p_n) / (1 - p))**(1/omega)``, capped at `zmax` (as the
    ``backtr`` program caps every result to ``[zmin, zmax]``). ``1 - p`` is computed as
    ``G(-y)`` for precision in the upper tail.

    *Transform of new values* is the inverse of the back-transform: between two
    distinct table values, linear interpolation of the score between the last score of
    the lower and the first score of the upper value; at a tabulated value, the score
    of its tie (the ``"average"`` score); between `zmin` and the smallest datum, and
    between the largest datum and `zmax`, the inverse of the tail model (``zmin`` maps
    to ``-inf``, ``zmax`` to ``+inf`` when they lie beyond the data). Values outside
    ``[zmin, zmax]`` are refused (refit with wider bounds). GSLIB instead extrapolates
    the first or last table segment linearly, which can give any score. Passing the
    very array that was fitted returns ``scores_`` (with ``ties="gslib"`` the tied data
    keep their distinct scores, as GSLIB's rerun of its generator does).

    References
    ----------
    Deutsch, C. V. and Journel, A. G. (1998). *GSLIB: Geostatistical Software Library
    and User's Guide*, 2nd ed. Oxford University Press: programs ``nscore`` and
    ``backtr`` and their tail extrapolation options.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.anamorphosis import NormalScores
    >>> grades_ppm = np.array([310.0, 120.0, 120.0, 560.0, 95.0, 120.0])
    >>> ns = NormalScores(zmin=0.0, zmax=1000.0).fit(grades_ppm)
    >>> ns.scores_.round(3)
    array([ 0.674, -0.21 , -0.21 ,  1.383, -1.383, -0.21 ])
    >>> bool(np.array_equal(ns.back_transform(ns.scores_), grades_ppm))
    True
    >>> ns.back_transform([-np.inf, 0.0, np.inf]).round(1)
    array([   0. ,  165.2, 1000. ])
    >>> gs = NormalScores(ties="gslib").fit(grades_ppm, seed=7)
    >>> np.sort(gs.scores_).round(3)
    array([-1.383, -0.674, -0.21 ,  0.21 ,  0.674,  1.383])
    """

    def __init__(
        self,
        ties: str = "average",
        *,
        zmin: float | None = None,
        zmax: float | None = None,
        lower_tail: str = "linear",
        lower_power: float | None = None,
        upper_tail: str = "linear",
        upper_power: float | None = None,
    ) -> None:
        self.ties = ties
        self.zmin = zmin
        self.zmax = zmax
        self.lower_tail = lower_tail
        self.lower_power = lower_power
        self.upper_tail = upper_tail
        self.upper_power = upper_power

    # ------------------------------------------------------------------- checks
    @staticmethod
    def _power(value: Any, tail: str, name: str, minimum: float, strict: bool) -> float:
        if tail == "linear":
            if value is not None:
                raise InputError(
                    f"{name}={value!r} is only used by a power or hyperbolic tail; remove "
                    f"it or choose such a tail"
                )
            return 1.0
        if value is None:
            raise InputError(f"the {tail} tail needs {name} (the exponent omega); got None")
        omega = float(check_finite(value, name))
        if omega < minimum or (strict and omega == minimum):
            relation = ">" if strict else ">="
            raise InputError(
                f"{name} must be {relation} {minimum:g} for the {tail} tail; got {value!r}"
            )
        return omega

    def _bounds(self, z: np.ndarray, upper: str) -> tuple[float, float]:
        low, high = float(z.min()), float(z.max())
        if self.zmin is None:
            zmin = low
        else:
            zmin = float(check_finite(self.zmin, "zmin"))
            if zmin > low:
                raise InputError(
                    f"zmin={self.zmin!r} is above the smallest value {low}; it must be at "
                    f"most the smallest value (e.g. 0 for grades)"
                )
        if self.zmax is None:
            zmax = np.inf if upper == "hyperbolic" else high
        else:
            zmax = float(as_float_array(self.zmax, "zmax"))
            if np.isnan(zmax) or (np.isinf(zmax) and upper != "hyperbolic"):
                raise InputError(
                    f"zmax must be a finite number with the {upper} upper tail; got "
                    f"{self.zmax!r}"
                )
            if zmax < high:
                raise InputError(
                    f"zmax={self.zmax!r} is below the largest value {high}; it must be at "
                    f"least the largest value"
                )
        if upper == "hyperbolic" and high <= 0:
            raise InputError(
                f"the hyperbolic upper tail needs a positive largest value; got {high}: "
                f"use upper_tail='linear' or 'power'"
            )
        return zmin, float(zmax)

    # ---------------------------------------------------------------------- fit
    def __repr__(self) -> str:
        from .._display import fmt, text_repr

        tails = f"tails {self.lower_tail}/{self.upper_tail}, ties {self.ties!r}"
        if getattr(self, "scores_", None) is None:
            return text_repr("NormalScores", tails, "not fitted")
        return text_repr(
            "NormalScores", tails,
            f"fitted on {self.scores_.size:,} values ({self.n_tied_:,} tied), back-transform "
            f"{fmt(self.zmin_)} to {fmt(self.zmax_)}")

    def _repr_html_(self) -> str:
        from .._display import text_html

        return text_html("Normal scores", repr(self))

    def fit(
        self, values: Any, weights: ArrayLike | None = None, *, seed: Any = None
    ) -> NormalScores:
        """
        Build the transformation table of `values` (GSLIB ``nscore``).

        Parameters
        ----------
        values : array_like, shape (n,)
            Sample values; finite (NaN refused), at least two distinct. Units: any.
        weights : array_like, shape (n,), optional
            Declustering weights, > 0, any scale. Default: equal weights.
        seed : int or numpy.random.Generator, optional
            Random order of tied values with ``ties="gslib"`` (ignored with
            ``"average"``); None draws fresh entropy, so pass a seed for reproducible
            scores.

        Returns
        -------
        NormalScores
            `self`, fitted.

        Raises
        ------
        InputError
            On NaN or infinite values, fewer than two distinct values, weights that
            are not > 0 or of another length, an unknown tie rule or tail, a missing or
            misplaced tail exponent, or bounds inside the data.

        Examples
        --------
        >>> from raremin.geostats.anamorphosis import NormalScores
        >>> ns = NormalScores().fit([1.0, 3.0, 2.0], weights=[2.0, 1.0, 1.0])
        >>> ns.scores_.round(4)
        array([-0.6745,  1.1503,  0.3186])
        >>> ns.table_values_, ns.table_scores_.round(4)
        (array([1., 2., 3.]), array([-0.6745,  0.3186,  1.1503]))
        """
        ties = _check_choice(self.ties, "ties", _TIES)
        lower = _check_choice(self.lower_tail, "lower_tail", _LOWER_TAILS)
        upper = _check_choice(self.upper_tail, "upper_tail", _UPPER_TAILS)
        lower_power = self._power(self.lower_power, lower, "lower_power", 0.0, True)
        upper_power = self._power(
            self.upper_power, upper, "upper_power", *((1.0, False) if upper == "hyperbolic"
                                                      else (0.0, True))
        )
        z, w = _check_sample(values, weights)
        zmin, zmax = self._bounds(z, upper)
        n = z.size
        if ties == "gslib":
            order = np.lexsort((np.random.default_rng(seed).random(n), z))
        else:
            order = np.argsort(z, kind="stable")
        zs, ws = z[order], w[order]
        cum = np.cumsum(ws * (1.0 / ws.sum()))  # GSLIB: cp = cp + wt / twt
        before = np.concatenate([[0.0], cum[:-1]])
        starts = np.flatnonzero(np.r_[True, zs[1:] != zs[:-1]])
        ends = np.r_[starts[1:], n] - 1
        distinct = zs[starts]
        tie_scores = special.ndtri(0.5 * (before[starts] + cum[ends]))
        if ties == "gslib":
            sorted_scores = special.ndtri(0.5 * (cum + before))
            table_values, table_scores = zs, sorted_scores
            first, last = sorted_scores[starts], sorted_scores[ends]
        else:
            sorted_scores = np.repeat(tie_scores, ends - starts + 1)
            table_values, table_scores = distinct, tie_scores
            first = last = tie_scores
        if np.any(np.diff(table_scores) <= 0):
            raise InputError(
                "the normal scores are not strictly increasing: some weights are too small "
                f"relative to their sum ({ws.sum():g}) for double precision; raise the "
                "smallest weights or drop those samples"
            )
        scores = np.empty(n)
        scores[order] = sorted_scores

        self.scores_ = _freeze(scores)
        self.table_values_ = _freeze(table_values)
        self.table_scores_ = _freeze(table_scores)
        self.zmin_, self.zmax_ = zmin, zmax
        self.n_tied_ = int(n - np.count_nonzero(ends == starts))
        self._values = _freeze(z)
        self._distinct = distinct
        self._tie_scores = tie_scores
        self._first, self._last = first, last
        self._tails = (lower, lower_power, upper, upper_power)
        return self

    def _check_fitted(self) -> None:
        if getattr(self, "scores_", None) is None:
            raise InputError(
                "this NormalScores is not fitted yet; call .fit(values, weights) first"
            )

    # ----------------------------------------------------------------- transform
    def transform(self, values: Any) -> Any:
        """
        Normal scores of values (the fitted data or new ones).

        Parameters
        ----------
        values : array_like
            Values of any shape in ``[zmin_, zmax_]``, in the unit of the fitted data;
            NaN gives NaN.

        Returns
        -------
        numpy.ndarray or float
            Scores, shape of `values`: ``scores_`` for the fitted array itself, else the
            inverse of :meth:`back_transform` (see the class Notes).

        Raises
        ------
        InputError
            If a value lies outside ``[zmin_, zmax_]``.

        Examples
        --------
        >>> from raremin.geostats.anamorphosis import NormalScores
        >>> ns = NormalScores(zmin=0.0, zmax=10.0).fit([1.0, 2.0, 3.0, 4.0])
        >>> ns.transform([2.0, 2.5, 0.0, 10.0]).round(4)
        array([-0.3186,  0.    ,    -inf,     inf])
        """
        self._check_fitted()
        x = as_float_array(values, "values")
        if x.shape == self._values.shape and np.array_equal(x, self._values):
            return self.scores_.copy()
        zmin, zmax = self.zmin_, self.zmax_
        with np.errstate(invalid="ignore"):
            outside = (x < zmin) | (x > zmax)
        if outside.any():
            k = np.unravel_index(int(np.flatnonzero(outside.ravel())[0]), x.shape)
            raise InputError(
                f"{int(outside.sum())} value(s) outside [zmin, zmax] = [{zmin:g}, {zmax:g}] "
                f"(first: {x[k]} at position {tuple(int(i) for i in k)}); refit with zmin "
                f"and zmax that cover them"
            )
        u, first, last = self._distinct, self._first, self._last
        lower, lower_power, upper, upper_power = self._tails
        out = np.full(x.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            low = x < u[0]
            if low.any():
                p1 = special.ndtr(self.table_scores_[0])
                s = (x[low] - zmin) / (u[0] - zmin)
                out[low] = np.minimum(special.ndtri(p1 * s**lower_power), first[0])
            high = x > u[-1]
            if high.any():
                qn = special.ndtr(-self.table_scores_[-1])
                if upper == "hyperbolic":
                    q = qn * (u[-1] / x[high]) ** upper_power
                else:
                    q = qn * (1.0 - ((x[high] - u[-1]) / (zmax - u[-1])) ** upper_power)
                out[high] = np.maximum(-special.ndtri(q), last[-1])
            inner = (x >= u[0]) & (x <= u[-1])
            xi = x[inner]
            k = np.searchsorted(u, xi, side="right") - 1
            exact = xi == u[k]
            kk = np.minimum(k, u.size - 2)
            t = (xi - u[kk]) / (u[kk + 1] - u[kk])
            y = np.clip(last[kk] + t * (first[kk + 1] - last[kk]), last[kk], first[kk + 1])
            out[inner] = np.where(exact, self._tie_scores[k], y)
        return _scalar(out)

    def back_transform(self, scores: Any) -> Any:
        """
        Values of normal scores (GSLIB ``backtr``).

        Parameters
        ----------
        scores : array_like
            Normal scores of any shape (e.g. realisations x nodes); -inf and +inf give
            `zmin_` and `zmax_`, NaN gives NaN.

        Returns
        -------
        numpy.ndarray or float
            Values in the unit of the fitted data, in ``[zmin_, zmax_]``, shape of
            `scores`; non-decreasing in the score.

        Examples
        --------
        >>> from raremin.geostats.anamorphosis import NormalScores
        >>> ns = NormalScores(zmin=0.0, zmax=10.0).fit([1.0, 2.0, 3.0, 4.0])
        >>> ns.back_transform([0.0, -0.3186393639643752, -1.5, 1.5]).round(4)
        array([2.5   , 2.    , 0.5345, 6.7933])
        """
        self._check_fitted()
        y = as_float_array(scores, "scores")
        yb, zb = self.table_scores_, self.table_values_
        zmin, zmax = self.zmin_, self.zmax_
        lower, lower_power, upper, upper_power = self._tails
        out = np.full(y.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            low = y < yb[0]
            if low.any():
                ratio = special.ndtr(y[low]) / special.ndtr(yb[0])
                z = zmin + (zb[0] - zmin) * ratio ** (1.0 / lower_power)
                out[low] = np.clip(z, zmin, zb[0])
            high = y > yb[-1]
            if high.any():
                q = special.ndtr(-y[high])
                qn = special.ndtr(-yb[-1])
                if upper == "hyperbolic":
                    z = zb[-1] * (qn / q) ** (1.0 / upper_power)
                else:
                    z = zb[-1] + (zmax - zb[-1]) * (1.0 - q / qn) ** (1.0 / upper_power)
                out[high] = np.clip(z, zb[-1], zmax)
            inner = (y >= yb[0]) & (y <= yb[-1])
            yi = y[inner]
            j = np.minimum(np.searchsorted(yb, yi, side="right") - 1, yb.size - 2)
            t = (yi - yb[j]) / (yb[j + 1] - yb[j])
            z = np.clip(zb[j] + t * (zb[j + 1] - zb[j]), zb[j], zb[j + 1])
            out[inner] = np.where(yi == yb[-1], zb[-1], z)
        return _scalar(out)


def _freeze(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr, dtype=float)
    arr.setflags(write=False)
    return arr
