"""How often the co-failure test lists a pair where there is no interaction, and finds a planted one.

    python benchmarks/cofailure_null.py            # 50 seeds per scenario
    python benchmarks/cofailure_null.py --seeds 200

Synthetic episodes, 12 skills that pass alone 90% of the time (10 k = 1 tasks each), then:

* ``give-up``: 1500 k = 3 tasks; half fail whole (every skill), the rest independently at 10%.
* ``cascade``: 400 k = 2 tasks, half the pair p -> c (c reads p's result: c fails whenever p
  does), the rest random pairs; every skill fails at 30%. Run with and without the oracle feeds.
* ``k-penalty``: 300 k = 4 tasks, every skill fails independently at 70%.
* ``planted``: 400 k = 2 tasks, a quarter the pair (s00, s01), which fails together 80% of the
  time (the power check: it should be listed); and the same draws without the interaction.

Prints, per scenario, the share of seeds in which any pair (or the named pair) is listed.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from itertools import combinations

from steps_agents.evaluation.gap import gap_analysis
from steps_agents.evaluation.records import EpisodeResult

SKILLS = [f"s{i:02d}" for i in range(12)]


def episode(
    task: str, skills: list[str], failed: set[str], feeds: list[list[str]]
) -> EpisodeResult:
    return EpisodeResult(
        run_id="sim",
        agent="a",
        task_id=task,
        k=len(skills),
        skills=skills,
        passed=not failed,
        covered=[s for s in skills if s not in failed],
        details={"feeds": feeds},
    )


def alone(rng: random.Random, skills: list[str]) -> list[EpisodeResult]:
    return [
        episode(f"{s}-{i}", [s], set() if rng.random() < 0.9 else {s}, [])
        for s in skills
        for i in range(10)
    ]


def give_up(rng: random.Random) -> list[EpisodeResult]:
    out = alone(rng, SKILLS)
    for i in range(1500):
        skills = rng.sample(SKILLS, 3)
        whole = rng.random() < 0.5
        failed = set(skills) if whole else {s for s in skills if rng.random() < 0.1}
        out.append(episode(f"t{i}", skills, failed, []))
    return out


def cascade(rng: random.Random, *, feeds: bool) -> list[EpisodeResult]:
    out = alone(rng, ["p", "c", "u", "v"])
    for i in range(400):
        pair = ["p", "c"] if i % 2 == 0 else rng.choice([["p", "u"], ["c", "v"], ["u", "v"]])
        failed = {s for s in pair if rng.random() < 0.3}
        linked = pair == ["p", "c"]
        if linked and "p" in failed:
            failed.add("c")
        out.append(episode(f"t{i}", pair, failed, [["p", "c"]] if linked and feeds else []))
    return out


def k_penalty(rng: random.Random) -> list[EpisodeResult]:
    out = alone(rng, SKILLS)
    for i in range(300):
        skills = rng.sample(SKILLS, 4)
        out.append(episode(f"t{i}", skills, {s for s in skills if rng.random() < 0.7}, []))
    return out


def planted(rng: random.Random, *, interact: bool = True) -> list[EpisodeResult]:
    out = alone(rng, SKILLS)
    pairs = list(combinations(SKILLS, 2))
    for i in range(400):
        pair = ("s00", "s01") if i % 4 == 0 else rng.choice(pairs)
        failed = {s for s in pair if rng.random() >= 0.9}
        if interact and pair == ("s00", "s01") and rng.random() < 0.8:
            failed = set(pair)
        out.append(episode(f"t{i}", list(pair), failed, []))
    return out


def share(
    make: Callable[[random.Random], list[EpisodeResult]], seeds: int, pair: tuple[str, str] | None
) -> float:
    hits = 0
    for seed in range(seeds):
        gap = gap_analysis(make(random.Random(seed)), seed=0, resamples=10)
        assert gap is not None
        listed = [r.skills for r in gap.co_failure]
        hits += (pair in listed) if pair else bool(listed)
    return hits / seeds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=50)
    args = ap.parse_args()
    rows = [
        ("give-up: any pair listed", give_up, None),
        ("cascade with feeds: c + p listed", lambda r: cascade(r, feeds=True), ("c", "p")),
        ("cascade without feeds: c + p listed", lambda r: cascade(r, feeds=False), ("c", "p")),
        ("k-penalty: any pair listed", k_penalty, None),
        ("planted: s00 + s01 listed (power)", planted, ("s00", "s01")),
        ("same draws, no interaction: any pair listed", lambda r: planted(r, interact=False), None),
    ]
    print(f"| scenario ({args.seeds} seeds) | share of seeds |")
    print("|---|---:|")
    for name, make, pair in rows:
        print(f"| {name} | {share(make, args.seeds, pair):.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
