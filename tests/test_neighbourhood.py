"""Tests of raremin.geostats.neighbourhood: anisotropy, search rules, KD-tree queries."""

from __future__ import annotations

import numpy as np
import pytest

from raremin.errors import InputError
from raremin.geostats.neighbourhood import (
    Neighbourhood,
    Neighbours,
    NeighbourSearch,
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


# ----------------------------------------------------------------------- octant search


def octant_reference(samples, target, k, per_octant, radius=np.inf, matrix=None):
    """All samples by distance; keep at most `per_octant` from each octant; first k."""
    a = np.eye(samples.shape[1]) if matrix is None else matrix
    diff = (samples - target) @ a.T
    d = np.linalg.norm(diff, axis=1)
    octant = ((diff >= 0) * (2 ** np.arange(samples.shape[1]))).sum(axis=1)
    taken = {}
    chosen = []
    for i in np.argsort(d):
        if d[i] > radius or len(chosen) == k:
            break
        if taken.get(octant[i], 0) < per_octant:
            taken[octant[i]] = taken.get(octant[i], 0) + 1
            chosen.append(i)
    return chosen


@pytest.mark.parametrize(("ndim", "per_octant"), [(2, 2), (3, 1), (3, 2)])
def test_octant_limit_matches_brute_force_when_pool_covers_all(ndim, per_octant) -> None:
    rng = np.random.default_rng(11)
    k = 10
    samples = rng.uniform(0, 100, (4 * k, ndim))  # the candidate pool is every sample
    targets = rng.uniform(20, 80, (25, ndim))
    nb = Neighbourhood(max_samples=k, max_per_octant=per_octant)
    found = NeighbourSearch(samples, nb).query(targets)
    for row, t in zip(found.index, targets, strict=True):
        expected = octant_reference(samples, t, k, per_octant)
        assert row[row >= 0].tolist() == expected


def test_octant_limit_in_rotated_frame_holds_on_large_data() -> None:
    rng = np.random.default_rng(12)
    samples = rng.uniform(0, 1000, (3000, 3))
    targets = rng.uniform(0, 1000, (400, 3))
    nb = Neighbourhood(
        max_samples=12, max_per_octant=2, ranges=(300, 150, 50), angles=(30, 15, 5), radius=2.0
    )
    found = NeighbourSearch(samples, nb).query(targets, chunk_size=97)
    a = nb.matrix
    for row, dist, t in zip(found.index, found.distance, targets, strict=True):
        used = row[row >= 0]
        diff = (samples[used] - t) @ a.T
        octant = ((diff >= 0) * [1, 2, 4]).sum(axis=1)
        assert np.bincount(octant, minlength=8).max() <= 2
        d = np.linalg.norm(diff, axis=1)
        np.testing.assert_allclose(dist[: used.size], d, rtol=1e-10)
        assert np.all(np.diff(d) >= 0) and np.all(d <= 2.0)
        assert len(set(used.tolist())) == used.size
