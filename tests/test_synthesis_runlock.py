"""One process per run id: a second ``steps synth`` with the same run id is refused naming the
pid that holds the lock; a lock left by a SIGKILLed process is taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from steps_agents.cli import main
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.runlock import RunLock, RunLockedError

TESTS = Path(__file__).parent


def test_a_held_lock_refuses_a_second_holder_and_is_free_after_close(tmp_path: Path) -> None:
    first = RunLock(tmp_path, "r1")
    with pytest.raises(RunLockedError, match=rf"'r1' is already running in process {os.getpid()}"):
        RunLock(tmp_path, "r1")
    RunLock(tmp_path, "other").close()  # another run id is another lock
    odd = RunLock(tmp_path / "state", "../escape")  # never a path outside the state directory
    assert odd.path.parent == tmp_path / "state"
    odd.close()
    first.close()
    first.close()  # idempotent
    RunLock(tmp_path, "r1").close()


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path;"
        "from steps_agents.synthesis.runlock import RunLock;"
        f"lock = RunLock(Path({str(tmp_path)!r}), 'r1'); print('locked', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError, match=f"process {proc.pid}"):
            RunLock(tmp_path, "r1")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert (tmp_path / "r1.lock").read_text().strip() == str(proc.pid)  # left behind
    lock = RunLock(tmp_path, "r1")
    assert (tmp_path / "r1.lock").read_text().strip() == str(os.getpid())
    lock.close()


def test_a_second_synth_with_the_same_run_id_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    random_taxonomy(30, height=2, seed=5).save(tmp_path / "tax.json")
    args = ["synth", "--taxonomy", str(tmp_path / "tax.json"), "-o", str(tmp_path / "o.jsonl")]
    args += ["-n", "40", "--model", "helpers_synthesis:slow_model", "--run-id", "twice"]
    args += ["--judges", "format", "--concurrency", "2"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    env.update(STEPS_FAKE_LATENCY="0.2", STEPS_FAKE_COUNTER=str(tmp_path / "c.txt"))
    env["STEPS_AGENTS_NO_PROGRESS"] = "1"
    proc = subprocess.Popen([sys.executable, "-m", "steps_agents", *args], env=env)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "c.txt").exists():  # the first run is calling its model
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        code = main(args)
        err = [e for e in capsys.readouterr().err.splitlines() if e.startswith("error: ")]
        assert code == 2 and len(err) == 1, err
        assert err[0].startswith("error: run 'twice' is already running in process ")
        assert str(proc.pid) in err[0]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
