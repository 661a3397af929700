"""A small progress line on stderr: count, rate and ETA, redrawn at most a few times a second.

On a terminal it redraws in place; otherwise (CI logs, pipes) it prints a line every few seconds
so logs stay short. ``STEPS_AGENTS_NO_PROGRESS=1`` or ``enabled=False`` silences it.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import TextIO


class Progress:
    TTY_INTERVAL = 0.2
    """Seconds between redraws on a terminal."""
    LOG_INTERVAL = 5.0
    """Seconds between lines in a log (stderr not a terminal)."""

    def __init__(
        self,
        desc: str,
        total: int | None = None,
        *,
        unit: str = "it",
        stream: TextIO | None = None,
        enabled: bool = True,
    ) -> None:
        self.desc, self.total, self.unit = desc, total, unit
        self.stream = stream or sys.stderr
        self.enabled = enabled and os.environ.get("STEPS_AGENTS_NO_PROGRESS", "") in {"", "0"}
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.count = 0
        self.fields: dict[str, object] = {}
        self.start = time.monotonic()
        self._interval = self.TTY_INTERVAL if self.tty else self.LOG_INTERVAL
        # First line only after one interval: short work stays silent.
        self._last_draw = self.start
        self._drawn = False
        self._drawn_count: int | None = None  # the count the last line showed
        self._closed = False

    def update(self, n: int = 1, **fields: object) -> None:
        self.count += n
        self.fields.update(fields)
        now = time.monotonic()
        if self.enabled and now - self._last_draw >= self._interval:
            self._last_draw = now
            self._drawn = True
            self._draw(final=False)

    def set(self, **fields: object) -> None:
        self.update(0, **fields)

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.count / elapsed
        parts = [f"{self.desc}: {self.count}"]
        if self.total:
            parts[0] += f"/{self.total} ({100.0 * self.count / self.total:.0f}%)"
        parts.append(f"{rate:.1f} {self.unit}/s")
        if self.total and rate > 0 and self.count < self.total:
            parts.append(f"ETA {(self.total - self.count) / rate:.0f}s")
        parts.extend(f"{k} {v}" for k, v in self.fields.items())
        parts.append(f"{elapsed:.1f}s")
        return ", ".join(parts)

    def _draw(self, *, final: bool) -> None:
        self._drawn_count = self.count
        text = self.line()
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        """The final line, once: not when the last line drawn already shows the final count
        (a log then held the same line twice; a terminal only needs its line ended)."""
        if self._closed:
            return
        self._closed = True
        # Only say something at the end if the work took long enough to have shown a line.
        if not self.enabled or not (self._drawn or time.monotonic() - self.start > 1.0):
            return
        if self._drawn_count == self.count:
            if self.tty:
                self.stream.write("\n")
                self.stream.flush()
            return
        self._draw(final=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
