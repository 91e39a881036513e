"""Tests of raremin.geostats.base: the estimator contract, kept by estimators written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely import box

from raremin.deposit import Deposit, Zone
from raremin.errors import InputError, RareminError
from raremin.estimation import assign_zones, estimate
from raremin.geostats import Estimator, cross_validate
from raremin.geostats.idw import InverseDistance, NearestSample
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood, Neighbours
from raremin.grid import BlockGrid, BlockModel


class MovingAverage(Estimator):
    """The plain mean of the nearest samples, written against the documented hooks only."""

    def __init__(self, max_samples: int = 4, radius: float = np.inf) -> None:
        self.max_samples = max_samples
        self.radius = radius

    def search_rules(self) -> Neighbourhood:
        return Neighbourhood(max_samples=self.max_samples, radius=self.radius)

    def predict_neighbours(self, coords, neighbours, *, diagnostics=False):
        table = self.values_.reshape(len(self.values_), -1)
        used = neighbours.index >= 0
        picked = table[np.where(used, neighbours.index, 0)] * used[:, :, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            estimates = picked.sum(axis=1) / neighbours.count[:, None]
        return estimates, (self.distance_diagnostics(neighbours) if diagnostics else {})


class DuckMean:
    """
    The same estimator without the base class: every method of the contract by hand
    (brute-force neighbours, no duplicates), to show that estimate() and
    cross_validate() use nothing else.
    """

    def __init__(self, max_samples: int = 4) -> None:
        self.max_samples = max_samples

    def get_params(self):
        return {"max_samples": self.max_samples}

    def clone(self):
        return DuckMean(**self.get_params())

    def fit(self, coords, values, *, holes=None):
        self.coords_ = np.asarray(coords, dtype=float)
        self.values_ = np.asarray(values, dtype=float)
        self.holes_ = None if holes is None else pd.factorize(pd.Series(holes))[0]
        self.sample_index_ = np.arange(len(self.coords_))
        return self

    def neighbours(self, coords, *, exclude=None, exclude_group=None, chunk_size=None):
        coords = np.asarray(coords, dtype=float)
        d = np.linalg.norm(coords[:, None, :] - self.coords_[None, :, :], axis=2)
        if exclude is not None:
            d[np.arange(len(coords)), exclude] = np.inf
        if exclude_group is not None:
            d[self.holes_[None, :] == np.asarray(exclude_group)[:, None]] = np.inf
        order = np.argsort(d, axis=1, kind="stable")[:, : self.max_samples]
        dist = np.take_along_axis(d, order, axis=1)
        index = np.where(np.isfinite(dist), order, -1)
        return Neighbours(index, dist, dist, (index >= 0).sum(axis=1))

    def predict_neighbours(self, coords, neighbours, *, diagnostics=False):
        used = neighbours.index >= 0
        table = self.values_.reshape(len(self.values_), -1)
        values = table[np.where(used, neighbours.index, 0)] * used[:, :, None]
        estimates = values.sum(axis=1) / neighbours.count[:, None]
        return estimates, ({"n_samples": neighbours.count} if diagnostics else {})

    def predict(self, coords, *, return_diagnostics=False, chunk_size=None, progress=False):
        found = self.neighbours(coords)
        est, diag = self.predict_neighbours(coords, found, diagnostics=True)
        est = est.reshape((len(est),) + self.values_.shape[1:])
        return (est, diag) if return_diagnostics else est


def brute_mean(samples, values, targets, k, skip=None):
    out = []
    for j, t in enumerate(targets):
        d = np.linalg.norm(samples - t, axis=1)
        if skip is not None:
            d[skip[j]] = np.inf
        out.append(values[np.argsort(d, kind="stable")[:k]].mean())
    return np.array(out)


@pytest.fixture
def deposit_samples(rng):
    dep = Deposit("D", [Zone("A", box(0, 0, 200, 100), 40, 0, 2.6),
                        Zone("B", box(200, 0, 400, 100), 40, 0, 2.6)], crs=32643)
    n = 80
    samples = pd.DataFrame({
        "easting_m": rng.uniform(0, 400, n), "northing_m": rng.uniform(0, 100, n),
        "elevation_m": rng.uniform(0, 40, n), "nd_ppm": rng.lognormal(6, 0.4, n),
    })
    samples["zone"] = assign_zones(samples, dep)
    model = BlockModel.from_deposit(dep, BlockGrid.covering(dep, (50, 50, 20)))
    return dep, samples, model


@pytest.mark.parametrize("make", [lambda: MovingAverage(max_samples=5), lambda: DuckMean(5)],
                         ids=["subclass", "duck"])
def test_own_estimator_runs_through_estimate(make, deposit_samples) -> None:
    _, samples, model = deposit_samples
    out = estimate(model, samples, make())
    centres = model.centres()
    for zone in model.zone_names:
        mask = model.zone_mask(zone)
        rows = (samples["zone"] == zone).to_numpy()
        xyz = samples.loc[rows, ["easting_m", "northing_m", "elevation_m"]].to_numpy()
        ref = brute_mean(xyz, samples.loc[rows, "nd_ppm"].to_numpy(), centres[mask], 5)
        np.testing.assert_allclose(out.arrays["nd_ppm"][mask], ref, rtol=1e-12)
    assert (out.arrays["n_samples"] == 5).all()


@pytest.mark.parametrize("make", [lambda: MovingAverage(max_samples=3), lambda: DuckMean(3)],
                         ids=["subclass", "duck"])
def test_own_estimator_runs_through_cross_validation(make, rng) -> None:
    coords = rng.uniform(0, 100, (40, 2))
    values = rng.lognormal(0, 0.5, 40)
    cv = cross_validate(make(), coords, values)
    ref = brute_mean(coords, values, coords, 3, skip=np.arange(40))
    np.testing.assert_allclose(cv.estimate, ref, rtol=1e-12)
    assert cv.variance is None and (cv.n_samples == 3).all()
    holes = np.repeat(np.arange(10), 4)
    by_hole = cross_validate(make(), coords, values, holes=holes, by="hole")
    for i in range(0, 40, 7):
        keep = holes != holes[i]
        expected = brute_mean(coords[keep], values[keep], coords[i : i + 1], 3)
        assert by_hole.estimate[i] == pytest.approx(expected[0], rel=1e-12)


def test_parameters_come_from_the_signature() -> None:
    est = MovingAverage(max_samples=7)
    assert est.get_params() == {"max_samples": 7, "radius": np.inf}
    copy = est.clone()
    assert copy is not est and copy.get_params() == est.get_params()
    assert repr(copy) == "MovingAverage(max_samples=7, radius=inf)"
    assert not hasattr(copy, "coords_")
    for estimator in (Kriging(VariogramModel(0.1)), InverseDistance(), NearestSample()):
        assert isinstance(estimator, Estimator)
        assert type(estimator)(**estimator.get_params()).get_params() == estimator.get_params()


def test_fit_merges_duplicates_and_maps_every_row() -> None:
    class Merging(MovingAverage):
        def __init__(self, max_samples: int = 4, duplicates: str = "mean") -> None:
            super().__init__(max_samples)
            self.duplicates = duplicates

    est = Merging().fit([[0.0], [5.0], [0.0], [9.0]], [1.0, 2.0, 3.0, 4.0],
                        holes=["a", "b", "c", "b"])
    assert est.coords_.ravel().tolist() == [0.0, 5.0, 9.0]
    assert est.values_.tolist() == [2.0, 2.0, 4.0]
    assert est.sample_index_.tolist() == [0, 1, 0, 2]
    assert est.holes_.tolist() == [0, 1, 1]  # merged rows keep the first row's hole
    with pytest.raises(InputError, match="repeated"):
        Merging(duplicates="raise").fit([[0.0], [0.0]], [1.0, 2.0])


def test_neighbours_leave_samples_and_holes_out() -> None:
    est = MovingAverage(max_samples=3).fit([[0.0], [1.0], [2.0], [10.0]], [1.0, 2.0, 3.0, 4.0],
                                           holes=["a", "a", "b", "c"])
    found = est.neighbours([[0.0], [0.0]], exclude=[0, -1])
    assert found.index.tolist() == [[1, 2, 3], [0, 1, 2]]
    found = est.neighbours([[0.0]], exclude_group=[0])
    assert found.index.tolist() == [[2, 3, -1]] and found.count.tolist() == [2]
    with pytest.raises(InputError, match="one integer per target"):
        est.neighbours([[0.0]], exclude=[0, 1])
    with pytest.raises(InputError, match="one integer per target"):
        est.neighbours([[0.0]], exclude=[0.5])
    plain = MovingAverage().fit([[0.0], [1.0]], [1.0, 2.0])
    with pytest.raises(InputError, match="pass holes= to fit"):
        plain.neighbours([[0.0]], exclude_group=[0])


def test_a_limit_per_hole_needs_holes_and_is_applied() -> None:
    class TwoPerHole(MovingAverage):
        def samples_per_hole(self):
            return 2

    coords = [[0.0], [1.0], [2.0], [3.0], [50.0]]
    with pytest.raises(InputError, match="2 samples per hole needs the hole id"):
        TwoPerHole().fit(coords, np.arange(5.0))
    est = TwoPerHole(max_samples=3).fit(coords, np.arange(5.0), holes=["h"] * 4 + ["g"])
    assert est.neighbours([[0.0]]).index.tolist() == [[0, 1, 4]]


def test_predict_with_no_targets_keeps_the_diagnostic_keys() -> None:
    est = MovingAverage().fit([[0.0, 0.0], [1.0, 1.0]], [1.0, 2.0])
    out, diag = est.predict(np.empty((0, 2)), return_diagnostics=True)
    assert out.shape == (0,)
    assert set(diag) == {"n_samples", "mean_distance_m", "nearest_distance_m"}
    assert all(v.shape == (0,) for v in diag.values())


def test_unimplemented_hooks_and_unfitted_estimators_raise() -> None:
    class Bare(Estimator):
        def __init__(self) -> None:
            pass

    with pytest.raises(NotImplementedError, match="search_rules"):
        Bare().fit([[0.0]], [1.0])
    with pytest.raises(NotImplementedError, match="predict_neighbours"):
        Bare().predict_neighbours([[0.0]], None)
    assert Bare().samples_per_hole() is None and Bare().leave_out() is None
    with pytest.raises(RareminError, match="not fitted"):
        MovingAverage().predict([[0.0]])
    with pytest.raises(RareminError, match="not fitted"):
        MovingAverage().neighbours([[0.0]])


def test_progress_is_reported_per_chunk() -> None:
    calls = []
    est = MovingAverage().fit([[0.0], [1.0], [2.0]], [1.0, 2.0, 3.0])
    est.predict(np.linspace(0, 2, 10)[:, None], chunk_size=4,
                progress=lambda done, total: calls.append((done, total)))
    assert calls == [(4, 10), (8, 10), (10, 10)]


def test_leave_out_shortcut_is_used_by_cross_validation() -> None:
    class Shortcut(MovingAverage):
        def leave_out(self, groups=None):
            n = len(self.coords_)
            return np.full((n, 1), 42.0), {"n_samples": np.full(n, 7)}

    cv = cross_validate(Shortcut(), [[0.0], [1.0], [2.0]], [1.0, 2.0, 3.0])
    assert cv.estimate.tolist() == [42.0, 42.0, 42.0] and cv.n_samples.tolist() == [7, 7, 7]


def test_global_kriging_shortcut_equals_its_neighbourhood_route(rng) -> None:
    model = VariogramModel(0.1, [Structure("exponential", 1.0, 80.0)])
    coords = rng.uniform(0, 100, (25, 2))
    values = rng.lognormal(0, 0.5, 25)
    fitted = Kriging(model, global_search=True).fit(coords, values)
    est, diag = fitted.leave_out()
    found = fitted.neighbours(coords, exclude=np.arange(25))
    assert (found.count == 16).all()  # the default search of the hooks
    local = Kriging(model, Neighbourhood(max_samples=24)).fit(coords, values)
    est2, diag2 = local.predict_neighbours(
        coords, local.neighbours(coords, exclude=np.arange(25)), diagnostics=True)
    np.testing.assert_allclose(est, est2, rtol=1e-10)
    np.testing.assert_allclose(diag["variance"], diag2["variance"], rtol=1e-9)
    assert (diag["n_samples"] == 24).all()
    assert Kriging(model).fit(coords, values).leave_out() is None
