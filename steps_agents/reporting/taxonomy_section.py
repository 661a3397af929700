"""The taxonomy explorer and the corpus's long tail.

The explorer is nested ``<details>`` elements (collapsible without a script); each node shows its
label, how many skills lie under it, its volume ``vol(a)`` and its structural-entropy term
``term(a) = -(g_a / vol(G)) log2(vol_a / vol_parent)`` in bits. Leaves also show the corpus count.
The page's script adds the search (see :mod:`steps_agents.reporting.page`).

The long tail plots, on log-log axes, how many items (skills, pairs, whole skill sets) were seen
``x`` times -- items per count value, from the power-of-two bins of
:func:`steps_agents.corpus.powerlaw.log2_bins` -- and the fitted discrete power law
``n_tail x^-alpha / zeta(alpha, xmin)`` for ``x >= xmin``.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

from steps_agents.corpus.powerlaw import fit_power_law, hurwitz_zeta, log2_bins
from steps_agents.reporting.charts import Series, XYChart
from steps_agents.reporting.html import Section, figure, note, num, table
from steps_agents.taxonomy.artifact import Taxonomy


def _node_html(t: Taxonomy, v: int, depth: int) -> str:
    node = t.nodes[v]
    stats = (
        f'<span class="stat" title="volume vol(a): the summed weighted degree under the node">'
        f"vol {node.volume:.4g}</span>"
        f'<span class="stat" title="structural-entropy term of the node, bits">'
        f"H {float(t.term[v]):.4f} bits</span>"
    )
    if node.skill is not None:
        count = "" if node.count is None else f'<span class="stat">count {node.count}</span>'
        return (
            f'<li class="leaf" data-skill="{escape(node.skill)}">'
            f'<span class="skill">{escape(node.skill)}</span>{count}{stats}</li>'
        )
    n_skills = len(t.subtree_skills(v))
    kind = "community" if depth == 1 else ("root" if depth == 0 else "group")
    children = "".join(_node_html(t, c, depth + 1) for c in t.children[v])
    opened = " open" if depth == 0 else ""
    return (
        f'<li class="node depth-{depth}"><details{opened}><summary>'
        f'<span class="kind">{kind}</span> <span class="label">{escape(t.label(v))}</span>'
        f'<span class="stat">{n_skills} skills</span>{stats}</summary>'
        f"<ul>{children}</ul></details></li>"
    )


def taxonomy_section(t: Taxonomy | None) -> Section:
    if t is None:
        return Section("taxonomy", "Taxonomy", note("No taxonomy among the inputs."))
    meta = t.meta
    theta = meta.get("theta")
    summary = (
        f"{len(t.skills)} skills in {len(t.children[0])} top-level communities, height"
        f" {t.height - 1}; structural entropy H^T {t.structural_entropy:.3f} bits"
        + (
            f", one-dimensional H1 {t.one_dim_entropy:.3f} bits"
            if meta.get("one_dim_entropy")
            else ""
        )
        + (f", theta {theta:.3f}" if isinstance(theta, int | float) else "")
        + "."
    )
    controls = (
        '<div class="controls"><input id="skill-search" type="search" placeholder="Search a skill'
        ' by name" aria-label="search skills"> <button type="button" id="expand-all">Expand all'
        '</button> <button type="button" id="collapse-all">Collapse all</button>'
        ' <span id="search-status" aria-live="polite"></span></div>'
    )
    tree = f'<ul class="tree" id="taxonomy-tree">{_node_html(t, 0, 0)}</ul>'
    return Section("taxonomy", "Taxonomy", f"<p>{escape(summary)}</p>{controls}{tree}")


# ---------------------------------------------------------------------------------------------
# long tail
# ---------------------------------------------------------------------------------------------


def _density(bins: list[dict[str, int]]) -> list[tuple[float, float]]:
    """Items per count value in each power-of-two bin, at the bin's geometric centre."""
    return [
        (float(np.sqrt(b["min"] * b["max"])), b["items"] / (b["max"] - b["min"] + 1)) for b in bins
    ]


def _fit_line(fit: dict[str, Any], top: float) -> list[tuple[float, float]]:
    alpha, xmin = float(fit["alpha"]), float(fit["xmin"])
    xs = np.geomspace(xmin, max(top, xmin * 2), 24)
    norm = float(hurwitz_zeta(alpha, xmin))
    return [(float(x), float(fit["n_tail"] * x**-alpha / norm)) for x in xs]


def _fit_row(name: str, dist: dict[str, Any]) -> list[str]:
    fit = dist.get("fit")
    if not fit:
        return [name, str(dist.get("distinct", "–")), "too few values to fit", "", "", ""]
    llr = fit.get("llr")
    versus = "–" if llr is None else f"LLR {llr:+.1f}, p {fit['llr_p']:.2g}"
    return [
        name,
        str(dist.get("distinct", fit["n"])),
        f"{fit['alpha']:.2f} ± {fit['sigma']:.2f}",
        f"{fit['xmin']} ({fit['n_tail']} of {fit['n']})",
        num(fit["ks"]),
        versus,
    ]


def corpus_section(stats: dict[str, Any] | None, t: Taxonomy | None) -> Section:
    """Long-tail plot from the corpus summary, or from the taxonomy's leaf counts alone."""
    if stats is not None:
        dists = {"skills": stats["singles"], "pairs": stats["pairs"], "whole sets": stats["sets"]}
        lead = (
            f"{stats.get('records', '?')} records, {stats.get('skills', '?')} skills;"
            f" {stats.get('pairs_seen', '?')} of {stats.get('pairs_possible', '?')} possible pairs"
            " ever occur together."
        )
        missing = ""
    elif t is not None and any((t.nodes[t.leaf(s)].count or 0) > 0 for s in t.skills):
        counts = [t.nodes[t.leaf(s)].count or 0 for s in t.skills]
        dists = {"skills": {"frequency": log2_bins(counts), "fit": fit_power_law(counts)}}
        lead = "Skill frequencies from the taxonomy's leaf counts."
        missing = (
            "No corpus summary among the inputs, so pairs and whole skill sets are not plotted:"
            " run `steps taxonomy stats CORPUS --json > corpus-stats.json` and pass that file to"
            " `steps report` as well."
        )
    else:
        return Section(
            "corpus",
            "Corpus long tail",
            note(
                "No corpus summary among the inputs (and no taxonomy with corpus counts):"
                " run `steps taxonomy stats CORPUS --json > corpus-stats.json` and pass it to"
                " `steps report`."
            ),
        )
    series = []
    for i, (name, dist) in enumerate(dists.items()):
        series.append(Series(name, _density(dist.get("frequency", [])), style="points", colour=i))
    for i, (name, dist) in enumerate(dists.items()):
        if dist.get("fit") and dist.get("frequency"):
            top = float(dist["frequency"][-1]["max"])
            line = _fit_line(dist["fit"], top)
            series.append(Series(f"{name} fit", line, style="dashed", colour=i))
    chart = XYChart(
        "long-tail",
        "How often items occur: frequency of frequencies (log-log)",
        "times seen in the corpus",
        "items per count value",
        series,
        log_x=True,
        log_y=True,
        note="Points: items seen x times (per count value, power-of-two bins). Dashed: the"
        " fitted discrete power law (Clauset-Shalizi-Newman MLE) above its xmin.",
    )
    rows = [_fit_row(name, d) for name, d in dists.items()]
    fits = table(["items", "distinct", "alpha", "xmin (tail of n)", "KS", "vs exponential"], rows)
    body = f"<p>{escape(lead)}</p>{figure(chart)}{fits}" + (note(missing) if missing else "")
    return Section("corpus", "Corpus long tail", body, [chart])
