"""Task records: an executable k-skill task with its oracle plan and its checker.

A task is JSON all the way down, so it is written to and read from JSONL as is
(:mod:`steps_agents.worlds.taskio`). Example (abridged)::

    {"id": "tw-3f2a...", "k": 2, "skills": ["fs_read_file", "text_word_count"],
     "world": "toolworld", "world_version": "1.0", "seed": 7,
     "initial_state": {...}, "instruction": "...",
     "tools": [{"name": "fs_read_file", "domain": "files", ...}, ...],
     "oracle": [{"id": "s1", "tool": "fs_read_file", "args": {"path": "/notes/todo.txt"}},
                {"id": "s2", "tool": "text_word_count", "args": {"text": {"$ref": "s1"}}}],
     "checker": {"answer": [{"key": "s2", "step": "s2", "value": 17, "rule": "numeric"}],
                 "state": []},
     "provenance": {...}}

References: an argument value ``{"$ref": "s1"}`` is the result of step ``s1``;
``{"$ref": "s1.total"}`` a field of it, ``{"$ref": "s1.0.sku"}`` a field of its first element.
References may sit anywhere inside an argument (``{"values": [{"$ref": "s1"}, 3]}``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from steps_agents.worlds.spec import ToolError, ToolSpec

__all__ = [
    "AnswerPart",
    "CheckOutcome",
    "Checker",
    "OracleStep",
    "Rule",
    "StateCheck",
    "Task",
    "TraceEntry",
    "iter_refs",
    "resolve_path",
    "resolve_refs",
]

Rule = Literal["exact", "numeric", "set"]
"""How a value is compared: ``exact`` (normalised equality: strings trimmed and case-folded,
numbers by value), ``numeric`` (``|a - e| <= tolerance * max(1, |e|)``), ``set`` (same
elements, any order, each normalised as for ``exact``)."""

REF_KEY = "$ref"


def _split(ref: str) -> tuple[str, list[str | int]]:
    head, *rest = ref.split(".")
    return head, [int(p) if p.lstrip("-").isdigit() else p for p in rest]


def resolve_path(value: Any, path: list[str | int], *, what: str = "value") -> Any:
    """Walk ``path`` (field names and list indices) into ``value``; raise :class:`ToolError`."""
    current = value
    for part in path:
        if isinstance(part, int) and isinstance(current, list):
            if not -len(current) <= part < len(current):
                raise ToolError(f"{what}: index {part} out of range (length {len(current)})")
            current = current[part]
        elif isinstance(current, Mapping) and str(part) in current:
            current = current[str(part)]
        else:
            raise ToolError(f"{what}: no field {part!r}")
    return current


def resolve_refs(value: Any, results: Mapping[str, Any]) -> Any:
    """Replace every ``{"$ref": "step[.path]"}`` inside ``value`` by the referenced result."""
    if isinstance(value, Mapping):
        if set(value) == {REF_KEY} and isinstance(value[REF_KEY], str):
            head, path = _split(value[REF_KEY])
            if head not in results:
                raise ToolError(f"reference {value[REF_KEY]!r} names no earlier step")
            return resolve_path(results[head], path, what=f"reference {value[REF_KEY]!r}")
        return {k: resolve_refs(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v, results) for v in value]
    return value


def iter_refs(value: Any) -> Iterator[str]:
    """Every reference string inside ``value``, in document order."""
    if isinstance(value, Mapping):
        if set(value) == {REF_KEY} and isinstance(value[REF_KEY], str):
            yield value[REF_KEY]
            return
        for v in value.values():
            yield from iter_refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from iter_refs(v)


class OracleStep(BaseModel):
    """One call of the oracle plan. ``result`` is what the oracle got when the task was built
    (kept for failure attribution; the checker never reads it)."""

    model_config = ConfigDict(frozen=True)

    id: str
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: Any = None

    def refs(self) -> list[str]:
        """Step ids this step reads from."""
        return [_split(r)[0] for r in iter_refs(self.args)]


class AnswerPart(BaseModel):
    """One value the agent's answer must contain: under ``key`` when the answer has several
    parts. ``step`` (and ``path``) say which oracle result it is."""

    model_config = ConfigDict(frozen=True)

    key: str
    value: Any
    rule: Rule = "exact"
    tolerance: float = 1e-6
    step: str | None = None
    path: list[str | int] = Field(default_factory=list)
    description: str = ""


class StateCheck(BaseModel):
    """The final world state at ``path`` must equal ``expected`` under ``rule``; with
    ``absent=True`` the path must not exist (something was deleted)."""

    model_config = ConfigDict(frozen=True)

    path: list[str | int]
    expected: Any = None
    absent: bool = False
    rule: Rule = "exact"
    tolerance: float = 1e-6
    description: str = ""


class Checker(BaseModel):
    """What a correct run produces: answer parts and/or final-state facts (both must hold)."""

    model_config = ConfigDict(frozen=True)

    answer: list[AnswerPart] = Field(default_factory=list)
    state: list[StateCheck] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Checker:
        if not self.answer and not self.state:
            raise ValueError("a checker needs at least one answer part or state check")
        keys = [p.key for p in self.answer]
        if len(set(keys)) != len(keys):
            raise ValueError(f"answer keys must be unique, got {keys}")
        return self


class Task(BaseModel):
    """An executable k-skill task. ``tools`` are the schemas the agent gets (the k skills and
    nothing else); ``oracle`` is a plan that uses exactly those skills; ``checker`` says what a
    correct run produces. ``provenance`` records the combination, selector, gain, seed, model
    and versions that made it."""

    model_config = ConfigDict(frozen=True)

    id: str
    k: int = Field(ge=1)
    skills: list[str]
    world: str
    world_version: str = ""
    seed: int = 0
    initial_state: dict[str, Any] = Field(default_factory=dict)
    instruction: str
    tools: list[ToolSpec]
    oracle: list[OracleStep]
    checker: Checker
    provenance: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Task:
        if self.k != len(self.skills) or len(set(self.skills)) != len(self.skills):
            raise ValueError(f"k={self.k} but skills has {len(set(self.skills))} distinct names")
        tool_names = {t.name for t in self.tools}
        missing = [s for s in self.skills if s not in tool_names]
        if missing:
            raise ValueError(f"skill {missing[0]!r} has no tool schema in 'tools'")
        seen: set[str] = set()
        for step in self.oracle:
            if step.tool not in tool_names:
                raise ValueError(
                    f"oracle step {step.id!r} calls {step.tool!r}, not among the tools"
                )
            if step.id in seen:
                raise ValueError(f"oracle step id {step.id!r} is used twice")
            for ref in step.refs():
                if ref not in seen:
                    raise ValueError(f"oracle step {step.id!r} refers to {ref!r}, no earlier step")
            seen.add(step.id)
        for part in self.checker.answer:
            if part.step is not None and part.step not in seen:
                raise ValueError(f"answer part {part.key!r} names unknown step {part.step!r}")
        return self

    def tool_names(self) -> list[str]:
        return [t.name for t in self.tools]

    def openai_tools(self) -> list[dict[str, Any]]:
        """The task's tools in the OpenAI function-tool shape (for ``bind_tools``)."""
        return [t.to_openai() for t in self.tools]


class TraceEntry(BaseModel):
    """One tool call as executed: resolved ``args``, and ``result`` or ``error``."""

    model_config = ConfigDict(frozen=True)

    index: int
    tool: str
    args: Any
    result: Any = None
    error: str | None = None
    step: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class CheckOutcome(BaseModel):
    """The checker's decision. ``reason`` is one line (``"ok"`` when passed); ``details`` has
    one entry per answer part / state check: ``{"what", "passed", "expected", "got"}``."""

    model_config = ConfigDict(frozen=True)

    passed: bool
    reason: str
    details: list[dict[str, Any]] = Field(default_factory=list)
