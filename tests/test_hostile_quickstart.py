"""Ctrl-C and the quickstart (issue 12): a rerun after an interrupted synthesis finishes every
task instead of reporting on fewer with exit 0, and a report that still covers fewer tasks
than asked says so and exits 1."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from steps_agents.graphs import quickstart

from steps_agents.cli import main


def _report(accepted: int, stop: str, target: int = 70) -> Any:
    return SimpleNamespace(accepted=accepted, target=target, stop_reason=stop)


def test_a_synthesis_that_ends_interrupted_is_asked_again_while_it_gains(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []
    answers = [_report(61, "interrupted"), _report(70, "target reached")]

    def fake(config: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return answers[len(calls) - 1]

    monkeypatch.setattr("steps_agents.graphs.synthesis.run_synthesis", fake)
    config = SimpleNamespace(n=70)
    assert quickstart._synthesise(config, quiet=False).accepted == 70 and len(calls) == 2
    assert "synthesis ended at 61/70 (interrupted); planning the rest" in capsys.readouterr().out
    # No gain on the second ask: stop asking (no loop), the caller reports a partial run.
    calls.clear()
    answers[:] = [_report(61, "interrupted"), _report(61, "interrupted"), _report(70, "x")]
    assert quickstart._synthesise(config, quiet=True).accepted == 61 and len(calls) == 2
    # Any other stop reason is final: asked once.
    calls.clear()
    answers[:] = [_report(40, "budget")]
    assert quickstart._synthesise(config, quiet=True).stop_reason == "budget" and len(calls) == 1


@pytest.mark.parametrize("as_json", [False, True])
def test_a_partial_quickstart_report_says_so_and_exits_1(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    as_json: bool,
) -> None:
    report = SimpleNamespace(agents=[], comparison=None, to_json=lambda: "{}")
    result = quickstart.QuickstartResult(
        tmp_path, None, _report(61, "interrupted"), report, {"report": tmp_path / "r.json"}
    )
    monkeypatch.setattr(quickstart, "run_quickstart", lambda *a, **k: result)
    argv = ["quickstart", "-o", str(tmp_path)] + (["--json"] if as_json else [])
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "error: partial report: synthesis stopped at 61/70 tasks (interrupted);"
        " rerun the same command to complete it"
    )
    result.synthesis = _report(70, "target reached")
    assert main(argv) == 0


@pytest.mark.slow
def test_quickstart_rerun_after_ctrl_c_finishes_every_task(tmp_path: Path) -> None:
    """The reported case, at half its size: Ctrl-C while the quickstart synthesises, then the
    same command again. The rerun exits 0 with all 50 tasks (k = 1..5) synthesised and evaluated (it once
    exited 0 with 134 of 140 and a 134-task report)."""
    out = tmp_path / "qs"
    argv = [sys.executable, "-m", "steps_agents", "quickstart", "-o", str(out), "--per-k", "10"]

    def default_sigint() -> None:  # a child of a background job would inherit SIGINT ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    first = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default_sigint
    )
    samples = out / "samples.jsonl"
    deadline = time.monotonic() + 300
    while first.poll() is None and time.monotonic() < deadline:
        if samples.exists() and samples.read_bytes().splitlines():  # first wave written
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 130, err.decode()[-2000:]
    assert len(samples.read_bytes().splitlines()) < 50

    again = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "partial report" not in again.stderr
    tasks = [json.loads(line) for line in (out / "tasks.jsonl").read_text().splitlines()]
    singles = [t for t in tasks if t["provenance"].get("selector") == "singles"]
    assert len(tasks) - len(singles) == 50  # and the singles on top (steps quickstart --help)
    alone = {s for t in tasks if t["k"] == 1 for s in t["skills"]}
    unmeasured = {s for t in tasks if t["k"] >= 2 for s in t["skills"]} - alone
    assert all(skill in again.stdout for skill in unmeasured)  # listed by the synth report
    report = json.loads((out / "report.json").read_text())
    assert {a["agent"]: a["overall"]["n"] for a in report["agents"]}["oracle"] == len(tasks)
