"""
The tonnage model of the three-part method: the ore tonnage of one undiscovered deposit.

A :class:`TonnageModel` is fitted to the ore tonnages of the known (discovered) deposits
of a deposit type, on the log10 scale, either as a normal distribution (the lognormal
tonnage of Singer and Menzie, 2010) or as a Gaussian kernel density estimate; either may
be truncated at the smallest and largest known tonnage. Both are mixtures of normal
components in log10 tonnage (one component, or one per deposit), so the cdf, quantiles
and the moments of the tonnage itself (``E[T]``, ``Var[T]``) are exact closed forms.

Examples
--------
>>> import numpy as np
>>> from raremin.undiscovered.tonnage import TonnageModel
>>> model = TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7])
>>> round(model.log10_mean_, 3), round(model.log10_sd_, 3)
(7.076, 0.631)
>>> model.sample(3, np.random.default_rng(0)).round(-4)
array([14300000.,  9830000., 30220000.])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import InputError

__all__ = ["TonnageModel"]

_LN10 = math.log(10.0)
_METHODS = ("normal", "kde")
#: Bisection steps of the quantile of a kernel mixture (interval halves each step).
_BISECTION_STEPS = 80


def _mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Phi(b) - Phi(a)`` for ``a <= b``, taken in the far tail where that is accurate."""
    upper = a > 0
    return np.where(upper, special.ndtr(-a) - special.ndtr(-b), special.ndtr(b) - special.ndtr(a))


def _ore_array(ore_t: Any, name: str = "ore_t") -> np.ndarray:
    """A 1-D float array of positive, finite ore tonnages, else InputError naming the value."""
    values = ore_t.to_numpy() if isinstance(ore_t, (pd.Series, pd.Index)) else ore_t
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be numeric ore tonnages (t); got {ore_t!r} "
                         f"({err})") from None
    if arr.ndim != 1:
        raise InputError(f"{name} must be a 1-D array of ore tonnages (t); got shape "
                         f"{arr.shape}")
    bad = ~np.isfinite(arr) | (arr <= 0)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name} must be finite and > 0 t; got {arr[k]} at position {k} "
                         f"({int(bad.sum())} bad value(s)); remove deposits without a tonnage")
    return arr


class TonnageModel:
    """
    The probability distribution of the ore tonnage of one undiscovered deposit.

    Construct it empty and :meth:`fit` it to the tonnages of known deposits of the type,
    or make a degenerate model with :meth:`fixed`.

    Attributes
    ----------
    method_ : str
        ``"normal"``, ``"kde"`` or ``"fixed"``.
    truncate_ : bool
        Whether the model is truncated at the smallest and largest known tonnage.
    n_deposits_ : int
        Number of known deposits fitted (0 for a fixed model).
    log10_ore_t_ : numpy.ndarray
        log10 of the known tonnages (t), in the order given.
    log10_mean_, log10_sd_ : float
        Mean and standard deviation (divisor ``n - 1``) of `log10_ore_t_`.
    centres_ : numpy.ndarray
        Centres of the normal components in log10 tonnage: the mean (normal), every known
        deposit (kde) or the fixed value.
    scale_ : float
        Standard deviation of each component in log10 tonnage: `log10_sd_` (normal), the
        kernel bandwidth (kde), 0 (fixed).
    bounds_ : tuple of float
        Truncation bounds in log10 tonnage (``-inf, inf`` when not truncated).

    Notes
    -----
    With ``X = log10 T`` the model is ``f(x) = sum_i w_i phi((x - m_i) / h) / h`` on
    ``lo <= x <= hi``, renormalised by the mass inside the bounds (``w_i = 1 / m``). The
    normal model (Singer and Menzie, 2010, ch. 3) has one component at the mean of the
    known log10 tonnages with their standard deviation; the kernel density estimate has
    one component per known deposit and bandwidth ``h = 0.9 min(s, IQR / 1.34) n^(-1/5)``
    (Silverman's rule, R's ``bw.nrd0``, the bandwidth MapMark4 takes from R's
    ``density``; Ellefsen, 2017). MapMark4 works in natural logarithms; the base does not
    change either fit (both are equivariant under rescaling). MapMark4 truncates by
    rejecting draws outside the range of the known tonnages; here truncated draws come
    from the exact inverse cdf of each component, which gives the same distribution.

    The moments are closed forms: with ``c = k ln 10``,
    ``E[T^k] = sum_i w_i exp(c m_i + c^2 h^2 / 2) [Phi(b_i - c h) - Phi(a_i - c h)]
    / sum_i w_i [Phi(b_i) - Phi(a_i)]``, where ``a_i = (lo - m_i) / h`` and
    ``b_i = (hi - m_i) / h`` (the moment generating function of a truncated normal).

    References
    ----------
    Singer, D.A. and Menzie, W.D. (2010). *Quantitative Mineral Resource Assessments: An
    Integrated Approach*. Oxford University Press.

    Ellefsen, K.J. (2017). User's guide for MapMark4 - An R package for the probabilistic
    calculation of mineral resources. USGS Techniques and Methods 7-C14.

    Silverman, B.W. (1986). *Density Estimation for Statistics and Data Analysis*.
    Chapman and Hall, eq. 3.31.

    Examples
    --------
    >>> from raremin.undiscovered.tonnage import TonnageModel
    >>> model = TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7], method="kde", truncate=True)
    >>> model
    TonnageModel('kde', n_deposits=5, log10_mean=7.076, log10_sd=0.631, bandwidth=0.379, truncated)
    >>> bool(model.cdf(2e6) == 0.0), bool(model.cdf(8e7) == 1.0)
    (True, True)
    """

    def __init__(self) -> None:
        self.method_: str | None = None
        self._fixed_t: float = math.nan  # the tonnage of a fixed model

    # -------------------------------------------------------------------------- building
    def fit(
        self,
        ore_t: Any,
        *,
        method: str = "normal",
        truncate: bool = False,
        bandwidth: float | None = None,
    ) -> TonnageModel:
        """
        Fit the model to the ore tonnages of known deposits of one type.

        Parameters
        ----------
        ore_t : array_like
            Ore tonnage of each known deposit (at least 3). Units: t.
        method : {"normal", "kde"}, default "normal"
            A normal distribution of log10 tonnage, or a Gaussian kernel density estimate.
        truncate : bool, default False
            Truncate the model at the smallest and largest known tonnage.
        bandwidth : float, optional
            Kernel bandwidth for ``"kde"`` (standard deviation of each kernel). Units:
            log10 t. Default: Silverman's rule (see the class Notes).

        Returns
        -------
        TonnageModel
            This model, fitted.

        Raises
        ------
        InputError
            Fewer than 3 deposits, a tonnage that is not finite and positive, an unknown
            method, a bandwidth that is not positive, or tonnages all equal (use
            :meth:`fixed`).

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> m = TonnageModel().fit([1e6, 1e7, 1e8])
        >>> m.log10_mean_, m.log10_sd_
        (7.0, 1.0)
        """
        arr = _ore_array(ore_t)
        if arr.size < 3:
            raise InputError(f"a tonnage model needs at least 3 known deposits; got "
                             f"{arr.size}; add deposits or use TonnageModel.fixed(ore_t)")
        if method not in _METHODS:
            raise InputError(f"unknown tonnage model method {method!r}; use 'normal' or 'kde'")
        if not isinstance(truncate, (bool, np.bool_)):
            raise InputError(f"truncate must be True or False; got {truncate!r}")
        x = np.log10(arr)
        sd = float(np.std(x, ddof=1))
        if sd == 0.0:
            raise InputError(f"all {arr.size} tonnages equal {arr[0]:g} t: the spread of the "
                             f"model would be zero; use TonnageModel.fixed({arr[0]:g})")
        if method == "normal":
            if bandwidth is not None:
                raise InputError(f"bandwidth={bandwidth!r} applies to method='kde' only")
            centres, scale = np.array([float(np.mean(x))]), sd
        else:
            if bandwidth is None:
                q25, q75 = np.quantile(x, [0.25, 0.75])
                spread = min(sd, (q75 - q25) / 1.34) if q75 > q25 else sd
                scale = 0.9 * spread * arr.size ** -0.2
            else:
                scale = float(bandwidth)
                if not math.isfinite(scale) or scale <= 0:
                    raise InputError(f"bandwidth must be > 0 (log10 t); got {bandwidth!r}")
            centres = x.copy()
        self.method_ = method
        self.truncate_ = bool(truncate)
        self.n_deposits_ = int(arr.size)
        self.log10_ore_t_ = x
        self.log10_mean_ = float(np.mean(x))
        self.log10_sd_ = sd
        self.centres_ = centres
        self.scale_ = float(scale)
        self.bounds_ = (float(x.min()), float(x.max())) if truncate else (-math.inf, math.inf)
        return self

    @classmethod
    def fixed(cls, ore_t: float) -> TonnageModel:
        """
        A degenerate model: every deposit has the same ore tonnage.

        Parameters
        ----------
        ore_t : float
            The tonnage of every deposit. Units: t.

        Returns
        -------
        TonnageModel
            A fitted model with ``method_ == "fixed"`` whose draws all equal `ore_t`.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> m = TonnageModel.fixed(2.5e6)
        >>> m.sample(2, np.random.default_rng(1)), m.mean(), m.var()
        (array([2500000., 2500000.]), 2500000.0, 0.0)
        """
        if np.ndim(ore_t) != 0:
            raise InputError(f"fixed() takes one tonnage (t); got {ore_t!r}")
        value = float(_ore_array(np.atleast_1d(ore_t))[0])
        model = cls()
        model.method_ = "fixed"
        model.truncate_ = False
        model.n_deposits_ = 0
        model.log10_ore_t_ = np.array([math.log10(value)])
        model.log10_mean_ = math.log10(value)
        model.log10_sd_ = 0.0
        model.centres_ = np.array([math.log10(value)])
        model.scale_ = 0.0
        model.bounds_ = (-math.inf, math.inf)
        model._fixed_t = value
        return model

    def _check_fitted(self) -> None:
        if self.method_ is None:
            raise InputError("this TonnageModel is not fitted; call .fit(ore_t) or use "
                             "TonnageModel.fixed(ore_t)")

    # ---------------------------------------------------------------- log10-scale maths
    def _alpha_beta(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.bounds_
        return (lo - self.centres_) / self.scale_, (hi - self.centres_) / self.scale_

    def _cdf_x(self, x: np.ndarray) -> np.ndarray:
        """Cdf of log10 tonnage."""
        if self.method_ == "fixed":
            return (x >= self.centres_[0]).astype(float)
        lo, hi = self.bounds_
        a, b = self._alpha_beta()
        z = (np.clip(x, lo, hi)[..., None] - self.centres_) / self.scale_
        inside = _mass(a, b)
        part = np.where(z > a, _mass(np.minimum(a, z), z), 0.0)
        out = part.sum(axis=-1) / inside.sum()
        return np.clip(out, 0.0, 1.0)

    def _logpdf_x(self, x: np.ndarray) -> np.ndarray:
        """Log density of log10 tonnage (per log10 unit); -inf outside the bounds."""
        if self.method_ == "fixed":
            return np.where(x == self.centres_[0], np.inf, -np.inf)
        lo, hi = self.bounds_
        a, b = self._alpha_beta()
        z = (x[..., None] - self.centres_) / self.scale_
        log_k = special.logsumexp(-0.5 * z * z, axis=-1) - 0.5 * math.log(2 * math.pi)
        log_norm = math.log(self.scale_) + math.log(float(_mass(a, b).sum()))
        out = log_k - log_norm
        return np.where((x < lo) | (x > hi), -np.inf, out)

    def _draw_x(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws of log10 tonnage."""
        m = self.centres_.size
        if not self.truncate_:
            comp = rng.integers(m, size=n) if m > 1 else 0
            centre = self.centres_[comp] if m > 1 else self.centres_[0]
            return centre + self.scale_ * rng.standard_normal(n)
        a, b = self._alpha_beta()
        weights = _mass(a, b)
        comp = (np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(n), side="right")
                if m > 1 else np.zeros(n, dtype=np.intp))
        comp = np.minimum(comp, m - 1)
        return self._inverse(comp, rng.random(n))

    def _inverse(self, comp: Any, u: np.ndarray) -> np.ndarray:
        """Inverse cdf of truncated component(s) `comp` at probabilities `u`."""
        a, b = self._alpha_beta()
        a, b, centre = a[comp], b[comp], self.centres_[comp]
        upper = a > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            low_side = special.ndtri(special.ndtr(a) + u * (special.ndtr(b) - special.ndtr(a)))
            high_side = -special.ndtri(special.ndtr(-a) - u * (special.ndtr(-a)
                                                               - special.ndtr(-b)))
        x = centre + self.scale_ * np.where(upper, high_side, low_side)
        return np.clip(x, *self.bounds_)

    # ---------------------------------------------------------------------- public API
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """
        Draw ore tonnages of `n` deposits.

        Parameters
        ----------
        n : int
            Number of draws (>= 0).
        rng : numpy.random.Generator or int, optional
            The random generator, or a seed for ``numpy.random.default_rng``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``. Units: t.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> m = TonnageModel().fit([1e6, 1e7, 1e8], truncate=True)
        >>> t = m.sample(1000, np.random.default_rng(3))
        >>> bool(t.min() >= 1e6 and t.max() <= 1e8)
        True
        """
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError(f"n must be an integer >= 0; got {n!r}")
        rng = np.random.default_rng(rng)
        if self.method_ == "fixed":
            return np.full(int(n), self._fixed_t)
        return 10.0 ** self._draw_x(int(n), rng)

    def cdf(self, ore_t: Any) -> np.ndarray | float:
        """
        Probability that a deposit has at most `ore_t` tonnes of ore.

        Parameters
        ----------
        ore_t : array_like
            Tonnages (> 0). Units: t.

        Returns
        -------
        float or numpy.ndarray
            Same shape as `ore_t`.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> round(float(TonnageModel().fit([1e6, 1e7, 1e8]).cdf(1e7)), 6)
        0.5
        """
        self._check_fitted()
        t = np.asarray(ore_t, dtype=float)
        with np.errstate(divide="ignore"):
            out = self._cdf_x(np.log10(np.maximum(t, 0.0)))
        return float(out) if out.ndim == 0 else out

    def pdf(self, ore_t: Any) -> np.ndarray | float:
        """
        Probability density of the ore tonnage.

        Parameters
        ----------
        ore_t : array_like
            Tonnages (> 0). Units: t.

        Returns
        -------
        float or numpy.ndarray
            Density per tonne, ``f_X(log10 t) / (t ln 10)`` where ``f_X`` is the density
            of log10 tonnage. Units: 1/t.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> m = TonnageModel().fit([1e6, 1e7, 1e8])
        >>> round(float(m.pdf(1e7)) * 1e7 * 2.302585, 4)  # density of log10 T at its mean
        0.3989
        """
        self._check_fitted()
        t = np.asarray(ore_t, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.log10(t)
            out = np.exp(self._logpdf_x(x)) / (t * _LN10)
        out = np.where(t > 0, out, 0.0)
        return float(out) if out.ndim == 0 else out

    def ppf(self, q: Any) -> np.ndarray | float:
        """
        Quantiles of the ore tonnage (the inverse of :meth:`cdf`).

        Parameters
        ----------
        q : array_like
            Probabilities in [0, 1].

        Returns
        -------
        float or numpy.ndarray
            Tonnages with ``cdf(t) = q``. Units: t.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> m = TonnageModel().fit([1e6, 1e7, 1e8])
        >>> float(m.ppf(0.5))
        10000000.0
        """
        self._check_fitted()
        p = np.asarray(q, dtype=float)
        if np.any(~((p >= 0) & (p <= 1))):
            raise InputError(f"quantile probabilities must lie in [0, 1]; got {q!r}")
        if self.method_ == "fixed":
            out = np.full(p.shape, self._fixed_t)
        elif self.centres_.size == 1:
            out = 10.0 ** self._inverse(np.zeros(p.shape, dtype=np.intp), p)
        else:
            lo = max(self.bounds_[0], float(self.centres_.min()) - 40 * self.scale_)
            hi = min(self.bounds_[1], float(self.centres_.max()) + 40 * self.scale_)
            left, right = np.full(p.shape, lo), np.full(p.shape, hi)
            for _ in range(_BISECTION_STEPS):  # bisection, vectorised over all q
                mid = 0.5 * (left + right)
                below = self._cdf_x(mid) < p
                left, right = np.where(below, mid, left), np.where(below, right, mid)
            out = 10.0 ** (0.5 * (left + right))
        return float(out) if out.ndim == 0 else out

    def moment(self, k: int) -> float:
        """
        The k-th raw moment of the ore tonnage, ``E[T^k]``, in closed form.

        Parameters
        ----------
        k : int
            Order (>= 1).

        Returns
        -------
        float
            Units: t**k.

        Examples
        --------
        >>> import math
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> m = TonnageModel().fit([1e6, 1e7, 1e8])  # log10 T ~ N(7, 1)
        >>> math.isclose(m.moment(1), 1e7 * math.exp(math.log(10) ** 2 / 2))
        True
        """
        self._check_fitted()
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"moment order k must be an integer >= 1; got {k!r}")
        if self.method_ == "fixed":
            return self._fixed_t ** int(k)
        c = k * _LN10
        h = self.scale_
        a, b = self._alpha_beta()
        terms = np.exp(c * self.centres_ + 0.5 * (c * h) ** 2) * _mass(a - c * h, b - c * h)
        return float(terms.sum() / _mass(a, b).sum())

    def mean(self) -> float:
        """
        Mean ore tonnage ``E[T]`` (closed form; see :meth:`moment`).

        Returns
        -------
        float
            Units: t.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> round(TonnageModel().fit([1e6, 1e7, 1e8], truncate=True).mean() / 1e6, 2)
        19.9
        """
        return self.moment(1)

    def var(self) -> float:
        """
        Variance of the ore tonnage, ``E[T^2] - E[T]^2`` (closed form).

        Returns
        -------
        float
            Units: t**2.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> TonnageModel.fixed(1e6).var()
        0.0
        """
        m1 = self.moment(1)
        return max(self.moment(2) - m1 * m1, 0.0)

    def diagnostics(self, bins: int = 30) -> dict[str, Any]:
        """
        How well the model fits the known tonnages.

        Parameters
        ----------
        bins : int, default 30
            Number of equal bins in log10 tonnage over the known range, for the
            histogram deviance.

        Returns
        -------
        dict
            ``n_deposits``; ``deviance`` (``-2`` times the log-likelihood of the known
            log10 tonnages under the model); ``histogram_deviance`` (the same from the
            model's probability of each histogram bin, ``-2 sum n_j ln(p_j / w_j)``, the
            binned form MapMark4 reports); ``ks_statistic`` and ``ks_pvalue`` (Kolmogorov-
            Smirnov against the model cdf; the p-value is nominal, too large, since the
            model was fitted to the same data); ``table``: a DataFrame of minimum,
            quartiles, maximum, mean and standard deviation of the known deposits
            (``data``) and of the model (``model``), in log10 t and in t.

        Notes
        -----
        Smaller deviance means a better fit; compare deviances of models fitted to the
        same deposits (McElreath, 2016, sec. 6.2). MapMark4 (Ellefsen, 2017) computes a
        binned deviance from random draws, ``-2 sum d_j n_j`` with ``d_j`` the histogram
        density of the draws; its values are not on the scale of these.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> d = TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7]).diagnostics()
        >>> round(d["deviance"], 3), round(d["ks_statistic"], 3)
        (8.588, 0.148)
        >>> d["table"].loc["median"].round(3).tolist()
        [7.0, 7.076, 10000000.0, 11913578.982]
        """
        self._check_fitted()
        if self.method_ == "fixed":
            raise InputError("a fixed tonnage model has no data to be compared with")
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
            raise InputError(f"bins must be an integer >= 1; got {bins!r}")
        x = np.sort(self.log10_ore_t_)
        deviance = float(-2.0 * self._logpdf_x(x).sum())
        edges = np.linspace(x[0], x[-1], int(bins) + 1)
        counts, _ = np.histogram(x, edges)
        prob = np.diff(self._cdf_x(edges))
        used = counts > 0
        with np.errstate(divide="ignore"):
            hist_dev = float(-2.0 * np.sum(counts[used] * np.log(prob[used]
                                                                / np.diff(edges)[used])))
        ks = stats.kstest(x, self._cdf_x)
        probs = [0.0, 0.25, 0.5, 0.75, 1.0]
        lo, hi = self.bounds_
        tails = [1e-9 if not math.isfinite(lo) else 0.0, 1 - 1e-9 if not math.isfinite(hi)
                 else 1.0]
        model_q = np.log10(np.atleast_1d(self.ppf([tails[0], 0.25, 0.5, 0.75, tails[1]])))
        mean_t, sd_t = self.mean(), math.sqrt(self.var())
        mean_x, sd_x = self._log10_moments()
        rows = ["minimum", "q25", "median", "q75", "maximum", "mean", "sd"]
        table = pd.DataFrame({
            "data_log10_t": [*np.quantile(x, probs), x.mean(), x.std(ddof=1)],
            "model_log10_t": [*model_q, mean_x, sd_x],
            "data_t": [*np.quantile(10.0 ** x, probs), (10.0 ** x).mean(),
                       (10.0 ** x).std(ddof=1)],
            "model_t": [*10.0 ** model_q, mean_t, sd_t],
        }, index=rows)
        return {"n_deposits": self.n_deposits_, "deviance": deviance,
                "histogram_deviance": hist_dev, "ks_statistic": float(ks.statistic),
                "ks_pvalue": float(ks.pvalue), "table": table}

    def _log10_moments(self) -> tuple[float, float]:
        """Mean and sd of log10 tonnage under the model (truncated normal mixture)."""
        a, b = self._alpha_beta()
        h = self.scale_
        z = _mass(a, b)
        with np.errstate(invalid="ignore"):
            pa = np.where(np.isfinite(a), stats.norm.pdf(a), 0.0)
            pb = np.where(np.isfinite(b), stats.norm.pdf(b), 0.0)
            aa = np.where(np.isfinite(a), a * pa, 0.0)
            bb = np.where(np.isfinite(b), b * pb, 0.0)
        mean_i = self.centres_ + h * (pa - pb) / z
        var_i = h * h * (1 + (aa - bb) / z - ((pa - pb) / z) ** 2)
        w = z / z.sum()
        mean = float(np.sum(w * mean_i))
        var = float(np.sum(w * (var_i + mean_i ** 2)) - mean ** 2)
        return mean, math.sqrt(max(var, 0.0))

    def plot(self, ax: Any = None) -> Any:
        """
        Plot the model cdf over the empirical cdf of the known tonnages.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            The axes, with a log tonnage axis.

        See Also
        --------
        raremin.plotting.plot_tonnage_model : the function that draws it.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> ax = TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7]).plot()
        >>> len(ax.lines)
        2
        """
        from ..plotting import plot_tonnage_model

        return plot_tonnage_model(self, ax)

    def __repr__(self) -> str:
        if self.method_ is None:
            return "TonnageModel(unfitted)"
        if self.method_ == "fixed":
            return f"TonnageModel('fixed', ore_t={self._fixed_t:g})"
        extra = f", bandwidth={self.scale_:.3f}" if self.method_ == "kde" else ""
        trunc = ", truncated" if self.truncate_ else ""
        return (f"TonnageModel({self.method_!r}, n_deposits={self.n_deposits_}, "
                f"log10_mean={self.log10_mean_:.3f}, log10_sd={self.log10_sd_:.3f}"
                f"{extra}{trunc})")

    def _repr_html_(self) -> str:
        from .._display import fmt, text_html

        if self.method_ is None:
            return text_html("Tonnage model", repr(self))
        import pandas as pd

        levels = [0.9, 0.5, 0.1]
        ore = np.atleast_1d(self.ppf(1.0 - np.asarray(levels)))
        table = pd.DataFrame({"P": [f"P{round(100 * q)}" for q in levels],
                              "ore (Mt)": [fmt(v / 1e6) for v in ore]})
        return text_html("Tonnage model", repr(self), table)
