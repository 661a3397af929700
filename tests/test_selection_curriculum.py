"""k parsing, k plans and the curriculum schedule (spec section 5)."""

from __future__ import annotations

from collections import Counter

import pytest

from steps_agents.errors import InputError
from steps_agents.selection import (
    SPEC_SCHEDULE,
    apportion,
    curriculum_k_weights,
    curriculum_schedule,
    k_plan,
    order_by_curriculum,
    parse_k,
    parse_k_weights,
)


def test_default_schedule_is_the_spec_table() -> None:
    rows = curriculum_schedule()
    assert len(rows) == 3
    for row, spec in zip(rows, SPEC_SCHEDULE, strict=True):
        assert list(row) == [2, 3, 4, 5, 6, 7]
        assert list(row.values()) == pytest.approx(list(spec))
    assert rows[0][2] == pytest.approx(0.60) and rows[2][7] == pytest.approx(0.12)


@pytest.mark.parametrize("epochs", [1, 2, 5])
def test_other_epoch_counts_interpolate_and_sum_to_one(epochs: int) -> None:
    rows = curriculum_schedule(epochs)
    assert len(rows) == epochs
    assert all(sum(r.values()) == pytest.approx(1.0) for r in rows)
    if epochs > 1:
        assert rows[0][2] == pytest.approx(0.60) and rows[-1][2] == pytest.approx(0.20)
        assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)  # easy first


def test_apportion_and_k_plan() -> None:
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(apportion(4000, curriculum_k_weights())) == 4000
    plan = k_plan(100, [2, 3, 4], [0.5, 0.25, 0.25], seed=1)
    assert Counter(plan) == {2: 50, 3: 25, 4: 25}
    assert plan == k_plan(100, [2, 3, 4], [0.5, 0.25, 0.25], seed=1)
    assert plan != sorted(plan)  # interleaved, not blocked
    with pytest.raises(InputError):
        k_plan(5, [2, 3], [1.0])


def test_order_by_curriculum_uses_every_item_once_with_the_spec_shares() -> None:
    weights = curriculum_k_weights()
    items = [
        k for k, c in zip(range(2, 8), apportion(3000, weights), strict=True) for _ in range(c)
    ]
    ordered = order_by_curriculum(items, key=lambda k: k)
    assert sorted(x for _, x in ordered) == sorted(items)
    epochs = [e for e, _ in ordered]
    assert epochs == sorted(epochs)
    for e, row in enumerate(curriculum_schedule(), start=1):
        ks = Counter(k for ep, k in ordered if ep == e)
        total = sum(ks.values())
        assert total == pytest.approx(1000, abs=6)
        for k, share in row.items():
            assert ks[k] / total == pytest.approx(share, abs=0.01)


def test_parse_k_and_weights() -> None:
    assert parse_k("2-7") == [2, 3, 4, 5, 6, 7]
    assert parse_k("2,3,5") == [2, 3, 5]
    assert parse_k("2-3,6") == [2, 3, 6]
    for bad in ("", "x", "7-2", "0,1", "2,2"):
        with pytest.raises(InputError, match="--k"):
            parse_k(bad)
    assert parse_k_weights("1,2", [2, 3]) == [1.0, 2.0]
    for bad in ("1", "a,b", "-1,2", "0,0"):
        with pytest.raises(InputError, match="--k-weights"):
            parse_k_weights(bad, [2, 3])
