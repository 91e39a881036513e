"""Tests of raremin.plotting: the charts are checked through their artists (lines, patches,
texts, labels), never by looking at pixels."""

from __future__ import annotations

import re

import geopandas as gpd
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from shapely import box

from raremin.deposit import Deposit, Zone
from raremin.distributions import Empirical, Lognormal, Normal
from raremin.errors import (
    BasisError,
    CRSError,
    GeometryError,
    InputError,
    UnitError,
)
from raremin.plotting import plot_grade_tonnage, plot_histogram, plot_zones
from raremin.tonnage import analytic_grade_tonnage, grade_tonnage

matplotlib.use("Agg")  # before any figure is made; no window ever opens

CUTOFFS = np.array([0.0, 0.05, 0.1, 0.15, 0.2, 0.3])
STYLE_ENTRY = "tonnage (solid) / grade (dashed)"


@pytest.fixture(autouse=True)
def _no_show_no_save(monkeypatch):
    """Plot functions must never show or save; every figure is closed after the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a plot function called show() or savefig()")

    monkeypatch.setattr(plt, "show", refuse)
    monkeypatch.setattr(Figure, "savefig", refuse)
    yield
    plt.close("all")


def _treo(mean=0.15, cv=0.6):
    return Lognormal.from_mean_cv(mean, cv, unit="pct", basis="oxide", name="treo")


@pytest.fixture
def single_gt():
    return analytic_grade_tonnage(_treo(), 100e6, CUTOFFS)


@pytest.fixture
def zoned_gt():
    """Block grade-tonnage split by zone: two zones, the second richer."""
    rng = np.random.default_rng(7)
    grades = np.concatenate([rng.lognormal(np.log(0.10), 0.5, 300),
                             rng.lognormal(np.log(0.18), 0.5, 200)])
    codes = np.repeat([0, 1], [300, 200])
    return grade_tonnage(grades, 25_000.0, CUTOFFS, unit="pct", basis="oxide",
                         grade_name="treo", groups=codes, group_names=["Irgiz", "Dos 2"])


def _legend_texts(ax):
    legend = ax.get_legend()
    return None if legend is None else [t.get_text() for t in legend.get_texts()]


# ------------------------------------------------------------------ plot_grade_tonnage
def test_single_curve_data_labels_and_no_legend(single_gt):
    ax = plot_grade_tonnage(single_gt)
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 1
    assert len(ax.grade_axes.get_lines()) == 1
    assert ax.contained_axes is None
    tonnage_line = ax.get_lines()[0]
    grade_line = ax.grade_axes.get_lines()[0]
    np.testing.assert_array_equal(tonnage_line.get_xdata(), CUTOFFS)
    np.testing.assert_array_equal(tonnage_line.get_ydata(), single_gt.tonnage_t / 1e6)
    np.testing.assert_array_equal(grade_line.get_ydata(), single_gt.mean_grade)
    assert tonnage_line.get_linestyle() == "-"
    assert grade_line.get_linestyle() == "--"
    assert grade_line.get_color() == tonnage_line.get_color()
    assert ax.get_xlabel() == "Cut-off treo (%, oxide basis)"
    assert ax.get_ylabel() == "Tonnage above cut-off (Mt)"
    assert ax.grade_axes.get_ylabel() == "Mean treo above cut-off (%, oxide basis)"
    assert ax.get_legend() is None
    assert ax.get_ylim()[0] == 0.0


def test_grouped_result_draws_one_curve_per_zone(zoned_gt):
    ax = plot_grade_tonnage(zoned_gt)
    assert len(ax.get_lines()) == 2
    assert len(ax.grade_axes.get_lines()) == 2
    for k in range(2):
        np.testing.assert_array_equal(ax.get_lines()[k].get_ydata(), zoned_gt.tonnage_t[k] / 1e6)
        np.testing.assert_array_equal(
            ax.grade_axes.get_lines()[k].get_ydata(), zoned_gt.mean_grade[k]
        )
    assert _legend_texts(ax) == ["Irgiz", "Dos 2", STYLE_ENTRY]
    colours = [line.get_color() for line in ax.get_lines()]
    assert colours[0] != colours[1]
    assert [line.get_color() for line in ax.grade_axes.get_lines()] == colours


def test_contained_axis_only_when_asked(zoned_gt):
    ax = plot_grade_tonnage(zoned_gt, contained=True)
    cax = ax.contained_axes
    assert cax is not None
    assert len(cax.get_lines()) == 2
    for k in range(2):
        np.testing.assert_array_equal(cax.get_lines()[k].get_ydata(), zoned_gt.contained_t[k] / 1e3)
        assert cax.get_lines()[k].get_linestyle() == ":"
    assert cax.get_ylabel() == "Contained treo (kt, oxide)"
    assert cax.spines["right"].get_position() == ("axes", 1.12)
    assert _legend_texts(ax)[-1] == STYLE_ENTRY + " / contained (dotted)"
    assert plot_grade_tonnage(zoned_gt).contained_axes is None


def test_element_basis_ppm_and_other_tonnage_units():
    tree = Lognormal.from_mean_cv(1500.0, 0.5, unit="ppm", basis="element", name="tree")
    gt = analytic_grade_tonnage(tree, 2e6, [0.0, 1000.0, 2000.0])
    ax = plot_grade_tonnage(gt, contained=True, tonnage_unit="kt", contained_unit="t")
    assert ax.get_xlabel() == "Cut-off tree (ppm, element basis)"
    assert ax.get_ylabel() == "Tonnage above cut-off (kt)"
    assert ax.grade_axes.get_ylabel() == "Mean tree above cut-off (ppm, element basis)"
    assert ax.contained_axes.get_ylabel() == "Contained tree (t, element)"
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), gt.tonnage_t / 1e3)
    np.testing.assert_array_equal(ax.contained_axes.get_lines()[0].get_ydata(), gt.contained_t)


def test_dict_keys_sequence_and_explicit_labels(single_gt):
    richer = analytic_grade_tonnage(_treo(0.2), 60e6, CUTOFFS)
    ax = plot_grade_tonnage({"base case": single_gt, "high grade": richer})
    assert _legend_texts(ax) == ["base case", "high grade", STYLE_ENTRY]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), richer.tonnage_t / 1e6)
    ax = plot_grade_tonnage([single_gt, richer])
    assert _legend_texts(ax) == ["curve 0", "curve 1", STYLE_ENTRY]
    ax = plot_grade_tonnage([single_gt, richer], labels=["2024", "2025"], title="Scenarios")
    assert _legend_texts(ax) == ["2024", "2025", STYLE_ENTRY]
    assert ax.get_title() == "Scenarios"
    assert plot_grade_tonnage([single_gt, richer], legend=False).get_legend() is None


def test_labels_per_result_combine_with_zone_names(zoned_gt, single_gt):
    ax = plot_grade_tonnage([zoned_gt, single_gt], labels=["blocks", "model"])
    assert _legend_texts(ax) == ["blocks: Irgiz", "blocks: Dos 2", "model", STYLE_ENTRY]
    ax = plot_grade_tonnage(zoned_gt, labels=["North", "South"])
    assert _legend_texts(ax) == ["North", "South", STYLE_ENTRY]
    with pytest.raises(InputError, match="labels has 4 entries"):
        plot_grade_tonnage(zoned_gt, labels=["a", "b", "c", "d"])


def test_any_leading_shape_gives_one_curve_per_index():
    d = Lognormal.from_mean_cv(np.array([[0.1, 0.15, 0.2], [0.12, 0.14, 0.16]]), 0.6,
                               unit="pct", basis="oxide", name="treo")
    gt = analytic_grade_tonnage(d, 1e6, CUTOFFS)
    ax = plot_grade_tonnage(gt)
    assert len(ax.get_lines()) == len(ax.grade_axes.get_lines()) == 6
    texts = _legend_texts(ax)
    assert texts[0] == "curve 0, 0" and texts[5] == "curve 1, 2"
    np.testing.assert_array_equal(ax.get_lines()[4].get_ydata(), gt.tonnage_t[1, 1] / 1e6)


def test_nan_mean_grades_are_left_undrawn():
    gt = grade_tonnage(np.array([0.05, 0.1]), 1000.0, [0.0, 0.1, 0.5], unit="pct",
                       basis="oxide", grade_name="treo")
    ax = plot_grade_tonnage(gt)
    y = np.asarray(ax.grade_axes.get_lines()[0].get_ydata())
    assert np.isnan(y[-1]) and np.isfinite(y[:2]).all()
    np.testing.assert_array_equal(y, gt.mean_grade)


def test_mismatched_units_and_bases_raise(single_gt):
    in_ppm = analytic_grade_tonnage(_treo().to_unit("ppm"), 1e6, [0.0, 1000.0])
    with pytest.raises(UnitError, match=r"pct.*ppm"):
        plot_grade_tonnage([single_gt, in_ppm])
    element = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="element", name="tree")
    with pytest.raises(BasisError, match=r"oxide basis.*element basis"):
        plot_grade_tonnage({"a": single_gt, "b": analytic_grade_tonnage(element, 1e6, CUTOFFS)})


@pytest.mark.parametrize(
    ("results", "kwargs", "error", "match"),
    [
        ([], {}, InputError, "empty"),
        ([1.0], {}, InputError, "must be a GradeTonnage; got float"),
        ("gt", {}, InputError, "got str"),
        (None, {"tonnage_unit": "Gt"}, UnitError, "unknown tonnage unit 'Gt'"),
        (None, {"ax": "axes"}, InputError, "ax must be a matplotlib Axes"),
    ],
)
def test_bad_grade_tonnage_arguments(single_gt, results, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_grade_tonnage(single_gt if results is None else results, **kwargs)


def test_draws_on_given_axes_with_given_colours(zoned_gt):
    fig, ax = plt.subplots(figsize=(5, 4))
    out = plot_grade_tonnage(zoned_gt, ax=ax, colors=["black", "red"])
    assert out is ax and out.figure is fig
    assert tuple(fig.get_size_inches()) == (5.0, 4.0)
    assert [line.get_color() for line in ax.get_lines()] == ["black", "red"]
    assert [line.get_color() for line in ax.grade_axes.get_lines()] == ["black", "red"]


def test_grade_tonnage_plot_method_uses_the_plotting_module(single_gt):
    ax = single_gt.plot(contained=True)
    assert ax.get_xlabel() == "Cut-off treo (%, oxide basis)"
    assert ax.contained_axes is not None


# ---------------------------------------------------------------------- plot_histogram
def _area(ax):
    return sum(p.get_height() * p.get_width() for p in ax.patches)


def test_histogram_is_a_density_with_labels(rng):
    x = rng.lognormal(np.log(0.12), 0.5, 400)
    ax = plot_histogram(x, unit="%", basis="oxide", name="treo")
    assert _area(ax) == pytest.approx(1.0, rel=1e-12)
    heights, _ = np.histogram(x, bins="auto", density=True)
    np.testing.assert_allclose([p.get_height() for p in ax.patches], heights, rtol=1e-12)
    assert ax.get_xlabel() == "treo (%, oxide basis)"
    assert ax.get_ylabel() == "Density"
    assert ax.get_xscale() == "linear"
    assert ax.get_legend() is None


def test_weighted_histogram_integrates_to_one(rng):
    x = rng.normal(1500.0, 200.0, 300)
    w = rng.uniform(0.2, 2.0, 300)
    ax = plot_histogram(pd.Series(x), unit="ppm", basis="element", name="tree", weights=w,
                        bins=12)
    assert len(ax.patches) == 12
    assert _area(ax) == pytest.approx(1.0, rel=1e-12)
    heights, _ = np.histogram(x, bins=12, weights=w, density=True)
    np.testing.assert_allclose([p.get_height() for p in ax.patches], heights, rtol=1e-12)
    assert ax.get_xlabel() == "tree (ppm, element basis)"


def test_log_histogram_has_log_spaced_bins_and_log_axis(rng):
    x = rng.lognormal(np.log(0.12), 0.8, 500)
    ax = plot_histogram(x, unit="pct", basis="oxide", log=True, bins=15)
    assert ax.get_xscale() == "log"
    lefts = np.array([p.get_x() for p in ax.patches])
    rights = lefts + np.array([p.get_width() for p in ax.patches])
    ratios = rights / lefts
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    assert _area(ax) == pytest.approx(1.0, rel=1e-12)
    assert lefts[0] == pytest.approx(x.min()) and rights[-1] == pytest.approx(x.max())


@pytest.mark.parametrize("log", [False, True])
def test_pdf_overlay_and_cutoff_lines(rng, log):
    d = _treo()
    x = d.rvs(300, rng=rng)
    ax = plot_histogram(x, unit="pct", basis="oxide", name="treo", distribution=d,
                        cutoffs=[0.1, 0.25], log=log)
    pdf_lines = [line for line in ax.get_lines() if line.get_label() == "Lognormal pdf"]
    assert len(pdf_lines) == 1
    xdata = np.asarray(pdf_lines[0].get_xdata())
    np.testing.assert_allclose(pdf_lines[0].get_ydata(), d.pdf(xdata), rtol=1e-12)
    cut_lines = [line for line in ax.get_lines() if line.get_label().startswith("cut-off")]
    assert [line.get_label() for line in cut_lines] == ["cut-off 0.1 %", "cut-off 0.25 %"]
    assert [line.get_xdata()[0] for line in cut_lines] == [0.1, 0.25]
    assert _legend_texts(ax)[1:] == ["Lognormal pdf", "cut-off 0.1 %", "cut-off 0.25 %"]


def test_empirical_distribution_overlay(rng):
    x = rng.normal(1500.0, 200.0, 200)
    d = Empirical(x, unit="ppm", basis="element", name="tree")
    ax = plot_histogram(x, unit="ppm", basis="element", distribution=d, cutoffs=1000)
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), d.pdf(np.asarray(line.get_xdata())))
    assert ax.get_lines()[1].get_label() == "cut-off 1000 ppm"


@pytest.mark.parametrize("container", [np.asarray, pd.Series])
def test_histogram_refuses_nan(container):
    with pytest.raises(InputError, match="1 missing or infinite"):
        plot_histogram(container([0.1, np.nan, 0.2]), unit="pct", basis="oxide")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"distribution": Normal(1000.0, 100.0, unit="ppm", basis="oxide")}, UnitError,
         r"in ppm but the grades are in pct; use distribution.to_unit\('pct'\)"),
        ({"distribution": Normal(0.1, 0.02, unit="pct", basis="element")}, BasisError,
         "element basis"),
        ({"distribution": "lognormal"}, InputError, "grade distribution"),
        ({"distribution": _treo(np.array([0.1, 0.2]))}, InputError, "batch of shape"),
        ({"weights": [1.0, 2.0]}, InputError, "one value per sample"),
        ({"unit": "ppt"}, UnitError, "unknown grade unit"),
        ({"basis": "metal"}, BasisError, "unknown basis"),
        ({"cutoffs": [0.2, 0.1]}, InputError, "strictly increasing"),
        ({"bins": 0}, InputError, "positive integer"),
    ],
)
def test_bad_histogram_arguments(kwargs, error, match):
    args = {"unit": "pct", "basis": "oxide", **kwargs}
    with pytest.raises(error, match=match):
        plot_histogram([0.05, 0.1, 0.2], **args)


def test_log_histogram_refuses_zero_grades():
    with pytest.raises(InputError, match="log=True needs grades > 0"):
        plot_histogram([0.0, 0.1, 0.2], unit="pct", basis="oxide", log=True)


# -------------------------------------------------------------------------- plot_zones
@pytest.fixture
def deposit():
    """Three zones: a rectangle with a hole, a two-part zone and a small square."""
    ring = shapely.Polygon(
        [(0, 0), (1200, 0), (1200, 800), (0, 800)], holes=[[(400, 300), (800, 300),
                                                           (800, 500), (400, 500)]]
    )
    pair = shapely.MultiPolygon([box(1500, 0, 1900, 300), box(1500, 500, 1900, 800)])
    zones = [Zone("Irgiz", ring, 760, 460, 2.65), Zone("Dos 2", pair, 760, 460, 2.65),
             Zone("East", box(2200, 200, 2500, 500), 760, 460, 2.65)]
    return Deposit("Test deposit", zones, crs="EPSG:32643")


@pytest.fixture
def collars():
    return pd.DataFrame({"hole_id": ["H1", "H2", "H3", "H4"],
                         "easting_m": [100.0, 1000.0, 1700.0, 2300.0],
                         "northing_m": [100.0, 700.0, 150.0, 350.0]})


def _scalebar(ax):
    texts = [t for t in ax.texts if t.get_gid() == "scalebar"]
    lines = [line for line in ax.get_lines() if line.get_gid() == "scalebar"]
    return texts, lines


def test_zone_patches_names_axes_and_title(deposit):
    ax = plot_zones(deposit)
    zone_patches = [p for p in ax.patches if p.get_label() in deposit.names]
    assert [p.get_label() for p in zone_patches] == ["Irgiz", "Dos 2", "Dos 2", "East"]
    assert {t.get_text() for t in ax.texts if t.get_gid() is None} == set(deposit.names)
    assert ax.get_xlabel() == "Easting (m)" and ax.get_ylabel() == "Northing (m)"
    assert ax.get_aspect() == 1.0
    assert "WGS 84 / UTM zone 43N" in ax.get_title() and "Test deposit" in ax.get_title()
    colours = {p.get_edgecolor() for p in zone_patches}
    assert len(colours) == 3
    assert all(0 < p.get_facecolor()[3] < 1 for p in zone_patches)
    assert ax.get_legend() is None


def test_zone_patch_keeps_the_hole(deposit):
    ax = plot_zones(deposit)
    irgiz = next(p for p in ax.patches if p.get_label() == "Irgiz")
    outer, hole = irgiz.get_path().to_polygons()

    def signed_area(xy):
        x, y = xy[:, 0], xy[:, 1]
        return 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)

    # Opposite windings: the hole stays empty under the nonzero fill rule.
    assert signed_area(outer) == pytest.approx(1200 * 800)
    assert signed_area(hole) == pytest.approx(-400 * 200)
    interior = deposit.zone("Irgiz").footprint.interiors[0]
    assert shapely.Polygon(hole).equals(shapely.Polygon(interior))


def test_zone_names_sit_inside_their_zones(deposit):
    ax = plot_zones(deposit)
    for text in ax.texts:
        if text.get_gid() is None:
            zone = deposit.zone(text.get_text())
            assert zone.footprint.contains(shapely.Point(text.get_position()))


def test_collars_from_dataframe_and_geodataframe(deposit, collars):
    ax = plot_zones(deposit, collars=collars)
    (points,) = ax.collections
    np.testing.assert_array_equal(points.get_offsets(),
                                  collars[["easting_m", "northing_m"]].to_numpy())
    assert _legend_texts(ax) == ["drillhole collars (4)"]
    gdf = gpd.GeoDataFrame(collars, geometry=gpd.points_from_xy(collars.easting_m,
                                                                collars.northing_m),
                           crs=32643).drop(columns=["easting_m", "northing_m"])
    ax = plot_zones(deposit, collars=gdf)
    assert len(ax.collections[0].get_offsets()) == 4
    assert _legend_texts(ax) == ["drillhole collars (4)"]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda c: c.drop(columns="northing_m"), InputError, r"lack column\(s\) \['northing_m'\]"),
        (lambda c: c.assign(easting_m=[1.0, np.nan, 2.0, 3.0]), InputError, "missing"),
        (lambda c: gpd.GeoDataFrame(c, geometry=gpd.points_from_xy(c.easting_m, c.northing_m),
                                    crs=4326), CRSError, "CRS mismatch"),
        (lambda c: gpd.GeoDataFrame(c, geometry=[box(0, 0, 1, 1)] * 4, crs=32643),
         GeometryError, "must be points"),
        (lambda c: c.to_numpy(), InputError, "DataFrame with easting_m"),
    ],
)
def test_bad_collars_raise(deposit, collars, make, error, match):
    with pytest.raises(error, match=match):
        plot_zones(deposit, collars=make(collars))


@pytest.mark.parametrize("as_frame", [False, True])
def test_explored_area_outline(deposit, as_frame):
    area = box(-500, -500, 3000, 1300)
    given = gpd.GeoDataFrame({"name": ["explored"]}, geometry=[area], crs=32643) if as_frame \
        else area
    ax = plot_zones(deposit, explored_area=given)
    (outline,) = [p for p in ax.patches if p.get_label() == "explored area"]
    assert outline.get_linestyle() == "--"
    assert not outline.get_fill()
    np.testing.assert_allclose(outline.get_path().get_extents().bounds, (-500, -500, 3500, 1800))
    assert _legend_texts(ax) == ["explored area"]
    x0, x1 = ax.get_xlim()
    assert x0 < -500 and x1 > 3000


def test_explored_area_must_be_polygonal(deposit):
    with pytest.raises(GeometryError, match="polygon"):
        plot_zones(deposit, explored_area=shapely.LineString([(0, 0), (1, 1)]))
    with pytest.raises(InputError, match="explored_area must be"):
        plot_zones(deposit, explored_area=[(0, 0), (1, 1)])


@pytest.mark.parametrize("scale", [1.0, 4.0, 0.2])
def test_scalebar_has_a_round_length_about_a_fifth_of_the_width(deposit, scale):
    zones = [Zone(z.name, shapely.affinity.scale(z.footprint, scale, scale, origin=(0, 0)),
                  760, 460, 2.65) for z in deposit]
    dep = Deposit("Scaled", zones, crs=32643)
    ax = plot_zones(dep)
    (text,), (bar,) = _scalebar(ax)
    match = re.fullmatch(r"(\d+(?:\.\d+)?) (m|km)", text.get_text())
    assert match is not None
    length = float(match.group(1)) * (1000.0 if match.group(2) == "km" else 1.0)
    assert np.diff(bar.get_xdata())[0] == pytest.approx(length)
    assert np.ptp(bar.get_ydata()) == 0
    mantissa = length / 10 ** np.floor(np.log10(length))
    assert mantissa in (1.0, 2.0, 5.0)
    width = np.diff(ax.get_xlim())[0]
    assert width / 12.5 < length <= width / 5
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 <= min(bar.get_xdata()) and max(bar.get_xdata()) <= x1
    assert y0 <= bar.get_ydata()[0] <= y1


def test_scalebar_text_for_the_test_deposit(deposit):
    (text,), _ = _scalebar(plot_zones(deposit))
    assert text.get_text() == "500 m"


def test_labels_and_scalebar_can_be_switched_off(deposit):
    ax = plot_zones(deposit, labels=False, scalebar=False)
    assert len(ax.texts) == 0
    assert _scalebar(ax) == ([], [])


def test_zones_on_given_axes_and_bad_deposit(deposit):
    fig, ax = plt.subplots()
    assert plot_zones(deposit, ax=ax) is ax
    with pytest.raises(InputError, match="must be a raremin Deposit"):
        plot_zones(deposit.zones[0])


# ------------------------------------------------------------------------ block views
def _two_zone_model():
    from shapely import box

    from raremin.deposit import Deposit, Zone
    from raremin.grid import BlockGrid, BlockModel

    dep = Deposit("D", [Zone("A", box(0, 0, 25, 20), 20, 0, 2.5),
                        Zone("B", box(25, 0, 40, 20), 20, 10, 2.5)], crs=32643)
    model = BlockModel.from_deposit(dep, BlockGrid((0, 0, 0), 10, (4, 2, 2), crs=32643))
    grade = np.where(model.zone_code == 0, 1.0, 3.0)
    return model.with_arrays(cu_pct=grade)


def test_plot_blocks_bench_shows_the_dominant_zone_and_weighted_grades():
    from raremin.plotting import plot_blocks

    model = _two_zone_model()
    ax = plot_blocks(model, level=15.0)
    # Column x = 20-30 m is half A (20-25) and half B (25-30): a tie goes to the later zone.
    np.testing.assert_array_equal(ax.block_values, [[0, 0, 1, 1], [0, 0, 1, 1]])
    ax = plot_blocks(model, "cu_pct", level=15.0)
    np.testing.assert_allclose(ax.block_values[0], [1.0, 1.0, 2.0, 3.0])
    ax = plot_blocks(model, "cu_pct", level=5.0)
    np.testing.assert_allclose(ax.block_values[0, :3], [1.0, 1.0, 1.0])
    assert np.isnan(ax.block_values[0, 3])  # B starts at 10 m: no parcel below


def test_plot_blocks_sections_and_errors():
    from raremin.plotting import plot_blocks

    model = _two_zone_model()
    ax = plot_blocks(model, "cu_pct", section=("easting", 35.0))
    assert ax.block_values.shape == (2, 2)  # rows: elevation; columns: northing
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Northing (m)", "Elevation (m)")
    np.testing.assert_allclose(ax.block_values[1], [3.0, 3.0])  # B lies at 10-20 m
    assert np.isnan(ax.block_values[0]).all()
    with pytest.raises(InputError, match="either level= .* or section="):
        plot_blocks(model)
    with pytest.raises(InputError, match="elevation 99 m is outside the block model"):
        plot_blocks(model, level=99.0)
    with pytest.raises(InputError, match="section must be"):
        plot_blocks(model, section=("up", 3.0))
    with pytest.raises(InputError, match="no array 'au_ppm'"):
        plot_blocks(model, "au_ppm", level=5.0)


# ------------------------------------------------------------ plot_grade_tonnage_envelope
@pytest.fixture
def envelope_summary():
    """Summary of 60 realisations of a two-zone block model (zones A and B)."""
    from raremin.grid import BlockGrid, BlockModel
    from raremin.uncertainty import realisation_grade_tonnage, summarise_grade_tonnage

    rng = np.random.default_rng(11)
    index = np.arange(40)
    model = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (40, 1, 1)),
                                        {"A": (index[:25], np.ones(25)),
                                         "B": (index[25:], np.ones(15))}, 2.6)
    sims = rng.lognormal(np.log(0.12), 0.5, (60, model.n_parcels))
    table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", CUTOFFS)
    return summarise_grade_tonnage(table)


def _rows(summary, zone, statistic, column):
    part = summary[(summary.zone == zone) & (summary.statistic == statistic)]
    return part.sort_values("cutoff_pct")[column].to_numpy()


def test_envelope_draws_p50_and_the_p90_p10_band(envelope_summary):
    from matplotlib.collections import PolyCollection

    from raremin.plotting import plot_grade_tonnage_envelope

    ax = plot_grade_tonnage_envelope(envelope_summary)
    assert isinstance(ax, Axes)
    assert isinstance(ax.band, PolyCollection) and ax.band in ax.collections
    p90 = _rows(envelope_summary, "Total", "P90", "tonnage_t") / 1e6
    p10 = _rows(envelope_summary, "Total", "P10", "tonnage_t") / 1e6
    assert np.all(p90 <= p10) and np.any(p90 < p10)
    vertices = ax.band.get_paths()[0].vertices
    for x, low, high in zip(CUTOFFS, p90, p10, strict=True):
        ys = vertices[np.isclose(vertices[:, 0], x), 1]
        assert ys.min() == pytest.approx(low) and ys.max() == pytest.approx(high)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), CUTOFFS)
    np.testing.assert_allclose(line.get_ydata(),
                               _rows(envelope_summary, "Total", "P50", "tonnage_t") / 1e6)
    (grade_line,) = ax.grade_axes.get_lines()
    assert grade_line.get_linestyle() == "--"
    np.testing.assert_allclose(grade_line.get_ydata(),
                               _rows(envelope_summary, "Total", "P50", "treo_pct"))
    assert ax.grade_band in ax.grade_axes.collections
    assert ax.get_xlabel() == "Cut-off treo (%, oxide basis)"
    assert ax.get_ylabel() == "Tonnage above cut-off (Mt)"
    assert ax.get_title() == "Total: P50 and P90-P10 of 60 realisations"
    assert _legend_texts(ax) == ["tonnage: P50 (line), P90-P10 (band)",
                                 "mean grade: P50 (dashed), P90-P10 (band)"]


def test_envelope_zone_reference_and_options(envelope_summary):
    from raremin.plotting import plot_grade_tonnage_envelope

    grades = np.random.default_rng(2).lognormal(np.log(0.12), 0.5, 40)
    kriged = grade_tonnage(grades, 2600.0, CUTOFFS, unit="pct", basis="oxide",
                           grade_name="treo", groups=np.repeat([0, 1], [25, 15]),
                           group_names=["A", "B"])
    fig, given = plt.subplots()
    ax = plot_grade_tonnage_envelope(envelope_summary, zone="B", ax=given, reference=kriged,
                                     reference_label="kriged", tonnage_unit="kt", title="")
    assert ax is given and ax.get_title() == ""
    black = [line for line in ax.get_lines() if line.get_color() == "black"]
    assert len(black) == 1
    np.testing.assert_allclose(black[0].get_ydata(), kriged.tonnage_t[1] / 1e3)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(),
                               _rows(envelope_summary, "B", "P50", "tonnage_t") / 1e3)
    assert _legend_texts(ax)[-1] == "kriged"
    # The total of a zoned reference is its zones added up.
    ax = plot_grade_tonnage_envelope(envelope_summary, reference=kriged, grade=False,
                                     legend=False)
    assert ax.grade_axes is None and ax.grade_band is None and ax.get_legend() is None
    np.testing.assert_allclose(ax.get_lines()[-1].get_ydata(),
                               kriged.tonnage_t.sum(axis=0) / 1e6)


def test_envelope_errors(envelope_summary, single_gt):
    from raremin.plotting import plot_grade_tonnage_envelope

    with pytest.raises(InputError, match="no zone 'C'"):
        plot_grade_tonnage_envelope(envelope_summary, zone="C")
    with pytest.raises(InputError, match="pandas DataFrame"):
        plot_grade_tonnage_envelope(envelope_summary.to_numpy())
    with pytest.raises(InputError, match="no P10 rows"):
        plot_grade_tonnage_envelope(envelope_summary[envelope_summary.statistic != "P10"])
    ppm = analytic_grade_tonnage(_treo().to_unit("ppm"), 1e6, [0.0, 500.0])
    with pytest.raises(UnitError, match="in ppm"):
        plot_grade_tonnage_envelope(envelope_summary, reference=ppm)
    element = analytic_grade_tonnage(
        Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="element"), 1e6, [0.1])
    with pytest.raises(BasisError, match="element basis"):
        plot_grade_tonnage_envelope(envelope_summary, reference=element)
    unlabelled = envelope_summary.copy()
    unlabelled.attrs = {}
    with pytest.raises(InputError, match="give basis="):
        plot_grade_tonnage_envelope(unlabelled)
    ax = plot_grade_tonnage_envelope(unlabelled, basis="oxide")
    assert ax.get_xlabel() == "Cut-off treo (%, oxide basis)"
    assert plot_grade_tonnage_envelope(envelope_summary, reference=single_gt).band is not None


# ---------------------------------------------------------------- regional assessment
KNOWN_ORE_T = [2e6, 5e6, 1e7, 3e7, 8e7]


def _count():
    from raremin.undiscovered.count import CountPmf

    return CountPmf([0.2, 0.5, 0.3])


def _tonnage():
    from raremin.undiscovered.tonnage import TonnageModel

    return TonnageModel().fit(KNOWN_ORE_T)


def _fixed_tonnage():
    from raremin.undiscovered.tonnage import TonnageModel

    return TonnageModel.fixed(2.5e6)


def _grades():
    from raremin.undiscovered.grades import GradeModel

    return GradeModel().fit([[1.0, 0.1], [2.0, 0.3], [3.0, 0.2], [1.5, 0.1]], names=["Cu", "Au"])


def _totals():
    from raremin.undiscovered.totals import simulate_totals

    return simulate_totals([0.2, 0.5, 0.3], _tonnage(), None, 200, seed=1)


@pytest.mark.parametrize(
    ("function", "make", "kwargs", "xlabel", "ylabel", "n_lines", "n_patches"),
    [
        # 3 bars and the mean line
        ("plot_count_pmf", _count, {}, "Number of undiscovered deposits", "Probability", 1, 3),
        # the model cdf and the known deposits' ecdf
        ("plot_tonnage_model", _tonnage, {}, "Ore tonnage, t", "Cumulative probability", 2, 0),
        # a fixed model has no known deposits: the step only
        ("plot_tonnage_model", _fixed_tonnage, {}, "Ore tonnage, t",
         "Cumulative probability", 1, 0),
        # model and known per grade (Cu, Au)
        ("plot_grade_model", _grades, {"n": 200}, "Grade, %", "Cumulative probability", 4, 0),
        # exceedance step and the mean line
        ("plot_totals", _totals, {}, "Total ore in undiscovered deposits, t",
         "Probability of at least", 2, 0),
        ("plot_totals", _totals, {"column": "ore_t"}, "Total ore in undiscovered deposits, t",
         "Probability of at least", 2, 0),
    ],
)
def test_regional_assessment_plots_draw_on_the_given_axes(
        function, make, kwargs, xlabel, ylabel, n_lines, n_patches):
    import raremin
    import raremin.plotting

    plot = getattr(raremin.plotting, function)
    assert getattr(raremin, function) is plot  # exported from the package too
    fig, ax = plt.subplots()
    assert plot(make(), ax=ax, **kwargs) is ax
    assert len(ax.lines) == n_lines and len(ax.patches) == n_patches
    assert len(ax.lines) + len(ax.patches) + len(ax.collections) > 0
    assert (ax.get_xlabel(), ax.get_ylabel()) == (xlabel, ylabel)
    assert len(fig.axes) == 1 and plt.get_fignums() == [fig.number]  # no other figure made


def test_regional_assessment_plot_values_and_errors():
    from raremin.plotting import plot_count_pmf, plot_tonnage_model, plot_totals
    from raremin.undiscovered.tonnage import TonnageModel

    ax = plot_count_pmf(_count())
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [0.2, 0.5, 0.3])
    assert ax.lines[0].get_xdata()[0] == pytest.approx(1.1)  # mean 0*0.2 + 1*0.5 + 2*0.3
    # A fixed model's cdf steps from 0 to 1 at its tonnage.
    step = plot_tonnage_model(_fixed_tonnage()).lines[0]
    np.testing.assert_allclose(step.get_xdata(), [2.5e5, 2.5e6, 2.5e7])
    np.testing.assert_allclose(step.get_ydata(), [0.0, 1.0, 1.0])
    curve = plot_tonnage_model(_tonnage()).lines[0].get_ydata()
    assert curve[0] < 1e-6 and curve[-1] > 1 - 1e-6 and np.all(np.diff(curve) >= 0)
    with pytest.raises(InputError, match="not fitted"):
        plot_tonnage_model(TonnageModel())
    with pytest.raises(InputError, match="unknown quantity 'gold'"):
        plot_totals(_totals(), "gold")
