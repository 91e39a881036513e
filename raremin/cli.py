"""
The ``raremin`` command.

``raremin assess`` with no arguments runs the whole assessment on the bundled
(synthetic) Kuirektykol data: zones, a block model, estimated grades, and a per-zone
table of tonnage, mean TREO, contained TREO, contained rare-earth metal and NdPr at
the default cut-offs. It writes the grade-tonnage chart (PNG), the tables (CSV) and a
short Markdown report to ``--out`` (default ``raremin-output/``). ``--samples``,
``--zones``, ``--cutoffs``, ``--basis`` and ``--block-size`` run it on a user's files.

Bad files or arguments end with a one-line error and exit code 2 (``--debug`` shows
the traceback instead).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._version import __version__

EXIT_BAD_INPUT = 2


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raremin",
        description="Assess rare-earth deposits: grade-tonnage and contained rare earths by zone.",
    )
    parser.add_argument("--version", action="version", version=f"raremin {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "assess",
        help="estimate zones from samples and report grade-tonnage by zone",
        description="Without --samples/--zones, runs on the bundled synthetic Kuirektykol data.",
    )
    run.add_argument("--samples", type=Path, help="CSV of samples: easting_m, northing_m, "
                     "elevation_m, element grades like la_ppm, optional zone")
    run.add_argument("--zones", type=Path, help="GeoPackage/GeoJSON of zones: zone, "
                     "top_elevation_m, bottom_elevation_m, density_t_m3 (projected CRS)")
    run.add_argument("--cutoffs", type=lambda t: _floats(t, "--cutoffs"),
                     default=[0.0, 0.05, 0.1, 0.15, 0.2],
                     help="cut-offs in %% of TREO (oxide basis) or TREE (element basis); "
                     "default 0,0.05,0.1,0.15,0.2")
    run.add_argument("--basis", choices=["oxide", "element"], default="oxide",
                     help="basis of the cut-off grade: oxide (TREO) or element (TREE)")
    run.add_argument("--block-size", type=lambda t: _floats(t, "--block-size", 3),
                     default=[25.0, 25.0, 10.0], help="block size in m: one value or x,y,z")
    run.add_argument("--estimator", choices=["kriging", "idw"], default="kriging",
                     help="ordinary kriging with a variogram fitted per zone (default) or "
                     "inverse distance")
    run.add_argument("--out", type=Path, default=Path("raremin-output"),
                     help="output folder (default raremin-output/)")
    run.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def _load(args: argparse.Namespace) -> tuple[Any, Any, str]:
    """Deposit, samples and a provenance line, from the user's files or the bundled data."""
    import geopandas as gpd
    import pandas as pd

    from .deposit import Deposit

    if (args.samples is None) != (args.zones is None):
        raise ValueError("give both --samples and --zones, or neither (bundled data)")
    if args.samples is None:
        from .datasets import load_kuirektykol

        data = load_kuirektykol()
        deposit = Deposit.from_geodataframe(
            data.zones, name="Kuirektykol (synthetic)", notes="SYNTHETIC data bundled with raremin"
        )
        source = "bundled Kuirektykol data (SYNTHETIC, calibrated to public figures)"
        return deposit, data.samples, source
    for path in (args.samples, args.zones):
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    zones = gpd.read_file(args.zones)
    deposit = Deposit.from_geodataframe(zones, name=args.zones.stem)
    samples = pd.read_csv(args.samples)
    if "zone" in samples.columns:
        samples["zone"] = samples["zone"].fillna("").astype(str)
    return deposit, samples, f"samples {args.samples}, zones {args.zones}"


def _format_table(summary: Any, unit_suffix: str, grade_col: str) -> str:
    table = summary.copy()
    table["tonnage_Mt"] = table.pop("tonnage_t") / 1e6
    for col in ("treo_t", "tree_t", "ndpr_oxide_t"):
        table[col.replace("_t", "_kt")] = table.pop(col) / 1e3
    table = table.rename(columns={grade_col: grade_col.replace(f"_{unit_suffix}", "_mean_pct")})
    return table.to_string(index=False, float_format=lambda v: f"{v:,.3f}")


def _report(result: Any, provenance: str, table: str, out: Path) -> str:
    crs = result.deposit.crs
    lines = [
        f"# raremin assessment: {result.deposit.name}",
        "",
        f"Data: {provenance}. CRS: {crs.name} (EPSG:{crs.to_epsg()}).",
        "",
        *[f"- {note}" for note in result.notes],
        "",
        "## Grade-tonnage by zone",
        "",
        "```",
        table,
        "```",
        "",
        "Tonnage in Mt; grades in %; contained TREO, rare-earth metal (TREE) and NdPr oxide in kt.",
        "Chart: `grade_tonnage.png`; full tables: `grade_tonnage.csv`, `summary.csv`.",
        "",
        "These figures are estimates from a baseline estimator and are not a resource "
        "statement: classification (Measured/Indicated/Inferred) is not applied.",
        "",
    ]
    text = "\n".join(lines)
    (out / "report.md").write_text(text, encoding="utf-8")
    return text


def assess_command(args: argparse.Namespace) -> int:
    """Run ``raremin assess``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .units import unit_suffix
    from .workflow import assess

    progress = _Progress(sys.stderr.isatty())
    progress.step("loading zones and samples")
    deposit, samples, provenance = _load(args)
    size = args.block_size * 3 if len(args.block_size) == 1 else args.block_size
    progress.step("building the block model and estimating grades")
    result = assess(deposit, samples, block_size=size, cutoffs=args.cutoffs, basis=args.basis,
                    estimator=args.estimator)
    progress.step("writing tables, chart and report")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    suffix = unit_suffix(result.unit)
    grade_col = f"{result.cutoff_grade}_{suffix}"
    result.summary.to_csv(out / "summary.csv", index=False)
    result.curve.to_frame().to_csv(out / "grade_tonnage.csv", index=False)
    ax = result.curve.plot(contained=True)
    ax.set_title(f"{deposit.name}: grade-tonnage by zone")
    ax.figure.savefig(out / "grade_tonnage.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    table = _format_table(result.summary, suffix, grade_col)
    _report(result, provenance, table, out)
    progress.done()
    sys.stdout.write(
        f"{deposit.name}: cut-off on {result.cutoff_grade.upper()} ({result.basis} basis, %)\n"
        f"{table}\n"
        f"Contained rare-earth metal = TREE on element basis; TREO and NdPr on oxide basis.\n"
        f"Wrote {out}/summary.csv, grade_tonnage.csv, grade_tonnage.png, report.md\n"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """
    Entry point of the ``raremin`` command; returns the exit code.

    Examples
    --------
    >>> from raremin.cli import main
    >>> main(["--version"])  # doctest: +SKIP
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    try:
        return assess_command(args)
    except KeyboardInterrupt:
        sys.stderr.write("raremin: interrupted\n")
        return 130
    except Exception as err:  # one line for the user; --debug for the traceback
        if getattr(args, "debug", False):
            raise
        message = " ".join(str(err).split()) or type(err).__name__
        sys.stderr.write(f"raremin: error: {message}\n")
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
