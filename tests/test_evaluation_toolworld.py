"""The reference agents on tasks the built-in toolworld composes."""

from __future__ import annotations

from pathlib import Path

from helpers_evaluation import toolworld_tasks

from steps_agents.evaluation import AgentOptions, evaluate, resolve_agent
from steps_agents.plugin_manager import get_plugin_manager


def test_oracle_passes_every_toolworld_task_and_random_almost_none(tmp_path: Path) -> None:
    pm = get_plugin_manager(load_entrypoints=False)
    tasks = toolworld_tasks({1: 6, 2: 8, 3: 6, 4: 4}, seed=11, pm=pm)
    agents = {
        "oracle": resolve_agent("oracle", AgentOptions(pm=pm)),
        "random": resolve_agent("random", AgentOptions(pm=pm, seed=5)),
    }
    report, episodes = evaluate(
        tasks,
        agents,
        run_id="tw",
        state_dir=tmp_path,
        pm=pm,
        progress=False,
        compare=("oracle", "random"),
    )
    oracle = [e for e in episodes if e.agent == "oracle"]
    assert len(oracle) == len(tasks)
    failed = [(e.task_id, e.reason) for e in oracle if not e.passed]
    assert not failed, failed
    assert all(e.coverage == 1.0 and e.steps == e.oracle_steps for e in oracle)
    random_k2 = [e for e in episodes if e.agent == "random" and e.k >= 2]
    assert sum(bool(e.passed) for e in random_k2) <= len(random_k2) // 10
    assert report.comparison is not None and report.comparison.p_mcnemar < 0.001
