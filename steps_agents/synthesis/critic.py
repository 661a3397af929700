"""The critic agent: the mode's intrinsic checks plus the configured judges decide each draft.

Decision rule, over the verdicts ``V`` of this round (abstentions ignored):

- no verdict failed: **accept**;
- some failed, ``revision < max_revisions`` and every failure is revisable: **revise**, sending
  the failed verdicts' reasons back to the generator as feedback;
- otherwise **reject**, with reason ``"<judge>: <why>; ..."`` and the first failed judge's name
  as the counted tag.

Verdicts are kept on every sample, accepted or not. Judges run concurrently; a judge whose own
model answer is malformed, or whose model refused this one request (an item-specific
:class:`~steps_agents.errors.ModelCallError`: HTTP 400, 413, 422), abstains rather than failing
the draft. Any other model failure (outage, bad key, unknown model) stops the run as in the
generator: recorded on the context, the item skipped, raised by the runner at the end.

Judges see the samples written before this superstep and those the writer of this superstep
writes (the critic yields once before judging, and the writer writes without yielding); drafts
judged in the same superstep do not see one another. A judge's ``observe`` (the near-duplicate
index) is the writer's: it runs there, one record at a time in a fixed order, so what is
accepted never depends on which draft finished first.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from langgraph.types import Command, Send

from steps_agents.errors import ModelCallError, ModelOutputError
from steps_agents.records import Verdict
from steps_agents.synthesis.generator import model_call_failed, start_generation, to_writer
from steps_agents.synthesis.judge_protocol import Judge, JudgeContext, JudgeInput, failed, revisable

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

    from steps_agents.synthesis.context import SynthesisContext
    from steps_agents.synthesis.state import ItemState


async def _run_judge(
    judge: Judge, sample: JudgeInput, ctx: JudgeContext
) -> Verdict | ModelCallError | None:
    """The judge's verdict; an abstention when its model's answer was malformed or its model
    refused this request; the :class:`ModelCallError` itself when the model failed for every
    request (returned, not raised, so the other judges of the draft still finish)."""
    try:
        return await judge.judge(sample, ctx)
    except ModelOutputError as error:
        return Verdict(judge=judge.name, passed=None, reason=f"abstained: {error}")
    except ModelCallError as error:
        if not error.item_specific:
            return error
        reason = " ".join(f"abstained: model call refused: {error}".split())[:500]
        return Verdict(judge=judge.name, passed=None, reason=reason)


def feedback_from(verdicts: list[Verdict]) -> list[str]:
    """What the generator is told on a revision: one line per failed verdict."""
    return [f"{v.judge}: {v.reason}" for v in failed(verdicts)]


async def critic(
    branch: ItemState, runtime: Runtime[SynthesisContext]
) -> Command[Literal["generator", "writer"]]:
    """Judge one draft; send it back for revision or on to the writer."""
    await asyncio.sleep(0)  # the writer of this superstep writes first (see module doc)
    ctx = runtime.context
    item = ctx.work_item(branch["item"])
    draft = branch.get("draft") or {}
    verdicts = list(ctx.mode.check(item, draft, ctx.mode_ctx))
    sample = JudgeInput(item=item, draft=draft, messages=ctx.mode.to_messages(item, draft))
    results = await asyncio.gather(*(_run_judge(j, sample, ctx.judge_ctx) for j in ctx.judges))
    down = next((r for r in results if isinstance(r, ModelCallError)), None)
    if down is not None:
        return model_call_failed(ctx, branch, down)
    verdicts.extend(v for v in results if isinstance(v, Verdict))
    dumped = [v.model_dump(mode="json") for v in verdicts]
    bad = failed(verdicts)
    revision = int(branch.get("revision", 0))
    if not bad:
        return to_writer({**branch, "verdicts": dumped, "decision": "accepted"})
    if revision < ctx.config.max_revisions and revisable(bad):
        feedback = feedback_from(verdicts)
        update: dict[str, Any] = {
            "verdicts": dumped,
            "revision": revision + 1,
            "feedback": feedback,
            "previous": draft,
            "draft": None,
        }
        start_generation(ctx, item, revision=revision + 1, feedback=feedback, previous=draft)
        return Command(goto=Send("generator", {**branch, **update}))
    reason = "; ".join(feedback_from(verdicts))
    return to_writer(
        {
            **branch,
            "verdicts": dumped,
            "decision": "rejected",
            "reason": reason,
            "reason_tag": bad[0].judge,
        }
    )
