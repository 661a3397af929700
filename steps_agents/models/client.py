"""``ModelClient``: every model call of a run goes through one of these.

It wraps one LangChain chat model and adds, around each call:

1. the response cache (:mod:`.cache`): a hit returns at once and costs no model call;
2. a concurrency limit over one or several servers: each attempt takes a slot of the
   least-loaded server of a :class:`.servers.ServerPool` (at most ``concurrency`` in flight in
   all, at most ``N`` at a server written ``URL#N``; a server's limit adapts to 429s and
   timeouts; a failing server leaves the rotation and its calls go to the others). One pool per
   event loop (its waits belong to that loop); sync callers share one private background loop,
   hence one pool;
3. a timeout per attempt (``asyncio.timeout``) and retries with exponential backoff and jitter
   on every error :func:`.retry.classify` calls retryable: rate limits, server errors, network
   errors, timeouts, and malformed, truncated (``max_tokens`` doubled where the call has one),
   wrong-schema or empty replies; a :class:`.breaker.CircuitBreaker` per server stops the run
   when recent attempts are mostly one failure (with several servers: on every server);
4. structured answers as pydantic objects (:mod:`.structured`);
5. call and token accounting in :attr:`ModelClient.usage` (:mod:`.usage`).

Errors end as one-line :mod:`steps_agents.errors` exceptions the CLI prints without a traceback:
a retryable error that survives ``max_retries`` retries, a tripped breaker, or a provider's
refusal (401 bad key, 404 unknown model, 400 bad request) raises
:class:`~steps_agents.errors.ModelCallError` with the failure's ``kind`` and advice for that kind
(the provider's exception is its ``__cause__``); a structured answer still wrong-schema,
truncated or malformed after the retries raises :class:`~steps_agents.errors.ModelOutputError`
(the caller rejects that item). Other exceptions (bugs) propagate unchanged.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
import weakref
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    convert_to_messages,
    message_to_dict,
    messages_from_dict,
)
from pydantic import BaseModel, ValidationError

from steps_agents.errors import ModelCallError, ModelOutputError
from steps_agents.models.cache import CachedResponse, ResponseCache, cache_key
from steps_agents.models.negotiate import (
    FORMS_FILE,
    Form,
    Negotiator,
    json_object_format,
    refused_parameter,
)
from steps_agents.models.options import ModelOptions
from steps_agents.models.retry import (
    AUTH,
    EMPTY,
    FATAL,
    MALFORMED,
    RETRY,
    TRUNCATED,
    UNKNOWN_MODEL,
    WRONG_SCHEMA,
    Failure,
    ReplyProblem,
    backoff_delay,
    classify,
    status_of,
)
from steps_agents.models.servers import AllServersDown, Endpoint, ServerPool, ServerState
from steps_agents.models.structured import (
    StructuredOutputInvalid,
    correction_messages,
    message_text,
    parse_reply,
    schema_json,
    supports_native,
    validate,
    with_format_instruction,
)
from steps_agents.models.usage import Usage

T = TypeVar("T")


def _tokens(message: Any) -> tuple[int, int]:
    usage = getattr(message, "usage_metadata", None) or {}
    return int(usage.get("input_tokens", 0) or 0), int(usage.get("output_tokens", 0) or 0)


def _one_line(problem: object) -> str:
    if isinstance(problem, ValidationError):
        first = problem.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
        return f"{where}: {first.get('msg', 'invalid')}"
    text = str(problem).strip()
    return (text.splitlines()[0] if text else type(problem).__name__)[:300]


def _check_reply(reply: Any) -> None:
    """Raise :class:`ReplyProblem` for a reply cut at the token limit (``finish_reason`` /
    ``stop_reason`` ``length``/``max_tokens``) or one with no text and no tool call."""
    if not isinstance(reply, BaseMessage):
        return
    meta = reply.response_metadata or {}
    finish = meta.get("finish_reason") or meta.get("stop_reason")
    if finish in ("length", "max_tokens"):
        raise ReplyProblem(
            TRUNCATED, f"the reply was cut at the token limit (finish_reason {finish!r})"
        )
    if not message_text(reply).strip() and not getattr(reply, "tool_calls", None):
        raise ReplyProblem(EMPTY, "the model answered with no text and no tool call")


def _advice(kind: str, retryable: bool) -> str:
    """What the user should do about a failure of ``kind`` (the end of the stop line)."""
    if kind == AUTH:
        return "check the API key: the variable --api-key-env names must hold a key this server accepts"
    if kind == UNKNOWN_MODEL:
        return "check the model name (and --base-url: the server may not serve that model)"
    if kind == EMPTY:
        return (
            "the model answered nothing: check the model name and server, and that the prompt"
            " fits its context window"
        )
    if kind == MALFORMED:
        return (
            "the server's replies are not valid chat-completion JSON: check that --base-url"
            " points at an OpenAI-compatible API and that the server is healthy"
        )
    if retryable:
        return (
            "the service is overloaded, down or unreachable: check it (or --base-url), raise"
            " --max-retries or --timeout, then rerun with the same --run-id to resume (answers"
            " already received are cached)"
        )
    return "check the model name, the API key (--api-key-env) and the call's parameters"


def _rebind(derived: Any, base: Any, other: Any) -> Any:
    """``derived`` (``base`` bound to arguments) bound the same way over ``other``."""
    if derived is base:
        return other
    if getattr(derived, "bound", None) is base and hasattr(derived, "model_copy"):
        return derived.model_copy(update={"bound": other})
    raise ValueError(
        "a view of a client with several servers needs client.model bound to arguments"
        " (bind / bind_tools)"
    )


class _BackgroundLoop:
    """An event loop on a daemon thread, started on first use, for sync callers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def get(self) -> asyncio.AbstractEventLoop:
        with self.lock:
            if self.loop is None:
                self.loop = asyncio.new_event_loop()
                self.thread = threading.Thread(
                    target=self.loop.run_forever, name=self.name, daemon=True
                )
                self.thread.start()
            return self.loop

    def stop(self) -> None:
        with self.lock:
            loop, thread = self.loop, self.thread
            self.loop = self.thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()


class ModelClient:
    """One chat model plus cache, concurrency limit, timeouts, retries and accounting."""

    def __init__(
        self,
        model: Any,
        *,
        spec: str,
        options: ModelOptions | None = None,
        cache: ResponseCache | None = None,
        key_params: Mapping[str, Any] | None = None,
        endpoints: Sequence[Endpoint] | None = None,
    ) -> None:
        """``options`` gives the concurrency, retries, timeout, backoff and structured mode (its
        ``cache`` flag and connection settings matter only to :func:`open_model` and
        :meth:`from_model`, which open the cache and the model). ``endpoints``: one model object
        per server (several ``base_url``); default: ``model`` alone."""
        self.model, self.spec, self.cache = model, spec, cache
        self.options = options or ModelOptions()
        # What identifies the model's behaviour beyond its spec (temperature, base URL): part of
        # every cache key, never sent as a call parameter.
        key = dict(key_params or {})
        if "temperature" not in key and getattr(model, "temperature", None) is not None:
            key["temperature"] = model.temperature
        self.key_params = key
        self.usage = Usage()
        if endpoints:
            self.endpoints = list(endpoints)
            self.model = self.endpoints[0].model
        else:
            servers = self.options.servers()
            url = servers[0].url if len(servers) == 1 else key.get("base_url")
            limit = servers[0].concurrency if len(servers) == 1 else None
            self.endpoints = [Endpoint(url if isinstance(url, str) else None, model, limit)]
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ServerPool]
        self._pools = weakref.WeakKeyDictionary()
        self._background = _BackgroundLoop(f"model-client-{spec}")
        self.negotiator = Negotiator()  # structured-output form per server (issue 17)
        self._is_view = False

    @classmethod
    def from_model(
        cls,
        model: Any,
        *,
        spec: str,
        options: ModelOptions | None = None,
        cache_path: Path | None = None,
        key_params: Mapping[str, Any] | None = None,
        endpoints: Sequence[Endpoint] | None = None,
    ) -> ModelClient:
        """Wrap ``model`` (or one model per server, ``endpoints``); no response cache when
        ``cache_path`` is ``None`` or ``options.cache`` is false."""
        options = options or ModelOptions()
        use_cache = cache_path is not None and options.cache
        cache = ResponseCache(cache_path) if use_cache and cache_path is not None else None
        client = cls(
            model,
            spec=spec,
            options=options,
            cache=cache,
            key_params=key_params,
            endpoints=endpoints,
        )
        if cache_path is not None:  # the negotiated form survives a resume, like the cache
            client.negotiator = Negotiator(Path(cache_path).with_name(FORMS_FILE))
        return client

    # ---- public calls ------------------------------------------------------------------------

    async def ainvoke(
        self,
        messages: Sequence[Any],
        *,
        schema: type[BaseModel] | None = None,
        cache_key_extra: str = "",
        **params: Any,
    ) -> Any:
        """Ask the model; return an ``AIMessage``, or an instance of ``schema`` when given.

        ``params`` go to the model call (``stop``, ``max_tokens``, ...) and into the cache key;
        ``cache_key_extra`` only into the cache key (use it to ask one prompt several times).
        """
        convo = list(convert_to_messages(list(messages)))
        key = ""  # hashing the whole prompt is only worth it with a cache to look it up in
        if self.cache is not None:
            key = cache_key(
                self.spec,
                convo,
                schema=schema_json(schema) if schema is not None else None,
                params={**self.key_params, **params},
                extra=cache_key_extra,
            )
            hit = self.cache.get(key)
            decoded = self._decode(hit, schema) if hit is not None else None
            if decoded is not None:
                self.usage.add(self.spec, cache_hits=1)
                return decoded
        result, body, tokens = await self.request(convo, schema, params)
        if self.cache is not None:
            self.cache.put(key, self.spec, CachedResponse(body, *tokens))
        return result

    def invoke(
        self,
        messages: Sequence[Any],
        *,
        schema: type[BaseModel] | None = None,
        cache_key_extra: str = "",
        **params: Any,
    ) -> Any:
        """Sync :meth:`ainvoke`: runs on the client's own background event loop, so sync callers
        on many threads share one concurrency limit and the model's async client one loop."""
        return self.run(
            self.ainvoke(messages, schema=schema, cache_key_extra=cache_key_extra, **params)
        )

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the client's background event loop and wait for its result.

        For sync code that wants many calls in flight at once (``gather`` them in ``coro``).
        Do not call it from a coroutine already running on that loop (it would deadlock).
        """
        loop = self._background.get()
        if threading.current_thread() is self._background.thread:
            coro.close()
            raise RuntimeError("ModelClient.invoke/run called from its own loop; await ainvoke")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, loop)
        return future.result()

    async def request(
        self, convo: list[BaseMessage], schema: type[BaseModel] | None, params: dict[str, Any]
    ) -> tuple[Any, str, tuple[int, int]]:
        """The call without the cache: ``(result, cache body, (input, output tokens))``, each
        attempt on a slot of the least-loaded server, with the retries. For a caller that keeps
        its own cache (a driver sending calls to remote workers)."""
        return await self._call_with_retries(convo, schema, params)

    def servers_report(self) -> list[dict[str, Any]]:
        """Per server (in the order given): answers, failures, limit now, peak in flight, down;
        summed over the event loops the client was used on."""
        rows: list[dict[str, Any]] = []
        for pool in list(self._pools.values()):
            for i, row in enumerate(pool.report()):
                if i >= len(rows):
                    rows.append(dict(row))
                    continue
                for name in ("answered", "failed"):
                    rows[i][name] += row[name]
                rows[i]["peak_in_flight"] = max(rows[i]["peak_in_flight"], row["peak_in_flight"])
        return rows

    def view(self, model: Any) -> ModelClient:
        """A client for another model object that shares everything else with this one.

        For a derived model such as ``client.model.bind_tools(tools)``: same spec, cache, usage
        counters, server slots (per loop) and background loop, so the run's limits and
        accounting stay whole. Put what distinguishes the derived model (the tool schemas) in
        ``cache_key_extra``. With several servers, ``model`` must be ``client.model`` bound to
        arguments (``bind``/``bind_tools``): each server's model is bound the same way.
        ``view.close()`` does nothing; close the parent.
        """
        other = copy.copy(self)
        other.model = model
        other.endpoints = [
            Endpoint(e.url, _rebind(model, self.model, e.model) if i else model, e.concurrency)
            for i, e in enumerate(self.endpoints)
        ]
        other._is_view = True
        return other

    def close(self) -> None:
        """Stop the background loop (if sync calls started it) and close the cache."""
        if self._is_view:
            return
        self._background.stop()
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    def __enter__(self) -> ModelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals ---------------------------------------------------------------------------

    def _pool(self) -> ServerPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = ServerPool(self.endpoints, self.options.concurrency)
        return pool

    def _form(self, schema: type[BaseModel] | None, endpoint: Endpoint) -> Form:
        """The structured-output form: forced by ``--structured``, else negotiated per server."""
        if schema is None or self.options.structured == "json":
            return "prompt"
        if self.options.structured == "native":
            return "json_schema"
        if not supports_native(endpoint.model):
            return "prompt"
        return self.negotiator.form(self._server_key(endpoint))

    def _server_key(self, endpoint: Endpoint) -> str:
        return Negotiator.key(endpoint.url, self.spec)

    def _decode(self, hit: CachedResponse, schema: type[BaseModel] | None) -> Any | None:
        """A cached body back as an object; ``None`` (treated as a miss) if it no longer parses."""
        try:
            if schema is not None:
                return schema.model_validate_json(hit.body)
            return messages_from_dict([json.loads(hit.body)])[0]
        except (ValidationError, ValueError, KeyError, TypeError):
            return None

    async def _call_with_retries(
        self, convo: list[BaseMessage], schema: type[BaseModel] | None, params: dict[str, Any]
    ) -> tuple[Any, str, tuple[int, int]]:
        correction: list[BaseMessage] = []  # the model's last wrong answer and what was wrong
        attempt = 0
        while True:
            try:
                answer, error, failure, tripped = await self._try_once(
                    convo, schema, params, correction
                )
            except AllServersDown as down:
                self.usage.add(self.spec, failures=1)
                cause = down.__cause__ or down
                failure = classify(cause) or Failure(down.tripped[0], RETRY)
                raise self._call_error(cause, failure, attempt + 1, down.tripped) from cause
            if answer is not None:
                return answer
            assert error is not None and failure is not None
            if not failure.retryable or tripped is not None:
                self.usage.add(self.spec, failures=1)
                raise self._call_error(error, failure, attempt + 1, tripped) from error
            if attempt >= self.options.max_retries:
                self.usage.add(self.spec, failures=1)
                if schema is not None and failure.kind in (WRONG_SCHEMA, TRUNCATED, MALFORMED):
                    problem = getattr(error, "problem", None) or _one_line(error)
                    raise ModelOutputError(
                        f"model {self.spec!r} gave no valid {schema.__name__} after"
                        f" {attempt + 1} attempts ({failure.kind}): {problem}"
                    ) from error
                raise self._call_error(error, failure, attempt + 1) from error
            if isinstance(error, StructuredOutputInvalid) and error.reply:
                # show the model its own mistake on the next attempt
                correction = correction_messages(error.reply, error.problem)
            if failure.kind == TRUNCATED:
                params = self._more_tokens(params)
            attempt += 1
            self.usage.add(self.spec, retries=1)
            await asyncio.sleep(backoff_delay(attempt, backoff=self.options.backoff, error=error))

    async def _try_once(
        self,
        convo: list[BaseMessage],
        schema: type[BaseModel] | None,
        params: dict[str, Any],
        correction: list[BaseMessage],
    ) -> tuple[
        tuple[Any, str, tuple[int, int]] | None,
        BaseException | None,
        Failure | None,
        tuple[str, int, int] | None,
    ]:
        """One attempt on a slot of the least-loaded server (and, when that server refuses a
        structured form, the next forms there): ``(answer, None, None, None)`` or
        ``(None, error, failure, breaker trip)``. Raises :class:`AllServersDown` (its cause the
        last error) when the failure leaves no server in the rotation."""
        pool = self._pool()
        server = await pool.acquire()
        endpoint = self.endpoints[server.index]
        started = time.monotonic()
        form = self._form(schema, endpoint)
        held: ServerState | None = server  # until released with the attempt's outcome
        try:
            while True:
                prompted = schema is not None and form in ("json_object", "prompt")
                prompt = with_format_instruction(convo, schema) if schema and prompted else convo
                self.usage.add(self.spec, calls=1)
                try:
                    answer = await self._attempt(
                        prompt + correction, schema, form, params, endpoint
                    )
                except Exception as exc:
                    parameter = (
                        refused_parameter(exc) if self.options.structured == "auto" else None
                    )
                    lower = (
                        self.negotiator.step_down(self._server_key(endpoint), form, parameter)
                        if schema is not None and parameter is not None
                        else None
                    )
                    if lower is not None:  # a capability answer: ask again in the next form
                        form = lower
                        continue
                    failure = classify(exc)
                    if failure is None:  # not the provider's answer: a bug, keep it
                        self.usage.add(self.spec, failures=1)
                        raise
                    error: BaseException = exc
                    break
                else:
                    held = None
                    return answer, None, None, pool.release(server, started, None)
            held = None
            try:
                tripped = pool.release(server, started, failure.kind, error)
            except AllServersDown as down:
                raise down from error
            return None, error, failure, tripped
        finally:
            if held is not None:  # cancelled, or a bug: the slot goes back without a verdict
                pool.abandon(held)

    def _more_tokens(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with ``max_tokens`` doubled, when the call or the model sets one (a reply
        cut at the limit is retried with room to finish); unchanged otherwise."""
        current = params.get("max_tokens", getattr(self.model, "max_tokens", None))
        if isinstance(current, int) and not isinstance(current, bool) and current > 0:
            return {**params, "max_tokens": current * 2}
        return params

    def _call_error(
        self,
        error: BaseException,
        failure: Failure,
        attempts: int,
        tripped: tuple[str, int, int] | None = None,
    ) -> ModelCallError:
        """One line naming the model, the failure's kind, the provider's error and what to do."""
        status = status_of(error)
        what = "" if isinstance(error, ReplyProblem) else type(error).__name__
        if status is not None and status >= 300:
            what += f" (HTTP {status})"
        detail = _one_line(error)[:200]
        if detail and detail != type(error).__name__:
            what += f": {detail}" if what else detail
        if tripped is not None:
            kind, count, seen = tripped
            head = (
                f"model {self.spec!r}: {count} of the last {seen} attempts failed ({kind}),"
                f" the last with {what}; stopping early"
            )
        elif failure.verdict == FATAL or not failure.retryable:
            head = f"model {self.spec!r} refused the call: {what}"
        else:
            tries = "attempt" if attempts == 1 else "attempts"
            head = f"model {self.spec!r} failed after {attempts} {tries}: {what}"
        return ModelCallError(
            f"{head}; {failure.kind}: {_advice(failure.kind, failure.retryable)}",
            spec=self.spec,
            attempts=attempts,
            status_code=status if status is not None and status >= 300 else None,
            kind=failure.kind,
        )

    async def _attempt(
        self,
        messages: list[BaseMessage],
        schema: type[BaseModel] | None,
        form: Form,
        params: dict[str, Any],
        endpoint: Endpoint,
    ) -> tuple[Any, str, tuple[int, int]]:
        """One request in ``form``: ``(result, cache body, (input_tokens, output_tokens))``."""
        if schema is not None and form in ("json_schema", "tool"):
            assert schema is not None
            model = endpoint.model
            if params:  # per-call settings (max_tokens, ...) as fields of a copy of the model
                if not hasattr(model, "model_copy"):
                    raise TypeError(f"{type(model).__name__} takes no per-call parameters")
                model = model.model_copy(update=params)
            how = {"method": "function_calling"} if form == "tool" else {}
            runnable = model.with_structured_output(schema, include_raw=True, **how)
            try:
                async with asyncio.timeout(self.options.timeout):  # no extra task, unlike wait_for
                    output = await runnable.ainvoke(messages)
            except (ValidationError, json.JSONDecodeError, OutputParserException) as exc:
                # Some integrations parse inside the SDK and raise instead of reporting a
                # parsing_error (ChatOpenAI's json_schema method): the answer was malformed.
                raise StructuredOutputInvalid(_one_line(exc)) from exc
            if isinstance(output, dict) and "raw" in output:
                tokens = _tokens(output["raw"])
                self.usage.add(self.spec, input_tokens=tokens[0], output_tokens=tokens[1])
                if output.get("parsing_error") is not None or output.get("parsed") is None:
                    _check_reply(output["raw"])
                    problem = output.get("parsing_error") or "no structured answer"
                    raise StructuredOutputInvalid(_one_line(problem), message_text(output["raw"]))
                output = output["parsed"]
            else:
                tokens = (0, 0)
            parsed = validate(schema, output)
            return parsed, parsed.model_dump_json(), tokens
        chat = endpoint.model
        if schema is not None and form == "json_object":  # JSON mode constrained by the schema
            chat = chat.bind(response_format=json_object_format(schema_json(schema)))
        async with asyncio.timeout(self.options.timeout):
            reply = await chat.ainvoke(messages, **params)
        tokens = _tokens(reply)
        self.usage.add(self.spec, input_tokens=tokens[0], output_tokens=tokens[1])
        _check_reply(reply)
        if schema is not None:
            parsed = parse_reply(schema, message_text(reply))
            return parsed, parsed.model_dump_json(), tokens
        if not isinstance(reply, BaseMessage):
            reply = AIMessage(content=str(reply))
        return reply, json.dumps(message_to_dict(reply)), tokens
