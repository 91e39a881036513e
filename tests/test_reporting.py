"""Tests for raremin.reporting: summary tables, safe CSV cells, safe Markdown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from raremin.reporting import csv_safe, markdown_text, summary_table, text_table
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
