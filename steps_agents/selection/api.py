"""The selection entry point, the :class:`Selector` protocol and the record builder.

``select_combinations`` resolves a selector by name through the plugin registry, hands it a
:class:`SelectionRequest` (the exact k of every combination already planned) and checks what
comes back: ``n`` combinations, no duplicate sets, none excluded, the planned k mix. Selectors
build their records with :func:`make_combination`, which recomputes the gain as ``H(S | {})``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from steps_agents.errors import InputError, StepsError
from steps_agents.records import Combination
from steps_agents.runtime.progress import Progress
from steps_agents.selection.curriculum import DEFAULT_K, k_plan
from steps_agents.selection.gain import set_information
from steps_agents.taxonomy.artifact import Taxonomy

SEED_SAMPLING = ("round-robin", "rare")


@dataclass(frozen=True)
class SelectionRequest:
    """What a selector must produce: one combination per entry of ``k_plan`` (in that order).

    ``exclude`` holds sets that must not be returned (already used elsewhere). ``outside_run``
    is the part of ``exclude`` that is not this run's own earlier choices (``steps synth
    --exclude``: a split's test side, tasks already evaluated): a selector that balances against
    what the run chose so far leaves these out. ``seeds`` (skill names) restricts and orders the
    seed skills; ``None`` means every skill. ``options`` carries selector-specific settings
    (e.g. ``longtail_threshold``).
    """

    n: int
    k_plan: tuple[int, ...]
    beam: int = 100
    seed: int = 0
    corpus_counts: Mapping[frozenset[str], int] | None = None
    exclude: frozenset[frozenset[str]] = frozenset()
    outside_run: frozenset[frozenset[str]] = frozenset()
    seeds: tuple[str, ...] | None = None
    seed_sampling: str = "round-robin"
    options: Mapping[str, Any] = field(default_factory=dict)
    progress: Progress | None = None


@runtime_checkable
class Selector(Protocol):
    """A combination selector, registered by name through ``register_selectors``.

    ``select`` returns exactly ``request.n`` combinations, the i-th with ``k = request.k_plan[i]``,
    no two with the same skill set and none in ``request.exclude``, and is deterministic for
    ``request.seed``. Raise :class:`~steps_agents.errors.InputError` when that is impossible
    (say so in one line). Build records with :func:`make_combination`.
    """

    name: str

    def select(self, taxonomy: Taxonomy, request: SelectionRequest) -> list[Combination]: ...


def make_combination(
    taxonomy: Taxonomy,
    skills: Sequence[str],
    *,
    selector: str,
    seed_skill: str | None = None,
    corpus_counts: Mapping[frozenset[str], int] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Combination:
    """A :class:`Combination` with gain ``H(S | {})`` recomputed, paths, LCA and corpus count."""
    paths = tuple(tuple(taxonomy.path(s)) for s in skills)
    lca = taxonomy.lca(skills)
    labels = [[taxonomy.label(v) for v in p] for p in paths]
    return Combination(
        skills=tuple(skills),
        k=len(skills),
        gain=set_information(taxonomy, skills),
        selector=selector,
        seed_skill=seed_skill,
        paths=paths,
        lca=lca,
        lca_depth=int(taxonomy.depth[lca]),
        corpus_count=None
        if corpus_counts is None
        else int(corpus_counts.get(frozenset(skills), 0)),
        extra={"path_labels": labels, **dict(extra or {})},
    )


def seed_order(taxonomy: Taxonomy, request: SelectionRequest) -> list[str]:
    """Seeds in round-robin order: the given ``seeds`` as listed, else every skill in a
    permutation fixed by ``request.seed`` (so a short run still spreads over the tree)."""
    if request.seeds is not None:
        for s in request.seeds:
            taxonomy.leaf(s)  # unknown seed -> InputError
        return list(dict.fromkeys(request.seeds))
    skills = sorted(taxonomy.skills)
    rng = np.random.default_rng(request.seed)
    return [skills[i] for i in rng.permutation(len(skills))]


def seed_stream(taxonomy: Taxonomy, request: SelectionRequest) -> Iterator[str]:
    """Endless stream of seed skills; the caller stops it. ``round-robin`` cycles through
    :func:`seed_order`; ``rare`` samples with replacement, with probability proportional to
    ``1 / (count + 1)`` (skill counts from the taxonomy), so rare skills seed more sets."""
    order = seed_order(taxonomy, request)
    if not order:
        return
    if request.seed_sampling == "round-robin":
        while True:
            yield from order
    elif request.seed_sampling == "rare":
        rng = np.random.default_rng([request.seed, 1])
        w = np.asarray([1.0 / ((taxonomy.skill_count(s) or 0) + 1.0) for s in order])
        p = w / w.sum()
        while True:
            for i in rng.choice(len(order), size=256, p=p):
                yield order[int(i)]
    else:
        raise InputError(
            f"unknown seed sampling {request.seed_sampling!r}; use one of {', '.join(SEED_SAMPLING)}"
        )


def select_combinations(
    taxonomy: Taxonomy,
    *,
    n: int,
    k: Sequence[int] = DEFAULT_K,
    k_weights: Sequence[float] | None = None,
    selector: str = "steps",
    beam: int = 100,
    seed: int = 0,
    corpus_counts: Mapping[frozenset[str], int] | None = None,
    exclude: Collection[frozenset[str]] = (),
    outside_run: Collection[frozenset[str]] = (),
    seeds: Sequence[str] | None = None,
    pm: Any = None,
    seed_sampling: str = "round-robin",
    options: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> list[Combination]:
    """``n`` unique k-skill combinations chosen by the selector registered as ``selector``.

    ``k`` lists the allowed k (mixed by ``k_weights``, uniform by default; the exact count of
    each k is fixed by largest remainders). No set of ``exclude`` or ``outside_run`` is returned
    (``outside_run``: :class:`SelectionRequest`). Deterministic for ``seed``. Raises
    :class:`InputError` when fewer than ``n`` new unique sets can be found.
    """
    from steps_agents.registry import get_selector

    if n < 0:
        raise InputError("n must be non-negative", location="-n")
    if beam < 1:
        raise InputError("beam must be at least 1", location="--beam")
    if seed_sampling not in SEED_SAMPLING:
        raise InputError(
            f"unknown seed sampling {seed_sampling!r}; use one of {', '.join(SEED_SAMPLING)}"
        )
    too_big = [x for x in k if x > len(taxonomy.skills)]
    if too_big:
        raise InputError(
            f"k={too_big[0]} exceeds the taxonomy's {len(taxonomy.skills)} skills", location="--k"
        )
    impl = get_selector(selector, pm)
    plan = tuple(k_plan(n, list(k), k_weights, seed=seed))
    outside = frozenset(frozenset(x) for x in outside_run)
    excluded = frozenset(frozenset(x) for x in exclude) | outside
    with Progress(f"select ({selector})", total=n, unit="set", enabled=progress) as bar:
        request = SelectionRequest(
            n=n,
            k_plan=plan,
            beam=beam,
            seed=seed,
            corpus_counts=corpus_counts,
            exclude=excluded,
            outside_run=outside,
            seeds=tuple(seeds) if seeds is not None else None,
            seed_sampling=seed_sampling,
            options=dict(options or {}),
            progress=bar,
        )
        out = list(impl.select(taxonomy, request))
    _check(selector, out, request)
    return out


def _check(name: str, out: list[Combination], request: SelectionRequest) -> None:
    keys = [c.key() for c in out]
    problems = []
    if len(out) != request.n:
        problems.append(f"returned {len(out)} combinations for n={request.n}")
    if len(set(keys)) != len(keys):
        problems.append("returned duplicate sets")
    if any(key in request.exclude for key in keys):
        problems.append("returned an excluded set")
    if Counter(c.k for c in out) != Counter(request.k_plan):
        problems.append("did not follow the k plan")
    if problems:
        raise StepsError(f"selector {name!r} " + "; ".join(problems))
