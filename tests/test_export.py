"""Tests for raremin.export: every file read back by an independent reader."""

from __future__ import annotations

import importlib
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import box

import raremin
from raremin import export
from raremin.classification import CLASS_NAMES
from raremin.deposit import Deposit, Zone
from raremin.domains import Layer, Solid, Surface
from raremin.drillholes import Drillholes, desurvey
from raremin.errors import InputError, RareminError
from raremin.export import drillholes_to_vtk, to_omf, to_pyvista, to_vtk, zones_to_vtk
from raremin.grid import BlockGrid, BlockModel

meshio = pytest.importorskip("meshio")

# omf 1.0.1 (through vectormath and properties) warns under numpy 2; not raremin's warnings.
pytestmark = pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")

CRS = 32643


# ---------------------------------------------------------------------- fixtures


@pytest.fixture
def model(rng) -> BlockModel:
    """A small model with blocks shared by two zones, classes, counts and realisations."""
    grid = BlockGrid((1000.0, 2000.0, 300.0), (10.0, 20.0, 5.0), (3, 2, 2), crs=CRS)
    m = BlockModel.from_proportions(
        grid, {"A": ([0, 1, 5, 11], [1.0, 0.5, 1.0, 0.3]), "B": ([1, 7, 11], [0.5, 1.0, 0.7])},
        {"A": 2.5, "B": 3.0})
    n = m.n_parcels
    return m.with_arrays(
        cu_pct=rng.uniform(0.1, 2.0, n),
        resource_class=np.array([1, 2, 3, 1, 2, 0, 3], dtype=np.int8)[:n],
        n_samples=np.arange(n, dtype=np.int64) + 4,
        ore=np.array([True, False] * n)[:n],
        sims_ppm=rng.uniform(100, 900, (3, n)))


@pytest.fixture(scope="module")
def bundled():
    """The bundled Kuirektykol assessment (about 2 s)."""
    data = raremin.load_kuirektykol()
    dep = Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    result = raremin.assess(dep, data.samples, block_size=(100, 100, 20),
                            classification="default")
    return dep, data, result.model


def _vtu_centres(mesh) -> np.ndarray:
    return mesh.points[mesh.cells[0].data].mean(axis=1)


def _text(field, key) -> list[str]:
    return bytes(np.asarray(field[key], dtype=np.uint8)).decode("utf-8").split("\n")


def _mesh_volume(points: np.ndarray, faces: np.ndarray) -> float:
    """Volume enclosed by outward-wound triangles (divergence theorem)."""
    centre = points[faces].reshape(-1, 3).mean(axis=0)
    a, b, c = (points[faces[:, i]] - centre for i in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def _closed(faces: np.ndarray) -> bool:
    """Every edge is shared by exactly two triangles, run once each way."""
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    undirected, counts = np.unique(np.sort(directed, axis=1), axis=0, return_counts=True)
    once = np.unique(directed, axis=0).shape[0] == directed.shape[0]
    return bool((counts == 2).all() and once and len(undirected) * 2 == len(directed))


# ---------------------------------------------------------------------- .vtu


def test_vtu_holds_every_parcel_and_array_exactly(model, tmp_path):
    path = to_vtk(model, tmp_path / "model.vtu")
    assert path == tmp_path / "model.vtu"
    mesh = meshio.read(path)
    assert len(mesh.cells) == 1 and mesh.cells[0].type == "hexahedron"
    assert len(mesh.cells[0].data) == model.n_parcels
    cell = {k: v[0] for k, v in mesh.cell_data.items()}
    np.testing.assert_array_equal(cell["cu_pct"], model.arrays["cu_pct"])
    assert cell["cu_pct"].dtype == np.float64
    np.testing.assert_array_equal(cell["resource_class"], model.arrays["resource_class"])
    assert cell["resource_class"].dtype == np.int8
    np.testing.assert_array_equal(cell["n_samples"], model.arrays["n_samples"])
    np.testing.assert_array_equal(cell["ore"], model.arrays["ore"].astype(np.uint8))
    np.testing.assert_array_equal(cell["sims_ppm_mean"], model.arrays["sims_ppm"].mean(axis=0))
    np.testing.assert_array_equal(cell["density_t_m3"], model.arrays["density_t_m3"])
    np.testing.assert_array_equal(cell["block_index"], model.block_index)
    np.testing.assert_array_equal(cell["zone_code"], model.zone_code)
    np.testing.assert_array_equal(cell["proportion"], model.proportion)
    np.testing.assert_array_equal(cell["tonnage_t"], model.tonnage_t())
    np.testing.assert_array_equal(cell["volume_m3"], model.volume_m3())
    np.testing.assert_allclose(_vtu_centres(mesh), model.centres(), rtol=0, atol=1e-9)
    # Blocks of 10 x 20 x 5 m: every hexahedron has the block's extent.
    corners = mesh.points[mesh.cells[0].data]
    np.testing.assert_allclose(np.ptp(corners, axis=1), np.tile([10.0, 20.0, 5.0], (7, 1)))
    field = mesh.field_data
    assert _text(field, "zone_names") == ["A", "B"]
    assert _text(field, "resource_class_names") == list(CLASS_NAMES)
    assert int(field["crs_epsg"][0]) == CRS
    assert _text(field, "crs_wkt") == [model.grid.crs.to_wkt()]
    np.testing.assert_array_equal(field["origin_m"], model.grid.origin)
    np.testing.assert_array_equal(field["block_size_m"], model.grid.block_size)
    np.testing.assert_array_equal(field["grid_shape"], model.grid.shape)


def test_vtu_is_read_by_vtk(model, tmp_path):
    pv = pytest.importorskip("pyvista")
    grid = pv.read(to_vtk(model, tmp_path / "model.vtu"))
    assert grid.n_cells == model.n_parcels
    np.testing.assert_allclose(grid.cell_centers().points, model.centres(), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(grid.cell_data["cu_pct"], model.arrays["cu_pct"])
    np.testing.assert_array_equal(grid.cell_data["tonnage_t"], model.tonnage_t())
    assert int(grid.field_data["crs_epsg"][0]) == CRS
    # Hexahedra are well formed (positive volume, the block's).
    sizes = grid.compute_cell_sizes(length=False, area=False)["Volume"]
    np.testing.assert_allclose(sizes, 1000.0)


def test_vtu_without_crs_says_so(tmp_path):
    m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (2, 1, 1)),
                                    {"A": ([0, 1], [1.0, 0.5])}, 2.5)
    field = meshio.read(to_vtk(m, tmp_path / "m.vtu")).field_data
    assert int(field["crs_epsg"][0]) == -1 and "crs_wkt" not in field
    assert "resource_class_names" not in field


@pytest.mark.parametrize(("realisations", "expected"), [
    ("mean", {"sims_ppm_mean": "mean"}),
    ("all", {"sims_ppm_0": 0, "sims_ppm_1": 1, "sims_ppm_2": 2}),
    (1, {"sims_ppm_1": 1}),
    ([2, 0], {"sims_ppm_2": 2, "sims_ppm_0": 0}),
])
def test_realisations_are_averaged_or_picked(model, tmp_path, realisations, expected):
    mesh = meshio.read(to_vtk(model, tmp_path / "m.vtu", realisations=realisations))
    written = sorted(k for k in mesh.cell_data if k.startswith("sims_ppm"))
    assert written == sorted(expected)
    sims = model.arrays["sims_ppm"]
    for key, which in expected.items():
        want = sims.mean(axis=0) if which == "mean" else sims[which]
        np.testing.assert_array_equal(mesh.cell_data[key][0], want)


@pytest.mark.parametrize(("realisations", "match"), [
    ("median", "'mean', 'all'"), (3, "realisation 3 of array 'sims_ppm'"),
    ([0.5], "'mean', 'all'"), (-1, "realisation -1"),
])
def test_bad_realisations_are_refused(model, tmp_path, realisations, match):
    with pytest.raises(InputError, match=match):
        to_vtk(model, tmp_path / "m.vtu", realisations=realisations)
    assert not (tmp_path / "m.vtu").exists()


def test_arrays_select_what_is_written(model, tmp_path):
    mesh = meshio.read(to_vtk(model, tmp_path / "m.vtu", arrays="cu_pct"))
    assert sorted(mesh.cell_data) == sorted(["cu_pct", "block_index", "zone_code", "proportion",
                                             "volume_m3", "tonnage_t"])
    with pytest.raises(InputError, match=r"unknown array\(s\) \['zn_pct'\].*cu_pct"):
        to_vtk(model, tmp_path / "n.vtu", arrays=["cu_pct", "zn_pct"])


# ---------------------------------------------------------------------- .vtr and blocks


def test_vtr_holds_the_whole_grid_with_the_to_xarray_values(model, tmp_path):
    pv = pytest.importorskip("pyvista")
    pytest.importorskip("xarray")
    grid = pv.read(to_vtk(model, tmp_path / "blocks.vtr"))
    assert isinstance(grid, pv.RectilinearGrid)
    assert grid.n_cells == model.grid.n_blocks
    np.testing.assert_allclose(grid.cell_centers().points, model.grid.centres(), atol=1e-9)
    ds = model.to_xarray()
    for key in ["cu_pct", "density_t_m3", "resource_class", "n_samples", "zone_code",
                "tonnage_t"]:
        want = ds[key].values.ravel(order="F")
        np.testing.assert_array_equal(grid.cell_data[key], want, err_msg=key)
    assert grid.cell_data["resource_class"].dtype == np.int8
    # The rules by hand: block 1 is half A (2.5 t/m3), half B (3.0 t/m3).
    parcels = np.flatnonzero(model.block_index == 1)
    t = model.tonnage_t()[parcels]
    cu = model.arrays["cu_pct"][parcels]
    assert grid.cell_data["cu_pct"][1] == pytest.approx((t * cu).sum() / t.sum(), rel=1e-15)
    assert grid.cell_data["density_t_m3"][1] == pytest.approx(2.75, rel=1e-15)
    assert grid.cell_data["tonnage_t"][1] == pytest.approx(t.sum(), rel=1e-15)
    # Block 11 is 0.3 A and 0.7 B: B, the largest parcel, gives the class.
    b11 = np.flatnonzero((model.block_index == 11) & (model.zone_code == 1))[0]
    assert grid.cell_data["resource_class"][11] == model.arrays["resource_class"][b11]
    assert grid.cell_data["zone_code"][11] == 1
    assert grid.cell_data["proportion"][11] == pytest.approx(1.0)
    empty = np.setdiff1d(np.arange(model.grid.n_blocks), model.block_index)
    assert np.isnan(grid.cell_data["cu_pct"][empty]).all()
    assert (grid.cell_data["zone_code"][empty] == -1).all()
    assert (grid.cell_data["resource_class"][empty] == -1).all()
    assert (grid.cell_data["tonnage_t"][empty] == 0).all()
    assert grid.cell_data["tonnage_t"].sum() == pytest.approx(model.tonnage_t().sum())
    assert _text(grid.field_data, "zone_names") == ["A", "B"]


def test_format_argument_and_suffix_must_agree(model, tmp_path):
    with pytest.raises(InputError, match="must end in .vtr"):
        to_vtk(model, tmp_path / "m.vtu", format="vtr")
    with pytest.raises(InputError, match="unknown VTK format 'vtk'"):
        to_vtk(model, tmp_path / "m.vtk")
    assert to_vtk(model, tmp_path / "m.VTR").exists()


# ---------------------------------------------------------------------- safety


def test_existing_files_are_kept_unless_overwrite(model, tmp_path):
    path = tmp_path / "m.vtu"
    path.write_text("keep me")
    with pytest.raises(InputError, match="exists; pass overwrite=True"):
        to_vtk(model, path)
    assert path.read_text() == "keep me"
    to_vtk(model, path, overwrite=True)
    assert len(meshio.read(path).cells[0].data) == model.n_parcels
    with pytest.raises(InputError, match="does not exist; create it first"):
        to_vtk(model, tmp_path / "nowhere" / "m.vtu")


def test_a_failed_write_leaves_nothing_behind(model, tmp_path, monkeypatch):
    path = tmp_path / "m.vtr"
    path.write_text("old")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export, "_write_vtr", broken)
    with pytest.raises(OSError, match="disk full"):
        to_vtk(model, path, overwrite=True)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.vtr"]


def test_arrays_that_cannot_be_written_are_named(model, tmp_path):
    clash = model.with_arrays(tonnage_t=np.ones(model.n_parcels))
    with pytest.raises(InputError, match=r"\['tonnage_t'\] are named like"):
        to_vtk(clash, tmp_path / "m.vtu")
    text = model.with_arrays(rock=np.array(["a"] * model.n_parcels, dtype=object))
    with pytest.raises(InputError, match="array 'rock' holds object"):
        to_vtk(text, tmp_path / "m.vtu")
    with pytest.raises(InputError, match="needs a raremin BlockModel; got dict"):
        to_vtk({}, tmp_path / "m.vtu")


def test_lazy_models_must_be_computed_first(tmp_path):
    pytest.importorskip("dask")
    zone = Zone("A", box(0, 0, 15, 10), 10, 0, 2.0)
    lazy = BlockModel.from_deposit(zone, BlockGrid((0, 0, 0), 10, (2, 1, 2)), chunks=2)
    for call in (lambda: to_vtk(lazy, tmp_path / "m.vtu"),
                 lambda: to_omf(lazy, tmp_path / "m.omf")):
        with pytest.raises(InputError, match=r"call model\.compute\(\) first"):
            call()
    mesh = meshio.read(to_vtk(lazy.compute(), tmp_path / "m.vtu"))
    assert len(mesh.cells[0].data) == 2


@pytest.mark.parametrize(("call", "extra"), [
    (lambda m, d: to_pyvista(m), "raremin[viz]"),
    (lambda m, d: to_omf(m, d / "m.omf"), "raremin[omf]"),
])
def test_missing_optional_packages_name_the_extra(model, tmp_path, monkeypatch, call, extra):
    real = importlib.import_module

    def no_optional(name, *args):
        if name in ("pyvista", "omf"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(export.importlib, "import_module", no_optional)
    with pytest.raises(RareminError, match=re.escape(f"pip install '{extra}'")):
        call(model, tmp_path)
    assert not list(tmp_path.iterdir())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_model_round_trips_through_vtu(data):
    nx, ny, nz = (data.draw(st.integers(1, 4)) for _ in range(3))
    grid = BlockGrid((-50.5, 10.25, -7.0), (2.5, 4.0, 1.5), (nx, ny, nz))
    n = grid.n_blocks
    blocks = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    share = data.draw(st.lists(st.floats(0.01, 1.0), min_size=len(blocks),
                               max_size=len(blocks)))
    m = BlockModel.from_proportions(grid, {"Z": (np.array(blocks), np.array(share))}, 2.7)
    values = data.draw(st.lists(st.floats(-1e300, 1e300), min_size=len(blocks),
                                max_size=len(blocks)))
    m = m.with_arrays(g_ppm=np.array(values))
    with tempfile.TemporaryDirectory() as folder:
        mesh = meshio.read(to_vtk(m, Path(folder) / "m.vtu"))
    assert len(mesh.cells[0].data) == m.n_parcels
    np.testing.assert_array_equal(mesh.cell_data["g_ppm"][0], m.arrays["g_ppm"])
    np.testing.assert_array_equal(mesh.cell_data["tonnage_t"][0], m.tonnage_t())
    np.testing.assert_allclose(_vtu_centres(mesh), m.centres(), rtol=0, atol=1e-9)


# ---------------------------------------------------------------------- PyVista


def test_to_pyvista_parcels_and_blocks(model, tmp_path):
    pv = pytest.importorskip("pyvista")
    mesh = to_pyvista(model)
    assert isinstance(mesh, pv.UnstructuredGrid) and mesh.n_cells == model.n_parcels
    np.testing.assert_allclose(mesh.cell_centers().points, model.centres(), atol=1e-9)
    np.testing.assert_array_equal(mesh.cell_data["cu_pct"], model.arrays["cu_pct"])
    np.testing.assert_array_equal(mesh.cell_data["resource_class"],
                                  model.arrays["resource_class"])
    assert _text(mesh.field_data, "zone_names") == ["A", "B"]
    assert _text(mesh.field_data, "resource_class_names") == list(CLASS_NAMES)
    assert _text(mesh.field_data, "crs_wkt") == [model.grid.crs.to_wkt()]
    blocks = to_pyvista(model, blocks=True)
    assert isinstance(blocks, pv.ImageData) and blocks.n_cells == model.grid.n_blocks
    np.testing.assert_allclose(blocks.cell_centers().points, model.grid.centres(), atol=1e-9)
    from_file = pv.read(to_vtk(model, tmp_path / "b.vtr"))
    for key in from_file.cell_data:
        np.testing.assert_array_equal(blocks.cell_data[key], from_file.cell_data[key])


# ---------------------------------------------------------------------- OMF


def _omf_cells(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """OMF volume order (w fastest) -> raremin block order (x fastest)."""
    return np.asarray(values).reshape(shape).ravel(order="F")


def test_omf_volume_zones_and_drillholes(model, tmp_path):
    omf = pytest.importorskip("omf")
    pv = pytest.importorskip("pyvista")
    zones = [Zone("A", box(1000, 2000, 1030, 2040), 310, 300, 2.5, crs=CRS)]
    holes = pd.DataFrame({"hole_id": ["H1", "H1", "H2"], "from_m": [0.0, 4.0, 0.0],
                          "to_m": [4.0, 6.0, 8.0], "easting_m": [1005.0, 1005.0, 1015.0],
                          "northing_m": [2010.0] * 3, "elevation_m": [308.0, 305.0, 306.0],
                          "cu_pct": [0.5, 1.5, 0.7]})
    path = to_omf(model, tmp_path / "m.omf", zones=zones, drillholes=holes, name="test")
    project = omf.OMFReader(str(path)).get_project()
    assert project.name == "test" and project.units == "m"
    assert "EPSG:32643" in project.description
    volume, surface, lines = project.elements
    geometry = volume.geometry
    np.testing.assert_array_equal(np.asarray(geometry.origin), model.grid.origin)
    np.testing.assert_array_equal(geometry.tensor_u, [10.0] * 3)
    np.testing.assert_array_equal(geometry.tensor_v, [20.0] * 2)
    np.testing.assert_array_equal(geometry.tensor_w, [5.0] * 2)
    blocks = pv.read(to_vtk(model, tmp_path / "b.vtr"))
    data = {d.name: d for d in volume.data}
    for key in ["cu_pct", "density_t_m3", "tonnage_t", "proportion", "sims_ppm_mean",
                "n_samples"]:
        got = _omf_cells(data[key].array.array, model.grid.shape)
        np.testing.assert_array_equal(got, blocks.cell_data[key], err_msg=key)
    zone = data["zone_code"]
    assert type(zone).__name__ == "MappedData"
    assert list(zone.legends[0].values.array) == ["A", "B"]
    np.testing.assert_array_equal(_omf_cells(zone.indices.array, model.grid.shape),
                                  blocks.cell_data["zone_code"])
    classes = data["resource_class"]
    assert list(classes.legends[0].values.array) == list(CLASS_NAMES)
    np.testing.assert_array_equal(_omf_cells(classes.indices.array, model.grid.shape),
                                  blocks.cell_data["resource_class"])
    # The zone: a closed box of 30 x 40 x 10 m.
    tri = np.asarray(surface.geometry.triangles.array)
    verts = np.asarray(surface.geometry.vertices.array)
    assert surface.name == "A" and _closed(tri)
    assert _mesh_volume(verts, tri) == pytest.approx(12000.0, rel=1e-12)
    # Drillholes: one segment per interval, vertical, with their grades.
    seg = np.asarray(lines.geometry.segments.array)
    pts = np.asarray(lines.geometry.vertices.array)
    assert len(seg) == 3
    np.testing.assert_allclose(pts[seg][:, :, 2], [[310, 306], [306, 304], [310, 302]])
    hole_data = {d.name: d for d in lines.data}
    np.testing.assert_array_equal(hole_data["cu_pct"].array.array, [0.5, 1.5, 0.7])
    assert list(hole_data["hole_id"].legends[0].values.array) == ["H1", "H2"]


# ---------------------------------------------------------------------- zones


def _cube(offset):
    verts = np.array([[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0],
                      [0, 0, 10], [10, 0, 10], [10, 10, 10], [0, 10, 10]], float) + offset
    faces = [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
             [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
    return Solid.from_arrays(verts, faces, name="cube")


def test_zones_are_closed_outward_surfaces_of_the_zone_volumes(tmp_path):
    holey = box(0, 0, 100, 100).difference(box(30, 30, 60, 60))
    multi = shapely.MultiPolygon([box(200, 0, 250, 50), box(300, 0, 350, 80)])
    base = Surface.from_grid(400, 0, 50, 50, 10.0 * np.arange(3)[None, :]
                             + 5.0 * np.arange(3)[:, None])   # a plane, z from 0 to 30
    zones = [Zone("holed", holey, 50, 0, 2.5), Zone("two parts", multi, 40, 10, 2.6),
             Zone.from_body("layer", Layer(base, 50.0, footprint=box(400, 0, 500, 100)), 2.5),
             Zone.from_body("cube", _cube([600, 0, 0]), 2.5)]
    dep = Deposit("D", zones, crs=CRS)
    mesh = meshio.read(zones_to_vtk(dep, tmp_path / "zones.vtu"))
    assert mesh.cells[0].type == "triangle"
    assert _text(mesh.field_data, "zone_names") == [z.name for z in zones]
    assert int(mesh.field_data["crs_epsg"][0]) == CRS
    code = mesh.cell_data["zone_code"][0]
    assert sorted(np.unique(code)) == [0, 1, 2, 3]
    for k, zone in enumerate(zones):
        faces = mesh.cells[0].data[code == k]
        assert _closed(faces), zone.name
        assert _mesh_volume(mesh.points, faces) == pytest.approx(zone.volume_m3, rel=1e-12)
        used = mesh.points[np.unique(faces)]
        np.testing.assert_allclose(used.min(axis=0), zone.bounds[:3], atol=1e-9)
        np.testing.assert_allclose(used.max(axis=0), zone.bounds[3:], atol=1e-9)


def test_topography_clips_prisms(tmp_path):
    topo = Surface.from_grid(0, 0, 100, 100, [[30.0, 50.0], [30.0, 50.0]])  # z = 30 + x / 5
    dep = Deposit("T", [Zone("P", box(0, 0, 100, 100), 40, 0, 2.5)], crs=CRS, topography=topo)
    mesh = meshio.read(zones_to_vtk(dep, tmp_path / "t.vtu", spacing_m=25.0))
    faces = mesh.cells[0].data
    assert _closed(faces)
    # Under min(40, 30 + x / 5): 100 x (50 x 35 + 50 x 40) m2 per m of y.
    assert _mesh_volume(mesh.points, faces) == pytest.approx(100 * (50 * 35 + 50 * 40),
                                                             rel=1e-12)
    assert mesh.points[:, 2].max() == pytest.approx(40.0)


def test_curved_layer_follows_its_surface(tmp_path):
    x = np.arange(11) * 10.0
    z = 20.0 + 5.0 * np.sin(x / 30.0)[None, :] + np.zeros((11, 1))
    top = Surface.from_grid(0, 0, 10, 10, z)
    zone = Zone.from_body("L", Layer(0.0, top, footprint=box(0, 0, 100, 100)), 2.5)
    mesh = meshio.read(zones_to_vtk([zone], tmp_path / "l.vtu"))
    faces = mesh.cells[0].data
    assert _closed(faces)
    # Nodes on the 10 m grid lie on the surface.
    top_nodes = mesh.points[mesh.points[:, 2] > 0]
    np.testing.assert_allclose(top_nodes[:, 2], top.z_at(top_nodes[:, 0], top_nodes[:, 1]))
    exact = 100 * (20 * 100 + 5 * 30 * (1 - np.cos(100 / 30)))
    assert _mesh_volume(mesh.points, faces) == pytest.approx(exact, rel=2e-3)


def test_zone_errors(tmp_path):
    with pytest.raises(InputError, match="no zones given"):
        zones_to_vtk([], tmp_path / "z.vtu")
    zone = Zone("A", box(0, 0, 1, 1), 1, 0, 2.5)
    with pytest.raises(InputError, match="spacing_m must be a positive length"):
        zones_to_vtk([zone], tmp_path / "z.vtu", spacing_m=-1.0)
    with pytest.raises(InputError, match=r"must end in \.vtu"):
        zones_to_vtk([zone], tmp_path / "z.stl")
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------- drillholes


def _inclined_holes() -> Drillholes:
    collars = pd.DataFrame({"hole_id": ["DH1", "DH2"], "easting_m": [1000.0, 1100.0],
                            "northing_m": [2000.0, 2000.0], "elevation_m": [760.0, 750.0],
                            "length_m": [30.0, 20.0]})
    surveys = pd.DataFrame({"hole_id": ["DH1", "DH1", "DH2"], "depth_m": [0.0, 15.0, 0.0],
                            "azimuth_deg": [90.0, 100.0, 0.0], "dip_deg": [-60.0, -55.0, -90.0]})
    intervals = pd.DataFrame({"hole_id": ["DH1", "DH1", "DH1", "DH2"],
                              "from_m": [0.0, 10.0, 20.0, 5.0], "to_m": [10.0, 20.0, 30.0, 9.0],
                              "la_ppm": [300.0, 500.0, 400.0, 250.0],
                              "lith": ["clay", "saprolite", "clay", None]})
    return Drillholes.from_tables(collars, surveys, intervals)


def test_drillhole_intervals_are_desurveyed_segments(tmp_path):
    holes = _inclined_holes()
    mesh = meshio.read(drillholes_to_vtk(holes, tmp_path / "dh.vtu", crs=CRS))
    assert mesh.cells[0].type == "line" and len(mesh.cells[0].data) == 4
    # Points shared where intervals meet: DH1 has 4 ends, DH2 has 2.
    assert len(mesh.points) == 6
    seg = mesh.points[mesh.cells[0].data]
    iv = holes.intervals
    ends = [desurvey(holes, (iv["hole_id"], iv[c]))[["easting_m", "northing_m",
                                                       "elevation_m"]].to_numpy()
            for c in ("from_m", "to_m")]
    np.testing.assert_allclose(seg[:, 0], ends[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(seg[:, 1], ends[1], rtol=0, atol=1e-9)
    cell = {k: v[0] for k, v in mesh.cell_data.items()}
    np.testing.assert_array_equal(cell["la_ppm"], iv["la_ppm"])
    np.testing.assert_array_equal(cell["from_m"], iv["from_m"])
    assert _text(mesh.field_data, "hole_id_names") == ["DH1", "DH2"]
    assert cell["hole_id"].tolist() == [0, 0, 0, 1]
    assert _text(mesh.field_data, "lith_names") == ["clay", "saprolite"]
    assert cell["lith"].tolist() == [0, 1, 0, -1]
    assert int(mesh.field_data["crs_epsg"][0]) == CRS


def test_samples_tables_give_segments_or_points(tmp_path, rng):
    # An inclined straight hole: midpoints along (0.6, 0, -0.8), unsorted rows.
    start = np.array([500.0, 100.0, 50.0])
    t = np.array([0.6, 0.0, -0.8])
    depth_from = np.array([4.0, 0.0, 2.0, 7.0])
    depth_to = np.array([7.0, 2.0, 4.0, 8.0])
    mid = start + np.outer(0.5 * (depth_from + depth_to), t)
    table = pd.DataFrame({"hole_id": "A", "from_m": depth_from, "to_m": depth_to,
                          "easting_m": mid[:, 0], "northing_m": mid[:, 1],
                          "elevation_m": mid[:, 2], "ce_ppm": [1.0, 2.0, 3.0, 4.0]})
    mesh = meshio.read(drillholes_to_vtk(table, tmp_path / "s.vtu", columns=["ce_ppm"]))
    assert sorted(mesh.cell_data) == ["ce_ppm"]
    np.testing.assert_array_equal(mesh.cell_data["ce_ppm"][0], [2.0, 3.0, 1.0, 4.0])
    seg = mesh.points[mesh.cells[0].data]
    order = np.argsort(depth_from)
    np.testing.assert_allclose(seg[:, 0], start + np.outer(depth_from[order], t), atol=1e-9)
    np.testing.assert_allclose(seg[:, 1], start + np.outer(depth_to[order], t), atol=1e-9)
    assert len(mesh.points) == 5
    points = meshio.read(drillholes_to_vtk(table.drop(columns=["from_m", "to_m"]),
                                           tmp_path / "p.vtu"))
    assert points.cells[0].type == "vertex" and len(points.points) == 4
    np.testing.assert_array_equal(points.points, mid)
    with pytest.raises(InputError, match=r"unknown column\(s\) \['zn_ppm'\]"):
        drillholes_to_vtk(table, tmp_path / "x.vtu", columns=["zn_ppm"])
    with pytest.raises(InputError, match=r"no column\(s\) \['elevation_m'\]"):
        drillholes_to_vtk(table.drop(columns="elevation_m"), tmp_path / "x.vtu")
    with pytest.raises(InputError, match="Drillholes or a samples DataFrame; got list"):
        drillholes_to_vtk([], tmp_path / "x.vtu")


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_vtk_reads_zone_and_drillhole_files(tmp_path):
    pv = pytest.importorskip("pyvista")
    dep = Deposit("D", [Zone("A", box(0, 0, 10, 10), 5, 0, 2.5),
                        Zone("B", box(20, 0, 30, 10), 5, 0, 2.5)], crs=CRS)
    zones = pv.read(zones_to_vtk(dep, tmp_path / "z.vtu"))
    surface = zones.extract_surface()
    assert zones.n_cells == 24 and surface.is_manifold and surface.n_open_edges == 0
    np.testing.assert_array_equal(np.bincount(zones.cell_data["zone_code"]), [12, 12])
    holes = _inclined_holes()
    lines = pv.read(drillholes_to_vtk(holes, tmp_path / "h.vtu"))
    assert lines.n_cells == 4 and set(lines.celltypes) == {pv.CellType.LINE}
    # Chords of gently curved intervals: their lengths, to 0.1 %.
    sizes = lines.compute_cell_sizes(area=False, volume=False)["Length"]
    np.testing.assert_allclose(sizes, holes.intervals["to_m"] - holes.intervals["from_m"],
                               rtol=1e-3)


# ---------------------------------------------------------------------- bundled assessment


def test_bundled_assessment_round_trips(bundled, tmp_path):
    _, _, model = bundled
    mesh = meshio.read(to_vtk(model, tmp_path / "k.vtu"))
    assert len(mesh.cells[0].data) == model.n_parcels
    for key, values in model.arrays.items():
        np.testing.assert_array_equal(mesh.cell_data[key][0], values, err_msg=key)
        assert mesh.cell_data[key][0].dtype == values.dtype
    np.testing.assert_array_equal(mesh.cell_data["tonnage_t"][0], model.tonnage_t())
    np.testing.assert_allclose(_vtu_centres(mesh), model.centres(), rtol=0, atol=1e-6)
    assert _text(mesh.field_data, "zone_names") == list(model.zone_names)
    assert int(mesh.field_data["crs_epsg"][0]) == CRS


def test_bundled_assessment_grid_omf_and_pyvista(bundled, tmp_path):
    pv = pytest.importorskip("pyvista")
    omf = pytest.importorskip("omf")
    pytest.importorskip("xarray")
    dep, data, model = bundled
    grid = pv.read(to_vtk(model, tmp_path / "k.vtr"))
    ds = model.to_xarray()
    for key in ["treo_pct", "resource_class", "density_t_m3", "tonnage_t", "zone_code"]:
        np.testing.assert_array_equal(grid.cell_data[key], ds[key].values.ravel(order="F"))
    np.testing.assert_allclose(grid.cell_centers().points, model.grid.centres(), atol=1e-6)
    mesh = to_pyvista(model)
    assert mesh.n_cells == model.n_parcels
    np.testing.assert_allclose(mesh.cell_centers().points, model.centres(), atol=1e-6)
    np.testing.assert_array_equal(mesh.cell_data["treo_pct"], model.arrays["treo_pct"])
    path = to_omf(model, tmp_path / "k.omf", arrays=["treo_pct", "resource_class"],
                  zones=dep, drillholes=data.samples)
    volume, *surfaces, lines = omf.OMFReader(str(path)).get_project().elements
    values = {d.name: d for d in volume.data}
    np.testing.assert_array_equal(_omf_cells(values["treo_pct"].array.array, model.grid.shape),
                                  grid.cell_data["treo_pct"])
    assert [s.name for s in surfaces] == list(dep.names)
    for surface, zone in zip(surfaces, dep.zones, strict=True):
        tri = np.asarray(surface.geometry.triangles.array)
        assert _mesh_volume(np.asarray(surface.geometry.vertices.array), tri) == \
            pytest.approx(zone.volume_m3, rel=1e-9)
    assert len(lines.geometry.segments.array) == len(data.samples)
    # Vertical holes: each segment has its interval's length and midpoint (rows sorted
    # by hole and depth).
    samples = data.samples
    order = np.lexsort((samples["from_m"], pd.factorize(samples["hole_id"])[0]))
    rows = samples.iloc[order]
    seg = np.asarray(lines.geometry.vertices.array)[np.asarray(lines.geometry.segments.array)]
    length = np.linalg.norm(seg[:, 1] - seg[:, 0], axis=1)
    np.testing.assert_allclose(length, rows["to_m"] - rows["from_m"], atol=0.01)
    np.testing.assert_allclose(seg.mean(axis=1), rows[["easting_m", "northing_m",
                                                       "elevation_m"]], atol=0.01)
