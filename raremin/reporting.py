"""
Presentation of an assessment: summary tables, the Markdown report, safe CSV cells.

The workflow computes; this module says it. :func:`summary_table` turns a grade-tonnage
table by zone into the per zone and cut-off figures a statement quotes, with a total per
cut-off; :func:`markdown_report` writes the report of a whole assessment;
:func:`text_table` gives a fixed-width view for a terminal.

Text that comes from users' files (zone names, column names) never changes the
structure of an output: :func:`csv_safe` defuses spreadsheet formulas in CSV cells
(a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
prefixed with ``'``, the OWASP recommendation), and :func:`markdown_text` escapes the
characters that Markdown reads as headings, links, emphasis or tables.

Examples
--------
>>> import pandas as pd
>>> from raremin.reporting import csv_safe, markdown_text
>>> csv_safe(pd.DataFrame({"zone": ["=HYPERLINK(\\"x\\")", "Irgiz"]}))["zone"].tolist()
['\\'=HYPERLINK("x")', 'Irgiz']
>>> markdown_text("# [Dos 2](http://x)")
'\\\\# \\\\[Dos 2\\\\](http://x)'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .units import grade_factor, unit_suffix

__all__ = ["csv_safe", "markdown_report", "markdown_text", "regional_report", "summary_table",
           "text_table"]

#: Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters that start emphasis, code, links, HTML, tables or headings; an underscore
# inside a word (treo_pct) is left alone, as CommonMark does not read it.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]#|<>~])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """
    A copy of a table whose text cells cannot act as spreadsheet formulas.

    Text cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get
    a leading ``'``; numbers are untouched (a negative number stays a number).

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.reporting import csv_safe
    >>> frame = pd.DataFrame({"zone": ["+SUM(A1)", "A"], "t": [-1.0, 2.0]})
    >>> csv_safe(frame).to_dict("list")
    {'zone': ["'+SUM(A1)", 'A'], 't': [-1.0, 2.0]}
    """
    out = frame.copy()
    out.columns = [_safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: _safe_cell(v) if isinstance(v, str) else v)
    return out


def _safe_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def markdown_text(text: Any) -> str:
    """
    Text for a Markdown document: one line, every Markdown control character escaped.

    Examples
    --------
    >>> from raremin.reporting import markdown_text
    >>> markdown_text("Zone *A*\\n# not a heading, cu_pct")
    'Zone \\\\*A\\\\* \\\\# not a heading, cu_pct'
    """
    line = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), line)


def summary_table(
    curve: Any,
    *,
    contained: Mapping[str, str] | None = None,
    total_grade_of: str | None = None,
) -> pd.DataFrame:
    """
    Per zone and cut-off: tonnage, mean cut-off grade, contained quantities, with totals.

    Parameters
    ----------
    curve : GradeTonnage
        A grade-tonnage table split by zones (``groups``) or not.
    contained : mapping of str to str, optional
        Output column -> contained quantity of the table: ``"contained"`` for the
        cut-off grade's own, or the name of one of its other grades (``"tree_pct"``).
    total_grade_of : str, optional
        The output column whose total, divided by the total tonnage, is the mean
        cut-off grade of a total row (default: the cut-off grade's own contained).

    Returns
    -------
    pandas.DataFrame
        ``zone``, ``cutoff_<unit>``, ``tonnage_t``, ``<grade>_<unit>`` (mean), the
        contained columns (t), a ``<name>_coverage`` column for each contained
        quantity of a grade not estimated on all the tonnage (the share it covers; its
        contained tonnes cover that share only, and are NaN where it covers nothing),
        ``not_estimated_t`` (the tonnage of the zone whose cut-off grade is not
        estimated, the same on each cut-off row), then one ``Total`` row per cut-off.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.reporting import summary_table
    >>> from raremin.tonnage import grade_tonnage
    >>> gt = grade_tonnage(np.array([0.5, 1.5, np.nan]), 100.0, [0.0, 1.0], unit="pct",
    ...                    basis="element", grade_name="cu", groups=np.array([0, 1, 1]),
    ...                    group_names=["A", "B"])
    >>> summary_table(gt, contained={"cu_t": "contained"})[["zone", "tonnage_t", "cu_t",
    ...                                                     "not_estimated_t"]]
        zone  tonnage_t  cu_t  not_estimated_t
    0      A      100.0   0.5              0.0
    1      A        0.0   0.0              0.0
    2      B      100.0   1.5            100.0
    3      B      100.0   1.5            100.0
    4  Total      200.0   2.0            100.0
    5  Total      100.0   1.5            100.0
    """
    suffix = unit_suffix(curve.unit)
    grade_col = f"{curve.grade_name}_{suffix}"
    mapping = dict(contained or {"contained_t": "contained"})
    tonnage = np.asarray(curve.tonnage_t).reshape(-1, curve.cutoffs.size)
    zones = list(curve.groups or ("all",))
    missed = curve.not_estimated_t
    missed = (np.zeros(len(zones)) if missed is None
              else np.asarray(missed, dtype=float).reshape(-1))
    columns: dict[str, Any] = {
        "zone": np.repeat(np.asarray(zones, dtype=object), curve.cutoffs.size),
        f"cutoff_{suffix}": np.tile(curve.cutoffs, len(zones)),
        "tonnage_t": tonnage.ravel(),
        grade_col: np.asarray(curve.mean_grade).ravel(),
    }
    shares = {}
    for out, key in mapping.items():
        source = curve.contained_t if key == "contained" else curve.extra_contained_t[key]
        values = np.asarray(source, dtype=float).ravel()
        share = curve.extra_coverage.get(key) if key != "contained" else None
        if share is not None:
            share = np.asarray(share, dtype=float).ravel()
            values = np.where(share > 0, values, np.nan)  # nothing estimated: unknown, not 0
            shares[out] = share
        columns[out] = values
    for out, share in shares.items():
        columns[f"{out[:-2]}_coverage"] = share
    columns["not_estimated_t"] = np.repeat(missed, curve.cutoffs.size)
    table = pd.DataFrame(columns)
    numeric = ["tonnage_t", *mapping]
    covered = {out: table["tonnage_t"] * np.nan_to_num(share) for out, share in shares.items()}
    grouped = table.assign(**{f"_{k}": v for k, v in covered.items()}).groupby(
        f"cutoff_{suffix}", sort=False)
    totals = grouped[numeric].sum(min_count=1).reset_index()
    totals["tonnage_t"] = totals["tonnage_t"].fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for out in shares:
            part = grouped[f"_{out}"].sum().to_numpy()
            totals[f"{out[:-2]}_coverage"] = np.where(totals["tonnage_t"] > 0,
                                                      part / totals["tonnage_t"], np.nan)
    totals["not_estimated_t"] = float(missed.sum())
    metal_col = total_grade_of or next(
        (out for out, key in mapping.items() if key == "contained"), None)
    with np.errstate(invalid="ignore", divide="ignore"):
        if metal_col is None:
            totals[grade_col] = np.nan
        else:
            totals[grade_col] = np.where(
                totals["tonnage_t"] > 0,
                totals[metal_col] / totals["tonnage_t"] / grade_factor(curve.unit), np.nan)
    totals.insert(0, "zone", "Total")
    return pd.concat([table, totals[table.columns]], ignore_index=True)


def text_table(summary: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """
    A fixed-width view of a summary for a terminal: tonnes in Mt, contained in kt.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.reporting import text_table
    >>> s = pd.DataFrame({"zone": ["A"], "cutoff_pct": [0.1], "tonnage_t": [2.5e6],
    ...                   "cu_pct": [0.41], "cu_t": [10250.0]})
    >>> text_table(s).splitlines()[1].split()
    ['A', '0.100', '2.500', '0.410', '10.250']
    """
    table = summary[list(columns)] if columns is not None else summary.copy()
    renamed = {}
    for col in table.columns:
        if col == "tonnage_t" or (col.endswith("_t") and col != "not_estimated_t"):
            scale, unit = (1e6, "Mt") if col == "tonnage_t" else (1e3, "kt")
            table[col] = table[col] / scale
            renamed[col] = col[:-2] + "_" + unit
        elif col == "not_estimated_t":
            table[col] = table[col] / 1e6
            renamed[col] = "not_estimated_Mt"
    table = table.rename(columns=renamed)
    if "zone" in table.columns:
        table["zone"] = table["zone"].map(lambda z: " ".join(str(z).split()))
    return table.to_string(index=False, float_format=lambda v: f"{v:,.3f}")


def markdown_report(assessment: Any, provenance: str, table: str | None = None) -> str:
    """
    The Markdown report of an assessment: data, method, every adjustment, the table.

    Parameters
    ----------
    assessment : Assessment
        What :func:`raremin.workflow.assess` returned.
    provenance : str
        Where the data came from (one line; escaped).
    table : str, optional
        A fixed-width summary (default: :func:`text_table` of the summary).

    Returns
    -------
    str

    Examples
    --------
    >>> import raremin
    >>> from raremin.reporting import markdown_report
    >>> callable(markdown_report)
    True
    """
    from .deposit import crs_label

    a = assessment
    text = table if table is not None else text_table(a.summary)
    lines = [
        f"# raremin assessment: {markdown_text(a.deposit.name)}",
        "",
        f"Data: {markdown_text(provenance)}. CRS: {markdown_text(crs_label(a.deposit.crs))}.",
        "",
        "## Method",
        "",
        *[f"- {markdown_text(note)}" for note in a.notes],
        "",
        "## Zones",
        "",
        _markdown_frame(a.zones),
        "",
    ]
    steps = a.adjustments
    lines += ["## Data handling (every adjustment, counted)", ""]
    if len(steps):
        lines.append(_markdown_frame(steps))
    else:
        lines.append("Nothing was adjusted.")
    lines += [
        "",
        f"## Grade-tonnage by zone (cut-off on {markdown_text(a.cutoff_label)})",
        "",
        "```",
        text.replace("```", "'''"),
        "```",
        "",
        "Tonnage in Mt; grades in the units of their column names; contained quantities in "
        "kt; not_estimated_Mt is the tonnage of each zone whose cut-off grade has no "
        "estimate (no samples in reach of the search): it is left out of every figure "
        "above.",
        "",
        "Chart: `grade_tonnage.png`; full tables: `grade_tonnage.csv`, `summary.csv`, "
        "`zones.csv`, `adjustments.csv`.",
        "",
        "These figures are estimates and are not a resource statement: classification "
        "(Measured/Indicated/Inferred) is not applied.",
        "",
    ]
    return "\n".join(lines)


def _markdown_frame(frame: pd.DataFrame) -> str:
    """A Markdown table with every cell escaped."""
    header = "| " + " | ".join(markdown_text(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append(f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}")
            elif isinstance(value, (int, np.integer)):
                cells.append(f"{int(value):,}")
            else:
                cells.append(markdown_text(value))
        body.append("| " + " | ".join(cells) + " |")
    return "\n".join([header, rule, *body])


def regional_report(result: Any, provenance: str) -> str:
    """
    The Markdown report of a regional assessment of undiscovered deposits.

    Parameters
    ----------
    result : RegionalResult
        What :meth:`raremin.undiscovered.project.RegionalAssessment.run` returns.
    provenance : str
        Where the inputs came from (one line).

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.reporting import regional_report
    >>> from raremin.undiscovered.count import count_pmf
    >>> from raremin.undiscovered.project import RegionalResult
    >>> from raremin.undiscovered.tonnage import TonnageModel
    >>> from raremin.undiscovered.totals import simulate_totals
    >>> tonnage = TonnageModel().fit([1e6, 3e6, 1e7])
    >>> count = count_pmf([0.5, 0.5], method="custom")
    >>> totals = simulate_totals(count, tonnage, None, 500, seed=0)
    >>> r = RegionalResult("Tract", count, tonnage, None, totals, None, None, ("A note.",))
    >>> regional_report(r, "a test").splitlines()[0]
    '# Tract: undiscovered deposits (three-part method)'
    """
    summary = result.totals.summary()
    table = summary.reset_index().rename(columns={summary.index.name or "index": "total"})
    lines = [
        f"# {markdown_text(result.name)}: undiscovered deposits (three-part method)",
        "",
        f"Data: {markdown_text(provenance)}.",
        "",
        "## Totals of the undiscovered deposits (t)",
        "",
        _markdown_frame(table),
        "",
        "P90 is the total with a 90 % chance of being met or exceeded (the 0.10 quantile of "
        "the simulations); `analytic_mean` and `analytic_std` are E[N] E[T] and the "
        "compound-sum standard deviation, beside the simulated ones.",
        "",
        "## Number of undiscovered deposits",
        "",
        _markdown_frame(result.count.table().head(60)),
    ]
    if result.baskets is not None:
        baskets = result.baskets.reset_index().rename(columns={"index": "level"})
        lines += ["", "## Contained rare-earth baskets (t)", "", _markdown_frame(baskets)]
    lines += ["", "## Notes", ""] + [f"- {markdown_text(n)}" for n in result.notes]
    return "\n".join(lines) + "\n"

