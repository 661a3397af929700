"""Reading and counting a corpus in parallel: shards mapped on an executor, partial counts reduced.

A JSON Lines file read by the built-in reader is cut into *shards*: byte ranges of about
``shard_bytes`` that start at line starts (a ``.gz`` file is one shard: gzip cannot be entered in
the middle), each with the number of its first line so every error still names ``file:line``.
The map step (:func:`count_shard`, run by an executor in another process or on a Ray worker)
reads its range, extracts skills in batches exactly as :func:`~steps_agents.corpus.extract.iter_skill_sets`
does, and returns a :class:`PartialCounts`: the shard's skills in first-seen order and a
``Counter`` of its exact skill sets (keyed by shard-local ids), the shard's ``c_i`` and ``c_ij``
derived from them on the worker (:mod:`steps_agents.corpus.pairs`), and the extraction counters.
The reduce step (:func:`merge_partials`) walks the partials *in file order*, so global skill ids
come out in the same first-seen order as a sequential read, adds the set counts up, and adds
the singles and pairs up after re-keying them to global ids. Counts are sums of integers, so the
counts, the graph and the taxonomy are identical to the sequential ones whichever executor ran.
With ``keep_sets=False`` (``steps taxonomy build``) a shard keeps no exact sets: it folds them
into its singles and pairs as it goes (:class:`~steps_agents.corpus.pairs.PairCounter`).

Errors: a shard stops at its first bad record and hands back its location and message; the
partials are consumed in file order, so the error raised is the first one in the file, as in a
sequential read. Only sources the built-in JSONL reader would open are sharded (a plugin that
claims the source is read sequentially), and only with the default plugin set, since a worker
builds its extractors from the registered plugins.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from steps_agents.corpus.extract import (
    ExtractionStats,
    ExtractorChooser,
    ExtractorOptions,
    _chunks,
)
from steps_agents.corpus.pairs import PairCounter, add_pair_counts, pair_counts_of_sets
from steps_agents.corpus.sources import GZIP_MAGIC, _iter_jsonl
from steps_agents.errors import InputError
from steps_agents.runtime.executor import Executor

MIN_SHARD_BYTES = 1 << 20
SHARDS_PER_WORKER = 4
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Shard:
    """Lines of ``path`` starting in ``[start, end)``, the first numbered ``first_line``;
    ``end == -1``: the whole file (a gzip file)."""

    path: str
    start: int
    end: int
    first_line: int


@dataclass(frozen=True)
class ShardTask:
    shard: Shard
    extractor: str
    options: ExtractorOptions
    skip_empty: bool
    keep_sets: bool = True


@dataclass
class PartialCounts:
    """One shard's counts: skills in first-seen order, exact sets by local ids, counters;
    ``error`` is ``(location, message)`` of the shard's first bad record, if any."""

    skills: list[str] = field(default_factory=list)
    sets: Counter[tuple[int, ...]] = field(default_factory=Counter)
    stats: ExtractionStats = field(default_factory=ExtractionStats)
    error: tuple[str | None, str] | None = None
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray] = (_EMPTY, _EMPTY, _EMPTY)
    """``(single, pair_keys, pair_values)`` of :attr:`sets`, by local ids (``corpus/pairs.py``)."""


def plan_shards(path: str | Path, shard_bytes: int) -> list[Shard]:
    """Cut ``path`` into line-aligned byte ranges of about ``shard_bytes`` (one for gzip).

    One pass over the file counts newlines before each cut (``bytes.count``, about 1 GB/s), so
    every shard knows the number of its first line.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        if f.read(2) == GZIP_MAGIC or size <= shard_bytes:
            return [Shard(str(path), 0, -1, 1)]
        shards: list[Shard] = []
        start, line = 0, 1
        while start < size:
            f.seek(min(start + shard_bytes, size))
            if f.tell() < size:
                f.readline()  # to the next line start
            end = f.tell()
            f.seek(start)
            line_count = f.read(end - start).count(b"\n")
            shards.append(Shard(str(path), start, end, line))
            start, line = end, line + line_count
    return shards


def count_shard(task: ShardTask) -> PartialCounts:
    """The map step: read one shard, extract skills, count exact sets (module docstring)."""
    out = PartialCounts()
    shard = task.shard
    index: dict[str, int] = {}
    folding = None if task.keep_sets else PairCounter()
    try:
        chooser = ExtractorChooser(task.extractor, task.options)
        byte_range = None if shard.end < 0 else (shard.start, shard.end, shard.first_line)
        records = _iter_jsonl(Path(shard.path), byte_range)
        for batch in _chunks(records, task.options.batch_size):
            for location, _, name, skills in chooser.extract(batch):
                out.stats.records += 1
                if not skills:
                    if task.skip_empty:
                        out.stats.skipped_empty += 1
                        continue
                    raise InputError(
                        f"no skills found by the {name!r} extractor; fix the record, or drop"
                        " such records (--skip-empty of steps taxonomy build/stats;"
                        " skip_empty=True in Python)",
                        location=location,
                    )
                out.stats.kept += 1
                out.stats.by_extractor[name] = out.stats.by_extractor.get(name, 0) + 1
                ids = {index.setdefault(s, len(index)) for s in skills}
                if folding is None:
                    out.sets[tuple(sorted(ids))] += 1
                else:
                    folding.add(tuple(sorted(ids)), len(index))
    except InputError as exc:  # handed back as data: every executor can carry it
        out.error = (exc.location, exc.detail)
        return out
    out.skills = list(index)
    # Singles and pairs are counted here, on the worker, not from the merged sets in the driver
    # (3.6 of the driver's 5.6 s at 10^6 records, while the workers sat idle).
    if folding is None:
        out.pairs = pair_counts_of_sets(out.sets, len(index))
    else:
        out.pairs = folding.result(len(index))
    return out


@dataclass
class MergedCounts:
    """The reduce step's result: global skills in first-seen order, set counts by global ids,
    N, and ``(single, pair_keys, pair_values)`` by global ids."""

    skills: list[str]
    sets: Counter[tuple[int, ...]]
    n_records: int
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]


def merge_partials(
    partials: Iterator[PartialCounts] | Sequence[PartialCounts], stats: ExtractionStats
) -> MergedCounts:
    """The reduce step, in file order: global skills (first-seen), set counts, N, singles and
    pairs; ``stats`` gets the summed counters. Raises the first shard error met."""
    index: dict[str, int] = {}
    sets: Counter[tuple[int, ...]] = Counter()
    n = 0
    single = keys = values = _EMPTY
    for part in partials:
        if part.error is not None:
            location, message = part.error
            raise InputError(message, location=location)
        remap = [index.setdefault(s, len(index)) for s in part.skills]
        for key, count in part.sets.items():  # empty when counted with keep_sets=False
            sets[tuple(sorted(remap[i] for i in key))] += count
        n += part.stats.kept  # each kept record is one counted set
        ids = np.asarray(remap, dtype=np.int64)
        part_single, part_keys, part_values = part.pairs
        single = np.concatenate([single, np.zeros(len(index) - single.shape[0], dtype=np.int64)])
        np.add.at(single, ids, part_single)
        keys, values = add_pair_counts(keys, values, ids, part_keys, part_values)
        stats.records += part.stats.records
        stats.kept += part.stats.kept
        stats.skipped_empty += part.stats.skipped_empty
        for name, count in part.stats.by_extractor.items():
            stats.by_extractor[name] = stats.by_extractor.get(name, 0) + count
    return MergedCounts(list(index), sets, n, (single, keys, values))


def shardable(source: str) -> bool:
    """Whether the built-in JSONL reader (and no other plugin) would open ``source``."""
    from steps_agents.plugin_manager import default_plugin_manager

    if not os.path.isfile(source):
        return False
    opened = default_plugin_manager().hook.open_corpus_source(source=source, options={})
    built_in = getattr(opened, "gi_code", None) is _iter_jsonl.__code__
    close = getattr(opened, "close", None)
    if close is not None:
        close()
    return built_in


def sharded_set_counts(
    source: str,
    extractor: str,
    options: ExtractorOptions,
    executor: Executor,
    *,
    skip_empty: bool = False,
    stats: ExtractionStats | None = None,
    shard_bytes: int | None = None,
    keep_sets: bool = True,
) -> MergedCounts:
    """Map :func:`count_shard` over the shards of ``source`` on ``executor``, then reduce.

    By default a file is cut into ``SHARDS_PER_WORKER`` shards per worker of the executor (so a
    slow shard does not hold the others up), none under ``MIN_SHARD_BYTES`` (a smaller file is
    read in this process: starting a worker costs more than reading 1 MiB).
    """
    stats = stats if stats is not None else ExtractionStats()
    ExtractorChooser(extractor, options)  # a bad name or option fails here, before any worker
    if shard_bytes is None:
        workers = int(getattr(executor, "workers", 1))
        size = os.path.getsize(source)
        shard_bytes = max(MIN_SHARD_BYTES, -(-size // (SHARDS_PER_WORKER * workers)))
    shards = plan_shards(source, shard_bytes)
    tasks = [ShardTask(s, extractor, options, skip_empty, keep_sets) for s in shards]
    merged = merge_partials(executor.map(count_shard, tasks), stats)
    if stats.records == 0:  # as open_corpus says it on a sequential read
        raise InputError("the corpus is empty (no records)", location=source)
    return merged


__all__ = [
    "MIN_SHARD_BYTES",
    "MergedCounts",
    "PartialCounts",
    "Shard",
    "count_shard",
    "merge_partials",
    "plan_shards",
    "shardable",
    "sharded_set_counts",
]
