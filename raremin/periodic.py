"""
Standard atomic weights of the elements and element-to-oxide factors of any oxide formula.

Assays report metals as the element (``cu_pct``) or as an oxide (``li2o_pct``,
``u3o8_ppm``, ``nb2o5_pct``). The factor that turns one into the other is a ratio of
formula masses, computed here from the standard atomic weights, never typed in:

* :data:`ATOMIC_WEIGHTS` and :func:`atomic_weight`: the elements with a standard atomic
  weight (CIAAW 2021; conventional values where the standard weight is an interval).
* :func:`parse_oxide` and :func:`oxide_factor_of`: read a formula such as ``"Nb2O5"``
  (case-insensitive: ``"nb2o5"``) and give its element-to-oxide mass factor.

The rare earths' reporting oxides (La2O3, CeO2, Pr6O11...) and baskets are in
:mod:`raremin.chemistry`, which takes its atomic weights from this table.

Examples
--------
>>> from raremin.periodic import atomic_weight, oxide_factor_of, parse_oxide
>>> atomic_weight("Cu")
63.546
>>> parse_oxide("li2o")
('Li', 2, 1)
>>> round(oxide_factor_of("Li2O"), 4)  # 1 % Li is 2.153 % Li2O
2.1527
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from .errors import ChemistryError

__all__ = ["ATOMIC_WEIGHTS", "OXYGEN_ATOMIC_WEIGHT", "atomic_weight", "element_symbol",
           "mass_factor", "oxide_factor_of", "oxide_formula_of", "parse_oxide"]

#: Atomic weight of oxygen used in every oxide factor (CIAAW conventional value).
OXYGEN_ATOMIC_WEIGHT: float = 15.999

# Standard atomic weights, CIAAW 2021 (Prohaska et al., 2022); for elements whose
# standard atomic weight is an interval (H, Li, B, C, N, O, Mg, Si, S, Cl, Ar, Br, Tl),
# the conventional value. Elements without a stable isotope and without a standard
# atomic weight (Tc, Pm, Po...Ac, transuranics) are left out: they are not assayed as
# grades. Pa, Th and U have standard atomic weights and are included.
_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("H", 1.008), ("He", 4.002602), ("Li", 6.94), ("Be", 9.0121831), ("B", 10.81),
    ("C", 12.011), ("N", 14.007), ("O", 15.999), ("F", 18.998403162), ("Ne", 20.1797),
    ("Na", 22.98976928), ("Mg", 24.305), ("Al", 26.9815384), ("Si", 28.085),
    ("P", 30.973761998), ("S", 32.06), ("Cl", 35.45), ("Ar", 39.95), ("K", 39.0983),
    ("Ca", 40.078), ("Sc", 44.955907), ("Ti", 47.867), ("V", 50.9415), ("Cr", 51.9961),
    ("Mn", 54.938043), ("Fe", 55.845), ("Co", 58.933194), ("Ni", 58.6934), ("Cu", 63.546),
    ("Zn", 65.38), ("Ga", 69.723), ("Ge", 72.630), ("As", 74.921595), ("Se", 78.971),
    ("Br", 79.904), ("Kr", 83.798), ("Rb", 85.4678), ("Sr", 87.62), ("Y", 88.905838),
    ("Zr", 91.222), ("Nb", 92.90637), ("Mo", 95.95), ("Ru", 101.07), ("Rh", 102.90549),
    ("Pd", 106.42), ("Ag", 107.8682), ("Cd", 112.414), ("In", 114.818), ("Sn", 118.710),
    ("Sb", 121.760), ("Te", 127.60), ("I", 126.90447), ("Xe", 131.293),
    ("Cs", 132.90545196), ("Ba", 137.327), ("La", 138.90547), ("Ce", 140.116),
    ("Pr", 140.90766), ("Nd", 144.242), ("Sm", 150.36), ("Eu", 151.964), ("Gd", 157.25),
    ("Tb", 158.925354), ("Dy", 162.500), ("Ho", 164.930329), ("Er", 167.259),
    ("Tm", 168.934219), ("Yb", 173.045), ("Lu", 174.9668), ("Hf", 178.486),
    ("Ta", 180.94788), ("W", 183.84), ("Re", 186.207), ("Os", 190.23), ("Ir", 192.217),
    ("Pt", 195.084), ("Au", 196.966570), ("Hg", 200.592), ("Tl", 204.38), ("Pb", 207.2),
    ("Bi", 208.98040), ("Th", 232.0377), ("Pa", 231.03588), ("U", 238.02891),
)

#: Read-only mapping element symbol -> standard atomic weight (g/mol), CIAAW 2021.
ATOMIC_WEIGHTS: Mapping[str, float] = MappingProxyType(dict(_WEIGHTS))

_BY_LOWER = {symbol.lower(): symbol for symbol in ATOMIC_WEIGHTS}
# A formula X_c O_o written in any case: one or two letters, a count, "o", a count.
_OXIDE_RE = re.compile(r"^([a-z]{1,2}?)(\d*)o(\d*)$")


def atomic_weight(symbol: str) -> float:
    """
    The standard atomic weight of an element.

    Parameters
    ----------
    symbol : str
        Element symbol, any case (``"Cu"``, ``"cu"``).

    Returns
    -------
    float
        Units: g/mol. CIAAW 2021 standard (or conventional) atomic weight.

    Raises
    ------
    ChemistryError
        The symbol is not an element with a standard atomic weight.

    Examples
    --------
    >>> from raremin.periodic import atomic_weight
    >>> atomic_weight("nb")
    92.90637
    """
    key = symbol.strip().lower() if isinstance(symbol, str) else None
    if key not in _BY_LOWER:
        raise ChemistryError(
            f"unknown element {symbol!r}; give a chemical symbol such as 'Cu', 'Li' or 'Nd'"
        )
    return ATOMIC_WEIGHTS[_BY_LOWER[key]]


def element_symbol(text: str) -> str | None:
    """
    The element symbol written as `text` in any case, or None when it is not one.

    Examples
    --------
    >>> from raremin.periodic import element_symbol
    >>> element_symbol("CU"), element_symbol("nd"), element_symbol("xx")
    ('Cu', 'Nd', None)
    """
    return _BY_LOWER.get(text.strip().lower()) if isinstance(text, str) else None


def parse_oxide(formula: str) -> tuple[str, int, int] | None:
    """
    Read an oxide formula of one element: ``X_c O_o``.

    Parameters
    ----------
    formula : str
        A formula such as ``"Nb2O5"``, ``"U3O8"``, ``"CaO"`` in any case. A name that
        is itself an element symbol (``"Co"``, cobalt) is not an oxide.

    Returns
    -------
    tuple of (str, int, int) or None
        The element symbol, the number of its atoms and the number of oxygen atoms, or
        None when `formula` is not such an oxide.

    Examples
    --------
    >>> from raremin.periodic import parse_oxide
    >>> parse_oxide("U3O8"), parse_oxide("sio2"), parse_oxide("co")
    (('U', 3, 8), ('Si', 1, 2), None)
    """
    if not isinstance(formula, str):
        return None
    text = formula.strip().lower()
    if text in _BY_LOWER:
        return None
    match = _OXIDE_RE.match(text)
    if match is None:
        return None
    letters, cations, oxygens = match.groups()
    symbol = _BY_LOWER.get(letters)
    if symbol is None or symbol == "O":
        return None
    c = int(cations) if cations else 1
    o = int(oxygens) if oxygens else 1
    if c < 1 or o < 1:
        return None
    return symbol, c, o


def oxide_formula_of(symbol: str, cations: int, oxygens: int) -> str:
    """
    Write the formula of an oxide, e.g. ``Nb2O5``; a count of 1 is left out.

    Examples
    --------
    >>> from raremin.periodic import oxide_formula_of
    >>> oxide_formula_of("Ca", 1, 1), oxide_formula_of("Pr", 6, 11)
    ('CaO', 'Pr6O11')
    """
    c = str(cations) if cations != 1 else ""
    o = str(oxygens) if oxygens != 1 else ""
    return f"{symbol}{c}O{o}"


def oxide_factor_of(formula: str) -> float:
    """
    Element-to-oxide mass factor of an oxide formula.

    Multiply an element grade by this factor to get the grade of the oxide (same
    unit); divide to go back.

    Parameters
    ----------
    formula : str
        An oxide of one element, any case (``"Li2O"``, ``"nb2o5"``).

    Returns
    -------
    float
        ``(c A(X) + o A(O)) / (c A(X))``.

    Raises
    ------
    ChemistryError
        Not an oxide formula of a known element.

    Notes
    -----
    Standard atomic weights from the CIAAW 2021 table (Prohaska et al., 2022), with
    A(O) = 15.999. The results agree with published conversion tables to 1e-4, e.g.
    Li2O 2.1527, U3O8 1.1792, Nb2O5 1.4305, P2O5 2.2914, Cu2O 1.1259.

    References
    ----------
    Prohaska, T., et al. (2022). Standard atomic weights of the elements 2021 (IUPAC
    Technical Report). *Pure and Applied Chemistry*, 94(5), 573-600.

    Examples
    --------
    >>> from raremin.periodic import oxide_factor_of
    >>> round(oxide_factor_of("U3O8"), 4), round(oxide_factor_of("nb2o5"), 4)
    (1.1792, 1.4305)
    """
    parsed = parse_oxide(formula)
    if parsed is None:
        raise ChemistryError(
            f"{formula!r} is not an oxide formula of one element; write it like 'Li2O', "
            f"'Nb2O5' or 'U3O8'"
        )
    symbol, c, o = parsed
    return mass_factor(ATOMIC_WEIGHTS[symbol], c, o)


def mass_factor(atomic_weight: float, cations: int, oxygens: int) -> float:
    """
    Oxide mass per unit mass of the element in it: ``(c A + o A(O)) / (c A)``.

    Examples
    --------
    >>> from raremin.periodic import mass_factor
    >>> round(mass_factor(144.242, 2, 3), 4)  # Nd2O3
    1.1664
    """
    metal = cations * atomic_weight
    return (metal + oxygens * OXYGEN_ATOMIC_WEIGHT) / metal
