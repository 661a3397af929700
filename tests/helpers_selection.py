"""Small random taxonomies and brute-force oracles shared by the selection tests."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from steps_agents.selection import set_information
from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode


def tree_from_parents(parents: list[int], rng: np.random.Generator) -> Taxonomy:
    """A taxonomy over ``parents[i]`` = parent of node ``i + 1`` (root 0); childless nodes are
    skills. Leaf volumes random, internal volumes = sum of children, cuts a random share of the
    volume (leaves: all of it), so every term is non-negative."""
    n = len(parents) + 1
    par = [-1, *parents]
    children: list[list[int]] = [[] for _ in range(n)]
    for v in range(1, n):
        children[par[v]].append(v)
    volume = np.zeros(n)
    for v in range(n):
        if not children[v]:
            volume[v] = float(rng.integers(1, 20))
    order = [0]
    for v in order:
        order.extend(children[v])
    for v in reversed(order[1:]):
        volume[par[v]] += volume[v]
    nodes = []
    for v in range(n):
        leaf = not children[v] and v != 0
        cut = 0.0 if v == 0 else volume[v] if leaf else float(volume[v] * rng.uniform(0.0, 1.0))
        nodes.append(
            TaxonomyNode(
                id=v,
                parent=None if v == 0 else par[v],
                volume=float(volume[v]),
                cut=cut,
                skill=f"k{v}" if leaf else None,
                count=int(rng.integers(0, 5)) if leaf else None,
            )
        )
    return Taxonomy(nodes)


@st.composite
def small_trees(draw: st.DrawFn, max_nodes: int = 14) -> Taxonomy:
    n = draw(st.integers(min_value=3, max_value=max_nodes))
    # Node i attaches to an earlier node; nodes 1 and 2 hang from the root, so there are
    # at least two skills.
    parents = [0, 0] + [draw(st.integers(min_value=0, max_value=i - 1)) for i in range(3, n)]
    seed = draw(st.integers(min_value=0, max_value=2**31))
    return tree_from_parents(parents, np.random.default_rng(seed))


def allowed_region(
    tax: Taxonomy, seed: str, t: int, previous: int | None, used: set[str]
) -> int | None:
    """The widening-subtree rule written from its definition, independently of the library."""
    path = tax.path(seed)
    d_seed = len(path) - 1
    d = max(0, d_seed - t)
    if previous is not None:
        d = min(d, int(tax.depth[previous]))
    r = path[d]
    while not set(tax.subtree_skills(r)) - used:
        if r == 0:
            return None
        r = int(tax.parent[r])
    return r


def feasible_sets(tax: Taxonomy, seed: str, k: int) -> set[frozenset[str]]:
    """Every set reachable under the widening rule (all orders), by exhaustive recursion."""
    out: set[frozenset[str]] = set()

    def grow(chosen: list[str], region: int | None) -> None:
        if len(chosen) == k:
            out.add(frozenset(chosen))
            return
        r = allowed_region(tax, seed, len(chosen), region, set(chosen))
        if r is None:
            return
        for v in tax.subtree_skills(r):
            if v not in chosen:
                grow([*chosen, v], r)

    grow([seed], None)
    return out


def best_unconstrained(tax: Taxonomy, seed: str, k: int) -> float:
    others = [s for s in tax.skills if s != seed]
    return max(
        set_information(tax, (seed, *rest)) for rest in itertools.combinations(others, k - 1)
    )


def weak_skill_report(path: Path, skill: str, **agent: Any) -> Path:
    """An evaluation report with one weak skill and no episodes file (the focus weights then
    come from the per-skill table); ``agent`` adds fields to its agent row (``per_k``, ...)."""
    row = {
        "agent": "me",
        "overall": {"n": 10, "pass_rate": 0.8},
        "per_skill": [{"skill": skill, "n": 5, "passed": 0}],
        **agent,
    }
    report = {"schema": "steps-agents/eval-report@1", "agents": [row]}
    path.write_text(json.dumps(report), encoding="utf-8")
    return path
