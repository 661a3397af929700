"""Setting up a synthesis run: the runtime context from a config, and the run's report.

``graphs/synthesis.py`` compiles and runs the graph; everything it needs that belongs to the run
and not to a checkpoint (mode, judges, model clients behind their gates, the writer, the budget,
the progress line) is opened here by :func:`open_run` and closed by :meth:`OpenRun.close`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from steps_agents.errors import InputError
from steps_agents.fileformats import software_versions
from steps_agents.plugin_manager import default_plugin_manager
from steps_agents.registry import available, get_judge, get_output_format, get_synthesis_mode
from steps_agents.runtime.progress import Progress
from steps_agents.synthesis import singles
from steps_agents.synthesis.config import SynthConfig
from steps_agents.synthesis.context import Budget, Monitor, SynthesisContext
from steps_agents.synthesis.gate import Outage, gate_models
from steps_agents.synthesis.judge_protocol import JudgeContext
from steps_agents.synthesis.modes import ModeContext, mode_options
from steps_agents.synthesis.planner import closing_reasons
from steps_agents.synthesis.records import RunReport
from steps_agents.synthesis.runlock import RunLock
from steps_agents.synthesis.store import SampleWriter

REPORTED_BY_K = ("accepted", "rejected", "surplus", "uncomposable")


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


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
    """The synthesis or judge model ``spec`` with the config's model options (``None`` if no
    spec)."""
    if not spec:
        return None
    from steps_agents.models import open_model

    client = open_model(spec, config.model_options(), cache_path=cache_path, pm=pm)
    if hasattr(client, "share_budget"):  # Ray workers: each gets its share of the budget
        client.share_budget(config.budget)
    return client


def _default_select() -> Callable[..., list[Any]]:
    from steps_agents.selection import select_combinations

    return select_combinations


@dataclass
class OpenRun:
    """A run's live objects: the runtime context, its progress line, and what to close."""

    ctx: SynthesisContext
    progress: Progress
    model: Any
    judge_model: Any
    owned: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for resource in reversed(self.owned):
            resource.close()
        self.owned.clear()


def open_run(
    config: SynthConfig,
    *,
    pm: pluggy.PluginManager | None = None,
    model: Any = None,
    judge_model: Any = None,
    taxonomy: Any = None,
    seeds: Any = None,
    select: Callable[..., list[Any]] | None = None,
    progress: bool = True,
) -> OpenRun:
    """Open everything a run needs; objects passed in (tests, notebooks) are used as given and
    not closed, the ones opened here are closed by :meth:`OpenRun.close`."""
    pm = pm or default_plugin_manager()
    mode = get_synthesis_mode(config.mode, pm)
    render = get_output_format(config.format, pm)
    judge_factories = [(name, get_judge(name, pm)) for name in config.judges]
    known = available("judge", pm)
    for name in config.judge_options:  # options for a judge nobody registered: a typo
        if name not in known:
            raise InputError(
                f"no judge {name!r}; available: {', '.join(sorted(known))}",
                location=f"judge_options.{name}",
            )
    # Built before any file is opened: a bad option is one line and nothing is written.
    mode_settings = mode_options(mode, config.mode_settings)
    judges = [factory(config.judge_options.get(name, {})) for name, factory in judge_factories]
    if taxonomy is None:
        if config.taxonomy is None:
            raise InputError(
                "no taxonomy given; build one with `steps taxonomy`", location="--taxonomy"
            )
        from steps_agents.taxonomy.artifact import load_taxonomy

        taxonomy = load_taxonomy(config.taxonomy)
    outside_run: frozenset[frozenset[str]] = frozenset()
    if config.exclude is not None:  # read before any file is opened: a bad line is one error
        from steps_agents.selection.record_sets import read_skill_sets

        outside_run = read_skill_sets(config.exclude)
        if not {s for skills in outside_run for s in skills} & set(taxonomy.skills):
            raise InputError(
                "none of its skills is in the taxonomy: it would exclude nothing"
                " (a file of another corpus or world?)",
                location=config.exclude,
            )
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
    owned: list[Any] = [RunLock(state_dir, run_id)]  # what this call opened, and so closes
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
            from steps_agents.synthesis.seed_examples import SeedExampleIndex

            seeds = SeedExampleIndex.build(
                config.corpus,
                extractor=config.extractor,
                per_skill=config.per_skill,
                seed=config.seed,
                pm=pm,
            )
        # Exact skill-set counts for corpus-aware selectors (longtail), counted in the seed pass.
        corpus_counts = getattr(seeds, "set_counts", None) if config.corpus else None
        if corpus_counts is None and config.corpus:
            from steps_agents.corpus.cooccurrence import corpus_set_counts

            corpus_counts = corpus_set_counts(
                config.corpus, config.extractor, skip_empty=True, pm=pm
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
            options=mode_settings,
            language=config.language,
            seed=config.seed,
        )
        judge_ctx = JudgeContext(
            model=gated_judge,
            taxonomy=taxonomy,
            seeds=seeds,
            pm=pm,
            options=mode_settings,
            language=config.language,
            seed=config.seed,
            mode=mode,
            corpus=config.corpus,
            extractor=config.extractor,
            accepted_texts=list(writer.accepted_texts),
        )
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
            versions=software_versions() | _run_identity(taxonomy, model, judge_model),
            outage=outage,
            corpus_counts=corpus_counts,
            outside_run=outside_run,
        )
    except BaseException:
        for resource in reversed(owned):
            resource.close()
        raise
    return OpenRun(ctx=ctx, progress=bar, model=model, judge_model=judge_model, owned=owned)


def run_report(
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
    closed = closing_reasons(stats, config.ks)
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
        closed_k={str(k): why for k, why in sorted(closed.items())},
        rejection_reasons=reasons,
        singles=singles.summary(stats) if config.singles else None,
        revisions=int(stats.get("revisions", 0)),
        waves=int(values.get("wave", 0)),
        stop_reason=str(values.get("stop_reason") or "interrupted"),
        usage=usage,
        budget=config.budget,
        elapsed_s=round(time.monotonic() - started, 3),
        output=str(config.output),
        rejects=str(config.rejects_path),
        resumed=resumed,
        difficulty_by_k=difficulty_by_k(config.output) or None,
    )


def difficulty_by_k(samples: str | Path) -> dict[str, dict[str, float]]:
    """Mean of each numeric task difficulty field (depth, fan-in, state changes, ...) per k
    over the accepted samples in ``samples``, rounded to 2 places; ``{}`` when none carry one.

    The difficulty is read from the oracle verdict's details in each sample's metadata (the
    agentic mode puts it there), so the figure comes from the durable file and a resumed run
    reports the same numbers as an uninterrupted one.
    """
    from steps_agents.synthesis.export import read_samples

    try:
        records = read_samples(samples) if Path(samples).exists() else []
    except InputError:  # an output format without per-sample metadata
        return {}
    sums: dict[str, dict[str, list[float]]] = {}
    for record in records:
        meta = record.get("metadata") or record.get("provenance") or {}
        if record.get("status", "accepted") != "accepted":
            continue
        for verdict in meta.get("verdicts") or ():
            found = (verdict.get("details") or {}).get("difficulty")
            if verdict.get("judge") != "oracle" or not isinstance(found, dict):
                continue
            per_k = sums.setdefault(str(meta.get("k", len(meta.get("skills") or ()))), {})
            for name, value in found.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    per_k.setdefault(str(name), []).append(float(value))
    return {
        k: {name: round(sum(v) / len(v), 2) for name, v in fields.items()}
        for k, fields in sums.items()
    }
