"""Tests of raremin.domains: solids, surfaces, layers, topography and ray casting."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from conftest import star_polygon
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from raremin.domains import (
    FOOT_M,
    Crossings,
    Intervals,
    Layer,
    Prism,
    Solid,
    Surface,
    block_proportions,
    body_volume,
    clip_below,
)
from raremin.errors import GeometryError, InputError
from raremin.grid import BlockGrid, zone_proportions


# ---------------------------------------------------------------------------------------
# Bodies built from their analytic form at a known tessellation
# ---------------------------------------------------------------------------------------
def uv_sphere(radius, n_lat, n_lon, centre=(0.0, 0.0, 0.0)):
    """Poles and n_lat - 1 rings of n_lon vertices; faces wound outwards."""
    theta = np.pi * np.arange(1, n_lat) / n_lat
    phi = 2 * np.pi * np.arange(n_lon) / n_lon
    th, ph = np.meshgrid(theta, phi, indexing="ij")
    ring = np.column_stack([(radius * np.sin(th) * np.cos(ph)).ravel(),
                            (radius * np.sin(th) * np.sin(ph)).ravel(),
                            (radius * np.cos(th)).ravel()])
    verts = np.vstack([[0, 0, radius], ring, [0, 0, -radius]]) + np.asarray(centre, float)
    bottom = len(verts) - 1
    j = np.arange(n_lon)

    def v(i, k):
        return 1 + i * n_lon + (k % n_lon)

    faces = [np.column_stack([np.zeros(n_lon, int), v(0, j), v(0, j + 1)])]
    for i in range(n_lat - 2):
        a, b, c, d = v(i, j), v(i, j + 1), v(i + 1, j), v(i + 1, j + 1)
        faces += [np.column_stack([a, c, d]), np.column_stack([a, d, b])]
    faces.append(np.column_stack([np.full(n_lon, bottom), v(n_lat - 2, j + 1), v(n_lat - 2, j)]))
    return verts, np.vstack(faces)


def uv_sphere_volume(radius, n_lat, n_lon):
    """The UV sphere polyhedron: a stack of frusta of regular n_lon-gons (and two pyramids)."""
    theta = np.pi * np.arange(n_lat + 1) / n_lat
    area = 0.5 * n_lon * np.sin(2 * np.pi / n_lon) * (radius * np.sin(theta)) ** 2
    z = radius * np.cos(theta)
    a1, a2 = area[:-1], area[1:]
    return float(np.sum((z[:-1] - z[1:]) / 3 * (a1 + a2 + np.sqrt(a1 * a2))))


def torus(big_r, small_r, n_u, n_v):
    u = 2 * np.pi * np.arange(n_u) / n_u
    v = 2 * np.pi * np.arange(n_v) / n_v
    uu, vv = np.meshgrid(u, v, indexing="ij")
    rho = big_r + small_r * np.cos(vv)
    verts = np.column_stack([(rho * np.cos(uu)).ravel(), (rho * np.sin(uu)).ravel(),
                             (small_r * np.sin(vv)).ravel()])
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n_u), np.arange(n_v), indexing="ij"))
    a = i * n_v + j
    b = ((i + 1) % n_u) * n_v + j
    c = ((i + 1) % n_u) * n_v + (j + 1) % n_v
    d = i * n_v + (j + 1) % n_v
    return verts, np.vstack([np.column_stack([a, b, c]), np.column_stack([a, c, d])])


def torus_volume(big_r, small_r, n_u, n_v):
    """
    The polyhedral torus: each of the n_u sectors is the linear sweep of the regular
    n_v-gon cross-section, volume sin(2 pi / n_u) x area x centroid radius (Pappus).
    """
    section = 0.5 * n_v * small_r**2 * np.sin(2 * np.pi / n_v)
    return float(n_u * np.sin(2 * np.pi / n_u) * section * big_r)


def box_mesh(lo, hi, flip_diagonals=False):
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                  [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], float)
    if not flip_diagonals:
        f = [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
             [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
    else:
        f = [[0, 3, 1], [1, 3, 2], [4, 5, 7], [5, 6, 7], [0, 1, 4], [1, 5, 4],
             [1, 2, 5], [2, 6, 5], [2, 3, 6], [3, 7, 6], [3, 0, 7], [0, 4, 7]]
    return v, np.array(f)


def rotation(dip_deg, azimuth_deg):
    a, b = np.radians(dip_deg), np.radians(azimuth_deg)
    tilt = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    turn = np.array([[np.cos(b), -np.sin(b), 0], [np.sin(b), np.cos(b), 0], [0, 0, 1]])
    return turn @ tilt


def slab():
    """A 100 x 40 x 10 m box dipping 35 degrees, striking obliquely to the grid."""
    v, f = box_mesh((-50, -20, -5), (50, 20, 5))
    return v @ rotation(35, 30).T + [500_000.0, 7_000_000.0, 300.0], f


BODIES = {
    "sphere": (lambda: uv_sphere(50.0, 24, 48, (1000.0, 2000.0, 100.0)),
               uv_sphere_volume(50.0, 24, 48)),
    "torus": (lambda: torus(100.0, 30.0, 64, 32), torus_volume(100.0, 30.0, 64, 32)),
    "slab": (slab, 100.0 * 40.0 * 10.0),
}


def winding_number(verts, faces, points):
    """Generalized winding number (solid angles, van Oosterom and Strackee 1983)."""
    out = np.zeros(len(points))
    tri = verts[faces]
    for start in range(0, len(points), 200):
        p = points[start:start + 200, None, None, :]
        a, b, c = (tri[None, :, k, :] - p[:, :, 0, :] for k in range(3))
        la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
        det = np.einsum("ijk,ijk->ij", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("ijk,ijk->ij", a, b) * lc
               + np.einsum("ijk,ijk->ij", a, c) * lb + np.einsum("ijk,ijk->ij", b, c) * la)
        out[start:start + 200] = np.sum(2 * np.arctan2(det, den), axis=1) / (4 * np.pi)
    return out


def coded_volume(grid, index, proportion):
    assert np.all(np.diff(index) > 0)
    assert np.all((proportion > 0) & (proportion <= 1))
    return float(proportion.sum() * grid.block_volume_m3)


# ---------------------------------------------------------------------------------------
# Volumes and block proportions
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BODIES))
def test_mesh_volume_is_the_polyhedron_volume(name):
    make, exact = BODIES[name]
    solid = Solid.from_arrays(*make(), name=name)
    assert solid.volume_m3 == pytest.approx(exact, rel=1e-9)
    assert solid.report["check_rays_not_alternating"] == 0
    assert solid.n_shells == 1


@pytest.mark.parametrize("name", sorted(BODIES))
def test_ray_proportions_volume_within_half_a_percent(name):
    make, _ = BODIES[name]
    solid = Solid.from_arrays(*make(), name=name)
    b = np.array(solid.bounds)
    size = float(np.max(b[3:] - b[:3])) / 10
    # An origin deliberately off the body's bounds: no alignment helps.
    grid = BlockGrid(b[:3] - 0.37 * size, size, (12, 12, 12))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        index, proportion = block_proportions(grid, solid, subcells=4, method="rays")
    assert coded_volume(grid, index, proportion) == pytest.approx(solid.volume_m3, rel=5e-3)


@pytest.mark.parametrize("method", ["exact", "rays"])
def test_sphere_blocks_inside_are_full_and_outside_absent(method):
    radius = 50.0
    solid = Solid.from_arrays(*uv_sphere(radius, 24, 48))
    grid = BlockGrid((-60, -60, -60), 10, (12, 12, 12))
    index, proportion = block_proportions(grid, solid, method=method)
    centres = grid.index_to_coords(np.arange(grid.n_blocks))
    corners = np.array([[dx, dy, dz] for dx in (-5, 5) for dy in (-5, 5) for dz in (-5, 5)])
    far = np.linalg.norm(centres[:, None, :] + corners[None], axis=-1)
    # The polyhedron holds the ball of its inradius and lies within the circumscribed ball.
    inradius = radius * np.cos(np.pi / 24) * np.cos(np.pi / 48)
    full = np.flatnonzero(far.max(axis=1) < inradius - 1e-9)
    empty = np.flatnonzero(np.linalg.norm(centres, axis=1) - 5 * np.sqrt(3) > radius)
    lookup = dict(zip(index.tolist(), proportion.tolist(), strict=True))
    assert full.size > 50
    assert all(lookup[i] == 1.0 for i in full)
    assert not set(empty.tolist()) & set(lookup)


@pytest.mark.parametrize("flip_diagonals", [False, True])
def test_rays_through_edges_and_vertices_are_counted_once(flip_diagonals):
    # Rays at 0.25 + 0.5 k (block 1 m, 2 x 2 sub-cells): the cube's corners, edges and face
    # diagonals all lie on rays.
    solid = Solid.from_arrays(*box_mesh((0.25, 0.25, 0.25), (2.25, 2.25, 2.25),
                                        flip_diagonals))
    grid = BlockGrid((0, 0, 0), 1, (3, 3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        index, proportion = block_proportions(grid, solid, subcells=2, method="rays")
    # The ray rule: a ray on the -x or -y side is inside, on the +x or +y side outside.
    ray = 0.25 + 0.5 * np.arange(6)
    inside = (ray >= 0.25) & (ray < 2.25)
    plan = inside.reshape(3, 2).mean(axis=1)
    vertical = np.clip(np.minimum(np.arange(3) + 1, 2.25) - np.maximum(np.arange(3), 0.25), 0, 1)
    expected = (plan[:, None, None] * plan[None, :, None] * vertical[None, None, :])
    expected = expected.ravel(order="F")
    np.testing.assert_allclose(proportion, expected[index], rtol=0, atol=1e-15)
    assert set(index.tolist()) == set(np.flatnonzero(expected).tolist())
    assert coded_volume(grid, index, proportion) == pytest.approx(8.0, rel=1e-15)


def test_block_proportions_chunks_give_the_same_answer(monkeypatch):
    import raremin.domains as domains

    solid = Solid.from_arrays(*torus(100.0, 30.0, 32, 16))
    grid = BlockGrid((-140, -140, -40), (14, 14, 8), (20, 20, 10))
    whole = block_proportions(grid, solid, method="rays")
    monkeypatch.setattr(domains, "_CHUNK_RAYS", 100)
    monkeypatch.setattr(domains, "_MAX_PAIRS", 1000)
    chunked = block_proportions(grid, solid, method="rays")
    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_allclose(whole[1], chunked[1], rtol=0, atol=1e-14)


# ---------------------------------------------------------------------------------------
# Exact block proportions of closed solids
# ---------------------------------------------------------------------------------------
def dipping_box(azimuth_deg):
    """The 100 x 40 x 10 m box dipping 35 degrees about a horizontal axis."""
    v, f = box_mesh((-50, -20, -5), (50, 20, 5))
    return v @ rotation(35, azimuth_deg).T + [500_000.0, 7_000_000.0, 300.0], f


EXACT_BODIES = {
    "box": (lambda: box_mesh((3.3, -7.1, 12.9), (61.7, 28.4, 40.2)), 58.4 * 35.5 * 27.3),
    # The end faces (at y = +-20 before the rotation) stay vertical and face -y / +y.
    "dip about a grid axis": (lambda: dipping_box(0.0), 40_000.0),
    "dip about an oblique axis": (lambda: dipping_box(30.0), 40_000.0),
    "sphere": BODIES["sphere"],
    "torus": BODIES["torus"],
}


def grid_over(solid, offset, blocks=10):
    """A cubic-block grid over a solid, blocks a tenth of its largest extent, shifted."""
    b = np.array(solid.bounds)
    size = float(np.max(b[3:] - b[:3])) / blocks
    return BlockGrid(b[:3] - offset * size, size, (blocks + 2,) * 3)


def convex_block_volume(solid, lo, hi):
    """Volume of a convex solid inside the box [lo, hi]: a half-space intersection."""
    from scipy.optimize import linprog
    from scipy.spatial import ConvexHull, HalfspaceIntersection

    a, b, c = (solid.vertices[solid.faces[:, k]] for k in range(3))
    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal, axis=1)[:, None]
    lhs = np.vstack([normal, np.eye(3), -np.eye(3)])
    rhs = np.concatenate([np.einsum("ij,ij->i", normal, a), hi, -np.asarray(lo)])
    # The Chebyshev centre: a point strictly inside (none: the intersection is flat).
    res = linprog([0, 0, 0, -1], A_ub=np.column_stack([lhs, np.ones(len(lhs))]), b_ub=rhs,
                  bounds=[(None, None)] * 3 + [(0, None)])
    if res.status != 0 or res.x[3] <= 1e-9 * float(np.max(np.asarray(hi) - lo)):
        return 0.0
    hs = HalfspaceIntersection(np.column_stack([lhs, -rhs]), res.x[:3])
    return ConvexHull(hs.intersections).volume


@pytest.mark.parametrize("offset", [0.11, 0.37, 0.5, 0.73, 0.9])
@pytest.mark.parametrize("name", sorted(EXACT_BODIES))
def test_exact_proportions_add_up_to_the_mesh_volume(name, offset):
    make, volume = EXACT_BODIES[name]
    solid = Solid.from_arrays(*make(), name=name)
    assert solid.volume_m3 == pytest.approx(volume, rel=1e-9)
    grid = grid_over(solid, offset)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        index, proportion = block_proportions(grid, solid)
    assert coded_volume(grid, index, proportion) == pytest.approx(volume, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(dip=st.floats(0, 90), azimuth=st.floats(0, 360), offset=st.tuples(*[st.floats(0, 1)] * 3),
       size=st.tuples(st.floats(2, 30), st.floats(2, 30), st.floats(1, 15)))
def test_exact_proportions_of_any_rotated_box_add_up_to_its_volume(dip, azimuth, offset, size):
    v, f = box_mesh((-50, -20, -5), (50, 20, 5))
    solid = Solid.from_arrays(v @ rotation(dip, azimuth).T + [1000.0, 2000.0, 300.0], f)
    b = np.array(solid.bounds)
    size = np.array(size)
    lo = b[:3] - np.array(offset) * size
    grid = BlockGrid(lo, size, tuple(np.ceil((b[3:] - lo) / size).astype(int) + 1))
    index, proportion = block_proportions(grid, solid)
    assert coded_volume(grid, index, proportion) == pytest.approx(solid.volume_m3, rel=1e-9)


def test_rays_miss_a_vertical_face_parallel_to_a_grid_axis_and_exact_does_not():
    # Why solids are coded exactly: the ray lattice's error adds up along such a face.
    solid = Solid.from_arrays(*dipping_box(0.0))
    grid = grid_over(solid, 0.37)
    rays = coded_volume(grid, *block_proportions(grid, solid, method="rays"))
    exact = coded_volume(grid, *block_proportions(grid, solid))
    assert abs(rays / solid.volume_m3 - 1) > 0.01
    assert exact == pytest.approx(solid.volume_m3, rel=1e-12)


@pytest.mark.parametrize("name", ["sphere", "dip about a grid axis",
                                  "dip about an oblique axis"])
def test_exact_block_volumes_match_a_half_space_intersection(name, rng):
    solid = Solid.from_arrays(*EXACT_BODIES[name][0]())
    grid = grid_over(solid, 0.37)
    index, proportion = block_proportions(grid, solid)
    full = np.zeros(grid.n_blocks)
    full[index] = proportion
    # Touched blocks, partly and wholly inside, and blocks that must stay empty.
    partial, whole = index[proportion < 1], index[proportion == 1]
    pick = np.concatenate([rng.choice(partial, 25, replace=False),
                           rng.choice(whole, min(5, len(whole)), replace=False),
                           rng.choice(np.setdiff1d(np.arange(grid.n_blocks), index), 10,
                                      replace=False)])
    half = 0.5 * np.asarray(grid.block_size)
    centres = grid.index_to_coords(pick)
    expected = [convex_block_volume(solid, c - half, c + half) for c in centres]
    np.testing.assert_allclose(full[pick] * grid.block_volume_m3, expected, rtol=1e-9,
                               atol=1e-9 * grid.block_volume_m3)


def test_exact_block_volumes_of_a_torus_are_the_limit_of_the_rays():
    solid = Solid.from_arrays(*torus(100.0, 30.0, 64, 32))
    grid = BlockGrid((-137, -131, -41), (23, 19, 13), (13, 14, 7))
    exact = np.zeros(grid.n_blocks)
    index, proportion = block_proportions(grid, solid)
    exact[index] = proportion
    errors = []
    for subcells in (8, 32):
        rays = np.zeros(grid.n_blocks)
        index, proportion = block_proportions(grid, solid, subcells=subcells, method="rays")
        rays[index] = proportion
        errors.append(np.abs(rays - exact).max())
    # The midpoint rule converges to the exact shares (error ~ 1 / subcells**2).
    assert errors[1] < 2e-3 and errors[1] < errors[0] / 10


@settings(max_examples=40, deadline=None)
@given(lo=st.tuples(*[st.floats(-100, 100)] * 3),
       size=st.tuples(*[st.floats(1, 60)] * 3))
def test_exact_proportions_of_a_box_are_its_overlaps(lo, size):
    lo = np.array(lo)
    hi = lo + np.array(size)
    solid = Solid.from_arrays(*box_mesh(lo, hi))
    grid = BlockGrid((-110, -110, -110), (13, 11, 7), (22, 26, 40))
    share = []
    for axis in range(3):
        edges = grid.origin[axis] + grid.block_size[axis] * np.arange(grid.shape[axis] + 1)
        overlap = np.minimum(hi[axis], edges[1:]) - np.maximum(lo[axis], edges[:-1])
        share.append(np.clip(overlap, 0, None) / grid.block_size[axis])
    expected = (share[0][:, None, None] * share[1][None, :, None]
                * share[2][None, None, :]).ravel(order="F")
    index, proportion = block_proportions(grid, solid)
    got = np.zeros(grid.n_blocks)
    got[index] = proportion
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-11)
    np.testing.assert_array_equal(got[expected == 1], 1.0)


def test_box_filling_blocks_exactly_gives_proportions_of_one():
    origin = np.array([500_000.0, 7_000_000.0, 300.0])
    solid = Solid.from_arrays(*box_mesh(origin + (20, 10, 15), origin + (60, 40, 35)))
    grid = BlockGrid(origin, (10, 10, 5), (10, 8, 12))
    index, proportion = block_proportions(grid, solid)
    i, j, k = np.meshgrid(np.arange(2, 6), np.arange(1, 4), np.arange(3, 7), indexing="ij")
    expected = np.sort((i + 10 * (j + 8 * k)).ravel())
    np.testing.assert_array_equal(index, expected)
    np.testing.assert_allclose(proportion, 1.0, rtol=0, atol=1e-12)


def test_exact_chunks_give_the_same_answer(monkeypatch):
    import raremin.domains as domains

    solid = Solid.from_arrays(*torus(100.0, 30.0, 32, 16))
    grid = BlockGrid((-140, -140, -40), (14, 14, 8), (20, 20, 10))
    whole = block_proportions(grid, solid)
    monkeypatch.setattr(domains, "_CHUNK_CLIP", 37)
    monkeypatch.setattr(domains, "_CHUNK_CELLS", 100)
    chunked = block_proportions(grid, solid)
    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_allclose(whole[1], chunked[1], rtol=0, atol=1e-13)


def test_exact_plan_shares_on_a_2d_grid_add_up_to_the_footprint():
    solid = Solid.from_arrays(*uv_sphere(50.0, 24, 48))
    grid = BlockGrid((-63, -58), (9, 11), (14, 11))
    index, proportion = block_proportions(grid, solid)
    assert np.all((proportion > 0) & (proportion <= 1))
    assert proportion.sum() * 99 == pytest.approx(solid.footprint().area, rel=1e-12)
    # The rays sample the same shares.
    rays = np.zeros(grid.n_blocks)
    i_r, p_r = block_proportions(grid, solid, method="rays", subcells=16)
    rays[i_r] = p_r
    assert np.abs(rays[index] - proportion).max() < 0.02


def test_block_proportions_of_a_prism_match_the_subcell_method(rng):
    footprint = star_polygon(rng, 12, centre=(500.0, 500.0), radius=400.0)
    grid = BlockGrid((0, 0, 0), (50, 50, 20), (20, 20, 6))
    from raremin.deposit import Zone

    zone = Zone("A", footprint, top_m=95.0, bottom_m=12.0, density_t_m3=2.6)
    ours = block_proportions(grid, Prism.from_zone(zone), subcells=5)
    ref = zone_proportions(grid, zone, method="subcell", subcells=5)
    np.testing.assert_array_equal(ours[0], ref[0])
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-12)


@pytest.mark.parametrize("method", ["exact", "rays", None])
def test_block_proportions_on_a_2d_grid_are_plan_shares(method):
    solid = Solid.from_arrays(*box_mesh((0, 0, 0), (15, 10, 5)))
    grid = BlockGrid((0, 0), (10, 10), (2, 1))
    index, proportion = block_proportions(grid, solid, subcells=4, method=method)
    assert index.tolist() == [0, 1]
    assert proportion.tolist() == [1.0, 0.5]


@pytest.mark.parametrize("method", ["exact", "rays"])
def test_body_beyond_the_grid_warns_with_the_volume_left_out(method):
    solid = Solid.from_arrays(*box_mesh((0, 0, 0), (10, 10, 10)))
    grid = BlockGrid((0, 0, 0), 5, (2, 2, 1))
    with pytest.warns(UserWarning, match=r"extends beyond the block grid .* 500 m3"):
        index, proportion = block_proportions(grid, solid, method=method)
    assert coded_volume(grid, index, proportion) == pytest.approx(500.0)


def test_bad_arguments_raise():
    solid = Solid.from_arrays(*box_mesh((0, 0, 0), (1, 1, 1)))
    grid = BlockGrid((0, 0, 0), 1, (1, 1, 1))
    with pytest.raises(InputError, match="subcells"):
        block_proportions(grid, solid, subcells=0)
    with pytest.raises(InputError, match="body must be"):
        block_proportions(grid, "cube")
    with pytest.raises(InputError, match="topography must be"):
        block_proportions(grid, solid, topography=3.0)
    with pytest.raises(InputError, match="unknown method 'ray'"):
        block_proportions(grid, solid, method="ray")
    with pytest.raises(InputError, match="method='exact' codes closed solids; a prism"):
        block_proportions(grid, Prism(shapely.box(0, 0, 1, 1), 0.0, 1.0), method="exact")
    with pytest.raises(InputError, match="without topography"):
        block_proportions(grid, solid, method="exact", topography=plane(0.5, 0.0, 0.0))


# ---------------------------------------------------------------------------------------
# Inside tests
# ---------------------------------------------------------------------------------------
def test_contains_agrees_with_the_winding_number(rng):
    import trimesh

    verts, faces = torus(100.0, 30.0, 24, 12)
    solid = Solid.from_arrays(verts, faces)
    lo, hi = np.array(solid.bounds[:3]), np.array(solid.bounds[3:])
    random = rng.uniform(lo - 5, hi + 5, (1500, 3))
    # Rays exactly through vertices and edge midpoints (degenerate cases), random heights.
    through_vertex = np.column_stack([verts[:, :2], rng.uniform(lo[2], hi[2], len(verts))])
    mid = 0.5 * (verts[faces[:, 0]] + verts[faces[:, 1]])
    through_edge = np.column_stack([mid[:, :2], rng.uniform(lo[2], hi[2], len(mid))])
    points = np.vstack([random, through_vertex, through_edge])
    mesh = trimesh.Trimesh(verts, faces, process=False)
    _, distance, _ = trimesh.proximity.closest_point(mesh, points)
    away = distance > 1e-6
    assert away.mean() > 0.99
    expected = np.round(winding_number(verts, faces, points)) >= 1
    got = solid.contains(points)
    assert got.dtype == bool and got.shape == (len(points),)
    np.testing.assert_array_equal(got[away], expected[away])
    assert 0.1 < expected.mean() < 0.9


def test_points_on_the_surface_count_as_inside():
    solid = Solid.from_arrays(*box_mesh((0, 0, 0), (10, 10, 10)))
    points = [[5, 5, 0], [5, 5, 10], [3, 7, 10], [5, 5, 10.001], [5, 5, -0.001], [0, 5, 5]]
    assert solid.contains(points).tolist() == [True, True, True, False, False, True]


def test_intervals_are_sorted_disjoint_and_match_the_crossings(rng):
    solid = Solid.from_arrays(*torus(100.0, 30.0, 32, 16))
    x = rng.uniform(-140, 140, 3000)
    y = rng.uniform(-140, 140, 3000)
    iv = solid.intervals(x, y)
    assert isinstance(iv, Intervals) and iv.n_rays == 3000
    assert np.all(iv.z_out > iv.z_in)
    order = np.lexsort((iv.z_in, iv.ray))
    np.testing.assert_array_equal(order, np.arange(len(order)))
    same = iv.ray[1:] == iv.ray[:-1]
    assert np.all(iv.z_in[1:][same] > iv.z_out[:-1][same])
    # A ray through the hole's axis crosses the torus twice on each side only off-axis.
    r = np.hypot(x, y)
    hit = np.bincount(iv.ray, minlength=3000) > 0
    np.testing.assert_array_equal(hit[(r < 69) | (r > 131)], False)
    np.testing.assert_array_equal(hit[(r > 72) & (r < 128)], True)


@pytest.mark.parametrize("make", [lambda: box_mesh((0, 0, 0), (2, 2, 2)),
                                  lambda: uv_sphere(2.0, 4, 8)])
def test_lattice_and_point_engines_agree_on_degenerate_rays(make):
    verts, faces = make()
    solid = Solid.from_arrays(verts, faces)
    xs = np.linspace(-2.5, 2.5, 21)  # steps of 0.25: through vertices, edges and poles
    gx, gy = np.meshgrid(xs, xs)
    lattice, issues = solid._lattice(xs, xs)
    points = solid.intervals(gx.ravel(), gy.ravel())
    for a, b in zip(lattice[2:], points[2:], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not issues["self_intersection"][0].any()
    assert lattice.length_m().max() == pytest.approx(2.0 if len(verts) == 8 else 4.0)


@settings(max_examples=40, deadline=None)
@given(lo=st.tuples(*[st.floats(-100, 100)] * 3),
       size=st.tuples(*[st.floats(1, 60)] * 3),
       subcells=st.integers(1, 5))
def test_box_solid_codes_like_a_prism(lo, size, subcells):
    lo = np.array(lo)
    hi = lo + np.array(size)
    solid = Solid.from_arrays(*box_mesh(lo, hi))
    grid = BlockGrid((-110, -110, -110), (13, 11, 7), (22, 26, 40))
    # Rays on a side follow different rules (the prism includes its boundary), and so do
    # rays within rounding of one (e.g. a side at y = 1.1, a ray at 1.1000000000000085).
    sub_x = -110 + 13 / subcells * (np.arange(22 * subcells) + 0.5)
    sub_y = -110 + 11 / subcells * (np.arange(26 * subcells) + 0.5)
    near = lambda sides, rays: np.isclose(sides[:, None], rays, rtol=0, atol=1e-9).any()  # noqa: E731
    assume(not near(np.array([lo[0], hi[0]]), sub_x) and not near(np.array([lo[1], hi[1]]), sub_y))
    prism = Prism(shapely.box(lo[0], lo[1], hi[0], hi[1]), lo[2], hi[2])
    a = block_proportions(grid, solid, subcells=subcells, method="rays")
    b = block_proportions(grid, prism, subcells=subcells)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-9, atol=1e-12)
    x = np.linspace(lo[0] - 1, hi[0] + 1, 50)
    x = x[(x != lo[0]) & (x != hi[0])]  # points on a vertical side: see Body.contains
    pts = np.column_stack([x, np.full(len(x), lo[1] + 0.5 * size[1]),
                           np.full(len(x), lo[2] + 0.5 * size[2])])
    np.testing.assert_array_equal(solid.contains(pts), prism.contains(pts))


# ---------------------------------------------------------------------------------------
# Mesh checks and repairs
# ---------------------------------------------------------------------------------------
def test_open_mesh_is_refused_with_count_and_location():
    verts, faces = uv_sphere(10.0, 8, 12)
    with pytest.raises(GeometryError, match=r"not watertight: 3 open edge\(s\).*first at") as err:
        Solid.from_arrays(verts, faces[1:], name="holed")
    first = faces[0]
    assert any(f"{verts[i, 2]:.3f}" in str(err.value) for i in first)
    assert "close the mesh" in str(err.value).lower()


def test_inward_mesh_is_flipped_with_a_warning():
    verts, faces = uv_sphere(10.0, 8, 12)
    with pytest.warns(UserWarning, match=r"1 shell\(s\) \(168 faces\) had normals pointing into"):
        solid = Solid.from_arrays(verts, faces[:, ::-1])
    assert solid.volume_m3 == pytest.approx(uv_sphere_volume(10.0, 8, 12), rel=1e-12)
    assert solid.report["faces_flipped_inward"] == 168


def test_inconsistent_winding_is_repaired_with_a_count(rng):
    verts, faces = uv_sphere(10.0, 8, 12)
    bad = rng.choice(len(faces), 7, replace=False)
    faces = faces.copy()
    faces[bad] = faces[bad][:, ::-1]
    with pytest.warns(UserWarning, match=r"7 of 168 faces were wound inconsistently"):
        solid = Solid.from_arrays(verts, faces)
    assert solid.volume_m3 == pytest.approx(uv_sphere_volume(10.0, 8, 12), rel=1e-12)
    assert solid.report["faces_flipped_winding"] == 7


def test_flat_closed_mesh_has_zero_volume_and_is_refused():
    verts = np.array([[0, 0, 5], [10, 0, 5], [10, 10, 5], [0, 10, 5]], float)
    faces = np.array([[0, 1, 2], [0, 2, 3], [1, 0, 3], [1, 3, 2]])  # two sides, two diagonals
    with pytest.raises(GeometryError, match="enclose \\(almost\\) no volume"):
        Solid.from_arrays(verts, faces)


def test_duplicate_vertices_are_merged():
    verts, faces = box_mesh((0, 0, 0), (10, 10, 10))
    soup = verts[faces].reshape(-1, 3)  # every triangle with its own vertices (like STL)
    solid = Solid.from_arrays(soup, np.arange(len(soup)).reshape(-1, 3))
    assert solid.report["merged_vertices"] == len(soup) - 8
    assert solid.volume_m3 == pytest.approx(1000.0, rel=1e-12)


@pytest.mark.parametrize(("same_diagonal", "removed", "merged"),
                         [(True, 4, True), (False, 0, True), (False, 0, False)])
@pytest.mark.parametrize("axis", [0, 2])
def test_shells_touching_face_to_face(same_diagonal, removed, merged, axis):
    # Two cubes exported as two closed shells sharing a face: coincident faces of opposite
    # orientation cancel (an internal wall); otherwise the shared edges are non-manifold
    # (4 faces each), or the shells share no vertex at all, and they stay, touching.
    verts, faces = box_mesh((0, 0, 0), (10, 10, 10))
    shift = np.zeros(3)
    shift[axis] = 10.0
    # Side faces agree with flipped diagonals, top and bottom faces as they are.
    v2, f2 = box_mesh(shift, shift + 10, flip_diagonals=same_diagonal == (axis == 0))
    if not merged:
        v2[:, 1] = np.where(v2[:, 1] == 0, 2.0, v2[:, 1])  # shared face only in part
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = Solid.from_arrays(np.vstack([verts, v2]), np.vstack([faces, f2 + 8]))
    assert both.report["internal_faces_removed"] == removed
    expected = 1000.0 + (1000.0 if merged else 800.0)
    assert both.volume_m3 == pytest.approx(expected)
    grid = BlockGrid((0, 0, 0), 2, (10, 10, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        index, proportion = block_proportions(grid, both)
    assert coded_volume(grid, index, proportion) == pytest.approx(expected, rel=1e-12)
    inner = np.full(3, 5.0)
    inner[axis] = 10.0
    assert both.contains([inner]).all()


def test_cavity_is_subtracted_and_its_orientation_repaired():
    outer_v, outer_f = box_mesh((0, 0, 0), (10, 10, 10))
    inner_v, inner_f = box_mesh((3, 3, 3), (6, 6, 6))
    verts = np.vstack([outer_v, inner_v])
    hollow = Solid.from_arrays(verts, np.vstack([outer_f, inner_f[:, ::-1] + 8]))
    assert hollow.volume_m3 == pytest.approx(1000.0 - 27.0) and hollow.n_shells == 2
    assert not hollow.contains([[4.5, 4.5, 4.5]])[0] and hollow.contains([[1, 1, 1]])[0]
    with pytest.warns(UserWarning, match="1 shell"):
        repaired = Solid.from_arrays(verts, np.vstack([outer_f, inner_f + 8]))
    assert repaired.volume_m3 == pytest.approx(973.0)
    grid = BlockGrid((0, 0, 0), 2, (5, 5, 5))
    index, proportion = block_proportions(grid, hollow)
    assert coded_volume(grid, index, proportion) == pytest.approx(973.0)


def test_self_intersection_is_reported_and_refused_when_large():
    a_v, a_f = box_mesh((0, 0, 0), (10, 10, 10))
    b_v, b_f = box_mesh((5, 0, 0), (15, 10, 10))
    with pytest.raises(GeometryError, match=r"do not alternate entry/exit .* refused"):
        Solid.from_arrays(np.vstack([a_v, b_v]), np.vstack([a_f, b_f + 8]), name="overlap")
    # A corner of overlap: a warning, and the union is used.
    c_v, c_f = box_mesh((9.5, 9.5, 0), (19.5, 19.5, 10))
    with pytest.warns(UserWarning, match=r"along \d+ of [\d,]+ vertical rays .*\(first at"):
        solid = Solid.from_arrays(np.vstack([a_v, c_v]), np.vstack([a_f, c_f + 8]))
    assert 0 < solid.report["check_rays_not_alternating"] < 0.01 * solid.report["check_rays"]
    with pytest.warns(UserWarning, match="along 1 of 1 vertical rays"):
        assert solid.contains([[9.75, 9.75, 5]])[0]
    grid = BlockGrid((0, 0, 0), (0.5, 0.5, 10), (39, 39, 1))
    # The solid was flagged when built: by default it is coded by rays (the union).
    with pytest.warns(UserWarning, match=r"along 16 of [\d,]+ vertical rays .* do not alternate"):
        index, proportion = block_proportions(grid, solid, subcells=4)
    assert coded_volume(grid, index, proportion) == pytest.approx(1997.5, rel=1e-12)
    # The exact method integrates the winding number: the overlap (one block here) holds
    # twice its volume, capped at 1 and counted.
    with pytest.warns(UserWarning, match=r"1 block\(s\) hold more than their own volume .* "
                                         r"found \d+ vertical rays"):
        index, proportion = block_proportions(grid, solid, method="exact")
    assert coded_volume(grid, index, proportion) == pytest.approx(1997.5, rel=1e-12)


def test_feet_are_converted():
    solid = Solid.from_arrays(*box_mesh((0, 0, 0), (10, 10, 10)), unit="ft")
    assert solid.volume_m3 == pytest.approx(1000 * FOOT_M**3, rel=1e-14)
    assert solid.bounds[3] == pytest.approx(3.048)
    with pytest.raises(InputError, match="unknown length unit 'yd'"):
        Solid.from_arrays(*box_mesh((0, 0, 0), (1, 1, 1)), unit="yd")


@pytest.mark.parametrize(("vertices", "faces", "match"), [
    (np.zeros((3, 3)), [[0, 1, 2]] * 4, "n >= 4"),
    (np.eye(4, 3), [[0, 1, 2]], "m >= 4"),
    (np.eye(4, 3), [[0, 1, 5]] * 4, "outside 0..3"),
    (np.eye(4, 3), [[0.5, 1, 2]] * 4, "integer"),
    ([[0, 0, np.nan]] * 4, [[0, 1, 2]] * 4, "missing or infinite"),
])
def test_bad_arrays_raise(vertices, faces, match):
    with pytest.raises(InputError, match=match):
        Solid.from_arrays(vertices, faces)


def test_footprint_of_a_solid():
    solid = Solid.from_arrays(*uv_sphere(10.0, 12, 24))
    fp = solid.footprint()
    assert fp.is_valid and isinstance(fp, shapely.Polygon)
    assert fp.area == pytest.approx(0.5 * 24 * 100 * np.sin(2 * np.pi / 24), rel=1e-9)


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["stl", "obj", "ply", "off"])
def test_mesh_file_round_trip(tmp_path, suffix):
    import trimesh

    verts, faces = uv_sphere(10.0, 10, 16, (100.0, 200.0, 50.0))
    path = tmp_path / f"body.{suffix}"
    trimesh.Trimesh(verts, faces, process=False).export(path)
    solid = Solid.read(path)
    assert solid.name == "body"
    assert solid.volume_m3 == pytest.approx(uv_sphere_volume(10.0, 10, 16), rel=1e-6)
    assert len(solid.faces) == len(faces)


def _dxf_3dfaces(quads):
    out = ["0", "SECTION", "2", "HEADER", "0", "ENDSEC", "0", "SECTION", "2", "ENTITIES"]
    for quad in quads:
        out += ["0", "3DFACE", "8", "0"]
        for k, corner in enumerate(quad):
            for axis, value in enumerate(corner):
                out += [f"{10 * (axis + 1) + k:>3}", repr(float(value))]
    return "\n".join(out + ["0", "ENDSEC", "0", "EOF", ""])


def test_dxf_3dface_round_trip(tmp_path):
    verts, _ = box_mesh((0, 0, 0), (10, 10, 10))
    quads = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]
    corners = [verts[q] for q in quads]
    corners[1] = verts[[4, 5, 6, 6]]  # a triangle written as a 3DFACE (4th corner = 3rd)
    corners.append(verts[[4, 6, 7, 7]])
    path = tmp_path / "cube.dxf"
    path.write_text(_dxf_3dfaces(corners), encoding="ascii")
    solid = Solid.read(path, unit="ft")
    assert len(solid.faces) == 12
    assert solid.volume_m3 == pytest.approx(1000 * FOOT_M**3, rel=1e-12)


def test_dxf_polyface_mesh(tmp_path):
    verts, faces = box_mesh((0, 0, 0), (2, 3, 4))
    out = ["0", "SECTION", "2", "ENTITIES", "0", "POLYLINE", "66", "1", "70", "64",
           "71", str(len(verts)), "72", str(len(faces))]
    for v in verts:
        out += ["0", "VERTEX", "10", str(v[0]), "20", str(v[1]), "30", str(v[2]), "70", "192"]
    for f in faces:
        out += ["0", "VERTEX", "10", "0", "20", "0", "30", "0", "70", "128",
                "71", str(f[0] + 1), "72", str(-(f[1] + 1)), "73", str(f[2] + 1)]
    out += ["0", "SEQEND", "0", "ENDSEC", "0", "EOF", ""]
    path = tmp_path / "poly.dxf"
    path.write_text("\n".join(out))
    assert Solid.read(path).volume_m3 == pytest.approx(24.0)


def test_dxf_errors(tmp_path):
    empty = tmp_path / "lines.dxf"
    empty.write_text("0\nSECTION\n2\nENTITIES\n0\nLINE\n10\n0\n20\n0\n0\nENDSEC\n0\nEOF\n")
    with pytest.raises(InputError, match=r"no 3DFACE .*found: LINE"):
        Solid.read(empty)
    binary = tmp_path / "bin.dxf"
    binary.write_bytes(b"AutoCAD Binary DXF\r\n\x1a\x00")
    with pytest.raises(InputError, match="binary DXF"):
        Solid.read(binary)
    with pytest.raises(InputError, match="unknown mesh format '.dwg'"):
        (tmp_path / "x.dwg").write_text("x")
        Solid.read(tmp_path / "x.dwg")
    with pytest.raises(InputError, match="no such mesh file"):
        Solid.read(tmp_path / "missing.stl")


# ---------------------------------------------------------------------------------------
# Surfaces and layers
# ---------------------------------------------------------------------------------------
def plane(a, b, c, lo=-500.0, hi=1500.0):
    """z = a + b x + c y on a 2 x 2 node grid (bilinear = the plane)."""
    z = [[a + b * lo + c * lo, a + b * hi + c * lo], [a + b * lo + c * hi, a + b * hi + c * hi]]
    return Surface.from_grid(lo, lo, hi - lo, hi - lo, z)


def plane_tin(a, b, c, lo=-500.0, hi=1500.0):
    xy = np.array([[lo, lo], [hi, lo], [lo, hi], [hi, hi], [0.5 * (lo + hi), 0.3 * lo + 0.7 * hi]])
    z = a + b * xy[:, 0] + c * xy[:, 1]
    return Surface.from_triangles(np.column_stack([xy, z]),
                                  [[0, 1, 4], [1, 3, 4], [3, 2, 4], [2, 0, 4]])


@pytest.mark.parametrize("kind", [plane, plane_tin])
def test_layer_between_tilted_planes_has_its_exact_volume(kind):
    bottom = kind(100.0, 0.2, -0.1)
    top = kind(150.0, 0.1, 0.05)
    layer = Layer(bottom, top, footprint=shapely.box(0, 0, 200, 200))
    exact = 200 * 200 * (50 - 0.1 * 100 + 0.15 * 100)
    assert layer.volume_m3 == pytest.approx(exact, rel=1e-12)
    grid = BlockGrid((0, 0, 60), (20, 20, 10), (10, 10, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        index, proportion = block_proportions(grid, layer, subcells=3)
    assert coded_volume(grid, index, proportion) == pytest.approx(exact, rel=1e-12)
    assert layer.bounds[:2] == (0.0, 0.0) and layer.bounds[2] <= 80 and layer.bounds[5] >= 180
    pts = np.array([[50.0, 50.0, 120.0], [50.0, 50.0, 104.0], [50.0, 50.0, 157.5]])
    assert layer.contains(pts).tolist() == [True, False, True]


def test_crossing_surfaces_are_reported_with_where():
    bottom = plane(100.0, 0.0, 0.0)
    top = plane(150.0, -0.5, 0.0)  # below the bottom where x > 100
    layer = Layer(bottom, top, footprint=shapely.box(0, 0, 200, 200), name="clay")
    found = layer.crossings(np.arange(5.0, 200, 10), np.full(20, 50.0))
    assert isinstance(found, Crossings)
    assert (found.n_crossing, found.n_tested) == (10, 20)
    assert found.first_xy == (105.0, 50.0)
    assert found.extent == (105.0, 50.0, 195.0, 50.0)
    with pytest.warns(UserWarning, match=r"layer 'clay': the top surface lies below the bottom "
                                         r"surface on 2,048 of 4,096 test points"):
        assert layer.check().n_crossing == 2048
    grid = BlockGrid((0, 0, 50), (20, 20, 10), (10, 10, 10))
    with pytest.warns(UserWarning, match=r"on 450 of 900 vertical rays .*\(first at "
                                         r"\(x, y\) = \(103\.333, 3\.333\)"):
        index, proportion = block_proportions(grid, layer, subcells=3)
    # Where they cross the layer is empty: the volume is that of the wedge x < 100.
    assert coded_volume(grid, index, proportion) == pytest.approx(200 * 0.5 * 100 * 50, rel=1e-12)
    assert layer.volume_m3 == pytest.approx(200 * 0.5 * 100 * 50, rel=1e-12)


def test_layer_needs_an_extent():
    with pytest.raises(InputError, match="give footprint="):
        Layer(0.0, 10.0)
    with pytest.raises(InputError, match="must be above"):
        Layer(10.0, 0.0, footprint=shapely.box(0, 0, 1, 1))
    far = Surface.from_grid(1e6, 1e6, 1, 1, np.zeros((2, 2)))
    with pytest.raises(GeometryError, match="no plan extent"):
        Layer(far, 10.0, footprint=shapely.box(0, 0, 1, 1)).footprint()
    with pytest.raises(InputError, match="Surface or an elevation"):
        Layer("base.asc", 10.0)


def test_layer_without_footprint_spans_where_both_surfaces_exist():
    z = np.full((5, 5), 10.0)
    z[4, 4] = np.nan  # the north-east cell is undefined
    top = Surface.from_grid(0, 0, 10, 10, z)
    layer = Layer(0.0, top)
    assert layer.footprint().area == pytest.approx(1500.0)
    assert layer.volume_m3 == pytest.approx(15000.0, rel=1e-12)


def test_grid_surface_interpolates_bilinearly():
    s = Surface.from_grid(10.0, 20.0, 2.0, 4.0, [[0.0, 2.0, 4.0], [4.0, 6.0, np.nan]])
    assert s.kind == "grid"
    z = s.z_at([10, 11, 12, 13, 9.9, 14.0], [20, 22, 24, 21, 20, 20])
    np.testing.assert_allclose(z[:3], [0.0, 3.0, 6.0])
    assert np.isnan(z[3:5]).all() and z[5] == 4.0
    assert s.z_at(np.ones((2, 3)) * 11, 22).shape == (2, 3)
    with pytest.raises(InputError, match="at least 2 x 2"):
        Surface.from_grid(0, 0, 1, 1, [[1.0, 2.0]])
    with pytest.raises(InputError, match="spacing must be > 0"):
        Surface.from_grid(0, 0, 0, 1, np.zeros((2, 2)))


def test_tin_surface_and_folds():
    s = plane_tin(5.0, 0.5, 0.25)
    x = np.array([0.0, 100.0, -500.0, 1500.0, 2000.0])
    y = np.array([0.0, 300.0, -500.0, 1500.0, 0.0])
    np.testing.assert_allclose(s.z_at(x, y)[:4], 5.0 + 0.5 * x[:4] + 0.25 * y[:4], rtol=1e-12)
    assert np.isnan(s.z_at(x, y)[4])
    assert s.footprint().area == pytest.approx(2000.0**2)
    folded = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [2, 2, 5]]
    with pytest.raises(GeometryError, match="not single-valued"):
        Surface.from_triangles(folded, [[0, 1, 2], [0, 1, 3]])


# ---------------------------------------------------------------------------------------
# Topography
# ---------------------------------------------------------------------------------------
def test_topography_clips_a_prism_exactly():
    prism = Prism(shapely.box(0, 0, 100, 100), 0.0, 80.0)
    ground = plane(40.0, 0.3, 0.1)  # 40 to 80 m over the prism
    exact = 100 * 100 * (40 + 0.3 * 50 + 0.1 * 50)
    assert body_volume(prism, topography=ground) == pytest.approx(exact, rel=1e-12)
    grid = BlockGrid((0, 0, 0), 10, (10, 10, 10))
    index, proportion = block_proportions(grid, prism, subcells=2, topography=ground)
    assert coded_volume(grid, index, proportion) == pytest.approx(exact, rel=1e-12)
    pts = [[10, 10, 44.0], [10, 10, 45.0], [90, 90, 76.0]]
    assert prism.contains(pts, topography=ground).tolist() == [True, False, True]
    iv = prism.intervals([10.0, 90.0], [10.0, 90.0])
    np.testing.assert_allclose(clip_below(iv, ground).z_out, [44.0, 76.0])


def test_topography_undefined_over_the_body_warns():
    prism = Prism(shapely.box(0, 0, 100, 100), 0.0, 80.0)
    ground = Surface.from_grid(0, 0, 50, 100, np.full((2, 2), 50.0))  # covers x <= 50 only
    grid = BlockGrid((0, 0, 0), 10, (10, 10, 10))
    with pytest.warns(UserWarning, match=r"topography is undefined \(NaN\) on 200 of 400"):
        index, proportion = block_proportions(grid, prism, subcells=2, topography=ground)
    assert coded_volume(grid, index, proportion) == pytest.approx(50 * 100 * (50 + 80))


def test_solid_under_topography():
    solid = Solid.from_arrays(*uv_sphere(50.0, 24, 48))
    ground = plane(0.0, 0.0, 0.0)  # cuts the sphere through its centre
    half = body_volume(solid, topography=ground)
    assert half == pytest.approx(0.5 * solid.volume_m3, rel=1e-3)
    assert body_volume(solid) == solid.volume_m3


# ---------------------------------------------------------------------------------------
# Surface files
# ---------------------------------------------------------------------------------------
def _nodes(a=10.0, b=0.5, c=-0.25, nx=4, ny=3, x0=500.0, y0=800.0, dx=25.0, dy=50.0):
    x, y = np.meshgrid(x0 + dx * np.arange(nx), y0 + dy * np.arange(ny))
    return x.ravel(), y.ravel(), a + b * (x.ravel() - x0) + c * (y.ravel() - y0)


@pytest.mark.parametrize(("name", "sep", "header"), [
    ("nodes.csv", ",", "easting,northing,elevation"),
    ("nodes.xyz", " ", None),
    ("nodes.txt", "\t", "X\tY\tZ"),
    ("nodes.dat", ";", "x;y;z"),
])
def test_xyz_grid_files(tmp_path, rng, name, sep, header):
    x, y, z = _nodes()
    keep = np.ones(len(x), bool)
    keep[5] = False  # a missing node: the cells around it are undefined
    rows = [sep.join(f"{v:.3f}" for v in row) for row in np.column_stack([x, y, z])[keep]]
    order = rng.permutation(len(rows))
    lines = ([header] if header else []) + [rows[i] for i in order]
    (tmp_path / name).write_text("\n".join(lines) + "\n")
    s = Surface.read(tmp_path / name)
    assert s.kind == "grid" and s.name == "nodes"
    assert s.bounds[:2] == (500.0, 800.0) and s.bounds[3:5] == (575.0, 900.0)
    assert float(s.z_at(560.0, 890.0)) == pytest.approx(10 + 0.5 * 60 - 0.25 * 90)
    assert np.isnan(s.z_at(530.0, 830.0))


def test_surface_no_data_values(tmp_path):
    x, y, z = _nodes(nx=3, ny=2)
    z[0] = 1e30
    np.savetxt(tmp_path / "petrel.xyz", np.column_stack([x, y, z]))
    with pytest.warns(UserWarning, match="1 elevation"):
        s = Surface.read(tmp_path / "petrel.xyz")
    assert np.isnan(s.z_at(510.0, 810.0)) and np.isfinite(s.z_at(540.0, 810.0))
    z[0] = -999.0
    np.savetxt(tmp_path / "coded.csv", np.column_stack([x, y, z]), delimiter=",")
    s = Surface.read(tmp_path / "coded.csv", nodata=-999)
    assert np.isnan(s.z_at(510.0, 810.0))
    # An ESRI grid saved as .txt is recognised by its header.
    (tmp_path / "dem.txt").write_text("ncols 2\nnrows 2\nxllcenter 0\nyllcenter 0\n"
                                      "cellsize 1\n3 4\n1 2\n")
    assert float(Surface.read(tmp_path / "dem.txt").z_at(0.5, 0.5)) == 2.5


def test_scattered_points_are_refused(tmp_path, rng):
    xyz = rng.uniform(0, 100, (50, 3))
    np.savetxt(tmp_path / "scattered.csv", xyz, delimiter=",", header="x,y,z", comments="")
    with pytest.raises(InputError, match="scattered"):
        Surface.read(tmp_path / "scattered.csv")
    x, y, z = _nodes()
    np.savetxt(tmp_path / "dupes.csv", np.column_stack([np.r_[x, x[:1]], np.r_[y, y[:1]],
                                                        np.r_[z, z[:1]]]), delimiter=",")
    with pytest.raises(InputError, match="appears 2 times"):
        Surface.read(tmp_path / "dupes.csv")


def test_esri_ascii_grid(tmp_path):
    text = ("ncols 3\nnrows 2\nxllcorner 100\nyllcorner 200\ncellsize 10\nNODATA_value -9999\n"
            "1 2 -9999\n4 5 6\n")
    (tmp_path / "dem.asc").write_text(text)
    s = Surface.read(tmp_path / "dem.asc", unit="ft")
    # Nodes at cell centres; the first row is the northern one.
    assert s.bounds[:2] == pytest.approx((105 * FOOT_M, 205 * FOOT_M))
    assert float(s.z_at(105 * FOOT_M, 205 * FOOT_M)) == pytest.approx(4 * FOOT_M)
    assert float(s.z_at(110 * FOOT_M, 210 * FOOT_M)) == pytest.approx(3 * FOOT_M)
    assert np.isnan(s.z_at(120 * FOOT_M, 210 * FOOT_M))
    (tmp_path / "bad.asc").write_text("ncols 3\nnrows 2\ncellsize 10\n1 2 3 4 5 6\n")
    with pytest.raises(InputError, match="header lacks"):
        Surface.read(tmp_path / "bad.asc")


def test_geotiff_surface(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from affine import Affine

    z = np.array([[1.0, 2.0, -9999.0], [4.0, 5.0, 6.0]], dtype="float32")
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", height=2, width=3, count=1, dtype="float32",
                       crs="EPSG:32643", transform=Affine(10, 0, 100, 0, -10, 220),
                       nodata=-9999.0) as dst:
        dst.write(z, 1)
    s = Surface.read(path)
    assert s.crs == "EPSG:32643"
    assert s.bounds[:2] == (105.0, 205.0)
    assert float(s.z_at(105, 205)) == 4.0 and float(s.z_at(110, 210)) == 3.0
    assert np.isnan(s.z_at(120, 210))


def test_geotiff_without_rasterio_names_the_fix(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "rasterio", None)
    (tmp_path / "dem.tif").write_bytes(b"II*\x00")
    with pytest.raises(InputError, match="pip install rasterio"):
        Surface.read(tmp_path / "dem.tif")


def test_tin_surface_file(tmp_path):
    import trimesh

    s = plane_tin(5.0, 0.5, 0.25)
    trimesh.Trimesh(s.vertices, s.faces, process=False).export(tmp_path / "base.stl")
    read = Surface.read(tmp_path / "base.stl")
    assert read.kind == "tin"
    assert float(read.z_at(10.0, 20.0)) == pytest.approx(5 + 5 + 5, rel=1e-6)
    with pytest.raises(InputError, match="unknown surface format"):
        (tmp_path / "base.shp").write_text("")
        Surface.read(tmp_path / "base.shp")
