"""Zones as 3D bodies through the whole chain: project file, command, assessment.

The fixtures are made here: a dipping slab written as STL, an ESRI ASCII base surface
and topography, and drillhole-like samples.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import trimesh

import raremin
from raremin.cli import main
from raremin.deposit import Deposit, Zone
from raremin.domains import Solid, Surface

CRS = "EPSG:32643"
ORIGIN = np.array([600_000.0, 5_500_000.0, 0.0])


def _slab_mesh() -> trimesh.Trimesh:
    """A 400 x 200 x 40 m slab dipping 35 degrees east, its top near 300 m."""
    slab = trimesh.creation.box(extents=(400.0, 200.0, 40.0))
    slab.apply_transform(trimesh.transformations.rotation_matrix(math.radians(35), [0, 1, 0]))
    slab.apply_translation(ORIGIN + [500.0, 500.0, 200.0])
    return slab


def _esri(path, x0, y0, cell, z):
    rows = [f"ncols {z.shape[1]}", f"nrows {z.shape[0]}", f"xllcenter {x0}", f"yllcenter {y0}",
            f"cellsize {cell}", "nodata_value -9999"]
    rows += [" ".join(f"{v:.3f}" for v in row) for row in z[::-1]]  # north row first
    path.write_text("\n".join(rows) + "\n")


def _samples(zone_contains, rng, n_holes=120):
    """Vertical holes on a grid, a sample every 5 m, a Cu field rising to the east."""
    side = int(math.sqrt(n_holes))
    xs = ORIGIN[0] + np.linspace(250.0, 750.0, side)
    ys = ORIGIN[1] + np.linspace(350.0, 650.0, side)
    gx, gy = np.meshgrid(xs, ys)
    z = np.arange(2.5, 400.0, 5.0)
    xyz = np.column_stack([np.repeat(gx.ravel(), z.size), np.repeat(gy.ravel(), z.size),
                           np.tile(z, gx.size)])
    hole = np.repeat(np.arange(gx.size), z.size)
    keep = zone_contains(xyz)
    cu = 0.3 + 0.0005 * (xyz[:, 0] - ORIGIN[0]) + rng.normal(0.0, 0.05, len(xyz))
    frame = pd.DataFrame(xyz[keep], columns=["easting_m", "northing_m", "elevation_m"])
    frame["hole_id"] = [f"H{h:03d}" for h in hole[keep]]
    frame["cu_pct"] = np.clip(cu[keep], 0.01, None)
    return frame


def test_a_mesh_zone_is_assessed_with_its_exact_volume(tmp_path, rng):
    stl = tmp_path / "lode.stl"
    _slab_mesh().export(stl)
    with pytest.warns(UserWarning, match="STL stores coordinates in single precision, which "
                                         "at these coordinates resolves 0.5 m"):
        zone = Zone.from_mesh("Lode", stl, 2.8, crs=CRS)
    obj = tmp_path / "lode.obj"
    _slab_mesh().export(obj)
    assert Zone.from_mesh("Lode", obj, 2.8, crs=CRS).volume_m3 == pytest.approx(
        400 * 200 * 40, rel=1e-9)
    assert zone.kind == "solid"
    # STL stores single-precision coordinates: about 0.3 m at UTM northings.
    assert zone.volume_m3 == pytest.approx(400 * 200 * 40, rel=1e-4)
    prism = zone.area_m2 * zone.thickness_m  # the footprint between lowest and highest
    assert prism / zone.volume_m3 > 2.5
    deposit = Deposit("Slab", [zone], crs=CRS)
    samples = _samples(zone.contains, rng)
    result = raremin.assess(deposit, samples, block_size=(25, 25, 10), cutoffs=[0.0, 0.4],
                            estimator="idw")
    total = result.summary.query("zone == 'Total' and cutoff_pct == 0.0").iloc[0]
    estimated = result.zones.iloc[0]
    assert estimated["tonnage_t"] == pytest.approx(zone.tonnage_t, rel=5e-3)
    assert total["tonnage_t"] + total["not_estimated_t"] == pytest.approx(estimated["tonnage_t"])


def test_project_and_command_with_a_mesh_zone_and_a_layer_under_topography(tmp_path, rng):
    stl = tmp_path / "lode.stl"
    _slab_mesh().export(stl)
    nodes = np.arange(0.0, 1001.0, 50.0)
    gx, gy = np.meshgrid(nodes, nodes)
    topo = 420.0 + 0.01 * gx + 5.0 * np.sin(gy / 200.0)
    base = 360.0 + 0.02 * gy
    _esri(tmp_path / "topography.asc", ORIGIN[0], ORIGIN[1], 50.0, topo)
    _esri(tmp_path / "base.asc", ORIGIN[0], ORIGIN[1], 50.0, base)
    lode = Zone.from_mesh("Lode", stl, 2.8, crs=CRS)
    cover = Zone.between_surfaces("Cover", Surface.read(tmp_path / "base.asc"),
                                  Surface.read(tmp_path / "topography.asc"), 1.9, crs=CRS)
    samples = pd.concat([_samples(lode.contains, rng), _samples(cover.contains, rng)])
    samples.rename(columns={"easting_m": "X", "northing_m": "Y", "elevation_m": "Z",
                            "cu_pct": "Cu_pct"}).to_csv(tmp_path / "samples.csv", index=False)
    (tmp_path / "project.toml").write_text(f"""
[project]
name = "Bodies"
crs = "{CRS}"
out = "out"
[data]
samples = "samples.csv"
[zones]
topography = "topography.asc"
[[zones.zone]]
name = "Lode"
mesh = "lode.stl"
density_t_m3 = 2.8
[[zones.zone]]
name = "Cover"
bottom_surface = "base.asc"
top_surface = "topography.asc"
bounds = [{ORIGIN[0] + 100}, {ORIGIN[1] + 100}, {ORIGIN[0] + 900}, {ORIGIN[1] + 900}]
density_t_m3 = 1.9
[estimation]
estimator = "idw"
block_size_m = [25.0, 25.0, 10.0]
[report]
cutoff_grade = "cu_pct"
cutoffs = [0.0, 0.4]
""")
    project = raremin.load_project(tmp_path / "project.toml")
    deposit = project.deposit()
    assert [z.kind for z in deposit] == ["solid", "layer"]
    assert deposit.topography is not None
    # The cover between the base and the topography, clipped to 800 x 800 m.
    cover_volume = deposit.summary().set_index("zone").loc["Cover", "volume_m3"]
    x = np.linspace(100.0, 900.0, 801)[:-1] + 0.5
    fx, fy = np.meshgrid(x, x)
    expected = np.mean((420.0 + 0.01 * fx + 5.0 * np.sin(fy / 200.0)) - (360.0 + 0.02 * fy))
    assert cover_volume == pytest.approx(expected * 800 * 800, rel=2e-3)
    assert main(["assess", "--config", str(tmp_path / "project.toml")]) == 0
    zones = pd.read_csv(tmp_path / "out" / "zones.csv").set_index("zone")
    assert zones.loc["Lode", "tonnage_t"] == pytest.approx(400 * 200 * 40 * 2.8, rel=5e-3)
    assert zones.loc["Cover", "tonnage_t"] == pytest.approx(cover_volume * 1.9, rel=1e-2)
    assert zones.loc["Lode", "estimated_fraction"] > 0.9


def test_a_mesh_in_feet_beside_metre_zones_is_refused(tmp_path):
    metres = _slab_mesh()
    feet = metres.copy()
    feet.apply_scale(1 / 0.3048)
    (tmp_path / "a.stl").write_bytes(metres.export(file_type="stl"))
    (tmp_path / "b.stl").write_bytes(feet.export(file_type="stl"))
    with pytest.raises(raremin.InputError, match="zone 'b' lies .* from the other zones.*"
                                                 "if its coordinates are feet: give unit='ft'"):
        Deposit.read_meshes([tmp_path / "a.stl", tmp_path / "b.stl"], crs=CRS,
                            density_t_m3=2.7)
    (tmp_path / "c.stl").write_bytes(metres.export(file_type="stl"))
    assert len(Deposit.read_meshes([tmp_path / "a.stl"], crs=CRS, density_t_m3=2.7)) == 1


def test_samples_are_coded_by_the_solid_not_its_prism(tmp_path):
    solid = Solid.from_arrays(_slab_mesh().vertices, _slab_mesh().faces)
    zone = Zone.from_body("Lode", solid, 2.8, crs=CRS)
    deposit = Deposit("D", [zone], crs=CRS)
    centre = ORIGIN + [500.0, 500.0, 200.0]
    points = np.array([centre, centre + [0, 0, 120.0], centre + [150.0, 0, 50.0]])
    assert deposit.labels(points).tolist() == ["Lode", "", ""]
    prism = Zone("P", zone.footprint, zone.top_m, zone.bottom_m, 2.8)
    assert prism.contains(points).tolist() == [True, True, True]
