"""The ``focus`` selector: ``steps`` steered toward what an agent failed.

Options (``SelectionRequest.options``): ``focus`` (an evaluation report path, or
:class:`~steps_agents.selection.focus.FocusWeights`), ``focus_strength`` (``lambda >= 0``,
default 1) and ``focus_agent`` (the report's agent; default its first).

* **Seeds.** Every skill of the seed order (:func:`~steps_agents.selection.api.seed_order`) gets
  the weight ``1 + lambda * N * sigma_s / sum(sigma)`` (``N`` seeds, ``sigma`` the seed mass of
  :mod:`~steps_agents.selection.focus`), so a share ``lambda / (1 + lambda)`` of the seeds follows
  the failures and the rest stays uniform. Seeds are drawn by smooth weighted round robin
  (deterministic: each draw adds every weight to a running credit, takes the largest credit,
  first in the seed order on ties, and subtracts the total from it); with equal weights it is
  exactly the plain round robin. With ``seed_sampling="rare"`` the uniform part is replaced by
  the rare-skill weights ``1 / (count + 1)``, normalised to mean 1.
* **Widening subtree.** The beam search keeps the coherent widening rule (STEPS spec, section 4:
  step ``t`` chooses inside the subtree of the seed's ancestor at depth ``D - t``, the regions of
  :func:`~steps_agents.selection.beam.regions`) and ranks a child ``S + v`` by
  ``f(S) + gain(v | S) + lambda * unit * (w_v + sum_{u in S} w_uv)``, where ``unit`` is the mean
  path entropy of a skill, so ``lambda = 1`` makes a fully failed pair worth one skill's
  information. It is the direct search (:func:`~steps_agents.selection.beam.reference_beam`
  with that bonus: every skill of the region scored for every beam state,
  ``O(beam * region * depth)`` a step), since the bonus depends on the whole set.
* ``lambda = 0`` (or a report with no failure to focus on) is plain ``steps``: the same code
  path, so the same combinations in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from steps_agents.errors import InputError
from steps_agents.records import Combination
from steps_agents.selection.api import SelectionRequest, seed_order
from steps_agents.selection.beam import beam_search, reference_beam
from steps_agents.selection.focus import FocusWeights, load_focus
from steps_agents.selection.index import TreeIndex, tree_index
from steps_agents.selection.strategies import _run_seeded
from steps_agents.taxonomy.artifact import Taxonomy

_LOADED: dict[tuple[str, float, str | None], FocusWeights] = {}


def focus_weights(options: Any) -> FocusWeights | None:
    """The request's :class:`FocusWeights` (a report path is read once per path and mtime)."""
    source = options.get("focus")
    if source is None or isinstance(source, FocusWeights):
        return source
    path = os.fspath(source)
    agent = options.get("focus_agent")
    try:
        key = (path, os.stat(path).st_mtime, agent)
    except OSError:
        return load_focus(path, agent)  # raises the one-line error
    if key not in _LOADED:
        _LOADED[key] = load_focus(path, agent)
    return _LOADED[key]


def focus_strength(options: Any) -> float:
    value = float(options.get("focus_strength", 1.0))
    if not value >= 0:
        raise InputError(f"must be >= 0, got {value}", location="--focus-strength")
    return value


def weighted_round_robin(order: list[str], weights: np.ndarray) -> Iterator[str]:
    """Smooth weighted round robin over ``order`` (module docstring); endless."""
    credit = np.zeros(len(order))
    total = float(weights.sum())
    while True:
        credit += weights
        j = int(np.argmax(credit))
        credit[j] -= total
        yield order[j]


def seed_weights(
    taxonomy: Taxonomy, request: SelectionRequest, focus: FocusWeights, strength: float
) -> tuple[list[str], np.ndarray]:
    order = seed_order(taxonomy, request)
    n = len(order)
    if request.seed_sampling == "rare":
        base = np.asarray([1.0 / ((taxonomy.skill_count(s) or 0) + 1.0) for s in order])
        base *= n / base.sum()
    else:
        base = np.ones(n)
    sigma = np.asarray(focus.seed_masses(order))
    if sigma.sum() > 0:
        base = base + strength * n * sigma / sigma.sum()
    return order, base


class FocusSelector:
    """``focus``: see the module docstring."""

    name = "focus"

    def select(self, taxonomy: Taxonomy, request: SelectionRequest) -> list[Combination]:
        focus = focus_weights(request.options)
        if focus is None:
            raise InputError(
                "the focus selector needs an evaluation report: pass --focus REPORT.json"
            )
        strength = focus_strength(request.options)
        beam = request.beam
        if strength == 0 or focus.empty():

            def plain(ix: TreeIndex, seed: int, k: int) -> Iterator[tuple[int, ...]]:
                for _, leaves in beam_search(ix, seed, k, beam, widening=True):
                    yield leaves

            return _run_seeded(self.name, taxonomy, request, plain)
        ix = tree_index(taxonomy)
        leaf_of = ix.leaf_of
        leaf_w = {leaf_of[s]: w for s, w in focus.skills.items() if s in leaf_of and w > 0}
        pair_w: dict[int, dict[int, float]] = {}
        for pair, w in focus.pairs.items():
            a, b = sorted(pair)
            if w > 0 and a in leaf_of and b in leaf_of:
                pair_w.setdefault(leaf_of[a], {})[leaf_of[b]] = w
                pair_w.setdefault(leaf_of[b], {})[leaf_of[a]] = w
        scale = strength * float(np.mean([ix.pt[v] for v in ix.leaves]))

        def bonus(order: tuple[int, ...], v: int) -> float:
            pairs = pair_w.get(v)
            together = sum(pairs.get(u, 0.0) for u in order) if pairs else 0.0
            return scale * (leaf_w.get(v, 0.0) + together)

        def propose(ix: TreeIndex, seed: int, k: int) -> Iterator[tuple[int, ...]]:
            for _, leaves in reference_beam(ix, seed, k, beam, widening=True, bonus=bonus):
                yield leaves

        order, weights = seed_weights(taxonomy, request, focus, strength)
        stream = weighted_round_robin(order, weights)
        return _run_seeded(self.name, taxonomy, request, propose, stream=stream)
