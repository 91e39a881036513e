"""
The regional assessment file: one TOML file that holds a three-part assessment.

:func:`load_assessment` reads the file and checks every key before any data is read
(an unknown key, with the closest allowed one; a value of the wrong type; a missing
file; an unset environment variable: one :class:`~raremin.errors.ProjectError` naming
the file and the key). :meth:`RegionalAssessment.run` fits the three parts and
simulates the totals; ``raremin undiscovered --config assessment.toml`` does that and
writes the tables, charts and a report. :func:`assessment_template` is a commented file
with every key.

Schema (defaults in brackets)

* ``[assessment]`` ``name`` [file name]; ``out`` ["raremin-undiscovered"];
  ``simulations`` [20000]; ``seed`` [0].
* ``[count]`` the number of undiscovered deposits: ``elicitation`` (a CSV with
  ``Name, Weight, N90, N50, N10``) and ``method`` ["negative_binomial"] | "mark3" |
  "poisson"; or ``pmf`` (a list of probabilities of 0, 1, 2... deposits) with
  ``method = "custom"``.
* ``[deposits]`` the known deposits of the type: ``file`` (a CSV), ``tonnage_column``
  (ore, t) and ``grade_columns`` ([]: grades in %); or ``ofr02189`` (the USGS OFR
  02-189 rare-earth deposit list) and ``deposit_type`` ["CARBONATITE"].
* ``[tonnage]`` ``method`` ["normal"] | "kde" (on log tonnage); ``truncate`` [false].
* ``[grades]`` ``method`` ["normal"] | "kde" (in isometric log-ratio space);
  ``zero_rule`` ["multiplicative"].
* ``[rare_earths]`` (with ``ofr02189``): ``oxide_distribution`` ["mountain_pass"] | a
  table of oxide shares of TREO (``La2O3 = 0.33``...); ``baskets`` [["ndpr", "mreo",
  "lreo", "hreo"]].

Paths are relative to the file's folder; ``${VAR}``, ``$VAR`` and ``~`` are expanded.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from raremin.undiscovered.project import load_assessment
>>> text = '[count]\\nmethod = "custom"\\npmf = [0.5, 0.5]\\n[deposits]\\nfile = "d.csv"\\n'
>>> with tempfile.TemporaryDirectory() as folder:
...     _ = (Path(folder) / "d.csv").write_text("ore_t\\n1e6\\n2e6\\n5e6\\n")
...     path = Path(folder) / "tract.toml"
...     _ = path.write_text(text + 'tonnage_column = "ore_t"\\n')
...     result = load_assessment(path).run()
>>> result.totals.totals.shape
(20000, 2)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import _tomlcheck as toml
from ..errors import InputError, ProjectError

__all__ = ["RegionalAssessment", "RegionalResult", "assessment_template", "load_assessment"]

#: The sections of an assessment file.
SECTIONS: tuple[str, ...] = ("assessment", "count", "deposits", "tonnage", "grades",
                             "rare_earths")

_COUNT_METHODS = ("negative_binomial", "mark3", "poisson", "custom")
_FIT_METHODS = ("normal", "kde")


@dataclasses.dataclass(frozen=True, repr=False)
class RegionalResult:
    """
    What :meth:`RegionalAssessment.run` returns: the three parts and the totals.

    Attributes
    ----------
    name : str
        The assessment's name.
    count : CountPmf
        The number of undiscovered deposits.
    tonnage : TonnageModel
        Ore tonnage of a deposit.
    grades : GradeModel or None
        Grades of a deposit (None: a tonnage-only model).
    totals : Totals
        The simulated totals (``.totals``, ``.summary()``).
    deposits : pandas.DataFrame
        The known deposits the models were fitted to.
    baskets : pandas.DataFrame or None
        With rare earths: P-values of the contained baskets (NdPr...), t.
    notes : tuple of str
        What was read, parsed, left out and assumed.

    Examples
    --------
    >>> from raremin.undiscovered.project import RegionalResult
    >>> sorted(f.name for f in __import__("dataclasses").fields(RegionalResult))[:3]
    ['baskets', 'count', 'deposits']
    """

    name: str
    count: Any
    tonnage: Any
    grades: Any
    totals: Any
    deposits: pd.DataFrame
    baskets: pd.DataFrame | None
    notes: tuple[str, ...]

    def __repr__(self) -> str:
        from .._display import fmt

        summary = self.totals.summary()
        lines = [f"RegionalResult({self.name!r}: {self.count.method} count, mean "
                 f"{fmt(self.count.mean)}, P(0) {fmt(self.count.p_zero, 3)}; "
                 f"{len(self.totals.totals):,} simulations)"]
        for name, row in summary.head(4).iterrows():
            lines.append(f"  {name}: P90 {fmt(row['P90'])}, P50 {fmt(row['P50'])}, "
                         f"P10 {fmt(row['P10'])}, mean {fmt(row['mean'])} t")
        return "\n".join(lines)


@dataclasses.dataclass(frozen=True, repr=False)
class RegionalAssessment:
    """
    A checked assessment file (made by :func:`load_assessment`).

    Attributes
    ----------
    path : pathlib.Path
        The file.
    name : str
        The assessment's name.
    out : pathlib.Path
        The output folder (relative paths: to the file's folder).
    settings : mapping
        Every section's checked keys, defaults filled in.

    Examples
    --------
    >>> from raremin.undiscovered.project import RegionalAssessment
    >>> RegionalAssessment.__name__
    'RegionalAssessment'
    """

    path: Path
    name: str
    out: Path
    settings: Mapping[str, Mapping[str, Any]]

    def __repr__(self) -> str:
        s = self.settings
        deposits = s["deposits"].get("file") or s["deposits"].get("ofr02189")
        return (f"RegionalAssessment({self.name!r}: {Path(self.path).name}; count "
                f"{s['count'].get('method')}; deposits "
                f"{Path(deposits).name if deposits else '?'}; out {self.out.name})")

    def describe(self) -> str:
        """
        One line naming the file and its data.

        Examples
        --------
        >>> from pathlib import Path
        >>> from raremin.undiscovered.project import RegionalAssessment
        >>> RegionalAssessment(Path("t.toml"), "T", Path("out"),
        ...                    {"count": {}, "deposits": {}}).describe()
        'assessment file t.toml'
        """
        files = [f"{k} {v}" for section in ("count", "deposits")
                 for k, v in self.settings[section].items() if isinstance(v, Path)]
        return f"assessment file {self.path}" + (f" ({', '.join(files)})" if files else "")

    def run(self) -> RegionalResult:
        """
        Fit the count, tonnage and grade models and simulate the totals.

        Returns
        -------
        RegionalResult

        Raises
        ------
        ProjectError
            A data file that cannot be used (a missing column, no deposits of the type),
            naming the file and the key.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from raremin.undiscovered.project import load_assessment
        >>> text = ('[assessment]\\nsimulations = 100\\n[count]\\nmethod = "custom"\\n'
        ...         'pmf = [0.0, 1.0]\\n[deposits]\\nfile = "d.csv"\\ntonnage_column = "t"\\n')
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = (Path(folder) / "d.csv").write_text("t\\n1e6\\n2e6\\n4e6\\n")
        ...     _ = (Path(folder) / "a.toml").write_text(text)
        ...     result = load_assessment(Path(folder) / "a.toml").run()
        >>> int(result.totals.totals["n_deposits"].sum())
        100
        """
        from .count import count_pmf
        from .totals import simulate_totals

        s = self.settings
        notes: list[str] = []
        cnt = s["count"]
        try:
            count = (count_pmf(cnt["pmf"], method="custom") if cnt["method"] == "custom"
                     else count_pmf(cnt["elicitation"], method=cnt["method"]))
        except InputError as err:
            raise toml.wrap("count", err) from None
        deposits, tonnage, grades = self._models(notes)
        totals = simulate_totals(count, tonnage, grades, s["assessment"]["simulations"],
                                 seed=s["assessment"]["seed"])
        baskets = self._baskets(totals, notes)
        notes.insert(0, f"Number of undiscovered deposits: {count.method} pmf, mean "
                        f"{count.mean:.3g}, P(0) = {count.p_zero:.3g}.")
        notes.append(f"{s['assessment']['simulations']:,} simulations, seed "
                     f"{s['assessment']['seed']}; P90 = 90 % chance of at least that total "
                     f"(the 0.10 quantile).")
        return RegionalResult(self.name, count, tonnage, grades, totals, deposits, baskets,
                              tuple(notes))

    def _models(self, notes: list[str]) -> tuple[pd.DataFrame, Any, Any]:
        """The known deposits and the fitted tonnage and grade models."""
        from .grades import GradeModel
        from .ree import read_ofr02189, ree_grade_tonnage_model
        from .tonnage import TonnageModel

        s = self.settings
        dep, ton, gra = s["deposits"], s["tonnage"], s["grades"]
        if dep["ofr02189"] is not None:
            table, report = read_ofr02189(dep["ofr02189"])
            outcomes = "; ".join(f"{k}: {v}" for k, v in report.outcomes.items())
            notes.append(f"Known deposits: USGS OFR 02-189 ({dep['ofr02189'].name}), "
                         f"{report.rows.get('deposit', 0)} deposit rows ({outcomes}); "
                         f"type {dep['deposit_type']}.")
            try:
                tonnage, ree_grades = ree_grade_tonnage_model(
                    table, dep["deposit_type"], method=ton["method"], truncate=ton["truncate"])
            except InputError as err:
                raise toml.wrap("deposits.deposit_type", err) from None
            return table, tonnage, ree_grades
        table = pd.read_csv(dep["file"])
        wanted = [dep["tonnage_column"], *dep["grade_columns"]]
        missing = [c for c in wanted if c not in table.columns]
        if missing:
            raise ProjectError(f"deposits.file {dep['file']} lacks column(s) {missing}; it "
                               f"has {list(table.columns)}")
        notes.append(f"Known deposits: {len(table)} rows of {dep['file'].name}; ore tonnage "
                     f"from {dep['tonnage_column']!r}"
                     + (f", grades (%) from {', '.join(dep['grade_columns'])}"
                        if dep["grade_columns"] else ", no grades (tonnage only)") + ".")
        try:
            tonnage = TonnageModel().fit(table[dep["tonnage_column"]].to_numpy(dtype=float),
                                         method=ton["method"], truncate=ton["truncate"])
        except (InputError, ValueError) as err:
            raise toml.wrap("deposits.tonnage_column", err) from None
        grades = None
        if dep["grade_columns"]:
            try:
                grades = GradeModel().fit(table[dep["grade_columns"]].to_numpy(dtype=float),
                                          names=dep["grade_columns"], method=gra["method"],
                                          zero_rule=gra["zero_rule"])
            except (InputError, ValueError) as err:
                raise toml.wrap("deposits.grade_columns", err) from None
        return table, tonnage, grades

    def _baskets(self, totals: Any, notes: list[str]) -> pd.DataFrame | None:
        """P-values of the contained rare-earth baskets, from the simulated TREO."""
        from ..uncertainty import p_values
        from .ree import MOUNTAIN_PASS_BASTNAESITE, contained_baskets

        ree = self.settings["rare_earths"]
        treo = [c for c in totals.totals.columns if c.lower().startswith("treo")]
        if self.settings["deposits"]["ofr02189"] is None or not treo:
            return None
        shares = (MOUNTAIN_PASS_BASTNAESITE if ree["oxide_distribution"] == "mountain_pass"
                  else ree["oxide_distribution"])
        try:
            table = contained_baskets(totals.totals[treo[0]].to_numpy(), shares,
                                      ree["baskets"])
        except InputError as err:
            raise toml.wrap("rare_earths", err) from None
        notes.append("Contained baskets from the simulated TREO with the oxide distribution "
                     + ("of Mountain Pass bastnaesite (Castor and Hedrick 2006)"
                        if ree["oxide_distribution"] == "mountain_pass" else "given")
                     + f": {', '.join(ree['baskets'])}.")
        return p_values(table, axis=0)


# ------------------------------------------------------------------------- loading
def _shares(value: Any, key: str) -> Any:
    if value == "mountain_pass":
        return value
    if not isinstance(value, dict) or not value:
        raise toml.bad(key, value, 'expected "mountain_pass" or a table of oxide shares of '
                       'TREO, such as {La2O3 = 0.33, Ce2O3 = 0.49}')
    return {str(k): toml.number(v, toml.dotted(key, k), low=0.0) for k, v in value.items()}


def _names(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                              for v in value):
        raise toml.bad(key, value, "expected a list of texts in quotes")
    return [v.strip() for v in value]


def _probabilities(value: Any, key: str) -> list[float]:
    return toml.numbers(value, key, low=0.0)


def _settings(raw: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    toml.check_table(raw, "", SECTIONS)
    paths = toml.Paths(path.parent)
    integer = toml.integer
    s = {
        "assessment": toml.check_keys(raw.get("assessment", {}), "assessment", {
            "name": (toml.string, path.stem), "out": (toml.string, "raremin-undiscovered"),
            "simulations": (integer(1), 20_000), "seed": (integer(0), 0)}),
        "count": toml.check_keys(raw.get("count", {}), "count", {
            "elicitation": (paths, None), "method": (toml.choice(_COUNT_METHODS),
                                                     "negative_binomial"),
            "pmf": (_probabilities, None)}),
        "deposits": toml.check_keys(raw.get("deposits", {}), "deposits", {
            "file": (paths, None), "tonnage_column": (toml.string, None),
            "grade_columns": (_names, []), "ofr02189": (paths, None),
            "deposit_type": (toml.string, "CARBONATITE")}),
        "tonnage": toml.check_keys(raw.get("tonnage", {}), "tonnage", {
            "method": (toml.choice(_FIT_METHODS), "normal"),
            "truncate": (toml.boolean, False)}),
        "grades": toml.check_keys(raw.get("grades", {}), "grades", {
            "method": (toml.choice(_FIT_METHODS), "normal"),
            "zero_rule": (toml.choice(("multiplicative", "raise")), "multiplicative")}),
        "rare_earths": toml.check_keys(raw.get("rare_earths", {}), "rare_earths", {
            "oxide_distribution": (_shares, "mountain_pass"),
            "baskets": (_names, ["ndpr", "mreo", "lreo", "hreo"])}),
    }
    cnt, dep = s["count"], s["deposits"]
    if cnt["method"] == "custom" and cnt["pmf"] is None:
        raise ProjectError('count.method = "custom" needs count.pmf (probabilities of 0, 1, '
                           '2... deposits)')
    if cnt["method"] != "custom" and cnt["elicitation"] is None:
        raise ProjectError("[count] needs elicitation (a CSV of Name, Weight, N90, N50, N10) "
                           'or method = "custom" with pmf')
    if cnt["method"] != "custom" and cnt["pmf"] is not None:
        raise ProjectError('count.pmf is used only with method = "custom"; remove one')
    if (dep["file"] is None) == (dep["ofr02189"] is None):
        raise ProjectError("[deposits] needs exactly one of file (a CSV of known deposits) "
                           "and ofr02189 (the USGS rare-earth deposit list)")
    if dep["file"] is not None and dep["tonnage_column"] is None:
        raise ProjectError("deposits.tonnage_column is needed with deposits.file (the "
                           "column of ore tonnes)")
    if "rare_earths" in raw and dep["ofr02189"] is None:
        raise ProjectError("[rare_earths] applies to deposits.ofr02189 (TREO grades); "
                           "remove it or read the rare-earth deposit list")
    return s


def load_assessment(path: str | os.PathLike[str]) -> RegionalAssessment:
    """
    Read and check an assessment file (TOML); see the module's schema.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Paths in it are relative to its folder.

    Returns
    -------
    RegionalAssessment

    Raises
    ------
    ProjectError
        The file is missing or not TOML; an unknown section or key; a value of the wrong
        type; a missing data file; an unset environment variable; parts given both ways
        or neither. One line, naming the file and the key.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from raremin.errors import ProjectError
    >>> from raremin.undiscovered.project import load_assessment
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "tract.toml"
    ...     _ = path.write_text('[count]\\nmethod = "negative_binomal"\\n')
    ...     try:
    ...         load_assessment(path)
    ...     except ProjectError as err:
    ...         message = str(err).split(": ", 1)[1]
    >>> message  # doctest: +ELLIPSIS
    'count.method = "negative_binomal" is not valid: use one of "negative_binomial", ...'
    """
    given = Path(path)
    raw = toml.read(given, "assessment file", "raremin undiscovered --template writes one")
    try:
        settings = _settings(raw, given)
    except ProjectError as err:
        raise ProjectError(f"{given}: {err}") from None
    out = Path(os.path.expanduser(settings["assessment"]["out"]))
    out = out if out.is_absolute() else given.parent / out
    return RegionalAssessment(given, settings["assessment"]["name"], out, settings)


def assessment_template() -> str:
    """
    A commented assessment file with every key (MapMark4's example data as the tract).

    Examples
    --------
    >>> from raremin.undiscovered.project import assessment_template
    >>> "[count]" in assessment_template()
    True
    """
    return _TEMPLATE


_TEMPLATE = """\
# A regional assessment of undiscovered deposits (the USGS three-part method):
#     raremin undiscovered --config assessment.toml
# Paths are relative to this file's folder; ${VAR} and ~ are expanded.

[assessment]
name = "Example tract"
out = "raremin-undiscovered"       # output folder
simulations = 20000                # Monte Carlo simulations of the totals
seed = 0

[count]                            # the number of undiscovered deposits
elicitation = "ExampleDepEst1.csv" # Name, Weight, N90, N50, N10 (N90: 90 % chance of at
                                   # least that many deposits)
method = "negative_binomial"       # | "mark3" | "poisson" | "custom" (with pmf = [...])

[deposits]                         # known deposits of the type
file = "ExampleGatm.csv"
tonnage_column = "Ore"             # ore, t
grade_columns = ["Cu", "Au"]       # grades, % ([] for a tonnage-only model)
# For rare earths, instead of file and the columns:
# ofr02189 = "of02-189.csv"        # USGS Open-File Report 02-189, Appendix A (CSV)
# deposit_type = "CARBONATITE"

[tonnage]
method = "normal"                  # on log tonnage | "kde"
truncate = false                   # to the observed range

[grades]
method = "normal"                  # in isometric log-ratio space | "kde"
zero_rule = "multiplicative"       # zero grades replaced (counted in the notes)

# [rare_earths]                    # with ofr02189
# oxide_distribution = "mountain_pass"   # or {La2O3 = 0.33, Ce2O3 = 0.49, ...}
# baskets = ["ndpr", "mreo", "lreo", "hreo"]
"""
