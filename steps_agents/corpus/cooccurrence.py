"""Streaming skill co-occurrence counts and the weighted skill graph (STEPS spec, section 1).

Counting keeps only counters, never the records: per record, the sorted tuple of its skill ids
is counted once in a ``Counter`` of exact sets. Single counts ``c_i`` and pair counts ``c_ij``
are then derived from the distinct sets (each distinct set contributes its multiplicity to each
of its skills and each of its pairs), which is much cheaper than touching every pair of every
record when popular sets repeat, as they do in long-tailed corpora. Memory is
O(distinct sets + distinct pairs), independent of the number of records
(``benchmarks/cooccurrence.py`` measures it on 10^6 records).

Edge weights (an edge exists only when ``c_ij > 0``; no self-loops), N = records counted:

- ``steps`` (default; the authors' released code): ``w_ij = (c_ij + 2) / ((c_i + 1)(c_j + 1))``
- ``count``: ``w_ij = c_ij``
- ``ppmi``: ``w_ij = max(0, ln(N c_ij / (c_i c_j)))``; pairs whose PMI is not positive get no
  edge. (The log base only scales every weight alike, which leaves structural entropy and every
  tree built on it unchanged; the natural log is used.)

``--min-count M`` keeps skills with ``c_i >= M`` and edges with ``c_ij >= M`` (skills whose
edges all fall below the threshold stay as isolated skills).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from pathlib import Path

import numpy as np
import pluggy

# The edge-list reader lives in corpus/edgecsv.py; re-exported where callers import it.
from steps_agents.corpus.edgecsv import EDGE_CSV_COLUMNS as EDGE_CSV_COLUMNS
from steps_agents.corpus.edgecsv import read_edge_csv as read_edge_csv
from steps_agents.corpus.extract import ExtractionStats, ExtractorOptions, iter_skill_sets
from steps_agents.corpus.pairs import SHIFT, PairCounter, pair_counts_of_sets
from steps_agents.corpus.shards import shardable, sharded_set_counts
from steps_agents.errors import InputError, UnknownComponentError
from steps_agents.runtime.executor import Executor
from steps_agents.runtime.progress import Progress
from steps_agents.taxonomy.skillgraph import SkillGraph


def _steps_weight(cij: np.ndarray, ci: np.ndarray, cj: np.ndarray, n: int) -> np.ndarray:
    return (cij + 2.0) / ((ci + 1.0) * (cj + 1.0))


def _count_weight(cij: np.ndarray, ci: np.ndarray, cj: np.ndarray, n: int) -> np.ndarray:
    return cij.astype(np.float64)


def _ppmi_weight(cij: np.ndarray, ci: np.ndarray, cj: np.ndarray, n: int) -> np.ndarray:
    with np.errstate(divide="ignore"):
        pmi = np.log(n * cij.astype(np.float64) / (ci.astype(np.float64) * cj))
    return np.maximum(pmi, 0.0)


WeightFn = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]
WEIGHTINGS: dict[str, WeightFn] = {
    "steps": _steps_weight,
    "count": _count_weight,
    "ppmi": _ppmi_weight,
}


def weighting_function(name: str) -> WeightFn:
    """The vectorised weight function ``f(c_ij, c_i, c_j, N)`` called ``name``."""
    try:
        return WEIGHTINGS[name]
    except KeyError:
        raise UnknownComponentError("weighting", name, list(WEIGHTINGS)) from None


@dataclass
class CooccurrenceCounts:
    """Exact counts over a corpus: ``c_i``, ``c_ij``, N and how often each whole skill set occurs.

    Skill ids are positions in :attr:`skills` (first-seen order). ``sets`` maps the sorted id
    tuple of a record's skill set to its number of records (empty when counted with
    ``keep_sets=False``: then :attr:`sets_kept` is false and the set queries raise).
    ``single[i]`` is ``c_i``; ``pair_keys``/``pair_values`` hold ``c_ij`` for every pair seen,
    keyed ``a * 2^32 + b``.
    """

    skills: list[str]
    sets: Counter[tuple[int, ...]]
    n_records: int
    single: np.ndarray = field(init=False)
    pair_keys: np.ndarray = field(init=False)
    pair_values: np.ndarray = field(init=False)
    index: dict[str, int] = field(init=False, repr=False)

    counted: InitVar[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = None
    sets_kept: bool = True

    def __post_init__(self, counted: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> None:
        """``counted``: ``(single, pair_keys, pair_values)`` already added up over the shards of
        a parallel read (:mod:`steps_agents.corpus.shards`); otherwise derived from the sets."""
        self.index = {s: i for i, s in enumerate(self.skills)}
        if counted is None:
            counted = pair_counts_of_sets(self.sets, len(self.skills))
        self.single, self.pair_keys, self.pair_values = counted

    # -- queries -------------------------------------------------------------------------------

    @property
    def n_skills(self) -> int:
        return len(self.skills)

    @property
    def n_pairs(self) -> int:
        return int(self.pair_keys.shape[0])

    def pair_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """``(a, b)`` id arrays of every pair seen, ``a < b``, aligned with :attr:`pair_values`."""
        return self.pair_keys // SHIFT, self.pair_keys % SHIFT

    def count(self, skill: str) -> int:
        """``c_i``: records tagged with ``skill`` (0 if never seen)."""
        i = self.index.get(skill)
        return 0 if i is None else int(self.single[i])

    def pair_count(self, a: str, b: str) -> int:
        """``c_ij``: records tagged with both ``a`` and ``b``."""
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None or i == j:
            return 0
        code = min(i, j) * SHIFT + max(i, j)
        pos = int(np.searchsorted(self.pair_keys, code))
        hit = pos < self.pair_keys.shape[0] and self.pair_keys[pos] == code
        return int(self.pair_values[pos]) if hit else 0

    def set_count(self, skills: Iterable[str]) -> int:
        """How many records carry exactly this skill set (order and duplicates ignored)."""
        ids = []
        for s in set(skills):
            i = self.index.get(s)
            if i is None:
                return 0
            ids.append(i)
        return self.kept_sets().get(tuple(sorted(ids)), 0)

    def kept_sets(self) -> Counter[tuple[int, ...]]:
        """:attr:`sets`; ``ValueError`` when the counts were taken without them."""
        if not self.sets_kept:
            raise ValueError("exact skill sets were not kept (counted with keep_sets=False)")
        return self.sets

    @property
    def set_counts(self) -> Counter[frozenset[str]]:
        """Exact whole-set counts keyed by skill names (built on each access; cache it)."""
        self.kept_sets()
        names = self.skills
        return Counter({frozenset(names[i] for i in key): c for key, c in self.sets.items()})


class NoSkillsError(InputError):
    """Every skill set in the stream was empty (count_corpus rewords it with the source)."""


def count_cooccurrence(
    skill_sets: Iterable[Sequence[str]],
    *,
    progress: Progress | None = None,
    keep_sets: bool = True,
) -> CooccurrenceCounts:
    """Count ``c_i``, ``c_ij``, N and exact sets over a stream of skill lists, in one pass.

    Only the counters are kept; the iterable is consumed lazily. Duplicate skills within a
    record count once. Empty skill lists are ignored (they are not records of any skill).
    ``keep_sets=False`` keeps ``c_i``, ``c_ij`` and N only (:class:`~steps_agents.corpus.pairs.PairCounter`:
    memory bounded by the distinct pairs, not the distinct sets). Raises :class:`InputError`
    when no skill set is seen at all.
    """
    index: dict[str, int] = {}
    skills: list[str] = []
    folding = None if keep_sets else PairCounter()
    sets: Counter[tuple[int, ...]] = Counter()
    n = 0
    for record_skills in skill_sets:
        ids = set()
        for s in record_skills:
            i = index.get(s)
            if i is None:
                i = index[s] = len(skills)
                skills.append(s)
            ids.add(i)
        if progress is not None:
            progress.update(1)
        if not ids:
            continue
        if folding is None:
            sets[tuple(sorted(ids))] += 1
        else:
            folding.add(tuple(sorted(ids)), len(skills))
        n += 1
    if n == 0:
        raise NoSkillsError("no records with skills to count (the corpus is empty)")
    if folding is None:
        return CooccurrenceCounts(skills, sets, n)
    return CooccurrenceCounts(skills, sets, n, folding.result(len(skills)), sets_kept=False)


def count_corpus(
    source: str,
    extractor: str = "auto",
    options: ExtractorOptions | None = None,
    *,
    skip_empty: bool = False,
    progress: bool = False,
    pm: pluggy.PluginManager | None = None,
    stats: ExtractionStats | None = None,
    executor: Executor | None = None,
    shard_bytes: int | None = None,
    keep_sets: bool = True,
) -> CooccurrenceCounts:
    """Read ``source`` through an extractor (:func:`~steps_agents.corpus.extract.iter_skill_sets`) and count.

    ``stats``, when given, is filled with records read, kept and skipped. With an ``executor``
    (:func:`steps_agents.runtime.parallel.get_executor`), a JSON Lines file is read and counted
    in shards on it, map and reduce (:mod:`steps_agents.corpus.shards`); the counts are the
    same as a sequential read's. Other sources, or a custom ``pm``, are read sequentially.
    ``keep_sets=False``: no exact sets (:func:`count_cooccurrence`), for a caller that only
    builds the graph; the peak memory then no longer grows with the distinct sets.
    """
    stats = stats if stats is not None else ExtractionStats()
    if executor is not None and pm is None and shardable(source):
        merged = sharded_set_counts(
            source,
            extractor,
            options or ExtractorOptions(),
            executor,
            skip_empty=skip_empty,
            stats=stats,
            shard_bytes=shard_bytes,
            keep_sets=keep_sets,
        )
        if merged.n_records == 0:
            raise _no_skills(source, stats)
        return CooccurrenceCounts(
            merged.skills, merged.sets, merged.n_records, merged.pairs, sets_kept=keep_sets
        )
    stream = iter_skill_sets(source, extractor, options, pm, skip_empty=skip_empty, stats=stats)
    with Progress(f"reading {Path(source).name}", unit="rec", enabled=progress) as bar:
        skill_sets = (skills for _, _, skills in stream)
        try:
            counts = count_cooccurrence(skill_sets, progress=bar, keep_sets=keep_sets)
        except NoSkillsError as exc:
            raise _no_skills(source, stats) from exc
    return counts


def _no_skills(source: str, stats: ExtractionStats) -> InputError:
    return InputError(
        f"no record has any skill ({stats.records} read, {stats.skipped_empty} skipped as empty)",
        location=source,
    )


def corpus_set_counts(
    source: str,
    extractor: str = "auto",
    options: ExtractorOptions | None = None,
    *,
    skip_empty: bool = False,
    progress: bool = False,
    pm: pluggy.PluginManager | None = None,
) -> Counter[frozenset[str]]:
    """How often each exact skill set occurs in the corpus (keyed by frozensets of names)."""
    counts = count_corpus(
        source, extractor, options, skip_empty=skip_empty, progress=progress, pm=pm
    )
    return counts.set_counts


def build_skill_graph(
    counts: CooccurrenceCounts,
    *,
    weighting: str = "steps",
    min_count: int = 1,
    source: str = "",
) -> SkillGraph:
    """The weighted co-occurrence graph of ``counts`` (formulas in the module docstring).

    Skills are sorted by name so the graph (and its fingerprint) does not depend on the order
    of the corpus. Edges are stored once with ``src < dst``, sorted.
    """
    fn = weighting_function(weighting)
    if min_count < 1:
        raise InputError(f"min-count must be at least 1, got {min_count}")
    keep = np.flatnonzero(counts.single >= min_count)
    names = [counts.skills[i] for i in keep]
    order = sorted(range(len(names)), key=names.__getitem__)
    new_id = np.full(counts.n_skills, -1, dtype=np.int64)
    new_id[keep[order]] = np.arange(len(order), dtype=np.int64)
    a, b = counts.pair_ids()
    cij = counts.pair_values
    mask = (cij >= min_count) & (new_id[a] >= 0) & (new_id[b] >= 0)
    a, b, cij = a[mask], b[mask], cij[mask]
    weight = fn(cij, counts.single[a], counts.single[b], counts.n_records)
    positive = weight > 0.0
    a, b, cij, weight = a[positive], b[positive], cij[positive], weight[positive]
    u, v = new_id[a], new_id[b]
    src, dst = np.minimum(u, v), np.maximum(u, v)
    edge_order = np.lexsort((dst, src))
    return SkillGraph(
        skills=tuple(names[i] for i in order),
        counts=counts.single[keep[order]].astype(np.int64),
        src=src[edge_order],
        dst=dst[edge_order],
        weight=weight[edge_order].astype(np.float64),
        n_records=counts.n_records,
        weighting=weighting,
        pair_counts=cij[edge_order].astype(np.int64),
        source=source,
    )


def graph_summary(graph: SkillGraph) -> Mapping[str, object]:
    """Small figures for a CLI summary: skills, edges, isolated skills, records, weighting."""
    deg = np.zeros(graph.n_skills, dtype=np.int64)
    np.add.at(deg, graph.src, 1)
    np.add.at(deg, graph.dst, 1)
    return {
        "skills": graph.n_skills,
        "edges": graph.n_edges,
        "isolated_skills": int((deg == 0).sum()),
        "records": graph.n_records,
        "weighting": graph.weighting,
    }
