"""Adaptive concurrency and several servers, against 127.0.0.1 servers with a capacity.

``python benchmarks/servers.py [--calls-per-slot 20] [--service 0.2]``

1. **Adaptive**: for N in 3, 6, 12, one server that answers 429 above N requests in flight
   (``tests/capacity_server.py``), a client allowed 16 in flight (with 32 arriving at once, the
   stdlib test server reset connections: its listen backlog): the mean concurrency the answered
   requests were served at in the second half of the run, the share of 429s there, failed calls,
   and the throughput against the ideal N / service time.
2. **Two servers, one of them failing**: 200 calls over a healthy server (cap 8) and one that
   answers 503 to everything (or has nothing listening): requests the bad one received, failed
   calls, and the throughput against one healthy server alone in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from capacity_server import CapacityServer  # noqa: E402

from steps_agents.models import ModelClient, ModelOptions, open_model  # noqa: E402


def _client(urls: list[str], concurrency: int) -> ModelClient:
    options = ModelOptions.model_validate(
        {"base_url": urls, "concurrency": concurrency, "backoff": 0.01, "max_retries": 12}
        | {"cache": False, "timeout": 30.0}
    )
    return open_model("stub", options)


def _run(client: ModelClient, n: int) -> float:
    async def main() -> None:
        await asyncio.gather(*(client.ainvoke([("human", f"q{i}")]) for i in range(n)))

    start = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - start


def adaptive(calls_per_slot: int, service: float) -> None:
    print("1. one server refusing (429) above N in flight; client allows 16")
    print(
        f"{'N':>3} {'calls':>6} {'mean conc.':>10} {'429 share':>9} {'failed':>6} {'thr/ideal':>9}"
    )
    for capacity in (3, 6, 12):
        n = calls_per_slot * capacity
        with CapacityServer(capacity=capacity, service_time=service) as server:
            client = _client([server.base_url], 16)
            elapsed = _run(client, n)
            client.close()
        seen = server.concurrency_seen()
        later = seen[len(seen) // 2 :]
        statuses = [a["status"] for a in server.arrivals]
        tail = statuses[len(statuses) // 2 :]
        ideal = capacity / service
        print(
            f"{capacity:>3} {n:>6} {statistics.mean(later):>10.2f}"
            f" {tail.count(429) / len(tail):>9.3f} {client.usage.failures:>6}"
            f" {n / elapsed / ideal:>9.2f}"
        )


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def failover(service: float) -> None:
    print("2. 200 calls, a healthy server (cap 8) beside a failing one; baseline: healthy alone")
    n = 200
    with CapacityServer(service_time=service) as good:
        base = _client([good.base_url + "#8"], 8)
        alone = _run(base, n)
        base.close()
    print(f"   healthy alone: {alone:.2f} s")
    for label in ("503 to everything", "nothing listening"):
        with CapacityServer(service_time=service) as good, CapacityServer(down_status=503) as bad:
            url = bad.base_url if label.startswith("503") else _dead_url()
            client = _client([url + "#8", good.base_url + "#8"], 16)
            elapsed = _run(client, n)
            report: list[dict[str, Any]] = client.servers_report()
            client.close()
        hits = len(bad.arrivals) if label.startswith("503") else report[0]["failed"]
        print(
            f"   {label}: {elapsed:.2f} s ({elapsed / alone:.2f}x alone), requests to the bad"
            f" server {hits}, failed calls {client.usage.failures}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls-per-slot", type=int, default=20)
    parser.add_argument("--service", type=float, default=0.2, help="seconds per answer")
    args = parser.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    adaptive(args.calls_per_slot, args.service)
    failover(args.service)


if __name__ == "__main__":
    main()
