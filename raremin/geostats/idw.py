"""
Baseline point estimators: inverse distance weighting and the nearest sample.

Both follow the scikit-learn contract: ``__init__`` only stores the parameters,
:meth:`fit` validates the samples and returns the estimator, fitted attributes end in
``_``, and :meth:`predict` estimates any number of targets at once (chunked, no loop
over targets). They are :class:`~raremin.geostats.base.Estimator` objects, like
kriging, so :func:`raremin.estimation.estimate` and
:func:`~raremin.geostats.crossval.cross_validate` can use any of them.

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

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_finite
from ..errors import InputError
from ._local import _distance_diagnostics
from .base import Estimator
from .neighbourhood import Neighbourhood, Neighbours

__all__ = ["InverseDistance", "NearestSample"]

#: A target within this many metres of a sample takes that sample's value.
EXACT_TOLERANCE_M = 1e-9


class InverseDistance(Estimator):
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

    def __init__(
        self,
        power: float = 2.0,
        neighbourhood: Neighbourhood | None = None,
        duplicates: str = "raise",
    ) -> None:
        self.power = power
        self.neighbourhood = neighbourhood
        self.duplicates = duplicates

    def _repr_html_(self) -> str:
        from .._display import estimator_html

        return estimator_html(self)

    def search_rules(self) -> Neighbourhood:
        """
        The search: `neighbourhood`, or the 16 nearest samples; checks `power`.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> InverseDistance(power=-1).search_rules()
        Traceback (most recent call last):
        ...
        raremin.errors.InputError: power must be >= 0; got -1 (2 is usual)
        """
        power = float(check_finite(self.power, "power"))
        if power < 0:
            raise InputError(f"power must be >= 0; got {self.power!r} (2 is usual)")
        nb = Neighbourhood() if self.neighbourhood is None else self.neighbourhood
        if not isinstance(nb, Neighbourhood):
            raise InputError(f"neighbourhood must be a Neighbourhood; got {nb!r}")
        return nb

    def predict_neighbours(
        self, coords: ArrayLike, neighbours: Neighbours, *, diagnostics: bool = False
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """
        Weighted means of the values of known neighbours.

        See :meth:`raremin.geostats.base.Estimator.predict_neighbours`; diagnostics
        ``n_samples``, ``mean_distance_m`` and ``nearest_distance_m``.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> idw = InverseDistance(power=1).fit([[0.0], [3.0]], [1.0, 4.0])
        >>> idw.predict_neighbours([[1.0]], idw.neighbours([[1.0]]))[0]
        array([[2.]])
        """
        self._check_fitted()
        values = self.values_.reshape(self.values_.shape[0], -1)
        index, distance, distance_m, count = neighbours
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
        return estimates, (_distance_diagnostics(neighbours) if diagnostics else {})


class NearestSample(Estimator):
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

    def __init__(self, radius: float = np.inf, duplicates: str = "raise") -> None:
        self.radius = radius
        self.duplicates = duplicates

    def _repr_html_(self) -> str:
        from .._display import estimator_html

        return estimator_html(self)

    def search_rules(self) -> Neighbourhood:
        """
        The search: the nearest sample within `radius`.

        Examples
        --------
        >>> from raremin.geostats.idw import NearestSample
        >>> NearestSample(radius=10.0).search_rules().max_samples
        1
        """
        return Neighbourhood(max_samples=1, min_samples=1, radius=self.radius)

    def predict_neighbours(
        self, coords: ArrayLike, neighbours: Neighbours, *, diagnostics: bool = False
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """
        The value of the nearest known neighbour (NaN without one).

        See :meth:`raremin.geostats.base.Estimator.predict_neighbours`.

        Examples
        --------
        >>> from raremin.geostats.idw import NearestSample
        >>> ns = NearestSample().fit([[0.0], [3.0]], [1.0, 4.0])
        >>> ns.predict_neighbours([[2.0]], ns.neighbours([[2.0]]))[0]
        array([[4.]])
        """
        self._check_fitted()
        values = self.values_.reshape(self.values_.shape[0], -1)
        nearest = neighbours.index[:, 0]
        estimates = values[np.where(nearest >= 0, nearest, 0)].astype(float, copy=True)
        estimates[nearest < 0] = np.nan
        return estimates, (_distance_diagnostics(neighbours) if diagnostics else {})
