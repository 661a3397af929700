"""The ``toolworld`` skill world: the tools of every domain module over one seeded state."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from steps_agents.plugins.toolworld_impl import (
    calendar,
    commerce,
    files,
    inbox,
    mathstats,
    tables,
    text,
    units,
)
from steps_agents.plugins.toolworld_impl.base import NoValue, Tool
from steps_agents.plugins.toolworld_impl.meaning import (
    CONTENT,
    INTENTS,
    MEANING,
    OPERATIONS,
    PLAIN,
    TYPE_PARENTS,
    operation_kind,
    type_word,
    value_kind,
    with_meaning,
)
from steps_agents.plugins.toolworld_impl.state import new_state

from steps_agents.worlds import Task, ToolError, ToolSpec, TypeRules, validate_args
from steps_agents.worlds.compose import ComposeOptions, NoSample, compose_task

ALL_TOOLS: tuple[Tool, ...] = tuple(
    with_meaning(t)
    for module in (files, calendar, mathstats, text, tables, units, inbox, commerce)
    for t in module.TOOLS
)


class ToolWorld:
    """An office in memory: files, calendar and dates, math and stats, text, tables, units and
    currency, an inbox, contacts, orders and inventory. See the package docstring."""

    name = "toolworld"
    version = "1.0"
    type_rules = TypeRules(TYPE_PARENTS)

    def __init__(self, compose_options: ComposeOptions | None = None, corpus: Any = None) -> None:
        # The bundled trajectory corpus (a path, given by the plugin module so this code needs
        # no file-system import): what `steps quickstart` builds its taxonomy from.
        self.corpus = corpus
        self._tools: dict[str, Tool] = {t.name: t for t in ALL_TOOLS}
        if len(self._tools) != len(ALL_TOOLS):
            raise ValueError("toolworld: two tools share a name")
        self._specs: dict[str, ToolSpec] = {t.name: t.spec() for t in ALL_TOOLS}
        self._params = {t.name: {p.name: p for p in t.params} for t in ALL_TOOLS}
        self.compose_options = compose_options or ComposeOptions()

    # -- SkillWorld ---------------------------------------------------------------------------
    def tool_specs(self) -> Sequence[ToolSpec]:
        return list(self._specs.values())

    def new_state(self, seed: int) -> dict[str, Any]:
        return new_state(seed)

    def execute(self, state: dict[str, Any], tool: str, args: Mapping[str, Any]) -> Any:
        impl = self._tools.get(tool)
        if impl is None:
            raise ToolError(f"unknown tool {tool!r}")
        validate_args(self._specs[tool], args)
        return impl.fn(state, args)

    def compose(self, skills: Sequence[str], seed: int) -> Task | None:
        return compose_task(self, skills, seed, options=self.compose_options)

    # -- ComposableWorld ------------------------------------------------------------------------
    def sample_arg(
        self,
        tool: str,
        param: str,
        state: Mapping[str, Any],
        rng: random.Random,
        args: Mapping[str, Any],
    ) -> Any:
        try:
            return self._params[tool][param].sample(state, rng, args)
        except (NoValue, KeyError, ToolError) as exc:
            raise NoSample(str(exc)) from None

    def phrase(self, tool: str) -> str:
        return self._tools[tool].phrase

    def answer_rule(self, tool: str) -> str | None:
        return self._tools[tool].rule

    def noun(self, tool: str) -> str:
        """The tool's result as a user names it, with ``{param}`` placeholders (meaning.py)."""
        return self._tools[tool].noun

    def plain(self, tool: str) -> frozenset[str]:
        """Parameters whose literal values the tool's noun and verb write unquoted."""
        impl = self._tools[tool]
        typed = {p.name for p in impl.params if p.port in PLAIN}
        return frozenset(typed | set(MEANING[tool].get("plain", ())))

    def item_noun(self, tool: str) -> str:
        """One element of the tool's list result, ``{nth}`` for its ordinal ("" if none)."""
        return self._tools[tool].item

    def verb(self, tool: str) -> str:
        """The state change as a user asks for it; the recipe phrase for tools that only read."""
        impl = self._tools[tool]
        return impl.verb or impl.phrase

    # Answers a user of this world asks for, by meaning (the composer prefers them), and the
    # types that are by-products of a state change (never an answer, never fed on).
    intents: tuple[tuple[str, str], ...] = INTENTS
    byproducts: frozenset[str] = frozenset({"tally"})
    # Port types that name a record ("the file {path}" fed by a result reads as that result).
    record_names: frozenset[str] = frozenset(
        {"path", "event_id", "email_id", "order_id", "table_name", "message_id"}
    )

    def implied(self, tool: str) -> bool:
        """Does asking about this tool's result imply its state change (opening an email)?"""
        return bool(MEANING[tool].get("implied", False))

    def type_word(self, port_type: str | None) -> str | None:
        """What a second mention of a value of this type reads as: "that {word}"."""
        return type_word(port_type)

    # Kinds of quantities (steps_agents.worlds.quantities): which arithmetic means something.
    content_port: str = CONTENT

    def value_kind(self, port_type: str | None) -> str | None:
        return value_kind(port_type)

    def operation_kind(self, tool: str, operands: dict[str, list[tuple[str, Any]]]) -> str:
        """The kind of an operation's result; ``KeyError`` for a tool that is no operation,
        ``ValueError`` (``Meaningless``) when the operands' kinds do not combine."""
        if tool not in OPERATIONS:
            raise KeyError(tool)
        return operation_kind(tool, operands)

    def collections(self, state: Mapping[str, Any]) -> dict[str, list[str]]:
        """The named records of each domain in a state (what a task's distractors are)."""
        return {
            "files": list(state.get("fs", {})),
            "calendar": list(state.get("calendar", {}).get("events", {})),
            "inbox": list(state.get("inbox", {}).get("emails", {})),
            "contacts": list(state.get("contacts", {})),
            "orders": list(state.get("orders", {}).get("orders", {})),
            "inventory": list(state.get("inventory", {})),
            "tables": list(state.get("tables", {})),
        }

    # -- extras ---------------------------------------------------------------------------------
    def domains(self) -> dict[str, list[str]]:
        """Tool names by domain, in declaration order."""
        out: dict[str, list[str]] = {}
        for t in ALL_TOOLS:
            out.setdefault(t.domain, []).append(t.name)
        return out
