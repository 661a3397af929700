"""The evaluator graph: drawing, durable per-episode results, resume by run id, judged text tasks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers_evaluation import (
    PolicyChatModel,
    calc_tasks,
    judge_policy,
    plugin_manager,
    skillbench_file,
)
from steps_agents.graphs import evaluation as graph_module
from steps_agents.graphs.evaluation import evaluate

from steps_agents.evaluation import AgentInput, AgentOptions, AgentOutput, resolve_agent
from steps_agents.evaluation.config import EvalConfig
from steps_agents.evaluation.store import EpisodeStore, state_paths
from steps_agents.evaluation.texttasks import load_eval_tasks
from steps_agents.models import ModelClient, ModelOptions

REPO = Path(__file__).resolve().parents[1]


def test_committed_mermaid_is_current() -> None:
    committed = (REPO / "graphs" / "evaluation.mmd").read_text(encoding="utf-8")
    assert committed == graph_module.mermaid(), "regenerate graphs/evaluation.mmd"
    for node in ("plan", "wave", "summarize"):
        assert node in committed


class Stop(BaseException):
    """Stands in for the process dying (not an Exception, so no agent-failure handling)."""


class CountingOracle:
    """The oracle, counting the episodes it runs; optionally dies at the n-th one."""

    name = "counting"
    reference = True  # wraps the oracle, which reads the task record

    def __init__(self, die_at: int | None = None) -> None:
        self.inner = resolve_agent("oracle", AgentOptions(pm=plugin_manager()))
        self.ran: list[tuple[str, int]] = []
        self.die_at = die_at

    async def arun(self, episode: AgentInput) -> AgentOutput:
        if self.die_at is not None and len(self.ran) == self.die_at:
            raise Stop
        self.ran.append((episode.task_id, episode.repeat))
        return await self.inner.arun(episode)


def test_resume_by_run_id_does_not_rerun_finished_episodes(tmp_path: Path) -> None:
    tasks, pm = calc_tasks(), plugin_manager()
    first = CountingOracle(die_at=7)
    kw: dict[str, Any] = {"pm": pm, "progress": False}
    config = EvalConfig(run_id="R", state_dir=tmp_path, repeats=3, wave_size=4, concurrency=1)
    with pytest.raises(Stop):
        evaluate(config, tasks, {"a": first}, **kw)
    episodes_file, checkpoints = state_paths(tmp_path, "R")
    recorded = EpisodeStore(episodes_file, "R").results
    assert 4 <= len(recorded) <= 7 and checkpoints.exists()
    second = CountingOracle()
    report, episodes = evaluate(config, tasks, {"a": second}, **kw)
    rerun = {(e.task_id, e.repeat) for e in recorded.values()} & set(second.ran)
    assert not rerun, f"finished episodes ran again: {rerun}"
    assert len(second.ran) == 15 - len(recorded)
    assert len(episodes) == 15 and all(e.passed for e in episodes)
    assert report.meta["resumed_episodes"] == len(recorded)
    lines = episodes_file.read_text().splitlines()
    assert (
        len(lines)
        == 15
        == len({json.loads(x)["task_id"] + str(json.loads(x)["repeat"]) for x in lines})
    )
    # A finished run: calling again runs nothing.
    third = CountingOracle()
    evaluate(EvalConfig(run_id="R", state_dir=tmp_path, repeats=3), tasks, {"a": third}, **kw)
    assert third.ran == []


def test_partial_last_line_is_dropped_and_rerun(tmp_path: Path) -> None:
    tasks, pm = calc_tasks(), plugin_manager()
    kw: dict[str, Any] = {"pm": pm, "progress": False}
    config = EvalConfig(run_id="P", state_dir=tmp_path)
    evaluate(config, tasks, {"a": CountingOracle()}, **kw)
    path, _ = state_paths(tmp_path, "P")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3]) + lines[3][:40])  # killed in the middle of a write
    again = CountingOracle()
    _, episodes = evaluate(config, tasks, {"a": again}, **kw)
    assert len(again.ran) == 2 and len(episodes) == 5
    assert len(path.read_text().splitlines()) == 5


KILL_SCRIPT = """
import asyncio, sys
sys.path.insert(0, {tests!r})
from helpers_evaluation import calc_tasks, plugin_manager
from steps_agents.evaluation import AgentOptions, resolve_agent
from steps_agents.graphs.evaluation import evaluate
from steps_agents.evaluation.config import EvalConfig

class Slow:
    name = "slow"
    reference = True
    def __init__(self):
        self.inner = resolve_agent("oracle", AgentOptions(pm=plugin_manager()))
    async def arun(self, episode):
        await asyncio.sleep(0.15)
        return await self.inner.arun(episode)

config = EvalConfig(run_id="K", state_dir={state!r}, repeats=4, wave_size=4, concurrency=2)
evaluate(config, calc_tasks(), {{"a": Slow()}}, pm=plugin_manager(), progress=False)
"""


def test_sigkill_mid_fanout_loses_no_finished_episode(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT.format(tests=str(REPO / "tests"), state=str(tmp_path)))
    episodes_file, _ = state_paths(tmp_path, "K")
    proc = subprocess.Popen([sys.executable, str(script)], env={**os.environ})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if episodes_file.exists() and len(episodes_file.read_text().splitlines()) >= 5:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    recorded = EpisodeStore(episodes_file, "K").results
    assert 5 <= len(recorded) < 20
    again = CountingOracle()
    _, episodes = evaluate(
        EvalConfig(run_id="K", state_dir=tmp_path, repeats=4, wave_size=4),
        calc_tasks(),
        {"a": again},
        pm=plugin_manager(),
        progress=False,
    )
    assert not {(e.task_id, e.repeat) for e in recorded.values()} & set(again.ran)
    assert len(episodes) == 20 and all(e.passed for e in episodes)


def test_skillbench_text_tasks_are_judged_on_1_to_10(tmp_path: Path) -> None:
    tasks = load_eval_tasks(skillbench_file(tmp_path / "sb.jsonl"))
    assert [t.k for t in tasks] == [2, 1]
    judge = ModelClient.from_model(
        PolicyChatModel(policy=judge_policy), options=ModelOptions(structured="json"), spec="judge"
    )
    pm = plugin_manager()
    agents = {
        "oracle": resolve_agent("oracle", AgentOptions(pm=pm)),
        "random": resolve_agent("random", AgentOptions(pm=pm)),
    }
    report, episodes = evaluate(
        EvalConfig(run_id="J", state_dir=tmp_path, agent="oracle", compare="random"),
        tasks,
        agents,
        pm=pm,
        judge=judge,
        progress=False,
    )
    by = {(e.agent, e.task_id): e for e in episodes}
    assert by[("oracle", "sb1")].judge_score == 9.0 and by[("oracle", "sb1")].passed is None
    assert by[("random", "sb2")].judge_score == 2.0
    oracle = report.agents[0]
    assert oracle.overall.mean_judge == 9.0 and oracle.overall.judged == 2 and oracle.overall.n == 0
    assert report.comparison is not None and report.comparison.judge_diff == pytest.approx(7.0)
    # Without a judge the episodes are failures with the reason, not a crash.
    _, no_judge = evaluate(
        EvalConfig(run_id="J2", state_dir=tmp_path), tasks, agents, pm=pm, progress=False
    )
    assert all(e.failure == "judge_error" and "judge" in e.reason for e in no_judge)


class InFlight:
    """Counts how many episodes run at once. Each waits (up to 0.5 s) until ``expect`` episodes
    are in flight, so reaching the bound does not depend on how fast a loaded machine starts
    the branches, while exceeding it would still be seen."""

    name = "inflight"

    def __init__(self, expect: int) -> None:
        self.now = self.most = 0
        self.expect = expect

    async def arun(self, episode: AgentInput) -> AgentOutput:
        self.now += 1
        self.most = max(self.most, self.now)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 0.5
        while self.now < self.expect and loop.time() < deadline:
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.001)
        self.now -= 1
        return AgentOutput(answer=None)


def test_waves_bound_the_fan_out(tmp_path: Path) -> None:
    tasks, pm = calc_tasks(), plugin_manager()
    agent = InFlight(expect=3)
    evaluate(
        EvalConfig(run_id="W", state_dir=tmp_path, repeats=4, wave_size=3, concurrency=50),
        tasks,
        {"a": agent},
        pm=pm,
        progress=False,
    )
    assert agent.most == 3
    wide = InFlight(expect=4)
    evaluate(
        EvalConfig(run_id="W2", state_dir=tmp_path, repeats=4, wave_size=20, concurrency=4),
        tasks,
        {"a": wide},
        pm=pm,
        progress=False,
    )
    assert wide.most == 4  # the concurrency limit inside a wave


def test_langgraph_json_names_the_evaluation_graph() -> None:
    config = json.loads((REPO / "langgraph.json").read_text())
    assert config["graphs"]["evaluation"] == "./graphs/evaluation.py:graph"
    assert hasattr(graph_module.graph, "ainvoke")
