"""``steps eval``: the report files, resume, and one-line errors for bad task files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers_evaluation import calc_tasks, plugin_manager, skillbench_file, write_tasks_file

import steps_agents
import steps_agents.plugin_manager as plugin_manager_module
from steps_agents.cli import main
from steps_agents.evaluation import AgentInput, AgentOptions, AgentOutput
from steps_agents.taxonomy.artifact import Taxonomy, TaxonomyNode


@pytest.fixture(autouse=True)
def calc_world(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI uses the process-wide plugin manager; give it the test world."""
    monkeypatch.setattr(plugin_manager_module, "_DEFAULT", plugin_manager())


def _args(tmp_path: Path, tasks: Path, *extra: str) -> list[str]:
    return [
        "eval",
        str(tasks),
        "-o",
        str(tmp_path / "report.json"),
        "--state-dir",
        str(tmp_path / "state"),
        "--no-progress",
        *extra,
    ]


def test_eval_writes_reports_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = write_tasks_file(tmp_path / "tasks.jsonl", calc_tasks())
    md = tmp_path / "report.md"
    argv = _args(
        tmp_path,
        tasks,
        "--agent",
        "oracle",
        "--compare",
        "random",
        "--repeat",
        "2",
        "--markdown",
        str(md),
    )
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "agent oracle" in out.out and "| all | 5 x 2 | 100.0% |" in out.out
    assert "exact McNemar" in out.out and "run id eval-" in out.err
    report = json.loads((tmp_path / "report.json").read_text())
    assert [a["agent"] for a in report["agents"]] == ["oracle", "random"]
    assert report["agents"][0]["repeats"]["pass_hat"]["2"] == 1.0
    assert report["comparison"]["only_a"] >= 9
    assert "## Paired comparison" in md.read_text()
    # The same command again: the same run id, nothing reruns.
    assert main([*argv, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["run_id"] == report["run_id"] and again["meta"]["resumed_episodes"] == 20
    # --fresh starts over.
    assert main([*argv, "--json", "--fresh"]) == 0
    assert json.loads(capsys.readouterr().out)["meta"]["resumed_episodes"] == 0


def _bad_file(tmp_path: Path, bad_line: str) -> Path:
    good = [t.model_dump_json() for t in calc_tasks()[:2]]
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join([good[0], good[1], bad_line]) + "\n")
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rec: "{not json", "malformed JSON"),
        (lambda rec: json.dumps({**rec, "world": "atlantis"}), "unknown world 'atlantis'"),
        (
            lambda rec: json.dumps({**rec, "oracle": [{**rec["oracle"][0], "tool": "teleport"}]}),
            "teleport",
        ),
        (lambda rec: json.dumps({**rec, "id": "t1"}), "appears twice"),
    ],
)
def test_a_bad_task_line_is_an_invalid_task_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: object, message: str
) -> None:
    """The line is left out and named by file:line; the two good tasks are evaluated."""
    record = json.loads(calc_tasks()[2].model_dump_json())
    tasks = _bad_file(tmp_path, mutate(record))  # type: ignore[operator]
    assert main(_args(tmp_path, tasks, "--agent", "oracle")) == 0
    err = capsys.readouterr().err
    named = [line for line in err.splitlines() if line.startswith("invalid task")]
    assert len(named) == 1 and f" at {tasks}:3: " in named[0] and message in named[0]
    meta = json.loads((tmp_path / "report.json").read_text())["meta"]
    assert meta["valid_tasks"] == 2 and meta["invalid_tasks"][0]["location"] == f"{tasks}:3"


def test_flag_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = write_tasks_file(tmp_path / "tasks.jsonl", calc_tasks())
    assert main(_args(tmp_path, tasks, "--agent", "nobody")) == 2
    assert "unknown agent 'nobody'" in capsys.readouterr().err
    assert main(_args(tmp_path, tasks, "--agent", "oracle", "--repeat", "0")) == 2
    assert "--repeat" in capsys.readouterr().err
    assert main(_args(tmp_path, tmp_path / "none.jsonl", "--agent", "oracle")) == 2
    assert "does not exist" in capsys.readouterr().err


def test_skillbench_file_needs_and_uses_a_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = skillbench_file(tmp_path / "sb.jsonl")
    assert main(_args(tmp_path, tasks, "--agent", "oracle")) == 2
    assert "--judge" in capsys.readouterr().err
    argv = _args(
        tmp_path,
        tasks,
        "--agent",
        "oracle",
        "--judge",
        "helpers_evaluation:JUDGE_MODEL",
        "--structured",
        "json",
    )
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    overall = report["agents"][0]["overall"]
    assert overall["judged"] == 2 and overall["mean_judge"] == 9.0
    assert report["meta"]["model_usage"]["judge"]["calls"] == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text(tasks.read_text() + '{"id": "x", "label": {"ability": []}, "content": ["q"]}\n')
    assert main(_args(tmp_path, bad, "--agent", "oracle", "--judge", "fake:echo")) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3" in err and "invalid SkillBench record" in err


class ThirdPartyAgents:
    """A plugin registering an agent, as a third party would."""

    @steps_agents.hookimpl
    def register_agents(self, register: Any) -> None:
        def factory(options: AgentOptions) -> Any:
            return StubbornAgent(options.params.get("answer", 42))

        register(factory, name="stubborn")


class StubbornAgent:
    name = "stubborn"

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    async def arun(self, episode: AgentInput) -> AgentOutput:
        return AgentOutput(answer=self.answer)


def test_plugin_agent_and_taxonomy_marginals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(plugin_manager_module, "_DEFAULT", plugin_manager(ThirdPartyAgents()))
    nodes = [
        TaxonomyNode(0, None, 10.0, 0.0),
        TaxonomyNode(1, 0, 6.0, 2.0, label="arithmetic"),
        TaxonomyNode(2, 0, 4.0, 2.0, label="storage"),
        *[
            TaxonomyNode(3 + i, 1, 1.5, 1.5, skill=s, count=1)
            for i, s in enumerate(["add", "mul", "neg", "concat"])
        ],
        *[TaxonomyNode(7 + i, 2, 2.0, 2.0, skill=s, count=1) for i, s in enumerate(["put", "get"])],
    ]
    Taxonomy(nodes).save(tmp_path / "tax.json")
    tasks = write_tasks_file(tmp_path / "tasks.jsonl", calc_tasks())
    argv = _args(tmp_path, tasks, "--agent", "stubborn", "--taxonomy", str(tmp_path / "tax.json"))
    argv += ["--agent-opt", "answer=5"]  # the right answer to t1 only
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    summary = report["agents"][0]
    assert summary["agent"] == "stubborn" and summary["overall"]["passed"] == 1
    communities = {c["community"]: c for c in summary["per_community"]}
    assert set(communities) == {"arithmetic", "storage"}
    assert communities["storage"]["n"] == 2  # t3 and t4 use put/get
    assert summary["attribution"]["add"] == 3  # first skill of t2, t3, t5 (t1 passed)
    assert report["meta"]["worlds"] == {"calc": "1"}
    assert main([*argv, "--agent-opt", "novalue"]) == 2


def test_the_final_progress_line_is_printed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: the last line drawn already showed 10/10 and closing drew it again."""
    from steps_agents.runtime.progress import Progress

    monkeypatch.delenv("STEPS_AGENTS_NO_PROGRESS", raising=False)
    monkeypatch.setattr(Progress, "LOG_INTERVAL", 0.0)  # a line per episode, as a long run's log
    tasks = write_tasks_file(tmp_path / "tasks.jsonl", calc_tasks())
    argv = _args(tmp_path, tasks, "--agent", "oracle", "--repeat", "2")
    assert main([a for a in argv if a != "--no-progress"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("eval: ")]
    assert [line.split(",")[0] for line in lines] == [
        f"eval: {i}/10 ({10 * i}%)" for i in range(1, 11)
    ]


def test_ray_address_needs_the_ray_executor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = write_tasks_file(tmp_path / "tasks.jsonl", calc_tasks())
    assert main(_args(tmp_path, tasks, "--agent", "oracle", "--ray-address", "auto")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--ray-address needs --executor ray" in err[0], err
