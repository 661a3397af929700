"""The edge-list readers agree: numpy and pyarrow fast paths, and the row-by-row reference.

Every fast path either returns exactly the reference graph or declines (``None``), so errors
always come from the reference reader and name ``file:line`` (those messages are checked in
tests/test_cooccurrence.py).
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from steps_agents.corpus.edgecsv import (
    _read_numpy,
    _read_pyarrow,
    read_edge_csv,
    read_edge_csv_rows,
)
from steps_agents.taxonomy.skillgraph import SkillGraph

ROWS = "python,sql,2.5\nsql,pandas,1\npandas,numpy,0\nnumpy,python,4e-3\n"

# name -> (file bytes, whether the numpy reader takes it rather than declining)
FILES: dict[str, tuple[bytes, bool]] = {
    "plain": (("source,target,weight\n" + ROWS).encode(), True),
    "no final newline": (("source,target,weight\n" + ROWS).rstrip().encode(), True),
    "crlf and bom": (
        ("\ufeffsource,target,weight\r\n" + ROWS.replace("\n", "\r\n")).encode(),
        True,
    ),
    "padded names": (b"source , target,weight\n python , sql ,2\n\tsql,r\t,1\n", True),
    "columns reordered, extra": (b"weight,note,target,source\n1,x,b,a\n2,,c,b\n", True),
    "non-ascii": (
        "source,target,weight\ncaf\u00e9,\u00fcber,1\n\u00fcber,na\u00efve,2\n".encode(),
        True,
    ),
    "quoted": (b'source,target,weight\n"a,1",b,1\nb,c,2\n', False),
    "blank line": (b"source,target,weight\na,b,1\n\nb,c,2\n", False),
}


def _write(tmp_path: Path, data: bytes, gz: bool = False) -> Path:
    path = tmp_path / ("edges.csv.gz" if gz else "edges.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _same(a: SkillGraph, b: SkillGraph) -> None:
    assert a.skills == b.skills
    assert a.fingerprint() == b.fingerprint()
    assert (a.weight == b.weight).all()


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("name", list(FILES))
def test_fast_readers_equal_the_row_reader_or_decline(tmp_path: Path, name: str, gz: bool) -> None:
    data, numpy_takes = FILES[name]
    path = _write(tmp_path, data, gz)
    reference = read_edge_csv_rows(path)
    fast = _read_numpy(path)
    assert (fast is not None) == numpy_takes
    if fast is not None:
        _same(fast, reference)
    _same(read_edge_csv(path), reference)


BAD = [
    "source,target,weight\nx,y,heavy\n",
    "source,target,weight\nx,y,-1\n",
    "source,target,weight\nx,y,nan\n",
    "source,target,weight\nx,x,1\n",
    "source,target,weight\nx,y,1\ny,x,1\n",
    "source,target,weight\nx,y\n",
    "source,target,weight\nx,,1\n",
    "source,target,weight\n",
    "a,b,weight\nx,y,1\n",
    "",
]


@pytest.mark.parametrize("text", BAD)
def test_fast_readers_decline_every_bad_file(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text.encode())
    assert _read_numpy(path) is None
    assert _read_pyarrow(path) is None  # also None when pyarrow is not installed


def test_pyarrow_reader_equals_the_row_reader(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    for name, (data, _) in FILES.items():
        path = _write(tmp_path, data)
        fast = _read_pyarrow(path)
        if fast is not None:  # pyarrow declines e.g. blank-line files it cannot type
            _same(fast, read_edge_csv_rows(path))
        elif name in ("plain", "crlf and bom", "columns reordered, extra"):
            pytest.fail(f"pyarrow declined the {name!r} file")


def test_from_arrays_sums_duplicates_drops_self_loops_and_sorts() -> None:
    rng = np.random.default_rng(3)
    u, v = rng.integers(0, 7, 200), rng.integers(0, 7, 200)
    w = rng.random(200)
    expected: dict[tuple[int, int], float] = {}
    for a, b, x in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        if a != b:
            key = (min(a, b), max(a, b))
            expected[key] = expected.get(key, 0.0) + x
    g = SkillGraph.from_arrays([f"s{i}" for i in range(7)], u, v, w)
    pairs = list(zip(g.src.tolist(), g.dst.tolist(), strict=True))
    assert pairs == sorted(expected)
    assert np.allclose(g.weight, [expected[p] for p in pairs], rtol=1e-12)
    assert SkillGraph.from_edges(["a"], []).n_edges == 0


def test_steps_taxonomy_does_not_import_the_model_stack() -> None:
    code = (
        "import sys; from steps_agents.cli import build_parser; build_parser(['taxonomy']);"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'langchain_core', 'langgraph'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
