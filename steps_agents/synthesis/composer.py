"""The composer agent: the planned counts per k become work items, appended to the queue.

For each k it asks the selector (``ctx.select``, :func:`steps_agents.selection.select_combinations`
by default) for combinations, excluding every skill set this run has already used, and hands
each one to the mode's ``compose`` (which attaches one real seed example per skill, as STEPS
does). A combination the mode cannot compose is counted under a short category
(:func:`reason_tag`), logged with its full reason beside the output, and replaced by asking the
selector again, up to :data:`MAX_ROUNDS` rounds per k. Per k it counts ``composed`` and
``uncomposable`` combinations, and ``exhausted`` when the selector had no new k-set at all: the
planner closes such a k (see :func:`~steps_agents.synthesis.planner.closed_ks`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from steps_agents.errors import InputError
from steps_agents.synthesis.modes import Uncomposable, WorkItem

if TYPE_CHECKING:  # pragma: no cover
    from steps_agents.synthesis.context import SynthesisContext

MAX_ROUNDS = 3


def reason_tag(result: Uncomposable) -> str:
    """The short category an uncomposable combination is counted under in the run report.

    The mode's ``tag`` when it set one; otherwise the reason with the combination's skill names
    taken out, up to its first colon (``"cannot compose a, b: ..."`` -> ``"cannot compose"``,
    ``"no seed example: a"`` -> ``"no seed example"``), so one cause is one row however many
    combinations it hit. The full reason goes to the uncomposable log beside the output.
    """
    if result.tag.strip():
        return result.tag.strip()[:60]
    text = result.reason.split(":", 1)[0]
    for skill in sorted(result.skills, key=len, reverse=True):
        text = text.replace(skill, " ")
    text = re.sub(r"(\s*,\s*)+", " ", text)
    text = " ".join(text.split()).strip(" ,;'\"")
    return text[:60] or "uncomposable"


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
                    outside_run=ctx.outside_run,
                    corpus_counts=ctx.corpus_counts,
                    pm=ctx.pm,
                    options=cfg.selector_options,
                )
            )
        except InputError:
            n //= 2
    return []


def _compose_k(
    ctx: SynthesisContext,
    k: int,
    want: int,
    wave: int,
    exclude: set[frozenset[str]],
    items: list[dict[str, Any]],
    used: list[list[str]],
    reasons: Counter[str],
) -> tuple[int, int]:
    """Compose up to ``want`` items of size ``k`` into ``items`` (recording every k-set tried in
    ``exclude`` and ``used``, and uncomposable reasons in ``reasons``); returns how many items
    were composed and how many new k-sets the selector offered."""
    composed = selected = 0
    for round_ in range(MAX_ROUNDS):
        if composed >= want:
            break
        seed = ctx.config.seed + 7919 * wave + 104729 * round_ + k
        fresh = [
            c
            for c in _select(ctx, want - composed, k, seed, exclude)
            if c.key() not in exclude and c.key() not in ctx.outside_run
        ]
        if not fresh:
            break
        selected += len(fresh)
        for combination in fresh:
            if composed >= want:
                break
            exclude.add(combination.key())
            used.append(sorted(combination.skills))
            result = ctx.mode.compose(combination, ctx.mode_ctx)
            if isinstance(result, Uncomposable):
                tag = reason_tag(result)
                reasons[tag] += 1
                ctx.writer.log_uncomposable(result, tag=tag, k=k, wave=wave)
                continue
            assert isinstance(result, WorkItem)
            # An item already decided on disk (a replayed wave) is still queued: the generator
            # returns it as "already", and the writer counts it without writing it again.
            items.append(result.model_dump(mode="json"))
            ctx.items[result.id] = result
            composed += 1
    return composed, selected


def composer(
    ctx: SynthesisContext, state: Mapping[str, Any], exclude: set[frozenset[str]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Compose the planned wave: its items (as JSON, in order) and the state update (``used``,
    ``dry_waves``, ``stats``). ``exclude`` holds every skill set this run has tried; the new
    ones are added to it. A pure function of the state and the run's inputs, never of timing:
    a resumed run composes the same items."""
    wave = int(state.get("wave", 0))
    items: list[dict[str, Any]] = []
    used: list[list[str]] = []
    reasons: Counter[str] = Counter()
    by_k: dict[str, dict[str, int]] = {}
    for k_text, count in sorted((state.get("plan") or {}).items(), key=lambda kv: int(kv[0])):
        k, want = int(k_text), int(count)
        if want <= 0:
            continue
        if ctx.failure is not None:  # the model is down: drop the wave, keep its k-sets unused
            by_k[str(k)] = {"composed": 0, "dropped": want}
            continue
        before = sum(reasons.values())
        composed, selected = _compose_k(ctx, k, want, wave, exclude, items, used, reasons)
        counts = {
            "composed": composed,
            "dropped": want - composed,
            "uncomposable": sum(reasons.values()) - before,
        }
        if not selected:  # the selector has no new k-set of this size: k is used up
            counts["exhausted"] = 1
        by_k[str(k)] = counts
    uncomposable = sum(reasons.values())
    planned = sum(int(n) for n in (state.get("plan") or {}).values())
    stats: dict[str, Any] = {"launched": len(items), "dropped": planned - len(items)}
    if uncomposable:
        stats |= {"uncomposable": uncomposable, "uncomposable_reasons": dict(reasons)}
    if by_k:
        stats["by_k"] = by_k
    update: dict[str, Any] = {
        "used": used,
        "dry_waves": 0 if items else int(state.get("dry_waves", 0)) + 1,
        "stats": stats,
    }
    return items, update
