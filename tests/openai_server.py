"""A tiny OpenAI-compatible chat server for wire tests (stdlib only, 127.0.0.1, bounded).

``OpenAIStubServer(script)`` answers ``POST /v1/chat/completions`` from ``script``, one entry per
request (the last repeats): a ``str`` is the assistant's content (status 200, with a ``usage``
block of word counts), a ``(status, body_dict, headers)`` tuple is sent as is. Every request's
JSON body and headers are kept in ``requests``. It binds an ephemeral port on 127.0.0.1 only,
serves at most ``max_requests`` and shuts itself down after ``lifetime`` seconds, so a failing
test can never leave it running.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def send_json(
    handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str]
) -> None:
    """Send ``payload`` (JSON-encoded unless already ``bytes``) with ``status`` and ``headers``."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-reply (a killed or interrupted run, the point of many tests) is
    expected: no traceback on stderr, where it would land in a later test's captured output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    """A threaded HTTP server on an ephemeral 127.0.0.1 port that stops after ``lifetime`` s.

    Subclasses call ``LocalServer.__init__(self, handler_class, lifetime)`` once their handler
    class is built; used as a context manager, it serves on a daemon thread.
    """

    def __init__(self, handler: type[BaseHTTPRequestHandler], lifetime: float) -> None:
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._timer = threading.Timer(lifetime, self.httpd.shutdown)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


class OpenAIStubServer(LocalServer):
    def __init__(
        self, script: list[Any], *, max_requests: int = 100, lifetime: float = 60.0
    ) -> None:
        self.script = list(script)
        self.max_requests, self.lifetime = max_requests, lifetime
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server naming
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                send_json(self, *stub._next(self.path, body, dict(self.headers)))

        LocalServer.__init__(self, Handler, lifetime)

    def _next(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append({"path": path, "body": body, "headers": headers})
            n = len(self.requests)
            if n > self.max_requests or not path.endswith("/chat/completions"):
                return 503 if n > self.max_requests else 404, {"error": {"message": "stub"}}, {}
            item = self.script[min(n - 1, len(self.script) - 1)]
        if isinstance(item, tuple):
            status, payload, headers_out = item
            return status, payload, headers_out
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        completion_words = len(str(item).split())
        return (
            200,
            {
                "id": f"chatcmpl-{n}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "stub"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": item},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_words,
                    "completion_tokens": completion_words,
                    "total_tokens": prompt_words + completion_words,
                },
            },
            {},
        )
