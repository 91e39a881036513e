"""Tests for raremin.workflow: the assessment chain on synthetic and bundled data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely import box

import raremin
from raremin.deposit import Deposit, Zone
from raremin.errors import InputError
from raremin.workflow import assess, basket_arrays

ELEMENT_PPM = {"la": 200.0, "ce": 400.0, "pr": 40.0, "nd": 150.0, "sm": 25.0, "eu": 5.0,
               "gd": 20.0, "tb": 3.0, "dy": 16.0, "ho": 3.5, "er": 10.0, "tm": 1.5,
               "yb": 9.0, "lu": 1.4, "y": 100.0}


def _samples(rng, n, lo, hi, zone):
    xyz = rng.uniform(lo, hi, size=(n, 3))
    frame = pd.DataFrame(xyz, columns=["easting_m", "northing_m", "elevation_m"])
    frame["zone"] = zone
    for el, ppm in ELEMENT_PPM.items():
        frame[f"{el}_ppm"] = ppm
    return frame


def test_constant_grades_give_exact_contained_quantities(rng):
    dep = Deposit("D", [Zone("A", box(0, 0, 200, 100), 50, 0, 2.5),
                        Zone("B", box(300, 0, 400, 100), 50, 0, 2.7)], crs=32643)
    samples = pd.concat([_samples(rng, 80, [0, 0, 0], [200, 100, 50], "A"),
                         _samples(rng, 40, [300, 0, 0], [400, 100, 50], "B")])
    result = assess(dep, samples, block_size=(25, 25, 10), cutoffs=[0.0, 0.1, 0.2],
                    estimator="idw")
    tree_ppm = sum(ELEMENT_PPM.values())
    treo_ppm = sum(ppm * raremin.oxide_factor(el.capitalize()) for el, ppm in ELEMENT_PPM.items())
    s = result.summary
    a0 = s[(s["zone"] == "A") & (s["cutoff_pct"] == 0.0)].iloc[0]
    assert a0["tonnage_t"] == pytest.approx(200 * 100 * 50 * 2.5, rel=1e-12)
    assert a0["tree_t"] == pytest.approx(a0["tonnage_t"] * tree_ppm * 1e-6, rel=1e-12)
    assert a0["treo_t"] == pytest.approx(a0["tonnage_t"] * treo_ppm * 1e-6, rel=1e-12)
    assert a0["treo_pct"] == pytest.approx(treo_ppm / 1e4, rel=1e-12)
    ndpr = (150.0 * raremin.oxide_factor("Nd") + 40.0 * raremin.oxide_factor("Pr")) * 1e-6
    assert a0["ndpr_oxide_t"] == pytest.approx(a0["tonnage_t"] * ndpr, rel=1e-12)
    # TREO is 0.118 %: nothing is above the 0.2 % cut-off.
    assert s[(s["zone"] == "A") & (s["cutoff_pct"] == 0.2)]["tonnage_t"].iloc[0] == 0.0
    total = s[(s["zone"] == "Total") & (s["cutoff_pct"] == 0.0)].iloc[0]
    assert total["tonnage_t"] == pytest.approx(dep.tonnage_t, rel=1e-12)
    assert result.basis == "oxide" and result.cutoff_grade == "treo"
    assert any("oxide basis" in note for note in result.notes)


def test_element_basis_uses_tree_as_cutoff_grade(rng):
    dep = Deposit("D", [Zone("A", box(0, 0, 100, 100), 50, 0, 2.5)], crs=32643)
    samples = _samples(rng, 50, [0, 0, 0], [100, 100, 50], "A")
    result = assess(dep, samples, block_size=25, cutoffs=[0.0, 0.1], basis="element",
                    estimator="idw")
    assert result.cutoff_grade == "tree"
    assert "tree_pct" in result.summary.columns


def test_outside_samples_are_counted_and_zones_assigned_when_missing(rng):
    dep = Deposit("D", [Zone("A", box(0, 0, 100, 100), 50, 0, 2.5)], crs=32643)
    inside = _samples(rng, 40, [0, 0, 0], [100, 100, 50], "A").drop(columns="zone")
    outside = _samples(rng, 7, [500, 500, 0], [600, 600, 50], "").drop(columns="zone")
    result = assess(dep, pd.concat([inside, outside]), block_size=25, cutoffs=[0.0],
                    estimator="idw")
    assert result.samples_outside == 7
    assert any("7 sample(s) outside" in note for note in result.notes)


def test_workflow_errors(rng):
    dep = Deposit("D", [Zone("A", box(0, 0, 100, 100), 50, 0, 2.5)], crs=32643)
    samples = _samples(rng, 20, [0, 0, 0], [100, 100, 50], "A")
    with pytest.raises(InputError, match="no element grade columns"):
        assess(dep, samples[["easting_m", "northing_m", "elevation_m", "zone"]])
    with pytest.raises(InputError, match="strictly increasing"):
        assess(dep, samples, cutoffs=[0.1, 0.05])
    with pytest.raises(InputError, match=r"zone\(s\) \['A'\] have no samples"):
        assess(dep, samples.assign(zone="B"), estimator="idw")
    with pytest.raises(InputError, match="zone 'A' has 0 sample"):
        assess(dep, samples.assign(zone="B"))
    with pytest.raises(InputError, match="could not fit a variogram to zone 'A'"):
        assess(dep, samples)
    with pytest.raises(InputError, match="unknown estimator 'ok'"):
        assess(dep, samples, estimator="ok")
    with pytest.raises(InputError, match="no element grade arrays"):
        basket_arrays({"density_t_m3": np.ones(3)})


def test_bundled_kuirektykol_calibration():
    """The acceptance figures: TREE at zero cut-off within 10 % of the public totals."""
    data = raremin.load_kuirektykol()
    dep = Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    result = assess(dep, data.samples)
    s = result.summary
    zero = s[s["cutoff_pct"] == 0.0].set_index("zone")
    assert zero.loc["Irgiz", "tree_t"] == pytest.approx(0.80e6, rel=0.10)
    assert zero.loc["Total", "tree_t"] == pytest.approx(0.94e6, rel=0.10)
    # Oxide basis is 14-27 % higher than element basis for rare-earth mixes.
    ratio = zero.loc["Total", "treo_t"] / zero.loc["Total", "tree_t"]
    assert 1.14 < ratio < 1.27
    assert result.samples_outside > 0
    assert float(np.nansum(result.curve.not_estimated_t)) == 0.0


@pytest.mark.parametrize("zone", ["Irgiz", "Dos 2"])
def test_kuirektykol_leave_one_out_kriging_acceptance(zone):
    """Acceptance: LOO ordinary kriging, mean error within 2 % of the mean, slope 0.8-1.2."""
    from raremin.geostats.crossval import cross_validate
    from raremin.workflow import kriging_estimator, zone_variogram

    samples = raremin.load_kuirektykol().samples
    rows = samples[samples["zone"] == zone]
    elements = [c for c in rows.columns if c.endswith("_ppm")]
    xyz = rows[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    tree = rows[elements].sum(axis=1).to_numpy()
    cv = cross_validate(kriging_estimator(zone_variogram(xyz, tree)), xyz, tree)
    summary = cv.summary
    assert summary["n_estimated"] == len(rows)
    assert abs(summary["mean_error"]) < 0.02 * tree.mean()
    assert 0.8 < summary["slope"] < 1.2
    assert summary["correlation"] > 0.7


def test_kuirektykol_kriging_and_idw_agree_on_tonnage_above_cutoff():
    data = raremin.load_kuirektykol()
    dep = Deposit.from_geodataframe(data.zones, name="Kuirektykol")
    results = {name: assess(dep, data.samples, cutoffs=[0.0, 0.1], estimator=name,
                            block_size=(50, 50, 10))
               for name in ("kriging", "idw")}
    tables = {name: r.summary.set_index(["zone", "cutoff_pct"]) for name, r in results.items()}
    for zone in ("Irgiz", "Dos 2", "Total"):
        k = tables["kriging"].loc[(zone, 0.1), "tonnage_t"]
        i = tables["idw"].loc[(zone, 0.1), "tonnage_t"]
        assert k == pytest.approx(i, rel=0.1)
        # At zero cut-off both carry the whole zone tonnage.
        assert tables["kriging"].loc[(zone, 0.0), "tonnage_t"] == pytest.approx(
            tables["idw"].loc[(zone, 0.0), "tonnage_t"], rel=1e-12)
