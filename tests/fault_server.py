"""A fault-injecting OpenAI-compatible chat server for reliability tests (stdlib, 127.0.0.1).

``FaultServer(rate=0.2, seed=0)`` answers ``POST /v1/chat/completions`` the way the offline
``fake:echo`` model would (so a run against it is deterministic and its answers pass the same
judges), and injects faults on a seeded script:

- what it answers: a structured request (``response_format`` with a ``json_schema``, a forced
  tool call, or the JSON-mode format instruction in the system message) gets an instance of the
  schema from :func:`steps_agents.models.offline.fill_schema`, seeded by the prompt; any other
  request gets the text of the last user message (an echo);
- which requests fail: request ``r`` (the ``occurrence``-th time this exact body was sent) gets a
  fault when ``sha256(seed, body, occurrence)`` falls under ``rate``; the kind is drawn from
  ``kinds`` by the same hash. A body is never faulted more than ``max_faults_per_body`` times in a
  row, so every request succeeds within that many retries. Faults therefore depend on the seed and
  the request, never on timing or on the order concurrent requests arrive in.

Fault kinds (:data:`KINDS`): ``429`` (with ``Retry-After: 0``), ``500``, ``503``, ``drop`` (the
connection is closed with no response), ``slow`` (a correct answer after ``slow_delay`` seconds),
``malformed`` (HTTP 200 with a body that is not JSON), ``truncated`` (half the answer with
``finish_reason: "length"``), ``wrong_schema`` (``{"unexpected": 1}`` as the answer of a
structured request; a plain request drawn for it is answered normally), ``empty``
(empty content, no tool call) and ``401`` (bad key).

Every request is logged in :attr:`FaultServer.log` (``n``, ``key`` = hash of the messages,
``fault``, ``status``, ``t`` = seconds since start when it arrived, ``sent`` = when its reply
was written, if it was, ``prompt`` = last user message,
``authorization`` = the header as sent). It binds an
ephemeral port on 127.0.0.1 only and shuts itself down after ``lifetime`` seconds.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any

from openai_server import LocalServer, send_json

from steps_agents.models.offline import fill_schema
from steps_agents.models.structured import FORMAT_MARKER

KINDS = (
    "429",
    "500",
    "503",
    "drop",
    "slow",
    "malformed",
    "truncated",
    "wrong_schema",
    "empty",
    "401",
)
TRANSIENT = tuple(k for k in KINDS if k != "401")  # everything a retry can get past


def use_local_server(monkeypatch: Any) -> None:
    """Environment for a client that talks to this server: no proxy for 127.0.0.1, a dummy
    OpenAI key, no progress bars (``monkeypatch``: pytest's fixture)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("STEPS_AGENTS_NO_PROGRESS", "1")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            b if isinstance(b, str) else str(b.get("text", "")) for b in content if b is not None
        )
    return "" if content is None else str(content)


def _unit(*parts: object) -> float:
    """A number in [0, 1) from ``parts``: the seeded, timing-free coin of every decision."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _json_mode_schema(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The JSON Schema of the JSON-mode format instruction (``models.structured``), if any."""
    for message in messages:
        text = _text(message.get("content"))
        at = text.find(FORMAT_MARKER)
        if at >= 0:
            start = text.find("{", at)
            value, _ = json.JSONDecoder().raw_decode(text, start)
            return value if isinstance(value, dict) else None
    return None


class FaultServer(LocalServer):
    """See the module docstring. Use as a context manager; read :attr:`base_url` and :attr:`log`."""

    def __init__(
        self,
        *,
        rate: float = 0.0,
        seed: int = 0,
        kinds: tuple[str, ...] = TRANSIENT,
        slow_delay: float = 0.5,
        max_faults_per_body: int = 2,
        lifetime: float = 300.0,
    ) -> None:
        self.rate, self.seed, self.kinds = rate, seed, tuple(kinds)
        self.slow_delay, self.max_faults_per_body = slow_delay, max_faults_per_body
        self.log: list[dict[str, Any]] = []
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._start = time.monotonic()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fault, status, payload, headers = server._reply(
                    self.path, body, self.headers.get("authorization", "")
                )
                if fault == "drop":
                    self.close_connection = True
                    return  # the client sees the connection closed with no response
                if fault == "slow":
                    time.sleep(server.slow_delay)
                send_json(self, status, payload, headers)
                server._sent(body)

        LocalServer.__init__(self, Handler, lifetime)

    def _sent(self, body: dict[str, Any]) -> None:
        """Stamp the newest log entry of ``body`` with ``sent`` (seconds since start): its reply
        has been written to the socket."""
        key = self._key(body)
        now = round(time.monotonic() - self._start, 3)
        with self._lock:
            for entry in reversed(self.log):
                if entry["key"] == key and "sent" not in entry:
                    entry["sent"] = now
                    break

    def now(self) -> float:
        """Seconds since the server started (the clock of ``t`` and ``sent`` in the log)."""
        return time.monotonic() - self._start

    @staticmethod
    def _key(body: dict[str, Any]) -> str:
        messages = list(body.get("messages") or [])
        return hashlib.sha256(
            json.dumps(
                [messages, body.get("tools"), body.get("response_format")], sort_keys=True
            ).encode()
        ).hexdigest()[:16]

    # ---- decisions -----------------------------------------------------------------------------

    def _fault_for(self, key: str, occurrence: int) -> str | None:
        if occurrence >= self.max_faults_per_body or not self.kinds:
            return None
        if _unit(self.seed, key, occurrence, "fault?") >= self.rate:
            return None
        return self.kinds[int(_unit(self.seed, key, occurrence, "kind") * len(self.kinds))]

    def _reply(
        self, path: str, body: dict[str, Any], authorization: str = ""
    ) -> tuple[str | None, int, Any, dict[str, str]]:
        messages = list(body.get("messages") or [])
        key = self._key(body)
        prompt = next(
            (_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        with self._lock:
            occurrence = self._seen[key]
            self._seen[key] += 1
            fault = self._fault_for(key, occurrence) if path.endswith("/chat/completions") else None
            if fault == "wrong_schema" and self._schema(body, messages)[0] is None:
                fault = None  # a plain request has no schema to get wrong: any text is an answer
            entry = {
                "n": len(self.log) + 1,
                "key": key,
                "occurrence": occurrence,
                "fault": fault,
                "t": round(time.monotonic() - self._start, 3),
                "prompt": prompt,
                "authorization": authorization,
            }
            self.log.append(entry)
        if not path.endswith("/chat/completions"):
            entry["status"] = 404
            return None, 404, {"error": {"message": f"no route {path}"}}, {}
        status, payload, headers = self._answer(fault, body, messages, prompt)
        entry["status"] = status
        return fault, status, payload, headers

    def _answer(
        self, fault: str | None, body: dict[str, Any], messages: list[dict[str, Any]], prompt: str
    ) -> tuple[int, Any, dict[str, str]]:
        if fault in ("429", "500", "503", "401"):
            status = int(fault)
            kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
            headers = {"retry-after": "0"} if status == 429 else {}
            return status, {"error": {"message": f"injected {fault}", "type": kind}}, headers
        if fault == "malformed":
            return 200, b'{"id": "chatcmpl-x", "choices": [{"message": {"content": "he', {}
        schema, tool = self._schema(body, messages)
        joined = "\n".join(_text(m.get("content")) for m in messages)
        if fault == "wrong_schema":
            content = json.dumps({"unexpected": 1})
        elif fault == "empty":
            content, tool = "", None
        elif schema is not None:
            content = json.dumps(fill_schema(schema, joined, prompt), sort_keys=True)
        else:
            content = prompt
        finish = "stop"
        if fault == "truncated":
            content, finish = content[: len(content) // 2], "length"
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool is not None and fault != "truncated":
            message["content"] = None
            call = {"name": tool, "arguments": content}
            message["tool_calls"] = [{"id": "call_1", "type": "function", "function": call}]
            finish = "tool_calls"
        words_in, words_out = len(joined.split()), len(content.split())
        payload = {
            "id": "chatcmpl-fault",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "stub"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": words_in,
                "completion_tokens": words_out,
                "total_tokens": words_in + words_out,
            },
        }
        return 200, payload, {}

    @staticmethod
    def _schema(
        body: dict[str, Any], messages: list[dict[str, Any]]
    ) -> tuple[dict[str, Any] | None, str | None]:
        """``(JSON Schema of the answer, forced tool name)`` of a structured request."""
        fmt = body.get("response_format") or {}
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            return fmt["json_schema"].get("schema"), None
        choice = body.get("tool_choice")
        if isinstance(choice, dict) and body.get("tools"):
            name = choice.get("function", {}).get("name")
            for spec in body["tools"]:
                if spec.get("function", {}).get("name") == name:
                    return spec["function"].get("parameters"), name
        return _json_mode_schema(messages), None

    # ---- reading the log -----------------------------------------------------------------------

    def faults(self) -> Counter[str]:
        """How many faults of each kind were injected."""
        return Counter(e["fault"] for e in self.log if e["fault"])
