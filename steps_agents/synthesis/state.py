"""The synthesis graph's state schema: the checkpointed run state and one item's branch state.

Nodes return partial updates of these; ``graphs/synthesis.py`` wires the nodes over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from langgraph.channels import DeltaChannel, Topic
from typing_extensions import TypedDict

from steps_agents.synthesis.counters import merge_stats


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
    deferred: bool
