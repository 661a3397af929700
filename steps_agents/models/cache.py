"""The response cache: one SQLite file, safe across processes and after a kill.

A cached answer is keyed by :func:`cache_key`, the SHA-256 of a canonical JSON document holding
the model spec, the normalised messages, the JSON schema of the structured output (if any), the
call parameters (temperature included) and a caller-chosen ``extra`` string. So a rerun with the
same seed asks the same questions, finds every answer here and spends nothing twice; a caller
that wants several *different* answers to one prompt (several samples, a revision round) puts
what distinguishes them in ``extra``.

Durability: WAL journal, ``synchronous=NORMAL`` and one short autocommitted transaction per
answer. A process killed with SIGKILL loses at most the answer it was writing (WAL frames are
in the OS page cache the moment the write returns; only a power loss can drop the last few);
other processes read and write the same file concurrently, waiting up to ``busy_timeout``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    body TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
)
"""


def normalise_message(message: BaseMessage) -> dict[str, Any]:
    """The parts of a message that change what a model answers (ids and metadata dropped)."""
    out: dict[str, Any] = {"type": message.type, "content": message.content}
    if getattr(message, "name", None):
        out["name"] = message.name
    tool_calls = getattr(message, "tool_calls", None)
    if tool_calls:
        out["tool_calls"] = [
            {"name": c["name"], "args": c["args"], "id": c.get("id")} for c in tool_calls
        ]
    if getattr(message, "tool_call_id", None):
        out["tool_call_id"] = message.tool_call_id  # type: ignore[attr-defined]
    return out


def cache_key(
    spec: str,
    messages: Sequence[BaseMessage],
    *,
    schema: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    extra: str = "",
) -> str:
    """``sha256(canonical_json({spec, messages, schema, params, extra}))`` as 64 hex digits."""
    document = {
        "spec": spec,
        "messages": [normalise_message(m) for m in messages],
        "schema": schema,
        "params": dict(sorted((params or {}).items())),
        "extra": extra,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedResponse:
    body: str
    input_tokens: int = 0
    output_tokens: int = 0


class ResponseCache:
    """A key -> answer store in one SQLite file; every method is thread-safe."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit, so each put is its own durable transaction.
        self._conn = sqlite3.connect(
            str(self.path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT body, input_tokens, output_tokens FROM responses WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else CachedResponse(row[0], int(row[1]), int(row[2]))

    def put(self, key: str, spec: str, response: CachedResponse) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses"
                " (key, spec, body, input_tokens, output_tokens, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key,
                    spec,
                    response.body,
                    response.input_tokens,
                    response.output_tokens,
                    time.time(),
                ),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
