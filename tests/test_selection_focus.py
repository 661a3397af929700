"""The focus weights (noisy-OR attribution) and the focus selector's rules."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from helpers_selection import feasible_sets, small_trees, tree_from_parents, weak_skill_report
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents import hookimpl
from steps_agents.cli import main
from steps_agents.errors import InputError
from steps_agents.selection import select_combinations
from steps_agents.selection.focus import FocusWeights, focus_from_report, noisy_or
from steps_agents.taxonomy.artifact import Taxonomy


def test_noisy_or_explains_away_pairs_seen_only_beside_the_failing_one() -> None:
    ab, xy = frozenset("ab"), frozenset("xy")
    trials = [(["a", "b", ab], True)] * 6  # the pair fails everywhere
    trials += [(["a", "x", "y", ab, xy, frozenset("ax")], True)]  # xy only beside ab
    trials += [(["a"], False)] * 5 + [(["b"], False)] * 5 + [(["x"], False), (["y"], False)]
    q = noisy_or(trials)
    assert q[ab] > 0.7
    assert q[xy] < 1e-3 and q["a"] < 1e-3 and q["b"] < 1e-3


def test_noisy_or_gives_an_agent_that_fails_everything_no_focus() -> None:
    trials = [([s, t, frozenset((s, t))], True) for s in "abc" for t in "def"]
    q = noisy_or(trials)
    assert q[None] > 0.99
    assert max(w for c, w in q.items() if c is not None) < 1e-3


def _weights(tax: Taxonomy, a: str, b: str) -> FocusWeights:
    return FocusWeights(agent="t", pairs={frozenset((a, b)): 1.0}, skills={a: 0.2})


def _run(tax: Taxonomy, n: int, k, **options):
    return select_combinations(tax, n=n, k=k, selector="focus", seed=3, options=options)


@settings(max_examples=40, deadline=None)
@given(small_trees(max_nodes=12), st.integers(min_value=2, max_value=4), st.data())
def test_focus_keeps_the_widening_rule_and_strength_zero_is_plain_steps(tax, k, data) -> None:
    skills = sorted(tax.skills)
    k = min(k, len(skills))
    a, b = data.draw(st.permutations(skills))[:2]
    n = 1 if len(skills) < k + 2 else 2
    plain = select_combinations(tax, n=n, k=[k], selector="steps", seed=3)
    zero = _run(tax, n, [k], focus=_weights(tax, a, b), focus_strength=0.0)
    assert [(c.skills, c.seed_skill, c.gain) for c in zero] == [
        (c.skills, c.seed_skill, c.gain) for c in plain
    ]
    total = sum(c.gain for c in plain)
    for strength in (1.0, 5.0):
        focused = _run(tax, n, [k], focus=_weights(tax, a, b), focus_strength=strength)
        for c in focused:
            assert c.key() in feasible_sets(tax, c.seed_skill, k)
        # the gain band holds for every request, however small
        assert abs(sum(c.gain for c in focused) - total) <= 0.08 * total + 1e-9


def test_report_without_episodes_falls_back_to_the_tables(tmp_path: Path) -> None:
    report = {
        "schema": "steps-agents/eval-report@1",
        "agents": [
            {
                "agent": "me",
                "overall": {"n": 20, "pass_rate": 0.5},
                "per_skill": [
                    {"skill": "a", "n": 10, "passed": 0},
                    {"skill": "b", "n": 10, "passed": 10},
                ],
                "per_community": [{"community": "c", "skills": ["a"], "n": 10, "passed": 0}],
                "gap": {"co_failure": [{"skills": ["a", "b"], "excess_low": 0.4}]},
            }
        ],
        "meta": {"episodes_file": str(tmp_path / "gone.jsonl")},
    }
    focus = focus_from_report(report)
    # shrunk rate (10 + 2 * 0.5) / (10 + 2) = 11/12, as a lift over 0.5: (11/12 - 1/2) / (1/2)
    assert focus.skills["a"] == pytest.approx(5 / 6)
    assert focus.skills["b"] == 0.0
    assert focus.pairs == {frozenset("ab"): 0.4}
    assert focus.communities["c"] > 0
    mass_a, mass_b = focus.seed_masses(["a", "b"])
    assert mass_a == pytest.approx(5 / 6 + 0.4 + focus.communities["c"])
    assert mass_b == pytest.approx(0.4)
    with pytest.raises(InputError, match="no agent 'other'"):
        focus_from_report(report, agent="other")


def test_select_cli_focus_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tax = tree_from_parents([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], np.random.default_rng(0))
    tax.save(tmp_path / "t.json")
    weak = sorted(tax.skills)[-1]
    report = weak_skill_report(tmp_path / "r.json", weak)
    base = ["select", "--taxonomy", str(tmp_path / "t.json"), "-n", "6", "--k", "2-3"]

    def run(*extra: str) -> list[dict]:
        out = tmp_path / "c.jsonl"
        assert main([*base, "-o", str(out), "--no-progress", *extra]) == 0
        return [json.loads(line) for line in out.read_text().splitlines()]

    plain = run()
    zero = run("--focus", str(report), "--focus-strength", "0")
    assert [{**c, "selector": "steps"} for c in zero] == plain
    focused = run("--focus", str(report), "--focus-strength", "4")
    assert {c["selector"] for c in focused} == {"focus"}
    assert sum(weak in c["skills"] for c in focused) > sum(weak in c["skills"] for c in plain)
    new = sum(weak in c["skills"] for c in focused)  # what it targeted, as steps loop says it
    err = capsys.readouterr().err
    assert "targets, heaviest first" in err and f"skills: {weak} (weight " in err
    assert f"failed 0/0, new {new})" in err  # the report has per-skill rows, no episodes
    assert main([*base, "--focus", str(tmp_path / "none.json")]) == 2
    assert main([*base, "--focus", str(report), "--selector", "random"]) == 2
    assert main([*base, "--focus-strength", "1"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {tmp_path / 'none.json'}: no such evaluation report",
        "error: --focus: --focus uses the focus selector; drop --selector random",
        "error: --focus-strength/--focus-agent: needs --focus REPORT.json",
    ]


def test_relative_focus_report_in_steps_toml_is_read_beside_the_file(tmp_path: Path) -> None:
    from steps_agents.synthesis.config import build_config

    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "steps.toml").write_text(
        '[synth]\nselector = "focus"\nselector_options = { focus = "runs/report.json" }\n'
        'taxonomy = "t.json"\n',
        encoding="utf-8",
    )
    config = build_config(conf / "steps.toml")
    assert config.selector_options["focus"] == str(conf / "runs" / "report.json")
    absolute = str(tmp_path / "elsewhere.json")
    config = build_config(conf / "steps.toml", {"selector_options": {"focus": absolute}})
    assert config.selector_options["focus"] == absolute  # a flag's path is the caller's


@pytest.fixture(scope="module")
def world_taxonomy(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    from helpers_focus import build_world_taxonomy

    from steps_agents.taxonomy.artifact import load_taxonomy

    return load_taxonomy(build_world_taxonomy(tmp_path_factory.mktemp("world")))


def test_focus_bounds_over_sampled_pairs_of_the_quickstart_world(world_taxonomy: Taxonomy) -> None:
    """Issue 14's bar at selection level (the composer's first-wave requests, n = 140, k = 1..7),
    for a seeded sample of pairs within and across top-level communities: the pair in at least
    5x the sets plain ``steps`` gives it (at least 5 sets when plain has none), mean gain within
    10%. A pair plain already puts in 10% of its sets or more is left out of the multiple: 5x
    would take more sets than the k plan has that can hold it at that gain (benchmarks/focus.py)."""
    from helpers_focus import first_wave, holding, mean_gain

    tax = world_taxonomy
    skills = sorted(tax.skills)
    rng = np.random.default_rng(14)
    plain = first_wave(tax, 140, 0)
    tops = {tax.path(s)[1] for s in skills}
    checked = {"within": 0, "across": 0}
    for _ in range(10):
        a, b = (skills[i] for i in rng.choice(len(skills), size=2, replace=False))
        weights = FocusWeights(agent="t", pairs={frozenset((a, b)): 0.9})
        focus = first_wave(tax, 140, 0, selector="focus", options={"focus": weights})
        before, after = holding(plain, (a, b)), holding(focus, (a, b))
        assert abs(mean_gain(focus) / mean_gain(plain) - 1) <= 0.10, (a, b)
        if before < 14:
            assert after >= max(5, 5 * before), (a, b, before, after)
        checked["within" if tax.path(a)[1] == tax.path(b)[1] else "across"] += 1
    assert len(tops) > 1 and min(checked.values()) >= 2


class _Refuser:
    """A skill world that composes every set except those holding ``refused``."""

    name, version = "refuser", "1"

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.asked: list[frozenset[str]] = []

    def compose(self, skills: list[str], seed: int) -> object | None:
        self.asked.append(frozenset(skills))
        return None if self.refused in skills else object()


class _RefuserPlugin:
    def __init__(self, world: _Refuser) -> None:
        self.world = world

    @hookimpl
    def register_skill_worlds(self, register) -> None:
        register(self.world, name="refuser")


def test_focus_swaps_in_only_sets_the_reports_world_composes(world_taxonomy: Taxonomy) -> None:
    """A swap the world cannot compose is dropped for the next closest candidate (the synthesis
    would drop the set and, at k = 6 or 7, close the k): the k plan, the gain band and the
    targeting hold with the check, and no swapped-in set holds the refused skill."""
    from steps_agents import plugin_manager
    from steps_agents.selection.composable import forget_verdicts

    tax = world_taxonomy
    pair = frozenset(("fs_list_files", "fs_read_file"))
    kw = {"n": 28, "k": range(1, 8), "seed": 0}
    plain = select_combinations(tax, **kw)
    plain_keys = {c.key() for c in plain}
    open_ = FocusWeights(agent="t", pairs={pair: 0.9})
    unvetted = select_combinations(tax, **kw, selector="focus", options={"focus": open_})
    swapped = [c for c in unvetted if c.key() not in plain_keys]
    refused = Counter(s for c in swapped for s in c.skills if s not in pair).most_common(1)[0][0]
    world = _Refuser(refused)
    saved = plugin_manager._DEFAULT
    plugin_manager._DEFAULT = plugin_manager.get_plugin_manager(
        load_entrypoints=False, extra_plugins=(_RefuserPlugin(world),)
    )
    forget_verdicts()
    try:
        weights = FocusWeights(agent="t", pairs={pair: 0.9}, worlds=["refuser"])
        vetted = select_combinations(tax, **kw, selector="focus", options={"focus": weights})
        off = select_combinations(
            tax, **kw, selector="focus", options={"focus": weights, "focus_world": "none"}
        )
    finally:
        plugin_manager._DEFAULT = saved
        forget_verdicts()
    assert [c.skills for c in off] == [c.skills for c in unvetted]
    new = [c for c in vetted if c.key() not in plain_keys]
    assert new and world.asked
    assert all(refused not in c.skills for c in new)
    assert [c.k for c in vetted] == [c.k for c in plain]
    gain = sum(c.gain for c in plain)
    assert abs(sum(c.gain for c in vetted) - gain) <= 0.08 * gain + 1e-9
    assert sum(pair <= c.key() for c in vetted) > sum(pair <= c.key() for c in plain)


def test_the_reports_worlds_are_read_for_the_check() -> None:
    report = {
        "schema": "steps-agents/eval-report@1",
        "agents": [{"agent": "me", "overall": {"n": 1, "pass_rate": 1.0}}],
        "meta": {"worlds": {"toolworld": "1.0"}},
    }
    assert focus_from_report(report).worlds == ["toolworld"]
    with pytest.raises(InputError, match="focus_world"):
        select_combinations(
            tree_from_parents([0, 0, 1, 1], np.random.default_rng(0)),
            n=1,
            k=[2],
            selector="focus",
            options={"focus": FocusWeights(agent="t", skills={"s2": 1.0}), "focus_world": 3},
        )


def test_rival_readings_of_one_failure_are_joined(world_taxonomy: Taxonomy) -> None:
    """Tied pairs and skills sharing a skill are one failure read three ways (the report cannot
    tell them apart): their union is swapped in first. Tied targets with no skill in common
    stay apart, and a pair tied with its own skill is its own union."""
    from steps_agents.selection.focused import Target, _explanations, _joint
    from steps_agents.selection.index import tree_index

    ix = tree_index(world_taxonomy)

    def target(*names: str) -> Target:
        leaves = tuple(ix.leaf_of[x] for x in names)
        return Target(" + ".join(names), 0.4, frozenset(leaves), frozenset(), leaves)

    ge_rs = target("calendar_get_event", "calendar_reschedule")
    rs = target("calendar_reschedule")
    rs_wd = target("calendar_reschedule", "dates_weekday")
    other = target("fs_list_files", "fs_read_file")
    groups = _explanations([ge_rs, rs, other, rs_wd])
    assert sorted(len(g) for g in groups) == [1, 3]
    rivals = next(g for g in groups if len(g) == 3)
    joint = _joint(ix, rivals, 7)
    assert joint is not None
    assert joint.label == "calendar_get_event + calendar_reschedule + dates_weekday"
    assert all(t.holds(joint.required) for t in rivals)
    assert _joint(ix, rivals, 2) is None  # the union does not fit a 2-set
    assert _joint(ix, [ge_rs, rs], 7) is ge_rs
    assert _joint(ix, [other], 7) is None


def test_run_band_spans_the_run_and_depends_only_on_what_it_chose(
    world_taxonomy: Taxonomy,
) -> None:
    """``focus_band = "run"`` (what ``steps synth`` sets): requests of two sets, each excluding
    the sets already chosen, as the synthesis asks. The band then holds over the run instead of
    over each two-set request, so the failed pair gets more sets (here 5x is not possible: it
    would take 65 of the 84 sets of size 3 to 7, and strength 3 gives a lone failure three in
    four); the mean gain at each k stays within 8% of plain's; and the answer is a function of the sets chosen so far (a resumed run,
    which replays them, gets the same)."""
    from helpers_focus import first_wave, holding, mean_gain

    tax = world_taxonomy
    pair = ("calendar_get_event", "calendar_reschedule")
    weights = FocusWeights(agent="t", pairs={frozenset(pair): 0.9}, worlds=[])
    plain = first_wave(tax, 140, 0, 2)

    def focused(scope: str) -> list[dict]:
        options = {"focus": weights, "focus_band": scope}
        return first_wave(tax, 140, 0, 2, selector="focus", options=options)

    per_request, run = focused("request"), focused("run")
    assert holding(run, pair) > holding(per_request, pair) >= holding(plain, pair)
    assert holding(run, pair) >= 4 * holding(plain, pair)
    for k in range(1, 8):  # the band holds at every k, so at any k mix the synthesis keeps
        at_k = [r for r in run if len(r["skills"]) == k]
        plain_k = [r for r in plain if len(r["skills"]) == k]
        assert abs(mean_gain(at_k) / mean_gain(plain_k) - 1) <= 0.08 + 1e-9, k
    assert focused("run") == run
    with pytest.raises(InputError, match="focus_band"):
        first_wave(tax, 10, 0, 2, selector="focus", options={"focus": weights, "focus_band": "x"})


def test_sets_kept_out_of_a_run_are_neither_chosen_nor_counted_as_its_own(
    world_taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``steps synth --exclude`` (``outside_run``): the evaluated tasks or a split's test side.
    No such set comes back, and the run band balances only the sets the run itself chose."""
    from helpers_focus import first_wave, mean_gain

    from steps_agents.selection import focused as focused_module

    tax = world_taxonomy
    pair = ("calendar_get_event", "calendar_reschedule")
    weights = FocusWeights(agent="t", pairs={frozenset(pair): 0.9}, worlds=[])
    outside = {frozenset(r["skills"]) for r in first_wave(tax, 40, 5)}
    seen: list[frozenset[frozenset[str]]] = []
    balance = focused_module._run_balance

    def spy(ix, exclude, targets, plain):  # type: ignore[no-untyped-def]
        seen.append(exclude)
        return balance(ix, exclude, targets, plain)

    monkeypatch.setattr(focused_module, "_run_balance", spy)
    options = {"focus": weights, "focus_band": "run"}
    run = first_wave(tax, 70, 0, 2, selector="focus", options=options, outside_run=outside)
    plain = first_wave(tax, 70, 0, 2, outside_run=outside)
    assert not {frozenset(r["skills"]) for r in run + plain} & outside
    assert seen and not any(exclude & outside for exclude in seen)
    for k in range(1, 8):
        at_k = [r for r in run if len(r["skills"]) == k]
        plain_k = [r for r in plain if len(r["skills"]) == k]
        assert abs(mean_gain(at_k) / mean_gain(plain_k) - 1) <= 0.08 + 1e-9, k


def test_a_target_k_closes_by_the_planners_rule_on_a_fixed_sample() -> None:
    """``rarely_composes``: checked in a fixed random order, the sets close at the first point
    where the rate's 95% upper bound drops below 10% after 20 checks (none of 25 composed), stay
    open once two composed (the bound cannot get there within 44 checks), and are never closed
    with fewer than 20 candidates. The answer and the checks made depend only on the
    candidates, the verdicts and the seed."""
    from steps_agents.selection.focused import COMPOSE_SAMPLE, rarely_composes

    def run(candidates: list[tuple[str, ...]], composes: set[tuple[str, ...]]) -> tuple:
        asked: list[tuple[str, ...]] = []

        def check(skills: tuple[str, ...]) -> bool:
            asked.append(tuple(skills))
            return tuple(skills) in composes

        return rarely_composes(check, candidates, (3, 100, 7)), asked

    sets = [(f"s{i}", f"t{i}") for i in range(100)]
    closed, asked = run(sets, set())
    assert closed and len(asked) == 25 and len(set(asked)) == 25
    assert run(sets, set()) == (closed, asked)  # the same order every time
    some = set(asked[:2])  # the first two checked compose
    closed, asked = run(sets, some)
    assert not closed and len(asked) == 2
    one = {asked[0]}
    closed, asked = run(sets, one)
    assert closed and len(asked) == 42 <= COMPOSE_SAMPLE
    closed, asked = run(sets[:19], set())
    assert not closed and asked == []
    rng = np.random.default_rng(0)
    for _ in range(50):  # random compose rates: open whenever two of the sample composed
        composes = {s for s in sets if rng.random() < rng.random()}
        closed, asked = run(sets, composes)
        got = sum(s in composes for s in asked)
        assert len(asked) <= COMPOSE_SAMPLE and (closed == (got <= 1))


def test_select_focus_defaults_to_the_k_range_the_agent_was_evaluated_at(tmp_path: Path) -> None:
    tax = tree_from_parents([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], np.random.default_rng(0))
    tax.save(tmp_path / "t.json")
    report = json.loads(weak_skill_report(tmp_path / "r.json", sorted(tax.skills)[-1]).read_text())
    report["agents"][0]["per_k"] = [{"k": 1, "n": 4}, {"k": 3, "n": 4}]
    (tmp_path / "r.json").write_text(json.dumps(report))
    out = tmp_path / "c.jsonl"
    argv = ["select", "--taxonomy", str(tmp_path / "t.json"), "-n", "6", "--no-progress"]
    assert main([*argv, "--focus", str(tmp_path / "r.json"), "-o", str(out)]) == 0
    assert {json.loads(line)["k"] for line in out.read_text().splitlines()} == {1, 2, 3}
    assert main([*argv, "-o", str(out)]) == 0  # no report: the usual 2-7
    assert {json.loads(line)["k"] for line in out.read_text().splitlines()} <= set(range(2, 8))


def test_failures_that_follow_k_are_not_blamed_on_the_skills_of_large_tasks(
    tmp_path: Path,
) -> None:
    """Most agents fail more as k grows, whatever the skills. An agent that fails every task of
    k >= 3 and one skill wherever it appears: that skill is the target; the skills and the
    region that large tasks hold more often are not (a leak per k takes the size)."""
    rng = np.random.default_rng(0)
    small, big = [f"s{i}" for i in range(6)], [f"b{i}" for i in range(6)]
    episodes = []
    for _ in range(300):
        k = int(rng.integers(1, 6))
        pool = small if k <= 2 else small + big * 3  # the b skills sit mostly in large tasks
        skills = sorted({str(s) for s in rng.choice(pool, size=k)})
        failed = len(skills) >= 3 or "s0" in skills
        episodes.append({"agent": "a", "skills": skills, "passed": not failed})
    path = tmp_path / "episodes.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in episodes))
    region = {"community": "big", "n": 1, "passed": 0, "skills": big}
    report = {
        "schema": "steps-agents/eval-report@1",
        "agents": [
            {"agent": "a", "overall": {"n": 300, "pass_rate": 0.5}, "per_community": [region]}
        ],
        "meta": {"episodes_file": str(path)},
    }
    focus = focus_from_report(report)
    assert focus.skills["s0"] > 0.5
    assert max((w for s, w in focus.skills.items() if s != "s0"), default=0.0) < 0.05
    assert max(focus.pairs.values(), default=0.0) < 0.05
    assert focus.communities["big"] < 0.05
