"""Domain ``files``: an in-memory file system (``state["fs"]``: absolute path -> text)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.toolworld_impl.base import (
    ANY_JSON,
    NoValue,
    Param,
    Tool,
    as_text,
    pick,
    registrar,
)
from steps_agents.plugins.toolworld_impl.notes import file_line

from steps_agents.worlds import ToolError

TOOLS: list[Tool] = []
tool = registrar(TOOLS, "files")

NEW_NAMES = ["summary", "notes", "draft", "log", "report", "plan", "result", "backup"]


def _fs(state: Mapping[str, Any]) -> dict[str, str]:
    fs: dict[str, str] = state["fs"]
    return fs


def _norm_path(path: str) -> str:
    if not path.startswith("/") or "//" in path or path.endswith("/") or ".." in path.split("/"):
        raise ToolError(f"invalid path {path!r}: use an absolute path such as /home/notes/a.txt")
    return path


def _existing(path: str, state: Mapping[str, Any]) -> str:
    if path not in _fs(state):
        raise ToolError(f"no such file {path!r}")
    return path


def s_existing(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(_fs(state)), rng))


def s_directory(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    dirs = sorted({p.rsplit("/", 1)[0] for p in _fs(state)} | {"/home"})
    return str(pick(dirs, rng))


def s_new_path(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    for _ in range(20):
        path = f"/home/out/{pick(NEW_NAMES, rng)}_{rng.randint(1, 99)}.txt"
        if path not in _fs(state):
            return path
    raise NoValue("no free file name")


def s_word(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    words = sorted(
        {w.strip(".,:;#").lower() for text in _fs(state).values() for w in text.split()} - {""}
    )
    words = [w for w in words if w.isalpha() and len(w) >= 5]
    return str(pick(words, rng))


def s_text(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return file_line(state, rng)


PATH = {"type": "string", "minLength": 1}
TEXT = {"type": "string"}


@tool(
    "fs_list_files",
    "List the files under a directory (recursively), sorted by path.",
    params=[Param("directory", PATH, s_directory, "path", "Absolute directory path")],
    returns="list[path]",
    phrase="list the files under {directory}",
)
def list_files(state: dict[str, Any], args: Mapping[str, Any]) -> list[str]:
    prefix = args["directory"].rstrip("/") + "/"
    return sorted(p for p in _fs(state) if p.startswith(prefix))


@tool(
    "fs_read_file",
    "Read a text file and return its whole content.",
    params=[Param("path", PATH, s_existing, "path", "Absolute file path")],
    returns="text",
    phrase="read the file {path}",
)
def read_file(state: dict[str, Any], args: Mapping[str, Any]) -> str:
    return _fs(state)[_existing(args["path"], state)]


@tool(
    "fs_write_file",
    "Create or overwrite a text file. Returns the path and its size in characters.",
    params=[
        Param("path", PATH, s_new_path, None, "Absolute path of the file to write"),
        Param("content", ANY_JSON, s_text, "any", "The text to write (other values as JSON)"),
    ],
    returns="record:file_info",
    fields={"path": "path", "size": "integer"},
    phrase="write {content} to a new file {path}",
    mutates=True,
)
def write_file(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    path = _norm_path(args["path"])
    content = as_text(args["content"])
    _fs(state)[path] = content
    return {"path": path, "size": len(content)}


@tool(
    "fs_append_file",
    "Append a line of text to an existing file. Returns the new size in characters.",
    params=[
        Param("path", PATH, s_existing, "path", "Absolute path of an existing file"),
        Param("text", ANY_JSON, s_text, "any", "The line to append (other values as JSON)"),
    ],
    returns="integer",
    phrase="append {text} as a new line to the file {path}",
    mutates=True,
    rule="numeric",
)
def append_file(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    path = _existing(args["path"], state)
    _fs(state)[path] = _fs(state)[path] + "\n" + as_text(args["text"])
    return len(_fs(state)[path])


@tool(
    "fs_file_size",
    "The size of a file in characters.",
    params=[Param("path", PATH, s_existing, "path", "Absolute file path")],
    returns="integer",
    phrase="get the size in characters of the file {path}",
    rule="numeric",
)
def file_size(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    return len(_fs(state)[_existing(args["path"], state)])


@tool(
    "fs_search_files",
    "Find files whose content contains a word or phrase (case-insensitive). Sorted paths.",
    params=[
        Param("query", {"type": "string", "minLength": 2}, s_word, "string", "Text to look for")
    ],
    returns="list[path]",
    phrase="find the files that contain {query}",
    rule="set",
)
def search_files(state: dict[str, Any], args: Mapping[str, Any]) -> list[str]:
    query = str(args["query"]).lower()
    return sorted(p for p, text in _fs(state).items() if query in text.lower())


@tool(
    "fs_copy_file",
    "Copy a file to a new path. Returns the new path.",
    params=[
        Param("source", PATH, s_existing, "path", "Existing file"),
        Param("destination", PATH, s_new_path, None, "New absolute path"),
    ],
    returns="path",
    phrase="copy the file {source} to {destination}",
    mutates=True,
)
def copy_file(state: dict[str, Any], args: Mapping[str, Any]) -> str:
    source = _existing(args["source"], state)
    destination = _norm_path(args["destination"])
    if destination in _fs(state):
        raise ToolError(f"{destination!r} already exists")
    _fs(state)[destination] = _fs(state)[source]
    return destination


@tool(
    "fs_delete_file",
    "Delete a file. Returns the number of files left.",
    params=[Param("path", PATH, s_existing, "path", "Absolute file path")],
    returns="integer",
    phrase="delete the file {path}",
    mutates=True,
    rule="numeric",
)
def delete_file(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    del _fs(state)[_existing(args["path"], state)]
    return len(_fs(state))
