"""What a run accepts does not depend on which draft finished first (issue 11, exact resume).

The fake model below writes one of only four texts, so most drafts are near-duplicates of each
other and the ``dedup`` judge (its ``observe`` taken by the writer, in item order) decides a lot;
each call waits a random time drawn from ``timing_seed``. Two runs with the same seed and
different timings must write the same samples and the same rejects.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from helpers_synthesis import SynthFakeModel, read_jsonl
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.models import ModelClient, ModelOptions
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.config import SynthConfig

VARIANTS = [
    "please help me plan the quarterly budget review for the sales team this month",
    "write a short summary of the river city garden project report for the school",
    "sort the customer order table by date and count the rows of each week",
    "check the test error in the graph path score file and explain the failing case",
]


class FewTexts(SynthFakeModel):
    """Answers one of four conversations (chosen by the prompt), after a random delay."""

    timing_seed: int = 0
    _rng: Any = None

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        if self._rng is None:
            self._rng = random.Random(self.timing_seed)
        await asyncio.sleep(self._rng.uniform(0.0, 0.03))
        text = "\n".join(str(m.content) for m in messages)
        pick = int(hashlib.sha1(text.encode()).hexdigest(), 16) % len(VARIANTS)
        draft = {
            "scenario": "work",
            "messages": [
                {"role": "user", "content": VARIANTS[pick]},
                {"role": "assistant", "content": "Here is how: " + VARIANTS[pick]},
            ],
        }
        message = AIMessage(content=json.dumps(draft))
        return ChatResult(generations=[ChatGeneration(message=message)])


def _run(folder: Path, timing_seed: int) -> tuple[list[Any], list[Any]]:
    client = ModelClient.from_model(
        FewTexts(timing_seed=timing_seed),
        options=ModelOptions(concurrency=4, max_retries=0, backoff=0.0),
        spec="fake-few",
    )
    config = SynthConfig(
        n=4,
        k=(2, 3),
        output=folder / "out.jsonl",
        run_id="order",
        judges=["format", "dedup"],
        concurrency=4,
        wave_size=8,
        max_revisions=1,
    )
    run_synthesis(
        config, model=client, taxonomy=random_taxonomy(30, height=2, seed=4), progress=False
    )
    kept = read_jsonl(folder / "out.jsonl")
    rejects = read_jsonl(folder / "out.rejects.jsonl")
    return [(r["id"], r["messages"]) for r in kept], sorted((r["id"], r["reason"]) for r in rejects)


def test_accepted_samples_do_not_depend_on_the_order_drafts_finish(tmp_path: Path) -> None:
    runs = []
    for timing_seed in (1, 2, 3):
        folder = tmp_path / str(timing_seed)
        folder.mkdir()
        runs.append(_run(folder, timing_seed))
    first = runs[0]
    assert len(first[0]) == 4 and any("near-duplicate" in why for _, why in first[1])
    assert all(run == first for run in runs[1:])
