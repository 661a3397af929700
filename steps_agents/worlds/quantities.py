"""Do a plan's numbers mean something? Kinds of quantities through the arithmetic of a plan.

Port types say what a value is (``money``, ``quantity``, ``minutes``, ...), but a generic
operation (``math_divide``, ``stats_median``) returns a plain ``number``: its meaning follows
from its operands. A world that knows how kinds combine offers two hooks:

- ``value_kind(port_type) -> str | None``: the kind of a value of that type (``"number"`` for a
  plain number, ``None`` for a non-number);
- ``operation_kind(tool, operands) -> str``: for the world's operations, the kind of the result
  from each parameter's ``[(kind, value)]`` operands (kind ``"literal"`` for a number the user
  states), raising :class:`ValueError` when the kinds do not combine (a stock divided by a
  duration); :class:`KeyError` for a tool that is no operation.

and optionally ``content_port``, the port type of what is written into a message or a note.
:func:`quantity_defects` walks the plan in order and names, per step:

``units``
    an operation whose operands' kinds do not combine;
``stated``
    an operation on numbers the user states only ("40 divided by 12") whose result a later step
    uses: a figure the user would write down, not a reason to call a tool;
``bare``
    a plain computed number (no kind) written into a message or a note: "the body (the median
    of 3, 5 and 8)" carries no meaning a reader could use.

A world without ``operation_kind`` has no such defects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from steps_agents.worlds.records import REF_KEY, Task
from steps_agents.worlds.spec import ref_type

__all__ = ["QuantityDefect", "quantity_defects"]


@dataclass(frozen=True)
class QuantityDefect:
    category: str  # units | stated | bare
    step: str
    detail: str


def quantity_defects(world: Any, task: Task) -> list[QuantityDefect]:
    """The defects of the module docstring, in step order (empty for a world without hooks)."""
    if not hasattr(world, "operation_kind"):
        return []
    specs = {spec.name: spec for spec in task.tools}
    tool_of = {step.id: step.tool for step in task.oracle}
    computed: dict[str, str] = {}  # operation step id -> kind of its result
    stated_only: set[str] = set()
    content = getattr(world, "content_port", None)
    out: list[QuantityDefect] = []

    def kind_of(ref: str) -> str | None:
        head, _, rest = ref.partition(".")
        if not rest and head in computed:
            return computed[head]
        kind: str | None = world.value_kind(ref_type(ref, specs, tool_of))
        return kind

    for step in task.oracle:
        spec = specs[step.tool]
        for param, value in step.args.items():
            for item in value if isinstance(value, list) else [value]:
                if not (isinstance(item, Mapping) and set(item) == {REF_KEY}):
                    continue
                ref = str(item[REF_KEY])
                if ref.split(".")[0] in stated_only:
                    out.append(
                        QuantityDefect("stated", step.id, f"{ref} is arithmetic on stated numbers")
                    )
                if content and spec.ports.get(param) == content and kind_of(ref) == "number":
                    out.append(
                        QuantityDefect("bare", step.id, f"{param} gets a plain number ({ref})")
                    )
        operands: dict[str, list[tuple[str, Any]]] = {}
        for param, value in step.args.items():
            items = value if isinstance(value, list) else [value]
            pairs = []
            for item in items:
                if isinstance(item, Mapping) and set(item) == {REF_KEY}:
                    pairs.append((kind_of(str(item[REF_KEY])) or "number", None))
                else:
                    pairs.append(("literal", item))
            operands[param] = pairs
        try:
            computed[step.id] = world.operation_kind(step.tool, operands)
        except KeyError:
            continue  # not an operation
        except ValueError as exc:
            computed[step.id] = "number"
            out.append(QuantityDefect("units", step.id, str(exc)))
            continue
        if all(kind == "literal" for pairs in operands.values() for kind, _ in pairs):
            stated_only.add(step.id)
    return out
