"""Benchmark: ``steps taxonomy build --graph edges.csv`` end to end against a plain networkx script.

    python benchmarks/taxonomy_cli.py                    # planted 10^4 skills, ~9.6 x 10^5 edges
    python benchmarks/taxonomy_cli.py --repeat 3 --csv /tmp/edges.csv

The CSV (``source,target,weight``) is written once from the planted ``large`` graph of
``benchmarks/taxonomy.py`` (10 x 10 x 100 skills, 1.3 x 10^6 draws, seed 0) and kept at ``--csv``.
Each round runs, as separate processes and in alternating order so load from other jobs falls
on both alike:

- the CLI: ``python -m steps_agents taxonomy build --graph CSV --height 2 --json``;
- networkx: a script that reads the CSV with the ``csv`` module into an ``nx.Graph``, runs
  ``louvain_communities`` (seeded) and writes the communities as JSON.

It prints both wall times, their ratio (target <= 0.5, issue 15), and both H^T: the CLI's tree
from its summary, Louvain's partition scored as a two-level tree (target: the CLI's is lower).
The median ratio over ``--repeat`` rounds is the figure to read on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from steps_agents.corpus.edgecsv import read_edge_csv
from steps_agents.taxonomy.entropy import structural_entropy
from steps_agents.taxonomy.planted import planted_graph, planted_parent

NETWORKX_SCRIPT = """
import csv, json, sys
import networkx as nx

path, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
g = nx.Graph()
with open(path, newline="") as f:
    rows = csv.reader(f)
    next(rows)
    for s, t, w in rows:
        g.add_edge(s, t, weight=float(w))
parts = nx.community.louvain_communities(g, weight="weight", seed=seed)
with open(out, "w") as f:
    json.dump([sorted(p) for p in parts], f)
"""


def write_planted_csv(path: Path, seed: int) -> None:
    """The planted ``large`` graph of benchmarks/taxonomy.py as ``source,target,weight`` rows."""
    graph, _ = planted_graph((10, 10, 100), 1_300_000, (0.5, 0.3, 0.2), seed=seed)
    names = np.asarray(graph.skills)
    rows = np.char.add(
        np.char.add(np.char.add(names[graph.src], ","), np.char.add(names[graph.dst], ",")),
        graph.weight.astype(np.int64).astype(str),
    )
    path.write_text("source,target,weight\n" + "\n".join(rows.tolist()) + "\n", encoding="utf-8")


def timed(cmd: list[str]) -> tuple[float, str]:
    env = {**os.environ, "STEPS_AGENTS_NO_PROGRESS": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return elapsed, done.stdout


def louvain_entropy(csv_path: Path, communities_path: Path) -> float:
    """H^T of Louvain's partition as a two-level tree (leaves -> communities -> root)."""
    graph = read_edge_csv(csv_path)
    labels = np.empty(graph.n_skills, dtype=np.int64)
    for c, members in enumerate(json.loads(communities_path.read_text())):
        labels[[graph.index[s] for s in members]] = c
    return structural_entropy(graph, planted_parent([labels]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--csv", type=Path, default=Path(tempfile.gettempdir()) / "steps_planted_edges.csv"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--height", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="rounds (order alternates)")
    args = ap.parse_args(argv)
    if not args.csv.exists():
        t0 = time.perf_counter()
        write_planted_csv(args.csv, args.seed)
        print(f"wrote {args.csv} in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out, parts = Path(tmp) / "taxonomy.json", Path(tmp) / "communities.json"
        script = Path(tmp) / "louvain.py"
        script.write_text(NETWORKX_SCRIPT, encoding="utf-8")
        cli = [sys.executable, "-m", "steps_agents", "taxonomy", "build", "--graph", str(args.csv)]
        cli += ["--height", str(args.height), "--seed", str(args.seed), "-o", str(out), "--json"]
        nxs = [sys.executable, str(script), str(args.csv), str(parts), str(args.seed)]
        ratios = []
        for r in range(args.repeat):
            runs = [("cli", cli), ("networkx", nxs)]
            times: dict[str, float] = {}
            for name, cmd in runs if r % 2 == 0 else runs[::-1]:
                times[name], stdout = timed(cmd)
                if name == "cli":
                    summary = json.loads(stdout)
            ratios.append(times["cli"] / times["networkx"])
            print(
                f"round {r + 1}: cli {times['cli']:.2f} s, networkx {times['networkx']:.2f} s,"
                f" ratio {ratios[-1]:.3f}",
                flush=True,
            )
        h_louvain = louvain_entropy(args.csv, parts)
    print(
        f"{summary['skills']} skills, {summary['edges']} edges; median ratio cli/networkx"
        f" {statistics.median(ratios):.3f} over {len(ratios)} round(s) (target <= 0.5)"
    )
    print(
        f"H^T cli (height {args.height}) {summary['structural_entropy']:.4f} bits;"
        f" networkx Louvain (2-level) {h_louvain:.4f} bits"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
