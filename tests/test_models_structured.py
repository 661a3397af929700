"""JSON-mode parsing, the format instruction, and the retry policy's classification/backoff."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from steps_agents.models.retry import backoff_delay, is_retryable, status_of
from steps_agents.models.structured import (
    FORMAT_MARKER,
    StructuredOutputInvalid,
    first_json_object,
    parse_reply,
    with_format_instruction,
)


class Point(BaseModel):
    x: int
    label: str


@pytest.mark.parametrize(
    "text",
    [
        '{"x": 1, "label": "a"}',
        'Here you go:\n```json\n{"x": 1, "label": "a"}\n```',
        '```\n{"x": 1, "label": "a"}\n```\nThanks',
        'prefix {not json} then {"x": 1, "label": "a"} suffix {"x": 2}',
    ],
)
def test_first_json_object_tolerates_prose_and_fences(text: str) -> None:
    assert parse_reply(Point, text) == Point(x=1, label="a")


def test_braces_inside_strings_do_not_confuse_the_parser() -> None:
    assert first_json_object('{"label": "a } b {", "x": 3}') == {"label": "a } b {", "x": 3}


@settings(max_examples=40, deadline=None)
@given(
    x=st.integers(),
    label=st.text(max_size=30),
    before=st.text(alphabet="abc xyz.:\n", max_size=20),
    after=st.text(alphabet="abc xyz.:\n}", max_size=20),
)
def test_any_embedded_object_round_trips(x: int, label: str, before: str, after: str) -> None:
    point = Point(x=x, label=label)
    assert parse_reply(Point, before + point.model_dump_json() + after) == point


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no json here", "no JSON object found"),
        ("[1, 2]", "no JSON object found"),
        ('{"x": "many", "label": "a"}', "x: Input should be a valid integer"),
        ('{"x": 1}', "label: Field required"),
        ("{}", "x: Field required (+1 more)"),
    ],
)
def test_invalid_replies_name_the_problem_in_one_line(text: str, problem: str) -> None:
    with pytest.raises(StructuredOutputInvalid) as info:
        parse_reply(Point, text)
    assert info.value.problem.startswith(problem) and "\n" not in info.value.problem


def test_format_instruction_joins_the_leading_system_message() -> None:
    messages = with_format_instruction(
        [SystemMessage(content="Be brief."), HumanMessage(content="q")], Point
    )
    assert len(messages) == 2 and messages[0].content.startswith("Be brief.")
    assert FORMAT_MARKER in messages[0].content and '"label"' in messages[0].content
    bare = with_format_instruction([HumanMessage(content="q")], Point)
    assert isinstance(bare[0], SystemMessage) and len(bare) == 2


class _Status(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status_code = status


class InternalServerError(Exception):
    pass


class ResponseHolder(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.response = SimpleNamespace(status_code=status, headers=headers or {})


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (_Status(429), True),
        (_Status(503), True),
        (_Status(408), True),
        (_Status(400), False),
        (_Status(401), False),
        (ResponseHolder(502), True),
        (ResponseHolder(404), False),
        (InternalServerError("boom"), True),
        (TimeoutError(), True),
        (ConnectionResetError(), True),
        (ValueError("bug"), False),
        (KeyError("bug"), False),
    ],
)
def test_retry_classification(error: BaseException, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def test_httpx_transport_errors_are_retried() -> None:
    httpx = pytest.importorskip("httpx")
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    assert is_retryable(httpx.ConnectError("refused", request=request))
    assert is_retryable(httpx.RemoteProtocolError("eof", request=request))
    assert is_retryable(httpx.ReadTimeout("slow", request=request))
    response = httpx.Response(401, request=request)
    assert not is_retryable(httpx.HTTPStatusError("no", request=request, response=response))


def test_status_lookup_prefers_the_exception_then_its_response() -> None:
    assert status_of(_Status(418)) == 418
    assert status_of(ResponseHolder(503)) == 503
    assert status_of(ValueError()) is None


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    rng = random.Random(0)
    for attempt in range(1, 8):
        ceiling = min(60.0, 0.5 * 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, backoff=0.5, rng=rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert backoff_delay(3, backoff=0.0) == 0.0


def test_retry_after_header_wins_when_longer() -> None:
    error = ResponseHolder(429, {"retry-after": "7"})
    assert backoff_delay(1, backoff=0.5, error=error) == 7.0
    assert backoff_delay(1, backoff=0.5, error=ResponseHolder(429, {"retry-after": "soon"})) <= 0.5
