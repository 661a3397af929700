"""Sharded corpus counting (map + reduce on an executor) equals the sequential read.

Runs the local process executor (2 workers) and, when ray is installed, a local Ray with
``num_cpus=2``; shards are made small (4 KiB) so a 2,000-record corpus is cut into dozens.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from steps_agents.corpus import pairs
from steps_agents.corpus.cooccurrence import CooccurrenceCounts, build_skill_graph, count_corpus
from steps_agents.corpus.extract import ExtractionStats, ExtractorOptions
from steps_agents.corpus.shards import ShardTask, count_shard, merge_partials, plan_shards
from steps_agents.corpus.sources import _iter_jsonl, read_jsonl
from steps_agents.errors import InputError
from steps_agents.runtime.executor import Executor
from steps_agents.runtime.parallel import ProcessExecutor, get_executor, usable_cores
from steps_agents.taxonomy.builder import build_taxonomy

SHARD = 4096


def write_corpus(path: Path, n: int = 2000, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    names = [f"skill {i}" for i in range(60)]
    weights = 1.0 / np.arange(1, 61) ** 1.1
    weights /= weights.sum()
    lines = []
    for _ in range(n):
        k = int(rng.integers(1, 5))
        picked = rng.choice(60, size=k, replace=False, p=weights)
        lines.append(json.dumps({"skills": [names[i] for i in picked]}))
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def assert_same(a: CooccurrenceCounts, b: CooccurrenceCounts) -> None:
    assert a.skills == b.skills
    assert a.sets == b.sets
    assert a.n_records == b.n_records
    assert (a.single == b.single).all()
    assert (a.pair_keys == b.pair_keys).all() and (a.pair_values == b.pair_values).all()


def check_executor(tmp_path: Path, executor: Executor) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl")
    assert len(plan_shards(corpus, SHARD)) > 10
    seq_stats, par_stats = ExtractionStats(), ExtractionStats()
    sequential = count_corpus(str(corpus), stats=seq_stats)
    parallel = count_corpus(str(corpus), executor=executor, shard_bytes=SHARD, stats=par_stats)
    assert_same(sequential, parallel)
    assert seq_stats == par_stats
    graphs = [build_skill_graph(c, source=str(corpus)) for c in (sequential, parallel)]
    assert graphs[0].fingerprint() == graphs[1].fingerprint()
    trees = [build_taxonomy(g, height=2, seed=3) for g in graphs]
    assert trees[0].structural_entropy == trees[1].structural_entropy
    assert trees[0].to_dict()["nodes"] == trees[1].to_dict()["nodes"]


def test_shards_cover_the_file_with_their_line_numbers(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl", n=500)
    shards = plan_shards(corpus, SHARD)
    assert shards[0].start == 0 and shards[-1].end == corpus.stat().st_size
    assert all(a.end == b.start for a, b in zip(shards, shards[1:], strict=False))

    def pieces() -> Iterator[tuple[str, dict[str, object]]]:
        for s in shards:
            yield from _iter_jsonl(corpus, (s.start, s.end, s.first_line))

    assert list(pieces()) == list(read_jsonl(corpus))
    gz = write_corpus(tmp_path / "c.jsonl.gz", n=500)
    assert len(plan_shards(gz, SHARD)) == 1  # gzip: one shard per file


def test_process_executor_counts_equal_the_sequential_read(tmp_path: Path) -> None:
    check_executor(tmp_path, ProcessExecutor(2))


def test_gzip_corpus_is_counted_whole(tmp_path: Path) -> None:
    gz = write_corpus(tmp_path / "c.jsonl.gz")
    parallel = count_corpus(str(gz), executor=ProcessExecutor(2), shard_bytes=SHARD)
    assert_same(count_corpus(str(gz)), parallel)


@pytest.mark.parametrize(
    ("bad", "message"),
    [("{not json", "invalid JSON"), ('{"skills": []}', "no skills found by the 'tags' extractor")],
)
def test_the_first_bad_record_is_named_as_in_a_sequential_read(
    tmp_path: Path, bad: str, message: str
) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl")
    lines = corpus.read_text().splitlines()
    lines[1500] = bad  # line 1501, in a late shard
    lines[1900] = bad
    corpus.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as sequential:
        count_corpus(str(corpus))
    with pytest.raises(InputError) as parallel:
        count_corpus(str(corpus), executor=ProcessExecutor(2), shard_bytes=SHARD)
    assert str(parallel.value) == str(sequential.value)
    assert f"c.jsonl:1501: {message}" in str(parallel.value)


def test_executor_flags_are_checked() -> None:
    with pytest.raises(InputError, match="--ray-address needs --executor ray"):
        get_executor("local", address="auto")
    with pytest.raises(InputError, match="--workers must be at least 1"):
        get_executor("local", workers=0)


def executor_digest(tmp_path: Path, executor: Executor | None) -> dict[str, object]:
    """What an executor's run must reproduce, as JSON-ready data: the counts, the extraction
    counters, the graph, the taxonomy (height 2, seed 3) and the first bad record's error."""
    corpus = write_corpus(tmp_path / "c.jsonl")
    stats = ExtractionStats()
    counts = count_corpus(str(corpus), executor=executor, shard_bytes=SHARD, stats=stats)
    graph = build_skill_graph(counts, source=str(corpus))
    tree = build_taxonomy(graph, height=2, seed=3)
    bad = tmp_path / "bad.jsonl"
    lines = corpus.read_text().splitlines()
    lines[1500] = "{not json"
    bad.write_text("\n".join(lines) + "\n")
    try:
        count_corpus(str(bad), executor=executor, shard_bytes=SHARD)
        error = ""
    except InputError as exc:
        error = str(exc).replace(str(tmp_path), "TMP")
    return {
        "skills": counts.skills,
        "sets": sorted([list(key), c] for key, c in counts.sets.items()),
        "pairs": [counts.pair_keys.tolist(), counts.pair_values.tolist()],
        "stats": [stats.records, stats.kept, stats.skipped_empty, stats.by_extractor],
        "graph": graph.fingerprint(),
        "h_t": tree.structural_entropy,
        "nodes": json.loads(json.dumps(tree.to_dict()["nodes"])),
        "error": error,
    }


RAY_CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import ray
from test_shards import executor_digest
from steps_agents.runtime.parallel import RayExecutor
digest = executor_digest(Path(sys.argv[2]), RayExecutor(num_cpus=2))
ray.shutdown()
print(json.dumps(digest))
"""


def test_ray_executor_gives_what_the_local_executor_gives(tmp_path: Path) -> None:
    pytest.importorskip(
        "ray", reason="Ray executor tests need the ray extra (pip install 'steps-agents[ray]')"
    )
    # Ray's driver runs in a child process (Ray installs signal handlers and C++ threads in its
    # driver; a fault there must not take the test process with it), time-boxed: about 10 s
    # here, most of it Ray's start.
    (tmp_path / "ray").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", RAY_CHILD, str(Path(__file__).parent), str(tmp_path / "ray")],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    on_ray = json.loads(done.stdout.strip().splitlines()[-1])
    (tmp_path / "local").mkdir()
    local = executor_digest(tmp_path / "local", ProcessExecutor(2))
    assert on_ray == local
    assert "TMP/bad.jsonl:1501: invalid JSON" in str(local["error"])
    (tmp_path / "seq").mkdir()
    assert executor_digest(tmp_path / "seq", None) == local


def test_workers_are_forked_only_from_a_single_threaded_driver_without_ray(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import types
    from multiprocessing import get_all_start_methods

    from steps_agents.runtime.parallel import _context

    if "fork" not in get_all_start_methods() or threading.active_count() != 1:
        pytest.skip("fork is not available here, or other threads run in this test process")
    monkeypatch.setitem(sys.modules, "ray", types.SimpleNamespace(is_initialized=lambda: False))
    assert _context().get_start_method() == "fork"
    monkeypatch.setitem(sys.modules, "ray", types.SimpleNamespace(is_initialized=lambda: True))
    assert _context().get_start_method() == "spawn"


def _pid_after_a_pause(_: int) -> int:
    time.sleep(0.3)  # long enough that the other worker takes the next item
    return os.getpid()


def test_the_local_executor_runs_on_every_usable_core_in_other_processes() -> None:
    assert ProcessExecutor().workers == usable_cores() == len(os.sched_getaffinity(0))
    pids = set(ProcessExecutor(2).map(_pid_after_a_pause, range(4)))
    assert len(pids) == 2 and os.getpid() not in pids


def test_shard_pairs_are_counted_on_the_worker_and_rekeyed_in_the_driver(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c.jsonl")
    tasks = [ShardTask(s, "auto", ExtractorOptions(), False) for s in plan_shards(corpus, SHARD)]
    parts = [count_shard(t) for t in tasks]
    assert all(p.pairs[1].shape[0] > 0 for p in parts)  # each shard brought its own pairs
    merged = merge_partials(parts, ExtractionStats())
    sequential = count_corpus(str(corpus))
    assert merged.skills == sequential.skills
    single, keys, values = merged.pairs
    assert (single == sequential.single).all()
    assert (keys == sequential.pair_keys).all() and (values == sequential.pair_values).all()


@pytest.mark.parametrize("executor", [None, ProcessExecutor(2)], ids=["sequential", "local"])
def test_counts_without_the_exact_sets_are_the_same_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: Executor | None
) -> None:
    monkeypatch.setattr(pairs, "FOLD_SETS", 50)  # fold many times even in a small corpus
    corpus = write_corpus(tmp_path / "c.jsonl")
    full = count_corpus(str(corpus))
    lean = count_corpus(str(corpus), executor=executor, shard_bytes=SHARD, keep_sets=False)
    assert lean.skills == full.skills and lean.n_records == full.n_records
    assert (lean.single == full.single).all()
    assert (lean.pair_keys == full.pair_keys).all() and (lean.pair_values == full.pair_values).all()
    assert not lean.sets and not lean.sets_kept
    with pytest.raises(ValueError, match="exact skill sets were not kept"):
        lean.set_count(["skill 0"])
    graphs = [build_skill_graph(c, source=str(corpus)) for c in (full, lean)]
    assert graphs[0].fingerprint() == graphs[1].fingerprint()
