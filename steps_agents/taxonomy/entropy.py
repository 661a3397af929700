"""Structural entropy of a weighted graph under an encoding tree (Li & Pan 2016; STEPS, sec. 2).

Notation (logs base 2, ``0 log 0 = 0``): ``d_v`` is the weighted degree of skill v,
``vol(S) = sum_{v in S} d_v``, ``V = vol(G)``, and ``g_a`` is the cut of tree node a: the weight
of the edges with exactly one end among the skills under a.

* One-dimensional entropy: ``H1(G) = - sum_v (d_v / V) log(d_v / V)``.
* Term of a non-root node a with parent p: ``term(a) = - (g_a / V) log(vol(a) / vol(p))``.
* Structural entropy of the tree T: ``H^T(G) = sum of term(a)`` over every non-root node.
* Edge-sum form (the telescoping of the path terms of both ends of every edge):
  ``H^T(G) = (1/V) [ sum_{(u,v)} 2 w_uv log vol(lca(u,v)) - sum_v d_v log d_v ]``.
* Path entropy of a skill: the sum of the terms from its leaf up to, not including, the root.
* Compression ``theta = 1 - H^T / H1``.

References: A. Li and Y. Pan, "Structural Information and Dynamical Complexity of Networks",
IEEE Trans. Inf. Theory 62(6), 2016; STEPS, arXiv 2601.03676 (2026), section on taxonomy
induction.

A tree is given as a ``parent`` array over node ids: ids ``0..n-1`` are the leaves (skill i is
leaf i), every other id is an internal node, and exactly one node (the root) has parent ``-1``.
Every function here is vectorised over the edges; nothing is ``n x n``.
"""

from __future__ import annotations

import numpy as np

from steps_agents.taxonomy.skillgraph import SkillGraph

__all__ = [
    "node_depths",
    "node_terms",
    "one_dim_entropy",
    "path_entropy",
    "structural_entropy",
    "structural_entropy_edge_sum",
    "theta",
    "tree_volumes_and_cuts",
]


def one_dim_entropy(graph: SkillGraph) -> float:
    """``H1(G) = - sum_v (d_v / vol(G)) log2(d_v / vol(G))``; isolated skills contribute 0."""
    deg = graph.degrees()
    total = float(deg.sum())
    if total <= 0.0:
        return 0.0
    p = deg[deg > 0] / total
    return float(-(p * np.log2(p)).sum())


def _check_parent(parent: np.ndarray, n_leaves: int) -> np.ndarray:
    parent = np.asarray(parent, dtype=np.int64)
    size = parent.shape[0]
    if parent.ndim != 1 or size < n_leaves + 1:
        raise ValueError(f"parent array needs at least {n_leaves + 1} entries (leaves + root)")
    roots = np.flatnonzero(parent < 0)
    if roots.shape[0] != 1:
        raise ValueError(f"an encoding tree has exactly one root; found {roots.shape[0]}")
    if (parent >= size).any():
        raise ValueError("parent array refers to a node id beyond its length")
    if n_leaves and (np.isin(parent, np.arange(n_leaves))).any():
        raise ValueError("leaves 0..n-1 must not have children")
    return parent


def node_depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every node (root 0), by pointer jumping; raises on a cycle."""
    parent = np.asarray(parent, dtype=np.int64)
    depth = np.zeros(parent.shape[0], dtype=np.int64)
    anc = parent.copy()
    for _ in range(parent.shape[0] + 1):
        live = anc >= 0
        if not live.any():
            return depth
        depth += live
        anc = np.where(live, parent[np.maximum(anc, 0)], -1)
    raise ValueError("parent array contains a cycle")


def _lift_edges(
    graph: SkillGraph, parent: np.ndarray, depth: np.ndarray, cut: np.ndarray | None
) -> np.ndarray:
    """Walk both ends of every edge up to their lowest common ancestor; return the lca per edge.

    On the way, every node strictly below the lca on either side has the edge in its cut, so
    ``cut`` (if given) accumulates ``w`` there. The loop runs at most (tree depth) times.
    """
    size = parent.shape[0]
    u = graph.src.astype(np.int64, copy=True)
    v = graph.dst.astype(np.int64, copy=True)
    w = graph.weight.astype(np.float64, copy=False)
    lca = np.empty(u.shape[0], dtype=np.int64)
    idx = np.arange(u.shape[0])
    while idx.shape[0]:
        same = u == v
        if same.any():
            lca[idx[same]] = u[same]
            keep = ~same
            u, v, w, idx = u[keep], v[keep], w[keep], idx[keep]
            if not idx.shape[0]:
                break
        du, dv = depth[u], depth[v]
        mu, mv = du >= dv, dv >= du
        if cut is not None:
            cut += np.bincount(u[mu], weights=w[mu], minlength=size)
            cut += np.bincount(v[mv], weights=w[mv], minlength=size)
        u = np.where(mu, parent[u], u)
        v = np.where(mv, parent[v], v)
        if (u < 0).any() or (v < 0).any():
            raise ValueError("edge endpoints do not share a root")
    return lca


def tree_volumes_and_cuts(graph: SkillGraph, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(vol(a), g_a)`` for every node a of the tree.

    ``vol(a)`` is the sum of the degrees of the skills under a (the root gets ``vol(G)``);
    ``g_a`` is the weight of the edges with exactly one end under a (the root gets 0).
    """
    parent = _check_parent(parent, graph.n_skills)
    depth = node_depths(parent)
    size = parent.shape[0]
    vol = np.zeros(size, dtype=np.float64)
    vol[: graph.n_skills] = graph.degrees()
    # Push volumes up one depth level at a time, deepest first.
    for d in range(int(depth.max()), 0, -1):
        nodes = np.flatnonzero(depth == d)
        vol += np.bincount(parent[nodes], weights=vol[nodes], minlength=size)
    cut = np.zeros(size, dtype=np.float64)
    _lift_edges(graph, parent, depth, cut)
    return vol, cut


def node_terms(
    graph: SkillGraph,
    parent: np.ndarray,
    volumes: np.ndarray | None = None,
    cuts: np.ndarray | None = None,
) -> np.ndarray:
    """``term(a) = -(g_a / vol(G)) log2(vol(a) / vol(parent(a)))`` per node (root: 0).

    Nodes with zero volume or zero cut (isolated skills, chains over them) contribute 0.
    """
    parent = _check_parent(parent, graph.n_skills)
    if volumes is None or cuts is None:
        volumes, cuts = tree_volumes_and_cuts(graph, parent)
    total = graph.volume()
    terms = np.zeros(parent.shape[0], dtype=np.float64)
    if total <= 0.0:
        return terms
    has_parent = parent >= 0
    pvol = np.where(has_parent, volumes[np.maximum(parent, 0)], 0.0)
    ok = has_parent & (cuts > 0) & (volumes > 0) & (pvol > 0)
    terms[ok] = -(cuts[ok] / total) * np.log2(volumes[ok] / pvol[ok])
    return terms


def structural_entropy(graph: SkillGraph, parent: np.ndarray) -> float:
    """``H^T(G)``: the sum of ``term(a)`` over every non-root node, leaves included (bits)."""
    return float(node_terms(graph, parent).sum())


def structural_entropy_edge_sum(graph: SkillGraph, parent: np.ndarray) -> float:
    """``H^T`` by the edge-sum form:
    ``(1/V) [ sum_{(u,v)} 2 w_uv log2 vol(lca(u,v)) - sum_v d_v log2 d_v ]``.

    It follows from telescoping: an edge is in the cut of every node strictly below its lca on
    both sides, and the logs of consecutive volumes on a path cancel, leaving
    ``log vol(lca) - log d_u`` per side. Kept as an independent check of the node-sum form.
    """
    parent = _check_parent(parent, graph.n_skills)
    total = graph.volume()
    if total <= 0.0:
        return 0.0
    vol, _ = tree_volumes_and_cuts(graph, parent)
    lca = _lift_edges(graph, parent, node_depths(parent), None)
    w = graph.weight
    pos = w > 0
    deg = graph.degrees()
    d = deg[deg > 0]
    edge_part = float((2.0 * w[pos] * np.log2(vol[lca[pos]])).sum())
    return (edge_part - float((d * np.log2(d)).sum())) / total


def path_entropy(
    graph: SkillGraph, parent: np.ndarray, skill: int | None = None
) -> np.ndarray | float:
    """Path entropy: the sum of ``term(a)`` from a skill's leaf up to, not including, the root.

    With ``skill`` (a leaf index) returns that skill's value; otherwise an array over all skills.
    """
    parent = _check_parent(parent, graph.n_skills)
    terms = node_terms(graph, parent)
    n = graph.n_skills
    acc = terms[:n].copy()
    anc = parent[:n].copy()
    while (anc >= 0).any():
        live = anc >= 0
        acc[live] += terms[anc[live]]
        anc = np.where(live, parent[np.maximum(anc, 0)], -1)
    if skill is not None:
        return float(acc[skill])
    return acc


def theta(structural: float, one_dim: float) -> float:
    """Compression ``theta = 1 - H^T / H1`` (0 when ``H1 == 0``: nothing to compress)."""
    if one_dim <= 0.0:
        return 0.0
    return 1.0 - structural / one_dim
