"""Tests of raremin.geostats.simulation: sequential Gaussian simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import raremin
from raremin.errors import InputError
from raremin.geostats.anamorphosis import NormalScores
from raremin.geostats.kriging import Kriging
from raremin.geostats.models import Structure, VariogramModel
from raremin.geostats.neighbourhood import Neighbourhood
from raremin.geostats.simulation import SequentialGaussian
from raremin.grid import BlockGrid

MODEL = VariogramModel(0.05, [Structure("spherical", 0.95, 15.0)])
GRID = BlockGrid((0.0, 0.0), (1.0, 1.0), (64, 64))


def field(y, r):
    """Realisation r on the 64 x 64 grid as [iy, ix] (flat index = ix + 64 iy)."""
    return y[r].reshape(64, 64)


def grid_variogram(y, h):
    f = y.reshape(y.shape[0], 64, 64)
    gx = 0.5 * ((f[:, :, h:] - f[:, :, :-h]) ** 2).mean()
    gy = 0.5 * ((f[:, h:, :] - f[:, :-h, :]) ** 2).mean()
    return 0.5 * (gx + gy)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    xy = rng.integers(0, 64, (40, 2)) + 0.5  # on nodes
    xy = np.unique(xy, axis=0)
    return xy, rng.standard_normal(xy.shape[0])


@pytest.fixture(scope="module")
def unconditional():
    sgs = SequentialGaussian(MODEL, data_neighbours=16, node_neighbours=16)
    return sgs.simulate(GRID, np.empty((0, 2)), [], 50, seed=2)


def test_data_on_nodes_are_reproduced_exactly(data) -> None:
    xy, scores = data
    y = SequentialGaussian(MODEL).simulate(GRID, xy, scores, 5, seed=1)
    at = (xy[:, 0] - 0.5).astype(int) + 64 * (xy[:, 1] - 0.5).astype(int)
    # the nugget is part of the covariance at lag zero: the datum itself, in every one
    np.testing.assert_allclose(y[:, at], np.broadcast_to(scores, (5, scores.size)),
                               rtol=0, atol=1e-12)


def test_the_histogram_of_each_realisation_is_standard_normal(unconditional) -> None:
    # A 64 x 64 field with range 15 holds about (64 / 15)^2 ~ 18 independent areas: the
    # mean and spread of one realisation fluctuate by about 1 / sqrt(18) ~ 0.24, which
    # moves the largest CDF gap (KS distance) to about 0.1-0.2. Bound: 0.25 for every
    # realisation; the average over 50, where the fluctuations cancel, within 0.03.
    d = [stats.kstest(r, "norm").statistic for r in unconditional]
    assert max(d) < 0.25
    pooled = stats.kstest(unconditional.ravel(), "norm").statistic
    assert pooled < 0.03


@pytest.mark.parametrize("h", [1, 2, 4, 6, 8, 10, 12, 15])
def test_the_variogram_over_50_realisations_is_within_10_percent(unconditional, h) -> None:
    expected = float(MODEL.gamma(np.array([[float(h), 0.0]]))[0])
    assert grid_variogram(unconditional, h) == pytest.approx(expected, rel=0.10)


def test_the_e_type_mean_follows_simple_kriging(data) -> None:
    xy, scores = data
    search = Neighbourhood(16, ranges=(15.0, 15.0), radius=1.0)
    y = SequentialGaussian(MODEL, search=search).simulate(GRID, xy, scores, 100, seed=4)
    nodes = GRID.centres()
    sk = Kriging(MODEL, search, kind="simple", mean=0.0).fit(xy, scores).predict(nodes)
    e_type = y.mean(axis=0)
    informed = np.isfinite(sk)
    assert np.corrcoef(e_type[informed], sk[informed])[0, 1] > 0.95


def test_the_same_seed_gives_the_same_realisations_whatever_the_batches(data) -> None:
    xy, scores = data
    sgs = SequentialGaussian(MODEL)
    a = sgs.simulate(GRID, xy, scores, 4, seed=9, path_batch=2)
    b = sgs.simulate(GRID, xy, scores, 4, seed=9, path_batch=2)
    np.testing.assert_array_equal(a, b)
    # realisation r's residuals are its own: with one path for all, the first two match
    # the two-per-batch run (same first path), the others differ only by their path
    c = sgs.simulate(GRID, xy, scores, 2, seed=9, path_batch=2)
    np.testing.assert_array_equal(a[:2], c)
    assert not np.array_equal(a, sgs.simulate(GRID, xy, scores, 4, seed=10, path_batch=2))


def test_a_mask_keeps_a_zone_and_a_new_path_per_realisation_runs(data) -> None:
    xy, scores = data
    mask = np.zeros(GRID.n_blocks, dtype=bool)
    mask[: 64 * 32] = True  # the southern half
    y = SequentialGaussian(MODEL, multigrid_levels=0).simulate(
        GRID, xy, scores, 3, seed=0, mask=mask, new_path_per_realisation=True)
    assert y.shape == (3, 64 * 32) and np.isfinite(y).all()


def test_3d_with_anisotropy_reproduces_the_vertical_variogram() -> None:
    model = VariogramModel(0.0, [Structure("spherical", 1.0, (20.0, 20.0, 5.0))])
    grid = BlockGrid((0.0, 0.0, 0.0), (2.0, 2.0, 1.0), (24, 24, 16))
    y = SequentialGaussian(model, node_neighbours=24).simulate(
        grid, np.empty((0, 3)), [], 20, seed=3)
    f = y.reshape(20, 16, 24, 24)  # [r, iz, iy, ix]
    for h in (1, 2, 3):
        gz = 0.5 * ((f[:, h:] - f[:, :-h]) ** 2).mean()
        expected = float(model.gamma(np.array([[0.0, 0.0, float(h)]]))[0])
        assert gz == pytest.approx(expected, rel=0.15)


def kuirektykol_generator_constants() -> dict[str, float]:
    """The numeric constants of the bundled dataset's generator (``generate.py``)."""
    import ast

    from raremin.datasets import dataset_path

    tree = ast.parse((dataset_path("kuirektykol") / "generate.py").read_text())
    return {node.targets[0].id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)}


@pytest.fixture(scope="module")
def kuirektykol_dos2():
    """
    Dos 2 composites: TREO % normal scores and 100 realisations with the variogram the
    dataset was generated with: the normal scores of a monotone function of
    ``sqrt(1 - n) Z + sqrt(n) e`` are that Gaussian field, a nugget n plus a Gaussian
    structure (practical ranges 275 m across, 40 m down; ``generate.py``).
    """
    from raremin.chemistry import basket_total

    gen = kuirektykol_generator_constants()
    data = raremin.load_kuirektykol().samples
    zone = data[data["zone"] == "Dos 2"]
    xyz = zone[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    values = basket_total(zone, "treo", result_basis="oxide", unit="pct").to_numpy()
    ns = NormalScores().fit(values)
    nugget = gen["NUGGET_FRACTION"]
    model = VariogramModel(nugget, [Structure(
        "gaussian", 1.0 - nugget, (gen["RANGE_H_M"], gen["RANGE_H_M"], gen["RANGE_V_M"]))])
    # 50 x 50 x 5 m nodes, placed so that the first composite is a node
    size = np.array([50.0, 50.0, 5.0])
    origin = xyz[0] - size / 2 - np.floor((xyz[0] - xyz.min(axis=0)) / size + 1) * size
    shape = tuple(int(v) for v in np.ceil((xyz.max(axis=0) + size - origin) / size))
    grid = BlockGrid(tuple(origin), tuple(size), shape)
    y = SequentialGaussian(model).simulate(grid, xyz, ns.scores_, 100, seed=3)
    return xyz, values, ns, model, grid, y


def test_kuirektykol_same_seed_same_realisations_whatever_the_batches(kuirektykol_dos2
                                                                     ) -> None:
    xyz, _, ns, model, grid, y = kuirektykol_dos2
    sgs = SequentialGaussian(model)
    # realisation r's residuals come from its own stream, batch b's path from its own:
    # the first two of 100 on one path are the first two of a run of two
    np.testing.assert_array_equal(sgs.simulate(grid, xyz, ns.scores_, 2, seed=3), y[:2])
    parts = list(sgs.batches(grid, xyz, ns.scores_, 3, seed=3, path_batch=2))
    again = sgs.simulate(grid, xyz, ns.scores_, 3, seed=3, path_batch=2)
    np.testing.assert_array_equal(np.concatenate([p for _, p in parts]), again)


def test_kuirektykol_data_histogram_and_e_type(kuirektykol_dos2) -> None:
    xyz, values, ns, model, grid, y = kuirektykol_dos2
    node = grid.coords_to_index(xyz[:1])[0]
    np.testing.assert_allclose(y[:, node], ns.scores_[0], rtol=0, atol=1e-12)  # on a node
    # 6,820 nodes, about 2 ranges across and 7 down: KS per realisation below 0.1
    assert max(stats.kstest(r, "norm").statistic for r in y) < 0.1  # E-type: all 100
    search = Neighbourhood(16, ranges=model.structures[0].ranges, radius=1.0)
    sk = Kriging(model, search, kind="simple", mean=0.0).fit(xyz, ns.scores_).predict(
        grid.centres())
    informed = np.isfinite(sk)
    assert np.corrcoef(y.mean(axis=0)[informed], sk[informed])[0, 1] > 0.95
    z = ns.back_transform(y)
    assert z.min() >= values.min() and z.max() <= values.max()


@pytest.mark.parametrize(("axis", "step_m", "lags"), [
    ("x", 50.0, (1, 2, 3, 4, 5)),  # across holes, to 250 m (range 275 m)
    ("y", 50.0, (1, 2, 3, 4, 5)),
    ("z", 5.0, (1, 2, 4, 6, 8)),  # along holes, to 40 m (range 40 m)
])
def test_kuirektykol_variogram_within_10_percent(kuirektykol_dos2, axis, step_m,
                                                 lags) -> None:
    # The data follow the generator's variogram across holes (measured on pairs within
    # 2.5 m of the same elevation: 0.27-0.38 at 56 m, model 0.25); down the holes they
    # are a little rougher (0.49 at 13 m, model 0.40), and the conditioned realisations
    # follow them (seed 3, 32 node neighbours): 3-6 % above the model down, 8.5 % below
    # to 1 % above it across.
    _, _, _, model, grid, y = kuirektykol_dos2
    nx, ny, nz = grid.shape
    f = y[:50].reshape(50, nz, ny, nx)  # 50 realisations
    dim = {"x": 3, "y": 2, "z": 1}[axis]
    for h in lags:
        head = np.take(f, np.arange(h, f.shape[dim]), axis=dim)
        tail = np.take(f, np.arange(0, f.shape[dim] - h), axis=dim)
        lag = np.zeros((1, 3))
        lag[0, "xyz".index(axis)] = step_m * h
        expected = float(model.gamma(lag)[0])
        assert 0.5 * ((head - tail) ** 2).mean() == pytest.approx(expected, rel=0.10)


@pytest.mark.parametrize(("build", "match"), [
    (lambda: SequentialGaussian(VariogramModel(0.0, [Structure("linear", 1.0)])), "bounded"),
    (lambda: SequentialGaussian(MODEL, kind="universal"), "kind must be"),
    (lambda: SequentialGaussian(MODEL, node_neighbours=0), "node_neighbours"),
    (lambda: SequentialGaussian(MODEL, data_neighbours=0), "data_neighbours"),
    (lambda: SequentialGaussian(MODEL).simulate(GRID, [[0.5, 0.5]], [1.0], 1, seed=0,
                                                mask=np.ones((64, 64), dtype=bool)),
     "give a flat array"),
    (lambda: SequentialGaussian(MODEL).simulate(GRID, [[0.5, 0.5]], [1.0, 2.0], 1, seed=0),
     "data_scores has 2 values"),
    (lambda: SequentialGaussian(MODEL).simulate(GRID, [[0.5, 0.5]], [np.nan], 1, seed=0),
     "finite"),
    (lambda: SequentialGaussian(MODEL).simulate(GRID, [[0.5, 0.5]], [1.0], 0, seed=0),
     "n_realisations"),
])
def test_bad_input_is_named(build, match) -> None:
    with pytest.raises(InputError, match=match):
        build()


def test_the_search_s_octant_rule_applies_to_the_data(data) -> None:
    xy, scores = data
    plain = Neighbourhood(8, ranges=(15.0, 15.0), radius=1.0)
    octants = Neighbourhood(8, ranges=(15.0, 15.0), radius=1.0, max_per_octant=1)
    a = SequentialGaussian(MODEL, search=plain).simulate(GRID, xy, scores, 1, seed=0)
    b = SequentialGaussian(MODEL, search=octants).simulate(GRID, xy, scores, 1, seed=0)
    assert not np.allclose(a, b)


def test_the_template_follows_the_ellipsoid_axis_by_axis() -> None:
    sgs = SequentialGaussian(MODEL)
    grid = BlockGrid((0.0, 0.0, 0.0), (5.0, 5.0, 2.5), (400, 400, 80))
    search = Neighbourhood(16, ranges=(600.0, 600.0, 60.0), radius=1.0)
    half = sgs._half_extent_m(grid, search)
    np.testing.assert_allclose(half, [600.0, 600.0, 60.0])
    assert sgs._levels(grid, search) == 2  # 24 nodes vertically: 24 / 4 -> 2 levels


def test_1d_from_origin_spacing_and_shape_reproduces_its_variogram() -> None:
    model = VariogramModel(0.0, [Structure("spherical", 1.0, 20.0)])
    grid = ((0.0,), (1.0,), (2000,))  # a line of 2,000 nodes, 1 m apart
    y = SequentialGaussian(model).simulate(grid, [[100.5], [500.5]], [2.0, -1.0], 100, seed=0)
    assert y.shape == (100, 2000)
    np.testing.assert_allclose(y[:, [100, 500]], [[2.0, -1.0]] * 100, rtol=0, atol=1e-12)
    for h in (1, 5, 10, 20):
        expected = float(model.gamma(np.array([[float(h)]]))[0])
        assert 0.5 * ((y[:, h:] - y[:, :-h]) ** 2).mean() == pytest.approx(expected, rel=0.10)


@pytest.mark.parametrize("grid", [((0.0,) * 4, (1.0,) * 4, (3,) * 4), ((0.0,), (0.0,), (5,)),
                                  "grid"])
def test_a_bad_grid_is_named(grid) -> None:
    with pytest.raises(InputError, match="grid"):
        SequentialGaussian(MODEL).simulate(grid, np.empty((0, 1)), [], 1, seed=0)
