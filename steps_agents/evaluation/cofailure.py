"""Skills that fail together: pairs whose joint failure exceeds what each skill's own rate predicts.

A pair is listed only for an interaction the two skills' separate difficulty cannot explain. Three
things make unrelated skills fail together and must not count:

* **cascades** -- when a producer's result is wrong, its consumer is called with a wrong input
  and "fails" too. The evaluator writes the oracle's feeds (``details["feeds"]``, producer and
  consumer skill of every data edge, :func:`skill_feeds`) into each agentic episode. A consumer
  whose producer failed in that episode is *not judged* there (neither failure nor success): its
  inputs were wrong, so its own skill was not tested. Episodes written before the feeds existed
  judge every skill.
* **difficulty of k** -- an agent that fails most k >= 2 tasks fails every frequent pair together.
  The null therefore compares tasks of the *same* k, never the k = 1 rates.
* **whole-task failures** -- an agent that gives up on a task (or loses the thread) fails all its
  skills at once, so every pair of that k co-fails more than the product of the rates says. The
  null carries that k's *dependence factor*: how much more often the *other* pairs of k failed
  together than their own products predict (at least 1).

Definitions. A *unit* is one k >= 2 agentic task, its first scored episode (repeats of one task
are not independent evidence). Skill ``s`` *failed* in a unit when it was judged and the agent did
not call it correctly (not in ``covered``). For a pair ``(a, b)``, ``q_a^{-b}(k)`` is ``a``'s
failure rate over the judged units of that k that do *not* hold ``b`` (so a pair that breaks
together is not its own null), shrunk toward the pooled failure rate of that k by
``PRIOR_UNITS`` pseudo-units. The null joint rate of a unit of k where both were judged is
``pi = min(q_a^{-b}, q_b^{-a}, phi_k q_a^{-b} q_b^{-a})``, ``phi_k`` the dependence factor (joint
failures over the sum of ``q_c q_d`` of every other judged pair of k, with each skill's rate at
k; at least 1). ``expected`` is the mean ``pi``. The test takes each ``q`` at its Wilson upper
bound (``NULL_Z`` = 1), since the rates are estimated too: ``p_excess`` is the exact chance of at
least the observed joint failures under those ``pi`` (a Poisson-binomial tail), and a pair is
listed when it is below ``0.05 / pairs tested`` (Bonferroni), ranked by the Wilson 95% lower
bound of the joint rate minus ``expected`` (``excess_low``), so a pair seen in one task cannot
outrank a well-measured one.
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
NULL_Z = 1.0  # the test's null takes each q at its Wilson upper bound (z = 1): q is estimated


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


class _SameK:
    """Failure counts per k: each skill's, each skill's beside another, and the joint failures of
    every pair against their independence expectation (for the dependence factor)."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self.judged: dict[tuple[int, str], int] = defaultdict(int)
        self.failed: dict[tuple[int, str], int] = defaultdict(int)
        self.judged_with: dict[tuple[int, str, str], int] = defaultdict(int)
        self.failed_with: dict[tuple[int, str, str], int] = defaultdict(int)
        self.pooled: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # k -> [failed, judged]
        for u in units:
            for s in u.judged:
                self.judged[(u.k, s)] += 1
                self.failed[(u.k, s)] += s in u.failed
                self.pooled[u.k][0] += s in u.failed
                self.pooled[u.k][1] += 1
            for a, b in permutations(sorted(u.skills), 2):
                if a in u.judged:
                    self.judged_with[(u.k, a, b)] += 1
                    self.failed_with[(u.k, a, b)] += a in u.failed
        # Joint failures and their independence expectation, per k and per (k, pair).
        self.joint: dict[tuple[int, str, str], float] = defaultdict(float)
        self.base: dict[tuple[int, str, str], float] = defaultdict(float)
        self.joint_k: dict[int, float] = defaultdict(float)
        self.base_k: dict[int, float] = defaultdict(float)
        for u in units:
            for a, b in combinations(sorted(u.judged), 2):
                both = float(a in u.failed and b in u.failed)
                base = self.q(u.k, a) * self.q(u.k, b)
                self.joint[(u.k, a, b)] += both
                self.base[(u.k, a, b)] += base
                self.joint_k[u.k] += both
                self.base_k[u.k] += base

    def _shrunk(self, k: int, failed: int, judged: int, z: float = 0.0) -> float:
        """``(failed + 2 rate_k) / (judged + 2)``; with ``z`` > 0 its Wilson upper bound."""
        judged_k = self.pooled[k][1]
        rate = self.pooled[k][0] / judged_k if judged_k else 0.0
        if z > 0:
            return wilson_interval(failed + PRIOR_UNITS * rate, judged + PRIOR_UNITS, z)[1]
        return (failed + PRIOR_UNITS * rate) / (judged + PRIOR_UNITS)

    def q(self, k: int, a: str) -> float:
        """``a``'s failure rate over the units of k, shrunk toward the pooled rate of k."""
        return self._shrunk(k, self.failed[(k, a)], self.judged[(k, a)])

    def q_without(self, k: int, a: str, b: str, z: float = 0.0) -> float:
        """``a``'s failure rate over the units of k that do not hold ``b``, shrunk."""
        n = self.judged[(k, a)] - self.judged_with[(k, a, b)]
        return self._shrunk(k, self.failed[(k, a)] - self.failed_with[(k, a, b)], n, z)

    def dependence(self, k: int, a: str, b: str) -> float:
        """How much more often *other* pairs of k fail together than independence says (at least
        1): an agent that fails whole tasks (gives up, loses the thread) makes every pair of k
        co-fail; that is not an interaction of ``a`` and ``b``."""
        joint = self.joint_k[k] - self.joint[(k, a, b)]
        base = self.base_k[k] - self.base[(k, a, b)]
        return max(1.0, joint / base) if base > 0 else 1.0

    def expected(self, k: int, a: str, b: str, z: float = 0.0) -> float:
        """The null joint failure rate; with ``z`` > 0 from the rates' upper bounds."""
        qa, qb = self.q_without(k, a, b, z), self.q_without(k, b, a, z)
        return min(qa, qb, self.dependence(k, a, b) * qa * qb)


def co_failures(units: Sequence[Unit], *, top: int = 20) -> list[CoFailureRow]:
    """The pairs whose joint failure credibly exceeds the same-k null (module docstring)."""
    counts = _SameK(units)
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
        expected = sum(counts.expected(u.k, a, b) for u in members) / n
        groups: dict[float, int] = defaultdict(int)
        for u in members:
            groups[counts.expected(u.k, a, b, NULL_Z)] += 1
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
