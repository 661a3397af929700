"""Per-episode scores, aggregates, repeats, the paired comparison and the report."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents.evaluation.compare import compare, repeat_stats
from steps_agents.evaluation.records import EpisodeResult, ToolCallRecord
from steps_agents.evaluation.report import build_report, load_report, to_markdown, write_report
from steps_agents.evaluation.scoring import (
    per_community,
    per_k,
    required_order,
    same_value,
    skill_coverage,
)
from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode


def call(tool: str, ok: bool = True, result: Any = None, **args: Any) -> ToolCallRecord:
    return ToolCallRecord(tool=tool, args=args, ok=ok, result=result, error=None if ok else "bad")


ORACLE = [
    call("add", result=5, a=2, b=3),
    call("mul", result=35, a=5, b=7),
    call("put", result="ok", key="x", value=35),
]
SKILLS = ["put", "add", "mul"]  # task order differs from oracle order on purpose


def test_coverage_and_attribution_follow_the_oracle_order() -> None:
    perfect = list(ORACLE)
    assert skill_coverage(SKILLS, perfect, ORACLE) == (["add", "mul", "put"], 1.0, None)
    skipped_mul = [ORACLE[0], ORACLE[2]]
    covered, cov, first = skill_coverage(SKILLS, skipped_mul, ORACLE)
    assert covered == ["add", "put"] and cov == pytest.approx(2 / 3) and first == "mul"
    # Wrong arguments but the same result counts for a pure tool ...
    same_result = [call("add", result=5, a=1, b=4), ORACLE[1], ORACLE[2]]
    assert skill_coverage(SKILLS, same_result, ORACLE, mutating={"put"})[1] == 1.0
    # ... but not for a mutating one, whose "ok" proves nothing.
    wrong_put = [*ORACLE[:2], call("put", result="ok", key="y", value=1)]
    assert skill_coverage(SKILLS, wrong_put, ORACLE, mutating={"put"})[2] == "put"
    # A failed call never covers; without an oracle any successful call does.
    failed = [call("add", ok=False, a=2, b=3)]
    assert skill_coverage(["add"], failed, ORACLE[:1])[2] == "add"
    assert skill_coverage(["add"], [call("add", result=1, a=0, b=1)], None)[1] == 1.0


def test_same_value_tolerates_floats_not_types() -> None:
    assert same_value({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert same_value(0.1 + 0.2, 0.3)
    assert not same_value(True, 1)
    assert not same_value("1", 1)


def ep(
    agent: str, task: str, k: int, passed: bool | None, repeat: int = 0, **kw: Any
) -> EpisodeResult:
    return EpisodeResult(
        run_id="r",
        agent=agent,
        task_id=task,
        repeat=repeat,
        k=k,
        skills=kw.pop("skills", [f"s{i}" for i in range(k)]),
        passed=passed,
        **kw,
    )


def test_per_k_rows() -> None:
    eps = [
        ep("a", "t1", 1, True, coverage=1.0, steps=1, oracle_steps=1),
        ep("a", "t2", 2, True, coverage=1.0, steps=3, oracle_steps=2),
        ep("a", "t3", 2, False, coverage=0.5, steps=1, oracle_steps=2, failure="checker"),
        ep("a", "t4", 2, False, failure="timeout", coverage=0.0, steps=0, oracle_steps=2),
    ]
    rows = {r.k: r for r in per_k(eps)}
    assert rows[1].n == 1 and rows[1].pass_rate == 1.0
    r2 = rows[2]
    assert (r2.n, r2.passed) == (3, 1)
    assert r2.pass_rate == pytest.approx(1 / 3)
    assert r2.ci_low is not None and r2.ci_low < 1 / 3 < (r2.ci_high or 0)
    assert r2.mean_coverage == pytest.approx(0.5)
    assert r2.step_ratio == pytest.approx((1.5 + 0.5 + 0.0) / 3)
    assert r2.failures == {"checker": 1, "timeout": 1}


def test_per_community_uses_the_depth_one_ancestor() -> None:
    nodes = [
        TaxonomyNode(0, None, 10.0, 0.0),
        TaxonomyNode(1, 0, 6.0, 2.0, label="math"),
        TaxonomyNode(2, 0, 4.0, 2.0, label="storage"),
        TaxonomyNode(3, 1, 3.0, 3.0, skill="add", count=3),
        TaxonomyNode(4, 1, 3.0, 3.0, skill="mul", count=3),
        TaxonomyNode(5, 2, 4.0, 4.0, skill="put", count=4),
    ]
    tax = Taxonomy(nodes)
    eps = [
        ep("a", "t1", 2, True, skills=["add", "mul"]),
        ep("a", "t2", 2, False, skills=["add", "put"]),
        ep("a", "t3", 1, False, skills=["zzz"]),
    ]
    rows = {r.community: r for r in per_community(eps, tax)}
    assert (
        rows["math"].n == 2 and rows["math"].passed == 1 and rows["math"].skills == ["add", "mul"]
    )
    assert rows["storage"].n == 1 and rows["storage"].passed == 0
    assert rows["(not in taxonomy)"].skills == ["zzz"]


def test_repeat_stats() -> None:
    eps = []
    outcomes = {"t1": [True, True, True], "t2": [True, False, True], "t3": [False, False, False]}
    for task, results in outcomes.items():
        eps += [ep("a", task, 2, p, repeat=r) for r, p in enumerate(results)]
    stats = repeat_stats(eps)
    assert stats is not None and stats.repeats == 3 and stats.tasks == 3
    assert stats.pass_hat[1] == pytest.approx(5 / 9)
    assert stats.pass_hat[3] == pytest.approx(1 / 3)  # only t1 passes every time
    assert stats.pass_hat[2] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert stats.per_repeat == pytest.approx([2 / 3, 1 / 3, 2 / 3])
    assert stats.flaky_share == pytest.approx(1 / 3)
    assert repeat_stats([ep("a", "t1", 1, True)]) is None


def test_compare_counts_discordant_pairs() -> None:
    a = [ep("A", f"t{i}", 2, True) for i in range(12)]
    b = [ep("B", f"t{i}", 2, i < 2) for i in range(12)]
    c = compare(a, b)
    assert (c.both, c.only_a, c.only_b, c.neither) == (2, 10, 0, 0)
    assert c.p_mcnemar == pytest.approx(2 / 2**10)
    assert c.p_sign_tasks == pytest.approx(c.p_mcnemar)  # one repeat: the same test
    assert c.diff == pytest.approx(10 / 12)
    assert "A is better" in c.verdict
    same = compare(a, [e.model_copy(update={"agent": "B"}) for e in a])
    assert same.p_mcnemar == 1.0 and "no significant" in same.verdict


def test_report_round_trip_and_markdown(tmp_path: Path) -> None:
    eps = [
        ep("A", "t1", 1, True, coverage=1.0),
        ep("A", "t2", 2, False, coverage=0.5, attribution="s1", failure="checker"),
        ep("B", "t1", 1, False, coverage=0.0, attribution="s0", failure="agent_error"),
        ep("B", "t2", 2, False, coverage=0.0, attribution="s0", failure="step_limit"),
    ]
    report = build_report(eps, run_id="r", agents=["A", "B"], compare_agents=("A", "B"))
    path = tmp_path / "report.json"
    write_report(report, path)
    data = json.loads(path.read_text())
    assert data["schema"] == "steps-agents/eval-report@1"
    assert load_report(path) == report
    md = to_markdown(report)
    assert "## Agent `A`" in md and "## Paired comparison" in md
    assert "| 2 | 1 | 0.0% |" in md  # A's k=2 row
    assert report.agents[1].attribution == {"s0": 2}


def _brute_covered(
    skills: list[str], trace: list[ToolCallRecord], oracle: list[ToolCallRecord]
) -> set[str]:
    """A skill is covered when some injective assignment of its oracle calls to agent calls
    matches every pair (tried over all permutations)."""
    out = set()
    for skill in skills:
        want = [c for c in oracle if c.tool == skill]
        have = [c for c in trace if c.tool == skill and c.ok]
        if not want:
            if have:
                out.add(skill)
            continue
        for perm in itertools.permutations(range(len(have)), len(want)):
            if all(
                same_value(have[j].args, w.args) or same_value(have[j].result, w.result)
                for j, w in zip(perm, want, strict=True)
            ):
                out.add(skill)
                break
    return out


calls_strategy = st.lists(
    st.tuples(st.sampled_from(["f", "g"]), st.integers(0, 2), st.integers(0, 2), st.booleans()),
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(calls_strategy, calls_strategy)
def test_coverage_matches_brute_force(
    agent: list[tuple[str, int, int, bool]], oracle: list[tuple[str, int, int, bool]]
) -> None:
    trace = [
        ToolCallRecord(tool=t, args={"x": a}, ok=ok, result=r if ok else None)
        for t, a, r, ok in agent
    ]
    ref = [ToolCallRecord(tool=t, args={"x": a}, ok=True, result=r) for t, a, r, _ in oracle]
    skills = ["f", "g"]
    covered, coverage, first = skill_coverage(skills, trace, ref)
    assert set(covered) == _brute_covered(skills, trace, ref)
    assert coverage == pytest.approx(len(covered) / 2)
    assert first == next((s for s in required_order(skills, ref) if s not in covered), None)


def test_one_call_cannot_cover_two_oracle_calls_but_a_matching_is_found() -> None:
    oracle = [call("f", result=1, x=1), call("f", result=2, x=2)]
    # a1 fits both oracle calls (same args as o1, same result as o2); a2 fits only o1.
    a1 = call("f", result=2, x=1)
    a2 = call("f", result=9, x=1)
    assert skill_coverage(["f"], [a1, a2], oracle)[1] == 1.0  # o1-a2, o2-a1
    assert skill_coverage(["f"], [a1], oracle)[1] == 0.0
