"""Tests of raremin.distributions, raremin._normal and raremin._lognormal_gt.

Reference values are computed independently of the library: densities are written
from the textbook formulas and integrated with scipy.integrate.quad, or taken from
scipy.stats / scipy.special, or summed directly with numpy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, special, stats

from raremin import _lognormal_gt
from raremin._normal import ndtr_fast
from raremin.distributions import (
    Empirical,
    Gamma,
    GradeDistribution,
    Lognormal,
    Mixture,
    Normal,
    Truncated,
    compare_fits,
    fit_distribution,
)
from raremin.errors import BasisError, InputError, UnitError
from raremin.tonnage import analytic_grade_tonnage

SQRT_2PI = math.sqrt(2.0 * math.pi)


# ----------------------------------------------------------------------------- reference maths
def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """mu and sigma of the lognormal with arithmetic mean `mean` and coefficient `cv`."""
    s2 = math.log(1.0 + cv * cv)
    return math.log(mean) - 0.5 * s2, math.sqrt(s2)


def lognormal_pdf(mu: float, sigma: float) -> Callable[[float], float]:
    def pdf(x: float) -> float:
        if x <= 0.0:
            return 0.0
        z = (math.log(x) - mu) / sigma
        return math.exp(-0.5 * z * z) / (x * sigma * SQRT_2PI)

    return pdf


def normal_pdf(loc: float, scale: float) -> Callable[[float], float]:
    def pdf(x: float) -> float:
        z = (x - loc) / scale
        return math.exp(-0.5 * z * z) / (scale * SQRT_2PI)

    return pdf


def gamma_pdf(k: float, theta: float) -> Callable[[float], float]:
    log_norm = math.lgamma(k) + k * math.log(theta)

    def pdf(x: float) -> float:
        if x <= 0.0:
            return 0.0
        return math.exp((k - 1.0) * math.log(x) - x / theta - log_norm)

    return pdf


def integrate_pieces(
    f: Callable[[float], float], lo: float, hi: float, breaks: Any = (), epsrel: float = 1e-12
) -> float:
    """Integral of f over [lo, hi] as a sum of quad calls between sorted break points."""
    inner = sorted(float(b) for b in breaks if lo < b < hi)
    pts = [lo, *inner, hi]
    total = 0.0
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        val, _ = integrate.quad(f, a, b, epsabs=0.0, epsrel=epsrel, limit=400)
        total += val
    return total


# ----------------------------------------------------------------------------- acceptance
ACCEPT_MEAN, ACCEPT_CV = 0.15, 0.6
ACCEPT_CUTOFFS = np.linspace(0.05, 0.30, 11)


@pytest.fixture(scope="module")
def accept_reference() -> dict[str, np.ndarray]:
    mu, sigma = lognormal_params(ACCEPT_MEAN, ACCEPT_CV)
    pdf = lognormal_pdf(mu, sigma)
    breaks = [math.exp(mu + k * sigma) for k in range(-3, 13)]

    def tail(f: Callable[[float], float], c: float) -> float:
        return integrate_pieces(f, c, math.inf, breaks, epsrel=1e-13)

    frac = np.array([tail(pdf, c) for c in ACCEPT_CUTOFFS])
    expd = np.array([tail(lambda x: x * pdf(x), c) for c in ACCEPT_CUTOFFS])
    return {"fraction": frac, "expected": expd, "mean": expd / frac}


@pytest.fixture(scope="module")
def accept_dist() -> Lognormal:
    return Lognormal.from_mean_cv(ACCEPT_MEAN, ACCEPT_CV, unit="pct", basis="oxide")


def test_acceptance_lognormal_tail_functions(accept_dist, accept_reference):
    d = accept_dist
    np.testing.assert_allclose(
        d.fraction_above(ACCEPT_CUTOFFS), accept_reference["fraction"], rtol=1e-9, atol=0
    )
    np.testing.assert_allclose(
        d.mean_above(ACCEPT_CUTOFFS), accept_reference["mean"], rtol=1e-9, atol=0
    )
    np.testing.assert_allclose(
        d.expected_above(ACCEPT_CUTOFFS), accept_reference["expected"], rtol=1e-9, atol=0
    )


def test_acceptance_lognormal_table(accept_dist, accept_reference):
    gt = analytic_grade_tonnage(accept_dist, 1.0, ACCEPT_CUTOFFS)
    np.testing.assert_array_equal(gt.cutoffs, ACCEPT_CUTOFFS)
    np.testing.assert_allclose(gt.tonnage_t, accept_reference["fraction"], rtol=1e-9, atol=0)
    np.testing.assert_allclose(gt.mean_grade, accept_reference["mean"], rtol=1e-9, atol=0)
    np.testing.assert_allclose(
        gt.contained_t, accept_reference["expected"] * 0.01, rtol=1e-9, atol=0
    )


def test_acceptance_parameters(accept_dist):
    mu, sigma = lognormal_params(ACCEPT_MEAN, ACCEPT_CV)
    assert float(accept_dist.mu) == pytest.approx(mu, rel=1e-15)
    assert float(accept_dist.sigma) == pytest.approx(sigma, rel=1e-15)
    assert float(accept_dist.mean()) == pytest.approx(ACCEPT_MEAN, rel=1e-14)
    assert float(accept_dist.cv()) == pytest.approx(ACCEPT_CV, rel=1e-13)


# ----------------------------------------------------------------------------- Empirical
def direct_tail(values: np.ndarray, weights: np.ndarray, c: float) -> tuple[float, float, float]:
    """fraction_above, expected_above and mean_above by a direct weighted sum."""
    above = values >= c
    w_above = weights[above].sum()
    wv_above = (weights[above] * values[above]).sum()
    total = weights.sum()
    mean = wv_above / w_above if w_above > 0 else math.nan
    return w_above / total, wv_above / total, mean


def dyadic_cutoffs(values: np.ndarray) -> np.ndarray:
    return np.unique(np.concatenate([[0.0], values, values + 1 / 32, [values.max() + 1.0]]))


@settings(max_examples=100, deadline=None)
@given(
    grades=st.lists(st.integers(0, 64), min_size=1, max_size=8),
    raw_weights=st.lists(st.integers(0, 16), min_size=8, max_size=8),
)
def test_empirical_dyadic_exact(grades, raw_weights):
    values = np.array(grades, dtype=float) / 16.0
    weights = np.array(raw_weights[: values.size], dtype=float) / 8.0
    assume(weights.sum() > 0)
    d = Empirical(values, unit="pct", basis="oxide", weights=weights)
    cuts = dyadic_cutoffs(values)
    ref = np.array([direct_tail(values, weights, c) for c in cuts])
    np.testing.assert_array_equal(d.fraction_above(cuts), ref[:, 0])
    np.testing.assert_array_equal(d.expected_above(cuts), ref[:, 1])
    # The batched table path gives the same numbers.
    gt = analytic_grade_tonnage(d, 1.0, cuts)
    np.testing.assert_array_equal(gt.tonnage_t, ref[:, 0])


@pytest.mark.parametrize(
    ("values", "weights", "cutoff", "expected"),
    [
        ([1.0, 2.0, 3.0], None, 2.0, 2.5),
        ([0.375, 0.375, 0.4375, 0.4375], [1.0, 0.25, 0.125, 0.5], 0.4375, 0.4375),
    ],
)
def test_empirical_mean_above_exact(values, weights, cutoff, expected):
    d = Empirical(values, unit="pct", basis="oxide", weights=weights)
    assert float(d.mean_above(cutoff)) == expected


@pytest.mark.parametrize(
    ("cutoff", "fraction", "expected"),
    [
        (0.0, 1.0, 1.5),  # sum(w z) = 0.25*1 + 0.5*1 + 0.125*2 + 0.125*4 = 1.5
        (1.0, 1.0, 1.5),  # tie at the cut-off counts as above
        (1.5, 0.25, 0.75),
        (2.0, 0.25, 0.75),  # tie again
        (3.0, 0.125, 0.5),
        (4.0, 0.125, 0.5),
        (4.5, 0.0, 0.0),
    ],
)
def test_empirical_ties_count_as_above(cutoff, fraction, expected):
    values = np.array([1.0, 1.0, 2.0, 4.0])
    weights = np.array([2.0, 4.0, 1.0, 1.0])  # shares 0.25, 0.5, 0.125, 0.125
    d = Empirical(values, unit="ppm", basis="element", weights=weights)
    assert float(d.fraction_above(cutoff)) == fraction
    assert float(d.expected_above(cutoff)) == expected
    if fraction == 0.0:
        assert math.isnan(float(d.mean_above(cutoff)))


@settings(max_examples=100, deadline=None)
@given(
    values=arrays(
        np.float64,
        st.integers(1, 40),
        elements=st.floats(0.0, 100.0, allow_subnormal=False),
    ),
    data=st.data(),
)
def test_empirical_weighted_random(values, data):
    weights = data.draw(
        arrays(
            np.float64,
            values.size,
            elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e3)),
        )
    )
    assume(weights.sum() > 0)
    extra = data.draw(arrays(np.float64, 5, elements=st.floats(0.0, 100.0)))
    cuts = np.concatenate([values, extra])
    d = Empirical(values, unit="pct", basis="element", weights=weights)
    ref = np.array([direct_tail(values, weights, c) for c in cuts])
    np.testing.assert_allclose(d.fraction_above(cuts), ref[:, 0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(d.expected_above(cuts), ref[:, 1], rtol=1e-12, atol=0)
    np.testing.assert_allclose(d.mean_above(cuts), ref[:, 2], rtol=1e-12, atol=0)
    total = weights.sum()
    mean = (weights * values).sum() / total
    assert float(d.mean()) == pytest.approx(mean, rel=1e-12)
    var = (weights * (values - mean) ** 2).sum() / total
    assert float(d.var()) == pytest.approx(var, rel=1e-9, abs=1e-12 * mean * mean)


def test_empirical_cdf_sf_and_n_effective():
    d = Empirical([1.0, 2.0, 2.0, 3.0], unit="ppm", basis="element", weights=[1, 1, 1, 2])
    # cdf counts grade <= x, sf grade > x, fraction_above grade >= x.
    assert float(d.cdf(2.0)) == pytest.approx(3 / 5, rel=1e-15)
    assert float(d.sf(2.0)) == pytest.approx(2 / 5, rel=1e-15)
    assert float(d.fraction_above(2.0)) == pytest.approx(4 / 5, rel=1e-15)
    assert d.n == 4
    assert d.n_effective == pytest.approx(25 / 7, rel=1e-15)


# ----------------------------------------------------------------------------- family table
@dataclass
class Case:
    """A distribution with an independent reference density on its support."""

    id: str
    make: Callable[[], GradeDistribution]
    ref_pdf: Callable[[float], float]
    lo: float
    hi: float
    breaks: tuple[float, ...]
    points: tuple[float, ...]


def _lognormal_case() -> Case:
    mu, sigma = -2.0, 0.5
    return Case(
        "lognormal",
        lambda: Lognormal(mu, sigma, unit="pct", basis="oxide"),
        lognormal_pdf(mu, sigma),
        0.0,
        math.inf,
        tuple(math.exp(mu + k * sigma) for k in range(-8, 12)),
        (0.03, 0.08, 0.135, 0.2, 0.4),
    )


def _normal_case() -> Case:
    loc, scale = 0.1, 0.02
    return Case(
        "normal",
        lambda: Normal(loc, scale, unit="pct", basis="oxide"),
        normal_pdf(loc, scale),
        -math.inf,
        math.inf,
        tuple(loc + k * scale for k in range(-10, 11)),
        (0.05, 0.09, 0.1, 0.115, 0.15),
    )


def _gamma_case() -> Case:
    k, theta = 3.0, 0.04
    return Case(
        "gamma",
        lambda: Gamma(k, theta, unit="pct", basis="oxide"),
        gamma_pdf(k, theta),
        0.0,
        math.inf,
        tuple(theta * m for m in (0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48)),
        (0.02, 0.08, 0.12, 0.2, 0.35),
    )


def _truncated_normal_case() -> Case:
    loc, scale = 0.1, 0.1
    base = normal_pdf(loc, scale)
    breaks = tuple(loc + k * scale for k in range(-10, 11))
    mass = integrate_pieces(base, 0.0, math.inf, breaks)

    def pdf(x: float) -> float:
        return base(x) / mass if x >= 0.0 else 0.0

    return Case(
        "truncated_normal",
        lambda: Truncated(Normal(loc, scale, unit="pct", basis="oxide"), lower=0.0),
        pdf,
        0.0,
        math.inf,
        breaks,
        (0.01, 0.05, 0.1, 0.2, 0.3),
    )


def _truncated_lognormal_case() -> Case:
    mu, sigma = -2.0, 0.8
    lower, upper = 0.02, 0.5
    base = lognormal_pdf(mu, sigma)
    breaks = (0.05, 0.1, 0.135, 0.2, 0.3, 0.4)
    mass = integrate_pieces(base, lower, upper, breaks)

    def pdf(x: float) -> float:
        return base(x) / mass if lower <= x <= upper else 0.0

    return Case(
        "truncated_lognormal",
        lambda: Truncated(Lognormal(mu, sigma, unit="pct", basis="oxide"), lower, upper),
        pdf,
        lower,
        upper,
        breaks,
        (0.03, 0.08, 0.135, 0.25, 0.45),
    )


def _mixture_case() -> Case:
    (m1, s1), (m2, s2) = lognormal_params(0.05, 0.4), lognormal_params(0.2, 0.5)
    p1, p2 = lognormal_pdf(m1, s1), lognormal_pdf(m2, s2)

    def pdf(x: float) -> float:
        return 0.7 * p1(x) + 0.3 * p2(x)

    def make() -> Mixture:
        return Mixture(
            [
                Lognormal.from_mean_cv(0.05, 0.4, unit="pct", basis="oxide"),
                Lognormal.from_mean_cv(0.2, 0.5, unit="pct", basis="oxide"),
            ],
            [0.7, 0.3],
        )

    breaks = tuple(
        sorted([math.exp(m1 + k * s1) for k in range(-8, 12)]
               + [math.exp(m2 + k * s2) for k in range(-8, 12)])
    )
    return Case("mixture", make, pdf, 0.0, math.inf, breaks, (0.02, 0.05, 0.1, 0.2, 0.5))


CASES = [
    _lognormal_case(),
    _normal_case(),
    _gamma_case(),
    _truncated_normal_case(),
    _truncated_lognormal_case(),
    _mixture_case(),
]


@pytest.fixture(params=CASES, ids=[c.id for c in CASES])
def case(request) -> Case:
    return request.param


def test_family_mean_var_vs_quad(case):
    d = case.make()
    f = case.ref_pdf
    total = integrate_pieces(f, case.lo, case.hi, case.breaks)
    assert total == pytest.approx(1.0, rel=1e-10)
    mean = integrate_pieces(lambda x: x * f(x), case.lo, case.hi, case.breaks)
    var = integrate_pieces(lambda x: (x - mean) ** 2 * f(x), case.lo, case.hi, case.breaks)
    assert float(d.mean()) == pytest.approx(mean, rel=1e-8)
    assert float(d.var()) == pytest.approx(var, rel=1e-8)
    assert float(d.std()) == pytest.approx(math.sqrt(var), rel=1e-8)
    assert float(d.cv()) == pytest.approx(math.sqrt(var) / mean, rel=1e-8)


def test_family_pdf_vs_reference(case):
    d = case.make()
    xs = np.array(case.points)
    expected = np.array([case.ref_pdf(x) for x in xs])
    np.testing.assert_allclose(d.pdf(xs), expected, rtol=1e-12, atol=0)


def test_family_cdf_vs_quad_of_pdf(case):
    d = case.make()
    for x in case.points:
        ref = integrate_pieces(lambda t: float(d.pdf(t)), case.lo, x, case.breaks)
        assert float(d.cdf(x)) == pytest.approx(ref, rel=1e-9, abs=1e-15)


def test_family_tail_functions_vs_quad(case):
    d = case.make()
    f = case.ref_pdf
    for c in case.points:
        frac = integrate_pieces(f, c, case.hi, case.breaks)
        expd = integrate_pieces(lambda x: x * f(x), c, case.hi, case.breaks)
        assert float(d.fraction_above(c)) == pytest.approx(frac, rel=1e-9)
        assert float(d.expected_above(c)) == pytest.approx(expd, rel=1e-9)
        assert float(d.mean_above(c)) == pytest.approx(expd / frac, rel=1e-9)


def test_family_ppf_inverts_cdf(case):
    d = case.make()
    xs = np.array(case.points)
    np.testing.assert_allclose(d.ppf(d.cdf(xs)), xs, rtol=1e-9, atol=0)
    qs = np.array([0.01, 0.25, 0.5, 0.75, 0.99])
    np.testing.assert_allclose(d.cdf(d.ppf(qs)), qs, rtol=1e-9, atol=0)


def test_family_fraction_above_equals_sf(case):
    d = case.make()
    xs = np.array([*case.points, 0.001, 1.0, 5.0])
    np.testing.assert_allclose(d.fraction_above(xs), d.sf(xs), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(d.sf(xs), 1.0 - np.asarray(d.cdf(xs)), rtol=1e-12, atol=1e-15)


def test_family_mean_above_bottom_of_support_is_mean(case):
    d = case.make()
    lowest = 0.0 if case.lo >= 0.0 else -np.inf
    assert float(d.mean_above(lowest)) == pytest.approx(float(d.mean()), rel=1e-12)
    assert float(d.fraction_above(lowest)) == pytest.approx(1.0, rel=1e-15)


def test_family_rvs_reproducible_and_unbiased(case):
    d = case.make()
    a = d.rvs(20_000, rng=7)
    b = d.rvs(20_000, rng=7)
    c = d.rvs(20_000, rng=8)
    assert a.shape == (20_000,)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    se = float(d.std()) / math.sqrt(a.size)
    assert abs(a.mean() - float(d.mean())) < 5 * se
    assert np.all(a >= case.lo) and np.all(a <= case.hi)
    gen = np.random.default_rng(7)
    np.testing.assert_array_equal(d.rvs(20_000, rng=gen), a)


# ----------------------------------------------------------------------------- batches
def test_batch_parameters_match_scalar_distributions():
    means = np.array([0.1, 0.2])
    cvs = np.array([[0.5], [0.8]])
    d = Lognormal.from_mean_cv(means, cvs, unit="pct", basis="oxide")
    assert d.batch_shape == (2, 2)
    cuts = (0.05, 0.15, 0.3)
    for i in range(2):
        for j in range(2):
            s = Lognormal.from_mean_cv(means[j], cvs[i, 0], unit="pct", basis="oxide")
            assert s.batch_shape == ()
            for name in ("mean", "var", "std", "cv", "median"):
                assert getattr(d, name)()[i, j] == pytest.approx(
                    float(getattr(s, name)()), rel=1e-15
                )
            for c in cuts:
                for name in ("fraction_above", "mean_above", "expected_above", "cdf", "pdf"):
                    assert getattr(d, name)(c)[i, j] == pytest.approx(
                        float(getattr(s, name)(c)), rel=1e-15
                    )
    gt = analytic_grade_tonnage(d, 1e6, cuts)
    assert gt.tonnage_t.shape == (2, 2, 3)
    for i in range(2):
        for j in range(2):
            s = Lognormal.from_mean_cv(means[j], cvs[i, 0], unit="pct", basis="oxide")
            one = analytic_grade_tonnage(s, 1e6, cuts)
            np.testing.assert_allclose(gt.tonnage_t[i, j], one.tonnage_t, rtol=1e-13)
            np.testing.assert_allclose(gt.mean_grade[i, j], one.mean_grade, rtol=1e-13)
            np.testing.assert_allclose(gt.contained_t[i, j], one.contained_t, rtol=1e-13)


def test_batch_broadcasts_argument_against_parameters():
    d = Gamma.from_mean_cv(np.array([0.1, 0.2, 0.3]), 0.5, unit="pct", basis="oxide")
    cuts = np.array([[0.05], [0.1]])
    out = d.fraction_above(cuts)
    assert out.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            ref = stats.gamma.sf(cuts[i, 0], 4.0, scale=[0.1, 0.2, 0.3][j] / 4.0)
            assert out[i, j] == pytest.approx(ref, rel=1e-12)


# ----------------------------------------------------------------------------- _normal
def test_ndtr_fast_relative_error():
    x = np.linspace(-37.0, 10.0, 200_001)
    ref = special.ndtr(x)
    rel = np.abs(ndtr_fast(x) / ref - 1.0)
    assert rel.max() < 3e-12


def test_ndtr_fast_clips_outside_table():
    out = ndtr_fast(np.array([-1e6, -60.0, 12.0, 1e6]))
    assert out[0] == 0.0 and out[1] == 0.0
    assert out[2] == 1.0 and out[3] == 1.0


# ----------------------------------------------------------------------------- kernel
def exact_table(mu: float, sigma: float, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fraction above and mean above from scipy's log_ndtr (independent of the kernel)."""
    with np.errstate(divide="ignore"):
        d = (mu - np.log(cuts)) / sigma
    frac = special.ndtr(d)
    mean = np.exp(mu + 0.5 * sigma**2 + special.log_ndtr(d + sigma) - special.log_ndtr(d))
    return frac, mean


@pytest.mark.parametrize("sigma", [1e-3, 0.05, 0.5, 1.5, 3.0])
@pytest.mark.parametrize("mu", [-3.0, 0.5, 7.0])
def test_kernel_matches_exact_closed_forms(mu, sigma):
    d_grid = np.linspace(-30.0, 8.0, 77)
    cuts = np.sort(np.exp(mu - d_grid * sigma))
    dist = Lognormal(mu, sigma, unit="ppm", basis="element")
    gt = analytic_grade_tonnage(dist, 1.0, cuts)
    frac, mean = exact_table(mu, sigma, cuts)
    np.testing.assert_allclose(gt.tonnage_t, frac, rtol=1e-10, atol=0)
    np.testing.assert_allclose(gt.mean_grade, mean, rtol=1e-10, atol=0)


@pytest.mark.parametrize("sigma", [1e-3, 0.3, 1.0, 3.0])
def test_kernel_cutoff_zero(sigma):
    dist = Lognormal(np.log(0.1), sigma, unit="pct", basis="oxide")
    total = np.array([1.0, 3.7e6, 123456.789])
    gt = analytic_grade_tonnage(dist, total, [0.0, 0.1])
    np.testing.assert_allclose(gt.tonnage_t[:, 0], total, rtol=1e-15, atol=0)
    ref_mean = math.exp(math.log(0.1) + 0.5 * sigma**2)
    np.testing.assert_allclose(gt.mean_grade[:, 0], ref_mean, rtol=1e-12, atol=0)
    np.testing.assert_allclose(gt.contained_t[:, 0], total * ref_mean * 0.01, rtol=1e-12)


def test_kernel_tiny_sigma_uses_exact_path(monkeypatch):
    calls = []
    original = _lognormal_gt._exact

    def spy(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(_lognormal_gt, "_exact", spy)
    mu, sigma = math.log(0.15), 1e-6
    cuts = np.array([0.0, *np.exp(mu + sigma * np.array([-3.0, -1.0, 0.0, 1.0, 3.0]))])
    dist = Lognormal(mu, sigma, unit="pct", basis="oxide")
    gt = analytic_grade_tonnage(dist, 1.0, cuts)
    assert len(calls) == 1
    # log(cut) of a rounded cut-off moves d by ~1e-16 / sigma = 1e-10: rtol 1e-8.
    ref = stats.lognorm.sf(cuts, sigma, scale=math.exp(mu))
    np.testing.assert_allclose(gt.tonnage_t, ref, rtol=1e-8, atol=0)
    assert gt.tonnage_t[0] == 1.0
    _, ref_mean = exact_table(mu, sigma, cuts)
    np.testing.assert_allclose(gt.mean_grade, ref_mean, rtol=1e-9, atol=0)
    assert np.all(gt.mean_grade >= cuts)
    assert gt.mean_grade[0] == pytest.approx(math.exp(mu + 0.5 * sigma**2), rel=1e-15)

    calls.clear()
    analytic_grade_tonnage(Lognormal(mu, 1e-3, unit="pct", basis="oxide"), 1.0, cuts)
    assert calls == []


def test_kernel_far_cutoffs_no_warnings():
    dist = Lognormal.from_mean_cv(
        np.array([0.05, 0.15, 0.5]), 0.6, unit="pct", basis="oxide"
    )
    cuts = np.array([0.1, 5.0, 20.0, 50.0, 100.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gt = analytic_grade_tonnage(dist, 1e8, cuts)
    sigma = np.broadcast_to(dist.sigma, dist.batch_shape)[:, None]
    ref = stats.lognorm.sf(cuts, sigma, scale=np.exp(dist.mu[:, None]))
    assert np.all(gt.tonnage_t[:, -1] < 1e8 * 1e-12)
    assert gt.tonnage_t[0, -1] < 1e8 * 1e-30
    np.testing.assert_allclose(gt.tonnage_t, 1e8 * ref, rtol=1e-9, atol=0)
    np.testing.assert_allclose(gt.contained_t, gt.tonnage_t * gt.mean_grade * 0.01, rtol=1e-12)
    assert np.all(np.isfinite(gt.mean_grade))
    assert np.all(gt.mean_grade >= cuts)


def test_kernel_mean_grade_nan_where_tonnage_zero():
    dist = Lognormal(0.0, 2.0, unit="ppm", basis="element")
    cuts = np.exp(np.array([76.0, 77.0, 78.0, 79.0, 80.0]))  # d = -38 ... -40
    gt = analytic_grade_tonnage(dist, 1.0, cuts)
    zero = gt.tonnage_t == 0.0
    assert zero.any()
    assert np.all(np.isnan(gt.mean_grade[zero]))
    assert np.all(gt.contained_t[zero] == 0.0)


# ----------------------------------------------------------------------------- fitting
N_FIT = 20_000


def test_fit_lognormal_recovers_parameters():
    mu, sigma = math.log(0.1), 0.5
    x = np.random.default_rng(11).lognormal(mu, sigma, N_FIT)
    res = fit_distribution(x, "lognormal", unit="pct", basis="oxide", name="treo")
    d = res.distribution
    assert isinstance(d, Lognormal)
    assert abs(float(d.mu) - mu) < 5 * sigma / math.sqrt(N_FIT)
    assert abs(float(d.sigma) - sigma) < 5 * sigma / math.sqrt(2 * N_FIT)
    # MLE closed form, computed here independently.
    lx = np.log(x)
    assert float(d.mu) == pytest.approx(lx.mean(), rel=1e-13)
    assert float(d.sigma) == pytest.approx(lx.std(), rel=1e-12)
    assert res.family == "lognormal" and res.method == "mle" and res.n == N_FIT
    assert res.n_effective == pytest.approx(N_FIT, rel=1e-12)
    loglik = stats.lognorm.logpdf(x, float(d.sigma), scale=math.exp(float(d.mu))).sum()
    assert res.loglik == pytest.approx(loglik, rel=1e-10)
    assert res.aic == pytest.approx(4.0 - 2.0 * loglik, rel=1e-10)
    assert res.bic == pytest.approx(2.0 * math.log(N_FIT) - 2.0 * loglik, rel=1e-10)
    assert d.unit == "pct" and d.basis == "oxide" and d.name == "treo"


def test_fit_gamma_recovers_parameters():
    k, theta = 3.0, 0.05
    x = np.random.default_rng(12).gamma(k, theta, N_FIT)
    d = fit_distribution(x, "gamma", unit="pct", basis="oxide").distribution
    assert isinstance(d, Gamma)
    assert float(d.k) == pytest.approx(k, rel=0.05)
    assert float(d.theta) == pytest.approx(theta, rel=0.05)
    k_ref, _, theta_ref = stats.gamma.fit(x, floc=0.0)
    assert float(d.k) == pytest.approx(k_ref, rel=1e-5)
    assert float(d.theta) == pytest.approx(theta_ref, rel=1e-5)
    # The gamma MLE matches the sample mean exactly (k theta = mean).
    assert float(d.mean()) == pytest.approx(x.mean(), rel=1e-12)


def test_fit_normal_recovers_parameters():
    loc, scale = 1.0, 0.2
    x = np.random.default_rng(13).normal(loc, scale, N_FIT)
    d = fit_distribution(x, "normal", unit="pct", basis="oxide").distribution
    assert isinstance(d, Normal)
    assert abs(float(d.loc) - loc) < 5 * scale / math.sqrt(N_FIT)
    assert abs(float(d.scale) - scale) < 5 * scale / math.sqrt(2 * N_FIT)
    assert float(d.loc) == pytest.approx(x.mean(), rel=1e-13)
    assert float(d.scale) == pytest.approx(x.std(), rel=1e-12)


def test_fit_gamma_low_cv():
    x = np.array([0.9, 1.0, 1.1])
    d = fit_distribution(x, "gamma", unit="pct", basis="oxide").distribution
    k_ref, _, theta_ref = stats.gamma.fit(x, floc=0.0)
    assert float(d.k) == pytest.approx(k_ref, rel=1e-5)


def params_of(d: GradeDistribution) -> tuple[float, float]:
    if isinstance(d, Lognormal):
        return float(d.mu), float(d.sigma)
    if isinstance(d, Normal):
        return float(d.loc), float(d.scale)
    assert isinstance(d, Gamma)
    return float(d.k), float(d.theta)


@pytest.mark.parametrize(("family", "rtol"), [("lognormal", 1e-13), ("normal", 1e-13),
                                              ("gamma", 1e-10)])
def test_weighted_fit_equals_duplicated_rows(family, rtol):
    rng = np.random.default_rng(21)
    x = rng.lognormal(math.log(0.2), 0.6, 300)
    counts = rng.integers(1, 4, x.size)
    weighted = fit_distribution(x, family, unit="pct", basis="oxide", weights=counts)
    repeated = fit_distribution(np.repeat(x, counts), family, unit="pct", basis="oxide")
    np.testing.assert_allclose(params_of(weighted.distribution),
                               params_of(repeated.distribution), rtol=rtol)
    assert weighted.n == x.size and repeated.n == counts.sum()
    # Weights 2 everywhere are the same as no weights, to the last bit.
    doubled = fit_distribution(x, family, unit="pct", basis="oxide", weights=np.full(x.size, 2.0))
    plain = fit_distribution(x, family, unit="pct", basis="oxide")
    assert params_of(doubled.distribution) == params_of(plain.distribution)


@pytest.mark.parametrize("family", ["lognormal", "normal", "gamma"])
def test_moments_method_reproduces_weighted_mean_and_cv(family):
    rng = np.random.default_rng(31)
    x = rng.gamma(2.5, 0.06, 500)
    w = rng.uniform(0.2, 3.0, 500)
    res = fit_distribution(x, family, unit="pct", basis="oxide", weights=w, method="moments")
    mean = np.sum(w * x) / np.sum(w)
    cv = math.sqrt(np.sum(w * (x - mean) ** 2) / np.sum(w)) / mean
    assert res.method == "moments"
    assert float(res.distribution.mean()) == pytest.approx(mean, rel=1e-12)
    assert float(res.distribution.cv()) == pytest.approx(cv, rel=1e-12)
    assert res.n_effective == pytest.approx(np.sum(w) ** 2 / np.sum(w * w), rel=1e-12)
    figures = res.to_dict()
    assert figures["mean"] == pytest.approx(mean, rel=1e-12)
    assert figures["cv"] == pytest.approx(cv, rel=1e-12)


COMPARE_SAMPLES = {
    "lognormal": lambda rng: rng.lognormal(math.log(0.1), 0.8, 5000),
    "gamma": lambda rng: rng.gamma(2.0, 0.05, 5000),
    "normal": lambda rng: rng.normal(1.0, 0.25, 5000),
}


@pytest.mark.parametrize("family", list(COMPARE_SAMPLES))
def test_compare_fits_ranks_true_family_first(family):
    x = COMPARE_SAMPLES[family](np.random.default_rng(0))
    table = compare_fits(x, unit="pct", basis="oxide")
    assert table.index[0] == family
    assert list(table.index) == sorted(table.index, key=lambda f: table.loc[f, "aic"])
    assert set(table.index) == {"lognormal", "normal", "gamma"}


def test_compare_fits_low_cv_normal_data():
    x = np.random.default_rng(0).normal(1.0, 0.1, 5000)
    table = compare_fits(x, unit="pct", basis="oxide")
    assert table.index[0] == "normal"


@pytest.mark.parametrize(
    ("family", "ref"),
    [
        ("lognormal", lambda d: stats.lognorm(float(d.sigma), scale=math.exp(float(d.mu)))),
        ("normal", lambda d: stats.norm(float(d.loc), float(d.scale))),
        ("gamma", lambda d: stats.gamma(float(d.k), scale=float(d.theta))),
    ],
)
def test_ks_statistic_matches_scipy(family, ref):
    x = np.random.default_rng(41).gamma(3.0, 0.05, 400)
    res = fit_distribution(x, family, unit="pct", basis="oxide")
    expected = stats.kstest(x, ref(res.distribution).cdf).statistic
    assert res.ks_statistic == pytest.approx(expected, abs=1e-12)
    assert 0.0 <= res.ks_pvalue <= 1.0


def test_ks_statistic_with_ties_matches_scipy():
    x = np.repeat(np.random.default_rng(42).lognormal(-2.0, 0.5, 50).round(3), 3)
    res = fit_distribution(x, "lognormal", unit="pct", basis="oxide")
    d = res.distribution
    expected = stats.kstest(x, stats.lognorm(float(d.sigma), scale=math.exp(float(d.mu))).cdf)
    assert res.ks_statistic == pytest.approx(expected.statistic, abs=1e-12)


# ----------------------------------------------------------------------------- errors
def _ln(**kw: Any) -> dict[str, Any]:
    return {"unit": "pct", "basis": "oxide", **kw}


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: Lognormal.from_mean_cv(0.1, 0.0, **_ln()), InputError, "cv\\) must be > 0"),
        (lambda: Lognormal.from_mean_cv(0.1, -0.5, **_ln()), InputError, "must be > 0; got -0.5"),
        (lambda: Gamma.from_mean_cv(0.1, 0.0, **_ln()), InputError, "cv\\) must be > 0"),
        (lambda: Lognormal.from_mean_cv(0.0, 0.5, **_ln()), InputError, "mean grade must be > 0"),
        (lambda: Lognormal.from_mean_cv(-0.1, 0.5, **_ln()), InputError, "negative"),
        (lambda: Lognormal.from_median_logsd(0.0, 0.5, **_ln()), InputError,
         "median grade must be > 0"),
        (lambda: Lognormal(-2.0, 0.0, **_ln()), InputError, "sigma must be > 0"),
        (lambda: Lognormal(-2.0, [0.5, -0.1], **_ln()), InputError, "sigma must be > 0; got -0.1"),
        (lambda: Normal(0.1, 0.0, **_ln()), InputError, "scale must be > 0"),
        (lambda: Gamma(0.0, 0.1, **_ln()), InputError, "shape k must be > 0"),
        (lambda: Gamma(2.0, -0.1, **_ln()), InputError, "scale theta must be > 0"),
        (lambda: Lognormal(np.nan, 0.5, **_ln()), InputError, "missing or infinite"),
        (lambda: Lognormal(-2.0, np.nan, **_ln()), InputError, "missing or infinite"),
        (lambda: Lognormal.from_mean_cv(np.nan, 0.5, **_ln()), InputError, "missing"),
        (lambda: Lognormal.from_mean_cv(0.1, np.nan, **_ln()), InputError, "missing"),
        (lambda: Normal(np.nan, 0.1, **_ln()), InputError, "missing or infinite"),
        (lambda: Gamma(np.inf, 0.1, **_ln()), InputError, "missing or infinite"),
        (lambda: Lognormal(-2.0, 0.5, unit="pct", basis="metal"), BasisError, "'metal'"),
        (lambda: Normal(0.1, 0.1, unit="pct", basis="metal"), BasisError, "'metal'"),
        (lambda: Lognormal(-2.0, 0.5, unit="ppt", basis="oxide"), UnitError, "'ppt'"),
        (lambda: Empirical([0.1], unit="lb", basis="oxide"), UnitError, "'lb'"),
        (
            lambda: Mixture(
                [Lognormal(-2.0, 0.5, **_ln()), Lognormal(5.0, 0.5, unit="ppm", basis="oxide")],
                [0.5, 0.5],
            ),
            UnitError,
            "different units",
        ),
        (
            lambda: Mixture(
                [Lognormal(-2.0, 0.5, **_ln()), Lognormal(-2.0, 0.5, unit="pct",
                                                          basis="element")],
                [0.5, 0.5],
            ),
            BasisError,
            "element and oxide",
        ),
        (lambda: Mixture([Lognormal(-2.0, 0.5, **_ln())], [-1.0]), InputError, "negative"),
        (lambda: Mixture([], []), InputError, "at least one component"),
        (lambda: Empirical([0.1, 0.2], weights=[1.0, -1.0], **_ln()), InputError, "negative"),
        (lambda: Empirical([0.1, 0.2], weights=[0.0, 0.0], **_ln()), InputError, "sum to zero"),
        (lambda: Empirical([0.1, 0.2], weights=[1.0], **_ln()), InputError, "one value per"),
        (lambda: Empirical([0.1, np.nan], **_ln()), InputError, "missing"),
        (lambda: Empirical([0.1, -0.2], **_ln()), InputError, "negative"),
        (lambda: Empirical([0.1, 100.5], **_ln()), InputError, "over 100 %"),
        (lambda: Empirical([0.1, 1.2e6], unit="ppm", basis="oxide"), InputError, "over 100 %"),
        (lambda: Empirical([], **_ln()), InputError, "non-empty"),
        (lambda: fit_distribution([0.1, 0.0, 0.2, 0.3], "lognormal", **_ln()), InputError,
         "grades > 0"),
        (lambda: fit_distribution([0.1, 0.0, 0.2, 0.3], "gamma", **_ln()), InputError,
         "grades > 0"),
        (lambda: fit_distribution([0.1, 0.2], "normal", **_ln()), InputError,
         "at least 3 samples"),
        (lambda: fit_distribution([0.1, 0.2, 0.3], "weibull", **_ln()), InputError,
         "unknown distribution family"),
        (lambda: fit_distribution([0.1, 0.2, 0.3], "normal", method="ls", **_ln()), InputError,
         "unknown fitting method"),
        (lambda: fit_distribution([0.2, 0.2, 0.2], "normal", **_ln()), InputError, "all 3"),
        (lambda: Truncated(Normal(0.1, 0.1, **_ln()), lower=0.5, upper=0.5), InputError,
         "lower bound must be below upper bound"),
        (lambda: Truncated(Normal(0.1, 0.1, **_ln()), lower=0.6, upper=0.2), InputError,
         "lower bound must be below upper bound"),
        (lambda: Truncated(Normal(0.1, 0.1, **_ln()), lower=np.nan), InputError, "NaN"),
        (lambda: Truncated(Empirical([0.1, 0.2], **_ln())), InputError, "parametric"),
    ],
)
def test_errors(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_error_classes_are_value_errors():
    with pytest.raises(ValueError):
        Lognormal(-2.0, 0.5, unit="pct", basis="metal")
    with pytest.raises(InputError):
        Lognormal(-2.0, 0.5, unit="ppt", basis="oxide")


# ----------------------------------------------------------------------------- to_unit
def _empirical() -> Empirical:
    return Empirical([0.05, 0.1, 0.12, 0.2, 0.3], unit="pct", basis="oxide",
                     weights=[1.0, 2.0, 1.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "make",
    [c.make for c in CASES] + [_empirical],
    ids=[c.id for c in CASES] + ["empirical"],
)
def test_to_unit_pct_to_ppm(make):
    d = make()
    p = d.to_unit("ppm")
    assert p.unit == "ppm" and p.basis == d.basis and type(p) is type(d)
    assert float(p.mean()) == pytest.approx(float(d.mean()) * 1e4, rel=1e-13)
    assert float(p.std()) == pytest.approx(float(d.std()) * 1e4, rel=1e-10)
    cuts = np.array([0.03, 0.1, 0.12, 0.25])
    np.testing.assert_allclose(p.fraction_above(cuts * 1e4), d.fraction_above(cuts), rtol=1e-12)
    np.testing.assert_allclose(p.mean_above(cuts * 1e4), np.asarray(d.mean_above(cuts)) * 1e4,
                               rtol=1e-12)
    back = p.to_unit("%")
    assert back.unit == "pct"
    assert float(back.mean()) == pytest.approx(float(d.mean()), rel=1e-13)
