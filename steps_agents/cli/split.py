"""steps split FILE --policy NAME -o DIR: train/test splits that test composition.

FILE is a combinations, samples or tasks file (JSONL, plain or gzip), told apart by the schema
marker of its first line, or tagged corpus records (no marker); each record's skill set is read
from "skills" (combinations, tasks, corpus), "metadata.skills" (samples) or "label.ability"
(SkillBench-shaped corpus records). Lines are copied verbatim to DIR/train.jsonl and
DIR/test.jsonl; DIR/split.json (schema steps-agents/split@1) records the policy, its
parameters, the seed, the counts and what the sides share (skills, pairs, sets). The policies
and their guarantees: README, "Train on some combinations, test on others".
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError, OutputError
from steps_agents.fileformats import SCHEMA_KEY, software_versions
from steps_agents.selection import splits
from steps_agents.selection.record_sets import read_records


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "split",
        help="split combinations, samples or tasks into train and test by a held-out policy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="combinations, samples or tasks JSONL")
    p.add_argument("--policy", required=True, choices=splits.POLICIES, help="split policy")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        help="combination: share of sets (--strict: of pairs) held out; skill, community:"
        " share of skills or communities; random: share of records (default 0.2)",
    )
    p.add_argument("--seed", type=int, default=0, help="hash seed (default 0)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="combination: no test set is even a subset of a train set (held-out pairs)",
    )
    p.add_argument("--max-train-k", type=int, help="k: train k <= this, test k > this")
    p.add_argument("--taxonomy", help="community: the taxonomy whose regions are held out")
    p.add_argument(
        "--level", type=int, default=1, help="community: depth of the held-out nodes (default 1)"
    )
    p.add_argument(
        "--holdout",
        metavar="A,B",
        help="skill: skills to hold out; community: community labels (default: by --test-fraction)",
    )
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(handler=run)


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _communities(
    args: argparse.Namespace, sets: list[frozenset[str]]
) -> tuple[list[bool], dict[str, Any]]:
    from steps_agents.taxonomy.artifact import load_taxonomy

    if not args.taxonomy:
        raise InputError("the community policy needs --taxonomy", location="--taxonomy")
    taxonomy = load_taxonomy(args.taxonomy)
    nodes = [v for v in range(len(taxonomy.nodes)) if int(taxonomy.depth[v]) == args.level]
    names = {v: taxonomy.label(v) for v in nodes}
    if len(set(names.values())) < len(names):  # labels are not unique: add the node id
        names = {v: f"{label} (node {v})" for v, label in names.items()}
    community_of: dict[str, str] = {}
    for v in nodes:
        for skill in taxonomy.subtree_skills(v):
            community_of[skill] = names[v]
    for skill in sorted({s for skills in sets for s in skills}):
        if skill not in community_of:
            raise InputError(
                f"skill {skill!r} has no community at depth {args.level} of {args.taxonomy}"
                " (not in the taxonomy, or a leaf above that depth)",
                location=args.file,
            )
    named = _names(args.holdout)
    unknown = sorted(set(named) - set(names.values()))
    if unknown:
        raise InputError(
            f"no community labelled {unknown[0]!r} at depth {args.level}", location="--holdout"
        )
    held = splits.held_out_communities(
        sorted(names.values()), fraction=args.test_fraction, seed=args.seed, named=named
    )
    params = {"taxonomy": str(args.taxonomy), "level": args.level, "held_out": sorted(held)}
    return splits.split_community(sets, community_of, held), params


def decide(
    args: argparse.Namespace, sets: list[frozenset[str]], keys: list[str]
) -> tuple[list[bool], dict[str, Any]]:
    """One side per record (True = test) and the parameters the manifest records."""
    policy, fraction, seed = args.policy, args.test_fraction, args.seed
    if policy == "combination":
        sides = splits.split_combination(sets, fraction=fraction, seed=seed, strict=args.strict)
        return sides, {"test_fraction": fraction, "strict": args.strict}
    if policy == "k":
        if args.max_train_k is None:
            raise InputError("the k policy needs --max-train-k K", location="--max-train-k")
        return splits.split_k(sets, max_train_k=args.max_train_k), {"max_train_k": args.max_train_k}
    if policy == "community":
        sides, params = _communities(args, sets)
        return sides, {"test_fraction": fraction, **params}
    if policy == "skill":
        every = {s for skills in sets for s in skills}
        absent = sorted(set(_names(args.holdout)) - every)
        if absent:
            raise InputError(
                f"skill {absent[0]!r} occurs in no record of {args.file}", location="--holdout"
            )
        held = splits.held_out_skills(
            every, fraction=fraction, seed=seed, named=_names(args.holdout)
        )
        params = {"test_fraction": fraction, "held_out": sorted(held)}
        return splits.split_skill(sets, held), params
    return splits.split_random(keys, fraction=fraction, seed=seed), {"test_fraction": fraction}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(str(path), exc) from None


def run(args: argparse.Namespace) -> int:
    kind, lines, sets, keys = read_records(args.file)
    sides, params = decide(args, sets, keys)
    train = [s for s, test in zip(sets, sides, strict=True) if not test]
    test = [s for s, test in zip(sets, sides, strict=True) if test]
    manifest = {
        SCHEMA_KEY: splits.SPLIT_SCHEMA,
        "policy": args.policy,
        "parameters": params,
        "seed": args.seed,
        "source": {"path": str(args.file), "kind": kind, "records": len(lines)},
        "counts": {"train": splits.counts(train), "test": splits.counts(test)},
        "overlap": splits.overlaps(train, test),
        "versions": software_versions(),
    }
    out = Path(args.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(str(out), exc) from None
    _write_atomic(
        out / "train.jsonl", "".join(x for x, t in zip(lines, sides, strict=True) if not t)
    )
    _write_atomic(out / "test.jsonl", "".join(x for x, t in zip(lines, sides, strict=True) if t))
    _write_atomic(out / "split.json", json.dumps(manifest, indent=2) + "\n")
    if args.json:
        print(json.dumps(manifest))
        return 0
    o = manifest["overlap"]
    print(
        f"{args.policy}: {len(train)} train / {len(test)} test {kind} -> {out};"
        f" also in train: {o['sets']['shared']} of {o['sets']['test']} test sets,"
        f" {o['pairs']['shared']} of {o['pairs']['test']} test pairs,"
        f" {o['skills']['shared']} of {o['skills']['test']} test skills;"
        f" test sets inside a train set: {o['test_sets_inside_train']}"
    )
    return 0
