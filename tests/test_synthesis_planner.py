"""The planner's arithmetic: acceptance estimates and per-k wave plans."""

from __future__ import annotations

import asyncio
import math
from types import SimpleNamespace
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents.synthesis.counters import merge_stats, outcome_stats
from steps_agents.synthesis.planner import (
    _largest_remainder,
    acceptance_rates,
    plan_wave,
    planner,
)


def test_acceptance_rates_follow_the_prior_then_the_record() -> None:
    fresh = acceptance_rates({}, [2, 3])
    assert fresh == {2: 0.75, 3: 0.75}  # Beta(3, 1) prior mean
    stats = {
        "accepted": 10,
        "rejected": 30,
        "by_k": {"2": {"accepted": 10, "rejected": 0}, "3": {"rejected": 30}},
    }
    rates = acceptance_rates(stats, [2, 3, 4])
    pooled = 13 / 44
    assert rates[2] == (10 + 2 * pooled) / 12
    assert rates[3] == (2 * pooled) / 32
    assert rates[4] == pooled  # no observations: the pooled rate
    assert rates[2] > rates[4] > rates[3]


def _wave(**changes: Any) -> dict[int, int]:
    """``plan_wave`` for k = 2, 3, a target of 100, waves of 64, no budget, unless ``changes``."""
    args: dict[str, Any] = {
        "target": 100,
        "stats": {},
        "ks": [2, 3],
        "k_weights": None,
        "wave_size": 64,
        "budget_left": None,
        "calls_per_item": 1,
    }
    return plan_wave(**(args | changes))


def test_a_k_that_is_often_rejected_gets_more_starts() -> None:
    stats = {
        "accepted": 20,
        "rejected": 20,
        "by_k": {"2": {"accepted": 15, "rejected": 0}, "3": {"accepted": 5, "rejected": 20}},
    }
    plan = _wave(target=40, stats=stats, wave_size=1000, calls_per_item=1.0)
    assert plan[3] > plan[2] > 0


def test_plan_respects_target_wave_size_budget_and_weights() -> None:
    assert _wave(target=5, stats={"accepted": 5}, ks=[2], wave_size=10) == {}
    assert sum(_wave(wave_size=16).values()) == 16
    assert sum(_wave(budget_left=9, calls_per_item=3).values()) == 3
    only_three = _wave(target=10, ks=[2, 3, 4], k_weights={3: 1.0})
    assert set(only_three) == {3}
    # First wave, prior 0.75: ceil(12 / 0.75) = 16 starts, split evenly over k.
    assert _wave(target=12) == {2: 8, 3: 8}


@settings(max_examples=40, deadline=None)
@given(
    shares=st.dictionaries(st.integers(1, 9), st.floats(0, 100), min_size=1, max_size=6),
    total=st.integers(0, 500),
)
def test_largest_remainder_sums_exactly(shares: dict[int, float], total: int) -> None:
    out = _largest_remainder(shares, total)
    if sum(shares.values()) > 0:
        assert sum(out.values()) == total
        mass = sum(shares.values())
        for k, v in out.items():
            assert abs(v - total * shares[k] / mass) < 1 + 1e-9
    else:
        assert sum(out.values()) == 0


def test_stats_merge_sums_nested_counters() -> None:
    total = merge_stats(
        outcome_stats("accepted", 3, revisions=1), outcome_stats("rejected", 3, "language")
    )
    total = merge_stats(total, {"finished": 2})
    assert total == {
        "accepted": 1,
        "rejected": 1,
        "revisions": 1,
        "finished": 2,
        "by_k": {"3": {"accepted": 1, "rejected": 1}},
        "reasons": {"language": 1},
    }


def test_a_k_that_never_passes_hands_its_share_to_the_others() -> None:
    stats = {
        "accepted": 6,
        "rejected": 40,
        "by_k": {"2": {"accepted": 3}, "3": {"accepted": 3}, "4": {"rejected": 40}},
    }
    plan = _wave(target=12, stats=stats, ks=[2, 3, 4], calls_per_item=1.0)
    assert plan.get(4, 0) == 0 and plan[2] > 0 and plan[3] > 0


def test_items_in_flight_count_as_expected_acceptances_and_committed_calls() -> None:
    stats = {"accepted": 40, "rejected": 0}
    p = 43 / 44  # pooled Beta(3, 1) estimate
    one_k = {"stats": stats, "ks": [2], "wave_size": 1000}
    plan = _wave(**one_k, pending=50)
    assert sum(plan.values()) == math.ceil((100 - 40 - p * 50) / p)
    assert _wave(**one_k, pending=70) == {}
    budgeted = _wave(**one_k, budget_left=60, pending=50)
    assert sum(budgeted.values()) == 10


def _planner_runtime(n: int, ks: tuple[int, ...]) -> Any:
    budget = SimpleNamespace(spent=lambda: 0, remaining=lambda: None, exhausted=lambda: False)
    config = SimpleNamespace(n=n, ks=ks, k_weights=None, effective_wave_size=8)
    return SimpleNamespace(context=SimpleNamespace(config=config, budget=budget, failure=None))


def test_dry_waves_close_their_k_and_the_others_take_its_share() -> None:
    """The quickstart case: k=7 composed 9 of its 10 and then two waves that asked only for k=7
    composed nothing. The planner closes k=7 and plans the last sample for another k instead of
    stopping at 69/70 ("no more combinations")."""
    by_k = {str(k): {"planned": 10, "composed": 10, "accepted": 10, "finished": 10} for k in (1, 2)}
    by_k["7"] = {"planned": 14, "composed": 9, "accepted": 9, "finished": 9, "dropped": 5}
    stats = {"planned": 34, "accepted": 29, "finished": 29, "dropped": 5, "by_k": by_k}
    state = {"stats": stats, "dry_waves": 2, "plan": {"7": 2}, "wave": 9}
    out = asyncio.run(planner(cast(Any, state), _planner_runtime(30, (1, 2, 7))))
    assert out["action"] == "compose"
    assert out["quotas"] == {"1": 11, "2": 10, "7": 9}
    assert set(out["plan"]) == {"1"}  # starts, at the expected acceptance rate
    assert out["stats"]["by_k"]["7"] == {"exhausted": 1}
    # Closing the dry k would leave none open: the run stops, as before.
    by_k_all = {k: {**c, "exhausted": 1} for k, c in by_k.items() if k != "7"}
    state_all = {**state, "stats": {**stats, "by_k": {**by_k_all, "7": by_k["7"]}}}
    out = asyncio.run(planner(cast(Any, state_all), _planner_runtime(30, (1, 2, 7))))
    assert out["action"] == "stop" and out["stop_reason"] == "no more combinations"
