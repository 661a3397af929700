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

__all__ = ["move_sweeps"]


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
) -> tuple[np.ndarray, float, int]:
    """Improve a grouping by rounds of single-item moves; returns ``(labels, V * dH, moves)``.

    ``labels`` holds group ids ``< len(vol)``; the result is renumbered by first item.
    """
    from steps_agents.merge_heap import canonical_labels

    n = int(vol.shape[0])
    keep = ew > 0
    a = np.concatenate([eu[keep], ev[keep]]).astype(np.int64)
    b = np.concatenate([ev[keep], eu[keep]]).astype(np.int64)
    w = np.concatenate([ew[keep], ew[keep]]).astype(np.float64)
    logp = np.log2(np.where(pvol > 0, pvol, 1.0))
    lab = labels.astype(np.int64, copy=True)
    total, moves = 0.0, 0
    for _ in range(max_sweeps):
        gv = np.bincount(lab, weights=vol, minlength=n)
        gs = np.bincount(lab, weights=cut, minlength=n)
        gsize = np.bincount(lab, minlength=n)
        la, lb = lab[a], lab[b]
        inside = la == lb
        # Each inside pair appears once per direction, so this is twice the inside weight.
        w_in = np.bincount(a[inside], weights=w[inside], minlength=n)
        gg = gs - np.bincount(la[inside], weights=w[inside], minlength=n)
        glogp = _group_logp(lab, logp, n)
        f_now = _f(gv, gs, gg, glogp)
        # Leaving: f(A - x) - f(A) for every item x in group A.
        src = lab
        leave = _f(gv[src] - vol, gs[src] - cut, gg[src] - cut + 2.0 * w_in, logp) - f_now[src]
        # Joining a neighbouring group t: aggregate w(x, t) over the crossing edges.
        x = ~inside
        key = a[x] * n + lb[x]
        keys, inv = np.unique(key, return_inverse=True)
        wt = np.bincount(inv, weights=w[x], minlength=keys.shape[0])
        xi, tg = keys // n, keys % n
        join = _f(gv[tg] + vol[xi], gs[tg] + cut[xi], gg[tg] + cut[xi] - 2.0 * wt, logp[xi])
        delta = leave[xi] + join - f_now[tg]
        # Or starting a group of its own (f of a lone item is g_x log P: its S is its cut).
        alone_items = np.flatnonzero(gsize[lab] > 1)
        alone = leave[alone_items] + cut[alone_items] * logp[alone_items]
        cand_x = np.concatenate([xi, alone_items])
        cand_t = np.concatenate([tg, np.full(alone_items.shape[0], -1, dtype=np.int64)])
        cand_d = np.concatenate([delta, alone])
        good = cand_d < -tol
        if not good.any():
            break
        cand_x, cand_t, cand_d = cand_x[good], cand_t[good], cand_d[good]
        order = np.lexsort((cand_t, cand_x, cand_d))
        used = np.zeros(n, dtype=bool)
        moved_items = set()
        free = np.flatnonzero(gsize == 0).tolist()
        free.reverse()
        applied = 0
        for k in order.tolist():
            xk, tk = int(cand_x[k]), int(cand_t[k])
            sk = int(lab[xk])
            if xk in moved_items or used[sk] or (tk >= 0 and used[tk]):
                continue
            if tk < 0:
                tk = free.pop()
            used[sk] = used[tk] = True
            moved_items.add(xk)
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
