"""The ``language`` judge reads the prose of a sample, not its world data.

An agentic k = 1 task of the toolworld ("Tell me the orders of "Ana Haddad"") has a short
English instruction, a tool result and a JSON answer full of customer names: read whole, the
detector called two of the quickstart's k = 1 tasks Portuguese and the critic rejected them,
leaving their skills without a k = 1 task (13 k >= 2 tasks out of the compositional gap).
"""

from __future__ import annotations

import asyncio
import json

from steps_agents.plugins.judges import LanguageJudge

from steps_agents.records import Combination
from steps_agents.synthesis.judge_protocol import JudgeContext, JudgeInput
from steps_agents.synthesis.modes import WorkItem

ORDERS = [
    {"id": "O-1003", "customer": "Goran Moreau", "total": 703.25},
    {"id": "O-1004", "customer": "Fatima Sato", "total": 80.1},
    {"id": "O-1006", "customer": "Dara Ortiz", "total": 528.44},
    {"id": "O-1007", "customer": "Dara Ortiz", "total": 41.0},
]


def _sample(user: str, answer: str) -> JudgeInput:
    combination = Combination(skills=("orders_list",), k=1, gain=0.0, selector="t")
    item = WorkItem(id="x", mode="agentic", combination=combination)
    call = {"id": "c1", "type": "function", "function": {"name": "orders_list", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": user},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps(ORDERS)},
        {"role": "assistant", "content": answer},
    ]
    return JudgeInput(item=item, draft={}, messages=messages)


def _verdict(sample: JudgeInput, language: str = "en") -> object:
    return asyncio.run(LanguageJudge({"language": language}).judge(sample, JudgeContext()))


def test_tool_results_and_json_answers_are_not_read_as_prose() -> None:
    sample = _sample(
        'I need to know the "pending" orders. Reply with a JSON list only.', json.dumps(ORDERS)
    )
    verdict = _verdict(sample)
    assert verdict is not None and verdict.passed is True  # type: ignore[attr-defined]


def test_prose_in_another_language_still_fails() -> None:
    sample = _sample(
        "Pourriez-vous me donner la liste des commandes en attente pour chaque client, s'il"
        " vous plaît, avec les totaux du mois?",
        "Voici la liste des commandes en attente pour chaque client avec les totaux.",
    )
    verdict = _verdict(sample)
    assert verdict is not None and verdict.passed is False  # type: ignore[attr-defined]
