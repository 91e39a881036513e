"""
Geostatistics: neighbourhood search and grade estimators.

Modules
-------
:mod:`raremin.geostats.neighbourhood`
    :class:`Neighbourhood` (search rules: number of samples, radius, anisotropic
    ellipsoid, octants), :class:`NeighbourSearch` (one KD-tree, chunked queries),
    :class:`Neighbours` (query result) and :func:`anisotropy_matrix`.
:mod:`raremin.geostats.base`
    :class:`Estimator`: the contract of every estimator (``fit``/``predict``,
    ``neighbours``/``predict_neighbours``) and their base class.
:mod:`raremin.geostats.idw`
    Baseline estimators with ``fit``/``predict``: :class:`InverseDistance` and
    :class:`NearestSample`.
:mod:`raremin.geostats.declustering`
    :func:`cell_declustering` (GSLIB declus) and :func:`polygonal_declustering`.
:mod:`raremin.geostats.models`
    :class:`VariogramModel` and :class:`Structure` (nested, anisotropic, practical ranges).
:mod:`raremin.geostats.kriging`, :mod:`raremin.geostats.crossval`
    :class:`Kriging` (simple/ordinary, point/block) and :func:`cross_validate`.
:mod:`raremin.geostats.variogram`
    :func:`experimental_variogram`, :func:`fit_variogram`, :func:`plot_variogram`.
:mod:`raremin.geostats.autovariogram`
    :func:`auto_variogram`: the axes of greatest continuity and a nested anisotropic
    model, from a capped number of pairs.
:mod:`raremin.geostats.anamorphosis`
    :class:`NormalScores` (the GSLIB normal-score transform and back-transform, with
    tails) and :class:`HermiteAnamorphosis` (Gaussian anamorphosis by Hermite
    polynomials, point and block support).
:mod:`raremin.geostats.simulation`
    :class:`SequentialGaussian`: sequential Gaussian simulation on a grid, many
    realisations per path.
:mod:`raremin.geostats.support`
    Change of support without simulation: :func:`change_of_support` (discrete Gaussian
    model, affine and indirect lognormal corrections, from point data and a variogram
    model), :func:`average_variogram` and :func:`block_dispersion_variance`.

Examples
--------
>>> from raremin.geostats import InverseDistance, Neighbourhood
>>> idw = InverseDistance(neighbourhood=Neighbourhood(max_samples=2))
>>> idw.fit([[0.0], [10.0], [20.0]], [1.0, 2.0, 3.0]).predict([[5.0]])
array([1.5])
"""

from .anamorphosis import HermiteAnamorphosis, NormalScores
from .autovariogram import AutoVariogram, auto_variogram
from .base import Estimator
from .crossval import CrossValidation, cross_validate
from .declustering import (
    CellDeclusteringResult,
    PolygonalDeclusteringResult,
    cell_declustering,
    polygonal_declustering,
)
from .idw import InverseDistance, NearestSample
from .kriging import Kriging
from .models import Structure, VariogramModel
from .neighbourhood import Neighbourhood, Neighbours, NeighbourSearch, anisotropy_matrix
from .simulation import SequentialGaussian
from .support import (
    BlockGradeDistribution,
    DiscreteGaussian,
    affine_correction,
    average_variogram,
    block_dispersion_variance,
    change_of_support,
    discrete_gaussian_correction,
    indirect_lognormal_correction,
)
from .variogram import (
    ExperimentalVariogram,
    VariogramFit,
    experimental_variogram,
    fit_variogram,
    plot_variogram,
)

__all__ = [
    "BlockGradeDistribution",
    "DiscreteGaussian",
    "affine_correction",
    "average_variogram",
    "block_dispersion_variance",
    "change_of_support",
    "discrete_gaussian_correction",
    "indirect_lognormal_correction",
    "HermiteAnamorphosis",
    "NormalScores",
    "SequentialGaussian",
    "AutoVariogram",
    "auto_variogram",
    "CellDeclusteringResult",
    "CrossValidation",
    "Estimator",
    "Kriging",
    "cross_validate",
    "ExperimentalVariogram",
    "PolygonalDeclusteringResult",
    "Structure",
    "VariogramFit",
    "VariogramModel",
    "cell_declustering",
    "experimental_variogram",
    "fit_variogram",
    "plot_variogram",
    "polygonal_declustering",
    "InverseDistance",
    "NearestSample",
    "NeighbourSearch",
    "Neighbourhood",
    "Neighbours",
    "anisotropy_matrix",
]
