"""Evaluation: the k-curve per agent, observed against predicted, attribution, co-failure, pairs.

Everything comes from evaluation reports (``report.json``); the compositional gap is the
report's ``agents[].gap`` (:mod:`steps_agents.evaluation.gap`). With several reports, agents are
named ``agent · report`` (the report's file stem) so curves from different runs share one chart.
"""

from __future__ import annotations

from html import escape

from steps_agents.evaluation.gap import GapAnalysis, GapRow, gap_reading
from steps_agents.evaluation.report import AgentSummary, EvalReport, measured_note
from steps_agents.reporting.charts import Chart, Series, XYChart
from steps_agents.reporting.html import Section, figure, note, pct, points, share_bar, table


def report_labels(reports: list[EvalReport], names: list[str] | None) -> list[str]:
    """One label per report: its file stem when known, else its run id."""
    return names if names and len(names) == len(reports) else [r.run_id for r in reports]


def named_agents(
    reports: list[EvalReport], names: list[str] | None = None
) -> list[tuple[str, AgentSummary, EvalReport]]:
    """Every agent of every report, named ``agent`` -- or ``agent · report`` (the report's file
    stem, else its run id) when there are several reports, so their curves share a chart."""
    several = len(reports) > 1
    return [
        (f"{s.agent} · {label}" if several else s.agent, s, r)
        for r, label in zip(reports, report_labels(reports, names), strict=True)
        for s in r.agents
    ]


def k_curve(agents: list[tuple[str, AgentSummary, EvalReport]]) -> XYChart:
    series = []
    for name, s, _ in agents:
        rows = [r for r in s.per_k if r.pass_rate is not None]
        series.append(
            Series(
                name,
                [(float(r.k), float(r.pass_rate or 0.0)) for r in rows],
                errors=[(r.ci_low or 0.0, r.ci_high or 1.0) for r in rows],
            )
        )
    return XYChart(
        "k-curve",
        "Pass rate against the number of required skills k",
        "k",
        "pass rate",
        series,
        y_range=(0.0, 1.0),
        integer_x=True,
        note="Whiskers: Wilson 95% intervals with tasks as the sample size.",
    )


def gap_chart(agents: list[tuple[str, AgentSummary, EvalReport]]) -> XYChart | None:
    series = []
    for i, (name, s, _) in enumerate(agents):
        if s.gap is None or not s.gap.per_k:
            continue
        rows = s.gap.per_k
        observed = [(float(r.k or 0), r.observed) for r in rows]
        series.append(Series(f"{name} observed", observed, colour=i))
        predicted = [(float(r.k or 0), r.predicted) for r in rows]
        series.append(Series(f"{name} predicted", predicted, style="dashed", colour=i))
    if not series:
        return None
    return XYChart(
        "gap-curve",
        "Observed pass rate against the independence prediction",
        "k",
        "pass rate",
        series,
        y_range=(0.0, 1.0),
        integer_x=True,
        note="Dashed: the mean over tasks of the product of each skill's k = 1 pass rate. Below"
        " the dashed line, combinations are harder than their skills predict.",
    )


def _gap_table(gap: GapAnalysis) -> str:
    """Every gap row; a community is named by its most central skill (full label on hover)."""

    def ci(r: GapRow) -> str:
        return "–" if r.ci_low is None else f"[{points(r.ci_low)}, {points(r.ci_high)}]"

    def cells(r: GapRow, label: str) -> list[str]:
        values = [str(r.tasks), pct(r.observed), pct(r.predicted), points(r.gap), ci(r)]
        return [label, *(escape(v) for v in [*values, gap_reading(r)])]

    plain = [*gap.per_k, *([gap.overall] if gap.overall else []), *gap.within_cross]
    body = [cells(r, escape(r.group)) for r in plain]
    body += [
        cells(
            r,
            f'<span title="{escape(r.group)}">community {escape(r.group.split(" / ")[0])}'
            "&nbsp;…</span>",
        )
        for r in gap.per_community
    ]
    headers = ["tasks of", "tasks", "observed", "predicted", "gap (points)", "95% CI", "reading"]
    if not body:
        return note(measured_note(gap))
    return table(headers, body, cls="gap", raw=True) + note(
        f"{measured_note(gap)} Gap = observed - predicted; predicted = mean over tasks of the"
        " product of the skills' k = 1 pass rates. 95% CI: bootstrap over tasks"
        f" ({gap.resamples} resamples, seed {gap.seed}); harder / easier: the interval lies"
        " below / above zero; no gap: it lies within +-10 points; inconclusive: wider;"
        " floor / ceiling: not estimable instead of no gap when the prediction is within 10"
        " points of 0% / 100%, where the observed rate has no room to fall / rise that far"
        " (the estimate needs an agent whose k = 1 pass rates lie between the extremes)."
    )


def _attribution(s: AgentSummary, top: int = 10) -> str:
    if not s.attribution:
        return note("No failures to attribute.")
    items = list(s.attribution.items())[:top]
    most = max(v for _, v in items)
    total = sum(s.attribution.values())
    rows = [[escape(k), str(v), f"{share_bar(v, most)} {escape(pct(v / total))}"] for k, v in items]
    more = len(s.attribution) - len(items)
    extra = note(f"{more} more skills in report.json.") if more > 0 else ""
    return table(["first skill got wrong", "failures", "share"], rows, raw=True) + extra


def _co_failure(gap: GapAnalysis, top: int = 10) -> str:
    if not gap.co_failure:
        return note("No pair of skills fails together credibly more often than independence.")
    rows = [
        [
            " + ".join(r.skills),
            str(r.tasks),
            pct(r.joint_rate),
            pct(r.expected),
            points(r.excess),
            points(r.excess_low),
            "–" if r.p_excess is None else f"{r.p_excess:.2g}",
        ]
        for r in gap.co_failure[:top]
    ]
    headers = ["pair", "tasks with both", "both failed", "expected", "excess", "excess (low)", "p"]
    return table(headers, rows, cls="cofail") + note(
        "Expected: the product of each skill's failure rate in the other tasks of the same k; a"
        " consumer whose producer failed is not judged (cascades do not count). Ranked by the"
        " Wilson 95% lower bound of the joint failure rate minus that product, so a pair seen in"
        " few tasks cannot rank high by luck; listed only when the exact p of the excess is"
        " below 0.05 / pairs tested."
    )


def _repeats(gap: GapAnalysis) -> str:
    if not gap.repeats:
        return ""
    rows = [
        [
            str(r.k),
            str(r.tasks),
            pct(r.pass_rate),
            pct(r.pass_hat),
            f"{r.var_task:.3f}",
            f"{r.var_trial:.3f}",
            pct(r.task_share),
        ]
        for r in gap.repeats
    ]
    headers = [
        "k",
        "tasks",
        "pass",
        f"pass^{gap.repeats[0].repeats}",
        "task variance",
        "trial variance",
        "task share",
    ]
    return "<h4>Consistency over repeats</h4>" + table(headers, rows)


def _comparison(r: EvalReport, label: str) -> str:
    c = r.comparison
    if c is None:
        return ""
    grid = table(
        ["", f"{c.agent_b} passed", f"{c.agent_b} failed"],
        [
            [f"{c.agent_a} passed", str(c.both), str(c.only_a)],
            [f"{c.agent_a} failed", str(c.only_b), str(c.neither)],
        ],
        cls="paired",
    )
    ci = f" (95% CI {pct(c.diff_ci[0])} to {pct(c.diff_ci[1])})" if c.diff_ci else ""
    text = (
        f"{c.agent_a} {pct(c.pass_rate_a)} against {c.agent_b} {pct(c.pass_rate_b)}: difference"
        f" {pct(c.diff)}{ci}; exact McNemar p = {c.p_mcnemar:.3g}; sign test over {c.tasks}"
        f" tasks p = {c.p_sign_tasks:.3g}. {c.verdict}."
    )
    return f"<h3>Paired comparison ({escape(label)})</h3>{grid}<p>{escape(text)}</p>"


def evaluation_section(reports: list[EvalReport], names: list[str] | None = None) -> Section:
    if not reports:
        return Section("evaluation", "Evaluation", note("No evaluation report among the inputs."))
    agents = named_agents(reports, names)
    charts: list[Chart] = [k_curve(agents)]
    gap = gap_chart(agents)
    if gap is not None:
        charts.append(gap)
    labels = report_labels(reports, names)
    lead = "; ".join(
        f"{label} (run {r.run_id}): {r.tasks} tasks, {r.episodes} episodes"
        for r, label in zip(reports, labels, strict=True)
    )
    body = f"<p>{escape(lead)}.</p>" + '<div class="grid">' + "".join(map(figure, charts))
    body += "</div>"
    for name, s, _ in agents:
        body += f'<h3>Agent <code>{escape(name)}</code></h3><div class="cols">'
        body += "<div><h4>Compositional gap</h4>"
        body += _gap_table(s.gap) if s.gap else note("No scored episodes.")
        body += _repeats(s.gap) if s.gap else ""
        body += "</div><div><h4>Failure attribution</h4>" + _attribution(s)
        body += "<h4>Skills that fail together</h4>"
        body += (_co_failure(s.gap) if s.gap else "") + "</div></div>"
    body += "".join(_comparison(r, label) for r, label in zip(reports, labels, strict=True))
    return Section("evaluation", "Evaluation", body, charts)
