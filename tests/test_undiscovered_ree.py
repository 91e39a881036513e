"""Tests of raremin.undiscovered.ree (OFR 02-189 parsing and REE baskets)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from raremin.errors import InputError
from raremin.undiscovered.ree import (
    MOUNTAIN_PASS_BASTNAESITE,
    OUTCOMES,
    contained_baskets,
    read_ofr02189,
    ree_grade_tonnage_model,
)

HEAD = ('"X1","X2","X3","X8","X10"\n"DEPOSIT",NA,NA,"Resources",NA\n'
        '"TYPE","Deposit or district name","Country","Tonnage and grade","STATUS"\n')


def _read(rows: list[str], **kw):
    return read_ofr02189(io.StringIO(HEAD + '"CARBONATITE",NA,NA,NA,NA\n' + "".join(
        f'NA,"D{i}","X","{text}",NA\n' for i, text in enumerate(rows))), **kw)


@pytest.mark.parametrize(("text", "ore_t", "treo_pct", "outcome"), [
    ("105 Mt @ 3% REO; 11.6 Mt @ 30% CaF2", 105e6, 3.0, 0),
    ("0.1 Mt @ 8% mon or 4.4% REO (1970)", 1e5, 4.4, 0),
    ("Mineable ore-- 0.06 Mt @ 3.0% bas (1.59% REO)", 6e4, 1.59, 0),
    ("6.2 Mt (indicated resource) @0.09-0.46 % REO + 0.09-0.4% Y2O3", 6.2e6, 0.275, 0),
    (">1000. Mt @ 0.8-1.5% REO", 1e9, 1.15, 0),
    ("0.023 Mt REO @ 3.2% REO (drilled)", 0.023e6 / 0.032, 3.2, 0),
    ("6 million tonnes @ 2 % RE2O3", 6e6, 2.0, 0),
    ("500 kt @ 1.2% Ln2O3", 5e5, 1.2, 0),
    ("3 million metric tons @ 1% REO", 3e6, 1.0, 0),
    ("20 Mt REO (1989)", np.nan, np.nan, 1),
    ("4.7 Mt @ 2.78% REE (1990)", np.nan, np.nan, 2),
    ("0.235 Mt @ 1.96% mon", np.nan, np.nan, 3),
    ("0.35% REO", np.nan, np.nan, 4),
    ("8000 t, 0.05-0.30% REO", np.nan, np.nan, 4),
    ("ama 2% REE", np.nan, np.nan, 5),
    ("2.8 Mt eud", np.nan, np.nan, 6),
    ("204-349 Ma", np.nan, np.nan, 7),
])
def test_free_text_table(text, ore_t, treo_pct, outcome):
    deposits, report = _read([text])
    row = deposits.iloc[0]
    np.testing.assert_allclose([row.ore_t, row.treo_pct], [ore_t, treo_pct], rtol=1e-12)
    assert row.outcome == OUTCOMES[outcome]
    assert report.outcomes[OUTCOMES[outcome]] == 1


def test_rules_for_several_estimates():
    text = "29 Mt @ 8.9% REO (5% cutoff); >40 Mt @ 7.68% REO; 90 Mt @ 5% REO"
    largest, _ = _read([text])
    first, report = _read([text], rule="first")
    assert (largest.ore_t[0], largest.treo_pct[0], largest.n_estimates[0]) == (90e6, 5.0, 3)
    assert (first.ore_t[0], first.treo_pct[0]) == (29e6, 8.9)  # the cut-off is not a grade
    assert report.rule == "first"
    with pytest.raises(InputError, match="rule"):
        _read([text], rule="mean")


def test_real_file_counts_and_known_deposits(validation_dir):
    deposits, report = read_ofr02189(validation_dir / "ree" / "of02-189.csv")
    # every row of the file and every deposit is accounted for
    assert report.n_rows == 852
    assert report.rows == {"header": 2, "section": 17, "blank": 34, "deposit": 799}
    assert sum(report.rows.values()) == report.n_rows
    assert sum(report.outcomes.values()) == len(deposits) == 799
    assert report.outcomes[OUTCOMES[0]] == 63
    assert report.outcomes[OUTCOMES[1]] == 8
    assert report.outcomes[OUTCOMES[8]] == 510
    assert int(deposits.ore_t.notna().sum()) == int(deposits.treo_pct.notna().sum()) == 63
    assert deposits.deposit_type.notna().all()
    by_name = deposits.set_index("name")
    # "Proven + probable-- 29 Mt @ 8.9% REO (5% cutoff); >40 Mt @ 7.68% REO; 28 Mt @
    #  8.86% REO; 28.1 @ 12% bas or 8.9% REO (1989); 90 Mt @ 5% REO": largest is 90 Mt
    mp = by_name.loc["Mountain Pass"]
    assert (mp.ore_t, mp.treo_pct, mp.deposit_type, mp.n_estimates) == (90e6, 5.0,
                                                                         "CARBONATITE", 4)
    # "750 Mt @ 4.1% REO; 48 Mt @ 6% REO, 15000 Mt @ 35% Fe; 800 Mt @ 6% REO (1990); ..."
    bo = by_name.loc["Bayan Obo (Baotou)"]
    assert (bo.ore_t, bo.treo_pct, bo.year, bo.contained_treo_t) == (800e6, 6.0, 1990, 48e6)
    # "Indicated 15.4 Mt @ 11.2% REO + Y2O3 (5% cutoff) + 4.0 Mt @ 0.36% Y2O3; ..."
    mw = by_name.loc["Mount Weld"]
    assert (mw.ore_t, mw.treo_pct, mw.grade_species) == (15.4e6, 11.2, "REO+Y2O3")
    # "10,000 mt REO; ..." is ten thousand metric tons, not 10 000 Mt
    big_creek = deposits[(deposits.name == "Big Creek") & deposits.text.notna()].iloc[0]
    assert big_creek.contained_treo_t == 1e4
    table = report.table()
    assert int(table.loc["deposit", "rows"].sum()) == 799


def test_grade_tonnage_model_for_carbonatites(validation_dir):
    deposits, _ = read_ofr02189(validation_dir / "ree" / "of02-189.csv")
    tonnage, grades = ree_grade_tonnage_model(deposits, "carbonatite")
    carb = deposits[(deposits.deposit_type == "CARBONATITE") & deposits.ore_t.notna()]
    assert tonnage.n_deposits_ == len(carb) == 14
    assert tonnage.log10_mean_ == pytest.approx(np.log10(carb.ore_t).mean())
    assert grades.names_ == ["TREO"]
    with pytest.raises(InputError, match="need 3"):
        ree_grade_tonnage_model(deposits, "ION ADSORPTION")


def test_contained_baskets():
    out = contained_baskets(np.array([1000.0, 0.0]), MOUNTAIN_PASS_BASTNAESITE)
    assert out.columns.tolist() == ["treo_t", "ndpr_t", "mreo_t", "lreo_t", "hreo_t"]
    assert out.ndpr_t[0] == pytest.approx(1000 * (0.112 + 0.041))
    assert out.lreo_t[0] == pytest.approx(1000 * (0.338 + 0.496 + 0.041 + 0.112 + 0.009))
    assert out.ndpr_t[1] == 0.0
    assert sum(MOUNTAIN_PASS_BASTNAESITE.values()) == pytest.approx(1.0)


def test_element_shares_become_oxide_shares():
    from raremin.chemistry import oxide_factor

    out = contained_baskets(100.0, {"Nd": 0.5, "Ce": 0.5}, ["ndpr"], share_basis="element")
    fnd, fce = oxide_factor("Nd"), oxide_factor("Ce")
    assert out.ndpr_t[0] == pytest.approx(100 * fnd / (fnd + fce))
    with pytest.raises(InputError, match="sum"):
        contained_baskets(1.0, {"Nd": 0.8, "Ce": 0.8})
    with pytest.raises(InputError, match="twice"):
        contained_baskets(1.0, {"Nd": 0.1, "Nd2O3": 0.1})


def test_bad_file_raises():
    with pytest.raises(InputError, match="lacks columns"):
        read_ofr02189(io.StringIO("a,b\n1,2\n"))
