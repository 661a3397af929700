"""The items of one tree level being built, and the edges between items that share a parent.

The merge engine (:mod:`steps_agents.taxonomy.merge_heap`) and the node moves
(:mod:`steps_agents.taxonomy.refine`) group *items* (skills, community nodes, or blocks of
them moved as one unit) that hang from a common parent into new tree nodes inserted between
the items and that parent. What they need to know about the items travels in one
:class:`LevelGraph`. With ``V = vol(G)`` (STEPS spec, section 2) the level's contribution to
``V * H^T`` is, up to constants, ``sum_G f(G)`` over the new groups G with

    f(G) = g_G log P_G + (S_G - g_G) log V_G,    V_G = sum V_x,  S_G = sum S_x,
    g_G = sum g_x - 2 w(G, G)

(sums over the items x in G), which is why each item carries exactly ``V_x``, ``g_x``,
``P_x`` and ``S_x``, and each same-parent pair its weight ``w_xy``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LevelGraph"]


@dataclass(frozen=True)
class LevelGraph:
    """Items ``0..n-1`` under common parents and their same-parent edges (parallel arrays).

    Item arrays have length ``n``; edge arrays list each adjacent pair once, both ends under
    the same parent (``u != v``; pairs across parents are never merged, so they are left out).
    """

    volume: np.ndarray
    """``V_x = vol(x)``: the summed weighted degree ``d_v`` of the skills under item x."""

    cut: np.ndarray
    """``g_x``: the weight of the edges with exactly one end under x (its cut in the whole
    graph). For a skill this is its degree."""

    parent_volume: np.ndarray
    """``P_x = vol(p)`` of x's parent p, ``vol(G)`` when the parent is the root. Items that
    share a parent share this value."""

    u: np.ndarray
    """First item of each same-parent edge (int)."""

    v: np.ndarray
    """Second item of each same-parent edge (int)."""

    w: np.ndarray
    """``w_uv``: the summed weight of the graph edges between the skills under u and under v."""

    member_cuts: np.ndarray | None = None
    """``S_x``: the summed cuts of the tree nodes item x stands for, when x is a block of nodes
    moved or merged as one unit (a grouping collapsed into items). ``None``: every item is one
    tree node, so ``S_x = g_x``."""

    @property
    def n(self) -> int:
        """The number of items."""
        return int(self.volume.shape[0])

    @property
    def cut_sum(self) -> np.ndarray:
        """``S_x`` for every item: :attr:`member_cuts`, or :attr:`cut` when that is ``None``."""
        return self.cut if self.member_cuts is None else self.member_cuts
