"""Tests of raremin.geostats.variogram: experimental variograms, model fitting, plots."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raremin.errors import InputError, RareminError
from raremin.geostats import variogram as vg
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.variogram import (
    ExperimentalVariogram,
    VariogramFit,
    experimental_variogram,
    fit_variogram,
    plot_variogram,
)

LITERATURE_Z = [41.2, 40.2, 39.7, 39.2, 40.1, 38.3, 39.1, 40.0, 41.1, 40.3]


# ------------------------------------------------------------------ brute force helpers
def _bin_of(h, edges):
    """Bin of a distance with (lo, hi] bins, the first closed at 0; None outside."""
    for k in range(len(edges) - 1):
        if edges[k] < h <= edges[k + 1] or (k == 0 and h == 0 and edges[0] == 0):
            return k
    return None


def _gslib_accepts(d, az, dip, tol, band, dip_tol, dip_band):
    """The pair tests of GSLIB gamv for one lag vector, written out pair by pair."""
    h = math.sqrt(sum(c * c for c in d))
    if h == 0:
        return True
    ux, uy = math.sin(math.radians(az)), math.cos(math.radians(az))
    if len(d) == 2:
        along = d[0] * ux + d[1] * uy
        perp = math.hypot(d[0] - along * ux, d[1] - along * uy)  # distance from the line
        angle = math.degrees(math.acos(min(1.0, abs(along) / h)))
        return angle <= tol and perp <= band
    cd, sd = math.cos(math.radians(dip)), math.sin(math.radians(dip))
    dxy = math.hypot(d[0], d[1])
    along_h = d[0] * ux + d[1] * uy
    if abs(d[0] * uy - d[1] * ux) > band:
        return False
    s = -1.0 if along_h < 0 else 1.0
    if abs(d[2] * cd - s * dxy * sd) > dip_band:
        return False
    if dip_tol is None:
        u = (cd * ux, cd * uy, sd)
        cosang = abs(sum(a * b for a, b in zip(d, u, strict=True))) / h
        return math.degrees(math.acos(min(1.0, cosang))) <= tol
    if dxy > 0 and math.degrees(math.acos(min(1.0, abs(along_h) / dxy))) > tol:
        return False
    cosdip = abs(s * dxy * cd + d[2] * sd) / h
    return math.degrees(math.acos(min(1.0, cosdip))) <= dip_tol


def brute_variogram(xyz, z, edges, az=None, dip=0.0, tol=22.5, band=np.inf, dip_tol=None,
                    dip_band=np.inf, w=None):
    """Reference variogram: a double loop over all pairs."""
    n_bins = len(edges) - 1
    count = np.zeros(n_bins, int)
    num = np.zeros(n_bins)
    den = np.zeros(n_bins)
    dist = np.zeros(n_bins)
    w = np.ones(len(z)) if w is None else np.asarray(w, float)
    for i in range(len(z)):
        for j in range(i + 1, len(z)):
            d = [float(b - a) for a, b in zip(xyz[i], xyz[j], strict=True)]
            h = math.sqrt(sum(c * c for c in d))
            k = _bin_of(h, edges)
            if k is None:
                continue
            if az is not None and not _gslib_accepts(d, az, dip, tol, band, dip_tol, dip_band):
                continue
            count[k] += 1
            dist[k] += h
            num[k] += w[i] * w[j] * (z[i] - z[j]) ** 2
            den[k] += w[i] * w[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        return count, dist / count, num / (2 * den)


def exact_variogram(model, edges, n_pairs=100, azimuth=None, dip=0.0, ndim=None):
    """An experimental variogram whose values are the model's, at the bin centres."""
    edges = np.asarray(edges, float)
    lags = 0.5 * (edges[:-1] + edges[1:])
    probe = ExperimentalVariogram(lags, np.zeros_like(lags), [1] * lags.size, edges,
                                  azimuth=azimuth, dip=dip, ndim=ndim)
    if azimuth is None:
        gamma = model.gamma_h(lags)
    else:
        dims = ndim or 2
        gamma = model.gamma(lags[:, None] * probe._unit_vector(dims)[None, :])
    return dataclasses.replace(probe, gamma=gamma, n_pairs=np.full(lags.size, n_pairs))


def cholesky_fields(n, model, n_fields, seed, extent=1000.0):
    """Gaussian fields (columns) at n random points in a square, covariance of `model`."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, extent, (n, 2))
    lags = xy[:, None, :] - xy[None, :, :]
    cov = model.covariance(lags.reshape(-1, 2)).reshape(n, n)
    chol = np.linalg.cholesky(cov + 1e-10 * np.eye(n))
    return xy, chol @ rng.standard_normal((n, n_fields))


# ----------------------------------------------------------------- reference datasets
def test_meuse_matches_gstat_defaults(validation_dir) -> None:
    meuse = pd.read_csv(validation_dir / "meuse" / "meuse.txt")
    xy = meuse[["x", "y"]].to_numpy(float)
    ev = experimental_variogram(xy, np.log(meuse["zinc"].to_numpy(float)))
    diagonal = math.hypot(*(xy.max(axis=0) - xy.min(axis=0)))
    assert ev.n_bins == 15
    np.testing.assert_allclose(ev.bin_edges, np.linspace(0, diagonal / 3, 16), rtol=1e-15)
    assert ev.n_pairs[0] == 57
    np.testing.assert_allclose(ev.lag_m[0], 79.29244, rtol=5e-7)
    np.testing.assert_allclose(ev.gamma[0], 0.1234479, rtol=5e-7)
    np.testing.assert_allclose(ev.gamma[14], 0.5748227, rtol=5e-7)
    assert ev.n_pairs[14] == 415
    fit = fit_variogram(ev, "spherical")  # gstat's fit: about 0.05 + Sph(0.59, 897 m)
    nugget, (s,) = fit.model.nugget, fit.model.structures
    assert 0.02 < nugget < 0.09 and 0.5 < s.sill < 0.65 and 800 < s.ranges[0] < 1000


def test_literature_series_1d() -> None:
    ev = experimental_variogram(np.arange(10.0), LITERATURE_Z, bins=np.arange(0.5, 9.0))
    assert round(float(ev.gamma[0]), 4) == 0.4917
    assert round(float(ev.gamma[1]), 4) == 0.7625
    assert ev.n_pairs.tolist() == [9, 8, 7, 6, 5, 4, 3, 2]
    np.testing.assert_allclose(ev.lag_m, np.arange(1.0, 9.0))
    column = experimental_variogram(np.arange(10.0)[:, None], LITERATURE_Z,
                                    bins=np.arange(0.5, 9.0))
    np.testing.assert_array_equal(column.gamma, ev.gamma)


def test_matches_gstools_omnidirectional_and_directional() -> None:
    gs = pytest.importorskip("gstools")
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 100, (250, 2))
    z = rng.normal(size=250)
    edges = np.linspace(0, 40, 9)
    _, gamma, counts = gs.vario_estimate(xy.T, z, edges, return_counts=True)
    ours = experimental_variogram(xy, z, bins=edges)
    np.testing.assert_array_equal(ours.n_pairs, counts)
    np.testing.assert_allclose(ours.gamma, gamma, rtol=1e-12)
    for az in (0.0, 35.0, 90.0):
        rad = math.radians(az)
        _, gamma, counts = gs.vario_estimate(
            xy.T, z, edges, direction=[[math.sin(rad), math.cos(rad)]],
            angles_tol=math.radians(20), bandwidth=8.0, return_counts=True)
        ours = experimental_variogram(xy, z, bins=edges, azimuth=az, angle_tolerance=20,
                                      bandwidth=8.0)
        np.testing.assert_array_equal(ours.n_pairs, np.ravel(counts))
        np.testing.assert_allclose(ours.gamma, np.ravel(gamma), rtol=1e-12)


# ---------------------------------------------------------------------- binning rules
def test_default_bins_are_a_third_of_the_diagonal() -> None:
    xy = np.array([[0.0, 0.0], [300.0, 0.0], [0.0, 400.0], [120.0, 80.0]])
    ev = experimental_variogram(xy, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(ev.bin_edges, np.linspace(0, 500 / 3, 16))
    assert ev.max_lag == pytest.approx(500 / 3)


def test_bins_are_open_below_closed_above() -> None:
    x = np.array([0.0, 1.0, 2.0, 2.0])
    ev = experimental_variogram(x, [0.0, 1.0, 3.0, 5.0], bins=[0.0, 1.0, 2.0])
    # distances: 1, 2, 2, 1, 1, 0 -> bin [0, 1] holds 1, 1, 1 and the coincident pair
    assert ev.n_pairs.tolist() == [4, 2]
    np.testing.assert_allclose(ev.lag_m, [0.75, 2.0])
    np.testing.assert_allclose(ev.gamma, [(1 + 4 + 16 + 4) / 8, (9 + 25) / 4])
    shifted = experimental_variogram(x, [0.0, 1.0, 3.0, 5.0], bins=[0.5, 1.0, 2.0])
    assert shifted.n_pairs.tolist() == [3, 2]  # no zero-distance pair without an edge at 0


def test_lag_width_and_max_lag() -> None:
    x = np.arange(20.0)
    ev = experimental_variogram(x, np.sin(x), lag_width=2.0, max_lag=7.0)
    np.testing.assert_allclose(ev.bin_edges, [0, 2, 4, 6, 7])
    ev = experimental_variogram(x, np.sin(x), lag_width=2.0, n_lags=3)
    np.testing.assert_allclose(ev.bin_edges, [0, 2, 4, 6])
    ev = experimental_variogram(x, np.sin(x), max_lag=10.0, n_lags=4)
    np.testing.assert_allclose(ev.bin_edges, [0, 2.5, 5, 7.5, 10])


def test_empty_bins_are_nan_with_zero_pairs() -> None:
    ev = experimental_variogram([0.0, 10.0], [1.0, 2.0], bins=[0.0, 5.0, 10.0])
    assert ev.n_pairs.tolist() == [0, 1]
    assert np.isnan(ev.gamma[0]) and np.isnan(ev.lag_m[0])
    assert ev.gamma[1] == 0.5


# ------------------------------------------------------------------------- directions
@pytest.mark.parametrize(
    ("az", "tol", "band"),
    [(0.0, 22.5, np.inf), (90.0, 22.5, 6.0), (33.0, 10.0, 4.0), (135.0, 45.0, 2.5),
     (60.0, 90.0, 5.0)],
)
def test_directional_2d_matches_double_loop(az, tol, band) -> None:
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 50, (90, 2))
    z = rng.normal(size=90)
    edges = np.linspace(0, 30, 7)
    ev = experimental_variogram(xy, z, bins=edges, azimuth=az, angle_tolerance=tol,
                                bandwidth=band)
    count, dist, gamma = brute_variogram(xy, z, edges, az, tol=tol, band=band)
    np.testing.assert_array_equal(ev.n_pairs, count)
    np.testing.assert_allclose(ev.lag_m, dist, rtol=1e-12)
    np.testing.assert_allclose(ev.gamma, gamma, rtol=1e-12)


@pytest.mark.parametrize(
    ("az", "dip", "tol", "band", "dip_tol", "dip_band"),
    [(0.0, 0.0, 22.5, np.inf, None, np.inf), (45.0, -30.0, 20.0, 8.0, None, 4.0),
     (100.0, 0.0, 30.0, 6.0, 10.0, 3.0), (0.0, -90.0, 15.0, 5.0, None, np.inf),
     (210.0, 25.0, 25.0, np.inf, 15.0, np.inf)],
)
def test_directional_3d_matches_double_loop(az, dip, tol, band, dip_tol, dip_band) -> None:
    rng = np.random.default_rng(11)
    xyz = rng.uniform(0, 40, (80, 3)) * [1.0, 1.0, 0.5]
    z = rng.lognormal(size=80)
    edges = np.linspace(0, 24, 7)
    ev = experimental_variogram(xyz, z, bins=edges, azimuth=az, dip=dip, angle_tolerance=tol,
                                bandwidth=band, dip_tolerance=dip_tol, dip_bandwidth=dip_band)
    count, dist, gamma = brute_variogram(xyz, z, edges, az, dip, tol, band, dip_tol, dip_band)
    assert count.sum() > 0
    np.testing.assert_array_equal(ev.n_pairs, count)
    np.testing.assert_allclose(ev.lag_m, dist, rtol=1e-12)
    np.testing.assert_allclose(ev.gamma, gamma, rtol=1e-12)


def test_opposite_directions_count_each_pair_once() -> None:
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 100, (120, 2))
    z = rng.normal(size=120)
    edges = np.linspace(0, 50, 6)
    east = experimental_variogram(xy, z, bins=edges, azimuth=90.0)
    west = experimental_variogram(xy, z, bins=edges, azimuth=270.0)
    np.testing.assert_array_equal(east.n_pairs, west.n_pairs)
    np.testing.assert_allclose(east.gamma, west.gamma)
    omni = experimental_variogram(xy, z, bins=edges)
    every = experimental_variogram(xy, z, bins=edges, azimuth=90.0, angle_tolerance=90.0)
    np.testing.assert_array_equal(every.n_pairs, omni.n_pairs)
    # four sectors of 22.5 degrees either side cover each pair exactly once
    sectors = sum(experimental_variogram(xy, z, bins=edges, azimuth=a).n_pairs
                  for a in (0.0, 45.0, 90.0, 135.0))
    np.testing.assert_array_equal(sectors, omni.n_pairs)


def test_grid_lags_on_the_tolerance_are_accepted() -> None:
    gx, gy = np.meshgrid(np.arange(5.0), np.arange(5.0))
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    z = np.arange(25.0)
    ev = experimental_variogram(xy, z, bins=[0.5, 1.2], azimuth=0.0, angle_tolerance=45.0)
    diag = experimental_variogram(xy, z, bins=[1.2, 1.5], azimuth=0.0, angle_tolerance=45.0)
    assert ev.n_pairs.tolist() == [20]  # north-south unit lags only
    assert diag.n_pairs.tolist() == [32]  # the diagonals, exactly at 45 degrees
    band = experimental_variogram(xy, z, bins=[0.5, 4.5], azimuth=0.0, angle_tolerance=90.0,
                                  bandwidth=1.0)
    count, _, _ = brute_variogram(xy, z, [0.5, 4.5], 0.0, tol=90.0, band=1.0 + 1e-9)
    np.testing.assert_array_equal(band.n_pairs, count)


def test_anisotropic_trend_shows_in_directions() -> None:
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 1000, (400, 2))
    z = xy[:, 0] / 100.0 + 0.05 * rng.standard_normal(400)  # a trend along east only
    kwargs = {"n_lags": 8, "max_lag": 400.0, "angle_tolerance": 15.0}
    ew = experimental_variogram(xy, z, azimuth=90.0, **kwargs)
    ns = experimental_variogram(xy, z, azimuth=0.0, **kwargs)
    assert np.all(ew.gamma > 10 * ns.gamma)
    assert np.all(np.diff(ew.gamma) > 0)  # grows like h**2 / 2 along the trend
    np.testing.assert_allclose(ew.gamma[-1], 0.5 * (ew.lag_m[-1] / 100) ** 2, rtol=0.15)
    assert "azimuth 90" in ew.direction and ns.direction.startswith("azimuth 0")


# --------------------------------------------------------------- weights and chunking
def test_declustering_weights_match_double_loop() -> None:
    rng = np.random.default_rng(9)
    xy = rng.uniform(0, 30, (60, 2))
    z = rng.normal(size=60)
    w = rng.uniform(0.2, 3.0, 60)
    edges = np.linspace(0, 15, 6)
    ev = experimental_variogram(xy, z, bins=edges, weights=w)
    count, dist, gamma = brute_variogram(xy, z, edges, w=w)
    np.testing.assert_array_equal(ev.n_pairs, count)
    np.testing.assert_allclose(ev.gamma, gamma, rtol=1e-12)
    np.testing.assert_allclose(ev.lag_m, dist, rtol=1e-12)
    mean = np.sum(w * z) / w.sum()
    assert ev.variance == pytest.approx(np.sum(w * (z - mean) ** 2) / w.sum())
    same = experimental_variogram(xy, z, bins=edges, weights=np.full(60, 2.5))
    np.testing.assert_allclose(same.gamma, experimental_variogram(xy, z, bins=edges).gamma)


def test_zero_weights_leave_pairs_out() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0])
    z = np.array([0.0, 1.0, 5.0, 2.0])
    ev = experimental_variogram(x, z, bins=[0.5, 1.5, 2.5], weights=[1.0, 1.0, 0.0, 1.0])
    assert ev.n_pairs.tolist() == [1, 1]  # only (0, 1) at lag 1 and (1, 3) at lag 2
    np.testing.assert_allclose(ev.gamma, [0.5, 0.5])


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_chunked_pairs_equal_single_query(monkeypatch, ndim) -> None:
    rng = np.random.default_rng(ndim)
    xyz = rng.uniform(0, 100, (300, ndim))
    z = rng.normal(size=300)
    kwargs = {"n_lags": 10, "max_lag": 60.0}
    if ndim > 1:
        kwargs["azimuth"] = 30.0
    whole = experimental_variogram(xyz, z, **kwargs)
    monkeypatch.setattr(vg, "PAIR_BUDGET", 1000)
    chunked = experimental_variogram(xyz, z, **kwargs)
    np.testing.assert_array_equal(chunked.n_pairs, whole.n_pairs)
    np.testing.assert_allclose(chunked.gamma, whole.gamma, rtol=1e-12)
    np.testing.assert_allclose(chunked.lag_m, whole.lag_m, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 25),
    seed=st.integers(0, 2**31),
    shift=st.floats(-1e3, 1e3),
    scale=st.floats(0.1, 10.0),
)
def test_properties_of_the_estimator(n, seed, shift, scale) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, (n, 2))
    z = rng.normal(size=n)
    edges = np.linspace(0, 15, 4)
    ev = experimental_variogram(xy, z, bins=edges)
    moved = experimental_variogram(xy + 7.0, scale * z + shift, bins=edges)
    np.testing.assert_array_equal(moved.n_pairs, ev.n_pairs)
    np.testing.assert_allclose(moved.gamma, scale**2 * ev.gamma, rtol=1e-6, atol=1e-9)
    h = np.linalg.norm(xy[:, None] - xy[None, :], axis=-1)[np.triu_indices(n, 1)]
    assert ev.n_pairs.sum() == np.count_nonzero(h <= 15.0)
    assert np.all(np.nan_to_num(ev.gamma) >= 0)


# ------------------------------------------------------------------------ input checks
def test_nan_value_is_reported_with_position() -> None:
    with pytest.raises(InputError, match="position 3"):
        experimental_variogram(np.arange(5.0), [1.0, 2.0, 3.0, np.nan, 5.0])
    with pytest.raises(InputError, match="coordinates.*position"):
        experimental_variogram([[0.0, 0.0], [np.nan, 1.0]], [1.0, 2.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"angle_tolerance": 0.0, "azimuth": 0.0}, "angle_tolerance"),
        ({"angle_tolerance": 91.0, "azimuth": 0.0}, "angle_tolerance"),
        ({"angle_tolerance": -5.0}, "angle_tolerance"),
        ({"dip_tolerance": 120.0}, "dip_tolerance"),
        ({"bandwidth": 0.0, "azimuth": 0.0}, "bandwidth"),
        ({"n_lags": 0}, "n_lags"),
        ({"n_lags": 2.5}, "n_lags"),
        ({"lag_width": -1.0}, "lag_width"),
        ({"max_lag": 0.0}, "max_lag"),
        ({"bins": [0.0, 2.0, 1.0]}, "increasing"),
        ({"bins": [-1.0, 2.0]}, ">= 0"),
        ({"bins": [1.0]}, "at least 2"),
        ({"bins": 5}, "n_lags"),
        ({"bins": [0.0, 1.0], "max_lag": 3.0}, "not both"),
        ({"azimuth": 0.0, "dip": -30.0}, "dip"),
        ({"dip": -30.0}, "azimuth"),
        ({"weights": [1.0, -1.0, 1.0, 1.0]}, "negative"),
        ({"weights": [1.0, 1.0]}, "one value per sample"),
    ],
)
def test_bad_arguments_raise(kwargs, match) -> None:
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    with pytest.raises(InputError, match=match):
        experimental_variogram(xy, [1.0, 2.0, 3.0, 4.0], **kwargs)


def test_bad_samples_raise() -> None:
    with pytest.raises(InputError, match="at least 2 samples"):
        experimental_variogram([[0.0, 0.0]], [1.0])
    with pytest.raises(InputError, match="one value per sample"):
        experimental_variogram([[0.0, 0.0], [1.0, 1.0]], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="same location"):
        experimental_variogram([[1.0, 1.0], [1.0, 1.0]], [1.0, 2.0])
    with pytest.raises(InputError, match="1-D data have no direction"):
        experimental_variogram([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], azimuth=0.0)
    with pytest.raises(InputError, match="shape"):
        experimental_variogram(np.zeros((3, 4)), [1.0, 2.0, 3.0])
    with pytest.raises(RareminError):
        experimental_variogram([[0.0, 0.0], [1.0, 1.0]], ["a", "b"])


def test_experimental_variogram_object() -> None:
    ev = experimental_variogram(np.arange(10.0), LITERATURE_Z, bins=[0.5, 1.5, 2.5])
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.gamma = None
    with pytest.raises(ValueError, match="read-only"):
        ev.gamma[0] = 1.0
    frame = ev.to_frame()
    assert list(frame.columns) == ["bin_lo_m", "bin_hi_m", "lag_m", "gamma", "n_pairs"]
    assert frame["n_pairs"].tolist() == [9, 8]
    assert ev.direction == "omnidirectional" and ev.ndim == 1
    with pytest.raises(InputError, match="one value per bin"):
        ExperimentalVariogram([1.0], [1.0, 2.0], [3], [0.0, 2.0])
    with pytest.raises(InputError, match="whole numbers"):
        ExperimentalVariogram([1.0], [1.0], [-3], [0.0, 2.0])
    with pytest.raises(InputError, match="strictly increasing"):
        ExperimentalVariogram([1.0], [1.0], [3], [2.0, 2.0])
    with pytest.raises(InputError, match="gamma is nan in bin 0"):
        ExperimentalVariogram([1.0], [np.nan], [3], [0.0, 2.0])


# ------------------------------------------------------------------------------ fitting
@pytest.mark.parametrize(
    "model",
    [
        VariogramModel(0.2, [Structure("spherical", 1.3, 420.0)]),
        VariogramModel(0.05, [Structure("exponential", 0.8, 650.0)]),
        VariogramModel(0.1, [Structure("gaussian", 2.0, 300.0)]),
        VariogramModel(0.3, [Structure("cubic", 1.0, 380.0)]),
    ],
)
@pytest.mark.parametrize("weighting", ["cressie", "npairs", "none"])
def test_fit_recovers_exact_model(model, weighting) -> None:
    ev = exact_variogram(model, np.linspace(0, 800, 21))
    fit = fit_variogram(ev, model.structures[0].shape, weighting=weighting)
    (got,), (true,) = fit.model.structures, model.structures
    assert fit.model.nugget == pytest.approx(model.nugget, rel=1e-6)
    assert got.sill == pytest.approx(true.sill, rel=1e-6)
    assert got.ranges[0] == pytest.approx(true.ranges[0], rel=1e-6)
    assert fit.rmse < 1e-8 and fit.weighted_sse < 1e-12
    assert isinstance(fit, VariogramFit) and fit.weighting == weighting
    assert list(fit.table.columns) == ["direction", "lag_m", "n_pairs", "gamma", "gamma_model",
                                       "residual"]
    assert len(fit.table) == 20


def test_fit_nested_fixed_sill_and_fixed_nugget() -> None:
    model = VariogramModel(0.1, [Structure("spherical", 0.4, 120.0),
                                 Structure("spherical", 0.5, 600.0)])
    ev = exact_variogram(model, np.linspace(0, 900, 37))
    fit = fit_variogram(ev, ("spherical", "spherical"))
    short, long_ = sorted(fit.model.structures, key=lambda s: s.ranges[0])
    assert fit.model.nugget == pytest.approx(0.1, rel=1e-6)
    assert (short.sill, short.ranges[0]) == pytest.approx((0.4, 120.0), rel=1e-6)
    assert (long_.sill, long_.ranges[0]) == pytest.approx((0.5, 600.0), rel=1e-6)
    fixed = fit_variogram(ev, ("spherical", "spherical"), sill=1.0, ranges=[100.0, 500.0])
    assert fixed.model.sill == pytest.approx(1.0, rel=1e-12)
    assert fixed.model.nugget == pytest.approx(0.1, rel=1e-6)
    one = exact_variogram(VariogramModel(0.25, [Structure("exponential", 1.0, 500.0)]),
                          np.linspace(0, 1000, 11))
    got = fit_variogram(one, "exponential", nugget=0.25)
    assert got.model.nugget == 0.25
    assert got.model.structures[0].ranges[0] == pytest.approx(500.0, rel=1e-6)
    none = fit_variogram(one, "exponential", nugget=False, sill=1.25)
    assert none.model.nugget == 0 and none.model.sill == pytest.approx(1.25)


def test_fit_linear_structure() -> None:
    model = VariogramModel(0.5, [Structure("linear", 0.002)])  # 0.002 per metre
    ev = exact_variogram(model, np.linspace(0, 500, 11))
    fit = fit_variogram(ev, "linear")
    np.testing.assert_allclose(fit.model.gamma_h([100.0, 400.0]), model.gamma_h([100.0, 400.0]),
                               rtol=1e-6)


def test_fit_geometric_anisotropy_2d() -> None:
    true = VariogramModel(0.1, [Structure("spherical", 1.0, (500.0, 200.0), (30.0, 0.0, 0.0))])
    edges = np.linspace(0, 600, 13)
    major = exact_variogram(true, edges, azimuth=30.0, ndim=2)
    minor = exact_variogram(true, edges, azimuth=120.0, ndim=2)
    fit = fit_variogram([minor, major], "spherical")
    (s,) = fit.model.structures
    assert fit.model.nugget == pytest.approx(0.1, rel=1e-6)
    assert s.ranges == pytest.approx((500.0, 200.0), rel=1e-6)
    assert s.angles == (30.0, 0.0, 0.0)
    assert set(fit.table["direction"]) == {major.direction, minor.direction}
    pooled = fit_variogram([minor, major], "spherical", anisotropy=False)
    assert pooled.model.is_isotropic and pooled.rmse > fit.rmse


def test_fit_geometric_anisotropy_3d() -> None:
    true = VariogramModel(0.0, [Structure("exponential", 2.0, (900.0, 400.0, 60.0),
                                          (90.0, 0.0, 0.0))])
    evs = [exact_variogram(true, np.linspace(0, 1000, 11), azimuth=0.0, ndim=3),
           exact_variogram(true, np.linspace(0, 1000, 11), azimuth=90.0, ndim=3),
           exact_variogram(true, np.linspace(0, 120, 11), azimuth=0.0, dip=-90.0, ndim=3)]
    fit = fit_variogram(evs, "exponential", nugget=False)
    (s,) = fit.model.structures
    assert s.ranges == pytest.approx((900.0, 400.0, 60.0), rel=1e-6)
    assert s.angles == (90.0, 0.0, 0.0)
    with pytest.raises(InputError, match="vertical variogram"):
        fit_variogram(evs[:2], "exponential")


def test_fit_simulated_exponential_field() -> None:
    # One realisation's range is uncertain (about +-40 % here); eight realisations on the
    # same 800 points, their variograms averaged bin by bin, pin it down.
    true = VariogramModel(0.0, [Structure("exponential", 1.0, 150.0)])
    xy, fields = cholesky_fields(800, true, n_fields=8, seed=4)
    evs = [experimental_variogram(xy, z, n_lags=15, max_lag=300.0) for z in fields.T]
    assert all(np.array_equal(ev.n_pairs, evs[0].n_pairs) for ev in evs)
    pooled = dataclasses.replace(evs[0], gamma=np.mean([ev.gamma for ev in evs], axis=0))
    for weighting in ("cressie", "npairs"):
        fit = fit_variogram(pooled, "exponential", weighting=weighting)
        (s,) = fit.model.structures
        assert abs(s.ranges[0] - 150.0) < 0.3 * 150.0
        assert fit.model.sill == pytest.approx(1.0, rel=0.3)
        assert fit.model.nugget < 0.1


def test_fit_warns_when_range_hits_its_bound() -> None:
    ev = exact_variogram(VariogramModel(0.0, [Structure("linear", 1.0)]), np.linspace(0, 10, 6))
    with pytest.warns(UserWarning, match="upper bound"):
        fit = fit_variogram(ev, "spherical", nugget=False)
    assert fit.model.structures[0].ranges[0] == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bounds": {"sill": (-1.0, 2.0)}}, "bounds\\['sill'\\]"),
        ({"bounds": {"range": (100.0, 50.0)}}, "low < high"),
        ({"bounds": {"nugget": (0.0, 1.0), "other": (0, 1)}}, "unknown bounds"),
        ({"bounds": {"range": [(1.0, 2.0)] * 3}}, "one pair per structure"),
        ({"ranges": [0.0]}, "> 0"),
        ({"ranges": [100.0, 200.0]}, "one initial range per structure"),
        ({"shapes": ("circular",)}, "unknown variogram shape"),
        ({"shapes": ()}, "at least one structure"),
        ({"weighting": "gstat"}, "unknown weighting"),
        ({"sill": -2.0}, "sill"),
        ({"sill": 1.0, "shapes": ("linear",)}, "no sill"),
        ({"sill": 1.0, "bounds": {"sill": (0.0, 1.0)}}, "not both"),
        ({"nugget": -0.1}, "nugget"),
        ({"nugget": 0.1, "bounds": {"nugget": (0.0, 1.0)}}, "nugget=True"),
        ({"anisotropy": True}, "omnidirectional"),
    ],
)
def test_fit_bad_arguments_raise(kwargs, match) -> None:
    ev = exact_variogram(VariogramModel(0.1, [Structure("spherical", 1.0, 300.0)]),
                         np.linspace(0, 500, 11))
    shapes = kwargs.pop("shapes", ("spherical",))
    with pytest.raises(InputError, match=match):
        fit_variogram(ev, shapes, **kwargs)


def test_fit_bad_variograms_raise() -> None:
    empty = ExperimentalVariogram([np.nan, np.nan], [np.nan, np.nan], [0, 0], [0.0, 1.0, 2.0])
    with pytest.raises(InputError, match="empty"):
        fit_variogram(empty)
    with pytest.raises(InputError, match="list is empty"):
        fit_variogram([])
    with pytest.raises(InputError, match="ExperimentalVariogram"):
        fit_variogram({"gamma": [1.0]})
    two = ExperimentalVariogram([1.0, 2.0], [0.5, 0.8], [10, 10], [0.0, 1.5, 2.5])
    with pytest.raises(InputError, match="cannot determine"):
        fit_variogram(two, ("spherical", "spherical"))
    model = VariogramModel(0.0, [Structure("spherical", 1.0, 300.0)])
    a = exact_variogram(model, np.linspace(0, 500, 6), azimuth=0.0)
    b = exact_variogram(model, np.linspace(0, 500, 6), azimuth=60.0)
    with pytest.raises(InputError, match="perpendicular"):
        fit_variogram([a, b])


# ----------------------------------------------------------------------------- plotting
def test_plot_single_variogram_with_model() -> None:
    import matplotlib.pyplot as plt

    model = VariogramModel(0.2, [Structure("spherical", 1.0, 300.0)])
    ev = exact_variogram(model, np.linspace(0, 500, 6))
    fig, ax = plt.subplots()
    out = plot_variogram(ev, ax, model=model)
    assert out is ax
    assert ax.get_xlabel() == "Lag distance (m)" and ax.get_ylabel() == "Semivariogram"
    (points,) = ax.collections
    assert len(points.get_offsets()) == 5
    assert [t.get_text() for t in ax.texts] == ["100"] * 5
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), model.gamma_h(line.get_xdata()))
    assert ax.get_legend() is not None
    plt.close(fig)


def test_plot_directions_sized_by_pairs_and_legend() -> None:
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(8)
    xy = rng.uniform(0, 100, (150, 2))
    z = rng.normal(size=150)
    evs = [experimental_variogram(xy, z, n_lags=5, max_lag=50.0, azimuth=a) for a in (0, 90)]
    ax = plot_variogram(evs, labels=["N-S", "E-W"])
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["N-S", "E-W"]
    sizes = ax.collections[0].get_sizes()
    counts = evs[0].n_pairs[evs[0].n_pairs > 0]
    assert np.argmax(sizes) == np.argmax(counts)
    assert len(ax.texts) == sum(int((ev.n_pairs > 0).sum()) for ev in evs)
    fit = fit_variogram(evs, "exponential")
    ax2 = fit.plot()
    assert len(ax2.get_lines()) == 2
    assert ax2.get_legend() is not None
    with pytest.raises(InputError, match="one label per variogram"):
        plot_variogram(evs, labels=["only one"])
    with pytest.raises(InputError, match="omnidirectional"):
        plot_variogram(experimental_variogram(xy, z), model=fit)
    with pytest.raises(InputError, match="Axes"):
        plot_variogram(evs[0], ax="not axes")
    plt.close("all")



@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_lags": 10**9}, r"n_lags = 1e\+09 lag bins is more than the limit of 10,000"),
     ({"n_lags": 1e9}, r"n_lags = 1e\+09 lag bins"),
     ({"lag_width": 1e-6, "max_lag": 100.0}, r"makes 100,000,000 lag bins")],
)
def test_lag_bins_are_bounded_before_any_allocation(kwargs, match):
    from raremin.geostats.variogram import experimental_variogram

    xy = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    with pytest.raises(InputError, match=match):
        experimental_variogram(xy, [1.0, 2.0, 3.0], **kwargs)
