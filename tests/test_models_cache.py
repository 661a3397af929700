"""The response cache: hits cost no model call, keys separate what should differ, and answers
survive a SIGKILL and are shared between processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel
from test_models_fakes import ScriptedChatModel

from steps_agents.errors import ModelOutputError
from steps_agents.models import ModelClient, ModelOptions, ResponseCache, cache_key


class Answer(BaseModel):
    text: str
    score: int


def make(tmp_path: Path, script: list[Any], **kw: Any) -> tuple[ScriptedChatModel, ModelClient]:
    model = ScriptedChatModel(script=script)
    settings = {k: kw.pop(k) for k in list(kw) if k in ModelOptions.model_fields}
    options = ModelOptions(**{"backoff": 0.0, **settings})
    return model, ModelClient.from_model(
        model, spec="scripted", options=options, cache_path=tmp_path / "c.sqlite", **kw
    )


def ask(client: ModelClient, text: str = "q", **kw: Any) -> Any:
    return asyncio.run(client.ainvoke([HumanMessage(content=text)], **kw))


def test_second_identical_call_is_a_cache_hit(tmp_path: Path) -> None:
    model, client = make(tmp_path, ["the answer is 42"])
    first = ask(client)
    second = ask(client)
    assert model.calls == 1
    assert second.content == first.content == "the answer is 42"
    assert second.usage_metadata == first.usage_metadata  # the message comes back whole
    assert (client.usage.calls, client.usage.cache_hits) == (1, 1)
    assert client.usage.output_tokens == 4  # a hit spends no tokens
    client.close()


def test_a_rerun_in_a_new_client_spends_nothing(tmp_path: Path) -> None:
    model, client = make(tmp_path, ['{"text": "hi", "score": 3}'])
    assert ask(client, schema=Answer) == Answer(text="hi", score=3)
    client.close()
    rerun_model, rerun = make(tmp_path, [RuntimeError("must not be called")])
    assert ask(rerun, schema=Answer) == Answer(text="hi", score=3)
    assert rerun_model.calls == 0 and rerun.usage.calls == 0 and rerun.usage.cache_hits == 1
    rerun.close()


def test_what_differs_gets_its_own_entry(tmp_path: Path) -> None:
    model, client = make(tmp_path, ['{"text": "a", "score": 1}'])
    ask(client, schema=Answer)
    ask(client, schema=Answer, cache_key_extra="sample-2")  # same prompt, a second sample
    ask(client, "another prompt", schema=Answer)
    ask(client)  # no schema: a plain answer is a different request
    ask(client, stop=["\n"])  # call parameters are part of the key
    assert model.calls == 5 and client.usage.cache_hits == 0
    ask(client, schema=Answer, cache_key_extra="sample-2")
    assert model.calls == 5 and client.usage.cache_hits == 1
    client.close()


def test_temperature_is_part_of_the_key(tmp_path: Path) -> None:
    model, cold = make(tmp_path, ["x"], key_params={"temperature": 0.0})
    ask(cold)
    cold.close()
    model2, hot = make(tmp_path, ["y"], key_params={"temperature": 0.9})
    assert ask(hot).content == "y" and model2.calls == 1
    hot.close()


def test_failed_calls_are_not_cached(tmp_path: Path) -> None:
    model, client = make(tmp_path, ['{"text": 1}'], max_retries=0)
    with pytest.raises(ModelOutputError):
        ask(client, schema=Answer)
    assert client.cache is not None and len(client.cache) == 0
    client.close()


def test_cache_key_ignores_message_ids_but_not_content() -> None:
    a = [SystemMessage(content="s", id="1"), HumanMessage(content="h", id="2")]
    b = [SystemMessage(content="s", id="9"), HumanMessage(content="h")]
    c = [SystemMessage(content="s"), HumanMessage(content="H")]
    assert cache_key("m", a) == cache_key("m", b) != cache_key("m", c)
    assert cache_key("m", a) != cache_key("other", a)
    tool = AIMessage(content="", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "t1"}])
    assert cache_key("m", [tool]) != cache_key("m", [AIMessage(content="")])
    assert len(cache_key("m", a)) == 64


_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from steps_agents.models.cache import CachedResponse, ResponseCache
    cache = ResponseCache(sys.argv[1])
    for i in range(int(sys.argv[2])):
        cache.put(f"key-{i}", "spec", CachedResponse(f"body-{i}", i, 2 * i))
    os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit: the harshest end
    """
)


def test_answers_survive_sigkill_and_are_shared_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    reader = ResponseCache(path)  # open first: a concurrent reader must not block the writer
    result = subprocess.run(
        [sys.executable, "-c", _WRITER, str(path), "50"], capture_output=True, timeout=60
    )
    assert result.returncode == -signal.SIGKILL
    assert len(reader) == 50
    hit = reader.get("key-49")
    assert hit is not None and (hit.body, hit.input_tokens, hit.output_tokens) == (
        "body-49",
        49,
        98,
    )
    reader.close()
    assert os.path.exists(path)
    reopened = ResponseCache(path)
    assert reopened.get("key-0") is not None and reopened.get("missing") is None
    reopened.close()


_RUN = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    sys.path.insert(0, sys.argv[3])
    from langchain_core.messages import HumanMessage
    from steps_agents.models import ModelClient, ModelOptions
    from test_models_fakes import ScriptedChatModel

    model = ScriptedChatModel(script=['{"text": "t", "score": 1}'])
    client = ModelClient.from_model(model, spec="scripted", cache_path=sys.argv[1])
    kill_after = int(sys.argv[2])

    class Answer(__import__("pydantic").BaseModel):
        text: str
        score: int

    async def main():
        for i in range(20):
            await client.ainvoke([HumanMessage(content=f"item {i}")], schema=Answer)
            if model.calls == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        print(model.calls, client.usage.cache_hits)

    asyncio.run(main())
    """
)


def test_a_killed_run_resumed_repeats_no_finished_call(tmp_path: Path) -> None:
    path, tests_dir = tmp_path / "run.sqlite", str(Path(__file__).parent)
    killed = subprocess.run(
        [sys.executable, "-c", _RUN, str(path), "12", tests_dir], capture_output=True, timeout=60
    )
    assert killed.returncode == -signal.SIGKILL
    resumed = subprocess.run(
        [sys.executable, "-c", _RUN, str(path), "-1", tests_dir],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    calls, hits = map(int, resumed.stdout.split())
    assert (calls, hits) == (8, 12)  # 20 items: 12 answered before the kill, 8 left
