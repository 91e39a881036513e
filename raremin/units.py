"""
Grade and tonnage units.

Grades are mass fractions written in one of six units. The conversions are exact
ratios (1 % = 10,000 ppm = 10,000 g/t = 10 kg/t = 0.01 as a fraction; 1 ppm = 1,000
ppb) applied as one multiplication or one division, so values keep full double precision.

Units are named by strings. :func:`grade_unit` accepts the spellings people type
(``"%"``, ``"wt%"``, ``"ppm"``, ``"g/t"``, ``"gpt"``...) and returns the canonical name;
:func:`unit_suffix` gives the short form used in column names (``treo_pct``,
``nd_ppm``, ``la_gpt``).

Examples
--------
>>> from raremin.units import convert_grade, convert_tonnage, grade_unit
>>> convert_grade(0.25, "%", "ppm")
2500.0
>>> grade_unit("wt%")
'pct'
>>> convert_tonnage(940_000, "t", "Mt")
0.94
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .errors import UnitError

__all__ = [
    "FOOT_M",
    "GRADE_UNITS",
    "GRADE_UNIT_SPELLINGS",
    "TONNAGE_UNITS",
    "convert_grade",
    "convert_tonnage",
    "grade_factor",
    "grade_unit",
    "tonnage_unit",
    "unit_suffix",
]

#: One international foot in metres (exact by definition, 1959).
FOOT_M: float = 0.3048

#: Canonical grade units and their size in ppm (exact).
GRADE_UNITS: dict[str, Fraction] = {
    "ppb": Fraction(1, 1000),
    "ppm": Fraction(1),
    "g/t": Fraction(1),
    "kg/t": Fraction(1000),
    "pct": Fraction(10_000),
    "fraction": Fraction(1_000_000),
}

#: Canonical tonnage units and their size in tonnes (exact).
TONNAGE_UNITS: dict[str, Fraction] = {
    "kg": Fraction(1, 1000),
    "t": Fraction(1),
    "kt": Fraction(1000),
    "Mt": Fraction(1_000_000),
}

_GRADE_ALIASES = {
    "ppb": "ppb",
    "ppm": "ppm",
    "mg/kg": "ppm",
    "g/t": "g/t",
    "gpt": "g/t",
    "g_t": "g/t",
    "gt": "g/t",
    "kg/t": "kg/t",
    "kgpt": "kg/t",
    "kg_t": "kg/t",
    "%": "pct",
    "pct": "pct",
    "percent": "pct",
    "wt%": "pct",
    "wt.%": "pct",
    "wt %": "pct",
    "mass%": "pct",
    "fraction": "fraction",
    "frac": "fraction",
    "mass fraction": "fraction",
}

_TONNAGE_ALIASES = {
    "kg": "kg",
    "t": "t",
    "tonne": "t",
    "tonnes": "t",
    "kt": "kt",
    "kilotonne": "kt",
    "kilotonnes": "kt",
    "mt": "Mt",
    "megatonne": "Mt",
    "megatonnes": "Mt",
}

#: Every spelling of a grade unit that :func:`grade_unit` accepts (lower case).
GRADE_UNIT_SPELLINGS: tuple[str, ...] = tuple(_GRADE_ALIASES)

_SUFFIXES = {"ppb": "ppb", "ppm": "ppm", "g/t": "gpt", "kg/t": "kgpt", "pct": "pct",
             "fraction": "frac"}


def grade_unit(unit: str) -> str:
    """
    Return the canonical name of a grade unit.

    Parameters
    ----------
    unit : str
        A grade unit as people write it: ``"ppm"``, ``"%"``, ``"pct"``, ``"wt%"``,
        ``"g/t"``, ``"gpt"``, ``"kg/t"``, ``"fraction"``... Case and surrounding
        spaces are ignored.

    Returns
    -------
    str
        One of ``"ppb"``, ``"ppm"``, ``"g/t"``, ``"kg/t"``, ``"pct"``, ``"fraction"``.

    Raises
    ------
    UnitError
        If the unit is not a known grade unit; the message lists the known ones.

    Examples
    --------
    >>> grade_unit("%")
    'pct'
    >>> grade_unit(" G/T ")
    'g/t'
    """
    if isinstance(unit, str):
        key = unit.strip().lower()
        if key in _GRADE_ALIASES:
            return _GRADE_ALIASES[key]
    known = ", ".join(repr(k) for k in _GRADE_ALIASES)
    raise UnitError(f"unknown grade unit {unit!r}; use one of {known}")


def tonnage_unit(unit: str) -> str:
    """
    Return the canonical name of a tonnage (mass) unit.

    Parameters
    ----------
    unit : str
        ``"kg"``, ``"t"`` (metric tonnes), ``"kt"`` or ``"Mt"``, or a spelled-out
        form such as ``"tonnes"``. Case is ignored (``"mt"`` means megatonnes).

    Returns
    -------
    str
        One of ``"kg"``, ``"t"``, ``"kt"``, ``"Mt"``.

    Raises
    ------
    UnitError
        If the unit is not a known tonnage unit.

    Examples
    --------
    >>> tonnage_unit("tonnes")
    't'
    >>> tonnage_unit("MT")
    'Mt'
    """
    if isinstance(unit, str):
        key = unit.strip().lower()
        if key in _TONNAGE_ALIASES:
            return _TONNAGE_ALIASES[key]
    known = ", ".join(repr(k) for k in TONNAGE_UNITS)
    raise UnitError(f"unknown tonnage unit {unit!r}; use one of {known}")


def unit_suffix(unit: str) -> str:
    """
    Return the short form of a grade unit used at the end of column names.

    Parameters
    ----------
    unit : str
        Any spelling accepted by :func:`grade_unit`.

    Returns
    -------
    str
        ``"ppb"``, ``"ppm"``, ``"gpt"``, ``"kgpt"``, ``"pct"`` or ``"frac"``.

    Examples
    --------
    >>> unit_suffix("%")
    'pct'
    >>> unit_suffix("g/t")
    'gpt'
    """
    return _SUFFIXES[grade_unit(unit)]


def grade_factor(unit: str) -> float:
    """
    Return the mass fraction that one unit of grade represents.

    Parameters
    ----------
    unit : str
        Any spelling accepted by :func:`grade_unit`.

    Returns
    -------
    float
        For example ``1e-6`` for ppm and ``0.01`` for percent.

    Examples
    --------
    >>> grade_factor("%")
    0.01
    >>> grade_factor("ppm")
    1e-06
    """
    return float(GRADE_UNITS[grade_unit(unit)] / GRADE_UNITS["fraction"])


def _scale(values: Any, ratio: Fraction) -> Any:
    """Multiply by an exact ratio with at most two roundings (one when it is 1/n or n)."""
    if ratio == 1:
        return values * 1.0 if not isinstance(values, (int, float)) else float(values)
    if ratio.denominator == 1:
        out = values * float(ratio.numerator)
    elif ratio.numerator == 1:
        out = values / float(ratio.denominator)
    else:
        out = values * float(ratio.numerator) / float(ratio.denominator)
    if isinstance(out, np.generic):
        return out.item()
    return out


def _as_numeric(values: Any) -> Any:
    """Pass pandas and numpy objects through; turn lists and scalars into arrays/floats."""
    if hasattr(values, "__array__") or isinstance(values, (int, float)):
        return values
    return np.asarray(values, dtype=float)


def convert_grade(values: Any, from_unit: str, to_unit: str) -> Any:
    """
    Convert grades between units.

    Parameters
    ----------
    values : float, array_like, pandas.Series or pandas.DataFrame
        Grades in `from_unit`. The container type is kept (a Series stays a Series).
    from_unit, to_unit : str
        Grade units, any spelling accepted by :func:`grade_unit`.

    Returns
    -------
    float, numpy.ndarray, pandas.Series or pandas.DataFrame
        Grades in `to_unit`.

    Raises
    ------
    UnitError
        If either unit is unknown.

    Notes
    -----
    Exact relations: 1 % = 10,000 ppm = 10,000 g/t = 10 kg/t; 1 ppm = 1 g/t = 1,000 ppb.

    Examples
    --------
    >>> convert_grade([0.1, 0.25], "pct", "ppm")
    array([1000., 2500.])
    >>> convert_grade(1500.0, "g/t", "kg/t")
    1.5
    """
    ratio = GRADE_UNITS[grade_unit(from_unit)] / GRADE_UNITS[grade_unit(to_unit)]
    return _scale(_as_numeric(values), ratio)


def convert_tonnage(values: Any, from_unit: str, to_unit: str) -> Any:
    """
    Convert masses between kg, t, kt and Mt.

    Parameters
    ----------
    values : float, array_like, pandas.Series or pandas.DataFrame
        Masses in `from_unit`.
    from_unit, to_unit : str
        Tonnage units, any spelling accepted by :func:`tonnage_unit`.

    Returns
    -------
    float, numpy.ndarray, pandas.Series or pandas.DataFrame
        Masses in `to_unit`.

    Raises
    ------
    UnitError
        If either unit is unknown.

    Examples
    --------
    >>> convert_tonnage(0.8, "Mt", "t")
    800000.0
    >>> convert_tonnage([1500.0, 250.0], "t", "kt")
    array([1.5 , 0.25])
    """
    ratio = TONNAGE_UNITS[tonnage_unit(from_unit)] / TONNAGE_UNITS[tonnage_unit(to_unit)]
    return _scale(_as_numeric(values), ratio)
