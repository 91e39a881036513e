"""
Kriging: simple and ordinary, point and block, from a search neighbourhood or global.

:class:`Kriging` follows the estimator contract of
:class:`~raremin.geostats.idw.InverseDistance` (``fit``/``predict``/``clone``), so
:func:`raremin.estimation.estimate` and
:func:`raremin.geostats.crossval.cross_validate` take it as they take the baseline
estimators. One implementation serves 1, 2 and 3 dimensions, simple (SK) and ordinary
(OK) kriging, point and block support, and any number of value columns.

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.kriging import Kriging
>>> from raremin.geostats.models import Structure, VariogramModel
>>> model = VariogramModel(0.1, [Structure("spherical", 0.9, 100.0)])
>>> xy = np.array([[0.0, 0.0], [50.0, 0.0], [0.0, 50.0]])
>>> ok = Kriging(model).fit(xy, [1.0, 2.0, 3.0])
>>> est, diag = ok.predict([[10.0, 10.0]], return_diagnostics=True)
>>> est.round(4), diag["variance"].round(4)
(array([1.5809]), array([0.4308]))
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist

from .._validation import check_finite
from ..errors import ConvergenceError, InputError
from ._local import _distance_diagnostics, _LocalEstimator
from .models import Structure, VariogramModel
from .neighbourhood import DEFAULT_CHUNK_SIZE, Neighbourhood, Neighbours, _check_int

__all__ = ["Kriging"]

logger = logging.getLogger(__name__)

#: A kriging system is numerically singular when the variance of a sample conditional
#: on the samples before it (a squared Cholesky pivot) falls below this fraction of the
#: covariance at lag zero (about 13 digits lost), or, for unbounded models with a global
#: search, when the reciprocal condition number does.
PIVOT_TOLERANCE = 1e-13

#: Bytes of working memory per batch of neighbourhood systems solved together (about
#: 1,900 targets of 32 neighbours); the batch axis is the contiguous one.
BATCH_BYTES = 2**24

#: Most points discretising one block (a guard before the block covariances are built).
MAX_DISCRETISATION = 1000

#: Bytes of right-hand sides per chunk of targets with a global search.
GLOBAL_CHUNK_BYTES = 2**26

_KINDS = ("ordinary", "simple")
_DIAGNOSTICS = ("variance", "slope", "efficiency", "lagrange")


def _cov_into(s: Structure, d2: np.ndarray, out: np.ndarray, first: bool, tmp: np.ndarray) -> None:
    """
    Add (or write, if `first`) a structure's covariance at squared reduced lags `d2`.

    `d2` is scratch and is overwritten; `tmp` is scratch of the same shape. Bounded
    shapes give ``sill * (1 - g(h))``; the linear shape gives the generalised
    covariance ``-sill * h``.
    """
    sill = s.sill
    if s.shape == "spherical":
        np.minimum(d2, 1.0, out=d2)
        np.multiply(d2, 0.5 * sill, out=tmp)
        tmp -= 1.5 * sill
        np.sqrt(d2, out=d2)
        tmp *= d2  # sill (0.5 h^3 - 1.5 h)
        if first:
            np.add(tmp, sill, out=out)
        else:
            tmp += sill
            out += tmp
        return
    if s.shape == "cubic":
        np.minimum(d2, 1.0, out=d2)
        h2 = tmp
        np.copyto(h2, d2)
        np.sqrt(d2, out=d2)  # h
        poly = np.multiply(h2, -0.75)
        poly += 3.5
        poly *= h2
        poly -= 8.75
        poly *= d2
        poly += 7.0
        poly *= h2  # g(h) = h^2 (7 - h (8.75 - h^2 (3.5 - 0.75 h^2)))
        poly *= -sill
        poly += sill
    elif s.shape == "exponential":
        np.sqrt(d2, out=d2)
        d2 *= -3.0
        poly = np.exp(d2, out=d2)
        poly *= sill
    elif s.shape == "gaussian":
        d2 *= -3.0
        poly = np.exp(d2, out=d2)
        poly *= sill
    else:  # linear: generalised covariance
        poly = np.sqrt(d2, out=d2)
        poly *= -sill
    if first:
        np.copyto(out, poly)
    else:
        out += poly


def _cov_at_zero(s: Structure) -> float:
    """A structure's covariance at lag zero (0 for the linear generalised covariance)."""
    return s.sill if s.bounded else 0.0


def _offsets(block: np.ndarray, points: tuple[int, ...]) -> np.ndarray:
    """Discretisation points of a block centred on the origin, (p, d), metres."""
    axes = [
        (np.arange(n) + 0.5) / n * size - 0.5 * size for size, n in zip(block, points, strict=True)
    ]
    grids = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([g.ravel() for g in grids])


class Kriging(_LocalEstimator):
    """
    Simple or ordinary kriging of points or blocks, from a neighbourhood or globally.

    Parameters
    ----------
    model : VariogramModel
        The variogram model (nugget plus nested, possibly anisotropic structures;
        practical ranges, GSLIB conventions).
    neighbourhood : Neighbourhood, optional
        Search rules (number of samples, radius, ellipsoid, octants). Default
        ``Neighbourhood()``: the 16 nearest samples. Must be None with
        ``global_search=True``.
    kind : {"ordinary", "simple"}, default "ordinary"
        Ordinary kriging (unknown local mean, weights sum to 1) or simple kriging
        (known mean). Simple kriging needs a bounded model (a covariance).
    mean : float or sequence of float, optional
        Simple kriging mean, one value or one per value column, in the unit of the
        values. Default: the arithmetic mean of the (merged) sample values of each
        column, which is biased by clustered sampling: pass a declustered mean when
        the data are clustered. Only for ``kind="simple"``.
    block_size : float or sequence of float, optional
        Block dimensions, metres (one value for every axis, or one per axis). None:
        point kriging. With a block size, each target is the centre of a block.
    discretisation : sequence of int, default (4, 4, 4)
        Points per axis discretising a block (the first d values are used in d
        dimensions).
    global_search : bool, default False
        Use every sample in one kriging system (factorised once). For validation
        against global kriging and for small data sets: memory grows as n^2.
    duplicates : {"raise", "mean"}, default "raise"
        Samples at identical coordinates: raise an InputError, or merge them into one
        sample with their mean value.
    max_per_hole : int, optional
        Most samples from any one hole per target (needs ``holes`` in :meth:`fit`).

    Attributes
    ----------
    coords_ : numpy.ndarray
        Sample coordinates after merging duplicates, metres.
    values_ : numpy.ndarray
        Sample values after merging duplicates.
    holes_ : numpy.ndarray or None
        Integer hole code of every sample.
    search_ : NeighbourSearch
        The fitted search.
    mean_ : numpy.ndarray or None
        Simple kriging mean per value column (None for ordinary kriging).
    block_variance_ : float
        Covariance of the target support with itself, ``BV``: ``C(0)`` (the total
        sill) for points, the block-to-block average covariance ``C(V, V)`` (nugget
        left out) for blocks. With a linear structure it is a generalised covariance
        (the nugget for points), not a variance.

    Notes
    -----
    **Systems.** With neighbours ``i, j = 1..n`` of a target ``V`` (a point or a
    block), simple kriging solves ``C w = c`` and ordinary kriging

    .. code-block:: text

        [ C   1 ] [ w  ]   [ c ]
        [ 1'  0 ] [ mu ] = [ 1 ]

    with ``C_ij = C(x_i - x_j)`` (the nugget on the diagonal only) and
    ``c_i = C(x_i, V)``. The estimate is ``m + sum w_i (z_i - m)`` (SK, mean ``m``)
    or ``sum w_i z_i`` (OK) and the kriging variance

    .. code-block:: text

        KV = C(V, V) - sum w_i c_i - mu      (mu = 0 for SK)

    (Journel and Huijbregts, 1978, ch. V; Deutsch and Journel, 1998, ``kt3d``;
    Isaaks and Srivastava, 1989, ch. 12, whose sign of ``mu`` this is). The
    diagnostic ``lagrange`` is this ``mu`` (NaN for SK).

    **Point and block support.** For a point, ``c_i = C(x_i - x0)`` and
    ``C(V, V) = C(0)``, the total sill; a target that coincides with a sample sees
    the nugget too, so kriging is an exact interpolator (estimate = datum, variance
    0). For a block, ``c_i`` is the average covariance between ``x_i`` and the
    discretisation points (``discretisation`` per axis, at the centres of equal
    sub-cells) and ``C(V, V)`` the average over all pairs of discretisation points;
    both **leave the nugget out**, the standard convention for blocks (the nugget is
    a point-scale variance that averages out over a block; kt3d does the same).
    ``C(V, V)`` is computed once, since all blocks have the same size. So a block
    with a 1 x 1 x 1 discretisation gives the point estimate at its centre and the
    point variance minus the nugget.

    **Diagnostics** (Krige, 1997): the *slope of regression* of the true value on
    the estimate, ``Cov(Z, Z*) / Var(Z*) = sum w_i c_i / (sum w_i c_i - mu)``
    (1 for SK; below 1 means conditional bias: high estimates are too high), and
    the *kriging efficiency* ``(BV - KV) / BV`` with the block (or point) variance
    ``BV = C(V, V)``.

    **Unbounded models.** A model with a linear structure has no covariance: simple
    kriging refuses it, and ordinary kriging is solved in the variogram form, with
    the generalised covariance ``K(h) = nugget [h = 0] - gamma_struct(h)`` in place
    of ``C`` (Matheron, 1973): this is the system of ``gamma`` with the
    unbiasedness row, up to the sign of every entry and a constant that cancels
    because the weights sum to 1, so estimate, variance and ``mu`` are the ones of
    the variogram form. Slope and efficiency are NaN there (no block variance).

    **Numerics.** Covariances come from per-structure reduced coordinates
    (:meth:`VariogramModel.reduced`, computed for the samples once at fit) as exact
    coordinate differences, column by column, so no ``(m, n, n, d)`` array is ever
    formed. Bounded systems are solved for whole batches of targets at once by a
    Cholesky factorisation of ``C`` vectorised along the batch, with the right-hand
    sides, the ones vector and the data bordered below ``C`` so that the forward
    substitution comes with the factorisation; ordinary kriging follows from the
    Schur complement of the bordered system (weights and ``mu`` in closed form from
    ``L^-1 c``, ``L^-1 1`` and ``L^-1 z``). Unbounded (indefinite) systems use one
    batched LU solve (:func:`numpy.linalg.solve`) per batch. The global search
    factorises the ``(n + 1)`` system once (:func:`scipy.linalg.lu_factor`).

    **Failures are never silent.** Targets with fewer than ``min_samples``
    neighbours get NaN estimates and diagnostics (their number is logged at INFO
    level on ``raremin.geostats.kriging``; ``n_samples`` says how many were found).
    A numerically singular system (a squared Cholesky pivot below
    ``PIVOT_TOLERANCE`` of ``C(0)``, or a singular LU) raises a ConvergenceError
    naming the first such target, its coordinates, its number of samples and the
    likely cause. Variances that rounding leaves just below zero are reported as 0.

    References
    ----------
    Deutsch, C.V. and Journel, A.G. (1998). *GSLIB: Geostatistical Software Library
    and User's Guide*, 2nd edition. Oxford University Press (program kt3d).

    Isaaks, E.H. and Srivastava, R.M. (1989). *An Introduction to Applied
    Geostatistics*. Oxford University Press, ch. 12-13.

    Journel, A.G. and Huijbregts, C.J. (1978). *Mining Geostatistics*. Academic
    Press, London, ch. V.

    Krige, D.G. (1997). A practical analysis of the effects of spatial structure and
    of data available and accessed, on conditional biases in ordinary kriging. In
    *Geostatistics Wollongong '96*, Kluwer, 799-810.

    Matheron, G. (1973). The intrinsic random functions and their applications.
    *Advances in Applied Probability* 5(3), 439-468.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.kriging import Kriging
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.geostats.neighbourhood import Neighbourhood
    >>> model = VariogramModel(0.05, [Structure("spherical", 0.95, (300.0, 150.0, 30.0))])
    >>> rng = np.random.default_rng(0)
    >>> xyz = rng.uniform(0, 200, (60, 3))
    >>> grades = rng.lognormal(-2.0, 0.5, (60, 2))  # two columns, shared weights
    >>> ok = Kriging(model, Neighbourhood(max_samples=12), block_size=(10, 10, 5))
    >>> est, diag = ok.fit(xyz, grades).predict([[100.0, 100.0, 100.0]],
    ...                                         return_diagnostics=True)
    >>> est.shape, int(diag["n_samples"][0])
    ((1, 2), 12)
    >>> bool(0 < diag["variance"][0] < ok.block_variance_)
    True
    """

    _param_names = (
        "model",
        "neighbourhood",
        "kind",
        "mean",
        "block_size",
        "discretisation",
        "global_search",
        "duplicates",
        "max_per_hole",
    )

    def __init__(
        self,
        model: VariogramModel,
        neighbourhood: Neighbourhood | None = None,
        *,
        kind: str = "ordinary",
        mean: Any = None,
        block_size: Any = None,
        discretisation: Any = (4, 4, 4),
        global_search: bool = False,
        duplicates: str = "raise",
        max_per_hole: int | None = None,
    ) -> None:
        self.model = model
        self.neighbourhood = neighbourhood
        self.kind = kind
        self.mean = mean
        self.block_size = block_size
        self.discretisation = discretisation
        self.global_search = global_search
        self.duplicates = duplicates
        self.max_per_hole = max_per_hole

    # ------------------------------------------------------------------ parameters

    def _neighbourhood(self) -> Neighbourhood:
        if not isinstance(self.model, VariogramModel):
            raise InputError(
                f"model must be a VariogramModel; got {type(self.model).__name__}"
            )
        if self.kind not in _KINDS:
            raise InputError(f"kind must be 'ordinary' or 'simple'; got {self.kind!r}")
        if self.kind == "simple" and not self.model.bounded:
            raise InputError(
                "simple kriging needs a covariance, but the model has a linear (unbounded) "
                "structure; use kind='ordinary' or a bounded model"
            )
        if self.kind == "ordinary" and self.mean is not None:
            raise InputError(
                f"mean={self.mean!r} is only used by simple kriging; drop it or pass "
                f"kind='simple'"
            )
        if not isinstance(self.global_search, (bool, np.bool_)):
            raise InputError(f"global_search must be True or False; got {self.global_search!r}")
        if self.max_per_hole is not None:
            _check_int(self.max_per_hole, "max_per_hole", 1)
        if self.global_search:
            if self.neighbourhood is not None or self.max_per_hole is not None:
                raise InputError(
                    "global_search=True uses every sample: leave neighbourhood and "
                    "max_per_hole at None"
                )
            return Neighbourhood()
        nb = Neighbourhood() if self.neighbourhood is None else self.neighbourhood
        if not isinstance(nb, Neighbourhood):
            raise InputError(f"neighbourhood must be a Neighbourhood; got {nb!r}")
        return nb

    def _max_per_group(self) -> int | None:
        return None if self.max_per_hole is None else int(self.max_per_hole)

    # ------------------------------------------------------------------------- fit

    def fit(self, coords: Any, values: Any, *, holes: Any = None) -> Kriging:
        """
        Validate the samples and prepare the kriging systems.

        Parameters
        ----------
        coords : array_like, shape (n, d)
            Sample coordinates, metres (easting, northing[, elevation]); d = 1-3.
        values : array_like, shape (n,) or (n, k)
            Sample values, finite; k columns share the weights.
        holes : array_like, shape (n,), optional
            Hole id of every sample (needed by ``max_per_hole`` and by
            cross-validation by hole).

        Returns
        -------
        Kriging
            ``self``, with ``coords_``, ``values_``, ``holes_``, ``search_``,
            ``mean_`` and ``block_variance_``.

        Raises
        ------
        InputError
            Bad samples or parameters (see :class:`Kriging`); structure ranges that
            do not match the dimension of the coordinates.
        ConvergenceError
            With ``global_search=True``, a singular kriging matrix.

        Examples
        --------
        >>> from raremin.geostats.kriging import Kriging
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> sk = Kriging(VariogramModel(0.0, [Structure("exponential", 1.0, 30.0)]),
        ...              kind="simple")
        >>> sk.fit([[0.0], [10.0], [20.0]], [1.0, 2.0, 6.0]).mean_
        array([3.])
        """
        return super().fit(coords, values, holes=holes)

    def _fit_extra(self) -> None:
        if self.max_per_hole is not None and self.holes_ is None:
            raise InputError(
                f"max_per_hole={self.max_per_hole} needs the hole id of every sample: "
                f"pass holes= to fit"
            )
        model = self.model
        ndim = self.coords_.shape[1]
        self._origin = self.coords_.mean(axis=0)
        local = self.coords_ - self._origin
        self._structures = tuple(model.structures)
        # Reduced coordinates per structure, (d, n) so that each axis is contiguous.
        self._reduced = [np.ascontiguousarray(r.T) for r in model.reduced(local)]
        self._ordinary = self.kind == "ordinary"
        self._c0 = model.nugget + sum(_cov_at_zero(s) for s in self._structures)
        table = self.values_.reshape(self.values_.shape[0], -1)
        self._table = np.ascontiguousarray(table.T)  # (k, n)
        if self._ordinary:
            self.mean_ = None
            self._shift = np.zeros(table.shape[1])
        else:
            if self.mean is None:
                mean = table.mean(axis=0)
            else:
                mean = np.atleast_1d(check_finite(self.mean, "mean")).astype(float).ravel()
                if mean.size == 1:
                    mean = np.repeat(mean, table.shape[1])
                if mean.size != table.shape[1]:
                    raise InputError(
                        f"mean must be one value or one per value column "
                        f"({table.shape[1]}); got {mean.size}"
                    )
            self.mean_ = mean
            self._shift = mean
        self._block = self._check_block(ndim)
        if self._block is None:
            self._offsets = None
            self._offsets_reduced = None
            self.block_variance_ = float(self._c0)
        else:
            self._offsets = _offsets(*self._block)
            self._offsets_reduced = model.reduced(self._offsets)
            self.block_variance_ = self._block_block()
        if self.global_search:
            self._factorise_global()

    def _check_block(self, ndim: int) -> tuple[np.ndarray, tuple[int, ...]] | None:
        if self.block_size is None:
            return None
        size = np.atleast_1d(check_finite(self.block_size, "block_size")).astype(float).ravel()
        if size.size == 1:
            size = np.repeat(size, ndim)
        if size.size != ndim or np.any(size <= 0):
            raise InputError(
                f"block_size must be one positive length or one per axis ({ndim}), "
                f"metres; got {self.block_size!r}"
            )
        disc = np.atleast_1d(np.asarray(self.discretisation)).ravel()
        if disc.size < ndim:
            raise InputError(
                f"discretisation needs at least {ndim} point counts (one per axis); "
                f"got {self.discretisation!r}"
            )
        points = tuple(_check_int(p, "discretisation", 1) for p in disc[:ndim])
        if math.prod(points) > MAX_DISCRETISATION:
            raise InputError(
                f"discretisation {' x '.join(map(str, points))} makes {math.prod(points):,} "
                f"points per block, more than the limit of {MAX_DISCRETISATION:,}; 4 x 4 x 4 "
                f"(64) is usual and enough for the block covariance")
        return size, points

    def _block_block(self) -> float:
        """Average covariance between all pairs of discretisation points, no nugget."""
        total = np.zeros((self._offsets.shape[0],) * 2)
        for s, q in zip(self._structures, self._offsets_reduced, strict=True):
            d2 = cdist(q, q, "sqeuclidean")
            _cov_into(s, d2, total, False, np.empty_like(d2))
        return float(total.mean())

    # ---------------------------------------------------------------- global search

    def _factorise_global(self) -> None:
        n = self.coords_.shape[0]
        size = n + 1 if self._ordinary else n
        a = np.zeros((size, size))
        lhs = a[:n, :n]
        for s, r in zip(self._structures, self._reduced, strict=True):
            d2 = cdist(r.T, r.T, "sqeuclidean")
            _cov_into(s, d2, lhs, False, np.empty_like(d2))
        lhs[np.diag_indices(n)] += self.model.nugget
        if self._ordinary:
            a[n, :n] = 1.0
            a[:n, n] = 1.0
        self._global_matrix = a
        self._check_global(lhs)
        self._global_lu = scipy.linalg.lu_factor(a, check_finite=False)
        if not self.model.bounded:
            anorm = float(np.abs(a).sum(axis=0).max())
            rcond = scipy.linalg.lapack.dgecon(self._global_lu[0], anorm)[0]
            if not rcond > PIVOT_TOLERANCE:
                raise ConvergenceError(
                    f"the global kriging matrix of {n} samples is singular (reciprocal "
                    f"condition number {rcond:.3g}); likely causes: duplicate or nearly "
                    f"coincident samples (merge them with duplicates='mean')"
                )

    def _check_global(self, lhs: np.ndarray) -> None:
        """Raise if the sample covariance matrix is numerically singular (bounded models)."""
        if not self.model.bounded:
            return
        factor, info = scipy.linalg.lapack.dpotrf(lhs, lower=1, clean=1)
        if info > 0:
            bad = info - 1
        else:
            pivots = np.diag(factor) ** 2
            weak = np.flatnonzero(~(pivots > PIVOT_TOLERANCE * self._c0))
            if not weak.size:
                return
            bad = int(weak[0])
        point = ", ".join(f"{c:g}" for c in self.coords_[bad])
        raise ConvergenceError(
            f"the global kriging matrix of {lhs.shape[0]} samples is singular at sample "
            f"{bad} ({point}): its covariances repeat those of other samples; likely "
            f"causes: duplicate or nearly coincident samples (merge them with "
            f"duplicates='mean' or composite them), or a very smooth model without a "
            f"nugget (a Gaussian structure: add a small nugget, e.g. 1e-6 of the sill)"
        )

    def _global_rhs(self, xyz: np.ndarray) -> np.ndarray:
        """Covariances between every sample and the targets, (n, m)."""
        local = xyz - self._origin
        reduced = self.model.reduced(local)
        n = self.coords_.shape[0]
        rhs = np.zeros((n, xyz.shape[0]))
        for s_i, (s, r, t) in enumerate(zip(self._structures, self._reduced, reduced, strict=True)):
            if self._offsets_reduced is None:
                d2 = cdist(r.T, t, "sqeuclidean")
                _cov_into(s, d2, rhs, False, np.empty_like(d2))
            else:
                q = self._offsets_reduced[s_i]
                acc = np.zeros_like(rhs)
                for point in q:
                    d2 = cdist(r.T, t + point, "sqeuclidean")
                    _cov_into(s, d2, acc, False, np.empty_like(d2))
                rhs += acc / q.shape[0]
        return rhs

    def _predict_global(
        self, xyz: np.ndarray, diagnostics: bool, chunk: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        n = self.coords_.shape[0]
        m = xyz.shape[0]
        ncol = self._table.shape[0]
        per_target = 8 * n * (2 + (0 if self._offsets is None else 1))
        step = max(1, min(chunk, GLOBAL_CHUNK_BYTES // per_target))
        estimates = np.empty((m, ncol))
        out = {key: np.empty(m) for key in _DIAGNOSTICS}
        dist = {
            "n_samples": np.full(m, n, dtype=np.int64),
            "mean_distance_m": np.empty(m),
            "nearest_distance_m": np.empty(m),
        }
        centred = self._table - self._shift[:, None]
        for start in range(0, m, step):
            stop = min(start + step, m)
            rhs = self._global_rhs(xyz[start:stop])
            metres = cdist(self.coords_, xyz[start:stop])
            if self._offsets is None:
                rhs[metres == 0] += self.model.nugget
            if diagnostics:
                dist["mean_distance_m"][start:stop] = metres.mean(axis=0)
                dist["nearest_distance_m"][start:stop] = metres.min(axis=0)
            b = np.vstack([rhs, np.ones((1, stop - start))]) if self._ordinary else rhs
            sol = scipy.linalg.lu_solve(self._global_lu, b, check_finite=False)
            w = sol[:n]
            estimates[start:stop] = (centred @ w).T + self._shift
            wc = np.einsum("nm,nm->m", w, rhs)
            mu = sol[n] if self._ordinary else np.zeros(stop - start)
            self._finish(out, slice(start, stop), wc, mu)
        if not diagnostics:
            return estimates, {}
        out.update(dist)
        return estimates, out

    def _finish(
        self, out: dict[str, np.ndarray], rows: Any, wc: np.ndarray, mu: np.ndarray
    ) -> None:
        """Variance, slope, efficiency and multiplier from ``sum w c`` and ``mu``."""
        bv = self.block_variance_
        variance = bv - wc - mu
        np.maximum(variance, 0.0, out=variance)
        out["variance"][rows] = variance
        out["lagrange"][rows] = mu if self._ordinary else np.nan
        if self.model.bounded:
            with np.errstate(divide="ignore", invalid="ignore"):
                out["slope"][rows] = wc / (wc - mu)
                out["efficiency"][rows] = (bv - variance) / bv if bv > 0 else np.nan
        else:
            out["slope"][rows] = np.nan
            out["efficiency"][rows] = np.nan

    # ------------------------------------------------------------------- predict

    def predict(
        self,
        coords: Any,
        *,
        return_diagnostics: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
        """
        Krige at target points (or block centres).

        Parameters
        ----------
        coords : array_like, shape (m, d)
            Target coordinates (block centres with ``block_size``), metres.
        return_diagnostics : bool, default False
            Also return a dict of arrays of shape (m,): ``variance`` (kriging
            variance), ``slope`` (slope of regression of true on estimate),
            ``efficiency`` (kriging efficiency), ``lagrange`` (OK multiplier ``mu``;
            NaN for SK), ``n_samples`` (int), ``mean_distance_m`` and
            ``nearest_distance_m`` (metres). See the class Notes.
        chunk_size : int, default 65536
            Targets per neighbour query (and at most per batch of systems); bounds
            memory, does not change the results.

        Returns
        -------
        estimates : numpy.ndarray
            Shape (m,) or (m, k) like the fitted values; **NaN where not estimated**
            (fewer than ``min_samples`` neighbours; counted in the log).
        diagnostics : dict of numpy.ndarray
            Only with ``return_diagnostics=True``; NaN where not estimated.

        Raises
        ------
        RareminError
            Not fitted.
        InputError
            Bad coordinates or chunk size.
        ConvergenceError
            A singular kriging system (the message names the target).

        Examples
        --------
        >>> from raremin.geostats.kriging import Kriging
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> model = VariogramModel(0.0, [Structure("spherical", 1.0, 10.0)])
        >>> ok = Kriging(model).fit([[0.0], [4.0], [9.0]], [1.0, 3.0, 2.0])
        >>> est, diag = ok.predict([[4.0], [6.0]], return_diagnostics=True)
        >>> est.round(4), diag["variance"].round(4)
        (array([3.    , 2.6612]), array([0.    , 0.3732]))
        """
        xyz = self._check_targets(coords)
        chunk = _check_int(chunk_size, "chunk_size", 1)
        if self.global_search:
            est, diag = self._predict_global(xyz, return_diagnostics, chunk)
            est = est.reshape((xyz.shape[0],) + self.values_.shape[1:])
            return (est, diag) if return_diagnostics else est
        result = super().predict(xyz, return_diagnostics=return_diagnostics, chunk_size=chunk)
        if return_diagnostics:
            missing = int(np.count_nonzero(
                result[1]["n_samples"] < self.search_.neighbourhood.min_samples
            ))
        else:
            missing = int(np.isnan(result.reshape(xyz.shape[0], -1)[:, 0]).sum())
        if missing:
            logger.info(
                "%d of %d targets have fewer than min_samples=%d neighbours and are not "
                "estimated (NaN)", missing, xyz.shape[0],
                self.search_.neighbourhood.min_samples,
            )
        return result

    def _empty_diagnostics(self) -> dict[str, np.ndarray]:
        empty = super()._empty_diagnostics()
        empty.update({key: np.empty(0) for key in _DIAGNOSTICS})
        return empty

    def _predict_found(
        self, xyz: np.ndarray, found: Neighbours, diagnostics: bool, offset: int = 0
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        m = xyz.shape[0]
        ncol = self._table.shape[0]
        estimates = np.full((m, ncol), np.nan)
        out = {key: np.full(m, np.nan) for key in _DIAGNOSTICS}
        ok = np.flatnonzero(found.count >= self.search_.neighbourhood.min_samples)
        if ok.size:
            k = int(found.count[ok].max())
            extra = 1 + int(self._ordinary) + ncol
            batch = max(16, min(ok.size, BATCH_BYTES // (8 * (k + extra) * k)))
            reduced = self.model.reduced(xyz - self._origin)
            for start in range(0, ok.size, batch):
                rows = ok[start : start + batch]
                est, wc, mu = self._solve_batch(
                    [r[rows] for r in reduced],
                    found.index[rows, :k],
                    found.count[rows],
                    found.distance_m[rows, :k] == 0,
                    xyz[rows],
                    rows + offset,
                )
                estimates[rows] = est
                self._finish(out, rows, wc, mu)
        if not diagnostics:
            return estimates, {}
        out.update(_distance_diagnostics(found))
        return estimates, out

    # ---------------------------------------------------------- batched systems

    def _gather(
        self, targets_reduced: list[np.ndarray], idx: np.ndarray
    ) -> list[np.ndarray]:
        """Neighbour offsets from the target per structure, each (d, k, mb)."""
        out = []
        for r, t in zip(self._reduced, targets_reduced, strict=True):
            p = np.empty((r.shape[0],) + idx.shape)
            for c in range(r.shape[0]):
                np.take(r[c], idx, out=p[c])
                p[c] -= t[:, c]
            out.append(p)
        return out

    def _rhs(self, offsets: list[np.ndarray], coincident: np.ndarray) -> np.ndarray:
        """Covariances neighbour-target (point) or neighbour-block, (k, mb)."""
        k, mb = offsets[0].shape[1:] if offsets else coincident.shape
        rhs = np.zeros((k, mb))
        for s_i, (s, p) in enumerate(zip(self._structures, offsets, strict=True)):
            if self._offsets_reduced is None:
                d2 = np.einsum("ckm,ckm->km", p, p)
                _cov_into(s, d2, rhs, False, np.empty_like(d2))
            else:
                q = self._offsets_reduced[s_i]  # (np, d)
                flat = p.reshape(p.shape[0], -1)
                d2 = q @ flat  # (np, k mb)
                d2 *= -2.0
                d2 += np.einsum("cx,cx->x", flat, flat)
                d2 += np.einsum("pc,pc->p", q, q)[:, None]
                np.maximum(d2, 0.0, out=d2)
                acc = np.zeros_like(d2)
                _cov_into(s, d2, acc, True, np.empty_like(d2))
                rhs += acc.mean(axis=0).reshape(k, mb)
        if self._offsets_reduced is None and self.model.nugget:
            rhs += self.model.nugget * coincident
        return rhs

    def _column(
        self, offsets: list[np.ndarray], j: int, col: np.ndarray, tmp: np.ndarray,
        tmp2: np.ndarray,
    ) -> None:
        """Covariances between neighbour j and neighbours j.. (rows), into `col`."""
        if not self._structures:
            col[...] = 0.0
        for s_i, (s, p) in enumerate(zip(self._structures, offsets, strict=True)):
            d2 = tmp[: col.shape[0]]
            np.subtract(p[0, j:], p[0, j], out=d2)
            d2 *= d2
            t = tmp2[: col.shape[0]]
            for c in range(1, p.shape[0]):
                np.subtract(p[c, j:], p[c, j], out=t)
                t *= t
                d2 += t
            _cov_into(s, d2, col, s_i == 0, t)
        if self.model.nugget:
            col[0] += self.model.nugget

    def _solve_batch(
        self,
        targets_reduced: list[np.ndarray],
        index: np.ndarray,
        count: np.ndarray,
        coincident: np.ndarray,
        xyz: np.ndarray,
        labels: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Estimates (mb, c), ``sum w c`` and ``mu`` of one batch of targets."""
        mb, k = index.shape
        idx = np.ascontiguousarray(index.T)  # (k, mb); -1 padding reads a dummy
        offsets = self._gather(targets_reduced, idx)
        rhs = self._rhs(offsets, coincident.T)
        padded = bool(np.any(count < k))
        valid = (np.arange(k)[:, None] < count[None, :]) if padded else None
        values = np.empty((self._table.shape[0], k, mb))
        for c, row in enumerate(self._table):
            np.take(row, idx, out=values[c])
            values[c] -= self._shift[c]
        if padded:
            rhs *= valid
            values *= valid
        if self.model.bounded:
            return self._cholesky(offsets, rhs, values, valid, xyz, labels, count)
        return self._lu(offsets, rhs, values, valid, xyz, labels, count)

    def _cholesky(
        self, offsets, rhs, values, valid, xyz, labels, count
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k, mb = rhs.shape
        ordinary = self._ordinary
        ncol = values.shape[0]
        first_extra = k
        ones_row = k + 1
        value_rows = k + 1 + int(ordinary)
        low = np.empty((value_rows + ncol, k, mb))
        low[first_extra] = rhs
        if ordinary:
            low[ones_row] = 1.0 if valid is None else valid
        low[value_rows:] = values
        tmp = np.empty((k, mb))
        tmp2 = np.empty((k, mb))
        pad = self._c0  # diagonal of padded (unused) neighbour slots
        with np.errstate(invalid="ignore", divide="ignore"):
            for j in range(k):
                col = low[j:k, j]
                self._column(offsets, j, col, tmp, tmp2)
                if valid is not None:
                    col *= valid[j:]
                    col *= valid[j]
                    col[0] += pad * ~valid[j]
                full = low[j:, j]
                if j:
                    full -= np.einsum("ipm,pm->im", low[j:, :j], low[j, :j])
                # A pivot <= 0 gives NaN, which stays within its own target.
                full /= np.sqrt(full[0])
        # Squared pivots: the diagonal of L squared; NaN or tiny means singular.
        pivots = np.diagonal(low[:k]).T  # (k, mb)
        weak = ~(pivots * pivots > PIVOT_TOLERANCE * self._c0)
        if weak.any():
            bad = np.flatnonzero(weak.any(axis=0))
            self._singular(bad[0], xyz, labels, count, "Cholesky pivot")
        y = low[first_extra]
        yz = low[value_rows:]
        a00 = np.einsum("km,km->m", y, y)
        az0 = np.einsum("ckm,km->cm", yz, y)
        if not ordinary:
            return (az0 + self._shift[:, None]).T, a00, np.zeros(mb)
        y1 = low[ones_row]
        a01 = np.einsum("km,km->m", y, y1)
        a11 = np.einsum("km,km->m", y1, y1)
        az1 = np.einsum("ckm,km->cm", yz, y1)
        mu = (a01 - 1.0) / a11
        estimates = (az0 - mu * az1).T
        return estimates, a00 - mu * a01, mu

    def _lu(
        self, offsets, rhs, values, valid, xyz, labels, count
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k, mb = rhs.shape
        full = np.empty((k, k, mb))
        tmp = np.empty((k, mb))
        tmp2 = np.empty((k, mb))
        for j in range(k):
            col = full[j:, j]
            self._column(offsets, j, col, tmp, tmp2)
            if valid is not None:
                col *= valid[j:]
                col *= valid[j]
                col[0] += ~valid[j]
            full[j, j + 1 :] = col[1:]
        a = np.zeros((mb, k + 1, k + 1))
        a[:, :k, :k] = full.transpose(2, 0, 1)
        a[:, k, :k] = 1.0 if valid is None else valid.T
        a[:, :k, k] = a[:, k, :k]
        b = np.empty((mb, k + 1, 1))
        b[:, :k, 0] = rhs.T
        b[:, k, 0] = 1.0
        try:
            sol = np.linalg.solve(a, b)[..., 0]
        except np.linalg.LinAlgError:
            sign, _ = np.linalg.slogdet(a)
            first = np.flatnonzero(sign == 0)
            self._singular(first[0] if first.size else 0, xyz, labels, count, "LU")
        if not np.all(np.isfinite(sol)):
            first = np.flatnonzero(~np.isfinite(sol).all(axis=1))[0]
            self._singular(first, xyz, labels, count, "LU")
        w = sol[:, :k]
        mu = sol[:, k]
        estimates = np.einsum("mk,ckm->mc", w, values)
        return estimates, np.einsum("mk,km->m", w, rhs), mu

    def _singular(self, i: int, xyz, labels, count, method: str) -> None:
        point = ", ".join(f"{c:g}" for c in xyz[i])
        raise ConvergenceError(
            f"the kriging system of target {int(labels[i])} at ({point}) with "
            f"{int(count[i])} samples is singular ({method}); likely causes: duplicate "
            f"or nearly coincident samples (merge them with duplicates='mean' or "
            f"composite them), or a very smooth model without a nugget (a Gaussian "
            f"structure: add a small nugget, e.g. 1e-6 of the sill)"
        )

    # -------------------------------------------------------- cross-validation

    def _loo_global(self, groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """
        Leave-one-out (or leave-group-out) errors and variances of global kriging.

        Dubrule's (1983) shortcut: with ``B`` the inverse of the full kriging matrix
        and ``r = B [z - m; 0]``, the errors (estimate - true) of the samples of a
        left-out group ``G`` are ``-(B_GG)^-1 r_G`` and their kriging variances the
        diagonal of ``(B_GG)^-1``.
        """
        n = self.coords_.shape[0]
        size = self._global_matrix.shape[0]
        inverse = scipy.linalg.lu_solve(self._global_lu, np.eye(size), check_finite=False)
        z = np.zeros((size, self._table.shape[0]))
        z[:n] = (self._table - self._shift[:, None]).T
        r = inverse @ z
        if groups is None:
            d = np.diag(inverse)[:n]
            return -r[:n] / d[:, None], 1.0 / d
        errors = np.empty((n, z.shape[1]))
        variance = np.empty(n)
        order = np.argsort(groups, kind="stable")
        bounds = np.flatnonzero(np.diff(groups[order])) + 1
        for members in np.split(order, bounds):
            sub = np.linalg.inv(inverse[np.ix_(members, members)])
            errors[members] = -(sub @ r[members])
            variance[members] = np.diag(sub)
        return errors, variance
