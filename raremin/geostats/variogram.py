"""
Experimental variograms and the fitting of variogram models to them.

:func:`experimental_variogram` computes the classical (Matheron) semivariogram of
samples in 1, 2 or 3 dimensions, omnidirectional or along one direction with GSLIB's
angle tolerances and bandwidths, optionally with declustering weights. It returns a
frozen :class:`ExperimentalVariogram`. :func:`fit_variogram` fits a nugget plus nested
structures (a :class:`~raremin.geostats.models.VariogramModel`) to one experimental
variogram, or a geometrically anisotropic model to a set of directional ones, by
weighted least squares; it returns a :class:`VariogramFit`. :func:`plot_variogram`
draws experimental variograms and a model.

Conventions
-----------
- Lag bins are half-open ``(lo, hi]``, as in gstat: a pair at exactly ``hi`` belongs
  to that bin, a pair at exactly ``lo`` to the bin below. A first bin starting at 0 is
  closed, ``[0, hi]``, so pairs of samples at the same location count in it.
- Defaults follow gstat: the largest lag is a third of the diagonal of the samples'
  bounding box and is cut into 15 equal bins from 0.
- Directions use the angles of :func:`raremin.geostats.neighbourhood.anisotropy_matrix`:
  azimuth clockwise from north in degrees, dip negative downwards.
- Ranges of fitted models are *practical* ranges (GSLIB; see
  :mod:`raremin.geostats.models`).

Examples
--------
>>> import numpy as np
>>> from raremin.geostats.variogram import experimental_variogram, fit_variogram
>>> rng = np.random.default_rng(0)
>>> xy = rng.uniform(0.0, 1000.0, (300, 2))
>>> z = np.sin(xy[:, 0] / 150.0) + 0.1 * rng.standard_normal(300)
>>> ev = experimental_variogram(xy, z, n_lags=10, max_lag=500.0)
>>> int(ev.n_pairs.sum()) > 0, float(ev.bin_edges[-1])
(True, 500.0)
>>> east = experimental_variogram(xy, z, n_lags=10, max_lag=500.0, azimuth=90.0)
>>> north = experimental_variogram(xy, z, n_lags=10, max_lag=500.0, azimuth=0.0)
>>> bool(east.gamma[3] > 5 * north.gamma[3])  # the field varies along east only
True
>>> fit = fit_variogram(ev, ("gaussian",))
>>> fit.model.structures[0].shape
'gaussian'
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree

from .._validation import as_float_array, check_finite, check_weights
from ..errors import ConvergenceError, InputError
from .models import SHAPES, Structure, VariogramModel, _unit_gamma

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "ExperimentalVariogram",
    "VariogramFit",
    "experimental_variogram",
    "fit_variogram",
    "plot_variogram",
]

#: Largest number of candidate pairs handled at once; more samples are processed in
#: chunks of rows so that memory stays bounded (about 100 bytes per pair).
PAIR_BUDGET = 4_194_304

#: gstat's default number of lag bins.
DEFAULT_N_LAGS = 15

#: Most lag bins an experimental variogram may have (a guard before any allocation).
MAX_LAG_BINS = 10_000

#: Relative slack of the angle and bandwidth tests, so that lags exactly on a
#: tolerance (regular grids) are accepted despite rounding.
_SLACK = 1e-12

_WEIGHTINGS = ("cressie", "npairs", "none")


# --------------------------------------------------------------------------- helpers
def _trig(degrees: float) -> tuple[float, float]:
    """Sine and cosine of an angle in degrees, exact at multiples of 90 degrees."""
    rad = math.radians(degrees)
    s, c = math.sin(rad), math.cos(rad)
    s = 0.0 if abs(s) < 1e-15 else (math.copysign(1.0, s) if abs(abs(s) - 1) < 1e-15 else s)
    c = 0.0 if abs(c) < 1e-15 else (math.copysign(1.0, c) if abs(abs(c) - 1) < 1e-15 else c)
    return s, c


def _check_scalar(value: Any, name: str, *, positive: bool = False, allow_inf: bool = False,
                  hint: str = "") -> float:
    """A real number (not NaN; finite unless `allow_inf`; > 0 if `positive`)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number; got {value!r}" + (f" ({hint})" if hint else ""))
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise InputError(f"{name} must be a finite number; got {value!r}")
    if positive and not v > 0:
        raise InputError(f"{name} must be > 0; got {value!r}" + (f" ({hint})" if hint else ""))
    return v


def _check_tolerance(value: Any, name: str) -> float:
    """An angle tolerance in (0, 90] degrees."""
    tol = _check_scalar(value, name)
    if not 0 < tol <= 90:
        raise InputError(
            f"{name} must be in (0, 90] degrees; got {value!r} (90 accepts every angle; "
            f"use azimuth=None for an omnidirectional variogram)"
        )
    return tol


def _as_coords(coords: Any) -> np.ndarray:
    """Coordinates as an (n, d) float array, d = 1-3; a 1-D array is n points on a line."""
    xyz = check_finite(coords, "coordinates")
    if xyz.ndim == 1:
        xyz = xyz[:, None]
    if xyz.ndim != 2 or not 1 <= xyz.shape[1] <= 3:
        raise InputError(
            f"coordinates must have shape (n, d) with d = 1, 2 or 3 columns (easting, "
            f"northing, elevation in metres); got shape {xyz.shape}"
        )
    return xyz


def _lag_edges(coords: np.ndarray, n_lags: Any, lag_width: Any, max_lag: Any,
               bins: Any) -> np.ndarray:
    """Bin edges from explicit `bins` or from n_lags / lag_width / max_lag."""
    if bins is not None:
        if lag_width is not None or max_lag is not None:
            raise InputError(
                "give either bins (the lag bin edges) or lag_width / max_lag, not both"
            )
        if isinstance(bins, numbers.Number):
            raise InputError(
                f"bins must be a sequence of bin edges in metres; got {bins!r} (use n_lags "
                f"for a number of equal bins)"
            )
        edges = check_finite(bins, "bins")
        if edges.ndim != 1 or edges.size < 2:
            raise InputError(f"bins must hold at least 2 edges (one bin); got {bins!r}")
        if edges[0] < 0:
            raise InputError(f"bin edges must be >= 0 (distances); got {edges[0]} first")
        steps = np.diff(edges)
        if np.any(steps <= 0):
            k = int(np.flatnonzero(steps <= 0)[0])
            raise InputError(
                f"bin edges must be strictly increasing; {edges[k + 1]} follows {edges[k]} at "
                f"position {k + 1}"
            )
        return edges
    if isinstance(n_lags, numbers.Real) and not isinstance(n_lags, bool) \
            and float(n_lags).is_integer() and float(n_lags) > MAX_LAG_BINS:
        raise InputError(
            f"n_lags = {n_lags:g} lag bins is more than the limit of {MAX_LAG_BINS:,} (each "
            f"bin needs pairs to mean anything); use fewer bins, e.g. n_lags=15 to 40")
    if isinstance(n_lags, bool) or not isinstance(n_lags, numbers.Integral) or n_lags < 1:
        raise InputError(f"n_lags must be an integer >= 1; got {n_lags!r}")
    n_lags = int(n_lags)
    if lag_width is not None:
        lag_width = _check_scalar(lag_width, "lag_width", positive=True,
                                  hint="the width of each lag bin in metres")
    if max_lag is None:
        if lag_width is not None:
            return lag_width * np.arange(n_lags + 1, dtype=float)
        extent = coords.max(axis=0) - coords.min(axis=0)
        diagonal = float(np.sqrt(np.sum(extent * extent)))
        if diagonal == 0:
            raise InputError(
                "all samples are at the same location: there is no lag distance to bin"
            )
        max_lag = diagonal / 3.0
    else:
        max_lag = _check_scalar(max_lag, "max_lag", positive=True,
                                hint="the largest lag distance in metres")
    if lag_width is None:
        edges = np.linspace(0.0, max_lag, n_lags + 1)
    else:
        count = max(1, math.ceil(max_lag / lag_width - 1e-9))
        if count > MAX_LAG_BINS:
            raise InputError(
                f"lag_width = {lag_width:g} m up to max_lag = {max_lag:g} m makes {count:,} lag "
                f"bins, more than the limit of {MAX_LAG_BINS:,}; use a wider lag_width")
        edges = np.minimum(lag_width * np.arange(count + 1, dtype=float), max_lag)
        edges[-1] = max_lag
    return edges


def _pair_chunks(coords: np.ndarray, radius: float, budget: int):
    """Yield (i, j) index arrays (i < j) of every pair within `radius`, in chunks."""
    n = coords.shape[0]
    tree = cKDTree(coords)
    if n * (n - 1) // 2 <= budget:
        pairs = tree.query_pairs(radius, output_type="ndarray")
        yield pairs[:, 0], pairs[:, 1]
        return
    # Chunks of samples taken in the order of the tree's leaves are compact in space,
    # which keeps each chunk-against-all search short.
    order = np.asarray(tree.indices, dtype=np.intp)
    rows = max(1, budget // n)
    for start in range(0, n, rows):
        rows_idx = order[start:start + rows]
        found = cKDTree(coords[rows_idx]).sparse_distance_matrix(
            tree, radius, output_type="ndarray"
        )
        i = rows_idx[found["i"]]
        j = found["j"].astype(np.intp)
        keep = j > i
        yield i[keep], j[keep]


def _direction_mask(d: np.ndarray, h: np.ndarray, spec: dict[str, float]) -> np.ndarray:
    """Which lag vectors `d` (rows; lengths `h`) belong to the direction in `spec`."""
    ndim = d.shape[1]
    sa, ca = spec["sin_az"], spec["cos_az"]
    ex, ny = d[:, 0], d[:, 1]
    along_h = ex * sa + ny * ca  # component along the azimuth in plan
    band_h = np.abs(ex * ca - ny * sa)  # plan distance from the direction's vertical plane
    ok = band_h <= spec["bandwidth"] * (1 + _SLACK) + _SLACK * h
    if ndim == 2:
        ok &= np.abs(along_h) >= h * (spec["cos_tol"] - _SLACK)
        return ok | (h == 0)
    dz = d[:, 2]
    sd, cd = spec["sin_dip"], spec["cos_dip"]
    dxy = np.hypot(ex, ny)
    dxy_signed = np.where(along_h < 0, -dxy, dxy)
    band_v = np.abs(cd * dz - sd * dxy_signed)  # distance from the line in that plane
    ok &= band_v <= spec["dip_bandwidth"] * (1 + _SLACK) + _SLACK * h
    if spec["cos_dip_tol"] is None:  # a cone about the direction
        along = cd * along_h + sd * dz
        ok &= np.abs(along) >= h * (spec["cos_tol"] - _SLACK)
    else:  # GSLIB gamv: azimuth tolerance in plan, then dip tolerance in the vertical plane
        ok &= (np.abs(along_h) >= dxy * (spec["cos_tol"] - _SLACK)) | (dxy == 0)
        ok &= np.abs(dxy_signed * cd + dz * sd) >= h * (spec["cos_dip_tol"] - _SLACK)
    return ok | (h == 0)


def _describe_direction(azimuth: float | None, dip: float, tol: float,
                        dip_tol: float | None, ndim: int) -> str:
    if azimuth is None:
        return "omnidirectional"
    text = f"azimuth {azimuth:g}°"
    if ndim == 3:
        text += f", dip {dip:g}°"
    text += f" ± {tol:g}°"
    if ndim == 3 and dip_tol is not None:
        text += f" (dip ± {dip_tol:g}°)"
    return text


def _readonly(values: Any, dtype: Any) -> np.ndarray:
    arr = np.array(values, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


# ------------------------------------------------------------------- the experimental
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class ExperimentalVariogram:
    """
    An experimental semivariogram: one value per lag bin.

    Usually made by :func:`experimental_variogram`; it can also be built directly
    (for example from another program's output) to fit a model to it.

    Parameters
    ----------
    lag_m : array_like of float, shape (n_bins,)
        Mean distance of the pairs in each bin. Units: metres. NaN for empty bins.
    gamma : array_like of float, shape (n_bins,)
        Semivariance of each bin (>= 0). Units: the values' unit squared. NaN for
        empty bins.
    n_pairs : array_like of int, shape (n_bins,)
        Number of pairs in each bin (>= 0).
    bin_edges : array_like of float, shape (n_bins + 1,)
        Edges of the bins, strictly increasing, >= 0; bin ``k`` is
        ``(bin_edges[k], bin_edges[k + 1]]``. Units: metres.
    direction : str, optional
        Description of the direction; made from the angles when omitted.
    azimuth : float, optional
        Azimuth of the direction, degrees clockwise from north; None when
        omnidirectional.
    dip : float, default 0
        Dip of the direction, degrees, negative downwards (-90 to 90).
    angle_tolerance : float, optional
        Angular tolerance used, degrees (None when omnidirectional).
    ndim : int, optional
        Dimension of the sample coordinates (1-3), if known.
    variance : float, default NaN
        Variance of the values (weighted when declustering weights were used), the
        usual reference for the sill. Units: the values' unit squared.

    Raises
    ------
    InputError
        Arrays of different lengths, negative pair counts or semivariances, edges not
        increasing, angles out of range.

    Examples
    --------
    >>> from raremin.geostats.variogram import ExperimentalVariogram
    >>> ev = ExperimentalVariogram([5.0, 15.0], [0.4, 0.9], [30, 52], [0.0, 10.0, 20.0])
    >>> ev.direction, ev.n_bins
    ('omnidirectional', 2)
    >>> ev.to_frame()["gamma"].tolist()
    [0.4, 0.9]
    """

    lag_m: Any
    gamma: Any
    n_pairs: Any
    bin_edges: Any
    direction: str | None = None
    azimuth: float | None = None
    dip: float = 0.0
    angle_tolerance: float | None = None
    ndim: int | None = None
    variance: float = math.nan

    def __repr__(self) -> str:
        from .._display import fmt, text_repr

        lags = np.asarray(self.lag_m, dtype=float)
        shown = lags[np.isfinite(lags)]
        span = f"{fmt(shown.min())} to {fmt(shown.max())} m" if shown.size else "no pairs"
        return text_repr("ExperimentalVariogram", self.direction or "omnidirectional",
                         f"{self.n_bins} lags, {span}",
                         f"{int(np.sum(self.n_pairs)):,} pairs",
                         f"variance {fmt(self.variance)}")

    def __post_init__(self) -> None:
        lag = as_float_array(self.lag_m, "lag_m").ravel()
        gamma = as_float_array(self.gamma, "gamma").ravel()
        npairs = as_float_array(self.n_pairs, "n_pairs").ravel()
        edges = check_finite(self.bin_edges, "bin_edges").ravel()
        n = lag.size
        if gamma.size != n or npairs.size != n or edges.size != n + 1:
            raise InputError(
                f"lag_m, gamma and n_pairs need one value per bin and bin_edges one more; "
                f"got {lag.size}, {gamma.size}, {npairs.size} and {edges.size}"
            )
        if n == 0:
            raise InputError("an experimental variogram needs at least one lag bin")
        if np.any(~np.isfinite(npairs)) or np.any(npairs < 0) or np.any(npairs % 1 != 0):
            raise InputError(f"n_pairs must be whole numbers >= 0; got {npairs.tolist()}")
        if edges[0] < 0 or np.any(np.diff(edges) <= 0):
            raise InputError(
                f"bin_edges must be >= 0 and strictly increasing; got {edges.tolist()}"
            )
        filled = npairs > 0
        for name, arr in (("lag_m", lag), ("gamma", gamma)):
            bad = filled & ~np.isfinite(arr)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise InputError(f"{name} is {arr[k]} in bin {k}, which has {int(npairs[k])} pairs")
        if np.any(gamma[filled] < 0) or np.any(lag[filled] < 0):
            raise InputError("gamma and lag_m must be >= 0")
        azimuth = None if self.azimuth is None else _check_scalar(self.azimuth, "azimuth")
        dip = _check_scalar(self.dip, "dip")
        if not -90 <= dip <= 90:
            raise InputError(f"dip must be between -90 and 90 degrees; got {self.dip!r}")
        tol = None if self.angle_tolerance is None else _check_tolerance(
            self.angle_tolerance, "angle_tolerance")
        ndim = self.ndim
        if ndim is not None and (isinstance(ndim, bool) or ndim not in (1, 2, 3)):
            raise InputError(f"ndim must be 1, 2 or 3; got {ndim!r}")
        direction = self.direction
        if direction is None:
            direction = _describe_direction(azimuth, dip, 22.5 if tol is None else tol, None,
                                            ndim or (3 if dip else 2))
        lag = np.where(filled, lag, np.nan)
        gamma = np.where(filled, gamma, np.nan)
        object.__setattr__(self, "lag_m", _readonly(lag, float))
        object.__setattr__(self, "gamma", _readonly(gamma, float))
        object.__setattr__(self, "n_pairs", _readonly(npairs, np.int64))
        object.__setattr__(self, "bin_edges", _readonly(edges, float))
        object.__setattr__(self, "direction", str(direction))
        object.__setattr__(self, "azimuth", azimuth)
        object.__setattr__(self, "dip", dip)
        object.__setattr__(self, "angle_tolerance", tol)
        object.__setattr__(self, "ndim", None if ndim is None else int(ndim))
        object.__setattr__(self, "variance", float(self.variance))

    @property
    def n_bins(self) -> int:
        """Number of lag bins, empty ones included."""
        return int(self.lag_m.size)

    @property
    def max_lag(self) -> float:
        """Upper edge of the last bin, metres."""
        return float(self.bin_edges[-1])

    def to_frame(self) -> pd.DataFrame:
        """
        The variogram as a table, one row per bin.

        Returns
        -------
        pandas.DataFrame
            Columns ``bin_lo_m``, ``bin_hi_m`` (the bin ``(lo, hi]``, metres), ``lag_m``
            (mean pair distance, metres), ``gamma`` and ``n_pairs``.

        Examples
        --------
        >>> from raremin.geostats.variogram import ExperimentalVariogram
        >>> ev = ExperimentalVariogram([4.0], [1.5], [12], [0.0, 10.0])
        >>> list(ev.to_frame().columns)
        ['bin_lo_m', 'bin_hi_m', 'lag_m', 'gamma', 'n_pairs']
        """
        import pandas as pd

        return pd.DataFrame({
            "bin_lo_m": self.bin_edges[:-1],
            "bin_hi_m": self.bin_edges[1:],
            "lag_m": self.lag_m,
            "gamma": self.gamma,
            "n_pairs": self.n_pairs,
        })

    def plot(self, ax: Any = None, model: Any = None) -> Axes:
        """
        Draw this variogram (and optionally a model); see :func:`plot_variogram`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from raremin.geostats.variogram import ExperimentalVariogram
        >>> ax = ExperimentalVariogram([4.0], [1.5], [12], [0.0, 10.0]).plot()
        >>> ax.get_xlabel()
        'Lag distance (m)'
        """
        return plot_variogram(self, ax=ax, model=model)

    def _unit_vector(self, ndim: int) -> np.ndarray:
        """Unit vector of the direction (east, north[, up]) for `ndim`-D lags."""
        sa, ca = _trig(self.azimuth or 0.0)
        sd, cd = _trig(self.dip)
        if ndim == 1:
            return np.array([1.0])
        if ndim == 2:
            return np.array([sa, ca])
        return np.array([cd * sa, cd * ca, sd])


def experimental_variogram(
    coords: ArrayLike,
    values: Any,
    *,
    n_lags: int = DEFAULT_N_LAGS,
    lag_width: float | None = None,
    max_lag: float | None = None,
    azimuth: float | None = None,
    dip: float = 0.0,
    angle_tolerance: float = 22.5,
    bandwidth: float = np.inf,
    dip_tolerance: float | None = None,
    dip_bandwidth: float = np.inf,
    weights: ArrayLike | None = None,
    bins: Any = None,
) -> ExperimentalVariogram:
    """
    Compute the experimental semivariogram of samples, omnidirectional or directional.

    Parameters
    ----------
    coords : array_like, shape (n, d) or (n,)
        Sample coordinates, d = 1, 2 or 3 (easting, northing, elevation). A 1-D array
        is n positions on a line. Units: metres.
    values : array_like, shape (n,)
        The variable (a grade, its logarithm, an indicator...). No NaN: remove missing
        samples first.
    n_lags : int, default 15
        Number of equal lag bins from 0 to `max_lag` (ignored when `bins` is given).
    lag_width : float, optional
        Width of each bin. Units: metres. With `max_lag`, the bins are as many as
        needed to reach it (the last one may be narrower); without it, `n_lags` bins.
    max_lag : float, optional
        Largest lag distance. Units: metres. Default: a third of the diagonal of the
        samples' bounding box (gstat's default cutoff).
    azimuth : float, optional
        Direction of the variogram, degrees clockwise from north. None (default): an
        omnidirectional variogram (angles and bandwidths are then not used).
    dip : float, default 0
        Dip of the direction, degrees, negative downwards; 3D data only (-90 to 90).
    angle_tolerance : float, default 22.5
        Half-angle of the accepted cone of lag vectors about the direction, degrees,
        in (0, 90]. With `dip_tolerance` (3D), the tolerance on the azimuth in plan.
    bandwidth : float, default inf
        Largest horizontal distance of a lag vector from the vertical plane that holds
        the direction (GSLIB's horizontal bandwidth). Units: metres.
    dip_tolerance : float, optional
        3D only: GSLIB's separate tolerance on the dip, degrees, in (0, 90]. None
        (default): one cone of half-angle `angle_tolerance` about the direction.
    dip_bandwidth : float, default inf
        3D only: largest distance of a lag vector from the direction within that
        vertical plane (GSLIB's vertical bandwidth). Units: metres.
    weights : array_like, shape (n,), optional
        Non-negative declustering weights, one per sample.
    bins : array_like, optional
        Explicit bin edges, strictly increasing, >= 0 (metres); bin ``k`` is
        ``(bins[k], bins[k + 1]]``. Not with `lag_width` or `max_lag`.

    Returns
    -------
    ExperimentalVariogram
        Mean pair distance, semivariance and pair count of every bin (empty bins have
        0 pairs and NaN distance and semivariance), the bin edges, and the direction.

    Raises
    ------
    InputError
        NaN or infinite coordinates or values (the message gives the position); fewer
        than 2 samples; bad lags or bins; a tolerance outside (0, 90]; a bandwidth
        <= 0; a direction for 1-D data or a dip for 2-D data; bad weights.

    Notes
    -----
    **Estimator** (Matheron, 1963): for the set ``N(k)`` of pairs ``(i, j)`` whose
    distance ``h_ij = |x_j - x_i|`` falls in bin ``k``,

    ``gamma_k = 1 / (2 |N(k)|) * sum_{(i, j) in N(k)} (z_i - z_j)**2``,

    and ``lag_m`` is the mean of ``h_ij`` over the same pairs. Each unordered pair
    counts once. With declustering weights ``w``,

    ``gamma_k = sum w_i w_j (z_i - z_j)**2 / (2 sum w_i w_j)``

    (sums over ``N(k)``); ``lag_m`` and ``n_pairs`` stay unweighted, and pairs with
    ``w_i w_j = 0`` are left out.

    **Bins** are ``(lo, hi]`` as in gstat (Pebesma, 2004), with a first bin from 0
    closed at 0; the default largest lag is a third of the bounding-box diagonal and
    the default bins are 15 equal ones (gstat's ``cutoff`` and ``width``).

    **Directions** (Deutsch and Journel, 1998, chapter III, program ``gamv``). The
    direction's unit vector is ``u = (cos(dip) sin(az), cos(dip) cos(az), sin(dip))``
    (east, north, up); a lag ``d`` and its opposite ``-d`` are the same pair. A pair
    counts when

    - its angle to the direction line is within the tolerance:
      ``|d . u| >= |d| cos(angle_tolerance)``; with `dip_tolerance`, GSLIB's two tests
      instead: ``|d_h . u_h| >= |d_h| cos(angle_tolerance)`` for the plan projections
      ``d_h`` and ``u_h = (sin az, cos az)``, then
      ``|s |d_h| cos(dip) + d_z sin(dip)| >= |d| cos(dip_tolerance)`` with ``s`` the
      sign of ``d_h . u_h``;
    - its horizontal distance from the direction's vertical plane is within the
      bandwidth: ``|d_e cos(az) - d_n sin(az)| <= bandwidth``;
    - (3D) its distance from the direction within that plane is within the vertical
      bandwidth: ``|d_z cos(dip) - s |d_h| sin(dip)| <= dip_bandwidth``.

    Pairs of coincident samples belong to every direction. Pairs are found with a
    KD-tree (all pairs within the largest lag, in chunks of at most
    :data:`PAIR_BUDGET` pairs) and binned with ``numpy.bincount``.

    References
    ----------
    Matheron, G. (1963). Principles of geostatistics. *Economic Geology* 58(8),
    1246-1266.

    Deutsch, C.V. and Journel, A.G. (1998). *GSLIB: Geostatistical Software Library
    and User's Guide*, 2nd edition. Oxford University Press, New York.

    Pebesma, E.J. (2004). Multivariable geostatistics in S: the gstat package.
    *Computers & Geosciences* 30(7), 683-691.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.variogram import experimental_variogram
    >>> z = [41.2, 40.2, 39.7, 39.2, 40.1, 38.3, 39.1, 40.0, 41.1, 40.3]
    >>> ev = experimental_variogram(np.arange(10.0), z, bins=[0.5, 1.5, 2.5])
    >>> ev.gamma.round(4).tolist(), ev.n_pairs.tolist()
    ([0.4917, 0.7625], [9, 8])
    >>> xy = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]]
    >>> ew = experimental_variogram(xy, [1.0, 2.0, 1.0, 2.0], bins=[5.0, 15.0],
    ...                             azimuth=90.0, angle_tolerance=10.0)
    >>> ew.n_pairs.tolist(), ew.gamma.tolist()
    ([2], [0.5])
    """
    xyz = _as_coords(coords)
    n, ndim = xyz.shape
    z = check_finite(values, "values")
    if z.ndim != 1 or z.size != n:
        raise InputError(
            f"values must be 1-D with one value per sample ({n}); got shape {z.shape}"
        )
    if n < 2:
        raise InputError(f"a variogram needs at least 2 samples; got {n}")
    w = None if weights is None else check_weights(weights, n, "weights")
    edges = _lag_edges(xyz, n_lags, lag_width, max_lag, bins)

    spec: dict[str, Any] | None = None
    tol = _check_tolerance(angle_tolerance, "angle_tolerance")
    dip = _check_scalar(dip, "dip")
    dip_tol = None if dip_tolerance is None else _check_tolerance(dip_tolerance, "dip_tolerance")
    band = _check_scalar(bandwidth, "bandwidth", positive=True, allow_inf=True)
    dip_band = _check_scalar(dip_bandwidth, "dip_bandwidth", positive=True, allow_inf=True)
    if not -90 <= dip <= 90:
        raise InputError(f"dip must be between -90 and 90 degrees; got {dip!r}")
    if azimuth is not None:
        azimuth = _check_scalar(azimuth, "azimuth")
        if ndim == 1:
            raise InputError(
                f"1-D data have no direction; got azimuth={azimuth!r}: use azimuth=None"
            )
        if ndim == 2 and dip != 0:
            raise InputError(
                f"2-D data are horizontal; got dip={dip!r}: use dip=0 or 3-D coordinates"
            )
        sa, ca = _trig(azimuth)
        sd, cd = _trig(dip)
        spec = {
            "sin_az": sa, "cos_az": ca, "sin_dip": sd, "cos_dip": cd,
            "cos_tol": _trig(tol)[1], "bandwidth": band, "dip_bandwidth": dip_band,
            "cos_dip_tol": None if dip_tol is None else _trig(dip_tol)[1],
        }
    elif dip != 0:
        raise InputError(f"dip={dip!r} needs an azimuth; an omnidirectional variogram has none")

    n_bins = edges.size - 1
    count = np.zeros(n_bins)
    sum_h = np.zeros(n_bins)
    sum_sq = np.zeros(n_bins)
    sum_w = np.zeros(n_bins)
    radius = float(edges[-1]) * (1 + 1e-9) + 1e-300
    closed_zero = edges[0] == 0
    for i, j in _pair_chunks(xyz, radius, PAIR_BUDGET):
        d = xyz[j] - xyz[i]
        h = np.sqrt(np.einsum("ij,ij->i", d, d))
        k = np.searchsorted(edges, h, side="left") - 1
        if closed_zero:
            k[h == 0] = 0
        keep = (k >= 0) & (k < n_bins)
        if spec is not None:
            keep &= _direction_mask(d, h, spec)
        if w is not None:
            keep &= w[i] * w[j] > 0
        k, h, i, j = k[keep], h[keep], i[keep], j[keep]
        sq = (z[j] - z[i]) ** 2
        count += np.bincount(k, minlength=n_bins)
        sum_h += np.bincount(k, weights=h, minlength=n_bins)
        if w is None:
            sum_sq += np.bincount(k, weights=sq, minlength=n_bins)
        else:
            wij = w[i] * w[j]
            sum_sq += np.bincount(k, weights=wij * sq, minlength=n_bins)
            sum_w += np.bincount(k, weights=wij, minlength=n_bins)
    denom = count if w is None else sum_w
    with np.errstate(invalid="ignore", divide="ignore"):
        lag = np.where(count > 0, sum_h / count, np.nan)
        gamma = np.where((count > 0) & (denom > 0), sum_sq / (2.0 * denom), np.nan)
    if w is None:
        variance = float(np.var(z))
    else:
        mean = float(np.sum(w * z) / np.sum(w))
        variance = float(np.sum(w * (z - mean) ** 2) / np.sum(w))
    return ExperimentalVariogram(
        lag_m=lag,
        gamma=gamma,
        n_pairs=count.astype(np.int64),
        bin_edges=edges,
        direction=_describe_direction(azimuth, dip, tol, dip_tol, ndim),
        azimuth=azimuth,
        dip=dip,
        angle_tolerance=None if azimuth is None else tol,
        ndim=ndim,
        variance=variance,
    )


# --------------------------------------------------------------------------- fitting
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class VariogramFit:
    """
    The result of :func:`fit_variogram`.

    Attributes
    ----------
    model : VariogramModel
        The fitted model (practical ranges, metres).
    rmse : float
        Root mean square of ``gamma - gamma_model`` over the non-empty bins (unweighted).
        Units: the values' unit squared.
    weighted_sse : float
        The minimised criterion: the weighted sum of squared residuals (see
        :func:`fit_variogram`, Notes).
    table : pandas.DataFrame
        One row per non-empty bin: ``direction``, ``lag_m``, ``n_pairs``, ``gamma``
        (experimental), ``gamma_model`` and ``residual`` (``gamma - gamma_model``).
    weighting : str
        The weighting used.
    experimental : tuple of ExperimentalVariogram
        The variograms fitted.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.geostats.variogram import ExperimentalVariogram, fit_variogram
    >>> true = VariogramModel(0.2, [Structure("spherical", 1.0, 300.0)])
    >>> lags = np.arange(25.0, 500.0, 50.0)
    >>> ev = ExperimentalVariogram(lags, true.gamma_h(lags), [100] * 10,
    ...                            np.arange(0.0, 501.0, 50.0))
    >>> fit = fit_variogram(ev, "spherical")
    >>> fit.model.describe()
    'nugget 0.2 + spherical(sill 1, ranges 300 m)'
    >>> fit.rmse < 1e-8
    True
    """

    model: VariogramModel
    rmse: float
    weighted_sse: float
    table: Any
    weighting: str
    experimental: tuple[ExperimentalVariogram, ...]

    def __repr__(self) -> str:
        from .._display import fmt, text_repr

        return text_repr("VariogramFit", self.model.describe(),
                         f"rmse {fmt(self.rmse)}, weighting {self.weighting}",
                         f"{len(self.table)} lags of {len(self.experimental)} variogram(s)")

    def plot(self, ax: Any = None) -> Axes:
        """
        Draw the experimental variograms with the fitted model (:func:`plot_variogram`).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from raremin.geostats.variogram import ExperimentalVariogram, fit_variogram
        >>> ev = ExperimentalVariogram([5.0, 15.0, 25.0], [0.5, 0.9, 1.0], [40, 60, 70],
        ...                            [0.0, 10.0, 20.0, 30.0])
        >>> ax = fit_variogram(ev, "spherical", nugget=False).plot()
        >>> [line.get_label() for line in ax.get_lines()]
        ['model']
        """
        return plot_variogram(list(self.experimental), ax=ax, model=self.model)


def _as_variograms(experimental: Any) -> list[ExperimentalVariogram]:
    if isinstance(experimental, ExperimentalVariogram):
        items = [experimental]
    elif isinstance(experimental, Sequence) and not isinstance(experimental, str):
        items = list(experimental)
    else:
        raise InputError(
            "experimental must be an ExperimentalVariogram or a list of them; got "
            f"{type(experimental).__name__}"
        )
    if not items:
        raise InputError("no experimental variogram given: the list is empty")
    for k, ev in enumerate(items):
        if not isinstance(ev, ExperimentalVariogram):
            raise InputError(
                f"experimental[{k}] must be an ExperimentalVariogram; got {type(ev).__name__}"
            )
    return items


def _check_pair(pair: Any, name: str) -> tuple[float, float]:
    """A (lo, hi) bound pair with 0 <= lo < hi (hi may be inf)."""
    try:
        lo, hi = (float(v) for v in pair)
    except (TypeError, ValueError):
        raise InputError(f"bounds[{name!r}] must be a (low, high) pair; got {pair!r}") from None
    if math.isnan(lo) or math.isnan(hi) or math.isinf(lo) or lo < 0 or not hi > lo:
        raise InputError(
            f"bounds[{name!r}] must satisfy 0 <= low < high; got {pair!r} (nugget, sills "
            f"and ranges are never negative)"
        )
    return lo, hi


def _per_structure(value: Any, k: int, name: str) -> list[tuple[float, float]]:
    """One (lo, hi) pair for every structure, from one pair or a list of pairs."""
    arr = np.asarray(value, dtype=object)
    if arr.ndim == 1 and arr.size == 2 and not isinstance(arr[0], (Sequence, np.ndarray)):
        return [_check_pair(value, name)] * k
    pairs = list(value)
    if len(pairs) != k:
        raise InputError(
            f"bounds[{name!r}] must be one (low, high) pair or one pair per structure "
            f"({k}); got {value!r}"
        )
    return [_check_pair(p, f"{name}[{s}]") for s, p in enumerate(pairs)]


@dataclasses.dataclass
class _Problem:
    """Parameter layout of a fit, in normalised units (gamma / g_scale, h / h_scale)."""

    shapes: tuple[str, ...]
    n_dir: int
    fit_nugget: bool
    nugget_value: float  # fixed nugget when not fitted
    total: float | None  # fixed total sill
    ranged: list[int]  # structures that have fitted ranges (not linear)

    @property
    def n_comp(self) -> int:
        """Number of variance components the sill parameters describe."""
        return len(self.shapes) + int(self.fit_nugget)

    def n_sill_params(self) -> int:
        return self.n_comp if self.total is None else self.n_comp - 1

    def unpack(self, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Nugget, sills (k,) and ranges (k, n_dir) from the parameter vector."""
        m = self.n_sill_params()
        head, tail = x[:m], x[m:]
        if self.total is None:
            comps = list(head)
        else:
            rest = self.total - (0.0 if self.fit_nugget else self.nugget_value)
            comps = []
            for f in head:
                comps.append(rest * f)
                rest = rest * (1.0 - f)
            comps.append(rest)
        nugget = comps[0] if self.fit_nugget else self.nugget_value
        sills = np.asarray(comps[int(self.fit_nugget):], dtype=float)
        ranges = np.ones((len(self.shapes), self.n_dir))
        if self.ranged:
            ranges[self.ranged] = np.asarray(tail, dtype=float).reshape(len(self.ranged),
                                                                       self.n_dir)
        return float(nugget), sills, ranges

    def gamma(self, x: np.ndarray, h: np.ndarray, d: np.ndarray) -> np.ndarray:
        nugget, sills, ranges = self.unpack(x)
        out = np.where(h > 0, nugget, 0.0)
        for s, shape in enumerate(self.shapes):
            out = out + sills[s] * _unit_gamma(shape, h / ranges[s, d])
        return out


def _residuals(model: np.ndarray, g: np.ndarray, npairs: np.ndarray, weighting: str) -> np.ndarray:
    if weighting == "cressie":
        return np.sqrt(npairs) * (g / np.maximum(model, 1e-12) - 1.0)
    if weighting == "npairs":
        return np.sqrt(npairs) * (g - model)
    return g - model


def _inside(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """`x` moved strictly inside the box [lo, hi]."""
    span = np.where(np.isfinite(hi), hi - lo, np.maximum(np.abs(lo), 1.0))
    return np.clip(x, lo + 1e-6 * span, np.where(np.isfinite(hi), hi - 1e-6 * span, np.inf))


def _azimuth_of(ev: ExperimentalVariogram, k: int) -> float:
    """Azimuth of directional variogram `k`; InputError for an omnidirectional one."""
    if ev.azimuth is None:
        raise InputError(
            f"experimental[{k}] is omnidirectional; geometric anisotropy needs "
            f"directional variograms (or use anisotropy=False)"
        )
    return ev.azimuth


def _anisotropy_axes(items: list[ExperimentalVariogram]) -> tuple[list[int], int | None, int]:
    """Indices of the two horizontal directions, of the vertical one, and the dimension."""
    horizontal: list[int] = []
    vertical: list[int] = []
    for k, ev in enumerate(items):
        _azimuth_of(ev, k)
        if abs(ev.dip) == 90:
            vertical.append(k)
        elif ev.dip == 0:
            horizontal.append(k)
        else:
            raise InputError(
                f"experimental[{k}] dips {ev.dip:g}°: geometric anisotropy is fitted from "
                f"horizontal directions (dip 0) and an optional vertical one (dip -90)"
            )
    if len(horizontal) != 2 or len(vertical) > 1:
        raise InputError(
            f"geometric anisotropy needs two perpendicular horizontal directions and at "
            f"most one vertical; got {len(horizontal)} horizontal and {len(vertical)} vertical"
        )
    a, b = (_azimuth_of(items[k], k) for k in horizontal)
    gap = (a - b) % 180.0
    if abs(gap - 90.0) > 1e-6:
        raise InputError(
            f"the horizontal directions must be perpendicular; got azimuths {a:g} and {b:g}"
        )
    dims = {ev.ndim for ev in items if ev.ndim is not None}
    if len(dims) > 1:
        raise InputError(f"the variograms come from data of different dimensions {sorted(dims)}")
    ndim = dims.pop() if dims else (3 if vertical else 2)
    if ndim == 3 and not vertical:
        raise InputError(
            "3-D data need a vertical variogram (dip -90) too, for the vertical range; or "
            "use anisotropy=False for one isotropic model"
        )
    if ndim == 2 and vertical:
        raise InputError("a vertical variogram needs 3-D data")
    return horizontal, (vertical[0] if vertical else None), ndim


def fit_variogram(
    experimental: Any,
    shapes: Any = ("spherical",),
    *,
    nugget: bool | float = True,
    weighting: str = "cressie",
    bounds: dict[str, Any] | None = None,
    sill: float | None = None,
    ranges: Any = None,
    anisotropy: bool | None = None,
) -> VariogramFit:
    """
    Fit a nugget plus nested structures to experimental variograms by weighted least squares.

    Parameters
    ----------
    experimental : ExperimentalVariogram or sequence of them
        One variogram (fitted by an isotropic model), or directional variograms: two
        perpendicular horizontal directions, plus a vertical one for 3-D data, for a
        model with geometric anisotropy.
    shapes : str or sequence of str, default ("spherical",)
        Shape of each nested structure: ``"spherical"``, ``"exponential"``,
        ``"gaussian"``, ``"cubic"`` or ``"linear"``.
    nugget : bool or float, default True
        True: fit a nugget effect (>= 0); False: no nugget; a number: the nugget fixed
        to it (units of gamma).
    weighting : {"cressie", "npairs", "none"}, default "cressie"
        Weight of each bin: ``N / gamma_model**2`` (Cressie, 1985), ``N`` (its pair
        count), or 1.
    bounds : dict, optional
        Limits of the parameters, keys ``"nugget"``, ``"sill"`` and ``"range"``; each
        a ``(low, high)`` pair, or for sills and ranges one pair per structure. Units:
        gamma for the nugget and sills, metres for the ranges. Defaults: nugget in
        ``[0, max gamma]``; each sill in ``(0, 4 max(max gamma, variance)]``; each
        range in ``(0, 2 max_lag]``.
    sill : float, optional
        Fix the total sill (nugget plus structures) to this value, e.g. the declustered
        variance. Units: gamma. Not with a linear structure.
    ranges : float or sequence, optional
        Initial ranges (metres), one per structure (each a number, or one per
        direction); tried first, before the default start points.
    anisotropy : bool, optional
        True: fit one range per direction for every structure (geometric anisotropy).
        False: one isotropic model for all the variograms together. None (default):
        True when several variograms are given.

    Returns
    -------
    VariogramFit
        The model, the RMSE and weighted SSE, and a table of fitted against
        experimental values.

    Raises
    ------
    InputError
        Unknown shape or weighting; bad bounds (negative, low >= high), ranges (<= 0)
        or sill; an empty variogram or fewer non-empty bins than parameters;
        directions that do not suit geometric anisotropy.
    ConvergenceError
        No start point led to a solution.

    Warns
    -----
    UserWarning
        A fitted range ended at its upper bound (the variogram may not reach its sill
        within the lags) or a sill at its lower bound (the structure adds nothing).

    Notes
    -----
    The model along direction ``d`` at lag ``h`` is
    ``gamma(h) = c0 [h > 0] + sum_s c_s g_s(h / a_sd)`` with nugget ``c0``, sills
    ``c_s``, unit shapes ``g_s`` and practical ranges ``a_sd``
    (:mod:`raremin.geostats.models`). The fit minimises, over the non-empty bins
    ``k`` of every variogram, ``sum_k r_k**2`` with

    - ``"cressie"``: ``r_k = sqrt(N_k) (gamma_k / gamma(h_k) - 1)``, i.e. the weights
      ``N_k / gamma(h_k)**2`` of Cressie (1985), which favour short lags and bins with
      many pairs;
    - ``"npairs"``: ``r_k = sqrt(N_k) (gamma_k - gamma(h_k))``;
    - ``"none"``: ``r_k = gamma_k - gamma(h_k)``;

    where ``h_k`` is the bin's mean pair distance; this sum is ``weighted_sse``. It
    uses ``scipy.optimize.least_squares`` (trust-region reflective, box bounds) from
    several start points and keeps the best. With a fixed total sill ``S`` the
    components are parametrised by stick-breaking fractions (``c0 = S f0``,
    ``c1 = S (1 - f0) f1``, ...), so that they stay positive and add up to ``S``.
    A linear structure has its range fixed to the largest lag (its sill is then the
    increase of gamma over that distance).

    Anisotropy is kept simple: each structure gets one range per direction; the
    larger horizontal one is the major range at that direction's azimuth, the other
    the minor range, and the vertical one (3D) the third:
    ``Structure(shape, c_s, (major, minor[, vertical]), (azimuth_major, 0, 0))``.

    References
    ----------
    Cressie, N. (1985). Fitting variogram models by weighted least squares.
    *Mathematical Geology* 17(5), 563-586.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.geostats.variogram import ExperimentalVariogram, fit_variogram
    >>> true = VariogramModel(0.0, [Structure("exponential", 2.0, 900.0)])
    >>> edges = np.arange(0.0, 1001.0, 100.0)
    >>> lags = edges[1:] - 50.0
    >>> ev = ExperimentalVariogram(lags, true.gamma_h(lags), [50] * 10, edges)
    >>> fit = fit_variogram(ev, ["exponential"], nugget=False)
    >>> s = fit.model.structures[0]
    >>> round(s.sill, 6), round(s.ranges[0], 3)
    (2.0, 900.0)
    """
    from scipy.optimize import least_squares  # slow to load: on use
    items = _as_variograms(experimental)
    if isinstance(shapes, str):
        shapes = (shapes,)
    shapes = tuple(shapes)
    if not shapes:
        raise InputError("shapes is empty: give at least one structure, e.g. ('spherical',)")
    for shape in shapes:
        if shape not in SHAPES:
            raise InputError(f"unknown variogram shape {shape!r}; use one of {SHAPES}")
    if weighting not in _WEIGHTINGS:
        raise InputError(f"unknown weighting {weighting!r}; use one of {_WEIGHTINGS}")
    if anisotropy is None:
        anisotropy = len(items) > 1
    if anisotropy:
        horizontal, vertical, ndim = _anisotropy_axes(items)
    n_dir = len(items) if anisotropy else 1

    # ------------------------------------------------------------------ the data
    h_list, g_list, n_list, d_list = [], [], [], []
    for k, ev in enumerate(items):
        use = ev.n_pairs > 0
        h_list.append(ev.lag_m[use])
        g_list.append(ev.gamma[use])
        n_list.append(ev.n_pairs[use].astype(float))
        d_list.append(np.full(int(use.sum()), k if anisotropy else 0))
    h_all = np.concatenate(h_list)
    g_all = np.concatenate(g_list)
    n_all = np.concatenate(n_list)
    d_all = np.concatenate(d_list)
    if h_all.size == 0:
        raise InputError(
            "the experimental variogram is empty (no bin has pairs): use a larger max_lag "
            "or a wider angle tolerance"
        )
    h_scale = max(ev.max_lag for ev in items)
    variances = [ev.variance for ev in items if math.isfinite(ev.variance)]
    g_max = float(np.max(g_all))
    g_scale = g_max if g_max > 0 else (max(variances) if variances and max(variances) > 0
                                       else 1.0)
    level = max([g_max, *variances]) / g_scale

    # ------------------------------------------------------------ nugget and sill
    bounds = {} if bounds is None else dict(bounds)
    unknown = set(bounds) - {"nugget", "sill", "range"}
    if unknown:
        raise InputError(f"unknown bounds {sorted(unknown)}; use 'nugget', 'sill' and 'range'")
    k_struct = len(shapes)
    ranged = [s for s, shape in enumerate(shapes) if shape != "linear"]
    if isinstance(nugget, bool):
        fit_nugget, nugget_value = nugget, 0.0
    else:
        fit_nugget = False
        nugget_value = _check_scalar(nugget, "nugget", hint="a fixed nugget, >= 0, or True")
        if nugget_value < 0:
            raise InputError(f"nugget must be >= 0; got {nugget!r}")
        nugget_value /= g_scale
    if "nugget" in bounds and not fit_nugget:
        raise InputError("bounds['nugget'] needs nugget=True (the nugget is not fitted)")
    n_lo, n_hi = _check_pair(bounds.get("nugget", (0.0, g_max or g_scale)), "nugget")
    total = None
    if sill is not None:
        total = _check_scalar(sill, "sill", positive=True, hint="the total sill to fix")
        if "sill" in bounds:
            raise InputError("give either sill (fixed total sill) or bounds['sill'], not both")
        if "linear" in shapes:
            raise InputError("a linear structure has no sill: sill cannot be fixed")
        total /= g_scale
        if total <= nugget_value:
            raise InputError(
                f"the fixed sill {sill} must exceed the fixed nugget {nugget_value * g_scale}"
            )
    sill_bounds = _per_structure(bounds.get("sill", (0.0, 4.0 * level * g_scale)), k_struct,
                                 "sill")
    range_bounds = _per_structure(bounds.get("range", (0.0, 2.0 * h_scale)), k_struct, "range")
    tiny_range = 1e-6
    problem = _Problem(shapes, n_dir, fit_nugget, nugget_value, total, ranged)

    lo: list[float] = []
    hi: list[float] = []
    if total is None:
        if fit_nugget:
            lo.append(n_lo / g_scale)
            hi.append(n_hi / g_scale)
        for s_lo, s_hi in sill_bounds:
            lo.append(max(s_lo / g_scale, 1e-9))
            hi.append(s_hi / g_scale)
    else:
        for c in range(problem.n_sill_params()):
            if c == 0 and fit_nugget:
                lo.append(min(n_lo / g_scale / total, 1.0 - 1e-9))
                hi.append(min(n_hi / g_scale / total, 1.0 - 1e-9))
            else:
                lo.append(1e-9)
                hi.append(1.0 - 1e-9)
        if lo and any(a >= b for a, b in zip(lo, hi, strict=True)):
            raise InputError(
                f"bounds['nugget'] {bounds.get('nugget')} leave no room below the fixed sill "
                f"{sill}"
            )
    for s in ranged:
        r_lo, r_hi = range_bounds[s]
        lo.extend([max(r_lo / h_scale, tiny_range)] * n_dir)
        hi.extend([r_hi / h_scale] * n_dir)
    lo_arr, hi_arr = np.array(lo, dtype=float), np.array(hi, dtype=float)
    if np.any(lo_arr >= hi_arr):
        raise InputError(f"bounds leave no room for the parameters: {bounds}")
    n_par = lo_arr.size
    if h_all.size < n_par:
        raise InputError(
            f"{h_all.size} non-empty lag bins cannot determine {n_par} parameters: use more "
            f"lags or fewer structures"
        )

    # ------------------------------------------------------------ start points
    user_ranges = None
    if ranges is not None:
        user_ranges = _initial_ranges(ranges, k_struct, n_dir)
    top = g_all[h_all >= np.quantile(h_all, 2.0 / 3.0)] / g_scale
    plateau = float(np.mean(top)) if top.size else 1.0
    plateau = max(plateau, 1e-6)
    nugget_starts: tuple[float | None, ...] = (0.05, 0.35) if fit_nugget else (None,)
    fractions = (0.1, 0.3, 0.6, 1.0)
    range_sets: list[list[float] | None]
    if len(ranged) <= len(fractions):
        range_sets = [list(c) for c in itertools.combinations(fractions, len(ranged))]
    else:
        range_sets = [list(np.geomspace(0.05, 1.0, len(ranged)))]
    if user_ranges is not None:
        range_sets.insert(0, None)
    starts = []
    for rset in range_sets:
        for nf in nugget_starts:
            x0 = []
            if total is None:
                c0 = 0.0 if nf is None else nf * plateau
                if fit_nugget:
                    x0.append(c0)
                rest = max(plateau - c0 - (nugget_value if not fit_nugget else 0.0),
                           0.05 * plateau)
                x0.extend([rest / k_struct] * k_struct)
            else:  # shares of the fixed sill, as stick-breaking fractions
                share = 0.0 if nf is None else nf  # nf is None when the nugget is not fitted
                parts = ([share] if fit_nugget else []) + [
                    (1.0 - share) / k_struct] * k_struct
                left = 1.0
                for part in parts[:-1]:
                    x0.append(part / left)
                    left -= part
            for i_s, s in enumerate(ranged):
                if rset is not None:
                    x0.extend([rset[i_s]] * n_dir)
                elif user_ranges is not None:  # the None set stands for the user's ranges
                    x0.extend((user_ranges[s] / h_scale).tolist())
            starts.append(_inside(np.array(x0, dtype=float), lo_arr, hi_arr))

    def fun(x: np.ndarray) -> np.ndarray:
        return _residuals(problem.gamma(x, h_all / h_scale, d_all), g_all / g_scale, n_all,
                          weighting)

    best = None
    for start in starts:
        try:
            res = least_squares(fun, start, bounds=(lo_arr, hi_arr), method="trf",
                                ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=200 * (n_par + 1))
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - defensive
            continue
        if np.isfinite(res.cost) and (best is None or res.cost < best.cost):
            best = res
    if best is None:  # pragma: no cover - defensive
        raise ConvergenceError("the variogram fit failed from every start point")

    x = best.x
    _warn_bounds(problem, x, lo_arr, hi_arr, shapes, items if anisotropy else None)
    nug, sills, rng = problem.unpack(x)
    nug *= g_scale
    sills = sills * g_scale
    rng = rng * h_scale
    structures = []
    for s, shape in enumerate(shapes):
        if shape == "linear":
            structures.append(Structure("linear", sills[s], h_scale))
        elif not anisotropy:
            structures.append(Structure(shape, sills[s], rng[s, 0]))
        else:
            a, b = horizontal
            major, minor = (a, b) if rng[s, a] >= rng[s, b] else (b, a)
            axes = [rng[s, major], rng[s, minor]]
            if ndim == 3:
                axes.append(rng[s, vertical])
            structures.append(Structure(shape, sills[s], tuple(axes),
                                        (_azimuth_of(items[major], major) % 180.0, 0.0, 0.0)))
    model = VariogramModel(nug if nug > 1e-12 * g_scale else 0.0, structures)
    return _fit_result(model, items, weighting, anisotropy)


def _initial_ranges(ranges: Any, k_struct: int, n_dir: int) -> np.ndarray:
    """Initial ranges as a (k, n_dir) array in metres, all > 0."""
    arr = check_finite(ranges, "ranges")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.shape[0] != k_struct:
        raise InputError(
            f"ranges must give one initial range per structure ({k_struct}); got {ranges!r}"
        )
    if arr.ndim == 1:
        arr = np.repeat(arr[:, None], n_dir, axis=1)
    if arr.shape != (k_struct, n_dir):
        raise InputError(
            f"ranges must be one number per structure or one per structure and direction "
            f"({k_struct} x {n_dir}); got shape {arr.shape}"
        )
    if np.any(arr <= 0):
        raise InputError(f"initial ranges must be > 0 metres; got {ranges!r}")
    return arr


def _warn_bounds(problem: _Problem, x: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 shapes: tuple[str, ...], directional: list[ExperimentalVariogram] | None) -> None:
    """Warn when a range hits its upper bound or a free sill its lower bound."""
    m = problem.n_sill_params()
    if problem.total is None:
        first = int(problem.fit_nugget)
        for s in range(len(shapes)):
            p = first + s
            if x[p] <= lo[p] * (1 + 1e-6) + 1e-9:
                warnings.warn(
                    f"the sill of structure {s} ({shapes[s]}) ended at its lower bound: the "
                    f"structure adds almost nothing; try fewer structures",
                    UserWarning, stacklevel=3,
                )
    for i_s, s in enumerate(problem.ranged):
        for d in range(problem.n_dir):
            p = m + i_s * problem.n_dir + d
            if np.isfinite(hi[p]) and x[p] >= hi[p] * (1 - 1e-6):
                where = "" if directional is None else f" along {directional[d].direction}"
                warnings.warn(
                    f"the range of structure {s} ({shapes[s]}){where} ended at its upper bound; "
                    f"the variogram may not reach its sill within the lags: use a larger "
                    f"max_lag, widen bounds['range'] or use a linear structure",
                    UserWarning, stacklevel=3,
                )


def _model_along(model: VariogramModel, ev: ExperimentalVariogram, h: np.ndarray) -> np.ndarray:
    """The model's variogram at distances `h` along the direction of `ev`."""
    if model.is_isotropic:
        return model.gamma_h(h)
    if ev.azimuth is None:
        raise InputError(
            f"an anisotropic model has no single curve for an omnidirectional variogram "
            f"({model.describe()}); draw it against directional variograms"
        )
    ndim = ev.ndim
    if ndim is None:
        ndim = max(len(s.ranges) for s in model.structures)
    return model.gamma(h[:, None] * ev._unit_vector(ndim)[None, :])


def _fit_result(model: VariogramModel, items: list[ExperimentalVariogram], weighting: str,
                anisotropy: bool) -> VariogramFit:
    import pandas as pd

    frames = []
    sse = 0.0
    for ev in items:
        use = ev.n_pairs > 0
        h = ev.lag_m[use]
        fitted = model.gamma_h(h) if not anisotropy else _model_along(model, ev, h)
        g = ev.gamma[use]
        sse += float(np.sum(_residuals(fitted, g, ev.n_pairs[use].astype(float), weighting) ** 2))
        frames.append(pd.DataFrame({
            "direction": ev.direction,
            "lag_m": h,
            "n_pairs": ev.n_pairs[use],
            "gamma": g,
            "gamma_model": fitted,
            "residual": g - fitted,
        }))
    table = pd.concat(frames, ignore_index=True)
    rmse = float(np.sqrt(np.mean(table["residual"].to_numpy() ** 2)))
    return VariogramFit(model, rmse, sse, table, weighting, tuple(items))


# --------------------------------------------------------------------------- plotting
def plot_variogram(
    experimental: Any,
    ax: Any = None,
    *,
    model: Any = None,
    labels: Sequence[str] | None = None,
) -> Axes:
    """
    Draw experimental variograms, points sized and labelled by their pair counts.

    Parameters
    ----------
    experimental : ExperimentalVariogram or sequence of them
        The variograms; one colour each.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    model : VariogramModel or VariogramFit, optional
        A model drawn as a line along each variogram's direction (an anisotropic model
        needs directional variograms).
    labels : sequence of str, optional
        Legend labels, one per variogram; default their direction descriptions.

    Returns
    -------
    matplotlib.axes.Axes
        Axes labelled ``Lag distance (m)`` and ``Semivariogram``; a legend when there
        are several variograms, labels or a model.

    Raises
    ------
    InputError
        Not variograms; labels of the wrong length; an anisotropic model with an
        omnidirectional variogram.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from raremin.geostats.models import Structure, VariogramModel
    >>> from raremin.geostats.variogram import ExperimentalVariogram, plot_variogram
    >>> ev = ExperimentalVariogram([5.0, 15.0], [0.4, 0.9], [30, 52], [0.0, 10.0, 20.0])
    >>> model = VariogramModel(0.1, [Structure("spherical", 0.8, 18.0)])
    >>> ax = plot_variogram(ev, model=model)
    >>> ax.get_ylabel(), [t.get_text() for t in ax.texts]
    ('Semivariogram', ['30', '52'])
    """
    from ..plotting import _cycle_colors, _start

    items = _as_variograms(experimental)
    if isinstance(model, VariogramFit):
        model = model.model
    if model is not None and not isinstance(model, VariogramModel):
        raise InputError(
            f"model must be a VariogramModel or a VariogramFit; got {type(model).__name__}"
        )
    if labels is not None:
        labels = [str(label) for label in labels]
        if len(labels) != len(items):
            raise InputError(
                f"labels must give one label per variogram ({len(items)}); got {len(labels)}"
            )
    else:
        labels = [str(ev.direction) for ev in items]  # set by __post_init__
    curves = [None if model is None else _model_along(model, ev, np.linspace(
        0.0, ev.max_lag, 257)[1:]) for ev in items]

    ax, _ = _start(ax)
    palette = _cycle_colors()
    n_max = max(1, max(int(ev.n_pairs.max()) for ev in items))
    for k, ev in enumerate(items):
        color = palette[k % len(palette)]
        use = ev.n_pairs > 0
        sizes = 12.0 + 88.0 * ev.n_pairs[use] / n_max
        ax.scatter(ev.lag_m[use], ev.gamma[use], s=sizes, color=color, label=labels[k],
                   zorder=3)
        for x, y, n in zip(ev.lag_m[use], ev.gamma[use], ev.n_pairs[use], strict=True):
            ax.annotate(str(int(n)), (x, y), xytext=(0, 6), textcoords="offset points",
                        ha="center", va="bottom", fontsize="x-small", color=color,
                        gid="n_pairs")
        if curves[k] is not None:
            h = np.linspace(0.0, ev.max_lag, 257)[1:]
            name = "model" if len(items) == 1 else f"model, {labels[k]}"
            ax.plot(h, curves[k], color=color, linewidth=1.5, label=name, zorder=2)
    ax.set_xlim(left=0.0)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("Lag distance (m)")
    ax.set_ylabel("Semivariogram")
    if len(items) > 1 or model is not None:
        ax.legend(loc="lower right", fontsize="small")
    return ax
