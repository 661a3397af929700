"""The evaluation report: built from episode records, written as JSON and as Markdown.

The report is a pure function of the episodes (plus the taxonomy for community marginals), so a
resumed or finished run can always rebuild it from its JSONL file.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from steps_agents.errors import OutputError
from steps_agents.evaluation.compare import Comparison, RepeatStats, compare, repeat_stats
from steps_agents.evaluation.gap import GapAnalysis, GapRow, gap_analysis, gap_reading
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.evaluation.scoring import (
    CommunityRow,
    KRow,
    RateRow,
    SkillRow,
    group_by_agent,
    per_community,
    per_k,
    per_skill,
    rate_row,
)
from steps_agents.fileformats import check_schema, software_versions

SCHEMA = "steps-agents/eval-report@1"


class AgentSummary(BaseModel):
    agent: str
    overall: RateRow
    per_k: list[KRow]
    per_skill: list[SkillRow]
    per_community: list[CommunityRow] = Field(default_factory=list)
    attribution: dict[str, int] = Field(default_factory=dict)
    repeats: RepeatStats | None = None
    gap: GapAnalysis | None = None


class EvalReport(BaseModel):
    schema_: str = Field(default=SCHEMA, alias="schema")
    run_id: str
    tasks: int
    episodes: int
    agents: list[AgentSummary]
    comparison: Comparison | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=software_versions)

    model_config = {"populate_by_name": True}

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=1)


def _attribution(episodes: Sequence[EpisodeResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in episodes:
        if e.passed is False:
            key = e.attribution or "(all skills correct; answer wrong)"
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def build_report(
    episodes: Sequence[EpisodeResult],
    *,
    run_id: str,
    agents: Sequence[str] | None = None,
    taxonomy: Any = None,
    compare_agents: tuple[str, str] | None = None,
    meta: dict[str, Any] | None = None,
    gap_seed: int = 0,
) -> EvalReport:
    """Summaries per agent (in ``agents`` order) and, if asked, the paired comparison.

    Each summary carries the compositional-gap analysis (:mod:`steps_agents.evaluation.gap`),
    bootstrapped with ``gap_seed`` so the report stays a pure function of the episodes.
    """
    by_agent = group_by_agent(episodes)
    order = list(agents) if agents is not None else list(by_agent)
    summaries = []
    for name in order:
        eps = by_agent.get(name, [])
        summaries.append(
            AgentSummary(
                agent=name,
                overall=RateRow(**rate_row(eps)),
                per_k=per_k(eps),
                per_skill=per_skill(eps),
                per_community=per_community(eps, taxonomy) if taxonomy is not None else [],
                attribution=_attribution(eps),
                repeats=repeat_stats(eps),
                gap=gap_analysis(eps, taxonomy=taxonomy, seed=gap_seed),
            )
        )
    comparison = None
    if compare_agents is not None:
        a, b = compare_agents
        comparison = compare(by_agent.get(a, []), by_agent.get(b, []))
        comparison = comparison.model_copy(update={"agent_a": a, "agent_b": b})
    return EvalReport(
        run_id=run_id,
        tasks=len({e.task_id for e in episodes}),
        episodes=len(episodes),
        agents=summaries,
        comparison=comparison,
        meta=dict(meta or {}),
    )


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _ci(row: RateRow) -> str:
    if row.ci_low is None or row.ci_high is None:
        return "-"
    return f"[{100 * row.ci_low:.1f}, {100 * row.ci_high:.1f}]"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out.extend("| " + " | ".join(r) + " |" for r in rows)
    return out


def task_count(row: RateRow) -> str:
    """Tasks, and repeats when there were several: the interval's sample size is the tasks."""
    if row.n == row.tasks or not row.tasks:
        return str(row.tasks)
    if row.n % row.tasks == 0:
        return f"{row.tasks} x {row.n // row.tasks}"
    return f"{row.tasks} ({row.n} episodes)"


def _community_skills(row: CommunityRow) -> str:
    """Skills the tasks used, of those the taxonomy puts in the community."""
    used = len(row.skills)
    return str(used) if row.taxonomy_skills is None else f"{used} of {row.taxonomy_skills}"


def _rate_cells(row: RateRow) -> list[str]:
    return [
        task_count(row),
        _pct(row.pass_rate),
        _ci(row),
        _num(row.mean_coverage),
        _num(row.mean_steps, 1),
        _num(row.mean_oracle_steps, 1),
        _num(row.mean_judge) if row.judged else "-",
    ]


_RATE_HEADERS = ["tasks", "pass", "95% CI", "coverage", "steps", "oracle steps", "judge"]


def k_table(summary: AgentSummary) -> str:
    """The per-k table alone (what ``steps quickstart`` prints)."""
    rows = [[str(r.k), *_rate_cells(r)] for r in summary.per_k]
    rows.append(["all", *_rate_cells(summary.overall)])
    return "\n".join(_table(["k", *_RATE_HEADERS], rows))


def _gap_cells(row: GapRow) -> list[str]:
    ci = (
        "-"
        if row.ci_low is None or row.ci_high is None
        else (f"[{100 * row.ci_low:+.1f}, {100 * row.ci_high:+.1f}]")
    )
    cells = [str(row.tasks), _pct(row.observed), _pct(row.predicted), f"{100 * row.gap:+.1f}", ci]
    return [*cells, gap_reading(row) or "-"]


_GAP_HEADERS = ["tasks", "observed", "predicted", "gap (points)", "95% CI", "reading"]


def measured_note(gap: GapAnalysis) -> str:
    """How many k >= 2 tasks the gap could use, or why it has no rows."""
    if not gap.k2_tasks:
        return "No k >= 2 task was scored: nothing to predict."
    share = f"{gap.measured_tasks} of {gap.k2_tasks} k >= 2 tasks"
    if not gap.estimable:
        return (
            f"Not estimable: only {share} have every skill measured alone (a k = 1 task of each"
            f" skill); {gap.unmeasured_tasks} would need a guessed rate. Give k = 1 a task for"
            " every skill used at k >= 2 (`steps synth --singles`)."
        )
    if gap.unmeasured_tasks:
        return (
            f"Over {share} (every skill measured alone); {gap.unmeasured_tasks} with a skill"
            " lacking a k = 1 task are left out."
        )
    return f"Over all {gap.k2_tasks} k >= 2 tasks (every skill measured alone)."


def gap_markdown(gap: GapAnalysis, *, max_pairs: int = 10) -> list[str]:
    """The compositional-gap section of one agent (formulas in :mod:`steps_agents.evaluation.gap`)."""
    lines = [
        "### Compositional gap",
        "",
        "Observed pass rate against the independence prediction (mean over tasks of the product"
        " of each skill's k = 1 pass rate); gap = observed - predicted, bootstrap 95% interval"
        f" ({gap.resamples} resamples of tasks, seed {gap.seed}); reading: harder / easier when"
        " the interval lies below / above zero, no gap when it lies within +-10 points, else"
        " inconclusive; floor / ceiling: not estimable instead of no gap when the prediction is"
        " within 10 points of 0% / 100%, where the observed rate has no room to fall / rise that"
        " far (the estimate needs an agent whose k = 1 pass rates lie between the extremes).",
        "",
        measured_note(gap),
        "",
    ]
    rows = [[r.group, *_gap_cells(r)] for r in gap.per_k]
    rows += [[r.group, *_gap_cells(r)] for r in [gap.overall] if r is not None]
    rows += [[r.group, *_gap_cells(r)] for r in gap.within_cross]
    rows += [[f"community: {r.group}", *_gap_cells(r)] for r in gap.per_community]
    if rows:
        lines += _table(["tasks of", *_GAP_HEADERS], rows)
    lines.append("")
    if gap.co_failure:
        lines += [
            "Skills that fail together (joint failure rate over the k >= 2 tasks with both,"
            " against the product of each one's failure rate in the other tasks of the same k;"
            " a consumer whose producer failed is not judged, so cascades do not count; ranked"
            " by the Wilson lower bound of the joint rate minus that product; listed only when"
            " the exact p of the excess is below 0.05 / pairs tested):",
            "",
        ]
        rows = [
            [
                " + ".join(r.skills),
                str(r.tasks),
                _pct(r.joint_rate),
                _pct(r.expected),
                f"{100 * r.excess:+.1f}",
                f"{100 * r.excess_low:+.1f}",
                "-" if r.p_excess is None else f"{r.p_excess:.2g}",
            ]
            for r in gap.co_failure[:max_pairs]
        ]
        headers = ["pair", "tasks", "joint fail", "expected", "excess", "excess (low)", "p"]
        lines += _table(headers, rows)
        lines.append("")
    else:
        lines += [
            "No pair of skills fails together credibly more often than independence predicts.",
            "",
        ]
    if gap.repeats:
        rows = [
            [
                str(r.k),
                str(r.tasks),
                _pct(r.pass_rate),
                _pct(r.pass_hat),
                _num(r.var_task, 3),
                _num(r.var_trial, 3),
                _pct(r.task_share),
            ]
            for r in gap.repeats
        ]
        lines.append(f"Consistency over {gap.repeats[0].repeats} repeats (pass^R, variance split):")
        lines.append("")
        headers = ["k", "tasks", "pass", "pass^R", "task var", "trial var", "task share"]
        lines += _table(headers, rows)
        lines.append("")
    return lines


def to_markdown(report: EvalReport, *, max_skills: int = 50) -> str:
    lines = [f"# Evaluation report `{report.run_id}`", ""]
    lines.append(f"{report.tasks} tasks, {report.episodes} episodes.")
    for s in report.agents:
        lines += ["", f"## Agent `{s.agent}`", "", k_table(s), ""]
        if s.overall.failures:
            lines.append(
                "Failures: " + ", ".join(f"{k} {v}" for k, v in s.overall.failures.items())
            )
            lines.append("")
        if s.attribution:
            lines.append("First skill got wrong (failure attribution):")
            lines.append("")
            lines += _table(["skill", "failures"], [[k, str(v)] for k, v in s.attribution.items()])
            lines.append("")
        if s.repeats is not None:
            r = s.repeats
            hats = ", ".join(f"pass^{j} {_pct(v)}" for j, v in r.pass_hat.items())
            lines.append(
                f"Repeats: {r.repeats} x {r.tasks} tasks; {hats}; per-repeat pass "
                + ", ".join(_pct(x) for x in r.per_repeat)
                + f"; std between repeats {_pct(r.std_between_repeats)};"
                f" flaky tasks {_pct(r.flaky_share)}; noise s.e. {_pct(r.noise_se)}"
            )
            lines.append("")
        if s.gap is not None:
            lines += gap_markdown(s.gap)
        if s.per_community:
            lines.append("### Per top-level community")
            lines.append("")
            rows = [[c.community, _community_skills(c), *_rate_cells(c)] for c in s.per_community]
            lines += _table(["community", "skills in tasks", *_RATE_HEADERS], rows)
            lines.append("")
        if s.per_skill:
            lines.append("### Per skill")
            lines.append("")
            ranked = sorted(s.per_skill, key=lambda r: (r.pass_rate or 0.0, r.skill))
            rows = [
                [
                    r.skill,
                    task_count(r),
                    _pct(r.pass_rate),
                    _ci(r),
                    _pct(r.covered_rate),
                    str(r.blamed),
                ]
                for r in ranked[:max_skills]
            ]
            headers = ["skill", "tasks", "pass", "95% CI", "called correctly", "blamed"]
            lines += _table(headers, rows)
            if len(ranked) > max_skills:
                lines.append(f"\n({len(ranked) - max_skills} more skills in the JSON report)")
            lines.append("")
    if report.comparison is not None:
        c = report.comparison
        lines += ["## Paired comparison", ""]
        lines += _table(
            ["", f"`{c.agent_b}` pass", f"`{c.agent_b}` fail"],
            [
                [f"`{c.agent_a}` pass", str(c.both), str(c.only_a)],
                [f"`{c.agent_a}` fail", str(c.only_b), str(c.neither)],
            ],
        )
        ci = f" (95% CI {_pct(c.diff_ci[0])} to {_pct(c.diff_ci[1])})" if c.diff_ci else ""
        lines += [
            "",
            f"Pass rate {_pct(c.pass_rate_a)} vs {_pct(c.pass_rate_b)}, difference"
            f" {_pct(c.diff)}{ci}; exact McNemar p = {c.p_mcnemar:.3g};"
            f" sign test over {c.tasks} tasks p = {c.p_sign_tasks:.3g}. {c.verdict}.",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def write_report(report: EvalReport, path: str | Path) -> None:
    """Write JSON atomically (temp file, then rename) so a crash never leaves half a report."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(report.to_json() + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # name the user's path, not the temporary one
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise OutputError(path, exc) from exc


def load_report(path: str | Path) -> EvalReport:
    """Read a report written by :func:`write_report`; another ``schema`` is an :class:`InputError`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    check_schema(data.get("schema") if isinstance(data, dict) else None, SCHEMA, location=path)
    return EvalReport.model_validate(data)
