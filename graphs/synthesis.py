"""The synthesis graph: planner -> composer -> generator -> critic -> writer, as a pipeline.

::

    START -> planner --(stop)--> END
               |  ^  + planner -> planner: plan the next wave in the next superstep
        (plan) v  | (nothing composed)
             composer --Send per item--> generator <--revise-- critic
                                             |                  ^  |
                                             +------draft-------+  | accept / reject
                                                                   v
             planner <------------------------------------------ writer

- **planner** decides how many items per k to start next from the per-k quotas (the target
  apportioned exactly over the k weights), the observed acceptance rates, the items of each k
  still in flight and the budget; or waits; or stops;
- **composer** turns the plan into work items (selector + the mode's ``compose``) and sends
  each to the generator (``Send``); when nothing could be composed it goes back to the planner;
- **generator** collects one item's draft (started when the item was composed, so the model
  never waits for a superstep barrier); its ``Command`` sends it to the **critic**, which sends
  it back for a revision or publishes the decision (``decided``) for the **writer**;
- **writer** runs once per superstep and appends that superstep's decided samples to the output
  (durably, idempotently) and counts them: a map-reduce fan-in, so a sample costs LangGraph two
  tasks (generator, critic), not three.

Supersteps are barriers, so the graph runs waves as a pipeline: while one wave waits for the
model, the previous one is judged and the one before written, and their CPU work overlaps the
model calls; since each draft starts when its item is composed, the next wave's calls are
already queued on the client's concurrency slots when a superstep ends. At most five waves of ``wave_size`` items are in flight; a process killed
mid-run replays only unfinished supersteps on resume, and the writer's files plus the response
cache make the replay free of duplicates and of repeated model calls. Run-scoped objects (model
client, taxonomy, writer, budget) live in the runtime context
(:class:`~steps_agents.synthesis.context.SynthesisContext`), never in state.

A model that fails for every request (outage after the retries, bad key, unknown model) must
not fail a node: LangGraph would drop the whole superstep, with the finished drafts of other
items. The generator and the critic record it on the runtime context instead and skip the item,
the model gate stops sending queued calls, the planner stops, and the runner raises the error
once the graph has ended and every decided sample is written; a refusal of one request only
(HTTP 400, 413, 422) rejects that item under ``model call`` (a model judge abstains).

The fan-out is LangGraph's ``Send``, not :mod:`steps_agents.runtime.executor`: each item is a branch of
the graph, so it is checkpointed, revised and routed like the rest of the state machine; the
model client's concurrency limit bounds the calls in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Literal, cast

import pluggy
from langgraph.graph import END, START, StateGraph

from steps_agents.synthesis.checkpoint import open_checkpointer
from steps_agents.synthesis.composer import composer
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.context import SynthesisContext
from steps_agents.synthesis.critic import critic
from steps_agents.synthesis.generator import generator
from steps_agents.synthesis.planner import pending_by_k, pending_items, planner
from steps_agents.synthesis.records import RunReport
from steps_agents.synthesis.setup import open_run, run_report
from steps_agents.synthesis.state import ItemState, SynthesisState, WriterInput
from steps_agents.synthesis.writer import writer


def route_after_planner(
    state: SynthesisState,
) -> list[Literal["composer", "planner"]] | Literal["__end__"]:
    """After a plan: compose it, and plan again next superstep (the pipeline fills one wave per
    superstep). Waiting or stopped: this branch ends (writers wake the planner up again; the
    run ends once the planner has stopped and no branch is left)."""
    if state.get("action") == "compose":
        return ["composer", "planner"]
    return "__end__"  # == END


def build_graph() -> StateGraph[SynthesisState, SynthesisContext, SynthesisState, SynthesisState]:
    """The uncompiled graph; compile it with a checkpointer (see :func:`arun_synthesis`)."""
    builder = StateGraph(SynthesisState, context_schema=SynthesisContext)
    builder.add_node("planner", planner)
    builder.add_node("composer", cast(Any, composer), destinations=("generator", "planner"))
    # Branch nodes read ItemState (their Send payload), not the graph state; the casts are for
    # langgraph's add_node overloads, which cannot pair a runtime-taking node with another
    # input schema.
    builder.add_node(
        "generator",
        cast(Any, generator),
        input_schema=ItemState,
        destinations=("critic", "writer"),
    )
    builder.add_node(
        "critic",
        cast(Any, critic),
        input_schema=ItemState,
        destinations=("generator", "writer"),
    )
    builder.add_node("writer", cast(Any, writer), input_schema=WriterInput)
    builder.add_edge(START, "planner")
    builder.add_conditional_edges("planner", route_after_planner, ["composer", "planner", END])
    builder.add_edge("writer", "planner")
    return builder


# ---------------------------------------------------------------------------------------------
# Compiling and running
# ---------------------------------------------------------------------------------------------

RECURSION_LIMIT = 10**7  # supersteps; a run stops by its planner, never by this limit


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
            # ``snapshot.tasks``, not ``snapshot.next``: with Send branches pending, langgraph
            # 1.2 can report an empty ``next`` for a checkpoint that still has tasks to run.
            if snapshot.tasks:
                graph_input: Any = None  # continue the interrupted superstep
            elif resumed:
                # A finished run asked again (perhaps for more): plan again. No task is left, so
                # nothing the counters call pending can still finish; forget it.
                stats = snapshot.values.get("stats") or {}
                stale = pending_by_k(stats, config.ks)
                graph_input = {
                    "stop_reason": "",
                    "dry_waves": 0,
                    "stats": {
                        "planned": -pending_items(stats),
                        "by_k": {str(k): {"planned": -n} for k, n in stale.items() if n},
                    },
                }
            else:
                graph_input = {"used": writer.used_skill_sets(), "stats": writer.stats()}
            try:
                with run.progress:
                    # The final values come back from ainvoke: re-reading them with aget_state
                    # would replay the whole DeltaChannel history of ``used`` (0.1 s per 1,000).
                    values = await graph.ainvoke(
                        graph_input, thread, context=ctx, durability="async"
                    )
            finally:
                ctx.drop_prefetch()
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
