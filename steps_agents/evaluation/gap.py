"""The compositional gap: how much worse an agent does on a combination than its skills predict.

A k-skill evaluator exists to answer one question the raw pass rate per k cannot: does the agent
fail combinations *because* they are combinations, or only because each extra skill is one more
chance to fail? The independence model gives the second answer a number.

Definitions (all over *scored* episodes; a task's outcome ``y_t`` is its mean pass over repeats,
so repeats of a task are never counted as independent evidence):

* **per-skill rate** ``p_s`` -- the mean ``y_t`` over the k = 1 tasks whose one skill is ``s``.
* **prediction** of a k >= 2 task -- ``prod_{s in t} p_s``: the pass rate if every skill succeeded
  or failed on its own, exactly as it does alone. Only *measured* tasks -- every skill has a
  k = 1 task of its own -- get a prediction; the others (``unmeasured_tasks``) are left out of
  every row rather than given a guessed rate. When fewer than ``MIN_MEASURED_SHARE`` of the
  k >= 2 tasks are measured the gap is **not estimable** (``estimable`` false, no rows): a gap
  over a small, unrepresentative corner of the run would be read as the run's gap.
* **gap** of a group of tasks -- ``observed - predicted = mean_t y_t - mean_t prod p_s``. Negative:
  combinations are harder than their parts; zero: the parts explain the whole.
* **interval** -- a seeded percentile bootstrap (95%, ``resamples`` replicates). Each replicate
  resamples the k = 1 tasks of every skill (so the uncertainty of ``p_s`` is carried into the
  prediction) and, independently, the tasks of the group; the interval is the 2.5th and 97.5th
  percentile of the replicated gaps.
  k = 1 has no row: there the prediction is the observation. A group of fewer than
  ``MIN_CI_TASKS`` tasks gets no interval: resampling one or two tasks gives a degenerate one
  (a single failed task would read as a certain gap of -100 points).
* **groups** -- each k >= 2; all k >= 2 tasks pooled; per top-level taxonomy community (the tasks
  touching it, so one task can count in several); within-community (all skills under one
  top-level community) versus cross-community tasks.
* **co-failure** -- pairs of skills that fail together more often than each one's own rate at
  the same k predicts, with producer -> consumer cascades left out: see
  :mod:`steps_agents.evaluation.cofailure`.
* **reading** of a row (:func:`gap_reading`) -- *harder* / *easier* when the interval lies
  below / above zero, *no gap* when it lies within +-``EQUIVALENCE`` (10 points), else
  *inconclusive*: an interval from -65 to +17 points has not shown that there is no gap.
  A prediction within ``EQUIVALENCE`` of 0 (1) leaves the observed rate no room to fall (rise)
  that far below (above) it, and there the bootstrap of all-failed (all-passed) tasks is the
  degenerate [0, 0]: "no gap" would be a floor (ceiling) effect, so such a row reads
  *floor: not estimable* (*ceiling: not estimable*). Estimating the gap needs an agent whose
  k = 1 pass rates lie between the extremes.
* **repeats** -- with ``R >= 2`` repeats, per k: ``pass^R`` (mean over tasks of
  ``C(c, R) / C(R, R)``, the share of tasks passed every time) and the split of the outcome
  variance ``pbar (1 - pbar)`` into *task* variance ``mean_t (p_t - pbar)^2`` (tasks differ) and
  *trial* variance ``mean_t p_t (1 - p_t)`` (the same task passes on one try and fails on
  another); the two add up to the total exactly (the law of total variance).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, computed_field

from steps_agents.evaluation.cofailure import CoFailureRow, Unit, co_failures, make_unit
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.significance import pass_hat_k

RESAMPLES = 1000
MIN_CI_TASKS = 5  # fewer tasks than this: the bootstrap interval is not reported
MIN_MEASURED_SHARE = 0.5  # fewer k >= 2 tasks with every skill measured alone: not estimable
EQUIVALENCE = 0.10  # an interval within +-10 points reads "no gap"; a wider one "inconclusive"
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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reading(self) -> str:
        """What the interval says (:func:`gap_reading`); written to report.json with the row."""
        return gap_reading(self)


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
    k2_tasks: int = 0
    measured_tasks: int = 0
    unmeasured_tasks: int = 0
    estimable: bool = False
    repeats: list[RepeatKRow] = Field(default_factory=list)


@dataclass
class _Task:
    task_id: str
    k: int
    skills: list[str]
    outcomes: list[bool] = field(default_factory=list)
    failed: list[set[str]] = field(default_factory=list)  # per episode: skills not covered
    feeds: list[list[str]] = field(default_factory=list)  # oracle [producer, consumer] skills

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
            if not t.failed:
                t.feeds = list(e.details.get("feeds") or [])
            t.failed.append(set(skills) - set(e.covered))
    return tasks


FLOOR_READING = "floor: not estimable"
CEILING_READING = "ceiling: not estimable"


def gap_reading(row: GapRow) -> str:
    """``harder`` / ``easier`` / ``no gap`` / ``inconclusive``, or ``floor: not estimable`` /
    ``ceiling: not estimable`` where "no gap" would only restate that the prediction sits within
    ``EQUIVALENCE`` of 0 or 1 (module docstring); ``""`` without an interval."""
    if row.ci_low is None or row.ci_high is None:
        return ""
    if row.ci_high < 0:
        return "harder"
    if row.ci_low > 0:
        return "easier"
    if row.ci_low >= -EQUIVALENCE and row.ci_high <= EQUIVALENCE:
        if row.predicted <= EQUIVALENCE:
            return FLOOR_READING
        if row.predicted >= 1 - EQUIVALENCE:
            return CEILING_READING
        return "no gap"
    return "inconclusive"


def _units(tasks: Sequence[_Task]) -> list[Unit]:
    """Every k >= 2 agentic task's first scored episode, as a co-failure unit."""
    return [make_unit(t.k, t.skills, t.failed[0], t.feeds) for t in tasks if t.k >= 2 and t.failed]


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
    k2 = [t for t in tasks.values() if t.k >= 2]
    predicted = [t for t in k2 if all(s in alone for s in t.skills)]
    analysis = GapAnalysis(
        seed=seed,
        resamples=resamples,
        skills=rates,
        co_failure=co_failures(_units(list(tasks.values())), top=top_pairs),
        repeats=repeat_rows(list(tasks.values())),
        k2_tasks=len(k2),
        measured_tasks=len(predicted),
        unmeasured_tasks=len(k2) - len(predicted),
        estimable=bool(k2) and len(predicted) >= MIN_MEASURED_SHARE * len(k2),
    )
    if not analysis.estimable:
        return analysis
    p = {r.skill: r.pass_rate for r in rates}
    keys, groups = _groups(predicted, taxonomy)
    column = {s: j for j, s in enumerate(alone)}
    y = np.asarray([t.y for t in predicted])
    pred = np.asarray([float(np.prod([p[s] for s in t.skills])) for t in predicted])
    boots = _bootstrap_gaps(
        groups,
        y,
        [[column[s] for s in t.skills] for t in predicted],
        [np.asarray([t.y for t in alone[s]]) for s in alone],
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
