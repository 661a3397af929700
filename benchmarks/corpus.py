"""Benchmark: reading and counting a tagged corpus sequentially, on local processes and on Ray.

    python benchmarks/corpus.py                          # 10^5 and 10^6 records
    python benchmarks/corpus.py --sizes 100000 --modes sequential,local

For each size a seeded corpus of tagged records (``{"skills": [...]}``, 2,000 skills drawn
Zipf-like, 1-5 per record) is written once under ``--dir``. Each mode then runs in its own
process, one after the other in the same run, through the stages of ``steps taxonomy build
CORPUS``: read and count ``c_i`` and ``c_ij`` (no exact sets, as the CLI counts; ``--keep-sets``
counts them too, as ``steps taxonomy stats`` does), build the graph, drop the counts, build the
taxonomy at height 3. Printed per mode: records per second of reading+counting, the time from
corpus to taxonomy, CPU seconds (the process and its children; on a machine shared with other
jobs the fair figure), the cores used while counting (CPU seconds of driver and local workers
per second), the load average, and peak resident memory: of the whole run (driver or largest
worker) and of each stage on its own (``VmHWM`` reset before each stage).

- ``sequential``: ``count_corpus`` in one process;
- ``local``: ``--executor local``, a pool of every usable core, 4 shards per worker (forked);
- ``ray``: ``--executor ray``, a local Ray (``num_cpus`` = cores), same shards; Ray's start-up
  (about 5-7 s here) is timed separately; its workers' peak is read from ``/proc``.

Every mode must give the same graph fingerprint (checked). Target (issue 15): peak memory grows
by less than 2x from 10^5 to 10^6 records, printed for reading+counting and up to the taxonomy
(the builder's memory grows with the edges, 88,713 -> 380,856 here).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODES = ("sequential", "local", "ray")


def write_corpus(path: Path, n: int, seed: int = 0, n_skills: int = 2000) -> None:
    """``n`` JSON lines ``{"skills": [...]}``; skill i drawn with probability ~ 1/(i+1)^1.1."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_skills + 1) ** 1.1
    p /= p.sum()
    names = np.array([json.dumps(f"skill {i:04d}") for i in range(n_skills)])
    with open(path, "w", encoding="utf-8") as f:
        for lo in range(0, n, 100_000):
            m = min(100_000, n - lo)
            k = rng.integers(1, 6, size=m)
            draws = names[rng.choice(n_skills, size=(m, 5), p=p)]
            f.writelines(
                '{"skills": [' + ", ".join(dict.fromkeys(row[:kk])) + "]}\n"
                for row, kk in zip(draws.tolist(), k.tolist(), strict=True)
            )


def _peak_mib() -> float:
    """This process's peak resident memory since the last :func:`_reset_peak` (``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Start a new peak (Linux: writing 5 to clear_refs resets ``VmHWM``); a no-op elsewhere,
    where each stage's peak is then the peak so far."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        pass


def _ray_worker_peak_mib() -> float:
    """The largest peak resident memory (``VmHWM``) of the Ray worker processes this driver
    started (local Ray: its workers descend from the raylet, a child of this process)."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    mine, peak = {os.getpid()}, 0.0
    for _ in range(6):  # driver -> raylet -> workers: a few generations
        mine |= {pid for pid, ppid in parent.items() if ppid in mine}
    for pid in mine - {os.getpid()}:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if b"default_worker.py" in cmdline or cmdline.startswith(b"ray::"):
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_one(mode: str, corpus: str, keep_sets: bool = False) -> dict[str, object]:
    """One mode in this process: count, build the graph and the taxonomy; figures as a dict.

    The stages run as ``steps taxonomy build CORPUS`` runs them (no exact sets unless
    ``keep_sets``; the counts are dropped once the graph is built); the peak resident memory of
    each stage is taken on its own.
    """
    from steps_agents.corpus.cooccurrence import build_skill_graph, count_corpus
    from steps_agents.runtime.parallel import get_executor
    from steps_agents.taxonomy.builder import build_taxonomy

    peaks: dict[str, float] = {"imports": _peak_mib()}
    _reset_peak()
    t0 = time.perf_counter()
    executor = None if mode == "sequential" else get_executor(mode)
    t_start = time.perf_counter() - t0
    peaks["start"] = _peak_mib()
    _reset_peak()
    t0 = time.perf_counter()
    cpu0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    counts = count_corpus(corpus, executor=executor, keep_sets=keep_sets)
    t_count = time.perf_counter() - t0
    count_cpu = _cpu(resource.RUSAGE_SELF) - cpu0[0], _cpu(resource.RUSAGE_CHILDREN) - cpu0[1]
    peaks["count"] = _peak_mib()
    peaks["count workers"] = (
        _ray_worker_peak_mib()
        if mode == "ray"
        else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    _reset_peak()
    graph = build_skill_graph(counts, source=corpus)
    n_records = counts.n_records
    del counts
    peaks["graph"] = _peak_mib()
    _reset_peak()
    taxonomy = build_taxonomy(graph, height=3, seed=0)
    t_total = time.perf_counter() - t0
    peaks["taxonomy"] = _peak_mib()
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {
        "records": n_records,
        "count_cpu_driver_s": count_cpu[0],
        "count_cpu_workers_s": count_cpu[1],
        "edges": graph.n_edges,
        "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        "startup_s": t_start,
        "count_s": t_count,
        "to_taxonomy_s": t_total,
        "peaks": peaks,
        "count_rss_mib": max(
            peaks["imports"], peaks["start"], peaks["count"], peaks["count workers"]
        ),
        "rss_mib": me.ru_maxrss / 1024,
        "child_rss_mib": max(kids.ru_maxrss / 1024, peaks["count workers"]),
        "fingerprint": graph.fingerprint(),
        "h_t": taxonomy.structural_entropy,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "steps_corpus_bench")
    ap.add_argument(
        "--keep-sets",
        action="store_true",
        help="count the exact skill sets too (as steps taxonomy stats does); the default counts"
        " c_i and c_ij only, as steps taxonomy build does",
    )
    ap.add_argument("--one", nargs=2, metavar=("MODE", "CORPUS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(*args.one, keep_sets=args.keep_sets)))
        return 0
    args.dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "STEPS_AGENTS_NO_PROGRESS": "1"}
    print(
        f"{os.cpu_count()} cores; counting "
        + ("c_i, c_ij and the exact sets" if args.keep_sets else "c_i and c_ij (no exact sets)")
    )
    print(
        f"{'records':>9} {'mode':>10} {'rec/s':>9} {'count s':>8} {'start s':>8} "
        f"{'->taxonomy s':>12} {'cpu s':>6} {'cores':>5} {'load':>4} {'peak MiB':>8} | "
        f"{'count':>6} {'workers':>7} {'graph':>6} {'taxonomy':>8} | {'edges':>7}  H^T"
    )
    peaks: dict[str, list[float]] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        corpus = args.dir / f"tagged_{size}.jsonl"
        if not corpus.exists():
            write_corpus(corpus, size)
        fingerprints = set()
        for mode in args.modes.split(","):
            load = os.getloadavg()[0]
            keep = ["--keep-sets"] if args.keep_sets else []
            out = subprocess.run(
                [sys.executable, __file__, "--one", mode, str(corpus), *keep],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if out.returncode != 0:
                print(f"{size:>9} {mode:>10} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            fingerprints.add(r["fingerprint"])
            stage = r["peaks"]
            peak = max(float(r["rss_mib"]), float(r["child_rss_mib"]))
            for key, value in (("to taxonomy", peak), ("read+count", r["count_rss_mib"])):
                peaks.setdefault(f"{mode} {key}", []).append(float(value))
            cores = (r["count_cpu_driver_s"] + r["count_cpu_workers_s"]) / r["count_s"]
            print(
                f"{size:>9} {mode:>10} {size / r['count_s']:>9.0f} {r['count_s']:>8.2f} "
                f"{r['startup_s']:>8.2f} {r['to_taxonomy_s']:>12.2f} {r['cpu_s']:>6.1f} "
                f"{'-' if mode == 'ray' else f'{cores:.2f}':>5} {load:>4.1f} {peak:>8.0f} | "
                f"{stage['count']:>6.0f} {stage['count workers']:>7.0f} "
                f"{stage['graph']:>6.0f} {stage['taxonomy']:>8.0f} | "
                f"{r['edges']:>7}  {r['h_t']:.4f}",
                flush=True,
            )
        same = "same graph on every mode" if len(fingerprints) == 1 else "GRAPHS DIFFER"
        print(f"{size:>9} {same} ({len(fingerprints)} fingerprint(s))")
    for mode, values in peaks.items():
        if len(values) >= 2:
            print(f"peak memory growth {mode}: x{values[-1] / values[0]:.2f} (target < 2)")
    print("peak MiB: peak resident memory of the run, driver or largest worker process, from")
    print("start to taxonomy; then each stage's own peak (count, its largest local worker,")
    print("graph, taxonomy); for Ray, its largest worker process (its raylet, GCS and other")
    print("services are not counted).")
    print("cores: CPU seconds of the driver and its worker processes while counting, per second")
    print("of counting (Ray's workers' CPU is not counted); load: 1-minute load average before.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
