"""What a focused selection targeted: the report's heaviest failures and how many of the
chosen combinations hold each (``steps loop``'s and ``steps select --focus``'s summary)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MIN_LISTED = 0.01  # a target lighter than this is the fit's residue, not a failure: not listed


def summarise(focus: Any, combos: list[frozenset[str]], top: int) -> dict[str, Any]:
    """The heaviest targets (weight at least :data:`MIN_LISTED`) and, for each, how many
    evaluated tasks held it and failed, and how many new combinations hold it."""
    best = focus.top(top)

    def skills_of(kind: str, name: str) -> list[frozenset[str]]:
        if kind == "communities":
            return [frozenset((s,)) for s in focus.community_skills.get(name, ())]
        return [frozenset(name.split(" + "))]

    out: dict[str, Any] = {}
    for kind, rows in best.items():
        out[kind] = []
        for name, w in rows:
            if w < MIN_LISTED:
                continue
            parts = skills_of(kind, name)
            held = [
                t
                for t in zip(focus.evaluated, focus.failed, strict=True)
                if any(p <= t[0] for p in parts)
            ]
            region = {"skills": len(parts)} if kind == "communities" else {}
            out[kind].append(
                {
                    "target": name,
                    **region,
                    "weight": round(w, 4),
                    "evaluated": len(held),
                    "failed": sum(f for _, f in held),
                    "new": sum(any(p <= c for p in parts) for c in combos),
                }
            )
    return out


def format_targets(targets: dict[str, Any], agent: str, new: str) -> list[str]:
    """:func:`summarise`'s targets as lines for a terminal; ``new`` says what "new" counts."""
    lines = [
        "  targets, heaviest first: weight = for a skill or pair, the chance it breaks a task on"
        " its own (noisy-OR fit, beside a failure rate per k); for a region (named by three of"
        " its skills), how much more often its tasks fail than the agent's rate at their k;"
        f" failed = evaluated tasks holding it that {agent} failed; new = {new} holding it"
    ]
    for kind, rows in targets.items():
        text = "; ".join(_target_text(r) for r in rows)
        lines.append(f"  {kind}: {text or 'none (nothing failed more than the rest)'}")
    return lines


def report_ks(path: str, agent: str | None) -> str | None:
    """The k range of an evaluation report's agent (its ``per_k`` rows), e.g. ``"1-7"``."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = [a for a in report["agents"] if agent in (None, a.get("agent"))][0]["per_k"]
        ks = sorted(int(row["k"]) for row in rows if int(row["k"]) > 0)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None  # load_focus, called next, names what is wrong with the report
    return f"{ks[0]}-{ks[-1]}" if ks else None


def _target_text(row: dict[str, Any]) -> str:
    region = f"a region of {row['skills']} skills, " if "skills" in row else ""
    return (
        f"{row['target']} ({region}weight {row['weight']:.2f},"
        f" failed {row['failed']}/{row['evaluated']}, new {row['new']})"
    )
