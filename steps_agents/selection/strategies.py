"""The built-in selection strategies; ``plugins/selectors.py`` registers them by name.

* :class:`BeamSelector` -- ``steps`` (widening regions), ``unconstrained`` (whole tree) and
  ``longtail`` (``steps`` that skips sets the corpus holds ``>= longtail_threshold`` times,
  default 1: only sets never seen in the corpus, so the budget goes where data is missing).
  For each planned k it takes the next seed (see :func:`~steps_agents.selection.api.seed_stream`)
  and emits the best final beam set that is new; if all of a seed's final sets are taken, that
  seed is exhausted for this k and the next seed is tried.
* :class:`RandomSelector` -- ``random``: uniform k-subsets (Instruct-SkillMix baseline).
* :class:`RandomCoherentSelector` -- ``random-coherent``: the fair baseline for ``steps``; the
  same seeds, k and widening regions, but each step picks an unused skill of the region
  uniformly at random.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from steps_agents.errors import InputError
from steps_agents.records import Combination
from steps_agents.selection.api import SelectionRequest, make_combination, seed_order, seed_stream
from steps_agents.selection.beam import beam_search, regions
from steps_agents.selection.index import TreeIndex, tree_index
from steps_agents.taxonomy.artifact import Taxonomy

Proposer = Callable[[TreeIndex, int, int], Iterator[tuple[int, ...]]]
# beam_search or reference_beam: (index, seed leaf, k, beam, widening=) -> final sets best first
Search = Callable[..., Iterable[tuple[float, tuple[int, ...]]]]


def _run_seeded(
    name: str,
    taxonomy: Taxonomy,
    request: SelectionRequest,
    propose: Proposer,
    accept: Callable[[frozenset[str]], bool] = lambda key: True,
    stream: Iterator[str] | None = None,
) -> list[Combination]:
    """Fill the k plan seed by seed: ``propose(ix, seed_leaf, k)`` yields candidate leaf tuples
    best first; the first new, acceptable one is taken, else the seed is exhausted for that k.
    Seeds come from ``stream`` (endless, over :func:`seed_order`'s skills), by default
    :func:`seed_stream`."""
    ix = tree_index(taxonomy)
    n_seeds = len(seed_order(taxonomy, request))
    taken: set[frozenset[str]] = set(request.exclude)
    exhausted: dict[int, set[str]] = {}
    if stream is None:
        stream = seed_stream(taxonomy, request)
    out: list[Combination] = []
    for k in request.k_plan:
        dead = exhausted.setdefault(k, set())
        found = None
        for seed_skill in stream:
            if len(dead) >= n_seeds:
                break
            if seed_skill in dead:
                continue
            for leaves in propose(ix, ix.leaf_of[seed_skill], k):
                names = tuple(ix.skill[v] for v in leaves)
                key = frozenset(names)
                if key not in taken and accept(key):
                    found = (seed_skill, names)
                    break
            if found:
                break
            dead.add(seed_skill)
        if found is None:
            raise InputError(
                f"{name}: found only {len(out)} of {request.n} new unique sets (no seed has an unused "
                f"{k}-set left); lower -n, change --k, raise --beam or use another selector"
            )
        taken.add(frozenset(found[1]))
        out.append(
            make_combination(
                taxonomy,
                found[1],
                selector=name,
                seed_skill=found[0],
                corpus_counts=request.corpus_counts,
            )
        )
        if request.progress is not None:
            request.progress.update(1)
    return out


class BeamSelector:
    """Beam search over the structural information gain (see :mod:`steps_agents.selection.beam`)."""

    def __init__(
        self, name: str, *, widening: bool, longtail: bool = False, search: Search = beam_search
    ) -> None:
        self.name, self.widening, self.longtail, self.search = name, widening, longtail, search

    def select(self, taxonomy: Taxonomy, request: SelectionRequest) -> list[Combination]:
        beam, widening, search = request.beam, self.widening, self.search

        def propose(ix: TreeIndex, seed: int, k: int) -> Iterator[tuple[int, ...]]:
            for _, leaves in search(ix, seed, k, beam, widening=widening):
                yield leaves

        accept: Callable[[frozenset[str]], bool] = lambda key: True  # noqa: E731
        if self.longtail:
            counts = request.corpus_counts
            if counts is None:
                raise InputError(f"selector {self.name!r} needs corpus counts: pass --corpus")
            threshold = int(request.options.get("longtail_threshold", 1))
            if threshold < 1:
                raise InputError(
                    "longtail_threshold must be at least 1", location="--longtail-threshold"
                )

            def accept(key: frozenset[str]) -> bool:
                return counts.get(key, 0) < threshold

        return _run_seeded(self.name, taxonomy, request, propose, accept)


def random_under_rule(
    ix: TreeIndex,
    seed: int,
    k: int,
    rng: np.random.Generator,
    required: frozenset[int] = frozenset(),
) -> tuple[int, ...] | None:
    """One set grown from ``seed`` under the widening-subtree rule, each step uniform over the
    unused skills of the step's region (``None`` if the rule cannot reach k skills). A
    ``required`` skill is taken (no draw) at the first step whose region holds it."""
    steps = regions(ix, seed, k, widening=True)
    if steps is None:
        return None
    chosen = [seed]
    used = {seed}
    for r in steps:
        free = [v for v in ix.leaves_under(r) if v not in used]
        due = [v for v in free if v in required] if required else []
        v = due[0] if due else free[int(rng.integers(len(free)))]
        chosen.append(v)
        used.add(v)
    return tuple(chosen)


class RandomCoherentSelector:
    """``random-coherent``: random choices under the same widening-subtree rule as ``steps``."""

    name = "random-coherent"
    tries_per_seed = 16

    def select(self, taxonomy: Taxonomy, request: SelectionRequest) -> list[Combination]:
        rng = np.random.default_rng([request.seed, 2])

        def propose(ix: TreeIndex, seed: int, k: int) -> Iterator[tuple[int, ...]]:
            for _ in range(self.tries_per_seed):
                leaves = random_under_rule(ix, seed, k, rng)
                if leaves is None:
                    return
                yield leaves

        return _run_seeded(self.name, taxonomy, request, propose)


class RandomSelector:
    """``random``: uniform k-subsets of all skills (order random; no seed skill)."""

    name = "random"
    max_tries = 1000

    def select(self, taxonomy: Taxonomy, request: SelectionRequest) -> list[Combination]:
        rng = np.random.default_rng([request.seed, 3])
        skills = sorted(taxonomy.skills)
        taken: set[frozenset[str]] = set(request.exclude)
        out: list[Combination] = []
        for k in request.k_plan:
            for _ in range(self.max_tries):
                names = tuple(skills[i] for i in rng.choice(len(skills), size=k, replace=False))
                if frozenset(names) not in taken:
                    break
            else:
                raise InputError(
                    f"random: no new unique {k}-set after {self.max_tries} draws ({len(out)} of {request.n} found)"
                )
            taken.add(frozenset(names))
            out.append(
                make_combination(
                    taxonomy, names, selector=self.name, corpus_counts=request.corpus_counts
                )
            )
            if request.progress is not None:
                request.progress.update(1)
        return out
