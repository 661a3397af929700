"""The synthesis graph's state schema: the checkpointed run state and one item's branch state.

The pipeline node returns partial updates of :class:`SynthesisState` at the end of each time
slice; an item's :class:`ItemState` lives in its asyncio task and, once planned, its
``item`` in the state's ``queue`` until the writer commits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from langgraph.channels import DeltaChannel
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
    """The checkpointed state of a run: plans, the queue and counters, all JSON-serialisable.

    ``used`` (every skill set tried, so the selector never repeats one) is appended to and
    ``stats`` (nested counters) summed, hence their reducers. ``used`` grows with the run, so
    it is a ``DeltaChannel`` (langgraph 1.2, beta): checkpoints store its new entries and a
    snapshot every 64 updates, not the whole list at every superstep. ``queue`` holds the
    waves planned and not yet committed, in commit order (``{"wave": w, "items": [...]}``): a
    resumed run restarts exactly those items (the response cache makes the answered ones free,
    and those already on disk are counted, not redone).
    """

    wave: int
    plan: dict[str, int]
    used: Annotated[list[list[str]], DeltaChannel(extend_used, snapshot_frequency=64)]
    queue: list[dict[str, Any]]
    quotas: dict[str, int]
    stats: Annotated[dict[str, Any], merge_stats]
    dry_waves: int
    calls: int
    action: str
    stop_reason: str


class ItemState(TypedDict, total=False):
    """One item's private state while it is generated, judged and revised."""

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
