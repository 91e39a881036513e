"""Tests of raremin.chemistry: elements, oxide factors, baskets and grade conversions."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from raremin.chemistry import (
    BASKET_CONVENTIONS,
    BASKET_NAMES,
    ELEMENTS,
    OXIDE_FACTORS,
    OXYGEN_ATOMIC_WEIGHT,
    RARE_EARTHS,
    Basket,
    Element,
    GradeColumn,
    basket,
    basket_shares,
    basket_total,
    element,
    element_to_oxide,
    grade_columns,
    oxide_factor,
    oxide_formula,
    oxide_to_element,
    parse_grade_column,
    tree_to_treo,
    treo_to_tree,
)
from raremin.errors import BasisError, ChemistryError, InputError

# Published element-to-oxide factors (4 decimals).
PUBLISHED_FACTORS = {
    "La": 1.1728,
    "Ce": 1.2284,
    "Pr": 1.2082,
    "Nd": 1.1664,
    "Sm": 1.1596,
    "Eu": 1.1579,
    "Gd": 1.1526,
    "Tb": 1.1762,
    "Dy": 1.1477,
    "Ho": 1.1455,
    "Er": 1.1435,
    "Tm": 1.1421,
    "Yb": 1.1387,
    "Lu": 1.1372,
    "Y": 1.2699,
    "Sc": 1.5338,
}
NATURAL = tuple(s for s in ELEMENTS if s != "Pm")
LANTHANIDES = ("La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu")


# ------------------------------------------------------------------------- elements


@pytest.mark.parametrize(("symbol", "expected"), sorted(PUBLISHED_FACTORS.items()))
def test_oxide_factor_matches_published_table(symbol, expected):
    assert oxide_factor(symbol) == pytest.approx(expected, abs=1e-4)
    assert OXIDE_FACTORS[symbol] == oxide_factor(symbol)


def test_ce_factor_is_computed_from_atomic_weights():
    assert OXIDE_FACTORS["Ce"] == pytest.approx((140.116 + 2 * 15.999) / 140.116, abs=1e-12)


def test_factors_follow_formula_for_every_element():
    for symbol, el in RARE_EARTHS.items():
        metal = el.cations * el.atomic_weight
        expected = (metal + el.oxygens * OXYGEN_ATOMIC_WEIGHT) / metal
        assert OXIDE_FACTORS[symbol] == pytest.approx(expected, rel=1e-15)


def test_element_table():
    assert ELEMENTS == (
        "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb",
        "Lu", "Y", "Sc",
    )  # fmt: skip
    assert tuple(RARE_EARTHS) == ELEMENTS
    assert set(OXIDE_FACTORS) == set(ELEMENTS)
    pr = RARE_EARTHS["Pr"]
    assert (pr.oxide_formula, pr.cations, pr.oxygens) == ("Pr6O11", 6, 11)
    tb = RARE_EARTHS["Tb"]
    assert (tb.oxide_formula, tb.cations, tb.oxygens) == ("Tb4O7", 4, 7)
    assert RARE_EARTHS["Ce"].oxide_formula == "CeO2"
    pm = RARE_EARTHS["Pm"]
    assert pm.natural is False and pm.atomic_weight == 145 and pm.oxide_formula == "Pm2O3"
    assert all(RARE_EARTHS[s].natural for s in NATURAL)
    assert RARE_EARTHS["Y"].atomic_number == 39 and RARE_EARTHS["Lu"].atomic_number == 71


def test_constants_are_read_only():
    with pytest.raises(TypeError):
        OXIDE_FACTORS["Nd"] = 1.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        RARE_EARTHS["Nd"].atomic_weight = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("query", ["Nd", "nd", "ND", " neodymium ", "Neodymium", "Nd2O3", "nd2o3"])
def test_element_lookup_spellings(query):
    assert element(query) is RARE_EARTHS["Nd"]


def test_element_lookup_oxides_and_instances():
    assert element("pr6o11").symbol == "Pr"
    assert element("CeO2").symbol == "Ce"
    assert element("y").symbol == "Y"
    assert element(RARE_EARTHS["Sc"]) is RARE_EARTHS["Sc"]
    assert oxide_formula("terbium") == "Tb4O7"
    assert oxide_formula("sc") == "Sc2O3"


@pytest.mark.parametrize("bad", ["Xx", "Pr2O3", "neodym", "", 60, None])
def test_unknown_element_raises_with_name_and_known_symbols(bad):
    with pytest.raises(ChemistryError, match="unknown rare-earth element") as info:
        element(bad)
    assert repr(bad) in str(info.value)
    assert "La, Ce, Pr, Nd" in str(info.value)


def test_oxide_factor_unknown_raises():
    with pytest.raises(ChemistryError, match="'Fe'"):
        oxide_factor("Fe")


def test_element_validates_fields():
    with pytest.raises(ChemistryError, match="does not match"):
        Element("Nd", "neodymium", 60, 144.242, "Nd2O5", 2, 3)
    with pytest.raises(ChemistryError, match="atomic weight"):
        Element("Nd", "neodymium", 60, -1.0, "Nd2O3", 2, 3)
    with pytest.raises(ChemistryError, match="cations"):
        Element("Nd", "neodymium", 60, 144.242, "NdO3", 0, 3)


# -------------------------------------------------------------------------- baskets


def test_treo_membership_and_switches():
    assert basket("treo").elements == LANTHANIDES + ("Y",)
    assert basket("TREE").elements == LANTHANIDES + ("Y",)
    assert basket("treo", include_y=False).elements == LANTHANIDES
    assert basket("treo", include_sc=True).elements == LANTHANIDES + ("Y", "Sc")
    assert basket("treo", include_y=False, include_sc=True).elements == LANTHANIDES + ("Sc",)
    assert all("Pm" not in basket(n).elements for n in BASKET_NAMES)


@pytest.mark.parametrize(
    ("convention", "light"),
    [
        ("eu-lu+y", ("La", "Ce", "Pr", "Nd", "Sm")),
        ("gd-lu+y", ("La", "Ce", "Pr", "Nd", "Sm", "Eu")),
        ("tb-lu+y", ("La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd")),
    ],
)
def test_lreo_hreo_conventions(convention, light):
    heavy = LANTHANIDES[len(light) :]
    assert basket("lreo", convention=convention).elements == light
    assert basket("LREE", convention=convention.upper()).elements == light
    assert basket("hreo", convention=convention).elements == heavy + ("Y",)
    assert basket("hree", convention=convention, include_y=False).elements == heavy
    # light + heavy partition the lanthanides (without Pm)
    assert set(light) | set(heavy) == set(LANTHANIDES) and not set(light) & set(heavy)


def test_default_convention_is_eu_lu_plus_y():
    assert basket("hreo").elements == ("Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y")
    assert "convention 'eu-lu+y'" in basket("hreo").description
    assert BASKET_CONVENTIONS == ("eu-lu+y", "gd-lu+y", "tb-lu+y")


def test_other_named_baskets():
    assert basket("mreo").elements == ("Nd", "Pr", "Dy", "Tb")
    assert basket("MREE").elements == ("Nd", "Pr", "Dy", "Tb")
    assert basket("NdPr").elements == ("Nd", "Pr")
    assert basket("ndpr").oxides == ("Nd2O3", "Pr6O11")
    assert basket("creo").elements == ("Nd", "Eu", "Tb", "Dy", "Y")
    assert basket("cree", include_y=False).elements == ("Nd", "Eu", "Tb", "Dy")
    assert [basket(n).name for n in BASKET_NAMES] == list(BASKET_NAMES)


def test_describe_states_y_and_sc():
    text = basket("treo").describe()
    assert text.startswith("TREO = La2O3 + CeO2 + Pr6O11 + Nd2O3 + Sm2O3")
    assert text.endswith("Lu2O3 + Y2O3 (Y included, Sc excluded)")
    assert "(Y excluded, Sc excluded)" in basket("treo", include_y=False).describe()
    assert "(Y included, Sc included)" in basket("treo", include_sc=True).describe()
    assert basket("ndpr").describe() == "NdPr = Nd2O3 + Pr6O11 (Y excluded, Sc excluded)"
    assert "\n" not in text


def test_custom_baskets():
    custom = basket(["dy", "Tb4O7"])
    assert custom.name == "custom" and custom.elements == ("Dy", "Tb")
    named = Basket("HeavyMag", ("Dy", "Tb"), "magnet heavies")
    assert basket(named) is named
    assert basket(named, include_y=False) is named
    assert Basket("x", ["Nd"]).elements == ("Nd",)  # list stored as a tuple


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ((), "no element"),
        (("Nd", "Pm"), "Pm"),
        (("Nd", "nd2o3"), "Nd more than once"),
        (("Nd", "Fe"), "'Fe'"),
        ("NdPr", "sequence of symbols"),
    ],
)
def test_basket_validation(members, message):
    with pytest.raises(ChemistryError, match=message):
        Basket("bad", members)


def test_basket_needs_a_name():
    with pytest.raises(ChemistryError, match="non-empty name"):
        Basket("  ", ("Nd",))


def test_unknown_basket_and_convention():
    with pytest.raises(ChemistryError, match="unknown basket 'xreo'.*TREO, LREO"):
        basket("xreo")
    with pytest.raises(ChemistryError, match=r"basket\(\['Nd'\]\)"):
        basket("Nd")
    with pytest.raises(ChemistryError, match="unknown LREO/HREO convention 'la-nd'.*eu-lu"):
        basket("lreo", convention="la-nd")
    with pytest.raises(ChemistryError, match="'Xx'"):
        basket(["Nd", "Xx"])
    with pytest.raises(ChemistryError, match="basket must be"):
        basket(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- grade columns


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nd_ppm", ("Nd", "element", "ppm")),
        ("La_PCT", ("La", "element", "pct")),
        ("y_gpt", ("Y", "element", "g/t")),
        ("sc_kgpt", ("Sc", "element", "kg/t")),
        ("ce_frac", ("Ce", "element", "fraction")),
        ("nd2o3_pct", ("Nd", "oxide", "pct")),
        ("ceo2_ppm", ("Ce", "oxide", "ppm")),
        ("Pr6O11_ppm", ("Pr", "oxide", "ppm")),
        ("tb4o7_gpt", ("Tb", "oxide", "g/t")),
        ("nd_ppb", ("Nd", "element", "ppb")),
        ("ND_PPM", ("Nd", "element", "ppm")),
        ("Nd (ppm)", ("Nd", "element", "ppm")),
        ("Nd2O3_%", ("Nd", "oxide", "pct")),
        ("nd2o3_wt%", ("Nd", "oxide", "pct")),
        ("Y g/t", ("Y", "element", "g/t")),
    ],
)
def test_parse_grade_column(name, expected):
    col = parse_grade_column(name)
    assert isinstance(col, GradeColumn)
    assert (col.element, col.basis, col.unit) == expected


@pytest.mark.parametrize(
    "name",
    ["hole_id", "x", "treo_pct", "tree_ppm", "ndpr_pct", "nd", "cu_ppm", "neodymium_ppm",
     "pr2o3_pct", "nd_ppm_2", "", 3, None],
)  # fmt: skip
def test_parse_non_grade_columns(name):
    assert parse_grade_column(name) is None


def test_grade_column_names():
    assert GradeColumn("nd", "oxide", "%").name == "nd2o3_pct"
    assert GradeColumn("Y", "element", "g/t").name == "y_gpt"
    with pytest.raises(BasisError, match="'metal'"):
        GradeColumn("Nd", "metal", "ppm")


def test_grade_columns_of_frame():
    df = pd.DataFrame(columns=["hole_id", "x", "la_ppm", "nd2o3_pct", "treo_pct"])
    found = grade_columns(df)
    assert list(found) == ["la_ppm", "nd2o3_pct"]
    assert found["nd2o3_pct"] == GradeColumn("Nd", "oxide", "pct")
    assert grade_columns(["y_ppm", "depth_m"]) == {"y_ppm": GradeColumn("Y", "element", "ppm")}


# --------------------------------------------------------------------- conversions


def test_array_conversion_uses_last_axis():
    grades = np.array([[[100.0, 200.0, 300.0]], [[0.0, 10.0, 1.0]]])  # shape (2, 1, 3)
    elements = ["La", "Pr", "Tb"]
    f = np.array([OXIDE_FACTORS[s] for s in elements])
    oxide = element_to_oxide(grades, elements)
    assert oxide.shape == grades.shape
    np.testing.assert_allclose(oxide, grades * f, rtol=1e-15)
    np.testing.assert_allclose(oxide_to_element(oxide, elements), grades, rtol=1e-14)
    # oxide formulas name the same elements
    np.testing.assert_allclose(oxide_to_element(oxide, ["La2O3", "Pr6O11", "Tb4O7"]), grades)


def test_array_conversion_needs_matching_elements():
    with pytest.raises(InputError, match="elements= is required"):
        element_to_oxide(np.ones((2, 3)))
    with pytest.raises(InputError, match="length 3"):
        element_to_oxide(np.ones((2, 3)), ["La", "Ce"])
    with pytest.raises(InputError, match="Ce more than once"):
        element_to_oxide(np.ones((2, 2)), ["Ce", "ce"])
    with pytest.raises(ChemistryError, match="'Zz'"):
        element_to_oxide(np.ones((2, 2)), ["Ce", "Zz"])
    with pytest.raises(InputError, match="scalar"):
        element_to_oxide(5.0, ["Ce"])


def test_frame_round_trip_keeps_other_columns():
    df = pd.DataFrame(
        {
            "hole_id": ["K1", "K2", "K3"],
            "nd_ppm": [300.0, 0.0, 1250.5],
            "depth_m": [1.0, 2.0, 3.0],
            "pr_pct": [0.008, 0.0, 0.03],
            "treo_pct": [0.2, 0.0, 0.5],
        },
        index=[10, 20, 30],
    )
    oxide = element_to_oxide(df)
    assert list(oxide.columns) == ["hole_id", "nd2o3_ppm", "depth_m", "pr6o11_pct", "treo_pct"]
    assert oxide.index.equals(df.index)
    pd.testing.assert_series_equal(oxide["hole_id"], df["hole_id"])
    pd.testing.assert_series_equal(oxide["depth_m"], df["depth_m"])
    pd.testing.assert_series_equal(oxide["treo_pct"], df["treo_pct"])
    np.testing.assert_allclose(oxide["nd2o3_ppm"], df["nd_ppm"] * OXIDE_FACTORS["Nd"])
    np.testing.assert_allclose(oxide["pr6o11_pct"], df["pr_pct"] * OXIDE_FACTORS["Pr"])
    back = oxide_to_element(oxide)
    assert list(back.columns) == list(df.columns)
    pd.testing.assert_frame_equal(back, df, check_exact=False, rtol=1e-14)
    # the input frame is not modified
    assert list(df.columns)[1] == "nd_ppm"


def test_frame_conversion_errors():
    oxide_only = pd.DataFrame({"hole_id": ["a"], "nd2o3_ppm": [1.0]})
    with pytest.raises(BasisError, match=r"no element-basis grade column.*'nd2o3_ppm'"):
        element_to_oxide(oxide_only)
    with pytest.raises(BasisError, match="no oxide-basis"):
        oxide_to_element(pd.DataFrame({"nd_ppm": [1.0]}))
    both = pd.DataFrame({"nd_ppm": [1.0], "nd2o3_ppm": [1.2]})
    with pytest.raises(BasisError, match="'nd2o3_ppm', which already exists"):
        element_to_oxide(both)
    with pytest.raises(InputError, match="elements="):
        element_to_oxide(pd.DataFrame({"nd_ppm": [1.0]}), ["Nd"])


def test_integer_columns_are_converted():
    df = pd.DataFrame({"la_ppm": [1000, 2000]})
    out = element_to_oxide(df)
    np.testing.assert_allclose(out["la2o3_ppm"], [1172.77, 2345.54], atol=0.01)
    assert out["la2o3_ppm"].dtype == np.float64


# -------------------------------------------------------------------- invalid grades


@pytest.mark.parametrize(
    ("value", "message"),
    [(-5.0, r"negative.*-5\.0"), (1.5e6, r"over 100 %.*1500000\.0"), (np.nan, "nan")],
)
def test_invalid_array_grades_raise(value, message):
    grades = np.array([[10.0, 20.0], [30.0, value]])
    with pytest.raises(InputError, match=message):
        element_to_oxide(grades, ["La", "Ce"])
    with pytest.raises(InputError, match=message):
        basket_total(grades, ["La", "Ce"], elements=["La", "Ce"], basis="element")


def test_over_100_percent_uses_unit():
    grades = np.array([[50.0, 150.0]])
    element_to_oxide(grades, ["La", "Ce"])  # fine in ppm
    with pytest.raises(InputError, match=r"over 100 %.*150\.0 pct"):
        element_to_oxide(grades, ["La", "Ce"], unit="%")


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1.0, r"'ce_pct' has 1 negative.*-1\.0"), (101.0, r"'ce_pct'.*over 100 %.*101\.0"),
     (np.nan, r"'ce_pct'.*nan")],
)  # fmt: skip
def test_invalid_frame_grades_raise(value, message):
    df = pd.DataFrame({"la_pct": [0.1, 0.2], "ce_pct": [0.3, value]})
    with pytest.raises(InputError, match=message):
        element_to_oxide(df)
    with pytest.raises(InputError, match=message):
        basket_total(df, ["La", "Ce"])


def test_allow_nan_propagates():
    grades = np.array([[10.0, np.nan], [1.0, 2.0]])
    out = element_to_oxide(grades, ["La", "Ce"], allow_nan=True)
    assert np.isnan(out[0, 1]) and np.isfinite(out[1]).all()
    total = basket_total(grades, ["La", "Ce"], elements=["La", "Ce"], basis="element",
                         allow_nan=True)  # fmt: skip
    assert np.isnan(total[0]) and total[1] > 0


# ---------------------------------------------------------------------- basket totals


def _element_frame():
    return pd.DataFrame(
        {
            "hole_id": ["K1", "K2", "K3"],
            "nd_ppm": [300.0, 120.0, 0.0],
            "pr_ppm": [80.0, 30.0, 0.0],
            "dy_ppm": [12.0, 4.0, 0.0],
            "tb_ppm": [2.0, 0.5, 0.0],
        }
    )


def test_basket_total_frame_equals_sum_of_member_columns():
    df = _element_frame()
    total = basket_total(df, "mreo")
    expected = sum(df[f"{s.lower()}_ppm"] * OXIDE_FACTORS[s] for s in ("Nd", "Pr", "Dy", "Tb"))
    assert total.name == "mreo_ppm"
    np.testing.assert_allclose(total, expected, rtol=1e-14)
    assert total.index.equals(df.index)
    el_total = basket_total(df, "mreo", result_basis="element")
    assert el_total.name == "mreo_el_ppm"
    np.testing.assert_allclose(el_total, df[["nd_ppm", "pr_ppm", "dy_ppm", "tb_ppm"]].sum(axis=1))


def test_basket_total_oxide_frame_and_names():
    ox = element_to_oxide(_element_frame())
    total = basket_total(ox, "ndpr", unit="pct")
    assert total.name == "ndpr_pct"
    np.testing.assert_allclose(total, (ox["nd2o3_ppm"] + ox["pr6o11_ppm"]) / 10_000, rtol=1e-14)
    tree = basket_total(ox, "ndpr", result_basis="element")
    np.testing.assert_allclose(tree, [380.0, 150.0, 0.0], rtol=1e-14)


def test_treo_series_names():
    df = pd.DataFrame({c: [1.0] for c in [f"{s.lower()}_ppm" for s in LANTHANIDES + ("Y",)]})
    assert basket_total(df, "treo").name == "treo_ppm"
    assert basket_total(df, "treo", result_basis="element").name == "tree_ppm"
    assert basket_total(df, "treo", result_basis="element").iloc[0] == pytest.approx(15.0)
    assert basket_total(df, ["Nd", "Pr"]).name == "custom_ppm"
    assert basket_total(df, Basket("Dy Tb", ("Dy", "Tb"))).name == "dy_tb_ppm"


def test_basket_total_converts_units():
    df = pd.DataFrame({"nd_pct": [0.03], "pr_ppm": [80.0]})
    total = basket_total(df, "ndpr")
    assert total.name == "ndpr_pct"  # unit of the first member column
    expected = 0.03 * OXIDE_FACTORS["Nd"] + 0.008 * OXIDE_FACTORS["Pr"]
    assert total.iloc[0] == pytest.approx(expected, rel=1e-14)
    in_ppm = basket_total(df, "ndpr", unit="g/t")
    assert in_ppm.name == "ndpr_gpt"
    assert in_ppm.iloc[0] == pytest.approx(expected * 10_000, rel=1e-14)


def test_basket_total_prefers_result_basis_when_both_complete():
    df = pd.DataFrame({"nd_ppm": [100.0], "nd2o3_ppm": [999.0]})
    assert basket_total(df, ["Nd"]).iloc[0] == 999.0  # oxide column used as is
    assert basket_total(df, ["Nd"], result_basis="element").iloc[0] == 100.0
    # basis= restricts the columns used
    oxide_from_element = basket_total(df, ["Nd"], basis="element").iloc[0]
    assert oxide_from_element == pytest.approx(100.0 * OXIDE_FACTORS["Nd"])


def test_mixed_bases_convert_each_member():
    df = pd.DataFrame({"hole_id": ["a"], "nd_ppm": [300.0], "pr6o11_ppm": [100.0]})
    expected = 300.0 * OXIDE_FACTORS["Nd"] + 100.0
    assert basket_total(df, "ndpr").iloc[0] == pytest.approx(expected, rel=1e-14)
    assert basket_total(element_to_oxide(df), "ndpr").iloc[0] == pytest.approx(expected)
    tree = basket_total(df, "ndpr", result_basis="element").iloc[0]
    assert tree == pytest.approx(300.0 + 100.0 / OXIDE_FACTORS["Pr"], rel=1e-14)
    shares = basket_shares(df, "ndpr")
    assert shares.iloc[0].sum() == pytest.approx(1.0)
    assert shares.iloc[0, 1] == pytest.approx(100.0 / expected)


@pytest.mark.parametrize(
    ("columns", "unit", "basis", "expected"),
    [
        (["nd_ppm", "pr_ppm"], "ppm", "oxide", [OXIDE_FACTORS["Nd"], OXIDE_FACTORS["Pr"]]),
        (["nd_pct", "pr6o11_ppm"], "ppm", "oxide", [1e4 * OXIDE_FACTORS["Nd"], 1.0]),
        (["nd2o3_ppm", "pr6o11_ppm"], "pct", "element",
         [1e-4 / OXIDE_FACTORS["Nd"], 1e-4 / OXIDE_FACTORS["Pr"]]),
        (["nd_ppm", "cu_pct", "treo_pct", "hole_id"], "ppm", "oxide",
         [OXIDE_FACTORS["Nd"], 0.0, 0.0, 0.0]),
        # another oxide than the reporting one: converted through the element
        (["pr2o3_ppm"], "ppm", "oxide",
         [2 * 140.90766 / (2 * 140.90766 + 3 * 15.999) * OXIDE_FACTORS["Pr"]]),
    ],
)  # fmt: skip
def test_basket_weights_table(columns, unit, basis, expected):
    from raremin.chemistry import basket_weights

    w, present, absent = basket_weights(columns, "ndpr", result_basis=basis, unit=unit)
    np.testing.assert_allclose(w, expected, rtol=1e-13)
    assert set(present) | set(absent) == {"Nd", "Pr"}


def test_basket_weights_refuse_two_columns_for_one_member():
    from raremin.chemistry import basket_weights

    with pytest.raises(InputError, match="'nd_ppm' and 'nd2o3_pct' both hold Nd"):
        basket_weights(["nd_ppm", "nd2o3_pct"], "ndpr")


def test_missing_members_raise_or_zero():
    df = _element_frame().drop(columns=["dy_ppm", "tb_ppm"])
    with pytest.raises(ChemistryError, match=r"needs Dy, Tb.*columns seen: \['hole_id'"):
        basket_total(df, "mreo")
    with pytest.warns(UserWarning, match="no grade for Dy, Tb") as record:
        total = basket_total(df, "mreo", missing="zero")
    assert record[0].filename == __file__  # stacklevel points at the caller
    np.testing.assert_allclose(total, basket_total(df, "ndpr"), rtol=1e-15)
    with pytest.raises(ChemistryError,
                       match=r"no member of basket NdPr \(Nd, Pr\) is in the grade columns"):
        basket_total(pd.DataFrame({"x": [1.0]}), "ndpr", missing="zero")
    with pytest.raises(InputError, match="missing must be"):
        basket_total(df, "ndpr", missing="ignore")


def test_duplicate_member_columns_raise():
    df = pd.DataFrame({"nd_ppm": [1.0], "nd_pct": [0.0001], "pr_ppm": [1.0]})
    with pytest.raises(InputError, match="Nd has 2 element-basis columns"):
        basket_total(df, "ndpr")


def test_basket_total_arrays():
    grades = np.array([[300.0, 80.0, 5.0], [120.0, 30.0, 1.0]])  # Nd, Pr, La ppm
    elements = ["Nd", "Pr", "La"]
    total = basket_total(grades, "ndpr", elements=elements, basis="element")
    assert total.shape == (2,)
    np.testing.assert_allclose(
        total, grades[:, 0] * OXIDE_FACTORS["Nd"] + grades[:, 1] * OXIDE_FACTORS["Pr"]
    )
    single = basket_total(grades[0], "ndpr", elements=elements, basis="element")
    assert isinstance(single, float) and single == pytest.approx(total[0])
    as_oxide = basket_total(grades, "ndpr", elements=elements, basis="oxide")
    np.testing.assert_allclose(as_oxide, grades[:, 0] + grades[:, 1])
    as_element = basket_total(grades, "ndpr", elements=elements, basis="oxide",
                              result_basis="element")  # fmt: skip
    np.testing.assert_allclose(
        as_element, grades[:, 0] / OXIDE_FACTORS["Nd"] + grades[:, 1] / OXIDE_FACTORS["Pr"]
    )
    with pytest.raises(BasisError, match="basis= is required"):
        basket_total(grades, "ndpr", elements=elements)
    with pytest.raises(BasisError, match="'metal'"):
        basket_total(grades, "ndpr", elements=elements, basis="metal")
    with pytest.raises(BasisError, match="result_basis 'both'"):
        basket_total(grades, "ndpr", elements=elements, basis="oxide", result_basis="both")
    with pytest.raises(ChemistryError, match="needs Dy, Tb"):
        basket_total(grades, "mreo", elements=elements, basis="element")
    with pytest.warns(UserWarning, match="Dy, Tb"):
        basket_total(grades, "mreo", elements=elements, basis="element", missing="zero")


# ---------------------------------------------------------------------------- shares


def test_basket_shares_frame_and_zero_total():
    df = _element_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning for 0 / 0
        shares = basket_shares(df, "ndpr")
    assert list(shares.columns) == ["nd2o3_share", "pr6o11_share"]
    assert shares.index.equals(df.index)
    nd = 300.0 * OXIDE_FACTORS["Nd"]
    pr = 80.0 * OXIDE_FACTORS["Pr"]
    assert shares.iloc[0, 0] == pytest.approx(nd / (nd + pr))
    np.testing.assert_allclose(shares.iloc[:2].sum(axis=1), 1.0)
    assert shares.iloc[2].isna().all()
    el = basket_shares(df, "ndpr", result_basis="element")
    assert list(el.columns) == ["nd_share", "pr_share"]
    assert el.iloc[0, 0] == pytest.approx(300.0 / 380.0)


def test_basket_shares_array_order_follows_basket():
    grades = np.array([[10.0, 30.0, 60.0]])  # La, Pr, Nd on oxide basis
    shares = basket_shares(grades, "ndpr", elements=["La", "Pr", "Nd"], basis="oxide")
    np.testing.assert_allclose(shares, [[60.0 / 90.0, 30.0 / 90.0]])


# ----------------------------------------------------------------- TREE <-> TREO


def test_tree_treo_two_element_hand_computation():
    f_nd = (2 * 144.242 + 3 * 15.999) / (2 * 144.242)
    f_la = (2 * 138.90547 + 3 * 15.999) / (2 * 138.90547)
    # 1000 ppm TREE split 60 % Nd, 40 % La by element mass
    expected_treo = 600.0 * f_nd + 400.0 * f_la
    treo = tree_to_treo(1000.0, {"Nd": 0.6, "La": 0.4})
    assert treo == pytest.approx(expected_treo, rel=1e-13)
    # the same distribution on oxide basis
    oxide_shares = {"Nd": 600.0 * f_nd / expected_treo, "La": 400.0 * f_la / expected_treo}
    assert tree_to_treo(1000.0, oxide_shares, share_basis="oxide") == pytest.approx(
        expected_treo, rel=1e-13
    )
    assert treo_to_tree(expected_treo, oxide_shares) == pytest.approx(1000.0, rel=1e-13)
    assert treo_to_tree(expected_treo, {"Nd": 0.6, "La": 0.4}, share_basis="element") == (
        pytest.approx(1000.0, rel=1e-13)
    )
    # shares are normalised: 3:2 is 60:40
    assert tree_to_treo(1000.0, [3.0, 2.0], elements=["Nd", "La"]) == pytest.approx(treo)


def test_tree_treo_broadcast_and_series():
    shares = np.array([[1.0, 0.0], [0.0, 1.0]])  # two distributions: all Ce, all Y
    out = tree_to_treo(np.array([100.0, 100.0]), shares, elements=["Ce", "Y"])
    np.testing.assert_allclose(out, [100.0 * OXIDE_FACTORS["Ce"], 100.0 * OXIDE_FACTORS["Y"]])
    series = pd.Series([0.1, 0.2], index=["a", "b"], name="tree_pct")
    treo = tree_to_treo(series, {"Ce": 1.0})
    assert isinstance(treo, pd.Series) and treo.name == "treo_pct"
    assert list(treo.index) == ["a", "b"]
    back = treo_to_tree(treo, {"Ce": 1.0})
    assert back.name == "tree_pct"
    np.testing.assert_allclose(back, series, rtol=1e-15)
    with pytest.raises(InputError, match="broadcast"):
        tree_to_treo(np.ones(3), shares, elements=["Ce", "Y"])


@pytest.mark.parametrize(
    ("shares", "elements", "message"),
    [
        ({"Nd": -0.1, "La": 1.1}, None, r"negative.*-0\.1"),
        ({"Nd": np.nan}, None, "nan"),
        ({"Nd": 0.0, "La": 0.0}, None, "sum to zero"),
        ({}, None, "empty"),
        ({"Nd": 1.0}, ["Nd"], "elements= only with array"),
        ([0.5, 0.5], None, "elements= is required"),
        ([0.5, 0.5], ["Nd"], "length 2"),
        ({"Qq": 1.0}, None, "'Qq'"),
    ],
)
def test_bad_shares_raise(shares, elements, message):
    with pytest.raises(InputError, match=message):
        tree_to_treo(100.0, shares, elements=elements)


def test_bad_totals_raise():
    with pytest.raises(InputError, match=r"negative.*-3\.0"):
        tree_to_treo(np.array([1.0, -3.0]), {"Nd": 1.0})
    with pytest.raises(InputError, match="nan"):
        treo_to_tree(np.nan, {"Nd": 1.0})
    with pytest.raises(BasisError, match="share_basis 'mass'"):
        treo_to_tree(1.0, {"Nd": 1.0}, share_basis="mass")


# ------------------------------------------------------------------ property tests

_symbol_sets = st.lists(st.sampled_from(ELEMENTS), min_size=1, max_size=len(ELEMENTS), unique=True)
# kept below 100 % / 1.54 so that the oxide grades of Sc stay below 100 % too
_grade_values = st.floats(min_value=0.0, max_value=6.0e5, allow_nan=False, allow_subnormal=False)


@st.composite
def _grades_and_elements(draw, symbols=_symbol_sets):
    elements = draw(symbols)
    leading = draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=5))
    grades = draw(arrays(np.float64, leading + (len(elements),), elements=_grade_values))
    return grades, elements


@settings(max_examples=75, deadline=None)
@given(_grades_and_elements())
def test_property_element_oxide_round_trip(data):
    grades, elements = data
    oxide = element_to_oxide(grades, elements)
    assert np.all(oxide >= grades)
    np.testing.assert_allclose(oxide_to_element(oxide, elements), grades, rtol=1e-12)


_natural_sets = st.lists(st.sampled_from(NATURAL), min_size=1, max_size=len(NATURAL), unique=True)


@settings(max_examples=75, deadline=None)
@given(_grades_and_elements(_natural_sets), st.data())
def test_property_basket_total_is_sum_of_members(data, draw):
    grades, elements = data
    members = draw.draw(st.lists(st.sampled_from(elements), min_size=1, unique=True))
    total = basket_total(grades, members, elements=elements, basis="element")
    oxide = element_to_oxide(grades, elements)
    expected = sum(oxide[..., elements.index(m)] for m in members)
    assert np.shape(total) == grades.shape[:-1]
    np.testing.assert_allclose(total, expected, rtol=1e-12, atol=0)


@settings(max_examples=75, deadline=None)
@given(_grades_and_elements(_natural_sets), st.sampled_from(["element", "oxide"]))
def test_property_shares_sum_to_one(data, result_basis):
    grades, elements = data
    shares = basket_shares(grades, elements, elements=elements, basis="element",
                           result_basis=result_basis)  # fmt: skip
    total = basket_total(grades, elements, elements=elements, basis="element")
    positive = np.asarray(total) > 0
    sums = shares.sum(axis=-1)
    np.testing.assert_allclose(sums[positive], 1.0, rtol=1e-12)
    assert np.all(np.isnan(shares[~positive]))
    assert np.all((shares[positive] >= 0) & (shares[positive] <= 1))


@settings(max_examples=75, deadline=None)
@given(
    _symbol_sets.flatmap(
        lambda els: st.tuples(
            st.just(els),
            st.lists(st.floats(0.0, 1e3, allow_subnormal=False), min_size=len(els),
                     max_size=len(els)).filter(lambda s: sum(s) > 1e-6),
        )
    ),
    st.floats(0.0, 1e9, allow_subnormal=False),
    st.sampled_from(["element", "oxide"]),
)  # fmt: skip
def test_property_tree_treo_identity(shares_data, tree, share_basis):
    elements, shares = shares_data
    treo = tree_to_treo(tree, shares, elements=elements, share_basis=share_basis)
    assert treo >= tree
    back = treo_to_tree(treo, dict(zip(elements, shares, strict=True)), share_basis=share_basis)
    assert back == pytest.approx(tree, rel=1e-12, abs=0)
