"""
The numpy twin of the compiled selection kernels of the neighbour search (private).

:class:`~raremin.geostats.neighbourhood.NeighbourSearch` selects neighbours with two
kernels compiled by numba, ``_greedy_rows`` and ``_merge_fetched`` of
:mod:`raremin.geostats.neighbourhood`. Compiling them takes many seconds on a fresh
install (afterwards they load from numba's cache), more than a small search costs: such
searches run these numpy functions instead while the kernels are not compiled yet.

:func:`greedy_rows` and :func:`merge_fetched` take the same arguments as the kernels,
have the same effects in place and return the same values, down to the last bit for
every row the kernels promise (those of the final targets); ``tests/test_search_numpy.py``
holds the two equal on the searches' own calls and on made-up edge cases. They work on
all targets at once: the greedy pass, sequential along each target's candidates, walks
the candidate columns with state arrays over the targets (samples used, used per octant,
and for a limit per group the used samples of its group up to each candidate), so memory
stays within a few arrays the size of the candidates.
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def greedy_rows(
    i, d, d_last, complete, t, data, mins, maxes, groups, exclude, exclude_group,
    octant_limit, group_limit, k, counts, fetched, xyz, rows,
    out_index, out_distance, out_metres, out_count,
):
    """
    The greedy pass of every target over its candidates, and the test of its answer.

    The twin of ``neighbourhood._greedy_rows``, whose docstring states the contract:
    the candidates ``i`` (r, q) are put in order of sample index within runs of equal
    distance, in place; each target takes its candidates in turn under the rules
    (``exclude``, ``exclude_group``, ``group_limit`` per group, ``octant_limit`` per
    octant, ``k`` in all); the final targets are written whole and padded (-1, inf) to
    rows ``rows[j]`` of ``out_index``, ``out_distance``, ``out_metres`` and
    ``out_count``, with the distances in metres summed axis by axis as the kernel does.
    The rows of targets that are not final are left untouched.

    Returns
    -------
    final : numpy.ndarray of bool, shape (r,)
        The targets whose answer equals the exhaustive search's.
    settled : numpy.ndarray of bool, shape (r, 2**d), or (0, 2**d) without octants
        The octants known to be settled, for the targets tested octant by octant
        (all False for the others).
    """
    r, q = i.shape
    n = data.shape[0]
    nd = t.shape[1]
    n_sectors = 1 << nd
    octants = octant_limit > 0
    grouped = group_limit > 0 or exclude_group.size > 0
    plain = not (octants or grouped or exclude.size > 0)  # every candidate used in turn
    final = np.zeros(r, dtype=np.bool_)
    settled = np.zeros((r if octants else 0, n_sectors), dtype=np.bool_)
    if r == 0:
        return final, settled
    _sort_ties(i, d)
    # The samples used (only the first `used` of each row are read).
    chosen = np.empty((r, k), dtype=np.int64)
    distance = np.empty((r, k))
    if plain:  # the first k candidates, up to the first missing one
        m = min(q, k)
        used = np.logical_and.accumulate(i[:, :m] < n, axis=1).sum(axis=1)
        chosen[:, :m] = i[:, :m]
        distance[:, :m] = d[:, :m]
    else:
        sectors = _sectors(data, i, t, n) if octants else None
        used, early = _walk(i, d, d_last, n, sectors, n_sectors, groups, exclude,
                            exclude_group, octant_limit, group_limit, chosen, distance)
    done = complete.copy()
    if q >= k or not plain:
        done |= (used == k) & (distance[:, k - 1] < d_last)
    if octants:
        open_ = np.flatnonzero(~done)
        if open_.size:
            ok = _settled(open_, i, n, sectors, early, t, mins, maxes, counts, fetched,
                          octant_limit)
            settled[open_] = ok
            done[open_] = ok.all(axis=1)
    final[:] = done
    _write(np.flatnonzero(done), used, chosen, distance, data, xyz, rows,
           out_index, out_distance, out_metres, out_count)
    return final, settled


def merge_fetched(i, d, d_last, got, first, octant, t, data, radius, extra):
    """
    Candidates of a full pool (r, p) followed by the samples of its fetched octants.

    The twin of ``neighbourhood._merge_fetched``, whose docstring states the contract:
    a sample of ``got`` (per (target, octant) pair; the pairs of target j are
    ``first[j]:first[j + 1]``, read up to the first index n) is kept when it lies in the
    pair's octant, within ``radius`` and not nearer than ``d_last``, and at exactly
    ``d_last`` only when the pool's last run of distances >= ``d_last`` does not hold
    it. The kept samples follow the pool by distance, then sample index, the distances
    summed axis by axis as the kernel (and the tree) does.

    Returns
    -------
    i2 : numpy.ndarray of int64, shape (r, p + extra)
        Sample indices, padded with n.
    d2 : numpy.ndarray of float, shape (r, p + extra)
        Search distances, padded with inf.
    """
    r, p = i.shape
    n = data.shape[0]
    nd = t.shape[1]
    i2 = np.full((r, p + extra), n, dtype=np.int64)
    d2 = np.full((r, p + extra), np.inf)
    i2[:, :p] = i
    d2[:, :p] = d
    if r == 0 or got.shape[1] == 0:
        return i2, d2
    # The pairs of every target, in order, and their target.
    start = first[:r]
    length = np.maximum(first[1 : r + 1] - start, 0)
    owner = np.repeat(np.arange(r), length)
    offset = np.cumsum(length) - length
    pair = np.arange(owner.size) - np.repeat(offset, length) + np.repeat(start, length)
    cand = got[pair]
    lead = np.logical_and.accumulate(cand < n, axis=1)
    s = np.where(lead, cand, 0)
    square = np.zeros(s.shape)
    sector = np.zeros(s.shape, dtype=np.int64)
    for a in range(nd):
        diff = np.ascontiguousarray(data[:, a]).take(s) - t[owner, a, None]
        square += diff * diff
        sector |= (diff >= 0).astype(np.int64) << a
    dist = np.sqrt(square)
    d_far = d_last[owner, None]
    keep = lead & (sector == octant[pair, None]) & ~(dist > radius) & ~(dist < d_far)
    at, col = np.nonzero(keep & (dist == d_far))
    if at.size:  # at d_last: the pool may hold it, in its last run of distances >= d_last
        j = owner[at]
        tail = np.flip(np.logical_and.accumulate(
            np.flip(~(d[j] < d_last[j, None]), axis=1), axis=1), axis=1)
        held = ((i[j] == s[at, col][:, None]) & tail).any(axis=1)
        keep[at[held], col[held]] = False
    at, col = np.nonzero(keep)
    if at.size:
        j, ids, dists = owner[at], s[at, col], dist[at, col]
        order = np.lexsort((ids, dists, j))
        j, ids, dists = j[order], ids[order], dists[order]
        place = p + np.arange(j.size) - np.searchsorted(j, j)
        i2[j, place] = ids
        d2[j, place] = dists
    return i2, d2


def _sort_ties(i: np.ndarray, d: np.ndarray) -> None:
    """Put the candidates of each run of equal distances in order of sample index, in place."""
    tie = d[:, 1:] == d[:, :-1]
    rows = np.flatnonzero((tie & (i[:, :-1] > i[:, 1:])).any(axis=1))
    if rows.size:
        run = np.zeros((rows.size, i.shape[1]), dtype=np.int64)
        np.cumsum(~tie[rows], axis=1, out=run[:, 1:])
        part = i[rows]
        order = np.lexsort((part, run), axis=-1)
        i[rows] = np.take_along_axis(part, order, axis=1)


def _sectors(data: np.ndarray, i: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    """Octant of every candidate (int8): bit a set if at or above the target along axis a."""
    s = np.where(i < n, i, 0)  # missing candidates: any octant (never looked at)
    sector = np.zeros(i.shape, dtype=np.int8)
    for a in range(t.shape[1]):
        above = np.ascontiguousarray(data[:, a]).take(s) >= t[:, a, None]
        sector |= above.view(np.int8) << a
    return sector


def _previous_of_group(i: np.ndarray, n: int, groups: np.ndarray) -> np.ndarray:
    """
    For every candidate, the column of the previous candidate of the same group (-1: none).

    Missing candidates are put in a group of their own.
    """
    r, q = i.shape
    previous = np.empty((r, q), dtype=np.int32)
    if q == 0:
        return previous
    valid = i < n
    key = groups.take(np.where(valid, i, 0)) + 1
    key[~valid] = 0
    key *= q
    key += np.arange(q)
    key.sort(axis=1)  # by group, then column
    column = key % q
    key -= column  # the group
    flat = previous.reshape(-1)
    column += (q * np.arange(r))[:, None]  # flat position of each candidate
    flat[column[:, 0]] = -1
    flat[column[:, 1:]] = np.where(key[:, 1:] == key[:, :-1], column[:, :-1] % q, -1)
    return previous


def _walk(i, d, d_last, n, sectors, n_sectors, groups, exclude, exclude_group,
          octant_limit, group_limit, chosen, distance):
    """
    The greedy pass, column by column of candidates, for every target at once.

    Fills `chosen` and `distance` (r, k) with the samples used, in turn. A target stops
    at its first missing candidate or once k are used. Returns the number used (r,)
    and, with octants (`sectors` given), the used samples per octant nearer than
    `d_last` (r, 2**d; else None).

    The state of each target: its count of used samples, per octant (all of them, and
    those nearer than `d_last`) and, with a limit per group, for every candidate walked,
    the used samples of its group up to it, found from the previous candidate of the
    same group: (r, q) in place of a count per group, which could be (r, thousands).
    """
    r, q = i.shape
    k = chosen.shape[1]
    octants = sectors is not None
    by_group = group_limit > 0
    grouped = by_group or exclude_group.size > 0
    # Columns made contiguous: each step reads one candidate of every target.
    col_i, col_d = np.ascontiguousarray(i.T), np.ascontiguousarray(d.T)
    col_sector = np.ascontiguousarray(sectors.T) if octants else None
    used = np.zeros(r, dtype=np.int64)
    taken = early = None
    if octants:
        taken = np.zeros(r * n_sectors, dtype=np.int64)
        early = np.zeros(r * n_sectors, dtype=np.int64)
    previous = of_group = None
    if by_group:  # both (r, q), read and written through flat positions
        previous = _previous_of_group(i, n, groups).reshape(-1)
        of_group = np.zeros(r * q, dtype=np.int32)
    chosen_flat, distance_flat = chosen.reshape(-1), distance.reshape(-1)
    alive = np.arange(r)  # the targets still walking
    for c in range(q):
        s = col_i[c].take(alive)
        go = (s < n) & (used.take(alive) < k)
        if not go.all():
            alive, s = alive[go], s[go]
            if not alive.size:
                break
        ok = np.ones(alive.size, dtype=bool)
        if exclude.size > 0:
            ok &= s != exclude.take(alive)
        if grouped:
            g = groups.take(s)
            if exclude_group.size > 0:
                ok &= g != exclude_group.take(alive)
            if by_group:
                row_start = alive * q
                before = previous.take(row_start + c)
                count = of_group.take(row_start + np.maximum(before, 0))
                count[before < 0] = 0
                ok &= count < group_limit
        if octants:
            slot = alive * n_sectors + col_sector[c].take(alive)
            ok &= taken.take(slot) < octant_limit
        if by_group:
            of_group[row_start + c] = count + ok
        a = alive[ok]
        if not a.size:
            continue
        dist = col_d[c].take(a)
        place = a * k + used.take(a)
        if octants:
            slot = slot[ok]
            taken[slot] += 1
            early[slot] += dist < d_last.take(a)
        chosen_flat[place] = s[ok]
        distance_flat[place] = dist
        used[a] += 1
    return used, None if early is None else early.reshape(r, n_sectors)


def _settled(open_, i, n, sectors, early, t, mins, maxes, counts, fetched, octant_limit):
    """
    The octants settled for targets `open_` (len, 2**d).

    An octant is settled when it holds `octant_limit` used samples nearer than
    ``d_last``, or its candidates (up to the first missing one) reach its count, or it
    was fetched whole, or it lies beyond the bounding box of the samples.
    """
    nd = t.shape[1]
    n_sectors = early.shape[1]
    ok = early[open_] >= octant_limit
    lead = np.logical_and.accumulate(i[open_] < n, axis=1)
    sec = sectors[open_]
    seen = np.stack([(lead & (sec == h)).sum(axis=1) for h in range(n_sectors)], axis=1)
    if counts.shape[0] > 0:
        c = counts[open_]
        ok |= (c >= 0) & (seen >= c)
    if fetched.shape[0] > 0:
        ok |= fetched[open_]
    tt = t[open_]
    for h in range(n_sectors):
        for a in range(nd):
            if (h >> a) & 1:
                ok[:, h] |= tt[:, a] > maxes[a]
            else:
                ok[:, h] |= tt[:, a] <= mins[a]
    return ok


def _write(f, used, chosen, distance, data, xyz, rows, out_index, out_distance, out_metres,
           out_count):
    """Write targets `f` whole, padded with -1 and inf, to rows ``rows[f]`` of the outputs."""
    if not f.size:
        return
    nd = xyz.shape[1]
    k = chosen.shape[1]
    keep = np.arange(k) < used[f, None]
    index = np.where(keep, chosen[f], -1)
    dist = np.where(keep, distance[f], np.inf)
    if data.shape[1] > nd:  # metric distances differ from search distances
        s = np.where(keep, index, 0)
        square = np.zeros(s.shape)
        for a in range(nd):
            diff = np.ascontiguousarray(data[:, nd + a]).take(s) - xyz[f, a, None]
            square += diff * diff
        metres = np.where(keep, np.sqrt(square), np.inf)
    else:
        metres = dist
    out = rows[f]
    out_index[out] = index
    out_distance[out] = dist
    out_metres[out] = metres
    out_count[out] = used[f]
