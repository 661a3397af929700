"""Stop a real ``steps synth`` subprocess mid-run, rerun it, and check the rerun's output.

Shared by the SIGKILL and the Ctrl-C (SIGINT) tests: the command (a slow fake model,
``helpers_synthesis:slow_model`` at 50 ms a call, waves of 8, 4 calls at a time), its
environment, the stop and the assertions every resumed run must meet.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers_synthesis import read_jsonl

TESTS = Path(__file__).parent


def synth_command(tmp_path: Path, *, n: int, run_id: str) -> list[str]:
    """The CLI call: ``tmp_path/taxonomy.json`` in, ``tmp_path/out.jsonl`` out."""
    return [
        sys.executable,
        "-m",
        "steps_agents",
        "synth",
        "--taxonomy",
        str(tmp_path / "taxonomy.json"),
        "-n",
        str(n),
        "--k",
        "2-3",
        "--model",
        "helpers_synthesis:slow_model",
        "-o",
        str(tmp_path / "out.jsonl"),
        "--run-id",
        run_id,
        "--judges",
        "format,language,dedup",
        "--concurrency",
        "4",
        "--wave-size",
        "8",
    ]


def synth_env(tmp_path: Path) -> dict[str, str]:
    """The slow fake model counting its calls in ``tmp_path/calls.txt``; no plugins, no bar."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    env["STEPS_FAKE_COUNTER"] = str(tmp_path / "calls.txt")
    env["STEPS_FAKE_LATENCY"] = "0.05"
    env["STEPS_AGENTS_NO_PROGRESS"] = "1"
    env["STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


def stop_when(
    command: list[str], tmp_path: Path, ready: Callable[[], bool], sig: signal.Signals
) -> int:
    """Run ``command``, send ``sig`` once ``ready()`` holds (60 s at most), return its exit code.

    The child gets the default SIGINT handler back (a test runner may have it ignored), so
    SIGINT reaches the CLI as a Ctrl-C would.
    """
    proc = subprocess.Popen(
        command,
        env=synth_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    try:
        while not ready():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the run did not get there in 60 s"
            time.sleep(0.01)
        proc.send_signal(sig)
    finally:
        proc.wait(timeout=30)
    return proc.returncode


def rerun_to_the_end(
    command: list[str], tmp_path: Path, *, n: int, run_id: str, before: bytes
) -> list[dict[str, Any]]:
    """Rerun ``command`` once and check it finished the run: exit 0, exactly ``n`` samples,
    unique ids and skill sets, the bytes written ``before`` kept as they were. The rows."""
    done = subprocess.run(
        command, env=synth_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr + done.stdout
    out = tmp_path / "out.jsonl"
    rows = read_jsonl(out)
    assert len(rows) == n
    assert len({r["id"] for r in rows}) == n
    assert len({frozenset(r["metadata"]["skills"]) for r in rows}) == n
    assert out.read_bytes().startswith(before)  # nothing accepted was lost or rewritten
    assert f"run {run_id}: {n}/{n} accepted" in done.stdout
    print(f"resumed:\n{done.stdout}")
    return rows
