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

A judge whose verdict depends on the samples written so far (one with ``observe``: the
near-duplicate index) is not run here: the critic runs while earlier items are still being
committed, so what it would see depends on timing. The writer runs it instead, at commit time,
one item at a time in queue order (:func:`steps_agents.synthesis.writer.stateful_verdict`), so
what is accepted never depends on which draft finished first.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from steps_agents.errors import ModelCallError, ModelOutputError
from steps_agents.records import Verdict
from steps_agents.synthesis.generator import model_call_failed
from steps_agents.synthesis.judge_protocol import Judge, JudgeContext, JudgeInput, failed, revisable

if TYPE_CHECKING:  # pragma: no cover
    from steps_agents.synthesis.context import SynthesisContext
    from steps_agents.synthesis.state import ItemState


async def run_judge(
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


def stateless(judges: list[Judge]) -> list[Judge]:
    """The judges the critic runs: those without ``observe`` (see module doc)."""
    return [j for j in judges if getattr(j, "observe", None) is None]


async def critic(ctx: SynthesisContext, branch: ItemState) -> ItemState:
    """Judge one draft: the branch decided (``decision`` set), or set up for a revision
    (``revision`` incremented, ``feedback`` and ``previous`` filled, no ``decision``)."""
    item = ctx.work_item(branch["item"])
    draft = branch.get("draft") or {}
    verdicts = list(ctx.mode.check(item, draft, ctx.mode_ctx))
    sample = JudgeInput(item=item, draft=draft, messages=ctx.mode.to_messages(item, draft))
    judges = stateless(ctx.judges)
    results = await asyncio.gather(*(run_judge(j, sample, ctx.judge_ctx) for j in judges))
    down = next((r for r in results if isinstance(r, ModelCallError)), None)
    if down is not None:
        return model_call_failed(ctx, branch, down)
    verdicts.extend(v for v in results if isinstance(v, Verdict))
    dumped = [v.model_dump(mode="json") for v in verdicts]
    bad = failed(verdicts)
    revision = int(branch.get("revision", 0))
    if not bad:
        return {**branch, "verdicts": dumped, "decision": "accepted"}
    if revision < ctx.config.max_revisions and revisable(bad):
        update: dict[str, Any] = {
            "verdicts": dumped,
            "revision": revision + 1,
            "feedback": feedback_from(verdicts),
            "previous": draft,
            "draft": None,
        }
        return {**branch, **update}  # type: ignore[typeddict-item]
    return {
        **branch,
        "verdicts": dumped,
        "decision": "rejected",
        "reason": "; ".join(feedback_from(verdicts)),
        "reason_tag": bad[0].judge,
    }
