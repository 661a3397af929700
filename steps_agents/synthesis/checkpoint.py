"""The synthesis run's checkpointer: LangGraph's SQLite saver, called inline from the loop.

``AsyncSqliteSaver`` sends every call to an ``aiosqlite`` worker thread. A synthesis run
checkpoints once per finished task (thousands of small writes), and each thread hand-off costs
more than the write itself: with 1,000 items the hand-offs alone took about a second of CPU,
mostly lost to the GIL ping-pong (profiled, ``SimpleQueue.put_nowait``). This saver runs the
synchronous :class:`~langgraph.checkpoint.sqlite.SqliteSaver` directly on the event loop
thread instead: in WAL mode with ``synchronous=NORMAL`` a commit is a ``write()`` to the WAL
without ``fsync`` (tens of microseconds), so blocking the loop for it is cheaper than leaving it.

Commits are grouped: each write joins the open transaction, and one commit is scheduled with
``loop.call_soon`` for the end of the current event-loop iteration, so the dozens of task writes
LangGraph makes in one iteration (a wave's branches finishing together) cost one commit, not
one each (about 30 microseconds saved per task).

Durability: a commit reaches the operating system before the next loop iteration starts, so a
killed process loses at most the writes of the iteration it died in; only a power cut can lose
the last commits. A lost task write only means LangGraph runs that task again on resume, which
the writer's idempotent files and the response cache make cheap and exact.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver

# LangGraph's channel for a task's error (private in langgraph 1.x, hence spelled out here).
ERROR_CHANNEL = "__error__"


class InlineSqliteSaver(SqliteSaver):
    """:class:`SqliteSaver` with its async methods answered synchronously and its commits
    grouped per event-loop iteration (see module doc)."""

    _commit_pending = False

    @contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[sqlite3.Cursor]:
        with self.lock:
            self.setup()
            cur = self.conn.cursor()
            try:
                yield cur
            finally:
                cur.close()
                if transaction:
                    self._schedule_commit()

    def _schedule_commit(self) -> None:
        if self._commit_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called from sync code: commit now
            self.conn.commit()
            return
        self._commit_pending = True
        loop.call_soon(self.commit)

    def commit(self) -> None:
        """Commit the open transaction (scheduled after writes; also called on close)."""
        with self.lock:
            self._commit_pending = False
            self.conn.commit()

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self.get_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        for item in self.list(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return self.put(config, checkpoint, metadata, new_versions)

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        # A task cancelled by Ctrl-C is saved with the writes it had made so far plus the
        # CancelledError; on resume LangGraph reapplies those writes and never reruns the task,
        # so a planner cancelled between its state update and its routing leaves its wave
        # planned but never composed (the rerun ended short, 'interrupted'). Not saving them
        # makes a cancelled task what a killed one is: run again on resume.
        if any(ch == ERROR_CHANNEL and isinstance(v, asyncio.CancelledError) for ch, v in writes):
            return
        super().put_writes(config, writes, task_id, task_path)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        self.delete_thread(thread_id)


@contextmanager
def open_checkpointer(path: str | Path) -> Iterator[InlineSqliteSaver]:
    """An :class:`InlineSqliteSaver` on ``path`` (WAL, ``synchronous=NORMAL``), closed after."""
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        saver = InlineSqliteSaver(conn)
        saver.setup()
        try:
            yield saver
        finally:
            saver.commit()  # a commit still scheduled on a loop that has ended
    finally:
        conn.close()
