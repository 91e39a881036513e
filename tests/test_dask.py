"""Block models, estimation and grade-tonnage tables on Dask (lazy models).

Every lazy result is compared with the in-memory one. Most tests run on a two-worker
``distributed.LocalCluster`` (separate processes, so tasks and the objects they share
really are pickled); a few run on the threaded scheduler, where warnings raised in tasks
reach the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from shapely import box

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pytest.importorskip("pyarrow")
pytest.importorskip("zarr")

from raremin.deposit import Deposit, Zone  # noqa: E402
from raremin.domains import Solid, Surface  # noqa: E402
from raremin.errors import GeometryError, InputError  # noqa: E402
from raremin.estimation import assign_zones, estimate  # noqa: E402
from raremin.geostats import InverseDistance, Kriging  # noqa: E402
from raremin.geostats.models import Structure, VariogramModel  # noqa: E402
from raremin.geostats.neighbourhood import Neighbourhood  # noqa: E402
from raremin.grid import BlockGrid, BlockModel  # noqa: E402
from raremin.tonnage import grade_tonnage  # noqa: E402

CRS = "EPSG:32643"


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes; closed after the module."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def assert_models_identical(lazy: BlockModel, eager: BlockModel) -> None:
    """Same zones and grid, and every part bit for bit (and dtype) equal."""
    assert lazy.zone_names == eager.zone_names and lazy.grid.shape == eager.grid.shape
    parts = [("block_index", lazy.block_index, eager.block_index),
             ("zone_code", lazy.zone_code, eager.zone_code),
             ("proportion", lazy.proportion, eager.proportion)]
    assert sorted(lazy.arrays) == sorted(eager.arrays)
    parts += [(k, lazy.arrays[k], eager.arrays[k]) for k in eager.arrays]
    for name, a, b in parts:
        assert isinstance(a, np.ndarray), name
        assert a.dtype == b.dtype, (name, a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b, err_msg=name)


def assert_arrays_close(lazy: BlockModel, eager: BlockModel, rtol: float = 1e-12) -> None:
    assert sorted(lazy.arrays) == sorted(eager.arrays)
    for key, b in eager.arrays.items():
        a = lazy.arrays[key]
        assert a.dtype == b.dtype, (key, a.dtype, b.dtype)
        np.testing.assert_array_equal(np.isnan(a) if a.dtype.kind == "f" else 0,
                                      np.isnan(b) if b.dtype.kind == "f" else 0, err_msg=key)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0, equal_nan=True, err_msg=key)


# ------------------------------------------------------------------------------ zones


def _sloping(z0: float, slope: float) -> Surface:
    x = np.arange(0.0, 401.0, 20.0)
    return Surface.from_grid(0.0, 0.0, 20.0, 20.0, z0 + slope * x[None, :] + 0.0 * x[:6, None])


def _dipping_box() -> Solid:
    """A 200 x 60 x 20 m box dipping 30 degrees, inside the grid."""
    lo, hi = np.array([-100.0, -30.0, -10.0]), np.array([100.0, 30.0, 10.0])
    corners = np.array([[x, y, z] for z in (lo[2], hi[2]) for y in (lo[1], hi[1])
                        for x in (lo[0], hi[0])])
    corners = corners[[0, 1, 3, 2, 4, 5, 7, 6]]
    a = np.radians(30.0)
    tilt = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    faces = [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
             [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
    return Solid.from_arrays(corners @ tilt.T + [200.0, 50.0, 60.0], faces, name="lode")


def _deposit(kind: str) -> tuple[Deposit, BlockGrid]:
    grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 5.0), (40, 10, 24), crs=CRS)
    if kind == "prism":
        zones = [Zone("A", box(3, 3, 197, 97), 100, 10, 2.6),
                 Zone("B", box(197, 3, 397, 97), 97.5, 2, 2.7)]
        return Deposit("prisms", zones, crs=CRS), grid
    if kind == "prism-topography":
        zones = [Zone("A", box(3, 3, 397, 97), 110, 10, 2.6)]
        return Deposit("under topography", zones, crs=CRS, topography=_sloping(80.0, 0.05)), grid
    if kind == "solid":
        return Deposit("solid", [Zone.from_mesh("lode", _dipping_box(), 2.8)], crs=CRS), grid
    layer = Zone.between_surfaces("L", _sloping(20.0, 0.1), _sloping(45.0, 0.05), 2.4,
                                  footprint=box(10, 10, 390, 90))
    return Deposit("layer", [layer, Zone("cap", box(10, 10, 390, 90), 118, 100, 2.2)],
                   crs=CRS), grid


# ------------------------------------------------------------------------- building


def assert_models_equal_to_rounding(lazy: BlockModel, eager: BlockModel) -> None:
    """The same parcels; proportions within a few units of rounding."""
    np.testing.assert_array_equal(lazy.block_index, eager.block_index)
    np.testing.assert_array_equal(lazy.zone_code, eager.zone_code)
    np.testing.assert_allclose(lazy.proportion, eager.proportion, rtol=1e-13, atol=0)
    assert lazy.proportion.dtype == eager.proportion.dtype


@pytest.mark.parametrize(
    ("kind", "chunks"),
    [("prism", 1200), ("solid", 1200), ("prism-topography", 1200), ("layer", 1200),
     # Rows of one level: half a level per chunk.
     ("prism", 200), ("solid", 200), ("layer", 200)],
)
def test_lazy_from_deposit_equals_the_in_memory_model(client, kind, chunks):
    deposit, grid = _deposit(kind)
    eager = BlockModel.from_deposit(deposit, grid)
    lazy = BlockModel.from_deposit(deposit, grid, chunks=chunks)
    assert lazy.is_lazy and np.isnan(lazy.chunks).all()
    assert len(lazy.chunks) == (8 if chunks == 1200 else 48)  # 3 levels, or 5 rows, each
    computed = lazy.compute()
    assert not computed.is_lazy
    if kind in ("prism", "solid"):
        # Prisms: the whole grid's columns and levels; solids (exact method): levels at
        # exact elevations here. Both bit for bit.
        assert_models_identical(computed, eager)
    else:
        # Vertical rays measured from each slab's own bottom level: equal to rounding.
        assert_models_equal_to_rounding(computed, eager)


def test_with_known_chunks_is_a_pass_over_the_geometry(client):
    deposit, grid = _deposit("prism")
    eager = BlockModel.from_deposit(deposit, grid)
    lazy = BlockModel.from_deposit(deposit, grid, chunks=1200)
    known = lazy.with_known_chunks()
    assert 0 in known.chunks and sum(known.chunks) == known.n_parcels == eager.n_parcels
    assert known.block_index.name == lazy.block_index.name  # the same graph
    assert_models_identical(known.compute(), eager)


def test_coding_windows_of_bodies_raises_no_beyond_the_grid_warning():
    deposit, grid = _deposit("solid")
    with dask.config.set(scheduler="threads"), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        BlockModel.from_deposit(deposit, grid, chunks=400).compute()
    assert not [w for w in seen if "beyond" in str(w.message)]
    tall = BlockGrid((0.0, 0.0, 40.0), (10.0, 10.0, 5.0), (40, 10, 4), crs=CRS)
    with pytest.warns(UserWarning, match="'lode' extends beyond the block grid"):
        BlockModel.from_deposit(deposit, tall, chunks=400)


def test_lazy_building_checks_what_it_can_without_computing():
    deposit, grid = _deposit("prism")
    far = BlockGrid((5000.0, 0.0, 0.0), 10.0, (4, 4, 4), crs=CRS)
    with pytest.raises(GeometryError, match="'A' does not overlap the block grid"):
        BlockModel.from_deposit(deposit, far, chunks=10)
    with pytest.raises(InputError, match="chunks must be a number of blocks >= 1; got 0"):
        BlockModel.from_deposit(deposit, grid, chunks=0)
    with pytest.raises(InputError, match="more than max_blocks=100 per chunk"):
        BlockModel.from_deposit(deposit, grid, chunks=1000, max_blocks=100)
    lazy = BlockModel.from_deposit(deposit, grid, chunks=1200)
    with pytest.raises(InputError, match=r"n_parcels of a lazy block model .* "
                                         r"model.with_known_chunks\(\)"):
        _ = lazy.n_parcels
    with pytest.raises(InputError, match=r"to_dataframe\(\) of a lazy block model"):
        lazy.to_dataframe()
    with pytest.raises(InputError, match="cannot be split like them"):
        lazy.with_arrays(extra=np.ones(3))
    assert "lazy (Dask): 8 chunk(s) of unknown sizes" in lazy._repr_html_()


def test_overlapping_zones_raise_from_the_chunk_task(client):
    zones = [Zone("A", box(0, 0, 200, 100), 50, 0, 2.6),
             Zone("B", box(150, 0, 300, 100), 50, 0, 2.6)]
    grid = BlockGrid((0.0, 0.0, 0.0), 10.0, (30, 10, 5))
    lazy = BlockModel.from_deposit(zones, grid, chunks=300)
    with pytest.raises(GeometryError,
                       match=r"zones \['A', 'B'\] overlap: .* block \d+ \(centre 155.0, "):
        lazy.compute()


def test_lazy_model_parts_stay_lazy_and_agree(client):
    deposit, grid = _deposit("prism")
    eager = BlockModel.from_deposit(deposit, grid)
    lazy = BlockModel.from_deposit(deposit, grid, chunks=1200)
    for method in ("centres", "volume_m3", "tonnage_t"):
        value = getattr(lazy, method)()
        assert isinstance(value, da.Array)
        np.testing.assert_array_equal(value.compute(), getattr(eager, method)())
    mask = lazy.zone_mask("B")
    assert isinstance(mask, da.Array)
    np.testing.assert_array_equal(mask.compute(), eager.zone_mask("B"))
    pd.testing.assert_frame_equal(lazy.summary(), eager.summary(), check_exact=False,
                                  rtol=1e-12)
    known = lazy.with_known_chunks()
    realisations = np.arange(3 * known.n_parcels, dtype=float).reshape(3, -1)
    both = known.with_arrays(sim=realisations, twice=known.proportion * 2)
    assert both.arrays["sim"].chunks[1] == known.chunks
    np.testing.assert_array_equal(both.compute().arrays["sim"], realisations)
    with pytest.raises(InputError, match="chunked alike"):
        known.with_arrays(bad=da.zeros(known.n_parcels, chunks=100))
    persisted = lazy.persist()
    assert persisted.is_lazy and sum(persisted.chunks) == eager.n_parcels


# ------------------------------------------------------------------------ estimation


def _samples(deposit: Deposit, rng: np.random.Generator, n: int = 400) -> pd.DataFrame:
    x = rng.uniform(0, 400, n)
    frame = pd.DataFrame({"easting_m": x, "northing_m": rng.uniform(0, 100, n),
                          "elevation_m": rng.uniform(0, 120, n)})
    frame["hole_id"] = [f"H{i // 8:03d}" for i in range(n)]
    frame["cu_pct"] = 0.2 + 0.001 * x + rng.lognormal(-2.0, 0.5, n)
    # Heterotopic: gold assayed on a third of the samples, lanthanum on another set.
    frame["au_ppm"] = np.where(rng.random(n) < 0.33, rng.lognormal(0.0, 0.4, n), np.nan)
    frame["la_ppm"] = np.where(rng.random(n) < 0.6, rng.lognormal(4.0, 0.3, n), np.nan)
    frame["zone"] = assign_zones(frame, deposit)
    return frame[frame["zone"] != ""].reset_index(drop=True)


ESTIMATORS = {
    "idw": InverseDistance(power=2.0, neighbourhood=Neighbourhood(max_samples=12, radius=80.0,
                                                                  min_samples=2)),
    "kriging": Kriging(VariogramModel(0.05, [Structure("spherical", 0.95, 120.0)]),
                       Neighbourhood(max_samples=16, radius=150.0, min_samples=3)),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_lazy_estimate_equals_the_in_memory_estimate(client, rng, name):
    deposit, grid = _deposit("prism")
    samples = _samples(deposit, rng)
    eager = estimate(BlockModel.from_deposit(deposit, grid), samples, ESTIMATORS[name])
    lazy = estimate(BlockModel.from_deposit(deposit, grid, chunks=1200), samples,
                    ESTIMATORS[name])
    assert lazy.is_lazy and all(isinstance(v, da.Array) for v in lazy.arrays.values())
    computed = lazy.compute()
    assert_arrays_close(computed, eager)
    assert np.isfinite(eager.arrays["cu_pct"]).mean() > 0.99
    if name == "idw":
        assert np.isnan(eager.arrays["au_ppm"]).any()  # fewer gold samples: gaps
    else:
        assert {"variance", "slope", "efficiency", "lagrange"} <= set(eager.arrays)
    assert computed.attrs == eager.attrs
    # Hard boundaries: zone B's parcels are estimated from zone B's samples only.
    b_only = estimate(BlockModel.from_deposit(deposit, grid, chunks=1200),
                      samples[samples["zone"] == "B"], ESTIMATORS[name], domains=False)
    in_b = eager.zone_mask("B")
    b_values = b_only.arrays["cu_pct"].compute()[in_b]
    np.testing.assert_allclose(b_values, eager.arrays["cu_pct"][in_b], rtol=1e-12)


def test_one_shared_object_holds_the_fitted_estimators(client, rng):
    deposit, grid = _deposit("prism")
    samples = _samples(deposit, rng)
    lazy = estimate(BlockModel.from_deposit(deposit, grid, chunks=300), samples,
                    ESTIMATORS["idw"])
    graph = dict(lazy.arrays["cu_pct"].__dask_graph__())
    shared = [k for k in graph if isinstance(k, str) and k.startswith("raremin-shared")]
    assert len(shared) == 1
    chunk_tasks = [k for k in graph if isinstance(k, tuple) and "_predict_stacked" in k[0]]
    assert len(chunk_tasks) == len(lazy.chunks) > 1


def _screened_line():
    """Kriging beyond three samples on a line screens the middle: negative estimates."""
    dep = Deposit("D", [Zone("A", box(0, 0, 80, 10), 10, 0, 2.5)], crs=32643)
    grid = BlockGrid.covering(dep, 10)
    samples = pd.DataFrame({"easting_m": [1.0, 3.0, 5.0], "northing_m": [5.0] * 3,
                            "elevation_m": [5.0] * 3, "zone": "A",
                            "cu_pct": [0.0, 1.0, 0.0], "hole_id": ["a", "b", "c"]})
    kriging = Kriging(VariogramModel(0.01, [Structure("gaussian", 1.0, 20.0)]))
    return dep, grid, samples, kriging


def test_negative_estimates_are_counted_per_chunk_and_reported_on_compute(client):
    dep, grid, samples, kriging = _screened_line()
    with pytest.warns(UserWarning, match="negative estimate"):
        eager = estimate(BlockModel.from_deposit(dep, grid), samples, kriging)
    count = eager.attrs["negative_estimates"]["cu_pct"]
    assert count >= 2
    lazy = estimate(BlockModel.from_deposit(dep, grid, chunks=2), samples, kriging)
    assert dask.is_dask_collection(lazy.attrs["negative_estimates"])
    with pytest.warns(UserWarning, match=rf"{count} negative estimate\(s\) set to zero "):
        computed = lazy.compute()
    assert computed.attrs["negative_estimates"] == {"cu_pct": count}
    np.testing.assert_array_equal(computed.arrays["cu_pct"], eager.arrays["cu_pct"])
    kept = estimate(BlockModel.from_deposit(dep, grid, chunks=2), samples, kriging,
                    negative="keep").compute()
    assert kept.attrs["negative_estimates"] == {"cu_pct": count}
    assert (kept.arrays["cu_pct"] < 0).sum() == count
    failing = estimate(BlockModel.from_deposit(dep, grid, chunks=2), samples, kriging,
                       negative="error")
    with pytest.raises(InputError, match=r"cu_pct = -\S+ at the block centred on \("):
        failing.compute()


# ---------------------------------------------------------------------- grade-tonnage


def test_lazy_grade_tonnage_equals_the_in_memory_table(client, rng):
    deposit, grid = _deposit("prism")
    samples = _samples(deposit, rng)
    eager = estimate(BlockModel.from_deposit(deposit, grid), samples, ESTIMATORS["idw"])
    lazy = estimate(BlockModel.from_deposit(deposit, grid, chunks=1200), samples,
                    ESTIMATORS["idw"])
    cut = np.linspace(0.0, 1.0, 23)

    def table(m):
        return grade_tonnage(m.arrays["cu_pct"], m.tonnage_t(), cut, unit="pct",
                             basis="element", grade_name="cu",
                             others={"au_ppm": m.arrays["au_ppm"],
                                     "la_ppm": m.arrays["la_ppm"]},
                             groups=m.zone_code, group_names=m.zone_names)

    a, b = table(lazy), table(eager)
    for field in ("tonnage_t", "mean_grade", "contained_t", "not_estimated_t"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=1e-12,
                                   equal_nan=True, err_msg=field)
    for field in ("extra_mean", "extra_contained_t", "extra_coverage"):
        assert getattr(a, field).keys() == getattr(b, field).keys()
        for key in getattr(b, field):
            np.testing.assert_allclose(getattr(a, field)[key], getattr(b, field)[key],
                                       rtol=1e-12, equal_nan=True)
    assert "au_ppm" in b.extra_coverage
    # Realisations x blocks, chunked along blocks only after alignment.
    n = eager.n_parcels
    sims = rng.lognormal(-1.0, 0.5, (4, n))
    lazy_sims = da.from_array(sims, chunks=(2, n // 3 + 1))
    tons = eager.tonnage_t()
    lazy_table = grade_tonnage(lazy_sims, da.from_array(tons, chunks=n // 3 + 1), cut,
                               unit="pct", basis="element")
    np.testing.assert_allclose(lazy_table.tonnage_t,
                               grade_tonnage(sims, tons, cut, unit="pct",
                                             basis="element").tonnage_t, rtol=1e-12)


def test_lazy_grade_tonnage_errors_name_the_block():
    grades = np.full(100, 0.5)
    grades[57] = -1.0
    tons = np.ones(100)
    with dask.config.set(scheduler="sync"):
        with pytest.raises(InputError, match="negative value -1.0 at block 57;"):
            grade_tonnage(da.from_array(grades, chunks=30), tons, [0.1], unit="pct",
                          basis="element")
        unknown = da.from_array(grades, chunks=30)[da.from_array(tons > 0, chunks=30)]
        with pytest.raises(InputError, match="at block 27 of chunk 1"):
            grade_tonnage(unknown, 1.0, [0.1], unit="pct", basis="element")
        with pytest.raises(InputError, match=r"group codes must lie in \[0, 1\]"):
            grade_tonnage(da.from_array(np.abs(grades), chunks=30), tons, [0.1], unit="pct",
                          basis="element", groups=da.full(100, 2, chunks=30),
                          group_names=["a", "b"])
        with pytest.raises(InputError, match="chunked alike"):
            grade_tonnage(da.from_array(np.abs(grades), chunks=30),
                          da.from_array(tons, chunks=40), [0.1], unit="pct", basis="element")


# ---------------------------------------------------------------------------- files


def test_parquet_round_trip_chunk_by_chunk(client, rng, tmp_path):
    deposit, grid = _deposit("prism")
    samples = _samples(deposit, rng)
    lazy = estimate(BlockModel.from_deposit(deposit, grid, chunks=1200), samples,
                    ESTIMATORS["idw"])
    lazy = lazy.with_arrays(sims=da.stack([lazy.arrays["cu_pct"], lazy.arrays["la_ppm"]],
                                          allow_unknown_chunksizes=True))
    eager = lazy.compute()
    folder = lazy.to_parquet(tmp_path / "model")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"part.{i}.parquet" for i in range(8)] + ["raremin.json"])
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no temporary left
    meta = json.loads((folder / "raremin.json").read_text())
    assert meta["attrs"]["samples_per_grade"] == eager.attrs["samples_per_grade"]
    back = BlockModel.read_parquet(folder)
    rows = [p["rows"] for p in meta["parts"]]
    assert sum(rows) == eager.n_parcels and 0 in rows  # the bottom slab has no parcel
    assert back.is_lazy and back.chunks == tuple(r for r in rows if r)
    assert back.grid.crs == grid.crs and back.attrs == eager.attrs
    assert_models_identical(back.compute(), eager)
    assert_models_identical(BlockModel.read_parquet(folder, chunks=None), eager)
    rechunked = BlockModel.read_parquet(folder, chunks=1000)
    assert set(rechunked.chunks[:-1]) == {1000}
    assert_models_identical(rechunked.compute(), eager)
    # Plain Parquet: dask.dataframe reads the directory too.
    import dask.dataframe as dd

    frame = dd.read_parquet(str(folder / "part.*.parquet")).compute()
    assert len(frame) == eager.n_parcels and "sims_1" in frame.columns
    # The in-memory model writes the same files (one chunk).
    single = eager.to_parquet(tmp_path / "single")
    assert sorted(p.name for p in single.iterdir()) == ["part.0.parquet", "raremin.json"]
    assert_models_identical(BlockModel.read_parquet(single, chunks=None), eager)
    with pytest.raises(InputError, match="exists; pass overwrite=True"):
        eager.to_parquet(single)
    eager.to_parquet(single, overwrite=True)


def test_a_failing_write_leaves_nothing_behind(client, tmp_path):
    dep, grid, samples, kriging = _screened_line()
    failing = estimate(BlockModel.from_deposit(dep, grid, chunks=2), samples, kriging,
                       negative="error")
    with pytest.raises(InputError, match="negative estimate"):
        failing.to_parquet(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_zarr_round_trip_needs_known_chunks(client, rng, tmp_path):
    deposit, grid = _deposit("layer")
    lazy = BlockModel.from_deposit(deposit, grid, chunks=1200)
    with pytest.raises(InputError, match=r"to_zarr\(\) of a lazy block model .*"
                                         r"model.with_known_chunks\(\)"):
        lazy.to_zarr(tmp_path / "m.zarr")
    known = lazy.with_known_chunks()
    eager = known.compute()
    folder = known.to_zarr(tmp_path / "m.zarr", chunk_size=500)
    back = BlockModel.read_zarr(folder)
    assert back.is_lazy and set(back.chunks[:-1]) == {500}
    assert_models_identical(back.compute(), eager)
    assert_models_identical(BlockModel.read_zarr(folder, chunks=None), eager)
    memory = eager.to_zarr(tmp_path / "memory.zarr")
    assert_models_identical(BlockModel.read_zarr(memory, chunks=700).compute(), eager)
    with pytest.raises(InputError, match="not a block model written by BlockModel.to_zarr"):
        BlockModel.read_zarr(tmp_path)


# -------------------------------------------------------------------- optional Dask


def test_missing_dask_gives_the_install_command(monkeypatch):
    deposit, grid = _deposit("prism")
    for name in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(InputError, match=r'needs Dask, .*pip install "raremin\[dask\]"'):
        BlockModel.from_deposit(deposit, grid, chunks=100)
    model = BlockModel.from_deposit(deposit, grid)  # in memory: no Dask needed
    assert not model.is_lazy and model.n_parcels > 0


def test_in_memory_paths_never_import_dask(tmp_path):
    code = f"""
import sys, numpy as np, pandas as pd
from shapely import box
from raremin.deposit import Zone
from raremin.estimation import estimate
from raremin.geostats import InverseDistance
from raremin.grid import BlockGrid, BlockModel
from raremin.tonnage import grade_tonnage
m = BlockModel.from_deposit(Zone("A", box(0, 0, 40, 40), 20, 0, 2.5),
                            BlockGrid((0, 0, 0), 10, (4, 4, 2)))
s = pd.DataFrame({{"easting_m": [5.0, 35.0], "northing_m": [5.0, 35.0],
                   "elevation_m": [5.0, 15.0], "cu_pct": [1.0, 2.0], "zone": "A"}})
m = estimate(m, s, InverseDistance())
grade_tonnage(m.arrays["cu_pct"], m.tonnage_t(), [0.5, 1.5], unit="pct", basis="element")
m.summary(); m.compute(); m.with_known_chunks(); m.persist()
BlockModel.read_parquet(m.to_parquet(r"{tmp_path / 'p'}"), chunks=None)
BlockModel.read_zarr(m.to_zarr(r"{tmp_path / 'z'}"), chunks=None)
print("dask" in sys.modules, "distributed" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]


def test_runs_on_the_threaded_and_synchronous_schedulers(rng):
    deposit, grid = _deposit("prism")
    samples = _samples(deposit, rng, 200)
    eager = estimate(BlockModel.from_deposit(deposit, grid), samples, ESTIMATORS["idw"])
    for scheduler in ("threads", "sync"):
        with dask.config.set(scheduler=scheduler):
            lazy = estimate(BlockModel.from_deposit(deposit, grid, chunks=2400), samples,
                            ESTIMATORS["idw"])
            assert_arrays_close(lazy.compute(), eager)
