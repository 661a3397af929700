"""Per-episode scores (coverage, attribution) and per-agent aggregates (per k, skill, community).

Definitions used throughout the report:

* **pass** -- the task's deterministic checker accepted the agent's answer and final state.
* **skill coverage** -- ``|covered required skills| / |required skills|``. A required skill is
  *covered* when every oracle call of that tool can be matched to a distinct successful
  agent call of the same tool whose arguments equal the oracle's, or -- for tools that do not
  change the world state -- whose result equals the oracle's (so an agent that spells an
  optional argument differently but gets the same result still counts; a mutating tool's
  result is often a bare status such as ``"ok"`` and proves nothing). Without an oracle trace a
  skill is covered by any successful call of it.
* **failure attribution** -- the first required skill, in the oracle's order, that is not
  covered; ``None`` when every skill was covered (the answer itself was wrong) or the episode
  passed.
* **steps vs oracle** -- the agent's number of tool calls and the oracle's; the step ratio is
  ``mean(steps / oracle_steps)`` over episodes with an oracle.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from steps_agents.evaluation.records import EpisodeResult, ToolCallRecord
from steps_agents.evaluation.significance import mean, wilson_interval

_REL_TOL = 1e-9
_ABS_TOL = 1e-9


def same_value(a: Any, b: Any) -> bool:
    """Structural equality with a float tolerance; ``1 == 1.0``; tuples compare as lists."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=_REL_TOL, abs_tol=_ABS_TOL)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _matches(agent_call: ToolCallRecord, oracle_call: ToolCallRecord, by_result: bool) -> bool:
    return agent_call.ok and (
        same_value(agent_call.args, oracle_call.args)
        or (by_result and oracle_call.ok and same_value(agent_call.result, oracle_call.result))
    )


def _perfect_matching(fits: list[list[int]], n_right: int) -> bool:
    """True when every left item ``i`` can get a distinct right item from ``fits[i]``.

    Kuhn's augmenting paths: ``O(left * edges)``, tiny here (a skill's calls in one episode).
    """
    owner = [-1] * n_right

    def augment(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j not in seen:
                seen.add(j)
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(augment(i, set()) for i in range(len(fits)))


def required_order(skills: Sequence[str], oracle: Sequence[ToolCallRecord] | None) -> list[str]:
    """Required skills in the order the oracle first uses them; unused ones keep task order."""
    order: list[str] = []
    for call in oracle or ():
        if call.tool in skills and call.tool not in order:
            order.append(call.tool)
    order.extend(s for s in skills if s not in order)
    return order


def skill_coverage(
    skills: Sequence[str],
    trace: Sequence[ToolCallRecord],
    oracle: Sequence[ToolCallRecord] | None,
    *,
    mutating: frozenset[str] | set[str] = frozenset(),
) -> tuple[list[str], float, str | None]:
    """``(covered skills, coverage, first uncovered skill)``; see the module docstring.

    ``mutating`` names the tools whose calls only count by their arguments.
    """
    order = required_order(skills, oracle)
    by_tool: dict[str, list[ToolCallRecord]] = defaultdict(list)
    for call in trace:
        by_tool[call.tool].append(call)
    covered: list[str] = []
    for skill in order:
        agent_calls = by_tool.get(skill, [])
        oracle_calls = [c for c in oracle or () if c.tool == skill]
        if not oracle_calls:
            ok = any(c.ok for c in agent_calls)
        else:
            # Every oracle call needs its own matching agent call: a perfect bipartite matching
            # (a greedy first-fit can miss one that exists when one agent call fits two).
            fits = [
                [j for j, c in enumerate(agent_calls) if _matches(c, want, skill not in mutating)]
                for want in oracle_calls
            ]
            ok = _perfect_matching(fits, len(agent_calls))
        if ok:
            covered.append(skill)
    first_wrong = next((s for s in order if s not in covered), None)
    coverage = len(covered) / len(order) if order else 1.0
    return covered, coverage, first_wrong


# ---------------------------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------------------------


class RateRow(BaseModel):
    """Pass rate and friends over a group of episodes.

    ``n`` counts scored episodes (text tasks without a checker are excluded from the pass rate
    but counted in ``judged``). The 95% interval is Wilson's with the number of *tasks* as the
    sample size and the mean pass rate as the proportion, so repeats of one task are not
    counted as independent evidence.
    """

    n: int = 0
    tasks: int = 0
    passed: int = 0
    pass_rate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    mean_coverage: float | None = None
    mean_steps: float | None = None
    mean_oracle_steps: float | None = None
    step_ratio: float | None = None
    judged: int = 0
    mean_judge: float | None = None
    failures: dict[str, int] = Field(default_factory=dict)


class KRow(RateRow):
    k: int


class SkillRow(RateRow):
    skill: str
    covered_rate: float | None = None
    blamed: int = 0


class CommunityRow(RateRow):
    """``skills``: the community's skills that some task required; ``taxonomy_skills``: how many
    skills the taxonomy puts under it (``None`` for skills missing from the taxonomy)."""

    community: str
    node: int
    skills: list[str] = Field(default_factory=list)
    taxonomy_skills: int | None = None


def rate_row(episodes: Sequence[EpisodeResult]) -> dict[str, Any]:
    """The fields of :class:`RateRow` for ``episodes`` (as a dict so subclasses can extend it)."""
    scored = [e for e in episodes if e.passed is not None]
    per_task: dict[str, list[bool]] = defaultdict(list)
    for e in scored:
        per_task[e.task_id].append(bool(e.passed))
    passed = sum(1 for e in scored if e.passed)
    row: dict[str, Any] = {"n": len(scored), "tasks": len(per_task), "passed": passed}
    if scored:
        rate = passed / len(scored)
        low, high = wilson_interval(rate * len(per_task), len(per_task))
        row.update(pass_rate=rate, ci_low=low, ci_high=high)
    row["mean_coverage"] = mean([e.coverage for e in episodes if e.coverage is not None])
    row["mean_steps"] = mean([float(e.steps) for e in episodes if e.kind == "agentic"])
    with_oracle = [e for e in episodes if e.oracle_steps]
    row["mean_oracle_steps"] = mean([float(e.oracle_steps or 0) for e in with_oracle])
    row["step_ratio"] = mean([e.steps / (e.oracle_steps or 1) for e in with_oracle])
    judged = [e.judge_score for e in episodes if e.judge_score is not None]
    row["judged"] = len(judged)
    row["mean_judge"] = mean(judged)
    failures: dict[str, int] = defaultdict(int)
    for e in episodes:
        if e.failure is not None:
            failures[e.failure] += 1
    row["failures"] = dict(sorted(failures.items()))
    return row


def per_k(episodes: Sequence[EpisodeResult]) -> list[KRow]:
    groups: dict[int, list[EpisodeResult]] = defaultdict(list)
    for e in episodes:
        groups[e.k].append(e)
    return [KRow(k=k, **rate_row(groups[k])) for k in sorted(groups)]


def per_skill(episodes: Sequence[EpisodeResult]) -> list[SkillRow]:
    """Marginals per skill over the episodes whose task requires it."""
    groups: dict[str, list[EpisodeResult]] = defaultdict(list)
    for e in episodes:
        for s in dict.fromkeys(e.skills):
            groups[s].append(e)
    rows = []
    for skill in sorted(groups):
        eps = groups[skill]
        agentic = [e for e in eps if e.kind == "agentic"]
        rows.append(
            SkillRow(
                skill=skill,
                covered_rate=mean([1.0 if skill in e.covered else 0.0 for e in agentic]),
                blamed=sum(1 for e in eps if e.attribution == skill),
                **rate_row(eps),
            )
        )
    return rows


def per_community(episodes: Sequence[EpisodeResult], taxonomy: Any) -> list[CommunityRow]:
    """Marginals per top-level community (a skill's ancestor at depth 1 of the taxonomy).

    An episode counts once in every community that one of its skills belongs to; skills missing
    from the taxonomy are grouped under ``(not in taxonomy)`` with node ``-1``.
    """
    community_of: dict[str, int] = {}
    groups: dict[int, list[EpisodeResult]] = defaultdict(list)
    members: dict[int, set[str]] = defaultdict(set)
    for e in episodes:
        seen: set[int] = set()
        for s in e.skills:
            if s not in community_of:
                community_of[s] = (
                    int(taxonomy.ancestor_at_depth(s, 1)) if s in taxonomy.leaf_of else -1
                )
            node = community_of[s]
            members[node].add(s)
            if node not in seen:
                seen.add(node)
                groups[node].append(e)
    rows = []
    for node in sorted(groups):
        label = taxonomy.label(node) if node >= 0 else "(not in taxonomy)"
        rows.append(
            CommunityRow(
                community=label,
                node=node,
                skills=sorted(members[node]),
                taxonomy_skills=len(taxonomy.subtree_skills(node)) if node >= 0 else None,
                **rate_row(groups[node]),
            )
        )
    return rows


def group_by_agent(episodes: Iterable[EpisodeResult]) -> dict[str, list[EpisodeResult]]:
    out: dict[str, list[EpisodeResult]] = defaultdict(list)
    for e in episodes:
        out[e.agent].append(e)
    return dict(out)
