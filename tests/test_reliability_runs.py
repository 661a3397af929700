"""Whole runs through the real langchain-openai client against a server faulting 20% of requests.

The fault server answers like ``fake:echo`` and faults requests on a seeded script (every kind
but 401: rate limits, 500, 503, dropped connections, slow, malformed, truncated, wrong schema,
empty). A synthesis run of 200 items must end with exactly 200 accepted unique samples and exit
0; an evaluation of 140 tasks with a model agent must finish every episode with the same outcome
as against a fault-free server (no fault is scored as the agent's failure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fault_server import FaultServer, use_local_server
from helpers_evaluation import toolworld_tasks, write_tasks_file
from helpers_synthesis import read_jsonl

from steps_agents.cli import main
from steps_agents.selection.synthetic import random_taxonomy

pytest.importorskip("langchain_openai")


@pytest.fixture(autouse=True)
def _local(monkeypatch: pytest.MonkeyPatch) -> None:
    use_local_server(monkeypatch)


def _synth(tmp_path: Path, server: FaultServer, structured: str) -> tuple[int, list[Any]]:
    tax = tmp_path / "tax.json"
    random_taxonomy(40, height=2, seed=3).save(tax)
    out = tmp_path / f"{structured}.jsonl"
    code = main(
        [
            "synth",
            *("--taxonomy", str(tax), "-o", str(out), "-n", "200", "--k", "2-3"),
            *("--model", "stub", "--base-url", server.base_url, "--structured", structured),
            *("--judges", "format,language,dedup", "--run-id", f"faults-{structured}"),
        ]
    )
    return code, read_jsonl(out)


@pytest.mark.parametrize("structured", ["native", pytest.param("json", marks=pytest.mark.slow)])
def test_synthesis_of_200_with_20_percent_faults_accepts_exactly_200(
    tmp_path: Path, structured: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with FaultServer(rate=0.2, seed=1) as server:
        code, rows = _synth(tmp_path, server, structured)
    out = capsys.readouterr()
    assert code == 0, out.err
    assert len(rows) == 200 and len({row["id"] for row in rows}) == 200
    faults = server.faults()
    # every transient kind was injected, and nothing was lost to them
    assert set(faults) >= {"429", "500", "503", "drop", "malformed", "truncated", "empty"}, faults
    assert sum(faults.values()) >= 0.1 * len(server.log)
    assert "run faults-" in out.out and "200/200 accepted" in out.out


def _episodes(state: Path) -> dict[str, tuple[Any, ...]]:
    rows = [json.loads(line) for p in state.glob("*.episodes.jsonl") for line in p.open()]
    return {r["task_id"]: (r["passed"], r["failure"], r["answer"], r["steps"]) for r in rows}


def test_evaluation_of_140_tasks_with_20_percent_faults_matches_the_fault_free_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = write_tasks_file(tmp_path / "t.jsonl", toolworld_tasks({2: 70, 3: 70}))
    results = {}
    for rate in (0.0, 0.2):
        with FaultServer(rate=rate, seed=1) as server:
            state = tmp_path / f"state-{rate}"
            code = main(
                [
                    *("eval", str(tasks), "--agent", "model:stub", "--base-url", server.base_url),
                    *("-o", str(tmp_path / f"r{rate}.json"), "--state-dir", str(state)),
                ]
            )
        assert code == 0, capsys.readouterr().err
        results[rate] = (_episodes(state), server.faults(), len(server.log))
    clean, (faulted, faults, requests) = results[0.0][0], results[0.2]
    assert len(clean) == len(faulted) == 140
    # About a fifth of the first attempts are faulted (how many requests an episode makes
    # depends on the tasks, so the floor is relative: 10% of all requests, retries included).
    assert sum(faults.values()) >= 0.1 * requests, (faults, requests)
    assert faulted == clean  # same answers, same scores: no fault reached the agent's record
    assert not any(failure == "agent_error" for _, failure, _, _ in faulted.values())


@pytest.mark.parametrize("kind", ["401", "malformed", "no server"])
def test_a_run_stopped_by_the_model_says_why_in_one_line_with_no_unawaited_coroutine(
    tmp_path: Path, kind: str
) -> None:
    random_taxonomy(24, height=2, seed=3).save(tmp_path / "tax.json")
    kinds = () if kind == "no server" else (kind,)
    with FaultServer(rate=1.0, kinds=kinds, max_faults_per_body=99) as server:
        url = "http://127.0.0.1:9/v1" if kind == "no server" else server.base_url
        done = subprocess.run(
            [
                *(sys.executable, "-W", "always", "-m", "steps_agents", "synth"),
                *("--taxonomy", str(tmp_path / "tax.json"), "-o", str(tmp_path / "s.jsonl")),
                *("-n", "20", "--model", "stub", "--base-url", url, "--max-retries", "1"),
                *("--judges", "format", "--structured", "json", "--run-id", "stopped"),
            ],
            env={**os.environ, "STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert "never awaited" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    expected = {"401": "--api-key-env", "malformed": "--base-url", "no server": "network error"}
    assert expected[kind] in errors[0]


def test_an_evaluation_whose_model_answers_nothing_stops_saying_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = write_tasks_file(tmp_path / "t.jsonl", toolworld_tasks({2: 10}))
    with FaultServer(rate=1.0, kinds=("empty",), max_faults_per_body=999) as server:
        code = main(
            [
                *("eval", str(tasks), "--agent", "model:stub", "--base-url", server.base_url),
                *("-o", str(tmp_path / "r.json"), "--state-dir", str(tmp_path / "st"), "--json"),
            ]
        )
    err = capsys.readouterr().err.splitlines()
    errors = [line for line in err if line.startswith("error: ")]
    # before: exit 0 and 10 episodes failed "got ''", nothing saying the model answered nothing
    assert code == 1 and len(errors) == 1, err
    assert "empty reply" in errors[0] and "answered nothing" in errors[0]
    assert any(line.startswith("run id ") for line in err)  # --json still names the run
    # The breaker trips at its 10th attempt; calls already in flight (up to the eval's 8 episodes
    # at a time) still reach the server, so the bound is 10 + 7, against 10 episodes x 5 attempts.
    assert len(server.log) <= 17
