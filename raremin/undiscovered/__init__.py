"""
Undiscovered deposits of a tract: the USGS three-part assessment.

The method (Singer and Menzie 2010; the reference implementation is the R package
MapMark4, Ellefsen 2017, USGS Techniques and Methods 7-C14) has three parts: the grade
and tonnage of known deposits of a type, the number of undiscovered deposits of that
type in a permissive tract (elicited from experts), and a Monte Carlo simulation that
combines them into totals of ore and contained quantities.

Modules
-------
:mod:`raremin.undiscovered.count`
    :func:`count_pmf` (negative binomial fitted as MapMark4 does, MARK3, Poisson or a
    given pmf) and :class:`CountPmf`; :func:`read_elicitation`.
:mod:`raremin.undiscovered.tonnage`
    :class:`TonnageModel`: a normal or kernel density on log ore tonnage.
:mod:`raremin.undiscovered.grades`
    :class:`GradeModel`: grades as a composition (with gangue), modelled in isometric
    log-ratio space, any number of components; :func:`ilr`, :func:`ilr_inverse`.
:mod:`raremin.undiscovered.totals`
    :func:`simulate_totals` and :class:`Totals` (summary with P-values, analytic moments,
    correlations).
:mod:`raremin.undiscovered.ree`
    The USGS OFR 02-189 rare-earth deposit list read into ore tonnes and REO %
    (:func:`read_ofr02189`), a rare-earth grade-tonnage model
    (:func:`ree_grade_tonnage_model`) and contained baskets (:func:`contained_baskets`).
:mod:`raremin.undiscovered.project`
    The assessment file of ``raremin undiscovered --config`` (:func:`load_assessment`).

Examples
--------
>>> from raremin import undiscovered
>>> count = undiscovered.count_pmf([0.2, 0.5, 0.3], method="custom")
>>> tonnage = undiscovered.TonnageModel().fit([2e6, 5e6, 1e7, 3e7])
>>> totals = undiscovered.simulate_totals(count, tonnage, None, 1000, seed=0)
>>> list(totals.totals.columns)
['n_deposits', 'ore_t']
"""

from .count import CountPmf, count_pmf, read_elicitation
from .grades import GradeModel, ilr, ilr_inverse
from .project import RegionalAssessment, RegionalResult, assessment_template, load_assessment
from .ree import contained_baskets, read_ofr02189, ree_grade_tonnage_model
from .tonnage import TonnageModel
from .totals import Totals, simulate_totals

__all__ = [
    "CountPmf",
    "GradeModel",
    "RegionalAssessment",
    "RegionalResult",
    "TonnageModel",
    "Totals",
    "assessment_template",
    "contained_baskets",
    "count_pmf",
    "ilr",
    "ilr_inverse",
    "load_assessment",
    "read_elicitation",
    "read_ofr02189",
    "ree_grade_tonnage_model",
    "simulate_totals",
]
