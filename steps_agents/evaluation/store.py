"""The durable record of a run: one JSON line per finished episode, appended as it finishes.

A LangGraph checkpoint is taken per superstep -- a whole wave of episodes -- and the evaluator
takes only one, at the end, so every finished episode is written here at once and a resumed run
skips the episodes already in the file. Each line is written
with a single ``write`` and flushed, so a SIGKILL can at worst leave a partial last line; loading
drops it (and truncates it away) so the episode simply runs again.

Every line starts with the version marker ``"schema": "steps-agents/episode@1"``
(:data:`steps_agents.fileformats.EPISODE_SCHEMA`); a line without one reads as version 1.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from steps_agents.errors import InputError
from steps_agents.evaluation.records import EpisodeResult
from steps_agents.fileformats import (
    EPISODE_SCHEMA,
    SCHEMA_KEY,
    check_schema,
    parse_json,
    stamped_json,
)

MAX_EPISODES_BYTES = 4 << 30
"""Largest episode log a resume reads (it is read whole): 4 GiB (``docs/reliability.md``)."""


class EpisodeStore:
    """Append-only JSONL of :class:`EpisodeResult` for one run id."""

    def __init__(self, path: str | Path, run_id: str) -> None:
        self.path = Path(path)
        self.run_id = run_id
        self.results: dict[str, EpisodeResult] = {}
        self._handle: IO[str] | None = None
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        if not self.path.is_file():  # a symlink to /dev/zero or /dev/full would never end
            raise InputError(
                "not a regular file (a device, a pipe or a directory); delete it or use another"
                " --run-id",
                location=self.path,
            )
        if self.path.stat().st_size > MAX_EPISODES_BYTES:
            raise InputError(
                f"episode log larger than {MAX_EPISODES_BYTES >> 30} GiB; use another --run-id",
                location=self.path,
            )
        data = self.path.read_bytes()
        good_end = data.rfind(b"\n") + 1
        if good_end < len(data):
            # A partial last line from a killed writer: drop it so the episode reruns cleanly.
            with open(self.path, "r+b") as handle:
                handle.truncate(good_end)
        for lineno, raw in enumerate(data[:good_end].splitlines(), start=1):
            if not raw.strip():
                continue
            location = f"{self.path}:{lineno}"
            try:
                data = parse_json(raw.decode("utf-8", "replace"), location=location)
            except ValueError:
                raise InputError(
                    "not an episode record (invalid JSON); delete the file or use another --run-id",
                    location=location,
                ) from None
            if isinstance(data, dict):
                check_schema(
                    data.pop(SCHEMA_KEY, None), EPISODE_SCHEMA, location=location, missing_ok=True
                )
            try:
                result = EpisodeResult.model_validate(data)
            except ValidationError as exc:
                raise InputError(
                    f"not an episode record ({exc.errors()[0].get('msg', 'invalid')});"
                    " delete the file or use another --run-id",
                    location=location,
                ) from None
            if result.run_id != self.run_id:
                raise InputError(
                    f"episode of run {result.run_id!r} in the file of run {self.run_id!r}",
                    location=location,
                )
            self.results[result.key] = result

    def __contains__(self, key: str) -> bool:
        return key in self.results

    def __len__(self) -> int:
        return len(self.results)

    def append(self, result: EpisodeResult) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Held open for the run (closed in close()): one open per run, not per episode.
            self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._handle.write(stamped_json(EPISODE_SCHEMA, result.model_dump_json()) + "\n")
        self._handle.flush()  # in the OS after this: survives the process being killed
        self.results[result.key] = result

    def sync(self) -> None:
        """fsync, for when the run ends (survives a power cut, too)."""
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self.sync()
            self._handle.close()
            self._handle = None


def run_id_for(tasks_fingerprint: str, agents: Sequence[str], **settings: Any) -> str:
    """A run id that is the same for the same tasks, agents and settings, so rerunning the same
    command resumes (``eval-`` + 12 hex digits of a SHA-256)."""
    body = json.dumps(
        {"tasks": tasks_fingerprint, "agents": list(agents), **settings},
        sort_keys=True,
        default=str,
    )
    return "eval-" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def file_fingerprint(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_run_id(run_id: str) -> str:
    """``run_id`` if it is a plain file-name stem (letters, digits, ``.``, ``_``, ``-``; at most
    128 characters; not starting with a dot), else ``ValueError``: a run id becomes part of a
    path under the state directory, so ``../../x`` or ``/tmp/x`` must not name a place outside."""
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(
            f"run id {run_id!r} must be letters, digits, '.', '_' or '-' (at most 128, not"
            " starting with '.' or '-'): it names files inside the state directory"
        )
    return run_id


def state_paths(state_dir: str | Path, run_id: str) -> tuple[Path, Path]:
    """``(episodes JSONL, checkpoint SQLite)`` of a run; both inside ``state_dir`` (the run id
    is checked by :func:`check_run_id`)."""
    try:
        check_run_id(run_id)
    except ValueError as exc:
        raise InputError(str(exc), location="--run-id") from None
    base = Path(state_dir)
    return base / f"{run_id}.episodes.jsonl", base / f"{run_id}.checkpoints.sqlite"
