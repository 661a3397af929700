"""Per-taxonomy lookup tables for fast selection (built once, cached per :class:`Taxonomy`).

The selectors never score a skill against a set directly. They use the fact that
``gain(v | S) = path_term(v) - path_term(j)`` where ``j`` is the deepest node of ``v``'s path that
already lies on a path of ``S`` (``path_term`` = sum of ``term(a)`` from a node up to the root).
So every candidate hanging below an off-path child ``c`` of a path node ``u`` has the same
penalty ``path_term(u)``, and the best of them is the leaf with the largest ``path_term`` under
``c``. This module precomputes, per node: that best leaf and its value, the children sorted by
it, the number of skills below, and (lazily) all leaves below sorted by ``path_term``.
"""

from __future__ import annotations

import weakref
from functools import cached_property

import numpy as np

from steps_agents.taxonomy.artifact import Taxonomy

# A cursor / stream entry of the beam search (see ``beam.py``): (-gain, leaf, path node u,
# index of the child in kids[u], position in that child's sorted leaves).
Entry = tuple[float, int, int, int, int]

_CACHE: weakref.WeakKeyDictionary[Taxonomy, TreeIndex] = weakref.WeakKeyDictionary()


class TreeIndex:
    """Plain-list copies of the tree arrays (faster than numpy for scalar access) plus tables.

    Attributes (all indexed by node id):
      ``pt`` path term; ``parent`` (-1 at the root); ``depth``; ``nleaves`` skills below;
      ``bestval``/``bestleaf`` the largest ``pt`` of a skill leaf below and that leaf (ties: the
      smaller leaf id); ``kids`` children holding skills, sorted by ``(-bestval, bestleaf)``.
    Skill leaves are addressed by node id; ``skill[leaf]`` gives the name.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        n = len(taxonomy.nodes)
        self.n = n
        self.pt: list[float] = taxonomy.path_term.tolist()
        self.parent: list[int] = taxonomy.parent.tolist()
        self.depth: list[int] = taxonomy.depth.tolist()
        self.term: list[float] = taxonomy.term.tolist()
        self.skill: dict[int, str] = {leaf: s for s, leaf in taxonomy.leaf_of.items()}
        self.leaf_of: dict[str, int] = dict(taxonomy.leaf_of)
        self.leaves: list[int] = sorted(self.skill)
        self.nonnegative_terms = bool((taxonomy.term >= 0).all())
        order = taxonomy._bfs_order()
        neg_inf = float("-inf")
        bestval = [neg_inf] * n
        bestleaf = [-1] * n
        nleaves = [0] * n
        for leaf in self.leaves:
            bestval[leaf], bestleaf[leaf], nleaves[leaf] = self.pt[leaf], leaf, 1
        for v in reversed(order):
            p = self.parent[v]
            if p < 0 or nleaves[v] == 0:
                continue
            nleaves[p] += nleaves[v]
            if bestval[v] > bestval[p] or (bestval[v] == bestval[p] and bestleaf[v] < bestleaf[p]):
                bestval[p], bestleaf[p] = bestval[v], bestleaf[v]
        self.bestval, self.bestleaf, self.nleaves = bestval, bestleaf, nleaves
        self.kids: list[list[int]] = [
            sorted(
                (c for c in taxonomy.children[u] if nleaves[c]),
                key=lambda c: (-bestval[c], bestleaf[c]),
            )
            for u in range(n)
        ]
        self.paths: dict[int, tuple[int, ...]] = {}
        for leaf in self.leaves:
            path = [leaf]
            while self.parent[path[-1]] >= 0:
                path.append(self.parent[path[-1]])
            self.paths[leaf] = tuple(reversed(path))
        self._sorted_leaves: dict[int, list[int]] = {}
        self._segments: dict[int, tuple[list[dict[int, Entry]], list[Entry | None]]] = {}

    @cached_property
    def _dfs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Skill leaves in depth-first order and, per node, the range ``[lo, hi)`` of its leaves."""
        tax = self.taxonomy
        lo = np.zeros(self.n, dtype=np.int64)
        hi = np.zeros(self.n, dtype=np.int64)
        leaves: list[int] = []
        stack: list[tuple[int, bool]] = [(0, False)]
        while stack:
            v, done = stack.pop()
            if done:
                hi[v] = len(leaves)
                continue
            lo[v] = len(leaves)
            if v in self.skill:
                leaves.append(v)
            stack.append((v, True))
            stack.extend((c, False) for c in reversed(tax.children[v]))
        return np.asarray(leaves, dtype=np.int64), lo, hi

    def leaves_under(self, node: int) -> list[int]:
        """Skill leaf ids below ``node`` (depth-first order)."""
        leaves, lo, hi = self._dfs
        return leaves[lo[node] : hi[node]].tolist()

    def sorted_leaves(self, node: int) -> list[int]:
        """Skill leaves below ``node`` by ``path_term`` descending, ties by leaf id (cached)."""
        out = self._sorted_leaves.get(node)
        if out is None:
            leaves, lo, hi = self._dfs
            block = leaves[lo[node] : hi[node]]
            pt = self.taxonomy.path_term[block]
            out = block[np.lexsort((block, -pt))].tolist()
            self._sorted_leaves[node] = out
        return out

    def segments(self, leaf: int) -> tuple[list[dict[int, Entry]], list[Entry | None]]:
        """The fresh cursors a state gains when ``leaf`` joins its paths at depth ``du`` (cached).

        A path node ``w`` of ``leaf`` below the join has exactly one child on a path (the next
        node of ``leaf``'s path), so its cursor -- the first child of ``w`` not on a path, and
        the best leaf below it -- depends on ``leaf`` and ``w`` only, never on the state. Returns
        ``(cursors, best)`` indexed by the join depth ``du``: ``cursors[du]`` maps each path node
        deeper than ``du`` (leaf excluded) to its cursor entry, ``best[du]`` is the smallest of
        those entries (``None`` if there is none). Precomputing them turns the per-child walk
        down the new path into one dict update or one lookup.
        """
        got = self._segments.get(leaf)
        if got is not None:
            return got
        path, kids_of, bestleaf, pt = self.paths[leaf], self.kids, self.bestleaf, self.pt
        fresh: list[Entry | None] = []
        for j in range(len(path) - 1):
            w, kids = path[j], kids_of[path[j]]
            i = 1 if kids[0] == path[j + 1] else 0
            if i < len(kids):
                b = bestleaf[kids[i]]
                fresh.append((-(pt[b] - pt[w]), b, w, i, 0))
            else:
                fresh.append(None)
        cursors: list[dict[int, Entry]] = []
        best: list[Entry | None] = []
        for du in range(len(path) - 1):
            below = [e for e in fresh[du + 1 :] if e is not None]
            cursors.append({e[2]: e for e in below})
            best.append(min(below) if below else None)
        got = self._segments[leaf] = (cursors, best)
        return got

    def ancestor_at(self, leaf: int, depth: int) -> int:
        path = self.paths[leaf]
        return path[max(0, min(depth, len(path) - 1))]


def tree_index(taxonomy: Taxonomy) -> TreeIndex:
    """The cached :class:`TreeIndex` of ``taxonomy`` (taxonomies are not mutated after loading)."""
    ix = _CACHE.get(taxonomy)
    if ix is None:
        ix = _CACHE[taxonomy] = TreeIndex(taxonomy)
    return ix
