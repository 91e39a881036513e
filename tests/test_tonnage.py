"""Tests of raremin.tonnage: cut-off checks, grade-tonnage tables and their tidy frames."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special, stats

from raremin.distributions import Empirical, Gamma, Lognormal, Mixture, Normal, Truncated
from raremin.errors import InputError
from raremin.tonnage import GradeTonnage, analytic_grade_tonnage, check_cutoffs

TONNAGES = st.one_of(st.just(0.0), st.floats(1e-3, 1e10))
UNIT_FACTORS = {"pct": 0.01, "ppm": 1e-6, "g/t": 1e-6, "kg/t": 1e-3, "fraction": 1.0}


# ----------------------------------------------------------------------------- check_cutoffs
@pytest.mark.parametrize(
    ("cutoffs", "match"),
    [
        ([0.1, 0.1], "strictly increasing; 0.1 follows 0.1 at position 1"),
        ([0.1, 0.2, 0.2, 0.3], "strictly increasing; 0.2 follows 0.2 at position 2"),
        ([0.3, 0.2, 0.1], "strictly increasing; 0.2 follows 0.3"),
        ([0.1, -0.05], "must be >= 0; got -0.05"),
        (-1.0, "must be >= 0; got -1.0"),
        ([0.1, np.nan], "missing or infinite"),
        ([0.1, np.inf], "missing or infinite"),
        ([], "non-empty 1-D"),
        ([[0.1, 0.2], [0.3, 0.4]], "non-empty 1-D"),
        (["a", "b"], "must be numeric"),
    ],
)
def test_check_cutoffs_rejects(cutoffs, match):
    with pytest.raises(InputError, match=match):
        check_cutoffs(cutoffs)


def test_check_cutoffs_quotes_unit():
    with pytest.raises(InputError, match="got -2.0 ppm"):
        check_cutoffs([-2.0, 1.0], "ppm")


@pytest.mark.parametrize(
    ("cutoffs", "expected"),
    [(0.1, [0.1]), ([0.0, 0.05, 0.1], [0.0, 0.05, 0.1]), ((1, 2, 3), [1.0, 2.0, 3.0])],
)
def test_check_cutoffs_accepts(cutoffs, expected):
    out = check_cutoffs(cutoffs)
    assert out.dtype == np.float64 and out.ndim == 1
    np.testing.assert_array_equal(out, expected)


def test_analytic_rejects_bad_cutoffs():
    d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
    with pytest.raises(InputError, match="strictly increasing"):
        analytic_grade_tonnage(d, 1e6, [0.2, 0.1])
    with pytest.raises(InputError, match="-0.1 pct"):
        analytic_grade_tonnage(d, 1e6, [-0.1, 0.1])


# ----------------------------------------------------------------------------- shapes
def _batch_families():
    means = np.array([[0.1], [0.2]])  # batch shape (2, 1)
    return {
        "lognormal": Lognormal.from_mean_cv(means, 0.6, unit="pct", basis="oxide", name="treo"),
        "gamma": Gamma.from_mean_cv(means, 0.6, unit="pct", basis="oxide", name="treo"),
        "truncated_normal": Truncated(Normal(means, 0.05, unit="pct", basis="oxide",
                                             name="treo"), lower=0.0),
        "mixture": Mixture(
            [Lognormal.from_mean_cv(means, 0.4, unit="pct", basis="oxide", name="treo"),
             Gamma.from_mean_cv(0.3, 0.5, unit="pct", basis="oxide")],
            [0.8, 0.2],
        ),
    }


BATCH = _batch_families()


@pytest.mark.parametrize("family", list(BATCH))
def test_batch_times_tonnage_broadcast(family):
    d = BATCH[family]
    tonnage = np.array([1e6, 2.5e6, 4e7])
    cuts = np.array([0.0, 0.05, 0.1, 0.2, 0.4])
    gt = analytic_grade_tonnage(d, tonnage, cuts)
    assert isinstance(gt, GradeTonnage)
    for arr in (gt.tonnage_t, gt.mean_grade, gt.contained_t):
        assert arr.shape == (2, 3, 5)
    frac = np.asarray(d._expanded().fraction_above(cuts))  # (2, 1, 5)
    expd = np.asarray(d._expanded().expected_above(cuts))
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(gt.tonnage_t[i, j], tonnage[j] * frac[i, 0], rtol=1e-10)
            np.testing.assert_allclose(gt.contained_t[i, j], tonnage[j] * expd[i, 0] * 0.01,
                                       rtol=1e-10)
            np.testing.assert_allclose(gt.mean_grade[i, j], expd[i, 0] / frac[i, 0],
                                       rtol=1e-10)
    assert gt.unit == "pct" and gt.basis == "oxide" and gt.grade_name == "treo"


def test_lognormal_batch_values_vs_scipy():
    means = np.array([[0.1], [0.2]])
    d = Lognormal.from_mean_cv(means, 0.6, unit="pct", basis="oxide")
    tonnage = np.array([1e6, 3e6, 5e6])
    cuts = np.array([0.0, 0.05, 0.1, 0.2])
    gt = analytic_grade_tonnage(d, tonnage, cuts)
    s2 = math.log(1.36)
    for i, m in enumerate(means[:, 0]):
        mu, sigma = math.log(m) - s2 / 2, math.sqrt(s2)
        sf = stats.lognorm.sf(cuts, sigma, scale=math.exp(mu))
        for j, t in enumerate(tonnage):
            np.testing.assert_allclose(gt.tonnage_t[i, j], t * sf, rtol=1e-10)


@pytest.mark.parametrize(
    ("batch_tonnage", "expected"),
    [(1e6, (4,)), (np.array([1e6, 2e6]), (2, 4)), (np.array([[1e6], [2e6], [3e6]]), (3, 1, 4))],
)
def test_scalar_distribution_with_tonnage_shapes(batch_tonnage, expected):
    values = np.array([0.05, 0.1, 0.15, 0.2, 0.4])
    for d in (
        Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide"),
        Empirical(values, unit="pct", basis="oxide"),
        Gamma.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide"),
    ):
        gt = analytic_grade_tonnage(d, batch_tonnage, [0.0, 0.1, 0.2, 0.3])
        assert gt.tonnage_t.shape == expected
        assert gt.mean_grade.shape == expected
        assert gt.contained_t.shape == expected
        flat_t = np.asarray(batch_tonnage, dtype=float).reshape(expected[:-1] + (1,))
        np.testing.assert_allclose(
            gt.tonnage_t, flat_t * np.asarray(d.fraction_above([0.0, 0.1, 0.2, 0.3])),
            rtol=1e-10,
        )


def test_empirical_table_exact():
    values = np.array([0.0625, 0.125, 0.125, 0.25, 0.5])
    weights = np.array([1.0, 1.0, 2.0, 2.0, 2.0])  # total 8
    d = Empirical(values, unit="fraction", basis="element", weights=weights, name="nd")
    gt = analytic_grade_tonnage(d, 800.0, [0.0, 0.125, 0.1875, 0.5, 0.625])
    np.testing.assert_array_equal(gt.tonnage_t, [800.0, 700.0, 400.0, 200.0, 0.0])
    np.testing.assert_array_equal(gt.contained_t, [193.75, 187.5, 150.0, 100.0, 0.0])
    np.testing.assert_allclose(gt.mean_grade[:4], [1.9375 / 8, 1.875 / 7, 0.375, 0.5],
                               rtol=1e-15)
    assert math.isnan(gt.mean_grade[4])


def test_zero_total_tonnage():
    d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
    gt = analytic_grade_tonnage(d, [0.0, 1e6], [0.0, 0.1])
    np.testing.assert_array_equal(gt.tonnage_t[0], [0.0, 0.0])
    np.testing.assert_array_equal(gt.contained_t[0], [0.0, 0.0])
    np.testing.assert_allclose(gt.mean_grade[0], gt.mean_grade[1], rtol=1e-15)


# ----------------------------------------------------------------------------- to_frame
def test_to_frame_without_leading_axes():
    d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
    cuts = [0.05, 0.1, 0.2]
    gt = analytic_grade_tonnage(d, 1e6, cuts)
    frame = gt.to_frame()
    assert list(frame.columns) == ["cutoff_pct", "tonnage_t", "treo_pct", "contained_t"]
    assert len(frame) == 3
    np.testing.assert_array_equal(frame["cutoff_pct"], cuts)
    np.testing.assert_array_equal(frame["tonnage_t"], gt.tonnage_t)
    np.testing.assert_array_equal(frame["treo_pct"], gt.mean_grade)
    np.testing.assert_array_equal(frame["contained_t"], gt.contained_t)
    assert frame.attrs["basis"] == "oxide"
    assert frame.attrs["unit"] == "pct"
    assert frame.attrs["grade"] == "treo"


def test_to_frame_with_leading_axes():
    d = Lognormal.from_mean_cv(np.array([[1000.0], [1500.0]]), 0.6, unit="g/t",
                               basis="element", name="tree")
    tonnage = np.array([1e6, 2e6, 3e6])
    cuts = np.array([0.0, 500.0, 1000.0, 2000.0])
    gt = analytic_grade_tonnage(d, tonnage, cuts)
    frame = gt.to_frame()
    assert list(frame.columns) == [
        "index_0", "index_1", "cutoff_gpt", "tonnage_t", "tree_gpt", "contained_t",
    ]
    assert len(frame) == 2 * 3 * 4
    assert frame.attrs["basis"] == "element"
    for i in range(2):
        for j in range(3):
            rows = frame[(frame["index_0"] == i) & (frame["index_1"] == j)]
            assert len(rows) == 4
            np.testing.assert_array_equal(rows["cutoff_gpt"], cuts)
            np.testing.assert_array_equal(rows["tonnage_t"], gt.tonnage_t[i, j])
            np.testing.assert_array_equal(rows["tree_gpt"], gt.mean_grade[i, j])
            np.testing.assert_array_equal(rows["contained_t"], gt.contained_t[i, j])


def test_to_frame_one_leading_axis_and_default_name():
    d = Gamma.from_mean_cv(np.array([0.1, 0.2, 0.3]), 0.5, unit="ppm", basis="oxide")
    gt = analytic_grade_tonnage(d, 1.0, [0.0, 0.1])
    frame = gt.to_frame()
    assert list(frame.columns) == ["index_0", "cutoff_ppm", "tonnage_t", "grade_ppm",
                                   "contained_t"]
    assert len(frame) == 6
    np.testing.assert_array_equal(frame["index_0"], [0, 0, 1, 1, 2, 2])
    assert gt.grade_column == "grade_ppm"


# ----------------------------------------------------------------------------- properties
@st.composite
def distributions(draw, families=("lognormal", "gamma", "empirical", "mixture")):
    """A distribution, its unit and its mean, in the unit drawn."""
    family = draw(st.sampled_from(families))
    unit = draw(st.sampled_from(list(UNIT_FACTORS)))
    to_unit = 0.01 / UNIT_FACTORS[unit]  # one pct in `unit`
    mean = draw(st.floats(0.01, 10.0)) * to_unit  # 0.01 % to 10 %
    cv = draw(st.floats(0.1, 3.0))
    if family == "lognormal":
        d = Lognormal.from_mean_cv(mean, cv, unit=unit, basis="oxide")
    elif family == "gamma":
        d = Gamma.from_mean_cv(mean, cv, unit=unit, basis="oxide")
    elif family == "truncated":
        # cv >= 0.25 keeps 5 x mean within 16 sd: no underflow of the normal tail.
        d = Truncated(Normal(mean, max(cv, 0.25) * mean, unit=unit, basis="oxide"), lower=0.0)
    elif family == "mixture":
        share = draw(st.floats(0.05, 0.95))
        d = Mixture(
            [Lognormal.from_mean_cv(mean, cv, unit=unit, basis="oxide"),
             Gamma.from_mean_cv(2.0 * mean, 0.5, unit=unit, basis="oxide")],
            [share, 1.0 - share],
        )
    else:
        seed = draw(st.integers(0, 2**32 - 1))
        n = draw(st.integers(1, 200))
        rng = np.random.default_rng(seed)
        s2 = math.log1p(cv * cv)
        values = np.minimum(rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n),
                            100.0 * to_unit)
        weights = rng.uniform(0.1, 2.0, n) if draw(st.booleans()) else None
        d = Empirical(values, unit=unit, basis="oxide", weights=weights)
    return d, unit, float(d.mean())


def _cutoffs(draw, mean: float) -> np.ndarray:
    rel = draw(arrays(np.float64, st.integers(1, 25), elements=st.floats(0.0, 5.0),
                      unique=True))
    cuts = np.unique(np.sort(rel) * mean)
    assume(cuts.size >= 1 and np.all(np.diff(cuts) > 0))
    return cuts


@settings(max_examples=100, deadline=None)
@given(data=st.data(), tonnage=TONNAGES)
def test_contained_equals_tonnage_times_mean_times_unit(data, tonnage):
    d, unit, mean = data.draw(
        distributions(families=("lognormal", "gamma", "empirical", "mixture", "truncated"))
    )
    cuts = _cutoffs(data.draw, mean)
    gt = analytic_grade_tonnage(d, tonnage, cuts)
    factor = UNIT_FACTORS[unit]
    positive = gt.tonnage_t > 0
    np.testing.assert_allclose(
        gt.contained_t[positive],
        gt.tonnage_t[positive] * gt.mean_grade[positive] * factor,
        rtol=1e-12, atol=0,
    )
    assert np.all(gt.contained_t[~positive] == 0.0)
    # Totals at the lowest cut-off never exceed the whole.
    assert np.all(gt.tonnage_t <= tonnage * (1 + 1e-15))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), tonnage=st.floats(1.0, 1e10))
def test_monotone_in_cutoff(data, tonnage):
    d, _, mean = data.draw(distributions())
    cuts = _cutoffs(data.draw, mean)
    gt = analytic_grade_tonnage(d, tonnage, cuts)
    t, m = gt.tonnage_t, gt.mean_grade
    assert np.all(t[1:] <= t[:-1] * (1 + 1e-12))
    both = (t[1:] > 0) & (t[:-1] > 0)
    assert np.all(m[1:][both] >= m[:-1][both] * (1 - 1e-12))
    # Mean grade above a cut-off is at least the cut-off.
    assert np.all(m[t > 0] >= cuts[t > 0] * (1 - 1e-12))


@settings(max_examples=50, deadline=None)
@given(
    mean=st.floats(0.01, 10.0),
    cv=st.floats(0.1, 3.0),
    tonnage=arrays(np.float64, st.integers(1, 4), elements=TONNAGES),
)
def test_lognormal_table_vs_scipy(mean, cv, tonnage):
    d = Lognormal.from_mean_cv(mean, cv, unit="pct", basis="oxide")
    cuts = np.linspace(0.0, 3.0 * mean, 13)
    gt = analytic_grade_tonnage(d, tonnage, cuts)
    s2 = math.log1p(cv * cv)
    mu, sigma = math.log(mean) - s2 / 2, math.sqrt(s2)
    with np.errstate(divide="ignore"):
        z = (mu - np.log(cuts)) / sigma
    ref_t = tonnage[:, None] * special.ndtr(z)
    ref_c = tonnage[:, None] * math.exp(mu + s2 / 2) * special.ndtr(z + sigma) * 0.01
    np.testing.assert_allclose(gt.tonnage_t, ref_t, rtol=1e-10, atol=0)
    np.testing.assert_allclose(gt.contained_t, ref_c, rtol=1e-10, atol=0)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("tonnage", "match"),
    [(-1.0, "tonnage_t must be >= 0; got -1.0"), ([1e6, -5.0], "got -5.0"),
     (np.nan, "missing or infinite"), ("lots", "must be numeric")],
)
def test_bad_tonnage_raises(tonnage, match):
    d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
    with pytest.raises(InputError, match=match):
        analytic_grade_tonnage(d, tonnage, [0.1])


@pytest.mark.parametrize(
    "thing",
    [stats.lognorm(0.5, scale=0.1), "lognormal", 0.15, None],
    ids=["scipy_frozen", "string", "float", "none"],
)
def test_non_distribution_raises(thing):
    with pytest.raises(InputError, match="raremin grade distribution"):
        analytic_grade_tonnage(thing, 1e6, [0.1])


def test_bad_workers_raises():
    d = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
    with pytest.raises(InputError, match="workers must be >= 1"):
        analytic_grade_tonnage(d, 1e6, [0.1], workers=0)


def test_incompatible_tonnage_shape_raises():
    d = Lognormal.from_mean_cv(np.array([0.1, 0.2]), 0.6, unit="pct", basis="oxide")
    with pytest.raises(ValueError):
        analytic_grade_tonnage(d, np.array([1.0, 2.0, 3.0]), [0.1])


# ----------------------------------------------------------------------------- threads
def test_workers_one_and_two_identical():
    rng = np.random.default_rng(5)
    means = rng.uniform(0.05, 0.5, 2000)
    cvs = rng.uniform(0.2, 2.0, 2000)
    d = Lognormal.from_mean_cv(means, cvs, unit="pct", basis="oxide")
    tonnage = rng.uniform(1e5, 1e7, 2000)
    cuts = np.linspace(0.0, 1.0, 100)
    one = analytic_grade_tonnage(d, tonnage, cuts, workers=1)
    two = analytic_grade_tonnage(d, tonnage, cuts, workers=2)
    auto = analytic_grade_tonnage(d, tonnage, cuts)
    for a, b, c in ((one.tonnage_t, two.tonnage_t, auto.tonnage_t),
                    (one.contained_t, two.contained_t, auto.contained_t),
                    (one.mean_grade, two.mean_grade, auto.mean_grade)):
        assert a.shape == (2000, 100)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # And they are right: spot-check rows against scipy.
    for row in (0, 999, 1999):
        sigma = float(d.sigma[row])
        sf = stats.lognorm.sf(cuts, sigma, scale=math.exp(float(d.mu[row])))
        np.testing.assert_allclose(one.tonnage_t[row], tonnage[row] * sf, rtol=1e-10)


# --------------------------------------------------------------------------------------
# Block and sample grade-tonnage (grade_tonnage) and contained quantities
# --------------------------------------------------------------------------------------
from raremin.tonnage import contained, contained_basket, grade_tonnage  # noqa: E402


def _brute(grade, tonnage, cutoffs):
    """Sums over blocks with grade >= cut-off, one mask per cut-off (the slow reference)."""
    ton = np.array([tonnage[grade >= c].sum() for c in cutoffs])
    met = np.array([(tonnage * grade)[grade >= c].sum() for c in cutoffs])
    return ton, met


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 400),
    even=st.booleans(),
    n_cut=st.integers(1, 30),
)
def test_block_grade_tonnage_matches_brute_force(seed, n, even, n_cut):
    rng = np.random.default_rng(seed)
    # Grades on a 0.001 % lattice so many blocks tie with the cut-offs exactly.
    grade = np.round(rng.lognormal(np.log(0.1), 0.7, n), 3)
    grade[rng.random(n) < 0.1] = np.nan
    tonnage = rng.uniform(0, 5000, n)
    tonnage[rng.random(n) < 0.1] = 0.0
    if even:
        cutoffs = np.linspace(0.0, 0.4, n_cut)
    else:
        cutoffs = np.sort(rng.choice(np.arange(0, 600) / 1000, n_cut, replace=False))
    nd = np.nan_to_num(grade) * 1500.0
    gt = grade_tonnage(grade, tonnage, cutoffs, unit="pct", basis="oxide", grade_name="treo",
                       others={"nd_ppm": nd})
    ok = ~np.isnan(grade)
    ton, met = _brute(grade[ok], tonnage[ok], cutoffs)
    np.testing.assert_allclose(gt.tonnage_t, ton, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(gt.contained_t, met * 0.01, rtol=1e-12, atol=1e-12)
    nd_met = np.array([(tonnage * nd)[ok & (grade >= c)].sum() for c in cutoffs])
    np.testing.assert_allclose(gt.extra_contained_t["nd_ppm"], nd_met * 1e-6, rtol=1e-12,
                               atol=1e-15)
    assert gt.not_estimated_t == pytest.approx(tonnage[~ok].sum(), rel=1e-12, abs=1e-12)
    expect_mean = np.where(ton > 0, met / np.where(ton > 0, ton, 1), np.nan)
    np.testing.assert_allclose(gt.mean_grade, expect_mean, rtol=1e-12)


def test_block_grade_tonnage_exact_on_dyadic_data_with_ties():
    """With values exactly representable, every sum is exact: equality, not closeness."""
    grade = np.array([0.0625, 0.125, 0.125, 0.25, 0.5, 0.5, np.nan, 0.375])
    tonnage = np.array([8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 16.0, 0.0])
    cutoffs = np.array([0.0, 0.125, 0.25, 0.5, 0.75])
    gt = grade_tonnage(grade, tonnage, cutoffs, unit="fraction", basis="element")
    ok = ~np.isnan(grade)
    ton, met = _brute(grade[ok], tonnage[ok], cutoffs)
    np.testing.assert_array_equal(gt.tonnage_t, ton)
    np.testing.assert_array_equal(gt.contained_t, met)
    np.testing.assert_array_equal(gt.tonnage_t, [15.75, 7.75, 1.75, 0.75, 0.0])
    assert np.isnan(gt.mean_grade[-1])
    assert gt.not_estimated_t == 16.0


def test_block_grade_tonnage_leading_axes_and_groups(rng):
    grade = rng.lognormal(np.log(1000), 0.5, (3, 4, 50))  # realisations x ? x blocks
    tonnage = rng.uniform(100, 200, 50)
    cut = [0.0, 800.0, 1200.0]
    gt = grade_tonnage(grade, tonnage, cut, unit="ppm", basis="element")
    assert gt.tonnage_t.shape == (3, 4, 3)
    for i in range(3):
        for j in range(4):
            ton, met = _brute(grade[i, j], tonnage, cut)
            np.testing.assert_allclose(gt.tonnage_t[i, j], ton, rtol=1e-12)
    codes = rng.integers(0, 2, 50)
    by_zone = grade_tonnage(grade[0, 0], tonnage, cut, unit="ppm", basis="element",
                            groups=codes, group_names=["Irgiz", "Dos 2"])
    assert by_zone.tonnage_t.shape == (2, 3) and by_zone.groups == ("Irgiz", "Dos 2")
    for z in range(2):
        ton, _ = _brute(grade[0, 0][codes == z], tonnage[codes == z], cut)
        np.testing.assert_allclose(by_zone.tonnage_t[z], ton, rtol=1e-12)
    frame = by_zone.to_frame()
    assert frame["zone"].tolist() == ["Irgiz"] * 3 + ["Dos 2"] * 3
    # Threads change nothing.
    one = grade_tonnage(grade, tonnage, cut, unit="ppm", basis="element", workers=1)
    np.testing.assert_allclose(one.tonnage_t, gt.tonnage_t, rtol=1e-13)


def test_block_grade_tonnage_large_array_uses_many_chunks(rng):
    n = 300_000  # several chunks, several threads
    grade = rng.lognormal(np.log(0.1), 0.6, n)
    tonnage = rng.uniform(1000, 3000, n)
    cut = np.linspace(0, 0.5, 41)
    gt = grade_tonnage(grade, tonnage, cut, unit="pct", basis="oxide")
    ton, met = _brute(grade, tonnage, cut)
    np.testing.assert_allclose(gt.tonnage_t, ton, rtol=1e-11)
    np.testing.assert_allclose(gt.contained_t, met * 0.01, rtol=1e-11)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cutoffs": [0.1, 0.1]}, "strictly increasing"),
        ({"cutoffs": [0.2, 0.1]}, "strictly increasing"),
        ({"grade": [-0.1, 0.2]}, "negative value -0.1 at block 0"),
        ({"grade": [0.1, 120.0]}, "over 100 %"),
        ({"tonnage_t": [1.0, -5.0]}, "invalid value -5.0 at block 1"),
        ({"tonnage_t": [1.0, np.nan]}, "invalid value nan"),
        ({"tonnage_t": [1.0, 2.0, 3.0]}, "does not broadcast"),
        ({"others": {"nd": [1.0, 2.0]}}, "unit suffix"),
        ({"unit": "ppt"}, "unknown grade unit"),
        ({"basis": "metal"}, "unknown basis"),
        ({"groups": [0, 2], "group_names": ["a", "b"]}, r"group codes must lie in \[0, 1\]"),
    ],
)
def test_block_grade_tonnage_errors(kwargs, match):
    args = {"grade": [0.1, 0.2], "tonnage_t": [1.0, 1.0], "cutoffs": [0.0, 0.1],
            "unit": "pct", "basis": "oxide"}
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        grade_tonnage(args.pop("grade"), args.pop("tonnage_t"), args.pop("cutoffs"), **args)


def test_contained_and_basket_contained(rng):
    assert contained(2500.0, 1e6, unit="ppm") == pytest.approx(2500.0)
    np.testing.assert_allclose(contained([[0.1, 0.2]], [[1e6]], unit="pct"), [[1000.0, 2000.0]])
    x = rng.uniform(0, 1000, (100, 3))
    t = rng.uniform(1, 10, 100)
    q = contained_basket(x, t, elements=["Nd", "Pr", "Ce"], unit="ppm", basis="element",
                         basket="ndpr")
    expect = t * (x[:, 0] * 1.16638 + x[:, 1] * 1.20816) * 1e-6
    np.testing.assert_allclose(q, expect, rtol=1e-4)
    tree = contained_basket(x, t, elements=["Nd", "Pr", "Ce"], unit="ppm", basis="element",
                            basket="ndpr", result_basis="element")
    np.testing.assert_allclose(tree, t * (x[:, 0] + x[:, 1]) * 1e-6, rtol=1e-14)
    with pytest.raises(InputError, match=r"basket members \['Pr'\]"):
        contained_basket(x[:, :1], t, elements=["Nd"], unit="ppm", basis="element",
                         basket="ndpr")


def test_grade_tonnage_html_display():
    gt = grade_tonnage([0.1, 0.2], [1.0, 2.0], [0.0, 0.15], unit="pct", basis="oxide",
                       grade_name="treo")
    html = gt._repr_html_()
    assert "Grade-tonnage" in html and "treo" in html and "oxide basis" in html
    assert "<table" in html


def test_other_grades_not_estimated_everywhere_report_their_coverage():
    grade = np.array([0.10, 0.20, 0.30, 0.40])
    tonnage = np.array([100.0, 100.0, 200.0, 100.0])
    ce = np.array([500.0, np.nan, 700.0, np.nan])  # assayed near two blocks only
    la = np.array([50.0, 60.0, 70.0, 80.0])
    gt = grade_tonnage(grade, tonnage, [0.0, 0.25], unit="pct", basis="oxide",
                       others={"ce_ppm": ce, "la_ppm": la})
    np.testing.assert_allclose(gt.extra_coverage["ce_ppm"], [300 / 500, 200 / 300])
    assert "la_ppm" not in gt.extra_coverage
    # Mean over the covered tonnage only; contained over the covered part only.
    np.testing.assert_allclose(gt.extra_mean["ce_ppm"], [(500 * 100 + 700 * 200) / 300, 700.0])
    np.testing.assert_allclose(gt.extra_contained_t["ce_ppm"],
                               [(500 * 100 + 700 * 200) * 1e-6, 700 * 200 * 1e-6])
    frame = gt.to_frame()
    assert list(frame["ce_coverage"].round(4)) == [0.6, 0.6667]
    assert "la_coverage" not in frame.columns
    assert list(frame["not_estimated_t"]) == [0.0, 0.0]


def test_not_estimated_tonnage_in_the_tidy_table():
    grade = np.array([0.1, np.nan, 0.3])
    gt = grade_tonnage(grade, [10.0, 20.0, 30.0], [0.0, 0.2], unit="pct", basis="oxide",
                       groups=np.array([0, 0, 1]), group_names=["A", "B"])
    frame = gt.to_frame()
    assert frame.groupby("zone")["not_estimated_t"].first().to_dict() == {"A": 20.0, "B": 0.0}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), parts=st.integers(1, 6))
def test_binned_sums_of_chunks_add_up_to_the_whole(seed, n, parts):
    """What a lazy grade_tonnage relies on: the per-chunk bin sums add up exactly."""
    from raremin._binning import binned_sums

    rng = np.random.default_rng(seed)
    grade = np.round(rng.lognormal(np.log(0.1), 0.7, (2, n)), 3)
    grade[rng.random((2, n)) < 0.1] = np.nan
    tonnage = rng.uniform(0, 5000, n)
    other = np.where(rng.random((2, n)) < 0.2, np.nan, 1000 * np.nan_to_num(grade))
    codes = rng.integers(0, 3, n)
    cut = np.linspace(0.0, 0.4, 9)
    whole = binned_sums(grade, tonnage, [other], cut, codes, 3, 100.0, 1)
    edges = np.unique(np.concatenate([[0, n], rng.integers(0, n + 1, parts - 1)]))
    pieces = [binned_sums(grade[:, a:b], tonnage[a:b], [other[:, a:b]], cut, codes[a:b], 3,
                          100.0, 1, start=int(a)) for a, b in zip(edges[:-1], edges[1:],
                                                                  strict=True)]
    np.testing.assert_allclose(sum(p[0] for p in pieces), whole[0], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(sum(p[1] for p in pieces), whole[1], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(sum(p[2][0] for p in pieces), whole[2][0], rtol=1e-12,
                               atol=1e-6)
    np.testing.assert_allclose(sum(p[3][0] for p in pieces), whole[3][0], rtol=1e-12,
                               atol=1e-9)


def test_binned_sums_of_a_chunk_name_blocks_of_the_whole():
    from raremin._binning import binned_sums

    grade = np.array([[0.1, -0.2, 0.3]])
    with pytest.raises(InputError, match="negative value -0.2 at block 1001;"):
        binned_sums(grade, np.ones(3), [], np.array([0.0]), None, 1, 100.0, 1, start=1000)
    with pytest.raises(InputError, match=r"at block 1 of chunk 4 \(block numbers of the whole"):
        binned_sums(grade, np.ones(3), [], np.array([0.0]), None, 1, 100.0, 1, start=None,
                    chunk=4)
