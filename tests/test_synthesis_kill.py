"""A synth run killed with SIGKILL mid-way and resumed with the same run id.

The subprocess runs the real CLI with a slow fake model (``helpers_synthesis:slow_model``, 50 ms a
call) that appends one line per call to a counter file. After the kill, the rerun must end with
exactly N accepted samples, no duplicate, nothing accepted before the kill lost or rewritten, no
model call for any sample that was already accepted, and exactly the samples of an uninterrupted
run with the same seed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers_synthesis import read_calls, read_jsonl

from steps_agents.selection.synthetic import random_taxonomy

TESTS = Path(__file__).parent
N = 40


def _command(tmp_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "steps_agents",
        "synth",
        "--taxonomy",
        str(tmp_path / "taxonomy.json"),
        "-n",
        str(N),
        "--k",
        "2-3",
        "--model",
        "helpers_synthesis:slow_model",
        "-o",
        str(tmp_path / "out.jsonl"),
        "--run-id",
        "killme",
        "--judges",
        "format,language,dedup",
        "--concurrency",
        "4",
        "--wave-size",
        "8",
    ]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    env["STEPS_FAKE_COUNTER"] = str(tmp_path / "calls.txt")
    env["STEPS_FAKE_LATENCY"] = "0.05"
    env["STEPS_AGENTS_NO_PROGRESS"] = "1"
    env["STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


def _samples(rows: list[dict[str, Any]]) -> list[str]:
    """What makes two runs' samples equal: ids, messages and skills, in any order."""
    return sorted(
        json.dumps([r["id"], r["messages"], r["metadata"]["skills"]], sort_keys=True) for r in rows
    )


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_gives_exactly_n_without_repeated_calls(
    tmp_path: Path,
) -> None:
    random_taxonomy(30, height=2, seed=5).save(tmp_path / "taxonomy.json")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        _command(tmp_path), env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    try:
        # Kill after 20 answered calls: with waves of 8 and 4 calls at a time, several waves
        # are in the pipeline then (some written, some judged, some waiting for the model).
        while len(read_calls(tmp_path / "calls.txt")) < 20:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the run produced no output in 60 s"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    before = read_jsonl(out)
    assert 8 <= len(before) < N, "the kill must land mid-run"
    accepted_before = {frozenset(r["metadata"]["skills"]) for r in before}
    calls_before = len(read_calls(tmp_path / "calls.txt"))
    bytes_before = out.read_bytes()

    done = subprocess.run(
        _command(tmp_path), env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr + done.stdout
    rows = read_jsonl(out)
    assert len(rows) == N
    assert len({r["id"] for r in rows}) == N
    assert len({frozenset(r["metadata"]["skills"]) for r in rows}) == N
    assert out.read_bytes().startswith(bytes_before)  # nothing accepted was lost or rewritten
    assert all(r["metadata"]["run_id"] == "killme" for r in rows)

    resumed_calls = read_calls(tmp_path / "calls.txt")[calls_before:]
    assert resumed_calls, "the resumed run had work left to do"
    repeated = [skills for _, _, skills in resumed_calls if skills in accepted_before]
    assert repeated == [], f"{len(repeated)} model calls repeated for samples already accepted"
    assert "run killme: 40/40 accepted" in done.stdout
    # Exact: the same samples as an uninterrupted run with the same seed (decisions follow the
    # items, never the timing of the kill).
    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "taxonomy.json").write_bytes((tmp_path / "taxonomy.json").read_bytes())
    whole = subprocess.run(
        _command(ref), env=_env(ref), capture_output=True, text=True, timeout=120
    )
    assert whole.returncode == 0, whole.stderr + whole.stdout
    assert _samples(rows) == _samples(read_jsonl(ref / "out.jsonl"))
    print(f"killed at {len(before)} accepted, {calls_before} calls; resumed:\n{done.stdout}")
