"""Local node moves that repair early mistakes of the greedy merge (one inserted tree level).

Items under a common parent of volume ``P`` are grouped into new tree nodes; up to constants the
level's contribution to ``vol(G) * H^T`` is ``sum_G f(G)`` with

    f(G) = g_G log P + (S_G - g_G) log V_G,     S_G = sum of the cuts g_x of the items in G

(derivation in :mod:`steps_agents.taxonomy.merge_heap`). Moving item x from group A to group B changes
``V_A -= V_x``, ``S_A -= g_x``, ``g_A += 2 w(x, A - x) - g_x`` and ``V_B += V_x``,
``S_B += g_x``, ``g_B += g_x - 2 w(x, B)``; the move pays ``f(A') + f(B') - f(A) - f(B)``.
Only groups holding a neighbour of x, or a fresh group of x alone, can be better.
:func:`dissolve_groups` chains such moves (uphill steps allowed) to empty a whole group.

Moves are evaluated for all items at once (vectorised over the edges) and applied in rounds:
best move per item, most negative first, skipping any move whose source or target group is
already touched this round. Moves on disjoint groups do not interact (each delta only reads
its own two groups and x's weights to them), so a round's changes add up exactly. Nothing in
the order depends on item ids except exact ties, so relabelling a graph does not change the
result when deltas are distinct.
"""

from __future__ import annotations

from dataclasses import replace
from math import log2

import numpy as np

from steps_agents.taxonomy.levelgraph import LevelGraph
from steps_agents.taxonomy.merge_heap import canonical_labels, greedy_merge, stable_order

__all__ = ["block_moves", "collapse_groups", "dissolve_groups", "move_sweeps", "split_groups"]


def _f(v: np.ndarray, s: np.ndarray, g: np.ndarray, logp: np.ndarray) -> np.ndarray:
    safe = np.where(v > 0, v, 1.0)
    return np.where(v > 0, g * logp + (s - g) * np.log2(safe), 0.0)


def _both_directions(level: LevelGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, w)``: every positive-weight edge once per direction, so sums over rows ``a``
    see all of an item's edges."""
    eu, ev, ew = level.u, level.v, level.w
    keep = ew > 0
    a = np.concatenate([eu[keep], ev[keep]]).astype(np.int64)
    b = np.concatenate([ev[keep], eu[keep]]).astype(np.int64)
    w = np.concatenate([ew[keep], ew[keep]]).astype(np.float64)
    return a, b, w


def _group_terms(
    lab: np.ndarray,
    vol: np.ndarray,
    sx: np.ndarray,
    cut: np.ndarray,
    a: np.ndarray,
    w: np.ndarray,
    inside: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(V_A, S_A, g_A, w_in)`` for the grouping ``lab`` over directed rows ``(a, w)``.

    ``g_A = sum of cut over A - 2 w(A, A)``: each inside edge appears once per direction, so
    subtracting its directed rows takes it twice; ``w_in[x]`` is ``2 w(x, A - x)`` likewise.
    """
    gv = np.bincount(lab, weights=vol, minlength=n)
    gs = np.bincount(lab, weights=sx, minlength=n)
    gg = np.bincount(lab, weights=cut, minlength=n) - np.bincount(
        lab[a[inside]], weights=w[inside], minlength=n
    )
    w_in = np.bincount(a[inside], weights=w[inside], minlength=n)
    return gv, gs, gg, w_in


def move_sweeps(
    labels: np.ndarray, level: LevelGraph, *, tol: float = 0.0, max_sweeps: int = 8
) -> tuple[np.ndarray, float, int]:
    """Improve a grouping by rounds of single-item moves; returns ``(labels, V * dH, moves)``.

    ``labels`` holds group ids ``< level.n``; the result is renumbered by first item. Items
    that are blocks of tree nodes moved together carry their own ``S`` in ``member_cuts``.
    """
    n = level.n
    vol, cut, pvol, sx = level.volume, level.cut, level.parent_volume, level.cut_sum
    a, b, w = _both_directions(level)
    logp = np.log2(np.where(pvol > 0, pvol, 1.0))
    lab = labels.astype(np.int64, copy=True)
    total, moves = 0.0, 0
    for _ in range(max_sweeps):
        gsize = np.bincount(lab, minlength=n)
        la, lb = lab[a], lab[b]
        inside = la == lb
        gv, gs, gg, w_in = _group_terms(lab, vol, sx, cut, a, w, inside, n)
        glogp = _group_logp(lab, logp, n)
        f_now = _f(gv, gs, gg, glogp)
        # Leaving: f(A - x) - f(A) for every item x in group A.
        src = lab
        leave = _f(gv[src] - vol, gs[src] - sx, gg[src] - cut + 2.0 * w_in, logp) - f_now[src]
        # Joining a neighbouring group t: aggregate w(x, t) over the crossing edges.
        x = ~inside
        key = a[x] * n + lb[x]
        keys, inv = np.unique(key, return_inverse=True)
        wt = np.bincount(inv, weights=w[x], minlength=keys.shape[0])
        xi, tg = keys // n, keys % n
        join = _f(gv[tg] + vol[xi], gs[tg] + sx[xi], gg[tg] + cut[xi] - 2.0 * wt, logp[xi])
        delta = leave[xi] + join - f_now[tg]
        # Or starting a group of its own.
        alone_items = np.flatnonzero(gsize[lab] > 1)
        alone = leave[alone_items] + _f(
            vol[alone_items], sx[alone_items], cut[alone_items], logp[alone_items]
        )
        cand_x = np.concatenate([xi, alone_items])
        cand_t = np.concatenate([tg, np.full(alone_items.shape[0], -1, dtype=np.int64)])
        cand_d = np.concatenate([delta, alone])
        good = cand_d < -tol
        if not good.any():
            break
        cand_x, cand_t, cand_d = cand_x[good], cand_t[good], cand_d[good]
        order = np.lexsort((cand_t, cand_x, cand_d))
        used = np.zeros(n, dtype=bool)  # groups already changed this round
        free = np.flatnonzero(gsize == 0).tolist()
        free.reverse()
        applied = 0
        for k in order.tolist():
            xk, tk = int(cand_x[k]), int(cand_t[k])
            sk = int(lab[xk])
            if used[sk] or (tk >= 0 and used[tk]):
                continue
            if tk < 0:
                tk = free.pop()
            used[sk] = used[tk] = True
            lab[xk] = tk
            total += float(cand_d[k])
            applied += 1
        moves += applied
        if not applied:
            break
    return canonical_labels(lab), total, moves


def _group_logp(lab: np.ndarray, logp: np.ndarray, n: int) -> np.ndarray:
    """log P per group id (all items of a group share their parent)."""
    out = np.zeros(n)
    out[lab] = logp
    return out


def collapse_groups(labels: np.ndarray, level: LevelGraph) -> LevelGraph:
    """The groups of ``labels`` as items of a new level, each group one block.

    ``V_A`` sums its items' volumes; ``S_A`` (``member_cuts``) sums their ``S_x`` (the cuts of
    the tree nodes they stand for); ``g_A = S_A - 2 w(A, A)`` is the weight leaving A; ``P_A``
    is the (shared) parent volume. Edges between distinct groups are summed per pair, listed
    once with ``u < v``.
    """
    eu, ev, ew = level.u, level.v, level.w
    k = int(labels.max()) + 1
    gv = np.bincount(labels, weights=level.volume, minlength=k)
    gs = np.bincount(labels, weights=level.cut_sum, minlength=k)
    gp = np.zeros(k)
    gp[labels] = level.parent_volume
    lu, lv = labels[eu], labels[ev]
    inside = lu == lv
    gg = gs - 2.0 * np.bincount(lu[inside], weights=ew[inside], minlength=k)
    x = ~inside
    lo, hi = np.minimum(lu[x], lv[x]), np.maximum(lu[x], lv[x])
    keys, inv = np.unique(lo * k + hi, return_inverse=True)
    w = np.bincount(inv, weights=ew[x], minlength=keys.shape[0])
    return LevelGraph(gv, gg, gp, keys // k, keys % k, w, member_cuts=gs)


def split_groups(
    labels: np.ndarray, level: LevelGraph, *, tol: float = 0.0
) -> tuple[np.ndarray, float]:
    """Blocks: the greedy merge run inside each group, the group as parent (edges between
    groups ignored). Returns block labels per item and the merge's ``V * dH``, which is exactly
    what inserting these blocks as a level below the groups would change."""
    gv = np.bincount(labels, weights=level.volume, minlength=level.n)
    same = labels[level.u] == labels[level.v]
    inside = LevelGraph(
        level.volume,
        level.cut,
        gv[labels],
        level.u[same],
        level.v[same],
        level.w[same],
        member_cuts=level.member_cuts,
    )
    return greedy_merge(inside, tol=tol)


def block_moves(
    labels: np.ndarray, blk: np.ndarray, level: LevelGraph, *, tol: float = 0.0
) -> tuple[np.ndarray, float, int]:
    """Move whole blocks of items between groups (the multi-level step of Louvain-style methods).

    ``blk`` is a finer grouping (from :func:`split_groups`). A block x moves as one unit: its
    ``S_x`` is the sum of its items' cuts, its cut ``g_x`` the weight leaving it, so the move
    deltas of :func:`move_sweeps` apply unchanged. Single-item moves cannot undo an early merge
    of two well-connected items into the wrong group; moving their block can.
    Returns ``(labels, V * dH, blocks moved)``.
    """
    if level.u.shape[0] == 0:
        return labels, 0.0, 0
    blocks = collapse_groups(blk, level)
    # A block's cut is a float sum that may round below 0 for a block with no outside edge.
    blocks = replace(blocks, cut=np.maximum(blocks.cut, 0.0))
    blab = np.zeros(blocks.n, dtype=np.int64)
    blab[blk] = labels
    moved, delta, moves = move_sweeps(blab, blocks, tol=tol)
    return canonical_labels(moved[blk]), delta, moves


DISSOLVE_MAX = 16  # only groups of at most this many items are tried (bounds the work)
ALWAYS_TRY = 4  # groups this small skip the screen (peeling a chain needs no estimate)


def dissolve_groups(
    labels: np.ndarray, level: LevelGraph, *, tol: float = 0.0, max_size: int = DISSOLVE_MAX
) -> tuple[np.ndarray, float, int]:
    """Try to dissolve whole groups; returns ``(labels, V * dH, groups changed)``.

    A group A is dissolved tentatively: its items, most loosely attached first (lowest share
    of their volume tied to A), move one by one to their best neighbouring group other than A,
    each step's delta ``f(A') + f(B') - f(A) - f(B)`` computed exactly on the current state (the
    single-move formula of the module doc), uphill steps allowed. The best prefix of that
    sequence is kept when its summed delta is below ``-tol``; the rest is undone. This escapes
    the local optimum where a wrongly merged pair (say the bridge 2-3 between two triangles)
    can only pay once *both* of its items have moved, the first move alone being uphill.
    Besides the neighbouring groups, the items may go to one fresh group (the first item alone
    there, later ones joining it), so a chain can peel off a group and regroup.

    Bounded work: one pass over the groups of 2..``max_size`` items, smallest (then lightest)
    first; groups above ``ALWAYS_TRY`` items only when a vectorised screen (every item moved
    at once to its best outside group, or alone, as if the others stayed; exact when they go
    to distinct groups) estimates a gain. A group that received items in this pass is not
    tried (its member list is stale). Each tried item costs one pass over its own edges.
    """
    n = level.n
    vol, cut, pvol, sx = level.volume, level.cut, level.parent_volume, level.cut_sum
    a, b, w = _both_directions(level)
    if not a.shape[0]:
        return labels, 0.0, 0
    lab = labels.astype(np.int64, copy=True)
    gsize = np.bincount(lab, minlength=n)
    small = (gsize >= 2) & (gsize <= max_size)
    if not small.any():
        return canonical_labels(lab), 0.0, 0
    logp = np.log2(np.where(pvol > 0, pvol, 1.0))
    glogp = _group_logp(lab, logp, n)
    inside = lab[a] == lab[b]
    gv, gs, gg, w_in = _group_terms(lab, vol, sx, cut, a, w, inside, n)
    # Only rows of items in small groups are needed: CSR over those.
    mine = small[lab[a]]
    a, b, w = a[mine], b[mine], w[mine]
    order = stable_order(a, n)
    a, b, w = a[order], b[order], w[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])

    # Screen (vectorised): a group is tried only if dissolving it at once, each item moved
    # to its best outside group as if the others stayed, is estimated to pay. Exact when the
    # items go to distinct groups (the bridge-pair case); an item without outside neighbours
    # counts as moving out alone.
    la, lb = lab[a], lab[b]
    x_ = la != lb
    keys, inv = np.unique(a[x_] * n + lb[x_], return_inverse=True)
    wt = np.bincount(inv, weights=w[x_], minlength=keys.shape[0])
    xi, tg = keys // n, keys % n
    f_now = _f(gv, gs, gg, glogp)
    join = _f(gv[tg] + vol[xi], gs[tg] + sx[xi], gg[tg] + cut[xi] - 2.0 * wt, glogp[tg])
    best_join = np.full(n, np.inf)
    np.minimum.at(best_join, xi, join - f_now[tg])
    best_join = np.minimum(best_join, _f(vol, sx, cut, logp))
    est = np.bincount(lab, weights=np.where(small[lab], best_join, 0.0), minlength=n) - f_now
    small &= (est < -tol) | (gsize <= ALWAYS_TRY)
    items = np.flatnonzero(small[lab])
    if not items.shape[0]:
        return canonical_labels(lab), 0.0, 0
    safe_vol = np.where(vol > 0, vol, 1.0)
    # Groups smallest first, then lightest; items most loosely attached first.
    items = items[np.lexsort((items, w_in[items] / safe_vol[items], gv[lab[items]], lab[items]))]
    grp = lab[items]
    starts = np.flatnonzero(np.concatenate([[True], grp[1:] != grp[:-1]]))
    ends = np.append(starts[1:], items.shape[0])
    gorder = np.lexsort((grp[starts], gv[grp[starts]], ends - starts))

    # The sequential part runs on Python lists: rows are short and each step touches a few
    # scalars, where numpy's per-call overhead would dominate.
    labl = lab.tolist()
    gvl, gsl, ggl, glp = gv.tolist(), gs.tolist(), gg.tolist(), glogp.tolist()
    voll, sxl, cutl = vol.tolist(), np.asarray(sx, dtype=np.float64).tolist(), cut.tolist()
    bl, wl, ptr = b.tolist(), w.tolist(), indptr.tolist()

    def f(v: float, s_: float, g: float, lp: float) -> float:
        return g * lp + (s_ - g) * log2(v) if v > 0 else 0.0

    touched: set[int] = set()
    free = np.flatnonzero(gsize == 0).tolist()
    free.reverse()
    total, changed = 0.0, 0
    for k in gorder.tolist():
        A = int(grp[starts[k]])
        if A in touched:
            continue
        # A fresh group F the items may also go to (so a chain can peel off and regroup).
        F = free[-1] if free else -1
        if F >= 0:
            glp[F] = glp[A]
        lp = glp[A]
        steps: list[tuple[int, int, tuple[float, float, float, float, float, float], float]] = []
        run, best, best_at = 0.0, 0.0, 0
        for x in items[starts[k] : ends[k]].tolist():
            vx, sxx, cx = voll[x], sxl[x], cutl[x]
            w_a = 0.0
            to: dict[int, float] = {}
            for i in range(ptr[x], ptr[x + 1]):
                t = labl[bl[i]]
                if t == A:
                    w_a += wl[i]
                else:
                    to[t] = to.get(t, 0.0) + wl[i]
            if F >= 0 and gvl[F] == 0 and vx > 0:
                to[F] = 0.0  # x alone in F: f(F + x) - f(empty F)
            best_t, best_j, best_w = -1, 0.0, 0.0
            for t, wt_ in to.items():
                j = f(gvl[t] + vx, gsl[t] + sxx, ggl[t] + cx - 2.0 * wt_, lp) - f(
                    gvl[t], gsl[t], ggl[t], lp
                )
                if best_t < 0 or j < best_j or (j == best_j and t < best_t):
                    best_t, best_j, best_w = t, j, wt_
            if best_t < 0:
                continue
            t = best_t
            saved = (gvl[A], gsl[A], ggl[A], gvl[t], gsl[t], ggl[t])
            f_a = f(gvl[A], gsl[A], ggl[A], lp)
            gvl[A] -= vx
            gsl[A] -= sxx
            ggl[A] += 2.0 * w_a - cx
            d = f(gvl[A], gsl[A], ggl[A], lp) - f_a + best_j
            gvl[t] += vx
            gsl[t] += sxx
            ggl[t] += cx - 2.0 * best_w
            labl[x] = t
            steps.append((x, t, saved, d))
            run += d
            if run < best:
                best, best_at = run, len(steps)
        if best >= -tol:
            best_at = 0
        for x, t, saved, _ in reversed(steps[best_at:]):
            labl[x] = A
            gvl[A], gsl[A], ggl[A], gvl[t], gsl[t], ggl[t] = saved
        if best_at:
            total += sum(st[3] for st in steps[:best_at])
            changed += 1
            touched.update(st[1] for st in steps[:best_at])
            if F >= 0 and gvl[F] > 0:
                free.pop()
    return canonical_labels(np.asarray(labl, dtype=np.int64)), total, changed
