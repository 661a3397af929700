"""The ``agentic`` synthesis mode: compose, template/model instructions, critic checks, the graph."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from steps_agents.plugins.agentic_mode import AgenticMode, Rewrite, export_tasks
from steps_agents.plugins.toolworld import CORPUS_PATH

import steps_agents
from steps_agents.cli import main as cli_main
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.records import Combination
from steps_agents.registry import get_skill_world, get_synthesis_mode
from steps_agents.synthesis.modes import ModeContext, SynthesisMode, Uncomposable, WorkItem
from steps_agents.worlds import Task, check, load_tasks, run_oracle
from steps_agents.worlds.instructions import missing_required_values

PM = get_plugin_manager(load_entrypoints=False)
MODE = AgenticMode()


def ctx(**kw: Any) -> ModeContext:
    return ModeContext(pm=PM, seed=kw.pop("seed", 0), **kw)


def combo(*skills: str) -> Combination:
    return Combination(skills=skills, k=len(skills), gain=1.0, selector="test")


def compose(*skills: str, **kw: Any) -> WorkItem:
    item = MODE.compose(combo(*skills), ctx(**kw))
    assert isinstance(item, WorkItem), item
    return item


class RewriteModel:
    """A stand-in ModelClient: answers every rewrite with a fixed text (or a function of it)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.prompts: list[Any] = []

    async def ainvoke(self, messages: Any, *, schema: Any = None, **_: Any) -> Any:
        self.prompts.append(messages)
        text = self.answer(messages) if callable(self.answer) else self.answer
        return Rewrite(instruction=text)


def test_registered_and_follows_the_protocol() -> None:
    mode = get_synthesis_mode("agentic", PM)
    assert isinstance(mode, SynthesisMode) and mode.needs_model is False


def test_compose_builds_a_task_with_exactly_the_skills() -> None:
    item = compose("inbox_search", "inbox_read", "text_extract_dates", "dates_weekday")
    task = Task.model_validate(item.payload["task"])
    assert task.skills == list(item.skills) and sorted(s.tool for s in task.oracle) == sorted(
        item.skills
    )
    assert task.provenance["selector"] == "test"
    assert compose("inbox_search", "inbox_read", "text_extract_dates", "dates_weekday") == item


def test_uncomposable_combination_is_reported_with_the_reason() -> None:
    result = MODE.compose(combo("inbox_count_unread", "table_list_tables"), ctx())
    assert isinstance(result, Uncomposable) and "data flow" in result.reason


def test_template_draft_passes_the_critic_checks() -> None:
    item = compose("fs_read_file", "text_word_count")
    draft = asyncio.run(MODE.generate(item, ctx(), []))
    assert draft["source"] == "template"
    verdicts = MODE.check(item, draft, ctx())
    assert [v.judge for v in verdicts] == ["oracle", "plan", "instruction"]
    assert all(v.passed for v in verdicts)
    off = MODE.check(item, draft, ctx(options={"plan_judge": False}))
    assert [v.judge for v in off] == ["oracle", "instruction"]


def test_instruction_missing_a_value_is_rejected() -> None:
    item = compose("fs_read_file", "text_word_count")
    task = Task.model_validate(item.payload["task"])
    path = task.oracle[0].args["path"]
    bad = {"instruction": "Count the words in my notes file.", "source": "model"}
    verdict = next(v for v in MODE.check(item, bad, ctx()) if v.judge == "instruction")
    assert not verdict.passed and path in verdict.reason and verdict.details["revisable"]


def test_a_broken_oracle_is_rejected_without_revision() -> None:
    item = compose("fs_read_file", "text_word_count")
    data = json.loads(json.dumps(item.payload["task"]))
    data["checker"]["answer"][0]["value"] = -1  # a checker the oracle cannot satisfy
    broken = item.model_copy(update={"payload": {"task": data}})
    draft = asyncio.run(MODE.generate(broken, ctx(), []))
    oracle = MODE.check(broken, draft, ctx())[0]
    assert not oracle.passed and oracle.details == {"revisable": False}


def test_model_rewrites_the_instruction_and_gets_feedback() -> None:
    item = compose("orders_get", "orders_total")
    task = Task.model_validate(item.payload["task"])
    order_id = task.oracle[0].args["order_id"]
    model = RewriteModel(f"Could you look up order {order_id} and tell me its total value?")
    draft = asyncio.run(MODE.generate(item, ctx(model=model), []))
    assert draft == {"instruction": model.answer, "source": "model"}
    assert all(v.passed for v in MODE.check(item, draft, ctx(model=model)))
    asyncio.run(MODE.generate(item, ctx(model=model), ["the instruction leaves out X"]))
    assert "leaves out X" in str(model.prompts[-1])
    forced = asyncio.run(
        MODE.generate(item, ctx(model=model, options={"instructions": "template"}), [])
    )
    assert forced["source"] == "template"


def test_instruction_styles_goal_recipe_and_a_leaking_rewrite() -> None:
    goal = compose("orders_get", "orders_total")
    recipe = compose("orders_get", "orders_total", options={"instructions": "recipe"})
    goal_task = Task.model_validate(goal.payload["task"])
    recipe_task = Task.model_validate(recipe.payload["task"])
    assert goal_task.oracle == recipe_task.oracle and goal_task.checker == recipe_task.checker
    assert "1." in recipe_task.instruction and "step" in recipe_task.instruction
    assert "orders_total" not in goal_task.instruction and "step" not in goal_task.instruction
    assert recipe_task.provenance["difficulty"]["style"] == "recipe"
    leaky = {"instruction": goal_task.instruction + " Use orders_total.", "source": "model"}
    verdict = next(v for v in MODE.check(goal, leaky, ctx()) if v.judge == "instruction")
    assert not verdict.passed and "orders_total" in verdict.reason and verdict.details["revisable"]
    with pytest.raises(steps_agents.InputError, match="instructions"):
        MODE.compose(combo("orders_get"), ctx(options={"instructions": "poem"}))


def test_records_task_skillbench_and_messages() -> None:
    item = compose("units_convert", "math_round")
    draft = asyncio.run(MODE.generate(item, ctx(), []))
    record = MODE.to_record(item, draft)
    task = Task.model_validate(record)
    answer, state, _ = run_oracle(get_skill_world("toolworld", PM), task)
    assert check(task, answer, state).passed
    bench = MODE.to_record(item, draft, "skillbench")
    assert bench["label"] == {"ability": ["units_convert", "math_round"]}
    messages = MODE.to_messages(item, draft)
    assert messages[0] == {"role": "user", "content": draft["instruction"]}
    assert [m["role"] for m in messages][-1] == "assistant"


@pytest.fixture(scope="module")
def taxonomy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tax") / "taxonomy.json"
    assert cli_main(["taxonomy", "build", str(CORPUS_PATH), "-o", str(path)]) == 0
    return path


def test_synthesis_graph_yields_verified_agentic_tasks_without_a_model(
    tmp_path: Path, taxonomy_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from steps_agents.graphs.synthesis import run_synthesis

    from steps_agents.synthesis.config import SynthConfig
    from steps_agents.taxonomy.artifact import load_taxonomy

    capsys.readouterr()
    config = SynthConfig.model_validate(
        {
            "n": 24,
            "k": (1, 7),
            "mode": "agentic",
            "output": tmp_path / "out.jsonl",
            "run_id": "agentic-test",
            "state_dir": tmp_path / "state",
            "seed": 5,
        }
    )
    report = run_synthesis(config, taxonomy=load_taxonomy(taxonomy_path), pm=PM, progress=False)
    assert report.accepted == 24
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 24
    for row in rows:
        calls = {c["function"]["name"] for m in row["messages"] for c in m.get("tool_calls") or []}
        assert calls == set(row["metadata"]["skills"])
        assert calls <= {t["function"]["name"] for t in row["tools"]}
    assert export_tasks(tmp_path / "out.jsonl", tmp_path / "tasks.jsonl", seed=5, pm=PM) == 24
    tasks = load_tasks(tmp_path / "tasks.jsonl", PM)
    # metadata.task_id joins each sample to its task, whatever the line order
    by_id = {task.id: task for task in tasks}
    for row in rows:
        task = by_id[row["metadata"]["task_id"]]
        assert row["tools"] == task.openai_tools()
    world = get_skill_world("toolworld", PM)
    assert {t.k for t in tasks} >= {1, 2, 3}
    for task in tasks:
        answer, state, _ = run_oracle(world, task)
        assert check(task, answer, state).passed
        assert missing_required_values(task) == []
    # The report's per-k difficulty is the mean over the tasks behind the accepted samples.
    depths: dict[str, list[int]] = {}
    for task in tasks:
        depths.setdefault(str(task.k), []).append(task.provenance["difficulty"]["depth"])
    assert report.difficulty_by_k is not None
    assert {k: means["depth"] for k, means in report.difficulty_by_k.items()} == {
        k: round(sum(v) / len(v), 2) for k, v in depths.items()
    }
    assert "difficulty (mean): " in report.text()
    with pytest.raises(Exception, match="cannot be rebuilt with seed 6"):
        export_tasks(tmp_path / "out.jsonl", tmp_path / "t2.jsonl", seed=6, pm=PM)


def test_instructions_flag_reaches_the_mode_options() -> None:
    import argparse

    from steps_agents.cli.synth import add_parser, config_from_args

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["synth", "--mode", "agentic", "--instructions", "recipe"])
    config = config_from_args(args)
    assert config.instructions == "recipe"
    assert config.mode_settings["instructions"] == "recipe"
    item = compose("orders_get", "orders_total", options=config.mode_settings)
    assert "1. " in Task.model_validate(item.payload["task"]).instruction
    with pytest.raises(SystemExit):
        parser.parse_args(["synth", "--instructions", "poem"])
