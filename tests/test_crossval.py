"""Tests of raremin.geostats.crossval: leave-one-out equals refitting without the sample."""

from __future__ import annotations

import numpy as np
import pytest

from raremin.errors import InputError
from raremin.geostats.crossval import CrossValidation, cross_validate
from raremin.geostats.idw import InverseDistance, NearestSample
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood

MODEL = VariogramModel(0.1, [Structure("spherical", 0.9, (300.0, 150.0), (30.0, 0, 0))])


def drillholes(n_holes=12, per_hole=5, seed=0):
    rng = np.random.default_rng(seed)
    collars = rng.uniform(0, 500, (n_holes, 2))
    xyz = np.array([[x, y, -10.0 * i] for x, y in collars for i in range(per_hole)])
    xyz[:, :2] += rng.normal(0, 3, (len(xyz), 2))  # slightly inclined holes
    holes = np.repeat([f"H{h}" for h in range(n_holes)], per_hole)
    values = rng.lognormal(0, 0.5, len(xyz))
    return xyz, values, holes


ESTIMATORS = [
    Kriging(MODEL, Neighbourhood(max_samples=8)),
    Kriging(MODEL, Neighbourhood(max_samples=8, max_per_octant=2), kind="simple", mean=1.0),
    Kriging(MODEL, Neighbourhood(max_samples=6, ranges=(300.0, 100.0), angles=(30.0, 0, 0))),
    InverseDistance(power=2.0, neighbourhood=Neighbourhood(max_samples=5, radius=200.0)),
    NearestSample(),
]


def refit(estimator, coords, values, keep, target):
    est = estimator.clone().fit(coords[keep], values[keep]).predict(target[None, :],
                                                                    return_diagnostics=True)
    return est[0][0], est[1]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: repr(e)[:40])
def test_leave_one_out_equals_refitting_without_the_sample(estimator) -> None:
    rng = np.random.default_rng(1)
    coords = rng.uniform(0, 500, (60, 2))
    values = rng.lognormal(0, 0.5, 60)
    cv = cross_validate(estimator, coords, values)
    assert isinstance(cv, CrossValidation) and cv.by == "sample"
    for i in range(0, 60, 3):
        keep = np.arange(60) != i
        ref, diag = refit(estimator, coords, values, keep, coords[i])
        assert cv.estimate[i] == pytest.approx(ref, rel=1e-10)
        assert cv.n_samples[i] == diag["n_samples"][0]
        if "variance" in diag:
            assert cv.variance[i] == pytest.approx(diag["variance"][0], rel=1e-9)
    np.testing.assert_allclose(cv.error, cv.estimate - values)
    assert (cv.variance is None) == (not isinstance(estimator, Kriging))


MODEL_3D = VariogramModel(0.1, [Structure("spherical", 0.9, (300.0, 300.0, 60.0))])


@pytest.mark.parametrize(
    "estimator",
    [Kriging(MODEL_3D, Neighbourhood(max_samples=10)),
     InverseDistance(neighbourhood=Neighbourhood(max_samples=6))],
    ids=["kriging", "idw"],
)
def test_leave_one_hole_out_equals_refitting_without_the_hole(estimator) -> None:
    xyz, values, holes = drillholes()
    cv = cross_validate(estimator, xyz, values, holes=holes, by="hole")
    for i in range(0, len(values), 4):
        keep = holes != holes[i]
        ref, _ = refit(estimator, xyz, values, keep, xyz[i])
        assert cv.estimate[i] == pytest.approx(ref, rel=1e-10)
    by_sample = cross_validate(estimator, xyz, values)
    # Holes are sampled every 10 m: leaving the hole out makes the estimates worse.
    assert cv.summary["mean_squared_error"] != by_sample.summary["mean_squared_error"]


def test_per_hole_limit_applies_to_the_remaining_holes() -> None:
    xyz, values, holes = drillholes(seed=2)
    kriging = Kriging(MODEL_3D, Neighbourhood(max_samples=8), max_per_hole=2)
    cv = cross_validate(kriging, xyz, values, holes=holes)
    for i in range(0, len(values), 5):
        keep = np.arange(len(values)) != i
        ref = kriging.clone().fit(xyz[keep], values[keep], holes=holes[keep]).predict(xyz[i:i + 1])
        assert cv.estimate[i] == pytest.approx(ref[0], rel=1e-10)


@pytest.mark.parametrize("kind", ["ordinary", "simple"])
@pytest.mark.parametrize("by", ["sample", "hole"])
def test_global_kriging_shortcut_equals_refitting(kind, by) -> None:
    xyz, values, holes = drillholes(n_holes=8, per_hole=4, seed=3)
    model = VariogramModel(0.2, [Structure("exponential", 1.0, (400.0, 400.0, 80.0))])
    kwargs = {"kind": "simple", "mean": 1.2} if kind == "simple" else {}
    kriging = Kriging(model, global_search=True, **kwargs)
    cv = cross_validate(kriging, xyz, values, holes=holes, by=by)
    for i in range(len(values)):
        keep = (holes != holes[i]) if by == "hole" else (np.arange(len(values)) != i)
        ref, diag = refit(kriging, xyz, values, keep, xyz[i])
        assert cv.estimate[i] == pytest.approx(ref, rel=1e-9)
        assert cv.variance[i] == pytest.approx(diag["variance"][0], rel=1e-8)
        assert cv.n_samples[i] == keep.sum()
    # and equals the neighbourhood route with every sample
    local = Kriging(model, Neighbourhood(max_samples=len(values)), **kwargs)
    cv_local = cross_validate(local, xyz, values, holes=holes, by=by)
    np.testing.assert_allclose(cv_local.estimate, cv.estimate, rtol=1e-9)
    np.testing.assert_allclose(cv_local.variance, cv.variance, rtol=1e-8)


def test_summary_statistics() -> None:
    rng = np.random.default_rng(4)
    coords = rng.uniform(0, 500, (50, 2))
    values = rng.lognormal(0, 0.5, 50)
    cv = cross_validate(Kriging(MODEL, Neighbourhood(10)), coords, values)
    z, e = values, cv.estimate
    err = e - z
    s = cv.summary
    assert s["n"] == s["n_estimated"] == 50
    assert s["mean_error"] == pytest.approx(err.mean())
    assert s["mean_error_relative"] == pytest.approx(err.mean() / z.mean())
    assert s["mean_squared_error"] == pytest.approx(np.mean(err**2))
    assert s["correlation"] == pytest.approx(np.corrcoef(z, e)[0, 1])
    slope = np.polyfit(e, z, 1)[0]  # regression of true on estimate
    assert s["slope"] == pytest.approx(slope)
    assert s["mean_standardised_squared_error"] == pytest.approx(np.mean(err**2 / cv.variance))
    frame = cv.to_frame()
    assert list(frame.columns) == ["value", "estimate", "error", "variance", "n_samples"]
    assert len(frame) == 50


def test_unestimated_samples_are_nan_and_left_out_of_the_summary() -> None:
    coords = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [1000.0, 0.0]])
    values = np.array([1.0, 2.0, 3.0, 9.0])
    idw = InverseDistance(neighbourhood=Neighbourhood(max_samples=3, radius=50.0))
    cv = cross_validate(idw, coords, values)
    assert np.isnan(cv.estimate[3]) and np.isfinite(cv.estimate[:3]).all()
    assert cv.summary["n"] == 4 and cv.summary["n_estimated"] == 3
    assert cv.n_samples.tolist() == [2, 2, 2, 0]


def test_duplicates_are_left_out_together_and_blocks_become_points() -> None:
    coords = np.array([[0.0, 0.0], [0.0, 0.0], [100.0, 0.0], [0.0, 100.0], [100.0, 100.0]])
    values = np.array([1.0, 3.0, 2.0, 4.0, 5.0])
    kriging = Kriging(MODEL, duplicates="mean", block_size=(50.0, 50.0))
    cv = cross_validate(kriging, coords, values)
    assert cv.estimate[0] == cv.estimate[1]
    ref = Kriging(MODEL).fit(coords[2:], values[2:]).predict([[0.0, 0.0]])[0]
    assert cv.estimate[0] == pytest.approx(ref, rel=1e-12)
    assert cv.error[:2].tolist() == pytest.approx([ref - 1.0, ref - 3.0])
    assert kriging.get_params()["block_size"] == (50.0, 50.0)  # not modified


def test_errors() -> None:
    coords = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(InputError, match="neighbourhood estimator"):
        cross_validate(object(), coords, [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="by must be"):
        cross_validate(InverseDistance(), coords, [1.0, 2.0, 3.0], by="zone")
    with pytest.raises(InputError, match="needs the hole id"):
        cross_validate(InverseDistance(), coords, [1.0, 2.0, 3.0], by="hole")
    with pytest.raises(InputError, match="one variable"):
        cross_validate(InverseDistance(), coords, np.ones((3, 2)))
    with pytest.raises(InputError, match="one hole id per sample"):
        cross_validate(InverseDistance(), coords, [1.0, 2.0, 3.0], holes=["a", "b"], by="hole")


def test_an_estimator_without_the_hooks_is_refused_by_name() -> None:
    class PredictOnly:
        def get_params(self):
            return {}

        def fit(self, coords, values, *, holes=None):
            return self

    with pytest.raises(InputError, match="PredictOnly has no neighbours, predict_neighbours"):
        cross_validate(PredictOnly(), [[0.0], [1.0]], [1.0, 2.0])
