"""A synth run killed with SIGKILL mid-way and resumed with the same run id.

The subprocess runs the real CLI with a slow fake model (``helpers_synthesis:slow_model``, 50 ms a
call) that appends one line per call to a counter file. After the kill, the rerun must end with
exactly N accepted samples, no duplicate, nothing accepted before the kill lost or rewritten, no
model call for any sample that was already accepted, and exactly the samples of an uninterrupted
run with the same seed.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers_resume import rerun_to_the_end, stop_when, synth_command, synth_env
from helpers_synthesis import read_calls, read_jsonl

from steps_agents.selection.synthetic import random_taxonomy

N = 40


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
    out, calls = tmp_path / "out.jsonl", tmp_path / "calls.txt"
    command = synth_command(tmp_path, n=N, run_id="killme")
    # Kill after 20 answered calls: with waves of 8 and 4 calls at a time, several waves
    # are in the pipeline then (some written, some judged, some waiting for the model).
    code = stop_when(command, tmp_path, lambda: len(read_calls(calls)) >= 20, signal.SIGKILL)
    assert code == -signal.SIGKILL

    before = read_jsonl(out)
    assert 8 <= len(before) < N, "the kill must land mid-run"
    accepted_before = {frozenset(r["metadata"]["skills"]) for r in before}
    calls_before = len(read_calls(calls))

    rows = rerun_to_the_end(command, tmp_path, n=N, run_id="killme", before=out.read_bytes())
    assert all(r["metadata"]["run_id"] == "killme" for r in rows)
    resumed_calls = read_calls(calls)[calls_before:]
    assert resumed_calls, "the resumed run had work left to do"
    repeated = [skills for _, _, skills in resumed_calls if skills in accepted_before]
    assert repeated == [], f"{len(repeated)} model calls repeated for samples already accepted"
    # Exact: the same samples as an uninterrupted run with the same seed (decisions follow the
    # items, never the timing of the kill).
    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "taxonomy.json").write_bytes((tmp_path / "taxonomy.json").read_bytes())
    whole = subprocess.run(
        synth_command(ref, n=N, run_id="killme"),
        env=synth_env(ref),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert whole.returncode == 0, whole.stderr + whole.stdout
    assert _samples(rows) == _samples(read_jsonl(ref / "out.jsonl"))
    print(f"killed at {len(before)} accepted, {calls_before} calls")
