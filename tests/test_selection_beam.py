"""Beam search against brute force and against the direct (authors'-style) search."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers_selection import (
    allowed_region,
    best_unconstrained,
    feasible_sets,
    small_trees,
    tree_from_parents,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents.selection import beam_search, reference_beam, regions, set_information, tree_index
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.taxonomy.artifact import Taxonomy

BIG_BEAM = 10_000  # more than the number of distinct partial sets of any tree used here


def _names(tax: Taxonomy, leaves: tuple[int, ...]) -> list[str]:
    ix = tree_index(tax)
    return [ix.skill[v] for v in leaves]


@settings(max_examples=40, deadline=None)
@given(tree=small_trees(max_nodes=12), data=st.data())
def test_unconstrained_big_beam_is_the_exhaustive_optimum(
    tree: Taxonomy, data: st.DataObject
) -> None:
    """With a beam holding every partial set, the best final set is the best k-set containing
    the seed (exhaustive search over all (k-1)-subsets of the other skills)."""
    seed = data.draw(st.sampled_from(tree.skills))
    k = data.draw(st.integers(min_value=2, max_value=min(5, len(tree.skills))))
    ix = tree_index(tree)
    out = list(beam_search(ix, ix.leaf_of[seed], k, BIG_BEAM, widening=False))
    best_score, best = out[0]
    assert best[0] == ix.leaf_of[seed] and len(set(best)) == k
    assert set_information(tree, _names(tree, best)) == pytest.approx(
        best_unconstrained(tree, seed, k), abs=1e-9
    )
    assert best_score == pytest.approx(set_information(tree, _names(tree, best)), abs=1e-9)
    # Greedy (beam 1) is exact here too: the union of root paths of k leaves is maximised by
    # picking, each time, the leaf with the heaviest uncovered path (long-path decomposition);
    # forcing the seed first only zeroes its path.
    greedy = next(beam_search(ix, ix.leaf_of[seed], k, 1, widening=False))[0]
    assert greedy == pytest.approx(best_score, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(tree=small_trees(max_nodes=12), data=st.data())
def test_steps_big_beam_is_the_exhaustive_optimum_inside_the_allowed_subtrees(
    tree: Taxonomy, data: st.DataObject
) -> None:
    seed = data.draw(st.sampled_from(tree.skills))
    k = data.draw(st.integers(min_value=2, max_value=min(5, len(tree.skills))))
    ix = tree_index(tree)
    feasible = feasible_sets(tree, seed, k)
    out = list(beam_search(ix, ix.leaf_of[seed], k, BIG_BEAM, widening=True))
    if not feasible:
        assert out == []
        return
    optimum = max(set_information(tree, s) for s in feasible)
    assert out[0][0] == pytest.approx(optimum, abs=1e-9)
    # Every final set the beam returns is feasible, and with this beam it returns all of them.
    assert {frozenset(_names(tree, leaves)) for _, leaves in out} == feasible


@settings(max_examples=40, deadline=None)
@given(tree=small_trees(max_nodes=16), data=st.data())
def test_every_steps_set_respects_the_widening_rule(tree: Taxonomy, data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(tree.skills))
    k = data.draw(st.integers(min_value=2, max_value=min(6, len(tree.skills))))
    beam = data.draw(st.sampled_from([1, 2, 5, 50]))
    ix = tree_index(tree)
    for _, leaves in beam_search(ix, ix.leaf_of[seed], k, beam, widening=True):
        chosen = _names(tree, leaves)
        assert chosen[0] == seed
        region = None
        for t in range(1, k):
            region = allowed_region(tree, seed, t, region, set(chosen[:t]))
            assert region is not None
            assert chosen[t] in tree.subtree_skills(region), (chosen, t, region)


@pytest.mark.parametrize("widening", [True, False])
@pytest.mark.parametrize("beam", [1, 3, 25, 100])
def test_fast_beam_equals_the_direct_search(widening: bool, beam: int) -> None:
    tax = random_taxonomy(120, height=3, seed=beam)
    ix = tree_index(tax)
    rng = np.random.default_rng(beam)
    for seed in rng.choice(ix.leaves, size=6, replace=False).tolist():
        for k in (2, 3, 5, 7):
            fast = list(beam_search(ix, seed, k, beam, widening=widening))
            assert fast == reference_beam(ix, seed, k, beam, widening=widening)
            assert len({frozenset(leaves) for _, leaves in fast}) == len(fast)


def test_fast_beam_equals_direct_search_on_unpadded_trees_with_ties() -> None:
    # Integer volumes and cuts give many exactly equal path terms: the tie-break must agree.
    rng = np.random.default_rng(7)
    for trial in range(8):
        parents = [int(rng.integers(0, i)) for i in range(1, 40)]
        tax = tree_from_parents(parents, np.random.default_rng(trial))
        ix = tree_index(tax)
        for seed in ix.leaves[:5]:
            for k in (2, 4, 6):
                if k > len(ix.leaves):
                    continue
                for widening in (True, False):
                    fast = list(beam_search(ix, seed, k, 8, widening=widening))
                    assert fast == reference_beam(ix, seed, k, 8, widening=widening)


def test_regions_widen_one_level_per_step_and_never_shrink() -> None:
    tax = random_taxonomy(300, height=3, seed=1)
    ix = tree_index(tax)
    for seed in ix.leaves[:50]:
        steps = regions(ix, seed, 7, widening=True)
        assert steps is not None
        depths = [ix.depth[r] for r in steps]
        assert depths == sorted(depths, reverse=True)
        D = ix.depth[seed]
        for t, (r, d) in enumerate(zip(steps, depths, strict=True), start=1):
            assert d <= max(0, D - t)
            assert ix.nleaves[r] > t  # a free skill exists
            assert r in ix.paths[seed]
    assert regions(ix, ix.leaves[0], len(ix.leaves) + 1, widening=True) is None
    assert regions(ix, ix.leaves[0], 3, widening=False) == [0, 0]


def test_final_scores_are_sorted_and_equal_recomputed_information() -> None:
    tax = random_taxonomy(80, height=2, seed=3)
    ix = tree_index(tax)
    out = list(beam_search(ix, ix.leaves[10], 5, 30, widening=True))
    scores = [s for s, _ in out]
    assert scores == sorted(scores, reverse=True)
    for score, leaves in out:
        assert math.isclose(score, set_information(tax, _names(tax, leaves)), abs_tol=1e-9)


def test_trees_with_negative_terms_or_empty_branches_still_match_the_direct_search() -> None:
    from steps_agents.taxonomy.artifact import TaxonomyNode

    rng = np.random.default_rng(3)
    for trial in range(5):
        base = tree_from_parents(
            [int(rng.integers(0, i)) for i in range(1, 30)], np.random.default_rng(trial)
        )
        nodes = list(base.nodes)
        # A child bigger than its parent gives a negative term (not a valid encoding tree, but the
        # search must not rely on signs it was not promised); an empty internal node adds a branch
        # without skills.
        v = next(n for n in nodes if n.parent not in (None, 0) and n.skill is None)
        big = 2 * nodes[v.parent].volume  # type: ignore[index]
        nodes[v.id] = TaxonomyNode(v.id, v.parent, big, v.cut, v.skill, v.count, v.label)
        nodes.append(TaxonomyNode(len(nodes), 0, 1.0, 1.0))
        tax = Taxonomy(nodes)
        ix = tree_index(tax)
        assert not ix.nonnegative_terms
        for seed in ix.leaves[:6]:
            for k in (1, 2, 4):
                for widening in (True, False):
                    fast = list(beam_search(ix, seed, k, 6, widening=widening))
                    assert fast == reference_beam(ix, seed, k, 6, widening=widening)
