"""Agentic samples are tool-calling training data as written (review finding 9): each carries
the OpenAI function tools its calls use and the id of its task, and a value written into a text
parameter is the text the tool stored."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from steps_agents.plugins.agentic_mode import AgenticMode
from steps_agents.plugins.formats import render_messages

from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.records import Combination
from steps_agents.registry import get_skill_world
from steps_agents.synthesis.modes import ModeContext, WorkItem, sample_fields
from steps_agents.synthesis.records import Provenance, Sample
from steps_agents.worlds import TaskSession, resolve_refs, try_compose, validate_args
from steps_agents.worlds.instructions import (
    task_trajectory,
    text_parameters,
    written_text,
)
from steps_agents.worlds.told_order import in_told_order

PM = get_plugin_manager(load_entrypoints=False)
MODE = AgenticMode()
CTX = ModeContext(pm=PM, seed=0)


def sample_line(*skills: str) -> tuple[WorkItem, dict[str, Any]]:
    """The ``messages`` output line of the template sample for ``skills``."""
    item = MODE.compose(Combination(skills=skills, k=len(skills), gain=1.0, selector="t"), CTX)
    assert isinstance(item, WorkItem), item
    draft = asyncio.run(MODE.generate(item, CTX, []))
    extras = sample_fields(MODE, item, draft)
    provenance = Provenance(
        run_id="r", mode="agentic", skills=item.skills, k=item.k, gain=1.0, selector="t",
        task_id=extras["task_id"],
    )  # fmt: skip
    sample = Sample(
        id=item.id,
        status="accepted",
        messages=tuple(MODE.to_messages(item, draft)),
        tools=tuple(extras["tools"]),
        provenance=provenance,
    )
    return item, json.loads(json.dumps(render_messages(sample)))


def assert_openai_fine_tuning_line(line: dict[str, Any]) -> None:
    """The shape of a line of OpenAI's chat fine-tuning file with function tools."""
    tools = {t["function"]["name"]: t["function"] for t in line["tools"]}
    assert all(t["type"] == "function" for t in line["tools"])
    assert all(f["parameters"]["type"] == "object" and f["description"] for f in tools.values())
    open_calls: set[str] = set()
    for message in line["messages"]:
        assert message["role"] in {"user", "assistant", "tool"}
        if message["role"] == "tool":
            assert message["tool_call_id"] in open_calls
            assert isinstance(message["content"], str)
            open_calls.discard(message["tool_call_id"])
        for call in message.get("tool_calls") or []:
            assert call["type"] == "function"
            function = call["function"]
            assert function["name"] in tools
            assert isinstance(function["arguments"], str)  # a JSON text, as the API sends it
            json.loads(function["arguments"])
            open_calls.add(call["id"])
    assert not open_calls
    assert line["messages"][-1]["role"] == "assistant"
    assert isinstance(line["messages"][-1]["content"], str)


def test_a_sample_round_trips_into_an_openai_fine_tuning_line() -> None:
    item, line = sample_line("contacts_find", "inbox_send")
    assert_openai_fine_tuning_line(line)
    task = item.payload["task"]
    assert line["metadata"]["task_id"] == task["id"]
    assert [t["function"]["name"] for t in line["tools"]] == [t["name"] for t in task["tools"]]


def test_text_parameters_carry_the_text_the_tool_stored() -> None:
    world = get_skill_world("toolworld", PM)
    item, line = sample_line("fs_list_files", "fs_write_file")
    calls = [c["function"] for m in line["messages"] for c in m.get("tool_calls") or []]
    listing, write = calls
    content = json.loads(write["arguments"])["content"]
    assert isinstance(content, str) and content.startswith("[")  # the listing, as JSON text
    # the agent's call with that string is valid and leaves the state the checker expects
    from steps_agents.worlds import Task

    task = Task.model_validate(item.payload["task"])
    spec = next(t for t in task.tools if t.name == "fs_write_file")
    assert text_parameters(spec) == {"content"}
    validate_args(spec, json.loads(write["arguments"]))
    session = TaskSession(world, task)
    session.call(listing["name"], json.loads(listing["arguments"]))
    session.call(write["name"], json.loads(write["arguments"]))
    assert session.check(line["messages"][-1]["content"]).passed


def test_written_text_is_how_the_toolworld_stores_values() -> None:
    from steps_agents.plugins.toolworld_impl.base import as_text

    for value in ["text", 17, 17.0, 39.15, 1 / 3, ["2026-03-30"], {"b": 1, "a": [2]}, True]:
        assert written_text(value) == as_text(value)
    assert written_text(17.0) == "17" and written_text(["a", "b"]) == '["a", "b"]'


def test_a_filter_value_is_no_text_parameter() -> None:
    world = get_skill_world("toolworld", PM)
    specs = {spec.name: spec for spec in world.tool_specs()}
    assert text_parameters(specs["table_filter"]) == set()
    assert text_parameters(specs["inbox_send"]) == {"body"}


def test_the_trajectory_calls_tools_in_the_order_the_instruction_states() -> None:
    world = get_skill_world("toolworld", PM)
    skills = ("calendar_get_event", "calendar_reschedule", "calendar_cancel_event", "math_divide")
    task, reason = try_compose(world, list(skills), 3)
    assert task is not None, reason
    text = task.instruction
    # "Move ... Then find out (...) divided by (...). Then cancel that event."
    assert text.index("Then find out") < text.index("Then cancel")
    plan = [step.tool for step in task.oracle]
    assert plan.index("calendar_cancel_event") < plan.index("math_divide")  # the plan's order
    moved = in_told_order(world, task)
    told = [step.tool for step in moved.oracle]
    assert told.index("math_divide") < told.index("calendar_cancel_event")
    assert sorted(told) == sorted(plan)
    # the reordered calls replay to the recorded results and pass the checker
    session = TaskSession(world, task)
    for step in moved.oracle:
        args = {
            k: resolve_refs(v, {s.id: s.result for s in moved.oracle}) for k, v in step.args.items()
        }
        assert session.call(step.tool, args) == step.result
    messages = task_trajectory(moved)
    assert session.check(messages[-1]["content"]).passed
    calls = [c["function"]["name"] for m in messages for c in m.get("tool_calls") or []]
    assert calls == told
    # an instruction that imposes no order keeps the plan as it is
    plain = task.model_copy(update={"instruction": "Do it."})
    assert in_told_order(world, plain) is plain
