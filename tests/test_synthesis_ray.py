"""``steps synth --executor ray``: model calls on Ray workers give the local run's samples.

The Ray runs happen in a child process with a local Ray of ``num_cpus=2`` (``--workers 2``), as
in tests/test_shards.py: an in-process Ray driver once ended the whole pytest run. The child runs
the same synthesis (fake:echo, deterministic) with the local executor and with Ray, then a run
whose only server refuses connections (marked slow: a second Ray start), and prints what the
test compares.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from steps_agents.models import ModelOptions
from steps_agents.models.remote import RayModelClient, worker_options
from steps_agents.selection.synthetic import random_taxonomy

CHILD = r"""
import contextlib, io, json, socket, sys
from pathlib import Path
from steps_agents.cli import main

tmp = Path(sys.argv[1])
common = ["synth", "--taxonomy", str(tmp / "tax.json"), "--model", "fake:echo", "--judges",
          "format,language", "-n", "10", "--k", "2-3", "--json"]

def run(name, *extra):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*common, "-o", str(tmp / f"{name}.jsonl"), "--run-id", name, *extra])
    return {"code": code, "out": out.getvalue(), "err": err.getvalue()[-2000:]}

with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
if sys.argv[2] == "compare":
    results = {"local": run("local"), "ray": run("ray", "--executor", "ray", "--workers", "2")}
else:
    results = {"down": run("down", "--executor", "ray", "--workers", "2", "--base-url", dead,
                           "--max-retries", "1", "--timeout", "5")}
print("RESULTS " + json.dumps(results))
"""


def _samples(path: Path) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["metadata"].pop("run_id")  # type: ignore[union-attr]
    return rows


def _child(tmp_path: Path, what: str) -> dict[str, dict[str, Any]]:
    pytest.importorskip("ray", reason="needs the ray extra (pip install 'steps-agents[ray]')")
    random_taxonomy(24, height=2, seed=2).save(tmp_path / "tax.json")
    env = {"STEPS_AGENTS_NO_PROGRESS": "1", "NO_PROXY": "127.0.0.1", "RAY_AUTH_MODE": "disabled"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), what],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | env,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULTS ")), None)
    assert line is not None, done.stderr[-3000:]
    results: dict[str, dict[str, Any]] = json.loads(line.removeprefix("RESULTS "))
    return results


def test_ray_executor_gives_the_local_runs_accepted_samples(tmp_path: Path) -> None:
    results = _child(tmp_path, "compare")
    local, ray = results["local"], results["ray"]
    assert local["code"] == 0 and ray["code"] == 0, (local["err"], ray["err"])
    assert _samples(tmp_path / "ray.jsonl") == _samples(tmp_path / "local.jsonl")
    local_usage = json.loads(local["out"])["usage"]
    ray_usage = json.loads(ray["out"])["usage"]
    # The workers' counters came back to the driver: every written sample cost a call there.
    # (How many items beyond the target were started before it was reached depends on timing,
    # so the call counts of the two runs may differ by a few.)
    for usage in (local_usage, ray_usage):
        assert usage["calls"] >= 10 and usage["failures"] == 0
        assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert abs(ray_usage["calls"] - local_usage["calls"]) <= 2 * 8  # two slots' worth at most


@pytest.mark.slow
def test_a_failed_server_stops_a_ray_run_in_one_line(tmp_path: Path) -> None:
    down = _child(tmp_path, "down")["down"]
    assert down["code"] == 1, down
    errors = [x for x in down["err"].splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and "network error" in errors[0], down["err"]
    assert "Traceback" not in down["err"]


def test_each_worker_gets_a_share_of_the_concurrency_and_the_budget() -> None:
    options = ModelOptions(base_url=["http://a/v1#5", "http://b/v1"], concurrency=9)
    share = worker_options(options, 2)
    assert share.concurrency == 5 and share.cache is False and share.executor == "local"
    assert [str(s) for s in share.servers()] == ["http://a/v1#3", "http://b/v1"]

    client = object.__new__(RayModelClient)  # routing only: no Ray needed
    client.workers = [object(), object(), object()]
    client._spent = [0, 0, 0]
    client.share_budget(10)
    assert client.shares == [4, 3, 3]
    from langchain_core.messages import HumanMessage

    convo = [HumanMessage("write a sample using skills a and b")]
    first = client._worker_for(convo)
    assert client._worker_for(list(convo)) == first  # an item's calls go to one worker
    client._spent[first] = client.shares[first] or 0  # its share is spent: the next one
    assert client._worker_for(convo) == (first + 1) % 3
    client._spent = [4, 3, 3]  # every share spent: still its own worker (the run stops it)
    assert client._worker_for(convo) == first
    client.share_budget(None)
    assert client._worker_for(convo) == first


def test_ray_flags_are_checked_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from steps_agents.cli import main

    random_taxonomy(24, height=2, seed=2).save(tmp_path / "tax.json")
    common = ["synth", "--taxonomy", str(tmp_path / "tax.json"), "--model", "fake:echo"]
    for extra, expected in (
        (["--ray-address", "auto"], "--ray-address: needs the ray executor"),
        (["--executor", "ray", "--workers", "0"], "--workers: "),
        (["--base-url", "http://a/v1#0"], "--base-url: 'http://a/v1#0': the concurrency"),
    ):
        assert main([*common, "-o", str(tmp_path / "o.jsonl"), *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"error: {expected}"), err
