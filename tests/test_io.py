"""Tests of raremin.io: simplified Geo-EAS (GSLIB) files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from raremin.errors import InputError
from raremin.grid import BlockGrid
from raremin.io import GeoEASGrid, read_geoeas, write_geoeas


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


# --- grid files, fast reader, missing codes (issue 13) -----------------------------------

KT3D_GRID = GeoEASGrid((50, 50, 1), (0.5, 0.5, 0.5), (1.0, 1.0, 1.0), n_realisations=1)


def test_read_kt3d_grid_header(validation_dir):
    # kt3d output: line 2 is "2 50 50 1 .5 .5 .5 1. 1. 1. 1" (k nx ny nz xmn .. nsim)
    frame = read_geoeas(validation_dir / "gslib" / "kt3d.out")
    assert frame.attrs["grid"] == KT3D_GRID
    assert frame.attrs["title"] == "KT3D ESTIMATES WITH:  Clustered 140 primary and secondary data"
    assert list(frame.columns) == ["Estimate", "EstimationVariance"]
    assert frame.shape == (2500, 2)
    assert frame.iloc[0].tolist() == [2.872757, 0.7107073]
    cube = KT3D_GRID.reshape(frame["Estimate"])
    assert cube.shape == (1, 50, 50, 1)
    assert cube[0, 1, 0, 0] == frame["Estimate"].iloc[1]  # x runs fastest
    assert cube[0, 0, 1, 0] == frame["Estimate"].iloc[50]  # then y


def test_gslib_node_order_matches_block_grid_centres(validation_dir):
    # ydata.dat lists the 50 x 50 secondary grid with its coordinates, in GSLIB order:
    # the kt3d grid's BlockGrid must put the same centres in the same order.
    coords = read_geoeas(validation_dir / "gslib" / "ydata.dat")
    grid = read_geoeas(validation_dir / "gslib" / "kt3d.out").attrs["grid"].to_block_grid()
    assert grid.origin == (0.0, 0.0, 0.0) and grid.shape == (50, 50, 1)
    np.testing.assert_array_equal(grid.centres()[:, :2],
                                  coords[["Xlocation", "Ylocation"]].to_numpy())
    cube = KT3D_GRID.reshape(coords["Xlocation"])
    np.testing.assert_array_equal(cube[0, :, 7, 0], np.arange(50) + 0.5)


def test_kt3d_file_round_trips_header_and_values(validation_dir, tmp_path):
    original = read_geoeas(validation_dir / "gslib" / "kt3d.out")
    path = write_geoeas(original, tmp_path / "kt3d_copy.out")  # grid from attrs
    assert path.read_text().splitlines()[1] == "2 50 50 1 0.5 0.5 0.5 1.0 1.0 1.0 1"
    back = read_geoeas(path)
    assert back.attrs["grid"] == original.attrs["grid"]
    assert back.attrs["title"] == original.attrs["title"]
    pd.testing.assert_frame_equal(back, original, check_exact=True)


def test_grid_with_realisations_and_missing_codes_round_trips(tmp_path, rng):
    grid = GeoEASGrid((4, 3, 2), (100.5, 200.25, -10.0), (1.0, 0.5, 2.5), n_realisations=3)
    cubes = rng.normal(size=(3, 4, 3, 2))
    cubes[1, 2, 0, 1] = np.nan
    frame = pd.DataFrame({"value": grid.flatten(cubes), "index": np.arange(grid.n_rows)})
    path = write_geoeas(frame, tmp_path / "sgsim.out", title="SGSIM Realizations", grid=grid,
                        missing=-99.0)
    assert path.read_text().splitlines()[1] == "2 4 3 2 100.5 200.25 -10.0 1.0 0.5 2.5 3"
    back = read_geoeas(path, missing=-99.0)
    assert back.attrs["grid"] == grid
    assert back.attrs["n_missing"] == {"value": 1, "index": 0}
    pd.testing.assert_frame_equal(back, frame.astype(float), check_exact=True)
    np.testing.assert_array_equal(grid.reshape(back["value"]), cubes)
    # row order: x fastest, then y, z, realisation
    assert back["index"].iloc[1 + 4 * (2 + 3 * (1 + 2 * 1))] == 1 + 4 * (2 + 3 * (1 + 2 * 1))


@pytest.mark.parametrize(
    ("line_2", "rows", "expected"),
    [
        ("1", 6, None),  # GSLIB 1998 sgsim: no grid on line 2
        ("1 3 2 1", 6, GeoEASGrid((3, 2, 1))),
        ("1 3 2 1", 12, GeoEASGrid((3, 2, 1), n_realisations=2)),  # nsim from the rows
        ("1  3 2 1  0.5 0.5 0.5  1.0 1.0 1.0", 6,
         GeoEASGrid((3, 2, 1), (0.5, 0.5, 0.5), (1.0, 1.0, 1.0))),
        (" 1    3    2    1  .50000000  .5  .5D0  1.00000  1.  1.E0    2", 12,
         GeoEASGrid((3, 2, 1), (0.5, 0.5, 0.5), (1.0, 1.0, 1.0), n_realisations=2)),
    ],
)
def test_count_line_layouts(tmp_path, line_2, rows, expected):
    path = tmp_path / "g.out"
    path.write_text("title\n" + line_2 + "\nvalue\n" + "".join(f"{i}\n" for i in range(rows)))
    frame = read_geoeas(path)
    assert frame.attrs["grid"] == expected
    assert frame["value"].tolist() == list(range(rows))
    back = read_geoeas(write_geoeas(frame, tmp_path / "copy.out"))
    assert back.attrs["grid"] == expected


@pytest.mark.parametrize(
    ("line_2", "rows", "match"),
    [
        ("1 3 x 1", 6, r"line 2: ny = 'x' is not a number"),
        ("1 3 2.5 1", 6, r"line 2 .*grid ny must be a whole number >= 1; got '2.5'"),
        ("1 3 0 1", 6, r"grid ny must be a whole number >= 1; got '0'"),
        ("1 3 2 1 0.5 0.5 0.5 1.0 -1.0 1.0 1", 6, r"cell_size must be three positive"),
        ("1 3 2 1 0.5 0.5 0.5 1.0 1.0 1.0 0", 6, r"nsim must be a whole number >= 1; got '0'"),
        ("1 3 2 1 4", 6, r"line 2: 5 fields in '1 3 2 1 4'"),
        ("1 3 2 1 0.5 0.5 0.5 1.0 1.0 1.0 2", 6, r"nsim = 2\), so the data should have 12 "
                                                 r"rows; it has 6"),
        ("1 3 2 1", 7, r"6 x n \(n >= 1\) rows; it has 7"),
        ("1 3 2 1", 0, r"it has 0"),
        ("x 3 2 1", 6, r"line 2: expected the number of columns .* got 'x'"),
        ("", 6, r"line 2: expected the number of columns"),
    ],
)
def test_bad_grid_headers_name_the_value(tmp_path, line_2, rows, match):
    path = tmp_path / "bad.out"
    path.write_text("title\n" + line_2 + "\nvalue\n" + "".join(f"{i}\n" for i in range(rows)))
    with pytest.raises(InputError, match=match):
        read_geoeas(path)


def test_tabs_spaces_crlf_fortran_exponents_and_nan_text(tmp_path):
    path = tmp_path / "messy.dat"
    path.write_bytes(b"messy\r\n3\r\nx\r\n y \r\nv\r\n"
                     b"  1\t\t2   3.5D+02\r\n\r\n \t \r\n4 5 -1.25d-1\r\n7 8 nan\r\n9 10 1E3")
    frame = read_geoeas(path)
    assert list(frame.columns) == ["x", "y", "v"]
    np.testing.assert_array_equal(frame.to_numpy(),
                                  [[1, 2, 350.0], [4, 5, -0.125], [7, 8, np.nan], [9, 10, 1e3]])


def test_nan_round_trips_through_the_missing_code(tmp_path):
    frame = pd.DataFrame({"x_m": [0.0, 1.0, 2.0], "ce_ppm": [np.nan, 4.0, np.nan]})
    path = write_geoeas(frame, tmp_path / "m.dat")  # default code -999
    assert path.read_text().splitlines()[-3:] == ["0.0 -999.0", "1.0 4.0", "2.0 -999.0"]
    back = read_geoeas(path, missing=-999)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert back.attrs["n_missing"] == {"x_m": 0, "ce_ppm": 2}
    assert read_geoeas(path).attrs["n_missing"] == {"x_m": 0, "ce_ppm": 0}


def test_trim_limits_follow_gslib(tmp_path):
    # GSLIB trims values < tmin or >= tmax
    path = tmp_path / "t.dat"
    path.write_text("t\n1\nv\n-1000\n-998\n-997.5\n5\n1e21\n2e21\n")
    frame = read_geoeas(path, trim=(-998.0, 1e21))
    assert frame["v"].tolist()[1:4] == [-998.0, -997.5, 5.0]
    assert frame["v"].isna().tolist() == [True, False, False, False, True, True]
    assert frame.attrs["n_missing"] == {"v": 3}
    both = read_geoeas(path, trim=(-998.0, 1e21), missing=5)
    assert both.attrs["n_missing"] == {"v": 4}


@pytest.mark.parametrize("trim", [(1.0,), (2.0, 1.0), ("a", "b"), (np.nan, 1.0), 3.0])
def test_bad_trim_limits(tmp_path, trim):
    path = write_geoeas(pd.DataFrame({"v": [1.0]}), tmp_path / "v.dat")
    with pytest.raises(InputError, match="trim"):
        read_geoeas(path, trim=trim)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("1 2 3\n4 5 6\n", r"line 5: expected 2 values, found 3: '1 2 3'"),  # every row long
        ("1 2\n\n\n4 5 6\n", r"line 8: expected 2 values, found 3"),
        ("1 2\n4\n", r"line 6: expected 2 values, found 1"),
        ("1 2\n4 5\n\n6 x7\n", r"line 8: value 'x7' \(column 'y'\) is not a number"),
        ("1 2\n4 5\n6 1.0Q+3\n", r"line 7: value '1.0Q\+3'"),
        ('1 "2"\n', r"line 5: value '\"2\"'"),
    ],
)
def test_bad_rows_name_the_line(tmp_path, data, match):
    path = tmp_path / "bad.dat"
    path.write_text("t\n2\nx\ny\n" + data)
    with pytest.raises(InputError, match=match):
        read_geoeas(path)


def test_write_grid_checks_rows_and_accepts_block_grid(tmp_path):
    frame = pd.DataFrame({"v": np.arange(12.0)})
    with pytest.raises(InputError, match=r"frame has 12 rows but grid holds 1 realisation"):
        write_geoeas(frame, tmp_path / "a.out", grid=GeoEASGrid((5, 1, 1)))
    block = BlockGrid((100.0, 200.0, 0.0), (10.0, 10.0, 5.0), (3, 2, 1))
    back = read_geoeas(write_geoeas(frame, tmp_path / "b.out", grid=block))
    assert back.attrs["grid"] == GeoEASGrid((3, 2, 1), (105.0, 205.0, 2.5), (10.0, 10.0, 5.0),
                                            n_realisations=2)
    assert back.attrs["grid"].to_block_grid().origin == block.origin
    with pytest.raises(InputError, match="not a multiple of the grid's 6 blocks"):
        write_geoeas(frame.iloc[:5], tmp_path / "c.out", grid=block)
    # a subset of a grid file keeps the grid in attrs: refused unless grid=False
    subset = back.iloc[:4]
    with pytest.raises(InputError, match=r"frame.attrs\['grid'\].*grid=False"):
        write_geoeas(subset, tmp_path / "d.out")
    plain = read_geoeas(write_geoeas(subset, tmp_path / "d.out", grid=False))
    assert plain.attrs["grid"] is None and plain["v"].tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(InputError, match="GeoEASGrid, a BlockGrid"):
        write_geoeas(frame, tmp_path / "e.out", grid=(3, 2, 2))


def test_write_warns_when_nan_and_the_code_meet(tmp_path):
    frame = pd.DataFrame({"v": [-999.0, np.nan, 1.0]})
    with pytest.warns(UserWarning, match="1 NaN value.*1 value.*read back alike"):
        write_geoeas(frame, tmp_path / "w.dat")


def test_geoeas_grid_and_block_grid_conversions():
    g = GeoEASGrid((4, 3), (5.0, 15.0, 0.5), (10.0, 10.0, 1.0))
    assert g.shape == (4, 3, 1)
    two_d = g.to_block_grid(ndim=2, crs=32643)
    assert (two_d.origin, two_d.block_size, two_d.shape) == ((0.0, 10.0), (10.0, 10.0), (4, 3))
    assert two_d.crs.to_epsg() == 32643
    assert GeoEASGrid.from_block_grid(two_d) == g
    three = BlockGrid((0.0, 0.0, -50.0), (5.0, 5.0, 2.0), (2, 2, 3))
    assert GeoEASGrid.from_block_grid(three, 4).to_block_grid().origin == three.origin
    assert GeoEASGrid.from_block_grid(three, 4).n_rows == 48


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shape": (2, 2, 2, 2)}, "shape must be"),
        ({"shape": (2, -1, 1)}, "ny must be a whole number"),
        ({"shape": (2, 2), "min_centre": (0, 0, 0)}, "both min_centre"),
        ({"shape": (2, 2), "min_centre": (0, 0), "cell_size": (1, 1, 1)}, "min_centre must be"),
        ({"shape": (2, 2), "min_centre": (0, 0, np.inf), "cell_size": (1, 1, 1)}, "finite"),
        ({"shape": (2, 2), "min_centre": (0, 0, 0), "cell_size": (1, 0, 1)}, "positive"),
        ({"shape": (2, 2), "n_realisations": 0}, "n_realisations"),
    ],
)
def test_geoeas_grid_validation(kwargs, match):
    with pytest.raises(InputError, match=match):
        GeoEASGrid(**kwargs)


def test_geoeas_grid_shape_errors():
    g = GeoEASGrid((3, 2, 1), n_realisations=2)
    with pytest.raises(InputError, match="12 entries"):
        g.reshape(np.zeros(6))
    with pytest.raises(InputError, match=r"shape \(2, 3, 2, 1\)"):
        g.flatten(np.zeros((3, 2, 1)))
    with pytest.raises(InputError, match="no min_centre"):
        g.to_block_grid()
    with pytest.raises(InputError, match="ndim"):
        GeoEASGrid((3, 2, 2), (0, 0, 0), (1, 1, 1)).to_block_grid(ndim=2)
    with pytest.raises(InputError, match="BlockGrid"):
        GeoEASGrid.from_block_grid(g)


@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3)),
       n_real=st.integers(1, 3))
def test_reshape_and_flatten_are_inverse_in_gslib_order(shape, n_real):
    grid = GeoEASGrid(shape, n_realisations=n_real)
    flat = np.arange(grid.n_rows, dtype=float)
    cube = grid.reshape(flat)
    nx, ny, nz = shape
    r, ix, iy, iz = (n_real - 1, nx - 1, ny // 2, nz - 1)
    assert cube[r, ix, iy, iz] == ix + nx * (iy + ny * (iz + nz * r))
    np.testing.assert_array_equal(grid.flatten(cube), flat)


@pytest.mark.parametrize(
    ("raw", "names", "title"),
    [
        (b"t\n2\nx\n\n1 2\n3 4\n", ["x", ""], "t"),  # a blank name line still counts
        (b"t\r\n2\r\nx\r\n\r\n1 2\r\n3 4\r\n", ["x", ""], "t"),
        (b"t\n2\nx\rold\ny\n1 2\n3 4\n", ["x\rold", "y"], "t"),  # lone CR in a name
        (b"\xef\xbb\xbfGrades \xc2\xb5m\n2\nx\ny\n1 2\n3 4", ["x", "y"], "Grades \u00b5m"),
    ],
)
def test_header_lines_are_counted_like_the_data_reader(tmp_path, raw, names, title):
    path = tmp_path / "h.dat"
    path.write_bytes(raw)
    frame = read_geoeas(path)
    assert list(frame.columns) == names and frame.attrs["title"] == title
    np.testing.assert_array_equal(frame.to_numpy(), [[1.0, 2.0], [3.0, 4.0]])
