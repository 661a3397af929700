"""Planted hierarchical skill graphs (and plain random ones), for tests and benchmarks of the
taxonomy builder.

Skills are split into nested groups (``branching = (4, 4, 10)``: 4 super-communities of 4
communities of 10 skills). Edges are sampled level by level, fully vectorised: for the level
``l`` share of the samples, pick a skill u uniformly and a partner v uniformly inside u's
level-``l`` group (the last share picks v anywhere). Repeated pairs add up, so weights behave
like co-occurrence counts. Skills are shuffled so group membership is not visible from ids.
"""

from __future__ import annotations

import numpy as np

from steps_agents.taxonomy.skillgraph import SkillGraph

__all__ = ["planted_graph", "planted_parent", "nmi", "random_graph"]


def planted_graph(
    branching: tuple[int, ...],
    samples: int,
    shares: tuple[float, ...],
    *,
    seed: int = 0,
) -> tuple[SkillGraph, list[np.ndarray]]:
    """A planted graph and its levels: ``levels[0]`` finest group per skill, up to the coarsest.

    ``shares`` gives, finest level first, the fraction of the ``samples`` edge draws made inside
    each level's groups; it has ``len(branching)`` entries, the last for draws across the whole
    graph. Returns the graph and the group labels per level (finest first, root excluded).
    """
    if len(shares) != len(branching):
        raise ValueError("shares needs one entry per level, the last for the whole graph")
    rng = np.random.default_rng(seed)
    n = int(np.prod(branching))
    # Group sizes from the finest group up to the whole graph.
    sizes = np.cumprod(branching[::-1])[:-1].tolist() + [n]
    quota = np.floor(np.asarray(shares, dtype=np.float64) / sum(shares) * samples).astype(int)
    us, vs = [], []
    for size, q in zip(sizes, quota.tolist(), strict=True):
        u = rng.integers(0, n, size=q)
        v = (u // size) * size + rng.integers(0, size, size=q)
        us.append(u)
        vs.append(v)
    u, v = np.concatenate(us), np.concatenate(vs)
    keep = u != v
    u, v = u[keep], v[keep]
    perm = rng.permutation(n)
    u, v = perm[u], perm[v]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keys, cnt = np.unique(lo * n + hi, return_counts=True)
    inv_perm = np.argsort(perm)  # skill id -> planted position
    levels = [inv_perm // s for s in sizes[:-1]]
    graph = SkillGraph(
        skills=tuple(f"s{i}" for i in range(n)),
        counts=np.ones(n, dtype=np.int64),
        src=(keys // n).astype(np.int64),
        dst=(keys % n).astype(np.int64),
        weight=cnt.astype(np.float64),
        weighting="count",
        source="planted",
    )
    return graph, levels


def planted_parent(levels: list[np.ndarray]) -> np.ndarray:
    """The planted tree as a parent array (leaves, finest groups, ..., coarsest groups, root)."""
    n = levels[0].shape[0]
    sizes = [n] + [int(lab.max()) + 1 for lab in levels]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    parent = np.empty(int(offsets[-1]) + 1, dtype=np.int64)
    parent[:n] = offsets[1] + levels[0]
    for k in range(1, len(levels)):
        # Group j of level k-1 sits inside the level-k group of any of its members.
        above = np.zeros(sizes[k], dtype=np.int64)
        above[levels[k - 1]] = levels[k]
        parent[offsets[k] : offsets[k + 1]] = offsets[k + 1] + above
    top = len(levels)
    parent[offsets[top] : offsets[top + 1]] = offsets[top + 1]
    parent[-1] = -1
    return parent


def nmi(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised mutual information ``2 I(A;B) / (H(A) + H(B))`` of two labelings (1 if both trivial)."""
    a = np.unique(np.asarray(a), return_inverse=True)[1]
    b = np.unique(np.asarray(b), return_inverse=True)[1]
    n = a.shape[0]
    joint = np.unique(a * (int(b.max()) + 1) + b, return_counts=True)[1] / n
    pa = np.bincount(a) / n
    pb = np.bincount(b) / n

    def ent(p: np.ndarray) -> float:
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    ha, hb = ent(pa), ent(pb)
    mi = ha + hb - ent(joint)
    if ha + hb == 0.0:
        return 1.0
    return max(0.0, 2.0 * mi / (ha + hb))


def random_graph(seed: int, n: int, p: float, isolated: int = 0) -> SkillGraph:
    """Erdos-Renyi graph over skills ``s0..s{n-1}``: each pair kept with probability ``p``, weight
    uniform in [0.1, 3) (continuous, so exact ties have probability 0); ``isolated`` more skills
    with no edge."""
    rng = np.random.default_rng(seed)
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(iu.shape[0]) < p
    w = rng.uniform(0.1, 3.0, size=int(keep.sum()))
    edges = list(zip(iu[keep].tolist(), ju[keep].tolist(), w.tolist(), strict=True))
    return SkillGraph.from_edges([f"s{i}" for i in range(n + isolated)], edges)
