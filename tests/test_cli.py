"""Tests for the raremin command."""

from __future__ import annotations

import json
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
    for name in ("summary.csv", "grade_tonnage.csv", "grade_tonnage.png", "report.md",
                 "zones.csv", "adjustments.csv", "raremin-run.json"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    summary = pd.read_csv(out / "summary.csv")
    zero = summary[summary["cutoff_pct"] == 0.0].set_index("zone")
    assert zero.loc["Total", "tree_t"] == pytest.approx(0.94e6, rel=0.10)
    assert zero.loc["Irgiz", "tree_t"] == pytest.approx(0.80e6, rel=0.10)
    report = (out / "report.md").read_text()
    assert "SYNTHETIC" in report and "oxide basis" in report
    # the bundled run classifies with the default rules and writes the statement
    assert "## Resource statement" in report and "Competent Person" in report
    statement = pd.read_csv(out / "statement.csv")
    assert set(statement["zone"]) == {"Irgiz", "Dos 2", "All zones"}
    assert list(statement["class"].iloc[:5]) == ["Measured", "Indicated",
                                                 "Measured + Indicated", "Inferred", "Total"]
    assert (out / "statement.md").read_text().startswith("## Mineral Resource estimate")
    assert (out / "classes.png").stat().st_size > 0


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
    assert "cut-off on tree_pct (element basis)" in capsys.readouterr().out
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    assert sorted(summary["cutoff_pct"].unique()) == [0.0, 0.1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["assess", "--samples", "nope.csv", "--zones", "nope.gpkg"], "no such file: nope.csv"),
        (["assess", "--samples", "x.csv"], "give --zones with the data files"),
        (["assess", "--collars", "c.csv", "--zones", "z.gpkg"],
         "the drillhole path needs --surveys, --assays too"),
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


# ----------------------------------------------------------------- the output folder
def _small_job(tmp_path, zone_name="A", samples_text=None):
    """A one-zone deposit file and a small sample CSV; returns the CLI arguments."""
    import geopandas as gpd
    from shapely import box

    zones = gpd.GeoDataFrame({"zone": [zone_name], "top_elevation_m": [50.0],
                              "bottom_elevation_m": [0.0], "density_t_m3": [2.6]},
                             geometry=[box(0, 0, 100, 100)], crs=32643)
    zfile = tmp_path / "zones.geojson"
    zones.to_file(zfile, driver="GeoJSON")
    sfile = tmp_path / "samples.csv"
    if samples_text is None:
        rows = ["x,y,z,Cu_pct"] + [f"{x},{y},{z},{0.2 + 0.01 * (x % 7)}"
                                   for x in range(5, 100, 20) for y in range(5, 100, 20)
                                   for z in (10, 30)]
        samples_text = "\n".join(rows) + "\n"
    sfile.write_text(samples_text)
    return ["assess", "--samples", str(sfile), "--zones", str(zfile), "--estimator", "idw",
            "--block-size", "25,25,10"]


def test_user_files_of_another_commodity(tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*_small_job(tmp_path), "--cutoffs", "0,0.2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cut-off on cu_pct" in printed
    summary = pd.read_csv(out / "summary.csv")
    assert {"cu_pct", "cu_t", "not_estimated_t"} <= set(summary.columns)
    total = summary[(summary["zone"] == "Total") & (summary["cutoff_pct"] == 0.0)].iloc[0]
    assert total["tonnage_t"] == pytest.approx(100 * 100 * 50 * 2.6)


def test_output_path_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    target = tmp_path / "out.txt"
    target.write_text("keep me")
    assert main([*_small_job(tmp_path), "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "is a file; give a folder with --out" in err
    assert target.read_text() == "keep me"


def test_an_earlier_run_is_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "o"
    args = [*_small_job(tmp_path), "--out", str(out)]
    assert main(args) == 0
    first = (out / "raremin-run.json").read_text()
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "holds an earlier run (finished " in err and "pass --overwrite" in err
    assert (out / "raremin-run.json").read_text() == first  # untouched
    assert main([*args, "--overwrite"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_folder_of_other_files_is_refused(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main([*_small_job(tmp_path), "--out", str(out), "--overwrite"]) == 2
    assert "holds other files and no raremin run" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


def test_an_interrupted_run_leaves_no_half_written_folder(tmp_path, monkeypatch, capsys):
    out = tmp_path / "o"
    import raremin.reporting as reporting

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # SIGINT while the report is being written

    monkeypatch.setattr(reporting, "markdown_report", interrupted)
    assert main([*_small_job(tmp_path), "--out", str(out)]) == 130
    assert "interrupted; nothing was written" in capsys.readouterr().err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] and not any(
        p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_an_interrupted_overwrite_keeps_the_earlier_run(tmp_path, monkeypatch):
    out = tmp_path / "o"
    args = [*_small_job(tmp_path), "--out", str(out)]
    assert main(args) == 0
    before = sorted(p.name for p in out.iterdir())
    import raremin.reporting as reporting

    monkeypatch.setattr(reporting, "markdown_report",
                        lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main([*args, "--overwrite"]) == 130
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("x,y,z,Cu_pct\n", "but no data rows"),
    ],
)
def test_empty_csv_is_a_one_line_error(tmp_path, capsys, text, message):
    code = main([*_small_job(tmp_path, samples_text=text), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_semicolon_csv_with_decimal_commas_is_read_and_said(tmp_path, capsys):
    rows = ["x;y;z;Cu_pct"] + [f"{x};{y};{z};0,{30 + x % 7}" for x in range(5, 100, 20)
                               for y in range(5, 100, 20) for z in (10, 30)]
    rows[3] = rows[3].rsplit(";", 1)[0] + ";<0,01"
    out = tmp_path / "o"
    assert main([*_small_job(tmp_path, samples_text="\n".join(rows) + "\n"), "--out",
                 str(out)]) == 0
    steps = pd.read_csv(out / "adjustments.csv")
    read = steps[steps["step"] == "read"].iloc[0]
    assert "delimiter ';' (detected)" in read["detail"] and "decimal mark ','" in read["detail"]
    assert steps.set_index("step").loc["below detection", "count"] == 1
    assert "delimiter ';'" in (out / "report.md").read_text()


def test_zone_names_cannot_inject_formulas_or_markdown(tmp_path):
    name = '=HYPERLINK("http://evil","click") [x](http://y) # h'
    out = tmp_path / "o"
    assert main([*_small_job(tmp_path, zone_name=name), "--out", str(out)]) == 0
    for csv in ("summary.csv", "zones.csv", "grade_tonnage.csv"):
        zones = pd.read_csv(out / csv)["zone"]
        assert zones.iloc[0] == "'" + name  # a text cell, not a formula
        assert not zones.astype(str).str.startswith(("=", "+", "-", "@")).any()
    report = (out / "report.md").read_text()
    assert "\\[x\\](http://y)" in report and "\n# h" not in report
    assert "\\# h" in report


def test_init_writes_a_template_once(tmp_path, capsys):
    path = tmp_path / "project.toml"
    assert main(["init", str(path)]) == 0
    text = path.read_text()
    assert "[data]" in text and "[zones]" in text and "below_detection" in text
    assert main(["init", str(path)]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert main(["init", str(path), "--force"]) == 0


def test_kriging_with_a_limit_per_hole_through_the_command(tmp_path, capsys):
    rows = ["hole_id,x,y,z,Cu_pct"]
    for h, (x, y) in enumerate((x, y) for x in range(10, 100, 20) for y in range(10, 100, 20)):
        for z in range(2, 50, 4):
            rows.append(f"H{h},{x},{y},{z},{0.2 + 0.002 * ((x * 7 + y * 3 + z) % 50)}")
    args = _small_job(tmp_path, samples_text="\n".join(rows) + "\n")
    args[args.index("idw")] = "kriging"
    out = tmp_path / "o"
    assert main([*args, "--max-per-hole", "3", "--cutoffs", "0,0.25", "--out", str(out)]) == 0
    zones = pd.read_csv(out / "zones.csv").iloc[0]
    assert "at most 3 per hole" in zones["search"]
    assert zones["estimated_fraction"] == 1.0


def test_simulate_writes_the_uncertainty_table_and_chart(tmp_path, capsys):
    out = tmp_path / "o"
    args = [*_small_job(tmp_path), "--cutoffs", "0,0.2,0.24", "--simulate", "5", "--seed", "2",
            "--out", str(out)]
    assert main(args) == 0
    u = pd.read_csv(out / "uncertainty.csv")
    assert set(u["statistic"]) == {"mean", "std", "P90", "P50", "P10"}
    p = u[u["zone"] == "Total"].pivot_table(index="cutoff_pct", columns="statistic",
                                             values="tonnage_t")
    assert (p["P90"] <= p["P50"]).all() and (p["P50"] <= p["P10"]).all()
    assert p.loc[0.0, "P50"] == pytest.approx(100 * 100 * 50 * 2.6)
    assert (out / "grade_tonnage_uncertainty.png").stat().st_size > 1000
    record = json.loads((out / "raremin-run.json").read_text())
    assert "uncertainty.csv" in record["files"]
    # the same seed: the same table
    assert main([*args[:-2], "--out", str(tmp_path / "again")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "uncertainty.csv"), u)


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_simulate_needs_a_positive_count(tmp_path, capsys, value):
    assert main([*_small_job(tmp_path), "--simulate", value, "--out", str(tmp_path / "o")]) == 2
    assert "--simulate must be a whole number of realisations >= 1" in capsys.readouterr().err


# ------------------------------------------------------------------- undiscovered
def test_undiscovered_template_then_run_writes_every_file(validation_dir, tmp_path, capsys):
    for name in ("ExampleDepEst1.csv", "ExampleGatm.csv"):
        (tmp_path / name).write_bytes((validation_dir / "mapmark4" / name).read_bytes())
    config = tmp_path / "assessment.toml"
    assert main(["undiscovered", "--template", str(config)]) == 0
    assert main(["undiscovered", "--template", str(config)]) == 2  # exists: --force
    assert "pass --force" in capsys.readouterr().err
    out = tmp_path / "run"
    args = ["undiscovered", "--config", str(config), "--simulations", "3000", "--seed", "4",
            "--out", str(out)]
    assert main(args) == 0
    screen = capsys.readouterr().out
    assert "ore_t" in screen and "P90" in screen
    record = json.loads((out / "raremin-run.json").read_text())
    assert sorted(record["files"]) == sorted(p.name for p in out.iterdir())
    assert {"summary.csv", "totals.csv", "count_pmf.csv", "grades.png", "report.md"} <= set(
        record["files"])
    totals = pd.read_csv(out / "totals.csv")
    assert len(totals) == 3000 and list(totals.columns[-2:]) == ["Cu_t", "Au_t"]
    assert "## Number of undiscovered deposits" in (out / "report.md").read_text()
    # an earlier run is kept unless --overwrite; with it, the same seed, the same totals
    assert main(args) == 2
    assert "holds an earlier run" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0
    assert pd.read_csv(out / "totals.csv").equals(totals)


def test_undiscovered_needs_a_config(tmp_path, capsys):
    assert main(["undiscovered"]) == 2
    assert "give --config assessment.toml" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[count]\nmethod = 'poison'\n")
    assert main(["undiscovered", "--config", str(bad)]) == 2
    assert 'count.method = "poison" is not valid' in capsys.readouterr().err


def test_classify_code_and_prices_flags(tmp_path, capsys):
    prices = tmp_path / "prices.csv"
    prices.write_text("oxide,price_usd_kg,date,source\nCeO2,2,2026-01,test\n"
                      "La2O3,1,2026-01,test\nNd2O3,100,2026-01,test\n")
    import raremin

    data = raremin.load_kuirektykol()
    zones = tmp_path / "zones.gpkg"
    data.zones.to_file(zones, driver="GPKG")
    samples = tmp_path / "samples.csv"
    data.samples.to_csv(samples, index=False)
    out = tmp_path / "o"
    args = ["assess", "--samples", str(samples), "--zones", str(zones), "--block-size",
            "100,100,20", "--classify", "--code", "KAZRC", "--prices", str(prices),
            "--statement-cutoffs", "0.1", "--out", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    statement = (out / "statement.md").read_text()
    assert "KAZRC" in statement.splitlines()[0] and "cut-off 0.1 % TREO" in statement
    zones = pd.read_csv(out / "zones.csv")
    assert "treo_value_usd_kg" in zones.columns
    assert "2026-01" in (out / "report.md").read_text()
