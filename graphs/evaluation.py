"""The evaluator graph: every (agent, task, repeat) episode through build -> run -> check -> score.

::

    plan --Send x wave--> episode[build_state -> run_agent -> check -> score] --> plan ... --> summarize

``plan`` picks the next *wave* of at most ``wave_size`` episodes not yet recorded and fans them
out with ``Send``; each episode is a small subgraph (compiled without a checkpointer: its state
holds live objects such as the world session); ``score`` appends the finished episode to the
run's JSONL file (:class:`~steps_agents.evaluation.store.EpisodeStore`) at once. When nothing is
left, ``summarize`` counts passes per agent.

The parent graph runs with a SQLite checkpointer, ``thread_id`` = the run id. Durability of the
work itself comes from the JSONL file: a killed run loses at most the episodes in flight, and a
resumed run (same run id) skips every recorded episode, both in ``plan`` and -- for a superstep
LangGraph replays -- in ``build_state``. Bounding the wave bounds how much one superstep holds.

Every node and router is a coroutine: in an async graph LangGraph runs a sync node in a worker
thread, and those thread hops cost more than the nodes' own work (benchmarks/evaluation.py).

Fan-out is LangGraph's ``Send`` (bounded by ``wave_size`` per superstep and ``concurrency`` in
flight), not :mod:`steps_agents.executor`: the episodes are the graph's own branches.

Everything that belongs to the run and not to a checkpoint -- tasks, worlds, agents, the store,
the judge client, the progress line -- is in the runtime context (:class:`EvalContext`).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from steps_agents.evaluation.agents import Agent
from steps_agents.evaluation.episode import (
    AgentRun,
    Checked,
    EpisodeEnv,
    agent_input,
    build_env,
    check_answer,
    judge_answer_of,
    oracle_reference,
    run_agent,
    score_episode,
)
from steps_agents.evaluation.records import EpisodeResult, ToolCallRecord, episode_key
from steps_agents.evaluation.store import EpisodeStore
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.progress import Progress
from steps_agents.worlds import Task


@dataclass(frozen=True)
class EpisodeSpec:
    agent: str
    task_id: str
    repeat: int

    @property
    def key(self) -> str:
        return episode_key(self.agent, self.task_id, self.repeat)


@dataclass
class EvalContext:
    """The run's live objects (runtime context; never checkpointed)."""

    run_id: str
    tasks: dict[str, Task | TextTask]
    agents: dict[str, Agent]
    worlds: dict[str, Any]
    store: EpisodeStore
    repeats: int = 1
    step_limit: int = 50
    timeout: float | None = 300.0
    wave_size: int = 64
    concurrency: int = 8
    seed: int = 0
    judge: Any = None
    progress: Progress | None = None
    oracle_cache: dict[str, list[ToolCallRecord] | None] = field(default_factory=dict)
    episodes: list[EpisodeSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.episodes:
            # Agents outermost so a comparison's first agent finishes first; then repeats, so an
            # interrupted run has whole repeats rather than a few tasks repeated R times.
            self.episodes = [
                EpisodeSpec(agent, task_id, r)
                for agent in self.agents
                for r in range(self.repeats)
                for task_id in self.tasks
            ]
        self._by_key = {e.key: e for e in self.episodes}

    def spec(self, key: str) -> EpisodeSpec:
        return self._by_key[key]

    def remaining(self) -> list[str]:
        return [e.key for e in self.episodes if e.key not in self.store]

    def episode_seed(self, spec: EpisodeSpec) -> int:
        """Distinct, reproducible per (run seed, task, repeat); the same for every agent."""
        digest = hashlib.sha256(f"{self.seed}\x1f{spec.task_id}\x1f{spec.repeat}".encode())
        return int.from_bytes(digest.digest()[:4], "big")


# ---------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------


class EvalState(TypedDict, total=False):
    wave: int
    finished: Annotated[int, operator.add]
    summary: dict[str, dict[str, int]]


class EpisodeState(TypedDict, total=False):
    key: str
    skip: bool
    env: EpisodeEnv
    run: AgentRun
    checked: Checked
    finished: int


class EpisodeOutput(TypedDict, total=False):
    finished: int


# ---------------------------------------------------------------------------------------------
# The episode subgraph
# ---------------------------------------------------------------------------------------------


async def build_state(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    ctx = runtime.context
    key = state["key"]
    if key in ctx.store:  # a replayed superstep after a kill: already recorded
        return {"skip": True}
    task = ctx.tasks[ctx.spec(key).task_id]
    world = ctx.worlds.get(task.world) if isinstance(task, Task) else None
    return {"skip": False, "env": build_env(task, world, ctx.step_limit)}


async def route_built(state: EpisodeState) -> Literal["run_agent", "__end__"]:
    return "__end__" if state.get("skip") else "run_agent"


async def run_agent_node(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    ctx = runtime.context
    spec = ctx.spec(state["key"])
    env = state["env"]
    world = ctx.worlds.get(env.task.world) if isinstance(env.task, Task) else None
    inp = agent_input(env, seed=ctx.episode_seed(spec), repeat=spec.repeat, world=world)
    run = await run_agent(ctx.agents[spec.agent], inp, env, ctx.timeout)
    return {"run": run}


async def check(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    """The deterministic checker for executable tasks; the judge model for text tasks."""
    env, run = state["env"], state["run"]
    if isinstance(env.task, TextTask):
        return {"checked": await judge_answer_of(env, run, runtime.context.judge)}
    return {"checked": check_answer(env, run)}


async def score(state: EpisodeState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    """Coverage, attribution and steps vs the oracle; the record goes to the JSONL at once."""
    ctx = runtime.context
    spec = ctx.spec(state["key"])
    env = state["env"]
    oracle = None
    if isinstance(env.task, Task):
        if env.task.id not in ctx.oracle_cache:
            ctx.oracle_cache[env.task.id] = oracle_reference(ctx.worlds[env.task.world], env.task)
        oracle = ctx.oracle_cache[env.task.id]
    result: EpisodeResult = score_episode(
        run_id=ctx.run_id,
        agent=spec.agent,
        repeat=spec.repeat,
        env=env,
        run=state["run"],
        checked=state["checked"],
        oracle=oracle,
    )
    ctx.store.append(result)
    if ctx.progress is not None:
        ctx.progress.update(1)
    return {"finished": 1}


def build_episode_graph() -> StateGraph[EpisodeState, EvalContext, EpisodeState, EpisodeOutput]:
    g = StateGraph(EpisodeState, context_schema=EvalContext, output_schema=EpisodeOutput)
    g.add_node("build_state", build_state)
    g.add_node("run_agent", run_agent_node)
    g.add_node("check", check)
    g.add_node("score", score)
    g.add_edge(START, "build_state")
    g.add_conditional_edges("build_state", route_built, ["run_agent", END])
    g.add_edge("run_agent", "check")
    g.add_edge("check", "score")
    g.add_edge("score", END)
    return g


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


async def plan(state: EvalState) -> dict[str, Any]:
    return {"wave": state.get("wave", 0) + 1}


async def route_wave(state: EvalState, runtime: Runtime[EvalContext]) -> Sequence[Send] | str:
    """The next wave as ``Send`` s, or ``summarize`` when every episode is recorded."""
    ctx = runtime.context
    wave = ctx.remaining()[: ctx.wave_size]
    if not wave:
        return "summarize"
    return [Send("episode", {"key": key}) for key in wave]


async def summarize(state: EvalState, runtime: Runtime[EvalContext]) -> dict[str, Any]:
    ctx = runtime.context
    summary: dict[str, dict[str, int]] = {}
    for result in ctx.store.results.values():
        row = summary.setdefault(result.agent, {"episodes": 0, "passed": 0})
        row["episodes"] += 1
        row["passed"] += int(bool(result.passed))
    return {"summary": summary}


def build_graph(
    *, episode_checkpointer: bool | None = False
) -> StateGraph[EvalState, EvalContext, EvalState, EvalState]:
    """The run graph. The episode subgraph runs without a checkpointer (``False``): its state
    holds live objects and its durable result is the JSONL line. LangGraph does not treat such a
    node as a subgraph when drawing, so :func:`mermaid` builds it with ``None`` just to draw."""
    g = StateGraph(EvalState, context_schema=EvalContext)
    g.add_node("plan", plan)
    g.add_node("episode", build_episode_graph().compile(checkpointer=episode_checkpointer))
    g.add_node("summarize", summarize)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", route_wave, ["episode", "summarize"])
    g.add_edge("episode", "plan")
    g.add_edge("summarize", END)
    return g


def mermaid() -> str:
    """The committed drawing (``graphs/evaluation.mmd``), subgraph included."""
    graph = build_graph(episode_checkpointer=None).compile()
    return graph.get_graph(xray=True).draw_mermaid()


async def arun_evaluation(ctx: EvalContext, checkpoint_path: str | Path) -> dict[str, Any]:
    """Run (or resume, by ``ctx.run_id``) every episode; return the final graph state.

    Results are in ``ctx.store``. A run whose last checkpoint is mid-superstep resumes it
    (LangGraph replays the pending ``Send`` s; recorded ones are skipped); a finished or fresh
    thread starts from ``plan``, which only schedules what the store does not hold.
    """
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
    waves = -(-len(ctx.episodes) // max(1, ctx.wave_size))
    config: RunnableConfig = {
        "configurable": {"thread_id": ctx.run_id},
        "recursion_limit": 2 * waves + 10,
        "max_concurrency": max(1, ctx.concurrency),
    }
    async with aiosqlite.connect(str(checkpoint_path)) as conn:
        # WAL with synchronous=NORMAL: a commit survives the process being killed (what resume
        # needs; the JSONL record is flushed, not fsynced, either) without an fsync per write,
        # which otherwise dominates the wall time of a wave of fast episodes.
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        saver = AsyncSqliteSaver(conn)
        graph = build_graph().compile(checkpointer=saver)
        snapshot = await graph.aget_state(config)
        resume = bool(snapshot.next) and "summarize" not in snapshot.next
        inputs: EvalState | None = None if resume else {"wave": 0}
        final = await graph.ainvoke(inputs, config, context=ctx)
    ctx.store.sync()
    return dict(final)


# For the LangGraph CLI and Studio (langgraph.json). Runs made by steps_agents compile their own
# copy with the SQLite checkpointer (arun_evaluation); the runtime context supplies the tasks.
graph = build_graph().compile()
