"""Domain records shared across stages (pydantic v2, frozen where they are values).

Stage-specific records live beside their stage (samples in :mod:`steps_agents.synthesis`, tasks
in :mod:`steps_agents.worlds`); the ones here cross stage boundaries.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Combination(BaseModel):
    """A k-skill combination chosen by a selector, with where it sits in the taxonomy.

    ``skills`` is ordered: the seed first, then in the order chosen. ``gain`` is ``H(S | {})``,
    the total structural information of the set in bits. ``paths`` are root-to-leaf node ids.
    """

    model_config = ConfigDict(frozen=True)

    skills: tuple[str, ...]
    k: int
    gain: float
    selector: str
    seed_skill: str | None = None
    paths: tuple[tuple[int, ...], ...] = ()
    lca: int | None = None
    lca_depth: int | None = None
    corpus_count: int | None = None
    epoch: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def key(self) -> frozenset[str]:
        """Identity of the set regardless of order (duplicate detection)."""
        return frozenset(self.skills)


class Verdict(BaseModel):
    """One judge's decision on one sample. ``passed=None`` means the judge abstained."""

    model_config = ConfigDict(frozen=True)

    judge: str
    passed: bool | None
    score: float | None = None
    reason: str = ""
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def abstained(self) -> bool:
        return self.passed is None


Decision = Literal["accept", "revise", "reject"]
