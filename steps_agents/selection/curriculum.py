"""Mixing k and the easy-to-hard curriculum (STEPS spec, section 5), and the ``--k`` flags.

The authors' schedule over 3 epochs gives, per epoch, the share of combinations of each
k = 2..7 (small k first). :func:`curriculum_schedule` returns it; :func:`k_plan` turns a k mix
into the exact k of each of n combinations; :func:`order_by_curriculum` assigns every combination
to one epoch so that each epoch's k mix follows the schedule, using every unique item once before
any repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from steps_agents.errors import InputError

T = TypeVar("T")

DEFAULT_K: tuple[int, ...] = (2, 3, 4, 5, 6, 7)
# Spec section 5: shares of k = 2..7 in epochs 1, 2, 3.
SPEC_SCHEDULE: tuple[tuple[float, ...], ...] = (
    (0.60, 0.20, 0.10, 0.05, 0.03, 0.02),
    (0.35, 0.25, 0.15, 0.10, 0.08, 0.07),
    (0.20, 0.20, 0.20, 0.15, 0.13, 0.12),
)


MAX_EPOCHS = 1000
"""Most curriculum epochs: the schedule is an ``epochs x 6`` table and every combination gets an
epoch, so a mistyped ``--epochs 1000000000`` would allocate gigabytes (docs/reliability.md)."""


def curriculum_schedule(epochs: int = 3) -> list[dict[int, float]]:
    """Per epoch, the share of each k in ``2..7``; each row sums to 1.

    ``epochs=3`` is the spec's table verbatim. Other counts interpolate linearly through its
    three rows placed at positions 0, 1/2 and 1 of the run (epoch ``e`` of ``E`` sits at
    ``e / (E - 1)``); a single epoch gets the mean of the three rows (the overall mix).
    """
    if epochs < 1:
        raise InputError("the curriculum needs at least one epoch", location="--epochs")
    if epochs > MAX_EPOCHS:
        raise InputError(f"at most {MAX_EPOCHS} epochs, got {epochs}", location="--epochs")
    table = np.asarray(SPEC_SCHEDULE)
    if epochs == 1:
        rows = table.mean(axis=0, keepdims=True)
    else:
        pos = np.linspace(0.0, 1.0, epochs)
        rows = np.stack(
            [np.interp(pos, [0.0, 0.5, 1.0], table[:, j]) for j in range(table.shape[1])], axis=1
        )
    rows = rows / rows.sum(axis=1, keepdims=True)
    return [dict(zip(DEFAULT_K, map(float, row), strict=True)) for row in rows]


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Integer counts summing to ``total`` proportional to ``weights`` (largest remainders)."""
    w = np.asarray(weights, dtype=float)
    if total < 0 or w.size == 0 or (w < 0).any() or w.sum() <= 0:
        raise InputError("weights must be non-negative with a positive sum")
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(int)
    # Ties in the remainder go to the earlier (smaller) k: easy before hard.
    order = sorted(range(w.size), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - int(counts.sum())]:
        counts[i] += 1
    return counts.tolist()


def k_plan(
    n: int, ks: Sequence[int], weights: Sequence[float] | None = None, *, seed: int = 0
) -> list[int]:
    """The k of each of ``n`` combinations: exact counts by ``weights`` (uniform by default),
    interleaved in a seeded random order so any prefix has roughly the same mix."""
    if not ks:
        raise InputError("no k values given", location="--k")
    if weights is not None and len(weights) != len(ks):
        raise InputError(f"{len(weights)} weights for {len(ks)} k values", location="--k-weights")
    counts = apportion(n, weights if weights is not None else [1.0] * len(ks))
    plan = [k for k, c in zip(ks, counts, strict=True) for _ in range(c)]
    rng = np.random.default_rng(seed)
    return [plan[i] for i in rng.permutation(len(plan))]


def curriculum_k_weights(epochs: int = 3) -> list[float]:
    """The overall share of k = 2..7 when every epoch has the same size (the schedule's mean)."""
    rows = curriculum_schedule(epochs)
    return [sum(r[k] for r in rows) / len(rows) for k in DEFAULT_K]


def order_by_curriculum(
    items: Sequence[T],
    *,
    epochs: int = 3,
    schedule: Sequence[Mapping[int, float]] | None = None,
    key: Callable[[T], int] = lambda item: int(item.k),  # type: ignore[attr-defined]
) -> list[tuple[int, T]]:
    """Assign each item an epoch (1-based) and return ``(epoch, item)`` sorted easy to hard.

    For each k the items with that k are split across epochs in proportion to
    ``schedule[e][k]`` (largest remainders), in their given order, so every item is used exactly
    once (unique before repeats). Within an epoch, items are ordered by k, then by input order.
    A k the schedule does not mention is spread evenly.
    """
    rows = list(schedule) if schedule is not None else curriculum_schedule(epochs)
    by_k: dict[int, list[int]] = {}
    for i, item in enumerate(items):
        by_k.setdefault(key(item), []).append(i)
    epoch_of: dict[int, int] = {}
    for k, idx in by_k.items():
        weights = [float(r.get(k, 0.0)) for r in rows]
        if sum(weights) <= 0:
            weights = [1.0] * len(rows)
        start = 0
        for e, c in enumerate(apportion(len(idx), weights), start=1):
            for i in idx[start : start + c]:
                epoch_of[i] = e
            start += c
    order = sorted(range(len(items)), key=lambda i: (epoch_of[i], key(items[i]), i))
    return [(epoch_of[i], items[i]) for i in order]


def parse_k(text: str) -> list[int]:
    """``"2-7"`` -> [2..7]; ``"2,3,5"`` -> [2, 3, 5]; ``"4"`` -> [4]. Each k must be >= 1."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError(part)
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise InputError(
            f"cannot read {text!r}; use a range like 2-7 or a list like 2,3,5", location="--k"
        ) from None
    if not out or min(out) < 1:
        raise InputError(f"k values must be positive integers, got {text!r}", location="--k")
    if len(set(out)) != len(out):
        raise InputError(f"k values repeat in {text!r}", location="--k")
    return out


def parse_k_weights(text: str, ks: Sequence[int]) -> list[float]:
    """Comma-separated non-negative weights, one per k (they need not sum to 1)."""
    try:
        weights = [float(x) for x in text.split(",")]
    except ValueError:
        raise InputError(
            f"cannot read {text!r}; give numbers like 0.4,0.3,0.3", location="--k-weights"
        ) from None
    if len(weights) != len(ks):
        raise InputError(
            f"{len(weights)} weights for {len(ks)} k values ({list(ks)})", location="--k-weights"
        )
    if any(w < 0 or w != w for w in weights) or sum(weights) <= 0:
        raise InputError("weights must be non-negative with a positive sum", location="--k-weights")
    return weights
