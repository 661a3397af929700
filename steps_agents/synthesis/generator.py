"""The generator agent: one branch per work item writes (or rewrites) the draft.

It is the target of one ``Send`` per item. The mode's ``generate`` does the writing (through the
run's model client, so the response cache makes a replayed branch free); on a revision the
critic's reasons arrive as ``feedback``, and the rejected draft as ``previous`` when the mode's
``generate`` takes that keyword. Before spending anything it checks the durable record:
an item the writer already decided (a branch replayed after a kill) goes straight to the writer
(published in ``decided``), which counts it without writing it again. A malformed model answer
(after the client's retries) becomes a reject with the reason recorded; the run goes on.

A failed model call (:class:`~steps_agents.errors.ModelCallError`) either concerns this one
request (``item_specific``: HTTP 400, 413, 422), and then the item is rejected under the tag
``"model call"`` and the run goes on; or it would fail every other item too (an outage after
the retries, a bad key, an unknown model): then it is recorded on the run context
(:meth:`SynthesisContext.fail`), the item is skipped, no new draft starts (those already
started are collected: an answer that still comes is judged and written), the planner stops,
and the runner raises the error once every decided sample is written. Raising it here instead
would make LangGraph drop the whole superstep, with the finished drafts of every other item in
it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from langgraph.types import Command, Send

from steps_agents.errors import ModelCallError, ModelOutputError
from steps_agents.synthesis.modes import WorkItem

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

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
    key: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """The mode writes one draft (counted as in flight on the progress line meanwhile)."""
    ctx.monitor.started()
    answered = False
    try:
        if previous and _takes_previous(type(ctx.mode)):
            generate: Any = ctx.mode.generate  # the optional keyword is outside the protocol
            draft = await generate(item, ctx.mode_ctx, list(feedback), previous=previous)
        else:
            draft = await ctx.mode.generate(item, ctx.mode_ctx, list(feedback))
        answered = True
        return dict(draft)
    finally:
        ctx.monitor.finished()
        if key is not None:
            ctx.draft_finished(key, timed=answered)


def _start(
    ctx: SynthesisContext,
    item: WorkItem,
    key: tuple[str, int],
    feedback: Sequence[str],
    previous: Mapping[str, Any] | None,
) -> asyncio.Task[dict[str, Any]]:
    """Start ``item``'s draft as a task in an empty context (see :func:`start_generation`)."""
    coro = _write_draft(ctx, item, feedback, previous, key)
    task = asyncio.get_running_loop().create_task(coro, context=contextvars.Context())
    ctx.started[key] = time.monotonic()
    return task


async def _ready(ctx: SynthesisContext, key: tuple[str, int], task: asyncio.Task[Any]) -> bool:
    """Wait for a draft, with ``defer_stragglers``: at most until its age reaches that multiple
    of the median draft time (and at least one median, a superstep's usual length); whether it
    is done. Without the option (or before 8 drafts have been timed) wait for it to finish."""
    factor = ctx.config.defer_stragglers
    median = ctx.median_draft_time()
    if not factor or median is None or task.done():
        return True
    begun = ctx.started.get(key, time.monotonic())
    wait = max(begun + factor * median - time.monotonic(), median)
    done, _ = await asyncio.wait({task}, timeout=wait)
    return bool(done)


def _skip_reason(ctx: SynthesisContext, item: WorkItem, *, started: bool = False) -> str | None:
    """Why not to write a draft now, if any. The budget and a model failure are checked before
    a draft starts: one started ahead (``started``) was allowed then, its calls count already,
    and its answer, if it comes, is judged and written.

    The target is read from the files, which the generator reads after the writer of its
    superstep has written (it yields once first): the same count an uninterrupted run and a
    resumed one see. A full k is not a reason: its quota is the writer's (checkpointed), and a
    draft of that k ends as surplus there, whatever the timing."""
    if ctx.writer.accepted >= ctx.config.n:  # the pipeline overshot: spend nothing more
        return "target reached"
    if not started and ctx.failure is not None:
        return MODEL_DOWN
    if not started and ctx.budget.exhausted():
        return "budget spent"
    return None


def model_call_failed(
    ctx: SynthesisContext, branch: ItemState, error: ModelCallError
) -> Command[Any]:
    """End a branch whose model call failed for good: a reject (tag ``"model call"``) when only
    this request was refused; otherwise the run's failure is recorded and the item skipped."""
    if error.item_specific:
        update: ItemState = {
            "decision": "rejected",
            "reason": f"{MODEL_CALL_TAG}: {_one_line(str(error))}",
            "reason_tag": MODEL_CALL_TAG,
        }
        return to_writer({**branch, **update})
    ctx.fail(error)
    return to_writer({**branch, "decision": "skipped", "reason": MODEL_DOWN})


def start_generation(
    ctx: SynthesisContext,
    item: WorkItem,
    *,
    revision: int = 0,
    feedback: Sequence[str] = (),
    previous: Mapping[str, Any] | None = None,
) -> None:
    """Start writing ``item``'s draft now, one superstep before its generator node runs.

    Supersteps are barriers: a generator superstep lasts until its slowest model call returns,
    and between supersteps the model would sit idle while LangGraph checkpoints and plans the
    next one. So the composer (and the critic, for a revision) starts each draft as an asyncio
    task the moment the branch's ``Send`` is decided; the generator node then only collects it,
    and the model always has the next wave's calls queued behind the current one (the client's
    semaphore orders them). The task lives in the runtime context, never in state: after a kill
    the generator simply writes the draft itself (the response cache makes that free if the
    call had finished). Nothing is started for an item already decided, once the target is
    reached, or with the budget spent; the generator cancels a started draft it no longer wants
    (a call still queued for the semaphore then costs nothing). The task runs in an empty
    :class:`contextvars.Context` so the model call is not attributed to the node that started
    it.
    """
    key = (item.id, revision)
    if key in ctx.prefetch or ctx.writer.get(item.id) is not None or _skip_reason(ctx, item):
        return
    ctx.prefetch[key] = _start(ctx, item, key, feedback, previous)


async def generator(
    branch: ItemState, runtime: Runtime[SynthesisContext]
) -> Command[Literal["critic", "writer"]]:
    """Write the draft of one item (or collect the one started ahead) and send it to the
    critic (or, if there is nothing to do, to the writer)."""
    await asyncio.sleep(0)  # the writer of this superstep writes first (see _skip_reason)
    ctx = runtime.context
    item = ctx.work_item(branch["item"])
    key = (item.id, int(branch.get("revision", 0)))
    ahead = ctx.prefetch.pop(key, None)
    decided = ctx.writer.get(item.id)
    skip = None if decided is not None else _skip_reason(ctx, item, started=ahead is not None)
    if (decided is not None or skip) and ahead is not None:
        if ahead.done():
            if not ahead.cancelled():
                ahead.exception()  # retrieved: a failed draft nobody wants is not an error
        else:
            ahead.cancel()
    if decided is not None:
        return to_writer({**branch, "decision": "already"})
    if skip:
        return to_writer({**branch, "decision": "skipped", "reason": skip})
    feedback, previous = list(branch.get("feedback") or ()), branch.get("previous")
    if ahead is None and ctx.config.defer_stragglers:
        ahead = _start(ctx, item, key, feedback, previous)  # a task, so it can be deferred
    try:
        if ahead is not None:
            if not await _ready(ctx, key, ahead):
                return _defer(ctx, key, ahead, branch)
            draft = await ahead
        else:
            draft = await _write_draft(ctx, item, feedback, previous)
    except ModelOutputError as error:
        update: ItemState = {
            "decision": "rejected",
            "reason": f"{MODEL_OUTPUT_TAG}: {_one_line(str(error))}",
            "reason_tag": MODEL_OUTPUT_TAG,
        }
        return to_writer({**branch, **update})
    except ModelCallError as error:
        return model_call_failed(ctx, branch, error)
    return Command(goto=Send("critic", {**branch, "draft": draft, "previous": None}))


def _defer(
    ctx: SynthesisContext, key: tuple[str, int], task: asyncio.Task[Any], branch: ItemState
) -> Command[Any]:
    """A straggler: its draft keeps running (holding only its own concurrency slot) and the
    branch comes back to the generator in the next superstep, so this one can end and the
    next waves go on. Counted once per item under ``deferred``."""
    ctx.prefetch[key] = task
    update = {"stats": {"deferred": 1}} if not branch.get("deferred") else {}
    return Command(update=update, goto=Send("generator", {**branch, "deferred": True}))


def to_writer(record: ItemState) -> Command[Any]:
    """End a branch: publish its decided record for the writer of the next superstep."""
    return Command(update={"decided": [record]}, goto="writer")
