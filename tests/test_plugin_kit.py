"""The plugin author's kit: ``steps plugins new`` packages work as written, a package filled in
from docs/plugins.md alone installs and runs the whole pipeline, and ``steps world check``.

The filled-in package is installed for real (``pip install --no-deps --target``, about 1.3 s
here) and every command runs as a subprocess that finds the plugin only through its
``steps_agents`` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_docs_plugins import DOC, plugin_source, python_blocks

from steps_agents.cli import main
from steps_agents.cli.plugins_new import HOOKS
from steps_agents.errors import StepsError


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "STEPS_AGENTS_NO_PROGRESS": "1", **extra}


def _steps(args: list[str], cwd: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """``steps ARGS`` in a subprocess that sees the installed plugin through ``site``."""
    return subprocess.run(
        [sys.executable, "-m", "steps_agents", *args],
        cwd=cwd,
        env=_env(PYTHONPATH=str(site)),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_generated_package_passes_its_own_tests(tmp_path: Path) -> None:
    assert main(["plugins", "new", "my-plug", "--hooks", "all", "-o", str(tmp_path / "p")]) == 0
    package = tmp_path / "p"
    source = (package / "src" / "my_plug" / "__init__.py").read_text()
    for hook in HOOKS:
        assert f"def {hook}(" in source
    assert 'my_plug = "my_plug"' in (package / "pyproject.toml").read_text()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=package,
        env=_env(PYTHONPATH=str(package / "src"), STEPS_AGENTS_DISABLE_PLUGIN_AUTOLOAD="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(HOOKS) + 1} passed" in run.stdout  # one per hook, one through steps_cli


def test_new_refuses_a_bad_name_an_unknown_hook_and_a_full_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "new", "Bad Name", "-o", str(tmp_path / "a")]) == 2
    assert main(["plugins", "new", "ok", "--hooks", "register_nothing", "-o", str(tmp_path)]) == 2
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert main(["plugins", "new", "ok", "-o", str(tmp_path / "full")]) == 2
    err = capsys.readouterr().err
    assert "plugin name 'Bad Name'" in err and "no hook 'register_nothing'" in err
    assert "is not empty" in err


def test_world_check_reports_reasons_unused_tools_and_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["world", "check", "toolworld", "--k-max", "1", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["tried"] == {"1": len(report["unused_tools"]) + report["composed"]["1"]}
    # one tool of toolworld composes no single-tool task (its result is the same in every
    # state): it is both an uncomposable reason and a tool never used; that is a warning
    # (exit 0) unless --strict
    assert report["unused_tools"] == ["table_list_tables"]
    assert "plan rule constant" in report["uncomposable"][0]["reason"]
    assert code == 0 and report["ok"] is True and report["ok_strict"] is False
    assert main(["world", "check", "toolworld", "--k-max", "1"]) == 0
    text = capsys.readouterr().out
    assert "warning: tools never used: table_list_tables" in text
    assert text.rstrip().endswith("ok, with warnings")
    assert main(["world", "check", "toolworld", "--k-max", "1", "--strict"]) == 1
    text = capsys.readouterr().out
    assert "\ntools never used: table_list_tables" in text
    assert text.rstrip().endswith("problems found")


@pytest.mark.slow
def test_a_package_filled_in_from_the_docs_installs_and_runs_the_pipeline(tmp_path: Path) -> None:
    # 1. the kit writes the package; 2. the docs' plugin blocks replace the skeletons and the
    # docs' test block becomes its test; 3. pip installs it; 4. the pipeline runs on the shell.
    package = tmp_path / "toybank"
    assert main(["plugins", "new", "toybank", "--hooks", "all", "-o", str(package)]) == 0
    text = DOC.read_text(encoding="utf-8")
    (package / "src" / "toybank" / "__init__.py").write_text(plugin_source(text))
    testing_block = next(b for b in python_blocks(text) if "testing.plugin_manager(toybank)" in b)
    body = textwrap.indent(testing_block, "    ")
    (package / "tests" / "test_toybank.py").write_text(f"def test_toybank():\n{body}")
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--target", str(site), str(package)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "work"
    work.mkdir()
    habits = ["bank_find_account bank_get_balance", "bank_get_balance bank_interest"]
    habits += ["bank_find_account bank_deposit", "bank_withdraw bank_get_balance bank_convert"]
    lines = [f"s{n}: {habits[n % len(habits)]}" for n in range(80)]
    (work / "sessions.txt").write_text("\n".join(lines) + "\n")

    listed = json.loads(_steps(["plugins", "--json"], work, site).stdout)
    provides = next(row["provides"] for row in listed if row["name"] == "toybank")
    assert provides["skill world"] == ["bank"] and provides["judge"] == ["short_request"]

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        cwd=work,
        env=_env(PYTHONPATH=str(site)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr

    check = _steps(["world", "check", "bank", "--k-max", "3"], work, site)
    assert check.returncode == 0 and "ok" in check.stdout, check.stdout + check.stderr

    commands = [
        ["taxonomy", "build", "banklog:sessions.txt", "-o", "taxonomy.json", "--height", "2"],
        ["synth", "--taxonomy", "taxonomy.json", "--corpus", "banklog:sessions.txt"]
        + ["--mode", "agentic", "--world", "bank", "--selector", "unseen", "--k", "2-3"]
        + ["-n", "8", "--judges", "short_request", "--judge-opt", "short_request.max_words=120"]
        + ["--format", "qa", "-o", "samples.jsonl", "--tasks", "tasks.jsonl"],
        ["eval", "tasks.jsonl", "--agent", "teller", "--compare", "teller:second"]
        + ["-o", "report.json", "--no-progress"],
    ]
    for args in commands:
        done = _steps(args, work, site)
        assert done.returncode == 0, f"steps {' '.join(args)}: {done.stdout}{done.stderr}"

    samples = [json.loads(line) for line in (work / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 8 and all("question" in s for s in samples)  # the plugin's format
    tasks = [json.loads(line) for line in (work / "tasks.jsonl").read_text().splitlines()]
    assert {t["world"] for t in tasks} == {"bank"} and len(tasks) == 8
    in_corpus = {frozenset(h.split()) for h in habits}
    assert not any(frozenset(t["skills"]) in in_corpus for t in tasks)  # the plugin's selector
    report = json.loads((work / "report.json").read_text())
    rates = {row["agent"]: row["overall"]["pass_rate"] for row in report["agents"]}
    assert rates == {"teller": 1.0, "teller:second": 1.0}


def test_synth_flags_reach_the_config_and_bad_ones_say_which() -> None:
    from steps_agents.cli import build_parser
    from steps_agents.cli.synth import config_from_args

    argv = ["synth", "--mode", "agentic", "--world", "bank", "--mode-opt", "plan_judge=false"]
    argv += ["--judge-opt", "plan.draws=8", "--judge-opt", "short_request.style=terse"]
    config = config_from_args(build_parser(argv).parse_args(argv))
    assert config.mode_options == {"plan_judge": False, "world": "bank"}
    assert config.judge_options == {"plan": {"draws": 8}, "short_request": {"style": "terse"}}
    for bad in (["--mode-opt", "novalue"], ["--judge-opt", "draws=8"]):
        args = build_parser(["synth", *bad]).parse_args(["synth", *bad])
        with pytest.raises(StepsError, match=bad[0]):
            config_from_args(args)


def test_synth_announces_a_run_only_once_its_names_resolve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taxonomy = tmp_path / "taxonomy.json"
    corpus = tmp_path / "tags.jsonl"
    corpus.write_text("".join(f'{{"skills": ["a{n % 5}", "b{n % 3}"]}}\n' for n in range(30)))
    assert main(["taxonomy", "build", str(corpus), "-o", str(taxonomy), "--height", "2"]) == 0
    capsys.readouterr()
    out = str(tmp_path / "s.jsonl")
    assert main(["synth", "--taxonomy", str(taxonomy), "--judges", "nope", "-o", out]) == 2
    err = capsys.readouterr().err
    assert "unknown judge 'nope'" in err and "--run-id" not in err
    argv = ["synth", "--taxonomy", str(taxonomy), "--mode", "agentic", "-n", "1", "-o", out]
    main(argv)
    err = capsys.readouterr().err
    assert "warning: 8 of 8 taxonomy skills are not tools of world 'toolworld'" in err
    assert main([*argv, "--mode", "instruct", "--tasks", str(tmp_path / "t.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "synthesis mode 'instruct' writes no tasks" in err and "--run-id" not in err


def test_quickstart_runs_a_plugin_world_on_its_corpus_with_its_extractor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from steps_agents import testing

    toybank = _docs_plugin()
    monkeypatch.setitem(sys.modules, "toybank", toybank)
    log = tmp_path / "sessions.txt"
    lines = ["s1: bank_find_account bank_deposit", "s2:", "s3: bank_get_balance bank_interest"]
    log.write_text("\n".join(lines * 20) + "\n")
    argv = ["quickstart", "--world", "bank", "--corpus", f"banklog:{log}", "--per-k", "2"]
    argv += ["--k", "2", "--height", "2", "--extractor", "banklog", "-o", str(tmp_path / "q")]
    with testing.use_plugin_manager(testing.plugin_manager(toybank)):
        assert main(argv) == 2  # the record of session s2 has no skill
        err = capsys.readouterr().err
        assert f"{log}:2" in err and "--skip-empty" in err, err
        assert main([*argv, "--skip-empty"]) == 0
    lines = (tmp_path / "q" / "tasks.jsonl").read_text().splitlines()
    tasks = [json.loads(line) for line in lines]
    singles = [t for t in tasks if t["provenance"].get("selector") == "singles"]
    assert len(tasks) - len(singles) == 2 and all(t["world"] == "bank" for t in tasks)
    assert all(t["k"] == 1 for t in singles)  # the quickstart's k = 1 task per skill used


def _docs_plugin() -> Any:
    import types

    module = types.ModuleType("toybank")
    exec(compile(plugin_source(DOC.read_text()), "toybank", "exec"), module.__dict__)
    return module


def test_world_check_finds_bad_phrases_and_oracle_failures() -> None:
    from steps_agents.worlds.audit import audit_world, phrase_problems

    toybank = _docs_plugin()

    class Sloppy(toybank.BankWorld):  # type: ignore[name-defined,misc]
        def noun(self, tool: str) -> str:
            if tool == "bank_find_account":
                return "the the account of {customer}"  # a doubled word, a wrong placeholder
            return str(super().noun(tool))

        def compose(self, skills: Any, seed: int) -> Any:
            task = super().compose(skills, seed)
            if "bank_interest" not in skills:
                return task
            part = task.checker.answer[0]  # a checker that expects one cent too much
            wrong = part.model_copy(update={"value": part.value + 0.01, "tolerance": 0.0})
            checker = task.checker.model_copy(update={"answer": [wrong]})
            return task.model_copy(update={"checker": checker})

    audit = audit_world(Sloppy(), k_max=1)
    problems = {(bad["where"], bad["problem"]) for bad in audit.bad_phrases}
    assert ("bank_find_account.noun", "placeholder {customer} is not a parameter") in problems
    assert any("doubled word 'the the'" in problem for _, problem in problems)
    assert [f["skills"] for f in audit.oracle_failures] == [["bank_interest"]]
    assert "bank_interest" in audit.unused_tools  # its only task failed
    assert not audit.ok
    assert phrase_problems("Deposit 20 into the account of None.") == ["empty value 'None'"]
    assert phrase_problems("find {owner} now", ["owner"]) == []


def test_testing_plugin_manager_with_named_builtins_and_the_offline_model() -> None:
    from steps_agents import testing
    from steps_agents.registry import available

    toybank = _docs_plugin()
    pm = testing.plugin_manager(toybank, builtins=["agentic_mode"])
    assert available("skill world", pm) == ["bank"]  # toolworld's plugin is not loaded
    assert set(available("synthesis mode", pm)) == {"bank_faq", "agentic"}
    with pytest.raises(StepsError, match="no built-in plugin 'steps_agents.plugins.nope'"):
        testing.plugin_manager(builtins=["nope"])
    assert testing.offline_model().invoke("same words back").content == "same words back"
