"""Benchmark: tree-walking beam search vs the direct search, on built taxonomies.

    python benchmarks/selection.py                 # all three parts
    python benchmarks/selection.py --n-direct 200  # a shorter direct-search comparison

Taxonomies are built by ``steps_agents.taxonomy.builder.build_taxonomy`` (height 3) on planted
hierarchical graphs (``steps_agents.taxonomy.planted``); building is timed separately and excluded.

1. Scale (issue 3): ``select_combinations(n=4000, k=2..7, beam=100, selector="steps")`` on
   10^4 skills (10 x 10 x 100 planted); target under 5 s. Wall and CPU time are printed (the
   machine is shared; CPU time is the steadier figure). ``unconstrained`` is timed too.
2. Direct search: on 500 skills (5 x 10 x 10 planted), the same selection (same seeds, k plan,
   acceptance rule) with the tree-walking beam and with direct implementations of the authors'
   search that score every candidate skill for every beam entry
   (:func:`steps_agents.selection.reference_beam`, registered as plugin selectors here): one
   finds each candidate's join point by walking up its path (the stronger baseline), the other
   sums ``term(a)`` over the candidate's path nodes not yet covered (``H({v} | S)`` as defined).
   Target: at least 100x faster with equal total gain. Also prints how many sets are identical.
3. Beam quality: on small random trees, how often greedy (beam 1) and beam 100 reach the
   exhaustive optimum for a seed and k (``unconstrained``: best k-set containing the seed;
   ``steps``: best set reachable under the widening-subtree rule).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import time

import numpy as np

import steps_agents
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.selection import (
    beam_search,
    reference_beam,
    regions,
    select_combinations,
    set_information,
    tree_index,
)
from steps_agents.selection.strategies import BeamSelector
from steps_agents.selection.synthetic import random_attachment_taxonomy, random_taxonomy
from steps_agents.taxonomy.artifact import Taxonomy
from steps_agents.taxonomy.builder import build_taxonomy
from steps_agents.taxonomy.planted import planted_graph


class DirectPlugin:
    @steps_agents.hookimpl
    def register_selectors(self, register):  # type: ignore[no-untyped-def]
        direct = BeamSelector("steps-direct", widening=True, search=reference_beam)
        register(direct, name="steps-direct")
        literal = functools.partial(reference_beam, literal=True)
        register(BeamSelector("steps-literal", widening=True, search=literal), name="steps-literal")


def planted_taxonomy(
    branching: tuple[int, int, int], samples: int, seed: int
) -> tuple[Taxonomy, float]:
    t0 = time.perf_counter()
    graph, _ = planted_graph(branching, samples, (0.5, 0.3, 0.2), seed=seed)
    tax = build_taxonomy(graph, height=3, seed=seed)
    return tax, time.perf_counter() - t0


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w0, time.process_time() - c0


def part_scale(seed: int, n: int) -> None:
    tax, t_build = planted_taxonomy((10, 10, 100), 300_000, seed)
    print(
        f"[1] taxonomy: {len(tax.skills)} skills, {len(tax.nodes)} nodes, leaf depth {tax.height}, built in {t_build:.1f} s"
    )
    select_combinations(tax, n=1, k=[2], beam=1)  # load plugins once; not part of the timing
    for selector in ("steps", "unconstrained"):
        combos, wall, cpu = timed(
            select_combinations, tax, n=n, k=range(2, 8), beam=100, selector=selector, seed=seed
        )
        mean_gain = sum(c.gain for c in combos) / len(combos)
        mean_lca = sum(c.lca_depth or 0 for c in combos) / len(combos)
        verdict = (
            ""
            if selector != "steps"
            else f"  target < 5 s: {'met' if wall < 5 else 'NOT met'} (wall)"
        )
        print(
            f"    {selector:13s} n={len(combos)} k=2..7 beam=100: wall {wall:.2f} s, cpu {cpu:.2f} s, "
            f"mean gain {mean_gain:.4f}, mean LCA depth {mean_lca:.2f}{verdict}"
        )


def part_direct(seed: int, n: int) -> None:
    tax, t_build = planted_taxonomy((5, 10, 10), 12_000, seed)
    print(
        f"[2] taxonomy: {len(tax.skills)} skills, {len(tax.nodes)} nodes, built in {t_build:.1f} s"
    )
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(DirectPlugin(),))
    select_combinations(tax, n=1, k=[2], beam=1, pm=pm)
    fast, wall_f, cpu_f = timed(
        select_combinations, tax, n=n, beam=100, selector="steps", seed=seed, pm=pm
    )
    gain_f = sum(c.gain for c in fast)
    print(
        f"    tree-walking beam:       n={n} wall {wall_f:.2f} s, cpu {cpu_f:.2f} s, total gain {gain_f:.9f}"
    )
    for name, label in (
        ("steps-direct", "direct (walk to join)"),
        ("steps-literal", "direct (H({v}|S) sums)"),
    ):
        direct, wall_d, cpu_d = timed(
            select_combinations, tax, n=n, beam=100, selector=name, seed=seed, pm=pm
        )
        gain_d = sum(c.gain for c in direct)
        same = sum(a.skills == b.skills for a, b in zip(fast, direct, strict=True))
        ratio_w, ratio_c = wall_d / wall_f, cpu_d / cpu_f
        print(
            f"    {label + ':':24s} n={n} wall {wall_d:.2f} s, cpu {cpu_d:.2f} s, total gain {gain_d:.9f}"
        )
        print(
            f"      speed-up {ratio_w:.0f}x wall, {ratio_c:.0f}x cpu (target >= 100x: "
            f"{'met' if min(ratio_w, ratio_c) >= 100 else 'NOT met'}); total gain equal: "
            f"{abs(gain_f - gain_d) <= 1e-9 * max(1.0, gain_d)}; identical ordered sets: {same}/{n}"
        )


def feasible_best(tax: Taxonomy, seed: int, k: int, widening: bool) -> float | None:
    ix = tree_index(tax)
    steps = regions(ix, seed, k, widening=widening)
    if steps is None:
        return None
    best = -1.0
    if not widening:
        others = [v for v in ix.leaves if v != seed]
        for rest in itertools.combinations(others, k - 1):
            best = max(best, set_information(tax, [ix.skill[v] for v in (seed, *rest)]))
        return best
    seen: set[frozenset[int]] = set()

    def grow(chosen: tuple[int, ...]) -> None:
        nonlocal best
        if len(chosen) == k:
            key = frozenset(chosen)
            if key not in seen:
                seen.add(key)
                best = max(best, set_information(tax, [ix.skill[v] for v in chosen]))
            return
        for v in ix.leaves_under(steps[len(chosen) - 1]):
            if v not in chosen:
                grow((*chosen, v))

    grow((seed,))
    return best


def part_quality(seed: int, trials: int) -> None:
    rng = np.random.default_rng(seed)
    print(f"[3] beam vs exhaustive optimum, {trials} random trees of each shape, k 3-5")
    shapes = {
        "balanced (random_taxonomy, 10-14 skills)": lambda i: random_taxonomy(
            int(rng.integers(10, 15)), height=int(rng.integers(1, 4)), seed=seed * 1000 + i
        ),
        "irregular (random attachment, 16-22 nodes)": lambda i: random_attachment_taxonomy(
            int(rng.integers(16, 23)), seed=seed * 1000 + i
        ),
    }
    for shape, make in shapes.items():
        for widening in (False, True):
            hits = {1: 0, 3: 0, 100: 0}
            total = 0
            for trial in range(trials):
                tax = make(trial)
                ix = tree_index(tax)
                s = int(rng.choice(ix.leaves))
                k = int(rng.integers(3, 6))
                if k > len(ix.leaves):
                    continue
                best = feasible_best(tax, s, k, widening)
                if best is None:
                    continue
                total += 1
                for b in hits:
                    got = next(iter(beam_search(ix, s, k, b, widening=widening)))[0]
                    hits[b] += abs(got - best) <= 1e-9
            name = "steps" if widening else "unconstrained"
            print(
                f"    {shape}, {name}: optimum reached by beam 1 (greedy) {hits[1]}/{total}, "
                f"beam 3 {hits[3]}/{total}, beam 100 {hits[100]}/{total}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-n", type=int, default=4000, help="combinations for the scale test")
    ap.add_argument(
        "--n-direct", type=int, default=500, help="combinations for the direct-search comparison"
    )
    ap.add_argument("--trials", type=int, default=200, help="random trees for the quality check")
    ap.add_argument("--parts", default="1,2,3")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    if "1" in parts:
        part_scale(args.seed, args.n)
    if "2" in parts:
        part_direct(args.seed, args.n_direct)
    if "3" in parts:
        part_quality(args.seed, args.trials)


if __name__ == "__main__":
    main()
