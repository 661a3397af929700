"""The planner agent: how many items to start next, for which k, and when to stop.

The synthesis graph is a pipeline of waves: while one wave waits for the model, the previous
one is judged and the one before it written. The planner runs again right after it planned
(so it can plan the next wave at once) and whenever a writer has written, and, from the
counters in ``stats`` (``planned``, ``dropped``, ``finished``, ``accepted``, ``rejected``),
decides to plan another wave (:func:`plan_wave`), to wait, or to stop: when ``n`` samples are
accepted (on disk), the model-call budget is spent, or the composer found nothing new for two
waves in a row. At most :data:`PIPELINE_WAVES` waves of ``wave_size`` items are in flight, which
bounds what one superstep holds (a SIGKILL replays at most that much work, mostly from cache)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

    from steps_agents.graphs.synthesis import SynthesisState
    from steps_agents.synthesis.context import SynthesisContext

DRY_WAVES_BEFORE_STOP = 2
# Waves in flight at once. Supersteps are barriers, so overlap needs every superstep to hold a
# wave at each stage: planned, composed, generating, judged, written. Five waves keep the judges'
# and the writer's CPU work running while the model answers the next wave.
PIPELINE_WAVES = 5
STALL_REJECTS = 100  # stop when this many decisions accepted nothing (rule of three: p < 3%)
RATE_FLOOR = 0.1  # below this estimated acceptance a k gets no more starts of its own


def acceptance_rates(stats: Mapping[str, Any], ks: Sequence[int]) -> dict[int, float]:
    """Estimated acceptance probability per k.

    Pooled rate with a Beta(3, 1) prior (mean 0.75: most drafts of a decent model pass, and a
    pessimistic prior would make the first wave overshoot): ``p = (a + 3) / (a + r + 4)``.
    Per k, a Beta prior of weight 2 centred on the pooled rate: ``p_k = (a_k + 2p) / (a_k + r_k + 2)``, so a k
    with few observations follows the pool and one with many follows its own record.
    """
    a, r = int(stats.get("accepted", 0)), int(stats.get("rejected", 0))
    pooled = (a + 3) / (a + r + 4)
    by_k = stats.get("by_k") or {}
    rates = {}
    for k in ks:
        counts = by_k.get(str(k)) or {}
        a_k, r_k = int(counts.get("accepted", 0)), int(counts.get("rejected", 0))
        rates[k] = (a_k + 2 * pooled) / (a_k + r_k + 2)
    return rates


def _largest_remainder(shares: Mapping[int, float], total: int) -> dict[int, int]:
    """Round non-negative ``shares`` to integers summing to ``total`` (Hamilton's method)."""
    mass = sum(shares.values())
    if total <= 0 or mass <= 0:
        return {k: 0 for k in shares}
    exact = {k: total * v / mass for k, v in shares.items()}
    out = {k: math.floor(v) for k, v in exact.items()}
    left = total - sum(out.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - out[k]), k))[:left]:
        out[k] += 1
    return out


def plan_wave(
    *,
    target: int,
    stats: Mapping[str, Any],
    ks: Sequence[int],
    k_weights: Mapping[int, float] | None,
    wave_size: int,
    budget_left: int | None,
    calls_per_item: float,
    pending: int = 0,
) -> dict[int, int]:
    """Items to start per k in the next wave.

    With ``w_k`` the normalised k weights (uniform by default) and ``a_k`` the accepted count,
    the still-missing share of k is ``d_k = max(0, target * w_k - a_k)`` (when every d_k is 0
    but fewer than ``target`` are accepted, the weights themselves). The ``need = target - a``
    missing samples are split in proportion to ``d_k``, and each k starts ``need_k / p_k`` items
    (p_k from :func:`acceptance_rates`, floored at :data:`RATE_FLOOR`), so a k that is often
    rejected gets more starts; a k whose p_k fell below the floor hands its share to the other
    k in proportion to their weights (unless every k is below it). The
    total is rounded up, capped by ``wave_size`` and by ``budget_left / calls_per_item``, and
    split back over k by largest remainders. ``pending`` items already started but not yet
    decided count as ``p * pending`` expected acceptances (p pooled) and as
    ``pending * calls_per_item`` calls already committed.
    """
    accepted = int(stats.get("accepted", 0))
    pooled = (accepted + 3) / (accepted + int(stats.get("rejected", 0)) + 4)
    need = target - accepted - pooled * pending
    if need <= 0:
        return {}
    weights = {k: float((k_weights or {}).get(k, 1.0 if not k_weights else 0.0)) for k in ks}
    if sum(weights.values()) <= 0:
        weights = {k: 1.0 for k in ks}
    mass = sum(weights.values())
    by_k = stats.get("by_k") or {}
    deficits = {
        k: max(0.0, target * w / mass - int((by_k.get(str(k)) or {}).get("accepted", 0)))
        for k, w in weights.items()
    }
    if sum(deficits.values()) <= 0:
        deficits = dict(weights)
    rates = acceptance_rates(stats, ks)
    # A k that almost never passes (the model cannot write it, or its skills break a judge)
    # would otherwise absorb every start: hand its share to the k that do pass.
    failing = {k for k in ks if rates[k] < RATE_FLOOR}
    passing_weight = sum(w for k, w in weights.items() if k not in failing)
    if failing and passing_weight > 0:
        moved = sum(deficits[k] for k in failing)
        deficits = {
            k: 0.0 if k in failing else d + moved * weights[k] / passing_weight
            for k, d in deficits.items()
        }
    deficit_mass = sum(deficits.values())
    starts = {k: need * d / deficit_mass / max(rates[k], RATE_FLOOR) for k, d in deficits.items()}
    total = min(math.ceil(sum(starts.values()) - 1e-9), wave_size)
    if budget_left is not None:
        left = budget_left - pending * calls_per_item
        total = min(total, int(max(left, 0) // max(calls_per_item, 1e-9)))
    return {k: n for k, n in _largest_remainder(starts, max(total, 0)).items() if n > 0}


def pending_items(stats: Mapping[str, Any]) -> int:
    """Items planned but not yet decided: ``planned - dropped - finished``."""
    planned, dropped = int(stats.get("planned", 0)), int(stats.get("dropped", 0))
    return max(0, planned - dropped - int(stats.get("finished", 0)))


async def planner(state: SynthesisState, runtime: Runtime[SynthesisContext]) -> dict[str, Any]:
    """Plan the next wave, wait, or stop; returns a partial state update.

    ``action`` is ``"compose"`` (a new ``plan`` for the composer), ``"wait"`` (the pipeline is
    full, or the items in flight are expected to reach the target) or ``"stop"`` (with a
    ``stop_reason``). The pipeline holds at most :data:`PIPELINE_WAVES` waves of items.
    """
    ctx = runtime.context
    cfg = ctx.config
    stats = dict(state.get("stats") or {})
    # The writer's files are the durable truth; the checkpointed counters can lag them after
    # a kill (async checkpoints), and planning from a lagging count would overshoot forever.
    accepted = max(int(stats.get("accepted", 0)), ctx.writer.accepted)
    stats["accepted"] = accepted
    pending = pending_items(stats)
    update: dict[str, Any] = {"calls": ctx.budget.spent(), "action": "stop"}
    if accepted >= cfg.n:
        return update | {"stop_reason": "target reached"}
    if ctx.budget.exhausted():
        return update | {"stop_reason": "budget spent"}
    if pending == 0 and int(state.get("dry_waves", 0)) >= DRY_WAVES_BEFORE_STOP:
        return update | {"stop_reason": "no more combinations"}
    rejected = int(stats.get("rejected", 0))
    if accepted == 0 and rejected >= STALL_REJECTS:
        # Zero of the first STALL_REJECTS passed: the acceptance rate is below 3% with 95%
        # confidence; a model or judge is misconfigured, and going on would burn the budget.
        return update | {
            "stop_reason": f"nothing accepted in {rejected} decisions; see the rejects file"
        }
    wave_size = cfg.effective_wave_size
    room = PIPELINE_WAVES * wave_size - pending
    if room <= 0 or (pending and int(state.get("dry_waves", 0))):
        return {"action": "wait"}
    decided = accepted + int(stats.get("rejected", 0))
    spent = ctx.budget.spent()
    calls_per_item = spent / decided if decided and spent else 1.0
    plan = plan_wave(
        target=cfg.n,
        stats=stats,
        ks=cfg.ks,
        k_weights=cfg.k_weights,
        wave_size=min(wave_size, room),
        budget_left=ctx.budget.remaining(),
        calls_per_item=calls_per_item,
        pending=pending,
    )
    if not plan:
        if pending:
            return {"action": "wait"}
        return update | {"stop_reason": "budget spent"}
    wave = int(state.get("wave", 0)) + 1
    return {
        "calls": spent,
        "plan": {str(k): n for k, n in plan.items()},
        "wave": wave,
        "stop_reason": "",
        "action": "compose",
        "stats": {"planned": sum(plan.values())},
    }
