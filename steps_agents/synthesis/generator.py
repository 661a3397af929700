"""The generator agent: writes (or rewrites) one work item's draft.

The pipeline (:mod:`steps_agents.synthesis.pipeline`) calls it for each item, first with an
empty ``feedback`` and then, when the critic asks for a revision, with the critic's reasons (and
the rejected draft as ``previous`` when the mode's ``generate`` takes that keyword). The mode's
``generate`` does the writing through the run's model client, so the response cache makes an
item replayed after a kill free. Before spending anything it checks the durable record: an item
the writer already decided (replayed after a kill) is returned as ``"already"``, and the writer
counts it without writing it again. A malformed model answer (after the client's retries)
becomes a reject with the reason recorded; the run goes on.

A failed model call (:class:`~steps_agents.errors.ModelCallError`) either concerns this one
request (``item_specific``: HTTP 400, 413, 422), and then the item is rejected under the tag
``"model call"`` and the run goes on; or it would fail every other item too (an outage after
the retries, a bad key, an unknown model): then it is recorded on the run context
(:meth:`SynthesisContext.fail`), the item is skipped, no new draft starts, the planner stops,
and the runner raises the error once every decided sample is written.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from steps_agents.errors import ModelCallError, ModelOutputError
from steps_agents.synthesis.modes import WorkItem

if TYPE_CHECKING:  # pragma: no cover
    from steps_agents.synthesis.context import SynthesisContext
    from steps_agents.synthesis.state import ItemState

MODEL_OUTPUT_TAG = "model output"
MODEL_CALL_TAG = "model call"
MODEL_DOWN = "model unavailable"


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


async def _write_draft(
    ctx: SynthesisContext,
    item: WorkItem,
    feedback: Sequence[str],
    previous: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The mode writes one draft (counted as in flight on the progress line meanwhile)."""
    ctx.monitor.started()
    try:
        if previous and _takes_previous(type(ctx.mode)):
            generate: Any = ctx.mode.generate  # the optional keyword is outside the protocol
            draft = await generate(item, ctx.mode_ctx, list(feedback), previous=previous)
        else:
            draft = await ctx.mode.generate(item, ctx.mode_ctx, list(feedback))
        return dict(draft)
    finally:
        ctx.monitor.finished()


def _skip_reason(ctx: SynthesisContext, item: WorkItem) -> str | None:
    """Why not to write a draft now, if any: the target is already written, the model failed
    for good, or the budget is spent. These depend on timing, but only stop spending: once the
    target is written nothing else is, and a skipped item is never written."""
    if ctx.writer.accepted >= ctx.target:  # the pipeline overshot: spend nothing more
        return "target reached"
    if ctx.failure is not None:
        return MODEL_DOWN
    if ctx.budget.exhausted():
        return "budget spent"
    return None


def model_call_failed(ctx: SynthesisContext, branch: ItemState, error: ModelCallError) -> ItemState:
    """Decide a branch whose model call failed for good: a reject (tag ``"model call"``) when
    only this request was refused; otherwise the run's failure is recorded and the item
    skipped."""
    if error.item_specific:
        update: ItemState = {
            "decision": "rejected",
            "reason": f"{MODEL_CALL_TAG}: {_one_line(str(error))}",
            "reason_tag": MODEL_CALL_TAG,
        }
        return {**branch, **update}
    ctx.fail(error)
    return {**branch, "decision": "skipped", "reason": MODEL_DOWN}


async def generator(ctx: SynthesisContext, branch: ItemState) -> ItemState:
    """The branch with its new ``draft``, or decided (``decision`` set) when there is nothing
    to write: already on disk, skipped, or the model failed."""
    item = ctx.work_item(branch["item"])
    if ctx.writer.get(item.id) is not None:
        return {**branch, "decision": "already"}
    skip = _skip_reason(ctx, item)
    if skip:
        return {**branch, "decision": "skipped", "reason": skip}
    feedback, previous = list(branch.get("feedback") or ()), branch.get("previous")
    try:
        draft = await _write_draft(ctx, item, feedback, previous)
    except ModelOutputError as error:
        update: ItemState = {
            "decision": "rejected",
            "reason": f"{MODEL_OUTPUT_TAG}: {_one_line(str(error))}",
            "reason_tag": MODEL_OUTPUT_TAG,
        }
        return {**branch, **update}
    except ModelCallError as error:
        return model_call_failed(ctx, branch, error)
    return {**branch, "draft": draft, "previous": None}
