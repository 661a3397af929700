"""Benchmark: the synthesis graph's overhead over a bare ``asyncio.gather`` of the same calls.

A fake chat model answers every call after a fixed latency (default 50 ms); the client allows
32 calls at once. The graph run synthesises ``--items`` accepted samples (instruct mode, the
``format`` and ``language`` judges, which make no model calls, so one call per item) with the
SQLite checkpointer on, writing JSONL as it goes. The baseline sends the same number of
structured calls through the same client with ``asyncio.gather``. Printed:

    ideal    = items x calls per item x latency / concurrency
    graph / ideal   (target: <= 1.25)
    graph / gather  (the graph's own overhead)
    CPU per item of the graph run and of the gather (on a loaded machine the wall ratios move
    with the load; when CPU per item exceeds latency / concurrency no schedule reaches ideal)

The selector's time is measured separately (it runs once per wave inside the graph and is
included in the graph time). ``--repeat 3`` runs the graph three times in a row and prints each
ratio with its CPU per item; ``--profile`` adds one graph run under cProfile and prints where
its time goes (self time by package, then the heaviest functions by cumulative time). Usage:
``python benchmarks/synthesis.py [--items 1000] [--repeat 3] [--profile]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
os.environ.setdefault("STEPS_AGENTS_NO_PROGRESS", "1")

from helpers_synthesis import SynthFakeModel  # noqa: E402
from steps_agents.graphs.synthesis import arun_synthesis  # noqa: E402

from steps_agents.models import ModelClient, ModelOptions  # noqa: E402
from steps_agents.plugin_manager import default_plugin_manager  # noqa: E402
from steps_agents.selection.synthetic import random_taxonomy  # noqa: E402
from steps_agents.synthesis.config import SynthConfig  # noqa: E402


def make_client(latency: float, concurrency: int) -> ModelClient:
    # No response cache: every call must really wait for the model in both measurements.
    return ModelClient.from_model(
        SynthFakeModel(latency=latency),
        options=ModelOptions(concurrency=concurrency, backoff=0.0),
        spec="fake-bench",
    )


async def bare_gather(items: int, latency: float, concurrency: int) -> tuple[float, float]:
    from plugins_shim import InstructDraft  # type: ignore[import-not-found]

    client = make_client(latency, concurrency)
    prompts = [
        [("system", "Write a conversation."), ("human", f"Skills (k = 2):\n1. a{i}\n2. b{i}")]
        for i in range(items)
    ]
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client.ainvoke(p, schema=InstructDraft) for p in prompts))
    return time.perf_counter() - start, time.process_time() - cpu


async def graph_run(
    items: int, latency: float, concurrency: int, selector: str
) -> tuple[float, dict]:
    taxonomy = random_taxonomy(80, height=2, seed=0)
    client = make_client(latency, concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        config = SynthConfig(
            n=items,
            k=(2, 4),
            selector=selector,
            output=Path(tmp) / "out.jsonl",
            run_id="bench",
            judges=["format", "language"],
            concurrency=concurrency,
        )
        # Loading the plugins (importing their modules) is process start-up, not per-item work;
        # the gather baseline's imports are outside its clock too.
        pm = default_plugin_manager()
        start, cpu = time.perf_counter(), time.process_time()
        report = await arun_synthesis(
            config, pm=pm, model=client, taxonomy=taxonomy, progress=False
        )
        elapsed = time.perf_counter() - start
    return elapsed, report.model_dump() | {
        "cpu_s": time.process_time() - cpu,
        "wave_size": config.effective_wave_size,
    }


def time_selection(items: int, selector: str) -> float:
    from steps_agents.selection import select_combinations

    taxonomy = random_taxonomy(80, height=2, seed=0)
    start = time.perf_counter()
    select_combinations(taxonomy, n=items, k=(2, 3, 4), selector=selector, seed=0)
    return time.perf_counter() - start


# Self time is attributed to the first pattern its file name contains (in this order).
PACKAGES = (
    ("steps_agents/selection", "selection"),
    ("steps_agents/synthesis", "synthesis nodes"),
    ("plugins/", "modes and judges"),
    ("steps_agents/models", "model client"),
    ("tests/helpers", "fake model"),
    ("langgraph/checkpoint", "checkpoint serialisation"),
    ("langgraph", "LangGraph"),
    ("langchain_core", "langchain-core"),
    ("pydantic", "pydantic"),
    ("asyncio", "event loop"),
)


def profile_graph(items: int, latency: float, concurrency: int, selector: str) -> str:
    """One graph run under cProfile: self time by package, then the top functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(graph_run(items, latency, concurrency, selector))
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    for (filename, _, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if "epoll" in name or "'poll'" in name:
            continue  # waiting for the model, not CPU
        label = next((lab for pat, lab in PACKAGES if pat in filename), None)
        if label is None:
            label = "builtins (sqlite, msgpack, json, ...)" if filename == "~" else "other stdlib"
        by_package[label] = by_package.get(label, 0.0) + row[2]
    total = sum(by_package.values())
    lines = [f"profile of one graph run ({total:.2f} s of profiled self time, waits excluded):"]
    for label, t in sorted(by_package.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {label:<40} {t:6.2f} s  {t / total:5.1%}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
        "steps_agents|plugins|langgraph", 20
    )
    body = out.getvalue()
    lines.append(body[body.find("   ncalls") :].rstrip())
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--selector", default="steps")
    parser.add_argument("--repeat", type=int, default=1, help="graph runs in a row")
    parser.add_argument("--profile", action="store_true", help="print a cProfile breakdown")
    args = parser.parse_args()

    # The bare loop needs the instruct mode's schema; import it without the plugin manager.
    import importlib

    sys.modules["plugins_shim"] = importlib.import_module("steps_agents.plugins.instruct_mode")

    ideal = args.items * 1 * args.latency / args.concurrency
    gather, gather_cpu = asyncio.run(bare_gather(args.items, args.latency, args.concurrency))
    runs = [
        asyncio.run(graph_run(args.items, args.latency, args.concurrency, args.selector))
        for _ in range(max(1, args.repeat))
    ]
    graph, report = runs[0]
    calls = report["usage"]["calls"]
    selection = time_selection(args.items, args.selector)
    print(
        f"items {args.items}, latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}"
    )
    print(
        f"graph run: {report['accepted']} accepted, {calls} calls, {report['waves']} waves"
        f" of {report['wave_size']} planned, {report['surplus']} surplus"
    )
    ideal_calls = calls * args.latency / args.concurrency
    print(f"ideal (items x 1 call x latency / concurrency): {ideal:.3f} s")
    print(f"ideal for the calls actually made ({calls}):      {ideal_calls:.3f} s")
    print(
        f"bare asyncio.gather ({args.items} calls):         {gather:.3f} s  ratio to ideal {gather / ideal:.3f}"
    )
    print(
        f"synthesis graph with SQLite checkpoints:  {graph:.3f} s  ratio to ideal {graph / ideal:.3f}"
    )
    print(
        f"graph / gather: {graph / gather:.3f}   (target graph / ideal <= 1.25:"
        f" {'met' if graph / ideal <= 1.25 else 'NOT met'})"
    )
    if len(runs) > 1:
        ratios = ", ".join(
            f"{t / ideal:.3f} (gather {t / gather:.3f}; {r['cpu_s'] / args.items * 1000:.2f} ms CPU"
            " per item)"
            for t, r in runs
        )
        met = sum(t / ideal <= 1.25 for t, _ in runs)
        print(f"graph / ideal in {len(runs)} consecutive runs: {ratios}; {met} met the target")
    print(
        f"CPU per item: graph {report['cpu_s'] / args.items * 1000:.2f} ms, bare gather"
        f" {gather_cpu / args.items * 1000:.2f} ms; latency / concurrency"
        f" {args.latency / args.concurrency * 1000:.2f} ms (above it no schedule reaches ideal)"
    )
    print(f"selection alone ({args.selector}, {args.items} sets in one call): {selection:.3f} s")
    if args.profile:
        print(profile_graph(args.items, args.latency, args.concurrency, args.selector))


if __name__ == "__main__":
    main()
