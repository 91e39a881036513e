"""Tests of raremin.estimation: zone assignment and block estimation with hard boundaries."""

from __future__ import annotations

import logging
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box, points

from raremin.deposit import Deposit, Zone
from raremin.errors import CRSError, InputError
from raremin.estimation import assign_zones, estimate
from raremin.geostats.idw import InverseDistance, NearestSample
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood
from raremin.grid import BlockGrid, BlockModel

GRADES = {"A": {"nd_ppm": 300.0, "pr_ppm": 80.0}, "B": {"nd_ppm": 700.0, "pr_ppm": 150.0}}


@pytest.fixture()
def deposit() -> Deposit:
    zones = [
        Zone("A", box(0, 0, 100, 100), top_m=50, bottom_m=0, density_t_m3=2.6),
        Zone("B", box(100, 0, 200, 100), top_m=50, bottom_m=0, density_t_m3=2.7),
    ]
    return Deposit("Two zones", zones, crs="EPSG:32643")


@pytest.fixture()
def model(deposit) -> BlockModel:
    return BlockModel.from_deposit(deposit, BlockGrid.covering(deposit, (25, 25, 25)))


def make_samples(per_zone: int = 10, outside: int = 0, seed: int = 0) -> pd.DataFrame:
    """Samples with a constant grade per zone, plus samples beyond both zones."""
    rng = np.random.default_rng(seed)
    frames = []
    for name, x0 in (("A", 0.0), ("B", 100.0)):
        frames.append(
            pd.DataFrame(
                {
                    "hole_id": [f"{name}{i:02d}" for i in range(per_zone)],
                    "easting_m": rng.uniform(x0 + 1, x0 + 99, per_zone),
                    "northing_m": rng.uniform(1, 99, per_zone),
                    "elevation_m": rng.uniform(1, 49, per_zone),
                    **{k: np.full(per_zone, v) for k, v in GRADES[name].items()},
                }
            )
        )
    if outside:
        frames.append(
            pd.DataFrame(
                {
                    "hole_id": [f"X{i:02d}" for i in range(outside)],
                    "easting_m": rng.uniform(300, 400, outside),
                    "northing_m": rng.uniform(0, 100, outside),
                    "elevation_m": rng.uniform(0, 50, outside),
                    "nd_ppm": np.full(outside, 5000.0),
                    "pr_ppm": np.full(outside, 900.0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture()
def samples(deposit) -> pd.DataFrame:
    frame = make_samples()
    frame["zone"] = assign_zones(frame, deposit)
    return frame


# ------------------------------------------------------------------------ assign_zones


def test_assign_zones_inside_outside_boundary_and_vertical_limits(deposit) -> None:
    pts = pd.DataFrame(
        {
            "easting_m": [50, 150, 100, 0, 50, 50, 50, 50, 250, 50],
            "northing_m": [50, 50, 50, 50, 100, 50, 50, 50, 50, -0.001],
            "elevation_m": [10, 10, 10, 10, 10, 50, 0, 50.001, 10, 10],
        },
        index=list("abcdefghij"),
    )
    zones = assign_zones(pts, deposit)
    assert zones.index.tolist() == list("abcdefghij") and zones.name == "zone"
    # a, b inside; c on the shared edge goes to the first zone; d, e on outer edges;
    # f at the top, g at the bottom; h above the top; i beyond; j just south
    assert zones.tolist() == ["A", "B", "A", "A", "A", "A", "A", "", "", ""]


def test_assign_zones_plan_only_and_errors(deposit) -> None:
    pts = pd.DataFrame({"x": [50.0, 150.0, 500.0], "y": [50.0, 50.0, 50.0]})
    assert assign_zones(pts, deposit, coords=("x", "y")).tolist() == ["A", "B", ""]
    with pytest.raises(InputError, match=r"lack coordinate column\(s\) \['elevation_m'\]"):
        assign_zones(pd.DataFrame({"easting_m": [1.0], "northing_m": [1.0]}), deposit)
    with pytest.raises(InputError, match="missing or infinite coordinates"):
        assign_zones(pts.assign(y=[1.0, np.nan, 2.0]), deposit, coords=("x", "y"))


def test_assign_zones_checks_geodataframe_crs(deposit) -> None:
    frame = make_samples(per_zone=2)
    geo = gpd.GeoDataFrame(
        frame, geometry=points(frame[["easting_m", "northing_m"]].to_numpy()), crs=4326
    )
    with pytest.raises(CRSError, match="CRS mismatch"):
        assign_zones(geo, deposit)
    assert assign_zones(geo.set_crs(32643, allow_override=True), deposit).tolist() == [
        "A", "A", "B", "B",
    ]


# ---------------------------------------------------------------------------- estimate


@pytest.mark.parametrize(
    "estimator",
    [InverseDistance(), InverseDistance(power=1, neighbourhood=Neighbourhood(max_samples=4)),
     NearestSample()],
)
def test_hard_boundaries_use_only_each_zones_samples(model, samples, estimator) -> None:
    out = estimate(model, samples, estimator)
    assert isinstance(out, BlockModel) and out is not model
    for zone, grades in GRADES.items():
        mask = out.zone_mask(zone)
        for column, value in grades.items():
            np.testing.assert_allclose(out.arrays[column][mask], value, rtol=1e-13)
    assert out.arrays["nd_ppm"].dtype == np.float64
    assert out.arrays["n_samples"].dtype.kind == "i"
    assert set(out.arrays) == {"density_t_m3", "nd_ppm", "pr_ppm", "n_samples", "mean_distance_m",
                               "nearest_distance_m"}
    assert "nd_ppm" not in model.arrays  # the input model is unchanged
    assert not hasattr(estimator, "search_")  # the estimator is cloned, not fitted


def test_estimate_equals_a_direct_fit_per_zone(model, samples) -> None:
    rng = np.random.default_rng(9)
    samples = samples.assign(nd_ppm=rng.lognormal(6, 0.5, len(samples)))
    idw = InverseDistance(neighbourhood=Neighbourhood(max_samples=5))
    out = estimate(model, samples, idw, grades=["nd_ppm"])
    centres = model.centres()
    xyz = samples[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    for zone in ("A", "B"):
        mask = model.zone_mask(zone)
        used = (samples["zone"] == zone).to_numpy()
        direct, diag = idw.clone().fit(xyz[used], samples["nd_ppm"][used]).predict(
            centres[mask], return_diagnostics=True
        )
        np.testing.assert_array_equal(out.arrays["nd_ppm"][mask], direct)
        np.testing.assert_array_equal(out.arrays["n_samples"][mask], diag["n_samples"])
        np.testing.assert_array_equal(out.arrays["mean_distance_m"][mask],
                                      diag["mean_distance_m"])
    assert "pr_ppm" not in out.arrays


def test_kriging_estimator_fills_every_diagnostic(model, samples) -> None:
    rng = np.random.default_rng(4)
    samples = samples.assign(nd_ppm=rng.lognormal(6, 0.5, len(samples)))
    variogram = VariogramModel(100.0, [Structure("spherical", 900.0, (150.0, 150.0, 60.0))])
    kriging = Kriging(variogram, Neighbourhood(max_samples=6))
    out = estimate(model, samples, kriging, grades=["nd_ppm"])
    diagnostics = {"variance", "slope", "efficiency", "lagrange", "n_samples",
                   "mean_distance_m", "nearest_distance_m"}
    assert set(out.arrays) == {"density_t_m3", "nd_ppm"} | diagnostics
    centres = model.centres()
    xyz = samples[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    for zone in ("A", "B"):
        mask = model.zone_mask(zone)
        used = (samples["zone"] == zone).to_numpy()
        direct, diag = kriging.clone().fit(xyz[used], samples["nd_ppm"][used]).predict(
            centres[mask], return_diagnostics=True
        )
        np.testing.assert_array_equal(out.arrays["nd_ppm"][mask], direct)
        for key in diagnostics:
            np.testing.assert_array_equal(out.arrays[key][mask], diag[key])
    variance = out.arrays["variance"]
    assert variance.dtype == np.float64 and np.all((variance > 0) & (variance < 1000.0))
    assert np.all(out.arrays["efficiency"] < 1) and np.all(out.arrays["slope"] > 0)


def test_domains_false_uses_every_sample(model, samples) -> None:
    out = estimate(model, samples.drop(columns="zone"), InverseDistance(), domains=False)
    a = out.zone_mask("A")
    values = out.arrays["nd_ppm"]
    assert np.all((values[a] > 300) & (values[a] < 700))  # B's samples now count in A
    xyz = samples[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    direct = InverseDistance().fit(xyz, samples[["nd_ppm", "pr_ppm"]]).predict(model.centres())
    np.testing.assert_array_equal(values, direct[:, 0])
    np.testing.assert_array_equal(out.arrays["pr_ppm"], direct[:, 1])


def test_zone_without_samples_raises(model, samples) -> None:
    only_a = samples[samples["zone"] == "A"]
    with pytest.raises(InputError, match=r"\['B'\] have no samples.*A: 10, B: 0"):
        estimate(model, only_a, InverseDistance())


def test_samples_outside_the_zones_warn_and_are_not_used(model, deposit, caplog) -> None:
    frame = make_samples(outside=3)
    frame["zone"] = assign_zones(frame, deposit)
    with caplog.at_level(logging.INFO, logger="raremin.estimation"):
        with pytest.warns(UserWarning, match=r"3 of 23 samples.*holes X00, X01, X02") as rec:
            out = estimate(model, frame, InverseDistance())
    assert rec[0].filename == __file__  # stacklevel points at the caller
    assert any("3 of 23" in r.getMessage() for r in caplog.records)
    assert np.nanmax(out.arrays["nd_ppm"]) == pytest.approx(700.0)  # 5000s not used


def test_no_warning_when_every_sample_is_used(model, samples) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimate(model, samples, NearestSample())


def test_not_estimated_parcels_are_nan(model, samples) -> None:
    out = estimate(model, samples, NearestSample(radius=15.0))
    nd = out.arrays["nd_ppm"]
    missing = np.isnan(nd)
    assert missing.any() and (~missing).any()
    np.testing.assert_array_equal(out.arrays["n_samples"][missing], 0)
    assert np.isnan(out.arrays["mean_distance_m"][missing]).all()


def test_grade_column_errors(model, samples) -> None:
    with pytest.raises(InputError, match=r"\['dy_ppm'\] not in the samples; columns present"):
        estimate(model, samples, InverseDistance(), grades=["nd_ppm", "dy_ppm"])
    with pytest.raises(InputError, match="no grade column found"):
        estimate(model, samples.drop(columns=["nd_ppm", "pr_ppm"]), InverseDistance())


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("nd_ppm", -99.0, r"grade nd_ppm = -99 is negative at sample row 4 \(index 4\), "
                          r"hole 'A04'.*below-detection codes"),
        ("pr_ppm", 2e6, r"grade pr_ppm = 2e\+06 is over 100 % \(1e\+06 ppm\) at sample row 4"),
        ("nd_ppm", np.inf, "is infinite at sample row 4"),
        ("nd_ppm", "<5", r"grade nd_ppm holds text '<5' at sample row 4.*clean_assays"),
    ],
)
def test_bad_sample_grades_name_the_sample(model, samples, column, value, match) -> None:
    bad = samples.astype({column: object}) if isinstance(value, str) else samples.copy()
    bad.loc[4, column] = value
    with pytest.raises(InputError, match=match):
        estimate(model, bad, InverseDistance())


def test_heterotopic_grades_use_the_samples_where_each_was_assayed(model, samples) -> None:
    rng = np.random.default_rng(3)
    samples = samples.assign(nd_ppm=rng.lognormal(6, 0.5, len(samples)),
                             pr_ppm=rng.lognormal(4, 0.5, len(samples)))
    assayed = np.ones(len(samples), dtype=bool)
    assayed[[1, 4, 12, 15]] = False  # Pr missing on four samples, Nd kept there
    holed = samples.assign(pr_ppm=samples["pr_ppm"].where(assayed))
    idw = InverseDistance(neighbourhood=Neighbourhood(max_samples=4))
    out = estimate(model, holed, idw)
    full = estimate(model, samples, idw)
    # Nd alone or beside Pr: the same weights (to rounding of the weighted sums).
    np.testing.assert_allclose(out.arrays["nd_ppm"], full.arrays["nd_ppm"], rtol=1e-12)
    xyz = samples[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    for zone in ("A", "B"):
        mask = model.zone_mask(zone)
        rows = ((samples["zone"] == zone).to_numpy()) & assayed
        direct = idw.clone().fit(xyz[rows], samples["pr_ppm"][rows]).predict(
            model.centres()[mask])
        np.testing.assert_array_equal(out.arrays["pr_ppm"][mask], direct)
    assert out.attrs["samples_per_grade"] == {"nd_ppm": {"A": 10, "B": 10},
                                              "pr_ppm": {"A": 8, "B": 8}}
    # A grade with no sample in one zone is not estimated there, with a warning.
    only_a = samples.assign(pr_ppm=samples["pr_ppm"].where(samples["zone"] == "A"))
    with pytest.warns(UserWarning, match=r"pr_ppm: 0 sample\(s\) in zone 'B'"):
        out = estimate(model, only_a, idw)
    assert np.isnan(out.arrays["pr_ppm"][model.zone_mask("B")]).all()
    assert np.isfinite(out.arrays["nd_ppm"]).all()


def _screened_line():
    """Three samples on a line and a Gaussian model: kriging beyond them screens the middle."""
    dep = Deposit("D", [Zone("A", box(0, 0, 40, 10), 10, 0, 2.5)], crs=32643)
    model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, 10))
    samples = pd.DataFrame({"easting_m": [1.0, 3.0, 5.0], "northing_m": [5.0] * 3,
                            "elevation_m": [5.0] * 3, "zone": "A",
                            "cu_pct": [0.0, 1.0, 0.0], "hole_id": ["a", "b", "c"]})
    kriging = Kriging(VariogramModel(0.01, [Structure("gaussian", 1.0, 20.0)]))
    return model, samples, kriging


def test_negative_kriging_estimates_are_counted_and_set_to_zero_by_default() -> None:
    model, samples, kriging = _screened_line()
    xyz = samples[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    direct = kriging.clone().fit(xyz, samples["cu_pct"]).predict(model.centres())
    n_negative = int((direct < 0).sum())
    assert n_negative >= 1
    with pytest.warns(UserWarning, match=rf"{n_negative} negative estimate\(s\) set to zero "
                                         rf"\(cu_pct: {n_negative}\)"):
        out = estimate(model, samples, kriging)
    assert out.attrs["negative_estimates"] == {"cu_pct": n_negative}
    np.testing.assert_array_equal(out.arrays["cu_pct"], np.where(direct < 0, 0.0, direct))
    kept = estimate(model, samples, kriging, negative="keep")
    np.testing.assert_array_equal(kept.arrays["cu_pct"], direct)
    with pytest.raises(InputError, match=r"cu_pct = -\S+ at the block centred on \("):
        estimate(model, samples, kriging, negative="error")
    with pytest.raises(InputError, match="negative must be one of"):
        estimate(model, samples, kriging, negative="clip")


def test_max_per_hole_works_through_estimate(model, samples) -> None:
    rng = np.random.default_rng(5)
    frame = samples.assign(nd_ppm=rng.lognormal(6, 0.5, len(samples)))
    frame["hole_id"] = np.repeat(["h1", "h2", "h3", "h4", "h5"], 4)
    variogram = VariogramModel(0.1, [Structure("spherical", 0.9, 200.0)])
    kriging = Kriging(variogram, Neighbourhood(max_samples=6), max_per_hole=2)
    out = estimate(model, frame, kriging, grades=["nd_ppm"])
    xyz = frame[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    for zone in ("A", "B"):
        mask = model.zone_mask(zone)
        used = (frame["zone"] == zone).to_numpy()
        direct = kriging.clone().fit(xyz[used], frame["nd_ppm"][used],
                                     holes=frame["hole_id"][used]).predict(model.centres()[mask])
        np.testing.assert_array_equal(out.arrays["nd_ppm"][mask], direct)
    assert out.arrays["n_samples"].max() <= 6
    with pytest.raises(InputError, match="needs the hole id of every sample"):
        estimate(model, frame, kriging, grades=["nd_ppm"], hole_column=None)


def test_missing_zone_column_tells_to_assign_zones(model, samples) -> None:
    with pytest.raises(InputError, match=r"assign_zones\(samples, deposit\)"):
        estimate(model, samples.drop(columns="zone"), InverseDistance())
    with pytest.raises(InputError, match="must have clone"):
        estimate(model, samples, object())


def test_crs_mismatch_raises(model, samples) -> None:
    geo = gpd.GeoDataFrame(
        samples, geometry=points(samples[["easting_m", "northing_m"]].to_numpy()), crs=4326
    )
    with pytest.raises(CRSError, match="CRS mismatch"):
        estimate(model, geo, InverseDistance())
    with pytest.raises(CRSError, match="CRS mismatch"):
        estimate(model, samples, InverseDistance(), crs="EPSG:32644")
    same = geo.set_crs(32643, allow_override=True)
    out = estimate(model, same, NearestSample())
    assert np.isfinite(out.arrays["nd_ppm"]).all()


def test_a_mapping_gives_each_zone_its_own_estimator():
    dep = Deposit("D", [Zone("A", box(0, 0, 20, 10), 10, 0, 2.5),
                        Zone("B", box(100, 0, 120, 10), 10, 0, 2.5)], crs=32643)
    model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, 10))
    samples = pd.DataFrame({
        "easting_m": [1.0, 19.0, 101.0, 119.0], "northing_m": [5.0] * 4,
        "elevation_m": [5.0] * 4, "zone": ["A", "A", "B", "B"],
        "la_ppm": [100.0, 300.0, 500.0, 700.0]})
    out = estimate(model, samples, {"A": NearestSample(), "B": InverseDistance(power=0.0)})
    a, b = model.zone_mask("A"), model.zone_mask("B")
    assert sorted(out.arrays["la_ppm"][a].tolist()) == [100.0, 300.0]
    np.testing.assert_allclose(out.arrays["la_ppm"][b], 600.0)
    with pytest.raises(InputError, match=r"no estimator for zone\(s\) \['B'\]"):
        estimate(model, samples, {"A": NearestSample()})


# ------------------------------------------------------------------ one predict per chunk


def test_estimating_chunk_by_chunk_gives_the_whole_models_estimates(model, samples):
    """The chunk function a lazy model maps over its chunks, run here on slices."""
    from raremin.estimation import _Fit, _Plan, _predict_chunk

    kriging = Kriging(VariogramModel(0.05, [Structure("spherical", 0.95, 150.0)]))
    whole = estimate(model, samples, kriging)
    fitted = {z: kriging.clone().fit(
        samples.loc[samples["zone"] == z, ["easting_m", "northing_m", "elevation_m"]],
        samples.loc[samples["zone"] == z, ["nd_ppm", "pr_ppm"]]) for z in model.zone_names}
    fits = tuple(_Fit(k, np.array([0, 1]), fitted[z]) for k, z in enumerate(model.zone_names))
    plan = _Plan(fits, model.grid, ("nd_ppm", "pr_ppm"), None, "zero", model.zone_names)
    cuts = [0, 5, 6, 17, model.n_parcels]
    parts = [_predict_chunk(plan, model.block_index[a:b], model.zone_code[a:b])
             for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    out = np.concatenate([p[0] for p in parts])
    np.testing.assert_allclose(out[:, 0], whole.arrays["nd_ppm"], rtol=1e-12)
    np.testing.assert_allclose(out[:, 1], whole.arrays["pr_ppm"], rtol=1e-12)
    for key in ("n_samples", "variance", "lagrange"):
        joined = np.concatenate([p[1][key] for p in parts])
        assert joined.dtype == whole.arrays[key].dtype
        np.testing.assert_allclose(joined, whole.arrays[key], rtol=1e-12)


class _Public:
    """A minimal estimator with a public min_samples (the documented contract)."""

    min_samples = 4

    def clone(self):
        return _Public()

    def fit(self, coords, values, *, holes=None):
        self.value_ = np.asarray(values).mean(axis=0)
        return self

    def predict(self, coords, *, return_diagnostics=False):
        est = np.tile(self.value_, (len(coords), 1))
        diag = {"n_samples": np.full(len(coords), 3)}
        return (est, diag) if return_diagnostics else est


def test_an_estimators_public_min_samples_is_used(model, samples):
    from raremin.estimation import _min_samples

    assert _min_samples(_Public()) == 4
    assert _min_samples(InverseDistance(neighbourhood=Neighbourhood(min_samples=3))) == 3
    assert _min_samples(InverseDistance()) == 1
    few = samples.assign(pr_ppm=samples["pr_ppm"].where(samples.index % 4 == 0))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = estimate(model, few, _Public())
    assert sorted(str(w.message).split(",")[0] for w in seen) == [
        "pr_ppm: 2 sample(s) in zone 'B'", "pr_ppm: 3 sample(s) in zone 'A'"]
    assert np.isnan(out.arrays["pr_ppm"]).all()
    np.testing.assert_allclose(out.arrays["nd_ppm"][model.zone_mask("B")], 700.0)
