"""An example steps-agents plugin: a CSV corpus source and a ``hashtags`` skill extractor."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import steps_agents

HASHTAG = re.compile(r"#([A-Za-z][\w-]*)")


@steps_agents.hookimpl
def open_corpus_source(source: str, options: Mapping[str, Any]) -> Iterator[Any] | None:
    """Claim ``*.csv`` paths; yield ``(location, record)`` pairs, one per data row."""
    if not source.lower().endswith(".csv"):
        return None  # not ours: let the next plugin (finally the built-in JSONL source) try
    return _rows(Path(source))


def _rows(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        for line_no, row in enumerate(csv.DictReader(handle), start=2):  # line 1 is the header
            yield f"{path}:{line_no}", row


class HashtagExtractor:
    """Skills are the ``#hashtags`` of a record's ``text`` field, lower-cased."""

    name = "hashtags"

    def __init__(self, options: Any = None) -> None:
        self.options = options

    @staticmethod
    def claims(record: Mapping[str, Any]) -> bool:
        return isinstance(record.get("text"), str) and "#" in record["text"]

    def extract_batch(self, records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
        return [
            sorted({tag.lower() for tag in HASHTAG.findall(str(r.get("text", "")))})
            for r in records
        ]


@steps_agents.hookimpl
def register_skill_extractors(register: Any) -> None:
    register(HashtagExtractor, name="hashtags")
