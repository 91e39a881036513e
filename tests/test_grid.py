"""Tests for raremin.grid: block grids, zone proportions and parcel block models."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import star_polygon
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import box

from raremin.deposit import Deposit, Zone
from raremin.errors import CRSError, GeometryError, InputError
from raremin.grid import BlockGrid, BlockModel, zone_proportions


def test_grid_geometry_and_gslib_order():
    g = BlockGrid((100.0, 200.0, -50.0), (10.0, 20.0, 5.0), (4, 3, 2))
    assert g.ndim == 3 and g.n_blocks == 24 and g.block_volume_m3 == 1000.0
    assert g.extent == (100.0, 140.0, 200.0, 260.0, -50.0, -40.0)
    c = g.centres()
    # x fastest, then y, then z.
    np.testing.assert_array_equal(c[0], [105.0, 210.0, -47.5])
    np.testing.assert_array_equal(c[1], [115.0, 210.0, -47.5])
    np.testing.assert_array_equal(c[4], [105.0, 230.0, -47.5])
    np.testing.assert_array_equal(c[12], [105.0, 210.0, -42.5])


def test_index_coordinate_round_trips(rng):
    g = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 4.0), (7, 5, 3))
    idx = np.arange(g.n_blocks)
    np.testing.assert_array_equal(g.ijk_to_index(g.index_to_ijk(idx)), idx)
    np.testing.assert_array_equal(g.coords_to_index(g.index_to_coords(idx)), idx)
    pts = rng.uniform([0, 0, 0], [70, 50, 12], size=(500, 3))
    back = g.index_to_coords(g.coords_to_index(pts))
    assert np.all(np.abs(back - pts) <= np.array([5, 5, 2]) + 1e-9)
    assert g.coords_to_index([[-1.0, 0.0, 0.0], [70.0, 0.0, 0.0]]).tolist() == [-1, -1]
    with pytest.raises(InputError, match="out of range"):
        g.index_to_ijk([g.n_blocks])
    with pytest.raises(InputError, match="3 columns"):
        g.coords_to_index([[1.0, 2.0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"block_size": (10, -1, 5)}, "positive lengths"),
        ({"shape": (0, 1, 1)}, "counts >= 1"),
        ({"origin": (0.0,)}, "2D or 3D"),
        ({"origin": (0.0, np.nan, 0.0)}, "grid origin has 1 missing"),
    ],
)
def test_bad_grids_raise(kwargs, match):
    args = {"origin": (0.0, 0.0, 0.0), "block_size": (10, 10, 5), "shape": (2, 2, 2)}
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        BlockGrid(**args)


def test_covering_is_aligned_and_covers():
    z = Zone("A", box(12, 3, 58, 40), 60, 10, 2.5)
    g = BlockGrid.covering(z, 25)
    assert g.origin == (0.0, 0.0, 0.0) and g.shape == (3, 2, 3)
    w, e, s, n, b, t = g.extent
    assert w <= 12 and e >= 58 and s <= 3 and n >= 40 and b <= 10 and t >= 60
    g2 = BlockGrid.covering(z, (10, 10))
    assert g2.ndim == 2 and g2.shape == (5, 4)


def test_zone_proportions_exact_values():
    g = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (3, 1, 2))
    # Footprint covers x in [0, 25], z range [5, 20]: columns 1, 1, 0.5; layers 0.5, 1.
    idx, p = zone_proportions(g, Zone("A", box(0, 0, 25, 10), 20, 5, 2.5))
    assert idx.tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_allclose(p, [0.5, 0.5, 0.25, 1.0, 1.0, 0.5], rtol=1e-15)


def test_subcell_method_approximates_exact(rng):
    poly = star_polygon(rng, 14, centre=(500, 500), radius=400)
    z = Zone("S", poly, 30, 0, 2.5)
    g = BlockGrid.covering(z, (50, 50, 10))
    _, exact = zone_proportions(g, z)
    _, sub = zone_proportions(g, z, method="subcell", subcells=20)
    assert exact.sum() == pytest.approx(sub.sum(), rel=5e-3)
    with pytest.raises(InputError, match="unknown proportion method"):
        zone_proportions(g, z, method="fast")


def test_block_model_mass_balance_and_tables():
    zones = [Zone("A", box(3, 3, 97, 44), 33, 2, 2.5), Zone("B", box(97, 3, 150, 44), 33, 2, 2.7)]
    dep = Deposit("D", zones, crs=32643)
    m = BlockModel.from_deposit(dep, BlockGrid.covering(dep, (10, 10, 5)))
    for z in zones:
        assert m.tonnage_t()[m.zone_mask(z.name)].sum() == pytest.approx(z.tonnage_t, rel=1e-12)
    # The block at x in [90, 100] is shared by both zones: two parcels.
    shared = np.unique(m.block_index, return_counts=True)[1]
    assert shared.max() == 2
    s = m.summary()
    assert s["zone"].tolist() == ["A", "B", "Total"]
    assert s["tonnage_t"].iloc[-1] == pytest.approx(dep.tonnage_t, rel=1e-12)
    frame = m.to_dataframe()
    assert len(frame) == m.n_parcels
    assert set(frame["zone"]) == {"A", "B"}
    np.testing.assert_allclose(frame["tonnage_t"], m.tonnage_t())
    gdf = m.to_geodataframe()
    assert gdf.crs.to_epsg() == 32643
    assert gdf.geometry.area.iloc[0] == pytest.approx(100.0)
    assert "Block model" in m._repr_html_()


def test_with_arrays_and_validation():
    m = BlockModel.from_deposit(Zone("A", box(0, 0, 20, 10), 10, 0, 2.0),
                                BlockGrid((0, 0, 0), 10, (2, 1, 1)))
    m2 = m.with_arrays(treo_ppm=[1000.0, 1200.0], sims=np.ones((3, 2)))
    assert "treo_ppm" not in m.arrays and m2.arrays["treo_ppm"].tolist() == [1000.0, 1200.0]
    assert list(m2.to_dataframe().columns)[-3:] == ["sims_0", "sims_1", "sims_2"]
    with pytest.raises(InputError, match="one value per parcel"):
        m.with_arrays(treo_ppm=[1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="no zone 'B'"):
        m.zone_mask("B")


def test_model_errors():
    z = Zone("A", box(0, 0, 10, 10), 10, 0, 2.0)
    with pytest.raises(GeometryError, match="does not overlap the block grid"):
        BlockModel.from_deposit(z, BlockGrid((1000, 1000, 0), 10, (2, 2, 2)))
    with pytest.raises(InputError, match="3D grid"):
        BlockModel.from_deposit(z, BlockGrid((0, 0), 10, (2, 2)))
    dep = Deposit("D", [z], crs=32643)
    with pytest.raises(CRSError, match="CRS mismatch"):
        BlockModel.from_deposit(dep, BlockGrid((0, 0, 0), 10, (1, 1, 1), crs=32642))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 24),
       size=st.sampled_from([7.0, 12.5, 25.0, 40.0]))
def test_mass_balance_on_random_polygons(seed, n, size):
    """Summed parcel tonnage equals the zone's analytic tonnage, whatever the block size."""
    rng = np.random.default_rng(seed)
    poly = star_polygon(rng, n, centre=rng.uniform(-1e4, 1e4, 2), radius=rng.uniform(50, 400))
    top = rng.uniform(0, 100)
    z = Zone("R", poly, top, top - rng.uniform(5, 60), rng.uniform(2.0, 3.5))
    m = BlockModel.from_deposit(z, BlockGrid.covering(z, (size, size, size / 2)))
    assert m.tonnage_t().sum() == pytest.approx(z.tonnage_t, rel=1e-9)
    assert np.all((m.proportion > 0) & (m.proportion <= 1 + 1e-12))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_subcell_tonnage_stable_between_25_and_100_m_blocks(seed):
    """Sub-cell discretisation: zone tonnage moves by under 1 % from 25 m to 100 m blocks."""
    rng = np.random.default_rng(seed)
    poly = star_polygon(rng, 16, centre=(0, 0), radius=rng.uniform(400, 900))
    z = Zone("R", poly, 300, 0, 2.65)
    tons = []
    for size in (25.0, 100.0):
        g = BlockGrid.covering(z, (size, size, 25.0))
        m = BlockModel.from_deposit(z, g, method="subcell", subcells=10)
        tons.append(m.tonnage_t().sum())
    assert abs(tons[1] / tons[0] - 1) < 0.01
    assert abs(tons[0] / z.tonnage_t - 1) < 0.005


def test_multipolygon_zone_blocks():
    mp = shapely.MultiPolygon([box(0, 0, 15, 10), box(30, 0, 40, 10)])
    m = BlockModel.from_deposit(Zone("M", mp, 10, 0, 2.0), BlockGrid((0, 0, 0), 10, (4, 1, 1)))
    assert m.block_index.tolist() == [0, 1, 3]
    np.testing.assert_allclose(m.proportion, [1.0, 0.5, 1.0])


@pytest.mark.parametrize("method", ["exact", "subcell"])
def test_bundled_zones_mass_balance_and_block_size_stability(method):
    """Acceptance: within 0.5 % of volume x density, and < 1 % change from 25 m to 100 m."""
    import raremin

    data = raremin.load_kuirektykol()
    dep = Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    tons = {}
    for size in (25.0, 100.0):
        model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, (size, size, 10.0)),
                                        method=method, subcells=10)
        for z in dep:
            zone_t = model.tonnage_t()[model.zone_mask(z.name)].sum()
            assert zone_t == pytest.approx(z.volume_m3 * z.density_t_m3, rel=0.005)
            tons[size, z.name] = zone_t
    for z in dep:
        assert abs(tons[100.0, z.name] / tons[25.0, z.name] - 1) < 0.01


def test_from_proportions_builds_the_same_model_as_from_deposit():
    from shapely import box

    dep = Deposit("D", [Zone("A", box(0, 0, 25, 20), 20, 0, 2.5),
                        Zone("B", box(25, 0, 40, 20), 20, 0, 2.7)], crs=32643)
    grid = BlockGrid((0, 0, 0), 10, (4, 2, 2), crs=32643)
    model = BlockModel.from_deposit(dep, grid)
    parts = {z: (model.block_index[model.zone_mask(z)], model.proportion[model.zone_mask(z)])
             for z in ("A", "B")}
    again = BlockModel.from_proportions(grid, parts, {"A": 2.5, "B": 2.7})
    np.testing.assert_array_equal(again.block_index, model.block_index)
    np.testing.assert_array_equal(again.zone_code, model.zone_code)
    np.testing.assert_allclose(again.tonnage_t(), model.tonnage_t())


@pytest.mark.parametrize(
    ("parts", "density", "error", "match"),
    [
        ({"A": ([0, 1], [1.0, 0.6]), "B": ([1], [0.6])}, 2.5, GeometryError,
         r"zones \['A', 'B'\] overlap.*block 1 .*add up to 1\.2000"),
        ({"A": ([0, 99], [1.0, 1.0])}, 2.5, InputError, "block index 99 is outside"),
        ({"A": ([0], [1.5])}, 2.5, InputError, r"must lie in \[0, 1\]"),
        ({"A": ([0, 0], [0.5, 0.5])}, 2.5, InputError, "lists a block more than once"),
        ({"A": ([0], [1.0])}, {"B": 2.5}, InputError, r"no density for zone\(s\) \['A'\]"),
        ({"A": ([0], [1.0])}, -1.0, InputError, "density_t_m3 must be > 0"),
    ],
)
def test_from_proportions_errors(parts, density, error, match):
    grid = BlockGrid((0, 0, 0), 10, (2, 2, 2))
    with pytest.raises(error, match=match):
        BlockModel.from_proportions(grid, parts, density)


# ------------------------------------------------------------------ chunks and files (no Dask)


@settings(max_examples=60, deadline=None)
@given(nx=st.integers(1, 9), ny=st.integers(1, 9), nz=st.integers(1, 6),
       blocks=st.integers(1, 120))
def test_slabs_cover_the_grid_in_block_order(nx, ny, nz, blocks):
    from raremin.grid import _window_range, _windows

    grid = BlockGrid((0, 0, 0), 1, (nx, ny, nz))
    ranges = [_window_range(grid, w) for w in _windows(grid, blocks)]
    assert ranges[0][0] == 0 and ranges[-1][1] == grid.n_blocks
    assert all(a[1] == b[0] for a, b in zip(ranges[:-1], ranges[1:], strict=True))
    assert all(stop > start for start, stop in ranges)
    assert max(stop - start for start, stop in ranges) <= max(blocks, nx)


@pytest.mark.parametrize("blocks", [1, 7, 40, 130, 10_000])
def test_prism_slabs_give_the_whole_grids_proportions_bit_for_bit(rng, blocks):
    """Any origin and block size: a prism's slabs use the whole grid's columns and levels."""
    from raremin.grid import _window_parcels, _windows

    zones = (Zone("A", star_polygon(rng, 9, (30.0, 20.0), 25.0), 17.3, 1.1, 2.61),
             Zone("B", box(58.1, 0.0, 80.0, 40.0), 12.9, 3.7, 2.72))
    grid = BlockGrid((0.37, -0.11, 0.23), (3.3, 2.9, 1.7), (25, 14, 11))
    whole = BlockModel.from_deposit(zones, grid, method="exact")
    common = (grid, zones, (2.61, 2.72), "exact", None, None)
    parts = [_window_parcels(common, w) for w in _windows(grid, blocks)]
    for j, array in enumerate((whole.block_index, whole.zone_code, whole.proportion,
                               whole.arrays["density_t_m3"])):
        joined = np.concatenate([p[j] for p in parts])
        assert joined.dtype == array.dtype
        np.testing.assert_array_equal(joined, array)


def test_in_memory_model_is_one_chunk_and_needs_no_dask():
    m = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (3, 1, 1)),
                                    {"A": ([0, 2], [1.0, 0.5])}, 2.5)
    assert not m.is_lazy and m.chunks == (2,)
    assert m.compute() is m and m.persist() is m and m.with_known_chunks() is m


@pytest.mark.parametrize("fmt", ["parquet", "zarr"])
def test_in_memory_round_trip_keeps_arrays_attrs_and_crs(tmp_path, fmt):
    pytest.importorskip("pyarrow" if fmt == "parquet" else "zarr")
    grid = BlockGrid((100.0, 200.0, -50.0), (10.0, 20.0, 5.0), (4, 3, 2), crs=32643)
    model = BlockModel.from_proportions(grid, {"ore": ([0, 5, 23], [1.0, 0.25, 0.5]),
                                               "waste": ([5], [0.75])}, {"ore": 2.6,
                                                                         "waste": 2.2})
    model = model.with_arrays(cu_pct=[0.5, np.nan, 0.1, 0.2],
                              sims=np.arange(8.0).reshape(2, 4), n_samples=np.arange(4))
    model = dataclasses.replace(model, attrs={"negative_estimates": {"cu_pct": 2},
                                              "note": np.float64(1.5)})
    writer, reader = (("to_parquet", "read_parquet") if fmt == "parquet"
                      else ("to_zarr", "read_zarr"))
    folder = getattr(model, writer)(tmp_path / "m")
    back = getattr(BlockModel, reader)(folder, chunks=None)
    assert back.grid.crs == grid.crs and back.grid.origin == grid.origin
    assert back.zone_names == ("ore", "waste")
    assert back.attrs == {"negative_estimates": {"cu_pct": 2}, "note": 1.5}
    for a, b in [(back.block_index, model.block_index), (back.zone_code, model.zone_code),
                 (back.proportion, model.proportion),
                 *((back.arrays[k], model.arrays[k]) for k in model.arrays)]:
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
    with pytest.raises(InputError, match="exists; pass overwrite=True"):
        getattr(model, writer)(folder)


def test_parquet_files_hold_the_dataframe_rows(tmp_path):
    pytest.importorskip("pyarrow")
    model = BlockModel.from_proportions(BlockGrid((0, 0, 0), 10, (3, 1, 1)),
                                        {"A": ([0, 2], [1.0, 0.5])}, 2.5)
    folder = model.to_parquet(tmp_path / "m")
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "part.0.parquet"),
                                  model.to_dataframe())
    meta = json.loads((folder / "raremin.json").read_text())
    assert meta["parts"] == [{"file": "part.0.parquet", "rows": 2}]
    with pytest.raises(InputError, match="not a block model written by BlockModel.to_parquet"):
        BlockModel.read_parquet(tmp_path)
    for clash, name in [(model.with_arrays(zone=[1, 2]), "zone"),
                        (model.with_arrays(s=np.ones((2, 2)), s_1=[1, 2]), "s_1")]:
        with pytest.raises(InputError, match=rf"column\(s\) \['{name}'\] would appear twice"):
            clash.to_parquet(tmp_path / "clash")
    assert not (tmp_path / "clash").exists()
