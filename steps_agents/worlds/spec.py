"""Tool specifications, typed ports and argument validation for skill worlds.

A *skill* of an executable world is a tool. Its :class:`ToolSpec` says what an agent sees (name,
description, JSON-schema parameters, in the OpenAI function-tool shape) and what a composer
needs to chain tools: the *port type* of every parameter and of the result.

Port types are small strings:

- scalars: ``number``, ``integer``, ``string``, ``text``, ``boolean`` and world-specific
  string kinds such as ``path``, ``date``, ``email_id``, ``sku``;
- ``list[T]`` for lists; ``record:NAME`` for objects, whose field types are listed in
  :attr:`ToolSpec.fields` (for ``list[record:NAME]`` results, the fields of one element);
- ``any`` for a port that takes any JSON value (a tool that stores or sends what it is given);
- ``A|B`` (a port only) for a port that takes any of several types: a generic operation names
  the meanings it makes sense on (``text|label`` for a search query).

Types carry meaning, not only a JSON type: a world's parent map can say that a ``weekday`` is a
``label`` and not ``text``, so a text tool never counts the characters of a weekday
(toolworld's vocabulary: ``steps_agents.plugins.toolworld_impl.meaning``).

Feeding rule (:meth:`TypeRules.assignable`): a value of type ``S`` may feed a port of type ``T``
when ``S == T``, when ``S`` is a subtype of ``T`` by the world's parent map (``integer`` ->
``number``; ``path`` -> ``string`` -> ``text``; ...), when ``T`` is ``any``, or, for lists,
element-wise (``list[S]`` -> ``list[T]``). A list port ``list[T]`` also accepts a single ``T`` as one of its
elements (``{"values": [{"$ref": "s1"}, 4]}``), and a record's field or a list's element can
be addressed by a reference path (``{"$ref": "s2.total"}``, ``{"$ref": "s1.0"}``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from steps_agents.errors import StepsError

__all__ = [
    "DEFAULT_TYPE_PARENTS",
    "ToolError",
    "ToolSpec",
    "TypeRules",
    "alternatives",
    "list_of",
    "ref_type",
    "validate_args",
]


TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ToolError(StepsError, ValueError):
    """A tool call failed: unknown tool, bad arguments, a tool-level error or a sandbox block.

    Agents see the message as the tool's error result; it never stops an evaluation.
    """


class ToolSpec(BaseModel):
    """One executable skill: what the agent is shown and how it chains.

    ``name`` follows the tool-name rule of the model APIs (``[A-Za-z0-9_-]{1,64}``); toolworld
    prefixes the domain with an underscore (``fs_read_file``).
    ``parameters`` is a JSON schema of type ``object``. ``ports`` maps each parameter to its port
    type (parameters without a port take only literal values), ``returns`` is the result's port
    type and ``fields`` the field types when the result (or its elements) is a record.
    ``mutates`` says the tool changes the world state (a composer then checks the final state).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    domain: str
    description: str
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}, "required": []}
    )
    ports: dict[str, str] = Field(default_factory=dict)
    returns: str = "text"
    fields: dict[str, str] = Field(default_factory=dict)
    mutates: bool = False

    @field_validator("name")
    @classmethod
    def _portable_name(cls, value: str) -> str:
        # The function-name rule of the OpenAI and Anthropic tool APIs: a dotted name such as
        # "fs.read" would be refused the moment a real model is asked to call it.
        if not TOOL_NAME.fullmatch(value):
            raise ValueError(
                f"tool name {value!r} must be 1-64 letters, digits, '_' or '-' (the rule of"
                " the model APIs), e.g. 'fs_read_file'"
            )
        return value

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI / LangChain function-tool dict (``{"type": "function", "function": ...}``)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def list_of(type_name: str) -> str:
    return f"list[{type_name}]"


def alternatives(type_name: str) -> list[str]:
    """The members of a union port type ``A|B|list[C|D]`` (bars inside brackets are kept)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(type_name):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "|" and depth == 0:
            out.append(type_name[start:i])
            start = i + 1
    out.append(type_name[start:])
    return [t.strip() for t in out if t.strip()]


def _element(type_name: str) -> str | None:
    if type_name.startswith("list[") and type_name.endswith("]"):
        return type_name[5:-1]
    return None


# Subtype -> parent. Worlds may extend it; every string-like kind is a ``string`` and every
# ``string`` is ``text`` (anything textual can be counted, searched, written to a file).
DEFAULT_TYPE_PARENTS: dict[str, str] = {
    "integer": "number",
    "string": "text",
}


class TypeRules:
    """The world's chaining rules: which value types may feed which port types."""

    def __init__(self, parents: Mapping[str, str] | None = None) -> None:
        self.parents: dict[str, str] = dict(DEFAULT_TYPE_PARENTS)
        self.parents.update(parents or {})

    def ancestors(self, type_name: str) -> Iterator[str]:
        seen: set[str] = set()
        current: str | None = type_name
        while current is not None and current not in seen:
            seen.add(current)
            yield current
            current = self.parents.get(current)

    def assignable(self, source: str, target: str) -> bool:
        """``True`` when a value of port type ``source`` may be passed where ``target`` is expected."""
        if source == target or target == "any":
            return True
        if "|" in target:
            union = alternatives(target)
            if len(union) > 1:
                return any(self.assignable(source, alt) for alt in union)
        src_el, dst_el = _element(source), _element(target)
        if src_el is not None and dst_el is not None:
            return self.assignable(src_el, dst_el)
        if src_el is not None or dst_el is not None:
            return False
        return target in self.ancestors(source)

    def element_of(self, source: str, target: str) -> bool:
        """``True`` when a ``source`` value may be one element of a ``target`` list argument."""
        union = alternatives(target)
        if len(union) > 1:
            return any(self.element_of(source, alt) for alt in union)
        dst_el = _element(target)
        return dst_el is not None and self.assignable(source, dst_el)

    def paths(self, spec_returns: str, fields: Mapping[str, str]) -> list[tuple[str, str]]:
        """Addressable parts of a result: ``[(path suffix, type)]``, the whole value first.

        For ``record:X`` the fields (``.name``); for ``list[T]`` the first element (``.0``) and,
        for a list of records, the first element's fields (``.0.name``).
        """
        out: list[tuple[str, str]] = [("", spec_returns)]
        el = _element(spec_returns)
        if spec_returns.startswith("record:"):
            out.extend((f".{name}", t) for name, t in fields.items())
        elif el is not None:
            out.append((".0", el))
            if el.startswith("record:"):
                out.extend((f".0.{name}", t) for name, t in fields.items())
        return out


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
    "null": (type(None),),
}


def _check(value: Any, schema: Mapping[str, Any], where: str) -> None:
    expected = schema.get("type")
    if expected is not None:
        kinds = [expected] if isinstance(expected, str) else list(expected)
        ok = False
        for kind in kinds:
            types = _JSON_TYPES.get(kind, ())
            # bool is an int in Python but not in JSON schema
            if isinstance(value, bool) and kind in {"integer", "number"}:
                continue
            if isinstance(value, types):
                ok = True
                break
            if kind == "integer" and isinstance(value, float) and value.is_integer():
                ok = True
                break
        if not ok:
            raise ToolError(f"{where} must be {' or '.join(kinds)}, got {type(value).__name__}")
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(map(repr, schema["enum"]))
        raise ToolError(f"{where} must be one of {options}, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise ToolError(f"{where} must be >= {schema['minimum']}, got {value!r}")
        if "maximum" in schema and value > schema["maximum"]:
            raise ToolError(f"{where} must be <= {schema['maximum']}, got {value!r}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise ToolError(f"{where} is longer than {schema['maxLength']} characters")
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise ToolError(f"{where} must have at least {schema['minLength']} characters")
    if isinstance(value, (list, tuple)):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise ToolError(f"{where} needs at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise ToolError(f"{where} takes at most {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                _check(item, schema["items"], f"{where}[{i}]")
    if isinstance(value, dict) and "properties" in schema:
        _check_object(value, schema, where)


def _check_object(value: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> None:
    props: Mapping[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            raise ToolError(f"{where}: missing required argument {name!r}")
    if schema.get("additionalProperties", False) is False:
        extra = sorted(set(value) - set(props))
        if extra:
            raise ToolError(
                f"{where}: unexpected argument {extra[0]!r}; expected {', '.join(props) or 'none'}"
            )
    for name, sub in props.items():
        if name in value:
            _check(value[name], sub, f"{where}.{name}" if where != "args" else name)


def validate_args(spec: ToolSpec, args: Any) -> None:
    """Check ``args`` against the spec's JSON schema (the subset tools use); raise :class:`ToolError`.

    Supported keywords: ``type`` (one or a list), ``enum``, ``minimum``, ``maximum``,
    ``minLength``, ``maxLength``, ``items``, ``minItems``, ``maxItems``, ``properties``,
    ``required`` and ``additionalProperties`` (extra arguments are refused unless it is true).
    """
    if not isinstance(args, Mapping):
        raise ToolError(f"{spec.name}: arguments must be a JSON object, got {type(args).__name__}")
    try:
        _check_object(args, spec.parameters, "args")
    except ToolError as exc:
        raise ToolError(f"{spec.name}: {exc}") from None


def ref_type(ref: str, specs: Mapping[str, ToolSpec], tool_of: Mapping[str, str]) -> str | None:
    """The port type of a reference ``"s2.total"`` / ``"s1.0.sku"`` from the source tool's spec."""
    head, *path = ref.split(".")
    spec = specs.get(tool_of.get(head, ""))
    if spec is None:
        return None
    typ = spec.returns
    for part in path:
        if part.lstrip("-").isdigit() and typ.startswith("list[") and typ.endswith("]"):
            typ = typ[5:-1]
        elif typ.startswith("record:") and part in spec.fields:
            typ = spec.fields[part]
        else:
            return None
    return typ
