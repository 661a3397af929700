"""One process per run: a lock file in the run's state directory.

Two ``steps synth`` processes with the same run id would both resume from the same checkpoint and
append to the same output file (duplicates, interleaved lines). :class:`RunLock` takes an
exclusive ``fcntl.flock`` on ``<state dir>/<run id>.lock`` (a hash for a run id that is not a
plain file name) and writes its pid into it. A second
process finds the lock held and stops in one line naming the pid that holds it.

Stale locks take care of themselves: the kernel releases a ``flock`` when its process dies, even
by SIGKILL, so a lock file left by a killed run is simply taken over (its old pid overwritten).
Where ``fcntl`` does not exist (Windows), the pid in the file decides: a pid that is no longer
running is a stale lock and is taken over.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import IO

from steps_agents.errors import StepsError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class RunLockedError(StepsError):
    """Another live process holds this run's lock."""

    exit_code = 2


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _file_stem(run_id: str) -> str:
    """``run_id`` when it is a plain file name; else a hash of it, so a run id such as
    ``../x`` or ``a/b`` cannot name a lock file outside the state directory."""
    if _PLAIN.fullmatch(run_id):
        return run_id
    return "run-" + hashlib.sha256(run_id.encode()).hexdigest()[:16]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class RunLock:
    """The lock of run ``run_id`` in ``state_dir``; :meth:`close` releases it."""

    def __init__(self, state_dir: Path, run_id: str) -> None:
        self.path = state_dir / f"{_file_stem(run_id)}.lock"
        self.run_id = run_id
        self._file: IO[str] | None = None
        self._acquire()

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "?"
        except OSError:
            return "?"

    def _refuse(self, holder: str) -> RunLockedError:
        return RunLockedError(
            f"run {self.run_id!r} is already running in process {holder} (lock {self.path});"
            " wait for it to finish, stop it, or pass another --run-id"
        )

    def _acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise self._refuse(self._holder()) from None
        else:  # pragma: no cover - Windows: the pid in the file decides
            holder = self._holder()
            if holder.isdigit() and int(holder) != os.getpid() and _alive(int(holder)):
                handle.close()
                raise self._refuse(holder)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def close(self) -> None:
        """Release the lock (a no-op the second time). The file stays, emptied: removing it
        would let a process that opened it just before lock it while a third one locks a new
        file of the same name."""
        if self._file is None:
            return
        try:
            self._file.seek(0)
            self._file.truncate()
        finally:
            self._file.close()  # closing the descriptor releases the flock
            self._file = None
