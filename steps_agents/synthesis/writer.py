"""The writer node: the branches decided in the previous superstep are appended, then counted.

Branches publish their decided record in the graph's ``decided`` channel (a ``Topic`` holding
one superstep's records); the writer runs once per superstep over all of them.

The :class:`~steps_agents.synthesis.store.SampleWriter` in the runtime context does the
durable, idempotent append; this node builds the :class:`Sample` with its provenance and returns
the branch's counter delta for the ``stats`` reducer. A branch replayed after a kill whose id is
already on disk (``decision == "already"``) is counted from the disk record and not rewritten.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from steps_agents.records import Verdict
from steps_agents.synthesis.counters import merge_stats, outcome_stats
from steps_agents.synthesis.records import Provenance, Sample, Status

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

    from steps_agents.synthesis.context import SynthesisContext
    from steps_agents.synthesis.state import ItemState, WriterInput


YIELD_EVERY = 8  # records written between two yields to the event loop


def build_sample(branch: ItemState, ctx: SynthesisContext) -> Sample:
    """The sample a decided branch describes, with full provenance."""
    item = ctx.work_item(branch["item"])
    combo = item.combination
    labels: tuple[str, ...] = ()
    if ctx.taxonomy is not None and combo.lca is not None:
        try:
            labels = (ctx.taxonomy.label(combo.lca),)
        except (IndexError, KeyError, AttributeError):
            labels = ()
    draft = branch.get("draft")
    messages = tuple(ctx.mode.to_messages(item, draft)) if draft else ()
    provenance = Provenance(
        run_id=ctx.run_id,
        mode=item.mode,
        skills=combo.skills,
        k=combo.k,
        gain=combo.gain,
        selector=combo.selector,
        seed_skill=combo.seed_skill,
        taxonomy_paths=combo.paths,
        taxonomy_labels=labels,
        lca_depth=combo.lca_depth,
        seed_examples=tuple(seed.id for seed in item.seeds),
        model=ctx.model_spec,
        verdicts=tuple(Verdict.model_validate(v) for v in branch.get("verdicts") or ()),
        revisions=int(branch.get("revision", 0)),
        wave=int(branch.get("wave", 0)),
        versions=ctx.versions,
    )
    status: Status = "accepted" if branch.get("decision") == "accepted" else "rejected"
    return Sample(
        id=item.id,
        status=status,
        messages=messages,
        provenance=provenance,
        reason=str(branch.get("reason", "")) if status == "rejected" else "",
        reason_tag=str(branch.get("reason_tag", "")) if status == "rejected" else "",
    )


async def writer(state: WriterInput, runtime: Runtime[SynthesisContext]) -> dict[str, Any]:
    """Append the samples decided in the previous superstep (idempotently), one flushed line
    each, and return their summed counter delta."""
    await asyncio.sleep(0)  # generators replayed on resume put their model calls out first
    ctx = runtime.context
    if state.get("quotas"):
        ctx.quotas = dict(state["quotas"])
    total: dict[str, Any] = {}
    for i, branch in enumerate(state.get("decided") or ()):
        if i and not i % YIELD_EVERY:
            await asyncio.sleep(0)  # short bursts: model calls finishing meanwhile get served
        try:
            delta = _record(cast("ItemState", branch), ctx)["stats"]
            k = str(ctx.work_item(branch["item"]).k)  # every decided item leaves its k's pending
            total = merge_stats(total, merge_stats(delta, {"by_k": {k: {"finished": 1}}}))
        finally:
            ctx.items.pop(str(branch["item"].get("id", "")), None)  # the branch ends here
    return {"stats": total} if total else {}


def _record(branch: ItemState, ctx: SynthesisContext) -> dict[str, Any]:
    decision = branch.get("decision")
    if decision == "skipped":
        return {"stats": {"skipped": 1, "finished": 1}}
    if decision == "already":
        on_disk = ctx.writer.get(str(branch["item"].get("id", "")))
        assert on_disk is not None  # on disk before this process started: not shown as progress
        delta = outcome_stats(on_disk.status, on_disk.k, on_disk.reason_tag)
        return {"stats": delta | {"finished": 1}}
    sample = build_sample(branch, ctx)
    quota = ctx.quotas.get(str(sample.provenance.k)) if ctx.quotas else None
    result = ctx.writer.write(sample, max_accepted=ctx.config.n, quota=quota)
    if result == "surplus":
        k = str(sample.provenance.k)
        return {"stats": {"surplus": 1, "finished": 1, "by_k": {k: {"surplus": 1}}}}
    ctx.monitor.decided(sample.status)
    delta = outcome_stats(
        sample.status, sample.provenance.k, sample.reason_tag, sample.provenance.revisions
    )
    return {"stats": delta | {"finished": 1}}
