"""Goal instructions (steps_agents.worlds.goals), the keyword reference agent and the recipe/goal
comparison of the quickstart (steps_agents.graphs.instruction_styles)."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Any

import pytest
from steps_agents.graphs.instruction_styles import (
    difficulty_table,
    plan_rejections,
    recipe_tasks,
    style_table,
)
from steps_agents.plugins.keyword_agent import KeywordAgent, _clauses
from steps_agents.plugins.toolworld import CORPUS_PATH
from steps_agents.plugins.toolworld_impl import ToolWorld

from steps_agents.evaluation.agents import AgentInput
from steps_agents.plugin_manager import get_plugin_manager
from steps_agents.registry import get_agent
from steps_agents.worlds import Task, TaskSession, check, run_oracle, try_compose
from steps_agents.worlds.compose import instruction_for
from steps_agents.worlds.goals import REPLIES, goal_leaks
from steps_agents.worlds.instructions import missing_required_values

WORLD = ToolWorld()
PM = get_plugin_manager(load_entrypoints=False)


def compose(*skills: str, seed: int = 0) -> Task:
    task, reason = try_compose(WORLD, list(skills), seed)
    assert task is not None, reason
    return task


def keyword_passes(task: Task, instruction: str) -> bool:
    session = TaskSession(WORLD, task)
    episode = AgentInput(
        task_id=task.id,
        instruction=instruction,
        tools=task.tools,
        call=session.call,
        task=task,
        world=WORLD,
    )
    out = asyncio.run(KeywordAgent().arun(episode))
    return session.check(out.answer).passed


def test_goal_describes_the_answer_top_down_with_only_the_leaves() -> None:
    task = compose("inbox_read", "text_extract_dates", "dates_weekday")
    # opening the email goes without saying: its body is what the question is about
    assert "open" not in task.instruction.casefold()
    assert task.checker.state  # ... and the checker still wants it marked read
    assert "the weekday of the first date mentioned in the body of the email" in task.instruction
    last = task.instruction.rsplit("?", 1)[-1].strip()  # the answer's form, in one of REPLIES
    assert last in {r.format(form="the weekday") for r in REPLIES}
    assert goal_leaks(task) == [] and missing_required_values(task) == []
    assert task.checker.answer[0].key == "weekday"


def test_goal_and_recipe_share_plan_and_checker_but_not_words() -> None:
    task = compose("fs_read_file", "text_extract_dates", "dates_weekday")
    recipe = instruction_for(WORLD, task, "recipe")
    assert "step 2" in recipe and re.search(r"^1\. ", recipe, re.M)
    assert goal_leaks(task, recipe)  # a recipe numbers its steps
    assert goal_leaks(task) == []
    assert recipe_tasks([task], WORLD)[0].checker == task.checker
    with pytest.raises(ValueError, match="instruction style"):
        instruction_for(WORLD, task, "poem")


def test_goal_leaks_names_tools_steps_and_intermediate_values() -> None:
    task = compose("inbox_read", "text_extract_dates", "dates_weekday")
    date = task.oracle[1].result[0]
    leaks = goal_leaks(task, f"Use inbox_read, then in step 2 find the weekday of {date}.")
    assert any("inbox_read" in x for x in leaks)
    assert "numbers a step" in leaks
    assert any(date in x for x in leaks)


def test_state_changes_come_first_when_the_answer_allows() -> None:
    task = compose("orders_create", "orders_total")
    assert task.instruction.startswith("Order ")
    assert "total value of that order" in task.instruction  # the order just placed


def test_keyword_agent_is_registered_and_reads_recipes_not_goals() -> None:
    assert get_agent("keyword", PM) is not None
    task = compose("inbox_read", "text_extract_dates", "dates_weekday")
    assert keyword_passes(task, instruction_for(WORLD, task, "recipe"))
    assert not keyword_passes(task, task.instruction)


def test_keyword_clauses_keep_literals_and_step_references() -> None:
    text = '1. Find the lines containing "a" in \n"""\nx\ny\n""".\n2. Count the words in step 1.'
    first, second = _clauses(text)
    assert first.number == 1 and first.items == [
        ("literal", "containing", "a"),
        ("literal", "in", "x\ny"),
    ]
    assert second.number == 2 and second.steps == [1] and "word" in second.words


class _Row:
    def __init__(self, k: int, passed: int, n: int) -> None:
        self.k, self.passed, self.n = k, passed, n


class _Summary:
    def __init__(self, agent: str, rows: list[tuple[int, int, int]]) -> None:
        self.agent, self.per_k = agent, [_Row(*r) for r in rows]


class _Report:
    def __init__(self, *agents: _Summary) -> None:
        self.agents = list(agents)


def test_style_table_puts_goal_and_recipe_side_by_side() -> None:
    goal = _Report(
        _Summary("oracle", [(1, 2, 2), (3, 4, 4)]), _Summary("keyword", [(1, 2, 2), (3, 1, 4)])
    )
    recipe = _Report(_Summary("keyword", [(1, 2, 2), (3, 4, 4)]))
    table = style_table(goal, recipe)
    assert "| k | n | oracle | keyword (goal) | keyword (recipe) |" in table
    assert "| 3 | 4 | 100.0% | 25.0% | 100.0% |" in table
    assert "4/4 on recipe instructions, 1/4 on goal instructions" in table and "4.0x" in table


def test_plan_rejections_are_summed_over_tasks() -> None:
    tasks = [compose("fs_read_file", "text_word_count", seed=s) for s in range(3)]
    total = plan_rejections(tasks)
    assert sum(total.values()) == sum(sum(t.provenance["plan_rejections"].values()) for t in tasks)


def test_difficulty_table_has_one_row_per_k() -> None:
    tasks = [compose("fs_read_file", "text_word_count"), compose("dates_weekday")]
    table = difficulty_table(tasks)
    assert table.splitlines()[0].startswith("| k | n | depth | fan in | state changes |")
    assert "| 1 | 1 | 1.0 | 0.0 |" in table and "| 2 | 1 | 2.0 | 1.0 |" in table
    assert table.endswith("| goal |")


def _quickstart_style(per_k: int) -> dict[int, list[Task]]:
    """``per_k`` tasks for each k = 1..7 from the combinations the ``steps`` selector picks on
    the bundled corpus's taxonomy (what the quickstart composes), each combination reused
    with further seeds when it composes."""
    from steps_agents.corpus.cooccurrence import build_skill_graph, count_corpus
    from steps_agents.selection.api import select_combinations
    from steps_agents.taxonomy.builder import build_taxonomy

    counts = count_corpus(str(CORPUS_PATH), "tool_calls", progress=False, pm=PM)
    graph = build_skill_graph(counts, weighting="steps", source=str(CORPUS_PATH))
    taxonomy = build_taxonomy(graph, height=3, seed=0, params={"extractor": "tool_calls"})
    made: dict[int, list[Task]] = defaultdict(list)
    for k in range(1, 8):
        combos = select_combinations(taxonomy, n=60 if k < 7 else 120, k=[k], seed=0, pm=PM)
        failed: set[Any] = set()
        for seed in range(12):
            for combo in combos:
                if len(made[k]) >= per_k or combo.skills in failed:
                    continue
                task, _ = try_compose(WORLD, list(combo.skills), seed)
                if task is None:
                    failed.add(combo.skills)
                else:
                    made[k].append(task)
    return made


@pytest.mark.slow
def test_700_quickstart_style_goal_tasks_leak_nothing_and_beat_keyword_matching() -> None:
    made = _quickstart_style(100)
    # above ComposeOptions.fallback_max_k a glued plan is refused, so k = 6, 7 compose fewer
    assert {k: len(made[k]) for k in range(1, 6)} == {k: 100 for k in range(1, 6)}
    assert all(len(made[k]) >= 10 for k in (6, 7)), {k: len(ts) for k, ts in made.items()}
    passed: dict[str, list[int]] = {"goal": [0, 0], "recipe": [0, 0]}
    for k, tasks in made.items():
        for task in tasks:
            assert goal_leaks(task) == [], (task.id, task.instruction)
            assert missing_required_values(task) == [], task.id
            answer, state, _ = run_oracle(WORLD, task)
            assert check(task, answer, state).passed, task.id
            if k >= 3:
                for style in ("goal", "recipe"):
                    text = (
                        task.instruction
                        if style == "goal"
                        else instruction_for(WORLD, task, "recipe")
                    )
                    passed[style][0] += keyword_passes(task, text)
                    passed[style][1] += 1
    goal, recipe = (p[0] / p[1] for p in (passed["goal"], passed["recipe"]))
    assert recipe >= 3 * goal and recipe > 0.3, passed
