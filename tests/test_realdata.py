"""Acceptance on real public drillhole exports (skipped without RAREMIN_VALIDATION_DATA).

The projects are kept in docs/examples/. The command is run as a user runs it: the
installed ``raremin`` entry point, in a separate process, from another folder (in CI the
package is installed without -e, so this runs the installed copy).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import raremin
from raremin.geostats.crossval import cross_validate
from raremin.workflow import automatic_kriging

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _raremin_command() -> list[str]:
    script = shutil.which("raremin", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "raremin"]


def _run(project: str, tmp_path: Path, validation_dir: Path) -> tuple[Path, str]:
    out = tmp_path / "out"
    env = dict(os.environ, RAREMIN_VALIDATION_DATA=str(validation_dir), MPLBACKEND="Agg")
    proc = subprocess.run([*_raremin_command(), "assess", "--config", str(EXAMPLES / project),
                           "--out", str(out)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_copper_creek_project_runs_end_to_end(tmp_path, validation_dir):
    out, printed = _run("copper_creek.toml", tmp_path, validation_dir)
    assert "cut-off on cu_pct" in printed
    summary = pd.read_csv(out / "summary.csv")
    rows = summary[summary["zone"] == "Central"].set_index("cutoff_pct")
    assert {"cu_pct", "cu_t", "mo_t", "not_estimated_t"} <= set(summary.columns)
    assert rows.loc[0.0, "tonnage_t"] > rows.loc[0.4, "tonnage_t"] > 0
    assert rows.loc[0.4, "cu_pct"] > 0.4
    assert (out / "grade_tonnage.png").stat().st_size > 10_000
    zones = pd.read_csv(out / "zones.csv").iloc[0]
    assert 0.6 < zones["estimated_fraction"] < 1.0
    assert zones["tonnage_t"] == pytest.approx(1750 * 1500 * 1000 * 2.6)
    report = (out / "report.md").read_text()
    steps = pd.read_csv(out / "adjustments.csv").set_index("step")
    # Below-detection codes: every one counted, in the report too.
    assert steps.loc["below detection", "count"] == 9935
    assert "Cu\\_pct 331" in report or "Cu_pct 331" in report
    assert "not estimated" in report and "% of its tonnage estimated" in report
    assert "correlogram" in zones["variogram"]


def test_forrestania_project_states_the_partial_suite(tmp_path, validation_dir):
    out, printed = _run("forrestania.toml", tmp_path, validation_dir)
    assert "cut-off on la_ppm" in printed
    summary = pd.read_csv(out / "summary.csv")
    assert {"la_ppm", "la_t", "treo_t", "treo_coverage"} <= set(summary.columns)
    report = (out / "report.md").read_text()
    assert "PARTIAL total: 3 of 15 members assayed (La, Ce, Y)" in report
    zones = pd.read_csv(out / "zones.csv").iloc[0]
    assert zones["grades_not_estimated"] == "ce_ppm, y_ppm"
    assert zones["estimated_fraction"] == 1.0
    assert "Below detection" in report or "below detection" in report


def test_copper_creek_leave_one_hole_out_of_the_automatic_setup(validation_dir, monkeypatch):
    """Acceptance: mean error within 5 % of the mean Cu grade; the slope is reported."""
    monkeypatch.setenv("RAREMIN_VALIDATION_DATA", str(validation_dir))
    project = raremin.load_project(EXAMPLES / "copper_creek.toml")
    deposit = project.deposit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = project.prepare(deposit).samples
    rows = samples[(samples["zone"] == "Central") & samples["cu_pct"].notna()]
    xyz = rows[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    cu = rows["cu_pct"].to_numpy()
    holes = rows["hole_id"].to_numpy(dtype=object)
    kriging, model, search = automatic_kriging(xyz, cu, holes=holes)
    cv = cross_validate(kriging, xyz, cu, holes=holes, by="hole")
    s = cv.summary
    assert s["n_estimated"] > 0.95 * len(rows)
    assert abs(s["mean_error"]) < 0.05 * cu.mean()
    assert 0.8 < s["slope"] < 1.1
    assert "correlogram" in model and np.isfinite(s["correlation"])
