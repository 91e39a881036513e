"""
Variogram models: nugget plus nested structures with 3D geometric anisotropy.

A :class:`VariogramModel` is a nugget effect and a sum of :class:`Structure` objects.
Each structure has a shape (spherical, exponential, Gaussian, cubic, linear), a sill
contribution (the slope for the unbounded linear shape), ranges along its own axes and
GSLIB's angles. Structures see lags through their anisotropy matrix
(:func:`raremin.geostats.neighbourhood.anisotropy_matrix`): a lag ``dx`` has the
reduced distance ``h = |A dx|``, 1 at the range.

Range convention: the *practical* range, as in GSLIB. The exponential and Gaussian
shapes reach 95 % of their sill at the range: ``1 - exp(-3h)`` and
``1 - exp(-3h**2)`` (the factor 3 of GSLIB; gstat's and GSTools' "range" parameters are
scale parameters, a third of the practical range for the exponential and
``1/sqrt(3)`` of it for the Gaussian: convert with :meth:`Structure.from_scale`).

Every shape is written once, here, as its normalised variogram of ``h`` and its
normalised covariance of ``h**2``: plain functions that numpy runs on arrays (the
methods below, variogram fitting) and that numba compiles unchanged into the kriging
kernel (``raremin.geostats._system``), which evaluates them on reduced coordinates:
:meth:`VariogramModel.reduced` gives, for each structure, the coordinates multiplied by
its anisotropy matrix, so that Euclidean distances between reduced points are the
structure's ``h``.

Examples
--------
>>> from raremin.geostats.models import Structure, VariogramModel
>>> model = VariogramModel(0.1, [Structure("spherical", 0.9, 2000.0)])
>>> model.sill
1.0
>>> round(float(model.gamma_h([0.0, 1000.0, 2000.0, 5000.0])[1]), 6)
0.71875
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError
from .neighbourhood import anisotropy_matrix

__all__ = ["SHAPES", "Structure", "VariogramModel"]

#: Shapes of variogram structures; "linear" is unbounded (no sill, no covariance).
SHAPES = ("spherical", "exponential", "gaussian", "cubic", "linear")

# Each shape is written once, below, as two plain functions of a float or an array:
# its normalised variogram g(h) of the reduced distance h (1 at the practical range),
# and its normalised covariance 1 - g (for "linear" the generalised covariance -h) of
# the *squared* reduced distance h2, which is what kriging systems hold (no square
# root for the Gaussian). They use only arithmetic, np.minimum, np.sqrt, np.exp and
# np.expm1, so numpy runs them on arrays and numba compiles them unchanged into the
# kriging kernel (raremin.geostats._system); the shape's integer code (its position in
# SHAPES) selects them there. Nothing else in raremin evaluates a shape.


def _spherical_gamma(h: Any) -> Any:
    hc = np.minimum(h, 1.0)
    return hc * (1.5 - 0.5 * hc * hc)


def _spherical_covariance(h2: Any) -> Any:
    hc2 = np.minimum(h2, 1.0)
    return 1.0 + np.sqrt(hc2) * (0.5 * hc2 - 1.5)


def _exponential_gamma(h: Any) -> Any:
    return -np.expm1(-3.0 * h)


def _exponential_covariance(h2: Any) -> Any:
    return np.exp(-3.0 * np.sqrt(h2))


def _gaussian_gamma(h: Any) -> Any:
    return -np.expm1(-3.0 * h * h)


def _gaussian_covariance(h2: Any) -> Any:
    return np.exp(-3.0 * h2)


def _cubic_gamma(h: Any) -> Any:
    hc = np.minimum(h, 1.0)
    h2 = hc * hc
    return h2 * (7.0 - hc * (8.75 - h2 * (3.5 - 0.75 * h2)))  # GSLIB's cubic


def _cubic_covariance(h2: Any) -> Any:
    hc2 = np.minimum(h2, 1.0)
    return 1.0 - hc2 * (7.0 - np.sqrt(hc2) * (8.75 - hc2 * (3.5 - 0.75 * hc2)))


def _linear_gamma(h: Any) -> Any:
    return h


def _linear_covariance(h2: Any) -> Any:
    return -np.sqrt(h2)  # generalised covariance (Matheron, 1973)


#: Per shape, in the order of SHAPES: (variogram of h, covariance of h squared).
_SHAPE_FUNCTIONS = (
    (_spherical_gamma, _spherical_covariance),
    (_exponential_gamma, _exponential_covariance),
    (_gaussian_gamma, _gaussian_covariance),
    (_cubic_gamma, _cubic_covariance),
    (_linear_gamma, _linear_covariance),
)


def _unit_gamma(shape: str, h: np.ndarray) -> np.ndarray:
    """Normalised variogram of a shape at reduced distance h (1 at the practical range)."""
    if shape not in SHAPES:  # pragma: no cover - Structure validates the shape
        raise InputError(f"unknown variogram shape {shape!r}; use one of {SHAPES}")
    return _SHAPE_FUNCTIONS[SHAPES.index(shape)][0](h)


def _unit_covariance(code: int, h2: Any) -> Any:
    """
    Normalised covariance of the shape numbered `code` at squared reduced distances.

    The one dispatch from a shape code to its covariance, for numpy arrays and, compiled
    by numba, for the kriging kernel (where the code varies per structure at run time).
    """
    if code == 0:
        return _spherical_covariance(h2)
    if code == 1:
        return _exponential_covariance(h2)
    if code == 2:
        return _gaussian_covariance(h2)
    if code == 3:
        return _cubic_covariance(h2)
    return _linear_covariance(h2)


@dataclasses.dataclass(frozen=True)
class Structure:
    """
    One nested structure of a variogram model.

    Parameters
    ----------
    shape : {"spherical", "exponential", "gaussian", "cubic", "linear"}
        The shape.
    sill : float
        Sill contribution (> 0); for ``"linear"`` the slope per unit of reduced distance.
    ranges : float or sequence of float
        Practical range (m): one value (isotropic) or ``(major, semi_minor, minor)``
        in 3D, ``(major, minor)`` in 2D. For ``"linear"``, the distance that counts as
        one unit (default 1 m), so the slope per metre is ``sill / range``.
    angles : sequence of float
        ``(azimuth, dip, rake)`` in degrees, GSLIB's conventions (azimuth clockwise
        from north, dip negative downwards); see
        :func:`raremin.geostats.neighbourhood.anisotropy_matrix`.

    Examples
    --------
    >>> from raremin.geostats.models import Structure
    >>> s = Structure("exponential", 500.0, 3000.0)
    >>> round(float(s.gamma_h(1.0)), 4)  # 95 % of the sill at the practical range
    475.1065
    """

    shape: str
    sill: float
    ranges: Any = 1.0
    angles: Any = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise InputError(f"unknown variogram shape {self.shape!r}; use one of {SHAPES}")
        sill = float(self.sill)
        if not math.isfinite(sill) or sill <= 0:
            raise InputError(
                f"{self.shape} structure: sill must be > 0; got {self.sill} "
                f"(a structure with no sill adds nothing: leave it out)"
            )
        ranges = tuple(float(r) for r in np.atleast_1d(np.asarray(self.ranges, dtype=float)))
        if not ranges or any(not math.isfinite(r) or r <= 0 for r in ranges):
            raise InputError(f"{self.shape} structure: ranges must be > 0; got {self.ranges}")
        angles = tuple(float(a) for a in np.atleast_1d(np.asarray(self.angles, dtype=float)))
        object.__setattr__(self, "sill", sill)
        object.__setattr__(self, "ranges", ranges)
        object.__setattr__(self, "angles", angles)

    @classmethod
    def from_scale(
        cls, shape: str, sill: float, scale: Any, angles: Any = (0.0, 0.0, 0.0)
    ) -> Structure:
        """
        Build from a *scale* parameter (gstat, GSTools) instead of the practical range.

        Exponential: range = 3 x scale; Gaussian: range = sqrt(3) x scale; others: equal.

        Examples
        --------
        >>> from raremin.geostats.models import Structure
        >>> Structure.from_scale("exponential", 1.0, 100.0).ranges
        (300.0,)
        """
        factor = {"exponential": 3.0, "gaussian": math.sqrt(3.0)}.get(shape, 1.0)
        return cls(shape, sill, np.asarray(scale, dtype=float) * factor, angles)

    @property
    def bounded(self) -> bool:
        """False for the linear shape, which has no sill."""
        return self.shape != "linear"

    def __repr__(self) -> str:
        from .._display import structure_text

        return structure_text(self, kind="Structure")

    def _repr_html_(self) -> str:
        from .._display import structure_html

        return structure_html(self)

    def matrix(self, ndim: int) -> np.ndarray:
        """
        Anisotropy matrix for `ndim`-dimensional lags (isotropic ranges are repeated).

        Examples
        --------
        >>> from raremin.geostats.models import Structure
        >>> Structure("spherical", 1.0, 100.0).matrix(2).tolist()
        [[0.0, 0.01], [-0.01, 0.0]]
        """
        ranges = self.ranges if len(self.ranges) == ndim else (self.ranges[0],) * ndim
        if len(self.ranges) not in (1, ndim):
            raise InputError(
                f"structure has {len(self.ranges)} ranges but the data are {ndim}-D"
            )
        angles = self.angles[: {1: 0, 2: 1, 3: 3}[ndim]] or (0.0,)
        if ndim == 1:
            return np.array([[1.0 / ranges[0]]])
        return anisotropy_matrix(ranges, angles)

    def gamma_h(self, h: ArrayLike) -> np.ndarray:
        """
        Variogram at reduced distances `h` (1 = the practical range).

        Examples
        --------
        >>> from raremin.geostats.models import Structure
        >>> float(Structure("spherical", 2.0, 10.0).gamma_h(1.0))
        2.0
        """
        return self.sill * _unit_gamma(self.shape, np.asarray(h, dtype=float))


@dataclasses.dataclass(frozen=True)
class VariogramModel:
    """
    A nugget effect plus nested structures.

    Parameters
    ----------
    nugget : float
        Nugget effect (>= 0).
    structures : sequence of Structure
        The nested structures (may be empty: pure nugget).

    Notes
    -----
    ``gamma(dx) = nugget [dx != 0] + sum_s sill_s g_s(|A_s dx|)``; for bounded models
    ``C(dx) = sill - gamma(dx)`` with ``sill = nugget + sum_s sill_s``
    (Deutsch and Journel, 1998, section II.3; Journel and Huijbregts, 1978).

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> m = VariogramModel(0.1, [Structure("spherical", 0.9, (2000.0, 2000.0, 100.0))])
    >>> m.gamma(np.array([[0.0, 0.0, 50.0]])).round(4)
    array([0.7188])
    """

    nugget: float = 0.0
    structures: Sequence[Structure] = ()

    def __post_init__(self) -> None:
        nugget = float(self.nugget)
        if not math.isfinite(nugget) or nugget < 0:
            raise InputError(f"nugget must be >= 0; got {self.nugget}")
        structures = tuple(self.structures)
        for s in structures:
            if not isinstance(s, Structure):
                raise InputError(f"structures must be Structure objects; got {type(s).__name__}")
        if nugget == 0 and not structures:
            raise InputError("a variogram model needs a nugget or at least one structure")
        object.__setattr__(self, "nugget", nugget)
        object.__setattr__(self, "structures", structures)

    def __repr__(self) -> str:
        from .._display import variogram_model_text

        return variogram_model_text(self)

    def _repr_html_(self) -> str:
        from .._display import variogram_model_html

        return variogram_model_html(self)

    def __add__(self, other: VariogramModel) -> VariogramModel:
        """Nested sum: nuggets add, structures are pooled."""
        if not isinstance(other, VariogramModel):
            return NotImplemented
        return VariogramModel(self.nugget + other.nugget, (*self.structures, *other.structures))

    @property
    def bounded(self) -> bool:
        """True when every structure has a sill (then a covariance exists)."""
        return all(s.bounded for s in self.structures)

    @property
    def sill(self) -> float:
        """Total sill: nugget plus every structure's sill (bounded models only)."""
        if not self.bounded:
            raise InputError("a model with a linear structure has no sill")
        return self.nugget + sum(s.sill for s in self.structures)

    @property
    def is_isotropic(self) -> bool:
        """True when every structure has one range (angles are then irrelevant)."""
        return all(len(s.ranges) == 1 for s in self.structures)

    def gamma_h(self, h: ArrayLike) -> np.ndarray:
        """
        Variogram of an isotropic model at distances `h` (m); nugget excluded at 0.

        Examples
        --------
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> VariogramModel(0.1, [Structure("linear", 0.006)]).gamma_h([0.0, 10.0]).tolist()
        [0.0, 0.16]
        """
        h = np.asarray(h, dtype=float)
        if not self.is_isotropic:
            raise InputError("gamma_h needs an isotropic model; use gamma(lag vectors)")
        out = np.where(h > 0, self.nugget, 0.0)
        for s in self.structures:
            out = out + s.gamma_h(h / s.ranges[0])
        return out

    def gamma(self, lags: ArrayLike) -> np.ndarray:
        """
        Variogram of lag vectors ``(..., ndim)``; the nugget is 0 at a zero lag.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> m = VariogramModel(0.0, [Structure("exponential", 1.0, 300.0)])
        >>> m.gamma(np.array([[300.0, 0.0]])).round(4)
        array([0.9502])
        """
        lags = np.asarray(lags, dtype=float)
        ndim = lags.shape[-1]
        zero = ~np.any(lags != 0, axis=-1)
        out = np.where(zero, 0.0, self.nugget)
        for s in self.structures:
            h = np.linalg.norm(lags @ s.matrix(ndim).T, axis=-1)
            out = out + s.gamma_h(h)
        return out

    def covariance(self, lags: ArrayLike) -> np.ndarray:
        """
        Covariance ``sill - gamma`` of lag vectors (bounded models only).

        The nugget counts at a zero lag only. Computed from each shape's covariance
        function (the one kriging uses), not as a difference.

        Raises
        ------
        InputError
            The model has a linear (unbounded) structure: no covariance.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> m = VariogramModel(0.1, [Structure("spherical", 0.9, 100.0)])
        >>> m.covariance(np.zeros((1, 3))).tolist()
        [1.0]
        """
        if not self.bounded:
            raise InputError(
                "a model with a linear structure has no sill and no covariance; use gamma()"
            )
        lags = np.asarray(lags, dtype=float)
        ndim = lags.shape[-1]
        zero = ~np.any(lags != 0, axis=-1)
        out = np.where(zero, self.nugget, 0.0)
        for s in self.structures:
            reduced = lags @ s.matrix(ndim).T
            h2 = np.einsum("...i,...i->...", reduced, reduced)
            out = out + s.sill * _unit_covariance(SHAPES.index(s.shape), h2)
        return out

    def reduced(self, coords: ArrayLike) -> list[np.ndarray]:
        """
        Coordinates seen by each structure: ``coords @ A_s.T`` for every structure.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> m = VariogramModel(0.0, [Structure("spherical", 1.0, 10.0)])
        >>> float(np.linalg.norm(m.reduced(np.array([[10.0, 0.0]]))[0]))
        1.0
        """
        coords = np.asarray(coords, dtype=float)
        return [coords @ s.matrix(coords.shape[-1]).T for s in self.structures]

    def describe(self) -> str:
        """
        One line stating the model.

        Examples
        --------
        >>> from raremin.geostats.models import Structure, VariogramModel
        >>> VariogramModel(0.1, [Structure("spherical", 0.9, 2000.0)]).describe()
        'nugget 0.1 + spherical(sill 0.9, ranges 2000 m)'
        """
        parts = [f"nugget {self.nugget:g}"]
        for s in self.structures:
            ranges = "/".join(f"{r:g}" for r in s.ranges)
            angles = "" if not any(s.angles) else f", angles {tuple(s.angles)}"
            parts.append(f"{s.shape}(sill {s.sill:g}, ranges {ranges} m{angles})")
        return " + ".join(parts)
