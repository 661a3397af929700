"""Test doubles for tests/test_cli_errors.py: chat models that fail the way provider SDKs do.

They are named by ``module:attribute`` specs (``helpers_cli_errors:down``) so the CLI resolves
them like any user's model. The provider errors carry ``status_code`` as openai/anthropic
exceptions do; nothing here touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpers_synthesis import SynthFakeModel
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr


class ProviderError(Exception):
    """Shaped like ``openai.APIStatusError``: a message and an HTTP ``status_code``."""

    def __init__(self, status_code: int, message: str = "upstream exploded") -> None:
        super().__init__(f"Error code: {status_code} - {message}")
        self.status_code = status_code


class BrokenModel(BaseChatModel):
    """Every call raises ``ProviderError(status)``; prompts containing ``refuse_marker`` (when
    set) get ``ProviderError(400)`` and the others a plain text answer."""

    status: int = 500
    refuse_marker: str | None = None
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "broken-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> BrokenModel:
        return self  # a "tool-calling" model that never calls a tool

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.calls += 1
        if self.refuse_marker is None:
            raise ProviderError(self.status)
        if any(self.refuse_marker in str(m.content) for m in messages):
            raise ProviderError(400, "this prompt is too long for the context window")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="no idea"))])


class GoesDown(SynthFakeModel):
    """A good synthesis model for its first ``ok_calls`` calls, then a server error for ever."""

    ok_calls: int = 16
    _count: int = PrivateAttr(default=0)

    def _answer(self, messages: list[BaseMessage]) -> str:
        self._count += 1
        if self._count > self.ok_calls:
            raise ProviderError(503, "service unavailable")
        return super()._answer(messages)


down = BrokenModel(status=500)
bad_key = BrokenModel(status=401)


def goes_down() -> GoesDown:
    """Two waves of 8 drafts answered (the first wave is judged and written), then down."""
    return GoesDown(ok_calls=16)
