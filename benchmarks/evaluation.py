"""Benchmark: the evaluator's overhead per task above the episodes without the graph, same run.

    python benchmarks/evaluation.py                    # 1,000 toolworld tasks, oracle agent
    python benchmarks/evaluation.py --tasks 1000 --write-tasks /tmp/tasks.jsonl
    python benchmarks/evaluation.py --task-file /tmp/tasks.jsonl    # skip composing

Tasks are composed by the built-in ``toolworld`` for random skill sets (k = 1..5; composing is
timed separately and is not part of any figure below; ``--write-tasks`` keeps them for a
rerun) unless ``--task-file`` is given. Then, on the same tasks:

1. **bare tools** -- the time inside ``world.execute`` when each oracle plan runs straight
   through it on a copy of the initial state: the work the tasks themselves need (copying the
   states is printed beside it);
2. **tools via TaskSession** -- the same through the session an agent drives (argument
   validation against the JSON schema, the sandbox, the limits, the trace);
3. **episodes, no graph** -- the evaluator's episode functions (play: build state, run the
   oracle agent, check; score: coverage and attribution) in a plain loop; and, beside it, the
   evaluator's **preflight** alone (each task's oracle run once and checked, validity.py);
4. **evaluator** -- ``evaluate()``: the preflight, the LangGraph graph of waves, the SQLite
   checkpointer and the durable JSONL record of every episode.

Stages 3 and 4 run ``--repeat`` times (3) and the fastest wall and CPU time of each counts.
Printed per task: each stage's wall and CPU time (the machine may be shared: CPU time is the
steadier figure), the evaluator's overhead (4 minus 3; target <= 2 ms) split into the preflight
and the rest, and a cProfile summary of one more evaluator run (own time per area, top
functions; ``--no-profile`` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import random
import sys
import tempfile
import time
from typing import Any

from steps_agents.graphs.evaluation import evaluate

from steps_agents.evaluation import AgentOptions, resolve_agent
from steps_agents.evaluation.config import EvalConfig
from steps_agents.evaluation.episode import oracle_reference, play, score_episode
from steps_agents.evaluation.texttasks import load_eval_tasks
from steps_agents.evaluation.validity import preflight
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.registry import get_skill_world
from steps_agents.worlds import Task, resolve_refs, run_oracle, try_compose
from steps_agents.worlds.taskio import write_tasks

K_WEIGHTS = {1: 0.3, 2: 0.3, 3: 0.2, 4: 0.12, 5: 0.08}


def compose_tasks(world: Any, n: int, seed: int) -> list[Task]:
    """``n`` tasks with the k mix of ``K_WEIGHTS`` (quotas, so hard-to-compose k are not short)."""
    rng = random.Random(seed)
    names = sorted(s.name for s in world.tool_specs())
    quota = {k: round(n * w) for k, w in K_WEIGHTS.items()}
    quota[1] += n - sum(quota.values())
    tasks: dict[str, Task] = {}
    for k, want in quota.items():
        made = 0
        while made < want:
            task, _ = try_compose(world, rng.sample(names, k), rng.randrange(1 << 30))
            if task is not None and task.id not in tasks:
                tasks[task.id] = task
                made += 1
    return list(tasks.values())


def bare_tools(world: Any, tasks: list[Task]) -> tuple[float, float]:
    """``(seconds inside world.execute, seconds copying initial states)``."""
    execute = copying = 0.0
    for task in tasks:
        t0 = time.perf_counter()
        state = copy.deepcopy(task.initial_state)
        copying += time.perf_counter() - t0
        results: dict[str, Any] = {}
        for step in task.oracle:
            args = resolve_refs(step.args, results)
            t0 = time.perf_counter()
            results[step.id] = world.execute(state, step.tool, args)
            execute += time.perf_counter() - t0
    return execute, copying


def session_tools(world: Any, tasks: list[Task]) -> float:
    start = time.perf_counter()
    for task in tasks:
        run_oracle(world, task)
    return time.perf_counter() - start


def episodes_without_graph(world: Any, tasks: list[Task], agent: Any) -> tuple[float, float, int]:
    """``(wall seconds, CPU seconds, passed)`` of the episode functions in a plain loop."""

    async def go() -> int:
        passed = 0
        for task in tasks:
            played = await play(agent, task, world, seed=0, repeat=0, step_limit=50, timeout=300)
            assert played.checked is not None
            result = score_episode(
                run_id="b",
                agent="oracle",
                repeat=0,
                task=task,
                played=played,
                checked=played.checked,
                oracle=oracle_reference(world, task),
            )
            passed += bool(result.passed)
        return passed

    start, cpu = time.perf_counter(), time.process_time()
    passed = asyncio.run(go())
    return time.perf_counter() - start, time.process_time() - cpu, passed


def preflight_only(world: Any, tasks: list[Task]) -> tuple[float, float]:
    """``(wall, CPU)`` of the evaluator's preflight alone: each task's oracle once, checked."""
    start, cpu = time.perf_counter(), time.process_time()
    valid, _ = preflight(tasks, {world.name: world}, timeout=300, oracle_cache={})
    assert len(valid) == len(tasks)
    return time.perf_counter() - start, time.process_time() - cpu


AREAS = (
    ("langgraph", ("langgraph/", "langchain_core/")),
    ("checkpoints (sqlite)", ("aiosqlite", "sqlite3", "checkpoint/")),
    ("episode log (JSONL)", ("evaluation/store.py", "pydantic")),
    ("worlds (session, tools, copies)", ("steps_agents/worlds/", "toolworld", "copy.py")),
    ("evaluation (episode, scoring)", ("steps_agents/evaluation/", "graphs/", "plugins/")),
    ("asyncio", ("asyncio/",)),
    ("threads (tool worker handoff)", ("threading.py", "_thread", "_queue")),
)


def profile_summary(run: Any, n: int, top: int = 12) -> str:
    """cProfile of ``run()``: own time per area and the top functions, in ms per task."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    areas: dict[str, float] = {}
    rows = []
    for (filename, line, func), (_, _, tottime, _, _) in stats.items():
        where = f"{filename}:{line}({func})"
        area = next((a for a, keys in AREAS if any(k in where for k in keys)), "other")
        areas[area] = areas.get(area, 0.0) + tottime
        rows.append((tottime, where))
    total = sum(areas.values())
    lines = [f"cProfile of the evaluator (own time, {1000 * total / n:.3f} ms/task profiled):"]
    for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1]):
        lines.append(
            f"  {area:34s} {1000 * seconds / n:7.3f} ms/task  {100 * seconds / total:4.1f}%"
        )
    lines.append("  top functions by own time:")
    for seconds, where in sorted(rows, reverse=True)[:top]:
        short = where.split("site-packages/")[-1].split("/work/main/")[-1]
        lines.append(f"    {1000 * seconds / n:7.3f} ms/task  {short[-90:]}")
    return "\n".join(lines)


def run_evaluator(tasks: list[Task], oracle: Any, pm: Any, wave: int) -> tuple[Any, list[Any]]:
    with tempfile.TemporaryDirectory() as state_dir:
        return evaluate(
            EvalConfig(run_id="bench", state_dir=state_dir, wave_size=wave),
            tasks,
            {"oracle": oracle},
            pm=pm,
            progress=False,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tasks to compose (1000)")
    parser.add_argument("--task-file", help="evaluate this task file instead of composing")
    parser.add_argument("--write-tasks", metavar="FILE", help="save the composed tasks (JSONL)")
    parser.add_argument("--wave", type=int, default=EvalConfig().wave_size, help="wave size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of stages 3-4; the fastest counts (3)"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile summary")
    args = parser.parse_args(argv)

    pm = get_plugin_manager(load_entrypoints=False)
    world = get_skill_world("toolworld", pm)
    t0 = time.perf_counter()
    if args.task_file:
        tasks = [t for t in load_eval_tasks(args.task_file, pm) if isinstance(t, Task)]
    else:
        tasks = compose_tasks(world, args.tasks, args.seed)
        if args.write_tasks:
            write_tasks(args.write_tasks, tasks)
    compose_s = time.perf_counter() - t0
    n = len(tasks)
    by_k: dict[int, int] = {}
    for t in tasks:
        by_k[t.k] = by_k.get(t.k, 0) + 1
    calls = sum(len(t.oracle) for t in tasks)
    print(
        f"{n} tasks ({', '.join(f'k={k}: {c}' for k, c in sorted(by_k.items()))}),"
        f" {calls} oracle tool calls; composed in {compose_s:.1f} s (not counted below)"
    )

    oracle = resolve_agent("oracle", AgentOptions(pm=pm))
    bare, copying = bare_tools(world, tasks)
    session = session_tools(world, tasks)
    # Stages 3, 3b and 4 alternate, each repeated; the least wall and CPU time of each is kept
    # (the machine may be shared: a run slowed by another job says nothing about this code).
    direct = direct_cpu = check = check_cpu = full = full_cpu = float("inf")
    for _ in range(args.repeat):
        wall, cpu, direct_passed = episodes_without_graph(world, tasks, oracle)
        direct, direct_cpu = min(direct, wall), min(direct_cpu, cpu)
        wall, cpu = preflight_only(world, tasks)
        check, check_cpu = min(check, wall), min(check_cpu, cpu)
        start, cpu_start = time.perf_counter(), time.process_time()
        report, episodes = run_evaluator(tasks, oracle, pm, args.wave)
        full = min(full, time.perf_counter() - start)
        full_cpu = min(full_cpu, time.process_time() - cpu_start)
    passed = sum(bool(e.passed) for e in episodes)
    in_eval_tools = sum(e.tool_seconds for e in episodes)

    def ms(seconds: float) -> str:
        return f"{1000 * seconds / n:8.3f} ms/task"

    print(
        f"1. bare tools (world.execute)        {ms(bare)}   total {bare:6.2f} s"
        f"   (+ copying initial states {ms(copying)})"
    )
    print(f"2. tools via TaskSession             {ms(session)}   total {session:6.2f} s")
    print(
        f"3. episodes, no graph                {ms(direct)}   CPU {ms(direct_cpu)}"
        f"   passed {direct_passed}/{n}"
    )
    print(f"   preflight alone (validity.py)     {ms(check)}   CPU {ms(check_cpu)}")
    print(
        f"4. evaluator (graph+SQLite+JSONL)    {ms(full)}   CPU {ms(full_cpu)}"
        f"   passed {passed}/{n}"
    )
    print(f"   tool time inside the evaluator    {ms(in_eval_tools)}")
    over, over_cpu = full - direct, full_cpu - direct_cpu
    print(
        f"evaluator overhead above the episodes without the graph: {1000 * over / n:.3f} ms/task"
        f" wall, {1000 * over_cpu / n:.3f} ms/task CPU (target <= 2); of it the preflight"
        f" {1000 * check / n:.3f} ms/task wall, {1000 * check_cpu / n:.3f} CPU;"
        f" the rest (LangGraph, checkpoint, episode log):"
        f" {1000 * (over - check) / n:.3f} ms/task wall, {1000 * (over_cpu - check_cpu) / n:.3f} CPU"
    )
    print(
        f"episode bookkeeping (session, check, score) above the bare tools:"
        f" {1000 * (direct - bare) / n:.3f} ms/task; evaluator {full / max(bare, 1e-9):.1f} x the"
        f" bare tool time"
    )
    print(f"pass rate {report.agents[0].overall.pass_rate:.3f}")
    if not args.no_profile:
        print(profile_summary(lambda: run_evaluator(tasks, oracle, pm, args.wave), n))
    return 0 if passed == n else 1


if __name__ == "__main__":
    sys.exit(main())
