"""An agent under evaluation gets the instruction and the tools, never the task record with its
oracle plan and checker (review finding 22); a reference agent opts in with ``reference =
True``. The built-in agents still run through the evaluator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers_evaluation import calc_tasks, plugin_manager
from steps_agents.graphs.evaluation import evaluate

from steps_agents.evaluation import AgentInput, AgentOptions, AgentOutput, resolve_agent
from steps_agents.evaluation.agents import is_reference
from steps_agents.evaluation.config import EvalConfig
from steps_agents.registry import get_skill_world
from steps_agents.testing import run_agent
from steps_agents.worlds import try_compose
from steps_agents.worlds.compose import instruction_for


class Spy:
    """Records what it was handed; answers nothing."""

    def __init__(self, name: str, reference: bool) -> None:
        self.name = name
        self.reference = reference
        self.seen: list[AgentInput] = []

    async def arun(self, episode: AgentInput) -> AgentOutput:
        self.seen.append(episode)
        return AgentOutput(answer="?")


def test_only_a_reference_agent_gets_the_task_record(tmp_path: Path) -> None:
    pm = plugin_manager()
    tasks = calc_tasks()
    player, reference = Spy("player", False), Spy("ref", True)
    agents: dict[str, Any] = {
        "player": player,
        "ref": reference,
        "oracle": resolve_agent("oracle", AgentOptions(pm=pm)),
        "random": resolve_agent("random", AgentOptions(pm=pm, seed=1)),
    }
    _, episodes = evaluate(
        EvalConfig(run_id="t", state_dir=tmp_path), tasks, agents, pm=pm, progress=False
    )
    assert len(player.seen) == len(tasks) and len(reference.seen) == len(tasks)
    for seen in player.seen:
        assert seen.task is None  # neither the oracle plan nor the checker
        assert seen.instruction and seen.tools
    assert {seen.task.id for seen in reference.seen} == {t.id for t in tasks}
    oracle = [e for e in episodes if e.agent == "oracle"]
    assert oracle and all(e.passed for e in oracle)
    assert all(e.steps > 0 for e in episodes if e.agent == "random")


def test_built_in_agents_declare_what_they_read() -> None:
    pm = plugin_manager()
    assert is_reference(resolve_agent("oracle", AgentOptions(pm=pm)))
    for name in ("random", "keyword"):
        assert not is_reference(resolve_agent(name, AgentOptions(pm=pm)))
    assert not is_reference(object())


def test_the_keyword_agent_still_solves_a_task_without_the_record() -> None:
    world = get_skill_world("toolworld")
    task, reason = try_compose(world, ["contacts_find", "inbox_send"], 0)
    assert task is not None, reason
    # the keyword agent reads recipes (goal instructions defeat it by design)
    task = task.model_copy(update={"instruction": instruction_for(world, task, "recipe")})
    keyword = resolve_agent("keyword", AgentOptions(pm=plugin_manager()))
    output, outcome = run_agent(keyword, task, world)
    assert outcome.passed, (task.instruction, output.answer, outcome.reason)
