"""The executor seam of corpus extraction: where a distributed executor would plug in.

What goes through :func:`default_executor`: the extraction batches of ``steps taxonomy``
(``corpus/extract.py``, ``map``) and the per-record model calls of the ``llm`` extractor
(``plugins/llm_extractor.py``, ``amap`` bounded by the client's concurrency). Reading and counting a whole JSON Lines
corpus goes through the same interface on a process pool or a Ray cluster instead
(:mod:`steps_agents.runtime.parallel`, :mod:`steps_agents.corpus.shards`: shards by byte range,
map and reduce of partial counts), which needs picklable work, so those executors live there.

What does not: the synthesis and evaluation graphs fan out with LangGraph's ``Send`` (waves of
``wave_size`` items; the evaluation graph also caps episodes in flight with LangGraph's
``max_concurrency``; ``graphs/synthesis.py``, ``graphs/evaluation.py``), and every model call is
bounded by its :class:`~steps_agents.models.ModelClient` (a semaphore of
``ModelOptions.concurrency`` per event loop, timeouts, retries). Moving those onto another
executor means changing how the graphs run, not this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Apply ``fn`` to every item, yielding results in input order."""
        ...

    def amap(
        self, fn: Callable[[T], Awaitable[R]], items: Iterable[T], *, concurrency: int
    ) -> AsyncIterator[tuple[int, R]]:
        """Run the coroutine ``fn`` over the items, at most ``concurrency`` at once, yielding
        ``(index, result)`` as each finishes."""
        ...


class LocalExecutor:
    """In-process execution: plain iteration for CPU work, bounded asyncio tasks for I/O."""

    name = "local"

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield fn(item)

    async def amap(
        self, fn: Callable[[T], Awaitable[R]], items: Iterable[T], *, concurrency: int
    ) -> AsyncIterator[tuple[int, R]]:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        iterator = iter(enumerate(items))
        pending: set[asyncio.Task[tuple[int, R]]] = set()

        async def run(i: int, item: T) -> tuple[int, R]:
            return i, await fn(item)

        def refill() -> None:
            while len(pending) < concurrency:
                try:
                    i, item = next(iterator)
                except StopIteration:
                    return
                pending.add(asyncio.ensure_future(run(i, item)))

        refill()
        try:
            while pending:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    pending.discard(task)
                    yield task.result()
                refill()
        finally:
            for task in pending:
                task.cancel()


_DEFAULT_EXECUTOR: Executor = LocalExecutor()


def default_executor() -> Executor:
    return _DEFAULT_EXECUTOR
