"""
The ``raremin`` command.

``raremin undiscovered --config assessment.toml`` runs a regional assessment of
undiscovered deposits (:mod:`raremin.undiscovered.project`) and writes its tables,
charts and report the same way.

``raremin assess`` with no arguments runs the whole assessment on the bundled
(synthetic) Kuirektykol data. On a user's data it takes a project file
(``--config project.toml``, see :mod:`raremin.config`; ``raremin init`` writes a
commented template) or files named on the command line: a sample table
(``--samples``) or drillhole exports (``--collars``, ``--surveys``, ``--assays``), and
the zones (``--zones``). It writes the tables (CSV), the grade-tonnage chart (PNG), a
Markdown report and a run record to ``--out`` (default ``raremin-output/``).

The output folder is checked before any computation: a file, a folder holding other
files, or an earlier run (unless ``--overwrite``) is refused. Everything is written to a
temporary folder beside it and moved into place when complete, so an interrupted or
failed run leaves no half-written folder.

Bad files or arguments end with a one-line error and exit code 2 (``--debug`` shows
the traceback); warnings are printed as one line each.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._version import __version__

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130

#: The file that marks a folder as a raremin run (written last).
RUN_RECORD = "raremin-run.json"
OUTPUT_FILES = ("summary.csv", "grade_tonnage.csv", "zones.csv", "adjustments.csv",
                "grade_tonnage.png", "report.md", RUN_RECORD)


class _Progress:
    """One status line on stderr, rewritten in place, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()

    def step(self, text: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.start
            sys.stderr.write(f"\r\033[K[{elapsed:6.1f} s] {text}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _floats(text: str, what: str, count: int | None = None) -> list[float]:
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{what} must be numbers separated by commas; got {text!r}"
        ) from None
    if not values or (count is not None and len(values) not in (1, count)):
        raise argparse.ArgumentTypeError(f"{what}: expected 1 or {count} numbers; got {text!r}")
    return values


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 1:
        raise argparse.ArgumentTypeError(f"--simulate must be a whole number of realisations "
                                         f">= 1; got {text!r}")
    return value


def _composite(text: str) -> float | str | None:
    if text.lower() in ("auto", "none"):
        return None if text.lower() == "none" else "auto"
    return _floats(text, "--composite", 1)[0]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raremin",
        description="Assess mineral deposits (rare earths first, any commodity): "
        "grade-tonnage and contained quantities by zone.",
    )
    parser.add_argument("--version", action="version", version=f"raremin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "assess",
        help="estimate zones from samples or drillholes and report grade-tonnage by zone",
        description="Without data arguments, runs on the bundled synthetic Kuirektykol data.",
    )
    run.add_argument("--config", type=Path, help="project file (TOML; see 'raremin init')")
    run.add_argument("--samples", type=Path, help="CSV of samples: coordinates (easting_m or "
                     "x...), grades like cu_pct or la_ppm, optional hole_id and zone")
    run.add_argument("--collars", type=Path, help="CSV of collars (drillhole path)")
    run.add_argument("--surveys", type=Path, help="CSV of surveys (drillhole path)")
    run.add_argument("--assays", type=Path, help="CSV of assay intervals (drillhole path)")
    run.add_argument("--zones", type=Path, help="GeoPackage/GeoJSON of zones: zone, "
                     "top_elevation_m, bottom_elevation_m, density_t_m3 (projected CRS)")
    run.add_argument("--samples-crs", help="CRS of the samples or collars when it differs "
                     "from the zones' (they are reprojected), e.g. EPSG:4326")
    run.add_argument("--cutoff-grade", help="grade the cut-offs apply to, with its unit: "
                     "cu_pct, au_gpt, treo_pct, ndpr_ppm... (default: TREO %% with rare "
                     "earths, else the first grade column)")
    run.add_argument("--cutoffs", type=lambda t: _floats(t, "--cutoffs"),
                     help="cut-offs in the unit of the cut-off grade, e.g. 0,0.05,0.1")
    run.add_argument("--basis", choices=["oxide", "element"],
                     help="basis of the default rare-earth cut-off grade: oxide (TREO) or "
                     "element (TREE)")
    run.add_argument("--block-size", type=lambda t: _floats(t, "--block-size", 3),
                     help="block size in m: one value or x,y,z (default 25,25,10)")
    run.add_argument("--estimator", choices=["kriging", "idw"],
                     help="ordinary kriging with a variogram fitted per zone (default) or "
                     "inverse distance")
    run.add_argument("--max-per-hole", type=int, help="kriging: most samples of one hole per "
                     "estimate (needs hole ids)")
    run.add_argument("--composite", type=_composite, default=None,
                     help="composite length in m for drillholes, 'auto' (the most common "
                     "interval, default) or 'none'")
    run.add_argument("--below-detection", choices=["half", "zero", "missing", "limit",
                                                   "error"],
                     help="below-detection values (<x, negative codes): default half the "
                     "detection limit")
    run.add_argument("--simulate", type=_count, metavar="N",
                     help="also draw N realisations of the cut-off grade (sequential Gaussian "
                          "simulation per zone) and report P90/P50/P10 of tonnage, grade and "
                          "contained quantity (uncertainty.csv, grade_tonnage_uncertainty.png)")
    run.add_argument("--seed", type=int, help="seed of every random choice (default 0)")
    run.add_argument("--classify", action="store_true",
                     help="classify the blocks (Measured/Indicated/Inferred) with the default "
                          "rules (drill spacing, slope of regression; stated in the report) "
                          "and write the resource statement (statement.md, statement.csv); "
                          "on by default on the bundled data, and with a [classification] "
                          "table in a project file")
    run.add_argument("--code", choices=["JORC", "NI 43-101", "KAZRC"],
                     help="reporting code of the statement (default JORC)")
    run.add_argument("--statement-cutoffs", type=lambda t: _floats(t, "--statement-cutoffs"),
                     help="cut-offs of the statement (default: the lowest positive cut-off)")
    run.add_argument("--prices", help="oxide prices: 'default' (USGS, dated) or a CSV price "
                     "table (oxide, price_usd_kg, date, source): basket values by zone")
    run.add_argument("--out", type=Path, help="output folder (default raremin-output/)")
    run.add_argument("--overwrite", action="store_true",
                     help="replace an earlier run in the output folder")
    run.add_argument("--debug", action="store_true", help="show tracebacks")
    regional = sub.add_parser(
        "undiscovered",
        help="assess undiscovered deposits of a tract (USGS three-part method)",
        description="Fit the number of undiscovered deposits, their tonnage and grades, and "
        "simulate the totals; '--template FILE' writes a commented assessment file.")
    regional.add_argument("--config", type=Path, help="assessment file (TOML)")
    regional.add_argument("--template", type=Path, metavar="FILE",
                          help="write a commented assessment file and stop")
    regional.add_argument("--simulations", type=_count, metavar="N",
                          help="Monte Carlo simulations (default: the file's, else 20000)")
    regional.add_argument("--seed", type=int, help="seed (default: the file's, else 0)")
    regional.add_argument("--out", type=Path, help="output folder (default: the file's)")
    regional.add_argument("--overwrite", action="store_true",
                          help="replace an earlier run in the output folder")
    regional.add_argument("--force", action="store_true",
                          help="with --template: replace an existing file")
    regional.add_argument("--debug", action="store_true", help="show tracebacks")
    init = sub.add_parser("init", help="write a commented project file template")
    init.add_argument("path", nargs="?", type=Path, default=Path("project.toml"),
                      help="where to write it (default project.toml)")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


# ---------------------------------------------------------------------------- outputs
def check_output_folder(out: Path, overwrite: bool) -> None:
    """
    Refuse an output folder before any computation: a file, a folder of other files, or
    an earlier run (unless `overwrite`); make sure its parent can be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from raremin.cli import check_output_folder
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     check_output_folder(pathlib.Path(tmp) / "new", overwrite=False)
    """
    from .errors import InputError

    if out.exists() and not out.is_dir():
        raise InputError(f"the output path {str(out)!r} is a file; give a folder with --out")
    if out.is_dir() and any(out.iterdir()):
        record = out / RUN_RECORD
        if not record.is_file():
            raise InputError(
                f"the output folder {str(out)!r} holds other files and no raremin run; "
                f"choose a new or empty folder with --out (raremin does not mix its "
                f"outputs with other files)")
        if not overwrite:
            try:
                when = json.loads(record.read_text(encoding="utf-8")).get("finished", "?")
            except (OSError, ValueError):
                when = "?"
            raise InputError(
                f"the output folder {str(out)!r} holds an earlier run (finished {when}); "
                f"pass --overwrite to replace it, or choose another folder with --out")
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    if not os.access(parent, os.W_OK):
        raise InputError(f"cannot write in {str(parent)!r}; choose another --out")


def _write_outputs(result: Any, out: Path, provenance: str, command: list[str],
                   table: str) -> list[str]:
    """Write every output to a temporary folder, then move it into place; the files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .reporting import csv_safe, markdown_report

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial",
                                dir=out.resolve().parent))
    try:
        csv_safe(result.summary).to_csv(tmp / "summary.csv", index=False)
        csv_safe(result.curve.to_frame()).to_csv(tmp / "grade_tonnage.csv", index=False)
        csv_safe(result.zones).to_csv(tmp / "zones.csv", index=False)
        csv_safe(result.adjustments).to_csv(tmp / "adjustments.csv", index=False)
        ax = result.curve.plot(contained=True)
        ax.set_title(f"{' '.join(result.deposit.name.split())}: grade-tonnage by zone")
        ax.figure.savefig(tmp / "grade_tonnage.png", dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        files = list(OUTPUT_FILES)
        if result.uncertainty is not None:
            from .plotting import plot_grade_tonnage_envelope

            csv_safe(result.uncertainty).to_csv(tmp / "uncertainty.csv", index=False)
            ax = plot_grade_tonnage_envelope(result.uncertainty, zone="Total")
            ax.set_title(f"{' '.join(result.deposit.name.split())}: "
                         f"{result.realisations.attrs['simulation']['n_realisations']} "
                         f"realisations, P90-P10 band")
            fig = ax.get_figure(root=True)
            if fig is None:  # pragma: no cover - the plot makes a figure of its own
                from .errors import RareminError

                raise RareminError("the uncertainty plot has no figure to save")
            fig.savefig(tmp / "grade_tonnage_uncertainty.png", dpi=120, bbox_inches="tight")
            plt.close(fig)
            files[-1:-1] = ["uncertainty.csv", "grade_tonnage_uncertainty.png"]
        if result.statement is not None:
            (tmp / "statement.md").write_text(result.statement.to_markdown(), encoding="utf-8")
            result.statement.to_csv(tmp / "statement.csv")
            ax = result.classification.plot()
            ax.figure.savefig(tmp / "classes.png", dpi=120, bbox_inches="tight")
            plt.close(ax.figure)
            files[-1:-1] = ["statement.md", "statement.csv", "classes.png"]
        (tmp / "report.md").write_text(markdown_report(result, provenance, table),
                                       encoding="utf-8")
        _seal(tmp, out, files, provenance, command)
        return files
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _seal(tmp: Path, out: Path, files: list[str], provenance: str, command: list[str]
          ) -> None:
    """Write the run record (last, it marks a complete run) and move `tmp` to `out`."""
    record = {"raremin": __version__, "command": command, "data": provenance,
              "finished": datetime.datetime.now().isoformat(timespec="seconds"),
              "files": files}
    (tmp / RUN_RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
    _move_into_place(tmp, out)


def _move_into_place(tmp: Path, out: Path) -> None:
    """Replace `out` by the complete `tmp` folder (the old one is removed after)."""
    if not out.exists():
        tmp.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    out.rename(old)
    try:
        tmp.rename(out)
    except BaseException:
        old.rename(out)  # put the earlier run back
        raise
    shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------------------- inputs
def _load(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any], str, Path]:
    """Deposit, prepared samples, assess options, provenance and output folder."""
    from .deposit import Deposit
    from .errors import InputError

    drill = [args.collars, args.surveys, args.assays]
    given = [p for p in (args.samples, *drill, args.zones) if p is not None]
    if args.config is not None:
        if given:
            raise InputError("give --config or the data files (--samples/--collars/... and "
                             "--zones), not both; the project file names the data")
        from .config import load_project

        project = load_project(args.config)
        deposit = project.deposit()
        options = project.assess_options()
        return deposit, project, options, project.describe(), project.out
    if not given:
        from .datasets import load_kuirektykol

        data = load_kuirektykol()
        deposit = Deposit.from_geodataframe(
            data.zones, name="Kuirektykol (synthetic)", notes="SYNTHETIC data bundled with raremin"
        )
        source = "bundled Kuirektykol data (SYNTHETIC, calibrated to public figures)"
        return deposit, data.samples, {"classification": "default"}, source, \
            Path("raremin-output")
    if args.zones is None:
        raise InputError("give --zones with the data files (or use --config)")
    if args.samples is not None and any(p is not None for p in drill):
        raise InputError("give --samples or --collars/--surveys/--assays, not both")
    if args.samples is None and any(p is None for p in drill):
        missing = [n for n, p in zip(("--collars", "--surveys", "--assays"), drill,
                                     strict=True) if p is None]
        raise InputError(f"the drillhole path needs {', '.join(missing)} too")
    for path in given:
        if not path.is_file():
            raise InputError(f"no such file: {path}")
    deposit = Deposit.read_file(args.zones)
    source = ", ".join(f"{name} {p}" for name, p in (
        ("samples", args.samples), ("collars", args.collars), ("surveys", args.surveys),
        ("assays", args.assays), ("zones", args.zones)) if p is not None)
    return deposit, None, {}, source, Path("raremin-output")


def _prepare(args: argparse.Namespace, deposit: Any, data: Any) -> Any:
    """The samples (DataFrame or Preparation) from the bundled data, a project or files."""
    from .preparation import prepare_drillholes_samples, prepare_samples
    from .readers import read_table

    if data is not None and hasattr(data, "prepare"):
        return data.prepare(deposit)
    if data is not None:
        return data
    policy = args.below_detection or "half"
    if args.samples is not None:
        frame = read_table(args.samples, what="samples")
        return prepare_samples(frame, below_detection=policy, crs=args.samples_crs,
                               target_crs=deposit.crs if args.samples_crs else None)
    tables = [read_table(p, what=w) for p, w in ((args.collars, "collars"),
                                                 (args.surveys, "surveys"),
                                                 (args.assays, "assays"))]
    length = "auto" if args.composite is None else args.composite
    return prepare_drillholes_samples(*tables, deposit=deposit, below_detection=policy,
                                      composite_length_m=length, crs=args.samples_crs)


def _options(args: argparse.Namespace, options: dict[str, Any]) -> dict[str, Any]:
    """The project's assess options, overridden by the flags given on the command line."""
    merged = dict(options)
    if args.block_size is not None:
        merged["block_size"] = args.block_size * 3 if len(args.block_size) == 1 \
            else args.block_size
    for flag, key in (("cutoff_grade", "cutoff_grade"), ("cutoffs", "cutoffs"),
                      ("basis", "basis"), ("estimator", "estimator"),
                      ("max_per_hole", "max_per_hole"), ("simulate", "simulate"),
                      ("seed", "seed"), ("code", "code"),
                      ("statement_cutoffs", "statement_cutoffs"), ("prices", "prices")):
        value = getattr(args, flag)
        if value is not None:
            merged[key] = value
    if args.classify and merged.get("classification") is None:
        merged["classification"] = "default"
    return merged


def assess_command(args: argparse.Namespace, argv: list[str]) -> int:
    """Run ``raremin assess``."""
    from .reporting import text_table
    from .workflow import assess

    progress = _Progress(sys.stderr.isatty())
    progress.step("reading the project and checking the output folder")
    deposit, data, options, provenance, default_out = _load(args)
    out: Path = args.out if args.out is not None else default_out
    check_output_folder(out, args.overwrite)
    progress.step("reading and preparing the samples")
    samples = _prepare(args, deposit, data)
    progress.step("building the block model and estimating grades")
    result = assess(deposit, samples, **_options(args, options))
    progress.step("writing tables, chart and report")
    columns = [c for c in result.summary.columns]
    table = text_table(result.summary, columns)
    files = _write_outputs(result, out, provenance, ["raremin", *argv], table)
    progress.done()
    zones = result.zones
    estimated = ", ".join(f"{' '.join(str(z).split())} {100 * f:.1f} %"
                          for z, f in zip(zones["zone"], zones["estimated_fraction"],
                                          strict=True))
    sys.stdout.write(
        f"{' '.join(deposit.name.split())}: cut-off on {result.cutoff_label} "
        f"({result.basis} basis)\n"
        f"{table}\n"
        f"Estimated share of each zone's tonnage: {estimated}.\n"
        + ("Contained rare-earth metal = TREE on element basis; TREO and NdPr on oxide "
           "basis.\n" if "tree_t" in result.summary.columns else "")
        + _uncertainty_lines(result)
        + f"Wrote {out}/: {', '.join(files)}\n"
    )
    return 0


def _uncertainty_lines(result: Any) -> str:
    """P90/P50/P10 of the total tonnage and contained quantity per cut-off, for the screen."""
    import numpy as np

    if result.uncertainty is None:
        return ""
    u = result.uncertainty
    total = u[u["zone"] == "Total"]
    cut = [c for c in total.columns if c.startswith("cutoff_")][0]
    wide = total.pivot_table(index=cut, columns="statistic", values=["tonnage_t", "contained_t"])
    n = result.realisations.attrs["simulation"]["n_realisations"]
    lines = [f"Uncertainty ({n} realisations; P90 = 90 % chance of at least): total tonnage "
             f"Mt and contained {result.cutoff_grade} kt"]
    def three(row: Any, column: str, scale: float) -> str:  # P90/P50/P10, 4 digits
        values = [row[(column, p)] / scale for p in ("P90", "P50", "P10")]
        top = max((abs(v) for v in values if np.isfinite(v)), default=0.0)
        places = max(0, 3 - int(np.floor(np.log10(top)))) if top > 0 else 1
        return " / ".join(f"{v:,.{places}f}" for v in values)

    for c, row in wide.iterrows():
        lines.append(f"  cut-off {c:g}: {three(row, 'tonnage_t', 1e6)} Mt (P90/P50/P10); "
                     f"{three(row, 'contained_t', 1e3)} kt")
    return "\n".join(lines) + "\n"


UNDISCOVERED_FILES = ("summary.csv", "totals.csv", "count_pmf.csv", "count_pmf.png",
                      "tonnage.png", "totals.png", "report.md", RUN_RECORD)


def undiscovered_command(args: argparse.Namespace, argv: list[str]) -> int:
    """Run ``raremin undiscovered``: a three-part assessment from an assessment file."""
    import dataclasses

    from .errors import InputError
    from .undiscovered.project import assessment_template, load_assessment

    if args.template is not None:
        if args.config is not None:
            raise InputError("give --template FILE or --config FILE, not both")
        if args.template.exists() and not args.force:
            raise InputError(f"{str(args.template)!r} exists; pass --force to replace it")
        args.template.write_text(assessment_template(), encoding="utf-8")
        sys.stdout.write(f"Wrote {args.template}: name the elicitation and deposit files, "
                         f"then run 'raremin undiscovered --config {args.template}'\n")
        return 0
    if args.config is None:
        raise InputError("give --config assessment.toml (or --template FILE to write one)")
    progress = _Progress(sys.stderr.isatty())
    progress.step("reading the assessment file and checking the output folder")
    project = load_assessment(args.config)
    settings = {k: dict(v) for k, v in project.settings.items()}
    for flag, key in (("simulations", "simulations"), ("seed", "seed")):
        if getattr(args, flag) is not None:
            settings["assessment"][key] = getattr(args, flag)
    project = dataclasses.replace(project, settings=settings)
    out: Path = args.out if args.out is not None else project.out
    check_output_folder(out, args.overwrite)
    progress.step("fitting the three parts and simulating the totals")
    result = project.run()
    progress.step("writing tables, charts and report")
    files = _write_undiscovered(result, out, project.describe(), ["raremin", *argv])
    progress.done()
    summary = result.totals.summary()
    shown = summary[[c for c in ("P90", "P50", "P10", "mean", "analytic_mean", "p_zero")
                     if c in summary.columns]]
    sys.stdout.write(f"{result.name}: undiscovered deposits (mean {result.count.mean:.3g}, "
                     f"P(0) = {result.count.p_zero:.3g})\n"
                     f"{shown.to_string(float_format=lambda v: f'{v:,.4g}')}\n"
                     f"Wrote {out}/: {', '.join(files)}\n")
    return 0


def _write_undiscovered(result: Any, out: Path, provenance: str, command: list[str]
                        ) -> list[str]:
    """Every output of a regional assessment, written to a temporary folder and moved."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .reporting import csv_safe, regional_report

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial",
                                dir=out.resolve().parent))
    try:
        files = list(UNDISCOVERED_FILES)
        result.totals.summary().to_csv(tmp / "summary.csv")
        result.totals.totals.to_csv(tmp / "totals.csv")
        csv_safe(result.count.table()).to_csv(tmp / "count_pmf.csv", index=False)
        charts = [("count_pmf.png", result.count), ("tonnage.png", result.tonnage)]
        if result.grades is not None:
            charts.append(("grades.png", result.grades))
            files.insert(files.index("totals.png"), "grades.png")
        for name, part in charts:
            ax = part.plot()
            ax.figure.savefig(tmp / name, dpi=120, bbox_inches="tight")
            plt.close(ax.figure)
        ax = result.totals.plot("ore_t")
        ax.figure.savefig(tmp / "totals.png", dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        if result.baskets is not None:
            result.baskets.to_csv(tmp / "baskets.csv")
            files.insert(files.index("report.md"), "baskets.csv")
        (tmp / "report.md").write_text(regional_report(result, provenance),
                                       encoding="utf-8")
        _seal(tmp, out, files, provenance, command)
        return files
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def init_command(args: argparse.Namespace) -> int:
    """Run ``raremin init``: write the commented project template."""
    from .config import template
    from .errors import InputError

    path: Path = args.path
    if path.exists() and not args.force:
        raise InputError(f"{str(path)!r} exists; pass --force to replace it")
    path.write_text(template(), encoding="utf-8")
    sys.stdout.write(f"Wrote {path}: fill in the data paths and zones, then run "
                     f"'raremin assess --config {path}'\n")
    return 0


def _one_line(err: BaseException | str) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """
    Entry point of the ``raremin`` command; returns the exit code.

    Examples
    --------
    >>> from raremin.cli import main
    >>> main(["--version"])  # doctest: +SKIP
    """
    from .errors import RareminError

    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as stop:
        return int(stop.code or 0)
    code = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if args.command == "init":
                code = init_command(args)
            elif args.command == "undiscovered":
                code = undiscovered_command(args, args_list)
            else:
                code = assess_command(args, args_list)
        except KeyboardInterrupt:
            sys.stderr.write("raremin: interrupted; nothing was written to the output "
                             "folder\n")
            code = EXIT_INTERRUPTED
        except (RareminError, OSError, ValueError) as err:
            if args.debug:
                raise
            sys.stderr.write(f"raremin: error: {_one_line(err)}\n")
            code = EXIT_BAD_INPUT
        except Exception as err:  # a bug: one line, and how to see more
            if args.debug:
                raise
            sys.stderr.write(f"raremin: internal error ({type(err).__name__}): "
                             f"{_one_line(err)}; run with --debug for the traceback and "
                             f"please report it\n")
            code = EXIT_INTERNAL
    seen: set[str] = set()
    for w in caught:
        text = _one_line(w.message)
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)) or \
                text in seen:
            continue
        seen.add(text)
        sys.stderr.write(f"raremin: warning: {text}\n")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
