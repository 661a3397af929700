"""Agents under evaluation: oracle, random, tool-calling chat models, LangGraph graphs, failures."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers_evaluation import (
    PolicyChatModel,
    calc_tasks,
    looping_policy,
    plugin_manager,
    replay_policy,
)
from steps_agents.graphs.evaluation import evaluate

from steps_agents.errors import InputError, UnknownComponentError
from steps_agents.evaluation import (
    AgentInput,
    AgentOptions,
    AgentOutput,
    ToolLoopAgent,
    resolve_agent,
)
from steps_agents.evaluation.config import EvalConfig
from steps_agents.evaluation.records import EpisodeResult


def run(tmp_path: Path, agents: dict[str, Any], **kw: Any) -> dict[tuple[str, str], EpisodeResult]:
    """Evaluate ``agents``; ``kw`` may give ``tasks``, ``pm`` and :class:`EvalConfig` fields."""
    tasks = kw.pop("tasks", calc_tasks())
    pm = kw.pop("pm", plugin_manager())
    config = EvalConfig(run_id="t", state_dir=tmp_path, **kw)
    _, episodes = evaluate(config, tasks, agents, pm=pm, progress=False)
    return {(e.agent, e.task_id): e for e in episodes}


def test_oracle_passes_every_task_and_random_almost_none(tmp_path: Path) -> None:
    pm = plugin_manager()
    agents = {
        "oracle": resolve_agent("oracle", AgentOptions(pm=pm)),
        "random": resolve_agent("random", AgentOptions(pm=pm, seed=3)),
    }
    out = run(tmp_path, agents, pm=pm, repeats=3)
    oracle = [e for (a, _), e in out.items() if a == "oracle"]
    assert oracle and all(e.passed and e.coverage == 1.0 for e in oracle)
    assert all(e.steps == e.oracle_steps for e in oracle)
    _, episodes = evaluate(
        EvalConfig(run_id="t", state_dir=tmp_path, repeats=3),
        calc_tasks(),
        agents,
        pm=pm,
        progress=False,
    )
    random_k2 = [e for e in episodes if e.agent == "random" and e.k >= 2]
    assert len(random_k2) == 12 and sum(bool(e.passed) for e in random_k2) <= 1
    assert all(e.steps > 0 for e in random_k2)  # it did try tools


def test_chat_model_making_the_oracle_calls_passes(tmp_path: Path) -> None:
    model = PolicyChatModel(policy=replay_policy(calc_tasks()))
    out = run(tmp_path, {"m": ToolLoopAgent(model)})
    assert all(e.passed and e.coverage == 1.0 and e.attribution is None for e in out.values())
    assert model.calls == sum(e.steps + 1 for e in out.values())  # one turn per call + answer


def test_chat_model_skipping_a_skill_fails_with_that_skill_named(tmp_path: Path) -> None:
    model = PolicyChatModel(policy=replay_policy(calc_tasks(), skip="mul"))
    out = run(tmp_path, {"m": ToolLoopAgent(model)})
    with_mul = [e for e in out.values() if "mul" in e.skills]
    assert with_mul and all(e.passed is False for e in with_mul)
    assert all(e.attribution == "mul" and e.failure == "checker" for e in with_mul)
    assert all("mul" not in e.covered for e in with_mul)
    without = [e for e in out.values() if "mul" not in e.skills]
    assert without and all(e.passed for e in without)


def test_model_spec_goes_through_the_model_client(tmp_path: Path) -> None:
    agent = resolve_agent(
        "model:helpers_evaluation:REPLAY_MODEL", AgentOptions(pm=plugin_manager())
    )
    out = run(tmp_path, {"model:x": agent})
    assert all(e.passed for e in out.values())


class Raises:
    name = "raises"

    async def arun(self, episode: AgentInput) -> AgentOutput:
        episode.call("add", {"a": 1, "b": 1})
        raise RuntimeError("model server exploded\nsecond line")


class Sleeps:
    name = "sleeps"

    async def arun(self, episode: AgentInput) -> AgentOutput:
        await asyncio.sleep(30)
        return AgentOutput(answer=0)


class SwallowsLimit:
    """Catches everything, including the step limit, and answers anyway."""

    name = "swallows"

    async def arun(self, episode: AgentInput) -> AgentOutput:
        for _ in range(10):
            with contextlib.suppress(Exception):
                episode.call("add", {"a": 1, "b": 1})
        return AgentOutput(answer=5)


def test_raise_timeout_and_step_limit_are_failures_with_reasons(tmp_path: Path) -> None:
    agents = {
        "raises": Raises(),
        "sleeps": Sleeps(),
        "loops": ToolLoopAgent(PolicyChatModel(policy=looping_policy)),
        "swallows": SwallowsLimit(),
        "oracle": resolve_agent("oracle", AgentOptions(pm=plugin_manager())),
    }
    out = run(tmp_path, agents, timeout=0.2, step_limit=2, concurrency=8)
    assert len(out) == 25  # every episode scored, the run went on
    for task in ("t1", "t2"):
        e = out[("raises", task)]
        assert e.failure == "agent_error" and not e.passed
        assert e.reason == "agent raised RuntimeError: model server exploded"
        assert e.steps == 1 and e.trace[0].tool == "add"
    assert all(out[("sleeps", t)].failure == "timeout" for t in ("t1", "t5"))
    assert out[("sleeps", "t1")].reason == "timed out after 0.2 s"
    loops = out[("loops", "t1")]
    assert loops.failure == "step_limit" and loops.steps == 2 and "step limit" in loops.reason
    assert out[("swallows", "t1")].failure == "step_limit"  # even though it answered 5
    # The oracle needs 3 calls on t3/t5: past a limit of 2 it fails too; t1 (1 call) passes.
    assert out[("oracle", "t1")].passed and out[("oracle", "t5")].failure == "step_limit"


GRAPH_FILE = """
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, MessagesState, StateGraph
from helpers_evaluation import PolicyChatModel, calc_tasks, replay_policy

model = PolicyChatModel(policy=replay_policy(calc_tasks()))

async def agent(state: MessagesState, config: RunnableConfig) -> dict:
    tools = config["configurable"]["tools"]
    return {"messages": [await model.bind_tools(tools).ainvoke(state["messages"])]}

def tools(state: MessagesState, config: RunnableConfig) -> dict:
    by_name = {t.name: t for t in config["configurable"]["tools"]}
    calls = state["messages"][-1].tool_calls
    return {"messages": [by_name[c["name"]].invoke(c) for c in calls]}

def route(state: MessagesState) -> str:
    return "tools" if state["messages"][-1].tool_calls else END

g = StateGraph(MessagesState)
g.add_node("agent", agent)
g.add_node("tools", tools)
g.add_edge(START, "agent")
g.add_conditional_edges("agent", route, ["tools", END])
g.add_edge("tools", "agent")
graph = g.compile()
uncompiled = g
"""


def test_langgraph_graph_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "my_agent.py"
    path.write_text(textwrap.dedent(GRAPH_FILE))
    agent = resolve_agent(f"{path}:graph")
    out = run(tmp_path, {"g": agent})
    assert all(e.passed and e.coverage == 1.0 for e in out.values()), [
        e.reason for e in out.values()
    ]
    assert resolve_agent(f"{path}:uncompiled").graph is not None  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="no attribute 'nope'"):
        resolve_agent(f"{path}:nope")
    with pytest.raises(InputError, match="does not exist"):
        resolve_agent(f"{tmp_path / 'missing.py'}:graph")


def test_unknown_agent_lists_the_registered_ones() -> None:
    with pytest.raises(UnknownComponentError, match="oracle, random"):
        resolve_agent("nobody", AgentOptions(pm=plugin_manager()))


def test_a_model_without_tool_calling_is_refused_up_front() -> None:
    with pytest.raises(InputError, match="cannot call tools"):
        resolve_agent("model:fake:echo", AgentOptions(pm=plugin_manager()))
