"""The README table: mean gain and mean LCA depth of each selector on the example corpus.

    python benchmarks/selection_table.py
    python benchmarks/selection_table.py --corpus examples/data/example_corpus.jsonl.gz -n 300 --seed 0

Builds the taxonomy with ``steps taxonomy build`` (unless ``--taxonomy`` is given), counts how
often each exact skill set occurs in the corpus, then selects ``n`` combinations (k = 2..7,
same k plan for every selector, beam 100) with ``steps``, ``unconstrained``, ``longtail``,
``random`` and ``random-coherent``. The last row is the fair baseline for ``steps``: for every
``steps`` combination, ``--draws`` random sets grown from the *same seed skill and k* under the
*same widening-subtree rule* (each step uniform over the unused skills of the allowed subtree),
averaged. It prints a markdown table and checks the three claims of issue 3.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from steps_agents.cli import main as steps_main
from steps_agents.corpus.cooccurrence import corpus_set_counts
from steps_agents.records import Combination
from steps_agents.selection import select_combinations, set_information, tree_index
from steps_agents.selection.strategies import random_under_rule
from steps_agents.taxonomy.artifact import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parents[1]
SELECTORS = ("steps", "unconstrained", "longtail", "random-coherent", "random")


def fair_baseline(
    tax: Taxonomy, steps: list[Combination], draws: int, seed: int
) -> tuple[float, float]:
    """Mean gain and mean LCA depth of random sets under the widening rule, same seeds and k."""
    ix = tree_index(tax)
    rng = np.random.default_rng(seed)
    gains, depths = [], []
    for c in steps:
        assert c.seed_skill is not None
        for _ in range(draws):
            leaves = random_under_rule(ix, ix.leaf_of[c.seed_skill], c.k, rng)
            assert leaves is not None  # the steps set exists, so the rule reaches k
            names = [ix.skill[v] for v in leaves]
            gains.append(set_information(tax, names))
            depths.append(int(tax.depth[tax.lca(names)]))
    return float(np.mean(gains)), float(np.mean(depths))


def taxonomy_for(corpus: str, path: str | None, seed: int) -> Taxonomy | None:
    """The taxonomy at ``path``, or one built from ``corpus`` (``None`` if the build failed)."""
    if path is not None:
        return load_taxonomy(path)
    with tempfile.TemporaryDirectory() as tmp:
        built = str(Path(tmp) / "taxonomy.json")
        if steps_main(["taxonomy", "build", corpus, "-o", built, "--seed", str(seed)]):
            return None
        return load_taxonomy(built)


def selection_parser(doc: str) -> argparse.ArgumentParser:
    """The options of the selection benchmarks: corpus, taxonomy, n, beam, seed."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--corpus", default=str(REPO / "examples/data/example_corpus.jsonl.gz"))
    ap.add_argument("--taxonomy", help="use this taxonomy instead of building one")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--beam", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    return ap


def select_each(
    tax: Taxonomy,
    args: argparse.Namespace,
    counts: Mapping[frozenset[str], int],
    names: Sequence[str],
) -> dict[str, list[Combination]]:
    """Each selector's ``args.n`` combinations, same beam, seed and corpus counts."""
    return {
        name: select_combinations(
            tax, n=args.n, selector=name, beam=args.beam, seed=args.seed, corpus_counts=counts
        )
        for name in names
    }


def main() -> int:
    ap = selection_parser(__doc__)
    ap.add_argument(
        "--draws",
        type=int,
        default=10,
        help="random draws per steps combination for the fair baseline",
    )
    args = ap.parse_args()

    tax = taxonomy_for(args.corpus, args.taxonomy, args.seed)
    if tax is None:
        return 1
    counts = corpus_set_counts(args.corpus)
    print(
        f"\ncorpus {Path(args.corpus).name}: {sum(counts.values())} records, {len(tax.skills)} skills; "
        f"taxonomy leaf depth {tax.height}, {len(tax.children[0])} top-level communities; "
        f"n={args.n}, k=2..7 (same plan for all), beam {args.beam}, seed {args.seed}\n"
    )
    rows = []
    results = select_each(tax, args, counts, SELECTORS)
    for name, combos in results.items():
        rows.append(
            (
                name,
                float(np.mean([c.gain for c in combos])),
                float(np.mean([c.lca_depth or 0 for c in combos])),
                float(np.mean([c.k for c in combos])),
                f"{sum(1 for c in combos if c.corpus_count == 0)}/{len(combos)}",
            )
        )
    fair_gain, fair_depth = fair_baseline(tax, results["steps"], args.draws, args.seed)
    rows.append(
        (
            "random under the steps rule (same seeds, k)",
            fair_gain,
            fair_depth,
            float(np.mean([c.k for c in results["steps"]])),
            "-",
        )
    )

    print("| selector | mean gain (bits) | mean LCA depth | mean k | sets never in corpus |")
    print("|---|---:|---:|---:|---:|")
    for name, gain, depth, k, never in rows:
        print(f"| {name} | {gain:.3f} | {depth:.2f} | {k:.2f} | {never} |")

    by = {r[0]: r for r in rows}
    gain_of = {name: r[1] for name, r in by.items()}
    depth_of = {name: r[2] for name, r in by.items()}
    checks = [
        (
            "unconstrained has the highest mean gain",
            max(gain_of, key=gain_of.__getitem__) == "unconstrained",
        ),
        (
            "steps has the deepest mean LCA (of steps, unconstrained, random)",
            depth_of["steps"] > max(depth_of["unconstrained"], depth_of["random"]),
        ),
        ("steps beats random under the same rule in mean gain", gain_of["steps"] > fair_gain),
    ]
    deepest = max(depth_of, key=depth_of.__getitem__)
    print()
    for text, ok in checks:
        print(f"{'holds' if ok else 'DOES NOT HOLD'}: {text}")
    print(f"(deepest mean LCA over every row: {deepest}, {depth_of[deepest]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
