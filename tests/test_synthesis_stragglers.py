"""A straggler holds only its own slot: while one draft takes long, the items queued after it
are generated and judged, and the samples written are those of a run without the slow call
(they are committed in queue order, whatever order the drafts finished in). Once the commit
order has waited for it a few median item times, the slow item is run a second time and the
first answer wins: the same samples again."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from typing import Any

import pytest
from helpers_synthesis import SynthFakeModel, read_jsonl
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from steps_agents.graphs.synthesis import run_synthesis

from steps_agents.models import ModelClient, ModelOptions
from steps_agents.selection.synthetic import random_taxonomy
from steps_agents.synthesis import pipeline
from steps_agents.synthesis.config import SynthConfig


class OneSlowCall(SynthFakeModel):
    """Call number ``slow_call`` takes ``slow`` seconds, every other one ``latency``; records
    when each call started, and when the slow one ended and whether it was cancelled."""

    slow: float = 1.5
    slow_call: int = 12
    calls: int = 0
    started: list[float] = []
    slow_window: tuple[float, float] = (0.0, 0.0)
    slow_cancelled: bool = False

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.calls += 1
        begun = time.monotonic()
        self.started.append(begun)
        if self.calls == self.slow_call:
            try:
                await asyncio.sleep(self.slow)
            except asyncio.CancelledError:
                self.slow_cancelled = True
                raise
            finally:
                self.slow_window = (begun, time.monotonic())
        return await super()._agenerate(messages, stop, run_manager, **kw)


def _run(folder: Path, slow: float) -> tuple[list[Any], OneSlowCall]:
    folder.mkdir()
    fake = OneSlowCall(latency=0.01, slow=slow, started=[])
    client = ModelClient.from_model(
        fake, options=ModelOptions(concurrency=4, max_retries=0, backoff=0.0), spec="fake-slow"
    )
    config = SynthConfig(
        n=40,
        k=(2, 3),
        output=folder / "out.jsonl",
        run_id="straggle",
        judges=["format"],
        concurrency=4,
        wave_size=8,
    )
    report = run_synthesis(
        config, model=client, taxonomy=random_taxonomy(30, height=2, seed=1), progress=False
    )
    assert report.accepted == 40
    rows = read_jsonl(folder / "out.jsonl")
    return [(r["id"], r["messages"]) for r in rows], fake


def test_a_straggler_holds_only_its_slot_and_changes_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "HEDGE_AFTER", math.inf)  # no second run: it waits it out
    slowed, fake = _run(tmp_path / "slow", slow=1.5)
    plain, _ = _run(tmp_path / "fast", slow=0.0)
    assert slowed == plain  # same samples, in the same (queue) order
    assert not fake.slow_cancelled
    begun, ended = fake.slow_window
    during = [t for t in fake.started if begun < t < ended]
    # The other 3 slots went on: the rest of the run (about 40 calls of 10 ms) started while the
    # slow call was out, instead of waiting for it at a wave's end.
    assert len(during) >= 20, f"only {len(during)} calls started during the slow one"


def test_a_straggler_at_the_head_of_the_queue_is_run_again_and_the_samples_stay(
    tmp_path: Path,
) -> None:
    slowed, fake = _run(tmp_path / "slow", slow=30.0)  # would hold the run for 30 s
    plain, _ = _run(tmp_path / "fast", slow=0.0)
    assert slowed == plain
    assert fake.slow_cancelled  # the second run answered first; the slow call was dropped
