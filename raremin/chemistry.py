"""
Rare-earth chemistry: elements, reporting oxides, baskets and grade bases.

Assays report rare earths either as the element (``nd_ppm``, *element basis*) or as
the conventional reporting oxide (``nd2o3_pct``, *oxide basis*). This module holds
the facts needed to move between the two and to add elements up into the totals
that resource statements quote (TREO, LREO, HREO, MREO, NdPr, CREO):

* :data:`ELEMENTS`, :data:`RARE_EARTHS` and :func:`element`: the 17 rare-earth
  elements (La-Lu, Y, Sc) with their standard atomic weights and reporting oxides.
* :data:`OXIDE_FACTORS`, :func:`oxide_factor`: element-to-oxide mass factors,
  computed from the atomic weights, never typed in.
* :class:`Basket` and :func:`basket`: named groups of elements. Groupings differ
  between sources, so every basket is configurable (Y and Sc switches, the LREO/HREO
  split convention) and can state itself with :meth:`Basket.describe`.
* :func:`element_to_oxide`, :func:`oxide_to_element`, :func:`basket_total`,
  :func:`basket_shares`, :func:`tree_to_treo`, :func:`treo_to_tree`: vectorized
  conversions for numpy arrays (element axis last, named by ``elements=``) and for
  pandas DataFrames whose grade columns are named ``<species>_<unit>``
  (see :func:`parse_grade_column`).

Every function states the basis of what it returns; DataFrame and Series outputs
carry the basis and unit in their names (``nd2o3_ppm``, ``treo_pct``, ``tree_ppm``).

Examples
--------
>>> import numpy as np
>>> from raremin.chemistry import basket, basket_total, oxide_factor
>>> round(oxide_factor("Nd"), 4)
1.1664
>>> basket("ndpr").describe()
'NdPr = Nd2O3 + Pr6O11 (Y excluded, Sc excluded)'
>>> grades = np.array([[300.0, 80.0], [120.0, 30.0]])  # ppm, element basis
>>> basket_total(grades, "ndpr", elements=["Nd", "Pr"], basis="element").round(1)
array([446.6, 176.2])
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._validation import BASES, as_float_array, check_finite, check_grades
from ._validation import check_basis as _check_basis
from .analytes import BASKET_COLUMNS, Analyte, parse_analyte
from .errors import BasisError, ChemistryError, InputError
from .periodic import ATOMIC_WEIGHTS, OXYGEN_ATOMIC_WEIGHT, mass_factor, oxide_formula_of
from .units import convert_grade, grade_unit, unit_suffix

__all__ = [
    "BASES",
    "BASKET_CONVENTIONS",
    "BASKET_NAMES",
    "ELEMENTS",
    "OXIDE_FACTORS",
    "OXYGEN_ATOMIC_WEIGHT",
    "RARE_EARTHS",
    "Basket",
    "Element",
    "GradeColumn",
    "basket",
    "basket_shares",
    "basket_total",
    "basket_weights",
    "element",
    "element_to_oxide",
    "grade_columns",
    "oxide_factor",
    "oxide_formula",
    "oxide_to_element",
    "parse_grade_column",
    "tree_to_treo",
    "treo_to_tree",
]

_formula = oxide_formula_of


@dataclass(frozen=True)
class Element:
    """
    A rare-earth element and its reporting oxide.

    Parameters
    ----------
    symbol : str
        Chemical symbol, e.g. ``"Nd"``.
    name : str
        English name in lower case, e.g. ``"neodymium"``.
    atomic_number : int
        Proton number.
    atomic_weight : float
        Standard atomic weight. Units: g/mol (relative atomic mass). For Pm, which has
        no stable isotope, the mass number of its longest-lived isotope (145).
    oxide_formula : str
        The oxide grades are reported as, e.g. ``"Nd2O3"``, ``"CeO2"``, ``"Pr6O11"``.
        Must agree with `cations` and `oxygens`.
    cations : int
        Number of atoms of the element in `oxide_formula` (6 for Pr6O11).
    oxygens : int
        Number of oxygen atoms in `oxide_formula` (11 for Pr6O11).
    natural : bool, default True
        False for Pm, which does not occur in ore deposits; such an element has an
        oxide factor but is excluded from every :class:`Basket`.

    Raises
    ------
    ChemistryError
        If a field is impossible (non-positive weight or counts) or the formula does
        not match the counts.

    Notes
    -----
    The element-to-oxide factor (:attr:`oxide_factor`) is

    .. math:: f = \\frac{c\\,A_r(\\mathrm{X}) + o\\,A_r(\\mathrm{O})}{c\\,A_r(\\mathrm{X})}

    for an oxide X\\ :sub:`c`\\ O\\ :sub:`o`, with standard atomic weights from the
    CIAAW/IUPAC 2021 table (Prohaska et al., 2022) and A_r(O) = 15.999.

    References
    ----------
    Prohaska, T., et al. (2022). Standard atomic weights of the elements 2021 (IUPAC
    Technical Report). *Pure and Applied Chemistry*, 94(5), 573-600.

    Examples
    --------
    >>> from raremin.chemistry import RARE_EARTHS
    >>> pr = RARE_EARTHS["Pr"]
    >>> pr.oxide_formula, pr.cations, pr.oxygens
    ('Pr6O11', 6, 11)
    >>> round(pr.oxide_factor, 4)
    1.2082
    >>> RARE_EARTHS["Pm"].natural
    False
    """

    symbol: str
    name: str
    atomic_number: int
    atomic_weight: float
    oxide_formula: str
    cations: int
    oxygens: int
    natural: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.atomic_weight, (int, float)) and self.atomic_weight > 0):
            raise ChemistryError(
                f"atomic weight of {self.symbol!r} must be a positive number; "
                f"got {self.atomic_weight!r}"
            )
        for field_name in ("atomic_number", "cations", "oxygens"):
            value = getattr(self, field_name)
            if not (isinstance(value, int) and value > 0):
                raise ChemistryError(
                    f"{field_name} of {self.symbol!r} must be a positive integer; got {value!r}"
                )
        expected = _formula(self.symbol, self.cations, self.oxygens)
        if self.oxide_formula != expected:
            raise ChemistryError(
                f"oxide formula {self.oxide_formula!r} of {self.symbol!r} does not match "
                f"{self.cations} cation(s) and {self.oxygens} oxygen(s) ({expected!r})"
            )

    @property
    def oxide_factor(self) -> float:
        """
        Element-to-oxide mass factor: oxide mass per unit mass of the element in it.

        Examples
        --------
        >>> from raremin.chemistry import RARE_EARTHS
        >>> round(RARE_EARTHS["Y"].oxide_factor, 4)
        1.2699
        """
        return mass_factor(self.atomic_weight, self.cations, self.oxygens)


# symbol, name, Z, reporting oxide, cations, oxygens, natural; the standard atomic
# weights (CIAAW 2021) come from raremin.periodic, Pm's is the mass number of 145Pm.
_ROWS: tuple[tuple[str, str, int, str, int, int, bool], ...] = (
    ("La", "lanthanum", 57, "La2O3", 2, 3, True),
    ("Ce", "cerium", 58, "CeO2", 1, 2, True),
    ("Pr", "praseodymium", 59, "Pr6O11", 6, 11, True),
    ("Nd", "neodymium", 60, "Nd2O3", 2, 3, True),
    ("Pm", "promethium", 61, "Pm2O3", 2, 3, False),
    ("Sm", "samarium", 62, "Sm2O3", 2, 3, True),
    ("Eu", "europium", 63, "Eu2O3", 2, 3, True),
    ("Gd", "gadolinium", 64, "Gd2O3", 2, 3, True),
    ("Tb", "terbium", 65, "Tb4O7", 4, 7, True),
    ("Dy", "dysprosium", 66, "Dy2O3", 2, 3, True),
    ("Ho", "holmium", 67, "Ho2O3", 2, 3, True),
    ("Er", "erbium", 68, "Er2O3", 2, 3, True),
    ("Tm", "thulium", 69, "Tm2O3", 2, 3, True),
    ("Yb", "ytterbium", 70, "Yb2O3", 2, 3, True),
    ("Lu", "lutetium", 71, "Lu2O3", 2, 3, True),
    ("Y", "yttrium", 39, "Y2O3", 2, 3, True),
    ("Sc", "scandium", 21, "Sc2O3", 2, 3, True),
)
_TABLE = tuple(
    (sym, name, z, ATOMIC_WEIGHTS.get(sym, 145.0), ox, c, o, natural)
    for sym, name, z, ox, c, o, natural in _ROWS
)

#: Symbols of the rare-earth elements: La to Lu (with Pm), then Y and Sc.
ELEMENTS: tuple[str, ...] = tuple(row[0] for row in _TABLE)

#: Read-only mapping symbol -> :class:`Element`, in the order of :data:`ELEMENTS`.
RARE_EARTHS: Mapping[str, Element] = MappingProxyType({row[0]: Element(*row) for row in _TABLE})

#: Read-only mapping symbol -> element-to-oxide factor, computed from atomic weights
#: as (cations * Ar(X) + oxygens * Ar(O)) / (cations * Ar(X)).
OXIDE_FACTORS: Mapping[str, float] = MappingProxyType(
    {sym: el.oxide_factor for sym, el in RARE_EARTHS.items()}
)

# lower-case symbol, name and oxide formula -> symbol
_LOOKUP: dict[str, str] = {}
for _el in RARE_EARTHS.values():
    for _key in (_el.symbol, _el.name, _el.oxide_formula):
        _LOOKUP[_key.lower()] = _el.symbol
del _el, _key



def element(symbol_or_name: str | Element) -> Element:
    """
    Look up a rare-earth element by symbol, name or reporting-oxide formula.

    Parameters
    ----------
    symbol_or_name : str or Element
        A symbol (``"Nd"``, ``"nd"``), an English name (``"neodymium"``) or the
        reporting oxide (``"Nd2O3"``, ``"nd2o3"``). Case and surrounding spaces are
        ignored. An :class:`Element` is returned unchanged.

    Returns
    -------
    Element
        The element (not its oxide, even when an oxide formula was given).

    Raises
    ------
    ChemistryError
        If the element is unknown; the message lists the known symbols.

    Notes
    -----
    Only the 17 rare-earth elements (La-Lu, Y, Sc) and the reporting oxides listed in
    :data:`RARE_EARTHS` are known; other oxides of the same element (e.g. Pr2O3,
    Tb2O3) are not, so that a grade is never silently put on the wrong oxide.

    Examples
    --------
    >>> from raremin.chemistry import element
    >>> element("nd").name
    'neodymium'
    >>> element("Neodymium").symbol
    'Nd'
    >>> element("pr6o11").symbol
    'Pr'
    """
    if isinstance(symbol_or_name, Element):
        return symbol_or_name
    if isinstance(symbol_or_name, str):
        symbol = _LOOKUP.get(symbol_or_name.strip().lower())
        if symbol is not None:
            return RARE_EARTHS[symbol]
    raise ChemistryError(
        f"unknown rare-earth element {symbol_or_name!r}; known symbols: "
        f"{', '.join(ELEMENTS)} (names such as 'neodymium' and reporting oxides such as "
        f"'Nd2O3' are also accepted)"
    )


def oxide_factor(symbol: str | Element) -> float:
    """
    Return the element-to-oxide mass factor of a rare earth.

    Multiply an element-basis grade by this factor to get the oxide-basis grade
    (same unit); divide to go back.

    Parameters
    ----------
    symbol : str or Element
        Anything :func:`element` accepts.

    Returns
    -------
    float
        Oxide mass per unit mass of the element, e.g. 1.1664 for Nd -> Nd2O3.

    Raises
    ------
    ChemistryError
        If the element is unknown.

    Notes
    -----
    Computed from CIAAW/IUPAC 2021 standard atomic weights (Prohaska et al., 2022),
    see :class:`Element`. The values agree with the published tables to 1e-4
    (La 1.1728, Ce 1.2284, Nd 1.1664, Y 1.2699, ...).

    Examples
    --------
    >>> from raremin.chemistry import oxide_factor
    >>> round(oxide_factor("Ce"), 4)
    1.2284
    >>> round(1000.0 * oxide_factor("La"), 1)  # 1000 ppm La as ppm La2O3
    1172.8
    """
    return OXIDE_FACTORS[element(symbol).symbol]


def oxide_formula(symbol: str | Element) -> str:
    """
    Return the formula of the oxide a rare earth is reported as.

    Parameters
    ----------
    symbol : str or Element
        Anything :func:`element` accepts.

    Returns
    -------
    str
        For example ``"Pr6O11"`` for Pr and ``"Tb4O7"`` for Tb.

    Raises
    ------
    ChemistryError
        If the element is unknown.

    Examples
    --------
    >>> from raremin.chemistry import oxide_formula
    >>> oxide_formula("tb")
    'Tb4O7'
    >>> oxide_formula("cerium")
    'CeO2'
    """
    return element(symbol).oxide_formula


# ----------------------------------------------------------------------------- baskets

#: Canonical names of the built-in baskets (see :func:`basket`).
BASKET_NAMES: tuple[str, ...] = ("TREO", "LREO", "HREO", "MREO", "NdPr", "CREO")

#: LREO/HREO split conventions, named by the range of the heavy group.
BASKET_CONVENTIONS: tuple[str, ...] = ("eu-lu+y", "gd-lu+y", "tb-lu+y")

_LANTHANIDES = tuple(s for s in ELEMENTS[:15] if RARE_EARTHS[s].natural)  # La-Lu without Pm
_HEAVY_START = {"eu-lu+y": "Eu", "gd-lu+y": "Gd", "tb-lu+y": "Tb"}
_BASKET_ALIASES = {key: name for key, (name, _) in BASKET_COLUMNS.items()}


@dataclass(frozen=True)
class Basket:
    """
    A named group of rare-earth elements whose grades are added into one total.

    Parameters
    ----------
    name : str
        Short name used in outputs, e.g. ``"TREO"`` or ``"NdPr"``.
    elements : tuple of str
        Member elements. Anything :func:`element` accepts; stored as symbols
        (``("nd", "Pr6O11")`` becomes ``("Nd", "Pr")``), order kept.
    description : str, optional
        Free text, e.g. the convention the basket follows.

    Raises
    ------
    ChemistryError
        If the name is empty, or a member is unknown, not natural (Pm), repeated,
        or there is no member.

    See Also
    --------
    basket : the built-in baskets (TREO, LREO, HREO, MREO, NdPr, CREO).

    Examples
    --------
    >>> from raremin.chemistry import Basket
    >>> b = Basket("DyTb", ("dy", "Tb4O7"), "heavy magnet elements")
    >>> b.elements
    ('Dy', 'Tb')
    >>> b.oxides
    ('Dy2O3', 'Tb4O7')
    >>> b.describe()
    'DyTb = Dy2O3 + Tb4O7 (Y excluded, Sc excluded)'
    """

    name: str
    elements: tuple[str, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ChemistryError(f"a basket needs a non-empty name; got {self.name!r}")
        members = self.elements
        if isinstance(members, (str, Element)) or not isinstance(members, Iterable):
            raise ChemistryError(
                f"basket {self.name!r}: elements must be a sequence of symbols such as "
                f"('Nd', 'Pr'); got {members!r}"
            )
        symbols = tuple(element(m).symbol for m in members)
        if not symbols:
            raise ChemistryError(f"basket {self.name!r} has no element; give at least one")
        unnatural = [s for s in symbols if not RARE_EARTHS[s].natural]
        if unnatural:
            raise ChemistryError(
                f"basket {self.name!r} contains {', '.join(unnatural)}, which does not occur "
                f"naturally and is excluded from every basket; remove it"
            )
        repeated = sorted({s for s in symbols if symbols.count(s) > 1}, key=ELEMENTS.index)
        if repeated:
            raise ChemistryError(
                f"basket {self.name!r} lists {', '.join(repeated)} more than once; "
                f"each element may appear only once"
            )
        object.__setattr__(self, "elements", symbols)
        if not isinstance(self.description, str):
            raise ChemistryError(
                f"basket {self.name!r}: description must be a string; got {self.description!r}"
            )

    @property
    def oxides(self) -> tuple[str, ...]:
        """
        Reporting-oxide formulas of the members, in member order.

        Examples
        --------
        >>> from raremin.chemistry import basket
        >>> basket("mreo").oxides
        ('Nd2O3', 'Pr6O11', 'Dy2O3', 'Tb4O7')
        """
        return tuple(RARE_EARTHS[s].oxide_formula for s in self.elements)

    def describe(self) -> str:
        """
        State the basket in one line, as it should appear next to a reported total.

        Returns
        -------
        str
            ``"<name> = <oxide> + <oxide> ... (Y included|excluded, Sc included|excluded)"``.

        Examples
        --------
        >>> from raremin.chemistry import basket
        >>> basket("hreo", convention="tb-lu+y", include_y=False).describe()
        'HREO = Tb4O7 + Dy2O3 + Ho2O3 + Er2O3 + Tm2O3 + Yb2O3 + Lu2O3 (Y excluded, Sc excluded)'
        """
        y = "Y included" if "Y" in self.elements else "Y excluded"
        sc = "Sc included" if "Sc" in self.elements else "Sc excluded"
        return f"{self.name} = {' + '.join(self.oxides)} ({y}, {sc})"


def _check_convention(convention: str) -> str:
    key = convention.strip().lower() if isinstance(convention, str) else convention
    if key not in _HEAVY_START:
        raise ChemistryError(
            f"unknown LREO/HREO convention {convention!r}; use one of "
            f"{', '.join(repr(c) for c in BASKET_CONVENTIONS)}"
        )
    return key


def basket(
    name: str | Basket | Sequence[str],
    *,
    include_y: bool = True,
    include_sc: bool = False,
    convention: str = "eu-lu+y",
) -> Basket:
    """
    Return a basket of rare earths by name, or a user-defined one.

    Parameters
    ----------
    name : str, Basket or sequence of str
        A built-in name, case-insensitive, with or without the trailing O/E:
        ``"treo"``/``"tree"``, ``"lreo"``/``"lree"``, ``"hreo"``/``"hree"``,
        ``"mreo"``/``"mree"``, ``"ndpr"``, ``"creo"``/``"cree"``. A :class:`Basket`
        is returned unchanged (the switches are ignored). A sequence of symbols
        gives a user-defined basket named ``"custom"`` (use :class:`Basket` to name
        it); the switches are ignored for it too.
    include_y : bool, default True
        Whether Y belongs to TREO, HREO and CREO.
    include_sc : bool, default False
        Whether Sc belongs to TREO (Sc is in no other built-in basket).
    convention : str, default "eu-lu+y"
        Where LREO ends and HREO begins, named by the heavy range:
        ``"eu-lu+y"`` (LREO = La-Sm), ``"gd-lu+y"`` (LREO = La-Eu) or
        ``"tb-lu+y"`` (LREO = La-Gd). HREO holds the rest of La-Lu, plus Y when
        `include_y`. Checked even for baskets that do not use it.

    Returns
    -------
    Basket
        Members in the order listed below; Pm is never a member.

    Raises
    ------
    ChemistryError
        If the name or convention is unknown (the message lists the valid ones), or
        a user-defined member is unknown, repeated or Pm.

    Notes
    -----
    Groupings differ between sources, so state the basket with
    :meth:`Basket.describe` wherever a total is reported. Built-in members:

    * TREO: La-Lu without Pm, plus Y (`include_y`) and Sc (`include_sc`).
    * LREO / HREO: split by `convention` as above.
    * MREO (magnet rare earths): Nd, Pr, Dy, Tb.
    * NdPr: Nd, Pr (Nd2O3 + Pr6O11).
    * CREO: Nd, Eu, Tb, Dy, Y, the critical rare earths of US DOE (2011); Y
      follows `include_y`.

    References
    ----------
    US Department of Energy (2011). *Critical Materials Strategy*. Washington, DC.

    Examples
    --------
    >>> from raremin.chemistry import basket
    >>> basket("lree").elements
    ('La', 'Ce', 'Pr', 'Nd', 'Sm')
    >>> basket("HREO", convention="gd-lu+y").elements[0]
    'Gd'
    >>> "Y" in basket("treo", include_y=False).elements
    False
    >>> basket(["Dy", "Tb"]).name
    'custom'
    """
    conv = _check_convention(convention)
    if isinstance(name, Basket):
        return name
    if isinstance(name, str):
        canonical = _BASKET_ALIASES.get(name.strip().lower())
        if canonical is None:
            hint = ""
            if name.strip().lower() in _LOOKUP:
                hint = f"; for a one-element basket pass a list: basket([{name!r}])"
            raise ChemistryError(
                f"unknown basket {name!r}; known baskets: {', '.join(BASKET_NAMES)} "
                f"(or a sequence of element symbols){hint}"
            )
        return _named_basket(canonical, include_y, include_sc, conv)
    if isinstance(name, Iterable):
        return Basket("custom", tuple(name), "user-defined basket")
    raise ChemistryError(
        f"basket must be a name ({', '.join(BASKET_NAMES)}), a Basket or a sequence of "
        f"element symbols; got {name!r}"
    )


def _named_basket(name: str, include_y: bool, include_sc: bool, convention: str) -> Basket:
    y = ("Y",) if include_y else ()
    split = _LANTHANIDES.index(_HEAVY_START[convention])
    light, heavy = _LANTHANIDES[:split], _LANTHANIDES[split:]
    conv = f"convention {convention!r}"
    if name == "TREO":
        sc = ("Sc",) if include_sc else ()
        return Basket(name, _LANTHANIDES + y + sc, "total rare-earth oxides")
    if name == "LREO":
        return Basket(name, light, f"light rare-earth oxides, {light[0]}-{light[-1]} ({conv})")
    if name == "HREO":
        return Basket(name, heavy + y, f"heavy rare-earth oxides, {heavy[0]}-Lu ({conv})")
    if name == "MREO":
        return Basket(name, ("Nd", "Pr", "Dy", "Tb"), "magnet rare-earth oxides")
    if name == "NdPr":
        return Basket(name, ("Nd", "Pr"), "neodymium-praseodymium oxide")
    return Basket(name, ("Nd", "Eu", "Tb", "Dy") + y, "critical rare-earth oxides (US DOE 2011)")


# ------------------------------------------------------------------------ grade columns



@dataclass(frozen=True)
class GradeColumn:
    """
    What a grade column holds: which element, on which basis, in which unit.

    Parameters
    ----------
    element : str
        Element symbol (anything :func:`element` accepts; stored as the symbol).
    basis : {"element", "oxide"}
        Whether the grades are of the element or of its reporting oxide.
    unit : str
        Grade unit (any spelling :func:`raremin.units.grade_unit` accepts; stored
        canonical: ``"ppm"``, ``"pct"``, ``"g/t"``, ``"kg/t"``, ``"fraction"``).

    Raises
    ------
    ChemistryError, BasisError, UnitError
        If the element, basis or unit is unknown.

    Examples
    --------
    >>> from raremin.chemistry import GradeColumn
    >>> col = GradeColumn("Pr", "oxide", "%")
    >>> col.unit, col.species, col.name
    ('pct', 'pr6o11', 'pr6o11_pct')
    """

    element: str
    basis: str
    unit: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "element", element(self.element).symbol)
        object.__setattr__(self, "basis", _check_basis(self.basis))
        object.__setattr__(self, "unit", grade_unit(self.unit))

    @property
    def species(self) -> str:
        """
        Lower-case symbol (element basis) or oxide formula (oxide basis).

        Examples
        --------
        >>> from raremin.chemistry import GradeColumn
        >>> GradeColumn("Nd", "element", "ppm").species
        'nd'
        """
        el = RARE_EARTHS[self.element]
        return (el.symbol if self.basis == "element" else el.oxide_formula).lower()

    @property
    def name(self) -> str:
        """
        Canonical column name ``<species>_<unit suffix>``.

        Examples
        --------
        >>> from raremin.chemistry import GradeColumn
        >>> GradeColumn("Ce", "oxide", "g/t").name
        'ceo2_gpt'
        """
        return f"{self.species}_{unit_suffix(self.unit)}"


def parse_grade_column(name: Any) -> GradeColumn | None:
    """
    Read a rare-earth grade column name such as ``nd_ppm`` or ``Nd2O3 (%)``.

    The rare-earth view of the grammar of :func:`raremin.analytes.parse_analyte`
    (which reads every element, oxide and basket).

    Parameters
    ----------
    name : str
        A column name. The species is a rare-earth symbol (element basis, ``nd_ppm``)
        or its reporting-oxide formula (oxide basis, ``nd2o3_pct``); the unit is any
        grade unit (``ppm``, ``ppb``, ``pct``, ``%``, ``gpt``, ``g/t``, ``kgpt``,
        ``frac``...), joined by ``_``, a space or in brackets. Case is ignored.

    Returns
    -------
    GradeColumn or None
        None when the name is not a rare-earth grade column: other data
        (``hole_id``, ``x``), basket totals (``treo_pct``), names that are not
        symbols or reporting oxides (``neodymium_ppm``, ``pr2o3_pct``), or
        non-string names.

    Examples
    --------
    >>> from raremin.chemistry import parse_grade_column
    >>> parse_grade_column("nd_ppm")
    GradeColumn(element='Nd', basis='element', unit='ppm')
    >>> parse_grade_column("Tb4O7_pct")
    GradeColumn(element='Tb', basis='oxide', unit='pct')
    >>> parse_grade_column("treo_pct") is None
    True
    """
    analyte = parse_analyte(name)
    element = None if analyte is None else analyte.element
    if analyte is None or element is None or element not in RARE_EARTHS:
        return None
    if analyte.kind == "oxide" and analyte.species != RARE_EARTHS[element].oxide_formula:
        return None  # another oxide than the reporting one (Pr2O3): not a reporting grade
    return GradeColumn(element, analyte.basis, analyte.unit)


def grade_columns(df: pd.DataFrame | Iterable[Any]) -> dict[Any, GradeColumn]:
    """
    Find the rare-earth grade columns of a DataFrame.

    Parameters
    ----------
    df : pandas.DataFrame or iterable of column names
        The data (only its column names are read).

    Returns
    -------
    dict
        Column name -> :class:`GradeColumn`, in column order, for every column that
        :func:`parse_grade_column` recognises; other columns are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.chemistry import grade_columns
    >>> df = pd.DataFrame(columns=["hole_id", "la_ppm", "ceo2_pct", "treo_pct"])
    >>> {k: (v.element, v.basis, v.unit) for k, v in grade_columns(df).items()}
    {'la_ppm': ('La', 'element', 'ppm'), 'ceo2_pct': ('Ce', 'oxide', 'pct')}
    """
    names = df.columns if isinstance(df, pd.DataFrame) else df
    out: dict[Any, GradeColumn] = {}
    for col in names:
        parsed = parse_grade_column(col)
        if parsed is not None:
            out[col] = parsed
    return out


# -------------------------------------------------------------------- internal helpers

Grades: TypeAlias = ArrayLike | pd.DataFrame


def _resolve_elements(elements: Any, n: int | None, what: str = "grades") -> list[str]:
    """Symbols naming the last axis; checks presence, duplicates and length."""
    if elements is None:
        raise InputError(
            f"elements= is required with array {what}: name the last axis, "
            f"e.g. elements=['La', 'Ce', 'Nd']"
        )
    if isinstance(elements, (str, Element)):
        elements = [elements]
    symbols = [element(e).symbol for e in elements]
    repeated = sorted({s for s in symbols if symbols.count(s) > 1}, key=ELEMENTS.index)
    if repeated:
        raise InputError(f"elements lists {', '.join(repeated)} more than once: {symbols}")
    if n is not None and len(symbols) != n:
        raise InputError(
            f"elements names {len(symbols)} element(s) {symbols} but the last axis of "
            f"{what} has length {n}; put the element axis last"
        )
    return symbols


def _factors(symbols: Sequence[str]) -> np.ndarray:
    return np.array([OXIDE_FACTORS[s] for s in symbols], dtype=float)


def _change_basis(values: np.ndarray, factors: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert values (element axis last) from basis `src` to basis `dst`."""
    if src == dst:
        return values
    if dst == "oxide":
        return values * factors
    return values / factors


def _check_nonnegative(arr: np.ndarray, name: str) -> None:
    negative = arr < 0
    if negative.any():
        first = arr[negative].flat[0]
        raise InputError(
            f"{name} has {int(negative.sum())} negative value(s) (first: {first}); "
            f"values must be >= 0"
        )


def _array_grades(grades: Any, elements: Any, unit: str | None, allow_nan: bool):
    unit = grade_unit("ppm" if unit is None else unit)
    arr = as_float_array(grades, "grades")
    if arr.ndim == 0:
        raise InputError(
            "grades must have an element axis (the last axis); got a scalar. Use "
            "oxide_factor() for a single value"
        )
    symbols = _resolve_elements(elements, arr.shape[-1])
    arr = check_grades(arr, unit, name="grades", allow_nan=allow_nan)
    return arr, symbols, unit


def _no_array_args(func: str, **kwargs: Any) -> None:
    given = [k for k, v in kwargs.items() if v is not None]
    if given:
        raise InputError(
            f"{func}: {', '.join(given)}= only applies to arrays; DataFrame columns carry "
            f"their element, basis and unit in their names (e.g. 'nd_ppm')"
        )


def _convert(grades: Grades, elements: Any, unit: Any, allow_nan: bool, dst: str, func: str):
    src = "element" if dst == "oxide" else "oxide"
    if isinstance(grades, pd.DataFrame):
        _no_array_args(func, elements=elements, unit=unit)
        return _convert_frame(grades, src, dst, allow_nan)
    arr, symbols, _ = _array_grades(grades, elements, unit, allow_nan)
    return _change_basis(arr, _factors(symbols), src, dst)


def _convert_frame(df: pd.DataFrame, src: str, dst: str, allow_nan: bool) -> pd.DataFrame:
    parsed = [parse_grade_column(c) for c in df.columns]
    sources = [(i, p) for i, p in enumerate(parsed) if p is not None and p.basis == src]
    if not sources:
        raise BasisError(
            f"no {src}-basis grade column to convert; columns seen: {list(df.columns)}. "
            f"{src.capitalize()}-basis columns are named like "
            f"{'nd_ppm' if src == 'element' else 'nd2o3_ppm'}"
        )
    present = {p.name for p in parsed if p is not None}
    out = df.copy()
    out.columns = pd.RangeIndex(df.shape[1])
    names = list(df.columns)
    for i, col in sources:
        target = GradeColumn(col.element, dst, col.unit)
        if target.name in present:
            raise BasisError(
                f"column {names[i]!r} would become {target.name!r}, which already exists; "
                f"the frame holds {col.element} on both bases: drop one of the two columns"
            )
        values = check_grades(df.iloc[:, i], col.unit, f"column {names[i]!r}", allow_nan)
        factor = OXIDE_FACTORS[col.element]
        out[i] = values * factor if dst == "oxide" else values / factor
        names[i] = target.name
    out.columns = pd.Index(names, name=df.columns.name)
    return out


def _check_missing_policy(missing: str) -> str:
    if missing not in ("raise", "zero"):
        raise InputError(f"missing must be 'raise' or 'zero'; got {missing!r}")
    return missing


def _member_matrix(
    grades: Grades,
    bsk: Basket,
    elements: Any,
    basis: str | None,
    result_basis: str,
    unit: str | None,
    missing: str,
    allow_nan: bool,
) -> tuple[np.ndarray, str, list[str], Any]:
    """
    Grades of the basket members on `result_basis`, element axis last, in member order.

    Returns the matrix, its unit, the members filled with zero, and the DataFrame
    index (None for arrays). The conversion factors come from :func:`basket_weights`.
    """
    if isinstance(grades, pd.DataFrame):
        return _frame_members(grades, bsk, basis, result_basis, unit, missing, allow_nan)
    if basis is None:
        raise BasisError(
            "basis= is required with array grades: say whether they are 'element' or "
            "'oxide' basis"
        )
    basis = _check_basis(basis)
    arr, symbols, unit = _array_grades(grades, elements, unit, allow_nan)
    columns = [_reporting_analyte(sym, basis, unit) for sym in symbols]
    _check_members(bsk, symbols, missing, f"elements={symbols}")
    mat = _weighted_members(arr, columns, bsk, result_basis, unit)
    absent = [m for m in bsk.elements if m not in symbols]
    return mat, unit, absent, None


def _reporting_analyte(symbol: str, basis: str, unit: str) -> Analyte:
    """A rare earth on element basis, or as its reporting oxide."""
    if basis == "element":
        return Analyte("element", symbol, unit)
    return Analyte("oxide", RARE_EARTHS[symbol].oxide_formula, unit)


def _check_members(bsk: Basket, symbols: Sequence[str], missing: str, seen: str) -> None:
    absent = [m for m in bsk.elements if m not in symbols]
    if absent and missing == "raise":
        raise ChemistryError(
            f"basket {bsk.name} needs {', '.join(absent)}, missing from {seen}; add them "
            f"or pass missing='zero' to count them as 0"
        )
    if len(absent) == len(bsk.elements):
        raise ChemistryError(
            f"no member of basket {bsk.name} ({', '.join(bsk.elements)}) is in {seen}"
        )


def _weighted_members(values: np.ndarray, columns: Sequence[Analyte], bsk: Basket,
                      result_basis: str, unit: str) -> np.ndarray:
    """Member grades on `result_basis` in `unit`, element axis last, in member order."""
    w, _, _ = basket_weights(columns, bsk, result_basis=result_basis, unit=unit)
    mat = np.zeros(values.shape[:-1] + (len(bsk.elements),), dtype=float)
    for j, col in enumerate(columns):
        if w[j] != 0.0:
            mat[..., bsk.elements.index(col.element)] = values[..., j] * w[j]
    return mat


def _frame_members(
    df: pd.DataFrame,
    bsk: Basket,
    basis: str | None,
    result_basis: str,
    unit: str | None,
    missing: str,
    allow_nan: bool,
) -> tuple[np.ndarray, str, list[str], Any]:
    bases = BASES if basis is None else (_check_basis(basis),)
    found: dict[str, dict[str, list[Any]]] = {b: {} for b in BASES}
    gcs = grade_columns(df)
    for col, gc in gcs.items():
        if gc.element in bsk.elements:
            found[gc.basis].setdefault(gc.element, []).append(col)
    for b in bases:
        for el, cols in found[b].items():
            if len(cols) > 1:
                raise InputError(
                    f"{el} has {len(cols)} {b}-basis columns {cols}; keep one of them"
                )
    restricted = f" on {bases[0]} basis" if basis is not None else ""
    # Each member from its column on the result basis if there is one, else the other.
    order = [result_basis] + [b for b in BASES if b != result_basis]
    used: dict[Any, str] = {}
    for member in bsk.elements:
        for b in order:
            if b in bases and member in found[b]:
                used[found[b][member][0]] = member
                break
    _check_members(bsk, list(used.values()), missing,
                   f"the grade columns{restricted} (columns seen: {list(df.columns)})")
    ordered = [c for c in df.columns if c in used]
    out_unit = grade_unit(unit) if unit is not None else gcs[ordered[0]].unit
    columns = [_reporting_analyte(gcs[c].element, gcs[c].basis, gcs[c].unit) for c in ordered]
    values = np.column_stack([
        check_grades(df[c], a.unit, f"column {c!r}", allow_nan)
        for c, a in zip(ordered, columns, strict=True)
    ])
    mat = _weighted_members(values, columns, bsk, result_basis, out_unit)
    absent = [m for m in bsk.elements if m not in used.values()]
    return mat, out_unit, absent, df.index


def basket_weights(
    columns: Sequence[Analyte | str],
    basket: str | Basket | Sequence[str],
    *,
    result_basis: str = "oxide",
    unit: str = "ppm",
) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """
    The weights that turn grade columns into a basket total: ``total = grades @ w``.

    The one place where raremin adds rare earths up: :func:`basket_total`,
    :func:`raremin.tonnage.contained_basket` and the workflow's basket grades all use
    it. Every member is converted from its own unit and basis (element, reporting
    oxide or any other oxide of the element) to `result_basis` and `unit`.

    Parameters
    ----------
    columns : sequence of Analyte or str
        What each grade column holds (column names are read with
        :func:`raremin.analytes.parse_analyte`). Columns that are not members of the
        basket (other elements, basket totals, non-grades) get weight 0.
    basket : str, Basket or sequence of str
        Anything :func:`basket` accepts.
    result_basis : {"element", "oxide"}, default "oxide"
        Total of oxide grades (TREO) or of element grades (TREE).
    unit : str, default "ppm"
        Unit of the total.

    Returns
    -------
    weights : numpy.ndarray
        One weight per column, shape ``(len(columns),)``.
    present : tuple of str
        Members with a column, in basket order.
    absent : tuple of str
        Members without a column (the total then covers only `present`).

    Raises
    ------
    InputError
        Two columns hold the same member.

    Notes
    -----
    For a member column in unit ``u`` holding species ``s`` of element ``e``, the
    weight is ``k(u -> unit) x m_e/m_s x f_e`` on oxide basis (``f_e``: the reporting
    oxide factor, :data:`OXIDE_FACTORS`) and ``k(u -> unit) x m_e/m_s`` on element
    basis, where ``m_e/m_s`` is 1 for the element and ``1 / oxide factor`` for an
    oxide (:func:`raremin.periodic.oxide_factor_of`); a reporting oxide summed on
    oxide basis gets exactly ``k``.

    Examples
    --------
    >>> from raremin.chemistry import basket_weights
    >>> w, present, absent = basket_weights(["nd_ppm", "pr6o11_pct", "cu_pct"], "ndpr",
    ...                                     unit="ppm")
    >>> w.round(4).tolist(), present, absent
    ([1.1664, 10000.0, 0.0], ('Nd', 'Pr'), ())
    """
    bsk = _as_basket(basket)
    result_basis = _check_basis(result_basis, "result_basis")
    out_unit = grade_unit(unit)
    weights = np.zeros(len(columns))
    owner: dict[str, Any] = {}
    for j, col in enumerate(columns):
        analyte = col if isinstance(col, Analyte) else parse_analyte(col)
        if analyte is None or analyte.element not in bsk.elements:
            continue
        member = analyte.element
        if member in owner:
            raise InputError(
                f"columns {owner[member]!r} and {col!r} both hold {member}; keep one of them"
            )
        owner[member] = col
        scale = float(convert_grade(1.0, analyte.unit, out_unit))
        factor = OXIDE_FACTORS[member]
        if analyte.kind == "oxide" and analyte.species == RARE_EARTHS[member].oxide_formula:
            weights[j] = scale if result_basis == "oxide" else scale / factor
        elif result_basis == "oxide":
            weights[j] = scale * analyte.element_factor * factor
        else:
            weights[j] = scale * analyte.element_factor
    present = tuple(m for m in bsk.elements if m in owner)
    absent = tuple(m for m in bsk.elements if m not in owner)
    return weights, present, absent


def _warn_zero(bsk: Basket, absent: list[str]) -> str:
    return (
        f"basket {bsk.name}: no grade for {', '.join(absent)}; counted as 0 "
        f"(missing='zero'), so the total is a lower bound"
    )


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "basket"


def _total_name(bsk: Basket, result_basis: str, unit: str) -> str:
    suffix = unit_suffix(unit)
    if result_basis == "oxide":
        return f"{_slug(bsk.name)}_{suffix}"
    if bsk.name.upper() == "TREO":
        return f"tree_{suffix}"
    return f"{_slug(bsk.name)}_el_{suffix}"


# ---------------------------------------------------------------- public grade functions


def element_to_oxide(
    grades: Grades,
    elements: Sequence[str] | None = None,
    *,
    unit: str | None = None,
    allow_nan: bool = False,
) -> np.ndarray | pd.DataFrame:
    """
    Convert element-basis grades to oxide basis (same unit).

    Parameters
    ----------
    grades : array_like or pandas.DataFrame
        Element-basis grades. An array has the element axis last (any leading
        axes: samples, blocks, realisations). A DataFrame has grade columns named
        ``<symbol>_<unit>`` (``nd_ppm``); see :func:`parse_grade_column`.
    elements : sequence of str, optional
        Arrays only, required: the elements along the last axis.
    unit : str, optional
        Arrays only: the unit of the grades, used only to reject values over 100 %.
        Default ``"ppm"``. The output is in the same unit.
    allow_nan : bool, default False
        If False, a NaN grade raises; if True, NaN passes through as NaN.

    Returns
    -------
    numpy.ndarray or pandas.DataFrame
        Oxide-basis grades. An array keeps its shape. A DataFrame is a new frame
        in which every element column ``nd_ppm`` becomes ``nd2o3_ppm`` (same
        position, same unit) and every other column is kept unchanged.

    Raises
    ------
    InputError
        Negative grades, grades over 100 %, NaN (unless `allow_nan`), or
        `elements` missing or not matching the last axis.
    BasisError
        A DataFrame without any element-basis grade column, or one holding an
        element on both bases.
    ChemistryError
        An unknown element in `elements`.

    Notes
    -----
    Oxide grade = element grade x :func:`oxide_factor`.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.chemistry import element_to_oxide
    >>> element_to_oxide(np.array([1000.0, 500.0]), elements=["La", "Ce"]).round(1)
    array([1172.8,  614.2])
    >>> import pandas as pd
    >>> df = pd.DataFrame({"hole_id": ["K1"], "la_ppm": [1000.0]})
    >>> element_to_oxide(df).round(1)
      hole_id  la2o3_ppm
    0      K1     1172.8
    """
    return _convert(grades, elements, unit, allow_nan, "oxide", "element_to_oxide")


def oxide_to_element(
    grades: Grades,
    elements: Sequence[str] | None = None,
    *,
    unit: str | None = None,
    allow_nan: bool = False,
) -> np.ndarray | pd.DataFrame:
    """
    Convert oxide-basis grades to element basis (same unit).

    Parameters
    ----------
    grades : array_like or pandas.DataFrame
        Oxide-basis grades. An array has the element axis last. A DataFrame has
        grade columns named ``<oxide>_<unit>`` (``nd2o3_pct``).
    elements : sequence of str, optional
        Arrays only, required: the elements along the last axis (symbols or the
        oxide formulas, which name the same elements).
    unit : str, optional
        Arrays only: the unit of the grades, used only to reject values over 100 %.
        Default ``"ppm"``. The output is in the same unit.
    allow_nan : bool, default False
        If False, a NaN grade raises; if True, NaN passes through as NaN.

    Returns
    -------
    numpy.ndarray or pandas.DataFrame
        Element-basis grades. An array keeps its shape. A DataFrame is a new frame
        in which every oxide column ``nd2o3_pct`` becomes ``nd_pct`` (same
        position, same unit) and every other column is kept unchanged.

    Raises
    ------
    InputError
        Negative grades, grades over 100 %, NaN (unless `allow_nan`), or
        `elements` missing or not matching the last axis.
    BasisError
        A DataFrame without any oxide-basis grade column, or one holding an
        element on both bases.
    ChemistryError
        An unknown element in `elements`.

    Notes
    -----
    Element grade = oxide grade / :func:`oxide_factor`.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.chemistry import oxide_to_element
    >>> df = pd.DataFrame({"nd2o3_ppm": [1166.4], "y2o3_ppm": [127.0], "x": [1.5]})
    >>> oxide_to_element(df).round(1)
       nd_ppm  y_ppm    x
    0  1000.0  100.0  1.5
    """
    return _convert(grades, elements, unit, allow_nan, "element", "oxide_to_element")


def basket_total(
    grades: Grades,
    basket: str | Basket | Sequence[str],
    *,
    elements: Sequence[str] | None = None,
    basis: str | None = None,
    result_basis: str = "oxide",
    unit: str | None = None,
    missing: str = "raise",
    allow_nan: bool = False,
) -> np.ndarray | float | pd.Series:
    """
    Add up the grades of a basket's members (e.g. TREO) on a chosen basis.

    Parameters
    ----------
    grades : array_like or pandas.DataFrame
        Grades. An array has the element axis last. A DataFrame has grade columns
        named ``<species>_<unit>`` (``nd_ppm``, ``nd2o3_pct``); other columns are
        ignored.
    basket : str, Basket or sequence of str
        Anything :func:`basket` accepts; a name gives the default switches (use
        ``basket("treo", include_y=False)`` for others).
    elements : sequence of str, optional
        Arrays only, required: the elements along the last axis.
    basis : {"element", "oxide"}, optional
        The basis of the input. Required for arrays. For a DataFrame, restricts the
        columns used to that basis; by default the basis is chosen from the
        columns: whichever basis holds every member, `result_basis` when both do.
    result_basis : {"element", "oxide"}, default "oxide"
        The basis of the total: sum of oxide grades (TREO) or of element grades
        (TREE).
    unit : str, optional
        For arrays, the unit of the input and of the result, used only to reject
        grades over 100 % (default ``"ppm"``). For a DataFrame, the unit of the
        result; columns in other units are converted. Default: the unit of the
        first member column in column order.
    missing : {"raise", "zero"}, default "raise"
        What to do when a member has no data: raise, or count it as 0 with a
        UserWarning naming it (the total is then a lower bound).
    allow_nan : bool, default False
        If False, a NaN grade raises; if True, a NaN member grade gives a NaN total.

    Returns
    -------
    numpy.ndarray, float or pandas.Series
        The total on `result_basis`. For an array, shape ``grades.shape[:-1]``
        (a float for a 1-D array). For a DataFrame, a Series with the frame's index,
        named ``<basket>_<suffix>`` on oxide basis (``treo_pct``, ``ndpr_ppm``) and
        on element basis ``tree_<suffix>`` for TREO or ``<basket>_el_<suffix>`` for
        the others (``ndpr_el_ppm``, ``lreo_el_ppm``).

    Raises
    ------
    ChemistryError
        A member has no data and ``missing="raise"`` (the message names the missing
        members and the columns seen), no member has data at all, or the basket is
        unknown.
    BasisError
        The members are only available split across the two bases (convert first
        with :func:`element_to_oxide` or :func:`oxide_to_element`), or a basis is
        unknown or not given for an array.
    InputError
        Invalid grades (negative, over 100 %, NaN), two columns for one member on
        one basis, or a bad `elements`.

    Notes
    -----
    TREO = sum over members of (element grade x :func:`oxide_factor`), or the plain
    sum of oxide grades. State the basket with :meth:`Basket.describe` next to the
    figure: the membership of TREO, LREO and HREO varies between sources.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.chemistry import basket_total
    >>> df = pd.DataFrame({"hole_id": ["K1", "K2"], "nd_ppm": [300.0, 120.0],
    ...                    "pr_ppm": [80.0, 30.0]})
    >>> basket_total(df, "ndpr").round(1)
    0    446.6
    1    176.2
    Name: ndpr_ppm, dtype: float64
    >>> basket_total(df, "ndpr", result_basis="element", unit="pct").round(3)
    0    0.038
    1    0.015
    Name: ndpr_el_pct, dtype: float64
    """
    bsk = _as_basket(basket)
    result_basis = _check_basis(result_basis, "result_basis")
    _check_missing_policy(missing)
    mat, out_unit, absent, index = _member_matrix(
        grades, bsk, elements, basis, result_basis, unit, missing, allow_nan
    )
    if absent:
        warnings.warn(_warn_zero(bsk, absent), UserWarning, stacklevel=2)
    total = mat.sum(axis=-1)
    if index is not None:
        return pd.Series(total, index=index, name=_total_name(bsk, result_basis, out_unit))
    return float(total) if total.ndim == 0 else total


def basket_shares(
    grades: Grades,
    basket: str | Basket | Sequence[str],
    *,
    elements: Sequence[str] | None = None,
    basis: str | None = None,
    result_basis: str = "oxide",
    missing: str = "raise",
    allow_nan: bool = False,
) -> np.ndarray | pd.DataFrame:
    """
    Split a basket total among its members: the rare-earth distribution.

    Parameters
    ----------
    grades : array_like or pandas.DataFrame
        Grades, as for :func:`basket_total`.
    basket : str, Basket or sequence of str
        Anything :func:`basket` accepts.
    elements : sequence of str, optional
        Arrays only, required: the elements along the last axis.
    basis : {"element", "oxide"}, optional
        The basis of the input; required for arrays (see :func:`basket_total`).
    result_basis : {"element", "oxide"}, default "oxide"
        Whether the shares are fractions of the oxide total (Nd2O3 / TREO) or of
        the element total (Nd / TREE).
    missing : {"raise", "zero"}, default "raise"
        As in :func:`basket_total`; a member counted as 0 gets share 0.
    allow_nan : bool, default False
        If True, NaN grades give NaN shares instead of raising.

    Returns
    -------
    numpy.ndarray or pandas.DataFrame
        Fractions (0-1) on `result_basis` that sum to 1 along the member axis. For an
        array, shape ``grades.shape[:-1] + (len(members),)``, members in basket
        order (``basket(...).elements``). For a DataFrame, columns
        ``<species>_share`` (``nd2o3_share`` on oxide basis, ``nd_share`` on element
        basis) with the frame's index. Where the total is 0 the shares are NaN
        (undefined), without a warning.

    Raises
    ------
    ChemistryError, BasisError, InputError
        As for :func:`basket_total`.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.chemistry import basket_shares
    >>> g = np.array([[300.0, 100.0], [0.0, 0.0]])  # Nd, Pr ppm
    >>> basket_shares(g, "ndpr", elements=["Nd", "Pr"], basis="element",
    ...               result_basis="element")
    array([[0.75, 0.25],
           [ nan,  nan]])
    """
    bsk = _as_basket(basket)
    result_basis = _check_basis(result_basis, "result_basis")
    _check_missing_policy(missing)
    mat, _, absent, index = _member_matrix(
        grades, bsk, elements, basis, result_basis, None, missing, allow_nan
    )
    if absent:
        warnings.warn(_warn_zero(bsk, absent), UserWarning, stacklevel=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = mat / mat.sum(axis=-1, keepdims=True)
    if index is None:
        return shares
    columns = [f"{GradeColumn(m, result_basis, 'ppm').species}_share" for m in bsk.elements]
    return pd.DataFrame(shares, index=index, columns=columns)


def _as_basket(value: Any) -> Basket:
    # basket_total/basket_shares take a parameter named `basket`, which hides the function
    return basket(value)


# ----------------------------------------------------------------- total conversions


def _shares_and_factors(shares: Any, elements: Any) -> tuple[np.ndarray, np.ndarray]:
    """Normalised shares (element axis last) and the matching oxide factors."""
    if isinstance(shares, pd.Series):
        shares = shares.to_dict()
    if isinstance(shares, Mapping):
        if elements is not None:
            raise InputError("give elements= only with array shares; a dict names its elements")
        if not shares:
            raise InputError("shares is empty; give at least one element")
        symbols = _resolve_elements(list(shares.keys()), None, "shares")
        try:
            arr = np.stack([as_float_array(v, "shares") for v in shares.values()], axis=-1)
        except ValueError as err:
            raise InputError(f"the share arrays of the dict differ in shape ({err})") from None
        arr = check_finite(arr, "shares")
    else:
        arr = check_finite(shares, "shares")
        if arr.ndim == 0:
            raise InputError("shares needs an element axis (the last axis); got a scalar")
        symbols = _resolve_elements(elements, arr.shape[-1], "shares")
    _check_nonnegative(arr, "shares")
    total = arr.sum(axis=-1, keepdims=True)
    if (total <= 0).any():
        raise InputError(
            "shares sum to zero for at least one distribution; each needs a positive share"
        )
    return arr / total, _factors(symbols)


def _total_factor(shares: Any, elements: Any, share_basis: str) -> np.ndarray:
    """The factor F with TREO = TREE x F for the given distribution."""
    share_basis = _check_basis(share_basis, "share_basis")
    s, f = _shares_and_factors(shares, elements)
    if share_basis == "element":
        return (s * f).sum(axis=-1)
    return 1.0 / (s / f).sum(axis=-1)


def _apply_total(values: Any, factor: np.ndarray, multiply: bool, name: str, rename: tuple):
    series = values if isinstance(values, pd.Series) else None
    arr = check_finite(values, name)
    _check_nonnegative(arr, name)
    try:
        np.broadcast_shapes(arr.shape, factor.shape)
    except ValueError:
        raise InputError(
            f"{name} of shape {arr.shape} does not broadcast with the shares' leading "
            f"axes {factor.shape}"
        ) from None
    out = arr * factor if multiply else arr / factor
    if series is not None and out.shape == arr.shape:
        label = series.name
        old, new = rename
        if isinstance(label, str) and label.lower().startswith(old):
            label = new + label[len(old) :]
        else:
            label = None
        return pd.Series(out, index=series.index, name=label)
    return float(out) if out.ndim == 0 else out


def tree_to_treo(
    tree: ArrayLike | pd.Series,
    shares: ArrayLike | Mapping[str, Any],
    elements: Sequence[str] | None = None,
    share_basis: str = "element",
) -> np.ndarray | float | pd.Series:
    """
    Convert a total from element basis (TREE) to oxide basis (TREO).

    Parameters
    ----------
    tree : float, array_like or pandas.Series
        Total on element basis: a grade in any unit, or a contained mass (e.g.
        tonnes of rare-earth metals). Finite and >= 0.
    shares : array_like or dict
        The distribution of the total among the elements: a dict symbol -> share,
        or an array with the element axis last (its leading axes broadcast against
        `tree`). Normalised to sum 1; finite and >= 0.
    elements : sequence of str, optional
        Array `shares` only, required: the elements along its last axis.
    share_basis : {"element", "oxide"}, default "element"
        Whether the shares are fractions of the element total (s_i = Nd / TREE) or
        of the oxide total (o_i = Nd2O3 / TREO).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        The total on oxide basis, same unit as `tree`. A Series keeps its index; a
        name ``tree_<suffix>`` becomes ``treo_<suffix>``.

    Raises
    ------
    InputError
        Negative, NaN or all-zero shares; negative or NaN totals; shapes that do
        not broadcast.
    BasisError
        An unknown `share_basis`.

    Notes
    -----
    With element-basis shares, TREO = TREE x sum_i s_i f_i; with oxide-basis shares,
    TREO = TREE / sum_i (o_i / f_i), where f_i is :func:`oxide_factor`. The two
    agree when o_i = s_i f_i / sum_j s_j f_j, and :func:`treo_to_tree` is the exact
    inverse. Whether reported tonnages are element or oxide basis is often unstated
    (oxide totals are 14-27 % higher for typical distributions); this makes that
    difference explicit.

    Examples
    --------
    >>> from raremin.chemistry import tree_to_treo
    >>> round(tree_to_treo(1000.0, {"Ce": 0.5, "La": 0.3, "Nd": 0.2}), 1)
    1199.3
    """
    factor = _total_factor(shares, elements, share_basis)
    return _apply_total(tree, factor, True, "tree", ("tree_", "treo_"))


def treo_to_tree(
    treo: ArrayLike | pd.Series,
    shares: ArrayLike | Mapping[str, Any],
    elements: Sequence[str] | None = None,
    share_basis: str = "oxide",
) -> np.ndarray | float | pd.Series:
    """
    Convert a total from oxide basis (TREO) to element basis (TREE).

    Parameters
    ----------
    treo : float, array_like or pandas.Series
        Total on oxide basis: a grade in any unit or a contained mass. Finite and
        >= 0.
    shares : array_like or dict
        The distribution among the elements: a dict symbol -> share, or an array
        with the element axis last. Normalised to sum 1; finite and >= 0.
    elements : sequence of str, optional
        Array `shares` only, required: the elements along its last axis.
    share_basis : {"oxide", "element"}, default "oxide"
        Whether the shares are fractions of the oxide total (o_i = Nd2O3 / TREO) or
        of the element total (s_i = Nd / TREE).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        The total on element basis, same unit as `treo`. A Series keeps its index;
        a name ``treo_<suffix>`` becomes ``tree_<suffix>``.

    Raises
    ------
    InputError
        Negative, NaN or all-zero shares; negative or NaN totals; shapes that do
        not broadcast.
    BasisError
        An unknown `share_basis`.

    Notes
    -----
    With oxide-basis shares, TREE = TREO x sum_i (o_i / f_i); with element-basis
    shares, TREE = TREO / sum_i s_i f_i. Inverse of :func:`tree_to_treo`.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.chemistry import treo_to_tree
    >>> treo = np.array([0.1, 0.25])  # %, oxide basis
    >>> treo_to_tree(treo, [0.6, 0.4], elements=["CeO2", "La2O3"]).round(4)
    array([0.083 , 0.2074])
    """
    factor = _total_factor(shares, elements, share_basis)
    return _apply_total(treo, factor, False, "treo", ("treo_", "tree_"))
