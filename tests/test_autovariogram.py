"""Tests of raremin.geostats.autovariogram: the automatic 3D variogram."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import raremin
from raremin.errors import InputError
from raremin.geostats.autovariogram import AutoVariogram, auto_variogram
from raremin.geostats.crossval import cross_validate
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood, anisotropy_matrix
from raremin.geostats.variogram import ExperimentalVariogram

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- helpers
def gaussian_field(xyz: np.ndarray, ranges, angles, rng: np.random.Generator,
                   n_waves: int = 1000) -> np.ndarray:
    """
    A unit-variance Gaussian random field with Gaussian covariance ``exp(-3 |A h|^2)``.

    Spectral (random cosines) method: ``sqrt(2 / m) sum_k cos(w_k . x + phi_k)`` with
    ``w_k ~ N(0, 6 A^T A)``, the spectral density of that covariance, and uniform
    phases; ``A`` is the anisotropy matrix of the practical ranges and GSLIB angles
    (Shinozuka, 1971; Emery and Lantuejoul, 2006). Exact covariance in expectation.
    """
    a = anisotropy_matrix(ranges, angles)
    waves = math.sqrt(6.0) * rng.standard_normal((n_waves, 3)) @ a
    phase = rng.uniform(0.0, 2.0 * math.pi, n_waves)
    out = np.zeros(xyz.shape[0])
    for k in range(0, n_waves, 100):  # chunks of waves bound the memory
        out += np.cos(xyz @ waves[k:k + 100].T + phase[k:k + 100]).sum(axis=1)
    return out * math.sqrt(2.0 / n_waves)


def vertical_holes(spacing_m: float = 50.0, size_m: float = 1000.0, depth_m: float = 300.0,
                   step_m: float = 6.0) -> tuple[np.ndarray, np.ndarray]:
    """Vertical drillholes on a square grid, samples every `step_m` down `depth_m`."""
    axis = np.arange(0.0, size_m + 1e-9, spacing_m)
    gx, gy = np.meshgrid(axis, axis, indexing="ij")
    depth = -np.arange(step_m / 2.0, depth_m, step_m)
    xyz = np.column_stack([np.repeat(gx.ravel(), depth.size),
                           np.repeat(gy.ravel(), depth.size), np.tile(depth, gx.size)])
    return xyz, np.repeat(np.arange(gx.size), depth.size)


def angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    """Angle between two axes (sign-free), degrees."""
    c = abs(float(u @ v)) / (np.linalg.norm(u) * np.linalg.norm(v))
    return math.degrees(math.acos(min(1.0, c)))


def small_field(rng: np.random.Generator, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Scattered samples of a field most continuous east-west, least vertically."""
    xyz = rng.uniform(0.0, 1.0, (n, 3)) * [1000.0, 1000.0, 200.0]
    k = rng.standard_normal((200, 3)) * [0.004, 0.012, 0.024]
    return xyz, np.cos(xyz @ k.T + rng.uniform(0.0, 6.3, 200)).sum(axis=1)


# --------------------------------------------------------------------------- acceptance 1
@pytest.mark.parametrize(
    ("angles", "ranges"),
    [
        ((60.0, -30.0, 0.0), (300.0, 150.0, 40.0)),  # dipping
        ((0.0, 0.0, 0.0), (300.0, 300.0, 40.0)),  # horizontally isotropic, flat
        ((150.0, -60.0, 0.0), (300.0, 150.0, 40.0)),  # steep
    ],
)
def test_recovers_known_anisotropy_from_drillholes(rng, angles, ranges):
    """Acceptance: major axis within 15 degrees, range ratios within 30 %."""
    xyz, holes = vertical_holes()  # 441 holes on a 50 m grid, 50 samples each
    z = math.sqrt(0.9) * gaussian_field(xyz, ranges, angles, rng)
    z += math.sqrt(0.1) * rng.standard_normal(z.size)  # nugget: 10 % of the sill
    result = auto_variogram(xyz, z, holes=holes, shape="gaussian")
    truth = anisotropy_matrix((1.0, 1.0, 1.0), angles)  # rows: major, semi, minor axes
    if ranges[0] == ranges[1]:  # only the minor axis is defined
        assert angle_deg(result.axes[2], truth[2]) <= 15.0
    else:
        assert angle_deg(result.axes[0], truth[0]) <= 15.0
    major, semi, minor = result.ranges
    assert major / semi == pytest.approx(ranges[0] / ranges[1], rel=0.3)
    assert major / minor == pytest.approx(ranges[0] / ranges[2], rel=0.3)
    assert result.nugget_fraction == pytest.approx(0.1, abs=0.06)
    assert result.n_structures == 1


def test_model_axes_are_the_axes_found(rng):
    """The model's anisotropy matrix points its axes where the search found them."""
    xyz, holes = vertical_holes(spacing_m=100.0, step_m=6.0)
    z = gaussian_field(xyz, (300.0, 150.0, 40.0), (60.0, -30.0, 0.0), rng, n_waves=300)
    result = auto_variogram(xyz, z, holes=holes, shape="gaussian")
    for structure in result.model.structures:
        assert structure.angles == pytest.approx(result.angles)
        rows = anisotropy_matrix((1.0, 1.0, 1.0), structure.angles)
        for k in range(3):
            assert abs(float(rows[k] @ result.axes[k])) == pytest.approx(1.0, abs=1e-9)
    outer = max(result.model.structures, key=lambda s: s.ranges[0])
    assert outer.ranges == pytest.approx(result.ranges)
    assert result.ranges[0] >= result.ranges[1] >= result.ranges[2]
    az, dip, rake = result.angles
    assert 0.0 <= az < 360.0 and -90.0 <= dip <= 0.0 and -90.0 < rake <= 90.0
    # A lag along each axis, as long as the range, is at reduced distance 1.
    for k in range(3):
        lag = result.ranges[k] * result.axes[k]
        assert float(np.linalg.norm(outer.matrix(3) @ lag)) == pytest.approx(1.0)


# --------------------------------------------------------------------------- result
def test_result_holds_model_variograms_and_counts(rng):
    xyz, z = small_field(rng)
    result = auto_variogram(xyz, z, shape="gaussian", max_pairs=20_000)
    assert isinstance(result, AutoVariogram)
    assert isinstance(result.model, VariogramModel)
    assert result.model.sill == pytest.approx(float(np.var(z)))
    assert result.sill == pytest.approx(float(np.var(z)))
    assert len(result.experimental) == 3
    assert all(isinstance(ev, ExperimentalVariogram) for ev in result.experimental)
    assert [ev.direction.split(" axis")[0] for ev in result.experimental] == [
        "major", "semi-minor", "minor"]
    for ev, axis in zip(result.experimental, result.axes, strict=True):
        az, dip = math.radians(ev.azimuth), math.radians(ev.dip)
        along = np.array([math.cos(dip) * math.sin(az), math.cos(dip) * math.cos(az),
                          math.sin(dip)])
        assert angle_deg(along, axis) < 1e-6
        assert ev.dip <= 0.0
        assert ev.angle_tolerance == result.angle_tolerance == 22.5
    assert result.downhole is not None and result.downhole.direction == "nearest neighbours"
    assert 0 < result.n_pairs_local < result.n_pairs <= 20_000
    assert result.n_coincident == 0
    assert result.estimator == "matheron"
    with pytest.raises(AttributeError):
        result.nugget = 0.0  # frozen


def test_describe_is_one_line_for_a_report(rng):
    xyz, z = small_field(rng)
    result = auto_variogram(xyz, z, shape="gaussian")
    text = result.describe()
    pattern = (r"major axis azimuth \d+°, dip -?\d+°; ranges \d+/\d+/\d+ m; nugget \d+ % of "
               r"sill; [12] structures?")
    assert re.fullmatch(pattern, text), text
    az, dip, _ = result.angles
    assert f"azimuth {az:.0f}°" in text and f"dip {dip:.0f}°" in text


def test_plot_draws_the_three_axes_and_the_model(rng):
    xyz, z = small_field(rng)
    ax = auto_variogram(xyz, z, shape="gaussian").plot()
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["model, major", "model, semi-minor", "model, minor"]


@pytest.mark.parametrize("max_pairs", [1000, 5000, 50_000])
def test_pairs_never_exceed_the_cap(rng, max_pairs):
    xyz, holes = vertical_holes(spacing_m=200.0, step_m=10.0)
    z = gaussian_field(xyz, (300.0, 150.0, 40.0), (60.0, -30.0, 0.0), rng, n_waves=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 36 holes 200 m apart: a range beyond the lags
        result = auto_variogram(xyz, z, holes=holes, max_pairs=max_pairs)
    assert result.n_pairs <= min(max_pairs, 150 * z.size)
    assert result.downhole is not None and result.downhole.direction == "down-hole"


def test_pairs_grow_at_most_linearly(rng):
    """Without a binding cap the budget is 150 pairs per sample."""
    for spacing in (200.0, 62.5):  # 36 and 289 holes
        xyz, holes = vertical_holes(spacing_m=spacing, step_m=10.0)
        z = gaussian_field(xyz, (300.0, 150.0, 40.0), (60.0, -30.0, 0.0), rng, n_waves=100)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 36 holes 200 m apart: a range beyond the lags
            result = auto_variogram(xyz, z, holes=holes, max_pairs=10**8)
        assert 0.5 * 150 * z.size <= result.n_pairs <= 150 * z.size


def test_seed_makes_runs_repeat(rng):
    xyz, z = small_field(rng)
    a = auto_variogram(xyz, z, seed=3)
    b = auto_variogram(xyz, z, seed=np.random.default_rng(3))
    assert a.model == b.model
    assert a.describe() == b.describe()


def test_one_structure_when_asked(rng):
    xyz, z = small_field(rng)
    result = auto_variogram(xyz, z, max_structures=1, shape="gaussian")
    assert result.n_structures == 1 and len(result.weighted_sse) == 1


def test_two_structures_where_the_data_support_them(rng):
    """A short and a long structure (and a small nugget) are told apart."""
    xyz, holes = vertical_holes(spacing_m=50.0, step_m=3.0, size_m=800.0)
    short = gaussian_field(xyz, (60.0, 60.0, 15.0), (60.0, -30.0, 0.0), rng, n_waves=500)
    long = gaussian_field(xyz, (500.0, 250.0, 80.0), (60.0, -30.0, 0.0), rng, n_waves=500)
    z = math.sqrt(0.45) * short + math.sqrt(0.45) * long
    z += math.sqrt(0.1) * rng.standard_normal(z.size)
    result = auto_variogram(xyz, z, holes=holes, shape="gaussian")
    assert result.n_structures == 2
    crit1, crit2 = result.weighted_sse
    assert crit2 < 0.8 * crit1
    first, second = result.model.structures
    assert first.ranges[0] < second.ranges[0]  # shortest first
    assert first.sill + second.sill + result.nugget == pytest.approx(result.sill)
    assert result.nugget_fraction < 0.35  # one structure would take about 45 %


def test_weights_give_the_weighted_sill(rng):
    xyz, z = small_field(rng)
    w = rng.uniform(0.5, 2.0, z.size)
    result = auto_variogram(xyz, z, weights=w, shape="gaussian")
    mean = np.sum(w * z) / np.sum(w)
    assert result.sill == pytest.approx(float(np.sum(w * (z - mean) ** 2) / np.sum(w)))
    assert result.model.sill == pytest.approx(result.sill)
    ones = auto_variogram(xyz, z, weights=np.ones(z.size), shape="gaussian")
    plain = auto_variogram(xyz, z, shape="gaussian")
    assert ones.model == plain.model


def test_two_dimensional_input(rng):
    xy = rng.uniform(0.0, 1000.0, (1500, 2))
    k = rng.standard_normal((200, 2)) * [0.004, 0.02]  # longest range along x
    theta = math.radians(30.0)  # turn the field: longest range along azimuth 120
    turn = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    z = np.cos(xy @ turn.T @ k.T + rng.uniform(0.0, 6.3, 200)).sum(axis=1)
    result = auto_variogram(xy, z, shape="gaussian")
    assert result.axes.shape == (2, 2)
    assert len(result.ranges) == 2 and len(result.experimental) == 2
    assert result.angles[1:] == (0.0, 0.0)
    assert abs((result.angles[0] - 120.0 + 90.0) % 180.0 - 90.0) <= 15.0
    assert result.ranges[0] > 2.0 * result.ranges[1]
    assert re.fullmatch(r"major axis azimuth \d+°; ranges \d+/\d+ m; .*", result.describe())
    structure = result.model.structures[0]
    assert len(structure.ranges) == 2
    assert result.model.gamma(np.array([[0.0, 10.0]])).shape == (1,)


def test_correlogram_estimator_is_scaled_to_the_sill(rng):
    xyz, z = small_field(rng)
    result = auto_variogram(xyz, np.exp(z / 4.0), estimator="correlogram", shape="gaussian")
    assert result.estimator == "correlogram"
    far = result.experimental[0]
    used = far.n_pairs > 100
    # 1 - correlogram times the sill: near the sill at long lags, far below it at short.
    assert float(np.nanmax(far.gamma[used])) < 2.0 * result.sill
    assert result.model.sill == pytest.approx(result.sill)


def test_coincident_samples_are_counted(rng):
    xyz, z = small_field(rng, 300)
    xyz = np.vstack([xyz, xyz[:20]])
    z = np.concatenate([z, z[:20] + 0.1])
    result = auto_variogram(xyz, z, max_structures=1, shape="gaussian")
    assert result.n_coincident >= 1


# --------------------------------------------------------------------------- properties
@settings(max_examples=8, deadline=None)
@given(shift=st.tuples(*[st.floats(-1e5, 1e5, allow_nan=False)] * 3),
       scale=st.floats(0.01, 100.0), offset=st.floats(-100.0, 100.0))
def test_invariant_to_shifts_of_coordinates_and_affine_values(shift, scale, offset):
    """Moving the samples or rescaling the values changes nothing but the sill's unit."""
    xyz, z = small_field(np.random.default_rng(7), 400)
    base = auto_variogram(xyz, z, max_structures=1, shape="gaussian")
    moved = auto_variogram(xyz + np.array(shift), scale * z + offset, max_structures=1,
                           shape="gaussian")
    # Equal up to rounding and the tolerance of the least-squares fit.
    assert moved.ranges == pytest.approx(base.ranges, rel=1e-2)
    assert moved.sill == pytest.approx(scale**2 * base.sill, rel=1e-9)
    assert moved.nugget_fraction == pytest.approx(base.nugget_fraction, abs=1e-6)
    assert angle_deg(moved.axes[0], base.axes[0]) < 0.5


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("coords", "values", "kwargs", "match"),
    [
        (np.zeros((5, 3)) + np.arange(5)[:, None], np.arange(5.0), {}, "at least 10 samples"),
        ("grid", "constant", {}, "values are constant"),
        (np.column_stack([np.arange(20.0)] * 3), np.arange(20.0), {}, "one line"),
        ("plane", None, {}, "one plane"),
        (np.zeros((20, 3)), np.arange(20.0), {}, "same location"),
        (np.zeros((20, 4)), np.arange(20.0), {}, "shape"),
        ("grid", "nan", {}, "missing or infinite"),
        ("grid", None, {"shape": "linear"}, "bounded"),
        ("grid", None, {"shape": "circle"}, "bounded"),
        ("grid", None, {"max_structures": 3}, "max_structures"),
        ("grid", None, {"max_pairs": 10}, "max_pairs"),
        ("grid", None, {"angle_tolerance": 60.0}, "angle_tolerance"),
        ("grid", None, {"estimator": "madogram"}, "estimator"),
        ("grid", None, {"max_lag": -5.0}, "max_lag"),
        ("grid", None, {"holes": ["a"] * 3}, "one hole id per sample"),
        ("grid", None, {"holes": [None] + ["a"] * 63}, "missing id"),
        ("grid", None, {"weights": -np.ones(64)}, "negative"),
        ("grid", None, {"seed": "abc"}, "seed"),
        ("grid", None, {"n_lags": 2}, "n_lags"),
    ],
)
def test_bad_input_raises_input_error(coords, values, kwargs, match):
    g = np.arange(4.0) * 10.0
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    if isinstance(coords, str):
        coords = grid if coords == "grid" else np.column_stack([grid[:, :2], np.zeros(64)])
    n = len(coords)
    if values is None:
        values = np.sin(np.arange(n, dtype=float))
    elif isinstance(values, str) and values == "constant":
        values = np.full(n, 5.0)
    elif isinstance(values, str):
        values = np.sin(np.arange(n, dtype=float))
        values[3] = np.nan
    with pytest.raises(InputError, match=match):
        auto_variogram(coords, values, **kwargs)


def test_warns_when_the_sill_is_not_reached(rng):
    xyz = rng.uniform(0.0, 1.0, (500, 3)) * [1000.0, 1000.0, 100.0]
    z = xyz[:, 0] / 100.0 + 0.1 * rng.standard_normal(500)  # a trend east-west
    with pytest.warns(UserWarning, match="does not reach its sill"):
        auto_variogram(xyz, z, max_structures=1)


# --------------------------------------------------------------------------- acceptance 3
@pytest.mark.parametrize("zone", ["Irgiz", "Dos 2"])
def test_kuirektykol_leave_one_out_kriging_acceptance(zone):
    """Acceptance: LOO ordinary kriging, mean error within 2 % of the mean, slope 0.8-1.2."""
    from raremin.workflow import kriging_estimator

    samples = raremin.load_kuirektykol().samples
    rows = samples[samples["zone"] == zone]
    elements = [c for c in rows.columns if c.endswith("_ppm")]
    xyz = rows[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    tree = rows[elements].sum(axis=1).to_numpy()
    result = auto_variogram(xyz, tree, holes=rows["hole_id"].to_numpy())
    assert abs(result.angles[1]) <= 15.0  # the deposit is roughly flat-lying
    assert abs(float(result.axes[2][2])) >= math.cos(math.radians(15.0))
    outer = max(result.model.structures, key=lambda s: s.ranges[0])
    rotated = Kriging(result.model, Neighbourhood(
        max_samples=32, min_samples=4, ranges=outer.ranges, angles=outer.angles, radius=1.5,
        max_per_octant=8))
    for estimator in (kriging_estimator(result.model), rotated):
        summary = cross_validate(estimator, xyz, tree).summary
        assert summary["n_estimated"] == len(rows)
        assert abs(summary["mean_error"]) < 0.02 * tree.mean()
        assert 0.8 < summary["slope"] < 1.2


# --------------------------------------------------------------------------- acceptance 4
def copper_creek_composites(folder: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Copper Creek Cu composites (10 m); counts of every adjustment made to the tables."""
    from raremin.drillholes import Drillholes, composite

    read = {name: pd.read_csv(folder / f"{name}.csv", encoding="utf-8-sig")
            for name in ("collar", "survey", "assay")}
    collar, survey, assay = read["collar"], read["survey"], read["assay"]
    counts = {}
    below = assay["Cu_pct"] < 0  # below-detection codes: half their absolute value
    counts["below_detection"] = int(below.sum())
    assay.loc[below, "Cu_pct"] = 0.5 * assay.loc[below, "Cu_pct"].abs()
    n = len(assay)
    assay = assay.drop_duplicates(subset=["hole_ID", "depth_from", "depth_to"])
    counts["duplicate_intervals"] = n - len(assay)
    assay = assay.sort_values(["hole_ID", "depth_from", "depth_to"])
    deepest_above = assay.groupby("hole_ID")["depth_to"].transform(
        lambda s: s.cummax().shift(fill_value=-np.inf))
    overlap = assay["depth_from"] < deepest_above - 1e-6
    counts["overlapping_intervals"] = int(overlap.sum())
    assay = assay[~overlap]
    no_cu = assay["Cu_pct"].isna()
    counts["no_cu"] = int(no_cu.sum())
    assay = assay[~no_cu]
    length = pd.concat([survey.groupby("hole_ID")["depth"].max(),
                        assay.groupby("hole_ID")["depth_to"].max()], axis=1).max(axis=1)
    collar = collar.assign(length_m=collar["hole_ID"].map(length))
    counts["collars_without_data"] = int(collar["length_m"].isna().sum())
    collar = collar.rename(columns={"hole_ID": "hole_id", "x": "easting_m", "y": "northing_m",
                                    "z": "elevation_m"})
    survey = survey.rename(columns={"hole_ID": "hole_id", "depth": "depth_m",
                                    "azimuth": "azimuth_deg", "dip": "dip_deg"})
    assay = assay.rename(columns={"hole_ID": "hole_id", "depth_from": "from_m",
                                  "depth_to": "to_m", "Cu_pct": "cu_pct"})
    assay = assay[["hole_id", "from_m", "to_m", "cu_pct"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rows set aside are listed in holes.report
        holes = Drillholes.from_tables(collar.dropna(subset=["length_m"]), survey, assay,
                                       on_problem="report")
    counts["set_aside"] = int(len(holes.report.set_aside))
    return composite(holes, 10.0), counts


def test_copper_creek_leave_one_hole_out_kriging(validation_dir):
    """Acceptance on real data: mean error of leave-one-hole-out kriging within 5 %."""
    folder = validation_dir / "realdata" / "copper_creek"
    comp, counts = copper_creek_composites(folder)
    # The README's 282 rows with an exact duplicate interval: 141 pairs, one row dropped each.
    assert counts["duplicate_intervals"] == 141 and counts["below_detection"] > 0
    box = (comp["easting_m"].between(547_750.0, 549_500.0)
           & comp["northing_m"].between(3_622_750.0, 3_624_250.0))  # the central cluster
    rows = comp[box]
    xyz = rows[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    cu = rows["cu_pct"].to_numpy()
    holes = rows["hole_id"].to_numpy()
    # Raw copper grades have a strong proportional effect: the correlogram copes.
    result = auto_variogram(xyz, cu, holes=holes, estimator="correlogram")
    outer = max(result.model.structures, key=lambda s: s.ranges[0])
    search = Neighbourhood(max_samples=32, min_samples=4, ranges=outer.ranges,
                           angles=outer.angles, radius=2.0, max_per_octant=8)
    cv = cross_validate(Kriging(result.model, search), xyz, cu, holes=holes, by="hole")
    summary = cv.summary
    assert summary["n_estimated"] >= 0.9 * len(rows)
    assert abs(summary["mean_error"]) < 0.05 * cu.mean()
    assert 0.8 < summary["slope"] < 1.2


# --------------------------------------------------------------------------- benchmark
def test_benchmark_script_runs():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_autovariogram.py"),
                           "--quick", "--repeat", "1"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "cost ratio" in proc.stdout and "ratio" in proc.stdout
