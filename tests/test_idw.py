"""Tests of raremin.geostats.idw: inverse distance weighting and the nearest sample."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from raremin.errors import InputError, RareminError
from raremin.geostats.idw import InverseDistance, NearestSample
from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch


def brute_idw(samples, values, targets, k, power, radius=np.inf, min_samples=1, matrix=None):
    """Reference IDW, one target at a time: sort all distances, weight 1/d^p."""
    samples = np.asarray(samples, float)
    values = np.asarray(values, float).reshape(len(samples), -1)
    a = np.eye(samples.shape[1]) if matrix is None else matrix
    out = np.full((len(targets), values.shape[1]), np.nan)
    for j, t in enumerate(np.asarray(targets, float)):
        d = np.linalg.norm((samples - t) @ a.T, axis=1)
        dm = np.linalg.norm(samples - t, axis=1)
        order = np.argsort(d)[:k]
        order = order[d[order] <= radius]
        if order.size < min_samples:
            continue
        if dm[order[0]] <= 1e-9:
            out[j] = values[order[0]]
            continue
        w = 1.0 / d[order] ** power
        out[j] = (w[:, None] * values[order]).sum(axis=0) / w.sum()
    return out


def random_data(ndim, n=120, m=70, seed=0):
    rng = np.random.default_rng(seed)
    samples = rng.uniform(0, 100, (n, ndim))
    values = rng.lognormal(6.0, 0.8, n)
    targets = rng.uniform(-5, 105, (m, ndim))
    return samples, values, targets


# -------------------------------------------------------------------- InverseDistance


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize(
    ("k", "radius", "power"), [(8, np.inf, 2.0), (12, 18.0, 2.0), (5, 25.0, 3.5)]
)
def test_idw_matches_brute_force(ndim, k, radius, power) -> None:
    samples, values, targets = random_data(ndim, seed=ndim)
    idw = InverseDistance(power=power, neighbourhood=Neighbourhood(max_samples=k, radius=radius))
    got = idw.fit(samples, values).predict(targets)
    expected = brute_idw(samples, values, targets, k, power, radius)[:, 0]
    assert got.shape == (len(targets),)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    if np.isfinite(radius):  # the radius cut some neighbourhoods short
        assert (idw.search_.query(targets).count < k).any()


def test_idw_anisotropic_weights_use_ellipsoid_distance() -> None:
    samples, values, targets = random_data(3, seed=7)
    nb = Neighbourhood(max_samples=10, ranges=(60.0, 30.0, 10.0), angles=(30.0, 10.0, 0.0),
                       radius=3.0)
    got = InverseDistance(neighbourhood=nb).fit(samples, values).predict(targets)
    expected = brute_idw(samples, values, targets, 10, 2.0, 3.0, matrix=nb.matrix)[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    isotropic = brute_idw(samples, values, targets, 10, 2.0)[:, 0]
    assert not np.allclose(np.nan_to_num(got), isotropic)


def test_exact_hit_returns_the_sample_value() -> None:
    samples, values, _ = random_data(3, n=50, seed=1)
    targets = np.vstack([samples[[4, 17, 33]], samples[[8]] + 1e-11])
    got = InverseDistance().fit(samples, values).predict(targets)
    assert got.tolist() == values[[4, 17, 33, 8]].tolist()  # exactly, not approximately


def test_power_zero_gives_the_neighbour_mean() -> None:
    samples, values, targets = random_data(2, seed=2)
    idw = InverseDistance(power=0, neighbourhood=Neighbourhood(max_samples=6))
    got = idw.fit(samples, values).predict(targets)
    d = np.linalg.norm(samples[None] - targets[:, None], axis=-1)
    nearest = np.argsort(d, axis=1)[:, :6]
    np.testing.assert_allclose(got, values[nearest].mean(axis=1), rtol=1e-12)


def test_multi_column_equals_column_by_column() -> None:
    samples, _, targets = random_data(3, seed=4)
    rng = np.random.default_rng(4)
    table = rng.lognormal(5.0, 1.0, (len(samples), 4))
    nb = Neighbourhood(max_samples=9, radius=30.0, min_samples=3)
    together = InverseDistance(neighbourhood=nb).fit(samples, table).predict(targets)
    assert together.shape == (len(targets), 4)
    for c in range(4):
        alone = InverseDistance(neighbourhood=nb).fit(samples, table[:, c]).predict(targets)
        np.testing.assert_allclose(together[:, c], alone, rtol=1e-14)
        np.testing.assert_array_equal(np.isnan(together[:, c]), np.isnan(alone))


def test_chunk_size_does_not_change_results() -> None:
    samples, values, targets = random_data(3, m=257, seed=5)
    idw = InverseDistance(neighbourhood=Neighbourhood(max_samples=7, radius=20.0)).fit(
        samples, values
    )
    whole, whole_diag = idw.predict(targets, return_diagnostics=True)
    for chunk in (1, 16, 100, 256, 10_000):
        part, part_diag = idw.predict(targets, return_diagnostics=True, chunk_size=chunk)
        np.testing.assert_array_equal(part, whole)
        for key in whole_diag:
            np.testing.assert_array_equal(part_diag[key], whole_diag[key])


def test_min_samples_gives_nan_and_n_samples() -> None:
    samples = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [100.0, 100.0]])
    values = np.array([1.0, 2.0, 3.0, 4.0])
    nb = Neighbourhood(max_samples=4, min_samples=2, radius=15.0)
    est, diag = InverseDistance(neighbourhood=nb).fit(samples, values).predict(
        [[2.0, 2.0], [100.0, 95.0], [300.0, 300.0]], return_diagnostics=True
    )
    assert np.isfinite(est[0]) and np.isnan(est[1]) and np.isnan(est[2])
    assert diag["n_samples"].tolist() == [3, 1, 0]
    assert diag["n_samples"].dtype.kind == "i"
    d = np.linalg.norm(samples[:3] - [2.0, 2.0], axis=1)
    assert diag["mean_distance_m"][0] == pytest.approx(d.mean())
    assert diag["nearest_distance_m"][0] == pytest.approx(d.min())
    assert diag["mean_distance_m"][1] == pytest.approx(5.0)
    assert np.isnan(diag["mean_distance_m"][2]) and np.isnan(diag["nearest_distance_m"][2])


def test_duplicates_raise_naming_the_point() -> None:
    samples = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [1.0, 2.0, 3.0], [5.0, 5.0, 5.0],
                        [9.0, 9.0, 9.0], [5.0, 5.0, 5.0]])
    message = r"2 point\(s\) are repeated.*\(5 rows.*the first is \(1, 2, 3\) at rows \[0, 2\]"
    with pytest.raises(InputError, match=message):
        InverseDistance().fit(samples, np.arange(6.0))
    with pytest.raises(InputError, match="duplicates='mean'"):
        NearestSample().fit(samples, np.arange(6.0))


def test_duplicates_mean_averages_the_values() -> None:
    samples = np.array([[1.0, 2.0], [5.0, 5.0], [1.0, 2.0], [-0.0, 0.0], [0.0, 0.0]])
    values = np.array([[10.0, 1.0], [20.0, 2.0], [30.0, 3.0], [40.0, 4.0], [60.0, 6.0]])
    idw = InverseDistance(duplicates="mean").fit(samples, values)
    np.testing.assert_array_equal(idw.coords_, [[1.0, 2.0], [5.0, 5.0], [0.0, 0.0]])
    np.testing.assert_array_equal(idw.values_, [[20.0, 2.0], [20.0, 2.0], [50.0, 5.0]])
    np.testing.assert_array_equal(idw.predict([[1.0, 2.0]]), [[20.0, 2.0]])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_values_raise_naming_the_position(bad) -> None:
    values = np.array([[1.0, 2.0], [3.0, bad], [5.0, 6.0]])
    with pytest.raises(InputError, match=r"position \(1, 1\)"):
        InverseDistance().fit([[0.0], [1.0], [2.0]], values)
    with pytest.raises(InputError, match=r"coordinates.*position \(1, 0\)"):
        InverseDistance().fit([[0.0, 0.0], [np.nan, 1.0]], [1.0, 2.0])


def test_fit_and_predict_validation() -> None:
    with pytest.raises(InputError, match="one row per sample"):
        InverseDistance().fit([[0.0], [1.0]], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="power must be >= 0"):
        InverseDistance(power=-1).fit([[0.0]], [1.0])
    with pytest.raises(InputError, match="duplicates must be"):
        InverseDistance(duplicates="first").fit([[0.0]], [1.0])
    with pytest.raises(InputError, match="radius must be > 0"):
        NearestSample(radius=0).fit([[0.0]], [1.0])
    with pytest.raises(RareminError, match="not fitted"):
        InverseDistance().predict([[0.0]])
    fitted = InverseDistance().fit([[0.0, 0.0]], [1.0])
    with pytest.raises(InputError, match="fitted on 2"):
        fitted.predict([[0.0, 0.0, 0.0]])


def test_init_only_stores_and_clone_is_unfitted() -> None:
    nb = Neighbourhood(max_samples=3)
    idw = InverseDistance(power=-5, neighbourhood=nb)  # invalid, but not checked yet
    assert idw.get_params() == {"power": -5, "neighbourhood": nb, "duplicates": "raise"}
    fitted = InverseDistance(power=1.0, neighbourhood=nb).fit([[0.0], [2.0]], [1.0, 3.0])
    copy = fitted.clone()
    assert copy is not fitted and copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "search_") and hasattr(fitted, "search_")
    assert isinstance(fitted.search_, NeighbourSearch)


@settings(max_examples=60, deadline=None)
@given(
    samples=arrays(np.float64, st.tuples(st.integers(2, 25), st.just(2)),
                   elements=st.floats(0, 100, allow_nan=False)),
    targets=arrays(np.float64, st.tuples(st.integers(1, 10), st.just(2)),
                   elements=st.floats(-20, 120, allow_nan=False)),
    power=st.floats(0, 6),
    k=st.integers(1, 8),
    data=st.data(),
)
def test_idw_estimate_lies_between_its_neighbours(samples, targets, power, k, data) -> None:
    values = data.draw(
        arrays(np.float64, samples.shape[0], elements=st.floats(-1e6, 1e6, allow_nan=False))
    )
    idw = InverseDistance(power=power, neighbourhood=Neighbourhood(max_samples=k),
                          duplicates="mean").fit(samples, values)
    est = idw.predict(targets)
    found = idw.search_.query(targets)
    for e, row in zip(est, found.index, strict=True):
        near = idw.values_[row[row >= 0]]
        tol = 1e-9 * max(1.0, np.abs(near).max())
        assert near.min() - tol <= e <= near.max() + tol


# ----------------------------------------------------------------------- NearestSample


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_nearest_sample_matches_brute_force(ndim) -> None:
    samples, values, targets = random_data(ndim, seed=20 + ndim)
    table = np.column_stack([values, 2 * values])
    radius = 2.0 if ndim == 1 else 15.0
    est, diag = NearestSample(radius=radius).fit(samples, table).predict(
        targets, return_diagnostics=True
    )
    d = np.linalg.norm(samples[None] - targets[:, None], axis=-1)
    nearest = d.argmin(axis=1)
    dmin = d.min(axis=1)
    expected = np.where((dmin <= radius)[:, None], table[nearest], np.nan)
    np.testing.assert_array_equal(est, expected)
    np.testing.assert_allclose(diag["nearest_distance_m"], np.where(dmin <= radius, dmin, np.nan))
    np.testing.assert_array_equal(diag["n_samples"], (dmin <= radius).astype(int))
    assert np.isnan(est).any() and np.isfinite(est).any()


def test_fewer_samples_than_min_samples_raise_and_missed_targets_warn():
    from raremin.errors import InputError
    from raremin.geostats.idw import InverseDistance
    from raremin.geostats.neighbourhood import Neighbourhood

    idw = InverseDistance(neighbourhood=Neighbourhood(max_samples=8, min_samples=5))
    with pytest.raises(InputError, match=r"3 sample\(s\) but the neighbourhood needs"):
        idw.fit(np.arange(6.0).reshape(3, 2), [1.0, 2.0, 3.0])
    near = InverseDistance(neighbourhood=Neighbourhood(min_samples=2, radius=5.0))
    near.fit([[0.0], [4.0]], [10.0, 40.0])
    with pytest.warns(UserWarning, match=r"1 of 2 target\(s\) not estimated"):
        est = near.predict([[1.0], [50.0]])
    assert np.isnan(est[1]) and est[0] == pytest.approx(13.0)


def test_progress_callable_sees_every_chunk():
    from raremin.geostats.idw import InverseDistance

    calls = []
    idw = InverseDistance().fit(np.random.default_rng(0).uniform(0, 100, (50, 2)), np.ones(50))
    idw.predict(np.random.default_rng(1).uniform(0, 100, (25, 2)), chunk_size=10,
                progress=lambda done, total: calls.append((done, total)))
    assert calls == [(10, 25), (20, 25), (25, 25)]


def test_the_public_hooks_give_predict_s_numbers() -> None:
    """neighbours() + predict_neighbours() is predict(), for both baseline estimators."""
    rng = np.random.default_rng(5)
    samples = rng.uniform(0, 100, (50, 2))
    values = rng.lognormal(0, 0.5, (50, 2))
    targets = rng.uniform(0, 100, (30, 2))
    for est in (InverseDistance(power=1.5, neighbourhood=Neighbourhood(6, radius=30.0)),
                NearestSample(radius=12.0)):
        fitted = est.fit(samples, values)
        expected, diag = fitted.predict(targets, return_diagnostics=True)
        got, got_diag = fitted.predict_neighbours(targets, fitted.neighbours(targets),
                                                  diagnostics=True)
        np.testing.assert_array_equal(got, expected)
        for key in diag:
            np.testing.assert_array_equal(got_diag[key], diag[key])
        assert fitted.search_rules() == fitted.search_.neighbourhood
