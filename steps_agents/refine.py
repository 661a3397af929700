"""Local node moves that repair early mistakes of the greedy merge (one inserted tree level).

Items under a common parent of volume ``P`` are grouped into new tree nodes; up to constants the
level's contribution to ``vol(G) * H^T`` is ``sum_G f(G)`` with

    f(G) = g_G log P + (S_G - g_G) log V_G,     S_G = sum of the cuts g_x of the items in G

(derivation in :mod:`steps_agents.merge_heap`). Moving item x from group A to group B changes
``V_A -= V_x``, ``S_A -= g_x``, ``g_A += 2 w(x, A - x) - g_x`` and ``V_B += V_x``,
``S_B += g_x``, ``g_B += g_x - 2 w(x, B)``; the move pays ``f(A') + f(B') - f(A) - f(B)``.
Only groups holding a neighbour of x, or a fresh group of x alone, can be better.

Moves are evaluated for all items at once (vectorised over the edges) and applied in rounds:
best move per item, most negative first, skipping any move whose source or target group is
already touched this round. Moves on disjoint groups do not interact (each delta only reads
its own two groups and x's weights to them), so a round's changes add up exactly. Nothing in
the order depends on item ids except exact ties, so relabelling a graph does not change the
result when deltas are distinct.
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_moves", "move_sweeps", "split_groups"]


def _f(v: np.ndarray, s: np.ndarray, g: np.ndarray, logp: np.ndarray) -> np.ndarray:
    safe = np.where(v > 0, v, 1.0)
    return np.where(v > 0, g * logp + (s - g) * np.log2(safe), 0.0)


def move_sweeps(
    labels: np.ndarray,
    vol: np.ndarray,
    cut: np.ndarray,
    pvol: np.ndarray,
    eu: np.ndarray,
    ev: np.ndarray,
    ew: np.ndarray,
    *,
    tol: float = 0.0,
    max_sweeps: int = 8,
    sub: np.ndarray | None = None,
) -> tuple[np.ndarray, float, int]:
    """Improve a grouping by rounds of single-item moves; returns ``(labels, V * dH, moves)``.

    ``labels`` holds group ids ``< len(vol)``; the result is renumbered by first item. ``sub``
    is each item's own ``S`` when items are blocks of tree nodes moved together (default: the
    item's cut, i.e. each item is one tree node).
    """
    from steps_agents.merge_heap import canonical_labels

    n = int(vol.shape[0])
    keep = ew > 0
    a = np.concatenate([eu[keep], ev[keep]]).astype(np.int64)
    b = np.concatenate([ev[keep], eu[keep]]).astype(np.int64)
    w = np.concatenate([ew[keep], ew[keep]]).astype(np.float64)
    logp = np.log2(np.where(pvol > 0, pvol, 1.0))
    lab = labels.astype(np.int64, copy=True)
    sx = cut if sub is None else sub
    total, moves = 0.0, 0
    for _ in range(max_sweeps):
        gv = np.bincount(lab, weights=vol, minlength=n)
        gs = np.bincount(lab, weights=sx, minlength=n)
        gsize = np.bincount(lab, minlength=n)
        la, lb = lab[a], lab[b]
        inside = la == lb
        # Each inside pair appears once per direction, so this is twice the inside weight.
        w_in = np.bincount(a[inside], weights=w[inside], minlength=n)
        gg = np.bincount(lab, weights=cut, minlength=n) - np.bincount(
            la[inside], weights=w[inside], minlength=n
        )
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


def split_groups(
    labels: np.ndarray,
    vol: np.ndarray,
    cut: np.ndarray,
    eu: np.ndarray,
    ev: np.ndarray,
    ew: np.ndarray,
    *,
    tol: float = 0.0,
) -> tuple[np.ndarray, float]:
    """Blocks: the greedy merge run inside each group, the group as parent (edges between
    groups ignored). Returns block labels per item and the merge's ``V * dH``, which is exactly
    what inserting these blocks as a level below the groups would change."""
    from steps_agents.merge_heap import greedy_merge

    n = int(vol.shape[0])
    gv = np.bincount(labels, weights=vol, minlength=n)
    same = labels[eu] == labels[ev]
    return greedy_merge(vol, cut, gv[labels], eu[same], ev[same], ew[same], tol=tol)


def block_moves(
    labels: np.ndarray,
    blk: np.ndarray,
    vol: np.ndarray,
    cut: np.ndarray,
    pvol: np.ndarray,
    eu: np.ndarray,
    ev: np.ndarray,
    ew: np.ndarray,
    *,
    tol: float = 0.0,
) -> tuple[np.ndarray, float, int]:
    """Move whole blocks of items between groups (the multi-level step of Louvain-style methods).

    ``blk`` is a finer grouping (from :func:`split_groups`). A block x moves as one unit: its
    ``S_x`` is the sum of its items' cuts, its cut ``g_x`` the weight leaving it, so the move
    deltas of :func:`move_sweeps` apply unchanged. Single-item moves cannot undo an early merge
    of two well-connected items into the wrong group; moving their block can.
    Returns ``(labels, V * dH, blocks moved)``.
    """
    from steps_agents.merge_heap import canonical_labels

    if eu.shape[0] == 0:
        return labels, 0.0, 0
    k = int(blk.max()) + 1
    bvol = np.bincount(blk, weights=vol, minlength=k)
    bsub = np.bincount(blk, weights=cut, minlength=k)
    bu, bv = blk[eu], blk[ev]
    cross = bu != bv
    bcut = bsub - 2.0 * np.bincount(bu[~cross], weights=ew[~cross], minlength=k)
    lo, hi = np.minimum(bu[cross], bv[cross]), np.maximum(bu[cross], bv[cross])
    keys, inv = np.unique(lo * k + hi, return_inverse=True)
    bw = np.bincount(inv, weights=ew[cross], minlength=keys.shape[0])
    bpvol = np.zeros(k)
    bpvol[blk] = pvol
    blab = np.zeros(k, dtype=np.int64)
    blab[blk] = labels
    moved, delta, moves = move_sweeps(
        blab, bvol, np.maximum(bcut, 0.0), bpvol, keys // k, keys % k, bw, tol=tol, sub=bsub
    )
    return canonical_labels(moved[blk]), delta, moves
