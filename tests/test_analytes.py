"""Tests for raremin.analytes: the one grammar of grade columns."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from raremin.analytes import Analyte, column_unit, find_analytes, parse_analyte
from raremin.errors import InputError
from raremin.periodic import ATOMIC_WEIGHTS


@pytest.mark.parametrize(
    ("name", "kind", "species", "unit", "canonical"),
    [
        ("cu_pct", "element", "Cu", "pct", "cu_pct"),
        ("au_gpt", "element", "Au", "g/t", "au_gpt"),
        ("Au_g/t", "element", "Au", "g/t", "au_gpt"),
        ("Au g/t", "element", "Au", "g/t", "au_gpt"),
        ("ag_ppm", "element", "Ag", "ppm", "ag_ppm"),
        ("Ag_ppb", "element", "Ag", "ppb", "ag_ppb"),
        ("ni_ppm", "element", "Ni", "ppm", "ni_ppm"),
        ("Nd_ppm", "element", "Nd", "ppm", "nd_ppm"),
        ("ND_PPM", "element", "Nd", "ppm", "nd_ppm"),
        ("LA_PPM", "element", "La", "ppm", "la_ppm"),
        ("Nd (ppm)", "element", "Nd", "ppm", "nd_ppm"),
        ("Cu [%]", "element", "Cu", "pct", "cu_pct"),
        ("cu%", "element", "Cu", "pct", "cu_pct"),
        ("Cu-pct", "element", "Cu", "pct", "cu_pct"),
        ("Nd2O3_%", "oxide", "Nd2O3", "pct", "nd2o3_pct"),
        ("nd2o3_wt%", "oxide", "Nd2O3", "pct", "nd2o3_pct"),
        ("li2o_pct", "oxide", "Li2O", "pct", "li2o_pct"),
        ("U3O8_ppm", "oxide", "U3O8", "ppm", "u3o8_ppm"),
        ("nb2o5_pct", "oxide", "Nb2O5", "pct", "nb2o5_pct"),
        ("p2o5_pct", "oxide", "P2O5", "pct", "p2o5_pct"),
        ("Pr6O11_ppm", "oxide", "Pr6O11", "ppm", "pr6o11_ppm"),
        ("CeO2 (ppm)", "oxide", "CeO2", "ppm", "ceo2_ppm"),
        ("treo_ppm", "basket", "TREO", "ppm", "treo_ppm"),
        ("TREE_pct", "basket", "TREO", "pct", "tree_pct"),
        ("ndpr_pct", "basket", "NdPr", "pct", "ndpr_pct"),
        ("NdPr_%", "basket", "NdPr", "pct", "ndpr_pct"),
        ("hreo_ppm", "basket", "HREO", "ppm", "hreo_ppm"),
        ("co_ppm", "element", "Co", "ppm", "co_ppm"),  # cobalt, not C + O
        ("y_kgpt", "element", "Y", "kg/t", "y_kgpt"),
        ("s_frac", "element", "S", "fraction", "s_frac"),
    ],
)  # fmt: skip
def test_parse_lab_spellings(name, kind, species, unit, canonical):
    analyte = parse_analyte(name)
    assert analyte is not None
    assert (analyte.kind, analyte.species, analyte.unit, analyte.name) == (
        kind, species, unit, canonical)


@pytest.mark.parametrize(
    "name",
    ["hole_id", "depth_m", "easting_m", "recovery_pct", "x_ppm", "cuppm", "Au_ppm_FA",
     "neodymium_ppm", "", "zone", 3, None],
)  # fmt: skip
def test_not_analytes(name):
    assert parse_analyte(name) is None


@pytest.mark.parametrize(
    ("formula", "factor"),
    [("Li2O", 2.1527), ("U3O8", 1.1792), ("Nb2O5", 1.4305), ("P2O5", 2.2914),
     ("Ta2O5", 1.2211), ("V2O5", 1.7852), ("WO3", 1.2611), ("MoO3", 1.5003),
     ("Nd2O3", 1.1664), ("CeO2", 1.2284), ("Y2O3", 1.2699), ("La2O3", 1.1728)],
)  # fmt: skip
def test_oxide_factors_from_atomic_weights(formula, factor):
    """Published element-to-oxide conversion factors, to 1e-4."""
    analyte = Analyte("oxide", formula, "pct")
    assert 1.0 / analyte.element_factor == pytest.approx(factor, abs=1e-4)


def test_find_analytes_reads_a_real_header():
    header = ["hole_ID", "depth_from", "depth_to", "Cu_pct", "Mo_pct", "Ag_ppm", "Au_ppm"]
    found = find_analytes(header)
    assert found.columns == ["Cu_pct", "Mo_pct", "Ag_ppm", "Au_ppm"]
    assert found.elements == ("Cu", "Mo", "Ag", "Au")
    assert found.renames == {"Cu_pct": "cu_pct", "Mo_pct": "mo_pct", "Ag_ppm": "ag_ppm",
                             "Au_ppm": "au_ppm"}
    assert found.of_element("Mo") == "Mo_pct" and found.of_element("Nd") is None


@pytest.mark.parametrize(
    ("columns", "first", "second", "what"),
    [
        (["la_ppm", "la_pct"], "la_ppm", "la_pct", "La"),
        (["nd_ppm", "nd2o3_pct"], "nd_ppm", "nd2o3_pct", "Nd"),
        (["LA_PPM", "la_ppm"], "LA_PPM", "la_ppm", "La"),
        (["treo_pct", "treo_ppm"], "treo_pct", "treo_ppm", "the TREO total"),
        (["treo_pct", "tree_pct"], "treo_pct", "tree_pct", "the TREO total"),
    ],
)
def test_two_columns_for_one_analyte_are_refused(columns, first, second, what):
    with pytest.raises(InputError, match=rf"'{first}' and '{second}' both hold {what}"):
        find_analytes(["hole_id", *columns])


def test_unreadable_grade_columns_are_named():
    with pytest.warns(UserWarning, match="'recovery_pct' names a grade unit") as record:
        found = find_analytes(pd.DataFrame(columns=["cu_pct", "recovery_pct", "Au_FA_ppm"]))
    assert found.unreadable == ("recovery_pct", "Au_FA_ppm")
    assert len(record) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_analytes(["recovery_pct"], warn=False).unreadable == ("recovery_pct",)


def test_column_unit_reads_only_the_suffix():
    assert column_unit("dy_tb_ppm") == "ppm"
    assert column_unit("treo_pct") == "pct"
    assert column_unit("au_gpt") == "g/t"
    assert column_unit("density_t_m3") is None and column_unit("pct") is None


def test_analyte_errors():
    with pytest.raises(InputError, match="unknown element 'Xx'"):
        Analyte("element", "Xx", "ppm")
    with pytest.raises(InputError, match="not an oxide"):
        Analyte("oxide", "Cu", "ppm")
    with pytest.raises(InputError, match="unknown basket"):
        Analyte("basket", "XREO", "ppm")
    with pytest.raises(InputError, match="unknown analyte kind"):
        Analyte("metal", "Cu", "ppm")
    with pytest.raises(InputError, match="element basis"):
        Analyte("element", "Cu", "ppm", basis="oxide")
    with pytest.raises(InputError, match="no single element factor"):
        _ = Analyte("basket", "TREO", "ppm").element_factor


@given(symbol=st.sampled_from(sorted(ATOMIC_WEIGHTS)),
       unit=st.sampled_from(["ppm", "pct", "gpt", "ppb", "%", "g/t"]),
       sep=st.sampled_from(["_", " ", "-", " (", "_("]),
       upper=st.booleans())
def test_property_element_columns_round_trip(symbol, unit, sep, upper):
    """Any element in any unit and spelling reads back to the same canonical analyte."""
    closing = ")" if "(" in sep else ""
    name = f"{symbol}{sep}{unit}{closing}"
    analyte = parse_analyte(name.upper() if upper else name)
    if symbol == "O":
        return  # oxygen is not assayed as a grade column of its own in practice
    assert analyte is not None and analyte.kind == "element" and analyte.species == symbol
    assert parse_analyte(analyte.name) == analyte
