"""
Charts of grade-tonnage results, grade histograms and zone maps.

Every function draws on a matplotlib ``Axes`` and returns it: pass ``ax=`` to draw into
a figure of your own, or leave it out and a new figure is made. Nothing is shown or
saved here: call ``plt.show()`` or ``fig.savefig()`` yourself. matplotlib is imported
only when a function is called, so ``import raremin`` does not need it.

- :func:`plot_grade_tonnage`: tonnage and mean grade above cut-off (and optionally
  the contained quantity) against the cut-off grade, for one or many curves.
- :func:`plot_grade_tonnage_envelope`: the uncertainty of a grade-tonnage curve from
  realisations or Monte Carlo draws: P50 lines and P90-P10 bands of tonnage and mean
  grade, with a reference (kriged) curve over them.
- :func:`plot_histogram`: a density histogram of grades, optionally declustered, with
  a fitted distribution and cut-offs drawn over it.
- :func:`plot_zones`: a plan map of a deposit's zones with drillhole collars, the
  explored area and a scale bar (a solid's or a layer's footprint in plan).
- :func:`plot_blocks`: one bench (plan) or one vertical section of a block model,
  coloured by zone or by a grade.
- :func:`plot_classes`: one bench or section of a block model's resource classes
  (Measured, Indicated, Inferred) in fixed colours with a legend.

Regional assessment of undiscovered deposits (:mod:`raremin.undiscovered`); the objects'
``.plot()`` methods call these:

- :func:`plot_count_pmf`: bar chart of the number of undiscovered deposits, with its mean.
- :func:`plot_tonnage_model`: a tonnage model's cdf over the known deposits' tonnages.
- :func:`plot_grade_model`: each grade's model cdf over the known deposits' grades.
- :func:`plot_totals`: exceedance curve of a simulated total (ore or a commodity).

Axis labels always state the grade unit and basis (element or oxide), and tonnages
their unit, following ``docs/conventions.md``.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from raremin.distributions import Lognormal
>>> from raremin.tonnage import analytic_grade_tonnage
>>> from raremin.plotting import plot_grade_tonnage
>>> treo = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
>>> gt = analytic_grade_tonnage(treo, 100e6, [0.05, 0.1, 0.15, 0.2, 0.3])
>>> ax = plot_grade_tonnage(gt)
>>> ax.get_ylabel()
'Tonnage above cut-off (Mt)'
>>> ax.grade_axes.get_ylabel()
'Mean treo above cut-off (%, oxide basis)'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import check_basis, check_cutoffs, check_finite, check_grades, check_weights
from .distributions import GradeDistribution
from .errors import BasisError, GeometryError, InputError, UnitError
from .units import convert_tonnage, grade_unit
from .units import tonnage_unit as _tonnage_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CLASS_COLORS", "plot_blocks", "plot_classes", "plot_count_pmf", "plot_grade_model",
           "plot_grade_tonnage", "plot_grade_tonnage_envelope", "plot_histogram",
           "plot_tonnage_model", "plot_totals", "plot_zones"]

#: How each canonical grade unit is written in axis labels.
_UNIT_TEXT = {"pct": "%", "ppb": "ppb", "ppm": "ppm", "g/t": "g/t", "kg/t": "kg/t",
              "fraction": "fraction"}


# ----------------------------------------------------------------------------- helpers
def _unit_text(unit: str) -> str:
    """``"pct"`` -> ``"%"``: a grade unit as written on a chart."""
    return _UNIT_TEXT[grade_unit(unit)]


def _start(ax: Any, figsize: tuple[float, float] | None = None) -> tuple[Axes, bool]:
    """The axes to draw on, and whether this call created its figure."""
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    if ax is None:
        _, new = plt.subplots(figsize=figsize)
        return new, True
    if not isinstance(ax, Axes):
        raise InputError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax, False


def _cycle_colors() -> list[Any]:
    """The colours of matplotlib's current property cycle."""
    import matplotlib as mpl

    colors = mpl.rcParams["axes.prop_cycle"].by_key().get("color")
    return list(colors) if colors else ["C0"]


# ------------------------------------------------------------------------ grade-tonnage
#: Type name used in annotations: any object with the fields of raremin.tonnage.GradeTonnage.
GradeTonnage = Any


def _is_grade_tonnage(obj: Any) -> bool:
    """Duck-typed check for a grade-tonnage table (keeps this module free of tonnage)."""
    return all(
        hasattr(obj, name)
        for name in ("cutoffs", "tonnage_t", "mean_grade", "contained_t", "unit", "basis")
    )


def _gt_items(results: Any) -> list[tuple[str | None, GradeTonnage]]:
    """Normalise the `results` argument into (label or None, GradeTonnage) pairs."""
    if _is_grade_tonnage(results):
        return [(None, results)]
    items: list[tuple[str | None, Any]]
    if isinstance(results, Mapping):
        items = [(str(key), value) for key, value in results.items()]
    elif isinstance(results, Sequence) and not isinstance(results, str):
        many = len(results) > 1
        items = [(f"curve {i}" if many else None, value) for i, value in enumerate(results)]
    else:
        raise InputError(
            "results must be a GradeTonnage, a sequence of them or a dict of label -> "
            f"GradeTonnage; got {type(results).__name__}"
        )
    if not items:
        raise InputError("results is empty: there is no grade-tonnage curve to draw")
    for label, value in items:
        if not _is_grade_tonnage(value):
            where = f"{label!r}" if label is not None else "0"
            raise InputError(
                f"results[{where}] must be a GradeTonnage; got {type(value).__name__}"
            )
    return items


def _check_same_grade(items: list[tuple[str | None, GradeTonnage]]) -> None:
    """All curves on one chart need cut-offs in one unit and on one basis."""
    first_label, first = items[0]
    first_name = first_label or "the first result"
    for label, gt in items[1:]:
        name = label or "another result"
        if grade_unit(gt.unit) != grade_unit(first.unit):
            raise UnitError(
                f"grade-tonnage curves on one chart must share the cut-off grade unit: "
                f"{first_name} is in {first.unit} but {name} is in {gt.unit}; recompute "
                f"one of them with grades in the other's unit"
            )
        if check_basis(gt.basis) != check_basis(first.basis):
            raise BasisError(
                f"grade-tonnage curves on one chart must share the grade basis: "
                f"{first_name} is on {first.basis} basis but {name} is on {gt.basis} "
                f"basis; convert one of them (see raremin.chemistry)"
            )


def _index_label(gt: GradeTonnage, index: tuple[int, ...]) -> str:
    """Label of one leading index: numbers, with the group (zone) name last if known."""
    groups = gt.groups
    if groups is not None and len(groups) == gt.tonnage_t.shape[-2]:
        return ", ".join([str(i) for i in index[:-1]] + [str(groups[index[-1]])])
    return ", ".join(str(i) for i in index)


def _curve_specs(
    items: list[tuple[str | None, GradeTonnage]], labels: Any
) -> list[tuple[str, GradeTonnage, tuple[int, ...]]]:
    """One (label, result, leading index) triple per curve to draw."""
    n_results = len(items)
    per_result = [
        [()] if gt.tonnage_t.ndim == 1 else list(np.ndindex(gt.tonnage_t.shape[:-1]))
        for _, gt in items
    ]
    n_curves = sum(len(p) for p in per_result)
    own: list[str] | None = None
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) == n_curves:
            own = labels
        elif len(labels) == n_results:
            items = [(lab, gt) for lab, (_, gt) in zip(labels, items, strict=True)]
        else:
            raise InputError(
                f"labels has {len(labels)} entries; give one per curve ({n_curves}) or "
                f"one per result ({n_results})"
            )
    specs = []
    for (label, gt), indices in zip(items, per_result, strict=True):
        grouped = gt.groups is not None
        for index in indices:
            if not index:
                text = label or "curve 0"
            elif label is not None:
                text = f"{label}: {_index_label(gt, index)}"
            elif grouped:
                text = _index_label(gt, index)
            else:
                text = f"curve {_index_label(gt, index)}"
            specs.append((text, gt, index))
    if own is not None:
        specs = [(text, gt, index) for text, (_, gt, index) in zip(own, specs, strict=True)]
    return specs


def plot_grade_tonnage(
    results: Any,
    ax: Any = None,
    *,
    labels: Sequence[str] | None = None,
    contained: bool = False,
    tonnage_unit: str = "Mt",
    contained_unit: str = "kt",
    colors: Sequence[Any] | None = None,
    legend: bool = True,
    title: str | None = None,
) -> Axes:
    """
    Draw grade-tonnage curves: tonnage and mean grade above cut-off against the cut-off.

    Tonnage above the cut-off is drawn as solid lines on the left axis and the mean
    grade above the cut-off as dashed lines, in the same colour, on a twin right axis.
    With ``contained=True`` the contained quantity is drawn as dotted lines on a third
    axis offset to the right.

    Parameters
    ----------
    results : GradeTonnage, sequence of GradeTonnage or dict of str to GradeTonnage
        The tables to draw. A table with leading axes (zones, realisations, Monte Carlo
        draws) gives one curve per leading index, labelled by its group (zone) name or
        its index. Every table must have cut-offs in the same unit and basis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (the left axis); a new figure is made when omitted.
    labels : sequence of str, optional
        Legend labels: one per curve, or one per result (then combined with the group
        names or indices of its curves). Defaults to the dict keys, the group names or
        ``"curve i"``.
    contained : bool, default False
        Also draw the contained quantity (tonnes of element or oxide, as the grade).
    tonnage_unit : str, default "Mt"
        Unit of the tonnage axis (``"t"``, ``"kt"``, ``"Mt"``).
    contained_unit : str, default "kt"
        Unit of the contained-quantity axis.
    colors : sequence of colours, optional
        One colour per curve (repeated when there are more curves); defaults to
        matplotlib's colour cycle.
    legend : bool, default True
        Draw a legend (below the chart) when there is more than one curve; it also
        explains the line styles.
    title : str, optional
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
        The left (tonnage) axes. Its attribute ``grade_axes`` is the mean-grade axes
        and ``contained_axes`` the contained-quantity axes (None unless drawn);
        ``not_estimated_note`` is the note written in the top right corner when some
        tonnage has no estimate of the cut-off grade (``""`` otherwise).

    Raises
    ------
    UnitError
        Results with cut-offs in different grade units, or an unknown tonnage unit.
    BasisError
        Results on different grade bases.
    InputError
        Anything in `results` that is not a GradeTonnage, or labels of the wrong length.

    Notes
    -----
    Mean grades are NaN where no tonnage lies above the cut-off; those points are left
    out of the dashed lines. The figure is laid out (``tight_layout``) only when this
    function created it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from raremin.tonnage import grade_tonnage
    >>> from raremin.plotting import plot_grade_tonnage
    >>> g = np.array([0.05, 0.12, 0.18, 0.25, 0.09, 0.31])
    >>> gt = grade_tonnage(g, 2e6, [0.0, 0.1, 0.2], unit="pct", basis="oxide",
    ...                    grade_name="treo", groups=[0, 0, 0, 1, 1, 1],
    ...                    group_names=["Irgiz", "Dos 2"])
    >>> ax = plot_grade_tonnage(gt, contained=True)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['Irgiz', 'Dos 2', 'tonnage (solid) / grade (dashed) / contained (dotted)']
    >>> ax.contained_axes.get_ylabel()
    'Contained treo (kt, oxide)'
    """
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D

    items = _gt_items(results)
    _check_same_grade(items)
    t_unit = _tonnage_unit(tonnage_unit)
    c_unit = _tonnage_unit(contained_unit)
    specs = _curve_specs(items, labels)
    palette = list(colors) if colors is not None else _cycle_colors()
    if not palette:
        raise InputError("colors is empty; give at least one colour or leave it out")

    first = items[0][1]
    unit = _unit_text(first.unit)
    basis = check_basis(first.basis)
    names: list[str] = []
    for _, gt in items:
        if gt.grade_name not in names:
            names.append(gt.grade_name)
    grade = " / ".join(names)

    # A third axis needs a wider figure so its ticks clear the grade axis label.
    ax, created = _start(ax, (8.0, 4.8) if contained else None)
    grade_ax = ax.twinx()
    contained_ax = None
    if contained:
        contained_ax = ax.twinx()
        contained_ax.spines["right"].set_position(("axes", 1.12))

    handles = []
    for k, (label, gt, index) in enumerate(specs):
        color = palette[k % len(palette)]
        x = np.asarray(gt.cutoffs, dtype=float)
        marker = "o" if x.size <= 15 else None
        tonnes = convert_tonnage(np.asarray(gt.tonnage_t[index], dtype=float), "t", t_unit)
        mean = np.asarray(gt.mean_grade[index], dtype=float)
        (line,) = ax.plot(x, tonnes, color=color, linestyle="-", marker=marker,
                          markersize=3.5, label=label)
        grade_ax.plot(x, mean, color=color, linestyle="--", marker=marker,
                      markersize=3.5, label=label)
        if contained_ax is not None:
            quantity = convert_tonnage(
                np.asarray(gt.contained_t[index], dtype=float), "t", c_unit
            )
            contained_ax.plot(x, quantity, color=color, linestyle=":", marker=marker,
                              markersize=3.5, label=label)
        handles.append(line)

    ax.set_xlabel(f"Cut-off {grade} ({unit}, {basis} basis)")
    ax.set_ylabel(f"Tonnage above cut-off ({t_unit})")
    grade_ax.set_ylabel(f"Mean {grade} above cut-off ({unit}, {basis} basis)")
    ax.set_ylim(bottom=0.0)
    if contained_ax is not None:
        contained_ax.set_ylabel(f"Contained {grade} ({c_unit}, {basis})")
        contained_ax.set_ylim(bottom=0.0)
    if title is not None:
        ax.set_title(title)
    note = _not_estimated_note(items, t_unit)
    if note:
        ax.text(0.99, 0.98, note, transform=ax.transAxes, ha="right", va="top",
                fontsize="small", color="0.25")
    ax.not_estimated_note = note

    if legend and len(specs) > 1:
        gray = "0.35"
        styles = [Line2D([], [], color=gray, linestyle="-"),
                  Line2D([], [], color=gray, linestyle="--")]
        text = "tonnage (solid) / grade (dashed)"
        if contained_ax is not None:
            styles.append(Line2D([], [], color=gray, linestyle=":"))
            text += " / contained (dotted)"
        entries = len(specs) + 1
        # Below the chart, clear of the tick labels and the x label, so it hides no curve.
        ax.legend(
            [*handles, tuple(styles)],
            [spec[0] for spec in specs] + [text],
            handler_map={tuple: HandlerTuple(ndivide=None, pad=0.6)},
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            borderaxespad=3.4,
            ncol=min(entries, 3),
            handlelength=3.0,
            fontsize="small",
            frameon=False,
        )

    ax.grade_axes = grade_ax
    ax.contained_axes = contained_ax
    if created:
        ax.figure.tight_layout()
    return ax


def _not_estimated_note(items: list[tuple[str | None, GradeTonnage]], t_unit: str) -> str:
    """A note of the tonnage left out because its cut-off grade is not estimated."""
    missed = 0.0
    total: float | None = 0.0
    for _, gt in items:
        lost = getattr(gt, "not_estimated_t", None)
        if lost is None:
            continue
        missed += float(np.nansum(lost))
        if total is not None and float(gt.cutoffs[0]) == 0.0:
            total += float(np.nansum(np.asarray(gt.tonnage_t)[..., 0])) + float(np.nansum(lost))
        else:
            total = None  # the whole tonnage is known only from a zero cut-off
    if missed <= 0:
        return ""
    amount = convert_tonnage(missed, "t", t_unit)
    text = f"{amount:,.0f}" if amount >= 100 else f"{amount:.3g}"
    note = f"Not estimated (left out): {text} {t_unit}"
    if total:
        note += f" ({100.0 * missed / total:.1f} % of the tonnage)"
    return note


# ------------------------------------------------------------------ uncertainty envelope
def _envelope_columns(summary: Any, basis: str | None) -> tuple[str, str, str, str]:
    """Cut-off column, grade unit, mean-grade column and basis of a summary table."""
    from .analytes import column_unit

    missing = [c for c in ("zone", "statistic", "tonnage_t") if c not in summary.columns]
    cut_cols = [c for c in summary.columns if str(c).startswith("cutoff_")]
    if missing or len(cut_cols) != 1:
        raise InputError(
            f"summary must be the table of raremin.uncertainty.summarise_grade_tonnage "
            f"(columns zone, cutoff_<unit>, statistic, tonnage_t, <grade>_<unit>...); it has "
            f"{list(summary.columns)}"
        )
    cut_col = str(cut_cols[0])
    unit = column_unit(cut_col)
    if unit is None:
        raise UnitError(f"cannot read the grade unit of the cut-off column {cut_col!r}; name "
                        f"it cutoff_<unit> (cutoff_pct, cutoff_ppm...)")
    suffix = cut_col[len("cutoff_"):]
    named = summary.attrs.get("grade")
    if named is not None and f"{named}_{suffix}" in summary.columns:
        grade_col = f"{named}_{suffix}"
    else:
        known = {"zone", "statistic", cut_col, "tonnage_t", "contained_t", "not_estimated_t",
                 "n_realisations", "n_with_tonnage"}
        others = [str(c) for c in summary.columns if c not in known]
        if len(others) != 1:
            raise InputError(f"cannot tell the mean-grade column among {others}; set "
                             f"summary.attrs['grade'] (e.g. 'treo')")
        grade_col = others[0]
    if basis is None:
        basis = summary.attrs.get("basis")
        if basis is None:
            raise InputError("the summary does not say its grade basis (summary.attrs['basis']);"
                             " give basis='element' or basis='oxide'")
    return cut_col, grade_unit(unit), grade_col, check_basis(basis)


def _reference_curve(reference: Any, zone: str, unit: str,
                     basis: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut-offs, tonnage (t) and mean grade of a reference GradeTonnage for one zone."""
    if not _is_grade_tonnage(reference):
        raise InputError(f"reference must be a GradeTonnage; got {type(reference).__name__}")
    if grade_unit(reference.unit) != unit:
        raise UnitError(f"the reference curve is in {reference.unit} but the summary's cut-offs "
                        f"are in {unit}; recompute one of them in the other's unit")
    if check_basis(reference.basis) != basis:
        raise BasisError(f"the reference curve is on {reference.basis} basis but the summary "
                         f"on {basis} basis; convert one of them (see raremin.chemistry)")
    tonnes = np.asarray(reference.tonnage_t, dtype=float)
    mean = np.asarray(reference.mean_grade, dtype=float)
    x = np.asarray(reference.cutoffs, dtype=float)
    if tonnes.ndim == 1:
        return x, tonnes, mean
    groups = getattr(reference, "groups", None)
    if tonnes.ndim == 2 and groups is not None and zone in groups:
        k = list(groups).index(zone)
        return x, tonnes[k], mean[k]
    if tonnes.ndim == 2 and groups is not None and zone == "Total":
        total = tonnes.sum(axis=0)
        metal = np.where(tonnes > 0, tonnes * mean, 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return x, total, np.where(total > 0, metal / total, np.nan)
    raise InputError(
        f"the reference curve has shape {tonnes.shape} and groups {groups}; give one curve, "
        f"or a table by zone that has zone {zone!r}"
    )


def plot_grade_tonnage_envelope(
    summary: Any,
    *,
    zone: str | None = None,
    ax: Any = None,
    reference: Any = None,
    reference_label: str = "reference",
    basis: str | None = None,
    grade: bool = True,
    tonnage_unit: str = "Mt",
    colors: Sequence[Any] | None = None,
    legend: bool = True,
    title: str | None = None,
) -> Axes:
    """
    Draw the uncertainty of a grade-tonnage curve: the P50 line and the P90-P10 band.

    Tonnage above the cut-off is drawn on the left axis (P50 solid, P90-P10 shaded) and
    the mean grade above the cut-off on a twin right axis (P50 dashed, its band lighter),
    as in :func:`plot_grade_tonnage`; a reference curve (the kriged model, say) may be
    drawn over them in black.

    Parameters
    ----------
    summary : pandas.DataFrame
        The table of :func:`raremin.uncertainty.summarise_grade_tonnage`: rows per zone,
        cut-off and statistic (``P90``, ``P50``, ``P10``...).
    zone : str, optional
        The zone to draw; default ``"Total"``, or the only zone of the table.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (the tonnage axis); a new figure is made when omitted.
    reference : GradeTonnage, optional
        A curve to draw over the band in the same grade unit and basis: one curve, or a
        table by zone (its `zone` is drawn; ``"Total"`` adds the zones up).
    reference_label : str, default "reference"
        Legend label of the reference curve.
    basis : {"element", "oxide"}, optional
        Grade basis, when ``summary.attrs`` does not say it.
    grade : bool, default True
        Draw the mean grade on the twin axis.
    tonnage_unit : str, default "Mt"
        Unit of the tonnage axis (``"t"``, ``"kt"``, ``"Mt"``).
    colors : sequence of two colours, optional
        Colours of tonnage and grade; default the first two of matplotlib's cycle.
    legend : bool, default True
        Draw a legend below the chart.
    title : str, optional
        Chart title; default names the zone and the number of realisations; ``""`` for
        none.

    Returns
    -------
    matplotlib.axes.Axes
        The tonnage axes. ``band`` is its P90-P10 band (a ``PolyCollection``),
        ``grade_axes`` the mean-grade axes and ``grade_band`` their band (None without
        `grade`); ``not_estimated_note`` the note written when some tonnage has no
        estimate (``""`` otherwise).

    Raises
    ------
    InputError
        A table without the summary's columns, a zone it does not have, missing P-values,
        or no basis.
    UnitError, BasisError
        A reference curve in another grade unit or basis; an unknown tonnage unit.

    Notes
    -----
    P90 is the 0.10 quantile and P10 the 0.90 quantile (``docs/conventions.md``), so the
    band runs from P90 (below) to P10 (above). The mean grade's band is over the
    realisations with tonnage above each cut-off (``n_with_tonnage``). The figure is
    laid out (``tight_layout``) only when this function created it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.uncertainty import realisation_grade_tonnage, summarise_grade_tonnage
    >>> from raremin.plotting import plot_grade_tonnage_envelope
    >>> model = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (50, 1, 1)),
    ...                                     {"A": (np.arange(50), np.ones(50))}, 2.6)
    >>> sims = np.random.default_rng(0).lognormal(np.log(0.1), 0.5, (40, 50))
    >>> table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct",
    ...                                   [0.0, 0.05, 0.1, 0.15, 0.2])
    >>> ax = plot_grade_tonnage_envelope(summarise_grade_tonnage(table))
    >>> ax.get_title(), ax.grade_axes.get_ylabel()
    ('Total: P50 and P90-P10 of 40 realisations', 'Mean treo above cut-off (%, oxide basis)')
    """
    import pandas as pd
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.patches import Patch

    from .uncertainty import P_LEVELS

    if not isinstance(summary, pd.DataFrame):
        raise InputError(f"summary must be a pandas DataFrame (summarise_grade_tonnage); got "
                         f"{type(summary).__name__}")
    cut_col, unit, grade_col, basis = _envelope_columns(summary, basis)
    t_unit = _tonnage_unit(tonnage_unit)
    names = [str(z) for z in dict.fromkeys(summary["zone"].astype(str))]
    if zone is None:
        if "Total" in names or len(names) != 1:
            zone = "Total"
        else:
            zone = names[0]
    if str(zone) not in names:
        raise InputError(f"the summary has no zone {zone!r}; zones: {names}")
    zone = str(zone)
    rows = summary[summary["zone"].astype(str) == zone]
    low, mid, high = sorted(P_LEVELS, key=P_LEVELS.__getitem__)  # P90, P50, P10

    def curve(stat: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        part = rows[rows["statistic"] == stat].sort_values(cut_col)
        if part.empty:
            raise InputError(f"the summary has no {stat} rows for zone {zone!r}; give the "
                             f"table of summarise_grade_tonnage")
        return part[cut_col].to_numpy(dtype=float), part[column].to_numpy(dtype=float)

    x, t_mid = curve(mid, "tonnage_t")
    curves = {}
    for stat in (low, high):
        x_stat, values = curve(stat, "tonnage_t")
        if not np.array_equal(x_stat, x):
            raise InputError(f"the {stat} rows of zone {zone!r} have other cut-offs than its "
                             f"{mid} rows")
        curves[stat] = values
    palette = list(colors) if colors is not None else _cycle_colors()
    if not palette:
        raise InputError("colors is empty; give two colours or leave it out")
    t_color, g_color = palette[0], palette[1 % len(palette)]
    marker = "o" if x.size <= 15 else None
    n_real = int(rows["n_realisations"].iloc[0]) if "n_realisations" in rows.columns else None

    ax, created = _start(ax)
    band = ax.fill_between(x, convert_tonnage(curves[low], "t", t_unit),
                           convert_tonnage(curves[high], "t", t_unit), color=t_color,
                           alpha=0.25, linewidth=0.0)
    (t_line,) = ax.plot(x, convert_tonnage(t_mid, "t", t_unit), color=t_color, linestyle="-",
                        marker=marker, markersize=3.5)
    handles: list[Any] = [(Patch(color=t_color, alpha=0.25), t_line)]
    labels = [f"tonnage: {mid} (line), {low}-{high} (band)"]
    grade_ax = grade_band = None
    if grade:
        grade_ax = ax.twinx()
        _, g_mid = curve(mid, grade_col)
        grade_band = grade_ax.fill_between(x, curve(low, grade_col)[1], curve(high, grade_col)[1],
                                           color=g_color, alpha=0.15, linewidth=0.0)
        (g_line,) = grade_ax.plot(x, g_mid, color=g_color, linestyle="--", marker=marker,
                                  markersize=3.5)
        grade_ax.set_ylabel(f"Mean {grade_col.rsplit('_', 1)[0]} above cut-off "
                            f"({_unit_text(unit)}, {basis} basis)")
        handles.append((Patch(color=g_color, alpha=0.15), g_line))
        labels.append(f"mean grade: {mid} (dashed), {low}-{high} (band)")
    reference_handler: dict[Any, Any] = {}
    if reference is not None:
        xr, tr, gr = _reference_curve(reference, zone, unit, basis)
        (r_line,) = ax.plot(xr, convert_tonnage(tr, "t", t_unit), color="black", linewidth=1.2,
                            linestyle="-")
        ref_handle: Any = r_line
        if grade_ax is not None:
            (r_grade,) = grade_ax.plot(xr, gr, color="black", linewidth=1.2, linestyle="--")
            ref_handle = (r_line, r_grade)
            reference_handler[ref_handle] = HandlerTuple(ndivide=None, pad=0.6)
        handles.append(ref_handle)
        labels.append(reference_label)

    grade_name = grade_col.rsplit("_", 1)[0]
    ax.set_xlabel(f"Cut-off {grade_name} ({_unit_text(unit)}, {basis} basis)")
    ax.set_ylabel(f"Tonnage above cut-off ({t_unit})")
    ax.set_ylim(bottom=0.0)
    if title is None:
        title = f"{zone}: {mid} and {low}-{high}" + (
            f" of {n_real} realisations" if n_real is not None else "")
    if title:
        ax.set_title(title)
    note = ""
    if "not_estimated_t" in rows.columns:
        lost = rows.loc[rows["statistic"] == "mean", "not_estimated_t"].to_numpy(dtype=float)
        if lost.size and np.nanmax(lost) > 0:
            amount = convert_tonnage(float(np.nanmax(lost)), "t", t_unit)
            text = f"{amount:,.0f}" if amount >= 100 else f"{amount:.3g}"
            note = f"Not estimated (left out): {text} {t_unit} per realisation (mean)"
            ax.text(0.99, 0.98, note, transform=ax.transAxes, ha="right", va="top",
                    fontsize="small", color="0.25")
    if legend:
        ax.legend(
            handles, labels,
            handler_map={tuple: HandlerTuple(ndivide=1), **reference_handler},
            loc="upper center", bbox_to_anchor=(0.5, 0.0), borderaxespad=3.4,
            ncol=min(len(handles), 2), handlelength=3.0, fontsize="small", frameon=False,
        )
    ax.band = band
    ax.grade_axes = grade_ax
    ax.grade_band = grade_band
    ax.not_estimated_note = note
    if created:
        ax.figure.tight_layout()
    return ax


# ---------------------------------------------------------------------------- histogram
def _histogram_edges(values: np.ndarray, bins: Any, log: bool) -> np.ndarray:
    """Bin edges: a numpy rule or count, on log10 grades when `log`; or edges as given."""
    if isinstance(bins, str) or np.ndim(bins) == 0:
        if not isinstance(bins, str):
            if not float(bins).is_integer() or int(bins) < 1:
                raise InputError(f"bins must be a positive integer, a rule or edges; got {bins}")
            bins = int(bins)
        if log:
            return 10.0 ** np.histogram_bin_edges(np.log10(values), bins=bins)
        return np.histogram_bin_edges(values, bins=bins)
    edges = check_finite(bins, "bin edges")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise InputError(
            f"bin edges must be an increasing 1-D sequence of at least 2 values; got {edges}"
        )
    if log and edges[0] <= 0:
        raise InputError(f"log-spaced bins need edges > 0; the first edge is {edges[0]}")
    return edges


def plot_histogram(
    values: Any,
    ax: Any = None,
    *,
    unit: str,
    basis: str,
    name: str = "grade",
    weights: Any = None,
    bins: Any = "auto",
    log: bool = False,
    distribution: GradeDistribution | None = None,
    cutoffs: Any = None,
) -> Axes:
    """
    Draw a density histogram of grades, optionally with a distribution and cut-offs.

    Parameters
    ----------
    values : array_like or pandas.Series
        Grades in `unit`, 1-D. NaN is not allowed: drop or fill missing grades first.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    unit : str
        Grade unit of `values` (any spelling :func:`raremin.units.grade_unit` accepts).
    basis : {"element", "oxide"}
        Grade basis.
    name : str, default "grade"
        What the grade is of (``"treo"``), used in the x label.
    weights : array_like, optional
        Non-negative weights, one per value (e.g. declustering weights).
    bins : int, str or array_like, default "auto"
        Number of bins, a numpy bin rule (``"auto"``, ``"fd"``...) or the bin edges.
        With ``log=True`` a count or rule is applied to ``log10`` of the grades, which
        gives log-spaced bins.
    log : bool, default False
        Log-spaced bins and a logarithmic x axis (grades must be > 0).
    distribution : GradeDistribution, optional
        A single distribution in the same unit and basis; its pdf is drawn over the bars.
    cutoffs : float or array_like, optional
        Cut-off grades in `unit`, drawn as vertical dashed lines.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        NaN, negative or over-100 % grades; bad weights or bins; zero grades with
        ``log=True``; a distribution that is a batch of several.
    UnitError
        A distribution in another unit (convert it with ``distribution.to_unit``).
    BasisError
        A distribution on the other basis.

    Notes
    -----
    Bar heights are a density: with weights ``w`` and bin widths ``b``, the height of a
    bin is ``sum(w in bin) / (sum(w) b)``, so the bars' area is 1 and is comparable
    with a pdf, on a log x axis too.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from raremin.distributions import Lognormal
    >>> from raremin.plotting import plot_histogram
    >>> d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
    >>> x = d.rvs(500, rng=1)
    >>> ax = plot_histogram(x, unit="pct", basis="oxide", name="treo", log=True,
    ...                     distribution=d, cutoffs=[0.1])
    >>> ax.get_xlabel(), ax.get_xscale()
    ('treo (%, oxide basis)', 'log')
    >>> [line.get_label() for line in ax.get_lines()]
    ['Lognormal pdf', 'cut-off 0.1 %']
    """
    unit = grade_unit(unit)
    basis = check_basis(basis)
    label_name = str(name)
    v = check_grades(values, unit, f"{label_name} grades")
    if v.ndim != 1 or v.size == 0:
        raise InputError(f"{label_name} grades must be a non-empty 1-D array; got shape {v.shape}")
    w = None if weights is None else check_weights(weights, v.size, "weights")
    if log and np.any(v <= 0):
        count = int(np.count_nonzero(v <= 0))
        raise InputError(
            f"log=True needs grades > 0 but {count} {label_name} grade(s) are 0; use "
            f"log=False, or replace or remove the zeros explicitly"
        )
    cut = None if cutoffs is None else check_cutoffs(cutoffs, unit)
    if distribution is not None:
        if not isinstance(distribution, GradeDistribution):
            raise InputError(
                "distribution must be a raremin grade distribution; got "
                f"{type(distribution).__name__}"
            )
        if distribution.unit != unit:
            raise UnitError(
                f"the distribution is in {distribution.unit} but the grades are in {unit}; "
                f"use distribution.to_unit({unit!r})"
            )
        if distribution.basis != basis:
            raise BasisError(
                f"the distribution is on {distribution.basis} basis but the grades are on "
                f"{basis} basis; both must be on the same basis"
            )
        if distribution.batch_shape != ():
            raise InputError(
                "distribution must be a single distribution; got a batch of shape "
                f"{distribution.batch_shape}"
            )
    edges = _histogram_edges(v, bins, log)

    ax, created = _start(ax)
    palette = _cycle_colors()
    n_text = f"n = {v.size}"
    sample_label = f"samples, declustered ({n_text})" if w is not None else f"samples ({n_text})"
    ax.hist(v, bins=edges, weights=w, density=True, color=palette[0], alpha=0.6,
            edgecolor="white", linewidth=0.5, label=sample_label)
    if log:
        _log_grade_axis(ax, edges)
    if distribution is not None:
        grid = (np.geomspace if log else np.linspace)(edges[0], edges[-1], 512)
        density = np.asarray(distribution.pdf(grid), dtype=float)
        ax.plot(grid, density, color=palette[1 % len(palette)], linewidth=2,
                label=f"{type(distribution).__name__} pdf")
    if cut is not None:
        for k, c in enumerate(cut):
            ax.axvline(c, color=palette[(2 + k) % len(palette)], linestyle="--",
                       linewidth=1.5, label=f"cut-off {c:g} {_unit_text(unit)}")
    ax.set_xlabel(f"{label_name} ({_unit_text(unit)}, {basis} basis)")
    ax.set_ylabel("Density")
    if distribution is not None or cut is not None:
        ax.legend(loc="best", fontsize="small")
    if created:
        ax.figure.tight_layout()
    return ax


def _log_grade_axis(ax: Any, edges: np.ndarray) -> None:
    """Log x axis with plain-number tick labels (0.05, 0.1, 0.2) instead of powers of 10."""
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    decades = math.log10(edges[-1] / edges[0])

    def major(value: float, _pos: Any) -> str:
        return f"{value:g}"

    def minor(value: float, _pos: Any) -> str:
        mantissa = round(value / 10.0 ** math.floor(math.log10(value) + 1e-9), 6)
        return f"{value:g}" if decades < 2 and mantissa in (2.0, 5.0) else ""

    ax.xaxis.set_major_formatter(FuncFormatter(major))
    ax.xaxis.set_minor_formatter(FuncFormatter(minor))


# -------------------------------------------------------------------------------- zones
def _polygons(geometry: Any, what: str) -> list[Any]:
    """The polygons of a Polygon, MultiPolygon or collection; GeometryError if none."""
    import shapely

    parts = [
        p for p in shapely.get_parts(geometry)
        if isinstance(p, shapely.Polygon) and not p.is_empty
    ]
    if not parts:
        raise GeometryError(
            f"{what} must be a polygon or multipolygon; got {geometry.geom_type}"
        )
    return parts


def _polygon_path(polygon: Any) -> Any:
    """A matplotlib Path of a polygon with its holes (exterior CCW, holes CW)."""
    from matplotlib.path import Path
    from shapely.geometry.polygon import orient

    polygon = orient(polygon, sign=1.0)
    vertices = []
    codes = []
    for ring in (polygon.exterior, *polygon.interiors):
        xy = np.asarray(ring.coords, dtype=float)[:, :2]
        ring_codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
        ring_codes[0] = Path.MOVETO
        ring_codes[-1] = Path.CLOSEPOLY
        vertices.append(xy)
        codes.append(ring_codes)
    return Path(np.concatenate(vertices), np.concatenate(codes))


def _geo_crs_check(frame: Any, deposit: Any, what: str) -> None:
    """A GeoDataFrame/GeoSeries in another CRS than the deposit raises CRSError."""
    from .deposit import as_crs, check_same_crs

    crs = getattr(frame, "crs", None)
    if crs is not None:
        check_same_crs(deposit.crs, as_crs(crs), what)


def _collar_xy(collars: Any, deposit: Any) -> tuple[np.ndarray, np.ndarray]:
    """Eastings and northings of drillhole collars from a (Geo)DataFrame."""
    import shapely

    geometry = getattr(collars, "geometry", None)
    if geometry is not None and hasattr(collars, "crs"):
        _geo_crs_check(collars, deposit, "drillhole collars")
        geoms = np.asarray(geometry.values, dtype=object)
        points = shapely.get_type_id(geoms) == 0
        if not points.all():
            bad = geoms[~points][0]
            kind = "missing" if bad is None else bad.geom_type
            raise GeometryError(
                f"drillhole collars must be points; found {kind} geometry: use one point "
                f"per hole"
            )
        x = check_finite(shapely.get_x(geoms), "collar eastings")
        y = check_finite(shapely.get_y(geoms), "collar northings")
        return x, y
    columns = getattr(collars, "columns", None)
    if columns is None:
        raise InputError(
            "collars must be a DataFrame with easting_m and northing_m columns or a "
            f"GeoDataFrame of points; got {type(collars).__name__}"
        )
    missing = [c for c in ("easting_m", "northing_m") if c not in columns]
    if missing:
        raise InputError(
            f"collars lack column(s) {missing}; they have {list(columns)} (coordinates "
            f"in metres of the deposit's CRS)"
        )
    x = check_finite(collars["easting_m"], "collar easting_m")
    y = check_finite(collars["northing_m"], "collar northing_m")
    return x, y


def _explored_geometry(explored_area: Any, deposit: Any) -> Any:
    """One (multi)polygon from a shapely geometry, GeoSeries or GeoDataFrame."""
    import shapely

    if isinstance(explored_area, shapely.Geometry):
        return explored_area
    geometry = getattr(explored_area, "geometry", None)
    if geometry is None or not hasattr(explored_area, "crs"):
        raise InputError(
            "explored_area must be a shapely polygon or a GeoDataFrame/GeoSeries of "
            f"polygons; got {type(explored_area).__name__}"
        )
    _geo_crs_check(explored_area, deposit, "the explored area")
    geoms = [g for g in np.asarray(geometry.values, dtype=object) if g is not None]
    if not geoms:
        raise GeometryError("the explored area has no geometry")
    return shapely.union_all(geoms)


def _nice_length(target: float) -> float:
    """The largest 1, 2 or 5 x 10**k not above `target` (a round scale-bar length)."""
    exponent = math.floor(math.log10(target))
    for mantissa in (5.0, 2.0, 1.0):
        length = mantissa * 10.0**exponent
        if length <= target * (1 + 1e-12):
            return length
    return 10.0**exponent  # pragma: no cover - 1 x 10**k always fits


def _length_text(length_m: float) -> str:
    """``500.0`` -> ``"500 m"``; ``2000.0`` -> ``"2 km"``."""
    if length_m >= 1000:
        return f"{length_m / 1000:g} km"
    return f"{length_m:g} m"


def _draw_scalebar(ax: Any, obstacles: Any) -> None:
    """A round-length scale bar in a corner free of `obstacles` (a shapely geometry)."""
    import matplotlib.patheffects as pe
    import shapely
    from matplotlib.lines import Line2D

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = x1 - x0, y1 - y0
    length = _nice_length(width / 5.0)
    margin_x, margin_y, box_h = 0.04 * width, 0.05 * height, 0.09 * height
    corners = [
        (x0 + margin_x, y0 + margin_y),
        (x1 - margin_x - length, y0 + margin_y),
        (x0 + margin_x, y1 - margin_y - box_h),
        (x1 - margin_x - length, y1 - margin_y - box_h),
    ]
    for start, base in corners:
        region = shapely.box(start - 0.02 * width, base - 0.01 * height,
                             start + length + 0.02 * width, base + box_h)
        if obstacles is None or not shapely.intersects(region, obstacles):
            break
    else:
        # Every corner is busy: make room below the map and put the bar there.
        y0 -= box_h + 2 * margin_y
        ax.set_ylim(y0, y1)
        start, base = x0 + margin_x, y0 + margin_y
    halo = [pe.withStroke(linewidth=6, foreground="white")]
    bar = Line2D([start, start + length], [base, base], color="black", linewidth=4,
                 solid_capstyle="butt", zorder=6, gid="scalebar", path_effects=halo)
    ax.add_line(bar)
    ax.annotate(
        _length_text(length), xy=(start + length / 2, base), xytext=(0, 5),
        textcoords="offset points", ha="center", va="bottom", zorder=6, gid="scalebar",
        path_effects=[pe.withStroke(linewidth=3, foreground="white")],
    )


def plot_zones(
    deposit: Any,
    ax: Any = None,
    *,
    collars: Any = None,
    labels: bool = True,
    scalebar: bool = True,
    explored_area: Any = None,
) -> Axes:
    """
    Draw a plan map of a deposit's zones, with drillhole collars and a scale bar.

    Parameters
    ----------
    deposit : Deposit
        The deposit; its zone footprints are drawn filled and semi-transparent, one
        colour per zone (matplotlib's colour cycle).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    collars : pandas.DataFrame or geopandas.GeoDataFrame, optional
        Drillhole collars: a DataFrame with ``easting_m`` and ``northing_m`` (metres in
        the deposit's CRS) or a GeoDataFrame of points (in the deposit's CRS).
    labels : bool, default True
        Write each zone's name at a point inside it.
    scalebar : bool, default True
        Draw a scale bar of a round length (about a fifth of the map's width) in a
        corner clear of the zones and collars.
    explored_area : shapely geometry, geopandas.GeoSeries or GeoDataFrame, optional
        Outline of the explored area (polygons), drawn dashed.

    Returns
    -------
    matplotlib.axes.Axes
        Axes with equal aspect, ``Easting (m)`` and ``Northing (m)`` labels, and the
        deposit's name and CRS in the title.

    Raises
    ------
    InputError
        Not a Deposit; collars without coordinate columns or with NaN coordinates.
    CRSError
        Collars or explored area in another CRS than the deposit.
    GeometryError
        Collars that are not points, or an explored area that is not polygonal.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from shapely import box
    >>> from raremin.deposit import Deposit, Zone
    >>> from raremin.plotting import plot_zones
    >>> dep = Deposit("Example", [Zone("A", box(0, 0, 1500, 800), 760, 460, 2.65),
    ...                           Zone("B", box(2000, 200, 2600, 900), 760, 460, 2.65)],
    ...               crs="EPSG:32643")
    >>> holes = pd.DataFrame({"easting_m": [300.0, 900.0, 2300.0],
    ...                       "northing_m": [400.0, 500.0, 600.0]})
    >>> ax = plot_zones(dep, collars=holes)
    >>> sorted(t.get_text() for t in ax.texts)
    ['500 m', 'A', 'B']
    >>> ax.get_legend().get_texts()[0].get_text()
    'drillhole collars (3)'
    """
    import shapely
    from matplotlib.colors import to_rgba
    from matplotlib.patches import PathPatch

    from .deposit import Deposit

    if not isinstance(deposit, Deposit):
        raise InputError(f"deposit must be a raremin Deposit; got {type(deposit).__name__}")
    collar_xy = None if collars is None else _collar_xy(collars, deposit)
    explored = None
    if explored_area is not None:
        explored = _polygons(_explored_geometry(explored_area, deposit), "the explored area")

    ax, created = _start(ax)
    palette = _cycle_colors()
    obstacles = []
    for k, zone in enumerate(deposit.zones):
        color = palette[k % len(palette)]
        for part in _polygons(zone.footprint, f"zone {zone.name!r} footprint"):
            ax.add_patch(PathPatch(
                _polygon_path(part), facecolor=to_rgba(color, 0.35), edgecolor=color,
                linewidth=1.5, label=zone.name, zorder=2,
            ))
        obstacles.append(zone.footprint)
        if labels:
            point = zone.footprint.representative_point()
            ax.text(point.x, point.y, zone.name, ha="center", va="center",
                    fontweight="bold", zorder=5, clip_on=True,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                          "alpha": 0.85, "linewidth": 0})

    handles = []
    if explored is not None:
        for i, part in enumerate(explored):
            patch = PathPatch(
                _polygon_path(part), fill=False, edgecolor="0.25", linestyle="--",
                linewidth=1.2, zorder=3, label="explored area" if i == 0 else "_explored area",
            )
            ax.add_patch(patch)
            if i == 0:
                handles.append(patch)
            obstacles.append(part.exterior)
    if collar_xy is not None:
        x, y = collar_xy
        handles.insert(0, ax.scatter(
            x, y, s=10, color="black", marker="o", linewidths=0, zorder=4,
            label=f"drillhole collars ({x.size})",
        ))
        if x.size:
            obstacles.append(shapely.MultiPoint(np.column_stack([x, y])))

    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xlim(*ax.get_xlim())
    ax.set_ylim(*ax.get_ylim())
    ax.ticklabel_format(useOffset=False, style="plain")
    if created:
        _fit_figure_to_map(ax)
    ax.set_xlabel("Easting (m)")
    ax.set_ylabel("Northing (m)")
    crs = deposit.crs
    epsg = crs.to_epsg()
    crs_text = f"{crs.name} (EPSG:{epsg})" if epsg is not None else crs.name
    ax.set_title(f"{deposit.name}\n{crs_text}")
    if scalebar:
        _draw_scalebar(ax, shapely.union_all(obstacles) if obstacles else None)
    if handles:
        ax.legend(handles=handles, loc="best", fontsize="small")
    if created:
        ax.figure.tight_layout()
    _space_easting_ticks(ax)
    return ax


def _fit_figure_to_map(ax: Any) -> None:
    """Give a figure made here the map's shape, so the map is not a narrow strip."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ratio = (x1 - x0) / (y1 - y0)
    map_h = min(5.5, 8.0 / ratio)
    map_w = min(max(map_h * ratio, 3.0), 8.0)
    ax.figure.set_size_inches(map_w + 1.8, map_h + 1.4)


def _space_easting_ticks(ax: Any) -> None:
    """Fewer easting ticks on a narrow map, so the long coordinate labels do not touch."""
    from matplotlib.ticker import MaxNLocator

    ax.apply_aspect()
    width_in = ax.get_position().width * ax.figure.get_figwidth()
    x0, x1 = ax.get_xlim()
    digits = len(f"{max(abs(x0), abs(x1)):.0f}") + 1
    label_in = 0.6 * digits * 10.0 / 72.0  # about 0.6 em per digit at 10 pt
    nbins = max(2, int(width_in / (1.7 * label_in)))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]))


# ------------------------------------------------------------------------ block views
_SECTION_AXES = {"easting": 0, "northing": 1}


def _block_plane(model: Any, level: Any, section: Any) -> tuple[int, int, tuple[int, int],
                                                               str]:
    """The fixed axis, its index, the two plane axes and a title for a bench or section."""
    grid = model.grid
    if (level is None) == (section is None):
        raise InputError("give either level= (an elevation, m: a bench in plan) or section= "
                         "(('easting', x) or ('northing', y): a vertical section)")
    if level is not None:
        axis, value, plane = 2, float(level), (0, 1)
        title = f"Bench at elevation {value:g} m"
    else:
        if (not isinstance(section, (tuple, list)) or len(section) != 2
                or section[0] not in _SECTION_AXES):
            raise InputError(f"section must be ('easting', x) or ('northing', y) in metres; "
                             f"got {section!r}")
        axis, value = _SECTION_AXES[section[0]], float(section[1])
        plane = (1, 2) if axis == 0 else (0, 2)
        title = f"Section at {section[0]} {value:,.0f} m"
    lo = grid.origin[axis]
    index = math.floor((value - lo) / grid.block_size[axis])
    if not 0 <= index < grid.shape[axis]:
        hi = lo + grid.block_size[axis] * grid.shape[axis]
        name = "elevation" if axis == 2 else ("easting" if axis == 0 else "northing")
        raise InputError(f"{name} {value:g} m is outside the block model ({lo:g} to {hi:g} m)")
    return axis, index, plane, title


def plot_blocks(
    model: Any,
    variable: str = "zone",
    ax: Any = None,
    *,
    level: float | None = None,
    section: tuple[str, float] | None = None,
    cmap: Any = None,
    colorbar: bool = True,
) -> Axes:
    """
    Draw one bench (plan view) or one vertical section of a block model.

    Parameters
    ----------
    model : BlockModel
        The block model (:class:`raremin.grid.BlockModel`).
    variable : str, default "zone"
        ``"zone"``: each block coloured by the zone holding most of it; or the name of
        one of the model's arrays (a grade such as ``"cu_pct"``, a diagnostic): each
        block's proportion-weighted mean over its parcels. Blocks with no parcel or no
        value (not estimated) are left blank.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    level : float, optional
        Units: m. An elevation: the bench of blocks holding it, in plan.
    section : (str, float), optional
        ``("easting", x)`` or ``("northing", y)`` (units: m): the vertical section of
        blocks holding that plane.
    cmap : str or Colormap, optional
        Colour map of a numeric variable (default viridis).
    colorbar : bool, default True
        Draw a colour bar (numeric variables) or a legend (zones).

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.block_values`` holds the drawn plane (NaN where blank, zone codes
        for ``"zone"``).

    Raises
    ------
    InputError
        Neither or both of `level` and `section`, a plane outside the model, an unknown
        variable.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.plotting import plot_blocks
    >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 30, 20), 20, 0, 2.5),
    ...                                 BlockGrid((0, 0, 0), 10, (3, 2, 2)))
    >>> ax = plot_blocks(model, level=5.0)
    >>> ax.get_title(), ax.block_values.shape
    ('Bench at elevation 5 m: zone', (2, 3))
    >>> ax = plot_blocks(model, "density_t_m3", section=("northing", 15.0))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Easting (m)', 'Elevation (m)')
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if variable != "zone" and variable not in model.arrays:
        raise InputError(f"no array {variable!r} in the block model; it has 'zone' and "
                         f"{sorted(model.arrays)}")
    grid = model.grid
    axis, index, (u, v), title = _block_plane(model, level, section)
    ijk = grid.index_to_ijk(model.block_index)
    on = ijk[:, axis] == index
    nu, nv = grid.shape[u], grid.shape[v]
    cell = ijk[on, v] * nu + ijk[on, u]
    share = model.proportion[on]
    if variable == "zone":
        # The zone with the largest share of each block: sort by share, keep the last.
        order = np.lexsort((share, cell))
        last = np.ones(order.size, dtype=bool)
        last[:-1] = cell[order][1:] != cell[order][:-1]
        values = np.full(nu * nv, np.nan)
        values[cell[order][last]] = model.zone_code[on][order][last]
    else:
        data = np.asarray(model.arrays[variable], dtype=float)
        if data.ndim != 1:
            raise InputError(f"array {variable!r} has leading axes {data.shape[:-1]}; draw one "
                             f"realisation at a time")
        data = data[on]
        ok = np.isfinite(data)
        weight = np.bincount(cell[ok], weights=share[ok], minlength=nu * nv)
        total = np.bincount(cell[ok], weights=share[ok] * data[ok], minlength=nu * nv)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(weight > 0, total / weight, np.nan)
    values = values.reshape(nv, nu)
    ax, created = _start(ax)
    edges_u = grid.origin[u] + grid.block_size[u] * np.arange(nu + 1)
    edges_v = grid.origin[v] + grid.block_size[v] * np.arange(nv + 1)
    masked = np.ma.masked_invalid(values)
    if variable == "zone":
        colors = _cycle_colors()
        n_zones = len(model.zone_names)
        from matplotlib.colors import BoundaryNorm, ListedColormap

        palette = ListedColormap([colors[k % len(colors)] for k in range(n_zones)])
        norm = BoundaryNorm(np.arange(n_zones + 1) - 0.5, n_zones)
        ax.pcolormesh(edges_u, edges_v, masked, cmap=palette, norm=norm)
        if colorbar:
            present = sorted({int(c) for c in values[np.isfinite(values)]})
            handles = [Patch(color=colors[k % len(colors)], label=model.zone_names[k])
                       for k in present]
            if handles:
                ax.legend(handles=handles, fontsize="small", loc="best")
    else:
        mesh = ax.pcolormesh(edges_u, edges_v, masked, cmap=cmap or "viridis")
        if colorbar:
            plt.colorbar(mesh, ax=ax, label=variable)
    from matplotlib.ticker import MaxNLocator

    names = ("Easting (m)", "Northing (m)", "Elevation (m)")
    ax.set_xlabel(names[u])
    ax.set_ylabel(names[v])
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_title(f"{title}: {variable}")
    if level is not None:
        ax.set_aspect("equal")
    ax.block_values = values
    if created:
        ax.figure.tight_layout()
    return ax


# ------------------------------------------------------------------------ resource classes
#: Colours of the resource classes in :func:`plot_classes`: the red, orange and blue ends
#: of ColorBrewer's RdYlBu scheme (readable with red-green colour blindness), grey for
#: blocks estimated but not classified. There is no standard: pass ``colors=``.
CLASS_COLORS = {"Measured": "#d7191c", "Indicated": "#fdae61", "Inferred": "#2c7bb6",
                "Unclassified": "#d9d9d9"}


def plot_classes(
    model: Any,
    classes: Any = None,
    ax: Any = None,
    *,
    level: float | None = None,
    section: tuple[str, float] | None = None,
    colors: Mapping[str, Any] | None = None,
    legend: bool = True,
) -> Axes:
    """
    Draw the resource classes of one bench (plan view) or one vertical section.

    Parameters
    ----------
    model : BlockModel
        The block model (:class:`raremin.grid.BlockModel`).
    classes : array_like of int, optional
        Class code per parcel (0 Unclassified, 1 Measured, 2 Indicated, 3 Inferred,
        :data:`raremin.classification.CLASS_NAMES`); default the model's
        ``resource_class`` array. A block split between zones shows the class of its
        largest parcel.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    level : float, optional
        Units: m. An elevation: the bench of blocks holding it, in plan. Default
        (with no `section`): the bench holding the most classified parcels.
    section : (str, float), optional
        ``("easting", x)`` or ``("northing", y)`` (units: m): a vertical section.
    colors : mapping of str to colour, optional
        Colours by class name, over :data:`CLASS_COLORS` (Measured red, Indicated
        orange, Inferred blue, Unclassified grey).
    legend : bool, default True
        Draw a legend of the classes present.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.block_values`` holds the drawn plane of class codes (NaN where
        there is no parcel).

    Raises
    ------
    InputError
        No classes, codes outside 0..3 or of the wrong length, both `level` and
        `section`, a plane outside the model.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from shapely import box
    >>> from raremin.deposit import Zone
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.plotting import plot_classes
    >>> model = BlockModel.from_deposit(Zone("A", box(0, 0, 30, 10), 10, 0, 2.5),
    ...                                 BlockGrid((0, 0, 0), 10, (3, 1, 1)))
    >>> ax = plot_classes(model, [1, 2, 3])
    >>> ax.block_values.tolist(), [t.get_text() for t in ax.get_legend().get_texts()]
    ([[1.0, 2.0, 3.0]], ['Measured', 'Indicated', 'Inferred'])
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    names = ("Unclassified", "Measured", "Indicated", "Inferred")
    if classes is None:
        if "resource_class" not in model.arrays:
            raise InputError("no classes: pass classes= or a model with a 'resource_class' "
                             "array (raremin.classification.classify(...).model)")
        classes = model.arrays["resource_class"]
    codes = np.asarray(classes)
    if codes.shape != (model.n_parcels,) or codes.dtype.kind not in "iu" or (
            codes.size and (codes.min() < 0 or codes.max() > 3)):
        raise InputError(f"classes must be integer codes 0..3, one per parcel "
                         f"({model.n_parcels}); got shape {codes.shape}, dtype {codes.dtype}")
    palette = {**CLASS_COLORS, **dict(colors or {})}
    unknown = sorted(set(palette) - set(names))
    if unknown:
        raise InputError(f"colors names unknown classes {unknown}; use {list(names)}")
    grid = model.grid
    if level is None and section is None and grid.ndim == 3:
        iz = grid.index_to_ijk(model.block_index)[:, 2]
        counts = np.bincount(iz[codes > 0] if (codes > 0).any() else iz,
                             minlength=grid.shape[2])
        level = float(grid.axis_centres(2)[int(np.argmax(counts))])
    if grid.ndim == 2:
        if section is not None:
            raise InputError("a 2D block model has no vertical section; leave section= out")
        axis, index, (u, v) = 2, 0, (0, 1)
        title, ijk = "Plan", np.column_stack([grid.index_to_ijk(model.block_index),
                                              np.zeros(model.n_parcels, dtype=np.int64)])
    else:
        axis, index, (u, v), title = _block_plane(model, level, section)
        ijk = grid.index_to_ijk(model.block_index)
    on = ijk[:, axis] == index
    nu, nv = grid.shape[u], grid.shape[v]
    cell = ijk[on, v] * nu + ijk[on, u]
    share = np.asarray(model.proportion)[on]
    # The class of the largest parcel of each block: sort by share, keep the last.
    order = np.lexsort((share, cell))
    last = np.ones(order.size, dtype=bool)
    last[:-1] = cell[order][1:] != cell[order][:-1]
    values = np.full(nu * nv, np.nan)
    values[cell[order][last]] = codes[on][order][last]
    values = values.reshape(nv, nu)
    ax, created = _start(ax)
    edges_u = grid.origin[u] + grid.block_size[u] * np.arange(nu + 1)
    edges_v = grid.origin[v] + grid.block_size[v] * np.arange(nv + 1)
    cmap = ListedColormap([palette[n] for n in names])
    norm = BoundaryNorm(np.arange(5) - 0.5, 4)
    ax.pcolormesh(edges_u, edges_v, np.ma.masked_invalid(values), cmap=cmap, norm=norm)
    if legend:
        present = {int(c) for c in values[np.isfinite(values)]}
        handles = [Patch(color=palette[names[c]], label=names[c])
                   for c in (1, 2, 3, 0) if c in present]
        if handles:
            ax.legend(handles=handles, fontsize="small", loc="best")
    labels = ("Easting (m)", "Northing (m)", "Elevation (m)")
    ax.set_xlabel(labels[u])
    ax.set_ylabel(labels[v])
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_title(f"{title}: resource classes")
    if section is None:
        ax.set_aspect("equal")
    ax.block_values = values
    if created:
        ax.figure.tight_layout()
    return ax


# ------------------------------------------------------------------- regional assessment
def _require_fitted(model: Any, how: str) -> None:
    """Raise when a tonnage or grade model has not been fitted (``method_`` is None)."""
    if getattr(model, "method_", None) is None:
        name = type(model).__name__
        raise InputError(f"this {name} is not fitted; call .fit({how}) or use "
                         f"{name}.fixed({how}) before plotting it")


def plot_count_pmf(count: Any, ax: Any = None) -> Axes:
    """
    Bar chart of the probabilities of the number of undiscovered deposits.

    Parameters
    ----------
    count : CountPmf
        The deposit-count distribution (:class:`raremin.undiscovered.count.CountPmf`):
        its ``pmf``, ``mean`` and ``method`` are drawn. Units: deposits.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes: one bar per count from 0, and the mean as a dashed vertical line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from raremin.undiscovered.count import CountPmf
    >>> from raremin.plotting import plot_count_pmf
    >>> ax = plot_count_pmf(CountPmf([0.2, 0.5, 0.3]))
    >>> len(ax.patches), ax.get_xlabel()
    (3, 'Number of undiscovered deposits')
    """
    ax, _ = _start(ax)
    pmf = np.asarray(count.pmf, dtype=float)
    mean = count.mean
    ax.bar(np.arange(pmf.size), pmf, width=0.8, color="C0")
    ax.axvline(mean, color="C3", lw=1, ls="--", label=f"mean {mean:.3g}")
    ax.set_xlabel("Number of undiscovered deposits")
    ax.set_ylabel("Probability")
    ax.set_title(f"Deposit count pmf ({count.method})")
    ax.legend(loc="upper right")
    return ax


def plot_tonnage_model(model: Any, ax: Any = None) -> Axes:
    """
    Draw a tonnage model's cdf over the empirical cdf of the known deposits' tonnages.

    Parameters
    ----------
    model : TonnageModel
        A fitted :class:`raremin.undiscovered.tonnage.TonnageModel` (or
        ``TonnageModel.fixed``). Tonnages are ore tonnes (units: t).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with a log tonnage axis: the model cdf as a line and, when the model
        was fitted to deposits, their empirical cdf as points.

    Raises
    ------
    InputError
        The model is not fitted.

    Notes
    -----
    The model curve spans the known log10 tonnages padded by half their range plus
    three kernel widths (``scale_``) on each side, at 400 points; a fixed model is a
    step one decade either side of its tonnage. The empirical cdf puts the i-th
    smallest of n known tonnages at i/n.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from raremin.undiscovered.tonnage import TonnageModel
    >>> from raremin.plotting import plot_tonnage_model
    >>> ax = plot_tonnage_model(TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7]))
    >>> len(ax.lines), ax.get_xscale(), ax.get_xlabel()
    (2, 'log', 'Ore tonnage, t')
    """
    _require_fitted(model, "ore_t")
    ax, _ = _start(ax)
    x = np.sort(np.asarray(model.log10_ore_t_, dtype=float))
    if model.method_ == "fixed":
        # The model's own tonnage (not 10**log10 of it) so the step is drawn at P = 1.
        ore_t = model.mean() * np.array([0.1, 1.0, 10.0])
    else:
        pad = 0.5 * (x[-1] - x[0]) + 3 * model.scale_
        ore_t = 10.0 ** np.linspace(x[0] - pad, x[-1] + pad, 400)
    ax.plot(ore_t, model.cdf(ore_t), color="C0", label=f"model ({model.method_})")
    if model.n_deposits_:
        ecdf = np.arange(1, x.size + 1) / x.size
        ax.plot(10.0 ** x, ecdf, "o", color="C3", markersize=4,
                label=f"known deposits (n={x.size})")
    ax.set_xscale("log")
    ax.set_xlabel("Ore tonnage, t")
    ax.set_ylabel("Cumulative probability")
    ax.legend(loc="lower right")
    return ax


def plot_grade_model(model: Any, ax: Any = None, *, n: int = 5000, seed: int = 0) -> Axes:
    """
    Draw each grade's model cdf (from `n` draws) over the known deposits' grades.

    Parameters
    ----------
    model : GradeModel
        A fitted :class:`raremin.undiscovered.grades.GradeModel` (or
        ``GradeModel.fixed``). Units: % (grades).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    n : int, default 5000
        Draws from the model for its marginal cdfs.
    seed : int, default 0
        Seed of those draws (``np.random.default_rng(seed)``).

    Returns
    -------
    matplotlib.axes.Axes
        One colour per grade: a line (model) and points (known deposits), on a log
        grade axis.

    Raises
    ------
    InputError
        The model is not fitted.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from raremin.undiscovered.grades import GradeModel
    >>> from raremin.plotting import plot_grade_model
    >>> m = GradeModel().fit([[1.0, 0.1], [2.0, 0.3], [3.0, 0.2], [1.5, 0.1]])
    >>> ax = plot_grade_model(m, n=200)
    >>> len(ax.lines), ax.get_xlabel()
    (4, 'Grade, %')
    """
    _require_fitted(model, "grades_pct")
    ax, _ = _start(ax)
    draws = np.sort(model.sample(n, np.random.default_rng(seed)), axis=0)
    data = np.sort(model.grades_pct_.to_numpy(), axis=0)
    for j, name in enumerate(model.names_):
        colour = f"C{j % 10}"
        ax.plot(draws[:, j], np.arange(1, n + 1) / n, color=colour, label=f"{name} model")
        ax.plot(data[:, j], np.arange(1, data.shape[0] + 1) / data.shape[0], "o",
                color=colour, markersize=3, label=f"{name} known")
    ax.set_xscale("log")
    ax.set_xlabel("Grade, %")
    ax.set_ylabel("Cumulative probability")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_totals(totals: Any, column: str = "ore_t", ax: Any = None) -> Axes:
    """
    Exceedance curve of one simulated total: the probability of at least each tonnage.

    Parameters
    ----------
    totals : Totals
        Simulated totals (:class:`raremin.undiscovered.totals.Totals`).
    column : str, default "ore_t"
        A quantity of `totals` (``"ore_t"`` or ``"<name>_t"``). Units: t.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Step curve on a log tonnage axis (zero totals cannot be shown there; their
        probability is in the legend), with the mean as a dashed line.

    Raises
    ------
    InputError
        `column` is not one of ``totals.quantities``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from raremin.undiscovered.tonnage import TonnageModel
    >>> from raremin.undiscovered.totals import simulate_totals
    >>> from raremin.plotting import plot_totals
    >>> tonnage = TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7])
    >>> ax = plot_totals(simulate_totals([0.2, 0.5, 0.3], tonnage, None, 200, seed=1))
    >>> ax.get_xscale(), len(ax.lines), ax.get_ylabel()
    ('log', 2, 'Probability of at least')
    """
    if column not in totals.quantities:
        raise InputError(f"unknown quantity {column!r}; use one of {totals.quantities}")
    ax, _ = _start(ax)
    x = np.sort(totals.totals[column].to_numpy())
    n = x.size
    exceed = 1.0 - np.arange(n) / n
    positive = x > 0
    p_zero = 1.0 - positive.mean()
    ax.step(x[positive], exceed[positive], where="post", color="C0",
            label=f"simulated (P(0) = {p_zero:.3f})")
    ax.axvline(x.mean(), color="C3", linestyle="--", label="mean")
    ax.set_xscale("log")
    ax.set_xlabel(f"Total {column[:-2]} in undiscovered deposits, t")
    ax.set_ylabel("Probability of at least")
    ax.set_ylim(0.0, 1.02)
    ax.legend(loc="lower left")
    return ax
