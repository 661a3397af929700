"""``steps plugins new NAME``: an installable plugin package whose every chosen hook already works.

Writes ``NAME/pyproject.toml`` (the ``steps_agents`` entry point), ``NAME/src/MODULE/__init__.py``
with one small working implementation per chosen hook, ``NAME/tests/test_MODULE.py`` (a test
per hook, through :mod:`steps_agents.testing`, so it passes before you change anything, and one
through the ``steps_cli`` fixture), ``NAME/tests/conftest.py`` (the fixtures of
:mod:`steps_agents.testing.fixtures` with this plugin) and a README pointing at
``docs/plugins.md``. ``MODULE`` is ``NAME`` with ``-`` turned into ``_``;
components are registered as ``MODULE_...`` so they never clash with the built-ins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from steps_agents.errors import InputError
from steps_agents.fileformats import STEPS_AGENTS_VERSION

__all__ = ["HOOKS", "write_plugin_package"]

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,40}")

# hook -> (source of the implementation, source of its test). "mod" is replaced by the module
# name everywhere (word boundaries only), so the text stays valid Python to read here.
HOOKS: dict[str, tuple[str, str]] = {
    "open_corpus_source": (
        '''
@steps_agents.hookimpl
def open_corpus_source(source: str, options: Mapping[str, Any]) -> Any:
    """``mod:FILE``: one record per line, its skills separated by spaces."""
    if not source.startswith("mod:"):
        return None  # not ours: the next plugin tries
    path = Path(source.removeprefix("mod:"))
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return _read_lines(path)


def _read_lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, start=1):
            if line.strip():
                yield f"{path}:{n}", {"mod_skills": line.split()}
''',
        """
def test_open_corpus_source(tmp_path: Path) -> None:
    from steps_agents.corpus.sources import open_corpus

    (tmp_path / "c.txt").write_text("a b\\nb c\\n", encoding="utf-8")
    pm = testing.plugin_manager(mod)
    records = [r for _, r in open_corpus(f"mod:{tmp_path / 'c.txt'}", pm=pm)]
    assert records == [{"mod_skills": ["a", "b"]}, {"mod_skills": ["b", "c"]}]
""",
    ),
    "register_skill_extractors": (
        '''
class ModExtractor:
    """Skills listed under ``mod_skills``."""

    name = "mod_skills"
    auto_priority = 15

    def __init__(self, options: Any) -> None:
        self.options = options

    @staticmethod
    def claims(record: Mapping[str, Any]) -> bool:
        return isinstance(record.get("mod_skills"), list)

    def extract_batch(self, records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
        return [[str(s) for s in record.get("mod_skills", [])] for record in records]


@steps_agents.hookimpl
def register_skill_extractors(register: Any) -> None:
    register(ModExtractor, name="mod_skills")
''',
        """
def test_extractor() -> None:
    from steps_agents.registry import get_extractor

    extractor = get_extractor("mod_skills", testing.plugin_manager(mod))(None)
    assert extractor.extract_batch([{"mod_skills": ["a", "b"]}]) == [["a", "b"]]
""",
    ),
    "register_selectors": (
        '''
class ModSelector:
    """The first unused combinations of each k, skills in taxonomy order."""

    name = "mod_first"

    def select(self, taxonomy: Any, request: Any) -> list[Any]:
        from steps_agents.selection.api import make_combination

        taken, out = set(request.exclude), []
        for k in request.k_plan:
            combo = next(
                (c for c in itertools.combinations(taxonomy.skills, k) if frozenset(c) not in taken),
                None,
            )
            if combo is None:
                raise InputError(f"selector mod_first: no unused {k}-skill combination left")
            taken.add(frozenset(combo))
            out.append(make_combination(taxonomy, combo, selector=self.name, seed_skill=combo[0]))
        return out


@steps_agents.hookimpl
def register_selectors(register: Any) -> None:
    register(ModSelector(), name="mod_first")
''',
        """
def test_selector() -> None:
    from steps_agents.corpus.cooccurrence import build_skill_graph, count_cooccurrence
    from steps_agents.registry import get_selector
    from steps_agents.selection.api import SelectionRequest
    from steps_agents.taxonomy.builder import build_taxonomy

    sets = [["a", "b"], ["b", "c"], ["a", "c"], ["c", "d"]] * 3
    taxonomy = build_taxonomy(build_skill_graph(count_cooccurrence(sets)), height=2)
    selector = get_selector("mod_first", testing.plugin_manager(mod))
    combos = selector.select(taxonomy, SelectionRequest(n=2, k_plan=(2, 2)))
    assert [c.k for c in combos] == [2, 2] and combos[0].skills != combos[1].skills
""",
    ),
    "register_judges": (
        '''
class ModJudge:
    """Passes a draft whose user message is not empty (``min_chars`` option, default 1)."""

    name = "mod_nonempty"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.min_chars = int(options.get("min_chars", 1))

    async def judge(self, sample: Any, ctx: Any) -> Any:
        from steps_agents.records import Verdict

        users = sample.texts("user")
        if not users:
            return None  # abstain
        ok = len(users[0].strip()) >= self.min_chars
        return Verdict(judge=self.name, passed=ok, reason="long enough" if ok else "too short")


@steps_agents.hookimpl
def register_judges(register: Any) -> None:
    register(ModJudge, name="mod_nonempty")
''',
        """
def test_judge() -> None:
    from steps_agents.registry import get_judge

    judge = get_judge("mod_nonempty", testing.plugin_manager(mod))({})
    assert testing.run_judge(judge, testing.judge_input("Add 2 and 3.")).passed is True
""",
    ),
    "register_output_formats": (
        """
def render_mod(sample: Any) -> dict[str, Any]:
    text = "\\n".join(f"{m['role']}: {m.get('content', '')}" for m in sample.messages)
    return {"id": sample.id, "text": text, "metadata": sample.provenance.model_dump(mode="json")}


@steps_agents.hookimpl
def register_output_formats(register: Any) -> None:
    register(render_mod, name="mod_text")
""",
        """
def test_output_format() -> None:
    from steps_agents.registry import get_output_format

    assert callable(get_output_format("mod_text", testing.plugin_manager(mod)))
""",
    ),
    "register_synthesis_modes": (
        '''
class ModMode:
    """One templated question per combination; no model needed."""

    name = "mod_template"
    needs_model = False

    def compose(self, combination: Any, ctx: Any) -> Any:
        from steps_agents.synthesis.modes import WorkItem, item_id

        return WorkItem(
            id=item_id(self.name, combination.skills), mode=self.name, combination=combination
        )

    async def generate(self, item: Any, ctx: Any, feedback: Sequence[str]) -> dict[str, Any]:
        return {"question": f"Use {', '.join(item.skills)} together.", "answer": "Done."}

    def check(self, item: Any, draft: Mapping[str, Any], ctx: Any) -> list[Any]:
        from steps_agents.records import Verdict

        return [Verdict(judge=self.name, passed=bool(draft.get("question")), reason="template")]

    def to_messages(self, item: Any, draft: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [
            {"role": "user", "content": draft["question"]},
            {"role": "assistant", "content": draft["answer"]},
        ]


@steps_agents.hookimpl
def register_synthesis_modes(register: Any) -> None:
    register(ModMode(), name="mod_template")
''',
        """
def test_synthesis_mode() -> None:
    import asyncio

    from steps_agents.records import Combination
    from steps_agents.registry import get_synthesis_mode
    from steps_agents.synthesis.modes import ModeContext

    mode = get_synthesis_mode("mod_template", testing.plugin_manager(mod))
    ctx = ModeContext()
    item = mode.compose(Combination(skills=("a", "b"), k=2, gain=0.0, selector="t"), ctx)
    draft = asyncio.run(mode.generate(item, ctx, []))
    assert all(v.passed for v in mode.check(item, draft, ctx))
    assert mode.to_messages(item, draft)[0]["role"] == "user"
""",
    ),
    "resolve_chat_model": (
        '''
@steps_agents.hookimpl
def resolve_chat_model(spec: str, options: Mapping[str, Any]) -> Any:
    """``mod:TEXT``: an offline chat model that always answers TEXT."""
    if not spec.startswith("mod:"):
        return None
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    return FakeListChatModel(responses=[spec.removeprefix("mod:") or "ok"])
''',
        """
def test_chat_model() -> None:
    pm = testing.plugin_manager(mod)
    model = pm.hook.resolve_chat_model(spec="mod:hello", options={})
    assert model.invoke("hi").content == "hello"
""",
    ),
    "register_skill_worlds": (
        '''
class ModWorld:
    """A counter: ``mod_add`` adds to it, ``mod_double`` doubles a number. Grow it from here
    (docs/plugins.md, "Writing a skill world")."""

    name = "mod"
    version = "1"

    def tool_specs(self) -> Sequence[Any]:
        from steps_agents.worlds import ToolSpec

        number = {"type": "object", "additionalProperties": False}
        return [
            ToolSpec(
                name="mod_add",
                domain="mod",
                description="Add an amount to the counter; returns the new value.",
                parameters={**number, "properties": {"amount": {"type": "number"}}, "required": ["amount"]},
                ports={"amount": "number"},
                returns="number",
                mutates=True,
            ),
            ToolSpec(
                name="mod_double",
                domain="mod",
                description="Twice a number.",
                parameters={**number, "properties": {"value": {"type": "number"}}, "required": ["value"]},
                ports={"value": "number"},
                returns="number",
            ),
        ]

    def new_state(self, seed: int) -> dict[str, Any]:
        return {"counter": random.Random(seed).randint(1, 50)}

    def execute(self, state: dict[str, Any], tool: str, args: Mapping[str, Any]) -> Any:
        from steps_agents.worlds import ToolError, validate_args

        specs = {spec.name: spec for spec in self.tool_specs()}
        if tool not in specs:
            raise ToolError(f"unknown tool {tool!r}")
        validate_args(specs[tool], args)
        if tool == "mod_add":
            state["counter"] += args["amount"]
            return state["counter"]
        return args["value"] * 2

    def compose(self, skills: Sequence[str], seed: int) -> Any:
        from steps_agents.worlds.compose import compose_task

        return compose_task(self, skills, seed)

    def sample_arg(self, tool: str, param: str, state: Any, rng: Any, args: Any) -> Any:
        return rng.randint(2, 9) + state["counter"] % 7

    def phrase(self, tool: str) -> str:
        return {"mod_add": "add {amount} to the counter", "mod_double": "double {value}"}[tool]

    def answer_rule(self, tool: str) -> str | None:
        return "numeric"


@steps_agents.hookimpl
def register_skill_worlds(register: Any) -> None:
    register(ModWorld(), name="mod")
''',
        """
def test_world() -> None:
    from steps_agents.worlds import check, run_oracle
    from steps_agents.worlds.audit import audit_world

    task = testing.compose_any(mod.ModWorld(), k=2)
    answer, state, _ = run_oracle(mod.ModWorld(), task)
    assert check(task, answer, state).passed
    assert not audit_world(mod.ModWorld(), k_max=2).oracle_failures
""",
    ),
    "register_agents": (
        '''
class ModAgent:
    """A reference agent replaying the task's plan; replace ``arun`` with your agent."""

    reference = True  # reads the task record (plan, checker); an agent under test does not

    def __init__(self, name: str = "mod_replay") -> None:
        self.name = name

    async def arun(self, episode: Any) -> Any:
        from steps_agents.evaluation.agents import AgentOutput
        from steps_agents.worlds import oracle_answer, resolve_refs

        results: dict[str, Any] = {}
        for step in episode.task.oracle:
            results[step.id] = episode.call(step.tool, resolve_refs(step.args, results))
        return AgentOutput(answer=oracle_answer(episode.task, results))


@steps_agents.hookimpl
def register_agents(register: Any) -> None:
    register(lambda options: ModAgent(), name="mod_replay")
''',
        """
def test_agent() -> None:
    from steps_agents.registry import get_agent

    pm = testing.plugin_manager(mod)
    agent = get_agent("mod_replay", pm)(None)
    task = testing.compose_any("toolworld", k=2, pm=pm)
    output, outcome = testing.run_agent(agent, task, "toolworld", pm=pm)
    assert outcome.passed, outcome.reason
""",
    ),
    "resolve_agent": (
        '''
@steps_agents.hookimpl
def resolve_agent(spec: str, options: Any) -> Any:
    """``mod:NAME`` -> the replay agent named so (``register_agents``' class)."""
    if not spec.startswith("mod:"):
        return None
    return ModAgent(name=spec)
''',
        """
def test_resolve_agent() -> None:
    from steps_agents.evaluation.agents import AgentOptions, resolve_agent

    pm = testing.plugin_manager(mod)
    assert resolve_agent("mod:mine", AgentOptions(pm=pm)).name == "mod:mine"
""",
    ),
}
# resolve_agent's skeleton returns the replay agent of register_agents' skeleton.
_NEEDS = {"resolve_agent": "register_agents"}

_HEADER = '''"""MODULE: a steps-agents plugin (docs/plugins.md is the reference for every hook)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import steps_agents
from steps_agents.errors import InputError  # the skeletons use these; drop what you delete
'''

_TEST_HEADER = '''"""Each hook of MODULE through a fresh plugin manager (steps_agents.testing)."""

from __future__ import annotations

from pathlib import Path

import MODULE

from steps_agents import testing
'''

_CONFTEST = '''"""steps_agents.testing's fixtures, with MODULE as the plugin under test."""

import pytest

pytest_plugins = ["steps_agents.testing.fixtures"]


@pytest.fixture
def steps_plugins():
    import MODULE

    return [MODULE]
'''

_CLI_TEST = """

def test_steps_lists_the_plugin(steps_cli, capsys) -> None:
    assert steps_cli("plugins") == 0
    assert "MODULE" in capsys.readouterr().out
"""

_PYPROJECT = """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "NAME"
version = "0.1.0"
description = "A steps-agents plugin"
requires-python = ">=3.11"
dependencies = ["steps-agents>=VERSION"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points.steps_agents]
MODULE = "MODULE"

[tool.setuptools.packages.find]
where = ["src"]
"""

_README = """# NAME

A steps-agents plugin with HOOKS.

    pip install -e '.[test]' && pytest
    steps plugins          # lists MODULE and what it registers

Each hook's contract, the records it receives and a full example are in steps-agents'
docs/plugins.md.
"""


def _named(text: str, module: str) -> str:
    """The skeleton text for ``module``: ``mod``/``mod_x`` -> ``module``/``module_x`` and the
    class prefix ``Mod`` -> the module in CamelCase."""
    camel = "".join(part.capitalize() for part in module.split("_"))
    text = re.sub(r"\bmod(?=_|\b)", module, text)
    return re.sub(r"\bMod(?=[A-Z])", camel, text)


def resolve_hooks(spec: str | None) -> list[str]:
    """``all``, a comma-separated list of hook names, or ``None`` (``register_skill_worlds``)."""
    if not spec:
        return ["register_skill_worlds"]
    if spec.strip() == "all":
        return list(HOOKS)
    hooks = [h.strip() for h in spec.split(",") if h.strip()]
    unknown = [h for h in hooks if h not in HOOKS]
    if unknown:
        raise InputError(f"--hooks: no hook {unknown[0]!r}; hooks are all or {', '.join(HOOKS)}")
    for hook, needed in _NEEDS.items():
        if hook in hooks and needed not in hooks:
            hooks.append(needed)
    return [h for h in HOOKS if h in hooks]


def write_plugin_package(
    destination: str | Path, name: str, hooks: Sequence[str], *, overwrite: bool = False
) -> list[Path]:
    """Write the package for plugin ``name`` under ``destination``; return the files written."""
    if not _NAME.fullmatch(name):
        raise InputError(
            f"plugin name {name!r}: use lower-case letters, digits, '-' or '_', starting with a letter"
        )
    root = Path(destination)
    if root.exists() and any(root.iterdir()) and not overwrite:
        raise InputError(f"{root} exists and is not empty; choose another -o or remove it")
    module = name.replace("-", "_")
    body = "".join(_named(HOOKS[h][0], module) for h in hooks)
    tests = "".join("\n" + _named(HOOKS[h][1], module) for h in hooks)
    substitutions = {
        "NAME": name,
        "MODULE": module,
        "VERSION": STEPS_AGENTS_VERSION,
        "HOOKS": ", ".join(hooks),
    }

    def fill(text: str) -> str:
        for key, value in substitutions.items():
            text = text.replace(key, value)
        return text

    files = {
        root / "pyproject.toml": fill(_PYPROJECT),
        root / "README.md": fill(_README),
        root / "src" / module / "__init__.py": fill(_HEADER) + body,
        root / "tests" / f"test_{module}.py": fill(_TEST_HEADER) + tests + fill(_CLI_TEST),
        root / "tests" / "conftest.py": fill(_CONFTEST),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
