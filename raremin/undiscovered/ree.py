"""
Rare-earth deposits of the world (USGS Open-File Report 02-189) as a grade-tonnage table.

Orris and Grauch (2002) list some 800 rare-earth deposits and occurrences by deposit
type, with tonnage and grade as free text (``"105 Mt @ 3% REO; 11.6 Mt @ 30% CaF2"``).
:func:`read_ofr02189` parses that text into ore tonnes and TREO grade, one row per
deposit, and returns a report that accounts for every row of the file and says why a
deposit has no figures. :func:`ree_grade_tonnage_model` fits the tonnage and TREO
grade models of one deposit type, and :func:`contained_baskets` splits contained TREO
into NdPr and other baskets with a stated rare-earth distribution.

Examples
--------
>>> from raremin.undiscovered.ree import contained_baskets, MOUNTAIN_PASS_BASTNAESITE
>>> contained_baskets(1000.0, MOUNTAIN_PASS_BASTNAESITE, baskets=["ndpr"])
   treo_t  ndpr_t
0  1000.0   153.0
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..chemistry import basket as _basket
from ..chemistry import element, oxide_factor
from ..errors import InputError
from .grades import GradeModel
from .tonnage import TonnageModel

__all__ = [
    "MOUNTAIN_PASS_BASTNAESITE",
    "OUTCOMES",
    "OfrReport",
    "contained_baskets",
    "read_ofr02189",
    "ree_grade_tonnage_model",
]

#: Rare-earth oxide distribution of Mountain Pass bastnaesite, fraction of TREO, as
#: tabulated by Castor and Hedrick (2006) and widely reproduced (e.g. Long et al.,
#: 2010); trace oxides (Tb, Dy, Ho, Er, Tm, Yb, Lu) are left out, so the shares sum to 1.
MOUNTAIN_PASS_BASTNAESITE: Mapping[str, float] = MappingProxyType({
    "La2O3": 0.338, "CeO2": 0.496, "Pr6O11": 0.041, "Nd2O3": 0.112, "Sm2O3": 0.009,
    "Eu2O3": 0.001, "Gd2O3": 0.002, "Y2O3": 0.001,
})

#: What :func:`read_ofr02189` found for a deposit row, in the order of precedence.
OUTCOMES: tuple[str, ...] = (
    "ore tonnage and REO grade",
    "contained REO only, no ore tonnage",
    "tonnage with grade as REE (element basis), not REO",
    "tonnage with grade of other species (monazite, heavy minerals, oxides)",
    "REO grade without a linked ore tonnage",
    "grade of other species without a tonnage",
    "tonnage without a grade",
    "no tonnage or grade figure recognised",
    "no tonnage and grade given",
)

_NUM = r"(?:\d[\d,]*\.?\d*|\.\d+)"
_TONNAGE = re.compile(
    rf"(?P<bound>[<>≤≥~]\s*|(?i:about)\s+)?(?P<num>{_NUM})\s*"
    r"(?P<unit>(?i:million\s+metric\s+tons|million\s+tonnes)|Mt|kt|mt|t)(?![A-Za-z0-9])")
_GRADE = re.compile(
    rf"(?P<bound>[<>≤≥~]\s*|about\s+|ama\s+)?(?P<lo>{_NUM})\s*(?:-\s*(?P<hi>{_NUM})\s*)?%"
    r"\s*(?P<species>[A-Za-z][A-Za-z0-9]*(?:\s*\+\s*[A-Za-z][A-Za-z0-9]*)*)")
#: Tonnage units; "mt" is a metric ton (as in "10,000 mt REO"), "Mt" a million tonnes.
_UNITS = {"Mt": 1e6, "kt": 1e3, "mt": 1.0, "t": 1.0, "million metric tons": 1e6,
          "million tonnes": 1e6}
_REO = {"REO", "TREO", "RE2O3", "LN2O3", "REO+Y2O3", "TREO+Y2O3"}
_REE = {"REE", "REE+Y", "TREE", "RE"}
_ORE_WORDS = re.compile(r"\b(ore|laterite|sand|tailings|resvs|reserves?|resources?|proven)\b",
                        re.IGNORECASE)
_LINK = re.compile(r"@|grading|grade of|\bat\b", re.IGNORECASE)
_PAREN = re.compile(r"\(([^()]*)\)")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)")
_RULES = ("largest", "first")


def _species_key(species: str) -> str:
    return re.sub(r"\s+", "", species).upper()


def _unit_factor(unit: str) -> float:
    key = unit if unit in _UNITS else re.sub(r"\s+", " ", unit.lower())
    return _UNITS[key]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _clean(text: str) -> str:
    """Parentheticals: REO grades kept as alternatives, years as markers, the rest dropped."""
    def repl(match: re.Match) -> str:
        inner = match.group(1)
        if any(_species_key(g.group("species")) in _REO for g in _GRADE.finditer(inner)):
            return f" or {inner} "
        year = _YEAR.match(inner.strip())
        return f" §{year.group(1)}§ " if year else " "
    return re.sub(r"\s+", " ", _PAREN.sub(repl, text.replace("\xa0", " "))).strip()


def _grade_value(match: re.Match) -> tuple[float, list[str]]:
    lo = _number(match.group("lo"))
    flags = []
    if match.group("hi"):
        flags.append("grade range midpoint")
        lo = 0.5 * (lo + _number(match.group("hi")))
    if match.group("bound"):
        flags.append(f"grade given as {match.group('bound').strip()!r}")
    return lo, flags


def _estimates(text: str) -> tuple[list[dict[str, Any]], set[str]]:
    """Every tonnage estimate in the text, and what else was seen (for the outcome)."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for chunk in _clean(text).split(";"):
        year = re.search(r"§(\d{4})§", chunk)
        year_value = int(year.group(1)) if year else None
        tons = list(_TONNAGE.finditer(chunk))
        first = tons[0].start() if tons else len(chunk)
        for g in _GRADE.finditer(chunk[:first]):
            species = _species_key(g.group("species"))
            seen.add("reo grade" if species in _REO else "other grade")
        for i, ton in enumerate(tons):
            end = tons[i + 1].start() if i + 1 < len(tons) else len(chunk)
            segment = chunk[ton.end():end]
            tonnes = _number(ton.group("num")) * _unit_factor(ton.group("unit"))
            flags = [f"tonnage given as {ton.group('bound').strip()!r}"] if ton.group(
                "bound") else []
            grades = list(_GRADE.finditer(segment))
            head = segment[:grades[0].start()] if grades else segment
            head_words = re.split(r"[@,]", head)[0].strip()
            first_word = _species_key(head_words.split(" ")[0]) if head_words else ""
            written = re.sub(r"\s*§\d{4}§", "", chunk[ton.start():end]).strip(" ,+")
            record = {"tonnes": tonnes, "text": written,
                      "year": year_value, "flags": flags, "kind": "ore"}
            if first_word in _REO:
                record["kind"] = "contained reo"
            elif head_words and not _ORE_WORDS.search(head_words):
                record["kind"] = "contained other"
            linked = bool(grades) and bool(_LINK.search(head))
            record["grades"] = [(_species_key(g.group("species")), *_grade_value(g))
                                for g in grades] if linked else []
            if grades and not linked:
                for g in grades:
                    species = _species_key(g.group("species"))
                    seen.add("reo grade" if species in _REO else "other grade")
            found.append(record)
    return found, seen


def _choose(records: list[dict[str, Any]], rule: str) -> dict[str, Any] | None:
    """The estimate with an ore tonnage and an REO grade taken by `rule`."""
    pairs = []
    for rec in records:
        reo = [g for g in rec["grades"] if g[0] in _REO]
        if not reo:
            continue
        species, grade, gflags = reo[0]
        ore, flags = rec["tonnes"], rec["flags"] + gflags
        if rec["kind"] == "contained reo":  # "0.023 Mt REO @ 3.2% REO"
            ore, flags = ore / (grade / 100.0), [*flags, "ore derived from contained REO"]
        elif rec["kind"] != "ore":
            continue
        pairs.append({"ore_t": ore, "treo_pct": grade, "grade_species": species,
                      "year": rec["year"], "estimate": rec["text"], "flags": flags})
    if not pairs:
        return None
    if rule == "first":
        best = pairs[0]
    else:  # largest ore tonnage; ties keep the first in the text
        best = pairs[int(np.argmax([p["ore_t"] for p in pairs]))]
    return {**best, "n_estimates": len(pairs)}


def _outcome(records: list[dict[str, Any]], seen: set[str]) -> str:
    species = {g[0] for r in records for g in r["grades"]}
    if any(r["kind"] == "contained reo" for r in records):
        return OUTCOMES[1]
    if species & _REE:
        return OUTCOMES[2]
    if species:
        return OUTCOMES[3]
    if "reo grade" in seen:
        return OUTCOMES[4]
    if "other grade" in seen:
        return OUTCOMES[5]
    if records:
        return OUTCOMES[6]
    return OUTCOMES[7]


@dataclass(frozen=True)
class OfrReport:
    """
    What :func:`read_ofr02189` read: every row of the file and every deposit accounted for.

    Parameters
    ----------
    n_rows : int
        Data rows of the CSV (below its column-name line).
    rows : dict of str to int
        Rows by kind: ``header`` (the two title rows), ``section`` (deposit-type
        headings such as ``CARBONATITE``), ``blank`` and ``deposit``; they add up to
        `n_rows`.
    outcomes : dict of str to int
        Deposit rows by outcome (:data:`OUTCOMES`); they add up to ``rows["deposit"]``.
    rule : str
        How one estimate was taken when a deposit has several.

    Examples
    --------
    >>> from raremin.undiscovered.ree import OfrReport
    >>> r = OfrReport(3, {"header": 2, "section": 0, "blank": 0, "deposit": 1},
    ...               {"ore tonnage and REO grade": 1}, "largest")
    >>> r.table()
                               rows
    kind    detail
    file    header                2
            section               0
            blank                 0
            deposit               1
    deposit ore tonnage and REO grade     1
    """

    n_rows: int
    rows: dict[str, int]
    outcomes: dict[str, int]
    rule: str

    def table(self) -> pd.DataFrame:
        """
        The counts as one table, rows of the file then deposits by outcome.

        Returns
        -------
        pandas.DataFrame
            Column ``rows``, indexed by (``kind``, ``detail``).

        Examples
        --------
        >>> from raremin.undiscovered.ree import OfrReport
        >>> r = OfrReport(1, {"deposit": 1}, {"tonnage without a grade": 1}, "largest")
        >>> int(r.table()["rows"].sum())
        2
        """
        index = [("file", k) for k in self.rows] + [("deposit", k) for k in self.outcomes]
        values = list(self.rows.values()) + list(self.outcomes.values())
        return pd.DataFrame({"rows": values},
                            index=pd.MultiIndex.from_tuples(index, names=["kind", "detail"]))


def read_ofr02189(path: str | Path, *, rule: str = "largest") -> tuple[pd.DataFrame, OfrReport]:
    """
    Read the CSV export of Appendix A of USGS OFR 02-189 into a deposit table.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV (columns ``X1`` ... as exported; the first two rows are titles).
    rule : {"largest", "first"}, default "largest"
        Which estimate to take when a deposit has several with an ore tonnage and an
        REO grade: the largest ore tonnage (ties: the first), as grade-tonnage models
        take a deposit's total tonnage (Singer, 1995); or the first in the text.

    Returns
    -------
    deposits : pandas.DataFrame
        One row per deposit row of the file, in file order: ``line`` (line number in
        the CSV file), ``deposit_type`` (the section heading above it), ``name``,
        ``country``, ``status``, ``text`` (the free "Tonnage and grade"), ``ore_t``
        (t), ``treo_pct`` (%), ``contained_treo_t`` (t), ``grade_species`` (as written:
        ``REO``, ``RE2O3``, ``REO+Y2O3``...), ``year`` (of the estimate, when given),
        ``n_estimates`` (estimates with tonnage and REO grade), ``estimate`` (the text
        taken), ``flags`` (bounds, ranges, derived values) and ``outcome``
        (:data:`OUTCOMES`). Deposits without figures keep NaN there.
    report : OfrReport
        Counts of the rows by kind and of the deposits by outcome.

    Raises
    ------
    InputError
        A file without the expected columns, or an unknown rule.

    Notes
    -----
    The text is split into estimates at ``;`` and at each tonnage (a number followed by
    ``Mt``, ``kt``, ``t``, ``million tonnes`` or ``million metric tons``); a grade
    belongs to the tonnage before it when they are linked by ``@``, ``grading``,
    ``grade of`` or ``at``. REO grades are ``% REO``, ``TREO``, ``RE2O3``, ``Ln2O3`` and
    ``REO + Y2O3`` (a parenthesis holding one, ``"3.0% bas (1.59% REO)"``, counts as an
    alternative grade); ``% REE`` (element basis), monazite, heavy-mineral or single-
    oxide grades are not converted (outcome says so). A grade range counts as its
    midpoint, ``>40 Mt`` as 40 Mt (both flagged); ``"0.023 Mt REO @ 3.2% REO"`` gives
    an ore tonnage of contained / grade (flagged); tonnages written as volumes (Mm3,
    Myd3) or without a unit are not read. Repeated deposit names are kept as separate
    rows, as in the report.

    References
    ----------
    Orris, G.J. and Grauch, R.I. (2002). Rare earth element mines, deposits, and
    occurrences. USGS Open-File Report 02-189.

    Singer, D.A. (1995). World class base and precious metal deposits - a quantitative
    analysis. *Economic Geology* 90, 88-104.

    Examples
    --------
    >>> import io
    >>> from raremin.undiscovered.ree import read_ofr02189
    >>> csv = io.StringIO(
    ...     '"X1","X2","X3","X8","X10"\\n"DEPOSIT",NA,NA,"Resources",NA\\n'
    ...     '"TYPE","Deposit or district name","Country","Tonnage and grade","STATUS"\\n'
    ...     '"CARBONATITE",NA,NA,NA,NA\\n'
    ...     'NA,"A","X","29 Mt @ 8.9% REO; 90 Mt @ 5% REO",NA\\n'
    ...     'NA,"B","Y","0.35% REO",NA\\n')
    >>> deposits, report = read_ofr02189(csv)
    >>> deposits[["name", "ore_t", "treo_pct", "n_estimates"]]
      name       ore_t  treo_pct  n_estimates
    0    A  90000000.0       5.0          2.0
    1    B         NaN       NaN          NaN
    >>> report.outcomes["REO grade without a linked ore tonnage"]
    1
    """
    if rule not in _RULES:
        raise InputError(f"unknown rule {rule!r}; use one of {list(_RULES)}")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=["NA", ""],
                      encoding="utf-8")
    missing = [c for c in ("X1", "X2", "X3", "X8") if c not in raw.columns]
    if missing:
        raise InputError(f"{path!r} lacks columns {missing}: expected the CSV export of OFR "
                         f"02-189 Appendix A (columns X1, X2, ...)")
    first = raw["X1"].fillna("").str.strip()
    name = raw["X2"].fillna("").str.strip()
    blank = raw.isna().all(axis=1) | raw.apply(lambda c: c.fillna("").str.strip()).eq("").all(
        axis=1)
    header = first.isin(["DEPOSIT", "TYPE"]) & (raw.index < 2)
    section = (first != "") & (name == "") & ~header
    deposit = (name != "") & ~header
    rows = {"header": int(header.sum()), "section": int(section.sum()),
            "blank": int((blank & ~header & ~section & ~deposit).sum()),
            "deposit": int(deposit.sum())}
    other = ~(header | section | deposit | blank)
    if other.any():
        raise InputError(f"rows {raw.index[other].tolist()} of {path!r} are neither titles, "
                         f"type headings, blank nor deposits; check the file")
    dtype = first.where(section).ffill()
    out = []
    for i in np.flatnonzero(deposit.to_numpy()):  # ~800 rows of free text: regex per row
        text = raw["X8"].iloc[i]
        row = {"line": int(i) + 2, "deposit_type": dtype.iloc[i], "name": name.iloc[i],
               "country": raw["X3"].iloc[i],
               "status": raw["X10"].iloc[i] if "X10" in raw.columns else np.nan,
               "text": text, "ore_t": np.nan, "treo_pct": np.nan, "contained_treo_t": np.nan,
               "grade_species": None, "year": np.nan, "n_estimates": np.nan,
               "estimate": None, "flags": ""}
        if not isinstance(text, str) or not text.strip():
            row["outcome"] = OUTCOMES[8]
            out.append(row)
            continue
        records, seen = _estimates(text)
        best = _choose(records, rule)
        if best is not None:
            flags = best.pop("flags")
            row.update(best, flags="; ".join(flags), outcome=OUTCOMES[0])
            row["contained_treo_t"] = row["ore_t"] * row["treo_pct"] / 100.0
        else:
            row["outcome"] = _outcome(records, seen)
            if row["outcome"] == OUTCOMES[1]:
                rec = max((r for r in records if r["kind"] == "contained reo"),
                          key=lambda r: r["tonnes"])
                row.update(contained_treo_t=rec["tonnes"], estimate=rec["text"],
                           year=rec["year"] if rec["year"] is not None else np.nan,
                           flags="; ".join(rec["flags"]))
        out.append(row)
    deposits = pd.DataFrame(out)
    outcomes = {k: int((deposits["outcome"] == k).sum()) for k in OUTCOMES} if out else {}
    report = OfrReport(n_rows=len(raw), rows=rows, outcomes=outcomes, rule=rule)
    return deposits, report


def ree_grade_tonnage_model(
    deposits: pd.DataFrame,
    deposit_type: str = "CARBONATITE",
    *,
    method: str = "normal",
    truncate: bool = False,
) -> tuple[TonnageModel, GradeModel]:
    """
    Tonnage and TREO grade models of one deposit type from :func:`read_ofr02189`.

    Parameters
    ----------
    deposits : pandas.DataFrame
        The deposit table of :func:`read_ofr02189` (columns ``deposit_type``,
        ``ore_t``, ``treo_pct``).
    deposit_type : str, default "CARBONATITE"
        The section heading of the type, case-insensitive (``"PLACER, Shoreline"``).
    method : {"normal", "kde"}, default "normal"
        For both models.
    truncate : bool, default False
        Truncate the tonnage model at the known range.

    Returns
    -------
    tonnage : TonnageModel
    grades : GradeModel
        One component, ``"TREO"`` (%).

    Raises
    ------
    InputError
        Fewer than 3 deposits of the type with tonnage and grade (the message lists
        the types and their counts).

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.undiscovered.ree import ree_grade_tonnage_model
    >>> table = pd.DataFrame({"deposit_type": ["CARBONATITE"] * 3,
    ...                       "ore_t": [1e6, 1e7, 1e8], "treo_pct": [1.0, 2.0, 4.0]})
    >>> tonnage, grades = ree_grade_tonnage_model(table, "carbonatite")
    >>> tonnage.log10_mean_, grades.names_
    (7.0, ['TREO'])
    """
    for col in ("deposit_type", "ore_t", "treo_pct"):
        if col not in deposits.columns:
            raise InputError(f"deposits lacks column {col!r}; pass the table of read_ofr02189")
    usable = deposits["ore_t"].notna() & deposits["treo_pct"].notna()
    types = deposits["deposit_type"].fillna("").str.strip().str.lower()
    chosen = deposits[usable & (types == str(deposit_type).strip().lower())]
    if len(chosen) < 3:
        counts = deposits[usable].groupby("deposit_type").size().to_dict()
        raise InputError(f"deposit type {deposit_type!r} has {len(chosen)} deposit(s) with "
                         f"ore tonnage and TREO grade; need 3. Types with figures: {counts}")
    tonnage = TonnageModel().fit(chosen["ore_t"].to_numpy(), method=method, truncate=truncate)
    grades = GradeModel().fit(chosen[["treo_pct"]].to_numpy(), names=["TREO"], method=method)
    return tonnage, grades


def contained_baskets(
    treo_t: Any,
    shares: Mapping[str, float],
    baskets: Sequence[str] = ("ndpr", "mreo", "lreo", "hreo"),
    *,
    share_basis: str = "oxide",
) -> pd.DataFrame:
    """
    Split contained TREO into baskets (NdPr, MREO...) with a rare-earth distribution.

    Parameters
    ----------
    treo_t : float or array_like
        Contained TREO (e.g. ``Totals.totals["TREO_t"]``). Units: t.
    shares : mapping of str to float
        The distribution: element or oxide (``"Nd"``, ``"Nd2O3"``) -> fraction of the
        total (summing to at most 1; absent elements count as 0), e.g.
        :data:`MOUNTAIN_PASS_BASTNAESITE`.
    baskets : sequence of str, default ("ndpr", "mreo", "lreo", "hreo")
        Names :func:`raremin.chemistry.basket` accepts (default switches).
    share_basis : {"oxide", "element"}, default "oxide"
        Shares are fractions of TREO (oxide mass) or of TREE (element mass); element
        shares are turned into oxide shares with :func:`raremin.chemistry.oxide_factor`.

    Returns
    -------
    pandas.DataFrame
        ``treo_t`` and ``<basket>_t`` per value of `treo_t`. Units: t.

    Notes
    -----
    ``basket_t = treo_t x sum of the members' oxide shares``; from element shares
    ``s_i``, the oxide share is ``s_i f_i / sum_j s_j f_j`` with ``f`` the
    element-to-oxide factor.

    Examples
    --------
    >>> from raremin.undiscovered.ree import contained_baskets
    >>> contained_baskets([100.0, 50.0], {"Nd2O3": 0.15, "Pr6O11": 0.05, "CeO2": 0.8},
    ...                   baskets=["ndpr", "lreo"])
       treo_t  ndpr_t  lreo_t
    0   100.0    20.0   100.0
    1    50.0    10.0    50.0
    """
    if share_basis not in ("oxide", "element"):
        raise InputError(f"share_basis must be 'oxide' or 'element'; got {share_basis!r}")
    symbols = [element(k).symbol for k in shares]
    if len(set(symbols)) != len(symbols):
        raise InputError(f"shares name an element twice: {list(shares)}")
    values = np.array([float(v) for v in shares.values()])
    if np.any(~np.isfinite(values) | (values < 0)) or not 0 < values.sum() <= 1 + 1e-9:
        raise InputError(f"shares must be >= 0 and sum to more than 0 and at most 1 (fractions "
                         f"of the total); got sum {values.sum()!r}")
    if share_basis == "element":
        mass = values * np.array([oxide_factor(s) for s in symbols])
        values = mass / mass.sum() * values.sum()
    share = dict(zip(symbols, values, strict=True))
    treo = np.atleast_1d(np.asarray(treo_t, dtype=float))
    out = pd.DataFrame({"treo_t": treo})
    for name in baskets:
        b = _basket(name)
        out[f"{b.name.lower()}_t"] = treo * sum(share.get(s, 0.0) for s in b.elements)
    return out
