"""A guard that keeps world tools off the real machine: no files, sockets or subprocesses.

Tool execution runs inside :func:`sandboxed`. A process-wide audit hook (PEP 578) is installed
once; it does nothing unless the current thread is inside :func:`sandboxed`, and there it
raises :class:`ToolError` on the audit events that reach outside the process: ``open`` (which
``builtins.open``, ``io.open``, ``os.open`` and module loading all raise), ``socket.*``,
``subprocess.Popen``, ``os.system``, ``os.exec*``, ``os.spawn*``, ``os.posix_spawn``,
``os.fork``, file-system mutations (``os.remove``, ``os.rename``, ``shutil.*``, ...),
``urllib.Request`` and ``ctypes.*``, and on introspection that could reach the guard itself
(``sys._getframe``, ``gc.get_objects``, frames and code objects: :data:`INTROSPECTION_EVENTS`).

Why an audit hook and not monkey-patching ``builtins.open``: the hook sees every route to the
operation (``io.open``, ``os.open``, ``_io.FileIO``, C extensions that audit), and it cannot be
undone by the tool re-importing the original function. Audit hooks cannot be removed, so the
hook keeps its own switch: which threads are inside lives in the hook's closure
(:func:`_make_hook`), entered and left through the hook's own audit events with a token only
:func:`sandboxed` holds. No module attribute turns the guard off (rebinding ``BLOCKED_EVENTS``
or the old ``_ACTIVE`` changes nothing), a fresh :class:`contextvars.Context` does not reset
it, and a tool that fires the leave event itself gets a :class:`ToolError`. This is a guard
against accidents and casual misuse by tool code, not a security boundary against hostile
native code: a tool that builds a fresh ``_thread`` module (``_imp.create_builtin``) still gets
an unwrapped thread start, and its thread runs outside the sandbox.

A thread started inside the sandbox (``threading.Thread``, a ``ThreadPoolExecutor``, or
``_thread.start_new_thread``) starts sandboxed too: :func:`_install` replaces the interpreter's
thread-start function with one that asks the hook to start the thread, and the hook starts it
inside the sandbox when the caller is (the original start function is held by the hook only).

Consequence for world authors: import every module a tool needs at module import time; a lazy
import inside a tool reads a file and is refused.
"""

from __future__ import annotations

import _thread
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from steps_agents.worlds.spec import ToolError

__all__ = [
    "BLOCKED_EVENTS",
    "BLOCKED_PREFIXES",
    "INTROSPECTION_EVENTS",
    "is_sandboxed",
    "sandboxed",
]

BLOCKED_EVENTS: frozenset[str] = frozenset(
    {
        "open",
        "os.system",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.mkdir",
        "os.chdir",
        "os.chmod",
        "os.chown",
        "os.truncate",
        "os.symlink",
        "os.link",
        "os.utime",
        "os.listdir",
        "os.scandir",
        "os.putenv",
        "os.unsetenv",
        "os.startfile",
        "pty.spawn",
        "urllib.Request",
        "webbrowser.open",
        "sys.addaudithook",
    }
)
BLOCKED_PREFIXES: tuple[str, ...] = (
    "socket.",
    "subprocess.",
    "os.exec",
    "os.spawn",
    "os.posix_spawn",
    "shutil.",
    "ctypes.",
    "ftplib.",
    "smtplib.",
    "poplib.",
    "imaplib.",
    "nntplib.",
    "telnetlib.",
    "http.client.",
    "sqlite3.",
)

# Introspection that could reach the guard's token or rewrite code: refused inside the sandbox.
# (``object.__getattr__`` is raised for ``__code__``, ``tb_frame``, ``gi_frame``, ...;
# ``object.__setattr__`` for assigning ``__code__`` or ``__defaults__`` of a function.)
INTROSPECTION_EVENTS: frozenset[str] = frozenset(
    {
        "sys._getframe",
        "sys._current_frames",
        "sys.settrace",
        "sys.setprofile",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "object.__getattr__",
        "object.__setattr__",
        "object.__delattr__",
    }
)

# The guard's own events: the hook keeps the state, callers only ask it through these.
_ENTER = "steps_agents.sandbox.enter"
_LEAVE = "steps_agents.sandbox.leave"
_QUERY = "steps_agents.sandbox.query"
_START = "steps_agents.sandbox.start_thread"
_OWN_PREFIX = "steps_agents.sandbox."

_INSTALLED = False
_LOCK = threading.Lock()
# Taken at import: a tool that rebinds sys.audit cannot make a later leave or thread start
# miss the hook (a missed leave would keep its thread sandboxed: it fails closed).
_audit = sys.audit


def _make_hook(start_thread: Any) -> Any:
    """The audit hook, holding everything that decides whether a thread is sandboxed.

    The state is a dict in this closure, thread id -> the tokens of the sandboxes that thread
    is inside: no module global a tool could rebind or ``.set(False)`` (``sandbox._ACTIVE``
    was one), and nothing a new :class:`contextvars.Context` resets. Once installed the hook
    is referenced only by the interpreter (audit hooks cannot be listed) and
    :data:`INTROSPECTION_EVENTS` are refused inside, so a tool cannot reach the closure. A
    thread enters with a fresh token (a new ``object()``: it cannot be guessed, only held) and
    leaves only by giving it back; a tool that fires the leave event itself gets a
    :class:`ToolError`. ``start_thread`` (the interpreter's own thread start) is kept here
    too, not in a module a tool can read.
    """
    inside: dict[int, tuple[object, ...]] = {}
    raising: set[int] = set()  # threads building a refusal, which must not trip the hook
    blocked, prefixes, introspection = BLOCKED_EVENTS, BLOCKED_PREFIXES, INTROSPECTION_EVENTS
    own_prefix, error_type, get_ident = _OWN_PREFIX, ToolError, _thread.get_ident

    def refuse(message: str) -> None:
        ident = get_ident()
        raising.add(ident)
        try:
            error = error_type(message)
        finally:
            raising.discard(ident)
        raise error

    def own_event(event: str, args: tuple[Any, ...], tokens: tuple[object, ...]) -> None:
        ident = get_ident()
        if event == _QUERY:
            args[0].append(bool(tokens))
        elif event == _ENTER:
            token = object()
            inside[ident] = (*tokens, token)
            args[0].append(token)
        elif event == _LEAVE:
            if not tokens or args[0] is not tokens[-1]:
                refuse("sandbox: a tool may not leave the sandbox")
            if len(tokens) > 1:
                inside[ident] = tokens[:-1]
            else:
                del inside[ident]
        elif event == _START:
            function, fargs, fkwargs, box = args
            if tokens:  # started inside the sandbox: the new thread starts inside it too
                inner = function

                def function(*a: Any, **k: Any) -> Any:
                    child = get_ident()
                    inside[child] = (object(),)  # this thread's own, left when it ends
                    try:
                        return inner(*a, **k)
                    finally:
                        inside.pop(child, None)  # thread ids are reused

            box.append(start_thread(function, fargs, fkwargs))

    def hook(event: str, args: tuple[Any, ...]) -> None:
        # Hot path: called for every audited event in the process; keep the common case cheap.
        tokens = inside.get(get_ident(), ())
        if event.startswith(own_prefix):
            own_event(event, args, tokens)
            return
        if not tokens or get_ident() in raising:
            return
        if event in blocked or event.startswith(prefixes) or event in introspection:
            shown = args[0] if args and isinstance(args[0], (str, bytes, int)) else None
            refuse(f"sandbox: tools may not use {event}" + ("" if shown is None else f" {shown!r}"))

    return hook


def _start_thread(function: Any, args: Any, kwargs: Any = None) -> Any:
    """What ``_thread.start_new_thread`` becomes: the hook starts the thread (sandboxed when
    the caller is), so the interpreter's own start function is not reachable from here."""
    box: list[Any] = []
    _audit(_START, function, args, kwargs or {}, box)
    if not box:
        raise RuntimeError("the tool sandbox's thread start was bypassed")
    return box[0]


def _install() -> None:
    global _INSTALLED
    with _LOCK:
        if not _INSTALLED:
            sys.addaudithook(_make_hook(_thread.start_new_thread))
            # threading.Thread.start calls threading._start_new_thread (an alias of
            # _thread.start_new_thread taken at import); _thread.start_new is an old alias.
            threading._start_new_thread = _start_thread  # type: ignore[attr-defined]
            _thread.start_new_thread = _start_thread
            _thread.start_new = _start_thread
            _INSTALLED = True


def is_sandboxed() -> bool:
    """``True`` inside :func:`sandboxed` in the current thread."""
    if not _INSTALLED:
        return False
    box: list[bool] = []
    _audit(_QUERY, box)
    return bool(box and box[0])


@contextmanager
def sandboxed() -> Iterator[None]:
    """Run the body with file, socket and subprocess access refused (raises :class:`ToolError`)."""
    _install()
    box: list[object] = []
    _audit(_ENTER, box)
    try:
        yield
    finally:
        _audit(_LEAVE, box[0])
