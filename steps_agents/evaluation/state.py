"""The evaluator graph's state schema: the run state and one episode's branch state."""

from __future__ import annotations

from typing import TypedDict


class EvalState(TypedDict, total=False):
    wave: int
    summary: dict[str, dict[str, int]]


class EpisodeState(TypedDict):
    key: str
