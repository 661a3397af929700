"""``defer_stragglers``: a draft far slower than the others stops holding its wave; the later
waves are written meanwhile and the straggler's sample comes after them (without the option
the wave waits for it)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from helpers_synthesis import SynthFakeModel, _skills_from, read_jsonl
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.models import ModelClient, ModelOptions
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis.config import SynthConfig


class OneSlowCall(SynthFakeModel):
    """The 20th call (once the median draft time is known) takes ``slow`` seconds, every other
    one ``latency``."""

    slow: float = 1.5
    calls: int = 0
    slow_skills: list[str] = []

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.calls += 1
        if self.calls == 20:
            self.slow_skills = _skills_from("\n".join(str(m.content) for m in messages))
            await asyncio.sleep(self.slow)
        return await super()._agenerate(messages, stop, run_manager, **kw)


def _run(tmp_path: Path, defer: float | None) -> tuple[list[dict[str, Any]], list[str]]:
    fake = OneSlowCall(latency=0.01)
    client = ModelClient.from_model(
        fake, options=ModelOptions(concurrency=4, max_retries=0, backoff=0.0), spec="fake-slow"
    )
    config = SynthConfig(
        n=40,
        k=(2, 3),
        output=tmp_path / "out.jsonl",
        run_id="straggle",
        judges=["format"],
        concurrency=4,
        wave_size=8,
        defer_stragglers=defer,
    )
    report = run_synthesis(
        config, model=client, taxonomy=random_taxonomy(30, height=2, seed=1), progress=False
    )
    assert report.accepted == 40 and fake.slow_skills
    return read_jsonl(tmp_path / "out.jsonl"), fake.slow_skills


@pytest.mark.parametrize("defer", [None, 3.0])
def test_a_deferred_straggler_lets_later_waves_be_written_first(
    tmp_path: Path, defer: float | None
) -> None:
    rows, slow = _run(tmp_path, defer)
    waves = [int(r["metadata"]["wave"]) for r in rows]
    at = [i for i, r in enumerate(rows) if sorted(r["metadata"]["skills"]) == sorted(slow)]
    if defer is None:  # its wave waited for it: written in wave order
        assert len(at) == 1 and waves == sorted(waves)
    else:  # written after samples of later waves, or not needed at all (the target was met)
        assert not at or max(waves[: at[0]], default=0) > waves[at[0]]
