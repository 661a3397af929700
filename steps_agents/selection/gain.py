"""Structural information of skill sets over an encoding tree (STEPS spec, section 4).

``A(S)`` is the set of tree nodes on the leaf-to-root paths of the skills in ``S``. With
``term(a) = -(g_a / vol(G)) log2(vol(a) / vol(parent(a)))`` (Li & Pan 2016):

* ``H(Y | X) = sum of term(a) over a in A(Y) - A(X)``, each node counted once;
* ``gain(v | S) = H({v} | S)``: the terms on ``v``'s path below the node where it joins the paths
  of ``S``, i.e. ``path_term(v) - path_term(join)``;
* ``f(S) = H(S | {})`` (:func:`set_information`): a weighted coverage function, hence monotone and
  submodular whenever every term is non-negative (true for any tree whose child volumes do not
  exceed their parent's).

These functions are the readable definitions; the selectors use the equivalent path-term form.
"""

from __future__ import annotations

from collections.abc import Iterable

from steps_agents.taxonomy.artifact import Taxonomy


def covered_nodes(taxonomy: Taxonomy, skills: Iterable[str]) -> set[int]:
    """``A(S)``: every non-root node on the leaf-to-root path of some skill in ``skills``."""
    out: set[int] = set()
    parent = taxonomy.parent
    for skill in skills:
        v = taxonomy.leaf(skill)
        while v > 0 and v not in out:
            out.add(v)
            v = int(parent[v])
    return out


def conditional_entropy(taxonomy: Taxonomy, Y: Iterable[str], X: Iterable[str] = ()) -> float:
    """``H(Y | X)``: the sum of ``term(a)`` over nodes on ``Y``'s paths but not on ``X``'s."""
    new = covered_nodes(taxonomy, Y) - covered_nodes(taxonomy, X)
    return float(sum(float(taxonomy.term[a]) for a in sorted(new)))


def set_information(taxonomy: Taxonomy, S: Iterable[str]) -> float:
    """``f(S) = H(S | {})``: total structural information of the set, in bits."""
    return conditional_entropy(taxonomy, S, ())


def gain(taxonomy: Taxonomy, v: str, S: Iterable[str]) -> float:
    """``gain(v | S) = H({v} | S)``: the new information ``v`` brings to ``S`` (0 if ``v`` in S)."""
    return conditional_entropy(taxonomy, (v,), S)
