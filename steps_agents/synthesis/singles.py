"""Singles: a k = 1 task for every skill the batch's k >= 2 tasks use (``[synth] singles``).

The compositional gap compares a k-skill task's pass rate with the product of its skills'
k = 1 pass rates, so it is measurable only for tasks whose every skill has a k = 1 task. With
``singles = true`` a run goes on once its ``n`` samples are written: it adds, **on top of
n**, one k = 1 item for every skill an accepted k >= 2 sample uses and no accepted k = 1
sample covers, in sorted skill order, as one more wave (whatever ``k`` the run asks for).

Everything is decided from the checkpointed counters, never from the files or timing (see
:mod:`steps_agents.synthesis.planner`): while singles are on, the pipeline counts, per skill,
the accepted k = 1 samples (``alone``), the accepted k >= 2 ones (``combined``) and the
rejected k = 1 ones (``alone_rejected``) as it commits them, so a resumed run plans the same
singles at the same point of the commit order. A skill gets no single, and is listed in the
report instead, when its k = 1 item was already tried and rejected (the same combination
composes the same item), when the mode cannot compose it alone (``Uncomposable``) or when
``--exclude`` holds it (reason ``excluded``); it is tried once, never again (not by a finished
run asked for more either). A single the critic rejects is listed too. Counters live under
``stats["singles"]``:

``alone`` / ``combined`` / ``alone_rejected``: ``{skill: count}``; ``planned``: singles items
queued; ``added`` / ``rejected``: their outcomes, and ``rejected_skills``; ``not_alone``:
``{skill: 1}`` with ``not_alone_reasons`` ``{tag: count}``; ``decided``: ``{str(n): 1}`` once
the singles of a target ``n`` are planned (a finished run asked for more plans again).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from steps_agents.records import Combination
from steps_agents.synthesis.composer import reason_tag
from steps_agents.synthesis.modes import Uncomposable, WorkItem

if TYPE_CHECKING:  # pragma: no cover
    from steps_agents.synthesis.context import SynthesisContext
    from steps_agents.synthesis.store import Decided

SELECTOR = "singles"  # provenance.selector of a single's combination


def counters(stats: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``singles`` block of a run's counters (empty when singles never ran)."""
    block = stats.get("singles")
    return block if isinstance(block, Mapping) else {}


def coverage(skills: Iterable[str], k: int, status: str) -> dict[str, Any]:
    """The counter delta one committed sample of ``k`` with ``status`` adds to the coverage."""
    if status == "accepted":
        key = "alone" if k == 1 else "combined"
    elif status == "rejected" and k == 1:
        key = "alone_rejected"
    else:
        return {}
    return {"singles": {key: {skill: 1 for skill in skills}}}


def coverage_on_disk(decided: Iterable[Decided]) -> dict[str, Any]:
    """The coverage counters of the samples already on disk: for a run whose checkpoint has
    none (a new state dir over old files, or a run that started without singles)."""
    out: dict[str, Any] = {"singles": {"alone": {}, "combined": {}, "alone_rejected": {}}}
    block = out["singles"]
    for record in decided:
        for key, skills in (
            coverage(record.skills, record.k, record.status).get("singles", {}).items()
        ):
            for skill in skills:
                block[key][skill] = block[key].get(skill, 0) + 1
    return out


def needed(stats: Mapping[str, Any]) -> list[str]:
    """Skills an accepted k >= 2 sample uses that no accepted k = 1 sample covers, sorted."""
    block = counters(stats)
    combined = {s for s, n in (block.get("combined") or {}).items() if n > 0}
    alone = {s for s, n in (block.get("alone") or {}).items() if n > 0}
    return sorted(combined - alone)


def added(stats: Mapping[str, Any]) -> int:
    """Singles accepted so far."""
    return int(counters(stats).get("added", 0))


def allowance(stats: Mapping[str, Any]) -> int:
    """Accepted samples the writer must allow on top of ``n`` (and of k = 1's quota): the
    singles planned, less those already rejected."""
    block = counters(stats)
    return max(0, int(block.get("planned", 0)) - int(block.get("rejected", 0)))


def due(stats: Mapping[str, Any], n: int) -> bool:
    """Whether the singles of target ``n`` are still to be planned."""
    return str(n) not in (counters(stats).get("decided") or {})


def batch_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """``stats`` with the accepted singles taken out of ``accepted`` and k = 1's ``accepted``:
    the batch's own counters, which the planner's target and quotas are about."""
    extra = added(stats)
    if not extra:
        return dict(stats)
    by_k = dict(stats.get("by_k") or {})
    one = dict(by_k.get("1") or {})
    one["accepted"] = int(one.get("accepted", 0)) - extra
    by_k["1"] = one
    return {**stats, "accepted": int(stats.get("accepted", 0)) - extra, "by_k": by_k}


def _combination(ctx: SynthesisContext, skill: str) -> Combination:
    if ctx.taxonomy is not None:
        from steps_agents.selection.api import make_combination

        try:
            return make_combination(ctx.taxonomy, [skill], selector=SELECTOR, seed_skill=skill)
        except (KeyError, IndexError, ValueError):
            pass  # a skill outside the taxonomy: no paths, still a combination
    return Combination(skills=(skill,), k=1, gain=0.0, selector=SELECTOR, seed_skill=skill)


def compose_singles(
    ctx: SynthesisContext, stats: Mapping[str, Any], wave: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The singles wave for the run's current target: its items (as JSON, in sorted skill
    order) and the state update (``used``, ``stats``). A pure function of the committed
    counters and the run's inputs."""
    block = counters(stats)
    rejected_alone = {s for s, n in (block.get("alone_rejected") or {}).items() if n}
    listed = set(block.get("not_alone") or {}) | set(block.get("rejected_skills") or {})
    items: list[dict[str, Any]] = []
    used: list[list[str]] = []
    not_alone: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for skill in needed(stats):
        if skill in listed:  # an earlier target's singles (a finished run asked for more)
            continue
        if skill in rejected_alone:  # the same combination composes the same item: no retry
            not_alone[skill] = 1
            reasons["k = 1 task rejected"] = reasons.get("k = 1 task rejected", 0) + 1
            continue
        if frozenset((skill,)) in ctx.outside_run:  # --exclude: never chosen, not even alone
            not_alone[skill] = 1
            reasons["excluded"] = reasons.get("excluded", 0) + 1
            continue
        combination = _combination(ctx, skill)
        used.append([skill])
        if ctx.exclude is not None:
            ctx.exclude.add(combination.key())
        result = ctx.mode.compose(combination, ctx.mode_ctx)
        if isinstance(result, Uncomposable):
            tag = reason_tag(result)
            not_alone[skill] = 1
            reasons[tag] = reasons.get(tag, 0) + 1
            ctx.writer.log_uncomposable(result, tag=tag, k=1, wave=wave)
            continue
        assert isinstance(result, WorkItem)
        items.append(result.model_dump(mode="json"))
        ctx.items[result.id] = result
    delta: dict[str, Any] = {"planned": len(items), "decided": {str(ctx.config.n): 1}}
    if not_alone:
        delta |= {"not_alone": not_alone, "not_alone_reasons": reasons}
    update_stats: dict[str, Any] = {"singles": delta}
    if items:
        update_stats |= {
            "planned": len(items),
            "launched": len(items),
            "by_k": {"1": {"planned": len(items), "composed": len(items)}},
        }
    return items, {"used": used, "stats": update_stats}


def outcome(skill: str, delta: Mapping[str, Any]) -> dict[str, Any]:
    """The ``singles`` counters a committed single's counter ``delta`` adds."""
    if delta.get("accepted"):
        return {"singles": {"added": 1}}
    if delta.get("rejected"):
        return {"singles": {"rejected": 1, "rejected_skills": {skill: 1}}}
    return {}


def summary(stats: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the run report says about the singles (``None`` when none were planned):
    ``added`` and ``rejected`` singles, the skills that got none (``not_alone``, by reason),
    and ``unmeasured``: the skills k >= 2 samples use that still have no k = 1 sample."""
    block = counters(stats)
    if not block.get("decided"):
        return None
    return {
        "added": int(block.get("added", 0)),
        "rejected": sorted(block.get("rejected_skills") or {}),
        "not_alone": sorted(block.get("not_alone") or {}),
        "not_alone_reasons": dict(block.get("not_alone_reasons") or {}),
        "unmeasured": needed(stats),
    }
