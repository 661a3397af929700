"""Build an encoding tree of fixed height that minimises structural entropy, and the taxonomy.

Design (STEPS spec, section 3; chosen by measured entropy and speed, see benchmarks/README.md):
the tree is grown one community level at a time. A level is *inserted* somewhere in the
current tree: between the root and the top communities (bottom-up: collapse the top
communities into a quotient graph and group them) or between any community level and its
children (top-down: split every community of that level). Every candidate position is run
through the same greedy merge engine (:mod:`steps_agents.taxonomy.merge_heap`), whose closed-form delta
accounts for the subtree below each item, and the position that lowers ``H^T`` most wins.
The first level is the flat two-level merge of the spec. Each greedy grouping is then
repaired (:mod:`steps_agents.taxonomy.refine`): whole blocks (the greedy split of each group) and
single items move to the neighbouring group that lowers ``H^T``, and merging resumes. Every
step's change is computed in closed form and checked against a full recomputation in the
tests; the finished tree is scored exactly once more from scratch by the taxonomy. When no insertion helps, the
remaining levels are single-child chain nodes directly under the root (their term is 0), so
every leaf sits at depth ``height + 1`` and the selection stage can walk ancestors by depth.

Objective and operators: A. Li and Y. Pan, IEEE Trans. Inf. Theory 62(6), 2016 (structural
entropy, merge and combine); STEPS, arXiv 2601.03676 (2026) for its use on skill graphs.

Trees are held as a list of ``assign`` arrays: ``assign[k][j]`` is the level-(k+1) node above
level-k node j (level 0 = skills); the top level hangs from the root. Nothing is n x n: each
level costs a few vectorised passes over the edge arrays plus the merge engine's heap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from steps_agents.errors import InputError
from steps_agents.fileformats import STEPS_AGENTS_VERSION
from steps_agents.runtime.progress import Progress
from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode
from steps_agents.taxonomy.entropy import (
    node_depths,
    one_dim_entropy,
    theta,
    tree_volumes_and_cuts,
)
from steps_agents.taxonomy.levelgraph import LevelGraph
from steps_agents.taxonomy.merge_heap import greedy_merge
from steps_agents.taxonomy.refine import (
    DISSOLVE_MAX,
    block_moves,
    collapse_groups,
    dissolve_groups,
    move_sweeps,
    split_groups,
)
from steps_agents.taxonomy.skillgraph import SkillGraph

__all__ = ["build_encoding_tree", "build_taxonomy", "community_levels", "label_nodes"]

LABEL_SKILLS = 3
REFINE = 1  # rounds of block moves + item moves + resumed merge after each greedy merge


@dataclass
class _Edges:
    n: int
    src: np.ndarray
    dst: np.ndarray
    w: np.ndarray
    deg: np.ndarray
    total: float


class _Levels:
    """Per-level volumes and cuts for the current ``assign`` list."""

    def __init__(self, e: _Edges, assign: list[np.ndarray]) -> None:
        self.assign = assign
        labs = [np.arange(e.n, dtype=np.int64)]
        for a in assign:
            labs.append(a[labs[-1]])
        self.labs = labs
        self.sizes = [e.n] + [int(a.max()) + 1 if a.shape[0] else 0 for a in assign]
        self.vol: list[np.ndarray] = []
        self.cut: list[np.ndarray] = []
        for k, lab in enumerate(labs):
            size = self.sizes[k]
            self.vol.append(np.bincount(lab, weights=e.deg, minlength=size))
            lu, lv = lab[e.src], lab[e.dst]
            x = lu != lv
            self.cut.append(
                np.bincount(lu[x], weights=e.w[x], minlength=size)
                + np.bincount(lv[x], weights=e.w[x], minlength=size)
            )


def _level_items(e: _Edges, lv: _Levels, pos: int) -> LevelGraph:
    """Items of an insertion at ``pos`` (the level-(pos-1) nodes) and their same-parent edges."""
    k = pos - 1
    size = lv.sizes[k]
    if k == len(lv.assign):
        parent_of = np.zeros(size, dtype=np.int64)
        pvol = np.full(size, e.total)
    else:
        parent_of = lv.assign[k]
        pvol = lv.vol[k + 1][parent_of]
    lab = lv.labs[k]
    lu, lv_ = lab[e.src], lab[e.dst]
    m = (lu != lv_) & (parent_of[lu] == parent_of[lv_])
    lo, hi = np.minimum(lu[m], lv_[m]), np.maximum(lu[m], lv_[m])
    keys, inv = np.unique(lo * size + hi, return_inverse=True)
    ew = np.bincount(inv, weights=e.w[m], minlength=keys.shape[0])
    return LevelGraph(lv.vol[k], lv.cut[k], pvol, keys // size, keys % size, ew)


def _remerge(labels: np.ndarray, level: LevelGraph, tol: float) -> tuple[np.ndarray, float]:
    """Resume greedy merging from an existing grouping (groups collapsed into items)."""
    merged, delta = greedy_merge(collapse_groups(labels, level), tol=tol)
    return merged[labels], delta


Split = tuple[np.ndarray, float]


def _group_level(
    e: _Edges,
    lv: _Levels,
    pos: int,
    tol: float,
    refine: int,
    start: Split | None = None,
    dissolve: int = DISSOLVE_MAX,
) -> tuple[np.ndarray, float, Split | None]:
    """Group the level-(pos-1) nodes under their parents: greedy merge (or ``start``, a
    grouping with its V*dH known from earlier), then up to ``refine`` rounds of block moves,
    single-item moves and group dissolutions (groups of at most ``dissolve`` items; 0 = off),
    each followed by a resumed merge.

    Returns labels, V*dH and, when still valid for the returned labels, the blocks found inside
    the groups with their V*dH: that is the greedy result of the next insertion at ``pos``.
    """
    level = _level_items(e, lv, pos)
    if start is None:
        labels, delta = greedy_merge(level, tol=tol)
    else:
        labels, delta = start
    split: Split | None = None
    for _ in range(refine):
        split = split_groups(labels, level, tol=tol)
        labels, block_delta, block_moved = block_moves(labels, split[0], level, tol=tol)
        labels, moved_delta, moves = move_sweeps(labels, level, tol=tol)
        delta += block_delta + moved_delta
        if dissolve > 1:
            # Two-step escapes (a wrongly merged bridge pair) that no single move pays for.
            labels, dis_delta, dissolved = dissolve_groups(
                labels, level, tol=tol, max_size=dissolve
            )
            delta += dis_delta
            moves += dissolved
        if not moves + block_moved:
            break
        split = None  # the groups changed: their blocks are stale
        labels, merged_delta = _remerge(labels, level, tol)
        delta += merged_delta
    return labels, delta, split


def _apply(assign: list[np.ndarray], pos: int, labels: np.ndarray) -> list[np.ndarray]:
    """Insert the grouping ``labels`` of the level-(pos-1) nodes as a new level."""
    k = pos - 1
    if k == len(assign):
        return list(assign) + [labels]
    groups = int(labels.max()) + 1
    grp_parent = np.zeros(groups, dtype=np.int64)
    grp_parent[labels] = assign[k]
    return list(assign[:k]) + [labels, grp_parent] + list(assign[k + 1 :])


def _insert_level(
    e: _Edges, lv: _Levels, pos: int, tol: float, refine: int = 0, dissolve: int = DISSOLVE_MAX
) -> tuple[list[np.ndarray], float]:
    """The assign list with a new level at ``pos``, and its V*dH."""
    labels, delta, _ = _group_level(e, lv, pos, tol, refine, dissolve=dissolve)
    return _apply(lv.assign, pos, labels), delta


def _edges_of(graph: SkillGraph, perm: np.ndarray | None) -> _Edges:
    src, dst = graph.src.astype(np.int64), graph.dst.astype(np.int64)
    if perm is not None:
        src, dst = perm[src], perm[dst]
    deg = np.bincount(src, weights=graph.weight, minlength=graph.n_skills) + np.bincount(
        dst, weights=graph.weight, minlength=graph.n_skills
    )
    return _Edges(graph.n_skills, src, dst, graph.weight.astype(np.float64), deg, float(deg.sum()))


def _build_levels(
    graph: SkillGraph,
    height: int,
    seed: int,
    progress: Progress | None,
    refine: int = REFINE,
    dissolve: int = DISSOLVE_MAX,
) -> tuple[list[np.ndarray], np.ndarray]:
    """The ``assign`` list in a seeded relabelling of the skills (the seed only breaks ties)."""
    if height < 1:
        raise ValueError("height (community levels between root and leaves) must be >= 1")
    n = graph.n_skills
    if n == 0:
        raise InputError("the skill graph has no skills: nothing to build a taxonomy from")
    bad = ~np.isfinite(graph.weight) | (graph.weight < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        u, v = graph.skills[int(graph.src[k])], graph.skills[int(graph.dst[k])]
        raise InputError(
            f"edge {u!r} - {v!r} has weight {float(graph.weight[k])!r}; "
            "weights must be finite and non-negative"
        )
    perm = np.random.default_rng(seed).permutation(n).astype(np.int64)
    e = _edges_of(graph, perm)
    tol = 1e-12 * max(e.total, 1.0)
    assign: list[np.ndarray] = []
    # Candidates below the last insertion point see the same items, parents and edges, so
    # their groupings stay valid and are reused.
    cache: dict[int, tuple[np.ndarray, float, Split | None]] = {}
    # The blocks found while refining the level just inserted are the greedy split of its
    # nodes, i.e. the start of the next candidate at the same position.
    seeds: dict[int, Split] = {}
    while len(assign) < height:
        lv = _Levels(e, assign)
        best_pos, best_delta = 0, 0.0
        for pos in range(1, len(assign) + 2):
            if pos not in cache:
                cache[pos] = _group_level(e, lv, pos, tol, refine, seeds.pop(pos, None), dissolve)
            if cache[pos][1] < best_delta - tol:
                best_pos, best_delta = pos, cache[pos][1]
        if not best_pos:
            break
        labels, _, split = cache[best_pos]
        assign = _apply(assign, best_pos, labels)
        cache = {p: c for p, c in cache.items() if p < best_pos}
        seeds = {best_pos: split} if split is not None else {}
        if progress is not None:
            progress.update(1, levels=len(assign))
    while len(assign) < height:
        # Nothing left to gain: pad under the root with single-child chains (term 0).
        top = assign[-1].max() + 1 if assign else n
        assign.append(np.arange(top, dtype=np.int64))
    return assign, perm


def _parent_array(n: int, assign: list[np.ndarray]) -> np.ndarray:
    sizes = [n] + [int(a.max()) + 1 for a in assign]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    parent = np.empty(int(offsets[-1]) + 1, dtype=np.int64)
    for k, a in enumerate(assign):
        parent[offsets[k] : offsets[k + 1]] = offsets[k + 1] + a
    top = len(assign)
    parent[offsets[top] : offsets[top + 1]] = offsets[top + 1]
    parent[-1] = -1
    return parent


def build_encoding_tree(
    graph: SkillGraph, *, height: int = 3, seed: int = 0, dissolve: int = DISSOLVE_MAX
) -> np.ndarray:
    """A parent array: leaves ``0..n-1`` are the skills, then the community levels bottom-up,
    the root (parent ``-1``) last. Every leaf is at depth ``height + 1``. ``dissolve`` caps the
    size of the groups the refinement tries to dissolve (0 switches that move off)."""
    assign, perm = _build_levels(graph, height, seed, None, dissolve=dissolve)
    # Undo the seeded relabelling: skill i was item perm[i] at level 0.
    assign = [assign[0][perm]] + assign[1:]
    return _parent_array(graph.n_skills, assign)


def community_levels(parent: np.ndarray, n: int) -> list[np.ndarray]:
    """Community node id above every skill at each level, finest level first (root excluded)."""
    parent = np.asarray(parent, dtype=np.int64)
    out: list[np.ndarray] = []
    anc = parent[:n].copy()
    while (anc >= 0).any() and (parent[np.maximum(anc, 0)] >= 0).any():
        out.append(anc.copy())
        anc = np.where(parent[anc] >= 0, parent[anc], anc)
    return out


def label_nodes(graph: SkillGraph, parent: np.ndarray, k: int = LABEL_SKILLS) -> list[str]:
    """A readable label per node: its ``k`` most central skills joined with `` / ``.

    Centrality inside a node is the weighted degree restricted to edges with both ends under
    it; ties go to the higher global degree, then the higher count, then the lower index.
    """
    n = graph.n_skills
    size = parent.shape[0]
    deg = graph.degrees()
    depth = node_depths(parent)
    labels = [""] * size
    for i, s in enumerate(graph.skills):
        labels[i] = s
    anc = np.arange(n, dtype=np.int64)
    counts = np.asarray(graph.counts, dtype=np.float64)
    if counts.shape[0] != n:
        counts = np.zeros(n)
    for _ in range(int(depth.max())):
        anc = np.where(parent[anc] >= 0, parent[anc], anc)
        same = anc[graph.src] == anc[graph.dst]
        inner = np.bincount(graph.src[same], weights=graph.weight[same], minlength=n)
        inner += np.bincount(graph.dst[same], weights=graph.weight[same], minlength=n)
        order = np.lexsort((np.arange(n), -counts, -deg, -inner, anc))
        grp = anc[order]
        start = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
        rank = np.arange(n) - np.repeat(start, np.diff(np.r_[start, n]))
        for node, chunk in _groups(grp[rank < k], order[rank < k]):
            labels[node] = " / ".join(graph.skills[i] for i in chunk)
    return labels


def _groups(keys: np.ndarray, vals: np.ndarray) -> list[tuple[int, list[int]]]:
    out: list[tuple[int, list[int]]] = []
    for key, val in zip(keys.tolist(), vals.tolist(), strict=True):
        if out and out[-1][0] == key:
            out[-1][1].append(val)
        else:
            out.append((key, [val]))
    return out


def _bfs_ids(parent: np.ndarray, vol: np.ndarray, n: int) -> np.ndarray:
    """New id per node: root 0, breadth first; siblings by volume (desc), then lowest skill."""
    size = parent.shape[0]
    depth = node_depths(parent)
    first = np.full(size, n, dtype=np.int64)
    first[:n] = np.arange(n)
    for d in range(int(depth.max()), 0, -1):
        nodes = np.flatnonzero(depth == d)
        np.minimum.at(first, parent[nodes], first[nodes])
    new = np.full(size, -1, dtype=np.int64)
    new[parent < 0] = 0
    nxt = 1
    for d in range(1, int(depth.max()) + 1):
        nodes = np.flatnonzero(depth == d)
        order = nodes[np.lexsort((first[nodes], -vol[nodes], new[parent[nodes]]))]
        new[order] = np.arange(nxt, nxt + order.shape[0])
        nxt += order.shape[0]
    return new


MAX_GRAPH_VOLUME = 1e150
"""Largest vol(G) the builder accepts: products of two volumes in the merge and refine steps
must stay finite floats (docs/reliability.md)."""


def build_taxonomy(
    graph: SkillGraph,
    *,
    height: int = 3,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> Taxonomy:
    """Build the encoding tree of ``height`` community levels and wrap it as a :class:`Taxonomy`.

    Nodes are numbered root first, breadth first; leaves carry the skill name and its count,
    internal nodes a label of their most central skills. ``meta`` records H1, theta, the height,
    the build parameters, the input's fingerprint and the versions.
    """
    n = graph.n_skills
    with np.errstate(over="ignore"):
        total = graph.volume()
    if not np.isfinite(total) or total > MAX_GRAPH_VOLUME:
        # Each weight may be finite while vol(G) = 2 sum(w) overflows to inf and every entropy
        # term turns NaN (a taxonomy that is not valid JSON): refuse such weights instead.
        raise InputError(
            f"edge weights too large: vol(G) = {total}, more than {MAX_GRAPH_VOLUME:.0e};"
            " rescale the weights",
            location=graph.source or "graph",
        )
    with Progress("taxonomy", total=height, unit="level", enabled=progress) as bar:
        assign, perm = _build_levels(graph, height, seed, bar)
    assign = [assign[0][perm]] + assign[1:]
    parent = _parent_array(n, assign)
    vol, cut = tree_volumes_and_cuts(graph, parent)
    labels = label_nodes(graph, parent)
    new = _bfs_ids(parent, vol, n)
    inv = np.argsort(new)
    counts = np.asarray(graph.counts).tolist() if len(graph.counts) == n else [0] * n
    nodes = []
    for new_id, old in enumerate(inv.tolist()):
        p = int(parent[old])
        is_leaf = old < n
        nodes.append(
            TaxonomyNode(
                id=new_id,
                parent=None if p < 0 else int(new[p]),
                volume=float(vol[old]),
                cut=float(cut[old]),
                skill=graph.skills[old] if is_leaf else None,
                count=int(counts[old]) if is_leaf else None,
                label=None if is_leaf else labels[old],
            )
        )
    h1 = one_dim_entropy(graph)
    tax = Taxonomy(nodes, {})
    ht = tax.structural_entropy
    tax.meta.update(
        one_dim_entropy=h1,
        theta=theta(ht, h1),
        height=height,
        params={"height": height, "seed": seed, "weighting": graph.weighting, **dict(params or {})},
        input={
            "fingerprint": graph.fingerprint(),
            "source": graph.source,
            "n_skills": n,
            "n_edges": graph.n_edges,
            "n_records": graph.n_records,
            "weighting": graph.weighting,
        },
        versions={"steps-agents": STEPS_AGENTS_VERSION, "schema": 1},
    )
    return tax
