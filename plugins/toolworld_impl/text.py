"""Domain ``text``: counting, extracting and rewriting text."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.toolworld_impl.base import (
    NoValue,
    Param,
    Tool,
    pick,
    registrar,
    round_num,
)
from steps_agents.plugins.toolworld_impl.notes import line_list, short_note

TOOLS: list[Tool] = []
tool = registrar(TOOLS, "text")

TEXT = {"type": "string"}
NUMBER_RE = re.compile(r"(?<![\w.:-])-?\d+(?:\.\d+)?(?![\w:-])")
# Parts bounded (RFC 5321: 64-character local part, 63-character labels) and anchored at a word
# start: the unbounded form backtracked quadratically (300 KB of "a": minutes, GIL held, so
# neither the episode deadline nor Ctrl-C could interrupt it; issue 12).
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
DATE_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
NEW_WORDS = ["approved", "pending", "urgent", "archived", "reviewed"]


def s_text(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return short_note(state, rng)


def s_lines(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return line_list(state, rng)


def _words(text: str) -> list[str]:
    return sorted({w.strip(".,:;#()") for w in text.split()} - {""})


def s_old(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    words = [w for w in _words(str(args.get("text", ""))) if w.isalpha() and len(w) >= 4]
    return str(pick(words, rng))


def s_new(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(NEW_WORDS, rng))


def s_keyword(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    lines = [line for line in str(args.get("text", "")).splitlines() if line.strip()]
    if not lines:
        raise NoValue("find_lines needs some text")
    words = [w.lower() for w in _words(pick(lines, rng)) if w.isalpha() and len(w) >= 4]
    return str(pick(words, rng))


@tool(
    "text_word_count",
    "Number of whitespace-separated words in a text.",
    params=[Param("text", TEXT, s_text, "text")],
    returns="integer",
    phrase="count the words in {text}",
    rule="numeric",
)
def word_count(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    return len(str(args["text"]).split())


@tool(
    "text_char_count",
    "Number of characters in a text (spaces included).",
    params=[Param("text", TEXT, s_text, "text")],
    returns="integer",
    phrase="count the characters in {text}",
    rule="numeric",
)
def char_count(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    return len(str(args["text"]))


@tool(
    "text_extract_numbers",
    "All numbers written in a text, in order (dates, times and ids are not numbers).",
    params=[Param("text", TEXT, s_text, "text")],
    returns="list[number]",
    phrase="extract the numbers from {text}",
)
def extract_numbers(state: dict[str, Any], args: Mapping[str, Any]) -> list[float | int]:
    return [round_num(float(m)) for m in NUMBER_RE.findall(str(args["text"]))]


@tool(
    "text_extract_emails",
    "All email addresses in a text, in order of first appearance.",
    params=[Param("text", TEXT, s_text, "text")],
    returns="list[email]",
    phrase="extract the email addresses from {text}",
)
def extract_emails(state: dict[str, Any], args: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(m.rstrip(".") for m in EMAIL_RE.findall(str(args["text"]))))


@tool(
    "text_extract_dates",
    "All ISO dates (YYYY-MM-DD) in a text, in order of first appearance.",
    params=[Param("text", TEXT, s_text, "text")],
    returns="list[date]",
    phrase="extract the dates from {text}",
)
def extract_dates(state: dict[str, Any], args: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(DATE_RE.findall(str(args["text"]))))


@tool(
    "text_uppercase",
    "The text in upper case.",
    params=[Param("text", TEXT, s_text, "text")],
    returns="text",
    phrase="convert {text} to upper case",
)
def uppercase(state: dict[str, Any], args: Mapping[str, Any]) -> str:
    return str(args["text"]).upper()


@tool(
    "text_replace",
    "Replace every occurrence of a word or phrase (case-sensitive) in a text.",
    params=[
        Param("text", TEXT, s_text, "text"),
        Param("old", {"type": "string", "minLength": 1}, s_old, None),
        Param("new", TEXT, s_new, "string", "Replacement text"),
    ],
    returns="text",
    phrase="replace every {old} with {new} in {text}",
)
def replace(state: dict[str, Any], args: Mapping[str, Any]) -> str:
    return str(args["text"]).replace(str(args["old"]), str(args["new"]))


@tool(
    "text_find_lines",
    "The lines of a text that contain a keyword (case-insensitive).",
    params=[
        Param("text", TEXT, s_lines, "text"),
        Param("keyword", {"type": "string", "minLength": 1}, s_keyword, None),
    ],
    returns="list[string]",
    phrase="find the lines containing {keyword} in {text}",
)
def find_lines(state: dict[str, Any], args: Mapping[str, Any]) -> list[str]:
    keyword = str(args["keyword"]).lower()
    return [line for line in str(args["text"]).splitlines() if keyword in line.lower()]
