"""The compositional gap: how much worse an agent does on a combination than its skills predict.

A k-skill evaluator exists to answer one question the raw pass rate per k cannot: does the agent
fail combinations *because* they are combinations, or only because each extra skill is one more
chance to fail? The independence model gives the second answer a number.

Definitions (all over *scored* episodes; a task's outcome ``y_t`` is its mean pass over repeats,
so repeats of a task are never counted as independent evidence):

* **per-skill rate** ``p_s`` -- the mean ``y_t`` over the k = 1 tasks whose one skill is ``s``.
* **prediction** of a k >= 2 task -- ``prod_{s in t} p_s``: the pass rate if every skill succeeded
  or failed on its own, exactly as it does alone. A skill with no k = 1 task of its own gets the
  pooled k = 1 rate ``pbar_1`` (mean ``y_t`` over all k = 1 tasks), the best guess the run has;
  ``imputed_tasks`` counts the k >= 2 tasks that needed it, ``imputed_rate`` is ``pbar_1``. (Left
  out instead, a run with fewer k = 1 tasks than skills -- the usual case -- would have nothing
  to predict.)
* **gap** of a group of tasks -- ``observed - predicted = mean_t y_t - mean_t prod p_s``. Negative:
  combinations are harder than their parts; zero: the parts explain the whole.
* **interval** -- a seeded percentile bootstrap (95%, ``resamples`` replicates). Each replicate
  resamples the k = 1 tasks of every skill (so the uncertainty of ``p_s`` is carried into the
  prediction) and, independently, the tasks of the group; the interval is the 2.5th and 97.5th
  percentile of the replicated gaps (``pbar_1`` is re-estimated from all resampled k = 1 tasks).
  k = 1 has no row: there the prediction is the observation. A group of fewer than
  ``MIN_CI_TASKS`` tasks gets no interval: resampling one or two tasks gives a degenerate one
  (a single failed task would read as a certain gap of -100 points).
* **groups** -- each k >= 2; all k >= 2 tasks pooled; per top-level taxonomy community (the tasks
  touching it, so one task can count in several); within-community (all skills under one
  top-level community) versus cross-community tasks.
* **co-failure** -- a skill *fails* in an episode when the agent did not call it correctly (it is
  missing from ``covered``, see :mod:`steps_agents.evaluation.scoring`). Its alone failure rate
  ``q_s`` is the mean share of k = 1 episodes of ``s`` in which it failed. For a pair ``(a, b)``
  the joint failure rate is the mean over the k >= 2 tasks holding both of the share of their
  episodes in which both failed; independence predicts ``q_a q_b``. Pairs are ranked by the
  *lower* end of the joint rate's Wilson 95% interval (tasks as the sample size) minus
  ``q_a q_b``, so a pair seen in one task with one joint failure (observed rate 1, lower bound
  0.21) does not outrank a pair that failed together in 40 of 50 tasks (lower bound 0.66). Only
  pairs whose excess is significant after a Bonferroni correction are listed: ``p_excess``, the
  exact one-sided binomial chance of at least that many joint failures in that many tasks if
  each failed jointly with probability ``q_a q_b``, must be below 0.05 / (pairs tested). With
  dozens of pairs, one joint failure in four tasks clears a plain 95% bound by luck somewhere. ``q_s`` is shrunk toward the pooled alone failure rate ``qbar`` by
  ``PRIOR_TASKS`` pseudo-tasks, ``(n_s q_s + 2 qbar) / (n_s + 2)``, so a skill that happened to
  pass its one k = 1 task (``q_s = 0``) does not make every pair holding it look interacting;
  a skill without a k = 1 task gets ``qbar``.
* **repeats** -- with ``R >= 2`` repeats, per k: ``pass^R`` (mean over tasks of
  ``C(c, R) / C(R, R)``, the share of tasks passed every time) and the split of the outcome
  variance ``pbar (1 - pbar)`` into *task* variance ``mean_t (p_t - pbar)^2`` (tasks differ) and
  *trial* variance ``mean_t p_t (1 - p_t)`` (the same task passes on one try and fails on
  another); the two add up to the total exactly (the law of total variance).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.significance import pass_hat_k, wilson_interval

RESAMPLES = 1000
MIN_CI_TASKS = 5  # fewer tasks than this: the bootstrap interval is not reported
PRIOR_TASKS = 2  # pseudo-tasks at the pooled rate that shrink each q_s (co-failure only)
_CHUNK = 250  # bootstrap replicates drawn at once: bounds memory at CHUNK x tasks floats
_NO_COMMUNITY = -1


class SkillRate(BaseModel):
    """A skill's k = 1 pass rate ``p_s`` (over ``tasks`` tasks) and alone failure rate ``q_s``."""

    skill: str
    tasks: int
    pass_rate: float
    fail_alone: float | None = None


class GapRow(BaseModel):
    """Observed against predicted pass rate over ``tasks`` k >= 2 tasks, with the gap's interval."""

    group: str
    k: int | None = None
    tasks: int
    observed: float
    predicted: float
    gap: float
    ci_low: float | None = None
    ci_high: float | None = None


class CoFailureRow(BaseModel):
    """One pair of skills: how often both failed together against ``q_a q_b`` (module docstring)."""

    skills: tuple[str, str]
    tasks: int
    joint_failures: float
    joint_rate: float
    expected: float
    excess: float
    excess_low: float
    lift: float | None = None
    p_excess: float | None = None


class RepeatKRow(BaseModel):
    """Consistency at one k: pass^R and the variance split into task and trial parts."""

    k: int
    tasks: int
    repeats: int
    pass_rate: float
    pass_hat: float
    var_total: float
    var_task: float
    var_trial: float
    task_share: float | None = None


class GapAnalysis(BaseModel):
    """The whole analysis for one agent (see the module docstring for every formula)."""

    seed: int
    resamples: int
    skills: list[SkillRate] = Field(default_factory=list)
    per_k: list[GapRow] = Field(default_factory=list)
    overall: GapRow | None = None
    per_community: list[GapRow] = Field(default_factory=list)
    within_cross: list[GapRow] = Field(default_factory=list)
    co_failure: list[CoFailureRow] = Field(default_factory=list)
    imputed_tasks: int = 0
    imputed_rate: float | None = None
    repeats: list[RepeatKRow] = Field(default_factory=list)


@dataclass
class _Task:
    task_id: str
    k: int
    skills: list[str]
    outcomes: list[bool] = field(default_factory=list)
    failed: list[set[str]] = field(default_factory=list)  # per episode: skills not covered

    @property
    def y(self) -> float:
        return sum(self.outcomes) / len(self.outcomes)


def _tasks(episodes: Sequence[EpisodeResult]) -> dict[str, _Task]:
    """Scored episodes grouped by task (one agent's episodes)."""
    tasks: dict[str, _Task] = {}
    for e in episodes:
        if e.passed is None:
            continue
        skills = list(dict.fromkeys(e.skills))
        t = tasks.setdefault(e.task_id, _Task(e.task_id, e.k, skills))
        t.outcomes.append(bool(e.passed))
        if e.kind == "agentic":
            t.failed.append(set(skills) - set(e.covered))
    return tasks


def _alone(tasks: dict[str, _Task]) -> dict[str, list[_Task]]:
    by_skill: dict[str, list[_Task]] = defaultdict(list)
    for t in tasks.values():
        if t.k == 1 and len(t.skills) == 1:
            by_skill[t.skills[0]].append(t)
    return dict(sorted(by_skill.items()))


def skill_rates(episodes: Sequence[EpisodeResult]) -> list[SkillRate]:
    """``p_s`` and ``q_s`` for every skill with a k = 1 task."""
    return _skill_rates(_alone(_tasks(episodes)))


def _skill_rates(alone: dict[str, list[_Task]]) -> list[SkillRate]:
    rows = []
    for skill, ts in alone.items():
        shares = [sum(skill in f for f in t.failed) / len(t.failed) for t in ts if t.failed]
        rows.append(
            SkillRate(
                skill=skill,
                tasks=len(ts),
                pass_rate=float(np.mean([t.y for t in ts])),
                fail_alone=float(np.mean(shares)) if shares else None,
            )
        )
    return rows


def _predictions(rates: np.ndarray, skill_cols: list[list[int]]) -> np.ndarray:
    """``P[r, t] = prod_{s in t} rates[r, s]`` for every replicate ``r`` and task ``t``.

    Tasks of the same k are multiplied together one skill column at a time, so memory stays at
    one ``replicates x tasks`` array whatever k is.
    """
    out = np.ones((rates.shape[0], len(skill_cols)))
    by_k: dict[int, list[int]] = defaultdict(list)
    for t, skills in enumerate(skill_cols):
        by_k[len(skills)].append(t)
    for k, members in by_k.items():
        cols = np.asarray([skill_cols[t] for t in members], dtype=np.int64).reshape(len(members), k)
        prod = np.ones((rates.shape[0], len(members)))
        for j in range(k):
            prod *= rates[:, cols[:, j]]
        out[:, members] = prod
    return out


def _bootstrap_gaps(
    groups: list[list[int]],
    y: np.ndarray,
    skill_cols: list[list[int]],
    alone_y: list[np.ndarray],
    *,
    seed: int,
    resamples: int,
) -> list[np.ndarray]:
    """Replicated gaps of every group: ``resamples`` values each (see the module docstring).

    ``y[t]`` is task ``t``'s outcome, ``skill_cols[t]`` the indices of its skills in ``alone_y``
    (each skill's k = 1 task outcomes). Draws come in chunks in a fixed order, so a seed always
    gives the same intervals.
    """
    rng = np.random.default_rng(seed)
    out: list[list[np.ndarray]] = [[] for _ in groups]
    done = 0
    while done < resamples:
        b = min(_CHUNK, resamples - done)
        rates = np.empty((b, len(alone_y)))
        for j, ys in enumerate(alone_y):
            rates[:, j] = ys[rng.integers(0, ys.shape[0], (b, ys.shape[0]))].mean(axis=1)
        predicted = _predictions(rates, skill_cols)
        for g, members in enumerate(groups):
            idx = np.asarray(members)[rng.integers(0, len(members), (b, len(members)))]
            gap = y[idx].mean(axis=1) - np.take_along_axis(predicted, idx, axis=1).mean(axis=1)
            out[g].append(gap)
        done += b
    return [np.concatenate(parts) for parts in out]


def _community_of(taxonomy: Any, skills: Sequence[str]) -> dict[str, int]:
    """Each skill's top-level community node (``-1`` when the skill is not in the taxonomy)."""
    return {
        s: int(taxonomy.ancestor_at_depth(s, 1)) if s in taxonomy.leaf_of else _NO_COMMUNITY
        for s in skills
    }


def _groups(
    predicted: list[_Task], taxonomy: Any
) -> tuple[list[tuple[str, int | None, str]], list[list[int]]]:
    """Every gap row's ``(kind, k, label)`` and member task indices, in report order."""
    keys: list[tuple[str, int | None, str]] = []
    groups: list[list[int]] = []

    def add(kind: str, k: int | None, label: str, members: list[int]) -> None:
        if members:
            keys.append((kind, k, label))
            groups.append(members)

    for k in sorted({t.k for t in predicted}):
        add("k", k, f"k={k}", [i for i, t in enumerate(predicted) if t.k == k])
    add("overall", None, "k>=2", list(range(len(predicted))))
    if taxonomy is not None:
        community = _community_of(taxonomy, sorted({s for t in predicted for s in t.skills}))
        touched = [{community[s] for s in t.skills} for t in predicted]
        for node in sorted({c for cs in touched for c in cs} - {_NO_COMMUNITY}):
            members = [i for i, cs in enumerate(touched) if node in cs]
            add("community", None, taxonomy.label(node), members)
        known = [i for i, cs in enumerate(touched) if _NO_COMMUNITY not in cs]
        add(
            "within_cross", None, "within one community", [i for i in known if len(touched[i]) == 1]
        )
        add("within_cross", None, "across communities", [i for i in known if len(touched[i]) > 1])
    return keys, groups


def binomial_upper_tail(x: int, n: int, p: float) -> float:
    """``P(X >= x)`` for ``X ~ Binomial(n, p)``, summed in log space (no overflow for large n)."""
    if x <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * log_p
        + (n - i) * log_q
        for i in range(x, n + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def co_failures(
    tasks: Sequence[_Task], fail_alone: dict[str, float], pooled: float, *, top: int = 20
) -> list[CoFailureRow]:
    """The pairs whose joint failure most exceeds ``q_a q_b`` (ranking in the module docstring).

    ``pooled`` is the alone failure rate of a skill missing from ``fail_alone``.
    """
    joint: dict[tuple[str, str], list[float]] = defaultdict(list)
    for t in tasks:
        if t.k < 2 or not t.failed:
            continue
        for a, b in combinations(sorted(t.skills), 2):
            both = sum(a in f and b in f for f in t.failed) / len(t.failed)
            joint[(a, b)].append(both)
    rows = []
    alpha = 0.05 / max(1, len(joint))  # Bonferroni over every pair tested
    for (a, b), shares in joint.items():
        n = len(shares)
        failures = float(sum(shares))
        rate = failures / n
        expected = fail_alone.get(a, pooled) * fail_alone.get(b, pooled)
        low = wilson_interval(failures, n)[0]
        p_excess = binomial_upper_tail(round(failures), n, expected)
        if p_excess >= alpha:
            continue
        rows.append(
            CoFailureRow(
                skills=(a, b),
                tasks=n,
                joint_failures=failures,
                joint_rate=rate,
                expected=expected,
                excess=rate - expected,
                excess_low=low - expected,
                lift=rate / expected if expected > 0 else None,
                p_excess=p_excess,
            )
        )
    rows.sort(key=lambda r: (-r.excess_low, -r.excess, r.skills))
    return rows[:top]


def repeat_rows(tasks: Sequence[_Task]) -> list[RepeatKRow]:
    """pass^R and the task/trial variance split per k; empty without two repeats of every task."""
    if not tasks:
        return []
    repeats = min(len(t.outcomes) for t in tasks)
    if repeats < 2:
        return []
    rows = []
    for k in sorted({t.k for t in tasks}):
        group = [t.outcomes[:repeats] for t in tasks if t.k == k]
        p = np.asarray([sum(o) / repeats for o in group])
        pbar = float(p.mean())
        var_task = float(((p - pbar) ** 2).mean())
        var_trial = float((p * (1 - p)).mean())
        total = pbar * (1 - pbar)
        rows.append(
            RepeatKRow(
                k=k,
                tasks=len(group),
                repeats=repeats,
                pass_rate=pbar,
                pass_hat=float(np.mean([pass_hat_k(sum(o), repeats, repeats) for o in group])),
                var_total=total,
                var_task=var_task,
                var_trial=var_trial,
                task_share=var_task / total if total > 0 else None,
            )
        )
    return rows


def gap_analysis(
    episodes: Sequence[EpisodeResult],
    *,
    taxonomy: Any = None,
    seed: int = 0,
    resamples: int = RESAMPLES,
    top_pairs: int = 20,
) -> GapAnalysis | None:
    """The compositional-gap analysis of one agent's episodes; ``None`` when nothing was scored.

    Pure: the same episodes, taxonomy and seed always give the same numbers.
    """
    tasks = _tasks(episodes)
    if not tasks:
        return None
    alone = _alone(tasks)
    rates = _skill_rates(alone)
    pooled_tasks = [t for ts in alone.values() for t in ts]
    measured = [r for r in rates if r.fail_alone is not None]
    qbar = (
        float(np.average([r.fail_alone for r in measured], weights=[r.tasks for r in measured]))
        if measured
        else 1.0
    )
    shrunk = {
        r.skill: (r.tasks * (r.fail_alone or 0.0) + PRIOR_TASKS * qbar) / (r.tasks + PRIOR_TASKS)
        for r in measured
    }
    analysis = GapAnalysis(
        seed=seed,
        resamples=resamples,
        skills=rates,
        co_failure=co_failures(list(tasks.values()), shrunk, qbar, top=top_pairs),
        repeats=repeat_rows(list(tasks.values())),
    )
    predicted = [t for t in tasks.values() if t.k >= 2]
    if not pooled_tasks or not predicted:
        return analysis
    pooled = float(np.mean([t.y for t in pooled_tasks]))
    p = {r.skill: r.pass_rate for r in rates}
    analysis.imputed_rate = pooled
    analysis.imputed_tasks = sum(1 for t in predicted if any(s not in p for s in t.skills))
    keys, groups = _groups(predicted, taxonomy)
    column = {s: j for j, s in enumerate(alone)}  # column len(alone): the pooled k = 1 tasks
    y = np.asarray([t.y for t in predicted])
    pred = np.asarray([float(np.prod([p.get(s, pooled) for s in t.skills])) for t in predicted])
    boots = _bootstrap_gaps(
        groups,
        y,
        [[column.get(s, len(alone)) for s in t.skills] for t in predicted],
        [np.asarray([t.y for t in alone[s]]) for s in alone]
        + [np.asarray([t.y for t in pooled_tasks])],
        seed=seed,
        resamples=resamples,
    )
    for (kind, k, label), members, boot in zip(keys, groups, boots, strict=True):
        observed, expected = float(y[members].mean()), float(pred[members].mean())
        low: float | None = None
        high: float | None = None
        if len(members) >= MIN_CI_TASKS:
            low, high = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
        row = GapRow(
            group=label,
            k=k,
            tasks=len(members),
            observed=observed,
            predicted=expected,
            gap=observed - expected,
            ci_low=low,
            ci_high=high,
        )
        if kind == "k":
            analysis.per_k.append(row)
        elif kind == "overall":
            analysis.overall = row
        elif kind == "community":
            analysis.per_community.append(row)
        else:
            analysis.within_cross.append(row)
    return analysis
