"""
Grade columns as labs and databases write them: one grammar for every analyte.

A grade column names what it holds and its unit. raremin reads the name once, here,
and every other module (chemistry, drillholes, estimation, tonnage, the workflow)
uses the result, an :class:`Analyte`:

* an **element** (``cu_pct``, ``au_gpt``, ``Ni_ppm``, ``LA_PPM``),
* an **oxide** of one element (``li2o_pct``, ``U3O8_ppm``, ``Nd2O3_%``, ``nb2o5_wt%``),
  whose element-to-oxide factor is computed from atomic weights
  (:func:`raremin.periodic.oxide_factor_of`),
* a **basket** total of rare earths (``treo_ppm``, ``tree_pct``, ``ndpr_pct``).

Spellings: case is ignored, and the species and unit may be joined by ``_``, ``-``,
``.``, a space, or written ``Nd (ppm)`` / ``Nd [ppm]``; units are those of
:func:`raremin.units.grade_unit` (``ppm``, ``ppb``, ``%``, ``pct``, ``wt%``, ``g/t``,
``gpt``, ``kg/t``, ``fraction``...). :func:`find_analytes` reads every column of a table:
it names the columns that end in a grade unit but cannot be read (``recovery_pct``),
and refuses two columns for the same analyte (``la_ppm`` beside ``la_pct``, or
``nd2o3_pct`` beside ``nd_ppm``), naming both.

Examples
--------
>>> from raremin.analytes import find_analytes, parse_analyte
>>> parse_analyte("Nd2O3_%").name, parse_analyte("Au (g/t)").name
('nd2o3_pct', 'au_gpt')
>>> parse_analyte("LA_PPM")
Analyte(kind='element', species='La', unit='ppm')
>>> found = find_analytes(["hole_id", "Cu_pct", "Mo_pct", "depth_m"])
>>> list(found.analytes), found.elements
(['Cu_pct', 'Mo_pct'], ('Cu', 'Mo'))
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .errors import InputError
from .periodic import element_symbol, oxide_factor_of, oxide_formula_of, parse_oxide
from .units import GRADE_UNIT_SPELLINGS, grade_unit, unit_suffix

__all__ = ["ANALYTE_KINDS", "BASKET_COLUMNS", "Analyte", "AnalyteColumns", "column_unit",
           "find_analytes", "parse_analyte"]

#: What a grade column may hold.
ANALYTE_KINDS: tuple[str, ...] = ("element", "oxide", "basket")

#: Column species of rare-earth basket totals -> (basket name, basis of the total).
BASKET_COLUMNS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "treo": ("TREO", "oxide"), "reo": ("TREO", "oxide"),
    "tree": ("TREO", "element"), "ree": ("TREO", "element"),
    "lreo": ("LREO", "oxide"), "lree": ("LREO", "element"),
    "hreo": ("HREO", "oxide"), "hree": ("HREO", "element"),
    "mreo": ("MREO", "oxide"), "mree": ("MREO", "element"),
    "creo": ("CREO", "oxide"), "cree": ("CREO", "element"),
    "ndpr": ("NdPr", "oxide"),
})

# Unit spellings, longest first so that "wt%" wins over "%".
_UNIT_TOKENS = sorted({*GRADE_UNIT_SPELLINGS, "wt_%", "wt_pct", "perc"}, key=len, reverse=True)
_UNIT_RE = "|".join(re.escape(t) for t in _UNIT_TOKENS if " " not in t)
_NAME_RE = re.compile(
    r"^(?P<species>[a-z][a-z0-9]*?)(?P<sep>[\s_\-\.]*[\(\[]?\s*)(?P<unit>" + _UNIT_RE
    + r")\s*[\)\]]?$"
)
# Anything that ends in a grade unit, or holds one as a separate word: a grade column
# the grammar may fail to read (those are named, never silently ignored).
_GRADE_LIKE_RE = re.compile(
    r"(^|[\s_\-\.\(\[])(" + _UNIT_RE + r")($|[\s_\-\.\)\]])"
)
_EXTRA_UNITS = {"wt_%": "pct", "wt_pct": "pct", "perc": "pct"}
_SUFFIX_TO_UNIT = {unit_suffix(u): grade_unit(u) for u in GRADE_UNIT_SPELLINGS}


@dataclasses.dataclass(frozen=True)
class Analyte:
    """
    What a grade column holds: an element, an oxide or a rare-earth basket, in a unit.

    Parameters
    ----------
    kind : {"element", "oxide", "basket"}
        The kind of species.
    species : str
        The element symbol (``"Cu"``), the oxide formula (``"Nb2O5"``) or the basket
        (``"TREO"``, ``"NdPr"``; a ``basket`` analyte on element basis is written
        ``"TREO"`` too, see `basis`).
    unit : str
        Grade unit, any spelling :func:`raremin.units.grade_unit` accepts (stored
        canonical).
    basis : {"element", "oxide"}, optional
        For baskets only: total of oxide grades (TREO) or of element grades (TREE).
        Default "oxide". Elements are on element basis and oxides on oxide basis.

    Raises
    ------
    InputError
        An unknown kind, species, basis or unit.

    Examples
    --------
    >>> from raremin.analytes import Analyte
    >>> li = Analyte("oxide", "Li2O", "%")
    >>> li.element, li.name, round(li.element_factor, 4)
    ('Li', 'li2o_pct', 0.4645)
    >>> Analyte("basket", "TREO", "ppm", basis="element").name
    'tree_ppm'
    """

    kind: str
    species: str
    unit: str
    basis: str = dataclasses.field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ANALYTE_KINDS:
            raise InputError(f"unknown analyte kind {self.kind!r}; use one of {ANALYTE_KINDS}")
        object.__setattr__(self, "unit", grade_unit(self.unit))
        if self.kind == "element":
            symbol = element_symbol(self.species)
            if symbol is None:
                raise InputError(f"unknown element {self.species!r}; give a symbol like 'Cu'")
            object.__setattr__(self, "species", symbol)
            basis = "element"
        elif self.kind == "oxide":
            parsed = parse_oxide(self.species)
            if parsed is None:
                raise InputError(
                    f"{self.species!r} is not an oxide of one element; write it like 'Li2O'"
                )
            object.__setattr__(self, "species", oxide_formula_of(*parsed))
            basis = "oxide"
        else:
            names = {name for name, _ in BASKET_COLUMNS.values()}
            canonical = {n.lower(): n for n in names}.get(str(self.species).lower())
            if canonical is None:
                raise InputError(
                    f"unknown basket {self.species!r}; use one of {sorted(names)}"
                )
            object.__setattr__(self, "species", canonical)
            basis = self.basis or "oxide"
            if basis not in ("element", "oxide"):
                raise InputError(f"unknown basis {self.basis!r}; use 'element' or 'oxide'")
        if self.kind != "basket" and self.basis and self.basis != basis:
            raise InputError(
                f"a {self.kind} is on {basis} basis; got basis={self.basis!r}"
            )
        object.__setattr__(self, "basis", basis)

    @property
    def element(self) -> str | None:
        """
        The element symbol of an element or oxide (None for a basket).

        Examples
        --------
        >>> from raremin.analytes import Analyte
        >>> Analyte("oxide", "U3O8", "ppm").element
        'U'
        """
        if self.kind == "element":
            return self.species
        if self.kind == "oxide":
            parsed = parse_oxide(self.species)  # never None: checked in __post_init__
            return None if parsed is None else parsed[0]
        return None

    @property
    def element_factor(self) -> float:
        """
        Mass of the element per unit mass of the species: 1 for an element, 1/factor
        for an oxide.

        Examples
        --------
        >>> from raremin.analytes import Analyte
        >>> round(Analyte("oxide", "Nd2O3", "ppm").element_factor, 5)
        0.85736
        """
        if self.kind == "element":
            return 1.0
        if self.kind == "oxide":
            return 1.0 / oxide_factor_of(self.species)
        raise InputError(f"a basket total ({self.species}) has no single element factor")

    @property
    def name(self) -> str:
        """
        Canonical column name: lower-case species and unit suffix (``nd2o3_pct``).

        Examples
        --------
        >>> from raremin.analytes import Analyte
        >>> Analyte("element", "AU", "g/t").name
        'au_gpt'
        """
        if self.kind == "basket":
            species = next(k for k, v in BASKET_COLUMNS.items()
                           if v == (self.species, self.basis) and k not in ("reo", "ree"))
        else:
            species = self.species.lower()
        return f"{species}_{unit_suffix(self.unit)}"

    @property
    def label(self) -> str:
        """
        A label for tables and charts: ``"Cu (%)"``, ``"TREE (ppm)"``.

        Examples
        --------
        >>> from raremin.analytes import Analyte
        >>> Analyte("basket", "treo", "pct").label
        'TREO (%)'
        """
        text = {"pct": "%", "fraction": "fraction"}.get(self.unit, self.unit)
        species = self.species
        if self.kind == "basket" and self.basis == "element":
            species = species[:-1] + "E" if species.endswith("O") else species + " (element)"
        return f"{species} ({text})"


def parse_analyte(name: Any) -> Analyte | None:
    """
    Read a grade column name.

    Parameters
    ----------
    name : str
        A column name: a species (element symbol, oxide formula or basket name) and a
        grade unit, case-insensitive, joined by ``_``, ``-``, ``.``, a space or
        written with the unit in brackets (``Nd (ppm)``).

    Returns
    -------
    Analyte or None
        None when the name is not a grade column that raremin can read (``hole_id``,
        ``depth_m``, ``recovery_pct``, non-strings).

    Examples
    --------
    >>> from raremin.analytes import parse_analyte
    >>> parse_analyte("cu_pct")
    Analyte(kind='element', species='Cu', unit='pct')
    >>> parse_analyte("nd2o3_wt%").name, parse_analyte("TREO_ppm").kind
    ('nd2o3_pct', 'basket')
    >>> parse_analyte("recovery_pct") is None, parse_analyte("depth_m") is None
    (True, True)
    """
    if not isinstance(name, str):
        return None
    match = _NAME_RE.match(name.strip().lower())
    if match is None:
        return None
    species, sep, unit = match.group("species", "sep", "unit")
    if not sep and unit[0].isalpha():
        return None  # "cuppm": no separator before a unit written in letters
    unit = _EXTRA_UNITS.get(unit, unit)
    if species in BASKET_COLUMNS:
        basket, basis = BASKET_COLUMNS[species]
        return Analyte("basket", basket, unit, basis=basis)
    if element_symbol(species) is not None:
        return Analyte("element", species, unit)
    if parse_oxide(species) is not None:
        return Analyte("oxide", species, unit)
    return None


def column_unit(name: Any) -> str | None:
    """
    The grade unit at the end of a canonical column name ``<anything>_<unit suffix>``.

    Unlike :func:`parse_analyte`, the part before the unit may be any name (a
    user-defined basket ``dy_tb_ppm``, an element ``nd_ppm``); only the suffix is read.

    Returns
    -------
    str or None
        The canonical grade unit, or None when the name does not end in a suffix.

    Examples
    --------
    >>> from raremin.analytes import column_unit
    >>> column_unit("dy_tb_ppm"), column_unit("ndpr_pct"), column_unit("tonnage_t")
    ('ppm', 'pct', None)
    """
    if not isinstance(name, str):
        return None
    head, _, tail = name.rpartition("_")
    if not head or tail not in _SUFFIX_TO_UNIT:
        return None
    return _SUFFIX_TO_UNIT[tail]


def _looks_like_grade(name: Any) -> bool:
    return isinstance(name, str) and _GRADE_LIKE_RE.search(name.strip().lower()) is not None


@dataclasses.dataclass(frozen=True)
class AnalyteColumns:
    """
    The grade columns of a table, read by :func:`find_analytes`.

    Attributes
    ----------
    analytes : mapping of column -> Analyte
        Every readable grade column, in column order.
    unreadable : tuple
        Columns that end in (or hold) a grade unit but whose species is not an
        element, an oxide of one element or a basket: not used as grades.

    Examples
    --------
    >>> from raremin.analytes import find_analytes
    >>> cols = find_analytes(["la_ppm", "ce_ppm", "treo_pct"])
    >>> cols.elements, cols.baskets, cols.renames
    (('La', 'Ce'), ('TREO',), {})
    """

    analytes: Mapping[Any, Analyte]
    unreadable: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "analytes", MappingProxyType(dict(self.analytes)))
        object.__setattr__(self, "unreadable", tuple(self.unreadable))

    @property
    def columns(self) -> list[Any]:
        """The readable grade columns, in order."""
        return list(self.analytes)

    @property
    def elements(self) -> tuple[str, ...]:
        """Elements assayed as themselves or as an oxide, in column order."""
        # Only baskets have no element.
        return tuple(el for a in self.analytes.values() if (el := a.element) is not None)

    @property
    def baskets(self) -> tuple[str, ...]:
        """Basket totals given as columns (``TREO``...), in column order."""
        return tuple(a.species for a in self.analytes.values() if a.kind == "basket")

    @property
    def renames(self) -> dict[Any, str]:
        """Columns whose name differs from the canonical one -> the canonical name."""
        return {col: a.name for col, a in self.analytes.items() if col != a.name}

    def of_element(self, symbol: str) -> Any:
        """
        The column holding an element (as itself or as an oxide), or None.

        Examples
        --------
        >>> from raremin.analytes import find_analytes
        >>> find_analytes(["Nd2O3_pct"]).of_element("Nd")
        'Nd2O3_pct'
        """
        for col, a in self.analytes.items():
            if a.element == symbol:
                return col
        return None


def _key(analyte: Analyte) -> tuple[str, str]:
    """Two columns with the same key hold the same analyte."""
    element = analyte.element  # None only for a basket
    if analyte.kind == "basket" or element is None:
        return ("basket", analyte.species)
    return ("element", element)


def find_analytes(columns: Any, *, warn: bool = True) -> AnalyteColumns:
    """
    Find and read the grade columns of a table.

    Parameters
    ----------
    columns : pandas.DataFrame or iterable of column names
        The table (only its column names are read).
    warn : bool, default True
        Warn (UserWarning) about columns that look like grades but cannot be read.

    Returns
    -------
    AnalyteColumns

    Raises
    ------
    InputError
        Two columns hold the same analyte (same element in two units or on two bases,
        or the same basket twice); the message names both columns and the fix.

    Examples
    --------
    >>> import warnings
    >>> from raremin.analytes import find_analytes
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     found = find_analytes(["Cu_pct", "Au (g/t)", "recovery_pct"])
    >>> found.renames, found.unreadable
    ({'Cu_pct': 'cu_pct', 'Au (g/t)': 'au_gpt'}, ('recovery_pct',))
    >>> str(caught[0].message).split(" names")[0]
    "column 'recovery_pct'"
    >>> find_analytes(["la_ppm", "LA_PCT"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    raremin.errors.InputError: columns 'la_ppm' and 'LA_PCT' both hold La; keep one of them ...
    """
    names = list(getattr(columns, "columns", columns))
    found: dict[Any, Analyte] = {}
    owner: dict[tuple[str, str], Any] = {}
    unreadable = []
    for col in names:
        analyte = parse_analyte(col)
        if analyte is None:
            if _looks_like_grade(col):
                unreadable.append(col)
            continue
        key = _key(analyte)
        if key in owner:
            what = key[1] if key[0] == "element" else f"the {key[1]} total"
            raise InputError(
                f"columns {owner[key]!r} and {col!r} both hold {what}; keep one of them "
                f"(drop the other, or rename it so that it is not read as a grade)"
            )
        owner[key] = col
        found[col] = analyte
    if unreadable and warn:
        for col in unreadable:
            warnings.warn(
                f"column {col!r} names a grade unit but is not <species>_<unit> with an "
                f"element, an oxide of one element or a rare-earth basket as species; it is "
                f"not used as a grade (rename it, e.g. 'cu_pct', or map it in the project "
                f"file)", UserWarning, stacklevel=2,
            )
    return AnalyteColumns(found, tuple(unreadable))
