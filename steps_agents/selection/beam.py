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

Beam quality: ``f`` is a coverage function of root paths on a tree, for which greedy (beam 1)
is already exact without constraints (each pick takes the leaf with the heaviest uncovered path:
the long-path decomposition); ``benchmarks/selection.py`` found no miss under the widening rule
either. The beam still matters: its ranked, distinct final sets are the fallbacks when the best
set is taken, excluded or (``longtail``) too common.

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

Laziness: the steps are chained generators (:func:`_level`). The last step asks the one before
for parents only while the next parent could still win (its score is at most the last one's,
and its best gain at most a bound that submodularity gives), and so on down; a parent enters
with its exact best child computed from its parent's cursors (:func:`_light_best`) and is built
only if that child comes up. Asking for the first final set therefore does a fraction of a full
beam's work when the scores separate early; where many states tie closely (k = 6, 7 with the
region clamped at the root) it still examines about ``beam`` states per step.

Why not fewer there: the parents that can still reach the best final score include the
reorderings of the best set itself (``S + a + b`` and ``S + b + a``), whose float scores differ
from it by rounding only, so either may rank first in the direct search. A reordering can sit
far down its step's ranking, and ranks are only known by producing the states before it, so
a look-ahead bound (best completion of each parent, even per candidate stream) cannot rule it
out. The speed of those steps therefore comes from the constant factors: per-leaf
precomputed cursors (:meth:`TreeIndex.segments`), children as plain tuples, a state's best and
second cursor computed once (:func:`_firsts`), ``heapreplace`` merges and the pull sentinel
kept beside the merge heap.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from steps_agents.selection.index import Entry, TreeIndex


@dataclass(slots=True)
class State:
    f: float
    order: tuple[int, ...]
    key: frozenset[int]
    skel: set[int]
    cursors: dict[int, Entry]
    firsts: tuple[Entry | None, Entry | None] | None = None  # see _firsts, once needed


# A child state not built yet: ``(parent, leaf, -gain, join node u, key, i)``, where the leaf
# came from the stream of ``kids[u][i]``. Built (cursor copy, heap) only if the next step
# reaches it. A plain tuple: the beam creates one per child it
# yields, and a tuple is several times cheaper to make than a class instance.
Pending = tuple[State, int, float, int, frozenset[int], int]


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


def _cursor(ix: TreeIndex, u: int, start: int, skel: set[int]) -> Entry | None:
    """The stream head of ``u``'s first child from ``start`` on that is not on a path."""
    kids = ix.kids[u]
    for i in range(start, len(kids)):
        if kids[i] not in skel:
            leaf = ix.bestleaf[kids[i]]
            return (-(ix.pt[leaf] - ix.pt[u]), leaf, u, i, 0)
    return None


def _build(ix: TreeIndex, p: Pending, new: list[Entry]) -> State:
    """The state ``parent + leaf`` whose path joins the tree at ``u``: only ``u`` and the new
    path nodes below it change cursor (plus the step's widening cursors ``new``)."""
    st, leaf, neg_gain, u, key, i = p
    path = ix.paths[leaf]
    du = ix.depth[u]
    skel = st.skel.union(path[du + 1 :])
    cursors = st.cursors.copy()
    cur = cursors.get(u)
    if cur is not None and cur[3] == i:  # u's cursor pointed at the stream the leaf came from
        nxt = _cursor(ix, u, i + 1, skel)
        if nxt is None:
            del cursors[u]
        else:
            cursors[u] = nxt
    cursors.update((ix._segments.get(leaf) or ix.segments(leaf))[0][du])
    for c in new:
        cursors[c[2]] = c
    return State(st.f - neg_gain, st.order + (leaf,), key, skel, cursors)


_NO_GAIN = float("-inf")
_PULL = -1  # marker in the leaf slot of a merge-heap key: "pull the next parent"


def _slack(x: float) -> float:
    """``x`` nudged up so float rounding never makes an upper bound undercut the true value."""
    return x + 1e-12 * (1.0 + abs(x))


def _light_best(ix: TreeIndex, p: Pending, new_min: Entry | None) -> Entry | None:
    """The best child entry of a pending state, without building it.

    The child ``S + v`` keeps its parent's cursors except the one at the join node ``u`` when
    that cursor pointed at ``c_v`` (the child of ``u`` on ``v``'s path), which moves past it;
    the new path nodes below ``u`` get fresh cursors (their best is precomputed per leaf and
    join depth, :meth:`TreeIndex.segments`), and the step's widening adds ``new``. So the best
    entry is the parent's best cursor -- or, when the child came from that very cursor's
    stream, the better of its moved cursor and the parent's second cursor (:func:`_firsts`,
    once per parent) -- the best segment cursor, or the best new one.
    """
    parent, leaf, _, u, _, i = p
    firsts = parent.firsts
    if firsts is None:
        firsts = parent.firsts = _firsts(ix, parent)
    best = new_min
    r0 = firsts[0]
    if r0 is not None:
        if r0[2] == u and r0[3] == i:  # the child came from the best cursor's stream
            r0 = firsts[1]
        if r0 is not None and (best is None or r0 < best):
            best = r0
    seg = (ix._segments.get(leaf) or ix.segments(leaf))[1][ix.depth[u]]
    if seg is not None and (best is None or seg < best):
        best = seg
    return best


def _firsts(ix: TreeIndex, st: State) -> tuple[Entry | None, Entry | None]:
    """``(best cursor, best cursor once that one's stream head is taken)`` of a state.

    Taking the head ``v`` of the best cursor's stream ``(u, i)`` moves u's cursor to its next
    child not on a path (``v``'s path only adds nodes below ``kids[u][i]``, so the skeleton
    test against ``st`` is exact), which then competes with the second-best cursor. Every
    pending child of ``st`` from that stream shares this answer, so it is computed once.
    """
    if not st.cursors:
        return None, None
    ranked = sorted(st.cursors.values())
    r0 = ranked[0]
    alt = ranked[1] if len(ranked) > 1 else None
    moved = _cursor(ix, r0[2], r0[3] + 1, st.skel)
    if moved is not None and (alt is None or moved < alt):
        alt = moved
    return r0, alt


def _level(
    ix: TreeIndex,
    parents: Iterator[State | Pending],
    new: list[Entry],
    bound: float,
    beam: int,
) -> Iterator[Pending]:
    """One beam step: the distinct children of ``parents``, in beam order
    ``(-score, parent rank, -gain, leaf)``, at most ``beam`` of them, lazily.

    Everything is pulled on demand, so the search does only the work the final answer needs.
    Parents arrive from the previous step in non-increasing score, so the next parent cannot
    beat ``last score + bound`` (``bound`` >= the best gain any state of this step can have,
    which holds by submodularity when every term is non-negative); a sentinel with that key
    pulls it when due. A pulled parent enters with its exact best child
    (:func:`_light_best`) and is built (cursor copy, heap) only when that child comes up.

    Yields the children as :data:`Pending` tuples.
    """
    heappush, heappop, heapreplace = heapq.heappush, heapq.heappop, heapq.heapreplace
    pt, kids_of, nleaves, bestleaf = ix.pt, ix.kids, ix.nleaves, ix.bestleaf
    sorted_cache, sorted_leaves = ix._sorted_leaves, ix.sorted_leaves
    new_min = min(new) if new else None
    # Per parent rank b: the parent (a Pending until built) and its candidate heap (None until
    # its first child is popped; building and heapifying happen together, on that pop).
    states: list[State | Pending] = []
    heaps: list[list[Entry] | None] = []
    seen: set[frozenset[int]] = set()
    pull_bound = _slack(bound) if ix.nonnegative_terms else float("inf")
    # The merge heap. Its top is read in place and then replaced by what follows it (one
    # heapreplace instead of a pop and a push); keys are unique, so the order is unaffected.
    # The pull sentinel's key is kept beside it (None once the parents run out) and compared
    # with the top, which orders it exactly as if it were in the heap.
    top: list[tuple[float, int, float, int]] = []
    pull: tuple[float, int, float, int] | None = (float("-inf"), 0, _NO_GAIN, _PULL)
    while True:
        if pull is not None and (not top or pull < top[0]):
            got = next(parents, None)
            if got is None:
                pull = None
                continue
            b = len(states)
            states.append(got)
            heaps.append(None)
            if isinstance(got, State):
                f = got.f
                e = min(got.cursors.values()) if got.cursors else None
            else:
                f = got[0].f - got[2]
                e = _light_best(ix, got, new_min)
            pull = (-(f + pull_bound), b + 1, _NO_GAIN, _PULL)
            if e is not None:
                heappush(top, (-(f - e[0]), b, e[0], e[1]))
            continue
        if not top:
            return
        _, b, _, leaf = top[0]
        heap = heaps[b]
        if heap is None:
            got = states[b]
            st = states[b] = got if isinstance(got, State) else _build(ix, got, new)
            heap = heaps[b] = list(st.cursors.values())
            heapq.heapify(heap)
        else:
            st = states[b]  # type: ignore[assignment]
        # Replace this entry by what follows it in its stream and, for a stream head, push the
        # next stream of u (the next child not on a path). Inlined: it runs once per child the
        # beam looks at.
        neg_gain, _, u, i, pos = heap[0]
        kids = kids_of[u]
        c = kids[i]
        if pos + 1 < nleaves[c]:
            order = sorted_cache.get(c) or sorted_leaves(c)
            nl = order[pos + 1]
            heapreplace(heap, (-(pt[nl] - pt[u]), nl, u, i, pos + 1))
        else:
            heappop(heap)
        if pos == 0:
            skel = st.skel
            for j in range(i + 1, len(kids)):
                if kids[j] not in skel:
                    nl = bestleaf[kids[j]]
                    heappush(heap, (-(pt[nl] - pt[u]), nl, u, j, 0))
                    break
        if heap:
            h0 = heap[0]
            heapreplace(top, (-(st.f - h0[0]), b, h0[0], h0[1]))
        else:
            heappop(top)
        key = st.key | {leaf}
        if key in seen:
            continue
        seen.add(key)
        yield (st, leaf, neg_gain, u, key, i)
        if len(seen) >= beam:
            return


def beam_search(
    ix: TreeIndex, seed: int, k: int, beam: int, *, widening: bool
) -> Iterator[tuple[float, tuple[int, ...]]]:
    """Yield up to ``beam`` distinct final sets ``(score, ordered leaves)``, best first.

    The steps are chained generators (:func:`_level`), so asking only for the first set does
    only the work that set needs; the sets and their order equal :func:`reference_beam`'s.
    """
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
    covered_depth = ix.depth[seed] + 1  # cursors exist for seed-path nodes at depth >= this
    bound = _NO_GAIN
    news: list[list[Entry]] = []
    bounds: list[float] = []
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
        new_best = max((-c[0] for c in new), default=_NO_GAIN)
        if t == 1:
            for c in new:
                state.cursors[c[2]] = c
            if not state.cursors:
                return
            bound = -min(state.cursors.values())[0]
            new = []
        # The best gain any state of step t can have: its parent's best (submodularity) or a
        # candidate from the newly widened part.
        bound = max(bound, new_best)
        news.append(new)
        bounds.append(bound)
    # The single start state, then one lazy generator per step, each pulling from the last.
    states: Iterator[State | Pending] = iter([state])
    level: Iterator[Pending] = iter(())
    for new, bound in zip(news, bounds, strict=True):
        level = _level(ix, states, new, bound, beam)
        states = level
    for parent, leaf, neg_gain, _, _, _ in level:
        yield parent.f - neg_gain, parent.order + (leaf,)


def reference_beam(
    ix: TreeIndex,
    seed: int,
    k: int,
    beam: int,
    *,
    widening: bool,
    literal: bool = False,
    bonus: Callable[[tuple[int, ...], int], float] | None = None,
) -> list[tuple[float, tuple[int, ...]]]:
    """The direct search (as in the authors' script): score every candidate for every state.

    Same regions, same gain, same ranking key as :func:`beam_search`; cost
    ``O(beam * skills * depth)`` per step. Used by the tests and the benchmark as the baseline.
    The gain is ``path_term(v) - path_term(join)`` with the join found by walking up from ``v``;
    ``literal=True`` instead sums ``term(a)`` over ``v``'s path nodes not on the state's paths,
    the definition ``H({v} | S)`` read literally (same value up to float rounding, so near-ties
    may order differently). ``bonus(order, v)``, when given, is added to the score of the child
    ``order + (v,)`` (the ``focus`` selector's failure weights); the returned scores include it.
    """
    steps = regions(ix, seed, k, widening=widening)
    if steps is None:
        return []
    states: list[tuple[float, tuple[int, ...], frozenset[int], set[int]]] = [
        (ix.pt[seed], (seed,), frozenset((seed,)), set(ix.paths[seed]))
    ]
    term = ix.term
    for r in steps:
        candidates = ix.leaves_under(r)
        scored: list[tuple[float, int, float, int]] = []
        for b, (f, order, key, skel) in enumerate(states):
            for v in candidates:
                if v in key:
                    continue
                if literal:
                    g = sum(term[a] for a in ix.paths[v] if a not in skel)
                else:
                    w = v
                    while w not in skel:
                        w = ix.parent[w]
                    g = ix.pt[v] - ix.pt[w]
                extra = 0.0 if bonus is None else bonus(order, v)
                scored.append((-(f + g + extra), b, -g, v))
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
