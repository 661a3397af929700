"""Executors that spread CPU work over processes or a Ray cluster, beside :class:`LocalExecutor`.

Both keep the :class:`~steps_agents.runtime.executor.Executor` interface: ``map(fn, items)``
yields results in input order (so a reduce over them is deterministic), ``amap`` runs coroutines
in this process (model calls wait on the network; spreading them is the synthesis and evaluation
graphs' business). ``fn`` and the items must pickle: a module-level function and plain data.

- :class:`ProcessExecutor` (``--executor local``): a process pool of every core this process
  may run on (:func:`usable_cores`) or ``workers``. Forked when the platform can and the parent
  runs a single thread: the workers then inherit the loaded plugins and extractors, where a
  ``spawn`` worker spent about 2 s of CPU importing them (``benchmarks/corpus.py``, 10^5 records: 7.7 s of CPU
  against 3.6 s for one process). With other threads alive (forking those can deadlock) or
  without ``fork``, ``spawn``.
- :class:`RayExecutor` (``--executor ray``, extra ``steps-agents[ray]``): one Ray task per item.
  ``address=None`` starts a local Ray with ``num_cpus`` (tests use 2); ``"auto"`` or
  ``"ray://host:10001"`` joins a cluster. Files named in the items must be readable at the same
  path on every node (a shared file system).

:func:`get_executor` turns ``--executor``/``--ray-address``/``--workers`` into one of them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from steps_agents.errors import InputError, MissingExtraError
from steps_agents.runtime.executor import Executor, LocalExecutor

T = TypeVar("T")
R = TypeVar("R")
EXECUTORS = ("local", "ray")


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the platform has one (a
    container or ``taskset`` may allow fewer than ``os.cpu_count()``), else ``os.cpu_count()``."""
    affinity = getattr(os, "sched_getaffinity", None)
    return max(1, len(affinity(0)) if affinity is not None else os.cpu_count() or 1)


class ProcessExecutor:
    """``map`` over a pool of ``workers`` processes (default: every core); in order."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or usable_cores())

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        work = list(items)
        if self.workers == 1 or len(work) <= 1:  # no pool for one task: spawning costs ~1 s
            yield from map(fn, work)
            return
        workers = min(self.workers, len(work))
        with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
            futures: list[Future[R] | None] = [pool.submit(fn, item) for item in work]
            try:
                for i, future in enumerate(futures):
                    assert future is not None
                    futures[i] = None  # a result is held only until the caller has taken it
                    yield future.result()
            finally:
                for pending in futures:
                    if pending is not None:
                        pending.cancel()

    def amap(
        self, fn: Callable[[T], Awaitable[R]], items: Iterable[T], *, concurrency: int
    ) -> AsyncIterator[tuple[int, R]]:
        return LocalExecutor().amap(fn, items, concurrency=concurrency)


def _context() -> BaseContext:
    """``fork`` for a single-threaded parent where it exists, else ``spawn`` (module docstring).

    A driver connected to Ray runs Ray's own C++ threads, which ``threading`` does not see: spawn
    there too. (The BLAS thread pool numpy may start registers fork handlers; it does not count.)
    """
    ray = sys.modules.get("ray")
    in_ray = ray is not None and getattr(ray, "is_initialized", lambda: False)()
    if "fork" in get_all_start_methods() and threading.active_count() == 1 and not in_ray:
        return get_context("fork")
    return get_context("spawn")


class RayExecutor:
    """``map`` as one Ray task per item, results fetched in input order (module docstring)."""

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise MissingExtraError("--executor ray", "ray", "ray") from None
        self._ray = ray
        if not ray.is_initialized():
            options: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": False}
            if address:
                options["address"] = address
            else:
                options.update(num_cpus=num_cpus, include_dashboard=False)
            ray.init(**options)
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._remotes: dict[Any, Any] = {}  # acall's remote functions, exported once each

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        ray = self._ray
        remote = ray.remote(num_cpus=1)(fn)
        refs = [remote.remote(item) for item in items]
        taken = 0
        try:
            for ref in refs:
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:  # the worker's own exception
                    cause = getattr(exc, "cause", None)
                    raise (cause if isinstance(cause, Exception) else exc) from None
                taken += 1
                yield result
        finally:
            _cancel_unfinished(ray, refs[taken:])

    def amap(
        self, fn: Callable[[T], Awaitable[R]], items: Iterable[T], *, concurrency: int
    ) -> AsyncIterator[tuple[int, R]]:
        return LocalExecutor().amap(fn, items, concurrency=concurrency)

    def put(self, value: Any) -> Any:
        """``value`` in the object store, once: pass the reference to :meth:`acall` instead of
        pickling it again per call. Raises whatever Ray's serializer raises for it."""
        return self._ray.put(value)

    async def acall(self, fn: Callable[..., R], *args: Any) -> R:
        """``fn(*args)`` as one Ray task (one CPU), awaited on the caller's event loop; the
        worker's own exception is raised here. Cancelling the await cancels the task."""
        ray = self._ray
        remote = self._remotes.get(fn)
        if remote is None:
            remote = self._remotes[fn] = ray.remote(num_cpus=1)(fn)
        ref = remote.remote(*args)
        try:
            result: R = await ref
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            raise (cause if isinstance(cause, Exception) else exc) from None
        except asyncio.CancelledError:
            ray.cancel(ref)
            raise
        return result


def _cancel_unfinished(ray: Any, refs: list[Any]) -> None:
    """Cancel the tasks of ``refs`` that have not finished (a map left early: an error, or the
    caller stopped reading). A finished task is never cancelled: a cancel racing with the
    completion of a task whose result was just fetched can abort Ray's core in the driver
    (ray-project/ray#54527, a ``submissible_tasks_`` check; seen once here as an abort in
    ``TaskManager::CompletePendingTask`` when every task was cancelled after a full map)."""
    if not refs:
        return
    _, pending = ray.wait(refs, num_returns=len(refs), timeout=0)
    for ref in pending:
        ray.cancel(ref)


def get_executor(
    name: str = "local", *, address: str | None = None, workers: int | None = None
) -> Executor:
    """``local``: :class:`ProcessExecutor` (``workers`` processes, default every core);
    ``ray``: :class:`RayExecutor` (``address`` of a cluster, or a local Ray of ``workers`` CPUs)."""
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if name == "local":
        if address:
            raise InputError("--ray-address needs --executor ray")
        return ProcessExecutor(workers)
    if name == "ray":
        return RayExecutor(address, workers)
    raise InputError(f"unknown executor {name!r}; choose {' or '.join(EXECUTORS)}")
