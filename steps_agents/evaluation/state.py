"""The evaluator graph's state schema: the run state and one episode's branch state."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

from steps_agents.evaluation.episode import AgentRun, Checked, EpisodeEnv


class EvalState(TypedDict, total=False):
    wave: int
    finished: Annotated[int, operator.add]
    summary: dict[str, dict[str, int]]


class EpisodeState(TypedDict, total=False):
    key: str
    skip: bool
    env: EpisodeEnv
    run: AgentRun
    checked: Checked
    finished: int


class EpisodeOutput(TypedDict, total=False):
    finished: int
