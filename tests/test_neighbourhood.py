"""Tests of raremin.geostats.neighbourhood: anisotropy, search rules, KD-tree queries."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import raremin
from raremin.errors import InputError
from raremin.geostats import neighbourhood
from raremin.geostats.neighbourhood import (
    Neighbourhood,
    Neighbours,
    NeighbourSearch,
    _Output,
    _Rules,
    anisotropy_matrix,
)

RANGES = (120.0, 60.0, 15.0)


def axes_geometric(azimuth: float, dip: float, rake: float) -> np.ndarray:
    """Major, semi-minor, minor unit vectors built from the angle definitions."""
    az, dp, rk = np.deg2rad([azimuth, -dip, rake])  # dip negative downwards
    major = np.array([np.sin(az) * np.cos(dp), np.cos(az) * np.cos(dp), -np.sin(dp)])
    semi = np.array([-np.cos(az), np.sin(az), 0.0])  # horizontal, left of the major axis
    minor = np.cross(major, semi)

    def turn(v: np.ndarray) -> np.ndarray:  # right-hand rotation about the major axis
        return (
            v * np.cos(rk)
            + np.cross(major, v) * np.sin(rk)
            + major * np.dot(major, v) * (1 - np.cos(rk))
        )

    return np.array([major, turn(semi), turn(minor)])


def brute_neighbours(samples, targets, k, radius=np.inf, matrix=None):
    """Reference search: all pairwise distances, argsort, cut at the radius."""
    samples = np.asarray(samples, float)
    targets = np.asarray(targets, float)
    a = np.eye(samples.shape[1]) if matrix is None else matrix
    diff = samples[None, :, :] - targets[:, None, :]
    d = np.linalg.norm(diff @ a.T, axis=-1)
    dm = np.linalg.norm(diff, axis=-1)
    order = np.argsort(d, axis=1)[:, :k]
    dk = np.take_along_axis(d, order, axis=1)
    ok = dk <= radius
    index = np.full((len(targets), k), -1)
    dist = np.full((len(targets), k), np.inf)
    dist_m = np.full((len(targets), k), np.inf)
    width = order.shape[1]
    index[:, :width] = np.where(ok, order, -1)
    dist[:, :width] = np.where(ok, dk, np.inf)
    dist_m[:, :width] = np.where(ok, np.take_along_axis(dm, order, axis=1), np.inf)
    return index, dist, dist_m


# ----------------------------------------------------------------- anisotropy matrix


def test_azimuth_zero_puts_major_axis_north() -> None:
    a = anisotropy_matrix(RANGES, (0, 0, 0))
    np.testing.assert_allclose(np.abs(a @ [0, 120, 0]), [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(np.abs(a @ [60, 0, 0]), [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(np.abs(a @ [0, 0, 15]), [0, 0, 1], atol=1e-12)


def test_azimuth_90_puts_major_axis_east() -> None:
    a = anisotropy_matrix(RANGES, (90, 0, 0))
    np.testing.assert_allclose(np.abs(a @ [120, 0, 0]), [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(np.abs(a @ [0, 60, 0]), [0, 1, 0], atol=1e-12)
    # 120 m north is along the semi-minor axis: twice its range
    assert np.linalg.norm(a @ [0, 120, 0]) == pytest.approx(2.0)


def test_dip_tilts_the_major_axis_down() -> None:
    a = anisotropy_matrix(RANGES, (0, -30, 0))
    down = 120 * np.array([0, np.cos(np.pi / 6), -np.sin(np.pi / 6)])
    up = 120 * np.array([0, np.cos(np.pi / 6), np.sin(np.pi / 6)])
    np.testing.assert_allclose(np.abs(a @ down), [1, 0, 0], atol=1e-12)
    assert np.linalg.norm(a @ up) > 2  # the upward direction is far outside


def test_rake_turns_the_minor_axes_about_the_major_axis() -> None:
    a = anisotropy_matrix(RANGES, (0, 0, 90))
    # rake 90: the semi-minor axis becomes vertical, the minor axis horizontal
    np.testing.assert_allclose(np.abs(a @ [0, 0, 60]), [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(np.abs(a @ [15, 0, 0]), [0, 0, 1], atol=1e-12)
    a30 = anisotropy_matrix(RANGES, (0, 0, 30))
    semi = 60 * np.array([-np.cos(np.pi / 6), 0, np.sin(np.pi / 6)])  # west side goes up
    np.testing.assert_allclose(np.abs(a30 @ semi), [0, 1, 0], atol=1e-12)


@pytest.mark.parametrize(
    "angles", [(0, 0, 0), (37, 0, 0), (210, 25, 0), (300, -40, 15), (45, 60, -70), (123, 5, 170)]
)
def test_points_on_the_axes_are_at_unit_distance(angles) -> None:
    a = anisotropy_matrix(RANGES, angles)
    axes = axes_geometric(*angles)
    for i, (r, axis) in enumerate(zip(RANGES, axes, strict=True)):
        mapped = a @ (r * axis)
        assert np.linalg.norm(mapped) == pytest.approx(1.0)
        np.testing.assert_allclose(mapped, np.eye(3)[i], atol=1e-12)
    rotation = np.asarray(RANGES)[:, None] * a
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)  # right-handed


def test_2d_and_1d_matrices() -> None:
    a = anisotropy_matrix((100.0, 25.0), (90.0,))
    assert np.linalg.norm(a @ [100.0, 0.0]) == pytest.approx(1.0)
    assert np.linalg.norm(a @ [0.0, 25.0]) == pytest.approx(1.0)
    a30 = anisotropy_matrix((100.0, 25.0), 30.0)
    major = 100 * np.array([np.sin(np.pi / 6), np.cos(np.pi / 6)])
    np.testing.assert_allclose(np.abs(a30 @ major), [1.0, 0.0], atol=1e-12)
    # the 2D matrix is the plan block of the 3D one
    np.testing.assert_allclose(a30, anisotropy_matrix((100, 25, 5), (30, 0, 0))[:2, :2])
    np.testing.assert_allclose(anisotropy_matrix((4.0,)), [[0.25]])


@pytest.mark.parametrize(
    ("ranges", "angles", "match"),
    [
        ((100.0, 0.0, 10.0), (0, 0, 0), "ranges must be > 0"),
        ((100.0, -5.0), (0,), "ranges must be > 0"),
        ((1.0, 1.0, 1.0, 1.0), (0,), "1 to 3"),
        ((100.0, 50.0), (0, 30, 0), "azimuth only"),
        ((100.0,), (10,), "no orientation"),
        ((100.0, 50.0, 5.0), (np.nan, 0, 0), "angles"),
    ],
)
def test_anisotropy_matrix_refuses_bad_input(ranges, angles, match) -> None:
    with pytest.raises(InputError, match=match):
        anisotropy_matrix(ranges, angles)


# --------------------------------------------------------------------- Neighbourhood


def test_neighbourhood_defaults_and_radius_units() -> None:
    iso = Neighbourhood()
    assert (iso.max_samples, iso.min_samples, iso.radius, iso.ranges) == (16, 1, np.inf, None)
    assert iso.matrix is None and iso.ndim is None
    aniso = Neighbourhood(ranges=[300, 100, 20], angles=[45, 10])
    assert aniso.radius == 1.0  # ellipsoid units by default
    assert aniso.ranges == (300.0, 100.0, 20.0) and aniso.angles == (45.0, 10.0, 0.0)
    np.testing.assert_allclose(aniso.matrix, anisotropy_matrix((300, 100, 20), (45, 10, 0)))
    assert Neighbourhood(ranges=(300, 100, 20), radius=np.inf).radius == np.inf


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_samples": 0}, "max_samples must be >= 1; got 0"),
        ({"max_samples": 2.5}, "max_samples must be an integer"),
        ({"min_samples": 0}, "min_samples must be >= 1; got 0"),
        ({"max_samples": 3, "min_samples": 5}, r"min_samples \(5\) must be between"),
        ({"radius": 0.0}, "radius must be > 0.*got 0.0"),
        ({"radius": -2.0, "ranges": (10, 5, 1)}, "radius must be > 0 \\(ellipsoid"),
        ({"radius": np.nan}, "radius must be > 0"),
        ({"ranges": (10, 0, 1)}, "ranges must be > 0"),
        ({"max_per_octant": 0}, "max_per_octant must be >= 1"),
    ],
)
def test_neighbourhood_validation_names_the_value(kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        Neighbourhood(**kwargs)


def test_neighbourhood_is_frozen() -> None:
    nb = Neighbourhood()
    with pytest.raises(AttributeError):
        nb.max_samples = 3  # type: ignore[misc]


def test_transform_checks_dimension() -> None:
    nb = Neighbourhood(ranges=(100.0, 50.0))
    np.testing.assert_allclose(nb.transform([[0.0, 100.0]]), [[1.0, 0.0]], atol=1e-12)
    with pytest.raises(InputError, match="2 range"):
        nb.transform([[0.0, 0.0, 0.0]])


# -------------------------------------------------------------------- NeighbourSearch


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize(("k", "radius"), [(5, np.inf), (8, 20.0), (1, 35.0)])
def test_isotropic_search_matches_brute_force(ndim, k, radius) -> None:
    rng = np.random.default_rng(10 + ndim)
    samples = rng.uniform(0, 100, (60, ndim))
    targets = rng.uniform(-10, 110, (45, ndim))
    found = NeighbourSearch(samples, Neighbourhood(max_samples=k, radius=radius)).query(targets)
    index, dist, dist_m = brute_neighbours(samples, targets, k, radius)
    assert isinstance(found, Neighbours)
    assert found.index.shape == (45, k)
    np.testing.assert_array_equal(found.index, index)
    np.testing.assert_allclose(found.distance, dist, rtol=1e-12)
    np.testing.assert_allclose(found.distance_m, dist_m, rtol=1e-12)
    np.testing.assert_array_equal(found.count, (index >= 0).sum(axis=1))


@pytest.mark.parametrize(
    ("ranges", "angles", "radius"),
    [((80.0, 30.0, 10.0), (60.0, 20.0, 10.0), 1.0), ((50.0, 20.0), (135.0,), 0.6)],
)
def test_anisotropic_search_matches_brute_force(ranges, angles, radius) -> None:
    rng = np.random.default_rng(3)
    ndim = len(ranges)
    samples = rng.uniform(0, 100, (80, ndim))
    targets = rng.uniform(0, 100, (30, ndim))
    nb = Neighbourhood(max_samples=10, radius=radius, ranges=ranges, angles=angles)
    found = NeighbourSearch(samples, nb).query(targets)
    index, dist, dist_m = brute_neighbours(samples, targets, 10, radius, nb.matrix)
    np.testing.assert_array_equal(found.index, index)
    np.testing.assert_allclose(found.distance, dist, rtol=1e-12)
    np.testing.assert_allclose(found.distance_m, dist_m, rtol=1e-12)
    assert np.any(found.index < 0)  # the radius did cut some searches short


def test_query_is_chunk_size_invariant() -> None:
    rng = np.random.default_rng(5)
    samples = rng.uniform(0, 100, (200, 3))
    targets = rng.uniform(0, 100, (101, 3))
    search = NeighbourSearch(samples, Neighbourhood(max_samples=7, radius=25.0))
    whole = search.query(targets)
    for chunk in (1, 13, 100, 10_000):
        part = search.query(targets, chunk_size=chunk)
        for a, b in zip(whole, part, strict=True):
            np.testing.assert_array_equal(a, b)


def test_padding_when_fewer_samples_than_max_samples() -> None:
    found = NeighbourSearch([[0.0, 0.0], [3.0, 4.0]], Neighbourhood(max_samples=4)).query(
        [[0.0, 0.0]]
    )
    np.testing.assert_array_equal(found.index, [[0, 1, -1, -1]])
    np.testing.assert_array_equal(found.distance, [[0.0, 5.0, np.inf, np.inf]])
    np.testing.assert_array_equal(found.count, [2])


def test_radius_includes_samples_exactly_on_it() -> None:
    search = NeighbourSearch([[3.0, 4.0], [6.0, 8.0]], Neighbourhood(max_samples=2, radius=5.0))
    np.testing.assert_array_equal(search.query([[0.0, 0.0]]).index, [[0, -1]])
    # on the ellipsoid (distance 1.0 in ellipsoid units) also counts
    nb = Neighbourhood(max_samples=2, ranges=(10.0, 2.0))
    found = NeighbourSearch([[0.0, 10.0], [2.0, 0.0], [0.0, 10.5]], nb).query([[0.0, 0.0]])
    assert sorted(found.index[0].tolist()) == [0, 1]


def test_empty_targets_and_bad_shapes() -> None:
    search = NeighbourSearch(np.zeros((3, 2)) + [[0, 0], [1, 0], [0, 1]])
    found = search.query(np.empty((0, 2)))
    assert found.index.shape == (0, 16) and found.count.shape == (0,)
    with pytest.raises(InputError, match="3 column"):
        search.query([[0.0, 0.0, 0.0]])
    with pytest.raises(InputError, match="shape \\(n, d\\)"):
        NeighbourSearch([1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="missing or infinite"):
        NeighbourSearch([[0.0, np.nan]])
    with pytest.raises(InputError, match="1 range"):
        NeighbourSearch([[0.0, 0.0]], Neighbourhood(ranges=(5.0,)))
    with pytest.raises(InputError, match="chunk_size"):
        search.query([[0.0, 0.0]], chunk_size=0)


# --------------------------------------------------- exact selection: octants, holes


def exhaustive(search, targets, *, groups=None, exclude=None, exclude_group=None,
               max_per_group=None):
    """
    Reference: every sample by search distance (ties by index), then one plain greedy.

    Returns the chosen sample indices and their distances, one list per target.
    """
    nb = search.neighbourhood
    samples = nb.transform(search.coords)
    chosen_all, dist_all = [], []
    for j, t in enumerate(nb.transform(targets)):
        diff = samples - t
        d = np.sqrt((diff**2).sum(axis=1))
        octant = ((diff >= 0) * 2 ** np.arange(samples.shape[1])).sum(axis=1)
        per_octant, per_group, chosen = {}, {}, []
        for i in np.argsort(d, kind="stable"):
            if d[i] > nb.radius or len(chosen) == nb.max_samples:
                break
            if exclude is not None and i == exclude[j]:
                continue
            if exclude_group is not None and groups[i] == exclude_group[j]:
                continue
            if nb.max_per_octant is not None and per_octant.get(octant[i], 0) == nb.max_per_octant:
                continue
            if max_per_group is not None and per_group.get(groups[i], 0) == max_per_group:
                continue
            per_octant[octant[i]] = per_octant.get(octant[i], 0) + 1
            if groups is not None:
                per_group[groups[i]] = per_group.get(groups[i], 0) + 1
            chosen.append(int(i))
        chosen_all.append(chosen)
        dist_all.append(d[chosen].tolist())
    return chosen_all, dist_all


def assert_exhaustive(search, targets, chunk_size=65536, **rules):
    """The search's selection equals the exhaustive reference, row by row."""
    found = search._select(np.asarray(targets, float), chunk_size=chunk_size, **rules)
    chosen, dist = exhaustive(search, targets, **rules)
    k = search.neighbourhood.max_samples
    for j, (c, d) in enumerate(zip(chosen, dist, strict=True)):
        assert found.index[j].tolist() == c + [-1] * (k - len(c)), f"target {j}"
        assert found.distance[j].tolist() == d + [np.inf] * (k - len(d)), f"target {j}"
    np.testing.assert_array_equal(found.count, [len(c) for c in chosen])
    metric = np.linalg.norm(search.coords[np.maximum(found.index, 0)] - targets[:, None], axis=2)
    np.testing.assert_allclose(found.distance_m, np.where(found.index >= 0, metric, np.inf),
                               rtol=1e-12, atol=1e-9)
    return found


def columns(rng, ndim, n_holes, per_hole, spacing=5.0):
    """Drillhole-like data: vertical columns of regularly spaced samples, and hole ids."""
    collars = rng.uniform(0, 100, (n_holes, max(ndim - 1, 1)))
    depth = -spacing * np.arange(per_hole)
    if ndim == 1:
        xyz = (collars[:, :1] + depth).reshape(-1, 1)
    else:
        xyz = np.concatenate(
            [np.repeat(collars, per_hole, axis=0), np.tile(depth, n_holes)[:, None]], axis=1
        )
    return xyz, np.repeat(np.arange(n_holes), per_hole)


def layout(rng, kind, ndim, n):
    """Samples and group ids: uniform, drillhole columns, or an integer grid with ties."""
    if kind == "columns":
        return columns(rng, ndim, max(1, n // 6), 6)
    if kind == "grid":  # many exactly equal distances, some repeated points
        xyz = rng.integers(0, 6, (n, ndim)).astype(float) * 10.0
    else:
        xyz = rng.uniform(0, 100, (n, ndim))
    return xyz, rng.integers(0, 5, n)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    ndim=st.integers(1, 3),
    n=st.integers(1, 60),
    kind=st.sampled_from(["uniform", "columns", "grid"]),
    k=st.integers(1, 12),
    per_octant=st.one_of(st.none(), st.integers(1, 4)),
    anisotropic=st.booleans(),
    finite=st.booleans(),
    per_group=st.one_of(st.none(), st.integers(1, 3)),
    leave_out=st.sampled_from([None, "sample", "group"]),
    chunk=st.sampled_from([1, 5, 65536]),
)
def test_selection_equals_the_exhaustive_greedy(
    seed, ndim, n, kind, k, per_octant, anisotropic, finite, per_group, leave_out, chunk
) -> None:
    rng = np.random.default_rng(seed)
    samples, groups = layout(rng, kind, ndim, n)
    n = samples.shape[0]
    if anisotropic:
        ranges = tuple(rng.uniform(10, 100, ndim))
        angles = (0.0, 0.0, 0.0) if ndim == 1 else (rng.uniform(0, 360), 0.0, 0.0)
        if ndim == 3:
            angles = (angles[0], rng.uniform(-60, 60), rng.uniform(-90, 90))
        radius = rng.uniform(0.3, 2.0) if finite else np.inf
        nb = Neighbourhood(k, radius=radius, ranges=ranges, angles=angles,
                           max_per_octant=per_octant)
    else:
        nb = Neighbourhood(k, radius=rng.uniform(10, 80) if finite else None,
                           max_per_octant=per_octant)
    search = NeighbourSearch(samples, nb)
    rules = {"groups": groups, "max_per_group": per_group}
    if leave_out is None:  # inside and well outside the cloud, and on samples
        targets = np.concatenate([rng.uniform(-60, 160, (8, ndim)), samples[:3]])
    else:
        rows = rng.choice(n, min(n, 10), replace=False)
        targets = samples[rows]
        if leave_out == "sample":
            rules["exclude"] = rows
        else:
            rules["exclude_group"] = groups[rows]
    assert_exhaustive(search, targets, chunk_size=chunk, **rules)


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("anisotropic", [False, True])
@pytest.mark.parametrize("radius", [np.inf, 1.2])
def test_octant_search_equals_exhaustive_on_drillholes(ndim, anisotropic, radius, rng) -> None:
    samples, holes = columns(rng, ndim, 30, 12, spacing=2.0)
    if anisotropic:
        ranges, angles = (80.0, 40.0, 10.0)[:ndim], ((35.0, -20.0, 10.0), (35.0,), (0.0,))
        nb = Neighbourhood(16, radius=radius, ranges=ranges, angles=angles[3 - ndim],
                           max_per_octant=2)
    else:
        nb = Neighbourhood(16, radius=60.0 * radius, max_per_octant=2)
    search = NeighbourSearch(samples, nb)
    # Inside, above and far outside the holes: sparse octants make the pool grow.
    targets = np.concatenate([rng.uniform(-20, 120, (40, ndim)),
                              rng.uniform(-500, 500, (10, ndim))])
    found = assert_exhaustive(search, targets, chunk_size=7)
    most = min(16, 2 * 2**ndim)  # 2 per octant
    assert found.count.max() == most and found.count.min() < most  # both kinds of target
    assert_exhaustive(search, targets, groups=holes, max_per_group=3)
    own = rng.choice(samples.shape[0], 25, replace=False)
    assert_exhaustive(search, samples[own], exclude=own)
    assert_exhaustive(search, samples[own], groups=holes, exclude_group=holes[own],
                      max_per_group=2)


def test_pool_reaches_a_lone_far_sample_in_a_sparse_octant(rng) -> None:
    near = np.column_stack([rng.uniform(1, 2, 200), rng.uniform(-1, 1, 200)])
    samples = np.concatenate([near, [[-50.0, 3.0]]])  # alone in the west
    nb = Neighbourhood(max_samples=8, max_per_octant=2)
    found = NeighbourSearch(samples, nb).query([[0.0, 0.0]])
    # 2 per eastern quadrant, then the far western sample (the 201st nearest).
    assert found.count.tolist() == [5] and found.index[0, 4] == 200
    assert found.distance[0, 4] == pytest.approx(np.hypot(50.0, 3.0))
    assert_exhaustive(NeighbourSearch(samples, nb), np.array([[0.0, 0.0], [1.5, 0.0]]))


class RecordingTree:
    """A KD-tree stand-in that records the pool sizes asked of it."""

    def __init__(self, tree) -> None:
        self.tree, self.pools = tree, []

    def query(self, *args, k, **kwargs):
        self.pools.append(k)
        return self.tree.query(*args, k=k, **kwargs)

    def __getattr__(self, name):
        return getattr(self.tree, name)


def test_targets_beyond_the_samples_stop_without_visiting_them_all() -> None:
    xyz = np.stack(np.meshgrid(*[np.arange(10.0)] * 3, indexing="ij"), -1).reshape(-1, 3)
    nb = Neighbourhood(max_samples=32, max_per_octant=2)  # no radius
    search = NeighbourSearch(xyz, nb)
    search.tree = RecordingTree(search.tree)
    beyond = np.array([[4.5, 4.5, 50.0], [-30.0, 4.5, 4.5], [-30.0, -30.0, -30.0]])
    found = assert_exhaustive(search, beyond)
    # Beyond a face of the cloud only 4 octants hold samples (1 beyond a corner): they
    # are full long before the pool holds all 1000 samples.
    assert found.count.tolist() == [8, 8, 2]
    assert max(search.tree.pools) < 1000


def test_an_octant_on_the_edge_of_the_samples_is_searched_to_its_end(rng) -> None:
    # The target lies on the eastern edge of the samples (x = max): the eastern
    # quadrants hold only a far sample at x = max exactly (0 counts as positive).
    west = np.column_stack([rng.uniform(0, 5, 100), rng.uniform(-1, 1, 100)])
    samples = np.concatenate([west, [[9.0, 40.0]]])
    search = NeighbourSearch(samples, Neighbourhood(max_samples=8, max_per_octant=2))
    found = assert_exhaustive(search, np.array([[9.0, 0.0]]))
    assert found.count.tolist() == [5] and found.index[0, 4] == 100


def test_equal_distances_go_in_order_of_sample_index() -> None:
    samples = [[2.0], [-1.0], [1.0], [-2.0], [1.0]]
    search = NeighbourSearch(samples, Neighbourhood(max_samples=3))
    assert search.query([[0.0]]).index.tolist() == [[1, 2, 4]]
    sided = NeighbourSearch(samples, Neighbourhood(max_samples=3, max_per_octant=1))
    assert sided.query([[0.0]]).index.tolist() == [[1, 2, -1]]
    assert sided.query([[1.0]]).index.tolist() == [[2, 1, -1]]  # 0 counts as positive


def test_hole_and_octant_limits_count_used_samples_only() -> None:
    # 1D, one sample per side and per hole. Sample 1 (hole B) is refused because the
    # west side is full; hole B's place stays free, so sample 2 (east) is used and the
    # east side is then full for sample 3.
    samples = np.array([[-0.5], [-1.0], [2.0], [3.0]])
    holes = np.array([0, 1, 1, 2])
    search = NeighbourSearch(samples, Neighbourhood(max_samples=4, max_per_octant=1))
    found = search._select(np.zeros((1, 1)), groups=holes, max_per_group=1)
    assert found.index.tolist() == [[0, 2, -1, -1]]
    assert_exhaustive(search, np.zeros((1, 1)), groups=holes, max_per_group=1)


def test_query_does_not_depend_on_chunk_size_with_octants(rng) -> None:
    samples, _ = columns(rng, 3, 40, 10)
    nb = Neighbourhood(12, ranges=(60.0, 30.0, 8.0), angles=(20.0, -10.0, 5.0), radius=2.0,
                       max_per_octant=2)
    search = NeighbourSearch(samples, nb)
    targets = rng.uniform(-10, 110, (301, 3)) * [1, 1, -0.5]
    whole = search.query(targets)
    for chunk in (1, 17, 300):
        for a, b in zip(whole, search.query(targets, chunk_size=chunk), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("rule", ["octant", "hole", "octant and hole"])
def test_later_targets_start_from_the_pool_the_probe_needed(rule, rng, monkeypatch) -> None:
    # The first 5 targets of each chunk start from the smallest pool, the others from
    # the pool that was enough for half of those: a limit per hole needs more.
    monkeypatch.setattr(neighbourhood, "_PROBE", 5)
    samples, holes = columns(rng, 3, 40, 10, spacing=2.0)
    octant = None if rule == "hole" else 2
    if rule == "octant":  # scattered samples, 4 per octant: the smallest pool mostly does
        samples, octant = rng.uniform(0, 100, (400, 3)), 4
    search = NeighbourSearch(samples, Neighbourhood(12, radius=60.0, max_per_octant=octant))
    search.tree = RecordingTree(search.tree)
    targets = rng.uniform(-10, 110, (60, 3)) * [1, 1, -0.2]
    rules = {} if rule == "octant" else {"groups": holes, "max_per_group": 2}
    found = assert_exhaustive(search, targets, chunk_size=25, **rules)
    assert found.count.min() > 0
    smallest = 12 + 12 // 4
    if rule == "octant":
        assert search.tree.pools[0] == smallest and search.tree.pools.count(smallest) > 3
    else:  # once per chunk (3 chunks): the probes only
        assert search.tree.pools.count(smallest) == 3 and max(search.tree.pools) > smallest


@pytest.mark.parametrize("threads", ["one", "all"])
def test_kernels_give_the_exhaustive_answer_on_one_thread_or_all(threads, rng,
                                                                 monkeypatch) -> None:
    # Small work goes to one thread; here every call takes the path asked for.
    monkeypatch.setattr(neighbourhood, "_PARALLEL_PAIRS", 1 << 60 if threads == "one" else 0)
    samples, holes = columns(rng, 3, 60, 12, spacing=2.0)
    nb = Neighbourhood(16, ranges=(80.0, 40.0, 10.0), angles=(30.0, -10.0, 0.0),
                       radius=1.5, max_per_octant=3)
    search = NeighbourSearch(samples, nb)
    targets = np.concatenate([rng.uniform(-20, 120, (150, 3)) * [1, 1, -0.3],
                              rng.uniform(-500, 500, (10, 3))])
    found = assert_exhaustive(search, targets, chunk_size=64)
    assert (found.count == 16).any() and (found.count < 16).any()
    assert_exhaustive(search, targets, groups=holes, max_per_group=2)
    own = rng.choice(samples.shape[0], 100, replace=False)
    assert_exhaustive(search, samples[own], groups=holes, exclude_group=holes[own],
                      max_per_group=3)
    plain = NeighbourSearch(samples, Neighbourhood(16, ranges=(80.0, 40.0, 10.0)))
    assert_exhaustive(plain, targets, exclude=np.arange(targets.shape[0]) % 5 - 1)


def test_any_group_codes_work(rng) -> None:
    # Codes far apart and unordered (kept as a count per code inside the kernel after
    # ranking), and a left-out code that no sample has.
    samples, holes = columns(rng, 2, 30, 8, spacing=3.0)
    codes = (holes * 7919 + 10**12) % 100_003
    search = NeighbourSearch(samples, Neighbourhood(10, radius=70.0, max_per_octant=3))
    targets = rng.uniform(-10, 110, (40, 2))
    found = assert_exhaustive(search, targets, groups=codes, max_per_group=2)
    assert all(np.bincount(holes[row[row >= 0]], minlength=1).max() <= 2 for row in found.index)
    own = rng.choice(samples.shape[0], 20, replace=False)
    left_out = codes[own]
    left_out[:5] = 5  # no sample has code 5
    assert not np.isin(5, codes)
    assert_exhaustive(search, samples[own], groups=codes, exclude_group=left_out,
                      max_per_group=2)


def test_kuirektykol_octant_search_is_exhaustive(rng) -> None:
    samples = raremin.load_kuirektykol().samples
    xyz = samples[["easting_m", "northing_m", "elevation_m"]].to_numpy()
    targets = rng.uniform(xyz.min(axis=0), xyz.max(axis=0), (500, 3))
    nb = Neighbourhood(max_samples=32, max_per_octant=8, ranges=(1000.0, 1000.0, 100.0),
                       radius=1.5)
    search = NeighbourSearch(xyz, nb)
    found = search.query(targets, chunk_size=128)
    chosen, _ = exhaustive(search, targets)
    np.testing.assert_array_equal(found.count, [len(c) for c in chosen])
    for row, c in zip(found.index, chosen, strict=True):
        assert row[: len(c)].tolist() == c
    # A sound test: full, partial and empty neighbourhoods all occur.
    assert (found.count == 32).sum() > 100 and ((found.count > 0) & (found.count < 32)).any()
    assert (found.count == 0).any()


NO_RULES = _Rules(None, None, None, None)


def pool_of(search, index, distance):
    """Make the search's KD-tree step return this pool (to place ties at its edge)."""
    search._nearest = lambda t, p: (np.array([index], dtype=np.int64),
                                    np.array([distance], dtype=float))


def empty_output(m, k):
    """Output arrays of a selection for m targets (rows 0..m-1), marked as unwritten."""
    return _Output(np.full((m, k), -2), np.full((m, k), -2.0), np.full((m, k), -2.0),
                   np.full(m, -1), np.arange(m))


def test_a_tie_at_the_edge_of_the_pool_is_searched_again() -> None:
    # Samples 0, 2 and 3 tie at distance 5; a pool holding 2 and 3 but not 0 cannot be
    # final: sample 0 comes first among them.
    samples = np.array([[5.0], [-1.0], [5.0], [5.0]])
    search = NeighbourSearch(samples, Neighbourhood(max_samples=2, max_per_octant=1))
    assert search.query([[0.0]]).index.tolist() == [[1, 0]]
    pool_of(search, [1, 2, 3], [1.0, 5.0, 5.0])
    out = empty_output(1, 2)
    final = search._select_pool(np.zeros((1, 1)), np.zeros((1, 1)), 3,
                                np.full((1, 2), -1), False, NO_RULES, out)
    assert final.tolist() == [False] and out.count.tolist() == [-1]  # nothing written


def test_fetched_samples_already_in_the_pool_are_not_used_twice() -> None:
    # East of the target: sample 3 (at the pool's farthest distance, 3) and sample 4.
    samples = np.array([[-1.0], [-2.0], [-3.0], [3.0], [7.0]])
    search = NeighbourSearch(samples, Neighbourhood(max_samples=4, max_per_octant=2))
    expected = [[0, 1, 3, 4]]
    assert search.query([[0.0]]).index.tolist() == expected
    pool_of(search, [0, 1, 2, 3], [1.0, 2.0, 3.0, 3.0])
    counts = np.full((1, 2), -1)
    out = empty_output(1, 4)
    final = search._select_pool(np.zeros((1, 1)), np.zeros((1, 1)), 4, counts, True,
                                NO_RULES, out)
    assert counts.tolist() == [[-1, 2]]  # west full, not counted; east: 2, fetched
    assert final.tolist() == [True] and out.index.tolist() == expected
    assert out.distance.tolist() == [[1.0, 2.0, 3.0, 7.0]]
    assert out.distance_m.tolist() == [[1.0, 2.0, 3.0, 7.0]] and out.count.tolist() == [4]
