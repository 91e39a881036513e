"""Tests of raremin.undiscovered.grades (ilr and the grade model)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from raremin.errors import InputError
from raremin.undiscovered.grades import GradeModel, ilr, ilr_basis, ilr_inverse

#: 15 rare-earth oxides (La2O3 ... Lu2O3 without Pm, plus Y2O3), share of TREO of a
#: light-REE-rich deposit, for a 15-component test composition.
REE_SHARES = np.array([0.30, 0.45, 0.045, 0.14, 0.018, 0.004, 0.01, 0.001, 0.004, 0.0007,
                       0.0015, 0.0002, 0.001, 0.0001, 0.0235])


@pytest.mark.parametrize("d", [2, 3, 5, 16])
def test_basis_is_orthonormal_and_centred(d):
    v = ilr_basis(d)
    np.testing.assert_allclose(v.T @ v, np.eye(d - 1), atol=1e-14)
    np.testing.assert_allclose(v.sum(axis=0), 0.0, atol=1e-14)


def test_pivot_coordinate_formula():
    x = np.array([2.0, 3.0, 5.0, 7.0])
    z = ilr(x)
    expected0 = np.sqrt(3 / 4) * np.log(2.0 / np.prod([3.0, 5.0, 7.0]) ** (1 / 3))
    expected2 = np.sqrt(1 / 2) * np.log(5.0 / 7.0)
    assert z[0] == pytest.approx(expected0) and z[2] == pytest.approx(expected2)


@settings(max_examples=60, deadline=None)
@given(arrays(float, st.tuples(st.integers(1, 5), st.integers(2, 16)),
              elements=st.floats(1e-6, 1e3)))
def test_round_trip(x):
    closed = x / x.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(ilr_inverse(ilr(x)), closed, rtol=0, atol=1e-12)


def test_ilr_is_scale_invariant_and_rejects_zeros():
    x = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(ilr(x), ilr(100 * x), atol=1e-14)
    with pytest.raises(InputError, match="> 0"):
        ilr([0.0, 1.0])
    with pytest.raises(InputError, match="at least 2"):
        ilr([1.0])


def _known(rng, n=40):
    cu = 10 ** rng.normal(-0.3, 0.2, n)
    au = 10 ** rng.normal(-4.5, 0.3, n)
    return pd.DataFrame({"Cu": cu, "Au": au}, index=[f"dep{i}" for i in range(n)])


def test_normal_fit_and_sample(rng):
    known = _known(rng)
    m = GradeModel().fit(known)
    assert m.names_ == ["Cu", "Au"] and m.n_deposits_ == 40
    comp = np.column_stack([known.to_numpy(), 100 - known.sum(axis=1)])
    np.testing.assert_allclose(m.mean_, ilr(comp).mean(axis=0))
    g = m.sample(50_000, rng)
    assert g.shape == (50_000, 2) and np.all(g > 0)
    gangue = 100.0 - g.sum(axis=1)
    np.testing.assert_allclose(g.sum(axis=1) + gangue, 100.0)
    assert np.all(gangue > 0)
    # the geometric mean of the draws matches that of the data (the ilr mean)
    sim_mean = ilr(np.column_stack([g, gangue])).mean(axis=0)
    np.testing.assert_allclose(sim_mean, m.mean_, atol=0.01)


def test_kde_draws_centre_on_data(rng):
    known = _known(rng)
    m = GradeModel().fit(known, method="kde")
    assert m.bandwidth_ == pytest.approx(40 ** (-1 / 6))
    g = m.sample(20_000, rng)
    assert np.median(g[:, 0]) == pytest.approx(np.median(known.Cu), rel=0.1)


def test_fifteen_components(rng):
    n = 40
    treo = 10 ** rng.normal(0.3, 0.3, n)  # % TREO
    noise = np.exp(rng.normal(0, 0.1, (n, 15)))
    shares = REE_SHARES * noise
    shares /= shares.sum(axis=1, keepdims=True)
    grades = treo[:, None] * shares
    names = ["La2O3", "CeO2", "Pr6O11", "Nd2O3", "Sm2O3", "Eu2O3", "Gd2O3", "Tb4O7",
             "Dy2O3", "Ho2O3", "Er2O3", "Tm2O3", "Yb2O3", "Lu2O3", "Y2O3"]
    m = GradeModel().fit(grades, names=names)
    assert m.coords_.shape == (n, 15)
    g = m.sample(5000, rng)
    assert g.shape == (5000, 15) and np.all(g > 0) and np.all(g.sum(axis=1) < 100)
    np.testing.assert_allclose(np.median(g[:, 3] / g.sum(axis=1)), REE_SHARES[3] /
                               REE_SHARES.sum(), rtol=0.1)


def test_sum_over_100_names_the_deposit():
    table = pd.DataFrame({"a": [10.0, 60.0, 5.0], "b": [5.0, 45.0, 1.0]},
                         index=["x", "y", "z"])
    with pytest.raises(InputError, match=r"row 1 \(index 'y'\) sum to 105"):
        GradeModel().fit(table)


@pytest.mark.parametrize(("bad", "match"), [
    ([[1.0], [2.0]], "at least 3"),
    ([[1.0], [-2.0], [3.0]], ">= 0"),
    ([[1.0], [np.nan], [3.0]], ">= 0"),
    ([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]], "every deposit"),
])
def test_bad_grades_raise(bad, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError, match=match):
            GradeModel().fit(bad)


def test_zero_replacement_is_multiplicative_and_counted():
    grades = np.array([[1.0, 0.2], [2.0, 0.0], [4.0, 0.1], [0.0, 0.4]])
    with pytest.warns(UserWarning, match="replaced 2 zero"):
        m = GradeModel().fit(grades, names=["A", "B"])
    assert m.zero_replacements_.to_dict() == {"A": 1, "B": 1}
    fitted = m.grades_pct_.to_numpy()
    assert fitted[1, 1] == pytest.approx(0.65 * 0.1)
    assert fitted[1, 0] == pytest.approx(2.0 * (1 - 0.065 / 100))
    assert fitted[3, 0] == pytest.approx(0.65 * 1.0)
    # ratios between the non-zero parts are kept
    assert fitted[0, 0] / fitted[0, 1] == pytest.approx(5.0)
    with pytest.raises(InputError, match="zero_rule"):
        GradeModel().fit(grades, zero_rule="raise")
    m2 = None
    with pytest.warns(UserWarning):
        m2 = GradeModel().fit(grades, detection_limit_pct=0.01, fraction=0.5)
    assert m2.grades_pct_.iloc[1, 1] == pytest.approx(0.005)


def test_fixed_model(rng):
    m = GradeModel.fixed([1.0, 0.25], names=["Cu", "Zn"])
    np.testing.assert_array_equal(m.sample(3, rng), [[1.0, 0.25]] * 3)
    with pytest.raises(InputError, match="gangue"):
        GradeModel.fixed([60.0, 40.0])


def test_seeded_and_repr(rng):
    m = GradeModel().fit(_known(rng))
    np.testing.assert_array_equal(m.sample(10, 3), m.sample(10, 3))
    assert repr(m) == ("GradeModel('normal', n_deposits=40, names=['Cu', 'Au'] + gangue, "
                       "zeros replaced=0)")
    assert repr(GradeModel()) == "GradeModel(unfitted)"


def test_mapmark4_example_grades(validation_dir):
    gatm = pd.read_csv(validation_dir / "mapmark4" / "ExampleGatm.csv")
    m = GradeModel().fit(gatm[["Cu", "Au"]])
    g = m.sample(100_000, np.random.default_rng(5))
    # the compositional (geometric) centre of the draws matches the data's
    for j, name in enumerate(["Cu", "Au"]):
        assert np.exp(np.log(g[:, j]).mean()) == pytest.approx(
            np.exp(np.log(gatm[name]).mean()), rel=0.02)


def test_plot(rng):
    ax = GradeModel().fit(_known(rng)).plot(n=300)
    assert len(ax.lines) == 4 and ax.get_xscale() == "log"
