"""From evaluation back to data, end to end on the quickstart's world.

A test agent fails every task holding two given skills (and nothing else). ``steps synth
--focus`` on its report must put that pair into at least 5 times as many combinations as plain
``steps`` for the same n and seed, with the mean gain per combination within 10%.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_focus import PairFailingPlugin

from steps_agents import plugin_manager
from steps_agents.cli import main

PAIR = ("fs_list_files", "fs_read_file")
N = 140


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    out = tmp_path_factory.mktemp("focus")
    saved = plugin_manager._DEFAULT
    plugin_manager._DEFAULT = plugin_manager.get_plugin_manager(
        load_entrypoints=False, extra_plugins=(PairFailingPlugin(PAIR),)
    )
    try:
        qs = out / "qs"
        assert main(["quickstart", "-o", str(qs)]) == 0
        report = out / "report.json"
        argv = ["eval", str(qs / "tasks.jsonl"), "--agent", "fails-pair", "-o", str(report)]
        argv += ["--taxonomy", str(qs / "taxonomy.json"), "--state-dir", str(out / "eval")]
        assert main([*argv, "--no-progress"]) == 0
        yield {"dir": out, "qs": qs, "report": report}
    finally:
        plugin_manager._DEFAULT = saved


def _synth(world: dict[str, Path], name: str, *extra: str) -> list[dict]:
    from steps_agents.registry import get_skill_world

    corpus = get_skill_world("toolworld", plugin_manager.default_plugin_manager()).corpus
    out = world["dir"] / f"{name}.jsonl"
    argv = ["synth", "--taxonomy", str(world["qs"] / "taxonomy.json"), "--corpus", str(corpus)]
    argv += ["--extractor", "tool_calls", "--mode", "agentic", "-n", str(N), "--k", "1-7"]
    argv += ["--seed", "0", "-o", str(out), "--run-id", name, "--json", *extra]
    assert main(argv) == 0
    return [json.loads(line)["metadata"] for line in out.read_text().splitlines()]


@pytest.mark.slow
def test_focus_targets_the_failed_pair_at_the_same_gain(world: dict[str, Path]) -> None:
    plain = _synth(world, "plain")
    focus = _synth(world, "focus", "--focus", str(world["report"]))
    assert len(plain) == len(focus) == N

    def holding(rows: list[dict]) -> int:
        return sum(set(PAIR) <= set(r["skills"]) for r in rows)

    def mean_gain(rows: list[dict]) -> float:
        return sum(r["gain"] for r in rows) / len(rows)

    assert holding(plain) >= 1
    assert holding(focus) >= 5 * holding(plain)
    assert abs(mean_gain(focus) / mean_gain(plain) - 1) <= 0.10
    assert all(r["selector"] == "focus" for r in focus)


@pytest.mark.slow
def test_loop_evaluates_then_synthesises_the_next_batch(
    world: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = world["dir"] / "loop"
    argv = ["loop", str(world["qs"] / "tasks.jsonl"), "--agent", "fails-pair", "-n", "14"]
    argv += ["--taxonomy", str(world["qs"] / "taxonomy.json"), "-o", str(out), "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["new_tasks"] == 14
    top_pair = summary["targets"]["pairs"][0]
    assert top_pair["target"] == " + ".join(sorted(PAIR)) and top_pair["new"] >= 5
    assert (out / "report.json").is_file() and (out / "tasks.jsonl").is_file()
    tasks = [json.loads(line) for line in (out / "tasks.jsonl").read_text().splitlines()]
    assert len(tasks) == 14 and all(t["schema"] == "steps-agents/task@1" for t in tasks)
