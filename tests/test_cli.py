"""Tests for the raremin command."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from raremin.cli import main


def test_assess_on_bundled_data_writes_everything(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["assess", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Irgiz" in printed and "Dos 2" in printed and "Total" in printed
    assert "element basis" in printed and "oxide basis" in printed
    for name in ("summary.csv", "grade_tonnage.csv", "grade_tonnage.png", "report.md"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    summary = pd.read_csv(out / "summary.csv")
    zero = summary[summary["cutoff_pct"] == 0.0].set_index("zone")
    assert zero.loc["Total", "tree_t"] == pytest.approx(0.94e6, rel=0.10)
    assert zero.loc["Irgiz", "tree_t"] == pytest.approx(0.80e6, rel=0.10)
    report = (out / "report.md").read_text()
    assert "SYNTHETIC" in report and "oxide basis" in report


def test_assess_on_user_files(tmp_path, capsys):
    import raremin

    data = raremin.load_kuirektykol()
    zones = tmp_path / "zones.gpkg"
    data.zones.to_file(zones, driver="GPKG")
    samples = tmp_path / "samples.csv"
    data.samples.drop(columns="zone").to_csv(samples, index=False)
    code = main(["assess", "--samples", str(samples), "--zones", str(zones),
                 "--cutoffs", "0,0.1", "--basis", "element", "--block-size", "50,50,20",
                 "--out", str(tmp_path / "o")])
    assert code == 0
    assert "TREE (element basis" in capsys.readouterr().out
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    assert sorted(summary["cutoff_pct"].unique()) == [0.0, 0.1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["assess", "--samples", "nope.csv", "--zones", "nope.gpkg"], "no such file: nope.csv"),
        (["assess", "--samples", "x.csv"], "give both --samples and --zones"),
        (["assess", "--cutoffs", "0.2,0.1"], "strictly increasing"),
    ],
)
def test_bad_arguments_end_with_one_line_and_exit_2(tmp_path, capsys, args, message):
    code = main([*args, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("raremin: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_zone_file_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "zones.geojson"
    bad.write_text("{not json")
    samples = tmp_path / "s.csv"
    samples.write_text("easting_m,northing_m,elevation_m,la_ppm\n0,0,0,1\n")
    code = main(["assess", "--samples", str(samples), "--zones", str(bad),
                 "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("raremin: error:") and err.count("\n") == 1


def test_argparse_errors_exit_2(capsys):
    assert main(["assess", "--basis", "metal"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["--version"]) == 0


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "raremin", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("raremin ")
