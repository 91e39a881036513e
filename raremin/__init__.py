"""
raremin: assessment of critical-mineral deposits, rare earths first.

The public API, by module:

Units (:mod:`raremin.units`)
    :func:`grade_unit`, :func:`convert_grade`, :func:`convert_tonnage`,
    :func:`grade_factor`, :func:`unit_suffix`, :data:`GRADE_UNITS`, :data:`TONNAGE_UNITS`.
Grade columns of any commodity (:mod:`raremin.analytes`, :mod:`raremin.periodic`)
    :func:`parse_analyte`, :func:`find_analytes`, :class:`Analyte`,
    :data:`ATOMIC_WEIGHTS`, :func:`oxide_factor_of`.
Users' files (:mod:`raremin.readers`, :mod:`raremin.assays`, :mod:`raremin.preparation`)
    :func:`read_table`, :func:`read_drillholes`, :func:`prepare_drillholes`,
    :func:`clean_assays`, :func:`prepare_samples`, :func:`prepare_drillholes_samples`,
    :class:`Preparation`.
Rare-earth chemistry (:mod:`raremin.chemistry`)
    :data:`ELEMENTS`, :data:`RARE_EARTHS`, :data:`OXIDE_FACTORS`, :func:`element`,
    :func:`oxide_factor`, :func:`oxide_formula`, :class:`Basket`, :func:`basket`,
    :func:`element_to_oxide`, :func:`oxide_to_element`, :func:`basket_total`,
    :func:`basket_shares`, :func:`basket_weights`, :func:`tree_to_treo`,
    :func:`treo_to_tree`, :func:`parse_grade_column`, :func:`grade_columns`.
Grade distributions (:mod:`raremin.distributions`)
    :class:`Lognormal`, :class:`Normal`, :class:`Gamma`, :class:`Truncated`,
    :class:`Empirical`, :class:`Mixture`, :func:`fit_distribution`, :func:`compare_fits`.
Grade-tonnage (:mod:`raremin.tonnage`)
    :func:`grade_tonnage`, :func:`analytic_grade_tonnage`, :class:`GradeTonnage`,
    :func:`contained`, :func:`contained_basket`, :func:`check_cutoffs`.
Deposits and zones (:mod:`raremin.deposit`, :mod:`raremin.domains`)
    :class:`Deposit`, :class:`Zone` (prisms, closed solids, layers between surfaces),
    :func:`zone_labels`, :class:`Solid`, :class:`Surface`, :class:`Layer`, :class:`Prism`,
    :func:`block_proportions`.
Block grids and models (:mod:`raremin.grid`)
    :class:`BlockGrid`, :class:`BlockModel`, :func:`zone_proportions`.
Drillholes (:mod:`raremin.drillholes`)
    :class:`Drillholes`, :class:`ValidationReport`, :func:`desurvey`, :func:`composite`,
    :func:`topcut_analysis`, :func:`cap`.
Geostatistics (:mod:`raremin.geostats`) and estimation (:mod:`raremin.estimation`)
    :func:`cell_declustering`, :func:`polygonal_declustering`,
    :func:`experimental_variogram`, :func:`fit_variogram`, :class:`VariogramModel`,
    :class:`Structure`, :class:`InverseDistance`, :class:`NearestSample`,
    :class:`Neighbourhood`, :class:`NeighbourSearch`, :func:`anisotropy_matrix`,
    :class:`Kriging`, :func:`cross_validate`, :func:`estimate`, :func:`assign_zones`.
Uncertainty (:mod:`raremin.uncertainty`, :mod:`raremin.realisations`)
    P-labels (P90 = the 0.10 quantile), summaries of realisations, Monte Carlo over
    inputs; :func:`~raremin.realisations.simulate` into block models.
Classes, statements, prices (:mod:`raremin.classification`, :mod:`raremin.reporting`)
    :func:`~raremin.classification.classify`,
    :func:`~raremin.reporting.resource_statement`; prices and values in
    :mod:`raremin.economics`.
Undiscovered deposits (:mod:`raremin.undiscovered`)
    The USGS three-part assessment: count pmf, tonnage and grade models, totals.
Files (:mod:`raremin.io`, :mod:`raremin.grid`)
    :func:`read_geoeas`, :func:`write_geoeas`, :class:`GeoEASGrid`,
    :func:`read_block_model`.
The whole chain (:mod:`raremin.workflow`, :mod:`raremin.config`, :mod:`raremin.cli`)
    :func:`assess`, :class:`Assessment`, :func:`basket_arrays`, :func:`load_project`,
    :func:`summary_table`, :func:`markdown_report`; the ``raremin`` command.
Charts (:mod:`raremin.plotting`)
    :func:`plot_grade_tonnage`, :func:`plot_histogram`, :func:`plot_zones`, :func:`plot_blocks`,
    :func:`plot_variogram`, :func:`plot_classes`, :func:`plot_grade_tonnage_envelope`.
Bundled data (:mod:`raremin.datasets`)
    :func:`load_kuirektykol` (SYNTHETIC data calibrated to public figures).
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

import importlib
from typing import Any

from ._version import __version__

# The public names, by the module that defines them. ``import raremin`` loads none of these
# modules: each loads on first use of one of its names (PEP 562), so that the command line,
# worker processes and scripts that need one function do not pay for SciPy's statistics,
# Matplotlib or the compiled kernels. ``from raremin import X`` and ``raremin.X`` behave as if
# everything had been imported eagerly.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "analytes": (
        "Analyte",
        "find_analytes",
        "parse_analyte",
    ),
    "assays": (
        "AssayReport",
        "clean_assays",
    ),
    "chemistry": (
        "ELEMENTS",
        "OXIDE_FACTORS",
        "RARE_EARTHS",
        "Basket",
        "Element",
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
    ),
    "config": (
        "Project",
        "load_project",
    ),
    "datasets": ("load_kuirektykol",),
    "deposit": (
        "Deposit",
        "Zone",
        "local_crs",
        "zone_labels",
    ),
    "distributions": (
        "Empirical",
        "FitResult",
        "Gamma",
        "GradeDistribution",
        "Lognormal",
        "Mixture",
        "Normal",
        "Truncated",
        "compare_fits",
        "fit_distribution",
    ),
    "domains": (
        "Layer",
        "Prism",
        "Solid",
        "Surface",
        "block_proportions",
    ),
    "drillholes": (
        "Drillholes",
        "ValidationReport",
        "cap",
        "composite",
        "desurvey",
        "topcut_analysis",
    ),
    "errors": (
        "BasisError",
        "ChemistryError",
        "ConvergenceError",
        "CRSError",
        "GeometryError",
        "InputError",
        "ProjectError",
        "RareminError",
        "UnitError",
    ),
    "estimation": (
        "assign_zones",
        "estimate",
    ),
    "export": (
        "drillholes_to_vtk",
        "to_omf",
        "to_pyvista",
        "to_vtk",
        "zones_to_vtk",
    ),
    "geostats": (
        "Estimator",
        "HermiteAnamorphosis",
        "InverseDistance",
        "Kriging",
        "NearestSample",
        "Neighbourhood",
        "NeighbourSearch",
        "NormalScores",
        "SequentialGaussian",
        "Structure",
        "VariogramModel",
        "anisotropy_matrix",
        "average_variogram",
        "cell_declustering",
        "change_of_support",
        "cross_validate",
        "experimental_variogram",
        "fit_variogram",
        "plot_variogram",
        "polygonal_declustering",
    ),
    "grid": (
        "BlockGrid",
        "BlockModel",
        "read_block_model",
        "zone_proportions",
    ),
    "io": (
        "GeoEASGrid",
        "read_geoeas",
        "write_geoeas",
    ),
    "periodic": (
        "ATOMIC_WEIGHTS",
        "oxide_factor_of",
    ),
    "plotting": (
        "plot_blocks",
        "plot_classes",
        "plot_count_pmf",
        "plot_grade_model",
        "plot_grade_tonnage",
        "plot_grade_tonnage_envelope",
        "plot_histogram",
        "plot_tonnage_model",
        "plot_totals",
        "plot_zones",
    ),
    "preparation": (
        "Preparation",
        "prepare_drillholes_samples",
        "prepare_samples",
    ),
    "realisations": (
        "simulate",
    ),
    "readers": (
        "ImportReport",
        "prepare_drillholes",
        "read_drillholes",
        "read_table",
    ),
    "reporting": (
        "markdown_report",
        "summary_table",
    ),
    "tonnage": (
        "GradeTonnage",
        "analytic_grade_tonnage",
        "check_cutoffs",
        "contained",
        "contained_basket",
        "grade_tonnage",
    ),
    "uncertainty": (
        "P_LEVELS",
        "exceedance_quantile",
        "monte_carlo",
        "monte_carlo_grade_tonnage",
        "p_values",
        "realisation_grade_tonnage",
        "summarise",
        "summarise_grade_tonnage",
    ),
    "units": (
        "GRADE_UNITS",
        "TONNAGE_UNITS",
        "convert_grade",
        "convert_tonnage",
        "grade_factor",
        "grade_unit",
        "unit_suffix",
    ),
    "workflow": (
        "Assessment",
        "assess",
        "basket_arrays",
    ),
}
_SUBMODULES = (
    "analytes",
    "assays",
    "chemistry",
    "classification",
    "config",
    "datasets",
    "deposit",
    "distributions",
    "domains",
    "drillholes",
    "economics",
    "errors",
    "estimation",
    "export",
    "geostats",
    "grid",
    "io",
    "periodic",
    "plotting",
    "preparation",
    "readers",
    "realisations",
    "reporting",
    "tonnage",
    "uncertainty",
    "undiscovered",
    "units",
    "workflow",
)
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["__version__", *_SUBMODULES, *_MODULE_OF]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
