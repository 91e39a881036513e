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
:class:`Neighbourhood`). The KD-tree supplies pools of nearest candidates, a compiled
kernel (numba, parallel over targets; compiled on the first search or loaded from
numba's cache) applies the rules to them, and a pool is enlarged for the targets whose
answer it cannot yet prove; see :meth:`NeighbourSearch.query`. Estimators add their own
rules (samples left out in cross-validation, a limit per hole) to the same selection
routine.

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
import threading
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from .._validation import as_float_array, check_finite
from ..errors import InputError
from . import _jit

__all__ = ["NeighbourSearch", "Neighbourhood", "Neighbours", "anisotropy_matrix"]

#: Default number of targets per chunk of a query.
DEFAULT_CHUNK_SIZE = 65536

#: Most (target, candidate) pairs held at once by one KD-tree query of a search (about
#: 60 bytes each while a pool is selected from): bounds memory whatever the pool size.
_POOL_PAIRS = 1 << 22

#: Octants whose cube holds at most this many samples are fetched whole by a search
#: that cannot otherwise settle them (see NeighbourSearch._select_pool).
_FETCH_MOST = 64

#: Targets of each chunk searched first, from the smallest pool, to choose the first
#: pool of the others.
_PROBE = 2048

#: Fewer (target, candidate) pairs than this are worked on one thread: waking other
#: threads costs more than it saves (milliseconds on a busy machine).
_PARALLEL_PAIRS = 1 << 17

#: Octants still open are counted once a target's pool reaches this many times
#: max_samples (earlier, the counts cost more than they save).
_COUNT_AT = 4


def _check_int(value: Any, name: str, minimum: int) -> int:
    """An integer >= `minimum` (bools and non-integral numbers refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(float(value))  # integral, checked above
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

    def __repr__(self) -> str:
        from .._display import neighbourhood_text

        return neighbourhood_text(self)

    def _repr_html_(self) -> str:
        from .._display import text_html

        return text_html("Neighbourhood", repr(self))

    @property
    def ndim(self) -> int | None:
        """Dimension fixed by `ranges` (1-3), or None for an isotropic search."""
        return None if self.ranges is None else len(self.ranges)

    @property
    def matrix(self) -> np.ndarray | None:
        """:func:`anisotropy_matrix` of the ellipsoid, or None when isotropic."""
        return None if self.ranges is None else anisotropy_matrix(self.ranges, self.angles)

    def transform(self, coords: ArrayLike) -> np.ndarray:
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

    # Public field names that shadow tuple's index() and count() methods (mypy flags the
    # override; the fields are the API).
    index: np.ndarray  # type: ignore[assignment]
    distance: np.ndarray
    distance_m: np.ndarray
    count: np.ndarray  # type: ignore[assignment]


def _radius(neighbourhood: Neighbourhood) -> float:
    """The search radius: a float once :class:`Neighbourhood` has checked it."""
    radius = neighbourhood.radius
    if radius is None:  # pragma: no cover - __post_init__ always sets it
        raise InputError("the neighbourhood has no radius; build it with Neighbourhood(...)")
    return float(radius)


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
        # What the kernels read: the samples in the search frame, followed on each
        # row by the same in metres where metric distances differ from search
        # distances (one cache line serves both), and their bounding box.
        frame = self.tree.data
        self._kernel_data = np.ascontiguousarray(
            frame if self._matrix is None else np.concatenate([frame, xyz], axis=1),
            dtype=float,
        )
        self._mins = np.ascontiguousarray(self.tree.mins, dtype=float)
        self._maxes = np.ascontiguousarray(self.tree.maxes, dtype=float)
        radius = _radius(neighbourhood)
        # cKDTree keeps distances < bound: the next float up keeps those == radius.
        self._bound = np.nextafter(radius, np.inf) if np.isfinite(radius) else np.inf

    def __repr__(self) -> str:
        return f"NeighbourSearch({self.n_samples:,} samples in {self.ndim}D, {self.neighbourhood})"

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
        radius, all CPU threads), then one compiled kernel, parallel over the targets
        (numba), that puts equal distances in order of sample index, makes the greedy
        pass, tests every target's answer and writes the final ones with their metric
        distances. The first pool holds ``max_samples + 1`` candidates
        (``1.25 x max_samples`` with an octant or hole limit; more when samples are left
        out). Every sample outside a pool is at least as far as its farthest candidate,
        ``d_p``, so a target's answer is final when

        - the pool holds every sample within the radius; or
        - `max_samples` samples are used, the last nearer than ``d_p``; or
        - every octant is settled: it holds `max_per_octant` used samples nearer
          than ``d_p``, or lies beyond the bounding box of the samples, or all its
          samples within the radius are among the candidates.

        Samples outside the pool then all fall in full octants, or after the last
        sample used (equal distances included), and cannot change the answer. The
        other targets are searched again with a pool twice as large. From a pool of
        ``4 x max_samples`` on, the samples of each open octant are counted (a KD-tree
        count in the cube that holds the octant's part of the search ball, an upper
        bound); an octant settles when the pool has seen that many, and an octant of
        at most 64 samples is fetched whole (one KD-tree query around its cube) and
        merged into the candidates instead of waiting for the pool to reach it. With
        rules, the first 2048 targets of each chunk start from the first pool and the
        others from the pool that was enough for half of those (a limit per hole
        often needs two or four times more). At most about four million (target,
        candidate) pairs are held at once; small steps run on one thread.

        Cost, against a bare ``cKDTree.query(k=max_samples, workers=-1)`` (20,000
        samples, 300,000 targets, 32 samples, ``benchmarks/bench_neighbourhood.py``):
        about 1.1-1.2 x without rules, 1.4-1.5 x with 8 per octant; more where octants
        hold few samples spread far (targets at the edge of the data), up to a pool of
        every sample within the radius; so too for a target that the limits per hole
        leave short of `max_samples`. With an infinite radius and limits that the data
        cannot meet, that is every sample: give a finite radius with them. The first
        search of a process compiles the kernels (several seconds) or loads them from
        numba's cache on disk (a fraction of a second).

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
        rules = _Rules.of(groups, exclude, exclude_group, max_per_group)
        k = self.neighbourhood.max_samples
        m = targets.shape[0]
        # Every row is written whole (padding included) by the kernel once it is final.
        out = _Output(
            np.empty((m, k), dtype=np.int64),
            np.empty((m, k)),
            np.empty((m, k)),
            np.empty(m, dtype=np.int64),
        )
        for start in range(0, m, chunk_size):
            part = slice(start, min(start + chunk_size, m))
            xyz = np.ascontiguousarray(targets[part], dtype=float)
            self._select_chunk(_to_frame(xyz, self._matrix), xyz, rules.take(part), out, start)
        return Neighbours(out.index, out.distance, out.distance_m, out.count)

    def _select_chunk(
        self, t: np.ndarray, xyz: np.ndarray, rules: _Rules, out: _Output, offset: int
    ) -> None:
        """
        Select the neighbours of one chunk of targets and write them to `out`.

        `t` and `xyz` are the targets in the search frame and in metres; target j goes
        to row ``offset + j`` of the outputs.
        """
        nbh = self.neighbourhood
        k = nbh.max_samples
        m = t.shape[0]
        limited = nbh.max_per_octant is not None or rules.max_per_group is not None
        pool = k + max(1, k // 4) if limited else k + 1
        if rules.exclude is not None:
            pool += 1
        if rules.exclude_group is not None and rules.groups is not None and m:
            left_out = rules.exclude_group[rules.exclude_group >= 0]
            if left_out.size:
                pool += int(np.bincount(rules.groups)[left_out].max())
        # Upper bounds on the samples in each octant of each target (-1: not counted).
        counts = None
        if nbh.max_per_octant is not None:
            counts = np.full((m, 2**self.ndim), -1, dtype=np.int64)
        # With rules, a few targets first, from the smallest pool; the others start
        # from the pool that was enough for half of them (rules that need larger pools
        # skip a round). Without, the smallest pool is enough nearly always.
        probe = min(m, _PROBE) if pool > k + 1 else m
        pools = self._rounds(t, xyz, rules, out, offset, counts, np.arange(probe), pool)
        if probe < m:
            pool = int(np.sort(pools)[(probe - 1) // 2])
            self._rounds(t, xyz, rules, out, offset, counts, np.arange(probe, m), pool)

    def _rounds(
        self,
        t: np.ndarray,
        xyz: np.ndarray,
        rules: _Rules,
        out: _Output,
        offset: int,
        counts: np.ndarray | None,
        todo: np.ndarray,
        pool: int,
    ) -> np.ndarray:
        """
        Select for targets `todo` of a chunk, pools doubling from `pool` until final.

        Target j of the chunk goes to row ``offset + j`` of `out`; `counts`: the
        chunk's octant counts (updated). Returns the pool size that made each target
        of `todo` final.
        """
        n, k = self.n_samples, self.neighbourhood.max_samples
        pools = np.empty(todo.size, dtype=np.int64)
        where = np.arange(todo.size)  # position of each open target in `todo`
        while todo.size:
            p = min(pool, n)
            step = max(1, _POOL_PAIRS // p)
            unfinished = []
            for first in range(0, todo.size, step):
                rows = todo[first : first + step]
                c = None if counts is None else counts[rows]
                final = self._select_pool(
                    t[rows], xyz[rows], p, c, p >= _COUNT_AT * k, rules.take(rows),
                    out._replace(rows=offset + rows),
                )
                if counts is not None:
                    counts[rows] = c
                unfinished.append(first + np.flatnonzero(~final))
            still = np.zeros(todo.size, dtype=bool)
            still[np.concatenate(unfinished)] = True
            pools[where[~still]] = p
            todo, where = todo[still], where[still]
            pool = 2 * p
        return pools

    def _select_pool(
        self,
        t: np.ndarray,
        xyz: np.ndarray,
        p: int,
        counts: np.ndarray | None,
        count_now: bool,
        rules: _Rules,
        out: _Output,
    ) -> np.ndarray:
        """
        The greedy pass over the `p` nearest candidates of targets `t` (search frame).

        Returns whether each target's answer is final, i.e. equal to the exhaustive
        search's, and writes the final ones to `out` (row ``out.rows[j]`` for target
        j; `xyz`: the targets in metres). With an octant limit, `counts` (r, 2**d)
        bounds the samples of each octant within the radius from above (-1: unknown);
        with `count_now` the octants still open are counted (in place), and the small
        ones fetched whole.
        """
        n = self.n_samples
        r = t.shape[0]
        i, d = self._nearest(t, p)
        # The pool holds every sample within the radius when it is not full.
        complete = i[:, -1] >= n if p < n else np.ones(r, dtype=bool)
        d_last = np.ascontiguousarray(d[:, -1])
        final, settled = self._greedy(t, xyz, i, d, d_last, complete, counts, None, rules,
                                      out)
        if counts is None:
            return final
        live = np.flatnonzero(~final)
        if count_now and live.size:
            c = counts[live]
            need = ~settled[live] & (c < 0)
            if need.any():  # count the open octants, then look again
                self._count_octants(t[live], need, c)
                counts[live] = c
                again = self._greedy(
                    t[live], xyz[live], i[live], d[live], d_last[live], complete[live],
                    c, None, rules.take(live), out._replace(rows=out.rows[live]),
                )
                final[live], settled[live] = again
                live = live[~again[0]]
        # Octants holding few samples are fetched whole rather than waited for.
        c = counts[live]
        fetch = ~settled[live] & (c > 0) & (c <= _FETCH_MOST)
        go = np.flatnonzero(np.all(settled[live] | fetch, axis=1))
        step = max(1, _POOL_PAIRS // (p + fetch.shape[1] * _FETCH_MOST))
        for first in range(0, go.size, step):
            g = go[first : first + step]
            fr = live[g]
            i2, d2 = self._with_fetched(t[fr], fetch[g], c[g], i[fr], d[fr], d_last[fr])
            final[fr], _ = self._greedy(
                t[fr], xyz[fr], i2, d2, d_last[fr], np.zeros(fr.size, dtype=bool), c[g],
                fetch[g], rules.take(fr), out._replace(rows=out.rows[fr]),
            )
        return final

    def _nearest(self, t: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
        """
        The `p` nearest samples within the radius of targets `t` (search frame).

        Index and search distance (r, p), nearest first (equal distances in the tree's
        order; the greedy kernel puts them in order of sample index); missing
        neighbours come last with index n and distance inf.
        """
        r = t.shape[0]
        d, i = self.tree.query(t, k=p, distance_upper_bound=self._bound,
                               workers=_workers(r * p))
        d = np.ascontiguousarray(d, dtype=float).reshape(r, p)
        i = np.ascontiguousarray(i, dtype=np.int64).reshape(r, p)
        return i, d

    def _greedy(
        self,
        t: np.ndarray,
        xyz: np.ndarray,
        i: np.ndarray,
        d: np.ndarray,
        d_last: np.ndarray,
        complete: np.ndarray,
        counts: np.ndarray | None,
        fetched: np.ndarray | None,
        rules: _Rules,
        out: _Output,
    ) -> tuple[np.ndarray, np.ndarray]:
        """
        The greedy pass over candidates (r, q) sorted by distance: :func:`_greedy_rows`.

        Returns final (r,) and, with an octant limit, the settled octants (r, 2**d);
        writes the final targets to `out`.
        """
        nbh = self.neighbourhood
        none_int, none_bool = np.empty(0, dtype=np.int64), np.empty((0, 1), dtype=bool)
        return _run(
            "greedy", i.size, i, d, d_last, np.ascontiguousarray(complete, dtype=bool), t,
            self._kernel_data, self._mins, self._maxes,
            none_int if rules.groups is None else rules.groups,
            none_int if rules.exclude is None else rules.exclude,
            none_int if rules.exclude_group is None else rules.exclude_group,
            nbh.max_per_octant or 0, rules.max_per_group or 0, nbh.max_samples,
            np.full((0, 1), -1, dtype=np.int64) if counts is None else counts,
            none_bool if fetched is None else np.ascontiguousarray(fetched),
            xyz, out.rows, out.index, out.distance, out.distance_m, out.count,
        )

    def _cubes(self, t: np.ndarray, octant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """
        Cube (centre, Chebyshev radius) holding the part of each target's ball in `octant`.

        Side: the radius, or less where the bounding box of the samples ends nearer.
        The cube is enlarged by a relative 1e-9 so that rounding can only add samples
        to it (to its count, an upper bound).
        """
        sign = 2 * ((octant[:, None] >> np.arange(self.ndim)) & 1) - 1
        lo, hi = self._mins, self._maxes
        reach = np.where(sign > 0, hi - t, t - lo).max(axis=1)
        half = 0.5 * np.minimum(reach, _radius(self.neighbourhood))
        centre = t + sign * half[:, None]
        scale = half + np.abs(t).max(axis=1) + np.abs(np.concatenate([lo, hi])).max()
        return centre, half + 1e-9 * scale + np.finfo(float).tiny

    def _count_octants(self, t: np.ndarray, need: np.ndarray, counts: np.ndarray) -> None:
        """Count (in place) the samples in the cube of every octant where `need`."""
        rows, octant = np.nonzero(need)
        if rows.size:
            centre, half = self._cubes(t[rows], octant)
            counts[rows, octant] = self.tree.query_ball_point(
                centre, half, p=np.inf, return_length=True, workers=_workers(rows.size * 64)
            )

    def _with_fetched(
        self,
        t: np.ndarray,
        fetch: np.ndarray,
        counts: np.ndarray,
        i: np.ndarray,
        d: np.ndarray,
        d_last: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """
        The pool's candidates plus every sample within the radius of the fetched octants.

        For each octant where `fetch`, the `counts` samples of its cube are the nearest
        to the cube's centre in Chebyshev distance: one KD-tree query takes them;
        :func:`_merge_fetched` keeps those in the octant, within the radius and not in
        the (full) pool, after the pool's candidates. Returns index and distance.
        """
        rows, octant = np.nonzero(fetch)
        width = int(counts[rows, octant].max())
        centre, half = self._cubes(t[rows], octant)
        pairs = rows.size * width
        _, got = self.tree.query(
            centre, k=width, p=np.inf, distance_upper_bound=np.nextafter(half.max(), np.inf),
            workers=_workers(pairs),
        )
        got = np.ascontiguousarray(got, dtype=np.int64).reshape(rows.size, width)
        first = np.searchsorted(rows, np.arange(t.shape[0] + 1))
        extra = int(np.diff(first).max()) * width
        return _run(
            "merge", pairs + i.size, i, d, d_last, got, first, octant.astype(np.int64),
            t, self._kernel_data, _radius(self.neighbourhood), extra,
        )


def _workers(pairs: int) -> int:
    """Threads of a KD-tree query of so many (target, neighbour) pairs: all, or one."""
    return -1 if pairs >= _PARALLEL_PAIRS else 1


def _run(name: str, pairs: int, *args: Any) -> Any:
    """
    Call kernel `name`: compiled (on this thread alone when `pairs` is small) or its
    numpy twin, as the selection's tier decides (see :mod:`raremin.geostats._jit`).
    """
    if not _TIER.compiled():
        from . import _search_numpy

        twin = _search_numpy.greedy_rows if name == "greedy" else _search_numpy.merge_fetched
        with _TIER.numpy_time():
            return twin(*args)
    kernel = _kernel(name)
    if pairs >= _PARALLEL_PAIRS:
        return kernel(*args)
    import numba  # imported by _kernel

    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # for this thread's calls only
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(threads)


# ------------------------------------------------------------------------ kernels
#
# _greedy_rows and _merge_fetched are compiled by numba (parallel over targets, cached
# on disk next to this file or in NUMBA_CACHE_DIR) the first time a search needs them,
# by _kernel: numba is imported then, not with this module. Their loops over targets
# use `prange`, which is numba's once they are compiled; _octant is compiled into the
# first. Their numpy twins (raremin.geostats._search_numpy) run until compiling pays:
# see _TIER.

prange = range

_compiled: dict[str, Any] = {}
_compile_lock = threading.Lock()


def _kernel(name: str) -> Any:
    """The compiled kernel ``"greedy"`` or ``"merge"`` (compiled or loaded on first use)."""
    kernel = _compiled.get(name)
    if kernel is not None:
        return kernel
    numba = _jit.import_numba("the compiled neighbour search")
    from numba import types
    from numba.extending import register_jitable

    global prange
    i1, i2 = types.int64[::1], types.int64[:, ::1]
    f1, f2 = types.float64[::1], types.float64[:, ::1]
    b1, b2 = types.boolean[::1], types.boolean[:, ::1]
    signatures = {
        "greedy": (i2, f2, f1, b1, f2, f2, f1, f1, i1, i1, i1, types.int64, types.int64,
                   types.int64, i2, b2, f2, i1, i2, f2, f2, i1),
        "merge": (i2, f2, f1, i2, i1, i1, f2, f2, types.float64, types.int64),
    }
    functions = {"greedy": _greedy_rows, "merge": _merge_fetched}
    with _compile_lock:
        if name not in _compiled:
            prange = numba.prange
            if not _compiled:
                register_jitable(_octant)  # compiled into the kernel that calls it
            _compiled[name] = numba.njit(
                [signatures[name]], parallel=True, cache=True, nogil=True, boundscheck=False
            )(functions[name])
    return _compiled[name]


#: Compiling both kernels takes about 18 s on a fresh install (measured on 2 cores).
_TIER = _jit.Tier("neighbour selection", 18.0, lambda: (_greedy_rows, _merge_fetched))


class _Rules(NamedTuple):
    """The estimators' rules on top of a neighbourhood's (see NeighbourSearch._select)."""

    groups: np.ndarray | None
    exclude: np.ndarray | None
    exclude_group: np.ndarray | None
    max_per_group: int | None

    @classmethod
    def of(
        cls,
        groups: Any,
        exclude: Any,
        exclude_group: Any,
        max_per_group: int | None,
    ) -> _Rules:
        """
        The rules as the kernels take them: contiguous int64 arrays, groups coded 0, 1, ...

        Group codes are replaced by their rank among the codes of the samples (a code
        left out that no sample has becomes -1, as none).
        """

        def as_int(a: Any) -> np.ndarray | None:
            return None if a is None else np.ascontiguousarray(a, dtype=np.int64).ravel()

        groups, exclude_group = as_int(groups), as_int(exclude_group)
        if groups is not None:
            codes, groups = np.unique(groups, return_inverse=True)
            groups = np.ascontiguousarray(groups, dtype=np.int64).ravel()
            if exclude_group is not None:
                rank = np.searchsorted(codes, exclude_group).clip(max=codes.size - 1)
                exclude_group = np.where(codes[rank] == exclude_group, rank, -1)
        limit = None if max_per_group is None else int(max_per_group)
        return cls(groups, as_int(exclude), exclude_group, limit)

    def take(self, rows: Any) -> _Rules:
        """The rules of the targets `rows`."""
        return self._replace(
            exclude=None if self.exclude is None else self.exclude[rows],
            exclude_group=None if self.exclude_group is None else self.exclude_group[rows],
        )


class _Output(NamedTuple):
    """The arrays a selection writes to, and the output row of each target at hand."""

    # Fields named like tuple's index() and count() methods: mypy flags the override.
    index: np.ndarray  # type: ignore[assignment]
    distance: np.ndarray
    distance_m: np.ndarray
    count: np.ndarray  # type: ignore[assignment]
    rows: np.ndarray = np.empty(0, dtype=np.int64)


def _octant(data: np.ndarray, s: int, nd: int, t0: float, t1: float, t2: float) -> int:
    """Octant of sample `s` around a target at (t0, t1, t2): bit a set if >= along axis a."""
    sector = 1 if data[s, 0] >= t0 else 0
    if nd > 1 and data[s, 1] >= t1:
        sector += 2
    if nd > 2 and data[s, 2] >= t2:
        sector += 4
    return sector


def _greedy_rows(
    i, d, d_last, complete, t, data, mins, maxes, groups, exclude, exclude_group,
    octant_limit, group_limit, k, counts, fetched, xyz, rows,
    out_index, out_distance, out_metres, out_count,
):  # pragma: no cover - compiled (the tests run it through the search)
    """
    The greedy pass of every target over its candidates, and the test of its answer.

    Candidates ``i``, ``d`` (r, q) per target, sorted by distance (sorted here in
    place so that equal distances go in order of sample index), missing ones last
    (index n). Every sample that is not a candidate is at least ``d_last`` (r,) away;
    ``complete`` (r,) marks the targets whose candidates hold every sample within the
    radius. ``t`` and ``xyz``: the targets in the search frame and in metres; ``data``:
    the samples in the search frame (d columns), then in metres (d more columns, none
    for an isotropic search: metric distances are then the search distances);
    ``mins``, ``maxes``: their bounding box in the search frame.

    Rules (empty arrays and zero limits: no such rule): ``exclude`` (r,) one sample
    and ``exclude_group`` (r,) one group per target left out; ``groups`` (n,) group
    codes 0, 1, ... (a count per code is kept); at most ``octant_limit`` used samples
    per octant and ``group_limit`` per group, ``k`` in all. ``counts`` (r, 2**d): upper
    bounds on the samples within the radius in each octant (-1: unknown); ``fetched``
    (r, 2**d): octants whose every sample within the radius is among the candidates.

    A target is final (its answer is the exhaustive search's) when its candidates are
    complete, or the k-th sample used is nearer than ``d_last``, or every octant is
    settled (see NeighbourSearch.query). The final ones are written, whole and padded,
    to row ``rows[j]`` of the outputs; a row that is not final may be written in part
    and is overwritten once final. Returns final (r,) and settled (r, 2**d; empty
    without octants).
    """
    r, q = i.shape
    n = data.shape[0]
    nd = t.shape[1]
    n_sectors = 1 << nd
    octants = octant_limit > 0
    by_group = group_limit > 0
    grouped = by_group or exclude_group.size > 0
    plain = not (octants or grouped or exclude.size > 0)  # every candidate used in turn
    metric = data.shape[1] > nd
    n_groups = groups.max() + 1 if by_group else 0
    final = np.zeros(r, dtype=np.bool_)
    settled = np.zeros((r if octants else 0, n_sectors), dtype=np.bool_)
    # Contiguous parts of the targets, each with its own scratch space; a few per thread.
    n_parts = min(r, 256)
    for part in prange(n_parts):
        seen = np.zeros(n_sectors, dtype=np.int64)  # candidates per octant
        taken = np.zeros(n_sectors, dtype=np.int64)  # used samples per octant
        early = np.zeros(n_sectors, dtype=np.int64)  # the same, nearer than d_last
        group_used = np.zeros(n_groups, dtype=np.int64)  # used samples per group
        touched = np.empty(k, dtype=np.int64)  # the groups with used samples
        for j in range(part * r // n_parts, (part + 1) * r // n_parts):
            # Equal distances in order of sample index: insertion within runs of ties.
            for c in range(1, q):
                if d[j, c] == d[j, c - 1] and i[j, c - 1] > i[j, c]:
                    s = i[j, c]
                    x = c
                    while x > 0 and d[j, x - 1] == d[j, c] and i[j, x - 1] > s:
                        i[j, x] = i[j, x - 1]
                        x -= 1
                    i[j, x] = s
            row = rows[j]
            d_far = d_last[j]
            t0 = t[j, 0]
            t1 = t[j, 1] if nd > 1 else 0.0
            t2 = t[j, 2] if nd > 2 else 0.0
            used = 0
            if plain:  # the first k candidates
                while used < min(q, k) and i[j, used] < n:
                    used += 1
                done = complete[j] or (used == k and d[j, k - 1] < d_far)
                if done:
                    for col in range(used):
                        out_index[row, col] = i[j, col]
                        out_distance[row, col] = d[j, col]
            else:
                seen[:] = 0
                taken[:] = 0
                early[:] = 0
                n_touched = 0
                stop = q  # the candidates from `stop` on are not looked at
                for c in range(q):
                    s = i[j, c]
                    if s >= n or used == k:
                        stop = c
                        break
                    sector = 0
                    if octants:  # bit a set: at or above the target along axis a
                        sector = _octant(data, s, nd, t0, t1, t2)
                        seen[sector] += 1
                    if exclude.size > 0 and s == exclude[j]:
                        continue
                    g = 0
                    if grouped:
                        g = groups[s]
                        if exclude_group.size > 0 and g == exclude_group[j]:
                            continue
                        if by_group and group_used[g] >= group_limit:
                            continue
                    if octants:
                        if taken[sector] >= octant_limit:
                            continue
                        taken[sector] += 1
                        if d[j, c] < d_far:
                            early[sector] += 1
                    if by_group:
                        if group_used[g] == 0:
                            touched[n_touched] = g
                            n_touched += 1
                        group_used[g] += 1
                    out_index[row, used] = s
                    out_distance[row, used] = d[j, c]
                    used += 1
                for h in range(n_touched):  # clean for the next target
                    group_used[touched[h]] = 0
                done = complete[j] or (used == k and out_distance[row, k - 1] < d_far)
                if not done and octants:
                    for c in range(stop, q):  # the other candidates seen in each octant
                        s = i[j, c]
                        if s >= n:
                            break
                        seen[_octant(data, s, nd, t0, t1, t2)] += 1
                    done = True
                    for sector in range(n_sectors):
                        ok = early[sector] >= octant_limit
                        ok = ok or (counts[j, sector] >= 0 and seen[sector] >= counts[j, sector])
                        ok = ok or (fetched.shape[0] > 0 and fetched[j, sector])
                        for a in range(nd):  # beyond the bounding box of the samples
                            if (sector >> a) & 1:
                                ok = ok or t[j, a] > maxes[a]
                            else:
                                ok = ok or t[j, a] <= mins[a]
                        settled[j, sector] = ok
                        done = done and ok
            if done:
                final[j] = True
                out_count[row] = used
                if metric:
                    for col in range(used):
                        s = out_index[row, col]
                        square = 0.0
                        for a in range(nd):
                            diff = data[s, nd + a] - xyz[j, a]
                            square += diff * diff
                        out_metres[row, col] = np.sqrt(square)
                else:
                    for col in range(used):
                        out_metres[row, col] = out_distance[row, col]
                for col in range(used, k):
                    out_index[row, col] = -1
                    out_distance[row, col] = np.inf
                    out_metres[row, col] = np.inf
    return final, settled


def _merge_fetched(
    i, d, d_last, got, first, octant, t, data, radius, extra
):  # pragma: no cover - compiled (the tests run it through the search)
    """
    Candidates of a full pool (r, p) followed by the samples of its fetched octants.

    ``got`` holds, per (target, octant) pair, the samples of the octant's cube (index
    n: none); the pairs of target j are ``first[j]:first[j + 1]``, ``octant`` gives
    each pair's octant. A fetched sample is kept when it lies in that octant, within
    the radius, and not nearer than ``d_last`` (nearer ones are in the pool); at
    exactly ``d_last`` only when the pool does not hold it. The kept ones follow the
    pool, by distance then sample index, with the distances computed as the tree does
    (square root of the sum of squares, axis by axis). Returns index and distance
    (r, p + extra), padded with n and inf.
    """
    r, p = i.shape
    n = data.shape[0]
    nd = t.shape[1]
    i2 = np.full((r, p + extra), n, dtype=np.int64)
    d2 = np.full((r, p + extra), np.inf)
    for j in prange(r):
        i2[j, :p] = i[j]
        d2[j, :p] = d[j]
        d_far = d_last[j]
        end = p
        for pair in range(first[j], first[j + 1]):
            for c in range(got.shape[1]):
                s = got[pair, c]
                if s >= n:
                    break
                square = 0.0
                sector = 0
                for a in range(nd):
                    diff = data[s, a] - t[j, a]
                    square += diff * diff
                    if diff >= 0:
                        sector |= 1 << a
                dist = np.sqrt(square)
                if sector != octant[pair] or dist > radius or dist < d_far:
                    continue
                if dist == d_far:  # the pool may hold it
                    held = False
                    for x in range(p - 1, -1, -1):
                        if d[j, x] < d_far:
                            break
                        if i[j, x] == s:
                            held = True
                            break
                    if held:
                        continue
                i2[j, end] = s
                d2[j, end] = dist
                end += 1
        if end - p > 1:
            ids = i2[j, p:end].copy()
            dists = d2[j, p:end].copy()
            by_index = np.argsort(ids)
            ids, dists = ids[by_index], dists[by_index]
            order = np.argsort(dists, kind="mergesort")  # stable: ties stay by index
            i2[j, p:end] = ids[order]
            d2[j, p:end] = dists[order]
    return i2, d2


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
