"""The writer node: the branches decided in the previous superstep are appended, then counted.

Branches publish their decided record in the graph's ``decided`` channel (a ``Topic`` holding
one superstep's records); the writer runs once per superstep over all of them, in the channel's
order (LangGraph applies a superstep's writes in task-path order, never in finish order).

Every decision that depends on other samples is taken here, one record at a time, so that it
follows from the seed and the items and never from timing: whether an accepted draft is surplus
(beyond ``n`` or its k's quota, the quotas being the checkpointed ones) and whether it became a
near-duplicate of a sample written before it (the judges' ``observe``, which then records it).
A draft that fails ``observe`` is written as a reject with that judge's verdict. The node
runs without an ``await``: the whole superstep's records are written in the task's first step,
before any other node of the same superstep reads the run's samples (those nodes yield once
first; see the generator and the critic), and on resume the files hold exactly what they
would have read.

The :class:`~steps_agents.synthesis.store.SampleWriter` in the runtime context does the
durable, idempotent append; this node builds the :class:`Sample` with its provenance and returns
the branch's counter delta for the ``stats`` reducer. A branch replayed after a kill whose id is
already on disk is counted from the disk record and not rewritten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from steps_agents.records import Verdict
from steps_agents.synthesis.counters import merge_stats, outcome_stats
from steps_agents.synthesis.judge_protocol import Judge, JudgeInput
from steps_agents.synthesis.records import Provenance, Sample, Status

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

    from steps_agents.synthesis.context import SynthesisContext
    from steps_agents.synthesis.state import ItemState, WriterInput


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


def late_verdict(judges: list[Judge], sample: JudgeInput) -> Verdict | None:
    """Let judges with ``observe`` confirm an accepted draft just before it is written: the
    first failed verdict (the draft duplicates a sample written before it), or ``None`` once
    every such judge has recorded it."""
    for judge in judges:
        observe = getattr(judge, "observe", None)
        result = observe(sample) if observe is not None else None
        if isinstance(result, Verdict) and result.passed is False:
            return result  # rejected: the judges after this one must not record it
    return None


async def writer(state: WriterInput, runtime: Runtime[SynthesisContext]) -> dict[str, Any]:
    """Append the samples decided in the previous superstep (idempotently, in the channel's
    order, without yielding), one line each, and return their summed counter delta."""
    ctx = runtime.context
    quotas = dict(state.get("quotas") or {})
    total: dict[str, Any] = {}
    for branch in state.get("decided") or ():
        try:
            delta = _record(cast("ItemState", branch), ctx, quotas)["stats"]
            k = str(ctx.work_item(branch["item"]).k)  # every decided item leaves its k's pending
            total = merge_stats(total, merge_stats(delta, {"by_k": {k: {"finished": 1}}}))
        finally:
            ctx.items.pop(str(branch["item"].get("id", "")), None)  # the branch ends here
    return {"stats": total} if total else {}


def _confirm(branch: ItemState, ctx: SynthesisContext, quota: int | None) -> ItemState | None:
    """An accepted, new, non-surplus branch after ``observe``: ``None`` when it is surplus, the
    branch as a reject when a judge's ``observe`` failed it, else the branch unchanged."""
    item = ctx.work_item(branch["item"])
    if ctx.writer.is_surplus(item.k, max_accepted=ctx.config.n, quota=quota):
        return None
    draft = branch.get("draft") or {}
    sample = JudgeInput(item=item, draft=draft, messages=ctx.mode.to_messages(item, draft))
    late = late_verdict(ctx.judges, sample)
    if late is None:
        return branch
    verdicts = [v for v in branch.get("verdicts") or () if v.get("judge") != late.judge]
    update: ItemState = {
        "verdicts": [*verdicts, late.model_dump(mode="json")],
        "decision": "rejected",
        "reason": f"{late.judge}: {late.reason}",
        "reason_tag": late.judge,
    }
    return {**branch, **update}


def _surplus(k: int) -> dict[str, Any]:
    return {"stats": {"surplus": 1, "finished": 1, "by_k": {str(k): {"surplus": 1}}}}


def _record(branch: ItemState, ctx: SynthesisContext, quotas: dict[str, Any]) -> dict[str, Any]:
    decision = branch.get("decision")
    if decision == "skipped":
        return {"stats": {"skipped": 1, "finished": 1}}
    item_id = str(branch["item"].get("id", ""))
    on_disk = ctx.writer.get(item_id)
    if decision == "already" or on_disk is not None:
        # On disk before this process started (a replayed branch): counted from the disk
        # record, not written again, not shown as progress.
        assert on_disk is not None
        revisions = 0 if decision == "already" else int(branch.get("revision", 0))
        delta = outcome_stats(on_disk.status, on_disk.k, on_disk.reason_tag, revisions)
        return {"stats": delta | {"finished": 1}}
    k = ctx.work_item(branch["item"]).k
    quota = quotas.get(str(k))
    if decision == "accepted":
        confirmed = _confirm(branch, ctx, quota)
        if confirmed is None:
            return _surplus(k)
        branch = confirmed
    sample = build_sample(branch, ctx)
    if ctx.writer.write(sample, max_accepted=ctx.config.n, quota=quota) == "surplus":
        return _surplus(k)
    ctx.monitor.decided(sample.status)
    delta = outcome_stats(
        sample.status, sample.provenance.k, sample.reason_tag, sample.provenance.revisions
    )
    return {"stats": delta | {"finished": 1}}
