"""select_combinations and the built-in selectors, used through the plugin registry."""

from __future__ import annotations

from collections import Counter

import pytest
from helpers_selection import allowed_region

import steps_agents
from steps_agents.errors import InputError, StepsError, UnknownComponentError
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.records import Combination
from steps_agents.registry import available
from steps_agents.selection import (
    SelectionRequest,
    Selector,
    make_combination,
    select_combinations,
    set_information,
)
from steps_agents.selection.synthetic import random_taxonomy

TAX = random_taxonomy(150, height=3, seed=11)


def test_builtin_selectors_are_registered() -> None:
    assert {"steps", "unconstrained", "longtail", "random", "random-coherent"} <= set(
        available("selector")
    )


@pytest.mark.parametrize("name", ["steps", "unconstrained", "random", "random-coherent"])
def test_contract_unique_deterministic_k_mix_and_recomputed_gain(name: str) -> None:
    combos = select_combinations(
        TAX, n=60, k=[2, 3, 5], k_weights=[1, 1, 2], selector=name, beam=20, seed=3
    )
    assert len(combos) == 60 and len({c.key() for c in combos}) == 60
    assert Counter(c.k for c in combos) == {2: 15, 3: 15, 5: 30}
    for c in combos:
        assert c.selector == name and len(c.skills) == c.k == len(set(c.skills))
        assert c.gain == pytest.approx(set_information(TAX, c.skills), abs=1e-12)
        assert [p[-1] for p in c.paths] == [TAX.leaf(s) for s in c.skills]
        assert c.lca == TAX.lca(c.skills) and c.lca_depth == TAX.depth[c.lca]
        assert c.extra["path_labels"][0][-1] == c.skills[0]
    again = select_combinations(
        TAX, n=60, k=[2, 3, 5], k_weights=[1, 1, 2], selector=name, beam=20, seed=3
    )
    assert again == combos


def test_steps_records_respect_the_widening_rule_and_start_at_the_seed() -> None:
    combos = select_combinations(TAX, n=80, selector="steps", beam=10)
    for c in combos:
        assert c.skills[0] == c.seed_skill
        region = None
        for t in range(1, c.k):
            region = allowed_region(TAX, c.skills[0], t, region, set(c.skills[:t]))
            assert region is not None and c.skills[t] in TAX.subtree_skills(region)


def test_round_robin_uses_every_seed_once_before_repeating() -> None:
    combos = select_combinations(TAX, n=len(TAX.skills) + 20, k=[3], selector="steps", beam=10)
    seeds = [c.seed_skill for c in combos]
    assert len(set(seeds[: len(TAX.skills)])) == len(TAX.skills)


def test_explicit_seeds_and_exclude() -> None:
    first = select_combinations(TAX, n=4, k=[4], seeds=["s00001", "s00100"], beam=10)
    assert {c.seed_skill for c in first} == {"s00001", "s00100"}
    second = select_combinations(
        TAX, n=4, k=[4], seeds=["s00001", "s00100"], beam=50, exclude=[c.key() for c in first]
    )
    assert not {c.key() for c in first} & {c.key() for c in second}
    with pytest.raises(InputError, match="not in the taxonomy"):
        select_combinations(TAX, n=1, k=[2], seeds=["nope"])


def test_steps_beats_random_under_the_same_rule_in_mean_gain() -> None:
    steps = select_combinations(TAX, n=120, selector="steps", beam=20)
    rnd = select_combinations(TAX, n=120, selector="random-coherent")
    unc = select_combinations(TAX, n=120, selector="unconstrained", beam=20)
    mean = lambda cs: sum(c.gain for c in cs) / len(cs)  # noqa: E731
    assert mean(steps) > mean(rnd)
    assert mean(unc) > mean(steps)


def test_rare_seed_sampling_prefers_rare_skills() -> None:
    combos = select_combinations(TAX, n=200, k=[2], selector="steps", beam=10, seed_sampling="rare")
    counts = [TAX.skill_count(c.seed_skill) or 0 for c in combos]  # type: ignore[arg-type]
    everyone = [TAX.skill_count(s) or 0 for s in TAX.skills]
    assert sum(counts) / len(counts) < sum(everyone) / len(everyone)


def test_longtail_skips_sets_the_corpus_holds() -> None:
    steps = select_combinations(TAX, n=30, k=[2, 3], selector="steps", beam=10)
    counts = Counter({c.key(): 3 for c in steps[:15]})
    tail = select_combinations(
        TAX, n=30, k=[2, 3], selector="longtail", beam=10, corpus_counts=counts
    )
    assert all(counts.get(c.key(), 0) == 0 for c in tail)
    assert all(c.corpus_count == 0 for c in tail)
    # A higher threshold lets sets seen fewer times back in.
    loose = select_combinations(
        TAX,
        n=30,
        k=[2, 3],
        selector="longtail",
        beam=10,
        corpus_counts=counts,
        options={"longtail_threshold": 4},
    )
    assert [c.key() for c in loose] == [c.key() for c in steps]
    with pytest.raises(InputError, match="--corpus"):
        select_combinations(TAX, n=3, selector="longtail")


def test_impossible_requests_fail_with_one_line() -> None:
    small = random_taxonomy(6, height=1, seed=0)
    with pytest.raises(InputError, match="exceeds"):
        select_combinations(small, n=1, k=[9])
    with pytest.raises(InputError, match="unique"):
        select_combinations(small, n=40, k=[2], selector="unconstrained", beam=100)
    with pytest.raises(UnknownComponentError, match="available"):
        select_combinations(small, n=1, k=[2], selector="nope")


class _FirstSkills:
    """A third-party selector: the first k skills in name order, rotated."""

    name = "first"

    def select(
        self, taxonomy: steps_agents.Taxonomy, request: SelectionRequest
    ) -> list[Combination]:
        names = sorted(taxonomy.skills)
        return [
            make_combination(
                taxonomy, [names[(i + j) % len(names)] for j in range(k)], selector=self.name
            )
            for i, k in enumerate(request.k_plan)
        ]


class _Plugin:
    @steps_agents.hookimpl
    def register_selectors(self, register):  # type: ignore[no-untyped-def]
        register(_FirstSkills(), name="first")


def test_a_plugin_selector_is_chosen_by_name_and_checked() -> None:
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(_Plugin(),))
    assert isinstance(_FirstSkills(), Selector)
    combos = select_combinations(TAX, n=4, k=[2], selector="first", pm=pm)
    assert [c.skills for c in combos][0] == tuple(sorted(TAX.skills)[:2])
    # The host checks the contract: duplicates from a plugin are an error, not silent output.
    with pytest.raises(StepsError, match="duplicate"):
        select_combinations(TAX, n=len(TAX.skills) + 1, k=[2], selector="first", pm=pm)
