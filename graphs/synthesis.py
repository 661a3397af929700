"""The synthesis graph: planner -> composer -> generator -> critic -> writer, in waves.

::

    START -> planner --(stop?)--> END
                |
             composer --Send per item--> generator <--revise-- critic
                ^                            |                  |
                |                            +------draft-------+
                |                                               |
             planner (waits until the wave has drained) <------ writer

- **planner** decides how many items per k to start in the next wave from the target,
  the observed acceptance rates and the budget, or stops;
- **composer** turns the plan into work items (selector + the mode's ``compose``);
- **generator** is the target of one ``Send`` per item; its ``Command`` sends the draft to the
  **critic**, which sends it back for a revision or on to the **writer**;
- **writer** appends the decided sample to the output (durably, idempotently) and counts it.

A wave holds at most ``wave_size`` items: a process killed mid-wave replays that wave's
unfinished supersteps on resume (LangGraph loses a killed superstep's finished branches), and
the writer's files plus the response cache make the replay free of duplicates and of repeated
model calls. Run-scoped objects (model client, taxonomy, writer, budget) live in the runtime
context (:class:`~steps_agents.synthesis.context.SynthesisContext`), never in state.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, cast

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from typing_extensions import TypedDict

from steps_agents.synthesis.composer import composer
from steps_agents.synthesis.context import SynthesisContext
from steps_agents.synthesis.critic import critic
from steps_agents.synthesis.generator import generator
from steps_agents.synthesis.planner import planner
from steps_agents.synthesis.recording import writer
from steps_agents.synthesis.stats import merge_stats


class SynthesisState(TypedDict, total=False):
    """The checkpointed state of a run: plans and counters, all JSON-serialisable.

    ``used`` (every skill set tried, so the selector never repeats one) and ``stats`` (nested
    counters) are appended to and summed by many branches, hence their reducers.
    """

    wave: int
    plan: dict[str, int]
    queue: list[dict[str, Any]]
    used: Annotated[list[list[str]], operator.add]
    stats: Annotated[dict[str, Any], merge_stats]
    dry_waves: int
    calls: int
    action: str
    stop_reason: str


class ItemState(TypedDict, total=False):
    """One item's private branch state, carried by ``Send`` from node to node."""

    item: dict[str, Any]
    wave: int
    draft: dict[str, Any] | None
    feedback: list[str]
    revision: int
    verdicts: list[dict[str, Any]]
    decision: str
    reason: str
    reason_tag: str


def route_after_planner(state: SynthesisState) -> Literal["composer", "__end__"]:
    """Compose the planned wave; otherwise this branch ends (the run ends once the planner has
    stopped and no branch is left; a planner that waits for the wave to drain just ends here)."""
    return "composer" if state.get("action") == "compose" else "__end__"  # == END


def fan_out(state: SynthesisState) -> list[Send] | Literal["planner"]:
    """One ``Send`` to the generator per composed item; nothing composed goes back to plan."""
    items = state.get("queue") or []
    if not items:
        return "planner"
    wave = int(state.get("wave", 0))
    return [
        Send("generator", {"item": item, "wave": wave, "revision": 0, "feedback": []})
        for item in items
    ]


def build_graph() -> StateGraph[SynthesisState, SynthesisContext, SynthesisState, SynthesisState]:
    """The uncompiled graph; compile it with a checkpointer (see the runner)."""
    builder = StateGraph(SynthesisState, context_schema=SynthesisContext)
    builder.add_node("planner", planner)
    builder.add_node("composer", composer)
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
    builder.add_node("writer", cast(Any, writer), input_schema=ItemState)
    builder.add_edge(START, "planner")
    builder.add_conditional_edges("planner", route_after_planner, ["composer", END])
    builder.add_conditional_edges("composer", fan_out, ["generator", "planner"])
    builder.add_edge("writer", "planner")
    return builder


# For the LangGraph CLI / Studio (langgraph.json): the server supplies its own checkpointer and
# the runtime context.
graph = build_graph().compile()
