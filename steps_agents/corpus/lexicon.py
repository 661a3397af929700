"""A skill vocabulary for free text: skill names with keywords and regular expressions.

File format: a TOML (``.toml``) or JSON (any other suffix) object mapping each skill name to a
list of patterns::

    # lexicon.toml
    "sql querying" = ["sql", "select statement", "re:\\\\bjoin(s|ed)?\\\\b"]
    "unit testing" = ["pytest", "unit test"]

- A plain pattern is a keyword: matched case-insensitively as a whole word or phrase (not
  inside a longer word; any run of whitespace in the keyword matches any whitespace).
- A pattern starting with ``re:`` is a Python regular expression, matched case-insensitively
  anywhere in the text.
- The skill name itself always counts as a keyword, so ``"translation" = []`` is valid.

A text gets every skill with at least one matching pattern, in the file's order. Skill names are
normalised like every other skill name (:func:`steps_agents.corpus.extract.normalise_skill`).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.fileformats import loads_toml, parse_json

REGEX_PREFIX = "re:"


def _keyword_regex(keyword: str) -> str:
    words = keyword.split()
    body = r"\s+".join(re.escape(w) for w in words)
    # Lookarounds instead of \b so that keywords such as "c++" or ".net" still work.
    return rf"(?<!\w){body}(?!\w)"


_WORD = re.compile(r"\w+")
# A group whose body repeats (+, *, {n,}) itself repeated: the shape of catastrophic
# backtracking, (a+)+$ or (\w*)*x. A heuristic: it refuses the common forms, not every one.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d*,\d*\})\)(?:[+*]|\{\d*,\d*\})")


def _first_word(keyword: str) -> str | None:
    found = _WORD.search(keyword.lower())
    return found.group(0) if found else None


@dataclass(frozen=True)
class Lexicon:
    """Compiled vocabulary: ``patterns[i]`` is one case-insensitive regex for ``skills[i]``.

    ``triggers`` maps the first word of every keyword (lower case) to the skills it belongs to;
    ``always`` lists skills with a ``re:`` pattern or a keyword without any word character.
    :meth:`match` only runs the patterns of skills triggered by a word of the text (plus the
    ``always`` ones), which gives the same answer as trying every skill, because a keyword can
    only match where its first word occurs as a whole word of the text.
    """

    skills: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    source: str = ""
    triggers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    always: tuple[int, ...] = ()

    @classmethod
    def from_mapping(cls, data: Any, *, location: str = "lexicon") -> Lexicon:
        from steps_agents.corpus.extract import normalise_skill

        if not isinstance(data, Mapping) or not data:
            raise InputError(
                "expected a non-empty object mapping skill names to lists of keywords/regexes",
                location=location,
            )
        skills: list[str] = []
        patterns: list[re.Pattern[str]] = []
        triggers: dict[str, list[int]] = {}
        always: list[int] = []
        for raw_name, raw_patterns in data.items():
            name = normalise_skill(str(raw_name))
            if not name:
                raise InputError("empty skill name", location=location)
            if isinstance(raw_patterns, str):
                raw_patterns = [raw_patterns]
            if not isinstance(raw_patterns, list) or not all(
                isinstance(p, str) for p in raw_patterns
            ):
                raise InputError(
                    f"skill {raw_name!r}: expected a list of keyword or 're:' regex strings",
                    location=location,
                )
            idx = len(skills)
            alternatives = [_keyword_regex(name)]
            firsts: set[str | None] = {_first_word(name)}
            for pattern in raw_patterns:
                if pattern.startswith(REGEX_PREFIX):
                    regex = pattern[len(REGEX_PREFIX) :]
                    try:
                        re.compile(regex)
                    except re.error as exc:
                        raise InputError(
                            f"skill {raw_name!r}: invalid regex {regex!r} ({exc})",
                            location=location,
                        ) from None
                    if _NESTED_QUANTIFIER.search(regex):
                        raise InputError(
                            f"skill {raw_name!r}: regex {regex!r} repeats a repeated group"
                            " (like (a+)+), which can take exponential time on a record;"
                            " write it without the nested repetition",
                            location=location,
                        )
                    alternatives.append(f"(?:{regex})")
                    firsts.add(None)
                elif pattern.strip():
                    alternatives.append(_keyword_regex(pattern))
                    firsts.add(_first_word(pattern))
            if name in skills:
                raise InputError(f"skill {raw_name!r} is listed twice", location=location)
            skills.append(name)
            patterns.append(re.compile("|".join(alternatives), re.IGNORECASE))
            if None in firsts:
                always.append(idx)
            for word in firsts:
                if word is not None:
                    triggers.setdefault(word, []).append(idx)
        return cls(
            tuple(skills),
            tuple(patterns),
            location,
            {word: tuple(ids) for word, ids in triggers.items()},
            tuple(always),
        )

    @classmethod
    def load(cls, path: str | Path) -> Lexicon:
        """Read a ``.toml`` or JSON lexicon file; problems are :class:`InputError` naming it."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise InputError("no such lexicon file", location=path) from None
        except OSError as exc:
            raise InputError(f"cannot read lexicon ({exc.strerror})", location=path) from None
        try:
            if path.suffix.lower() == ".toml":
                data: Any = loads_toml(raw.decode("utf-8"), location=path)
            else:
                data = parse_json(raw.decode("utf-8"), location=path)
        except UnicodeDecodeError:
            raise InputError("lexicon is not valid UTF-8", location=path) from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"invalid TOML ({exc})", location=path) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg})", location=f"{path}:{exc.lineno}") from None
        return cls.from_mapping(data, location=str(path))

    def match(self, text: str) -> list[str]:
        """Every skill with a pattern occurring in ``text``, in the lexicon's order."""
        if not text:
            return []
        candidates = set(self.always)
        for word in set(_WORD.findall(text.lower())):
            candidates.update(self.triggers.get(word, ()))
        return [self.skills[i] for i in sorted(candidates) if self.patterns[i].search(text)]

    def match_all(self, text: str) -> list[str]:
        """Reference matcher: try every skill's pattern (what :meth:`match` must agree with)."""
        return [s for s, p in zip(self.skills, self.patterns, strict=True) if p.search(text)]
