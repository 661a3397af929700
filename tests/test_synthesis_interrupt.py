"""A synth run stopped with Ctrl-C (SIGINT) mid-way and rerun once with the same run id.

SIGINT cancels the graph inside a superstep; unlike SIGKILL, LangGraph then saves the cancelled
tasks' partial writes. A planner cancelled between its state update and its routing used to
leave a wave planned but never composed: the rerun waited for it and ended 'interrupted' short
of N. The rerun must finish in one go: exit 0, exactly N unique samples, nothing accepted before
the interrupt lost. Two interrupt points: early (few waves written) and mid-run.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers_synthesis import read_jsonl
from test_synthesis_kill import _command as kill_command
from test_synthesis_kill import _env

from steps_agents.selection.synthetic import random_taxonomy

N = 60


def _command(tmp_path: Path) -> list[str]:
    """The kill test's command (slow fake model, waves of 8) with its own run id and N."""
    cmd = kill_command(tmp_path)
    cmd[cmd.index("-n") + 1] = str(N)
    cmd[cmd.index("--run-id") + 1] = "ctrlc"
    return cmd


@pytest.mark.slow
@pytest.mark.parametrize("accepted_at_interrupt", [10, 30])
def test_sigint_mid_run_then_one_rerun_gives_exactly_n(
    tmp_path: Path, accepted_at_interrupt: int
) -> None:
    random_taxonomy(40, height=2, seed=5).save(tmp_path / "taxonomy.json")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        _command(tmp_path),
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    try:
        while not out.exists() or len(read_jsonl(out)) < accepted_at_interrupt:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the run wrote too little in 60 s"
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == 130  # the CLI's Ctrl-C exit
    before = read_jsonl(out)
    assert len(before) < N, "the interrupt must land mid-run"
    bytes_before = out.read_bytes()

    done = subprocess.run(
        _command(tmp_path), env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr + done.stdout
    rows = read_jsonl(out)
    assert len(rows) == N
    assert len({r["id"] for r in rows}) == N
    assert len({frozenset(r["metadata"]["skills"]) for r in rows}) == N
    assert out.read_bytes().startswith(bytes_before)
    assert f"run ctrlc: {N}/{N} accepted" in done.stdout
