"""Tests of raremin.geostats._search_numpy: the numpy twins equal the compiled kernels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raremin.geostats import neighbourhood
from raremin.geostats._search_numpy import greedy_rows, merge_fetched
from raremin.geostats.neighbourhood import Neighbourhood, NeighbourSearch

TWINS = {"greedy": greedy_rows, "merge": merge_fetched}

# Positions of the arguments of the greedy kernel.
I, D, COUNTS, FETCHED, ROWS, OUT = 0, 1, 14, 15, 17, slice(18, 22)


def copied(args):
    """A copy of a kernel's arguments (the kernels write into some of them)."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def assert_same_bits(a, b, what=""):
    """Equal shapes and equal bits (NaN == NaN, 0.0 != -0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, what
    if a.dtype == np.float64:
        a, b = a.view(np.int64), b.view(np.int64)
    np.testing.assert_array_equal(a, b, err_msg=what)


def compare_greedy(args):
    """Both greedy passes on copies of `args`: everything the kernel promises is equal."""
    mine, theirs = copied(args), copied(args)
    final, settled = neighbourhood._kernel("greedy")(*theirs)
    twin_final, twin_settled = greedy_rows(*mine)
    assert_same_bits(twin_final, final, "final")
    assert_same_bits(twin_settled, settled, "settled")
    assert_same_bits(mine[I], theirs[I], "candidates sorted in place")
    done = args[ROWS][final]
    others = np.setdiff1d(np.arange(args[OUT][0].shape[0]), done)
    for pos, (a, b, before) in enumerate(zip(mine[OUT], theirs[OUT], args[OUT], strict=True)):
        assert_same_bits(a[done], b[done], f"output {pos}, final rows")
        assert_same_bits(a[others], before[others], f"output {pos}, other rows untouched")
    for pos in range(1, ROWS + 1):  # the other inputs are read only
        if isinstance(args[pos], np.ndarray):
            assert_same_bits(mine[pos], args[pos], f"argument {pos}")
    return final, settled


def compare_merge(args):
    """Both merges on copies of `args`: equal bits."""
    mine = merge_fetched(*copied(args))
    theirs = neighbourhood._kernel("merge")(*copied(args))
    assert_same_bits(mine[0], theirs[0], "index")
    assert_same_bits(mine[1], theirs[1], "distance")
    return theirs


def compare(name, args):
    return compare_greedy(args) if name == "greedy" else compare_merge(args)


def compiled(name, pairs, *args):
    """The compiled kernel `name`, whatever `neighbourhood._run` would choose."""
    return neighbourhood._kernel(name)(*args)


def capture(monkeypatch, search, targets, **rules):
    """The arguments of every kernel call of a real selection, and its result."""
    calls = []

    def spy(name, pairs, *args):
        calls.append((name, copied(args)))
        return compiled(name, pairs, *args)

    with monkeypatch.context() as patch:
        patch.setattr(neighbourhood, "_run", spy)
        found = search._select(np.asarray(targets, dtype=float), **rules)
    return calls, found


def features(calls):
    """What the captured calls exercise."""
    seen = set()
    for name, args in calls:
        if name == "merge":
            seen.add("merge")
            continue
        i, d, data, t = args[I], args[D], args[5], args[4]
        n = data.shape[0]
        if (i >= n).any():
            seen.add("missing")
        if (np.isfinite(d[:, 1:]) & (d[:, 1:] == d[:, :-1])).any():
            seen.add("ties")
        if data.shape[1] > t.shape[1]:
            seen.add("metric")
        if (args[COUNTS] >= 0).any():
            seen.add("counts")
        if args[FETCHED].shape[0] > 0:
            seen.add("fetched")
        if args[11] > 0:
            seen.add("octants")
        if args[12] > 0:
            seen.add("groups")
        if args[9].size:
            seen.add("exclude")
        if args[10].size:
            seen.add("exclude_group")
        if i.shape[1] < args[13]:
            seen.add("k > candidates")
    return seen


def columns(rng, ndim, n_holes, per_hole, spacing):
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


def scenario(name, rng):
    """Samples, hole ids, neighbourhood, targets and rules of a named search."""
    if name.startswith("grid"):  # integer coordinates: many equal distances
        ndim = int(name[-2])
        samples = rng.integers(0, 8, (300, ndim)).astype(float) * 5.0
        holes = rng.integers(0, 20, 300)
    else:
        ndim = 3 if "3D" in name else 2 if "2D" in name else 1
        samples, holes = columns(rng, ndim, 40, 10, spacing=2.0)
    n = samples.shape[0]
    targets = np.concatenate([rng.uniform(-20, 120, (120, ndim)) * np.r_[1, 1, -0.2][:ndim],
                              rng.uniform(-400, 400, (10, ndim))])
    own = rng.choice(n, 80, replace=False)
    ranges = (80.0, 40.0, 10.0)[:ndim]
    angles = {1: (0.0,), 2: (35.0,), 3: (35.0, -20.0, 10.0)}[ndim]
    rules = {}
    if "plain" in name:
        nb = Neighbourhood(8)
    elif "radius" in name:
        nb = Neighbourhood(12, radius=15.0)
    elif "anisotropic" in name:
        nb = Neighbourhood(16, radius=1.5, ranges=ranges, angles=angles, max_per_octant=2)
    elif "few samples" in name:
        samples, holes, targets = samples[:5], holes[:5], targets[:20]
        nb = Neighbourhood(12, max_per_octant=2)
    else:
        nb = Neighbourhood(16, radius=60.0, max_per_octant=2)
    if "holes" in name:
        rules = {"groups": holes, "max_per_group": 3}
    if "exclude" in name:
        targets = samples[own]
        rules["exclude"] = own
    if "leave holes" in name:
        targets = samples[own]
        rules.update(groups=holes, exclude_group=holes[own], max_per_group=2)
    return NeighbourSearch(samples, nb), targets, rules


SCENARIOS = {  # name: what its kernel calls exercise at least ("open": rows not final)
    "plain 3D": set(),
    "radius 2D": {"missing"},
    "octants 1D": {"octants", "counts", "missing", "open"},
    "octants 2D": {"octants", "missing", "open"},
    "octants 3D": {"octants", "counts", "fetched", "merge", "open"},
    "anisotropic octants 2D": {"octants", "metric", "counts", "fetched", "merge", "open"},
    "anisotropic octants 3D": {"octants", "metric", "counts", "fetched", "merge", "open"},
    "holes 3D": {"octants", "groups", "fetched", "merge", "open"},
    "exclude 3D": {"octants", "exclude", "ties", "merge", "open"},
    "radius exclude 2D": {"exclude", "ties", "open"},
    "leave holes 3D": {"octants", "groups", "exclude_group", "ties", "merge", "open"},
    "grid octants 2D": {"octants", "ties", "missing", "open"},
    "grid holes 3D": {"octants", "groups", "ties", "open"},
    "few samples 2D": {"octants", "k > candidates"},
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_twins_equal_the_kernels_on_the_calls_of_real_searches(name, rng, monkeypatch) -> None:
    search, targets, rules = scenario(name, rng)
    calls, found = capture(monkeypatch, search, targets, **rules)
    assert calls
    seen = features(calls)
    for call_name, args in calls:
        result = compare(call_name, args)
        if call_name == "greedy" and not result[0].all():
            seen.add("open")
    assert SCENARIOS[name] <= seen, f"not exercised: {SCENARIOS[name] - seen}"
    assert (found.count > 0).any()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    ndim=st.integers(1, 3),
    n=st.integers(1, 80),
    grid=st.booleans(),
    k=st.integers(1, 10),
    per_octant=st.one_of(st.none(), st.integers(1, 3)),
    anisotropic=st.booleans(),
    finite=st.booleans(),
    per_group=st.one_of(st.none(), st.integers(1, 3)),
    leave_out=st.sampled_from([None, "sample", "group"]),
)
def test_twins_equal_the_kernels_on_random_searches(
    seed, ndim, n, grid, k, per_octant, anisotropic, finite, per_group, leave_out
) -> None:
    rng = np.random.default_rng(seed)
    if grid:
        samples = rng.integers(0, 6, (n, ndim)).astype(float) * 10.0
    else:
        samples = rng.uniform(0, 100, (n, ndim))
    groups = rng.integers(0, 6, n)
    if anisotropic:
        ranges = tuple(rng.uniform(10, 100, ndim))
        angles = {1: (0.0,), 2: (rng.uniform(0, 360),),
                  3: (rng.uniform(0, 360), rng.uniform(-60, 60), rng.uniform(-90, 90))}[ndim]
        nb = Neighbourhood(k, radius=rng.uniform(0.3, 2.0) if finite else np.inf,
                           ranges=ranges, angles=angles, max_per_octant=per_octant)
    else:
        nb = Neighbourhood(k, radius=rng.uniform(10, 80) if finite else None,
                           max_per_octant=per_octant)
    search = NeighbourSearch(samples, nb)
    rules = {"groups": groups, "max_per_group": per_group}
    targets = np.concatenate([rng.uniform(-60, 160, (12, ndim)), samples[:3]])
    if leave_out is not None:
        own = rng.integers(0, n, targets.shape[0])
        targets[-3:] = samples[own[-3:]]
        rules["exclude" if leave_out == "sample" else "exclude_group"] = (
            own if leave_out == "sample" else groups[own])
    calls = []
    real = neighbourhood._run

    def spy(name, pairs, *args):
        calls.append((name, copied(args)))
        return compiled(name, pairs, *args)

    neighbourhood._run = spy  # hypothesis runs the body many times: no fixture here
    try:
        search._select(targets, **rules)
    finally:
        neighbourhood._run = real
    for name, args in calls:
        compare(name, args)


# --------------------------------------------------- made-up calls of the kernels


def made_up_samples(rng, n, nd, grid, metric):
    """Samples in the search frame (then in metres when `metric`), the same for targets."""
    if grid:  # halves of integers: exact squares, many equal distances
        coords = rng.integers(-4, 5, (n, nd)).astype(float)
    else:
        coords = rng.uniform(-4, 4, (n, nd))
    frame = 0.5 * coords
    data = np.concatenate([frame, coords], axis=1) if metric else frame.copy()
    return np.ascontiguousarray(data), frame


def sorted_candidates(rng, frame, t, q, radius):
    """The q nearest samples of each target (ties in random order), missing ones n, inf."""
    n = frame.shape[0]
    r = t.shape[0]
    square = np.zeros((r, n))
    for a in range(t.shape[1]):
        diff = frame[None, :, a] - t[:, a, None]
        square += diff * diff
    dist = np.sqrt(square)
    shuffle = np.argsort(rng.random((r, n)), axis=1)  # the tree's order among ties
    order = np.take_along_axis(shuffle, np.argsort(
        np.take_along_axis(dist, shuffle, axis=1), axis=1, kind="stable"), axis=1)
    i = np.full((r, q), n, dtype=np.int64)
    d = np.full((r, q), np.inf)
    m = min(q, n)
    i[:, :m] = order[:, :m]
    d[:, :m] = np.take_along_axis(dist, order[:, :m], axis=1)
    out = d > radius
    i[out], d[out] = n, np.inf
    return np.ascontiguousarray(i), np.ascontiguousarray(d)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    nd=st.integers(1, 3),
    n=st.integers(1, 40),
    r=st.integers(1, 30),
    q=st.integers(1, 24),
    k=st.integers(1, 12),
    grid=st.booleans(),
    metric=st.booleans(),
    octant_limit=st.sampled_from([0, 1, 2, 3]),
    group_limit=st.sampled_from([0, 1, 2]),
    exclude_kind=st.sampled_from(["none", "sample", "group", "both"]),
    counts_kind=st.sampled_from(["none", "unknown", "mixed"]),
    with_fetched=st.booleans(),
    radius=st.sampled_from([np.inf, 1.0, 2.5]),
    box=st.sampled_from(["data", "shrunk"]),
)
def test_greedy_twin_equals_the_kernel_on_made_up_candidates(
    seed, nd, n, r, q, k, grid, metric, octant_limit, group_limit, exclude_kind,
    counts_kind, with_fetched, radius, box
) -> None:
    rng = np.random.default_rng(seed)
    data, frame = made_up_samples(rng, n, nd, grid, metric)
    t = 0.5 * rng.integers(-6, 7, (r, nd)).astype(float) if grid else rng.uniform(-3, 3, (r, nd))
    xyz = 2.0 * t
    i, d = sorted_candidates(rng, frame, t, q, radius)
    d_last = d[:, -1].copy()
    if rng.random() < 0.3:  # some bound nearer than the last candidate
        d_last = np.where(rng.random(r) < 0.5, d_last, d[:, min(q - 1, rng.integers(0, q))])
    complete = np.ascontiguousarray((i[:, -1] >= n) & (rng.random(r) < 0.7))
    n_groups = int(rng.integers(1, 6))
    groups = rng.integers(0, n_groups, n)
    none = np.empty(0, dtype=np.int64)
    exclude = rng.integers(-1, n, r) if exclude_kind in ("sample", "both") else none
    exclude_group = (rng.integers(-1, n_groups, r) if exclude_kind in ("group", "both")
                     else none)
    grouped = group_limit > 0 or exclude_group.size > 0
    sectors = 1 << nd
    counts = np.full((0, 1), -1, dtype=np.int64)
    fetched = np.empty((0, 1), dtype=bool)
    if octant_limit:
        counts = np.full((r, sectors), -1, dtype=np.int64)
        if counts_kind == "mixed":
            counts = rng.integers(-1, q + 2, (r, sectors))
        if with_fetched:
            fetched = rng.random((r, sectors)) < 0.4
    mins, maxes = frame.min(axis=0), frame.max(axis=0)
    if box == "shrunk":  # some targets beyond the bounding box
        mins, maxes = mins + 1.0, maxes - 1.0
    size = r + 3
    rows = rng.permutation(size)[:r]
    out = (rng.integers(-9, 9, (size, k)), rng.normal(size=(size, k)),
           rng.normal(size=(size, k)), rng.integers(-9, 9, size))
    args = (i, d, d_last, complete, t, data, mins, maxes,
            groups if grouped else none, exclude, exclude_group, octant_limit, group_limit,
            k, counts, fetched, xyz, rows, *out)
    compare_greedy(args)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    nd=st.integers(1, 3),
    n=st.integers(3, 60),
    r=st.integers(1, 20),
    width=st.integers(1, 12),
    grid=st.booleans(),
    metric=st.booleans(),
    radius=st.sampled_from([np.inf, 1.0, 2.5]),
)
def test_merge_twin_equals_the_kernel_on_made_up_pairs(
    seed, nd, n, r, width, grid, metric, radius
) -> None:
    rng = np.random.default_rng(seed)
    data, frame = made_up_samples(rng, n, nd, grid, metric)
    t = 0.5 * rng.integers(-6, 7, (r, nd)).astype(float) if grid else rng.uniform(-3, 3, (r, nd))
    p = int(rng.integers(1, n))  # a full pool
    i, d = sorted_candidates(rng, frame, t, p, np.inf)
    d_last = d[:, -1].copy()
    fetch = rng.random((r, 1 << nd)) < 0.5
    rows, octant = np.nonzero(fetch)
    got = np.full((rows.size, width), n, dtype=np.int64)
    for row in range(rows.size):  # any samples, pool ones at d_last among them
        m = int(rng.integers(0, width + 1))
        pick = rng.choice(n, min(m, n), replace=False)
        got[row, : pick.size] = pick
    first = np.searchsorted(rows, np.arange(r + 1))
    extra = int(np.diff(first).max(initial=0)) * width
    compare_merge((i, d, d_last, got, first, octant.astype(np.int64), t, data,
                   float(radius), extra))


def test_merge_twin_drops_a_pool_sample_at_the_last_distance_only(rng) -> None:
    # Samples 1 and 2 are both at the last distance 1.0; the pool holds 1 only.
    data = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [-3.0, 0.0]])
    t = np.zeros((1, 2))
    i = np.array([[0, 1]])
    d = np.array([[0.0, 1.0]])
    got = np.array([[1, 2, 3, 5], [4, 5, 5, 5]])  # octant 3 (x, y >= 0), octant 2 (x < 0)
    args = (i, d, np.array([1.0]), got, np.array([0, 2]), np.array([3, 2]), t, data, 5.0, 8)
    i2, d2 = merge_fetched(*copied(args))
    assert i2.tolist() == [[0, 1, 2, 3, 4, 5, 5, 5, 5, 5]]
    assert d2[0, :6].tolist() == [0.0, 1.0, 1.0, np.sqrt(8.0), 3.0, np.inf]
    compare_merge(args)


def test_greedy_twin_orders_ties_by_index_and_pads_short_rows() -> None:
    data = np.array([[1.0], [-1.0], [2.0], [-2.0], [3.0]])
    t = np.zeros((2, 1))
    i = np.array([[1, 0, 3, 2, 5], [3, 2, 5, 5, 5]])  # 5: missing
    d = np.array([[1.0, 1.0, 2.0, 2.0, np.inf], [2.0, 2.0, np.inf, np.inf, np.inf]])
    none = np.empty(0, dtype=np.int64)
    outs = (np.zeros((2, 4), dtype=np.int64), np.zeros((2, 4)), np.zeros((2, 4)),
            np.zeros(2, dtype=np.int64))
    args = (i, d, np.full(2, np.inf), np.ones(2, dtype=bool), t, data, data.min(0),
            data.max(0), none, none, none, 1, 0, 4, np.full((2, 2), -1, dtype=np.int64),
            np.empty((0, 1), dtype=bool), t.copy(), np.array([1, 0]), *outs)
    mine = copied(args)
    final, settled = greedy_rows(*mine)
    assert mine[I].tolist() == [[0, 1, 2, 3, 5], [2, 3, 5, 5, 5]]
    assert final.tolist() == [True, True] and not settled.any()
    index, distance, _, count = mine[OUT]
    assert index.tolist() == [[2, 3, -1, -1], [0, 1, -1, -1]]  # one per side; target 1 first
    assert distance.tolist() == [[2.0, 2.0, np.inf, np.inf], [1.0, 1.0, np.inf, np.inf]]
    assert count.tolist() == [2, 2]
    compare_greedy(args)


# --------------------------------------------------- a whole search on the twins


@pytest.mark.parametrize("ndim", [2, 3])
def test_a_search_on_the_twins_equals_the_compiled_search(ndim, rng, monkeypatch) -> None:
    samples, holes = columns(rng, ndim, 50, 12, spacing=2.0)
    nb = Neighbourhood(16, radius=1.5, ranges=(80.0, 40.0, 10.0)[:ndim],
                       angles=(30.0, -10.0, 0.0) if ndim == 3 else (30.0,), max_per_octant=3)
    search = NeighbourSearch(samples, nb)
    targets = np.concatenate([rng.uniform(-20, 120, (200, ndim)) * np.r_[1, 1, -0.3][:ndim],
                              rng.uniform(-500, 500, (10, ndim))])
    own = rng.choice(samples.shape[0], 100, replace=False)
    cases = [
        (targets, {}),
        (targets, {"groups": holes, "max_per_group": 2}),
        (samples[own], {"groups": holes, "exclude_group": holes[own], "max_per_group": 3}),
    ]
    monkeypatch.setattr(neighbourhood, "_run", compiled)
    expected_all = [search._select(x, chunk_size=64, **rules) for x, rules in cases]
    monkeypatch.setattr(neighbourhood, "_run", lambda name, pairs, *args: TWINS[name](*args))
    for (x, rules), expected in zip(cases, expected_all, strict=True):
        found = search._select(x, chunk_size=64, **rules)
        for a, b in zip(found, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    found = search.query(targets)
    most = min(16, 3 * 2**ndim)  # 3 per octant
    assert (found.count == most).any() and (found.count < most).any()
    for a, b in zip(found, expected_all[0], strict=True):
        np.testing.assert_array_equal(a, b)
