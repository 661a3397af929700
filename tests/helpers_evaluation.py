"""Shared pieces for the evaluation tests: a tiny arithmetic world, its tasks, a policy chat model.

The world ``calc`` has six tools (add, mul, neg, put, get, concat); tasks are built by hand with
an oracle plan and a checker so the tests do not depend on the built-in toolworld.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

import steps_agents
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.worlds import (
    AnswerPart,
    Checker,
    OracleStep,
    StateCheck,
    Task,
    ToolError,
    ToolSpec,
    run_oracle,
)


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props)}


NUM = {"type": "number"}
STR = {"type": "string"}


class CalcWorld:
    name = "calc"
    version = "1"

    def tool_specs(self) -> Sequence[ToolSpec]:
        def spec(name: str, params: dict[str, Any], *, mutates: bool = False) -> ToolSpec:
            return ToolSpec(
                name=name,
                domain="calc",
                description=f"calc {name}",
                parameters=params,
                returns="number",
                mutates=mutates,
            )

        return [
            spec("add", _obj(a=NUM, b=NUM)),
            spec("mul", _obj(a=NUM, b=NUM)),
            spec("neg", _obj(x=NUM)),
            spec("put", _obj(key=STR, value=NUM), mutates=True),
            spec("get", _obj(key=STR)),
            spec("concat", _obj(a=STR, b=STR)),
        ]

    def new_state(self, seed: int) -> dict[str, Any]:
        return {"kv": {}}

    def execute(self, state: dict[str, Any], tool: str, args: Mapping[str, Any]) -> Any:
        if tool == "add":
            return args["a"] + args["b"]
        if tool == "mul":
            return args["a"] * args["b"]
        if tool == "neg":
            return -args["x"]
        if tool == "put":
            state["kv"][args["key"]] = args["value"]
            return "ok"
        if tool == "get":
            if args["key"] not in state["kv"]:
                raise ToolError(f"no key {args['key']!r}")
            return state["kv"][args["key"]]
        if tool == "concat":
            return str(args["a"]) + str(args["b"])
        raise ToolError(f"unknown tool {tool!r}")

    def compose(self, skills: Sequence[str], seed: int) -> Task | None:
        return None


class CalcPlugin:
    @steps_agents.hookimpl
    def register_skill_worlds(self, register: Any) -> None:
        register(CalcWorld(), name="calc")


def plugin_manager(*extra: object) -> Any:
    return get_plugin_manager(load_entrypoints=False, extra_plugins=(CalcPlugin(), *extra))


_SPECS = {s.name: s for s in CalcWorld().tool_specs()}


def make_task(
    task_id: str,
    steps: list[tuple[str, dict[str, Any]]],
    answer: Any,
    *,
    instruction: str,
    state: list[tuple[list[str | int], Any]] | None = None,
    answer_step: str | None = None,
) -> Task:
    oracle = [OracleStep(id=f"s{i + 1}", tool=t, args=a) for i, (t, a) in enumerate(steps)]
    skills = list(dict.fromkeys(t for t, _ in steps))
    parts = [AnswerPart(key="answer", value=answer, rule="numeric", step=answer_step)]
    checker = Checker(
        answer=parts if answer is not None else [],
        state=[StateCheck(path=p, expected=v) for p, v in (state or [])],
    )
    return Task(
        id=task_id,
        k=len(skills),
        skills=skills,
        world="calc",
        world_version="1",
        seed=0,
        initial_state={"kv": {}},
        instruction=instruction,
        tools=[_SPECS[s] for s in skills],
        oracle=oracle,
        checker=checker,
    )


def ref(step: str) -> dict[str, str]:
    return {"$ref": step}


def calc_tasks() -> list[Task]:
    return [
        make_task("t1", [("add", {"a": 2, "b": 3})], 5, instruction="Add 2 and 3."),
        make_task(
            "t2",
            [("add", {"a": 2, "b": 3}), ("mul", {"a": ref("s1"), "b": 7})],
            35,
            instruction="Add 2 and 3, then multiply the sum by 7.",
        ),
        make_task(
            "t3",
            [
                ("add", {"a": 4, "b": 5}),
                ("mul", {"a": ref("s1"), "b": 3}),
                ("put", {"key": "total", "value": ref("s2")}),
            ],
            27,
            answer_step="s2",
            instruction="Add 4 and 5, multiply by 3, store it under 'total', report it.",
            state=[(["kv", "total"], 27)],
        ),
        make_task(
            "t4",
            [("put", {"key": "a", "value": 11.5}), ("get", {"key": "a"})],
            11.5,
            instruction="Store 11.5 under 'a', then read 'a' back.",
            state=[(["kv", "a"], 11.5)],
        ),
        make_task(
            "t5",
            [
                ("add", {"a": 10, "b": 32}),
                ("neg", {"x": ref("s1")}),
                ("mul", {"a": ref("s2"), "b": 2}),
            ],
            -84,
            instruction="Add 10 and 32, negate it, double it.",
        ),
    ]


def write_tasks_file(path: Path, tasks: Sequence[Task]) -> Path:
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# A policy chat model: the reply depends on the instruction and on how many turns came before
# ---------------------------------------------------------------------------------------------

Policy = Callable[[list[BaseMessage]], AIMessage]


class PolicyChatModel(BaseChatModel):
    """A tool-calling fake: ``policy(messages) -> AIMessage``; ``bind_tools`` binds OpenAI tools."""

    policy: Any
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "policy-fake"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls += 1
        return ChatResult(generations=[ChatGeneration(message=self.policy(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, None, **kwargs)


def instruction_of(messages: Sequence[BaseMessage]) -> str:
    return next(str(m.content) for m in messages if isinstance(m, HumanMessage))


def turn_of(messages: Sequence[BaseMessage]) -> int:
    return sum(1 for m in messages if isinstance(m, AIMessage))


def replay_policy(
    tasks: Sequence[Task], *, skip: str | None = None, skip_last: bool = False, world: Any = None
) -> Policy:
    """Make the oracle's calls (one per turn) then answer what the oracle answers. With ``skip``
    (a tool name) or ``skip_last`` (the tool of each task's last oracle step), leave out that
    tool's calls and answer the last tool result seen instead."""
    world = world or CalcWorld()
    plans: dict[str, tuple[list[tuple[str, dict[str, Any]]], Any]] = {}
    for task in tasks:
        answer, _, trace = run_oracle(world, task)
        left_out = task.oracle[-1].tool if skip_last else skip
        calls = [(t.tool, dict(t.args)) for t in trace if t.tool != left_out]
        plans[task.instruction] = (calls, answer)
    skipping = skip is not None or skip_last

    def policy(messages: list[BaseMessage]) -> AIMessage:
        calls, answer = plans[instruction_of(messages)]
        turn = turn_of(messages)
        if turn < len(calls):
            tool, args = calls[turn]
            return AIMessage(
                content="", tool_calls=[{"name": tool, "args": args, "id": f"c{turn}"}]
            )
        if skipping:
            seen = [m for m in messages if isinstance(m, ToolMessage)]
            return AIMessage(content=str(seen[-1].content) if seen else "I do not know")
        return AIMessage(content=json.dumps(answer))

    return policy


def looping_policy(messages: list[BaseMessage]) -> AIMessage:
    """Never stops calling tools."""
    turn = turn_of(messages)
    return AIMessage(
        content="", tool_calls=[{"name": "add", "args": {"a": turn, "b": 1}, "id": f"c{turn}"}]
    )


# A module-level model for the ``model:helpers_evaluation:REPLAY_MODEL`` spec (module:attribute).
REPLAY_MODEL = PolicyChatModel(policy=replay_policy(calc_tasks()))


def judge_policy(messages: list[BaseMessage]) -> AIMessage:
    """A judge that gives 9 when the candidate equals the reference, else 2."""
    text = instruction_of(messages)
    candidate = text.split("<candidate>")[1].split("</candidate>")[0].strip()
    reference = text.split("<reference>")[1].split("</reference>")[0].strip()
    score = 9 if candidate == reference else 2
    return AIMessage(content=json.dumps({"score": score, "reason": "compared with the reference"}))


JUDGE_MODEL = PolicyChatModel(policy=judge_policy)


def skillbench_file(path: Path) -> Path:
    rows = [
        {
            "id": "sb1",
            "label": {"ability": ["csv parsing", "arithmetic"]},
            "content": [
                {"role": "user", "content": "Sum column b of a,b\\n1,2\\n3,4"},
                {"role": "assistant", "content": "6"},
            ],
        },
        {"id": "sb2", "label": {"ability": ["regex"]}, "content": ["Find digits in a1b2", "1, 2"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def toolworld_tasks(per_k: Mapping[int, int], *, seed: int = 0, pm: Any = None) -> list[Task]:
    """Tasks composed by the built-in ``toolworld`` for random skill sets (``per_k[k]`` of each k)."""
    import random

    from steps_agents.registry import get_skill_world
    from steps_agents.worlds import try_compose

    world = get_skill_world("toolworld", pm)
    names = sorted(s.name for s in world.tool_specs())
    rng = random.Random(seed)
    out: list[Task] = []
    for k, n in sorted(per_k.items()):
        made, attempt = 0, 0
        while made < n:
            attempt += 1
            if attempt > 200 * n:
                raise RuntimeError(f"toolworld composed only {made} of {n} tasks with k={k}")
            task, _ = try_compose(world, rng.sample(names, k), rng.randrange(1 << 30))
            if task is not None and task.id not in {t.id for t in out}:
                out.append(task)
                made += 1
    return out
