"""Skills that fail together: pairs whose joint failure exceeds what each skill's own rate predicts.

A pair is listed only for an interaction the two skills' separate difficulty cannot explain. Two
things make unrelated skills fail together and must not count:

* **cascades** -- when a producer's result is wrong, its consumer is called with a wrong input
  and "fails" too. The evaluator writes the oracle's feeds (``details["feeds"]``, producer and
  consumer skill of every data edge, :func:`skill_feeds`) into each agentic episode. A consumer
  whose producer failed in that episode is *not judged* there (neither failure nor success): its
  inputs were wrong, so its own skill was not tested. Episodes written before the feeds existed
  judge every skill.
* **difficulty of k** -- an agent that fails most k >= 2 tasks fails every frequent pair together.
  The null therefore compares tasks of the *same* k, never the k = 1 rates.

Definitions. A *unit* is one k >= 2 agentic task, its first scored episode (repeats of one task
are not independent evidence). Skill ``s`` *failed* in a unit when it was judged and the agent did
not call it correctly (not in ``covered``). For a pair ``(a, b)``, ``q_a^{-b}(k)`` is ``a``'s
failure rate over the judged units of that k that do *not* hold ``b`` (so a pair that breaks
together is not its own null), shrunk toward the pooled failure rate of that k by
``PRIOR_UNITS`` pseudo-units. Independence predicts ``pi_u = q_a^{-b}(k_u) q_b^{-a}(k_u)`` for a
unit ``u`` where both were judged. ``p_excess`` is the exact chance of at least the observed number
of joint failures under those ``pi_u`` (a Poisson-binomial tail); a pair is listed when it is below
``0.05 / pairs tested`` (Bonferroni), ranked by the Wilson 95% lower bound of the joint rate minus
the mean ``pi`` (``excess_low``), so a pair seen in one task cannot outrank a well-measured one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations, permutations

import numpy as np
from pydantic import BaseModel

from steps_agents.evaluation.significance import wilson_interval
from steps_agents.worlds.records import OracleStep

PRIOR_UNITS = 2  # pseudo-units at the pooled rate of the same k that shrink each q


class CoFailureRow(BaseModel):
    """One pair of skills: how often both failed together against the same-k null (module doc)."""

    skills: tuple[str, str]
    tasks: int
    joint_failures: float
    joint_rate: float
    expected: float
    excess: float
    excess_low: float
    lift: float | None = None
    p_excess: float | None = None


@dataclass(frozen=True)
class Unit:
    """One k >= 2 task for the co-failure test: the skills judged there and those that failed."""

    k: int
    skills: frozenset[str]  # every skill of the task (judged or not)
    judged: frozenset[str]
    failed: frozenset[str]


def skill_feeds(oracle: Sequence[OracleStep]) -> list[list[str]]:
    """``[producer skill, consumer skill]`` of every data edge of an oracle plan, sorted, unique."""
    tool_of = {step.id: step.tool for step in oracle}
    edges = {
        (tool_of[ref], step.tool)
        for step in oracle
        for ref in step.refs()
        if ref in tool_of and tool_of[ref] != step.tool
    }
    return [list(e) for e in sorted(edges)]


def make_unit(
    k: int, skills: Iterable[str], failed: set[str], feeds: Iterable[Sequence[str]]
) -> Unit:
    """A unit whose consumers of a failed producer are left unjudged (their inputs were wrong)."""
    skill_set = frozenset(skills)
    cascaded = {consumer for producer, consumer in feeds if producer in failed}
    judged = skill_set - cascaded
    return Unit(k, skill_set, judged, frozenset(failed & judged))


def _log_pmf(n: int, p: float, counts: range) -> list[float]:
    """``log P(X = i)`` for ``X ~ Binomial(n, p)`` and each ``i`` in ``counts`` (0 < p < 1)."""
    log_p, log_q = math.log(p), math.log1p(-p)
    top = math.lgamma(n + 1)
    return [
        top - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        for i in counts
    ]


def binomial_upper_tail(x: int, n: int, p: float) -> float:
    """``P(X >= x)`` for ``X ~ Binomial(n, p)``, summed in log space (no overflow for large n)."""
    if x <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    terms = _log_pmf(n, p, range(x, n + 1))
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def _binomial_pmf(n: int, p: float) -> np.ndarray:
    if p <= 0.0 or p >= 1.0:
        pmf = np.zeros(n + 1)
        pmf[n if p >= 1.0 else 0] = 1.0
        return pmf
    return np.exp(np.asarray(_log_pmf(n, p, range(n + 1))))


def poisson_binomial_upper_tail(x: int, groups: dict[float, int]) -> float:
    """``P(X >= x)`` for a sum of independent Bernoullis: ``groups`` maps a probability to how
    many units have it (units of one k share one ``pi``, so the binomials are convolved)."""
    if x <= 0:
        return 1.0
    if len(groups) == 1:
        ((p, n),) = groups.items()
        return binomial_upper_tail(x, n, p)
    pmf = np.ones(1)
    for p, n in groups.items():
        pmf = np.convolve(pmf, _binomial_pmf(n, p))
    return float(min(1.0, pmf[x:].sum()))


def co_failures(units: Sequence[Unit], *, top: int = 20) -> list[CoFailureRow]:
    """The pairs whose joint failure credibly exceeds the same-k null (module docstring)."""
    # Per k: each skill's judged / failed counts, overall and in units that also hold another skill.
    judged: dict[tuple[int, str], int] = defaultdict(int)
    failed: dict[tuple[int, str], int] = defaultdict(int)
    judged_with: dict[tuple[int, str, str], int] = defaultdict(int)
    failed_with: dict[tuple[int, str, str], int] = defaultdict(int)
    pooled: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # k -> [failed, judged]
    for u in units:
        for s in u.judged:
            judged[(u.k, s)] += 1
            failed[(u.k, s)] += s in u.failed
            pooled[u.k][0] += s in u.failed
            pooled[u.k][1] += 1
        for a, b in permutations(sorted(u.skills), 2):
            if a in u.judged:
                judged_with[(u.k, a, b)] += 1
                failed_with[(u.k, a, b)] += a in u.failed

    def q(k: int, a: str, b: str) -> float:
        """``a``'s failure rate at k over units without ``b``, shrunk toward the pooled rate."""
        n = judged[(k, a)] - judged_with[(k, a, b)]
        f = failed[(k, a)] - failed_with[(k, a, b)]
        rate = pooled[k][0] / pooled[k][1] if pooled[k][1] else 0.0
        return (f + PRIOR_UNITS * rate) / (n + PRIOR_UNITS)

    joint: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    for u in units:
        for a, b in combinations(sorted(u.judged), 2):
            joint[(a, b)].append(u)
    alpha = 0.05 / max(1, len(joint))
    rows = []
    for (a, b), members in joint.items():
        n = len(members)
        x = sum(1 for u in members if a in u.failed and b in u.failed)
        if x == 0:
            continue
        groups: dict[float, int] = defaultdict(int)
        for u in members:
            groups[q(u.k, a, b) * q(u.k, b, a)] += 1
        expected = sum(p * m for p, m in groups.items()) / n
        p_excess = poisson_binomial_upper_tail(x, groups)
        if p_excess >= alpha:
            continue
        rate = x / n
        rows.append(
            CoFailureRow(
                skills=(a, b),
                tasks=n,
                joint_failures=float(x),
                joint_rate=rate,
                expected=expected,
                excess=rate - expected,
                excess_low=wilson_interval(x, n)[0] - expected,
                lift=rate / expected if expected > 0 else None,
                p_excess=p_excess,
            )
        )
    rows.sort(key=lambda r: (-r.excess_low, -r.excess, r.skills))
    return rows[:top]
