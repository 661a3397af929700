"""Structural entropy: the spec's worked examples and an independent networkx computation."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents.taxonomy.entropy import (
    node_depths,
    node_terms,
    one_dim_entropy,
    path_entropy,
    structural_entropy,
    structural_entropy_edge_sum,
    theta,
    tree_volumes_and_cuts,
)
from steps_agents.taxonomy.planted import random_graph
from steps_agents.taxonomy.skillgraph import SkillGraph


def triangles(k: int, inner: float, bridges: list[tuple[int, int, float]]) -> SkillGraph:
    edges = []
    for t in range(k):
        a = 3 * t
        edges += [(a, a + 1, inner), (a, a + 2, inner), (a + 1, a + 2, inner)]
    return SkillGraph.from_edges([f"s{i}" for i in range(3 * k)], edges + bridges)


TWO = triangles(2, 1.0, [(2, 3, 1.0)])
FOUR = triangles(4, 2.0, [(2, 3, 1.0), (8, 9, 1.0), (5, 6, 0.5)])


def flat(groups: list[int]) -> np.ndarray:
    """Parent array of a two-level tree: leaf i under community groups[i], communities under the root."""
    n, k = len(groups), max(groups) + 1
    return np.array([n + g for g in groups] + [n + k] * k + [-1])


def test_two_triangles() -> None:
    assert one_dim_entropy(TWO) == pytest.approx(2.556657, abs=1e-5)
    assert structural_entropy(TWO, flat([0, 0, 0, 1, 1, 1])) == pytest.approx(1.699514, abs=1e-5)
    # One community, or every vertex alone, gives back H1.
    assert structural_entropy(TWO, flat([0] * 6)) == pytest.approx(2.556657, abs=1e-5)
    assert structural_entropy(TWO, flat(list(range(6)))) == pytest.approx(2.556657, abs=1e-5)


def test_four_triangles() -> None:
    assert one_dim_entropy(FOUR) == pytest.approx(3.577583, abs=1e-5)
    four = flat([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    halves = flat([0] * 6 + [1] * 6)
    assert structural_entropy(FOUR, four) == pytest.approx(1.766030, abs=1e-5)
    assert structural_entropy(FOUR, halves) == pytest.approx(2.596451, abs=1e-5)
    # Height 2: leaves 0..11, triangles 12..15, halves 16..17, root 18.
    tree = np.array([12] * 3 + [13] * 3 + [14] * 3 + [15] * 3 + [16, 16, 17, 17, 18, 18, -1])
    assert structural_entropy(FOUR, tree) == pytest.approx(1.690558, abs=1e-5)
    assert structural_entropy_edge_sum(FOUR, tree) == pytest.approx(1.690558, abs=1e-5)
    pe = path_entropy(FOUR, tree)
    assert isinstance(pe, np.ndarray)
    # Every skill's path ends at the root, so the path entropies sum the leaf terms plus each
    # internal term once per skill below it.
    terms = node_terms(FOUR, tree)
    assert pe.sum() == pytest.approx(
        terms[:12].sum() + 3 * terms[12:16].sum() + 6 * terms[16:18].sum()
    )
    assert path_entropy(FOUR, tree, 0) == pytest.approx(pe[0])
    assert theta(1.690558, 3.577583) == pytest.approx(1 - 1.690558 / 3.577583)


def reference_entropy(graph: SkillGraph, parent: np.ndarray) -> float:
    """H^T from the definition, with networkx's own cut_size and volume."""
    g = nx.Graph()
    g.add_nodes_from(range(graph.n_skills))
    g.add_weighted_edges_from(
        zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True)
    )
    leaves: dict[int, set[int]] = {i: set() for i in range(parent.shape[0])}
    for leaf in range(graph.n_skills):
        v = leaf
        while v >= 0:
            leaves[v].add(leaf)
            v = int(parent[v])
    total = float(nx.volume(g, g.nodes, weight="weight"))
    h = 0.0
    for a in range(parent.shape[0]):
        p = int(parent[a])
        if p < 0:
            continue
        vol_a = nx.volume(g, leaves[a], weight="weight")
        vol_p = nx.volume(g, leaves[p], weight="weight")
        cut = nx.cut_size(g, leaves[a], weight="weight")
        if cut > 0 and vol_a > 0:
            h -= cut / total * math.log2(vol_a / vol_p)
    return h


def random_tree(seed: int, n: int) -> np.ndarray:
    """A random tree of uneven depth over n leaves (internal nodes n.., root last)."""
    rng = np.random.default_rng(seed)
    parent: list[int] = []
    frontier = list(range(n))
    nxt = n
    nodes_parent: dict[int, int] = {}
    while len(frontier) > 1:
        k = int(rng.integers(2, min(4, len(frontier)) + 1))
        pick = sorted(rng.choice(len(frontier), size=k, replace=False).tolist(), reverse=True)
        for i in pick:
            nodes_parent[frontier.pop(i)] = nxt
        frontier.append(nxt)
        nxt += 1
    parent = [nodes_parent.get(i, -1) for i in range(nxt)]
    return np.array(parent)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 14), p=st.floats(0.1, 0.9))
def test_tree_entropy_matches_definition(seed: int, n: int, p: float) -> None:
    graph = random_graph(seed, n, p)
    parent = random_tree(seed + 1, n)
    ref = reference_entropy(graph, parent)
    assert structural_entropy(graph, parent) == pytest.approx(ref, abs=1e-9)
    assert structural_entropy_edge_sum(graph, parent) == pytest.approx(ref, abs=1e-9)
    vol, cut = tree_volumes_and_cuts(graph, parent)
    assert vol[-1] == pytest.approx(graph.volume())
    assert cut[-1] == 0.0
    assert vol[:n] == pytest.approx(graph.degrees())


def test_isolated_and_disconnected() -> None:
    # Two components and an isolated skill 5; weight-0 edges change nothing.
    g = SkillGraph.from_edges(
        [f"s{i}" for i in range(6)], [(0, 1, 1.0), (1, 2, 2.0), (3, 4, 1.5), (2, 5, 0.0)]
    )
    parent = flat([0, 0, 0, 1, 1, 2])
    terms = node_terms(g, parent)
    assert terms[5] == 0.0 and terms[8] == 0.0
    assert structural_entropy(g, parent) == pytest.approx(reference_entropy(g, parent))
    assert structural_entropy_edge_sum(g, parent) == pytest.approx(reference_entropy(g, parent))
    empty = SkillGraph.from_edges(["a", "b"], [])
    assert one_dim_entropy(empty) == 0.0
    assert structural_entropy(empty, flat([0, 1])) == 0.0
    assert theta(0.0, 0.0) == 0.0


def test_bad_parent_arrays() -> None:
    with pytest.raises(ValueError, match="exactly one root"):
        structural_entropy(TWO, np.array([6, 6, 6, 6, 6, 6, -1, -1]))
    with pytest.raises(ValueError, match="must not have children"):
        structural_entropy(TWO, np.array([6, 0, 6, 6, 6, 6, -1]))
    with pytest.raises(ValueError, match="cycle"):
        node_depths(np.array([1, 2, 1, -1]))
