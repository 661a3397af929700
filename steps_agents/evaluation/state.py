"""The evaluator graph's state: the wave counter, the episodes of the current wave (by key)
and, at the end, passes per agent. Small on purpose: the results are in the episode log."""

from __future__ import annotations

from typing import TypedDict


class EvalState(TypedDict, total=False):
    wave: int
    keys: list[str]
    summary: dict[str, dict[str, int]]
