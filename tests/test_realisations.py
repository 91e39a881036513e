"""Tests of raremin.realisations: zone-by-zone simulation into block models, and its use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely import box

import raremin
from raremin.deposit import Deposit, Zone
from raremin.errors import InputError
from raremin.estimation import assign_zones
from raremin.geostats.models import Structure, VariogramModel
from raremin.grid import BlockGrid, BlockModel
from raremin.realisations import simulate
from raremin.uncertainty import P_LEVELS


@pytest.fixture
def two_zones(rng):
    dep = Deposit("D", [Zone("A", box(0, 0, 200, 200), 20, 0, 2.6),
                        Zone("B", box(200, 0, 400, 200), 20, 0, 2.5)], crs=32643)
    n = 120
    samples = pd.DataFrame({"easting_m": rng.uniform(0, 400, n),
                            "northing_m": rng.uniform(0, 200, n),
                            "elevation_m": rng.uniform(0, 20, n)})
    # zone B is richer: a hard boundary keeps its grades out of A
    samples["cu_pct"] = rng.lognormal(-1.5, 0.5, n) * np.where(samples.easting_m > 200, 3, 1)
    samples["zone"] = assign_zones(samples, dep)
    model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, (20, 20, 10)))
    return dep, samples, model


def test_realisations_per_zone_have_the_shape_and_the_zone_s_grades(two_zones) -> None:
    _, samples, model = two_zones
    sim = simulate(model, samples, "cu_pct", 6, seed=3, discretisation=(2, 2, 1))
    grades = sim.arrays["cu_pct"]
    assert grades.shape == (6, model.n_parcels) and np.isfinite(grades).all()
    for zone in ("A", "B"):
        mask = model.zone_mask(zone)
        data = samples.loc[samples.zone == zone, "cu_pct"]
        # block means stay within the zone's data range (back-transform without tails)
        assert grades[:, mask].min() >= data.min() - 1e-12
        assert grades[:, mask].max() <= data.max() + 1e-12
        # and their mean over realisations is near the zone's data mean
        assert grades[:, mask].mean() == pytest.approx(data.mean(), rel=0.25)
    report = sim.attrs["simulation"]
    assert report["n_realisations"] == 6 and set(report["zones"]) == {"A", "B"}
    assert report["zones"]["A"]["points_per_block"] == 4


def test_the_same_seed_gives_the_same_realisations(two_zones) -> None:
    _, samples, model = two_zones
    a = simulate(model, samples, "cu_pct", 3, seed=11).arrays["cu_pct"]
    b = simulate(model, samples, "cu_pct", 3, seed=11).arrays["cu_pct"]
    c = simulate(model, samples, "cu_pct", 3, seed=12).arrays["cu_pct"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_a_given_variogram_is_used(two_zones) -> None:
    _, samples, model = two_zones
    vm = VariogramModel(0.05, [Structure("spherical", 0.95, 80.0)])
    sim = simulate(model, samples, "cu_pct", 2, seed=0, variogram={"A": vm, "B": vm})
    assert sim.attrs["simulation"]["zones"]["A"]["variogram"].startswith("given")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_realisations": 0}, "n_realisations must be a whole number >= 1"),
    ({"grade": "zn_pct"}, r"samples lack the column\(s\) \['zn_pct'\]"),
    ({"discretisation": (2, 0, 1)}, "discretisation must be one whole number"),
])
def test_bad_input_is_named(two_zones, kwargs, match) -> None:
    _, samples, model = two_zones
    args = {"grade": "cu_pct", "n_realisations": 2} | kwargs
    with pytest.raises(InputError, match=match):
        simulate(model, samples, args["grade"], args["n_realisations"], seed=0,
                 **{k: v for k, v in kwargs.items() if k == "discretisation"})


def test_a_zone_without_samples_is_refused(two_zones) -> None:
    _, samples, model = two_zones
    few = samples[(samples.zone != "B") | (samples.index < samples.index[samples.zone == "B"][2])]
    with pytest.raises(InputError, match="zone 'B' has 2 sample"):
        simulate(model, few, "cu_pct", 2, seed=0)


def test_assess_reports_p90_p50_p10_by_zone() -> None:
    data = raremin.load_kuirektykol()
    deposit = raremin.Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    result = raremin.assess(deposit, data.samples, block_size=(100, 100, 20),
                            cutoffs=[0.0, 0.1, 0.15], simulate=10, seed=5)
    u = result.uncertainty
    assert set(u["zone"]) == {"Irgiz", "Dos 2", "Total"}
    wide = u.pivot_table(index=["zone", "cutoff_pct"], columns="statistic",
                         values="tonnage_t")
    assert (wide["P90"] <= wide["P50"] + 1e-6).all() and (wide["P50"] <= wide["P10"] + 1e-6).all()
    assert result.realisations.arrays["treo_pct"].shape[0] == 10
    # at zero cut-off every realisation has the zones' whole tonnage
    zero = wide.xs(0.0, level="cutoff_pct")
    total = result.model.tonnage_t().sum()
    assert zero.loc["Total", "P50"] == pytest.approx(total, rel=1e-9)
    assert any("P90 is the value with a 90 % chance" in n for n in result.notes)
    assert P_LEVELS["P90"] == 0.10


def test_realisations_stored_in_zarr_equal_the_in_memory_ones(two_zones, tmp_path) -> None:
    pytest.importorskip("dask")
    pytest.importorskip("zarr")
    from raremin.uncertainty import realisation_grade_tonnage

    _, samples, model = two_zones
    args = dict(seed=4, discretisation=(2, 2, 1), path_batch=2)
    memory = simulate(model, samples, "cu_pct", 5, **args)
    stored = simulate(model, samples, "cu_pct", 5, store=tmp_path / "cu.zarr", **args)
    assert stored.is_lazy and (tmp_path / "cu.zarr").is_dir()
    import zarr

    on_disk = zarr.open_array(str(tmp_path / "cu.zarr"), mode="r")
    assert on_disk.shape == (5, model.n_parcels) and on_disk.chunks[0] == 2  # per path batch
    np.testing.assert_array_equal(np.asarray(stored.arrays["cu_pct"]),
                                  memory.arrays["cu_pct"])
    a = realisation_grade_tonnage(memory, "cu_pct", [0.0, 0.3], unit="pct", basis="element")
    b = realisation_grade_tonnage(stored, "cu_pct", [0.0, 0.3], unit="pct", basis="element")
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    with pytest.raises(InputError, match="exists"):
        simulate(model, samples, "cu_pct", 5, store=tmp_path / "cu.zarr", **args)


def test_samples_without_the_cutoff_grade_are_counted_when_simulating() -> None:
    data = raremin.load_kuirektykol()
    deposit = raremin.Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    samples = data.samples.copy()
    samples.loc[samples.index[:10], "nd_ppm"] = np.nan  # TREO, the cut-off grade, unknown there
    result = raremin.assess(deposit, samples, block_size=(200, 200, 20), cutoffs=[0.0, 0.1],
                            simulate=2, seed=1)
    steps = result.adjustments.set_index("step")
    assert steps.loc["not simulated", "count"] == 10
