"""The README table: how far ``steps synth --focus`` steers toward a failed skill pair.

    python benchmarks/focus.py
    python benchmarks/focus.py --pairs fs_list_files+fs_read_file -n 140 --seed 0

In toolworld (the quickstart's world and taxonomy): plain ``steps`` synthesises ``n`` tasks
(k = 1..7); for each pair, a test agent that replays every task's oracle plan but answers
wrongly whenever the task holds both skills (``tests/helpers_focus.py``) is evaluated on them,
and ``steps synth --focus report.json`` runs with the same n and seed. Prints how many accepted
combinations hold the pair and the mean gain per combination, both ways.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers_focus import (  # noqa: E402
    build_world_taxonomy,
    evaluate_failing,
    export_tasks,
    holding,
    mean_gain,
    synth_tasks,
)

PAIRS = (
    "fs_list_files+fs_read_file",
    "table_column_values+table_sort",
    "inbox_archive+inbox_search",
    "calendar_get_event+calendar_reschedule",
    "calendar_reschedule+text_extract_dates",
)


def row(pair: tuple[str, str], plain: list[dict], focus: list[dict]) -> str:
    a, b = holding(plain, pair), holding(focus, pair)
    ratio = f"{b / a:.1f}x" if a else "new"
    g0, g1 = mean_gain(plain), mean_gain(focus)
    sizes = "" if len(plain) == len(focus) else f"; {len(focus)} of {len(plain)} accepted"
    return (
        f"| `{pair[0]}` + `{pair[1]}` | {a} -> {b} ({ratio}) |"
        f" {g0:.3f} -> {g1:.3f} ({100 * (g1 / g0 - 1):+.1f}%{sizes}) |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", nargs="*", default=list(PAIRS), help="skill pairs a+b")
    parser.add_argument("-n", type=int, default=140)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pairs = [tuple(text.split("+")) for text in args.pairs]
    if any(len(p) != 2 for p in pairs):
        parser.error("pairs are written a+b")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        taxonomy = build_world_taxonomy(out)
        plain = synth_tasks(out, taxonomy, "plain", args.n, args.seed)
        tasks = out / "tasks.jsonl"
        export_tasks(out / "plain.jsonl", tasks, seed=args.seed)
        lines = ["| failed pair | sets holding the pair: `steps` -> `--focus` | mean gain (bits) |"]
        lines.append("|---|---:|---:|")
        for i, pair in enumerate(pairs):
            report = out / f"report-{i}.json"
            evaluate_failing(tasks, taxonomy, (pair[0], pair[1]), report)
            focus = synth_tasks(
                out, taxonomy, f"focus-{i}", args.n, args.seed, "--focus", str(report)
            )
            lines.append(row((pair[0], pair[1]), plain, focus))
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
