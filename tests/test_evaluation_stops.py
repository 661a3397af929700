"""``steps eval`` stopped early -- a refused key, malformed replies, no server, Ctrl-C -- says why
in one line, names the run id to resume with, and leaves no coroutine unawaited (issues 11, 17).

Each run is a real ``python -W always::RuntimeWarning -m steps_agents eval`` with a model agent
against the fault-injecting server (tests/fault_server.py), so every warning the interpreter
emits at shutdown reaches the captured stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fault_server import FaultServer
from helpers_evaluation import toolworld_tasks, write_tasks_file

pytest.importorskip("langchain_openai")

ENV = {**os.environ, "STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONUNBUFFERED": "1"}


def eval_command(tasks: Path, url: str, tmp_path: Path, *extra: str) -> list[str]:
    return [
        *(sys.executable, "-W", "always::RuntimeWarning", "-m", "steps_agents", "eval"),
        *(str(tasks), "--agent", "model:stub", "--base-url", url, "--max-retries", "1"),
        *("-o", str(tmp_path / "r.json"), "--state-dir", str(tmp_path / "st"), *extra),
    ]


def assert_clean(stderr: str) -> None:
    assert "never awaited" not in stderr, stderr
    assert "RuntimeWarning" not in stderr, stderr
    assert "Traceback" not in stderr, stderr


@pytest.mark.parametrize("kind", ["401", "malformed", "no server"])
def test_a_stopped_evaluation_says_why_once_and_names_the_run_id(tmp_path: Path, kind: str) -> None:
    tasks = write_tasks_file(tmp_path / "t.jsonl", toolworld_tasks({2: 12}))
    kinds = () if kind == "no server" else (kind,)
    with FaultServer(rate=1.0, kinds=kinds, max_faults_per_body=99) as server:
        url = "http://127.0.0.1:9/v1" if kind == "no server" else server.base_url
        done = subprocess.run(
            eval_command(tasks, url, tmp_path, "--json"),
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""  # no report: the run did not finish
    assert_clean(done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    expected = {"401": "--api-key-env", "malformed": "--base-url", "no server": "network error"}
    assert expected[kind] in errors[0]
    # --json still names the run on stderr, and how to resume it: the id was derived, not given.
    header = [line for line in done.stderr.splitlines() if line.startswith("run id ")]
    assert len(header) == 1, done.stderr
    run_id = header[0].split()[2]
    assert f"rerun with --run-id {run_id}" in header[0]


def test_ctrl_c_stops_an_evaluation_with_requests_in_flight_cleanly(tmp_path: Path) -> None:
    tasks = write_tasks_file(tmp_path / "t.jsonl", toolworld_tasks({2: 12}))
    err = tmp_path / "stderr.txt"
    with (
        FaultServer(rate=1.0, kinds=("slow",), slow_delay=3.0, max_faults_per_body=99) as server,
        err.open("w") as sink,
    ):
        command = eval_command(tasks, server.base_url, tmp_path, "--run-id", "cc")
        proc = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=sink)
        try:
            deadline = time.monotonic() + 60
            while len(server.log) < 4 and time.monotonic() < deadline:  # calls in flight
                time.sleep(0.05)
            assert len(server.log) >= 4, err.read_text()
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stderr = err.read_text()
    assert code == 130, stderr
    assert "interrupted" in stderr
    assert_clean(stderr)
    assert "rerun the same command to resume" in stderr.splitlines()[0]  # --run-id was given


def test_a_missing_key_variable_stops_before_the_run_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from steps_agents.cli import main

    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    tasks = write_tasks_file(tmp_path / "t.jsonl", toolworld_tasks({2: 2}))
    argv = eval_command(tasks, "http://127.0.0.1:9/v1", tmp_path, "--json")[5:]  # from "eval"
    assert main([*argv, "--api-key-env", "NO_SUCH_KEY_VAR"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "NO_SUCH_KEY_VAR" in err[0], err
