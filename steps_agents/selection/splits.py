"""Train/test split policies over skill sets, for testing compositional generalisation.

A model trained on synthesised k-skill data must be tested on combinations it was not trained
on, or the k-scaling curve measures memorisation. Each policy here is a pure function from the
records' skill sets (one per record, in file order) to one side per record, ``True`` = test.

Every decision is a hash, never a position: :func:`unit_hash` maps ``(seed, text)`` to
``[0, 1)`` with BLAKE2b, and a record's side depends only on its own skill set (``random``: on
its own identity) and the policy's parameters, so appending records never moves an existing
one, and the same seed gives the same split on any machine.

* ``combination`` -- a skill set goes to test iff ``unit_hash(seed, set) < fraction``, so no
  test set occurs in train. ``strict``: held-out *pairs* instead; a pair is held out iff
  ``unit_hash(seed, pair) < fraction`` and a record of ``k >= 2`` goes to test iff it contains
  a held-out pair (``k = 1`` records stay in train: one skill is not a combination). Then every
  test set has a pair no train record contains, so no test set is a subset of a train set
  (if ``T`` is inside ``R``, ``R`` holds ``T``'s held-out pair and is a test record too). A
  set holds ``k(k-1)/2`` pairs, so the test share grows with k: ``1 - (1 - fraction)^(k(k-1)/2)``.
* ``k`` -- train ``k <= max_train_k``, test ``k > max_train_k``.
* ``community`` -- whole regions of the taxonomy held out: the communities (tree nodes at a
  given depth) ranked by ``unit_hash(seed, label)``, the first ``round(fraction * C)`` of them
  (at least one, at most ``C - 1``) or the named ones; a record goes to test iff one of its
  skills lies in a held-out community, so train never touches those regions.
* ``skill`` -- named skills, or each skill with ``unit_hash(seed, skill) < fraction``, never in
  train: a record goes to test iff it holds one.
* ``random`` -- the naive baseline: each record by ``unit_hash(seed, record id)``; the same
  skill set can land on both sides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

from steps_agents.errors import InputError

SPLIT_SCHEMA = "steps-agents/split@1"
"""The manifest ``steps split`` writes beside ``train.jsonl`` and ``test.jsonl``."""

POLICIES = ("combination", "k", "community", "skill", "random")

SkillSet = frozenset[str]


def unit_hash(seed: int, text: str) -> float:
    """``[0, 1)`` from the first 8 bytes of ``BLAKE2b(seed, text)``: uniform, seeded, stable."""
    digest = hashlib.blake2b(f"{seed}\x1f{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def set_text(skills: Iterable[str]) -> str:
    """The canonical text of a skill set (sorted names, unit-separated): what gets hashed."""
    return "\x1e".join(sorted(skills))


def pairs_of(skills: Iterable[str]) -> list[SkillSet]:
    return [frozenset(p) for p in combinations(sorted(skills), 2)]


def _check_fraction(fraction: float) -> None:
    if not 0.0 < fraction < 1.0:
        raise InputError(
            f"must lie strictly between 0 and 1, got {fraction}", location="--test-fraction"
        )


def split_combination(
    sets: Sequence[SkillSet], *, fraction: float, seed: int, strict: bool = False
) -> list[bool]:
    """``combination``: whole skill sets (or, ``strict``, held-out pairs) to test."""
    _check_fraction(fraction)
    if not strict:
        return [unit_hash(seed, set_text(s)) < fraction for s in sets]
    held: dict[SkillSet, bool] = {}

    def is_held(pair: SkillSet) -> bool:
        got = held.get(pair)
        if got is None:
            got = held[pair] = unit_hash(seed, set_text(pair)) < fraction
        return got

    return [any(is_held(p) for p in pairs_of(s)) for s in sets]


def split_k(sets: Sequence[SkillSet], *, max_train_k: int) -> list[bool]:
    """``k``: train ``k <= max_train_k``, test above."""
    if max_train_k < 1:
        raise InputError(f"must be at least 1, got {max_train_k}", location="--max-train-k")
    return [len(s) > max_train_k for s in sets]


def held_out_skills(
    skills: Collection[str], *, fraction: float, seed: int, named: Collection[str] = ()
) -> set[str]:
    """``skill``: the named skills, or each skill with ``unit_hash(seed, skill) < fraction``."""
    if named:
        return set(named)
    _check_fraction(fraction)
    return {s for s in skills if unit_hash(seed, s) < fraction}


def split_skill(sets: Sequence[SkillSet], held: Collection[str]) -> list[bool]:
    """A record goes to test iff it holds a held-out skill."""
    held = set(held)
    return [not held.isdisjoint(s) for s in sets]


def held_out_communities(
    labels: Sequence[str], *, fraction: float, seed: int, named: Collection[str] = ()
) -> set[str]:
    """``community``: the named communities, else the ``round(fraction * C)`` labels (clamped to
    ``1 .. C-1``) with the smallest ``unit_hash(seed, label)``."""
    if named:
        return set(named)
    _check_fraction(fraction)
    if len(labels) < 2:
        raise InputError(
            f"only {len(labels)} community at this depth; pick a deeper --level", location="--level"
        )
    ranked = sorted(labels, key=lambda label: (unit_hash(seed, label), label))
    count = min(len(labels) - 1, max(1, round(fraction * len(labels))))
    return set(ranked[:count])


def split_community(
    sets: Sequence[SkillSet], community_of: Mapping[str, str], held: Collection[str]
) -> list[bool]:
    """A record goes to test iff one of its skills lies in a held-out community."""
    held = set(held)
    return [any(community_of[s] in held for s in skills) for skills in sets]


def split_random(keys: Sequence[str], *, fraction: float, seed: int) -> list[bool]:
    """``random``: each record by its own identity ``key`` (its id, or its JSON text)."""
    _check_fraction(fraction)
    return [unit_hash(seed, key) < fraction for key in keys]


# ---------------------------------------------------------------------------------------------
# What the two sides share
# ---------------------------------------------------------------------------------------------


def _overlap(train: set[Any], test: set[Any]) -> dict[str, int]:
    return {
        "train": len(train),
        "test": len(test),
        "shared": len(train & test),
        "test_unseen": len(test - train),
    }


def _inside_some(sets: Iterable[SkillSet], others: Sequence[SkillSet]) -> int:
    """How many of ``sets`` are a subset of some set in ``others`` (posting-list intersection)."""
    postings: dict[str, set[int]] = {}
    for i, s in enumerate(others):
        for skill in s:
            postings.setdefault(skill, set()).add(i)
    count = 0
    for s in sets:
        lists = sorted((postings.get(skill, set()) for skill in s), key=len)
        if lists and set.intersection(*lists):
            count += 1
    return count


def overlaps(train: Sequence[SkillSet], test: Sequence[SkillSet]) -> dict[str, Any]:
    """Distinct skills, pairs and sets on each side and how many the sides share.

    ``test_unseen`` counts test items absent from train; ``test_sets_inside_train`` counts
    distinct test sets that are a subset (or equal) of some train set;
    ``test_records_with_train_set`` counts test records whose exact set a train record has (what
    a model could have memorised); ``test_records_with_unseen_pair`` counts test records holding
    a pair no train record holds.
    """
    train_pairs = {p for s in train for p in pairs_of(s)}
    train_sets, test_sets = set(train), set(test)
    return {
        "skills": _overlap({x for s in train for x in s}, {x for s in test for x in s}),
        "pairs": _overlap(train_pairs, {p for s in test for p in pairs_of(s)}),
        "sets": _overlap(train_sets, test_sets),
        "test_sets_inside_train": _inside_some(test_sets, list(train_sets)),
        "test_records_with_train_set": sum(s in train_sets for s in test),
        "test_records_with_unseen_pair": sum(
            any(p not in train_pairs for p in pairs_of(s)) for s in test
        ),
    }


def counts(sets: Sequence[SkillSet]) -> dict[str, Any]:
    """Records, distinct sets and records per k on one side."""
    by_k: dict[str, int] = {}
    for s in sets:
        by_k[str(len(s))] = by_k.get(str(len(s)), 0) + 1
    return {
        "records": len(sets),
        "sets": len(set(sets)),
        "by_k": dict(sorted(by_k.items(), key=lambda kv: int(kv[0]))),
    }
