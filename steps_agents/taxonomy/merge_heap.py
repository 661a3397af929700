"""Greedy agglomerative merging of sibling tree nodes under the structural-entropy objective.

The engine works on *items* (skills, or communities collapsed into one vertex) that share a
parent in the encoding tree, and groups them into new tree nodes inserted between the items and
their parent. Every item ``x`` carries (the arrays of
:class:`~steps_agents.taxonomy.levelgraph.LevelGraph`)

* ``V_x``  its volume (sum of degrees of the skills under it),
* ``g_x``  its cut in the whole graph,
* ``P_x``  the volume of its parent (``vol(G)`` when the parent is the root).

A new group ``G`` of items under parent ``p`` contributes
``V * H_G = g_G log(P / V_G) + sum_{x in G} g_x log(V_G / V_x)`` (its own term plus its
children's terms, which now take ``V_G`` as parent volume; everything deeper is unchanged).
Up to constants this is ``f(G) = g_G log P + (S_G - g_G) log V_G`` with ``S_G = sum_{x in G} g_x``
(the cuts of the group's items), so merging groups a and b (``V_ab = V_a + V_b``,
``g_ab = g_a + g_b - 2 w_ab``, ``S_ab = S_a + S_b``) changes ``V * H`` by

    V * dH = (S_a - g_a) log(V_ab / V_a) + (S_b - g_b) log(V_ab / V_b) - 2 w_ab log(P / V_ab).

For skills under the root (a skill's cut is its degree, so ``S = V``, ``P = vol(G)``) this is
exactly the flat two-level merge formula of the STEPS spec (section 2); for two single
communities (``S = g``) it is the spec's *combine* formula ``-2 w_ab log(P / V_ab)``. A group
of one item is a single-child chain node (term 0), so the start state (every item alone) is
the tree before the level was inserted.

Only adjacent pairs (``w_ab > 0``) can lower H, so the engine keeps, per group, its best
neighbour in a heap (lazy: an entry whose partner has changed is recomputed when popped; an
entry whose own group changed was superseded by a fresh one). Neighbour lists are numpy arrays
whose ids are resolved through a union-find with union by size, so a merge costs one
vectorised concatenate + sort + sum over the two lists. Popping in order yields the globally most
negative merge each step: for any adjacent pair, the side that was (re)computed last holds an
entry no larger than the pair's delta, valid or due for recomputation.
"""

from __future__ import annotations

import heapq

import numpy as np

from steps_agents.taxonomy.levelgraph import LevelGraph

__all__ = ["canonical_labels", "greedy_merge", "merge_delta", "stable_order"]


def merge_delta(
    va: np.ndarray | float,
    ga: np.ndarray | float,
    sa: np.ndarray | float,
    vb: np.ndarray | float,
    gb: np.ndarray | float,
    sb: np.ndarray | float,
    w: np.ndarray | float,
    pv: np.ndarray | float,
) -> np.ndarray:
    """``V * dH`` of merging sibling groups a and b under a parent of volume ``pv`` (see module doc)."""
    vab = np.add(va, vb)
    return (
        np.subtract(sa, ga) * np.log2(vab / va)
        + np.subtract(sb, gb) * np.log2(vab / vb)
        - 2.0 * np.multiply(w, np.log2(np.divide(pv, vab)))
    )


def stable_order(keys: np.ndarray, n: int) -> np.ndarray:
    """``argsort(keys, kind="stable")`` for ids in ``[0, n)``, as one or two 16-bit radix passes
    (numpy radix-sorts 16-bit keys: several times faster than sorting int64)."""
    if n <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if n > 1 << 32:
        return np.argsort(keys, kind="stable")
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    high = (keys[order] >> 16).astype(np.uint16)
    return order[np.argsort(high, kind="stable")]


def _find(up: np.ndarray, ids: np.ndarray) -> np.ndarray:
    # Union by size keeps every chain at most log2(n) long, so this loop is short.
    while True:
        nxt = up[ids]
        if not (nxt != ids).any():
            return ids
        ids = nxt


_DELTA_CHUNK = 1 << 16


def _initial_deltas(
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
    V: np.ndarray,
    G: np.ndarray,
    S: np.ndarray,
    P: np.ndarray,
) -> np.ndarray:
    """``merge_delta`` of every directed pair ``(a, b)``, a chunk of pairs at a time: the eight
    gathered operands of the whole edge list at once held ~16 arrays of 2m floats, which made
    this the builder's memory peak (benchmarks/corpus.py, 380,856 edges)."""
    d = np.empty(a.shape[0], dtype=np.float64)
    for lo in range(0, a.shape[0], _DELTA_CHUNK):
        ca, cb = a[lo : lo + _DELTA_CHUNK], b[lo : lo + _DELTA_CHUNK]
        d[lo : lo + _DELTA_CHUNK] = merge_delta(
            V[ca], G[ca], S[ca], V[cb], G[cb], S[cb], w[lo : lo + _DELTA_CHUNK], P[ca]
        )
    return d


def greedy_merge(level: LevelGraph, *, tol: float = 0.0) -> tuple[np.ndarray, float]:
    """Group items greedily by the most negative merge until none lowers ``H`` by more than ``tol``.

    Each item starts alone with its ``V_x``, ``g_x``, ``S_x`` (``level.cut_sum``: pass a level
    with ``member_cuts`` to resume from an existing grouping collapsed into items) and its
    parent's volume ``P_x``; ``level.u, level.v, level.w`` are the adjacent pairs. Returns
    ``(labels, total)``: a group index per item (groups numbered by their first item) and the
    summed ``V * dH`` of the merges made (divide by ``vol(G)`` for bits).
    """
    n = level.n
    keep = level.w > 0
    eu, ev, ew = level.u[keep], level.v[keep], level.w[keep]
    V = level.volume.astype(np.float64, copy=True)
    G = level.cut.astype(np.float64, copy=True)
    S = level.cut_sum.astype(np.float64, copy=True)
    P = level.parent_volume.astype(np.float64, copy=False)
    ver = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    up = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)

    # Symmetric adjacency in CSR form; rows start as views into two big arrays.
    a = np.concatenate([eu, ev]).astype(np.int64)
    b = np.concatenate([ev, eu]).astype(np.int64)
    w = np.concatenate([ew, ew]).astype(np.float64)
    order = stable_order(a, n)
    a, b, w = a[order], b[order], w[order]
    del order
    d = _initial_deltas(a, b, w, V, G, S, P)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    nbr_ids: list[np.ndarray] = [b[indptr[i] : indptr[i + 1]] for i in range(n)]
    nbr_w: list[np.ndarray] = [w[indptr[i] : indptr[i + 1]] for i in range(n)]

    # Initial heap: each item's best neighbour (first minimum of its row), found vectorised.
    heap: list[tuple[float, int, int, int, int]] = []
    if a.shape[0]:
        counts = np.diff(indptr)
        starts = indptr[:-1][counts > 0]
        rowmin = np.minimum.reduceat(d, starts)
        row = np.repeat(np.arange(starts.shape[0]), counts[counts > 0])
        hit = np.flatnonzero(d == rowmin[row])
        best = hit[np.unique(row[hit], return_index=True)[1]]
        best = best[d[best] < -tol]
        heap = list(
            zip(
                d[best].tolist(),
                a[best].tolist(),
                b[best].tolist(),
                [0] * best.shape[0],
                [0] * best.shape[0],
                strict=True,
            )
        )
    heapq.heapify(heap)

    def push_best(x: int) -> None:
        ids = nbr_ids[x]
        if ids.shape[0] == 0:
            return
        vb = V[ids]
        vab = vb + V[x]
        # merge_delta, inlined: this runs once per merge and per recomputed entry.
        dx = (S[x] - G[x]) * np.log2(vab / V[x]) + (S[ids] - G[ids]) * np.log2(vab / vb)
        dx -= 2.0 * nbr_w[x] * np.log2(P[x] / vab)
        k = int(np.argmin(dx))
        if dx[k] < -tol:
            y = int(ids[k])
            heapq.heappush(heap, (float(dx[k]), x, y, int(ver[x]), int(ver[y])))

    def rebuild(x: int, ids: np.ndarray, ws: np.ndarray) -> None:
        # Sum the weights of repeated ids (np.unique + bincount, without their overhead).
        if ids.shape[0] < 2:
            nbr_ids[x], nbr_w[x] = ids, ws
            return
        o = np.argsort(ids, kind="stable")
        ids = ids[o]
        first = np.empty(ids.shape[0], dtype=bool)
        first[0] = True
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        nbr_ids[x] = ids[starts]
        nbr_w[x] = np.add.reduceat(ws[o], starts)

    total = 0.0
    while heap:
        delta, x, y, vx, vy = heapq.heappop(heap)
        if not alive[x] or ver[x] != vx:
            continue  # x changed since: a fresh entry for x was pushed then
        if not alive[y] or ver[y] != vy:
            ids = _find(up, nbr_ids[x])
            rebuild(x, ids, nbr_w[x])
            push_best(x)
            continue
        s, t = (x, y) if size[x] >= size[y] else (y, x)
        ids = np.concatenate([nbr_ids[s], nbr_ids[t]])
        ws = np.concatenate([nbr_w[s], nbr_w[t]])
        up[t] = s
        alive[t] = False
        ids = _find(up, ids)
        inside = ids == s
        # Both lists name the other side, so the pair's weight appears twice.
        w_st = 0.5 * float(ws[inside].sum())
        rebuild(s, ids[~inside], ws[~inside])
        nbr_ids[t] = nbr_ids[t][:0]
        nbr_w[t] = nbr_w[t][:0]
        V[s] += V[t]
        G[s] = max(G[s] + G[t] - 2.0 * w_st, 0.0)
        S[s] += S[t]
        size[s] += size[t]
        ver[s] += 1
        total += delta
        push_best(s)

    roots = _find(up, np.arange(n, dtype=np.int64))
    return canonical_labels(roots), total


def canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Renumber group labels ``0..k-1`` in order of each group's first item."""
    n = labels.shape[0]
    uniq, inv = np.unique(labels, return_inverse=True)
    first = np.full(uniq.shape[0], n, dtype=np.int64)
    np.minimum.at(first, inv, np.arange(n, dtype=np.int64))
    rank = np.empty(uniq.shape[0], dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(uniq.shape[0])
    return rank[inv]
