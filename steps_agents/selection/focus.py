"""Focus weights from an evaluation report: which skills, pairs and communities an agent fails.

The ``focus`` selector (:mod:`steps_agents.selection.focused`) steers synthesis toward them.
Every weight lies in ``[0, 1]`` and reads "how much of a failure this cause explains":

* **pairs and skills, from the episodes** (the report's ``meta.episodes_file``): a noisy-OR
  model of failure. Each task ``t`` has causes ``C(t)``: a *leak* present in every task (the
  agent's failure rate on anything), a leak for the tasks of its k (most agents fail more as k
  grows, whatever the skills: without it, a skill common in large tasks took the blame for
  their size), each of its skills and each pair of its skills; cause ``c``
  breaks the task with probability ``q_c`` on its own, so
  ``P(fail t) = 1 - prod_{c in C(t)} (1 - q_c)``. EM fits the ``q``: the E-step gives a failed
  episode's responsibility ``r_tc = q_c / P(fail t)`` (a passed one gives 0), the M-step sets
  ``q_c = sum_t r_tc / (n_c + PRIOR)`` (the MAP under a Beta(1, 1 + PRIOR) prior; the leak gets
  no prior, nor do the per-k leaks). The prior is what explains away: a pair seen only beside a pair that fails
  everywhere it appears loses its share each round, while the leak absorbs failures that
  happen everywhere (an agent that fails every task gets no focus at all).
* **pairs, from the co-failure table** (``agents[].gap.co_failure`` of the report, when the
  evaluator wrote one): ``max(0, excess_low)``, the lower 95% bound of how much more often both
  skills went uncalled together than independence predicts. A pair's weight is the larger of
  the two sources.
* **skills, without episodes**: the report's per-skill table, the failure rate shrunk toward the
  agent's overall rate ``pbar`` with ``PRIOR`` pseudo-tasks, ``f = (failed + PRIOR pbar) / (n +
  PRIOR)``, as a lift over ``pbar``: ``max(0, f - pbar) / (1 - pbar)``.
* **communities**: the same shrunk lift over the report's per-community table; with the
  episodes, over the tasks holding a skill of the community, against the agent's failure rate
  at their k (so a region whose tasks are large is not blamed for their size).

The seed mass of a skill ``s`` is ``sigma_s = w_s + sum_u w_su + w_community(s)``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.fileformats import SCHEMA_KEY, check_schema, iter_json_lines

EVAL_REPORT_SCHEMA = "steps-agents/eval-report@1"  # evaluation.report.SCHEMA; no stage import
PRIOR = 2.0
EM_ROUNDS = 200
EM_TOLERANCE = 1e-9
MIN_WEIGHT = 1e-3  # below this a fitted q is the prior's residue, not evidence: dropped


@dataclass
class FocusWeights:
    """Failure weights of one agent's evaluation (module docstring); names as in the report."""

    agent: str
    skills: dict[str, float] = field(default_factory=dict)
    pairs: dict[frozenset[str], float] = field(default_factory=dict)
    communities: dict[str, float] = field(default_factory=dict)
    community_skills: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    worlds: list[str] = field(default_factory=list)  # the evaluated tasks' skill worlds
    # the skill sets of the evaluated tasks (from the episodes): how often the agent saw each
    evaluated: list[frozenset[str]] = field(default_factory=list)
    failed: list[bool] = field(default_factory=list)  # per evaluated task: did the agent fail it

    def record(self, skills: frozenset[str]) -> tuple[int, int]:
        """How many evaluated tasks hold all of ``skills``, and how many of those failed."""
        held = [f for s, f in zip(self.evaluated, self.failed, strict=True) if skills <= s]
        return len(held), sum(held)

    def seed_masses(self, skills: list[str]) -> list[float]:
        """``sigma_s`` of each skill: its own weight, its pairs' and its community's."""
        mass = dict.fromkeys(skills, 0.0)
        for skill in skills:
            mass[skill] += self.skills.get(skill, 0.0)
        for pair, w in self.pairs.items():
            for skill in pair:
                if skill in mass:
                    mass[skill] += w
        best_community: dict[str, float] = {}
        for name, w in self.communities.items():
            for skill in self.community_skills.get(name, ()):
                best_community[skill] = max(best_community.get(skill, 0.0), w)
        return [mass[s] + best_community.get(s, 0.0) for s in skills]

    def empty(self) -> bool:
        return not any(
            w > 0 for table in (self.skills, self.pairs, self.communities) for w in table.values()
        )

    def top(self, count: int = 5) -> dict[str, list[tuple[str, float]]]:
        """The heaviest skills, pairs and communities (for summaries)."""

        def best(table: dict[Any, float], name: Any) -> list[tuple[str, float]]:
            rows = [(name(key), w) for key, w in table.items() if w > 0]
            return sorted(rows, key=lambda kv: (-kv[1], kv[0]))[:count]

        return {
            "skills": best(self.skills, str),
            "pairs": best(self.pairs, lambda p: " + ".join(sorted(p))),
            "communities": best(self.communities, str),
        }


def _explains(cause: Any) -> bool:
    """A skill (str) or a pair (frozenset): a cause the prior shrinks. The leaks (``None``, and
    ``("k", k)`` for the tasks of one k) get no prior."""
    return isinstance(cause, str | frozenset)


def noisy_or(
    trials: list[tuple[list[Any], bool]], *, prior: float = PRIOR, rounds: int = EM_ROUNDS
) -> dict[Any, float]:
    """MAP ``q_c`` of the noisy-OR model over ``(causes, failed)`` trials (module docstring).

    The leak is the cause ``None``, added to every trial here; a trial may carry more leaks
    (tuples, such as the per-k leak of :func:`_episode_trials`). Deterministic (fixed start
    ``q = 0.5``, fixed number of rounds or until no ``q`` moves by more than the tolerance).
    """
    trials = [([None, *causes], failed) for causes, failed in trials]
    n: dict[Any, int] = defaultdict(int)
    for causes, _ in trials:
        for c in causes:
            n[c] += 1
    q = dict.fromkeys(n, 0.5)
    for _ in range(rounds):
        resp: dict[Any, float] = dict.fromkeys(n, 0.0)
        for causes, failed in trials:
            if not failed:
                continue
            survive = 1.0
            for c in causes:
                survive *= 1.0 - q[c]
            p_fail = 1.0 - survive
            if p_fail <= 0.0:
                continue
            for c in causes:
                resp[c] += q[c] / p_fail
        new = {c: min(1.0, resp[c] / (n[c] + (prior if _explains(c) else 0.0))) for c in n}
        moved = max(abs(new[c] - q[c]) for c in n)
        q = new
        if moved < EM_TOLERANCE:
            break
    return q


def _shrunk_lift(failed: float, n: float, pbar: float) -> float:
    if n <= 0 or pbar >= 1.0:
        return 0.0
    rate = (failed + PRIOR * pbar) / (n + PRIOR)
    return max(0.0, rate - pbar) / (1.0 - pbar)


def _rate_by_k(evaluated: list[frozenset[str]], failed: list[bool]) -> dict[int, float]:
    """The share of the evaluated tasks of each k that the agent failed."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for skills, f in zip(evaluated, failed, strict=True):
        counts[len(skills)][0] += f
        counts[len(skills)][1] += 1
    return {k: bad / n for k, (bad, n) in counts.items()}


def _episode_trials(
    path: Path, agent: str
) -> tuple[list[tuple[list[Any], bool]], list[frozenset[str]]]:
    """The noisy-OR trials of ``agent``'s episodes, and each episode's skill set."""
    trials = []
    sets = []
    for location, row in iter_json_lines(path):
        if not isinstance(row, dict) or row.get("agent") != agent or row.get("passed") is None:
            continue
        skills = row.get("skills")
        if not isinstance(skills, list):
            raise InputError("episode without a 'skills' list", location=location)
        names = sorted({str(s) for s in skills})
        causes: list[Any] = [
            ("k", len(names)),
            *names,
            *(frozenset(p) for p in combinations(names, 2)),
        ]
        trials.append((causes, not row["passed"]))
        sets.append(frozenset(names))
    return trials, sets


def _summary(report: dict[str, Any], agent: str | None, path: str | Path) -> dict[str, Any]:
    agents = report.get("agents")
    if not isinstance(agents, list) or not agents:
        raise InputError("the report has no agents", location=path)
    names = [a.get("agent") for a in agents if isinstance(a, dict)]
    if agent is None:
        return agents[0]
    for a in agents:
        if isinstance(a, dict) and a.get("agent") == agent:
            return a
    raise InputError(
        f"no agent {agent!r} in the report; it has {', '.join(map(str, names))}",
        location="--focus-agent",
    )


def focus_from_report(
    report: dict[str, Any], *, agent: str | None = None, path: str | Path = "report"
) -> FocusWeights:
    """:class:`FocusWeights` of ``agent`` (default: the report's first) from a parsed report."""
    check_schema(report.get(SCHEMA_KEY), EVAL_REPORT_SCHEMA, location=path)
    summary = _summary(report, agent, path)
    out = FocusWeights(agent=str(summary.get("agent")))
    worlds = (report.get("meta") or {}).get("worlds")
    out.worlds = sorted(str(w) for w in worlds) if isinstance(worlds, dict) else []
    overall = summary.get("overall") or {}
    pbar = 1.0 - float(overall.get("pass_rate") or 0.0) if overall.get("n") else 0.0
    episodes = (report.get("meta") or {}).get("episodes_file")
    if isinstance(episodes, str) and Path(episodes).is_file():
        trials, out.evaluated = _episode_trials(Path(episodes), out.agent)
        out.failed = [failed for _, failed in trials]
        q = noisy_or(trials)
        for cause, w in q.items():
            if w < MIN_WEIGHT:
                continue
            if isinstance(cause, str):
                out.skills[cause] = w
            elif isinstance(cause, frozenset):
                out.pairs[cause] = w
        out.sources.append(f"episodes ({episodes})")
    else:
        for row in summary.get("per_skill") or []:
            n = float(row.get("n") or 0)
            failed = n - float(row.get("passed") or 0)
            out.skills[str(row["skill"])] = _shrunk_lift(failed, n, pbar)
        out.sources.append("per-skill table")
    co_failure = (summary.get("gap") or {}).get("co_failure") or []
    for row in co_failure:
        pair = frozenset(str(s) for s in row.get("skills", ()))
        if len(pair) == 2:
            w = min(1.0, max(0.0, float(row.get("excess_low") or 0.0)))
            out.pairs[pair] = max(out.pairs.get(pair, 0.0), w)
    if co_failure:
        out.sources.append("co-failure table")
    at_k = _rate_by_k(out.evaluated, out.failed)
    for row in summary.get("per_community") or []:
        n = float(row.get("n") or 0)
        name = str(row.get("community"))
        members = [str(s) for s in row.get("skills") or []]
        held = [
            (len(t), f) for t, f in zip(out.evaluated, out.failed, strict=True) if t & set(members)
        ]
        if held:  # against the agent's failure rate at the k of the community's tasks
            expected = sum(at_k[k] for k, _ in held) / len(held)
            out.communities[name] = _shrunk_lift(sum(f for _, f in held), len(held), expected)
        else:
            out.communities[name] = _shrunk_lift(n - float(row.get("passed") or 0), n, pbar)
        out.community_skills[name] = members
    if out.communities:
        out.sources.append("per-community table")
    return out


def load_focus(path: str | Path, agent: str | None = None) -> FocusWeights:
    """Read an evaluation report (``steps eval -o``) and compute its :class:`FocusWeights`."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such evaluation report", location=path) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the evaluation report ({exc})", location=path) from None
    if not isinstance(report, dict):
        raise InputError("expected a JSON object (an evaluation report)", location=path)
    return focus_from_report(report, agent=agent, path=path)
