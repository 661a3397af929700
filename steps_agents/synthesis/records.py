"""Records of a synthesis run: a sample with its full provenance, an outcome, the run report.

Every sample written (accepted or rejected) carries :class:`Provenance`: which skills, where they
sit in the taxonomy, which selector and seed examples made the item, which model wrote it, what
each judge said, how many revisions it took, which run and which versions produced it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from steps_agents.fileformats import SYNTH_REPORT_SCHEMA
from steps_agents.records import Verdict

Status = Literal["accepted", "rejected"]


class Provenance(BaseModel):
    """Where a sample came from; rendered under ``metadata`` by every output format."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    mode: str
    skills: tuple[str, ...]
    k: int
    gain: float
    selector: str
    seed_skill: str | None = None
    taxonomy_paths: tuple[tuple[int, ...], ...] = ()
    taxonomy_labels: tuple[str, ...] = ()
    lca_depth: int | None = None
    seed_examples: tuple[str, ...] = ()
    model: str | None = None
    verdicts: tuple[Verdict, ...] = ()
    revisions: int = 0
    wave: int = 0
    versions: dict[str, str] = Field(default_factory=dict)
    task_id: str | None = None  # an agentic sample's task (the ``id`` in its tasks.jsonl line)


class Sample(BaseModel):
    """One synthesised sample. ``messages`` are OpenAI-style chat messages, ``tools`` the
    function tools they call (agentic samples; empty otherwise); ``reason`` is set on rejects
    (``"<judge>: <why>"``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: Status
    messages: tuple[dict[str, Any], ...] = ()
    tools: tuple[dict[str, Any], ...] = ()  # OpenAI function tools the messages call
    provenance: Provenance
    reason: str = ""
    reason_tag: str = ""


class RunReport(BaseModel):
    """What ``steps synth`` prints at the end (and ``--json`` emits, with ``"schema":
    "steps-agents/synth-report@1"`` first: dump it with ``by_alias=True``, see :meth:`to_json`).

    ``acceptance_rate = (accepted + surplus) / (accepted + surplus + rejected)`` over judged
    items; ``surplus`` are accepted drafts beyond the target (not written), ``skipped`` items
    dropped unjudged because the budget ran out or the target was already reached. ``usage``
    counts this process's model calls (a resumed run reports what the resumption spent; the
    budget itself spans restarts).
    """

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(default=SYNTH_REPORT_SCHEMA, alias="schema")
    run_id: str
    target: int
    accepted: int
    rejected: int
    uncomposable: int
    surplus: int = 0
    skipped: int = 0
    acceptance_rate: float
    by_k: dict[str, dict[str, int]]
    # The k that got no more items of their own by the end, and why (planner.closing_reasons).
    closed_k: dict[str, str] = Field(default_factory=dict)
    rejection_reasons: dict[str, int]
    revisions: int
    waves: int
    stop_reason: str
    usage: dict[str, Any]
    budget: int | None
    elapsed_s: float
    output: str
    rejects: str
    resumed: bool = False
    difficulty_by_k: dict[str, dict[str, float]] | None = None
    # With ``singles``: the k = 1 tasks added on top of the target and the skills left without
    # one (steps_agents.synthesis.singles.summary); None without.
    singles: dict[str, Any] | None = None

    def to_json(self, indent: int | None = 1) -> str:
        """The versioned JSON document (``schema`` first)."""
        return self.model_dump_json(by_alias=True, indent=indent)

    def text(self) -> str:
        """The human-readable report: a few aligned lines."""
        lines = [
            f"run {self.run_id}: {self.accepted}/{self.target} accepted, {self.rejected} rejected,"
            f" {self.uncomposable} uncomposable, {self.surplus} surplus ({self.stop_reason})",
            f"  acceptance rate {self.acceptance_rate:.1%}, revisions {self.revisions},"
            f" waves {self.waves}, {self.elapsed_s:.1f}s",
        ]
        for k in sorted(self.by_k.keys() | self.closed_k.keys(), key=int):
            counts = self.by_k.get(k, {})
            line = f"  k={k}: {counts.get('accepted', 0)} accepted, {counts.get('rejected', 0)} rejected"
            if counts.get("uncomposable"):
                line += f", {counts['uncomposable']} uncomposable"
            if k in self.closed_k:
                line += f" (closed: {self.closed_k[k]})"
            lines.append(line)
        for k, means in sorted((self.difficulty_by_k or {}).items(), key=lambda kv: int(kv[0])):
            shown = ", ".join(f"{name} {value:g}" for name, value in sorted(means.items()))
            lines.append(f"  k={k} difficulty (mean): {shown}")
        if self.singles is not None:
            lines.append(f"  singles: {singles_line(self.singles)}")
        if self.rejection_reasons:
            reasons = ", ".join(
                f"{tag} {n}"
                for tag, n in sorted(self.rejection_reasons.items(), key=lambda kv: -kv[1])
            )
            lines.append(f"  rejection reasons: {reasons}")
        u = self.usage
        if u:
            lines.append(
                f"  model: {u.get('calls', 0)} calls, {u.get('cache_hits', 0)} cache hits,"
                f" {u.get('retries', 0)} retries, {u.get('failures', 0)} failures,"
                f" {int(u.get('input_tokens', 0)) + int(u.get('output_tokens', 0))} tokens"
            )
        lines.append(f"  output {self.output}; rejects {self.rejects}")
        return "\n".join(lines)


def singles_line(summary: dict[str, Any]) -> str:
    """One line on the singles: how many were added, which skills k >= 2 samples use still
    have no k = 1 sample, and why."""
    text = f"{summary.get('added', 0)} k = 1 tasks added on top of the target"
    unmeasured = list(summary.get("unmeasured") or ())
    if not unmeasured:
        return text + "; every skill used at k >= 2 has a k = 1 task"
    why = dict(summary.get("not_alone_reasons") or {})
    if summary.get("rejected"):
        why["single rejected"] = len(summary["rejected"])
    reasons = ", ".join(f"{tag} {n}" for tag, n in sorted(why.items(), key=lambda kv: -kv[1]))
    return (
        f"{text}; {len(unmeasured)} skills used at k >= 2 have none"
        f" ({reasons}): {', '.join(unmeasured)}"
    )
