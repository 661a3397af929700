"""Composition and task text: exact skills, required values, state diffs, failures with reasons."""

from __future__ import annotations

import json
import random

import pytest
from steps_agents.plugins.toolworld_impl import ToolWorld

from steps_agents.worlds import CompositionError, check, run_oracle, to_skillbench, try_compose
from steps_agents.worlds.compose import compose_task, data_flows, state_diff
from steps_agents.worlds.flows import plan_flows
from steps_agents.worlds.instructions import (
    describe_ref,
    format_literal,
    instruction_mentions_required_values,
    missing_required_values,
    required_values,
    task_trajectory,
)

WORLD = ToolWorld()


def test_describe_ref_and_literals() -> None:
    order = {"s1": 1, "s2": 2}
    assert describe_ref("s2", order) == "the result of step 2"
    assert describe_ref("s2.total", order) == "the total from step 2"
    assert describe_ref("s1.0.sku", order) == "the sku of the first item from step 1"
    assert describe_ref("s1.0.from", order) == "the sender of the first item from step 1"
    assert format_literal("a.txt") == '"a.txt"' and format_literal(2.0) == "2"
    assert format_literal(0.25) == "0.25" and '"""' in format_literal("a\nb")


def test_required_values_are_literals_and_multi_part_keys() -> None:
    task = compose_task(WORLD, ["fs_read_file", "text_extract_numbers", "stats_mean"], 11)
    values = required_values(task)
    literals = [v for s in task.oracle for v in s.args.values() if not isinstance(v, dict | list)]
    assert all(v in values for v in literals)
    assert instruction_mentions_required_values(task)
    # drop a required value from the instruction: the check names it
    victim = next(v for v in values if isinstance(v, str))
    damaged = task.instruction.replace(victim, "the file")
    assert victim in missing_required_values(task, damaged)
    assert not instruction_mentions_required_values(task, damaged)


def test_multi_part_answer_keys_must_be_stated() -> None:
    rng = random.Random(3)
    names = sorted(s.name for s in WORLD.tool_specs())
    for _ in range(300):
        task, _ = try_compose(WORLD, rng.sample(names, 5), rng.randrange(1 << 20))
        if task is not None and len(task.checker.answer) > 1:
            break
    else:
        pytest.fail("no multi-part task found")
    keys = [p.key for p in task.checker.answer]
    assert all(k in required_values(task) for k in keys)
    answer, state, _ = run_oracle(WORLD, task)
    assert isinstance(answer, dict) and set(answer) == set(keys)
    assert check(task, json.dumps(answer), state).passed
    partial = {keys[0]: answer[keys[0]]}
    outcome = check(task, partial, state)
    assert not outcome.passed and "missing" in outcome.reason


def test_state_checks_come_from_the_state_diff() -> None:
    task = compose_task(WORLD, ["inventory_low_stock", "inventory_restock"], 4)
    paths = [c.path for c in task.checker.state]
    assert any(p[0] == "inventory" and p[-1] == "stock" for p in paths)
    answer, state, _ = run_oracle(WORLD, task)
    assert check(task, answer, state).passed
    # an agent that answers right but never restocks fails on the state
    assert not check(task, answer, task.initial_state).passed
    assert state_diff({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}, "d": [1]})[0][0] == ("a", "c")


def test_deleted_paths_are_checked_as_absent() -> None:
    task = compose_task(WORLD, ["fs_search_files", "fs_delete_file"], 9)
    absent = [c for c in task.checker.state if c.absent]
    assert absent and absent[0].path[0] == "fs"
    answer, state, _ = run_oracle(WORLD, task)
    assert check(task, answer, state).passed
    assert not check(task, answer, task.initial_state).passed


def test_uncomposable_combinations_say_why() -> None:
    with pytest.raises(CompositionError, match="do not join them into one data flow"):
        compose_task(WORLD, ["inbox_count_unread", "table_list_tables"], 0)
    task, reason = try_compose(WORLD, ["inbox_count_unread", "table_list_tables"], 0)
    assert task is None and "cannot compose inbox_count_unread, table_list_tables" in reason
    with pytest.raises(CompositionError, match="no tool 'nope'"):
        compose_task(WORLD, ["nope"], 0)
    with pytest.raises(CompositionError, match="empty"):
        compose_task(WORLD, [], 0)


def test_flow_plans_respect_types_and_ports() -> None:
    specs = {s.name: s for s in WORLD.tool_specs()}
    skills = ["fs_read_file", "text_extract_numbers", "stats_mean", "math_round"]
    best, plans = plan_flows(skills, specs, WORLD.type_rules, random.Random(0))
    assert best == 1 and plans
    for plan in plans:
        assert sorted(plan.order) == sorted(skills)
        position = {t: i for i, t in enumerate(plan.order)}
        for tool, feeds in plan.feeds:
            for port, source in feeds:
                assert position[source] < position[tool] and port in specs[tool].ports


def test_trajectory_and_skillbench_export() -> None:
    task = compose_task(WORLD, ["orders_list", "orders_total", "units_currency"], 2)
    messages = task_trajectory(task)
    calls = [c["function"]["name"] for m in messages for c in m.get("tool_calls") or []]
    assert sorted(calls) == sorted(task.skills) and messages[0]["content"] == task.instruction
    assert messages[-1]["role"] == "assistant" and messages[-1]["content"]
    record = to_skillbench(task)
    assert record["label"]["ability"] == task.skills and len(record["content"]) == 2
    assert len(data_flows(task)) == 1
