"""``steps quickstart``: the whole method, offline, on a skill world's bundled corpus.

1. taxonomy: read the corpus (tool-call trajectories), count skill co-occurrence, build the
   encoding tree that minimises structural entropy;
2. synthesis: the synthesis graph in ``agentic`` mode selects k-skill combinations (selector
   ``steps``) and turns each into an executable task with an oracle plan and a checker, verified
   by the critic (the ``plan`` judge included); no model is needed (goal instructions are
   composed from the world's noun phrases);
3. evaluation: the evaluator graph runs the ``oracle``, ``random`` and ``keyword`` reference
   agents on every task and checks their answers by execution; ``keyword`` also runs on the
   recipe instructions of the same plans (:mod:`steps_agents.graphs.instruction_styles`), which
   shows how much a numbered recipe gives away.

Every stage writes a versioned file under the output directory, and each is resumable: rerunning
the command continues an interrupted run (same run ids) instead of starting over. A rerun
finishes the synthesis before evaluating (see :func:`_synthesise`); if it still stops short of
its target, :attr:`QuickstartResult.partial` says so and ``steps quickstart`` exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.plugin_manager import default_plugin_manager
from steps_agents.registry import get_skill_world, get_synthesis_mode


@dataclass
class QuickstartResult:
    out_dir: Path
    taxonomy: Any
    synthesis: Any
    report: Any
    files: dict[str, Path]
    recipe_report: Any = None  # the keyword agent on the recipe versions of the same tasks

    @property
    def partial(self) -> str | None:
        """Why the report covers fewer tasks than asked (``None`` when it covers them all)."""
        s = self.synthesis
        if s.stop_reason == "target reached":
            return None
        return f"synthesis stopped at {s.accepted}/{s.target} tasks ({s.stop_reason})"


SYNTH_ATTEMPTS = 3


def _synthesise(config: Any, *, quiet: bool, **kwargs: Any) -> Any:
    """``run_synthesis``, asked again while it ends ``interrupted`` short of its target and
    still gains samples. A run resumed after Ctrl-C can end with the items of its interrupted
    superstep still counted as pending, so its planner waits for them and the graph stops
    without a stop reason (seen: 132 of 140 tasks, then a 132-task report with exit 0); asked
    again, the finished run forgets them and plans the rest."""
    from steps_agents.graphs.synthesis import run_synthesis

    report = run_synthesis(config, **kwargs)
    for _ in range(SYNTH_ATTEMPTS - 1):
        if report.stop_reason != "interrupted" or report.accepted >= config.n:
            break
        before = report.accepted
        if not quiet:
            print(f"synthesis ended at {before}/{config.n} (interrupted); planning the rest")
        report = run_synthesis(config, **kwargs)
        if report.accepted <= before:
            break
    return report


def _stage(title: str, *, quiet: bool) -> None:
    if not quiet:
        print(f"== {title}", flush=True)


def run_quickstart(
    out_dir: str | Path = "quickstart-out",
    *,
    world: str = "toolworld",
    corpus: str | None = None,
    per_k: int = 28,
    k: str | tuple[int, int] = "1-5",
    height: int = 3,
    seed: int = 0,
    agents: tuple[str, ...] = ("oracle", "random", "keyword"),
    extractor: str = "tool_calls",
    skip_empty: bool = False,
    singles: bool = True,
    quiet: bool = False,
) -> QuickstartResult:
    """Run the three stages into ``out_dir`` and return what each produced.

    ``k``: the k values of the tasks, in the grammar every subcommand shares (``"1-7"``,
    ``"2,3,5"``; a ``(LO, HI)`` tuple is the range), ``per_k`` tasks for each.
    ``singles``: also a k = 1 task for every skill the k >= 2 tasks use and no k = 1 task covers
    (``[synth] singles``, on top of the ``per_k`` tasks), so every k >= 2 task's compositional
    gap is measurable. ``extractor`` reads the corpus (``tool_calls`` for the bundled trajectories; ``auto`` or a
    plugin's for another corpus) and ``skip_empty`` drops records it finds no skill in.
    """
    from steps_agents.graphs.evaluation import evaluate

    from steps_agents.corpus.cooccurrence import build_skill_graph, count_corpus
    from steps_agents.evaluation.agents import AgentOptions, resolve_agent
    from steps_agents.evaluation.config import EvalConfig
    from steps_agents.evaluation.store import file_fingerprint, run_id_for
    from steps_agents.synthesis.config import SynthConfig, format_ks, parse_ks
    from steps_agents.taxonomy.builder import build_taxonomy
    from steps_agents.worlds import load_tasks

    try:
        ks = parse_ks(k)
    except ValueError as exc:
        raise InputError(str(exc), location="--k") from None
    if per_k < 1:
        raise InputError(f"--per-k must be at least 1, got {per_k}")
    if height < 1:  # the same wording as `steps taxonomy build --height`
        raise InputError(f"--height must be at least 1, got {height}")
    pm = default_plugin_manager()
    skill_world = get_skill_world(world, pm)
    source = corpus or getattr(skill_world, "corpus", None)
    if source is None:
        raise InputError(f"world {world!r} bundles no corpus; pass --corpus FILE")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "taxonomy": out / "taxonomy.json",
        "samples": out / "samples.jsonl",
        "tasks": out / "tasks.jsonl",
        "report": out / "report.json",
        "markdown": out / "report.md",
    }

    _stage(f"1/3 taxonomy of {Path(str(source)).name}", quiet=quiet)
    counts = count_corpus(str(source), extractor, skip_empty=skip_empty, progress=not quiet, pm=pm)
    graph = build_skill_graph(counts, weighting="steps", source=str(source))
    taxonomy = build_taxonomy(
        graph, height=height, seed=seed, params={"extractor": extractor}, progress=not quiet
    )
    taxonomy.save(files["taxonomy"])
    if not quiet:
        print(
            f"{graph.n_skills} skills, {graph.n_edges} edges from {graph.n_records} trajectories;"
            f" H1 {taxonomy.one_dim_entropy:.3f} bits, H^T {taxonomy.structural_entropy:.3f} bits"
            f" -> {files['taxonomy']}"
        )

    extra = " + a k = 1 task for each skill used at k >= 2 without one" if singles else ""
    _stage(
        f"2/3 synthesis: {per_k * len(ks)} verified {world} tasks over k = {format_ks(ks)}{extra}",
        quiet=quiet,
    )
    config = SynthConfig(
        taxonomy=files["taxonomy"],
        corpus=str(source),
        n=per_k * len(ks),
        k=format_ks(ks),
        mode="agentic",
        mode_options={"world": world},
        output=files["samples"],
        run_id=f"quickstart-{world}-{seed}",
        seed=seed,
        extractor=extractor,
        singles=singles,
    )
    synthesis = _synthesise(config, quiet=quiet, pm=pm, taxonomy=taxonomy, progress=not quiet)
    if not quiet:
        print(synthesis.text())
    mode = get_synthesis_mode("agentic", pm)
    mode.export_tasks(files["samples"], files["tasks"], seed=seed, world=world, pm=pm)
    tasks = load_tasks(files["tasks"], pm)

    _stage(f"3/3 evaluation of {', '.join(agents)} on {len(tasks)} tasks", quiet=quiet)
    options = AgentOptions(seed=seed, pm=pm)
    resolved = {name: resolve_agent(name, options) for name in agents}
    run_id = run_id_for(file_fingerprint(files["tasks"]), list(agents), seed=seed)
    eval_config = EvalConfig(
        run_id=run_id,
        state_dir=out / "eval-state",
        seed=seed,
        agent=agents[0],
        compare=agents[1] if len(agents) >= 2 else None,
    )
    report, _ = evaluate(
        eval_config,
        tasks,
        resolved,
        taxonomy=taxonomy,
        pm=pm,
        progress=not quiet,
        meta={"tasks_file": str(files["tasks"]), "agents": list(agents), "quickstart": True},
    )
    from steps_agents.evaluation.report import to_markdown, write_report

    write_report(report, files["report"])
    files["markdown"].write_text(to_markdown(report), encoding="utf-8")
    recipe_report = None
    if "keyword" in agents:
        from steps_agents.graphs.instruction_styles import evaluate_recipe

        recipe_report, recipe_files = evaluate_recipe(
            tasks, skill_world, out, seed=seed, pm=pm, taxonomy=taxonomy, progress=not quiet
        )
        files.update(recipe_files)
    files["html"] = write_quickstart_report(out, counts, quiet=quiet)
    return QuickstartResult(out, taxonomy, synthesis, report, files, recipe_report)


def write_quickstart_report(out: Path, counts: Any, *, quiet: bool) -> Path:
    """``corpus-stats.json`` (what ``steps taxonomy stats --json`` prints) and ``report.html``:
    the page ``steps report OUT_DIR`` draws from every file above, long tail included."""
    import json

    from steps_agents.corpus.powerlaw import corpus_statistics
    from steps_agents.reporting import load_inputs, write_html

    (out / "corpus-stats.json").write_text(
        json.dumps(corpus_statistics(counts), indent=1) + "\n", encoding="utf-8"
    )
    path = write_html(load_inputs([out]), out / "report.html", title="steps quickstart report")
    if not quiet:
        print(f"report: {path} (open it in a browser; it needs no network)")
    return path
