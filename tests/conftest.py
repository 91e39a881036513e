"""Shared fixtures for the raremin tests."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# The tests run the compiled kernels, whatever the size of their jobs (by default small
# jobs on a fresh install run the numpy twins: raremin.geostats._jit); test_search_numpy,
# test_solve_numpy and test_jit hold the twins equal to the kernels.
os.environ.setdefault("RAREMIN_KERNELS", "compiled")

# In CI, property tests draw the same examples every run: a red run is reproducible.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def validation_dir() -> Path:
    """The folder of public reference datasets, or skip when RAREMIN_VALIDATION_DATA is unset."""
    folder = os.environ.get("RAREMIN_VALIDATION_DATA")
    if not folder or not Path(folder).is_dir():
        pytest.skip("RAREMIN_VALIDATION_DATA is not set to the reference datasets folder")
    return Path(folder)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests never use global random state."""
    return np.random.default_rng(20261122)


def star_polygon(rng: np.random.Generator, n: int, centre=(0.0, 0.0), radius=500.0):
    """A random valid star-shaped polygon (angles sorted, radii positive)."""
    import shapely

    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = radius * rng.uniform(0.4, 1.0, n)
    x = centre[0] + radii * np.cos(angles)
    y = centre[1] + radii * np.sin(angles)
    poly = shapely.Polygon(np.column_stack([x, y]))
    return poly if poly.is_valid else shapely.convex_hull(poly)
