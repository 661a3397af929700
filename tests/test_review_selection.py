"""Independent review of gain, the widening-subtree rule and the curriculum (spec sections 4-5).

The taxonomy here is built by hand from the spec's four-triangles graph, with every node's volume
and cut computed from vertex sets, so the selection code is checked against values it did not
produce. Greedy references are written from the spec's sentences, not from the library.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

import pytest

from steps_agents.selection import (
    DEFAULT_K,
    apportion,
    beam_search,
    conditional_entropy,
    curriculum_k_weights,
    curriculum_schedule,
    gain,
    k_plan,
    order_by_curriculum,
    select_combinations,
    set_information,
    tree_index,
)
from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode

FOUR_TRIANGLES = [
    *[(a + o, b + o, 2.0) for o in (0, 3, 6, 9) for a, b in ((0, 1), (0, 2), (1, 2))],
    (2, 3, 1.0),
    (8, 9, 1.0),
    (5, 6, 0.5),
]
SPEC = (
    (0.60, 0.20, 0.10, 0.05, 0.03, 0.02),
    (0.35, 0.25, 0.15, 0.10, 0.08, 0.07),
    (0.20, 0.20, 0.20, 0.15, 0.13, 0.12),
)


NESTED: list[Any] = [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]


def _hand_taxonomy() -> tuple[Taxonomy, dict[int, frozenset[int]], dict[int, float]]:
    """Taxonomy of NESTED (root id 0, breadth first) with brute-force volumes, cuts and terms.

    Returns the taxonomy, each node's vertex set and each node's term.
    """
    deg = [0.0] * 12
    for u, v, w in FOUR_TRIANGLES:
        deg[u] += w
        deg[v] += w
    total = sum(deg)
    members: list[frozenset[int]] = []
    parents: list[int | None] = []
    queue: list[tuple[Any, int | None]] = [(NESTED, None)]
    while queue:
        node, p = queue.pop(0)
        me = len(members)

        def leaves(x: Any) -> list[int]:
            return [x] if isinstance(x, int) else [y for c in x for y in leaves(c)]

        members.append(frozenset(leaves(node)))
        parents.append(p)
        if not isinstance(node, int):
            queue.extend((c, me) for c in node)
    nodes, terms = [], {}
    for i, m in enumerate(members):
        vol = sum(deg[v] for v in m)
        cut = sum(w for u, v, w in FOUR_TRIANGLES if (u in m) != (v in m))
        leaf = len(m) == 1 and parents[i] is not None and i >= 7
        skill = f"s{next(iter(m)):02d}" if leaf else None
        nodes.append(TaxonomyNode(i, parents[i], vol, cut, skill=skill, count=1 if leaf else None))
        p = parents[i]
        terms[i] = (
            0.0 if p is None else -(cut / total) * math.log2(vol / sum(deg[v] for v in members[p]))
        )
    tax = Taxonomy(nodes, {})
    return tax, dict(enumerate(members)), terms


def _ancestors(tax: Taxonomy, skill: str) -> list[int]:
    """Non-root nodes on the skill's leaf-to-root path, found through vertex sets."""
    return [a for a in tax.ancestors(skill, include_self=True) if a != 0]


def test_hand_taxonomy_scores_the_spec_value() -> None:
    tax, _, terms = _hand_taxonomy()
    assert tax.structural_entropy == pytest.approx(1.690558, abs=1e-6)
    for i, t in terms.items():
        assert tax.term[i] == pytest.approx(t)


def test_conditional_entropy_and_gain_against_set_differences() -> None:
    tax, _, terms = _hand_taxonomy()
    skills = sorted(tax.skills)
    for size in (0, 1, 2, 3):
        for X in itertools.combinations(skills[::2], size):
            ax = {a for s in X for a in _ancestors(tax, s)}
            for Y in itertools.combinations(skills[1::3], 2):
                ay = {a for s in Y for a in _ancestors(tax, s)}
                want = sum(terms[a] for a in ay - ax)
                assert conditional_entropy(tax, Y, X) == pytest.approx(want, abs=1e-12)
            for v in skills:
                want = sum(terms[a] for a in set(_ancestors(tax, v)) - ax)
                assert gain(tax, v, X) == pytest.approx(want, abs=1e-12)
                # Chain rule: f(S + v) = f(S) + gain(v | S).
                assert set_information(tax, (*X, v)) == pytest.approx(
                    set_information(tax, X) + gain(tax, v, X), abs=1e-12
                )


def _region(tax: Taxonomy, seed: str, t: int, used: set[str]) -> int:
    """Spec: the ancestor of the seed at depth D - t (clamped at the root), widened while it
    holds no unused skill."""
    path = tax.path(seed)
    r = path[max(0, len(path) - 1 - t)]
    while not set(tax.subtree_skills(r)) - used:
        r = int(tax.parent[r])
    return r


@pytest.mark.parametrize("seed", ["s00", "s04", "s07", "s11"])
def test_beam_one_is_the_greedy_widening_rule(seed: str) -> None:
    """Beam 1 = at step t take a best-gain skill inside the subtree of the seed's ancestor at
    depth D - t: the seed's triangle first, then its half, then the root."""
    tax, _, _ = _hand_taxonomy()
    ix = tree_index(tax)
    for k in range(2, 8):
        _, leaves = next(beam_search(ix, ix.leaf_of[seed], k, 1, widening=True))
        chosen = [ix.skill[v] for v in leaves]
        assert chosen[0] == seed and len(set(chosen)) == k
        for t in range(1, k):
            region = _region(tax, seed, t, set(chosen[:t]))
            allowed = [s for s in tax.subtree_skills(region) if s not in chosen[:t]]
            assert chosen[t] in allowed
            best = max(gain(tax, s, chosen[:t]) for s in allowed)
            assert gain(tax, chosen[t], chosen[:t]) == pytest.approx(best, abs=1e-12)
        # Depth of the spec rule: step 1 stays in the seed's triangle, step 2 in its half.
        seed_leaf = int(seed[1:])
        if k >= 2:
            assert int(chosen[1][1:]) // 3 == seed_leaf // 3
        if k >= 3:
            assert int(chosen[2][1:]) // 6 == seed_leaf // 6
    # Unconstrained: the first pick branches off at the root (the other half), maximal diversity.
    _, leaves = next(beam_search(ix, ix.leaf_of[seed], 2, 1, widening=False))
    assert int(ix.skill[leaves[1]][1:]) // 6 != int(seed[1:]) // 6


def test_steps_selector_end_to_end_on_the_hand_taxonomy() -> None:
    tax, _, _ = _hand_taxonomy()
    combos = select_combinations(tax, n=12, k=[3], selector="steps", beam=10, seed=1)
    assert len({frozenset(c.skills) for c in combos}) == 12
    for c in combos:
        ids = [int(s[1:]) for s in c.skills]
        seed = ids[0]
        assert c.seed_skill == c.skills[0]
        assert ids[1] // 3 == seed // 3 or ids[1] // 6 == seed // 6
        assert all(i // 6 == seed // 6 for i in ids)  # k = 3 never leaves the seed's half
        assert c.gain == pytest.approx(set_information(tax, c.skills))


def test_curriculum_epochs_follow_the_spec_table_exactly() -> None:
    """With the mean mix (curriculum_k_weights), 300 sets split into three epochs of 100 whose
    k counts are exactly 100 x the spec's shares; every set is used once (no repeats)."""
    for row, spec_row in zip(curriculum_schedule(3), SPEC, strict=True):
        assert row == {k: pytest.approx(x) for k, x in zip(DEFAULT_K, spec_row, strict=True)}
    plan = k_plan(300, DEFAULT_K, curriculum_k_weights())
    assert Counter(plan) == {2: 115, 3: 65, 4: 45, 5: 30, 6: 24, 7: 21}
    items = list(enumerate(plan))  # (unique id, k)
    ordered = order_by_curriculum(items, key=lambda item: item[1])
    assert sorted(item for _, item in ordered) == items  # each unique item exactly once
    for e, row in enumerate(SPEC, start=1):
        got = Counter(item[1] for ep, item in ordered if ep == e)
        assert got == {k: round(100 * s) for k, s in zip(DEFAULT_K, row, strict=True)}
    # Easy to hard: epochs in order, k non-decreasing inside each epoch.
    keys = [(ep, item[1]) for ep, item in ordered]
    assert keys == sorted(keys)


def test_apportion_is_largest_remainder() -> None:
    # Hare-Niemeyer by hand: 10 seats, quotas 4.6, 3.3, 2.1 -> floors 4, 3, 2; one seat left
    # goes to the largest remainder (0.6).
    assert apportion(10, [46, 33, 21]) == [5, 3, 2]
    assert apportion(7, [1, 1, 1]) == [3, 2, 2]  # ties go to the earlier (easier) k
    assert sum(apportion(4000, curriculum_k_weights())) == 4000
