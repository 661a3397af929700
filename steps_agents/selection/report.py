"""Coverage summary of a list of combinations (``steps select --report``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from steps_agents.records import Combination
from steps_agents.taxonomy.artifact import Taxonomy


def _stats(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    a = np.asarray(values, dtype=float)
    return {
        "min": float(a.min()),
        "p25": float(np.percentile(a, 25)),
        "median": float(np.median(a)),
        "mean": float(a.mean()),
        "p75": float(np.percentile(a, 75)),
        "max": float(a.max()),
    }


def coverage_report(taxonomy: Taxonomy, combos: Sequence[Combination]) -> dict[str, Any]:
    """Distribution of k, gain and LCA depth; top-level communities and skills covered; how
    many sets never occur in the corpus (when corpus counts were attached)."""
    top = [c for c in taxonomy.children[0]]
    touched_top = {p[1] for c in combos for p in c.paths if len(p) > 1}
    skills = {s for c in combos for s in c.skills}
    counted = [c.corpus_count for c in combos if c.corpus_count is not None]
    report: dict[str, Any] = {
        "combinations": len(combos),
        "selectors": dict(Counter(c.selector for c in combos)),
        "k": {str(k): v for k, v in sorted(Counter(c.k for c in combos).items())},
        "gain": _stats([c.gain for c in combos]),
        "lca_depth": {str(d): v for d, v in sorted(Counter(c.lca_depth for c in combos).items())},
        "mean_lca_depth": float(np.mean([c.lca_depth or 0 for c in combos])) if combos else 0.0,
        "top_level_communities": {"covered": len(touched_top), "total": len(top)},
        "skills": {"covered": len(skills), "total": len(taxonomy.skills)},
    }
    if counted:
        report["corpus"] = {
            "never_seen": sum(1 for x in counted if x == 0),
            "seen": sum(1 for x in counted if x > 0),
            "max_count": max(counted),
        }
    return report


def format_report(report: dict[str, Any]) -> str:
    """Human-readable lines for :func:`coverage_report`."""
    lines = [f"combinations: {report['combinations']}  selectors: {report['selectors']}"]
    lines.append("k: " + ", ".join(f"{k}:{v}" for k, v in report["k"].items()))
    g = report["gain"]
    if g:
        lines.append(
            "gain (bits): "
            + ", ".join(
                f"{name} {g[name]:.3f}" for name in ("min", "p25", "median", "mean", "p75", "max")
            )
        )
    lines.append(
        "LCA depth: "
        + ", ".join(f"{d}:{v}" for d, v in report["lca_depth"].items())
        + f"  (mean {report['mean_lca_depth']:.2f})"
    )
    t = report["top_level_communities"]
    s = report["skills"]
    lines.append(
        f"top-level communities covered: {t['covered']}/{t['total']}; skills covered: {s['covered']}/{s['total']}"
    )
    if "corpus" in report:
        c = report["corpus"]
        lines.append(
            f"sets never in the corpus: {c['never_seen']} of {c['never_seen'] + c['seen']} (max count {c['max_count']})"
        )
    return "\n".join(lines)
