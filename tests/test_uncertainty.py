"""Tests of raremin.uncertainty: P-labels, summaries, realisation grade-tonnage, Monte Carlo."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special, stats

from raremin.distributions import Gamma, Lognormal
from raremin.errors import BasisError, InputError, UnitError
from raremin.grid import BlockGrid, BlockModel
from raremin.tonnage import analytic_grade_tonnage, grade_tonnage
from raremin.uncertainty import (
    P_LEVELS,
    STATISTICS,
    exceedance_quantile,
    monte_carlo,
    monte_carlo_grade_tonnage,
    p_values,
    realisation_grade_tonnage,
    summarise,
    summarise_grade_tonnage,
)

ELEVEN = np.arange(1.0, 12.0)  # 1, 2, ..., 11: the q quantile (linear) is 1 + 10 q


def _model(n_blocks: int = 12, *, rng: np.random.Generator | None = None) -> BlockModel:
    """Two zones sharing the blocks of the second half (proportions p and 1 - p)."""
    gen = rng if rng is not None else np.random.default_rng(0)
    index = np.arange(n_blocks)
    share = gen.uniform(0.2, 1.0, n_blocks)
    half = n_blocks // 2
    return BlockModel.from_proportions(
        BlockGrid((0, 0, 0), 10, (n_blocks, 1, 1)),
        {"A": (index, share), "B": (index[half:], 1.0 - share[half:])},
        {"A": 2.5, "B": 2.8},
    )


def _loop_tables(model, sims, cutoffs, tonnage=None):
    """The reference: one grade_tonnage call per realisation (a loop is fine in a test)."""
    out = []
    for r in range(sims.shape[0]):
        t = model.tonnage_t() if tonnage is None else tonnage[r]
        out.append(grade_tonnage(sims[r], t, cutoffs, unit="pct", basis="oxide",
                                 grade_name="treo", groups=model.zone_code,
                                 group_names=model.zone_names))
    return out


# ------------------------------------------------------------------------------ P-labels
def test_p_levels_follow_the_convention():
    # docs/conventions.md: P90 has a 90 % chance of being met or exceeded = 0.10 quantile.
    assert dict(P_LEVELS) == {"P90": 0.10, "P50": 0.50, "P10": 0.90}
    assert STATISTICS == ("mean", "std", "P90", "P50", "P10")


@pytest.mark.parametrize(
    ("level", "expected"),
    [("P90", 2.0), ("P50", 6.0), ("P10", 10.0), ("p90", 2.0), (" P10 ", 10.0),
     (0.9, 2.0), (0.5, 6.0), (0.1, 10.0), ("P95", 1.5), ("P5", 10.5), ("P97.5", 1.25),
     ("P100", 1.0), ("P0", 11.0), (1, 1.0), (np.float64(0.9), 2.0)],
)
def test_exceedance_quantile_of_a_known_sample(level, expected):
    assert float(exceedance_quantile(ELEVEN, level)) == pytest.approx(expected, abs=1e-12)


def test_labels_and_probabilities_give_the_same_float():
    rng = np.random.default_rng(3)
    x = rng.normal(size=101)
    for label, q in P_LEVELS.items():
        exact = np.quantile(x, q)
        assert exceedance_quantile(x, label) == exact
        assert exceedance_quantile(x, 1 - q if q != 0.1 else 0.9) == exact


@pytest.mark.parametrize(
    ("level", "match"),
    [("Q90", "unknown P-label"), ("P101", "between P0 and P100"), (1.5, "between P0"),
     (-0.1, "between P0"), (True, "label such as"), (np.nan, "finite"), ("P", "unknown"),
     (None, "label such as")],
)
def test_bad_levels_are_refused(level, match):
    with pytest.raises(InputError, match=match):
        exceedance_quantile(ELEVEN, level)


def test_p_values_numpy_axis_and_pandas_types():
    rng = np.random.default_rng(5)
    x = rng.lognormal(size=(200, 3))
    out = p_values(x)
    assert list(out) == ["P90", "P50", "P10"]
    np.testing.assert_array_equal(out["P90"], np.quantile(x, 0.1, axis=0))
    np.testing.assert_array_equal(p_values(x.T, axis=1)["P10"], np.quantile(x, 0.9, axis=0))
    assert list(p_values(x, [0.95, "P5"])) == ["P95", "P5"]
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    table = p_values(frame)
    assert list(table.index) == ["P90", "P50", "P10"] and list(table.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(table.to_numpy(), frame.quantile([0.1, 0.5, 0.9]).to_numpy(),
                               rtol=1e-14)
    series = p_values(frame["b"])
    assert list(series.index) == ["P90", "P50", "P10"]
    assert series["P50"] == pytest.approx(np.median(x[:, 1]), rel=1e-14)
    by_column = exceedance_quantile(frame, "P90")
    assert isinstance(by_column, pd.Series) and list(by_column.index) == ["a", "b", "c"]
    assert isinstance(exceedance_quantile(frame["a"], "P50"), float)
    with pytest.raises(InputError, match="repeat"):
        p_values(x, ["P90", 0.9])


def test_summarise_known_sample_and_types():
    s = summarise(ELEVEN)
    assert list(s) == list(STATISTICS)
    assert s["mean"] == 6.0 and s["std"] == pytest.approx(np.std(ELEVEN, ddof=1), rel=1e-15)
    assert (s["P90"], s["P50"], s["P10"]) == (2.0, 6.0, 10.0)
    assert summarise(ELEVEN, ddof=0)["std"] == pytest.approx(np.std(ELEVEN), rel=1e-15)
    series = summarise(pd.Series(ELEVEN, name="tonnage_t"))
    assert series.name == "tonnage_t" and series["P10"] == 10.0
    frame = summarise(pd.DataFrame({"t": ELEVEN, "g": ELEVEN[::-1] * 2}))
    assert list(frame.index) == list(STATISTICS)
    np.testing.assert_array_equal(frame.loc["P90"].to_numpy(), [2.0, 4.0])
    rows = summarise(pd.DataFrame({"t": ELEVEN, "g": ELEVEN}).T, axis=1)
    np.testing.assert_array_equal(rows.loc["P50"].to_numpy(), [6.0, 6.0])
    # Another quantile method on request: Hyndman and Fan type 8 (median-unbiased).
    # Position (n + 1/3) q + 1/3 (1-based) among the sorted values.
    expected = (11 + 1 / 3) * 0.1 + 1 / 3
    assert summarise(ELEVEN, method="median_unbiased")["P90"] == pytest.approx(expected)


def test_summarise_nan_single_value_and_errors():
    x = np.array([1.0, np.nan, 3.0])
    assert all(np.isnan(v) for v in summarise(x).values())  # NaN in, NaN out
    skipped = summarise(x, skipna=True)
    assert skipped["mean"] == 2.0 and skipped["P50"] == 2.0
    assert skipped["std"] == pytest.approx(np.sqrt(2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = summarise(np.array([4.0]))
        empty_slices = summarise(np.full((3, 2), np.nan), skipna=True)
    assert one["mean"] == 4.0 and np.isnan(one["std"]) and one["P90"] == 4.0
    assert np.isnan(empty_slices["P50"]).all()
    with pytest.raises(InputError, match="empty"):
        summarise([])
    with pytest.raises(InputError, match="unknown quantile method"):
        summarise(ELEVEN, method="type7")
    with pytest.raises(InputError, match="ddof"):
        summarise(ELEVEN, ddof=-1)
    with pytest.raises(InputError, match="numeric"):
        summarise(["a", "b"])
    with pytest.raises(InputError, match="out of range"):
        summarise(ELEVEN, axis=1)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)),
              elements=st.floats(-1e9, 1e9)),
       st.sampled_from(["linear", "median_unbiased", "hazen", "inverted_cdf", "nearest"]))
def test_p_values_are_ordered_for_any_sample(x, method):
    out = p_values(x, method=method)
    assert np.all(out["P90"] <= out["P50"]) and np.all(out["P50"] <= out["P10"])


# ----------------------------------------------------------------- realisation grade-tonnage
@pytest.mark.parametrize(("n_real", "n_blocks"), [(1, 10), (5, 12), (40, 31), (7, 14_000)])
def test_realisation_table_equals_a_loop_of_grade_tonnage(rng, n_real, n_blocks):
    # (7, 14000): 21,000 parcels pack 3 realisations to a row, with a remainder of 1.
    model = _model(n_blocks, rng=rng)
    sims = rng.lognormal(np.log(0.1), 0.7, (n_real, model.n_parcels))
    sims[0, 2] = np.nan  # a parcel not estimated in one realisation
    cut = [0.0, 0.05, 0.1, 0.2]
    table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", cut)
    assert list(table.columns) == ["realisation", "zone", "cutoff_pct", "tonnage_t",
                                   "treo_pct", "contained_t", "not_estimated_t"]
    assert table.attrs == {"basis": "oxide", "unit": "pct", "grade": "treo"}
    assert len(table) == n_real * 2 * len(cut)
    expected = pd.concat(
        [gt.to_frame().assign(realisation=r) for r, gt in
         enumerate(_loop_tables(model, sims, cut))], ignore_index=True)
    for column in ("tonnage_t", "treo_pct", "contained_t", "not_estimated_t"):
        np.testing.assert_allclose(table[column].to_numpy(), expected[column].to_numpy(),
                                   rtol=1e-12, atol=0.0, err_msg=column)
    np.testing.assert_array_equal(table["zone"].to_numpy(), expected["zone"].to_numpy())
    np.testing.assert_array_equal(table["realisation"], expected["realisation"])
    # Proportions count: the zones' tonnage at a zero cut-off is volume x share x density.
    first = table[(table.realisation == n_real - 1) & (table.cutoff_pct == 0.0)]
    by_zone = first.set_index("zone")["tonnage_t"] + first.set_index("zone")["not_estimated_t"]
    volume = model.volume_m3()
    for k, name in enumerate(model.zone_names):
        density = 2.5 if name == "A" else 2.8
        assert by_zone[name] == pytest.approx(volume[model.zone_code == k].sum() * density,
                                              rel=1e-12)


def test_simulated_density_and_single_total(rng):
    model = _model(9, rng=rng)
    sims = rng.uniform(0.0, 0.4, (6, model.n_parcels))
    density = rng.uniform(2.4, 2.9, (6, model.n_parcels))
    sim_model = model.with_arrays(treo_pct=sims, density_t_m3=density)
    table = realisation_grade_tonnage(sim_model, "treo_pct", [0.1, 0.3])
    tonnage = model.volume_m3() * density
    expected = _loop_tables(model, sims, [0.1, 0.3], tonnage)
    got = table["tonnage_t"].to_numpy().reshape(6, 2, 2)
    np.testing.assert_allclose(got, [gt.tonnage_t for gt in expected], rtol=1e-12)
    whole = realisation_grade_tonnage(sim_model, "treo_pct", [0.1, 0.3], by_zone=False)
    assert set(whole["zone"]) == {"Total"}
    np.testing.assert_allclose(whole["tonnage_t"].to_numpy().reshape(6, 2), got.sum(axis=1),
                               rtol=1e-12)


def test_unit_and_basis_from_the_name_or_given(rng):
    model = _model(6, rng=rng)
    sims = rng.uniform(100, 2000, (3, model.n_parcels))
    table = realisation_grade_tonnage(model.with_arrays(nd_ppm=sims), "nd_ppm", [500.0])
    assert table.attrs["basis"] == "element" and "nd_ppm" in table.columns
    np.testing.assert_allclose(
        table["contained_t"], table["tonnage_t"] * table["nd_ppm"] * 1e-6, rtol=1e-12)
    other = realisation_grade_tonnage(model.with_arrays(sim=sims), "sim", [500.0],
                                      unit="ppm", basis="oxide")
    assert "sim_ppm" in other.columns and other.attrs["basis"] == "oxide"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"grade": "au_gpt"}, InputError, "no array 'au_gpt'"),
     ({"grade": "cu_pct"}, InputError, r"one value per parcel.*n_realisations"),
     ({"grade": "treo_pct", "unit": "ppm"}, UnitError, "named in pct"),
     ({"grade": "treo_pct", "basis": "element"}, BasisError, "oxide basis"),
     ({"grade": "sim"}, InputError, "give unit="),
     ({"grade": "sim", "unit": "pct"}, InputError, "give basis="),
     ({"grade": "treo_pct", "cutoffs": [0.2, 0.1]}, InputError, "strictly increasing")],
)
def test_realisation_errors(rng, kwargs, error, match):
    model = _model(6, rng=rng)
    sims = rng.uniform(0, 1, (2, model.n_parcels))
    model = model.with_arrays(treo_pct=sims, sim=sims, cu_pct=sims[0])
    args = {"cutoffs": [0.1], **kwargs}
    with pytest.raises(error, match=match):
        realisation_grade_tonnage(model, args.pop("grade"), args.pop("cutoffs"), **args)


def test_bad_values_name_realisation_parcel_block_and_zone(rng):
    model = _model(6, rng=rng)
    sims = rng.uniform(0, 1, (3, model.n_parcels))
    sims[2, 7] = -0.5
    expected = (f"realisation 2, parcel 7 \\(block {model.block_index[7]}, zone "
                f"'{model.zone_names[model.zone_code[7]]}'\\)")
    with pytest.raises(InputError, match=f"negative value.*-0.5 at {expected}"):
        realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", [0.1])
    sims[2, 7] = 150.0
    with pytest.raises(InputError, match="over 100 %"):
        realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", [0.1])
    with pytest.raises(InputError, match="model must be a raremin BlockModel"):
        realisation_grade_tonnage({"treo_pct": sims}, "treo_pct", [0.1])


def test_lazy_model_gives_the_in_memory_table(rng):
    da = pytest.importorskip("dask.array")
    model = _model(20, rng=rng)
    sims = rng.lognormal(np.log(0.1), 0.5, (4, model.n_parcels))
    eager = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", [0.0, 0.1])
    chunks = (12, model.n_parcels - 12)
    lazy = BlockModel(model.grid, model.zone_names,
                      da.from_array(model.block_index, chunks=(chunks,)),
                      da.from_array(model.zone_code, chunks=(chunks,)),
                      da.from_array(model.proportion, chunks=(chunks,)),
                      {"density_t_m3": da.from_array(model.arrays["density_t_m3"],
                                                     chunks=(chunks,)),
                       "treo_pct": da.from_array(sims, chunks=((4,), chunks))})
    assert lazy.is_lazy
    got = realisation_grade_tonnage(lazy, "treo_pct", [0.0, 0.1])
    pd.testing.assert_frame_equal(got.drop(columns="treo_pct"),
                                  eager.drop(columns="treo_pct"), rtol=1e-12)
    np.testing.assert_allclose(got["treo_pct"], eager["treo_pct"], rtol=1e-12)


# -------------------------------------------------------------------------------- summary
@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 25), st.just(9)),
              elements=st.one_of(st.floats(0.0, 1.0), st.just(0.0))),
       st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5, unique=True))
def test_p90_p50_p10_are_ordered_above_any_cutoff(sims, cutoffs):
    model = _model(6)
    assert model.n_parcels == 9
    table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct",
                                      sorted(cutoffs))
    s = summarise_grade_tonnage(table)
    for column in ("tonnage_t", "treo_pct", "contained_t"):
        wide = s.pivot_table(index=["zone", "cutoff_pct"], columns="statistic", values=column,
                             dropna=False)
        defined = wide["P50"].notna()
        assert (wide["P90"][defined] <= wide["P50"][defined]).all()
        assert (wide["P50"][defined] <= wide["P10"][defined]).all()
    # Grades are undefined exactly where no realisation has tonnage above the cut-off.
    p50 = s[s.statistic == "P50"]
    np.testing.assert_array_equal(p50["treo_pct"].isna(), p50["n_with_tonnage"] == 0)


def test_summary_values_total_and_counts(rng):
    model = _model(10, rng=rng)
    sims = rng.lognormal(np.log(0.1), 0.6, (200, model.n_parcels))
    cut = [0.0, 0.1, 0.3]
    table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", cut)
    s = summarise_grade_tonnage(table)
    assert list(s.columns) == ["zone", "cutoff_pct", "statistic", "tonnage_t", "treo_pct",
                               "contained_t", "not_estimated_t", "n_realisations",
                               "n_with_tonnage"]
    assert list(dict.fromkeys(s.zone)) == ["A", "B", "Total"]
    assert len(s) == 3 * len(cut) * len(STATISTICS) and (s.n_realisations == 200).all()
    cube = table["tonnage_t"].to_numpy().reshape(200, 2, 3)
    got = s.set_index(["zone", "cutoff_pct", "statistic"])["tonnage_t"]
    for k, zone in enumerate(["A", "B"]):
        for c, cutoff in enumerate(cut):
            assert got[(zone, cutoff, "P90")] == np.quantile(cube[:, k, c], 0.1)
            assert got[(zone, cutoff, "std")] == pytest.approx(
                np.std(cube[:, k, c], ddof=1), rel=1e-12, abs=1e-12 * cube[:, k, c].mean())
    # The total is summed per realisation first; its P90 is not the sum of the zones' P90s.
    total = cube.sum(axis=1)
    assert got[("Total", 0.1, "P90")] == pytest.approx(np.quantile(total[:, 1], 0.1), rel=1e-14)
    assert got[("Total", 0.1, "mean")] == pytest.approx(
        got[("A", 0.1, "mean")] + got[("B", 0.1, "mean")], rel=1e-12)
    zone_sum = got[("A", 0.1, "P90")] + got[("B", 0.1, "P90")]
    assert zone_sum > 0 and got[("Total", 0.1, "P90")] > zone_sum * 1.01  # independent zones
    # The total's mean grade is the tonnage-weighted mean of the zones' grades.
    grade = table["treo_pct"].to_numpy().reshape(200, 2, 3)
    with np.errstate(invalid="ignore"):  # 0 / 0 where no tonnage is above the cut-off
        weighted = np.nansum(cube * grade, axis=1) / total
    g = s.set_index(["zone", "cutoff_pct", "statistic"])["treo_pct"]
    assert g[("Total", 0.1, "P50")] == pytest.approx(np.nanquantile(weighted[:, 1], 0.5),
                                                     rel=1e-12)
    # Grade statistics are over the realisations with tonnage above the cut-off.
    n_with = (cube > 0).sum(axis=0)
    counts = s.set_index(["zone", "cutoff_pct", "statistic"])["n_with_tonnage"]
    assert counts[("B", 0.3, "P50")] == n_with[1, 2]
    assert g[("B", 0.3, "mean")] == pytest.approx(np.nanmean(grade[:, 1, 2]), rel=1e-12)


def test_summary_ignores_row_order_and_single_total(rng):
    model = _model(8, rng=rng)
    sims = rng.uniform(0, 0.5, (30, model.n_parcels))
    table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", [0.1, 0.2])
    shuffled = table.sample(frac=1.0, random_state=1)
    keys = ["zone", "cutoff_pct", "statistic"]
    pd.testing.assert_frame_equal(summarise_grade_tonnage(shuffled).set_index(keys).sort_index(),
                                  summarise_grade_tonnage(table).set_index(keys).sort_index())
    whole = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", [0.1, 0.2],
                                      by_zone=False)
    s_whole = summarise_grade_tonnage(whole)
    assert set(s_whole.zone) == {"Total"}
    s_zones = summarise_grade_tonnage(table)
    s_total = s_zones[s_zones.zone == "Total"].reset_index(drop=True)
    np.testing.assert_allclose(s_total["tonnage_t"], s_whole["tonnage_t"], rtol=1e-12)
    np.testing.assert_allclose(s_total["treo_pct"], s_whole["treo_pct"], rtol=1e-12)
    assert "Total" not in set(summarise_grade_tonnage(table, total=False).zone)


def test_summary_errors(rng):
    model = _model(6, rng=rng)
    sims = rng.uniform(0, 0.5, (4, model.n_parcels))
    table = realisation_grade_tonnage(model.with_arrays(treo_pct=sims), "treo_pct", [0.1, 0.2])
    with pytest.raises(InputError, match="exactly one row per zone and cut-off"):
        summarise_grade_tonnage(table.iloc[1:])
    with pytest.raises(InputError, match="2 rows for realisation"):
        summarise_grade_tonnage(pd.concat([table, table.iloc[:1]]))
    with pytest.raises(InputError, match="no column"):
        summarise_grade_tonnage(table.drop(columns="zone"))
    renamed = table.assign(zone=table.zone.replace({"B": "Total"}))
    with pytest.raises(InputError, match="named 'Total'"):
        summarise_grade_tonnage(renamed)
    holes = table.copy()
    holes.loc[holes.tonnage_t > 0, "treo_pct"] = np.nan
    with pytest.raises(InputError, match="NaN where tonnage"):
        summarise_grade_tonnage(holes)
    with pytest.raises(InputError, match="empty"):
        summarise_grade_tonnage(table.iloc[:0])


# ---------------------------------------------------------------------------- Monte Carlo
def test_monte_carlo_is_reproducible_and_per_input():
    inputs = {"density_t_m3": stats.norm(2.6, 0.1), "thickness_m": stats.uniform(8, 4)}
    a = monte_carlo(500, seed=11, **inputs)
    b = monte_carlo(500, seed=11, **inputs)
    c = monte_carlo(500, seed=12, **inputs)
    for key in inputs:
        np.testing.assert_array_equal(a[key], b[key])
        assert not np.array_equal(a[key], c[key])
    assert not np.array_equal(stats.norm.ppf(stats.uniform.cdf(a["thickness_m"], 8, 4)),
                              (a["density_t_m3"] - 2.6) / 0.1)
    # An input's draws depend on the seed and its name only.
    alone = monte_carlo(500, seed=11, density_t_m3=stats.norm(2.6, 0.1))
    reordered = monte_carlo(500, seed=11, thickness_m=inputs["thickness_m"],
                            area_m2=1e6, density_t_m3=inputs["density_t_m3"])
    np.testing.assert_array_equal(alone["density_t_m3"], a["density_t_m3"])
    np.testing.assert_array_equal(reordered["density_t_m3"], a["density_t_m3"])
    assert list(reordered) == ["thickness_m", "area_m2", "density_t_m3"]
    # A Generator seeds once and moves on; a SeedSequence is used as given.
    gen = np.random.default_rng(4)
    first = monte_carlo(10, seed=gen, x=stats.norm())["x"]
    second = monte_carlo(10, seed=gen, x=stats.norm())["x"]
    assert not np.array_equal(first, second)
    seq = np.random.SeedSequence(9)
    np.testing.assert_array_equal(monte_carlo(10, seed=seq, x=stats.norm())["x"],
                                  monte_carlo(10, seed=seq, x=stats.norm())["x"])


def test_monte_carlo_kinds_of_input():
    treo = Lognormal.from_mean_cv([0.1, 0.2], 0.5, unit="pct", basis="oxide")
    d = monte_carlo(4000, seed=2, area_m2=1.5e6, grade=treo,
                    per_zone=stats.norm([1.0, 5.0], [0.1, 0.5]), count=stats.poisson(3))
    np.testing.assert_array_equal(d["area_m2"], np.full(4000, 1.5e6))
    assert d["grade"].shape == (4000, 2) and d["per_zone"].shape == (4000, 2)
    np.testing.assert_allclose(d["grade"].mean(axis=0), [0.1, 0.2], rtol=0.05)
    np.testing.assert_allclose(d["per_zone"].mean(axis=0), [1.0, 5.0], rtol=0.01)
    assert d["count"].dtype == np.float64


@pytest.mark.parametrize(
    ("n", "seed", "inputs", "match"),
    [(0, 1, {}, "integer >= 1"), (2.5, 1, {}, "integer >= 1"), (True, 1, {}, ">= 1"),
     (10, -1, {}, "seed must be"), (10, "a", {}, "seed must be"),
     (10, 1, {"x": "norm"}, "input 'x' is a str"), (10, 1, {"x": [1.0, 2.0]}, "input 'x'"),
     (10, 1, {"x": True}, "input 'x' is a bool")],
)
def test_monte_carlo_errors(n, seed, inputs, match):
    with pytest.raises(InputError, match=match):
        monte_carlo(n, seed=seed, **inputs)


def test_monte_carlo_matches_normal_quantiles_within_monte_carlo_error():
    n = 20_000
    volume, mean_density, sd = 4.0e6, 2.6, 0.1
    treo = Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide")
    draws = monte_carlo(n, seed=20261122, volume_m3=volume,
                        density_t_m3=stats.norm(mean_density, sd), mean_grade=0.15, cv=0.6)
    cut = np.array([0.0, 0.1, 0.2])
    s = summarise_grade_tonnage(monte_carlo_grade_tonnage(draws, cut, unit="pct",
                                                          basis="oxide", grade_name="treo"))
    assert set(s.zone) == {"Total"} and (s.n_realisations == n).all()
    got = s.set_index(["cutoff_pct", "statistic"])
    fraction = np.asarray(treo.fraction_above(cut))
    for label, q in P_LEVELS.items():
        z = special.ndtri(q)
        density = mean_density + sd * z
        # Standard error of a sample quantile: sqrt(q (1 - q) / n) / f(x_q).
        se = np.sqrt(q * (1 - q) / n) / (stats.norm.pdf(z) / sd)
        for c, f in zip(cut, fraction, strict=True):
            assert abs(got.loc[(c, label), "tonnage_t"] / (volume * f) - density) < 4 * se
    # The grade distribution is fixed: every draw has the analytic mean grade above cut-off.
    grade = got.xs("P50", level="statistic")["treo_pct"].to_numpy()
    np.testing.assert_allclose(grade, treo.mean_above(cut), rtol=1e-10)
    assert np.all(got.xs("std", level="statistic")["treo_pct"].to_numpy() < 1e-12)


def test_monte_carlo_grade_tonnage_equals_analytic_per_draw():
    draws = monte_carlo(50, seed=3, area_m2=2e6, thickness_m=stats.uniform(5, 10),
                        density_t_m3=stats.norm(2.7, 0.1), mean_grade=stats.gamma(20, scale=0.01),
                        cv=stats.uniform(0.4, 0.4))
    cut = [0.05, 0.2, 0.4]
    tables = {}
    for family, cls in (("lognormal", Lognormal), ("gamma", Gamma)):
        table = monte_carlo_grade_tonnage(draws, cut, unit="pct", basis="oxide",
                                          grade_name="treo", family=family, zone="North")
        tables[family] = table
        assert set(table.zone) == {"North"} and list(table.realisation.unique()) == list(
            range(50))
        for r in (0, 17, 49):
            d = cls.from_mean_cv(draws["mean_grade"][r], draws["cv"][r], unit="pct",
                                 basis="oxide")
            tonnes = draws["area_m2"][r] * draws["thickness_m"][r] * draws["density_t_m3"][r]
            gt = analytic_grade_tonnage(d, tonnes, cut)
            rows = table[table.realisation == r]
            np.testing.assert_allclose(rows["tonnage_t"], gt.tonnage_t, rtol=1e-12)
            np.testing.assert_allclose(rows["treo_pct"], gt.mean_grade, rtol=1e-12)
            np.testing.assert_allclose(rows["contained_t"], gt.contained_t, rtol=1e-12)
    assert not np.allclose(tables["gamma"]["tonnage_t"], tables["lognormal"]["tonnage_t"])


@pytest.mark.parametrize(
    ("change", "match"),
    [({"price": 3.0}, "unknown draws \\['price'\\]"),
     ({"tonnage_t": 1e6}, "match none of the recipes"),
     ({"density_t_m3": np.array([2.6, -1.0, 2.6])}, "-1.0 at draw 1"),
     ({"mean_grade": np.array([0.1, 0.0, 0.1])}, "must be > 0.*at draw 1"),
     ({"mean_grade": 120.0}, "<= 100 %"),
     ({"cv": np.array([0.5, 0.5])}, "different lengths"),
     ({"cv": np.array([0.5, np.nan, 0.5])}, "missing or infinite")],
)
def test_monte_carlo_grade_tonnage_errors(change, match):
    draws = {"volume_m3": 1e6, "density_t_m3": np.full(3, 2.6), "mean_grade": 0.1,
             "cv": np.full(3, 0.5), **change}
    with pytest.raises(InputError, match=match):
        monte_carlo_grade_tonnage(draws, [0.1], unit="pct", basis="oxide")


def test_monte_carlo_grade_tonnage_needs_the_grade_and_a_family():
    with pytest.raises(InputError, match="need \\['cv'\\]"):
        monte_carlo_grade_tonnage({"tonnage_t": 1e6, "mean_grade": 0.1}, [0.1], unit="pct",
                                  basis="oxide")
    with pytest.raises(InputError, match="unknown family"):
        monte_carlo_grade_tonnage({"tonnage_t": 1e6, "mean_grade": 0.1, "cv": 0.5}, [0.1],
                                  unit="pct", basis="oxide", family="weibull")
