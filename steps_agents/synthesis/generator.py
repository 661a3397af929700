"""The generator agent: one branch per work item writes (or rewrites) the draft.

It is the target of one ``Send`` per item. The mode's ``generate`` does the writing (through the
run's model client, so the response cache makes a replayed branch free); on a revision the
critic's reasons arrive as ``feedback``, and the rejected draft as ``previous`` when the mode's
``generate`` takes that keyword. Before spending anything it checks the durable record:
an item the writer already decided (a branch replayed after a kill) goes straight to the writer,
which counts it without writing it again. A malformed model answer (after the client's retries)
becomes a reject with the reason recorded; the run goes on.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Literal

from langgraph.types import Command, Send

from steps_agents.errors import ModelOutputError
from steps_agents.modes import WorkItem

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

    from steps_agents.graphs.synthesis import ItemState
    from steps_agents.synthesis.context import SynthesisContext

MODEL_OUTPUT_TAG = "model output"


@functools.cache
def _takes_previous(mode_type: Any) -> bool:
    """Whether a mode's ``generate`` accepts the optional ``previous`` draft (on revisions)."""
    try:
        return "previous" in inspect.signature(mode_type.generate).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


async def generator(
    branch: ItemState, runtime: Runtime[SynthesisContext]
) -> Command[Literal["critic", "writer"]]:
    """Write the draft of one item and send it to the critic (or, if done, to the writer)."""
    ctx = runtime.context
    item = WorkItem.model_validate(branch["item"])
    decided = ctx.writer.get(item.id)
    if decided is not None:
        return Command(goto=Send("writer", {**branch, "decision": "already"}))
    if ctx.writer.accepted >= ctx.config.n:  # the pipeline overshot: spend nothing more
        return Command(
            goto=Send("writer", {**branch, "decision": "skipped", "reason": "target reached"})
        )
    if ctx.budget.exhausted():
        return Command(
            goto=Send("writer", {**branch, "decision": "skipped", "reason": "budget spent"})
        )
    ctx.monitor.started()
    try:
        feedback = list(branch.get("feedback") or ())
        previous = branch.get("previous")
        if previous and _takes_previous(type(ctx.mode)):
            generate: Any = ctx.mode.generate  # the optional keyword is outside the protocol
            draft = await generate(item, ctx.mode_ctx, feedback, previous=previous)
        else:
            draft = await ctx.mode.generate(item, ctx.mode_ctx, feedback)
    except ModelOutputError as error:
        update: dict[str, Any] = {
            "decision": "rejected",
            "reason": f"{MODEL_OUTPUT_TAG}: {_one_line(str(error))}",
            "reason_tag": MODEL_OUTPUT_TAG,
        }
        return Command(goto=Send("writer", {**branch, **update}))
    finally:
        ctx.monitor.finished()
    return Command(goto=Send("critic", {**branch, "draft": dict(draft), "previous": None}))
