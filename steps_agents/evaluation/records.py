"""Evaluation records: one tool call of a trace and one finished episode (pydantic v2, frozen).

An episode is one agent on one task for one repeat; it is keyed by ``(agent, task_id, repeat)``
and appended to the run's JSONL file the moment it finishes, so a killed run loses nothing that
had finished.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Failure = Literal["checker", "agent_error", "timeout", "step_limit", "judge_error"]
"""Why an episode did not pass: the checker said no, or the agent raised / timed out / ran past
the step limit (those three are scored as failures, never as crashes of the evaluation), or the
judge of a text task could not give a score."""

TaskKind = Literal["agentic", "text"]


class ToolCallRecord(BaseModel):
    """One tool call the agent made, with its result or its error (never both)."""

    model_config = ConfigDict(frozen=True)

    tool: str
    args: dict[str, Any]
    ok: bool
    result: Any = None
    error: str | None = None
    seconds: float = 0.0


class EpisodeResult(BaseModel):
    """A finished episode: outcome, trace and the per-episode scores.

    ``coverage`` = covered required skills / required skills (see
    :func:`steps_agents.evaluation.scoring.skill_coverage`); ``attribution`` is the first required
    skill, in oracle order, that the agent did not call correctly (``None`` when it called all
    of them); ``steps`` counts the agent's tool calls and ``oracle_steps`` the oracle's.
    For text (SkillBench) tasks ``passed`` is ``None`` and ``judge_score`` holds the 1-10 score.
    """

    model_config = ConfigDict(frozen=True)

    run_id: str
    agent: str
    task_id: str
    repeat: int = 0
    kind: TaskKind = "agentic"
    k: int
    skills: list[str]
    passed: bool | None
    failure: Failure | None = None
    reason: str = ""
    answer: str | None = None
    trace: list[ToolCallRecord] = Field(default_factory=list)
    steps: int = 0
    oracle_steps: int | None = None
    covered: list[str] = Field(default_factory=list)
    coverage: float | None = None
    attribution: str | None = None
    judge_score: float | None = None
    judge_reason: str | None = None
    seconds: float = 0.0
    tool_seconds: float = 0.0
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        return episode_key(self.agent, self.task_id, self.repeat)


def episode_key(agent: str, task_id: str, repeat: int) -> str:
    """The identity of an episode inside a run (and in the JSONL file)."""
    return f"{agent}\x1f{task_id}\x1f{repeat}"
