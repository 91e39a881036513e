"""Tests for raremin.geostats.models: variogram shapes, anisotropy, nesting, errors."""

from __future__ import annotations

import numpy as np
import pytest

from raremin.errors import InputError
from raremin.geostats.models import (
    SHAPES,
    Structure,
    VariogramModel,
    _unit_covariance,
    _unit_gamma,
)


@pytest.mark.parametrize(
    ("shape", "h", "expected"),
    [
        ("spherical", 0.5, 1.5 * 0.5 - 0.5 * 0.125),
        ("spherical", 2.0, 1.0),
        ("exponential", 1.0, 1 - np.exp(-3.0)),  # practical range: 95 % of the sill
        ("gaussian", 1.0, 1 - np.exp(-3.0)),
        ("gaussian", 0.5, 1 - np.exp(-0.75)),
        ("cubic", 1.0, 1.0),
        ("cubic", 0.5, 7 * 0.25 - 8.75 * 0.125 + 3.5 * 0.5**5 - 0.75 * 0.5**7),
        ("linear", 3.0, 3.0),
    ],
)
def test_shapes_at_reduced_distances(shape, h, expected):
    assert Structure(shape, 2.0, 10.0).gamma_h(h) == pytest.approx(2.0 * expected, rel=1e-14)


def test_scale_parameters_convert_to_practical_ranges():
    assert Structure.from_scale("exponential", 1.0, 100.0).ranges == (300.0,)
    assert Structure.from_scale("gaussian", 1.0, 100.0).ranges[0] == pytest.approx(
        100.0 * np.sqrt(3.0))
    assert Structure.from_scale("spherical", 1.0, 100.0).ranges == (100.0,)


def test_nugget_is_zero_at_zero_lag_and_full_elsewhere():
    m = VariogramModel(0.2, [Structure("spherical", 0.8, 100.0)])
    g = m.gamma(np.array([[0.0, 0.0], [1e-9, 0.0], [200.0, 0.0]]))
    assert g[0] == 0.0
    assert g[1] == pytest.approx(0.2, abs=1e-9)
    assert g[2] == pytest.approx(1.0)
    np.testing.assert_allclose(m.covariance(np.zeros((1, 2))), [1.0])
    np.testing.assert_allclose(m.gamma_h([0.0, 50.0]), [0.0, 0.2 + 0.8 * 0.6875])


def test_geometric_anisotropy_reaches_the_sill_at_each_range():
    s = Structure("spherical", 1.0, (300.0, 100.0, 20.0), angles=(90.0, 0.0, 0.0))
    m = VariogramModel(0.0, [s])
    # Major axis east, semi-minor north (azimuth 90), minor vertical.
    lags = np.array([[300.0, 0.0, 0.0], [0.0, 100.0, 0.0], [0.0, 0.0, 20.0],
                     [150.0, 0.0, 0.0], [0.0, 150.0, 0.0]])
    np.testing.assert_allclose(m.gamma(lags), [1.0, 1.0, 1.0, 0.6875, 1.0], rtol=1e-12)
    # A dip of -30 tilts the major axis 30 degrees down towards the azimuth.
    tilted = VariogramModel(0.0, [Structure("spherical", 1.0, (300.0, 100.0, 20.0),
                                            (90.0, -30.0, 0.0))])
    down = 300.0 * np.array([np.cos(np.pi / 6), 0.0, -np.sin(np.pi / 6)])
    assert tilted.gamma(down[None, :])[0] == pytest.approx(1.0)
    assert tilted.gamma(0.5 * down[None, :])[0] == pytest.approx(0.6875)


def test_nested_sum_and_reduced_coordinates():
    a = VariogramModel(0.1, [Structure("spherical", 0.4, 50.0)])
    b = VariogramModel(0.05, [Structure("exponential", 0.45, 500.0)])
    both = a + b
    assert both.nugget == pytest.approx(0.15) and len(both.structures) == 2
    assert both.sill == pytest.approx(1.0)
    lags = np.array([[10.0, 20.0, 5.0]])
    np.testing.assert_allclose(both.gamma(lags), a.gamma(lags) + b.gamma(lags))
    xyz = np.array([[0.0, 0.0, 0.0], [30.0, 40.0, 0.0]])
    reduced = both.reduced(xyz)
    assert np.linalg.norm(reduced[0][1] - reduced[0][0]) == pytest.approx(1.0)
    assert "nugget 0.15" in both.describe()


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Structure("spherical", -1.0, 100.0), "sill must be > 0; got -1.0"),
        (lambda: Structure("spherical", 1.0, 0.0), "ranges must be > 0"),
        (lambda: Structure("spherical", 1.0, (100.0, -5.0)), "ranges must be > 0"),
        (lambda: Structure("hole", 1.0, 10.0), "unknown variogram shape 'hole'"),
        (lambda: VariogramModel(-0.1, []), "nugget must be >= 0"),
        (lambda: VariogramModel(0.0, []), "needs a nugget or at least one structure"),
        (lambda: VariogramModel(0.0, [Structure("linear", 1.0)]).sill, "has no sill"),
    ],
)
def test_bad_models_raise(build, match):
    with pytest.raises(InputError, match=match):
        build()


SHAPE_CASES = [(code, shape) for code, shape in enumerate(SHAPES)]


@pytest.mark.parametrize(("code", "shape"), SHAPE_CASES)
def test_each_shape_has_one_variogram_and_one_covariance(code, shape):
    """Covariance of h**2 and variogram of h are the same shape: C = 1 - g (or -h)."""
    h = np.concatenate([np.linspace(0.0, 3.0, 301), [1e-8, 0.999999, 1.000001, 50.0]])
    gamma = _unit_gamma(shape, h)
    cov = _unit_covariance(code, h * h)
    if shape == "linear":
        np.testing.assert_allclose(cov, -h, rtol=1e-15)
    else:
        np.testing.assert_allclose(cov + gamma, 1.0, rtol=0, atol=4e-16)
        assert cov[0] == 1.0 and gamma[0] == 0.0
    assert _unit_covariance(code, 0.25) == pytest.approx(float(_unit_covariance(
        code, np.array([0.25]))[0]), rel=0)  # scalars and arrays alike


@pytest.mark.parametrize(("code", "shape"), SHAPE_CASES)
def test_the_compiled_shapes_give_numpy_s_numbers(code, shape):
    """The kriging kernel compiles the very functions numpy runs (numba, lazily)."""
    from raremin.geostats import _system

    numba = _system.register()
    h2 = np.linspace(0.0, 4.0, 97)
    compiled = numba.njit(lambda c, x: _unit_covariance(c, x))
    fast = np.array([compiled(code, x) for x in h2])
    # sqrt, min and arithmetic round alike; exp may differ in its last bit
    np.testing.assert_allclose(fast, _unit_covariance(code, h2), rtol=4e-16, atol=1e-300)


def test_covariance_equals_sill_minus_gamma_and_needs_a_sill():
    m = VariogramModel(0.1, [Structure("spherical", 0.5, (300.0, 100.0, 20.0), (40.0, -10.0, 0)),
                             Structure("gaussian", 0.3, 150.0),
                             Structure("exponential", 0.2, (500.0, 400.0, 50.0))])
    lags = np.random.default_rng(1).normal(0, 150, (200, 3))
    lags[0] = 0.0
    np.testing.assert_allclose(m.covariance(lags), m.sill - m.gamma(lags), rtol=1e-13,
                               atol=1e-15)
    assert m.covariance(lags)[0] == pytest.approx(1.1)
    with pytest.raises(InputError, match="no sill and no covariance"):
        VariogramModel(0.0, [Structure("linear", 1.0)]).covariance(lags)
