"""
Mineral resource classification: Measured, Indicated and Inferred blocks.

The reporting codes (JORC 2012, CIM / NI 43-101, the CRIRSCO family including KAZRC)
classify a resource by the confidence in its estimate, but they set no threshold: a
Competent (Qualified) Person chooses and justifies them. This module applies such
choices to a kriged :class:`~raremin.grid.BlockModel`, block by block, and records which
block passed which test, so that the report can state the rules and the tonnage of
each class:

- :class:`Criteria`: the thresholds of one class (drill spacing and holes around the
  block, slope of regression, kriging efficiency and variance, samples used, distance to
  the nearest sample and mean distance, width of the simulated confidence interval of
  production panels);
- :class:`ClassificationRules`: the criteria of Measured, Indicated and Inferred, how
  they combine, and the drill-spacing window (:meth:`ClassificationRules.default` is a
  starting point that a Competent Person must review);
- :func:`drill_spacing`: distinct holes around each block and the average spacing they
  imply; :func:`panel_confidence`: the relative P90-P10 width of the grade of production
  panels over realisations; :func:`smooth_classes`: isolated blocks take the class of
  their neighbours;
- :func:`classify`: all of the above, giving a :class:`Classification` (classes per
  parcel, the tests passed, a tonnage table by zone and class, the smoothing counts, a
  plan plot).

Class codes (int8, one per parcel, the model array ``"resource_class"``): 0 Unclassified
(not estimated, or failing every class: not reported), 1 Measured, 2 Indicated,
3 Inferred (:data:`CLASS_NAMES`).

Examples
--------
>>> import numpy as np
>>> from shapely import box
>>> from raremin.deposit import Zone
>>> from raremin.grid import BlockGrid, BlockModel
>>> from raremin.classification import ClassificationRules, Criteria, classify
>>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 40, 10), 10, 0, 2.5),
...                                 BlockGrid((0, 0, 0), 10, (4, 1, 1)))
>>> model = model.with_arrays(cu_pct=[1.0, 1.1, 0.9, np.nan],
...                           slope=[0.95, 0.7, 0.3, np.nan])
>>> rules = ClassificationRules(measured=Criteria(min_slope=0.9),
...                             indicated=Criteria(min_slope=0.6))
>>> result = classify(model, rules, grade="cu_pct", smooth=False)
>>> [str(name) for name in result.class_names()]
['Measured', 'Indicated', 'Inferred', 'Unclassified']
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._codes import CLASS_NAMES as _CLASS_NAMES
from .errors import InputError
from .grid import BlockModel

__all__ = [
    "CLASS_NAMES",
    "CRITERIA",
    "Classification",
    "ClassificationRules",
    "Criteria",
    "classify",
    "drill_spacing",
    "panel_confidence",
    "smooth_classes",
]

logger = logging.getLogger(__name__)

#: Class names in code order: ``CLASS_NAMES[code]`` (codes are int8 0..3).
CLASS_NAMES: tuple[str, ...] = _CLASS_NAMES

#: The classes that can be assigned, from the most to the least confident.
_RANKED = ("measured", "indicated", "inferred")

#: Every criterion: the per-parcel diagnostic it reads, whether it is an upper ("max") or
#: lower ("min") bound, whether it is a count, and how it reads in a report.
CRITERIA: Mapping[str, tuple[str, str, bool, str]] = {
    "max_spacing_m": ("drill_spacing_m", "max", False, "average drill spacing <= {} m"),
    "min_holes": ("drill_holes", "min", True, "at least {} holes in the spacing window"),
    "min_slope": ("slope", "min", False, "slope of regression >= {}"),
    "min_efficiency": ("efficiency", "min", False, "kriging efficiency >= {}"),
    "max_kriging_variance": ("variance", "max", False, "kriging variance <= {}"),
    "min_samples": ("n_samples", "min", True, "at least {} samples in the estimate"),
    "max_nearest_distance_m": ("nearest_distance_m", "max", False,
                               "nearest sample within {} m"),
    "max_mean_distance_m": ("mean_distance_m", "max", False,
                            "mean distance to the samples used <= {} m"),
    "max_relative_interval": ("relative_interval", "max", False,
                              "relative P90-P10 width of the panel grade <= {}"),
}

#: How the criteria of one class combine.
COMBINE = ("all", "any")

#: Drill-spacing window shapes.
WINDOW_SHAPES = ("square", "circle")

#: Fewer realisations than this give unstable P90 and P10: a warning says so.
_FEW_REALISATIONS = 20

#: Blocks per chunk of the drill-spacing search (bounds the memory of the pair lists).
_SPACING_CHUNK = 100_000


def _fmt(value: float) -> str:
    return f"{value:g}"


def _check_number(name: str, value: Any, *, integer: bool = False) -> float | int:
    """A finite real number (an integer for counts), or an InputError naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise InputError(f"{name} must be a number; got {value!r} ({type(value).__name__})")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{name} must be finite; got {value!r}")
    if integer:
        if number != round(number):
            raise InputError(f"{name} is a count and must be a whole number; got {value!r}")
        return int(round(number))
    return number


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_panel(panel: Any, name: str) -> tuple[int, ...]:
    try:
        values = tuple(panel)
    except TypeError:
        raise InputError(f"{name} must be a sequence of 2 or 3 block counts, e.g. (4, 4, 2); "
                         f"got {panel!r}") from None
    if len(values) not in (2, 3):
        raise InputError(f"{name} must give 2 or 3 block counts (one per grid axis); "
                         f"got {panel!r}")
    out = tuple(int(_check_number(f"{name} {values}", v, integer=True)) for v in values)
    if min(out) < 1:
        raise InputError(f"{name} must be block counts >= 1; got {panel!r}")
    return out


# --------------------------------------------------------------------------- rules


@dataclasses.dataclass(frozen=True)
class Criteria:
    """
    The thresholds one resource class must meet (all optional).

    A block meets a threshold when its diagnostic is on the right side of it (bounds
    included); a missing diagnostic (NaN, e.g. a slope where kriging found no block
    variance) fails. How the thresholds of one class combine is
    :attr:`ClassificationRules.combine`.

    Parameters
    ----------
    max_spacing_m : float, optional
        Largest average drill spacing around the block, :func:`drill_spacing`.
        Units: m.
    min_holes : int, optional
        Fewest distinct drillholes with a sample in the spacing window.
    min_slope : float, optional
        Smallest slope of regression of the true block grade on its estimate (model
        array ``slope``; 1 means no conditional bias).
    min_efficiency : float, optional
        Smallest kriging efficiency (model array ``efficiency``), in (0, 1].
    max_kriging_variance : float, optional
        Largest kriging variance (model array ``variance``). Units: the square of
        the unit of the grade that was kriged.
    min_samples : int, optional
        Fewest samples in the estimate (model array ``n_samples``).
    max_nearest_distance_m : float, optional
        Largest distance from the block centre to the nearest sample used. Units: m.
    max_mean_distance_m : float, optional
        Largest mean distance from the block centre to the samples used. Units: m.
    max_relative_interval : float, optional
        Largest relative width ``(P10 - P90) / P50`` of the mean grade of the
        production panel holding the block, over realisations
        (:func:`panel_confidence`); needs ``realisations`` in :func:`classify`.
        Units: fraction (0.3 = 30 %).
    panel_blocks : sequence of int, optional
        The production panel of `max_relative_interval`, in blocks along each grid
        axis (e.g. a quarter's production for Measured, a year's for Indicated);
        default: the ``panel_blocks`` of :func:`classify`.

    Raises
    ------
    InputError
        A value that is not a finite number, a negative or zero threshold, a
        fractional count, an efficiency over 1, `panel_blocks` without
        `max_relative_interval`.

    Examples
    --------
    >>> from raremin.classification import Criteria
    >>> c = Criteria(max_spacing_m=50, min_slope=0.85)
    >>> c.thresholds()
    {'max_spacing_m': 50.0, 'min_slope': 0.85}
    >>> c.describe()
    'average drill spacing <= 50 m and slope of regression >= 0.85'
    """

    max_spacing_m: float | None = None
    min_holes: int | None = None
    min_slope: float | None = None
    min_efficiency: float | None = None
    max_kriging_variance: float | None = None
    min_samples: int | None = None
    max_nearest_distance_m: float | None = None
    max_mean_distance_m: float | None = None
    max_relative_interval: float | None = None
    panel_blocks: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for name, (_, _, integer, _) in CRITERIA.items():
            value = getattr(self, name)
            if value is None:
                continue
            number = _check_number(name, value, integer=integer)
            if number <= 0:
                raise InputError(
                    f"{name} must be > 0; got {value!r} (leave it out, None, to apply no "
                    f"{name} threshold)")
            if name == "min_efficiency" and number > 1:
                raise InputError(f"min_efficiency is at most 1 (a perfect estimate); got "
                                 f"{value!r}")
            object.__setattr__(self, name, number)
        if self.panel_blocks is not None:
            if self.max_relative_interval is None:
                raise InputError(f"panel_blocks={self.panel_blocks!r} is only used with "
                                 f"max_relative_interval; give both or neither")
            object.__setattr__(self, "panel_blocks",
                               _check_panel(self.panel_blocks, "panel_blocks"))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Criteria:
        """
        Criteria from a mapping (e.g. a table of a configuration file).

        Parameters
        ----------
        mapping : mapping of str to number
            Criterion names (the parameters of :class:`Criteria`) to thresholds.

        Raises
        ------
        InputError
            An unknown name (the message suggests the closest known one).

        Examples
        --------
        >>> from raremin.classification import Criteria
        >>> Criteria.from_mapping({"max_spacing_m": 100}).max_spacing_m
        100.0
        """
        if not isinstance(mapping, Mapping):
            raise InputError(f"criteria must be a mapping of criterion -> threshold; got "
                             f"{type(mapping).__name__}")
        known = [f.name for f in dataclasses.fields(cls)]
        for key in mapping:
            if key not in known:
                raise InputError(f"unknown classification criterion {key!r}"
                                 f"{_suggest(str(key), known)}; known: {known}")
        return cls(**dict(mapping))

    def thresholds(self) -> dict[str, float | int]:
        """
        The thresholds given, by criterion name, in the order of :data:`CRITERIA`.

        Examples
        --------
        >>> from raremin.classification import Criteria
        >>> Criteria(min_samples=8).thresholds()
        {'min_samples': 8}
        """
        return {k: getattr(self, k) for k in CRITERIA if getattr(self, k) is not None}

    def describe(self, combine: str = "all") -> str:
        """
        The thresholds in words, joined by "and" (``combine="all"``) or "or".

        Examples
        --------
        >>> from raremin.classification import Criteria
        >>> Criteria(min_slope=0.6, min_holes=3).describe(combine="any")
        'at least 3 holes in the spacing window or slope of regression >= 0.6'
        """
        parts = [CRITERIA[k][3].format(_fmt(v)) for k, v in self.thresholds().items()]
        if self.panel_blocks is not None:
            i = list(self.thresholds()).index("max_relative_interval")
            parts[i] += f" (panels of {' x '.join(map(str, self.panel_blocks))} blocks)"
        return f" {'and' if combine == 'all' else 'or'} ".join(parts)


def _as_criteria(value: Any, name: str) -> Criteria | None:
    if value is None or isinstance(value, Criteria):
        return value
    if isinstance(value, Mapping):
        return Criteria.from_mapping(value)
    raise InputError(f"{name} must be a Criteria, a mapping of criterion -> threshold or "
                     f"None; got {type(value).__name__}")


@dataclasses.dataclass(frozen=True)
class ClassificationRules:
    """
    The criteria of each resource class, and how they are applied.

    **The logic.** A block takes the highest class (Measured, then Indicated, then
    Inferred) whose criteria hold. The criteria of one class combine by `combine`
    (``"all"``: every threshold must hold; ``"any"``: at least one). Classes nest:
    a class also needs the criteria of every class below it, so a Measured block
    always meets the Indicated and Inferred thresholds too. Blocks not estimated stay
    Unclassified (code 0), as do estimated blocks that fail every class. Inferred
    with empty criteria (the default) needs only an estimate; a class given as None
    is never assigned.

    Parameters
    ----------
    measured, indicated, inferred : Criteria, mapping or None
        The criteria of each class (a mapping is read by :meth:`Criteria.from_mapping`).
        Defaults: no Measured, no Indicated, Inferred = every estimated block.
    combine : {"all", "any"}, default "all"
        How the thresholds of one class combine.
    spacing_window_m : float, optional
        Size of the plan window of :func:`drill_spacing`: the side of a square or the
        diameter of a circle centred on the block. Default: twice the widest
        `max_spacing_m` of the classes (so about four holes fall in the window of a
        block drilled at that spacing). Units: m.
    spacing_shape : {"square", "circle"}, default "square"
        Shape of the window in plan.
    spacing_half_height_m : float, optional
        Vertical half-height of the window: holes count when one of their samples lies
        within this height of the block centre. Default: the block height (the bench
        and half a bench above and below). Units: m.

    Raises
    ------
    InputError
        An unknown `combine` or window shape, a non-positive window, and thresholds
        out of order between classes (Measured must be at least as strict as
        Indicated, Indicated as Inferred: e.g. a Measured ``max_spacing_m`` wider than
        the Indicated one); the message names the values.

    Examples
    --------
    >>> from raremin.classification import ClassificationRules, Criteria
    >>> rules = ClassificationRules(measured=Criteria(max_spacing_m=50),
    ...                             indicated=Criteria(max_spacing_m=100))
    >>> rules.window_m()
    200.0
    >>> ClassificationRules(measured=Criteria(max_spacing_m=150),
    ...                     indicated=Criteria(max_spacing_m=100))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    raremin.errors.InputError: max_spacing_m out of order between classes: Measured 150 > ...
    """

    measured: Criteria | None = None
    indicated: Criteria | None = None
    inferred: Criteria | None = dataclasses.field(default_factory=Criteria)
    combine: str = "all"
    spacing_window_m: float | None = None
    spacing_shape: str = "square"
    spacing_half_height_m: float | None = None

    def __post_init__(self) -> None:
        for name in _RANKED:
            object.__setattr__(self, name, _as_criteria(getattr(self, name), name))
        if self.combine not in COMBINE:
            raise InputError(f"combine must be one of {COMBINE}; got {self.combine!r}")
        if self.spacing_shape not in WINDOW_SHAPES:
            raise InputError(f"spacing_shape must be one of {WINDOW_SHAPES}; got "
                             f"{self.spacing_shape!r}")
        for name in ("spacing_window_m", "spacing_half_height_m"):
            value = getattr(self, name)
            if value is not None:
                number = _check_number(name, value)
                if number <= 0:
                    raise InputError(f"{name} must be > 0 m; got {value!r}")
                object.__setattr__(self, name, number)
        self._check_order()

    def _check_order(self) -> None:
        given = [(n, getattr(self, n)) for n in _RANKED if getattr(self, n) is not None]
        for crit, (_, kind, _, _) in CRITERIA.items():
            values = [(n, getattr(c, crit)) for n, c in given if getattr(c, crit) is not None]
            for (hi_name, hi), (lo_name, lo) in zip(values[:-1], values[1:], strict=True):
                wrong = hi > lo if kind == "max" else hi < lo
                if wrong:
                    sign, order = (">", "<=") if kind == "max" else ("<", ">=")
                    raise InputError(
                        f"{crit} out of order between classes: {hi_name.capitalize()} "
                        f"{_fmt(hi)} {sign} {lo_name.capitalize()} {_fmt(lo)}; a more "
                        f"confident class needs a stricter threshold (Measured {order} "
                        f"Indicated {order} Inferred)")

    @classmethod
    def default(cls) -> ClassificationRules:
        """
        A starting set of rules, to be reviewed by a Competent Person.

        Measured: average drill spacing <= 50 m and slope of regression >= 0.85;
        Indicated: drill spacing <= 100 m and slope >= 0.6; Inferred: every estimated
        block. Spacing window: a 200 m square, +/- one block height.

        Notes
        -----
        The reporting codes set no threshold; these are common practice, not a
        standard. Slope-of-regression bands of about 0.85 (Measured) and 0.6
        (Indicated) are the industry rule of thumb quoted by Artica and Fowler (2021,
        "Drillhole spacing studies", Mining Plus). Drill spacing is the second most
        used criterion in 120 NI 43-101 reports (Silva and Boisvert, 2014); 50 m and
        100 m are typical of public rare-earth resource statements (e.g. Measured at
        25-50 m and Indicated at 50-100 m in weathered carbonatite and clay deposits),
        but the right spacing depends on the continuity of each deposit (its
        variogram ranges): check it with a drill-spacing study.

        Examples
        --------
        >>> from raremin.classification import ClassificationRules
        >>> ClassificationRules.default().measured.max_spacing_m
        50.0
        """
        return cls(measured=Criteria(max_spacing_m=50.0, min_slope=0.85),
                   indicated=Criteria(max_spacing_m=100.0, min_slope=0.6),
                   inferred=Criteria(), spacing_window_m=200.0)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ClassificationRules:
        """
        Rules from a mapping, e.g. a ``[classification]`` table of a configuration file.

        Parameters
        ----------
        mapping : mapping
            Keys ``measured``, ``indicated``, ``inferred`` (mappings of criterion ->
            threshold) and the other parameters of :class:`ClassificationRules`.

        Raises
        ------
        InputError
            An unknown key (the message suggests the closest).

        Examples
        --------
        >>> from raremin.classification import ClassificationRules
        >>> rules = ClassificationRules.from_mapping(
        ...     {"indicated": {"max_spacing_m": 80}, "spacing_window_m": 160})
        >>> rules.indicated.max_spacing_m, rules.measured
        (80.0, None)
        """
        if not isinstance(mapping, Mapping):
            raise InputError(f"classification rules must be a mapping; got "
                             f"{type(mapping).__name__}")
        known = [f.name for f in dataclasses.fields(cls)]
        for key in mapping:
            if key not in known:
                raise InputError(f"unknown classification rule {key!r}"
                                 f"{_suggest(str(key), known)}; known: {known}")
        return cls(**dict(mapping))

    def criteria(self) -> dict[str, Criteria | None]:
        """
        The criteria of each class, by class name (``"Measured"``...).

        Examples
        --------
        >>> from raremin.classification import ClassificationRules
        >>> list(ClassificationRules().criteria())
        ['Measured', 'Indicated', 'Inferred']
        """
        return {name.capitalize(): getattr(self, name) for name in _RANKED}

    def window_m(self) -> float | None:
        """
        The drill-spacing window size (m): given, or twice the widest spacing threshold.

        None when no class uses the drill spacing.

        Examples
        --------
        >>> from raremin.classification import ClassificationRules
        >>> ClassificationRules().window_m() is None
        True
        """
        if self.spacing_window_m is not None:
            return self.spacing_window_m
        widest = [c.max_spacing_m for c in self.criteria().values()
                  if c is not None and c.max_spacing_m is not None]
        return 2.0 * max(widest) if widest else None

    def needs_spacing(self) -> bool:
        """
        Whether a class uses the drill spacing or the holes in the window.

        Examples
        --------
        >>> from raremin.classification import ClassificationRules
        >>> ClassificationRules.default().needs_spacing()
        True
        """
        return any(c is not None and (c.max_spacing_m is not None or c.min_holes is not None)
                   for c in self.criteria().values())

    def describe(self, block_height_m: float | None = None) -> list[str]:
        """
        One line per class and one for the logic and the spacing window, for reports.

        Parameters
        ----------
        block_height_m : float, optional
            Block height, to state the default vertical window. Units: m.

        Examples
        --------
        >>> from raremin.classification import ClassificationRules
        >>> lines = ClassificationRules.default().describe(20)
        >>> lines[:3]  # doctest: +NORMALIZE_WHITESPACE
        ['Measured: average drill spacing <= 50 m and slope of regression >= 0.85',
         'Indicated: average drill spacing <= 100 m and slope of regression >= 0.6',
         'Inferred: every estimated block']
        >>> lines[4][:71]
        'Drill spacing = sqrt(window area / holes), holes with a sample in a 200'
        """
        lines = []
        for name, crit in self.criteria().items():
            if crit is None:
                lines.append(f"{name}: not assigned")
            elif not crit.thresholds():
                lines.append(f"{name}: every estimated block")
            else:
                lines.append(f"{name}: {crit.describe(self.combine)}")
        how = "all hold" if self.combine == "all" else "at least one holds"
        lines.append(f"A block takes the highest class whose thresholds {how} (each class "
                     f"also meets those of the classes below it); blocks not estimated are "
                     f"Unclassified.")
        window = self.window_m()
        if self.needs_spacing() and window is not None:
            height = self.spacing_half_height_m or block_height_m
            vertical = (f"+/- {_fmt(height)} m vertically" if height is not None
                        else "+/- one block height vertically")
            lines.append(f"Drill spacing = sqrt(window area / holes), holes with a sample in "
                         f"a {_fmt(window)} m {self.spacing_shape} around the block centre, "
                         f"within {vertical}.")
        return lines


# --------------------------------------------------------------------------- drill spacing


def _sample_table(samples: Any, hole_column: str, coords: Sequence[str], ndim: int
                  ) -> tuple[np.ndarray, np.ndarray, int]:
    """Sample coordinates (n, ndim) and hole codes (n,), and the number of holes."""
    if not isinstance(samples, pd.DataFrame):
        raise InputError(f"samples must be a DataFrame; got {type(samples).__name__}")
    names = list(coords)[:ndim]
    missing = [c for c in [*names, hole_column] if c not in samples.columns]
    if missing:
        raise InputError(
            f"samples lack column(s) {missing} needed for the drill spacing; columns present: "
            f"{list(samples.columns)} (name the hole column with hole_column=)")
    try:
        xyz = samples[names].to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"coordinate columns {names} must be numeric ({err})") from None
    bad = ~np.isfinite(xyz).all(axis=1)
    holes = samples[hole_column]
    bad_hole = holes.isna().to_numpy()
    if bad.any() or bad_hole.any():
        what = "missing coordinates" if bad.any() else f"no {hole_column}"
        row = samples.index[np.flatnonzero(bad | bad_hole)[0]]
        raise InputError(f"{int((bad | bad_hole).sum())} sample(s) have {what} (first: row "
                         f"{row!r}); fix or remove them before computing the drill spacing")
    codes, uniques = pd.factorize(holes)
    return xyz, codes.astype(np.int64), len(uniques)


def drill_spacing(
    model: BlockModel,
    samples: pd.DataFrame,
    *,
    window_m: float,
    shape: str = "square",
    half_height_m: float | None = None,
    hole_column: str = "hole_id",
    coords: Sequence[str] = ("easting_m", "northing_m", "elevation_m"),
) -> dict[str, np.ndarray]:
    """
    Distinct drillholes around each block and the average drill spacing they imply.

    Parameters
    ----------
    model : BlockModel
        The block model (in memory).
    samples : pandas.DataFrame
        Samples (composites) with coordinate columns (m) and a hole id column. Their
        own positions are used, not the collars, so inclined holes count where they
        pass.
    window_m : float
        Side of the square, or diameter of the circle, centred on the block centre in
        plan. Units: m.
    shape : {"square", "circle"}, default "square"
        Window shape in plan.
    half_height_m : float, optional
        A hole counts when one of its samples lies within this height of the block
        centre (and in the plan window). Default: the block height. Ignored on a 2D
        grid. Units: m.
    hole_column : str, default "hole_id"
        Column of hole ids.
    coords : sequence of str
        Coordinate columns (east, north, elevation), m.

    Returns
    -------
    dict of str to numpy.ndarray
        Per parcel: ``drill_holes`` (int64, distinct holes in the window) and
        ``drill_spacing_m`` (float64, ``sqrt(A / holes)``; inf with no hole).

    Raises
    ------
    InputError
        A missing column, samples with missing coordinates or hole id, a bad window.

    Notes
    -----
    The average spacing is the side of the square each hole would drain if the
    ``n`` holes in the window of area ``A`` were spread evenly:
    ``spacing = sqrt(A / n)``, with ``A = window_m ** 2`` (square) or
    ``pi * (window_m / 2) ** 2`` (circle) -- the definition of Deutsch, Leuangthong
    and Ortiz (2007, "A case for geometric criteria in resources and reserves
    classification", SME Transactions 322), there over the ``n`` nearest holes, here
    over a fixed window. Holes on a regular ``s`` x ``s`` pattern give ``s`` inside
    the pattern; near its edges the window reaches undrilled ground and the spacing
    grows, which is the intended, conservative, effect. Samples in every zone count
    (holes inform the geology across boundaries). Points on the window's edge count.

    The search is a k-d tree (:class:`scipy.spatial.cKDTree`) on coordinates with the
    elevation scaled so that the window is a Chebyshev ball, by chunks of blocks;
    distinct holes come from unique (block, hole) pairs.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.classification import drill_spacing
    >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 200, 200), 10, 0, 2.5),
    ...                                 BlockGrid((0, 0, 0), (25, 25, 10), (8, 8, 1)))
    >>> x, y = np.meshgrid(np.arange(0.0, 201, 50), np.arange(0.0, 201, 50))
    >>> holes = pd.DataFrame({"hole_id": np.arange(x.size), "easting_m": x.ravel(),
    ...                       "northing_m": y.ravel(), "elevation_m": 5.0})
    >>> out = drill_spacing(model, holes, window_m=100.0)
    >>> centre = model.grid.coords_to_index([[112.5, 112.5, 5.0]])[0]
    >>> int(out["drill_holes"][centre]), float(out["drill_spacing_m"][centre])
    (4, 50.0)
    """
    from scipy.spatial import cKDTree

    if not isinstance(model, BlockModel):
        raise InputError(f"model must be a BlockModel; got {type(model).__name__}")
    if model.is_lazy:
        raise InputError("drill_spacing needs an in-memory block model; call model.compute()")
    window = float(_check_number("window_m", window_m))
    if window <= 0:
        raise InputError(f"window_m must be > 0 m; got {window_m!r}")
    if shape not in WINDOW_SHAPES:
        raise InputError(f"shape must be one of {WINDOW_SHAPES}; got {shape!r}")
    grid = model.grid
    ndim = grid.ndim
    xyz, hole_code, n_holes = _sample_table(samples, hole_column, coords, ndim)
    half = window / 2.0
    scale = np.ones(ndim)
    if ndim == 3:
        height = grid.block_size[2] if half_height_m is None else half_height_m
        height = float(_check_number("half_height_m", height))
        if height <= 0:
            raise InputError(f"half_height_m must be > 0 m; got {half_height_m!r}")
        scale[2] = half / height
    area = window**2 if shape == "square" else math.pi * half**2
    blocks, inverse = np.unique(np.asarray(model.block_index), return_inverse=True)
    centres = grid.index_to_coords(blocks)
    counts = np.zeros(blocks.size, dtype=np.int64)
    if xyz.shape[0]:
        tree = cKDTree(xyz * scale)
        # A small tolerance keeps samples on the window's edge in, despite rounding.
        radius = half * (1 + 1e-12)
        for start in range(0, blocks.size, _SPACING_CHUNK):
            part = centres[start:start + _SPACING_CHUNK]
            pairs = cKDTree(part * scale).sparse_distance_matrix(
                tree, radius, p=np.inf, output_type="ndarray")
            i = pairs["i"].astype(np.int64)
            j = pairs["j"].astype(np.int64)
            if shape == "circle":
                d2 = ((part[i, :2] - xyz[j, :2]) ** 2).sum(axis=1)
                keep = d2 <= radius**2
                i, j = i[keep], j[keep]
            key = np.unique(i * n_holes + hole_code[j])
            counts[start:start + part.shape[0]] = np.bincount(key // n_holes,
                                                              minlength=part.shape[0])
    with np.errstate(divide="ignore"):
        spacing = np.sqrt(area / counts)
    return {"drill_holes": counts[inverse], "drill_spacing_m": spacing[inverse]}


# --------------------------------------------------------------------------- simulation


_P_LABEL = re.compile(r"^P(\d+(?:\.\d+)?)$")


def _check_interval(interval: Any) -> tuple[str, str]:
    try:
        low, high = interval
    except (TypeError, ValueError):
        raise InputError(f"interval must be two P-labels, e.g. ('P90', 'P10'); got "
                         f"{interval!r}") from None
    levels = []
    for label in (low, high):
        match = _P_LABEL.match(str(label))
        if match is None or not 0 < float(match.group(1)) < 100:
            raise InputError(f"interval holds {label!r}; write P-labels between P0 and P100 "
                             f"such as 'P90' (the 0.10 quantile) and 'P10'")
        levels.append(float(match.group(1)))
    if levels[0] <= 50 or levels[1] >= 50:
        raise InputError(f"interval must be (low, high) P-labels around P50, e.g. ('P90', "
                         f"'P10') or ('P95', 'P5'); got {interval!r}")
    return str(low), str(high)


def panel_confidence(
    realisations: BlockModel,
    grade: str,
    panel_blocks: Sequence[int],
    *,
    interval: tuple[str, str] = ("P90", "P10"),
    on: str = "grade",
) -> np.ndarray:
    """
    Relative width of the simulated interval of each production panel, per parcel.

    Parameters
    ----------
    realisations : BlockModel
        A block model whose array `grade` holds realisations, shape
        ``(n_realisations, n_parcels)`` (:func:`raremin.realisations.simulate`).
    grade : str
        The simulated grade.
    panel_blocks : sequence of int
        Panel size in blocks along each grid axis, e.g. ``(4, 4, 2)``: a production
        period's volume (panels are aligned on the grid origin).
    interval : (str, str), default ("P90", "P10")
        The P-labels of the interval (:data:`raremin.uncertainty.P_LEVELS`: P90 is
        the 0.10 quantile, P10 the 0.90 quantile); ``("P95", "P5")`` gives the 90 %
        two-sided interval.
    on : {"grade", "metal"}, default "grade"
        The panel's tonnage-weighted mean grade, or its metal (tonnage x grade;
        different from the grade only when the density is simulated too).

    Returns
    -------
    numpy.ndarray
        Per parcel, ``(P10 - P90) / P50`` of its panel (NaN for parcels with a
        missing realisation, which are left out of their panels, and for panels with
        a P50 <= 0).

    Raises
    ------
    InputError
        A missing or 1-D grade array, bad panel sizes or labels.

    Warns
    -----
    UserWarning
        Fewer than 20 realisations (the P90 and P10 are then unstable).

    Notes
    -----
    A panel is the set of parcels of one zone whose blocks fall in one
    ``panel_blocks`` group of the grid (zones are kept apart, as they are estimated
    apart). For each realisation ``r``, the panel grade is
    ``sum_i t_i g_ri / sum_i t_i`` over its parcels. The common "90:15" rule
    (Measured: a quarter's production within +/- 15 % at 90 % confidence; Indicated:
    a year's; Dohm, 2005, "Quantifiable mineral resource classification: a logical
    approach", Geostatistics Banff 2004, 333-342; Verly, Postolski and Parker, 2014)
    is ``(P5 - P95) / P50 <= 0.30`` with ``interval=("P95", "P5")``; for a normal
    error it is about ``(P10 - P90) / P50 <= 0.234`` (0.30 x 1.2816 / 1.6449).

    Examples
    --------
    >>> import numpy as np
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.classification import panel_confidence
    >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 40, 10), 10, 0, 2.5),
    ...                                 BlockGrid((0, 0, 0), 10, (4, 1, 1)))
    >>> sims = np.tile(np.linspace(0.9, 1.1, 101)[:, None], (1, 4))
    >>> sim = model.with_arrays(cu_pct=sims)
    >>> panel_confidence(sim, "cu_pct", (2, 1, 1)).round(3)
    array([0.16, 0.16, 0.16, 0.16])
    """
    from scipy import sparse

    from .uncertainty import exceedance_quantile

    if not isinstance(realisations, BlockModel):
        raise InputError(f"realisations must be a BlockModel; got "
                         f"{type(realisations).__name__}")
    if realisations.is_lazy:
        raise InputError("panel_confidence needs in-memory realisations; call .compute()")
    if grade not in realisations.arrays:
        raise InputError(f"the realisations have no array {grade!r}; arrays: "
                         f"{sorted(realisations.arrays)}")
    values = np.asarray(realisations.arrays[grade], dtype=float)
    if values.ndim != 2:
        raise InputError(f"realisations[{grade!r}] must have shape (n_realisations, "
                         f"n_parcels); got {values.shape}")
    if on not in ("grade", "metal"):
        raise InputError(f"on must be 'grade' or 'metal'; got {on!r}")
    low, high = _check_interval(interval)
    grid = realisations.grid
    panel = _check_panel(panel_blocks, "panel_blocks")
    if len(panel) != grid.ndim:
        raise InputError(f"panel_blocks needs {grid.ndim} counts for this grid; got "
                         f"{panel_blocks!r}")
    n_real = values.shape[0]
    if n_real < _FEW_REALISATIONS:
        warnings.warn(f"{n_real} realisations: the {low} and {high} of the panel grades are "
                      f"unstable with fewer than {_FEW_REALISATIONS}", UserWarning,
                      stacklevel=2)
    tonnage = np.broadcast_to(np.asarray(realisations.tonnage_t(), dtype=float), values.shape)
    valid = np.isfinite(values).all(axis=0) & np.isfinite(tonnage).all(axis=0)
    out = np.full(values.shape[1], np.nan)
    if not valid.any():
        return out
    ijk = grid.index_to_ijk(np.asarray(realisations.block_index)[valid]) // np.asarray(panel)
    code = np.asarray(realisations.zone_code)[valid]
    keys = np.column_stack([ijk, code])
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    n_panels = int(inverse.max()) + 1
    member = sparse.csr_matrix(
        (np.ones(inverse.size), (np.arange(inverse.size), inverse)),
        shape=(inverse.size, n_panels))
    t = tonnage[:, valid]
    metal = np.asarray(member.T @ (t * values[:, valid]).T).T  # (R, panels)
    if on == "grade":
        tons = np.asarray(member.T @ t.T).T
        with np.errstate(invalid="ignore", divide="ignore"):
            metal = metal / tons
    lo = np.asarray(exceedance_quantile(metal, low, axis=0))
    mid = np.asarray(exceedance_quantile(metal, "P50", axis=0))
    hi = np.asarray(exceedance_quantile(metal, high, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        width = np.where(mid > 0, (hi - lo) / mid, np.nan)
    out[valid] = width[inverse]
    return out


# --------------------------------------------------------------------------- smoothing


def _window(window: Any, ndim: int) -> tuple[int, ...]:
    values = _check_panel(window, "smoothing window")
    if len(values) == 3 and ndim == 2:
        if values[2] != 1:
            raise InputError(f"a 2D grid takes a 2-axis smoothing window; got {window!r}")
        values = values[:2]
    if len(values) != ndim:
        raise InputError(f"the smoothing window needs {ndim} sizes; got {window!r}")
    if any(v % 2 == 0 for v in values):
        raise InputError(f"smoothing window sizes must be odd (centred on the block), e.g. "
                         f"(3, 3, 1); got {window!r}")
    if max(values) == 1:
        raise InputError(f"the smoothing window {window!r} holds no neighbour")
    return values


def smooth_classes(
    model: BlockModel,
    classes: Any,
    *,
    window: Sequence[int] = (3, 3, 1),
    min_agree: int | None = None,
    upgrade: bool = True,
) -> tuple[np.ndarray, pd.DataFrame]:
    """
    Give isolated blocks the class their neighbours agree on.

    Parameters
    ----------
    model : BlockModel
        The block model the classes belong to.
    classes : array_like of int
        Class code per parcel (0..3, :data:`CLASS_NAMES`).
    window : sequence of int, default (3, 3, 1)
        Neighbourhood in blocks along each axis, odd sizes: ``(3, 3, 1)`` is the plan
        window of the block's 8 neighbours in its bench, ``(3, 3, 3)`` the 26 around
        it.
    min_agree : int, optional
        Fewest neighbours that must share the new class. Default: a majority of the
        full window (5 of 8, 14 of 26).
    upgrade : bool, default True
        Whether an isolated block may move to a more confident class (False: only
        downgrades, the conservative choice).

    Returns
    -------
    classes : numpy.ndarray
        The smoothed codes (int8).
    counts : pandas.DataFrame
        Per class: ``parcels_before``, ``parcels_after`` and, when the model has a
        density, ``tonnage_before_t`` and ``tonnage_after_t``; ``attrs["changed"]`` is
        the number of parcels that changed class.

    Raises
    ------
    InputError
        Codes outside 0..3 or of the wrong length, a bad window or `min_agree`.

    Notes
    -----
    The rule, applied once to every block at the same time (from the classes before
    smoothing): a classified block none of whose neighbours (parcels of the same zone
    in the window; Unclassified ones never count) shares its class, and at least
    `min_agree` of whose neighbours share one other class, takes that class (ties go
    to the less confident class). Unclassified blocks never change. Zones are
    smoothed apart (hard boundaries). Counting is a convolution of the class
    indicators with the window (:func:`scipy.ndimage.convolve`), zone by zone on the
    zone's bounding box.

    Examples
    --------
    >>> import numpy as np
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.classification import smooth_classes
    >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 30, 30), 10, 0, 2.5),
    ...                                 BlockGrid((0, 0, 0), 10, (3, 3, 1)))
    >>> codes = np.array([2, 2, 2, 2, 3, 2, 2, 2, 2])
    >>> new, counts = smooth_classes(model, codes)
    >>> new.tolist(), counts.attrs["changed"]
    ([2, 2, 2, 2, 2, 2, 2, 2, 2], 1)
    """
    from scipy import ndimage

    if not isinstance(model, BlockModel):
        raise InputError(f"model must be a BlockModel; got {type(model).__name__}")
    codes = _check_codes(classes, model.n_parcels)
    grid = model.grid
    size = _window(window, grid.ndim)
    kernel = np.ones(size, dtype=np.int16)
    kernel[tuple(s // 2 for s in size)] = 0
    n_neighbours = int(kernel.sum())
    if min_agree is None:
        min_agree = n_neighbours // 2 + 1
    min_agree = int(_check_number("min_agree", min_agree, integer=True))
    if not 1 <= min_agree <= n_neighbours:
        raise InputError(f"min_agree must be between 1 and the {n_neighbours} neighbours of "
                         f"the window {size}; got {min_agree}")
    out = codes.copy()
    ijk = grid.index_to_ijk(np.asarray(model.block_index))
    zone_code = np.asarray(model.zone_code)
    for zone in np.unique(zone_code):
        rows = np.flatnonzero(zone_code == zone)
        local = ijk[rows] - ijk[rows].min(axis=0)
        at = tuple(local.T)
        box_shape = tuple(local.max(axis=0) + 1)
        own = codes[rows]
        counts = np.empty((3, rows.size), dtype=np.int16)
        for c in (1, 2, 3):
            indicator = np.zeros(box_shape, dtype=np.int16)
            indicator[at] = own == c
            counts[c - 1] = ndimage.convolve(indicator, kernel, mode="constant", cval=0)[at]
        # Ties go to the less confident class: argmax over the reversed class order.
        best = 3 - np.argmax(counts[::-1], axis=0)
        best_count = counts[best - 1, np.arange(rows.size)]
        same = np.where(own > 0, counts[np.clip(own, 1, 3) - 1, np.arange(rows.size)], 1)
        change = (own > 0) & (same == 0) & (best_count >= min_agree)
        if not upgrade:
            change &= best > own
        out[rows[change]] = best[change]
    table = _class_counts(model, codes, out)
    return out, table


def _check_codes(classes: Any, n: int) -> np.ndarray:
    codes = np.asarray(classes)
    if codes.shape != (n,):
        raise InputError(f"classes must hold one code per parcel ({n}); got shape "
                         f"{codes.shape}")
    if codes.dtype.kind not in "iu" or (codes.size and (codes.min() < 0 or codes.max() > 3)):
        raise InputError(f"classes must be integer codes 0..3 ({dict(enumerate(CLASS_NAMES))})"
                         f"; got values {np.unique(codes)[:10].tolist()}")
    return codes.astype(np.int8)


def _class_counts(model: BlockModel, before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    table = pd.DataFrame({
        "resource_class": list(CLASS_NAMES),
        "parcels_before": np.bincount(before, minlength=4)[:4],
        "parcels_after": np.bincount(after, minlength=4)[:4],
    })
    if "density_t_m3" in model.arrays and np.asarray(model.arrays["density_t_m3"]).ndim == 1:
        tonnage = np.asarray(model.tonnage_t(), dtype=float)
        table["tonnage_before_t"] = np.bincount(before, weights=tonnage, minlength=4)[:4]
        table["tonnage_after_t"] = np.bincount(after, weights=tonnage, minlength=4)[:4]
    table.attrs["changed"] = int((before != after).sum())
    return table


# --------------------------------------------------------------------------- classify


def _default_grade(model: BlockModel, realisations: BlockModel | None) -> str:
    per_grade = model.attrs.get("samples_per_grade")
    if isinstance(per_grade, Mapping) and per_grade:
        return str(next(iter(per_grade)))
    if realisations is not None:
        two_d = [k for k, v in realisations.arrays.items() if np.ndim(v) == 2]
        if len(two_d) == 1 and two_d[0] in model.arrays:
            return two_d[0]
    raise InputError("give grade= (the estimated grade whose finite values mark the "
                     "estimated blocks, e.g. grade='treo_pct'); the model does not say which "
                     "grade its diagnostics belong to")


@dataclasses.dataclass(frozen=True, eq=False)
class Classification:
    """
    Resource classes of a block model, with the tests behind them.

    Made by :func:`classify`.

    Attributes
    ----------
    model : BlockModel
        The input model with the array ``resource_class`` (int8 codes) and the
        diagnostics computed here (``drill_spacing_m`` and ``drill_holes`` when a rule
        uses them, ``relative_interval_<class>`` for simulated confidence).
    classes : numpy.ndarray
        Class code per parcel after smoothing (int8; :data:`CLASS_NAMES`).
    unsmoothed : numpy.ndarray
        Class code per parcel from the rules alone.
    passed : mapping of str to mapping of str to numpy.ndarray
        Per class name, per criterion name (and ``"estimated"``): whether each parcel
        meets that one threshold of that class (before the classes nest).
    rules : ClassificationRules
        The rules applied (:meth:`ClassificationRules.describe` for the report).
    smoothing : pandas.DataFrame
        Parcels (and tonnage) per class before and after smoothing; empty without
        smoothing. ``attrs["changed"]``: parcels that changed class.
    grade : str
        The grade whose finite estimates mark the estimated parcels.
    notes : tuple of str
        Statements for a report (the rules, the window, the smoothing).

    Examples
    --------
    >>> import numpy as np
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.classification import ClassificationRules, Criteria, classify
    >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 20, 10), 10, 0, 2.5),
    ...                                 BlockGrid((0, 0, 0), 10, (2, 1, 1)))
    >>> model = model.with_arrays(cu_pct=[1.0, 1.2], n_samples=[12, 3])
    >>> result = classify(model, ClassificationRules(indicated=Criteria(min_samples=8)),
    ...                   grade="cu_pct", smooth=False)
    >>> result.classes.tolist(), result.passed["Indicated"]["min_samples"].tolist()
    ([2, 3], [True, False])
    """

    model: BlockModel
    classes: np.ndarray
    unsmoothed: np.ndarray
    passed: Mapping[str, Mapping[str, np.ndarray]]
    rules: ClassificationRules
    smoothing: pd.DataFrame
    grade: str
    notes: tuple[str, ...] = ()

    def class_names(self) -> np.ndarray:
        """
        The class name of each parcel.

        Examples
        --------
        >>> import numpy as np
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.classification import ClassificationRules, classify
        >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 10, 10), 10, 0, 2.5),
        ...                                 BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> result = classify(model.with_arrays(cu_pct=[1.0]), ClassificationRules(),
        ...                   grade="cu_pct")
        >>> result.class_names().tolist()
        ['Inferred']
        """
        return np.asarray(CLASS_NAMES, dtype=object)[self.classes]

    def to_model(self) -> BlockModel:
        """
        The block model with the ``resource_class`` array (and the diagnostics made here).

        Examples
        --------
        >>> import numpy as np
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.classification import ClassificationRules, classify
        >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 10, 10), 10, 0, 2.5),
        ...                                 BlockGrid((0, 0, 0), 10, (1, 1, 1)))
        >>> out = classify(model.with_arrays(cu_pct=[np.nan]), ClassificationRules(),
        ...                grade="cu_pct").to_model()
        >>> out.arrays["resource_class"]
        array([0], dtype=int8)
        """
        return self.model

    def tonnage_table(self, grades: Sequence[str] = (), *, total: bool = True
                      ) -> pd.DataFrame:
        """
        Tonnage by zone and class (with a Total per class).

        Parameters
        ----------
        grades : sequence of str, optional
            Model arrays to report as tonnage-weighted means per row (e.g.
            ``["treo_pct"]``; NaN parcels are left out of the mean only).
        total : bool, default True
            Add rows ``zone == "Total"`` (every zone) for each class.

        Returns
        -------
        pandas.DataFrame
            Columns ``zone``, ``resource_class`` (Measured, Indicated, Inferred,
            Unclassified in that order), ``parcels``, ``volume_m3``, ``tonnage_t`` and
            each grade; a row for every zone and class, zeros included.
            Unclassified holds the blocks not estimated.

        Examples
        --------
        >>> import numpy as np
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.classification import ClassificationRules, Criteria, classify
        >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 20, 10), 10, 0, 2.0),
        ...                                 BlockGrid((0, 0, 0), 10, (2, 1, 1)))
        >>> model = model.with_arrays(cu_pct=[1.0, 3.0], slope=[0.9, 0.2])
        >>> rules = ClassificationRules(indicated=Criteria(min_slope=0.5))
        >>> table = classify(model, rules, grade="cu_pct").tonnage_table(["cu_pct"])
        >>> table.query("zone == 'A'")[["resource_class", "tonnage_t", "cu_pct"]]
          resource_class  tonnage_t  cu_pct
        0       Measured        0.0     NaN
        1      Indicated     2000.0     1.0
        2       Inferred     2000.0     3.0
        3   Unclassified        0.0     NaN
        """
        model = self.model
        names = list(grades)
        missing = [g for g in names if g not in model.arrays]
        if missing:
            raise InputError(f"no array(s) {missing} in the model; arrays: "
                             f"{sorted(model.arrays)}")
        tonnage = np.asarray(model.tonnage_t(), dtype=float)
        zone_code = np.asarray(model.zone_code)
        order = [1, 2, 3, 0]
        present = [z for z in range(len(model.zone_names)) if (zone_code == z).any()]
        groups = [(model.zone_names[z], zone_code == z) for z in present]
        if total:
            groups.append(("Total", np.ones(zone_code.size, dtype=bool)))
        volume = np.asarray(model.volume_m3(), dtype=float)
        rows = []
        for name, mask in groups:
            codes = self.classes[mask]
            row_t = np.bincount(codes, weights=tonnage[mask], minlength=4)
            row_v = np.bincount(codes, weights=volume[mask], minlength=4)
            row_n = np.bincount(codes, minlength=4)
            means = {}
            for g in names:
                values = np.asarray(model.arrays[g], dtype=float)[mask]
                ok = np.isfinite(values)
                w = np.bincount(codes[ok], weights=tonnage[mask][ok], minlength=4)
                s = np.bincount(codes[ok], weights=(tonnage[mask] * values)[ok], minlength=4)
                with np.errstate(invalid="ignore", divide="ignore"):
                    means[g] = np.where(w > 0, s / np.where(w > 0, w, 1), np.nan)
            for c in order:
                rows.append({"zone": name, "resource_class": CLASS_NAMES[c],
                             "parcels": int(row_n[c]), "volume_m3": float(row_v[c]),
                             "tonnage_t": float(row_t[c]),
                             **{g: float(means[g][c]) for g in names}})
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None, *, level: float | None = None,
             section: tuple[str, float] | None = None, **kwargs: Any) -> Any:
        """
        Plan (or section) of the classes: :func:`raremin.plotting.plot_classes`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from shapely import box
        >>> from raremin.deposit import Zone
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.classification import ClassificationRules, classify
        >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 20, 10), 10, 0, 2.5),
        ...                                 BlockGrid((0, 0, 0), 10, (2, 1, 1)))
        >>> result = classify(model.with_arrays(cu_pct=[1.0, 2.0]), ClassificationRules(),
        ...                   grade="cu_pct")
        >>> ax = result.plot()
        >>> ax.block_values.tolist()
        [[3.0, 3.0]]
        """
        from .plotting import plot_classes

        return plot_classes(self.model, self.classes, ax, level=level, section=section,
                            **kwargs)

    def _tonnages(self) -> np.ndarray:
        if "density_t_m3" not in self.model.arrays:
            return np.full(4, np.nan)
        return np.bincount(self.classes, weights=np.asarray(self.model.tonnage_t(), float),
                           minlength=4)[:4]

    def __repr__(self) -> str:
        tonnes = self._tonnages()
        counts = np.bincount(self.classes, minlength=4)
        parts = [f"{CLASS_NAMES[c]} {_tonnes_text(tonnes[c])} ({counts[c]:,})"
                 for c in (1, 2, 3, 0)]
        changed = self.smoothing.attrs.get("changed", 0) if len(self.smoothing) else None
        smooth = "no smoothing" if changed is None else f"smoothing changed {changed:,}"
        return (f"Classification of {self.grade} ({self.model.n_parcels:,} parcels; "
                f"{smooth})\n  " + "; ".join(parts))

    def _repr_html_(self) -> str:
        from ._display import classification_html

        return classification_html(self)


def _tonnes_text(tonnes: float) -> str:
    if not np.isfinite(tonnes):
        return "? t"
    if tonnes >= 1e6:
        return f"{tonnes / 1e6:.4g} Mt"
    if tonnes >= 1e3:
        return f"{tonnes / 1e3:.4g} kt"
    return f"{tonnes:.4g} t"


def _diagnostic(model: BlockModel, crit: str, computed: Mapping[str, np.ndarray]) -> np.ndarray:
    array = CRITERIA[crit][0]
    if array in computed:
        return computed[array]
    if array not in model.arrays:
        hint = {"slope": " (made by kriging: estimate with Kriging)",
                "efficiency": " (made by kriging: estimate with Kriging)",
                "variance": " (made by kriging: estimate with Kriging)"}.get(array, "")
        raise InputError(f"criterion {crit} needs the model array {array!r}, which the model "
                         f"lacks{hint}; arrays: {sorted(model.arrays)}")
    values = np.asarray(model.arrays[array])
    if values.ndim != 1:
        raise InputError(f"model array {array!r} must hold one value per parcel; got shape "
                         f"{values.shape}")
    return values


def _test(values: np.ndarray, kind: str, threshold: float) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return values <= threshold if kind == "max" else values >= threshold


def classify(
    model: BlockModel,
    rules: ClassificationRules | None = None,
    *,
    samples: pd.DataFrame | None = None,
    hole_column: str = "hole_id",
    realisations: BlockModel | None = None,
    grade: str | None = None,
    smooth: bool = True,
    smooth_window: Sequence[int] = (3, 3, 1),
    smooth_min_agree: int | None = None,
    smooth_upgrade: bool = True,
    panel_blocks: Sequence[int] = (4, 4, 2),
    interval: tuple[str, str] = ("P90", "P10"),
    coords: Sequence[str] = ("easting_m", "northing_m", "elevation_m"),
) -> Classification:
    """
    Classify the parcels of an estimated block model as Measured, Indicated, Inferred.

    Parameters
    ----------
    model : BlockModel
        The estimated model (in memory), with the diagnostics the rules read
        (:func:`raremin.estimation.estimate` with kriging gives ``slope``,
        ``efficiency``, ``variance``, ``n_samples``, ``nearest_distance_m``,
        ``mean_distance_m``).
    rules : ClassificationRules, optional
        Default :meth:`ClassificationRules.default` (review it).
    samples : pandas.DataFrame, optional
        Samples with coordinates and `hole_column`; needed when a rule uses the
        drill spacing or the holes (:func:`drill_spacing`).
    hole_column : str, default "hole_id"
        Column of hole ids in `samples`.
    realisations : BlockModel, optional
        Simulated grades on the same parcels (array of shape ``(n_realisations,
        n_parcels)``); needed by ``max_relative_interval``.
    grade : str, optional
        The estimated grade whose finite values mark the estimated parcels (and the
        simulated grade in `realisations`). Default: the first grade estimated
        (``model.attrs["samples_per_grade"]``: the grade the diagnostics belong to).
    smooth : bool, default True
        Smooth isolated blocks (:func:`smooth_classes`).
    smooth_window, smooth_min_agree, smooth_upgrade
        `window`, `min_agree` and `upgrade` of :func:`smooth_classes`.
    panel_blocks : sequence of int, default (4, 4, 2)
        Production panel of ``max_relative_interval`` for classes that give none.
    interval : (str, str), default ("P90", "P10")
        P-labels of the simulated interval (:func:`panel_confidence`).
    coords : sequence of str
        Coordinate columns of `samples`, m.

    Returns
    -------
    Classification

    Raises
    ------
    InputError
        A rule needing an array the model lacks (the message names it), a spacing
        rule without `samples`, an interval rule without `realisations`, realisations
        on other parcels, a lazy model.

    Notes
    -----
    See :class:`ClassificationRules` for the logic. Every threshold is tested on
    every parcel (NaN fails); classes are then assigned from Inferred up, each class
    needing its own criteria and those of the classes below. Smoothing comes last and
    its changes are counted (``Classification.smoothing``); ``unsmoothed`` keeps the
    classes of the rules alone.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.classification import ClassificationRules, Criteria, classify
    >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 200, 100), 10, 0, 2.5),
    ...                                 BlockGrid((0, 0, 0), (50, 50, 10), (4, 2, 1)))
    >>> model = model.with_arrays(cu_pct=np.ones(8))
    >>> x, y = np.meshgrid([0.0, 50.0, 100.0], [0.0, 50.0, 100.0])
    >>> holes = pd.DataFrame({"hole_id": np.arange(9), "easting_m": x.ravel(),
    ...                       "northing_m": y.ravel(), "elevation_m": 5.0})
    >>> rules = ClassificationRules(indicated=Criteria(max_spacing_m=60),
    ...                             spacing_window_m=100)
    >>> result = classify(model, rules, samples=holes, grade="cu_pct", smooth=False)
    >>> result.classes.tolist()
    [2, 2, 3, 3, 2, 2, 3, 3]
    """
    if not isinstance(model, BlockModel):
        raise InputError(f"model must be a BlockModel; got {type(model).__name__}")
    if model.is_lazy:
        raise InputError("classify needs an in-memory block model; call model.compute()")
    rules = ClassificationRules.default() if rules is None else rules
    if not isinstance(rules, ClassificationRules):
        raise InputError(f"rules must be ClassificationRules; got {type(rules).__name__}")
    grade = _default_grade(model, realisations) if grade is None else grade
    if grade not in model.arrays:
        raise InputError(f"no array {grade!r} in the model (grade=); arrays: "
                         f"{sorted(model.arrays)}")
    estimated = np.isfinite(np.asarray(model.arrays[grade], dtype=float))
    if estimated.ndim != 1:
        raise InputError(f"model array {grade!r} must hold one value per parcel; got shape "
                         f"{estimated.shape}")
    computed: dict[str, np.ndarray] = {}
    notes = list(rules.describe(model.grid.block_size[2] if model.grid.ndim == 3 else None))
    if rules.needs_spacing():
        if samples is None:
            raise InputError("the rules use the drill spacing or the holes per window: pass "
                             "samples= (with coordinates and a hole id column)")
        window = rules.window_m()
        if window is None:
            raise InputError("min_holes needs a window: give spacing_window_m= in the rules")
        computed.update(drill_spacing(model, samples, window_m=window,
                                      shape=rules.spacing_shape,
                                      half_height_m=rules.spacing_half_height_m,
                                      hole_column=hole_column, coords=coords))
    intervals = _intervals(model, rules, realisations, grade, panel_blocks, interval)
    passed: dict[str, dict[str, np.ndarray]] = {}
    chain = estimated.copy()
    ok = {}
    for name in reversed(_RANKED):
        crit = getattr(rules, name)
        label = name.capitalize()
        if crit is None:
            ok[name] = np.zeros_like(estimated)
            continue
        tests = {"estimated": estimated}
        for key, threshold in crit.thresholds().items():
            source = dict(computed)
            if key == "max_relative_interval":
                source = {"relative_interval": intervals[name]}
            tests[key] = _test(_diagnostic(model, key, source), CRITERIA[key][1], threshold)
        passed[label] = tests
        own = [v for k, v in tests.items() if k != "estimated"]
        if own:
            joined = np.all(own, axis=0) if rules.combine == "all" else np.any(own, axis=0)
        else:
            joined = np.ones_like(estimated)
        chain = chain & joined
        ok[name] = chain
    raw = np.where(ok["measured"], 1, np.where(ok["indicated"], 2,
                                               np.where(ok["inferred"], 3, 0))).astype(np.int8)
    if smooth:
        final, table = smooth_classes(model, raw, window=smooth_window,
                                      min_agree=smooth_min_agree, upgrade=smooth_upgrade)
        kind = "both ways" if smooth_upgrade else "downgrades only"
        notes.append(f"Smoothing: a classified block whose class no neighbour in a "
                     f"{' x '.join(map(str, _window(smooth_window, model.grid.ndim)))} "
                     f"window shares, while a majority of its neighbours share another, "
                     f"takes that class ({kind}); {table.attrs['changed']:,} parcel(s) "
                     f"changed.")
    else:
        final, table = raw, pd.DataFrame()
    arrays = {"resource_class": final, **computed}
    arrays.update({f"relative_interval_{n}": v for n, v in intervals.items()})
    out_model = model.with_arrays(**arrays)
    counts = np.bincount(final, minlength=4)
    logger.info("classified %d parcels: %s", final.size,
                ", ".join(f"{CLASS_NAMES[c]} {counts[c]}" for c in (1, 2, 3, 0)))
    return Classification(out_model, final, raw, passed, rules, table, grade, tuple(notes))


def _intervals(model: BlockModel, rules: ClassificationRules, realisations: BlockModel | None,
               grade: str, panel_blocks: Sequence[int], interval: tuple[str, str]
               ) -> dict[str, np.ndarray]:
    """The relative interval width per parcel for each class with that criterion."""
    wanted = {n: getattr(rules, n) for n in _RANKED
              if getattr(rules, n) is not None
              and getattr(rules, n).max_relative_interval is not None}
    if not wanted:
        return {}
    if realisations is None:
        raise InputError(f"max_relative_interval ({', '.join(n.capitalize() for n in wanted)}) "
                         f"needs realisations=: a BlockModel of simulated grades "
                         f"(raremin.realisations.simulate)")
    if not isinstance(realisations, BlockModel):
        raise InputError(f"realisations must be a BlockModel; got {type(realisations).__name__}")
    same = (realisations.n_parcels == model.n_parcels
            and np.array_equal(np.asarray(realisations.block_index),
                               np.asarray(model.block_index))
            and np.array_equal(np.asarray(realisations.zone_code), np.asarray(model.zone_code)))
    if not same:
        raise InputError(f"the realisations are on other parcels than the model "
                         f"({realisations.n_parcels:,} vs {model.n_parcels:,}); simulate on "
                         f"the model being classified")
    default = _check_panel(panel_blocks, "panel_blocks")
    cache: dict[tuple[int, ...], np.ndarray] = {}
    out = {}
    for name, crit in wanted.items():
        panel = crit.panel_blocks or default
        if panel not in cache:
            cache[panel] = panel_confidence(realisations, grade, panel, interval=interval)
        out[name] = cache[panel]
    return out
