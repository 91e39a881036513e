"""
Cross-validation: leave each sample (or each hole) out and estimate it from the others.

:func:`cross_validate` works with every estimator that keeps the contract of
:class:`~raremin.geostats.base.Estimator` (raremin's
:class:`~raremin.geostats.kriging.Kriging`,
:class:`~raremin.geostats.idw.InverseDistance` and
:class:`~raremin.geostats.idw.NearestSample`, or your own) through its public hooks
only: the estimator is fitted once on all samples, and each sample is re-estimated from
a neighbourhood that leaves it (or its whole hole) out
(:meth:`~raremin.geostats.base.Estimator.neighbours` and
:meth:`~raremin.geostats.base.Estimator.predict_neighbours`), for all samples at once,
or by the estimator's own shortcut
(:meth:`~raremin.geostats.base.Estimator.leave_out`).

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.crossval import cross_validate
>>> from raremin.geostats.idw import InverseDistance
>>> xy = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [30.0, 0.0]])
>>> cv = cross_validate(InverseDistance(), xy, [1.0, 2.0, 3.0, 4.0])
>>> cv.estimate.round(3)
array([2.347, 2.222, 2.778, 2.653])
>>> round(cv.summary["mean_error"], 4)
0.0
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..errors import InputError
from ._local import _check_values
from .neighbourhood import DEFAULT_CHUNK_SIZE, _check_coords, _check_int

__all__ = ["CrossValidation", "cross_validate"]

_BY = ("sample", "hole")

#: The methods cross-validation calls (see raremin.geostats.base).
_CONTRACT = ("get_params", "fit", "neighbours", "predict_neighbours")


@dataclasses.dataclass(frozen=True)
class CrossValidation:
    """
    Results of a cross-validation, one entry per sample.

    Attributes
    ----------
    value : numpy.ndarray
        The true (sample) values, shape (n,).
    estimate : numpy.ndarray
        The estimates with the sample (or its hole) left out; NaN where the
        neighbourhood held fewer than ``min_samples`` other samples.
    error : numpy.ndarray
        ``estimate - value``.
    variance : numpy.ndarray or None
        Kriging variance of each estimate (None for estimators without one).
    n_samples : numpy.ndarray
        Number of samples used for each estimate.
    by : str
        ``"sample"`` or ``"hole"``.
    summary : dict of str to float
        See :func:`cross_validate`.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.crossval import cross_validate
    >>> from raremin.geostats.idw import NearestSample
    >>> cv = cross_validate(NearestSample(), [[0.0], [1.0], [5.0]], [1.0, 2.0, 4.0])
    >>> cv.error.tolist(), cv.summary["mean_squared_error"]
    ([1.0, -1.0, -2.0], 2.0)
    """

    value: np.ndarray
    estimate: np.ndarray
    error: np.ndarray
    variance: np.ndarray | None
    n_samples: np.ndarray
    by: str
    summary: dict[str, float]

    def __repr__(self) -> str:
        from .._display import cross_validation_text

        return cross_validation_text(self)

    def _repr_html_(self) -> str:
        from .._display import cross_validation_html

        return cross_validation_html(self)

    def to_frame(self) -> pd.DataFrame:
        """
        The per-sample results as a DataFrame.

        Examples
        --------
        >>> from raremin.geostats.crossval import cross_validate
        >>> from raremin.geostats.idw import NearestSample
        >>> cv = cross_validate(NearestSample(), [[0.0], [1.0], [5.0]], [1.0, 2.0, 4.0])
        >>> list(cv.to_frame().columns)
        ['value', 'estimate', 'error', 'n_samples']
        """
        columns = {"value": self.value, "estimate": self.estimate, "error": self.error}
        if self.variance is not None:
            columns["variance"] = self.variance
        columns["n_samples"] = self.n_samples
        return pd.DataFrame(columns)


def _summary(value: np.ndarray, estimate: np.ndarray, variance: np.ndarray | None) -> dict:
    """Error statistics over the estimated samples."""
    done = np.isfinite(estimate)
    z, e = value[done], estimate[done]
    err = e - z
    out: dict[str, float] = {
        "n": int(value.size),
        "n_estimated": int(done.sum()),
        "mean_error": float(err.mean()) if err.size else np.nan,
        "mean_error_relative": float(err.mean() / z.mean()) if err.size and z.mean() else np.nan,
        "mean_squared_error": float(np.mean(err**2)) if err.size else np.nan,
    }
    if err.size > 1 and np.std(z) > 0 and np.std(e) > 0:
        out["correlation"] = float(np.corrcoef(z, e)[0, 1])
        out["slope"] = float(np.cov(z, e)[0, 1] / np.var(e, ddof=1))
    else:
        out["correlation"] = np.nan
        out["slope"] = np.nan
    if variance is not None:
        v = variance[done]
        positive = v > 0
        out["mean_standardised_squared_error"] = (
            float(np.mean(err[positive] ** 2 / v[positive])) if positive.any() else np.nan
        )
    return out


def cross_validate(
    estimator: Any,
    coords: ArrayLike,
    values: Any,
    *,
    holes: Any = None,
    by: str = "sample",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> CrossValidation:
    """
    Leave-one-out (or leave-one-hole-out) cross-validation of an estimator.

    Parameters
    ----------
    estimator : Estimator
        The estimator, with its parameters (Kriging, InverseDistance, NearestSample,
        or anything that keeps the contract of
        :class:`~raremin.geostats.base.Estimator`); it is not modified: a new one is
        built from its ``get_params()``.
    coords : array_like, shape (n, d)
        Sample coordinates, metres.
    values : array_like, shape (n,)
        Sample values (one variable: cross-validate columns one at a time).
    holes : array_like, shape (n,), optional
        Hole id of every sample; needed with ``by="hole"`` and by estimators with
        a per-hole limit.
    by : {"sample", "hole"}, default "sample"
        Leave out each sample alone, or every sample of the same hole (so that the
        samples of the same drillhole do not inform each other's estimate, as in
        the estimation of blocks between holes).
    chunk_size : int, default 65536
        Samples per chunk; bounds memory, does not change the results.

    Returns
    -------
    CrossValidation
        Per-sample ``estimate``, ``error`` (estimate - true), ``variance`` (kriging
        only) and ``n_samples``; ``summary`` with ``n``, ``n_estimated``,
        ``mean_error``, ``mean_error_relative`` (mean error / mean value),
        ``mean_squared_error``, ``correlation`` (true vs estimate), ``slope`` (of the
        regression of true on estimate: near 1 means little conditional bias) and,
        for kriging, ``mean_standardised_squared_error`` (mean of
        ``error**2 / variance``, near 1 when the variances are right).

    Raises
    ------
    InputError
        An estimator without the methods of the contract (``get_params``, ``fit``,
        ``neighbours``, ``predict_neighbours``), 2-D values, ``by="hole"`` without
        holes, bad inputs.

    Notes
    -----
    The estimator is fitted once on all samples; every sample is then estimated
    from a neighbourhood that excludes it (``by="sample"``) or its hole
    (``by="hole"``): the KD-tree is queried for ``max_samples`` plus one (or plus
    the largest hole) candidates and the left-out ones are dropped, for all samples
    at once, which equals refitting without them. Per-hole limits and octants are
    applied after the exclusion. An estimator's
    :meth:`~raremin.geostats.base.Estimator.leave_out` may give the same results
    another way: with ``global_search=True`` kriging, the shortcut of Dubrule (1983)
    from one inverse of the kriging matrix: errors ``-r_i / B_ii`` and variances
    ``1 / B_ii`` (``B`` the inverse, ``r = B z``), and the block version
    ``-(B_GG)^-1 r_G`` for a hole ``G``.

    Samples are points: a kriging estimator with ``block_size`` is cross-validated
    with point support. The simple kriging mean is the one fitted on all samples
    (not refitted without the left-out sample). Merged duplicates (``duplicates=
    "mean"``) are left out together; each input row gets the estimate at its
    location and its own error.

    References
    ----------
    Dubrule, O. (1983). Cross validation of kriging in a unique neighborhood.
    *Journal of the International Association for Mathematical Geology* 15(6),
    687-699.

    Isaaks, E.H. and Srivastava, R.M. (1989). *An Introduction to Applied
    Geostatistics*. Oxford University Press, ch. 15.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.crossval import cross_validate
    >>> from raremin.geostats.kriging import Kriging
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> rng = np.random.default_rng(1)
    >>> xy = rng.uniform(0, 100, (40, 2))
    >>> z = np.sin(xy[:, 0] / 20) + rng.normal(0, 0.1, 40)
    >>> model = VariogramModel(0.01, [Structure("gaussian", 0.5, 60.0)])
    >>> cv = cross_validate(Kriging(model), xy, z)
    >>> sorted(cv.summary)[:3]
    ['correlation', 'mean_error', 'mean_error_relative']
    >>> bool(cv.summary["correlation"] > 0.9)
    True
    """
    lacking = [name for name in _CONTRACT if not callable(getattr(estimator, name, None))]
    if lacking:
        raise InputError(
            f"cross_validate needs a neighbourhood estimator (Kriging, InverseDistance, "
            f"NearestSample, or one keeping the contract of raremin.geostats.base."
            f"Estimator); {type(estimator).__name__} has no {', '.join(lacking)}"
        )
    if by not in _BY:
        raise InputError(f"by must be 'sample' or 'hole'; got {by!r}")
    if by == "hole" and holes is None:
        raise InputError("by='hole' needs the hole id of every sample: pass holes=")
    xyz = _check_coords(coords, "sample coordinates")
    vals = _check_values(values, xyz.shape[0])
    if vals.ndim != 1:
        raise InputError(
            f"cross_validate takes one variable, values of shape (n,); got {vals.shape}: "
            f"cross-validate the columns one at a time"
        )
    chunk = _check_int(chunk_size, "chunk_size", 1)
    params = estimator.get_params()
    if params.get("block_size") is not None:
        params["block_size"] = None  # samples have point support
    fitted = type(estimator)(**params).fit(xyz, vals, holes=holes)
    points = fitted.coords_
    n = points.shape[0]
    groups = fitted.holes_ if by == "hole" else None
    shortcut = getattr(fitted, "leave_out", None)
    result = shortcut(groups) if callable(shortcut) else None
    if result is not None:
        est, diag = result
        estimate = np.asarray(est, dtype=float).reshape(n, -1)[:, 0]
        variance = diag.get("variance")
        used = np.asarray(diag["n_samples"])
    else:
        estimate = np.empty(n)
        variance = None
        used = np.empty(n, dtype=np.int64)
        for start in range(0, n, chunk):
            rows = np.arange(start, min(start + chunk, n))
            found = fitted.neighbours(
                points[rows],
                exclude=rows if groups is None else None,
                exclude_group=None if groups is None else groups[rows],
                chunk_size=chunk,
            )
            est, diag = fitted.predict_neighbours(points[rows], found, diagnostics=True)
            estimate[rows] = np.asarray(est, dtype=float).reshape(rows.size, -1)[:, 0]
            used[rows] = diag["n_samples"] if "n_samples" in diag else found.count
            if "variance" in diag:
                if variance is None:
                    variance = np.empty(n)
                variance[rows] = diag["variance"]
    back = fitted.sample_index_
    estimate = estimate[back]
    variance = None if variance is None else np.asarray(variance)[back]
    return CrossValidation(
        value=vals,
        estimate=estimate,
        error=estimate - vals,
        variance=variance,
        n_samples=used[back],
        by=by,
        summary=_summary(vals, estimate, variance),
    )
