"""The evaluator's nodes: one episode is build_state -> run_agent -> check -> score; the run
plans waves of episodes and summarizes. ``graphs/evaluation.py`` wires them.

Every node and router is a coroutine: in an async graph LangGraph runs a sync node in a worker
thread, and those thread hops cost more than the nodes' own work (benchmarks/evaluation.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Send

from steps_agents.evaluation.context import EvalContext
from steps_agents.evaluation.episode import (
    agent_input,
    build_env,
    check_answer,
    judge_answer_of,
    oracle_reference,
    run_agent,
    score_episode,
)
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.state import EpisodeState, EvalState
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.worlds import Task

# ---------------------------------------------------------------------------------------------
# One episode
# ---------------------------------------------------------------------------------------------


async def build_state(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    ctx = runtime.context
    key = state["key"]
    if key in ctx.store:  # a replayed superstep after a kill: already recorded
        return {"skip": True}
    task = ctx.tasks[ctx.spec(key).task_id]
    world = ctx.worlds.get(task.world) if isinstance(task, Task) else None
    return {"skip": False, "env": build_env(task, world, ctx.step_limit)}


async def route_built(state: EpisodeState) -> Literal["run_agent", "__end__"]:
    return "__end__" if state.get("skip") else "run_agent"


async def run_agent_node(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    ctx = runtime.context
    spec = ctx.spec(state["key"])
    env = state["env"]
    world = ctx.worlds.get(env.task.world) if isinstance(env.task, Task) else None
    inp = agent_input(env, seed=ctx.episode_seed(spec), repeat=spec.repeat, world=world)
    run = await run_agent(ctx.agents[spec.agent], inp, env, ctx.timeout)
    return {"run": run}


async def check(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    """The deterministic checker for executable tasks; the judge model for text tasks."""
    env, run = state["env"], state["run"]
    if isinstance(env.task, TextTask):
        return {"checked": await judge_answer_of(env, run, runtime.context.judge)}
    return {"checked": check_answer(env, run)}


async def score(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    """Coverage, attribution and steps vs the oracle; the record goes to the JSONL at once."""
    ctx = runtime.context
    spec = ctx.spec(state["key"])
    env = state["env"]
    oracle = None
    if isinstance(env.task, Task):
        if env.task.id not in ctx.oracle_cache:
            ctx.oracle_cache[env.task.id] = oracle_reference(ctx.worlds[env.task.world], env.task)
        oracle = ctx.oracle_cache[env.task.id]
    result: EpisodeResult = score_episode(
        run_id=ctx.run_id,
        agent=spec.agent,
        repeat=spec.repeat,
        env=env,
        run=state["run"],
        checked=state["checked"],
        oracle=oracle,
    )
    ctx.store.append(result)
    if ctx.progress is not None:
        ctx.progress.update(1)
    return {"finished": 1}


# ---------------------------------------------------------------------------------------------
# The run: waves of episodes
# ---------------------------------------------------------------------------------------------


async def plan(state: EvalState) -> dict[str, Any]:
    return {"wave": state.get("wave", 0) + 1}


async def route_wave(state: EvalState, runtime: Runtime[EvalContext]) -> Sequence[Send] | str:
    """The next wave as ``Send`` s, or ``summarize`` when every episode is recorded."""
    ctx = runtime.context
    wave = ctx.remaining()[: ctx.wave_size]
    if not wave:
        return "summarize"
    return [Send("episode", {"key": key}) for key in wave]


async def summarize(state: EvalState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    ctx = runtime.context
    summary: dict[str, dict[str, int]] = {}
    for result in ctx.store.results.values():
        row = summary.setdefault(result.agent, {"episodes": 0, "passed": 0})
        row["episodes"] += 1
        row["passed"] += int(bool(result.passed))
    return {"summary": summary}
