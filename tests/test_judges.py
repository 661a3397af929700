"""The built-in judges: format/schema, language, coverage, near-duplicates, rubric."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from helpers_synthesis import SynthFakeModel
from steps_agents.plugins.instruct_mode import InstructMode
from steps_agents.plugins.judges import (
    CoverageJudge,
    DedupJudge,
    FormatJudge,
    LanguageJudge,
    RubricJudge,
)

from steps_agents.models import ModelClient, ModelOptions
from steps_agents.records import Combination, Verdict
from steps_agents.registry import available
from steps_agents.synthesis.dedup import MinHashIndex, shingles
from steps_agents.synthesis.judge_protocol import JudgeContext, JudgeInput
from steps_agents.synthesis.language import detect_language
from steps_agents.synthesis.modes import WorkItem

ENGLISH = (
    "Could you help me clean this table of customer orders and then plot the monthly trend? "
    "I have the data in a CSV file and I would like the totals for each city as well."
)


def sample(
    user: str = ENGLISH,
    assistant: str = "Sure, here is how you can do it step by step.",
    skills: tuple[str, ...] = ("csv parsing", "plotting"),
    item_id: str = "x",
) -> JudgeInput:
    combo = Combination(skills=skills, k=len(skills), gain=1.0, selector="steps")
    item = WorkItem(id=item_id, mode="instruct", combination=combo)
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return JudgeInput(item=item, draft={"messages": messages}, messages=messages)


def run(judge: Any, s: JudgeInput, ctx: JudgeContext | None = None) -> Verdict | None:
    return asyncio.run(judge.judge(s, ctx or JudgeContext(mode=InstructMode())))


def test_all_builtin_judges_are_registered() -> None:
    assert {"format", "language", "coverage", "dedup", "rubric"} <= set(available("judge"))


def test_format_checks_roles_emptiness_order_and_the_mode_schema() -> None:
    assert run(FormatJudge(), sample()).passed is True  # type: ignore[union-attr]
    bad = sample()
    object.__setattr__(bad, "messages", [{"role": "assistant", "content": ""}])
    verdict = run(FormatJudge(), bad)
    assert verdict is not None and verdict.passed is False
    assert "need at least 2" in verdict.reason and "message 0 is empty" in verdict.reason
    assert "first non-system message is not from the user" in verdict.reason
    broken_draft = JudgeInput(
        item=sample().item, draft={"messages": []}, messages=sample().messages
    )
    verdict = run(FormatJudge(), broken_draft)
    assert verdict is not None and verdict.passed is False and verdict.reason.startswith("schema:")
    assert run(FormatJudge({"max_chars": 20}), sample()).passed is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (ENGLISH, "en"),
        (
            "Pourriez-vous m'aider à nettoyer ce tableau des commandes et à tracer la tendance pour"
            " chaque ville avec les totaux du mois dans le fichier?",
            "fr",
        ),
        (
            "Können Sie mir helfen, diese Tabelle der Bestellungen zu bereinigen und den Trend"
            " für jede Stadt mit den Summen darzustellen? Ich habe die Daten in einer Datei.",
            "de",
        ),
        (
            "¿Puedes ayudarme a limpiar esta tabla de pedidos de los clientes y trazar la tendencia"
            " mensual para cada ciudad con los totales? Tengo los datos en un archivo.",
            "es",
        ),
        ("请帮我清理这张客户订单表，然后绘制每个城市的月度趋势图，并计算每个城市的总额。", "zh"),
        ("この顧客注文の表を整理して、各都市の月ごとの傾向をグラフにしてください。", "ja"),
        (
            "Помогите мне очистить эту таблицу заказов и построить месячный тренд для каждого города.",
            "ru",
        ),
    ],
)
def test_language_detector(text: str, language: str) -> None:
    found = detect_language(text)
    assert found is not None and found.language == language


def test_language_detector_abstains_on_little_text_and_ignores_code() -> None:
    assert detect_language("ok") is None
    code = "```python\nfor row in rows:\n    print(row)\n```\n" * 5
    assert (
        detect_language(code + "Voici le code pour la table et les données de la ville.").language
        == "fr"
    )  # type: ignore[union-attr]


def test_language_judge_fails_other_languages_and_abstains_when_unsure() -> None:
    french = sample(
        user="Pourriez-vous m'aider à nettoyer ce tableau des commandes et à tracer"
        " la tendance pour chaque ville avec les totaux du mois?",
        assistant="Bien sûr, voici comment faire pour la table et les données.",
    )
    verdict = run(LanguageJudge(), french)
    assert verdict is not None and verdict.passed is False
    assert verdict.reason == "written in fr, expected en"
    assert run(LanguageJudge({"language": "fr"}), french).passed is True  # type: ignore[union-attr]
    assert run(LanguageJudge(), sample(user="1 2 3", assistant="4 5 6")) is None


def test_coverage_by_model_reports_missing_skills(tmp_path: Path) -> None:
    class HalfCoverage(SynthFakeModel):
        def _answer(self, messages: Any) -> str:
            return json.dumps(
                {
                    "skills": [
                        {"skill": "csv parsing", "exercised": True},
                        {"skill": "plotting", "exercised": False},
                    ]
                }
            )

    client = ModelClient.from_model(
        HalfCoverage(), options=ModelOptions(max_retries=0), spec="half"
    )
    ctx = JudgeContext(model=client, mode=InstructMode())
    verdict = run(CoverageJudge(), sample(), ctx)
    assert verdict is not None and verdict.passed is False
    assert verdict.reason == "skills not exercised: plotting" and verdict.score == 0.5
    assert run(CoverageJudge({"min_coverage": 0.5}), sample(), ctx).passed is True  # type: ignore[union-attr]
    assert run(CoverageJudge(), sample()) is None  # no model, no extractor: abstain


def test_coverage_through_an_extractor(tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.toml"
    lexicon.write_text('"csv parsing" = ["csv", "table"]\n"plotting" = ["plot", "chart"]\n')
    judge = CoverageJudge({"extractor": "lexicon", "lexicon": str(lexicon)})
    verdict = run(judge, sample())
    assert verdict is not None, "the lexicon extractor should decide"
    assert verdict.details["method"] == "extractor"
    assert verdict.passed is True, verdict.reason
    unplotted = sample(user="Please parse this CSV table of orders and total it by city.")
    verdict = run(judge, unplotted)
    assert verdict is not None and verdict.passed is False
    assert verdict.details["missing"] == ["plotting"]


def test_minhash_estimates_jaccard_and_finds_near_duplicates() -> None:
    a = "the quick brown fox jumps over the lazy dog near the quiet river bank this morning"
    b = a.replace("morning", "evening")
    index = MinHashIndex(num_perm=128, bands=32)
    index.add("a", a)
    true = len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))
    match = index.nearest(b)
    assert match is not None and match[0] == "a" and abs(match[1] - true) < 0.15
    assert (
        index.nearest("an entirely different sentence about sorting lists in python code") is None
    )
    assert index.nearest(a, exclude="a") is None


def test_dedup_judge_against_the_run_and_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "c1", "instruction": ENGLISH, "skills": ["x"]}) + "\n")
    ctx = JudgeContext(mode=InstructMode(), corpus=str(corpus))
    judge = DedupJudge()
    verdict = run(judge, sample(), ctx)
    assert verdict is not None and verdict.passed is False
    assert "near-duplicate of corpus:" in verdict.reason
    fresh = sample(
        user="Write a haiku about autumn leaves falling on a quiet mountain temple path",
        item_id="y",
    )
    assert run(judge, fresh, ctx).passed is True  # type: ignore[union-attr]
    judge.observe(fresh)
    again = sample(user=fresh.texts("user")[0], item_id="z")
    verdict = run(judge, again, ctx)
    assert verdict is not None and verdict.passed is False and "run:y" in verdict.reason
    assert run(judge, fresh, ctx).passed is True  # type: ignore[union-attr]  # never itself


def test_rubric_judge_scores_with_a_rationale() -> None:
    client = ModelClient.from_model(
        SynthFakeModel(), options=ModelOptions(max_retries=0), spec="fake"
    )
    verdict = run(RubricJudge(), sample(), JudgeContext(model=client, mode=InstructMode()))
    assert verdict is not None and verdict.passed is True and verdict.score == 8.0
    strict = run(
        RubricJudge({"min_score": 9}), sample(), JudgeContext(model=client, mode=InstructMode())
    )
    assert strict is not None and strict.passed is False and strict.reason.startswith("score 8/10")
    assert run(RubricJudge(), sample()) is None


def test_dedup_observe_rejects_a_draft_duplicated_while_it_was_judged() -> None:
    judge = DedupJudge({"corpus": False})
    ctx = JudgeContext(mode=InstructMode())
    first = sample(user="Plan a three day hiking trip in the alps with a budget table", item_id="a")
    twin = sample(user="Plan a three day hiking trip in the alps with a budget table", item_id="b")
    # Both judged before either is accepted (concurrent branches of one superstep) ...
    assert run(judge, first, ctx).passed is True  # type: ignore[union-attr]
    assert run(judge, twin, ctx).passed is True  # type: ignore[union-attr]
    # ... then confirmed one at a time: the second is caught.
    assert judge.observe(first) is None
    late = judge.observe(twin)
    assert late is not None and late.passed is False and "run:a" in late.reason
