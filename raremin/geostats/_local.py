"""
Shared machinery of estimators from a neighbourhood of samples (private).

:class:`_LocalEstimator` holds what inverse distance weighting, the nearest sample and
kriging have in common: parameters, ``clone``, the validation and merging of samples in
``fit``, and a ``predict`` that queries the neighbours of chunks of targets and hands
them to the subclass. Its neighbour queries, with the extra rules that the plain
:meth:`~raremin.geostats.neighbourhood.NeighbourSearch.query` lacks (a sample or a
whole hole left out per target for cross-validation, a limit of samples per hole for
kriging's ``max_per_hole``), go through the search's one exact selection routine; the
order of the rules is stated in the Notes of
:class:`~raremin.geostats.neighbourhood.Neighbourhood`.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

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

_logger = logging.getLogger("raremin.geostats")


def _progress_reporter(progress: Any) -> Callable[[int, int], None]:
    """A callable(done, total): the user's, a terminal status line, or nothing."""
    if callable(progress):
        return progress
    if progress and sys.stderr.isatty():

        def status(done: int, total: int) -> None:
            end = "\n" if done >= total else ""
            sys.stderr.write(f"\r\033[Kestimating: {done:,} / {total:,} targets{end}")
            sys.stderr.flush()

        return status
    return lambda done, total: None

__all__: list[str] = []

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


def _check_holes(holes: Any, n: int) -> np.ndarray | None:
    """Hole (drillhole) ids as integer codes 0..h-1, one per sample; None stays None."""
    if holes is None:
        return None
    ids = pd.Series(np.asarray(holes, dtype=object).ravel() if np.ndim(holes) else [holes])
    if ids.size != n:
        raise InputError(f"holes must give one hole id per sample ({n}); got {ids.size}")
    codes, _ = pd.factorize(ids)
    if np.any(codes < 0):
        first = int(np.flatnonzero(codes < 0)[0])
        raise InputError(
            f"holes has {int(np.sum(codes < 0))} missing id(s) (first at position {first}); "
            f"give every sample a hole id (a unique id per sample if it has no hole)"
        )
    return codes.astype(np.intp)


def _merge_samples(
    coords: np.ndarray, values: np.ndarray, policy: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Raise on identical coordinates, or average their values (policy 'mean').

    Returns the kept coordinates and values, the row of each kept sample's first
    occurrence, and for every input row the index of the kept sample it went into.
    """
    coords = coords + 0.0  # -0.0 and 0.0 must compare equal bytewise
    n = coords.shape[0]
    _, first, inverse, counts = np.unique(
        coords, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.ravel()
    repeated = counts > 1
    if not repeated.any():
        rows = np.arange(n)
        return coords, values, rows, rows
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
    kept = first[order]
    return coords[kept], means.reshape((order.size,) + values.shape[1:]), kept, group


def _merge_duplicates(
    coords: np.ndarray, values: np.ndarray, policy: str
) -> tuple[np.ndarray, np.ndarray]:
    """Raise on identical coordinates, or average their values (policy 'mean')."""
    merged, means, _, _ = _merge_samples(coords, values, policy)
    return merged, means


def _distance_diagnostics(found: Neighbours) -> dict[str, np.ndarray]:
    """``n_samples``, ``mean_distance_m`` and ``nearest_distance_m`` of a query."""
    n = found.count
    total = np.where(found.index >= 0, found.distance_m, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_distance = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    nearest = np.where(n > 0, found.distance_m[:, 0], np.nan)
    return {
        "n_samples": n.astype(np.int64),
        "mean_distance_m": mean_distance,
        "nearest_distance_m": nearest,
    }


_E = TypeVar("_E", bound="_LocalEstimator")


class _LocalEstimator:
    """
    Shared machinery of estimators from a neighbourhood of samples.

    Subclasses list their parameters in ``_param_names``, return their search rules
    from ``_neighbourhood()`` (validating their parameters there) and turn the
    neighbours of a chunk of targets into estimates in ``_combine()`` (estimates only)
    or ``_predict_found()`` (estimates and diagnostics). Cross-validation
    (:func:`raremin.geostats.crossval.cross_validate`) uses the same two hooks with
    neighbours from :meth:`_neighbours` that leave samples out.
    """

    _param_names: tuple[str, ...] = ()

    def _neighbourhood(self) -> Neighbourhood:
        raise NotImplementedError

    def _combine(self, found: Neighbours, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _max_per_group(self) -> int | None:
        """Most samples per hole in a neighbourhood (None: no limit)."""
        return None

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

    def fit(self: _E, coords: Any, values: Any, *, holes: Any = None) -> _E:
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
        holes : array_like, shape (n,), optional
            Hole (drillhole) id of every sample, any hashable values; used by
            cross-validation by hole and by per-hole limits. Merged duplicates keep
            the hole of their first row.

        Returns
        -------
        self
            With fitted attributes ``coords_`` (n', d), ``values_`` (n',) or (n', k)
            (n' < n when duplicates were merged), ``holes_`` (n' integer hole codes,
            or None) and ``search_`` (a
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
        codes = _check_holes(holes, xyz.shape[0])
        policy = getattr(self, "duplicates", "raise")
        if policy not in _DUPLICATE_POLICIES:
            raise InputError(f"duplicates must be 'raise' or 'mean'; got {policy!r}")
        neighbourhood = self._neighbourhood()
        xyz, vals, kept, group = _merge_samples(xyz, vals, policy)
        if xyz.shape[0] < neighbourhood.min_samples:
            raise InputError(
                f"{xyz.shape[0]} sample(s) but the neighbourhood needs min_samples="
                f"{neighbourhood.min_samples} for any estimate: lower min_samples or add samples"
            )
        self.coords_ = xyz
        self.values_ = vals
        self.holes_ = None if codes is None else codes[kept]
        self._sample_group = group
        self.search_ = NeighbourSearch(xyz, neighbourhood)
        self._fit_extra()
        return self

    def _fit_extra(self) -> None:
        """Subclass hook run at the end of ``fit``."""

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

    def _neighbours(
        self,
        xyz: np.ndarray,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        exclude: np.ndarray | None = None,
        exclude_group: np.ndarray | None = None,
    ) -> Neighbours:
        """
        Neighbours of validated targets under this estimator's rules.

        `exclude` (one sample index per target, -1: none) and `exclude_group` (one hole
        code per target, -1: none) leave samples out for cross-validation; the limit per
        hole comes from ``_max_per_group()``. The selection is the search's exact one
        (:meth:`~raremin.geostats.neighbourhood.NeighbourSearch.query`).
        """
        limit = self._max_per_group()
        if (exclude_group is not None or limit is not None) and self.holes_ is None:
            raise InputError(
                "hole ids are needed (for a limit per hole or leaving out whole holes): "
                "pass holes= to fit"
            )
        return self.search_._select(
            xyz, chunk_size=chunk_size, groups=self.holes_, exclude=exclude,
            exclude_group=exclude_group, max_per_group=limit,
        )

    def _predict_found(
        self, xyz: np.ndarray, found: Neighbours, diagnostics: bool, offset: int = 0
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Estimates (m, c) and diagnostics of targets whose neighbours are known."""
        table = self.values_.reshape(self.values_.shape[0], -1)
        estimates = self._combine(found, table)
        return estimates, (_distance_diagnostics(found) if diagnostics else {})

    def predict(
        self,
        coords: Any,
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
            no sample was found).
        chunk_size : int, default 65536
            Targets per chunk; bounds memory, does not change the results.
        progress : bool or callable, default False
            True: a one-line progress status on standard error after each chunk (only
            when it is a terminal); a callable is called as ``progress(done, total)``.

        Returns
        -------
        estimates : numpy.ndarray
            Shape (m,) or (m, k) like the fitted values. **NaN where not estimated**
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
        estimates = np.full((m, width), np.nan)
        diagnostics: dict[str, np.ndarray] = {}
        report = _progress_reporter(progress)
        for start in range(0, m, chunk):
            stop = min(start + chunk, m)
            found = self._neighbours(xyz[start:stop], chunk_size=chunk)
            est, diag = self._predict_found(xyz[start:stop], found, return_diagnostics, start)
            estimates[start:stop] = est
            for key, arr in diag.items():
                if key not in diagnostics:
                    diagnostics[key] = np.empty(m, dtype=arr.dtype)
                diagnostics[key][start:stop] = arr
            report(stop, m)
        missed = int(np.isnan(estimates[:, 0]).sum()) if width else 0
        if missed:
            message = (
                f"{missed} of {m} target(s) not estimated (fewer than min_samples="
                f"{self._neighbourhood().min_samples} samples within the search): NaN"
            )
            _logger.info(message)
            warnings.warn(message, UserWarning, stacklevel=2)
        estimates = estimates.reshape((m,) + self.values_.shape[1:])
        if not return_diagnostics:
            return estimates
        if m == 0:
            diagnostics = self._empty_diagnostics()
        return estimates, diagnostics

    def _empty_diagnostics(self) -> dict[str, np.ndarray]:
        """Diagnostics of zero targets."""
        return {
            "n_samples": np.empty(0, dtype=np.int64),
            "mean_distance_m": np.empty(0),
            "nearest_distance_m": np.empty(0),
        }
