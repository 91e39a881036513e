"""Tests of raremin.geostats.anamorphosis: GSLIB normal scores and Hermite anamorphosis."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.polynomial import hermite_e
from scipy import integrate, optimize, stats

from raremin.errors import InputError
from raremin.geostats.anamorphosis import HermiteAnamorphosis, NormalScores
from raremin.geostats.declustering import cell_declustering
from raremin.io import read_geoeas

GAUSS = NormalDist()


# ------------------------------------------------------- independent reference code
def gslib_nscore_loop(values, weights, order):
    """
    GSLIB nscore written plainly: visit the data in `order` (sorted by value), add each
    normalised weight to the cumulative probability and score the midpoint
    ``(cp + oldcp) / 2`` (Deutsch and Journel, 1998, program nscore).
    """
    twt = 0.0
    for w in weights:
        twt += w
    wtfac = 1.0 / twt
    scores = [0.0] * len(values)
    cp = oldcp = 0.0
    for j in order:
        cp = cp + wtfac * weights[j]
        scores[j] = GAUSS.inv_cdf((cp + oldcp) / 2.0)
        oldcp = cp
    return np.array(scores)


def average_ties_loop(values, weights):
    """Tied data share the score of the midpoint of their cumulative-probability interval."""
    n = len(values)
    order = sorted(range(n), key=lambda i: values[i])
    total = sum(weights)
    scores = [0.0] * n
    cum = 0.0
    i = 0
    while i < n:
        j = i
        group = 0.0
        while j < n and values[order[j]] == values[order[i]]:
            group += weights[order[j]]
            j += 1
        score = GAUSS.inv_cdf((cum + group / 2.0) / total)
        for k in range(i, j):
            scores[order[k]] = score
        cum += group
        i = j
    return np.array(scores)


def eta(n, y):
    """Normalised Hermite polynomial He_n / sqrt(n!) from numpy's hermite_e basis."""
    coef = np.zeros(n + 1)
    coef[n] = 1.0
    return hermite_e.hermeval(y, coef) / math.sqrt(math.factorial(n))


def hermite_series(y, coefficients, r=1.0):
    """sum_n psi_n r^n eta_n(y) with numpy's hermeval (independent of the module)."""
    n = np.arange(coefficients.size)
    scaled = coefficients * r**n / np.array([math.sqrt(math.factorial(k)) for k in n])
    return hermite_e.hermeval(y, scaled)


def lognormal_coefficients(mu, s, n_terms):
    """psi_n of Z = exp(mu + s Y): exp(mu + s^2/2) s^n / sqrt(n!) (eta_n = He_n/sqrt(n!))."""
    return np.array([math.exp(mu + s * s / 2) * s**n / math.sqrt(math.factorial(n))
                     for n in range(n_terms)])


def quantile_sample(mu, s, n):
    """Deterministic lognormal 'sample': its quantiles at (i - 1/2) / n."""
    return np.exp(mu + s * stats.norm.ppf((np.arange(n) + 0.5) / n))


@pytest.fixture
def cluster(validation_dir):
    """GSLIB's cluster.dat: 140 clustered samples, primary variable and its weights."""
    frame = read_geoeas(validation_dir / "gslib" / "cluster.dat")
    return (frame[["Xlocation", "Ylocation"]].to_numpy(), frame["Primary"].to_numpy(),
            frame["Declustering Weight"].to_numpy())


def tied_values(rng, n=300):
    return np.round(rng.lognormal(1.0, 0.8, n), 1)


# ===================================================================== normal scores
@pytest.mark.parametrize("weighted", [False, True])
def test_scores_match_gslib_loop_without_ties(rng, weighted):
    values = rng.lognormal(5.0, 1.0, 400)
    weights = rng.uniform(0.2, 3.0, values.size) if weighted else np.ones(values.size)
    for ties in ("average", "gslib"):
        ns = NormalScores(ties).fit(values, weights if weighted else None, seed=1)
        expected = gslib_nscore_loop(values, weights, np.argsort(values))
        np.testing.assert_allclose(ns.scores_, expected, rtol=0, atol=1e-12)
        assert ns.n_tied_ == 0


@pytest.mark.parametrize("weighted", [False, True])
def test_average_ties_match_loop(rng, weighted):
    values = tied_values(rng)
    weights = rng.uniform(0.2, 3.0, values.size) if weighted else np.ones(values.size)
    ns = NormalScores("average").fit(values, weights if weighted else None)
    expected = average_ties_loop(list(values), list(weights))
    np.testing.assert_allclose(ns.scores_, expected, rtol=0, atol=1e-12)
    # equal values, equal scores; one table row per distinct value
    _, inverse = np.unique(values, return_inverse=True)
    for k in range(inverse.max() + 1):
        assert np.ptp(ns.scores_[inverse == k]) == 0
    np.testing.assert_array_equal(ns.table_values_, np.unique(values))
    counts = np.bincount(inverse)
    assert ns.n_tied_ == int(counts[counts > 1].sum())


def test_average_ties_equal_weights_is_mean_of_midpoints():
    values = [5.0, 1.0, 5.0, 9.0]
    ns = NormalScores().fit(values)
    # midpoints 1/8, 3/8, 5/8, 7/8; the tie at 5 takes (3/8 + 5/8) / 2
    np.testing.assert_allclose(ns.scores_, [0.0, GAUSS.inv_cdf(1 / 8), 0.0,
                                            GAUSS.inv_cdf(7 / 8)], atol=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
def test_gslib_ties_are_a_seeded_gslib_table(rng, weighted):
    values = tied_values(rng)
    weights = rng.uniform(0.2, 3.0, values.size) if weighted else None
    w = np.ones(values.size) if weights is None else weights
    a = NormalScores("gslib").fit(values, weights, seed=11)
    b = NormalScores("gslib").fit(values, weights, seed=11)
    c = NormalScores("gslib").fit(values, weights, seed=12)
    np.testing.assert_array_equal(a.scores_, b.scores_)
    assert not np.array_equal(a.scores_, c.scores_)  # another order among ties
    # the order of the scores sorts the values: a GSLIB table for that order
    order = np.argsort(a.scores_)
    assert np.all(np.diff(values[order]) >= 0)
    np.testing.assert_allclose(a.scores_, gslib_nscore_loop(values, w, order), atol=1e-12)
    assert len(np.unique(a.scores_)) == values.size  # every datum has its own score
    if weights is None:  # equal weights: the same set of scores whatever the order
        np.testing.assert_array_equal(np.sort(a.scores_), np.sort(c.scores_))
    # tied data share the cumulative interval of the average rule
    avg = NormalScores("average").fit(values, weights)
    for v in np.unique(values)[:20]:
        tie = values == v
        inside = GAUSS.cdf(a.scores_[tie].min()), GAUSS.cdf(a.scores_[tie].max())
        assert inside[0] <= GAUSS.cdf(avg.scores_[tie][0]) <= inside[1] + 1e-15


def test_gslib_seed_accepts_a_generator():
    values = [1.0, 2.0, 2.0, 2.0, 3.0]
    a = NormalScores("gslib").fit(values, seed=np.random.default_rng(5))
    b = NormalScores("gslib").fit(values, seed=5)
    np.testing.assert_array_equal(a.scores_, b.scores_)


def test_cluster_dat_normal_scores(cluster):
    xy, primary, column_weights = cluster
    declus = cell_declustering(xy, primary, cell_sizes=[5.0], n_offsets=5)
    for weights in (None, column_weights, declus.weights):
        w = np.ones(primary.size) if weights is None else weights
        ns = NormalScores().fit(primary, weights)
        np.testing.assert_allclose(ns.scores_, average_ties_loop(list(primary), list(w)),
                                   atol=1e-12)
        gs = NormalScores("gslib").fit(primary, weights, seed=3)
        order = np.argsort(gs.scores_)
        np.testing.assert_allclose(gs.scores_, gslib_nscore_loop(primary, w, order),
                                   atol=1e-12)
        for fitted in (ns, gs):
            np.testing.assert_array_equal(fitted.back_transform(fitted.scores_), primary)
            np.testing.assert_array_equal(
                fitted.back_transform(fitted.transform(primary)), primary)
    # cluster.dat has 17 values shared by 32 samples (e.g. 0.06, 0.06)
    assert ns.n_tied_ == 32
    assert ns.table_values_.size == 123
    # declustering moves the scores of the clustered high values up the table
    assert ns.transform(float(np.median(primary))) > 0.3


@pytest.mark.parametrize("ties", ["average", "gslib"])
def test_back_transform_of_transform_is_exact(rng, ties):
    values = tied_values(rng, 500)
    weights = rng.uniform(0.5, 2.0, values.size)
    ns = NormalScores(ties, zmin=0.0, zmax=100.0).fit(values, weights, seed=2)
    np.testing.assert_array_equal(ns.back_transform(ns.transform(values)), values)
    np.testing.assert_array_equal(ns.back_transform(ns.scores_), values)
    # new arrays holding the data values (another shape: realisations x nodes)
    grid = values[:400].reshape(4, 100)
    back = ns.back_transform(ns.transform(grid))
    assert back.shape == (4, 100)
    np.testing.assert_array_equal(back, grid)


def test_transform_interpolates_the_table():
    ns = NormalScores(zmin=0.0, zmax=10.0).fit([1.0, 2.0, 3.0, 4.0])
    y2, y3 = GAUSS.inv_cdf(3 / 8), GAUSS.inv_cdf(5 / 8)
    assert ns.transform(2.5) == pytest.approx(0.0, abs=1e-15)
    assert ns.transform(2.25) == pytest.approx(y2 + 0.25 * (y3 - y2), abs=1e-15)
    assert ns.back_transform(y2 + 0.25 * (y3 - y2)) == pytest.approx(2.25, abs=1e-14)
    # gslib ties: between values, from the last score of a tie to the next first score
    gs = NormalScores("gslib").fit([1.0, 2.0, 2.0, 3.0], seed=0)
    last_tie, nxt = GAUSS.inv_cdf(5 / 8), GAUSS.inv_cdf(7 / 8)
    assert gs.transform(2.5) == pytest.approx(0.5 * (last_tie + nxt), abs=1e-15)
    assert gs.transform(2.0) == pytest.approx(0.0, abs=1e-15)  # the tie's average
    # every score of the tie's interval maps back to the tied value
    ys = np.linspace(GAUSS.inv_cdf(3 / 8), GAUSS.inv_cdf(5 / 8), 7)
    np.testing.assert_array_equal(gs.back_transform(ys), 2.0)


def test_tails_reach_zmin_and_zmax():
    ns = NormalScores(zmin=0.0, zmax=10.0).fit([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(ns.back_transform([-np.inf, np.inf]), [0.0, 10.0])
    assert ns.back_transform(-40.0) == pytest.approx(0.0, abs=1e-12)
    assert ns.back_transform(40.0) == 10.0
    np.testing.assert_array_equal(ns.transform([0.0, 10.0]), [-np.inf, np.inf])
    # defaults: the data range, no extrapolation
    dflt = NormalScores().fit([1.0, 2.0, 3.0, 4.0])
    assert (dflt.zmin_, dflt.zmax_) == (1.0, 4.0)
    np.testing.assert_array_equal(dflt.back_transform([-9.0, 9.0]), [1.0, 4.0])


def test_linear_tails_by_hand():
    ns = NormalScores(zmin=0.0, zmax=10.0).fit([1.0, 2.0, 3.0, 4.0])
    p = GAUSS.cdf(-1.5)
    assert ns.back_transform(-1.5) == pytest.approx(p / 0.125, rel=1e-12)
    assert ns.back_transform(1.5) == pytest.approx(4.0 + 6.0 * (1 - p / 0.125), rel=1e-12)


def test_power_tails_by_hand():
    ns = NormalScores(zmin=0.0, zmax=10.0, lower_tail="power", lower_power=2.5,
                      upper_tail="power", upper_power=0.5).fit([1.0, 2.0, 3.0, 4.0])
    p_lo, q_hi = GAUSS.cdf(-1.5), GAUSS.cdf(-1.2)
    # lower: F(z) = p_1 ((z - zmin) / (z_1 - zmin))**omega, p_1 = 1/8
    z_lo = 0.0 + (1.0 - 0.0) * (p_lo / 0.125) ** (1 / 2.5)
    # upper: F(z) = p_n + (1 - p_n) ((z - z_n) / (zmax - z_n))**omega, p_n = 7/8
    z_hi = 4.0 + (10.0 - 4.0) * ((1 - q_hi - 0.875) / 0.125) ** (1 / 0.5)
    assert ns.back_transform(-1.5) == pytest.approx(z_lo, rel=1e-12)
    assert ns.back_transform(1.2) == pytest.approx(z_hi, rel=1e-11)
    assert ns.transform(z_lo) == pytest.approx(-1.5, rel=1e-12)
    assert ns.transform(z_hi) == pytest.approx(1.2, rel=1e-11)


def test_hyperbolic_tail_by_hand():
    ns = NormalScores(upper_tail="hyperbolic", upper_power=1.5).fit([1.0, 2.0, 3.0, 4.0])
    assert ns.zmax_ == np.inf
    q = GAUSS.cdf(-2.0)
    lam = 4.0**1.5 * 0.125  # 1 - F(z) = lambda / z**omega through the last datum
    assert ns.back_transform(2.0) == pytest.approx((lam / q) ** (1 / 1.5), rel=1e-12)
    assert ns.transform((lam / q) ** (1 / 1.5)) == pytest.approx(2.0, rel=1e-12)
    assert ns.back_transform(np.inf) == np.inf
    capped = NormalScores(zmax=20.0, upper_tail="hyperbolic",
                          upper_power=1.5).fit([1.0, 2.0, 3.0, 4.0])
    assert capped.back_transform(2.0) == pytest.approx((lam / q) ** (1 / 1.5), rel=1e-12)
    assert capped.back_transform(6.0) == 20.0  # GSLIB backtr caps at zmax


values_strategy = arrays(np.float64, st.integers(2, 60),
                         elements=st.integers(0, 25).map(lambda k: 0.5 * k))


@settings(max_examples=60, deadline=None)
@given(values=values_strategy, ties=st.sampled_from(["average", "gslib"]),
       lower=st.sampled_from([None, 0.5, 2.0]),
       upper=st.sampled_from([None, ("power", 0.7), ("hyperbolic", 1.3)]),
       seed=st.integers(0, 2**16))
def test_monotone_and_inverse_property(values, ties, lower, upper, seed):
    assume(np.unique(values).size >= 2)
    assume(upper is None or upper[0] != "hyperbolic" or values.max() > 0)
    kwargs = {"zmin": -1.0, "zmax": 40.0}
    if lower is not None:
        kwargs.update(lower_tail="power", lower_power=lower)
    if upper is not None:
        kwargs.update(upper_tail=upper[0], upper_power=upper[1])
    weights = np.random.default_rng(seed).uniform(0.1, 2.0, values.size)
    ns = NormalScores(ties, **kwargs).fit(values, weights, seed=seed)
    np.testing.assert_array_equal(ns.back_transform(ns.transform(values)), values)
    ys = np.r_[-np.inf, np.linspace(-6.0, 6.0, 301), np.inf]
    back = ns.back_transform(ys)
    assert np.all(np.diff(back) >= 0)
    assert back[0] == -1.0 and back[-1] == 40.0
    zs = np.linspace(-1.0, 40.0, 301)
    fwd = ns.transform(zs)
    assert np.all(np.diff(fwd) >= 0)
    inner = np.isfinite(fwd)
    np.testing.assert_allclose(ns.back_transform(fwd[inner]), zs[inner], rtol=1e-9, atol=1e-9)


def test_nan_passes_through_and_shapes_are_kept(rng):
    ns = NormalScores(zmin=0.0, zmax=50.0).fit(rng.lognormal(1.0, 0.5, 50))
    y = rng.normal(size=(3, 4, 5))
    y[0, 0, 0] = np.nan
    z = ns.back_transform(y)
    assert z.shape == (3, 4, 5) and z.dtype == np.float64
    assert np.isnan(z[0, 0, 0]) and np.isfinite(z).sum() == 59
    scores = ns.transform(z)
    assert np.isnan(scores[0, 0, 0])
    assert isinstance(ns.back_transform(0.0), float)


@pytest.mark.parametrize(
    ("kwargs", "fit", "message"),
    [
        ({}, ([1.0, np.nan, 2.0],), "NaN"),
        ({}, ([3.0, 3.0, 3.0],), "two distinct"),
        ({}, ([[1.0, 2.0], [3.0, 4.0]],), "1-D"),
        ({}, ([1.0, 2.0, 3.0], [1.0, 0.0, 1.0]), "weights must be > 0"),
        ({}, ([1.0, 2.0, 3.0], [1.0, 1.0]), "one value per sample"),
        ({"ties": "random"}, ([1.0, 2.0],), "unknown ties"),
        ({"lower_tail": "hyperbolic"}, ([1.0, 2.0],), "unknown lower_tail"),
        ({"upper_tail": "power"}, ([1.0, 2.0],), "needs upper_power"),
        ({"lower_power": 2.0}, ([1.0, 2.0],), "only used by"),
        ({"upper_tail": "hyperbolic", "upper_power": 0.5}, ([1.0, 2.0],), ">= 1"),
        ({"lower_tail": "power", "lower_power": 0.0}, ([1.0, 2.0],), "> 0"),
        ({"zmin": 1.5}, ([1.0, 2.0],), "above the smallest"),
        ({"zmax": 1.5}, ([1.0, 2.0],), "below the largest"),
        ({"upper_tail": "hyperbolic", "upper_power": 2.0}, ([-3.0, -1.0],), "positive"),
    ],
)
def test_normal_scores_errors(kwargs, fit, message):
    with pytest.raises(InputError, match=message):
        NormalScores(**kwargs).fit(*fit)


def test_transform_refuses_values_outside_the_bounds():
    ns = NormalScores(zmin=0.0, zmax=10.0).fit([1.0, 2.0, 3.0])
    with pytest.raises(InputError, match=r"outside \[zmin, zmax\] = \[0, 10\].*-1.0"):
        ns.transform([5.0, -1.0])
    with pytest.raises(InputError, match="not fitted"):
        NormalScores().transform([1.0])


# ============================================================ Hermite anamorphosis
def test_coefficients_match_quadrature_of_the_step_function(rng):
    values = np.round(rng.gamma(2.0, 3.0, 12), 1)
    weights = rng.uniform(0.5, 2.0, values.size)
    anam = HermiteAnamorphosis(n_terms=8).fit(values, weights)
    distinct = np.unique(values)
    cum = np.cumsum([weights[values == v].sum() for v in distinct]) / weights.sum()
    edges = np.r_[-np.inf, stats.norm.ppf(cum[:-1]), np.inf]
    expected = [
        sum(z * integrate.quad(lambda y, n=n: eta(n, y) * stats.norm.pdf(y), lo, hi,
                               epsabs=1e-13)[0]
            for z, lo, hi in zip(distinct, edges[:-1], edges[1:], strict=True))
        for n in range(8)
    ]
    np.testing.assert_allclose(anam.coefficients_, expected, rtol=0, atol=1e-9)
    assert anam.mean_ == pytest.approx(np.average(values, weights=weights), rel=1e-14)
    assert anam.coefficients_[1] > 0  # increasing anamorphosis, eta_1(y) = y
    data_var = np.average((values - anam.mean_) ** 2, weights=weights)
    assert anam.data_variance_ == pytest.approx(data_var, rel=1e-12)
    assert anam.variance_explained_ == pytest.approx(anam.variance_ / data_var, rel=1e-12)


def test_variance_explained_grows_with_terms(rng):
    values = rng.lognormal(0.0, 0.7, 500)
    explained = [HermiteAnamorphosis(n).fit(values).variance_explained_
                 for n in (2, 5, 10, 30, 100)]
    assert np.all(np.diff(explained) > 0)
    assert explained[-1] < 1.0 and explained[-1] > 0.99


@pytest.mark.parametrize(("s", "n_check"), [(0.5, 10), (1.0, 4)])
def test_lognormal_quantiles_give_lognormal_coefficients(s, n_check):
    # the step function of n quantiles misses the lognormal beyond its last value, which
    # weighs on high orders first (the more so the more skewed): compare the first ones
    mu = 1.0
    anam = HermiteAnamorphosis(n_terms=30).fit(quantile_sample(mu, s, 200_000))
    exact = lognormal_coefficients(mu, s, n_check)
    np.testing.assert_allclose(anam.coefficients_[:n_check], exact, rtol=0,
                               atol=2e-3 * exact[0])
    # the error shrinks with the sample size
    small = HermiteAnamorphosis(n_terms=30).fit(quantile_sample(mu, s, 2000))
    err = np.abs(anam.coefficients_[:n_check] - exact).max()
    assert err < np.abs(small.coefficients_[:n_check] - exact).max() / 4


def test_lognormal_sample_coefficients(rng):
    mu, s = 2.0, 0.8
    anam = HermiteAnamorphosis(n_terms=30).fit(rng.lognormal(mu, s, 50_000))
    exact = lognormal_coefficients(mu, s, 4)
    np.testing.assert_allclose(anam.coefficients_[:4], exact, rtol=0.05)


def test_series_matches_hermeval(rng):
    anam = HermiteAnamorphosis(n_terms=25).fit(rng.lognormal(0.0, 0.6, 300))
    y = np.linspace(-3.0, 3.0, 41)
    for r in (1.0, 0.8, 0.3):
        np.testing.assert_allclose(anam.back_transform(y, r, monotone=False),
                                   hermite_series(y, anam.coefficients_, r),
                                   rtol=1e-11, atol=1e-11)
    grid = anam(y.reshape(1, -1, 1).repeat(2, axis=0), 0.8, monotone=False)
    assert grid.shape == (2, 41, 1)


@pytest.mark.parametrize("r", [1.0, 0.7])
def test_metal_above_is_the_integral_of_phi_above_y_c(rng, r):
    anam = HermiteAnamorphosis(n_terms=20).fit(rng.lognormal(0.0, 0.6, 400))
    cutoffs = np.array([0.5, 1.0, 1.5, 2.5])
    tonnage = anam.tonnage_above(cutoffs, r)
    metal = anam.metal_above(cutoffs, r)
    for c, t, q in zip(cutoffs, tonnage, metal, strict=True):
        yc = stats.norm.isf(t)
        integral = integrate.quad(
            lambda y: hermite_series(y, anam.coefficients_, r) * stats.norm.pdf(y),
            yc, np.inf, epsabs=1e-12)[0]
        assert q == pytest.approx(integral, rel=1e-8)
        # y_c is where phi_r crosses the cut-off (phi_r is monotone in this range)
        root = optimize.brentq(
            lambda y, c=c: hermite_series(y, anam.coefficients_, r) - c, -3.0, 3.0)
        assert yc == pytest.approx(root, abs=1e-6)
    # a cut-off below every value: all tonnage, the whole mean
    assert anam.tonnage_above(0.0, r) == 1.0
    assert anam.metal_above(0.0, r) == pytest.approx(anam.mean_, rel=1e-15)
    assert anam.metal_above(1e6, r) == 0.0 and anam.tonnage_above(1e6, r) == 0.0


@pytest.mark.parametrize("r", [1.0, 0.85, 0.6])
def test_lognormal_block_tonnage_and_metal_are_analytic(r):
    mu, s = 1.0, 0.8
    anam = HermiteAnamorphosis(n_terms=40).fit(quantile_sample(mu, s, 200_000))
    m = math.exp(mu + s * s / 2)
    # phi_r(y) = m exp(s r y - (s r)^2 / 2): block grades lognormal
    cutoffs = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    yc = (np.log(cutoffs / m) + (s * r) ** 2 / 2) / (s * r)
    np.testing.assert_allclose(anam.tonnage_above(cutoffs, r), stats.norm.sf(yc), atol=1e-3)
    np.testing.assert_allclose(anam.metal_above(cutoffs, r), m * stats.norm.cdf(s * r - yc),
                               rtol=2e-3)
    var = m * m * (math.exp((s * r) ** 2) - 1)
    assert anam.block_variance(r) == pytest.approx(var, rel=2e-3)


def test_point_tonnage_reproduces_the_data(rng):
    values = rng.lognormal(0.0, 1.0, 5000)
    anam = HermiteAnamorphosis(n_terms=30).fit(values)
    cutoffs = np.quantile(values, np.linspace(0.05, 0.95, 19))
    frac = (values[None, :] >= cutoffs[:, None]).mean(axis=1)
    # the 30-term series smooths the step function of the sample (about 0.005 to 0.015
    # off in tonnage, depending on the sample); the mean is exact
    np.testing.assert_allclose(anam.tonnage_above(cutoffs), frac, atol=0.02)
    metal = (values[None, :] * (values[None, :] >= cutoffs[:, None])).mean(axis=1)
    np.testing.assert_allclose(anam.metal_above(cutoffs), metal, rtol=0.03)
    assert anam.metal_above(values.min() - 10.0) == pytest.approx(values.mean(), rel=1e-14)


def test_cluster_dat_hermite(cluster):
    _, primary, weights = cluster
    anam = HermiteAnamorphosis(n_terms=30).fit(primary, weights)
    assert anam.mean_ == pytest.approx(np.average(primary, weights=weights), rel=1e-14)
    assert anam.mean_ == pytest.approx(2.5281, abs=1e-4)  # declustered mean
    assert 0.9 < anam.variance_explained_ < 1.0
    cutoffs = np.quantile(primary, [0.1, 0.3, 0.5, 0.7, 0.9])
    frac = np.array([weights[primary >= c].sum() for c in cutoffs]) / weights.sum()
    np.testing.assert_allclose(anam.tonnage_above(cutoffs), frac, atol=0.05)
    # 140 skewed values: the series wiggles, the monotone version does not
    y = np.linspace(-4.0, 4.0, 2001)
    assert np.any(np.diff(anam.back_transform(y, monotone=False)) < 0)
    assert np.all(np.diff(anam.back_transform(y)) >= 0)
    tonnage = anam.tonnage_above(np.linspace(0.0, 60.0, 601), 0.8)
    assert np.all(np.diff(tonnage) <= 0) and tonnage[0] == 1.0 and tonnage[-1] == 0.0


def test_monotone_back_transform_is_consistent_with_tonnage(rng):
    anam = HermiteAnamorphosis(n_terms=30).fit(rng.lognormal(0.0, 1.2, 300))
    y_lo, y_hi = anam.y_range_
    y = np.linspace(y_lo + 0.01, y_hi - 0.01, 201)
    for r in (1.0, 0.7):
        z = anam.back_transform(y, r)
        rising = np.diff(z) > 1e-6
        steep = np.r_[False, rising[:-1] & rising[1:], False]  # off the flat stretches
        np.testing.assert_allclose(anam.tonnage_above(z[steep], r), stats.norm.sf(y[steep]),
                                   atol=1e-5)
        ends = anam.back_transform([-np.inf, np.inf, np.nan], r)
        assert ends[0] == anam.back_transform(y_lo, r)
        assert ends[1] == anam.back_transform(y_hi, r) and np.isnan(ends[2])
    # where the series is monotone, the monotone version is the series itself
    mid = np.linspace(-1.0, 1.0, 51)
    raw = anam.back_transform(mid, monotone=False)
    if np.all(np.diff(raw) > 0):
        np.testing.assert_array_equal(anam.back_transform(mid), raw)


def test_support_coefficient_inverts_block_variance(rng):
    anam = HermiteAnamorphosis(n_terms=30).fit(rng.lognormal(0.0, 0.8, 1000))
    r = np.array([0.05, 0.3, 0.6, 0.9, 0.999])
    found = anam.support_coefficient(anam.block_variance(r))
    np.testing.assert_allclose(found, r, rtol=1e-12)
    assert anam.support_coefficient(anam.variance_) == 1.0
    assert anam.block_variance(0.0) == 0.0
    assert isinstance(anam.support_coefficient(0.5 * anam.variance_), float)
    with pytest.raises(InputError, match="exceeds the point variance"):
        anam.support_coefficient(1.01 * anam.variance_)
    with pytest.raises(InputError, match="must be > 0"):
        anam.support_coefficient([0.1, 0.0])
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        anam.block_variance(1.2)


def test_block_support_shrinks_the_spread(rng):
    anam = HermiteAnamorphosis(n_terms=30).fit(rng.lognormal(0.0, 0.8, 1000))
    high = np.quantile(rng.lognormal(0.0, 0.8, 1000), 0.9)
    # more tonnage above a low cut-off, less above a high one, for blocks
    assert anam.tonnage_above(0.5, 0.6) > anam.tonnage_above(0.5, 1.0)
    assert anam.tonnage_above(high, 0.6) < anam.tonnage_above(high, 1.0)
    assert anam.metal_above(-1.0, 0.6) == pytest.approx(anam.mean_, rel=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: HermiteAnamorphosis(n_terms=1).fit([1.0, 2.0]), "n_terms"),
        (lambda: HermiteAnamorphosis(n_terms=2.5).fit([1.0, 2.0]), "n_terms"),
        (lambda: HermiteAnamorphosis().fit([1.0, np.nan]), "NaN"),
        (lambda: HermiteAnamorphosis().fit([1.0, 2.0], [1.0, -1.0]), "weights must be > 0"),
        (lambda: HermiteAnamorphosis().tonnage_above(1.0), "not fitted"),
        (lambda: HermiteAnamorphosis(5).fit([1.0, 2.0]).tonnage_above(1.0, 0.0), r"\(0, 1\]"),
        (lambda: HermiteAnamorphosis(5).fit([1.0, 2.0]).back_transform(0.0, 1.5), r"\(0, 1\]"),
        (lambda: HermiteAnamorphosis(5).fit([1.0, 2.0]).back_transform(np.inf, monotone=False),
         "infinite"),
    ],
)
def test_hermite_errors(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_cutoffs_any_shape_and_nan():
    anam = HermiteAnamorphosis(10).fit(np.linspace(1.0, 9.0, 101))
    cut = np.array([[2.0, np.nan], [5.0, 8.0]])
    t = anam.tonnage_above(cut, 0.9)
    q = anam.metal_above(cut, 0.9)
    assert t.shape == q.shape == (2, 2)
    assert np.isnan(t[0, 1]) and np.isnan(q[0, 1])
    assert t[1, 0] == pytest.approx(0.5, abs=1e-6)
    assert isinstance(anam.tonnage_above(5.0), float)
