"""Tests for raremin.readers: reading exports, mapping columns, preparing drillholes."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raremin.drillholes import DrillholeError, DrillholeWarning
from raremin.errors import InputError
from raremin.readers import (
    FOOT_M,
    US_SURVEY_FOOT_M,
    ImportReport,
    TableReadWarning,
    _normalise_ids,
    map_columns,
    prepare_drillholes,
    read_drillholes,
    read_table,
)


def _write(tmp_path, data, name="table.csv"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _quiet_prepare(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DrillholeWarning)
        return prepare_drillholes(*args, **kwargs)


# ------------------------------------------------------------------------ read_table
READ_CASES = [
    # id, file bytes, options, expected frame (as a dict of lists), expected attrs
    ("utf8_bom", "\ufeffhole_ID,x,y\nA,1.5,2\n".encode(), {},
     {"hole_ID": ["A"], "x": [1.5], "y": [2]}, {"encoding": "utf-8-sig", "delimiter": ","}),
    ("utf8_plain", b"hole_ID,x\nA,1\n", {}, {"hole_ID": ["A"], "x": [1]},
     {"encoding": "utf-8", "delimiter": ",", "delimiter_source": "detected"}),
    ("semicolon", b"hole;from;to\nA;0;1.5\n", {}, {"hole": ["A"], "from": [0], "to": [1.5]},
     {"delimiter": ";", "decimal": "."}),
    ("tab", b"hole\tfrom\tto\tnote\nA\t0\t2\tfine, soft\n", {},
     {"hole": ["A"], "from": [0], "to": [2], "note": ["fine, soft"]}, {"delimiter": "\t"}),
    ("pipe", b"hole|x\nA|7\n", {}, {"hole": ["A"], "x": [7]}, {"delimiter": "|"}),
    ("decimal_comma", b"hole;from;to\nA;0;1,5\nA;1,5;3,25\n", {},
     {"hole": ["A", "A"], "from": [0.0, 1.5], "to": [1.5, 3.25]},
     {"delimiter": ";", "decimal": ",", "decimal_source": "detected"}),
    ("decimal_given", b"hole;x\nA;1,5\n", {"decimal": ","}, {"hole": ["A"], "x": [1.5]},
     {"decimal": ",", "decimal_source": "given"}),
    ("decimal_given_point_stays_text", b"hole;x;y\nA;1,5;2.5\nB;2;3,5\n", {"decimal": ","},
     {"hole": ["A", "B"], "x": [1.5, 2.0], "y": ["2.5", "3,5"]}, {"decimal": ","}),
    ("thousands_point_stays_text", b"hole;x\nA;1.234,5\n", {},
     {"hole": ["A"], "x": ["1.234,5"]}, {"decimal": "."}),
    ("delimiter_given", b"hole;x\nA;2\n", {"delimiter": ";"}, {"hole": ["A"], "x": [2]},
     {"delimiter_source": "given"}),
    ("tab_word", b"hole\tx\nA\t2\n", {"delimiter": "tab"}, {"hole": ["A"], "x": [2]},
     {"delimiter": "\t"}),
    ("header_spaces", b" Hole ID , From (m) \nA,1\n", {},
     {"Hole ID": ["A"], "From (m)": [1]}, {}),
    ("quoted", b'"hole id","x"\n"A, 1",2\n', {}, {"hole id": ["A, 1"], "x": [2]}, {}),
    ("leading_zeros", b"hole_id,x\n007,1\n012,2\n", {}, {"hole_id": ["007", "012"], "x": [1, 2]},
     {}),
    ("na_tokens", b"hole,x,y\nA,NA,1\nB,,n/a\nC,3,#N/A\n", {},
     {"hole": ["A", "B", "C"], "x": [np.nan, np.nan, 3.0], "y": [1.0, np.nan, np.nan]}, {}),
    ("text_stays_text", b"hole,la_ppm\nA,<5\nB,12\n", {}, {"hole": ["A", "B"],
                                                           "la_ppm": ["<5", "12"]}, {}),
    ("trailing_delimiter", b"hole,x\nA,1,\nB,2,\n", {}, {"hole": ["A", "B"], "x": [1, 2]}, {}),
    ("trailing_delimiter_header", b"hole,x,\nA,1,\n", {}, {"hole": ["A"], "x": [1]}, {}),
    ("blank_rows", b"hole;x\nA;1\n;\n\nB;2\n", {}, {"hole": ["A", "B"], "x": [1, 2]}, {}),
    ("crlf", b"hole,x\r\nA,1\r\n", {}, {"hole": ["A"], "x": [1]}, {}),
    ("utf16", "hole\tx\nÄ1\t2\n".encode("utf-16"), {}, {"hole": ["Ä1"], "x": [2]},
     {"encoding": "utf-16", "delimiter": "\t"}),
    ("encoding_given", "hole,x\nÉ,1\n".encode("cp1252"), {"encoding": "cp1252"},
     {"hole": ["É"], "x": [1]}, {"encoding": "cp1252"}),
]


@pytest.mark.parametrize(("data", "options", "expected", "attrs"),
                         [c[1:] for c in READ_CASES], ids=[c[0] for c in READ_CASES])
def test_read_table_cases(tmp_path, data, options, expected, attrs):
    frame = read_table(_write(tmp_path, data), **options)
    assert list(frame.columns) == list(expected)
    for col, values in expected.items():
        got = frame[col].tolist()
        if all(isinstance(v, str) for v in values):
            assert got == values
        else:
            np.testing.assert_array_equal(np.asarray(got, dtype=float),
                                          np.asarray(values, dtype=float))
    info = frame.attrs["raremin_read"]
    for key, value in attrs.items():
        assert info[key] == value
    assert info["rows"] == len(frame)


def test_read_table_latin1_fallback(tmp_path):
    path = _write(tmp_path, "hole;lith\nA;grès\n".encode("latin-1"))
    with pytest.warns(TableReadWarning, match="not valid UTF-8.*latin-1"):
        frame = read_table(path)
    assert frame["lith"].tolist() == ["grès"]
    info = frame.attrs["raremin_read"]
    assert info["encoding"] == "latin-1"
    assert any("latin-1" in note for note in info["notes"])


def test_read_table_notes_count_adjustments(tmp_path):
    frame = read_table(_write(tmp_path, b"hole;x;\nA;1;\n;;\n;;\nB;2;\n"))
    notes = frame.attrs["raremin_read"]["notes"]
    assert "2 row(s) with every field empty left out" in notes
    assert any("neither a name nor a value" in note for note in notes)
    assert frame["hole"].tolist() == ["A", "B"]


def test_read_table_unnamed_column_with_values_is_kept(tmp_path):
    frame = read_table(_write(tmp_path, b"hole,,x\nA,5,1\n"))
    assert list(frame.columns) == ["hole", "unnamed_2", "x"]
    assert frame["unnamed_2"].tolist() == [5]


READ_ERRORS = [
    ("empty", b"", {}, r"is empty \(0 byte"),
    ("blank_lines", b"\n \n\r\n", {}, r"is empty"),
    ("header_only", b"hole,from,to\n", {}, r"has a header \('hole', 'from', 'to'\) but no data"),
    ("header_no_newline", b"hole;from;to", {}, r"but no data rows"),
    ("header_and_blank_rows", b"hole;from\n;\n;\n", {}, r"but no data rows"),
    ("wrong_delimiter", b"hole;from;to\nA;0;1\n", {"delimiter": ","},
     r"seems to use ';' as delimiter.*set delimiter=';'"),
    ("wrong_delimiter_tab", b"hole\tfrom\nA\t0\n", {"delimiter": ";"},
     r"seems to use '\\t' as delimiter"),
    ("duplicate_header", b"hole,x,y,x\nA,1,2,3\n", {},
     r"duplicated column name.*'x' at columns \[2, 4\]"),
    ("duplicate_after_strip", b"hole, x ,x\nA,1,2\n", {}, r"duplicated column name.*'x'"),
    ("more_fields", b"hole,x\nA,1\nB,2,3\n", {},
     r"line 3 has 3 fields where the lines above have 2; check the delimiter"),
    ("more_fields_first_row", b"hole,x\nA,1,2\n", {},
     r"data row 1 has more fields than the 2 header names"),
    ("mixed_decimals", b"hole;x;y\nA;1,5;2.5\n", {}, r"both with a decimal comma.*set decimal"),
    ("comma_decimal_comma_delim", b"hole,x\nA,1\n", {"decimal": ","},
     r"decimal=',' needs another delimiter"),
    ("bad_decimal", b"hole,x\nA,1\n", {"decimal": "·"}, r"decimal must be"),
    ("bad_delimiter", b"hole,x\nA,1\n", {"delimiter": "ab"}, r"delimiter must be one character"),
    ("bad_encoding_bytes", "hole,x\nÉ,1\n".encode("latin-1"), {"encoding": "utf-8"},
     r"cannot be read as utf-8: byte 0xc9"),
    ("unknown_encoding", b"hole,x\nA,1\n", {"encoding": "klingon"}, r"unknown encoding"),
]


@pytest.mark.parametrize(("data", "options", "match"), [c[1:] for c in READ_ERRORS],
                         ids=[c[0] for c in READ_ERRORS])
def test_read_table_errors_name_file_and_fix(tmp_path, data, options, match):
    path = _write(tmp_path, data, name="export.csv")
    with pytest.raises(InputError, match=match) as info:
        read_table(path, what="collars", **options)
    assert "collars file" in str(info.value) and "export.csv" in str(info.value)


def test_read_table_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "nope.csv")


@settings(max_examples=40, deadline=None)
@given(delimiter=st.sampled_from([",", ";", "\t", "|"]),
       values=st.lists(st.tuples(st.integers(-10**6, 10**6), st.integers(0, 99)),
                       min_size=1, max_size=12))
def test_read_table_round_trip(tmp_path_factory, delimiter, values):
    """Numbers written with any delimiter (a decimal comma with ';') read back equal."""
    decimal = "," if delimiter == ";" else "."
    numbers = [a + b / 100 for a, b in values]
    lines = ["hole_id" + delimiter + "grade_ppm"]
    lines += [f"{k:03d}{delimiter}{v:.2f}".replace(".", decimal) for k, v in
              enumerate(numbers)]
    path = tmp_path_factory.mktemp("rt") / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    frame = read_table(path)
    assert frame.attrs["raremin_read"]["delimiter"] == delimiter
    assert frame["hole_id"].tolist() == [f"{k:03d}" for k in range(len(numbers))]
    np.testing.assert_allclose(frame["grade_ppm"].to_numpy(dtype=float), numbers, rtol=0,
                               atol=1e-9)


def test_read_table_never_raises_a_pandas_error(tmp_path, rng):
    """Random short texts either read or raise InputError, nothing else."""
    pieces = np.array(["a", "1", ".", ",", ";", "\t", "|", '"', " ", "\n", "-", "NA"])
    path = tmp_path / "junk.csv"
    for _ in range(150):
        path.write_text("".join(rng.choice(pieces, size=rng.integers(0, 30))))
        try:
            read_table(path)
        except InputError:
            pass


# ----------------------------------------------------------------------- map_columns
MAP_CASES = [
    ("collars", ["hole_ID", "x", "y", "z"],
     {"hole_ID": "hole_id", "x": "easting_m", "y": "northing_m", "z": "elevation_m"}),
    ("collars", ["BHID", "East", "North", "RL", "Max_Depth"],
     {"BHID": "hole_id", "East": "easting_m", "North": "northing_m", "RL": "elevation_m",
      "Max_Depth": "length_m"}),
    ("collars", ["Hole ID", "XCOLLAR", "Y_Collar", "Collar_RL", "EOH"],
     {"Hole ID": "hole_id", "XCOLLAR": "easting_m", "Y_Collar": "northing_m",
      "Collar_RL": "elevation_m", "EOH": "length_m"}),
    ("collars", ["DHID", "MGA_East", "MGA_North", "Elev", "TD"],
     {"DHID": "hole_id", "MGA_East": "easting_m", "MGA_North": "northing_m",
      "Elev": "elevation_m", "TD": "length_m"}),
    ("collars", ["hole_number", "easting_m", "northing_m", "elevation_m", "length_m"],
     {"hole_number": "hole_id", "easting_m": "easting_m", "northing_m": "northing_m",
      "elevation_m": "elevation_m", "length_m": "length_m"}),
    ("surveys", ["hole_ID", "depth", "dip", "azimuth"],
     {"hole_ID": "hole_id", "depth": "depth_m", "dip": "dip_deg", "azimuth": "azimuth_deg"}),
    ("surveys", ["HOLE", "AT", "AZI", "INCL"],
     {"HOLE": "hole_id", "AT": "depth_m", "AZI": "azimuth_deg", "INCL": "dip_deg"}),
    ("surveys", ["hole_name", "MD", "Brg", "Inclination"],
     {"hole_name": "hole_id", "MD": "depth_m", "Brg": "azimuth_deg",
      "Inclination": "dip_deg"}),
    ("intervals", ["hole_ID", "depth_from", "depth_to", "Cu_pct"],
     {"hole_ID": "hole_id", "depth_from": "from_m", "depth_to": "to_m"}),
    ("intervals", ["HoleID", "mFrom", "mTo", "La_ppm"],
     {"HoleID": "hole_id", "mFrom": "from_m", "mTo": "to_m"}),
    ("assays", ["hole", "Start", "End", "sample"],
     {"hole": "hole_id", "Start": "from_m", "End": "to_m"}),
]


@pytest.mark.parametrize(("kind", "columns", "expected"), MAP_CASES)
def test_map_columns_aliases(kind, columns, expected):
    frame = pd.DataFrame([range(len(columns))], columns=columns)
    renamed, used = map_columns(frame, kind)
    assert used == expected
    assert list(renamed.columns) == [expected.get(c, c) for c in columns]
    # unmapped columns (grades, sample ids) keep their names and values
    for col in set(columns) - set(expected):
        assert renamed[col].tolist() == frame[col].tolist()


UNIT_CASES = [
    ("surveys", ["hole", "depth_ft", "azimuth", "dip"], {"depth_m": "ft"}),
    ("surveys", ["hole", "Depth (m)", "Azimuth (deg)", "Dip [degrees]"],
     {"depth_m": "m", "azimuth_deg": "deg", "dip_deg": "deg"}),
    ("intervals", ["hole", "From (ft)", "To (ft)", "Au_ppm"], {"from_m": "ft", "to_m": "ft"}),
    ("intervals", ["hole", "from_m", "to_m"], {"from_m": "m", "to_m": "m"}),
    ("collars", ["hole", "X_ft", "Y_ft", "Z_ft", "Length_feet"],
     {"easting_m": "ft", "northing_m": "ft", "elevation_m": "ft", "length_m": "ft"}),
    ("collars", ["hole", "x", "y", "z", "TD"], {}),
]


@pytest.mark.parametrize(("kind", "columns", "units"), UNIT_CASES)
def test_map_columns_units_recorded(kind, columns, units):
    renamed, _ = map_columns(pd.DataFrame(columns=columns), kind)
    assert renamed.attrs["raremin_units"] == units


def test_map_columns_explicit_mapping_wins():
    frame = pd.DataFrame(columns=["ID", "E", "N", "Z", "depth", "max_depth"])
    renamed, used = map_columns(frame, "collars", {"hole_id": "ID", "easting_m": "E",
                                                   "northing_m": "N", "length_m": "max_depth"})
    assert used == {"ID": "hole_id", "E": "easting_m", "N": "northing_m", "Z": "elevation_m",
                    "max_depth": "length_m"}
    assert "depth" in renamed.columns  # the other candidate is left as it was


def test_map_columns_mapping_is_case_tolerant():
    frame = pd.DataFrame(columns=["Hole", "East", "North", "Elev"])
    _, used = map_columns(frame, "collars", {"hole_id": "HOLE"})
    assert used["Hole"] == "hole_id"


MAP_ERRORS = [
    ("collars", ["hole", "x", "y", "z", "depth", "max_depth"], None,
     r"2 columns that could be 'length_m': 'depth', 'max_depth'; choose one with "
     r"mapping=\{'length_m': 'depth'\}"),
    ("surveys", ["hole", "depth", "md", "azimuth", "dip"], None,
     r"could be 'depth_m': 'depth', 'md'"),
    ("collars", ["hole", "x", "easting", "y", "z"], None, r"could be 'easting_m'"),
    ("surveys", ["hole", "depth", "azimuth"], None,
     r"no column for 'dip_deg'.*columns are \['hole', 'depth', 'azimuth'\].*"
     r"mapping=\{'dip_deg': '<column>'\}"),
    ("intervals", ["sample", "from", "to"], None, r"no column for 'hole_id'"),
    ("collars", ["hole", "x", "y", "z"], {"length_m": "TD"},
     r"mapping 'length_m' -> 'TD': the collars table has no such column"),
    ("collars", ["hole", "x", "y", "z", "easting_m"], {"easting_m": "x"},
     r"already has a column 'easting_m'"),
    ("cores", ["hole"], None, r"unknown table kind 'cores'"),
]


@pytest.mark.parametrize(("kind", "columns", "mapping", "match"), MAP_ERRORS)
def test_map_columns_errors(kind, columns, mapping, match):
    with pytest.raises(InputError, match=match):
        map_columns(pd.DataFrame(columns=columns), kind, mapping)


def test_map_columns_duplicate_names():
    frame = pd.DataFrame([[1, 2, 3]], columns=["hole", "from", "from"])
    with pytest.raises(InputError, match=r"duplicated column name\(s\) \['from'\]"):
        map_columns(frame, "intervals")


# ----------------------------------------------------------------- prepare_drillholes
def _tables(**changes):
    collars = pd.DataFrame({"hole_id": ["A", "B"], "x": [0.0, 100.0], "y": [0.0, 0.0],
                            "z": [50.0, 50.0], "length": [10.0, 12.0]})
    surveys = pd.DataFrame({"hole_id": ["A", "B"], "depth": [0.0, 0.0],
                            "azimuth": [0.0, 90.0], "dip": [-90.0, -60.0]})
    intervals = pd.DataFrame({"hole_id": ["A", "A", "B"], "from": [0.0, 5.0, 0.0],
                              "to": [5.0, 10.0, 12.0], "la_ppm": [100.0, 200.0, 300.0]})
    tables = {"collars": collars, "surveys": surveys, "intervals": intervals}
    tables.update(changes)
    return tables


def test_prepare_clean_tables_change_nothing():
    holes, report = prepare_drillholes(**_tables())
    assert repr(holes) == "Drillholes(2 hole(s), 2 survey station(s), 3 interval(s); 0 problem(s))"
    steps = report.to_frame()
    assert list(steps.columns) == ["step", "table", "count", "detail"]
    assert set(steps["step"]) == {"read", "kept"}
    assert report.count("kept", "intervals") == 3
    assert report.mapping["collars"] == {"hole_id": "hole_id", "x": "easting_m",
                                         "y": "northing_m", "z": "elevation_m",
                                         "length": "length_m"}
    assert report.files == {}
    assert report.messages == ()


def test_prepare_hole_ids_int_float_and_text_match():
    collars = pd.DataFrame({"hole": [12, 13, 14, 15], "x": [0.0, 10.0, 20.0, 30.0],
                            "y": 0.0, "z": 0.0, "td": 10.0})
    surveys = pd.DataFrame({"hole": [12.0, 13.0, 14.0, 15.0], "at": 0.0, "azi": 0.0,
                            "dip": -90.0})
    intervals = pd.DataFrame({"hole": ["12", " 13 ", "14.0", "15"], "from": 0.0, "to": 10.0,
                              "ce_ppm": 5.0})
    holes, report = prepare_drillholes(collars, surveys, intervals)
    assert holes.hole_ids == ["12", "13", "14", "15"]
    assert len(holes.intervals) == 4 and holes.report.ok
    assert report.count("hole_id_from_number", "collars") == 4
    assert report.count("hole_id_from_number", "surveys") == 4
    assert report.count("hole_id_stripped", "intervals") == 1
    assert report.count("hole_id_float_text", "intervals") == 1
    assert report.count("no_collar") == 0


@pytest.mark.parametrize(("value", "expected"), [
    (12, "12"), (12.0, "12"), ("12", "12"), (" 12 ", "12"), ("12.0", "12"), ("12.5", "12.5"),
    (12.5, "12.5"), ("007", "007"), (np.int64(7), "7"), ("DH-1 ", "DH-1"), ("dh-1", "dh-1"),
])
def test_normalise_ids_table(value, expected):
    ids, _ = _normalise_ids(pd.Series([value], dtype=object))
    assert ids.tolist() == [expected]


def test_normalise_ids_keeps_missing():
    ids, counts = _normalise_ids(pd.Series([np.nan, "A", None], dtype=object))
    assert ids.isna().tolist() == [True, False, True]
    assert counts.sum() == 1


def test_prepare_case_differences_reported_not_merged():
    t = _tables()
    t["intervals"] = t["intervals"].assign(hole_id=["a", "A", "B"])
    holes, report = _quiet_prepare(**t)
    assert report.count("hole_id_case_differs") == 1
    assert "'A' / 'a'" in report.to_frame().set_index("step").loc["hole_id_case_differs",
                                                                      "detail"]
    assert report.count("no_collar", "intervals") == 1
    assert report.count("validation:no_collar", "intervals") == 1
    assert len(holes.intervals) == 2


def test_prepare_orphans_named():
    t = _tables()
    t["surveys"] = pd.concat([t["surveys"], pd.DataFrame({"hole_id": ["Z9"], "depth": [0.0],
                                                          "azimuth": [0.0], "dip": [-90.0]})])
    _, report = _quiet_prepare(**t)
    detail = report.to_frame().set_index("step").loc["no_collar", "detail"]
    assert report.count("no_collar", "surveys") == 1 and "'Z9'" in detail


def test_prepare_derives_lengths():
    collars = pd.DataFrame({"hole_id": ["A", "B", "C"], "x": [0.0, 1.0, 2.0], "y": 0.0,
                            "z": 0.0, "length": [np.nan, 40.0, np.nan]})
    surveys = pd.DataFrame({"hole_id": ["A", "A", "B", "C"], "depth": [0.0, 30.0, 0.0, 0.0],
                            "azimuth": 0.0, "dip": -80.0})
    intervals = pd.DataFrame({"hole_id": ["A", "C"], "from": [0.0, 0.0], "to": [25.0, 18.5]})
    holes, report = prepare_drillholes(collars, surveys, intervals)
    # A: deepest survey (30) beats deepest interval (25); B kept as given; C from assays
    assert holes.collars["length_m"].tolist() == [30.0, 40.0, 18.5]
    assert report.count("length_derived") == 2


def test_prepare_length_column_absent_and_unknown():
    t = _tables(collars=pd.DataFrame({"hole_id": ["A", "B", "C"], "x": [0.0, 1.0, 2.0],
                                      "y": 0.0, "z": 0.0}))
    holes, report = _quiet_prepare(**t)
    assert report.count("length_derived") == 2
    assert report.count("length_unknown") == 1
    assert report.count("no_survey") == 1
    assert holes.hole_ids == ["A", "B"]
    assert holes.collars["length_m"].tolist() == [10.0, 12.0]


DIP_CASES = [
    # convention, dips given, dips expected, steps expected
    ("auto", [60.0, 90.0, 0.0], [-60.0, -90.0, 0.0], {"dips_flipped": 2}),
    ("auto", [-60.0, 5.0, -90.0], [-60.0, 5.0, -90.0], {"upward_dips_kept": 1}),
    ("auto", [-60.0, -90.0, 0.0], [-60.0, -90.0, 0.0], {}),
    ("negative_down", [60.0, 90.0, 45.0], [60.0, 90.0, 45.0], {"upward_dips_kept": 3}),
    ("positive_down", [60.0, -5.0, 90.0], [-60.0, 5.0, -90.0],
     {"dips_flipped": 3, "upward_dips_kept": 1}),
    ("from_vertical", [0.0, 30.0, 90.0], [-90.0, -60.0, 0.0], {"dips_from_vertical": 3}),
]


@pytest.mark.parametrize(("convention", "dips", "expected", "counts"), DIP_CASES)
def test_prepare_dip_conventions(convention, dips, expected, counts):
    collars = pd.DataFrame({"hole_id": ["A", "B", "C"], "x": [0.0, 50.0, 100.0], "y": 0.0,
                            "z": 0.0, "length": 10.0})
    surveys = pd.DataFrame({"hole_id": ["A", "B", "C"], "depth": 0.0, "azimuth": 0.0,
                            "dip": dips})
    holes, report = _quiet_prepare(collars, surveys, dip_convention=convention)
    np.testing.assert_array_equal(holes.surveys["dip_deg"].to_numpy(), expected)
    for step in ("dips_flipped", "upward_dips_kept", "dips_from_vertical"):
        assert report.count(step) == counts.get(step, 0), step


def test_prepare_flip_gives_positive_zero():
    collars = pd.DataFrame({"hole_id": ["A", "B"], "x": [0.0, 9.0], "y": 0.0, "z": 0.0,
                            "length": 5.0})
    surveys = pd.DataFrame({"hole_id": ["A", "B"], "depth": 0.0, "azimuth": 0.0,
                            "dip": [0.0, 45.0]})
    holes, _ = prepare_drillholes(collars, surveys)
    assert np.signbit(holes.surveys["dip_deg"].to_numpy()).tolist() == [False, True]


def test_prepare_feet_converted_exactly():
    feet = np.array([0.0, 33.3, 100.0, 1234.56])
    collars = pd.DataFrame({"hole_id": ["A"], "x": [1000.0], "y": [2000.0], "z": [300.0],
                            "length": [feet[-1]]})
    surveys = pd.DataFrame({"hole_id": ["A"], "depth": [0.0], "azimuth": [0.0],
                            "dip": [-90.0]})
    intervals = pd.DataFrame({"hole_id": ["A"] * 3, "from": feet[:-1], "to": feet[1:]})
    holes, report = prepare_drillholes(collars, surveys, intervals, length_unit="ft")
    assert FOOT_M == 0.3048
    np.testing.assert_array_equal(holes.intervals["from_m"].to_numpy(), feet[:-1] * 0.3048)
    np.testing.assert_array_equal(holes.intervals["to_m"].to_numpy(), feet[1:] * 0.3048)
    assert holes.collars["length_m"].tolist() == [feet[-1] * 0.3048]
    # coordinates follow their CRS: untouched without coordinate_unit
    assert holes.collars[["easting_m", "northing_m", "elevation_m"]].values.tolist() == [
        [1000.0, 2000.0, 300.0]]
    assert report.count("feet_to_metres", "intervals") == 6
    assert report.count("feet_to_metres", "collars") == 1
    assert report.count("feet_to_metres", "surveys") == 1
    assert report.count("coordinates_to_metres") == 0


def test_prepare_feet_from_headers_and_coordinates():
    collars = pd.DataFrame({"hole_id": ["A"], "X_ft": [1000.0], "Y_ft": [2000.0],
                            "Z_ft": [300.0], "TD_ft": [50.0]})
    surveys = pd.DataFrame({"hole_id": ["A"], "Depth (ft)": [0.0], "azimuth": [0.0],
                            "dip": [-90.0]})
    holes, report = prepare_drillholes(collars, surveys)
    assert holes.collars["length_m"].tolist() == [50.0 * 0.3048]
    assert holes.collars["easting_m"].tolist() == [1000.0]
    assert report.count("coordinates_in_feet_kept") == 1
    assert report.units["collars"]["length_m"] == "ft"
    holes, report = prepare_drillholes(collars, surveys, coordinate_unit="ft")
    assert holes.collars["easting_m"].tolist() == [1000.0 * 0.3048]
    assert report.count("coordinates_to_metres") == 3
    holes, _ = prepare_drillholes(collars, surveys, coordinate_unit="us_ft")
    assert holes.collars["northing_m"].tolist() == [2000.0 * 1200.0 / 3937.0]
    assert US_SURVEY_FOOT_M == 1200.0 / 3937.0


@pytest.mark.parametrize(("options", "match"), [
    ({"length_unit": "m"}, r"length_unit='m' but the header .* says 'ft'"),
    ({"length_unit": "yd"}, r"length_unit must be 'm' or 'ft'"),
    ({"coordinate_unit": "km"}, r"coordinate_unit must be one of"),
    ({"dip_convention": "up"}, r"unknown dip_convention 'up'"),
    ({"on_problem": "ignore"}, r"unknown on_problem"),
    ({"duplicate_tolerance_m": 0}, r"duplicate_tolerance_m must be > 0"),
    ({"mapping": {"eastings": "x"}}, r"mapping key\(s\) \['eastings'\] are not raremin"),
    ({"mapping": {"collars": {"depth_m": "x"}}}, r"key\(s\) \['depth_m'\] of another table"),
])
def test_prepare_option_errors(options, match):
    t = _tables(surveys=pd.DataFrame({"hole_id": ["A", "B"], "depth_ft": 0.0, "azimuth": 0.0,
                                      "dip": -90.0}))
    with pytest.raises(InputError, match=match):
        prepare_drillholes(**t, **options)


def test_prepare_coordinate_unit_contradicting_header():
    collars = pd.DataFrame({"hole_id": ["A"], "x_m": [1.0], "y": [2.0], "z": [3.0],
                            "length": [5.0]})
    surveys = pd.DataFrame({"hole_id": ["A"], "depth": [0.0], "azimuth": 0.0, "dip": -90.0})
    with pytest.raises(InputError, match=r"coordinate_unit='ft' but .* says 'm'"):
        prepare_drillholes(collars, surveys, coordinate_unit="ft")


def test_prepare_nested_and_flat_mapping():
    collars = pd.DataFrame({"COLLAR": ["A"], "E1": [0.0], "N1": [0.0], "H": [10.0],
                            "len": [4.0]})
    surveys = pd.DataFrame({"HOLE": ["A"], "d": [0.0], "a": [0.0], "i": [-90.0]})
    mapping = {"collars": {"hole_id": "COLLAR", "easting_m": "E1", "northing_m": "N1",
                           "elevation_m": "H", "length_m": "len"},
               "surveys": {"depth_m": "d", "azimuth_deg": "a", "dip_deg": "i"}}
    holes, report = prepare_drillholes(collars, surveys, mapping=mapping)
    assert holes.hole_ids == ["A"] and report.mapping["surveys"]["HOLE"] == "hole_id"
    flat = {"easting_m": "E1", "northing_m": "N1", "elevation_m": "H", "length_m": "len",
            "depth_m": "d", "azimuth_deg": "a", "dip_deg": "i"}
    holes, _ = prepare_drillholes(collars.rename(columns={"COLLAR": "hole"}), surveys,
                                  mapping=flat)
    assert holes.collars["length_m"].tolist() == [4.0]


def test_prepare_exact_duplicates_removed_and_kept_aside():
    t = _tables()
    iv = t["intervals"]
    t["intervals"] = pd.concat([iv, iv.iloc[[0, 0, 2]]], ignore_index=True)
    sv = t["surveys"]
    t["surveys"] = pd.concat([sv, sv.iloc[[1]]], ignore_index=True)
    with pytest.warns(DrillholeWarning, match=r"4 row\(s\) removed by the import"):
        holes, report = prepare_drillholes(**t)
    assert len(holes.intervals) == 3 and holes.report.ok
    assert report.count("duplicate_rows_removed", "intervals") == 3
    assert report.count("duplicate_rows_removed", "surveys") == 1
    removed = report.removed_rows["intervals"]
    assert len(removed) == 3 and set(removed["import_step"]) == {"duplicate_rows_removed"}


def test_prepare_same_depths_different_values_not_removed():
    t = _tables()
    extra = t["intervals"].iloc[[0]].assign(la_ppm=999.0)
    t["intervals"] = pd.concat([t["intervals"], extra], ignore_index=True)
    holes, report = _quiet_prepare(**t)
    assert report.count("duplicate_rows_removed") == 0
    assert report.count("validation:overlap") == 1
    assert len(holes.intervals) == 3


def test_prepare_empty_overlapping_intervals_removed():
    t = _tables()
    empty = pd.DataFrame({"hole_id": ["A", "A", "B", "B"], "from": [0.0, 4.9, 3.0, 12.0],
                          "to": [5.0, 9.9, 4.0, 13.0], "la_ppm": np.nan})
    t["intervals"] = pd.concat([t["intervals"], empty], ignore_index=True)
    t["collars"] = t["collars"].assign(length=[10.0, 13.0])
    holes, report = _quiet_prepare(**t)
    # three empty rows repeat or overlap rows with values; the fourth (B 12-13) does not
    assert report.count("empty_intervals_removed") == 3
    assert len(holes.intervals) == 4
    assert holes.report.ok


def test_prepare_duplicate_holes_set_aside():
    collars = pd.DataFrame({"hole_id": ["A", "B", "C", "D"], "x": [0.0, 0.004, 0.0, 50.0],
                            "y": 0.0, "z": 0.0, "length": 10.0})
    surveys = pd.DataFrame({"hole_id": ["A", "B", "C", "D"], "depth": 0.0, "azimuth": 0.0,
                            "dip": -90.0})
    same = {"from": [0.0, 5.0], "to": [5.0, 10.0], "la_ppm": [1.0, 2.0]}
    intervals = pd.concat([pd.DataFrame({"hole_id": h, **same}) for h in "ABD"]
                          + [pd.DataFrame({"hole_id": "C", "from": [0.0], "to": [10.0],
                                           "la_ppm": [1.5]})], ignore_index=True)
    with pytest.warns(DrillholeWarning):
        holes, report = prepare_drillholes(collars, surveys, intervals)
    # B: same place as A (to 1 cm) and same intervals; C same place, other values; D elsewhere
    assert holes.hole_ids == ["A", "C", "D"]
    assert report.count("duplicate_holes_set_aside") == 1
    detail = report.to_frame().set_index("step").loc["duplicate_holes_set_aside", "detail"]
    assert "'B' (same as 'A')" in detail
    assert len(report.removed_rows["intervals"]) == 2
    assert len(report.removed_rows["surveys"]) == 1


def test_prepare_text_in_numeric_columns():
    t = _tables()
    t["surveys"] = t["surveys"].astype({"dip": object})
    t["surveys"].loc[1, "dip"] = "n.a."
    holes, report = _quiet_prepare(**t)
    assert report.count("text_as_missing", "surveys") == 1
    assert report.count("validation:nan_value") == 1
    assert holes.hole_ids == ["A"]
    with pytest.raises(InputError, match=r"surveys column dip_deg are not numbers "
                                         r"\(first: 'n.a.' at row 1\)"):
        prepare_drillholes(**t, on_problem="raise")


def test_prepare_raise_mode_carries_the_import_report():
    t = _tables()
    t["intervals"] = pd.concat([t["intervals"], t["intervals"].iloc[[0]].assign(la_ppm=7.0)])
    with pytest.raises(DrillholeError) as info:
        prepare_drillholes(**t, on_problem="raise")
    assert isinstance(info.value.import_report, ImportReport)
    assert info.value.import_report.count("validation:overlap") == 1


def test_prepare_default_dip():
    t = _tables(surveys=pd.DataFrame({"hole_id": ["A"], "depth": [0.0], "azimuth": [0.0],
                                      "dip": [-70.0]}))
    holes, report = prepare_drillholes(**t, default_dip=-90.0)
    assert report.count("default_dip") == 1 and holes.hole_ids == ["A", "B"]
    holes, report = _quiet_prepare(**t)
    assert report.count("no_survey") == 1 and holes.hole_ids == ["A"]
    assert report.count("validation:no_surveys") == 1


def test_prepare_captures_validation_warnings():
    t = _tables(surveys=pd.DataFrame({"hole_id": ["A", "B"], "depth": 0.0, "azimuth": 0.0,
                                      "dip": [-90.0, 10.0]}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, report = prepare_drillholes(**t)
    assert any("positive dip" in m for m in report.messages)
    assert not any("positive dip" in str(w.message) for w in caught)  # counted, not repeated
    assert report.count("validation:upward_dip") == 1


def test_import_report_is_frozen_and_describes():
    t = _tables()
    t["intervals"] = pd.concat([t["intervals"], t["intervals"].iloc[[1]]])
    _, report = _quiet_prepare(**t)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.steps = None
    text = report.describe()
    assert text.startswith("- ")
    assert "- 1 exact duplicate intervals row(s) removed (one copy kept)" in text
    assert "- Kept: 2 collars, 2 surveys, 3 intervals." in text
    assert "1 row(s) removed by the import" in repr(report)
    assert "<table" in report._repr_html_()
    with pytest.raises(InputError, match="steps lack"):
        ImportReport(pd.DataFrame({"step": []}))


def test_read_drillholes_from_files(tmp_path):
    collars = "\ufeffHoleID;East;North;RL\nDH1;500,5;7000;100\nDH2;520;7000;101\n"
    surveys = "HoleID;Depth;Azimuth;Dip\nDH1;0;0;90\nDH2;0;45;60\nDH2;20;45;62\n"
    assays = "HoleID\tFrom\tTo\tNd_ppm\nDH1\t0\t2.5\t310\nDH1\t2.5\t5\t280\nDH2\t0\t30\t95\n"
    paths = [_write(tmp_path, text, name) for text, name in
             ((collars, "c.csv"), (surveys, "s.csv"), (assays, "a.txt"))]
    holes, report = read_drillholes(*paths)
    assert holes.collars["easting_m"].tolist() == [500.5, 520.0]
    assert holes.collars["length_m"].tolist() == [5.0, 30.0]
    assert holes.surveys["dip_deg"].tolist() == [-90.0, -60.0, -62.0]
    assert report.files["collars"]["encoding"] == "utf-8-sig"
    assert report.files["collars"]["decimal"] == ","
    assert report.files["intervals"]["delimiter"] == "\t"
    assert "delimiter ';' detected" in report.describe()
    holes, report = read_drillholes(*paths, delimiter={"collars": ";", "surveys": ";",
                                                       "intervals": "\t"})
    assert report.files["surveys"]["delimiter_source"] == "given"


# ----------------------------------------------------------------------- real data
def _real(validation_dir, name):
    folder = validation_dir / "realdata" / name
    collars = read_table(folder / "collar.csv", what="collars")
    surveys = read_table(folder / "survey.csv", what="surveys")
    assays = read_table(folder / "assay.csv", what="assays")
    grades = [c for c in assays.columns if c.lower().endswith(("_ppm", "_pct"))]
    # below-detection codes are negative: the assay cleaning is raremin.assays' job
    assays[grades] = assays[grades].where(assays[grades] >= 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        holes, report = prepare_drillholes(collars, surveys, assays)
    return collars, surveys, assays, holes, report, caught


def test_copper_creek(validation_dir):
    collars, surveys, assays, holes, report, caught = _real(validation_dir, "copper_creek")
    assert (len(collars), len(surveys), len(assays)) == (545, 5822, 67321)
    assert report.files["collars"]["encoding"] == "utf-8-sig"
    assert report.mapping["intervals"] == {"hole_ID": "hole_id", "depth_from": "from_m",
                                           "depth_to": "to_m"}
    # 282 rows of NE-6 share their depths in pairs: 141 pairs, one copy of each has no value
    # (not exact duplicates); 10 more empty NE-6 rows overlap rows with values (depths
    # shifted by up to 0.2 m). All 151 are removed; NE-6 keeps its 437 rows with values.
    assert report.count("duplicate_rows_removed") == 0
    assert report.count("empty_intervals_removed") == 151
    assert set(report.removed_rows["intervals"]["hole_id"]) == {"NE-6"}
    # 29 upward stations (27 at +5 deg in EH holes, UG7 and UG8): mixed signs, not flipped
    assert report.count("dips_flipped") == 0
    assert report.count("upward_dips_kept") == 29
    assert (holes.surveys["dip_deg"] > 0).sum() == 29
    # no hole length in the collar file: all derived; 8 holes have only a collar survey
    assert report.count("length_derived") == 545
    assert report.count("validation:nonpositive_length") == 8
    assert report.count("validation:hole_set_aside", "surveys") == 8
    # CA28_PLUS_8's overlapping re-assays set aside by validation
    aside = holes.report.set_aside
    assert report.count("validation:overlap") == 11
    assert set(aside.loc[aside["kind"] == "overlap", "hole_id"]) == {"CA28_PLUS_8"}
    assert report.count("duplicate_holes_set_aside") == 0
    assert report.count("no_collar") == 0
    assert (len(holes.collars), len(holes.surveys), len(holes.intervals)) == (537, 5814, 67159)
    assert report.count("kept", "intervals") == 67321 - 151 - 11
    assert any("151 row(s) removed by the import" in str(w.message) for w in caught)


def test_forrestania(validation_dir):
    collars, surveys, assays, holes, report, _ = _real(validation_dir, "forrestania")
    assert (len(collars), len(surveys), len(assays)) == (100, 144, 4074)
    assert report.mapping["surveys"] == {"hole_ID": "hole_id", "depth": "depth_m",
                                         "azimuth": "azimuth_deg", "dip": "dip_deg"}
    # ZK100-1 and ZK101-1 each list one survey station twice
    assert report.count("duplicate_rows_removed", "surveys") == 2
    # 28 collars (wedges NMD...W1... and others) have no survey and no assay
    assert report.count("length_derived") == 72
    assert report.count("length_unknown") == 28
    assert report.count("no_survey") == 28
    assert report.count("validation:nan_coordinate") == 28
    # NH12-01 8-12 m has only below-detection values (NaN here) and overlaps 11-12 m
    assert report.count("empty_intervals_removed") == 1
    # NH12-02 0-4 m (Au only) overlaps 3-4 m: set aside by validation
    aside = holes.report.set_aside
    assert aside.loc[aside["kind"] == "overlap", "hole_id"].tolist() == ["NH12-02"]
    assert report.count("dips_flipped") == 0 and report.count("upward_dips_kept") == 0
    assert (len(holes.collars), len(holes.surveys), len(holes.intervals)) == (72, 142, 4072)
    assert np.all(holes.collars["elevation_m"] == 0.0)
