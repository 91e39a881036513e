"""Tests for raremin.preparation: users' tables to estimation samples, steps counted."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from shapely import box

from raremin.deposit import Deposit, Zone
from raremin.errors import CRSError, InputError
from raremin.preparation import prepare_drillholes_samples, prepare_samples


def _holes(hole_ids=("D1", "D2"), assay_ids=None):
    collars = pd.DataFrame({"BHID": list(hole_ids), "East": [10.0, 30.0],
                            "North": [10.0, 10.0], "RL": [100.0, 100.0]})
    surveys = pd.DataFrame({"BHID": list(hole_ids), "At": [0.0, 0.0], "Azi": [0.0, 0.0],
                            "Dip": [-90.0, -90.0]})
    ids = list(assay_ids or hole_ids)
    assays = pd.DataFrame({"BHID": np.repeat(ids, 4), "From": np.tile([0.0, 2.0, 4.0, 6.0], 2),
                           "To": np.tile([2.0, 4.0, 6.0, 8.0], 2),
                           "Cu_pct": [0.5, "<0.01", 0.7, 0.9, 1.0, 1.2, -0.001, 0.8],
                           "Mo_ppm": [-5.0, 12.0, 15.0, -99.0, 20.0, 22.0, 18.0, 16.0]})
    return collars, surveys, assays


def test_drillhole_exports_to_composites_counting_every_step():
    prep = prepare_drillholes_samples(*_holes(), composite_length_m=4.0)
    s = prep.samples
    assert list(s["hole_id"]) == ["D1", "D1", "D2", "D2"]
    np.testing.assert_allclose(s["cu_pct"], [(0.5 + 0.005) / 2, 0.8, 1.1, (0.0005 + 0.8) / 2])
    # One Mo -99 is missing for Mo only: the Cu of that interval is kept.
    np.testing.assert_allclose(s["mo_ppm"], [(2.5 + 12) / 2, 15.0, 21.0, 17.0])
    assert prep.count("below detection") == 3 and prep.count("missing codes") == 1
    assert prep.grades == ("cu_pct", "mo_ppm")
    assert prep.settings["composite_length_m"] == 4.0
    assert prep.count("composited") == 4


def test_integer_hole_ids_in_collars_match_text_in_assays():
    collars, surveys, assays = _holes(hole_ids=(12, 13))
    assays["BHID"] = assays["BHID"].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prep = prepare_drillholes_samples(collars, surveys, assays, composite_length_m=None)
    assert sorted(prep.samples["hole_id"].unique()) == ["12", "13"]
    assert len(prep.samples) == 8


def test_auto_composite_length_is_the_most_common_interval():
    prep = prepare_drillholes_samples(*_holes(), composite_length_m="auto")
    assert prep.settings["composite_length_m"] == 2.0
    assert "the most common assayed interval length" in prep.to_frame().iloc[-1]["detail"]


def test_zone_aware_composites_carry_their_zone():
    dep = Deposit("D", [Zone("A", box(0, 0, 20, 20), 100, 95, 2.6),
                        Zone("B", box(0, 0, 20, 20), 95, 90, 2.6)], crs=32612)
    prep = prepare_drillholes_samples(*_holes(), deposit=dep, composite_length_m=4.0)
    d1 = prep.samples[prep.samples["hole_id"] == "D1"]
    # Intervals go to the zone of their midpoint (4-6 m: 95 m, the contact, goes to A);
    # a composite never spans the change of zone.
    assert list(d1["zone"]) == ["A", "A", "B"]
    assert list(d1["from_m"]) == [0.0, 4.0, 6.0] and list(d1["to_m"]) == [4.0, 6.0, 8.0]


def test_topcuts_count_values_and_metal_removed():
    prep = prepare_drillholes_samples(*_holes(), composite_length_m=None,
                                      topcuts={"cu_pct": 0.9})
    step = prep.to_frame().set_index("step").loc["top-cut"]
    assert step["count"] == 2 and "cu_pct capped at 0.9" in step["detail"]
    assert prep.samples["cu_pct"].max() == 0.9
    with pytest.raises(InputError, match="top-cut for 'au_ppm'"):
        prepare_drillholes_samples(*_holes(), composite_length_m=None, topcuts={"au_ppm": 1})


def test_samples_are_reprojected_and_checked():
    frame = pd.DataFrame({"lon": [-110.5, -110.49], "lat": [32.75, 32.76], "z": [0.0, 1.0],
                          "cu_pct": [0.3, 0.4]})
    prep = prepare_samples(frame, mapping={"easting_m": "lon", "northing_m": "lat"},
                           crs="EPSG:4326", target_crs="EPSG:26912")
    assert prep.count("reprojected") == 2
    assert 500_000 < prep.samples["easting_m"].iloc[0] < 560_000
    with pytest.raises(CRSError, match="cannot be reprojected"):
        prepare_samples(frame.assign(lat=[95.0, 95.0]),
                        mapping={"easting_m": "lon", "northing_m": "lat"},
                        crs="EPSG:4326", target_crs="EPSG:26912")


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame(), "no rows"),
        (pd.DataFrame({"x": [1.0], "y": [1.0], "z": [1.0], "hole": ["a"]}),
         "no grade column raremin can read"),
        (pd.DataFrame({"x": [1.0], "y": ["a"], "z": [1.0], "cu_pct": [1.0]}),
         "non-numeric northing_m"),
        (pd.DataFrame({"x": [1.0], "y": [1.0], "z": [1.0], "cu_pct": ["abc"]}),
         "unreadable value"),
        (pd.DataFrame({"x": [1.0], "y": [1.0], "z": [1.0], "nd_ppm": [2e6]}),
         "over 100 %"),
    ],
)
def test_bad_sample_tables(frame, match):
    with pytest.raises(InputError, match=match):
        prepare_samples(frame)


def test_unreadable_grade_columns_are_named_in_the_steps():
    frame = pd.DataFrame({"x": [1.0], "y": [1.0], "z": [1.0], "cu_pct": [0.5],
                          "recovery_pct": [90.0]})
    with pytest.warns(UserWarning, match="recovery_pct"):
        prep = prepare_samples(frame)
    assert prep.count("unreadable grade columns") == 1
    mapped = prepare_samples(frame.rename(columns={"recovery_pct": "Au_FA_ppm"}),
                             grades={"Au_FA_ppm": "au_ppm"})
    assert mapped.grades == ("cu_pct", "au_ppm")
