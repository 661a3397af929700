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
from steps_agents.plugins.toolworld_impl.base import TYPE_PARENTS, NoValue, Tool
from steps_agents.plugins.toolworld_impl.state import new_state

from steps_agents.worlds import Task, ToolError, ToolSpec, TypeRules, validate_args
from steps_agents.worlds.compose import ComposeOptions, NoSample, compose_task

ALL_TOOLS: tuple[Tool, ...] = tuple(
    t
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

    # -- extras ---------------------------------------------------------------------------------
    def domains(self) -> dict[str, list[str]]:
        """Tool names by domain, in declaration order."""
        out: dict[str, list[str]] = {}
        for t in ALL_TOOLS:
            out.setdefault(t.domain, []).append(t.name)
        return out
