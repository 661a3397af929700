"""The reference agents on tasks the built-in toolworld composes."""

from __future__ import annotations

from pathlib import Path

from helpers_evaluation import PolicyChatModel, replay_policy, toolworld_tasks
from steps_agents.graphs.evaluation import evaluate

from steps_agents.evaluation import AgentOptions, ToolLoopAgent, resolve_agent
from steps_agents.evaluation.config import EvalConfig
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.registry import get_skill_world


def test_oracle_passes_every_toolworld_task_and_random_almost_none(tmp_path: Path) -> None:
    pm = get_plugin_manager(load_entrypoints=False)
    tasks = toolworld_tasks({1: 6, 2: 8, 3: 6, 4: 4}, seed=11, pm=pm)
    agents = {
        "oracle": resolve_agent("oracle", AgentOptions(pm=pm)),
        "random": resolve_agent("random", AgentOptions(pm=pm, seed=5)),
    }
    report, episodes = evaluate(
        EvalConfig(run_id="tw", state_dir=tmp_path, agent="oracle", compare="random"),
        tasks,
        agents,
        pm=pm,
        progress=False,
    )
    oracle = [e for e in episodes if e.agent == "oracle"]
    assert len(oracle) == len(tasks)
    failed = [(e.task_id, e.reason) for e in oracle if not e.passed]
    assert not failed, failed
    assert all(e.coverage == 1.0 and e.steps == e.oracle_steps for e in oracle)
    random_k2 = [e for e in episodes if e.agent == "random" and e.k >= 2]
    assert sum(bool(e.passed) for e in random_k2) <= len(random_k2) // 10
    assert report.comparison is not None and report.comparison.p_mcnemar < 0.001


def test_scripted_chat_models_on_toolworld_tasks(tmp_path: Path) -> None:
    pm = get_plugin_manager(load_entrypoints=False)
    world = get_skill_world("toolworld", pm)
    tasks = toolworld_tasks({2: 8, 3: 6, 4: 3}, seed=21, pm=pm)
    assert len({t.instruction for t in tasks}) == len(tasks)  # the policies key on it
    agents = {
        "replays": ToolLoopAgent(PolicyChatModel(policy=replay_policy(tasks, world=world))),
        "skips": ToolLoopAgent(
            PolicyChatModel(policy=replay_policy(tasks, world=world, skip_last=True))
        ),
    }
    _, episodes = evaluate(
        EvalConfig(run_id="tm", state_dir=tmp_path), tasks, agents, pm=pm, progress=False
    )
    replays = [e for e in episodes if e.agent == "replays"]
    assert all(e.passed and e.coverage == 1.0 for e in replays), [e.reason for e in replays]
    skips = {e.task_id: e for e in episodes if e.agent == "skips"}
    failed = [e for e in skips.values() if not e.passed]
    assert len(failed) >= 0.9 * len(skips)
    by_id = {t.id: t for t in tasks}
    for e in failed:
        assert e.attribution == by_id[e.task_id].oracle[-1].tool, (e.task_id, e.attribution)
        assert e.attribution not in e.covered
