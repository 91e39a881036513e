"""Tests for raremin.geostats.models: variogram shapes, anisotropy, nesting, errors."""

from __future__ import annotations

import numpy as np
import pytest

from raremin.errors import InputError
from raremin.geostats.models import Structure, VariogramModel


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
