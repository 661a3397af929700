"""Random encoding trees with plausible volumes and cuts, for tests and benchmarks.

Leaf volumes are log-normal (skill degrees are heavy-tailed); an internal node's volume is the
sum of its children's; a leaf's cut equals its volume (a single skill has no internal edges); a
community keeps a random share of its volume inside, so its cut is a random fraction of it; the
root's cut is 0. Child volumes never exceed their parent's, so every term is non-negative.
"""

from __future__ import annotations

import numpy as np

from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode


def random_taxonomy(
    n_skills: int,
    *,
    height: int = 3,
    seed: int = 0,
    branching_jitter: float = 0.5,
    pad: bool = True,
) -> Taxonomy:
    """A random tree with ``height`` community levels above ``n_skills`` skill leaves.

    Each level splits every community into roughly ``n_skills ** (1 / (height + 1))`` parts
    (jittered). With ``pad`` every leaf sits at depth ``height + 1`` (single-child chains fill
    short branches, as the builder does); without it branches end wherever a community gets a
    single skill.
    """
    rng = np.random.default_rng(seed)
    skills = [f"s{i:05d}" for i in range(n_skills)]
    branching = max(2.0, n_skills ** (1.0 / (height + 1)))
    parents: list[int | None] = [None]
    members: list[list[int]] = [list(range(n_skills))]
    is_leaf: list[bool] = [False]
    frontier = [0]
    for level in range(height):
        nxt = []
        for node in frontier:
            group = members[node]
            if len(group) == 1:
                if pad:  # keep the leaf depth uniform
                    parents.append(node)
                    members.append(group)
                    is_leaf.append(False)
                    nxt.append(len(parents) - 1)
                continue
            parts = max(
                1, round(branching * rng.uniform(1 - branching_jitter, 1 + branching_jitter))
            )
            parts = min(parts, len(group))
            if level == height - 1:
                parts = len(group) if len(group) <= 3 else parts
            cuts = (
                np.sort(rng.choice(np.arange(1, len(group)), size=parts - 1, replace=False))
                if parts > 1
                else np.zeros(0, dtype=np.int64)
            )
            for chunk in np.split(np.asarray(group), cuts):
                parents.append(node)
                members.append(chunk.tolist())
                is_leaf.append(False)
                nxt.append(len(parents) - 1)
        frontier = nxt
    leaf_parent: dict[int, int] = {}
    for node in frontier:
        for s in members[node]:
            leaf_parent[s] = node
    degree = rng.lognormal(mean=2.0, sigma=1.0, size=n_skills)
    counts = rng.zipf(1.8, size=n_skills)
    # Nodes: communities in creation order (breadth-first), then leaves.
    n_comm = len(parents)
    volume = np.zeros(n_comm + n_skills)
    all_parent: list[int | None] = parents + [leaf_parent[s] for s in range(n_skills)]
    volume[n_comm:] = degree
    for v in range(n_comm + n_skills - 1, 0, -1):
        volume[all_parent[v] or 0] += volume[v]  # only the root (v = 0) has no parent
    cut = np.zeros_like(volume)
    cut[n_comm:] = degree
    for v in range(1, n_comm):
        cut[v] = volume[v] * rng.uniform(0.05, 0.6)
    nodes = [
        TaxonomyNode(
            id=v, parent=all_parent[v], volume=float(volume[v]), cut=float(cut[v]), label=f"c{v}"
        )
        for v in range(n_comm)
    ]
    for s in range(n_skills):
        v = n_comm + s
        nodes.append(
            TaxonomyNode(
                id=v,
                parent=all_parent[v],
                volume=float(volume[v]),
                cut=float(cut[v]),
                skill=skills[s],
                count=int(counts[s]),
            )
        )
    tax = Taxonomy(nodes, {"one_dim_entropy": None, "height": height})
    return tax


def random_attachment_taxonomy(n_nodes: int, *, seed: int = 0) -> Taxonomy:
    """An irregular random tree: node ``i`` hangs from a uniformly chosen earlier node (nodes 1
    and 2 from the root); childless nodes are skills. Leaf volumes are random integers,
    internal volumes the sums, cuts a uniform share of the volume (leaves: all of it)."""
    rng = np.random.default_rng(seed)
    parent = [-1, 0, 0] + [int(rng.integers(0, i)) for i in range(3, n_nodes)]
    children: list[list[int]] = [[] for _ in range(n_nodes)]
    for v in range(1, n_nodes):
        children[parent[v]].append(v)
    volume = np.zeros(n_nodes)
    for v in range(n_nodes - 1, 0, -1):  # parents precede children, so this is bottom-up
        if not children[v]:
            volume[v] = float(rng.integers(1, 20))
        volume[parent[v]] += volume[v]
    nodes = []
    for v in range(n_nodes):
        leaf = v > 0 and not children[v]
        cut = 0.0 if v == 0 else float(volume[v]) if leaf else float(volume[v] * rng.uniform())
        nodes.append(
            TaxonomyNode(
                id=v,
                parent=None if v == 0 else parent[v],
                volume=float(volume[v]),
                cut=cut,
                skill=f"t{v:04d}" if leaf else None,
                count=int(rng.integers(0, 10)) if leaf else None,
            )
        )
    return Taxonomy(nodes)
