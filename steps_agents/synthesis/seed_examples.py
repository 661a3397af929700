"""Real seed examples per skill, sampled from the corpus in one streaming pass.

STEPS section 6: for each combination, one real example per skill is drawn from the corpus and
the generator fuses them. :class:`SeedExampleIndex` keeps up to ``per_skill`` records for every
skill by reservoir sampling (Vitter's Algorithm R: the t-th record carrying skill s replaces a
random slot with probability ``per_skill / t``), so every record with the skill is equally likely
to be kept and memory is ``O(skills x per_skill)`` whatever the corpus size.

The same pass counts how often each exact skill set occurs (:attr:`SeedExampleIndex.set_counts`,
the ``corpus_counts`` a corpus-aware selector such as ``longtail`` filters on), so synthesis
reads its corpus once. Memory for that is one entry per distinct skill set.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pluggy
from pydantic import BaseModel, ConfigDict

from steps_agents.corpus.extract import (
    AUTO,
    ExtractorOptions,
    iter_skill_sets,
    normalise_skill,
    record_text,
)


class SeedExample(BaseModel):
    """One corpus record standing for ``skill``: its id, its user-facing text and the record."""

    model_config = ConfigDict(frozen=True)

    id: str
    skill: str
    text: str
    record: dict[str, Any]


def _record_id(location: str, record: Mapping[str, Any]) -> str:
    """The record's own ``id`` when it has a usable one, else its ``file:line`` location."""
    rid = record.get("id")
    if isinstance(rid, str | int) and not isinstance(rid, bool) and str(rid):
        return str(rid)
    return location


class SeedExampleIndex:
    """Up to ``per_skill`` sampled examples for each skill of a corpus."""

    def __init__(
        self,
        examples: Mapping[str, list[SeedExample]],
        *,
        per_skill: int,
        seed: int,
        set_counts: Counter[frozenset[str]] | None = None,
    ):
        self._examples = {skill: list(rows) for skill, rows in examples.items()}
        self.per_skill, self.seed = per_skill, seed
        self.set_counts = set_counts
        # Case-folded name -> the names spelled that way: a lookup that misses exactly falls back
        # to the one name that differs only in case (a taxonomy built with casefold=true).
        self._folded: dict[str, list[str]] = {}
        for name in self._examples:
            self._folded.setdefault(normalise_skill(name, True), []).append(name)

    @classmethod
    def build(
        cls,
        source: str,
        *,
        extractor: str = AUTO,
        options: ExtractorOptions | None = None,
        per_skill: int = 3,
        seed: int = 0,
        skip_empty: bool = True,
        pm: pluggy.PluginManager | None = None,
    ) -> SeedExampleIndex:
        """Stream ``source`` once and reservoir-sample ``per_skill`` records for each skill.

        Records the extractor finds no skill in are skipped by default (they cannot seed any
        skill). Deterministic for a given corpus, extractor and ``seed``.
        """
        if per_skill < 1:
            raise ValueError("per_skill must be at least 1")
        rng = random.Random(seed)
        reservoirs: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        seen: dict[str, int] = {}
        set_counts: Counter[frozenset[str]] = Counter()
        for location, record, skills in iter_skill_sets(
            source, extractor, options, pm, skip_empty=skip_empty
        ):
            set_counts[frozenset(skills)] += 1
            for skill in skills:
                t = seen.get(skill, 0) + 1
                seen[skill] = t
                slots = reservoirs.setdefault(skill, [])
                if t <= per_skill:
                    slots.append((location, record))
                else:
                    j = rng.randrange(t)
                    if j < per_skill:
                        slots[j] = (location, record)
        examples = {
            skill: [
                SeedExample(
                    id=_record_id(loc, rec), skill=skill, text=record_text(rec), record=dict(rec)
                )
                for loc, rec in slots
            ]
            for skill, slots in reservoirs.items()
        }
        return cls(examples, per_skill=per_skill, seed=seed, set_counts=set_counts)

    def skills(self) -> list[str]:
        return sorted(self._examples)

    def examples(self, skill: str) -> list[SeedExample]:
        """All sampled examples of ``skill`` (empty when the skill never occurred).

        Looked up by exact name, then by its normalised name, then by the one name that differs
        from it only in case (none when two names do: they are different tools)."""
        rows = self._examples.get(skill) or self._examples.get(normalise_skill(skill))
        if rows is None:
            same = self._folded.get(normalise_skill(skill, True), [])
            rows = self._examples[same[0]] if len(same) == 1 else []
        return list(rows)

    def pick(self, skill: str, rng: random.Random) -> SeedExample | None:
        """One sampled example of ``skill`` chosen with ``rng``, or ``None`` if there is none."""
        rows = self.examples(skill)
        return rng.choice(rows) if rows else None

    def __len__(self) -> int:
        return len(self._examples)

    def __contains__(self, skill: object) -> bool:
        return isinstance(skill, str) and bool(self.examples(skill))
