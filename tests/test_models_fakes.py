"""Fake chat models shared by the model tests (no tests of their own live here).

``ScriptedChatModel`` answers from a script: a string is an answer, an exception instance is
raised; the last entry repeats. It counts calls, tracks how many calls are in flight at once and
reports word counts as token usage, so tests can check retries, the concurrency limit and token
accounting exactly.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr


class RateLimitError(Exception):
    """Shaped like an SDK's rate-limit error: recognised by its status code."""

    status_code = 429


class APIConnectionError(Exception):
    """Recognised by its class name only."""


class BadRequestError(Exception):
    status_code = 400


class ScriptedChatModel(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any]
    latency: float = 0.0
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _calls: int = PrivateAttr(default=0)
    _in_flight: int = PrivateAttr(default=0)
    _max_in_flight: int = PrivateAttr(default=0)
    _seen: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def calls(self) -> int:
        return self._calls

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    @property
    def seen(self) -> list[list[BaseMessage]]:
        return self._seen

    def _enter(self, messages: list[BaseMessage]) -> Any:
        with self._lock:
            item = self.script[min(self._calls, len(self.script) - 1)]
            self._calls += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            self._seen.append(list(messages))
        return item

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    @staticmethod
    def _result(messages: list[BaseMessage], item: Any) -> ChatResult:
        if isinstance(item, BaseException):
            raise item
        words_in = sum(len(str(m.content).split()) for m in messages)
        words_out = len(str(item).split())
        usage = {
            "input_tokens": words_in,
            "output_tokens": words_out,
            "total_tokens": words_in + words_out,
        }
        message = AIMessage(content=item, usage_metadata=usage)  # type: ignore[arg-type]
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        item = self._enter(messages)
        try:
            if self.latency:
                time.sleep(self.latency)
            return self._result(messages, item)
        finally:
            self._leave()

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        item = self._enter(messages)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            return self._result(messages, item)
        finally:
            self._leave()


# --- factories for the module:attribute spec form -------------------------------------------

FACTORY_CALLS: list[dict[str, Any]] = []


def make_fake(temperature: float | None = None) -> FakeListChatModel:
    """A factory that accepts only ``temperature`` (other options must not reach it)."""
    FACTORY_CALLS.append({"temperature": temperature})
    return FakeListChatModel(responses=["factory answer"])


def make_fake_kwargs(**options: Any) -> FakeListChatModel:
    FACTORY_CALLS.append(dict(options))
    return FakeListChatModel(responses=["kwargs answer"])


def make_not_a_model() -> str:
    return "not a model"


READY_MODEL = FakeListChatModel(responses=["ready answer"])
