"""How far ``--focus`` steers toward a failed skill pair, over many pairs, and what it costs.

    python benchmarks/focus.py                          # selection level, 30 pairs (~3 min)
    python benchmarks/focus.py --synth 5                # + full steps synth for the first 5 pairs
    python benchmarks/focus.py --pairs fs_list_files+fs_read_file --synth 1
    python benchmarks/focus.py --workdir /tmp/focus     # keep (and reuse) the plain run

In toolworld (the quickstart's world and taxonomy) plain ``steps`` synthesises ``n`` tasks
(``--k``, default 1-7; ``--seed``). The pairs: the five of the README table, ``--random`` pairs drawn
(seeded) from the pairs some task holds, and ``--cross`` more of them whose skills lie in
different top-level communities. For each pair a test agent that fails exactly the tasks
holding both skills (``tests/helpers_focus.py``) is evaluated on the tasks, and its report feeds
the ``focus`` selector:

* selection level (every pair, fast): requests as the composer makes them, without its
  rejections (waves of ``--per-request`` sets per k, each excluding the sets already chosen;
  ``tests/helpers_focus.first_wave``), plain ``steps`` against ``focus``;
* synth level (``--synth N``: the first N pairs): ``steps synth --focus report.json`` with the
  same n and seed against the plain run, counted over accepted samples.

A row meets the bar of issue 14 when the focused sets holding the pair are at least 5x plain's
and the mean gain per combination is within 10% of plain's (:data:`GAIN_RULE`: at plain's k mix
when the synthesis ended with another one). Then it times plain and focused
selection on the example corpus's taxonomy (n = 300, k = 2..7, beam 100) and prints the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from helpers_focus import (  # noqa: E402
    at_plain_mix,
    build_world_taxonomy,
    evaluate_failing,
    export_tasks,
    first_wave,
    holding,
    mean_gain,
    synth_tasks,
)
from helpers_selection import feasible_sets  # noqa: E402

from steps_agents.cli import main as steps_main  # noqa: E402
from steps_agents.fileformats import iter_json_lines  # noqa: E402
from steps_agents.selection import parse_k, select_combinations  # noqa: E402
from steps_agents.selection.composable import check_cost, forget_verdicts  # noqa: E402
from steps_agents.selection.curriculum import k_plan  # noqa: E402
from steps_agents.selection.focus import FocusWeights  # noqa: E402
from steps_agents.taxonomy.artifact import Taxonomy, load_taxonomy  # noqa: E402

README_PAIRS = (
    "fs_list_files+fs_read_file",
    "table_column_values+table_sort",
    "inbox_archive+inbox_search",
    "calendar_get_event+calendar_reschedule",
    "calendar_reschedule+text_extract_dates",
)
MULTIPLE, GAIN_BAND = 5.0, 0.10
GAIN_RULE = (
    "gain change: the focused run's mean gain per combination over plain's; the batch's when"
    " both runs end with the same k mix, else at plain's k mix (each k's mean weighted by"
    " plain's count of it) with the batch's beside it: which k the synthesis keeps is the"
    " planner's call (it closes a k whose sets rarely compose), not the selector's, which keeps"
    " every request's k plan. A k the focused run closed and plain did not fails the row."
)
Pair = tuple[str, str]


def quiet() -> contextlib.AbstractContextManager[object]:
    """The CLI runs' own reports (stdout and stderr) are not the benchmark's output."""
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


def task_pairs(tasks: Path) -> set[Pair]:
    out: set[Pair] = set()
    for _, row in iter_json_lines(tasks):
        out.update(combinations(sorted(set(row["skills"])), 2))  # type: ignore[arg-type]
    return out


def pick_pairs(tax: Taxonomy, tasks: Path, random: int, cross: int, seed: int) -> list[Pair]:
    """README pairs, then ``random`` pairs some task holds, then ``cross`` cross-community ones."""
    held = sorted(task_pairs(tasks))
    rng = np.random.default_rng(seed)
    chosen: list[Pair] = [(p.split("+")[0], p.split("+")[1]) for p in README_PAIRS]
    rest = [p for p in held if p not in chosen]
    chosen += [rest[i] for i in sorted(rng.choice(len(rest), size=random, replace=False))]

    def top(skill: str) -> int:
        return tax.path(skill)[1]

    far = [p for p in held if top(p[0]) != top(p[1]) and p not in chosen]
    chosen += [
        far[i] for i in sorted(rng.choice(len(far), size=min(cross, len(far)), replace=False))
    ]
    return chosen


def room(tax: Taxonomy, pair: Pair, n: int, seed: int, ks: tuple[int, ...]) -> int:
    """How many sets of the k plan could hold the pair at most: per k, the planned count, or
    for k <= 4 the number of widening-rule sets holding it if smaller (exhaustive, every seed)."""
    total = 0
    for k, count in Counter(k_plan(n, list(ks), None, seed=seed)).items():
        if k <= 4:
            sets = {s for x in tax.skills for s in feasible_sets(tax, x, k) if set(pair) <= s}
            count = min(count, len(sets))
        total += count
    return total


def measure(
    pair: Pair, plain: list[dict], focus: list[dict], most: int
) -> tuple[int, int, float, str]:
    """One row: the count multiple and the gain change per combination (see :data:`GAIN_RULE`);
    for a pair where 5x exceeds the sets that can hold it, the largest multiple the k plan
    allows (``most / plain``) and the share of it reached (``focus / most``)."""
    a, b = holding(plain, pair), holding(focus, pair)
    batch = mean_gain(focus) / mean_gain(plain) - 1
    change, notes = batch, ""
    if len(plain) != len(focus):
        notes += f"; {len(focus)} of {len(plain)}"
    mix_p = Counter(len(r["skills"]) for r in plain)
    mix_f = Counter(len(r["skills"]) for r in focus)
    lost = sorted(k for k in mix_p if not mix_f[k])  # closed in the focused run only
    if mix_p != mix_f:
        change = at_plain_mix(plain, focus)
        notes = f" at plain's k mix (batch {100 * batch:+.1f}%" + notes
        gone = sorted(k for k in mix_f if not mix_p[k])
        notes += f"; k={','.join(map(str, gone))} closed in plain" if gone else ""
        notes += f"; k={','.join(map(str, lost))} closed in focus" if lost else ""
        notes += ")"
    ok = b >= MULTIPLE * a and abs(change) <= GAIN_BAND and not lost
    ratio = f"{b / a:.1f}x" if a else "new"
    bound = MULTIPLE * a > most
    if bound:
        ratio += f"; at most {most / a:.1f}x possible, {b / most:.0%} of it reached"
    verdict = "yes" if ok else "NO" + (f" (5x > {most} possible)" if bound else "")
    cell = f"{a} -> {b} ({ratio}) | {100 * change:+.1f}%{notes} | {verdict}"
    return a, b, change, cell


def summary(name: str, rows: list[tuple[int, int, float, str]]) -> str:
    ratios = [b / a for a, b, _, _ in rows if a]
    changes = [abs(c) for _, _, c, _ in rows]
    met = sum(r[3].endswith("yes") for r in rows)
    unreachable = sum("possible" in r[3] for r in rows)
    new = sum(1 for a, b, _, _ in rows if not a)
    text = f"{name}: {met}/{len(rows)} pairs meet both bounds"
    if ratios:
        text += f"; multiple min {min(ratios):.1f}x, median {statistics.median(ratios):.1f}x"
    text += f"; |gain change| median {100 * statistics.median(changes):.1f}%, max {100 * max(changes):.1f}%"
    text += (
        f"; {unreachable} where 5x exceeds the sets that can hold the pair" if unreachable else ""
    )
    return text + (f"; {new} pairs plain never holds" if new else "")


def speed(seed: int) -> str:
    """Plain and focused selection on the example corpus's taxonomy, best of 3 each."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.json"
        corpus = REPO / "examples/data/example_corpus.jsonl.gz"
        with quiet():
            assert (
                steps_main(["taxonomy", "build", str(corpus), "-o", str(path), "--seed", "0"]) == 0
            )
        tax = load_taxonomy(path)
    rng = np.random.default_rng(seed)
    skills = sorted(tax.skills)
    picks = [skills[i] for i in rng.choice(len(skills), size=5, replace=False)]
    weights = FocusWeights(
        agent="bench",
        pairs={frozenset(picks[0:2]): 0.9, frozenset(picks[2:4]): 0.4},
        skills={picks[4]: 0.3},
    )
    kw = {"n": 300, "k": range(2, 8), "seed": seed, "beam": 100}

    def best(**extra: object) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            select_combinations(tax, **kw, **extra)  # type: ignore[arg-type]
            times.append(time.perf_counter() - start)
        return min(times)

    best()  # the tree index, built once per taxonomy, is not what is compared
    plain = best()
    start = time.perf_counter()
    select_combinations(tax, **kw, selector="focus", options={"focus": weights})  # type: ignore[arg-type]
    cold = time.perf_counter() - start  # candidates and plain rates computed (then cached)
    focus = best(selector="focus", options={"focus": weights})
    return (
        f"speed, example taxonomy ({len(skills)} skills, n=300, k=2..7, beam 100): plain "
        f"{plain:.3f} s, focus {focus:.3f} s (ratio {focus / plain:.2f}); focus's first call "
        f"{cold:.3f} s (ratio {cold / plain:.2f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", nargs="*", help="only these pairs (a+b)")
    parser.add_argument("--random", type=int, default=20, help="random pairs some task holds")
    parser.add_argument("--cross", type=int, default=5, help="cross-community pairs")
    parser.add_argument("--synth", type=int, default=0, help="full synth for the first N pairs")
    parser.add_argument("-n", type=int, default=140)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", default="1-7", help="the runs' k values (a range a-b or a list)")
    parser.add_argument("--workdir", type=Path, help="keep files here; reuse its plain run")
    parser.add_argument(
        "--per-request", type=int, default=2, help="selection level: sets per k per request"
    )
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.workdir or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        taxonomy = out / "taxonomy.json"
        if not taxonomy.is_file():
            build_world_taxonomy(out)
        ks = tuple(parse_k(args.k))
        run = f"{args.n}-{args.seed}-k{args.k}"  # the files of one (n, seed, k) setting
        plain_run = f"plain-{run}"
        tasks = out / f"tasks-{run}.jsonl"
        plain_time = None
        if not tasks.is_file() or not (out / f"{plain_run}.jsonl").is_file():
            start = time.perf_counter()
            with quiet():
                synth_tasks(out, taxonomy, plain_run, args.n, args.seed, ks=args.k)
            plain_time = time.perf_counter() - start
            export_tasks(out / f"{plain_run}.jsonl", tasks, seed=args.seed)
        plain_synth = [row["metadata"] for _, row in iter_json_lines(out / f"{plain_run}.jsonl")]
        tax = load_taxonomy(taxonomy)
        if args.pairs:
            pairs = [(p.split("+")[0], p.split("+")[-1]) for p in args.pairs]
        else:
            pairs = pick_pairs(tax, tasks, args.random, args.cross, args.seed)
        plain_select = first_wave(tax, args.n, args.seed, args.per_request, ks)
        print(GAIN_RULE)
        head = "| failed pair | sets holding it: `steps` -> `--focus` | mean gain change | meets |"
        print(head, "\n|---|---:|---:|:---:|", sep="")
        selected, synthesised, times, checks = [], [], [], []
        for i, pair in enumerate(pairs):
            report = out / f"report-{pair[0]}+{pair[1]}-{run}.json"
            if not report.is_file():
                with quiet():
                    evaluate_failing(tasks, taxonomy, pair, report)
            focus = first_wave(
                tax,
                args.n,
                args.seed,
                args.per_request,
                ks,
                selector="focus",
                options={"focus": str(report), "focus_band": "run"},
            )
            most = room(tax, pair, args.n, args.seed, ks)
            selected.append(measure(pair, plain_select, focus, most))
            print(f"| `{pair[0]}` + `{pair[1]}` | {selected[-1][3]} |", flush=True)
            if i < args.synth:
                name = f"focus-{pair[0]}+{pair[1]}-{run}"
                forget_verdicts()  # the selection level above asked the world about its sets
                start = time.perf_counter()
                with quiet():
                    rows = synth_tasks(
                        out, taxonomy, name, args.n, args.seed, "--focus", str(report), ks=args.k
                    )
                times.append(time.perf_counter() - start)
                checks.append(check_cost())
                synthesised.append(measure(pair, plain_synth, rows, most))
                print(f"| ^ synth | {synthesised[-1][3]} |", flush=True)
        print(summary("selection level", selected))
        if synthesised:
            print(summary(f"synth level (first {len(synthesised)})", synthesised))
        if times and plain_time:
            ratios = ", ".join(f"{t / plain_time:.2f}" for t in times)
            print(f"synth time: plain {plain_time:.0f} s; focus / plain per pair: {ratios}")
        if checks:
            cost = ", ".join(
                f"{n} calls {sec:.1f} s ({sec / t:.0%})"
                for (n, sec), t in zip(checks, times, strict=True)
            )
            print(
                f"world check per focused synth (compose calls, their time, share of the run): {cost}"
            )
    if not args.no_speed:
        print(speed(args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
