"""Benchmark: evaluator overhead per task against the bare tool execution time, same run.

    python benchmarks/evaluation.py                    # 1,000 toolworld tasks, oracle agent
    python benchmarks/evaluation.py --tasks 200 --wave 32
    python benchmarks/evaluation.py --task-file tasks.jsonl

Tasks are composed by the built-in ``toolworld`` for random skill sets (k = 1..5; composing is
timed separately and is not part of any figure below) unless ``--task-file`` is given. Then, on
the same tasks, in this order:

1. **bare tools** -- the time inside ``world.execute`` when each oracle plan runs straight
   through it on a copy of the initial state: the work the tasks themselves need (copying the
   states is printed beside it);
2. **tools via TaskSession** -- the same through the session an agent drives (argument
   validation against the JSON schema, the sandbox, the trace);
3. **episodes, no graph** -- the evaluator's episode functions (build state, run the oracle
   agent, check, score: coverage and attribution) in a plain loop;
4. **evaluator** -- ``evaluate()``: the LangGraph graph with ``Send`` waves, the SQLite
   checkpointer and the durable JSONL record of every episode.

Printed per task: each stage's wall time, the evaluator's CPU time (the machine may be shared:
CPU time is the steadier figure), the evaluator's overhead (4 minus 1) and its ratio to 1.
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
from steps_agents.evaluation.episode import (
    agent_input,
    build_env,
    check_answer,
    oracle_reference,
    run_agent,
    score_episode,
)
from steps_agents.evaluation.texttasks import load_eval_tasks
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.registry import get_skill_world
from steps_agents.worlds import Task, resolve_refs, run_oracle, try_compose

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


def episodes_without_graph(world: Any, tasks: list[Task], agent: Any) -> tuple[float, int]:
    async def go() -> int:
        passed = 0
        for task in tasks:
            env = build_env(task, world, 50)
            run = await run_agent(agent, agent_input(env, seed=0, repeat=0, world=world), env, 300)
            result = score_episode(
                run_id="b",
                agent="oracle",
                repeat=0,
                env=env,
                run=run,
                checked=check_answer(env, run),
                oracle=oracle_reference(world, task),
            )
            passed += bool(result.passed)
        return passed

    start = time.perf_counter()
    passed = asyncio.run(go())
    return time.perf_counter() - start, passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tasks to compose (1000)")
    parser.add_argument("--task-file", help="evaluate this task file instead of composing")
    parser.add_argument("--wave", type=int, default=64, help="episodes per Send wave (64)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    pm = get_plugin_manager(load_entrypoints=False)
    world = get_skill_world("toolworld", pm)
    t0 = time.perf_counter()
    if args.task_file:
        tasks = [t for t in load_eval_tasks(args.task_file, pm) if isinstance(t, Task)]
    else:
        tasks = compose_tasks(world, args.tasks, args.seed)
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
    direct, direct_passed = episodes_without_graph(world, tasks, oracle)
    with tempfile.TemporaryDirectory() as state_dir:
        start, cpu_start = time.perf_counter(), time.process_time()
        report, episodes = evaluate(
            EvalConfig(run_id="bench", state_dir=state_dir, wave_size=args.wave),
            tasks,
            {"oracle": oracle},
            pm=pm,
            progress=False,
        )
        full, full_cpu = time.perf_counter() - start, time.process_time() - cpu_start
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
        f"3. episodes, no graph                {ms(direct)}   total {direct:6.2f} s"
        f"   passed {direct_passed}/{n}"
    )
    print(
        f"4. evaluator (graph+SQLite+JSONL)    {ms(full)}   total {full:6.2f} s"
        f"   passed {passed}/{n}"
    )
    print(f"   evaluator CPU time (all threads)  {ms(full_cpu)}")
    print(f"   tool time inside the evaluator    {ms(in_eval_tools)}")
    overhead = full - bare
    print(
        f"evaluator overhead per task: {1000 * overhead / n:.3f} ms"
        f" = {overhead / bare:.1f} x the bare tool time ({full / bare:.1f} x in total);"
        f" of it LangGraph + checkpoints + JSONL: {1000 * (full - direct) / n:.3f} ms/task,"
        f" episode bookkeeping (session, check, score): {1000 * (direct - bare) / n:.3f} ms/task"
    )
    print(f"pass rate {report.agents[0].overall.pass_rate:.3f}")
    return 0 if passed == n else 1


if __name__ == "__main__":
    sys.exit(main())
