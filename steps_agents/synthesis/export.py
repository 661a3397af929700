"""Export a run's JSONL output: curriculum order, and Parquet or a Hugging Face dataset.

The JSONL file the writer appends to is the durable record; everything here reads it and
writes a new file. ``curriculum=True`` orders samples easy to hard with
:func:`steps_agents.selection.order_by_curriculum` (each record's ``metadata.k``) and records the
epoch in ``metadata.epoch``. Parquet needs ``pyarrow`` (extra ``parquet``), a dataset directory
needs ``datasets`` (extra ``hf``); without them the error names the extra to install.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Literal

from steps_agents.errors import InputError, MissingExtraError
from steps_agents.synthesis.store import read_sample_records

Target = Literal["jsonl", "parquet", "hf"]


JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
ACCEPTED_TARGETS = (
    "FILE.jsonl (also .json, .ndjson, and .gz after them for gzip), FILE.parquet, or a"
    " directory (no suffix) for a Hugging Face dataset"
)


def infer_target(path: Path) -> Target:
    """``.parquet`` -> parquet; ``.jsonl``/``.json``/``.ndjson`` (optionally followed by
    ``.gz``, written gzip-compressed) -> jsonl; a name without a suffix (or an existing
    directory) -> a Hugging Face dataset directory. Any other suffix (``e.xyz``) is an
    :class:`InputError` listing the accepted targets, rather than a surprise dataset directory
    named ``e.xyz``."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix in JSONL_SUFFIXES or (
        suffix == ".gz" and Path(path.stem).suffix.lower() in JSONL_SUFFIXES
    ):
        return "jsonl"
    if not suffix or path.is_dir():
        return "hf"
    raise InputError(
        f"unknown export target suffix {path.suffix!r}; expected {ACCEPTED_TARGETS}",
        location=path,
    )


def read_samples(path: str | Path) -> list[dict[str, Any]]:
    """Every record of a samples (or rejects) file, each line's version marker checked
    (:func:`~steps_agents.synthesis.store.read_sample_records`)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", location=path)
    return [record for _, record in read_sample_records(path)]


def curriculum_order(records: list[dict[str, Any]], *, epochs: int = 3) -> list[dict[str, Any]]:
    """Records sorted by the curriculum schedule, each with ``metadata.epoch`` set."""
    from steps_agents.selection.curriculum import order_by_curriculum

    def k_of(record: dict[str, Any]) -> int:
        return int((record.get("metadata") or {}).get("k", 0))

    ordered = order_by_curriculum(records, epochs=epochs, key=k_of)
    out = []
    for epoch, record in ordered:
        meta = dict(record.get("metadata") or {})
        meta["epoch"] = epoch
        out.append({**record, "metadata": meta})
    return out


def export_samples(
    source: str | Path,
    destination: str | Path,
    *,
    curriculum: bool = False,
    epochs: int = 3,
    target: Target | None = None,
) -> int:
    """Write ``source``'s records to ``destination``; return how many were written."""
    destination = Path(destination)
    target = target or infer_target(destination)  # a bad destination fails before any work
    records = read_samples(source)
    if curriculum:
        records = curriculum_order(records, epochs=epochs)
    if target == "jsonl":
        destination.parent.mkdir(parents=True, exist_ok=True)
        opener: Any = gzip.open if destination.suffix.lower() == ".gz" else open
        with opener(destination, "wt", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif target == "parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingExtraError("Parquet export", "parquet", "pyarrow") from None
        pq.write_table(pa.Table.from_pylist(records), destination)
    else:
        try:
            import datasets
        except ImportError:
            raise MissingExtraError("Hugging Face dataset export", "hf", "datasets") from None
        datasets.Dataset.from_list(records).save_to_disk(str(destination))
    return len(records)
