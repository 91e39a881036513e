"""Tests of raremin.units (grade and tonnage units) and raremin._validation (input checks)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from raremin._validation import check_grades, check_weights
from raremin.errors import InputError, RareminError, UnitError
from raremin.units import (
    GRADE_UNITS,
    TONNAGE_UNITS,
    convert_grade,
    convert_tonnage,
    grade_factor,
    grade_unit,
    tonnage_unit,
    unit_suffix,
)

CANONICAL_GRADE = ["ppm", "g/t", "kg/t", "pct", "fraction"]
CANONICAL_TONNAGE = ["kg", "t", "kt", "Mt"]


# ----------------------------------------------------------------------------- exact relations
@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (1.0, "pct", "ppm", 10_000.0),
        (1.0, "pct", "g/t", 10_000.0),
        (1.0, "pct", "kg/t", 10.0),
        (1.0, "pct", "fraction", 0.01),
        (10_000.0, "ppm", "pct", 1.0),
        (10_000.0, "g/t", "pct", 1.0),
        (10.0, "kg/t", "pct", 1.0),
        (0.01, "fraction", "pct", 1.0),
        (10.0, "kg/t", "ppm", 10_000.0),
        (1.0, "fraction", "ppm", 1_000_000.0),
        (1.0, "ppm", "fraction", 1e-6),
        (1.0, "g/t", "kg/t", 0.001),
        (0.25, "%", "ppm", 2500.0),
        (1500.0, "g/t", "kg/t", 1.5),
    ],
)
def test_grade_exact_relations(value, from_unit, to_unit, expected):
    out = convert_grade(value, from_unit, to_unit)
    assert type(out) is float
    assert out == expected


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (1.0, "Mt", "t", 1_000_000.0),
        (1.0, "kt", "t", 1000.0),
        (1.0, "t", "kg", 1000.0),
        (1.0, "kg", "t", 0.001),
        (1.0, "Mt", "kt", 1000.0),
        (1.0, "Mt", "kg", 1e9),
        (1.0, "kg", "Mt", 1e-9),
        (940_000.0, "t", "Mt", 0.94),
        (1500.0, "t", "kt", 1.5),
    ],
)
def test_tonnage_exact_relations(value, from_unit, to_unit, expected):
    assert convert_tonnage(value, from_unit, to_unit) == expected


def test_ppm_equals_g_per_t():
    x = np.array([0.0, 1.0, 123.456, 1e-7, 987654.321])
    np.testing.assert_array_equal(convert_grade(x, "ppm", "g/t"), x)
    np.testing.assert_array_equal(convert_grade(x, "g/t", "ppm"), x)


def test_array_conversion_is_a_single_rounding():
    x = np.random.default_rng(3).uniform(0.0, 50.0, 1000)
    np.testing.assert_array_equal(convert_grade(x, "pct", "ppm"), x * 10_000.0)
    np.testing.assert_array_equal(convert_grade(x, "ppm", "pct"), x / 10_000.0)
    np.testing.assert_array_equal(convert_grade(x, "pct", "fraction"), x / 100.0)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("%", 0.01), ("pct", 0.01), ("ppm", 1e-6), ("g/t", 1e-6), ("kg/t", 1e-3), ("fraction", 1.0)],
)
def test_grade_factor(unit, expected):
    assert grade_factor(unit) == expected


def test_unit_tables_are_consistent():
    assert GRADE_UNITS["pct"] == 10_000 * GRADE_UNITS["ppm"]
    assert GRADE_UNITS["g/t"] == GRADE_UNITS["ppm"]
    assert GRADE_UNITS["pct"] == 10 * GRADE_UNITS["kg/t"]
    assert GRADE_UNITS["fraction"] == 100 * GRADE_UNITS["pct"]
    assert TONNAGE_UNITS["Mt"] == 1000 * TONNAGE_UNITS["kt"] == 1_000_000 * TONNAGE_UNITS["t"]
    assert TONNAGE_UNITS["t"] == 1000 * TONNAGE_UNITS["kg"]


# ----------------------------------------------------------------------------- spellings
@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("%", "pct"),
        ("wt%", "pct"),
        ("pct", "pct"),
        ("PCT", "pct"),
        ("ppm", "ppm"),
        ("g/t", "g/t"),
        ("gpt", "g/t"),
        (" G/T ", "g/t"),
        ("kg/t", "kg/t"),
        ("fraction", "fraction"),
    ],
)
def test_grade_unit_spellings(spelling, canonical):
    assert grade_unit(spelling) == canonical


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [("Mt", "Mt"), ("mt", "Mt"), ("MT", "Mt"), ("tonnes", "t"), ("t", "t"), ("kt", "kt"),
     ("kg", "kg"), (" Tonne ", "t")],
)
def test_tonnage_unit_spellings(spelling, canonical):
    assert tonnage_unit(spelling) == canonical


@pytest.mark.parametrize(("unit", "suffix"), [("%", "pct"), ("g/t", "gpt"), ("ppm", "ppm"),
                                              ("kg/t", "kgpt"), ("fraction", "frac")])
def test_unit_suffix(unit, suffix):
    assert unit_suffix(unit) == suffix


def test_spellings_convert_like_canonical_names():
    assert convert_grade(0.3, "wt%", "gpt") == convert_grade(0.3, "pct", "g/t") == 3000.0
    assert convert_tonnage(2.0, "mt", "tonnes") == 2_000_000.0


@pytest.mark.parametrize("bad", ["ppt", "lb", 3])
def test_unknown_grade_unit(bad):
    with pytest.raises(UnitError) as info:
        grade_unit(bad)
    message = str(info.value)
    assert repr(bad) in message
    for known in ("'ppm'", "'pct'", "'g/t'", "'kg/t'"):
        assert known in message
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, InputError)
    assert isinstance(info.value, RareminError)


@pytest.mark.parametrize("bad", ["ppt", "lb", 3])
def test_unknown_tonnage_unit(bad):
    with pytest.raises(UnitError) as info:
        tonnage_unit(bad)
    message = str(info.value)
    assert repr(bad) in message
    for known in ("'kg'", "'t'", "'kt'", "'Mt'"):
        assert known in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", ["ppt", "lb"])
def test_convert_with_unknown_unit_raises(bad):
    with pytest.raises(UnitError, match=bad):
        convert_grade(1.0, bad, "ppm")
    with pytest.raises(UnitError, match=bad):
        convert_grade(1.0, "ppm", bad)
    with pytest.raises(UnitError, match=bad):
        convert_tonnage(1.0, "t", bad)


# ----------------------------------------------------------------------------- container types
def test_list_becomes_ndarray():
    out = convert_grade([0.1, 0.25], "pct", "ppm")
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, np.array([1000.0, 2500.0]))
    out = convert_tonnage([1500.0, 250.0], "t", "kt")
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, np.array([1.5, 0.25]))


@pytest.mark.parametrize(("from_unit", "to_unit"), [("pct", "ppm"), ("ppm", "g/t"), ("ppm", "pct")])
def test_series_kept(from_unit, to_unit):
    s = pd.Series([0.1, 0.2, 0.4], index=["a", "b", "c"], name="treo")
    out = convert_grade(s, from_unit, to_unit)
    assert isinstance(out, pd.Series)
    assert list(out.index) == ["a", "b", "c"]
    ratio = float(GRADE_UNITS[from_unit] / GRADE_UNITS[to_unit])
    np.testing.assert_allclose(out.to_numpy(), s.to_numpy() * ratio, rtol=1e-15)


def test_series_kept_for_tonnage():
    s = pd.Series([1.0, 2.5], index=[10, 20])
    out = convert_tonnage(s, "Mt", "t")
    assert isinstance(out, pd.Series)
    assert list(out.index) == [10, 20]
    np.testing.assert_array_equal(out.to_numpy(), [1e6, 2.5e6])


def test_dataframe_kept():
    df = pd.DataFrame({"la": [0.1, 0.2], "nd": [0.05, 0.07]}, index=["x", "y"])
    out = convert_grade(df, "pct", "ppm")
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["la", "nd"]
    assert list(out.index) == ["x", "y"]
    np.testing.assert_array_equal(out.to_numpy(), df.to_numpy() * 10_000.0)


@pytest.mark.parametrize("value", [3, 3.0, np.float64(3.0)])
@pytest.mark.parametrize(("from_unit", "to_unit", "ratio"),
                         [("pct", "ppm", 10_000.0), ("ppm", "g/t", 1.0), ("g/t", "kg/t", 1e-3)])
def test_scalar_becomes_float(value, from_unit, to_unit, ratio):
    out = convert_grade(value, from_unit, to_unit)
    assert type(out) is float
    assert out == 3.0 * ratio


def test_numpy_array_scalar_zero_d():
    out = convert_grade(np.array(2.0), "pct", "ppm")
    assert float(out) == 20_000.0


# ----------------------------------------------------------------------------- round trips
positive_floats = st.floats(min_value=1e-280, max_value=1e280, allow_nan=False,
                            allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(
    values=arrays(np.float64, array_shapes(max_dims=2, max_side=6), elements=positive_floats),
    pair=st.sampled_from(list(itertools.permutations(CANONICAL_GRADE, 2))),
)
def test_grade_round_trip(values, pair):
    a, b = pair
    there = convert_grade(values, a, b)
    back = convert_grade(there, b, a)
    np.testing.assert_allclose(back, values, rtol=1e-15, atol=0)
    ratio = float(GRADE_UNITS[a] / GRADE_UNITS[b])
    np.testing.assert_allclose(there, values * ratio, rtol=1e-15, atol=0)


@settings(max_examples=100, deadline=None)
@given(
    values=arrays(np.float64, array_shapes(max_dims=2, max_side=6), elements=positive_floats),
    pair=st.sampled_from(list(itertools.permutations(CANONICAL_TONNAGE, 2))),
)
def test_tonnage_round_trip(values, pair):
    a, b = pair
    there = convert_tonnage(values, a, b)
    back = convert_tonnage(there, b, a)
    np.testing.assert_allclose(back, values, rtol=1e-15, atol=0)
    ratio = float(TONNAGE_UNITS[a] / TONNAGE_UNITS[b])
    np.testing.assert_allclose(there, values * ratio, rtol=1e-15, atol=0)


@settings(max_examples=100, deadline=None)
@given(value=positive_floats, a=st.sampled_from(CANONICAL_GRADE),
       b=st.sampled_from(CANONICAL_GRADE), c=st.sampled_from(CANONICAL_GRADE))
def test_grade_conversion_composes(value, a, b, c):
    direct = convert_grade(value, a, c)
    via = convert_grade(convert_grade(value, a, b), b, c)
    np.testing.assert_allclose(via, direct, rtol=1e-15)


# ----------------------------------------------------------------------------- _validation
@pytest.mark.parametrize(
    ("values", "unit", "shown", "reason"),
    [
        (-0.1, "pct", "-0.1", "negative"),
        ([0.1, -2.0, 0.3], "pct", "-2.0", "negative"),
        ([0.1, np.nan], "pct", "nan", "missing"),
        (np.nan, "ppm", "nan", "missing"),
        ([1.0, np.inf], "ppm", "inf", "missing or infinite"),
        (100.5, "pct", "100.5", "over 100 %"),
        ([5.0, 1.2e6], "ppm", "1200000.0", "over 100 %"),
        (1.5, "fraction", "1.5", "over 100 %"),
        (1000.5, "kg/t", "1000.5", "over 100 %"),
    ],
)
def test_check_grades_rejects(values, unit, shown, reason):
    with pytest.raises(InputError) as info:
        check_grades(values, unit, name="treo grade")
    message = str(info.value)
    assert shown in message
    assert reason in message
    assert "treo grade" in message


def test_check_grades_position_of_first_bad_value():
    with pytest.raises(InputError, match=r"2 negative value\(s\) \(first: -1\.0 at position 2\)"):
        check_grades([0.0, 0.5, -1.0, -99.0], "pct")


@pytest.mark.parametrize(("values", "unit"), [([0.0, 100.0], "pct"), ([0.0, 1e6], "ppm"),
                                              ([1.0], "fraction"), (0.15, "%")])
def test_check_grades_accepts_boundaries(values, unit):
    np.testing.assert_array_equal(check_grades(values, unit), np.asarray(values, dtype=float))


def test_check_grades_allow_nan():
    out = check_grades([0.1, np.nan], "pct", allow_nan=True)
    assert np.isnan(out[1]) and out[0] == 0.1


def test_check_grades_unknown_unit():
    with pytest.raises(UnitError, match="ppt"):
        check_grades([0.1], "ppt")


@pytest.mark.parametrize(
    ("weights", "n", "match"),
    [
        ([1.0, -0.5, 2.0], 3, r"negative value\(s\) \(first: -0\.5 at position 1\)"),
        ([0.0, 0.0, 0.0], 3, "sum to zero"),
        ([1.0, 2.0], 3, r"one value per sample \(3\)"),
        ([[1.0, 2.0, 3.0]], 3, "one value per sample"),
        ([1.0, np.nan, 1.0], 3, "missing or infinite"),
    ],
)
def test_check_weights_rejects(weights, n, match):
    with pytest.raises(InputError, match=match):
        check_weights(weights, n)


def test_check_weights_accepts():
    w = check_weights([0.0, 1.0, 2.5], 3)
    np.testing.assert_array_equal(w, [0.0, 1.0, 2.5])
