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

__all__ = ["CODES", "DEFAULT_FIGURES", "STATEMENT_ROWS", "ResourceStatement", "csv_safe",
           "markdown_report", "markdown_text", "regional_report", "resource_statement",
           "round_significant", "summary_table", "text_table"]

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
    ]
    statement = getattr(a, "statement", None)
    if statement is None:
        lines += ["These figures are estimates and are not a resource statement: "
                  "classification (Measured/Indicated/Inferred) is not applied.", ""]
    else:
        lines += ["## Resource statement", "", statement.to_markdown(), "",
                  "Also in `statement.md` and `statement.csv` (rounded; the unrounded "
                  "figures are the sums of the blocks); classes on a plan in `classes.png`. "
                  "The classification rules are a starting point: a Competent Person (JORC) "
                  "or Qualified Person (NI 43-101) must review them.", ""]
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



# ------------------------------------------------------------------------ statements
#: The reporting codes a statement can follow, with the wording of its title and caveats.
CODES: Mapping[str, Mapping[str, str]] = {
    "JORC": {
        "name": "JORC Code (2012 Edition)",
        "title": "Mineral Resource estimate reported in accordance with the JORC Code (2012)",
        "caveat": "Inferred Mineral Resources carry lower confidence than Indicated ones and "
                  "are reported apart; they are not added to Measured + Indicated.",
    },
    "NI 43-101": {
        "name": "NI 43-101 and the CIM Definition Standards (2014)",
        "title": "Mineral Resource estimate prepared under NI 43-101 (CIM Definition "
                 "Standards, 2014)",
        "caveat": "Mineral Resources that are not Mineral Reserves have not shown economic "
                  "viability. Inferred Mineral Resources are reported apart and are not added "
                  "to Measured + Indicated.",
    },
    "KAZRC": {
        "name": "KAZRC Code (2016)",
        "title": "Mineral Resource estimate reported in accordance with the KAZRC Code "
                 "(Kazakhstan, 2016)",
        "caveat": "Inferred Mineral Resources are reported apart and are not added to "
                  "Measured + Indicated.",
    },
}

#: Rows of a statement per zone, in order; "Measured + Indicated" sums the first two and
#: "Total" all three classes.
STATEMENT_ROWS: tuple[str, ...] = ("Measured", "Indicated", "Measured + Indicated",
                                   "Inferred", "Total")

#: Significant figures of the rounded statement by default: tonnage and contained
#: quantities 3 (Inferred 2), grades 3.
DEFAULT_FIGURES: Mapping[str, int] = {"tonnage": 3, "contained": 3, "grade": 3,
                                      "inferred": 2}


def round_significant(values: Any, figures: int | Any) -> np.ndarray:
    """
    Round to a number of significant figures (elementwise; NaN and 0 kept).

    Parameters
    ----------
    values : array_like
        Numbers.
    figures : int or array_like of int
        Significant figures (>= 1), broadcast against `values`.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from raremin.reporting import round_significant
    >>> round_significant([4_862_000.0, 0.03164, 0.0, 153.6], 2).tolist()
    [4900000.0, 0.032, 0.0, 150.0]
    """
    x = np.asarray(values, dtype=float)
    n = np.asarray(figures)
    if np.any(n < 1) or np.any(n != np.round(n)):
        from .errors import InputError

        raise InputError(f"significant figures must be whole numbers >= 1; got {figures!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.where((x != 0) & np.isfinite(x),
                            np.floor(np.log10(np.abs(np.where(x == 0, 1.0, x)))), 0.0)
        scale = 10.0 ** (n - 1 - exponent)
        out = np.round(x * scale) / scale
    return np.where((x == 0) | ~np.isfinite(x), x, out)


class ResourceStatement:
    """
    A resource statement: tonnes, grades and contained quantities by zone and class.

    Made by :func:`resource_statement`. ``table`` holds the unrounded figures (contained
    quantities from unrounded tonnes and grades); :meth:`rounded` the figures as
    published, rounded to significant figures per column; :meth:`to_markdown`,
    :meth:`to_html`, :meth:`to_csv` and :meth:`to_excel` write them with the title and
    the notes.

    Attributes
    ----------
    table : pandas.DataFrame
        ``zone``, ``class``, ``cutoff_<unit>``, ``tonnage_t``, the grades, the contained
        quantities (t); per zone the rows of :data:`STATEMENT_ROWS`, then the zones
        together (``"All zones"``) when there are several.
    title : str
        The code's title, the cut-off with its basis and the price basis.
    code : str
        A key of :data:`CODES`.
    notes : tuple of str
        The class rules, the rounding, the cut-off and the price basis as stated.
    figures : mapping
        Significant figures per column of :meth:`rounded`.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.reporting import resource_statement
    >>> grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 1, 1))
    >>> model = BlockModel(grid, ["A"], np.arange(2), np.zeros(2, dtype=np.int8), np.ones(2),
    ...                    {"density_t_m3": np.full(2, 2.5), "cu_pct": np.array([1.234, 0.5]),
    ...                     "resource_class": np.array([1, 3])})
    >>> s = resource_statement(model, "cu_pct", 0.0)
    >>> s.table["class"].tolist()
    ['Measured', 'Indicated', 'Measured + Indicated', 'Inferred', 'Total']
    """

    def __init__(self, table: pd.DataFrame, title: str, code: str, notes: Sequence[str],
                 figures: Mapping[str, int], grades: Sequence[str],
                 contained: Sequence[str]) -> None:
        self.table = table
        self.title = title
        self.code = code
        self.figures = dict(figures)
        self.grades = tuple(grades)
        self.contained = tuple(contained)
        rounded = self.rounded()
        self.adds_up = _adds_up(rounded, ["tonnage_t", *self.contained])
        self.notes = tuple(notes) + (() if self.adds_up else (
            "Totals may not add due to rounding.",))

    def __repr__(self) -> str:
        rows = self.table[self.table["class"] == "Total"]
        total = rows.iloc[-1] if len(rows) else None
        head = f"ResourceStatement({self.code}: {self.title.split(': ', 1)[-1]}"
        if total is None:
            return head + ")"
        return (f"{head}; total {total['tonnage_t'] / 1e6:.3g} Mt, "
                f"{len(self.table)} rows)")

    def _repr_html_(self) -> str:
        return self.to_html()

    def rounded(self) -> pd.DataFrame:
        """
        The statement as published: each column rounded to its significant figures.

        Tonnage and contained quantities to ``figures["tonnage"]`` and
        ``figures["contained"]`` (``figures["inferred"]`` on Inferred rows), grades to
        ``figures["grade"]``; the contained quantities are rounded from the unrounded
        figures, never recomputed from rounded tonnes and grades.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.reporting import resource_statement
        >>> grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 1, 1))
        >>> model = BlockModel(grid, ["A"], np.arange(2), np.zeros(2, dtype=np.int8), np.ones(2),
        ...                    {"density_t_m3": np.full(2, 2.5), "cu_pct": np.array([1.234, 0.5]),
        ...                     "resource_class": np.array([1, 3])})
        >>> s = resource_statement(model, "cu_pct", 0.0)
        >>> s.rounded()["tonnage_t"].tolist(), float(s.table["cu_t"].iloc[0])
        ([2500.0, 0.0, 2500.0, 2500.0, 5000.0], 30.85)
        """
        out = self.table.copy()
        inferred = (out["class"] == "Inferred").to_numpy()
        for column in ["tonnage_t", *self.contained]:
            key = "tonnage" if column == "tonnage_t" else "contained"
            n = np.where(inferred, self.figures["inferred"], self.figures[key])
            out[column] = round_significant(out[column], n)
        for column in self.grades:
            out[column] = round_significant(out[column], self.figures["grade"])
        return out

    def to_frame(self, rounded: bool = True) -> pd.DataFrame:
        """
        The statement table (rounded by default).

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.reporting import resource_statement
        >>> grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 1, 1))
        >>> model = BlockModel(grid, ["A"], np.arange(2), np.zeros(2, dtype=np.int8), np.ones(2),
        ...                    {"density_t_m3": np.full(2, 2.5), "cu_pct": np.array([1.234, 0.5]),
        ...                     "resource_class": np.array([1, 3])})
        >>> s = resource_statement(model, "cu_pct", 0.0)
        >>> float(s.to_frame(rounded=False)["cu_pct"].iloc[-1])
        0.867
        """
        return self.rounded() if rounded else self.table.copy()

    def _display_frame(self) -> pd.DataFrame:
        """Rounded, tonnage in Mt, contained in t or kt or Mt by size, grades as named."""
        frame = self.rounded()
        renamed = {"tonnage_t": "Tonnage (Mt)"}
        frame["tonnage_t"] = frame["tonnage_t"] / 1e6
        for column in self.contained:
            top = float(np.nanmax(np.abs(frame[column]))) if len(frame) else 0.0
            scale, unit = ((1e6, "Mt") if top >= 1e6 else (1e3, "kt") if top >= 1e3
                           else (1.0, "t"))
            frame[column] = frame[column] / scale
            renamed[column] = f"{_label(column[:-2])} ({unit})"
        for column in self.grades:
            renamed[column] = _grade_label(column)
        return frame.rename(columns=renamed)

    def to_markdown(self) -> str:
        """
        The statement as Markdown: title, table (rounded), notes.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.reporting import resource_statement
        >>> grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 1, 1))
        >>> model = BlockModel(grid, ["A"], np.arange(2), np.zeros(2, dtype=np.int8), np.ones(2),
        ...                    {"density_t_m3": np.full(2, 2.5), "cu_pct": np.array([1.234, 0.5]),
        ...                     "resource_class": np.array([1, 3])})
        >>> s = resource_statement(model, "cu_pct", 0.0)
        >>> s.to_markdown().splitlines()[0][:40]
        '## Mineral Resource estimate reported in'
        """
        frame = self._display_frame()
        frame = frame.astype(object).where(frame.notna(), "-")
        lines = [f"## {markdown_text(self.title)}", "", _markdown_frame(frame), ""]
        lines += [f"- {markdown_text(n)}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        """
        The statement as an HTML fragment: title, table (rounded), notes.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.reporting import resource_statement
        >>> grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 1, 1))
        >>> model = BlockModel(grid, ["A"], np.arange(2), np.zeros(2, dtype=np.int8), np.ones(2),
        ...                    {"density_t_m3": np.full(2, 2.5), "cu_pct": np.array([1.234, 0.5]),
        ...                     "resource_class": np.array([1, 3])})
        >>> s = resource_statement(model, "cu_pct", 0.0)
        >>> s.to_html().startswith("<div class='raremin'>")
        True
        """
        import html

        frame = self._display_frame()
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        table = frame.to_html(index=False, na_rep="", border=0,
                              float_format=lambda v: f"{v:,.4g}")
        return (f"<div class='raremin'><strong>{html.escape(self.title)}</strong>{table}"
                f"<ul style='margin:0.2em 0'>{notes}</ul></div>")

    def to_csv(self, path: Any, rounded: bool = True) -> None:
        """
        Write the statement table (rounded by default; units in the column names) to CSV.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.reporting import resource_statement
        >>> grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 1, 1))
        >>> model = BlockModel(grid, ["A"], np.arange(2), np.zeros(2, dtype=np.int8), np.ones(2),
        ...                    {"density_t_m3": np.full(2, 2.5), "cu_pct": np.array([1.234, 0.5]),
        ...                     "resource_class": np.array([1, 3])})
        >>> s = resource_statement(model, "cu_pct", 0.0)
        >>> import io
        >>> buffer = io.StringIO()
        >>> s.to_csv(buffer)
        >>> buffer.getvalue().splitlines()[0].split(",")[:4]
        ['zone', 'class', 'cutoff_pct', 'tonnage_t']
        """
        csv_safe(self.to_frame(rounded)).to_csv(path, index=False)

    def to_excel(self, path: Any) -> None:
        """
        Write the statement to an Excel workbook: the rounded table, the unrounded one
        and the notes, one sheet each (needs ``openpyxl``: ``pip install
        'raremin[excel]'``).

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.grid import BlockGrid, BlockModel
        >>> from raremin.reporting import resource_statement
        >>> grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (2, 1, 1))
        >>> model = BlockModel(grid, ["A"], np.arange(2), np.zeros(2, dtype=np.int8), np.ones(2),
        ...                    {"density_t_m3": np.full(2, 2.5), "cu_pct": np.array([1.234, 0.5]),
        ...                     "resource_class": np.array([1, 3])})
        >>> s = resource_statement(model, "cu_pct", 0.0)
        >>> import importlib.util, io
        >>> if importlib.util.find_spec("openpyxl"):
        ...     s.to_excel(io.BytesIO())
        """
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            from .errors import RareminError

            raise RareminError("writing Excel needs openpyxl: pip install 'raremin[excel]' "
                               "(or write CSV with to_csv)") from None
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            self._display_frame().to_excel(writer, sheet_name="statement", index=False)
            self.table.to_excel(writer, sheet_name="unrounded", index=False)
            pd.DataFrame({"note": [self.title, *self.notes]}).to_excel(
                writer, sheet_name="notes", index=False)


def _label(name: str) -> str:
    """A quantity as geologists write it: TREO, NdPr, Nd2O3, Cu."""
    from .analytes import parse_analyte

    special = {"treo": "TREO", "tree": "TREE", "lreo": "LREO", "hreo": "HREO",
               "mreo": "MREO", "creo": "CREO", "ndpr": "NdPr", "ndpr_oxide": "NdPr oxide"}
    if name in special:
        return special[name]
    spec = parse_analyte(f"{name}_pct")
    return spec.species if spec is not None else name


def _grade_label(column: str) -> str:
    from .units import grade_unit

    head, unit = column.rsplit("_", 1)
    if head.endswith("_share"):
        return f"{_label(head[:-6])} share of TREO (%)"
    shown = {"pct": "%", "ppm": "ppm", "gpt": "g/t"}.get(unit, grade_unit(unit))
    return f"{_label(head)} ({shown})"


def _adds_up(rounded: pd.DataFrame, columns: Sequence[str]) -> bool:
    """Do the rounded rows add up to the rounded sums (M + I, Total, all zones)?"""
    def close(a: Any, b: Any) -> bool:
        return bool(np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True))

    cut = [c for c in rounded.columns if c.startswith("cutoff_")][0]
    for (_, _), part in rounded.groupby(["zone", cut], sort=False):
        rows = part.set_index("class")[list(columns)]
        if not close(rows.loc["Measured"] + rows.loc["Indicated"],
                     rows.loc["Measured + Indicated"]):
            return False
        if not close(rows.loc["Measured + Indicated"] + rows.loc["Inferred"],
                     rows.loc["Total"]):
            return False
    if "All zones" in set(rounded["zone"]):
        zones = rounded[rounded["zone"] != "All zones"]
        sums = zones.groupby(["class", cut], sort=False)[list(columns)].sum()
        whole = rounded[rounded["zone"] == "All zones"].set_index(["class", cut])[
            list(columns)]
        if not close(sums.loc[whole.index].to_numpy(), whole.to_numpy()):
            return False
    return True


def resource_statement(
    model: Any,
    cutoff_grade: str,
    cutoffs: float | Sequence[float],
    *,
    classes: str | Any = "resource_class",
    grades: Sequence[str] | None = None,
    code: str = "JORC",
    price_basis: str | None = None,
    figures: Mapping[str, int] | None = None,
    rules: Sequence[str] = (),
    zones: Sequence[str] | None = None,
) -> ResourceStatement:
    """
    A resource statement by zone, class and cut-off from a classified block model.

    Parameters
    ----------
    model : BlockModel
        Estimated blocks with their grades and a class per parcel.
    cutoff_grade : str
        The grade the cut-off applies to, an array of `model` (``"treo_pct"``).
    cutoffs : float or sequence of float
        Cut-off(s) in the unit of `cutoff_grade`; material at or above counts.
    classes : str or array_like of int, default "resource_class"
        The array of `model` holding the class codes (0 unclassified, 1 Measured, 2
        Indicated, 3 Inferred), or the codes themselves (one per parcel).
    grades : sequence of str, optional
        The grades to report (arrays of `model`, units in their names); their contained
        quantities follow. Default: the cut-off grade, then the rare-earth baskets and
        Nd2O3, Pr6O11, Dy2O3, Tb4O7 when present, and the NdPr share of TREO.
    code : {"JORC", "NI 43-101", "KAZRC"}, default "JORC"
        The reporting code: labels, title and caveats.
    price_basis : str, optional
        The prices behind the cut-off (e.g. ``"USD 80/kg Nd2O3, USGS MCS 2024"``),
        stated in the title.
    figures : mapping, optional
        Significant figures: keys ``tonnage``, ``contained``, ``grade``, ``inferred``
        (defaults :data:`DEFAULT_FIGURES`).
    rules : sequence of str
        How the classes were assigned (one line each), for the notes.
    zones : sequence of str, optional
        Zones to report (default all).

    Returns
    -------
    ResourceStatement

    Raises
    ------
    InputError
        An unknown code, grade or class array; class codes outside 0-3.

    Notes
    -----
    Per zone, cut-off and class: tonnes (sum of parcel tonnes at or above the cut-off),
    grades (tonnage-weighted means over the parcels where the grade is estimated), and
    contained quantities ``sum(t x grade x unit factor)`` from the unrounded figures.
    Measured + Indicated sums the two; Inferred stays apart; Total adds all three.
    Unclassified parcels are not reported. Rounding happens only in
    :meth:`ResourceStatement.rounded`, so a rounded contained quantity never comes from
    rounded tonnes and grades; when rounded rows do not add to the rounded sums, the
    notes say "Totals may not add due to rounding".

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.grid import BlockGrid, BlockModel
    >>> from raremin.reporting import resource_statement
    >>> grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (3, 1, 1))
    >>> model = BlockModel(grid, ["A"], np.arange(3), np.zeros(3, dtype=np.int8),
    ...                    np.ones(3), {"density_t_m3": np.full(3, 2.0),
    ...                                 "cu_pct": np.array([1.0, 0.5, 0.2]),
    ...                                 "resource_class": np.array([1, 2, 3])})
    >>> s = resource_statement(model, "cu_pct", 0.3)
    >>> s.rounded()[["class", "tonnage_t", "cu_pct", "cu_t"]].head(5)
                      class  tonnage_t  cu_pct  cu_t
    0              Measured     2000.0    1.00  20.0
    1             Indicated     2000.0    0.50  10.0
    2  Measured + Indicated     4000.0    0.75  30.0
    3              Inferred        0.0     NaN   0.0
    4                 Total     4000.0    0.75  30.0
    """
    from .analytes import parse_analyte
    from .errors import InputError

    if code not in CODES:
        raise InputError(f"code must be one of {sorted(CODES)}; got {code!r}")
    arrays = model.arrays
    spec = parse_analyte(cutoff_grade)
    if spec is None or cutoff_grade not in arrays:
        raise InputError(f"cutoff_grade {cutoff_grade!r} is not a grade array of the model "
                         f"(a name with its unit, such as 'treo_pct'); it has "
                         f"{sorted(k for k in arrays if parse_analyte(k) is not None)}")
    cut = np.atleast_1d(np.asarray(cutoffs, dtype=float))
    if cut.ndim != 1 or not np.all(np.isfinite(cut)) or np.any(cut < 0):
        raise InputError(f"cutoffs must be finite grades >= 0; got {cutoffs!r}")
    codes = np.asarray(arrays[classes] if isinstance(classes, str) and classes in arrays
                       else classes)
    if isinstance(classes, str) and classes not in arrays:
        raise InputError(f"the model has no class array {classes!r}; classify it first "
                         f"(raremin.classification.classify) or pass the codes")
    if codes.shape != (model.n_parcels,) or not np.isin(codes, [0, 1, 2, 3]).all():
        raise InputError(f"classes must be one code per parcel ({model.n_parcels}) in 0-3 "
                         f"(0 unclassified, 1 Measured, 2 Indicated, 3 Inferred); got shape "
                         f"{codes.shape}, values {np.unique(codes)[:6].tolist()}")
    grades = list(grades) if grades is not None else _default_grades(cutoff_grade, arrays)
    if cutoff_grade in grades:
        grades.remove(cutoff_grade)
    grades.insert(0, cutoff_grade)
    unknown = [g for g in grades if g not in arrays and not g.endswith("_share_pct")]
    if unknown:
        raise InputError(f"grades {unknown} are not arrays of the model")
    names = list(model.zone_names)
    chosen = names if zones is None else list(zones)
    missing = [z for z in chosen if z not in names]
    if missing:
        raise InputError(f"zones {missing} are not in the model; it has {names}")
    figs = {**DEFAULT_FIGURES, **(figures or {})}

    tonnage = np.asarray(model.tonnage_t(), dtype=float)
    zone = np.asarray(model.zone_code)
    value = np.asarray(arrays[cutoff_grade], dtype=float)
    plain = [g for g in grades if not g.endswith("_share_pct")]
    contained_cols = [f"{g.rsplit('_', 1)[0]}_t" for g in plain]
    units = []
    for g in plain:
        analyte = parse_analyte(g)
        if analyte is None:
            raise InputError(f"grade {g!r} is not a grade array (a name with its unit, such as "
                             f"'treo_pct'); name the model's grade arrays in grades=")
        units.append(analyte.unit)
    factors = np.array([grade_factor(u) for u in units])
    g_values = np.column_stack([np.asarray(arrays[g], dtype=float) for g in plain])
    known = np.isfinite(g_values)
    metal = np.where(known, g_values, 0.0) * tonnage[:, None] * factors
    weight = np.where(known, tonnage[:, None], 0.0)
    groups = [(z, zone == names.index(z)) for z in chosen]
    if len(chosen) > 1:
        groups.append(("All zones", np.isin(zone, [names.index(z) for z in chosen])))
    sets = {"Measured": (1,), "Indicated": (2,), "Measured + Indicated": (1, 2),
            "Inferred": (3,), "Total": (1, 2, 3)}
    records = []
    for z, inzone in groups:
        for c in cut:
            above = inzone & np.isfinite(value) & (value >= c)
            for label in STATEMENT_ROWS:
                mask = above & np.isin(codes, sets[label])
                records.append((z, label, c, tonnage[mask].sum(), metal[mask].sum(axis=0),
                                weight[mask].sum(axis=0)))
    table = _statement_frame(records, spec, plain, contained_cols, factors, grades)
    reported = np.isfinite(value) & (value >= cut.min()) & (codes > 0) & np.isin(
        zone, [names.index(z) for z in chosen])
    partial = []
    for j, g in enumerate(plain):
        share = weight[reported, j].sum() / max(tonnage[reported].sum(), 1e-300)
        if share < 1.0 - 1e-9:
            partial.append(f"{_grade_label(g)} is estimated on {100 * share:.0f} % of the "
                           f"reported tonnage: its grade and contained quantity cover that part "
                           f"only")
    cut_text = ", ".join(f"{c:g}" for c in cut)
    unit_text = {"pct": "%", "ppm": "ppm", "gpt": "g/t"}.get(unit_suffix(spec.unit),
                                                            spec.unit)
    basis = f"{spec.basis} basis" if spec.kind == "basket" else spec.kind
    title = (f"{CODES[code]['title']}: cut-off {cut_text} {unit_text} "
             f"{_label(cutoff_grade.rsplit('_', 1)[0])} ({basis})"
             + (f"; prices: {price_basis}" if price_basis else ""))
    notes = [*rules, *partial,
             f"Rounded to {figs['tonnage']} significant figures (tonnes and contained "
             f"quantities; Inferred to {figs['inferred']}) and grades to {figs['grade']}; "
             f"contained quantities are computed from the unrounded tonnes and grades.",
             "Material at or above the cut-off is reported; unclassified material is not.",
             CODES[code]["caveat"]]
    if not price_basis:
        notes.append("No price basis was given for the cut-off.")
    return ResourceStatement(table, title, code, notes, figs,
                             [g for g in grades], contained_cols)


def _default_grades(cutoff_grade: str, arrays: Mapping[str, Any]) -> list[str]:
    """
    The cut-off grade; the rare-earth baskets and key oxides present (any unit) and the
    NdPr share of TREO; every other commodity's grade (not a rare earth).
    """
    from .analytes import parse_analyte
    from .chemistry import RARE_EARTHS

    specs = {name: a for name in arrays if (a := parse_analyte(name)) is not None}
    out = [cutoff_grade]
    for species in ("TREO", "LREO", "HREO", "MREO", "NdPr", "Nd2O3", "Pr6O11", "Dy2O3",
                    "Tb4O7"):
        for name, a in specs.items():
            basket = a.kind == "basket" and a.basis == "oxide"
            if a.species == species and (basket or a.kind == "oxide") and name not in out:
                out.append(name)
                break
    out += [name for name, a in specs.items() if a.kind != "basket"
            and (el := a.element) is not None and el not in RARE_EARTHS and name not in out]
    if "ndpr_pct" in out and "treo_pct" in out:
        out.append("ndpr_share_pct")
    return out


def _statement_frame(records: list[Any], spec: Any, plain: Sequence[str],
                     contained: Sequence[str], factors: np.ndarray,
                     grades: Sequence[str]) -> pd.DataFrame:
    suffix = unit_suffix(spec.unit)
    zone, label, cut, tons, metals, weights = zip(*records, strict=True)
    metal = np.array(metals).reshape(len(records), len(plain))
    weight = np.array(weights).reshape(len(records), len(plain))
    frame = pd.DataFrame({"zone": zone, "class": label, f"cutoff_{suffix}": cut,
                          "tonnage_t": np.array(tons, dtype=float)})
    return _finish(frame, metal, weight, plain, contained, factors, grades)


def _finish(frame: pd.DataFrame, metal: np.ndarray, weight: np.ndarray,
            plain: Sequence[str], contained: Sequence[str], factors: np.ndarray,
            grades: Sequence[str]) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(weight > 0, metal / np.where(weight > 0, weight, 1.0) / factors,
                         np.nan)
    for j, g in enumerate(plain):
        frame[g] = means[:, j]
    if "ndpr_share_pct" in grades:
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["ndpr_share_pct"] = 100.0 * frame["ndpr_pct"] / frame["treo_pct"]
    for j, c in enumerate(contained):
        frame[c] = metal[:, j]
    return frame[[*frame.columns[:4], *grades, *contained]]
