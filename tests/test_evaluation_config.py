"""EvalConfig: the [eval] table of steps.toml, flags over the file, and `steps eval --config`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers_evaluation import calc_tasks, plugin_manager, write_tasks_file

import steps_agents.plugin_manager as plugin_manager_module
from steps_agents.cli import main
from steps_agents.errors import InputError
from steps_agents.evaluation import EvalConfig, build_eval_config
from steps_agents.models import ModelClient, ModelOptions

TOML = """\
[eval]
tasks = "tasks.jsonl"
agent = "oracle"
compare = "random"
repeats = 2
concurrency = 3
state_dir = "state"

[eval.model]
temperature = 0.0
max_retries = 6
"""


@pytest.fixture(autouse=True)
def calc_world(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI uses the process-wide plugin manager; give it the test world."""
    monkeypatch.setattr(plugin_manager_module, "_DEFAULT", plugin_manager())


def test_the_eval_table_is_read_with_paths_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "steps.toml").write_text(TOML)
    config = build_eval_config(tmp_path / "steps.toml")
    assert config.tasks == tmp_path / "tasks.jsonl" and config.state_dir == tmp_path / "state"
    assert (config.agent, config.compare, config.repeats) == ("oracle", "random", 2)
    assert config.agent_specs == ["oracle", "random"]
    assert config.compare_pair == ("oracle", "random")
    # The model calls follow the episodes' concurrency unless [eval.model] sets their own.
    assert config.model == ModelOptions(temperature=0.0, max_retries=6, concurrency=3)
    assert config.model_cache_path == tmp_path / "state" / "model-cache.sqlite"


def test_flags_override_the_file_and_model_flags_merge_into_eval_model(tmp_path: Path) -> None:
    (tmp_path / "steps.toml").write_text(TOML)
    config = build_eval_config(
        tmp_path / "steps.toml",
        {"repeats": 5, "seed": None, "model": {"timeout": 9.0}, "agent_options": {"calls": 2}},
    )
    assert config.repeats == 5 and config.seed == 0 and config.agent_options == {"calls": 2}
    assert config.model == ModelOptions(temperature=0.0, max_retries=6, timeout=9.0, concurrency=3)


def test_defaults_without_a_file() -> None:
    config = build_eval_config(None, {"concurrency": 2})
    assert config == EvalConfig(concurrency=2)
    assert config.model.concurrency == 2 and config.timeout == 300.0 and config.wave_size == 256
    assert EvalConfig(model=ModelOptions(concurrency=5), concurrency=2).model.concurrency == 5


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("repeats = 0", "eval.repeats: Input should be greater than or equal to 1"),
        ("wave = 3", "eval.wave: Extra inputs are not permitted"),
        ("[eval.model]\ntimeout = 0", "eval.model.timeout: Input should be greater than 0"),
    ],
)
def test_a_bad_key_is_one_line_naming_it(tmp_path: Path, table: str, message: str) -> None:
    toml = tmp_path / "steps.toml"
    toml.write_text(f"[eval]\n{table}\n")
    with pytest.raises(InputError) as info:
        build_eval_config(toml)
    assert str(info.value) == f"{toml}: {message}"


def _run(tmp_path: Path, *argv: str) -> int:
    return main(["eval", "-o", str(tmp_path / "report.json"), "--no-progress", *argv])


def test_steps_eval_runs_from_the_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tasks_file(tmp_path / "tasks.jsonl", calc_tasks())
    (tmp_path / "steps.toml").write_text(TOML)
    assert _run(tmp_path, "--config", str(tmp_path / "steps.toml"), "--repeat", "1") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert [a["agent"] for a in report["agents"]] == ["oracle", "random"]
    assert report["meta"]["repeats"] == 1 and report["comparison"] is not None
    assert list((tmp_path / "state").glob("*.episodes.jsonl"))
    assert _run(tmp_path, "--config", str(tmp_path / "steps.toml"), "--model-timeout", "0") == 2
    assert (
        capsys.readouterr().err.strip().endswith("--model-timeout: Input should be greater than 0")
    )
    assert _run(tmp_path, "--agent", "oracle") == 2
    assert "TASKS: no task file given" in capsys.readouterr().err


def test_model_clients_are_closed_when_the_run_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []
    real_close = ModelClient.close

    def close(self: ModelClient) -> None:
        closed.append(self.spec)
        real_close(self)

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the evaluation broke")

    monkeypatch.setattr(ModelClient, "close", close)
    monkeypatch.setattr("steps_agents.graphs.evaluation.evaluate", fail)
    tasks = write_tasks_file(tmp_path / "tasks.jsonl", calc_tasks())
    agent = "model:helpers_evaluation:REPLAY_MODEL"
    with pytest.raises(RuntimeError, match="the evaluation broke"):
        _run(tmp_path, str(tasks), "--agent", agent, "--state-dir", str(tmp_path / "s"))
    assert closed == ["helpers_evaluation:REPLAY_MODEL"]
