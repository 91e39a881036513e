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

The search is exact: what it returns for a target is what an exhaustive pass over every
sample gives under the same rules (the selection rule is stated in the Notes of
:class:`Neighbourhood`). The KD-tree supplies pools of nearest candidates and a pool is
enlarged for the targets whose answer it cannot yet prove; see
:meth:`NeighbourSearch.query`. Estimators add their own rules (samples left out in
cross-validation, a limit per hole) to the same selection routine.

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

#: Default number of targets per chunk of a query.
DEFAULT_CHUNK_SIZE = 65536

#: Most (target, candidate) pairs held at once by one KD-tree query of a search (about
#: 60 bytes each while a pool is selected from): bounds memory whatever the pool size.
_POOL_PAIRS = 1 << 22

#: Octants whose cube holds at most this many samples are fetched whole by a search
#: that cannot otherwise settle them (see NeighbourSearch._select_pool).
_FETCH_MOST = 64

#: Octants still open are counted once a target's pool reaches this many times
#: max_samples (earlier, the counts cost more than they save).
_COUNT_AT = 4


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

    **Selection rule.** The candidates of a target are all samples within the radius,
    nearest first in search distance, equal distances in order of sample index. They
    are taken in that order, in one greedy pass: a candidate is used when, at its turn,

    1. it is not left out (cross-validation leaves out the target's own sample or its
       whole hole; samples left out are never candidates);
    2. fewer than `max_per_octant` of the samples used so far lie in its octant;
    3. fewer than the limit per hole of the samples used so far come from its hole
       (estimators' ``max_per_hole``, e.g.
       :class:`~raremin.geostats.kriging.Kriging`; no such limit here);
    4. fewer than `max_samples` samples are used so far.

    Rules 2 and 3 count *used* samples only: a sample refused by one limit takes no
    place under the other, so the order in which they are checked does not matter.
    Octants (quadrants in 2D, sides in 1D) are taken around the target in the rotated
    frame of the ellipsoid; a difference component of exactly 0 counts as positive.
    GSLIB's ``kt3d`` applies its octant rule in the same way to every sample its
    search finds within the radius, sorted by distance (Deutsch and Journel, 1998).
    The result equals that of an exhaustive search with the same rules, whatever the
    chunk size (:meth:`NeighbourSearch.query` says how, and what it costs).

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
        return _to_frame(xyz, self.matrix)


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
        self.tree = cKDTree(_to_frame(xyz, self._matrix))
        # One axis per row, for fast gathers: metres, and the search frame.
        self._columns = np.ascontiguousarray(xyz.T)
        self._frame_columns = np.ascontiguousarray(self.tree.data.T)
        radius = neighbourhood.radius
        # cKDTree keeps distances < bound: the next float up keeps those == radius.
        self._bound = np.nextafter(radius, np.inf) if np.isfinite(radius) else np.inf

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
            Targets per chunk (each chunk's pools are searched together); memory use
            grows with it, results do not depend on it.

        Returns
        -------
        Neighbours
            ``(index, distance, distance_m, count)``, arrays of shape
            ``(m, max_samples)`` (``count``: ``(m,)``), nearest first in search
            distance (equal distances in order of sample index).

        Notes
        -----
        The selection is the greedy pass of :class:`Neighbourhood` (Notes) over every
        sample within the radius, worked out from pools of nearest candidates: one
        KD-tree query per pool (``k`` = the pool size, ``distance_upper_bound`` = the
        radius, all CPU threads) and the greedy pass over the pools of a whole chunk
        of targets with array operations. The first pool holds ``max_samples + 1``
        candidates (``1.25 x max_samples`` with an octant or hole limit). Every sample
        outside a pool is at least as far as its farthest candidate, ``d_p``, so a
        target's answer is final when

        - the pool holds every sample within the radius; or
        - `max_samples` samples are used, the last nearer than ``d_p``; or
        - every octant is settled: it holds `max_per_octant` used samples nearer
          than ``d_p``, or lies beyond the bounding box of the samples, or all its
          samples within the radius are among the candidates.

        Samples outside the pool then all fall in full octants, or after the last
        sample used (equal distances included), and cannot change the answer. The
        other targets of the chunk are searched again with a pool twice as large. From
        a pool of ``4 x max_samples`` on, the samples of each open octant are counted
        (a KD-tree count in the cube that holds the octant's part of the search
        ball, an upper bound); an octant settles when the pool has seen that many,
        and an octant of at most 64 samples is fetched whole (one KD-tree query
        around its cube) and merged into the candidates instead of waiting for the
        pool to reach it. At most about four million (target, candidate) pairs are
        held at once. Metric distances of the selected pairs are computed from the
        coordinates.

        The cost grows with the pool a target needs: about 1.5-2 x a plain
        ``cKDTree.query(k=max_samples)`` without rules (most of it the metric
        distances), 2-4 x with octants that fill near the target, more where octants
        hold few samples spread far (targets at the edge of the data), up to a pool
        of every sample within the radius; so too for a target that the limits per
        hole leave short of `max_samples`. With an infinite radius and limits that
        the data cannot meet, that is every sample: give a finite radius with them.

        Examples
        --------
        >>> from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch
        >>> s = NeighbourSearch([[0.0, 0.0], [3.0, 4.0]], Neighbourhood(max_samples=2))
        >>> s.query([[0.0, 0.0], [3.0, 0.0]]).distance.tolist()
        [[0.0, 5.0], [3.0, 4.0]]
        >>> one_per_side = Neighbourhood(max_samples=2, max_per_octant=1)
        >>> found = NeighbourSearch([[1.0], [2.0], [-5.0]], one_per_side).query([[0.0]])
        >>> found.index.tolist()  # sample 1 is refused: the positive side has sample 0
        [[0, 2]]
        """
        xyz = _check_coords(targets, "target coordinates")
        if xyz.shape[1] != self.ndim:
            raise InputError(
                f"target coordinates have {xyz.shape[1]} column(s) but the samples have "
                f"{self.ndim}; give the same axes for both"
            )
        chunk = _check_int(chunk_size, "chunk_size", 1)
        return self._select(xyz, chunk_size=chunk)

    def _select(
        self,
        targets: np.ndarray,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        groups: np.ndarray | None = None,
        exclude: np.ndarray | None = None,
        exclude_group: np.ndarray | None = None,
        max_per_group: int | None = None,
    ) -> Neighbours:
        """
        The neighbour selection: the neighbourhood's rules and the estimators' extra ones.

        The one routine behind :meth:`query` and the estimators' neighbour queries
        (with samples left out in cross-validation and a limit per hole).

        Parameters
        ----------
        targets : numpy.ndarray, shape (m, d)
            Target coordinates, metres (already validated).
        chunk_size : int
            Targets per chunk (validated, >= 1).
        groups : numpy.ndarray of int, shape (n,), optional
            Group (hole) code >= 0 of every sample; needed by `exclude_group` and
            `max_per_group`.
        exclude : numpy.ndarray of int, shape (m,), optional
            One sample index per target that is never a candidate (-1: none).
        exclude_group : numpy.ndarray of int, shape (m,), optional
            One group code per target whose samples are never candidates (-1: none).
        max_per_group : int, optional
            Most used samples of any one group per target (rule 3 of the Notes of
            :class:`Neighbourhood`).

        Returns
        -------
        Neighbours
            As :meth:`query` returns them.
        """
        if groups is None and (exclude_group is not None or max_per_group is not None):
            raise InputError("groups are needed to leave out groups or to limit samples per group")
        rules = _Rules(groups, exclude, exclude_group, max_per_group)
        k = self.neighbourhood.max_samples
        m = targets.shape[0]
        index = np.full((m, k), -1, dtype=np.intp)
        distance = np.full((m, k), np.inf)
        distance_m = np.full((m, k), np.inf)
        for start in range(0, m, chunk_size):
            part = slice(start, min(start + chunk_size, m))
            xyz = targets[part]
            i, d = index[part], distance[part]  # views, filled in place
            self._select_chunk(_to_frame(xyz, self._matrix), rules.take(part), i, d)
            distance_m[part] = d if self._matrix is None else self._metres(xyz, i)
        return Neighbours(index, distance, distance_m, np.count_nonzero(index >= 0, axis=1))

    def _metres(self, xyz: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Euclidean distances, metres, from targets `xyz` to samples `i` (inf where -1)."""
        safe = np.where(i >= 0, i, 0)
        square = np.zeros(i.shape)
        for axis in range(self.ndim):  # axis by axis: no (m, k, d) temporary
            diff = self._columns[axis][safe] - xyz[:, axis, None]
            square += diff * diff
        square[i < 0] = np.inf
        return np.sqrt(square)

    def _select_chunk(
        self, t: np.ndarray, rules: _Rules, index: np.ndarray, distance: np.ndarray
    ) -> None:
        """Fill index and search distance (m, k) of targets `t` given in the search frame."""
        nbh = self.neighbourhood
        n, k = self.n_samples, nbh.max_samples
        m = t.shape[0]
        limited = nbh.max_per_octant is not None or rules.max_per_group is not None
        pool = k + max(1, k // 4) if limited else k + 1
        if rules.exclude is not None:
            pool += 1
        if rules.exclude_group is not None and m:
            left_out = rules.exclude_group[rules.exclude_group >= 0]
            if left_out.size:
                pool += int(np.bincount(rules.groups)[left_out].max())
        # Upper bounds on the samples in each octant of each target (-1: not counted).
        counts = None
        if nbh.max_per_octant is not None:
            counts = np.full((m, 2**self.ndim), -1, dtype=np.intp)
        todo = np.arange(m)
        while todo.size:
            p = min(pool, n)
            step = max(1, _POOL_PAIRS // p)
            unfinished = []
            for first in range(0, todo.size, step):
                rows = todo[first : first + step]
                c = None if counts is None else counts[rows]
                final = self._select_pool(
                    t[rows], p, c, p >= _COUNT_AT * k, rules.take(rows), (index, distance, rows)
                )
                if counts is not None:
                    counts[rows] = c
                unfinished.append(rows[~final])
            todo = np.concatenate(unfinished)
            pool = 2 * p

    def _select_pool(
        self,
        t: np.ndarray,
        p: int,
        counts: np.ndarray | None,
        count_now: bool,
        rules: _Rules,
        out: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """
        The greedy pass over the `p` nearest candidates of targets `t` (search frame).

        Returns whether each target's answer is final, i.e. equal to the exhaustive
        search's, and writes the final ones (index and distance of the samples used) to
        ``out = (index, distance, rows)``, row ``rows[j]`` for target j. With an octant
        limit, `counts` (r, 2**d) bounds the samples of each octant within the radius
        from above (-1: unknown); with `count_now` the octants still open are counted
        (in place), and the small ones fetched whole.
        """
        nbh = self.neighbourhood
        n, k = self.n_samples, nbh.max_samples
        r = t.shape[0]
        i, d = self._nearest(t, p)
        found = i < n
        # Final when the pool holds every sample within the radius, or (below) when no
        # sample outside it can be used or come before one used.
        final = ~found[:, -1] if p < n else np.ones(r, dtype=bool)
        if nbh.max_per_octant is None and not rules.active:
            if p > k:  # the k nearest, unless a sample outside the pool ties the k-th
                final |= d[:, k - 1] < d[:, k]
            done = np.flatnonzero(final)
            width = min(p, k)
            out[0][out[2][done], :width] = np.where(found[done, :k], i[done, :k], -1)
            out[1][out[2][done], :width] = d[done, :k]
            return final
        d_last = d[:, -1:]
        sector = None if nbh.max_per_octant is None else self._sectors(t, i, found)
        used = self._greedy(i, found, sector, rules)
        final |= _kth_before(used, d, d_last, k)
        rows = np.flatnonzero(~final)
        if sector is None or not rows.size:
            keep = np.flatnonzero(final)
            _put_used(out[0], out[1], out[2][keep], i[keep], d[keep], used[keep])
            return final
        # Or when every octant is full with samples nearer than the farthest of the
        # pool, or has all its samples within the radius among the candidates.
        tr, c = t[rows], counts[rows]
        settled, seen = self._octants_settled(
            tr, sector[rows], found[rows], used[rows] & (d[rows] < d_last[rows]), c
        )
        if count_now:
            self._count_octants(tr, ~settled & (c < 0), c)
            settled |= seen >= np.where(c >= 0, c, n + 1)
        counts[rows] = c
        done = settled.all(axis=1)
        final[rows[done]] = True
        keep = np.flatnonzero(final)
        _put_used(out[0], out[1], out[2][keep], i[keep], d[keep], used[keep])
        # Octants holding few samples are fetched whole rather than waited for.
        fetch = ~settled & (c > 0) & (c <= _FETCH_MOST)
        go = np.flatnonzero(~done & np.all(settled | fetch, axis=1))
        step = max(1, _POOL_PAIRS // (p + fetch.shape[1] * _FETCH_MOST))
        for first in range(0, go.size, step):
            g = go[first : first + step]
            fr = rows[g]
            i2, d2, sector2 = self._with_fetched(t[fr], fetch[g], c[g], i[fr], d[fr], sector[fr])
            found2 = i2 < n
            used2 = self._greedy(i2, found2, sector2, rules.take(fr))
            settled2, _ = self._octants_settled(
                t[fr], sector2, found2, used2 & (d2 < d_last[fr]), c[g]
            )
            ok = _kth_before(used2, d2, d_last[fr], k) | np.all(settled2 | fetch[g], axis=1)
            _put_used(out[0], out[1], out[2][fr[ok]], i2[ok], d2[ok], used2[ok])
            final[fr[ok]] = True
        return final

    def _nearest(self, t: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
        """
        The `p` nearest samples within the radius of targets `t` (search frame).

        Index and search distance (r, p), nearest first, equal distances in order of
        sample index (the tree's order among them is its own); missing neighbours come
        last with index n and distance inf.
        """
        r = t.shape[0]
        d, i = self.tree.query(t, k=p, distance_upper_bound=self._bound, workers=-1)
        d = np.asarray(d, dtype=float).reshape(r, p)
        i = np.asarray(i, dtype=np.intp).reshape(r, p)
        tied = np.flatnonzero(np.any((d[:, 1:] == d[:, :-1]) & (i[:, 1:] < self.n_samples), 1))
        if tied.size:
            order = np.lexsort((i[tied], d[tied]), axis=-1)
            i[tied] = np.take_along_axis(i[tied], order, axis=1)
            d[tied] = np.take_along_axis(d[tied], order, axis=1)
        return i, d

    def _sectors(self, t: np.ndarray, i: np.ndarray, found: np.ndarray) -> np.ndarray:
        """Octant (uint8, bit `axis` set: difference >= 0 along it) of every candidate."""
        safe = np.where(found, i, 0)
        sector = np.zeros(i.shape, dtype=np.uint8)
        for axis in range(self.ndim):  # axis by axis: no (r, q, d) temporary
            above = self._frame_columns[axis][safe] >= t[:, axis, None]
            sector |= above.view(np.uint8) << axis
        return sector

    def _greedy(
        self, i: np.ndarray, found: np.ndarray, sector: np.ndarray | None, rules: _Rules
    ) -> np.ndarray:
        """
        The greedy pass over candidates sorted nearest first: which ones are used.

        Rules 1-4 of the Notes of :class:`Neighbourhood`, on (r, q) candidates.
        """
        safe = np.where(found, i, 0)
        eligible = found
        if rules.exclude is not None:
            eligible = eligible & (i != rules.exclude[:, None])
        group = None
        if rules.exclude_group is not None or rules.max_per_group is not None:
            group = rules.groups[safe]
        if rules.exclude_group is not None:
            eligible = eligible & (group != rules.exclude_group[:, None])
        limits: list[tuple[np.ndarray, int]] = []
        if sector is not None:
            limits.append((sector, self.neighbourhood.max_per_octant))
        if rules.max_per_group is not None:
            limits.append((group, rules.max_per_group))
        used = eligible
        if len(limits) == 1:  # one limit: the first `limit` eligible ones of each key
            key, limit = limits[0]
            sentinel = np.iinfo(key.dtype).max  # apart from every real key
            used = eligible & (_RankInKey(np.where(eligible, key, sentinel))() < limit)
        elif limits:  # both limits: column by column, each column for all targets
            used = _greedy_by_column(eligible, limits, self.neighbourhood.max_samples)
        before = np.cumsum(used, axis=1, dtype=np.int32) - used
        return used & (before < self.neighbourhood.max_samples)

    def _octants_settled(
        self,
        t: np.ndarray,
        sector: np.ndarray,
        found: np.ndarray,
        used_early: np.ndarray,
        counts: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """
        Octants of targets `t` (search frame) that can take no sample outside the pool.

        Settled: `max_per_octant` samples used among the candidates nearer than the
        farthest of the pool (`used_early`), beyond the bounding box of the samples,
        or all the samples `counts` allows already among the candidates. Returns
        settled (r, 2**d) and the candidates seen in each octant.
        """
        r = t.shape[0]
        n_sectors = 2**self.ndim
        cell = np.arange(r)[:, None] * n_sectors + sector
        size = r * n_sectors
        early = np.bincount(cell[used_early], minlength=size).reshape(r, n_sectors)
        seen = np.bincount(cell[found], minlength=size).reshape(r, n_sectors)
        bits = (np.arange(n_sectors)[:, None] >> np.arange(self.ndim)) & 1  # (octant, axis)
        # Beyond the box: no sample >= t (positive side) or < t (negative side).
        beyond = np.where(bits == 1, (t > self.tree.maxes)[:, None], (t <= self.tree.mins)[:, None])
        settled = (early >= self.neighbourhood.max_per_octant) | beyond.any(axis=2)
        settled |= (counts >= 0) & (seen >= counts)
        return settled, seen

    def _cubes(self, t: np.ndarray, octant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """
        Cube (centre, Chebyshev radius) holding the part of each target's ball in `octant`.

        Side: the radius, or less where the bounding box of the samples ends nearer.
        The cube is enlarged by a relative 1e-9 so that rounding can only add samples
        to it (to its count, an upper bound).
        """
        sign = 2 * ((octant[:, None] >> np.arange(self.ndim)) & 1) - 1
        lo, hi = self.tree.mins, self.tree.maxes
        reach = np.where(sign > 0, hi - t, t - lo).max(axis=1)
        half = 0.5 * np.minimum(reach, self.neighbourhood.radius)
        centre = t + sign * half[:, None]
        scale = half + np.abs(t).max(axis=1) + np.abs(np.concatenate([lo, hi])).max()
        return centre, half + 1e-9 * scale + np.finfo(float).tiny

    def _count_octants(self, t: np.ndarray, need: np.ndarray, counts: np.ndarray) -> None:
        """Count (in place) the samples in the cube of every octant where `need`."""
        rows, octant = np.nonzero(need)
        if rows.size:
            centre, half = self._cubes(t[rows], octant)
            counts[rows, octant] = self.tree.query_ball_point(
                centre, half, p=np.inf, return_length=True, workers=-1
            )

    def _with_fetched(
        self,
        t: np.ndarray,
        fetch: np.ndarray,
        counts: np.ndarray,
        i: np.ndarray,
        d: np.ndarray,
        sector: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        The pool's candidates plus every sample within the radius of the fetched octants.

        For each octant where `fetch`, the `counts` samples of its cube are the nearest
        to the cube's centre in Chebyshev distance: one KD-tree query takes them; those
        in the octant, within the radius and not in the (full) pool follow the pool's
        candidates, nearest first, equal distances in order of sample index. Returns
        index, distance and octant of the candidates.
        """
        n = self.n_samples
        q, p = i.shape
        rows, octant = np.nonzero(fetch)
        width = int(counts[rows, octant].max())
        centre, half = self._cubes(t[rows], octant)
        _, got = self.tree.query(
            centre, k=width, p=np.inf, distance_upper_bound=np.nextafter(half.max(), np.inf),
            workers=-1,
        )
        got = np.asarray(got, dtype=np.intp).reshape(rows.size, width)
        ok = got < n
        diff = self.tree.data[np.where(ok, got, 0)] - t[rows][:, None, :]
        dist = np.sqrt((diff**2).sum(axis=-1))  # as the tree computes it
        bits = ((diff >= 0) << np.arange(self.ndim)).sum(axis=2)
        d_last = d[rows, -1:]
        ok &= (bits == octant[:, None]) & (dist <= self.neighbourhood.radius) & (dist >= d_last)
        # Samples nearer than the pool's farthest are in it; at equal distance, maybe.
        tie = np.flatnonzero((ok & (dist == d_last)).any(axis=1))
        if tie.size:
            in_pool = (got[tie][:, :, None] == i[rows[tie]][:, None, :]).any(axis=2)
            ok[tie] &= ~in_pool
        # The extra candidates of each target, packed after its pool, sorted.
        pair, col = np.nonzero(ok)
        owner = rows[pair]
        key = np.lexsort((got[pair, col], dist[pair, col], owner))
        owner, pair, col = owner[key], pair[key], col[key]
        starts = np.searchsorted(owner, np.arange(q))
        slot = p + np.arange(owner.size) - starts[owner]
        extra = int(slot.max()) + 1 - p if slot.size else 0
        i2 = np.concatenate([i, np.full((q, extra), n, dtype=np.intp)], axis=1)
        d2 = np.concatenate([d, np.full((q, extra), np.inf)], axis=1)
        s2 = np.concatenate([sector, np.zeros((q, extra), dtype=sector.dtype)], axis=1)
        i2[owner, slot] = got[pair, col]
        d2[owner, slot] = dist[pair, col]
        s2[owner, slot] = octant[pair]
        # A sample at the pool's farthest distance may need to go before pool ones.
        mixed = np.flatnonzero(d2[:, p] == d2[:, p - 1]) if extra else np.empty(0, int)
        if mixed.size:
            order = np.lexsort((i2[mixed], d2[mixed]), axis=-1)
            i2[mixed] = np.take_along_axis(i2[mixed], order, axis=1)
            d2[mixed] = np.take_along_axis(d2[mixed], order, axis=1)
            s2[mixed] = np.take_along_axis(s2[mixed], order, axis=1)
        return i2, d2, s2


class _Rules(NamedTuple):
    """The estimators' rules on top of a neighbourhood's (see NeighbourSearch._select)."""

    groups: np.ndarray | None
    exclude: np.ndarray | None
    exclude_group: np.ndarray | None
    max_per_group: int | None

    @property
    def active(self) -> bool:
        """Whether any rule can refuse a candidate."""
        return not (self.exclude is None and self.exclude_group is None
                    and self.max_per_group is None)

    def take(self, rows: Any) -> _Rules:
        """The rules of the targets `rows`."""
        return self._replace(
            exclude=None if self.exclude is None else self.exclude[rows],
            exclude_group=None if self.exclude_group is None else self.exclude_group[rows],
        )


def _kth_before(used: np.ndarray, d: np.ndarray, d_last: np.ndarray, k: int) -> np.ndarray:
    """Whether `k` candidates are used, the k-th nearer than `d_last` (r, 1)."""
    last = used.shape[1] - 1 - np.argmax(used[:, ::-1], axis=1)
    full = np.count_nonzero(used, axis=1) >= k
    return full & (d[np.arange(used.shape[0]), last] < d_last[:, 0])


def _put_used(
    index: np.ndarray,
    distance: np.ndarray,
    rows: np.ndarray,
    i: np.ndarray,
    d: np.ndarray,
    used: np.ndarray,
) -> None:
    """Write the used candidates of each target, in order, to row `rows[j]` of the outputs."""
    k = index.shape[1]
    count = np.count_nonzero(used, axis=1)
    # Flat position of every used candidate: its row's start plus its rank in the row.
    start = np.repeat(rows * k - (np.cumsum(count) - count), count)
    flat = start + np.arange(int(count.sum()))
    np.put(index, flat, i[used])
    np.put(distance, flat, d[used])


def _greedy_by_column(
    eligible: np.ndarray, limits: list[tuple[np.ndarray, int]], k: int
) -> np.ndarray:
    """
    The greedy pass with several limits, one candidate column at a time.

    With one limit the first `limit` eligible candidates of each key are used, a
    rank; with two (octant and hole) a refusal by one frees a place under the other,
    so the pass goes column by column, nearest first, each column for every target at
    once, keeping per-target counts of used samples by key (keys relabelled 0, 1, ...
    within each row). The loop runs over pool ranks, not over targets.
    """
    r, q = eligible.shape
    rows = np.arange(r)
    tables = []
    for key, limit in limits:
        labels, n_labels = _row_labels(key)
        tables.append((np.ascontiguousarray(labels.T), np.zeros((r, n_labels), np.int32), limit))
    columns = np.ascontiguousarray(eligible.T)
    used = np.zeros((q, r), dtype=bool)
    total = np.zeros(r, dtype=np.int32)
    for j in range(q):
        ok = columns[j] & (total < k)
        for labels, count, limit in tables:
            ok &= count[rows, labels[j]] < limit
        for labels, count, _ in tables:
            count[rows, labels[j]] += ok
        total += ok
        used[j] = ok
    return used.T


def _row_labels(key: np.ndarray) -> tuple[np.ndarray, int]:
    """Keys relabelled 0, 1, ... in order of value within each row, and the most labels."""
    r, q = key.shape
    order = np.argsort(key, axis=1, kind="stable")
    ordered = np.take_along_axis(key, order, axis=1)
    new = np.ones((r, q), dtype=np.int32)
    new[:, 0] = 0
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    labels = np.empty((r, q), dtype=np.int32)
    np.put_along_axis(labels, order, np.cumsum(new, axis=1, dtype=np.int32), axis=1)
    return labels, int(labels.max()) + 1 if labels.size else 1


class _RankInKey:
    """
    For candidates in rows, how many come before each with the same key.

    `key` (r, p) holds a key per candidate (octant, hole), candidates nearest first.
    Called without argument, the rank counts every candidate of the same key to the
    left in the row; called with a boolean `chosen` (r, p), only the chosen ones. The
    per-row sort by key is done once.
    """

    def __init__(self, key: np.ndarray) -> None:
        r, p = key.shape
        self.order = np.argsort(key, axis=1, kind="stable")
        ordered = np.take_along_axis(key, self.order, axis=1)
        first = np.ones((r, p), dtype=bool)
        first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        self.position = np.arange(p, dtype=np.int32)
        self.start = np.maximum.accumulate(np.where(first, self.position, 0), axis=1)

    def __call__(self, chosen: np.ndarray | None = None) -> np.ndarray:
        if chosen is None:
            before = self.position - self.start
        else:
            c = np.take_along_axis(chosen, self.order, axis=1).astype(np.int32)
            before = np.cumsum(c, axis=1, dtype=np.int32) - c
            before -= np.take_along_axis(before, self.start, axis=1)
        rank = np.empty_like(before)
        np.put_along_axis(rank, self.order, before, axis=1)
        return rank


def _to_frame(xyz: np.ndarray, matrix: np.ndarray | None) -> np.ndarray:
    """
    ``xyz @ matrix.T`` row by row, or a float copy without a matrix.

    Written out with element-wise products so that a row's result does not depend on
    how many rows come with it (a matrix product may round differently by size), which
    keeps the search independent of the chunk size down to the last bit.
    """
    if matrix is None:
        return np.array(xyz, dtype=float)
    out = xyz[:, :1] * matrix[:, 0]
    for axis in range(1, xyz.shape[1]):
        out += xyz[:, axis : axis + 1] * matrix[:, axis]
    return out
