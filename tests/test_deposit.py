"""Tests for raremin.deposit: zones, deposits, CRS checks and files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import box

from raremin.deposit import Deposit, Zone
from raremin.distributions import Lognormal
from raremin.errors import CRSError, GeometryError, InputError


def test_zone_volume_tonnage_and_bounds():
    z = Zone("A", box(0, 0, 1000, 500), top_m=760, bottom_m=460, density_t_m3=2.65)
    assert z.area_m2 == 500_000.0
    assert z.thickness_m == 300.0
    assert z.volume_m3 == 150_000_000.0
    assert z.tonnage_t == pytest.approx(397_500_000.0, rel=1e-15)
    assert z.bounds == (0.0, 0.0, 460.0, 1000.0, 500.0, 760.0)


def test_zone_from_depth_with_cover():
    z = Zone.from_depth("B", box(0, 0, 10, 10), surface_m=800, depth_m=300, top_depth_m=20,
                        density_t_m3=2.6)
    assert (z.top_m, z.bottom_m, z.thickness_m) == (780.0, 500.0, 280.0)


def test_zone_contained_from_grade_model():
    tree = Lognormal.from_mean_cv(1050.0, 0.3, unit="ppm", basis="element")
    z = Zone("A", box(0, 0, 1000, 1000), 760, 460, 2.65, grades={"tree": tree})
    row = z.contained().iloc[0]
    assert row["basis"] == "element" and row["unit"] == "ppm"
    assert row["contained_t"] == pytest.approx(1e6 * 300 * 2.65 * 1050e-6, rel=1e-12)


@pytest.mark.parametrize(
    ("footprint", "match"),
    [
        (shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)]), "invalid: Self-intersection"),
        (shapely.Polygon(), "empty"),
        (shapely.Point(0, 0), "Polygon or MultiPolygon"),
    ],
)
def test_bad_footprints_raise(footprint, match):
    with pytest.raises(GeometryError, match=match):
        Zone("bad", footprint, 10, 0, 2.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"top_m": 0, "bottom_m": 10}, r"top_m \(0.0\) must be above bottom_m \(10.0\)"),
        ({"density_t_m3": -2.0}, "density_t_m3 must be > 0; got -2.0"),
        ({"density_t_m3": float("nan")}, "density_t_m3 has 1 missing"),
        ({"name": ""}, "non-empty string"),
    ],
)
def test_bad_zone_values_raise(kwargs, match):
    args = {"name": "A", "footprint": box(0, 0, 1, 1), "top_m": 10, "bottom_m": 0,
            "density_t_m3": 2.5}
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        Zone(**args)


def test_suspect_density_warns():
    with pytest.warns(UserWarning, match="2650.0 t/m3 is outside"):
        Zone("A", box(0, 0, 1, 1), 1, 0, 2650.0)


def test_deposit_totals_and_summary():
    zones = [Zone("A", box(0, 0, 100, 100), 10, 0, 2.5),
             Zone("B", box(200, 0, 300, 50), 10, 0, 2.0)]
    dep = Deposit("D", zones, crs="EPSG:32643", notes="synthetic")
    assert dep.names == ("A", "B")
    assert dep.tonnage_t == 250_000.0 + 100_000.0
    table = dep.summary()
    assert table["zone"].tolist() == ["A", "B", "Total"]
    assert table["tonnage_t"].iloc[-1] == dep.tonnage_t
    assert table["density_t_m3"].iloc[-1] == pytest.approx(350_000.0 / 150_000.0)
    assert dep.bounds == (0.0, 0.0, 0.0, 300.0, 100.0, 10.0)
    assert dep.zone("B").density_t_m3 == 2.0
    with pytest.raises(InputError, match="no zone 'C'"):
        dep.zone("C")


def test_geographic_crs_refused_with_utm_suggestion():
    z = Zone("A", box(76.4, 50.0, 76.5, 50.1), 10, 0, 2.5)
    with pytest.raises(CRSError, match=r"EPSG:32643 \(WGS 84 / UTM zone 43N\)"):
        Deposit("D", [z], crs="EPSG:4326")


def test_missing_crs_and_zone_crs_mismatch():
    z = Zone("A", box(0, 0, 1, 1), 1, 0, 2.5, crs="EPSG:32642")
    with pytest.raises(CRSError, match="no coordinate reference system"):
        Deposit("D", [Zone("A", box(0, 0, 1, 1), 1, 0, 2.5)], crs=None)
    with pytest.raises(CRSError, match="CRS mismatch"):
        Deposit("D", [z], crs="EPSG:32643")


def test_overlapping_zones_raise_but_stacked_zones_do_not():
    a = Zone("A", box(0, 0, 100, 100), 10, 0, 2.5)
    b = Zone("B", box(50, 0, 150, 100), 10, 0, 2.5)
    with pytest.raises(GeometryError, match="overlap"):
        Deposit("D", [a, b], crs=32643)
    below = Zone("B", box(0, 0, 100, 100), 0, -10, 2.5)
    assert Deposit("D", [a, below], crs=32643).tonnage_t == 2 * a.tonnage_t


def test_duplicate_zone_names_raise():
    a = Zone("A", box(0, 0, 1, 1), 1, 0, 2.5)
    with pytest.raises(InputError, match="duplicate zone names"):
        Deposit("D", [a, Zone("A", box(5, 5, 6, 6), 1, 0, 2.5)], crs=32643)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_file_round_trip(tmp_path, suffix):
    zones = [Zone("Irgiz", box(0, 0, 100, 100), 760, 460, 2.65),
             Zone("Dos 2", box(300, 0, 400, 80), 760, 460, 2.6)]
    dep = Deposit("K", zones, crs=32643)
    path = tmp_path / f"zones{suffix}"
    dep.to_file(path)
    back = Deposit.read_file(path)
    assert back.names == dep.names
    assert back.crs.to_epsg() == 32643
    assert back.tonnage_t == pytest.approx(dep.tonnage_t, rel=1e-12)


def test_geodataframe_round_trip_and_missing_columns():
    tree = Lognormal.from_mean_cv(1100.0, 0.3, unit="ppm", basis="element")
    dep = Deposit("K", [Zone("A", box(0, 0, 10, 10), 10, 0, 2.5, grades={"tree": tree})],
                  crs=32643)
    gdf = dep.to_geodataframe()
    assert gdf.crs.to_epsg() == 32643
    assert gdf["tree_mean_ppm"].iloc[0] == pytest.approx(1100.0)
    again = Deposit.from_geodataframe(gdf, name="K")
    assert again.tonnage_t == dep.tonnage_t
    bad = gpd.GeoDataFrame({"zone": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=32643)
    with pytest.raises(InputError, match=r"lacks column\(s\) \['top_elevation_m'"):
        Deposit.from_geodataframe(bad)
    with pytest.raises(InputError, match="empty"):
        Deposit.from_geodataframe(bad.iloc[:0])


def test_html_display_mentions_the_figures():
    dep = Deposit("K", [Zone("A", box(0, 0, 1000, 1000), 760, 460, 2.65)], crs=32643)
    html = dep._repr_html_()
    assert "Deposit K" in html and "795.0 Mt" in html and "EPSG:32643" in html
    assert "1.000 km" in dep.zones[0]._repr_html_()


def test_multipolygon_zone_area():
    mp = shapely.MultiPolygon([box(0, 0, 10, 10), box(20, 0, 30, 5)])
    assert Zone("M", mp, 2, 0, 2.5).volume_m3 == pytest.approx(2 * (100 + 50))
    assert np.isclose(Zone("M", mp, 2, 0, 2.5).tonnage_t, 750.0)
