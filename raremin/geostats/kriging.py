"""
Kriging: simple and ordinary, point and block, from a search neighbourhood or global.

:class:`Kriging` is an :class:`~raremin.geostats.base.Estimator`
(``fit``/``predict``/``clone``), so :func:`raremin.estimation.estimate` and
:func:`raremin.geostats.crossval.cross_validate` take it as they take the baseline
estimators. One implementation serves 1, 2 and 3 dimensions, simple (SK) and ordinary
(OK) kriging, point and block support, and any number of value columns; the systems
themselves are solved by the functions of ``raremin.geostats._system``.

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
from numpy.typing import ArrayLike

from .._validation import check_finite
from ..errors import InputError
from . import _system
from ._local import _distance_diagnostics
from .base import Estimator
from .models import VariogramModel
from .neighbourhood import DEFAULT_CHUNK_SIZE, Neighbourhood, Neighbours, _check_int

__all__ = ["Kriging"]

logger = logging.getLogger(__name__)

#: Most points discretising one block (a guard before the block covariances are built).
MAX_DISCRETISATION = 1000

#: A kriging system is numerically singular when a squared Cholesky pivot falls below
#: this fraction of the covariance at lag zero (see ``raremin.geostats._system``).
PIVOT_TOLERANCE = _system.PIVOT_TOLERANCE

_KINDS = ("ordinary", "simple")


def _offsets(block: np.ndarray, points: tuple[int, ...]) -> np.ndarray:
    """Discretisation points of a block centred on the origin, (p, d), metres."""
    axes = [
        (np.arange(n) + 0.5) / n * size - 0.5 * size for size, n in zip(block, points, strict=True)
    ]
    grids = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([g.ravel() for g in grids])


class Kriging(Estimator):
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
    sample_index_ : numpy.ndarray
        For every row given to :meth:`fit`, the row of ``coords_`` it went into.
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
    (:meth:`VariogramModel.reduced`: the samples' once at fit) as exact coordinate
    differences, through the one implementation of every shape in
    :mod:`raremin.geostats.models`. Each target's system is solved by a compiled
    kernel (numba; compiled on the first use, on a background thread started by
    :meth:`fit`, or loaded from numba's on-disk cache; run on every CPU, at most
    ``NUMBA_NUM_THREADS``): it builds ``C`` and ``c`` from the neighbours, factorises
    ``C = L L'`` (Cholesky) with the forward solves of ``c`` and of the ones vector
    fused in, takes ordinary kriging's ``mu`` and weights from the Schur complement of
    the bordered system (``mu = (y'y1 - 1) / y1'y1`` with ``y = L^-1 c``,
    ``y1 = L^-1 1``, then one back substitution), and the estimates of every value
    column and all diagnostics from the weights; targets are solved in batches, one
    per SIMD lane, and a target's numbers do not depend on the others (nor on chunk
    sizes or threads). Unbounded (indefinite) systems are solved by Gaussian
    elimination with partial pivoting of the bordered system. The global search
    factorises the ``(n + 1)`` system once (:func:`scipy.linalg.lu_factor`). See
    ``raremin.geostats._system``.

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

    def __repr__(self) -> str:
        from .._display import estimator_text

        return estimator_text(self, always=("model", "neighbourhood", "kind"))

    def _repr_html_(self) -> str:
        from .._display import estimator_html

        return estimator_html(self)

    def search_rules(self) -> Neighbourhood:
        """
        The search (`neighbourhood`, or the 16 nearest samples); checks the parameters.

        Examples
        --------
        >>> from raremin.geostats.kriging import Kriging
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> Kriging(VariogramModel(0.1), kind="universal").search_rules()
        Traceback (most recent call last):
        ...
        raremin.errors.InputError: kind must be 'ordinary' or 'simple'; got 'universal'
        """
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

    def samples_per_hole(self) -> int | None:
        """
        ``max_per_hole``: most samples of one hole per estimate (None: no limit).

        Examples
        --------
        >>> from raremin.geostats.kriging import Kriging
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> Kriging(VariogramModel(0.1), max_per_hole=3).samples_per_hole()
        3
        """
        return None if self.max_per_hole is None else int(self.max_per_hole)

    # ------------------------------------------------------------------------- fit

    def fit(self, coords: ArrayLike, values: Any, *, holes: Any = None) -> Kriging:
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
            ``self``, with ``coords_``, ``values_``, ``holes_``, ``sample_index_``,
            ``search_``, ``mean_`` and ``block_variance_``.

        Raises
        ------
        InputError
            Bad samples or parameters (see :class:`Kriging`); structure ranges that
            do not match the dimension of the coordinates.
        ConvergenceError
            With ``global_search=True``, a singular kriging matrix.

        Notes
        -----
        With a neighbourhood search, fitting also starts compiling the kriging
        kernel (or loading it from numba's cache) on a background thread, so that
        it is ready when :meth:`predict` needs it.

        Examples
        --------
        >>> from raremin.geostats.kriging import Kriging
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> sk = Kriging(VariogramModel(0.0, [Structure("exponential", 1.0, 30.0)]),
        ...              kind="simple")
        >>> sk.fit([[0.0], [10.0], [20.0]], [1.0, 2.0, 6.0]).mean_
        array([3.])
        """
        super().fit(coords, values, holes=holes)
        ndim = self.coords_.shape[1]
        table = self.values_.reshape(self.values_.shape[0], -1)
        if self.kind == "ordinary":
            self.mean_ = None
            shift = np.zeros(table.shape[1])
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
            shift = mean
        block = self._check_block(ndim)
        self._system = _system.build(
            self.model, self.coords_, table, ordinary=self.kind == "ordinary", shift=shift,
            block_offsets=None if block is None else _offsets(*block),
        )
        self.block_variance_ = self._system.block_variance
        if self.global_search:
            self._global = _system.factor_global(self._system, self.coords_)
        else:
            _system.prepare(self._system.bounded)
        return self

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

    # ------------------------------------------------------------------- predict

    def predict(
        self,
        coords: ArrayLike,
        *,
        return_diagnostics: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: Any = False,
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
            Targets per neighbour query (and per call of the kernel); bounds memory,
            does not change the results.
        progress : bool or callable, default False
            True: a one-line progress status on standard error after each chunk (only
            when it is a terminal); a callable is called as ``progress(done, total)``.

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
            est, diag = _system.solve_global(
                self._system, self._global, self.coords_, xyz, chunk, return_diagnostics
            )
            est = est.reshape((xyz.shape[0],) + self.values_.shape[1:])
            return (est, diag) if return_diagnostics else est
        _system.prepare(self._system.bounded)  # compiles while the first search runs
        result = super().predict(
            xyz, return_diagnostics=return_diagnostics, chunk_size=chunk, progress=progress
        )
        if isinstance(result, tuple):  # return_diagnostics
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

    def predict_neighbours(
        self, coords: ArrayLike, neighbours: Neighbours, *, diagnostics: bool = False
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """
        Krige targets whose neighbours are known (each from its own neighbours).

        See :meth:`raremin.geostats.base.Estimator.predict_neighbours`. Diagnostics:
        those of :meth:`predict`. With ``global_search=True`` too, the targets are
        kriged from the neighbours given.

        Raises
        ------
        ConvergenceError
            A singular system; the message numbers the target in `coords`.

        Examples
        --------
        >>> from raremin.geostats.kriging import Kriging
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> ok = Kriging(VariogramModel(0.1, [Structure("spherical", 0.9, 10.0)]))
        >>> ok = ok.fit([[0.0], [4.0], [9.0]], [1.0, 3.0, 2.0])
        >>> found = ok.neighbours([[4.0]], exclude=[1])
        >>> est, diag = ok.predict_neighbours([[4.0]], found, diagnostics=True)
        >>> est.round(4), diag["n_samples"]
        (array([[1.4455]]), array([2]))
        """
        xyz = self._check_targets(coords)
        if neighbours.index.shape[0] != xyz.shape[0]:
            raise InputError(
                f"neighbours has {neighbours.index.shape[0]} rows but there are "
                f"{xyz.shape[0]} targets; give the neighbours of these targets"
            )
        return self._predict_chunk(xyz, neighbours, diagnostics, 0)

    def _predict_chunk(
        self, xyz: np.ndarray, found: Neighbours, diagnostics: bool, first: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        estimates, out = _system.solve_neighbourhoods(
            self._system, xyz, found, self.search_.neighbourhood.min_samples,
            first_label=first,
        )
        if not diagnostics:
            return estimates, {}
        out.update(_distance_diagnostics(found))
        return estimates, out

    # -------------------------------------------------------- cross-validation

    def leave_out(
        self, groups: np.ndarray | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """
        Global kriging's cross-validation shortcut (None with a neighbourhood search).

        Every fitted sample estimated from all the others (or, with `groups`, from the
        samples of the other groups), from one inverse of the global kriging matrix.

        Parameters
        ----------
        groups : numpy.ndarray of int, shape (n',), optional
            Group (hole) code of every fitted sample.

        Returns
        -------
        tuple or None
            ``(estimates (n', c), {"variance", "n_samples"})`` with
            ``global_search=True``; None otherwise.

        Notes
        -----
        Dubrule's (1983) shortcut: with ``B`` the inverse of the full kriging matrix
        and ``r = B [z - m; 0]``, the errors (estimate - true) of the samples of a
        left-out group ``G`` are ``-(B_GG)^-1 r_G`` and their kriging variances the
        diagonal of ``(B_GG)^-1``. Point support, whatever ``block_size``.

        Examples
        --------
        >>> from raremin.geostats.kriging import Kriging
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> model = VariogramModel(0.1, [Structure("spherical", 0.9, 10.0)])
        >>> ok = Kriging(model, global_search=True).fit([[0.0], [4.0], [9.0]],
        ...                                            [1.0, 3.0, 2.0])
        >>> est, diag = ok.leave_out()
        >>> est[1].round(4), diag["n_samples"]
        (array([1.4455]), array([2, 2, 2]))
        """
        self._check_fitted()
        if not self.global_search:
            return None
        errors, variance = _system.leave_out_global(self._system, self._global, groups)
        n = self.coords_.shape[0]
        estimates = self.values_.reshape(n, -1) + errors
        if groups is None:
            used = np.full(n, n - 1, dtype=np.int64)
        else:
            used = (n - np.bincount(groups)[groups]).astype(np.int64)
        return estimates, {"variance": variance, "n_samples": used}
