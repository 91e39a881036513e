"""Tests of raremin.undiscovered.project: the regional assessment file and its run."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from raremin.errors import ProjectError
from raremin.undiscovered.count import count_pmf
from raremin.undiscovered.project import assessment_template, load_assessment

DEPOSITS = "ore_t,cu_pct,mo_pct\n2e6,0.5,0.02\n5e6,0.8,0.05\n1e7,0.3,0.01\n3e7,0.6,0.03\n"


def _write(folder: Path, text: str, deposits: str = DEPOSITS) -> Path:
    (folder / "deposits.csv").write_text(deposits)
    path = folder / "tract.toml"
    path.write_text(text)
    return path


CUSTOM = """
[assessment]
simulations = 4000
seed = 3
[count]
method = "custom"
pmf = [0.1, 0.2, 0.4, 0.3]
[deposits]
file = "deposits.csv"
tonnage_column = "ore_t"
grade_columns = ["cu_pct", "mo_pct"]
"""


def test_a_custom_pmf_with_two_grades_runs_and_states_its_inputs(tmp_path):
    project = load_assessment(_write(tmp_path, CUSTOM))
    assert project.name == "tract" and project.out == tmp_path / "raremin-undiscovered"
    result = project.run()
    np.testing.assert_allclose(result.count.pmf, [0.1, 0.2, 0.4, 0.3])
    totals = result.totals.totals
    assert list(totals.columns) == ["n_deposits", "ore_t", "cu_pct_t", "mo_pct_t"]
    assert len(totals) == 4000
    # the count frequencies follow the pmf (4,000 draws: within 0.025)
    freq = np.bincount(totals["n_deposits"], minlength=4) / 4000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.4, 0.3], atol=0.025)
    # contained copper never exceeds the ore
    assert (totals["cu_pct_t"] <= totals["ore_t"]).all()
    assert any("4 rows of deposits.csv" in n for n in result.notes)
    # the same file and seed give the same totals
    again = load_assessment(tmp_path / "tract.toml").run().totals.totals
    assert totals.equals(again)


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda t: t.replace("simulations = 4000", "simulatons = 4000"),
     "unknown key assessment.simulatons; did you mean 'simulations'"),
    (lambda t: t.replace('method = "custom"', 'method = "negbin"'),
     'count.method = "negbin" is not valid'),
    (lambda t: t.replace("pmf = [0.1, 0.2, 0.4, 0.3]", ""), 'needs count.pmf'),
    (lambda t: t.replace('file = "deposits.csv"', 'file = "missing.csv"'),
     "deposits.file = \"missing.csv\": .*missing.csv does not exist"),
    (lambda t: t.replace('tonnage_column = "ore_t"', ""), "deposits.tonnage_column is needed"),
    (lambda t: t + "[rare_earths]\nbaskets = [\"ndpr\"]\n", r"\[rare_earths\] applies to"),
    (lambda t: t.replace('[deposits]', '[deposits]\nofr02189 = "deposits.csv"'),
     "exactly one of file"),
    (lambda t: t.replace("seed = 3", "seed = -1"), "assessment.seed = -1 is not valid"),
])
def test_bad_keys_are_named_before_any_data_is_read(tmp_path, edit, fragment):
    path = _write(tmp_path, edit(CUSTOM))
    with pytest.raises(ProjectError, match=fragment) as info:
        load_assessment(path)
    assert str(info.value).startswith(str(path))


def test_bad_data_is_named_with_its_key(tmp_path):
    project = load_assessment(_write(tmp_path, CUSTOM.replace('"mo_pct"]', '"ag_ppm"]')))
    with pytest.raises(ProjectError, match=r"lacks column\(s\) \['ag_ppm'\]"):
        project.run()
    over = DEPOSITS.replace("2e6,0.5,0.02", "2e6,99.5,0.6")  # 100.1 %
    project = load_assessment(_write(tmp_path, CUSTOM, over))
    with pytest.raises(ProjectError, match="deposits.grade_columns"):
        project.run()
    few = "ore_t,cu_pct,mo_pct\n2e6,0.5,0.02\n5e6,0.8,0.05\n"
    project = load_assessment(_write(tmp_path, CUSTOM, few))
    with pytest.raises(ProjectError, match="deposits.tonnage_column"):
        project.run()


def test_the_template_runs_on_mapmark4_s_example(validation_dir, tmp_path):
    # The template names MapMark4's example files: copied beside it, it runs as written.
    for name in ("ExampleDepEst1.csv", "ExampleGatm.csv"):
        shutil.copy(validation_dir / "mapmark4" / name, tmp_path / name)
    path = tmp_path / "assessment.toml"
    path.write_text(assessment_template().replace("simulations = 20000",
                                                  "simulations = 5000"))
    result = load_assessment(path).run()
    expected = count_pmf(validation_dir / "mapmark4" / "ExampleDepEst1.csv")
    np.testing.assert_array_equal(result.count.pmf, expected.pmf)
    summary = result.totals.summary()
    assert list(summary.index) == ["ore_t", "Cu_t", "Au_t"]
    # 5,000 simulations of a heavy-tailed total: the simulated mean ore within 10 % of
    # E[N] E[T] (the 2 % check at 20,000 is in test_undiscovered_totals)
    assert summary.loc["ore_t", "mean"] == pytest.approx(summary.loc["ore_t", "analytic_mean"],
                                                         rel=0.10)
    assert (summary["P90"] <= summary["P50"]).all() and (summary["P50"] <= summary["P10"]).all()


def test_rare_earth_deposits_give_contained_baskets(validation_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RAREMIN_VALIDATION_DATA", str(validation_dir))
    path = tmp_path / "ree.toml"
    path.write_text("""
[assessment]
simulations = 3000
[count]
method = "custom"
pmf = [0.0, 0.0, 1.0]
[deposits]
ofr02189 = "${RAREMIN_VALIDATION_DATA}/ree/of02-189.csv"
deposit_type = "CARBONATITE"
[rare_earths]
baskets = ["ndpr"]
""")
    result = load_assessment(path).run()
    totals = result.totals.totals
    assert (totals["n_deposits"] == 2).all()
    treo = [c for c in totals.columns if c.lower().startswith("treo")]
    assert treo and (totals[treo[0]] > 0).all()
    baskets = result.baskets
    assert list(baskets.index) == ["P90", "P50", "P10"]
    # NdPr is a fixed share of TREO with a fixed oxide distribution
    ratio = baskets["ndpr_t"] / baskets["treo_t"]
    np.testing.assert_allclose(ratio, ratio.iloc[0], rtol=1e-12)
    assert 0.1 < ratio.iloc[0] < 0.2  # Mountain Pass: Nd2O3 + Pr6O11 about 16 % of TREO
    assert any("OFR 02-189" in n for n in result.notes)
