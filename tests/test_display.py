"""Tests for the concise displays (raremin._display and every public object's repr)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import box

import raremin
from raremin import _display, undiscovered
from raremin.deposit import Deposit, Zone
from raremin.distributions import (
    Empirical,
    Gamma,
    Lognormal,
    Mixture,
    Normal,
    Truncated,
    fit_distribution,
)
from raremin.drillholes import Drillholes
from raremin.geostats import InverseDistance, NearestSample, Neighbourhood
from raremin.geostats.anamorphosis import HermiteAnamorphosis, NormalScores
from raremin.geostats.autovariogram import auto_variogram
from raremin.geostats.crossval import cross_validate
from raremin.geostats.declustering import cell_declustering, polygonal_declustering
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.support import change_of_support
from raremin.grid import BlockGrid
from raremin.workflow import kriging_estimator

WKT_MARKERS = ("PROJCRS", "BASEGEOGCRS", "ID[", "Axis Info")
MAX_REPR = 600
MAX_HTML = 20_000

# The objects with a _repr_html_ of their own (the list, plus the rest).
HTML_OBJECTS = (
    "Deposit", "Zone", "BlockModel", "BlockGrid", "GradeTonnage", "Preparation",
    "AutoVariogram", "VariogramModel", "Structure", "Kriging", "Kriging (fitted)",
    "InverseDistance", "NearestSample", "Neighbourhood", "CrossValidation",
    "CellDeclusteringResult", "PolygonalDeclusteringResult", "Empirical", "Lognormal",
    "Lognormal (batch)", "Normal", "Gamma", "Truncated", "Mixture", "FitResult",
    "HermiteAnamorphosis", "NormalScores", "BlockGradeDistribution", "DiscreteGaussian",
    "CountPmf", "TonnageModel", "GradeModel", "Totals", "Drillholes", "ValidationReport",
    "Assessment", "Classification", "ResourceStatement", "PriceTable", "BasketPrice",
)
WITH_CRS = ("Deposit", "Zone", "BlockModel", "BlockGrid")


@pytest.fixture(scope="module")
def bundled():
    """The bundled data, its assessment (built once) and objects made from them."""
    data = raremin.load_kuirektykol()
    deposit = Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    result = raremin.assess(deposit, data.samples, block_size=(100, 100, 20),
                            classification="default", prices="default")
    rows = data.samples[data.samples["zone"] == "Dos 2"]
    xyz = rows[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    tree = rows[[c for c in rows.columns if c.endswith("_ppm")]].sum(axis=1).to_numpy()
    auto = auto_variogram(xyz, tree, holes=rows["hole_id"].to_numpy())
    treo = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
    blocks = change_of_support(tree, auto.model, (25, 25, 10), unit="ppm", basis="element",
                               name="tree")
    count = undiscovered.count_pmf([0.2, 0.5, 0.3], method="custom")
    tonnage = undiscovered.TonnageModel().fit([2e6, 5e6, 1e7, 3e7])
    grades = undiscovered.GradeModel.fixed([1.0], names=["Cu"])
    holes = Drillholes(data.collars, data.surveys, data.assays)
    from raremin.economics import basket_price, default_prices
    from raremin.geostats import SequentialGaussian, experimental_variogram, fit_variogram
    from raremin.undiscovered.project import load_assessment

    experimental = experimental_variogram(xyz, tree)
    folder = Path(tempfile.mkdtemp())
    (folder / "d.csv").write_text("ore_t,cu_pct\n2e6,0.5\n5e6,0.8\n1e7,0.3\n3e7,0.6\n")
    (folder / "a.toml").write_text('[assessment]\nsimulations = 500\n[count]\n'
                                   'method = "custom"\npmf = [0.2, 0.5, 0.3]\n[deposits]\n'
                                   'file = "d.csv"\ntonnage_column = "ore_t"\n'
                                   'grade_columns = ["cu_pct"]\n')
    regional = load_assessment(folder / "a.toml")
    objects = {
        "Assessment": result,
        "ExperimentalVariogram": experimental,
        "VariogramFit": fit_variogram(experimental, "spherical"),
        "SequentialGaussian": SequentialGaussian(auto.model),
        "Classification": result.classification,
        "ResourceStatement": result.statement,
        "PriceTable": default_prices(),
        "BasketPrice": basket_price({"La2O3": 0.5, "CeO2": 0.3, "Nd2O3": 0.2},
                                    default_prices()),
        "RegionalAssessment": regional,
        "RegionalResult": regional.run(),
        "Deposit": result.deposit,
        "Zone": result.deposit.zones[0],
        "BlockModel": result.model,
        "BlockGrid": result.model.grid,
        "GradeTonnage": result.curve,
        "Preparation": result.preparation,
        "AutoVariogram": auto,
        "VariogramModel": auto.model,
        "Structure": auto.model.structures[0],
        "Kriging": kriging_estimator(auto.model),
        "Kriging (fitted)": kriging_estimator(auto.model).fit(xyz, tree),
        "InverseDistance": InverseDistance(neighbourhood=Neighbourhood(max_samples=8)),
        "NearestSample": NearestSample(),
        "Neighbourhood": kriging_estimator(auto.model).neighbourhood,
        "NeighbourSearch": kriging_estimator(auto.model).fit(xyz, tree).search_,
        "CrossValidation": cross_validate(
            InverseDistance(neighbourhood=Neighbourhood(max_samples=8)), xyz, tree),
        "CellDeclusteringResult": cell_declustering(xyz, tree, cell_sizes=[100, 200, 400]),
        "PolygonalDeclusteringResult": polygonal_declustering(
            np.unique(xyz[:, :2], axis=0), np.unique(xyz[:, :2], axis=0)[:, 0]),
        "Empirical": Empirical(tree / 1e4, unit="pct", basis="element", name="tree"),
        "Lognormal": treo,
        "Lognormal (batch)": Lognormal.from_mean_cv(np.linspace(0.1, 0.2, 50), 0.6,
                                                    unit="pct", basis="oxide", name="treo"),
        "Normal": Normal(0.5, 0.1, unit="pct", basis="element", name="cu"),
        "Gamma": Gamma.from_mean_cv(0.03, 0.5, unit="pct", basis="oxide", name="ndpr"),
        "Truncated": Truncated(treo, 0.05),
        "Mixture": Mixture([treo, Lognormal.from_mean_cv(0.3, 0.4, unit="pct",
                                                         basis="oxide")], [0.4, 0.6]),
        "FitResult": fit_distribution(tree, unit="ppm", basis="element", name="tree"),
        "HermiteAnamorphosis": HermiteAnamorphosis().fit(tree),
        "NormalScores": NormalScores().fit(tree),
        "BlockGradeDistribution": blocks,
        "DiscreteGaussian": blocks.distribution,
        "CountPmf": count,
        "TonnageModel": tonnage,
        "GradeModel": grades,
        "Totals": undiscovered.simulate_totals(count, tonnage, grades, 500, seed=0),
        "Drillholes": holes,
        "ValidationReport": holes.report,
    }
    return result, objects


ALL_OBJECTS = (*HTML_OBJECTS, "NeighbourSearch", "ExperimentalVariogram", "VariogramFit",
               "SequentialGaussian", "RegionalAssessment", "RegionalResult")


@pytest.mark.parametrize("name", ALL_OBJECTS)
def test_repr_is_a_few_lines_without_the_crs_definition(bundled, name):
    obj = bundled[1][name]
    text = repr(obj)
    assert len(text) < MAX_REPR, text
    assert text.count("\n") <= 8
    assert not any(marker in text for marker in WKT_MARKERS), text
    assert "array(" not in text and "object at 0x" not in text
    if name in WITH_CRS:
        assert "EPSG:32643" in text and "WGS 84 / UTM zone 43N" in text


@pytest.mark.parametrize("name", HTML_OBJECTS)
def test_html_is_under_20_kb(bundled, name):
    html = bundled[1][name]._repr_html_()
    assert html.startswith("<div class='raremin'>")
    assert len(html) < MAX_HTML
    assert not any(marker in html for marker in WKT_MARKERS)


def test_the_assessment_displays_are_short_and_complete(bundled):
    result = bundled[0]
    text = _display.assessment_text(result)
    assert len(text) < MAX_REPR, text
    assert text.startswith("Assessment('Kuirektykol': 2 zones, cut-off grade TREO (%, oxide")
    assert "EPSG:32643" in text and not any(m in text for m in WKT_MARKERS)
    # one line per cut-off of the total
    assert text.count("\n") == 2 + result.summary["cutoff_pct"].nunique()
    assert f"{result.samples_outside:,} samples outside every zone" in text
    html = _display.assessment_html(result)
    assert len(html) < MAX_HTML
    n = len(result.adjustments)  # the samples outside the zones and the smoothed classes
    assert n == 2
    for part in ("Summary", "Zones", "Notes", "Irgiz", "Dos 2", f"{n} adjustments"):
        assert part in html
    assert "la_ppm</th>" not in html  # no block arrays


def test_grade_tonnage_html_shows_the_first_rows_and_counts_the_rest(bundled):
    curve = bundled[0].curve
    html = curve._repr_html_()
    n_rows = curve.tonnage_t.size
    assert f"first {_display.MAX_ROWS} of {n_rows:,} rows shown" in html
    assert html.count("<tr>") == _display.MAX_ROWS  # the header row is <tr style=...>
    assert "TREO (%)" in html and "tonnage (Mt)" in html
    assert "treo_pct" in html


def test_block_model_html_of_the_bundled_assessment(bundled):
    model = bundled[0].model
    html = model._repr_html_()
    assert len(html) < MAX_HTML and "EPSG:32643" in html
    assert f"{model.n_parcels:,} block parcels" in html


# ------------------------------------------------------------------ exact formats
def test_deposit_and_zone_reprs_name_zones_tonnage_and_epsg():
    zone = Zone("A", box(0, 0, 1000, 1000), 760, 460, 2.65, crs=32643)
    dep = Deposit("K", [zone, Zone("B", box(2000, 0, 2100, 100), 760, 700, 2.5)], crs=32643)
    assert repr(dep) == ("Deposit('K', 2 zones 'A', 'B'; 796.5 Mt; "
                         "WGS 84 / UTM zone 43N (EPSG:32643))")
    assert repr(zone) == ("Zone('A', prism; 1 km2, 460 to 760 m; 2.65 t/m3, 795 Mt; "
                          "WGS 84 / UTM zone 43N (EPSG:32643))")


def test_bundled_deposit_repr(bundled):
    text = repr(bundled[1]["Deposit"])
    assert text.startswith("Deposit('Kuirektykol', 2 zones 'Irgiz', 'Dos 2'; ")
    assert text.endswith(" Mt; WGS 84 / UTM zone 43N (EPSG:32643))")


def test_many_zone_names_are_cut_short():
    zones = [Zone(f"Z{i}", box(10 * i, 0, 10 * i + 5, 5), 1, 0, 2.5) for i in range(9)]
    text = repr(Deposit("Many", zones, crs="local"))
    assert "9 zones 'Z0', 'Z1', 'Z2', 'Z3' +5 more" in text
    assert "; 562.5 t; Local grid (no EPSG code))" in text


def test_block_grid_and_model_reprs():
    grid = BlockGrid((602500, 5543000, 460), (100, 100, 20), (35, 23, 15), crs=32643)
    assert repr(grid) == ("BlockGrid(35 x 23 x 15 blocks of 100 x 100 x 20 m from "
                          "(602500, 5543000, 460); WGS 84 / UTM zone 43N (EPSG:32643))")
    zone = Zone("A", box(0, 0, 20, 10), 10, 0, 2.5)
    model = raremin.BlockModel.from_deposit(zone, BlockGrid((0, 0, 0), 10, (2, 1, 1)))
    model = model.with_arrays(cu_pct=np.array([0.5, 0.7]), sims=np.ones((100, 2)))
    assert repr(model) == ("BlockModel(2 parcels in 1 zone 'A'; 5 kt; grid 2 x 1 x 1 of "
                           "10 x 10 x 10 m; 3 arrays: cu_pct, density_t_m3, sims)")


def test_variogram_and_kriging_reprs():
    model = VariogramModel(0.1, [Structure("spherical", 0.9, 2000.0),
                                 Structure("exponential", 12345.678, (300.0, 150.0, 20.0),
                                           (45.0, -10.0, 0.0))])
    assert repr(model) == (
        "VariogramModel(nugget 0.1 + spherical(sill 0.9, range 2,000 m) + "
        "exponential(sill 12,350, ranges 300/150/20 m, angles 45.0/-10.0/0.0))")
    assert repr(model.structures[0]) == "Structure(spherical, sill 0.9, range 2,000 m)"
    kriging = raremin.Kriging(model, Neighbourhood(8, ranges=(300.0, 150.0, 20.0)),
                              block_size=5.0)
    assert repr(kriging) == (
        f"Kriging(model={model!r}, neighbourhood=Neighbourhood(max_samples=8, "
        f"ranges=(300, 150, 20)), kind='ordinary', block_size=5)")
    assert repr(Neighbourhood()) == "Neighbourhood(max_samples=16)"
    assert repr(Neighbourhood(4, 2, radius=250.5)) == (
        "Neighbourhood(max_samples=4, min_samples=2, radius=250.5)")


@pytest.mark.parametrize(("dist", "expected"), [
    (Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo"),
     "Lognormal(TREO %, oxide basis; mu -2.051, sigma 0.5545; mean 0.15, CV 0.6)"),
    (Normal(0.5, 0.1, unit="%", basis="element", name="cu"),
     "Normal(Cu %, element basis; loc 0.5, scale 0.1; mean 0.5, CV 0.2)"),
    (Gamma(4.0, 5.0, unit="ppm", basis="element", name="nd"),
     "Gamma(Nd ppm, element basis; k 4, theta 5; mean 20, CV 0.5)"),
    (Empirical([1.0, 2.0, 3.0], unit="g/t", basis="element", weights=[1, 1, 2], name="au"),
     "Empirical(Au g/t, element basis; 3 samples 1 to 3; weighted (2.667 effective); "
     "mean 2.25, CV 0.369)"),
    (Lognormal([0.0, 1.0], 1.0, unit="ppm", basis="oxide", name="ndpr"),
     "Lognormal(NdPr ppm, oxide basis; 2 distributions; mu 0 to 1, sigma 1; "
     "mean 1.649 to 4.482, CV 1.31)"),
])
def test_distribution_reprs(dist, expected):
    assert repr(dist) == expected


# ------------------------------------------------------------------ formatting helpers
@pytest.mark.parametrize(("value", "expected"), [
    (70896.8, "70,900"), (0.126818, "0.1268"), (-6.786460, "-6.786"), (1234567.0, "1,235,000"),
    (3.2e9, "3.2e9"), (1.5e-5, "1.5e-5"), (0.0, "0"), (math.nan, "nan"), (-math.inf, "-inf"),
    (1308, "1,308"), (np.int64(7), "7"), (0.1 + 0.2, "0.3"), (999.96, "1,000"),
])
def test_fmt(value, expected):
    assert _display.fmt(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (882.45e6, "882.5 Mt"), (1.127295e6, "1.127 Mt"), (38_790.0, "38.79 kt"), (950.0, "950 t"),
    (0.0, "0 t"),
])
def test_tonnes(value, expected):
    assert _display.tonnes(value) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("treo", "TREO"), ("tree_pct", "TREE"), ("ndpr", "NdPr"), ("cu", "Cu"), ("nd2o3", "Nd2O3"),
    ("ndpr_oxide", "NdPr oxide"), ("treo_t", "TREO"), ("grade", "grade"), (None, "grade"),
    ("li2o_pct", "Li2O"), ("not a grade", "not a grade"),
])
def test_grade_names_as_geologists_write_them(name, expected):
    assert _display.grade_name(name) == expected


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_fmt_keeps_four_significant_figures(value):
    text = _display.fmt(value)
    back = float(text.replace(",", ""))
    assert back == pytest.approx(value, rel=5e-4, abs=0.0) or value == 0.0 and back == 0.0
    digits = text.lstrip("-").replace(",", "").split("e")[0].replace(".", "").lstrip("0")
    assert len(digits) <= 4 or "e" not in text and "." not in text
