"""Built-in plugin: the JSON Lines corpus source (plain or gzipped), the fallback reader.

It is ``trylast`` so that any installed plugin that recognises a source (a Parquet file, a
dataset name, a URI) is asked first. It claims local paths with a JSON Lines suffix (see
:data:`steps_agents.corpus.sources.JSONL_SUFFIXES`, missing files included, so the user gets "no such
file") and existing files of any other name whose content starts like JSON Lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import steps_agents
from steps_agents.corpus.sources import JSONL_SUFFIXES, is_uri, looks_like_jsonl, read_jsonl


@steps_agents.hookimpl(trylast=True)
def open_corpus_source(source: str, options: Mapping[str, Any]) -> Iterable[Any] | None:
    if is_uri(source):
        return None
    path = Path(source)
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES) or (path.is_file() and looks_like_jsonl(path)):
        return read_jsonl(path)
    return None
