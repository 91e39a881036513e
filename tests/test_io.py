"""Tests of raremin.io: simplified Geo-EAS (GSLIB) files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from raremin.errors import InputError
from raremin.io import read_geoeas, write_geoeas


def test_read_cluster_dat(validation_dir):
    frame = read_geoeas(validation_dir / "gslib" / "cluster.dat")
    assert frame.shape == (140, 5)
    assert list(frame.columns) == [
        "Xlocation", "Ylocation", "Primary", "Secondary", "Declustering Weight"
    ]
    assert frame.attrs["title"] == "Clustered 140 primary and secondary data"
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert frame.iloc[0].tolist() == [39.5, 18.5, 0.06, 0.22, 1.619]
    assert frame["Primary"].mean() == pytest.approx(4.35043, abs=1e-5)


def test_round_trip_keeps_values_names_and_title(tmp_path):
    frame = pd.DataFrame({
        "easting_m": [0.1, 1e6 + 0.25, -3.0],
        "treo ppm": [1234.5678901234567, 0.0, 1e-300],
        "hole_id": [1, 2, 3],
    })
    path = write_geoeas(frame, tmp_path / "samples.dat", title="Three samples, metres")
    back = read_geoeas(path)
    assert back.attrs["title"] == "Three samples, metres"
    assert list(back.columns) == ["easting_m", "treo ppm", "hole_id"]
    pd.testing.assert_frame_equal(back, frame.astype(float), check_exact=True)


def test_round_trip_of_a_gslib_file_is_identical(validation_dir, tmp_path):
    original = read_geoeas(validation_dir / "gslib" / "cluster.dat")
    path = write_geoeas(original, tmp_path / "copy.dat")
    back = read_geoeas(path)
    assert back.attrs["title"] == original.attrs["title"]
    pd.testing.assert_frame_equal(back, original, check_exact=True)


def test_missing_codes_are_kept_unless_named(tmp_path):
    path = tmp_path / "codes.dat"
    path.write_text("codes\n2\nx\nv\n1 -999\n2 1e21\n3 -99.0\n4 5\n")
    raw = read_geoeas(path)
    assert raw["v"].tolist() == [-999.0, 1e21, -99.0, 5.0]
    clean = read_geoeas(path, missing=[-999, 1e21])
    assert clean["v"].isna().tolist() == [True, True, False, False]
    assert read_geoeas(path, missing=-99)["v"].isna().sum() == 1


def test_nan_written_as_missing_code(tmp_path):
    frame = pd.DataFrame({"v": [1.0, np.nan]})
    path = write_geoeas(frame, tmp_path / "nan.dat", missing=-99.0)
    assert path.read_text().splitlines()[-1] == "-99.0"
    assert read_geoeas(path, missing=-99.0)["v"].isna().tolist() == [False, True]


def test_title_from_attrs_and_blank_lines_skipped(tmp_path):
    frame = pd.DataFrame({"a": [1.0]})
    frame.attrs["title"] = "from attrs"
    path = write_geoeas(frame, tmp_path / "t.dat")
    assert read_geoeas(path).attrs["title"] == "from attrs"
    path.write_text(path.read_text() + "\n\n2.5\n\n")
    assert read_geoeas(path)["a"].tolist() == [1.0, 2.5]


def test_file_without_rows_gives_empty_frame(tmp_path):
    path = tmp_path / "empty.dat"
    path.write_text("nothing yet\n2\nx\ny\n")
    frame = read_geoeas(path)
    assert frame.shape == (0, 2) and list(frame.columns) == ["x", "y"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("only a title\n", "title line"),
        ("t\nabc\nx\n1\n", "line 2"),
        ("t\n0\n", "line 2"),
        ("t\n3\nx\ny\n", "only 2 name"),
        ("t\n2\nx\nx\n1 2\n", "unique"),
        ("t\n2\nx\ny\n1 2\n3\n", "line 6: expected 2 values, found 1"),
        ("t\n2\nx\ny\n1 2\n3 abc\n", "'abc'"),
    ],
)
def test_read_errors_name_the_line(tmp_path, text, match):
    path = tmp_path / "bad.dat"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        read_geoeas(path)


def test_read_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_geoeas(tmp_path / "absent.dat")


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (pd.DataFrame({"name": ["a", "b"]}), {}, "not numeric"),
        (pd.DataFrame(), {}, "no columns"),
        (pd.DataFrame({"v": [np.inf]}), {}, "infinite"),
        (pd.DataFrame({"v": [1.0]}), {"title": "two\nlines"}, "one line"),
        (pd.DataFrame({"a\nb": [1.0]}), {}, "one line"),
        (pd.DataFrame({" ": [1.0]}), {}, "blank"),
        (pd.DataFrame({"v": [1.0]}), {"missing": np.nan}, "finite"),
        ([[1.0]], {}, "DataFrame"),
    ],
)
def test_write_errors(tmp_path, frame, kwargs, match):
    with pytest.raises(InputError, match=match):
        write_geoeas(frame, tmp_path / "out.dat", **kwargs)


def test_missing_argument_must_be_numeric(tmp_path):
    path = write_geoeas(pd.DataFrame({"v": [1.0]}), tmp_path / "v.dat")
    with pytest.raises(InputError, match="missing"):
        read_geoeas(path, missing="none")


def test_bool_columns_are_written_as_numbers(tmp_path):
    frame = pd.DataFrame({"flag": [True, False]})
    back = read_geoeas(write_geoeas(frame, tmp_path / "b.dat"))
    assert back["flag"].tolist() == [1.0, 0.0]


@settings(max_examples=30, deadline=None)
@given(data=arrays(np.float64, st.tuples(st.integers(0, 20), st.integers(1, 4)),
                   elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_round_trip_is_exact_for_any_finite_floats(tmp_path_factory, data):
    frame = pd.DataFrame(data, columns=[f"c{i}" for i in range(data.shape[1])])
    path = tmp_path_factory.mktemp("rt") / "f.dat"
    back = read_geoeas(write_geoeas(frame, path, title="random"))
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
