"""Reliability on the wire: kill-and-resume trials and stragglers, against the fault server.

Both run the real ``steps synth`` CLI in subprocesses through langchain-openai (``--base-url``)
against ``tests/fault_server.py`` (answers like ``fake:echo``; faults on a seeded script).

``python benchmarks/reliability.py kill --trials 5``
    A reference run (n=40, seed 7, 10% faults of every kind but 401 and wrong_schema: a
    wrong-schema retry shows the model its mistake, so its answer legitimately differs), then per
    trial: start, SIGKILL after a random number of requests (three times), resume to the end.
    Prints per trial whether the samples equal the reference (ids, messages, skills), duplicate
    samples, requests sent, and requests re-sent whose earlier copy was answered (a cache write
    lost at the kill, or an accepted sample asked again).

``python benchmarks/reliability.py stragglers``
    n=200 at concurrency 8, fault-free vs 3% of requests slowed to 5 s. Prints both wall times,
    the slow-call count and the ratio of the extra time to the target
    ``1.5 x slow calls x delay / concurrency``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fault_server import TRANSIENT, FaultServer  # noqa: E402

from steps_agents.selection.synthetic import random_taxonomy  # noqa: E402

ENV = dict(
    os.environ,
    OPENAI_API_KEY="sk-bench",
    STEPS_AGENTS_NO_PROGRESS="1",
    NO_PROXY="127.0.0.1,localhost",
    STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD="1",
)


def synth(folder: Path, url: str, out: Path, n: int, *extra: str) -> list[str]:
    return [
        *(sys.executable, "-m", "steps_agents", "synth", "--taxonomy", str(folder / "tax.json")),
        *("-o", str(out), "-n", str(n), "--k", "2-3", "--model", "stub", "--base-url", url),
        *("--run-id", "bench", "--judges", "format,language,dedup", "--seed", "7", *extra),
    ]


def samples(path: Path) -> list[str]:
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return sorted(
        json.dumps([r["id"], r["messages"], r["metadata"]["skills"]], sort_keys=True) for r in rows
    )


def resent_answered(log: list[dict[str, Any]]) -> int:
    """Requests whose identical earlier copy got a usable answer."""
    answered: set[str] = set()
    again = 0
    for entry in log:
        if entry["key"] in answered:
            again += 1
        if entry.get("status") == 200 and entry["fault"] in (None, "slow"):
            answered.add(entry["key"])
    return again


def kill_trials(trials: int, n: int, seed: int) -> None:
    kinds = tuple(k for k in TRANSIENT if k != "wrong_schema")
    base = Path(tempfile.mkdtemp(prefix="steps-kill-"))
    random_taxonomy(30, height=2, seed=5).save(base / "tax.json")
    extra = ("--concurrency", "4", "--wave-size", "8")

    def server() -> FaultServer:
        return FaultServer(rate=0.1, seed=2, kinds=kinds, slow_delay=0.2)

    with server() as s:
        subprocess.run(synth(base, s.base_url, base / "ref.jsonl", n, *extra), env=ENV, check=True)
        reference, per_run = samples(base / "ref.jsonl"), len(s.log)
    print(f"reference: {len(reference)} samples, {per_run} requests")
    rng = random.Random(seed)
    exact = 0
    for trial in range(trials):
        folder = base / f"trial{trial}"
        folder.mkdir()
        (folder / "tax.json").write_bytes((base / "tax.json").read_bytes())
        out = folder / "out.jsonl"
        with server() as s:
            kills = []
            for _ in range(3):
                proc = subprocess.Popen(
                    synth(folder, s.base_url, out, n, *extra),
                    env=ENV,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                start, after = len(s.log), rng.randint(3, max(4, per_run // 3))
                while len(s.log) - start < after and proc.poll() is None:
                    time.sleep(0.005)
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills.append(len(samples(out)))
            done = subprocess.run(
                synth(folder, s.base_url, out, n, *extra), env=ENV, capture_output=True
            )
            got = samples(out)
            exact += got == reference
            print(
                f"trial {trial}: written at the kills {kills}, exit {done.returncode},"
                f" {len(got)} samples, equal to the reference: {got == reference},"
                f" duplicates {len(got) - len(set(got))}, requests {len(s.log)}"
                f" (reference {per_run}), answered requests re-sent {resent_answered(s.log)}"
            )
    print(f"{exact}/{trials} trials ended with exactly the reference samples")


def stragglers(n: int, concurrency: int, delay: float, share: float) -> None:
    base = Path(tempfile.mkdtemp(prefix="steps-straggle-"))
    random_taxonomy(40, height=2, seed=3).save(base / "tax.json")
    extra = ("--concurrency", str(concurrency))
    times = {}
    for label, rate in (("fault-free", 0.0), ("slowed", share)):
        with FaultServer(rate=rate, seed=3, kinds=("slow",), slow_delay=delay) as s:
            start = time.perf_counter()
            out = base / f"{label}.jsonl"
            subprocess.run(synth(base, s.base_url, out, n, *extra), env=ENV, check=True)
            times[label] = time.perf_counter() - start
            slow = s.faults().get("slow", 0)
    extra_time = times["slowed"] - times["fault-free"]
    target = 1.5 * slow * delay / concurrency
    print(
        f"fault-free {times['fault-free']:.1f} s; {slow} calls slowed to {delay:g} s:"
        f" {times['slowed']:.1f} s; extra {extra_time:.1f} s vs target {target:.1f} s"
        f" (ratio {extra_time / target:.2f}; <= 1 meets it)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    kill = sub.add_parser("kill")
    kill.add_argument("--trials", type=int, default=5)
    kill.add_argument("-n", type=int, default=40)
    kill.add_argument("--seed", type=int, default=0)
    slow = sub.add_parser("stragglers")
    slow.add_argument("-n", type=int, default=200)
    slow.add_argument("--concurrency", type=int, default=8)
    slow.add_argument("--delay", type=float, default=5.0)
    slow.add_argument("--share", type=float, default=0.03)
    args = parser.parse_args()
    if args.what == "kill":
        kill_trials(args.trials, args.n, args.seed)
    else:
        stragglers(args.n, args.concurrency, args.delay, args.share)


if __name__ == "__main__":
    main()
