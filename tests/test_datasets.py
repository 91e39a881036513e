"""Tests of raremin.datasets and the bundled SYNTHETIC Kuirektykol dataset."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from raremin.datasets import (
    DATASETS,
    KUIREKTYKOL_GRADE_COLUMNS,
    KuirektykolData,
    dataset_path,
    load_kuirektykol,
)
from raremin.errors import InputError

GRADES = list(KUIREKTYKOL_GRADE_COLUMNS)
ZONE_NAMES = ["Irgiz", "Dos 2"]
TARGETS_T = {"Irgiz": 800_000.0, "Dos 2": 140_000.0}
CSV_FILES = ["collars.csv", "surveys.csv", "assays.csv", "samples.csv"]
ALL_FILES = [*CSV_FILES, "zones.geojson", "explored_area.geojson", "metadata.json",
             "README.md", "generate.py"]
COLUMNS = {
    "collars": ["hole_id", "easting_m", "northing_m", "elevation_m", "length_m"],
    "surveys": ["hole_id", "depth_m", "azimuth_deg", "dip_deg"],
    "assays": ["hole_id", "from_m", "to_m", *GRADES],
    "samples": ["hole_id", "from_m", "to_m", "easting_m", "northing_m", "elevation_m",
                "zone", *GRADES],
}


@pytest.fixture(scope="module")
def data() -> KuirektykolData:
    return load_kuirektykol()


@pytest.fixture(scope="module")
def tree(data) -> pd.Series:
    """TREE (ppm, element basis) of every sample."""
    return data.samples[GRADES].sum(axis=1)


def _zone_row(data, name):
    return data.zones.set_index("zone").loc[name]


# ---------------------------------------------------------------------------------------
# Files and loader
# ---------------------------------------------------------------------------------------
def test_dataset_path_exists_and_holds_every_file():
    folder = dataset_path()
    assert folder.is_dir()
    assert folder == dataset_path("kuirektykol") == dataset_path(" Kuirektykol ")
    for name in ALL_FILES:
        assert (folder / name).is_file(), name
    size = sum((folder / name).stat().st_size for name in ALL_FILES)
    assert size < 3_000_000


@pytest.mark.parametrize("name", ["meuse", "", None, 3])
def test_dataset_path_unknown_name(name):
    with pytest.raises(InputError, match="unknown dataset"):
        dataset_path(name)


def test_datasets_constant():
    assert DATASETS == ("kuirektykol",)


def test_readme_says_synthetic_first():
    first = (dataset_path() / "README.md").read_text(encoding="utf-8").splitlines()[0]
    assert "SYNTHETIC" in first


def test_container_is_frozen(data):
    with pytest.raises(AttributeError):
        data.samples = None
    assert "SYNTHETIC" in repr(data)


@pytest.mark.parametrize("table", list(COLUMNS))
def test_columns_and_dtypes(data, table):
    frame = getattr(data, table)
    assert list(frame.columns) == COLUMNS[table]
    assert pd.api.types.is_string_dtype(frame["hole_id"])
    assert all(isinstance(h, str) for h in frame["hole_id"])
    for column in COLUMNS[table]:
        if column not in ("hole_id", "zone"):
            assert frame[column].dtype == np.float64, column
            assert np.isfinite(frame[column]).all(), column


def test_zone_column_uses_empty_string(data):
    zone = data.samples["zone"]
    assert pd.api.types.is_string_dtype(zone)
    assert not zone.isna().any()
    assert set(zone) == {"", *ZONE_NAMES}


def test_crs(data):
    assert data.crs.to_epsg() == 32643
    assert data.zones.crs.to_epsg() == 32643
    assert data.explored_area.crs.to_epsg() == 32643
    assert data.metadata["crs"] == "EPSG:32643"
    # The GeoJSON itself names the CRS (geopandas reads it without help).
    assert gpd.read_file(dataset_path() / "zones.geojson").crs.to_epsg() == 32643


def test_metadata(data):
    meta = data.metadata
    assert meta["synthetic"] is True
    assert meta["basis"] == "element"
    assert meta["grade_unit"] == "ppm"
    assert isinstance(meta["seed"], int)
    assert set(meta["calibration"]) >= set(ZONE_NAMES)
    assert meta["invented"] and "approximate" in meta["location_note"]
    facts = meta["public_facts"]
    assert all(set(f) == {"fact", "value", "source"} and f["source"] for f in facts)
    sources = " ".join(f["source"] for f in facts)
    for source in ("Qazinform", "Astana Times", "EU Reporter", "Kursiv", "Reuters"):
        assert source in sources


# ---------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------
def test_zones(data):
    zones = data.zones
    assert list(zones["zone"]) == ZONE_NAMES
    assert zones.geometry.is_valid.all()
    assert (zones.geom_type == "Polygon").all()
    for geom in zones.geometry:
        assert 8 <= len(geom.exterior.coords) - 1 <= 20
    np.testing.assert_allclose(zones["top_elevation_m"], 760.0)
    np.testing.assert_allclose(zones["bottom_elevation_m"], 460.0)
    np.testing.assert_allclose(zones["density_t_m3"], 2.65)
    assert dict(zip(zones["zone"], zones["target_tree_t"], strict=True)) == TARGETS_T
    np.testing.assert_allclose(zones.area, [0.95e6, 0.16e6], rtol=0.05)
    centres = zones.centroid
    assert 2000.0 < centres.iloc[0].distance(centres.iloc[1]) < 4000.0


def test_explored_area(data):
    area = data.explored_area
    assert len(area) == 1 and area.geometry.is_valid.all()
    assert area.area.iloc[0] == pytest.approx(64.2e6, rel=1e-4)
    assert area.geometry.iloc[0].contains(data.zones.union_all())


# ---------------------------------------------------------------------------------------
# Drillholes
# ---------------------------------------------------------------------------------------
def test_holes(data):
    collars = data.collars
    assert collars["hole_id"].is_unique
    assert 80 <= len(collars) <= 110
    prefixes = collars["hole_id"].str[:4].value_counts()
    assert set(prefixes.index) == {"IRG-", "DOS-", "EXP-"}
    assert 5 <= prefixes["EXP-"] <= 8
    np.testing.assert_array_equal(collars["elevation_m"], 760.0)
    assert 8_000 <= len(data.assays) <= 11_000
    assert shapely.contains_xy(data.explored_area.geometry.iloc[0], collars["easting_m"],
                               collars["northing_m"]).all()


def test_exploration_holes_outside_zones(data):
    exp = data.collars[data.collars["hole_id"].str.startswith("EXP")]
    for geom in data.zones.geometry:
        assert not shapely.contains_xy(geom, exp["easting_m"], exp["northing_m"]).any()


def test_surveys_and_lengths(data):
    lengths = data.collars.set_index("hole_id")["length_m"]
    n_vertical = 0
    for hole, s in data.surveys.groupby("hole_id"):
        length = lengths[hole]
        expected = np.arange(0.0, length, 50.0)
        if expected[-1] < length:
            expected = np.append(expected, length)
        np.testing.assert_array_equal(s["depth_m"], expected)
        assert ((s["azimuth_deg"] >= 0) & (s["azimuth_deg"] < 360)).all()
        assert ((s["dip_deg"] >= -90) & (s["dip_deg"] < 0)).all()
        dip0 = s["dip_deg"].iloc[0]
        if dip0 == -90.0:
            n_vertical += 1
            assert length == 300.0
            assert (s["dip_deg"] == -90.0).all()
        else:
            assert -75.0 <= dip0 <= -55.0
            want = min(math.ceil(300.0 / math.sin(math.radians(-dip0)) / 3.0) * 3.0, 360.0)
            assert length == want
            # gentle drift: a few degrees per 100 m at most
            step = np.diff(s["depth_m"].to_numpy()) / 100.0
            assert (np.abs(np.diff(s["dip_deg"].to_numpy())) <= 6.0 * step).all()
            turn = (np.diff(s["azimuth_deg"].to_numpy()) + 180.0) % 360.0 - 180.0
            assert (np.abs(turn) <= 8.0 * step).all()
    assert 0.5 <= n_vertical / len(lengths) <= 0.7


def test_assay_intervals(data):
    lengths = data.collars.set_index("hole_id")["length_m"]
    assays = data.assays
    assert (assays["to_m"] > assays["from_m"]).all()
    assert (assays["to_m"] - assays["from_m"] <= 3.0 + 1e-9).all()
    for hole, a in assays.groupby("hole_id"):
        assert a["from_m"].iloc[0] == 0.0
        assert a["to_m"].iloc[-1] == lengths[hole]
        np.testing.assert_array_equal(a["from_m"].to_numpy()[1:], a["to_m"].to_numpy()[:-1])
    assert (assays[GRADES] > 0).all().all()
    np.testing.assert_array_equal(assays[GRADES], assays[GRADES].round(2))


def test_samples_match_assays(data):
    samples, assays = data.samples, data.assays
    assert len(samples) == len(assays)
    assert (samples["hole_id"].to_numpy() == assays["hole_id"].to_numpy()).all()
    np.testing.assert_array_equal(samples[["from_m", "to_m"]], assays[["from_m", "to_m"]])
    np.testing.assert_array_equal(samples[GRADES], assays[GRADES])


def test_vertical_hole_midpoints(data):
    collars = data.collars.set_index("hole_id")
    vertical = data.surveys.groupby("hole_id")["dip_deg"].max() == -90.0
    samples = data.samples[data.samples["hole_id"].map(vertical)]
    assert len(samples) > 0
    collar = collars.loc[samples["hole_id"]]
    np.testing.assert_allclose(samples["easting_m"], collar["easting_m"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(samples["northing_m"], collar["northing_m"], rtol=0, atol=1e-6)
    mid = (samples["from_m"] + samples["to_m"]) / 2
    np.testing.assert_allclose(samples["elevation_m"], 760.0 - mid, rtol=0, atol=1e-6)


def _direction(az_deg, dip_deg):
    az, dip = np.radians(az_deg), np.radians(dip_deg)
    return np.stack([np.cos(dip) * np.sin(az), np.cos(dip) * np.cos(az), np.sin(dip)], -1)


def test_inclined_midpoints_follow_circular_arcs(data):
    """Independent check: integrate the arc direction numerically (no ratio factor)."""
    inclined = data.surveys.groupby("hole_id")["dip_deg"].max() > -90.0
    holes = list(inclined[inclined].index[::4])
    assert holes
    collars = data.collars.set_index("hole_id")
    worst = 0.0
    for hole in holes:
        s = data.surveys[data.surveys["hole_id"] == hole]
        md = s["depth_m"].to_numpy()
        t = _direction(s["azimuth_deg"].to_numpy(), s["dip_deg"].to_numpy())
        n = 400
        f = (np.arange(n) + 0.5) / n
        path, depth = [collars.loc[hole, ["easting_m", "northing_m", "elevation_m"]]
                       .to_numpy(dtype=float)], [0.0]
        for i in range(len(md) - 1):
            beta = np.arccos(np.clip(t[i] @ t[i + 1], -1.0, 1.0))
            if beta < 1e-12:
                d = np.repeat(t[i][None, :], n, axis=0)
            else:
                d = (np.sin((1 - f) * beta)[:, None] * t[i]
                     + np.sin(f * beta)[:, None] * t[i + 1]) / np.sin(beta)
            h = (md[i + 1] - md[i]) / n
            path.extend(path[-1] + np.cumsum(d * h, axis=0))
            depth.extend(md[i] + h * np.arange(1, n + 1))
        path, depth = np.array(path), np.array(depth)
        smp = data.samples[data.samples["hole_id"] == hole]
        mid = ((smp["from_m"] + smp["to_m"]) / 2).to_numpy()
        want = np.column_stack([np.interp(mid, depth, path[:, k]) for k in range(3)])
        got = smp[["easting_m", "northing_m", "elevation_m"]].to_numpy()
        worst = max(worst, float(np.abs(got - want).max()))
    assert worst < 0.01


def test_in_zone_samples_inside_zone(data):
    samples = data.samples
    for name in ZONE_NAMES:
        geom = _zone_row(data, name).geometry
        sel = samples[samples["zone"] == name]
        assert len(sel) > 500
        assert shapely.contains_xy(geom, sel["easting_m"], sel["northing_m"]).all()
        assert sel["elevation_m"].between(460.0, 760.0).all()
    outside = samples[samples["zone"] == ""]
    for geom in data.zones.geometry:
        inside = shapely.contains_xy(geom, outside["easting_m"], outside["northing_m"])
        assert not (inside & outside["elevation_m"].between(460.0, 760.0)).any()


def test_some_inclined_holes_cross_zone_boundaries(data):
    s = data.samples[data.samples["elevation_m"] > 460.0]
    mixed = s.groupby("hole_id")["zone"].agg(lambda z: (z == "").any() and (z != "").any())
    assert mixed.sum() >= 1


# ---------------------------------------------------------------------------------------
# Grades and calibration
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ZONE_NAMES)
def test_calibration_per_zone(data, tree, name):
    zone = _zone_row(data, name)
    mean_ppm = tree[data.samples["zone"] == name].mean()
    thickness = zone["top_elevation_m"] - zone["bottom_elevation_m"]
    tonnes = zone.geometry.area * thickness * zone["density_t_m3"] * mean_ppm * 1e-6
    assert tonnes == pytest.approx(TARGETS_T[name], rel=0.10)
    assert 1000.0 <= mean_ppm <= 1250.0
    cal = data.metadata["calibration"][name]
    assert cal["target_tree_t"] == TARGETS_T[name]
    assert cal["realised_tree_t"] == pytest.approx(TARGETS_T[name], rel=0.01)


def test_calibration_total(data, tree):
    total = 0.0
    for name in ZONE_NAMES:
        zone = _zone_row(data, name)
        mean_ppm = tree[data.samples["zone"] == name].mean()
        total += zone.geometry.area * 300.0 * zone["density_t_m3"] * mean_ppm * 1e-6
    assert total == pytest.approx(940_000.0, rel=0.10)
    in_zone = tree[data.samples["zone"] != ""]
    assert 1000.0 <= in_zone.mean() <= 1250.0


def test_grade_extremes(data, tree):
    assert tree.max() < 3500.0
    in_zone = tree[data.samples["zone"] != ""]
    assert 2000.0 <= in_zone.quantile(0.999) <= 3000.0
    background = tree[data.samples["zone"] == ""]
    assert 250.0 <= background.median() <= 600.0


def test_main_elements(data):
    means = data.samples.loc[data.samples["zone"] != "", GRADES].mean()
    assert set(means.nlargest(4).index) == {"ce_ppm", "la_ppm", "nd_ppm", "y_ppm"}
    assert means.idxmax() == "ce_ppm"


def test_spatial_continuity(data, tree):
    s = data.samples.assign(tree=tree)
    s = s[s["zone"] != ""]
    previous = s.groupby("hole_id")["tree"].shift()
    # consecutive means the previous interval of the same hole, also in the zone
    contiguous = s.groupby("hole_id")["to_m"].shift() == s["from_m"]
    ok = previous.notna() & contiguous
    assert ok.sum() > 1000
    assert np.corrcoef(s.loc[ok, "tree"], previous[ok])[0, 1] > 0.5


# ---------------------------------------------------------------------------------------
# Reproduction
# ---------------------------------------------------------------------------------------
def _assert_same_json(a, b, path="metadata"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _assert_same_json(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same_json(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-6, abs=0.011), path
    else:
        assert a == b, path


def test_generator_reproduces_shipped_files(tmp_path: Path):
    """generate.py rewrites every file identically (numerically); it takes a few seconds."""
    shipped = dataset_path()
    start = time.perf_counter()
    subprocess.run([sys.executable, str(shipped / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=60)
    assert time.perf_counter() - start < 60.0
    for name in CSV_FILES:
        old = pd.read_csv(shipped / name, keep_default_na=False)
        new = pd.read_csv(tmp_path / name, keep_default_na=False)
        assert list(old.columns) == list(new.columns), name
        assert len(old) == len(new), name
        for column in old.columns:
            if pd.api.types.is_numeric_dtype(old[column]):
                np.testing.assert_allclose(new[column], old[column], rtol=1e-9, atol=0.011,
                                           err_msg=f"{name}:{column}")
            else:
                assert (old[column].astype(str) == new[column].astype(str)).all(), name
    for name in ("zones.geojson", "explored_area.geojson"):
        old, new = gpd.read_file(shipped / name), gpd.read_file(tmp_path / name)
        assert old.crs == new.crs
        pd.testing.assert_frame_equal(old.drop(columns="geometry"),
                                      new.drop(columns="geometry"))
        for a, b in zip(old.geometry, new.geometry, strict=True):
            assert a.equals_exact(b, tolerance=0.011)
    _assert_same_json(json.loads((shipped / "metadata.json").read_text(encoding="utf-8")),
                      json.loads((tmp_path / "metadata.json").read_text(encoding="utf-8")))
