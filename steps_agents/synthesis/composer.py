"""The composer agent: the planned counts per k become work items, one ``Send`` each.

For each k it asks the selector (``ctx.select``, :func:`steps_agents.selection.select_combinations`
by default) for combinations, excluding every skill set this run has already used, and hands
each one to the mode's ``compose`` (which attaches one real seed example per skill, as STEPS
does). A combination the mode cannot compose is counted with its reason and replaced by asking
the selector again, up to :data:`MAX_ROUNDS` rounds per k.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

from langgraph.types import Command, Send

from steps_agents.errors import InputError
from steps_agents.modes import Uncomposable, WorkItem
from steps_agents.synthesis.generator import start_generation

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

    from steps_agents.graphs.synthesis import SynthesisState
    from steps_agents.synthesis.context import SynthesisContext

MAX_ROUNDS = 3


def _reason_tag(reason: str) -> str:
    """The counted form of a reason: its text up to the first colon, trimmed."""
    return reason.split(":", 1)[0].strip()[:60] or "uncomposable"


def _select(
    ctx: SynthesisContext, n: int, k: int, seed: int, exclude: set[frozenset[str]]
) -> list[Any]:
    """Up to ``n`` new k-sets: the selector raises when it cannot find ``n``, so ask for fewer
    (halving) before concluding that k is exhausted."""
    cfg = ctx.config
    while n >= 1:
        try:
            return list(
                ctx.select(
                    ctx.taxonomy,
                    n=n,
                    k=(k,),
                    selector=cfg.selector,
                    beam=cfg.beam,
                    seed=seed,
                    exclude=frozenset(exclude),
                    corpus_counts=ctx.corpus_counts,
                    pm=ctx.pm,
                )
            )
        except InputError:
            n //= 2
    return []


async def composer(
    state: SynthesisState, runtime: Runtime[SynthesisContext]
) -> Command[Literal["generator", "planner"]]:
    """Compose the planned wave: one ``Send`` to the generator per item; if nothing could be
    composed, back to the planner (which stops after two such waves)."""
    await asyncio.sleep(0)  # as in the critic: model calls of this superstep go out first
    ctx = runtime.context
    cfg = ctx.config
    wave = int(state.get("wave", 0))
    exclude = {frozenset(skills) for skills in state.get("used") or ()}
    items: list[dict[str, Any]] = []
    used: list[list[str]] = []
    reasons: Counter[str] = Counter()
    uncomposable = 0
    for k_text, count in sorted((state.get("plan") or {}).items(), key=lambda kv: int(kv[0])):
        k, want = int(k_text), int(count)
        for round_ in range(MAX_ROUNDS):
            if want <= 0:
                break
            combinations = _select(
                ctx, want, k, cfg.seed + 7919 * wave + 104729 * round_ + k, exclude
            )
            fresh = [c for c in combinations if c.key() not in exclude]
            if not fresh:
                break
            for combination in fresh:
                if want <= 0:
                    break
                exclude.add(combination.key())
                used.append(sorted(combination.skills))
                result = ctx.mode.compose(combination, ctx.mode_ctx)
                if isinstance(result, Uncomposable):
                    uncomposable += 1
                    reasons[_reason_tag(result.reason)] += 1
                    continue
                assert isinstance(result, WorkItem)
                # An item already decided on disk (a replayed wave) still goes out: the generator
                # sends it straight to the writer, which counts it without writing it again.
                items.append(result.model_dump(mode="json"))
                ctx.items[result.id] = result
                start_generation(ctx, result)
                want -= 1
    planned = sum(int(n) for n in (state.get("plan") or {}).values())
    stats: dict[str, Any] = {"launched": len(items), "dropped": planned - len(items)}
    if uncomposable:
        stats |= {"uncomposable": uncomposable, "uncomposable_reasons": dict(reasons)}
    update: dict[str, Any] = {
        "used": used,
        "dry_waves": 0 if items else int(state.get("dry_waves", 0)) + 1,
        "stats": stats,
    }
    sends: list[Send] = [
        Send("generator", {"item": item, "wave": wave, "revision": 0, "feedback": []})
        for item in items
    ]
    return Command(update=update, goto=sends or "planner")
