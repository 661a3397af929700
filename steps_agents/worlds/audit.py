"""``steps world check``: what a world author needs to know before a synthesis run.

:func:`audit_world` composes every combination of the world's tools for k = 1..``k_max``
(``itertools.combinations`` of the tool names in ``tool_specs()`` order; when there are more
than ``limit`` for one k, a seeded sample of ``limit`` of them) and, for each task it gets,
replays the oracle on a fresh copy of the initial state through the task's own checker -- a
task that fails there is non-deterministic or its checker is wrong. It reports:

- **uncomposable** combinations grouped by reason: the world's :class:`CompositionError`
  message with the skill names taken out, so "cannot compose a, b: the tools' result and input
  types do not join them ..." for every pair counts as one reason;
- **oracle failures**: tasks whose oracle raises or fails its checker on replay;
- **unused tools**: tools that appear in no composed task (no port chains them to anything, or
  their samplers never find a value): a warning, since a synthesis run simply never draws
  them, unless the author asks for strictness (:meth:`WorldAudit.passed` with ``strict``);
- **bad phrases**: static problems of each tool's ``phrase``/``noun``/``verb`` templates (a
  ``{placeholder}`` that is not a parameter of the tool) and problems of the instructions the
  composed tasks render, in both styles (goal when the world has ``noun``, and recipe): a
  ``{placeholder}`` left unfilled, a word written twice in a row ("the the"), two determiners
  in a row ("the account the ..."), or a ``None``/``null`` where a value should be.

Deterministic for a given ``seed``.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from steps_agents.worlds.checking import check
from steps_agents.worlds.protocol import SkillWorld, try_compose
from steps_agents.worlds.records import Task
from steps_agents.worlds.session import run_oracle
from steps_agents.worlds.spec import ToolError

__all__ = ["WorldAudit", "audit_world", "phrase_problems"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_REPEAT = re.compile(r"\b(\w+) \1\b", re.IGNORECASE)
_DETERMINERS = re.compile(r"\b(the|a|an) (the|a|an)\b", re.IGNORECASE)
_EMPTY_VALUE = re.compile(r"\b(None|null)\b")
EXAMPLES_PER_REASON = 3


@dataclass
class WorldAudit:
    """What :func:`audit_world` found; :meth:`to_dict` is the ``--json`` output."""

    world: str
    version: str
    tools: int
    tried: dict[int, int] = field(default_factory=dict)
    composed: dict[int, int] = field(default_factory=dict)
    uncomposable: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[list[str]]] = field(default_factory=dict)
    oracle_failures: list[dict[str, Any]] = field(default_factory=list)
    unused_tools: list[str] = field(default_factory=list)
    bad_phrases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No oracle failure and no bad phrase (uncomposable pairs are normal; an unused tool
        is a warning)."""
        return not (self.oracle_failures or self.bad_phrases)

    def passed(self, strict: bool = False) -> bool:
        """:attr:`ok`, and with ``strict`` also no unused tool."""
        return self.ok and not (strict and self.unused_tools)

    def to_dict(self) -> dict[str, Any]:
        return {
            "world": self.world,
            "version": self.version,
            "tools": self.tools,
            "tried": self.tried,
            "composed": self.composed,
            "uncomposable": [
                {"reason": reason, "count": n, "examples": self.examples[reason]}
                for reason, n in self.uncomposable.most_common()
            ],
            "oracle_failures": self.oracle_failures,
            "unused_tools": self.unused_tools,
            "bad_phrases": self.bad_phrases,
            "ok": self.ok,
            "ok_strict": self.passed(strict=True),
        }

    def text(self, strict: bool = False) -> str:
        """The report; with ``strict`` an unused tool is a problem, else a warning."""
        lines = [f"world {self.world} {self.version}: {self.tools} tools"]
        for k in sorted(self.tried):
            lines.append(f"  k={k}: {self.composed.get(k, 0)} of {self.tried[k]} composed")
        if self.uncomposable:
            lines.append("uncomposable, by reason:")
            for reason, n in self.uncomposable.most_common():
                shown = "; ".join(", ".join(c) for c in self.examples[reason])
                lines.append(f"  {n} x {reason} (e.g. {shown})")
        for failure in self.oracle_failures:
            lines.append(f"oracle fails: {', '.join(failure['skills'])}: {failure['reason']}")
        if self.unused_tools:
            unused = ", ".join(self.unused_tools)
            lines.append(
                f"tools never used: {unused}"
                if strict
                else f"warning: tools never used: {unused} (no composed task calls them;"
                " --strict counts this as a problem)"
            )
        for bad in self.bad_phrases:
            lines.append(f"bad phrase ({bad['where']}): {bad['problem']}: {bad['text']!r}")
        if not self.passed(strict):
            lines.append("problems found")
        else:
            lines.append("ok, with warnings" if self.unused_tools else "ok")
        return "\n".join(lines)


def phrase_problems(text: str, params: Sequence[str] | None = None) -> list[str]:
    """What reads badly in ``text``: with ``params`` (a template), placeholders that are not
    parameters; without (a rendered instruction), any placeholder left, a doubled word, two
    determiners in a row, a ``None``/``null``."""
    if params is not None:
        return [
            f"placeholder {{{name}}} is not a parameter"
            for name in _PLACEHOLDER.findall(text)
            if name not in params
        ]
    problems = [f"unfilled {{{name}}}" for name in _PLACEHOLDER.findall(text)]
    problems += [f"doubled word {m.group(0)!r}" for m in _REPEAT.finditer(text)]
    problems += [f"determiners {m.group(0)!r}" for m in _DETERMINERS.finditer(text)]
    problems += [f"empty value {m.group(0)!r}" for m in _EMPTY_VALUE.finditer(text)]
    return problems


def _reason_key(reason: str, skills: Sequence[str]) -> str:
    """The reason with the skill names taken out, so one cause counts once."""
    for skill in sorted(skills, key=len, reverse=True):
        reason = reason.replace(skill, "…")
    return re.sub(r"…(, …)+", "…", reason)


def _template_problems(world: Any) -> list[dict[str, Any]]:
    out = []
    for spec in world.tool_specs():
        params = list(spec.parameters.get("properties", {}))
        for kind in ("phrase", "noun", "verb"):
            render = getattr(world, kind, None)
            if render is None:
                continue
            template = render(spec.name)
            for problem in phrase_problems(template or "", params):
                out.append({"where": f"{spec.name}.{kind}", "problem": problem, "text": template})
    return out


def _instruction_problems(world: Any, task: Task) -> list[dict[str, Any]]:
    from steps_agents.worlds.compose import instruction_for

    out = []
    styles = ["goal", "recipe"] if hasattr(world, "noun") else ["recipe"]
    for style in styles if hasattr(world, "phrase") else []:
        text = instruction_for(world, task, style)
        for problem in phrase_problems(text):
            where = f"{style} instruction of {', '.join(task.skills)}"
            out.append({"where": where, "problem": problem, "text": text})
    if not hasattr(world, "phrase"):
        for problem in phrase_problems(task.instruction):
            out.append(
                {"where": ", ".join(task.skills), "problem": problem, "text": task.instruction}
            )
    return out


def _replay(world: SkillWorld, task: Task) -> str | None:
    """``None`` when the oracle passes its checker on a fresh state, else why not."""
    try:
        answer, state, _ = run_oracle(world, task)
    except ToolError as exc:
        return f"a step fails: {exc}"
    outcome = check(task, answer, state)
    return None if outcome.passed else outcome.reason


def audit_world(
    world: SkillWorld, *, k_max: int = 2, seed: int = 0, limit: int = 200
) -> WorldAudit:
    """Compose, replay and read the world's combinations for k = 1..``k_max`` (see the module
    docstring); at most ``limit`` combinations per k."""
    if k_max < 1:
        raise ValueError(f"k_max must be at least 1, got {k_max}")
    names = [spec.name for spec in world.tool_specs()]
    audit = WorldAudit(world=world.name, version=str(world.version), tools=len(names))
    audit.bad_phrases.extend(_template_problems(world))
    used: set[str] = set()
    rng = random.Random(seed)
    for k in range(1, min(k_max, len(names)) + 1):
        combos = list(itertools.combinations(names, k))
        if len(combos) > limit:
            combos = sorted(rng.sample(combos, limit))
        audit.tried[k] = len(combos)
        audit.composed[k] = 0
        for combo in combos:
            task, reason = try_compose(world, combo, seed)
            if task is None:
                key = _reason_key(reason, combo)
                audit.uncomposable[key] += 1
                examples = audit.examples.setdefault(key, [])
                if len(examples) < EXAMPLES_PER_REASON:
                    examples.append(list(combo))
                continue
            audit.composed[k] += 1
            failure = _replay(world, task)
            if failure is not None:
                audit.oracle_failures.append({"skills": list(combo), "reason": failure})
                continue
            used.update(task.skills)
            audit.bad_phrases.extend(_instruction_problems(world, task))
    audit.unused_tools = [name for name in names if name not in used]
    return audit
