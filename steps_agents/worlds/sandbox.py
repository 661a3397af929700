"""A guard that keeps world tools off the real machine: no files, sockets or subprocesses.

Tool execution runs inside :func:`sandboxed`. A process-wide audit hook (PEP 578) is installed
once; it does nothing unless the current context is inside :func:`sandboxed` (a
:class:`contextvars.ContextVar`, so other threads and asyncio tasks are unaffected), and there it
raises :class:`ToolError` on the audit events that reach outside the process: ``open`` (which
``builtins.open``, ``io.open``, ``os.open`` and module loading all raise), ``socket.*``,
``subprocess.Popen``, ``os.system``, ``os.exec*``, ``os.spawn*``, ``os.posix_spawn``,
``os.fork``, file-system mutations (``os.remove``, ``os.rename``, ``shutil.*``, ...),
``urllib.Request`` and ``ctypes.*``.

Why an audit hook and not monkey-patching ``builtins.open``: the hook sees every route to the
operation (``io.open``, ``os.open``, ``_io.FileIO``, C extensions that audit), and it cannot be
undone by the tool re-importing the original function. Audit hooks cannot be removed, hence the
context-variable gate. This is a guard against accidents and casual misuse by tool code, not a
security boundary against hostile native code.

A thread started inside the sandbox (``threading.Thread``, a ``ThreadPoolExecutor``, or
``_thread.start_new_thread``) starts sandboxed too: :func:`_install` wraps the interpreter's
thread-start function so the new thread enters the sandbox before it runs the tool's code
(a context variable alone is not inherited by new threads).

Consequence for world authors: import every module a tool needs at module import time; a lazy
import inside a tool reads a file and is refused.
"""

from __future__ import annotations

import _thread
import contextvars
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from steps_agents.worlds.spec import ToolError

__all__ = ["BLOCKED_EVENTS", "BLOCKED_PREFIXES", "is_sandboxed", "sandboxed"]

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

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "steps_agents_tool_sandbox", default=False
)
_INSTALLED = False
_LOCK = threading.Lock()


def _hook(event: str, args: tuple[Any, ...]) -> None:
    # Hot path: called for every audited event in the process; keep the common case trivial.
    if not _ACTIVE.get():
        return
    if event in BLOCKED_EVENTS or event.startswith(BLOCKED_PREFIXES):
        target = f" {args[0]!r}" if args and isinstance(args[0], (str, bytes, int)) else ""
        # Leave the sandbox while raising so building the exception cannot trip the hook.
        _ACTIVE.set(False)
        try:
            error = ToolError(f"sandbox: tools may not use {event}{target}")
        finally:
            _ACTIVE.set(True)
        raise error


def _inheriting(start: Any) -> Any:
    """``start_new_thread`` that runs a thread started inside the sandbox inside it too."""

    def start_new_thread(function: Any, args: Any, kwargs: Any = None) -> Any:
        if _ACTIVE.get():
            inner = function

            def function(*a: Any, **k: Any) -> Any:
                _ACTIVE.set(True)  # this new thread's own context; never reset
                return inner(*a, **k)

        return start(function, args, kwargs or {})

    return start_new_thread


def _install() -> None:
    global _INSTALLED
    with _LOCK:
        if not _INSTALLED:
            sys.addaudithook(_hook)
            # threading.Thread.start calls threading._start_new_thread (an alias of
            # _thread.start_new_thread taken at import), so both names are wrapped.
            threading._start_new_thread = _inheriting(threading._start_new_thread)  # type: ignore[attr-defined]
            _thread.start_new_thread = _inheriting(_thread.start_new_thread)
            _INSTALLED = True


def is_sandboxed() -> bool:
    """``True`` inside :func:`sandboxed` in the current thread / task."""
    return _ACTIVE.get()


@contextmanager
def sandboxed() -> Iterator[None]:
    """Run the body with file, socket and subprocess access refused (raises :class:`ToolError`)."""
    _install()
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
