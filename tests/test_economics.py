"""Tests of raremin.economics: dated prices, basket prices, block values, equivalents, cut-offs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from raremin.chemistry import oxide_factor
from raremin.economics import (
    MCS2025_SOURCE,
    BasketPrice,
    PriceTable,
    basket_price,
    breakeven_cutoff,
    default_prices,
    equivalent_grade,
    in_situ_value,
    marginal_cutoff,
    net_smelter_return,
    read_prices,
)
from raremin.errors import InputError

# USGS Mineral Commodity Summaries 2025, Rare Earths, p. 144: "Price, average, dollars
# per kilogram", columns 2020, 2021, 2022, 2023, 2024e.
MCS2025 = {
    "CeO2": (2, 2, 1, 1, 1),
    "Dy2O3": (261, 410, 382, 330, 260),
    "Eu2O3": (31, 31, 30, 27, 27),
    "La2O3": (2, 2, 1, 1, 1),
    "Nd2O3": (49, 98, 134, 78, 56),
    "Tb4O7": (670, 1346, 2051, 1298, 810),
}

PRICES = {"Nd2O3": 60.0, "Pr6O11": 62.0, "CeO2": 1.5, "Dy2O3": 300.0}


# ------------------------------------------------------------------------- price table


@pytest.mark.parametrize("year", [2020, 2021, 2022, 2023, 2024])
def test_default_prices_are_the_mcs2025_rows(year):
    table = default_prices(year)
    j = year - 2020
    for oxide, series in MCS2025.items():
        assert table.price(oxide) == series[j]
        assert table.date(oxide) == str(year)
        assert table.source(oxide) == MCS2025_SOURCE
    assert set(table.priced) == set(MCS2025)


def test_default_prices_provenance_on_every_row():
    frame = default_prices().to_frame()
    assert len(frame) == 16  # every natural rare earth, Pm left out
    assert (frame["date"].str.len() > 0).all()
    assert (frame["source"].str.len() > 0).all()
    assert frame.loc["Nd2O3", "purity"] == "99.5% minimum"
    assert frame.loc["Tb4O7", "purity"] == "99.99% minimum"
    # oxides without a USGS price are missing, not guessed
    for oxide in ("Pr6O11", "Sm2O3", "Gd2O3", "Ho2O3", "Er2O3", "Y2O3"):
        assert np.isnan(frame.loc[oxide, "price_usd_kg"])
    assert not default_prices().mixed_dates


def test_default_prices_bad_year():
    with pytest.raises(InputError, match="2019"):
        default_prices(2019)


def test_price_of_unpriced_oxide_names_it():
    with pytest.raises(InputError, match="Pr6O11"):
        default_prices().price("Pr6O11")


def test_with_prices_updates_date_and_source():
    base = default_prices()
    new = base.with_prices({"nd": 70.0, "Pr6O11": 72.0}, date="2025-06-30",
                           source="offtake contract, schedule 2")
    assert new.price("Nd2O3") == 70.0
    assert new.date("Nd2O3") == "2025-06-30"
    assert new.source("Nd2O3") == "offtake contract, schedule 2"
    assert new.to_frame().loc["Nd2O3", "purity"] == "99.5% minimum"  # kept
    assert new.price("Pr6O11") == 72.0
    # untouched rows keep theirs; the original table is unchanged
    assert new.date("Dy2O3") == "2024" and new.source("Dy2O3") == MCS2025_SOURCE
    assert base.price("Nd2O3") == 56.0
    assert new.mixed_dates and set(new.dates) == {"2025-06-30", "2024"}
    assert "MIXED price dates" in repr(new)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"date": "", "source": "x"}, "date"),
        ({"date": 2025, "source": " "}, "source"),
        ({"date": None, "source": "x"}, "date"),
    ],
)
def test_with_prices_requires_date_and_source(kwargs, match):
    with pytest.raises(InputError, match=match):
        default_prices().with_prices({"Nd2O3": 60.0}, **kwargs)


@pytest.mark.parametrize(
    ("prices", "match"),
    [
        ({"Nd2O3": -5.0}, "-5"),
        ({"Nd2O3": np.inf}, "inf"),
        ({"Pr2O3": 60.0}, "Pr2O3"),
        ({"Xx": 60.0}, "Xx"),
    ],
)
def test_with_prices_bad_values(prices, match):
    with pytest.raises(InputError, match=match):
        default_prices().with_prices(prices, date=2025, source="x")


def test_from_frame_and_csv_roundtrip(tmp_path):
    df = pd.DataFrame({
        "oxide": ["Nd2O3", "Pr6O11", "Sm2O3"],
        "price_usd_kg": [60.0, 61.0, np.nan],
        "date": ["2025", "2025-03-31", "2025"],
        "source": ["A", "B", "none quoted"],
        "purity": ["99.5%", "", ""],
    })
    table = PriceTable.from_frame(df)
    assert table.priced == ("Nd2O3", "Pr6O11")
    assert table.mixed_dates
    path = tmp_path / "prices.csv"
    table.to_csv(path)
    back = read_prices(path)
    pd.testing.assert_frame_equal(back.to_frame(), table.to_frame())


def test_read_prices_refuses_a_row_without_source(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("oxide,price_usd_kg,date,source\nNd2O3,60,2025,\n")
    with pytest.raises(InputError, match="Nd2O3.*source"):
        read_prices(path)


def test_from_frame_needs_columns_and_known_oxides():
    with pytest.raises(InputError, match="source"):
        PriceTable.from_frame(pd.DataFrame({"oxide": ["Nd2O3"], "price_usd_kg": [1.0],
                                            "date": ["2025"]}))
    with pytest.raises(InputError, match="more than once"):
        PriceTable.from_frame(pd.DataFrame({"oxide": ["Nd2O3", "nd"], "price_usd_kg": [1, 2],
                                            "date": ["2025"] * 2, "source": ["a"] * 2}))
    with pytest.raises(InputError, match="Unobtainium"):
        PriceTable.from_frame(pd.DataFrame({"oxide": ["Unobtainium"], "price_usd_kg": [1.0],
                                            "date": ["2025"], "source": ["a"]}))


def test_price_table_repr_is_short():
    text = repr(default_prices())
    assert len(text.splitlines()) <= 5 and len(text) < 600
    assert "2024" in text and "U.S. Geological Survey" in text
    assert "<table" in default_prices()._repr_html_()


# ------------------------------------------------------------------------ basket price


def test_basket_price_by_hand():
    shares = {"Nd2O3": 0.2, "Pr6O11": 0.05, "CeO2": 0.75}
    rec = {"Nd2O3": 0.9, "Pr6O11": 0.85, "CeO2": 0.6}
    bp = basket_price(shares, PRICES, rec)
    # 0.2*60*0.9 + 0.05*62*0.85 + 0.75*1.5*0.6 = 10.8 + 2.635 + 0.675
    assert bp.value_usd_kg == pytest.approx(14.11)
    assert bp.gross_usd_kg == pytest.approx(0.2 * 60 + 0.05 * 62 + 0.75 * 1.5)
    assert bp.contributions["value_usd_kg"].tolist() == pytest.approx([10.8, 2.635, 0.675])
    assert bp.recovery == pytest.approx(14.11 / 16.225)
    assert bp.price_dates == ("unstated",)
    assert bp.excluded == ()


def test_basket_price_default_table_by_hand():
    bp = basket_price({"La2O3": 0.25, "CeO2": 0.5, "Nd2O3": 0.2, "Dy2O3": 0.05},
                      default_prices())
    assert bp.value_usd_kg == pytest.approx(0.25 * 1 + 0.5 * 1 + 0.2 * 56 + 0.05 * 260)
    assert bp.price_dates == ("2024",) and bp.price_sources == (MCS2025_SOURCE,)
    assert "2024" in repr(bp) and len(repr(bp)) < 600


def test_basket_price_single_recovery_scales_value():
    shares = {"Nd2O3": 0.5, "CeO2": 0.5}
    full = basket_price(shares, PRICES)
    half = basket_price(shares, PRICES, recoveries=0.5)
    assert half.value_usd_kg == pytest.approx(0.5 * full.value_usd_kg)
    assert full.recovery == 1.0


def test_basket_price_element_basis_converts_with_oxide_factors():
    grades = {"Nd": 300.0, "Ce": 700.0}  # ppm element
    bp = basket_price(grades, PRICES, basis="element")
    nd_ox, ce_ox = 300.0 * oxide_factor("Nd"), 700.0 * oxide_factor("Ce")
    expected = (nd_ox * 60.0 + ce_ox * 1.5) / (nd_ox + ce_ox)
    assert bp.value_usd_kg == pytest.approx(expected)
    assert bp.contributions["share"].sum() == pytest.approx(1.0)


def test_basket_price_missing_price_raises_naming_it():
    with pytest.raises(InputError, match="Sm2O3"):
        basket_price({"Nd2O3": 0.8, "Sm2O3": 0.2}, PRICES)


def test_basket_price_missing_exclude_reports_what_was_left_out():
    bp = basket_price({"Nd2O3": 0.8, "Sm2O3": 0.15, "Gd2O3": 0.05}, PRICES,
                      missing="exclude")
    assert bp.excluded == ("Sm2O3", "Gd2O3")
    assert bp.excluded_share == pytest.approx(0.2)
    assert bp.value_usd_kg == pytest.approx(0.8 * 60.0)  # not renormalised
    assert "EXCLUDED" in repr(bp) and "Sm2O3" in repr(bp)


@pytest.mark.parametrize(
    ("shares", "recoveries", "match"),
    [
        ({"Nd2O3": 0.5, "CeO2": 0.4}, None, "0.9"),
        ({"Nd2O3": 1.2, "CeO2": -0.2}, None, "-0.2"),
        ({"Nd2O3": 0.5, "Zz2O3": 0.5}, None, "Zz2O3"),
        ({"Nd2O3": 0.5, "CeO2": 0.5}, 1.2, "1.2"),
        ({"Nd2O3": 0.5, "CeO2": 0.5}, {"Nd2O3": 0.9}, "CeO2"),
        ({"Nd2O3": 0.5, "CeO2": 0.5}, {"Nd2O3": 0.9, "CeO2": -0.1}, "-0.1"),
        ({"Nd2O3": 0.5, "Nd": 0.5}, None, "twice"),
    ],
)
def test_basket_price_bad_input(shares, recoveries, match):
    with pytest.raises(InputError, match=match):
        basket_price(shares, PRICES, recoveries)


def test_basket_price_negative_price_in_mapping():
    with pytest.raises(InputError, match="-60"):
        basket_price({"Nd2O3": 1.0}, {"Nd2O3": -60.0})


def test_basket_price_normalize():
    bp = basket_price({"Nd2O3": 2.0, "CeO2": 6.0}, PRICES, normalize=True)
    assert bp.value_usd_kg == pytest.approx(0.25 * 60 + 0.75 * 1.5)


@given(st.lists(st.floats(0.01, 10.0), min_size=2, max_size=4),
       st.floats(0.0, 1.0))
def test_basket_price_bounded_by_cheapest_and_dearest(amounts, recovery):
    oxides = ["Nd2O3", "Pr6O11", "CeO2", "Dy2O3"][: len(amounts)]
    bp = basket_price(dict(zip(oxides, amounts, strict=False)), PRICES, recovery,
                      normalize=True)
    p = [PRICES[o] for o in oxides]
    assert min(p) * recovery - 1e-9 <= bp.value_usd_kg <= max(p) * recovery + 1e-9


# ----------------------------------------------------------------------- block values


def test_in_situ_value_by_hand():
    g = {"nd2o3_pct": np.array([0.1, 0.4, np.nan]), "ce_ppm": np.array([1000.0, 0.0, 10.0])}
    v = in_situ_value(g, PRICES)
    ce = 1000.0 * 1e-6 * oxide_factor("Ce") * 1000.0 * 1.5
    np.testing.assert_allclose(v.values_usd_t[:2], [1.0 * 60.0 + ce, 4.0 * 60.0])
    assert np.isnan(v.values_usd_t[2])  # NaN in -> NaN out
    assert v.components == ("Nd2O3", "CeO2")


def test_nsr_on_arrays_by_hand():
    g = {"nd2o3_pct": np.array([0.2, 0.5]), "dy2o3_ppm": np.array([100.0, 300.0])}
    nsr = net_smelter_return(
        g, PRICES, recoveries={"Nd2O3": 0.8, "Dy2O3": 0.6},
        payability={"Nd2O3": 0.9, "Dy2O3": 0.8}, refining_usd_kg=5.0,
        transport_usd_kg={"Nd2O3": 1.0, "Dy2O3": 2.0}, royalty_pct=4.0)
    # per kg of oxide in ore: Nd 0.8*(60*0.9-6) = 38.4; Dy 0.6*(300*0.8-7) = 139.8
    # block 1: 2 kg/t Nd2O3, 0.1 kg/t Dy2O3 -> (76.8 + 13.98) * 0.96
    # block 2: 5 kg/t Nd2O3, 0.3 kg/t Dy2O3 -> (192 + 41.94) * 0.96
    np.testing.assert_allclose(nsr.values_usd_t, [87.1488, 224.5824])
    assert nsr.terms["royalty_pct"] == pytest.approx(4.0)
    assert nsr.terms["recovery"] == {"Nd2O3": 0.8, "Dy2O3": 0.6}
    assert nsr.price_dates == ("unstated",)


def test_nsr_on_dataframe_keeps_index_and_lists_ignored_columns():
    df = pd.DataFrame({"hole": ["A", "B"], "nd2o3_pct": [0.1, 0.2], "treo_pct": [1.0, 2.0]},
                      index=[10, 11])
    nsr = net_smelter_return(df, default_prices(), recoveries=0.5)
    assert list(nsr.values_usd_t.index) == [10, 11]
    np.testing.assert_allclose(nsr.values_usd_t, [28.0, 56.0])
    assert nsr.ignored_columns == ("hole", "treo_pct")
    assert nsr.values_usd_t.name == "nsr_usd_t"


def test_nsr_negative_where_deductions_exceed_price():
    nsr = net_smelter_return({"ceo2_pct": [1.0]}, PRICES, recoveries=1.0,
                             refining_usd_kg=2.0)
    assert nsr.values_usd_t[0] == pytest.approx(10.0 * (1.5 - 2.0))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"recoveries": 1.5}, "1.5"),
        ({"recoveries": 0.8, "payability": -0.1}, "-0.1"),
        ({"recoveries": 0.8, "royalty_pct": 120.0}, "120"),
        ({"recoveries": 0.8, "refining_usd_kg": -1.0}, "-1"),
        ({"recoveries": {"Dy2O3": 0.8}}, "Nd2O3"),
    ],
)
def test_nsr_bad_terms(kwargs, match):
    with pytest.raises(InputError, match=match):
        net_smelter_return({"nd2o3_pct": [0.1]}, PRICES, **kwargs)


def test_block_value_bad_grades():
    with pytest.raises(InputError, match="foo_pct"):
        in_situ_value({"foo_pct": [0.1]}, PRICES)
    with pytest.raises(InputError, match="negative"):
        in_situ_value({"nd2o3_pct": [-0.1]}, PRICES)
    with pytest.raises(InputError, match="both hold Nd"):
        in_situ_value({"nd2o3_pct": [0.1], "nd_ppm": [10.0]}, PRICES)
    with pytest.raises(InputError, match="Sm2O3"):
        in_situ_value({"sm2o3_pct": [0.1]}, PRICES)


def test_in_situ_value_exclude_missing():
    v = in_situ_value({"nd2o3_pct": [0.1], "sm2o3_pct": [0.1]}, PRICES, missing="exclude")
    assert v.excluded == ("Sm2O3",)
    np.testing.assert_allclose(v.values_usd_t, [60.0])


# ------------------------------------------------------------------------ equivalents


def test_equivalent_grade_by_hand():
    g = {"nd2o3_pct": np.array([0.3, 0.1]), "dy2o3_ppm": np.array([100.0, 500.0])}
    rec = {"Nd2O3": 0.8, "Dy2O3": 0.6}
    eq = equivalent_grade(g, PRICES, recoveries=rec, reference="Nd2O3", recoverable=True)
    factor = 300.0 * 0.6 / (60.0 * 0.8)  # 3.75
    np.testing.assert_allclose(eq.values, [0.3 + 0.01 * factor, 0.1 + 0.05 * factor])
    assert eq.name == "nd2o3_eq_pct" and eq.unit == "pct"
    assert eq.factors.loc["Dy2O3", "factor"] == pytest.approx(factor)
    assert "3.75 x Dy2O3" in eq.formula
    assert "Clause 50" in eq.statement


def test_equivalent_grade_against_basket_reference():
    rec = {"Nd2O3": 0.8, "Pr6O11": 0.8, "Dy2O3": 0.6}
    ndpr = basket_price({"Nd2O3": 0.8, "Pr6O11": 0.2}, PRICES, rec, name="NdPr")
    ref = 0.8 * 60 * 0.8 + 0.2 * 62 * 0.8
    eq = equivalent_grade({"nd2o3_ppm": [2000.0], "dy2o3_ppm": [100.0]}, PRICES,
                          recoveries=rec, reference=ndpr, recoverable="Per metallurgical "
                          "testwork (report 12), all are recoverable and saleable.",
                          unit="ppm")
    expected = (2000.0 * 60 * 0.8 + 100.0 * 300 * 0.6) / ref
    np.testing.assert_allclose(eq.values, [expected])
    assert eq.name == "ndpr_eq_ppm"
    assert eq.statement.startswith("Per metallurgical")


@pytest.mark.parametrize("recoverable", [None, False, "", "   "])
def test_equivalent_grade_refuses_without_recoverability_statement(recoverable):
    with pytest.raises(InputError, match="Clause 50"):
        equivalent_grade({"nd2o3_pct": [0.3]}, PRICES, recoveries=0.8, reference="Nd2O3",
                         recoverable=recoverable)


def test_equivalent_grade_refuses_component_without_price():
    with pytest.raises(InputError, match="Sm2O3"):
        equivalent_grade({"nd2o3_pct": [0.3], "sm2o3_pct": [0.1]}, PRICES, recoveries=0.8,
                         reference="Nd2O3", recoverable=True)


def test_equivalent_grade_refuses_component_without_recovery():
    with pytest.raises(InputError, match="Dy2O3"):
        equivalent_grade({"nd2o3_pct": [0.3], "dy2o3_pct": [0.01]}, PRICES,
                         recoveries={"Nd2O3": 0.8}, reference="Nd2O3", recoverable=True)
    with pytest.raises(InputError, match="recoveries is required"):
        equivalent_grade({"nd2o3_pct": [0.3]}, PRICES, recoveries=None, reference="Nd2O3",
                         recoverable=True)


def test_equivalent_grade_refuses_reference_without_price_or_recovery():
    with pytest.raises(InputError, match="Sm2O3"):
        equivalent_grade({"nd2o3_pct": [0.3]}, PRICES, recoveries=0.8, reference="Sm2O3",
                         recoverable=True)
    with pytest.raises(InputError, match="> 0"):
        equivalent_grade({"nd2o3_pct": [0.3]}, PRICES, recoveries=0.0, reference="Nd2O3",
                         recoverable=True)


# ---------------------------------------------------------------------------- cut-offs


def test_breakeven_cutoff_by_hand():
    c = breakeven_cutoff("Nd2O3", PRICES, recovery=0.8, mining_usd_t=12.0,
                         processing_usd_t=30.0, ga_usd_t=6.0, payability=0.95,
                         royalty_pct=3.0, selling_usd_kg=2.5)
    # net per kg Nd2O3 in ore: 0.8 * (60*0.95*0.97 - 2.5) = 42.232
    frac = 48.0 / (1000.0 * 0.8 * (60.0 * 0.95 * 0.97 - 2.5))
    assert c.cutoff == pytest.approx(100.0 * frac)
    assert c.cutoff == pytest.approx(0.113658, rel=1e-5)
    assert c.unit == "pct" and c.name == "nd2o3_pct" and c.kind == "break-even"
    assert c.cost_usd_t == 48.0 and c.price_usd_kg == 60.0
    assert c.price_dates == ("unstated",)
    assert "Lane 1988" in c.formula


def test_marginal_cutoff_is_processing_only_and_lower():
    kw = {"recovery": 0.7, "payability": 0.9, "royalty_pct": 2.0, "unit": "ppm"}
    be = breakeven_cutoff("Nd2O3", default_prices(), mining_usd_t=15.0,
                          processing_usd_t=35.0, ga_usd_t=5.0, **kw)
    mg = marginal_cutoff("Nd2O3", default_prices(), processing_usd_t=35.0, **kw)
    net = 0.7 * 56.0 * 0.9 * 0.98
    assert mg.cutoff == pytest.approx(35.0 / (1000.0 * net) * 1e6)
    assert be.cutoff == pytest.approx(55.0 / (1000.0 * net) * 1e6)
    assert mg.cutoff < be.cutoff and mg.kind == "marginal"
    assert mg.price_dates == ("2024",) and mg.price_sources == (MCS2025_SOURCE,)


def test_cutoff_vectorised_over_costs():
    c = breakeven_cutoff("Nd2O3", PRICES, recovery=1.0, mining_usd_t=np.array([0.0, 60.0]),
                         processing_usd_t=60.0)
    np.testing.assert_allclose(c.cutoff, [0.1, 0.2])


def test_cutoff_on_a_basket():
    bp = basket_price({"Nd2O3": 0.2, "CeO2": 0.8}, PRICES)
    c = breakeven_cutoff(bp, recovery=0.5, mining_usd_t=5.0, processing_usd_t=10.0)
    assert isinstance(bp, BasketPrice)
    assert c.cutoff == pytest.approx(100.0 * 15.0 / (1000.0 * 0.5 * (0.2 * 60 + 0.8 * 1.5)))
    assert c.name == "treo_pct" and c.reference == "TREO"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"recovery": 1.2}, "1.2"),
        ({"recovery": 0.0}, "recovery"),
        ({"recovery": 0.8, "mining_usd_t": -1.0}, "-1"),
        ({"recovery": 0.8, "selling_usd_kg": 80.0}, "> 0"),
    ],
)
def test_cutoff_bad_input(kwargs, match):
    base = {"mining_usd_t": 5.0, "processing_usd_t": 10.0}
    with pytest.raises(InputError, match=match):
        breakeven_cutoff("Nd2O3", PRICES, **{**base, **kwargs})


def test_cutoff_needs_a_price():
    with pytest.raises(InputError, match="Pr6O11"):
        breakeven_cutoff("Pr6O11", default_prices(), recovery=0.8, mining_usd_t=5.0,
                         processing_usd_t=10.0)


def test_every_result_states_price_date_and_source():
    p = default_prices()
    results = [
        basket_price({"Nd2O3": 1.0}, p),
        in_situ_value({"nd2o3_pct": [0.1]}, p),
        net_smelter_return({"nd2o3_pct": [0.1]}, p, recoveries=0.8),
        equivalent_grade({"nd2o3_pct": [0.1]}, p, recoveries=0.8, reference="Nd2O3",
                         recoverable=True),
        breakeven_cutoff("Nd2O3", p, recovery=0.8, mining_usd_t=1.0, processing_usd_t=1.0),
    ]
    for r in results:
        assert r.price_dates == ("2024",)
        assert r.price_sources == (MCS2025_SOURCE,)
        text = repr(r)
        assert "price date: 2024" in text and "U.S. Geological Survey" in text
        assert len(text) < 600 and len(text.splitlines()) <= 8
        assert "2024" in r._repr_html_()
