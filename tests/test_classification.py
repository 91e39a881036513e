"""Tests for raremin.classification: rules, drill spacing, simulated confidence, smoothing."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import box

import raremin
from raremin.classification import (
    CLASS_NAMES,
    ClassificationRules,
    Criteria,
    classify,
    drill_spacing,
    panel_confidence,
    smooth_classes,
)
from raremin.deposit import Deposit, Zone
from raremin.errors import InputError
from raremin.grid import BlockGrid, BlockModel

matplotlib.use("Agg")


def _row_model(n: int, **arrays) -> BlockModel:
    """n blocks of 10 m in a row, one zone, density 2.5; extra arrays per parcel."""
    model = BlockModel.from_deposit(Zone("A", box(0, 0, 10 * n, 10), 10, 0, 2.5),
                                    BlockGrid((0, 0, 0), 10, (n, 1, 1)))
    return model.with_arrays(cu_pct=np.ones(n), **arrays)


# ------------------------------------------------------------------------ criteria


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_spacing_m": "fifty"}, "max_spacing_m must be a number; got 'fifty'"),
        ({"max_spacing_m": True}, "max_spacing_m must be a number; got True"),
        ({"max_spacing_m": float("nan")}, "max_spacing_m must be finite; got nan"),
        ({"max_spacing_m": -50.0}, r"max_spacing_m must be > 0; got -50.0"),
        ({"min_slope": -0.2}, r"min_slope must be > 0; got -0.2"),
        ({"min_samples": 2.5}, r"min_samples is a count .* got 2.5"),
        ({"min_holes": 0}, r"min_holes must be > 0; got 0"),
        ({"min_efficiency": 1.5}, r"min_efficiency is at most 1 .* got 1.5"),
        ({"max_kriging_variance": [1.0]}, r"max_kriging_variance must be a number; got \[1.0\]"),
        ({"panel_blocks": (4, 4, 2)}, r"panel_blocks=\(4, 4, 2\) is only used with"),
        ({"max_relative_interval": 0.3, "panel_blocks": (4, 0, 2)}, r"block counts >= 1"),
        ({"max_relative_interval": 0.3, "panel_blocks": (4,)}, r"2 or 3 block counts"),
    ],
)
def test_bad_criteria_name_the_value(kwargs, match):
    with pytest.raises(InputError, match=match):
        Criteria(**kwargs)


def test_unknown_criterion_suggests_the_closest():
    with pytest.raises(InputError, match=r"'max_spacng_m' \(did you mean 'max_spacing_m'\?\)"):
        Criteria.from_mapping({"max_spacng_m": 50})
    with pytest.raises(InputError, match=r"'indicted' \(did you mean 'indicated'\?\)"):
        ClassificationRules.from_mapping({"indicted": {"max_spacing_m": 50}})
    rules = ClassificationRules.from_mapping({"measured": {"min_slope": 0.9},
                                              "indicated": {"min_slope": 0.6}})
    assert rules.measured.min_slope == 0.9 and rules.indicated.min_slope == 0.6


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"measured": Criteria(max_spacing_m=150), "indicated": Criteria(max_spacing_m=100)},
         r"max_spacing_m out of order between classes: Measured 150 > Indicated 100"),
        ({"measured": Criteria(min_slope=0.5), "indicated": Criteria(min_slope=0.6)},
         r"min_slope out of order between classes: Measured 0.5 < Indicated 0.6"),
        ({"indicated": Criteria(min_samples=4), "inferred": Criteria(min_samples=8)},
         r"min_samples out of order between classes: Indicated 4 < Inferred 8"),
        # A class left out does not hide the order of the others.
        ({"measured": Criteria(max_nearest_distance_m=90),
          "inferred": Criteria(max_nearest_distance_m=60)},
         r"max_nearest_distance_m out of order between classes: Measured 90 > Inferred 60"),
        ({"combine": "most"}, r"combine must be one of \('all', 'any'\); got 'most'"),
        ({"spacing_shape": "hexagon"}, r"spacing_shape must be one of .* got 'hexagon'"),
        ({"spacing_window_m": -100}, r"spacing_window_m must be > 0 m; got -100"),
        ({"spacing_half_height_m": 0}, r"spacing_half_height_m must be > 0 m; got 0"),
        ({"measured": {"min_slope": 0.9, "min_slop": 1}}, r"'min_slop'"),
        ({"measured": 0.9}, r"measured must be a Criteria"),
    ],
)
def test_bad_rules_name_the_values(kwargs, match):
    with pytest.raises(InputError, match=match):
        ClassificationRules(**kwargs)


def test_equal_thresholds_between_classes_are_allowed():
    rules = ClassificationRules(measured=Criteria(max_spacing_m=50, min_slope=0.9),
                                indicated=Criteria(max_spacing_m=50, min_slope=0.6))
    assert rules.window_m() == 100.0


def test_default_rules_and_description():
    rules = ClassificationRules.default()
    assert rules.measured.thresholds() == {"max_spacing_m": 50.0, "min_slope": 0.85}
    assert rules.indicated.thresholds() == {"max_spacing_m": 100.0, "min_slope": 0.6}
    assert rules.inferred.thresholds() == {}
    lines = rules.describe(block_height_m=20)
    assert lines[0] == "Measured: average drill spacing <= 50 m and slope of regression >= 0.85"
    assert lines[2] == "Inferred: every estimated block"
    assert "200 m square" in lines[4] and "+/- 20 m vertically" in lines[4]
    assert ClassificationRules(indicated=Criteria(min_slope=0.5)).describe()[0] == (
        "Measured: not assigned")


# ------------------------------------------------------------------------ each rule

# criterion, model array, values per block, threshold, expected pass (NaN always fails)
RULES = [
    ("min_slope", "slope", [0.5, 0.6, 0.61, np.nan, 1.2], 0.6, [0, 1, 1, 0, 1]),
    ("min_efficiency", "efficiency", [0.1, 0.5, 0.49, np.nan, 0.9], 0.5, [0, 1, 0, 0, 1]),
    ("max_kriging_variance", "variance", [0.2, 0.3, 0.31, np.nan, 0.0], 0.3, [1, 1, 0, 0, 1]),
    ("min_samples", "n_samples", [3, 8, 7, 0, 32], 8, [0, 1, 0, 0, 1]),
    ("max_nearest_distance_m", "nearest_distance_m", [10.0, 50.0, 50.1, np.nan, 0.0], 50,
     [1, 1, 0, 0, 1]),
    ("max_mean_distance_m", "mean_distance_m", [80.0, 100.0, 120.0, np.nan, 99.0], 100,
     [1, 1, 0, 0, 1]),
]


@pytest.mark.parametrize(("criterion", "array", "values", "threshold", "expected"), RULES)
def test_each_rule_on_known_diagnostics(criterion, array, values, threshold, expected):
    model = _row_model(5, **{array: np.array(values)})
    rules = ClassificationRules(indicated=Criteria(**{criterion: threshold}))
    result = classify(model, rules, grade="cu_pct", smooth=False)
    assert result.passed["Indicated"][criterion].tolist() == [bool(e) for e in expected]
    assert result.classes.tolist() == [2 if e else 3 for e in expected]
    assert result.model.arrays["resource_class"].dtype == np.int8


def test_classes_nest_and_not_estimated_blocks_stay_unclassified():
    model = _row_model(5, slope=np.array([0.95, 0.95, 0.7, 0.95, 0.95]),
                       n_samples=np.array([16, 3, 16, 16, 16]))
    model = model.with_arrays(cu_pct=np.array([1.0, 1.0, 1.0, 1.0, np.nan]))
    rules = ClassificationRules(measured=Criteria(min_slope=0.9),
                                indicated=Criteria(min_samples=8))
    result = classify(model, rules, grade="cu_pct", smooth=False)
    # Block 1 meets the Measured slope but not the Indicated samples: Inferred, not Measured.
    assert result.passed["Measured"]["min_slope"].tolist()[:2] == [True, True]
    assert result.classes.tolist() == [1, 3, 2, 1, 0]
    assert result.class_names().tolist() == ["Measured", "Inferred", "Indicated", "Measured",
                                             "Unclassified"]


def test_combine_any_and_inferred_criteria_and_absent_classes():
    model = _row_model(4, slope=np.array([0.9, 0.3, 0.3, 0.9]),
                       n_samples=np.array([2, 20, 2, 20]))
    any_rules = ClassificationRules(indicated=Criteria(min_slope=0.8, min_samples=10),
                                    combine="any")
    assert classify(model, any_rules, grade="cu_pct", smooth=False).classes.tolist() == [
        2, 2, 3, 2]
    strict = ClassificationRules(indicated=Criteria(min_slope=0.8, min_samples=10),
                                 inferred=Criteria(min_samples=5))
    # Inferred needs 5 samples here: blocks failing it are Unclassified.
    assert classify(model, strict, grade="cu_pct", smooth=False).classes.tolist() == [
        0, 3, 0, 2]
    no_inferred = ClassificationRules(indicated=Criteria(min_slope=0.8), inferred=None)
    assert classify(model, no_inferred, grade="cu_pct", smooth=False).classes.tolist() == [
        2, 0, 0, 2]


def test_classify_errors():
    model = _row_model(3)
    with pytest.raises(InputError, match=r"needs the model array 'slope'.*estimate with Kriging"):
        classify(model, ClassificationRules(indicated=Criteria(min_slope=0.6)), grade="cu_pct")
    with pytest.raises(InputError, match="pass samples="):
        classify(model, ClassificationRules.default(), grade="cu_pct")
    with pytest.raises(InputError, match="give grade="):
        classify(model, ClassificationRules())
    with pytest.raises(InputError, match=r"no array 'zn_pct'"):
        classify(model, ClassificationRules(), grade="zn_pct")
    with pytest.raises(InputError, match="needs realisations="):
        classify(model, ClassificationRules(indicated=Criteria(max_relative_interval=0.3)),
                 grade="cu_pct")
    with pytest.raises(InputError, match="samples lack column"):
        classify(model, ClassificationRules(indicated=Criteria(max_spacing_m=50)),
                 samples=pd.DataFrame({"easting_m": [1.0]}), grade="cu_pct")


# ------------------------------------------------------------------------ drill spacing


def _pattern_model_and_holes(spacing=50.0, first=100.0, last=300.0):
    """A 400 x 400 x 50 m zone in 25 x 25 x 10 m blocks; vertical holes on a square grid
    from `first` to `last` m, a sample every 5 m from 2.5 to 47.5 m elevation."""
    model = BlockModel.from_deposit(Zone("A", box(0, 0, 400, 400), 50, 0, 2.5),
                                    BlockGrid((0, 0, 0), (25, 25, 10), (16, 16, 5)))
    axis = np.arange(first, last + 1, spacing)
    hx, hy = np.meshgrid(axis, axis, indexing="ij")
    z = np.arange(2.5, 50, 5.0)
    n_holes, n_z = hx.size, z.size
    samples = pd.DataFrame({
        "hole_id": np.repeat([f"H{i:03d}" for i in range(n_holes)], n_z),
        "easting_m": np.repeat(hx.ravel(), n_z),
        "northing_m": np.repeat(hy.ravel(), n_z),
        "elevation_m": np.tile(z, n_holes),
    })
    return model, samples


def _at(model, x, y, z):
    return int(model.grid.coords_to_index([[x, y, z]])[0])


def test_drill_spacing_on_a_regular_pattern():
    model, samples = _pattern_model_and_holes()
    square = drill_spacing(model, samples, window_m=100.0)
    # Block centred at (162.5, 212.5): holes at x in {150, 200}, y in {200, 250}: 4 holes,
    # sqrt(100^2 / 4) = 50 m, the pattern's spacing.
    i = _at(model, 162.5, 212.5, 25.0)
    assert square["drill_holes"][i] == 4
    assert square["drill_spacing_m"][i] == pytest.approx(50.0, rel=1e-12)
    # Every block centre whose window lies inside the pattern sees 4 holes.
    centres = model.centres()
    inside = np.all((centres[:, :2] >= 150) & (centres[:, :2] <= 250), axis=1)
    assert np.all(square["drill_holes"][inside] == 4)
    np.testing.assert_allclose(square["drill_spacing_m"][inside], 50.0, rtol=1e-12)
    # 200 m square at (112.5, 112.5): x, y in {50..200} -> 100, 150, 200: 3 x 3 = 9 holes.
    big = drill_spacing(model, samples, window_m=200.0)
    j = _at(model, 112.5, 112.5, 25.0)
    assert big["drill_holes"][j] == 9
    assert big["drill_spacing_m"][j] == pytest.approx(math.sqrt(200.0**2 / 9), rel=1e-12)
    # At the corner of the pattern, (87.5, 87.5): only x, y in {100, 150}: 4 holes, 100 m.
    k = _at(model, 87.5, 87.5, 25.0)
    assert big["drill_holes"][k] == 4
    assert big["drill_spacing_m"][k] == pytest.approx(100.0, rel=1e-12)
    # Far from the holes: none, infinite spacing.
    far = _at(model, 12.5, 387.5, 25.0)
    assert square["drill_holes"][far] == 0 and np.isinf(square["drill_spacing_m"][far])


def test_drill_spacing_circle_window():
    model, samples = _pattern_model_and_holes()
    out = drill_spacing(model, samples, window_m=100.0, shape="circle")
    # Within 50 m of (112.5, 112.5): (100, 100) 17.7 m, (150, 100) and (100, 150) 39.5 m;
    # (150, 150) is 53.0 m away. 3 holes in pi * 50^2 m2.
    i = _at(model, 112.5, 112.5, 25.0)
    assert out["drill_holes"][i] == 3
    assert out["drill_spacing_m"][i] == pytest.approx(math.sqrt(math.pi * 2500.0 / 3), rel=1e-12)


def test_drill_spacing_counts_holes_where_their_samples_are():
    model, samples = _pattern_model_and_holes(first=100.0, last=150.0)
    # Shorten hole H000 (at 100, 100) to its top 10 m and make H003 (150, 150) inclined,
    # drifting 100 m east between the top and the bottom.
    samples = samples[~((samples["hole_id"] == "H000") & (samples["elevation_m"] < 40))]
    inclined = samples["hole_id"] == "H003"
    samples.loc[inclined, "easting_m"] = 150.0 + 100.0 * (47.5 - samples.loc[
        inclined, "elevation_m"]) / 45.0
    out = drill_spacing(model, samples, window_m=100.0, half_height_m=5.0)
    top, bottom = 45.0, 5.0
    assert out["drill_holes"][_at(model, 112.5, 112.5, top)] == 4
    # At the bottom: H000 ends above, H003 has drifted to x = 250 m.
    assert out["drill_holes"][_at(model, 112.5, 112.5, bottom)] == 2
    assert out["drill_holes"][_at(model, 237.5, 137.5, bottom)] == 1


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), shape=st.sampled_from(["square", "circle"]),
       window=st.floats(30.0, 250.0), half=st.floats(5.0, 40.0))
def test_drill_spacing_matches_brute_force(seed, shape, window, half):
    rng = np.random.default_rng(seed)
    model = BlockModel.from_deposit(Zone("A", box(0, 0, 300, 200), 60, 0, 2.5),
                                    BlockGrid((0, 0, 0), (50, 40, 20), (6, 5, 3)))
    n = 40
    samples = pd.DataFrame({"hole_id": rng.integers(0, 12, n),
                            "easting_m": rng.uniform(-50, 350, n),
                            "northing_m": rng.uniform(-50, 250, n),
                            "elevation_m": rng.uniform(0, 60, n)})
    out = drill_spacing(model, samples, window_m=window, shape=shape, half_height_m=half)
    c = model.centres()
    xyz = samples[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    d = np.abs(c[:, None, :] - xyz[None, :, :])
    plan = (np.all(d[..., :2] <= window / 2, axis=-1) if shape == "square"
            else np.hypot(d[..., 0], d[..., 1]) <= window / 2)
    hit = plan & (d[..., 2] <= half)
    holes = samples["hole_id"].to_numpy()
    expected = np.array([np.unique(holes[row]).size for row in hit])
    np.testing.assert_array_equal(out["drill_holes"], expected)
    area = window**2 if shape == "square" else math.pi * (window / 2) ** 2
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(out["drill_spacing_m"], np.sqrt(area / expected))


def test_drill_spacing_errors():
    model, samples = _pattern_model_and_holes()
    with pytest.raises(InputError, match=r"window_m must be > 0 m; got -5"):
        drill_spacing(model, samples, window_m=-5)
    with pytest.raises(InputError, match=r"shape must be one of .* got 'oval'"):
        drill_spacing(model, samples, window_m=100, shape="oval")
    bad = samples.copy()
    bad.loc[3, "easting_m"] = np.nan
    with pytest.raises(InputError, match=r"1 sample\(s\) have missing coordinates \(first: row 3"):
        drill_spacing(model, bad, window_m=100)
    with pytest.raises(InputError, match=r"samples lack column\(s\) \['collar'\]"):
        drill_spacing(model, samples, window_m=100, hole_column="collar")


def test_spacing_rule_classifies_the_pattern():
    model, samples = _pattern_model_and_holes()
    model = model.with_arrays(cu_pct=np.ones(model.n_parcels))
    rules = ClassificationRules(measured=Criteria(max_spacing_m=50, min_holes=4),
                                indicated=Criteria(max_spacing_m=100),
                                spacing_window_m=100)
    result = classify(model, rules, samples=samples, grade="cu_pct", smooth=False)
    spacing = result.model.arrays["drill_spacing_m"]
    holes = result.model.arrays["drill_holes"]
    expected = np.where((spacing <= 50) & (holes >= 4), 1, np.where(spacing <= 100, 2, 3))
    np.testing.assert_array_equal(result.classes, expected)
    assert (result.classes == 1).sum() > 0 and (result.classes == 2).sum() > 0


# ------------------------------------------------------------------------ simulation


def _realisations(n_real=201):
    """8 x 2 blocks (10 m) in two panels of 4 x 2; known spread per panel."""
    model = BlockModel.from_deposit(Zone("A", box(0, 0, 80, 20), 10, 0, 2.5),
                                    BlockGrid((0, 0, 0), 10, (8, 2, 1)))
    u = np.linspace(-1.0, 1.0, n_real)[:, None]
    ix = model.grid.index_to_ijk(model.block_index)[:, 0]
    west = ix < 4
    # West panel: 1 + 0.1 u on every block. East panel: blocks alternate 2 +/- 0.6 u,
    # whose mean (2) does not vary: the panel is certain although its blocks are not.
    sign = np.where(np.arange(model.n_parcels) % 2 == 0, 1.0, -1.0)
    grades = np.where(west, 1.0 + 0.1 * u, 2.0 + 0.6 * u * sign)
    return model, model.with_arrays(cu_pct=grades)


def test_panel_confidence_known_spread():
    model, sims = _realisations()
    width = panel_confidence(sims, "cu_pct", (4, 2, 1))
    ix = model.grid.index_to_ijk(model.block_index)[:, 0]
    # Quantiles of 1 + 0.1 u, u evenly spread on [-1, 1]: P90 = 0.92, P10 = 1.08, P50 = 1.
    np.testing.assert_allclose(width[ix < 4], 0.16, atol=1e-12)
    np.testing.assert_allclose(width[ix >= 4], 0.0, atol=1e-12)
    # Panels of one block: the east blocks spread 0.96 / 2 = 0.48.
    single = panel_confidence(sims, "cu_pct", (1, 1, 1))
    np.testing.assert_allclose(single[ix >= 4], 0.48, atol=1e-12)
    # The 90 % interval (P95, P5): 1 +/- 0.09.
    wide = panel_confidence(sims, "cu_pct", (4, 2, 1), interval=("P95", "P5"))
    np.testing.assert_allclose(wide[ix < 4], 0.18, atol=1e-12)


def test_panel_confidence_leaves_out_unsimulated_parcels_and_keeps_zones_apart():
    dep = Deposit("D", [Zone("A", box(0, 0, 20, 10), 10, 0, 2.5),
                        Zone("B", box(20, 0, 40, 10), 10, 0, 2.5)], crs=32643)
    model = BlockModel.from_deposit(dep, BlockGrid((0, 0, 0), 10, (4, 1, 1)))
    u = np.linspace(-1, 1, 101)[:, None]
    grades = np.where(model.zone_code == 0, 1 + 0.1 * u, 1 + 0.5 * u)
    grades[:, 0] = np.nan
    width = panel_confidence(model.with_arrays(cu_pct=grades), "cu_pct", (4, 1, 1))
    assert np.isnan(width[0])
    np.testing.assert_allclose(width[1:], [0.16, 0.8, 0.8], atol=1e-12)


def test_relative_interval_rule():
    model, sims = _realisations()
    estimate = model.with_arrays(cu_pct=np.asarray(sims.arrays["cu_pct"]).mean(axis=0))
    rules = ClassificationRules(measured=Criteria(max_relative_interval=0.1),
                                indicated=Criteria(max_relative_interval=0.2,
                                                   panel_blocks=(1, 1, 1)))
    result = classify(estimate, rules, realisations=sims, grade="cu_pct",
                      panel_blocks=(4, 2, 1), smooth=False)
    ix = model.grid.index_to_ijk(model.block_index)[:, 0]
    # West: 0.16 (panel) and 0.16 (block): Indicated. East: 0 (panel) but 0.48 per block:
    # fails the Indicated rule, so not Measured either (classes nest): Inferred.
    np.testing.assert_array_equal(result.classes, np.where(ix < 4, 2, 3))
    np.testing.assert_allclose(result.model.arrays["relative_interval_measured"][ix >= 4], 0.0,
                               atol=1e-12)
    assert "panels of 1 x 1 x 1 blocks" in result.rules.describe()[1]


def test_panel_confidence_errors():
    model, sims = _realisations()
    with pytest.raises(InputError, match=r"must have shape \(n_realisations, n_parcels\)"):
        panel_confidence(model.with_arrays(cu_pct=np.ones(model.n_parcels)), "cu_pct", (2, 2, 1))
    with pytest.raises(InputError, match=r"interval holds 'P200'"):
        panel_confidence(sims, "cu_pct", (2, 2, 1), interval=("P200", "P10"))
    with pytest.raises(InputError, match=r"\(low, high\) P-labels around P50"):
        panel_confidence(sims, "cu_pct", (2, 2, 1), interval=("P10", "P90"))
    with pytest.raises(InputError, match=r"panel_blocks needs 3 counts"):
        panel_confidence(sims, "cu_pct", (2, 2))
    with pytest.warns(UserWarning, match="5 realisations"):
        panel_confidence(_realisations(5)[1], "cu_pct", (2, 2, 1))
    other = BlockModel.from_deposit(Zone("A", box(0, 0, 30, 10), 10, 0, 2.5),
                                    BlockGrid((0, 0, 0), 10, (3, 1, 1)))
    rules = ClassificationRules(indicated=Criteria(max_relative_interval=0.3))
    with pytest.raises(InputError, match="on other parcels than the model"):
        classify(other.with_arrays(cu_pct=np.ones(3)), rules, realisations=sims,
                 grade="cu_pct")


# ------------------------------------------------------------------------ smoothing

PATTERN = """
2222222
2122222
2222332
3222332
2222222
2211202
2222223
"""


def _grid_model(rows: str):
    codes = np.array([[int(c) for c in line] for line in rows.split()])
    ny, nx = codes.shape
    model = BlockModel.from_deposit(Zone("A", box(0, 0, 10 * nx, 10 * ny), 10, 0, 2.0),
                                    BlockGrid((0, 0, 0), 10, (nx, ny, 1)))
    ijk = model.grid.index_to_ijk(model.block_index)
    # Row 0 of the text is the north edge.
    return model, codes[ny - 1 - ijk[:, 1], ijk[:, 0]].astype(np.int8)


def _as_text(model, codes):
    ijk = model.grid.index_to_ijk(model.block_index)
    nx, ny = model.grid.shape[:2]
    out = np.zeros((ny, nx), dtype=int)
    out[ny - 1 - ijk[:, 1], ijk[:, 0]] = codes
    return "\n".join("".join(map(str, row)) for row in out)


def test_smoothing_changes_only_isolated_blocks():
    model, codes = _grid_model(PATTERN)
    new, counts = smooth_classes(model, codes)
    # Changed: the lone Measured (row 2), the lone Inferred on the west edge (5 of its 5
    # neighbours Indicated) and in the south-east corner (3 neighbours: fewer than the 5
    # needed, so it stays). The 2 x 2 Inferred cluster, the Measured pair and the
    # Unclassified block keep their class.
    assert _as_text(model, new) == "\n".join([
        "2222222",
        "2222222",
        "2222332",
        "2222332",
        "2222222",
        "2211202",
        "2222223",
    ])
    assert counts.attrs["changed"] == 2
    table = counts.set_index("resource_class")
    assert table.loc["Measured", "parcels_before"] == 3
    assert table.loc["Measured", "parcels_after"] == 2
    assert table.loc["Inferred", "parcels_before"] == 6
    assert table.loc["Inferred", "parcels_after"] == 5
    assert table.loc["Unclassified", "parcels_after"] == 1
    assert table.loc["Indicated", "tonnage_after_t"] == pytest.approx(41 * 10**3 * 2.0)


def test_smoothing_options():
    model, codes = _grid_model(PATTERN)
    down, _ = smooth_classes(model, codes, upgrade=False)
    # Only the Measured block goes down; the Inferred one may not go up.
    assert _as_text(model, down).splitlines()[1] == "2222222"
    assert _as_text(model, down).splitlines()[3] == "3222332"
    corner, _ = smooth_classes(model, codes, min_agree=2)
    assert _as_text(model, corner).splitlines()[6] == "2222222"
    with pytest.raises(InputError, match=r"min_agree must be between 1 and the 8"):
        smooth_classes(model, codes, min_agree=9)
    with pytest.raises(InputError, match="sizes must be odd"):
        smooth_classes(model, codes, window=(2, 2, 1))
    with pytest.raises(InputError, match=r"integer codes 0..3.*\[0, 1, 2, 7\]"):
        smooth_classes(model, np.where(codes == 3, 7, codes))
    with pytest.raises(InputError, match="one code per parcel"):
        smooth_classes(model, codes[:-1])


def test_smoothing_in_3d_and_across_zones():
    # Two zones side by side: a block is judged by the neighbours of its own zone only.
    dep = Deposit("D", [Zone("A", box(0, 0, 30, 30), 30, 0, 2.5),
                        Zone("B", box(30, 0, 60, 30), 30, 0, 2.5)], crs=32643)
    model = BlockModel.from_deposit(dep, BlockGrid((0, 0, 0), 10, (6, 3, 3)))
    ijk = model.grid.index_to_ijk(model.block_index)
    codes = np.where(model.zone_code == 0, 2, 3).astype(np.int8)
    centre_a = (ijk[:, 0] == 1) & (ijk[:, 1] == 1) & (ijk[:, 2] == 1)
    edge_b = (ijk[:, 0] == 3) & (ijk[:, 1] == 1) & (ijk[:, 2] == 1)
    codes[centre_a] = 1
    codes[edge_b] = 2  # next to zone A's Indicated blocks, but alone in zone B
    new, counts = smooth_classes(model, codes, window=(3, 3, 3))
    assert new[centre_a].tolist() == [2]  # 26 Indicated neighbours
    assert new[edge_b].tolist() == [3]  # 17 neighbours in zone B, all Inferred
    assert counts.attrs["changed"] == 2


# ------------------------------------------------------------------------ tables, display


def test_tonnage_table_and_display():
    model = _row_model(4, slope=np.array([0.9, 0.9, 0.3, 0.3]))
    model = model.with_arrays(cu_pct=np.array([1.0, 2.0, 4.0, np.nan]))
    rules = ClassificationRules(measured=Criteria(min_slope=0.8))
    result = classify(model, rules, grade="cu_pct", smooth=False)
    table = result.tonnage_table(["cu_pct"])
    total = table[table["zone"] == "Total"].set_index("resource_class")
    assert list(total.index) == ["Measured", "Indicated", "Inferred", "Unclassified"]
    assert total["tonnage_t"].tolist() == [5000.0, 0.0, 2500.0, 2500.0]
    assert total["parcels"].tolist() == [2, 0, 1, 1]
    assert total.loc["Measured", "cu_pct"] == pytest.approx(1.5)
    assert np.isnan(total.loc["Unclassified", "cu_pct"])
    text = repr(result)
    assert text.count("\n") <= 3 and len(text) < 600
    assert "Measured 5 kt (2)" in text and "no smoothing" in text
    assert len(result._repr_html_()) < 20_000
    with pytest.raises(InputError, match=r"no array\(s\) \['zn_pct'\]"):
        result.tonnage_table(["zn_pct"])


def test_plot_classes_colours_and_legend():
    from matplotlib.colors import to_rgba

    from raremin.plotting import CLASS_COLORS, plot_classes

    model = BlockModel.from_deposit(Zone("A", box(0, 0, 40, 10), 20, 0, 2.5),
                                    BlockGrid((0, 0, 0), 10, (4, 1, 2)))
    ijk = model.grid.index_to_ijk(model.block_index)
    codes = np.where(ijk[:, 2] == 0, 0, ijk[:, 0] % 4).astype(np.int8)
    ax = plot_classes(model, codes)
    # Default bench: the one with the most classified parcels (the upper one).
    assert ax.get_title() == "Bench at elevation 15 m: resource classes"
    assert ax.block_values.tolist() == [[0.0, 1.0, 2.0, 3.0]]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Measured", "Indicated", "Inferred", "Unclassified"]
    mesh = ax.collections[0]
    faces = mesh.to_rgba(np.ravel(mesh.get_array()))
    for k, name in enumerate(CLASS_NAMES):
        np.testing.assert_allclose(faces[k], to_rgba(CLASS_COLORS[name]))
    section = plot_classes(model.with_arrays(resource_class=codes), section=("northing", 5.0),
                           colors={"Measured": "black"})
    assert section.block_values.shape == (2, 4)
    mesh = section.collections[0]
    np.testing.assert_allclose(mesh.to_rgba(np.ravel(mesh.get_array()))[5], to_rgba("black"))
    with pytest.raises(InputError, match="no classes"):
        plot_classes(model)
    with pytest.raises(InputError, match=r"unknown classes \['Probable'\]"):
        plot_classes(model, codes, colors={"Probable": "red"})
    matplotlib.pyplot.close("all")


# ------------------------------------------------------------------------ Kuirektykol


@pytest.fixture(scope="module")
def kuirektykol():
    data = raremin.load_kuirektykol()
    dep = raremin.Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    result = raremin.assess(dep, data.samples, block_size=(100, 100, 20))
    return result, data.samples


def test_kuirektykol_default_rules(kuirektykol):
    assessment, samples = kuirektykol
    model = assessment.model
    result = classify(model, samples=samples, grade=assessment.cutoff_label)
    table = result.tonnage_table()
    total = table[table["zone"] == "Total"].set_index("resource_class")["tonnage_t"]
    estimated = np.isfinite(model.arrays[assessment.cutoff_label])
    estimated_t = float(model.tonnage_t()[estimated].sum())
    summary = assessment.summary
    reported = summary[(summary["zone"] == "Total") & (summary["cutoff_pct"] == 0.0)]
    assert float(reported["tonnage_t"].iloc[0]) == pytest.approx(estimated_t, rel=1e-9)
    assert total[["Measured", "Indicated", "Inferred"]].sum() == pytest.approx(estimated_t,
                                                                               rel=1e-12)
    by_zone = table[table["zone"] != "Total"].groupby("resource_class")["tonnage_t"].sum()
    np.testing.assert_allclose(by_zone[total.index], total, rtol=1e-12)
    # Holes about 110 m apart: no Measured (50 m), about a quarter Indicated (100 m).
    assert total["Measured"] == 0.0
    assert 0.15 < total["Indicated"] / estimated_t < 0.4
    # Every Indicated block of the rules meets the Indicated thresholds.
    arrays = result.model.arrays
    indicated = result.unsmoothed == 2
    assert np.all(arrays["drill_spacing_m"][indicated] <= 100.0)
    assert np.all(arrays["slope"][indicated] >= 0.6)
    # Smoothing moved few parcels, and only those differ from the rules' classes.
    changed = result.classes != result.unsmoothed
    assert changed.sum() == result.smoothing.attrs["changed"] < 0.02 * model.n_parcels


def test_kuirektykol_measured_blocks_meet_every_threshold(kuirektykol):
    assessment, samples = kuirektykol
    rules = ClassificationRules(
        measured=Criteria(max_spacing_m=110, min_slope=0.95, min_samples=24),
        indicated=Criteria(max_spacing_m=150, min_slope=0.7, min_efficiency=0.5),
        inferred=Criteria(max_nearest_distance_m=200),
        spacing_window_m=250)
    result = classify(assessment.model, rules, samples=samples,
                      grade=assessment.cutoff_label, smooth=False)
    a = result.model.arrays
    measured = result.classes == 1
    assert measured.sum() > 10
    for mask, (spacing, slope) in ((measured, (110, 0.95)), (result.classes == 2, (150, 0.7))):
        assert np.all(a["drill_spacing_m"][mask] <= spacing)
        assert np.all(a["slope"][mask] >= slope)
    # Classes nest: Measured blocks meet the Indicated and Inferred thresholds too.
    assert np.all(a["efficiency"][measured] >= 0.5)
    assert np.all(a["n_samples"][measured] >= 24)
    assert np.all(a["nearest_distance_m"][result.classes > 0] <= 200)
    for name, tests in result.passed.items():
        code = CLASS_NAMES.index(name)
        for test in tests.values():
            assert test[(result.classes > 0) & (result.classes <= code)].all()
