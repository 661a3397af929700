"""Beam search for high-gain k-skill sets, walking the tree instead of scoring every skill.

Search (STEPS spec, section 4): start from ``{seed}``; at step ``t = 1 .. k-1`` every beam state
``S`` may add an unused skill ``v`` of the step's *region*, scoring ``f(S) + gain(v | S)``; the
``beam`` best distinct children (duplicate sets removed) survive. The last step yields its
distinct children best first, lazily, so a caller can skip sets it cannot use.

Regions (:func:`regions`):

* ``widening=True`` (coherent / ``steps``): with ``D`` the seed leaf's depth, step ``t`` uses the
  subtree of the seed's ancestor at depth ``D - t``, clamped to the root. The region never
  shrinks (if an earlier step had to widen past ``D - t`` the wider node is kept) and, when it
  holds no unused skill (``nleaves <= t``: every skill below it is already in the set, since all
  earlier picks lie inside it), it widens one level at a time until one is free. If even the
  root has none, ``k`` exceeds the number of skills and the seed yields nothing.
* ``widening=False`` (``unconstrained``): the root at every step.

Order and ties: children are ranked by ``(-score, parent rank, -gain, leaf id)``; the same key
is used by :func:`reference_beam`, the direct search, so both give identical beams.

How children are found: a state keeps the set of nodes on its paths (``skel``) and one *cursor*
per path node ``u`` inside the region: the first child of ``u`` (children pre-sorted by the best
``path_term`` below them) that is not on a path. Every unused skill below such a child ``c`` has
``gain = path_term(leaf) - path_term(u)``, so the candidates of a state form a few sorted
streams (the leaves below ``c`` by ``path_term``) merged by a small heap. The beam merges the
states' streams with one more heap, so a step costs about ``beam * (cursor count + log)`` rather
than ``beam * skills * depth``. A child state copies its parent's cursors and fixes only the
nodes on the new skill's path.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass

from steps_agents.selection.index import TreeIndex

# A cursor / stream entry: (-gain, leaf, path node u, index of the child in kids[u], position in
# that child's sorted leaves). (-gain, leaf) is unique within a state, so tuples never compare u.
Entry = tuple[float, int, int, int, int]


@dataclass(slots=True)
class State:
    f: float
    order: tuple[int, ...]
    key: frozenset[int]
    skel: set[int]
    cursors: dict[int, Entry]


def regions(ix: TreeIndex, seed: int, k: int, *, widening: bool) -> list[int] | None:
    """Region root of each step ``t = 1 .. k-1`` (see the module docstring), or ``None``."""
    out: list[int] = []
    if widening:
        path = ix.paths[seed]
        depth = len(path) - 1
        current = path[depth]
        for t in range(1, k):
            d = max(0, min(depth - t, ix.depth[current]))
            r = path[d]
            while ix.nleaves[r] <= t:
                if r == 0:
                    return None
                r = ix.parent[r]
            out.append(r)
            current = r
    else:
        if ix.nleaves[0] < k:
            return None
        out = [0] * (k - 1)
    return out


def _first_free(kids: list[int], start: int, skel: set[int]) -> int:
    for i in range(start, len(kids)):
        if kids[i] not in skel:
            return i
    return -1


def _cursor(ix: TreeIndex, u: int, start: int, skel: set[int]) -> Entry | None:
    kids = ix.kids[u]
    i = _first_free(kids, start, skel)
    if i < 0:
        return None
    leaf = ix.bestleaf[kids[i]]
    return (-(ix.pt[leaf] - ix.pt[u]), leaf, u, i, 0)


def _advance(ix: TreeIndex, heap: list[Entry], entry: Entry, skel: set[int]) -> None:
    """Push what follows ``entry`` in its stream and, for a stream head, the next stream of u."""
    _, _, u, i, pos = entry
    c = ix.kids[u][i]
    if pos + 1 < ix.nleaves[c]:
        leaf = ix.sorted_leaves(c)[pos + 1]
        heapq.heappush(heap, (-(ix.pt[leaf] - ix.pt[u]), leaf, u, i, pos + 1))
    if pos == 0:
        nxt = _cursor(ix, u, i + 1, skel)
        if nxt is not None:
            heapq.heappush(heap, nxt)


def _child(ix: TreeIndex, st: State, leaf: int, neg_gain: float, u: int) -> State:
    """The state ``st + leaf`` whose path joins the tree at ``u``; only u and below change."""
    segment = ix.paths[leaf][ix.depth[u] + 1 :]
    skel = set(st.skel)
    skel.update(segment)
    cursors = dict(st.cursors)
    cur = cursors.get(u)
    if cur is not None and ix.kids[u][cur[3]] == segment[0]:
        nxt = _cursor(ix, u, cur[3] + 1, skel)
        if nxt is None:
            del cursors[u]
        else:
            cursors[u] = nxt
    for w in segment[:-1]:
        nxt = _cursor(ix, w, 0, skel)
        if nxt is not None:
            cursors[w] = nxt
    return State(st.f - neg_gain, st.order + (leaf,), st.key | {leaf}, skel, cursors)


def _children(states: list[State], ix: TreeIndex) -> Iterator[tuple[int, Entry]]:
    """Every (state rank, entry) in beam order ``(-score, rank, -gain, leaf)``, lazily."""
    top: list[tuple[float, int, float, int]] = []
    heaps: list[list[Entry] | None] = [None] * len(states)
    for b, st in enumerate(states):
        if st.cursors:
            ng, leaf = min(st.cursors.values())[:2]  # the state's best child, without a heap yet
            top.append((-(st.f - ng), b, ng, leaf))
    heapq.heapify(top)
    while top:
        _, b, _, _ = heapq.heappop(top)
        heap = heaps[b]
        if heap is None:
            heap = heaps[b] = list(states[b].cursors.values())
            heapq.heapify(heap)
        entry = heapq.heappop(heap)
        _advance(ix, heap, entry, states[b].skel)
        if heap:
            ng, leaf = heap[0][:2]
            heapq.heappush(top, (-(states[b].f - ng), b, ng, leaf))
        yield b, entry


def beam_search(
    ix: TreeIndex, seed: int, k: int, beam: int, *, widening: bool
) -> Iterator[tuple[float, tuple[int, ...]]]:
    """Yield up to ``beam`` distinct final sets ``(score, ordered leaves)``, best first."""
    if k < 1 or beam < 1:
        raise ValueError("k and beam must be positive")
    steps = regions(ix, seed, k, widening=widening)
    if steps is None:
        return
    skel = set(ix.paths[seed])
    state = State(ix.pt[seed], (seed,), frozenset((seed,)), skel, {})
    if k == 1:
        yield state.f, state.order
        return
    states = [state]
    covered_depth = ix.depth[seed] + 1  # cursors exist for seed-path nodes at depth >= this
    for t, r in enumerate(steps, start=1):
        # Widening: seed-path nodes newly inside the region get a cursor. Every set so far lies
        # below the previous region, so such a node's only on-path child is the seed's: the
        # cursor is the same for every state.
        new = [
            c
            for w in ix.paths[seed][ix.depth[r] : covered_depth]
            if (c := _cursor(ix, w, 0, skel)) is not None
        ]
        covered_depth = min(covered_depth, ix.depth[r])
        for st in states:
            for c in new:
                st.cursors[c[2]] = c
        seen: set[frozenset[int]] = set()
        final = t == len(steps)
        nxt: list[State] = []
        for b, entry in _children(states, ix):
            st = states[b]
            leaf = entry[1]
            key = st.key | {leaf}
            if key in seen:
                continue
            seen.add(key)
            if final:
                yield st.f - entry[0], st.order + (leaf,)
            else:
                nxt.append(_child(ix, st, leaf, entry[0], entry[2]))
            if len(seen) >= beam:
                break
        if final or not nxt:
            return
        states = nxt


def reference_beam(
    ix: TreeIndex, seed: int, k: int, beam: int, *, widening: bool
) -> list[tuple[float, tuple[int, ...]]]:
    """The direct search (as in the authors' script): score every candidate for every state.

    Same regions, same gain, same ranking key as :func:`beam_search`; cost
    ``O(beam * skills * depth)`` per step. Used by the tests and the benchmark as the baseline.
    """
    steps = regions(ix, seed, k, widening=widening)
    if steps is None:
        return []
    states: list[tuple[float, tuple[int, ...], frozenset[int], set[int]]] = [
        (ix.pt[seed], (seed,), frozenset((seed,)), set(ix.paths[seed]))
    ]
    for r in steps:
        candidates = ix.leaves_under(r)
        scored: list[tuple[float, int, float, int]] = []
        for b, (f, _, key, skel) in enumerate(states):
            for v in candidates:
                if v in key:
                    continue
                w = v
                while w not in skel:
                    w = ix.parent[w]
                g = ix.pt[v] - ix.pt[w]
                scored.append((-(f + g), b, -g, v))
        scored.sort()
        seen: set[frozenset[int]] = set()
        nxt = []
        for neg_score, b, _, v in scored:
            f, order, key, skel = states[b]
            new_key = key | {v}
            if new_key in seen:
                continue
            seen.add(new_key)
            nxt.append((-neg_score, order + (v,), new_key, skel | set(ix.paths[v])))
            if len(nxt) >= beam:
                break
        states = nxt
    return [(f, order) for f, order, _, _ in states]
