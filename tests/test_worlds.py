"""The skill-world protocol: sessions, oracle, checker, sandbox, task files (a tiny test world)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import steps_agents
from steps_agents.errors import InputError
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.worlds import (
    AnswerPart,
    Checker,
    CheckOutcome,
    OracleStep,
    SkillWorld,
    StateCheck,
    Task,
    TaskSession,
    ToolError,
    ToolSpec,
    TypeRules,
    check,
    compare,
    is_sandboxed,
    load_tasks,
    resolve_refs,
    run_oracle,
    to_skillbench,
    try_compose,
    validate_args,
    write_tasks,
)


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props)}


class CounterWorld:
    """Two honest tools and four that try to leave the process."""

    name = "counter"
    version = "0"

    def tool_specs(self) -> Sequence[ToolSpec]:
        num = {"type": "number"}
        return [
            ToolSpec(
                name="add",
                domain="math",
                description="add to the counter",
                parameters=_obj(amount=num),
                ports={"amount": "number"},
                returns="number",
                mutates=True,
            ),
            ToolSpec(
                name="double",
                domain="math",
                description="double x",
                parameters=_obj(x=num),
                ports={"x": "number"},
                returns="number",
            ),
            ToolSpec(
                name="read_disk",
                domain="evil",
                description="reads /etc/hostname",
                parameters=_obj(),
            ),
            ToolSpec(name="os_open", domain="evil", description="os.open", parameters=_obj()),
            ToolSpec(name="net", domain="evil", description="opens a socket", parameters=_obj()),
            ToolSpec(
                name="shell", domain="evil", description="runs a subprocess", parameters=_obj()
            ),
        ]

    def new_state(self, seed: int) -> dict[str, Any]:
        return {"counter": seed}

    def execute(self, state: dict[str, Any], tool: str, args: Mapping[str, Any]) -> Any:
        if tool == "add":
            state["counter"] += args["amount"]
            return state["counter"]
        if tool == "double":
            return 2 * args["x"]
        if tool == "read_disk":
            with open("/etc/hostname") as handle:
                return handle.read()
        if tool == "os_open":
            return os.open("/etc/hostname", os.O_RDONLY)
        if tool == "net":
            return socket.socket().fileno()
        if tool == "shell":
            return subprocess.run(["true"], check=False).returncode
        raise ToolError(f"unknown tool {tool!r}")

    def compose(self, skills: Sequence[str], seed: int) -> Task | None:
        if list(skills) != ["add", "double"]:
            return None
        return make_task(self, seed)


def make_task(world: CounterWorld, seed: int = 3) -> Task:
    specs = {s.name: s for s in world.tool_specs()}
    return Task(
        id=f"counter-{seed}",
        k=2,
        skills=["add", "double"],
        world="counter",
        world_version="0",
        seed=seed,
        initial_state=world.new_state(seed),
        instruction="Add 4, then double it.",
        tools=[specs["add"], specs["double"]],
        oracle=[
            OracleStep(id="s1", tool="add", args={"amount": 4}),
            OracleStep(id="s2", tool="double", args={"x": {"$ref": "s1"}}),
        ],
        checker=Checker(
            answer=[AnswerPart(key="s2", step="s2", value=2 * (seed + 4), rule="numeric")],
            state=[StateCheck(path=["counter"], expected=seed + 4)],
        ),
    )


class Plugin:
    @steps_agents.hookimpl
    def register_skill_worlds(self, register: Any) -> None:
        register(CounterWorld(), name="counter")


@pytest.fixture
def pm() -> Any:
    return get_plugin_manager(load_entrypoints=False, extra_plugins=(Plugin(),))


def test_world_satisfies_protocol() -> None:
    assert isinstance(CounterWorld(), SkillWorld)


def test_oracle_passes_and_session_traces() -> None:
    world = CounterWorld()
    task = make_task(world)
    answer, state, trace = run_oracle(world, task)
    assert answer == 14 and state == {"counter": 7}
    assert [(t.tool, t.args, t.result) for t in trace] == [
        ("add", {"amount": 4}, 7),
        ("double", {"x": 7}, 14),
    ]
    assert check(task, answer, state).passed
    assert task.initial_state == {"counter": 3}  # the oracle never touches the task


def test_session_refuses_other_tools_and_bad_args() -> None:
    world = CounterWorld()
    session = TaskSession(world, make_task(world))
    with pytest.raises(ToolError, match="unknown tool 'read_disk'"):
        session.call("read_disk", {})
    with pytest.raises(ToolError, match="amount must be number"):
        session.call("add", {"amount": "four"})
    with pytest.raises(ToolError, match="missing required argument 'x'"):
        session.call("double", {})
    assert [e.ok for e in session.trace] == [False, False, False]
    assert session.state == {"counter": 3}


def test_checker_answer_and_state() -> None:
    world = CounterWorld()
    task = make_task(world)
    good = {"counter": 7}
    assert check(task, "The result is 14.", good).passed
    assert check(task, '{"s2": 14}', good).passed
    wrong = check(task, 15, good)
    assert not wrong.passed and wrong.reason.startswith("answer s2: expected 14, got 15")
    bad_state = check(task, 14, {"counter": 3})
    assert isinstance(bad_state, CheckOutcome) and not bad_state.passed
    assert "state counter" in bad_state.reason
    assert not check(task, 14, {}).passed


@pytest.mark.parametrize("tool", ["read_disk", "os_open", "net", "shell"])
def test_sandbox_blocks_files_sockets_subprocesses(tool: str) -> None:
    world = CounterWorld()
    spec = {s.name: s for s in world.tool_specs()}[tool]
    task = make_task(world).model_copy(update={"tools": [*make_task(world).tools, spec]})
    session = TaskSession(world, task)
    with pytest.raises(ToolError, match="sandbox: tools may not use"):
        session.call(tool, {})
    assert not is_sandboxed()
    # outside the sandbox the same operations work again
    assert Path(__file__).read_text()


def test_compare_rules() -> None:
    assert compare("Paris.", "paris", "exact")
    assert compare("42", 42, "exact") and not compare("about 42", 42, "exact")
    assert compare("total: 1,234.5 EUR", 1234.5, "numeric")
    assert not compare("12", 13, "numeric")
    assert compare("b, a", ["a", "b"], "set") and not compare(["a"], ["a", "b"], "set")
    assert compare(["x", 2], ["X", 2.0], "exact")


def test_resolve_refs_paths() -> None:
    results = {"s1": {"items": [{"sku": "A-1"}]}, "s2": 5}
    args = {"sku": {"$ref": "s1.items.0.sku"}, "values": [{"$ref": "s2"}, 1]}
    assert resolve_refs(args, results) == {"sku": "A-1", "values": [5, 1]}
    with pytest.raises(ToolError, match="no field"):
        resolve_refs({"$ref": "s1.nope"}, results)


def test_task_validation_rejects_inconsistent_records() -> None:
    world = CounterWorld()
    data = make_task(world).model_dump()
    data["oracle"][1]["args"] = {"x": {"$ref": "s9"}}
    with pytest.raises(ValueError, match="refers to 's9'"):
        Task.model_validate(data)
    data = make_task(world).model_dump()
    data["k"] = 3
    with pytest.raises(ValueError, match="k=3"):
        Task.model_validate(data)


def test_task_file_round_trip(tmp_path: Path, pm: Any) -> None:
    world = CounterWorld()
    tasks = [make_task(world, s) for s in range(3)]
    for name in ("tasks.jsonl", "tasks.jsonl.gz"):
        assert write_tasks(tmp_path / name, tasks) == 3
        assert load_tasks(tmp_path / name, pm) == tasks


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_task_file_errors_name_the_line(tmp_path: Path, pm: Any) -> None:
    good = make_task(CounterWorld()).model_dump_json()
    cases = {
        "malformed JSON": "{not json",
        "invalid task record": json.dumps({"id": "x"}),
        "unknown world 'nowhere'": good.replace('"world":"counter"', '"world":"nowhere"'),
        "unknown tool 'triple'": good.replace('"name":"double"', '"name":"triple"')
        .replace('"tool":"double"', '"tool":"triple"')
        .replace('"double"]', '"triple"]'),
    }
    for expected, bad in cases.items():
        path = _write_lines(tmp_path / "t.jsonl", [good, "", bad])
        with pytest.raises(InputError) as info:
            load_tasks(path, pm)
        message = str(info.value)
        assert message.startswith(f"{path}:3: ") and expected in message
        assert "\n" not in message
    path = _write_lines(tmp_path / "t.jsonl", [good.replace('"world":"counter"', '"world":"zz"')])
    with pytest.raises(InputError, match="available: .*counter"):
        load_tasks(path, pm)


def test_skillbench_export_and_compose() -> None:
    world = CounterWorld()
    task = make_task(world)
    record = to_skillbench(task)
    assert record["id"] == task.id and record["label"] == {"ability": ["add", "double"]}
    user, assistant = record["content"]
    assert user["role"] == "user" and task.instruction in user["content"]
    assert "Answer: 14" in assistant["content"]
    assert try_compose(world, ["add", "double"], 3)[0] == task
    assert try_compose(world, ["double"], 3) == (None, "world 'counter' cannot compose double")


def test_tool_names_follow_the_model_api_rule() -> None:
    with pytest.raises(ValueError, match="must be 1-64 letters"):
        ToolSpec(name="fs.read_file", domain="files", description="")
    assert ToolSpec(name="fs_read-file2", domain="files", description="").name == "fs_read-file2"


def test_type_rules_and_validation() -> None:
    rules = TypeRules({"path": "string"})
    assert rules.assignable("path", "text") and rules.assignable("integer", "number")
    assert rules.assignable("list[path]", "list[text]") and not rules.assignable("text", "path")
    assert rules.element_of("integer", "list[number]")
    spec = ToolSpec(
        name="t",
        domain="d",
        description="",
        parameters={
            "type": "object",
            "properties": {"n": {"type": "integer", "minimum": 1}},
            "required": ["n"],
        },
    )
    validate_args(spec, {"n": 2})
    for bad, msg in [({"n": 0}, ">= 1"), ({"n": True}, "must be integer"), ({"m": 1}, "missing")]:
        with pytest.raises(ToolError, match=msg):
            validate_args(spec, bad)


_scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 4)),
    st.text(alphabet="abcdefgh XYZ-_/.@", min_size=1, max_size=12).filter(lambda s: s.strip()),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("abcd"), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(_values)
def test_checker_accepts_the_expected_value_and_its_json(value: Any) -> None:
    assert compare(value, value, "exact")
    assert compare(json.dumps(value), value, "exact")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=6, unique=True), st.randoms())
def test_set_rule_ignores_order_but_not_membership(items: list[int], rnd: Any) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert compare(shuffled, items, "set")
    assert compare(", ".join(map(str, shuffled)), items, "set")
    if len(items) > 1:
        assert not compare(shuffled[1:], items, "set")


@settings(max_examples=40, deadline=None)
@given(st.floats(-1e5, 1e5, allow_nan=False), st.floats(0.01, 10))
def test_numeric_rule_tolerance(expected: float, offset: float) -> None:
    tol = 1e-3
    scale = max(1.0, abs(expected))
    assert compare(expected + 0.5 * tol * scale, expected, "numeric", tol)
    assert not compare(expected + (1 + offset) * tol * scale, expected, "numeric", tol)
