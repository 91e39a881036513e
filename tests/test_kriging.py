"""Tests of raremin.geostats.kriging: published results, oracles, brute force, properties."""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raremin.errors import ConvergenceError, InputError, RareminError
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood

SPHERICAL = VariogramModel(0.1, [Structure("spherical", 0.9, 400.0)])
NESTED_3D = VariogramModel(
    0.05,
    [
        Structure("spherical", 0.5, (300.0, 150.0, 40.0), (30.0, -20.0, 10.0)),
        Structure("exponential", 0.3, (600.0, 400.0, 100.0), (120.0, 0.0, 0.0)),
        Structure("cubic", 0.1, 250.0),
        Structure("gaussian", 0.05, (200.0, 200.0, 50.0)),
    ],
)


def random_data(ndim, n=120, m=60, seed=0, extent=1000.0):
    rng = np.random.default_rng(seed)
    samples = rng.uniform(0, extent, (n, ndim))
    values = rng.lognormal(0.0, 0.6, n)
    targets = rng.uniform(-0.05 * extent, 1.05 * extent, (m, ndim))
    return samples, values, targets


def read_asc(path):
    """An Esri ASCII grid: values (rows north to south) and the cell-centre coordinates."""
    lines = path.read_text().splitlines()
    header = {}
    for line in lines[:7]:
        key, value = line.split()
        header[key.upper()] = float(value)
    ncols, nrows = int(header["NCOLS"]), int(header["NROWS"])
    data = np.array(" ".join(lines[7 : 7 + nrows]).split(), dtype=float).reshape(nrows, ncols)
    x = header["XLLCENTER"] + header["DX"] * np.arange(ncols)
    y = header["YLLCENTER"] + header["DY"] * np.arange(nrows)[::-1]  # first row is north
    return data, x, y


# ------------------------------------------------------------------ published results


@pytest.mark.parametrize("search", ["global", "all 15 samples"])
def test_pykrige_test1_grid_is_reproduced(validation_dir, search) -> None:
    """
    Ordinary kriging of PyKrige's test_data.txt reproduces test1_answer.asc.

    The answer grid was computed with KT3D_H2O (Karanovic, Tonkin and Wilson, 2009,
    Groundwater 47(4), 580-586) with the settings of test1_settings.txt: exponential
    model, sill 500, range 3000 (practical range, GSLIB's factor 3), nugget 0, no
    search restriction (PyKrige's tests/test_core.py compares it with global kriging).
    The file has 8 significant digits, hence the tolerance.
    """
    folder = validation_dir / "pykrige"
    settings_text = (folder / "test1_settings.txt").read_text()
    assert "Exponential" in settings_text and "Range = 3000" in settings_text
    data = np.loadtxt(folder / "test_data.txt")
    answer, x, y = read_asc(folder / "test1_answer.asc")
    gx, gy = np.meshgrid(x, y)
    model = VariogramModel(0.0, [Structure("exponential", 500.0, 3000.0)])
    kriging = (
        Kriging(model, global_search=True) if search == "global"
        else Kriging(model, Neighbourhood(max_samples=len(data)))
    )
    est = kriging.fit(data[:, :2], data[:, 2]).predict(np.column_stack([gx.ravel(), gy.ravel()]))
    np.testing.assert_allclose(est.reshape(answer.shape), answer, rtol=1e-6)
    assert np.max(np.abs(est.reshape(answer.shape) / answer - 1)) < 1e-7


def test_pykrige_test3d_linear_model_is_reproduced(validation_dir) -> None:
    """
    3D ordinary kriging with a linear variogram (slope 1, nugget 0.1) matches KT3D.

    Data and answers: PyKrige's test3d_data.txt and test3d_answer.txt (KT3D output on
    the grid 0..9 in x, y, z, x fastest), settings from PyKrige's tests/test_core.py
    (test_ok3d); the answers have three decimals, hence rtol 1e-3 as there.
    """
    folder = validation_dir / "pykrige"
    data = np.genfromtxt(folder / "test3d_data.txt", skip_header=1)
    answer = np.genfromtxt(folder / "test3d_answer.txt")
    g = np.arange(10.0)
    gz, gy, gx = np.meshgrid(g, g, g, indexing="ij")
    targets = np.column_stack([gx.ravel(), gy.ravel(), gz.ravel()])
    model = VariogramModel(0.1, [Structure("linear", 1.0)])
    for kriging in (Kriging(model, global_search=True), Kriging(model, Neighbourhood(10))):
        est, diag = kriging.fit(data[:, :3], data[:, 3]).predict(targets, return_diagnostics=True)
        np.testing.assert_allclose(est, answer[:, 0], rtol=1e-3, atol=1e-8)
        np.testing.assert_allclose(diag["variance"], answer[:, 1], rtol=1e-3, atol=1e-8)
        assert np.isnan(diag["slope"]).all() and np.isnan(diag["efficiency"]).all()


@pytest.mark.parametrize("search", [True, False])
def test_kitanidis_example_3_2(search) -> None:
    """
    Kitanidis (1997), Introduction to Geostatistics, example 3.2: two data, linear
    variogram 0.006 per metre with nugget 0.1: estimate 1.6364, variance 0.4201.

    Data coordinates and expected numbers as in PyKrige's tests/test_core.py
    (test_core_krige, GeoStat-Framework/PyKrige at commit 0109da08): data (9.7, 47.6)
    = 1.22 and (43.8, 24.6) = 2.822, target (18.8, 67.9); at a datum the estimate is
    the datum and the variance 0.
    """
    model = VariogramModel(0.1, [Structure("linear", 0.006)])
    kriging = Kriging(model, global_search=True) if search else Kriging(model)
    kriging.fit([[9.7, 47.6], [43.8, 24.6]], [1.22, 2.822])
    est, diag = kriging.predict([[18.8, 67.9], [43.8, 24.6]], return_diagnostics=True)
    assert round(float(est[0]), 4) == 1.6364
    assert round(float(diag["variance"][0]), 4) == 0.4201
    assert est[1] == pytest.approx(2.822, abs=1e-12)
    assert diag["variance"][1] == pytest.approx(0.0, abs=1e-12)
    # the same in 3D, as in PyKrige's test_core_krige_3d
    kriging.fit([[9.7, 47.6, 1.0], [43.8, 24.6, 1.0]], [1.22, 2.822])
    est, diag = kriging.predict([[18.8, 67.9, 1.0]], return_diagnostics=True)
    assert round(float(est[0]), 4) == 1.6364 and round(float(diag["variance"][0]), 4) == 0.4201


# ----------------------------------------------------------------------------- oracles


@pytest.mark.parametrize(
    ("shape", "params"),
    [("spherical", [1.5, 400.0, 0.2]), ("exponential", [2.0, 900.0, 0.5])],
)
def test_global_ok_equals_pykrige(shape, params) -> None:
    OrdinaryKriging = pytest.importorskip("pykrige.ok").OrdinaryKriging

    samples, values, targets = random_data(2, n=90, m=150, seed=1)
    sill, rng, nugget = params  # PyKrige's list: full sill, range, nugget
    model = VariogramModel(nugget, [Structure(shape, sill - nugget, rng)])
    est, diag = Kriging(model, global_search=True).fit(samples, values).predict(
        targets, return_diagnostics=True
    )
    pk = OrdinaryKriging(samples[:, 0], samples[:, 1], values, variogram_model=shape,
                         variogram_parameters=params)
    ref, ref_var = pk.execute("points", targets[:, 0], targets[:, 1])
    np.testing.assert_allclose(est, ref, rtol=1e-8)
    np.testing.assert_allclose(diag["variance"], ref_var, rtol=1e-8)


@pytest.mark.parametrize("backend", ["loop", "C"])
def test_neighbourhood_ok_equals_pykrige_n_closest_points(backend) -> None:
    OrdinaryKriging = pytest.importorskip("pykrige.ok").OrdinaryKriging

    samples, values, targets = random_data(2, n=300, m=200, seed=2, extent=5000.0)
    model = VariogramModel(0.1, [Structure("spherical", 0.9, 2000.0)])
    est, diag = Kriging(model, Neighbourhood(max_samples=32)).fit(samples, values).predict(
        targets, return_diagnostics=True
    )
    pk = OrdinaryKriging(samples[:, 0], samples[:, 1], values, variogram_model="spherical",
                         variogram_parameters={"sill": 1.0, "range": 2000.0, "nugget": 0.1})
    ref, ref_var = pk.execute("points", targets[:, 0], targets[:, 1], backend=backend,
                              n_closest_points=32)
    np.testing.assert_allclose(est, ref, rtol=1e-8)
    np.testing.assert_allclose(diag["variance"], ref_var, rtol=1e-8)
    assert (diag["n_samples"] == 32).all()


def test_neighbourhood_ok_3d_anisotropic_equals_pykrige_ok3d() -> None:
    """Ranges 2000/2000/100 m = PyKrige's anisotropy_scaling_z 20 (distances in x metres)."""
    OrdinaryKriging3D = pytest.importorskip("pykrige.ok3d").OrdinaryKriging3D

    rng = np.random.default_rng(3)
    samples = rng.uniform(0, 1, (90, 3)) * [5000.0, 5000.0, 300.0]
    values = rng.lognormal(0, 0.5, 90)
    targets = rng.uniform(0, 1, (80, 3)) * [5000.0, 5000.0, 300.0]
    ranges = (2000.0, 2000.0, 100.0)
    model = VariogramModel(0.1, [Structure("spherical", 0.9, ranges)])
    nb = Neighbourhood(max_samples=16, ranges=ranges, radius=np.inf)
    kriging = Kriging(model, nb).fit(samples, values)
    est = kriging.predict(targets)
    pk = OrdinaryKriging3D(samples[:, 0], samples[:, 1], samples[:, 2], values,
                           variogram_model="spherical",
                           variogram_parameters={"sill": 1.0, "range": 2000.0, "nugget": 0.1},
                           anisotropy_scaling_z=20.0)
    ref, _ = pk.execute("points", targets[:, 0], targets[:, 1], targets[:, 2], backend="loop",
                        n_closest_points=16)
    np.testing.assert_allclose(est, ref, rtol=1e-8)


def gstools_model(dim, shape, sill, practical_range, nugget, **kwargs):
    gs = pytest.importorskip("gstools")

    # GSTools' len_scale: the range (spherical), a third of it (exponential),
    # range * sqrt(pi / 12) for its Gaussian exp(-pi/4 (h/l)^2).
    scale = {"spherical": 1.0, "exponential": 1 / 3, "gaussian": np.sqrt(np.pi / 12)}[shape]
    cls = {"spherical": gs.Spherical, "exponential": gs.Exponential, "gaussian": gs.Gaussian}
    return cls[shape](dim=dim, var=sill, len_scale=np.asarray(practical_range) * scale,
                      nugget=nugget, **kwargs)


@pytest.mark.parametrize("shape", ["spherical", "exponential", "gaussian"])
@pytest.mark.parametrize("kind", ["ordinary", "simple"])
def test_global_kriging_equals_gstools_2d_anisotropic(shape, kind) -> None:
    gs = pytest.importorskip("gstools")

    samples, values, targets = random_data(2, n=70, m=120, seed=4)
    # raremin: azimuth of the major axis clockwise from north; GSTools: angle from x,
    # counter-clockwise, so 90 - azimuth.
    azimuth = 30.0
    model = VariogramModel(0.2, [Structure(shape, 1.0, (600.0, 200.0), (azimuth, 0, 0))])
    gmodel = gstools_model(2, shape, 1.0, [600.0, 200.0], 0.2,
                           angles=np.deg2rad(90.0 - azimuth))
    if kind == "ordinary":
        ref_krige = gs.krige.Ordinary(gmodel, samples.T, values, exact=True, pseudo_inv=False)
        ours = Kriging(model, global_search=True)
    else:
        ref_krige = gs.krige.Simple(gmodel, samples.T, values, mean=1.3, exact=True,
                                    pseudo_inv=False)
        ours = Kriging(model, global_search=True, kind="simple", mean=1.3)
    ref, ref_var = ref_krige(targets.T, mesh_type="unstructured", return_var=True)
    est, diag = ours.fit(samples, values).predict(targets, return_diagnostics=True)
    np.testing.assert_allclose(est, ref, rtol=1e-8)
    np.testing.assert_allclose(diag["variance"], ref_var, rtol=1e-8)


@pytest.mark.parametrize("kind", ["ordinary", "simple"])
def test_kriging_3d_equals_gstools_global_and_with_every_sample(kind) -> None:
    gs = pytest.importorskip("gstools")

    samples, values, targets = random_data(3, n=60, m=80, seed=5, extent=500.0)
    model = VariogramModel(0.1, [Structure("exponential", 2.0, 600.0)])
    gmodel = gstools_model(3, "exponential", 2.0, 600.0, 0.1)
    if kind == "ordinary":
        ref_krige = gs.krige.Ordinary(gmodel, samples.T, values, exact=True, pseudo_inv=False)
        kwargs = {}
    else:
        ref_krige = gs.krige.Simple(gmodel, samples.T, values, mean=0.8, exact=True,
                                    pseudo_inv=False)
        kwargs = {"kind": "simple", "mean": 0.8}
    ref, ref_var = ref_krige(targets.T, mesh_type="unstructured", return_var=True)
    for ours in (Kriging(model, global_search=True, **kwargs),
                 Kriging(model, Neighbourhood(max_samples=60), **kwargs)):
        est, diag = ours.fit(samples, values).predict(targets, return_diagnostics=True)
        np.testing.assert_allclose(est, ref, rtol=1e-8)
        np.testing.assert_allclose(diag["variance"], ref_var, rtol=1e-8)


# ------------------------------------------------------------------------- brute force


def brute_krige(model, samples, values, target, kind="ordinary", mean=0.0, offsets=None):
    """
    One kriging system written out with VariogramModel.covariance / gamma on lag vectors.

    Covariance form, with the generalised covariance -gamma for unbounded models; the
    nugget sits on the sample diagonal (and at a coinciding target), never in the
    point-block and block-block covariances.
    """
    structural = VariogramModel(0.0, model.structures)

    def cov(lags):
        return structural.covariance(lags) if model.bounded else -structural.gamma(lags)

    n, d = samples.shape
    lhs = cov(samples[:, None, :] - samples[None, :, :]) + model.nugget * np.eye(n)
    if offsets is None:
        rhs = cov(samples - target) + model.nugget * np.all(samples == target, axis=1)
        c00 = cov(np.zeros((1, d)))[0] + model.nugget
    else:
        points = target + offsets
        rhs = cov(samples[:, None, :] - points[None, :, :]).mean(axis=1)
        c00 = cov(points[:, None, :] - points[None, :, :]).mean()
    if kind == "ordinary":
        a = np.ones((n + 1, n + 1))
        a[:n, :n] = lhs
        a[n, n] = 0.0
        sol = np.linalg.solve(a, np.append(rhs, 1.0))
        w, mu = sol[:n], sol[n]
        est = w @ values
    else:
        w, mu = np.linalg.solve(lhs, rhs), 0.0
        est = mean + w @ (values - mean)
    wc = w @ rhs
    return est, c00 - wc - mu, wc / (wc - mu), mu, c00


@pytest.mark.parametrize("kind", ["ordinary", "simple"])
@pytest.mark.parametrize("block", [None, (40.0, 30.0, 10.0)])
def test_nested_anisotropic_3d_equals_brute_force(kind, block) -> None:
    samples, values, targets = random_data(3, n=150, m=25, seed=6, extent=400.0)
    nb = Neighbourhood(max_samples=12, radius=150.0)  # some targets have fewer
    kwargs = {"kind": kind, "mean": 1.1} if kind == "simple" else {}
    kriging = Kriging(NESTED_3D, nb, block_size=block, discretisation=(3, 2, 2), **kwargs)
    est, diag = kriging.fit(samples, values).predict(targets, return_diagnostics=True)
    found = kriging.search_.query(targets)
    assert (found.count < 12).any() and (found.count == 12).any()
    offsets = None
    if block is not None:
        axes = [(np.arange(p) + 0.5) / p * b - b / 2 for b, p in zip(block, (3, 2, 2),
                                                                        strict=True)]
        offsets = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    for j in range(len(targets)):
        use = found.index[j, : found.count[j]]
        ref = brute_krige(NESTED_3D, samples[use], values[use], targets[j], kind, 1.1, offsets)
        got = (est[j], diag["variance"][j], diag["slope"][j],
               0.0 if kind == "simple" else diag["lagrange"][j], kriging.block_variance_)
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
        assert diag["efficiency"][j] == pytest.approx((ref[4] - ref[1]) / ref[4], rel=1e-9)
    if kind == "simple":
        np.testing.assert_allclose(diag["slope"], 1.0, rtol=1e-12)
        assert np.isnan(diag["lagrange"]).all()


def test_unbounded_nested_model_equals_brute_force_in_variogram_form() -> None:
    samples, values, targets = random_data(2, n=80, m=20, seed=7)
    model = VariogramModel(0.3, [Structure("linear", 0.5, 100.0),
                                 Structure("spherical", 1.0, (300.0, 100.0), (45.0, 0, 0))])
    for block in (None, (20.0, 20.0)):
        kriging = Kriging(model, Neighbourhood(max_samples=10), block_size=block)
        est, diag = kriging.fit(samples, values).predict(targets, return_diagnostics=True)
        found = kriging.search_.query(targets)
        offsets = None if block is None else _offsets_2d(block, 4)
        for j in range(len(targets)):
            use = found.index[j]
            ref = brute_krige(model, samples[use], values[use], targets[j], offsets=offsets)
            np.testing.assert_allclose([est[j], diag["variance"][j], diag["lagrange"][j]],
                                       [ref[0], ref[1], ref[3]], rtol=1e-9)


def _offsets_2d(block, p):
    axes = [(np.arange(p) + 0.5) / p * b - b / 2 for b in block]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 2)


def test_one_dimension_and_global_blocks_match_neighbourhood() -> None:
    samples, values, targets = random_data(1, n=40, m=30, seed=8)
    model = VariogramModel(0.05, [Structure("exponential", 1.0, 300.0)])
    for block in (None, 25.0):
        g_est, g_diag = Kriging(model, global_search=True, block_size=block).fit(
            samples, values).predict(targets, return_diagnostics=True)
        n_est, n_diag = Kriging(model, Neighbourhood(40), block_size=block).fit(
            samples, values).predict(targets, return_diagnostics=True)
        np.testing.assert_allclose(n_est, g_est, rtol=1e-10)
        for key in ("variance", "slope", "efficiency", "lagrange"):
            np.testing.assert_allclose(n_diag[key], g_diag[key], rtol=1e-8, atol=1e-12)
        assert (g_diag["n_samples"] == 40).all()
        np.testing.assert_allclose(g_diag["mean_distance_m"], n_diag["mean_distance_m"])


# -------------------------------------------------------------------------- properties


@pytest.mark.parametrize("search", ["global", "local"])
@pytest.mark.parametrize("nugget", [0.0, 0.2])
def test_exact_at_the_data(search, nugget) -> None:
    samples, values, _ = random_data(2, n=50, seed=9)
    model = VariogramModel(nugget, [Structure("spherical", 1.0, 300.0)])
    kriging = (Kriging(model, global_search=True) if search == "global"
               else Kriging(model, Neighbourhood(max_samples=10)))
    est, diag = kriging.fit(samples, values).predict(samples, return_diagnostics=True)
    np.testing.assert_allclose(est, values, rtol=1e-9)
    np.testing.assert_allclose(diag["variance"], 0.0, atol=1e-9)
    assert (diag["variance"] >= 0).all()
    np.testing.assert_allclose(diag["efficiency"], 1.0, atol=1e-9)


@pytest.mark.parametrize("block", [None, (30.0, 30.0, 10.0)])
def test_ordinary_weights_sum_to_one(block) -> None:
    samples, _, targets = random_data(3, n=100, m=50, seed=10, extent=300.0)
    constant = np.full(len(samples), 7.25)
    nb = Neighbourhood(max_samples=15, radius=90.0)  # varying neighbour counts
    est = Kriging(NESTED_3D, nb, block_size=block).fit(samples, constant).predict(targets)
    done = np.isfinite(est)
    assert done.sum() > 20
    np.testing.assert_allclose(est[done], 7.25, rtol=1e-10)


def test_block_variance_is_below_point_variance_at_the_centre() -> None:
    samples, values, targets = random_data(2, n=60, m=40, seed=11)
    point = Kriging(SPHERICAL, Neighbourhood(12)).fit(samples, values)
    block = Kriging(SPHERICAL, Neighbourhood(12), block_size=(50.0, 50.0)).fit(samples, values)
    _, p = point.predict(targets, return_diagnostics=True)
    _, b = block.predict(targets, return_diagnostics=True)
    assert np.all(b["variance"] < p["variance"])
    assert block.block_variance_ < point.block_variance_ == pytest.approx(1.0)


def test_one_point_block_is_point_kriging_without_the_nugget() -> None:
    samples, values, targets = random_data(3, n=80, m=30, seed=12, extent=300.0)
    point = Kriging(NESTED_3D, Neighbourhood(10)).fit(samples, values)
    block = Kriging(NESTED_3D, Neighbourhood(10), block_size=20.0,
                    discretisation=(1, 1, 1)).fit(samples, values)
    p_est, p = point.predict(targets, return_diagnostics=True)
    b_est, b = block.predict(targets, return_diagnostics=True)
    np.testing.assert_allclose(b_est, p_est, rtol=1e-10)
    np.testing.assert_allclose(b["variance"], p["variance"] - NESTED_3D.nugget, rtol=1e-9)
    assert block.block_variance_ == pytest.approx(NESTED_3D.sill - NESTED_3D.nugget)


def test_simple_kriging_far_from_the_data_returns_the_mean() -> None:
    samples, values, _ = random_data(2, n=30, seed=13)
    far = np.array([[1e6, 1e6], [-5e5, 2e5]])
    for search in (True, False):
        kwargs = {"global_search": True} if search else {"neighbourhood": Neighbourhood(8)}
        sk = Kriging(SPHERICAL, kind="simple", mean=123.0, **kwargs).fit(samples, values)
        est, diag = sk.predict(far, return_diagnostics=True)
        np.testing.assert_allclose(est, 123.0)
        np.testing.assert_allclose(diag["variance"], SPHERICAL.sill)
        np.testing.assert_allclose(diag["efficiency"], 0.0, atol=1e-12)
    default = Kriging(SPHERICAL, kind="simple").fit(samples, values)
    assert default.mean_[0] == pytest.approx(values.mean())
    np.testing.assert_allclose(default.predict(far), values.mean())


def test_pure_nugget_model_gives_the_neighbour_mean() -> None:
    samples = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    values = np.array([1.0, 2.0, 6.0])
    for kwargs in ({"global_search": True}, {"neighbourhood": Neighbourhood(3)},
                   {"block_size": 5.0}):
        kriging = Kriging(VariogramModel(0.5), **kwargs).fit(samples, values)
        est, diag = kriging.predict([[3.0, 3.0]], return_diagnostics=True)
        assert est[0] == pytest.approx(3.0)
        nugget = 0.0 if "block_size" in kwargs else 0.5  # a block averages the nugget out
        assert diag["variance"][0] == pytest.approx(nugget + 0.5 / 3)
    assert np.isnan(diag["efficiency"][0])  # no block variance to compare with


def test_duplicates_raise_or_merge() -> None:
    samples = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 0.0], [0.0, 20.0]])
    values = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(InputError, match=r"repeated.*\(0, 0\) at rows \[0, 2\]"):
        Kriging(SPHERICAL).fit(samples, values)
    merged = Kriging(SPHERICAL, duplicates="mean").fit(samples, values)
    assert merged.values_.tolist() == [2.0, 2.0, 4.0]
    ref = Kriging(SPHERICAL).fit(samples[[0, 1, 3]], [2.0, 2.0, 4.0])
    t = [[3.0, 4.0]]
    assert merged.predict(t)[0] == pytest.approx(ref.predict(t)[0], rel=1e-12)


@pytest.mark.parametrize("search", ["global", "local"])
def test_singular_system_raises_naming_the_target(search) -> None:
    # Gaussian without nugget, two samples 1e-7 m apart: identical rows in double precision.
    model = VariogramModel(0.0, [Structure("gaussian", 1.0, 100.0)])
    samples = np.array([[0.0, 0.0], [1e-7, 0.0], [50.0, 0.0], [0.0, 60.0], [500.0, 500.0]])
    values = np.arange(5.0)
    if search == "global":
        with pytest.raises(ConvergenceError, match="singular.*Gaussian"):
            Kriging(model, global_search=True).fit(samples, values)
        return
    kriging = Kriging(model, Neighbourhood(max_samples=3)).fit(samples, values)
    targets = [[480.0, 520.0], [5.0, 5.0], [490.0, 490.0]]
    with pytest.raises(ConvergenceError,
                       match=r"target 1 at \(5, 5\) with 3 samples is singular.*nugget"):
        kriging.predict(targets)
    # a small nugget cures it
    cured = VariogramModel(1e-6, model.structures)
    assert np.isfinite(Kriging(cured, Neighbourhood(3)).fit(samples, values).predict(targets)).all()


def test_singular_unbounded_system_raises() -> None:
    model = VariogramModel(0.0, [Structure("linear", 1.0)])
    samples = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    kriging = Kriging(model, Neighbourhood(3), duplicates="mean").fit(samples, [1.0, 2.0, 3.0])
    assert kriging.predict([[0.5, 0.5]])[0] == pytest.approx(2.25)  # merged: no longer singular
    from raremin.geostats import kriging as module

    k = Kriging(model, Neighbourhood(3)).fit([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]], [1.0, 2, 3])
    # every sample at one place (the reduced coordinates the kernel reads)
    k._system = k._system._replace(samples=np.zeros_like(k._system.samples))
    with pytest.raises(ConvergenceError, match="target 0 at .* singular"):
        k.predict([[0.5, 0.5]])
    assert module.PIVOT_TOLERANCE < 1e-10


def test_min_samples_gives_nan_counted_and_logged(caplog) -> None:
    samples = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [100.0, 100.0]])
    nb = Neighbourhood(max_samples=4, min_samples=2, radius=20.0)
    kriging = Kriging(SPHERICAL, nb).fit(samples, [1.0, 2.0, 3.0, 4.0])
    with caplog.at_level(logging.INFO, logger="raremin.geostats.kriging"):
        est, diag = kriging.predict([[1.0, 1.0], [100.0, 105.0], [500.0, 0.0]],
                                    return_diagnostics=True)
    assert np.isfinite(est[0]) and np.isnan(est[1:]).all()
    assert diag["n_samples"].tolist() == [3, 1, 0]
    for key in ("variance", "slope", "efficiency", "lagrange", "mean_distance_m"):
        assert np.isfinite(diag[key][0]) and np.isnan(diag[key][2])
    assert any("2 of 3 targets" in r.getMessage() for r in caplog.records)


def test_multi_column_equals_column_by_column() -> None:
    samples, values, targets = random_data(3, n=90, m=40, seed=14, extent=300.0)
    table = np.column_stack([values, values**2, -values])
    for kwargs in ({}, {"kind": "simple"}, {"block_size": 20.0}):
        kriging = Kriging(NESTED_3D, Neighbourhood(10, radius=100.0), **kwargs)
        both, diag = kriging.fit(samples, table).predict(targets, return_diagnostics=True)
        assert both.shape == (40, 3)
        for c in range(3):
            one, d1 = kriging.clone().fit(samples, table[:, c]).predict(
                targets, return_diagnostics=True)
            np.testing.assert_allclose(both[:, c], one, rtol=1e-11, atol=1e-13)
            np.testing.assert_allclose(diag["variance"], d1["variance"], rtol=1e-11)


def test_chunk_size_does_not_change_the_results() -> None:
    samples, values, targets = random_data(2, n=100, m=97, seed=15)
    for kwargs in ({"neighbourhood": Neighbourhood(12, radius=200.0)}, {"global_search": True},
                   {"neighbourhood": Neighbourhood(8), "block_size": 30.0}):
        kriging = Kriging(SPHERICAL, **kwargs).fit(samples, values)
        a, da = kriging.predict(targets, return_diagnostics=True)
        b, db = kriging.predict(targets, return_diagnostics=True, chunk_size=7)
        np.testing.assert_allclose(a, b, rtol=1e-12)
        for key in da:
            np.testing.assert_allclose(da[key], db[key], rtol=1e-12)


def test_max_per_hole_is_respected_and_matches_brute_force() -> None:
    rng = np.random.default_rng(16)
    collars = rng.uniform(0, 400, (25, 2))
    samples = np.array([[x, y, -5.0 - 10.0 * i] for x, y in collars for i in range(8)])
    holes = np.repeat([f"DH{h:02d}" for h in range(25)], 8)
    values = rng.lognormal(0, 0.5, len(samples))
    targets = rng.uniform(0, 1, (40, 3)) * [400.0, 400.0, -80.0]
    model = VariogramModel(0.1, [Structure("spherical", 0.9, (300.0, 300.0, 60.0))])
    kriging = Kriging(model, Neighbourhood(max_samples=12), max_per_hole=2)
    est, diag = kriging.fit(samples, values, holes=holes).predict(targets,
                                                                  return_diagnostics=True)
    found = kriging.neighbours(targets)
    for j, t in enumerate(targets):
        order = np.argsort(np.linalg.norm(samples - t, axis=1), kind="stable")
        chosen, per = [], {}
        for i in order:  # greedy: nearest first, at most 2 per hole, up to 12
            if per.get(holes[i], 0) < 2:
                chosen.append(i)
                per[holes[i]] = per.get(holes[i], 0) + 1
            if len(chosen) == 12:
                break
        assert sorted(found.index[j]) == sorted(chosen)
        ref = Kriging(model, global_search=True).fit(samples[chosen], values[chosen])
        assert est[j] == pytest.approx(ref.predict([t])[0], rel=1e-9)
    assert (diag["n_samples"] == 12).all()
    with pytest.raises(InputError, match="pass holes= to fit"):
        Kriging(model, max_per_hole=2).fit(samples, values)


@settings(max_examples=25, deadline=None)
@given(shift=st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)),
       scale=st.floats(0.1, 1000.0))
def test_translation_invariance_and_linearity_in_the_values(shift, scale) -> None:
    samples, values, targets = random_data(2, n=40, m=15, seed=17)
    kriging = Kriging(SPHERICAL, Neighbourhood(8))
    base, diag = kriging.fit(samples, values).predict(targets, return_diagnostics=True)
    moved, mdiag = kriging.fit(samples + shift, scale * values + 3.0).predict(
        targets + shift, return_diagnostics=True)
    np.testing.assert_allclose(moved, scale * base + 3.0, rtol=1e-7)
    np.testing.assert_allclose(mdiag["variance"], diag["variance"], rtol=1e-6, atol=1e-9)


def test_parameters_are_validated() -> None:
    linear = VariogramModel(0.0, [Structure("linear", 1.0)])
    samples, values, _ = random_data(2, n=10)
    cases = [
        (Kriging(SPHERICAL, kind="universal"), "kind must be"),
        (Kriging(linear, kind="simple"), "simple kriging needs a covariance"),
        (Kriging(SPHERICAL, mean=2.0), "only used by simple kriging"),
        (Kriging(SPHERICAL, Neighbourhood(4), global_search=True), "uses every sample"),
        (Kriging("spherical"), "must be a VariogramModel"),
        (Kriging(SPHERICAL, block_size=(10.0, 10.0, 10.0)), "block_size must be"),
        (Kriging(SPHERICAL, block_size=10.0, discretisation=(4,)), "discretisation needs"),
        (Kriging(SPHERICAL, max_per_hole=0), "max_per_hole must be >= 1"),
        (Kriging(SPHERICAL, kind="simple", mean=[1.0, 2.0]), "one per value column"),
        (Kriging(VariogramModel(0, [Structure("spherical", 1.0, (1.0, 2.0, 3.0))])),
         "3 ranges but the data are 2-D"),
    ]
    for kriging, message in cases:
        with pytest.raises(InputError, match=message):
            kriging.fit(samples, values)
    with pytest.raises(RareminError, match="not fitted"):
        Kriging(SPHERICAL).predict([[0.0, 0.0]])
    with pytest.raises(InputError, match="fitted on 2"):
        Kriging(SPHERICAL).fit(samples, values).predict([[0.0, 0.0, 0.0]])


def test_init_only_stores_and_clone_is_unfitted() -> None:
    nb = Neighbourhood(8)
    kriging = Kriging(SPHERICAL, nb, kind="simple", mean=1.0, block_size=5.0, max_per_hole=3)
    assert kriging.get_params()["neighbourhood"] is nb
    copy = kriging.clone()
    assert copy.get_params() == kriging.get_params() and not hasattr(copy, "coords_")
    assert repr(copy).startswith("Kriging(model=VariogramModel(")
    samples, values, targets = random_data(2, n=20, m=3)
    fitted = Kriging(SPHERICAL).fit(samples, values)
    est, diag = fitted.predict(np.empty((0, 2)), return_diagnostics=True)
    assert est.shape == (0,) and set(diag) == {"variance", "slope", "efficiency", "lagrange",
                                              "n_samples", "mean_distance_m",
                                              "nearest_distance_m"}



def test_discretisation_is_bounded():
    from raremin.geostats.models import Structure, VariogramModel

    model = VariogramModel(0.0, [Structure("spherical", 1.0, 10.0)])
    kriging = Kriging(model, block_size=(5.0, 5.0, 5.0), discretisation=(100, 100, 100))
    with pytest.raises(InputError, match=r"100 x 100 x 100 makes 1,000,000 points per block"):
        kriging.fit([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [1.0, 2.0])


# ------------------------------------------------------------------ compiled kernel


def anchor_data():
    rng = np.random.default_rng(42)
    xyz = rng.uniform(0, 1, (3000, 3)) * [5000.0, 5000.0, 300.0]
    vals = rng.lognormal(-2.0, 0.8, 3000)
    targets = rng.uniform(0, 1, (6, 3)) * [5000.0, 5000.0, 300.0]
    return xyz, vals, targets


def test_same_numbers_as_the_batched_numpy_solver_it_replaced() -> None:
    """
    Estimates and diagnostics of raremin 0.x's batched numpy solver (the values below
    were printed by it, 17 digits) are reproduced to 1e-10: 3D ordinary point kriging
    with 32 neighbours in an anisotropic search, and simple block kriging with a
    nested anisotropic model.
    """
    xyz, vals, targets = anchor_data()
    ranges = (2000.0, 2000.0, 100.0)
    model = VariogramModel(0.1, [Structure("spherical", 0.9, ranges)])
    kriging = Kriging(model, Neighbourhood(max_samples=32, ranges=ranges, radius=np.inf))
    est, diag = kriging.fit(xyz, vals).predict(targets, return_diagnostics=True)
    np.testing.assert_allclose(est, [0.12033444503384134, 0.22748344440878654,
                                     0.12262330365012009, 0.10425571347423193,
                                     0.0696972341529973, 0.24413783186070773], rtol=1e-10)
    np.testing.assert_allclose(diag["variance"], [0.2762332128756435, 0.34717175358008606,
                                                  0.2734227046712122, 0.21901651168245487,
                                                  0.25785643743208675, 0.24888288234331196],
                               rtol=1e-10)
    np.testing.assert_allclose(diag["lagrange"], [0.01164256481231428, 0.00412805040425709,
                                                  -0.00044343093841568, 0.01221805635244031,
                                                  0.01807596051854178, 0.01587891029871842],
                               rtol=1e-10, atol=1e-13)
    nested = VariogramModel(0.05, [
        Structure("spherical", 0.6, (900.0, 500.0, 80.0), (30.0, -10.0, 5.0)),
        Structure("exponential", 0.35, 3000.0),
    ])
    sk = Kriging(nested, Neighbourhood(max_samples=20), kind="simple", mean=0.15,
                 block_size=(50.0, 50.0, 10.0))
    est, diag = sk.fit(xyz, vals).predict(targets, return_diagnostics=True)
    np.testing.assert_allclose(est, [0.06577727407898289, 0.08622915120585241,
                                     0.18151940541969747, 0.0912796733996328,
                                     0.1810900696894521, 0.1974144142912202], rtol=1e-10)
    np.testing.assert_allclose(diag["variance"], [0.31194661486899955, 0.4954773539881998,
                                                  0.16965983016754516, 0.20361589615202957,
                                                  0.3028181032405173, 0.17025956618126237],
                               rtol=1e-10)
    np.testing.assert_array_equal(diag["slope"], 1.0)


@pytest.mark.parametrize(
    ("kind", "block", "model", "k"),
    [
        ("ordinary", None, SPHERICAL, 32),
        ("ordinary", None, NESTED_3D, 64),
        ("simple", None, NESTED_3D, 20),
        ("ordinary", (30.0, 20.0, 10.0), NESTED_3D, 16),
        ("simple", (30.0, 20.0, 10.0), SPHERICAL, 9),
        ("ordinary", None, VariogramModel(0.2, [Structure("linear", 0.01)]), 12),
        ("ordinary", (30.0, 20.0, 10.0),
         VariogramModel(0.2, [Structure("linear", 0.01), Structure("cubic", 1.0, 300.0)]), 12),
    ],
)
def test_kernel_equals_a_dense_solve_per_target(kind, block, model, k) -> None:
    samples, values, targets = random_data(3, n=400, m=60, seed=21, extent=600.0)
    targets[:3] = samples[:3]  # on samples: the nugget in the right-hand side
    nb = Neighbourhood(max_samples=k, radius=170.0)  # padded targets among full ones
    kwargs = {"kind": kind, "mean": 1.2} if kind == "simple" else {}
    kriging = Kriging(model, nb, block_size=block, discretisation=(2, 3, 2), **kwargs)
    table = np.column_stack([values, np.sqrt(values)])
    est, diag = kriging.fit(samples, table).predict(targets, return_diagnostics=True)
    found = kriging.search_.query(targets)
    assert (found.count < k).any() and (found.count > 1).any()
    offsets = None
    if block is not None:
        axes = [(np.arange(p) + 0.5) / p * b - b / 2 for b, p in zip(block, (2, 3, 2),
                                                                        strict=True)]
        offsets = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    for j in range(len(targets)):
        use = found.index[j, : found.count[j]]
        for c in range(2):
            ref = brute_krige(model, samples[use], table[use, c], targets[j], kind, 1.2, offsets)
            assert est[j, c] == pytest.approx(ref[0], rel=1e-10, abs=1e-12)
        assert diag["variance"][j] == pytest.approx(ref[1], rel=1e-10, abs=1e-12)
        if kind == "ordinary":
            assert diag["lagrange"][j] == pytest.approx(ref[3], rel=1e-9, abs=1e-12)


def test_results_do_not_depend_on_chunks_batches_or_threads(monkeypatch) -> None:
    from raremin.geostats import _system

    samples, values, targets = random_data(3, n=300, m=1500, seed=22, extent=500.0)
    nb = Neighbourhood(max_samples=24, radius=120.0, min_samples=3)
    kriging = Kriging(NESTED_3D, nb).fit(samples, values)
    est, diag = kriging.predict(targets, return_diagnostics=True)
    monkeypatch.setattr(_system, "MIN_TARGETS_PER_THREAD", 16)
    monkeypatch.setattr(_system, "threads", lambda: 3)
    for chunk in (1, 37, 5000):
        est2, diag2 = kriging.predict(targets, return_diagnostics=True, chunk_size=chunk)
        np.testing.assert_array_equal(est2, est)  # bit for bit
        for key in diag:
            np.testing.assert_array_equal(diag2[key], diag[key])
    reordered = kriging.predict(targets[::-1])[::-1]
    np.testing.assert_array_equal(reordered, est)


def test_singular_target_is_named_across_chunks() -> None:
    model = VariogramModel(0.0, [Structure("gaussian", 1.0, 100.0)])
    samples = np.array([[0.0, 0.0], [1e-7, 0.0], [50.0, 0.0], [0.0, 60.0], [500.0, 500.0],
                        [520.0, 480.0]])
    kriging = Kriging(model, Neighbourhood(max_samples=3)).fit(samples, np.arange(6.0))
    targets = [[480.0, 520.0], [490.0, 500.0], [500.0, 490.0], [5.0, 5.0], [510.0, 500.0]]
    with pytest.raises(ConvergenceError, match=r"target 3 at \(5, 5\) with 3 samples"):
        kriging.predict(targets, chunk_size=2)


def test_the_kernel_compiles_lazily_and_is_cached(tmp_path) -> None:
    """
    No compilation at import; fit starts it; a later process loads numba's cache, and
    a change in the code the kernel calls (its fingerprint) compiles it anew.
    """
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import numpy as np\n"
        "import raremin\n"
        "from raremin.geostats import _system\n"
        "from raremin.geostats.kriging import Kriging\n"
        "from raremin.geostats.models import Structure, VariogramModel\n"
        "assert not _system._kernels, 'compiled at import'\n"
        "k = Kriging(VariogramModel(0.1, [Structure('cubic', 1.0, 5.0)]))\n"
        "k.fit(np.arange(12.0).reshape(6, 2), np.arange(6.0))\n"
        "assert set(_system._kernels) == {True}\n"
        "stats = _system.kernel(True).stats\n"
        "from raremin.geostats.neighbourhood import Neighbours\n"
        "found = Neighbours(np.array([[0, 1, 2]]), np.ones((1, 3)), np.ones((1, 3)),\n"
        "                   np.array([3]))\n"
        "est = k.predict_neighbours([[1.0, 2.0]], found)[0][0, 0]\n"
        "print(sum(stats.cache_hits.values()), float(est))\n"
        "if len(sys.argv) > 1:\n"
        "    _system._fingerprint = lambda: 12345\n"
        "    print(sum(_system._compile(True).stats.cache_hits.values()))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", script, *extra], capture_output=True,
                           text=True, env=env, timeout=600) for extra in ([], ["edit"])]
    for run in runs:
        assert run.returncode == 0, run.stderr
    first, second = (run.stdout.split() for run in runs)
    assert list(tmp_path.rglob("*.nbi")), "numba wrote no cache index"
    assert first[0] == "0" and second[0] == "1"  # compiled, then loaded
    assert first[1] == second[1]  # the same estimate
    assert second[2] == "0"  # another fingerprint: not loaded, compiled


_FORK_SCRIPT = """
import multiprocessing
import numpy as np
from scipy.spatial import cKDTree
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbours

rng = np.random.default_rng(23)
samples = rng.uniform(0, 1000, (200, 2))
targets = rng.uniform(0, 1000, (3000, 2))
model = VariogramModel(0.1, [Structure("spherical", 0.9, 400.0)])
kriging = Kriging(model).fit(samples, rng.lognormal(0, 0.6, 200))
d, i = cKDTree(samples).query(targets, k=12)  # the kernel alone, not the search
found = Neighbours(i, d, d, np.full(len(targets), 12))

def child(_):
    return kriging.predict_neighbours(targets, found)[0]

expected = child(0)  # the parent's pool of threads now exists
with multiprocessing.get_context("fork").Pool(1) as pool:
    got = pool.map_async(child, [0]).get(timeout=60)[0]
assert np.array_equal(got, expected)
print("ok")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the fork start method")
def test_kriging_in_a_forked_child_uses_fresh_threads() -> None:
    """A forked child (multiprocessing on Linux) gets its own pool of threads."""
    import subprocess

    proc = subprocess.run([sys.executable, "-c", _FORK_SCRIPT], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize(("setting", "most"), [("1", 1), ("", None), ("x", None)])
def test_threads_respect_numba_num_threads(monkeypatch, setting, most) -> None:
    from raremin.geostats import _system

    monkeypatch.setenv("NUMBA_NUM_THREADS", setting)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert _system.threads() == (most or cpus)
