"""The ``focus`` selector: plain ``steps``, with some of its sets swapped for sets that hold
what an agent failed, at the same information per set.

Options (``SelectionRequest.options``): ``focus`` (an evaluation report path, or
:class:`~steps_agents.selection.focus.FocusWeights`), ``focus_strength`` (``lambda >= 0``,
default 6), ``focus_multiple`` (``m >= 1``, default 5), ``focus_gain_tolerance`` (``tol``,
default 0.08), ``focus_agent`` (the report's agent; default its first) and ``focus_world``
(the skill worlds whose ``compose`` vets a swap, step 6; default the report's ``meta.worlds``,
``"none"`` for no check) and ``focus_band`` (``"request"``, default, or ``"run"``, step 5;
``steps synth`` sets ``"run"``).

1. **Plain first.** The request is answered by plain ``steps`` (the same seeds, beam and
   widening rule), giving ``n`` sets and their total gain ``G``.
2. **Targets** are the report's weak pairs, skills and communities (weight ``w`` from
   :mod:`~steps_agents.selection.focus`, the heaviest :data:`MAX_TARGETS`). A set *holds* a pair
   or skill when it contains it, a community when it has one of its skills.
3. **Candidates** of a target and k are widening-rule sets that hold it: the best ones, by the
   beam search (:func:`~steps_agents.selection.beam.reference_beam`) grown from each skill of
   the pair (or the skill) with a bonus that makes it add the other as soon as the widening
   region reaches it (any set holding both can be reordered that way, so no set is lost), and
   :data:`DRAWS` random ones (:func:`~steps_agents.selection.strategies.random_under_rule`, the
   other skill taken when due), which spread the gains downward; for a community, the plain
   beam and random draws from its skills. They depend on the taxonomy only (cached).
4. **How many.** With ``r_T(k)`` the share of seeds whose plain set of size k holds the target
   (:func:`_plain_rate`), or of the report's evaluated tasks of size k if larger
   (:func:`_exposure`), and ``m_T = 1 + (m - 1) * w_T / max(w)`` (the heaviest target gets
   the full multiple), each slot of size k that a candidate can fill counts
   ``max(lambda / (1 + lambda) * w_T / sum(w), min(1, m_T * r_T(k)))`` (in ``sum(w)`` rival
   readings of one failure, step 5, count once); the target's ``want``
   is the sum, rounded by a fixed per-request draw (so one- or two-set requests, as the
   synthesis makes, get it on average), and at least ``ceil(m_T * c_T)`` for the ``c_T`` plain
   sets of this request that hold it.
5. **Swaps.** Targets go heaviest first (equal weights, which the report cannot tell apart,
   take turns). Until a target is in ``want`` sets, one plain set that holds no target at
   least as heavy is replaced by an unused candidate of the same k: the (slot, candidate) that
   keeps the running gain difference ``sum(new) - sum(replaced)`` closest to zero (ties: the
   higher gain), and only if it stays within ``tol * G``. So the request's mean gain is plain
   ``steps``'s within ``tol``, the k plan is unchanged, and every set keeps the coherent
   widening rule of the seed it was grown from. Tied pairs and skills that share a skill are
   rival readings of one failure (:func:`_explanations`): sets holding all of them (their
   union, up to :data:`JOINT_MAX` skills) go first, then the rivals take turns.
   ``focus_band = "run"`` widens the band to a run that asks for a few sets at a time, as
   ``steps synth`` does: ``request.exclude`` is then the sets the run already chose (less
   ``request.outside_run``, the sets ``steps synth --exclude`` keeps out), and the
   running difference starts from their gain over plain's (:func:`_run_balance`), within
   ``tol`` times plain's expected gain of them and the request. A single swap often moves a
   one- or two-set request by more than ``tol`` (in the quickstart's world the calendar
   community's 4-sets carry a third more information than plain's average 4-set), while what a
   user trains on is the batch.
6. **Only sets the world composes.** A candidate goes in only if the report's skill world
   composes it into a task (:mod:`~steps_agents.selection.composable`); one it cannot is
   dropped and the next closest is tried. ``steps synth --mode agentic`` drops uncomposable
   sets and closes a k whose sets rarely compose, so unvetted swaps at k = 6, 7 (where few
   sets holding a pair compose) closed that k and shifted the batch's k mix toward small k.
   By the planner's own rule, when the one-sided 95% upper bound of the compose rate of a
   target's candidates of one k is below :data:`COMPOSE_FLOOR` (none of 25, one of 42 composed),
   that target is no longer swapped in at that k. The rate is measured on a fixed random sample
   of those candidates (:func:`rarely_composes`), the first time a swap needs it, so a run
   resumed in a new process closes what the uninterrupted one closed (each check costs a
   composition attempt, ~0.1 s, and is cached).

``lambda = 0`` (or a report with no failure to focus on) is plain ``steps`` itself.
"""

from __future__ import annotations

import math
import os
import weakref
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, NamedTuple

import numpy as np

from steps_agents.errors import InputError
from steps_agents.records import Combination
from steps_agents.selection.api import SelectionRequest, make_combination, seed_order
from steps_agents.selection.beam import beam_search, reference_beam
from steps_agents.selection.composable import WorldCheck, compose_rate_upper, world_check
from steps_agents.selection.focus import FocusWeights, load_focus
from steps_agents.selection.index import TreeIndex, tree_index
from steps_agents.selection.strategies import _run_seeded, random_under_rule
from steps_agents.taxonomy.artifact import Taxonomy

DEFAULT_STRENGTH = 6.0  # a share 6/7 of the sets that can hold a failure hold one
MAX_TARGETS = 16
BEST = 16  # candidates per seed from the beam (the highest gains)
DRAWS = 128  # candidates per target and k drawn at random under the widening rule
RATE_SEEDS = 256  # seeds whose plain sets estimate how often plain steps holds a target
# A target's candidates of one k are no longer offered once this many were checked and the
# upper bound of their compose rate is below this share: the synthesis planner's rule for a k.
COMPOSE_MIN_TRIES, COMPOSE_FLOOR = 20, 0.1
# At most this many of them are checked for that, in a fixed random order: one composed in 44
# still closes (its bound is 9.6%), two do not (12.8%).
COMPOSE_SAMPLE = 44
JOINT_MAX = 4  # rival explanations are joined in one set only up to this many skills
_REQUIRED_BONUS = 1e6  # larger than any set's information: a required skill always ranks first

_LOADED: dict[tuple[str, float, str | None], FocusWeights] = {}


@dataclass(frozen=True)
class Target:
    """A pair, skill or community to put into more sets (leaf ids of ``TreeIndex``)."""

    label: str
    weight: float
    required: frozenset[int]  # pair or skill: every set holding the target contains these
    members: frozenset[int]  # community: a set holding it has one of these
    seeds: tuple[int, ...]  # the candidates are grown from these

    def holds(self, leaves: frozenset[int]) -> bool:
        if self.required:
            return self.required <= leaves
        return not self.members.isdisjoint(leaves)


class Candidate(NamedTuple):
    gain: float
    leaves: tuple[int, ...]  # in the order grown, seed first
    seed: int
    key: frozenset[int]


# Per tree index (cached per taxonomy): (seed, k) -> plain steps's (greedy) best set.
_PLAIN: weakref.WeakKeyDictionary[TreeIndex, dict[tuple[int, int], frozenset[int]]] = (
    weakref.WeakKeyDictionary()
)
# Per tree index (cached per taxonomy): (target label, k, beam) -> candidates.
_CANDIDATES: weakref.WeakKeyDictionary[TreeIndex, dict[tuple[str, int, int], list[Candidate]]] = (
    weakref.WeakKeyDictionary()
)


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


def _number(options: Any, name: str, default: float, low: float) -> float:
    value = float(options.get(name, default))
    if not value >= low:
        flag = "--" + name.replace("_", "-")
        raise InputError(f"must be >= {low:g}, got {value}", location=flag)
    return value


def focus_world_check(options: Any, focus: FocusWeights) -> WorldCheck | None:
    """Step 6 of the module docstring: ``focus_world`` (a world name, a list of them, or
    ``"none"``), default the report's worlds; ``None`` when no such world is installed."""
    names = options.get("focus_world")
    if names is None:
        names = focus.worlds
    elif isinstance(names, str):
        names = [] if names.strip().lower() in ("", "none") else [names]
    elif not isinstance(names, (list, tuple)):
        raise InputError(
            f"expected a world name, a list of them or 'none', got {names!r}",
            location="selector_options.focus_world",
        )
    return world_check([str(n) for n in names]) if names else None


def _band_scope(options: Any) -> str:
    scope = str(options.get("focus_band", "request"))
    if scope not in ("request", "run"):
        raise InputError(
            f"expected 'request' or 'run', got {scope!r}", location="selector_options.focus_band"
        )
    return scope


def focus_strength(options: Any) -> float:
    return _number(options, "focus_strength", DEFAULT_STRENGTH, 0.0)


def focus_targets(ix: TreeIndex, focus: FocusWeights) -> list[Target]:
    """The heaviest :data:`MAX_TARGETS` weighted pairs, skills and communities in the tree."""
    leaf_of = ix.leaf_of
    out: list[Target] = []
    for pair, w in focus.pairs.items():
        if w > 0 and len(pair) == 2 and pair <= leaf_of.keys():
            a, b = sorted(pair)
            leaves = (leaf_of[a], leaf_of[b])
            out.append(Target(f"{a} + {b}", w, frozenset(leaves), frozenset(), leaves))
    for skill, w in focus.skills.items():
        if w > 0 and skill in leaf_of:
            leaf = leaf_of[skill]
            out.append(Target(skill, w, frozenset((leaf,)), frozenset(), (leaf,)))
    for name, w in focus.communities.items():
        members = sorted(leaf_of[s] for s in focus.community_skills.get(name, ()) if s in leaf_of)
        if w > 0 and members:
            out.append(
                Target(f"community {name}", w, frozenset(), frozenset(members), tuple(members))
            )
    out.sort(key=lambda t: (-t.weight, t.label))
    return out[:MAX_TARGETS]


def set_gain(ix: TreeIndex, leaves: tuple[int, ...]) -> float:
    """``f(S)``: the terms of every node on the sets' paths, each once (as ``make_combination``)."""
    nodes = {a for v in leaves for a in ix.paths[v] if a > 0}
    return float(sum(ix.term[a] for a in sorted(nodes)))


def _grow(ix: TreeIndex, target: Target, k: int, beam: int) -> list[Candidate]:
    """Step 3 of the module docstring: the best sets and :data:`DRAWS` random ones."""
    found: dict[frozenset[int], Candidate] = {}
    required = target.required

    def bonus(order: tuple[int, ...], v: int) -> float:
        return _REQUIRED_BONUS if v in required else 0.0

    rng = np.random.default_rng([k, *sorted(target.seeds)])
    draws = max(1, DRAWS // len(target.seeds))
    for seed in target.seeds:
        if required:
            best = reference_beam(ix, seed, k, min(beam, BEST), widening=True, bonus=bonus)
            grown = [leaves for _, leaves in best]
        else:
            grown = [
                leaves for _, leaves in islice(beam_search(ix, seed, k, beam, widening=True), BEST)
            ]
        grown += [
            x
            for _ in range(draws)
            if (x := random_under_rule(ix, seed, k, rng, required)) is not None
        ]
        for leaves in grown:
            key = frozenset(leaves)
            if key not in found and target.holds(key):
                found[key] = Candidate(set_gain(ix, leaves), leaves, seed, key)
    return sorted(found.values(), key=lambda c: (-c.gain, c.leaves))


def _candidates(ix: TreeIndex, target: Target, k: int, beam: int) -> list[Candidate]:
    """The target's widening-rule sets of size k, best gain first (cached; module docstring)."""
    if k < len(target.required):
        return []
    cache = _CANDIDATES.setdefault(ix, {})
    key = (target.label, k, beam)
    got = cache.get(key)
    if got is None:
        got = cache[key] = _grow(ix, target, k, beam)
    return got


class _Swapper:
    """Step 5 of the module docstring over one request's plain answer."""

    def __init__(
        self,
        ix: TreeIndex,
        plain: list[Combination],
        taken: set[frozenset[str]],
        band: dict[int, float],
        composable: WorldCheck | None = None,
    ) -> None:
        self.ix = ix
        self.composable = composable
        self.slots = [tuple(ix.leaf_of[s] for s in c.skills) for c in plain]
        self.gains = [c.gain for c in plain]
        self.seeds = [c.seed_skill for c in plain]
        self.swapped = [False] * len(plain)
        self.taken = taken
        # per k: the sum of the gains put in minus those taken out, and its bound
        self.balance: dict[int, float] = dict.fromkeys(band, 0.0)
        self.open_pools: list[dict[int, list[Candidate]]] = []
        self.band = band

    def holding(self, target: Target) -> int:
        return sum(target.holds(frozenset(s)) for s in self.slots)

    def open_slots(self, target: Target, protected: list[Target]) -> list[int]:
        """Slots the target may take: not holding it nor a target at least as heavy."""
        out = []
        for i, leaves in enumerate(self.slots):
            key = frozenset(leaves)
            if not target.holds(key) and not any(t.holds(key) for t in protected):
                out.append(i)
        return out

    def pools(self, target: Target, beam: int) -> dict[int, list[Candidate]]:
        """The target's unused candidates per k of the request, by gain ascending."""
        pools = {
            k: sorted(
                c
                for c in _candidates(self.ix, target, k, beam)
                if self._names(c.leaves) not in self.taken
            )
            for k in {len(s) for s in self.slots}
        }
        self.open_pools.append(pools)
        return pools

    def swap_one(
        self, pools: dict[int, list[Candidate]], slots: list[int], target: Target, beam: int
    ) -> bool:
        """Swap one of ``slots`` (:meth:`open_slots`) for one of the target's candidates in
        ``pools`` (module docstring, step 5) that the world composes (step 6)."""
        while True:
            best = self._closest(pools, slots)
            if best is None:
                return False
            i, c = best
            k = len(c.leaves)
            if self.composable is None:
                break
            if self._rarely_composes(target, k, beam):
                pools[k] = []
                continue
            if self.composable(self._ordered(c.leaves)):
                break
            self._drop(c)
        self._drop(c)
        self.taken.discard(self._names(self.slots[i]))
        self.taken.add(self._names(c.leaves))
        self.balance[k] += c.gain - self.gains[i]
        self.slots[i], self.gains[i] = c.leaves, c.gain
        self.seeds[i] = self.ix.skill[c.seed]
        self.swapped[i] = True
        return True

    def _closest(
        self, pools: dict[int, list[Candidate]], slots: list[int]
    ) -> tuple[int, Candidate] | None:
        """The (slot, candidate) keeping the running gain difference closest to zero, within
        the band (ties: the higher gain, then the first slot)."""
        best: tuple[float, float, int, Candidate] | None = None
        for i in slots:
            pool = pools[len(self.slots[i])]
            if not pool or self.swapped[i]:
                continue
            k = len(self.slots[i])
            aim = self.gains[i] - self.balance[k]  # the candidate gain that would zero it
            j = bisect_left(pool, (aim,))
            for c in pool[max(0, j - 1) : j + 1]:
                gap = abs(self.balance[k] + c.gain - self.gains[i])
                if gap <= self.band[k] and (best is None or (gap, -c.gain, i) < best[:3]):
                    best = (gap, -c.gain, i, c)
        return None if best is None else (best[2], best[3])

    def _drop(self, c: Candidate) -> None:
        """Take ``c`` out of every target's pool (the same set may hold several targets)."""
        k = len(c.leaves)
        for other in self.open_pools:
            if k in other:
                other[k] = [x for x in other[k] if x.key != c.key]

    def _ordered(self, leaves: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(self.ix.skill[v] for v in leaves)

    def _names(self, leaves: tuple[int, ...]) -> frozenset[str]:
        return frozenset(self.ix.skill[v] for v in leaves)

    def _rarely_composes(self, target: Target, k: int, beam: int) -> bool:
        """Step 6's closing rule for the target's candidates of size ``k``: :func:`rarely_composes`
        over all of them, decided once per process (the same answer in every process)."""
        check = self.composable
        assert check is not None

        names = tuple(self._ordered(c.leaves) for c in _candidates(self.ix, target, k, beam))
        seed = (k, beam, zlib.crc32(target.label.encode()))
        # keyed by the decision's inputs (another taxonomy has other candidates)
        return check.once(("closed", seed, names), lambda: rarely_composes(check, names, seed))


def rarely_composes(
    check: Callable[[Sequence[str]], bool],
    candidates: Sequence[Sequence[str]],
    seed: Sequence[int],
) -> bool:
    """The planner's rule on a fixed random sample of ``candidates``: checked in an order fixed
    by ``seed``, the sets close once at least :data:`COMPOSE_MIN_TRIES` were checked and the
    compose rate's upper bound is below :data:`COMPOSE_FLOOR`; they stay open once that cannot
    happen within :data:`COMPOSE_SAMPLE` checks (two composed), or when fewer than the minimum
    exist. A function of the candidates and the world alone, never of what a run tried before,
    so a run resumed in a new process decides as the uninterrupted one did. (Tried closest gain
    first, as the swaps go, a k whose sets near plain's gain rarely composed was closed while
    its others often did.)"""
    cap = min(len(candidates), COMPOSE_SAMPLE)
    if cap < COMPOSE_MIN_TRIES:
        return False
    order = np.random.default_rng(list(seed)).permutation(len(candidates))[:cap]
    composed = 0
    for tried, i in enumerate(order, start=1):
        composed += bool(check(candidates[int(i)]))
        if tried >= COMPOSE_MIN_TRIES and compose_rate_upper(composed, tried) < COMPOSE_FLOOR:
            return True
        if compose_rate_upper(composed, cap) >= COMPOSE_FLOOR:
            return False  # even if every set left failed, the bound would stay above the floor
    return False


def _ties(targets: list[Target]) -> list[list[Target]]:
    """Targets (heaviest first) in groups of equal weight (within 1%): the report cannot tell
    their causes apart (say, two pairs that always failed together), so they share the swaps."""
    groups: list[list[Target]] = []
    for t in targets:
        if groups and t.weight >= 0.99 * groups[-1][0].weight:
            groups[-1].append(t)
        else:
            groups.append([t])
    return groups


def _explanations(group: list[Target]) -> list[list[Target]]:
    """A tie group split into sets of rival explanations: tied pairs and skills that share a
    skill (connected through shared skills). In the quickstart's world every task holding
    ``calendar_reschedule`` also held ``calendar_get_event`` and ``dates_weekday``, so an agent
    failing the first pair got equal weights on that pair, on ``calendar_reschedule`` and on
    ``calendar_reschedule + dates_weekday``: one failure, three readings of it. Tied targets
    without a shared skill stay apart (two pairs that each failed every task they were in)."""
    out: list[list[Target]] = []
    for t in group:
        joined = [e for e in out if t.required and any(t.required & u.required for u in e)]
        for e in joined:
            out.remove(e)
        out.append([x for e in joined for x in e] + [t])
    return out


def _joint(ix: TreeIndex, rivals: list[Target], largest_k: int) -> Target | None:
    """The target a set holds when it holds every rival explanation (their skills' union), when
    that fits a set of the request and :data:`JOINT_MAX` skills: its sets are a failure under
    each reading, so they go first."""
    union = frozenset().union(*(t.required for t in rivals))
    if len(rivals) < 2 or len(union) > min(largest_k, JOINT_MAX):
        return None
    for t in rivals:
        if t.required == union:  # a pair with its own skill: the pair holds both
            return t
    label = " + ".join(sorted(ix.skill[v] for v in union))
    return Target(label, rivals[0].weight, union, frozenset(), tuple(sorted(union)))


def _plain_sets(ix: TreeIndex, k: int, seeds: list[int]) -> list[frozenset[int]]:
    """Plain ``steps``'s set of size k for each seed (at most :data:`RATE_SEEDS`, spread over
    the seed order; empty when the rule cannot reach k). The set is the greedy one (beam 1: on
    these coverage functions it is the beam's best in every case ``benchmarks/selection.py``
    tried), computed once per taxonomy, seed and k."""
    cache = _PLAIN.setdefault(ix, {})
    step = max(1, len(seeds) // RATE_SEEDS)
    out = []
    for seed in seeds[::step]:
        got = cache.get((seed, k))
        if got is None:
            first = next(iter(beam_search(ix, seed, k, 1, widening=True)), None)
            got = cache[(seed, k)] = frozenset(first[1]) if first else frozenset()
        out.append(got)
    return out


def _plain_rate(ix: TreeIndex, target: Target, k: int, seeds: list[int]) -> float:
    """The share of seeds whose plain set of size k holds the target: how often plain
    ``steps`` gives it at that k."""
    sets = _plain_sets(ix, k, seeds)
    return sum(target.holds(s) for s in sets) / len(sets)


def _evaluated_rate(ix: TreeIndex, target: Target, k: int, focus: FocusWeights) -> float:
    """The share of the evaluated tasks of size k (the report's episodes) that hold the target:
    how often the agent saw it."""
    names = {ix.skill[v] for v in target.required or target.members}
    sized = [s for s in focus.evaluated if len(s) == k]
    if not sized:
        return 0.0
    if target.required:
        return sum(names <= s for s in sized) / len(sized)
    return sum(not names.isdisjoint(s) for s in sized) / len(sized)


def _exposure(
    ix: TreeIndex, target: Target, k: int, seeds: list[int], focus: FocusWeights
) -> float:
    """``r_T(k)`` (module docstring, step 4): the larger of plain's share from its set per seed
    and the evaluated tasks' share. The first misses what a run adds: a run's later sets are
    each seed's second and third best, and in dense regions those hold common pairs more often
    (in the quickstart's world ``fs_list_files + fs_read_file`` is in 3% of the sets per seed
    and 14% of a 140-task run's 4-sets)."""
    return max(_plain_rate(ix, target, k, seeds), _evaluated_rate(ix, target, k, focus))


def _plain_mean(ix: TreeIndex, k: int) -> float:
    """The mean gain of plain ``steps``'s sets of size k over every seed (seed order: sorted)."""
    sets = [s for s in _plain_sets(ix, k, ix.leaves) if s]
    return sum(set_gain(ix, tuple(s)) for s in sets) / len(sets) if sets else 0.0


def _run_balance(
    ix: TreeIndex,
    exclude: frozenset[frozenset[str]],
    targets: list[Target],
    plain: list[Combination],
) -> dict[int, tuple[float, float]]:
    """``focus_band = "run"`` (module docstring, step 5), per k: the gain the sets this run
    already chose (``exclude``, as ``steps synth`` passes them) add over plain's, and plain's
    gain of them. A set holding no target is plain's own; one holding a target may be a swap,
    and counts its gain minus plain's mean at its k in this run (the sets holding no target,
    and this request's plain answer; plain's mean over every seed if there are none). A
    function of ``exclude`` and the request, so a resumed run agrees: the sums are exact
    (``math.fsum``), whatever order the sets come in."""
    own, held = _run_gains(ix, exclude, targets)
    out = {}
    for k in own.keys() | held.keys() | {c.k for c in plain}:
        ref = own.get(k, []) + [c.gain for c in plain if c.k == k]
        mean = math.fsum(ref) / len(ref) if ref else _plain_mean(ix, k)
        gains = held.get(k, [])
        out[k] = (math.fsum(gains) - mean * len(gains), math.fsum(ref) + mean * len(gains))
    return out


_Gains = dict[int, list[float]]
# ix -> (the targets' labels, the last ``exclude`` seen, its gains per k: holding no target,
# holding one). A run's requests exclude a growing set, so each computes only the gains of the
# sets chosen since the last one (recomputing all of them cost 47 ms a request at 10^4 sets).
_RUN_GAINS: weakref.WeakKeyDictionary[
    TreeIndex, tuple[tuple[str, ...], frozenset[frozenset[str]], _Gains, _Gains]
] = weakref.WeakKeyDictionary()


def _run_gains(
    ix: TreeIndex, exclude: frozenset[frozenset[str]], targets: list[Target]
) -> tuple[_Gains, _Gains]:
    """The gains of ``exclude``'s sets per k: those holding no target, those holding one."""
    labels = tuple(t.label for t in targets)
    cached = _RUN_GAINS.get(ix)
    if cached is not None and cached[0] == labels and cached[1] <= exclude:
        new = exclude - cached[1]
        own = {k: list(v) for k, v in cached[2].items()}
        held = {k: list(v) for k, v in cached[3].items()}
    else:
        new, own, held = exclude, {}, {}
    for names in new:
        if names <= ix.leaf_of.keys():
            leaves = frozenset(ix.leaf_of[x] for x in names)
            side = held if any(t.holds(leaves) for t in targets) else own
            side.setdefault(len(leaves), []).append(set_gain(ix, tuple(sorted(leaves))))
    _RUN_GAINS[ix] = (labels, exclude, own, held)
    return own, held


class FocusSelector:
    """``focus``: see the module docstring."""

    name = "focus"

    def select(self, taxonomy: Taxonomy, request: SelectionRequest) -> list[Combination]:
        focus = focus_weights(request.options)
        if focus is None:
            raise InputError(
                "the focus selector needs an evaluation report: pass --focus REPORT.json"
            )
        options = request.options
        strength = focus_strength(options)
        multiple = _number(options, "focus_multiple", 5.0, 1.0)
        tolerance = _number(options, "focus_gain_tolerance", 0.08, 0.0)
        beam = request.beam

        def plain_beam(ix: TreeIndex, seed: int, k: int) -> Iterator[tuple[int, ...]]:
            for _, leaves in beam_search(ix, seed, k, beam, widening=True):
                yield leaves

        if strength == 0 or focus.empty():
            return _run_seeded(self.name, taxonomy, request, plain_beam)
        # Plain steps without the progress bar: the swaps below are what it counts.
        plain = _run_seeded(self.name, taxonomy, replace(request, progress=None), plain_beam)
        ix = tree_index(taxonomy)
        targets = focus_targets(ix, focus)
        taken = set(request.exclude) | {c.key() for c in plain}
        band: dict[int, float] = {}
        for c in plain:
            band[c.k] = band.get(c.k, 0.0) + tolerance * c.gain
        prior = {k: (0.0, sum(c.gain for c in plain if c.k == k)) for k in band}
        if _band_scope(options) == "run":
            prior = _run_balance(ix, request.exclude - request.outside_run, targets, plain)
        band = {k: tolerance * prior[k][1] for k in band}
        swapper = _Swapper(ix, plain, taken, band, focus_world_check(options, focus))
        swapper.balance = {k: prior[k][0] for k in band}
        share = strength / (1.0 + strength)
        rivals = [e for g in _ties(targets) for e in _explanations(g)]
        # Rival explanations of one failure count once: the failure, not its readings, takes
        # a share of the sets.
        total = sum(e[0].weight for e in rivals)
        ks = [c.k for c in plain]
        seeds = [ix.leaf_of[x] for x in seed_order(taxonomy, request)]
        want: dict[str, int] = {}
        for target in targets:
            m = 1.0 + (multiple - 1.0) * target.weight / targets[0].weight
            least = share * target.weight / total
            fill = {
                k: max(least, min(1.0, m * _exposure(ix, target, k, seeds, focus)))
                for k in set(ks)
                if _candidates(ix, target, k, beam)
            }
            expected = sum(fill.get(k, 0.0) for k in ks)
            # Rounded up with probability equal to the fraction (a fixed draw per request and
            # target), so requests of one or two sets, as steps synth makes, get it on average.
            u = np.random.default_rng([request.seed, len(ks), zlib.crc32(target.label.encode())])
            floor = math.ceil(m * swapper.holding(target) - 1e-9)
            eligible = sum(k in fill for k in ks)
            want[target.label] = min(eligible, max(floor, int(expected + u.random())))
        largest_k = max(ks, default=0)
        for group in _ties(targets):
            for e in _explanations(group):
                joint = _joint(ix, e, largest_k)
                if joint is None:
                    continue
                rivals_of = [u for u in targets if u.weight >= joint.weight and u != joint]
                slots_j = swapper.open_slots(joint, rivals_of)
                pool_j = swapper.pools(joint, beam)
                have_j, want_j = swapper.holding(joint), max(want[t.label] for t in e)
                while have_j < want_j and swapper.swap_one(pool_j, slots_j, joint, beam):
                    have_j += 1
            heavier = {
                t.label: [u for u in targets if u.weight >= t.weight and u != t] for t in group
            }
            slots = {t.label: swapper.open_slots(t, heavier[t.label]) for t in group}
            pools = {t.label: swapper.pools(t, beam) for t in group}
            have = {t.label: swapper.holding(t) for t in group}
            active = [t for t in group if have[t.label] < want[t.label]]
            while active:  # equal weights take turns, the furthest from its want first
                t = min(active, key=lambda t: have[t.label] / want[t.label])
                swapped = swapper.swap_one(pools[t.label], slots[t.label], t, beam)
                have[t.label] += swapped
                if not swapped or have[t.label] >= want[t.label]:
                    active.remove(t)
        out = []
        for i, c in enumerate(plain):
            if swapper.swapped[i]:
                names = tuple(ix.skill[v] for v in swapper.slots[i])
                c = make_combination(
                    taxonomy,
                    names,
                    selector=self.name,
                    seed_skill=swapper.seeds[i],
                    corpus_counts=request.corpus_counts,
                )
            out.append(c)
        if request.progress is not None:
            request.progress.update(len(out))
        return out
