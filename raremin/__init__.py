"""
raremin: assessment of critical-mineral deposits, rare earths first.

The public API, by module:

Units (:mod:`raremin.units`)
    :func:`grade_unit`, :func:`convert_grade`, :func:`convert_tonnage`,
    :func:`grade_factor`, :func:`unit_suffix`, :data:`GRADE_UNITS`, :data:`TONNAGE_UNITS`.
Rare-earth chemistry (:mod:`raremin.chemistry`)
    :data:`ELEMENTS`, :data:`RARE_EARTHS`, :data:`OXIDE_FACTORS`, :func:`element`,
    :func:`oxide_factor`, :func:`oxide_formula`, :class:`Basket`, :func:`basket`,
    :func:`element_to_oxide`, :func:`oxide_to_element`, :func:`basket_total`,
    :func:`basket_shares`, :func:`tree_to_treo`, :func:`treo_to_tree`,
    :func:`parse_grade_column`, :func:`grade_columns`.
Grade distributions (:mod:`raremin.distributions`)
    :class:`Lognormal`, :class:`Normal`, :class:`Gamma`, :class:`Truncated`,
    :class:`Empirical`, :class:`Mixture`, :func:`fit_distribution`, :func:`compare_fits`.
Grade-tonnage (:mod:`raremin.tonnage`)
    :func:`analytic_grade_tonnage`, :class:`GradeTonnage`, :func:`check_cutoffs`.
Errors (:mod:`raremin.errors`)
    :class:`RareminError` and its subclasses.

Examples
--------
>>> import raremin
>>> treo = raremin.Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
>>> gt = raremin.analytic_grade_tonnage(treo, 100e6, [0.1, 0.2])
>>> (gt.tonnage_t / 1e6).round(1)
array([67.5, 21.3])
"""

from . import chemistry, distributions, errors, tonnage, units
from ._version import __version__
from .chemistry import (
    ELEMENTS,
    OXIDE_FACTORS,
    RARE_EARTHS,
    Basket,
    Element,
    basket,
    basket_shares,
    basket_total,
    element,
    element_to_oxide,
    grade_columns,
    oxide_factor,
    oxide_formula,
    oxide_to_element,
    parse_grade_column,
    tree_to_treo,
    treo_to_tree,
)
from .distributions import (
    Empirical,
    FitResult,
    Gamma,
    GradeDistribution,
    Lognormal,
    Mixture,
    Normal,
    Truncated,
    compare_fits,
    fit_distribution,
)
from .errors import (
    BasisError,
    ChemistryError,
    ConvergenceError,
    CRSError,
    GeometryError,
    InputError,
    RareminError,
    UnitError,
)
from .tonnage import GradeTonnage, analytic_grade_tonnage, check_cutoffs
from .units import (
    GRADE_UNITS,
    TONNAGE_UNITS,
    convert_grade,
    convert_tonnage,
    grade_factor,
    grade_unit,
    unit_suffix,
)

__all__ = [
    "ELEMENTS",
    "GRADE_UNITS",
    "OXIDE_FACTORS",
    "RARE_EARTHS",
    "TONNAGE_UNITS",
    "BasisError",
    "Basket",
    "CRSError",
    "ChemistryError",
    "ConvergenceError",
    "Element",
    "Empirical",
    "FitResult",
    "Gamma",
    "GeometryError",
    "GradeDistribution",
    "GradeTonnage",
    "InputError",
    "Lognormal",
    "Mixture",
    "Normal",
    "RareminError",
    "Truncated",
    "UnitError",
    "__version__",
    "analytic_grade_tonnage",
    "basket",
    "basket_shares",
    "basket_total",
    "check_cutoffs",
    "chemistry",
    "compare_fits",
    "convert_grade",
    "convert_tonnage",
    "distributions",
    "element",
    "element_to_oxide",
    "errors",
    "fit_distribution",
    "grade_columns",
    "grade_factor",
    "grade_unit",
    "oxide_factor",
    "oxide_formula",
    "oxide_to_element",
    "parse_grade_column",
    "tonnage",
    "tree_to_treo",
    "treo_to_tree",
    "unit_suffix",
    "units",
]
