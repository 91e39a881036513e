"""
The estimator contract, and the base class of raremin's estimators.

Every raremin estimator (:class:`~raremin.geostats.kriging.Kriging`,
:class:`~raremin.geostats.idw.InverseDistance`,
:class:`~raremin.geostats.idw.NearestSample`) is an :class:`Estimator`, and so can be
any estimator you write: subclass it, store the parameters in ``__init__``, state the
search in :meth:`Estimator.search_rules` and turn neighbours into estimates in
:meth:`Estimator.predict_neighbours`. The rest (validation, merging of duplicates,
the KD-tree search, chunked prediction, cross-validation) comes from the base class.

**The contract.** What the rest of raremin relies on, and all it relies on:

- :func:`raremin.estimation.estimate` calls ``clone()``, ``fit(coords, values, *,
  holes=None)`` (returns the estimator) and ``predict(coords, *,
  return_diagnostics=True)``, which returns estimates of shape (m,) or (m, c) like the
  values (NaN where not estimated) and a dict of diagnostic arrays of shape (m,); it
  reads the optional attribute ``min_samples`` (else ``neighbourhood.min_samples``,
  else 1) to tell blocks with too few samples from blocks the estimator left empty.
- :func:`raremin.geostats.crossval.cross_validate` calls ``get_params()`` (and
  ``type(estimator)(**params)``, with a ``block_size`` parameter set to None: samples
  have point support) and ``fit``; it reads the fitted attributes ``coords_``,
  ``values_``, ``holes_`` and ``sample_index_``, and estimates the samples with
  ``neighbours(coords, exclude=..., exclude_group=...)`` and
  ``predict_neighbours(coords, neighbours, diagnostics=True)`` (which returns a
  ``n_samples`` diagnostic, and ``variance`` if the estimator has one), unless
  ``leave_out(groups)`` returns a shortcut.

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.base import Estimator
>>> from raremin.geostats.neighbourhood import Neighbourhood
>>> class Mean(Estimator):
...     def __init__(self, max_samples=2):
...         self.max_samples = max_samples
...     def search_rules(self):
...         return Neighbourhood(max_samples=self.max_samples)
...     def predict_neighbours(self, coords, neighbours, *, diagnostics=False):
...         table = self.values_.reshape(len(self.values_), -1)
...         used = neighbours.index >= 0
...         sums = np.einsum("mk,mkc->mc", used, table[np.where(used, neighbours.index, 0)])
...         estimates = sums / neighbours.count[:, None]
...         return estimates, ({"n_samples": neighbours.count} if diagnostics else {})
>>> Mean().fit([[0.0], [1.0], [5.0]], [1.0, 3.0, 8.0]).predict([[0.2], [4.0]])
array([2. , 5.5])
>>> Mean(max_samples=1)
Mean(max_samples=1)
"""

from __future__ import annotations

import inspect
import logging
import warnings
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError, RareminError
from ._local import (
    _DUPLICATE_POLICIES,
    _check_holes,
    _check_values,
    _distance_diagnostics,
    _merge_samples,
    _progress_reporter,
)
from .neighbourhood import (
    DEFAULT_CHUNK_SIZE,
    Neighbourhood,
    Neighbours,
    NeighbourSearch,
    _check_coords,
    _check_int,
)

__all__ = ["Estimator"]

_logger = logging.getLogger("raremin.geostats")

_E = TypeVar("_E", bound="Estimator")


class Estimator:
    """
    Base class of estimators from a neighbourhood of samples.

    Subclasses implement:

    - ``__init__(self, ...)``: store every parameter under its own name and nothing
      else (``get_params`` and ``clone`` read them back by the names of
      ``__init__``'s parameters);
    - :meth:`search_rules`: validate the parameters and return the
      :class:`~raremin.geostats.neighbourhood.Neighbourhood` to search with;
    - :meth:`predict_neighbours`: estimates (and diagnostics) of targets whose
      neighbours are known.

    and may override :meth:`samples_per_hole` (a limit of samples per hole),
    :meth:`fit` (call ``super().fit(...)`` first, then fit what else they need, and
    return ``self``) and :meth:`leave_out` (a shortcut for cross-validation).

    Attributes
    ----------
    coords_ : numpy.ndarray
        Sample coordinates after merging duplicates, (n', d), metres.
    values_ : numpy.ndarray
        Sample values after merging duplicates, (n',) or (n', c).
    holes_ : numpy.ndarray or None
        Integer hole code (0, 1, ...) of every sample, or None without hole ids.
    sample_index_ : numpy.ndarray
        For every row given to :meth:`fit`, the row of ``coords_`` it went into
        (merged duplicates share one).
    search_ : NeighbourSearch
        The fitted search.

    Examples
    --------
    >>> from raremin.geostats.base import Estimator
    >>> from raremin.geostats.idw import InverseDistance
    >>> isinstance(InverseDistance(), Estimator)
    True
    """

    # ------------------------------------------------------------ to implement

    def search_rules(self) -> Neighbourhood:
        """
        The neighbourhood to search with; validates the parameters.

        Called by :meth:`fit`. Raise :class:`~raremin.errors.InputError` on a bad
        parameter, naming it.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> InverseDistance().search_rules().max_samples
        16
        """
        raise NotImplementedError(f"{type(self).__name__} must implement search_rules()")

    def predict_neighbours(
        self, coords: ArrayLike, neighbours: Neighbours, *, diagnostics: bool = False
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """
        Estimates at targets whose neighbours are known.

        Parameters
        ----------
        coords : array_like, shape (m, d)
            Target coordinates, metres.
        neighbours : Neighbours
            Their neighbours among the fitted samples (from :meth:`neighbours`), rows
            in the order of `coords`.
        diagnostics : bool, default False
            Also compute the diagnostics.

        Returns
        -------
        estimates : numpy.ndarray, shape (m, c)
            One column per value column (c = 1 for 1-D values); NaN where not
            estimated.
        diagnostics : dict of numpy.ndarray
            Arrays of shape (m,), at least ``n_samples`` (samples used); empty
            without `diagnostics`.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> idw = InverseDistance().fit([[0.0], [4.0]], [10.0, 40.0])
        >>> found = idw.neighbours([[1.0]])
        >>> est, diag = idw.predict_neighbours([[1.0]], found, diagnostics=True)
        >>> est, diag["n_samples"]
        (array([[13.]]), array([2]))
        """
        raise NotImplementedError(f"{type(self).__name__} must implement predict_neighbours()")

    def samples_per_hole(self) -> int | None:
        """
        Most samples of any one hole per target (None: no limit).

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> InverseDistance().samples_per_hole() is None
        True
        """
        return None

    def leave_out(
        self, groups: np.ndarray | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """
        Cross-validation shortcut: every sample estimated with its group left out.

        Parameters
        ----------
        groups : numpy.ndarray of int, shape (n',), optional
            Group (hole) code of every fitted sample; None: each sample alone.

        Returns
        -------
        tuple or None
            ``(estimates, diagnostics)`` as :meth:`predict_neighbours` returns them,
            for the fitted samples ``coords_``; None (the default) when the
            estimator has no shortcut, and cross-validation then uses
            :meth:`neighbours` and :meth:`predict_neighbours`.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> InverseDistance().fit([[0.0], [1.0]], [1.0, 2.0]).leave_out() is None
        True
        """
        return None

    @staticmethod
    def distance_diagnostics(neighbours: Neighbours) -> dict[str, np.ndarray]:
        """
        ``n_samples``, ``mean_distance_m`` and ``nearest_distance_m`` of neighbours.

        The diagnostics every raremin estimator returns; for use in
        :meth:`predict_neighbours`. Distances in metres, NaN without neighbours.

        Examples
        --------
        >>> from raremin.geostats.base import Estimator
        >>> from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch
        >>> found = NeighbourSearch([[0.0], [3.0]], Neighbourhood(3)).query([[1.0]])
        >>> Estimator.distance_diagnostics(found)["mean_distance_m"]
        array([1.5])
        """
        return _distance_diagnostics(neighbours)

    # --------------------------------------------------------------- parameters

    @classmethod
    def _parameter_names(cls) -> tuple[str, ...]:
        signature = inspect.signature(cls.__init__)
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return tuple(
            name for name, p in signature.parameters.items()
            if name != "self" and p.kind in kinds
        )

    def get_params(self) -> dict[str, Any]:
        """
        The parameters given to ``__init__``, by name.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> InverseDistance(power=1.5).get_params()
        {'power': 1.5, 'neighbourhood': None, 'duplicates': 'raise'}
        """
        return {name: getattr(self, name) for name in self._parameter_names()}

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

    # ---------------------------------------------------------------------- fit

    def fit(self: _E, coords: ArrayLike, values: Any, *, holes: Any = None) -> _E:
        """
        Validate the samples and build the neighbourhood search.

        Parameters
        ----------
        coords : array_like, shape (n, d)
            Sample coordinates, metres (easting, northing[, elevation]); finite,
            d = 1-3.
        values : array_like, shape (n,) or (n, c)
            Sample values (one or c variables, e.g. grades); finite. A NaN raises an
            InputError naming its position: drop or fill it first.
        holes : array_like, shape (n,), optional
            Hole (drillhole) id of every sample, any hashable values; used by
            cross-validation by hole and by per-hole limits. Merged duplicates keep
            the hole of their first row.

        Returns
        -------
        self
            With fitted attributes ``coords_`` (n', d), ``values_`` (n',) or (n', c)
            (n' < n when duplicates were merged), ``holes_`` (n' integer hole codes,
            or None), ``sample_index_`` (n) and ``search_`` (a
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
        >>> idw.coords_.ravel(), idw.values_, idw.sample_index_
        (array([0., 4.]), array([15., 40.]), array([0, 0, 1]))
        """
        xyz = _check_coords(coords, "sample coordinates")
        if xyz.shape[0] == 0:
            raise InputError("no samples to fit: coords has 0 rows")
        vals = _check_values(values, xyz.shape[0])
        codes = _check_holes(holes, xyz.shape[0])
        policy = getattr(self, "duplicates", "raise")
        if policy not in _DUPLICATE_POLICIES:
            raise InputError(f"duplicates must be 'raise' or 'mean'; got {policy!r}")
        rules = self.search_rules()
        limit = self.samples_per_hole()
        if limit is not None and codes is None:
            raise InputError(
                f"a limit of {limit} samples per hole needs the hole id of every sample: "
                f"pass holes= to fit"
            )
        xyz, vals, kept, group = _merge_samples(xyz, vals, policy)
        if xyz.shape[0] < rules.min_samples:
            raise InputError(
                f"{xyz.shape[0]} sample(s) but the neighbourhood needs min_samples="
                f"{rules.min_samples} for any estimate: lower min_samples or add samples"
            )
        self.coords_ = xyz
        self.values_ = vals
        self.holes_ = None if codes is None else codes[kept]
        self.sample_index_ = group
        self.search_ = NeighbourSearch(xyz, rules)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coords_"):
            raise RareminError(
                f"this {type(self).__name__} is not fitted yet; call fit(coords, values) "
                f"before predict()"
            )

    def _check_targets(self, coords: Any) -> np.ndarray:
        self._check_fitted()
        xyz = _check_coords(coords, "target coordinates")
        if xyz.shape[1] != self.coords_.shape[1]:
            raise InputError(
                f"target coordinates have {xyz.shape[1]} column(s) but the estimator was "
                f"fitted on {self.coords_.shape[1]}"
            )
        return xyz

    # --------------------------------------------------------------- neighbours

    def neighbours(
        self,
        coords: ArrayLike,
        *,
        exclude: Any = None,
        exclude_group: Any = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Neighbours:
        """
        The neighbours of targets under this estimator's rules.

        Parameters
        ----------
        coords : array_like, shape (m, d)
            Target coordinates, metres.
        exclude : array_like of int, shape (m,), optional
            For each target, one sample (a row of ``coords_``) that it must not use
            (-1: none); cross-validation leaves each sample out of its own estimate.
        exclude_group : array_like of int, shape (m,), optional
            For each target, a hole code (as in ``holes_``) whose samples it must not
            use (-1: none).
        chunk_size : int, default 65536
            Targets per chunk of the search; bounds memory, does not change the result.

        Returns
        -------
        Neighbours
            Nearest first; the limit per hole (:meth:`samples_per_hole`) and the rules
            of the neighbourhood apply after the exclusions (the order of the rules
            is in the Notes of :class:`~raremin.geostats.neighbourhood.Neighbourhood`).

        Raises
        ------
        InputError
            Bad coordinates or exclusions; `exclude_group` or a limit per hole
            without hole ids.

        Examples
        --------
        >>> from raremin.geostats.idw import InverseDistance
        >>> idw = InverseDistance().fit([[0.0], [1.0], [5.0]], [1.0, 2.0, 3.0])
        >>> idw.neighbours([[0.0]], exclude=[0]).index.tolist()
        [[1, 2, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]]
        """
        xyz = self._check_targets(coords)
        m = xyz.shape[0]
        chunk = _check_int(chunk_size, "chunk_size", 1)
        limit = self.samples_per_hole()
        if (exclude_group is not None or limit is not None) and self.holes_ is None:
            raise InputError(
                "hole ids are needed (for a limit per hole or leaving out whole holes): "
                "pass holes= to fit"
            )
        exclude = _check_exclusions(exclude, m, "exclude")
        exclude_group = _check_exclusions(exclude_group, m, "exclude_group")
        return self.search_._select(
            xyz, chunk_size=chunk, groups=self.holes_, exclude=exclude,
            exclude_group=exclude_group, max_per_group=limit,
        )

    # ------------------------------------------------------------------ predict

    def _predict_chunk(
        self, xyz: np.ndarray, found: Neighbours, diagnostics: bool, first: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One chunk of :meth:`predict`; `first` numbers its first target in messages."""
        return self.predict_neighbours(xyz, found, diagnostics=diagnostics)

    def predict(
        self,
        coords: ArrayLike,
        *,
        return_diagnostics: bool = False,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        progress: Any = False,
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
            no sample was found), and any the estimator adds.
        chunk_size : int, default 65536
            Targets per chunk; bounds memory, does not change the results.
        progress : bool or callable, default False
            True: a one-line progress status on standard error after each chunk (only
            when it is a terminal); a callable is called as ``progress(done, total)``.

        Returns
        -------
        estimates : numpy.ndarray
            Shape (m,) or (m, c) like the fitted values. **NaN where not estimated**
            (fewer than ``min_samples`` samples within the search); never filled. The
            count of targets not estimated is logged and given in a warning.
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
        xyz = self._check_targets(coords)
        chunk = _check_int(chunk_size, "chunk_size", 1)
        m = xyz.shape[0]
        width = int(np.prod(self.values_.shape[1:], dtype=int))
        estimates: np.ndarray = np.full((m, width), np.nan)
        diagnostics: dict[str, np.ndarray] = {}
        report = _progress_reporter(progress)
        for start in range(0, max(m, 1), chunk):  # once with no targets: the keys
            stop = min(start + chunk, m)
            found = self.neighbours(xyz[start:stop], chunk_size=chunk)
            est, diag = self._predict_chunk(xyz[start:stop], found, return_diagnostics, start)
            estimates[start:stop] = est
            for key, arr in diag.items():
                if key not in diagnostics:
                    diagnostics[key] = np.empty(m, dtype=arr.dtype)
                diagnostics[key][start:stop] = arr
            if m:
                report(stop, m)
        missed = int(np.isnan(estimates[:, 0]).sum()) if width else 0
        if missed:
            message = (
                f"{missed} of {m} target(s) not estimated (fewer than min_samples="
                f"{self.search_.neighbourhood.min_samples} samples within the search): NaN"
            )
            _logger.info(message)
            warnings.warn(message, UserWarning, stacklevel=2)
        estimates = estimates.reshape((m,) + self.values_.shape[1:])
        return (estimates, diagnostics) if return_diagnostics else estimates


def _check_exclusions(values: Any, m: int, name: str) -> np.ndarray | None:
    """One integer per target (-1: none), or None."""
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.shape != (m,) or (arr.size and arr.dtype.kind not in "iu"):
        raise InputError(
            f"{name} must hold one integer per target ({m}), -1 for none; got "
            f"{arr.dtype} values of shape {arr.shape}"
        )
    return arr.astype(np.intp, copy=False)

