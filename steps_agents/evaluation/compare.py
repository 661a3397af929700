"""Consistency across repeats (pass^R, noise) and the paired comparison of two agents.

Both work on the per-episode records only, so they can be recomputed from a run's JSONL file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, Field

from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.significance import (
    exact_mcnemar,
    mean,
    paired_difference_interval,
    pass_hat_k,
    sample_std,
    sign_test,
)


class RepeatStats(BaseModel):
    """How stable an agent is when each task is run ``repeats`` times.

    * ``pass_hat[j]`` -- mean over tasks of ``C(c, j) / C(R, j)``: the chance that ``j`` fresh
      attempts at a task all pass (``pass_hat[1]`` is the plain pass rate, ``pass_hat[R]`` the
      share of tasks passed every time).
    * ``per_repeat`` -- the pass rate of each repeat over all tasks; ``std_between_repeats`` is
      their sample standard deviation: the run-to-run noise of the headline number.
    * ``flaky_share`` -- share of tasks with both passes and failures.
    * ``within_task_std`` -- ``sqrt(mean_i p_i(1-p_i))`` with ``p_i`` the task's pass share: the
      root mean per-task Bernoulli variance, the noise a single attempt carries.
    * ``noise_se`` -- ``sqrt(mean_i p_i(1-p_i) / (T * R))``: the standard error of the pass
      rate that comes from the agent's own randomness alone (T tasks, R repeats).
    """

    repeats: int
    tasks: int
    pass_hat: dict[int, float] = Field(default_factory=dict)
    per_repeat: list[float] = Field(default_factory=list)
    std_between_repeats: float | None = None
    flaky_share: float | None = None
    within_task_std: float | None = None
    noise_se: float | None = None


def repeat_stats(episodes: Sequence[EpisodeResult]) -> RepeatStats | None:
    """:class:`RepeatStats` over scored episodes; ``None`` when no task has two repeats."""
    outcomes: dict[str, dict[int, bool]] = defaultdict(dict)
    for e in episodes:
        if e.passed is not None:
            outcomes[e.task_id][e.repeat] = bool(e.passed)
    if not outcomes:
        return None
    repeats = min(len(v) for v in outcomes.values())
    if repeats < 2:
        return None
    # Only the first `repeats` repeats of each task, so every task weighs the same.
    trials = {t: [v[r] for r in sorted(v)[:repeats]] for t, v in outcomes.items()}
    n_tasks = len(trials)
    pass_hat = {
        j: sum(pass_hat_k(sum(o), repeats, j) for o in trials.values()) / n_tasks
        for j in range(1, repeats + 1)
    }
    per_repeat = [sum(o[r] for o in trials.values()) / n_tasks for r in range(repeats)]
    p = [sum(o) / repeats for o in trials.values()]
    var = sum(pi * (1 - pi) for pi in p) / n_tasks
    return RepeatStats(
        repeats=repeats,
        tasks=n_tasks,
        pass_hat=pass_hat,
        per_repeat=per_repeat,
        std_between_repeats=sample_std(per_repeat),
        flaky_share=sum(1 for pi in p if 0 < pi < 1) / n_tasks,
        within_task_std=var**0.5,
        noise_se=(var / (n_tasks * repeats)) ** 0.5,
    )


class Comparison(BaseModel):
    """Agent A against agent B on the same tasks.

    Pass/fail pairs are ``(task, repeat)``; ``only_a`` / ``only_b`` are the discordant pairs and
    ``p_mcnemar`` the exact McNemar p-value (two-sided binomial on the discordant pairs). With
    repeats the pairs are not independent, so ``p_sign_tasks`` -- the exact sign test on the
    per-task difference of mean pass rates -- is the one to read. Coverage and judge scores are
    compared with the sign test on per-task mean differences. ``diff`` is ``A - B`` with a
    normal-approximation 95% interval over tasks.
    """

    agent_a: str
    agent_b: str
    pairs: int
    tasks: int
    both: int
    only_a: int
    only_b: int
    neither: int
    pass_rate_a: float | None
    pass_rate_b: float | None
    diff: float | None
    diff_ci: tuple[float, float] | None = None
    p_mcnemar: float
    p_sign_tasks: float
    coverage_diff: float | None = None
    p_coverage: float | None = None
    judge_diff: float | None = None
    p_judge: float | None = None
    verdict: str = ""


def _task_means(values: dict[tuple[str, int], float]) -> dict[str, float]:
    acc: dict[str, list[float]] = defaultdict(list)
    for (task, _), v in values.items():
        acc[task].append(v)
    return {t: sum(v) / len(v) for t, v in acc.items()}


def _paired(
    a: dict[tuple[str, int], float], b: dict[tuple[str, int], float]
) -> tuple[float | None, float | None]:
    keys = a.keys() & b.keys()
    if not keys:
        return None, None
    ma = _task_means({k: a[k] for k in keys})
    mb = _task_means({k: b[k] for k in keys})
    diffs = [ma[t] - mb[t] for t in ma]
    return mean(diffs), sign_test(diffs)[2]


def compare(
    a: Sequence[EpisodeResult], b: Sequence[EpisodeResult], *, alpha: float = 0.05
) -> Comparison:
    """Pair ``a`` and ``b`` on ``(task_id, repeat)`` and test the difference (see the class)."""
    name_a = a[0].agent if a else "A"
    name_b = b[0].agent if b else "B"
    pa = {(e.task_id, e.repeat): e for e in a if e.passed is not None}
    pb = {(e.task_id, e.repeat): e for e in b if e.passed is not None}
    keys = sorted(pa.keys() & pb.keys())
    both = sum(1 for k in keys if pa[k].passed and pb[k].passed)
    only_a = sum(1 for k in keys if pa[k].passed and not pb[k].passed)
    only_b = sum(1 for k in keys if pb[k].passed and not pa[k].passed)
    neither = len(keys) - both - only_a - only_b
    ta = _task_means({k: float(bool(pa[k].passed)) for k in keys})
    tb = _task_means({k: float(bool(pb[k].passed)) for k in keys})
    task_diffs = [ta[t] - tb[t] for t in ta]
    ci = paired_difference_interval(task_diffs, bounds=(-1.0, 1.0))
    cov_diff, p_cov = _paired(
        {(e.task_id, e.repeat): e.coverage for e in a if e.coverage is not None},
        {(e.task_id, e.repeat): e.coverage for e in b if e.coverage is not None},
    )
    judge_diff, p_judge = _paired(
        {(e.task_id, e.repeat): e.judge_score for e in a if e.judge_score is not None},
        {(e.task_id, e.repeat): e.judge_score for e in b if e.judge_score is not None},
    )
    p_sign = sign_test(task_diffs)[2]
    rate_a = (both + only_a) / len(keys) if keys else None
    rate_b = (both + only_b) / len(keys) if keys else None
    diff = rate_a - rate_b if rate_a is not None and rate_b is not None else None
    if diff is None:
        verdict = "no paired scored episodes"
    elif p_sign < alpha:
        better = name_a if diff > 0 else name_b
        verdict = f"{better} is better (sign test p = {p_sign:.3g} < {alpha})"
    else:
        verdict = f"no significant difference (sign test p = {p_sign:.3g})"
    return Comparison(
        agent_a=name_a,
        agent_b=name_b,
        pairs=len(keys),
        tasks=len(ta),
        both=both,
        only_a=only_a,
        only_b=only_b,
        neither=neither,
        pass_rate_a=rate_a,
        pass_rate_b=rate_b,
        diff=diff,
        diff_ci=(ci[1], ci[2]) if ci else None,
        p_mcnemar=exact_mcnemar(only_a, only_b),
        p_sign_tasks=p_sign,
        coverage_diff=cov_diff,
        p_coverage=p_cov,
        judge_diff=judge_diff,
        p_judge=p_judge,
        verdict=verdict,
    )
