"""A list written into a text field (a file, an email body) passes the checker in the renderings
a user would write (review finding 4): JSON, one item per line, comma-separated."""

from __future__ import annotations

import pytest

from steps_agents.registry import get_skill_world
from steps_agents.worlds import TaskSession, try_compose
from steps_agents.worlds.checking import compare, list_renderings

STORED = 'Header line\n["/home/a.txt", "/home/b.txt"]\nlast line'


@pytest.mark.parametrize(
    "written",
    [
        STORED,
        "Header line\n/home/a.txt\n/home/b.txt\nlast line",
        "Header line\n/home/a.txt, /home/b.txt\nlast line",
        'Header line\n["/home/a.txt","/home/b.txt"]\nlast line',
    ],
)
def test_a_list_line_matches_in_every_usual_rendering(written: str) -> None:
    assert compare(written, STORED, "exact")


@pytest.mark.parametrize(
    "written",
    [
        "Header line\n/home/b.txt\n/home/a.txt\nlast line",  # another order is another text
        "Header line\n/home/a.txt\nlast line",  # an item left out
        "Header line\n/home/a.txt, /home/b.txt",  # a line lost
    ],
)
def test_a_different_text_still_fails(written: str) -> None:
    assert not compare(written, STORED, "exact")


def test_renderings_of_numbers_and_texts_without_lists() -> None:
    assert list_renderings("no list here") == []
    assert list_renderings("[1.0, 2.5]") == ["1\n2.5", "1, 2.5", "[1.0,2.5]"]
    # a record inside a list is no list of scalars: not re-rendered
    assert list_renderings('[{"a": 1}]') == []


def test_a_composed_task_passes_with_the_list_written_one_per_line() -> None:
    world = get_skill_world("toolworld")
    task, reason = try_compose(world, ["fs_list_files", "fs_write_file"], 0)
    assert task is not None, reason
    listing, write = task.oracle
    session = TaskSession(world, task)
    files = session.call(listing.tool, dict(listing.args), step=listing.id)
    assert isinstance(files, list) and files
    session.call(write.tool, {**write.args, "content": "\n".join(files)}, step=write.id)
    assert session.check("done").passed
    # and a wrong listing still fails
    session = TaskSession(world, task)
    session.call(write.tool, {**write.args, "content": files[0] + "x"}, step=write.id)
    assert not session.check("done").passed
