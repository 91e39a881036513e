"""
Tonnage above cut-off, mean grade above cut-off and contained quantities.

A grade-tonnage curve gives, for each cut-off grade, the tonnage of material at or
above the cut-off, its mean grade and the quantity of metal (or oxide) it contains.
:func:`analytic_grade_tonnage` computes it from a grade distribution and a total
tonnage, vectorized over cut-offs and over arrays of distribution parameters (many
zones or many Monte Carlo draws in one call). The result is a :class:`GradeTonnage`.

Conventions: material with grade equal to the cut-off counts as above it
(``grade >= cutoff``); contained quantity = tonnage x mean grade (as a mass
fraction), in tonnes; the mean grade is NaN where nothing lies above the cut-off.

Examples
--------
>>> from raremin.distributions import Lognormal
>>> from raremin.tonnage import analytic_grade_tonnage
>>> treo = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
>>> gt = analytic_grade_tonnage(treo, 100e6, [0.0, 0.1, 0.2])
>>> gt.tonnage_t.round(-3)
array([1.0000e+08, 6.7507e+07, 2.1300e+07])
>>> gt.contained_t.round(-1)
array([150000., 126510.,  60680.])
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _dask
from ._binning import binned_sums
from ._validation import check_basis, check_cutoffs, check_finite
from .analytes import column_unit
from .distributions import GradeDistribution
from .errors import InputError
from .units import GRADE_UNITS, grade_factor, grade_unit, unit_suffix

__all__ = [
    "GradeTonnage",
    "analytic_grade_tonnage",
    "check_cutoffs",
    "contained",
    "contained_basket",
    "grade_tonnage",
]


@dataclasses.dataclass(frozen=True, eq=False)
class GradeTonnage:
    """
    A grade-tonnage table: tonnage, mean grade and contained quantity above cut-offs.

    Arrays have shape ``leading + (n_cutoffs,)``, where the leading axes are whatever
    the input carried (zones, realisations, Monte Carlo draws).

    Attributes
    ----------
    cutoffs : numpy.ndarray
        Cut-off grades, shape ``(n_cutoffs,)``, in `unit`.
    tonnage_t : numpy.ndarray
        Tonnes at or above each cut-off.
    mean_grade : numpy.ndarray
        Mean grade of that tonnage, in `unit` (NaN where the tonnage is zero).
    contained_t : numpy.ndarray
        Tonnes of metal (element basis) or oxide (oxide basis) in that tonnage.
    unit : str
        Grade unit of cut-offs and mean grades.
    basis : {"element", "oxide"}
        Grade basis.
    grade_name : str
        What the grade is of (``"treo"``, ``"nd"``...; ``"grade"`` when not named).
    extra_mean : dict of str to numpy.ndarray
        Tonnage-weighted mean above each cut-off of other reported grades, keyed by
        their column names (``nd_ppm``, ``ndpr_pct``...), each in its own unit.
    extra_contained_t : dict of str to numpy.ndarray
        Contained tonnes of those grades above each cut-off.
    extra_coverage : dict of str to numpy.ndarray
        For other grades not estimated on every block above the cut-off (e.g. an
        element assayed on a few samples only): the fraction of the tonnage above each
        cut-off where that grade is estimated. Their mean is over that part only and
        their contained tonnes cover that part only. Grades estimated wherever the
        cut-off grade is have no entry.
    not_estimated_t : numpy.ndarray or None
        Tonnage of blocks whose cut-off grade is NaN (left out of the table), per
        leading index.
    groups : tuple of str or None
        Names along the last leading axis when the table was split by groups (zones).

    Examples
    --------
    >>> from raremin.distributions import Lognormal
    >>> from raremin.tonnage import analytic_grade_tonnage
    >>> d = Lognormal.from_mean_cv([0.12, 0.15], 0.6, unit="pct", basis="oxide", name="treo")
    >>> gt = analytic_grade_tonnage(d, [50e6, 80e6], [0.05, 0.1])
    >>> gt.tonnage_t.shape
    (2, 2)
    """

    cutoffs: np.ndarray
    tonnage_t: np.ndarray
    mean_grade: np.ndarray
    contained_t: np.ndarray
    unit: str
    basis: str
    grade_name: str = "grade"
    extra_mean: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    extra_contained_t: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    not_estimated_t: np.ndarray | None = None
    groups: tuple[str, ...] | None = None
    extra_coverage: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    @property
    def grade_column(self) -> str:
        """Column name of the mean grade, e.g. ``treo_pct``."""
        return f"{self.grade_name}_{unit_suffix(self.unit)}"

    def to_frame(self) -> Any:
        """
        The table in tidy form: one row per cut-off (and per leading index).

        Returns
        -------
        pandas.DataFrame
            Columns ``cutoff_<unit>``, ``tonnage_t``, ``<grade>_<unit>``, ``contained_t``,
            preceded by ``index_0``, ``index_1``... (``zone`` for groups) for leading
            axes; then the other grades' means and ``contained_<species>_t``, a
            ``<grade>_coverage`` column for each other grade not estimated everywhere,
            and ``not_estimated_t`` (the tonnage whose cut-off grade is not estimated,
            the same on every cut-off row of a leading index) when the table has it.
            ``basis`` is in ``DataFrame.attrs``.

        Examples
        --------
        >>> from raremin.distributions import Lognormal
        >>> from raremin.tonnage import analytic_grade_tonnage
        >>> d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
        >>> list(analytic_grade_tonnage(d, 1e6, [0.1, 0.2]).to_frame().columns)
        ['cutoff_pct', 'tonnage_t', 'treo_pct', 'contained_t']
        """
        import pandas as pd

        lead = self.tonnage_t.shape[:-1]
        n_c = self.cutoffs.size
        columns: dict[str, Any] = {}
        if lead:
            idx = np.indices(lead).reshape(len(lead), -1)
            for axis, values in enumerate(idx):
                if self.groups is not None and axis == len(lead) - 1:
                    columns["zone"] = np.repeat(np.asarray(self.groups, dtype=object)[values], n_c)
                else:
                    columns[f"index_{axis}"] = np.repeat(values, n_c)
        columns[f"cutoff_{unit_suffix(self.unit)}"] = np.tile(self.cutoffs, int(np.prod(lead)))
        columns["tonnage_t"] = self.tonnage_t.ravel()
        columns[self.grade_column] = self.mean_grade.ravel()
        columns["contained_t"] = self.contained_t.ravel()
        for name, mean in self.extra_mean.items():
            columns[name] = mean.ravel()
        for name, quantity in self.extra_contained_t.items():
            columns[f"contained_{_species(name)}_t"] = quantity.ravel()
        for name, share in self.extra_coverage.items():
            columns[f"{_species(name)}_coverage"] = share.ravel()
        if self.not_estimated_t is not None:
            missed = np.broadcast_to(np.asarray(self.not_estimated_t)[..., None],
                                     self.tonnage_t.shape)
            columns["not_estimated_t"] = missed.ravel()
        frame = pd.DataFrame(columns)
        frame.attrs.update(basis=self.basis, unit=self.unit, grade=self.grade_name)
        return frame

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """
        Draw the grade-tonnage chart (see :func:`raremin.plotting.plot_grade_tonnage`).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from raremin.distributions import Lognormal
        >>> from raremin.tonnage import analytic_grade_tonnage
        >>> d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
        >>> ax = analytic_grade_tonnage(d, 1e6, [0.05, 0.1, 0.2]).plot()
        >>> ax.get_xlabel()
        'Cut-off treo (%, oxide basis)'
        """
        from .plotting import plot_grade_tonnage

        return plot_grade_tonnage(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        from ._display import grade_tonnage_text

        return grade_tonnage_text(self)

    def _repr_html_(self) -> str:
        from ._display import grade_tonnage_html

        return grade_tonnage_html(self)


def _species(column: str) -> str:
    """``nd_ppm`` -> ``nd``: the name of a grade column without its unit suffix."""
    return column.rpartition("_")[0] if column_unit(column) else column


def analytic_grade_tonnage(
    distribution: GradeDistribution,
    tonnage_t: ArrayLike,
    cutoffs: ArrayLike,
    *,
    workers: int | None = None,
) -> GradeTonnage:
    """
    Grade-tonnage table of a grade distribution applied to a total tonnage.

    Parameters
    ----------
    distribution : GradeDistribution
        Grade distribution of the material; its parameters may be arrays (a batch of
        distributions, e.g. zones or Monte Carlo draws).
    tonnage_t : float or array_like
        Total tonnage in tonnes; broadcast against the distribution's batch shape.
    cutoffs : float or array_like
        Cut-off grades in the distribution's unit; 1-D, non-negative, increasing.
    workers : int, optional
        Threads for large lognormal tables (default: the CPUs available).

    Returns
    -------
    GradeTonnage
        Arrays of shape ``broadcast(batch_shape, tonnage shape) + (n_cutoffs,)``.

    Raises
    ------
    InputError
        Bad cut-offs, or a negative or NaN tonnage.

    Notes
    -----
    ``T(c) = T0 P(Z >= c)``, ``m(c) = E[Z | Z >= c]`` and ``Q(c) = T0 E[Z 1{Z >= c}]``
    (times the unit's mass fraction); for the lognormal these are the closed forms of
    :class:`~raremin.distributions.Lognormal`, evaluated for whole tables at once with a
    tabulated ``log Phi`` (relative error below 3e-12; the exact scipy functions for
    ``sigma < 1e-4``).

    Examples
    --------
    >>> from raremin.distributions import Lognormal
    >>> from raremin.tonnage import analytic_grade_tonnage
    >>> d = Lognormal.from_mean_cv(1500, 0.6, unit="ppm", basis="element", name="tree")
    >>> gt = analytic_grade_tonnage(d, 1e6, [0, 1000])
    >>> gt.contained_t.round(1)
    array([1500. , 1265.1])
    """
    if not isinstance(distribution, GradeDistribution):
        raise InputError(
            f"distribution must be a raremin grade distribution; got {type(distribution).__name__}"
        )
    cut = check_cutoffs(cutoffs, distribution.unit)
    tonnes = check_finite(tonnage_t, "tonnage_t")
    if np.any(tonnes < 0):
        raise InputError(f"tonnage_t must be >= 0; got {tonnes[tonnes < 0].ravel()[0]}")
    factor = grade_factor(distribution.unit)
    shape = np.broadcast_shapes(distribution.batch_shape, tonnes.shape) + (cut.size,)
    ton, con, mean = distribution._grade_tonnage_arrays(cut, tonnes, factor, workers)
    return GradeTonnage(
        cutoffs=cut,
        tonnage_t=np.broadcast_to(ton, shape),
        mean_grade=np.broadcast_to(mean, shape),
        contained_t=np.broadcast_to(con, shape),
        unit=distribution.unit,
        basis=distribution.basis,
        grade_name=distribution.name or "grade",
    )


def contained(grade: ArrayLike, tonnage_t: ArrayLike, *, unit: str) -> np.ndarray:
    """
    Contained quantity: tonnage x grade (as a mass fraction), in tonnes.

    Broadcasts like numpy: grades of shape ``(n, k)`` (k elements) with tonnages of
    shape ``(n, 1)`` give ``(n, k)`` contained tonnes. NaN in, NaN out.

    Parameters
    ----------
    grade : array_like
        Grades in `unit`.
    tonnage_t : array_like
        Tonnages, t.
    unit : str
        Grade unit.

    Returns
    -------
    numpy.ndarray
        Contained tonnes of the grade's species (element or oxide, as the grade).

    Examples
    --------
    >>> from raremin.tonnage import contained
    >>> contained([1000.0, 2500.0], 1e6, unit="ppm")
    array([1000., 2500.])
    """
    g = np.asarray(grade, dtype=float)
    t = np.asarray(tonnage_t, dtype=float)
    return g * t * grade_factor(unit)


def contained_basket(
    grades: Any,
    tonnage_t: ArrayLike,
    *,
    elements: Any,
    unit: str,
    basis: str,
    basket: Any = "treo",
    result_basis: str = "oxide",
) -> np.ndarray:
    """
    Contained tonnes of a basket (TREO, NdPr...) for each sample or block: one matrix product.

    Parameters
    ----------
    grades : array_like
        Element or oxide grades, shape ``(..., n_elements)`` (element axis last).
    tonnage_t : array_like
        Tonnages, shape ``(...)``, t.
    elements : sequence of str
        Element symbols naming the last axis of `grades`.
    unit : str
        Grade unit of `grades`.
    basis : {"element", "oxide"}
        Basis of `grades`.
    basket : str, Basket or sequence of str
        The basket (see :func:`raremin.chemistry.basket`); elements of `grades` not in
        the basket are ignored; basket members absent from `grades` raise.
    result_basis : {"element", "oxide"}
        Basis of the result: tonnes of oxide (TREO) or of element (TREE).

    Returns
    -------
    numpy.ndarray
        Contained tonnes, shape ``(...)``.

    Notes
    -----
    ``Q = T x (X @ w)`` with ``w_i = [i in basket] x f_i^(+-1) x unit fraction``, where
    ``f_i`` is the element-to-oxide factor (power +1 from element to oxide basis, -1
    from oxide to element, 0 for the same basis).

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.tonnage import contained_basket
    >>> x = np.array([[300.0, 80.0, 500.0]])  # ppm Nd, Pr, Ce on element basis
    >>> contained_basket(x, 1e6, elements=["Nd", "Pr", "Ce"], unit="ppm",
    ...                  basis="element", basket="ndpr").round(2)
    array([446.57])
    """
    from .analytes import Analyte
    from .chemistry import RARE_EARTHS, basket_weights, element

    src = check_basis(basis)
    symbols = [element(e).symbol for e in elements]
    columns = [Analyte("element", s, unit) if src == "element"
               else Analyte("oxide", RARE_EARTHS[s].oxide_formula, unit) for s in symbols]
    w, _, missing = basket_weights(columns, basket, result_basis=result_basis, unit="fraction")
    if missing:
        raise InputError(
            f"basket members {list(missing)} have no grade column; grades hold {symbols}"
        )
    x = np.asarray(grades, dtype=float)
    if x.shape[-1] != len(symbols):
        raise InputError(
            f"grades have {x.shape[-1]} columns on the last axis but {len(symbols)} elements "
            f"were named"
        )
    return (x @ w) * np.asarray(tonnage_t, dtype=float)


def grade_tonnage(
    grade: ArrayLike,
    tonnage_t: ArrayLike,
    cutoffs: ArrayLike,
    *,
    unit: str,
    basis: str,
    grade_name: str = "grade",
    others: dict[str, Any] | None = None,
    groups: Any = None,
    group_names: Any = None,
    workers: int | None = None,
) -> GradeTonnage:
    """
    Grade-tonnage table of blocks or samples: tonnage, mean grade and contained above cut-offs.

    The cut-off applies to `grade` (for example TREO); tonnage-weighted mean grades and
    contained tonnes above each cut-off are reported for it and for every array in
    `others` (elements, oxides, baskets). Blocks whose cut-off grade is NaN are left
    out and their tonnage is reported as ``not_estimated_t``.

    Parameters
    ----------
    grade : array_like
        Cut-off grade, shape ``(..., n)``: any leading axes (realisations...) then blocks.
    tonnage_t : array_like
        Block tonnages (t), broadcastable to `grade` (e.g. ``(n,)``); finite, >= 0.
    cutoffs : array_like
        Strictly increasing cut-offs in `unit`.
    unit : str
        Unit of `grade` and `cutoffs`.
    basis : {"element", "oxide"}
        Basis of `grade`.
    grade_name : str
        Name of the grade (``"treo"``), used in column names.
    others : dict of str to array_like, optional
        Other grades to report, keyed by column names that end in their unit
        (``"nd_ppm"``, ``"ndpr_pct"``), each shaped like `grade`. Where one is NaN
        (not estimated) but `grade` is estimated, that block is left out of that
        grade's sums and the table's ``extra_coverage`` says how much tonnage it
        covers.
    groups : array_like of int, optional
        Group code of each block, shape ``(n,)``, in ``[0, len(group_names))``: the
        table gets one more leading axis, one entry per group (zones, benches...).
    group_names : sequence of str, optional
        Names of the groups (required with `groups`).
    workers : int, optional
        Threads (default: the CPUs available; Dask arrays: one per task).

    Returns
    -------
    GradeTonnage
        Arrays of shape ``leading + [n_groups] + (n_cutoffs,)``.

    Raises
    ------
    InputError
        Cut-offs not strictly increasing, negative or over-100 % grades, negative or
        NaN tonnages, shapes that do not match, unknown units.

    Notes
    -----
    Material with grade ``>= cutoff`` is above it. One pass bins every block between
    consecutive cut-offs (a uniform lookup grid corrected by exact comparisons), one
    weighted ``bincount`` per quantity sums the bins, and a cumulative sum from the
    top gives every cut-off: no pass per cut-off, no sort.

    `grade`, `tonnage_t`, `others` and `groups` may be Dask arrays chunked along the
    last (block) axis, all alike (e.g. the arrays of a lazy
    :class:`~raremin.grid.BlockModel`; in-memory arrays are split like them when their
    chunk sizes are known). Each chunk's bins are summed by its own task on the active
    Dask scheduler, the sums are added up by a tree of tasks, and the table is built
    from them as in memory: the same table, to rounding. The call computes: it returns
    a GradeTonnage. Errors name the block (counted over the whole array when the chunk
    sizes are known, else within its chunk).

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.tonnage import grade_tonnage
    >>> g = np.array([0.05, 0.10, 0.15, 0.20])
    >>> gt = grade_tonnage(g, 1000.0, [0.0, 0.1, 0.2], unit="pct", basis="oxide",
    ...                    grade_name="treo")
    >>> gt.tonnage_t
    array([4000., 3000., 1000.])
    >>> gt.mean_grade.round(4)
    array([0.125, 0.15 , 0.2  ])
    """
    unit = grade_unit(unit)
    basis = check_basis(basis)
    cut = check_cutoffs(cutoffs, unit)
    extra_names = list(others or {})
    extra_units = []
    for name in extra_names:
        unit_of = column_unit(name)
        if unit_of is None:
            raise InputError(
                f"reported grade {name!r} must end in a unit suffix "
                f"({', '.join(sorted({unit_suffix(u) for u in GRADE_UNITS}))}), e.g. 'nd_ppm'"
            )
        extra_units.append(unit_of)
    extra = [others[name] for name in extra_names]  # type: ignore[index]
    if groups is None:
        names, n_groups = None, 1
    else:
        if group_names is None:
            raise InputError("group_names are needed with groups")
        names = tuple(str(x) for x in group_names)
        n_groups = len(names)
    full = float(GRADE_UNITS["fraction"] / GRADE_UNITS[unit])
    if any(_dask.is_lazy(x) for x in (grade, tonnage_t, groups, *extra)):
        lead, (ton, met, oth, gaps) = _lazy_binned_sums(
            grade, tonnage_t, extra_names, extra, cut, groups, n_groups, full)
    else:
        lead, (ton, met, oth, gaps) = _binned_sums_in_memory(
            grade, tonnage_t, extra_names, extra, cut, groups, n_groups, full, workers)
    # Cumulative sums from the top over bins 1..n_c give the totals at or above each cut-off.
    n_c = cut.size

    def above(binned: np.ndarray) -> np.ndarray:
        tail = binned[..., 1 : n_c + 1]
        return np.cumsum(tail[..., ::-1], axis=-1)[..., ::-1]

    shape = lead + ((n_groups,) if names is not None else ()) + (n_c,)
    tonnage_above = above(ton).reshape(shape)
    metal_above = above(met).reshape(shape)
    factor = grade_factor(unit)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(tonnage_above > 0, metal_above / tonnage_above, np.nan)
        extra_mean = {}
        extra_contained = {}
        coverage = {}
        for name, u, binned, gap in zip(extra_names, extra_units, oth, gaps, strict=True):
            q = above(binned).reshape(shape)
            covered = tonnage_above
            if gap.any():
                covered = tonnage_above - above(gap).reshape(shape)
                coverage[name] = np.where(tonnage_above > 0, covered / tonnage_above, np.nan)
            extra_mean[name] = np.where(covered > 0, q / covered, np.nan)
            extra_contained[name] = q * grade_factor(u)
    return GradeTonnage(
        cutoffs=cut,
        tonnage_t=tonnage_above,
        mean_grade=mean,
        contained_t=metal_above * factor,
        unit=unit,
        basis=basis,
        grade_name=grade_name,
        extra_mean=extra_mean,
        extra_contained_t=extra_contained,
        not_estimated_t=ton[..., n_c + 1].reshape(shape[:-1]),
        groups=names,
        extra_coverage=coverage,
    )


def _binned_sums_in_memory(
    grade: Any, tonnage_t: Any, extra_names: list[str], extra: list[Any], cut: np.ndarray,
    groups: Any, n_groups: int, full: float, workers: int | None,
) -> tuple[tuple[int, ...], tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]]:
    """The leading shape and per-bin sums of in-memory arrays (see :func:`binned_sums`)."""
    g = np.asarray(grade, dtype=float)
    if g.ndim == 0:
        g = g[None]
    n = g.shape[-1]
    t = np.asarray(tonnage_t, dtype=float)
    try:
        np.broadcast_shapes(t.shape, g.shape)
    except ValueError:
        raise InputError(
            f"tonnage_t of shape {t.shape} does not broadcast to the grades' shape {g.shape}"
        ) from None
    g2 = np.ascontiguousarray(g.reshape(-1, n))
    t2 = np.broadcast_to(t, g.shape).reshape(-1, n)
    extra_arrays = []
    for name, values in zip(extra_names, extra, strict=True):
        arr = np.asarray(values, dtype=float)
        if arr.shape != g.shape:
            raise InputError(f"reported grade {name!r} has shape {arr.shape}; expected {g.shape}")
        extra_arrays.append(np.ascontiguousarray(arr.reshape(-1, n)))
    codes = None
    if groups is not None:
        codes = _check_group_codes(np.asarray(groups), n, n_groups)
        if codes.size and (codes.min() < 0 or codes.max() >= n_groups):
            raise InputError(f"group codes must lie in [0, {n_groups - 1}]")
        codes = codes.astype(np.intp)
    return g.shape[:-1], binned_sums(g2, t2, extra_arrays, cut, codes, n_groups, full, workers)


def _check_group_codes(codes: Any, n: Any, n_groups: int) -> Any:
    """Group codes must be one integer per block (`n`: NaN when not known)."""
    known = not (isinstance(n, float) and np.isnan(n))
    if (codes.ndim != 1 or (known and codes.shape != (n,))
            or not np.issubdtype(codes.dtype, np.integer)):
        count = f"{n} integer codes" if known else "integer codes"
        raise InputError(f"groups must be {count} (one per block)")
    return codes


def _lazy_binned_sums(
    grade: Any, tonnage_t: Any, extra_names: list[str], extra: list[Any], cut: np.ndarray,
    groups: Any, n_groups: int, full: float,
) -> tuple[tuple[int, ...], tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]]:
    """
    Per-bin sums of Dask arrays chunked along blocks: the sums of each chunk
    (:func:`binned_sums` on one thread, blocks numbered from the chunk's first block
    when the chunk sizes are known) added up by a tree reduction, in one pass on the
    active Dask scheduler.
    """
    _dask.require_dask("grade_tonnage() of Dask arrays")
    ref = next(x for x in (grade, tonnage_t, groups, *extra) if _dask.is_lazy(x))
    ref_chunks = ref.chunks[-1]
    g = _dask.align("grade", grade, ref_chunks, one_d=False)
    if g.dtype != np.float64:
        g = g.astype(np.float64)
    lead = tuple(int(v) for v in g.shape[:-1])
    t: Any = tonnage_t
    if _dask.is_lazy(t) or np.ndim(t) > 0 and np.shape(t)[-1] != 1:
        t = _dask.align("tonnage_t", t, ref_chunks, one_d=False)
        try:
            if np.broadcast_shapes(t.shape[:-1], lead) != lead:
                raise ValueError
        except ValueError:
            raise InputError(f"tonnage_t of shape {t.shape} does not broadcast to the "
                             f"grades' shape {g.shape}") from None
    else:
        t = np.asarray(t, dtype=float)
        try:
            np.broadcast_shapes(t.shape, lead + (1,))
        except ValueError:
            raise InputError(f"tonnage_t of shape {t.shape} does not broadcast to the "
                             f"grades' shape {g.shape}") from None
    extra_arrays = []
    for name, values in zip(extra_names, extra, strict=True):
        arr = _dask.align(f"reported grade {name!r}", values, ref_chunks, one_d=False)
        if tuple(arr.shape[:-1]) != lead:
            raise InputError(f"reported grade {name!r} has shape {arr.shape}; expected {g.shape}")
        extra_arrays.append(arr)
    codes = None
    if groups is not None:
        codes = _dask.align("groups", groups, ref_chunks, one_d=True)
        _check_group_codes(codes, ref.shape[-1], n_groups)
    n_chunks = len(ref_chunks)
    starts = _dask.chunk_starts(ref_chunks)
    parts = _dask.per_chunk(
        _chunk_binned_sums,
        [g, t, codes, _dask.each_chunk(starts), cut, n_groups, full, *extra_arrays], n_chunks)
    (total,) = _dask.compute(_dask.tree_reduce(parts, _dask.add_all))
    k = len(extra_arrays)
    return lead, (total[0], total[1], list(total[2:2 + k]), list(total[2 + k:]))


def _chunk_binned_sums(grade: np.ndarray, tonnage: Any, groups: np.ndarray | None,
                       start: int | None, cut: np.ndarray, n_groups: int, full: float,
                       *rest: Any) -> np.ndarray:
    """One chunk's per-bin sums, stacked: tonnage, metal, others' sums, others' gaps."""
    *others, chunk = rest
    shape = (int(np.prod(grade.shape[:-1])), grade.shape[-1])
    g2 = np.ascontiguousarray(np.asarray(grade, dtype=float).reshape(shape))
    t2 = np.broadcast_to(np.asarray(tonnage, dtype=float), grade.shape).reshape(shape)
    o2 = [np.ascontiguousarray(np.asarray(o, dtype=float).reshape(shape)) for o in others]
    codes = None
    if groups is not None:
        codes = np.asarray(groups)
        if codes.size and (codes.min() < 0 or codes.max() >= n_groups):
            raise InputError(f"group codes must lie in [0, {n_groups - 1}]")
        codes = codes.astype(np.intp)
    ton, met, oth, gap = binned_sums(g2, t2, o2, cut, codes, n_groups, full, 1, start=start,
                                     chunk=chunk)
    return np.stack([ton, met, *oth, *gap])
