"""The synthesis graph: planner -> composer -> generator -> critic -> writer, without barriers.

::

    START -> pipeline --(stopped, queue committed)--> END
               ^    |
               +----+  one time slice per superstep (a checkpoint between slices)

The five agents are functions that the ``pipeline`` node calls
(:mod:`steps_agents.synthesis.pipeline`):

- **planner** decides how many items per k to queue next from the per-k quotas (the target
  apportioned exactly over the k weights), the observed acceptance rates, the items of each k
  still queued and the budget; or waits; or stops;
- **composer** turns a plan into work items (selector + the mode's ``compose``), appended to the
  queue as one wave;
- **generator** writes an item's draft, **critic** judges it and asks for revisions; each item
  runs these in its own asyncio task, started in queue order, at most ``2 x concurrency``
  unfinished at once;
- **writer** commits the decided items in queue order, durably and idempotently.

**Exact without barriers.** Decisions never depend on which call finished first: the planner
runs at fixed points of the commit order (before the first commit and after each committed
wave) and reads only committed counters and the queue, so the queue is a function of the seed
and the committed decisions; the writer commits in queue order, waiting for the next item if it
is not decided yet, and takes every decision that depends on other samples (surplus beyond a
quota, near-duplicates) at commit time. A slow call holds only its own concurrency slot: the
items queued after it are generated and judged meanwhile and wait only to be committed.

**Resume.** Each slice (about a second) ends at a wave boundary and returns the committed
counters and the queue; LangGraph checkpoints them (SQLite, ``thread_id`` = the run id). A
process killed mid-slice resumes from the last checkpoint, restarts the queued items (the
response cache answers what was answered, the writer's files what was decided) and commits them
in the same order: the same samples as an uninterrupted run, no request re-sent for a sample
already written. Run-scoped objects (model client, taxonomy, writer, budget, the item tasks)
live in the runtime context (:class:`~steps_agents.synthesis.context.SynthesisContext`), never
in state.

A model that fails for every request (outage after the retries, bad key, unknown model) must
not fail the node: the generator and the critic record it on the runtime context instead and
skip the item, the model gate stops sending queued calls, the planner stops, the items still
queued are committed (skipped or, when their answer still came, judged and written), and the
runner raises the error once the graph has ended; a refusal of one request only (HTTP 400, 413,
422) rejects that item under ``model call`` (a model judge abstains).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pluggy
from langgraph.graph import END, START, StateGraph

from steps_agents.synthesis import singles
from steps_agents.synthesis.checkpoint import open_checkpointer
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.context import SynthesisContext
from steps_agents.synthesis.counters import merge_stats
from steps_agents.synthesis.pipeline import pipeline, route_after_slice
from steps_agents.synthesis.planner import pending_by_k, pending_items
from steps_agents.synthesis.records import RunReport
from steps_agents.synthesis.setup import open_run, run_report
from steps_agents.synthesis.state import SynthesisState


def build_graph() -> StateGraph[SynthesisState, SynthesisContext, SynthesisState, SynthesisState]:
    """The uncompiled graph; compile it with a checkpointer (see :func:`arun_synthesis`)."""
    builder = StateGraph(SynthesisState, context_schema=SynthesisContext)
    builder.add_node("pipeline", pipeline)
    builder.add_edge(START, "pipeline")
    builder.add_conditional_edges("pipeline", route_after_slice, ["pipeline", END])
    return builder


# ---------------------------------------------------------------------------------------------
# Compiling and running
# ---------------------------------------------------------------------------------------------

RECURSION_LIMIT = 10**7  # slices; a run stops by its planner, never by this limit


async def arun_synthesis(
    config: SynthConfig,
    *,
    pm: pluggy.PluginManager | None = None,
    model: Any = None,
    judge_model: Any = None,
    taxonomy: Any = None,
    seeds: Any = None,
    select: Callable[..., list[Any]] | None = None,
    progress: bool = True,
) -> RunReport:
    """Run (or resume) the job; ``model``/``judge_model`` (ModelClients), ``taxonomy``, ``seeds``
    and ``select`` may be passed in (tests, notebooks) instead of being built from ``config``.

    Resuming: the graph is compiled with an SQLite checkpointer (``<state dir>/checkpoints.sqlite``)
    and the run id is the LangGraph thread id. With the run id of an interrupted run, the graph
    continues from its last checkpoint; the writer's files, read back on open, make the replay
    exact (decided items are skipped, nothing is written twice) and the response cache
    (``<state dir>/responses.sqlite``) makes re-generating an in-flight item free.

    A model that fails for every request (outage after the retries, bad key, unknown model)
    stops the run without losing answered work: the items in flight are judged or skipped and
    written, then this raises that :class:`~steps_agents.errors.ModelCallError`.
    """
    started = time.monotonic()
    run = open_run(
        config,
        pm=pm,
        model=model,
        judge_model=judge_model,
        taxonomy=taxonomy,
        seeds=seeds,
        select=select,
        progress=progress,
    )
    ctx, writer = run.ctx, run.ctx.writer
    try:
        with open_checkpointer(config.resolved_state_dir / "checkpoints.sqlite") as saver:
            graph = build_graph().compile(checkpointer=saver)
            thread: Any = {
                "configurable": {"thread_id": ctx.run_id},
                "recursion_limit": RECURSION_LIMIT,
            }
            snapshot = await graph.aget_state(thread)
            resumed = bool(snapshot.values)
            ctx.budget.base = int(snapshot.values.get("calls", 0)) if resumed else 0
            if snapshot.tasks:
                graph_input: Any = None  # continue the interrupted slice
            elif resumed:
                # A finished run asked again (perhaps for more): plan again. No task is left, so
                # nothing the counters call pending can still finish; forget it.
                stats = snapshot.values.get("stats") or {}
                stale = pending_by_k(stats, config.ks)
                graph_input = {
                    "stop_reason": "",
                    "action": "",
                    "queue": [],
                    "dry_waves": 0,
                    "stats": {
                        "planned": -pending_items(stats),
                        "by_k": {str(k): {"planned": -n} for k, n in stale.items() if n},
                    },
                }
            else:
                graph_input = {"used": writer.used_skill_sets(), "stats": writer.stats()}
            tracked = "singles" in (snapshot.values.get("stats") or {})
            if config.singles and graph_input is not None and not tracked:
                # Singles are planned from per-skill counters; a checkpoint without them (a new
                # state dir, or a run begun without singles) gets those of the files on disk.
                extra = singles.coverage_on_disk(writer.decided.values())
                graph_input["stats"] = merge_stats(graph_input.get("stats"), extra)
            try:
                with run.progress:
                    # The final values come back from ainvoke: re-reading them with aget_state
                    # would replay the whole DeltaChannel history of ``used`` (0.1 s per 1,000).
                    values = await graph.ainvoke(
                        graph_input, thread, context=ctx, durability="async"
                    )
            finally:
                ctx.drop_tasks()
        if ctx.failure is not None and writer.accepted < config.n:
            # Raised only now: the graph has finished, so every sample decided before the
            # failure is on disk and the checkpoint lets a rerun with this run id resume.
            raise ctx.failure
        return run_report(
            config, ctx.run_id, values, writer, run.model, run.judge_model, started, resumed
        )
    finally:
        run.close()


def run_synthesis(config: SynthConfig, **kwargs: Any) -> RunReport:
    """Synchronous :func:`arun_synthesis`."""
    return asyncio.run(arun_synthesis(config, **kwargs))


# For the LangGraph CLI / Studio (langgraph.json): the server supplies its own checkpointer and
# the runtime context.
graph = build_graph().compile()
