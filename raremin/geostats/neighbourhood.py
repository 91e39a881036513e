"""
Search neighbourhoods: which samples inform the estimate at a target point.

A :class:`Neighbourhood` states the rules (how many samples, how far, in which
ellipsoid, how many per octant); a :class:`NeighbourSearch` applies them to one set of
sample coordinates with a single KD-tree and answers queries for many targets at once,
in chunks so that memory stays bounded. Everything works in 1, 2 or 3 dimensions.

Anisotropy follows the angle conventions of GSLIB (Deutsch and Journel, 1998): the
azimuth of the major axis clockwise from north, its dip (negative downwards), and a
rake about the major axis. :func:`anisotropy_matrix` turns ranges and angles into the
matrix that maps coordinate differences to distances in units of the ellipsoid.

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch
>>> samples = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 30.0]])
>>> search = NeighbourSearch(samples, Neighbourhood(max_samples=2, radius=20.0))
>>> found = search.query([[1.0, 0.0]])
>>> found.index.tolist(), found.distance.tolist(), found.count.tolist()
([[0, 1]], [[1.0, 9.0]], [2])
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any, NamedTuple

import numpy as np
from scipy.spatial import cKDTree

from .._validation import as_float_array, check_finite
from ..errors import InputError

__all__ = ["NeighbourSearch", "Neighbourhood", "Neighbours", "anisotropy_matrix"]

#: With an octant limit, this many times ``max_samples`` nearest samples are the pool
#: from which the per-octant selection is made.
OCTANT_CANDIDATE_FACTOR = 4

#: Default number of targets per chunk of a query.
DEFAULT_CHUNK_SIZE = 65536


def _check_int(value: Any, name: str, minimum: int) -> int:
    """An integer >= `minimum` (bools and non-integral numbers refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise InputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if int(value) < minimum:
        raise InputError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def _check_ranges(ranges: Any) -> tuple[float, ...]:
    arr = check_finite(ranges, "ranges").ravel()
    if not 1 <= arr.size <= 3:
        raise InputError(
            f"ranges must hold 1 to 3 lengths (major, semi_minor, minor) in metres; got "
            f"{arr.size}: {ranges!r}"
        )
    if np.any(arr <= 0):
        raise InputError(
            f"ranges must be > 0 (metres along each axis of the ellipsoid); got {ranges!r}"
        )
    return tuple(float(r) for r in arr)


def _check_angles(angles: Any, ndim: int) -> tuple[float, float, float]:
    arr = check_finite(angles, "angles").ravel()
    if not 1 <= arr.size <= 3:
        raise InputError(
            f"angles must be (azimuth, dip, rake) in degrees, 1 to 3 values; got {angles!r}"
        )
    full = np.zeros(3)
    full[: arr.size] = arr
    if ndim == 2 and np.any(full[1:] != 0):
        raise InputError(
            f"a 2D ellipse takes an azimuth only; got dip={full[1]:g} and rake={full[2]:g} "
            f"(use angles=({full[0]:g}, 0, 0), or give three ranges for a 3D ellipsoid)"
        )
    if ndim == 1 and np.any(full != 0):
        raise InputError(f"a 1D search has no orientation; angles must be zero, got {angles!r}")
    return (float(full[0]), float(full[1]), float(full[2]))


def anisotropy_matrix(ranges: Any, angles: Any = (0.0, 0.0, 0.0)) -> np.ndarray:
    """
    The matrix mapping coordinate differences to distances in units of an ellipsoid.

    Parameters
    ----------
    ranges : sequence of float
        Lengths of the ellipsoid's semi-axes, metres: ``(major, semi_minor, minor)``
        in 3D, ``(major, minor)`` in 2D, ``(range,)`` in 1D. All > 0.
    angles : sequence of float, default (0, 0, 0)
        ``(azimuth, dip, rake)`` in degrees (see Notes). In 2D only the azimuth may be
        non-zero; in 1D all must be zero. Missing trailing angles are zero.

    Returns
    -------
    numpy.ndarray
        Matrix ``A`` of shape ``(d, d)``, ``d = len(ranges)``. For a difference vector
        ``h = (east, north[, up])`` in metres, ``A @ h`` is the vector in the rotated,
        scaled frame; its Euclidean norm is 1 on the ellipsoid. The rows of ``A``
        scaled back by the ranges (``ranges[:, None] * A``) are the unit vectors of the
        major, semi-minor and minor axes in world coordinates.

    Raises
    ------
    InputError
        Ranges not positive or not 1-3 values; non-finite angles; dip or rake in 2D.

    Notes
    -----
    Coordinates are easting, northing, elevation (up), right-handed. The rotation is
    the one of GSLIB's ``setrot`` (Deutsch and Journel, 1998, section II.3, Fig. II.4):

    - **azimuth**: direction of the major axis in plan, degrees clockwise from north
      (90 = east);
    - **dip**: angle of the major axis from the horizontal, degrees, **negative
      downwards** as GSLIB's second angle ``ang2`` and as drillhole surveys (-30 tilts
      the major axis 30 degrees down);
    - **rake**: rotation of the semi-minor and minor axes about the major axis,
      degrees, clockwise when looking along the major axis.

    With ``a = 90 - azimuth``, ``b = -dip`` and ``t = rake`` (radians), the rotation
    rows (the major, semi-minor and minor axes in world coordinates) are::

        R1 = ( cos b cos a,                        cos b sin a,                        -sin b)
        R2 = (-cos t sin a + sin t sin b cos a,    cos t cos a + sin t sin b sin a,    sin t cos b)
        R3 = ( sin t sin a + cos t sin b cos a,   -sin t cos a + cos t sin b sin a,    cos t cos b)

    and ``A = diag(1 / ranges) @ R``. In 2D the rows are ``R1 = (sin az, cos az)`` and
    ``R2 = (-cos az, sin az)``.

    References
    ----------
    Deutsch, C.V. and Journel, A.G. (1998). *GSLIB: Geostatistical Software Library
    and User's Guide*, 2nd edition. Oxford University Press, New York, pp. 25-27.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.neighbourhood import anisotropy_matrix
    >>> a = anisotropy_matrix((100.0, 50.0, 10.0), (90.0, 0.0, 0.0))
    >>> float(np.linalg.norm(a @ [100.0, 0.0, 0.0]))  # 100 m east: on the ellipsoid
    1.0
    >>> float(np.linalg.norm(a @ [0.0, 50.0, 0.0]))  # semi-minor axis points north
    1.0
    >>> anisotropy_matrix((200.0, 50.0), 0.0).round(3)  # 2D, major axis north
    array([[ 0.   ,  0.005],
           [-0.02 ,  0.   ]])
    """
    r = np.asarray(_check_ranges(ranges))
    azimuth, dip, rake = _check_angles(angles, r.size)
    if r.size == 1:
        rot = np.ones((1, 1))
    elif r.size == 2:
        az = np.deg2rad(azimuth)
        rot = np.array([[np.sin(az), np.cos(az)], [-np.cos(az), np.sin(az)]])
    else:
        a = np.deg2rad(90.0 - azimuth)
        b = np.deg2rad(-dip)
        t = np.deg2rad(rake)
        ca, sa, cb, sb, ct, st = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(t), np.sin(t)
        rot = np.array(
            [
                [cb * ca, cb * sa, -sb],
                [-ct * sa + st * sb * ca, ct * ca + st * sb * sa, st * cb],
                [st * sa + ct * sb * ca, -st * ca + ct * sb * sa, ct * cb],
            ]
        )
    return rot / r[:, None]


@dataclasses.dataclass(frozen=True)
class Neighbourhood:
    """
    The rules of a neighbourhood search.

    Parameters
    ----------
    max_samples : int, default 16
        Most samples used per target (>= 1).
    min_samples : int, default 1
        Fewest samples needed to estimate a target (``1 <= min_samples <=
        max_samples``); targets with fewer are *not estimated* (estimators return NaN).
    radius : float, optional
        Search radius (> 0). Units: **metres** when `ranges` is None (isotropic
        search; default infinite, i.e. no limit); **ellipsoid units** when `ranges` is
        given, where 1.0 is on the ellipsoid and 2.0 twice as far along every axis
        (default 1.0). Samples at exactly the radius are included.
    ranges : sequence of float, optional
        Semi-axes of an anisotropic search ellipsoid, metres: ``(major, semi_minor,
        minor)`` in 3D, ``(major, minor)`` in 2D, ``(range,)`` in 1D. Its length fixes
        the dimension of the coordinates it can search. None: isotropic.
    angles : sequence of float, default (0, 0, 0)
        ``(azimuth, dip, rake)`` of the ellipsoid, degrees, conventions of
        :func:`anisotropy_matrix` (dip negative downwards). Ignored without `ranges`.
    max_per_octant : int, optional
        Most samples kept per octant (3D), quadrant (2D) or side (1D) around the
        target, octants taken in the rotated frame of the ellipsoid. None: no limit.

    Raises
    ------
    InputError
        Any value out of its range; the message names it.

    Notes
    -----
    Distances for sorting and for the radius are Euclidean in the transformed frame
    ``A h`` (:func:`anisotropy_matrix`), i.e. ``sqrt((h1/major)^2 + (h2/semi_minor)^2 +
    (h3/minor)^2)`` along the rotated axes, or plain metres without `ranges`.

    With `max_per_octant`, the ``OCTANT_CANDIDATE_FACTOR x max_samples`` (4 x) nearest
    samples within the radius form the pool; from it, the nearest ones are kept in
    order of distance, at most `max_per_octant` from each octant, up to `max_samples`
    (the octant search of GSLIB's ``kt3d``; Deutsch and Journel, 1998). A difference
    component of exactly 0 counts as positive.

    References
    ----------
    Deutsch, C.V. and Journel, A.G. (1998). *GSLIB: Geostatistical Software Library
    and User's Guide*, 2nd edition. Oxford University Press, New York.

    Examples
    --------
    >>> from raremin.geostats.neighbourhood import Neighbourhood
    >>> Neighbourhood().radius
    inf
    >>> nb = Neighbourhood(max_samples=8, ranges=(300, 150, 20), angles=(45, 10, 0))
    >>> nb.radius, nb.ndim
    (1.0, 3)
    >>> Neighbourhood(max_samples=4, min_samples=6)
    Traceback (most recent call last):
    ...
    raremin.errors.InputError: min_samples (6) must be between 1 and max_samples (4)
    """

    max_samples: int = 16
    min_samples: int = 1
    radius: float | None = None
    ranges: tuple[float, ...] | None = None
    angles: tuple[float, float, float] = (0.0, 0.0, 0.0)
    max_per_octant: int | None = None

    def __post_init__(self) -> None:
        max_samples = _check_int(self.max_samples, "max_samples", 1)
        min_samples = _check_int(self.min_samples, "min_samples", 1)
        if min_samples > max_samples:
            raise InputError(
                f"min_samples ({min_samples}) must be between 1 and max_samples ({max_samples})"
            )
        ranges = None if self.ranges is None else _check_ranges(self.ranges)
        angles = _check_angles(self.angles, 3 if ranges is None else len(ranges))
        if self.radius is None:
            radius = np.inf if ranges is None else 1.0
        else:
            radius = float(as_float_array(self.radius, "radius"))
            if not radius > 0:  # also refuses NaN
                unit = "metres" if ranges is None else "ellipsoid units (1.0 = on it)"
                raise InputError(f"radius must be > 0 ({unit}); got {self.radius!r}")
        octant = self.max_per_octant
        if octant is not None:
            octant = _check_int(octant, "max_per_octant", 1)
        object.__setattr__(self, "max_samples", max_samples)
        object.__setattr__(self, "min_samples", min_samples)
        object.__setattr__(self, "radius", radius)
        object.__setattr__(self, "ranges", ranges)
        object.__setattr__(self, "angles", angles)
        object.__setattr__(self, "max_per_octant", octant)

    @property
    def ndim(self) -> int | None:
        """Dimension fixed by `ranges` (1-3), or None for an isotropic search."""
        return None if self.ranges is None else len(self.ranges)

    @property
    def matrix(self) -> np.ndarray | None:
        """:func:`anisotropy_matrix` of the ellipsoid, or None when isotropic."""
        return None if self.ranges is None else anisotropy_matrix(self.ranges, self.angles)

    def transform(self, coords: Any) -> np.ndarray:
        """
        Coordinates in the search frame: rotated and scaled by the ellipsoid.

        Parameters
        ----------
        coords : array_like, shape (n, d)
            Coordinates, metres.

        Returns
        -------
        numpy.ndarray
            ``coords @ A.T`` (ellipsoid units), or a float copy of `coords` when
            isotropic. Euclidean distances between transformed points are the search
            distances.

        Examples
        --------
        >>> from raremin.geostats.neighbourhood import Neighbourhood
        >>> Neighbourhood(ranges=(100.0, 25.0)).transform([[0.0, 50.0], [50.0, 0.0]])
        array([[ 0.5,  0. ],
               [ 0. , -2. ]])
        """
        xyz = _check_coords(coords, "coordinates", self.ndim)
        a = self.matrix
        return xyz.copy() if a is None else xyz @ a.T


def _check_coords(coords: Any, name: str, ndim: int | None = None) -> np.ndarray:
    """Coordinates as a finite float array of shape (n, d), 1 <= d <= 3."""
    xyz = check_finite(coords, name)
    if xyz.ndim != 2 or not 1 <= xyz.shape[1] <= 3:
        raise InputError(
            f"{name} must be an array of shape (n, d) with d = 1, 2 or 3 columns (easting, "
            f"northing, elevation in metres); got shape {xyz.shape} (use "
            f"reshape(-1, 1) for 1D data)"
        )
    if ndim is not None and xyz.shape[1] != ndim:
        raise InputError(
            f"{name} have {xyz.shape[1]} column(s) but the search ellipsoid has {ndim} "
            f"range(s); give one range per coordinate axis"
        )
    return xyz


class Neighbours(NamedTuple):
    """
    The neighbours found for each target, nearest first.

    Attributes
    ----------
    index : numpy.ndarray of int, shape (m, max_samples)
        Sample indices; -1 where no neighbour.
    distance : numpy.ndarray of float, shape (m, max_samples)
        Search distances (ellipsoid units with an ellipsoid, else metres); inf where
        no neighbour.
    distance_m : numpy.ndarray of float, shape (m, max_samples)
        Euclidean distances in metres; inf where no neighbour.
    count : numpy.ndarray of int, shape (m,)
        Number of neighbours found; targets with fewer than ``min_samples`` should
        not be estimated.

    Examples
    --------
    >>> from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch
    >>> found = NeighbourSearch([[0.0], [5.0]], Neighbourhood(max_samples=3)).query([[1.0]])
    >>> found.index.tolist(), found.distance_m.tolist()
    ([[0, 1, -1]], [[1.0, 4.0, inf]])
    """

    index: np.ndarray
    distance: np.ndarray
    distance_m: np.ndarray
    count: np.ndarray


class NeighbourSearch:
    """
    A neighbourhood applied to one set of sample coordinates.

    Builds one :class:`scipy.spatial.cKDTree` on the transformed sample coordinates
    (:meth:`Neighbourhood.transform`) and answers :meth:`query` for any number of
    targets, in chunks.

    Parameters
    ----------
    coords : array_like, shape (n, d)
        Sample coordinates, metres (easting, northing[, elevation]); finite; d = 1-3.
    neighbourhood : Neighbourhood, optional
        The search rules; default ``Neighbourhood()``.

    Attributes
    ----------
    coords : numpy.ndarray
        The sample coordinates, metres.
    neighbourhood : Neighbourhood
        The rules.
    tree : scipy.spatial.cKDTree
        KD-tree of the transformed coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch
    >>> xyz = np.array([[0.0, 0.0, 0.0], [0.0, 80.0, 0.0], [80.0, 0.0, 0.0]])
    >>> nb = Neighbourhood(max_samples=3, ranges=(100.0, 50.0, 10.0))  # major axis north
    >>> found = NeighbourSearch(xyz, nb).query([[0.0, 0.0, 0.0]])
    >>> found.index.tolist(), found.distance.round(2).tolist()
    ([[0, 1, -1]], [[0.0, 0.8, inf]])
    """

    def __init__(self, coords: Any, neighbourhood: Neighbourhood | None = None) -> None:
        if neighbourhood is None:
            neighbourhood = Neighbourhood()
        if not isinstance(neighbourhood, Neighbourhood):
            raise InputError(
                f"neighbourhood must be a Neighbourhood; got {type(neighbourhood).__name__}"
            )
        xyz = _check_coords(coords, "sample coordinates", neighbourhood.ndim)
        if xyz.shape[0] == 0:
            raise InputError("no sample coordinates: a search needs at least one sample")
        self.coords = xyz
        self.neighbourhood = neighbourhood
        self._matrix = neighbourhood.matrix
        transformed = xyz if self._matrix is None else xyz @ self._matrix.T
        self.tree = cKDTree(transformed)

    def __repr__(self) -> str:
        return f"NeighbourSearch({self.n_samples} samples in {self.ndim}D, {self.neighbourhood})"

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.coords.shape[0])

    @property
    def ndim(self) -> int:
        """Dimension of the coordinates (1-3)."""
        return int(self.coords.shape[1])

    def query(self, targets: Any, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Neighbours:
        """
        Find the neighbours of every target.

        Parameters
        ----------
        targets : array_like, shape (m, d)
            Target coordinates, metres; finite.
        chunk_size : int, default 65536
            Targets per KD-tree query; memory use grows with it, results do not
            depend on it.

        Returns
        -------
        Neighbours
            ``(index, distance, distance_m, count)``, arrays of shape
            ``(m, max_samples)`` (``count``: ``(m,)``), nearest first in search
            distance.

        Notes
        -----
        One KD-tree query per chunk with ``k = max_samples`` (or the octant pool),
        ``distance_upper_bound`` = the radius and all CPU threads (``workers=-1``);
        the octant limit is applied to whole chunks with array operations. Metric
        distances of the selected pairs are computed from the coordinates.

        Examples
        --------
        >>> from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch
        >>> s = NeighbourSearch([[0.0, 0.0], [3.0, 4.0]], Neighbourhood(max_samples=2))
        >>> s.query([[0.0, 0.0], [3.0, 0.0]]).distance.tolist()
        [[0.0, 5.0], [3.0, 4.0]]
        """
        xyz = _check_coords(targets, "target coordinates")
        if xyz.shape[1] != self.ndim:
            raise InputError(
                f"target coordinates have {xyz.shape[1]} column(s) but the samples have "
                f"{self.ndim}; give the same axes for both"
            )
        chunk = _check_int(chunk_size, "chunk_size", 1)
        m = xyz.shape[0]
        k = self.neighbourhood.max_samples
        index = np.full((m, k), -1, dtype=np.intp)
        distance = np.full((m, k), np.inf)
        distance_m = np.full((m, k), np.inf)
        count = np.zeros(m, dtype=np.int64)
        for start in range(0, m, chunk):
            stop = min(start + chunk, m)
            i, d, dm = self._query_chunk(xyz[start:stop])
            width = i.shape[1]
            index[start:stop, :width] = i
            distance[start:stop, :width] = d
            distance_m[start:stop, :width] = dm
            count[start:stop] = np.count_nonzero(i >= 0, axis=1)
        return Neighbours(index, distance, distance_m, count)

    def _query_chunk(self, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Neighbours of one chunk: index, search distance, metric distance (<= k columns)."""
        nbh = self.neighbourhood
        n = self.n_samples
        t = targets if self._matrix is None else targets @ self._matrix.T
        pool = nbh.max_samples
        if nbh.max_per_octant is not None:
            pool *= OCTANT_CANDIDATE_FACTOR
        pool = min(pool, n)
        bound = np.nextafter(nbh.radius, np.inf) if np.isfinite(nbh.radius) else np.inf
        d, i = self.tree.query(t, k=pool, distance_upper_bound=bound, workers=-1)
        d = np.asarray(d, dtype=float).reshape(t.shape[0], pool)
        i = np.asarray(i, dtype=np.intp).reshape(t.shape[0], pool)
        found = i < n
        i = np.where(found, i, -1)
        if nbh.max_per_octant is not None:
            i, d, found = self._octant_filter(t, i, d, found)
        if self._matrix is None:
            dm = d
        else:
            diff = self.coords[np.where(found, i, 0)] - targets[:, None, :]
            dm = np.where(found, np.sqrt(np.einsum("mkd,mkd->mk", diff, diff)), np.inf)
        return i, d, dm

    def _octant_filter(
        self, t: np.ndarray, i: np.ndarray, d: np.ndarray, found: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keep at most max_per_octant per octant, then the nearest max_samples."""
        nbh = self.neighbourhood
        m, pool = i.shape
        diff = self.tree.data[np.where(found, i, 0)] - t[:, None, :]
        bits = (diff >= 0).astype(np.int64) << np.arange(self.ndim)
        n_sectors = 2**self.ndim
        sector = np.where(found, bits.sum(axis=-1), n_sectors)
        # Rank of each candidate within its sector, in order of distance: a stable
        # sort by sector keeps distance order inside each sector.
        order = np.argsort(sector, axis=1, kind="stable")
        ordered = np.take_along_axis(sector, order, axis=1)
        position = np.broadcast_to(np.arange(pool), (m, pool))
        first = np.ones((m, pool), dtype=bool)
        first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        group_start = np.maximum.accumulate(np.where(first, position, 0), axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, position - group_start, axis=1)
        keep = found & (rank < nbh.max_per_octant)
        # Kept candidates first, still nearest first (stable), then the first k.
        pick = np.argsort(~keep, axis=1, kind="stable")[:, : nbh.max_samples]
        kept = np.take_along_axis(keep, pick, axis=1)
        i = np.where(kept, np.take_along_axis(i, pick, axis=1), -1)
        d = np.where(kept, np.take_along_axis(d, pick, axis=1), np.inf)
        return i, d, kept
