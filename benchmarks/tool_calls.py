"""Cost of running world tools on a deadline worker thread (issue 12) vs inline.

    python benchmarks/tool_calls.py [--calls 5000]

Times ``TaskSession.call`` on the test suite's calc world's ``add`` (the cheapest tool, so the
worst case for the overhead): inline (as before the per-episode deadline) and on the reused
per-thread worker that lets the caller stop waiting at the episode's deadline. Prints
microseconds per call and the ratio; read the ratio, the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers_evaluation import CalcWorld, make_task  # noqa: E402

from steps_agents.worlds import TaskSession  # noqa: E402


def per_call(calls: int, *, worker: bool) -> float:
    task = make_task("t", [("add", {"a": 1, "b": 2})], 3, instruction="add")
    session = TaskSession(CalcWorld(), task)
    if not worker:
        session._seconds = lambda: None  # type: ignore[method-assign, assignment, return-value]
    start = time.perf_counter()
    for _ in range(calls):
        session.call("add", {"a": 1, "b": 2})
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    calls = parser.parse_args().calls
    inline, worker = per_call(calls, worker=False), per_call(calls, worker=True)
    print(f"per call: inline {inline:.1f} us, deadline worker {worker:.1f} us")
    print(f"ratio worker / inline: {worker / inline:.2f} (+{worker - inline:.0f} us per call)")


if __name__ == "__main__":
    main()
