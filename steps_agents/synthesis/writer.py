"""The writer agent: commits decided items one at a time, in queue order.

The pipeline (:mod:`steps_agents.synthesis.pipeline`) hands each decided item to :func:`commit`
in the order the planner queued it, whatever order the drafts finished in (a reorder buffer).
Every decision that depends on other samples is taken here, so that it follows from the seed
and the items and never from timing: whether an accepted draft is surplus (beyond ``n`` or its
k's quota, the quotas being the planner's at that point of the queue) and whether it is a
near-duplicate of a sample written before it (the judges with ``observe``, run here and not in
the critic: :func:`stateful_verdict`). A near-duplicate is written as a reject with that judge's
verdict, not revised: a revision here would hold the commit order for a model round trip, and
another item (another skill set) is planned in its place instead.

The :class:`~steps_agents.synthesis.store.SampleWriter` in the runtime context does the
durable, idempotent append, one line per record in commit order, so the files always hold a
prefix of the commit order; an item replayed after a kill whose id is already on disk is
counted from the disk record and not rewritten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from steps_agents.errors import ModelCallError
from steps_agents.records import Verdict
from steps_agents.synthesis.counters import outcome_stats
from steps_agents.synthesis.critic import run_judge
from steps_agents.synthesis.judge_protocol import JudgeInput
from steps_agents.synthesis.modes import sample_fields
from steps_agents.synthesis.records import Provenance, Sample, Status

if TYPE_CHECKING:  # pragma: no cover
    from steps_agents.synthesis.context import SynthesisContext
    from steps_agents.synthesis.state import ItemState


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
    extras = sample_fields(ctx.mode, item, draft) if draft else {}
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
        task_id=extras.get("task_id"),
    )
    status: Status = "accepted" if branch.get("decision") == "accepted" else "rejected"
    return Sample(
        id=item.id,
        status=status,
        messages=messages,
        tools=tuple(extras.get("tools") or ()),
        provenance=provenance,
        reason=str(branch.get("reason", "")) if status == "rejected" else "",
        reason_tag=str(branch.get("reason_tag", "")) if status == "rejected" else "",
    )


async def stateful_verdict(ctx: SynthesisContext, sample: JudgeInput) -> list[Verdict]:
    """Run the judges with ``observe`` on an accepted draft just before it is written: their
    verdicts, ending at the first failed one (the draft is a near-duplicate of a sample written
    before it; the judges after it do not record it). When none failed, every such judge has
    recorded the draft (``observe``)."""
    verdicts: list[Verdict] = []
    for judge in ctx.judges:
        observe = getattr(judge, "observe", None)
        if observe is None:
            continue
        verdict = await run_judge(judge, sample, ctx.judge_ctx)
        if isinstance(verdict, ModelCallError):
            verdict = Verdict(judge=judge.name, passed=None, reason=f"abstained: {verdict}")
        if verdict is not None and verdict.passed is False:
            return [*verdicts, verdict]
        late = observe(sample)  # records the draft, re-checking what judge() saw
        if isinstance(late, Verdict) and late.passed is False:
            return [*verdicts, late]
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


async def commit(
    ctx: SynthesisContext, branch: ItemState, quotas: dict[str, Any]
) -> dict[str, Any]:
    """Commit one decided item (written unless surplus, skipped or on disk already); its
    counter delta."""
    try:
        if branch.get("decision") == "accepted" and ctx.writer.get(_id(branch)) is None:
            quota = quotas.get(str(ctx.work_item(branch["item"]).k))
            confirmed = await _confirm(branch, ctx, quota)
            if confirmed is None:
                return _surplus(ctx.work_item(branch["item"]).k)
            branch = confirmed
        delta = _record(branch, ctx, quotas)
        k = str(ctx.work_item(branch["item"]).k)  # every decided item leaves its k's pending
        return delta | {"finished": 1, "by_k": _with(delta.get("by_k"), k)}
    finally:
        ctx.items.pop(_id(branch), None)  # the item ends here


def _id(branch: ItemState) -> str:
    return str(branch["item"].get("id", ""))


def _with(by_k: dict[str, Any] | None, k: str) -> dict[str, Any]:
    """``by_k`` with one more ``finished`` for ``k``."""
    out = dict(by_k or {})
    out[k] = {**(out.get(k) or {}), "finished": int((out.get(k) or {}).get("finished", 0)) + 1}
    return out


async def _confirm(branch: ItemState, ctx: SynthesisContext, quota: int | None) -> ItemState | None:
    """An accepted, new branch after the judges with ``observe``: ``None`` when it is surplus,
    the branch as a reject when one of them failed it, else the branch with their verdicts."""
    item = ctx.work_item(branch["item"])
    if ctx.writer.is_surplus(item.k, max_accepted=ctx.target, quota=quota):
        return None
    draft = branch.get("draft") or {}
    sample = JudgeInput(item=item, draft=draft, messages=ctx.mode.to_messages(item, draft))
    late = await stateful_verdict(ctx, sample)
    names = {v.judge for v in late}
    verdicts = [v for v in branch.get("verdicts") or () if v.get("judge") not in names]
    verdicts += [v.model_dump(mode="json") for v in late]
    bad = [v for v in late if v.passed is False]
    if not bad:
        return {**branch, "verdicts": verdicts}
    update: ItemState = {
        "verdicts": verdicts,
        "decision": "rejected",
        "reason": f"{bad[0].judge}: {bad[0].reason}",
        "reason_tag": bad[0].judge,
    }
    return {**branch, **update}


def _surplus(k: int) -> dict[str, Any]:
    return {"surplus": 1, "finished": 1, "by_k": {str(k): {"surplus": 1, "finished": 1}}}


def _record(branch: ItemState, ctx: SynthesisContext, quotas: dict[str, Any]) -> dict[str, Any]:
    """Write a decided branch (unless on disk already or surplus); its counter delta."""
    decision = branch.get("decision")
    if decision == "skipped":
        return {"skipped": 1}
    on_disk = ctx.writer.get(_id(branch))
    if decision == "already" or on_disk is not None:
        # On disk before this process started (an item replayed after a kill): counted from
        # the disk record, not written again, not shown as progress.
        assert on_disk is not None
        revisions = 0 if decision == "already" else int(branch.get("revision", 0))
        return outcome_stats(on_disk.status, on_disk.k, on_disk.reason_tag, revisions)
    k = ctx.work_item(branch["item"]).k
    quota = quotas.get(str(k))
    sample = build_sample(branch, ctx)
    if ctx.writer.write(sample, max_accepted=ctx.target, quota=quota) == "surplus":
        return {"surplus": 1, "by_k": {str(k): {"surplus": 1}}}
    ctx.monitor.decided(sample.status)
    return outcome_stats(
        sample.status, sample.provenance.k, sample.reason_tag, sample.provenance.revisions
    )
