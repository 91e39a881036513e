"""
The exceptions raremin raises.

Every error raised on bad input is a :class:`RareminError`, so a script can catch
everything from the library with one ``except``. Errors about the values passed in
are also :class:`ValueError` (through :class:`InputError`), so code written for
numpy and pandas keeps working. Each message repeats the offending value and says
what would be valid.

Examples
--------
>>> from raremin.errors import InputError, RareminError, UnitError
>>> issubclass(UnitError, InputError) and issubclass(InputError, ValueError)
True
>>> try:
...     raise UnitError("unknown grade unit 'ppt'; known units: ppm, pct")
... except RareminError as err:
...     message = str(err)
>>> message
"unknown grade unit 'ppt'; known units: ppm, pct"
"""

from __future__ import annotations

__all__ = [
    "BasisError",
    "CRSError",
    "ChemistryError",
    "ConvergenceError",
    "GeometryError",
    "InputError",
    "ProjectError",
    "RareminError",
    "UnitError",
]


class RareminError(Exception):
    """
    Base class of every error raised by raremin.

    Examples
    --------
    >>> from raremin.errors import RareminError, UnitError
    >>> isinstance(UnitError("bad unit"), RareminError)
    True
    """


class InputError(RareminError, ValueError):
    """
    A value passed to raremin is invalid (negative grade, NaN, bad weights...).

    Also a :class:`ValueError`, so ``except ValueError`` catches it.

    Examples
    --------
    >>> from raremin.errors import InputError
    >>> isinstance(InputError("grade -1 is negative"), ValueError)
    True
    """


class ProjectError(InputError):
    """
    A project or assessment file that cannot be used: unknown key, bad value, missing file.

    The message is one line: the file, the key and what is allowed.

    Examples
    --------
    >>> from raremin.errors import InputError, ProjectError
    >>> issubclass(ProjectError, InputError) and issubclass(ProjectError, ValueError)
    True
    """


class UnitError(InputError):
    """
    A unit is unknown, or two quantities have incompatible units.

    Examples
    --------
    >>> from raremin.errors import UnitError
    >>> str(UnitError("unknown grade unit 'ppt'"))
    "unknown grade unit 'ppt'"
    """


class BasisError(InputError):
    """
    Grades on element basis and on oxide basis were mixed, or the basis is unknown.

    Examples
    --------
    >>> from raremin.errors import BasisError, InputError
    >>> issubclass(BasisError, InputError)
    True
    """


class ChemistryError(InputError):
    """
    An unknown element, oxide or basket, or a basket that cannot be formed from the data.

    Examples
    --------
    >>> from raremin.errors import ChemistryError
    >>> str(ChemistryError("unknown element 'Xx'"))
    "unknown element 'Xx'"
    """


class CRSError(InputError):
    """
    Coordinate reference systems disagree, are missing, or are unsuitable (degrees for volumes).

    Examples
    --------
    >>> from raremin.errors import CRSError, InputError
    >>> issubclass(CRSError, InputError)
    True
    """


class GeometryError(InputError):
    """
    A geometry is invalid, empty or of the wrong type.

    Examples
    --------
    >>> from raremin.errors import GeometryError
    >>> isinstance(GeometryError("zone 'A' is empty"), ValueError)
    True
    """


class ConvergenceError(RareminError, RuntimeError):
    """
    A numerical method did not converge or a linear system was singular.

    Examples
    --------
    >>> from raremin.errors import ConvergenceError
    >>> isinstance(ConvergenceError("no convergence"), RuntimeError)
    True
    """
