"""Run a synthesis job: build the runtime context, run (or resume) the graph, report.

Resuming: the graph is compiled with an SQLite checkpointer (``<state dir>/checkpoints.sqlite``)
and the run id is the LangGraph thread id. With ``--run-id`` of an interrupted run, the graph
continues from its last checkpoint; the writer's files, read back on open, are what make the
replay exact (decided items are skipped, nothing is written twice) and the response cache
(``<state dir>/responses.sqlite``) makes re-generating an in-flight item free.

A model that fails for every request (outage after the retries, bad key, unknown model) stops
the run without losing answered work: the items in flight are judged or skipped and written,
then :func:`arun_synthesis` raises that :class:`~steps_agents.errors.ModelCallError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from steps_agents._version import __version__
from steps_agents.errors import InputError
from steps_agents.modes import ModeContext
from steps_agents.plugin_manager import default_plugin_manager
from steps_agents.progress import Progress
from steps_agents.registry import get_judge, get_output_format, get_synthesis_mode
from steps_agents.synthesis.checkpoint import open_checkpointer
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.context import Budget, Monitor, SynthesisContext
from steps_agents.synthesis.gate import Outage, gate_models
from steps_agents.synthesis.judging import JudgeContext
from steps_agents.synthesis.planner import pending_by_k, pending_items
from steps_agents.synthesis.records import RunReport
from steps_agents.synthesis.writer import SampleWriter

REPORTED_BY_K = ("accepted", "rejected", "surplus", "uncomposable")
RECURSION_LIMIT = 10**7  # supersteps; a run stops by its planner, never by this limit


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def versions() -> dict[str, str]:
    """The software that wrote a sample, keyed by distribution name (``steps-agents``,
    ``langgraph``, ``langchain-core``), as the taxonomy and the evaluation report spell it."""
    out = {"steps-agents": __version__}
    for dist in ("langgraph", "langchain-core"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def _run_identity(taxonomy: Any, model: Any, judge_model: Any) -> dict[str, str]:
    """What else made the samples: the taxonomy (a content hash) and a separate judge model."""
    out: dict[str, str] = {}
    to_dict = getattr(taxonomy, "to_dict", None)
    if callable(to_dict):
        text = json.dumps(to_dict(), sort_keys=True, default=str)
        out["taxonomy_sha1"] = hashlib.sha1(text.encode()).hexdigest()[:12]
    if judge_model is not None and judge_model is not model:
        out["judge_model"] = str(getattr(judge_model, "spec", judge_model))
    return out


def _open_model(config: SynthConfig, spec: str | None, cache_path: Path | None, pm: Any) -> Any:
    if not spec:
        return None
    from steps_agents.models import open_model
    from steps_agents.models.cli_args import api_key_from_env

    return open_model(
        spec,
        base_url=config.base_url,
        api_key=api_key_from_env(config.api_key_env),
        temperature=config.temperature,
        cache_path=cache_path if config.cache else None,
        concurrency=config.concurrency,
        max_retries=config.max_retries,
        timeout=config.timeout,
        structured=config.structured,
        pm=pm,
    )


def _default_select() -> Callable[..., list[Any]]:
    from steps_agents.selection import select_combinations

    return select_combinations


async def arun_synthesis(
    config: SynthConfig,
    *,
    pm: pluggy.PluginManager | None = None,
    model: Any = None,
    judge_model: Any = None,
    taxonomy: Any = None,
    seeds: Any = None,
    select: Callable[..., list[Any]] | None = None,
    progress: bool = True,
) -> RunReport:
    """Run (or resume) the job; ``model``/``judge_model`` (ModelClients), ``taxonomy``, ``seeds``
    and ``select`` may be passed in (tests, notebooks) instead of being built from ``config``."""
    started = time.monotonic()
    pm = pm or default_plugin_manager()
    mode = get_synthesis_mode(config.mode, pm)
    render = get_output_format(config.format, pm)
    judge_factories = [(name, get_judge(name, pm)) for name in config.judges]
    if taxonomy is None:
        if config.taxonomy is None:
            raise InputError(
                "no taxonomy given; build one with `steps taxonomy`", location="--taxonomy"
            )
        from steps_agents.taxonomy import load_taxonomy

        taxonomy = load_taxonomy(config.taxonomy)
    state_dir = config.resolved_state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    cache_path = state_dir / "responses.sqlite"
    if mode.needs_model and model is None and not config.model:
        raise InputError(
            f"the {mode.name!r} mode needs a model: pass --model SPEC (PROVIDER:MODEL,"
            " MODULE:ATTRIBUTE, or a name with --base-url)",
            location="--model",
        )
    run_id = config.run_id or new_run_id()
    owned: list[Any] = []  # what this call opened, and so closes
    try:
        if model is None and config.model:
            model = _open_model(config, config.model, cache_path, pm)
            owned.append(model)
        if judge_model is None and config.judge_model:
            judge_model = _open_model(config, config.judge_model, cache_path, pm)
            owned.append(judge_model)
        judge_model = judge_model or model
        writer = SampleWriter(
            config.output,
            config.rejects_path,
            run_id=run_id,
            render=render,
            overwrite=config.overwrite,
            uncomposable=config.uncomposable_path,
        )
        owned.append(writer)
        if seeds is None and config.corpus:
            from steps_agents.seed_examples import SeedExampleIndex

            seeds = SeedExampleIndex.build(
                config.corpus,
                extractor=config.extractor,
                per_skill=config.per_skill,
                seed=config.seed,
                pm=pm,
            )
        # Modes and judges call through gates that stop sending once the model failed for
        # good (see steps_agents.synthesis.gate); usage is read from the clients themselves.
        outage = Outage()
        gated_model, gated_judge = gate_models(outage, model, judge_model)
        mode_ctx = ModeContext(
            model=gated_model,
            taxonomy=taxonomy,
            seeds=seeds,
            pm=pm,
            options=config.mode_options,
            language=config.language,
            seed=config.seed,
        )
        judge_ctx = JudgeContext(
            model=gated_judge,
            taxonomy=taxonomy,
            seeds=seeds,
            pm=pm,
            options=config.mode_options,
            language=config.language,
            seed=config.seed,
            mode=mode,
            corpus=config.corpus,
            extractor=config.extractor,
            accepted_texts=list(writer.accepted_texts),
        )
        judges = [factory(config.judge_options.get(name, {})) for name, factory in judge_factories]
        for judge in judges:
            setup = getattr(judge, "setup", None)
            if setup is not None:
                setup(judge_ctx)

        def calls_now() -> int:
            return sum(
                int(c.usage.calls) for c in {id(m): m for m in (model, judge_model) if m}.values()
            )

        already = writer.count("accepted")
        bar = Progress(
            "synth", total=max(config.n - already, 0) or None, unit="samples", enabled=progress
        )
        ctx = SynthesisContext(
            config=config,
            run_id=run_id,
            mode=mode,
            mode_ctx=mode_ctx,
            judges=judges,
            judge_ctx=judge_ctx,
            writer=writer,
            select=select or _default_select(),
            taxonomy=taxonomy,
            pm=pm,
            budget=Budget(limit=config.budget, current=calls_now),
            monitor=Monitor(progress=bar),
            model_spec=getattr(model, "spec", None),
            versions=versions() | _run_identity(taxonomy, model, judge_model),
            outage=outage,
        )
        from steps_agents.graphs.synthesis import build_graph

        with open_checkpointer(state_dir / "checkpoints.sqlite") as saver:
            graph = build_graph().compile(checkpointer=saver)
            thread: Any = {
                "configurable": {"thread_id": run_id},
                "recursion_limit": RECURSION_LIMIT,
            }
            snapshot = await graph.aget_state(thread)
            resumed = bool(snapshot.values)
            ctx.budget.base = int(snapshot.values.get("calls", 0)) if resumed else 0
            # ``snapshot.tasks``, not ``snapshot.next``: with Send branches pending, langgraph
            # 1.2 can report an empty ``next`` for a checkpoint that still has tasks to run.
            if snapshot.tasks:
                graph_input: Any = None  # continue the interrupted superstep
            elif resumed:
                # A finished run asked again (perhaps for more): plan again. No task is left, so
                # nothing the counters call pending can still finish; forget it.
                stats = snapshot.values.get("stats") or {}
                stale = pending_by_k(stats, config.ks)
                graph_input = {
                    "stop_reason": "",
                    "dry_waves": 0,
                    "stats": {
                        "planned": -pending_items(stats),
                        "by_k": {str(k): {"planned": -n} for k, n in stale.items() if n},
                    },
                }
            else:
                graph_input = {"used": writer.used_skill_sets(), "stats": writer.stats()}
            try:
                with bar:
                    # The final values come back from ainvoke: re-reading them with aget_state
                    # would replay the whole DeltaChannel history of ``used`` (0.1 s per 1,000).
                    values = await graph.ainvoke(
                        graph_input, thread, context=ctx, durability="async"
                    )
            finally:
                ctx.drop_prefetch()
        if ctx.failure is not None and writer.accepted < config.n:
            # Raised only now: the graph has finished, so every sample decided before the
            # failure is on disk and the checkpoint lets a rerun with this run id resume.
            raise ctx.failure
        return _report(config, run_id, values, writer, model, judge_model, started, resumed)
    finally:
        for resource in reversed(owned):
            resource.close()


def _report(
    config: SynthConfig,
    run_id: str,
    values: dict[str, Any],
    writer: SampleWriter,
    model: Any,
    judge_model: Any,
    started: float,
    resumed: bool,
) -> RunReport:
    stats = values.get("stats") or {}
    # The files are the durable record; the checkpointed counters may lag them after a kill.
    accepted = max(int(stats.get("accepted", 0)), writer.accepted)
    rejected = max(int(stats.get("rejected", 0)), writer.count("rejected"))
    surplus = int(stats.get("surplus", 0))
    usage: dict[str, Any] = {}
    if model is not None:
        usage = model.usage.as_dict()
        if judge_model is not None and judge_model is not model:
            judge_usage = judge_model.usage.as_dict()
            for key, value in judge_usage.items():
                if isinstance(value, int):
                    usage[key] = usage.get(key, 0) + value
            usage["by_model"] = {**usage.get("by_model", {}), **judge_usage.get("by_model", {})}
    # Outcomes only: the planner's bookkeeping (planned, dropped, finished, ...) stays inside.
    by_k = {
        str(k): {s: int(n) for s, n in counts.items() if s in REPORTED_BY_K and n}
        for k, counts in (stats.get("by_k") or {}).items()
    }
    reasons = {str(t): int(n) for t, n in (stats.get("reasons") or {}).items()}
    for tag, n in (stats.get("uncomposable_reasons") or {}).items():
        reasons[f"uncomposable: {tag}"] = int(n)
    return RunReport(
        run_id=run_id,
        target=config.n,
        accepted=accepted,
        rejected=rejected,
        uncomposable=int(stats.get("uncomposable", 0)),
        surplus=surplus,
        skipped=int(stats.get("skipped", 0)),
        acceptance_rate=(accepted + surplus) / (accepted + surplus + rejected)
        if accepted + surplus + rejected
        else 0.0,
        by_k=by_k,
        rejection_reasons=reasons,
        revisions=int(stats.get("revisions", 0)),
        waves=int(values.get("wave", 0)),
        stop_reason=str(values.get("stop_reason") or "interrupted"),
        usage=usage,
        budget=config.budget,
        elapsed_s=round(time.monotonic() - started, 3),
        output=str(config.output),
        rejects=str(config.rejects_path),
        resumed=resumed,
    )


def run_synthesis(config: SynthConfig, **kwargs: Any) -> RunReport:
    """Synchronous :func:`arun_synthesis`."""
    return asyncio.run(arun_synthesis(config, **kwargs))
