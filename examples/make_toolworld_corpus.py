"""Make the bundled toolworld trajectory corpus (seeded, offline, deterministic).

    python examples/make_toolworld_corpus.py                 # the bundled file
    python examples/make_toolworld_corpus.py -n 500 -o /tmp/small.jsonl.gz --seed 3

Each record is one agent trajectory in the OpenAI tool-call format::

    {"id": "tw-000042", "messages": [
        {"role": "user", "content": "<instruction>"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "fs_read_file", "arguments": "{\\"path\\": ...}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "<JSON result>"},
        ...,
        {"role": "assistant", "content": "<final answer>"}],
     "meta": {"k": 2, "domains": ["files", "text"], "seed": 42}}

How the skill combinations get their long tail (all draws from ``random.Random(seed)``):

- popularity: domains get Zipf weights ``1 / rank^1.1`` over a seeded ranking; inside a
  domain, tools get ``1 / rank^1.3``; so a few tools are everywhere and many are rare;
- size: k is drawn with P(k) = .24, .30, .20, .12, .07, .04, .03 for k = 1..7;
- locality: each further tool comes from the same domain with probability 0.65, from a related
  domain (files-text, inbox-contacts, orders-inventory, tables-stats, ...) with 0.25, and from
  any domain (by popularity) with 0.10 -- domain-local combinations are common, cross-domain
  ones rare;
- every combination is turned into an executable task by the toolworld composer and the
  trajectory is its oracle run (real arguments and results); a combination the composer cannot
  connect is redrawn (the count is printed).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from steps_agents.plugins.toolworld import CORPUS_PATH
from steps_agents.plugins.toolworld_impl import ToolWorld

from steps_agents.worlds import CompositionError, Task
from steps_agents.worlds.instructions import task_trajectory

K_WEIGHTS = [0.24, 0.30, 0.20, 0.12, 0.07, 0.04, 0.03]
RELATED = {
    "files": ["text", "inbox"],
    "text": ["files", "inbox", "stats"],
    "calendar": ["contacts", "inbox", "units"],
    "math": ["stats", "units"],
    "stats": ["math", "tables"],
    "tables": ["stats", "math"],
    "units": ["math", "orders"],
    "inbox": ["contacts", "text", "calendar"],
    "contacts": ["inbox", "orders", "calendar"],
    "orders": ["inventory", "contacts", "units"],
    "inventory": ["orders", "math"],
}


def zipf(n: int, exponent: float) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(n)]


class Popularity:
    def __init__(self, domains: dict[str, list[str]], rng: random.Random) -> None:
        self.domains = sorted(domains)
        rng.shuffle(self.domains)
        self.domain_w = zipf(len(self.domains), 1.1)
        self.tools: dict[str, list[str]] = {}
        self.tool_w: dict[str, list[float]] = {}
        for domain in self.domains:
            tools = list(domains[domain])
            rng.shuffle(tools)
            self.tools[domain] = tools
            self.tool_w[domain] = zipf(len(tools), 1.3)

    def domain(self, rng: random.Random, among: list[str] | None = None) -> str:
        pool = among or self.domains
        weights = [self.domain_w[self.domains.index(d)] for d in pool]
        return rng.choices(pool, weights)[0]

    def tool(self, domain: str, rng: random.Random, exclude: set[str]) -> str | None:
        pairs = [
            (t, w)
            for t, w in zip(self.tools[domain], self.tool_w[domain], strict=True)
            if t not in exclude
        ]
        if not pairs:
            return None
        return rng.choices([t for t, _ in pairs], [w for _, w in pairs])[0]


def draw_combination(pop: Popularity, domain_of: dict[str, str], rng: random.Random) -> list[str]:
    k = rng.choices(range(1, 8), K_WEIGHTS)[0]
    home = pop.domain(rng)
    chosen: list[str] = []
    while len(chosen) < k:
        roll = rng.random()
        if not chosen or roll < 0.65:
            domain = home
        elif roll < 0.90:
            domain = pop.domain(rng, RELATED.get(home) or None)
        else:
            domain = pop.domain(rng)
        tool = pop.tool(domain, rng, set(chosen))
        if tool is None:
            domain = pop.domain(rng)
            tool = pop.tool(domain, rng, set(chosen))
        if tool is not None:
            chosen.append(tool)
    return chosen


def trajectory(task: Task, index: int) -> dict[str, Any]:
    """The oracle run of ``task`` as an OpenAI tool-call conversation, with its metadata."""
    domains = sorted({spec.domain for spec in task.tools})
    return {
        "id": f"tw-{index:06d}",
        "messages": task_trajectory(task),
        "meta": {"k": task.k, "domains": domains, "seed": task.seed},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=3000, help="number of trajectories (default 3000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, default=CORPUS_PATH)
    args = parser.parse_args(argv)

    world = ToolWorld()
    rng = random.Random(args.seed)
    domain_of = {spec.name: spec.domain for spec in world.tool_specs()}
    pop = Popularity(world.domains(), rng)
    records: list[dict[str, Any]] = []
    redrawn = 0
    ks: Counter[int] = Counter()
    while len(records) < args.n:
        skills = draw_combination(pop, domain_of, rng)
        try:
            task = world.compose(skills, rng.randrange(1 << 30))
        except CompositionError:
            task = None
        if task is None:
            redrawn += 1
            continue
        records.append(trajectory(task, len(records)))
        ks[task.k] += 1
    buffer = io.BytesIO()
    with gzip.GzipFile(
        fileobj=buffer, mode="wb", mtime=0
    ) as handle:  # mtime=0: byte-identical reruns
        for record in records:
            handle.write((json.dumps(record, sort_keys=True) + "\n").encode("utf-8"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(buffer.getvalue())
    print(
        f"wrote {len(records)} trajectories to {args.output} ({len(buffer.getvalue()) // 1024} KiB);"
        f" k counts {dict(sorted(ks.items()))}; {redrawn} uncomposable draws redrawn",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
