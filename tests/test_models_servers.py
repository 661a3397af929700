"""Several servers behind one client, and the adaptive concurrency per server.

Through the real langchain-openai client against 127.0.0.1 fault servers
(tests/capacity_server.py): calls spread over the servers, least loaded first; a server that is
down (nothing listening) or answers 500 to everything leaves the rotation and its calls go to the
other; the run stops in one line only when every server is down; a server that answers 429 above
N requests in flight gets about N, and every call succeeds.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
from typing import Any

import pytest
from capacity_server import CapacityServer
from fault_server import use_local_server

from steps_agents.errors import InputError, ModelCallError
from steps_agents.models import ModelClient, ModelOptions, open_model
from steps_agents.models.cli_args import add_model_arguments, model_options_from_args
from steps_agents.models.servers import ServerSpec, parse_server
from steps_agents.runtime.config import load_config

pytest.importorskip("langchain_openai")


@pytest.fixture(autouse=True)
def _local(monkeypatch: pytest.MonkeyPatch) -> None:
    use_local_server(monkeypatch)


def _open(urls: list[str], **extra: Any) -> ModelClient:
    values = {"base_url": urls, "backoff": 0.01, "timeout": 10.0, "cache": False, **extra}
    return open_model("stub", ModelOptions.model_validate(values))


def _ask_all(client: ModelClient, n: int) -> list[str]:
    async def main() -> list[str]:
        replies = await asyncio.gather(*(client.ainvoke([("human", f"q{i}")]) for i in range(n)))
        return [str(r.content) for r in replies]

    return asyncio.run(main())


def _dead_url() -> str:
    """A 127.0.0.1 URL nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# ---- syntax -------------------------------------------------------------------------------------


def test_server_syntax_url_or_url_hash_n() -> None:
    assert parse_server("http://a:8000/v1") == ServerSpec("http://a:8000/v1")
    assert parse_server("http://a:8000/v1#16") == ServerSpec("http://a:8000/v1", 16)
    for bad in ("http://a/v1#0", "http://a/v1#x", "#4"):
        with pytest.raises(ValueError):
            parse_server(bad)


def test_total_concurrency_is_the_sum_of_the_caps_unless_given() -> None:
    options = ModelOptions(base_url=["http://a/v1#4", "http://b/v1#6"])
    assert options.concurrency == 10
    assert ModelOptions(base_url=["http://a/v1#4", "http://b/v1"]).concurrency == 8
    assert ModelOptions(base_url=["http://a/v1#4", "http://b/v1#6"], concurrency=3).concurrency == 3
    # replicas of one deployment share the cache: the key holds the sorted URLs, not the caps
    assert options.cache_key_params() == {"base_url": ["http://a/v1", "http://b/v1"]}
    assert ModelOptions(base_url="http://a/v1#4").cache_key_params() == {"base_url": "http://a/v1"}


def test_repeated_base_url_flag_and_toml_list(tmp_path: Any) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_model_arguments(parser)
    args = parser.parse_args(["--base-url", "http://a/v1#2", "--base-url", "http://b/v1#3"])
    options = model_options_from_args(args)
    assert [str(s) for s in options.servers()] == ["http://a/v1#2", "http://b/v1#3"]
    assert options.concurrency == 5
    one = model_options_from_args(parser.parse_args(["--base-url", "http://a/v1"]))
    assert one.base_url == "http://a/v1"
    with pytest.raises(InputError, match=r"--base-url: .*listed twice"):
        model_options_from_args(
            parser.parse_args(["--base-url", "http://a", "--base-url", "http://a#2"])
        )

    toml = tmp_path / "steps.toml"
    toml.write_text('[m]\nbase_url = ["http://a/v1#8", "http://b/v1#8"]\n', encoding="utf-8")
    assert load_config(ModelOptions, "m", toml).concurrency == 16
    toml.write_text('[m]\nbase_url = ["http://a/v1#8", "http://a/v1"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"steps.toml: m.base_url: server http://a/v1 is listed"):
        load_config(ModelOptions, "m", toml)


# ---- spreading and health -------------------------------------------------------------------------


def test_calls_spread_over_the_servers_least_loaded_first() -> None:
    with CapacityServer(service_time=0.05) as a, CapacityServer(service_time=0.05) as b:
        client = _open([a.base_url + "#4", b.base_url + "#4"])
        replies = _ask_all(client, 24)
        client.close()
    assert replies == [f"q{i}" for i in range(24)]
    assert a.served() + b.served() == 24
    assert min(a.served(), b.served()) >= 8  # both busy, neither starved
    assert max(x["in_flight"] for x in a.arrivals + b.arrivals) <= 4


def test_a_server_that_is_down_leaves_the_rotation_and_its_calls_go_elsewhere() -> None:
    with CapacityServer(service_time=0.02) as alive:
        client = _open([_dead_url(), alive.base_url], concurrency=4, max_retries=3)
        replies = _ask_all(client, 20)
        report = client.servers_report()
        client.close()
    assert replies == [f"q{i}" for i in range(20)]
    assert client.usage.failures == 0
    dead = report[0]
    assert dead["answered"] == 0 and dead["down"]
    # taken out after a few refused connections, not retried by every call
    assert dead["failed"] <= 8, report


def test_a_5xx_storm_on_one_server_sends_its_calls_to_the_other() -> None:
    with CapacityServer(down_status=500) as storm, CapacityServer(service_time=0.02) as good:
        client = _open([storm.base_url, good.base_url], concurrency=4, max_retries=3)
        replies = _ask_all(client, 30)
        client.close()
    assert replies == [f"q{i}" for i in range(30)]
    assert good.served() == 30
    assert len(storm.arrivals) <= 10, len(storm.arrivals)


def test_the_run_stops_in_one_line_when_every_server_is_down() -> None:
    with CapacityServer(down_status=503) as one, CapacityServer(down_status=500) as two:
        client = _open([one.base_url, two.base_url], concurrency=4, max_retries=50)
        with pytest.raises(ModelCallError) as caught:
            _ask_all(client, 12)
        client.close()
    message = str(caught.value)
    assert "\n" not in message and "server error" in message and "stopping early" in message
    # both out after 3 failures in a row, each probe after a 2 s rest failed: stop, instead of
    # 12 calls x 51 attempts
    assert len(one.arrivals) + len(two.arrivals) < 30


def test_a_tool_bound_view_is_bound_on_every_server() -> None:
    from langchain_core.tools import tool

    @tool
    def lookup(word: str) -> str:
        """Look a word up."""
        return word

    with CapacityServer(service_time=0.05) as a, CapacityServer(service_time=0.05) as b:
        client = _open([a.base_url + "#2", b.base_url + "#2"])
        view = client.view(client.model.bind_tools([lookup]))

        async def main() -> None:
            await asyncio.gather(*(view.ainvoke([("human", f"t{i}")]) for i in range(8)))

        asyncio.run(main())
        client.close()
    assert a.served() >= 2 and b.served() >= 2


# ---- adaptive concurrency -----------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [3, 6])
def test_429_above_capacity_converges_near_it_without_failures(capacity: int) -> None:
    n = 15 * capacity
    with CapacityServer(capacity=capacity, service_time=0.25) as server:
        client = _open([server.base_url], concurrency=16, max_retries=12)
        replies = _ask_all(client, n)
        client.close()
    assert replies == [f"q{i}" for i in range(n)]
    assert client.usage.failures == 0
    assert server.served() == n
    seen = server.concurrency_seen()
    later = seen[len(seen) // 2 :]  # after the first decreases from 16
    refused = [a["status"] == 429 for a in server.arrivals]
    refused_later = sum(refused[len(refused) // 2 :])
    # AIMD saws between 0.7 (N + 1) and N; a loaded test machine sends a little late
    assert 0.65 * capacity <= statistics.mean(later) <= capacity, later
    assert refused_later <= 0.2 * len(refused) / 2, refused


def test_retry_after_pauses_the_server() -> None:
    with CapacityServer(capacity=1, service_time=0.05, retry_after="0.3") as server:
        client = _open([server.base_url], concurrency=4, max_retries=8)
        replies = _ask_all(client, 6)
        client.close()
    assert replies == [f"q{i}" for i in range(6)]
    refusals = [a["end"] for a in server.arrivals if a["status"] == 429]
    assert refusals
    for refused_at in refusals:  # requests already on the wire may land; then 0.3 s of quiet
        quiet = [a for a in server.arrivals if refused_at + 0.05 < a["start"] < refused_at + 0.25]
        assert quiet == [], (refused_at, quiet)


# ---- the pool's rules, without a network ----------------------------------------------------------


def test_pool_backs_off_on_timeouts_once_per_round_and_grows_back_slowly() -> None:
    from steps_agents.models.retry import SERVER, TIMEOUT
    from steps_agents.models.servers import DOWN_AFTER, Endpoint, ServerPool

    async def main() -> None:
        pool = ServerPool([Endpoint("http://a", None, 10)], total=10)
        held = [await pool.acquire() for _ in range(10)]
        started = 0.0  # all ten were sent before any answer came back
        for state in held:
            pool.release(state, started, TIMEOUT)
        server = pool.states[0]
        assert server.limit == pytest.approx(7.0)  # one decrease for the whole round
        assert not server.down  # one server is never taken out: its breaker decides
        for _ in range(7):  # one round of answers adds about one slot
            pool.release(await pool.acquire(), float("inf"), None)
        assert 7.9 < server.limit < 8.1

        two = ServerPool([Endpoint("http://a", None), Endpoint("http://b", None)], total=4)
        picked = [await two.acquire() for _ in range(4)]
        assert sorted(s.index for s in picked) == [0, 0, 1, 1]  # least loaded: alternating
        for state in picked:
            two.release(state, 0.0, None)
        for _ in range(DOWN_AFTER):
            state = await two.acquire()
            while state.index != 0:  # fail only server a
                two.release(state, 0.0, None)
                state = await two.acquire()
            two.release(state, 0.0, SERVER)
        assert two.states[0].down
        assert {(await two.acquire()).index for _ in range(3)} == {1}  # a is out of the rotation

    asyncio.run(main())


def test_synth_and_eval_spread_over_two_servers_one_of_them_failing(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from helpers_evaluation import toolworld_tasks, write_tasks_file

    from steps_agents.cli import main
    from steps_agents.selection.synthetic import random_taxonomy

    random_taxonomy(24, height=2, seed=3).save(tmp_path / "tax.json")
    with CapacityServer(down_status=503) as storm, CapacityServer() as good:
        urls = ("--base-url", storm.base_url, "--base-url", good.base_url)
        code = main(
            [
                *(
                    "synth",
                    "--taxonomy",
                    str(tmp_path / "tax.json"),
                    "-o",
                    str(tmp_path / "s.jsonl"),
                ),
                *("-n", "12", "--k", "2-3", "--model", "stub", *urls, "--judges", "format"),
                *("--structured", "json", "--run-id", "two", "--json"),
            ]
        )
        assert code == 0, capsys.readouterr().err
        report = json.loads(capsys.readouterr().out)
        assert report["accepted"] == 12 and report["usage"]["failures"] == 0
        assert len(storm.arrivals) <= 12 and good.served() >= 12

        tasks = write_tasks_file(tmp_path / "t.jsonl", toolworld_tasks({2: 12}))
        before = len(storm.arrivals)
        code = main(
            [
                *("eval", str(tasks), "--agent", "model:stub", *urls),
                *("-o", str(tmp_path / "r.json"), "--state-dir", str(tmp_path / "st")),
            ]
        )
        assert code == 0, capsys.readouterr().err
        # a fresh client: out again after 3 failures in a row, plus the requests already sent
        # (up to the 8 episodes in flight) and a probe per cooldown
        assert len(storm.arrivals) - before <= 12
