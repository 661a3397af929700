"""Selection (the chosen combinations) and synthesis (what the critic kept and why not).

Selection is read from a combinations file when one is given, else from the accepted samples'
metadata (every sample records its skills, k, gain, LCA depth and taxonomy paths), so a
synthesis output alone still shows what was selected. Synthesis figures come from the samples
and rejects files (per k: accepted, rejected, mean revision rounds) and from any synthesis run
report (`steps synth --json`: counts, reasons, stop reason).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from html import escape
from typing import Any

import numpy as np

from steps_agents.reporting.charts import BarChart, Chart
from steps_agents.reporting.html import Section, figure, note, num, pct, table
from steps_agents.reporting.inputs import ReportInputs


def _selection_rows(inputs: ReportInputs) -> tuple[str, list[dict[str, Any]]]:
    if inputs.combinations:
        rows: list[dict[str, Any]] = [
            {
                "skills": c.skills,
                "k": c.k,
                "gain": c.gain,
                "lca_depth": c.lca_depth,
                "paths": c.paths,
            }
            for c in inputs.combinations
        ]
        return "the combinations file", rows
    rows = [
        {
            "skills": m.get("skills") or [],
            "k": m.get("k"),
            "gain": m.get("gain"),
            "lca_depth": m.get("lca_depth"),
            "paths": m.get("taxonomy_paths") or [],
        }
        for m in inputs.samples + inputs.rejects
        if m.get("k") is not None
    ]
    return "the synthesised samples (accepted and rejected)", rows


def _histogram(values: list[float], bins: int = 10) -> tuple[list[str], list[str], list[float]]:
    """Equal-width bins labelled by their lower edge; the full range goes in the tooltip."""
    counts, edges = np.histogram(values, bins=min(bins, max(1, len(set(values)))))
    labels = [f"{edges[i]:.2f}" for i in range(len(counts))]
    hints = [f"{edges[i]:.3f} to {edges[i + 1]:.3f} bits" for i in range(len(counts))]
    return labels, hints, [float(c) for c in counts]


def selection_section(inputs: ReportInputs) -> Section:
    source, rows = _selection_rows(inputs)
    if not rows:
        return Section(
            "selection", "Selection", note("No combinations and no synthesised samples given.")
        )
    t = inputs.taxonomy
    k_counts = Counter(int(r["k"]) for r in rows)
    ks = sorted(k_counts)
    charts: list[Chart] = [
        BarChart(
            "sel-k",
            "Combinations per k",
            "k",
            "combinations",
            [str(k) for k in ks],
            ["combinations"],
            [[float(k_counts[k]) for k in ks]],
        )
    ]
    gains = [float(r["gain"]) for r in rows if r["gain"] is not None]
    if gains:
        labels, hints, counts = _histogram(gains)
        charts.append(
            BarChart(
                "sel-gain",
                "Structural information gain H(S | {})",
                "gain (bits, bin's lower edge)",
                "combinations",
                labels,
                ["combinations"],
                [counts],
                hints=hints,
            )
        )
    depths = Counter(r["lca_depth"] for r in rows if r["lca_depth"] is not None)
    if depths:
        ds = sorted(depths)
        charts.append(
            BarChart(
                "sel-lca",
                "Depth of the skills' lowest common ancestor",
                "LCA depth (0 = the set spans top-level communities)",
                "combinations",
                [str(d) for d in ds],
                ["combinations"],
                [[float(depths[d]) for d in ds]],
            )
        )
    touched: Counter[int] = Counter()
    for r in rows:
        touched.update({p[1] for p in r["paths"] if len(p) > 1})
    if touched:
        nodes = t.children[0] if t is not None else sorted(touched)
        hints = [t.label(n) if t is not None else f"node {n}" for n in nodes]
        names = [h.split(" / ")[0] for h in hints]  # a community's most central skill
        charts.append(
            BarChart(
                "sel-communities",
                "Combinations touching each top-level community",
                "community (by its most central skill)",
                "combinations",
                names,
                ["combinations"],
                [[float(touched[n]) for n in nodes]],
                hints=hints,
            )
        )
    skills = {s for r in rows for s in r["skills"]}
    total = f" of {len(t.skills)}" if t is not None else ""
    covered = f"; top-level communities covered: {len(touched)}" + (
        f" of {len(t.children[0])}" if t is not None else ""
    )
    lead = (
        f"{len(rows)} combinations from {source}; skills covered: {len(skills)}{total}{covered};"
        f" mean gain {num(float(np.mean(gains)) if gains else None)} bits."
    )
    body = f"<p>{escape(lead)}</p>" + '<div class="grid">' + "".join(map(figure, charts)) + "</div>"
    return Section("selection", "Selection", body, charts)


def _synth_from_files(inputs: ReportInputs) -> tuple[str, list[Chart]]:
    accepted = Counter(int(m.get("k") or 0) for m in inputs.samples)
    rejected = Counter(int(m.get("k") or 0) for m in inputs.rejects)
    revisions: dict[int, list[int]] = defaultdict(list)
    for m in inputs.samples + inputs.rejects:
        revisions[int(m.get("k") or 0)].append(int(m.get("revisions") or 0))
    ks = sorted(set(accepted) | set(rejected))
    reasons = Counter(str(m["reason_tag"]) for m in inputs.rejects)
    charts: list[Chart] = [
        BarChart(
            "syn-k",
            "Accepted and rejected per k",
            "k",
            "samples",
            [str(k) for k in ks],
            ["accepted", "rejected"],
            [[float(accepted[k]) for k in ks], [float(rejected[k]) for k in ks]],
        ),
    ]
    if any(any(v) for v in revisions.values()):
        charts.append(
            BarChart(
                "syn-revisions",
                "Revision rounds per sample, by k",
                "k",
                "mean revisions",
                [str(k) for k in ks],
                ["mean revisions"],
                [[float(np.mean(revisions[k])) for k in ks]],
            )
        )
    if reasons:
        names = [r for r, _ in reasons.most_common()]
        charts.insert(
            1,
            BarChart(
                "syn-reasons",
                "Rejected, by reason",
                "reason",
                "samples",
                names,
                ["rejected"],
                [[float(reasons[r]) for r in names]],
            ),
        )
    n_acc, n_rej = sum(accepted.values()), sum(rejected.values())
    rate = n_acc / (n_acc + n_rej) if n_acc + n_rej else None
    total_rev = sum(sum(v) for v in revisions.values())
    lead = (
        f"From the samples files: {n_acc} accepted, {n_rej} rejected (acceptance {pct(rate)}),"
        f" {total_rev} revision rounds."
    )
    return lead, charts


def _synth_report_rows(reports: list[dict[str, Any]]) -> str:
    rows = []
    for r in reports:
        reasons = ", ".join(f"{k} {v}" for k, v in (r.get("rejection_reasons") or {}).items())
        rows.append(
            [
                str(r.get("run_id", "")),
                str(r.get("accepted", "")),
                str(r.get("rejected", "")),
                str(r.get("uncomposable", "")),
                pct(r.get("acceptance_rate")),
                str(r.get("revisions", "")),
                reasons or "–",
                str(r.get("stop_reason", "")),
            ]
        )
    headers = [
        "run",
        "accepted",
        "rejected",
        "uncomposable",
        "acceptance",
        "revisions",
        "rejected by reason",
        "stop",
    ]
    return table(headers, rows)


def synthesis_section(inputs: ReportInputs) -> Section:
    if not (inputs.samples or inputs.rejects or inputs.synth_reports):
        return Section(
            "synthesis",
            "Synthesis",
            note("No samples files and no synthesis run report (`steps synth --json`) given."),
        )
    body, charts = "", list[Chart]()
    if inputs.samples or inputs.rejects:
        lead, charts = _synth_from_files(inputs)
        body += f"<p>{escape(lead)}</p>" + '<div class="grid">'
        body += "".join(map(figure, charts)) + "</div>"
    if inputs.synth_reports:
        body += "<h3>Run reports</h3>" + _synth_report_rows(inputs.synth_reports)
    return Section("synthesis", "Synthesis", body, list(charts))
