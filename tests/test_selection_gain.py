"""Structural information: definitions, path-term form, monotone and submodular (property tests)."""

from __future__ import annotations

import math

import pytest
from helpers_selection import small_trees
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents.selection import conditional_entropy, covered_nodes, gain, set_information
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode


def two_triangles() -> Taxonomy:
    # Spec example: triangles {0,1,2},{3,4,5} joined by 2-3; degrees 2,2,3,3,2,2; vol 14.
    deg = [2, 2, 3, 3, 2, 2]
    nodes = [
        TaxonomyNode(0, None, 14.0, 0.0),
        TaxonomyNode(1, 0, 7.0, 1.0),
        TaxonomyNode(2, 0, 7.0, 1.0),
    ]
    for i, d in enumerate(deg):
        nodes.append(TaxonomyNode(3 + i, 1 if i < 3 else 2, float(d), float(d), skill=f"v{i}"))
    return Taxonomy(nodes)


def test_spec_example_set_information() -> None:
    tax = two_triangles()
    assert set_information(tax, tax.skills) == pytest.approx(1.699514, abs=1e-6)
    # One skill: its path entropy; two in the same community share the community's term.
    v0 = tax.path_entropy("v0")
    assert set_information(tax, ["v0"]) == pytest.approx(v0)
    community = float(tax.term[1])
    assert community > 0
    assert set_information(tax, ["v0", "v1"]) == pytest.approx(2 * v0 - community)
    assert gain(tax, "v1", ["v0"]) == pytest.approx(v0 - community)
    assert gain(tax, "v3", ["v0"]) == pytest.approx(tax.path_entropy("v3"))
    assert gain(tax, "v0", ["v0"]) == 0.0
    assert conditional_entropy(tax, ["v0"], []) == pytest.approx(v0)


def test_covered_nodes_excludes_root() -> None:
    tax = two_triangles()
    assert covered_nodes(tax, ["v0", "v4"]) == {1, 3, 2, 7}


@settings(max_examples=60, deadline=None)
@given(tree=small_trees(), data=st.data())
def test_gain_is_monotone_and_submodular(tree: Taxonomy, data: st.DataObject) -> None:
    skills = tree.skills
    T = data.draw(st.sets(st.sampled_from(skills)), label="T")
    S = data.draw(st.sets(st.sampled_from(sorted(T))) if T else st.just(set()), label="S")
    v = data.draw(st.sampled_from(skills), label="v")
    gS, gT = gain(tree, v, S), gain(tree, v, T)
    assert gS >= -1e-12 and gT >= -1e-12
    assert gS >= gT - 1e-12  # diminishing returns: S is a subset of T
    assert set_information(tree, S) <= set_information(tree, T) + 1e-12
    # gain is the increment of f, and equals the path-term difference at the join point.
    assert gS == pytest.approx(set_information(tree, S | {v}) - set_information(tree, S), abs=1e-9)
    leaf = tree.leaf(v)
    on_paths = covered_nodes(tree, S) | {0}
    join = next(a for a in tree.ancestors(v, include_self=True) if a in on_paths) if S else 0
    expected = 0.0 if v in S else float(tree.path_term[leaf] - tree.path_term[join])
    assert gS == pytest.approx(expected, abs=1e-9)


def test_isolated_skill_has_zero_information_and_can_seed() -> None:
    nodes = [
        TaxonomyNode(0, None, 10.0, 0.0),
        TaxonomyNode(1, 0, 10.0, 0.0),
        TaxonomyNode(2, 1, 5.0, 5.0, skill="a"),
        TaxonomyNode(3, 1, 5.0, 5.0, skill="b"),
        TaxonomyNode(4, 0, 0.0, 0.0, skill="lonely"),
    ]
    tax = Taxonomy(nodes)
    assert set_information(tax, ["lonely"]) == 0.0
    from steps_agents.selection import select_combinations

    combos = select_combinations(tax, n=2, k=[2], seeds=["lonely", "a"], beam=5)
    assert combos[0].seed_skill == "lonely" and len(combos[0].skills) == 2
    assert all(math.isfinite(c.gain) for c in combos)


def test_synthetic_trees_have_nonnegative_terms_and_uniform_depth() -> None:
    tax = random_taxonomy(200, height=3, seed=4)
    assert (tax.term >= 0).all()
    depths = {int(tax.depth[tax.leaf(s)]) for s in tax.skills}
    assert depths == {4}
