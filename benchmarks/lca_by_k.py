"""Mean LCA depth per k: how deep in the taxonomy each selector's k-skill sets sit.

    python benchmarks/lca_by_k.py
    python benchmarks/lca_by_k.py --taxonomy taxonomy.json -n 300 --seed 0

The README's selection table gives one mean LCA depth over k = 2..7; this splits it by k (same
taxonomy build, k plan, beam and seed as ``benchmarks/selection_table.py``), with the share of
sets whose LCA is the root (they span top-level communities).
"""

from __future__ import annotations

import sys
from collections import defaultdict

from selection_table import select_each, selection_parser, taxonomy_for

from steps_agents.corpus.cooccurrence import corpus_set_counts

SELECTORS = ("steps", "unconstrained", "random")


def main() -> int:
    args = selection_parser(__doc__).parse_args()
    tax = taxonomy_for(args.corpus, args.taxonomy, args.seed)
    if tax is None:
        return 1
    counts = corpus_set_counts(args.corpus)
    by_k: dict[str, dict[int, list[int]]] = {}
    for name, combos in select_each(tax, args, counts, SELECTORS).items():
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
