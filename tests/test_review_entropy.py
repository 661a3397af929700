"""Independent review of the structural-entropy math (STEPS spec sections 2-3).

Every value here is recomputed from the definitions in plain Python (vertex sets, explicit
cuts, ``math.log2``), never through the library's vectorised code, and compared with the
library, the spec's worked examples and the spec's closed-form deltas.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import numpy as np
import pytest

from steps_agents.taxonomy.builder import build_encoding_tree, build_taxonomy
from steps_agents.taxonomy.entropy import (
    one_dim_entropy,
    path_entropy,
    structural_entropy,
    structural_entropy_edge_sum,
)
from steps_agents.taxonomy.skillgraph import SkillGraph

Edges = list[tuple[int, int, float]]


def _graph(n: int, edges: Edges) -> SkillGraph:
    return SkillGraph.from_edges([f"s{i:02d}" for i in range(n)], edges)


def _parent_from_nested(n: int, tree: list[Any]) -> np.ndarray:
    """Parent array (leaves 0..n-1 first, root last) of a nested list: ints are skills."""
    parents: dict[int, int] = {}
    nxt = [n]

    def walk(node: Any) -> int:
        if isinstance(node, int):
            return node
        me = nxt[0]
        nxt[0] += 1
        for child in node:
            parents[walk(child)] = me
        return me

    root = walk(tree)
    size = nxt[0]
    parent = np.full(size, -1, dtype=np.int64)
    for c, p in parents.items():
        parent[c] = p
    assert parent[root] == -1 and int((parent < 0).sum()) == 1
    return parent


def _brute_terms(n: int, edges: Edges, parent: np.ndarray) -> dict[int, float]:
    """``term(a) = -(g_a / V) log2(vol(a) / vol(parent))`` from vertex sets (spec section 2)."""
    deg = [0.0] * n
    for u, v, w in edges:
        deg[u] += w
        deg[v] += w
    total = sum(deg)
    size = len(parent)
    members: list[set[int]] = [set() for _ in range(size)]
    for leaf in range(n):
        x = leaf
        while x >= 0:
            members[x].add(leaf)
            x = int(parent[x])
    vol = [sum(deg[i] for i in m) for m in members]
    cut = [sum(w for u, v, w in edges if (u in m) != (v in m)) for m in members]
    terms: dict[int, float] = {}
    for a in range(size):
        p = int(parent[a])
        if p < 0 or cut[a] == 0 or vol[a] == 0:
            terms[a] = 0.0
            continue
        terms[a] = -(cut[a] / total) * math.log2(vol[a] / vol[p])
    return terms


def _brute_h(n: int, edges: Edges, parent: np.ndarray) -> float:
    return sum(_brute_terms(n, edges, parent).values())


def _brute_h1(n: int, edges: Edges) -> float:
    deg = [0.0] * n
    for u, v, w in edges:
        deg[u] += w
        deg[v] += w
    total = sum(deg)
    return -sum(d / total * math.log2(d / total) for d in deg if d > 0)


TWO_TRIANGLES: Edges = [(0, 1, 1), (0, 2, 1), (1, 2, 1), (3, 4, 1), (3, 5, 1), (4, 5, 1), (2, 3, 1)]
FOUR_TRIANGLES: Edges = [
    *[(a + o, b + o, 2.0) for o in (0, 3, 6, 9) for a, b in ((0, 1), (0, 2), (1, 2))],
    (2, 3, 1.0),
    (8, 9, 1.0),
    (5, 6, 0.5),
]


def test_spec_worked_example_two_triangles() -> None:
    g = _graph(6, TWO_TRIANGLES)
    assert _brute_h1(6, TWO_TRIANGLES) == pytest.approx(2.556657, abs=1e-6)
    assert one_dim_entropy(g) == pytest.approx(2.556657, abs=1e-6)
    split = _parent_from_nested(6, [[0, 1, 2], [3, 4, 5]])
    assert _brute_h(6, TWO_TRIANGLES, split) == pytest.approx(1.699514, abs=1e-6)
    assert structural_entropy(g, split) == pytest.approx(1.699514, abs=1e-6)
    assert structural_entropy_edge_sum(g, split) == pytest.approx(1.699514, abs=1e-6)
    # One community holding everything, or every vertex alone, gives back H1.
    for tree in ([[0, 1, 2, 3, 4, 5]], [[0], [1], [2], [3], [4], [5]], [0, 1, 2, 3, 4, 5]):
        assert structural_entropy(g, _parent_from_nested(6, tree)) == pytest.approx(2.556657, 1e-6)
    # "the exact optimum over all two-level trees": enumerate every partition of 6 vertices.
    best = min(_brute_h(6, TWO_TRIANGLES, _parent_from_nested(6, p)) for p in _partitions(6))
    assert best == pytest.approx(1.699514, abs=1e-6)
    # The builder is at least as good as the authors' greedy flat merge, which stops at
    # {0,1},{2,3},{4,5} (1.865642: the bridge pair 2-3 merges before 2 joins {0,1}).
    # (best bounds two-level trees only: a height-2 tree can go lower, 1.468841 below.)
    for height in (1, 2, 3):
        got = structural_entropy(g, build_encoding_tree(g, height=height))
        assert (best if height == 1 else 1.468841) - 1e-6 <= got <= 1.865642 + 1e-6


def test_builder_reaches_the_spec_optimum_on_two_triangles() -> None:
    # Was a strict xfail (greedy + single/block moves stopped at {0,1},{2,3},{4,5}); the group
    # dissolution move of steps_agents.taxonomy.refine escapes it. 1.699514 is the optimum over
    # two-level trees (height 1); with two community levels {{0,1},{2}},{{3},{4,5}} scores
    # 1.468841, the exact height-2 optimum (enumerated over all nested partitions of 6).
    g = _graph(6, TWO_TRIANGLES)
    got = structural_entropy(g, build_encoding_tree(g, height=1))
    assert got == pytest.approx(1.699514, abs=1e-6)
    for height in (2, 3):
        parent = build_encoding_tree(g, height=height)
        got = structural_entropy(g, parent)
        assert got == pytest.approx(1.468841, abs=1e-6)
        assert _brute_h(6, TWO_TRIANGLES, parent) == pytest.approx(got, abs=1e-9)


def test_spec_worked_example_four_triangles() -> None:
    g = _graph(12, FOUR_TRIANGLES)
    assert _brute_h1(12, FOUR_TRIANGLES) == pytest.approx(3.577583, abs=1e-6)
    flat4 = _parent_from_nested(12, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]])
    flat2 = _parent_from_nested(12, [list(range(6)), list(range(6, 12))])
    nested = _parent_from_nested(12, [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]])
    for parent, want in ((flat4, 1.766030), (flat2, 2.596451), (nested, 1.690558)):
        assert _brute_h(12, FOUR_TRIANGLES, parent) == pytest.approx(want, abs=1e-6)
        assert structural_entropy(g, parent) == pytest.approx(want, abs=1e-6)
        assert structural_entropy_edge_sum(g, parent) == pytest.approx(want, abs=1e-6)
    # The builder must do at least as well as the spec's height-2 tree.
    built = build_encoding_tree(g, height=2)
    assert structural_entropy(g, built) <= 1.690558 + 1e-6
    assert _brute_h(12, FOUR_TRIANGLES, built) == pytest.approx(structural_entropy(g, built))


def _partitions(n: int) -> list[list[list[int]]]:
    out: list[list[list[int]]] = [[]]
    for x in range(n):
        nxt = []
        for p in out:
            for i in range(len(p)):
                nxt.append([*p[:i], [*p[i], x], *p[i + 1 :]])
            nxt.append([*p, [x]])
        out = nxt
    return out


def _random_graph(rng: random.Random, n: int, p: float) -> Edges:
    return [
        (u, v, round(rng.uniform(0.1, 3.0), 3))
        for u, v in itertools.combinations(range(n), 2)
        if rng.random() < p
    ]


def _stats(n: int, edges: Edges, groups: list[list[int]]) -> tuple[list[float], list[float], float]:
    deg = [0.0] * n
    for u, v, w in edges:
        deg[u] += w
        deg[v] += w
    vols = [sum(deg[i] for i in g) for g in groups]
    cuts = [sum(w for u, v, w in edges if (u in g) != (v in g)) for g in groups]
    return vols, cuts, sum(deg)


def _between(edges: Edges, a: list[int], b: list[int]) -> float:
    return sum(w for u, v, w in edges if (u in a and v in b) or (u in b and v in a))


@pytest.mark.parametrize("trial", range(6))
def test_spec_closed_form_merge_combine_compress(trial: int) -> None:
    """The three closed-form ``V * dH`` of spec section 2 against brute-force recomputation."""
    rng = random.Random(trial)
    n = 9
    edges = _random_graph(rng, n, 0.55)
    groups = [[0, 1, 2], [3, 4], [5, 6, 7], [8]]
    a, b = 0, 2
    vols, cuts, V = _stats(n, edges, groups)
    w_ab = _between(edges, groups[a], groups[b])
    v_ab = vols[a] + vols[b]
    before = _brute_h(n, edges, _parent_from_nested(n, groups))

    # Merge (flat two-level): a and b become one community, their children pooled.
    merged = [groups[a] + groups[b]] + [g for i, g in enumerate(groups) if i not in (a, b)]
    d_merge = _brute_h(n, edges, _parent_from_nested(n, merged)) - before
    formula = (
        (vols[a] - cuts[a]) * math.log2(v_ab / vols[a])
        + (vols[b] - cuts[b]) * math.log2(v_ab / vols[b])
        - 2 * w_ab * math.log2(V / v_ab)
    )
    assert V * d_merge == pytest.approx(formula, abs=1e-9)

    # Combine: a new parent over a and b (parent p = root, V_p = V). Never raises H.
    combined = [[groups[a], groups[b]]] + [g for i, g in enumerate(groups) if i not in (a, b)]
    d_combine = _brute_h(n, edges, _parent_from_nested(n, combined)) - before
    assert V * d_combine == pytest.approx(-2 * w_ab * math.log2(V / v_ab), abs=1e-9)
    assert d_combine <= 1e-12

    # Compress: delete the combined node X again (its children a, b move up to the root).
    _, (g_x,), _ = _stats(n, edges, [groups[a] + groups[b]])
    d_compress = before - _brute_h(n, edges, _parent_from_nested(n, combined))
    assert V * d_compress == pytest.approx(
        (cuts[a] + cuts[b] - g_x) * math.log2(V / v_ab), abs=1e-9
    )
    assert d_compress >= -1e-12
    # After a merge: g_c = g_a + g_b - 2 w_ab.
    assert g_x == pytest.approx(cuts[a] + cuts[b] - 2 * w_ab)


@pytest.mark.parametrize("trial", range(8))
def test_built_trees_have_no_authors_defects_and_exact_scores(trial: int) -> None:
    """Spec section 3: the root's volume is vol(G) and every skill ends in its own leaf; the
    artifact's H^T, theta and path entropies agree with a from-scratch recomputation."""
    rng = random.Random(100 + trial)
    n = rng.randint(5, 14)
    edges = _random_graph(rng, n, rng.uniform(0.2, 0.6))
    if not edges:
        edges = [(0, 1, 1.0)]
    g = _graph(n, edges)
    height = rng.randint(1, 3)
    parent = build_encoding_tree(g, height=height, seed=trial)
    children: dict[int, list[int]] = {}
    for c, p in enumerate(parent.tolist()):
        children.setdefault(p, []).append(c)
    # Leaves 0..n-1 have no children; every internal node has at least one child.
    assert all(leaf not in children for leaf in range(n))
    assert all(x in children for x in range(n, len(parent)))
    brute = _brute_terms(n, edges, parent)
    assert structural_entropy(g, parent) == pytest.approx(sum(brute.values()), abs=1e-9)
    paths = path_entropy(g, parent)
    path_sums: dict[str, float] = {}
    for leaf in range(n):
        acc, x = 0.0, leaf
        while parent[x] >= 0:
            acc += brute[x]
            x = int(parent[x])
        assert paths[leaf] == pytest.approx(acc, abs=1e-9)
        path_sums[g.skills[leaf]] = acc

    tax = build_taxonomy(g, height=height, seed=trial)
    total = 2 * sum(w for _, _, w in edges)
    assert tax.nodes[0].parent is None
    assert tax.total_volume == pytest.approx(total) and tax.total_volume > 0
    # Every skill has exactly one leaf, a leaf has no children, and leaves sit at height + 1.
    assert sorted(tax.leaf_of) == sorted(g.skills)
    for skill, leaf in tax.leaf_of.items():
        assert not tax.children[leaf]
        assert int(tax.depth[leaf]) == height + 1
        assert tax.nodes[leaf].skill == skill
        # The artifact's path entropy (renumbered nodes) equals the brute-force leaf-to-root sum.
        assert tax.path_entropy(skill) == pytest.approx(path_sums[skill], abs=1e-9)
    assert all(node.skill is not None for node in tax.nodes if not tax.children[node.id])
    assert tax.structural_entropy == pytest.approx(sum(brute.values()), abs=1e-9)
    h1 = _brute_h1(n, edges)
    assert tax.meta["theta"] == pytest.approx(1 - sum(brute.values()) / h1, abs=1e-9)
    # Any skill with an edge gets a positive path entropy (the term at its lca with a
    # neighbour is positive), so no skill is stuck unselectable.
    for skill in tax.leaf_of:
        i = g.skills.index(skill)
        if any(i in (u, v) for u, v, _ in edges):
            assert tax.path_entropy(skill) > 0.0
    # Top-level terms count: the root's children use vol(G) as parent volume.
    for c in tax.children[0]:
        node = tax.nodes[c]
        if node.cut > 0 and node.volume > 0:
            want = -(node.cut / total) * math.log2(node.volume / total)
            assert tax.term[c] == pytest.approx(want)


def test_two_level_builder_matches_exhaustive_optimum_on_small_graphs() -> None:
    """Height 1 against every partition (Bell(7) = 877) on a few random graphs."""
    parts = _partitions(7)
    for trial in range(4):
        rng = random.Random(7 + trial)
        edges = _random_graph(rng, 7, 0.5) or [(0, 1, 1.0)]
        g = _graph(7, edges)
        best = min(_brute_h(7, edges, _parent_from_nested(7, p)) for p in parts)
        got = structural_entropy(g, build_encoding_tree(g, height=1))
        # Greedy is not guaranteed optimal; record that it is within 2% here.
        assert best - 1e-9 <= got <= best * 1.02 + 1e-9


def test_a_taxonomy_with_the_authors_root_volume_zero_is_refused() -> None:
    """Spec section 3: a root volume of 0 made every term vanish; loading such a file must fail
    loudly instead of scoring the tree 0."""
    from steps_agents.errors import InputError
    from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode

    nodes = [
        TaxonomyNode(0, None, 0.0, 0.0),
        TaxonomyNode(1, 0, 2.0, 1.0, skill="a", count=1),
        TaxonomyNode(2, 0, 2.0, 1.0, skill="b", count=1),
    ]
    with pytest.raises(InputError, match="root volume"):
        Taxonomy(nodes)
    good = Taxonomy([nodes[0].__class__(0, None, 4.0, 0.0), *nodes[1:]])
    assert good.structural_entropy == pytest.approx(2 * (1 / 4) * 1.0)
    # An edgeless graph (every volume and cut 0) is still a valid, zero-entropy taxonomy.
    empty = [TaxonomyNode(0, None, 0.0, 0.0), TaxonomyNode(1, 0, 0.0, 0.0, skill="a")]
    assert Taxonomy(empty).structural_entropy == 0.0
