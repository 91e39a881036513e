"""Tests of raremin.geostats.declustering: cell (GSLIB declus) and polygonal declustering."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from raremin.deposit import Zone
from raremin.errors import GeometryError, InputError
from raremin.geostats.declustering import (
    CellDeclusteringResult,
    PolygonalDeclusteringResult,
    cell_declustering,
    polygonal_declustering,
)
from raremin.io import read_geoeas


@pytest.fixture
def cluster(validation_dir):
    """GSLIB's cluster.dat: 140 clustered samples, (x, y) and the primary variable."""
    frame = read_geoeas(validation_dir / "gslib" / "cluster.dat")
    return frame[["Xlocation", "Ylocation"]].to_numpy(), frame["Primary"].to_numpy()


def clustered_points(rng, n_sparse=30, n_cluster=40, extent=1000.0):
    sparse = rng.uniform(0.0, extent, (n_sparse, 2))
    dense = rng.normal(extent / 2, extent / 50, (n_cluster, 2))
    return np.vstack([sparse, dense])


# ------------------------------------------------------------------- GSLIB acceptance
def test_cluster_dat_reproduces_gslib_declus(cluster):
    xy, primary = cluster
    result = cell_declustering(xy, primary, cell_sizes=np.arange(1.0, 26.0, 1.0),
                               n_offsets=5, objective="min")
    assert isinstance(result, CellDeclusteringResult)
    assert result.cell_size == 5.0
    assert result.declustered_mean == pytest.approx(2.52389, abs=1e-5)
    assert result.naive_mean == pytest.approx(4.35043, abs=1e-5)
    assert result.weights.sum() == pytest.approx(140.0)
    assert result.table["cell_size"].tolist() == list(np.arange(1.0, 26.0))
    # the smallest cells hold one sample each: the naive mean
    assert result.table["declustered_mean"].iloc[0] == pytest.approx(result.naive_mean)
    # the chosen size is the minimum of the table
    assert result.table["declustered_mean"].min() == result.declustered_mean


def test_cluster_dat_in_3d_with_flat_elevation_is_the_same(cluster):
    xy, primary = cluster
    xyz = np.column_stack([xy, np.full(len(xy), 100.0)])
    result = cell_declustering(xyz, primary, cell_sizes=np.arange(1.0, 26.0), n_offsets=5)
    assert result.cell_size == 5.0
    assert result.declustered_mean == pytest.approx(2.52389, abs=1e-5)


# ---------------------------------------------------------------------- cell properties
def test_weights_sum_to_n_and_to_one(rng):
    xy = clustered_points(rng)
    values = rng.lognormal(6.0, 0.5, len(xy))
    r_n = cell_declustering(xy, values, n_offsets=4)
    r_1 = cell_declustering(xy, values, n_offsets=4, weights_normalisation="one")
    assert r_n.weights.sum() == pytest.approx(len(xy))
    assert r_1.weights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(r_n.weights, r_1.weights * len(xy))
    assert r_n.declustered_mean == pytest.approx(r_1.declustered_mean)
    assert np.dot(r_n.weights, values) / len(xy) == pytest.approx(r_n.declustered_mean)
    assert not r_n.weights.flags.writeable


def test_default_cell_sizes_are_25_up_to_half_the_largest_extent(rng):
    xy = rng.uniform(0, 1.0, (50, 2)) * [400.0, 100.0]
    xy[0], xy[1] = [0.0, 0.0], [400.0, 50.0]
    sizes = cell_declustering(xy, rng.normal(size=50)).table["cell_size"].to_numpy()
    np.testing.assert_allclose(sizes, np.linspace(8.0, 200.0, 25))


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_regular_grid_gets_equal_weights(ndim):
    axes = [np.arange(0.0, 100.0, 10.0)] * ndim
    grid = np.column_stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")])
    values = np.arange(len(grid), dtype=float)
    result = cell_declustering(grid, values, cell_sizes=[2.0, 10.0, 20.0, 50.0],
                               objective="none", cell_size=10.0)
    np.testing.assert_allclose(result.weights, 1.0)
    assert result.declustered_mean == pytest.approx(values.mean())


@pytest.mark.parametrize("cell_size", [10.0, 20.0])
def test_regular_grid_with_cells_of_whole_spacings_gets_equal_weights(cell_size):
    x, y = np.meshgrid(np.arange(0.5, 40.0, 1.0), np.arange(0.5, 40.0, 1.0))
    grid = np.column_stack([x.ravel(), y.ravel()])
    result = cell_declustering(grid, x.ravel(), cell_sizes=[cell_size], n_offsets=1)
    np.testing.assert_allclose(result.weights, 1.0)


def test_one_dimensional_input_is_accepted():
    result = cell_declustering([0.0, 0.1, 0.2, 10.0], [5.0, 5.0, 5.0, 1.0],
                               cell_sizes=[1.0], n_offsets=1)
    np.testing.assert_allclose(result.weights, [2 / 3, 2 / 3, 2 / 3, 2.0])
    assert result.declustered_mean == pytest.approx(3.0)


def test_duplicating_a_sample_down_weights_the_copies(rng):
    xy = rng.uniform(0.0, 1000.0, (30, 2))
    values = rng.normal(100.0, 10.0, 30)
    base = cell_declustering(xy, values, cell_sizes=[200.0], n_offsets=5)
    xy5 = np.vstack([xy, np.repeat(xy[:1], 4, axis=0)])
    values5 = np.r_[values, np.repeat(values[:1], 4)]
    dup = cell_declustering(xy5, values5, cell_sizes=[200.0], n_offsets=5)
    copies = np.r_[0, np.arange(30, 34)]
    np.testing.assert_allclose(dup.weights[copies], dup.weights[0])
    assert dup.weights[0] < base.weights[0]
    # the five copies together count about as much as the one sample did
    assert dup.weights[copies].sum() > base.weights[0]
    assert dup.weights.sum() == pytest.approx(34.0)


def test_clustered_high_values_lower_the_mean_and_max_objective(rng):
    xy = clustered_points(rng)
    values = np.r_[np.full(30, 100.0), np.full(40, 1000.0)]
    r_min = cell_declustering(xy, values, cell_sizes=np.linspace(20.0, 500.0, 25))
    r_max = cell_declustering(xy, values, cell_sizes=np.linspace(20.0, 500.0, 25),
                              objective="max")
    means = r_min.table["declustered_mean"]
    assert r_min.declustered_mean == means.min() < r_min.naive_mean
    assert r_max.declustered_mean == means.max()
    assert r_max.cell_size == r_min.table["cell_size"][means.idxmax()]
    assert r_min.weights[30:].mean() < r_min.weights[:30].mean()
    assert r_max.objective == "max"


def test_objective_none_uses_the_given_size_and_adds_it_to_the_table(rng):
    xy = clustered_points(rng)
    values = rng.normal(size=len(xy))
    result = cell_declustering(xy, values, cell_sizes=[50.0, 100.0], objective="none",
                               cell_size=75.0)
    assert result.cell_size == 75.0
    assert result.table["cell_size"].tolist() == [50.0, 75.0, 100.0]
    assert result.declustered_mean == result.table["declustered_mean"][1]


def test_anisotropic_cells():
    # Two columns of samples 1 m apart in x, 10 m apart in y; one sample more on the right.
    xy = np.array([[0.0, 0.0], [0.0, 10.0], [1.0, 0.0], [1.0, 10.0], [1.0, 5.0]])
    values = np.array([1.0, 1.0, 2.0, 2.0, 2.0])
    # cells 2 m wide (x) and 20 m tall (y): everything in one cell
    flat = cell_declustering(xy, values, cell_sizes=[2.0], n_offsets=1, anisotropy=(1, 10))
    np.testing.assert_allclose(flat.weights, 1.0)
    # cells 2 m wide and 1 m tall: rows y = 0, 5 and 10 (3 occupied cells)
    thin = cell_declustering(xy, values, cell_sizes=[2.0], n_offsets=1,
                             anisotropy=(1.0, 0.5, 1.0))
    np.testing.assert_allclose(thin.weights, np.array([1, 1, 1, 1, 2]) * 5 / 6)
    # cells 0.5 m wide (x) and 20 m tall (y): columns x = 0 (2 samples) and x = 1 (3)
    columns = cell_declustering(xy, values, cell_sizes=[0.5], n_offsets=1, anisotropy=(1, 40))
    np.testing.assert_allclose(columns.weights, [1.25, 1.25, 5 / 6, 5 / 6, 5 / 6])
    assert columns.declustered_mean == pytest.approx(1.5)
    # the same cells described from a 20 m size and a 1/40 multiplier in x
    rows = cell_declustering(xy, values, cell_sizes=[20.0], n_offsets=1,
                             anisotropy=(0.025, 1))
    np.testing.assert_allclose(rows.weights, columns.weights)
    assert rows.anisotropy == (0.025, 1.0)


def test_anisotropic_3d_cells_thin_in_elevation(rng):
    xy = rng.uniform(0, 100.0, (40, 2))
    xyz = np.column_stack([np.repeat(xy, 5, axis=0), np.tile(np.arange(5.0) * 2.0, 40)])
    values = rng.normal(size=200)
    # 100 m wide, 2 m thick: the five samples of a hole sit in five cells in elevation
    res = cell_declustering(xyz, values, cell_sizes=[1000.0], n_offsets=1,
                            anisotropy=(1.0, 1.0, 0.002))
    np.testing.assert_allclose(res.weights, 1.0)


def test_offsets_smooth_the_weights():
    xy = np.array([[0.0], [0.9], [1.1], [5.0]])
    one = cell_declustering(xy, [1.0, 2.0, 3.0, 4.0], cell_sizes=[1.0], n_offsets=1)
    many = cell_declustering(xy, [1.0, 2.0, 3.0, 4.0], cell_sizes=[1.0], n_offsets=10)
    # one grid: cells [0, 1), [1, 2) and [5, 6)
    np.testing.assert_allclose(one.weights, [2 / 3, 2 / 3, 4 / 3, 4 / 3])
    # ten grids: 0.9 and 1.1 share a cell in most of them, the lone 5.0 never shares
    assert many.weights.sum() == pytest.approx(4.0)
    assert many.weights[3] == many.weights.max()
    assert many.weights[2] < one.weights[2]


def test_very_fine_cells_use_the_sorted_path(rng):
    xyz = rng.uniform(0.0, 1e6, (200, 3))
    res = cell_declustering(xyz, rng.normal(size=200), cell_sizes=[1e-3, 1.0], n_offsets=3)
    np.testing.assert_allclose(res.weights, 1.0)


# ------------------------------------------------------------------------------ plot
def test_cell_plot_draws_the_table_and_the_naive_mean(rng):
    xy = clustered_points(rng)
    values = np.r_[np.full(30, 100.0), np.full(40, 1000.0)]
    result = cell_declustering(xy, values, cell_sizes=np.linspace(20.0, 500.0, 10))
    fig, ax_in = plt.subplots()
    ax = result.plot(ax=ax_in)
    assert ax is ax_in
    assert ax.get_xlabel() == "Cell size (m)"
    assert ax.get_ylabel() == "Declustered mean"
    curve = ax.lines[0]
    np.testing.assert_allclose(curve.get_xdata(), result.table["cell_size"])
    np.testing.assert_allclose(curve.get_ydata(), result.table["declustered_mean"])
    marked = [line for line in ax.lines[1:] if len(line.get_xdata()) == 1]
    assert marked and marked[0].get_xdata()[0] == result.cell_size
    horizontal = [line for line in ax.lines
                  if np.allclose(line.get_ydata(), result.naive_mean)
                  and len(line.get_ydata()) == 2]
    assert horizontal
    plt.close(fig)
    new_ax = result.plot()
    assert new_ax.get_ylabel() == "Declustered mean"
    plt.close(new_ax.figure)


def test_plot_refuses_what_is_not_axes(rng):
    result = cell_declustering(rng.uniform(size=(5, 2)), rng.normal(size=5))
    with pytest.raises(InputError, match="Axes"):
        result.plot(ax="left")


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"coords": np.zeros((4, 4))}, "shape"),
        ({"coords": np.zeros((1, 2)), "values": [1.0]}, "at least 2"),
        ({"coords": [[0.0, np.nan], [1.0, 1.0], [2.0, 2.0]]}, "missing or infinite"),
        ({"values": [1.0, np.inf, 2.0]}, "missing or infinite"),
        ({"values": [1.0, 2.0]}, "one number per sample"),
        ({"cell_sizes": [1.0, 0.0]}, "> 0"),
        ({"cell_sizes": [-5.0]}, "> 0"),
        ({"n_offsets": 0}, ">= 1"),
        ({"n_offsets": 2.5}, "integer"),
        ({"n_offsets": True}, "integer"),
        ({"objective": "median"}, "objective"),
        ({"objective": "none"}, "cell_size"),
        ({"cell_size": 3.0}, "only used with objective='none'"),
        ({"objective": "none", "cell_size": [1.0, 2.0]}, "one number"),
        ({"objective": "none", "cell_size": -1.0}, "> 0"),
        ({"anisotropy": (1.0,)}, "one cell-size multiplier per axis"),
        ({"anisotropy": (1.0, 0.0)}, "> 0"),
        ({"weights_normalisation": "sum"}, "weights_normalisation"),
    ],
)
def test_cell_declustering_errors(kwargs, match):
    args = {"coords": [[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]], "values": [1.0, 2.0, 3.0],
            "cell_sizes": [1.0]}
    args.update(kwargs)
    coords, values = args.pop("coords"), args.pop("values")
    with pytest.raises(InputError, match=match):
        cell_declustering(coords, values, **args)


def test_identical_coordinates_need_explicit_cell_sizes():
    with pytest.raises(InputError, match="cell_sizes"):
        cell_declustering([[1.0, 1.0], [1.0, 1.0]], [1.0, 2.0])
    res = cell_declustering([[1.0, 1.0], [1.0, 1.0]], [1.0, 2.0], cell_sizes=[1.0])
    np.testing.assert_allclose(res.weights, 1.0)


# ------------------------------------------------------------------------- polygonal
def test_polygonal_weights_of_a_2x2_grid_are_quarters_of_the_square():
    xy = np.array([[25.0, 25.0], [75.0, 25.0], [25.0, 75.0], [75.0, 75.0]])
    square = shapely.box(0.0, 0.0, 100.0, 100.0)
    result = polygonal_declustering(xy, [1.0, 2.0, 3.0, 4.0], region=square)
    assert isinstance(result, PolygonalDeclusteringResult)
    np.testing.assert_allclose(result.areas_m2, 2500.0)
    np.testing.assert_allclose(result.weights, 1.0)
    assert result.declustered_mean == pytest.approx(2.5)
    assert result.naive_mean == pytest.approx(2.5)
    for point, cell in zip(xy, result.cells, strict=True):
        assert cell.contains(shapely.Point(point))
        assert cell.area == pytest.approx(2500.0)


def test_polygonal_areas_follow_input_order_not_geos_order(rng):
    xy = rng.uniform(0.0, 1000.0, (60, 2))
    region = shapely.box(-10.0, -10.0, 1010.0, 1010.0)
    result = polygonal_declustering(xy, region=region)
    assert result.areas_m2.sum() == pytest.approx(region.area)
    for point, cell, area in zip(xy, result.cells, result.areas_m2, strict=True):
        assert cell.contains(shapely.Point(point))
        assert cell.area == pytest.approx(area)
    # every polygon holds the locations nearest to its own sample
    probe = rng.uniform(0.0, 1000.0, (200, 2))
    nearest = np.argmin(((probe[:, None, :] - xy[None]) ** 2).sum(-1), axis=1)
    for p, j in zip(probe, nearest, strict=True):
        assert result.cells[j].covers(shapely.Point(p))


def test_polygonal_duplicating_a_sample_down_weights_the_copies(rng):
    xy = rng.uniform(0.0, 1000.0, (20, 2))
    region = shapely.box(0.0, 0.0, 1000.0, 1000.0)
    base = polygonal_declustering(xy, region=region)
    tight = xy[0] + np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    dense = polygonal_declustering(np.vstack([xy[1:], tight]), region=region)
    assert dense.weights[-5:].max() < base.weights[0]
    assert dense.weights.sum() == pytest.approx(24.0)


def test_polygonal_duplicate_points_raise_naming_the_point():
    xy = [[0.0, 0.0], [5.0, 5.0], [10.0, 0.0], [5.0, 5.0]]
    with pytest.raises(InputError, match=r"\(5, 5\) at rows \[1, 3\]"):
        polygonal_declustering(xy)


def test_polygonal_clipped_to_a_zone_footprint():
    footprint = shapely.Polygon([(0, 0), (100, 0), (100, 50), (50, 50), (50, 100), (0, 100)])
    zone = Zone("L", footprint, top_m=500.0, bottom_m=300.0, density_t_m3=2.6)
    xy = np.array([[25.0, 25.0], [75.0, 25.0], [25.0, 75.0]])
    result = polygonal_declustering(xy, region=zone)
    assert result.region.equals(footprint)
    np.testing.assert_allclose(result.areas_m2, 2500.0)
    assert result.areas_m2.sum() == pytest.approx(footprint.area)
    for cell in result.cells:
        assert footprint.buffer(1e-9).contains(cell)


def test_polygonal_default_region_is_the_buffered_convex_hull():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    result = polygonal_declustering(xy)
    assert result.region.contains(shapely.box(0, 0, 10, 10).buffer(4.9))
    assert result.region.area == pytest.approx(100 + 4 * 50 + np.pi * 25, rel=2e-3)
    np.testing.assert_allclose(result.weights, 1.0)
    assert result.declustered_mean is None and result.naive_mean is None


def test_polygonal_collinear_samples_along_a_fence():
    xy = [[0.0, 0.0], [10.0, 0.0], [30.0, 0.0], [60.0, 0.0]]
    result = polygonal_declustering(xy, [1.0, 2.0, 3.0, 4.0],
                                    region=shapely.box(-5.0, -5.0, 65.0, 5.0))
    np.testing.assert_allclose(result.areas_m2, [100.0, 150.0, 250.0, 200.0])
    assert result.declustered_mean == pytest.approx((100 + 300 + 750 + 800) / 700)


def test_polygonal_grid_resolution_approximates_the_exact_areas(rng):
    xy = rng.uniform(0.0, 100.0, (15, 2))
    region = shapely.box(0.0, 0.0, 100.0, 100.0)
    exact = polygonal_declustering(xy, region=region)
    approx = polygonal_declustering(xy, region=region, resolution=0.5)
    np.testing.assert_allclose(approx.areas_m2, exact.areas_m2, rtol=0.05, atol=10.0)
    assert approx.cells is None
    assert approx.weights.sum() == pytest.approx(15.0)


def test_polygonal_warns_for_samples_outside_the_region():
    xy = [[5.0, 5.0], [15.0, 5.0], [50.0, 50.0]]
    with pytest.warns(UserWarning, match="outside the region"):
        result = polygonal_declustering(xy, region=shapely.box(0, 0, 20, 10))
    assert result.weights[2] == 0.0
    np.testing.assert_allclose(result.weights[:2], 1.5)


@pytest.mark.parametrize(
    ("coords", "kwargs", "error", "match"),
    [
        (np.zeros((3, 3)), {}, InputError, "shape"),
        ([[0.0, 0.0]], {}, InputError, "at least 2"),
        ([[0.0, 0.0], [np.nan, 1.0]], {}, InputError, "missing or infinite"),
        ([[0.0, 0.0], [1.0, 1.0]], {"values": [1.0]}, InputError, "one number per sample"),
        ([[0.0, 0.0], [1.0, 1.0]], {"resolution": 0.0}, InputError, "resolution"),
        ([[0.0, 0.0], [1.0, 1.0]], {"region": "box"}, GeometryError, "region"),
        ([[0.0, 0.0], [1.0, 1.0]], {"region": shapely.Polygon()}, GeometryError, "empty"),
        ([[0.0, 0.0], [1.0, 1.0]],
         {"region": shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])}, GeometryError,
         "invalid"),
    ],
)
def test_polygonal_errors(coords, kwargs, error, match):
    with pytest.raises(error, match=match):
        polygonal_declustering(coords, **kwargs)


def test_polygonal_resolution_coarser_than_the_region_raises():
    with pytest.warns(UserWarning), pytest.raises(InputError, match="no grid node"):
        polygonal_declustering([[0.0, 0.0], [1.0, 0.0]], region=shapely.box(0, 5, 1, 6),
                               resolution=10.0)


def test_polygonal_plot(rng):
    xy = rng.uniform(0.0, 100.0, (12, 2))
    result = polygonal_declustering(xy, rng.normal(size=12))
    ax = result.plot()
    assert ax.get_xlabel() == "Easting (m)"
    assert ax.get_ylabel() == "Northing (m)"
    assert len(ax.collections[0].get_paths()) == 12
    np.testing.assert_allclose(ax.collections[-1].get_offsets(), xy)
    plt.close(ax.figure)


# --------------------------------------------------------------------------- properties
points_2d = arrays(
    np.float64, st.tuples(st.integers(2, 40), st.just(2)),
    elements=st.floats(0.0, 1000.0, allow_nan=False, width=32),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xy=points_2d, n_offsets=st.integers(1, 6),
       size=st.floats(0.5, 2000.0, allow_nan=False))
def test_cell_weights_are_positive_and_sum_to_n(xy, n_offsets, size):
    values = np.arange(len(xy), dtype=float)
    result = cell_declustering(xy, values, cell_sizes=[size, 2 * size], n_offsets=n_offsets)
    assert np.all(result.weights > 0)
    assert result.weights.sum() == pytest.approx(len(xy))
    assert values.min() - 1e-9 <= result.declustered_mean <= values.max() + 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xy=arrays(np.float64, st.tuples(st.integers(2, 30), st.just(2)),
                 elements=st.integers(0, 200).map(float)))
def test_polygonal_weights_are_positive_and_sum_to_n(xy):
    _, first = np.unique(xy, axis=0, return_index=True)
    xy = xy[np.sort(first)]
    if len(xy) < 2:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default region covers every sample
        result = polygonal_declustering(xy)
    assert np.all(result.weights > 0)
    assert result.weights.sum() == pytest.approx(len(xy))
    assert result.areas_m2.sum() == pytest.approx(result.region.area, rel=1e-9)
