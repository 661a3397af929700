"""The planner agent: how many items to start next, for which k, and when to stop.

The pipeline (:mod:`steps_agents.synthesis.pipeline`) runs the planner at fixed points of the
commit order: before the first commit and after each wave is committed, again and again until
it waits or stops. From the committed counters in ``stats`` (``planned``, ``dropped``,
``finished``, ``accepted``, ``rejected``) it decides to queue another wave (:func:`plan_wave`),
to wait, or to stop: when ``n`` samples are
accepted (counted by the writer), the model-call budget is spent, a model failed for every request (see
:meth:`SynthesisContext.fail`), or the composer found nothing new for two waves in a row
(first the k those waves asked for are closed and the others planned instead). At
most :data:`PIPELINE_WAVES` waves of ``wave_size`` items are queued and not committed: enough
for the model to keep working while a slow call holds the commit order, and a bound on what a
checkpoint holds.

Per-k quotas: the target is apportioned exactly over the k weights (:func:`k_quotas`); the
planner publishes the quotas in the state and the writer accepts no more of a k than its quota
(an accepted draft beyond it is surplus, counted and not written). A k that almost never passes,
or whose combinations ran out, is closing (:func:`closing_ks`: no new starts) and, once none of
its queued items is left, closed (:func:`closed_ks`): its quota shrinks to what it has
accepted and the rest of its share goes to the open k in proportion to their weights, so the
run still reaches ``n`` exactly."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from steps_agents.selection.composable import compose_rate_upper
from steps_agents.selection.curriculum import apportion
from steps_agents.synthesis import singles
from steps_agents.synthesis.counters import merge_stats

if TYPE_CHECKING:  # pragma: no cover
    from langgraph.runtime import Runtime

    from steps_agents.synthesis.config import SynthConfig
    from steps_agents.synthesis.context import SynthesisContext
    from steps_agents.synthesis.state import SynthesisState

DRY_WAVES_BEFORE_STOP = 2
# Waves queued and not committed (at most). Items are started lazily, only while the live
# estimate says they are needed, so queued items cost no model calls; the queue is what the
# model works on while the commit order waits for a slow item (until the pipeline runs that
# item a second time, after a few median item times: see steps_agents.synthesis.pipeline).
PIPELINE_WAVES = 8
STALL_REJECTS = 100  # stop when this many decisions accepted nothing (rule of three: p < 3%)
RATE_FLOOR = 0.1  # below this estimated acceptance a k is closed: see closed_ks
COMPOSE_MIN_TRIES = 20  # uncomposable combinations of a k before its compose rate can close it


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
    """Round non-negative ``shares`` to integers summing to ``total`` (Hamilton's largest
    remainders, :func:`~steps_agents.selection.curriculum.apportion`: a tie goes to the k that
    comes first in ``shares``, the smaller one as ks ascend); all zero when there is nothing to
    share."""
    if total <= 0 or sum(shares.values()) <= 0:
        return {k: 0 for k in shares}
    return dict(zip(shares, apportion(total, list(shares.values())), strict=True))


def _normalised_weights(
    ks: Sequence[int], k_weights: Mapping[int, float] | None
) -> dict[int, float]:
    """``w_k`` for every k: the given weights (missing k weigh 0), uniform when none is given
    or every weight is 0."""
    weights = {k: float((k_weights or {}).get(k, 1.0 if not k_weights else 0.0)) for k in ks}
    if sum(weights.values()) <= 0:
        weights = {k: 1.0 for k in ks}
    return weights


def closing_ks(stats: Mapping[str, Any], ks: Sequence[int]) -> set[int]:
    """The k that get no more starts of their own.

    A k is *closing* when its estimated acceptance (:func:`acceptance_rates`) fell below
    :data:`RATE_FLOOR` (the model cannot write it, or its skills break a judge); when the
    selector found no new combination for it (``by_k[k]["exhausted"]``, set by the composer);
    or when its combinations almost never compose: ``u_k >= COMPOSE_MIN_TRIES`` uncomposable
    and, with ``c_k`` composed, even the one-sided 95% upper bound of the compose rate
    ``c_k / (c_k + u_k)`` is below ``RATE_FLOOR`` (a k that composes 2 of its first 24 tries may
    well compose 13% of the time: the point estimate closed such a k after 24 tries, leaving the
    quickstart 2 tasks of k = 7; the bound waits for evidence, and a k that never composes still
    closes after 25 tries). When every k is closing, none is: there is nobody to hand the share
    to.
    """
    return set(closing_reasons(stats, ks))


def closing_reasons(stats: Mapping[str, Any], ks: Sequence[int]) -> dict[int, str]:
    """The closing k (:func:`closing_ks`), each with why, in words for the run report."""
    rates = acceptance_rates(stats, ks)
    by_k = stats.get("by_k") or {}
    closing = {}
    for k in ks:
        counts = by_k.get(str(k)) or {}
        composed, failed = int(counts.get("composed", 0)), int(counts.get("uncomposable", 0))
        if (
            failed >= COMPOSE_MIN_TRIES
            and compose_rate_upper(composed, composed + failed) < RATE_FLOOR
        ):
            closing[k] = f"its sets rarely compose ({composed} of {composed + failed})"
        elif int(counts.get("exhausted", 0)) > 0:
            closing[k] = "the selector found no new combination"
        elif rates[k] < RATE_FLOOR:
            closing[k] = f"estimated acceptance {rates[k]:.0%}"
    return closing if len(closing) < len(ks) else {}


def closed_ks(stats: Mapping[str, Any], ks: Sequence[int]) -> set[int]:
    """The closing k (:func:`closing_ks`) none of whose queued items is left to commit: they
    hand their share to the others (:func:`k_quotas`). The queue runs ahead of the commits, so
    a k can close long before its queued items are decided; until they are, its quota stays,
    and its accepted items are samples, not surplus."""
    pending = pending_by_k(stats, ks)
    return {k for k in closing_ks(stats, ks) if pending[k] == 0}


def k_quotas(
    target: int,
    ks: Sequence[int],
    k_weights: Mapping[int, float] | None,
    stats: Mapping[str, Any],
) -> dict[int, int]:
    """Exact accepted count per k, summing to ``target``: the writer accepts no more of a k
    than its quota (the rest of that k is surplus).

    Open k share the target in proportion to their weights ``w_k`` (Hamilton's largest
    remainders, so ``sum q_k = target``). A closed k (:func:`closed_ks`) keeps only what it has
    accepted, ``q_k = a_k``, and hands the rest of its share to the open k in proportion to
    their weights: ``q_k`` over open k is the apportionment of ``target - sum_closed a_k``
    (equally, when every open k weighs 0).
    No quota falls below what its k has already accepted (``q_k >= a_k``: a k whose share
    shrank after it reopened keeps its samples, and the others share what is left), so the
    quotas stay reachable whenever ``sum a_k <= target``.
    """
    weights = _normalised_weights(ks, k_weights)
    by_k = stats.get("by_k") or {}
    accepted = {k: int((by_k.get(str(k)) or {}).get("accepted", 0)) for k in ks}
    fixed = {k: accepted[k] for k in closed_ks(stats, ks)}
    while True:
        open_ks = [k for k in ks if k not in fixed]
        left = max(target - sum(fixed.values()), 0)
        share = {k: weights[k] for k in open_ks}
        if open_ks and sum(share.values()) <= 0:
            # Every weighted k is closed: the open ones (all weight 0) share the rest equally,
            # or the target could never be reached.
            share = {k: 1.0 for k in open_ks}
        mass = sum(share.values())
        over = [k for k in open_ks if mass > 0 and accepted[k] > left * share[k] / mass]
        if not over:
            break
        fixed.update({k: accepted[k] for k in over})  # keeps its samples, shares no more
    quotas = _largest_remainder(share, left) if open_ks else {}
    return {k: fixed.get(k, quotas.get(k, 0)) for k in ks}


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
    pending_by_k: Mapping[int, int] | None = None,
) -> dict[int, int]:
    """Items to start per k in the next wave.

    With ``q_k`` the exact quotas of :func:`k_quotas` (a closed k's share already handed to the
    open ones) and ``a_k`` the accepted count, the still-missing part of k is
    ``d_k = q_k - a_k``. The ``need = target - a`` missing samples are split in proportion to
    ``d_k``, and each k starts ``need_k / p_k`` items (p_k from :func:`acceptance_rates`,
    floored at :data:`RATE_FLOOR`), so a k that is often rejected gets more starts. The
    total is rounded up, capped by ``wave_size`` and by ``budget_left / calls_per_item``, and
    split back over k by largest remainders. ``pending`` items already started but not yet
    decided count as ``p * pending`` expected acceptances (p pooled) and as
    ``pending * calls_per_item`` calls already committed. With ``pending_by_k`` (items in
    flight per k) each k is planned on its own: ``start_k = max(0, q_k - a_k - p_k *
    pending_k) / p_k``, so the last waves do not overfill one k (whose extra drafts would be
    surplus) while another still needs a wave of its own.
    """
    accepted = int(stats.get("accepted", 0))
    pooled = (accepted + 3) / (accepted + int(stats.get("rejected", 0)) + 4)
    need = target - accepted - pooled * pending
    if need <= 0:
        return {}
    by_k = stats.get("by_k") or {}
    quotas = k_quotas(target, ks, k_weights, stats)
    deficits = {
        k: float(max(0, q - int((by_k.get(str(k)) or {}).get("accepted", 0))))
        for k, q in quotas.items()
    }
    for k in closing_ks(stats, ks):
        deficits[k] = 0.0  # no new starts; its queued items may still fill its quota
    if sum(deficits.values()) <= 0:
        return {}
    rates = acceptance_rates(stats, ks)
    if pending_by_k is not None:
        starts = {
            k: max(0.0, d - rates[k] * pending_by_k.get(k, 0)) / max(rates[k], RATE_FLOOR)
            for k, d in deficits.items()
        }
    else:
        deficit_mass = sum(deficits.values())
        starts = {
            k: need * d / deficit_mass / max(rates[k], RATE_FLOOR) for k, d in deficits.items()
        }
    total = min(math.ceil(sum(starts.values()) - 1e-9), wave_size)
    if budget_left is not None:
        left = budget_left - pending * calls_per_item
        total = min(total, int(max(left, 0) // max(calls_per_item, 1e-9)))
    return {k: n for k, n in _largest_remainder(starts, max(total, 0)).items() if n > 0}


def _close_dry_ks(
    state: Mapping[str, Any], stats: Mapping[str, Any], ks: Sequence[int]
) -> dict[str, Any]:
    """The counters that close the k planned in the last (dry) wave, as a ``stats`` update;
    empty when none of them is still open or closing them would leave no k open."""
    already = closed_ks(stats, ks)
    dry = [int(k) for k, n in (state.get("plan") or {}).items() if int(n) > 0]
    closing = {"by_k": {str(k): {"exhausted": 1} for k in dry if k not in already}}
    if not closing["by_k"] or not closed_ks(merge_stats(stats, closing), ks):
        return {}  # closed_ks is empty when every k would be closed
    return closing


def pending_items(stats: Mapping[str, Any]) -> int:
    """Items planned but not yet decided: ``planned - dropped - finished``."""
    planned, dropped = int(stats.get("planned", 0)), int(stats.get("dropped", 0))
    return max(0, planned - dropped - int(stats.get("finished", 0)))


def pending_by_k(stats: Mapping[str, Any], ks: Sequence[int]) -> dict[int, int]:
    """Items of each k planned but not yet decided: ``by_k[k]: planned - dropped - finished``
    (``planned`` is the planner's own count, so a wave is pending from the next superstep on,
    before the composer has even run)."""
    by_k = stats.get("by_k") or {}
    out = {}
    for k in ks:
        c = by_k.get(str(k)) or {}
        left = int(c.get("planned", 0)) - int(c.get("dropped", 0)) - int(c.get("finished", 0))
        out[k] = max(0, left)
    return out


def _quotas(cfg: SynthConfig, stats: Mapping[str, Any], extra: int) -> dict[str, int]:
    """The writer's quotas by k: :func:`k_quotas` of the batch, and k = 1's raised by the
    ``extra`` singles the writer must let through."""
    quotas = {str(k): q for k, q in k_quotas(cfg.n, cfg.ks, cfg.k_weights, stats).items()}
    if extra:
        quotas["1"] = quotas.get("1", 0) + extra
    return quotas


async def planner(state: SynthesisState, runtime: Runtime[SynthesisContext]) -> dict[str, Any]:
    """Plan the next wave, wait, or stop; returns a partial state update.

    ``action`` is ``"compose"`` (a new ``plan`` for the composer), ``"wait"`` (the pipeline is
    full, or the items in flight are expected to reach the target) or ``"stop"`` (with a
    ``stop_reason``). The pipeline holds at most :data:`PIPELINE_WAVES` waves of items.
    """
    ctx = runtime.context
    cfg = ctx.config
    # The checkpointed counters only, never the files: the files can be ahead of the
    # checkpoint after a kill (the writer of the replayed superstep had written), and a plan
    # must be the same in the resumed run as in an uninterrupted one. The replayed writer
    # counts what it finds on disk, so the counters catch up.
    stats = dict(state.get("stats") or {})
    extra = singles.allowance(stats)  # k = 1 singles on top of n (steps_agents.synthesis.singles)
    stats = singles.batch_stats(stats)  # the target and the quotas are the batch's, singles aside
    accepted = int(stats.get("accepted", 0))
    pending = pending_items(stats)
    # ``calls`` is what was spent so far (read by a resumed run's budget), not a decision.
    update: dict[str, Any] = {"calls": ctx.budget.spent(), "action": "stop"}
    if accepted >= cfg.n:
        if cfg.singles and singles.due(stats, cfg.n):  # the pipeline drops the queue first
            return {"calls": ctx.budget.spent(), "action": "singles"}
        if not (cfg.singles and pending):
            return update | {"stop_reason": "target reached"}
    if ctx.failure is not None:  # the runner raises it once the items in flight are written
        return update | {"stop_reason": "model call failed"}
    if ctx.budget.exhausted():
        return update | {"stop_reason": "budget spent"}
    if accepted >= cfg.n:  # the singles in flight
        return {"action": "wait", "quotas": _quotas(cfg, stats, extra)}
    closing: dict[str, Any] = {}
    if pending == 0 and int(state.get("dry_waves", 0)) >= DRY_WAVES_BEFORE_STOP:
        # The last waves composed nothing for the k they asked for (every k-set the selector
        # offered was uncomposable). Close those k, so their share goes to the others, and
        # plan again; stop only when that would leave no k open.
        closing = _close_dry_ks(state, stats, cfg.ks)
        if not closing:
            return update | {"stop_reason": "no more combinations"}
        stats = merge_stats(stats, closing)
    rejected = int(stats.get("rejected", 0))
    if accepted == 0 and rejected >= STALL_REJECTS:
        # Zero of the first STALL_REJECTS passed: the acceptance rate is below 3% with 95%
        # confidence; a model or judge is misconfigured, and going on would burn the budget.
        return update | {
            "stop_reason": f"nothing accepted in {rejected} decisions; see the rejects file"
        }
    quotas = _quotas(cfg, stats, extra)
    wait = {"action": "wait", "quotas": quotas}
    wave_size = cfg.effective_wave_size
    room = PIPELINE_WAVES * wave_size - pending
    if room <= 0 or (pending and int(state.get("dry_waves", 0))):
        return wait
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
        pending_by_k=pending_by_k(stats, cfg.ks),
    )
    if not plan:
        if pending:
            return wait | ({"stats": closing} if closing else {})
        return update | {"stop_reason": "budget spent"}
    wave = int(state.get("wave", 0)) + 1
    return {
        "quotas": quotas,
        "calls": spent,
        "plan": {str(k): n for k, n in plan.items()},
        "wave": wave,
        "stop_reason": "",
        "action": "compose",
        "stats": merge_stats(
            closing,
            {
                "planned": sum(plan.values()),
                "by_k": {str(k): {"planned": n} for k, n in plan.items()},
            },
        ),
    }
