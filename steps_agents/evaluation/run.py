"""``evaluate``: load worlds, run the evaluator graph (resumable by run id), build the report."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from steps_agents.evaluation.agents import Agent
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.report import EvalReport, build_report
from steps_agents.evaluation.store import EpisodeStore
from steps_agents.evaluation.texttasks import TextTask
from steps_agents.progress import Progress
from steps_agents.worlds import Task


def run_id_for(tasks_fingerprint: str, agents: Sequence[str], **settings: Any) -> str:
    """A run id that is the same for the same tasks, agents and settings, so rerunning the same
    command resumes (``eval-`` + 12 hex digits of a SHA-256)."""
    body = json.dumps(
        {"tasks": tasks_fingerprint, "agents": list(agents), **settings},
        sort_keys=True,
        default=str,
    )
    return "eval-" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def file_fingerprint(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def state_paths(state_dir: str | Path, run_id: str) -> tuple[Path, Path]:
    """``(episodes JSONL, checkpoint SQLite)`` of a run."""
    base = Path(state_dir)
    return base / f"{run_id}.episodes.jsonl", base / f"{run_id}.checkpoints.sqlite"


async def aevaluate(
    tasks: Sequence[Task | TextTask],
    agents: Mapping[str, Agent],
    *,
    run_id: str,
    state_dir: str | Path,
    repeats: int = 1,
    step_limit: int = 50,
    timeout: float | None = 300.0,
    wave_size: int = 64,
    concurrency: int = 8,
    seed: int = 0,
    judge: Any = None,
    taxonomy: Any = None,
    compare: tuple[str, str] | None = None,
    pm: Any = None,
    progress: bool = True,
    meta: Mapping[str, Any] | None = None,
) -> tuple[EvalReport, list[EpisodeResult]]:
    """Evaluate every agent on every task ``repeats`` times; see :func:`evaluate`."""
    from steps_agents.graphs.evaluation import EvalContext, arun_evaluation
    from steps_agents.registry import get_skill_world

    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    worlds = {
        name: get_skill_world(name, pm)
        for name in sorted({t.world for t in tasks if isinstance(t, Task)})
    }
    episodes_path, checkpoint_path = state_paths(state_dir, run_id)
    store = EpisodeStore(episodes_path, run_id)
    ctx = EvalContext(
        run_id=run_id,
        tasks={t.id: t for t in tasks},
        agents=dict(agents),
        worlds=worlds,
        store=store,
        repeats=repeats,
        step_limit=step_limit,
        timeout=timeout,
        wave_size=wave_size,
        concurrency=concurrency,
        seed=seed,
        judge=judge,
    )
    already = sum(1 for e in ctx.episodes if e.key in store)
    bar = Progress("eval", total=len(ctx.episodes), unit="episodes", enabled=progress)
    bar.count = already
    ctx.progress = bar
    try:
        with bar:
            await arun_evaluation(ctx, checkpoint_path)
    finally:
        store.close()
    wanted = {e.key for e in ctx.episodes}
    results = [store.results[k] for k in (e.key for e in ctx.episodes) if k in store.results]
    assert len(results) == len(wanted), "every episode is recorded when the graph finishes"
    report = build_report(
        results,
        run_id=run_id,
        agents=list(agents),
        taxonomy=taxonomy,
        compare_agents=compare,
        meta={
            "repeats": repeats,
            "step_limit": step_limit,
            "timeout": timeout,
            "seed": seed,
            "resumed_episodes": already,
            "episodes_file": str(episodes_path),
            "worlds": {name: str(getattr(w, "version", "")) for name, w in worlds.items()},
            **dict(meta or {}),
        },
    )
    return report, results


def evaluate(*args: Any, **kwargs: Any) -> tuple[EvalReport, list[EpisodeResult]]:
    """Run :func:`aevaluate` to completion: ``(report, episodes in schedule order)``.

    Each finished episode is appended to ``<state_dir>/<run_id>.episodes.jsonl`` as it ends; the
    graph checkpoints to ``<state_dir>/<run_id>.checkpoints.sqlite``. Calling again with the
    same ``run_id`` runs only the episodes that are not in the file yet.
    """
    return asyncio.run(aevaluate(*args, **kwargs))
