"""Tests for raremin.reporting: summary tables, safe CSV cells, safe Markdown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from raremin.errors import InputError
from raremin.grid import BlockGrid, BlockModel
from raremin.reporting import (
    CODES,
    STATEMENT_ROWS,
    csv_safe,
    markdown_text,
    resource_statement,
    round_significant,
    summary_table,
    text_table,
)
from raremin.tonnage import grade_tonnage


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("=1+1", "'=1+1"), ("+SUM(A1:A9)", "'+SUM(A1:A9)"), ("-2+3", "'-2+3"),
     ("@cmd", "'@cmd"), ("\tx", "'\tx"), ("Irgiz", "Irgiz"), ("Dos 2", "Dos 2")],
)
def test_csv_cells_cannot_be_formulas(cell, expected):
    frame = pd.DataFrame({"zone": [cell], "tonnage_t": [-1.0]})
    out = csv_safe(frame)
    assert out["zone"].iloc[0] == expected
    assert out["tonnage_t"].iloc[0] == -1.0  # numbers stay numbers


@given(st.text(max_size=40))
def test_property_markdown_text_is_one_line_without_active_markup(text):
    safe = markdown_text(text)
    assert "\n" not in safe and "\r" not in safe
    unescaped = safe.replace("\\\\", "")
    for ch in "[]`*<>|#":
        assert all(unescaped[i - 1] == "\\" for i, c in enumerate(unescaped) if c == ch)


def _table():
    grade = np.array([0.5, 1.5, 0.8, np.nan])
    ce = np.array([200.0, np.nan, np.nan, np.nan])
    return grade_tonnage(grade, 100.0, [0.0, 1.0], unit="pct", basis="element",
                         grade_name="cu", others={"ce_ppm": ce},
                         groups=np.array([0, 0, 1, 1]), group_names=["A", "B"])


def test_summary_totals_coverage_and_not_estimated():
    table = summary_table(_table(), contained={"cu_t": "contained", "ce_t": "ce_ppm"})
    rows = table.set_index(["zone", "cutoff_pct"])
    assert rows.loc[("A", 0.0), "tonnage_t"] == 200.0
    assert rows.loc[("A", 0.0), "cu_t"] == pytest.approx(2.0)
    assert rows.loc[("A", 0.0), "ce_coverage"] == 0.5
    assert rows.loc[("A", 0.0), "ce_t"] == pytest.approx(200e-6 * 100)
    assert np.isnan(rows.loc[("B", 0.0), "ce_t"])  # Ce estimated nowhere in B: unknown
    assert rows.loc[("B", 0.0), "not_estimated_t"] == 100.0
    total = rows.loc[("Total", 0.0)]
    assert total["tonnage_t"] == 300.0 and total["cu_t"] == pytest.approx(2.8)
    assert total["cu_pct"] == pytest.approx(2.8 / 300 / 0.01)
    assert total["ce_coverage"] == pytest.approx(100 / 300)
    assert total["not_estimated_t"] == 100.0


def test_text_table_scales_tonnes():
    table = summary_table(_table(), contained={"cu_t": "contained"})
    text = text_table(table)
    assert "tonnage_Mt" in text and "cu_kt" in text and "not_estimated_Mt" in text


# ------------------------------------------------------------------------ statements


def _model(tonnes, grades, classes, zones=None, names=("A",)):
    """Blocks of 1,000 m3 at density tonnes / 1000 (so each has its given tonnes)."""
    n = len(tonnes)
    grid = BlockGrid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0), (n, 1, 1))
    zone = np.zeros(n, dtype=np.int8) if zones is None else np.asarray(zones, dtype=np.int8)
    arrays = {"density_t_m3": np.asarray(tonnes, dtype=float) / 1000.0,
              "resource_class": np.asarray(classes, dtype=np.int8)}
    arrays.update({k: np.asarray(v, dtype=float) for k, v in grades.items()})
    return BlockModel(grid, list(names), np.arange(n), zone, np.ones(n), arrays)


def test_contained_quantities_are_computed_before_rounding():
    # 4.86 Mt at 3.16 % Cu: published as 4.9 Mt at 3.2 %, and 0.15 Mt of copper (from
    # the unrounded 0.1536 Mt), not the 0.16 Mt that 4.9 x 3.2 % would give.
    model = _model([4.86e6], {"cu_pct": [3.16]}, [2])
    s = resource_statement(model, "cu_pct", 0.0,
                           figures={"tonnage": 2, "contained": 2, "grade": 2})
    row = s.rounded().set_index("class").loc["Indicated"]
    assert (row["tonnage_t"], row["cu_pct"], row["cu_t"]) == (4.9e6, 3.2, 1.5e5)
    assert s.table.set_index("class").loc["Indicated", "cu_t"] == pytest.approx(153_576.0)


def test_measured_plus_indicated_sums_its_rows_and_never_takes_inferred(rng):
    tonnes = rng.uniform(1e5, 1e6, 30)
    grade = rng.uniform(0.05, 0.3, 30)
    classes = rng.integers(0, 4, 30)
    s = resource_statement(_model(tonnes, {"treo_pct": grade}, classes), "treo_pct", 0.1)
    t = s.table.set_index("class")
    above = grade >= 0.1
    for label, codes in (("Measured", [1]), ("Indicated", [2]),
                         ("Measured + Indicated", [1, 2]), ("Inferred", [3]),
                         ("Total", [1, 2, 3])):
        mask = above & np.isin(classes, codes)
        assert t.loc[label, "tonnage_t"] == pytest.approx(tonnes[mask].sum(), rel=1e-12)
        assert t.loc[label, "treo_t"] == pytest.approx(
            (tonnes * grade / 100)[mask].sum(), rel=1e-12)
    assert t.loc["Measured + Indicated", "tonnage_t"] == pytest.approx(
        t.loc["Measured", "tonnage_t"] + t.loc["Indicated", "tonnage_t"], rel=1e-12)
    # only Inferred blocks: Measured + Indicated is empty
    only = resource_statement(_model(tonnes, {"treo_pct": grade}, np.full(30, 3)),
                              "treo_pct", 0.0).table.set_index("class")
    assert only.loc["Measured + Indicated", "tonnage_t"] == 0.0
    assert only.loc["Inferred", "tonnage_t"] == pytest.approx(tonnes.sum())
    assert list(s.table["class"]) == list(STATEMENT_ROWS)


@pytest.mark.parametrize(("tonnes", "adds_up"), [
    ([1.0e6, 2.0e6, 5.0e5], True),      # exact at 3 significant figures
    ([1.234e6, 1.234e6, 5.0e5], False),  # 1.23 + 1.23 Mt published, M + I 2.47 Mt
])
def test_the_rounding_note_appears_exactly_when_rows_do_not_add(tonnes, adds_up):
    s = resource_statement(_model(tonnes, {"cu_pct": [1.0, 1.0, 1.0]}, [1, 2, 3]),
                           "cu_pct", 0.0)
    r = s.rounded().set_index("class")
    sums = (r.loc["Measured", "tonnage_t"] + r.loc["Indicated", "tonnage_t"]
            == r.loc["Measured + Indicated", "tonnage_t"])
    assert s.adds_up is adds_up and bool(sums) is adds_up
    assert ("Totals may not add due to rounding." in s.notes) is (not adds_up)


def test_zones_together_and_the_statement_outputs(tmp_path):
    model = _model([1e6, 2e6, 3e6, 4e6], {"cu_pct": [0.5, 1.0, 1.5, 2.0]}, [1, 2, 3, 1],
                   zones=[0, 0, 1, 1], names=("North", "South"))
    s = resource_statement(model, "cu_pct", [0.0, 1.0], code="NI 43-101",
                           price_basis="USD 9,000/t Cu")
    assert list(pd.unique(s.table["zone"])) == ["North", "South", "All zones"]
    whole = s.table[(s.table["zone"] == "All zones") & (s.table["class"] == "Total")]
    assert whole["tonnage_t"].tolist() == [1e7, 9e6]
    assert whole["cu_pct"].iloc[0] == pytest.approx((0.5 + 2 + 4.5 + 8) / 10)
    assert "NI 43-101" in s.title and "USD 9,000/t Cu" in s.title and "1 % Cu" in s.title
    assert CODES["NI 43-101"]["caveat"] in s.notes
    md = s.to_markdown()
    assert md.startswith("## Mineral Resource estimate prepared under NI 43-101")
    assert "| Tonnage (Mt) |" in md and "Cu (%)" in md
    s.to_csv(tmp_path / "s.csv")
    back = pd.read_csv(tmp_path / "s.csv")
    assert back["tonnage_t"].tolist() == s.rounded()["tonnage_t"].tolist()
    assert len(s._repr_html_()) < 20_000 and len(repr(s)) < 600


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"code": "SAMREC"}, "code must be one of"),
    ({"cutoff_grade": "zn_pct"}, "not a grade array"),
    ({"classes": "missing"}, "no class array"),
    ({"classes": np.array([0, 5])}, "one code per parcel"),
    ({"grades": ["au_gpt"]}, r"grades \['au_gpt'\] are not arrays"),
    ({"zones": ["West"]}, r"zones \['West'\] are not in the model"),
    ({"cutoffs": -1.0}, "cutoffs must be finite grades >= 0"),
])
def test_statement_bad_input(kwargs, match):
    model = _model([1e6, 2e6], {"cu_pct": [0.5, 1.0]}, [1, 2])
    args = {"cutoff_grade": "cu_pct", "cutoffs": 0.0, **kwargs}
    with pytest.raises(InputError, match=match):
        resource_statement(model, **args)


def test_round_significant_table():
    assert round_significant([4_862_000.0, 0.03164, 0.0, np.nan, -153.6, 999.6], 3).tolist()[
        :3] == [4_860_000.0, 0.0316, 0.0]
    out = round_significant([np.nan, -153.6, 999.6], 2)
    assert np.isnan(out[0]) and out[1:].tolist() == [-150.0, 1000.0]
    with pytest.raises(InputError):
        round_significant([1.0], 0)


def test_statement_to_excel_reads_back(tmp_path):
    pytest.importorskip("openpyxl")
    model = _model([1.234e6, 2.0e6, 5.0e5], {"cu_pct": [1.0, 0.8, 0.6]}, [1, 2, 3])
    s = resource_statement(model, "cu_pct", 0.0)
    s.to_excel(tmp_path / "s.xlsx")
    sheets = pd.read_excel(tmp_path / "s.xlsx", sheet_name=None)
    assert list(sheets) == ["statement", "unrounded", "notes"]
    assert sheets["unrounded"]["tonnage_t"].tolist() == s.table["tonnage_t"].tolist()
    assert sheets["statement"]["Tonnage (Mt)"].tolist() == pytest.approx(
        (s.rounded()["tonnage_t"] / 1e6).tolist())
    assert sheets["notes"]["note"].iloc[0] == s.title


def test_a_grade_estimated_on_part_of_the_tonnage_is_said_so():
    model = _model([1e6, 3e6], {"cu_pct": [1.0, 0.8], "au_gpt": [2.0, np.nan]}, [2, 2])
    s = resource_statement(model, "cu_pct", 0.0, grades=["cu_pct", "au_gpt"])
    row = s.table.set_index("class").loc["Indicated"]
    assert row["au_gpt"] == 2.0 and row["au_t"] == pytest.approx(1e6 * 2e-6)
    assert any(n.startswith("Au (g/t) is estimated on 25 % of the reported tonnage")
               for n in s.notes)
    assert not any(n.startswith("Cu (%)") for n in s.notes)
