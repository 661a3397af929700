"""Built-in plugin: the ``keyword`` reference agent -- how far does reading the words get you?

It plans nothing. It calls each of the task's tools once, in the order in which the
instruction first *matches* it, and fills arguments from what the instruction literally says
and from earlier results whose type fits. A task it passes was solvable by reading the
instruction, not by planning: on a numbered recipe it does well, on a goal instruction (which
describes the answer top-down and names no tool) it should not. The quickstart reports it on
both styles for the same plans; the gap is the leakage the recipe gives away.

- **Vocabulary** of a tool: the content words of its name, description and parameter
  descriptions, and, when the world offers them, of its recipe phrase, its result noun and its
  state-change imperative (``phrase``/``noun``/``verb``). Words are lower-cased, a plural ``s``
  is dropped, and common function words (``the``, ``of``, ``step``, ``result``, ...) are ignored.
- **Match**: the instruction is cut into clauses (lines, sentences, ", then"). In each clause,
  in order, the not yet called tool sharing the most words with it (at least ``min(2,
  vocabulary size)``) is called, and with it any other tool sharing at least two words the
  first one's vocabulary lacks, by the position of their first shared word. A tool no clause
  matches is never called.
- **Arguments**, per parameter in schema order: the clause's next literal (quoted strings and
  bare numbers) of the right JSON type, in the ``enum`` if any, and shaped like the port's kind
  for common kinds (:data:`SHAPES`: a date, a time, an address, a path); else the most recent
  earlier result part (the whole value, a record field, the first element, by
  :meth:`TypeRules.paths`) whose port type fits the parameter's port. A list of numbers takes
  every number of the clause.
- **Answer**: ``done`` when the instruction says to reply "done"; for a JSON object, each key
  (``"key"``) gets the result of the call named by ``step N`` in the text next to it, else of the
  tool sharing the most words with that text; otherwise the result of the call named by
  ``step N`` in the last sentence, else of the tool that shares the most words with the
  question, else the last result.

No model, no randomness: the same instruction gives the same calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import steps_agents
from steps_agents.evaluation.agents import AgentInput, AgentOutput
from steps_agents.worlds import ToolError, TypeRules, world_type_rules

STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "by",
        "each",
        "every",
        "for",
        "from",
        "given",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "one",
        "or",
        "result",
        "results",
        "step",
        "steps",
        "that",
        "the",
        "then",
        "these",
        "this",
        "those",
        "to",
        "tool",
        "tools",
        "under",
        "use",
        "using",
        "with",
        "what",
        "which",
        "you",
        "your",
        "please",
        "reply",
        "only",
        "value",
        "answer",
        "final",
        "json",
        "object",
        "key",
        "keys",
        "nothing",
        "else",
        "done",
        "need",
        "know",
        "tell",
        "do",
        "carry",
        "out",
        "following",
        "available",
        "provided",
        "work",
        "through",
        "here",
        "help",
        "small",
        "job",
        "order:",
        "first",
        "second",
        "item",
        "items",
        "before",
        "change",
        "anything",
        "find",
        "there",
        "when",
        "finished",
        "whose",
        "who",
        "all",
        "new",
        "their",
        "them",
        "than",
        "after",
    ]
)
_QUOTED = re.compile(r'\s*"""(.*?)"""|"((?:[^"\\]|\\.)*)"', re.S)
_NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?![\w-])")
_WORD = re.compile(r"[A-Za-z]+")
_STEP = re.compile(r"\bstep (\d+)\b", re.I)


def _stem(word: str) -> str:
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _content(text: str) -> list[str]:
    return [w for w in (_stem(x) for x in _WORD.findall(text)) if w not in STOP and len(w) > 1]


@dataclass
class _Clause:
    words: list[str]  # content words, literals left out
    items: list[tuple[str, str, Any]]  # ("literal", word before, value) / ("step", "", n)
    number: int | None = None  # "3." at the start of a numbered line

    @property
    def steps(self) -> list[int]:
        return [v for kind, _, v in self.items if kind == "step"]


_TOKEN = re.compile(r"(\x00\d+\x00)|\bsteps? (\d+)\b|(" + _NUMBER.pattern + r")|([A-Za-z]+)", re.I)


def _clauses(instruction: str) -> list[_Clause]:
    """The instruction cut at line breaks, sentence ends and ", then" (quoted literals kept
    whole, even across lines), each with its content words and, in order of appearance, its
    literals (quoted strings, bare numbers) and the steps it names ("from step 2")."""
    quoted: list[str] = []

    def hide(match: re.Match[str]) -> str:
        raw = match.group(1) if match.group(1) is not None else match.group(2)
        quoted.append(raw.strip("\n") if match.group(1) is not None else raw)
        return f" \x00{len(quoted) - 1}\x00 "

    text = _QUOTED.sub(hide, re.sub(r"\bin (?:this )?order\b", " ", instruction))
    out = []
    for piece in re.split(r"\n|(?<=\D[.?:])\s+(?!\x00)|,\s*then\s+", text):
        numbered = re.match(r"\s*(\d+)\.\s", piece)
        body = piece[numbered.end() :] if numbered else piece
        items: list[tuple[str, str, Any]] = []
        before = ""
        for match in _TOKEN.finditer(body):
            hidden, step, number, word = match.groups()
            if hidden:
                items.append(("literal", before, quoted[int(hidden.strip("\x00"))]))
            elif step:
                items.append(("step", "", int(step)))
            elif number:
                items.append(("literal", before, _number(number)))
            else:
                before = _stem(word)
        words = _content(_STEP.sub(" ", re.sub(r"\x00\d+\x00", " ", body)))
        if words or items:
            out.append(_Clause(words, items, int(numbered.group(1)) if numbered else None))
    return out


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


# What a literal of a common port kind looks like (a kind not listed takes any string).
SHAPES = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "time": re.compile(r"\d{1,2}:\d{2}"),
    "email": re.compile(r"[^@\s]+@[^@\s]+"),
    "path": re.compile(r"/\S*"),
}


def _shape(port: str | None, schema: Mapping[str, Any]) -> re.Pattern[str] | None:
    """A port kind's shape, or one read off an example in the parameter's description ("Id
    such as m3" -> letters then digits), or ``None`` (anything)."""
    example = re.search(r"such as (\S+?)[.,)]?(?:\s|$)", str(schema.get("description", "")))
    if example:
        return re.compile(
            re.sub(r"\\d(?:\\d)*", r"\\d+", re.sub(r"\d", r"\\d", re.escape(example.group(1))))
        )
    return SHAPES.get(port or "")


def _shaped(value: Any, port: str | None, schema: Mapping[str, Any]) -> bool:
    shape = _shape(port, schema)
    if shape is None or not isinstance(value, str):
        return shape is None or not isinstance(value, str) and schema.get("type") != "string"
    return shape.fullmatch(value) is not None


def _fits(value: Any, schema: Mapping[str, Any]) -> bool:
    if "enum" in schema and value not in schema["enum"]:
        return False
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    if isinstance(value, bool):
        return "boolean" in kinds
    if isinstance(value, (int, float)):
        return "number" in kinds or ("integer" in kinds and float(value).is_integer())
    if isinstance(value, str):
        return "string" in kinds or not kinds
    return False


class KeywordAgent:
    """See the module docstring."""

    name = "keyword"

    @staticmethod
    def _templates(spec: Any, world: Any) -> list[str]:
        out = []
        for attr in ("phrase", "noun", "verb"):
            fn = getattr(world, attr, None)
            if callable(fn):
                try:
                    out.append(str(fn(spec.name)))
                except (KeyError, ToolError):
                    continue
        return out

    def _cues(self, spec: Any, world: Any) -> dict[str, set[str]]:
        """Per parameter, the words that come right before it in the tool's phrases and its
        own name: ``"find the lines containing {keyword} in {text}"`` -> keyword: containing."""
        cues = {name: {_stem(name)} for name in spec.parameters.get("properties") or {}}
        for template in self._templates(spec, world):
            for word, name in re.findall(r"([A-Za-z]+) \{(\w+)\}", template):
                cues.setdefault(name, set()).add(_stem(word))
        return cues

    def _vocabulary(self, spec: Any, world: Any) -> set[str]:
        texts = [spec.name.replace("_", " "), spec.description]
        for sub in (spec.parameters.get("properties") or {}).values():
            texts.append(str(sub.get("description", "")))
        texts += [re.sub(r"\{\w+\}", " ", t) for t in self._templates(spec, world)]
        return set(_content(" ".join(texts)))

    async def arun(self, episode: AgentInput) -> AgentOutput:
        instruction = episode.instruction
        world = episode.world
        rules = world_type_rules(world) if world is not None else TypeRules()
        vocab = {spec.name: self._vocabulary(spec, world) for spec in episode.tools}
        calls: list[tuple[Any, Any, int | None]] = []  # (spec, result or _NONE, line number)
        left = list(episode.tools)
        for clause in _clauses(instruction):
            for spec in self._matches(clause, left, vocab):
                left.remove(spec)
                args = self._args(spec, clause, calls, rules, self._cues(spec, world))
                try:
                    result = episode.call(spec.name, args)
                except ToolError:
                    result = _NONE
                calls.append((spec, result, clause.number))
        return AgentOutput(answer=self._answer(instruction, calls, vocab))

    @staticmethod
    def _matches(clause: _Clause, tools: Sequence[Any], vocab: Mapping[str, set[str]]) -> list[Any]:
        """The tools a clause matches, by the position of their first shared word: the one
        sharing the most words (two or more, or one that no other tool shares as many of),
        then any other that shares at least two words the first one's vocabulary lacks."""
        words = set(clause.words)
        scored = sorted(tools, key=lambda s: (-len(words & vocab[s.name]), s.name))
        if not scored:
            return []
        top = len(words & vocab[scored[0].name])
        runner = len(words & vocab[scored[1].name]) if len(scored) > 1 else 0
        if top < 2 and not (top == 1 and runner == 0):
            return []
        best = scored[0]
        picked = [best] + [
            s for s in scored[1:] if len((words & vocab[s.name]) - vocab[best.name]) >= 2
        ]

        def first(spec: Any) -> int:
            return next(i for i, w in enumerate(clause.words) if w in vocab[spec.name])

        return sorted(picked, key=first)

    def _args(
        self,
        spec: Any,
        clause: _Clause,
        calls: Sequence[tuple[Any, Any, int | None]],
        rules: TypeRules,
        cues: Mapping[str, set[str]],
    ) -> dict[str, Any]:
        """Per parameter, in schema order: a literal named by the word before it (its name or
        the word before it in the tool's phrases: ``the column "units"``, ``containing "x"``); else the clause's first unused item that fits, in order of appearance (a
        literal of the right JSON type and shape, or a part of the result of a step the clause
        names whose type fits the port); else the latest earlier result that fits. A list of
        numbers takes every number of the clause."""
        args: dict[str, Any] = {}
        props: Mapping[str, Any] = spec.parameters.get("properties") or {}
        free = list(clause.items)
        for name, schema in props.items():
            port = spec.ports.get(name)
            if schema.get("type") == "array":
                numbers = [
                    v for k, _, v in free if k == "literal" and _fits(v, schema.get("items", {}))
                ]
                if numbers:
                    args[name] = numbers
                    continue
            value: Any = _NONE
            for item in sorted(free, key=lambda it: it[1] not in cues.get(name, ())):
                kind, _, raw = item
                if kind == "literal" and _fits(raw, schema) and _shaped(raw, port, schema):
                    value = raw
                elif kind == "step":
                    value = self._earlier(port, [c for c in calls if c[2] == raw], rules)
                if value is not _NONE:
                    free.remove(item)
                    break
            if value is _NONE:
                value = self._earlier(port, list(reversed(calls)), rules)
            if value is not _NONE:
                args[name] = value
        return args

    @staticmethod
    def _earlier(
        port: str | None, calls: Sequence[tuple[Any, Any, int | None]], rules: TypeRules
    ) -> Any:
        if port is None:
            return _NONE
        for spec, result, _ in calls:
            if result is _NONE:
                continue
            for suffix, typ in rules.paths(spec.returns, spec.fields):
                if not rules.assignable(typ, port):
                    continue
                value = result
                try:
                    for part in [p for p in suffix.split(".") if p]:
                        value = value[int(part)] if part.isdigit() else value[part]
                except (KeyError, IndexError, TypeError):
                    continue
                return value
        return _NONE

    def _answer(
        self,
        instruction: str,
        calls: Sequence[tuple[Any, Any, int | None]],
        vocab: Mapping[str, set[str]],
    ) -> Any:
        if re.search(r'reply (?:with )?"done"', instruction, re.I):
            return "done"
        keys = re.findall(r'"(\w+)" \(([^)]*)\)|\(as "(\w+)"\)', instruction)
        if "JSON object" in instruction and keys:
            answer: dict[str, Any] = {}
            for key, text, goal_key in keys:
                if goal_key:
                    before = instruction.split(f'(as "{goal_key}")')[0]
                    text, key = re.split(r'\(as "\w+"\)', before)[-1], goal_key
                answer[key] = self._pick(text, calls, vocab)
            return json.dumps(answer)
        sentences = [s for s in re.split(r"(?<=[.?])\s+|\n", instruction) if s.strip()]
        question = next((s for s in reversed(sentences) if "?" in s or _STEP.search(s)), "")
        return self._pick(question or instruction, calls, vocab)

    @staticmethod
    def _pick(
        text: str, calls: Sequence[tuple[Any, Any, int | None]], vocab: Mapping[str, set[str]]
    ) -> Any:
        step = _STEP.search(text)
        if step:
            named = [r for _, r, n in calls if n == int(step.group(1)) and r is not _NONE]
            return named[0] if named else None
        done = [c for c in calls if c[1] is not _NONE]
        if not done:
            return None
        words = set(_content(text))
        best = max(done, key=lambda c: len(words & vocab[c[0].name]))
        return best[1] if words & vocab[best[0].name] else done[-1][1]


_NONE = object()


@steps_agents.hookimpl
def register_agents(register: Any) -> None:
    register(lambda options: KeywordAgent(), name="keyword")
