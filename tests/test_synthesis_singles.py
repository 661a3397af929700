"""``[synth] singles``: a k = 1 task for every skill the batch's k >= 2 tasks use.

On the bundled toolworld (agentic mode, no model): the guarantee (every skill used at k >= 2
has an accepted k = 1 sample, or the report lists it), singles on top of n (even when ``k``
has no 1), a skill the mode cannot compose alone tried once and listed, and a run that crashes
mid-batch or mid-singles and is resumed writing exactly the file of an uninterrupted run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.plugin_manager import default_plugin_manager
from steps_agents.records import Combination
from steps_agents.registry import get_skill_world, get_synthesis_mode
from steps_agents.synthesis import pipeline
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.modes import Uncomposable
from steps_agents.synthesis.records import RunReport

N = 10
PM = default_plugin_manager()


@pytest.fixture(scope="module")
def taxonomy() -> Any:
    from steps_agents.corpus.cooccurrence import build_skill_graph, count_corpus
    from steps_agents.taxonomy.builder import build_taxonomy

    corpus = str(get_skill_world("toolworld", PM).corpus)
    counts = count_corpus(corpus, "tool_calls", progress=False, pm=PM)
    graph = build_skill_graph(counts, weighting="steps", source=corpus)
    return build_taxonomy(graph, height=3, seed=0, params={"extractor": "tool_calls"})


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
