"""Skill extraction: built-in extractors, auto-detection, batching, empties, normalisation."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import steps_agents
from steps_agents.corpus.extract import (
    ExtractionStats,
    ExtractorOptions,
    RecordError,
    iter_skill_sets,
    normalise_skill,
    normalise_skills,
    record_text,
)
from steps_agents.corpus.lexicon import Lexicon
from steps_agents.errors import InputError, UnknownComponentError
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.registry import get_extractor

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "data" / "example_corpus.jsonl.gz"
EXAMPLE_LEXICON = REPO / "examples" / "data" / "lexicon.toml"


def corpus(tmp_path: Path, records: list[Any], name: str = "c.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def trajectory(*names: str) -> dict[str, Any]:
    calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": "{}"}}
        for i, n in enumerate(names)
    ]
    return {
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Book a table and check the weather."},
            {"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": "c0", "content": "ok"},
            {"role": "assistant", "content": "Done."},
        ]
    }


def skills_of(source: str, extractor: str = "auto", **kw: Any) -> list[list[str]]:
    return [skills for _, _, skills in iter_skill_sets(source, extractor, **kw)]


# -- names and text --------------------------------------------------------------------------


def test_normalisation_keeps_spelling_and_folds_space_and_width() -> None:
    assert normalise_skill("  Code\tGeneration ") == "Code Generation"
    assert normalise_skill("ＳＱＬ") == "SQL"  # full-width letters (NFKC)
    assert normalise_skill("getUserById") == "getUserById"
    assert normalise_skills(["A", "a ", "", "  ", "B", "A"]) == ["A", "a", "B"]


def test_casefold_is_an_opt_in_for_free_text_tags() -> None:
    assert normalise_skill("  Code\tGeneration ", casefold=True) == "code generation"
    assert normalise_skills(["A", "a ", "B"], casefold=True) == ["a", "b"]


def test_tool_names_keep_their_exact_spelling(tmp_path: Path) -> None:
    source = corpus(tmp_path, [trajectory("fillFuelTank", "getUserById", "getuserbyid")])
    assert skills_of(source) == [["fillFuelTank", "getUserById", "getuserbyid"]]
    tagged = corpus(tmp_path, [{"skills": ["Code Generation", "code generation "]}], "t.jsonl")
    assert skills_of(tagged) == [["Code Generation", "code generation"]]
    folded = ExtractorOptions(extra={"casefold": True})
    assert skills_of(tagged, options=folded) == [["code generation"]]
    assert skills_of(source, options=ExtractorOptions(extra={"casefold": "false"})) == [
        ["fillFuelTank", "getUserById", "getuserbyid"]
    ]
    with pytest.raises(InputError, match="casefold must be true or false"):
        skills_of(source, options=ExtractorOptions(extra={"casefold": "maybe"}))


def test_record_text_prefers_instruction_then_prompt_then_user_turns() -> None:
    assert record_text({"instruction": "Do X", "input": "data"}) == "Do X\n\ndata"
    assert record_text({"prompt": "P", "messages": [{"role": "user", "content": "U"}]}) == "P"
    chat = {
        "messages": [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "A"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
        ]
    }
    assert record_text(chat) == "first\n\nsecond"
    assert record_text({"conversations": [{"from": "human", "value": "hi"}]}) == "hi"
    assert record_text({"skills": ["a"]}) == ""


# -- built-in extractors ----------------------------------------------------------------------


def test_tags_reads_skills_and_nested_label_ability(tmp_path: Path) -> None:
    src = corpus(
        tmp_path,
        [
            {"skills": ["Python", "SQL", "python"]},
            {"label": {"ability": ["Math Reasoning", "Coding"]}},
            {"skills": [{"name": "Writing"}], "label": {"ability": ["ignored"]}},
        ],
    )
    exact = [["Python", "SQL", "python"], ["Math Reasoning", "Coding"], ["Writing"]]
    assert skills_of(src, "tags") == exact
    folded = skills_of(src, "tags", options=ExtractorOptions(extra={"casefold": True}))
    assert folded == [["python", "sql"], ["math reasoning", "coding"], ["writing"]]


def test_tags_rejects_non_string_names_with_the_line(tmp_path: Path) -> None:
    src = corpus(tmp_path, [{"skills": ["a"]}, {"skills": ["b", 3]}])
    with pytest.raises(InputError, match=r"c\.jsonl:2: skill names must be strings"):
        skills_of(src, "tags")


def test_tool_calls_are_the_called_function_names(tmp_path: Path) -> None:
    langchain_style = {
        "messages": [
            {"role": "ai", "tool_calls": [{"name": "search", "args": {}, "id": "1"}]},
            {"role": "assistant", "function_call": {"name": "legacy_fn", "arguments": "{}"}},
        ]
    }
    src = corpus(tmp_path, [trajectory("book_table", "get_weather", "book_table"), langchain_style])
    assert skills_of(src, "tool_calls") == [["book_table", "get_weather"], ["search", "legacy_fn"]]
    assert skills_of(src) == skills_of(src, "tool_calls")  # auto picks tool_calls by shape


def test_lexicon_keywords_regexes_and_names(tmp_path: Path) -> None:
    lex = tmp_path / "lex.toml"
    lex.write_text(
        '"SQL" = ["select statement"]\n'
        '"unit testing" = ["pytest", "re:\\\\bassert(ion)?s?\\\\b"]\n'
        '"c++" = []\n'
        '"translation" = ["translate"]\n',
        encoding="utf-8",
    )
    lexicon = Lexicon.load(lex)
    assert lexicon.skills == ("SQL", "unit testing", "c++", "translation")  # names as written
    assert lexicon.match("Write a SELECT   statement and pytest it") == ["SQL", "unit testing"]
    assert lexicon.match("sqlite is not sql-server") == ["SQL"]  # "sql-server": hyphen ends a word
    assert lexicon.match("sqlite only") == []  # keywords never match inside a word
    assert lexicon.match("Port it to C++ with assertions") == ["unit testing", "c++"]
    assert lexicon.match("Translation please") == ["translation"]  # the name is a keyword


def test_lexicon_json_format_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "lex.json"
    good.write_text(json.dumps({"Planning": ["plan"], "email": "e-mail"}), encoding="utf-8")
    assert Lexicon.load(good).match("Plan the e-mail") == ["Planning", "email"]
    bad_regex = tmp_path / "bad.json"
    bad_regex.write_text(json.dumps({"x": ["re:(unclosed"]}), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json: skill 'x': invalid regex"):
        Lexicon.load(bad_regex)
    with pytest.raises(InputError, match="no such lexicon file"):
        Lexicon.load(tmp_path / "missing.toml")
    wrong = tmp_path / "wrong.json"
    wrong.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="expected a non-empty object"):
        Lexicon.load(wrong)


def test_lexicon_extractor_reads_free_text(tmp_path: Path) -> None:
    lex = tmp_path / "lex.json"
    lex.write_text(json.dumps({"sql": [], "poetry": ["poem"]}), encoding="utf-8")
    src = corpus(
        tmp_path,
        [
            {"instruction": "Write a poem"},
            {"prompt": "An SQL question"},
            {"messages": [{"role": "user", "content": "A poem about SQL"}]},
        ],
    )
    options = ExtractorOptions(lexicon=lex)
    expected = [["poetry"], ["sql"], ["sql", "poetry"]]
    assert skills_of(src, "lexicon", options=options) == expected
    assert skills_of(src, options=options) == expected  # auto claims free text given a lexicon


def test_lexicon_recovers_every_tag_of_the_example_corpus() -> None:
    options = ExtractorOptions(lexicon=EXAMPLE_LEXICON, batch_size=256)
    for _, record, skills in iter_skill_sets(str(EXAMPLE), "lexicon", options):
        assert set(skills) == set(record["skills"]), record["instruction"]


def test_explicit_lexicon_needs_the_file(tmp_path: Path) -> None:
    src = corpus(tmp_path, [{"instruction": "x"}])
    with pytest.raises(InputError, match="--lexicon FILE"):
        iter_skill_sets(src, "lexicon")


# -- auto, empties, names ---------------------------------------------------------------------


def test_auto_mixes_shapes_per_record(tmp_path: Path) -> None:
    lex = tmp_path / "lex.json"
    lex.write_text(json.dumps({"poetry": ["poem"]}), encoding="utf-8")
    src = corpus(
        tmp_path,
        [
            {"skills": ["a"]},
            trajectory("f"),
            {"instruction": "a poem"},
            {"label": {"ability": ["b"]}},
        ],
    )
    stats = ExtractionStats()
    got = skills_of(src, options=ExtractorOptions(lexicon=lex), stats=stats)
    assert got == [["a"], ["f"], ["poetry"], ["b"]]
    assert stats.by_extractor == {"tags": 2, "tool_calls": 1, "lexicon": 1}
    assert (stats.records, stats.kept, stats.skipped_empty) == (4, 4, 0)


def test_auto_without_a_matching_extractor_names_the_record(tmp_path: Path) -> None:
    src = corpus(tmp_path, [{"skills": ["a"]}, {"instruction": "free text"}])
    with pytest.raises(InputError) as info:
        skills_of(src)
    message = str(info.value)
    assert message.startswith(f"{src}:2: no extractor recognises this record (keys: instruction)")
    assert "--lexicon FILE" in message


def test_a_record_without_skills_is_an_error_unless_skipped(tmp_path: Path) -> None:
    src = corpus(
        tmp_path, [{"skills": ["a"]}, {"skills": []}, {"skills": ["  "]}, {"skills": ["b"]}]
    )
    with pytest.raises(InputError, match=r"c\.jsonl:2: no skills found by the 'tags' extractor"):
        skills_of(src, "tags")
    with pytest.raises(InputError, match=r"c\.jsonl:2: no skills found by the 'tags' extractor"):
        skills_of(src)  # auto: the record's shape chose tags, so the same rule holds
    stats = ExtractionStats()
    assert skills_of(src, "tags", skip_empty=True, stats=stats) == [["a"], ["b"]]
    assert stats.skipped_empty == 2


def test_explicit_extractor_on_the_wrong_shape_names_the_line(tmp_path: Path) -> None:
    src = corpus(tmp_path, [trajectory("f"), {"skills": ["a"]}])
    with pytest.raises(InputError, match=r"c\.jsonl:2: record has no 'messages' list"):
        skills_of(src, "tool_calls")


def test_unknown_extractor_lists_the_available_ones(tmp_path: Path) -> None:
    src = corpus(tmp_path, [{"skills": ["a"]}])
    with pytest.raises(UnknownComponentError) as info:
        iter_skill_sets(src, "tagz")
    assert "unknown extractor 'tagz'" in str(info.value)
    for name in ("tags", "tool_calls", "lexicon"):
        assert name in str(info.value)


def test_registry_lookup_returns_the_builtin_factories() -> None:
    factory = get_extractor("tags")
    extractor = factory(ExtractorOptions())
    assert extractor.extract_batch([{"skills": ["x"]}]) == [["x"]]


# -- a third-party extractor: batching, priority, record errors -------------------------------


class Shouting:
    """Claims records with a ``shout`` field; records every batch size it is given."""

    name = "shouting"
    auto_priority = 5  # ahead of the built-ins
    batches: list[int] = []

    def __init__(self, options: ExtractorOptions) -> None:
        self.prefix = options.extra.get("prefix", "")

    @staticmethod
    def claims(record: Mapping[str, Any]) -> bool:
        return "shout" in record

    def extract_batch(self, records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
        Shouting.batches.append(len(records))
        for i, r in enumerate(records):
            if r["shout"] == "bad":
                raise RecordError(i, "cannot shout this")
        return [[self.prefix + str(r["shout"]).upper()] for r in records]


class ShoutingPlugin:
    @steps_agents.hookimpl
    def register_skill_extractors(self, register: Any) -> None:
        register(Shouting, name="shouting")


def test_plugin_extractor_batches_and_wins_auto_by_priority(tmp_path: Path) -> None:
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(ShoutingPlugin(),))
    records = [{"shout": f"s{i}", "skills": ["ignored"]} for i in range(5)]
    src = corpus(tmp_path, records)
    Shouting.batches = []
    options = ExtractorOptions(batch_size=2, extra={"prefix": "x-"})
    got = [s for _, _, s in iter_skill_sets(src, "auto", options, pm)]
    assert got == [[f"x-S{i}"] for i in range(5)]  # the plugin's spelling, kept
    assert Shouting.batches == [2, 2, 1]


def test_record_error_points_at_the_right_line(tmp_path: Path) -> None:
    pm = get_plugin_manager(load_entrypoints=False, extra_plugins=(ShoutingPlugin(),))
    src = corpus(tmp_path, [{"shout": "a"}, {"shout": "b"}, {"shout": "bad"}, {"shout": "c"}])
    with pytest.raises(InputError, match=r"c\.jsonl:3: cannot shout this"):
        list(iter_skill_sets(src, "shouting", ExtractorOptions(batch_size=4), pm))


def test_options_validate() -> None:
    with pytest.raises(ValueError):
        ExtractorOptions(batch_size=0)
    assert ExtractorOptions(lexicon="x.toml").lexicon == Path("x.toml")


def test_auto_leaves_free_text_to_a_model_when_one_is_given(tmp_path: Path) -> None:
    lexicon_factory = get_extractor("lexicon")
    assert lexicon_factory.available(ExtractorOptions(lexicon=EXAMPLE_LEXICON))
    assert not lexicon_factory.available(ExtractorOptions(lexicon=EXAMPLE_LEXICON, model="m"))
    assert not lexicon_factory.available(ExtractorOptions())


WORDS = ["sql", "SQL", "c++", "c", "net", ".net", "ß", "poem", "poems", "x-ray", "a b", "über"]


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["alpha", "beta", "gamma", "c++", "delta"]),
        st.lists(st.sampled_from(WORDS + ["re:\\bpo", "re:\\d+"]), max_size=3),
        min_size=1,
    ),
    st.lists(st.sampled_from(WORDS + ["Alpha", "gammas", " ", "-", "42", "\n"]), max_size=12),
)
def test_indexed_lexicon_matching_agrees_with_trying_every_skill(
    vocabulary: dict[str, list[str]], words: list[str]
) -> None:
    lexicon = Lexicon.from_mapping(vocabulary)
    for sep in (" ", "", "-"):
        text = sep.join(words)
        assert lexicon.match(text) == lexicon.match_all(text)


def test_auto_checks_a_given_lexicon_before_reading(tmp_path: Path) -> None:
    src = corpus(tmp_path, [{"skills": ["a"]}])
    with pytest.raises(InputError, match="no such lexicon file"):
        iter_skill_sets(src, options=ExtractorOptions(lexicon=tmp_path / "missing.toml"))
