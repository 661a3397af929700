"""Model calls on Ray workers (``executor = "ray"``): the graph stays here, the calls go there.

:class:`RayModelClient` is a :class:`~steps_agents.models.ModelClient` whose requests are sent
to ``workers`` Ray actors (:class:`ModelWorker`). Each worker opens its own client for the same
spec and servers, with its share of the concurrency (the total and every ``URL#N`` cap divided
among the workers, rounded up) and of the model-call budget; its retries, breakers, adaptive
limits and structured-output negotiation are its own.

What stays in the driver: the response cache (so a rerun or a resume is answered from the same
``responses.sqlite`` whatever the executor), the call and token counters (each worker's
counters come back with every answer and are added up here), and the choice of worker. A call
goes to the worker chosen from its first user message (a synthesis item's prompt names its
skills and seed examples, so an item's generation, revisions and judging mostly land on the same
worker); when that worker's budget share is spent, to the next one with share left.

Answers are the same as in this process: the graph, its seed and the order it decides in do not
move, only where the request is sent from (``tests/test_synthesis_ray.py`` compares the accepted
samples of ``steps synth --executor ray`` with the local run's).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage
from pydantic import BaseModel

from steps_agents.errors import InputError, ModelCallError, ModelOutputError
from steps_agents.models.client import ModelClient
from steps_agents.models.endpoints import resolve_endpoints
from steps_agents.models.options import ModelOptions
from steps_agents.models.servers import ServerSpec
from steps_agents.models.structured import message_text
from steps_agents.models.usage import COUNTERS, Usage

ACTOR_CPUS = 0.25  # a worker mostly waits on the network; the driver's graph needs the CPU


def worker_options(options: ModelOptions, workers: int) -> ModelOptions:
    """A worker's share: the total and each ``URL#N`` cap divided by ``workers`` (rounded up),
    no cache (the driver keeps it), and the calls made in the worker itself."""
    share = max(1, math.ceil(options.concurrency / workers))
    servers = [
        str(
            ServerSpec(s.url, max(1, math.ceil(s.concurrency / workers)) if s.concurrency else None)
        )
        for s in options.servers()
    ]
    values: dict[str, Any] = {
        **options.model_dump(),
        "concurrency": share,
        "cache": False,
        "executor": "local",
        "ray_address": None,
        "workers": None,
    }
    values["base_url"] = servers or None
    return ModelOptions.model_validate(values)


class ModelWorker:
    """A Ray actor's body: one :class:`ModelClient` and the calls sent to it."""

    def __init__(self, spec: str, options: dict[str, Any]) -> None:
        local = ModelOptions.model_validate(options)
        endpoints = resolve_endpoints(spec, local)
        self.client = ModelClient(
            endpoints[0].model,
            spec=spec,
            options=local,
            key_params=local.cache_key_params(),
            endpoints=endpoints,
        )

    async def call(
        self,
        convo: list[BaseMessage],
        schema: type[BaseModel] | None,
        params: dict[str, Any],
    ) -> tuple[str, Any, dict[str, Any]]:
        """``("ok", (result, body, tokens), usage)`` or ``(error kind, error fields, usage)``:
        the project's errors travel as plain fields (their constructors take keywords)."""
        try:
            answer: Any = await self.client.request(convo, schema, params)
            outcome = "ok"
        except ModelCallError as error:
            outcome, answer = (
                "call",
                {
                    "message": str(error),
                    "spec": error.spec,
                    "attempts": error.attempts,
                    "status_code": error.status_code,
                    "kind": error.kind,
                },
            )
        except ModelOutputError as error:
            outcome, answer = "output", {"message": str(error)}
        return outcome, answer, self.client.usage.as_dict()

    def close(self) -> None:
        self.client.close()


def _route_key(convo: list[BaseMessage]) -> int:
    """A number from the first user message (the item's prompt), the same in every process."""
    first = next((m for m in convo if isinstance(m, HumanMessage)), convo[0] if convo else None)
    text = message_text(first) if first is not None else ""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


class RayModelClient(ModelClient):
    """A :class:`ModelClient` that sends its requests to Ray workers (module docstring)."""

    def __init__(
        self,
        model: Any,
        *,
        spec: str,
        options: ModelOptions,
        cache_path: Path | None = None,
        key_params: Mapping[str, Any] | None = None,
        budget: int | None = None,
    ) -> None:
        from steps_agents.models.cache import ResponseCache
        from steps_agents.runtime.parallel import RayExecutor

        use_cache = cache_path is not None and options.cache
        cache = ResponseCache(cache_path) if use_cache and cache_path is not None else None
        super().__init__(model, spec=spec, options=options, cache=cache, key_params=key_params)
        executor = RayExecutor(options.ray_address, options.workers)
        self._ray = executor._ray
        count = options.workers or executor.workers
        worker = self._ray.remote(num_cpus=ACTOR_CPUS, scheduling_strategy="SPREAD")(ModelWorker)
        shared = worker_options(options, count).model_dump()
        self.workers = [worker.remote(spec, shared) for _ in range(count)]
        self._seen: list[dict[str, dict[str, int]]] = [{} for _ in self.workers]
        self._spent = [0] * count
        self._lock = threading.Lock()
        self.share_budget(budget)

    def share_budget(self, limit: int | None) -> None:
        """Give each worker its share of a budget of ``limit`` model calls (``None``: no
        limit): calls go to a worker whose share is not yet spent while there is one."""
        count = len(self.workers)
        self.shares: list[int | None] = (
            [None] * count
            if limit is None
            else [limit // count + (1 if i < limit % count else 0) for i in range(count)]
        )

    def _worker_for(self, convo: list[BaseMessage]) -> int:
        first = _route_key(convo) % len(self.workers)
        for step in range(len(self.workers)):
            index = (first + step) % len(self.workers)
            share = self.shares[index]
            if share is None or self._spent[index] < share:
                return index
        return first  # every share spent: the run's own budget check stops it

    async def request(
        self, convo: list[BaseMessage], schema: type[BaseModel] | None, params: dict[str, Any]
    ) -> tuple[Any, str, tuple[int, int]]:
        index = self._worker_for(convo)
        try:
            outcome, answer, usage = await self.workers[index].call.remote(convo, schema, params)
        except self._ray.exceptions.RayTaskError as exc:  # a bug in the worker: raise it here
            cause = getattr(exc, "cause", None)
            raise (cause if isinstance(cause, Exception) else exc) from None
        self._add_usage(index, usage)
        if outcome == "call":
            raise ModelCallError(answer.pop("message"), **answer)
        if outcome == "output":
            raise ModelOutputError(answer["message"])
        result, body, tokens = answer
        return result, body, (int(tokens[0]), int(tokens[1]))

    def _add_usage(self, index: int, usage: dict[str, Any]) -> None:
        """Add what worker ``index`` counted since its last report (its counters only grow, and
        reports of concurrent calls may arrive out of order: keep the highest seen)."""
        with self._lock:
            seen = self._seen[index]
            for spec, counts in (usage.get("by_model") or {}).items():
                before = seen.setdefault(spec, {})
                deltas = {}
                for name in COUNTERS:
                    now = int(counts.get(name, 0))
                    if now > before.get(name, 0):
                        deltas[name] = now - before.get(name, 0)
                        before[name] = now
                if deltas:
                    self.usage.add(spec, **deltas)
            self._spent[index] = int(usage.get("calls", 0))

    def worker_usage(self) -> list[Usage]:
        """The counters each worker reported last, in worker order."""
        out = []
        for seen in self._seen:
            usage = Usage()
            for spec, counts in seen.items():
                usage.add(spec, **counts)
            out.append(usage)
        return out

    def view(self, model: Any) -> ModelClient:
        raise InputError(
            "executor = ray in the model options serves steps synth; tool-calling agents call"
            " from their own process (steps eval --executor ray plays episodes on Ray workers)",
            location="executor",
        )

    def close(self) -> None:
        workers, self.workers = self.workers, []
        for worker in workers:
            try:
                self._ray.get(worker.close.remote())
            finally:
                self._ray.kill(worker)
        super().close()


def open_remote_model(
    spec: str, options: ModelOptions, *, cache_path: Path | None = None, model: Any = None
) -> RayModelClient:
    """A :class:`RayModelClient` for ``spec``; ``model`` is this process's own model object
    (its type decides the structured-output form, as in a local client)."""
    return RayModelClient(
        model,
        spec=spec,
        options=options,
        cache_path=cache_path,
        key_params=options.cache_key_params(),
    )
