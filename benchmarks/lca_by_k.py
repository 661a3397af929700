"""Mean LCA depth per k: how deep in the taxonomy each selector's k-skill sets sit.

    python benchmarks/lca_by_k.py
    python benchmarks/lca_by_k.py --taxonomy taxonomy.json -n 300 --seed 0

The README's selection table gives one mean LCA depth over k = 2..7; this splits it by k (same
taxonomy build, k plan, beam and seed as ``benchmarks/selection_table.py``), with the share of
sets whose LCA is the root (they span top-level communities).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from selection_table import taxonomy_for

from steps_agents.corpus.cooccurrence import corpus_set_counts
from steps_agents.selection import select_combinations

REPO = Path(__file__).resolve().parents[1]
SELECTORS = ("steps", "unconstrained", "random")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(REPO / "examples/data/example_corpus.jsonl.gz"))
    ap.add_argument("--taxonomy", help="use this taxonomy instead of building one")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--beam", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    tax = taxonomy_for(args.corpus, args.taxonomy, args.seed)
    if tax is None:
        return 1
    counts = corpus_set_counts(args.corpus)
    by_k: dict[str, dict[int, list[int]]] = {}
    for name in SELECTORS:
        combos = select_combinations(
            tax, n=args.n, selector=name, beam=args.beam, seed=args.seed, corpus_counts=counts
        )
        by_k[name] = defaultdict(list)
        for c in combos:
            by_k[name][c.k].append(c.lca_depth or 0)
    ks = sorted({k for rows in by_k.values() for k in rows})
    print(f"\nn={args.n}, beam {args.beam}, seed {args.seed}; leaf depth {tax.height}")
    print("mean LCA depth (share of sets spanning the root)\n")
    print("| k | sets | " + " | ".join(SELECTORS) + " |")
    print("|---|---:|" + "---:|" * len(SELECTORS))
    for k in ks:
        cells = []
        for name in SELECTORS:
            depths = by_k[name].get(k, [])
            root = sum(1 for d in depths if d == 0)
            cells.append(
                f"{sum(depths) / len(depths):.2f} ({root}/{len(depths)})" if depths else "-"
            )
        print(f"| {k} | {len(by_k['steps'].get(k, []))} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
