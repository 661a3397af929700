"""Hostile inputs (issue 12): files nested too deep, lines too long, numbers that are not
numbers, taxonomies their writer would not produce, flags that ask for too much, outputs that
would replace an input. Each is one ``error:`` line naming the file (and line or field), exit 2,
no traceback, and nothing written or overwritten. Limits: ``docs/reliability.md``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from test_cli_errors import one_error_line, run_cli

from steps_agents import fileformats, plugin_manager
from steps_agents.cli import main
from steps_agents.hookspecs import hookimpl
from steps_agents.registry import PluginError
from steps_agents.selection.synthetic import random_taxonomy

GOOD = [json.dumps({"skills": [f"s{i % 9}", f"s{(i * 7) % 11 + 9}"]}) for i in range(40)]


def _corpus(d: Path, name: str, bad_line: str) -> None:
    """A good corpus whose second line is ``bad_line``."""
    (d / name).write_text(GOOD[0] + "\n" + bad_line + "\n" + "\n".join(GOOD[1:]) + "\n")


def _taxonomy(d: Path, name: str, *, node: int | None = None, **changes: object) -> None:
    """The saved random taxonomy with ``changes`` applied to ``nodes[node]`` (or the top)."""
    body = json.loads((d / "tax.json").read_text())
    if node is None:
        body.update(changes)
    else:
        body["nodes"][node].update(changes)
    (d / name).write_text(json.dumps(body))


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    (d / "good.jsonl").write_text("\n".join(GOOD) + "\n")
    deep = "[" * 100_000 + "]" * 100_000
    _corpus(d, "deep.jsonl", '{"skills": ["a", "b"], "x": ' + deep + "}")
    _corpus(d, "deep65.jsonl", '{"skills": ["a", "b"], "x": ' + "[" * 65 + "]" * 65 + "}")
    _corpus(d, "bigint.jsonl", '{"skills": ["a", "b"], "n": ' + "9" * 5000 + "}")
    _corpus(d, "nan.jsonl", '{"skills": ["a", "b"], "n": NaN}')
    _corpus(d, "inf.jsonl", '{"skills": ["a", "b"], "n": 1e400}')
    _corpus(d, "wide.jsonl", json.dumps({"skills": [f"k{i}" for i in range(1001)]}))
    (d / "huge.csv").write_text("source,target,weight\na,b,1e308\nb,c,1e308\nc,a,1\n")
    tax = random_taxonomy(24, height=2, seed=2)
    tax.save(d / "tax.json")
    _taxonomy(d, "tax_deep.json", stats=json.loads("[" * 100 + "]" * 100))
    (d / "tax_deepraw.json").write_text(
        (d / "tax.json").read_text().replace('"schema"', '"x": ' + deep + ', "schema"', 1)
    )
    (d / "tax_nan.json").write_text(
        (d / "tax.json").read_text().replace('"cut": ', '"cut": NaN, "c0": ', 2)
    )
    _taxonomy(d, "tax_negvol.json", node=3, volume=-1.0)
    _taxonomy(d, "tax_negcut.json", node=3, cut=-0.5)
    _taxonomy(d, "tax_strvol.json", node=3, volume="7")
    _taxonomy(d, "tax_parentstr.json", node=3, parent="0")
    _taxonomy(d, "tax_parentfloat.json", node=3, parent=0.5)
    _taxonomy(d, "tax_parentbool.json", node=3, parent=True)
    _taxonomy(d, "tax_height.json", height="tall")
    _taxonomy(d, "tax_count.json", node=len(tax.nodes) - 1, count=-3)
    _taxonomy(d, "tax_skill.json", node=len(tax.nodes) - 1, skill=["x"])
    _taxonomy(d, "tax_rootvol.json", node=0, volume=tax.nodes[0].volume * 2)
    (d / "tax_rootinf.json").write_text(
        (d / "tax.json").read_text().replace('"volume": ', '"volume": 1e999, "v0": ', 1)
    )
    (d / "tax_bigint.json").write_text(
        (d / "tax.json").read_text().replace('"count": ', '"count": ' + "1" * 5000 + ', "c": ', 1)
    )
    (d / "deep.toml").write_text("[synth]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    (d / "deeptables.toml").write_text("[" + ".".join(["a"] * 5000) + "]\nx = 1\n")
    (d / "nan.toml").write_text("[synth]\nn = nan\n")
    (d / "redos.toml").write_text('"a" = ["re:(a+)+$"]\n')
    return d


SEL = "select --taxonomy {d}/tax.json -o {d}/c.jsonl"
TB = "taxonomy build"
CASES = [
    ("corpus-deep", f"{TB} {{d}}/deep.jsonl -o {{d}}/t.json", ["deep.jsonl:2", "deeper than"]),
    ("corpus-65", f"{TB} {{d}}/deep65.jsonl -o {{d}}/t.json", ["deep65.jsonl:2", "64 levels"]),
    ("corpus-int", f"{TB} {{d}}/bigint.jsonl -o {{d}}/t.json", ["bigint.jsonl:2", "4300 digits"]),
    ("corpus-nan", f"{TB} {{d}}/nan.jsonl -o {{d}}/t.json", ["nan.jsonl:2", "NaN"]),
    ("corpus-inf", f"{TB} {{d}}/inf.jsonl -o {{d}}/t.json", ["inf.jsonl:2", "not finite"]),
    ("corpus-wide", f"{TB} {{d}}/wide.jsonl -o {{d}}/t.json", ["wide.jsonl:2", "1001 skills"]),
    ("graph-huge", f"{TB} --graph {{d}}/huge.csv -o {{d}}/t.json", ["huge.csv", "too large"]),
    ("height", f"{TB} {{d}}/good.jsonl --height 100000 -o {{d}}/t.json", ["--height", "32"]),
    ("epochs", f"{SEL} -n 5 --curriculum --epochs 1000000000", ["--epochs", "at most 1000"]),
    ("tax-deep", "select --taxonomy {d}/tax_deep.json -n 2", ["tax_deep.json", "deeper"]),
    ("tax-deepraw", "select --taxonomy {d}/tax_deepraw.json -n 2", ["tax_deepraw.json", "deeper"]),
    ("tax-nan", "select --taxonomy {d}/tax_nan.json -n 2", ["tax_nan.json", "NaN"]),
    ("tax-negvol", "select --taxonomy {d}/tax_negvol.json -n 2", ["nodes[3].volume", ">= 0"]),
    ("tax-negcut", "select --taxonomy {d}/tax_negcut.json -n 2", ["nodes[3].cut", ">= 0"]),
    ("tax-strvol", "select --taxonomy {d}/tax_strvol.json -n 2", ["nodes[3].volume", "'7'"]),
    ("tax-par-str", "select --taxonomy {d}/tax_parentstr.json -n 2", ["nodes[3].parent", "'0'"]),
    ("tax-par-flt", "select --taxonomy {d}/tax_parentfloat.json -n 2", ["nodes[3].parent"]),
    ("tax-par-bool", "select --taxonomy {d}/tax_parentbool.json -n 2", ["nodes[3].parent"]),
    ("tax-height", "select --taxonomy {d}/tax_height.json -n 2", ["'height'", "'tall'"]),
    ("tax-count", "select --taxonomy {d}/tax_count.json -n 2", [".count", "-3"]),
    ("tax-skill", "select --taxonomy {d}/tax_skill.json -n 2", [".skill", "string"]),
    ("tax-rootvol", "select --taxonomy {d}/tax_rootvol.json -n 2", ["root volume", "vol(G)"]),
    ("tax-rootinf", "select --taxonomy {d}/tax_rootinf.json -n 2", ["tax_rootinf", "not finite"]),
    ("tax-int", "select --taxonomy {d}/tax_bigint.json -n 2", ["tax_bigint.json", "4300"]),
    ("toml-deep", "synth --config {d}/deep.toml", ["deep.toml", "deeper than"]),
    ("toml-tables", "synth --config {d}/deeptables.toml", ["deeptables.toml", "deeper than"]),
    ("toml-nan", "synth --config {d}/nan.toml", ["nan.toml", "not finite"]),
    (
        "lexicon-redos",
        f"{TB} {{d}}/good.jsonl --extractor lexicon --lexicon {{d}}/redos.toml -o {{d}}/t.json",
        ["redos.toml", "(a+)+", "repeats a repeated group"],
    ),
]


@pytest.mark.parametrize(("name", "argv", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_line_exit_2_nothing_written(
    d: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    argv: str,
    fragments: list[str],
) -> None:
    monkeypatch.chdir(d)
    before = {p.name: p.stat().st_mtime_ns for p in d.iterdir()}
    code, err = run_cli([part.format(d=d) for part in argv.split()], capsys)
    line = one_error_line(err)
    assert code == 2, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert {p.name: p.stat().st_mtime_ns for p in d.iterdir()} == before


def test_a_long_line_inside_gzip_is_refused_without_reading_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small gzip can hold one enormous line: the reader stops at the limit, naming the line."""
    monkeypatch.setattr(fileformats, "MAX_LINE_BYTES", 10_000)
    path = tmp_path / "c.jsonl.gz"
    line = json.dumps({"skills": ["a", "b"], "pad": "x" * 2_000_000})
    path.write_bytes(gzip.compress(f"{GOOD[0]}\n{line}\n".encode()))
    assert path.stat().st_size < 20_000
    lines = fileformats.iter_text_lines(path)
    assert next(lines)[0] == 1
    with pytest.raises(fileformats.InputError, match=r"c\.jsonl\.gz:2: line longer than 10000"):
        next(lines)


def test_a_long_line_in_a_shard_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fileformats, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "c.jsonl"
    path.write_text(GOOD[0] + "\n" + "x" * 5000 + "\n")
    with pytest.raises(fileformats.InputError, match=r"c\.jsonl:2: line longer than 1000"):
        list(fileformats.iter_text_lines(path, (0, path.stat().st_size, 1)))


def test_ordinary_deep_enough_json_still_reads() -> None:
    """64 levels is the limit: 63 nested arrays inside an object read back unchanged."""
    text = '{"x": ' + "[" * 63 + "]" * 63 + ', "big": 1e300, "n": ' + "9" * 4300 + "}"
    value = fileformats.loads_json(text, location="t")
    assert value["big"] == 1e300 and len(str(value["n"])) == 4300


# ---- outputs: never one of the inputs, never outside their directory ------------------------


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    from helpers_evaluation import toolworld_tasks, write_tasks_file

    return write_tasks_file(tmp_path / "t.jsonl", toolworld_tasks({1: 1, 2: 1}))


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        ("eval {t} --agent oracle -o {t}", ["-o:", "TASKS"]),
        ("eval {t} --agent oracle -o {d}/./t.jsonl", ["-o:", "TASKS"]),
        ("eval {t} --agent oracle -o {d}/link.jsonl", ["-o:", "TASKS"]),
        ("eval {t} --agent oracle -o {d}/r.json --markdown {d}/r.json", ["--markdown:", "-o"]),
        ("eval {t} --agent oracle -o {d}/r.json --taxonomy {d}/r.json", ["-o:", "--taxonomy"]),
        ("select --taxonomy {d}/tax.json -n 2 -o {d}/tax.json", ["-o:", "--taxonomy"]),
        ("taxonomy build {d}/c.jsonl -o {d}/c.jsonl", ["-o:", "CORPUS"]),
        ("taxonomy build --graph {d}/g.csv -o {d}/g.csv", ["-o:", "--graph"]),
        ("eval {t} --agent oracle -o {d}/r.json --run-id ../../x", ["--run-id", "'../../x'"]),
        ("eval {t} --agent oracle -o {d}/r.json --run-id {d}/x", ["--run-id", "state directory"]),
        ("eval {t} --agent oracle -o {d}/r.json --run-id .hidden", ["--run-id", "'.hidden'"]),
    ],
)
def test_an_output_that_is_an_input_or_escapes_is_refused(
    tasks: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: str,
    fragments: list[str],
) -> None:
    d = tasks.parent
    random_taxonomy(24, height=2, seed=2).save(d / "tax.json")
    (d / "c.jsonl").write_text("\n".join(GOOD) + "\n")
    (d / "g.csv").write_text("source,target,weight\na,b,1\nb,c,2\n")
    (d / "link.jsonl").symlink_to(tasks)
    state = d / "deep" / "er" / "state"
    state.mkdir(parents=True)
    monkeypatch.chdir(state)
    before = {p: p.read_bytes() for p in d.iterdir() if p.is_file()}
    words = [part.format(t=tasks, d=d) for part in argv.split()]
    code, err = run_cli(
        [*words, "--state-dir", str(state)] if words[0] == "eval" else words, capsys
    )
    line = one_error_line(err)
    assert code == 2, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert {p: p.read_bytes() for p in d.iterdir() if p.is_file()} == before
    assert not list(state.iterdir()) and not (d / "x.episodes.jsonl").exists()


def test_synth_overwrite_that_fails_before_writing_keeps_the_old_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tax = tmp_path / "tax.json"
    random_taxonomy(24, height=2, seed=2).save(tax)
    out = tmp_path / "s.jsonl"
    out.write_text('{"id": "old", "metadata": {"run_id": "earlier"}}\n')
    old = out.read_bytes()
    argv = ["synth", "--taxonomy", str(tax), "-o", str(out), "-n", "4", "--k", "2-2"]
    argv += ["--model", "helpers_cli_errors:down", "--judges", "format", "--overwrite"]
    argv += ["--max-retries", "1", "--timeout", "30", "--max-revisions", "0"]
    code, err = run_cli(argv, capsys)
    assert code == 1 and "HTTP 500" in one_error_line(err)
    assert out.read_bytes() == old
    assert not [p.name for p in tmp_path.iterdir() if "overwrite-tmp" in p.name]


# ---- plugins: a broken one is named and does not take the others down ----------------------


class Broken:
    """A plugin whose every hook raises a plain exception (a bug, not a steps-agents error)."""

    @hookimpl
    def register_selectors(self, register: object) -> None:
        raise RuntimeError("selectors exploded")

    @hookimpl
    def register_agents(self, register: Any) -> None:
        def factory(options: object) -> object:
            raise ZeroDivisionError("agent factory exploded")

        register(factory, name="boom")

    @hookimpl
    def open_corpus_source(self, source: str, options: object) -> None:
        raise OSError("source exploded")

    @hookimpl
    def resolve_chat_model(self, spec: str, options: object) -> None:
        raise KeyError("resolver exploded")


@pytest.fixture
def broken_pm(monkeypatch: pytest.MonkeyPatch) -> None:
    pm = plugin_manager.get_plugin_manager(load_entrypoints=False)
    pm.register(Broken(), name="broken")
    monkeypatch.setattr(plugin_manager, "_DEFAULT", pm)


def test_steps_plugins_lists_the_others_and_names_the_broken_one(
    broken_pm: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "steps_agents.plugins.selectors" in out or "selector:" in out
    assert (
        "error: plugin 'broken' failed in hook register_selectors: RuntimeError: selectors"
        " exploded" in out
    )


def test_a_raising_resolver_does_not_break_fake_echo(broken_pm: None) -> None:
    from steps_agents.models.resolve import resolve_chat_model

    assert resolve_chat_model("fake:echo") is not None
    with pytest.raises(PluginError, match=r"^plugin 'broken' failed in hook resolve_chat_model"):
        resolve_chat_model("nobody:knows")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            "select --taxonomy {d}/tax.json -n 2 --selector nope",
            "plugin 'broken' failed in hook register_selectors: RuntimeError",
        ),
        (
            "taxonomy build weird:source -o {d}/o.json",
            "plugin 'broken' failed in hook open_corpus_source: OSError: source exploded",
        ),
        (
            "eval {t} --agent boom -o {d}/r.json --state-dir {d}/st",
            "plugin 'broken' failed in hook register_agents (agent 'boom'): ZeroDivisionError",
        ),
    ],
)
def test_a_plugin_failure_is_one_line_naming_plugin_and_hook(
    broken_pm: None,
    tasks: Path,
    capsys: pytest.CaptureFixture[str],
    argv: str,
    fragment: str,
) -> None:
    d = tasks.parent
    random_taxonomy(24, height=2, seed=2).save(d / "tax.json")
    code, err = run_cli([part.format(d=d, t=tasks) for part in argv.split()], capsys)
    line = one_error_line(err)
    assert code == 2 and fragment in line, line


def test_selection_still_works_beside_a_broken_selector_plugin(
    broken_pm: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    random_taxonomy(24, height=2, seed=2).save(tmp_path / "tax.json")
    out = tmp_path / "c.jsonl"
    code, _ = run_cli(
        ["select", "--taxonomy", str(tmp_path / "tax.json"), "-n", "2", "-o", str(out)], capsys
    )
    assert code == 0 and len(out.read_text().splitlines()) == 2


def test_control_and_bidi_characters_are_escaped_for_display() -> None:
    shown = fileformats.display_text("a\x1b[2Jb\u202ec\u200bd\x7f é 中")
    assert shown == "a\\x1b[2Jb\\u202ec\\u200bd\\x7f é 中"


# ---- judge options: validated by each judge's own model ------------------------------------


def refused_in_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str], fragments: list[str], out: Path
) -> None:
    """``argv`` exits 2 with one error line holding every fragment, and ``out`` is not written."""
    code, err = run_cli(argv, capsys)
    line = one_error_line(err)
    assert code == 2, line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert not out.exists()


@pytest.mark.parametrize(
    ("opt", "fragments"),
    [
        ("format.max_chars=x", ["judge_options.format.max_chars", "integer"]),
        ("format.max_chars=0", ["judge_options.format.max_chars", "greater than or equal to 1"]),
        (
            "format.colour=1",
            ["judge_options.format.colour", "unknown option (judge 'format' takes"],
        ),
        ("dedup.bands=0", ["judge_options.dedup.bands"]),
        ("dedup.num_perm=7", ["judge_options.dedup", "multiple of bands"]),
        ("dedup.threshold=NaN", ["judge_options.dedup.threshold"]),
        ("coverage.lexcon=x.toml", ["judge_options.coverage", "unknown option 'lexcon'"]),
        ("coverage.method=guess", ["judge_options.coverage.method"]),
        ("rubric.min_score=11", ["judge_options.rubric.min_score"]),
        ("nosuchjudge.x=1", ["judge_options.nosuchjudge", "no judge 'nosuchjudge'"]),
    ],
)
def test_bad_judge_options_are_one_line_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], opt: str, fragments: list[str]
) -> None:
    tax = tmp_path / "tax.json"
    random_taxonomy(24, height=2, seed=2).save(tax)
    out = tmp_path / "out" / "s.jsonl"
    argv = ["synth", "--taxonomy", str(tax), "-o", str(out), "--model", "fake:echo", "-n", "2"]
    argv += ["--judges", "format,dedup,coverage,rubric", "--judge-opt", opt]
    refused_in_one_line(argv, capsys, fragments, out)


# ---- mode options: validated by each mode's own model ---------------------------------------


@pytest.fixture(scope="module")
def world_tax(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A taxonomy of toolworld's tools (the agentic mode composes them without a warning)."""
    path = tmp_path_factory.mktemp("modes") / "tax.json"
    graph = path.with_name("g.csv")
    graph.write_text(
        "source,target,weight\norders_get,orders_total,3\norders_total,orders_list,2\n"
    )
    assert main(["taxonomy", "build", "--graph", str(graph), "-o", str(path)]) == 0
    return path


MODE_CASES = [
    # (mode, how the option is given, option, value, fragments of the error line)
    ("agentic", "flag", "plan_judge", "maybe", ["mode_options.plan_judge", "boolean", "'agentic'"]),
    ("agentic", "toml", "plan_judge", '"maybe"', ["mode_options.plan_judge", "'agentic'"]),
    ("agentic", "flag", "instructions", "poem", ["mode_options.instructions", "'recipe'"]),
    ("agentic", "toml", "instructions", "3", ["mode_options.instructions", "'agentic'"]),
    ("agentic", "toml", "world", "[1]", ["mode_options.world", "string", "'agentic'"]),
    ("agentic", "flag", "colour", "1", ["mode_options.colour", "unknown option", "world"]),
    ("agentic", "toml", "plan_judge_", "true", ["mode_options.plan_judge_", "unknown option"]),
    ("instruct", "flag", "world", "toolworld", ["mode_options.world", "mode 'instruct' takes no"]),
    ("instruct", "toml", "instructions", '"goal"', ["mode_options.instructions", "'instruct'"]),
    ("nosuchmode", "flag", "world", "toolworld", ["unknown synthesis mode 'nosuchmode'"]),
    ("nosuchmode", "toml", "world", '"toolworld"', ["unknown synthesis mode 'nosuchmode'"]),
]


@pytest.mark.parametrize(("mode", "given", "key", "value", "fragments"), MODE_CASES)
def test_bad_mode_options_are_one_line_naming_the_option_and_the_mode(
    world_tax: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mode: str,
    given: str,
    key: str,
    value: str,
    fragments: list[str],
) -> None:
    out = tmp_path / "out" / "s.jsonl"
    argv = [
        "synth",
        "--taxonomy",
        str(world_tax),
        "-o",
        str(out),
        "-n",
        "2",
        "--model",
        "fake:echo",
    ]
    if given == "flag":
        argv += ["--mode", mode, "--mode-opt", f"{key}={value}"]
    else:
        config = tmp_path / "steps.toml"
        config.write_text(f'[synth]\nmode = "{mode}"\n[synth.mode_options]\n{key} = {value}\n')
        argv += ["--config", str(config)]
    refused_in_one_line(argv, capsys, fragments, out)


def test_good_mode_options_reach_the_mode_with_defaults(world_tax: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    argv = ["synth", "--taxonomy", str(world_tax), "-o", str(out), "-n", "1", "--mode", "agentic"]
    argv += ["--mode-opt", "plan_judge=false", "--mode-opt", "instructions=recipe", "--k", "2"]
    assert main(argv) in (0, 1)
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import get_synthesis_mode
    from steps_agents.synthesis.modes import mode_options

    agentic = get_synthesis_mode("agentic", default_plugin_manager())
    assert mode_options(agentic, {"plan_judge": False}) == {
        "world": "toolworld",
        "instructions": None,
        "plan_judge": False,
    }
    first = json.loads(out.read_text().splitlines()[0])
    assert "\n1. " in first["messages"][0]["content"]  # the recipe style


# ---- display: invisible characters never reach the terminal or make distinct skills ---------


def test_invisible_characters_are_removed_at_extraction(tmp_path: Path) -> None:
    from steps_agents.corpus.extract import normalise_skills

    names = ["sql", "s\u200bql", "sq\u202el", "\ufeffsql", "\x1b[2Jsql", "SQL", "fillFuelTank"]
    assert normalise_skills(names) == ["sql", "[2Jsql", "SQL", "fillFuelTank"]


def test_taxonomy_show_escapes_control_characters_in_skill_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graph = tmp_path / "g.csv"
    graph.write_text("source,target,weight\nclear\x1b[2J,b\u202eidi,1\nb\u202eidi,c,2\nc,d,1\n")
    assert main(["taxonomy", "build", "--graph", str(graph), "-o", str(tmp_path / "t.json")]) == 0
    assert main(["taxonomy", "show", str(tmp_path / "t.json")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "clear\\x1b[2J" in out and "b\\u202eidi" in out


def test_an_episode_log_that_is_a_device_is_refused_not_read(
    tasks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tasks.parent / "st"
    state.mkdir()
    (state / "R.episodes.jsonl").symlink_to("/dev/zero")
    argv = ["eval", str(tasks), "--agent", "oracle", "-o", str(tasks.parent / "r.json")]
    code, err = run_cli([*argv, "--run-id", "R", "--state-dir", str(state)], capsys)
    line = one_error_line(err)
    assert code == 2 and "R.episodes.jsonl: not a regular file" in line
    assert not (tasks.parent / "r.json").exists()
