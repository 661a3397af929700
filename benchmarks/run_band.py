"""The focus selector's run band over a long run: incremental sums against a full re-sum.

    python benchmarks/run_band.py

``focus_band = "run"`` (what ``steps synth --focus`` sets) balances each request against the
sets the run already chose, its ``exclude``. A run asks for one or two sets at a time, so a
10^4-sample run makes ~5,000 requests whose ``exclude`` grows to 10^4 sets. The selector keeps
the gains of the last ``exclude`` and computes only the new sets' (``focused._run_gains``);
this script replays such a run on the quickstart world's taxonomy (16 focus targets, 10^4
random distinct sets of 2 to 7 skills, two more per request) with and without that cache, in
the same process, and checks both give the same bands.
"""

from __future__ import annotations

import random
import time

from steps_agents.corpus.cooccurrence import build_skill_graph, count_corpus
from steps_agents.plugin_manager import default_plugin_manager
from steps_agents.registry import get_skill_world
from steps_agents.selection import focused
from steps_agents.selection.api import select_combinations
from steps_agents.selection.focus import FocusWeights
from steps_agents.selection.index import tree_index
from steps_agents.taxonomy.builder import build_taxonomy

SETS, PER_REQUEST, TARGETS = 10_000, 2, 16


def main() -> None:
    pm = default_plugin_manager()
    corpus = str(get_skill_world("toolworld", pm).corpus)
    counts = count_corpus(corpus, "tool_calls", progress=False, pm=pm)
    graph = build_skill_graph(counts, weighting="steps", source=corpus)
    taxonomy = build_taxonomy(graph, height=3, seed=0, params={"extractor": "tool_calls"})
    ix = tree_index(taxonomy)
    skills = sorted(taxonomy.skills)
    rnd = random.Random(0)
    pairs = {frozenset(rnd.sample(skills, 2)): 1.0 / (i + 1) for i in range(TARGETS)}
    targets = focused.focus_targets(ix, FocusWeights(agent="bench", pairs=pairs, worlds=[]))
    chosen: set[frozenset[str]] = set()
    while len(chosen) < SETS:
        chosen.add(frozenset(rnd.sample(skills, rnd.randint(2, 7))))
    run = list(chosen)
    plain = select_combinations(taxonomy, n=PER_REQUEST, k=[3], seed=0)

    def replay(cached: bool) -> tuple[float, object]:
        start, last = time.perf_counter(), None
        for n in range(0, SETS + 1, PER_REQUEST):
            if not cached:
                focused._RUN_GAINS.clear()
            last = focused._run_balance(ix, frozenset(run[:n]), targets, plain)
        return time.perf_counter() - start, last

    fast, a = replay(True)
    slow, b = replay(False)
    requests = SETS // PER_REQUEST + 1
    print(
        f"{requests} requests, exclude growing to {SETS} sets: incremental {fast:.1f} s,"
        f" recomputed every request {slow:.1f} s ({slow / fast:.1f}x); same bands: {a == b}"
    )


if __name__ == "__main__":
    main()
