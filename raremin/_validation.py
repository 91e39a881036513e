"""Shared input checks. Each raises a raremin error that names the bad value and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import BasisError, InputError
from .units import GRADE_UNITS, grade_unit

__all__ = [
    "BASES",
    "check_grade_table",
    "check_basis",
    "check_cutoffs",
    "as_float_array",
    "check_finite",
    "check_grades",
    "check_positive",
    "check_weights",
]


#: The two grade bases: grades of the element itself, or of its reporting oxide.
BASES: tuple[str, ...] = ("element", "oxide")


def check_basis(basis: Any, name: str = "basis") -> str:
    """Return the grade basis ``"element"`` or ``"oxide"`` (case-insensitive), else raise."""
    key = basis.strip().lower() if isinstance(basis, str) else basis
    if key not in BASES:
        raise BasisError(f"unknown {name} {basis!r}; use 'element' or 'oxide'")
    return key


def _first_bad(mask: np.ndarray) -> tuple[int, tuple[int, ...] | int]:
    """Count of True in `mask` and the position of the first one."""
    count = int(np.count_nonzero(mask))
    flat = int(np.flatnonzero(mask.ravel())[0])
    if mask.ndim > 1:
        return count, tuple(int(p) for p in np.unravel_index(flat, mask.shape))
    return count, flat


def as_float_array(values: Any, name: str) -> np.ndarray:
    """Return `values` as a float array or raise InputError naming `name`."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be numeric; got {values!r} ({err})") from None
    return arr


def check_finite(values: Any, name: str) -> np.ndarray:
    """Raise InputError if `values` holds NaN or infinity; return a float array."""
    arr = as_float_array(values, name)
    bad = ~np.isfinite(arr)
    if bad.any():
        count, pos = _first_bad(bad)
        first = arr[pos] if arr.ndim else arr
        raise InputError(
            f"{name} has {count} missing or infinite value(s) (first: {first} at position "
            f"{pos}); a number is needed: fill or remove them explicitly before this step"
        )
    return arr


def check_grades(
    values: Any, unit: str, name: str = "grade", allow_nan: bool = False
) -> np.ndarray:
    """
    Check grades: no negative value, none over 100 %, NaN only when allowed.

    Returns a float array of the grades in their own unit.
    """
    unit = grade_unit(unit)
    arr = as_float_array(values, name) if allow_nan else check_finite(values, name)
    with np.errstate(invalid="ignore"):
        negative = arr < 0
        if negative.any():
            count, pos = _first_bad(negative)
            raise InputError(
                f"{name} has {count} negative value(s) (first: {arr[pos] if arr.ndim else arr} "
                f"at position {pos}); grades must be >= 0: replace below-detection codes "
                f"such as -1 or -99 by a value or NaN before use"
            )
        full = float(GRADE_UNITS["fraction"] / GRADE_UNITS[unit])
        over = arr > full
        if over.any():
            count, pos = _first_bad(over)
            raise InputError(
                f"{name} has {count} value(s) over 100 % (first: "
                f"{arr[pos] if arr.ndim else arr} {unit} at position {pos}; 100 % is "
                f"{full:g} {unit}): check the grade unit"
            )
    return arr


def check_positive(value: Any, name: str, hint: str = "") -> np.ndarray:
    """Raise InputError unless every value is finite and > 0."""
    arr = check_finite(value, name)
    bad = arr <= 0
    if bad.any():
        count, pos = _first_bad(bad) if arr.ndim else (1, 0)
        shown = arr[pos] if arr.ndim else float(arr)
        raise InputError(
            f"{name} must be > 0; got {shown}" + (f" at position {pos}" if arr.ndim else "")
            + (f" ({hint})" if hint else "")
        )
    return arr


def check_weights(weights: ArrayLike, n: int, name: str = "weights") -> np.ndarray:
    """Check sample weights: length `n`, finite, non-negative, positive sum."""
    w = check_finite(weights, name)
    if w.ndim != 1 or w.shape[0] != n:
        raise InputError(f"{name} must have one value per sample ({n}); got shape {w.shape}")
    negative = w < 0
    if negative.any():
        count, pos = _first_bad(negative)
        raise InputError(
            f"{name} has {count} negative value(s) (first: {w[pos]} at position {pos}); "
            f"weights must be >= 0"
        )
    if not w.sum() > 0:
        raise InputError(f"{name} sum to zero; at least one sample needs a positive weight")
    return w


def check_cutoffs(cutoffs: ArrayLike, unit: str = "") -> np.ndarray:
    """
    Validate cut-off grades: a 1-D, finite, non-negative, strictly increasing vector.

    Parameters
    ----------
    cutoffs : float or array_like
        Cut-off grades.
    unit : str, optional
        Their unit, quoted in error messages.

    Returns
    -------
    numpy.ndarray
        The cut-offs as a 1-D float array.

    Raises
    ------
    InputError
        If a cut-off is NaN, negative, or the sequence is not strictly increasing.

    Examples
    --------
    >>> from raremin.tonnage import check_cutoffs
    >>> check_cutoffs([0.05, 0.1])
    array([0.05, 0.1 ])
    """
    c = np.atleast_1d(check_finite(cutoffs, "cut-off grades"))
    if c.ndim != 1 or c.size == 0:
        raise InputError(f"cut-offs must be a non-empty 1-D sequence; got shape {c.shape}")
    if np.any(c < 0):
        raise InputError(f"cut-off grades must be >= 0; got {c[c < 0][0]} {unit}".rstrip())
    steps = np.diff(c)
    if np.any(steps <= 0):
        k = int(np.flatnonzero(steps <= 0)[0])
        raise InputError(
            f"cut-offs must be strictly increasing; {c[k + 1]} follows {c[k]} at position "
            f"{k + 1}: sort them and remove duplicates"
        )
    return c


def check_grade_table(
    values: np.ndarray, names: list[str], units: list[str | None], row: Callable[[int], str]
) -> None:
    """
    Check a table of sample grades (samples x grades; NaN means not assayed).

    Raises InputError on an infinite, negative or over-100 % grade, naming the column,
    the sample (``row(i)`` describes row i: its position, hole and interval) and the
    fix. `units` gives each column's grade unit (None: only the sign is checked).
    """
    with np.errstate(invalid="ignore"):
        for j, (name, unit) in enumerate(zip(names, units, strict=True)):
            col = values[:, j]
            checks = [(np.isinf(col), "is infinite", "replace it by a number or leave it blank")]
            checks.append((col < 0, "is negative",
                           "below-detection codes such as -1 or -99 must be read as such "
                           "(raremin.assays.clean_assays, or the project file's "
                           "below_detection setting) or removed"))
            if unit is not None:
                full = float(GRADE_UNITS["fraction"] / GRADE_UNITS[grade_unit(unit)])
                checks.append((col > full, f"is over 100 % ({full:g} {unit})",
                               "check the unit in the column name and the value"))
            for mask, what, fix in checks:
                if mask.any():
                    bad = np.flatnonzero(mask)
                    i = int(bad[0])
                    raise InputError(
                        f"grade {name} = {col[i]:g} {what} at {row(i)}"
                        + (f" ({bad.size} such values in {name})" if bad.size > 1 else "")
                        + f"; {fix}"
                    )
