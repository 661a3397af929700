"""The one seam where fan-out work runs.

Extraction batches, model calls and evaluation episodes all go through an :class:`Executor`, so a
distributed executor (Ray, planned) can replace the local one without touching the stages.
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
