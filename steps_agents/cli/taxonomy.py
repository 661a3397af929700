"""``steps taxonomy build|show|stats``: from a corpus to a structural-entropy skill taxonomy.

- ``build CORPUS -o taxonomy.json`` (or ``--graph edges.csv``): count co-occurrences, weight the
  edges, build the encoding tree, save the artifact and print a summary (``--json`` for scripts).
- ``show taxonomy.json [--depth N] [--format text|mermaid|json]``: print the tree.
- ``stats CORPUS [--json]``: the power-law analysis of spec section 1 (:mod:`steps_agents.corpus.powerlaw`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from steps_agents.corpus.cooccurrence import (
    WEIGHTINGS,
    CooccurrenceCounts,
    build_skill_graph,
    count_corpus,
    graph_summary,
    read_edge_csv,
    weighting_function,
)
from steps_agents.corpus.extract import AUTO, ExtractionStats, ExtractorChooser, ExtractorOptions
from steps_agents.errors import InputError
from steps_agents.fileformats import display_text, refuse_overwriting
from steps_agents.runtime.executor import Executor
from steps_agents.taxonomy.artifact import Taxonomy, load_taxonomy

DEFAULT_WEIGHT = "steps"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("taxonomy", help="build, show and analyse skill taxonomies")
    sub = p.add_subparsers(dest="taxonomy_command", metavar="ACTION")
    p.set_defaults(handler=lambda args: _usage(p))

    b = sub.add_parser("build", help="build a taxonomy from a corpus or an edge list")
    b.add_argument("corpus", nargs="?", help="JSONL corpus (plain or .gz) or any plugin source")
    b.add_argument(
        "--graph", type=Path, help="CSV edge list source,target,weight instead of a corpus"
    )
    b.add_argument("-o", "--output", type=Path, default=Path("taxonomy.json"), help="output file")
    _add_extraction_args(b)
    b.add_argument(
        "--weight",
        default=None,
        help=f"edge weighting: {', '.join(WEIGHTINGS)} (default {DEFAULT_WEIGHT})",
    )
    b.add_argument("--height", type=int, default=3, help="community levels between root and leaves")
    b.add_argument(
        "--min-count", type=int, default=1, help="drop skills and pairs seen fewer times"
    )
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--json", action="store_true", help="print the summary as JSON")
    b.set_defaults(handler=run_build)

    s = sub.add_parser("show", help="print a taxonomy file as a tree")
    s.add_argument("taxonomy", type=Path)
    s.add_argument("--depth", type=int, default=None, help="print nodes down to this depth")
    s.add_argument("--format", choices=("text", "mermaid", "json"), default="text")
    s.set_defaults(handler=run_show)

    st = sub.add_parser("stats", help="power-law analysis of skill combinations in a corpus")
    st.add_argument("corpus")
    _add_extraction_args(st)
    st.add_argument("--max-k", type=int, default=5, help="largest k for combination coverage")
    st.add_argument(
        "--top", type=int, default=5, help="how many top skills, pairs and sets to list"
    )
    st.add_argument("--json", action="store_true", help="print the full report as JSON")
    st.set_defaults(handler=run_stats)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _add_extraction_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--extractor", default=AUTO, help="skill extractor name, or auto (by record shape)"
    )
    p.add_argument("--lexicon", type=Path, help="skill vocabulary file for the lexicon extractor")
    p.add_argument("--model", help="chat model spec for the llm extractor")
    p.add_argument("--batch-size", type=int, default=32, help="records per extractor call")
    p.add_argument("--cache", type=Path, help="cache file for model-based extractors")
    p.add_argument(
        "--extractor-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="plugin-specific extractor option (repeatable; VALUE parsed as JSON when it can be)",
    )
    p.add_argument(
        "--skip-empty",
        action="store_true",
        help="drop records in which the extractor finds no skill (default: error)",
    )
    p.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where a JSONL corpus is read and counted in shards: local processes (every core)"
        " or a Ray cluster (extra ray); the counts are the same",
    )
    p.add_argument("--ray-address", help="Ray cluster address (auto, ray://HOST:10001)")
    p.add_argument("--workers", type=int, help="local processes, or CPUs of a local Ray")


def _executor(args: argparse.Namespace) -> Executor:
    from steps_agents.runtime.parallel import get_executor

    return get_executor(args.executor, address=args.ray_address, workers=args.workers)


def _count(
    args: argparse.Namespace, *, stats: ExtractionStats | None = None, keep_sets: bool = True
) -> CooccurrenceCounts:
    """Count ``args.corpus`` through the chosen extractor, on the chosen executor; the
    extractor's name and options are checked before the corpus is read."""
    options = _options(args)
    ExtractorChooser(args.extractor, options)
    return count_corpus(
        args.corpus,
        args.extractor,
        options,
        skip_empty=args.skip_empty,
        progress=True,
        stats=stats,
        executor=_executor(args),
        keep_sets=keep_sets,
    )


def _options(args: argparse.Namespace) -> ExtractorOptions:
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
    extra: dict[str, Any] = {}
    for item in args.extractor_opt:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--extractor-opt expects KEY=VALUE, got {item!r}")
        try:
            extra[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            extra[key.strip()] = value
    return ExtractorOptions(
        lexicon=args.lexicon,
        model=args.model,
        batch_size=args.batch_size,
        cache_path=args.cache,
        extra=extra,
    )


# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------


MAX_HEIGHT = 32
"""Most community levels of ``taxonomy build --height``: each level is a pass over the graph, so
the work grows with the height; 32 levels is beyond any useful tree (docs/reliability.md)."""


def run_build(args: argparse.Namespace) -> int:
    from steps_agents.taxonomy.builder import build_taxonomy

    if (args.corpus is None) == (args.graph is None):
        raise InputError("give either a CORPUS or --graph FILE (exactly one)")
    refuse_overwriting(
        {"-o": args.output},
        {"CORPUS": args.corpus, "--graph": args.graph, "--lexicon": args.lexicon},
    )
    if not 1 <= args.height <= MAX_HEIGHT:
        raise InputError(f"--height must be between 1 and {MAX_HEIGHT}, got {args.height}")
    if args.min_count < 1:
        raise InputError(f"--min-count must be at least 1, got {args.min_count}")
    params: dict[str, Any] = {"min_count": args.min_count}
    if args.graph is not None:
        if args.weight is not None:
            raise InputError("--weight applies to a corpus; a --graph file carries its own weights")
        graph = read_edge_csv(args.graph)
        params["input"] = "graph"
        skipped = 0
    else:
        weighting = args.weight or DEFAULT_WEIGHT
        weighting_function(weighting)  # unknown names fail before the corpus is read
        read = ExtractionStats()
        # the graph needs c_i and c_ij only, not the exact sets: memory then O(pairs)
        counts = _count(args, stats=read, keep_sets=False)
        graph = build_skill_graph(
            counts, weighting=weighting, min_count=args.min_count, source=args.corpus
        )
        del counts  # the counts are not needed by the builder: free them first
        if graph.n_skills == 0:
            raise InputError(f"no skill is seen at least --min-count {args.min_count} times")
        params.update(extractor=args.extractor, weighting=weighting, input="corpus")
        skipped = read.skipped_empty
    taxonomy = build_taxonomy(
        graph, height=args.height, seed=args.seed, params=params, progress=True
    )
    taxonomy.meta["stats"] = {**graph_summary(graph), "skipped_empty": skipped}
    taxonomy.save(args.output)
    summary = build_summary(taxonomy, args.output)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(display_text(format_summary(summary), multiline=True))
    return 0


def _effective(t: Taxonomy, node: int) -> int:
    """Skip single-child chains so a "community" is a node where the tree actually branches."""
    while len(t.children[node]) == 1 and t.children[t.children[node][0]]:
        node = t.children[node][0]
    return node


def top_communities(t: Taxonomy, limit: int = 8) -> list[dict[str, Any]]:
    """The root's communities (chains skipped), largest volume first."""
    root = _effective(t, 0)
    total = t.total_volume or 1.0
    rows: list[dict[str, Any]] = []
    for child in t.children[root]:
        c = _effective(t, child)
        rows.append(
            {
                "node": c,
                "label": t.label(c),
                "skills": len(t.subtree_skills(c)),
                "volume_share": t.nodes[c].volume / total,
            }
        )
    rows.sort(key=lambda r: (-r["volume_share"], r["node"]))
    return rows[:limit]


def build_summary(t: Taxonomy, output: Path) -> dict[str, Any]:
    stats = t.meta.get("stats", {})
    return {
        "output": str(output),
        "skills": len(t.skills),
        "edges": stats.get("edges"),
        "records": stats.get("records"),
        "weighting": stats.get("weighting"),
        "height": t.meta.get("height"),
        "one_dim_entropy": t.one_dim_entropy,
        "structural_entropy": t.structural_entropy,
        "theta": t.meta.get("theta"),
        "fingerprint": t.meta.get("input", {}).get("fingerprint"),
        "top_communities": top_communities(t),
    }


def format_summary(s: dict[str, Any]) -> str:
    source = f" from {s['records']} records" if s.get("records") else ""
    lines = [
        f"wrote {s['output']}: {s['skills']} skills, {s['edges']} edges"
        f" ({s['weighting']} weights){source}, height {s['height']}",
        f"H1 {s['one_dim_entropy']:.4f} bits, H^T {s['structural_entropy']:.4f} bits,"
        f" theta {s['theta']:.3f}",
        "top communities:",
    ]
    for row in s["top_communities"]:
        lines.append(f"  {row['volume_share']:6.1%}  {row['skills']:4d} skills  {row['label']}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# show
# ---------------------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    if args.depth is not None and args.depth < 0:
        raise InputError(f"--depth must be at least 0, got {args.depth}")
    t = load_taxonomy(args.taxonomy)
    if args.format == "json":
        print(json.dumps(taxonomy_json(t, args.depth), indent=1))
    elif args.format == "mermaid":
        print(display_text(to_mermaid(t, args.depth), multiline=True))
    else:
        print(display_text(to_text(t, args.depth), multiline=True))
    return 0


def _visible(t: Taxonomy, depth: int | None) -> list[int]:
    """Node ids in depth-first order, down to ``depth`` (all when ``None``)."""
    out, stack = [], [0]
    while stack:
        v = stack.pop()
        out.append(v)
        if depth is None or t.depth[v] < depth:
            stack.extend(reversed(t.children[v]))
    return out


def to_text(t: Taxonomy, depth: int | None = None) -> str:
    h1 = t.one_dim_entropy
    lines = [
        f"root: {len(t.skills)} skills, H^T {t.structural_entropy:.4f} bits, H1 {h1:.4f} bits,"
        f" theta {t.meta.get('theta', float('nan')):.3f}"
    ]
    total = t.total_volume or 1.0
    for v in _visible(t, depth)[1:]:
        node = t.nodes[v]
        indent = "  " * (int(t.depth[v]) - 1)
        if node.skill is not None:
            count = f"count {node.count}, " if node.count is not None else ""
            lines.append(f"{indent}- {node.skill} ({count}path entropy {t.path_term[v]:.3f})")
        else:
            n = len(t.subtree_skills(v))
            lines.append(
                f"{indent}+ [{v}] {t.label(v)} ({n} skills, {node.volume / total:.1%} of volume)"
            )
    return "\n".join(lines)


def _mermaid_label(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


def to_mermaid(t: Taxonomy, depth: int | None = None) -> str:
    lines = ["flowchart TD", f'  n0["root ({len(t.skills)} skills)"]']
    for v in _visible(t, depth)[1:]:
        lines.append(f'  n{v}["{_mermaid_label(t.label(v))}"]')
        lines.append(f"  n{t.parent[v]} --> n{v}")
    return "\n".join(lines)


def taxonomy_json(t: Taxonomy, depth: int | None = None) -> dict[str, Any]:
    body = t.to_dict()
    if depth is not None:
        keep = {v for v in range(len(t.nodes)) if t.depth[v] <= depth}
        body["nodes"] = [row for row in body["nodes"] if row["id"] in keep]
    return body


# ---------------------------------------------------------------------------------------------
# stats
# ---------------------------------------------------------------------------------------------


def run_stats(args: argparse.Namespace) -> int:
    from steps_agents.corpus.powerlaw import corpus_statistics

    if args.max_k < 2:
        raise InputError(f"--max-k must be at least 2, got {args.max_k}")
    counts = _count(args)
    report = corpus_statistics(counts, max_k=args.max_k, top=args.top)
    report["source"] = args.corpus
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(display_text(format_stats(report), multiline=True))
    return 0


def _fit_text(fit: dict[str, Any] | None) -> str:
    if fit is None:
        return "too few values to fit"
    text = (
        f"alpha {fit['alpha']:.2f} +/- {fit['sigma']:.2f} for x >= {fit['xmin']}"
        f" ({fit['n_tail']} of {fit['n']}), KS {fit['ks']:.3f}"
    )
    if fit.get("llr") is not None:
        text += f", vs exponential LLR {fit['llr']:+.1f} (p {fit['llr_p']:.2g})"
    return text


def _short_fit(fit: dict[str, Any] | None) -> str:
    if fit is None:
        return "-"
    return f"alpha {fit['alpha']:.2f} +/- {fit['sigma']:.2f} (x >= {fit['xmin']})"


def format_stats(r: dict[str, Any]) -> str:
    lines = [
        f"{r['source']}: {r['records']} records, {r['skills']} skills,"
        f" {r['mean_set_size']:.2f} skills per record on average",
        "",
        f"{'':14}{'distinct':>9}{'max':>7}{'median':>8}{'top 1%':>8}{'top 10%':>8}"
        f"{'seen once':>10}  power-law fit of the frequency distribution",
    ]
    for key, name in (("singles", "single skills"), ("pairs", "pairs"), ("sets", "whole sets")):
        d = r[key]
        lines.append(
            f"{name:14}{d['distinct']:>9}{d['max']:>7}{d['median']:>8.1f}"
            f"{d['top_1pct_share']:>8.1%}{d['top_10pct_share']:>8.1%}"
            f"{d['seen_once_share_of_items']:>10.1%}  {_fit_text(d['fit'])}"
        )
    lines += [
        "  (top 1%/10%: share of occurrences held by the most frequent 1%/10% of items;"
        " seen once: share of distinct items that occur once)",
        f"  fit: {r['fit_method']}",
        "",
        f"pairs ever seen: {r['pairs_seen']} of {r['pairs_possible']} possible"
        f" ({r['pair_coverage']:.1%})",
        f"{'k':>3}{'records':>9}{'distinct sets':>15}{'of C(n,k)':>11}{'seen once':>11}"
        f"{'inside records':>16}{'of C(n,k)':>11}  whole-set frequency fit",
    ]
    for row in r["by_k"]:
        inside = row.get("occurring_inside_records")
        share = row.get("share_of_possible_inside_records")
        lines.append(
            f"{row['k']:>3}{row['records']:>9}{row['distinct_sets']:>15}"
            f"{row['share_of_possible_as_whole_set']:>11.3%}{row['sets_seen_once_share']:>11.1%}"
            f"{'' if inside is None else inside:>16}{'' if share is None else f'{share:.3%}':>11}"
            f"  {_short_fit(row['fit'])}"
        )
    lines.append("")
    lines.append("frequency distributions (items seen 1, 2-3, 4-7, ... times):")
    for key, name in (("singles", "single skills"), ("pairs", "pairs"), ("sets", "whole sets")):
        bins = " ".join(
            f"{b['min']}{'' if b['min'] == b['max'] else '-' + str(b['max'])}:{b['items']}"
            for b in r[key]["frequency"]
        )
        lines.append(f"  {name:14}{bins}")
    top = r["top"]
    lines.append("")
    lines.append("most frequent: " + ", ".join(f"{s} ({c})" for s, c in top["skills"]))
    lines.append("  pairs: " + ", ".join(f"{' + '.join(p)} ({c})" for p, c in top["pairs"]))
    lines.append("  sets: " + ", ".join(f"{{{', '.join(s)}}} ({c})" for s, c in top["sets"]))
    return "\n".join(lines)
