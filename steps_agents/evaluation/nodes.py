"""The evaluator's nodes: ``plan`` picks the next wave, ``episode`` plays, scores and records one
episode, ``summarize`` counts passes. ``graphs/evaluation.py`` wires them.

One node per episode (not a subgraph of four): LangGraph's cost is per task it schedules, and
an episode of a fast world is a fraction of a millisecond of work (benchmarks/evaluation.py).
Every node and router is a coroutine: in an async graph LangGraph runs a sync node in a worker
thread, and those thread hops cost more than the nodes' own work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Send

from steps_agents.evaluation.context import EvalContext
from steps_agents.evaluation.episode import judge_answer_of, oracle_reference, score_episode
from steps_agents.evaluation.records import ToolCallRecord
from steps_agents.evaluation.state import EpisodeState, EvalState
from steps_agents.worlds import Task


def _oracle(ctx: EvalContext, task: Any) -> list[ToolCallRecord] | None:
    if not isinstance(task, Task):
        return None
    if task.id not in ctx.oracle_cache:  # the preflight fills it; a test may skip the preflight
        ctx.oracle_cache[task.id] = oracle_reference(ctx.worlds[task.world], task)
    return ctx.oracle_cache[task.id]


async def episode(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    """Play one episode (here or in a Ray worker: ``ctx.runner``), judge a text task's answer,
    score it, and append the record to the episode log at once."""
    ctx = runtime.context
    key = state["key"]
    if key in ctx.store:  # a replayed superstep after a kill: already recorded
        return {}
    spec = ctx.spec(key)
    task = ctx.tasks[spec.task_id]
    assert ctx.runner is not None  # set by EvalContext
    async with ctx.slots:  # at most ``concurrency`` episodes play at once
        played = await ctx.runner.play(
            spec.agent, task, seed=ctx.episode_seed(spec), repeat=spec.repeat
        )
        checked = played.checked
        if checked is None:  # a text task: the judge model, in the driver
            checked = await judge_answer_of(task, played.run, ctx.judge)
    result = score_episode(
        run_id=ctx.run_id,
        agent=spec.agent,
        repeat=spec.repeat,
        task=task,
        played=played,
        checked=checked,
        oracle=_oracle(ctx, task),
    )
    ctx.store.append(result)
    if ctx.progress is not None:
        ctx.progress.update(1)
    return {}


async def plan(state: EvalState) -> dict[str, Any]:
    return {"wave": state.get("wave", 0) + 1}


async def route_wave(state: EvalState, runtime: Runtime[EvalContext]) -> Sequence[Send] | str:
    """The next wave as ``Send`` s, or ``summarize`` when every episode is recorded."""
    ctx = runtime.context
    wave = ctx.next_wave()
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
