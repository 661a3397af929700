"""A synth run stopped with Ctrl-C (SIGINT) mid-way and rerun once with the same run id.

SIGINT cancels the graph inside a superstep; unlike SIGKILL, LangGraph then saves the cancelled
tasks' partial writes. A planner cancelled between its state update and its routing used to
leave a wave planned but never composed: the rerun waited for it and ended 'interrupted' short
of N. The rerun must finish in one go: exit 0, exactly N unique samples, nothing accepted before
the interrupt lost. Two interrupt points: early (few waves written) and mid-run.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from helpers_resume import rerun_to_the_end, stop_when, synth_command
from helpers_synthesis import read_jsonl

from steps_agents.selection.synthetic import random_taxonomy

N = 60


@pytest.mark.slow
@pytest.mark.parametrize("accepted_at_interrupt", [10, 30])
def test_sigint_mid_run_then_one_rerun_gives_exactly_n(
    tmp_path: Path, accepted_at_interrupt: int
) -> None:
    random_taxonomy(40, height=2, seed=5).save(tmp_path / "taxonomy.json")
    out = tmp_path / "out.jsonl"
    command = synth_command(tmp_path, n=N, run_id="ctrlc")

    def enough_accepted() -> bool:
        return out.exists() and len(read_jsonl(out)) >= accepted_at_interrupt

    code = stop_when(command, tmp_path, enough_accepted, signal.SIGINT)
    assert code == 130  # the CLI's Ctrl-C exit
    assert len(read_jsonl(out)) < N, "the interrupt must land mid-run"
    rerun_to_the_end(command, tmp_path, n=N, run_id="ctrlc", before=out.read_bytes())
