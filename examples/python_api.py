"""The Python API end to end, with a selector plugin defined right here (offline, seeded).

    python examples/python_api.py

1. build the taxonomy of the example corpus (tagged records) and save it;
2. register an in-process plugin that adds a selector named ``one-per-community`` (it picks k
   skills from k different top-level communities, the most path entropy first) -- the same
   hook a third-party package would implement;
3. select combinations with the built-in ``steps`` selector and with the plugin's, and compare
   their mean structural information and the depth of their lowest common ancestor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import steps_agents
from steps_agents.corpus.cooccurrence import build_skill_graph, count_corpus
from steps_agents.selection import SelectionRequest, make_combination

CORPUS = Path(__file__).parent / "data" / "example_corpus.jsonl.gz"


class OnePerCommunity:
    """k skills from k distinct top-level communities, each its community's richest skill
    (by path entropy) not yet used together; deterministic."""

    name = "one-per-community"

    def select(self, taxonomy: steps_agents.Taxonomy, request: SelectionRequest) -> list[Any]:
        by_community: dict[int, list[str]] = {}
        for skill in sorted(taxonomy.skills, key=lambda s: (-taxonomy.path_entropy(s), s)):
            by_community.setdefault(taxonomy.ancestor_at_depth(skill, 1), []).append(skill)
        communities = sorted(by_community)
        out, seen, attempt = [], set(request.exclude), 0
        for k in request.k_plan:
            if k > len(communities):
                raise steps_agents.InputError(f"k={k} exceeds the {len(communities)} communities")
            while True:
                attempt += 1
                picks = [
                    by_community[c][(attempt * (i + 1)) % len(by_community[c])]
                    for i, c in enumerate(communities[:k])
                ]
                if frozenset(picks) not in seen:
                    break
            seen.add(frozenset(picks))
            out.append(make_combination(taxonomy, picks, selector=self.name))
        return out


class ExamplePlugin:
    @steps_agents.hookimpl
    def register_selectors(self, register: Any) -> None:
        register(OnePerCommunity(), name="one-per-community")


def main(out_dir: Path = Path("example-out")) -> dict[str, tuple[float, float]]:
    out_dir.mkdir(exist_ok=True)
    graph = build_skill_graph(count_corpus(str(CORPUS), "tags"), weighting="steps")
    taxonomy = steps_agents.build_taxonomy(graph, height=3, seed=0)
    taxonomy.save(out_dir / "taxonomy.json")
    print(f"{len(taxonomy.skills)} skills, H^T {taxonomy.structural_entropy:.3f} bits")

    pm = steps_agents.get_plugin_manager(extra_plugins=(ExamplePlugin(),))
    summary = {}
    for selector in ("steps", "one-per-community"):
        combos = steps_agents.select_combinations(
            taxonomy, n=30, k=(2, 3), selector=selector, seed=0, pm=pm
        )
        gain = sum(c.gain for c in combos) / len(combos)
        depth = sum(c.lca_depth or 0 for c in combos) / len(combos)
        summary[selector] = (gain, depth)
        print(f"{selector:>18}: mean gain {gain:.3f} bits, mean LCA depth {depth:.2f}")
        print(f"{'':>18}  e.g. {', '.join(combos[0].skills)}")
    return summary


if __name__ == "__main__":
    main()
