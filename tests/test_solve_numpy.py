"""Tests of raremin.geostats._solve_numpy: the numpy twin equals the compiled kriging kernels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raremin.errors import ConvergenceError
from raremin.geostats import _solve_numpy, _system
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch

NESTED_3D = VariogramModel(0.05, [
    Structure("spherical", 0.5, (300.0, 150.0, 40.0), (30.0, -20.0, 10.0)),
    Structure("exponential", 0.3, (600.0, 400.0, 100.0), (120.0, 0.0, 0.0)),
    Structure("cubic", 0.1, 250.0),
    Structure("gaussian", 0.05, (200.0, 200.0, 50.0)),
])
CUBIC_3D = VariogramModel(0.1, [Structure("cubic", 2.0, (400.0, 200.0, 80.0), (10.0, -30.0, 20.0))])
SPHERICAL = VariogramModel(0.1, [Structure("spherical", 0.9, 300.0)])
EXPONENTIAL_2D = VariogramModel(0.1, [Structure("exponential", 0.9, (300.0, 120.0), (30.0,))])
GAUSSIAN_2D = VariogramModel(0.02, [
    Structure("gaussian", 1.0, (250.0, 150.0), (60.0,)),
    Structure("spherical", 0.5, 500.0),
])
LINEAR = VariogramModel(0.2, [Structure("linear", 0.01)])
LINEAR_NESTED = VariogramModel(0.0, [
    Structure("linear", 0.5, (100.0, 50.0), (45.0,)),
    Structure("cubic", 1.0, 300.0),
])


def block_offsets(ndim: int, size_m: float = 10.0) -> np.ndarray:
    """A 2 x 2 (x 2) grid of discretisation points within a block of `size_m` metres."""
    axis = np.array([-0.25, 0.25]) * size_m
    grids = np.meshgrid(*[axis] * ndim, indexing="ij")
    return np.column_stack([g.ravel() for g in grids])


def problem(ndim, n, m, ncol, seed, extent_m=600.0):
    rng = np.random.default_rng(seed)
    coords = rng.uniform(0.0, extent_m, (n, ndim))
    table = rng.lognormal(0.0, 0.6, (n, ncol))
    targets = rng.uniform(-0.05 * extent_m, 1.05 * extent_m, (m, ndim))
    targets[:3] = coords[:3]  # on samples: the nugget in a point's right-hand side
    return coords, table, targets


def make_system(model, coords, table, kind, block):
    ordinary = kind == "ordinary"
    shift = np.zeros(table.shape[1]) if ordinary else table.mean(axis=0) + 0.1
    offsets = None if block is None else block_offsets(coords.shape[1], block)
    return _system.build(model, coords, table, ordinary=ordinary, shift=shift,
                         block_offsets=offsets)


def run(system, points, found, min_samples, twin, weights=None):
    """What solve_neighbourhoods does around its kernel, without raising on a bad target."""
    m = points.shape[0]
    out_w = np.empty((0, 0)) if weights is None else weights
    estimates = np.full((m, system.table.shape[1]), np.nan)
    diagnostics = np.full((4, m), np.nan)
    bad = np.zeros(m, dtype=np.bool_)
    count = np.ascontiguousarray(found.count, dtype=np.int64)
    todo = np.flatnonzero(count >= min_samples).astype(np.int64)
    targets = _system.reduce(system, points)
    index = np.ascontiguousarray(found.index, dtype=np.int64)
    distance = np.ascontiguousarray(found.distance_m, dtype=float)
    if twin:
        _solve_numpy.solve(system, targets, index, count, distance, todo, estimates,
                           diagnostics, bad, weights)
    else:
        _system.kernel(system.bounded)(
            system.codes, system.sills, system.ndim, system.nugget, system.c0,
            _system.PIVOT_TOLERANCE * system.c0, system.ordinary, system.block_variance,
            system.samples, targets, system.block, system.table, index, count, distance,
            todo, 0, todo.size, _system.lanes_for(index.shape[1]), estimates, diagnostics,
            bad, out_w,
        )
    estimates += system.shift
    return estimates, diagnostics, bad


def assert_twins(system, points, found, min_samples):
    """Twin and kernel agree (1e-12) on every regular target and on the bad flags."""
    k = found.index.shape[1]
    w, ref_w = np.zeros((points.shape[0], k)), np.zeros((points.shape[0], k))
    est, diag, bad = run(system, points, found, min_samples, twin=True, weights=w)
    ref_est, ref_diag, ref_bad = run(system, points, found, min_samples, twin=False,
                                     weights=ref_w)
    np.testing.assert_array_equal(bad, ref_bad)
    good = ~bad
    np.testing.assert_allclose(w[good], ref_w[good], rtol=1e-12, atol=1e-12)  # the weights
    scale = np.abs(system.table).max() + np.abs(system.shift).max()
    np.testing.assert_allclose(est[good], ref_est[good], rtol=1e-12, atol=1e-12 * scale)
    c0 = max(abs(system.c0), abs(system.block_variance), 1.0)
    np.testing.assert_allclose(diag[:, good], ref_diag[:, good], rtol=1e-12, atol=1e-12 * c0)
    return est, diag, bad


CASES = [
    # (model, ndim, kind, block size m or None, value columns, k, radius m)
    (NESTED_3D, 3, "ordinary", None, 2, 16, 150.0),
    (NESTED_3D, 3, "simple", None, 1, 12, 150.0),
    (NESTED_3D, 3, "ordinary", 10.0, 3, 16, 150.0),
    (NESTED_3D, 3, "simple", 10.0, 2, 9, 150.0),
    (CUBIC_3D, 3, "ordinary", None, 1, 20, 200.0),
    (CUBIC_3D, 3, "simple", 25.0, 1, 5, 120.0),
    (SPHERICAL, 3, "ordinary", None, 1, 32, np.inf),
    (SPHERICAL, 2, "simple", None, 2, 1, 80.0),
    (EXPONENTIAL_2D, 2, "ordinary", None, 1, 8, 90.0),
    (EXPONENTIAL_2D, 2, "simple", 10.0, 3, 24, 200.0),
    (GAUSSIAN_2D, 2, "ordinary", 10.0, 2, 12, 120.0),
    (GAUSSIAN_2D, 2, "simple", None, 1, 7, 100.0),
    (LINEAR, 3, "ordinary", None, 2, 12, 150.0),
    (LINEAR, 2, "ordinary", 10.0, 1, 6, 90.0),
    (LINEAR_NESTED, 2, "ordinary", None, 3, 15, 150.0),
    (LINEAR_NESTED, 2, "ordinary", 10.0, 1, 10, 100.0),
]


@pytest.mark.parametrize(("model", "ndim", "kind", "block", "ncol", "k", "radius"), CASES)
def test_twin_equals_the_compiled_kernel(model, ndim, kind, block, ncol, k, radius) -> None:
    coords, table, targets = problem(ndim, n=300 if ndim == 3 else 150, m=150, ncol=ncol,
                                     seed=ndim * 100 + k)
    system = make_system(model, coords, table, kind, block)
    found = NeighbourSearch(coords, Neighbourhood(max_samples=k, radius=radius)).query(targets)
    min_samples = min(2, k)
    est, diag, bad = assert_twins(system, targets, found, min_samples)
    assert not bad.any()
    assert (found.count < k).any() or k == 1 or radius == np.inf  # padded targets too
    # the compiled path itself gives the reference numbers
    ref_est, ref_diag = _system.solve_neighbourhoods(system, targets, found, min_samples)
    np.testing.assert_allclose(est, ref_est, rtol=1e-12, atol=1e-12 * np.abs(table).max())
    keys = ("variance", "slope", "efficiency", "lagrange")
    np.testing.assert_allclose(diag, np.array([ref_diag[key] for key in keys]), rtol=1e-12,
                               atol=1e-12)
    if kind == "simple":
        assert np.isnan(diag[3]).all()
    if block is None and model.nugget > 0.0:  # exact at the data
        np.testing.assert_allclose(est[:3], table[:3], rtol=1e-12)


def test_singular_systems_are_flagged_as_the_kernel_flags_them() -> None:
    # Gaussian without nugget and duplicated samples: identical rows, a zero pivot
    model = VariogramModel(0.0, [Structure("gaussian", 1.0, 100.0)])
    coords, table, targets = problem(2, n=80, m=60, ncol=1, seed=3)
    coords = np.vstack([coords, coords[:10]])
    table = np.vstack([table, table[:10]])
    found = NeighbourSearch(coords, Neighbourhood(max_samples=6)).query(targets)
    for kind in ("ordinary", "simple"):
        system = make_system(model, coords, table, kind, None)
        _, _, bad = assert_twins(system, targets, found, 1)
        assert bad[:3].all() and (~bad).any()


def test_singular_unbounded_systems_are_flagged() -> None:
    coords, table, targets = problem(2, n=40, m=30, ncol=1, seed=4)
    model = VariogramModel(0.0, [Structure("linear", 1.0)])
    system = make_system(model, coords, table, "ordinary", None)
    found = NeighbourSearch(coords, Neighbourhood(max_samples=5)).query(targets)
    # every sample at one place: all generalised covariances 0, an exactly zero pivot
    crowded = system._replace(samples=np.zeros_like(system.samples))
    _, _, bad = assert_twins(crowded, targets, found, 1)
    assert bad.all()
    # duplicated samples: whatever the kernel decides, the twin decides the same
    doubled = np.vstack([coords, coords[:5]])
    duplicated = make_system(model, doubled, np.vstack([table, table[:5]]), "ordinary", None)
    found = NeighbourSearch(doubled, Neighbourhood(max_samples=5)).query(targets)
    assert_twins(duplicated, targets, found, 1)


def test_batches_and_order_do_not_change_the_numbers(monkeypatch) -> None:
    coords, table, targets = problem(3, n=200, m=120, ncol=2, seed=5)
    found = NeighbourSearch(coords, Neighbourhood(max_samples=10, radius=150.0)).query(targets)
    for model, block in ((NESTED_3D, 10.0), (LINEAR, None)):
        system = make_system(model, coords, table, "ordinary", block)
        est, diag, bad = run(system, targets, found, 1, twin=True)
        monkeypatch.setattr(_solve_numpy, "BATCH_ELEMENTS", 1)  # one target per batch
        est1, diag1, bad1 = run(system, targets, found, 1, twin=True)
        monkeypatch.undo()
        np.testing.assert_array_equal(est1, est)  # bit for bit
        np.testing.assert_array_equal(diag1, diag)
        np.testing.assert_array_equal(bad1, bad)


def test_only_the_rows_todo_are_written() -> None:
    coords, table, targets = problem(2, n=50, m=20, ncol=1, seed=6)
    system = make_system(SPHERICAL, coords, table, "ordinary", None)
    found = NeighbourSearch(coords, Neighbourhood(max_samples=5)).query(targets)
    estimates = np.full((20, 1), -7.0)
    diagnostics = np.full((4, 20), -7.0)
    bad = np.ones(20, dtype=np.bool_)
    todo = np.array([3, 11, 12], dtype=np.int64)
    _solve_numpy.solve(system, _system.reduce(system, targets), found.index, found.count,
                       found.distance_m, todo, estimates, diagnostics, bad)
    rest = np.setdiff1d(np.arange(20), todo)
    assert (estimates[rest] == -7.0).all() and (diagnostics[:, rest] == -7.0).all()
    assert bad[rest].all() and not bad[todo].any()
    assert (estimates[todo] > 0.0).all() and (diagnostics[0, todo] > 0.0).all()
    _solve_numpy.solve(system, _system.reduce(system, targets), found.index, found.count,
                       found.distance_m, todo[:0], estimates, diagnostics, bad)


@settings(max_examples=25, deadline=None)
@given(
    shape=st.sampled_from(["spherical", "exponential", "gaussian", "cubic", "linear"]),
    nugget=st.floats(0.01, 1.0),
    k=st.integers(1, 12),
    kind=st.sampled_from(["ordinary", "simple"]),
    block=st.sampled_from([None, 10.0]),
    seed=st.integers(0, 2**16),
)
def test_property_twin_equals_kernel(shape, nugget, k, kind, block, seed) -> None:
    if shape == "linear":
        kind = "ordinary"  # unbounded models: ordinary kriging only
    model = VariogramModel(nugget, [Structure(shape, 1.0, 150.0)])
    coords, table, targets = problem(2, n=40, m=25, ncol=1, seed=seed, extent_m=300.0)
    system = make_system(model, coords, table, kind, block)
    found = NeighbourSearch(coords, Neighbourhood(max_samples=k, radius=120.0)).query(targets)
    _, _, bad = assert_twins(system, targets, found, 1)
    assert not bad.any()


@pytest.mark.filterwarnings("ignore:.*not estimated")
def test_kriging_runs_the_twin_in_place_of_the_kernel(monkeypatch) -> None:
    """The full path: Kriging.predict with the twin substituted for the compiled kernel."""
    coords, table, targets = problem(3, n=400, m=700, ncol=2, seed=7)
    kriging = Kriging(NESTED_3D, Neighbourhood(max_samples=16, radius=150.0, min_samples=3),
                      block_size=(10.0, 10.0, 5.0), discretisation=(2, 2, 2))
    kriging.fit(coords, table)
    est, diag = kriging.predict(targets, return_diagnostics=True)

    def twin_kernel(bounded):
        def run_twin(codes, sills, ndim, nugget, c0, floor, ordinary, bv, samples, targets,
                     block, table, index, count, distance, todo, start, stop, lanes,
                     estimates, diagnostics, bad, weights):
            system = _system.System(codes, sills, ndim, nugget, c0, bounded, ordinary, None,
                                    None, samples, table, None, block, bv)
            _solve_numpy.solve(system, targets, index, count, distance, todo[start:stop],
                               estimates, diagnostics, bad,
                               weights if weights.shape[0] else None)
        return run_twin

    monkeypatch.setattr(_system, "kernel", twin_kernel)
    monkeypatch.setattr(_system, "MIN_TARGETS_PER_THREAD", 64)  # threads share the work
    est2, diag2 = kriging.predict(targets, return_diagnostics=True)
    assert np.isnan(est).any() and np.isfinite(est).any()
    np.testing.assert_allclose(est2, est, rtol=1e-12, atol=1e-12)
    for key in diag:
        np.testing.assert_allclose(diag2[key], diag[key], rtol=1e-12, atol=1e-12)
    # a singular system is named as by the compiled kernel
    model = VariogramModel(0.0, [Structure("gaussian", 1.0, 100.0)])
    samples = np.array([[0.0, 0.0], [1e-7, 0.0], [50.0, 0.0], [0.0, 60.0], [500.0, 500.0]])
    singular = Kriging(model, Neighbourhood(max_samples=3)).fit(samples, np.arange(5.0))
    with pytest.raises(ConvergenceError, match=r"target 1 at \(5, 5\) with 3 samples"):
        singular.predict([[480.0, 520.0], [5.0, 5.0], [490.0, 490.0]])
