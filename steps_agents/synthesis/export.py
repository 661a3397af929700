"""Export a run's JSONL output: curriculum order, and Parquet or a Hugging Face dataset.

The JSONL file the writer appends to is the durable record; everything here reads it and
writes a new file. ``curriculum=True`` orders samples easy to hard with
:func:`steps_agents.selection.order_by_curriculum` (each record's ``metadata.k``) and records the
epoch in ``metadata.epoch``. Parquet needs ``pyarrow`` (extra ``parquet``), a dataset directory
needs ``datasets`` (extra ``hf``); without them the error names the extra to install.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from steps_agents.errors import InputError, MissingExtraError
from steps_agents.synthesis.writer import _repair_and_read

Target = Literal["jsonl", "parquet", "hf"]


def infer_target(path: Path) -> Target:
    """``.parquet`` -> parquet; ``.jsonl``/``.json`` -> jsonl; anything else a dataset dir."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".jsonl", ".json", ".gz") or path.name.endswith(".jsonl.gz"):
        return "jsonl"
    return "hf"


def read_samples(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", location=path)
    return [record for _, record in _repair_and_read(path)]


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
    records = read_samples(source)
    if curriculum:
        records = curriculum_order(records, epochs=epochs)
    destination = Path(destination)
    target = target or infer_target(destination)
    if target == "jsonl":
        destination.parent.mkdir(parents=True, exist_ok=True)
        with destination.open("w", encoding="utf-8") as handle:
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
