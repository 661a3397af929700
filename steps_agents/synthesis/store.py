"""Append-only JSONL output: the durable record of a run's decisions.

Accepted samples go to the output file (rendered by the chosen output format), rejects with
their reasons to ``<stem>.rejects.jsonl`` beside it; every line, whatever the format, starts
with ``"schema": "steps-agents/sample@1"`` (:data:`~steps_agents.fileformats.SAMPLE_SCHEMA`),
checked when the files are read back (a line without it reads as version 1). Each record is one ``os.write`` of one
complete line on a file opened with ``O_APPEND``, so a process killed at any instant leaves
either the whole line or none of it in the kernel's page cache (``fsync=True`` also survives a
power cut, at a cost). On open, both files are read back: a torn last line (a kill while
writing on a filesystem that split the write) is cut off, and the ids already decided are kept
so that :meth:`write` is idempotent. That, not the graph checkpoint, is what guarantees a
resumed run loses nothing accepted and writes nothing twice (see CONVENTIONS.md on SIGKILL).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steps_agents.errors import InputError
from steps_agents.fileformats import SAMPLE_SCHEMA, SCHEMA_KEY, UNCOMPOSABLE_SCHEMA, check_schema
from steps_agents.synthesis.counters import merge_stats, outcome_stats
from steps_agents.synthesis.records import Sample

RenderFn = Callable[[Sample], dict[str, Any]]


@dataclass(frozen=True)
class Decided:
    """What the writer remembers about a sample already on disk."""

    status: str
    k: int
    skills: tuple[str, ...]
    reason: str = ""
    reason_tag: str = ""


def _repair_and_read(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record)``; truncate a torn trailing line first."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with path.open("r+b") as handle:
            handle.truncate(cut)
        data = data[:cut]
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"not a JSON line ({error.msg})", location=f"{path}:{number}"
            ) from None
        if isinstance(record, dict):
            yield number, record


def read_sample_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` of a samples or rejects file, each line's ``schema`` checked:
    :data:`~steps_agents.fileformats.SAMPLE_SCHEMA`, or none (a file written before the marker
    existed reads as version 1); another version is a one-line error naming ``file:line``."""
    for number, record in _repair_and_read(path):
        check_schema(
            record.get(SCHEMA_KEY), SAMPLE_SCHEMA, location=f"{path}:{number}", missing_ok=True
        )
        yield number, record


def stamp(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``"schema": SAMPLE_SCHEMA`` as its first key, beside the format's own."""
    return {SCHEMA_KEY: SAMPLE_SCHEMA, **{k: v for k, v in record.items() if k != SCHEMA_KEY}}


def _meta(record: dict[str, Any]) -> dict[str, Any]:
    """The provenance block, whatever output format rendered the record."""
    meta = record.get("metadata") or record.get("provenance") or {}
    return meta if isinstance(meta, dict) else {}


class SampleWriter:
    """Idempotent appender for one run's accepted and rejected samples.

    ``run_id`` guards against mixing runs: an output file holding records of another run is
    refused unless ``overwrite=True``, which replaces both files, but only once the run writes
    its first sample: a run that fails before leaves the old files as they were.
    """

    def __init__(
        self,
        output: str | Path,
        rejects: str | Path,
        *,
        run_id: str,
        render: RenderFn,
        overwrite: bool = False,
        fsync: bool = False,
        uncomposable: str | Path | None = None,
    ) -> None:
        self.output, self.rejects = Path(output), Path(rejects)
        self.uncomposable = Path(uncomposable) if uncomposable is not None else None
        self.run_id, self.render, self.fsync = run_id, render, fsync
        self.decided: dict[str, Decided] = {}
        self.accepted_texts: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.output.parent.mkdir(parents=True, exist_ok=True)
        # With overwrite the old files stay until this run has something to write: samples go
        # to fresh temporary files, renamed over the old ones right after the first write (the
        # open descriptors follow the rename), so a run that fails first leaves them intact.
        self._pending: dict[Path, Path] = {}
        if overwrite:
            for path in (self.output, self.rejects):
                tmp = path.with_name(path.name + ".overwrite-tmp")
                tmp.write_bytes(b"")
                self._pending[tmp] = path
        self._truncate_log = overwrite
        if not overwrite:  # an overwrite starts from nothing: the old samples are not its own
            self._load(self.output, "accepted")
            self._load(self.rejects, "rejected")
        self._accepted = self.count("accepted")
        self.accepted_by_k: dict[int, int] = {}
        for d in self.decided.values():
            if d.status == "accepted":
                self.accepted_by_k[d.k] = self.accepted_by_k.get(d.k, 0) + 1
        target = {dest: tmp for tmp, dest in self._pending.items()}
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        self._fds = {
            "accepted": os.open(target.get(self.output, self.output), flags, 0o644),
            "rejected": os.open(target.get(self.rejects, self.rejects), flags, 0o644),
        }
        self.written = {"accepted": 0, "rejected": 0}
        self._log_fd: int | None = None

    def _load(self, path: Path, status: str) -> None:
        for number, record in read_sample_records(path):
            meta = _meta(record)
            other = meta.get("run_id")
            if other is not None and other != self.run_id:
                raise InputError(
                    f"holds samples of run {other!r}; resume it with --run-id {other},"
                    " or pass --overwrite, or choose another --output",
                    location=f"{path}:{number}",
                )
            sample_id = str(record.get("id", ""))
            if not sample_id:
                continue
            self.decided[sample_id] = Decided(
                status=status,
                k=int(meta.get("k", 0) or 0),
                skills=tuple(meta.get("skills", ())),
                reason=str(record.get("reason", "")),
                reason_tag=str(record.get("reason_tag", "")),
            )
            if status == "accepted":
                self.accepted_texts.append((sample_id, _record_text(record, user_only=True)))

    # -- queries -----------------------------------------------------------------------------

    def get(self, sample_id: str) -> Decided | None:
        return self.decided.get(sample_id)

    def count(self, status: str) -> int:
        return sum(1 for d in self.decided.values() if d.status == status)

    @property
    def accepted(self) -> int:
        return self._accepted

    def used_skill_sets(self) -> list[list[str]]:
        return [sorted(d.skills) for d in self.decided.values() if d.skills]

    def stats(self) -> dict[str, Any]:
        """Counters in the graph's ``stats`` shape for what is already on disk."""
        total: dict[str, Any] = {}
        for d in self.decided.values():
            total = merge_stats(total, outcome_stats(d.status, d.k, d.reason_tag, 0))
        return total

    def is_surplus(self, k: int, *, max_accepted: int | None, quota: int | None) -> bool:
        """Whether one more accepted sample of ``k`` would exceed ``max_accepted`` or ``quota``."""
        return (max_accepted is not None and self._accepted >= max_accepted) or (
            quota is not None and self.accepted_by_k.get(k, 0) >= quota
        )

    # -- writing -----------------------------------------------------------------------------

    def write(
        self, sample: Sample, *, max_accepted: int | None = None, quota: int | None = None
    ) -> str:
        """Append ``sample`` unless its id is already decided.

        Returns ``"written"``, ``"duplicate"`` (id already on disk) or ``"surplus"`` (an accepted
        sample beyond ``max_accepted`` in all, or beyond ``quota`` for its k: the output then
        holds exactly the target count per k, however many branches were accepted at once).
        """
        record = stamp(
            self.render(sample)
            if sample.status == "accepted"
            else sample.model_dump(mode="json", exclude={"provenance"})
            | {"metadata": sample.provenance.model_dump(mode="json")}
        )
        line = (json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
        with self._lock:
            if sample.id in self.decided:
                return "duplicate"
            if sample.status == "accepted" and self.is_surplus(
                sample.provenance.k, max_accepted=max_accepted, quota=quota
            ):
                return "surplus"
            fd = self._fds[sample.status]
            os.write(fd, line)
            if self.fsync:
                os.fsync(fd)
            self._commit_overwrite()
            prov = sample.provenance
            self.decided[sample.id] = Decided(
                sample.status, prov.k, prov.skills, sample.reason, sample.reason_tag
            )
            self.written[sample.status] += 1
            if sample.status == "accepted":
                self._accepted += 1
                k = sample.provenance.k
                self.accepted_by_k[k] = self.accepted_by_k.get(k, 0) + 1
        return "written"

    def log_uncomposable(self, result: Any, *, tag: str, k: int, wave: int) -> None:
        """Append one combination the mode could not compose, with its full reason, to the
        uncomposable log (``<stem>.uncomposable.jsonl``; a no-op without one). A log, not a
        record: a superstep replayed after a kill may log a combination twice."""
        if self.uncomposable is None:
            return
        record = {
            SCHEMA_KEY: UNCOMPOSABLE_SCHEMA,
            "run_id": self.run_id,
            "wave": wave,
            "k": k,
            "skills": list(result.skills),
            "tag": tag,
            "reason": result.reason,
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            if self._log_fd is None:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
                flags |= os.O_TRUNC if self._truncate_log else 0
                self._log_fd = os.open(self.uncomposable, flags, 0o644)
            os.write(self._log_fd, line)

    def _commit_overwrite(self) -> None:
        """Rename the overwrite's temporary files over the old outputs (once, at the first
        write; the caller holds the lock)."""
        while self._pending:
            tmp, dest = self._pending.popitem()
            tmp.replace(dest)

    def close(self) -> None:
        """Close the files; an overwrite that never wrote a sample leaves the old files as they
        were and removes its temporary files."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}
        while self._pending:
            self._pending.popitem()[0].unlink(missing_ok=True)
        if self._log_fd is not None:
            os.close(self._log_fd)
            self._log_fd = None

    def __enter__(self) -> SampleWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _record_text(record: dict[str, Any], *, user_only: bool = False) -> str:
    """The message text of a rendered record, whatever its format (for dedup on resume);
    ``user_only`` keeps the user side, which is what the dedup judge compares."""
    parts: list[str] = []
    for key in ("messages", "conversations"):
        for turn in record.get(key) or ():
            if not isinstance(turn, dict):
                continue
            role = turn.get("role", turn.get("from"))
            if user_only and role not in ("user", "human"):
                continue
            parts.append(str(turn.get("content", turn.get("value", ""))))
    keys = ("instruction", "input") if user_only else ("instruction", "input", "output")
    for key in keys:
        if record.get(key):
            parts.append(str(record[key]))
    return "\n".join(parts)
