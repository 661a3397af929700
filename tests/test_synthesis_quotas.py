"""Per-k quotas (exact accepted count per k) and the short categories of uncomposable reasons."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from helpers_synthesis import SynthFakeModel, read_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st
from steps_agents.graphs.synthesis import run_synthesis

import steps_agents
from steps_agents.fileformats import UNCOMPOSABLE_SCHEMA
from steps_agents.models import ModelClient, ModelOptions
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.records import Combination, Verdict
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.composer import reason_tag
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.modes import Uncomposable
from steps_agents.synthesis.planner import closed_ks, k_quotas


def _client(tmp_path: Path) -> ModelClient:
    return ModelClient.from_model(
        SynthFakeModel(),
        options=ModelOptions(backoff=0.0),
        spec="fake-synth",
        cache_path=tmp_path / "c.sqlite",
    )


def test_a_run_ends_with_exactly_its_quota_per_k(tmp_path: Path) -> None:
    config = SynthConfig(
        n=12, k=(1, 4), output=tmp_path / "out.jsonl", run_id="q", judges=["format"]
    )
    report = run_synthesis(
        config,
        model=_client(tmp_path),
        taxonomy=random_taxonomy(24, height=2, seed=3),
        progress=False,
    )
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert report.accepted == len(rows) == 12
    assert Counter(r["metadata"]["k"] for r in rows) == {1: 3, 2: 3, 3: 3, 4: 3}
    assert {k: c["accepted"] for k, c in report.by_k.items()} == {str(k): 3 for k in (1, 2, 3, 4)}


def test_quotas_follow_the_weights_exactly() -> None:
    assert k_quotas(12, [1, 2, 3, 4], None, {}) == {1: 3, 2: 3, 3: 3, 4: 3}
    assert k_quotas(140, list(range(1, 8)), None, {}) == {k: 20 for k in range(1, 8)}
    assert k_quotas(10, [2, 3, 4], {2: 1.0, 3: 1.0, 4: 2.0}, {}) == {2: 3, 3: 2, 4: 5} or (
        k_quotas(10, [2, 3, 4], {2: 1.0, 3: 1.0, 4: 2.0}, {}) == {2: 2, 3: 3, 4: 5}
    )


def test_a_failing_k_keeps_what_it_has_and_hands_the_rest_on() -> None:
    # k=3 failed 40 times with 1 pass: its estimated rate is far below the floor.
    stats = {
        "accepted": 11,
        "rejected": 40,
        "by_k": {"2": {"accepted": 10}, "3": {"accepted": 1, "rejected": 40}},
    }
    assert closed_ks(stats, [2, 3, 4]) == {3}
    quotas = k_quotas(30, [2, 3, 4], None, stats)
    assert quotas[3] == 1
    assert sum(quotas.values()) == 30
    assert quotas == {2: 15, 3: 1, 4: 14} or quotas == {2: 14, 3: 1, 4: 15}
    # An exhausted k (the composer found no new combination) is closed the same way.
    assert closed_ks({"by_k": {"4": {"exhausted": 1}}}, [2, 3, 4]) == {4}
    # A k whose combinations almost never compose (1 of 25) is closed; 5 of 25 is not.
    rarely = {"by_k": {"3": {"composed": 1, "uncomposable": 59}}}
    assert closed_ks(rarely, [2, 3]) == {3}
    # 2 of 24 is no evidence of a rate below 10% (its 95% upper bound is 22%): still open.
    maybe = {"by_k": {"3": {"composed": 2, "uncomposable": 22}}}
    assert closed_ks(maybe, [2, 3]) == set()
    never = {"by_k": {"3": {"composed": 0, "uncomposable": 25}}}
    assert closed_ks(never, [2, 3]) == {3}
    assert closed_ks({"by_k": {"3": {"composed": 5, "uncomposable": 20}}}, [2, 3]) == set()
    # Nobody to hand to: when every k is closed, none is.
    assert closed_ks({"by_k": {"2": {"exhausted": 1}}}, [2]) == set()


@settings(max_examples=50, deadline=None)
@given(
    target=st.integers(0, 300),
    accepted=st.lists(st.integers(0, 40), min_size=1, max_size=6),
    weights=st.lists(st.floats(0, 5), min_size=6, max_size=6),
    exhausted=st.sets(st.integers(0, 5)),
)
def test_quotas_sum_to_the_target_and_never_undercut_accepted(
    target: int, accepted: list[int], weights: list[float], exhausted: set[int]
) -> None:
    ks = list(range(1, len(accepted) + 1))
    if sum(accepted) > target:  # the writer never accepts more than the target
        return
    by_k: dict[str, Mapping[str, int]] = {
        str(k): {"accepted": a, "exhausted": int(k - 1 in exhausted)}
        for k, a in zip(ks, accepted, strict=False)
    }
    stats = {"accepted": sum(accepted), "by_k": by_k}
    quotas = k_quotas(target, ks, dict(zip(ks, weights, strict=False)), stats)
    assert sum(quotas.values()) == target
    assert all(quotas[k] >= a for k, a in zip(ks, accepted, strict=False))


def test_uncomposable_reasons_are_counted_by_category(tmp_path: Path) -> None:
    assert reason_tag(Uncomposable(skills=("a_b", "c"), reason="no seed example: a_b")) == (
        "no seed example"
    )
    long = "cannot compose inventory_price, inventory_stock: types do not join (3 parts)"
    assert reason_tag(Uncomposable(skills=("inventory_price", "inventory_stock"), reason=long)) == (
        "cannot compose"
    )
    assert reason_tag(Uncomposable(skills=("x",), reason="whatever: x", tag="my tag")) == "my tag"

    class HalfComposable:
        """Instruct-like mode that cannot compose any combination holding an odd-numbered leaf."""

        name = "half"
        needs_model = False

        def compose(self, combination: Combination, ctx: Any) -> Any:
            from steps_agents.synthesis.modes import WorkItem, item_id

            odd = sorted(s for s in combination.skills if int(s.rsplit("_", 1)[-1], 36) % 2)
            if odd:
                return Uncomposable(
                    skills=combination.skills, reason=f"cannot compose {', '.join(odd)}: odd"
                )
            return WorkItem(
                id=item_id(self.name, combination.skills), mode=self.name, combination=combination
            )

        async def generate(self, item: Any, ctx: Any, feedback: Any) -> dict[str, Any]:
            return {"text": " ".join(item.skills)}

        def check(self, item: Any, draft: Any, ctx: Any) -> list[Verdict]:
            return [Verdict(judge="half", passed=True, reason="ok")]

        def to_messages(self, item: Any, draft: Any) -> list[dict[str, Any]]:
            return [
                {"role": "user", "content": "please " + draft["text"]},
                {"role": "assistant", "content": "done: " + draft["text"]},
            ]

    class Plugin:
        @steps_agents.hookimpl
        def register_synthesis_modes(self, register: Any) -> None:
            register(HalfComposable(), name="half")

    pm = get_plugin_manager()
    pm.register(Plugin())
    config = SynthConfig(
        n=6, k=(2, 2), mode="half", output=tmp_path / "o.jsonl", run_id="u", judges=["format"]
    )
    report = run_synthesis(
        config, pm=pm, taxonomy=random_taxonomy(30, height=2, seed=1), progress=False
    )
    assert report.uncomposable > 0
    uncomposable_rows = [r for r in report.rejection_reasons if r.startswith("uncomposable")]
    assert uncomposable_rows == ["uncomposable: cannot compose"]
    assert report.rejection_reasons["uncomposable: cannot compose"] == report.uncomposable
    log = [json.loads(line) for line in config.uncomposable_path.read_text().splitlines()]
    assert len(log) == report.uncomposable
    assert all(r["tag"] == "cannot compose" and r["reason"].endswith(": odd") for r in log)
    assert all(r["run_id"] == "u" and r["k"] == 2 and len(r["skills"]) == 2 for r in log)
    assert all(next(iter(r)) == "schema" and r["schema"] == UNCOMPOSABLE_SCHEMA for r in log)


def test_a_k_with_enough_in_flight_gets_no_more_starts() -> None:
    from steps_agents.synthesis.planner import pending_by_k, plan_wave

    stats = {
        "accepted": 20,
        "by_k": {
            "2": {"accepted": 10, "planned": 30, "finished": 10},  # 20 in flight: enough
            "3": {"accepted": 10, "planned": 10, "finished": 10},  # none in flight
        },
    }
    pending = pending_by_k(stats, [2, 3])
    assert pending == {2: 20, 3: 0}
    plan = plan_wave(
        target=60,
        stats=stats,
        ks=[2, 3],
        k_weights=None,
        wave_size=64,
        budget_left=None,
        calls_per_item=1.0,
        pending=20,
        pending_by_k=pending,
    )
    assert set(plan) == {3} and plan[3] >= 20
