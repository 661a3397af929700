"""Corpus input: JSONL plain and gzipped, streamed, file:line errors, the source hook, the example."""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import steps_agents
from steps_agents.corpus.sources import open_corpus, read_jsonl
from steps_agents.errors import InputError
from steps_agents.plugin_manager import get_plugin_manager

REPO = Path(__file__).resolve().parents[1]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_plain_jsonl_yields_records_with_file_line_locations(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "c.jsonl", ['{"skills": ["a"]}', "", '  {"skills": ["b"]}  '])
    got = list(read_jsonl(path))
    assert got == [(f"{path}:1", {"skills": ["a"]}), (f"{path}:3", {"skills": ["b"]})]


def test_gzip_is_detected_by_content_not_suffix(tmp_path: Path) -> None:
    raw = b'\xef\xbb\xbf{"id": 1}\n{"id": 2}\n'  # with a UTF-8 byte order mark
    for name in ("c.jsonl.gz", "c.jsonl"):
        path = tmp_path / name
        path.write_bytes(gzip.compress(raw))
        assert [r["id"] for _, r in read_jsonl(path)] == [1, 2]


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "c.jsonl", ['{"skills": ["a"]}', "{not json", '{"x": 1}'])
    stream = read_jsonl(path)
    assert next(stream)[1] == {"skills": ["a"]}  # records before the bad line are served
    with pytest.raises(InputError) as info:
        next(stream)
    assert str(info.value).startswith(f"{path}:2: invalid JSON")


def test_a_line_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "c.jsonl", ["[1, 2]"])
    with pytest.raises(InputError, match=r"c\.jsonl:1: expected a JSON object per line, got list"):
        list(read_jsonl(path))


def test_bytes_that_are_not_utf8_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "\xff"}\n')
    with pytest.raises(InputError, match="not valid UTF-8"):
        list(read_jsonl(path))


def test_missing_file_fails_at_open_time(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such corpus file"):
        read_jsonl(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="no such corpus file"):
        open_corpus(str(tmp_path / "nope.parquet"))


def test_empty_corpus_is_an_error(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "c.jsonl", ["", "   "])
    with pytest.raises(InputError, match="the corpus is empty"):
        list(open_corpus(str(path)))


def test_reading_is_lazy(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "c.jsonl", [json.dumps({"i": i}) for i in range(1000)])
    stream = open_corpus(str(path))
    assert next(stream)[1] == {"i": 0}  # nothing forces the rest of the file to be parsed


def test_unknown_file_type_and_uri_are_refused_with_a_hint(tmp_path: Path) -> None:
    other = tmp_path / "data.bin"
    other.write_bytes(b"PAR1....")
    with pytest.raises(InputError, match="no corpus source plugin recognises"):
        open_corpus(str(other))
    with pytest.raises(InputError, match="no corpus source plugin recognises"):
        open_corpus("hf://datasets/x")


def test_jsonl_content_without_suffix_is_claimed(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "corpus.txt", ['{"skills": ["a"]}'])
    assert [r for _, r in open_corpus(str(path))] == [{"skills": ["a"]}]


class MemorySource:
    """A plugin claiming mem:// sources (and, to prove precedence, also .jsonl paths)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @steps_agents.hookimpl
    def open_corpus_source(self, source: str, options: Mapping[str, Any]) -> Iterator[Any] | None:
        self.asked.append(source)
        if source.startswith("mem://") or source.endswith("special.jsonl"):
            return iter([("mem:1", {"skills": ["x"]}), ("mem:2", {"skills": ["y"]})])
        return None


def test_a_plugin_source_wins_over_the_builtin_fallback(tmp_path: Path) -> None:
    plugin = MemorySource()
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(plugin,))
    assert [loc for loc, _ in open_corpus("mem://corpus", pm=pm)] == ["mem:1", "mem:2"]
    special = write_lines(tmp_path / "special.jsonl", ['{"skills": ["z"]}'])
    assert [loc for loc, _ in open_corpus(str(special), pm=pm)] == ["mem:1", "mem:2"]
    plain = write_lines(tmp_path / "plain.jsonl", ['{"skills": ["z"]}'])
    assert [r for _, r in open_corpus(str(plain), pm=pm)] == [{"skills": ["z"]}]
    assert plugin.asked[-1] == str(plain)  # asked first, declined, fallback read it


def _load_example_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_example_corpus", REPO / "examples" / "make_example_corpus.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_corpus_regenerates_byte_for_byte(tmp_path: Path) -> None:
    script = _load_example_script()
    out, lexicon = tmp_path / "corpus.jsonl.gz", tmp_path / "lexicon.toml"
    assert script.main(["--out", str(out), "--lexicon", str(lexicon)]) == 0
    committed = REPO / "examples" / "data" / "example_corpus.jsonl.gz"
    # The JSONL bytes must match exactly. The gzip container is not compared: its bytes also
    # depend on the zlib build (zlib-ng, for one, compresses differently at the same level).
    assert gzip.decompress(out.read_bytes()) == gzip.decompress(committed.read_bytes())
    assert lexicon.read_text() == (REPO / "examples" / "data" / "lexicon.toml").read_text()


def test_example_corpus_has_the_documented_shape() -> None:
    path = REPO / "examples" / "data" / "example_corpus.jsonl.gz"
    records = [r for _, r in read_jsonl(path)]
    assert 3000 <= len(records) <= 6000
    assert all(set(r) == {"id", "instruction", "skills"} for r in records)
    assert len({r["id"] for r in records}) == len(records)
    skills = {s for r in records for s in r["skills"]}
    assert 60 <= len(skills) <= 120
    sizes = [len(r["skills"]) for r in records]
    assert min(sizes) == 1 and max(sizes) == 5
    assert sum(size <= 2 for size in sizes) > len(sizes) / 2  # mostly small combinations


def test_a_json_array_file_gets_a_hint(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "c.json", ["[", '  {"skills": ["a"]}', "]"])
    with pytest.raises(InputError, match=r"c\.json:1: invalid JSON .*looks like a JSON array"):
        list(read_jsonl(path))


def test_a_pretty_printed_file_gets_a_hint_naming_the_otel_source(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "spans.json", ["{", '  "name": "execute_tool f"', "}"])
    with pytest.raises(InputError, match=r"spans\.json:1: .*pretty-printed JSON.*otel:FILE"):
        list(read_jsonl(path))


def test_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"a": 1}\r\n\r\n{"a": 2}\r\n')
    assert [(loc, r["a"]) for loc, r in read_jsonl(path)] == [(f"{path}:1", 1), (f"{path}:3", 2)]
