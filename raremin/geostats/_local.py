"""
Helpers of the estimators from a neighbourhood of samples (private).

Validation of sample values and hole ids, the merging of duplicate samples, the distance
diagnostics and the progress report used by :class:`raremin.geostats.base.Estimator`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_finite
from ..errors import InputError
from .neighbourhood import Neighbours

__all__: list[str] = []

_DUPLICATE_POLICIES = ("raise", "mean")


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
