"""The evaluator graph: every (agent, task, repeat) episode played, scored and recorded.

::

    plan --> wave --> plan ... --> summarize

``plan`` picks the next *wave*: at most ``wave_size`` episodes not yet recorded, in schedule
order. ``wave`` plays them as asyncio tasks, at most ``concurrency`` at once
(``EvalContext.slots``); each episode is played through the run's runner -- in this process,
or in a Ray worker with ``--executor ray`` (:mod:`steps_agents.evaluation.runner`) -- then, in
the driver, its text answer judged, scored, and appended to the run's JSONL episode log
(:class:`~steps_agents.evaluation.store.EpisodeStore`) the moment it finishes. When nothing is
left, ``summarize`` counts passes per agent. A wave is one LangGraph node, not a ``Send`` per
episode: LangGraph's cost is per task it schedules, and it was most of the evaluator's
overhead per episode (``benchmarks/evaluation.py`` prints a profile).

Durability comes from the episode log, not from checkpoints: a killed run loses at most the
episodes in flight, and a resumed run (same run id) skips every recorded episode, both in
``plan`` and in ``wave`` (for a wave LangGraph replays). So the SQLite checkpointer
(``thread_id`` = the run id) writes once, when the run ends or stops (``durability="exit"``),
not after every superstep.

Every node and router is a coroutine: in an async graph LangGraph runs a sync node in a worker
thread, and those thread hops cost more than the nodes' own work.

Everything that belongs to the run and not to a checkpoint -- tasks, worlds, agents, the
runner, the store, the judge client, the progress line -- is in the runtime context
(:class:`EvalContext`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

from steps_agents.errors import InputError
from steps_agents.evaluation.agents import Agent
from steps_agents.evaluation.config import EvalConfig
from steps_agents.evaluation.context import EvalContext
from steps_agents.evaluation.nodes import plan, route_wave, summarize, wave
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.report import EvalReport, build_report
from steps_agents.evaluation.runner import RayRunner, preflight_on
from steps_agents.evaluation.state import EvalState
from steps_agents.evaluation.store import EpisodeStore, state_paths
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.evaluation.validity import TaskFile, preflight
from steps_agents.registry import get_skill_world
from steps_agents.runtime.executor import Executor
from steps_agents.runtime.parallel import RayExecutor
from steps_agents.runtime.progress import Progress
from steps_agents.worlds import Task


def build_graph() -> StateGraph[EvalState, EvalContext, EvalState, EvalState]:
    g = StateGraph(EvalState, context_schema=EvalContext)
    g.add_node("plan", plan)
    g.add_node("wave", wave)
    g.add_node("summarize", summarize)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", route_wave, ["wave", "summarize"])
    g.add_edge("wave", "plan")
    g.add_edge("summarize", END)
    return g


def mermaid() -> str:
    """The committed drawing (``graphs/evaluation.mmd``)."""
    return build_graph().compile().get_graph().draw_mermaid()


async def arun_evaluation(ctx: EvalContext, checkpoint_path: str | Path) -> dict[str, Any]:
    """Run (or resume, by ``ctx.run_id``) every episode; return the final graph state.

    Results are in ``ctx.store``. A run whose last checkpoint is mid-wave (it stopped there)
    resumes it (LangGraph replays the wave; recorded episodes are skipped); a finished or fresh
    thread starts from ``plan``, which only schedules what the store does not hold.
    """
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
    waves = -(-len(ctx.episodes) // max(1, ctx.wave_size))
    config: RunnableConfig = {
        "configurable": {"thread_id": ctx.run_id},
        "recursion_limit": 2 * waves + 10,
    }
    async with aiosqlite.connect(str(checkpoint_path)) as conn:
        # WAL with synchronous=NORMAL: a commit survives the process being killed (what resume
        # needs; the JSONL record is flushed, not fsynced, either) without an fsync per write,
        # which otherwise dominates the wall time of a wave of fast episodes.
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        saver = AsyncSqliteSaver(conn)
        graph = build_graph().compile(checkpointer=saver)
        snapshot = await graph.aget_state(config)
        resume = bool(snapshot.next) and "summarize" not in snapshot.next
        inputs: EvalState | None = None if resume else {"wave": 0}
        # durability="exit": one checkpoint when the run ends or stops, none per superstep and
        # no pending writes per episode. The episode log is the durable record (a killed run
        # loses the episodes in flight, a resumed one skips the logged ones); per-step
        # checkpoints only added work, and writes left unawaited when a run stopped early.
        final = await graph.ainvoke(inputs, config, context=ctx, durability="exit")
    ctx.store.sync()
    return dict(final)


async def aevaluate(
    config: EvalConfig,
    tasks: Sequence[Task | TextTask],
    agents: Mapping[str, Agent],
    *,
    judge: Any = None,
    taxonomy: Any = None,
    pm: Any = None,
    progress: bool = True,
    meta: Mapping[str, Any] | None = None,
    task_file: TaskFile | None = None,
    executor: Executor | None = None,
) -> tuple[EvalReport, list[EpisodeResult]]:
    """Evaluate every agent on every task ``config.repeats`` times; see :func:`evaluate`.

    ``config`` holds the run's settings (run id, state directory, repeats, step limit, episode
    timeout, wave size, concurrency, seed; ``compare`` names the second agent of a pairwise
    comparison). The live objects come beside it: the tasks, the agents by name, the judge
    client (SkillBench text tasks), the taxonomy (per-community marginals) and the plugin
    manager. Nothing passed in is closed here: whoever opened it closes it. ``task_file``
    (:func:`~steps_agents.evaluation.validity.read_eval_tasks`) names tasks by ``file:line`` and
    adds its lines that are not tasks to the invalid ones the report counts.

    ``executor``: a :class:`~steps_agents.runtime.parallel.RayExecutor` plays the episodes in
    Ray workers (:mod:`steps_agents.evaluation.runner`); anything else, or ``None``, in this
    process. Judging, scoring and the episode log stay in this process either way.
    """
    if not config.run_id:
        raise InputError("the run needs an id: set run_id", location="run_id")
    run_id = config.run_id
    worlds = {
        name: get_skill_world(name, pm)
        for name in sorted({t.world for t in tasks if isinstance(t, Task)})
    }
    # Tasks whose own oracle fails are left out and counted, not fatal (evaluation/validity.py).
    oracle_cache: dict[str, Any] = {}
    locations = task_file.locations if task_file else None
    runner = None
    if isinstance(executor, RayExecutor):
        runner = RayRunner(
            executor, agents, worlds, step_limit=config.step_limit, timeout=config.timeout
        )
        tasks, invalid = preflight_on(
            executor,
            list(tasks),
            worlds,
            timeout=config.timeout,
            oracle_cache=oracle_cache,
            locations=locations,
        )
    else:
        tasks, invalid = preflight(
            tasks, worlds, timeout=config.timeout, oracle_cache=oracle_cache, locations=locations
        )
    if not tasks:
        first = invalid[0]
        raise InputError(
            f"no valid task: every task's oracle fails (task {first.id!r}: {first.reason})",
            location=first.location,
        )
    invalid = [*(task_file.invalid if task_file else ()), *invalid]
    episodes_path, checkpoint_path = state_paths(config.state_dir, run_id)
    store = EpisodeStore(episodes_path, run_id)
    ctx = EvalContext(
        run_id=run_id,
        tasks={t.id: t for t in tasks},
        agents=dict(agents),
        worlds=worlds,
        store=store,
        repeats=config.repeats,
        step_limit=config.step_limit,
        timeout=config.timeout,
        wave_size=config.wave_size,
        concurrency=config.concurrency,
        seed=config.seed,
        judge=judge,
        runner=runner,
    )
    ctx.oracle_cache.update(oracle_cache)
    already = sum(1 for e in ctx.episodes if e.key in store)
    bar = Progress("eval", total=len(ctx.episodes), unit="episodes", enabled=progress)
    bar.count = already
    ctx.progress = bar
    try:
        with bar:
            await arun_evaluation(ctx, checkpoint_path)
    finally:
        store.close()
    wanted = {e.key for e in ctx.episodes}
    results = [store.results[k] for k in (e.key for e in ctx.episodes) if k in store.results]
    assert len(results) == len(wanted), "every episode is recorded when the graph finishes"
    report = build_report(
        results,
        run_id=run_id,
        agents=list(agents),
        taxonomy=taxonomy,
        compare_agents=config.compare_pair,
        meta={
            "repeats": config.repeats,
            "step_limit": config.step_limit,
            "timeout": config.timeout,
            "seed": config.seed,
            "executor": runner.name if runner is not None else "local",
            "resumed_episodes": already,
            "episodes_file": str(episodes_path),
            "worlds": {name: str(getattr(w, "version", "")) for name, w in worlds.items()},
            "valid_tasks": len(tasks),
            "invalid_tasks": [t.to_dict() for t in invalid],
            **dict(meta or {}),
        },
    )
    return report, results


def evaluate(
    config: EvalConfig,
    tasks: Sequence[Task | TextTask],
    agents: Mapping[str, Agent],
    **live: Any,
) -> tuple[EvalReport, list[EpisodeResult]]:
    """Run :func:`aevaluate` to completion: ``(report, episodes in schedule order)``.

    Each finished episode is appended to ``<state_dir>/<run_id>.episodes.jsonl`` as it ends; the
    graph checkpoints to ``<state_dir>/<run_id>.checkpoints.sqlite``. Calling again with the
    same ``run_id`` runs only the episodes that are not in the file yet. ``live`` are
    :func:`aevaluate`'s keywords (judge, taxonomy, pm, progress, meta).
    """
    return asyncio.run(aevaluate(config, tasks, agents, **live))


# For the LangGraph CLI and Studio (langgraph.json). Runs made by steps_agents compile their own
# copy with the SQLite checkpointer (arun_evaluation); the runtime context supplies the tasks.
graph = build_graph().compile()
