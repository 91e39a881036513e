"""
Change of support: the grade distribution of blocks from the grades of points.

A resource is mined in blocks (selective mining units), not in drill-core samples, and
block grades are less spread than point grades: above a cut-off under the mean there is
more block tonnage than the samples suggest, above a high cut-off less. This module gives
the grade distribution of blocks of a given size from point data and a variogram model,
without simulation, as a :class:`~raremin.distributions.GradeDistribution` that
:func:`raremin.tonnage.analytic_grade_tonnage` takes.

- :func:`average_variogram` is ``gamma_bar(v, v)``, the mean variogram between two points
  of a block, by discretisation; :func:`block_dispersion_variance` is Krige's relation,
  the block variance ``point variance - gamma_bar(v, v)``.
- Three change-of-support models keep the mean and bring the variance down to the
  block variance: :func:`affine_correction`, :func:`indirect_lognormal_correction` and
  :func:`discrete_gaussian_correction` (the discrete Gaussian model, through a Hermite
  anamorphosis, :class:`DiscreteGaussian`).
- :func:`change_of_support` does it all from point grades, a variogram model and a block
  size, and returns a :class:`BlockGradeDistribution`: the block grade distribution with
  the point and block variances it was made from.

Blocks are rectangular and aligned with the coordinate axes (easting, northing,
elevation); the variogram model's anisotropy is taken into account. Grades are taken as
a stationary variable over the domain the point variance describes.

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.models import Structure, VariogramModel
>>> from raremin.geostats.support import change_of_support
>>> grades = np.random.default_rng(0).lognormal(0.0, 1.0, 2000)
>>> s2 = grades.var()
>>> model = VariogramModel(0.2 * s2, [Structure("spherical", 0.8 * s2, 50.0)])
>>> blocks = change_of_support(grades, model, (10.0, 10.0), method="affine",
...                            unit="ppm", basis="element")
>>> round(blocks.variance_factor, 3)
0.693
>>> bool(np.isclose(blocks.mean(), grades.mean()))
True
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .._validation import as_float_array, check_basis, check_grades, check_weights
from ..distributions import Empirical, GradeDistribution, Lognormal
from ..errors import InputError
from ..units import grade_unit
from .models import VariogramModel

__all__ = [
    "BlockGradeDistribution",
    "DiscreteGaussian",
    "affine_correction",
    "average_variogram",
    "block_dispersion_variance",
    "change_of_support",
    "discrete_gaussian_correction",
    "indirect_lognormal_correction",
]

#: Change-of-support methods known to :func:`change_of_support`.
METHODS = ("dgm", "affine", "indirect_lognormal")

#: Default number of discretisation points along each axis of a block.
DEFAULT_DISCRETISATION = 4

#: Most lag vectors evaluated at once by :func:`average_variogram` (bounds memory).
_LAG_BUDGET = 1 << 22


# ------------------------------------------------------------------- average variogram
def _check_model(model: Any) -> VariogramModel:
    if not isinstance(model, VariogramModel):
        raise InputError(
            f"model must be a raremin VariogramModel; got {type(model).__name__} "
            f"(build one with raremin.geostats.models.VariogramModel or fit_variogram)"
        )
    return model


def _block_size(block_size: Any) -> np.ndarray:
    size = as_float_array(block_size, "block_size")
    if size.ndim == 0 or size.shape[-1] not in (1, 2, 3):
        raise InputError(
            f"block_size must give one length per axis, 1 to 3 of them (e.g. (10.0, 10.0, "
            f"5.0)), or an array of such rows; got shape {size.shape}"
        )
    bad = ~np.isfinite(size) | (size <= 0)
    if bad.any():
        raise InputError(
            f"block_size lengths must be finite and > 0 (metres); got {size[bad].ravel()[0]}"
        )
    return size


def _discretisation(discretisation: Any, ndim: int) -> tuple[int, ...]:
    if discretisation is None:
        return (DEFAULT_DISCRETISATION,) * ndim
    arr = np.atleast_1d(np.asarray(discretisation))
    if arr.ndim != 1 or arr.size not in (1, ndim):
        raise InputError(
            f"discretisation must be one count or one per axis ({ndim}); got {discretisation!r}"
        )
    if not np.issubdtype(arr.dtype, np.integer) or np.any(arr < 1):
        raise InputError(
            f"discretisation counts must be integers >= 1; got {discretisation!r}"
        )
    counts = tuple(int(k) for k in arr)
    return counts * ndim if len(counts) == 1 else counts


def _lag_table(counts: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Integer offsets between discretisation points, (M, ndim), and how many pairs each."""
    steps = [np.arange(-(n - 1), n) for n in counts]
    offsets = np.stack(np.meshgrid(*steps, indexing="ij"), axis=-1).reshape(-1, len(counts))
    pairs = np.prod(np.asarray(counts) - np.abs(offsets), axis=1)
    return offsets.astype(float), pairs.astype(float)


def average_variogram(
    model: VariogramModel, block_size: ArrayLike, discretisation: ArrayLike | None = None
) -> Any:
    """
    Mean variogram between two points of a block, ``gamma_bar(v, v)``, by discretisation.

    Parameters
    ----------
    model : VariogramModel
        The point variogram model.
    block_size : array_like, shape (ndim,) or (..., ndim)
        Block lengths along easting, northing[, elevation]; ``ndim`` from 1 to 3 (the
        lag vectors' dimension for `model`). Several rows give several block sizes at
        once. Units: m.
    discretisation : int or sequence of int, optional
        Points per axis (one count, or one per axis); default 4 per axis
        (``(4, 4, 4)`` in 3-D).

    Returns
    -------
    float or numpy.ndarray
        ``gamma_bar(v, v)`` in the units of the variogram (grade squared), one per
        block size (a float for a single one).

    Raises
    ------
    InputError
        Not a VariogramModel; block lengths not > 0 or more than 3 axes; counts not
        integers >= 1; a model whose anisotropic ranges do not match the dimension.

    Notes
    -----
    The block is cut into ``N = n_1 ... n_d`` equal cells and discretised by their
    centres ``x_i``; then

    ``gamma_bar(v, v) = 1 / N**2 * sum_i sum_j gamma(x_i - x_j)``

    over all ``N**2`` ordered pairs, the ``N`` zero-lag pairs included with
    ``gamma(0) = 0`` (the convention of GSLIB's block kriging, Deutsch and Journel,
    1998, and of Isatis). A nugget ``C0`` thus adds ``C0 (1 - 1/N)``: the part
    ``C0 / N`` left in the block variance is the nugget of a block made of exactly
    ``N`` point samples (it vanishes as ``N`` grows, the continuous integral of Journel
    and Huijbregts, 1978, ch. II.E). On a regular discretisation the lag
    ``(k_1 L_1 / n_1, ..., k_d L_d / n_d)``, ``|k_a| < n_a``, is shared by
    ``prod_a (n_a - |k_a|)`` pairs, so the variogram is evaluated once per distinct
    lag, ``prod_a (2 n_a - 1)`` of them, and weighted by that count.

    References
    ----------
    Journel, A. G. and Huijbregts, C. J. (1978). *Mining Geostatistics*. Academic
    Press, ch. II.E and III.

    Deutsch, C. V. and Journel, A. G. (1998). *GSLIB: Geostatistical Software Library
    and User's Guide*, 2nd ed. Oxford University Press, section IV.1.

    Examples
    --------
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.geostats.support import average_variogram
    >>> model = VariogramModel(0.0, [Structure("linear", 1.0, 1.0)])
    >>> round(float(average_variogram(model, [3.0], 10)), 6)  # L/3 (1 - 1/n**2)
    0.99
    >>> model = VariogramModel(0.1, [Structure("spherical", 0.9, 100.0)])
    >>> average_variogram(model, [[10.0, 10.0], [20.0, 20.0]]).round(4)
    array([0.1614, 0.2285])
    """
    model = _check_model(model)
    size = _block_size(block_size)
    ndim = size.shape[-1]
    counts = _discretisation(discretisation, ndim)
    offsets, pairs = _lag_table(counts)
    cell = size / np.asarray(counts, dtype=float)  # (..., ndim)
    flat = cell.reshape(-1, ndim)
    total = np.empty(flat.shape[0])
    rows = max(1, _LAG_BUDGET // offsets.shape[0])
    for start in range(0, flat.shape[0], rows):  # chunks of block sizes, bounded memory
        lags = offsets[None, :, :] * flat[start:start + rows, None, :]
        total[start:start + rows] = model.gamma(lags) @ pairs
    out = total.reshape(cell.shape[:-1]) / float(np.prod(counts)) ** 2
    return float(out) if out.ndim == 0 else out


def block_dispersion_variance(
    point_variance: Any, model: VariogramModel, block_size: ArrayLike,
    discretisation: ArrayLike | None = None
) -> Any:
    """
    Variance of block grades by Krige's relation, ``point variance - gamma_bar(v, v)``.

    Parameters
    ----------
    point_variance : float or array_like
        Variance of the point grades over the domain (the declustered sample variance,
        or the sill of a model fitted to it). Units: grade squared.
    model : VariogramModel
        The point variogram model.
    block_size : array_like, shape (ndim,) or (..., ndim)
        Block lengths along the axes. Units: m.
    discretisation : int or sequence of int, optional
        Points per axis (default 4 per axis); see :func:`average_variogram`.

    Returns
    -------
    float or numpy.ndarray
        Block variance (grade squared), broadcast over `point_variance` and the block
        sizes.

    Raises
    ------
    InputError
        A point variance not > 0, or ``gamma_bar(v, v)`` at or above it (a model whose
        sill exceeds the point variance, or blocks beyond the range): fit the model with
        its sill fixed to the point variance (``fit_variogram(..., sill=variance)``).

    Notes
    -----
    Krige's additivity relation for dispersion variances, ``D2(0|A) = D2(0|v) +
    D2(v|A)``, with ``D2(0|v) = gamma_bar(v, v)`` the dispersion of points within a
    block, gives the dispersion of blocks in the domain ``D2(v|A) = D2(0|A) -
    gamma_bar(v, v)`` (Journel and Huijbregts, 1978, ch. II.E.2); the point variance
    stands for ``D2(0|A)``.

    Examples
    --------
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.geostats.support import block_dispersion_variance
    >>> model = VariogramModel(0.1, [Structure("spherical", 0.9, 100.0)])
    >>> round(block_dispersion_variance(1.0, model, (10.0, 10.0)), 4)
    0.8386
    """
    variance = _check_variance(point_variance, "point_variance")
    gbar = np.asarray(average_variogram(model, block_size, discretisation))
    return _krige(variance, gbar)


def _krige(variance: np.ndarray, gbar: np.ndarray) -> Any:
    """``variance - gbar``, checked to be > 0."""
    out = np.asarray(variance - gbar)
    if np.any(out <= 0):
        bad = np.broadcast_to(gbar, out.shape)[out <= 0].ravel()[0]
        raise InputError(
            f"gamma_bar(v, v) = {bad:g} is at or above the point variance "
            f"{np.broadcast_to(variance, out.shape)[out <= 0].ravel()[0]:g}: no variance "
            f"is left for the blocks; fit the variogram with its sill fixed to the point "
            f"variance, or use blocks smaller than the range"
        )
    return float(out) if out.ndim == 0 else out


def _check_variance(value: Any, name: str) -> np.ndarray:
    """A finite variance > 0 as a float array, or InputError naming `name`."""
    arr = as_float_array(value, name)
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        raise InputError(
            f"{name} must be finite and > 0 (grade squared); got {arr[bad].ravel()[0]}"
        )
    return arr


# ---------------------------------------------------------------- block distribution
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class BlockGradeDistribution(GradeDistribution):
    """
    A block grade distribution with the record of the change of support that made it.

    Every distribution method (``cdf``, ``fraction_above``, ``mean_above``...) is that
    of `distribution`, so the object goes wherever a grade distribution does, e.g. to
    :func:`raremin.tonnage.analytic_grade_tonnage`.

    Parameters
    ----------
    distribution : GradeDistribution
        The block grades: :class:`~raremin.distributions.Empirical` (affine and
        indirect lognormal corrections of samples),
        :class:`~raremin.distributions.Lognormal` (indirect lognormal correction of a
        lognormal) or :class:`DiscreteGaussian`.
    method : {"dgm", "affine", "indirect_lognormal"}
        The change-of-support model.
    point_variance : float or array_like
        Variance of the point grades the block variance was derived from. Units:
        grade squared.
    block_variance : float or array_like
        Target variance of the block grades. Units: grade squared.
    average_variogram : float, optional
        ``gamma_bar(v, v)`` when the block variance came from a variogram model.
        Units: grade squared.
    parameters : mapping of str to float
        Dimensionless parameters of the model: ``variance_factor`` (affine),
        ``b`` and ``mean_rescale`` (indirect lognormal), ``r`` (discrete Gaussian).

    Examples
    --------
    >>> from raremin.distributions import Lognormal
    >>> from raremin.geostats.support import indirect_lognormal_correction
    >>> point = Lognormal.from_mean_cv(500.0, 1.2, unit="ppm", basis="element")
    >>> blocks = indirect_lognormal_correction(point, 0.5 * point.var())
    >>> round(float(blocks.mean()), 6), round(float(blocks.var() / point.var()), 6)
    (500.0, 0.5)
    """

    distribution: GradeDistribution
    method: str
    point_variance: Any
    block_variance: Any
    average_variogram: float | None = None
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.distribution, GradeDistribution):
            raise InputError(
                f"distribution must be a raremin grade distribution; got "
                f"{type(self.distribution).__name__}"
            )
        if self.method not in METHODS:
            raise InputError(f"unknown change-of-support method {self.method!r}; use {METHODS}")
        object.__setattr__(self, "parameters", dict(self.parameters))

    @property
    def unit(self) -> str:  # type: ignore[override]
        """Grade unit (the distribution's)."""
        return self.distribution.unit

    @property
    def basis(self) -> str:  # type: ignore[override]
        """Grade basis (the distribution's)."""
        return self.distribution.basis

    @property
    def name(self) -> str | None:  # type: ignore[override]
        """Grade name (the distribution's)."""
        return self.distribution.name

    def _repr_parts(self) -> list[str]:
        from .._display import fmt, fmt_span

        extra = ", ".join(f"{k} {fmt(v)}" for k, v in self.parameters.items())
        return [f"{self.method}: point variance {fmt_span(self.point_variance)} -> block "
                f"{fmt_span(self.block_variance)}" + (f" ({extra})" if extra else ""),
                f"of {type(self.distribution).__name__}"]

    @property
    def variance_factor(self) -> Any:
        """``block_variance / point_variance``, in (0, 1]."""
        ratio = np.asarray(self.block_variance, float) / np.asarray(self.point_variance, float)
        return float(ratio) if ratio.ndim == 0 else ratio

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The distribution's batch shape."""
        return self.distribution.batch_shape

    def _expanded(self) -> BlockGradeDistribution:
        return dataclasses.replace(self, distribution=self.distribution._expanded())

    def _scaled(self, factor: float, unit: str) -> BlockGradeDistribution:
        f2 = factor * factor
        gbar = None if self.average_variogram is None else self.average_variogram * f2
        return dataclasses.replace(
            self, distribution=self.distribution._scaled(factor, unit),
            point_variance=np.asarray(self.point_variance) * f2,
            block_variance=np.asarray(self.block_variance) * f2, average_variogram=gbar,
        )

    def pdf(self, x: ArrayLike) -> Any:
        """
        Density of block grades at `x`.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> from raremin.geostats.support import indirect_lognormal_correction
        >>> point = Lognormal(0.0, 1.0, unit="pct", basis="oxide")
        >>> float(indirect_lognormal_correction(point, point.var()).pdf(1.0)) > 0
        True
        """
        return self.distribution.pdf(x)

    def cdf(self, x: ArrayLike) -> Any:
        """
        Block tonnage fraction with grade at or below `x`.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> from raremin.geostats.support import indirect_lognormal_correction
        >>> point = Lognormal(0.0, 1.0, unit="pct", basis="oxide")
        >>> float(indirect_lognormal_correction(point, point.var()).cdf(1.0))
        0.5
        """
        return self.distribution.cdf(x)

    def sf(self, x: ArrayLike) -> Any:
        """
        Block tonnage fraction with grade above `x`.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> from raremin.geostats.support import indirect_lognormal_correction
        >>> point = Lognormal(0.0, 1.0, unit="pct", basis="oxide")
        >>> float(indirect_lognormal_correction(point, point.var()).sf(1.0))
        0.5
        """
        return self.distribution.sf(x)

    def fraction_above(self, cutoff: ArrayLike) -> Any:
        """
        Block tonnage fraction at or above a cut-off.

        Examples
        --------
        >>> from raremin.geostats.support import affine_correction
        >>> blocks = affine_correction([1.0, 2.0, 3.0], 2.0 / 3.0 / 4.0, unit="ppm",
        ...                            basis="element")
        >>> blocks.distribution.values.tolist()
        [1.5, 2.0, 2.5]
        >>> round(float(blocks.fraction_above(2.5)), 6)
        0.333333
        """
        return self.distribution.fraction_above(cutoff)

    def mean_above(self, cutoff: ArrayLike) -> Any:
        """
        Mean block grade at or above a cut-off.

        Examples
        --------
        >>> from raremin.geostats.support import affine_correction
        >>> blocks = affine_correction([1.0, 2.0, 3.0], 2.0 / 3.0 / 4.0, unit="ppm",
        ...                            basis="element")
        >>> float(blocks.mean_above(2.0))
        2.25
        """
        return self.distribution.mean_above(cutoff)

    def ppf(self, q: ArrayLike) -> Any:
        """
        Block grade quantile.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> from raremin.geostats.support import indirect_lognormal_correction
        >>> point = Lognormal(0.0, 1.0, unit="pct", basis="oxide")
        >>> float(indirect_lognormal_correction(point, point.var()).ppf(0.5))
        1.0
        """
        return self.distribution.ppf(q)

    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        Metal above a cut-off per unit of the whole block tonnage.

        Examples
        --------
        >>> from raremin.geostats.support import affine_correction
        >>> blocks = affine_correction([1.0, 2.0, 3.0], 2.0 / 3.0 / 4.0, unit="ppm",
        ...                            basis="element")
        >>> float(blocks.expected_above(2.0))
        1.5
        """
        return self.distribution.expected_above(cutoff)

    def _expected2_above(self, cutoff: Any) -> Any:
        return self.distribution._expected2_above(cutoff)

    def mean(self) -> Any:
        """
        Mean block grade (the point mean: every model keeps it).

        Examples
        --------
        >>> from raremin.geostats.support import affine_correction
        >>> float(affine_correction([1.0, 2.0, 3.0], 0.1, unit="ppm", basis="element").mean())
        2.0
        """
        return self.distribution.mean()

    def var(self) -> Any:
        """
        Variance of the block grades.

        Examples
        --------
        >>> from raremin.geostats.support import affine_correction
        >>> round(float(affine_correction([1.0, 2.0, 3.0], 0.1, unit="ppm",
        ...                               basis="element").var()), 12)
        0.1
        """
        return self.distribution.var()

    def rvs(self, size: int | tuple[int, ...] | None = None, rng: Any = None) -> Any:
        """
        Random block grades.

        Examples
        --------
        >>> from raremin.geostats.support import affine_correction
        >>> blocks = affine_correction([1.0, 2.0, 3.0], 0.1, unit="ppm", basis="element")
        >>> blocks.rvs(4, rng=0).shape
        (4,)
        """
        return self.distribution.rvs(size, rng=rng)

    def _tail_tables(self, cutoffs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.distribution._tail_tables(cutoffs)

    def _grade_tonnage_arrays(
        self, cutoffs: np.ndarray, tonnage_t: np.ndarray, factor: float, workers: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.distribution._grade_tonnage_arrays(cutoffs, tonnage_t, factor, workers)


# ----------------------------------------------------------------------- the inputs
def _point_data(
    values: Any, weights: Any, unit: str
) -> tuple[np.ndarray, np.ndarray | None, float, float]:
    """Checked grades and weights, and their weighted mean and (population) variance."""
    z = check_grades(values, unit, "point grades")
    if z.ndim != 1 or z.size < 2:
        raise InputError(f"point grades must be a 1-D array of >= 2 values; got shape {z.shape}")
    w = None if weights is None else check_weights(weights, z.size, "point weights")
    mean = float(np.average(z, weights=w))
    variance = float(np.average((z - mean) ** 2, weights=w))
    if not variance > 0:
        raise InputError(
            f"the point grades have no spread (all {z.size} equal {z[0]:g}): there is "
            f"nothing to correct"
        )
    return z, w, mean, variance


def _factor(block_variance: Any, point_variance: Any) -> np.ndarray:
    """``block_variance / point_variance``, checked to lie in (0, 1]."""
    block = _check_variance(block_variance, "block_variance")
    point = _check_variance(point_variance, "point_variance")
    f = block / point
    if np.any(f > 1 + 1e-12):
        raise InputError(
            f"block_variance {block.max():g} exceeds the point variance {point.min():g}: "
            f"averaging over a block cannot add variance; check the units and the "
            f"variogram model (see block_dispersion_variance)"
        )
    return np.minimum(f, 1.0)


# ------------------------------------------------------------------ affine correction
def affine_correction(
    values: Any,
    block_variance: float,
    *,
    weights: ArrayLike | None = None,
    point_variance: float | None = None,
    unit: str,
    basis: str,
    name: str | None = None,
) -> BlockGradeDistribution:
    """
    Block grades by the affine correction: every point grade pulled towards the mean.

    Parameters
    ----------
    values : array_like, shape (n,)
        Point (sample) grades in `unit`; no NaN, none negative.
    block_variance : float
        Variance of the block grades, e.g. from :func:`block_dispersion_variance`.
        Units: `unit` squared.
    weights : array_like, shape (n,), optional
        Declustering weights.
    point_variance : float, optional
        Point variance the factor is taken against; default the weighted variance of
        `values`. Units: `unit` squared.
    unit : str
        Grade unit.
    basis : {"element", "oxide"}
        Grade basis.
    name : str, optional
        What the grade is of.

    Returns
    -------
    BlockGradeDistribution
        Wrapping the :class:`~raremin.distributions.Empirical` distribution of the
        mapped grades with the same weights; ``parameters["variance_factor"]`` is `f`.

    Raises
    ------
    InputError
        Bad grades or weights, constant grades, or a block variance not in
        ``(0, point variance]``.

    Notes
    -----
    ``z_v = m + sqrt(f) (z - m)`` with ``m`` the weighted mean and ``f = block variance
    / point variance`` (Journel and Huijbregts, 1978, ch. VI.B; Isaaks and Srivastava,
    1989, ch. 19). The mean is kept and the variance is ``f`` times the point variance
    (exactly, for the weighted samples, when `point_variance` is theirs); the shape of
    the histogram is not changed, so the correction suits small variance reductions
    (``f`` above about 0.7). Grades stay >= 0 since ``z_v`` lies between ``z`` and ``m``.

    Examples
    --------
    >>> from raremin.geostats.support import affine_correction
    >>> blocks = affine_correction([100.0, 200.0, 600.0], 10000.0, unit="ppm",
    ...                            basis="element")
    >>> blocks.distribution.values.round(2)
    array([207.42, 253.71, 438.87])
    """
    z, w, mean, variance = _point_data(values, weights, unit)
    point = variance if point_variance is None else point_variance
    f = float(_factor(block_variance, point))
    mapped = mean + math.sqrt(f) * (z - mean)
    dist = Empirical(np.maximum(mapped, 0.0), unit, basis, w, name)
    return BlockGradeDistribution(
        dist, "affine", float(point), float(block_variance), parameters={"variance_factor": f}
    )


# ------------------------------------------------------- indirect lognormal correction
def indirect_lognormal_correction(
    values: Any,
    block_variance: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    point_variance: float | None = None,
    unit: str | None = None,
    basis: str | None = None,
    name: str | None = None,
) -> BlockGradeDistribution:
    """
    Block grades by the indirect lognormal correction, ``z_v = a z**b``, mean kept.

    Parameters
    ----------
    values : array_like, shape (n,), or Lognormal
        Point grades in `unit`, or a :class:`~raremin.distributions.Lognormal` point
        distribution (then the result is exactly lognormal, and `unit`, `basis`, `name`
        and `weights` come from it or are not used).
    block_variance : float or array_like
        Variance of the block grades (broadcast against a lognormal's parameters).
        Units: `unit` squared.
    weights : array_like, shape (n,), optional
        Declustering weights for `values`.
    point_variance : float, optional
        Point variance the factor is taken against; default the weighted variance of
        `values` (the lognormal's variance). Units: `unit` squared.
    unit : str
        Grade unit of `values` (required for samples).
    basis : {"element", "oxide"}
        Grade basis (required for samples).
    name : str, optional
        What the grade is of.

    Returns
    -------
    BlockGradeDistribution
        Wrapping an :class:`~raremin.distributions.Empirical` distribution of the mapped
        samples (same weights), or a :class:`~raremin.distributions.Lognormal`;
        ``parameters`` holds ``variance_factor``, ``b`` and ``mean_rescale``.

    Raises
    ------
    InputError
        Bad grades or weights, constant grades, a missing unit or basis, or a block
        variance not in ``(0, point variance]``.

    Notes
    -----
    With ``m`` and ``CV`` the mean and coefficient of variation of the points and ``f``
    the variance factor, a lognormal ``Z`` has a lognormal block distribution of the
    same mean and of variance ``f Var Z`` under ``z_v = a z**b`` with

    ``b = sqrt(ln(1 + f CV**2) / ln(1 + CV**2))``,
    ``a = m / sqrt(1 + f CV**2) * (sqrt(1 + CV**2) / m)**b``

    (Isaaks and Srivastava, 1989, ch. 19; Journel and Huijbregts, 1978, ch. VI.B).
    Samples are not exactly lognormal, so the mapped grades' weighted mean differs
    from ``m``; they are then rescaled by ``m / mean(a z**b)`` (Isaaks and Srivastava,
    1989, ch. 19), i.e. ``z_v = m z**b / mean(z**b)``. That factor is reported as
    ``parameters["mean_rescale"]`` (1 for a lognormal). The variance of the result is
    then ``f Var Z`` only approximately; zeros stay zero.

    Examples
    --------
    >>> from raremin.distributions import Lognormal
    >>> from raremin.geostats.support import indirect_lognormal_correction
    >>> point = Lognormal.from_mean_cv(0.2, 1.0, unit="pct", basis="oxide")
    >>> blocks = indirect_lognormal_correction(point, 0.02)
    >>> round(float(blocks.mean()), 6), round(float(blocks.cv()), 6)
    (0.2, 0.707107)
    """
    if isinstance(values, Lognormal):
        point = values.var() if point_variance is None else point_variance
        factor = _factor(block_variance, point)
        cv = np.asarray(values.cv(), float)
        block = Lognormal.from_mean_cv(values.mean(), np.sqrt(factor) * cv, unit=values.unit,
                                       basis=values.basis, name=values.name)
        b = block.sigma / values.sigma
        return BlockGradeDistribution(
            block, "indirect_lognormal", point, block_variance,
            parameters={"variance_factor": _plain(factor), "b": _plain(b), "mean_rescale": 1.0},
        )
    if unit is None or basis is None:
        raise InputError(
            "indirect_lognormal_correction of sample grades needs unit= and basis= "
            "(e.g. unit='ppm', basis='element')"
        )
    z, w, mean, variance = _point_data(values, weights, unit)
    point_var = variance if point_variance is None else point_variance
    f = float(_factor(block_variance, point_var))
    cv2 = variance / mean**2
    b = math.sqrt(math.log1p(f * cv2) / math.log1p(cv2))
    a = mean / math.sqrt(1 + f * cv2) * (math.sqrt(1 + cv2) / mean) ** b
    powered = z**b
    scale = mean / float(np.average(powered, weights=w))  # the a actually used
    dist = Empirical(scale * powered, unit, basis, w, name)
    return BlockGradeDistribution(
        dist, "indirect_lognormal", float(point_var), float(np.asarray(block_variance)),
        parameters={"variance_factor": f, "b": b, "mean_rescale": scale / a},
    )


def _plain(x: Any) -> Any:
    """A 0-d array as a float, other arrays unchanged."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


# ------------------------------------------------------------ discrete Gaussian model
@lru_cache(maxsize=4)
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class DiscreteGaussian(GradeDistribution):
    """
    Block grades of the discrete Gaussian model: ``Z_v = phi_r(Y_v)``, ``Y_v`` normal.

    Parameters
    ----------
    anamorphosis : HermiteAnamorphosis
        A fitted point anamorphosis ``Z = phi(Y)``
        (:class:`raremin.geostats.anamorphosis.HermiteAnamorphosis`), in `unit`.
    r : float
        Support coefficient, in (0, 1]; 1 is point support.
    unit : str
        Grade unit of the anamorphosis' grades.
    basis : {"element", "oxide"}
        Grade basis.
    name : str, optional
        What the grade is of.
    scale : float, default 1
        Grades are ``scale * phi_r(Y_v)`` (set by :meth:`to_unit`).

    Notes
    -----
    With the point anamorphosis ``phi(y) = sum_n phi_n H_n(y)`` on normalised Hermite
    polynomials, the discrete Gaussian model (Matheron, 1976) takes block grades
    ``Z_v = phi_r(Y_v) = sum_n phi_n r**n H_n(Y_v)`` with ``Y_v`` standard normal, so
    that ``E Z_v = phi_0`` and ``Var Z_v = sum_{n >= 1} phi_n**2 r**(2n)``; ``r`` is set
    so that this is the block variance (Rivoirard, 1994, ch. 7; Chilès and Delfiner,
    2012, section 6.8). Tonnage and metal above a cut-off come from the anamorphosis'
    ``tonnage_above`` and ``metal_above``; quantiles are ``phi_r(G^-1(q))``; the
    density is ``g(y) / phi_r'(y)`` with the derivative by central differences (for
    plotting), and ``E[Z_v**2 1{Z_v >= c}]`` is a 96-point Gauss-Legendre quadrature in
    ``y`` over the anamorphosis' ``y_range_`` (closed form beyond it, where ``phi_r`` is
    constant). Tonnage, quantiles and that moment use the anamorphosis made monotone
    (and constant beyond the data); the metal, the mean and :meth:`var` use the Hermite
    series itself, so ``var()`` is the block variance the model was set to, and differs
    from ``_expected2_above(-inf) - mean()**2`` by what the monotone version changes
    (a few tenths of a percent for a 30-term fit of skewed grades).

    References
    ----------
    Matheron, G. (1976). Forecasting block grade distributions: the transfer
    functions. In *Advanced Geostatistics in the Mining Industry*, Reidel, 239-251.

    Rivoirard, J. (1994). *Introduction to Disjunctive Kriging and Non-Linear
    Geostatistics*. Oxford University Press.

    Chilès, J.-P. and Delfiner, P. (2012). *Geostatistics: Modeling Spatial
    Uncertainty*, 2nd ed. Wiley, section 6.8.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
    >>> from raremin.geostats.support import DiscreteGaussian
    >>> grades = np.random.default_rng(1).lognormal(5.0, 0.8, 500)
    >>> anam = HermiteAnamorphosis(n_terms=20).fit(grades)
    >>> blocks = DiscreteGaussian(anam, 0.8, unit="ppm", basis="element")
    >>> bool(np.isclose(blocks.mean(), grades.mean()))
    True
    >>> bool(blocks.var() < grades.var())
    True
    """

    anamorphosis: Any
    r: float
    unit: str
    basis: str
    name: str | None = None
    scale: float = 1.0

    def __post_init__(self) -> None:
        unit, basis = grade_unit(self.unit), check_basis(self.basis)
        if getattr(self.anamorphosis, "coefficients_", None) is None:
            raise InputError(
                f"anamorphosis must be a fitted HermiteAnamorphosis; got "
                f"{type(self.anamorphosis).__name__} without coefficients_ (call .fit first)"
            )
        r = float(self.r)
        if not 0 < r <= 1:
            raise InputError(
                f"support coefficient r must be in (0, 1] (1 = point support); got {self.r}"
            )
        scale = float(self.scale)
        if not (math.isfinite(scale) and scale > 0):
            raise InputError(f"scale must be finite and > 0; got {self.scale}")
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "basis", basis)
        object.__setattr__(self, "r", r)
        object.__setattr__(self, "scale", scale)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Always ``()``: one anamorphosis and one support coefficient."""
        return ()

    def _repr_parts(self) -> list[str]:
        from .._display import fmt

        terms = np.size(getattr(self.anamorphosis, "coefficients_", ()))
        scale = f", scale {fmt(self.scale)}" if self.scale != 1.0 else ""
        return [f"r {fmt(self.r)}, {terms} Hermite terms{scale}"]

    def _expanded(self) -> DiscreteGaussian:
        return self

    def _scaled(self, factor: float, unit: str) -> DiscreteGaussian:
        return dataclasses.replace(self, scale=self.scale * factor, unit=unit)

    def _phi(self, y: Any) -> np.ndarray:
        """``scale * phi_r(y)`` for Gaussian values of any shape."""
        y = np.asarray(y, dtype=float)
        out = np.asarray(self.anamorphosis.back_transform(y.ravel(), r=self.r), dtype=float)
        return self.scale * out.reshape(y.shape)

    def _tonnage(self, cutoff: Any) -> np.ndarray:
        c = np.asarray(cutoff, dtype=float)
        out = np.asarray(self.anamorphosis.tonnage_above(c.ravel() / self.scale, self.r), float)
        return out.reshape(c.shape)

    def _metal(self, cutoff: Any) -> np.ndarray:
        c = np.asarray(cutoff, dtype=float)
        out = np.asarray(self.anamorphosis.metal_above(c.ravel() / self.scale, self.r), float)
        return self.scale * out.reshape(c.shape)

    def pdf(self, x: ArrayLike) -> Any:
        """
        Density of block grades at `x` (numerical derivative of the anamorphosis).

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> from raremin.geostats.support import DiscreteGaussian
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> bool(DiscreteGaussian(anam, 0.9, unit="ppm", basis="element").pdf(5.0) > 0)
        True
        """
        x = np.asarray(x, dtype=float)
        above = self._tonnage(x)
        y = special.ndtri(np.clip(1.0 - above, 1e-12, 1 - 1e-12))
        step = 1e-4
        slope = (self._phi(y + step) - self._phi(y - step)) / (2 * step)
        dens = np.exp(-0.5 * y * y) / math.sqrt(2 * math.pi)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(slope > 0, dens / slope, 0.0)
        return _scalar(np.where((above > 0) & (above < 1), out, 0.0))

    def cdf(self, x: ArrayLike) -> Any:
        """
        ``P(Z_v <= x)`` (= ``1 - P(Z_v >= x)``: block grades are continuous).

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> from raremin.geostats.support import DiscreteGaussian
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> round(float(DiscreteGaussian(anam, 0.9, unit="ppm", basis="element").cdf(5.0)), 2)
        0.5
        """
        return _scalar(1.0 - self._tonnage(x))

    def sf(self, x: ArrayLike) -> Any:
        """
        ``P(Z_v > x)``, the tonnage fraction above `x`.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> from raremin.geostats.support import DiscreteGaussian
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> round(float(DiscreteGaussian(anam, 0.9, unit="ppm", basis="element").sf(5.0)), 2)
        0.5
        """
        return _scalar(self._tonnage(x))

    def ppf(self, q: ArrayLike) -> Any:
        """
        Block grade quantile, ``phi_r(G^-1(q))``.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> from raremin.geostats.support import DiscreteGaussian
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> round(float(DiscreteGaussian(anam, 0.9, unit="ppm", basis="element").ppf(0.5)), 2)
        5.0
        """
        q = np.asarray(q, dtype=float)
        if np.any((q < 0) | (q > 1)):
            raise InputError(f"probabilities must be in [0, 1]; got {q}")
        return _scalar(self._phi(special.ndtri(q)))

    def expected_above(self, cutoff: ArrayLike) -> Any:
        """
        Metal above a cut-off per unit of the whole block tonnage.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> from raremin.geostats.support import DiscreteGaussian
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> d = DiscreteGaussian(anam, 0.9, unit="ppm", basis="element")
        >>> round(float(d.expected_above(0.0)), 6)
        5.0
        """
        return _scalar(self._metal(cutoff))

    def _expected2_above(self, cutoff: Any) -> Any:
        # phi_r is constant outside y_range_ (see HermiteAnamorphosis): quadrature inside
        # it, closed form for the two constant tails.
        above = self._tonnage(np.asarray(cutoff, dtype=float))
        yc = special.ndtri(1.0 - above)
        y_lo, y_hi = (float(v) for v in self.anamorphosis.y_range_)
        start = np.clip(yc, y_lo, y_hi)[..., None]
        nodes, weights = _legendre(96)
        y = start + (y_hi - start) * nodes
        z = self._phi(y)
        inner = (z * z * np.exp(-0.5 * y * y)) @ weights * (y_hi - start[..., 0])
        ends = self._phi(np.array([y_lo, y_hi])) ** 2
        top = ends[1] * special.ndtr(-y_hi)
        bottom = np.where(yc < y_lo, ends[0] * (special.ndtr(y_lo) - special.ndtr(yc)), 0.0)
        out = inner / math.sqrt(2 * math.pi) + top + bottom
        return np.where(above > 0, out, 0.0)

    def mean(self) -> Any:
        """
        Mean block grade, ``phi_0`` (the point mean).

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> from raremin.geostats.support import DiscreteGaussian
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> float(DiscreteGaussian(anam, 0.5, unit="ppm", basis="element").mean())
        5.0
        """
        return _scalar(np.asarray(self.scale * self.anamorphosis.coefficients_[0], float))

    def var(self) -> Any:
        """
        Block variance, ``sum_{n >= 1} phi_n**2 r**(2n)``.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.anamorphosis import HermiteAnamorphosis
        >>> from raremin.geostats.support import DiscreteGaussian
        >>> anam = HermiteAnamorphosis(n_terms=10).fit(np.linspace(1.0, 9.0, 101))
        >>> d = DiscreteGaussian(anam, 0.5, unit="ppm", basis="element")
        >>> bool(np.isclose(d.var(), anam.block_variance(0.5)))
        True
        """
        return _scalar(np.asarray(self.scale**2 * self.anamorphosis.block_variance(self.r)))


def _scalar(x: np.ndarray) -> Any:
    x = np.asarray(x)
    return x[()] if x.ndim == 0 else x


def discrete_gaussian_correction(
    values: Any,
    block_variance: float,
    *,
    weights: ArrayLike | None = None,
    point_variance: float | None = None,
    n_terms: int = 30,
    unit: str,
    basis: str,
    name: str | None = None,
) -> BlockGradeDistribution:
    """
    Block grades by the discrete Gaussian model (DGM) with the given block variance.

    Parameters
    ----------
    values : array_like, shape (n,), or HermiteAnamorphosis
        Point grades in `unit`, or an anamorphosis already fitted to them.
    block_variance : float
        Variance of the block grades, e.g. from :func:`block_dispersion_variance`.
        Units: `unit` squared.
    weights : array_like, shape (n,), optional
        Declustering weights for fitting the anamorphosis.
    point_variance : float, optional
        Recorded point variance; default the weighted variance of `values` (the
        anamorphosis' ``variance_`` when one is given). Units: `unit` squared.
    n_terms : int, default 30
        Hermite polynomials of the anamorphosis fitted to `values`.
    unit : str
        Grade unit.
    basis : {"element", "oxide"}
        Grade basis.
    name : str, optional
        What the grade is of.

    Returns
    -------
    BlockGradeDistribution
        Wrapping a :class:`DiscreteGaussian`; ``parameters["r"]`` is the support
        coefficient.

    Raises
    ------
    InputError
        Bad grades, weights or block variance; a block variance the anamorphosis
        cannot reach (at or above its own variance ``variance_``).

    Notes
    -----
    ``r`` solves ``sum_{n >= 1} phi_n**2 r**(2n) = block variance`` (Rivoirard, 1994;
    Chilès and Delfiner, 2012, section 6.8); see :class:`DiscreteGaussian`. The block
    variance is an absolute target, not rescaled by the anamorphosis' share of the
    point variance (``variance_explained_``): the variance a truncated expansion misses
    is in its high-order terms, ``sum_{n >= N} psi_n**2``, which the block weights
    ``r**(2n)`` all but remove, so the truncated block variance is already close to the
    full one. A target at or above the anamorphosis' own variance ``variance_`` (only
    for blocks barely larger than points) raises; within 1e-9 of it gives ``r = 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.support import discrete_gaussian_correction
    >>> grades = np.random.default_rng(2).lognormal(5.0, 0.8, 500)
    >>> blocks = discrete_gaussian_correction(grades, 0.6 * grades.var(), unit="ppm",
    ...                                       basis="element")
    >>> bool(np.isclose(blocks.var(), 0.6 * grades.var()))
    True
    """
    from .anamorphosis import HermiteAnamorphosis

    if isinstance(values, HermiteAnamorphosis):
        anam = values
        if getattr(anam, "coefficients_", None) is None:
            raise InputError("the HermiteAnamorphosis is not fitted: call .fit(values) first")
        point = float(anam.variance_) if point_variance is None else point_variance
    else:
        z, w, _, variance = _point_data(values, weights, unit)
        anam = HermiteAnamorphosis(n_terms=n_terms).fit(z, weights=w)
        point = variance if point_variance is None else point_variance
    _factor(block_variance, point)
    reachable = float(anam.variance_)
    if not float(block_variance) < reachable:
        if np.isclose(float(block_variance), reachable, rtol=1e-9):
            r = 1.0
        else:
            raise InputError(
                f"block_variance {float(block_variance):g} is at or above the variance "
                f"{reachable:g} of the Hermite anamorphosis ({anam.n_terms} terms): the "
                f"discrete Gaussian model cannot reach it; use more terms (n_terms) or "
                f"check the block variance"
            )
    else:
        r = float(anam.support_coefficient(float(block_variance)))
    dist = DiscreteGaussian(anam, r, unit=unit, basis=basis, name=name)
    return BlockGradeDistribution(
        dist, "dgm", float(point), float(block_variance), parameters={"r": r}
    )


# ------------------------------------------------------------------------ front door
def change_of_support(
    values: Any,
    model: VariogramModel,
    block_size: ArrayLike,
    *,
    method: str = "dgm",
    weights: ArrayLike | None = None,
    discretisation: ArrayLike | None = None,
    point_variance: float | None = None,
    n_terms: int = 30,
    unit: str,
    basis: str,
    name: str | None = None,
) -> BlockGradeDistribution:
    """
    Grade distribution of blocks of a given size from point grades and a variogram model.

    Parameters
    ----------
    values : array_like, shape (n,)
        Point (sample or composite) grades in `unit`; no NaN, none negative.
    model : VariogramModel
        Variogram model of the grades (in `unit` squared), ideally with its sill fixed
        to the point variance.
    block_size : array_like, shape (ndim,)
        Block lengths along easting, northing[, elevation]. Units: m.
    method : {"dgm", "affine", "indirect_lognormal"}, default "dgm"
        The change-of-support model: :func:`discrete_gaussian_correction`,
        :func:`affine_correction` or :func:`indirect_lognormal_correction`.
    weights : array_like, shape (n,), optional
        Declustering weights.
    discretisation : int or sequence of int, optional
        Points per block axis for ``gamma_bar(v, v)`` (default 4 per axis); see
        :func:`average_variogram`.
    point_variance : float, optional
        Point variance for Krige's relation; default the weighted variance of
        `values`. Units: `unit` squared.
    n_terms : int, default 30
        Hermite polynomials (``"dgm"`` only).
    unit : str
        Grade unit.
    basis : {"element", "oxide"}
        Grade basis.
    name : str, optional
        What the grade is of.

    Returns
    -------
    BlockGradeDistribution
        The block grade distribution, with ``point_variance``, ``block_variance``,
        ``average_variogram`` (``gamma_bar(v, v)``), ``variance_factor`` and the
        model's ``parameters``.

    Raises
    ------
    InputError
        Unknown method; bad grades, weights, model, block size or discretisation; no
        variance left for the blocks (see :func:`block_dispersion_variance`).

    Notes
    -----
    ``block variance = point variance - gamma_bar(v, v)`` (Krige's relation,
    :func:`block_dispersion_variance`), then the chosen model. All three keep the
    mean. The affine correction only shrinks the histogram; the indirect lognormal
    one also reduces its skewness as a lognormal would; the discrete Gaussian model
    (the usual choice; Rivoirard, 1994; Chilès and Delfiner, 2012, section 6.8) does it
    through the Hermite expansion of the point distribution. The block size should be
    that of the selective mining unit, and the result is the distribution of *true*
    block grades: selection on estimated grades (the information effect) is not
    included.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.geostats.support import change_of_support
    >>> from raremin.tonnage import analytic_grade_tonnage
    >>> grades = np.random.default_rng(3).lognormal(6.0, 0.9, 1000)
    >>> s2 = grades.var()
    >>> model = VariogramModel(0.1 * s2, [Structure("spherical", 0.9 * s2, 40.0)])
    >>> blocks = change_of_support(grades, model, (10.0, 10.0, 5.0), unit="ppm",
    ...                            basis="element", name="tree")
    >>> blocks.method, round(blocks.variance_factor, 3)
    ('dgm', 0.718)
    >>> gt = analytic_grade_tonnage(blocks, 1e6, [200.0, 500.0])
    >>> gt.tonnage_t.shape
    (2,)
    """
    if method not in METHODS:
        raise InputError(f"unknown change-of-support method {method!r}; use one of {METHODS}")
    z, w, _, variance = _point_data(values, weights, unit)
    point = variance if point_variance is None else float(point_variance)
    size = _block_size(block_size)
    if size.ndim != 1:
        raise InputError(f"block_size must be one block, shape (ndim,); got shape {size.shape}")
    gbar = average_variogram(model, size, discretisation)
    block = _krige(_check_variance(point, "point_variance"), np.asarray(gbar))
    if method == "affine":
        out = affine_correction(z, block, weights=w, point_variance=point, unit=unit,
                                basis=basis, name=name)
    elif method == "indirect_lognormal":
        out = indirect_lognormal_correction(z, block, weights=w, point_variance=point,
                                            unit=unit, basis=basis, name=name)
    else:
        out = discrete_gaussian_correction(z, block, weights=w, point_variance=point,
                                           n_terms=n_terms, unit=unit, basis=basis, name=name)
    return dataclasses.replace(out, average_variogram=float(gbar))
