"""Single and pair counts from exact skill-set counts, as flat int64 arrays.

Each distinct set contributes its multiplicity to each of its skills (``c_i``) and each of its
pairs (``c_ij``); a pair ``(a, b)``, ``a < b``, is the single int ``a * 2^32 + b``. Used on the
whole corpus (:class:`~steps_agents.corpus.cooccurrence.CooccurrenceCounts`) and on each shard
of a parallel read (:mod:`steps_agents.corpus.shards`), where the counts of the shards are then
re-keyed to global ids and added up (:func:`add_pair_counts`): both give the same integers.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Mapping
from itertools import combinations, repeat

import numpy as np

from steps_agents.taxonomy.skillgraph import sum_by_key

SHIFT = 1 << 32
PAIR_CHUNK = 1 << 18


def pair_counts_of_sets(
    sets: Mapping[tuple[int, ...], int], n_skills: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(single, pair_keys, pair_values)`` of the sets (sorted id tuples -> records).

    Pair occurrences go into two flat int64 arrays (8 bytes each) rather than a dict (~100 bytes
    per entry), reduced to distinct pairs every ``PAIR_CHUNK`` occurrences: the transient arrays
    stay bounded, so memory is O(distinct sets + distinct pairs). (All at once, 10^6 records'
    3 x 10^6 pair occurrences took 170 MB; benchmarks/corpus.py.)
    """
    single = [0] * n_skills
    keys = values = np.zeros(0, dtype=np.int64)
    codes: array[int] = array("q")
    mult: array[int] = array("q")
    for key, count in sets.items():
        for i in key:
            single[i] += count
        k = len(key)
        if k > 1:
            codes.extend(a * SHIFT + b for a, b in combinations(key, 2))
            mult.extend(repeat(count, k * (k - 1) // 2))
            if len(codes) >= PAIR_CHUNK:
                keys, values = _add_codes(keys, values, codes, mult)
                codes, mult = array("q"), array("q")
    keys, values = _add_codes(keys, values, codes, mult)
    return np.asarray(single, dtype=np.int64), keys, values


def _add_codes(
    keys: np.ndarray, values: np.ndarray, codes: array[int], mult: array[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and summed values of ``keys``/``values`` plus ``codes``/``mult``."""
    if codes:
        keys = np.concatenate([keys, np.frombuffer(codes, dtype=np.int64)])
        values = np.concatenate([values, np.frombuffer(mult, dtype=np.int64)])
    return sum_by_key(keys, values)


def add_pair_counts(
    keys: np.ndarray,
    values: np.ndarray,
    ids: np.ndarray,
    part_keys: np.ndarray,
    part_values: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``keys``/``values`` plus a shard's pair counts, whose local id ``i`` is global ``ids[i]``
    (re-keyed as ``min * 2^32 + max``: the shard's order of two skills may differ)."""
    a, b = ids[part_keys // SHIFT], ids[part_keys % SHIFT]
    rekeyed = np.minimum(a, b) * SHIFT + np.maximum(a, b)
    return sum_by_key(np.concatenate([keys, rekeyed]), np.concatenate([values, part_values]))


FOLD_SETS = 1 << 16
"""Distinct sets a :class:`PairCounter` holds before folding them into its arrays: the chunk's
``Counter`` then stays under ~8 MB whatever the corpus size."""


class PairCounter:
    """Singles and pairs of a stream of id sets, in memory bounded by the distinct pairs plus one
    chunk of sets: the exact sets are counted in :attr:`sets` (a ``Counter``, so repeated sets
    cost one entry) and folded into the arrays every ``fold_sets`` distinct sets, then dropped.
    For callers that need ``c_i`` and ``c_ij`` but not the exact sets (``steps taxonomy
    build``): their distinct count grows with the records (514,614 at 10^6 records in
    ``benchmarks/corpus.py``, about 110 bytes each), the pairs' much less."""

    def __init__(self, fold_sets: int | None = None) -> None:
        self.fold_sets = fold_sets or FOLD_SETS
        self.sets: Counter[tuple[int, ...]] = Counter()
        self.single = self.keys = self.values = np.zeros(0, dtype=np.int64)

    def add(self, key: tuple[int, ...], n_skills: int) -> None:
        """Count one record's sorted id tuple; ``n_skills``: ids so far (all are below it)."""
        self.sets[key] += 1
        if len(self.sets) >= self.fold_sets:
            self.fold(n_skills)

    def fold(self, n_skills: int) -> None:
        if not self.sets:
            return
        single, keys, values = pair_counts_of_sets(self.sets, n_skills)
        grown = np.zeros(n_skills, dtype=np.int64)
        grown[: self.single.shape[0]] = self.single
        self.single = grown + single
        self.keys, self.values = sum_by_key(
            np.concatenate([self.keys, keys]), np.concatenate([self.values, values])
        )
        self.sets = Counter()

    def result(self, n_skills: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(single, pair_keys, pair_values)`` over everything added."""
        self.fold(n_skills)
        single = np.zeros(n_skills, dtype=np.int64)
        single[: self.single.shape[0]] = self.single
        return single, self.keys, self.values
