"""
Geostatistics: neighbourhood search and grade estimators.

Modules
-------
:mod:`raremin.geostats.neighbourhood`
    :class:`Neighbourhood` (search rules: number of samples, radius, anisotropic
    ellipsoid, octants), :class:`NeighbourSearch` (one KD-tree, chunked queries),
    :class:`Neighbours` (query result) and :func:`anisotropy_matrix`.
:mod:`raremin.geostats.idw`
    Baseline estimators with ``fit``/``predict``: :class:`InverseDistance` and
    :class:`NearestSample`.

Examples
--------
>>> from raremin.geostats import InverseDistance, Neighbourhood
>>> idw = InverseDistance(neighbourhood=Neighbourhood(max_samples=2))
>>> idw.fit([[0.0], [10.0], [20.0]], [1.0, 2.0, 3.0]).predict([[5.0]])
array([1.5])
"""

from .idw import InverseDistance, NearestSample
from .neighbourhood import Neighbourhood, Neighbours, NeighbourSearch, anisotropy_matrix

__all__ = [
    "InverseDistance",
    "NearestSample",
    "NeighbourSearch",
    "Neighbourhood",
    "Neighbours",
    "anisotropy_matrix",
]
