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

The fan-out is LangGraph's ``Send``, not :mod:`steps_agents.executor`: each item is a branch of
the graph, so it is checkpointed, revised and routed like the rest of the state machine; the
model client's concurrency limit bounds the calls in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, cast

from langgraph.channels import DeltaChannel, Topic
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from steps_agents.synthesis.composer import composer
from steps_agents.synthesis.context import SynthesisContext
from steps_agents.synthesis.critic import critic
from steps_agents.synthesis.generator import generator
from steps_agents.synthesis.planner import planner
from steps_agents.synthesis.recording import writer
from steps_agents.synthesis.stats import merge_stats


def extend_used(
    state: list[list[str]] | None, writes: Sequence[list[list[str]]]
) -> list[list[str]]:
    """Reducer of ``used``: append every write's skill sets (batching-invariant, as
    ``DeltaChannel`` requires)."""
    out = list(state or ())
    for write in writes:
        out.extend(write)
    return out


class SynthesisState(TypedDict, total=False):
    """The checkpointed state of a run: plans and counters, all JSON-serialisable.

    ``used`` (every skill set tried, so the selector never repeats one) and ``stats`` (nested
    counters) are appended to and summed by many branches, hence their reducers. ``decided``
    is the fan-in of the item branches: each decided branch publishes its record there (a
    ``Topic`` that holds one superstep's records), and one writer task per superstep writes
    them all, instead of one writer task per item. ``used`` grows
    with the run, so it is a ``DeltaChannel`` (langgraph 1.2, beta): checkpoints store its new
    entries and a snapshot every 64 updates, not the whole list at every superstep.
    """

    wave: int
    plan: dict[str, int]
    used: Annotated[list[list[str]], DeltaChannel(extend_used, snapshot_frequency=64)]
    decided: Annotated[list[dict[str, Any]], Topic(dict)]
    quotas: dict[str, int]
    stats: Annotated[dict[str, Any], merge_stats]
    dry_waves: int
    calls: int
    action: str
    stop_reason: str


class WriterInput(TypedDict, total=False):
    """What the writer reads: the records the branches decided in the previous superstep."""

    decided: list[dict[str, Any]]
    quotas: dict[str, int]


class ItemState(TypedDict, total=False):
    """One item's private branch state, carried by ``Send`` from node to node."""

    item: dict[str, Any]
    wave: int
    draft: dict[str, Any] | None
    previous: dict[str, Any] | None
    feedback: list[str]
    revision: int
    verdicts: list[dict[str, Any]]
    decision: str
    reason: str
    reason_tag: str


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
    """The uncompiled graph; compile it with a checkpointer (see the runner)."""
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


# For the LangGraph CLI / Studio (langgraph.json): the server supplies its own checkpointer and
# the runtime context.
graph = build_graph().compile()
