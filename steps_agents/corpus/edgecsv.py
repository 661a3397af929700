"""Reading a precomputed weighted edge list (``steps taxonomy build --graph edges.csv``).

The file is CSV with a header naming ``source``, ``target`` and ``weight`` (extra columns are
ignored), plain or gzip. Three readers, tried in order, all giving the same graph:

1. ``pyarrow.csv`` when pyarrow is installed (the ``parquet`` extra): multi-threaded C++ parsing,
   names mapped to ids by ``dictionary_encode`` of the interleaved source/target column.
2. numpy over the whole file: one ``split`` of the decoded text into fields, commas per line
   counted by ``searchsorted`` over the byte positions of commas and newlines, weights converted
   in one ``np.array`` call, names mapped to ids through one dict built by ``dict.fromkeys``.
3. :func:`read_edge_csv_rows`, the ``csv`` module row by row: the reference reader.

The fast readers handle only well-formed files and *decline* (return ``None``) on anything else:
quotes, ragged or blank rows, a weight that is not a finite non-negative number, an empty name,
a self-loop, a repeated pair. The row reader then reads the file again and raises the precise
:class:`~steps_agents.errors.InputError` naming ``file:line``; so a file's errors, and its graph,
do not depend on which reader ran. On the 10^4-skill, ~9.6 x 10^5-edge benchmark file the numpy
reader takes about 1 s where the row reader took about 6 s (``benchmarks/taxonomy_cli.py``).
"""

from __future__ import annotations

import csv
import gzip
import math
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from steps_agents.errors import InputError
from steps_agents.fileformats import GZIP_MAGIC, iter_text_lines
from steps_agents.taxonomy.skillgraph import SkillGraph

EDGE_CSV_COLUMNS = ("source", "target", "weight")


def read_edge_csv(path: str | Path) -> SkillGraph:
    """Read a precomputed graph: CSV with header ``source,target,weight`` (extra columns ignored).

    Weights must be finite and non-negative; zero-weight rows add no edge. A self-loop, a
    repeated pair (in either direction) or a malformed row is an :class:`InputError` naming
    ``file:line``. Skills appear in first-seen order (source before target, row by row); counts
    are unknown (zero). The fastest reader available is used (module docstring).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such graph file", location=path)
    if path.is_dir():
        raise InputError("cannot read graph (Is a directory)", location=path)
    for reader in (_read_pyarrow, _read_numpy):
        graph = reader(path)
        if graph is not None:
            return graph
    return read_edge_csv_rows(path)


def _graph(path: Path, names: list[str], ids: np.ndarray, w: np.ndarray) -> SkillGraph | None:
    """The graph of interleaved ``(source, target)`` ids and weights; ``None`` (decline) when a
    weight is negative or not finite, a row is a self-loop or a pair repeats."""
    u, v = ids[0::2], ids[1::2]
    n = max(len(names), 1)
    if not np.isfinite(w).all() or (w < 0).any() or (u == v).any():
        return None
    keys = np.sort(np.minimum(u, v) * n + np.maximum(u, v))
    if (keys[1:] == keys[:-1]).any():
        return None
    pos = w > 0
    return SkillGraph.from_arrays(
        names, u[pos], v[pos], w[pos], weighting="precomputed", source=str(path)
    )


def _columns(header: list[str]) -> dict[str, int] | None:
    cells = [h.strip().lower() for h in header]
    if any(c not in cells for c in EDGE_CSV_COLUMNS):
        return None
    return {c: cells.index(c) for c in EDGE_CSV_COLUMNS}


def _read_numpy(path: Path) -> SkillGraph | None:
    """Reader 2 (module docstring); ``None`` when the file is not plain, regular CSV."""
    try:
        data = path.read_bytes()
        if data[:2] == GZIP_MAGIC:
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    if b'"' in data or b"\r" in data:
        return None
    head, _, body = data.partition(b"\n")
    body = body.rstrip(b"\n")
    try:
        header, text = head.decode("utf-8").split(","), body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    col = _columns(header)
    if col is None or not text:
        return None
    ncol = len(header)
    raw = np.frombuffer(body, dtype=np.uint8)
    ends = np.append(np.flatnonzero(raw == 10), raw.shape[0])
    commas = np.searchsorted(np.flatnonzero(raw == 44), ends)
    if (np.diff(commas, prepend=0) != ncol - 1).any():
        return None  # a blank or ragged row: the row reader says which
    fields = text.replace("\n", ",").split(",")
    src, dst = fields[col["source"] :: ncol], fields[col["target"] :: ncol]
    if _may_pad(body):
        src, dst = [s.strip() for s in src], [s.strip() for s in dst]
    try:
        w = np.array(fields[col["weight"] :: ncol], dtype=np.float64)
    except ValueError:
        return None
    pairs: list[str] = [""] * (2 * len(src))
    pairs[0::2], pairs[1::2] = src, dst
    index = {s: i for i, s in enumerate(dict.fromkeys(pairs))}
    if "" in index:
        return None
    ids = np.fromiter(map(index.__getitem__, pairs), dtype=np.int64, count=len(pairs))
    return _graph(path, list(index), ids, w)


_PADDING = tuple(a + b for a in (b" ", b"\t") for b in (b",", b"\n")) + tuple(
    b + a for a in (b" ", b"\t") for b in (b",", b"\n")
)


def _may_pad(body: bytes) -> bool:
    """Whether a field of ``body`` may start or end with whitespace (so names need ``strip``):
    an ASCII file is checked for a space or tab beside a comma or newline; any other file is
    stripped field by field (``str.strip`` also strips non-ASCII spaces)."""
    if not body.isascii():
        return True
    return body[:1].isspace() or body[-1:].isspace() or any(p in body for p in _PADDING)


def _read_pyarrow(path: Path) -> SkillGraph | None:
    """Reader 1 (module docstring); ``None`` without pyarrow or when pyarrow cannot parse it."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        from pyarrow import csv as pacsv
    except ImportError:
        return None
    try:
        with open(path, "rb") as f:
            header = f.readline().decode("utf-8-sig").rstrip("\r\n").split(",")
        col = _columns(header)
        if col is None or any('"' in h for h in header):
            return None
        names = {c: header[i] for c, i in col.items()}
        types: dict[str, Any] = {names["source"]: pa.string(), names["target"]: pa.string()}
        types[names["weight"]] = pa.float64()
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types, include_columns=list(types), strings_can_be_null=False
            ),
        )
    except (OSError, UnicodeDecodeError, pa.ArrowException):
        return None
    if table.num_rows == 0:
        return None
    ends = [pc.utf8_trim_whitespace(table[names[c]].combine_chunks()) for c in ("source", "target")]
    n = table.num_rows
    order = np.empty(2 * n, dtype=np.int64)
    order[0::2], order[1::2] = np.arange(n), np.arange(n, 2 * n)
    pairs = pc.take(pa.concat_arrays(ends), pa.array(order))
    if pc.any(pc.equal(pc.utf8_length(pairs), 0)).as_py():
        return None
    encoded = pc.dictionary_encode(pairs)  # dictionary in first-seen order
    ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    w = table[names["weight"]].to_numpy()
    if table[names["weight"]].null_count:
        return None
    return _graph(path, encoded.dictionary.to_pylist(), ids, np.asarray(w, dtype=np.float64))


def read_edge_csv_rows(path: str | Path) -> SkillGraph:
    """Reader 3, the reference: the ``csv`` module row by row, every error named ``file:line``."""
    path = Path(path)
    index: dict[str, int] = {}
    seen: dict[tuple[int, int], int] = {}
    us: list[int] = []
    vs: list[int] = []
    ws: list[float] = []
    # Lines decoded one at a time (iter_text_lines), so a byte that is not UTF-8 is reported at
    # its own line; csv still joins the lines of a quoted field that spans several.
    reader = csv.reader(line for _, line in iter_text_lines(path))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError(
            "empty file; expected a header source,target,weight", location=path
        ) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot parse CSV ({exc})", location=f"{path}:1") from None
    missing = [c for c in EDGE_CSV_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"header lacks {', '.join(missing)}; expected source,target,weight",
            location=f"{path}:1",
        )
    col = {c: header.index(c) for c in EDGE_CSV_COLUMNS}
    try:
        for row in reader:
            line = f"{path}:{reader.line_num}"
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise InputError(f"expected {len(header)} columns, got {len(row)}", location=line)
            s, t = row[col["source"]].strip(), row[col["target"]].strip()
            if not s or not t:
                raise InputError("empty skill name", location=line)
            try:
                w = float(row[col["weight"]])
            except ValueError:
                raise InputError(
                    f"weight {row[col['weight']]!r} is not a number", location=line
                ) from None
            if not math.isfinite(w) or w < 0:
                raise InputError(f"weight must be finite and >= 0, got {w}", location=line)
            if s == t:
                raise InputError(
                    f"self-loop {s!r}; the skill graph has no self-loops", location=line
                )
            u = index.setdefault(s, len(index))
            v = index.setdefault(t, len(index))
            key = (min(u, v), max(u, v))
            if key in seen:
                raise InputError(
                    f"edge {s!r}-{t!r} repeats line {seen[key]}; list each pair once",
                    location=line,
                )
            seen[key] = reader.line_num
            if w > 0:
                us.append(u)
                vs.append(v)
                ws.append(w)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(
            f"cannot parse CSV ({exc})", location=f"{path}:{reader.line_num}"
        ) from None
    if not index:
        raise InputError("no edges in the graph file", location=path)
    return SkillGraph.from_arrays(
        list(index),
        np.asarray(us),
        np.asarray(vs),
        np.asarray(ws),
        weighting="precomputed",
        source=str(path),
    )
