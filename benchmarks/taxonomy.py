"""Benchmark: the encoding-tree builder against networkx Louvain on planted hierarchical graphs.

    python benchmarks/taxonomy.py                       # both sizes
    python benchmarks/taxonomy.py --sizes small --seed 1
    python benchmarks/taxonomy.py --oracle 400          # small graphs vs the exhaustive optimum

For each size it generates (vectorised) a planted graph with two community levels, then prints,
measured in the same run: wall time of the builder (heights 1, 2 and the default 3) and of
networkx ``louvain_communities`` (seeded), the time ratios (wall and CPU: the CPU ratio is the fairer one on a shared machine), H^T of every tree (Louvain's final
partition scored as a two-level tree, and its whole level hierarchy as a tree), NMI against
the planted levels, and peak memory (tracemalloc for the builder; the process's peak RSS).

Targets (issue 2): large (10^4 skills, ~10^6 edges): builder <= 0.5 x Louvain's time, lower
H^T, under 2 GiB. Small (10^3 skills, ~1.5 x 10^4 edges): under 0.2 s, H^T <= the planted tree's.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import networkx as nx
import numpy as np

from steps_agents.taxonomy.builder import build_encoding_tree, community_levels
from steps_agents.taxonomy.entropy import one_dim_entropy, structural_entropy
from steps_agents.taxonomy.planted import nmi, planted_graph, planted_parent, random_graph
from steps_agents.taxonomy.skillgraph import SkillGraph

# branching (super-communities, communities per super, skills per community), edge draws,
# shares of draws inside a community / inside a super-community / anywhere.
SIZES = {
    "small": ((10, 10, 10), 23_000, (0.5, 0.3, 0.2)),
    "large": ((10, 10, 100), 1_300_000, (0.5, 0.3, 0.2)),
    # Harder: 3,000 skills, most draws outside the planted communities.
    "noisy": ((10, 10, 30), 300_000, (0.25, 0.25, 0.5)),
}


def tree_from_partitions(n: int, partitions: list[list[set[int]]]) -> np.ndarray:
    """Nested partitions (finest first) as a parent array: leaves, each level, then the root."""
    labels = []
    for part in partitions:
        lab = np.empty(n, dtype=np.int64)
        for c, members in enumerate(part):
            lab[list(members)] = c
        labels.append(lab)
    return planted_parent(labels)


def best_nmi(truth: np.ndarray, levels: list[np.ndarray]) -> float:
    return max(nmi(truth, lab) for lab in levels)


def to_networkx(graph: SkillGraph) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(graph.n_skills))
    g.add_weighted_edges_from(
        zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True)
    )
    return g


def oracle_graph(seed: int) -> SkillGraph:
    """Random weighted graph of 5-9 vertices (as tests/test_builder.py's oracle test)."""
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(5, 10))
    p = float(rng.uniform(0.25, 0.7))
    return random_graph(seed, n, p)


def exhaustive_two_level(graph: SkillGraph) -> float:
    """Exact minimum of H^T over all two-level trees, scoring every set partition at once:
    ``V H = sum_C [g_C log V + (V_C - g_C) log V_C] - sum_v d_v log d_v``."""
    n = graph.n_skills
    rows: list[list[int]] = [[0]]
    for _ in range(1, n):
        rows = [r + [c] for r in rows for c in range(max(r) + 2)]
    parts = np.array(rows, dtype=np.int64)
    onehot = parts[:, :, None] == np.arange(n)[None, None, :]
    deg = graph.degrees()
    total = deg.sum()
    vol = np.einsum("bvc,v->bc", onehot, deg)
    same = onehot[:, graph.src, :] & onehot[:, graph.dst, :]
    cut = vol - 2.0 * np.einsum("bec,e->bc", same, graph.weight)
    logv = np.log2(np.where(vol > 0, vol, 1.0))
    score = (cut * np.log2(total) + (vol - cut) * logv).sum(axis=1)
    d = deg[deg > 0]
    return float((score.min() - (d * np.log2(d)).sum()) / total)


def oracle(count: int) -> None:
    """Height-1 builder (dissolution move off, then on) against the exhaustive optimum."""
    above: dict[int, list[float]] = {0: [], 16: []}
    t = {0: 0.0, 16: 0.0}
    for seed in range(count):
        graph = oracle_graph(seed)
        if graph.n_edges == 0:
            continue
        best = exhaustive_two_level(graph)
        for d in above:
            t0 = time.perf_counter()
            built = structural_entropy(graph, build_encoding_tree(graph, height=1, dissolve=d))
            t[d] += time.perf_counter() - t0
            above[d].append(100.0 * (built / best - 1.0))
    for d, vals in above.items():
        arr = np.array(vals)
        name = "off" if d == 0 else f"on (groups <= {d})"
        print(
            f"dissolve {name:18} graphs {arr.shape[0]}  mean {arr.mean():.3f}% above optimum, "
            f"worst {arr.max():.2f}%, > 5%: {(arr > 5).sum()}, > 1%: {(arr > 1).sum()}, "
            f"build time {t[d]:.2f} s"
        )


def run(size: str, seed: int, height: int) -> None:
    branching, samples, shares = SIZES[size]
    t0 = time.perf_counter()
    graph, planted = planted_graph(branching, samples, shares, seed=seed)
    t_gen = time.perf_counter() - t0
    n = graph.n_skills
    print(
        f"\n== {size}: {n} skills, {graph.n_edges} edges (generated in {t_gen:.2f} s), seed {seed}"
    )
    h1 = one_dim_entropy(graph)
    h_planted = structural_entropy(graph, planted_parent(planted))
    print(f"H1 {h1:.4f}   planted tree (height {len(planted)}) H^T {h_planted:.4f}")

    rows = []
    times, cpu = {}, {}
    for h in sorted({1, 2, height}):
        t0, c0 = time.perf_counter(), time.process_time()
        parent = build_encoding_tree(graph, height=h, seed=seed)
        times[h], cpu[h] = time.perf_counter() - t0, time.process_time() - c0
        levels = community_levels(parent, n)
        rows.append((f"builder h={h}", times[h], cpu[h], structural_entropy(graph, parent), levels))
    tracemalloc.start()
    build_encoding_tree(graph, height=height, seed=seed)
    peak_builder = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_after_builder = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    g = to_networkx(graph)
    t0, c0 = time.perf_counter(), time.process_time()
    # louvain_communities(G) is exactly the last element of louvain_partitions(G) (networkx
    # source), so timing the generator times louvain_communities and also gives its levels.
    parts = list(nx.community.louvain_partitions(g, weight="weight", seed=seed))
    t_louvain, c_louvain = time.perf_counter() - t0, time.process_time() - c0
    final = parts[-1]
    flat = tree_from_partitions(n, [final])
    hier = tree_from_partitions(n, parts)
    rows.append(
        (
            "louvain final (2-level)",
            t_louvain,
            c_louvain,
            structural_entropy(graph, flat),
            community_levels(flat, n),
        )
    )
    rows.append(
        (
            f"louvain all {len(parts)} levels",
            t_louvain,
            c_louvain,
            structural_entropy(graph, hier),
            community_levels(hier, n),
        )
    )
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    print(
        f"{'tree':26} {'wall s':>8} {'cpu s':>7} {'H^T':>8} {'#top':>5} {'NMI fine':>9} "
        f"{'NMI coarse':>10}"
    )
    for name, t, c, ht, levels in rows:
        print(
            f"{name:26} {t:8.3f} {c:7.3f} {ht:8.4f} {len(np.unique(levels[-1])):5d} "
            f"{best_nmi(planted[0], levels):9.3f} {best_nmi(planted[1], levels):10.3f}"
        )
    h_default = next(r[3] for r in rows if r[0] == f"builder h={height}")
    h_flat_builder = next(r[3] for r in rows if r[0] == "builder h=1")
    h_louvain = rows[-2][3]
    for h in sorted({1, height}):
        print(
            f"time ratio builder(h={h}) / louvain: wall {times[h] / t_louvain:.3f}, "
            f"cpu {cpu[h] / c_louvain:.3f}"
        )
    print(
        f"H^T builder h={height} {h_default:.4f} vs louvain 2-level {h_louvain:.4f} "
        f"(builder h=1 {h_flat_builder:.4f}); planted {h_planted:.4f}"
    )
    print(
        f"peak memory: builder (tracemalloc) {peak_builder / 2**20:.1f} MiB; process peak RSS "
        f"after builder {rss_after_builder / 2**20:.1f} MiB, after Louvain {rss_peak / 2**20:.1f} MiB"
    )
    print("NMI: best match of each planted level among a tree's community levels.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="small,large", help="comma list of: " + ", ".join(SIZES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--height", type=int, default=3, help="the builder's default height")
    ap.add_argument(
        "--oracle", type=int, default=0, help="instead: N random 5-9 vertex graphs vs optimum"
    )
    args = ap.parse_args(argv)
    if args.oracle:
        oracle(args.oracle)
        return 0
    for size in args.sizes.split(","):
        if size not in SIZES:
            ap.error(f"unknown size {size!r}; available: {', '.join(SIZES)}")
        run(size, args.seed, args.height)
    return 0


if __name__ == "__main__":
    sys.exit(main())
