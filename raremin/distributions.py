"""
Grade distributions, as frozen objects in the manner of ``scipy.stats``.

A grade distribution describes the grades of a population (a zone, a domain, a
deposit type) with its grade unit and its basis (element or oxide) attached. Each
distribution gives ``pdf``, ``cdf``, ``sf``, ``ppf``, ``mean``, ``var``, ``std`` and
``rvs(size, rng)``, and the two numbers a grade-tonnage curve is made of:

- ``fraction_above(cutoff)``: the tonnage fraction with grade at or above the
  cut-off, ``P(Z >= z_c)``;
- ``mean_above(cutoff)``: the mean grade of that tonnage, ``E[Z | Z >= z_c]``;

and ``expected_above(cutoff) = E[Z 1{Z >= z_c}]``, the metal above the cut-off per
tonne of the whole population.

Parameters may be arrays: a lognormal with ``mean`` of shape ``(3,)`` is three
distributions at once (three zones, or three Monte Carlo draws), and every method
broadcasts its argument against the parameters like a numpy ufunc.

Families: :class:`Lognormal`, :class:`Normal`, :class:`Gamma`, :class:`Truncated`
(any family between bounds), :class:`Empirical` (samples, optionally with
declustering weights) and :class:`Mixture` (weighted populations in one zone).
:func:`fit_distribution` fits a family to samples by maximum likelihood or weighted
moments and reports goodness-of-fit figures; :func:`compare_fits` ranks families.

Examples
--------
>>> from raremin.distributions import Lognormal
>>> treo = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
>>> round(float(treo.mean()), 6)
0.15
>>> round(float(treo.fraction_above(0.1)), 4)
0.6751
>>> round(float(treo.mean_above(0.1)), 4)
0.1874
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special  # scipy.stats is imported where used: it is slow to load

from ._lognormal_gt import lognormal_grade_tonnage
from ._validation import (
    as_float_array,
    check_basis,
    check_finite,
    check_grades,
    check_weights,
)
from .errors import BasisError, ConvergenceError, InputError, UnitError
from .units import convert_grade, grade_unit

__all__ = [
    "Empirical",
    "FitResult",
    "Gamma",
    "GradeDistribution",
    "Lognormal",
    "Mixture",
    "Normal",
    "Truncated",
    "compare_fits",
    "fit_distribution",
]

def _as_rng(rng: Any) -> np.random.Generator:
    """Turn a seed, a Generator or None into a Generator (no global random state)."""
    return np.random.default_rng(rng)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (no tonnage above the cut-off)."""
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out[()] if out.ndim == 0 else out


def _scalar(x: np.ndarray) -> Any:
    """Return 0-d arrays as numpy scalars, like scipy.stats does."""
    x = np.asarray(x)
    return x[()] if x.ndim == 0 else x


class GradeDistribution(ABC):
    """
    Base class of grade distributions: a grade unit, a basis and the maths.

    Subclasses implement ``cdf``, ``sf``, ``pdf``, ``ppf``, ``expected_above`` and
    ``_expected2_above`` (the partial second moment); the rest follows.

    Attributes
    ----------
    unit : str
        Grade unit of the variable (canonical name, see :func:`raremin.units.grade_unit`).
    basis : {"element", "oxide"}
        Whether grades are of the element or of its reporting oxide.
    name : str or None
        What the grade is of (``"treo"``, ``"nd"``...), used in tables and labels.

    Examples
    --------
    >>> from raremin.distributions import GradeDistribution, Normal
    >>> isinstance(Normal(0.1, 0.02, unit="pct", basis="element"), GradeDistribution)
    True
    """

    unit: str
    basis: str
    name: str | None

    # --- shape -----------------------------------------------------------------------
    @property
    @abstractmethod
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the parameters: how many distributions this object holds."""

    @abstractmethod
    def _expanded(self) -> GradeDistribution:
        """The same distributions with a trailing length-1 axis on every parameter."""

    # --- the maths subclasses supply -----------------------------------------------
    @abstractmethod
    def pdf(self, x: ArrayLike) -> Any:
        """
        Probability density at `x` (grades in ``self.unit``).

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> round(float(Normal(0.0, 1.0, unit="pct", basis="oxide").pdf(0.0)), 6)
        0.398942
        """

    @abstractmethod
    def cdf(self, x: ArrayLike) -> Any:
        """
        Probability that the grade is at or below `x`.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> float(Normal(0.1, 0.02, unit="pct", basis="oxide").cdf(0.1))
        0.5
        """

    def sf(self, x: ArrayLike) -> Any:
        """
        Survival function ``P(Z > x)``; equal to ``fraction_above`` for continuous families.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> float(Normal(0.1, 0.02, unit="pct", basis="oxide").sf(0.1))
        0.5
        """
        return _scalar(1.0 - np.asarray(self.cdf(x)))

    @abstractmethod
    def ppf(self, q: ArrayLike) -> Any:
        """
        Quantile: the grade below which a fraction `q` of the population lies.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> float(Lognormal(0.0, 1.0, unit="pct", basis="oxide").ppf(0.5))
        1.0
        """

    @abstractmethod
    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        ``E[Z 1{Z >= cutoff}]``: grade above the cut-off per unit of the whole population.

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> d = Empirical([1.0, 2.0, 3.0, 4.0], unit="ppm", basis="element")
        >>> float(d.expected_above(3.0))
        1.75
        """

    @abstractmethod
    def _expected2_above(self, cutoff: Any) -> Any:
        """``E[Z**2 1{Z >= cutoff}]``, used for the variance of truncated and mixed families."""

    def fraction_above(self, cutoff: ArrayLike) -> Any:
        """
        Tonnage fraction at or above a cut-off, ``P(Z >= cutoff)``.

        Parameters
        ----------
        cutoff : float or array_like
            Cut-off grade(s) in ``self.unit``; broadcast against the parameters.

        Returns
        -------
        float or numpy.ndarray
            Fractions in [0, 1].

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> d = Normal(0.1, 0.02, unit="pct", basis="oxide")
        >>> round(float(d.fraction_above(0.12)), 6)
        0.158655
        """
        return self.sf(cutoff)

    def mean_above(self, cutoff: ArrayLike) -> Any:
        """
        Mean grade of the tonnage at or above a cut-off, ``E[Z | Z >= cutoff]``.

        NaN where no tonnage lies above the cut-off.

        Parameters
        ----------
        cutoff : float or array_like
            Cut-off grade(s) in ``self.unit``.

        Returns
        -------
        float or numpy.ndarray
            Mean grades in ``self.unit``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
        >>> round(float(d.mean_above(0.0)), 12)
        0.15
        """
        return _scalar(_ratio(self.expected_above(cutoff), self.fraction_above(cutoff)))

    # --- moments ----------------------------------------------------------------------
    def mean(self) -> Any:
        """
        Mean grade.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> float(Gamma.from_mean_cv(0.12, 0.5, unit="pct", basis="oxide").mean())
        0.12
        """
        return _scalar(np.asarray(self.expected_above(-np.inf), dtype=float))

    def var(self) -> Any:
        """
        Variance of the grade (in ``self.unit`` squared).

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> round(float(Normal(0.1, 0.02, unit="pct", basis="oxide").var()), 12)
        0.0004
        """
        m = np.asarray(self.mean(), dtype=float)
        return _scalar(np.asarray(self._expected2_above(-np.inf)) - m * m)

    def std(self) -> Any:
        """
        Standard deviation of the grade.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> round(float(Normal(0.1, 0.02, unit="pct", basis="oxide").std()), 12)
        0.02
        """
        return _scalar(np.sqrt(np.asarray(self.var(), dtype=float)))

    def cv(self) -> Any:
        """
        Coefficient of variation, std / mean.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> round(float(Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide").cv()), 12)
        0.6
        """
        return _scalar(np.asarray(self.std()) / np.asarray(self.mean()))

    def median(self) -> Any:
        """
        Median grade, ``ppf(0.5)``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal.from_median_logsd(0.1, 0.5, unit="pct", basis="oxide")
        >>> round(float(d.median()), 12)
        0.1
        """
        return self.ppf(0.5)

    def rvs(self, size: int | tuple[int, ...] | None = None, rng: Any = None) -> Any:
        """
        Draw random grades by inversion of the CDF.

        Parameters
        ----------
        size : int or tuple of int, optional
            Output shape; must broadcast with ``batch_shape``. Defaults to ``batch_shape``.
        rng : int, numpy.random.Generator or None
            Seed or generator; the only source of randomness.

        Returns
        -------
        numpy.ndarray
            Grades in ``self.unit``.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> x = Normal(0.1, 0.02, unit="pct", basis="oxide").rvs(1000, rng=1)
        >>> x.shape, bool(abs(x.mean() - 0.1) < 0.005)
        ((1000,), True)
        """
        gen = _as_rng(rng)
        shape = self.batch_shape if size is None else size
        return self.ppf(gen.random(shape))

    # --- grade-tonnage ----------------------------------------------------------------
    def _tail_tables(self, cutoffs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """fraction_above and expected_above on a trailing cut-off axis: batch + (n,)."""
        wide = self._expanded()
        return (
            np.asarray(wide.fraction_above(cutoffs), dtype=float),
            np.asarray(wide.expected_above(cutoffs), dtype=float),
        )

    def _grade_tonnage_arrays(
        self, cutoffs: np.ndarray, tonnage_t: np.ndarray, factor: float, workers: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tonnage, contained metal and mean grade above each cut-off: batch + (n,)."""
        frac, expd = self._tail_tables(cutoffs)
        tonnes = np.asarray(tonnage_t, dtype=float)[..., None]
        return tonnes * frac, tonnes * expd * factor, _ratio(expd, frac)

    def to_unit(self, unit: str) -> GradeDistribution:
        """
        The same distribution with grades expressed in another unit.

        Parameters
        ----------
        unit : str
            Target grade unit.

        Returns
        -------
        GradeDistribution
            A distribution of the same family.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
        >>> round(float(d.to_unit("ppm").mean()), 6)
        1500.0
        """
        return self._scaled(float(convert_grade(1.0, self.unit, unit)), grade_unit(unit))

    @abstractmethod
    def _scaled(self, factor: float, unit: str) -> GradeDistribution:
        """The distribution of ``factor * Z`` labelled with `unit`."""

    def _label(self) -> str:
        grade = self.name or "grade"
        return f"{grade} in {self.unit}, {self.basis} basis"

    def _repr_parts(self) -> list[str]:
        """The family's own figures for displays (``["mu -2.051, sigma 0.5545"]``)."""
        return []

    def __repr__(self) -> str:
        from ._display import distribution_text

        return distribution_text(self)

    def _repr_html_(self) -> str:
        from ._display import distribution_html

        return distribution_html(self)


def _common_fields(unit: str, basis: str) -> tuple[str, str]:
    return grade_unit(unit), check_basis(basis)


# ----------------------------------------------------------------------------- families
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Lognormal(GradeDistribution):
    """
    Lognormal grades: ``log Z`` is normal with mean `mu` and standard deviation `sigma`.

    Build it from the figures a geologist has with :meth:`from_mean_cv` or
    :meth:`from_median_logsd`.

    Parameters
    ----------
    mu : float or array_like
        Mean of ``log Z`` (natural log of the grade in `unit`).
    sigma : float or array_like
        Standard deviation of ``log Z``; > 0.
    unit : str
        Grade unit.
    basis : {"element", "oxide"}
        Grade basis.
    name : str, optional
        What the grade is of.

    Notes
    -----
    With ``d(c) = (mu - ln c) / sigma`` and ``m = exp(mu + sigma**2 / 2)``,
    ``P(Z >= c) = Phi(d)`` and ``E[Z 1{Z >= c}] = m Phi(d + sigma)`` (the partial
    expectation of the lognormal; e.g. David, 1977, *Geostatistical Ore Reserve
    Estimation*, ch. 13, and Journel and Huijbregts, 1978, ch. VI). The mean grade
    above the cut-off is ``m Phi(d + sigma) / Phi(d)``, evaluated here in logs so it
    stays accurate far into the tail.

    Examples
    --------
    >>> from raremin.distributions import Lognormal
    >>> d = Lognormal(mu=-2.0, sigma=0.5, unit="pct", basis="element")
    >>> round(float(d.median()), 6)
    0.135335
    """

    mu: Any
    sigma: Any
    unit: str
    basis: str
    name: str | None = None

    def __post_init__(self) -> None:
        unit, basis = _common_fields(self.unit, self.basis)
        mu = check_finite(self.mu, "lognormal mu (log-mean)")
        sigma = check_finite(self.sigma, "lognormal sigma (log-standard deviation)")
        if np.any(sigma <= 0):
            raise InputError(
                f"lognormal sigma must be > 0; got {sigma[sigma <= 0].ravel()[0]} "
                f"(a zero spread is a constant grade, not a distribution)"
            )
        np.broadcast_shapes(mu.shape, sigma.shape)
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "sigma", sigma)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "basis", basis)

    @classmethod
    def from_mean_cv(
        cls, mean: ArrayLike, cv: ArrayLike, *, unit: str, basis: str, name: str | None = None
    ) -> Lognormal:
        """
        Lognormal with the given arithmetic mean and coefficient of variation.

        Parameters
        ----------
        mean : float or array_like
            Mean grade in `unit`; > 0.
        cv : float or array_like
            Coefficient of variation (standard deviation / mean); > 0.
        unit, basis, name
            As for :class:`Lognormal`.

        Returns
        -------
        Lognormal

        Notes
        -----
        ``sigma**2 = ln(1 + cv**2)`` and ``mu = ln(mean) - sigma**2 / 2``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal.from_mean_cv([0.12, 0.15], 0.6, unit="pct", basis="oxide")
        >>> d.batch_shape
        (2,)
        """
        mean = check_grades(mean, unit, "lognormal mean grade")
        cv = check_finite(cv, "coefficient of variation (cv)")
        if np.any(cv <= 0):
            raise InputError(
                f"coefficient of variation (cv) must be > 0; got {cv[cv <= 0].ravel()[0]}"
            )
        if np.any(mean <= 0):
            raise InputError(
                f"lognormal mean grade must be > 0; got {mean[mean <= 0].ravel()[0]} {unit}"
            )
        s2 = np.log1p(cv * cv)
        return cls(np.log(mean) - 0.5 * s2, np.sqrt(s2), unit=unit, basis=basis, name=name)

    @classmethod
    def from_median_logsd(
        cls, median: ArrayLike, log_sd: ArrayLike, *, unit: str, basis: str, name: str | None = None
    ) -> Lognormal:
        """
        Lognormal with the given median grade and standard deviation of the natural log.

        Parameters
        ----------
        median : float or array_like
            Median grade in `unit`; > 0.
        log_sd : float or array_like
            Standard deviation of ``ln Z``; > 0.
        unit, basis, name
            As for :class:`Lognormal`.

        Returns
        -------
        Lognormal

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal.from_median_logsd(0.1, 0.5, unit="pct", basis="oxide")
        >>> round(float(d.mean()), 6)
        0.113315
        """
        median = check_grades(median, unit, "lognormal median grade")
        if np.any(median <= 0):
            raise InputError(
                f"lognormal median grade must be > 0; got {median[median <= 0].ravel()[0]}"
            )
        return cls(np.log(median), log_sd, unit=unit, basis=basis, name=name)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of ``mu`` and ``sigma``."""
        return np.broadcast_shapes(self.mu.shape, self.sigma.shape)

    def _repr_parts(self) -> list[str]:
        from ._display import fmt_span

        return [f"mu {fmt_span(self.mu)}, sigma {fmt_span(self.sigma)}"]

    def _expanded(self) -> Lognormal:
        return dataclasses.replace(self, mu=self.mu[..., None], sigma=self.sigma[..., None])

    def _scaled(self, factor: float, unit: str) -> Lognormal:
        return dataclasses.replace(self, mu=self.mu + math.log(factor), unit=unit)

    def _z(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.log(np.where(x > 0, x, 0.0)) - self.mu) / self.sigma

    def pdf(self, x: ArrayLike) -> Any:
        """
        Density at `x`.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal(0.0, 1.0, unit="pct", basis="oxide")
        >>> round(float(d.pdf(1.0)), 6)
        0.398942
        """
        x = np.asarray(x, dtype=float)
        z = self._z(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = np.exp(-0.5 * z * z) / (np.where(x > 0, x, 1.0) * self.sigma)
        return _scalar(np.where(x > 0, dens / math.sqrt(2 * math.pi), 0.0))

    def cdf(self, x: ArrayLike) -> Any:
        """
        ``P(Z <= x)``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> float(Lognormal(0.0, 1.0, unit="pct", basis="oxide").cdf(1.0))
        0.5
        """
        return _scalar(special.ndtr(self._z(x)))

    def sf(self, x: ArrayLike) -> Any:
        """
        ``P(Z > x)``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> float(Lognormal(0.0, 1.0, unit="pct", basis="oxide").sf(1.0))
        0.5
        """
        return _scalar(special.ndtr(-self._z(x)))

    def ppf(self, q: ArrayLike) -> Any:
        """
        Quantile function.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> float(Lognormal(0.0, 1.0, unit="pct", basis="oxide").ppf(0.5))
        1.0
        """
        return _scalar(np.exp(self.mu + self.sigma * special.ndtri(np.asarray(q, float))))

    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        ``E[Z 1{Z >= cutoff}] = m Phi(d + sigma)``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
        >>> round(float(d.expected_above(0.1)), 6)
        0.126508
        """
        d = -self._z(cutoff)
        return _scalar(np.exp(self.mu + 0.5 * self.sigma**2) * special.ndtr(d + self.sigma))

    def mean_above(self, cutoff: ArrayLike) -> Any:
        """
        ``E[Z | Z >= cutoff] = m exp(log Phi(d + sigma) - log Phi(d))``, exact in the tail.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
        >>> round(float(d.mean_above(0.1)), 6)
        0.1874
        """
        d = -self._z(cutoff)
        log_m = self.mu + 0.5 * self.sigma**2
        with np.errstate(invalid="ignore"):
            out = np.exp(log_m + special.log_ndtr(d + self.sigma) - special.log_ndtr(d))
        return _scalar(out)

    def _expected2_above(self, cutoff: Any) -> Any:
        d = -self._z(cutoff)
        return np.exp(2 * self.mu + 2 * self.sigma**2) * special.ndtr(d + 2 * self.sigma)

    def mean(self) -> Any:
        """
        Mean grade, ``exp(mu + sigma**2 / 2)``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> round(float(Lognormal(0.0, 1.0, unit="pct", basis="oxide").mean()), 6)
        1.648721
        """
        return _scalar(np.exp(self.mu + 0.5 * self.sigma**2))

    def var(self) -> Any:
        """
        Variance, ``mean**2 (exp(sigma**2) - 1)``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> d = Lognormal.from_mean_cv(2.0, 0.5, unit="pct", basis="oxide")
        >>> round(float(d.var()), 12)
        1.0
        """
        return _scalar(np.exp(2 * self.mu + self.sigma**2) * np.expm1(self.sigma**2))

    def rvs(self, size: int | tuple[int, ...] | None = None, rng: Any = None) -> Any:
        """
        Random grades.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> Lognormal(0.0, 1.0, unit="pct", basis="oxide").rvs((2, 3), rng=0).shape
        (2, 3)
        """
        gen = _as_rng(rng)
        shape = self.batch_shape if size is None else size
        return np.exp(self.mu + self.sigma * gen.standard_normal(shape))

    def _tail_tables(self, cutoffs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu, sigma = np.broadcast_arrays(self.mu, self.sigma)
        frac, expd, _ = lognormal_grade_tonnage(
            mu, sigma, cutoffs, 1.0, np.exp(mu + 0.5 * sigma**2)
        )
        return frac, expd

    def _grade_tonnage_arrays(
        self, cutoffs: np.ndarray, tonnage_t: np.ndarray, factor: float, workers: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        metal_t = tonnage_t * np.exp(self.mu + 0.5 * self.sigma**2) * factor
        return lognormal_grade_tonnage(
            self.mu, self.sigma, cutoffs, tonnage_t, metal_t, workers=workers
        )


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Normal(GradeDistribution):
    """
    Normal (Gaussian) grades, most useful as the base of a :class:`Truncated` family.

    Parameters
    ----------
    loc : float or array_like
        Mean grade in `unit`.
    scale : float or array_like
        Standard deviation in `unit`; > 0.
    unit, basis, name
        As for :class:`Lognormal`.

    Notes
    -----
    With ``d = (loc - c) / scale``: ``P(Z >= c) = Phi(d)`` and
    ``E[Z 1{Z >= c}] = loc Phi(d) + scale phi(d)``.

    Examples
    --------
    >>> from raremin.distributions import Normal
    >>> d = Normal(0.1, 0.02, unit="pct", basis="oxide")
    >>> round(float(d.mean_above(0.1)), 6)
    0.115958
    """

    loc: Any
    scale: Any
    unit: str
    basis: str
    name: str | None = None

    def __post_init__(self) -> None:
        unit, basis = _common_fields(self.unit, self.basis)
        loc = check_finite(self.loc, "normal loc (mean)")
        scale = check_finite(self.scale, "normal scale (standard deviation)")
        if np.any(scale <= 0):
            raise InputError(f"normal scale must be > 0; got {scale[scale <= 0].ravel()[0]}")
        np.broadcast_shapes(loc.shape, scale.shape)
        object.__setattr__(self, "loc", loc)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "basis", basis)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of ``loc`` and ``scale``."""
        return np.broadcast_shapes(self.loc.shape, self.scale.shape)

    def _repr_parts(self) -> list[str]:
        from ._display import fmt_span

        return [f"loc {fmt_span(self.loc)}, scale {fmt_span(self.scale)}"]

    def _expanded(self) -> Normal:
        return dataclasses.replace(self, loc=self.loc[..., None], scale=self.scale[..., None])

    def _scaled(self, factor: float, unit: str) -> Normal:
        return dataclasses.replace(
            self, loc=self.loc * factor, scale=self.scale * factor, unit=unit
        )

    def _z(self, x: Any) -> np.ndarray:
        return (np.asarray(x, dtype=float) - self.loc) / self.scale

    def pdf(self, x: ArrayLike) -> Any:
        """
        Density at `x`.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> round(float(Normal(0.0, 1.0, unit="pct", basis="oxide").pdf(0.0)), 6)
        0.398942
        """
        z = self._z(x)
        return _scalar(np.exp(-0.5 * z * z) / (self.scale * math.sqrt(2 * math.pi)))

    def cdf(self, x: ArrayLike) -> Any:
        """
        ``P(Z <= x)``.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> float(Normal(0.0, 1.0, unit="pct", basis="oxide").cdf(0.0))
        0.5
        """
        return _scalar(special.ndtr(self._z(x)))

    def sf(self, x: ArrayLike) -> Any:
        """
        ``P(Z > x)``.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> float(Normal(0.0, 1.0, unit="pct", basis="oxide").sf(0.0))
        0.5
        """
        return _scalar(special.ndtr(-self._z(x)))

    def ppf(self, q: ArrayLike) -> Any:
        """
        Quantile function.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> float(Normal(0.1, 0.02, unit="pct", basis="oxide").ppf(0.5))
        0.1
        """
        return _scalar(self.loc + self.scale * special.ndtri(np.asarray(q, float)))

    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        ``E[Z 1{Z >= cutoff}]``.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> round(float(Normal(1.0, 1.0, unit="pct", basis="oxide").expected_above(1.0)), 6)
        0.898942
        """
        d = -self._z(cutoff)
        phi = np.exp(-0.5 * d * d) / math.sqrt(2 * math.pi)
        return _scalar(self.loc * special.ndtr(d) + self.scale * phi)

    def _expected2_above(self, cutoff: Any) -> Any:
        c = np.asarray(cutoff, dtype=float)
        d = -self._z(c)
        phi = np.where(np.isfinite(c), np.exp(-0.5 * d * d) / math.sqrt(2 * math.pi), 0.0)
        c_term = np.where(np.isfinite(c), c, 0.0)
        return (self.loc**2 + self.scale**2) * special.ndtr(d) + self.scale * (
            self.loc + c_term
        ) * phi

    def var(self) -> Any:
        """
        Variance, ``scale**2``.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> float(Normal(10.0, 1e-6, unit="pct", basis="oxide").var())
        1e-12
        """
        return _scalar(np.broadcast_to(self.scale**2, self.batch_shape).copy())

    def mean(self) -> Any:
        """
        Mean grade, ``loc``.

        Examples
        --------
        >>> from raremin.distributions import Normal
        >>> float(Normal(0.1, 0.02, unit="pct", basis="oxide").mean())
        0.1
        """
        return _scalar(np.broadcast_to(self.loc, self.batch_shape).copy())


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Gamma(GradeDistribution):
    """
    Gamma-distributed grades with shape `k` and scale `theta`.

    Parameters
    ----------
    k : float or array_like
        Shape parameter; > 0.
    theta : float or array_like
        Scale parameter in `unit`; > 0.
    unit, basis, name
        As for :class:`Lognormal`.

    Notes
    -----
    ``P(Z >= c) = Q(k, c / theta)`` and ``E[Z 1{Z >= c}] = k theta Q(k + 1, c / theta)``
    with ``Q`` the regularised upper incomplete gamma function.

    Examples
    --------
    >>> from raremin.distributions import Gamma
    >>> d = Gamma.from_mean_cv(0.12, 0.5, unit="pct", basis="oxide")
    >>> float(d.k), round(float(d.theta), 6)
    (4.0, 0.03)
    """

    k: Any
    theta: Any
    unit: str
    basis: str
    name: str | None = None

    def __post_init__(self) -> None:
        unit, basis = _common_fields(self.unit, self.basis)
        k = check_finite(self.k, "gamma shape k")
        theta = check_finite(self.theta, "gamma scale theta")
        for arr, label in ((k, "gamma shape k"), (theta, "gamma scale theta")):
            if np.any(arr <= 0):
                raise InputError(f"{label} must be > 0; got {arr[arr <= 0].ravel()[0]}")
        np.broadcast_shapes(k.shape, theta.shape)
        object.__setattr__(self, "k", k)
        object.__setattr__(self, "theta", theta)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "basis", basis)

    @classmethod
    def from_mean_cv(
        cls, mean: ArrayLike, cv: ArrayLike, *, unit: str, basis: str, name: str | None = None
    ) -> Gamma:
        """
        Gamma with the given mean and coefficient of variation: ``k = 1/cv**2``.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> round(float(Gamma.from_mean_cv(0.12, 0.5, unit="pct", basis="oxide").cv()), 12)
        0.5
        """
        mean = check_grades(mean, unit, "gamma mean grade")
        cv = check_finite(cv, "coefficient of variation (cv)")
        if np.any(cv <= 0):
            raise InputError(
                f"coefficient of variation (cv) must be > 0; got {cv[cv <= 0].ravel()[0]}"
            )
        k = 1.0 / (cv * cv)
        return cls(k, mean / k, unit=unit, basis=basis, name=name)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of ``k`` and ``theta``."""
        return np.broadcast_shapes(self.k.shape, self.theta.shape)

    def _repr_parts(self) -> list[str]:
        from ._display import fmt_span

        return [f"k {fmt_span(self.k)}, theta {fmt_span(self.theta)}"]

    def _expanded(self) -> Gamma:
        return dataclasses.replace(self, k=self.k[..., None], theta=self.theta[..., None])

    def _scaled(self, factor: float, unit: str) -> Gamma:
        return dataclasses.replace(self, theta=self.theta * factor, unit=unit)

    def _u(self, x: Any) -> np.ndarray:
        return np.maximum(np.asarray(x, dtype=float), 0.0) / self.theta

    def pdf(self, x: ArrayLike) -> Any:
        """
        Density at `x`.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> round(float(Gamma(1.0, 2.0, unit="pct", basis="oxide").pdf(0.0)), 6)
        0.5
        """
        from scipy import stats
        x = np.asarray(x, dtype=float)
        return _scalar(np.where(x >= 0, stats.gamma.pdf(x, self.k, scale=self.theta), 0.0))

    def cdf(self, x: ArrayLike) -> Any:
        """
        ``P(Z <= x)``.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> round(float(Gamma(1.0, 1.0, unit="pct", basis="oxide").cdf(1.0)), 6)
        0.632121
        """
        return _scalar(special.gammainc(self.k, self._u(x)))

    def sf(self, x: ArrayLike) -> Any:
        """
        ``P(Z > x)``.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> round(float(Gamma(1.0, 1.0, unit="pct", basis="oxide").sf(1.0)), 6)
        0.367879
        """
        return _scalar(special.gammaincc(self.k, self._u(x)))

    def ppf(self, q: ArrayLike) -> Any:
        """
        Quantile function.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> round(float(Gamma(1.0, 1.0, unit="pct", basis="oxide").ppf(0.5)), 6)
        0.693147
        """
        return _scalar(self.theta * special.gammaincinv(self.k, np.asarray(q, float)))

    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        ``E[Z 1{Z >= cutoff}] = k theta Q(k + 1, cutoff / theta)``.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> round(float(Gamma(1.0, 1.0, unit="pct", basis="oxide").expected_above(1.0)), 6)
        0.735759
        """
        return _scalar(self.k * self.theta * special.gammaincc(self.k + 1, self._u(cutoff)))

    def mean(self) -> Any:
        """
        Mean grade, ``k theta``.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> float(Gamma(4.0, 0.03, unit="pct", basis="oxide").mean())
        0.12
        """
        return _scalar(self.k * self.theta)

    def var(self) -> Any:
        """
        Variance, ``k theta**2``.

        Examples
        --------
        >>> from raremin.distributions import Gamma
        >>> round(float(Gamma(4.0, 0.03, unit="pct", basis="oxide").var()), 12)
        0.0036
        """
        return _scalar(self.k * self.theta**2)

    def _expected2_above(self, cutoff: Any) -> Any:
        u = self._u(cutoff)
        return self.k * (self.k + 1) * self.theta**2 * special.gammaincc(self.k + 2, u)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Truncated(GradeDistribution):
    """
    A distribution restricted to ``lower <= Z <= upper`` and renormalised.

    Parameters
    ----------
    base : GradeDistribution
        Any family of this module (not :class:`Empirical`).
    lower, upper : float or array_like
        Bounds in the base's unit; ``lower < upper``. Defaults: 0 and +infinity.

    Notes
    -----
    With ``S`` the base's fraction above and ``E`` its expected-above function and
    ``Zn = S(lower) - S(upper)``: ``P(Z >= c) = (S(max(c, lower)) - S(upper)) / Zn``
    and ``E[Z 1{Z >= c}] = (E(max(c, lower)) - E(upper)) / Zn`` for ``c <= upper``.

    Examples
    --------
    >>> from raremin.distributions import Normal, Truncated
    >>> d = Truncated(Normal(0.1, 0.1, unit="pct", basis="oxide"), lower=0.0)
    >>> float(d.cdf(0.0)), round(float(d.mean()), 6)
    (0.0, 0.12876)
    """

    base: GradeDistribution
    lower: Any = 0.0
    upper: Any = np.inf

    def __post_init__(self) -> None:
        if not isinstance(self.base, GradeDistribution) or isinstance(
            self.base, (Empirical, Truncated)
        ):
            raise InputError(
                f"Truncated needs a parametric base distribution (Lognormal, Normal, Gamma, "
                f"Mixture); got {type(self.base).__name__}"
            )
        lower = as_float_array(self.lower, "lower bound")
        upper = as_float_array(self.upper, "upper bound")
        if np.any(np.isnan(lower)) or np.any(np.isnan(upper)):
            raise InputError("truncation bounds must not be NaN; use -inf/inf for no bound")
        if np.any(lower >= upper):
            raise InputError(
                f"lower bound must be below upper bound; got lower={lower}, upper={upper}"
            )
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)
        mass = np.asarray(self._mass())
        if np.any(mass <= 0):
            raise InputError(
                f"the base distribution has no probability between lower={lower} and "
                f"upper={upper}; widen the bounds"
            )

    @property
    def unit(self) -> str:  # type: ignore[override]
        """Grade unit (the base's)."""
        return self.base.unit

    @property
    def basis(self) -> str:  # type: ignore[override]
        """Grade basis (the base's)."""
        return self.base.basis

    @property
    def name(self) -> str | None:  # type: ignore[override]
        """Grade name (the base's)."""
        return self.base.name

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the base's parameters and the bounds."""
        return np.broadcast_shapes(self.base.batch_shape, self.lower.shape, self.upper.shape)

    def _repr_parts(self) -> list[str]:
        from ._display import fmt_span, unit_text

        base = "; ".join(self.base._repr_parts())
        return [f"{type(self.base).__name__} {base}".strip(),
                f"truncated to [{fmt_span(self.lower)}, {fmt_span(self.upper)}] "
                f"{unit_text(self.unit)}"]

    def _expanded(self) -> Truncated:
        return Truncated(self.base._expanded(), self.lower[..., None], self.upper[..., None])

    def _scaled(self, factor: float, unit: str) -> Truncated:
        return Truncated(self.base._scaled(factor, unit), self.lower * factor, self.upper * factor)

    def _mass(self) -> Any:
        return np.asarray(self.base.fraction_above(self.lower)) - np.asarray(
            self.base.fraction_above(self.upper)
        )

    def _clip(self, x: Any) -> np.ndarray:
        return np.clip(np.asarray(x, dtype=float), self.lower, self.upper)

    def pdf(self, x: ArrayLike) -> Any:
        """
        Density: the base's divided by the mass between the bounds, 0 outside.

        Examples
        --------
        >>> from raremin.distributions import Normal, Truncated
        >>> d = Truncated(Normal(0.0, 1.0, unit="pct", basis="oxide"), lower=0.0)
        >>> round(float(d.pdf(0.0)), 6)
        0.797885
        """
        x = np.asarray(x, dtype=float)
        inside = (x >= self.lower) & (x <= self.upper)
        return _scalar(np.where(inside, np.asarray(self.base.pdf(x)) / self._mass(), 0.0))

    def cdf(self, x: ArrayLike) -> Any:
        """
        ``P(Z <= x)``.

        Examples
        --------
        >>> from raremin.distributions import Normal, Truncated
        >>> d = Truncated(Normal(0.0, 1.0, unit="pct", basis="oxide"), -1.0, 1.0)
        >>> float(d.cdf(0.0))
        0.5
        """
        return _scalar(1.0 - np.asarray(self.sf(x)))

    def sf(self, x: ArrayLike) -> Any:
        """
        ``P(Z > x)``.

        Examples
        --------
        >>> from raremin.distributions import Normal, Truncated
        >>> d = Truncated(Normal(0.0, 1.0, unit="pct", basis="oxide"), -1.0, 1.0)
        >>> float(d.sf(2.0))
        0.0
        """
        upper_sf = np.asarray(self.base.sf(self.upper))
        out = (np.asarray(self.base.sf(self._clip(x))) - upper_sf) / self._mass()
        return _scalar(np.clip(out, 0.0, 1.0))

    def fraction_above(self, cutoff: ArrayLike) -> Any:
        """
        ``P(Z >= cutoff)``.

        Examples
        --------
        >>> from raremin.distributions import Normal, Truncated
        >>> d = Truncated(Normal(0.0, 1.0, unit="pct", basis="oxide"), 0.0)
        >>> float(d.fraction_above(-5.0))
        1.0
        """
        c = np.asarray(cutoff, dtype=float)
        upper_fa = np.asarray(self.base.fraction_above(self.upper))
        out = (np.asarray(self.base.fraction_above(self._clip(c))) - upper_fa) / self._mass()
        return _scalar(np.where(c > self.upper, 0.0, np.clip(out, 0.0, 1.0)))

    def ppf(self, q: ArrayLike) -> Any:
        """
        Quantile function, through the base's.

        Examples
        --------
        >>> from raremin.distributions import Normal, Truncated
        >>> d = Truncated(Normal(0.0, 1.0, unit="pct", basis="oxide"), -1.0, 1.0)
        >>> round(float(d.ppf(0.5)), 12)
        0.0
        """
        q = np.asarray(q, dtype=float)
        low = np.asarray(self.base.cdf(self.lower))
        return _scalar(self._clip(self.base.ppf(low + q * self._mass())))

    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        ``E[Z 1{Z >= cutoff}]``.

        Examples
        --------
        >>> from raremin.distributions import Normal, Truncated
        >>> d = Truncated(Normal(0.0, 1.0, unit="pct", basis="oxide"), -1.0, 1.0)
        >>> round(float(d.expected_above(-1.0)), 12)
        0.0
        """
        c = np.asarray(cutoff, dtype=float)
        top = np.asarray(self.base.expected_above(self.upper))
        out = (np.asarray(self.base.expected_above(self._clip(c))) - top) / self._mass()
        return _scalar(np.where(c > self.upper, 0.0, out))

    def _expected2_above(self, cutoff: Any) -> Any:
        c = np.asarray(cutoff, dtype=float)
        top = np.asarray(self.base._expected2_above(self.upper))
        out = (np.asarray(self.base._expected2_above(self._clip(c))) - top) / self._mass()
        return np.where(c > self.upper, 0.0, out)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Empirical(GradeDistribution):
    """
    The distribution of a set of samples, optionally with declustering weights.

    Every quantity is exact for the weighted samples: ``fraction_above(c)`` is the
    weight share of samples with grade ``>= c`` and ``mean_above(c)`` their weighted
    mean grade. One sort at construction; each query is a binary search.

    Parameters
    ----------
    values : array_like
        Sample grades in `unit` (1-D; no NaN, none negative, none over 100 %).
    unit, basis, name
        As for :class:`Lognormal`.
    weights : array_like, optional
        Non-negative weights (e.g. declustering weights), one per sample.

    Notes
    -----
    ``pdf`` is a weighted Gaussian kernel density estimate (Scott's bandwidth) for
    plotting; every other method uses the samples themselves. The variance is the
    weighted population variance ``sum w (z - m)**2 / sum w``.

    Examples
    --------
    >>> from raremin.distributions import Empirical
    >>> d = Empirical([0.05, 0.1, 0.2, 0.3], unit="pct", basis="oxide", weights=[1, 1, 1, 2])
    >>> float(d.fraction_above(0.2)), round(float(d.mean_above(0.2)), 6)
    (0.6, 0.266667)
    """

    values: Any
    unit: str
    basis: str
    weights: Any = None
    name: str | None = None
    # Derived in __post_init__ (sorted grades and weight totals from the top).
    _sorted: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)
    _w_top: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)
    _wv_top: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)
    _wvv_top: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)
    _cum_cdf: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unit, basis = _common_fields(self.unit, self.basis)
        values = check_grades(self.values, unit, "sample grades")
        if values.ndim != 1 or values.size == 0:
            raise InputError(
                f"sample grades must be a non-empty 1-D array; got shape {values.shape}"
            )
        weights = (
            np.ones(values.size)
            if self.weights is None
            else check_weights(self.weights, values.size, "sample weights")
        )
        order = np.argsort(values, kind="stable")
        v, w = values[order], weights[order]
        # Totals from the top: index k holds the sums over sorted positions k..n-1.
        w_top = np.concatenate([np.cumsum(w[::-1])[::-1], [0.0]])
        wv_top = np.concatenate([np.cumsum((w * v)[::-1])[::-1], [0.0]])
        wvv_top = np.concatenate([np.cumsum((w * v * v)[::-1])[::-1], [0.0]])
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "basis", basis)
        object.__setattr__(self, "_sorted", v)
        object.__setattr__(self, "_w_top", w_top)
        object.__setattr__(self, "_wv_top", wv_top)
        object.__setattr__(self, "_wvv_top", wvv_top)
        object.__setattr__(self, "_cum_cdf", np.cumsum(w) / w.sum())

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Always ``()``: one set of samples."""
        return ()

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.values.size)

    @property
    def n_effective(self) -> float:
        """Effective number of samples, ``(sum w)**2 / sum w**2`` (Kish)."""
        return float(self.weights.sum() ** 2 / np.sum(self.weights**2))

    def _repr_parts(self) -> list[str]:
        from ._display import fmt, fmt_span

        parts = [f"{self.n:,} samples {fmt_span(self.values)}"]
        if np.ptp(self.weights) > 0:
            parts.append(f"weighted ({fmt(self.n_effective)} effective)")
        return parts

    def _expanded(self) -> Empirical:
        return self

    def _scaled(self, factor: float, unit: str) -> Empirical:
        return Empirical(self.values * factor, unit, self.basis, self.weights, self.name)

    def _index(self, cutoff: Any) -> np.ndarray:
        return np.searchsorted(self._sorted, np.asarray(cutoff, dtype=float), side="left")

    def fraction_above(self, cutoff: ArrayLike) -> Any:
        """
        Weight share of samples with grade ``>= cutoff``.

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> float(Empirical([1.0, 2.0, 3.0, 4.0], unit="ppm", basis="element").fraction_above(3.0))
        0.5
        """
        return _scalar(self._w_top[self._index(cutoff)] / self._w_top[0])

    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        ``sum(w z; z >= cutoff) / sum(w)``.

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> float(Empirical([1.0, 2.0, 3.0, 4.0], unit="ppm", basis="element").expected_above(3.0))
        1.75
        """
        return _scalar(self._wv_top[self._index(cutoff)] / self._w_top[0])

    def mean_above(self, cutoff: ArrayLike) -> Any:
        """
        ``sum(w z; z >= cutoff) / sum(w; z >= cutoff)``, one division; NaN above the top.

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> float(Empirical([1.0, 2.0, 3.0], unit="ppm", basis="element").mean_above(2.0))
        2.5
        """
        k = self._index(cutoff)
        return _scalar(_ratio(self._wv_top[k], self._w_top[k]))

    def _expected2_above(self, cutoff: Any) -> Any:
        return self._wvv_top[self._index(cutoff)] / self._w_top[0]

    def _tail_tables(self, cutoffs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = self._index(cutoffs)
        return self._w_top[k] / self._w_top[0], self._wv_top[k] / self._w_top[0]

    def _grade_tonnage_arrays(
        self, cutoffs: np.ndarray, tonnage_t: np.ndarray, factor: float, workers: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = self._index(cutoffs)
        tonnes = np.asarray(tonnage_t, dtype=float)[..., None]
        frac = self._w_top[k] / self._w_top[0]
        expd = self._wv_top[k] / self._w_top[0]
        return tonnes * frac, tonnes * expd * factor, _ratio(self._wv_top[k], self._w_top[k])

    def cdf(self, x: ArrayLike) -> Any:
        """
        Weight share of samples with grade ``<= x`` (a step function).

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> float(Empirical([1.0, 2.0, 3.0, 4.0], unit="ppm", basis="element").cdf(2.0))
        0.5
        """
        k = np.searchsorted(self._sorted, np.asarray(x, dtype=float), side="right")
        return _scalar(1.0 - self._w_top[k] / self._w_top[0])

    def sf(self, x: ArrayLike) -> Any:
        """
        Weight share of samples with grade ``> x``.

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> float(Empirical([1.0, 2.0, 3.0, 4.0], unit="ppm", basis="element").sf(2.0))
        0.5
        """
        k = np.searchsorted(self._sorted, np.asarray(x, dtype=float), side="right")
        return _scalar(self._w_top[k] / self._w_top[0])

    def ppf(self, q: ArrayLike) -> Any:
        """
        The smallest sample grade whose CDF reaches `q` (inverse of the step CDF).

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> float(Empirical([1.0, 2.0, 3.0, 4.0], unit="ppm", basis="element").ppf(0.5))
        2.0
        """
        q = np.asarray(q, dtype=float)
        if np.any((q < 0) | (q > 1)):
            raise InputError(f"probabilities must be in [0, 1]; got {q}")
        k = np.searchsorted(self._cum_cdf, q * (1 - 1e-15), side="left")
        return _scalar(self._sorted[np.minimum(k, self.n - 1)])

    def pdf(self, x: ArrayLike) -> Any:
        """
        Weighted Gaussian kernel density estimate at `x` (for plotting).

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> d = Empirical([1.0, 2.0, 2.5, 4.0], unit="ppm", basis="element")
        >>> bool(d.pdf(2.0) > d.pdf(10.0))
        True
        """
        from scipy import stats
        if np.unique(self.values).size < 2:
            raise InputError(
                "the density of an empirical distribution needs at least two distinct "
                f"sample grades; all {self.n} samples equal {self.values[0]}"
            )
        kde = stats.gaussian_kde(self.values, weights=self.weights)
        x = np.asarray(x, dtype=float)
        return _scalar(kde(x.ravel()).reshape(x.shape))

    def rvs(self, size: int | tuple[int, ...] | None = None, rng: Any = None) -> Any:
        """
        Resample the grades with probabilities proportional to the weights.

        Examples
        --------
        >>> from raremin.distributions import Empirical
        >>> Empirical([1.0, 2.0], unit="ppm", basis="element").rvs(5, rng=0).shape
        (5,)
        """
        gen = _as_rng(rng)
        return gen.choice(self.values, size=size, p=self.weights / self.weights.sum())


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Mixture(GradeDistribution):
    """
    Weighted populations in one zone (for example a low-grade halo and a high-grade core).

    Parameters
    ----------
    components : sequence of GradeDistribution
        Component distributions; all in the same unit and basis.
    weights : array_like
        Non-negative proportions of the components (normalised to sum 1).
    name : str, optional
        What the grade is of (defaults to the first component's name).

    Notes
    -----
    Every tail function is the weighted sum of the components'; the quantile is found
    by vectorized bisection between the components' quantiles.

    Examples
    --------
    >>> from raremin.distributions import Lognormal, Mixture
    >>> low = Lognormal.from_mean_cv(0.05, 0.4, unit="pct", basis="oxide")
    >>> high = Lognormal.from_mean_cv(0.2, 0.5, unit="pct", basis="oxide")
    >>> m = Mixture([low, high], [0.7, 0.3])
    >>> round(float(m.mean()), 6)
    0.095
    """

    components: Sequence[GradeDistribution]
    weights: Any
    name: str | None = None

    def __post_init__(self) -> None:
        comps = tuple(self.components)
        if not comps:
            raise InputError("a mixture needs at least one component")
        for c in comps:
            if not isinstance(c, GradeDistribution) or isinstance(c, Empirical):
                raise InputError(
                    f"mixture components must be parametric distributions; got {type(c).__name__}"
                )
        units = {c.unit for c in comps}
        if len(units) > 1:
            raise UnitError(
                f"mixture components are in different units {sorted(units)}; "
                f"convert them with .to_unit() first"
            )
        bases = {c.basis for c in comps}
        if len(bases) > 1:
            raise BasisError(
                "mixture components mix element and oxide basis; convert them to one basis"
            )
        w = check_weights(np.atleast_1d(self.weights), len(comps), "mixture weights")
        object.__setattr__(self, "components", comps)
        object.__setattr__(self, "weights", w / w.sum())
        if self.name is None:
            object.__setattr__(self, "name", comps[0].name)

    @property
    def unit(self) -> str:  # type: ignore[override]
        """Grade unit shared by the components."""
        return self.components[0].unit

    @property
    def basis(self) -> str:  # type: ignore[override]
        """Grade basis shared by the components."""
        return self.components[0].basis

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the components."""
        return np.broadcast_shapes(*(c.batch_shape for c in self.components))

    def _repr_parts(self) -> list[str]:
        from ._display import fmt_tuple

        kinds = ", ".join(type(c).__name__ for c in self.components[:4])
        more = f" +{len(self.components) - 4} more" if len(self.components) > 4 else ""
        return [f"{len(self.components)} components ({kinds}{more}), weights "
                f"{fmt_tuple(self.weights[:8], 3)}{' ...' if self.weights.size > 8 else ''}"]

    def _expanded(self) -> Mixture:
        return Mixture([c._expanded() for c in self.components], self.weights, self.name)

    def _scaled(self, factor: float, unit: str) -> Mixture:
        return Mixture([c._scaled(factor, unit) for c in self.components], self.weights, self.name)

    def _sum(self, method: str, x: Any) -> Any:
        pairs = zip(self.weights, self.components, strict=True)
        parts = [w * np.asarray(getattr(c, method)(x)) for w, c in pairs]
        return _scalar(np.sum(np.broadcast_arrays(*parts), axis=0))

    def pdf(self, x: ArrayLike) -> Any:
        """
        Weighted sum of the component densities.

        Examples
        --------
        >>> from raremin.distributions import Mixture, Normal
        >>> m = Mixture([Normal(0.0, 1.0, unit="pct", basis="oxide")] * 2, [1, 1])
        >>> round(float(m.pdf(0.0)), 6)
        0.398942
        """
        return self._sum("pdf", x)

    def cdf(self, x: ArrayLike) -> Any:
        """
        Weighted sum of the component CDFs.

        Examples
        --------
        >>> from raremin.distributions import Mixture, Normal
        >>> m = Mixture([Normal(0.0, 1.0, unit="pct", basis="oxide")], [1])
        >>> float(m.cdf(0.0))
        0.5
        """
        return self._sum("cdf", x)

    def sf(self, x: ArrayLike) -> Any:
        """
        Weighted sum of the component survival functions.

        Examples
        --------
        >>> from raremin.distributions import Mixture, Normal
        >>> m = Mixture([Normal(0.0, 1.0, unit="pct", basis="oxide")], [1])
        >>> float(m.sf(0.0))
        0.5
        """
        return self._sum("sf", x)

    def fraction_above(self, cutoff: ArrayLike) -> Any:
        """
        Weighted sum of the components' fractions above.

        Examples
        --------
        >>> from raremin.distributions import Mixture, Normal
        >>> a = Normal(0.0, 1.0, unit="pct", basis="oxide")
        >>> b = Normal(10.0, 1.0, unit="pct", basis="oxide")
        >>> round(float(Mixture([a, b], [0.25, 0.75]).fraction_above(5.0)), 6)
        0.75
        """
        return self._sum("fraction_above", cutoff)

    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        Weighted sum of the components' expected-above functions.

        Examples
        --------
        >>> from raremin.distributions import Mixture, Normal
        >>> a = Normal(0.0, 1.0, unit="pct", basis="oxide")
        >>> b = Normal(10.0, 1.0, unit="pct", basis="oxide")
        >>> round(float(Mixture([a, b], [0.25, 0.75]).expected_above(5.0)), 6)
        7.5
        """
        return self._sum("expected_above", cutoff)

    def _expected2_above(self, cutoff: Any) -> Any:
        return self._sum("_expected2_above", cutoff)

    def _tail_tables(self, cutoffs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tables = [c._tail_tables(cutoffs) for c in self.components]
        frac = sum(w * t[0] for w, t in zip(self.weights, tables, strict=True))
        expd = sum(w * t[1] for w, t in zip(self.weights, tables, strict=True))
        return np.asarray(frac), np.asarray(expd)

    def ppf(self, q: ArrayLike) -> Any:
        """
        Quantile by bisection on the CDF (to 1e-12 relative).

        Examples
        --------
        >>> from raremin.distributions import Mixture, Normal
        >>> a = Normal(0.0, 1.0, unit="pct", basis="oxide")
        >>> round(float(Mixture([a, a], [0.5, 0.5]).ppf(0.5)), 9)
        0.0
        """
        q = np.asarray(q, dtype=float)
        qs = [np.asarray(c.ppf(q)) for c in self.components]
        lo = np.minimum.reduce(np.broadcast_arrays(*qs)).astype(float)
        hi = np.maximum.reduce(np.broadcast_arrays(*qs)).astype(float)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            below = np.asarray(self.cdf(mid)) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
            if np.all(hi - lo <= 1e-12 * np.maximum(np.abs(hi), 1e-300)):
                break
        return _scalar(0.5 * (lo + hi))

    def rvs(self, size: int | tuple[int, ...] | None = None, rng: Any = None) -> Any:
        """
        Draw a component for each value by its weight, then a grade from it.

        Examples
        --------
        >>> from raremin.distributions import Mixture, Normal
        >>> m = Mixture([Normal(0.0, 1.0, unit="pct", basis="oxide")] * 2, [1, 3])
        >>> m.rvs(4, rng=0).shape
        (4,)
        """
        gen = _as_rng(rng)
        shape = self.batch_shape if size is None else size
        pick = gen.choice(len(self.components), size=shape, p=self.weights)
        draws = [np.broadcast_to(c.rvs(shape, rng=gen), np.shape(pick)) for c in self.components]
        return np.choose(pick, draws)


# ----------------------------------------------------------------------------- fitting
_FAMILIES = ("lognormal", "normal", "gamma")


@dataclasses.dataclass(frozen=True)
class FitResult:
    """
    A fitted grade distribution with its goodness-of-fit figures.

    Attributes
    ----------
    distribution : GradeDistribution
        The fitted distribution.
    family : str
        ``"lognormal"``, ``"normal"`` or ``"gamma"``.
    method : str
        ``"mle"`` (weighted maximum likelihood) or ``"moments"`` (weighted moments).
    n : int
        Number of samples.
    n_effective : float
        Effective number of samples under the weights, ``(sum w)**2 / sum w**2``.
    loglik : float
        Weighted log-likelihood, weights scaled to sum to `n`.
    aic, bic : float
        Akaike and Bayesian information criteria (two parameters for every family).
    ks_statistic : float
        Largest distance between the weighted empirical CDF and the fitted CDF.
    ks_pvalue : float
        Kolmogorov-Smirnov p-value with ``n_effective`` samples. Parameters were
        estimated from the same data, so this p-value is optimistic (Lilliefors, 1967):
        read it as a screening figure, not a test.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.distributions import fit_distribution
    >>> x = np.random.default_rng(0).lognormal(np.log(0.1), 0.5, 500)
    >>> res = fit_distribution(x, "lognormal", unit="pct", basis="element")
    >>> res.family, res.n
    ('lognormal', 500)
    """

    distribution: GradeDistribution
    family: str
    method: str
    n: int
    n_effective: float
    loglik: float
    aic: float
    bic: float
    ks_statistic: float
    ks_pvalue: float

    def __repr__(self) -> str:
        from ._display import fit_result_text

        return fit_result_text(self)

    def _repr_html_(self) -> str:
        from ._display import fit_result_html

        return fit_result_html(self)

    def to_dict(self) -> dict[str, Any]:
        """
        The figures as a flat dictionary (without the distribution object).

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.distributions import fit_distribution
        >>> x = np.random.default_rng(0).lognormal(np.log(0.1), 0.5, 100)
        >>> sorted(fit_distribution(x, unit="pct", basis="oxide").to_dict())[:3]
        ['aic', 'bic', 'cv']
        """
        d = self.distribution
        return {
            "family": self.family,
            "method": self.method,
            "n": self.n,
            "n_effective": self.n_effective,
            "mean": float(d.mean()),
            "cv": float(d.cv()),
            "loglik": self.loglik,
            "aic": self.aic,
            "bic": self.bic,
            "ks_statistic": self.ks_statistic,
            "ks_pvalue": self.ks_pvalue,
        }


def _weighted_ks(values: np.ndarray, weights: np.ndarray, cdf: Any) -> float:
    """sup |F_w - F| over the jumps of the weighted empirical CDF."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order] / weights.sum()
    # Collapse ties so the step happens once per distinct value.
    uniq, start = np.unique(v, return_index=True)
    cum = np.cumsum(w)
    after = cum[np.r_[start[1:] - 1, v.size - 1]]
    before = np.r_[0.0, after[:-1]]
    f = np.asarray(cdf(uniq), dtype=float)
    return float(max(np.max(np.abs(after - f)), np.max(np.abs(f - before))))


def _gamma_mle(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted gamma MLE: solve ln k - digamma(k) = ln(mean) - mean(ln x) by Newton steps."""
    mean = float(np.sum(w * x))
    s = math.log(mean) - float(np.sum(w * np.log(x)))
    if s <= 0:
        raise InputError("gamma fit needs grades that are not all equal")
    k = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)  # Minka's start
    for _ in range(100):
        residual = math.log(k) - special.digamma(k) - s
        step = residual / (1 / k - special.polygamma(1, k))
        k_new = k - step if k - step > 0 else k / 2
        # Stop when the step is below what the residual's rounding can resolve.
        if abs(k_new - k) <= 1e-12 * k or abs(residual) <= 4 * np.finfo(float).eps * s:
            return k_new, mean / k_new
        k = k_new
    raise ConvergenceError(  # pragma: no cover - Newton from Minka's start converges fast
        f"gamma maximum likelihood did not converge (s={s}, k={k})"
    )


def fit_distribution(
    values: Any,
    family: str = "lognormal",
    *,
    unit: str,
    basis: str,
    weights: ArrayLike | None = None,
    method: str = "mle",
    name: str | None = None,
) -> FitResult:
    """
    Fit a grade distribution to samples, with goodness-of-fit figures.

    Parameters
    ----------
    values : array_like
        Sample grades in `unit` (1-D; lognormal and gamma need every grade > 0).
    family : {"lognormal", "normal", "gamma"}
        Family to fit.
    unit : str
        Grade unit of `values`.
    basis : {"element", "oxide"}
        Grade basis of `values`.
    weights : array_like, optional
        Declustering weights, one per sample (normalised internally).
    method : {"mle", "moments"}
        Weighted maximum likelihood, or matching the weighted mean and variance.
    name : str, optional
        What the grade is of.

    Returns
    -------
    FitResult

    Raises
    ------
    InputError
        Bad grades or weights, fewer than 3 samples, non-positive grades for a
        lognormal or gamma fit, or an unknown family or method.

    Notes
    -----
    Weighted MLE for the lognormal: ``mu = sum w ln z``, ``sigma**2 = sum w (ln z - mu)**2``
    (weights summing to 1). Gamma MLE solves ``ln k - psi(k) = ln(mean) - mean(ln z)``
    by Newton's method from Minka's (2002) starting value.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.distributions import fit_distribution
    >>> x = np.random.default_rng(1).lognormal(np.log(0.1), 0.4, 2000)
    >>> fit = fit_distribution(x, "lognormal", unit="pct", basis="element")
    >>> round(float(fit.distribution.sigma), 2)
    0.4
    """
    from scipy import stats
    if family not in _FAMILIES:
        raise InputError(f"unknown distribution family {family!r}; use one of {_FAMILIES}")
    if method not in ("mle", "moments"):
        raise InputError(f"unknown fitting method {method!r}; use 'mle' or 'moments'")
    x = check_grades(values, unit, "sample grades").ravel()
    if x.size < 3:
        raise InputError(f"fitting needs at least 3 samples; got {x.size}")
    w = np.ones(x.size) if weights is None else check_weights(weights, x.size, "sample weights")
    wn = w / w.sum()
    if family in ("lognormal", "gamma") and np.any(x <= 0):
        bad = int(np.count_nonzero(x <= 0))
        raise InputError(
            f"a {family} fit needs grades > 0; {bad} sample(s) are <= 0 (first: "
            f"{x[x <= 0][0]}): replace below-detection values by half the detection limit, "
            f"or fit a normal/truncated family"
        )
    mean = float(np.sum(wn * x))
    var = float(np.sum(wn * (x - mean) ** 2))
    if var <= 0:
        raise InputError(f"all {x.size} sample grades are equal ({x[0]}); nothing to fit")
    dist: GradeDistribution
    if family == "lognormal":
        if method == "mle":
            lx = np.log(x)
            mu = float(np.sum(wn * lx))
            dist = Lognormal(
                mu, math.sqrt(float(np.sum(wn * (lx - mu) ** 2))), unit, basis, name
            )
        else:
            dist = Lognormal.from_mean_cv(
                mean, math.sqrt(var) / mean, unit=unit, basis=basis, name=name
            )
        logpdf = stats.lognorm.logpdf(x, float(dist.sigma), scale=math.exp(float(dist.mu)))
    elif family == "normal":
        dist = Normal(mean, math.sqrt(var), unit, basis, name)
        logpdf = stats.norm.logpdf(x, mean, math.sqrt(var))
    else:
        k, theta = _gamma_mle(x, wn) if method == "mle" else (mean**2 / var, var / mean)
        dist = Gamma(k, theta, unit, basis, name)
        logpdf = stats.gamma.logpdf(x, k, scale=theta)
    n = x.size
    loglik = float(n * np.sum(wn * logpdf))
    n_eff = float(1.0 / np.sum(wn**2))
    ks = _weighted_ks(x, wn, dist.cdf)
    n_ks = max(int(round(n_eff)), 1)
    return FitResult(
        distribution=dist,
        family=family,
        method=method,
        n=n,
        n_effective=n_eff,
        loglik=loglik,
        aic=2 * 2 - 2 * loglik,
        bic=2 * math.log(n) - 2 * loglik,
        ks_statistic=ks,
        ks_pvalue=float(stats.kstwo.sf(ks, n_ks)),
    )


def compare_fits(
    values: Any,
    families: Sequence[str] = _FAMILIES,
    *,
    unit: str,
    basis: str,
    weights: ArrayLike | None = None,
    method: str = "mle",
) -> Any:
    """
    Fit several families to the same samples and rank them by AIC.

    Parameters
    ----------
    values, unit, basis, weights, method
        As for :func:`fit_distribution`.
    families : sequence of str
        Families to try.

    Returns
    -------
    pandas.DataFrame
        One row per family (index), best (lowest AIC) first, with the columns of
        :meth:`FitResult.to_dict`.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.distributions import compare_fits
    >>> x = np.random.default_rng(2).lognormal(np.log(0.1), 0.8, 3000)
    >>> compare_fits(x, unit="pct", basis="element").index[0]
    'lognormal'
    """
    import pandas as pd

    rows = [
        fit_distribution(values, f, unit=unit, basis=basis, weights=weights, method=method)
        for f in families
    ]
    table = pd.DataFrame([r.to_dict() for r in rows]).set_index("family")
    return table.sort_values("aic")
