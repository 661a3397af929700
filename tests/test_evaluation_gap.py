"""The compositional-gap analysis on synthetic episodes with a known answer.

Twelve skills each succeed alone with probability 0.9. The k = 2 tasks fail when either of their
skills fails; in the *planted* world the pair (s00, s01) also breaks together: whenever both are
in a task, both fail with probability 0.8 whatever they would have done alone. The analysis must
rank that pair first among co-failures and find a gap whose interval excludes zero; in the
independent world (same draws otherwise) the interval must cover zero.
"""

from __future__ import annotations

import math
import random
from itertools import combinations
from pathlib import Path

import pytest

from steps_agents.evaluation.gap import gap_analysis, repeat_rows, skill_rates
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.report import build_report, to_markdown

SKILLS = [f"s{i:02d}" for i in range(12)]
PLANTED = ("s00", "s01")


def _episode(
    task: str,
    skills: list[str],
    failed: set[str],
    *,
    repeat: int = 0,
    feeds: list[list[str]] | None = None,
) -> EpisodeResult:
    return EpisodeResult(
        run_id="r",
        agent="a",
        task_id=task,
        repeat=repeat,
        k=len(skills),
        skills=skills,
        passed=not failed,
        covered=[s for s in skills if s not in failed],
        details={"feeds": feeds or []},
    )


def synthetic(
    *, planted: bool, seed: int = 7, alone: int = 30, pairs: int = 400
) -> list[EpisodeResult]:
    """``alone`` k = 1 tasks per skill; ``pairs`` k = 2 tasks, a quarter of them the planted pair."""
    rng = random.Random(seed)
    episodes = []
    for s in SKILLS:
        for i in range(alone):
            episodes.append(_episode(f"{s}-{i}", [s], set() if rng.random() < 0.9 else {s}))
    all_pairs = list(combinations(SKILLS, 2))
    for i in range(pairs):
        pair = PLANTED if i % 4 == 0 else rng.choice(all_pairs)
        failed = {s for s in pair if rng.random() >= 0.9}
        together = rng.random()
        if planted and pair == PLANTED and together < 0.8:
            failed = set(pair)
        episodes.append(_episode(f"pair-{i}", list(pair), failed))
    return episodes


def test_planted_pair_ranks_first_and_the_gap_excludes_zero() -> None:
    gap = gap_analysis(synthetic(planted=True), seed=0)
    assert gap is not None and gap.overall is not None
    assert gap.co_failure[0].skills == PLANTED
    # The planted pair fails together in ~80% of its 100 tasks against q_a q_b ~ 0.01 alone.
    assert gap.co_failure[0].joint_rate > 0.7 and gap.co_failure[0].expected < 0.05
    (k2,) = gap.per_k
    assert k2.ci_high is not None and k2.ci_high < 0
    assert gap.overall.ci_high is not None and gap.overall.ci_high < 0


def test_independent_failures_give_an_interval_covering_zero() -> None:
    gap = gap_analysis(synthetic(planted=False), seed=0)
    assert gap is not None
    (k2,) = gap.per_k
    assert k2.ci_low is not None and k2.ci_high is not None
    assert k2.ci_low < 0 < k2.ci_high
    # Observed and predicted agree to within a few points (0.81 expected for p = 0.9 each).
    assert abs(k2.observed - 0.81) < 0.06 and abs(k2.predicted - 0.81) < 0.06


def test_chance_co_failures_are_not_listed() -> None:
    """Independent failures: a pair with one joint failure in a few tasks is luck, not listed."""
    gap = gap_analysis(synthetic(planted=False), seed=0)
    assert gap is not None and gap.co_failure == []
    planted = gap_analysis(synthetic(planted=True), seed=0)
    assert planted is not None and [r.skills for r in planted.co_failure] == [PLANTED]
    assert planted.co_failure[0].p_excess is not None and planted.co_failure[0].p_excess < 1e-50


def test_binomial_upper_tail_matches_the_direct_sum() -> None:
    from math import comb

    from steps_agents.evaluation.cofailure import binomial_upper_tail

    for x, n, p in [(1, 4, 0.01), (3, 10, 0.2), (0, 5, 0.3), (7, 7, 0.5)]:
        direct = sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(x, n + 1))
        assert binomial_upper_tail(x, n, p) == pytest.approx(direct, rel=1e-9)
    assert (
        binomial_upper_tail(9000, 10000, 0.5) < 1e-300
        or binomial_upper_tail(9000, 10000, 0.5) == 0.0
    )


def test_small_pairs_do_not_outrank_well_measured_ones() -> None:
    """Three tasks, both skills failing in each (rate 1.0), rank below 40 joint failures in 50;
    a single such task is not evidence enough to be listed at all."""
    episodes = [_episode(f"{s}-{i}", [s], set()) for s in ("a", "b", "c", "d") for i in range(20)]
    # Each skill also passes at k = 2 beside other partners: that is the null of the same k.
    for s, other in [("a", "e"), ("b", "f"), ("c", "e"), ("d", "f")]:
        episodes += [_episode(f"{s}{other}-{i}", [s, other], set()) for i in range(20)]
    episodes += [
        _episode(f"ab-{i}", ["a", "b"], {"a", "b"} if i < 40 else set()) for i in range(50)
    ]
    one = gap_analysis([*episodes, _episode("cd", ["c", "d"], {"c", "d"})], seed=0)
    assert one is not None and [r.skills for r in one.co_failure] == [("a", "b")]
    episodes += [_episode(f"cd-{i}", ["c", "d"], {"c", "d"}) for i in range(3)]
    gap = gap_analysis(episodes, seed=0)
    assert gap is not None
    assert [r.skills for r in gap.co_failure] == [("a", "b"), ("c", "d")]
    # Listed pairs are the ones credibly above independence: each one's lower bound is.
    assert all(r.excess_low > 0 for r in gap.co_failure)
    assert gap.co_failure[1].joint_rate == 1.0 > gap.co_failure[0].joint_rate


def test_prediction_is_the_mean_product_of_k1_rates() -> None:
    episodes = [_episode(f"a{i}", ["a"], set() if i < 3 else {"a"}) for i in range(4)]  # p_a .75
    episodes += [_episode(f"b{i}", ["b"], set() if i < 1 else {"b"}) for i in range(2)]  # p_b .5
    episodes += [_episode("ab", ["a", "b"], set()), _episode("abx", ["a", "b", "x"], set())]
    episodes += [_episode("ab2", ["b", "a"], {"a"})]
    gap = gap_analysis(episodes, seed=0, resamples=50)
    assert gap is not None
    assert {r.skill: r.pass_rate for r in gap.skills} == {"a": 0.75, "b": 0.5}
    # x has no k = 1 task: "abx" gets no guessed rate, it is left out of every row.
    (k2,) = gap.per_k
    assert (gap.k2_tasks, gap.measured_tasks, gap.unmeasured_tasks) == (3, 2, 1)
    assert gap.estimable and k2.tasks == 2
    assert k2.predicted == pytest.approx(0.375) and k2.gap == pytest.approx(0.5 - 0.375)


def test_gap_is_not_estimable_when_most_tasks_have_unmeasured_skills() -> None:
    """The quickstart's shape: 2 of 10 k >= 2 tasks measured alone -> no rows, a refusal."""
    episodes = [_episode(f"{s}{i}", [s], set()) for s in "ab" for i in range(5)]
    episodes += [_episode(f"ab{i}", ["a", "b"], set()) for i in range(2)]
    episodes += [_episode(f"xy{i}", ["x", "y", "a"], {"x"}) for i in range(8)]
    gap = gap_analysis(episodes, seed=0, resamples=50)
    assert gap is not None and not gap.estimable
    assert (gap.measured_tasks, gap.unmeasured_tasks) == (2, 8)
    assert gap.per_k == [] and gap.overall is None
    text = to_markdown(build_report(episodes, run_id="r", agents=["a"]))
    assert "Not estimable: only 2 of 10 k >= 2 tasks have every skill measured alone" in text


def test_reading_says_inconclusive_for_a_wide_interval() -> None:
    from steps_agents.evaluation.gap import GapRow, gap_reading

    def row(low: float, high: float) -> GapRow:
        return GapRow(
            group="g", tasks=20, observed=0.5, predicted=0.5, gap=0.0, ci_low=low, ci_high=high
        )

    assert gap_reading(row(-0.65, 0.167)) == "inconclusive"
    assert gap_reading(row(-0.074, 0.073)) == "no gap"
    assert gap_reading(row(-0.29, -0.126)) == "harder"
    assert gap_reading(row(0.01, 0.3)) == "easier"


def test_reading_at_the_floor_or_ceiling_is_not_estimable_rather_than_no_gap() -> None:
    """A prediction within 10 points of 0% / 100% leaves no room for a gap in that direction."""
    from steps_agents.evaluation.gap import GapRow, gap_reading

    def row(predicted: float, observed: float, low: float, high: float) -> GapRow:
        return GapRow(
            group="g",
            tasks=28,
            observed=observed,
            predicted=predicted,
            gap=observed - predicted,
            ci_low=low,
            ci_high=high,
        )

    assert gap_reading(row(0.0, 0.0, 0.0, 0.0)) == "floor: not estimable"
    assert gap_reading(row(0.06, 0.04, -0.05, 0.01)) == "floor: not estimable"
    assert gap_reading(row(1.0, 1.0, 0.0, 0.0)) == "ceiling: not estimable"
    assert gap_reading(row(0.95, 0.93, -0.06, 0.03)) == "ceiling: not estimable"
    assert gap_reading(row(0.5, 0.49, -0.05, 0.03)) == "no gap"
    # a finding away from the bound still reads as one
    assert gap_reading(row(0.05, 0.3, 0.1, 0.4)) == "easier"
    assert gap_reading(row(0.98, 0.6, -0.5, -0.2)) == "harder"
    assert gap_reading(row(0.0, 0.1, -0.01, 0.3)) == "inconclusive"


def test_an_agent_that_always_fails_reads_floor_in_json_markdown_and_html() -> None:
    from steps_agents.reporting.evaluation_section import evaluation_section

    episodes = [_episode(f"{s}-{i}", [s], {s}) for s in SKILLS[:4] for i in range(5)]
    episodes += [
        _episode(f"p{i}", list(p), set(p)) for i, p in enumerate(combinations(SKILLS[:4], 2))
    ]
    report = build_report(episodes, run_id="r", agents=["a"])
    gap = report.agents[0].gap
    assert gap is not None and gap.overall is not None
    assert (gap.overall.ci_low, gap.overall.ci_high) == (0.0, 0.0)
    assert gap.overall.reading == "floor: not estimable"
    assert '"reading": "floor: not estimable"' in report.to_json()
    assert type(report).model_validate_json(report.to_json()).agents[0].gap == gap
    text = to_markdown(report)
    assert "| floor: not estimable |" in text and "no gap |" not in text
    assert "k = 1 pass rates lie between the extremes" in text
    assert "<td>floor: not estimable</td>" in evaluation_section([report]).body


def test_same_seed_same_interval_and_seed_matters() -> None:
    episodes = synthetic(planted=False, pairs=100)
    a = gap_analysis(episodes, seed=3, resamples=200)
    b = gap_analysis(episodes, seed=3, resamples=200)
    c = gap_analysis(episodes, seed=4, resamples=200)
    assert a is not None and b is not None and c is not None
    assert a.per_k[0] == b.per_k[0]
    assert a.per_k[0].ci_low != c.per_k[0].ci_low


def test_repeats_split_variance_into_task_and_trial() -> None:
    # k = 2: one task always passes, one always fails -> all variance is between tasks.
    # k = 3: two tasks that each pass half their tries -> all variance is within tasks.
    eps = []
    for r in range(4):
        eps.append(_episode("always", ["a", "b"], set(), repeat=r))
        eps.append(_episode("never", ["a", "c"], {"a"}, repeat=r))
        eps.append(_episode("flip1", ["a", "b", "c"], {"a"} if r % 2 else set(), repeat=r))
        eps.append(_episode("flip2", ["b", "c", "d"], set() if r % 2 else {"b"}, repeat=r))
    rows = {row.k: row for row in repeat_rows(list(_tasks_of(eps)))}
    assert rows[2].var_task == pytest.approx(0.25) and rows[2].var_trial == 0.0
    assert rows[2].pass_hat == 0.5 and rows[2].task_share == pytest.approx(1.0)
    assert rows[3].var_task == 0.0 and rows[3].var_trial == pytest.approx(0.25)
    assert rows[3].pass_hat == 0.0 and rows[3].pass_rate == 0.5
    for row in rows.values():
        assert row.var_task + row.var_trial == pytest.approx(row.var_total)


def _tasks_of(episodes: list[EpisodeResult]):  # noqa: ANN202 - the module's private task records
    from steps_agents.evaluation.gap import _tasks

    return _tasks(episodes).values()


def test_skill_rates_count_alone_failures_from_coverage() -> None:
    eps = [_episode("a1", ["a"], {"a"}), _episode("a2", ["a"], set())]
    (row,) = skill_rates(eps)
    assert (row.skill, row.tasks, row.pass_rate, row.fail_alone) == ("a", 2, 0.5, 0.5)


def test_report_carries_the_gap_in_json_and_markdown() -> None:
    report = build_report(synthetic(planted=True, pairs=80), run_id="r", agents=["a"])
    gap = report.agents[0].gap
    assert gap is not None and gap.per_k and gap.co_failure[0].skills == PLANTED
    text = to_markdown(report)
    assert "### Compositional gap" in text and "s00 + s01" in text
    again = type(report).model_validate_json(report.to_json())
    assert again.agents[0].gap == gap


def test_a_producer_consumer_cascade_is_not_a_co_failure() -> None:
    """p -> c: c is called with p's (wrong) result, so c fails whenever p does. Not an interaction.

    The same episodes without the oracle's feeds would list the pair: the feeds are what keeps it
    out, not a lack of power.
    """
    rng = random.Random(11)
    skills = ["p", "c", "u", "v"]
    cascade, no_feeds = [], []
    for s in skills:
        cascade += [
            _episode(f"{s}-{i}", [s], set() if rng.random() < 0.9 else {s}) for i in range(20)
        ]
    no_feeds = list(cascade)
    for i in range(400):
        pair = ["p", "c"] if i % 2 == 0 else rng.choice([["p", "u"], ["c", "v"], ["u", "v"]])
        failed = {s for s in pair if rng.random() < 0.3}
        feeds = [["p", "c"]] if pair == ["p", "c"] else []
        if "p" in failed and feeds:
            failed.add("c")  # the cascade
        cascade.append(_episode(f"t{i}", pair, failed, feeds=feeds))
        no_feeds.append(_episode(f"t{i}", pair, failed))
    blind = gap_analysis(no_feeds, seed=0, resamples=50)
    assert blind is not None and ("c", "p") in [r.skills for r in blind.co_failure]
    gap = gap_analysis(cascade, seed=0, resamples=50)
    assert gap is not None and ("c", "p") not in [r.skills for r in gap.co_failure]


def test_a_uniform_k_penalty_lists_no_pair() -> None:
    """Every skill fails 10% alone and 70% at k = 4, independently: harder, but no interaction."""
    rng = random.Random(5)
    episodes = [
        _episode(f"{s}-{i}", [s], set() if rng.random() < 0.9 else {s})
        for s in SKILLS
        for i in range(10)
    ]
    for i in range(300):
        skills = rng.sample(SKILLS, 4)
        episodes.append(_episode(f"k4-{i}", skills, {s for s in skills if rng.random() < 0.7}))
    gap = gap_analysis(episodes, seed=0, resamples=50)
    assert gap is not None and gap.co_failure == []
    assert gap.overall is not None and gap.overall.ci_high is not None and gap.overall.ci_high < 0


def test_poisson_binomial_tail_matches_enumeration() -> None:
    from itertools import product

    from steps_agents.evaluation.cofailure import poisson_binomial_upper_tail

    groups = {0.1: 2, 0.5: 1, 0.8: 2}
    probs = [p for p, n in groups.items() for _ in range(n)]
    for x in range(7):
        direct = sum(
            math.prod(p if o else 1 - p for p, o in zip(probs, outcome, strict=True))
            for outcome in product([0, 1], repeat=len(probs))
            if sum(outcome) >= x
        )
        assert poisson_binomial_upper_tail(x, groups) == pytest.approx(direct, abs=1e-12)


def test_the_html_section_reads_each_row_and_says_what_it_used() -> None:
    from steps_agents.reporting.evaluation_section import evaluation_section

    report = build_report(synthetic(planted=True), run_id="r", agents=["a"])
    body = evaluation_section([report]).body
    assert "Over all 400 k &gt;= 2 tasks (every skill measured alone)." in body
    assert "<td>harder</td>" in body and "s00 + s01" in body


def test_each_agentic_episode_records_the_oracles_feeds(tmp_path: Path) -> None:
    """The co-failure test's cascade rule reads the oracle's data edges from every episode."""
    from helpers_evaluation import calc_tasks, plugin_manager
    from steps_agents.graphs.evaluation import evaluate

    from steps_agents.evaluation import AgentOptions, resolve_agent
    from steps_agents.evaluation.config import EvalConfig

    pm = plugin_manager()
    tasks = calc_tasks()
    _, episodes = evaluate(
        EvalConfig(run_id="feeds", state_dir=tmp_path, agent="random"),
        tasks,
        {"random": resolve_agent("random", AgentOptions(pm=pm, seed=1))},
        pm=pm,
        progress=False,
    )
    feeds = {e.task_id: e.details["feeds"] for e in episodes}
    assert feeds["t1"] == [] and feeds["t2"] == [["add", "mul"]]
    assert feeds["t3"] == [["add", "mul"], ["mul", "put"]]
    assert feeds["t4"] == []  # get reads the key put wrote, but takes no reference to its result


def test_an_agent_that_gives_up_on_whole_tasks_lists_no_pair() -> None:
    """Half the k = 3 tasks fail whole (every skill), the rest independently at 10%: every pair
    co-fails far above q_a q_b, for no reason specific to the pair."""
    rng = random.Random(0)
    episodes = [
        _episode(f"{s}-{i}", [s], set() if rng.random() < 0.9 else {s})
        for s in SKILLS
        for i in range(10)
    ]
    for i in range(1500):
        skills = rng.sample(SKILLS, 3)
        gave_up = rng.random() < 0.5
        failed = set(skills) if gave_up else {s for s in skills if rng.random() < 0.1}
        episodes.append(_episode(f"k3-{i}", skills, failed))
    gap = gap_analysis(episodes, seed=0, resamples=20)
    assert gap is not None and gap.co_failure == []
