"""The taxonomy artifact: an encoding tree over skills, saved as ``steps-agents/taxonomy@1`` JSON.

File format (``docs/formats.md`` has the full description)::

    {"schema": "steps-agents/taxonomy@1",
     "structural_entropy": H^T in bits, "one_dim_entropy": H1 in bits, "theta": 1 - H^T/H1,
     "height": community levels between root and leaves, "volume": vol(G),
     "params": {...build parameters...}, "input": {"fingerprint": ..., "source": ..., ...},
     "versions": {"steps-agents": ...},
     "nodes": [{"id", "parent", "volume", "cut", "label"?, "skill"?, "count"?}, ...]}

Nodes are listed root first (id 0) in breadth-first order. Every skill has its own leaf.
The per-node term of Li & Pan's structural entropy is recomputed from ``volume`` and ``cut``:
``term(a) = -(cut_a / vol(G)) * log2(vol_a / vol_parent(a))``.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from steps_agents.errors import InputError, OutputError
from steps_agents.fileformats import parse_json

SCHEMA = "steps-agents/taxonomy@1"


@dataclass(frozen=True)
class TaxonomyNode:
    id: int
    parent: int | None
    volume: float
    cut: float
    skill: str | None = None
    count: int | None = None
    label: str | None = None


def node_term(cut: float, volume: float, parent_volume: float, total_volume: float) -> float:
    """``-(g_a / vol(G)) * log2(vol(a) / vol(parent))``; zero-volume nodes contribute nothing."""
    if cut <= 0.0 or volume <= 0.0 or parent_volume <= 0.0 or total_volume <= 0.0:
        return 0.0
    return -(cut / total_volume) * math.log2(volume / parent_volume)


class Taxonomy:
    """An encoding tree with the queries later stages need.

    Node ids are positions in :attr:`nodes`; the root is 0. Skills are addressed by name.
    """

    def __init__(self, nodes: Sequence[TaxonomyNode], meta: dict[str, Any] | None = None) -> None:
        self.nodes: list[TaxonomyNode] = list(nodes)
        self.meta: dict[str, Any] = dict(meta or {})
        n = len(self.nodes)
        if n == 0 or self.nodes[0].parent is not None:
            raise InputError("taxonomy must list its root (parent null) first")
        self.parent = np.full(n, -1, dtype=np.int64)
        self.children: list[list[int]] = [[] for _ in range(n)]
        for node in self.nodes[1:]:
            if node.parent is None or not 0 <= node.parent < n or node.parent == node.id:
                raise InputError(f"node {node.id} has an invalid parent {node.parent!r}")
            self.parent[node.id] = node.parent
            self.children[node.parent].append(node.id)
        self.depth = np.zeros(n, dtype=np.int64)
        order = self._bfs_order()
        if len(order) != n:
            raise InputError("taxonomy nodes do not form one tree rooted at node 0")
        for v in order[1:]:
            self.depth[v] = self.depth[self.parent[v]] + 1
        self.total_volume = float(self.nodes[0].volume)
        if not self.total_volume > 0 and any(node.cut > 0 for node in self.nodes):
            # The authors' released tree code left the root volume at 0, which silently zeroes
            # every term (STEPS spec, section 3); refuse such a tree rather than score it 0.
            raise InputError(
                f"root volume is {self.total_volume} but some node has a positive cut; "
                "the root's volume must be vol(G)"
            )
        self.term = np.zeros(n, dtype=np.float64)
        for node in self.nodes[1:]:
            parent_volume = self.nodes[node.parent].volume  # type: ignore[index]
            self.term[node.id] = node_term(node.cut, node.volume, parent_volume, self.total_volume)
        self.leaf_of: dict[str, int] = {}
        for node in self.nodes:
            if node.skill is not None:
                if self.children[node.id]:
                    raise InputError(f"node {node.id} names skill {node.skill!r} but has children")
                if node.skill in self.leaf_of:
                    raise InputError(f"skill {node.skill!r} has more than one leaf")
                self.leaf_of[node.skill] = node.id
        self.skills: list[str] = list(self.leaf_of)
        # Path entropy: sum of terms from a node up to (not including) the root.
        self.path_term = np.zeros(n, dtype=np.float64)
        for v in order[1:]:
            self.path_term[v] = self.path_term[self.parent[v]] + self.term[v]

    def _bfs_order(self) -> list[int]:
        order, i = [0], 0
        while i < len(order):
            order.extend(self.children[order[i]])
            i += 1
        return order

    # -- whole-tree figures -------------------------------------------------------------------

    @property
    def structural_entropy(self) -> float:
        """``H^T(G)``: the sum of every non-root node's term, leaves included."""
        return float(self.term.sum())

    @property
    def one_dim_entropy(self) -> float:
        return float(self.meta.get("one_dim_entropy", float("nan")))

    @property
    def height(self) -> int:
        """The depth of the deepest leaf (community levels + 1)."""
        return int(self.depth.max())

    def skill_count(self, skill: str) -> int | None:
        return self.nodes[self.leaf(skill)].count

    # -- per-skill queries ---------------------------------------------------------------------

    def leaf(self, skill: str) -> int:
        try:
            return self.leaf_of[skill]
        except KeyError:
            raise InputError(f"skill {skill!r} is not in the taxonomy") from None

    def ancestors(self, skill_or_node: str | int, *, include_self: bool = False) -> list[int]:
        """Node ids from the leaf's parent (or the node itself) up to the root, root last."""
        v = self.leaf(skill_or_node) if isinstance(skill_or_node, str) else int(skill_or_node)
        out = [v] if include_self else []
        while self.parent[v] >= 0:
            v = int(self.parent[v])
            out.append(v)
        return out

    def path(self, skill: str) -> list[int]:
        """Root-to-leaf node ids of ``skill`` (root first, leaf last)."""
        return list(reversed(self.ancestors(skill, include_self=True)))

    def path_entropy(self, skill: str) -> float:
        """The sum of ``term(a)`` over the nodes from ``skill``'s leaf up to, not including, the root."""
        return float(self.path_term[self.leaf(skill)])

    def ancestor_at_depth(self, skill: str, depth: int) -> int:
        """The node on ``skill``'s path at ``depth`` (0 = root); clipped to the leaf."""
        p = self.path(skill)
        return p[max(0, min(depth, len(p) - 1))]

    def siblings(self, skill: str) -> list[str]:
        """Other skills whose leaves share ``skill``'s parent."""
        leaf = self.leaf(skill)
        parent = int(self.parent[leaf])
        return [
            s for c in self.children[parent] if c != leaf and (s := self.nodes[c].skill) is not None
        ]

    def subtree_skills(self, node: int) -> list[str]:
        """Every skill under ``node`` (depth-first order)."""
        out: list[str] = []
        stack = [node]
        while stack:
            v = stack.pop()
            skill = self.nodes[v].skill
            if skill is not None:
                out.append(skill)
            stack.extend(reversed(self.children[v]))
        return out

    def lca(self, items: Iterable[str | int]) -> int:
        """Lowest common ancestor of skills (by name) and/or nodes (by id)."""
        nodes = [self.leaf(x) if isinstance(x, str) else int(x) for x in items]
        if not nodes:
            raise ValueError("lca of nothing")
        a = nodes[0]
        for b in nodes[1:]:
            a = self._lca2(a, b)
        return a

    def _lca2(self, a: int, b: int) -> int:
        while self.depth[a] > self.depth[b]:
            a = int(self.parent[a])
        while self.depth[b] > self.depth[a]:
            b = int(self.parent[b])
        while a != b:
            a, b = int(self.parent[a]), int(self.parent[b])
        return a

    def tree_distance(self, a: str, b: str) -> int:
        """Number of tree edges between the leaves of ``a`` and ``b``."""
        la, lb = self.leaf(a), self.leaf(b)
        c = self._lca2(la, lb)
        return int(self.depth[la] + self.depth[lb] - 2 * self.depth[c])

    def label(self, node: int) -> str:
        n = self.nodes[node]
        return n.skill or n.label or f"node-{node}"

    # -- files ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schema": SCHEMA,
            "structural_entropy": self.structural_entropy,
            "one_dim_entropy": self.meta.get("one_dim_entropy"),
            "theta": self.meta.get("theta"),
            "height": self.meta.get("height", self.height - 1),
            "volume": self.total_volume,
        }
        for key in ("params", "input", "versions", "stats"):
            if key in self.meta:
                body[key] = self.meta[key]
        nodes = []
        for n in self.nodes:
            row: dict[str, Any] = {"id": n.id, "parent": n.parent, "volume": n.volume, "cut": n.cut}
            if n.skill is not None:
                row["skill"] = n.skill
                row["count"] = n.count
            if n.label is not None:
                row["label"] = n.label
            nodes.append(row)
        body["nodes"] = nodes
        return body

    def save(self, path: str | Path) -> None:
        """Write atomically (temp file then rename) so an interrupted save leaves the old file."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:  # name the user's path, not the temporary one
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise OutputError(path, exc) from exc

    @classmethod
    def from_dict(cls, data: Any, *, location: str = "taxonomy") -> Taxonomy:
        if not isinstance(data, dict):
            raise InputError("expected a JSON object", location=location)
        schema = data.get("schema")
        if schema != SCHEMA:
            raise InputError(
                f"schema is {schema!r}, expected {SCHEMA!r}; rebuild it with `steps taxonomy build`",
                location=location,
            )
        raw_nodes = data.get("nodes")
        if not isinstance(raw_nodes, list) or not raw_nodes:
            raise InputError("field 'nodes' must be a non-empty list", location=location)
        nodes = [_node(i, row, location) for i, row in enumerate(raw_nodes)]
        height = data.get("height")
        if height is not None and (not _is_int(height) or height < 0):
            raise InputError(
                f"'height' must be a non-negative integer, got {height!r}", location=location
            )
        meta = {k: v for k, v in data.items() if k not in {"schema", "nodes"}}
        try:
            taxonomy = cls(nodes, meta)
        except InputError as exc:
            raise InputError(exc.detail, location=location) from None
        _check_root_volume(nodes, location)
        return taxonomy


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(row: dict[str, Any], key: str, where: str) -> float:
    """A finite, non-negative JSON number (never a string or a bool), as the writer produces."""
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}.{key} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{where}.{key} must be finite and >= 0, got {value!r}")
    return float(value)


def _node(i: int, row: Any, location: str) -> TaxonomyNode:
    """``nodes[i]`` checked field by field against what :meth:`Taxonomy.to_dict` writes: an
    integer ``id`` equal to ``i``, an integer ``parent`` (``null`` only for the root), finite
    non-negative ``volume`` and ``cut``, strings for ``skill`` and ``label``, a non-negative
    integer ``count``. Anything else is one :class:`InputError` naming the node and field."""
    where = f"nodes[{i}]"
    try:
        if not isinstance(row, dict):
            raise InputError(f"{where} must be an object, got {type(row).__name__}")
        for key in ("id", "parent", "volume", "cut"):
            if key not in row:
                raise InputError(f"{where} is malformed: lacks field {key!r}")
        if not _is_int(row["id"]) or row["id"] != i:
            raise InputError(f"{where}.id is {row['id']!r}, expected {i}")
        parent = row["parent"]
        if parent is not None and not _is_int(parent):
            raise InputError(f"{where}.parent must be an integer node id, got {parent!r}")
        skill, label, count = row.get("skill"), row.get("label"), row.get("count")
        for key, value in (("skill", skill), ("label", label)):
            if value is not None and not isinstance(value, str):
                raise InputError(f"{where}.{key} must be a string, got {value!r}")
        if count is not None and (not _is_int(count) or count < 0):
            raise InputError(f"{where}.count must be a non-negative integer, got {count!r}")
        return TaxonomyNode(
            id=i,
            parent=parent,
            volume=_number(row, "volume", where),
            cut=_number(row, "cut", where),
            skill=skill,
            count=count,
            label=label,
        )
    except InputError as exc:
        raise InputError(exc.detail, location=location) from None


def _check_root_volume(nodes: list[TaxonomyNode], location: str) -> None:
    """The root's volume must be vol(G), the sum of the leaves' volumes (every vertex is one
    leaf), to a relative 1e-6: a root volume the writer would not produce changes every term."""
    has_child = {n.parent for n in nodes if n.parent is not None}
    leaves = math.fsum(n.volume for n in nodes if n.id not in has_child)
    root = nodes[0].volume
    if len(nodes) > 1 and not math.isclose(root, leaves, rel_tol=1e-6, abs_tol=1e-9):
        raise InputError(
            f"root volume is {root} but the leaves' volumes sum to {leaves}; the root's volume"
            " must be vol(G)",
            location=location,
        )


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read a taxonomy file; any problem is an :class:`InputError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such taxonomy file", location=path) from None
    except OSError as exc:
        raise InputError(f"cannot read taxonomy ({exc.strerror})", location=path) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1  # only on this error path
        raise InputError(f"not valid UTF-8 at line {line}", location=path) from None
    try:
        data = parse_json(text, location=path)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno}: {exc.msg}", location=path) from None
    return Taxonomy.from_dict(data, location=str(path))
