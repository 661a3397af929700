"""``[synth] singles``: a k = 1 task for every skill the batch's k >= 2 tasks use.

On the bundled toolworld (agentic mode, no model): the guarantee (every skill used at k >= 2
has an accepted k = 1 sample, or the report lists it), singles on top of n (even when ``k``
has no 1), a skill the mode cannot compose alone tried once and listed, and a run that crashes
mid-batch or mid-singles and is resumed writing exactly the file of an uninterrupted run; a
rejected k = 1 item never judged twice; the singles decision on counters alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.plugin_manager import default_plugin_manager
from steps_agents.records import Combination, Verdict
from steps_agents.registry import get_synthesis_mode
from steps_agents.synthesis import pipeline
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.counters import merge_stats
from steps_agents.synthesis.modes import Uncomposable
from steps_agents.synthesis.records import RunReport

N = 10
PM = default_plugin_manager()


@pytest.fixture
def taxonomy(toolworld_taxonomy: Any) -> Any:
    return toolworld_taxonomy


def _run(out: Path, taxonomy: Any, k: str = "2-3") -> RunReport:
    config = SynthConfig(
        n=N,
        k=k,
        mode="agentic",
        mode_options={"world": "toolworld"},
        output=out,
        run_id="singles",
        singles=True,
    )
    return run_synthesis(config, pm=PM, taxonomy=taxonomy, progress=False)


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _skills(rows: list[dict[str, Any]], *, alone: bool) -> set[str]:
    return {s for r in rows for s in r["metadata"]["skills"] if (r["metadata"]["k"] == 1) == alone}


def test_every_skill_used_at_k_2_or_more_has_a_k1_task_or_is_listed(
    tmp_path: Path, taxonomy: Any
) -> None:
    report = _run(tmp_path / "out.jsonl", taxonomy)
    rows = _rows(tmp_path / "out.jsonl")
    assert report.stop_reason == "target reached"
    assert report.singles is not None
    singles = [r for r in rows if r["metadata"]["selector"] == "singles"]
    # On top of n, and k = 1 although the run asks for k = 2-3 only.
    assert len(rows) - len(singles) == N
    assert len(singles) == report.singles["added"] > 0
    assert {r["metadata"]["k"] for r in singles} == {1}
    missing = _skills(rows, alone=False) - _skills(rows, alone=True)
    assert missing == set(report.singles["unmeasured"])
    listed = set(report.singles["not_alone"]) | set(report.singles["rejected"])
    assert missing <= listed
    assert "singles:" in report.text()


def test_a_skill_that_cannot_be_composed_alone_is_tried_once_and_listed(
    tmp_path: Path, taxonomy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mode = type(get_synthesis_mode("agentic", PM))
    compose = mode.compose
    tried: list[str] = []

    def refuse_fs_alone(self: Any, combination: Combination, ctx: Any) -> Any:
        if combination.k == 1 and combination.skills[0].startswith("fs_"):
            tried.append(combination.skills[0])
            return Uncomposable(skills=combination.skills, reason="test: not alone", tag="alone")
        return compose(self, combination, ctx)

    monkeypatch.setattr(mode, "compose", refuse_fs_alone)
    report = _run(tmp_path / "out.jsonl", taxonomy, k="2-4")
    assert report.stop_reason == "target reached"
    rows = _rows(tmp_path / "out.jsonl")
    fs_combined = {s for s in _skills(rows, alone=False) if s.startswith("fs_")}
    assert fs_combined, "the batch should use a fs_ skill at k >= 2"
    assert report.singles is not None
    assert set(report.singles["not_alone"]) == fs_combined
    assert report.singles["not_alone_reasons"] == {"alone": len(fs_combined)}
    assert sorted(tried) == sorted(fs_combined)  # each tried once, never again
    unmeasured = set(report.singles["unmeasured"])
    assert unmeasured - fs_combined <= set(report.singles["rejected"])  # the others: rejected


@pytest.mark.parametrize("crash_at", [N // 2, N + 8])  # in the batch; in the singles wave
def test_a_crashed_run_resumes_to_the_samples_of_an_uninterrupted_one(
    tmp_path: Path, taxonomy: Any, monkeypatch: pytest.MonkeyPatch, crash_at: int
) -> None:
    monkeypatch.setattr(pipeline, "SLICE_SECONDS", 0.0)  # a checkpoint after every wave
    reference = _run(tmp_path / "ref" / "out.jsonl", taxonomy)

    commit = pipeline.commit
    commits = [0]

    async def crashing_commit(*args: Any, **kwargs: Any) -> Any:
        commits[0] += 1
        if commits[0] > crash_at:
            raise RuntimeError("crash")
        return await commit(*args, **kwargs)

    out = tmp_path / "run" / "out.jsonl"
    monkeypatch.setattr(pipeline, "commit", crashing_commit)
    with pytest.raises(RuntimeError, match="crash"):
        _run(out, taxonomy)
    written = out.read_bytes()
    singles_before = sum(r["metadata"]["selector"] == "singles" for r in _rows(out))
    assert reference.singles is not None
    if crash_at > N:  # the crash lands inside the singles wave
        assert 0 < singles_before < reference.singles["added"]
    else:
        assert singles_before == 0
    monkeypatch.setattr(pipeline, "commit", commit)
    resumed = _run(out, taxonomy)

    assert out.read_bytes().startswith(written)
    ref_rows = _rows(tmp_path / "ref" / "out.jsonl")
    assert [r["id"] for r in _rows(out)] == [r["id"] for r in ref_rows]
    assert resumed.singles == reference.singles
    assert resumed.accepted == reference.accepted == N + reference.singles["added"]


def test_a_rejected_k1_task_is_not_retried_and_its_skill_is_listed(
    tmp_path: Path, taxonomy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every k = 1 item of a text_ or contacts_ skill fails the mode's check: those the batch
    rejected get no single (the same skill composes the same item), those rejected as singles
    are listed as such; no skill's k = 1 item is judged twice."""
    mode = type(get_synthesis_mode("agentic", PM))
    check = mode.check
    judged: list[str] = []

    def fail_alone(self: Any, item: Any, draft: Any, ctx: Any) -> list[Verdict]:
        if item.k == 1 and item.skills[0].startswith(("text_", "contacts_")):
            judged.append(item.skills[0])
            details = {"revisable": False}
            return [Verdict(judge="agentic", passed=False, reason="test", details=details)]
        return check(self, item, draft, ctx)

    monkeypatch.setattr(mode, "check", fail_alone)
    report = _run(tmp_path / "out.jsonl", taxonomy, k="1-4")
    assert report.stop_reason == "target reached"
    assert report.singles is not None
    rows = _rows(tmp_path / "out.jsonl")
    failing = {s for s in _skills(rows, alone=False) if s.startswith(("text_", "contacts_"))}
    assert failing, "the batch should use a text_ or contacts_ skill at k >= 2"
    assert set(report.singles["unmeasured"]) == failing
    listed = set(report.singles["rejected"]) | set(report.singles["not_alone"])
    assert listed == failing
    assert len(judged) == len(set(judged))  # no k = 1 item judged twice


def test_singles_are_decided_from_the_counters_alone() -> None:
    """``compose_singles`` on counters: sorted skill order, a skill covered alone skipped, one
    whose k = 1 item was rejected listed without a try, one the mode refuses listed."""
    from types import SimpleNamespace

    from steps_agents.synthesis import singles
    from steps_agents.synthesis.modes import WorkItem

    tried: list[str] = []

    def compose(combination: Combination, _ctx: Any) -> WorkItem | Uncomposable:
        tried.append(combination.skills[0])
        if combination.skills[0] == "d":
            return Uncomposable(skills=combination.skills, reason="no plan", tag="no plan")
        return WorkItem(id=combination.skills[0], mode="m", combination=combination)

    logged: list[str] = []
    ctx: Any = SimpleNamespace(
        taxonomy=None,
        exclude=set(),
        outside_run=frozenset(),
        items={},
        config=SimpleNamespace(n=7),
        mode=SimpleNamespace(compose=compose),
        mode_ctx=None,
        writer=SimpleNamespace(log_uncomposable=lambda r, **_: logged.append(r.skills[0])),
    )
    stats = {
        "singles": {
            "combined": {"e": 1, "a": 2, "b": 1, "c": 1, "d": 1},
            "alone": {"a": 1},
            "alone_rejected": {"b": 1},
        }
    }
    items, update = singles.compose_singles(ctx, stats, wave=3)
    assert [i["id"] for i in items] == ["c", "e"]
    assert tried == ["c", "d", "e"] and logged == ["d"]
    block = update["stats"]["singles"]
    assert block["planned"] == 2 and block["decided"] == {"7": 1}
    assert block["not_alone"] == {"b": 1, "d": 1}
    assert block["not_alone_reasons"] == {"k = 1 task rejected": 1, "no plan": 1}
    assert update["stats"]["by_k"] == {"1": {"planned": 2, "composed": 2}}
    assert singles.allowance(merge_stats(stats, update["stats"])) == 2
    after = merge_stats(stats, update["stats"])
    assert not singles.due(after, 7) and singles.due(after, 9)
    # A finished run asked for more: only the new skill is tried, the listed ones are not.
    ctx.config.n = 9
    after = merge_stats(after, {"singles": {"alone": {"c": 1, "e": 1}, "combined": {"f": 1}}})
    items, update = singles.compose_singles(ctx, after, wave=5)
    assert [i["id"] for i in items] == ["f"] and tried[3:] == ["f"]
    assert "not_alone" not in update["stats"]["singles"]
