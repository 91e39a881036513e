"""
Baseline point estimators: inverse distance weighting and the nearest sample.

Both follow the scikit-learn contract: ``__init__`` only stores the parameters,
:meth:`fit` validates the samples and returns the estimator, fitted attributes end in
``_``, and :meth:`predict` estimates any number of targets at once (chunked, no loop
over targets). They share the interface that kriging estimators implement, so
:func:`raremin.estimation.estimate` can use any of them.

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.idw import InverseDistance, NearestSample
>>> xy = np.array([[0.0, 0.0], [10.0, 0.0]])
>>> InverseDistance().fit(xy, [100.0, 200.0]).predict([[2.5, 0.0]]).round(2)
array([110.])
>>> NearestSample().fit(xy, [100.0, 200.0]).predict([[7.0, 0.0]])
array([200.])
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from .._validation import check_finite
from ..errors import InputError, RareminError
from .neighbourhood import (
    DEFAULT_CHUNK_SIZE,
    Neighbourhood,
    Neighbours,
    NeighbourSearch,
    _check_coords,
    _check_int,
)

__all__ = ["InverseDistance", "NearestSample"]

#: A target within this many metres of a sample takes that sample's value.
EXACT_TOLERANCE_M = 1e-9

_DUPLICATE_POLICIES = ("raise", "mean")


def _check_values(values: Any, n: int) -> np.ndarray:
    """Sample values, shape (n,) or (n, k), finite."""
    vals = check_finite(values, "values")
    if vals.ndim not in (1, 2) or vals.shape[0] != n:
        raise InputError(
            f"values must have shape (n,) or (n, k) with n = {n} (one row per sample); "
            f"got shape {vals.shape}"
        )
    if vals.ndim == 2 and vals.shape[1] == 0:
        raise InputError("values has no columns; give at least one variable to estimate")
    return vals


def _merge_duplicates(
    coords: np.ndarray, values: np.ndarray, policy: str
) -> tuple[np.ndarray, np.ndarray]:
    """Raise on identical coordinates, or average their values (policy 'mean')."""
    coords = coords + 0.0  # -0.0 and 0.0 must compare equal bytewise
    _, first, inverse, counts = np.unique(
        coords, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.ravel()
    repeated = counts > 1
    if not repeated.any():
        return coords, values
    if policy == "raise":
        groups = np.flatnonzero(repeated)
        g = groups[np.argmin(first[groups])]
        rows = np.flatnonzero(inverse == g)
        point = ", ".join(f"{c:g}" for c in coords[rows[0]])
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if rows.size > 5 else "")
        raise InputError(
            f"{groups.size} point(s) are repeated in the sample coordinates "
            f"({int(counts[repeated].sum())} rows share them); the first is ({point}) at "
            f"rows [{shown}]. Remove the duplicates, or pass duplicates='mean' to "
            f"average their values"
        )
    # Groups in order of first appearance, values averaged per group.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    group = rank[inverse]
    flat = values.reshape(values.shape[0], -1)
    sums = np.zeros((order.size, flat.shape[1]))
    np.add.at(sums, group, flat)
    means = sums / counts[order][:, None]
    return coords[first[order]], means.reshape((order.size,) + values.shape[1:])


_E = TypeVar("_E", bound="_LocalEstimator")


class _LocalEstimator:
    """
    Shared machinery of estimators from a neighbourhood of samples.

    Subclasses list their parameters in ``_param_names``, return their search rules
    from ``_neighbourhood()`` (validating their parameters there) and turn the
    neighbours of a chunk of targets into estimates in ``_combine()``.
    """

    _param_names: tuple[str, ...] = ()

    def _neighbourhood(self) -> Neighbourhood:
        raise NotImplementedError

    def _combine(self, found: Neighbours, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def get_params(self) -> dict[str, Any]:
        """
        The parameters given to ``__init__``, by name.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> InverseDistance(power=1.5).get_params()
        {'power': 1.5, 'neighbourhood': None, 'duplicates': 'raise'}
        """
        return {name: getattr(self, name) for name in self._param_names}

    def clone(self: _E) -> _E:
        """
        An unfitted copy with the same parameters.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance, NearestSample
        >>> InverseDistance(power=3).clone()
        InverseDistance(power=3, neighbourhood=None, duplicates='raise')
        >>> NearestSample(radius=25.0).clone()
        NearestSample(radius=25.0, duplicates='raise')
        """
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self: _E, coords: Any, values: Any) -> _E:
        """
        Validate the samples and build the neighbourhood search.

        Parameters
        ----------
        coords : array_like, shape (n, d)
            Sample coordinates, metres (easting, northing[, elevation]); finite,
            d = 1-3.
        values : array_like, shape (n,) or (n, k)
            Sample values (one or k variables, e.g. grades); finite. A NaN raises an
            InputError naming its position: drop or fill it first.

        Returns
        -------
        self
            With fitted attributes ``coords_`` (n', d), ``values_`` (n',) or (n', k)
            (n' < n when duplicates were merged) and ``search_`` (a
            :class:`~raremin.geostats.neighbourhood.NeighbourSearch`).

        Raises
        ------
        InputError
            Bad shapes; NaN or infinite coordinates or values; repeated coordinates
            with ``duplicates="raise"`` (the message names the first repeated point
            and how many there are); invalid parameters.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> idw = InverseDistance(duplicates="mean").fit([[0.0], [0.0], [4.0]],
        ...                                              [10.0, 20.0, 40.0])
        >>> idw.coords_.ravel(), idw.values_
        (array([0., 4.]), array([15., 40.]))
        """
        xyz = _check_coords(coords, "sample coordinates")
        if xyz.shape[0] == 0:
            raise InputError("no samples to fit: coords has 0 rows")
        vals = _check_values(values, xyz.shape[0])
        policy = getattr(self, "duplicates", "raise")
        if policy not in _DUPLICATE_POLICIES:
            raise InputError(f"duplicates must be 'raise' or 'mean'; got {policy!r}")
        neighbourhood = self._neighbourhood()
        xyz, vals = _merge_duplicates(xyz, vals, policy)
        self.coords_ = xyz
        self.values_ = vals
        self.search_ = NeighbourSearch(xyz, neighbourhood)
        return self

    def predict(
        self,
        coords: Any,
        *,
        return_diagnostics: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
        """
        Estimate at target points.

        Parameters
        ----------
        coords : array_like, shape (m, d)
            Target coordinates, metres; same axes as the samples.
        return_diagnostics : bool, default False
            Also return a dict of arrays of shape (m,): ``n_samples`` (int, samples
            found), ``mean_distance_m`` and ``nearest_distance_m`` (metres; NaN where
            no sample was found).
        chunk_size : int, default 65536
            Targets per chunk; bounds memory, does not change the results.

        Returns
        -------
        estimates : numpy.ndarray
            Shape (m,) or (m, k) like the fitted values. **NaN where not estimated**
            (fewer than ``min_samples`` samples within the search); never filled.
        diagnostics : dict of numpy.ndarray
            Only with ``return_diagnostics=True``.

        Raises
        ------
        RareminError
            The estimator is not fitted.
        InputError
            Bad target coordinates or chunk size.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> from raremin.geostats.neighbourhood import Neighbourhood
        >>> idw = InverseDistance(neighbourhood=Neighbourhood(radius=5.0, min_samples=2))
        >>> est, diag = idw.fit([[0.0], [4.0]], [10.0, 40.0]).predict(
        ...     [[1.0], [0.0], [8.0]], return_diagnostics=True)
        >>> est
        array([13., 10., nan])
        >>> diag["n_samples"], diag["mean_distance_m"]
        (array([2, 2, 1]), array([2., 2., 4.]))
        """
        if not hasattr(self, "search_"):
            raise RareminError(
                f"this {type(self).__name__} is not fitted yet; call fit(coords, values) "
                f"before predict()"
            )
        xyz = _check_coords(coords, "target coordinates")
        if xyz.shape[1] != self.coords_.shape[1]:
            raise InputError(
                f"target coordinates have {xyz.shape[1]} column(s) but the estimator was "
                f"fitted on {self.coords_.shape[1]}"
            )
        chunk = _check_int(chunk_size, "chunk_size", 1)
        m = xyz.shape[0]
        table = self.values_.reshape(self.values_.shape[0], -1)
        estimates = np.full((m, table.shape[1]), np.nan)
        n_samples = np.zeros(m, dtype=np.int64)
        mean_distance = np.full(m, np.nan)
        nearest_distance = np.full(m, np.nan)
        for start in range(0, m, chunk):
            stop = min(start + chunk, m)
            found = self.search_.query(xyz[start:stop], chunk_size=chunk)
            estimates[start:stop] = self._combine(found, table)
            if return_diagnostics:
                n = found.count
                total = np.where(found.index >= 0, found.distance_m, 0.0).sum(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean_distance[start:stop] = np.where(n > 0, total / n, np.nan)
                nearest_distance[start:stop] = np.where(n > 0, found.distance_m[:, 0], np.nan)
                n_samples[start:stop] = n
        estimates = estimates.reshape((m,) + self.values_.shape[1:])
        if not return_diagnostics:
            return estimates
        diagnostics = {
            "n_samples": n_samples,
            "mean_distance_m": mean_distance,
            "nearest_distance_m": nearest_distance,
        }
        return estimates, diagnostics


class InverseDistance(_LocalEstimator):
    """
    Inverse distance weighting (IDW): a weighted mean of the nearby samples.

    Parameters
    ----------
    power : float, default 2.0
        Exponent of the inverse distance (>= 0; 0 gives the plain mean of the
        neighbours).
    neighbourhood : Neighbourhood, optional
        Search rules (number of samples, radius, ellipsoid, octants); default
        ``Neighbourhood()``: the 16 nearest samples, no radius limit.
    duplicates : {"raise", "mean"}, default "raise"
        What to do with samples at identical coordinates: raise an InputError, or
        merge them into one sample whose value is the mean of theirs (each column
        averaged separately).

    Attributes
    ----------
    coords_ : numpy.ndarray
        Sample coordinates after merging duplicates, metres.
    values_ : numpy.ndarray
        Sample values after merging duplicates.
    search_ : NeighbourSearch
        The fitted search.

    Notes
    -----
    Shepard's (1968) estimator: for a target with neighbours ``i = 1..n`` at
    distances ``d_i``, ``z* = sum(w_i z_i) / sum(w_i)`` with ``w_i = 1 / d_i^p``.
    Distances are measured in units of the search ellipsoid when the neighbourhood
    has ``ranges`` (anisotropic weighting, :func:`anisotropy_matrix`), else in
    metres. A target within 1e-9 m of a sample takes that sample's value exactly
    (the limit of the formula). Targets with fewer than ``min_samples`` neighbours
    are not estimated (NaN). The weights are shared by all the value columns; as
    they are positive and sum to one, every estimate lies between the smallest and
    largest of its neighbours' values.

    References
    ----------
    Shepard, D. (1968). A two-dimensional interpolation function for irregularly-
    spaced data. *Proceedings of the 1968 23rd ACM National Conference*, 517-524.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.idw import InverseDistance
    >>> from raremin.geostats.neighbourhood import Neighbourhood
    >>> xyz = np.array([[0.0, 0.0, 0.0], [30.0, 0.0, 0.0], [0.0, 40.0, 0.0]])
    >>> grades = np.array([[1200.0, 300.0], [900.0, 250.0], [1500.0, 380.0]])
    >>> idw = InverseDistance(power=2, neighbourhood=Neighbourhood(max_samples=3))
    >>> est, diag = idw.fit(xyz, grades).predict([[10.0, 10.0, 0.0]],
    ...                                          return_diagnostics=True)
    >>> est.round(1)
    array([[1162.5,  297.5]])
    >>> diag["n_samples"]
    array([3])
    """

    _param_names = ("power", "neighbourhood", "duplicates")

    def __init__(
        self,
        power: float = 2.0,
        neighbourhood: Neighbourhood | None = None,
        duplicates: str = "raise",
    ) -> None:
        self.power = power
        self.neighbourhood = neighbourhood
        self.duplicates = duplicates

    def _neighbourhood(self) -> Neighbourhood:
        power = float(check_finite(self.power, "power"))
        if power < 0:
            raise InputError(f"power must be >= 0; got {self.power!r} (2 is usual)")
        nb = Neighbourhood() if self.neighbourhood is None else self.neighbourhood
        if not isinstance(nb, Neighbourhood):
            raise InputError(f"neighbourhood must be a Neighbourhood; got {nb!r}")
        return nb

    def _combine(self, found: Neighbours, values: np.ndarray) -> np.ndarray:
        index, distance, distance_m, count = found
        has = index >= 0
        neighbour_values = values[np.where(has, index, 0)]  # (m, k, c)
        hit = has & ((distance_m <= EXACT_TOLERANCE_M) | (distance <= 0))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # (d_min / d_i)^p: same normalised weights as d_i^-p, without overflow.
            weights = np.where(has, (distance[:, :1] / distance) ** float(self.power), 0.0)
        on_sample = hit.any(axis=1)
        if on_sample.any():
            first_hit = np.argmax(hit[on_sample], axis=1)
            exact = np.zeros((first_hit.size, index.shape[1]))
            exact[np.arange(first_hit.size), first_hit] = 1.0
            weights[on_sample] = exact
        total = weights.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            estimates = np.einsum("mk,mkc->mc", weights, neighbour_values) / total[:, None]
        estimates[count < self.search_.neighbourhood.min_samples] = np.nan
        return estimates


class NearestSample(_LocalEstimator):
    """
    The value of the nearest sample (polygonal or nearest-neighbour estimate).

    Parameters
    ----------
    radius : float, default inf
        Largest distance to the sample, metres (> 0); beyond it the target is not
        estimated (NaN). Samples at exactly the radius count.
    duplicates : {"raise", "mean"}, default "raise"
        As for :class:`InverseDistance`: identical coordinates raise, or are merged
        into one sample with the mean value.

    Attributes
    ----------
    coords_, values_, search_
        As for :class:`InverseDistance`.

    Notes
    -----
    The nearest-neighbour estimate assigns each target the value of the closest
    sample in Euclidean distance, i.e. the value of the Voronoi (Thiessen) polygon it
    lies in (Thiessen, 1911). The distance is metric (isotropic). With equidistant
    samples the one the KD-tree returns first is used.

    References
    ----------
    Thiessen, A.H. (1911). Precipitation averages for large areas. *Monthly Weather
    Review* 39(7), 1082-1084.

    Examples
    --------
    >>> from raremin.geostats.idw import NearestSample
    >>> ns = NearestSample(radius=50.0).fit([[0.0, 0.0], [100.0, 0.0]], [1.2, 0.8])
    >>> ns.predict([[30.0, 0.0], [70.0, 10.0], [50.0, 60.0]])
    array([1.2, 0.8, nan])
    """

    _param_names = ("radius", "duplicates")

    def __init__(self, radius: float = np.inf, duplicates: str = "raise") -> None:
        self.radius = radius
        self.duplicates = duplicates

    def _neighbourhood(self) -> Neighbourhood:
        return Neighbourhood(max_samples=1, min_samples=1, radius=self.radius)

    def _combine(self, found: Neighbours, values: np.ndarray) -> np.ndarray:
        nearest = found.index[:, 0]
        estimates = values[np.where(nearest >= 0, nearest, 0)].astype(float, copy=True)
        estimates[nearest < 0] = np.nan
        return estimates
