"""Block models that persist: Parquet, Zarr, read_block_model and to_xarray.

The assessed Kuirektykol model (classes and three realisations) goes through every
format and must come back bit for bit: grid, CRS, zones, parcels, every array with its
dtype and shape, and the JSON-serialisable attrs.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from pyproj import CRS
from shapely import box

import raremin
from raremin._blockfiles import _json_value, array_unit
from raremin.deposit import Deposit, Zone
from raremin.errors import InputError, RareminError
from raremin.grid import BlockGrid, BlockModel, read_block_model

pytest.importorskip("pyarrow")
pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def assessed() -> BlockModel:
    """The bundled deposit assessed with classes and 3 realisations of TREO (~4 s)."""
    data = raremin.load_kuirektykol()
    deposit = Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = raremin.assess(deposit, data.samples, block_size=(100, 100, 20),
                                classification="default", simulate=3, seed=1)
    sims = result.realisations
    np.testing.assert_array_equal(sims.block_index, result.model.block_index)
    model = result.model.with_arrays(treo_sim_pct=sims.arrays["treo_pct"])
    return dataclasses.replace(model, attrs={**model.attrs,
                                             "simulation": sims.attrs["simulation"]})


def plain(attrs):
    """Attrs as they come back from a file: JSON types (lists, Python numbers)."""
    return json.loads(json.dumps(_json_value(dict(attrs))))


def assert_same_model(back: BlockModel, model: BlockModel) -> None:
    """Grid, CRS, zones, parcels and every array (dtype, shape, values) identical."""
    assert not back.is_lazy
    g, h = back.grid, model.grid
    assert (g.origin, g.block_size, g.shape) == (h.origin, h.block_size, h.shape)
    assert g.crs == h.crs and CRS(g.crs.to_wkt()) == CRS.from_epsg(32643)
    assert back.zone_names == model.zone_names
    assert list(back.arrays) == list(model.arrays)
    parts = [("block_index", back.block_index, model.block_index),
             ("zone_code", back.zone_code, model.zone_code),
             ("proportion", back.proportion, model.proportion),
             *((k, back.arrays[k], model.arrays[k]) for k in model.arrays)]
    for name, a, b in parts:
        assert a.dtype == b.dtype and a.shape == b.shape, (name, a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b, err_msg=name)  # NaN == NaN, floats exact


def test_the_assessed_model_has_what_the_round_trips_must_keep(assessed):
    assert assessed.arrays["resource_class"].dtype == np.int8
    assert set(np.unique(assessed.arrays["resource_class"])) == {2, 3}
    assert assessed.arrays["treo_sim_pct"].shape == (3, assessed.n_parcels)
    assert assessed.zone_names == ("Irgiz", "Dos 2")


@pytest.mark.parametrize("fmt", ["parquet", "zarr"])
def test_assessed_model_round_trips_exactly(assessed, tmp_path, fmt):
    folder = getattr(assessed, f"to_{fmt}")(tmp_path / "model")
    back = read_block_model(folder)
    assert_same_model(back, assessed)
    assert back.attrs == plain(assessed.attrs)
    assert back.attrs["simulation"]["discretisation"] == [2, 2, 1]
    assert back.attrs["simulation"]["n_realisations"] == 3


def test_parquet_files_describe_themselves(assessed, tmp_path):
    import pyarrow.parquet as pq

    folder = assessed.to_parquet(tmp_path / "model")
    schema = pq.read_schema(folder / "part.0.parquet")
    meta = json.loads(schema.metadata[b"raremin"])
    assert meta["n_parts"] == 1 and meta["part"] == 0 and meta["attrs_complete"]
    assert CRS.from_json_dict(meta["grid"]["crs_projjson"]) == assessed.grid.crs
    assert meta["grid"]["crs_epsg"] == 32643
    assert meta["units"]["treo_pct"] == "%" and meta["units"]["la_ppm"] == "ppm"
    assert meta["units"]["density_t_m3"] == "t/m3" and "resource_class" not in meta["units"]
    assert meta["arrays"]["treo_sim_pct"] == {"dtype": "<f8", "lead": [3]}
    assert meta["attrs_dropped"] == []
    units = {f.name: (f.metadata or {}).get(b"unit") for f in schema}
    assert units["treo_sim_pct_2"] == b"%" and units["tonnage_t"] == b"t"
    assert units["proportion"] == b"fraction" and units["zone"] is None
    # One file alone is the whole model (an in-memory model is written as one part).
    assert_same_model(read_block_model(folder / "part.0.parquet"), assessed)
    # Plain Parquet: pandas reads it (one column per realisation).
    frame = pd.read_parquet(folder / "part.0.parquet")
    np.testing.assert_array_equal(frame["treo_sim_pct_1"], assessed.arrays["treo_sim_pct"][1])


def test_zarr_arrays_carry_their_units(assessed, tmp_path):
    import zarr

    root = zarr.open_group(str(assessed.to_zarr(tmp_path / "m.zarr", chunk_size=500)), mode="r")
    assert root["arrays/treo_pct"].attrs["units"] == "%"
    assert root["arrays/treo_sim_pct"].chunks == (3, 500)
    assert "units" not in root["arrays/resource_class"].attrs
    assert root.attrs["raremin"]["units"]["drill_spacing_m"] == "m"


def test_assessed_model_to_xarray(assessed):
    pytest.importorskip("xarray")
    ds = assessed.to_xarray()
    grid = assessed.grid
    assert dict(ds.sizes) == {"easting": 35, "northing": 23, "elevation": 15, "zone": 2,
                              "realisation": 3}
    for axis, dim in enumerate(("easting", "northing", "elevation")):
        np.testing.assert_array_equal(ds[dim].values, grid.axis_centres(axis))
        assert ds[dim].attrs["units"] == "m"
    assert CRS.from_wkt(ds.attrs["crs_wkt"]) == grid.crs and ds.attrs["crs"] == "EPSG:32643"
    assert CRS.from_cf(ds["spatial_ref"].attrs) == grid.crs
    assert ds.attrs["origin_m"] == list(grid.origin)
    assert json.loads(ds.attrs["raremin"])["attrs"] == plain(assessed.attrs)
    assert ds["zone"].values.tolist() == ["Irgiz", "Dos 2"]
    assert [ds[k].attrs["units"] for k in ("treo_pct", "la_ppm", "density_t_m3", "tonnage_t")
            ] == ["%", "ppm", "t/m3", "t"]
    assert "units" not in ds["resource_class"].attrs
    assert ds["resource_class"].dtype == np.int8
    assert ds["resource_class"].attrs["flag_meanings"] == "unclassified measured indicated inferred"
    assert ds["treo_sim_pct"].dims == ("realisation", "easting", "northing", "elevation")
    # No block of this model is split between zones: every parcel's values are at its
    # block, exactly, and the other blocks are empty.
    ijk = grid.index_to_ijk(assessed.block_index)
    at = (ijk[:, 0], ijk[:, 1], ijk[:, 2])
    assert np.unique(assessed.block_index).size == assessed.n_parcels
    for key, arr in assessed.arrays.items():
        got = ds[key].values[(..., *at)]
        assert got.dtype == arr.dtype, key
        np.testing.assert_array_equal(got, arr, err_msg=key)
    empty = np.ones(grid.shape, dtype=bool)
    empty[at] = False
    assert np.isnan(ds["treo_pct"].values[empty]).all()
    assert (ds["resource_class"].values[empty] == -1).all()
    assert ds["resource_class"].encoding["_FillValue"] == -1
    assert (ds["zone_code"].values[at] == assessed.zone_code).all()
    assert ds["tonnage_t"].sum().item() == pytest.approx(assessed.tonnage_t().sum(), rel=1e-12)


# --------------------------------------------------------------- zones sharing a block


def _shared_model() -> BlockModel:
    """Three blocks: 0 all A, 1 split 0.25 A / 0.75 B, 2 empty; 3 is half A half B."""
    grid = BlockGrid((1000.0, 2000.0, 100.0), (10.0, 10.0, 5.0), (4, 1, 1), crs=32643)
    model = BlockModel.from_proportions(
        grid, {"A": ([0, 1, 3], [1.0, 0.25, 0.5]), "B": ([1, 3], [0.75, 0.5])},
        {"A": 2.0, "B": 3.0})
    # parcels in block order, A before B: (0, A), (1, A), (1, B), (3, A), (3, B)
    return model.with_arrays(
        cu_pct=[1.0, 1.0, 2.0, 0.5, np.nan],
        au_gpt=[[1.0, 2.0, 4.0, 1.0, 1.0], [0.0, 0.0, 8.0, 2.0, 4.0]],
        cu_t=[10.0, 1.0, 2.0, 3.0, 4.0],
        resource_class=np.array([1, 2, 3, 2, 1], dtype=np.int8),
        n_samples=np.array([5, 6, 7, 8, 9]))


def test_shared_blocks_blend_as_a_geologist_expects():
    pytest.importorskip("xarray")
    ds = _shared_model().to_xarray()
    # tonnages: block 1: A 0.25 x 500 m3 x 2.0 = 250 t, B 0.75 x 500 x 3.0 = 1125 t
    t_a, t_b = 250.0, 1125.0
    expected = {
        "tonnage_t": [1000.0, t_a + t_b, 0.0, 500.0 + 750.0],
        "density_t_m3": [2.0, (t_a + t_b) / 500.0, np.nan, 2.5],
        "cu_pct": [1.0, (t_a * 1.0 + t_b * 2.0) / (t_a + t_b), np.nan, np.nan],
        "cu_t": [10.0, 3.0, 0.0, 7.0],
        "resource_class": [1, 3, -1, 2],  # the largest parcel; a tie goes to zone A
        "n_samples": [5, 7, -1, 8],
        "zone_code": [0, 1, -1, 0],
    }
    for key, values in expected.items():
        np.testing.assert_allclose(ds[key].values.ravel(), values, rtol=1e-15, err_msg=key)
    assert ds["resource_class"].dtype == np.int8 and ds["n_samples"].dtype == np.int64
    au = ds["au_gpt"].values[:, :, 0, 0]
    np.testing.assert_allclose(au[:, 1], [(t_a * 2 + t_b * 4) / (t_a + t_b),
                                          (t_b * 8) / (t_a + t_b)], rtol=1e-15)
    assert ds["au_gpt"].attrs["units"] == "g/t" and ds.sizes["realisation"] == 2
    np.testing.assert_array_equal(ds["proportion"].values[:, :, 0, 0],
                                  [[1.0, 0.25, 0.0, 0.5], [0.0, 0.75, 0.0, 0.5]])
    assert ds["cu_pct"].attrs["block_value"].startswith("tonnage-weighted mean")
    assert ds["density_t_m3"].attrs["block_value"].startswith("volume-weighted mean")
    assert ds["resource_class"].attrs["block_value"].startswith("value of the block's largest")
    np.testing.assert_array_equal(ds["easting"].values, [1005.0, 1015.0, 1025.0, 1035.0])
    assert ds["elevation"].values.tolist() == [102.5]


def test_by_zone_keeps_the_zones_apart():
    pytest.importorskip("xarray")
    ds = _shared_model().to_xarray(by_zone=True)
    assert ds["cu_pct"].dims == ("zone", "easting", "northing", "elevation")
    np.testing.assert_array_equal(ds["cu_pct"].values[:, :, 0, 0],
                                  [[1.0, 1.0, np.nan, 0.5], [np.nan, 2.0, np.nan, np.nan]])
    np.testing.assert_array_equal(ds["resource_class"].values[:, :, 0, 0],
                                  [[1, 2, -1, 2], [-1, 3, -1, 1]])
    np.testing.assert_array_equal(ds["tonnage_t"].values[:, :, 0, 0],
                                  [[1000.0, 250.0, 0.0, 500.0], [0.0, 1125.0, 0.0, 750.0]])
    assert ds["au_gpt"].dims == ("zone", "realisation", "easting", "northing", "elevation")
    assert ds["au_gpt"].values[1, 1, 1, 0, 0] == 8.0


def test_the_dataset_writes_and_reads_back_with_xarray(tmp_path):
    xr = pytest.importorskip("xarray")
    model = _shared_model()
    model.to_xarray().to_zarr(tmp_path / "ds.zarr", consolidated=False)
    ds = xr.open_zarr(tmp_path / "ds.zarr", consolidated=False)
    assert CRS.from_cf(ds["spatial_ref"].attrs) == model.grid.crs
    assert ds["cu_pct"].attrs["units"] == "%"
    # the fill value of the classes is honoured: empty blocks read as NaN
    np.testing.assert_array_equal(ds["resource_class"].values.ravel(), [1, 3, np.nan, 2])
    assert json.loads(ds.attrs["raremin"])["zone_names"] == ["A", "B"]


@pytest.mark.parametrize("seed", range(5))
def test_blending_keeps_the_contained_metal(seed):
    pytest.importorskip("xarray")
    rng = np.random.default_rng(seed)
    grid = BlockGrid((0, 0, 0), (5.0, 5.0, 2.0), (6, 5, 4))
    n_zones = int(rng.integers(2, 5))
    cuts = np.sort(rng.uniform(size=(grid.n_blocks, n_zones - 1)), axis=1)
    shares = np.diff(np.column_stack([np.zeros(grid.n_blocks), cuts,
                                      np.ones(grid.n_blocks)]), axis=1)
    shares[rng.uniform(size=shares.shape) < 0.3] = 0.0  # some blocks partly outside
    props = {f"z{k}": (np.flatnonzero(shares[:, k]), shares[shares[:, k] > 0, k])
             for k in range(n_zones)}
    model = BlockModel.from_proportions(grid, props, {f"z{k}": 2.0 + k
                                                      for k in range(n_zones)})
    model = model.with_arrays(zn_pct=rng.lognormal(size=model.n_parcels),
                              zn_t=rng.uniform(size=model.n_parcels))
    ds = model.to_xarray()
    contained = (model.tonnage_t() * model.arrays["zn_pct"]).sum()
    assert float((ds["tonnage_t"] * ds["zn_pct"]).sum()) == pytest.approx(contained, rel=1e-12)
    assert float(ds["tonnage_t"].sum()) == pytest.approx(model.tonnage_t().sum(), rel=1e-12)
    assert float(ds["zn_t"].sum()) == pytest.approx(model.arrays["zn_t"].sum(), rel=1e-12)
    np.testing.assert_allclose(ds["proportion"].sum("zone").values.ravel(order="F"),
                               shares.sum(axis=1), rtol=1e-12)


def test_shared_model_round_trips_through_files(tmp_path):
    model = _shared_model()
    for writer in ("to_parquet", "to_zarr"):
        back = read_block_model(getattr(model, writer)(tmp_path / writer))
        assert_same_model(back, model)


# ------------------------------------------------------------------------- attrs


def test_attrs_that_are_not_json_are_dropped_and_counted(tmp_path):
    model = dataclasses.replace(_shared_model(), attrs={
        "kept": (1, np.float32(0.5)), "nan": float("nan"), "fn": len, "obj": object()})
    with pytest.warns(UserWarning, match=r"2 attr\(s\) \['fn', 'obj'\] are not JSON"):
        folder = model.to_parquet(tmp_path / "m")
    back = read_block_model(folder)
    assert list(back.attrs) == ["kept", "nan"] and back.attrs["kept"] == [1, 0.5]
    assert np.isnan(back.attrs["nan"])
    meta = json.loads((folder / "raremin.json").read_text())
    assert meta["attrs_dropped"] == ["fn", "obj"]
    with pytest.warns(UserWarning, match="not JSON"):
        back = read_block_model(model.to_zarr(tmp_path / "z"))
    assert list(back.attrs) == ["kept", "nan"]


@pytest.mark.parametrize(("name", "unit"), [
    ("treo_pct", "%"), ("cu_ppm", "ppm"), ("au_gpt", "g/t"), ("u3o8_kgpt", "kg/t"),
    ("pt_ppb", "ppb"), ("recovery_frac", "fraction"), ("density_t_m3", "t/m3"),
    ("volume_m3", "m3"), ("drill_spacing_m", "m"), ("tonnage_t", "t"), ("ore_kt", "kt"),
    ("ore_Mt", "Mt"), ("dip_deg", "degree"), ("resource_class", None), ("slope", None),
    ("n_samples", None), ("_pct", None), ("pct", None),
])
def test_units_come_from_the_names(name, unit):
    assert array_unit(name) == unit


# ------------------------------------------------------------------------- lazy


def test_lazy_model_through_zarr(assessed, tmp_path):
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="threads"):
        lazy = read_block_model(assessed.to_parquet(tmp_path / "p"), chunks=1200)
        assert lazy.is_lazy and lazy.chunks == (1200, 1020)
        with pytest.raises(InputError, match=r"to_xarray\(\) of a lazy block model"):
            lazy.to_xarray()
        folder = lazy.to_zarr(tmp_path / "m.zarr")  # chunk by chunk, 1,200 parcels each
        again = read_block_model(folder, chunks="auto")
        assert again.is_lazy and again.chunks == (1200, 1020)
        assert again.arrays["treo_sim_pct"].chunks == ((3,), (1200, 1020))
        assert_same_model(again.compute(), assessed)
        assert again.compute().attrs == plain(assessed.attrs)
        assert_same_model(read_block_model(folder, chunks=1000).compute(), assessed)


def test_lazy_parquet_parts_read_alone(tmp_path):
    dask = pytest.importorskip("dask")
    deposit = Deposit("D", [Zone("A", box(0, 0, 100, 60), 40, 0, 2.5),
                            Zone("B", box(100, 0, 160, 60), 40, 10, 2.7)], crs=32643)
    grid = BlockGrid.covering(deposit, (10, 10, 5))
    # "sync": coding the zones' slabs in threads can crash (shapely geometries shared
    # between threads); the files written do not depend on the scheduler.
    with dask.config.set(scheduler="sync"):
        lazy = BlockModel.from_deposit(deposit, grid, chunks=2 * 16 * 6)
        lazy = lazy.with_arrays(cu_pct=lazy.proportion * 2.0)
        eager = lazy.compute()
        folder = lazy.to_parquet(tmp_path / "m")
    assert_same_model(read_block_model(folder), eager)
    parts = sorted(folder.glob("part.*.parquet"))
    assert len(parts) == 4
    with pytest.warns(UserWarning, match=r"part 2 of 4 of a block model: .* only its"):
        second = read_block_model(folder / "part.1.parquet")
    first_rows = pd.read_parquet(parts[0]).shape[0]
    rows = slice(first_rows, first_rows + second.n_parcels)
    np.testing.assert_array_equal(second.block_index, eager.block_index[rows])
    np.testing.assert_array_equal(second.arrays["cu_pct"], eager.arrays["cu_pct"][rows])


# ------------------------------------------------------------------------- bad input


def test_paths_that_are_not_models_are_named(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    pd.DataFrame({"a": [1.0]}).to_parquet(tmp_path / "plain.parquet")
    import zarr

    zarr.open_group(str(tmp_path / "other.zarr"), mode="w").attrs["x"] = 1
    cases = [("missing", "does not exist"), ("empty", "holds neither"),
             ("notes.txt", "not a Parquet file"), ("plain.parquet", "without raremin metadata"),
             ("other.zarr", "not a block model written by BlockModel.to_zarr")]
    for name, why in cases:
        with pytest.raises(InputError, match=rf"'{tmp_path / name}'.*{why}"):
            read_block_model(tmp_path / name)


@pytest.mark.parametrize("chunks", [0, -5, "files", 1.5, True])
def test_bad_chunks(tmp_path, chunks):
    folder = _shared_model().to_parquet(tmp_path / "m")
    with pytest.raises(InputError, match="chunks must be None .* 'auto'"):
        read_block_model(folder, chunks=chunks)


def test_to_xarray_refuses_names_it_makes_and_needs_xarray(monkeypatch):
    pytest.importorskip("xarray")
    model = _shared_model()
    with pytest.raises(InputError, match=r"array\(s\) \['tonnage_t'\] are named like"):
        model.with_arrays(tonnage_t=np.ones(model.n_parcels)).to_xarray()
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(RareminError, match=r"needs xarray.*raremin\[xarray\]"):
        model.to_xarray()
