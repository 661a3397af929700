"""Run counters as nested dicts of ints, merged by addition (the graph's ``stats`` reducer).

Branches of a fan-out each return a small delta (``outcome_stats``); LangGraph folds the deltas
into the channel with :func:`merge_stats`, so no branch ever reads-modifies-writes a counter.
Shape: ``{"accepted", "rejected", "skipped", "uncomposable", "revisions": int,
"by_k": {"3": {"accepted": int, "rejected": int}}, "reasons": {tag: int}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_stats(left: Mapping[str, Any] | None, right: Mapping[str, Any] | None) -> dict[str, Any]:
    """Element-wise sum of two nested counter dicts (new dict; inputs untouched)."""
    out: dict[str, Any] = dict(left or {})
    for key, value in (right or {}).items():
        if isinstance(value, Mapping):
            out[key] = merge_stats(out.get(key) or {}, value)
        else:
            out[key] = out.get(key, 0) + value
    return out


def outcome_stats(status: str, k: int, reason_tag: str = "", revisions: int = 0) -> dict[str, Any]:
    """The delta one decided item adds: its status, per k, its rejection tag, its revisions."""
    delta: dict[str, Any] = {status: 1, "revisions": revisions}
    if status in ("accepted", "rejected"):
        delta["by_k"] = {str(k): {status: 1}}
    if status == "rejected" and reason_tag:
        delta["reasons"] = {reason_tag: 1}
    return delta
