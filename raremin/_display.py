"""
Concise text and HTML displays of raremin objects (private).

Every public object's ``__repr__`` fits a few lines (under 600 characters on the bundled
data): numbers to 4 significant figures, tonnages in Mt or kt where that reads better,
grades named as geologists write them (TREO, TREE, NdPr, Cu) and a CRS by its name and
EPSG code only. The ``_repr_html_`` builders below give Jupyter a card (a title, a few
lines and a table or two) of at most 20 KB: tables show their first rows and say how
many more there are.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

#: Rows a displayed table shows before it says how many more there are.
MAX_ROWS = 20
#: Names listed in a text display before "+N more".
MAX_NAMES = 4

_UNIT_TEXT = {"pct": "%", "fraction": "fraction"}


# ------------------------------------------------------------------------ numbers
def fmt(value: Any, digits: int = 4, fixed_below: float = 1e7, grouping: bool = True) -> str:
    """
    A number to `digits` significant figures, without trailing zeros.

    Fixed notation from 1e-4 to `fixed_below` (thousands separated with `grouping`),
    scientific outside; ``nan``, ``inf`` as such; integers (Python or NumPy) in full.
    """
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    comma = "," if grouping else ""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):{comma}}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(v)))
    if not (-4 <= magnitude and abs(v) < fixed_below):
        mantissa, _, exponent = f"{v:.{digits - 1}e}".partition("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    decimals = digits - 1 - magnitude
    v = round(v, decimals)
    text = f"{v:{comma}.{max(decimals, 0)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_span(values: Any, digits: int = 4, sep: str = " to ") -> str:
    """One value, or the smallest and the largest of an array (NaN left out)."""
    a = np.asarray(values, dtype=float).ravel()
    a = a[~np.isnan(a)]
    if a.size == 0:
        return "nan"
    lo, hi = fmt(float(a.min()), digits), fmt(float(a.max()), digits)
    return lo if lo == hi else f"{lo}{sep}{hi}"


def fmt_tuple(values: Iterable[Any], digits: int = 4, sep: str = "/") -> str:
    """``345.7/316.2/36.81``: values joined by `sep`."""
    return sep.join(fmt(v, digits) for v in values)


def tonnes(value: Any, digits: int = 4) -> str:
    """A mass in t, kt or Mt, whichever reads best (``882.5 Mt``, ``38.8 kt``)."""
    try:
        t = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isfinite(t) and abs(t) >= 1e6:
        return f"{fmt(t / 1e6, digits)} Mt"
    if math.isfinite(t) and abs(t) >= 1e3:
        return f"{fmt(t / 1e3, digits)} kt"
    return f"{fmt(t, digits)} t"


def tonnage_scale(values: Any) -> tuple[float, str]:
    """
    The divisor and the unit that suit a column whose largest value is `values`' (Mt
    from 10 Mt, kt from 10 kt, else t: at least two figures before the decimal point).
    """
    a = np.abs(np.asarray(values, dtype=float))
    top = float(np.nanmax(a[np.isfinite(a)])) if a.size and np.isfinite(a).any() else 0.0
    if top >= 1e7:
        return 1e6, "Mt"
    if top >= 1e4:
        return 1e3, "kt"
    return 1.0, "t"


# ------------------------------------------------------------------------ names
def unit_text(unit: Any) -> str:
    """A grade unit as printed: ``%``, ``ppm``, ``g/t``."""
    return _UNIT_TEXT.get(str(unit), str(unit))


def grade_name(name: Any) -> str:
    """
    A grade as geologists write it: ``treo`` -> TREO, ``tree_pct`` -> TREE,
    ``ndpr`` -> NdPr, ``cu`` -> Cu, ``nd2o3`` -> Nd2O3, ``ndpr_oxide`` -> NdPr oxide;
    anything else unchanged (``grade`` when empty).
    """
    if name is None or str(name) == "":
        return "grade"
    text = str(name)
    suffix = ""
    for tail in ("_oxide", "_t"):
        if text.endswith(tail) and len(text) > len(tail):
            text, suffix = text[: -len(tail)], (" oxide" if tail == "_oxide" else "")
            break
    from .analytes import parse_analyte

    analyte = None
    for candidate in (text, f"{text}_ppm"):
        try:
            analyte = parse_analyte(candidate)
        except Exception:  # noqa: BLE001 - a display never raises on a name
            analyte = None
        if analyte is not None:
            break
    if analyte is None:
        return str(name)
    return analyte.label.rsplit(" (", 1)[0] + suffix


def grade_label(name: Any, unit: Any, basis: str | None = None) -> str:
    """``TREO %, oxide basis``."""
    text = f"{grade_name(name)} {unit_text(unit)}"
    return f"{text}, {basis} basis" if basis else text


def crs_text(crs: Any) -> str:
    """A CRS by its name and EPSG code: ``WGS 84 / UTM zone 43N (EPSG:32643)``."""
    if crs is None:
        return "no CRS"
    try:
        code = crs.to_epsg()
    except Exception:  # noqa: BLE001 - a display never raises on a CRS
        code = None
    name = getattr(crs, "name", str(crs))
    return f"{name} (EPSG:{code})" if code else f"{name} (no EPSG code)"


def names_text(names: Sequence[Any], limit: int = MAX_NAMES, quote: bool = True) -> str:
    """``'Irgiz', 'Dos 2'`` or ``'A', 'B', 'C', 'D' +3 more``."""
    names = list(names)
    shown = [repr(str(n)) if quote else str(n) for n in names[:limit]]
    more = f" +{len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(shown) + more


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 zone``, ``2 zones``, ``1,308 samples``."""
    return f"{int(count):,} " + (word if count == 1 else (words or word + "s"))


def shape_text(shape: Sequence[int]) -> str:
    """``35 x 23 x 15``."""
    return " x ".join(str(int(n)) for n in shape)


def text_repr(kind: str, *parts: str) -> str:
    """``Kind(part; part; part)`` with empty parts left out."""
    return f"{kind}({'; '.join(p for p in parts if p)})"


# ------------------------------------------------------------------------ HTML parts
def _esc(text: Any) -> str:
    return html.escape(str(text))


def _table_number(value: Any) -> str:
    return fmt(value, 4, fixed_below=1e15)


def _table(frame: Any, floatfmt: Any = None) -> str:
    """A DataFrame as an HTML table, numbers to 4 significant figures (fixed notation)."""
    formatter = floatfmt.format if isinstance(floatfmt, str) else (floatfmt or _table_number)
    return frame.to_html(index=False, float_format=formatter, na_rep="", border=0)


def _head_table(frame: Any, what: str = "rows", rows: int = MAX_ROWS, where: str = "") -> str:
    """The first `rows` rows of a table, and a line saying how many more there are."""
    n = len(frame)
    body = _table(frame.head(rows))
    if n > rows:
        see = f"; see {where}" if where else ""
        body += (f"<p style='margin:0.2em 0'><em>first {rows} of {n:,} {what} shown "
                 f"({n - rows:,} more{_esc(see)})</em></p>")
    return body


def _kv_table(items: Mapping[str, Any]) -> str:
    """A two-column table of names and values."""
    rows = "".join(f"<tr><th style='text-align:left'>{_esc(k)}</th><td>{_esc(v)}</td></tr>"
                   for k, v in items.items())
    return f"<table border='0'>{rows}</table>"


def _card(title: str, lines: list[str], body: str = "") -> str:
    items = "".join(f"<li>{line}</li>" for line in lines)
    return (
        f"<div class='raremin'><strong>{html.escape(title)}</strong>"
        f"<ul style='margin:0.2em 0'>{items}</ul>{body}</div>"
    )


# ------------------------------------------------------------------------ zones, deposits
def zone_text(zone: Any) -> str:
    """The text display of a :class:`~raremin.deposit.Zone`."""
    grades = ", ".join(grade_name(k) for k in list(zone.grades)[:MAX_NAMES])
    if len(zone.grades) > MAX_NAMES:
        grades += f" +{len(zone.grades) - MAX_NAMES} more"
    return text_repr(
        "Zone",
        f"{zone.name!r}, {zone.kind}",
        f"{fmt(zone.area_m2 / 1e6)} km2, {fmt(zone.bottom_m)} to {fmt(zone.top_m)} m",
        f"{fmt(zone.density_t_m3)} t/m3, {tonnes(zone.tonnage_t)}",
        f"grades {grades}" if grades else "",
        crs_text(zone.crs) if zone.crs is not None else "",
    )


def zone_html(zone: Any) -> str:
    """The HTML display of a :class:`~raremin.deposit.Zone`."""
    lines = [
        f"{_esc(zone.kind)}; footprint {zone.area_m2 / 1e6:,.3f} km&sup2;, from "
        f"{fmt(zone.bottom_m)} to {fmt(zone.top_m)} m ({fmt(zone.thickness_m)} m)",
        f"density {fmt(zone.density_t_m3)} t/m&sup3;; tonnage {tonnes(zone.tonnage_t)}",
    ]
    if zone.crs is not None:
        lines.append(f"CRS {_esc(crs_text(zone.crs))}")
    body = _head_table(zone.contained(), "grades") if zone.grades else ""
    return _card(f"Zone {zone.name}", lines, body)


def deposit_text(deposit: Any) -> str:
    """The text display of a :class:`~raremin.deposit.Deposit`."""
    return text_repr(
        "Deposit",
        f"{deposit.name!r}, {plural(len(deposit), 'zone')} {names_text(deposit.names)}",
        tonnes(deposit.tonnage_t) + (" below the topography"
                                     if deposit.topography is not None else ""),
        crs_text(deposit.crs),
    )


def deposit_html(deposit: Any) -> str:
    """The HTML display of a :class:`~raremin.deposit.Deposit`."""
    lines = [
        f"{plural(len(deposit), 'zone')}; {deposit.tonnage_t / 1e6:,.1f} Mt in total",
        f"CRS {_esc(crs_text(deposit.crs))}",
    ]
    if deposit.topography is not None:
        lines.append("zones cut by a topography surface")
    if deposit.notes:
        lines.append(_esc(deposit.notes[:1000]))
    return _card(f"Deposit {deposit.name}", lines,
                 _head_table(deposit.summary(), "zones", rows=40))


# ------------------------------------------------------------------------ grids, models
def grid_text(grid: Any) -> str:
    """The text display of a :class:`~raremin.grid.BlockGrid`."""
    origin = ", ".join(f"{v:.10g}" for v in grid.origin)
    return text_repr(
        "BlockGrid",
        f"{shape_text(grid.shape)} blocks of {fmt_tuple(grid.block_size, sep=' x ')} m "
        f"from ({origin})",
        crs_text(grid.crs) if grid.crs is not None else "",
    )


def _array_names(model: Any) -> str:
    names = sorted(model.arrays)
    if not names:
        return "no arrays"
    shown = ", ".join(names[:6]) + (f" +{len(names) - 6} more" if len(names) > 6 else "")
    return f"{plural(len(names), 'array')}: {shown}"


def block_model_text(model: Any, chunks: str = "") -> str:
    """
    The text display of a :class:`~raremin.grid.BlockModel` (lazy ones computed not;
    `chunks` describes their chunks).
    """
    grid = model.grid
    zones = f"{plural(len(model.zone_names), 'zone')} {names_text(model.zone_names)}"
    if model.is_lazy:
        what = f"lazy (Dask) {chunks} in {zones}"
        mass = ""
    else:
        what = f"{plural(model.n_parcels, 'parcel')} in {zones}"
        try:
            mass = tonnes(float(np.sum(model.tonnage_t())))
        except Exception:  # noqa: BLE001 - no density: no tonnage shown
            mass = ""
    return text_repr(
        "BlockModel", what, mass,
        f"grid {shape_text(grid.shape)} of {fmt_tuple(grid.block_size, sep=' x ')} m",
        _array_names(model),
        crs_text(grid.crs) if grid.crs is not None else "",
    )


def block_model_html(model: Any) -> str:
    """The HTML display of an in-memory :class:`~raremin.grid.BlockModel`."""
    grid = model.grid
    names = sorted(model.arrays)
    shown = ", ".join(names[:40]) + (f" +{len(names) - 40} more" if len(names) > 40 else "")
    lines = [
        f"grid {shape_text(grid.shape)} blocks of {fmt_tuple(grid.block_size, sep=' x ')} m",
        f"{model.n_parcels:,} block parcels in {len(model.zone_names)} zone(s)",
        f"arrays: {_esc(shown) or 'none'}",
    ]
    if grid.crs is not None:
        lines.append(f"CRS {_esc(crs_text(grid.crs))}")
    return _card("Block model", lines, _head_table(model.summary(), "zones", rows=40))


# ------------------------------------------------------------------------ grade-tonnage
def _gt_totals(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tonnage, mean grade and contained tonnes per cut-off, summed over groups."""
    from .units import grade_factor

    t, c = np.asarray(result.tonnage_t, float), np.asarray(result.contained_t, float)
    if t.ndim > 1:
        t = np.nansum(t.reshape(-1, t.shape[-1]), axis=0)
        c = np.nansum(c.reshape(-1, c.shape[-1]), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.where(t > 0, c / t / grade_factor(result.unit), np.nan)
    return t, g, c


def grade_tonnage_text(result: Any) -> str:
    """The text display of a :class:`~raremin.tonnage.GradeTonnage`."""
    unit = unit_text(result.unit)
    name = grade_name(result.grade_name)
    cut = np.asarray(result.cutoffs, float)
    lead = tuple(np.shape(result.tonnage_t)[:-1])
    if result.groups is not None:
        layout = f"{plural(len(result.groups), 'zone')} {names_text(result.groups)}"
    elif lead:
        layout = f"{int(np.prod(lead)):,} curves" + (f" ({shape_text(lead)})" if len(lead) > 1
                                                     else "")
    else:
        layout = ""
    at = ""
    if cut.size and (result.groups is not None or not lead):
        t, g, c = _gt_totals(result)
        total = "total " if result.groups is not None and len(result.groups) > 1 else ""
        at = (f"{total}at {fmt(cut[0])} {unit}: {tonnes(t[0])} at {fmt(g[0])} {unit} {name}, "
              f"{tonnes(c[0])} {name}")
    elif cut.size:
        at = f"at {fmt(cut[0])} {unit}: {fmt_span(np.asarray(result.tonnage_t)[..., 0] / 1e6)} Mt"
    others = len(result.extra_mean)
    return text_repr(
        "GradeTonnage",
        grade_label(result.grade_name, result.unit, result.basis),
        f"{plural(cut.size, 'cut-off')} {fmt_span(cut)} {unit}" if cut.size else "no cut-offs",
        layout, at,
        f"{plural(others, 'other grade')}" if others else "",
    )


def _gt_frame(result: Any) -> tuple[Any, list[str]]:
    """The main columns of a grade-tonnage table, renamed and scaled for display."""
    from .units import unit_suffix

    frame = result.to_frame()
    unit = unit_text(result.unit)
    name = grade_name(result.grade_name)
    scale, tunit = tonnage_scale(result.tonnage_t)
    cscale, cunit = tonnage_scale(result.contained_t)
    keep = {c: c for c in frame.columns if c == "zone" or c.startswith("index_")}
    keep[f"cutoff_{unit_suffix(result.unit)}"] = f"cut-off ({unit})"
    frame = frame.assign(tonnage_t=frame["tonnage_t"] / scale,
                         contained_t=frame["contained_t"] / cscale)
    keep["tonnage_t"] = f"tonnage ({tunit})"
    keep[result.grade_column] = f"{name} ({unit})"
    keep["contained_t"] = f"{name} ({cunit})"
    if "not_estimated_t" in frame.columns:
        frame["not_estimated_t"] = frame["not_estimated_t"] / scale
        keep["not_estimated_t"] = f"not estimated ({tunit})"
    rest = [c for c in frame.columns if c not in keep]
    return frame[list(keep)].rename(columns=keep), rest


def grade_tonnage_html(result: Any) -> str:
    """The HTML display of a :class:`~raremin.tonnage.GradeTonnage` (first rows only)."""
    frame, rest = _gt_frame(result)
    lines = [
        f"cut-off on {_esc(grade_label(result.grade_name, result.unit, result.basis))} "
        f"(<code>{_esc(result.grade_column)}</code>); "
        f"{plural(result.cutoffs.size, 'cut-off')} {fmt_span(result.cutoffs)} "
        f"{_esc(unit_text(result.unit))}",
    ]
    if result.groups is not None:
        lines.append(f"{plural(len(result.groups), 'zone')}: "
                     f"{_esc(names_text(result.groups, 12))}")
    if rest:
        lines.append(f"{plural(len(rest), 'other column')} in <code>to_frame()</code>: "
                     f"{_esc(names_text(rest, 8, quote=False))}")
    return _card("Grade-tonnage", lines, _head_table(frame, "rows", where="to_frame()"))


# ------------------------------------------------------------------------ the assessment
def _assessment_columns(assessment: Any) -> tuple[str, str, str | None]:
    from .units import unit_suffix

    cut_col = f"cutoff_{unit_suffix(assessment.unit)}"
    grade_col = assessment.cutoff_label
    contained = f"{assessment.cutoff_grade}_t"
    return cut_col, grade_col, contained if contained in assessment.summary.columns else None


def _assessment_rows(assessment: Any) -> Any:
    """The summary rows of the total (or of the only zone)."""
    s = assessment.summary
    if "zone" not in s.columns:
        return s
    total = s[s["zone"] == "Total"]
    return total if len(total) else s[s["zone"] == s["zone"].iloc[0]] if len(s) else s


def assessment_text(assessment: Any) -> str:
    """
    The text display of a :class:`~raremin.workflow.Assessment` (under 600 characters
    on the bundled data): deposit, cut-off grade, the total at each cut-off (at most 8),
    and what was set aside.
    """
    dep = assessment.deposit
    name = grade_name(assessment.cutoff_grade)
    unit = unit_text(assessment.unit)
    head = (f"Assessment({dep.name!r}: {plural(len(dep), 'zone')}, cut-off grade {name} "
            f"({unit}, {assessment.basis} basis), {crs_text(dep.crs)}")
    lines = [head]
    cut_col, grade_col, contained = _assessment_columns(assessment)
    rows = _assessment_rows(assessment)
    if len(rows) and cut_col in rows.columns:
        scale, tunit = tonnage_scale(rows["tonnage_t"])
        cscale, cunit = tonnage_scale(rows[contained]) if contained else (1.0, "t")
        header = f"  cut-off {unit:<4} {tunit:>9} {name + ' ' + unit:>11}"
        header += f" {name + ' ' + cunit:>11}" if contained else ""
        lines.append(header)
        show = rows if len(rows) <= 8 else rows.iloc[np.linspace(0, len(rows) - 1, 8).round()
                                                     .astype(int)]
        for r in show.itertuples(index=False):
            rd = r._asdict()
            line = (f"  {fmt(rd[cut_col]):<12} {fmt(rd['tonnage_t'] / scale):>9} "
                    f"{fmt(rd.get(grade_col, np.nan)):>11}")
            if contained:
                line += f" {fmt(rd[contained] / cscale):>11}"
            lines.append(line)
    tail = [f"{plural(assessment.model.n_parcels, 'block parcel')}"]
    if assessment.samples_outside:
        tail.append(f"{plural(assessment.samples_outside, 'sample')} outside every zone")
    tail.append(plural(len(assessment.adjustments), "adjustment"))
    tail.append(plural(len(assessment.notes), "note"))
    if assessment.realisations is not None:
        tail.append("with realisations")
    lines.append("  " + "; ".join(tail) + ")")
    return "\n".join(lines)


def assessment_html(assessment: Any) -> str:
    """
    The HTML display of a :class:`~raremin.workflow.Assessment` (under 20 KB on the
    bundled data): the zones table, the summary at the cut-offs, the notes and the count
    of adjustments; no block arrays.
    """
    dep = assessment.deposit
    model = assessment.model
    lines = [
        f"{plural(len(dep), 'zone')}; {tonnes(dep.tonnage_t)}; CRS {_esc(crs_text(dep.crs))}",
        f"cut-off grade {_esc(grade_name(assessment.cutoff_grade))} "
        f"({_esc(unit_text(assessment.unit))}, {_esc(assessment.basis)} basis)",
        f"block model: {model.n_parcels:,} parcels, blocks of "
        f"{fmt_tuple(model.grid.block_size, sep=' x ')} m",
        f"{plural(len(assessment.adjustments), 'adjustment')} "
        f"(<code>adjustments</code>); {plural(assessment.samples_outside, 'sample')} "
        f"outside every zone",
    ]
    if assessment.realisations is not None:
        lines.append("with realisations of the cut-off grade (<code>uncertainty</code>)")
    body = "<p style='margin:0.3em 0'><strong>Summary</strong></p>"
    body += _head_table(assessment.summary, "rows", rows=40, where="summary")
    if len(assessment.zones):
        body += "<p style='margin:0.3em 0'><strong>Zones</strong></p>"
        body += _head_table(assessment.zones, "zones", rows=20, where="zones")
    if len(assessment.adjustments):
        body += "<p style='margin:0.3em 0'><strong>Adjustments</strong></p>"
        body += _head_table(assessment.adjustments, "adjustments", rows=15,
                            where="adjustments")
    notes = list(assessment.notes)
    if notes:
        items = "".join(f"<li>{_esc(n[:600])}</li>" for n in notes[:25])
        more = f"<li><em>{len(notes) - 25} more in notes</em></li>" if len(notes) > 25 else ""
        body += (f"<p style='margin:0.3em 0'><strong>Notes</strong></p>"
                 f"<ul style='margin:0.2em 0'>{items}{more}</ul>")
    return _card(f"Assessment: {dep.name}", lines, body)


# ------------------------------------------------------------------------ variograms
def structure_text(structure: Any, ndigits: int = 4, kind: str = "") -> str:
    """
    ``spherical(sill 70,900, ranges 345.7/316.2/36.81 m, angles 77.5/-6.8/1.5)``, or
    with `kind` ``Structure(spherical, sill ...)``.
    """
    word = "range" if len(structure.ranges) == 1 else "ranges"
    angles = ("" if not any(structure.angles) else
              ", angles " + "/".join(f"{a:.1f}" for a in structure.angles))
    head = f"{kind}({structure.shape}, " if kind else f"{structure.shape}("
    return (f"{head}sill {fmt(structure.sill, ndigits)}, {word} "
            f"{fmt_tuple(structure.ranges, ndigits)} m{angles})")


def variogram_model_text(model: Any) -> str:
    """``VariogramModel(nugget 3488 + spherical(...))``."""
    parts = [f"nugget {fmt(model.nugget)}"] + [structure_text(s) for s in model.structures]
    return f"VariogramModel({' + '.join(parts)})"


def _structures_frame(model: Any) -> Any:
    import pandas as pd

    rows = [{"structure": "nugget", "sill": model.nugget, "ranges (m)": "", "angles (deg)": ""}]
    for s in model.structures:
        rows.append({"structure": s.shape, "sill": s.sill,
                     "ranges (m)": fmt_tuple(s.ranges),
                     "angles (deg)": "/".join(f"{a:.1f}" for a in s.angles)})
    return pd.DataFrame(rows)


def variogram_model_html(model: Any) -> str:
    """The HTML display of a :class:`~raremin.geostats.models.VariogramModel`."""
    lines = [f"{plural(len(model.structures), 'nested structure')}"]
    if model.bounded:
        share = 100.0 * model.nugget / model.sill if model.sill > 0 else math.nan
        lines.append(f"total sill {fmt(model.sill)}; nugget {fmt(share, 3)} % of the sill")
    else:
        lines.append("unbounded (a linear structure): no sill")
    return _card("Variogram model", lines, _table(_structures_frame(model)))


def structure_html(structure: Any) -> str:
    """The HTML display of a :class:`~raremin.geostats.models.Structure`."""
    return _card("Variogram structure", [_esc(structure_text(structure, kind="Structure"))])


def auto_variogram_text(result: Any) -> str:
    """The text display of an :class:`~raremin.geostats.autovariogram.AutoVariogram`."""
    return text_repr(
        "AutoVariogram",
        f"{result.estimator}: {result.describe()}",
        f"{plural(result.n_pairs, 'pair')} ({fmt(result.n_pairs_local)} local)",
        f"model {variogram_model_text(result.model)}",
    )


def auto_variogram_html(result: Any) -> str:
    """The HTML display of an :class:`~raremin.geostats.autovariogram.AutoVariogram`."""
    import pandas as pd

    lines = [
        _esc(f"{result.estimator} estimator: {result.describe()}"),
        f"angles (azimuth/dip/rake) {'/'.join(f'{a:.1f}' for a in result.angles)} deg; "
        f"ranges {fmt_tuple(result.ranges)} m",
        f"nugget {fmt(result.nugget)}, sill {fmt(result.sill)}",
        f"{result.n_pairs:,} pairs ({result.n_pairs_local:,} local, random subsample of "
        f"{result.n_subsample:,}); {result.n_coincident:,} coincident pairs left out",
        f"weighted SSE by number of structures: {fmt_tuple(result.weighted_sse, sep=', ')}",
    ]
    rows = []
    for ev in (*result.experimental, *([result.downhole] if result.downhole else [])):
        pairs = np.asarray(getattr(ev, "n_pairs", np.zeros(0)))
        rows.append({"direction": str(getattr(ev, "direction", "")),
                     "lags": int(np.size(getattr(ev, "lag", pairs))),
                     "pairs": int(np.sum(pairs))})
    body = _table(_structures_frame(result.model))
    if rows:
        body += _table(pd.DataFrame(rows))
    return _card("Automatic variogram", lines, body)


# ------------------------------------------------------------------------ estimators
def neighbourhood_text(nb: Any) -> str:
    """``Neighbourhood(max_samples=32, ...)`` with non-default rules only, rounded."""
    parts = []
    defaults = {"max_samples": 16, "min_samples": 1, "max_per_octant": None}
    for key, default in defaults.items():
        value = getattr(nb, key)
        if key == "max_samples" or value != default:
            parts.append(f"{key}={value}")
    if nb.ranges is not None:
        if nb.radius != 1.0:
            parts.append(f"radius={fmt(nb.radius, grouping=False)}")
        parts.append(f"ranges=({', '.join(fmt(r, grouping=False) for r in nb.ranges)})")
        if any(nb.angles):
            parts.append(f"angles=({', '.join(f'{a:.1f}' for a in nb.angles)})")
    elif math.isfinite(nb.radius):
        parts.append(f"radius={fmt(nb.radius, grouping=False)}")
    order = {"max_samples": 0, "min_samples": 1, "radius": 2, "ranges": 3, "angles": 4,
             "max_per_octant": 5}
    parts.sort(key=lambda p: order[p.split("=")[0]])
    return f"Neighbourhood({', '.join(parts)})"


def _param_text(value: Any) -> str:
    """A parameter's value: numbers to 4 significant figures, long arrays as a range."""
    if isinstance(value, (float, np.floating)):
        return fmt(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        if value.size > 4:
            return f"<{value.size:,} values {fmt_span(value)}>"
        return f"[{', '.join(fmt(v, grouping=False) for v in value.ravel())}]"
    if isinstance(value, (tuple, list)) and value and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in value):
        inner = ", ".join(fmt(v, grouping=False) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    return repr(value)


def estimator_text(estimator: Any, always: Sequence[str] = ()) -> str:
    """``Kind(param=value, ...)``: the parameters `always` and those not at their defaults."""
    import inspect

    signature = inspect.signature(type(estimator).__init__)
    parts = []
    for key, value in estimator.get_params().items():
        default = signature.parameters[key].default
        same = False
        if key not in always:
            try:
                same = bool(np.all(value == default)) if default is not None else value is None
            except (TypeError, ValueError):
                same = False
        if not same:
            parts.append(f"{key}={_param_text(value)}")
    return f"{type(estimator).__name__}({', '.join(parts)})"


def estimator_html(estimator: Any) -> str:
    """The HTML display of an estimator: its parameters and what it was fitted on."""
    params = {k: (_param_text(v) if not hasattr(v, "structures") and not hasattr(v, "max_samples")
                  else repr(v)) for k, v in estimator.get_params().items()}
    coords = getattr(estimator, "coords_", None)
    if coords is None:
        lines = ["not fitted"]
    else:
        holes = getattr(estimator, "holes_", None)
        n_holes = f" from {len(np.unique(holes)):,} holes" if holes is not None else ""
        lines = [f"fitted on {coords.shape[0]:,} samples in {coords.shape[1]}D{n_holes}"]
    return _card(type(estimator).__name__, lines, _kv_table(params))


# ------------------------------------------------------------------------ cross-validation
def cross_validation_text(cv: Any) -> str:
    """The text display of a :class:`~raremin.geostats.crossval.CrossValidation`."""
    s = cv.summary
    rel = s.get("mean_error_relative", math.nan)
    parts = [
        f"by {cv.by}",
        f"{plural(s.get('n', cv.value.size), 'sample')}, {fmt(s.get('n_estimated', 0))} "
        f"estimated",
        f"mean error {fmt(s.get('mean_error'))} ({fmt(100 * rel, 3)} %), "
        f"MSE {fmt(s.get('mean_squared_error'))}",
        f"correlation {fmt(s.get('correlation'), 3)}, slope {fmt(s.get('slope'), 3)}",
    ]
    if "mean_standardised_squared_error" in s:
        parts.append(f"MSSE {fmt(s['mean_standardised_squared_error'], 3)}")
    return text_repr("CrossValidation", *parts)


def cross_validation_html(cv: Any) -> str:
    """The HTML display of a :class:`~raremin.geostats.crossval.CrossValidation`."""
    lines = [f"leave-one-{_esc(cv.by)}-out; {cv.value.size:,} samples "
             f"(per-sample results: <code>to_frame()</code>)"]
    return _card("Cross-validation", lines, _kv_table({k: fmt(v) for k, v in cv.summary.items()}))


# ------------------------------------------------------------------------ declustering
def cell_declustering_text(result: Any) -> str:
    """The text display of a :class:`~raremin.geostats.declustering.CellDeclusteringResult`."""
    how = {"min": "minimum", "max": "maximum", "none": "given"}.get(result.objective,
                                                                    result.objective)
    change = (100.0 * (result.declustered_mean / result.naive_mean - 1.0)
              if result.naive_mean else math.nan)
    return text_repr(
        "CellDeclusteringResult",
        f"cell size {fmt(result.cell_size)} m ({how} of {plural(len(result.table), 'size')}, "
        f"{result.n_offsets} offsets)",
        f"declustered mean {fmt(result.declustered_mean)} vs naive {fmt(result.naive_mean)} "
        f"({fmt(change, 3)} %)",
        f"{plural(result.weights.size, 'weight')} {fmt_span(result.weights, 3)}",
    )


def cell_declustering_html(result: Any) -> str:
    """The HTML display of a :class:`~raremin.geostats.declustering.CellDeclusteringResult`."""
    lines = [_esc(cell_declustering_text(result)[len("CellDeclusteringResult("):-1])]
    if any(a != 1.0 for a in result.anisotropy):
        lines.append(f"anisotropy {fmt_tuple(result.anisotropy, sep=' x ')}")
    return _card("Cell declustering", lines, _head_table(result.table, "cell sizes"))


def polygonal_declustering_text(result: Any) -> str:
    """The text display of a :class:`~raremin.geostats.declustering.PolygonalDeclusteringResult`."""
    means = ""
    if result.declustered_mean is not None:
        means = (f"declustered mean {fmt(result.declustered_mean)} vs naive "
                 f"{fmt(result.naive_mean)}")
    region = getattr(result.region, "area", math.nan)
    return text_repr(
        "PolygonalDeclusteringResult",
        f"{plural(result.weights.size, 'sample')} in {fmt(region / 1e6)} km2",
        means,
        f"weights {fmt_span(result.weights, 3)}",
    )


def polygonal_declustering_html(result: Any) -> str:
    """The HTML display of a :class:`~raremin.geostats.declustering.PolygonalDeclusteringResult`."""
    lines = [_esc(polygonal_declustering_text(result)[len("PolygonalDeclusteringResult("):-1]),
             f"polygon areas {fmt_span(result.areas_m2)} m&sup2;"]
    return _card("Polygonal declustering", lines)


# ------------------------------------------------------------------------ distributions
def distribution_text(dist: Any) -> str:
    """
    The text display of a grade distribution: its grade, unit and basis, its own
    parameters (``dist._repr_parts()``) and its mean and CV.
    """
    parts = [grade_label(dist.name, dist.unit, dist.basis)]
    batch = tuple(dist.batch_shape)
    if batch:
        shape = f" ({shape_text(batch)})" if len(batch) > 1 else ""
        parts.append(f"{int(np.prod(batch)):,} distributions{shape}")
    parts.extend(dist._repr_parts())
    try:
        parts.append(f"mean {fmt_span(dist.mean())}, CV {fmt_span(dist.cv(), 3)}")
    except Exception:  # noqa: BLE001 - a display never raises
        pass
    return text_repr(type(dist).__name__, *parts)


def distribution_html(dist: Any) -> str:
    """The HTML display of a grade distribution: parameters, moments and quantiles."""
    import pandas as pd

    lines = [_esc(grade_label(dist.name, dist.unit, dist.basis))]
    lines.extend(_esc(p) for p in dist._repr_parts())
    body = ""
    try:
        q = [0.1, 0.5, 0.9]
        mean, cv = np.asarray(dist.mean(), float), np.asarray(dist.cv(), float)
        ppf = np.asarray(dist.ppf(np.reshape(q, (3,) + (1,) * len(dist.batch_shape))), float)
        columns = {"mean": mean.ravel(), "CV": cv.ravel() * np.ones(max(mean.size, 1))}
        for i, level in enumerate(q):
            columns[f"P{round(100 * (1 - level))} (ppf {level:g})"] = np.broadcast_to(
                ppf[i], dist.batch_shape).ravel()
        frame = pd.DataFrame(columns)
        body = _head_table(frame, "distributions")
    except Exception:  # noqa: BLE001 - moments not available: parameters only
        body = ""
    return _card(type(dist).__name__, lines, body)


def fit_result_text(fit: Any) -> str:
    """The text display of a :class:`~raremin.distributions.FitResult`."""
    return text_repr(
        "FitResult",
        f"{fit.family} by {fit.method}: {distribution_text(fit.distribution)}",
        f"n {fmt(fit.n)} ({fmt(fit.n_effective)} effective)",
        f"AIC {fmt(fit.aic)}, BIC {fmt(fit.bic)}, KS {fmt(fit.ks_statistic, 3)} "
        f"(p {fmt(fit.ks_pvalue, 3)})",
    )


def fit_result_html(fit: Any) -> str:
    """The HTML display of a :class:`~raremin.distributions.FitResult`."""
    figures = {k: fmt(v) if not isinstance(v, str) else v for k, v in fit.to_dict().items()}
    return _card(f"Fit: {fit.family} ({fit.method})",
                 [_esc(distribution_text(fit.distribution))], _kv_table(figures))


# ------------------------------------------------------------------------ simple cards
def text_html(title: str, text: str, table: Any = None) -> str:
    """A card holding one text display (and an optional table, first rows only)."""
    body = _head_table(table, "rows") if table is not None else ""
    return _card(title, [_esc(text)], body)


# ------------------------------------------------------------------------ classification
def classification_html(result: Any) -> str:
    """Card of a :class:`raremin.classification.Classification`: rules and class tonnages."""
    table = result.tonnage_table()
    table = table[table["zone"] == "Total"].drop(columns="zone")
    lines = [html.escape(line) for line in result.rules.describe()]
    if len(result.smoothing):
        lines.append(f"smoothing changed {int(result.smoothing.attrs.get('changed', 0)):,} "
                     f"parcel(s)")
    return _card(f"Resource classification of {result.grade}", lines, _table(table))
