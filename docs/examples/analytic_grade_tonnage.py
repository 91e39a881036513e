"""
Analytic grade-tonnage of a rare-earth zone from a grade distribution.

Run after ``pip install .``: ``python docs/examples/analytic_grade_tonnage.py``.
Prints the grade-tonnage table of a zone of 300 Mt whose TREO grades follow a
lognormal with mean 0.15 % and coefficient of variation 0.6, and the NdPr oxide it
holds when NdPr is 20 % of TREO.
"""

import numpy as np

import raremin

treo = raremin.Lognormal.from_mean_cv(0.15, 0.6, unit="pct", basis="oxide", name="treo")
gt = raremin.analytic_grade_tonnage(treo, 300e6, np.arange(0.0, 0.31, 0.05))
table = gt.to_frame()
table["ndpr_oxide_t"] = 0.20 * table["contained_t"]
print(table.round(3).to_string(index=False))
