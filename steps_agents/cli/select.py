"""``steps select``: choose k-skill combinations from a taxonomy and write them as JSONL.

One JSON object a line, the version marker ``"schema": "steps-agents/combination@1"`` first
(:data:`steps_agents.fileformats.COMBINATION_SCHEMA`), then a
:class:`~steps_agents.records.Combination` (``skills`` seed first then
in the order chosen, ``k``, ``gain`` = ``H(S | {})`` in bits, ``selector``, ``seed_skill``,
``paths`` root-to-leaf node ids, ``lca``/``lca_depth``, ``corpus_count`` with ``--corpus``,
``epoch`` with ``--curriculum``, and ``extra.path_labels``). The file is written atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from steps_agents.cli.focus_summary import report_ks
from steps_agents.errors import InputError, OutputError
from steps_agents.fileformats import (
    COMBINATION_SCHEMA,
    SCHEMA_KEY,
    display_text,
    iter_text_lines,
    refuse_overwriting,
)
from steps_agents.records import Combination
from steps_agents.selection import (
    DEFAULT_K,
    coverage_report,
    curriculum_k_weights,
    format_report,
    order_by_curriculum,
    parse_k,
    parse_k_weights,
    select_combinations,
)
from steps_agents.selection.api import SEED_SAMPLING
from steps_agents.taxonomy.artifact import load_taxonomy


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "select",
        help="choose k-skill combinations by structural information gain",
        description="Choose n unique k-skill combinations from a taxonomy (STEPS spec, section 4).",
    )
    p.add_argument("--taxonomy", required=True, help="taxonomy.json from `steps taxonomy build`")
    p.add_argument("-n", type=int, required=True, help="number of unique combinations")
    p.add_argument(
        "--k",
        help="k values: a range 2-7 or a list 2,3,5 (default 2-7; with --focus, the k range the"
        " report's agent was evaluated at)",
    )
    p.add_argument("--k-weights", help="comma-separated weight per k (default uniform)")
    p.add_argument(
        "--selector",
        default=None,
        help="steps (default), unconstrained, longtail, random, random-coherent, focus (set by"
        " --focus), or a plugin's",
    )
    p.add_argument("--beam", type=int, default=100, help="beam width (default 100)")
    add_focus_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--seed-sampling",
        choices=SEED_SAMPLING,
        default="round-robin",
        help="every skill in turn, or weighted toward rare skills",
    )
    p.add_argument(
        "--seeds",
        help="seed skills in order: comma-separated, or @FILE with one skill a line (default: every skill)",
    )
    p.add_argument("--corpus", help="corpus to count how often each chosen set already occurs")
    p.add_argument(
        "--extractor", default="auto", help="skill extractor for --corpus (default auto)"
    )
    p.add_argument(
        "--longtail-threshold",
        type=int,
        default=1,
        help="longtail: skip sets seen at least this often (default 1)",
    )
    p.add_argument(
        "--exclude", help="JSONL of combinations (e.g. an earlier output) not to choose again"
    )
    p.add_argument(
        "--curriculum",
        action="store_true",
        help="k mix and epochs from the spec's easy-to-hard schedule",
    )
    p.add_argument("--epochs", type=int, default=3, help="epochs for --curriculum (default 3)")
    p.add_argument("-o", "--output", default="-", help="output JSONL (default stdout)")
    p.add_argument("--report", action="store_true", help="print a coverage summary")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress line")
    p.set_defaults(handler=run)


def add_focus_arguments(parser: argparse.ArgumentParser) -> None:
    """``--focus REPORT.json``, ``--focus-strength``, ``--focus-agent`` (select and synth)."""
    parser.add_argument(
        "--focus",
        metavar="REPORT",
        help="an evaluation report (steps eval -o): steer the selection toward the skills, pairs"
        " and communities its agent failed (selector focus)",
    )
    parser.add_argument(
        "--focus-strength",
        type=float,
        metavar="L",
        help="0 = plain steps; at least a share L/(1+L) of the sets that can hold a failure"
        " hold one (default 6); the heaviest failure also gets 5x the sets plain steps gives it",
    )
    parser.add_argument(
        "--focus-agent", metavar="NAME", help="the report's agent (default: its first)"
    )


def focus_options(args: argparse.Namespace) -> dict[str, Any]:
    """Selector options for ``--focus`` (empty without it); checks the flags go together."""
    if not args.focus:
        if args.focus_strength is not None or args.focus_agent:
            raise InputError("needs --focus REPORT.json", location="--focus-strength/--focus-agent")
        return {}
    if args.selector not in (None, "focus"):
        raise InputError(
            f"--focus uses the focus selector; drop --selector {args.selector}", location="--focus"
        )
    from steps_agents.selection.focus import load_focus
    from steps_agents.selection.focused import DEFAULT_STRENGTH

    strength = DEFAULT_STRENGTH if args.focus_strength is None else args.focus_strength
    if not strength >= 0:
        raise InputError(f"must be >= 0, got {strength}", location="--focus-strength")

    load_focus(args.focus, args.focus_agent)  # a bad report fails here, before any work
    return {"focus": str(args.focus), "focus_strength": strength, "focus_agent": args.focus_agent}


def _read_exclude(path: str) -> list[frozenset[str]]:
    out = []
    for i, line in iter_text_lines(path):  # plain or gzip; bad bytes name their line
        if not line.strip():
            continue
        try:
            # Only 'skills' is read, so any file with a top-level 'skills' list works here
            # (combinations of any version, task files); the 'schema' marker is not checked.
            row = json.loads(line)
            skills = row["skills"] if isinstance(row, dict) else row
            if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
                raise ValueError("skills must be a list of strings")
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"expected an object with a 'skills' list ({exc})", location=f"{path}:{i}"
            ) from None
        out.append(frozenset(skills))
    return out


def _read_seeds(text: str, taxonomy: Any) -> list[str]:
    """The ``--seeds`` skills, each checked against the taxonomy (the error names the file line
    or the flag, so a typo is found at once)."""
    if text.startswith("@"):
        where = text[1:]
        found = [(f"{where}:{i}", line.strip()) for i, line in iter_text_lines(where)]
    else:
        found = [("--seeds", part.strip()) for part in text.split(",")]
    seeds = [(location, skill) for location, skill in found if skill]
    if not seeds:
        raise InputError("no seed skills given", location="--seeds")
    for location, skill in seeds:
        if skill not in taxonomy.leaf_of:
            raise InputError(
                f"skill {skill!r} is not in the taxonomy; `steps taxonomy show` lists them",
                location=location,
            )
    return [skill for _, skill in seeds]


def _write(path: str, combos: list[Combination]) -> None:
    lines = "".join(
        json.dumps(
            {SCHEMA_KEY: COMBINATION_SCHEMA, **c.model_dump(mode="json")}, ensure_ascii=False
        )
        + "\n"
        for c in combos
    )
    if path == "-":
        sys.stdout.write(lines)
        sys.stdout.flush()
        return
    target = Path(path)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    try:
        tmp.write_text(lines, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        with contextlib.suppress(OSError):  # a path under a file: the temp file is not there
            tmp.unlink(missing_ok=True)
        raise OutputError(path, exc) from None


def run(args: argparse.Namespace) -> int:
    if args.n < 1:  # zero combinations is never what the user meant
        raise InputError(f"must be at least 1, got {args.n}", location="-n")
    refuse_overwriting(
        {"-o": args.output},
        {
            "--taxonomy": args.taxonomy,
            "--corpus": args.corpus,
            "--exclude": args.exclude,
            "--focus": args.focus,
        },
    )
    taxonomy = load_taxonomy(args.taxonomy)
    ks = parse_k(args.k or (args.focus and report_ks(args.focus, args.focus_agent)) or "2-7")
    weights = parse_k_weights(args.k_weights, ks) if args.k_weights else None
    if args.curriculum and weights is None:
        if sorted(ks) != list(DEFAULT_K):
            raise InputError(
                "--curriculum follows the spec's schedule for k = 2..7; use --k 2-7 or give --k-weights",
                location="--k",
            )
        ks, weights = list(DEFAULT_K), curriculum_k_weights(args.epochs)
    counts = None
    if args.corpus:
        from steps_agents.corpus.cooccurrence import corpus_set_counts

        counts = corpus_set_counts(args.corpus, args.extractor)
    focus = focus_options(args)
    combos = select_combinations(
        taxonomy,
        n=args.n,
        k=ks,
        k_weights=weights,
        selector="focus" if focus else args.selector or "steps",
        beam=args.beam,
        seed=args.seed,
        corpus_counts=counts,
        exclude=_read_exclude(args.exclude) if args.exclude else (),
        seeds=_read_seeds(args.seeds, taxonomy) if args.seeds else None,
        seed_sampling=args.seed_sampling,
        options={"longtail_threshold": args.longtail_threshold, **focus},
        progress=not args.no_progress,
    )
    if args.curriculum:
        combos = [
            c.model_copy(update={"epoch": e})
            for e, c in order_by_curriculum(combos, epochs=args.epochs)
        ]
    _write(args.output, combos)
    report = coverage_report(taxonomy, combos)
    # With the combinations on stdout the summary must not mix into them.
    out = sys.stderr if args.output == "-" else sys.stdout
    if args.json:
        print(json.dumps({"output": args.output, **report}), file=out)
    elif args.report:
        print(display_text(format_report(report), multiline=True), file=out)
    else:
        name = combos[0].selector if combos else args.selector
        print(f"wrote {len(combos)} combinations ({name}) to {args.output}", file=sys.stderr)
        if focus:
            _print_focus(args, combos)
    return 0


def _print_focus(args: argparse.Namespace, combos: list[Any]) -> None:
    """What ``--focus`` targeted, as ``steps loop`` prints it (on stderr, beside the line above)."""
    from steps_agents.cli.focus_summary import format_targets, summarise
    from steps_agents.selection.focus import load_focus

    focus = load_focus(args.focus, args.focus_agent)
    targets = summarise(focus, [c.key() for c in combos], top=5)
    for line in format_targets(targets, focus.agent, "combinations chosen here"):
        print(line, file=sys.stderr)
    if not any(targets.values()):
        report = json.loads(Path(args.focus).read_text(encoding="utf-8"))
        names = [a.get("agent") for a in report.get("agents") or () if isinstance(a, dict)]
        others = [str(a) for a in names if a and a != focus.agent]
        if others:
            print(f"  (--focus-agent NAME for another agent: {', '.join(others)})", file=sys.stderr)
