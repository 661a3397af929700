"""Version markers: the helper, and that each marked file is written with and checked for its marker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_evaluation import calc_tasks, plugin_manager

from steps_agents.errors import InputError
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.report import build_report, load_report, write_report
from steps_agents.evaluation.store import EpisodeStore
from steps_agents.fileformats import (
    COMBINATION_SCHEMA,
    EPISODE_SCHEMA,
    TASK_SCHEMA,
    check_schema,
    split_schema,
    stamped_json,
)
from steps_agents.worlds import load_tasks, write_tasks


def test_split_and_check_schema() -> None:
    assert split_schema("steps-agents/task@12") == ("steps-agents/task", 12)
    assert split_schema("task") is None and split_schema("a@b") is None
    check_schema("steps-agents/task@1", TASK_SCHEMA, location="f")
    check_schema(None, TASK_SCHEMA, location="f", missing_ok=True)
    cases = {
        "steps-agents/task@2": "newer than this steps-agents reads",
        "steps-agents/task@0": "older than this steps-agents reads",
        "steps-agents/episode@1": "expected 'steps-agents/task@1'",
        None: "no 'schema' field",
    }
    for found, expected in cases.items():
        with pytest.raises(InputError, match=expected) as info:
            check_schema(found, TASK_SCHEMA, location="f.jsonl:3")
        assert str(info.value).startswith("f.jsonl:3: ") and "\n" not in str(info.value)


def test_stamped_json_puts_the_marker_first() -> None:
    assert stamped_json("x@1", '{"a": 1}') == '{"schema":"x@1","a": 1}'
    assert stamped_json("x@1", "{}") == '{"schema":"x@1"}'
    assert json.loads(stamped_json("x@1", '{"a":[1,{"b":2}]}')) == {
        "schema": "x@1",
        "a": [1, {"b": 2}],
    }
    with pytest.raises(ValueError):
        stamped_json("x@1", "[1]")


def test_task_file_marker_legacy_and_newer(tmp_path: Path) -> None:
    pm = plugin_manager()
    tasks = calc_tasks()
    path = tmp_path / "tasks.jsonl"
    write_tasks(path, tasks)
    lines = path.read_text().splitlines()
    assert all(next(iter(json.loads(line))) == "schema" for line in lines)
    assert all(json.loads(line)["schema"] == TASK_SCHEMA for line in lines)
    assert load_tasks(path, pm) == tasks
    plain = tmp_path / "plain.txt"
    plain.write_text("")
    # Same permissions as any file written with open() (mkstemp's 0600 would survive the rename).
    assert path.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    legacy = tmp_path / "legacy.jsonl"
    legacy.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    assert load_tasks(legacy, pm) == tasks
    newer = tmp_path / "newer.jsonl"
    newer.write_text(lines[0] + "\n" + lines[1].replace("task@1", "task@2") + "\n")
    with pytest.raises(InputError, match=rf"{newer}:2: .*upgrade steps-agents"):
        load_tasks(newer, pm)


def _episode(run_id: str = "R") -> EpisodeResult:
    return EpisodeResult(run_id=run_id, agent="a", task_id="t", k=1, skills=["s"], passed=True)


def test_episode_lines_carry_the_marker(tmp_path: Path) -> None:
    path = tmp_path / "R.episodes.jsonl"
    store = EpisodeStore(path, "R")
    store.append(_episode())
    store.close()
    assert json.loads(path.read_text())["schema"] == EPISODE_SCHEMA
    assert list(EpisodeStore(path, "R").results.values()) == [_episode()]
    path.write_text(_episode().model_dump_json() + "\n")  # written before the marker existed
    assert len(EpisodeStore(path, "R")) == 1
    path.write_text(stamped_json("steps-agents/episode@9", _episode().model_dump_json()) + "\n")
    with pytest.raises(InputError, match="episode@9"):
        EpisodeStore(path, "R")


def test_load_report_checks_the_schema(tmp_path: Path) -> None:
    report = build_report([_episode()], run_id="R")
    path = tmp_path / "report.json"
    write_report(report, path)
    assert load_report(path) == report
    data = json.loads(path.read_text())
    data["schema"] = "steps-agents/eval-report@2"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="upgrade steps-agents"):
        load_report(path)


def test_select_output_lines_carry_the_marker(tmp_path: Path) -> None:
    from steps_agents.cli import main
    from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode

    nodes = [TaxonomyNode(0, None, 4.0, 0.0)] + [
        TaxonomyNode(i, 0, 1.0, 1.0, skill=f"s{i}", count=1) for i in range(1, 5)
    ]
    Taxonomy(nodes, {}).save(tmp_path / "t.json")
    out = tmp_path / "c.jsonl"
    args = ["select", "--taxonomy", str(tmp_path / "t.json"), "-n", "2", "--k", "2"]
    assert main([*args, "-o", str(out), "--no-progress"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [next(iter(r)) for r in rows] == ["schema", "schema"]
    assert {r["schema"] for r in rows} == {COMBINATION_SCHEMA}
    # An earlier output (or a task file) still works as --exclude.
    again = tmp_path / "d.jsonl"
    assert main([*args, "-o", str(again), "--exclude", str(out), "--no-progress"]) == 0
    first = {frozenset(r["skills"]) for r in rows}
    assert not first & {frozenset(json.loads(x)["skills"]) for x in again.read_text().splitlines()}
