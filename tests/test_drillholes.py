"""Tests for raremin.drillholes: validation, desurveying, compositing and top-cutting."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import box

from raremin.deposit import Deposit, Zone
from raremin.drillholes import (
    DESURVEY_METHODS,
    DrillholeError,
    Drillholes,
    DrillholeWarning,
    ValidationReport,
    cap,
    composite,
    desurvey,
    topcut_analysis,
)
from raremin.errors import InputError

XYZ = ["easting_m", "northing_m", "elevation_m"]


# ------------------------------------------------------------------------- helpers
def collar_table(ids=("A",), xyz=(0.0, 0.0, 100.0), length=50.0):
    n = len(ids)
    return pd.DataFrame({"hole_id": list(ids), "easting_m": [xyz[0]] * n,
                         "northing_m": [xyz[1]] * n, "elevation_m": [xyz[2]] * n,
                         "length_m": [length] * n})


def survey_table(hole, depths, azimuths, dips):
    depths = np.asarray(depths, dtype=float)
    return pd.DataFrame({"hole_id": [hole] * depths.size, "depth_m": depths,
                         "azimuth_deg": np.broadcast_to(azimuths, depths.shape).astype(float),
                         "dip_deg": np.broadcast_to(dips, depths.shape).astype(float)})


def interval_table(hole, edges, **grades):
    edges = np.asarray(edges, dtype=float)
    table = pd.DataFrame({"hole_id": [hole] * (edges.size - 1), "from_m": edges[:-1],
                          "to_m": edges[1:]})
    for name, values in grades.items():
        table[name] = np.asarray(values, dtype=float)
    return table


def good_tables():
    """Two clean holes: A vertical, B inclined, 10 m long, five 2 m intervals each."""
    collars = pd.DataFrame({"hole_id": ["A", "B"], "easting_m": [0.0, 100.0],
                            "northing_m": [0.0, 0.0], "elevation_m": [100.0, 100.0],
                            "length_m": [10.0, 10.0]})
    surveys = pd.concat([survey_table("A", [0.0, 10.0], 0.0, -90.0),
                         survey_table("B", [0.0, 5.0, 10.0], 45.0, [-60.0, -61.0, -62.0])],
                        ignore_index=True)
    edges = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    intervals = pd.concat([interval_table("A", edges, la_ppm=[100, 200, 300, 400, 500]),
                           interval_table("B", edges, la_ppm=[50, 60, 70, 80, 90])],
                          ignore_index=True)
    return collars, surveys, intervals


def build(collars, surveys, intervals, **kwargs):
    """from_tables, returning the holes and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        holes = Drillholes.from_tables(collars, surveys, intervals, **kwargs)
    return holes, [w for w in caught if issubclass(w.category, DrillholeWarning)]


def arc_position(md, dip0_deg, rate_deg_per_m, azimuth_deg, collar):
    """Closed form of a hole whose dip changes linearly with depth at constant azimuth.

    With phi = -dip (angle below the horizontal) = phi0 + kappa * md the hole is a circle
    of radius 1 / kappa in a vertical plane: horizontal run (sin phi - sin phi0) / kappa
    and drop (cos phi0 - cos phi) / kappa.
    """
    kappa = np.radians(-rate_deg_per_m)
    phi0 = np.radians(-dip0_deg)
    phi = phi0 + kappa * np.asarray(md, dtype=float)
    run = (np.sin(phi) - np.sin(phi0)) / kappa
    drop = (np.cos(phi0) - np.cos(phi)) / kappa
    az = np.radians(azimuth_deg)
    return np.column_stack([collar[0] + run * np.sin(az), collar[1] + run * np.cos(az),
                            collar[2] - drop])


# ---------------------------------------------------------------------- desurveying
@pytest.mark.parametrize("method", DESURVEY_METHODS)
def test_vertical_hole_is_exact(method, rng):
    collars = collar_table(xyz=(500.0, 7000.0, 812.5), length=120.0)
    # The azimuth is meaningless in a vertical hole and must not matter.
    surveys = survey_table("A", [0.0, 30.0, 75.0, 110.0], [0.0, 80.0, 200.0, 359.0], -90.0)
    md = np.r_[0.0, 30.0, 120.0, rng.uniform(0, 120, 50)]
    out = desurvey((collars, surveys), (["A"] * md.size, md), method=method)
    np.testing.assert_array_equal(out["easting_m"], 500.0)
    np.testing.assert_array_equal(out["northing_m"], 7000.0)
    np.testing.assert_allclose(out["elevation_m"], 812.5 - md, rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", DESURVEY_METHODS)
def test_straight_inclined_hole_matches_the_line(method, rng):
    az, dip = 37.0, -62.0
    collar = np.array([1000.0, 2000.0, 300.0])
    collars = collar_table(xyz=collar, length=200.0)
    # First station below the collar: the hole runs straight to it.
    surveys = survey_table("A", [20.0, 60.0, 150.0], az, dip)
    md = np.r_[0.0, 20.0, 150.0, 200.0, rng.uniform(0, 200, 100)]
    out = desurvey((collars, surveys), (["A"] * md.size, md), method=method)
    a, d = np.radians(az), np.radians(dip)
    t = np.array([np.cos(d) * np.sin(a), np.cos(d) * np.cos(a), np.sin(d)])
    expected = collar + md[:, None] * t
    np.testing.assert_allclose(out[XYZ].to_numpy(), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("dip0", "rate", "az"), [(-40.0, -0.15, 30.0), (-85.0, 0.12, 250.0)])
def test_minimum_curvature_is_exact_on_a_circular_arc(dip0, rate, az, rng):
    collar = (600000.0, 5500000.0, 760.0)
    stations = np.arange(0.0, 301.0, 30.0)
    collars = collar_table(xyz=collar, length=300.0)
    surveys = survey_table("A", stations, az, dip0 + rate * stations)
    md = np.r_[stations, rng.uniform(0, 300, 200)]
    out = desurvey((collars, surveys), (["A"] * md.size, md))
    expected = arc_position(md, dip0, rate, az, collar)
    err = np.abs(out[XYZ].to_numpy() - expected).max()
    assert err < 1e-6, f"max error {err} m on the arc"


def test_tangential_methods_converge_at_their_orders():
    collar = (0.0, 0.0, 0.0)
    errors = {}
    for spacing in (30.0, 15.0):
        stations = np.arange(0.0, 300.0 + 1e-9, spacing)
        surveys = survey_table("A", stations, 0.0, -40.0 - 0.15 * stations)
        exact = arc_position([300.0], -40.0, -0.15, 0.0, collar)
        for method in ("tangential", "balanced_tangential"):
            got = desurvey((collar_table(xyz=collar, length=300.0), surveys),
                           (["A"], [300.0]), method=method)[XYZ].to_numpy()
            errors[method, spacing] = np.abs(got - exact).max()
    # Tangential is first order, balanced tangential second order in the spacing.
    assert errors["tangential", 30.0] / errors["tangential", 15.0] == pytest.approx(2, rel=0.1)
    ratio = errors["balanced_tangential", 30.0] / errors["balanced_tangential", 15.0]
    assert ratio == pytest.approx(4, rel=0.1)


def test_minimum_curvature_chords_in_three_dimensions(rng):
    # Azimuth and dip both change: not a plane circle overall, but each segment is a
    # circular arc, so the chord to any point at arc length s along a segment of dogleg
    # beta has length s * sinc(f beta / 2) and lies along the bisector of t1 and t(f).
    depths = np.array([0.0, 40.0, 90.0, 150.0])
    az = np.array([10.0, 25.0, 70.0, 95.0])
    dip = np.array([-80.0, -70.0, -55.0, -60.0])
    collars = collar_table(length=150.0)
    surveys = survey_table("A", depths, az, dip)
    a, d = np.radians(az), np.radians(dip)
    t = np.column_stack([np.cos(d) * np.sin(a), np.cos(d) * np.cos(a), np.sin(d)])
    stations = desurvey((collars, surveys), (["A"] * 4, depths))[XYZ].to_numpy()
    for k in range(3):
        beta = np.arccos(np.clip(t[k] @ t[k + 1], -1, 1))
        frac = rng.uniform(0.05, 1.0, 5)
        md = depths[k] + frac * (depths[k + 1] - depths[k])
        pts = desurvey((collars, surveys), (["A"] * 5, md))[XYZ].to_numpy()
        chord = np.linalg.norm(pts - stations[k], axis=1)
        expected = (md - depths[k]) * np.sinc(frac * beta / 2 / np.pi)
        np.testing.assert_allclose(chord, expected, rtol=1e-10)


def test_small_doglegs_are_continuous():
    collars = collar_table(length=100.0)
    out = []
    for change in (0.0, 1e-7, 0.5729577951308232 * (1 - 1e-9), 0.5729577951308232 * (1 + 1e-9)):
        surveys = survey_table("A", [0.0, 100.0], 0.0, [-60.0, -60.0 - change])
        md = np.array([33.0, 100.0])
        out.append(desurvey((collars, surveys), (["A", "A"], md))[XYZ].to_numpy())
    np.testing.assert_allclose(out[1], out[0], atol=1e-7)
    # Just below and just above the 0.01 rad switch to the series: the same answer.
    np.testing.assert_allclose(out[2], out[3], atol=1e-8)


def test_desurvey_many_holes_in_any_order(rng):
    collars, surveys, _ = good_tables()
    holes = Drillholes.from_tables(collars, surveys)
    ids = rng.choice(["A", "B"], 40)
    md = rng.uniform(0, 10, 40)
    query = pd.DataFrame({"hole_id": ids, "depth_m": md}, index=np.arange(100, 140))
    together = desurvey(holes, query)
    assert together.index.tolist() == list(range(100, 140))
    for hole in ("A", "B"):
        alone = desurvey(holes, query[query["hole_id"] == hole])
        pd.testing.assert_frame_equal(together[together["hole_id"] == hole], alone)


def test_desurvey_input_errors():
    collars, surveys, _ = good_tables()
    with pytest.raises(InputError, match="'Z'"):
        desurvey((collars, surveys), (["Z"], [1.0]))
    with pytest.raises(InputError, match="negative"):
        desurvey((collars, surveys), (["A"], [-1.0]))
    with pytest.raises(InputError, match="missing or infinite"):
        desurvey((collars, surveys), (["A"], [np.nan]))
    with pytest.raises(InputError, match="unknown desurvey method 'spline'"):
        desurvey((collars, surveys), (["A"], [1.0]), method="spline")
    with pytest.warns(DrillholeWarning, match="beyond the end"):
        out = desurvey((collars, surveys), (["A"], [12.0]))
    assert out["elevation_m"].iloc[0] == pytest.approx(88.0)


def test_kuirektykol_midpoints_are_reproduced():
    import raremin.datasets

    data = raremin.datasets.load_kuirektykol()
    holes = Drillholes.from_tables(data.collars, data.surveys, data.assays)
    assert holes.report.ok
    samples = data.samples
    query = pd.DataFrame({"hole_id": samples["hole_id"],
                          "depth_m": 0.5 * (samples["from_m"] + samples["to_m"])})
    got = desurvey(holes, query)
    diff = np.abs(got[XYZ].to_numpy() - samples[XYZ].to_numpy()).max()
    assert diff < 0.01, f"max midpoint difference {diff:.6f} m"
    # desurvey_intervals gives the same midpoints (intervals are stored sorted).
    mids = holes.desurvey_intervals()
    merged = mids.merge(samples, on=["hole_id", "from_m"], suffixes=("", "_ref"))
    assert len(merged) == len(samples)
    ref = merged[[f"{c}_ref" for c in XYZ]].to_numpy()
    assert np.abs(merged[XYZ].to_numpy() - ref).max() < 0.01


def test_traces_end_at_the_hole_end():
    collars, surveys, intervals = good_tables()
    holes = Drillholes.from_tables(collars, surveys, intervals)
    tr = holes.traces(step_m=3.0)
    assert tr.loc[tr["hole_id"] == "A", "depth_m"].tolist() == [0.0, 3.0, 6.0, 9.0, 10.0]
    ends = tr.groupby("hole_id")["depth_m"].max()
    assert ends.tolist() == [10.0, 10.0]
    direct = desurvey(holes, tr[["hole_id", "depth_m"]])
    np.testing.assert_allclose(tr[XYZ].to_numpy(), direct[XYZ].to_numpy())


# ----------------------------------------------------------------------- validation
def test_good_tables_pass_and_are_sorted():
    collars, surveys, intervals = good_tables()
    holes, caught = build(collars, surveys, intervals.iloc[::-1])
    assert caught == [] and holes.report.ok and len(holes.report) == 0
    assert holes.intervals["from_m"].tolist()[:5] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert holes.grade_columns == ["la_ppm"]
    assert "0 problem(s)" in repr(holes)


def test_missing_columns_name_them_and_the_columns_present():
    collars, surveys, intervals = good_tables()
    with pytest.raises(InputError, match=r"lacks column\(s\) \['dip_deg'\].*it has"):
        Drillholes.from_tables(collars, surveys.drop(columns="dip_deg"), intervals)
    with pytest.raises(InputError, match="must be a pandas DataFrame"):
        Drillholes.from_tables(collars, surveys, [1, 2])


def _mutate(table, row, **values):
    table = table.copy()
    for key, value in values.items():
        table.loc[row, key] = value
    return table


# (kind, table, function making the bad tables, text the message must contain)
CASES = [
    ("duplicate_collar", "collars",
     lambda c, s, i: (pd.concat([c, c.iloc[[1]]], ignore_index=True), s, i), "'B'"),
    ("nan_coordinate", "collars",
     lambda c, s, i: (_mutate(c, 1, northing_m=np.nan), s, i), "northing_m = nan"),
    ("nonpositive_length", "collars",
     lambda c, s, i: (_mutate(c, 1, length_m=-5.0), s, i), "length_m = -5"),
    ("no_surveys", "collars",
     lambda c, s, i: (c, s[s["hole_id"] != "B"], i), "hole 'B' has no survey"),
    ("no_collar", "surveys",
     lambda c, s, i: (c, pd.concat([s, survey_table("Q", [0.0], 0.0, -90.0)],
                                   ignore_index=True), i), "'Q'"),
    ("dip_out_of_range", "surveys",
     lambda c, s, i: (c, _mutate(s, 3, dip_deg=-95.0), i), "dip_deg = -95"),
    ("nan_value", "surveys",
     lambda c, s, i: (c, _mutate(s, 3, azimuth_deg=np.nan), i), "azimuth_deg = nan"),
    ("survey_beyond_length", "surveys",
     lambda c, s, i: (c, _mutate(s, 4, depth_m=12.5), i), "depth_m = 12.5"),
    ("duplicate_survey_depth", "surveys",
     lambda c, s, i: (c, pd.concat([s, s.iloc[[3]]], ignore_index=True), i), "depth_m = 5"),
    ("negative_depth", "surveys",
     lambda c, s, i: (c, _mutate(s, 2, depth_m=-1.0), i), "depth_m = -1 is negative"),
    ("missing_hole_id", "intervals",
     lambda c, s, i: (c, s, _mutate(i, 0, hole_id=None)), "hole_id is missing"),
    ("nan_depth", "intervals",
     lambda c, s, i: (c, s, _mutate(i, 6, to_m=np.nan)), "to_m = nan"),
    ("negative_depth", "intervals",
     lambda c, s, i: (c, s, _mutate(i, 0, from_m=-1.0)), "from_m = -1 is negative"),
    ("no_collar", "intervals",
     lambda c, s, i: (c, s, pd.concat([i, interval_table("Q", [0, 1], la_ppm=[1])],
                                      ignore_index=True)), "'Q'"),
    ("zero_length", "intervals",
     lambda c, s, i: (c, s, _mutate(i, 6, to_m=2.0)), "from_m = to_m = 2"),
    ("reversed", "intervals",
     lambda c, s, i: (c, s, _mutate(i, 6, from_m=5.0)), "from_m = 5 > to_m = 4"),
    ("overlap", "intervals",
     lambda c, s, i: (c, s, _mutate(i, 7, from_m=3.5)), "3.5-6 m of hole 'B'"),
    ("negative_grade", "intervals",
     lambda c, s, i: (c, s, _mutate(i, 6, la_ppm=-99.0)), "first: -99.0"),
    ("grade_over_100pct", "intervals",
     lambda c, s, i: (c, s, _mutate(i, 6, la_ppm=2e6)), "over 100 %"),
]


@pytest.mark.parametrize(("kind", "table", "make", "text"), CASES,
                         ids=[f"{c[1]}-{c[0]}" for c in CASES])
def test_each_error_raises_and_is_reported(kind, table, make, text):
    collars, surveys, intervals = make(*good_tables())
    with pytest.raises(DrillholeError) as info:
        Drillholes.from_tables(collars, surveys, intervals)
    message = str(info.value)
    assert kind in message and text in message
    assert isinstance(info.value, InputError)
    errors = info.value.report.errors
    assert (errors["kind"] == kind).any() and set(errors["action"]) == {"error"}

    holes, caught = build(collars, surveys, intervals, on_problem="report")
    report = holes.report
    assert not report.ok
    hit = report.problems[(report.problems["kind"] == kind)
                          & (report.problems["table"] == table)]
    assert len(hit) >= 1 and set(hit["action"]) == {"set aside"}
    assert text in " ".join(hit["detail"]) or text in message
    # Every row set aside is in the report, the warning counts them, the rest is kept.
    aside = report.set_aside
    n_aside = sum(len(v) for v in report.set_aside_rows.values())
    assert len(aside) >= n_aside > 0
    assert len(caught) == 1 and str(caught[0].message).startswith(f"{n_aside} row(s)")
    for name, original in zip(("collars", "surveys", "intervals"),
                              (collars, surveys, intervals), strict=True):
        kept = len(getattr(holes, name))
        assert kept + len(report.set_aside_rows[name]) == len(original)
        rows = report.problems.loc[(report.problems["table"] == name)
                                   & (report.problems["action"] == "set aside"), "row"]
        assert sorted(set(rows)) == sorted(original.index.get_indexer(
            report.set_aside_rows[name].index))


def test_a_set_aside_collar_takes_its_intervals():
    collars, surveys, intervals = good_tables()
    holes, _ = build(_mutate(collars, 1, length_m=0.0), surveys, intervals,
                     on_problem="report")
    assert holes.hole_ids == ["A"]
    cascade = holes.report.problems[holes.report.problems["kind"] == "hole_set_aside"]
    assert set(cascade["table"]) == {"surveys", "intervals"}
    assert len(cascade) == 3 + 5 and set(cascade["hole_id"]) == {"B"}
    assert set(holes.intervals["hole_id"]) == {"A"}


def test_default_dip_assumes_a_vertical_hole():
    collars, surveys, intervals = good_tables()
    holes, caught = build(collars, surveys[surveys["hole_id"] != "B"], intervals,
                          default_dip=-90)
    assert caught == [] and holes.report.ok
    note = holes.report.notes
    assert note["kind"].tolist() == ["default_survey"] and note["hole_id"].tolist() == ["B"]
    out = desurvey(holes, (["B"], [7.0]))
    assert out[XYZ].iloc[0].tolist() == [100.0, 0.0, 93.0]


def test_azimuth_is_normalised_and_noted():
    collars, surveys, intervals = good_tables()
    bent = surveys.copy()
    bent.loc[bent["hole_id"] == "B", "azimuth_deg"] = [405.0, -315.0, 45.0]
    holes, caught = build(collars, bent, intervals)
    assert caught == [] and holes.report.ok
    notes = holes.report.notes
    assert notes["kind"].tolist() == ["azimuth_normalised"] * 2
    assert "azimuth_deg = 405 at depth 0 m read as 45" in notes["detail"].iloc[0]
    assert holes.surveys["azimuth_deg"].between(0, 360, inclusive="left").all()
    plain = Drillholes.from_tables(collars, surveys, intervals)
    np.testing.assert_allclose(holes.desurvey_intervals()[XYZ], plain.desurvey_intervals()[XYZ])


def test_a_half_turn_between_stations_is_an_error():
    collars, surveys, intervals = good_tables()
    # Station 4 points exactly opposite to station 3 (azimuth + 180, dip sign flipped).
    flipped = _mutate(surveys, 4, azimuth_deg=225.0, dip_deg=61.0)
    with pytest.raises(DrillholeError, match="reversed_direction.*depth_m = 10"):
        Drillholes.from_tables(collars, flipped, intervals)
    holes, _ = build(collars, flipped, intervals, on_problem="report")
    assert holes.report.set_aside["kind"].tolist() == ["reversed_direction"]
    assert len(holes.surveys) == 4


def test_upward_dip_warns():
    collars, surveys, intervals = good_tables()
    holes, caught = build(collars, _mutate(surveys, 3, dip_deg=30.0), intervals)
    assert holes.report.notes["kind"].tolist() == ["upward_dip"]
    assert len(caught) == 1 and "upwards" in str(caught[0].message)


def test_interval_beyond_the_hole_is_set_aside_even_when_raising():
    collars, surveys, intervals = good_tables()
    longer = pd.concat([intervals, interval_table("A", [10.0, 12.0], la_ppm=[7.0])],
                       ignore_index=True)
    holes, caught = build(collars, surveys, longer)  # on_problem="raise"
    assert len(holes.intervals) == 10
    aside = holes.report.set_aside
    assert aside["kind"].tolist() == ["beyond_length"] and aside["row"].tolist() == [10]
    assert "10-12 m ends beyond the hole length 10 m" in aside["detail"].iloc[0]
    assert holes.report.set_aside_rows["intervals"]["la_ppm"].tolist() == [7.0]
    assert len(caught) == 1 and str(caught[0].message).startswith("1 row(s)")


def test_gaps_are_reported_but_kept():
    collars, surveys, intervals = good_tables()
    gappy = intervals.drop(index=[2, 3])  # hole A: 0-4 m, then 8-10 m
    holes, caught = build(collars, surveys, gappy)
    assert caught == [] and holes.report.ok and len(holes.intervals) == 8
    gap = holes.report.notes
    assert gap["kind"].tolist() == ["gap"] and gap["action"].tolist() == ["kept"]
    assert gap["hole_id"].tolist() == ["A"] and "gap 4-8 m (4 m)" in gap["detail"].iloc[0]


def test_message_lists_ten_problems_and_counts_the_rest():
    collars, surveys, intervals = good_tables()
    bad = intervals.copy()
    bad["la_ppm"] = -1.0
    more = pd.concat([bad, interval_table("A", np.arange(20.0, 26.0), la_ppm=[-2.0] * 5)],
                     ignore_index=True)
    with pytest.raises(DrillholeError) as info:
        Drillholes.from_tables(collars, surveys, more)
    message = str(info.value)
    assert message.startswith("15 problem(s)")
    assert message.count("\n  - ") == 10 and "... and 5 more" in message
    assert "on_problem='report'" in message
    assert len(info.value.report.errors) == 15


def test_validation_report_accessors():
    collars, surveys, intervals = good_tables()
    holes, _ = build(collars, surveys, _mutate(intervals, 0, la_ppm=-5.0),
                     on_problem="report")
    report = holes.report
    assert isinstance(report, ValidationReport) and len(report) == 1
    frame = report.to_frame()
    assert list(frame.columns) == ["hole_id", "table", "row", "kind", "level", "detail",
                                   "action"]
    assert frame.iloc[0][["hole_id", "table", "row", "level"]].tolist() == [
        "A", "intervals", 0, "error"]
    frame.loc[0, "kind"] = "changed"  # a copy
    assert report.problems.loc[0, "kind"] == "negative_grade"
    assert report.errors["kind"].tolist() == ["negative_grade"]
    assert report.summary()["count"].tolist() == [1]
    html = report._repr_html_()
    assert "negative_grade" in html and "<table" in html
    assert "1 error(s)" in repr(report)
    assert ValidationReport.empty().ok


def test_direct_construction_checks_hole_ids():
    collars, surveys, intervals = good_tables()
    with pytest.raises(InputError, match=r"hole\(s\) \['B'\] have no survey"):
        Drillholes(collars, surveys[surveys["hole_id"] == "A"], intervals)
    with pytest.raises(InputError, match="duplicate collar"):
        Drillholes(pd.concat([collars, collars]), surveys, intervals)


# ---------------------------------------------------------------------- compositing
def straddle_holes(**grades):
    edges = [0.0, 1.5, 4.0, 4.5, 6.6]
    return Drillholes.from_tables(
        collar_table(length=6.6), survey_table("A", [0.0], 0.0, -90.0),
        interval_table("A", edges, **grades))


def test_composite_weights_straddling_intervals_by_hand():
    holes = straddle_holes(ce_ppm=[10.0, 20.0, 30.0, 40.0])
    comp = composite(holes, 2.0, residual="keep")
    assert comp["from_m"].tolist() == [0.0, 2.0, 4.0, 6.0]
    np.testing.assert_allclose(comp["to_m"], [2.0, 4.0, 6.0, 6.6])
    expected = [(1.5 * 10 + 0.5 * 20) / 2, 20.0, (0.5 * 30 + 1.5 * 40) / 2, 40.0]
    np.testing.assert_allclose(comp["ce_ppm"], expected, rtol=1e-14)
    np.testing.assert_allclose(comp["elevation_m"], 100.0 - np.array([1.0, 3.0, 5.0, 6.3]))
    assert (comp["easting_m"] == 0.0).all()


def test_residual_rules():
    holes = straddle_holes(ce_ppm=[10.0, 20.0, 30.0, 40.0])
    merged = composite(holes, 2.0)  # residual 0.6 m < 1 m: merged into the one above
    np.testing.assert_allclose(merged["to_m"], [2.0, 4.0, 6.6])
    assert merged["ce_ppm"].iloc[-1] == pytest.approx((0.5 * 30 + 2.1 * 40) / 2.6, rel=1e-14)
    assert merged.attrs["dropped"] == []

    with pytest.warns(DrillholeWarning, match=r"1 residual piece\(s\) shorter than 1 m"):
        dropped = composite(holes, 2.0, residual="drop")
    assert dropped["to_m"].tolist() == [2.0, 4.0, 6.0]
    record = dropped.attrs["dropped"][0]
    assert record["from_m"] == 6.0 and record["to_m"] == pytest.approx(6.6)
    assert record["ce_ppm"] == 40.0

    # A residual of at least min_fraction * length is a composite in every mode.
    for rule in ("merge", "keep", "drop"):
        out = composite(holes, 2.0, residual=rule, min_fraction=0.25)
        np.testing.assert_allclose(out["to_m"], [2.0, 4.0, 6.0, 6.6])


def test_merge_keeps_a_run_shorter_than_the_residual_limit():
    holes = straddle_holes(ce_ppm=[10.0, 20.0, 30.0, 40.0])
    out = composite(holes, 20.0)
    assert out[["from_m", "to_m"]].to_numpy().tolist() == [[0.0, 6.6]]
    total = 1.5 * 10 + 2.5 * 20 + 0.5 * 30 + 2.1 * 40
    assert out["ce_ppm"].iloc[0] == pytest.approx(total / 6.6, rel=1e-14)


def test_nan_grades_are_left_out_of_their_own_weighting():
    holes = straddle_holes(ce_ppm=[10.0, np.nan, 30.0, 40.0], la_ppm=[1.0, 2.0, 3.0, 4.0])
    comp = composite(holes, 2.0, residual="keep", coverage=True)
    assert comp["ce_ppm"].iloc[0] == 10.0 and np.isnan(comp["ce_ppm"].iloc[1])
    assert comp["la_ppm"].iloc[0] == pytest.approx(1.25)
    assert comp["ce_ppm_length_m"].tolist()[:2] == [1.5, 0.0]
    assert comp["la_ppm_length_m"].tolist()[:2] == [2.0, 2.0]


def test_gaps_reduce_the_sampled_length():
    holes = Drillholes.from_tables(
        collar_table(length=10.0), survey_table("A", [0.0], 0.0, -90.0),
        pd.concat([interval_table("A", [0.0, 2.0], nd_ppm=[5.0]),
                   interval_table("A", [5.0, 6.0], nd_ppm=[9.0])], ignore_index=True))
    comp = composite(holes, 2.0)
    # 2-4 m holds no sample: no composite there.
    assert comp[["from_m", "to_m", "sampled_length_m", "nd_ppm"]].to_numpy().tolist() == [
        [0.0, 2.0, 2.0, 5.0], [4.0, 6.0, 1.0, 9.0]]


def _zone_of_depth(comp, boundaries):
    return np.searchsorted(boundaries, comp["from_m"], side="right"), np.searchsorted(
        boundaries, comp["to_m"], side="left")


def test_composites_break_at_stacked_zones():
    # Vertical hole from 100 m: zone A from 100 to 90 m, zone B from 90 to 70 m.
    zones = Deposit("D", [Zone("A", box(-5, -5, 5, 5), 100, 90, 2.6),
                          Zone("B", box(-5, -5, 5, 5), 90, 70, 2.6)], crs=32643)
    holes = Drillholes.from_tables(
        collar_table(length=40.0), survey_table("A", [0.0], 0.0, -90.0),
        interval_table("A", np.arange(0.0, 41.0), la_ppm=np.arange(40.0)))
    comp = composite(holes, 3.0, zones=zones)
    for zone, (top, bottom) in {"A": (0, 10), "B": (10, 30), "": (30, 40)}.items():
        part = comp[comp["zone"] == zone]
        assert part["from_m"].min() == top and part["to_m"].max() == bottom
        assert ((part["from_m"] >= top) & (part["to_m"] <= bottom)).all()
    # Zone A is 10 m: 3 + 3 + 4 (1 m residual merged).
    assert comp.loc[comp["zone"] == "A", "to_m"].tolist() == [3.0, 6.0, 10.0]
    assert comp.loc[comp["zone"] == "A", "la_ppm"].iloc[-1] == pytest.approx(7.5)


def test_composites_break_at_side_by_side_zones():
    # A hole heading east at -30 degrees crosses from zone A (x < 20) into zone B.
    zones = [Zone("A", box(-10, -10, 20, 10), 100, 0, 2.6),
             Zone("B", box(20, -10, 60, 10), 100, 0, 2.6)]
    holes = Drillholes.from_tables(
        collar_table(length=50.0), survey_table("A", [0.0], 90.0, -30.0),
        interval_table("A", np.arange(0.0, 51.0), ce_ppm=np.ones(50)))
    comp = composite(holes, 4.0, zones=zones)
    # Midpoint easting = md cos 30: interval 22-23 m (22.5 m: 19.49) is in A, 23-24 in B.
    a, b = comp[comp["zone"] == "A"], comp[comp["zone"] == "B"]
    assert a["to_m"].max() == 23.0 and b["from_m"].min() == 23.0
    assert comp["zone"].tolist() == sorted(comp["zone"].tolist())  # A... then B...
    assert (comp["sampled_length_m"] == comp["length_m"]).all()


def test_zone_column_breaks_composites():
    intervals = interval_table("A", np.arange(0.0, 11.0), ce_ppm=np.arange(10.0))
    intervals["lith"] = ["ox"] * 4 + ["fresh"] * 6
    holes = Drillholes.from_tables(collar_table(length=10.0),
                                   survey_table("A", [0.0], 0.0, -90.0), intervals)
    comp = composite(holes, 3.0, zone_column="lith")
    assert comp[["from_m", "to_m"]].to_numpy().tolist() == [[0, 4], [4, 7], [7, 10]]
    assert comp["lith"].tolist() == ["ox", "fresh", "fresh"]


def test_composite_input_errors():
    holes = straddle_holes(ce_ppm=[10.0, 20.0, 30.0, 40.0])
    with pytest.raises(InputError, match="must be > 0"):
        composite(holes, 0.0)
    with pytest.raises(InputError, match="unknown residual rule 'split'"):
        composite(holes, 2.0, residual="split")
    with pytest.raises(InputError, match="not both"):
        composite(holes, 2.0, zones=[Zone("A", box(0, 0, 1, 1), 1, 0, 2.5)], zone_column="x")
    with pytest.raises(InputError, match=r"\['nd_ppm'\]"):
        composite(holes, 2.0, grades=["nd_ppm"])
    with pytest.raises(InputError, match="min_fraction"):
        composite(holes, 2.0, min_fraction=1.5)


@st.composite
def interval_sets(draw):
    n_holes = draw(st.integers(1, 3))
    tables = []
    for h in range(n_holes):
        lengths = draw(st.lists(st.floats(0.05, 5.0), min_size=1, max_size=12))
        top = draw(st.floats(0.0, 3.0))
        edges = top + np.concatenate([[0.0], np.cumsum(lengths)])
        grades = draw(st.lists(st.floats(0.0, 5000.0), min_size=len(lengths),
                               max_size=len(lengths)))
        tables.append(interval_table(f"H{h}", edges, tree_ppm=grades))
    return pd.concat(tables, ignore_index=True)


@settings(max_examples=40, deadline=None)
@given(intervals=interval_sets(), length=st.floats(0.3, 8.0), rule=st.sampled_from(
    ["merge", "keep"]), min_fraction=st.floats(0.0, 1.0))
def test_composites_conserve_length_times_grade(intervals, length, rule, min_fraction):
    ids = intervals["hole_id"].unique()
    ends = intervals.groupby("hole_id")["to_m"].max().to_numpy()
    collars = pd.DataFrame({"hole_id": ids, "easting_m": 0.0, "northing_m": 0.0,
                            "elevation_m": 100.0, "length_m": ends})
    surveys = pd.DataFrame({"hole_id": ids, "depth_m": 0.0, "azimuth_deg": 0.0,
                            "dip_deg": -70.0})
    holes = Drillholes.from_tables(collars, surveys, intervals)
    comp = composite(holes, length, residual=rule, min_fraction=min_fraction)
    before = np.sum((intervals["to_m"] - intervals["from_m"]) * intervals["tree_ppm"])
    after = np.sum(comp["length_m"] * comp["tree_ppm"])
    assert after == pytest.approx(before, rel=1e-12, abs=1e-9)
    assert comp["length_m"].sum() == pytest.approx(
        (intervals["to_m"] - intervals["from_m"]).sum(), rel=1e-12)
    assert (comp["length_m"] <= length * (1 + min_fraction) + 1e-9).all()


@settings(max_examples=25, deadline=None)
@given(intervals=interval_sets(), length=st.floats(0.3, 8.0),
       drop=st.lists(st.booleans(), min_size=40, max_size=40))
def test_composites_conserve_metal_across_gaps(intervals, length, drop):
    keep = ~np.array(drop[: len(intervals)])
    keep[intervals.groupby("hole_id").head(1).index] = True  # every hole keeps one
    intervals = intervals[keep].reset_index(drop=True)
    ids = intervals["hole_id"].unique()
    collars = pd.DataFrame({"hole_id": ids, "easting_m": 0.0, "northing_m": 0.0,
                            "elevation_m": 100.0,
                            "length_m": intervals.groupby("hole_id")["to_m"].max().to_numpy()})
    surveys = pd.DataFrame({"hole_id": ids, "depth_m": 0.0, "azimuth_deg": 0.0,
                            "dip_deg": -90.0})
    holes = Drillholes.from_tables(collars, surveys, intervals)
    comp = composite(holes, length, residual="keep")
    sampled = intervals["to_m"] - intervals["from_m"]
    assert comp["sampled_length_m"].sum() == pytest.approx(sampled.sum(), rel=1e-12)
    assert np.sum(comp["sampled_length_m"] * comp["tree_ppm"]) == pytest.approx(
        np.sum(sampled * intervals["tree_ppm"]), rel=1e-12, abs=1e-9)
    assert (comp["sampled_length_m"] > 0).all()
    assert (comp["sampled_length_m"] <= comp["length_m"] * (1 + 1e-12)).all()


# -------------------------------------------------------------------------- top-cut
def test_topcut_numbers_against_numpy(rng):
    z = rng.lognormal(6.5, 0.8, 300)
    w = rng.uniform(0.5, 2.0, 300)
    caps = [800.0, 1500.0, 3000.0]
    table = topcut_analysis(z, caps=caps, weights=w, unit="ppm")
    assert list(table.columns) == ["percentile", "cap_ppm", "n_capped", "mean_before_ppm",
                                   "mean_after_ppm", "cv_before", "cv_after",
                                   "metal_removed_frac"]
    mean = np.average(z, weights=w)
    cv = np.sqrt(np.average((z - mean) ** 2, weights=w)) / mean
    for row, c in zip(table.itertuples(), caps, strict=True):
        zc = np.minimum(z, c)
        mc = np.average(zc, weights=w)
        assert row.cap_ppm == c and row.n_capped == np.count_nonzero(z > c)
        assert row.mean_before_ppm == pytest.approx(mean, rel=1e-12)
        assert row.mean_after_ppm == pytest.approx(mc, rel=1e-12)
        assert row.cv_before == pytest.approx(cv, rel=1e-12)
        assert row.cv_after == pytest.approx(
            np.sqrt(np.average((zc - mc) ** 2, weights=w)) / mc, rel=1e-12)
        assert row.metal_removed_frac == pytest.approx(
            1 - np.sum(w * zc) / np.sum(w * z), rel=1e-10)
        assert row.percentile == pytest.approx(100 * w[z <= c].sum() / w.sum())


def test_percentile_caps_are_inverted_cdf_quantiles(rng):
    z = np.arange(1.0, 11.0)
    table = topcut_analysis(z, percentiles=[90, 95, 100], unit="ppm")
    assert table["cap_ppm"].tolist() == [9.0, 10.0, 10.0]
    assert table["n_capped"].tolist() == [1, 0, 0]
    values = rng.lognormal(5, 1, 257)
    pct = [90, 95, 97.5, 99, 99.5, 99.9]
    got = topcut_analysis(values, percentiles=pct, unit="ppm")["cap_ppm"]
    np.testing.assert_array_equal(got, np.percentile(values, pct, method="inverted_cdf"))


def test_integer_weights_act_as_repeated_samples(rng):
    z = rng.lognormal(5, 1, 60)
    counts = rng.integers(1, 4, 60)
    weighted = topcut_analysis(z, weights=counts, unit="ppm")
    repeated = topcut_analysis(np.repeat(z, counts), unit="ppm")
    cols = ["percentile", "cap_ppm", "mean_before_ppm", "mean_after_ppm", "cv_before",
            "cv_after", "metal_removed_frac"]
    np.testing.assert_allclose(weighted[cols], repeated[cols], rtol=1e-12)
    # Lengths multiply the declustering weights.
    half = topcut_analysis(z, weights=counts / 2, lengths=np.full(60, 2.0), unit="ppm")
    np.testing.assert_allclose(half[cols], weighted[cols], rtol=1e-12)


@pytest.mark.skipif(int(np.__version__.split(".")[0]) < 2, reason="numpy 2 weighted quantiles")
def test_weighted_percentile_matches_numpy(rng):
    z = rng.lognormal(5, 1, 200)
    w = rng.uniform(0.1, 3.0, 200)
    pct = [50, 90, 99]
    got = topcut_analysis(z, weights=w, percentiles=pct, unit="ppm")["cap_ppm"]
    expected = np.percentile(z, pct, weights=w, method="inverted_cdf")
    np.testing.assert_array_equal(got, expected)


def test_cap_values():
    z = np.array([100.0, 900.0, np.nan, 400.0])
    np.testing.assert_array_equal(cap(z, cap=500.0), [100.0, 500.0, np.nan, 400.0])
    np.testing.assert_array_equal(cap(z, percentile=50), [100.0, 400.0, np.nan, 400.0])
    # Weights move the percentile: the heavy high value makes it the median.
    np.testing.assert_array_equal(cap(z, percentile=50, weights=[1, 5, 1, 1]),
                                  [100.0, 900.0, np.nan, 400.0])
    series = pd.Series([1.0, 5.0], index=[7, 8], name="nd_pct")
    out = cap(series, cap=2.0)
    assert isinstance(out, pd.Series) and out.name == "nd_pct" and out.index.tolist() == [7, 8]
    assert out.tolist() == [1.0, 2.0]


def test_topcut_reads_the_unit_from_the_name_and_skips_nan():
    series = pd.Series([1.0, 2.0, np.nan, 4.0], name="treo_pct")
    with pytest.warns(DrillholeWarning, match="1 NaN"):
        table = topcut_analysis(series, caps=[3.0])
    assert table["mean_before_pct"].iloc[0] == pytest.approx(7 / 3)


def test_topcut_and_cap_errors():
    with pytest.raises(InputError, match="exactly one of cap"):
        cap([1.0, 2.0], cap=1.0, percentile=50)
    with pytest.raises(InputError, match="exactly one of cap"):
        cap([1.0, 2.0])
    with pytest.raises(InputError, match=r"1 negative value\(s\) \(first: -3.0"):
        cap([1.0, -3.0], cap=2.0)
    with pytest.raises(InputError, match=r"negative value\(s\)"):
        topcut_analysis([1.0, -3.0], unit="ppm")
    with pytest.raises(InputError, match="over 100 %"):
        topcut_analysis([1.0, 150.0], unit="%")
    with pytest.raises(InputError, match="caps must be >= 0"):
        topcut_analysis([1.0, 2.0], caps=[-1.0], unit="ppm")
    with pytest.raises(InputError, match=r"percentiles must be in \[0, 100\]"):
        topcut_analysis([1.0, 2.0], percentiles=[101], unit="ppm")
    with pytest.raises(InputError, match="unit is needed"):
        topcut_analysis([1.0, 2.0])
    with pytest.raises(InputError, match="weights has 1 negative"):
        topcut_analysis([1.0, 2.0], weights=[1.0, -1.0], unit="ppm")
