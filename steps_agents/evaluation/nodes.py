"""The evaluator's nodes: ``plan`` picks the next wave, ``wave`` plays it, ``summarize`` counts
passes. ``graphs/evaluation.py`` wires them.

A wave is one node whose episodes are asyncio tasks (at most ``concurrency`` playing at once),
not a ``Send`` per episode: LangGraph's cost is per task it schedules, about 0.3 ms of CPU,
while an episode of a fast world is a fraction of a millisecond of work
(benchmarks/evaluation.py). Each episode is played, judged, scored and appended to the episode
log on its own as it finishes, so the wave is no barrier for durability: a kill loses only the
episodes in flight.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from langgraph.runtime import Runtime

from steps_agents.evaluation.context import EvalContext
from steps_agents.evaluation.episode import judge_answer_of, oracle_reference, score_episode
from steps_agents.evaluation.records import ToolCallRecord
from steps_agents.evaluation.state import EvalState
from steps_agents.worlds import Task


def _oracle(ctx: EvalContext, task: Any) -> list[ToolCallRecord] | None:
    if not isinstance(task, Task):
        return None
    if task.id not in ctx.oracle_cache:  # the preflight fills it; a test may skip the preflight
        ctx.oracle_cache[task.id] = oracle_reference(ctx.worlds[task.world], task)
    return ctx.oracle_cache[task.id]


async def play_episode(ctx: EvalContext, key: str) -> None:
    """Play one episode (here or in a Ray worker: ``ctx.runner``), judge a text task's answer,
    score it, and append the record to the episode log at once."""
    if key in ctx.store:  # a wave LangGraph replays after a stop: already recorded
        return
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


async def plan(state: EvalState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    """The next wave: up to ``wave_size`` episodes the store does not hold, in schedule order."""
    return {"wave": state.get("wave", 0) + 1, "keys": runtime.context.next_wave()}


async def route_wave(state: EvalState) -> Literal["wave", "summarize"]:
    return "wave" if state.get("keys") else "summarize"


async def wave(state: EvalState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    """Every episode of the wave as an asyncio task. The first failure that stops the run
    (Ctrl-C, a model outage: see ``run_agent``) cancels the others and is awaited with them,
    so no episode is left running or unawaited."""
    ctx = runtime.context
    running = [asyncio.ensure_future(play_episode(ctx, key)) for key in state.get("keys", [])]
    try:
        await asyncio.gather(*running)
    except BaseException:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    return {}


async def summarize(state: EvalState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    ctx = runtime.context
    summary: dict[str, dict[str, int]] = {}
    for result in ctx.store.results.values():
        row = summary.setdefault(result.agent, {"episodes": 0, "passed": 0})
        row["episodes"] += 1
        row["passed"] += int(bool(result.passed))
    return {"summary": summary}
