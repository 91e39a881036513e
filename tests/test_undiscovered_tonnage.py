"""Tests of raremin.undiscovered.tonnage (the tonnage model of the three-part method)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from raremin.errors import InputError
from raremin.undiscovered.tonnage import TonnageModel

KNOWN = np.array([2e6, 5e6, 1e7, 3e7, 8e7, 1.5e8, 4e5, 6e6])


def test_normal_fit_is_mean_and_sd_of_log10():
    m = TonnageModel().fit(KNOWN)
    x = np.log10(KNOWN)
    assert m.log10_mean_ == pytest.approx(x.mean())
    assert m.scale_ == pytest.approx(x.std(ddof=1))
    assert m.bounds_ == (-math.inf, math.inf)


def test_kde_bandwidth_is_silverman_rule():
    m = TonnageModel().fit(KNOWN, method="kde")
    x = np.log10(KNOWN)
    q25, q75 = np.quantile(x, [0.25, 0.75])
    expected = 0.9 * min(x.std(ddof=1), (q75 - q25) / 1.34) * x.size ** -0.2
    assert m.scale_ == pytest.approx(expected)
    assert TonnageModel().fit(KNOWN, method="kde", bandwidth=0.2).scale_ == 0.2


@pytest.mark.parametrize(("bad", "match"), [
    ([1e6, 2e6], "at least 3"),
    ([1e6, -2e6, 3e6], "> 0"),
    ([1e6, np.nan, 3e6], "> 0"),
    ([5e6, 5e6, 5e6], "fixed"),
])
def test_bad_tonnages_raise(bad, match):
    with pytest.raises(InputError, match=match):
        TonnageModel().fit(bad)


def test_unknown_method_and_unfitted_raise():
    with pytest.raises(InputError, match="method"):
        TonnageModel().fit(KNOWN, method="gamma")
    with pytest.raises(InputError, match="not fitted"):
        TonnageModel().sample(3, 0)


@pytest.mark.parametrize("method", ["normal", "kde"])
@pytest.mark.parametrize("truncate", [False, True])
def test_moments_match_numerical_integration(method, truncate):
    m = TonnageModel().fit(KNOWN, method=method, truncate=truncate)
    lo, hi = m.bounds_
    lo, hi = max(lo, 0.0), min(hi, 14.0)

    def dens(x):
        return float(np.exp(m._logpdf_x(np.array([x])))[0])

    assert integrate.quad(dens, lo, hi, limit=200)[0] == pytest.approx(1.0, abs=1e-6)
    e1 = integrate.quad(lambda x: dens(x) * 10 ** x, lo, hi, limit=200)[0]
    e2 = integrate.quad(lambda x: dens(x) * 100 ** x, lo, hi, limit=200)[0]
    assert m.mean() == pytest.approx(e1, rel=1e-6)
    assert m.moment(2) == pytest.approx(e2, rel=1e-5)


@pytest.mark.parametrize("method", ["normal", "kde"])
@pytest.mark.parametrize("truncate", [False, True])
def test_sampling_follows_the_cdf(method, truncate, rng):
    m = TonnageModel().fit(KNOWN, method=method, truncate=truncate)
    draws = m.sample(100_000, rng)
    for q in (0.1, 0.5, 0.9):
        assert np.mean(draws <= m.ppf(q)) == pytest.approx(q, abs=0.005)
    assert np.mean(draws) == pytest.approx(m.mean(), rel=0.05)
    if truncate:
        assert draws.min() >= KNOWN.min() * (1 - 1e-12)
        assert draws.max() <= KNOWN.max() * (1 + 1e-12)
        assert m.cdf(KNOWN.min()) == 0.0 and m.cdf(KNOWN.max()) == 1.0


def test_ppf_inverts_cdf_for_kde():
    m = TonnageModel().fit(KNOWN, method="kde", truncate=True)
    q = np.array([0.01, 0.3, 0.77, 0.99])
    np.testing.assert_allclose(m.cdf(m.ppf(q)), q, atol=1e-10)


def test_pdf_integrates_to_cdf():
    m = TonnageModel().fit(KNOWN)
    val = integrate.quad(lambda t: float(m.pdf(t)), 1e6, 1e7, limit=200)[0]
    assert val == pytest.approx(m.cdf(1e7) - m.cdf(1e6), rel=1e-6)


def test_fixed_model_is_degenerate(rng):
    m = TonnageModel.fixed(3.5e6)
    np.testing.assert_array_equal(m.sample(5, rng), np.full(5, 3.5e6))
    assert m.mean() == 3.5e6 and m.var() == 0.0 and m.ppf(0.3) == 3.5e6
    assert m.cdf(3.4e6) == 0.0 and m.cdf(3.5e6) == 1.0
    assert repr(m) == "TonnageModel('fixed', ore_t=3.5e+06)"


def test_same_seed_same_draws():
    m = TonnageModel().fit(KNOWN, method="kde")
    np.testing.assert_array_equal(m.sample(50, 4), m.sample(50, 4))


def test_diagnostics_table_and_deviance():
    m = TonnageModel().fit(KNOWN)
    d = m.diagnostics()
    x = np.log10(KNOWN)
    assert d["n_deposits"] == 8
    expected = -2 * np.sum(-0.5 * ((x - x.mean()) / x.std(ddof=1)) ** 2
                           - np.log(x.std(ddof=1) * np.sqrt(2 * np.pi)))
    assert d["deviance"] == pytest.approx(expected)
    assert d["table"].loc["mean", "model_log10_t"] == pytest.approx(x.mean())
    assert d["table"].loc["mean", "model_t"] == pytest.approx(m.mean())
    assert 0 < d["ks_statistic"] < 0.5
    kde = TonnageModel().fit(KNOWN, method="kde").diagnostics()
    assert kde["deviance"] < d["deviance"] + 5  # both finite and of the same scale


def test_mapmark4_example_tonnages(validation_dir):
    gatm = pd.read_csv(validation_dir / "mapmark4" / "ExampleGatm.csv")
    m = TonnageModel().fit(gatm["Ore"])
    assert m.n_deposits_ == 71
    assert m.log10_mean_ == pytest.approx(np.log10(gatm["Ore"]).mean())
    assert m.mean() == pytest.approx(
        10 ** m.log10_mean_ * math.exp((math.log(10) * m.log10_sd_) ** 2 / 2))


def test_plot_draws_model_and_data():
    ax = TonnageModel().fit(KNOWN).plot()
    assert ax.get_xscale() == "log"
    assert len(ax.lines) == 2 and len(ax.lines[1].get_xdata()) == KNOWN.size


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(1e3, 1e10), min_size=3, max_size=20, unique=True),
       st.booleans())
def test_truncated_cdf_is_monotone_between_bounds(values, kde):
    m = TonnageModel().fit(values, method="kde" if kde else "normal", truncate=True)
    grid = np.logspace(2, 11, 50)
    c = m.cdf(grid)
    assert np.all(np.diff(c) >= -1e-12) and c[0] == 0.0 and c[-1] == 1.0
