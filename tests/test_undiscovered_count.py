"""Tests of raremin.undiscovered.count: the pmf of the number of undiscovered deposits."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from raremin.errors import ConvergenceError, InputError
from raremin.undiscovered import count as count_module
from raremin.undiscovered.count import METHODS, CountPmf, count_pmf, read_elicitation

EXAMPLES = ("ExampleDepEst1", "ExampleDepEst2", "ExampleDepEst3", "ExampleDepEst4")

#: A small elicitation of our own, so that the tests run without the validation data.
SMALL = pd.DataFrame({
    "Name": ["ann", "bob", "cy", "dee"],
    "Weight": [1.0, 2.0, 1.0, 0.5],
    "N90": [1, 2, 0, 3],
    "N50": [3, 4, 2, 6],
    "N10": [6, 9, 5, 12],
})


def _example(validation_dir, name):
    return validation_dir / "mapmark4" / f"{name}.csv"


# ------------------------------------------------------------------ independent helpers
def upper_quantiles(size, prob, levels=(0.9, 0.5, 0.1)):
    """Smallest x with P(N > x) <= level, by a plain search over the survival function."""
    mean = size * (1 - prob) / prob
    x = np.arange(0, int(mean + 40 * np.sqrt(mean / prob)) + 50)
    sf = stats.nbinom.sf(x, size, prob)
    return [int(x[np.argmax(sf <= level)]) for level in levels]


def upper_quantile(level, size, prob):
    return upper_quantiles(size, prob, (level,))[0]


def mapmark4_cost(prob, size, table, power=1.0):
    """MapMark4's cost: sum over experts of weight x |fitted - elicited| ** power."""
    if not (0 < prob < 1 and size > 0):
        return np.inf
    q = np.array(upper_quantiles(size, prob))
    w = table["Weight"].to_numpy(dtype=float)
    counts = table[["N90", "N50", "N10"]].to_numpy(dtype=float)
    return float(np.sum(w[w > 0, None] * np.abs(q - counts[w > 0]) ** power))


def truncated_nbinom(size, prob, tail=0.001):
    """MapMark4's truncated negative binomial, built directly from scipy.stats.nbinom."""
    n_max = upper_quantile(tail, size, prob)
    pmf = stats.nbinom.pmf(np.arange(n_max + 1), size, prob)
    pmf[pmf < pmf[-1]] = 0.0
    return pmf / pmf.sum()


def weighted_median(values, weights):
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    return float(np.asarray(values)[order][np.searchsorted(cum, cum[-1] / 2)])


# ----------------------------------------------------------- MapMark4's published figures
def test_example1_reproduces_mapmark4_users_guide(validation_dir):
    # Ellefsen (2017), MapMark4 User's Guide (vignettes/Users-Guide.Rmd), summary(oPmf) of
    # ExampleDepEst1: mean 10.6613, variance 43.0923, sd 6.56447, mode 7, 0..42 deposits,
    # entropy 3.19684; and P(0) = 0.00787, P(1) = 0.0204 quoted under its figure 4.
    pmf = count_pmf(_example(validation_dir, "ExampleDepEst1"))
    assert pmf.mean == pytest.approx(10.6613, abs=5e-5)
    assert pmf.var == pytest.approx(43.0923, abs=5e-5)
    assert pmf.std == pytest.approx(6.56447, abs=5e-6)
    assert pmf.mode == 7
    assert (int(np.flatnonzero(pmf.pmf)[0]), pmf.n_max) == (0, 42)
    assert pmf.entropy == pytest.approx(3.19684, abs=5e-6)
    assert pmf.p_zero == pytest.approx(0.00787, abs=5e-6)
    assert pmf.pmf[1] == pytest.approx(0.0204, abs=5e-5)


@pytest.mark.parametrize(("thresholds", "expected"), [
    # Root, Menzie and Scott (1992), Tables 3 and 4, pmfs A and B (as tested in MapMark4's
    # tests/testthat/testNDepositsPmf.R at commit bfece22).
    ((1, 2, 4), [0.067, 0.233, 0.300, 0.200, 0.200]),
    ((0, 2, 2), [0.2, 0.2, 0.6]),
])
def test_mark3_reproduces_root_menzie_scott(thresholds, expected):
    table = {"Name": ["x"], "Weight": [1.0], "N90": [thresholds[0]],
             "N50": [thresholds[1]], "N10": [thresholds[2]]}
    pmf = count_pmf(table, "mark3")
    assert_allclose(pmf.pmf, expected, atol=5e-4)


# -------------------------------------------------------------- the negative binomial fit
@pytest.mark.parametrize("name", EXAMPLES)
def test_negative_binomial_matches_scipy_on_examples(validation_dir, name):
    pmf = count_pmf(_example(validation_dir, name))
    size, prob = pmf.parameters["size"], pmf.parameters["prob"]
    assert_allclose(pmf.pmf, truncated_nbinom(size, prob), rtol=1e-12, atol=1e-15)
    assert pmf.pmf.sum() == pytest.approx(1.0, abs=1e-12)
    # The untruncated moments follow from (size, prob) as scipy defines them.
    assert pmf.parameters["nb_mean"] == pytest.approx(stats.nbinom.mean(size, prob))
    assert pmf.parameters["nb_var"] == pytest.approx(stats.nbinom.var(size, prob))
    assert pmf.parameters["nb_var"] > pmf.parameters["nb_mean"]
    # The truncation rule: the dropped upper tail is <= 0.001, one count less it is > 0.001.
    n_max = pmf.n_max
    assert stats.nbinom.sf(n_max, size, prob) <= 0.001 < stats.nbinom.sf(n_max - 1, size, prob)
    assert pmf.parameters["upper_tail_mass"] == pytest.approx(
        stats.nbinom.sf(n_max, size, prob))


@pytest.mark.parametrize("name", EXAMPLES)
def test_negative_binomial_fit_fits(validation_dir, name):
    path = _example(validation_dir, name)
    table = pd.read_csv(path)
    pmf = count_pmf(path)
    par = pmf.parameters
    # The reported cost and quantiles are MapMark4's cost at the fitted point.
    fitted = upper_quantiles(par["size"], par["prob"])
    assert fitted == [par["fit_N90"], par["fit_N50"], par["fit_N10"]]
    assert par["cost"] == pytest.approx(mapmark4_cost(par["prob"], par["size"], table))
    assert par["cost"] <= par["grid_cost"]
    # No better than the best of a coarse independent grid over (mean, variance).
    w = table["Weight"].to_numpy()
    lo = w @ table["N90"] / w.sum()
    up = w @ table["N10"] / w.sum()
    coarse = []
    for mean in np.linspace(lo + 0.01, up, 8):
        for var in np.linspace(mean * 1.01 + 0.01, max((up - lo) ** 2, 2 * mean + 1), 8):
            p = mean / var
            coarse.append(mapmark4_cost(p, mean * p / (1 - p), table))
    assert par["cost"] <= min(coarse)
    # The fitted quantiles sit near the weighted medians of the experts' values (the
    # minimiser of each weighted L1 term alone), within a fifth of the experts' spread.
    spread = table["N10"].max() - table["N90"].min()
    for col in ("N90", "N50", "N10"):
        assert abs(par[f"fit_{col}"] - weighted_median(table[col], w)) <= 0.2 * spread


@pytest.mark.parametrize("name", EXAMPLES)
def test_grid_search_is_mapmark4_grid(validation_dir, name):
    # Without refinement the fit is the first minimum of MapMark4's 40 x 40 grid, in R's
    # column-major order, found here by plain loops.
    path = _example(validation_dir, name)
    table = pd.read_csv(path)
    w = table["Weight"].to_numpy()
    lo = w @ table["N90"] / w.sum()
    up = w @ table["N10"] / w.sum()
    best, best_at = np.inf, None
    means = np.linspace(lo + 0.01, up, 40)
    costs = np.full((40, 40), np.inf)
    params = {}
    for i, mean in enumerate(means):
        for j, var in enumerate(np.linspace(mean + 0.01, (up - lo) ** 2, 40)):
            if var > mean > 0:
                p = mean / var
                params[i, j] = (p, mean * p / (1 - p))
                costs[i, j] = mapmark4_cost(*params[i, j], table)
    for j in range(40):  # column-major, first minimum wins
        for i in range(40):
            if costs[i, j] < best:
                best, best_at = costs[i, j], (i, j)
    pmf = count_pmf(path, refine=False)
    assert pmf.parameters["grid_cost"] == pytest.approx(best)
    assert (pmf.parameters["prob"], pmf.parameters["size"]) == pytest.approx(params[best_at])


def test_small_elicitation_negative_binomial():
    pmf = count_pmf(SMALL)
    par = pmf.parameters
    assert par["lower_bound"] == pytest.approx((1 + 4 + 0 + 1.5) / 4.5)
    assert par["upper_bound"] == pytest.approx((6 + 18 + 5 + 6) / 4.5)
    assert_allclose(pmf.pmf, truncated_nbinom(par["size"], par["prob"]), rtol=1e-12)
    assert par["cost"] == pytest.approx(mapmark4_cost(par["prob"], par["size"], SMALL))
    assert par["cost"] <= par["grid_cost"]
    assert par["fit_N90"] <= par["fit_N50"] <= par["fit_N10"]
    # Every quantile lies within the experts' range and near their weighted median.
    assert (par["fit_N90"], par["fit_N50"], par["fit_N10"]) in {(1, 4, 9), (2, 4, 9),
                                                                (1, 4, 8), (2, 4, 8)}
    assert pmf.elicitation is not None and list(pmf.elicitation["Name"]) == list(SMALL.Name)


def test_zero_weight_experts_take_no_part():
    outlier = pd.DataFrame({"Name": ["far"], "Weight": [0.0], "N90": [50], "N50": [90],
                            "N10": [300]})
    more = pd.concat([SMALL, outlier], ignore_index=True)
    for method in ("negative_binomial", "mark3", "poisson"):
        assert_allclose(np.trim_zeros(count_pmf(more, method).pmf, "b"),
                        np.trim_zeros(count_pmf(SMALL, method).pmf, "b"), rtol=1e-12)


def test_weights_argument_replaces_column():
    same = count_pmf(SMALL.drop(columns="Weight"), weights=SMALL["Weight"].to_numpy())
    assert_allclose(same.pmf, count_pmf(SMALL).pmf)
    equal = count_pmf(SMALL, "mark3", weights=[1, 1, 1, 1])
    assert not np.allclose(np.trim_zeros(equal.pmf, "b")[:3], count_pmf(SMALL, "mark3").pmf[:3])


def test_power_and_tail_prob_options():
    loose = count_pmf(SMALL, tail_prob=0.01)
    tight = count_pmf(SMALL, tail_prob=0.0001)
    assert loose.n_max < tight.n_max
    size, prob = tight.parameters["size"], tight.parameters["prob"]
    assert stats.nbinom.sf(tight.n_max, size, prob) <= 0.0001
    squared = count_pmf(SMALL, power=2.0)
    par = squared.parameters
    assert par["cost"] == pytest.approx(mapmark4_cost(par["prob"], par["size"], SMALL, 2.0))


def test_refinement_failure_raises(monkeypatch):
    monkeypatch.setattr(count_module, "_MAXFEV", 3)
    with pytest.raises(ConvergenceError, match="refine=False"):
        count_pmf(SMALL)
    assert count_pmf(SMALL, refine=False).parameters["refined"] is False


# ------------------------------------------------------------------ MARK3 and Poisson
def test_mark3_pools_experts_with_weights():
    pmf = count_pmf(SMALL, "mark3")
    singles = [count_pmf(SMALL.iloc[[k]], "mark3").pmf for k in range(4)]
    pooled = np.zeros(13)
    for k, single in enumerate(singles):
        pooled[: single.size] += SMALL["Weight"][k] * single
    assert_allclose(pmf.pmf, pooled / SMALL["Weight"].sum(), rtol=1e-12)
    # ann (1, 3, 6): 0.1 on 0..1 as 2:1, 0.4 on 1..3 as 1:2:1, 0.4 on 3..6 as 1:2:2:1,
    # then 0.1 at 6.
    assert_allclose(singles[0], [0.2 / 3, 0.1 / 3 + 0.1, 0.2, 0.1 + 0.4 / 6, 0.4 / 3,
                                 0.4 / 3, 0.4 / 6 + 0.1], rtol=1e-12)


def test_poisson_uses_weighted_mark3_means():
    pmf = count_pmf(SMALL, "poisson")
    means = [count_pmf(SMALL.iloc[[k]], "mark3").mean for k in range(4)]
    mu = np.average(means, weights=SMALL["Weight"])
    assert pmf.parameters["mu"] == pytest.approx(mu)
    assert pmf.parameters["mu"] == pytest.approx(count_pmf(SMALL, "mark3").mean)
    n_max = pmf.n_max
    assert stats.poisson.sf(n_max, mu) <= 0.001 < stats.poisson.sf(n_max - 1, mu)
    expected = stats.poisson.pmf(np.arange(n_max + 1), mu)
    expected[expected < expected[-1]] = 0.0
    assert_allclose(pmf.pmf, expected / expected.sum(), rtol=1e-12)


def test_all_zero_estimates():
    zero = {"Name": ["a", "b"], "Weight": [1, 1], "N90": [0, 0], "N50": [0, 0], "N10": [0, 0]}
    for method in ("mark3", "poisson", "negative_binomial"):
        pmf = count_pmf(zero, method)
        assert pmf.p_zero >= 0.99, method  # the fit: a negative binomial of mean 0.01
    assert count_pmf(zero, "poisson").pmf.tolist() == [1.0]


# ------------------------------------------------------------------------------ custom
@pytest.mark.parametrize(("given", "expected"), [
    ([0.1, 0.2, 0.7], [0.1, 0.2, 0.7]),
    ({1: 0.3, 3: 0.7}, [0.0, 0.3, 0.0, 0.7]),
    (pd.Series([0.5, 0.5], index=[2, 0]), [0.5, 0.0, 0.5]),
    ([1.0], [1.0]),
])
def test_custom_pmf(given, expected):
    pmf = count_pmf(given, "custom")
    assert pmf.method == "custom"
    assert_allclose(pmf.pmf, expected)


# --------------------------------------------------------------------------- bad input
def _with(**changes):
    table = SMALL.copy()
    for key, value in changes.items():
        row, col = key.rsplit("_", 1)
        table[col] = table[col].astype(object)
        table.loc[int(row[1:]), col] = value
    return table


@pytest.mark.parametrize(("elicitation", "kwargs", "match"), [
    (_with(r1_N90=5), {}, r"'bob' \(row 2\) has N90=5, N50=4"),
    (_with(r0_N50=7), {}, r"'ann' \(row 1\) has N90=1, N50=7, N10=6"),
    (_with(r2_N90=-1), {}, r"N90 of expert 'cy' \(row 3\) is -1, negative"),
    (_with(r3_N10=12.5), {}, r"N10 of expert 'dee' \(row 4\) is 12.5, not a whole number"),
    (_with(r0_N50=np.nan), {}, r"N50 of expert 'ann' \(row 1\) is nan, missing"),
    (_with(r0_N50="many"), {}, r"N50 of expert 'ann' .* is 'many'"),
    (_with(r1_Weight=-1.0), {}, r"weight of expert 'bob' \(row 2\) is -1.0"),
    (SMALL.assign(Weight=0.0), {}, r"sum to zero"),
    (SMALL, {"weights": [1, 1]}, r"one value per expert \(4\); got 2"),
    (SMALL.drop(columns="N50"), {}, r"lacks column\(s\) \['N50'\]"),
    (SMALL.drop(columns="Weight"), {}, r"lacks column\(s\) \['Weight'\]"),
    (SMALL.iloc[:0], {}, r"no rows"),
    (SMALL, {"method": "lognormal"}, r"unknown method 'lognormal'"),
    (SMALL, {"tail_prob": 0.0}, r"tail_prob must lie in \(0, 1\)"),
    (SMALL, {"n_grid": 1}, r"n_grid must be a whole number >= 2"),
    (SMALL, {"power": -1}, r"power must be a finite number > 0; got -1"),
    ("/no/such/file.csv", {}, r"'/no/such/file.csv' does not exist"),
    (42, {}, r"must be a DataFrame, a mapping of columns or the path"),
    ([0.5, 0.6], {"method": "custom"}, r"sums to 1.1"),
    ([0.5, -0.1, 0.6], {"method": "custom"}, r"pmf\[1\] = -0.1"),
    ([[0.5, 0.5]], {"method": "custom"}, r"1-D array"),
    ({-1: 1.0}, {"method": "custom"}, r"whole numbers of deposits >= 0; got -1"),
    (SMALL, {"method": "custom"}, r"takes the pmf itself"),
])
def test_bad_input_raises(elicitation, kwargs, match):
    with pytest.raises(InputError, match=match):
        count_pmf(elicitation, **kwargs)


def test_count_pmf_object_validates():
    with pytest.raises(InputError, match="sums to 0.9"):
        CountPmf([0.4, 0.5])
    with pytest.raises(InputError, match="unknown method 'guess'"):
        CountPmf([1.0], method="guess")
    with pytest.raises(InputError, match="n must be a whole number >= 0; got -1"):
        CountPmf([1.0]).sample(-1)


# ---------------------------------------------------------------- reading elicitations
def test_read_elicitation_from_csv_and_loose_names(tmp_path):
    path = tmp_path / "estimates.csv"
    SMALL.rename(columns={"N90": " n90 ", "Weight": "weight"}).to_csv(path, index=False)
    table = read_elicitation(path)
    assert list(table.columns) == ["Name", "Weight", "N90", "N50", "N10"]
    assert table["N90"].dtype == np.int64
    assert table.equals(read_elicitation(SMALL))
    assert_allclose(count_pmf(str(path)).pmf, count_pmf(SMALL).pmf)
    original = SMALL.copy()
    read_elicitation(SMALL, weights=[1, 1, 1, 1])
    pd.testing.assert_frame_equal(SMALL, original)  # input untouched


def test_example_files_read(validation_dir):
    table = read_elicitation(_example(validation_dir, "ExampleDepEst2"))
    assert len(table) == 10
    assert table.loc[6].tolist() == ["person7", 0.001, 120, 450, 1500]


# --------------------------------------------------------------------------- sampling
def test_sample_reproduces_pmf(rng):
    pmf = count_pmf(SMALL)
    draws = pmf.sample(200_000, rng)
    assert draws.dtype == np.int64 and draws.shape == (200_000,)
    observed = np.bincount(draws, minlength=pmf.pmf.size)
    assert observed.size == pmf.pmf.size
    expected = 200_000 * pmf.pmf
    keep = expected > 0
    assert observed[~keep].sum() == 0
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3
    assert draws.mean() == pytest.approx(pmf.mean, abs=4 * pmf.std / np.sqrt(200_000))


def test_sample_is_seeded_and_skips_zero_probabilities():
    pmf = CountPmf([0.25, 0.0, 0.25, 0.5, 0.0, 0.0])
    first, again = pmf.sample(1000, 7), pmf.sample(1000, np.random.default_rng(7))
    assert np.array_equal(first, again)
    assert set(np.unique(first)) == {0, 2, 3}
    assert not np.array_equal(first, pmf.sample(1000, 8))
    assert pmf.sample(0, 1).shape == (0,)


# --------------------------------------------------------------------- summary and display
def test_statistics_table_repr_plot():
    pmf = CountPmf([0.1, 0.2, 0.3, 0.4], method="custom", parameters={"note": 1})
    assert pmf.mean == pytest.approx(2.0)
    assert pmf.var == pytest.approx(1.0)
    assert pmf.mode == 3 and pmf.p_zero == 0.1 and pmf.n_max == 3
    assert pmf.entropy == pytest.approx(-np.sum(pmf.pmf * np.log(pmf.pmf)))
    table = pmf.table()
    assert list(table.columns) == ["n_deposits", "probability", "cumulative", "exceedance"]
    assert_allclose(table["cumulative"], [0.1, 0.3, 0.6, 1.0])
    assert_allclose(table["exceedance"], [1.0, 0.9, 0.7, 0.4])
    with pytest.raises(ValueError):
        pmf.pmf[0] = 0.5  # read-only
    text = repr(pmf)
    assert text.startswith("CountPmf(method='custom', n_deposits=0..3, mean=2")
    assert "P(0)=0.1" in text and len(text) < 120
    assert "mode 3" in pmf._repr_html_() and html.escape("<") not in pmf._repr_html_()
    fig, ax = plt.subplots()
    assert pmf.plot(ax=ax) is ax
    assert len(ax.patches) == 4
    assert [p.get_height() for p in ax.patches] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    plt.close(fig)


# -------------------------------------------------------------------------- properties
@st.composite
def elicitations(draw):
    k = draw(st.integers(1, 5))
    rows = [sorted(draw(st.lists(st.integers(0, 40), min_size=3, max_size=3)))
            for _ in range(k)]
    weights = draw(st.lists(st.sampled_from([0.0, 0.01, 0.5, 1.0, 3.0]),
                            min_size=k, max_size=k))
    if sum(weights) == 0:
        weights[0] = 1.0
    counts = np.array(rows)
    return pd.DataFrame({"Name": [f"e{i}" for i in range(k)], "Weight": weights,
                         "N90": counts[:, 0], "N50": counts[:, 1], "N10": counts[:, 2]})


@settings(max_examples=40, deadline=None)
@given(elicitations(), st.sampled_from(METHODS[:3]))
def test_pmf_invariants(table, method):
    pmf = count_pmf(table, method)
    p = pmf.pmf
    assert p.ndim == 1 and np.all(p >= 0) and abs(p.sum() - 1) <= 1e-12
    assert 0 <= pmf.mean <= pmf.n_max and pmf.var >= -1e-12
    assert 0 <= pmf.entropy <= np.log(p.size) + 1e-12
    assert p[pmf.mode] == p.max()
    if method == "mark3":
        assert pmf.n_max == table["N10"].max()
        if len(table) == 1:  # one expert: MARK3 honours the three chances
            exceed = pmf.table()["exceedance"].to_numpy()
            for col, chance in (("N90", 0.9), ("N50", 0.5), ("N10", 0.1)):
                n = int(table[col].iloc[0])
                assert exceed[n] >= chance - 1e-12
                assert (exceed[n + 1] if n + 1 < p.size else 0.0) <= chance + 1e-12
    else:
        par = pmf.parameters
        dist = (stats.poisson(par["mu"]) if method == "poisson"
                else stats.nbinom(par["size"], par["prob"]))
        if p.size > 1:
            assert dist.sf(pmf.n_max) <= 0.001 < dist.sf(pmf.n_max - 1)
        # The lower cut zeroes a run 0..k-1 below the mode, of the counts less probable
        # than n_max, and reports their mass.
        zeros = np.flatnonzero(p == 0)
        assert np.array_equal(zeros, np.arange(par["n_low_dropped"]))
        assert np.all(zeros < pmf.mode)
        assert np.all(dist.pmf(zeros) < dist.pmf(pmf.n_max))
        assert par["low_mass_dropped"] == pytest.approx(dist.pmf(zeros).sum(), abs=1e-15)
    if method == "negative_binomial":
        par = pmf.parameters
        assert par["cost"] <= par["grid_cost"]
        assert 0 < par["prob"] < 1 and par["size"] > 0
        assert par["fit_N90"] <= par["fit_N50"] <= par["fit_N10"]
        assert_allclose(p, truncated_nbinom(par["size"], par["prob"]), rtol=1e-10,
                        atol=1e-14)
