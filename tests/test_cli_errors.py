"""Bad input on every subcommand: one line on stderr naming the file, line or field; exit 2 for
bad input, 1 for a run that failed (an output that cannot be written, a model that is down);
nothing already produced is lost. Plus :class:`~steps_agents.errors.ModelCallError`."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from helpers_cli_errors import BrokenModel, ProviderError
from helpers_evaluation import toolworld_tasks, write_tasks_file
from helpers_synthesis import read_jsonl
from langchain_core.messages import HumanMessage

from steps_agents.cli import describe_os_error, main
from steps_agents.errors import ModelCallError, OutputError, StepsError
from steps_agents.models import ModelClient, ModelOptions
from steps_agents.selection.synthetic import random_taxonomy

# ---- the bad files, made once --------------------------------------------------------------


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    (d / "adir").mkdir()
    lines = [json.dumps({"skills": [f"s{i % 9}", f"s{(i * 7) % 11 + 9}"]}) for i in range(40)]
    (d / "good.jsonl").write_text("\n".join(lines) + "\n")
    (d / "empty.jsonl").write_text("")
    (d / "badjson.jsonl").write_text('{"skills": ["a", "b"]}\n{"skills": ["a"]}\n{"skills": [\n')
    (d / "noskills.jsonl").write_text('{"skills": ["a", "b"]}\n{"foo": 1}\n')
    (d / "notobj.jsonl").write_text('{"skills": ["a", "b"]}\n[1, 2]\n')
    (d / "nonutf8.jsonl").write_bytes(b'{"skills": ["a", "b"]}\n{"skills": ["\xff", "b"]}\n')
    big = gzip.compress("".join(line + "\n" for line in lines * 100).encode())
    (d / "trunc.jsonl.gz").write_bytes(big[: len(big) // 2])
    (d / "graph_header.csv").write_text("a,b,c\nx,y,1\n")
    (d / "graph_weight.csv").write_text("source,target,weight\nx,y,1\ny,z,abc\n")
    (d / "lex_bad.toml").write_text("[skills\n")
    (d / "graph_utf8.csv").write_bytes(b"source,target,weight\nx,y,1\ny,\xff,2\n")
    (d / "tax_utf8.json").write_bytes(b'{\n"schema": "\xff"}')
    tax = random_taxonomy(24, height=2, seed=2)
    tax.save(d / "tax.json")
    body = tax.to_dict()
    (d / "tax_v9.json").write_text(json.dumps({**body, "schema": "steps-agents/taxonomy@9"}))
    (d / "tax_badjson.json").write_text('{"schema": "steps-agents/taxonomy@1",\n "nodes": [\n')
    (d / "tax_nonodes.json").write_text('{"schema": "steps-agents/taxonomy@1"}')
    (d / "tax_list.json").write_text("[1, 2]")
    nodes = [dict(n) for n in body["nodes"]]
    del nodes[2]["volume"]
    (d / "tax_novolume.json").write_text(json.dumps({**body, "nodes": nodes}))
    (d / "combos_bad.jsonl").write_text('{"skills": ["a"]}\n{oops\n')
    (d / "bad_syntax.toml").write_text("[synth]\nn = \n")
    (d / "bad_field.toml").write_text("[synth]\nnn = 5\n")
    (d / "bad_type.toml").write_text('[synth]\nn = "many"\n')
    (d / "bad_k.toml").write_text('[synth]\nk = "9-2"\n')
    (d / "bad_utf8.toml").write_bytes(b'[synth]\nlanguage = "\xff"\n')
    tasks = toolworld_tasks({1: 1, 2: 1})
    good = write_tasks_file(d / "tasks.jsonl", tasks).read_text().splitlines()
    second = json.loads(good[1])
    # Task files with no valid task (line 1 blank): a one-line error naming the bad line 2. A
    # bad line among good ones is an invalid task instead (tests/test_hostile_tools.py).
    (d / "tasks_badjson.jsonl").write_text("\n" + good[1][:50] + "\n")
    (d / "tasks_world.jsonl").write_text("\n" + json.dumps({**second, "world": "nowhere"}))
    oracle = [{**second["oracle"][0], "tool": "no_such_tool"}, *second["oracle"][1:]]
    (d / "tasks_tool.jsonl").write_text("\n" + json.dumps({**second, "oracle": oracle}))
    (d / "tasks_utf8.jsonl").write_bytes(b'\n{"id": "\xff"}\n')
    zipped = gzip.compress(("\n".join(good * 50) + "\n").encode())
    (d / "tasks_trunc.jsonl.gz").write_bytes(zipped[: len(zipped) // 2])
    return d


# ---- the table: argv (``{d}`` = the directory above) -> exit code, fragments of the message ----

TB = "taxonomy build"
SEL = "select --taxonomy {d}/tax.json"
SYN = "synth --taxonomy {d}/tax.json -o {d}/out/s.jsonl --judges format"
EV = "eval {d}/tasks.jsonl --no-progress --state-dir {d}/st -o {d}/r.json"
CASES: list[tuple[str, str, int, list[str]]] = [
    ("tb-missing", f"{TB} {{d}}/nope.jsonl -o {{d}}/o.json", 2, ["nope.jsonl", "no such"]),
    ("tb-dir", f"{TB} {{d}}/adir -o {{d}}/o.json", 2, ["adir", "a directory"]),
    ("tb-empty", f"{TB} {{d}}/empty.jsonl -o {{d}}/o.json", 2, ["empty.jsonl", "empty"]),
    ("tb-json", f"{TB} {{d}}/badjson.jsonl -o {{d}}/o.json", 2, ["badjson.jsonl:3", "JSON"]),
    ("tb-noskill", f"{TB} {{d}}/noskills.jsonl -o {{d}}/o.json", 2, ["noskills.jsonl:2"]),
    ("tb-notobj", f"{TB} {{d}}/notobj.jsonl -o {{d}}/o.json", 2, ["notobj.jsonl:2", "object"]),
    ("tb-utf8", f"{TB} {{d}}/nonutf8.jsonl -o {{d}}/o.json", 2, ["nonutf8.jsonl:2", "UTF-8"]),
    ("tb-gzip", f"{TB} {{d}}/trunc.jsonl.gz -o {{d}}/o.json", 2, ["trunc.jsonl.gz:", "ended"]),
    ("tb-extractor", f"{TB} {{d}}/good.jsonl --extractor nope", 2, ["'nope'", "tags"]),
    ("tb-weight", f"{TB} {{d}}/good.jsonl --weight nope", 2, ["'nope'", "ppmi"]),
    ("tb-height", f"{TB} {{d}}/good.jsonl --height 0", 2, ["--height", "between 1 and 32"]),
    ("tb-mincount", f"{TB} {{d}}/good.jsonl --min-count -1", 2, ["--min-count"]),
    ("tb-extopt", f"{TB} {{d}}/good.jsonl --extractor-opt foo", 2, ["--extractor-opt"]),
    ("tb-llm", f"{TB} {{d}}/good.jsonl --extractor llm", 2, ["--model"]),
    (
        "tb-lexicon",
        f"{TB} {{d}}/good.jsonl --extractor lexicon --lexicon {{d}}/lex_bad.toml",
        2,
        ["lex_bad.toml", "TOML"],
    ),
    (
        "tb-out-file",
        f"{TB} {{d}}/good.jsonl -o {{d}}/tax.json/o.json",
        1,
        ["tax.json/o.json", "cannot write"],
    ),
    ("tb-out-dir", f"{TB} {{d}}/good.jsonl -o {{d}}/adir", 1, ["adir", "cannot write"]),
    ("tb-graph-head", f"{TB} --graph {{d}}/graph_header.csv", 2, ["graph_header.csv:1"]),
    ("tb-graph-weight", f"{TB} --graph {{d}}/graph_weight.csv", 2, ["graph_weight.csv:3"]),
    ("tb-graph-utf8", f"{TB} --graph {{d}}/graph_utf8.csv", 2, ["graph_utf8.csv:3", "UTF-8"]),
    ("ts-missing", "taxonomy show {d}/nope.json", 2, ["nope.json"]),
    ("ts-dir", "taxonomy show {d}/adir", 2, ["adir"]),
    ("ts-utf8", "taxonomy show {d}/tax_utf8.json", 2, ["tax_utf8.json", "UTF-8 at line 2"]),
    ("ts-json", "taxonomy show {d}/tax_badjson.json", 2, ["tax_badjson.json", "line 3"]),
    ("ts-schema", "taxonomy show {d}/tax_v9.json", 2, ["tax_v9.json", "taxonomy@9"]),
    ("ts-nodes", "taxonomy show {d}/tax_nonodes.json", 2, ["tax_nonodes.json", "nodes"]),
    ("ts-list", "taxonomy show {d}/tax_list.json", 2, ["tax_list.json", "object"]),
    ("ts-field", "taxonomy show {d}/tax_novolume.json", 2, ["nodes[2]", "'volume'"]),
    ("ts-depth", "taxonomy show {d}/tax.json --depth -1", 2, ["--depth"]),
    ("tst-json", "taxonomy stats {d}/badjson.jsonl", 2, ["badjson.jsonl:3"]),
    ("tst-utf8", "taxonomy stats {d}/nonutf8.jsonl", 2, ["nonutf8.jsonl:2"]),
    ("sel-tax", "select --taxonomy {d}/nope.json -n 5", 2, ["nope.json"]),
    ("sel-schema", "select --taxonomy {d}/tax_v9.json -n 5", 2, ["tax_v9.json", "@9"]),
    ("sel-n0", f"{SEL} -n 0", 2, ["-n", "at least 1"]),
    ("sel-k", f"{SEL} -n 5 --k 9-2", 2, ["--k", "9-2"]),
    ("sel-kweights", f"{SEL} -n 5 --k 2-3 --k-weights 1,2,3", 2, ["--k-weights"]),
    ("sel-beam", f"{SEL} -n 5 --beam 0", 2, ["--beam"]),
    ("sel-selector", f"{SEL} -n 5 --selector nope", 2, ["'nope'", "unconstrained"]),
    ("sel-seeds", f"{SEL} -n 5 --seeds nosuchskill", 2, ["--seeds", "'nosuchskill'"]),
    ("sel-exclude", f"{SEL} -n 5 --exclude {{d}}/combos_bad.jsonl", 2, ["combos_bad.jsonl:2"]),
    ("sel-corpus", f"{SEL} -n 5 --corpus {{d}}/badjson.jsonl", 2, ["badjson.jsonl:3"]),
    ("sel-out", f"{SEL} -n 2 -o {{d}}/tax.json/c.jsonl", 1, ["tax.json/c.jsonl", "cannot write"]),
    ("syn-model", SYN, 2, ["--model"]),
    ("syn-n", f"{SYN} --model fake:echo -n 0", 2, ["--n"]),
    ("syn-k", f"{SYN} --model fake:echo --k 9-2", 2, ["--k", "9-2"]),
    ("syn-beam", f"{SYN} --model fake:echo --beam 0", 2, ["--beam"]),
    ("syn-conc", f"{SYN} --model fake:echo --concurrency 0", 2, ["--concurrency"]),
    ("syn-selector", f"{SYN} --model fake:echo --selector nope", 2, ["selector 'nope'"]),
    ("syn-mode", f"{SYN} --model fake:echo --mode nope", 2, ["mode 'nope'", "instruct"]),
    ("syn-judge", f"{SYN} --model fake:echo --judges format,nope", 2, ["judge 'nope'"]),
    ("syn-format", f"{SYN} --model fake:echo --format nope", 2, ["format 'nope'", "alpaca"]),
    ("syn-spec", f"{SYN} --model nosuchthing", 2, ["'nosuchthing'", "MODULE:ATTRIBUTE"]),
    ("syn-attr", f"{SYN} --model helpers_cli_errors:nope", 2, ["has no attribute 'nope'"]),
    ("syn-corpus", f"{SYN} --model fake:echo --corpus {{d}}/badjson.jsonl", 2, ["badjson.jsonl:3"]),
    ("syn-cfg", "synth --config {d}/nope.toml", 2, ["nope.toml"]),
    ("syn-cfg-dir", "synth --config {d}/adir", 2, ["adir", "directory"]),
    ("syn-cfg-syntax", "synth --config {d}/bad_syntax.toml", 2, ["bad_syntax.toml", "TOML"]),
    ("syn-cfg-field", "synth --config {d}/bad_field.toml", 2, ["bad_field.toml: synth.nn"]),
    ("syn-cfg-type", "synth --config {d}/bad_type.toml", 2, ["bad_type.toml: synth.n"]),
    ("syn-cfg-k", "synth --config {d}/bad_k.toml", 2, ["bad_k.toml: synth.k"]),
    ("syn-cfg-utf8", "synth --config {d}/bad_utf8.toml", 2, ["bad_utf8.toml", "UTF-8"]),
    ("syn-out", f"{SYN} --model fake:echo -o {{d}}/tax.json/s.jsonl", 1, ["tax.json/s.jsonl"]),
    ("ev-missing", "eval {d}/nope.jsonl --agent oracle -o {d}/r.json", 2, ["nope.jsonl"]),
    ("ev-dir", "eval {d}/adir --agent oracle -o {d}/r.json", 2, ["adir", "not a file"]),
    ("ev-empty", "eval {d}/empty.jsonl --agent oracle -o {d}/r.json", 2, ["empty.jsonl"]),
    (
        "ev-json",
        "eval {d}/tasks_badjson.jsonl --agent oracle -o {d}/r.json",
        2,
        ["tasks_badjson.jsonl:2", "JSON"],
    ),
    (
        "ev-world",
        "eval {d}/tasks_world.jsonl --agent oracle -o {d}/r.json",
        2,
        ["tasks_world.jsonl:2", "'nowhere'", "toolworld"],
    ),
    (
        "ev-tool",
        "eval {d}/tasks_tool.jsonl --agent oracle -o {d}/r.json",
        2,
        ["tasks_tool.jsonl:2", "no_such_tool"],
    ),
    (
        "ev-utf8",
        "eval {d}/tasks_utf8.jsonl --agent oracle -o {d}/r.json",
        2,
        ["tasks_utf8.jsonl:2", "UTF-8"],
    ),
    (
        "ev-gzip",
        "eval {d}/tasks_trunc.jsonl.gz --agent oracle -o {d}/r.json",
        2,
        ["tasks_trunc.jsonl.gz:", "ended"],
    ),
    ("ev-agent", f"{EV} --agent nope", 2, ["agent 'nope'", "oracle"]),
    ("ev-agent-spec", f"{EV} --agent model:nosuchthing", 2, ["'nosuchthing'"]),
    ("ev-graph", f"{EV} --agent {{d}}/nope.py:graph", 2, ["nope.py"]),
    ("ev-repeat", f"{EV} --agent oracle --repeat 0", 2, ["--repeat"]),
    ("ev-steps", f"{EV} --agent oracle --step-limit 0", 2, ["--step-limit"]),
    ("ev-opt", f"{EV} --agent random --agent-opt foo", 2, ["--agent-opt"]),
    ("ev-tax", f"{EV} --agent oracle --taxonomy {{d}}/tax_v9.json", 2, ["tax_v9.json"]),
    (
        "ev-out",
        "eval {d}/tasks.jsonl --agent oracle --no-progress --state-dir {d}/st"
        " -o {d}/tax.json/r.json",
        1,
        ["tax.json", "directory"],
    ),
    ("ev-md", f"{EV} --agent oracle --markdown {{d}}/tax.json/r.md", 1, ["tax.json/r.md"]),
    ("qs-world", "quickstart -o {d}/qs --world nope", 2, ["world 'nope'", "toolworld"]),
    ("qs-perk", "quickstart -o {d}/qs --per-k 0", 2, ["--per-k"]),
    ("qs-k", "quickstart -o {d}/qs --k 9-2", 2, ["--k"]),
    ("qs-height", "quickstart -o {d}/qs --height 0", 2, ["--height"]),
    ("qs-corpus", "quickstart -o {d}/qs --corpus {d}/badjson.jsonl", 2, ["badjson.jsonl:3"]),
]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(argv)
    return code, capsys.readouterr().err.strip().splitlines()


def one_error_line(err: list[str]) -> str:
    """The ``error:`` line; anything else on stderr may only be the run-id notice before it."""
    errors = [line for line in err if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert not any("Traceback" in line for line in err), err
    others = [line for line in err if not line.startswith(("error: ", "run ", "run id "))]
    assert not others, err
    return errors[0]


@pytest.mark.parametrize(("name", "argv", "code", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_naming_the_place(
    d: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    argv: str,
    code: int,
    fragments: list[str],
) -> None:
    monkeypatch.chdir(d)
    got, err = run_cli([part.format(d=d) for part in argv.split()], capsys)
    line = one_error_line(err)
    assert got == code, line
    for fragment in fragments:
        assert fragment in line, line


# ---- ModelCallError --------------------------------------------------------------------------


def ask(client: ModelClient) -> Any:
    return asyncio.run(client.ainvoke([HumanMessage(content="hello")]))


def test_exhausted_retries_become_one_model_call_error() -> None:
    model = BrokenModel(status=503)
    client = ModelClient.from_model(
        model, options=ModelOptions(max_retries=2, backoff=0.0), spec="acme:big"
    )
    with pytest.raises(ModelCallError) as info:
        ask(client)
    error = info.value
    assert isinstance(error, StepsError) and isinstance(error, RuntimeError)
    assert model.calls == 3 and error.attempts == 3 and error.status_code == 503
    assert isinstance(error.__cause__, ProviderError) and not error.item_specific
    message = str(error)
    assert "\n" not in message and "'acme:big'" in message and "ProviderError (HTTP 503)" in message
    assert "after 3 attempts" in message and "rerun" in message


def test_a_refusal_is_not_retried_and_says_whether_only_this_item_is_concerned() -> None:
    for status, item_specific in ((401, False), (404, False), (400, True), (422, True)):
        model = BrokenModel(status=status)
        client = ModelClient.from_model(
            model, options=ModelOptions(max_retries=3, backoff=0.0), spec="acme:big"
        )
        with pytest.raises(ModelCallError, match="refused the call") as info:
            ask(client)
        assert model.calls == 1 and info.value.item_specific is item_specific
        assert client.usage.failures == 1


def test_a_connection_error_has_no_status_and_a_bug_keeps_its_own_type() -> None:
    class Unreachable(BrokenModel):
        def _generate(self, *args: Any, **kw: Any) -> Any:
            raise ConnectionError("connection refused")

    client = ModelClient.from_model(
        Unreachable(), options=ModelOptions(max_retries=1, backoff=0.0), spec="local"
    )
    with pytest.raises(ModelCallError, match="ConnectionError: connection refused") as info:
        ask(client)
    assert info.value.status_code is None and not info.value.item_specific

    class Buggy(BrokenModel):
        def _generate(self, *args: Any, **kw: Any) -> Any:
            raise TypeError("a bug in the integration")

    with pytest.raises(TypeError):
        ask(
            ModelClient.from_model(
                Buggy(), options=ModelOptions(max_retries=3, backoff=0.0), spec="bug"
            )
        )


def test_synth_whose_model_goes_down_ends_in_one_line_and_keeps_the_accepted_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tax = tmp_path / "tax.json"
    random_taxonomy(24, height=2, seed=2).save(tax)
    out = tmp_path / "s.jsonl"
    argv = ["synth", "--taxonomy", str(tax), "-o", str(out), "-n", "40", "--k", "2-2"]
    argv += ["--model", "helpers_cli_errors:goes_down", "--judges", "format", "--concurrency", "1"]
    argv += ["--max-retries", "1", "--timeout", "30", "--max-revisions", "0"]
    code, err = run_cli(argv, capsys)
    line = one_error_line(err)
    assert code == 1 and "'helpers_cli_errors:goes_down'" in line and "HTTP 503" in line
    kept = read_jsonl(out)  # the first wave was written before the outage and stays
    assert 1 <= len(kept) <= 16 and all(sample["messages"] for sample in kept)


def test_eval_stops_on_a_model_outage_but_scores_a_refused_item_and_goes_on(
    d: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = ["eval", str(d / "tasks.jsonl"), "--no-progress", "--state-dir", str(tmp_path)]
    code, err = run_cli(
        [*base, "--agent", "model:helpers_cli_errors:bad_key", "-o", str(tmp_path / "a.json")],
        capsys,
    )
    assert code == 1 and "HTTP 401" in one_error_line(err)
    assert not (tmp_path / "a.json").exists()

    import helpers_cli_errors

    first = json.loads((d / "tasks.jsonl").read_text().splitlines()[0])
    picky = BrokenModel(refuse_marker=first["instruction"])
    monkeypatch.setattr(helpers_cli_errors, "picky", picky, raising=False)
    report = tmp_path / "b.json"
    code, err = run_cli(
        [*base, "--agent", "model:helpers_cli_errors:picky", "-o", str(report)], capsys
    )
    assert code == 0, err
    assert json.loads(report.read_text())["episodes"] == 2
    episodes = [json.loads(line) for f in tmp_path.glob("*.episodes.jsonl") for line in f.open()]
    reasons = {e["task_id"]: e["reason"] for e in episodes if e["agent"].endswith(":picky")}
    assert "model call refused" in reasons[first["id"]] and "HTTP 400" in reasons[first["id"]]
    assert len(reasons) == 2  # the other task was run (and failed on its merits)


def test_os_errors_are_one_line_and_debug_mode_shows_the_traceback(
    d: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert describe_os_error(ConnectionResetError(104, "reset by peer")) == (
        "ConnectionResetError: reset by peer"
    )
    assert describe_os_error(OSError(28, "No space left on device")).startswith(
        "no space left on device while writing the output"
    )
    rename = IsADirectoryError(21, "Is a directory", "a.tmp", None, "a")
    assert describe_os_error(rename).startswith("a.tmp -> a: Is a directory; check the path")
    error = OutputError(d / "x.json", PermissionError(13, "Permission denied"))
    assert isinstance(error, OSError) and error.exit_code == 1
    assert str(error).startswith(f"{d / 'x.json'}: cannot write (Permission denied)")
    monkeypatch.setenv("STEPS_AGENTS_DEBUG", "1")
    with pytest.raises(StepsError):
        main(["taxonomy", "show", str(d / "nope.json")])


# ---- a broken third-party plugin, and an interrupt --------------------------------------------


def test_a_plugin_that_does_not_import_is_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import steps_agents.plugin_manager as plugin_manager

    dist = tmp_path / "broken_steps_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-steps-plugin\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text("[steps_agents]\nbroken = broken_steps_plugin_mod\n")
    (tmp_path / "broken_steps_plugin_mod.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.setattr(plugin_manager, "_DEFAULT", None)
    code, err = run_cli(["plugins"], capsys)
    line = one_error_line(err)
    assert code == 1 and "plugin 'broken' (broken_steps_plugin_mod)" in line
    assert "no_such_dependency_xyz" in line and "STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD=1" in line
    monkeypatch.setenv("STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setattr(plugin_manager, "_DEFAULT", None)
    assert main(["plugins"]) == 0  # the advertised way out works


def test_an_interrupt_exits_130_with_how_to_resume(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import steps_agents.cli.plugins as plugins_cli

    def interrupted(args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(plugins_cli, "run", interrupted)
    code, err = run_cli(["plugins"], capsys)
    assert code == 130 and len(err) == 1 and "resume" in err[0]
