"""Goal-style instructions: the request a user would write, composed from the plan top-down.

A recipe instruction (:func:`steps_agents.worlds.instructions.render_instruction`) numbers the
tool calls and names every intermediate "the result of step 2". A goal instruction states
only what the user wants and the values the user knows, as TaskCraft extends a task in depth:
an input that another tool resolves is *described* instead of given. The world supplies, per
tool, a noun phrase for its result in terms of its inputs (``noun(tool)``, e.g. ``"the weekday
of {date}"``) and, for a tool that changes the state, the imperative a user writes
(``verb(tool)``). Then:

- a reference ``s2`` reads as the noun of step ``s2`` with its own arguments filled in the same
  way, recursively (``"the weekday of the due date of the order "O-1004""``); a field reads
  ``"the total of ..."``, a list element by the world's ``item_noun`` when it has one (``"the
  first file under ..."``), else ``"the first of ..."``;
- each state change is one imperative sentence, in plan order, joined by "then";
- each answer part is asked for by its noun, with the expected form (``"Reply with the number
  only."``) or, for several parts, the JSON keys the checker reads.

So the text names no tool, numbers no step and states no intermediate value: only the literal
leaves of the oracle (which :func:`~steps_agents.worlds.instructions.missing_required_values`
checks) and the answer's form. :func:`goal_leaks` lists what breaks those three rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from steps_agents.worlds.instructions import FIELD_WORDS, format_literal
from steps_agents.worlds.records import REF_KEY, AnswerPart, OracleStep, Task, resolve_path

__all__ = ["GoalWorld", "goal_leaks", "render_goal"]

_ORDINALS = ["first", "second", "third", "fourth", "fifth"]
_PLACEHOLDER = re.compile(r"\{(\w+)\}( (?:minutes|days|units))?")
_NOUN_PLACEHOLDER = re.compile(
    r"\bthe ((?:(?!of |in |to |from |on |at |by )[a-z]+ ){1,2})\{(\w+)\}"
)
IDENTITY = frozenset({"id", "path", "table"})  # a record's field that names the record itself
_STEP_NUMBER = re.compile(r"\b(?:step|steps)\s*#?\d+\b|^\s*\d+[.)]\s", re.IGNORECASE | re.MULTILINE)


class GoalWorld(Protocol):
    def noun(self, tool: str) -> str: ...

    def verb(self, tool: str) -> str: ...


ASKS = (
    "What is {noun}?",
    "Tell me {noun}.",
    "I need to know {noun}.",
    "Can you find out {noun}?",
    "Could you tell me {noun}?",
)
REPLIES = (
    "Reply with {form} only.",
    "Answer with {form} only.",
    "Please reply with just {form}.",
    "Give me {form} and nothing else.",
)
DONE = (
    'Reply "done" when it is finished.',
    'Just reply "done" once that is done.',
    'When you have finished, reply "done".',
)
ALSO = "while you're at it, "  # joins a request to one it shares nothing with
_NUMERIC = {"number", "integer", "money", "quantity", "count", "days", "minutes", "percent", "rate"}


_LONG = 25  # a literal this long, used twice (or twice as long), is stated once, at the end


class _Describer:
    """Describes references top-down, in the order the text will read them: a long literal
    becomes "the note below" (stated once, at the end), and a record, date or file already
    described reads "that email", "that date", "that file" the next time, as long as nothing
    else of the same word was described in between (so "that date" is never ambiguous)."""

    def __init__(
        self,
        world: GoalWorld,
        steps: Sequence[OracleStep],
        ports: Mapping[str, Mapping[str, str]],
        names: frozenset[str],
        words: Callable[[str], str | None] | None = None,
    ) -> None:
        self.world = world
        self.steps = {step.id: step for step in steps}
        self.ports, self.names = ports, names
        self.words = words or (lambda ref: None)
        self.said: dict[str, str] = {}  # reference -> its back-reference word
        self.last: dict[str, str] = {}  # word -> the reference it last described ("": unclear)
        self.log: list[tuple[str, str]] = []  # (word, reference) in the order described
        self.same: dict[str, frozenset[str]] = {}  # reference -> references of the same record
        self.notes = _notes(steps)  # long literal -> its name ("the note below")
        # parameters whose literal values read unquoted ("on 2026-04-05", "Chen Berg")
        self.plain: Callable[[str], frozenset[str]] = getattr(
            world, "plain", lambda tool: frozenset()
        )

    def value(self, value: Any) -> str:
        if isinstance(value, Mapping) and set(value) == {REF_KEY}:
            ref = str(value[REF_KEY])
            text = self.ref(ref)
            # an operation's result inside another: "(249 times 0.85) rounded to 1 decimal
            # places", "the median of 3, 5 and (7 divided by 2)"
            template = self.world.noun(self.steps[ref.split(".")[0]].tool)
            operation = template.startswith("{") and "." not in ref
            plain = text.startswith(("that ", "those "))
            return f"({_unbracket_head(text)})" if operation and not plain else text
        if isinstance(value, list):
            words = [self.value(v) for v in value]
            if len(words) <= 1:
                return words[0] if words else "nothing"
            return ", ".join(words[:-1]) + " and " + words[-1]
        if isinstance(value, Mapping):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, str) and value in self.notes:
            return self.notes[value]
        return format_literal(value)

    def fill(self, template: str, step: OracleStep) -> str:
        # In an operation written around its operands ("{a} divided by {b}") a described
        # operand is bracketed: "(the largest of 25, 65 and 78) divided by 0.85".
        operation = template.lstrip().startswith("{")
        plain = self.plain(step.tool)

        # placeholders are filled left to right, as the text reads (back-references need it)
        def one(match: re.Match[str]) -> str:
            name, unit = match.group(1), match.group(2) or ""
            if name not in step.args:
                return match.group(0)
            value = step.args[name]
            if isinstance(value, Mapping) and set(value) == {REF_KEY}:
                # "for 30 minutes" but "for as many minutes as the duration of the event"
                text = self.value(value)
                if operation and " " in text and not text.startswith(("(", "that ", "those ")):
                    text = f"({text})"
                return f"as many {unit.strip()} as {text}" if unit else text
            if unit and value == 1:
                unit = unit.rstrip("s")  # "1 unit", "1 day"
            if isinstance(value, str) and name in plain and value not in self.notes:
                return value + unit  # "on 2026-04-05", "the first pending order"
            return self.value(value) + unit

        def described(match: re.Match[str]) -> str:
            # "the file {path}" fed by a reference reads "the first of the files under ...",
            # not "the file the first of the files under ..."
            value = step.args.get(match.group(2))
            naming = self.ports.get(step.tool, {}).get(match.group(2), "") in self.names
            if naming and isinstance(value, Mapping) and set(value) == {REF_KEY}:
                return "\x00" + match.group(2) + "\x00"
            return match.group(0)

        def as_the(match: re.Match[str]) -> str:
            # "and the body the dates mentioned in ..." reads "and, as the body, the dates ..."
            value = step.args.get(match.group(2))
            if isinstance(value, Mapping) and set(value) == {REF_KEY}:
                return f"and, as the {match.group(1)}, {{{match.group(2)}}}"
            return match.group(0)

        marked = _NOUN_PLACEHOLDER.sub(described, _AS_THE.sub(as_the, template))
        pieces = re.split(r"(\x00\w+\x00|\{\w+\}(?: (?:minutes|days|units))?)", marked)
        out = []
        for piece in pieces:
            if piece.startswith("\x00"):
                out.append(self.ref(str(step.args[piece.strip("\x00")][REF_KEY])))
            else:
                out.append(_PLACEHOLDER.sub(one, piece))
        return _same_noun("".join(out).strip())

    def noun(self, step_id: str) -> str:
        step = self.steps[step_id]
        return self.fill(self.world.noun(step.tool), step)

    def told(self, step: OracleStep) -> str:
        """The imperative for a state change; its result may be named "that ..." afterwards."""
        since = len(self.log)
        text = self.fill(self.world.verb(step.tool), step)
        self._record(step.id, since)
        return text

    def _record(
        self,
        key: str,
        since: int | None = None,
        word: str | None = None,
        same: frozenset[str] = frozenset(),
    ) -> None:
        """``key`` was just described; ``since``: where in the log its description began (a
        word also used inside it, "move the event to the date of the first of the events ...",
        makes "that event" ambiguous until the next mention of the word); ``word``: its
        back-reference word when the world's ``words`` has none (an element of a list);
        ``same``: references described inside it that are the same record (a lookup by a
        reference that names a record: "the calendar event" whose id is the first event's)."""
        word = word or self.words(key)
        if not word:
            return
        inner = self.log[since:] if since is not None else []
        self.log.append((word, key))
        self.said[key] = word
        # a record and its own fields are one thing ("the first item" and "the sku of" it)
        other = any(
            w == word and k not in same and not (key + ".").startswith(k + ".") for w, k in inner
        )
        self.last[word] = "" if other else key
        self.same[key] = same

    def _named(self, key: str) -> frozenset[str]:
        """The references (identity fields dropped) that step ``key`` looks up by a port
        naming a record: the record its noun describes ("the calendar event {event_id}") is
        theirs. Only for a step described by its noun: a copy names its source, yet is not it."""
        step = self.steps.get(key)
        if step is None:
            return frozenset()
        out: set[str] = set()
        for name, value in step.args.items():
            naming = self.ports.get(step.tool, {}).get(name, "") in self.names
            if naming and isinstance(value, Mapping) and set(value) == {REF_KEY}:
                parts = [p for p in str(value[REF_KEY]).split(".") if p not in IDENTITY]
                out.add(".".join(parts))
        return frozenset(out)

    def ref(self, ref: str) -> str:
        # a field that names the record itself ("s1.id") is the record: one key for both
        parts = [p for p in ref.split(".") if p not in IDENTITY]
        text, start = "", 0
        for cut in range(len(parts), 0, -1):
            key = ".".join(parts[:cut])
            word = self.said.get(key)
            last = self.last.get(word or "", "")
            if word and (last == key or key in self.same.get(last, ())):
                plural = word == "people" or word.endswith("s") and not word.endswith(_SINGULAR_S)
                text, start = f"{'those' if plural else 'that'} {word}", cut
                # logged, so a record of the same word described around it ("order 2 units
                # for the customer of that order") does not take "that order" over
                self.log.append((word, key))
                break
        since = len(self.log)
        if not text and len(parts) > 1 and (one := self._item(parts[0], parts[1])):
            # "the first file under ...", not "the first of the files under ..."
            text, start = one, 2
            key = ".".join(parts[:2])
            # the list is named too: "the first date mentioned in ..." then "those dates"
            self._record(parts[0], since)
            self._record(key, since, self.words(key) or _singular(self.words(parts[0])))
        elif not text:
            text, start = self.noun(parts[0]), 1
            self._record(parts[0], since, same=self._named(parts[0]))
        for i in range(start, len(parts)):
            part = parts[i]
            if part.lstrip("-").isdigit():
                n = int(part)
                nth = _ORDINALS[n] if 0 <= n < len(_ORDINALS) else f"item {n + 1}"
                text = f"the {nth} of {text}"
            elif part not in IDENTITY:
                word = FIELD_WORDS.get(part, part.replace("_", " "))
                text = f"the {word} of {text}"
            self._record(".".join(parts[: i + 1]), since)
        return text

    def _item(self, step_id: str, index: str) -> str:
        """One element of a step's list result by the world's item noun (``item_noun``, with
        an ``{nth}`` placeholder), or "" when the world has none for the tool."""
        item_noun = getattr(self.world, "item_noun", None)
        if item_noun is None or not index.isdigit() or int(index) >= len(_ORDINALS):
            return ""
        step = self.steps[step_id]
        template = item_noun(step.tool)
        if not template:
            return ""
        return self.fill(template.replace("{nth}", _ORDINALS[int(index)]), step)

    def appendix(self) -> str:
        """The long literals, each once, under the names the text gave them."""
        lines = []
        for literal, name in self.notes.items():
            label = name.removeprefix("the ").removesuffix(" below")
            shown = format_literal(literal)
            lines.append(
                f"{label[:1].upper()}{label[1:]}:{shown if shown.startswith(chr(10)) else ' ' + shown}"
            )
        return "\n".join(lines)


_AS_THE = re.compile(r"\band the (body) \{(\w+)\}")  # "and, as the body, <a description>"
_NOUN_THAT = re.compile(r"\bthe (\w+) (that|those) \1\b")
_NOUN_OF_SAME = re.compile(r"\bthe (\w+) the (?:\w+ )?\1 of\b")


def _same_noun(text: str) -> str:
    """A template's noun met a description of the same noun: "the address that address" ->
    "that address", "with the subject the subject of the email" -> "with the same subject as
    the email"."""
    return _NOUN_OF_SAME.sub(r"the same \1 as", _NOUN_THAT.sub(r"\2 \1", text))


_SINGULAR_S = ("ss", "us")  # "that address", "that status": one thing, not "those"


def _unbracket_head(noun: str) -> str:
    """An asked-for operation on a described operand needs no bracket before a plain tail:
    "(the total of the order) rounded to 1 decimal place" -> "the total of the order, rounded
    to 1 decimal place". Kept when the tail has a bracket of its own ("(a) divided by (b)")."""
    if not noun.startswith("("):
        return noun
    depth = 0
    for i, char in enumerate(noun):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            tail = noun[i + 1 :]
            if tail.startswith(" ") and "(" not in tail:
                return noun[1:i] + "," + tail
            return noun
    return noun


def _singular(word: str | None) -> str | None:
    """The back-reference word of one element of a list ("events" -> "event")."""
    if not word:
        return None
    if word == "people":
        return "person"
    return word[:-1] if word.endswith("s") and not word.endswith(_SINGULAR_S) else None


def _notes(steps: Sequence[OracleStep]) -> dict[str, str]:
    """Long (or multi-line, or long and used twice) literal strings of the plan -> "the note
    below", "the list below"; numbered ("the first note below") when there are several."""
    from steps_agents.worlds.instructions import _literals

    strings = [v for step in steps for v in _literals(step.args) if isinstance(v, str)]
    # a few words ("Thanks for the quick reply.") stay inline unless the plan uses them twice
    found = [
        v
        for v in dict.fromkeys(strings)
        if "\n" in v or len(v) >= 2 * _LONG or (len(v) >= _LONG and strings.count(v) > 1)
    ]
    kinds = {v: "list" if "\n" in v else "note" for v in found}
    out = {}
    for value in found:
        same = [v for v in found if kinds[v] == kinds[value]]
        nth = f"{_ORDINALS[same.index(value)]} " if len(same) > 1 else ""
        out[value] = f"the {nth}{kinds[value]} below"
    return out


def _form(value: Any, typ: str) -> str:
    if isinstance(value, bool):
        return "yes or no"
    if isinstance(value, (int, float)) or typ in _NUMERIC:
        return "the number"
    if isinstance(value, list):
        return "a JSON list"
    if isinstance(value, dict):
        return "a JSON object with its fields"
    if typ == "date":
        return "the date (YYYY-MM-DD)"
    if typ == "weekday":
        return "the weekday"
    return "the value"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?")) else ".")


def render_goal(
    world: GoalWorld,
    steps: Sequence[OracleStep],
    answer: Sequence[AnswerPart],
    *,
    mutating: Mapping[str, bool],
    types: Mapping[str, str] | None = None,
    ports: Mapping[str, Mapping[str, str]] | None = None,
    names: frozenset[str] = frozenset(),
    in_order: bool | None = None,
    variant: int = 0,
    words: Callable[[str], str | None] | None = None,
    unordered: frozenset[tuple[str, str]] = frozenset(),
) -> str:
    """The goal instruction for an oracle plan (see the module docstring). ``mutating`` says
    which tools change the state (a change a read implies, such as opening an email whose body
    is asked about, may be given as not mutating: it is then not told), ``types`` the semantic
    type of each answer key (for the answer's form), ``ports`` each tool's port types and
    ``names`` the port types that name a record (a path, an id): "the file {path}" fed by a
    reference reads as the reference's own description ("the first of the files under ...");
    ``in_order`` says whether an answer must be read before a change it does not depend on
    (the composer knows it by replay; ``None``: assume so whenever a read precedes such a
    change); ``variant`` picks one of a few equivalent wordings of the question; ``words``
    names what a reference is ("date", "email", "file") so a second mention reads "that date";
    ``unordered`` pairs of state-change step ids may happen in either order (the composer
    knows it by replay): they are joined by "and", not "then"."""
    say = _Describer(world, steps, ports or {}, names, words)
    types = types or {}
    index = {step.id: n for n, step in enumerate(steps)}
    changes = [step for step in steps if mutating.get(step.tool, False)]
    parts = [part for part in answer if part.step is not None]
    many = len(parts) > 1

    def question(part: AnswerPart) -> str:
        noun = _unbracket_head(say.ref(".".join([str(part.step), *map(str, part.path)])))
        if many:
            return f'{noun} (as "{part.key}")'
        return f"the details of {noun}" if isinstance(part.value, dict) else noun

    def told(group: Sequence[OracleStep]) -> str:
        text = ""
        for n, step in enumerate(group):
            if n:
                prev = group[n - 1]
                linked = prev.id in _ancestors(steps, step.id) or (prev.id, step.id) in unordered
                text += " and " if linked else ", then "
            text += say.told(step)
        return text

    def reply() -> str:
        if many:
            keys = _join(f'"{p.key}"' for p in parts)
            return f"Reply with one JSON object with the keys {keys}."
        form = _form(parts[0].value, types.get(parts[0].key, ""))
        return REPLIES[(variant // 2) % len(REPLIES)].format(form=form)

    def apart(one: set[str], other: set[str]) -> bool:
        """Do the steps ``one`` and ``other`` (with what they are fed) share no step and no
        stated value? Then asking for both is two errands in one request."""
        a = set().union(*(_ancestors(steps, sid) for sid in one))
        b = set().union(*(_ancestors(steps, sid) for sid in other))
        return not a & b and not _stated(steps, a) & _stated(steps, b)

    early = (
        _reads_before_change(steps, [p.step for p in parts if p.step], mutating)
        if in_order is None
        else in_order
    )
    lines: list[str] = []
    if parts and early and changes:
        # the answer reads the state before a change it does not depend on: say when
        at = {id(p): _told_at(steps, str(p.step), mutating) for p in parts}
        first, last = index[changes[0].id], index[changes[-1].id]
        before = [p for p in parts if at[id(p)] < first]
        after = [p for p in parts if at[id(p)] > last]
        if len(before) + len(after) == len(parts):
            if before:
                lines.append(
                    _sentence("before you change anything, tell me " + _join(map(question, before)))
                )
            lines.append(_sentence(told(changes)))
            if after:
                lines.append(_sentence("after that, tell me " + _join(map(question, after))))
        else:
            # questions between changes: tell the changes and questions in plan order
            events: list[tuple[float, Any]] = [(index[s.id], s) for s in changes]
            events += [(at[id(p)], p) for p in parts]
            texts = []
            for _, item in sorted(events, key=lambda e: e[0]):
                if isinstance(item, AnswerPart):
                    texts.append("find out " + question(item))
                else:
                    texts.append(say.told(item))
            lines.append(_sentence(texts[0]))
            lines += [_sentence("then " + text) for text in texts[1:]]
        lines.append(reply())
    else:
        changed = {c.id for c in changes}
        if changes:
            lines.append(_sentence(told(changes)))
        if not parts:
            lines.append(DONE[variant % len(DONE)])
        elif not many:
            plural = isinstance(parts[0].value, (list, dict))  # "what is" + "the details of"
            asks = ASKS[1:] if plural else ASKS
            ask = asks[variant % len(asks)].format(noun=question(parts[0]))
            if changes and apart(_steps_of(parts), changed):  # one request, two errands
                ask = _sentence(ALSO + (ask if ask.startswith("I ") else ask[:1].lower() + ask[1:]))
            lines.append(ask)
            lines.append(reply())
        else:
            groups = _linked_groups(parts, apart)
            if len(groups) == 1:
                lines.append(
                    _sentence(
                        "tell me "
                        + _join(map(question, parts))
                        + ", in one JSON object with those keys"
                    )
                )
            else:
                lines.append(_sentence("tell me " + _join(map(question, groups[0]))))
                lines += [
                    _sentence(ALSO + "I also need " + _join(map(question, group)))
                    for group in groups[1:]
                ]
                lines.append(reply())
    notes = say.appendix()
    return _agree(" ".join(lines)) + (f"\n{notes}" if notes else "")


_ONE_PLURAL = re.compile(r"(?<![\d.,])\b1 (decimal place|day|minute|unit|line|row)s\b")


def _agree(text: str) -> str:
    """Number agreement where a noun template met the literal 1: "to 1 decimal place"."""
    return _ONE_PLURAL.sub(r"1 \1", text)


def _linked_groups(
    parts: Sequence[AnswerPart], apart: Callable[[set[str], set[str]], bool]
) -> list[list[AnswerPart]]:
    """The answer parts in groups that share a step or a stated value, in answer order."""
    groups: list[list[AnswerPart]] = []
    for part in parts:
        linked = [g for g in groups if not apart(_steps_of(g), {str(part.step)})]
        merged = [p for g in linked for p in g] + [part]
        groups = [g for g in groups if g not in linked]
        groups.append(merged)
    return sorted(groups, key=lambda g: parts.index(g[0]))


def _steps_of(group: Sequence[AnswerPart]) -> set[str]:
    return {str(p.step) for p in group}


def _stated(steps: Sequence[OracleStep], ids: set[str]) -> set[str]:
    """The literal strings the steps ``ids`` are given."""
    from steps_agents.worlds.instructions import _literals

    return {v for s in steps if s.id in ids for v in _literals(s.args) if isinstance(v, str)}


def _ancestors(steps: Sequence[OracleStep], sid: str) -> set[str]:
    by_id = {step.id: step for step in steps}
    seen: set[str] = set()
    todo = [sid]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += by_id[current].refs()
    return seen


def _told_at(steps: Sequence[OracleStep], sid: str, mutating: Mapping[str, bool]) -> float:
    """Where a question goes in a plan-order narrative: right after the last state change it
    depends on, else right after its first read (before any later change it does not need)."""
    index = {step.id: n for n, step in enumerate(steps)}
    tool = {step.id: step.tool for step in steps}
    mine = _ancestors(steps, sid)
    changes = [index[a] for a in mine if mutating.get(tool[a], False)]
    return (max(changes) if changes else min(index[a] for a in mine)) + 0.5


def _reads_before_change(
    steps: Sequence[OracleStep], answers: Sequence[str], mutating: Mapping[str, bool]
) -> bool:
    """Does an answer read (through a step it depends on) before a state change it does not
    depend on? Then the instruction must tell the reads and the changes in plan order."""
    by_id = {step.id: step for step in steps}
    index = {step.id: n for n, step in enumerate(steps)}
    for answer in answers:
        ancestors = _ancestors(steps, answer)
        first_read = min(
            (index[a] for a in ancestors if not mutating.get(by_id[a].tool, False)), default=None
        )
        if first_read is None:
            continue
        if any(
            mutating.get(s.tool, False) and s.id not in ancestors and index[s.id] > first_read
            for s in steps
        ):
            return True
    return False


def _join(items: Any) -> str:
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def goal_leaks(task: Task, instruction: str | None = None) -> list[str]:
    """What makes an instruction not a goal: a tool name, a step number, or the value of an
    intermediate result (a referenced part of an earlier result that is not also a literal the
    oracle was given). Empty when the instruction keeps the three rules."""
    text = task.instruction if instruction is None else instruction
    folded = text.casefold()
    leaks = [f"names the tool {name}" for name in task.tool_names() if name.casefold() in folded]
    if _STEP_NUMBER.search(text):
        leaks.append("numbers a step")
    literals = _leaf_texts(task)
    leaf_numbers = {float(m) for leaf in literals for m in re.findall(r"-?\d+(?:\.\d+)?", leaf)}
    results = {step.id: step.result for step in task.oracle}
    numbers = {float(m) for m in re.findall(r"-?\d+(?:\.\d+)?", text)}
    for step in task.oracle:
        for ref in _refs(step.args):
            head, *path = ref.split(".")
            try:
                value = resolve_path(results[head], [int(p) if p.isdigit() else p for p in path])
            except Exception:  # noqa: BLE001 - a reference the recorded result cannot resolve
                continue
            for item in _scalars(value):
                shown = format_literal(item).strip('"').casefold()
                if isinstance(item, (int, float)) and not isinstance(item, bool):
                    if float(item) in numbers and float(item) not in leaf_numbers:
                        leaks.append(f"states the intermediate value {item!r} ({ref})")
                elif any(shown in leaf for leaf in literals):
                    continue
                elif len(shown) >= 3 and shown in folded:
                    leaks.append(f"states the intermediate value {item!r} ({ref})")
    return leaks


def _refs(value: Any) -> list[str]:
    from steps_agents.worlds.records import iter_refs

    return list(iter_refs(value))


def _scalars(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [v for item in value.values() for v in _scalars(item)]
    if isinstance(value, list):
        return [v for item in value for v in _scalars(item)]
    return [] if value is None or isinstance(value, bool) else [value]


def _leaf_texts(task: Task) -> list[str]:
    from steps_agents.worlds.instructions import required_values

    return [format_literal(v).strip('"').casefold() for v in required_values(task)]
