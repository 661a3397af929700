"""Reliability on the wire: kill-and-resume trials and stragglers, against the fault server.

Both run the real ``steps synth`` CLI in subprocesses through langchain-openai (``--base-url``)
against ``tests/fault_server.py`` (answers like ``fake:echo``; faults on a seeded script).

``python benchmarks/reliability.py kill --trials 5``
    A reference run (n=40, seed 7, 10% faults of every kind but 401 and wrong_schema: a
    wrong-schema retry shows the model its mistake, so its answer legitimately differs), then per
    trial: start, SIGKILL after a random number of requests (three times), resume to the end.
    Prints per trial whether the samples equal the reference (ids, messages, skills; when not,
    which ids differ and what the other run decided for them), duplicate samples, requests sent,
    and the requests re-sent whose earlier copy the server answered: whether that reply was
    written before the kill (how long before, at most) and whether the request was for a sample
    accepted at the kill (which must never happen). Each trial's server log is kept beside it.

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
import re
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


def _skills(prompt: str) -> frozenset[str]:
    """The skill names a generation prompt lists (between ``Skills (k = ...)`` and the seeds)."""
    head = prompt.split("Skills (k =", 1)[-1].split("Seed examples", 1)[0]
    return frozenset(re.findall(r"\bs\d{5}\b", head))


def resent(log: list[dict[str, Any]], kills: list[tuple[float, set[frozenset[str]]]]) -> dict:
    """Requests whose identical earlier copy got a usable answer, split by what the client
    could know at the kill between them: the reply was written before the kill (``received``:
    the response cache should have made the re-send impossible) or not (``in flight``: killed
    while waiting, unavoidable); ``for accepted`` counts those whose skills were an accepted
    sample on disk at that kill (a request for an accepted sample)."""
    answered: dict[str, dict[str, Any]] = {}
    out: dict[str, Any] = {"received": 0, "in flight": 0, "for accepted": 0, "max ms": 0}
    for entry in log:
        earlier = answered.get(entry["key"])
        if earlier is not None:
            between = [k for k in kills if earlier["t"] <= k[0] <= entry["t"]]
            kill_t, on_disk = between[0] if between else (entry["t"], set())
            sent = earlier.get("sent")
            received = sent is not None and sent < kill_t
            out["received" if received else "in flight"] += 1
            if received:  # how long before the kill its reply was written
                out["max ms"] = max(out["max ms"], round((kill_t - sent) * 1000))
            out["for accepted"] += _skills(entry["prompt"]) in on_disk
        if entry.get("status") == 200 and entry["fault"] in (None, "slow"):
            answered[entry["key"]] = entry
    return out


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.open(encoding="utf-8") if line.strip())
    return {r["id"]: r for r in rows}


def _skill_sets(path: Path) -> set[frozenset[str]]:
    return {frozenset(r["metadata"]["skills"]) for r in _rows(path).values()}


def explain(reference: Path, got: Path) -> str:
    """Which ids differ, and what the other run decided for them (reject reason or absent)."""
    ref, out = _rows(reference), _rows(got)
    ref_rej = _rows(reference.with_name(reference.stem + ".rejects.jsonl"))
    out_rej = _rows(got.with_name(got.stem + ".rejects.jsonl"))
    lines = []
    for sid in sorted(set(ref) - set(out)):
        why = out_rej.get(sid, {}).get("reason", "never decided")
        lines.append(f"    only in the reference: {sid} (here: {why[:90]})")
    for sid in sorted(set(out) - set(ref)):
        why = ref_rej.get(sid, {}).get("reason", "never decided")
        lines.append(f"    only here: {sid} (reference: {why[:90]})")
    for sid in sorted(set(out) & set(ref)):
        if out[sid]["messages"] != ref[sid]["messages"]:
            lines.append(f"    other messages: {sid}")
    return "\n".join(lines)


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
    print(f"reference: {len(reference)} samples, {per_run} requests ({base})")
    rng = random.Random(seed)
    exact = clean = 0
    latest_ms = 0
    for trial in range(trials):
        folder = base / f"trial{trial}"
        folder.mkdir()
        (folder / "tax.json").write_bytes((base / "tax.json").read_bytes())
        out = folder / "out.jsonl"
        with server() as s:
            kills: list[tuple[float, set[frozenset[str]]]] = []
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
                kills.append((s.now(), _skill_sets(out)))
            done = subprocess.run(
                synth(folder, s.base_url, out, n, *extra), env=ENV, capture_output=True
            )
            (folder / "server-log.json").write_text(json.dumps(s.log), encoding="utf-8")
            got = samples(out)
            exact += got == reference
            again = resent(s.log, kills)
            clean += again["for accepted"] == 0
            latest_ms = max(latest_ms, again["max ms"])
            print(
                f"trial {trial}: written at the kills {[len(k[1]) for k in kills]},"
                f" exit {done.returncode}, {len(got)} samples, equal to the reference:"
                f" {got == reference}, duplicates {len(got) - len(set(got))}, requests"
                f" {len(s.log)} (reference {per_run}), answered requests re-sent: {again}"
            )
            if got != reference:
                print(explain(base / "ref.jsonl", out))
    print(f"{exact}/{trials} trials ended with exactly the reference samples")
    print(f"{clean}/{trials} trials re-sent no request for a sample accepted at a kill")
    print(
        "re-sent requests were answered at most"
        f" {latest_ms} ms before the kill (replies the killed client had not yet processed)"
    )


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
