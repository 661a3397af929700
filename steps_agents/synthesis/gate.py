"""Fail fast after a run-stopping model failure: calls still waiting for a slot are not sent.

The synthesis pipeline starts drafts ahead (up to five waves of items), so when the model
service goes down most of those calls are still queued on the client's concurrency slots. Sent
one by one, each would spend its retries and timeouts on a dead service: with ``q`` calls queued,
concurrency ``c``, ``r`` retries and a hanging service, the run would take
``ceil(q / c) * (r + 1) * timeout`` more seconds to stop instead of ``(r + 1) * timeout``.

:class:`GatedModel` wraps the run's :class:`~steps_agents.models.ModelClient` for the modes and
judges: it takes one of its own ``concurrency`` slots before calling the client (so the client's
own slots never queue), records a :class:`~steps_agents.errors.ModelCallError` that is not
item-specific in the run's :class:`Outage` *before* giving its slot up, and refuses every call
that gets a slot after that. Calls already in flight finish normally, so an answer that still
arrives is kept. Everything but ``ainvoke`` is passed through to the client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from steps_agents.errors import ModelCallError


class Outage:
    """The first model failure of a run that is not about one request (shared by its gates)."""

    def __init__(self) -> None:
        self.error: ModelCallError | None = None

    def record(self, error: ModelCallError) -> None:
        if self.error is None:
            self.error = error


class GatedModel:
    """A model client whose calls are refused once ``outage`` holds an error (see module doc)."""

    def __init__(self, client: Any, outage: Outage) -> None:
        self._client, self._outage = client, outage
        self._slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    @property
    def client(self) -> Any:
        """The wrapped client."""
        return self._client

    def _semaphore(self) -> asyncio.Semaphore | None:
        # A ModelClient's limit; a bare chat model (tests, notebooks) has none: no gate slots.
        concurrency = getattr(getattr(self._client, "options", None), "concurrency", None)
        if not isinstance(concurrency, int) or concurrency < 1:
            return None
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(concurrency)
        return slots

    def _refuse(self) -> None:
        error = self._outage.error
        if error is not None:
            raise ModelCallError(
                str(error), spec=error.spec, attempts=0, status_code=error.status_code
            )

    async def ainvoke(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse()
        slots = self._semaphore()
        if slots is None:
            return await self._call(*args, **kwargs)
        async with slots:
            self._refuse()  # the run may have failed while this call waited for its slot
            return await self._call(*args, **kwargs)

    async def _call(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self._client.ainvoke(*args, **kwargs)
        except ModelCallError as error:
            if not error.item_specific:
                self._outage.record(error)  # before the slot is released to the next waiter
            raise


def gate_models(outage: Outage, *clients: Any) -> list[Any]:
    """One :class:`GatedModel` per distinct client (the same client gets the same gate, so
    they share its slots); ``None`` stays ``None``."""
    gates: dict[int, GatedModel] = {}
    out: list[Any] = []
    for client in clients:
        if client is None:
            out.append(None)
            continue
        gate = gates.get(id(client))
        if gate is None:
            gate = gates[id(client)] = GatedModel(client, outage)
        out.append(gate)
    return out
