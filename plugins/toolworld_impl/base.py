"""How a toolworld tool is declared: parameters with ports and samplers, a pure function, a phrase.

A tool is a plain function ``fn(state, args) -> result`` over the in-memory state dict, plus
metadata. Each parameter carries:

- a JSON schema (what the agent sees), and a *port type* when a previous result may feed it;
- a *sampler* ``(state, rng, args_so_far) -> value`` the composer uses to pick a realistic
  literal from the current state (an existing path, a word that occurs in a file, ...), raising
  :class:`NoValue` when the state offers nothing suitable.

``phrase`` is the instruction template: ``{param}`` placeholders are filled with the literal
value (quoted) or with a description of the step result that feeds it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from steps_agents.worlds import ToolError, ToolSpec
from steps_agents.worlds.instructions import written_text

__all__ = [
    "NoValue",
    "Param",
    "Sampler",
    "Tool",
    "num",
    "pick",
    "registrar",
    "round_num",
]


class NoValue(Exception):
    """A sampler found no suitable literal in this state (the composer tries something else)."""


Sampler = Callable[[Mapping[str, Any], random.Random, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    sample: Sampler
    port: str | None = None
    description: str = ""

    def json_schema(self) -> dict[str, Any]:
        out = dict(self.schema)
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class Tool:
    name: str
    domain: str
    description: str
    params: tuple[Param, ...]
    returns: str
    fn: Callable[[dict[str, Any], Mapping[str, Any]], Any]
    phrase: str
    fields: dict[str, str] = field(default_factory=dict)
    mutates: bool = False
    rule: str | None = None  # answer comparison when this tool's result is the answer
    noun: str = ""  # the result as a user names it, "the weekday of {date}" (meaning.py)
    verb: str = ""  # the state change as a user asks for it (tools that mutate)
    item: str = ""  # one element of a list result, "the {nth} file under {directory}"

    def spec(self) -> ToolSpec:
        return ToolSpec(
            name=self.name,
            domain=self.domain,
            description=self.description,
            parameters={
                "type": "object",
                "properties": {p.name: p.json_schema() for p in self.params},
                "required": [p.name for p in self.params],
                "additionalProperties": False,
            },
            ports={p.name: p.port for p in self.params if p.port},
            returns=self.returns,
            fields=dict(self.fields),
            mutates=self.mutates,
        )


def registrar(
    tools: list[Tool], domain: str
) -> Callable[..., Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """A decorator factory that appends each decorated function to ``tools`` as a :class:`Tool`."""

    def tool(
        name: str,
        description: str,
        *,
        params: Sequence[Param] = (),
        returns: str,
        phrase: str,
        fields: Mapping[str, str] | None = None,
        mutates: bool = False,
        rule: str | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
            tools.append(
                Tool(
                    name=name,
                    domain=domain,
                    description=description,
                    params=tuple(params),
                    returns=returns,
                    fn=fn,
                    phrase=phrase,
                    fields=dict(fields or {}),
                    mutates=mutates,
                    rule=rule,
                )
            )
            return fn

        return wrap

    return tool


def pick(options: Sequence[Any], rng: random.Random) -> Any:
    if not options:
        raise NoValue("nothing to choose from")
    return options[rng.randrange(len(options))]


def round_num(value: float, digits: int = 4) -> float | int:
    """Results are rounded so answers are short and stable; whole numbers come back as ints."""
    value = round(float(value), digits)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ToolError(f"{what} must be a number")
    return float(value)


ANY_JSON = {"type": ["string", "number", "boolean", "array", "object"]}


def as_text(value: Any) -> str:
    """How a stored or sent value is written: text as is, numbers plainly, the rest as JSON
    (the worlds' convention, which agentic samples show as the tool call's argument)."""
    return written_text(value)


def need(mapping: Mapping[str, Any], key: str, what: str) -> Any:
    """``mapping[key]`` or a :class:`ToolError` naming what was not found."""
    if key not in mapping:
        raise ToolError(f"{what} {key!r} not found")
    return mapping[key]
