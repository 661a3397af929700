"""Type-level data-flow planning for composing k tools (used by :mod:`steps_agents.worlds.compose`).

The *feed graph* of a set of tools has an edge ``a -> b`` for each port of ``b`` that some
part of ``a``'s result fits (:meth:`~steps_agents.worlds.TypeRules.paths`: the whole value, a
record field, the first list element). :func:`plan_flows` draws spanning forests of it that
respect port capacity; a forest is a DAG, and a random topological order of it is a call order.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from steps_agents.worlds import ToolSpec, TypeRules

__all__ = ["Components", "FlowPlan", "plan_flows", "port_feeds"]


def port_feeds(src: ToolSpec, dst: ToolSpec, rules: TypeRules) -> dict[str, bool]:
    """Ports of ``dst`` that a part of ``src``'s result can feed -> ``True`` if only as a list
    element (several sources may then share the port), ``False`` if as the whole value."""
    parts = [t for _, t in rules.paths(src.returns, src.fields)]
    out: dict[str, bool] = {}
    for name, port in dst.ports.items():
        if any(rules.assignable(t, port) for t in parts):
            out[name] = False
        elif any(rules.element_of(t, port) for t in parts):
            out[name] = True
    return out


class Components:
    """Union-find: the weakly connected parts of a data flow."""

    def __init__(self, items: Sequence[str] = ()) -> None:
        self.parent: dict[str, str] = {x: x for x in items}

    def add(self, x: str) -> None:
        self.parent.setdefault(x, x)

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def count(self) -> int:
        return len({self.find(x) for x in self.parent})


@dataclass(frozen=True)
class FlowPlan:
    """A type-level plan: the call order and, per tool, the ``(port, source tool)`` feeds."""

    order: tuple[str, ...]
    feeds: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    def feeds_of(self, tool: str) -> tuple[tuple[str, str], ...]:
        return dict(self.feeds).get(tool, ())

    def sinks(self) -> int:
        sources = {src for _, fs in self.feeds for _, src in fs}
        return sum(1 for t in self.order if t not in sources)


def plan_flows(
    skills: Sequence[str],
    specs: Mapping[str, ToolSpec],
    rules: TypeRules,
    rng: random.Random,
    tries: int = 64,
    banned: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[int, list[FlowPlan]]:
    """``(fewest components, plans reaching it)``: random spanning forests of the feed graph.

    The feed graph has an edge ``a -> b`` per port of ``b`` that a part of ``a``'s result fits.
    A randomised Kruskal pass keeps an edge when it joins two components and the port is free
    (a list port takes up to three element feeds, any other port one feed); a spanning tree
    is a DAG, so a random topological order of it is a valid call order. Plans with the fewest
    components come first, then those with the fewest sinks (the answer has one part per sink).
    When even the best plan leaves several components, no choice of values can join the tools.
    A forest of several components counts only if none of them is a single tool (every tool
    then exchanges data with another); the fewest components of any forest is returned when
    no forest qualifies, with an empty plan list. ``banned`` ``(source, tool)`` feeds are left
    out (the composer bans a feed that keeps failing at the value level).
    """
    edges = [
        (a, b, port, element)
        for a in skills
        for b in skills
        if a != b
        if (a, b) not in banned
        for port, element in port_feeds(specs[a], specs[b], rules).items()
    ]
    best, best_any = len(skills) + 1, len(skills) + 1
    found: dict[FlowPlan, int] = {}
    for _ in range(tries):
        rng.shuffle(edges)
        comps = Components(skills)
        used: dict[tuple[str, str], int] = {}
        chosen: list[tuple[str, str, str]] = []
        for a, b, port, element in edges:
            n = used.get((b, port), 0)
            if comps.find(a) == comps.find(b) or n >= (3 if element else 1) or n < 0:
                continue
            used[(b, port)] = n + 1 if element else -1  # -1: taken by a whole value
            comps.union(a, b)
            chosen.append((a, b, port))
        count = comps.count()
        best_any = min(best_any, count)
        sizes = Counter(comps.find(t) for t in skills)
        if count > 1 and min(sizes.values()) < 2:
            continue
        if count > best:
            continue
        if count < best:
            best, found = count, {}
        plan = _topological(skills, chosen, rng)
        found.setdefault(plan, plan.sinks())
    plans = sorted(found, key=lambda p: found[p])
    return (best if plans else best_any), plans


def _topological(
    skills: Sequence[str], chosen: Sequence[tuple[str, str, str]], rng: random.Random
) -> FlowPlan:
    indegree = {t: 0 for t in skills}
    feeds: dict[str, list[tuple[str, str]]] = {t: [] for t in skills}
    for a, b, port in chosen:
        indegree[b] += 1
        feeds[b].append((port, a))
    ready = sorted(t for t in skills if indegree[t] == 0)
    order: list[str] = []
    while ready:
        tool = ready.pop(rng.randrange(len(ready)))
        order.append(tool)
        for a, b, _ in chosen:
            if a == tool:
                indegree[b] -= 1
                if indegree[b] == 0:
                    ready.append(b)
    return FlowPlan(
        order=tuple(order),
        feeds=tuple((t, tuple(sorted(feeds[t]))) for t in order if feeds[t]),
    )
