"""The ``llm`` extractor on a fake chat model: skills from free text, cached, vocabulary-bound."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from steps_agents.plugins.llm_extractor import LLMExtractor

from steps_agents.corpus.extract import ExtractorOptions, RecordError
from steps_agents.errors import InputError
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.registry import get_extractor

KEYWORDS = {"sql": "SQL Querying", "plot": "Data Visualisation", "test": "unit testing"}
CALLS = {"n": 0}
_LOCK = threading.Lock()


class KeywordModel(BaseChatModel):
    """Names a skill for each keyword in the text, plus one off-vocabulary skill; 'garbage'
    in the text makes it answer prose instead of JSON."""

    @property
    def _llm_type(self) -> str:
        return "keyword-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        with _LOCK:
            CALLS["n"] += 1
        text = next(m.content for m in messages if isinstance(m, HumanMessage))  # the task
        if "garbage" in str(text):
            answer = "I would rather not say."
        else:
            found = [skill for key, skill in KEYWORDS.items() if key in str(text).lower()]
            answer = json.dumps({"skills": [*found, "Reading Comprehension", " sql  querying "]})
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=answer))])


def make_keyword_model() -> KeywordModel:
    return KeywordModel()


RECORDS = [
    {"instruction": "Write a SQL query and a test for it"},
    {"prompt": "Plot the sales by month"},
    {
        "messages": [
            {"role": "system", "content": "x"},
            {"role": "user", "content": "Test the plot code"},
        ]
    },
]


def options(tmp_path: Path, **kw: Any) -> ExtractorOptions:
    return ExtractorOptions(
        model="test_llm_extractor:make_keyword_model",
        cache_path=tmp_path / "llm-cache.sqlite",
        extra={"max_retries": 1, "backoff": 0.0, **kw.pop("extra", {})},
        **kw,
    )


def test_extracts_normalised_skills_per_record(tmp_path: Path) -> None:
    CALLS["n"] = 0
    extractor = LLMExtractor(options(tmp_path))
    got = extractor.extract_batch(RECORDS)
    assert got == [
        ["sql querying", "unit testing", "reading comprehension"],
        ["data visualisation", "reading comprehension", "sql querying"],
        ["data visualisation", "unit testing", "reading comprehension", "sql querying"],
    ]
    assert CALLS["n"] == 3 and extractor.usage.calls == 3
    extractor.close()


def test_a_rerun_hits_the_cache_for_every_record(tmp_path: Path) -> None:
    first = LLMExtractor(options(tmp_path))
    expected = first.extract_batch(RECORDS)
    first.close()
    CALLS["n"] = 0
    second = LLMExtractor(options(tmp_path, batch_size=1))  # batching does not change the keys
    assert [second.extract_batch([r])[0] for r in RECORDS] == expected
    assert CALLS["n"] == 0 and second.usage.cache_hits == 3
    second.close()


def test_lexicon_constrains_the_answer(tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.json"
    lexicon.write_text(json.dumps({"SQL querying": ["sql"], "unit testing": []}))
    extractor = LLMExtractor(options(tmp_path, lexicon=lexicon))
    assert "Use only skills from this list" in str(extractor.system.content)
    assert "SQL querying, unit testing" in str(extractor.system.content)
    # The model's answers are matched ignoring case and kept in the vocabulary's spelling.
    assert extractor.extract_batch(RECORDS) == [
        ["SQL querying", "unit testing"],
        ["SQL querying"],
        ["unit testing", "SQL querying"],
    ]
    extractor.close()


def test_malformed_answers_become_record_errors(tmp_path: Path) -> None:
    extractor = LLMExtractor(options(tmp_path))
    with pytest.raises(RecordError) as info:
        extractor.extract_batch([RECORDS[0], {"instruction": "garbage in"}])
    assert info.value.index == 1 and "ExtractedSkills" in str(info.value)
    with pytest.raises(RecordError, match="no free text") as empty:
        extractor.extract_batch([RECORDS[0], {"skills": ["x"]}])
    assert empty.value.index == 1
    extractor.close()


def test_registered_claims_and_needs_a_model(tmp_path: Path) -> None:
    factory = get_extractor("llm", get_plugin_manager(load_entrypoints=False))
    assert factory is LLMExtractor and factory.auto_priority == 40
    assert factory.claims(RECORDS[1]) and not factory.claims({"skills": ["a"]})
    assert not factory.available(ExtractorOptions()) and factory.available(options(tmp_path))
    with pytest.raises(InputError, match="--model SPEC"):
        LLMExtractor(ExtractorOptions())


def test_through_the_extraction_pipeline(tmp_path: Path) -> None:
    from steps_agents.corpus.extract import iter_skill_sets

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    found = list(iter_skill_sets(str(corpus), "llm", options(tmp_path)))
    assert [loc for loc, _, _ in found] == [f"{corpus}:{i}" for i in (1, 2, 3)]
    assert found[1][2] == ["data visualisation", "reading comprehension", "sql querying"]


def test_identical_texts_in_a_batch_cost_one_call(tmp_path: Path) -> None:
    CALLS["n"] = 0
    extractor = LLMExtractor(options(tmp_path))
    same = {"instruction": "Plot a chart and test it"}
    got = extractor.extract_batch([same, RECORDS[0], same, dict(same)])
    assert got[0] == got[2] == got[3] and got[0] is not got[2]
    assert CALLS["n"] == 2
    extractor.close()


def test_model_answers_are_casefolded_unless_told_not_to(tmp_path: Path) -> None:
    folding = LLMExtractor(options(tmp_path))
    assert folding._keep(["SQL  Querying", "sql querying", "Unit testing"]) == [
        "sql querying",
        "unit testing",
    ]
    folding.close()
    keeping = LLMExtractor(options(tmp_path, extra={"casefold": False}))
    assert keeping._keep(["SQL  Querying", "sql querying"]) == ["SQL Querying", "sql querying"]
    keeping.close()
