"""ModelClient: retries, timeouts, structured output, concurrency limit, token accounting."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field
from test_models_fakes import APIConnectionError, BadRequestError, RateLimitError, ScriptedChatModel

from steps_agents.errors import ModelCallError, ModelOutputError
from steps_agents.models import ModelClient, ModelOptions
from steps_agents.models.offline import OfflineEchoModel


class Skills(BaseModel):
    skills: list[str] = Field(min_length=1)


def client_for(model: Any, **kw: Any) -> ModelClient:
    """A client for ``model``; keywords that are :class:`ModelOptions` fields become its options."""
    settings = {k: kw.pop(k) for k in list(kw) if k in ModelOptions.model_fields}
    options = ModelOptions(**{"backoff": 0.0, **settings})  # tests never sleep between retries
    return ModelClient.from_model(model, spec="scripted", options=options, **kw)


def ask(client: ModelClient, text: str = "hello", **kw: Any) -> Any:
    return asyncio.run(client.ainvoke([HumanMessage(content=text)], **kw))


def test_rate_limit_twice_then_answer() -> None:
    model = ScriptedChatModel(script=[RateLimitError("slow down"), RateLimitError("again"), "ok"])
    client = client_for(model)
    assert ask(client).content == "ok"
    assert model.calls == 3
    assert (client.usage.calls, client.usage.retries, client.usage.failures) == (3, 2, 0)


def test_connection_errors_recognised_by_class_name_are_retried() -> None:
    model = ScriptedChatModel(script=[APIConnectionError("reset"), "ok"])
    client = client_for(model)
    assert ask(client).content == "ok" and model.calls == 2


def test_non_retryable_error_is_not_retried_and_names_the_provider_error() -> None:
    model = ScriptedChatModel(script=[BadRequestError("bad request"), "never"])
    client = client_for(model)
    with pytest.raises(
        ModelCallError, match=r"refused the call: BadRequestError \(HTTP 400\)"
    ) as info:
        ask(client)
    assert isinstance(info.value.__cause__, BadRequestError) and info.value.status_code == 400
    assert model.calls == 1
    assert (client.usage.retries, client.usage.failures) == (0, 1)


def test_retries_are_bounded_and_the_last_error_propagates() -> None:
    model = ScriptedChatModel(script=[RateLimitError("429")])
    client = client_for(model, max_retries=2)
    with pytest.raises(ModelCallError, match="failed after 3 attempts: RateLimitError") as info:
        ask(client)
    assert isinstance(info.value.__cause__, RateLimitError) and info.value.attempts == 3
    assert model.calls == 3
    assert (client.usage.retries, client.usage.failures) == (2, 1)


def test_timeout_per_attempt_is_retried_then_raised() -> None:
    model = ScriptedChatModel(script=["late"], latency=0.5)
    client = client_for(model, timeout=0.02, max_retries=1)
    with pytest.raises(ModelCallError, match="after 2 attempts: TimeoutError") as info:
        ask(client)
    assert isinstance(info.value.__cause__, TimeoutError)
    assert model.calls == 2 and client.usage.retries == 1


def test_malformed_structured_output_is_retried_with_feedback() -> None:
    good = 'Sure! ```json\n{"skills": ["sql querying", "unit tests"]}\n``` hope it helps'
    model = ScriptedChatModel(script=["I think SQL.", '{"skills": []}', good])
    client = client_for(model)
    answer = ask(client, "a task", schema=Skills)
    assert answer == Skills(skills=["sql querying", "unit tests"])
    assert model.calls == 3 and client.usage.retries == 2
    first, second, third = model.seen
    # The JSON-mode fallback: the schema travels in a system message ...
    assert isinstance(first[0], SystemMessage) and '"skills"' in first[0].content
    # ... and a retry shows the model its own bad answer and what was wrong with it.
    assert isinstance(second[-2], AIMessage) and second[-2].content == "I think SQL."
    assert "no JSON object" in second[-1].content
    assert "skills: List should have at least 1 item" in third[-1].content


def test_malformed_structured_output_gives_up_with_model_output_error() -> None:
    model = ScriptedChatModel(script=['{"skills": "not a list"}'])
    client = client_for(model, max_retries=2)
    with pytest.raises(ModelOutputError) as info:
        ask(client, schema=Skills)
    message = str(info.value)
    assert "'scripted'" in message and "Skills" in message and "skills:" in message
    assert "3 attempts" in message and "\n" not in message
    assert model.calls == 3 and client.usage.failures == 1


def test_langchain_fake_models_use_the_json_fallback() -> None:
    model = FakeListChatModel(responses=['{"skills": ["parsing"]}'])
    client = client_for(model)
    assert ask(client, schema=Skills).skills == ["parsing"]


class _FlakyNative(FakeListChatModel):
    """Implements structured output natively; the first answer fails to parse."""

    def with_structured_output(self, schema: Any, *, include_raw: bool = False, **kw: Any) -> Any:
        from langchain_core.runnables import RunnableLambda

        state = {"n": 0}

        def answer(_: Any) -> Any:
            state["n"] += 1
            self.responses.append("x")  # count native calls through the list length
            raw = AIMessage(
                content="{}",
                usage_metadata={"input_tokens": 5, "output_tokens": 2, "total_tokens": 7},
            )
            if len(self.responses) == 1:
                return {"raw": raw, "parsed": None, "parsing_error": ValueError("bad json")}
            return {"raw": raw, "parsed": schema(skills=["native"]), "parsing_error": None}

        return RunnableLambda(answer)


def test_native_structured_output_parsing_error_is_retried() -> None:
    model = _FlakyNative(responses=[])
    client = client_for(model)
    assert ask(client, schema=Skills).skills == ["native"]
    assert client.usage.calls == 2 and client.usage.retries == 1
    assert (client.usage.input_tokens, client.usage.output_tokens) == (10, 4)


def test_structured_json_forces_the_fallback_even_for_native_models() -> None:
    client = client_for(OfflineEchoModel(), structured="json", max_retries=0)
    with pytest.raises(ModelOutputError):  # the echo model answers prose, not JSON
        ask(client, "echo me", schema=Skills)
    native = client_for(OfflineEchoModel())
    assert isinstance(ask(native, "echo me", schema=Skills), Skills)


def test_concurrency_limit_is_honoured() -> None:
    model = ScriptedChatModel(script=["ok"], latency=0.02)
    client = client_for(model, concurrency=4)

    async def many() -> None:
        await asyncio.gather(*(client.ainvoke([HumanMessage(content=f"q{i}")]) for i in range(24)))

    asyncio.run(many())
    assert model.calls == 24
    assert model.max_in_flight == 4


def test_one_client_works_across_event_loops() -> None:
    model = ScriptedChatModel(script=["ok"])
    client = client_for(model, concurrency=2)
    for _ in range(3):  # each asyncio.run is a new loop; a shared Semaphore would break here
        assert ask(client).content == "ok"


def test_sync_callers_on_many_threads_share_one_limit() -> None:
    model = ScriptedChatModel(script=["ok"], latency=0.02)
    client = client_for(model, concurrency=3)
    threads = [
        threading.Thread(target=client.invoke, args=([HumanMessage(content=f"t{i}")],))
        for i in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert model.calls == 12 and model.max_in_flight <= 3


def test_token_and_call_accounting() -> None:
    model = ScriptedChatModel(script=["one two three"])
    client = client_for(model)
    ask(client, "a b")
    ask(client, "c d e f")
    assert client.usage.as_dict() == {
        "calls": 2,
        "cache_hits": 0,
        "retries": 0,
        "failures": 0,
        "input_tokens": 6,
        "output_tokens": 6,
        "by_model": {
            "scripted": {
                "calls": 2,
                "cache_hits": 0,
                "retries": 0,
                "failures": 0,
                "input_tokens": 6,
                "output_tokens": 6,
            }
        },
    }


def test_usage_merge_keeps_models_apart() -> None:
    a = client_for(ScriptedChatModel(script=["x y"]))
    b = ModelClient.from_model(ScriptedChatModel(script=["z"]), spec="judge")
    ask(a, "p")
    ask(b, "q r")
    a.usage.merge(b.usage)
    totals = a.usage.as_dict()
    assert totals["calls"] == 2 and totals["output_tokens"] == 3
    assert set(totals["by_model"]) == {"scripted", "judge"}
    assert totals["by_model"]["judge"]["input_tokens"] == 2
    assert a.usage.summary() == "2 calls, 0 cache hits, 0 retries, 0 failures, 3 tokens in / 3 out"


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        client_for(ScriptedChatModel(script=["x"]), concurrency=0)
    with pytest.raises(ValueError, match="max_retries"):
        client_for(ScriptedChatModel(script=["x"]), max_retries=-1)


def test_a_view_shares_cache_usage_and_slots_with_its_parent(tmp_path: Any) -> None:
    model = ScriptedChatModel(script=["answer"], latency=0.02)
    parent = client_for(model, concurrency=2, cache_path=tmp_path / "c.sqlite")
    view = parent.view(model)  # the same model object, so one counter sees both clients' calls

    async def both() -> None:
        calls = [parent.ainvoke([HumanMessage(content=f"p{i}")]) for i in range(6)]
        calls += [view.ainvoke([HumanMessage(content=f"v{i}")]) for i in range(6)]
        await asyncio.gather(*calls)

    asyncio.run(both())
    assert model.calls == 12 and model.max_in_flight == 2  # one shared limit
    assert parent.usage.calls == 12  # the view counts into the parent's usage
    other = ScriptedChatModel(script=["other"])
    tools_view = parent.view(other)
    assert (
        tools_view.invoke([HumanMessage(content="q")], cache_key_extra="tools:x").content == "other"
    )
    assert (
        tools_view.invoke([HumanMessage(content="q")], cache_key_extra="tools:x").content == "other"
    )
    assert other.calls == 1 and parent.usage.cache_hits == 1  # it reads and writes the cache
    tools_view.close()  # a no-op: the parent owns the cache and the loop
    assert parent.cache is not None
    parent.close()


def test_sync_invoke_from_the_clients_own_loop_fails_loudly_instead_of_deadlocking() -> None:
    client = client_for(ScriptedChatModel(script=["ok"]))

    async def nested() -> Any:
        return client.invoke([HumanMessage(content="q")])

    with pytest.raises(RuntimeError, match="await ainvoke"):
        client.run(nested())
    assert client.invoke([HumanMessage(content="q")]).content == "ok"
    client.close()
