"""Tests of raremin.assays: assay values as laboratories write them."""

from __future__ import annotations

import dataclasses
import inspect
import io
import logging
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raremin import assays
from raremin.assays import (
    DEFAULT_MISSING_CODES,
    REPORT_COLUMNS,
    VALUE_KINDS,
    AssayReport,
    clean_assays,
)
from raremin.errors import InputError, UnitError

NAN = math.nan


def _one(raw, **kwargs):
    """Clean a one-value column and return (value, kind, report row)."""
    dtype = object if isinstance(raw, str) or raw is None else float
    frame = pd.DataFrame({"x_ppm": pd.Series([raw], dtype=dtype)})
    clean, report = clean_assays(frame, ["x_ppm"], **kwargs)
    return clean["x_ppm"].iloc[0], report.flags["x_ppm"].iloc[0], report.table.iloc[0]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# ---------------------------------------------------------------- every rule, one value each

RULES = [
    # raw, kwargs, expected value, expected kind
    (12.5, {}, 12.5, "number"),
    (0.0, {}, 0.0, "number"),
    ("12.5", {}, 12.5, "number"),
    (" 12.5 ", {}, 12.5, "number"),
    ("1e-3", {}, 0.001, "number"),
    ("0", {}, 0.0, "number"),
    (NAN, {}, NAN, "empty"),
    (None, {}, NAN, "empty"),
    # negative codes: below detection with limit |x|
    (-0.5, {}, 0.25, "below_detection"),
    (-0.5, {"below_detection": "half"}, 0.25, "below_detection"),
    (-0.5, {"below_detection": "zero"}, 0.0, "below_detection"),
    (-0.5, {"below_detection": "missing"}, NAN, "below_detection"),
    (-0.5, {"below_detection": "limit"}, 0.5, "below_detection"),
    ("-0.5", {}, 0.25, "below_detection"),
    (" -10 ", {"below_detection": "limit"}, 10.0, "below_detection"),
    # "<x" text
    ("<5", {}, 2.5, "below_detection"),
    ("< 0.01", {"below_detection": "limit"}, 0.01, "below_detection"),
    (" <  2 ", {"below_detection": "zero"}, 0.0, "below_detection"),
    ("<5", {"below_detection": "missing"}, NAN, "below_detection"),
    ("<1e-3", {"below_detection": "half"}, 0.0005, "below_detection"),
    # below-detection text with no limit
    ("BDL", {"below_detection": "zero"}, 0.0, "below_detection_unknown_limit"),
    ("nd", {"below_detection": "missing"}, NAN, "below_detection_unknown_limit"),
    ("L.D.", {"detection_limits": {"x_ppm": 0.2}}, 0.1, "below_detection_unknown_limit"),
    (" bd ", {"below_detection": "limit", "detection_limits": {"x_ppm": 0.2}}, 0.2,
     "below_detection_unknown_limit"),
    ("<DL", {"below_detection": "zero"}, 0.0, "below_detection_unknown_limit"),
    # missing codes, as numbers and as text
    (-99.0, {}, NAN, "missing_code"),
    (-999.0, {}, NAN, "missing_code"),
    (-9999.0, {}, NAN, "missing_code"),
    (-99999.0, {}, NAN, "missing_code"),
    ("-99", {}, NAN, "missing_code"),
    ("-9999.0", {}, NAN, "missing_code"),
    (-99.0, {"missing_codes": ()}, 49.5, "below_detection"),
    (9999.0, {"missing_codes": (9999,)}, NAN, "missing_code"),
    # missing text
    ("", {}, NAN, "missing_text"),
    ("   ", {}, NAN, "missing_text"),
    ("NS", {}, NAN, "missing_text"),
    ("n/a", {}, NAN, "missing_text"),
    ("NA", {}, NAN, "missing_text"),
    ("nan", {}, NAN, "missing_text"),
    (" is ", {}, NAN, "missing_text"),
    ("LNR", {}, NAN, "missing_text"),
    ("NR", {}, NAN, "missing_text"),
    ("-", {}, NAN, "missing_text"),
    ("--", {}, NAN, "missing_text"),
    ("x", {}, NAN, "missing_text"),
    ("Null", {}, NAN, "missing_text"),
    ("None", {}, NAN, "missing_text"),
    ("lost", {"missing_text": ("LOST",)}, NAN, "missing_text"),
    # over range
    (">10", {}, 10.0, "over_range"),
    ("> 10", {"over_range": "limit"}, 10.0, "over_range"),
    (">10", {"over_range": "missing"}, NAN, "over_range"),
]


@pytest.mark.parametrize(("raw", "kwargs", "expected", "kind"), RULES,
                         ids=[f"{r[0]!r}-{r[1]}" for r in RULES])
def test_each_rule_gives_its_value_and_kind(raw, kwargs, expected, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        value, got_kind, row = _one(raw, **kwargs)
    assert _same(value, expected), (value, expected)
    assert got_kind == kind
    plain = kind in ("number", "empty")
    assert row["n_adjusted"] == (0 if plain else 1)
    assert row["n_rows"] == row["n_numeric"] + row["n_empty"] + row["n_adjusted"] == 1
    assert row["n_missing"] == int(math.isnan(expected))


@pytest.mark.parametrize(
    ("raw", "limit"),
    [(-0.5, 0.5), ("<5", 5.0), ("< 0.01", 0.01), ("-0.005", 0.005)],
)
def test_the_detection_limit_is_reported(raw, limit):
    _, _, row = _one(raw)
    assert row["detection_limit_min"] == row["detection_limit_max"] == limit
    assert row["detection_limits"] == f"{limit:g}"


def test_over_range_warns_that_the_value_is_a_lower_bound():
    with pytest.warns(UserWarning, match=r"x_ppm \(1\).*lower bound"):
        _one(">10")
    with pytest.warns(UserWarning, match="set to missing"):
        _one(">10", over_range="missing")


def test_text_without_a_limit_warns_when_the_policy_needs_one():
    with pytest.warns(UserWarning, match=r"x_ppm \(1\).*detection_limits"):
        value, kind, row = _one("BDL")
    assert math.isnan(value) and kind == "below_detection_unknown_limit"
    assert row["n_below_detection"] == row["n_below_detection_unknown_limit"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _one("BDL", below_detection="zero")[0] == 0.0
        assert _one("BDL", detection_limits={"x_ppm": 4})[0] == 2.0


# ---------------------------------------------------------------- columns of mixed types

def test_a_column_of_mixed_types_is_read_value_by_value():
    raw = [0.5, "0.7", "<0.01", -0.005, None, "NS", -99, 3, " 4 ", "BDL", ">20", NAN]
    frame = pd.DataFrame({"cu_pct": pd.Series(raw, dtype=object), "hole": list("abcdefghijkl")})
    with pytest.warns(UserWarning):
        clean, report = clean_assays(frame, ["cu_pct"])
    expected = [0.5, 0.7, 0.005, 0.0025, NAN, NAN, NAN, 3.0, 4.0, NAN, 20.0, NAN]
    np.testing.assert_array_equal(clean["cu_pct"].to_numpy(), expected)
    assert clean["cu_pct"].dtype == np.float64
    assert clean["hole"].tolist() == list("abcdefghijkl")
    row = report.table.iloc[0]
    assert row[["n_rows", "n_numeric", "n_empty", "n_below_detection",
                "n_below_detection_unknown_limit", "n_missing_codes", "n_missing_text",
                "n_over_range", "n_adjusted", "n_missing"]].tolist() == [
        12, 4, 2, 3, 1, 1, 1, 1, 6, 5]
    assert row["detection_limits"] == "0.005, 0.01"
    assert report.flags["cu_pct"].tolist() == [
        "number", "number", "below_detection", "below_detection", "empty", "missing_text",
        "missing_code", "number", "number", "below_detection_unknown_limit", "over_range",
        "empty"]


@pytest.mark.parametrize("dtype", [object, "str", "string", "category"])
def test_text_dtypes_are_all_read(dtype):
    frame = pd.DataFrame({"la_ppm": pd.Series(["12", "<5", "NS", "-10", "7.5"], dtype=dtype)})
    clean, report = clean_assays(frame, "la_ppm")
    np.testing.assert_array_equal(clean["la_ppm"].to_numpy(), [12.0, 2.5, NAN, 5.0, 7.5])
    assert report.table.loc[0, "n_below_detection"] == 2


@pytest.mark.parametrize("dtype", ["int64", "Int64", "Float64", "float32", "float64"])
def test_numeric_dtypes_are_read(dtype):
    frame = pd.DataFrame({"zn_ppm": pd.Series([120, -5, -99, 0], dtype=dtype)})
    clean, report = clean_assays(frame, ["zn_ppm"])
    np.testing.assert_array_equal(clean["zn_ppm"].to_numpy(), [120.0, 2.5, NAN, 0.0])
    assert clean["zn_ppm"].dtype == np.float64
    assert report.table.loc[0, "n_missing_codes"] == 1


CSV = """hole,from_m,to_m,cu_pct,au_ppm,la_ppm
H1,0,1,0.52,<0.01,12
H1,1,2,-0.001,1.2,NS
H1,2,3,0.4,-9999,>1000
H1,3,4,,N/A,< 5
H1,4,5,0.31,IS,BDL
"""


def test_object_columns_from_read_csv():
    frame = pd.read_csv(io.StringIO(CSV))
    assert frame["cu_pct"].dtype == np.float64
    with pytest.warns(UserWarning):
        clean, report = clean_assays(frame, ["cu_pct", "au_ppm", "la_ppm"],
                                     detection_limits={"la_ppm": 2})
    np.testing.assert_array_equal(clean["cu_pct"], [0.52, 0.0005, 0.4, NAN, 0.31])
    np.testing.assert_array_equal(clean["au_ppm"], [0.005, 1.2, NAN, NAN, NAN])
    np.testing.assert_array_equal(clean["la_ppm"], [12.0, NAN, 1000.0, 2.5, 1.0])
    t = report.table.set_index("analyte")
    # read_csv turns "N/A" into NaN itself: it is empty on input, not missing text
    assert t.loc["au_ppm", ["n_below_detection", "n_missing_codes", "n_missing_text",
                            "n_empty"]].tolist() == [1, 1, 1, 1]
    assert t.loc["la_ppm", ["n_below_detection", "n_below_detection_unknown_limit",
                            "n_over_range", "n_missing_text"]].tolist() == [2, 1, 1, 1]
    assert clean[["hole", "from_m", "to_m"]].equals(frame[["hole", "from_m", "to_m"]])


def test_read_csv_without_default_na_counts_blanks_as_missing_text():
    frame = pd.read_csv(io.StringIO(CSV), keep_default_na=False)
    with pytest.warns(UserWarning):
        _, report = clean_assays(frame, ["cu_pct", "au_ppm", "la_ppm"])
    t = report.table.set_index("analyte")
    assert t.loc["cu_pct", "n_missing_text"] == 1  # the blank
    assert t.loc["au_ppm", "n_missing_text"] == 2  # "N/A" and "IS"
    assert t["n_empty"].sum() == 0


# ---------------------------------------------------------------- per value, never per row

def test_one_analytes_code_never_touches_another_in_the_same_row():
    frame = pd.DataFrame(
        {"cu_pct": [0.8, 0.6, -0.001, 0.5], "mo_pct": [-0.005, "NS", 0.02, -99.0],
         "au_ppm": ["<0.01", 1.1, ">50", 0.3]},
        index=pd.Index([10, 11, 12, 13], name="interval"),
    )
    before = frame.copy()
    with pytest.warns(UserWarning):
        clean, report = clean_assays(frame, ["cu_pct", "mo_pct", "au_ppm"])
    np.testing.assert_array_equal(clean["cu_pct"], [0.8, 0.6, 0.0005, 0.5])
    np.testing.assert_array_equal(clean["mo_pct"], [0.0025, NAN, 0.02, NAN])
    np.testing.assert_array_equal(clean["au_ppm"], [0.005, 1.1, 50.0, 0.3])
    assert len(clean) == 4 and clean.index.equals(frame.index)
    assert frame.equals(before)  # the input is not changed
    assert report.flags.index.equals(frame.index)
    assert report.total_adjusted == 6


def test_float_columns_take_the_vectorised_path(monkeypatch):
    def no_text_parsing(*args, **kwargs):
        raise AssertionError("text parsing used on a float column")

    monkeypatch.setattr(pd, "to_numeric", no_text_parsing)
    monkeypatch.setattr(pd.Series, "astype", no_text_parsing)
    frame = pd.DataFrame({"cu_pct": [0.1, -0.01, -99.0], "ag_ppm": [1.0, 2.0, -0.5]})
    clean, report = clean_assays(frame, ["cu_pct", "ag_ppm"])
    np.testing.assert_array_equal(clean["cu_pct"], [0.1, 0.005, NAN])
    assert report.total_adjusted == 3


# ---------------------------------------------------------------- property tests

def _plain_text(x: float) -> str:
    return repr(x)


_DL = st.floats(min_value=1e-4, max_value=1e3, allow_nan=False).filter(
    lambda v: -v not in DEFAULT_MISSING_CODES
)
_PLAIN = st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False)
_VALUES = st.one_of(
    _PLAIN.map(lambda v: ("plain", v)),
    _PLAIN.map(lambda v: ("plain", _plain_text(v))),
    st.just(("empty", None)),
    _DL.map(lambda v: ("adjusted", -v)),
    _DL.map(lambda v: ("adjusted", f"< {v!r}")),
    _DL.map(lambda v: ("adjusted", f">{v!r}")),
    st.sampled_from(DEFAULT_MISSING_CODES).map(lambda v: ("adjusted", v)),
    st.sampled_from(["NS", "n/a", "", " IS ", "LNR"]).map(lambda v: ("adjusted", v)),
    st.sampled_from(["BDL", "nd", "L.D."]).map(lambda v: ("adjusted", v)),
)
_POLICY = st.sampled_from(["half", "zero", "missing", "limit"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=40), _POLICY)
def test_plain_numbers_pass_and_every_other_value_is_counted(items, policy):
    tags = [t for t, _ in items]
    raw = pd.Series([v for _, v in items], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clean, report = clean_assays(pd.DataFrame({"g_ppm": raw}), ["g_ppm"],
                                     below_detection=policy)
    out = clean["g_ppm"].to_numpy()
    for tag, value, got in zip(tags, raw, out, strict=True):
        if tag == "plain":
            assert got == float(value)
        elif tag == "empty":
            assert math.isnan(got)
        else:
            assert math.isnan(got) or got >= 0
    assert report.total_adjusted == tags.count("adjusted")
    row = report.table.iloc[0]
    assert row["n_numeric"] == tags.count("plain")
    assert row["n_empty"] == tags.count("empty")
    assert row["n_missing"] == int(np.isnan(out).sum())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=-1e4, max_value=1e5, allow_nan=False), min_size=1,
                max_size=50))
def test_a_float_column_changes_only_its_negative_values(values):
    x = np.asarray(values)
    clean, report = clean_assays(pd.DataFrame({"g_ppm": x}), ["g_ppm"], below_detection="limit")
    out = clean["g_ppm"].to_numpy()
    plain = x >= 0
    np.testing.assert_array_equal(out[plain], x[plain])
    code = np.isin(x, DEFAULT_MISSING_CODES)
    np.testing.assert_array_equal(out[~plain & ~code], -x[~plain & ~code])
    assert np.isnan(out[code]).all()
    assert report.total_adjusted == int((~plain).sum())


# ---------------------------------------------------------------- errors

def test_an_unreadable_value_names_column_row_value_count_and_fix():
    frame = pd.DataFrame({"ok_ppm": [1.0] * 5,
                          "nd_ppm": ["12", "abc", "3", "12..5", "abc"]},
                         index=["r0", "r1", "r2", "r3", "r4"])
    with pytest.raises(InputError) as err:
        clean_assays(frame, ["ok_ppm", "nd_ppm"])
    msg = str(err.value)
    assert "'nd_ppm'" in msg and "3 unreadable" in msg
    assert "'abc' at row 1 (index label 'r1')" in msg
    assert "'12..5'" in msg
    assert "correct the file" in msg and "missing_text" in msg


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("abc", "'abc'"), ("12..5", "'12..5'"), ("inf", "'inf'"), ("-inf", "'-inf'"),
     ("<abc", "'<abc'"), ("<-5", "'<-5'"), ("<0", "'<0'"), (">", "'>'"), ("5 ppm", "'5 ppm'"),
     ("1,5", "'1,5'"), (True, "True"), (np.bool_(False), "False"), ([1], "[1]")],
)
def test_unreadable_values_raise(raw, shown):
    frame = pd.DataFrame({"v_ppm": pd.Series([1.0, raw], dtype=object)})
    with pytest.raises(InputError) as err:
        clean_assays(frame, ["v_ppm"])
    assert f"'v_ppm' has 1 unreadable value(s): {shown} at row 1 (index label 1)" in str(err.value)


def test_unicode_spaces_around_numbers_are_stripped():
    frame = pd.DataFrame({"v_ppm": pd.Series(["\xa012.5", "3\u2003", 1, 0.0], dtype=object)})
    clean, report = clean_assays(frame, ["v_ppm"])
    np.testing.assert_array_equal(clean["v_ppm"], [12.5, 3.0, 1.0, 0.0])
    assert report.table.loc[0, "n_numeric"] == 4


def test_an_infinite_number_in_a_float_column_is_unreadable():
    with pytest.raises(InputError, match=r"unreadable value\(s\): inf at row 2"):
        clean_assays(pd.DataFrame({"v_ppm": [1.0, 2.0, np.inf]}), ["v_ppm"])


def test_below_detection_error_policy_names_the_value_and_the_options():
    frame = pd.DataFrame({"cu_pct": [0.1, 0.2], "mo_pct": [0.01, "<0.005"]}, index=[7, 8])
    with pytest.raises(InputError) as err:
        clean_assays(frame, ["cu_pct", "mo_pct"], below_detection="error")
    msg = str(err.value)
    for part in ("'mo_pct'", "1 below-detection", "'<0.005'", "row 1 (index label 8)",
                 "'half'", "'zero'", "'missing'", "'limit'"):
        assert part in msg, part


def test_over_range_error_policy():
    frame = pd.DataFrame({"au_ppm": ["1", ">100"]})
    with pytest.raises(InputError, match=r"'au_ppm'.*'>100' at row 1.*over_range='limit'"):
        clean_assays(frame, ["au_ppm"], over_range="error")


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"below_detection": "third"}, r"unknown below_detection policy 'third'.*'half'.*"
                                       r"'zero'.*'missing'.*'limit'.*'error'"),
        ({"below_detection": None}, "unknown below_detection policy None"),
        ({"over_range": "cap"}, r"unknown over_range policy 'cap'.*'limit'.*'missing'"),
        ({"missing_codes": "-99"}, "missing_codes must be a sequence of numbers"),
        ({"missing_codes": (-99, "x")}, "finite numbers"),
        ({"missing_codes": (np.nan,)}, "finite numbers"),
        ({"missing_text": "NS"}, "missing_text must be a sequence of strings"),
        ({"missing_text": ("NS", 3)}, "missing_text must hold strings"),
        ({"below_detection_text": ("ND", "ns")}, r"\['NS'\] are in both"),
        ({"detection_limits": {"cu_pct": -1}}, r"detection_limits\['cu_pct'\] must be"),
        ({"detection_limits": {"zz_ppm": 1}}, r"\['zz_ppm'\] that are not in columns"),
        ({"detection_limits": [1]}, "must be a mapping"),
        ({"units": {"zz_ppm": "ppm"}}, r"units names column\(s\) \['zz_ppm'\]"),
    ],
)
def test_bad_parameters_raise_with_the_fix(kwargs, pattern):
    frame = pd.DataFrame({"cu_pct": [0.1]})
    with pytest.raises(InputError, match=pattern):
        clean_assays(frame, ["cu_pct"], **kwargs)


def test_policy_names_are_case_insensitive():
    _, report = clean_assays(pd.DataFrame({"a_ppm": [-1.0]}), ["a_ppm"],
                             below_detection=" Zero ", over_range="MISSING")
    assert report.policy["below_detection"] == "zero"
    assert report.policy["over_range"] == "missing"


def test_an_unknown_unit_is_a_unit_error():
    with pytest.raises(UnitError, match="furlong"):
        clean_assays(pd.DataFrame({"a": [1.0]}), ["a"], units={"a": "furlong"})


@pytest.mark.parametrize(
    ("frame", "columns", "pattern"),
    [
        (pd.DataFrame({"cu_pct": [1.0]}), ["cu_pct", "au_ppm"],
         r"\['au_ppm'\] not in the frame; columns present: \['cu_pct'\]"),
        (pd.DataFrame({"cu_pct": [1.0]}), [], "columns is empty"),
        (pd.DataFrame({"cu_pct": [1.0]}), ["cu_pct", "cu_pct"], "more than once"),
        (pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]), ["a"], "several columns named"),
        ({"cu_pct": [1.0]}, ["cu_pct"], "must be a pandas DataFrame; got dict"),
        (pd.DataFrame({"f": [True, False]}), ["f"], "dtype bool"),
        (pd.DataFrame({"t": pd.to_datetime(["2020-01-01"])}), ["t"], "dtype datetime"),
    ],
)
def test_bad_frames_and_columns_raise(frame, columns, pattern):
    with pytest.raises(InputError, match=pattern):
        clean_assays(frame, columns)


@pytest.mark.parametrize(
    ("column", "unit", "raw", "shown"),
    [
        ("nd_ppm", "ppm", 2e6, "2e+06 ppm"),
        ("cu_pct", "%", 101.0, "101 pct"),
        ("au_gpt", "g/t", ">2000000", "2e+06 g/t"),
        ("ce_pct", "pct", "<300", "150 pct"),
    ],
)
def test_a_value_over_100_percent_of_its_unit_raises(column, unit, raw, shown):
    frame = pd.DataFrame({column: pd.Series([1.0, raw], dtype=object, index=["a", "b"])})
    with pytest.raises(InputError) as err:
        clean_assays(frame, [column], units={column: unit})
    msg = str(err.value)
    assert f"'{column}'" in msg and shown in msg and "row 1 (index label 'b')" in msg
    assert "check the unit or the value" in msg


def test_100_percent_itself_is_accepted_and_units_are_reported():
    frame = pd.DataFrame({"nd_ppm": [1e6, 5.0], "cu_pct": [100.0, 0.1]})
    _, report = clean_assays(frame, ["nd_ppm", "cu_pct"], units={"nd_ppm": "ppm",
                                                                  "cu_pct": "wt%"})
    assert report.table["unit"].tolist() == ["ppm", "pct"]


# ---------------------------------------------------------------- the report

def _report():
    frame = pd.DataFrame({
        "cu_pct": [0.5, -0.001, -0.01, -99.0, 0.2],
        "mo_pct": ["NS", "<0.005", "0.01", "BDL", None],
        "ag_ppm": [-0.5, -1.0, -2.0, -3.0, -4.0],
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return clean_assays(frame, ["cu_pct", "mo_pct", "ag_ppm"])[1]


def test_report_table_columns_and_identity():
    t = _report().to_frame()
    assert tuple(t.columns) == REPORT_COLUMNS
    assert (t["n_rows"] == t["n_numeric"] + t["n_empty"] + t["n_adjusted"]).all()
    assert (t["n_adjusted"] == t["n_below_detection"] + t["n_missing_codes"]
            + t["n_missing_text"] + t["n_over_range"]).all()
    assert t["n_missing"].tolist() == [1, 3, 0]
    assert t["detection_limits"].tolist() == ["0.001, 0.01", "0.005", "0.5 to 4 (5 distinct)"]
    assert t["detection_limit_max"].tolist()[2] == 4.0
    assert t["rule"].iloc[0].startswith("below detection -> half the detection limit")


def test_report_is_frozen_and_to_frame_is_a_copy():
    report = _report()
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.policy = {}
    copy = report.to_frame()
    copy.loc[0, "n_rows"] = -1
    assert report.table.loc[0, "n_rows"] == 5
    assert report.total_adjusted == 3 + 3 + 5
    with pytest.raises(InputError, match="lacks column"):
        AssayReport(pd.DataFrame({"analyte": []}), {})


def test_describe_is_plain_sentences():
    text = _report().describe()
    assert text == (
        "Assays cleaned value by value in 3 analytes over 5 rows; no row was set aside. "
        "Below detection: 9 values in 3 analytes set to half the detection limit "
        "(cu_pct 2, mo_pct 2, ag_ppm 5); 1 value had no stated limit (below-detection "
        "text), 1 of them set to missing. Missing codes: 1 value in 1 analyte set to missing "
        "(cu_pct 1). Missing text: 1 value in 1 analyte set to missing (mo_pct 1). "
        "Over range: 0 values."
    )
    assert repr(_report()).startswith("AssayReport(3 analyte(s), 11 value(s) adjusted")


def test_describe_shortens_a_long_list_and_uses_thousands_separators():
    frame = pd.DataFrame({f"e{i}_ppm": [-1.0] * 1200 for i in range(10)})
    text = clean_assays(frame, list(frame.columns))[1].describe()
    assert "12,000 values in 10 analytes" in text and "e0_ppm 1,200" in text
    assert "and 2 more" in text and "e9_ppm" not in text


def test_a_one_line_summary_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="raremin.assays"):
        clean_assays(pd.DataFrame({"a_ppm": [-1.0, 2.0, -99.0]}), ["a_ppm"])
    lines = [r.getMessage() for r in caplog.records if r.name == "raremin.assays"]
    assert lines == ["clean_assays: 1 analyte(s), 3 row(s): 1 below detection (half), 1 missing "
                     "code(s), 0 missing text, 0 over range (limit), 0 empty on input"]


def test_public_objects_have_runnable_examples():
    for name in assays.__all__:
        obj = getattr(assays, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        members = [obj] + [m.fget if isinstance(m, property) else m for n, m in vars(obj).items()
                           if not n.startswith("_") and (inspect.isfunction(m)
                                                         or isinstance(m, property))] \
            if inspect.isclass(obj) else [obj]
        for member in members:
            doc = inspect.getdoc(member) or ""
            assert "Examples\n--------" in doc and ">>> " in doc, f"{name}.{member.__name__}"
    assert len(VALUE_KINDS) == 7


# ---------------------------------------------------------------- real data

COPPER = ["Cu_pct", "Mo_pct", "Ag_ppm", "Au_ppm"]


def test_copper_creek_codes_are_cleaned_per_value(validation_dir):
    raw = pd.read_csv(validation_dir / "realdata" / "copper_creek" / "assay.csv",
                      encoding="utf-8-sig")
    assert len(raw) == 67_321 and raw.columns[0] == "hole_ID"
    clean, report = clean_assays(raw, COPPER, units={"Cu_pct": "pct", "Mo_pct": "pct",
                                                     "Ag_ppm": "ppm", "Au_ppm": "g/t"})
    t = report.table.set_index("analyte")
    assert t["n_below_detection"].to_dict() == {
        "Cu_pct": 331, "Mo_pct": 7_804, "Ag_ppm": 311, "Au_ppm": 1_489}
    assert t["detection_limits"].to_dict() == {
        "Cu_pct": "0.001, 0.01", "Mo_pct": "0.001, 0.005", "Ag_ppm": "0.01, 0.5, 1",
        "Au_ppm": "0.001, 0.005, 0.01, 0.2"}
    assert report.total_adjusted == 9_935
    assert t[["n_missing_codes", "n_missing_text", "n_over_range"]].sum().sum() == 0
    # 9,694 rows have at least one code; every one keeps all its values
    coded = (raw[COPPER] < 0).any(axis=1)
    assert int(coded.sum()) == 9_694
    assert (clean[COPPER].notna() == raw[COPPER].notna()).all().all()
    plain = raw[COPPER] >= 0
    assert (clean[COPPER][plain] == raw[COPPER][plain]).sum().sum() == int(plain.sum().sum())
    np.testing.assert_allclose(clean[COPPER].to_numpy()[(raw[COPPER] < 0).to_numpy()],
                               -0.5 * raw[COPPER].to_numpy()[(raw[COPPER] < 0).to_numpy()])
    # a molybdenum code does not cost the copper of its interval
    mo_coded = (raw["Mo_pct"] < 0) & (raw["Cu_pct"] >= 0)
    assert int(mo_coded.sum()) > 7_000
    assert (clean.loc[mo_coded, "Cu_pct"] == raw.loc[mo_coded, "Cu_pct"]).all()
    assert clean[["hole_ID", "depth_from", "depth_to"]].equals(
        raw[["hole_ID", "depth_from", "depth_to"]])
    assert "Cu_pct 331, Mo_pct 7,804, Ag_ppm 311, Au_ppm 1,489" in report.describe()


def test_copper_creek_as_text_gives_the_same_answer(validation_dir):
    path = validation_dir / "realdata" / "copper_creek" / "assay.csv"
    numeric = pd.read_csv(path, encoding="utf-8-sig")
    text = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    a, ra = clean_assays(numeric, COPPER)
    b, rb = clean_assays(text, COPPER)
    pd.testing.assert_frame_equal(a[COPPER], b[COPPER])
    pd.testing.assert_frame_equal(ra.table, rb.table)


def test_forrestania_codes_are_cleaned(validation_dir):
    raw = pd.read_csv(validation_dir / "realdata" / "forrestania" / "assay.csv")
    grades = [c for c in raw.columns if c.endswith("_ppm")]
    assert len(grades) == 50
    clean, report = clean_assays(raw, grades, units=dict.fromkeys(grades, "ppm"))
    t = report.table.set_index("analyte")
    hit = t.loc[t["n_below_detection"] > 0, "n_below_detection"].to_dict()
    assert hit == {"Ag_ppm": 1, "As_ppm": 2, "Au_ppm": 2, "Be_ppm": 1, "Bi_ppm": 2,
                   "Cd_ppm": 2, "La_ppm": 2, "Sb_ppm": 2, "Th_ppm": 1, "Tl_ppm": 2, "U_ppm": 1}
    assert report.total_adjusted == 18
    assert t.loc["La_ppm", "detection_limits"] == "10"
    la_coded = raw["La_ppm"] < 0
    assert (clean.loc[la_coded, "La_ppm"] == 5.0).all()
    assert (clean[grades].notna() == raw[grades].notna()).all().all()
    assert re.search(r"18 values in 11 analytes .* and 3 more\)", report.describe())
