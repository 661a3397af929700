"""``steps synth --exclude FILE`` / ``[synth] exclude``: skill sets a run never chooses.

What it is for: more training data that holds none of a split's test combinations, and the
next batch of ``steps loop``, which must not be the tasks just evaluated. On the bundled
toolworld (agentic mode, no model).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers_selection import weak_skill_report
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.cli import main
from steps_agents.plugin_manager import default_plugin_manager
from steps_agents.synthesis.config import SynthConfig

PM = default_plugin_manager()


@pytest.fixture
def taxonomy(toolworld_taxonomy: Any) -> Any:
    return toolworld_taxonomy


def _run(out: Path, taxonomy: Any, **fields: Any) -> Any:
    config = SynthConfig(
        n=24, k="1-4", mode="agentic", mode_options={"world": "toolworld"}, output=out, **fields
    )
    return run_synthesis(config, pm=PM, taxonomy=taxonomy, progress=False)


def _sets(path: Path) -> list[frozenset[str]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [frozenset(r["metadata"]["skills"]) for r in rows]


def test_a_run_never_chooses_an_excluded_set(tmp_path: Path, taxonomy: Any) -> None:
    first = tmp_path / "first.jsonl"
    _run(first, taxonomy, run_id="first", singles=True)
    # The same seed would choose the same sets again: every one of them is excluded.
    report = _run(tmp_path / "second.jsonl", taxonomy, run_id="second", exclude=first, singles=True)
    second = _sets(tmp_path / "second.jsonl")
    assert report.stop_reason == "target reached"
    assert len(second) >= 24
    assert not set(second) & set(_sets(first))
    # a skill whose k = 1 task the first run wrote gets no new single; the report says why
    assert report.singles is not None
    assert report.singles["not_alone_reasons"].get("excluded", 0) >= 1


def test_the_exclude_file_is_read_before_anything_is_written(
    tmp_path: Path, taxonomy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "test.jsonl"
    bad.write_text('{"schema": "steps-agents/task@1", "skills": ["a"]}\n{"skills": 3}\n')
    out = tmp_path / "out.jsonl"
    argv = ["synth", "--mode", "agentic", "--world", "toolworld", "-n", "4", "-o", str(out)]
    taxonomy.save(tmp_path / "t.json")
    argv += ["--taxonomy", str(tmp_path / "t.json"), "--exclude", str(bad)]
    assert main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]  # after the run's banner
    assert error.startswith("error: ") and f"{bad}:2" in error and "skills" in error
    assert not out.exists()


def test_an_exclude_file_of_another_world_is_refused(tmp_path: Path, taxonomy: Any) -> None:
    """A file whose skills the taxonomy does not know would exclude nothing, silently."""
    from steps_agents.errors import InputError

    other = tmp_path / "other.jsonl"
    other.write_text('{"schema": "steps-agents/task@1", "skills": ["sql", "python"]}\n')
    with pytest.raises(InputError, match="none of its skills is in the taxonomy"):
        _run(tmp_path / "out.jsonl", taxonomy, run_id="other", exclude=other)
    assert not (tmp_path / "out.jsonl").exists()


def test_synth_focus_prints_its_targets_at_the_reports_k(
    tmp_path: Path, taxonomy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``steps synth --focus``: without --k, the k range the report's agent was evaluated at;
    after the run report, what it targeted and how many samples hold each target."""
    weak = "fs_read_file"
    per_k = [{"k": 2, "n": 5}, {"k": 3, "n": 5}]
    weak_skill_report(tmp_path / "report.json", weak, per_k=per_k)
    taxonomy.save(tmp_path / "t.json")
    out = tmp_path / "out.jsonl"
    argv = ["synth", "--mode", "agentic", "--corpus", "toolworld", "--taxonomy"]
    argv += [
        str(tmp_path / "t.json"),
        "-n",
        "6",
        "-o",
        str(out),
        "--focus",
        str(tmp_path / "report.json"),
    ]
    assert main(argv) == 0
    samples = _sets(out)
    assert {len(s) for s in samples} == {2, 3}
    printed = capsys.readouterr().out
    held = sum(weak in s for s in samples)
    assert "targets, heaviest first" in printed and f"skills: {weak} (weight " in printed
    assert f"new {held})" in printed and held >= 1
